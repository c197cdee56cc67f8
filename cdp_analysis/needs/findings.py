"""Typed findings of the application layer: a count against the year before
(:class:`CountChange`), a proportion against the cohort a year before (:class:`ProportionChange`)
a part year projected to its end (:class:`PartYearProjection`) and a year of drug seizures
(:class:`SeizuresSummary`); an estimate of alcohol dependence (:class:`AlcoholDependence`).

Frozen dataclasses in the statsmodels manner: named fields for the figures (the two periods,
the two figures, the estimate with its interval and p-value, the verdict and the sentence a
report prints), the library's :class:`cdp_analysis.results.ChangeTest` kept as ``test`` for
the full table and its method, a plain ``repr`` and ``_repr_html_`` (a small table of facts and
the sentence) for JupyterLab. The sentence comes from
:func:`cdp_analysis.indicators.describe_change`; these types only carry it.

Examples
--------
>>> c = CountChange(period="2021", previous_period="2020", count=55.0, previous=59.0, ratio=0.93,
...                 lower=0.63, upper=1.37, p_value=0.78, significant=False, suppressed=False,
...                 sentence="55 deaths in 2021 against 59 in 2020: not a statistically significant change")
>>> c.verdict
'not a statistically significant change'
>>> print(c)
CountChange: 2020 to 2021
55 deaths in 2021 against 59 in 2020: not a statistically significant change
  count: 55 (2021), 59 (2020)
  rate ratio: 0.93 (95% CI 0.63 to 1.37)
  p-value: 0.78
  verdict: not a statistically significant change
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cdp_analysis.results import fmt

if TYPE_CHECKING:
    import pandas as pd

    from cdp_analysis.results import ChangeTest

__all__ = ["AlcoholDependence", "CountChange", "PartYearProjection", "ProportionChange", "SeizuresSummary"]

NOT_SIGNIFICANT = "not a statistically significant change"


def _verdict(significant: bool | None, up: bool) -> str:
    if significant is None:
        return "a change cannot be calculated"
    if not significant:
        return NOT_SIGNIFICANT
    return f"a statistically significant {'rise' if up else 'fall'}"


def _show(title: str, sentence: str, facts: list[tuple[str, str]]) -> tuple[str, str]:
    text = "\n".join([title, sentence] + [f"  {k}: {v}" for k, v in facts])
    e = html.escape
    rows = "".join(f"<tr><th style='text-align:left'>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in facts)
    page = (f'<div class="cdp-result"><p><strong>{e(title)}</strong></p><p>{e(sentence)}</p>'
            f"<table>{rows}</table></div>")
    return text, page


@dataclass(frozen=True)
class CountChange:
    """A count (or a rate: count over its denominator) against the one a period before, tested with the
    exact rate-ratio test.

    Attributes
    ----------
    period, previous_period
        The labels of the latest period and the one before it.
    count, previous
        The two counts (NaN when suppressed).
    ratio, lower, upper
        The rate ratio (``count / previous`` for equal exposures) and its 95% Clopper-Pearson-based
        interval (NaN when suppressed or not tested).
    p_value
        The two-sided exact conditional p-value (Breslow & Day 1987, §2.4); NaN when not tested.
    significant
        True or False when tested at 5%; ``None`` when the counts are too small to test.
    suppressed
        Either count is hidden ``[c]``: nothing about the change is stated.
    sentence
        The report's sentence (no full stop).
    test
        The library's :class:`~cdp_analysis.results.ChangeTest` table, when a test was run.
    """

    period: str
    previous_period: str
    count: float
    previous: float
    ratio: float
    lower: float
    upper: float
    p_value: float
    significant: bool | None
    suppressed: bool
    sentence: str
    test: ChangeTest | None = field(default=None, repr=False, compare=False)

    @property
    def tested(self) -> bool:
        """The change was tested (not suppressed, enough whole counts, the series comparable)."""
        return not self.suppressed and self.significant is not None and not math.isnan(self.ratio)

    @property
    def verdict(self) -> str:
        """``"a statistically significant rise"``/``"... fall"``, ``"not a statistically significant
        change"``, ``"a change cannot be calculated"`` or ``"not shown"`` (suppressed)."""
        if self.suppressed:
            return "not shown"
        return _verdict(self.significant, self.ratio > 1)

    def _facts(self) -> list[tuple[str, str]]:
        if self.suppressed:
            return [("count", "[c]"), ("verdict", self.verdict)]
        facts = [("count", f"{fmt(self.count)} ({self.period}), {fmt(self.previous)} ({self.previous_period})")]
        if not math.isnan(self.ratio):
            facts += [("rate ratio", f"{self.ratio:.2f} (95% CI {self.lower:.2f} to {self.upper:.2f})"),
                      ("p-value", f"{self.p_value:.2f}")]
        return facts + [("verdict", self.verdict)]

    def __str__(self) -> str:
        return _show(f"CountChange: {self.previous_period} to {self.period}", self.sentence, self._facts())[0]

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return _show(f"Change from {self.previous_period} to {self.period}", self.sentence, self._facts())[1]


@dataclass(frozen=True)
class ProportionChange:
    """A proportion against the one a year before, tested as a difference of two proportions.

    Attributes
    ----------
    period, base_period
        The labels of the latest cohort and of the cohort a year before.
    value, base_value
        The two proportions as published (per cent).
    difference, lower, upper
        The difference of the proportions (latest minus base, as a fraction) and its 95%
        Newcombe hybrid score interval.
    p_value
        The two-sided p-value (pooled z test; Fisher's exact test for small counts).
    significant
        The difference is statistically significant at 5%.
    sentence
        The report's sentence (no full stop).
    years_before
        Whole years between the end of the latest cohort and the end of the reporting period.
    test
        The library's :class:`~cdp_analysis.results.ChangeTest` table.
    """

    period: str
    base_period: str
    value: float
    base_value: float
    difference: float
    lower: float
    upper: float
    p_value: float
    significant: bool
    sentence: str
    years_before: int
    test: ChangeTest | None = field(default=None, repr=False, compare=False)

    @property
    def verdict(self) -> str:
        """``"a statistically significant rise"``/``"... fall"`` or ``"not a statistically
        significant change"``."""
        return _verdict(self.significant, self.difference > 0)

    def _facts(self) -> list[tuple[str, str]]:
        return [("proportion", f"{self.value:.1f}% ({self.period}), {self.base_value:.1f}% ({self.base_period})"),
                ("difference", f"{self.difference * 100:+.1f} percentage points (95% CI {self.lower * 100:+.1f} "
                               f"to {self.upper * 100:+.1f})"),
                ("p-value", f"{self.p_value:.2g}"), ("verdict", self.verdict),
                ("years before the period", str(self.years_before))]

    def __str__(self) -> str:
        return _show(f"ProportionChange: {self.base_period} to {self.period}", self.sentence, self._facts())[0]

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return _show(f"Change from {self.base_period} to {self.period}", self.sentence, self._facts())[1]


@dataclass(frozen=True)
class PartYearProjection:
    """The total of a part year projected to the year end, with its predictive interval.

    Attributes
    ----------
    metric_id
        The metric projected.
    period, year
        The months to date (``"2025-01..2025-06"``) and the year they fall in (``"2025"``).
    value
        The count to date.
    projection, lower, upper
        The projected year total and its 95% predictive interval.
    method
        How it was projected (run rate, seasonal share or the seasonal GLM, with its reason).
    last_year, last_year_value
        The previous year's label and complete total (NaN when that year is incomplete).
    change_sentence
        The like-for-like sentence comparing the months to date with the same months of last
        year (:func:`cdp_analysis.indicators.part_year_change`), or ``None``.
    """

    metric_id: str
    period: str
    year: str
    value: float
    projection: float
    lower: float
    upper: float
    method: str
    last_year: str
    last_year_value: float
    change_sentence: str | None = None

    @property
    def sentence(self) -> str:
        """The projection in words (no full stop)."""
        return (f"{self.value:,.0f} in {self.period}; projected {self.projection:,.0f} for {self.year} "
                f"(95% interval {self.lower:,.0f} to {self.upper:,.0f}; {self.method})")

    def _facts(self) -> list[tuple[str, str]]:
        facts = [("to date", f"{fmt(self.value)} ({self.period})"),
                 ("projection", f"{self.projection:,.0f} (95% interval {self.lower:,.0f} to {self.upper:,.0f})"),
                 ("method", self.method)]
        if not math.isnan(self.last_year_value):
            facts.append(("last year", f"{fmt(self.last_year_value)} ({self.last_year})"))
        return facts

    def _text(self) -> str:
        return self.sentence + (f". {self.change_sentence}" if self.change_sentence else "")

    def __str__(self) -> str:
        return _show(f"PartYearProjection: {self.metric_id} {self.year}", self._text(), self._facts())[0]

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return _show(f"Year-end projection of {self.metric_id}, {self.year}", self._text(), self._facts())[1]


@dataclass(frozen=True)
class SeizuresSummary:
    """The latest financial year of Home Office drug seizures: totals, the change and the trend.

    Attributes
    ----------
    period
        The latest year (``"2018/19"``).
    total, class_a, cannabis
        Seizures of any drug, of a Class A drug and of cannabis that year (``None`` where not
        published); one seizure can involve several drugs.
    change
        The latest year against the one before (:class:`CountChange`), or ``None``.
    trend, trend_from
        Fingertips' recent-trend verdict over the latest five years and its first year
        (``"cannot be calculated"`` and ``None`` with fewer than five years).
    annual
        The yearly series of all drugs with its Poisson limits and the ``class_a`` and
        ``cannabis`` counts.
    """

    period: str
    total: float
    class_a: float | None
    cannabis: float | None
    change: CountChange | None
    trend: str
    trend_from: str | None
    annual: pd.DataFrame = field(repr=False, compare=False)

    @property
    def sentence(self) -> str:
        """The change sentence, or the total when there is no change to state (no full stop)."""
        return self.change.sentence if self.change is not None else f"{fmt(self.total)} seizures in {self.period}"

    def _facts(self) -> list[tuple[str, str]]:
        facts = [("seizures", f"{fmt(self.total)} ({self.period})")]
        facts += [(k, fmt(v)) for k, v in (("Class A", self.class_a), ("cannabis", self.cannabis)) if v is not None]
        trend = f"{self.trend} ({self.trend_from} to {self.period})" if self.trend_from else self.trend
        return facts + [("recent trend", trend)]

    def __str__(self) -> str:
        return _show(f"SeizuresSummary: {self.period}", self.sentence, self._facts())[0]

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return _show(f"Drug seizures, {self.period}", self.sentence, self._facts())[1]


@dataclass(frozen=True)
class AlcoholDependence:
    """PHE's modelled estimate of alcohol-dependent adults for an area, with England's.

    Attributes
    ----------
    period
        The latest published year (``"2017/18"``).
    count, lower, upper
        The area's estimate and its 95% interval (``None``: no estimate on these boundaries;
        the interval is ``None`` for a sum of the areas of the time, which has none published).
    parts
        The codes of the areas of the time summed (empty when there is no estimate).
    england, england_lower, england_upper
        England's estimate and interval (``None`` when not in the store).
    reason
        Why there is no estimate (else ``""``).
    """

    period: str
    count: float | None
    lower: float | None
    upper: float | None
    parts: tuple[str, ...]
    england: float | None
    england_lower: float | None
    england_upper: float | None
    reason: str = ""

    @property
    def sentence(self) -> str:
        """The estimate in words (no full stop)."""
        if self.count is None:
            return f"No estimate on these boundaries: {self.reason}"
        rng = f" (95% interval {self.lower:,.0f} to {self.upper:,.0f})" if self.lower is not None else ""
        return f"An estimated {self.count:,.0f} adults were dependent on alcohol in {self.period}{rng}"

    def _facts(self) -> list[tuple[str, str]]:
        facts = [("estimate", "none" if self.count is None else fmt(self.count))]
        if self.parts:
            facts.append(("areas of the time", ", ".join(self.parts)))
        if self.england is not None:
            facts.append(("England", f"{fmt(self.england)} (95% interval {fmt(self.england_lower)} to "
                                     f"{fmt(self.england_upper)})"))
        return facts

    def __str__(self) -> str:
        return _show(f"AlcoholDependence: {self.period}", self.sentence, self._facts())[0]

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return _show(f"Alcohol-dependent adults, {self.period}", self.sentence, self._facts())[1]
