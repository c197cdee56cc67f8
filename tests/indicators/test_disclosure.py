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


# --------------------------------------------------------------------------- the policy and protect()
from scipy.stats import chi2  # noqa: E402

from cdp_analysis.indicators.disclosure import (  # noqa: E402
    DisclosurePolicy,
    any_hidden,
    count_text,
    origin_of,
    protect,
)


def _annual(counts):
    # exact Poisson limits written out here (Garwood): lower chi2(0.025, 2x)/2, upper chi2(0.975, 2x+2)/2
    x = np.asarray(counts, dtype=float)
    lo = np.where(x > 0, chi2.ppf(0.025, 2 * np.maximum(x, 1)) / 2, 0.0)
    hi = chi2.ppf(0.975, 2 * x + 2) / 2
    return pd.DataFrame({"period": [str(2014 + i) for i in range(len(x))], "count": x, "lower_95": lo,
                         "upper_95": hi})


def test_interval_of_a_hidden_count_is_hidden_with_it() -> None:
    a = _annual([1, 0, 7, 2, 9])
    assert round(a["upper_95"].iloc[0], 1) == 5.6  # the limit that gave a count of 1 away (issue 16)
    out = protect(a, metric="drug_misuse_deaths", policy=DisclosurePolicy())
    hidden = out["status"].str.contains("c").to_numpy()
    assert hidden.tolist() == [True, False, False, True, False]
    assert out.loc[hidden, ["count", "lower_95", "upper_95"]].isna().all().all()
    assert out.loc[~hidden, "upper_95"].round(2).tolist() == a.loc[~hidden, "upper_95"].round(2).tolist()


def test_renamed_interval_and_rate_columns_are_recognised() -> None:
    df = pd.DataFrame({"Year": ["2020", "2021"], "Deaths": [3, 40], "Upper 95% limit": [8.8, 54.5],
                       "Rate per 100,000": [7.9, 105.2], "Residents": [38000, 38000]})
    out = protect(df, count="Deaths", origin="published", policy=DisclosurePolicy())
    assert out[["Deaths", "Upper 95% limit", "Rate per 100,000"]].iloc[0].isna().all()
    assert out["Residents"].tolist() == [38000, 38000]  # the public denominator stays; the rate went


def test_published_counts_policy_shows_published_sources_only() -> None:
    a = _annual([1, 3, 12])
    show = DisclosurePolicy(published_counts="show")
    assert protect(a, metric="drug_misuse_deaths", policy=show)["count"].tolist() == [1.0, 3.0, 12.0]
    # local returns are suppressed whatever the policy
    for metric in ("drug_related_deaths_local", "adults_in_treatment", "young_people_in_treatment", None):
        assert protect(a, metric=metric, policy=show)["count"].isna().tolist() == [True, True, False]
    assert protect(a, metric="drug_misuse_deaths", policy=DisclosurePolicy())["count"].isna().sum() == 2
    assert origin_of("drug_poisoning_deaths") == "published" and origin_of("rehab_placements") == "local"


def test_policy_from_environment_and_bad_settings(monkeypatch) -> None:
    monkeypatch.setenv("CDP_DISCLOSURE_THRESHOLD", "10")
    monkeypatch.setenv("CDP_PUBLISHED_COUNTS", "show")
    p = DisclosurePolicy.from_env()
    assert (p.threshold, p.published_counts) == (10, "show")
    assert p.hides(9, "local") and not p.hides(9, "published")
    monkeypatch.setenv("CDP_PUBLISHED_COUNTS", "maybe")
    with pytest.raises(CdpParameterError, match="published_counts"):
        DisclosurePolicy.from_env()
    monkeypatch.setenv("CDP_DISCLOSURE_THRESHOLD", "five")
    with pytest.raises(CdpParameterError, match="CDP_DISCLOSURE_THRESHOLD"):
        DisclosurePolicy.from_env()
    with pytest.raises(CdpParameterError):
        DisclosurePolicy(threshold=0)


def test_the_decision_is_made_once_applying_it_again_changes_nothing() -> None:
    df = pd.DataFrame({"g": ["a"] * 5, "count": [2, 9, 14, 30, 6], "upper_95": [7.2, 17.1, 23.5, 42.8, 13.1]})
    once = protect(df, by="g", totals="group", policy=DisclosurePolicy())
    twice = protect(once, by="g", totals="group", policy=DisclosurePolicy())
    pd.testing.assert_frame_equal(once, twice)
    assert once["count"].isna().sum() == 2  # the 2 and its complement 6
    assert twice.attrs["suppression"]["already"] == 2


def test_a_pooled_total_cannot_give_a_hidden_year_away() -> None:
    # the three years of a published pooled count (ONS 3-year pools): 5 + 6 + [c] = 12 would reveal 1
    a = _annual([8, 5, 6, 1])
    out = protect(a, origin="published", sets=[[1, 2, 3]], policy=DisclosurePolicy())
    hidden = out["count"].isna().to_numpy()
    assert hidden.tolist() == [False, True, False, True]  # the smallest other year of the pool goes too
    # brute force: every pair of hidden values consistent with the pool total (12) and the shown cells
    shown = out["count"].fillna(0).to_numpy()
    pool_total = a["count"].iloc[1:4].sum()
    rest = pool_total - shown[1:4].sum()
    candidates = [(x, rest - x) for x in range(0, int(rest) + 1)]
    assert len(candidates) > 1  # the hidden year is not determined
    assert out.attrs["suppression"]["secondary"] == 1


def test_a_change_with_a_hidden_count_is_hidden_and_text_says_c() -> None:
    out = protect(_annual([1, 0]), origin="published", policy=DisclosurePolicy())
    assert any_hidden(*out["status"])
    assert [count_text(v, s) for v, s in zip(out["count"], out["status"], strict=True)] == ["[c]", "0"]
