"""Year-end projection: the seed report's figures, and the predictive ranges checked independently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.indicators import project_year_end
from cdp_analysis.indicators.projection import _bnb_cdf, _bnb_ppf

REL = 1e-9


# ------------------------------------------------------------------ the July 2023 report
def test_seed_report_projections() -> None:
    q1 = project_year_end([38, 259], "2023/24 Q1")
    assert q1.projection.tolist() == [152.0, 1036.0]
    assert q1.fraction_elapsed.tolist() == [0.25, 0.25]
    assert (q1.method == "run_rate").all()
    half = project_year_end(101, "2023-01..2023-06", year_basis="calendar").iloc[0]
    assert half.projection == 202.0 and half.fraction_elapsed == 0.5
    cash = project_year_end(23_756, "2023/24 Q1", unit="currency").iloc[0]
    assert cash.projection == 95_024.0  # the report printed 94,304 (23,576 x 4)
    assert cash.projection != 94_304
    assert cash.method == "run_rate (no interval)"
    assert np.isnan(cash.lower) and np.isnan(cash.upper)
    assert (q1.status == "f").all()


def test_ranges_match_the_research_note() -> None:
    # forecasting research §3.2: 38 in Q1 -> 115-199; 118 by end of Q3 -> 144-172
    r = project_year_end([38, 118], ["2023/24 Q1", "2023/24 Q3"])
    assert r[["lower", "upper"]].to_numpy().tolist() == [[115, 199], [144, 172]]


# --------------------------------------------------------------- the gamma-Poisson range
def _gamma_poisson_cdf(k: float, x: float, s: float) -> float:
    """P(remainder <= k) by integrating Poisson(lambda (1 - s)) over the Gamma(x + 1/2, s) posterior."""
    post = stats.gamma(x + 0.5, scale=1 / s)
    lo, hi = post.ppf(1e-12), post.ppf(1 - 1e-12)
    val, _ = integrate.quad(
        lambda lam: stats.poisson.cdf(k, lam * (1 - s)) * post.pdf(lam), lo, hi, limit=200
    )
    return val


@pytest.mark.parametrize(
    "x, period", [(38, "2023/24 Q1"), (0, "2023/24 Q2"), (7, "2023-04"), (259, "2023/24 Q3")]
)
def test_run_rate_range_is_the_gamma_poisson_quantile(x: int, period: str) -> None:
    r = project_year_end(x, period).iloc[0]
    s = r.fraction_elapsed
    assert r.projection == pytest.approx(x / s, rel=REL)
    lo_k, hi_k = r.lower - x, r.upper - x
    # equal-tailed quantiles: the cdf crosses 2.5% at lo_k and 97.5% at hi_k
    assert _gamma_poisson_cdf(lo_k, x, s) >= 0.025 - 1e-7
    if lo_k > 0:
        assert _gamma_poisson_cdf(lo_k - 1, x, s) < 0.025
    assert _gamma_poisson_cdf(hi_k, x, s) >= 0.975 - 1e-7
    assert _gamma_poisson_cdf(hi_k - 1, x, s) < 0.975


def test_run_rate_range_covers_about_95_percent_of_simulated_years() -> None:
    rng = np.random.default_rng(20230701)
    rate = 150.0
    first = rng.poisson(rate * 0.25, 3000)
    rest = rng.poisson(rate * 0.75, 3000)
    r = project_year_end(first, "2023/24 Q1")
    inside = (r.lower.to_numpy() <= first + rest) & (first + rest <= r.upper.to_numpy())
    assert 0.93 <= inside.mean() <= 0.985


def test_zero_to_date_has_a_valid_range() -> None:
    r = project_year_end(0, "2023/24 Q1").iloc[0]
    assert r.projection == 0 and r.lower == 0 and r.upper > 0


def test_full_year_is_the_actual_value() -> None:
    r = project_year_end(80, "2022/23").iloc[0]
    assert (r.projection, r.lower, r.upper, r.method) == (80, 80, 80, "actual (full year)")


# ----------------------------------------------------------------------- seasonal share
def test_beta_negative_binomial_matches_scipy_for_whole_r() -> None:
    r = np.array([3.0, 12.0, 40.0])
    a = np.array([30.5, 112.5, 20.0])
    b = np.array([90.5, 337.5, 70.0])
    ks = np.array([5.0, 30.0, 150.0])
    got = _bnb_cdf(ks, r, a, b)
    want = stats.betanbinom.cdf(ks, r, a, b)
    np.testing.assert_allclose(got, want, rtol=1e-9)
    q = _bnb_ppf(0.975, r, a, b)
    np.testing.assert_array_equal(q, stats.betanbinom.ppf(0.975, r, a, b))


def test_seasonal_range_matches_simulation() -> None:
    hist = pd.DataFrame({"to_date": [37, 38, 38], "full_year": [150, 150, 150]})
    r = project_year_end(38, "2023/24 Q1", history=hist).iloc[0]
    assert r.method == "seasonal"
    assert r.share == pytest.approx(113 / 450, rel=REL)
    assert r.projection == pytest.approx(38 * 450 / 113, rel=REL)
    assert (r.lower, r.upper) == (110, 208)  # research note §3.2: 110-208
    # independent: simulate share ~ Beta, rate ~ Gamma, remainder ~ Poisson
    rng = np.random.default_rng(1)
    share = rng.beta(113.5, 337.5, 400_000)
    lam = rng.gamma(38.5, 1 / share)
    total = 38 + rng.poisson(lam * (1 - share))
    assert abs(np.mean(total < r.lower) - 0.025) < 0.003
    assert abs(np.mean(total > r.upper) - 0.025) < 0.003
    # wider than the plain run rate, which ignores the share's uncertainty
    plain = project_year_end(38, "2023/24 Q1").iloc[0]
    assert r.upper - r.lower > plain.upper - plain.lower


def _monthly(years: list[int], per_month: list[list[float]]) -> pd.DataFrame:
    rows = []
    for fy, vals in zip(years, per_month, strict=True):
        for i, v in enumerate(vals):
            month = (3 + i) % 12 + 1
            year = fy if month >= 4 else fy + 1
            rows.append({"period": f"{year}-{month:02d}", "value": v})
    return pd.DataFrame(rows)


def test_seasonal_share_from_monthly_history() -> None:
    y19 = [5] * 12
    y20 = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    y21 = [10, 10, 10, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    y22 = [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]
    current = [9, 9]  # 2023/24 so far: ignored (not a complete past year)
    hist = _monthly([2019, 2020, 2021, 2022, 2023], [y19, y20, y21, y22, current + [0] * 0])
    r = project_year_end(40, "2023/24 Q2", history=hist).iloc[0]
    # last three complete years are 2020/21..2022/23; six months to date
    td = sum(y20[:6]) + sum(y21[:6]) + sum(y22[:6])
    full = sum(y20) + sum(y21) + sum(y22)
    assert r.share == pytest.approx(td / full, rel=REL)
    assert r.projection == pytest.approx(40 * full / td, rel=REL)
    assert r.lower <= r.projection <= r.upper
    # the yearly shares vary far more than binomial noise: the range is inflated
    assert "dispersion" in r.note and "dispersion 1.00" not in r.note


def test_quarterly_history_and_a_straddling_quarter() -> None:
    hist = pd.Series(
        [30, 40, 40, 30, 35, 45, 40, 30],
        index=[f"{y}/{(y + 1) % 100:02d} Q{q}" for y in (2021, 2022) for q in (1, 2, 3, 4)],
    )
    r = project_year_end(50, "2023/24 Q2", history=hist).iloc[0]
    assert r.share == pytest.approx((70 + 80) / (140 + 150), rel=REL)
    with pytest.raises(CdpInputError, match="straddles"):
        project_year_end(20, "2023-05", history=hist)


def test_money_interval_from_the_spread_of_history() -> None:
    hist = pd.DataFrame(
        {"to_date": [20_000.0, 15_000.0, 18_000.0], "full_year": [70_000.0, 68_000.0, 69_000.0]}
    )
    r = project_year_end(23_756, "2023/24 Q1", unit="currency", history=hist).iloc[0]
    s_bar = 53_000 / 207_000
    m = np.log(hist.full_year / hist.to_date)
    half = stats.t.ppf(0.975, 2) * np.std(m, ddof=1) * np.sqrt(1 + 1 / 3)
    assert r.projection == pytest.approx(23_756 / s_bar, rel=REL)
    assert r.lower == pytest.approx(23_756 / s_bar * np.exp(-half), rel=REL)
    assert r.upper == pytest.approx(23_756 / s_bar * np.exp(half), rel=REL)
    one = project_year_end(23_756, "2023/24 Q1", unit="money", history=hist.iloc[:1]).iloc[0]
    assert one.method == "seasonal (no interval)" and np.isnan(one.lower)


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("value", [-1, np.nan, 2.5])
def test_bad_counts(value: float) -> None:
    with pytest.raises(CdpInputError):
        project_year_end(value, "2023/24 Q1")


def test_bad_rows_are_named() -> None:
    with pytest.raises(CdpInputError, match="Dorset"):
        project_year_end(pd.Series([3, -2], index=["BCP", "Dorset"]), "2023/24 Q1")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"period": "2023/24 Q5"},
        {"period": "2023-01..2023-06"},  # straddles two financial years
        {"unit": "percent"},
        {"unit": "furlongs"},
        {"confidence": 1.5},
        {"year_basis": "academic"},
    ],
)
def test_bad_parameters(kwargs: dict) -> None:
    with pytest.raises(CdpParameterError):
        project_year_end(10, **{"period": "2023/24 Q1", **kwargs})


def test_bad_history() -> None:
    with pytest.raises(CdpInputError):
        project_year_end(10, "2023/24 Q1", history=pd.DataFrame({"a": [1]}))
    with pytest.raises(CdpInputError):
        project_year_end(10, "2023/24 Q1", history=pd.DataFrame({"to_date": [50], "full_year": [40]}))
    with pytest.raises(CdpInputError, match="complete"):
        project_year_end(10, "2023/24 Q1", history=pd.Series([3.0], index=["2022-04"]))
