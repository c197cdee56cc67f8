"""pooled_last at national cohort sizes: the drawn beta-binomial quantiles agree with scipy's exact ones."""

import numpy as np
import pytest
from scipy import stats

from cdp_analysis.models.benchmarks import pooled_last


def test_large_cohorts_use_draws_that_match_the_exact_beta_binomial():
    y = np.array([0.30, 0.31, 0.30, 0.305])
    e = np.full(5, 6000.0)
    f = pooled_last(y, 1, e)
    x = float(np.sum(y * e[:4]))
    big_n = float(e[:4].sum())
    lo, hi = stats.betabinom.ppf([0.025, 0.975], 6000, x + 0.5, big_n - x + 0.5) / 6000
    assert f.lower_95[0] == pytest.approx(lo, abs=0.002)
    assert f.upper_95[0] == pytest.approx(hi, abs=0.002)
    assert f.mean[0] == pytest.approx(x / big_n)
