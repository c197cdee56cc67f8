"""Over-dispersed funnels (Spiegelhalter 2005): hand calculations and FunnelPlotR's worked values.

FunnelPlotR (NHS-R community, MIT) is not run here; its published test values are reproduced
independently: phi = 2.948033 for its six-trust example (tests/testthat/test-classes_methods.R,
SHMI method: log-scale z-scores, 10% truncation) and its Poisson limits for expected counts 15,
20, 30 (tests/testthat/test-poisson_limits.R).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from cdp_analysis import indicators as ind
from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.indicators.overdispersion import funnel_z_scores, overdispersed_funnel, overdispersion

OBS = [100, 150, 180, 80, 120, 225]
EXP = [108, 112, 165, 95, 100, 220]
Z95, Z998 = 1.959963984540054, 3.090232306167813


def _fpr():
    return pd.DataFrame({"o": OBS, "e": EXP})


def test_funnelplotr_phi_shmi_method():
    od = overdispersion(_fpr(), "o", "ratio", denominator="e", scale="log", method="truncate", multiplier=1)
    assert round(od.phi, 6) == 2.948033  # FunnelPlotR test-classes_methods.R
    # the same by hand: z = sqrt(E) ln(O/E); 10% of 6 areas truncates none (floor(0.6) = 0)
    z = [math.sqrt(e) * math.log(o / e) for o, e in zip(OBS, EXP, strict=True)]
    phi = sum(v * v for v in z) / 6
    assert od.phi == pytest.approx(phi, rel=1e-12)
    w = EXP  # w = 1/s^2 = E on the log scale
    tau2 = (6 * phi - 5) / (sum(w) - sum(x * x for x in w) / sum(w))
    assert od.tau2 == pytest.approx(tau2, rel=1e-12)
    assert od.p_value == pytest.approx(chi2.sf(6 * phi, 5), rel=1e-12)
    assert od.over_dispersed and od.n_areas == 6


def test_spiegelhalter_sqrt_scale_winsorised_by_hand():
    # CQC / Spiegelhalter (2012): z = 2(sqrt(O) - sqrt(E)); Winsorise at the 10th/90th percentiles
    od = overdispersion(_fpr(), "o", "ratio", denominator="e", multiplier=1)
    z = sorted(2 * (math.sqrt(o) - math.sqrt(e)) for o, e in zip(OBS, EXP, strict=True))
    # R type-7 10th percentile of 6 points: z[0] + 0.5 (z[1] - z[0]); 90th: z[4] + 0.5 (z[5] - z[4])
    lo, hi = z[0] + 0.5 * (z[1] - z[0]), z[4] + 0.5 * (z[5] - z[4])
    zw = [min(max(v, lo), hi) for v in z]
    phi = sum(v * v for v in zw) / 6
    assert od.phi == pytest.approx(phi, rel=1e-12)
    w = [4 * e for e in EXP]  # s = 1/(2 sqrt E) on the sqrt scale of O/E
    tau2 = max(0.0, (6 * phi - 5) / (sum(w) - sum(x * x for x in w) / sum(w)))
    assert od.tau2 == pytest.approx(tau2, rel=1e-12)
    assert od.scale == "sqrt" and od.method == "winsorise"
    # tau in the ratio's own units: tau / g'(1) = 2 tau on the sqrt scale
    assert od.tau_units == pytest.approx(2 * math.sqrt(tau2), rel=1e-12)


def test_funnelplotr_poisson_limits_reproduced():
    # FunnelPlotR test-poisson_limits.R: unadjusted ratio limits at expected 15, 20, 30 are the exact Poisson
    # (Garwood) interval of a count equal to E, divided by E; ours give the same numbers
    lo95, hi95 = ind.exact_poisson_limits(np.array([15.0, 20.0, 30.0]), 0.95)
    np.testing.assert_allclose(np.round(lo95 / [15, 20, 30], 7), [0.5596924, 0.6108260, 0.6746958])
    np.testing.assert_allclose(np.round(hi95 / [15, 20, 30], 6), [1.649348, 1.544419, 1.427562])
    lo99, hi99 = ind.exact_poisson_limits(np.array([15.0, 20.0, 30.0]), 0.998)
    np.testing.assert_allclose(np.round(lo99 / [15, 20, 30], 7), [0.3862650, 0.4479107, 0.5289724])
    np.testing.assert_allclose(np.round(hi99 / [15, 20, 30], 6), [2.082907, 1.902094, 1.702771])


def test_adjusted_limits_hand_calculation_proportion():
    df = pd.DataFrame({"x": [30, 45, 100, 20, 70, 160, 12, 90], "n": [100, 150, 300, 120, 180, 400, 90, 210]})
    f = overdispersed_funnel(df, "x", "proportion", denominator="n", multiplier=100, n_points=7)
    od = f.overdispersion
    p = df["x"].sum() / df["n"].sum()
    n = f.limits["size"].to_numpy()
    s = np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(f.limits["unadjusted_upper_95"], (p + Z95 * s) * 100, rtol=1e-12)
    np.testing.assert_allclose(f.limits["multiplicative_lower_99_8"],
                               np.maximum(p - Z998 * math.sqrt(max(od.phi, 1)) * s, 0) * 100, rtol=1e-12)
    np.testing.assert_allclose(f.limits["additive_upper_99_8"], (p + Z998 * np.sqrt(s**2 + od.tau2)) * 100,
                               rtol=1e-12)
    assert f.limits["centre"].iloc[0] == pytest.approx(100 * p)
    # z-scores by hand
    z = (df["x"] / df["n"] - p) / np.sqrt(p * (1 - p) / df["n"])
    np.testing.assert_allclose(f.points["z"], z, rtol=1e-12)
    # each area's label agrees with where its value lies against the limits of its own size
    for r in f.points.itertuples():
        s_i = math.sqrt(p * (1 - p) / r.n)
        out = abs(r.x / r.n - p) > Z998 * math.sqrt(s_i**2 + od.tau2)
        assert (r.significance_additive.endswith("(0.001)")) == out


def test_over_dispersed_data_widen_limits_and_reduce_outliers():
    rng = np.random.default_rng(11)
    n = rng.integers(2_000, 200_000, 150)
    true = rng.lognormal(np.log(1e-3), 0.35, 150)  # between-area spread on top of Poisson noise
    o = rng.poisson(n * true)
    df = pd.DataFrame({"o": o, "n": n, "r": o / n * 1e5})
    f = overdispersed_funnel(df, "o", "rate", rate="r", rate_type="crude", denominator="n", multiplier=100_000)
    assert f.overdispersion.over_dispersed and f.overdispersion.phi > 3
    assert f.shown == "additive"
    assert f.outside["additive"]["99_8"] < f.outside["unadjusted"]["99_8"] / 3
    assert "additive random-effects" in f.summary() and "phi =" in f.summary()
    lim = f.shown_limits()
    assert list(lim.columns) == ["size", "centre", "lower_95", "upper_95", "lower_99_8", "upper_99_8"]
    assert (lim["upper_99_8"] >= f.limits["unadjusted_upper_99_8"]).all()


def test_pure_poisson_data_are_not_flagged_over_dispersed_at_nominal_rate():
    # size of the test: with no over-dispersion the chi-squared test rejects at about its level (conservatively)
    rng = np.random.default_rng(5)
    rejections = 0
    for _ in range(200):
        n = rng.integers(5_000, 300_000, 60)
        o = rng.poisson(n * 8e-4)
        df = pd.DataFrame({"o": o, "n": n, "r": o / n * 1e5})
        od = overdispersion(df, "o", "rate", rate="r", rate_type="crude", denominator="n", multiplier=100_000)
        rejections += od.over_dispersed
    assert rejections / 200 <= 0.08
    f = overdispersed_funnel(df, "o", "rate", rate="r", rate_type="crude", denominator="n", multiplier=100_000)
    if not f.overdispersion.over_dispersed:
        assert f.shown == "unadjusted" and "unadjusted limits" in f.summary()


def test_z_scores_dsr_skip_small_counts_and_errors():
    df = pd.DataFrame({"o": [25, 4, 300, 60], "dsr": [12.5, 8.0, 30.0, 10.0]})
    z = funnel_z_scores(df, "o", "rate", rate="dsr", rate_type="dsr", multiplier=100_000)
    assert np.isnan(z["z"].iloc[1]) and z["z"].notna().sum() == 3
    d = 1e5 * np.array([25, 300, 60]) / np.array([12.5, 30.0, 10.0])
    theta = (25 + 300 + 60) / d.sum()
    expect = 2 * (np.sqrt(d) * (np.sqrt(np.array([25, 300, 60]) / d) - math.sqrt(theta))) / math.sqrt(theta) / 2
    # sqrt scale: (sqrt(y) - sqrt(theta)) / (sqrt(theta/d) / (2 sqrt(theta))) = 2 sqrt(d) (sqrt(y) - sqrt(theta))
    np.testing.assert_allclose(z["z"].dropna(), 2 * np.sqrt(d) * (np.sqrt(np.array([25, 300, 60]) / d)
                                                                   - math.sqrt(theta)), rtol=1e-12)
    assert expect.shape == (3,)
    with pytest.raises(CdpInputError):
        overdispersion(pd.DataFrame({"o": [0, 5, 9], "e": [2.0, 4, 8]}), "o", "ratio", denominator="e", scale="log")
    with pytest.raises(CdpParameterError):
        overdispersion(_fpr(), "o", "ratio", denominator="e", trim=0.6)
    with pytest.raises(CdpInputError):
        overdispersion(_fpr().head(2), "o", "ratio", denominator="e")
