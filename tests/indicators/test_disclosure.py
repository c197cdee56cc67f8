"""Disclosure control: the rules case by case, and brute-force attempts to recover hidden cells."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.indicators import suppress


def test_primary_threshold_and_zeros() -> None:
    df = pd.DataFrame({"count": [0, 1, 4, 5, 20]})
    shown = suppress(df, totals=None)
    assert shown["count"].isna().tolist() == [False, True, True, False, False]
    assert shown.status.tolist() == ["", "c", "c", "", ""]
    hide0 = suppress(df, totals=None, suppress_zero=True)
    assert hide0["count"].isna().tolist() == [True, True, True, False, False]
    higher = suppress(df, totals=None, threshold=8)
    assert higher["count"].isna().tolist() == [False, True, True, True, False]


def test_hidden_is_nan_never_zero_and_derived_columns_follow() -> None:
    df = pd.DataFrame(
        {
            "count": [3, 50, 60],
            "value": [1.2, 20.0, 24.0],
            "lower_95": [0.2, 15.0, 18.0],
            "population": [1e5] * 3,
        }
    )
    out = suppress(df)
    hidden = out["count"].isna()
    assert hidden.sum() == 2  # 3 and its complement 50
    assert out.loc[hidden, ["value", "lower_95"]].isna().all().all()
    assert (out.population == 1e5).all()
    assert not (out["count"] == 0).any()


def test_status_codes_are_appended() -> None:
    df = pd.DataFrame({"count": [2, 3, 9], "status": ["p", "c", None]})
    out = suppress(df)
    assert out.status.tolist() == ["p c", "c", ""]
    assert "status" in suppress(pd.DataFrame({"count": [1, 9, 9]})).columns


def test_secondary_prefers_the_smallest_nonzero_cell() -> None:
    df = pd.DataFrame({"g": ["a"] * 4, "count": [0, 3, 8, 7]})
    out = suppress(df, by="g")
    assert out["count"].isna().tolist() == [False, True, False, True]
    # only a zero is left to hide: it is used
    z = suppress(pd.DataFrame({"count": [0, 3]}))
    assert z["count"].isna().all()


def test_two_primary_cells_need_no_secondary() -> None:
    out = suppress(pd.DataFrame({"count": [2, 3, 40, 50]}))
    assert out["count"].isna().tolist() == [True, True, False, False]
    assert out.attrs["suppression"]["secondary"] == 0


def test_rounding_to_base_5() -> None:
    out = suppress(pd.DataFrame({"count": [2, 4, 12, 13, 17, 18, 100]}), round_to=5)
    assert out["count"].tolist()[2:] == [10.0, 15.0, 15.0, 20.0, 100.0]
    assert out["count"].iloc[:2].isna().all()


def test_single_cell_group_warns() -> None:
    df = pd.DataFrame({"g": ["a", "b", "b"], "count": [3, 10, 12]})
    with pytest.warns(UserWarning, match="single cell"):
        out = suppress(df, by="g")
    assert np.isnan(out["count"].iloc[0])


@pytest.mark.parametrize(
    "df, kwargs",
    [
        (pd.DataFrame({"count": [1, -2, 3]}, index=["x", "Dorset", "z"]), {}),
        (pd.DataFrame({"count": [1, np.nan]}), {}),
        (pd.DataFrame({"count": [1.5, 2]}), {}),
        (pd.DataFrame({"n": [1, 2]}), {}),
        (pd.DataFrame({"count": [1, 2]}), {"by": "area"}),
        (pd.DataFrame({"count": [1, 2]}), {"totals": ["area"]}),
    ],
)
def test_bad_input(df: pd.DataFrame, kwargs: dict) -> None:
    with pytest.raises(CdpInputError):
        suppress(df, **kwargs)


def test_bad_rows_named() -> None:
    with pytest.raises(CdpInputError, match="Dorset"):
        suppress(pd.DataFrame({"count": [1, -2, 3]}, index=["x", "Dorset", "z"]))


@pytest.mark.parametrize("kwargs", [{"threshold": 0}, {"round_to": 0}, {"totals": "margins"}, {"totals": []}])
def test_bad_parameters(kwargs: dict) -> None:
    with pytest.raises(CdpParameterError):
        suppress(pd.DataFrame({"count": [1, 2]}), **kwargs)


# ---------------------------------------------------------------- brute-force recovery
def _feasible_values(
    cells: list[tuple[int, int]], row_res: dict[int, int], col_res: dict[int, int] | None
) -> list[set[int]]:
    """Every value each hidden cell can take in a table consistent with what is shown.

    Enumerates all non-negative integer fillings of the hidden cells whose row sums (and
    column sums, for two-way tables) equal the published totals minus the shown cells.
    """
    rows = sorted({r for r, _ in cells})
    by_row = {r: [i for i, (rr, _) in enumerate(cells) if rr == r] for r in rows}
    seen: list[set[int]] = [set() for _ in cells]
    assignment = [0] * len(cells)

    def compositions(total: int, parts: int):
        if parts == 1:
            yield (total,)
            return
        for first in range(total + 1):
            for rest in compositions(total - first, parts - 1):
                yield (first, *rest)

    def fill(k: int, col_left: dict[int, int] | None) -> None:
        if k == len(rows):
            if col_left is None or all(v == 0 for v in col_left.values()):
                for i, v in enumerate(assignment):
                    seen[i].add(v)
            return
        r = rows[k]
        idx = by_row[r]
        for comp in compositions(row_res[r], len(idx)):
            if col_left is not None:
                nxt = dict(col_left)
                ok = True
                for i, v in zip(idx, comp, strict=True):
                    c = cells[i][1]
                    nxt[c] -= v
                    if nxt[c] < 0:
                        ok = False
                        break
                if not ok:
                    continue
            else:
                nxt = None
            for i, v in zip(idx, comp, strict=True):
                assignment[i] = v
            fill(k + 1, nxt)

    fill(0, dict(col_res) if col_res is not None else None)
    return seen


def test_one_way_tables_cannot_be_recovered() -> None:
    rng = np.random.default_rng(2023)
    for _ in range(150):
        n_groups, per_group = rng.integers(1, 4), rng.integers(2, 6)
        counts = rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 12, 20], size=n_groups * per_group)
        df = pd.DataFrame({"g": np.repeat(np.arange(n_groups), per_group), "count": counts})
        out = suppress(df, by="g")
        hidden = out["count"].isna().to_numpy()
        assert (hidden | (counts >= 5) | (counts == 0)).all()  # every 1-4 is hidden
        cells = [(int(g), i) for i, g in enumerate(df.g) if hidden[i]]
        if not cells:
            continue
        totals = df.groupby("g")["count"].sum()
        row_res = {
            int(g): int(totals[g] - counts[(df.g == g).to_numpy() & ~hidden].sum()) for g in totals.index
        }
        seen = _feasible_values(cells, row_res, None)
        for (g, i), vals in zip(cells, seen, strict=True):
            assert counts[i] in vals
            assert len(vals) >= 2, (
                f"cell {i} (={counts[i]}) of group {g} recoverable from {df.to_dict('list')}"
            )


def test_two_way_tables_with_margins_cannot_be_recovered() -> None:
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(120):
        shape = (int(rng.integers(2, 4)), int(rng.integers(2, 4)))
        table = rng.choice([0, 1, 2, 3, 6, 7, 9], size=shape, p=[0.1, 0.15, 0.15, 0.1, 0.2, 0.15, 0.15])
        df = pd.DataFrame(
            [
                {"area": r, "age": c, "count": int(table[r, c])}
                for r, c in itertools.product(*map(range, shape))
            ]
        )
        out = suppress(df, totals=["area", "age"])
        hidden = out["count"].isna().to_numpy()
        assert (hidden | (df["count"] >= 5) | (df["count"] == 0)).all()
        # no margin has exactly one hidden cell
        for dim in ("area", "age"):
            assert (pd.Series(hidden).groupby(df[dim]).sum() != 1).all()
        cells = [(int(df.area[i]), int(df.age[i])) for i in np.flatnonzero(hidden)]
        if not cells:
            continue
        shown = np.where(hidden.reshape(shape), 0, table)
        row_res = {r: int(table[r].sum() - shown[r].sum()) for r in range(shape[0])}
        col_res = {c: int(table[:, c].sum() - shown[:, c].sum()) for c in range(shape[1])}
        seen = _feasible_values(cells, row_res, col_res)
        for (r, c), vals in zip(cells, seen, strict=True):
            assert table[r, c] in vals
            assert len(vals) >= 2, f"cell ({r}, {c}) recoverable in\n{table}\nhidden\n{hidden.reshape(shape)}"
        checked += 1
    assert checked > 50


def test_groups_are_independent_under_by() -> None:
    df = pd.DataFrame({"period": ["2022"] * 3 + ["2023"] * 3, "count": [3, 10, 11, 10, 11, 12]})
    out = suppress(df, by="period")
    assert out["count"].isna().tolist() == [True, True, False, False, False, False]
