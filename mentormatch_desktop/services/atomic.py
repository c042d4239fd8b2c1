"""Files that appear complete or not at all: exports and reports.

An export that fails half-way (a cell .xlsx cannot hold, a full disk, a cancel) used to
leave half a file where the previous good one was. Writers here write to a temporary
file in the target's folder and rename it over the target only once it is complete; the
rename is atomic on the same file system. The temporary file is created 0600 (it holds
personal data) and the finished file keeps that mode.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def check_folder(path: str | Path) -> None:
    """Raise ``FileNotFoundError`` naming the folder when ``path``'s folder is missing,
    before any work is done for a file that could not be written."""
    parent = Path(path).parent
    if not parent.is_dir():
        raise FileNotFoundError(f"the folder {parent} does not exist; create it first")


class atomic_path:
    """A temporary path beside ``target`` that replaces it on success and vanishes on error."""

    def __init__(self, target: str | Path) -> None:
        self.target = Path(target)
        self.temporary: Path | None = None

    def __enter__(self) -> Path:
        fd, name = tempfile.mkstemp(
            prefix=f".{self.target.stem}.", suffix=f".partial{self.target.suffix}",
            dir=self.target.parent,
        )  # fmt: skip
        os.close(fd)
        self.temporary = Path(name)
        return self.temporary

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self.temporary is not None
        if exc_type is None:
            os.replace(self.temporary, self.target)
        else:
            self.temporary.unlink(missing_ok=True)
