"""Build the app bundle for this platform: ``make dist`` runs this.

Runs PyInstaller on ``packaging/mentormatch.spec`` (one onedir folder with both
``mentormatch`` and ``mentormatch-desktop``), then, on Linux, adds the ``.desktop`` entry,
the icon and ``install.sh`` to the folder and packs it as
``dist/mentormatch-<version>-linux-<arch>.tar.gz``. Windows (Inno Setup) and macOS (.dmg)
archives are made by the CI workflow from the same folder (.github/workflows/dist.yml).

On Linux it also strips the symbol tables from the bundle's shared libraries (about
100 MB: polars' runtime alone carries 40 MB of them), keeping a stripped library only if
it still loads (see ``strip_shared_libraries``).

Usage: python packaging/build.py [--dist DIR] [--work DIR] [--no-archive] [--no-strip]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import struct
import subprocess
import sys
import tarfile
import time
from pathlib import Path

PACKAGING = Path(__file__).resolve().parent
ROOT = PACKAGING.parent
SPEC = PACKAGING / "mentormatch.spec"
BUNDLE_NAME = "mentormatch"


def version() -> str:
    from mentormatch_desktop import __version__

    return __version__


def run_pyinstaller(dist: Path, work: Path) -> Path:
    """Build the onedir folder into ``dist/mentormatch`` and return its path."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        sys.exit("PyInstaller is not installed: pip install -e '.[dist]' (or `make dist`)")
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level=WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        str(SPEC),
    ]
    # Not from the repository root: a stale *.egg-info there would be read as the installed
    # distribution's metadata (the entry points the spec and the bundle rely on).
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(cmd, check=True, cwd=work)
    return dist / BUNDLE_NAME


def load_segments_aligned(path: Path) -> bool | None:
    """Whether every PT_LOAD segment of a 64-bit little-endian ELF file keeps
    ``p_vaddr ≡ p_offset (mod p_align)`` and page alignment, which the dynamic loader
    requires. ``None`` if the file is not such an ELF file."""
    try:
        with path.open("rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
                return None
            (phoff,) = struct.unpack_from("<Q", head, 32)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
    except OSError:
        return None
    if phentsize < 56 or len(table) < phentsize * phnum:
        return False
    for index in range(phnum):
        p_type, _, offset, vaddr, _, _, _, align = struct.unpack_from(
            "<IIQQQQQQ", table, index * phentsize
        )
        if p_type != 1:  # PT_LOAD
            continue
        if (vaddr - offset) % 4096 or (align > 1 and (vaddr - offset) % align):
            return False
    return True


def strip_shared_libraries(bundle: Path) -> tuple[int, int]:
    """Strip the symbol tables of the shared libraries in ``bundle/_internal`` (Linux).

    Returns (bytes saved, libraries left as they were because stripping would break them).
    Not PyInstaller's own ``strip=True``: binutils' strip rewrites the segment layout of
    libraries that auditwheel patched with patchelf (numpy's and SciPy's OpenBLAS and
    gfortran) into one the loader refuses ("ELF load command address/offset not
    page-aligned"). Each library is stripped into a copy; the copy replaces it only if it
    is smaller and its loadable segments are still aligned. The executables are left
    alone (their bootloader carries the appended program archive).
    """
    strip = shutil.which("strip")
    if strip is None:
        print("strip:   `strip` (binutils) not found: the libraries keep their symbol tables")
        return 0, 0
    saved = refused = 0
    for path in sorted((bundle / "_internal").rglob("*.so*")):
        if path.is_symlink() or not path.is_file() or load_segments_aligned(path) is not True:
            continue
        stripped = path.with_name(path.name + ".stripped")
        result = subprocess.run(
            [strip, "--strip-unneeded", "-o", str(stripped), str(path)], capture_output=True
        )
        before = path.stat().st_size
        if (
            result.returncode == 0
            and stripped.is_file()
            and stripped.stat().st_size < before
            and load_segments_aligned(stripped)
        ):
            saved += before - stripped.stat().st_size
            shutil.copymode(path, stripped)
            os.replace(stripped, path)
            continue
        if result.returncode == 0 and stripped.is_file() and stripped.stat().st_size < before:
            refused += 1
        stripped.unlink(missing_ok=True)
    return saved, refused


def add_linux_desktop_files(bundle: Path) -> None:
    """The freedesktop entry, its icon, and a script that registers both."""
    apps = bundle / "share" / "applications"
    icons = bundle / "share" / "icons" / "hicolor" / "scalable" / "apps"
    apps.mkdir(parents=True, exist_ok=True)
    icons.mkdir(parents=True, exist_ok=True)
    shutil.copy2(PACKAGING / "linux" / "mentormatch-desktop.desktop", apps)
    shutil.copy2(PACKAGING / "linux" / "mentormatch-desktop.svg", icons)
    shutil.copy2(PACKAGING / "linux" / "install.sh", bundle / "install.sh")


def make_tarball(bundle: Path, dist: Path) -> Path:
    arch = platform.machine().lower() or "unknown"
    target = dist / f"{BUNDLE_NAME}-{version()}-linux-{arch}.tar.gz"
    root_name = f"{BUNDLE_NAME}-{version()}"
    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=root_name)
    return target


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    parser.add_argument("--no-archive", action="store_true", help="only build the folder")
    parser.add_argument(
        "--no-strip", action="store_true", help="keep the libraries' symbol tables (Linux)"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    bundle = run_pyinstaller(args.dist, args.work)
    built = time.perf_counter() - started
    print(f"bundle:  {bundle}  ({folder_size(bundle) / 1e6:.0f} MB, built in {built:.0f} s)")
    if sys.platform.startswith("linux"):
        if not args.no_strip:
            saved, refused = strip_shared_libraries(bundle)
            print(
                f"strip:   {saved / 1e6:.0f} MB of symbol tables removed"
                f" ({refused} libraries left unstripped: stripping would break them);"
                f" bundle now {folder_size(bundle) / 1e6:.0f} MB"
            )
        add_linux_desktop_files(bundle)
        if not args.no_archive:
            archive = make_tarball(bundle, args.dist)
            print(f"archive: {archive}  ({archive.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
