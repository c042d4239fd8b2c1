"""UPX packing of the bundle's libraries (packaging/build.py: upx_libraries).

Runs on small libraries compiled here (no PyInstaller build needed): a library UPX packs
must still load and work; what the first window loads (PySide6, Qt, the libraries at the top
of _internal) stays as it is;
a library that does not load before packing is left alone rather than packed blind.
Needs UPX (`upx` or `upx-ucl` on PATH, or $MENTORMATCH_UPX) and a C compiler.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UPX = os.environ.get("MENTORMATCH_UPX") or shutil.which("upx") or shutil.which("upx-ucl")
CC = shutil.which("cc") or shutil.which("gcc")

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux bundle step"),
    pytest.mark.skipif(not (UPX and CC), reason="needs UPX (upx-ucl) and a C compiler"),
]

# A table big enough to be worth packing (UPX_MIN_BYTES) and compressible, as code is.
VALUES = ",".join(str(i * 7 % 1000) for i in range(60000))
SOURCE = f"""
static const unsigned int table[60000] = {{{VALUES}}};
int mm_answer(int i) {{ return 41 + (int)(table[i % 60000] % 2); }}
"""


def _build_module():
    spec = importlib.util.spec_from_file_location("mm_build_upx", ROOT / "packaging" / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _build_module()


def _compile(target: Path, *extra: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    source = target.with_suffix(".c")
    source.write_text(SOURCE)
    command = [CC, "-shared", "-fPIC", "-O1", "-o", str(target), str(source), *extra]
    subprocess.run(command, check=True)
    source.unlink()
    return target


def test_packs_a_library_that_still_loads_and_leaves_the_first_window_alone(
    tmp_path: Path,
) -> None:
    internal = tmp_path / "_internal"
    plain = _compile(internal / "mmpackage" / "libmmplain.so")
    untouched = [
        _compile(internal / "PySide6" / "Qt" / "plugins" / "platforms" / "libqmm.so"),
        _compile(internal / "PySide6" / "Qt" / "lib" / "libQt6Mm.so.6"),
        _compile(internal / "libmmsystem.so.1"),  # Python's and the system's, next to Qt
    ]
    untouched_bytes = [path.read_bytes() for path in untouched]
    before = plain.stat().st_size

    saved, packed, kept = build.upx_libraries(tmp_path, UPX, jobs=1)

    assert packed == 1 and saved > 0 and kept == []
    assert plain.stat().st_size < before
    assert [path.read_bytes() for path in untouched] == untouched_bytes
    assert ctypes.CDLL(str(plain)).mm_answer(3) == 42  # unpacked in memory, and it works


def test_a_library_that_does_not_load_is_not_packed(tmp_path: Path) -> None:
    internal = tmp_path / "_internal"
    dependency = _compile(tmp_path / "elsewhere" / "libmmdep.so")
    broken = _compile(
        internal / "mmpackage" / "libmmbroken.so",
        "-Wl,--no-as-needed",
        f"-L{dependency.parent}",
        "-lmmdep",
    )
    shutil.rmtree(dependency.parent)  # its dependency is gone: the loader refuses it
    original = broken.read_bytes()

    saved, packed, kept = build.upx_libraries(tmp_path, UPX, jobs=1)

    assert (saved, packed) == (0, 0)
    assert kept == ["mmpackage/libmmbroken.so"]
    assert broken.read_bytes() == original
