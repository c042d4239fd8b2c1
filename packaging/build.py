"""Build the app bundle for this platform: ``make dist`` runs this.

Runs PyInstaller on ``packaging/mentormatch.spec`` (one onedir folder with both
``mentormatch`` and ``mentormatch-desktop``), then, on Linux, adds the ``.desktop`` entry,
the icon and ``install.sh`` to the folder and packs it as
``dist/mentormatch-<version>-linux-<arch>.tar.xz`` (the download) and ``.tar.gz``.
Windows (Inno Setup) and macOS (.dmg) archives are made by the CI workflow from the same
folder (.github/workflows/dist.yml).

On Linux it also strips the symbol tables from the bundle's shared libraries (about
100 MB: polars' runtime alone carries 40 MB of them), keeping a stripped library only if
it still loads (see ``strip_shared_libraries``), shrinks Qt's ICU data, and packs the
libraries the first window does not load with UPX when it is installed (``upx_libraries``).

Usage: python packaging/build.py [--dist DIR] [--work DIR] [--no-archive] [--no-strip]
       [--no-icu-filter] [--upx PATH | --no-upx]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
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


# UPX (https://upx.github.io; Debian: `upx-ucl`, in bookworm-backports and trixie) packs a
# shared library into a stub that unpacks it into memory each time it is loaded: polars'
# runtime 138 -> 63 MB, for 0.6-0.8 s more on each command that loads polars, and memory
# that processes no longer share. Packed: every library that UPX accepts and that still
# loads packed, except
# - Qt's plugins: packing strips the metadata Qt's plugin loader reads from the file
#   (PyInstaller's own UPX step skips them for the same reason);
# - what the first window loads: PySide6 and Qt, Python's own and the system libraries at
#   the top of _internal (X11, fontconfig, glib, OpenSSL …), lib-dynload, SQLAlchemy's and
#   NumPy's extensions. Unpacking them cost every start 0.4-0.6 s (Qt, 31 MB saved) and
#   0.2-0.3 s (the others, 18 MB); benchmarks/bundle.md has the measurements.
# UPX refuses the libraries auditwheel rewrote with patchelf ("DT_GNU_HASH above stub":
# numpy's core, OpenBLAS, libpq, Pillow's codecs), which stay as they are; libortools
# packs but then crashes when loaded, which the load check catches. UPX's default
# method (NRV), not --lzma: with UPX 4.2.2 every LZMA-packed library tried stopped with
# SIGTRAP when loaded.
UPX_MIN_BYTES = 100_000  # below this the stub and the unpacking outweigh the saving
UPX_SKIP = (
    "PySide6/",
    "shiboken6/",
    "python3.",  # lib-dynload
    "sqlalchemy/",
    "numpy/",
    "markupsafe/",
    "charset_normalizer/",
)


def upx_skipped(relative: str) -> bool:
    """Whether the library at ``relative`` (to _internal, with /) stays unpacked."""
    return "/" not in relative or relative.startswith(UPX_SKIP)


_LOADS = "import ctypes, sys; ctypes.CDLL(sys.argv[1], mode=ctypes.RTLD_LOCAL)"


def library_loads(path: Path, folder: Path) -> bool:
    """Whether the dynamic loader maps ``path`` (and runs its initialisers) in a fresh
    process: the build's Python, which is the bundle's Python version, with the bundle's
    folder first on the library path. A crash counts as not loading."""
    env = {**os.environ, "LD_LIBRARY_PATH": str(folder)}
    try:
        result = subprocess.run(
            [sys.executable, "-c", _LOADS, str(path)], env=env, capture_output=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def upx_libraries(bundle: Path, upx: str, jobs: int = 2) -> tuple[int, int, list[str]]:
    """Pack the bundle's shared libraries with UPX where that is safe (see ``UPX_SKIP``).

    Returns (bytes saved, libraries packed, libraries left as they were). A library is
    packed only if it loads before (``library_loads``), UPX accepts it (it refuses
    libraries whose layout its stub cannot wrap, e.g. "DT_GNU_HASH above stub"), and the
    packed copy still loads; otherwise the original stays.
    """
    from concurrent.futures import ThreadPoolExecutor

    internal = bundle / "_internal"
    candidates = []
    for path in sorted(internal.rglob("*.so*")):
        if path.is_symlink() or not path.is_file() or path.stat().st_size < UPX_MIN_BYTES:
            continue
        relative = path.relative_to(internal).as_posix()
        if upx_skipped(relative) or load_segments_aligned(path) is not True:
            continue
        candidates.append((path, relative))

    def pack(item: tuple[Path, str]) -> tuple[str, int, bool]:
        path, relative = item
        if not library_loads(path, internal):
            return relative, 0, False
        packed = path.with_name(path.name + ".upx")
        result = subprocess.run([upx, "-qq", "-o", str(packed), str(path)], capture_output=True)
        before = path.stat().st_size
        if result.returncode != 0 or not packed.is_file() or packed.stat().st_size >= before:
            packed.unlink(missing_ok=True)
            return relative, 0, False
        original = path.with_name(path.name + ".orig")
        os.replace(path, original)
        os.replace(packed, path)
        shutil.copymode(original, path)
        if library_loads(path, internal):
            original.unlink()
            return relative, before - path.stat().st_size, True
        os.replace(original, path)
        return relative, 0, False

    saved = packed_count = 0
    kept: list[str] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for relative, bytes_saved, ok in pool.map(pack, candidates):
            if ok:
                saved += bytes_saved
                packed_count += 1
            else:
                kept.append(relative)
    return saved, packed_count, kept


# ICU data items the app's Qt needs. QtCore calls ICU only for collation (``ucol_*``),
# legacy text codecs (``ucnv_*``), time-zone display names (``ucal_*``) and case mapping;
# it never uses ICU's break iterators, transliterators or number spell-out. The app is
# English-only: other locales fall back to the root collation and English names.
ICU_KEEP_LOCALES = ("root", "en")
ICU_DROP_TREES = ("brkitr", "translit", "rbnf")
ICU_MAX_CODEPAGE = 12 * 1024  # single-byte code pages are a few KB; CJK tables 100+ KB
_ICU_LOCALE_ITEM = re.compile(r"^(?:[a-z]{2,3}(?:_[A-Za-z0-9]*)*|root)\.res$")


def icu_item_wanted(name: str, size: int) -> bool:
    """Whether the ICU data item ``name`` (e.g. ``coll/de.res``) stays in the bundle."""
    tree, _, leaf = name.rpartition("/")
    if leaf.endswith(".cnv"):
        return size <= ICU_MAX_CODEPAGE
    if tree in ICU_DROP_TREES:
        return leaf == "res_index.res"
    if _ICU_LOCALE_ITEM.match(leaf) and leaf != "pool.res":
        base = leaf.removesuffix(".res")
        return base == "root" or base.split("_")[0] in ICU_KEEP_LOCALES
    return True  # normalisation, properties, aliases, time-zone rules, supplemental data


def _elf_symbol_bytes(path: Path, symbol: str) -> bytes | None:
    """The bytes of a data symbol in an ELF shared library (via binutils' readelf)."""
    readelf = shutil.which("readelf")
    if readelf is None:
        return None
    symbols = subprocess.run([readelf, "-Ws", str(path)], capture_output=True, text=True).stdout
    sections = subprocess.run([readelf, "-SW", str(path)], capture_output=True, text=True).stdout
    found = re.search(
        rf"^\s*\d+:\s+([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+OBJECT\s.*\s{symbol}$", symbols, re.M
    )
    if not found:
        return None
    address, size = int(found.group(1), 16), int(found.group(2), 0)
    for line in sections.splitlines():
        fields = line.split("]", 1)[-1].split()
        if len(fields) < 5 or not fields[0].startswith("."):
            continue
        start, offset, length = int(fields[2], 16), int(fields[3], 16), int(fields[4], 16)
        if start <= address and address + size <= start + length and fields[1] == "PROGBITS":
            with path.open("rb") as f:
                f.seek(offset + address - start)
                return f.read(size)
    return None


_ICU_CHECK = """
import ctypes, sys
uc = ctypes.CDLL(sys.argv[1] + "/libicuuc.so.{v}", mode=ctypes.RTLD_GLOBAL)
i18n = ctypes.CDLL(sys.argv[1] + "/libicui18n.so.{v}", mode=ctypes.RTLD_GLOBAL)
for f in (i18n.ucol_open_{v}, i18n.ucal_open_{v}, uc.ucnv_open_{v}):
    f.restype = ctypes.c_void_p
err = ctypes.c_int(0)
assert i18n.ucol_open_{v}(b"en_US", ctypes.byref(err)) and err.value <= 0, ("collator", err.value)
assert uc.ucnv_open_{v}(b"windows-1252", ctypes.byref(err)) and err.value <= 0, ("codec", err.value)
zone = "Europe/Berlin"
utf16 = (ctypes.c_uint16 * len(zone))(*map(ord, zone))
cal = i18n.ucal_open_{v}(utf16, len(zone), b"en_US", 0, ctypes.byref(err))
assert cal and err.value <= 0, ("calendar", err.value)
buf = (ctypes.c_uint16 * 64)()
i18n.ucal_getTimeZoneDisplayName_{v}.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p,
                                                 ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
n = i18n.ucal_getTimeZoneDisplayName_{v}(cal, 0, b"en_US", buf, 64, ctypes.byref(err))
name = "".join(map(chr, buf[:n]))
assert err.value <= 0 and name == "Central European Standard Time", ("zone name", name)
"""


def shrink_icu_data(bundle: Path) -> int:
    """Replace Qt's ICU data library (32 MB) by one with only the items the app uses.

    Returns the bytes saved (0 if skipped). ICU links its data as one read-only symbol,
    ``icudt<version>_dat``, holding a package of items (locales, collation, code pages …).
    This unpacks that package, drops what :func:`icu_item_wanted` rejects with ICU's
    ``icupkg`` (Debian/Ubuntu: icu-devtools), assembles the rest into a library of the same
    name and symbol, and keeps it only if ICU, loaded from the bundle, still opens a
    collator, a code page and a time zone's English name with it.
    """
    # PyInstaller also links each library into _internal/: the real file is the other one
    found = (bundle / "_internal").rglob("libicudata.so.*")
    libraries = sorted(p for p in found if p.is_file() and not p.is_symlink())
    icupkg, cc = shutil.which("icupkg"), shutil.which("cc") or shutil.which("gcc")
    if len(libraries) != 1:
        print(f"icu:     skipped ({len(libraries)} ICU data libraries in the bundle, not one)")
        return 0
    if icupkg is None or cc is None:
        print("icu:     skipped (needs `icupkg`, from icu-devtools, and a C compiler `cc`)")
        return 0
    library = libraries[0]
    found = re.search(r"\.so\.(\d+)", library.name)
    version = found.group(1) if found else ""
    package = f"icudt{version}l"
    data = _elf_symbol_bytes(library, f"icudt{version}_dat")
    if not version or data is None:
        print(f"icu:     skipped (no icudt{version}_dat symbol in {library.name})")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "in").mkdir()
        (work / "out").mkdir()
        (work / "in" / f"{package}.dat").write_bytes(data)
        source = work / "in" / f"{package}.dat"
        items = subprocess.run(
            [icupkg, "-l", str(source)], capture_output=True, text=True, check=True
        ).stdout.split()
        (work / "items").mkdir()
        (work / "all.txt").write_text("\n".join(items) + "\n")
        subprocess.run(
            [icupkg, "-x", str(work / "all.txt"), "-d", str(work / "items"), str(source)],
            check=True,
            capture_output=True,
        )
        drop = [i for i in items if not icu_item_wanted(i, (work / "items" / i).stat().st_size)]
        target = work / "out" / f"{package}.dat"
        for _ in range(5):
            # an item that refers to a dropped one (a code page's extension of a CJK
            # table) goes too; icupkg names each and writes nothing until none is left
            (work / "drop.txt").write_text("\n".join(drop) + "\n")
            result = subprocess.run(
                [icupkg, "-r", str(work / "drop.txt"), str(source), str(target)],
                capture_output=True,
                text=True,
            )
            dependants = re.findall(r"Item (\S+) depends on missing item", result.stderr)
            if result.returncode == 0 or not dependants:
                break
            drop += dependants
        if result.returncode != 0:
            print(f"icu:     kept the full data: icupkg failed ({result.stderr.strip()[:300]})")
            return 0
        assembly = work / "icudata.S"
        assembly.write_text(
            "    .section .rodata\n"
            f"    .globl icudt{version}_dat\n"
            f"    .type icudt{version}_dat, @object\n"
            "    .balign 16\n"
            f"icudt{version}_dat:\n"
            f'    .incbin "{target}"\n'
            f"    .size icudt{version}_dat, . - icudt{version}_dat\n"
            '    .section .note.GNU-stack,"",@progbits\n'
        )
        trial = work / "lib"
        trial.mkdir()
        for sibling in library.parent.glob(f"libicu*.so.{version}"):
            shutil.copy2(sibling, trial / sibling.name)
        subprocess.run(
            [
                cc,
                "-shared",
                "-nostdlib",
                f"-Wl,-soname,{library.name}",
                "-o",
                str(trial / library.name),
                str(assembly),
            ],
            check=True,
        )
        check = subprocess.run(
            [sys.executable, "-c", _ICU_CHECK.replace("{v}", version), str(trial)],
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            print(f"icu:     kept the full data: the filtered one failed ({check.stderr.strip()})")
            return 0
        before = library.stat().st_size
        shutil.copymode(library, trial / library.name)
        os.replace(trial / library.name, library)
        print(f"icu:     {len(drop)} of {len(items)} data items dropped")
        return before - library.stat().st_size


def add_linux_desktop_files(bundle: Path) -> None:
    """The freedesktop entry, its icon, and a script that registers both."""
    apps = bundle / "share" / "applications"
    icons = bundle / "share" / "icons" / "hicolor" / "scalable" / "apps"
    apps.mkdir(parents=True, exist_ok=True)
    icons.mkdir(parents=True, exist_ok=True)
    shutil.copy2(PACKAGING / "linux" / "mentormatch-desktop.desktop", apps)
    shutil.copy2(PACKAGING / "linux" / "mentormatch-desktop.svg", icons)
    shutil.copy2(PACKAGING / "linux" / "install.sh", bundle / "install.sh")


def make_tarball(bundle: Path, dist: Path, compression: str = "gz") -> Path:
    """The folder as ``mentormatch-<version>-linux-<arch>.tar.<compression>``.

    ``gz`` opens everywhere; ``xz`` is the smaller download (docs/packaging.md has both
    sizes), and every Linux ``tar`` unpacks it (``tar xf``)."""
    arch = platform.machine().lower() or "unknown"
    target = dist / f"{BUNDLE_NAME}-{version()}-linux-{arch}.tar.{compression}"
    root_name = f"{BUNDLE_NAME}-{version()}"
    options = {"compresslevel": 6} if compression == "gz" else {"preset": 9}
    with tarfile.open(target, f"w:{compression}", **options) as tar:
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
    parser.add_argument(
        "--no-icu-filter", action="store_true", help="keep Qt's full ICU data (Linux)"
    )
    parser.add_argument(
        "--upx",
        default=os.environ.get("MENTORMATCH_UPX") or shutil.which("upx") or shutil.which("upx-ucl"),
        help="UPX program that packs the libraries (Linux; default: upx or upx-ucl on PATH)",
    )
    parser.add_argument("--no-upx", action="store_true", help="leave the libraries unpacked")
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
        if not args.no_icu_filter:
            saved = shrink_icu_data(bundle)
            size = folder_size(bundle) / 1e6
            print(f"icu:     {saved / 1e6:.0f} MB saved; bundle now {size:.0f} MB")
        if args.no_upx or not args.upx:
            print("upx:     skipped (no UPX: apt-get install upx-ucl, or --upx PATH)")
        else:
            started = time.perf_counter()
            saved, packed, kept = upx_libraries(bundle, args.upx)
            print(
                f"upx:     {packed} libraries packed, {saved / 1e6:.0f} MB saved,"
                f" {len(kept)} left as they were, in {time.perf_counter() - started:.0f} s;"
                f" bundle now {folder_size(bundle) / 1e6:.0f} MB"
            )
        add_linux_desktop_files(bundle)
        if not args.no_archive:
            for compression in ("gz", "xz"):
                archive = make_tarball(bundle, args.dist, compression)
                print(f"archive: {archive}  ({archive.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
