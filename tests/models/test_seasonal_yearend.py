"""Seasonal year-end projections: the rule chosen, hand checks, coverage on a constructed seasonal series."""

from __future__ import annotations

import numpy as np
import pytest

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.models.seasonal_yearend import project_year_end_seasonal

SEASON = np.array([1.4, 1.3, 1.1, 0.9, 0.8, 0.7, 0.7, 0.8, 0.9, 1.0, 1.2, 1.2])


def test_run_rate_without_two_complete_years_says_so_and_matches_hand_calculation():
    y = np.r_[np.full(12, 20.0), [30, 25, 35]]  # one complete year, then 90 in three months
    p = project_year_end_seasonal(y, 3)
    assert p.rule == "run rate" and p.mean == 360  # 90 x 12/3
    assert "fewer than 2 complete years" in p.summary() and "every month is average" in p.summary()
    # gamma-Poisson remainder NB(X + 1/2, s) with s = 3/12 (docs/references/forecasting.md 3.2), its quantiles by scipy
    from scipy.stats import nbinom

    assert p.lower_95 == pytest.approx(90 + nbinom.ppf(0.025, 90.5, 0.25), rel=0.015)
    assert p.upper_95 == pytest.approx(90 + nbinom.ppf(0.975, 90.5, 0.25), rel=0.015)


def test_seasonal_rule_follows_the_season_where_the_run_rate_does_not():
    # a strongly seasonal series with no noise beyond Poisson: January-March run 40% above average
    rng = np.random.default_rng(3)
    y = rng.poisson(np.tile(SEASON, 3) * 40).astype(float)
    hist = y[:27]  # two complete years, then January-March
    actual = y[24:].sum()
    s = project_year_end_seasonal(hist, 3)
    r = project_year_end_seasonal(hist, 3, rule="run rate")
    assert s.rule == "seasonal" and "2 complete years" in s.reason
    # by hand: the year to date over the usual January-March share of the year
    share = SEASON[:3].sum() / SEASON.sum()
    assert s.mean == pytest.approx(hist[-3:].sum() / share, rel=0.08)
    assert abs(s.mean - actual) < abs(r.mean - actual)
    assert r.mean == pytest.approx(hist[-3:].sum() * 4)


def test_seasonal_intervals_cover_at_about_their_level_on_constructed_series():
    rng = np.random.default_rng(11)
    hits80 = hits95 = 0
    n = 120
    for i in range(n):
        mu = np.tile(SEASON, 3) * 15 * np.exp(0.004 * np.arange(36))
        y = rng.poisson(mu).astype(float)
        k = int(rng.integers(1, 12))
        p = project_year_end_seasonal(y[: 24 + k], k, n_draws=1000, seed=i)
        actual = y[24:].sum()
        hits80 += p.lower_80 <= actual <= p.upper_80
        hits95 += p.lower_95 <= actual <= p.upper_95
    assert 0.70 <= hits80 / n <= 0.92
    assert 0.89 <= hits95 / n <= 0.995


def test_quarterly_and_errors():
    y = np.r_[np.tile([30.0, 20, 25, 35], 2), [32.0]]
    assert project_year_end_seasonal(y, 1, periods_per_year=4).rule == "seasonal"
    with pytest.raises(CdpInputError):
        project_year_end_seasonal(y[:-1], 1, periods_per_year=4)  # does not end with the current year's quarter
    with pytest.raises(CdpInputError):
        project_year_end_seasonal(y[4:], 1, periods_per_year=4, rule="seasonal")  # one complete year only
    with pytest.raises(CdpParameterError):
        project_year_end_seasonal(y, 4, periods_per_year=4)
    with pytest.raises(CdpInputError):
        project_year_end_seasonal(np.r_[y[:-1], -1.0], 1, periods_per_year=4)


def test_police_projection_uses_the_seasonal_rule_with_two_complete_years():
    import pandas as pd

    from cdp_analysis import needs

    rng = np.random.default_rng(2)
    months = [f"{y}-{k:02d}" for y in (2023, 2024, 2025) for k in range(1, 13)] + ["2026-01", "2026-02", "2026-03"]
    n = rng.poisson(np.tile(SEASON, 4)[: len(months)] * 30)
    mon = pd.DataFrame({"metric_id": "police_uk_drugs", "month": months, "n": n.astype(float)})
    pr = needs.police_year_end_projection(mon, "police_uk_drugs")
    assert pr.method.startswith("seasonal") and "2 complete years" in pr.method  # the latest two
    by_hand = project_year_end_seasonal(n[12:].astype(float), 3)
    assert pr.projection == by_hand.mean and pr.upper == by_hand.upper_95
    short = mon[mon["month"] >= "2025-01"]  # one complete year: not the seasonal GLM
    assert "Poisson GLM" not in needs.police_year_end_projection(short, "police_uk_drugs").method
