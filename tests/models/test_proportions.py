"""Binomial trend GLM: against statsmodels, slope recovery, bounds within [0, 1]."""

from __future__ import annotations

import numpy as np
import pytest

from cdp_analysis.models.counts import DegenerateFit, trend_design
from cdp_analysis.models.proportions import _slope_ci, fit_binomial_trend, forecast_proportion, irls_binomial


def test_irls_binomial_matches_statsmodels():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(1)
    n = rng.integers(200, 600, 16).astype(float)
    p = 1 / (1 + np.exp(-(-1.0 - 0.02 * np.arange(16))))
    y = rng.binomial(n.astype(int), p) / n
    X = trend_design(np.arange(16), 15)
    beta, cov, fitted, ok = irls_binomial(y, n, X)
    ref = sm.GLM(np.column_stack([y * n, n - y * n]), X, family=sm.families.Binomial()).fit()
    assert ok
    np.testing.assert_allclose(beta, ref.params, rtol=1e-7)
    np.testing.assert_allclose(cov, ref.cov_params(), rtol=1e-5)


def test_slope_recovered_at_nominal_rate():
    rng = np.random.default_rng(99)
    true = -0.03
    hits = 0
    for _ in range(300):
        n = rng.integers(150, 500, 16)
        p = 1 / (1 + np.exp(-(np.log(0.25 / 0.75) + true * (np.arange(16) - 15))))
        y = rng.binomial(n, p) / n
        fit = fit_binomial_trend(y, n.astype(float), window=16)
        lo, hi = _slope_ci(fit)
        hits += lo <= true <= hi
    assert 0.90 <= hits / 300 <= 0.99


def test_forecast_bounds_within_unit_interval_and_cover():
    rng = np.random.default_rng(5)
    hits = 0
    for i in range(200):
        n = np.full(17, 300)
        y = rng.binomial(n, 0.25) / n
        f = forecast_proportion(y[:-1], 1, n.astype(float), n_draws=1000, seed=i)
        assert 0 <= f.lower_95[0] <= f.mean[0] <= f.upper_95[0] <= 1
        hits += f.lower_95[0] <= y[-1] <= f.upper_95[0]
    assert 0.92 <= hits / 200 <= 0.995


def test_all_zero_proportions_degenerate():
    with pytest.raises(DegenerateFit):
        fit_binomial_trend(np.zeros(10), np.full(10, 100.0))
