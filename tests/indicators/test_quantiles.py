"""Quantiles: hand calculation, grouping, polarity, PHStatsMethods."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdp_analysis import indicators as ind
from cdp_analysis.errors import CdpInputError, CdpParameterError


def test_hand_calculation_deciles_of_twenty():
    # N = 20, Q = 10: two areas per decile; highest values in decile 1 (invert=True)
    df = pd.DataFrame({"imd": np.arange(20, 0, -1, dtype=float)})  # 20, 19, ..., 1
    out = ind.quantiles(df, "imd")
    assert out["quantile"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10]
    low_first = ind.quantiles(df, "imd", invert=False)
    assert low_first["quantile"].tolist() == list(reversed(out["quantile"].tolist()))


def test_formula_ties_and_missing():
    # N = 7 non-missing, Q = 3, ranks with ties at the lowest rank;
    # q = floor(4 - ceil((8 - r) / (7/3))), 0 -> 1
    vals = [9.0, 7.0, 7.0, np.nan, 5.0, 3.0, 2.0, 1.0]
    out = ind.quantiles(pd.DataFrame({"v": vals}), "v", nquantiles=3)
    ranks = [1, 2, 2, None, 4, 5, 6, 7]
    expected = []
    for r in ranks:
        if r is None:
            expected.append(pd.NA)
            continue
        q = int(np.floor(4 - np.ceil((8 - r) / (7 / 3))))
        expected.append(max(q, 1))
    assert out["rank"].tolist() == [r if r is not None else pd.NA for r in ranks]
    assert out["quantile"].tolist() == expected


def test_groups_and_too_few():
    df = pd.DataFrame({"region": ["N"] * 6 + ["S"] * 2, "v": [6, 5, 4, 3, 2, 1, 10, 20]})
    with pytest.warns(UserWarning, match="too few"):
        out = ind.quantiles(df, "v", by="region", nquantiles=3)
    assert out["quantile"].iloc[:6].tolist() == [1, 1, 2, 2, 3, 3]
    assert out["quantile"].iloc[6:].isna().all()
    with pytest.raises(CdpParameterError):
        ind.quantiles(df, "v", nquantiles=0)
    with pytest.raises(CdpInputError) as err:
        ind.quantiles(df.assign(v=["1", "a", 3, 4, 5, 6, 7, 8]), "v")
    assert (err.value.row, err.value.column) == ([1], "v")


@pytest.mark.filterwarnings("ignore:One or more groups:UserWarning")
@pytest.mark.parametrize(("nq", "invert"), [(10, True), (5, False), (4, True)])
def test_matches_phstatsmethods(nq, invert):
    phs = pytest.importorskip("PHStatsMethods")
    rng = np.random.default_rng(nq)
    df = pd.DataFrame({"g": rng.choice(["a", "b", "c"], 300), "v": rng.integers(0, 60, 300).astype(float)})
    df.loc[rng.choice(300, 10, replace=False), "v"] = np.nan
    theirs = phs.ph_quantile(df, "v", group_cols="g", nquantiles=nq, invert=invert)
    ours = ind.quantiles(df, "v", by="g", nquantiles=nq, invert=invert)
    t = theirs.sort_index()["quantile"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    o = ours["quantile"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    assert np.isfinite(o).sum() == 290  # every non-missing value got a quantile
    np.testing.assert_array_equal(o, t)
