"""Build the app bundle for this platform: ``make dist`` runs this.

Runs PyInstaller on ``packaging/mentormatch.spec`` (one onedir folder with both
``mentormatch`` and ``mentormatch-desktop``), then, on Linux, adds the ``.desktop`` entry,
the icon and ``install.sh`` to the folder and packs it as
``dist/mentormatch-<version>-linux-<arch>.tar.gz``. Windows (Inno Setup) and macOS (.dmg)
archives are made by the CI workflow from the same folder (.github/workflows/dist.yml).

Usage: python packaging/build.py [--dist DIR] [--work DIR] [--no-archive]
"""

from __future__ import annotations

import argparse
import platform
import shutil
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
    args = parser.parse_args(argv)

    started = time.perf_counter()
    bundle = run_pyinstaller(args.dist, args.work)
    built = time.perf_counter() - started
    print(f"bundle:  {bundle}  ({folder_size(bundle) / 1e6:.0f} MB, built in {built:.0f} s)")
    if sys.platform.startswith("linux"):
        add_linux_desktop_files(bundle)
        if not args.no_archive:
            archive = make_tarball(bundle, args.dist)
            print(f"archive: {archive}  ({archive.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
