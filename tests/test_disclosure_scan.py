"""End to end: no produced output reveals a suppressed count, and the scan catches a bypass.

Runs the needs-assessment appendix through the real batch for the areas with the smallest
death counts (Rutland E06000017 and the Isles of Scilly E06000053, the areas of issue 16,
and the Isle of Wight E06000046: 4 misuse deaths registered in 2015), then reads every
output as a reader gets it: the Word file with python-docx, the workbook with openpyxl,
the HTML (sentences, tables, alt text, the SVG inline), the figures and their drawn data,
and the independent scan. With the threshold deliberately lowered to 1 (suppression off),
the same scan must find the small counts.
"""

from __future__ import annotations

import json
import os

import pytest

from cdp_analysis import pipeline
from cdp_analysis.report.disclosure_check import scan_outputs, scan_text

pytestmark = pytest.mark.slow
AREAS = ["E06000046", "E06000017", "E06000053"]


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
    assert [r["status"] for r in results] == ["ok"] * len(AREAS), results
    return [out / "2023-24-Q1" / a for a in AREAS]


@pytest.fixture(scope="module")
def protected(full_store, tmp_path_factory):
    return _run(full_store, tmp_path_factory.mktemp("disclosure") / "reports", None)


def test_no_disclosive_figure_in_any_output(protected):
    suppressed = 0
    for folder in protected:
        findings = scan_outputs(folder)
        assert findings.empty, findings.to_string()
        for js in (folder / "tables").glob("*.json"):
            meta = json.loads(js.read_text(encoding="utf-8"))
            suppressed += sum(v["primary"] + v["secondary"] for v in meta.get("suppressed", {}).values())
        assert (folder / "tables.xlsx").exists() and list(folder.glob("*.docx")) and list(folder.glob("*.html"))
    assert suppressed > 0  # small counts were there, and were hidden
    html = (protected[1] / "needs_assessment.html").read_text(encoding="utf-8")
    assert "[c]" in html


def test_rutland_word_file_read_directly(protected):
    import docx

    doc = docx.Document(str(protected[1] / "needs_assessment.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "against 1 in 2020" not in text
    assert "from 2020 to 2021 is not shown" in text  # the change with a hidden count is withheld, and says why
    alts = [el.get("descr") or "" for el in doc.element.body.iter() if el.tag.endswith("}docPr")]
    deaths_alt = next(a for a in alts if a.startswith("Line chart of deaths registered"))
    assert "highest 2" not in deaths_alt and "Not shown [c]" in deaths_alt
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Year of registration")
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    hidden = [r for r in rows if r[1] == "[c]"]
    assert hidden and all(r[2] == r[3] == "[c]" for r in hidden)  # the interval goes with the count
    assert all(r[1] == "[c]" or r[1] == "0" or int(r[1]) >= 5 for r in rows)


def test_rutland_workbook_read_directly(protected):
    from openpyxl import load_workbook

    wb = load_workbook(protected[1] / "tables.xlsx", read_only=True)
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        for i, row in enumerate(rows):
            if row and row[0] == "Year of registration":
                body = [r for r in rows[i + 1:] if r[0] is not None]
                assert any(r[1] == "[c]" for r in body)
                for r in body:
                    if r[1] == "[c]":
                        assert r[2] == r[3] == "[c]"
                    else:
                        assert r[1] == 0 or r[1] >= 5
            for v in row:
                if isinstance(v, str):
                    assert scan_text(v) == [], v
    wb.close()


def test_scilly_chart_draws_no_small_count(protected):
    side = json.loads((protected[2] / "figures" / "deaths_misuse_annual.json").read_text(encoding="utf-8"))
    line = side["axes"][0]["lines"][0]["y"]
    assert all(v is None or v == 0 or v >= 5 for v in line)
    assert "highest 1" not in side["alt"]


def test_scan_fails_when_the_threshold_is_bypassed(full_store, tmp_path):
    folders = _run(full_store, tmp_path / "reports", "1")
    findings = scan_outputs(folders[0])
    assert not findings.empty
    # the Isle of Wight's 4 deaths in 2015 is caught in every published form
    small = findings[findings["value"].astype(str).str.strip().isin(["4", "4.0"])]
    forms = {f.split(":")[0] for f in small["file"]}
    assert {"needs_assessment.html", "needs_assessment.docx", "tables.xlsx"} <= forms
    assert any(f.startswith("tables/") for f in forms)
    # and Rutland's sentence, alt text and chart give the small counts away when nothing is hidden
    kinds = set(scan_outputs(folders[1])["kind"])
    assert {"sentence", "alt text", "chart data"} <= kinds
