"""Year-end projection paths against docs/references/forecasting.md §3.2, and the target probability."""

from __future__ import annotations

import numpy as np
import pytest

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.models import probability_of_meeting, seasonal_share, simulate_year_end


def test_flat_share_matches_research_table():
    # docs/references/forecasting.md §3.2: 38 in Q1, s = 0.25 -> 152, 95% 115-199, 80% 127-182
    p = simulate_year_end([38], 1, share=0.25, n_paths=100_000, seed=0)
    q = np.percentile(p, [2.5, 10, 50, 90, 97.5])
    assert q[2] == pytest.approx(152, abs=2)
    assert q[0] == pytest.approx(115, abs=3) and q[4] == pytest.approx(199, abs=3)
    assert q[1] == pytest.approx(127, abs=2) and q[3] == pytest.approx(182, abs=2)


def test_share_from_prior_years_and_late_year_narrowing():
    prior = np.tile(np.r_[np.full(3, 11.0), np.full(9, 12.0 + 1 / 3)], 3)  # Q1 share ~ 0.22
    s, a, t = seasonal_share(np.r_[prior, [12, 13, 13]], 3)
    assert s == pytest.approx(33 / 144)
    p = simulate_year_end(np.r_[prior, [12, 13, 13]], 3, n_paths=20_000)
    assert np.median(p) == pytest.approx(38 / s, rel=0.03)
    late = simulate_year_end(np.r_[prior, np.full(9, 13.0)], 9, n_paths=20_000)
    early_width = np.subtract(*np.percentile(p, [97.5, 2.5]))
    late_width = np.subtract(*np.percentile(late, [97.5, 2.5]))
    assert late_width < early_width / 2


def test_dispersion_widens():
    a = simulate_year_end([38], 1, share=0.25, seed=1)
    b = simulate_year_end([38], 1, share=0.25, dispersion=2.0, seed=1)
    assert np.std(b) > np.std(a)


def test_full_year_is_certain_and_errors():
    assert (simulate_year_end(np.arange(24), 12) == np.arange(12, 24).sum()).all()
    with pytest.raises(CdpInputError):
        simulate_year_end([1, 2, 3], 3)  # no prior year to estimate the share
    with pytest.raises(CdpInputError):
        simulate_year_end(np.r_[np.ones(12), [-1, 2]], 2)
    with pytest.raises(CdpParameterError):
        simulate_year_end([1, 2], 13)


def test_probability_of_meeting():
    paths = np.array([[0, 90], [0, 100], [0, 110], [0, 120]])
    assert probability_of_meeting(paths, 100, "higher_is_better") == 0.75
    assert probability_of_meeting(paths, 100, "lower_is_better") == 0.5
    with pytest.raises(CdpParameterError):
        probability_of_meeting(paths, 100, "neutral")
