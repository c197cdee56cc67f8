"""Disclosure control of published counts: primary and secondary suppression, rounding.

Small counts of deaths, arrests or people in treatment can identify people. :func:`suppress`
applies the usual rules:

1. **Primary suppression**: counts from 1 to ``threshold - 1`` (default 1-4) are hidden; zero
   is shown unless ``suppress_zero=True`` (a zero identifies nobody, but some publishers hide
   it too).
2. **Secondary (complementary) suppression**: when a total that the reader can see covers a
   set of cells, a single hidden cell in that set could be recovered by subtraction. So within
   every set of cells whose total is published, either no cell or at least two cells are
   hidden: where exactly one is hidden, the smallest other cell is hidden too (preferring a
   non-zero cell, since hiding a zero next to a small count barely protects it). The check is
   repeated over all the published totals until nothing changes, because hiding a cell to
   protect one total can leave a single hidden cell in another (two-way tables with margins).
3. **Rounding** (optional, ``round_to=5``): the remaining counts are rounded to the nearest
   multiple, halves up.

A hidden cell's value is set to NaN, never 0, and ``c`` is appended to its ``status`` codes
(space separated, as in the store). Values derived from the count (rate, limits) are hidden with
it.

What this guarantees, and what not: no hidden cell can be worked out *exactly* from the shown
cells and the published totals (tests check this by brute-force enumeration of every table
consistent with what is shown). It does not stop a reader narrowing a hidden cell to a range,
and totals that are themselves small (a group total of 3) are not protected: publish such
totals only after suppressing them as cells of a higher-level table.

References
----------
Office for National Statistics. Disclosure control guidance for tables produced from
administrative sources, 2014. NHS Digital. Hospital Episode Statistics: disclosure control
methodology, 2018 (1-7 suppressed, others rounded to the nearest 5). Hundepool A et al.
Statistical disclosure control. Wiley, 2012, chapter 4 (primary and secondary cell
suppression).

Examples
--------
>>> df = pd.DataFrame({"area": ["BCP", "Dorset", "Poole"], "count": [3, 12, 40]})
>>> suppress(df)
     area  count status
0     BCP    NaN      c
1  Dorset    NaN      c
2   Poole   40.0
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError, CdpParameterError

__all__ = ["suppress"]

_DERIVED = ("value", "lower_95", "upper_95", "lower_99_8", "upper_99_8", "lower", "upper")


def _as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)


def suppress(
    df: pd.DataFrame,
    count: str = "count",
    threshold: int = 5,
    by: str | Sequence[str] | None = None,
    totals: str | Sequence[str] | None = "group",
    round_to: int | None = None,
    suppress_zero: bool = False,
    columns: Sequence[str] | None = None,
    status: str = "status",
) -> pd.DataFrame:
    """Suppress small counts, and the cells that would let them be recovered from totals.

    Parameters
    ----------
    df
        One row per published cell (the inner cells of the table, not its total rows).
    count
        Column of counts (whole numbers >= 0).
    threshold
        Counts below this are hidden (default 5: 1-4 hidden, and 0 if ``suppress_zero``).
    by
        Columns that split ``df`` into separate tables (e.g. ``["metric_id", "period"]``);
        suppression is worked out independently within each.
    totals
        Which totals are published, so must not reveal a hidden cell:

        * ``"group"`` (default): the total of each ``by`` group (the whole frame when ``by`` is
          None). Every group ends with no hidden cell or at least two.
        * a list of columns, e.g. ``["area", "age_band"]``: within each ``by`` group the cells
          form a table classified by these columns, and all its margins are published (for
          each listed column, the sums over it for every combination of the others). Every
          margin's cells end with no hidden cell or at least two.
        * ``None`` or ``"none"``: no totals are published; primary suppression only.
    round_to
        Round the shown counts to the nearest multiple of this (e.g. 5), halves up. Default:
        no rounding.
    suppress_zero
        Hide zeros too (default False: zeros are shown).
    columns
        Further columns to hide with the count. Default: whichever of ``value, lower_95,
        upper_95, lower_99_8, upper_99_8, lower, upper`` exist (a rate shown beside a hidden
        count would reveal it).
    status
        Status column: ``c`` is appended to the codes of hidden cells (created if absent, with
        ``""`` for the other rows).

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with hidden values NaN (the count column becomes float) and ``status``
        updated. ``.attrs["suppression"]`` records the numbers of primary and secondary
        suppressions and the settings.

    Raises
    ------
    CdpInputError
        Missing columns, or counts that are missing, negative or not whole (naming the rows).
    CdpParameterError
        A threshold below 1, a bad ``round_to`` or ``totals``.

    Warns
    -----
    UserWarning
        When a published total covers a single cell that must be hidden (the total itself
        discloses it; suppress or drop that total).

    Examples
    --------
    Deaths by area and year; the yearly totals are published:

    >>> df = pd.DataFrame({"year": [2021] * 4 + [2022] * 4,
    ...                    "area": ["A", "B", "C", "D"] * 2,
    ...                    "count": [0, 9, 14, 30, 2, 9, 14, 30],
    ...                    "status": ["", "", "p", "", "", "", "p", ""]})
    >>> suppress(df, by="year")
       year area  count status
    0  2021    A    0.0
    1  2021    B    9.0
    2  2021    C   14.0      p
    3  2021    D   30.0
    4  2022    A    NaN      c
    5  2022    B    NaN      c
    6  2022    C   14.0      p
    7  2022    D   30.0
    >>> suppress(df, by="year", round_to=5)["count"].tolist()
    [0.0, 10.0, 15.0, 30.0, nan, nan, 15.0, 30.0]
    """
    if not isinstance(df, pd.DataFrame):
        raise CdpInputError("suppress takes a DataFrame", value=type(df).__name__)
    if not isinstance(threshold, (int, np.integer)) or threshold < 1:
        raise CdpParameterError(f"threshold must be a whole number >= 1, not {threshold!r}")
    if round_to is not None and (not isinstance(round_to, (int, np.integer)) or round_to < 1):
        raise CdpParameterError(f"round_to must be a whole number >= 1 or None, not {round_to!r}")
    by_cols = _as_list(by)
    if totals is None or (isinstance(totals, str) and totals == "none"):
        groupings: list[list[str]] = []
    elif isinstance(totals, str) and totals == "group":
        groupings = [by_cols]
    elif isinstance(totals, str):
        raise CdpParameterError(f"totals must be 'group', 'none', None or a list of columns, not {totals!r}")
    else:
        dims = list(totals)
        if not dims:
            raise CdpParameterError("totals must name at least one column, or be 'group'/'none'")
        groupings = [by_cols + [d for d in dims if d != dim] for dim in dims]
        dims_missing = [c for c in dims if c not in df.columns]
        if dims_missing:
            raise CdpInputError("columns named in totals are missing", column=", ".join(dims_missing))
    missing = [c for c in [count, *by_cols] if c not in df.columns]
    if missing:
        raise CdpInputError("missing columns", column=", ".join(missing), expected="columns of df")

    values = pd.to_numeric(df[count], errors="coerce").to_numpy(dtype=float)
    for bad, msg in (
        (~np.isfinite(values), "missing or non-numeric count (already suppressed?)"),
        (np.isfinite(values) & (values < 0), "negative count"),
        (np.isfinite(values) & (values != np.round(values)), "count is not a whole number"),
    ):
        if np.any(bad):
            raise CdpInputError(
                msg,
                row=list(df.index[bad]),
                column=count,
                value=df[count].to_numpy()[bad][0],
                expected="a whole number >= 0",
            )

    primary = (values < threshold) & ((values > 0) | suppress_zero)
    hidden = primary.copy()
    frame = df[by_cols + [c for g in groupings for c in g if c not in by_cols]].copy()
    frame = frame.loc[:, ~frame.columns.duplicated()]
    pos = np.arange(len(df))
    frame.index = pos
    # preference for the complementary cell: non-zero first, then smallest
    rank = np.where(values > 0, 0.0, 1.0) * (values.max(initial=0) + 1) * 2 + values
    unprotected: set[tuple] = set()
    changed = True
    while changed and groupings:
        changed = False
        for keys in groupings:
            n_hidden = (
                pd.Series(hidden.astype(int), index=pos)
                .groupby([frame[k] for k in keys], dropna=False)
                .transform("sum")
                if keys
                else pd.Series(np.full(len(pos), hidden.sum()), index=pos)
            ).to_numpy()
            lonely = n_hidden == 1
            if not lonely.any():
                continue
            candidates = lonely & ~hidden
            if candidates.any():
                cand = pd.Series(rank[candidates], index=pos[candidates])
                if keys:
                    chosen = (
                        cand.groupby([frame.loc[candidates, k] for k in keys], dropna=False)
                        .idxmin()
                        .to_numpy()
                    )
                else:
                    chosen = np.array([cand.idxmin()])
                hidden[chosen.astype(int)] = True
                changed = True
            # groups with one hidden cell and nothing else to hide: the total discloses it
            alone = lonely & hidden
            if keys:
                group_has_candidate = (
                    pd.Series(candidates, index=pos)
                    .groupby([frame[k] for k in keys], dropna=False)
                    .transform("any")
                ).to_numpy()
            else:
                group_has_candidate = np.full(len(pos), candidates.any())
            for i in np.flatnonzero(alone & ~group_has_candidate):
                unprotected.add((tuple(keys), tuple(frame.iloc[i][k] for k in keys)))
    if unprotected:
        warnings.warn(
            "a published total covers a single cell that is hidden, so the total discloses it; "
            f"suppress or drop these totals: {sorted(unprotected, key=str)[:5]}",
            UserWarning,
            stacklevel=2,
        )

    out = df.copy()
    shown = values.copy()
    if round_to is not None:
        shown = np.floor(shown / round_to + 0.5) * round_to
    shown[hidden] = np.nan
    out[count] = shown
    derived = (
        list(columns) if columns is not None else [c for c in _DERIVED if c in out.columns and c != count]
    )
    absent = [c for c in derived if c not in out.columns]
    if absent:
        raise CdpInputError("columns to hide are missing", column=", ".join(absent))
    for c in derived:
        col = pd.to_numeric(out[c], errors="coerce").astype(float)
        col[hidden] = np.nan
        out[c] = col
    if status in out.columns:
        old = out[status].astype(object).where(out[status].notna(), "").astype(str).to_numpy()
    else:
        old = np.full(len(out), "", dtype=object)
    new = [
        (s if "c" in s.split() else (s + " c").strip()) if h else s for s, h in zip(old, hidden, strict=True)
    ]
    out[status] = pd.Series(new, index=out.index, dtype=object)
    out.attrs["suppression"] = {
        "primary": int(primary.sum()),
        "secondary": int(hidden.sum() - primary.sum()),
        "threshold": int(threshold),
        "suppress_zero": bool(suppress_zero),
        "round_to": round_to,
        "totals": totals if isinstance(totals, str) or totals is None else list(totals),
    }
    return out
