"""explore_area.ipynb run through JupyterLab's own interface in a real headless Chromium.

A real JupyterLab server on 127.0.0.1 with a token, serving a scratch copy of the notebooks
folder; Debian's Chromium driven by Playwright opens explore_area.ipynb, runs every cell from
the Run menu, and the test reads what the analyst sees: no error or stderr output, the
figures rendered (SVG images with alt text), the frames as HTML tables, and a result object's
own HTML (``div.cdp-result``). Skipped locally when no Chromium is installed; a failure on CI.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(full_store, tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 (token) over a copy of explore_area.ipynb; yields its URL."""
    pytest.importorskip("jupyterlab")
    from cdp_analysis.pipeline import ensure_kernel

    ensure_kernel()
    root = tmp_path_factory.mktemp("lab")
    work, settings, runtime = root / "notebooks", root / "settings", root / "runtime"
    work.mkdir()
    shutil.copy2(NOTEBOOKS / "explore_area.ipynb", work / "explore_area.ipynb")
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    # every cell attached to the page (no windowing), so the test sees every output
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    token, port = secrets.token_hex(16), _free_port()
    env = dict(os.environ, CDP_DB=str(full_store), JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTER_RUNTIME_DIR=str(runtime), MPLBACKEND="module://matplotlib_inline.backend_inline")
    env.pop("CDP_OUTPUT_DIR", None)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}", "--ServerApp.port_retries=0",
           f"--LabApp.workspaces_dir={root / 'workspaces'}", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(root / "lab.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start:\n" + (root / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
        # the token is required: without it the API refuses
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{url}/api/contents", timeout=5)
        yield url, token, work
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def page(lab):
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium on CI: .ci/browser.py should have installed Debian's chromium")
        pytest.skip("no Chromium installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    url, token, _ = lab
    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=args)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.goto(f"{url}/lab/tree/explore_area.ipynb?token={token}", timeout=120_000)
        pg.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
        # the kernel named in the notebook ("Python (cdp-analysis)") starts and goes idle
        pg.wait_for_function("() => document.body.innerText.includes('Python (cdp-analysis) | Idle')",
                             timeout=120_000)
        started = ("() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]"
                   ".some(e => e.textContent.trim() !== '[ ]:')")
        for _ in range(3):  # the Run menu of the menu bar, then its item; again if the app was not ready
            pg.get_by_role("menuitem", name="Run", exact=True).click()
            pg.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            try:
                pg.wait_for_function(started, timeout=20_000)
                break
            except sync_api.TimeoutError:
                pg.keyboard.press("Escape")
        code_cells = pg.locator(".jp-NotebookPanel .jp-CodeCell").count()
        # every code cell has run: its prompt shows a number, none shows [*] or [ ]
        pg.wait_for_function(
            """n => { const p = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
                        .map(e => e.textContent.trim());
                      return p.length === n && p.every(t => /^\\[\\d+\\]:$/.test(t)); }""",
            arg=code_cells, timeout=300_000)
        yield pg
        browser.close()


def test_every_cell_ran_without_an_error(page):
    assert page.locator(".jp-NotebookPanel .jp-CodeCell").count() >= 8
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_inner_texts()[:3]
    assert "Traceback" not in page.inner_text(".jp-NotebookPanel")


def test_at_least_three_figures_rendered_with_alt_text(page):
    imgs = page.locator(".jp-OutputArea-output img[src^='data:image/svg+xml']")
    assert imgs.count() >= 3
    alts = imgs.evaluate_all("els => els.map(e => e.getAttribute('alt') || '')")
    assert all(a.strip() for a in alts)
    loaded = imgs.evaluate_all("els => els.filter(e => e.complete && e.naturalWidth > 0).length")
    assert loaded == imgs.count()
    assert any(a.startswith("Line charts in ") for a in alts)
    assert sum("ranked" in a for a in alts) >= 2  # one per member of pan-Dorset


def test_frames_and_a_result_object_show_as_html(page):
    assert page.locator(".jp-OutputArea-output table.dataframe").count() >= 3
    result = page.locator(".jp-OutputArea-output .cdp-result")
    assert result.count() >= 1  # the change test's own HTML: its sentence, table, method, reference
    text = result.first.inner_text()
    assert "statistically significant" in text


def test_nothing_was_written_beside_the_notebook(page, lab):
    _, _, work = lab
    names = {p.name for p in work.iterdir()}
    assert names <= {"explore_area.ipynb", ".ipynb_checkpoints"}, names
