"""End to end: `cdp ingest` then `cdp run` through papermill, HTML and Word outputs, manifest.

Real parts only: a real DuckDB file, real kernels started by papermill, nbconvert HTML,
pandoc Word opened with python-docx.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from cdp_analysis import pipeline
from cdp_analysis.cli import main
from cdp_analysis.errors import CdpParameterError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(returns_store) -> Path:
    return returns_store


@pytest.fixture(scope="module")
def report(pan_dorset_report) -> Path:
    return pan_dorset_report


def _text(html_path: Path) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_path.read_text(encoding="utf-8"), "html.parser")
    for tag in soup(["style", "script"]):
        tag.decompose()
    return " ".join(soup.get_text(" ").split())


def test_html_shows_recomputed_figures_and_flags_printed_ones(report):
    html = report / "progress_report.html"
    text = _text(html)
    for figure in ("152 (2023/24)", "1,036 (2023/24)", "202 (2023)", "£95,024 (2023/24)"):
        assert figure in text
    assert "£94,304 ( differs )" in text or "£94,304 (differs)" in text
    assert "not a statistically significant change" in text
    assert "projection transposition" in text and "a quarter of £23,576 would fit" in text  # the audit, in the report
    # every figure of the returns appears: the single 2022/23 referrals and England's comparator too
    assert "Border Force fast parcel referrals Dorset police force area 2022/23 146" in text
    assert "NRM positive grounds referrals with a county lines flag Dorset police force area 2022/23 140" in text
    assert "prison leavers engaging with community treatment England 2022/23 41.1%" in text
    assert "Enforcement figures: Dorset Police management information" in text


def test_html_hides_code_and_parameters(report):
    raw = (report / "progress_report.html").read_text(encoding="utf-8")
    assert "load_context(" not in raw and "display(Markdown" not in raw
    assert 'area: str = "pan-dorset"' not in raw
    assert "<th" in raw  # tables have header cells


def test_word_has_headings_and_tables(report):
    import docx

    doc = docx.Document(str(report / "progress_report.docx"))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert any("Enforcement" in h for h in headings)
    assert any("Treatment and recovery" in h for h in headings)
    assert len(doc.tables) >= 3
    first = doc.tables[0]
    assert first.rows[0].cells[0].text == "Measure"
    assert not any("load_context" in p.text for p in doc.paragraphs)
    # tables fit their page: the outcomes are split into the figures and the printed-figure check,
    # and no column is narrower than its longest word (no "Measu re" in Word)
    from tests_support import assert_words_fit

    assert [c.text for c in first.rows[0].cells][-1] == "Change" and len(first.columns) == 7
    assert [c.text for c in doc.tables[1].rows[0].cells][-2:] == ["Printed projection", "Printed change"]
    for table in doc.tables:
        assert_words_fit(table)


def test_manifest_and_executed_notebook(report, store):
    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    run = manifest["runs"]["progress_report"]
    assert run["parameters"]["area"] == "pan-dorset" and run["parameters"]["period"] == "2023/24 Q1"
    assert {i["file"] for i in run["inputs"]} >= {"returns/pan_dorset.csv", "reference/metrics.csv"}
    assert all(len(i["sha256"]) == 64 for i in run["inputs"])
    assert run["versions"]["pandas"] and run["timings_s"]["execute_s"] > 0
    nb = nbformat.read(report / "notebooks" / "progress_report.ipynb", as_version=4)
    assert nb.metadata["papermill"]["parameters"]["area"] == "pan-dorset"
    assert not list(report.parent.glob(".pan-dorset.*"))  # no temporary folders left behind


def test_unknown_parameter_refused_before_any_kernel(tmp_path, store):
    nb = pipeline._notebook_path("progress_report")
    with pytest.raises(CdpParameterError, match="unknown parameter"):
        pipeline.validate_parameters(nb, {"area": "pan-dorset", "perod": "2023/24 Q1"})
    with pytest.raises(CdpParameterError, match="must be str"):
        pipeline.validate_parameters(nb, {"area": 7})
    with pytest.raises(CdpParameterError, match="bad period label"):
        pipeline.plan(["2023/24 Q5"], ["pan-dorset"], out=tmp_path)
    with pytest.raises(CdpParameterError):
        pipeline.plan(["2023/24 Q1"], ["../../etc"], out=tmp_path)
    assert not any(tmp_path.iterdir())  # nothing was started or written


def test_failed_run_is_reported_and_others_complete(tmp_path, store):
    bad = tmp_path / "boom.ipynb"
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('area: str = "pan-dorset"  # area\nperiod: str = "2023/24 Q1"  # period')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("if area == 'E06000059':\n    raise ValueError('planted failure')")]
    nb.metadata["kernelspec"] = {"name": "cdp-analysis", "display_name": "cdp", "language": "python"}
    nbformat.write(nb, bad)
    out = tmp_path / "out"
    # one bad parameter (an unknown area) and one notebook that raises (for Dorset)
    with pytest.raises(CdpParameterError):
        pipeline.plan(["2023/24 Q1"], ["E06000058", "E06000059", "E0600005X"], notebooks=[str(bad)], out=out)
    runs = pipeline.plan(["2023/24 Q1"], ["E06000058", "E06000059", "E0600005X"], notebooks=[str(bad)], out=out,
                         strict=False)
    assert [r.error is not None for r in runs] == [False, False, True]
    results = pipeline.execute(runs, workers=2, progress=False, render=False)
    by_area = {r["area"]: r for r in results}
    assert by_area["E06000058"]["status"] == "ok"
    failed = by_area["E06000059"]
    assert failed["status"] == "failed" and "planted failure" in failed["error"]
    assert failed["cell"] is not None and Path(failed["executed_notebook"]).exists()
    refused = by_area["E0600005X"]
    assert refused["status"] == "failed" and "refused before starting" in refused["error"]
    assert not (out / "2023-24-Q1" / "E06000059").exists()  # whole or not at all
    text = pipeline.format_results(results)
    assert "FAILED  2023/24 Q1 / E06000059 / boom: cell" in text and "E0600005X" in text
    assert text.endswith("1 ok, 2 failed, 0 skipped")
    again = pipeline.execute(runs, workers=2, progress=False, resume=True, render=False)
    assert {r["area"]: r["status"] for r in again} == {"E06000058": "skipped", "E06000059": "failed",
                                                       "E0600005X": "failed"}


def test_cli_batch_with_a_bad_area_runs_the_rest_and_exits_1(returns_store, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", "--db", str(returns_store), "--out", str(out), "--quiet", "--notebook", "progress_report",
                 "--area", "E06000058", "--area", "no-such-area"])
    text = capsys.readouterr().out
    assert code == 1
    assert "ok      2023/24 Q1 / E06000058 / progress_report" in text
    assert "FAILED  2023/24 Q1 / no-such-area / progress_report" in text
    assert (out / "2023-24-Q1" / "E06000058" / "progress_report.html").exists()
    summary = json.loads((out / "2023-24-Q1" / "batch_summary.json").read_text(encoding="utf-8"))
    assert summary["ok"] == 1 and summary["failed"] == 1


def needs_outputs(manifest):
    return manifest["runs"]["needs_assessment"]["outputs"]


@pytest.mark.parametrize("area", ["E06000058", "E06000059"])
def test_two_areas_tables_workbook_word_and_manifest(two_area_reports, area):
    import csv

    import docx
    from bs4 import BeautifulSoup
    from openpyxl import load_workbook

    folder = two_area_reports / area
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["runs"]) == {"progress_report", "needs_assessment"}
    for run in manifest["runs"].values():
        assert run["parameters"]["area"] == area
        files = {i["file"] for i in run["inputs"]}
        assert "raw/ons_drug_deaths/original/2021localauthorities.xlsx" in files
        assert all(len(i["sha256"]) == 64 for i in run["inputs"])
    # each notebook's own outputs survive the other's run (the folder is replaced whole)
    for run in manifest["runs"].values():
        assert all((folder / o).exists() for o in run["outputs"])
    assert "figures/outcomes_change.svg" in manifest["runs"]["progress_report"]["outputs"]
    assert "figures/outcomes_change.svg" not in needs_outputs(manifest)
    log = (folder / "run.log").read_text(encoding="utf-8")
    assert " progress_report: parameters " in log and " needs_assessment: parameters " in log
    needs = manifest["runs"]["needs_assessment"]
    assert "tables.xlsx" in needs["outputs"] and any(o.startswith("figures/") for o in needs["outputs"])
    # the tables behind the appendix: the area's own registered deaths, as published by ONS
    with open(folder / "tables" / "deaths_misuse_asmr.csv", newline="", encoding="utf-8") as fh:
        rows = {r["Area"]: r for r in csv.DictReader(fh)}
    expected = {"E06000058": ("Bournemouth, Christchurch and Poole", "77", "6.8"), "E06000059": ("Dorset", "55", "5.3")}
    name, deaths, rate = expected[area]
    assert rows[name]["Deaths (3 years)"] == deaths and float(rows[name]["Rate per 100,000"]) == float(rate)
    # accessible workbook: cover, contents, notes, one table per sheet
    wb = load_workbook(folder / "tables.xlsx", read_only=True)
    assert wb.sheetnames[:3] == ["Cover", "Contents", "Notes"] and len(wb.sheetnames) >= 5
    # HTML: every image has alt text; Word: every image has a description, real headings
    for stem in ("progress_report", "needs_assessment"):
        soup = BeautifulSoup((folder / f"{stem}.html").read_text(encoding="utf-8"), "html.parser")
        imgs = soup.find_all("img")
        assert imgs and all(i.get("alt", "").strip() for i in imgs)
        doc = docx.Document(str(folder / f"{stem}.docx"))
        descr = [el.get("descr") for el in doc.element.body.iter() if el.tag.endswith("}docPr")]
        assert descr and all(d and d.strip() for d in descr)
        assert any(p.style.name.startswith("Heading") for p in doc.paragraphs)


def test_rerunning_one_notebook_keeps_the_others_outputs(two_area_reports, full_store, tmp_path):
    import shutil

    out = tmp_path / "reports"
    shutil.copytree(two_area_reports, out / "2023-24-Q1")
    folder = out / "2023-24-Q1" / "E06000058"
    before = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["runs"]["needs_assessment"]
    assert main(["run", "--db", str(full_store), "--out", str(out), "--quiet", "--notebook", "progress_report",
                 "--area", "E06000058"]) == 0
    after = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["runs"]
    assert after["needs_assessment"] == before
    for run in after.values():
        assert all((folder / o).exists() for o in run["outputs"]), run["outputs"]


def test_word_title_once(two_area_reports):
    import docx

    doc = docx.Document(str(two_area_reports / "E06000058" / "needs_assessment.docx"))
    title = doc.core_properties.title
    assert title and doc.core_properties.language == "en-GB"
    assert [p.text for p in doc.paragraphs if p.text == title] == [title]  # the Title, not repeated as Heading 1


def test_kernels_use_private_ipc_sockets_not_tcp(tmp_path):
    import os

    import papermill

    from cdp_analysis._kernel import kernel_manager_class

    if os.name != "posix":
        pytest.skip("ipc transport is POSIX only")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import json, ipykernel.connect as c\n"
        "info = json.load(open(c.get_connection_file()))\n"
        "print(info['transport'], info['ip'])")]
    nb.metadata["kernelspec"] = {"name": "cdp-analysis", "display_name": "cdp", "language": "python"}
    src, out = tmp_path / "t.ipynb", tmp_path / "o.ipynb"
    nbformat.write(nb, src)
    papermill.execute_notebook(str(src), str(out), kernel_name="cdp-analysis", language="python",
                               progress_bar=False, kernel_manager_class=kernel_manager_class())
    text = nbformat.read(out, as_version=4).cells[0].outputs[0]["text"]
    transport, ip = text.split()
    assert transport == "ipc" and os.path.basename(os.path.dirname(ip)).startswith("cdpk-")
    assert not os.path.exists(os.path.dirname(ip))  # the private folder is removed with the kernel


def test_finished_kernels_are_shut_down_without_an_interrupt(tmp_path):
    # jupyter_client sends SIGINT to every kernel it shuts down, and an idle ipykernel then
    # prints "KeyboardInterrupt caught in kernel" into the batch's output. Ours does not send
    # it once shutting down; an interrupt asked for during a run still arrives.
    import asyncio
    import os
    import time

    from cdp_analysis._kernel import IPCKernelManager

    if os.name != "posix":
        pytest.skip("signals are POSIX only")

    async def scenario(shutting_down: bool, flag: str) -> bool:
        km = IPCKernelManager(kernel_name="cdp-analysis")
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            # once idle, the kernel records a SIGINT in a file (ipykernel puts back the handler it
            # saved before the cell: make that ours)
            await kc.execute_interactive(
                f"get_ipython().kernel.saved_sigint_handler = lambda *a: open({flag!r}, 'w').write('x')",
                timeout=30)
            km.shutting_down = shutting_down
            await km._async_interrupt_kernel()
            deadline = time.monotonic() + 3
            while not os.path.exists(flag) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            return os.path.exists(flag)
        finally:
            kc.stop_channels()
            km.shutting_down = False
            await km.shutdown_kernel(now=True)

    assert asyncio.run(scenario(False, str(tmp_path / "during_run"))) is True
    assert asyncio.run(scenario(True, str(tmp_path / "at_shutdown"))) is False
