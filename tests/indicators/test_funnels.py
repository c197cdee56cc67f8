"""Funnel limits, significance and chart points: hand calculations and PHStatsMethods.

The peers find the Poisson limits by bisection (relative error up to ~5e-5); ours are
exact gamma quantiles, so the differential tests allow 1e-4 on those, and compare the
grid, baseline and proportion limits (closed form) at 1e-9.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cdp_analysis import indicators as ind
from cdp_analysis.errors import CdpInputError, CdpParameterError

REL = 1e-9
Z95 = 1.959963984540054
Z998 = 3.090232306167813


def test_proportion_limits_hand_calculation():
    df = pd.DataFrame({"x": [30, 45, 100], "n": [100, 150, 300]})
    lim = ind.funnel_limits(df, "x", "proportion", denominator="n")
    p = 175 / 550
    assert len(lim) == 100
    assert lim["denominator"].iloc[0] == 1 and lim["denominator"].iloc[-1] == 320  # ceil(1.05*300, 2 s.f.)
    N = lim["denominator"].to_numpy()
    assert np.all(np.diff(N) >= 1)
    np.testing.assert_allclose(lim["upper_99_8"], np.clip(p + Z998 * np.sqrt(p * (1 - p) / N), 0, 1) * 100, rtol=REL)
    np.testing.assert_allclose(lim["lower_95"], np.clip(p - Z95 * np.sqrt(p * (1 - p) / N), 0, 1) * 100, rtol=REL)
    assert lim["baseline"].iloc[0] == pytest.approx(p * 100, rel=REL)
    # narrow range: axis starts at 95% of the smallest, one significant digit
    lim2 = ind.funnel_limits(pd.DataFrame({"x": [50, 60], "n": [260, 400]}), "x", denominator="n")
    assert lim2["denominator"].iloc[0] == 200 and lim2["denominator"].iloc[-1] == 420


def test_ratio_limits_hand_calculation():
    df = pd.DataFrame({"o": [5, 20, 40], "e": [8.0, 15.0, 30.0]})
    lim = ind.funnel_limits(df, "o", "ratio", denominator="e", ratio_type="isr")
    # at O = 1: lower limit uses the mean with P(X <= 1) = 0.025, upper the mean with P(X >= 1) = 0.025,
    # i.e. mu = -ln(0.975) exactly
    row = lim.iloc[0]
    assert row["observed"] == 1
    assert row["upper_95_expected"] == pytest.approx(-math.log(0.975), rel=REL)
    assert row["upper_95"] == pytest.approx(100 / -math.log(0.975), rel=REL)
    from scipy.stats import poisson

    mu = row["lower_95_expected"]
    assert poisson.cdf(1, mu) == pytest.approx(0.025, rel=1e-9)
    count = ind.funnel_limits(df, "o", "ratio", denominator="e", ratio_type="count")
    assert count["lower_99_8"].iloc[5] == pytest.approx(lim["lower_99_8"].iloc[5] / 100 - 1, rel=REL)


def test_significance_hand_cases_and_points():
    df = pd.DataFrame({"o": [0, 5, 50, 30], "e": [4.0, 1.0, 30.0, 30.0]})
    sig = ind.funnel_significance(df, "o", "ratio", denominator="e")["significance"].tolist()
    # 0/4: exact upper of 0 is 3.689 < 4 -> low at 95%; 5/1: exact lower 1.62 > 1 and at 99.8% 0.739 < 1
    assert sig == ["Low (0.025)", "High (0.025)", "High (0.001)", "Not significant"]
    d = pd.DataFrame({"o": [25, 4, 300], "dsr": [12.5, 8.0, 30.0]})
    pts = ind.funnel_points(d, "o", "dsr", "dsr")
    assert pts["denominator_derived"].iloc[0] == pytest.approx(200_000, rel=REL)
    assert np.isnan(pts["dsr_chart"].iloc[1])
    sig = ind.funnel_significance(d, "o", "rate", rate="dsr", rate_type="dsr", multiplier=100_000)
    assert sig["significance"].iloc[1] == "Not applicable for events less than 10 for DSRs"
    crude = pd.DataFrame({"o": [0, 12], "r": [0.0, 10.0], "pop": [5000, 120_000]})
    pts = ind.funnel_points(crude, "o", "r", "crude", denominator="pop", years_of_data=2)
    assert pts["denominator_derived"].tolist() == [2500.0, 60_000.0]
    with pytest.raises(CdpInputError) as err:
        ind.funnel_points(crude, "o", "r", "crude")
    assert err.value.row == [0]
    with pytest.raises(CdpParameterError):
        ind.funnel_limits(df, "o", "ratio", denominator="e")  # no ratio_type


def _phs():
    return pytest.importorskip("PHStatsMethods")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_proportion_matches_phstatsmethods(seed):
    phs = _phs()
    rng = np.random.default_rng(seed)
    n = rng.integers(rng.integers(1, 900), 5000, 25)
    x = rng.binomial(n, rng.uniform(0.05, 0.9))
    x[0] = 0
    df = pd.DataFrame({"x": x, "n": n})
    theirs = phs.calculate_funnel_limits(df, "x", "proportion", 100, denom_col="n")
    ours = ind.funnel_limits(df, "x", "proportion", denominator="n")
    np.testing.assert_array_equal(ours["denominator"].to_numpy(), theirs["Population"].to_numpy(dtype=float))
    for a, b in [("lower_95", "lower_2s_limit"), ("upper_95", "upper_2s_limit"), ("lower_99_8", "lower_3s_limit"),
                 ("upper_99_8", "upper_3s_limit"), ("baseline", "baseline")]:
        np.testing.assert_allclose(ours[a].to_numpy(), theirs[b].to_numpy(dtype=float), rtol=REL, atol=1e-12)
    s_t = phs.assign_funnel_significance(df, "x", "proportion", denom_col="n")["significance"].tolist()
    s_o = ind.funnel_significance(df, "x", "proportion", denominator="n")["significance"].tolist()
    assert s_o == s_t


@pytest.mark.parametrize(("seed", "ratio_type"), [(4, "count"), (5, "isr")])
def test_ratio_matches_phstatsmethods(seed, ratio_type):
    phs = _phs()
    rng = np.random.default_rng(seed)
    e = rng.uniform(0.5, 400, 25)
    o = rng.poisson(e * rng.uniform(0.6, 1.5, 25))
    o[0] = max(o[0], 1)
    df = pd.DataFrame({"o": o, "e": e})
    theirs = phs.calculate_funnel_limits(df, "o", "ratio", 1 if ratio_type == "count" else 100, denom_col="e",
                                         ratio_type=ratio_type)
    ours = ind.funnel_limits(df, "o", "ratio", denominator="e", ratio_type=ratio_type)
    np.testing.assert_array_equal(ours["observed"].to_numpy(), theirs["Observed_events"].to_numpy(dtype=float))
    for a, b in [("lower_95", "lower_2s_limit"), ("upper_95", "upper_2s_limit"), ("lower_99_8", "lower_3s_limit"),
                 ("upper_99_8", "upper_3s_limit"), ("lower_95_expected", "lower_2s_exp_events"),
                 ("upper_99_8_expected", "upper_3s_exp_events")]:
        t = theirs[b].to_numpy(dtype=float)
        o_ = ours[a].to_numpy()
        if ratio_type == "count":  # compare the ratios themselves (r - 1 magnifies bisection error near 1)
            t, o_ = t + 1 if "limit" in b else t, o_ + 1 if "limit" in b else o_
        np.testing.assert_allclose(o_, t, rtol=1e-4)
    df_pos = df[df["o"] > 0]
    s_t = phs.assign_funnel_significance(df_pos, "o", "ratio", denom_col="e")["significance"].tolist()
    s_o = ind.funnel_significance(df_pos, "o", "ratio", denominator="e")["significance"].tolist()
    assert s_o == s_t


@pytest.mark.parametrize(("seed", "rate_type", "years"), [(6, "crude", 1), (7, "dsr", 3), (8, "crude", 5)])
def test_rate_matches_phstatsmethods(seed, rate_type, years):
    phs = _phs()
    rng = np.random.default_rng(seed)
    n = rng.integers(rng.integers(500, 60_000), 400_000, 30)
    o = rng.poisson(n * rng.uniform(0.0001, 0.002))
    o[:2] = [3, 0] if rate_type == "crude" else [3, 5]
    r = o / n * 1e5 * (rng.uniform(0.9, 1.1, 30) if rate_type == "dsr" else 1)
    df = pd.DataFrame({"o": o, "n": n, "r": r})
    theirs = phs.calculate_funnel_limits(df, "o", "rate", 100000, denom_col="n", rate="r", rate_type=rate_type,
                                         years_of_data=years)
    ours = ind.funnel_limits(df, "o", "rate", denominator="n", rate="r", rate_type=rate_type,
                             multiplier=100_000, years_of_data=years)
    np.testing.assert_array_equal(ours["events"].to_numpy(), theirs["Events"].to_numpy(dtype=float))
    np.testing.assert_allclose(ours["baseline"].to_numpy(), theirs["baseline"].to_numpy(dtype=float), rtol=REL)
    for a, b in [("lower_95", "lower_2s_limit"), ("upper_95", "upper_2s_limit"), ("lower_99_8", "lower_3s_limit"),
                 ("upper_99_8", "upper_3s_limit"), ("lower_95_population", "lower_2s_population_1_year")]:
        np.testing.assert_allclose(ours[a].to_numpy(), theirs[b].to_numpy(dtype=float), rtol=1e-4)
    s_t = phs.assign_funnel_significance(df, "o", "rate", denom_col="n", rate="r", rate_type=rate_type,
                                         multiplier=100000)["significance"].str.replace("dsrs", "DSRs").tolist()
    s_o = ind.funnel_significance(df, "o", "rate", denominator="n", rate="r", rate_type=rate_type,
                                  multiplier=100_000)["significance"].tolist()
    assert s_o == s_t
    p_t = phs.calculate_funnel_points(df, "o", "r", rate_type, denom_col="n", multiplier=100000, years_of_data=years)
    p_o = ind.funnel_points(df, "o", "r", rate_type, denominator="n", multiplier=100_000, years_of_data=years)
    np.testing.assert_allclose(p_o["denominator_derived"].to_numpy(), p_t["denom_derived"].to_numpy(dtype=float),
                               rtol=REL, equal_nan=True)
    np.testing.assert_allclose(p_o["r_chart"].to_numpy(), p_t["r_chart"].to_numpy(dtype=float), rtol=REL, equal_nan=True)
