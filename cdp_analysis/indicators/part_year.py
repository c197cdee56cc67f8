"""Part of this year against last year: like with like, or the assumption said out loud.

A count for the first months of a year cannot be tested against the whole of last year
without assuming that every month is average (no seasonality) and that the counts vary no
more than Poisson noise: with police.uk months for BCP, January-June 2026 equal month for
month to January-June 2025 is "a statistically significant fall" against the whole of 2025
by that test, though nothing changed. So:

* :func:`part_year_change` tests like with like when the same months of last year are
  known (the exact conditional rate-ratio test, equal exposures), and only then may say
  "a statistically significant rise/fall". Without them it states the year-end projection's
  predictive range against last year's figure, says which side of the range last year's
  figure lies, and says plainly that this assumes no seasonality and no extra-Poisson
  variation and is not a test of change.
* :func:`same_months_change` does the like-for-like test on a monthly series: the latest
  calendar year's months against the same months a year earlier.

Both apply the small-number rule (:mod:`cdp_analysis.indicators.small_numbers`): no verdict
from fewer than 10 events in the two periods together.

References
----------
Breslow NE, Day NE. Statistical methods in cancer research, vol. II. IARC 1987, §2 (exact
conditional test of two Poisson rates). Office for National Statistics, Crime in England and
Wales: user guide (year-on-year comparisons are made for the same period a year earlier).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError
from cdp_analysis.periods import Period, YearBasis

__all__ = ["PartYearChange", "part_year_change", "same_months_change", "NO_LIKE_FOR_LIKE"]

#: What a part-year-against-full-year comparison assumes, said in every such sentence.
NO_LIKE_FOR_LIKE = (
    "there is no figure for the same months of last year, so this compares part of a year with the "
    "whole of last year, assuming every month is average (no seasonality) and that counts vary only "
    "by chance (no extra-Poisson variation); it is not a test of change"
)


@dataclass(frozen=True)
class PartYearChange:
    """The comparison of a part-year figure with last year (see :func:`part_year_change`).

    Attributes
    ----------
    method : str
        ``"same months"`` (tested like with like), ``"projection range"`` (no like-for-like
        figure: the projection's range against last year's, not a test) or ``"cannot be
        calculated"`` (too few events).
    period, comparator : str
        What the figure and its comparator are (``"January to June 2026"``, ``"January to June
        2025"``; or ``"2023/24 Q1"``, ``"2022/23"``).
    value, comparator_value : float
        The two figures compared.
    ratio, lower, upper, p_value : float
        Rate ratio, its 95% limits and the exact p-value (NaN when not tested).
    significant : bool or None
        The test's verdict; None when there is no test.
    direction : str
        ``"higher"``, ``"lower"``, ``"similar"`` (tested), or for a projection range
        ``"last year below the range"``, ``"last year above the range"``, ``"last year within
        the range"``; ``"not tested"`` otherwise.
    projection, projection_lower, projection_upper : float
        The year-end projection and its predictive range (NaN for a like-for-like test).
    sentence : str
        The comparison in plain English.
    assumption : str
        What the comparison assumes, when it is not like with like (else empty).
    """

    method: str
    period: str
    comparator: str
    value: float
    comparator_value: float
    ratio: float = float("nan")
    lower: float = float("nan")
    upper: float = float("nan")
    p_value: float = float("nan")
    significant: bool | None = None
    direction: str = "not tested"
    projection: float = float("nan")
    projection_lower: float = float("nan")
    projection_upper: float = float("nan")
    sentence: str = ""
    assumption: str = ""

    @property
    def tested(self) -> bool:
        """Whether a like-for-like test stands behind the verdict."""
        return self.significant is not None

    def __str__(self) -> str:
        return self.sentence

    def _repr_html_(self) -> str:
        from html import escape

        return f"<p>{escape(self.sentence)}</p>"


def _n(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def part_year_change(
    value: float,
    period: str | Period,
    last_year_value: float,
    *,
    same_period_last_year: float | None = None,
    last_year_label: str | None = None,
    measure: str = "",
    year_basis: YearBasis = "financial",
    history: pd.Series | pd.DataFrame | None = None,
    confidence: float = 0.95,
) -> PartYearChange:
    """Compare a part-year count with last year: like with like where possible.

    With ``same_period_last_year`` (the count for the same months a year earlier) the two
    are compared by :func:`~cdp_analysis.indicators.rate_ratio_test` (equal exposures) and
    worded by :func:`~cdp_analysis.indicators.describe_change`. Without it, the year-end
    projection (:func:`~cdp_analysis.indicators.project_year_end`, with ``history`` when
    there is one) and its predictive range are set against ``last_year_value``: the
    sentence says whether last year's figure lies below, within or above the range, states
    the assumption (:data:`NO_LIKE_FOR_LIKE`) and never calls it a significant change.
    Either way, fewer than 10 events in the two periods together give no verdict.

    Parameters
    ----------
    value
        Count to date (a whole number >= 0).
    period
        The period it covers (``"2023/24 Q1"``, ``"2026-01..2026-06"``).
    last_year_value
        Last year's full-year count.
    same_period_last_year
        The count for the same months of last year, when known.
    last_year_label
        Label of last year (default: the containing year's previous year).
    measure
        Noun for the events (``"arrests"``).
    year_basis
        ``"financial"`` or ``"calendar"`` (which year ``period`` belongs to).
    history
        Earlier months, passed to ``project_year_end`` for a seasonal projection.
    confidence
        Level of the interval and the test (default 0.95).

    Returns
    -------
    PartYearChange

    References
    ----------
    Breslow NE, Day NE (1987), §2; ONS Crime in England and Wales user guide (same period a
    year earlier).

    Examples
    --------
    38 county-lines arrests in 2023/24 Q1 against 80 in 2022/23, no 2022/23 Q1 figure:

    >>> r = part_year_change(38, "2023/24 Q1", 80, measure="arrests")
    >>> r.method, r.significant, r.direction
    ('projection range', None, 'last year below the range')
    >>> print(r.sentence)  # doctest: +NORMALIZE_WHITESPACE
    38 arrests in 2023/24 Q1, projected to 152 for 2023/24 (95% range 115 to 199), against 80 in
    2022/23: last year's figure is below the projection's range. Not tested as a change: there is
    no figure for the same months of last year, so this compares part of a year with the whole of
    last year, assuming every month is average (no seasonality) and that counts vary only by chance
    (no extra-Poisson variation); it is not a test of change.

    With the same quarter of last year, like with like:

    >>> r = part_year_change(38, "2023/24 Q1", 80, same_period_last_year=21, measure="arrests")
    >>> r.method, round(r.ratio, 2), r.significant, r.direction
    ('same months', 1.81, True, 'higher')
    """
    from cdp_analysis.indicators.change import describe_change, rate_ratio_test
    from cdp_analysis.indicators.projection import project_year_end
    from cdp_analysis.indicators.small_numbers import comparison_adequacy

    p = Period.parse(period)
    year = p.containing_year(year_basis)
    prev = last_year_label or year.previous_year().label
    for name, v in (("value", value), ("last_year_value", last_year_value)):
        if v is None or not np.isfinite(float(v)) or float(v) < 0:
            raise CdpInputError(f"{name} must be a count >= 0", column=name, value=v)
    x, last = float(value), float(last_year_value)
    noun = f" {measure}" if measure else ""
    if same_period_last_year is not None and np.isfinite(float(same_period_last_year)):
        same = float(same_period_last_year)
        same_label = p.shift(-1).label
        enough = comparison_adequacy(x, same, measure or "events")
        if not enough:
            return PartYearChange(
                "cannot be calculated", p.label, same_label, x, same,
                sentence=(f"{_n(x)}{noun} in {p.label} against {_n(same)} in {same_label}: a change cannot be "
                          f"calculated ({enough.reason})."),
            )
        t = rate_ratio_test(x, 1.0, same, 1.0, confidence=confidence).iloc[0]
        sig = bool(t["significant"])
        sentence = str(describe_change(x, same, p.label, same_label, measure=measure, confidence=confidence))
        return PartYearChange(
            "same months", p.label, same_label, x, same, float(t["ratio"]), float(t["lower"]), float(t["upper"]),
            float(t["p_value"]), sig, ("higher" if x > same else "lower") if sig else "similar",
            sentence=sentence + ".",
        )
    try:
        proj = project_year_end(x, period=p.label, unit="count", history=history, year_basis=year_basis,
                                confidence=confidence).iloc[0]
    except Exception:  # history unusable for a seasonal share: the run rate
        proj = project_year_end(x, period=p.label, unit="count", year_basis=year_basis,
                                confidence=confidence).iloc[0]
    lo, hi, pt = float(proj["lower"]), float(proj["upper"]), float(proj["projection"])
    level = f"{confidence * 100:g}%"
    enough = comparison_adequacy(x, last, measure or "events")
    if not enough:
        return PartYearChange(
            "cannot be calculated", p.label, prev, x, last, projection=pt, projection_lower=lo,
            projection_upper=hi, assumption=NO_LIKE_FOR_LIKE,
            sentence=(f"{_n(x)}{noun} in {p.label} against {_n(last)} in {prev}: a comparison cannot be "
                      f"calculated ({enough.reason})."),
        )
    side = ("below" if last < lo else "above" if last > hi else "within")
    sentence = (f"{_n(x)}{noun} in {p.label}, projected to {_n(pt)} for {year.label} ({level} range {_n(lo)} to "
                f"{_n(hi)}), against {_n(last)} in {prev}: last year's figure is {side} the projection's range. "
                f"Not tested as a change: {NO_LIKE_FOR_LIKE}.")
    return PartYearChange(
        "projection range", p.label, prev, x, last, direction=f"last year {side} the range", projection=pt,
        projection_lower=lo, projection_upper=hi, sentence=sentence, assumption=NO_LIKE_FOR_LIKE,
    )


def same_months_change(monthly: pd.Series, *, measure: str = "records", confidence: float = 0.95
                       ) -> PartYearChange | None:
    """The latest calendar year's months against the same months a year earlier, tested.

    Every month of the latest calendar year that also has a figure twelve months earlier is
    summed on both sides and the totals compared like with like (exact conditional
    rate-ratio test, equal exposures; no verdict from fewer than 10 events in the two).

    Parameters
    ----------
    monthly
        Counts indexed by month label ``YYYY-MM`` (missing months are simply absent).
    measure
        Noun for the events.
    confidence
        Level of the test (default 0.95).

    Returns
    -------
    PartYearChange or None
        None when no month of the latest year has a year-earlier figure.

    Examples
    --------
    >>> m = pd.Series([80.0, 70.0, 40.0, 45.0], index=["2024-01", "2024-02", "2025-01", "2025-02"])
    >>> r = same_months_change(m)
    >>> r.period, r.value, r.comparator_value, r.direction
    ('January to February 2025', 85.0, 150.0, 'lower')
    """
    from cdp_analysis.indicators.change import describe_change, rate_ratio_test
    from cdp_analysis.indicators.small_numbers import comparison_adequacy

    s = pd.Series(monthly).dropna()
    if s.empty:
        return None
    keys = [str(k) for k in s.index]
    for k in keys:
        Period.parse(k)  # raises CdpParameterError naming a label that is not a month
    by_month = dict(zip(keys, s.astype(float), strict=True))
    year = max(int(k[:4]) for k in keys)
    pairs = [(k, f"{year - 1}{k[4:]}") for k in sorted(by_month) if k.startswith(f"{year}-")]
    pairs = [(a, b) for a, b in pairs if b in by_month]
    if not pairs:
        return None
    value = sum(by_month[a] for a, _ in pairs)
    previous = sum(by_month[b] for _, b in pairs)
    first, last = int(pairs[0][0][5:]), int(pairs[-1][0][5:])
    months = (calendar.month_name[first] if first == last
              else f"{calendar.month_name[first]} to {calendar.month_name[last]}")
    if len(pairs) != last - first + 1:
        months += f" ({len(pairs)} months)"
    label_a, label_b = f"{months} {year}", f"{months} {year - 1}"
    enough = comparison_adequacy(value, previous, measure)
    if not enough:
        return PartYearChange("cannot be calculated", label_a, label_b, value, previous,
                              sentence=f"{_n(value)} {measure} in {label_a} against {_n(previous)} in {label_b}: "
                                       f"a change cannot be calculated ({enough.reason}).")
    t = rate_ratio_test(value, 1.0, previous, 1.0, confidence=confidence).iloc[0]
    sig = bool(t["significant"])
    sentence = str(describe_change(value, previous, label_a, label_b, measure=measure, confidence=confidence))
    return PartYearChange("same months", label_a, label_b, value, previous, float(t["ratio"]), float(t["lower"]),
                          float(t["upper"]), float(t["p_value"]), sig,
                          ("higher" if value > previous else "lower") if sig else "similar", sentence=sentence)
