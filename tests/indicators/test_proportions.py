"""Proportions (Wilson): check values, hand calculations, PHStatsMethods, bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cdp_analysis import indicators as ind
from cdp_analysis.errors import CdpInputError

Z95 = 1.959963984540054
Z998 = 3.090232306167813
REL = 1e-9


def wilson(x, n, z):
    root = z * math.sqrt(z * z + 4 * x * (1 - x / n))
    d = 2 * (n + z * z)
    return (2 * x + z * z - root) / d, (2 * x + z * z + root) / d


def frame(x, n, **extra):
    return pd.DataFrame({"count": x, "denominator": n, **extra})


def test_domain_check_value():
    out = ind.proportion(frame([65], [100]))
    assert round(out["lower_95"].iloc[0], 2) == 55.25  # 0.5525 as a percentage
    assert round(out["upper_95"].iloc[0], 2) == 73.64
    assert out["method"].iloc[0] == "wilson"


def test_hand_calculation():
    out = ind.proportion(frame([65, 0, 40, 0.445], [100, 40, 40, 1]), multiplier=1)
    for z, lo, hi in [(Z95, "lower_95", "upper_95"), (Z998, "lower_99_8", "upper_99_8")]:
        exp = [wilson(x, n, z) for x, n in [(65, 100), (0, 40), (40, 40), (0.445, 1)]]
        assert out[lo].tolist() == pytest.approx([e[0] for e in exp], rel=REL, abs=1e-15)
        assert out[hi].tolist() == pytest.approx([e[1] for e in exp], rel=REL)
    # zero numerator: lower limit 0 and upper limit z^2/(n+z^2); all of n: upper limit 1
    assert out["lower_95"].iloc[1] == 0.0
    assert out["upper_95"].iloc[1] == pytest.approx(Z95**2 / (40 + Z95**2), rel=REL)
    assert out["upper_95"].iloc[2] == pytest.approx(1.0, rel=REL)
    assert out["lower_95"].iloc[2] == pytest.approx(40 / (40 + Z95**2), rel=REL)


def test_partnership_sums_numerators_and_denominators():
    df = pd.DataFrame(
        {"partnership": ["pan-dorset", "pan-dorset", "other"], "count": [30, 35, 5], "denominator": [60, 40, 10]}
    )
    out = ind.proportion(df, by="partnership")
    assert out["partnership"].tolist() == ["other", "pan-dorset"]
    row = out.iloc[1]
    assert (row["count"], row["denominator"]) == (65, 100)
    assert row["value"] == pytest.approx(65.0, rel=REL)  # not the mean of 50% and 87.5%
    assert row["upper_99_8"] == pytest.approx(wilson(65, 100, Z998)[1] * 100, rel=REL)


@pytest.mark.parametrize(
    ("x", "n", "row", "column"),
    [
        ([5, 11, 3], [10, 10, 10], [1], "count"),
        ([5, -1, 3], [10, 10, 10], [1], "count"),
        ([5, 1, np.nan], [10, 10, 10], [2], "count"),
        ([5, 1, 3], [10, 0, 10], [1], "denominator"),
        ([5, "a", 3], [10, 10, 10], [1], "count"),
    ],
)
def test_invalid(x, n, row, column):
    with pytest.raises(CdpInputError) as err:
        ind.proportion(frame(x, n))
    assert err.value.row == row
    assert err.value.column == column


def test_missing_column():
    with pytest.raises(CdpInputError) as err:
        ind.proportion(frame([1], [2]), count="engaged")
    assert err.value.column == "engaged"


@pytest.mark.parametrize("seed", [3, 4])
def test_matches_phstatsmethods(seed):
    phs = pytest.importorskip("PHStatsMethods")
    rng = np.random.default_rng(seed)
    n = rng.integers(1, 3000, 150)
    x = np.floor(rng.uniform(0, 1, 150) * (n + 1)).clip(0, n)
    x[:10] = 0
    x[10:20] = n[10:20]
    n[20:30] = rng.integers(1, 5, 10)
    x[20:30] = np.minimum(x[20:30], n[20:30])
    df = frame(x, n)
    theirs = phs.ph_proportion(df, "count", "denominator", confidence=[0.95, 0.998], multiplier=100)
    ours = ind.proportion(df)
    for a, b in [("lower_95", "lower_95_ci"), ("upper_95", "upper_95_ci"), ("lower_99_8", "lower_99_8_ci"), ("upper_99_8", "upper_99_8_ci"), ("value", "Value")]:
        np.testing.assert_allclose(ours[a].to_numpy(), theirs[b].to_numpy(dtype=float), rtol=REL, atol=1e-12)
