"""Shared checks and grouping: the fast factorisation paths equal plain hashing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.indicators import _validate as V


def _reference(values):
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), sort=True, use_na_sentinel=False)
    return codes, list(uniques)


@pytest.mark.parametrize("layout", ["runs", "periodic", "shuffled", "runs_with_nan"])
def test_factorize_paths_match_hashing(layout):
    rng = np.random.default_rng(0)
    labels = np.array([f"E{i:08d}" for i in range(40)], dtype=object)
    if layout == "runs":
        values = np.repeat(rng.permutation(labels), 50)
    elif layout == "periodic":
        values = np.tile(rng.permutation(labels[:19]), 200)
    elif layout == "shuffled":
        values = rng.choice(labels, 4000)
    else:
        values = np.repeat(rng.permutation(labels), 50)
        values[100:150] = np.nan
    codes, uniques = V.factorize(pd.Series(values, dtype=object), period=19)
    ref_codes, ref_uniques = _reference(values)
    assert [str(u) for u in uniques] == [str(u) for u in ref_uniques]
    np.testing.assert_array_equal(codes, ref_codes)


def test_group_rows_sorted_keys_and_sums():
    df = pd.DataFrame({"a": ["y", "x", "y", "x", "y"], "b": [2, 1, 1, 1, 2], "v": [1.0, 2.0, 3.0, 4.0, 5.0]})
    g = V.group_rows(df, ["a", "b"])
    assert g.keys.to_dict("list") == {"a": ["x", "y", "y"], "b": [1, 1, 2]}
    assert g.sum(df["v"].to_numpy()).tolist() == [6.0, 3.0, 6.0]


def test_numeric_and_parameters():
    df = pd.DataFrame({"v": [1.0, np.inf, -1.0]}, index=["a", "b", "c"])
    with pytest.raises(CdpInputError) as err:
        V.numeric(df, "v")
    assert err.value.row == ["b"]
    with pytest.raises(CdpInputError) as err:
        V.numeric(pd.DataFrame({"v": [True, False]}), "v")
    assert err.value.column == "v"
    assert V.confidence_levels([0.9, 0.99]) == (0.9, 0.99)
    with pytest.raises(CdpParameterError):
        V.confidence_levels([0.95, 0.95])
    with pytest.raises(CdpParameterError):
        V.check_multiplier(0)


@pytest.mark.parametrize("layout", ["blocks", "repeated_blocks", "mixed_block", "nan_key"])
def test_group_blocks_equals_group_rows_or_declines(layout):
    rng = np.random.default_rng(3)
    heads = pd.DataFrame({"a": rng.choice(["E1", "E2", "E3", "E4"], 60), "p": rng.choice(["2021", "2022"], 60)})
    if layout == "blocks":
        heads = heads.drop_duplicates().sample(frac=1, random_state=2)
    df = heads.loc[heads.index.repeat(19)].reset_index(drop=True)
    if layout == "mixed_block":
        df.loc[40, "p"] = "1999"
    if layout == "nan_key":
        df["a"] = df["a"].astype(object)
        df.loc[0:18, "a"] = np.nan
    fast = V.group_blocks(df, ["a", "p"], 19)
    slow = V.group_rows(df, ["a", "p"])
    if layout in ("mixed_block", "nan_key"):
        assert fast is None
        return
    assert fast is not None
    np.testing.assert_array_equal(fast.codes, slow.codes)
    pd.testing.assert_frame_equal(fast.keys, slow.keys)


def test_group_blocks_many_cycling_heads():
    # > 1000 blocks whose period labels cycle within areas (the cycle-and-tile path)
    areas = [f"E{i:08d}" for i in range(60)]
    periods = [str(2000 + y) for y in range(25)]
    heads = pd.DataFrame({"a": np.repeat(areas, 25), "p": np.tile(periods, 60)})
    df = heads.loc[heads.index.repeat(19)].reset_index(drop=True)
    fast = V.group_blocks(df, ["a", "p"], 19)
    slow = V.group_rows(df, ["a", "p"])
    np.testing.assert_array_equal(fast.codes, slow.codes)
    pd.testing.assert_frame_equal(fast.keys, slow.keys)
    broken = df.copy()
    broken.loc[19 * 700, "p"] = "1999"  # heads no longer cycle (and the block is mixed)
    assert V.group_blocks(broken, ["a", "p"], 19) is None
    heads_only = heads.copy()
    heads_only.loc[700, "p"] = "1999"  # heads break the cycle, blocks intact
    df2 = heads_only.loc[heads_only.index.repeat(19)].reset_index(drop=True)
    fast2 = V.group_blocks(df2, ["a", "p"], 19)
    slow2 = V.group_rows(df2, ["a", "p"])
    np.testing.assert_array_equal(fast2.codes, slow2.codes)
    pd.testing.assert_frame_equal(fast2.keys, slow2.keys)
