"""The bundle's smaller ICU data library (packaging/build.py: shrink_icu_data).

Runs on the ICU libraries of the installed PySide6 (no PyInstaller build needed): the
filtered library must keep what QtCore asks ICU for (a collator, a code page, a time zone's
English name) and be much smaller; a filter that breaks ICU must leave the original.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux bundle step"),
    pytest.mark.skipif(
        not (shutil.which("icupkg") and (shutil.which("cc") or shutil.which("gcc"))),
        reason="needs icupkg (icu-devtools) and a C compiler, as `make dist` on Linux does",
    ),
]


def _build_module():
    spec = importlib.util.spec_from_file_location("mm_build", ROOT / "packaging" / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _build_module()


def _fake_bundle(tmp_path: Path) -> Path:
    """A bundle folder holding only the ICU libraries of the installed PySide6."""
    import PySide6

    qt_lib = Path(PySide6.__file__).parent / "Qt" / "lib"
    libraries = sorted(qt_lib.glob("libicu*.so.*"))
    if not libraries:
        pytest.skip("this PySide6 does not ship its own ICU")
    target = tmp_path / "bundle" / "_internal" / "PySide6" / "Qt" / "lib"
    target.mkdir(parents=True)
    for library in libraries:
        shutil.copy2(library, target / library.name)
        # as PyInstaller lays it out: a link in _internal/ next to the real file
        link = tmp_path / "bundle" / "_internal" / library.name
        link.symlink_to(target.relative_to(link.parent) / library.name)
    return tmp_path / "bundle"


def test_only_english_and_root_locales_and_small_code_pages_stay() -> None:
    wanted = build.icu_item_wanted
    assert wanted("coll/root.res", 100) and wanted("coll/en_GB.res", 100)
    assert wanted("ucadata.icu", 10**6) and wanted("zoneinfo64.res", 10**5)
    assert wanted("zone/pool.res", 10**5) and wanted("metaZones.res", 10**5)
    assert not wanted("coll/zh.res", 100) and not wanted("zone/de_CH.res", 100)
    assert not wanted("coll/de_.res", 100)  # alias items carry a trailing underscore
    assert not wanted("brkitr/cjdict.dict", 10**6) and not wanted("translit/root.res", 100)
    assert wanted("ibm-5348_P100-1997.cnv", 4000)  # windows-1252
    assert not wanted("gb18030.cnv", 230_000)


def test_the_filtered_library_keeps_what_qt_uses(tmp_path: Path) -> None:
    bundle = _fake_bundle(tmp_path)
    (library,) = (p for p in bundle.rglob("libicudata.so.*") if not p.is_symlink())
    before = library.stat().st_size
    saved = build.shrink_icu_data(bundle)
    assert saved == before - library.stat().st_size
    link = bundle / "_internal" / library.name
    assert link.is_symlink() and link.resolve() == library.resolve()  # still pointing at it
    assert library.stat().st_size < before / 4
    # shrink_icu_data ran the same check before keeping it; run it again, independently
    version = library.name.rsplit(".", 1)[-1]
    check = build._ICU_CHECK.replace("{v}", version)
    result = __import__("subprocess").run(
        [sys.executable, "-c", check, str(library.parent)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_a_filter_that_breaks_icu_keeps_the_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _fake_bundle(tmp_path)
    (library,) = (p for p in bundle.rglob("libicudata.so.*") if not p.is_symlink())
    original = library.read_bytes()
    # dropping the collation root leaves ICU unable to open any collator: the check fails
    monkeypatch.setattr(
        build, "icu_item_wanted", lambda name, size: not name.startswith(("coll/", "ucadata"))
    )
    assert build.shrink_icu_data(bundle) == 0
    assert library.read_bytes() == original
