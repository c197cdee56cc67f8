"""The appendix's reoffending section: the national forecast [f] with its backtest and age, and a local
forecast from a returns file that holds a partnership's own cohorts (tests/models/fixtures, invented figures)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from tests_support import DATA

from cdp_analysis import needs
from cdp_analysis.data.store import ingest
from cdp_analysis.report.items import Md, Table
from cdp_analysis.report.needs_sections import reoffending_section

FIXTURE = Path(__file__).parent / "models" / "fixtures" / "returns_reoffending_bcp.csv"


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("reoffending_store")
    data = root / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.duckdb", "*.duckdb.wal", "__pycache__"))
    ret = data / "returns" / "pan_dorset.csv"
    extra = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    base = pd.read_csv(ret, dtype=str, keep_default_na=False)
    pd.concat([base, extra], ignore_index=True).to_csv(ret, index=False)
    db = root / "cdp.duckdb"
    ingest(data, db)
    return db


def _text(items) -> str:
    return "\n".join(i.text for i in items if isinstance(i, Md))


@pytest.mark.parametrize("area", ["pan-dorset", "E06000058", "E06000059", "E08000025"])
def test_national_forecast_marked_with_backtest_and_age(db, area):
    ctx = needs.load_context(area, "2023/24 Q1", db=str(db), include_forecast=False)
    items = reoffending_section(ctx)
    text = _text(items)
    assert "Forecast [f], England and Wales" in text
    assert "mean absolute scaled error" in text and "95% intervals held" in text
    assert "ended 9 years before the reporting period" in text  # the national series ends with Jan-Mar 2014
    nat = [i for i in items if isinstance(i, Table) and i.name == "reoffending_forecast_national"][0]
    assert nat.df["Cohort"].tolist() == ["2014/15 Q1", "2014/15 Q2", "2014/15 Q3", "2014/15 Q4"]
    assert (nat.df["Status"] == "[f]").all()


def test_local_returns_give_a_local_forecast(db):
    ctx = needs.load_context("pan-dorset", "2023/24 Q1", db=str(db), include_forecast=False)
    items = reoffending_section(ctx)
    local = [i for i in items if isinstance(i, Table) and i.name == "reoffending_forecast_E06000058"]
    assert len(local) == 1 and local[0].df["Cohort"].iloc[0] == "2023/24 Q1"
    text = _text(items)
    assert "Forecast [f], Bournemouth, Christchurch and Poole" in text
    assert "less than a year before the reporting period" in text
    # Dorset has no local cohorts in the returns: no local forecast for it
    assert not [i for i in items if isinstance(i, Table) and i.name == "reoffending_forecast_E06000059"]
    birmingham = needs.load_context("E08000025", "2023/24 Q1", db=str(db), include_forecast=False)
    assert "no local reoffending figures" in _text(reoffending_section(birmingham))


def test_progress_report_forecasts_the_local_cohorts_on_the_same_footing(db):
    from cdp_analysis import progress
    from cdp_analysis.models.reoffending import forecast_reoffending
    from cdp_analysis.report import progress_sections as ps
    from cdp_analysis.report.items import markdown

    ctx = progress.load_context("pan-dorset", "2023/24 Q1", db=str(db))
    text = markdown(ps.reoffending_section(ctx))
    assert text.startswith("**Local proven reoffending, forecast [f].**")
    rows = ctx.returns[ctx.returns["area_code"] == "E06000058"]
    same = forecast_reoffending(rows, 4, as_of=ctx.period)
    assert same.summary() in text.replace("\\", "")
    birmingham = progress.load_context("E08000025", "2023/24 Q1", db=str(db))
    assert ps.reoffending_section(birmingham) == []
