"""Small-number rules for statistics: when counts are too small for a trend, forecast or comparison.

Suppression (:mod:`cdp_analysis.indicators.disclosure`) decides which *figures* may be shown.
This module decides which *statistics* may be drawn from figures: a trend test, a forecast
or a comparison verdict made from a handful of events says nothing a board can use, so the
reports print "cannot be calculated" and say why instead. The rules follow the publishers:

==========================  =====================================================  ==========================
rule                        what it stops                                           published source
==========================  =====================================================  ==========================
``MIN_EVENTS = 10``         any trend, forecast or comparison verdict drawn from     ONS: age-standardised rates
                            fewer than 10 events in total over the periods it        are not calculated from
                            uses                                                     fewer than 10 deaths; OHID
                                                                                     (Fingertips, PHEindicator-
                                                                                     methods): DSRs are not
                                                                                     published below 10 events
``RELIABLE_EVENTS = 20``    nothing: a statistic from fewer than 20 events carries   ONS: rates from fewer than
                            a caution (the "u" flag)                                 20 deaths are marked
                                                                                     unreliable ("u")
``TREND_POINTS = 5``        a recent trend from fewer than five consecutive,         OHID Fingertips recent-trend
                            non-overlapping periods with a figure (suppressed or     method (TrendMarkerCalculator:
                            missing figures break the run; pooled periods that       five latest points, an
                            overlap are never tested together)                       unbroken run of valid values,
                                                                                     single-year periods only)
==========================  =====================================================  ==========================

The reasons never print the total of a series, only that it is below the threshold, so a
statement about small numbers cannot reveal a suppressed count.

References
----------
Office for National Statistics. Deaths related to drug poisoning in England and Wales:
Quality and Methodology Information, and the local authority tables' notes ("rates are not
calculated where there are fewer than 10 deaths"; "u: low reliability, fewer than 20
deaths"); ONS FOI response FOI/2021/3301 (small-number rules).
Office for Health Improvement and Disparities. Fingertips technical guidance: recent trends;
``fingertips-open`` PholioVisualisationWS/Analysis/TrendMarkers (TrendRequest.IsValid,
TrendMarkerCalculator.PointsToUse).
Fox S, Fryers P, et al. PHEindicatormethods (R package): ``phe_dsr`` ("dsr NA for total count
< 10").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "MIN_EVENTS",
    "RELIABLE_EVENTS",
    "TREND_POINTS",
    "Adequacy",
    "enough_events",
    "trend_adequacy",
    "comparison_adequacy",
    "forecast_adequacy",
    "RULES_IN_WORDS",
]

#: Fewest events (in total over the periods a statistic uses) from which a trend, forecast or
#: comparison verdict is drawn (ONS/OHID: no rate from fewer than 10 events).
MIN_EVENTS = 10
#: Below this many events a statistic carries ONS's "low reliability" caution.
RELIABLE_EVENTS = 20
#: Consecutive, non-overlapping periods a recent trend uses (Fingertips).
TREND_POINTS = 5

RULES_IN_WORDS = (
    f"No trend, forecast or comparison verdict is drawn from fewer than {MIN_EVENTS} events in total over "
    f"the periods it uses (ONS and OHID do not calculate a rate from fewer than {MIN_EVENTS}); one drawn from "
    f"fewer than {RELIABLE_EVENTS} is marked as of low reliability (ONS's \"u\"). A recent trend needs the "
    f"latest {TREND_POINTS} consecutive, non-overlapping periods, each with a figure (OHID Fingertips); pooled "
    "periods that share years are never tested as a trend."
)


@dataclass(frozen=True)
class Adequacy:
    """Whether counts can support a statistic, and why not.

    Attributes
    ----------
    statistic : str
        ``"trend"``, ``"forecast"`` or ``"comparison"``.
    adequate : bool
        True when the statistic may be calculated.
    reason : str
        Why not, in plain English (empty when adequate). Never states a suppressed total.
    caution : str
        A low-reliability note (fewer than ``RELIABLE_EVENTS`` events), else empty.
    """

    statistic: str
    adequate: bool
    reason: str = ""
    caution: str = ""

    def __bool__(self) -> bool:
        return self.adequate

    def __str__(self) -> str:
        if self.adequate:
            return f"{self.statistic}: can be calculated" + (f" ({self.caution})" if self.caution else "")
        return f"{self.statistic}: cannot be calculated ({self.reason})"

    def _repr_html_(self) -> str:
        from html import escape

        return f"<p><b>{escape(self.statistic)}</b>: {escape(str(self).split(': ', 1)[1])}</p>"


def _counts(values: ArrayLike) -> NDArray:
    return np.atleast_1d(np.asarray(values, dtype=float)).ravel()


def enough_events(total: ArrayLike) -> NDArray:
    """Whether totals of events reach :data:`MIN_EVENTS` (vectorised; NaN is not enough).

    >>> enough_events([4, 9, 10, 250, float("nan")]).tolist()
    [False, False, True, True, False]
    """
    t = _counts(total)
    with np.errstate(invalid="ignore"):
        return np.isfinite(t) & (t >= MIN_EVENTS)


def _caution(total: float, what: str) -> str:
    if total < RELIABLE_EVENTS:
        return f"based on fewer than {RELIABLE_EVENTS} {what}: of low reliability"
    return ""


def trend_adequacy(counts: ArrayLike, what: str = "events", span: str = "") -> Adequacy:
    """Whether the counts of the periods a recent trend uses can support the test.

    Parameters
    ----------
    counts
        The event counts of the consecutive periods the trend would use, oldest first (NaN for
        a period with no figure).
    what
        The events' noun for the reason (``"deaths"``).
    span
        The periods in words for the reason (``"2016 to 2020"``).

    Examples
    --------
    >>> trend_adequacy([3, 1, 0, 0, 0], "deaths", "2016 to 2020").reason
    'fewer than 10 deaths in total in 2016 to 2020'
    >>> bool(trend_adequacy([12, 9, 11, 8, 10]))
    True
    >>> trend_adequacy([12, 9, 11, 8]).reason
    'only 4 consecutive periods with a figure (5 needed)'
    """
    c = _counts(counts)
    where = f" in {span}" if span else ""
    if len(c) < TREND_POINTS or not np.isfinite(c[-TREND_POINTS:]).all():
        run = 0
        for v in c[::-1]:
            if not np.isfinite(v):
                break
            run += 1
        return Adequacy("trend", False, f"only {run} consecutive periods with a figure ({TREND_POINTS} needed)")
    total = float(c[-TREND_POINTS:].sum())
    if not enough_events(total)[0]:
        return Adequacy("trend", False, f"fewer than {MIN_EVENTS} {what} in total{where}")
    return Adequacy("trend", True, caution=_caution(total, what))


def forecast_adequacy(counts: ArrayLike, what: str = "events") -> Adequacy:
    """Whether a count series can support a forecast: the latest five periods' total.

    A forecast is judged by its recent level: fewer than :data:`MIN_EVENTS` events in the
    latest :data:`TREND_POINTS` periods (an average below two a period) is too few for a
    forecast to say anything a board can use.

    Examples
    --------
    >>> forecast_adequacy([9, 8, 6, 5, 4, 3, 1, 0, 0, 0], "deaths").reason
    'fewer than 10 deaths in total in the latest 5 periods'
    >>> bool(forecast_adequacy([40, 38, 45, 41, 39, 47, 50, 46]))
    True
    """
    c = _counts(counts)
    c = c[np.isfinite(c)]
    recent = c[-TREND_POINTS:]
    total = float(recent.sum()) if len(recent) else 0.0
    if len(recent) < TREND_POINTS or not enough_events(total)[0]:
        return Adequacy("forecast", False, f"fewer than {MIN_EVENTS} {what} in total in the latest "
                                           f"{TREND_POINTS} periods")
    return Adequacy("forecast", True, caution=_caution(total, what))


def comparison_adequacy(count_a: Any, count_b: Any, what: str = "events") -> Adequacy:
    """Whether two counts can support a verdict on the change between them.

    Examples
    --------
    >>> comparison_adequacy(0, 1, "deaths").reason
    'fewer than 10 deaths in the two periods together'
    >>> bool(comparison_adequacy(55, 59))
    True
    """
    a, b = float(count_a), float(count_b)
    total = a + b
    if not enough_events(total)[0]:
        return Adequacy("comparison", False, f"fewer than {MIN_EVENTS} {what} in the two periods together")
    return Adequacy("comparison", True, caution=_caution(total, what))
