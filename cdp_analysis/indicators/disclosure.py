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

import csv
import fnmatch
import html
import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError, CdpParameterError

__all__ = ["suppress", "protect", "DisclosurePolicy", "origin_of", "derived_columns", "is_hidden", "any_hidden",
           "count_text", "PUBLISHED", "LOCAL"]

_DERIVED = ("value", "lower_95", "upper_95", "lower_99_8", "upper_99_8", "lower", "upper")


def _as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)


def _status_has_c(df: pd.DataFrame, status: str) -> np.ndarray:
    if status not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return np.array([isinstance(s, str) and "c" in s.split() for s in df[status]], dtype=bool)


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
    # cells already suppressed upstream (missing, with ``c`` in their status) stay hidden and
    # count as hidden in every total, so applying the same rules twice changes nothing
    already = ~np.isfinite(values) & _status_has_c(df, status)
    values = np.where(already, 0.0, values)
    for bad, msg in (
        (~np.isfinite(values), "missing or non-numeric count"),
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

    primary = ((values < threshold) & ((values > 0) | suppress_zero)) | already
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
        "primary": int(primary.sum() - already.sum()),
        "already": int(already.sum()),
        "secondary": int(hidden.sum() - primary.sum()),
        "threshold": int(threshold),
        "suppress_zero": bool(suppress_zero),
        "round_to": round_to,
        "totals": totals if isinstance(totals, str) or totals is None else list(totals),
    }
    return out


# ----------------------------------------------------------------------------- the policy

PUBLISHED = "published"
LOCAL = "local"
THRESHOLD_ENV = "CDP_DISCLOSURE_THRESHOLD"
PUBLISHED_ENV = "CDP_PUBLISHED_COUNTS"
_PUBLISHED_CHOICES = ("suppress", "show")
# columns computed from a count: hidden with it (an interval, a rate or a ratio gives the count away)
_DERIVED_NAME = re.compile(
    r"(^value$|^mean$|lower|upper|limit|interval|rate|ratio|diff|change|per.?cent|proportion|expected|_95|_99)",
    re.IGNORECASE)


@dataclass(frozen=True)
class DisclosurePolicy:
    """Who may see a small count: the threshold and the rule for counts already published openly.

    Parameters
    ----------
    threshold
        Counts from 1 to ``threshold - 1`` are hidden as ``[c]`` (default 5: 1 to 4 hidden).
        Environment variable ``CDP_DISCLOSURE_THRESHOLD``.
    published_counts
        ``"suppress"`` (default) hides small counts of every source. ``"show"`` shows the small
        counts of sources that their publisher already releases openly at the same level (ONS
        deaths registered by local authority; see :func:`origin_of`), in every output alike.
        Local returns (treatment numbers, local surveillance deaths, police management
        information) are always suppressed. Environment variable ``CDP_PUBLISHED_COUNTS``.

    Examples
    --------
    >>> p = DisclosurePolicy()
    >>> p.hides(3, "published"), p.hides(3, "local"), p.hides(0, "local"), p.hides(5, "local")
    (True, True, False, False)
    >>> q = DisclosurePolicy(published_counts="show")
    >>> q.hides(3, "published"), q.hides(3, "local")
    (False, True)
    >>> q.threshold_for("published"), q.threshold_for("local")
    (1, 5)
    """

    threshold: int = 5
    published_counts: str = "suppress"

    def __post_init__(self) -> None:
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, np.integer)) \
                or self.threshold < 1:
            raise CdpParameterError(f"the disclosure threshold must be a whole number >= 1, not {self.threshold!r}")
        if self.published_counts not in _PUBLISHED_CHOICES:
            raise CdpParameterError(
                f"published_counts must be one of {_PUBLISHED_CHOICES}, not {self.published_counts!r}")

    @classmethod
    def from_env(cls, threshold: int | None = None, published_counts: str | None = None) -> DisclosurePolicy:
        """The policy of this run: arguments, else ``CDP_DISCLOSURE_THRESHOLD`` and
        ``CDP_PUBLISHED_COUNTS``, else the defaults (5, ``"suppress"``).

        >>> import os
        >>> _ = os.environ.pop("CDP_DISCLOSURE_THRESHOLD", None), os.environ.pop("CDP_PUBLISHED_COUNTS", None)
        >>> DisclosurePolicy.from_env()
        DisclosurePolicy(threshold=5, published_counts='suppress')
        """
        import os

        if threshold is None:
            env = os.environ.get(THRESHOLD_ENV, "").strip()
            try:
                threshold = int(env) if env else 5
            except ValueError:
                raise CdpParameterError(f"{THRESHOLD_ENV} must be a whole number >= 1, not {env!r}") from None
        if published_counts is None:
            published_counts = os.environ.get(PUBLISHED_ENV, "").strip().lower() or "suppress"
        return cls(threshold=int(threshold), published_counts=published_counts)

    def threshold_for(self, origin: str = LOCAL) -> int:
        """The threshold applied to a source of this origin (1, so nothing hidden, for an openly
        published source when the policy shows published counts)."""
        _check_origin(origin)
        if origin == PUBLISHED and self.published_counts == "show":
            return 1
        return int(self.threshold)

    def hides(self, count: float, origin: str = LOCAL) -> bool:
        """Whether a single count is hidden by primary suppression."""
        return bool(0 < float(count) < self.threshold_for(origin))

    def describe(self) -> str:
        """The policy in one sentence, for a report's notes.

        >>> DisclosurePolicy().describe()[:60]
        'Counts of 1 to 4, and figures that would reveal them (their '
        """
        text = (f"Counts of 1 to {self.threshold - 1}, and figures that would reveal them (their intervals, rates, "
                "changes and the cells that a total would give away), are shown as [c]")
        if self.published_counts == "show":
            return text + (" in local returns; counts their publisher already releases openly at this level (ONS "
                           "deaths by local authority) are shown as published.")
        return text + " in every source, including counts already published openly."

    def _repr_html_(self) -> str:  # pragma: no cover - JupyterLab display
        return f"<p><b>Disclosure policy</b>: {html.escape(self.describe())}</p>"


def _check_origin(origin: str) -> None:
    if origin not in (PUBLISHED, LOCAL):
        raise CdpParameterError(f"origin must be {PUBLISHED!r} or {LOCAL!r}, not {origin!r}")


@lru_cache(maxsize=1)
def _origins() -> tuple[tuple[str, str], ...]:
    from importlib import resources

    text = resources.files("cdp_analysis.indicators").joinpath("disclosure_origins.csv").read_text(encoding="utf-8")
    rows = []
    for rec in csv.DictReader(io.StringIO(text)):
        _check_origin(rec["origin"].strip())
        rows.append((rec["pattern"].strip(), rec["origin"].strip()))
    return tuple(rows)


def origin_of(metric_id: str | None) -> str:
    """Whether a metric's counts are published openly at local level (``"published"``) or come
    from a partnership's own returns (``"local"``, always suppressed).

    Read from ``indicators/disclosure_origins.csv`` (first matching pattern wins); a metric not
    listed is ``"local"``, the safe side.

    >>> origin_of("drug_misuse_deaths"), origin_of("drug_related_deaths_local"), origin_of("adults_in_treatment")
    ('published', 'local', 'local')
    >>> origin_of("something_new")
    'local'
    """
    if not metric_id:
        return LOCAL
    for pattern, origin in _origins():
        if fnmatch.fnmatchcase(str(metric_id), pattern):
            return origin
    return LOCAL


def derived_columns(df: pd.DataFrame, count: str | Sequence[str]) -> list[str]:
    """Columns computed from the count (interval limits, rates, ratios, changes, per cents),
    recognised by name among the numeric columns: hidden with a hidden count.

    >>> derived_columns(pd.DataFrame(columns=["year", "count", "lower_95", "Upper 95% limit", "Rate per 100,000",
    ...                                       "members", "status"]), "count")
    ['lower_95', 'Upper 95% limit', 'Rate per 100,000']
    """
    skip = set(_as_list(count)) | {"status"}
    return [str(c) for c in df.columns if str(c) not in skip and _DERIVED_NAME.search(str(c))
            and (pd.api.types.is_numeric_dtype(df[c]) or df[c].dtype == object and _numeric_text(df[c]))]


def _numeric_text(col: pd.Series) -> bool:
    vals = col.dropna()
    return len(vals) == 0 or bool(pd.to_numeric(vals, errors="coerce").notna().all())


def protect(
    df: pd.DataFrame,
    count: str = "count",
    *,
    metric: str | None = None,
    origin: str | None = None,
    policy: DisclosurePolicy | None = None,
    derived: Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    totals: str | Sequence[str] | None = None,
    sets: Sequence[Sequence[int]] = (),
    status: str = "status",
) -> pd.DataFrame:
    """The suppression decision for every figure of a frame, made once and carried with it.

    Call this where the figures are computed; every writer (tables, sentences, charts, alt text,
    workbook) then shows a row whose ``status`` holds ``c`` as ``[c]``, and nothing derived
    from it.

    Parameters
    ----------
    df
        One row per figure, with a count column.
    count
        The count column.
    metric, origin
        The source: ``origin`` ``"published"`` or ``"local"``, or the ``metric`` id to look it up
        (:func:`origin_of`). Neither: ``"local"``.
    policy
        The policy (default :meth:`DisclosurePolicy.from_env`).
    derived
        Columns hidden with the count (default :func:`derived_columns`: intervals, rates,
        ratios, changes).
    by, totals
        As :func:`suppress`: separate tables, and which totals are published. Default: none
        (a time series has no published total).
    sets
        Further sets of row positions whose total is published elsewhere (for example the
        three years of a pooled rate's count): each ends with no hidden cell or at least two.

    Returns
    -------
    pandas.DataFrame
        A copy with hidden counts and their derived figures missing and ``c`` in ``status``;
        ``.attrs["disclosure"]`` records the policy, the origin and what was hidden.

    Examples
    --------
    The exact Poisson limits of a count of 1 (0.03 to 5.57) would give it away, so they go too:

    >>> annual = pd.DataFrame({"period": ["2019", "2020", "2021"], "count": [6.0, 1.0, 0.0],
    ...                        "lower_95": [2.2, 0.03, 0.0], "upper_95": [13.1, 5.57, 3.69]})
    >>> protect(annual, metric="drug_misuse_deaths", policy=DisclosurePolicy())
      period  count  lower_95  upper_95 status
    0   2019    6.0       2.2     13.10
    1   2020    NaN       NaN       NaN      c
    2   2021    0.0       0.0      3.69
    >>> protect(annual, metric="drug_misuse_deaths",
    ...         policy=DisclosurePolicy(published_counts="show"))["count"].tolist()
    [6.0, 1.0, 0.0]
    >>> protect(annual, metric="adults_in_treatment",
    ...         policy=DisclosurePolicy(published_counts="show"))["count"].tolist()
    [6.0, nan, 0.0]
    """
    if policy is None:
        policy = DisclosurePolicy.from_env()
    if origin is None:
        origin = origin_of(metric)
    _check_origin(origin)
    threshold = policy.threshold_for(origin)
    cols = list(derived) if derived is not None else derived_columns(df, count)
    out = suppress(df, count=count, threshold=threshold, by=by, totals="none" if totals is None else totals,
                   columns=cols, status=status)
    info = dict(out.attrs.get("suppression", {}))
    if sets:
        values = pd.to_numeric(out[count], errors="coerce").to_numpy(dtype=float)
        raw = pd.to_numeric(df[count], errors="coerce").to_numpy(dtype=float)
        hidden = ~np.isfinite(values) & _status_has_c(out, status)
        extra = _protect_sets(np.where(np.isfinite(raw), raw, 0.0), hidden, sets)
        if extra.any():
            for c in [count, *cols]:
                col = pd.to_numeric(out[c], errors="coerce").astype(float)
                col[extra] = np.nan
                out[c] = col
            codes = out[status].astype(str).to_numpy()
            out[status] = [(s + " c").strip() if e and "c" not in s.split() else s
                           for s, e in zip(codes, extra, strict=True)]
            info["secondary"] = int(info.get("secondary", 0)) + int(extra.sum())
    out.attrs["suppression"] = info
    out.attrs["disclosure"] = {"threshold": int(policy.threshold), "published_counts": policy.published_counts,
                               "origin": origin, "applied_threshold": int(threshold), "count": count,
                               "derived": cols, "hidden": int(_status_has_c(out, status).sum())}
    return out


def _protect_sets(values: np.ndarray, hidden: np.ndarray, sets: Sequence[Sequence[int]]) -> np.ndarray:
    """Cells to hide so that no set with a published total holds exactly one hidden cell
    (the smallest non-zero other cell first, then the smallest)."""
    hidden = hidden.copy()
    start = hidden.copy()
    members = [np.asarray(list(s), dtype=int) for s in sets]
    changed = True
    while changed:
        changed = False
        for m in members:
            if len(m) and hidden[m].sum() == 1:
                others = m[~hidden[m]]
                if len(others) == 0:
                    continue
                order = sorted(others, key=lambda i: (values[i] == 0, values[i]))
                hidden[order[0]] = True
                changed = True
    return hidden & ~start


# ----------------------------------------------------------------------------- reading the decision

def is_hidden(status: object) -> bool:
    """Whether a figure's status codes include ``c`` (suppressed).

    >>> is_hidden("p c"), is_hidden(""), is_hidden(None), is_hidden(float("nan"))
    (True, False, False, False)
    """
    return isinstance(status, str) and "c" in status.split()


def any_hidden(*statuses: object) -> bool:
    """Whether any of several figures is suppressed: a figure derived from them (a change, a
    difference, a ratio, a sum with the others shown) must be suppressed too.

    >>> any_hidden("", "c"), any_hidden("", "p")
    (True, False)
    """
    return any(is_hidden(s) for s in statuses)


def count_text(value: float | None, status: object = "", decimals: int = 0) -> str:
    """A figure as a reader sees it: ``[c]`` when suppressed, ``[x]`` when missing.

    >>> count_text(1234.0), count_text(float("nan"), "c"), count_text(None), count_text(2.345, "", 1)
    ('1,234', '[c]', '[x]', '2.3')
    """
    if is_hidden(status):
        return "[c]"
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "[x]"
    return f"{float(value):,.{decimals}f}"
