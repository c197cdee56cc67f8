"""End to end: no produced output shows a disclosive cell, and the scan catches a bypass.

Runs the needs-assessment appendix for two areas with small death counts (Isle of Wight:
4 misuse deaths registered in 2015; Rutland: single deaths) through the real batch, then
scans every published form of every table (CSV, workbook, HTML, Word) with the independent
checker. With the threshold deliberately lowered to 1 (suppression off), the same scan
must find the small counts.
"""

from __future__ import annotations

import json
import os

import pytest

from cdp_analysis import pipeline
from cdp_analysis.report.disclosure_check import scan_outputs

pytestmark = pytest.mark.slow
AREAS = ["E06000046", "E06000017"]


def _run(db, out, threshold: str | None):
    old = os.environ.get("CDP_DISCLOSURE_THRESHOLD")
    if threshold is not None:
        os.environ["CDP_DISCLOSURE_THRESHOLD"] = threshold
    try:
        runs = pipeline.plan(["2023/24 Q1"], AREAS, ["needs_assessment"], out=out, db=db)
        results = pipeline.execute(runs, workers=2, progress=False)
    finally:
        if old is None:
            os.environ.pop("CDP_DISCLOSURE_THRESHOLD", None)
        else:
            os.environ["CDP_DISCLOSURE_THRESHOLD"] = old
    assert [r["status"] for r in results] == ["ok", "ok"], results
    return [out / "2023-24-Q1" / a for a in AREAS]


def test_no_disclosive_cell_in_any_output(full_store, tmp_path):
    folders = _run(full_store, tmp_path / "reports", None)
    suppressed = 0
    for folder in folders:
        findings = scan_outputs(folder)
        assert findings.empty, findings.to_string()
        for js in (folder / "tables").glob("*.json"):
            meta = json.loads(js.read_text(encoding="utf-8"))
            suppressed += sum(v["primary"] + v["secondary"] for v in meta.get("suppressed", {}).values())
        assert (folder / "tables.xlsx").exists() and list(folder.glob("*.docx")) and list(folder.glob("*.html"))
    assert suppressed > 0  # small counts were there, and were hidden
    html = (folders[0] / "needs_assessment.html").read_text(encoding="utf-8")
    assert "[c]" in html


def test_scan_fails_when_the_threshold_is_bypassed(full_store, tmp_path):
    folders = _run(full_store, tmp_path / "reports", "1")
    findings = scan_outputs(folders[0])
    assert not findings.empty
    # the Isle of Wight's 4 deaths in 2015 is caught in every published form
    small = findings[findings["value"].astype(str).str.strip().isin(["4", "4.0"])]
    forms = {f.split(":")[0] for f in small["file"]}
    assert {"needs_assessment.html", "needs_assessment.docx", "tables.xlsx"} <= forms
    assert any(f.startswith("tables/") for f in forms)
