"""Validate and normalise the series given to the models (internal).

A series is a pandas Series indexed by period labels (docs/design.md §3: ``"2021"``, ``"2022/23"``,
``"2023/24 Q1"``, ``"2023-06"``), by :class:`~cdp_analysis.periods.Period` objects, or by a
pandas ``PeriodIndex``. Periods must be single years, quarters or months, of one kind, with no
gaps: pooled periods (``"2019-2021"``) are refused because overlapping three-year sums are
strongly autocorrelated and must never be fitted as if they were independent points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.periods import Period

Kind = Literal["count", "proportion", "rate"]
KINDS = ("count", "proportion", "rate")

#: Minimum number of observations any model is fitted to.
MIN_LENGTH = 4


@dataclass
class Prepared:
    """A validated series: values, labels, frequency and exposure (history + future)."""

    y: np.ndarray
    labels: list[str]
    future: list[str]
    freq: str  # "year" | "quarter" | "month"
    period_kind: str
    kind: str
    seasonal_period: int
    exposure: np.ndarray | None  # length n + horizon
    flags: list[str] = field(default_factory=list)
    name: Any = None

    @property
    def n(self) -> int:
        return len(self.y)


def _period_from_pandas(p: pd.Period) -> Period:
    start, end = p.start_time, p.end_time
    first = start.year * 12 + start.month - 1
    last = end.year * 12 + end.month - 1
    n = last - first + 1
    if n == 12:
        kind = "calendar_year" if start.month == 1 else "financial_year" if start.month == 4 else ""
    elif n == 3 and (start.month - 1) % 3 == 0:
        kind = "quarter"
    elif n == 1:
        kind = "month"
    else:
        kind = ""
    if not kind or start.day != 1:
        raise CdpInputError(
            f"pandas period {p} is not a calendar/financial year, quarter or month",
            row=str(p),
            expected="a PeriodIndex with freq Y (Dec or Mar year end), Q or M",
        )
    return Period(first, last, kind)


def to_periods(index: pd.Index) -> list[Period]:
    """Parse a series index into Periods; raise CdpInputError naming the bad label."""
    out: list[Period] = []
    for lab in index:
        if isinstance(lab, pd.Period):
            out.append(_period_from_pandas(lab))
            continue
        try:
            out.append(Period.parse(str(lab) if isinstance(lab, (int, np.integer)) else lab))
        except CdpParameterError as exc:
            raise CdpInputError(str(exc), row=lab, column="index", expected="a period label") from None
    return out


_FREQ = {"calendar_year": "year", "financial_year": "year", "quarter": "quarter", "month": "month"}
_STEP = {"year": 12, "quarter": 3, "month": 1}
_DEFAULT_SEASON = {"year": 1, "quarter": 4, "month": 12}


def _as_float(values: Any, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise CdpInputError(f"{what} must be numeric", expected="numbers") from None
    return arr


def prepare(
    series: pd.Series,
    horizon: int,
    kind: str = "count",
    exposure: Any = None,
    seasonal_period: int | None = None,
) -> Prepared:
    """Validate ``series`` (and ``exposure``) and return a :class:`Prepared` record.

    Raises
    ------
    CdpInputError
        Too short, gaps or missing values, pooled or mixed periods, negative values,
        proportions outside [0, 1], non-integer counts, exposure missing, misaligned or
        not positive.
    CdpParameterError
        Bad ``kind``, ``horizon`` or ``seasonal_period``.
    """
    if kind not in KINDS:
        raise CdpParameterError(f"kind must be one of {KINDS}, not {kind!r}")
    if not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise CdpParameterError(f"horizon must be a positive integer, not {horizon!r}")
    if not isinstance(series, pd.Series):
        raise CdpInputError(
            "the series must be a pandas Series indexed by period labels",
            expected="pandas.Series",
            value=type(series).__name__,
        )
    if len(series) < MIN_LENGTH:
        raise CdpInputError(
            f"too short: {len(series)} observations",
            expected=f"at least {MIN_LENGTH} consecutive periods",
        )
    if series.index.has_duplicates:
        dup = list(series.index[series.index.duplicated()])
        raise CdpInputError("duplicate periods in the series", row=dup, column="index")
    periods = to_periods(series.index)
    kinds = {p.kind for p in periods}
    if any(p.is_pooled for p in periods):
        raise CdpInputError(
            "pooled multi-year periods cannot be modelled: overlapping sums are autocorrelated",
            row=[str(p) for p in periods if p.is_pooled],
            column="index",
            expected="single years, quarters or months (e.g. annual registrations, not 3-year pools)",
        )
    if len(kinds) != 1 or next(iter(kinds)) not in _FREQ:
        raise CdpInputError(
            "the series must hold one kind of period: years, quarters or months",
            column="index",
            value=sorted(kinds),
        )
    period_kind = next(iter(kinds))
    freq = _FREQ[period_kind]
    order = np.argsort([p.first for p in periods], kind="stable")
    periods = [periods[i] for i in order]
    values = _as_float(series.to_numpy()[order], "series values")
    labels = [str(p) for p in periods]
    step = _STEP[freq]
    firsts = np.array([p.first for p in periods])
    gaps = np.nonzero(np.diff(firsts) != step)[0]
    if gaps.size:
        raise CdpInputError(
            "gap in the series: periods are not consecutive",
            row=[f"{labels[i]} -> {labels[i + 1]}" for i in gaps],
            column="index",
            expected="consecutive periods with no gaps",
        )
    bad = ~np.isfinite(values)
    if bad.any():
        raise CdpInputError(
            "missing or non-finite values",
            row=[labels[i] for i in np.nonzero(bad)[0]],
            expected="a value for every period (no gaps)",
        )
    if (values < 0).any():
        raise CdpInputError(
            "negative values",
            row=[labels[i] for i in np.nonzero(values < 0)[0]],
            expected="values >= 0",
        )
    if kind == "count" and not np.allclose(values, np.round(values), atol=1e-9):
        raise CdpInputError(
            "counts must be whole numbers",
            row=[labels[i] for i in np.nonzero(np.abs(values - np.round(values)) > 1e-9)[0]],
            expected="non-negative integers",
        )
    if kind == "proportion" and (values > 1).any():
        raise CdpInputError(
            "proportions above 1",
            row=[labels[i] for i in np.nonzero(values > 1)[0]],
            expected="proportions between 0 and 1 (not percentages)",
        )
    if seasonal_period is None:
        m = _DEFAULT_SEASON[freq]
    else:
        if not isinstance(seasonal_period, (int, np.integer)) or seasonal_period < 1:
            raise CdpParameterError(f"seasonal_period must be a positive integer, not {seasonal_period!r}")
        m = int(seasonal_period)
    if m > 1 and len(values) < 2 * m + 2:
        raise CdpInputError(
            f"too short for a seasonal model: {len(values)} periods with seasonal period {m}",
            expected=f"at least {2 * m + 2} periods (two full cycles and more), or seasonal_period=1",
        )
    last = periods[-1]
    future = [str(Period(last.first + k * step, last.last + k * step, period_kind)) for k in range(1, horizon + 1)]
    flags: list[str] = []
    exp = _prepare_exposure(exposure, kind, labels, future, flags)
    return Prepared(
        y=values,
        labels=labels,
        future=future,
        freq=freq,
        period_kind=period_kind,
        kind=kind,
        seasonal_period=m,
        exposure=exp,
        flags=flags,
        name=series.name,
    )


def _prepare_exposure(
    exposure: Any, kind: str, labels: list[str], future: list[str], flags: list[str]
) -> np.ndarray | None:
    n, h = len(labels), len(future)
    if exposure is None:
        if kind in ("proportion", "rate"):
            raise CdpInputError(
                f"kind={kind!r} needs an exposure (cohort size or offenders) for every period",
                column="exposure",
                expected="a Series aligned with the series' periods",
            )
        return None
    if isinstance(exposure, pd.Series):
        try:
            eperiods = to_periods(exposure.index)
        except CdpInputError as exc:
            raise CdpInputError(f"exposure index: {exc.message}", column="exposure") from None
        emap = dict(zip((str(p) for p in eperiods), _as_float(exposure.to_numpy(), "exposure"), strict=True))
        missing = [lab for lab in labels if lab not in emap]
        if missing:
            raise CdpInputError(
                "exposure is not aligned with the series: periods missing",
                row=missing,
                column="exposure",
                expected="an exposure value for every period of the series",
            )
        hist = np.array([emap[lab] for lab in labels])
        fut = [emap.get(lab, np.nan) for lab in future]
    else:
        arr = _as_float(exposure, "exposure").ravel()
        if len(arr) not in (n, n + h):
            raise CdpInputError(
                f"exposure has {len(arr)} values for {n} periods",
                column="exposure",
                expected=f"{n} values (or {n + h} including the forecast periods), or a Series indexed by period",
            )
        hist = arr[:n]
        fut = list(arr[n:]) + [np.nan] * (n + h - len(arr))
    bad = ~np.isfinite(hist) | (hist <= 0)
    if bad.any():
        raise CdpInputError(
            "exposure must be positive and present for every period",
            row=[labels[i] for i in np.nonzero(bad)[0]],
            column="exposure",
            expected="positive numbers",
        )
    fut_arr = np.asarray(fut, dtype=float)
    if not np.isfinite(fut_arr).all() or (fut_arr <= 0).any():
        # documented fallback: hold the mean of the last four periods' exposure
        fill = float(np.mean(hist[-4:]))
        fut_arr = np.where(np.isfinite(fut_arr) & (fut_arr > 0), fut_arr, fill)
        flags.append("exposure_extrapolated")
    return np.concatenate([hist, fut_arr])
