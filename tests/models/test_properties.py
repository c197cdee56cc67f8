"""Property test: any series gives a valid forecast or a CdpInputError, never a crash."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdp_analysis.errors import CdpInputError
from cdp_analysis.models import forecast


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(st.integers(min_value=-1, max_value=60), min_size=0, max_size=16),
    scale=st.sampled_from([0, 1, 5]),
)
def test_forecast_never_crashes_and_bounds_are_non_negative(values, scale):
    vals = [v * scale if v >= 0 else v for v in values]
    s = pd.Series(vals, index=[str(2021 - len(vals) + 1 + i) for i in range(len(vals))], dtype=float)
    try:
        fc = forecast(s, 3, n_draws=300)
    except CdpInputError:
        assert len(vals) < 4 or min(vals) < 0
        return
    bounds = fc[["lower_80", "upper_80", "lower_95", "upper_95"]].to_numpy()
    assert np.isfinite(bounds).all() and (bounds >= 0).all()
    assert (fc["lower_95"] <= fc["upper_95"]).all()
    assert (bounds == np.round(bounds)).all()  # counts: whole-number bounds
