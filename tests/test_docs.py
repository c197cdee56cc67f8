"""The documentation site: `make docs`'s Sphinx build with warnings as errors, every public
function of cdp_analysis.indicators and cdp_analysis.models in the API reference, and a
reference named on every methods page."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a whole Sphinx build (about 30 s)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    pytest.importorskip("sphinx")
    pytest.importorskip("pydata_sphinx_theme")
    pytest.importorskip("myst_parser")
    out = tmp_path_factory.mktemp("docs") / "html"
    run = subprocess.run([sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-b", "html", "-q", str(DOCS),
                          str(out)], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, f"Sphinx warnings or errors:\n{run.stderr[-4000:]}"
    return out


def _ids(page: Path) -> set[str]:
    return set(re.findall(r'id="(cdp_analysis\.[^"]+)"', page.read_text(encoding="utf-8")))


@pytest.mark.parametrize("package", ["cdp_analysis.indicators", "cdp_analysis.models"])
def test_every_public_function_is_in_the_api_reference(site, package):
    import importlib

    mod = importlib.import_module(package)
    ids = _ids(site / "api.html")
    missing = []
    for name in mod.__all__:
        obj = getattr(mod, name)
        if not callable(obj):
            continue  # constants (FORECAST_MARKER ...)
        own = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', name)}"
        if f"{package}.{name}" not in ids and own not in ids:
            missing.append(name)
    assert missing == []


def test_every_methods_page_names_its_references_and_is_in_the_site(site):
    pages = sorted(p for p in (DOCS / "methods").glob("*.md") if p.stem != "index")
    assert len(pages) >= 5
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert re.search(r"\breferences?\b", text, re.IGNORECASE), f"{page.name} names no reference"
        assert (site / "methods" / f"{page.stem}.html").exists()
    index = (site / "methods" / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{p.stem}.html"' in index for p in pages)


def test_the_pages_an_analyst_needs(site):
    for name in ("getting_started", "analysts", "data_sources", "cli", "api"):
        assert (site / f"{name}.html").exists(), name
    cli = (site / "cli.html").read_text(encoding="utf-8")
    assert "cdp ingest --help" in cli and "cdp run --help" in cli  # the real --help, captured at build
    sources = (site / "data_sources.html").read_text(encoding="utf-8")
    assert "English Indices of Deprivation 2019" in sources  # PROVENANCE.md included
    deprivation = (site / "methods" / "deprivation.html").read_text(encoding="utf-8")
    assert "McCullagh" in deprivation and "Newton-Raphson" in deprivation


def test_the_reports_notes_point_to_the_methods_page():
    from cdp_analysis.report import outputs, progress_sections
    from cdp_analysis.report.needs_sections import common as needs_sections

    assert (ROOT / outputs.METHODS_PAGE).exists()
    assert outputs.METHODS_PAGE in outputs.METHODS_NOTE
    import inspect

    for module in (needs_sections, progress_sections):
        source = inspect.getsource(module)
        assert module.METHODS_NOTE is outputs.METHODS_NOTE and source.count("METHODS_NOTE") >= 2  # imported, used
        assert "the library's documentation" not in source
