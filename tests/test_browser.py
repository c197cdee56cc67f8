"""The HTML report opened in a real headless Chromium (Debian's package, driven by Playwright).

Checks what a reader gets: no code cells, alt text on every image, header cells in
every table, the key figures visible. Skipped locally when no Chromium is installed;
on CI (CI=true) a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

pytestmark = pytest.mark.slow


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module", params=["progress_report", "needs_assessment"])
def document(request, pan_dorset_report, two_area_reports):
    if request.param == "progress_report":
        return pan_dorset_report / "progress_report.html"
    return two_area_reports / "E06000058" / "needs_assessment.html"


@pytest.fixture(scope="module")
def page(document):
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium on CI: .ci/browser.py should have installed Debian's chromium")
        pytest.skip("no Chromium installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=args)
        pg = browser.new_page()
        pg.goto(document.as_uri())
        yield pg
        browser.close()


def test_no_code_cells_visible(page):
    assert page.locator(".jp-CodeCell .jp-InputArea:visible").count() == 0
    assert page.locator(".jp-InputPrompt:visible, .jp-OutputPrompt:visible").count() == 0
    assert page.locator(".highlight:visible").count() == 0
    assert "load_context" not in page.inner_text("body")


def test_every_table_has_header_cells(page):
    tables = page.locator("table")
    assert tables.count() >= 3
    for i in range(tables.count()):
        assert tables.nth(i).locator("th").count() > 0


def test_every_image_has_alt_text_and_loads(page):
    alts = page.eval_on_selector_all("img", "els => els.map(e => (e.getAttribute('alt') || '').trim())")
    assert alts and all(alts), f"images without alt text: {alts}"
    broken = page.eval_on_selector_all("img", "els => els.filter(e => !(e.complete && e.naturalWidth > 0)).length")
    assert broken == 0


def test_key_figures_and_language(page, document):
    text = page.inner_text("body")
    if document.stem == "needs_assessment":
        assert "Bournemouth, Christchurch and Poole" in text and "6.8 per 100,000" in text
        assert page.eval_on_selector("html", "e => e.lang") == "en-GB"
        return
    for figure in ("152", "1,036", "202", "£95,024"):
        assert figure in text
    assert page.eval_on_selector("html", "e => e.lang") == "en-GB"
    assert page.title()
