"""Crude rates: check values (docs/references/domain.md §4), hand calculations, PHStatsMethods, bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdp_analysis import indicators as ind
from cdp_analysis.errors import CdpInputError, CdpParameterError

Z95 = 1.959963984540054
Z998 = 3.090232306167813
REL = 1e-9


def byar_lo(x, z):
    return x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3


def byar_hi(x, z):
    x1 = x + 1
    return x1 * (1 - 1 / (9 * x1) + z / (3 * math.sqrt(x1))) ** 3


def frame(counts, dens, **extra):
    return pd.DataFrame({"count": counts, "denominator": dens, **extra})


@pytest.mark.parametrize(
    ("x", "lo", "hi"),
    [(65, 50.16, 82.85), (59, 44.91, 76.11), (55, 41.43, 71.59)],
)
def test_domain_byar_check_values(x, lo, hi):
    # docs/references/domain.md §4: Byar's limits of counts, printed to 2 d.p.; per-100 000 of 100 000 = count
    out = ind.rate(frame([x], [100_000]))
    assert round(out["lower_95"].iloc[0], 2) == lo
    assert round(out["upper_95"].iloc[0], 2) == hi
    assert out["method"].iloc[0] == "byars"


def test_domain_exact_check_value():
    out = ind.rate(frame([5], [100_000]))
    assert round(out["lower_95"].iloc[0], 3) == 1.623
    assert round(out["upper_95"].iloc[0], 3) == 11.668
    assert out["method"].iloc[0] == "exact"


def test_hand_calculation_byars_both_levels():
    out = ind.rate(frame([65, 12], [250_000, 30_000]), multiplier=1000)
    for z, lo_col, hi_col in [(Z95, "lower_95", "upper_95"), (Z998, "lower_99_8", "upper_99_8")]:
        assert out[lo_col].tolist() == pytest.approx(
            [byar_lo(65, z) / 250_000 * 1000, byar_lo(12, z) / 30_000 * 1000], rel=REL
        )
        assert out[hi_col].tolist() == pytest.approx(
            [byar_hi(65, z) / 250_000 * 1000, byar_hi(12, z) / 30_000 * 1000], rel=REL
        )
    assert out["value"].tolist() == pytest.approx([65 / 250, 12 / 30], rel=REL)


def test_hand_calculation_exact_closed_forms():
    # Poisson exact limits have closed forms at 0 and 1 event:
    #   O=0: upper = -ln(alpha/2);  O=1: lower = -ln(1 - alpha/2)
    out = ind.rate(frame([0, 1], [1000, 1000]), multiplier=1000)
    assert out["value"].tolist() == [0.0, 1.0]
    assert out["lower_95"].iloc[0] == 0.0
    assert out["upper_95"].iloc[0] == pytest.approx(-math.log(0.025), rel=REL)
    assert out["upper_99_8"].iloc[0] == pytest.approx(-math.log(0.001), rel=REL)
    assert out["lower_95"].iloc[1] == pytest.approx(-math.log(0.975), rel=REL)
    assert out["lower_99_8"].iloc[1] == pytest.approx(-math.log(0.999), rel=REL)
    assert (out["method"] == "exact").all()


def test_switch_at_ten_and_forced_methods():
    out = ind.rate(frame([9, 10], [100, 100]), multiplier=1)
    assert out["method"].tolist() == ["exact", "byars"]
    assert out["lower_95"].iloc[1] == pytest.approx(byar_lo(10, Z95) / 100, rel=REL)
    forced = ind.rate(frame([9, 10], [100, 100]), multiplier=1, method="byars")
    assert forced["lower_95"].iloc[0] == pytest.approx(byar_lo(9, Z95) / 100, rel=REL)
    with pytest.raises(CdpParameterError):
        ind.rate(frame([1], [1]), method="normal")


def test_count_may_exceed_denominator_and_flags():
    out = ind.rate(frame([150, 3], [100, 100]), multiplier=1)
    assert out["value"].tolist() == [1.5, 0.03]
    assert out["status"].tolist() == ["", "u"]
    assert "unreliable" in out["note"].iloc[1]


def test_grouped_sums_before_computing():
    df = pd.DataFrame(
        {
            "area_code": ["E06000058", "E06000059", "E06000058", "E06000059"],
            "period": ["2021", "2021", "2022", "2022"],
            "count": [30, 29, 25, 30],
            "denominator": [400_000, 380_000, 401_000, 381_000],
        }
    )
    out = ind.rate(df, by="period")
    assert out["period"].tolist() == ["2021", "2022"]
    assert out["count"].tolist() == [59, 55]
    assert out["denominator"].tolist() == [780_000, 782_000]
    assert out["value"].tolist() == pytest.approx([59 / 780_000 * 1e5, 55 / 782_000 * 1e5], rel=REL)
    assert out["upper_95"].iloc[0] == pytest.approx(byar_hi(59, Z95) / 780_000 * 1e5, rel=REL)
    both = ind.rate(df, by=["period", "area_code"])
    assert len(both) == 4 and both.columns[:2].tolist() == ["period", "area_code"]


def test_any_confidence_levels():
    out = ind.rate(frame([20], [100]), confidence=(0.9, 0.99))
    assert {"lower_90", "upper_90", "lower_99", "upper_99"} <= set(out.columns)
    none = ind.rate(frame([20], [100]), confidence=None)
    assert not any(c.startswith("lower") for c in none.columns)
    with pytest.raises(CdpParameterError):
        ind.rate(frame([20], [100]), confidence=95)
    with pytest.raises(CdpParameterError):
        ind.rate(frame([20], [100]), multiplier=-1)


@pytest.mark.parametrize(
    ("counts", "dens", "row", "column"),
    [
        ([1, -2, 3], [10, 10, 10], [1], "count"),
        ([1, np.nan, 3], [10, 10, 10], [1], "count"),
        ([1, 2, 3], [10, 0, -1], [1, 2], "denominator"),
        (["1", "two", 3], [10, 10, 10], [1], "count"),
        ([1, 2, 3], [10, None, 10], [1], "denominator"),
    ],
)
def test_invalid_input_names_rows(counts, dens, row, column):
    with pytest.raises(CdpInputError) as err:
        ind.rate(frame(counts, dens))
    assert err.value.row == row
    assert err.value.column == column


def test_missing_column_and_not_a_frame():
    with pytest.raises(CdpInputError) as err:
        ind.rate(pd.DataFrame({"count": [1]}))
    assert err.value.column == "denominator"
    with pytest.raises(CdpInputError):
        ind.rate([1, 2])
    with pytest.raises(CdpInputError) as err:
        ind.rate(frame([1], [2]), by="area")
    assert err.value.column == "area"


def test_index_labels_named():
    df = frame([1, -1], [10, 10]).set_axis(["BCP", "Dorset"])
    with pytest.raises(CdpInputError) as err:
        ind.rate(df)
    assert err.value.row == ["Dorset"]


# --- differential: PHStatsMethods on random grids (it cannot take zero counts) -------------


@pytest.mark.parametrize("seed", [1, 2])
def test_matches_phstatsmethods(seed):
    phs = pytest.importorskip("PHStatsMethods")
    rng = np.random.default_rng(seed)
    n = 120
    counts = np.concatenate([rng.integers(1, 10, n // 3), rng.integers(10, 40, n // 3), rng.integers(40, 5000, n - 2 * (n // 3))])
    dens = rng.integers(50, 2_000_000, n)
    df = frame(counts, dens)
    theirs = phs.ph_rate(df, "count", "denominator", confidence=[0.95, 0.998], multiplier=100_000)
    ours = ind.rate(df)
    for a, b in [("lower_95", "lower_95_ci"), ("upper_95", "upper_95_ci"), ("lower_99_8", "lower_99_8_ci"), ("upper_99_8", "upper_99_8_ci"), ("value", "Value")]:
        np.testing.assert_allclose(ours[a].to_numpy(), theirs[b].to_numpy(dtype=float), rtol=REL)
    assert [m.lower() for m in theirs["Method"]] == ours["method"].tolist()


def test_matches_phstatsmethods_grouped():
    phs = pytest.importorskip("PHStatsMethods")
    rng = np.random.default_rng(7)
    df = frame(rng.integers(0, 6, 60), rng.integers(100, 5000, 60), g=rng.integers(0, 12, 60))
    theirs = phs.ph_rate(df, "count", "denominator", group_cols="g", confidence=[0.95, 0.998]).sort_values("g")
    ours = ind.rate(df, by="g")
    np.testing.assert_array_equal(ours["count"].to_numpy(), theirs["count"].to_numpy())
    np.testing.assert_allclose(ours["upper_99_8"].to_numpy(), theirs["upper_99_8_ci"].to_numpy(dtype=float), rtol=REL)
    np.testing.assert_allclose(ours["lower_95"].to_numpy(), theirs["lower_95_ci"].to_numpy(dtype=float), rtol=REL)



@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5000), st.integers(1, 10_000_000)), min_size=1, max_size=30
    )
)
def test_limits_bracket_value_and_nest(rows):
    counts, dens = zip(*rows, strict=False)
    out = ind.rate(frame(list(counts), list(dens)))
    v = out["value"].to_numpy()
    assert (out["lower_99_8"].to_numpy() <= out["lower_95"].to_numpy() + 1e-12).all()
    assert (out["lower_95"].to_numpy() <= v + 1e-12).all()
    assert (v <= out["upper_95"].to_numpy()).all()
    assert (out["upper_95"].to_numpy() < out["upper_99_8"].to_numpy()).all()
    assert np.isfinite(out["upper_99_8"].to_numpy()).all()


def test_result_does_not_share_writes_with_the_callers_frame():
    # the result is built from the caller's columns without copying them; editing it must
    # never edit the caller's frame (copy-on-write), with or without groups
    df = pd.DataFrame({"count": [5, 20], "denominator": [1000, 2000], "area": ["a", "b"]}, index=["p", "q"])
    before = df.copy()
    out = ind.rate(df)
    out.loc["p", "count"] = 99
    out.loc["q", "area"] = "zz"
    out["denominator"] *= 2
    grouped = ind.rate(df, by="area")
    grouped.loc[0, "area"] = "yy"
    pd.testing.assert_frame_equal(df, before)
    assert list(out.index) == ["p", "q"] and out.columns[:3].tolist() == ["count", "denominator", "area"]
