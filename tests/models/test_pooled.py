"""The pooled small-area model: shrinkage by hand, NB2 alpha, and a simulation where pooling must help."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import CdpInputError
from cdp_analysis.models.pooled import _poisson_slope, nb2_alpha, pooled_forecast, pooled_means


def test_shrinkage_matches_the_dersimonian_laird_formula_by_hand():
    rng = np.random.default_rng(3)
    Y = rng.poisson(np.outer(rng.uniform(4, 40, 12), np.exp(0.05 * np.arange(10)))).astype(float)
    groups = np.array(["R"] * 12)
    means, info = pooled_means(Y, groups, 2, window=10)
    b, se = np.array([_poisson_slope(y) for y in Y]).T
    bg, _ = _poisson_slope(Y.sum(axis=0))
    w = 1 / se**2
    q = np.sum(w * (b - bg) ** 2)
    tau2 = max(0.0, (q - 11) / (w.sum() - (w**2).sum() / w.sum()))
    lam = tau2 / (tau2 + se**2)
    np.testing.assert_allclose(info["shrunk_slope"], lam * b + (1 - lam) * bg, rtol=1e-10)
    assert info["tau2"]["R"] == pytest.approx(tau2)
    # level: the Poisson MLE of the level at the last year given the slope; forecast = level x exp(b* h)
    level = Y[:, ::-1].sum(axis=1) / np.exp(-np.outer(info["shrunk_slope"], np.arange(10))).sum(axis=1)
    np.testing.assert_allclose(means[:, 1], level * np.exp(2 * info["shrunk_slope"]), rtol=1e-10)


def test_poisson_slope_agrees_with_statsmodels():
    sm = pytest.importorskip("statsmodels.api")
    y = np.array([12, 15, 11, 18, 20, 17, 25, 24, 30, 28.0])
    t = np.arange(10) - 9.0
    res = sm.GLM(y, sm.add_constant(t), family=sm.families.Poisson()).fit(scale="X2")
    b, se = _poisson_slope(y)
    assert b == pytest.approx(res.params[1], rel=1e-7)
    assert se == pytest.approx(res.bse[1] * (1 if res.scale > 1 else 1 / np.sqrt(res.scale)), rel=1e-6)


def test_nb2_alpha_recovers_a_known_value_and_zero_for_poisson():
    rng = np.random.default_rng(5)
    mu = rng.uniform(3, 60, 40_000)
    y = rng.negative_binomial(1 / 0.08, 1 / (1 + 0.08 * mu))
    assert nb2_alpha(y, mu) == pytest.approx(0.08, rel=0.08)
    assert nb2_alpha(rng.poisson(mu), mu) < 0.003


def test_pooling_beats_each_area_alone_when_areas_share_a_trend():
    # 60 small areas (3-15 a year) on one regional trend: the shrunk slopes forecast better than each area's own
    rng = np.random.default_rng(9)
    n_areas, years = 60, 16
    level = rng.uniform(3, 15, n_areas)
    mu = np.outer(level, np.exp(0.06 * np.arange(years)))
    Y = rng.poisson(mu).astype(float)
    pooled, _ = pooled_means(Y[:, :13], np.array(["R"] * n_areas), 3)
    alone, _ = pooled_means(Y[:, :13], np.array([f"A{i}" for i in range(n_areas)]), 3)
    err_p = np.abs(pooled - mu[:, 13:]).mean()
    err_a = np.abs(alone - mu[:, 13:]).mean()
    assert err_p < 0.8 * err_a


def test_pooled_forecast_intervals_cover_on_simulated_panel_and_errors():
    rng = np.random.default_rng(21)
    n_areas, years = 80, 22
    lev = rng.uniform(5, 50, n_areas)
    slopes = 0.04 + rng.normal(0, 0.02, n_areas)
    mu = lev[:, None] * np.exp(np.outer(slopes, np.arange(years)))
    Y = rng.poisson(rng.gamma(1 / 0.03, 0.03 * mu)).astype(float)  # NB2 with alpha 0.03
    cols = [str(y) for y in range(2000, 2000 + years)]
    panel = pd.DataFrame(Y[:, :-3], columns=cols[:-3], index=[f"A{i}" for i in range(n_areas)])
    f = pooled_forecast(panel, {f"A{i}": "R" for i in range(n_areas)}, 3)
    t = f.table
    actual = np.array([Y[int(a[1:]), years - 3 + h - 1] for a, h in zip(t["area"], t["h"], strict=True)])
    cover95 = np.mean((t["lower_95"] <= actual) & (actual <= t["upper_95"]))
    cover80 = np.mean((t["lower_80"] <= actual) & (actual <= t["upper_80"]))
    assert 0.88 <= cover95 <= 0.99 and 0.70 <= cover80 <= 0.90
    assert (t["status"] == "[f]").all() and list(t["period"][:3]) == ["2019", "2020", "2021"]
    assert all(a > 0 for a in f.alpha.values())
    with pytest.raises(CdpInputError):
        pooled_forecast(panel.iloc[:, :12], {}, 3)
    bad = panel.copy()
    bad.iloc[2, 4] = np.nan
    with pytest.raises(CdpInputError) as err:
        pooled_forecast(bad, {}, 3)
    assert err.value.row == ["A2"]
