"""Means (Student's t): hand calculations, PHStatsMethods, bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cdp_analysis import indicators as ind
from cdp_analysis.errors import CdpInputError

REL = 1e-9
T4_975 = 2.7764451051977987  # t quantile, 4 degrees of freedom, 0.975 (tables: 2.776)


def test_hand_calculation():
    y = [10, 12, 14, 20, 24]
    out = ind.mean(pd.DataFrame({"days": y}), "days")
    m = sum(y) / 5
    sd = math.sqrt(sum((v - m) ** 2 for v in y) / 4)
    assert out["value"].iloc[0] == pytest.approx(16.0, rel=REL)
    assert out["stdev"].iloc[0] == pytest.approx(sd, rel=REL)
    assert out["lower_95"].iloc[0] == pytest.approx(m - T4_975 * sd / math.sqrt(5), rel=REL)
    assert out["upper_95"].iloc[0] == pytest.approx(m + T4_975 * sd / math.sqrt(5), rel=REL)
    assert (out["value_sum"].iloc[0], out["value_count"].iloc[0]) == (80, 5)


def test_groups_negative_values_and_single_value():
    df = pd.DataFrame({"g": ["a", "a", "a", "b"], "change": [-3.0, 1.0, -4.0, 2.0]})
    out = ind.mean(df, "change", by="g")
    assert out["value"].tolist() == pytest.approx([-2.0, 2.0], rel=REL)
    assert out["status"].tolist() == ["", "x"]
    assert np.isnan(out["lower_95"].iloc[1])


@pytest.mark.parametrize(("vals", "row"), [([1.0, np.nan, 3.0], [1]), (["1", "x", 3], [1])])
def test_invalid(vals, row):
    with pytest.raises(CdpInputError) as err:
        ind.mean(pd.DataFrame({"value": vals}))
    assert (err.value.row, err.value.column) == (row, "value")


def test_matches_phstatsmethods():
    phs = pytest.importorskip("PHStatsMethods")
    rng = np.random.default_rng(9)
    df = pd.DataFrame({"g": rng.integers(0, 8, 200), "v": rng.gamma(2.0, 10.0, 200)})
    theirs = phs.ph_mean(df, "v", "g", confidence=[0.95, 0.998]).sort_values("g")
    ours = ind.mean(df, "v", by="g")
    for a, b in [("value", "Value"), ("stdev", "stdev"), ("lower_95", "lower_95_ci"), ("upper_99_8", "upper_99_8_ci"),
                 ("lower_99_8", "lower_99_8_ci"), ("value_sum", "value_sum")]:
        np.testing.assert_allclose(ours[a].to_numpy(), theirs[b].to_numpy(dtype=float), rtol=REL)
