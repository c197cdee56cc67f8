"""Proven-reoffending forecasts: MoJ's national cohorts, hand-built cohorts and a local returns fixture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import CdpInputError
from cdp_analysis.models.reoffending import cohort_table, forecast_reoffending

ROOT = Path(__file__).resolve().parents[2]
MOJ = ROOT / "data/raw/reoffending/proven_reoffending_data.csv"
FIXTURE = Path(__file__).parent / "fixtures" / "returns_reoffending_bcp.csv"


def _quarters(n, first=2015):
    return [f"{y}/{str(y + 1)[2:]} Q{k}" for y in range(first, first + 10) for k in range(1, 5)][:n]


def _rows(x, n, periods):
    return pd.concat([pd.DataFrame({"metric_id": "reoffending_cohort", "period": periods, "value": n}),
                      pd.DataFrame({"metric_id": "reoffenders", "period": periods, "value": x})])


@pytest.fixture(scope="module")
def national():
    from cdp_analysis.data.sources import moj_reoffending

    return moj_reoffending.read(MOJ)


def test_national_cohorts_reproduce_the_published_rates(national):
    t = cohort_table(national[national["age"] == "all"], unit="quarter")
    # MoJ's calendar quarters become financial quarters: January-March 2014 is 2013/14 Q4
    last = t.iloc[-1]
    assert last["period"] == "2013/14 Q4"
    assert last["cohort"] == 148879 and last["reoffenders"] == 45507
    pub = national[(national["age"] == "all") & (national["metric_id"] == "proven_reoffending_rate")
                   & (national["period"] == "2014-01..2014-03")]["value"].iloc[0]
    assert last["rate"] == pytest.approx(pub, abs=1e-6)  # the published binary rate, 30.566433
    annual = cohort_table(national[national["age"] == "adult"], unit="year")
    assert annual["period"].iloc[-1] == "2013/14" and len(annual) == 12


def test_national_forecast_skips_the_2001_gap_and_states_the_age(national):
    f = forecast_reoffending(national[national["age"] == "adult"], 4, unit="quarter", as_of="2023/24 Q1")
    assert f.cohorts["period"].iloc[0] == "2001/02 Q4"  # the latest consecutive run (2001's cohorts are missing)
    assert f.forecast["period"].tolist() == ["2014/15 Q1", "2014/15 Q2", "2014/15 Q3", "2014/15 Q4"]
    assert (f.forecast["status"] == "[f]").all()
    fc = f.forecast.iloc[0]
    assert fc["lower_95"] < fc["lower_80"] < fc["mean"] < fc["upper_80"] < fc["upper_95"]
    assert f.years_old == 9 and "9 years before the reporting period" in f.summary()
    assert f.dispersion > 1 and f.n_checks == 20
    assert 25 < fc["mean"] < 35


def test_interval_holds_the_binomial_noise_of_a_cohort_of_the_expected_size():
    # a flat 30% rate in cohorts of 500: the next published rate varies by +-1.96 sqrt(.3 .7 / 500) = 4.0 points
    # from binomial noise alone, so the 95% interval must be at least about that wide
    rng = np.random.default_rng(4)
    per = _quarters(16)
    x = rng.binomial(500, 0.30, 16).astype(float)
    f = forecast_reoffending(_rows(x, np.full(16, 500.0), per), 1)
    width = f.forecast["upper_95"].iloc[0] - f.forecast["lower_95"].iloc[0]
    assert width >= 0.9 * 2 * 1.96 * np.sqrt(0.3 * 0.7 / 500) * 100
    assert abs(f.forecast["mean"].iloc[0] - 30) < 4


def test_over_dispersed_cohorts_widen_the_interval_beyond_binomial():
    # cohort rates that wander (beta-binomial with phi about 6): the 95% interval must reflect phi, not binomial
    rng = np.random.default_rng(8)
    per = _quarters(16)
    n = np.full(16, 800.0)
    rho = (6 - 1) / (800 - 1)
    s = 1 / rho - 1
    p = rng.beta(0.3 * s, 0.7 * s, 16)
    x = rng.binomial(800, p).astype(float)
    f = forecast_reoffending(_rows(x, n, per), 1)
    assert f.dispersion > 2
    width = (f.forecast["upper_95"] - f.forecast["lower_95"]).iloc[0] / 100
    binom = 2 * 1.96 * np.sqrt(0.3 * 0.7 / 800)
    assert width > 1.3 * binom


def test_local_returns_fixture_gives_a_local_forecast():
    from cdp_analysis.data.returns import read_returns

    r = read_returns(FIXTURE, partnership="pan-dorset")
    f = forecast_reoffending(r, 4, as_of="2023/24 Q1")
    by_hand = r[r["metric_id"] == "reoffenders"]["value"].sum() / r[r["metric_id"] == "reoffending_cohort"][
        "value"].sum()
    assert f.cohorts["rate"].mean() == pytest.approx(100 * by_hand, abs=1.5)
    assert f.forecast["period"].iloc[0] == "2023/24 Q1" and f.years_old == 0
    assert "less than a year" in f.summary()


def test_bad_rows_are_refused():
    per = _quarters(12)
    with pytest.raises(CdpInputError):
        cohort_table(_rows(np.full(12, 600.0), np.full(12, 500.0), per))  # reoffenders above the cohort
    with pytest.raises(CdpInputError):
        forecast_reoffending(_rows(np.full(8, 100.0), np.full(8, 500.0), per[:8]), 1)  # too few cohorts
    mixed = _rows(np.full(12, 100.0), np.full(12, 500.0), per).assign(area_code=["A", "B"] * 12)
    with pytest.raises(CdpInputError):
        cohort_table(mixed)
