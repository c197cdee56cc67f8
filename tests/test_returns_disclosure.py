"""Local returns with counts of 1 to 4: the progress report hides them and everything derived.

The fixture (``tests/data/returns_small/rutland_small.csv``, constructed) holds 2 county lines
arrests in a quarter (printed as 8 projected), a last year of 3 neighbourhood crimes, 3
adults and 2 young people in treatment against targets, 1 rehab placement, and local
drug-related deaths of 1 and 4. Local returns are suppressed whatever the published-counts
policy. The fast tests read the sections' Markdown; the slow one runs the real batch and
reads the Word file (python-docx) and the HTML.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from cdp_analysis.metrics import metrics
from cdp_analysis.periods import Period
from cdp_analysis.progress import ProgressContext
from cdp_analysis.report import progress_sections as ps
from cdp_analysis.report.disclosure_check import scan_outputs, scan_text
from cdp_analysis.report.items import markdown
from tests.tests_support import ROOT

FIXTURE = ROOT / "tests" / "data" / "returns_small" / "rutland_small.csv"


@pytest.fixture
def ctx(monkeypatch):
    monkeypatch.setenv("CDP_PUBLISHED_COUNTS", "show")  # local returns stay suppressed whatever the policy
    returns = pd.read_csv(FIXTURE, dtype={"period": str, "status": str, "target_period": str})
    returns["status"] = returns["status"].fillna("")
    return ProgressContext("E06000017", "Rutland", Period.parse("2023/24 Q1"), ["E06000017"], returns, metrics())


def _cells(md: str, first: str) -> list[str]:
    row = next(line for line in md.splitlines() if line.startswith(f"| {first} "))
    return [re.sub(r"\\(.)", r"\1", c.strip()) for c in row.strip("|").split("|")]  # as rendered (escapes off)


def test_projection_interval_and_change_of_a_small_count_are_hidden(ctx):
    md = markdown(ps.outcomes_section(ctx))
    cells = _cells(md, "County lines arrests")
    # to date 2 -> projected 8 (2 / 0.25): every figure from the 2 is [c], last year's 9 stays
    assert cells[2:] == ["[c] (2023/24 Q1)", "[c] (2023/24)", "[c]", "9 (2022/23)", "[c]"]
    # the printed report's projection (8) and change (-11.1%) would give it away too
    printed = [line for line in md.splitlines() if line.startswith("| County lines arrests ")][1]
    assert _cells(printed.replace("| County lines arrests ", "| X ", 1), "X")[2:] == ["[c]", "[c]"]
    assert not re.search(r"\b8\b", md) and "-11.1" not in md


def test_targets_hide_the_latest_count_and_the_change_needed(ctx):
    md = markdown(ps.treatment_section(ctx))
    for measure in ("Adults in drug and alcohol treatment", "Young people in drug and alcohol treatment"):
        cells = _cells(md, measure)
        assert cells[2].startswith("[c]") and cells[4] == "[c]"  # target 6 minus 3 would give the 3 away
    assert "+3" not in md and "+2" not in md


def test_other_figures_and_small_last_year_hidden(ctx):
    treatment = markdown(ps.other_figures_section(ctx, "treatment"))
    assert _cells(treatment, "Residential rehabilitation placements")[3] == "[c]"
    enforcement = markdown(ps.other_figures_section(ctx, "enforcement"))
    assert "| 3 |" not in enforcement


def test_local_deaths_comparison_withheld(ctx):
    text = markdown(ps.deaths_section(ctx))
    assert "[c]" in text and not re.search(r"\b[14] deaths?\b", text)
    assert "against 1" not in text and scan_text(text) == []
    summary = markdown(ps.summary_section(ctx))
    assert scan_text(summary) == [] and "[c]" in summary and "on course for 8" not in summary


def test_large_figures_are_untouched(ctx):
    # neighbourhood crimes to date (40) and its projection are shown; only its small last year is hidden
    cells = _cells(markdown(ps.outcomes_section(ctx)), "Neighbourhood crimes")
    assert cells[2].startswith("40 ")


@pytest.mark.slow
def test_progress_report_outputs_reveal_no_small_local_count(tmp_path):
    import shutil

    import docx

    from cdp_analysis import pipeline
    from cdp_analysis.data.store import ingest
    from tests.tests_support import data_folder

    data = data_folder(tmp_path)
    (data / "returns").mkdir()
    shutil.copy(FIXTURE, data / "returns" / FIXTURE.name)
    db = tmp_path / "cdp.duckdb"
    ingest(data, db)
    runs = pipeline.plan(["2023/24 Q1"], ["E06000017"], ["progress_report"], out=tmp_path / "out", db=db)
    assert [r["status"] for r in pipeline.execute(runs, workers=1, progress=False)] == ["ok"]
    folder = tmp_path / "out" / "2023-24-Q1" / "E06000017"
    assert scan_outputs(folder).empty
    doc = docx.Document(str(folder / "progress_report.docx"))
    rows = {r.cells[0].text: [c.text for c in r.cells] for t in doc.tables for r in t.rows}
    arrests = [[c.text for c in r.cells] for t in doc.tables for r in t.rows if r.cells[0].text == "County lines arrests"]
    assert arrests[0][2:5] == ["[c] (2023/24 Q1)", "[c] (2023/24)", "[c]"]
    assert arrests[1][2:] == ["[c]", "[c]"]  # the printed projection and change
    assert rows["Adults in drug and alcohol treatment"][2] == "[c] (2022/23)"
    assert rows["Residential rehabilitation placements"][3] == "[c]"
    text = "\n".join(p.text for p in doc.paragraphs)
    assert scan_text(text) == [] and "against 1 in 2021" not in text
    html = (folder / "progress_report.html").read_text(encoding="utf-8")
    assert "[c]" in html and "4 deaths in 2022" not in html


def test_needs_treatment_targets_hide_small_local_counts():
    from cdp_analysis.needs import treatment_targets

    returns = pd.read_csv(FIXTURE, dtype={"period": str, "status": str, "target_period": str})
    t = treatment_targets(returns, metrics(), ["E06000017"], Period.parse("2023/24 Q1"))
    assert t["value_status"].tolist() == ["c", "c"]
    assert t[["value", "change_needed", "expected_now"]].isna().all().all()
    assert t["target"].tolist() == [6.0, 4.0]  # targets are not counts of people: shown


@pytest.mark.slow
def test_needs_appendix_with_small_local_returns(tmp_path):
    import shutil

    import docx

    from cdp_analysis import pipeline
    from cdp_analysis.data.store import ingest
    from tests.tests_support import DATA

    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.duckdb", "*.py"))
    shutil.copy(FIXTURE, data / "returns" / FIXTURE.name)
    db = tmp_path / "cdp.duckdb"
    ingest(data, db)
    runs = pipeline.plan(["2023/24 Q1"], ["E06000017"], ["needs_assessment"], out=tmp_path / "out", db=db)
    assert [r["status"] for r in pipeline.execute(runs, workers=1, progress=False)] == ["ok"]
    folder = tmp_path / "out" / "2023-24-Q1" / "E06000017"
    assert scan_outputs(folder).empty
    doc = docx.Document(str(folder / "needs_assessment.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Rutland: [c] in 2022/23" in text and "3 in 2022/23" not in text
    rows = {r.cells[0].text: [c.text for c in r.cells] for t in doc.tables for r in t.rows}
    assert rows["Adults in drug and alcohol treatment"][2] == "[c] (2022/23)"
