"""Results that show themselves: the shared rendering of the library's result types.

A result of cdp-analysis is a table (one row per area, period or value given) that also says,
in a notebook, what it found and how:

* :class:`Explanation`, a frozen dataclass: a title, the plain-English sentences, a small table
  of facts (model, backtest accuracy, confidence level, benchmark used), warnings in plain
  words, the method and its published reference. It has ``_repr_html_`` (JupyterLab) and a
  plain ``__str__``.
* :class:`ResultFrame`, a :class:`pandas.DataFrame` subclass that keeps every column and
  ``attrs`` of the frames the library returned before (so code that reads them is unchanged)
  and adds ``.explain()`` (its :class:`Explanation`), ``_repr_html_`` (the explanation above
  the table), a plain ``__repr__`` and ``.to_frame()`` (a plain DataFrame). Operations on it
  (selecting rows, merging) give plain DataFrames, whose meaning may have changed.

The result types built on it: :class:`cdp_analysis.indicators.change.ChangeTest`,
:class:`cdp_analysis.indicators.projection.YearEndProjection`,
:class:`cdp_analysis.indicators.targets.TargetStatus`,
:class:`cdp_analysis.indicators.comparison.Comparison`,
:class:`cdp_analysis.indicators.funnels.FunnelResult` and
:class:`cdp_analysis.models.forecast.Forecast`.

Every piece of text is escaped before it goes into HTML: nothing from an input comes out live.

Examples
--------
>>> e = Explanation("Change", ("55 against 59: not a statistically significant change.",),
...                 method="Exact test of two Poisson rates", reference="Breslow & Day 1987",
...                 facts=(("confidence", "95%"),))
>>> print(e)
Change
55 against 59: not a statistically significant change.
  confidence: 95%
Method: Exact test of two Poisson rates. Reference: Breslow & Day 1987.
>>> "<table" in e._repr_html_()
True
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Explanation", "ResultFrame", "chance_words", "fmt", "fmt_set"]


def fmt(v: Any, digits: int = 2) -> str:
    """A number for a sentence: whole numbers with commas, others to ``digits`` decimals.

    >>> fmt(2846.0), fmt(1.70207), fmt(float("nan")), fmt("a")
    ('2,846', '1.70', 'not available', 'a')
    """
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if x != x:
        return "not available"
    if x == round(x) and abs(x) < 1e15:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def fmt_set(*values: Any) -> list[str]:
    """Related numbers (a value and its limits) with one number of decimal places.

    >>> fmt_set(5.3, 4.0, 7.0), fmt_set(59, 45, 76), fmt_set(12.345, 10.1, 15.0)
    (['5.30', '4.00', '7.00'], ['59', '45', '76'], ['12.3', '10.1', '15.0'])
    """
    nums = []
    for v in values:
        try:
            nums.append(float(v))
        except (TypeError, ValueError):
            nums.append(float("nan"))
    finite = [abs(x) for x in nums if x == x]
    if not finite or all(x == round(x) for x in finite):
        return [fmt(v) for v in values]
    top = max(finite)
    digits = 0 if top >= 1000 else 1 if top >= 10 else 2
    return ["not available" if x != x else f"{x:,.{digits}f}" for x in nums]


def chance_words(p: float) -> str:
    """A probability as readers say it.

    >>> chance_words(0.946), chance_words(0.9991), chance_words(0.004), chance_words(float("nan"))
    ('95% chance', 'more than 99% chance', 'less than 1% chance', 'chance not estimable')
    """
    if not np.isfinite(p):
        return "chance not estimable"
    if p > 0.99:
        return "more than 99% chance"
    if p < 0.01:
        return "less than 1% chance"
    return f"{p * 100:.0f}% chance"


@dataclass(frozen=True)
class Explanation:
    """What a result found and how, for people: shown by JupyterLab and printed as text.

    Parameters
    ----------
    title
        What the result is ("Forecast of drug_misuse_deaths").
    sentences
        The findings in plain English, one per row or one overall.
    method
        The method in a few words.
    reference
        Its published reference.
    facts
        ``(name, value)`` pairs shown as a small table (model, MASE, coverage, confidence).
    warnings
        Plain-English warnings, shown first and marked.
    """

    title: str
    sentences: tuple[str, ...] = ()
    method: str = ""
    reference: str = ""
    facts: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [self.title]
        lines += [f"Warning: {w}" for w in self.warnings]
        lines += list(self.sentences)
        lines += [f"  {k}: {v}" for k, v in self.facts]
        foot = " ".join(p for p in (f"Method: {self.method}." if self.method else "",
                                    f"Reference: {self.reference}." if self.reference else "") if p)
        if foot:
            lines.append(foot)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = html.escape
        parts = [f'<div class="cdp-result"><p><strong>{e(self.title)}</strong></p>']
        for w in self.warnings:
            parts.append(f'<p style="color:#a8071a"><strong>Warning:</strong> {e(w)}</p>')
        parts += [f"<p>{e(s)}</p>" for s in self.sentences]
        if self.facts:
            rows = "".join(f"<tr><th style='text-align:left'>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in self.facts)
            parts.append(f"<table>{rows}</table>")
        foot = []
        if self.method:
            foot.append(f"<strong>Method:</strong> {e(self.method)}.")
        if self.reference:
            foot.append(f"<strong>Reference:</strong> {e(self.reference)}.")
        if foot:
            parts.append(f"<p><small>{' '.join(foot)}</small></p>")
        parts.append("</div>")
        return "".join(parts)


class ResultFrame(pd.DataFrame):
    """A result table that explains itself (base class; see the module docstring).

    Subclasses implement :meth:`explain`. Selections and other operations return plain
    :class:`pandas.DataFrame` objects.
    """

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    @classmethod
    def wrap(cls, frame: pd.DataFrame) -> ResultFrame:
        """``frame`` as this result type (same columns, index and ``attrs``)."""
        out = cls(frame)
        out.attrs = dict(frame.attrs)
        return out

    def explain(self) -> Explanation:
        """The explanation of this result (overridden by each result type)."""
        return Explanation(type(self).__name__)

    def to_frame(self) -> pd.DataFrame:
        """The table as a plain DataFrame (a copy, with ``attrs``)."""
        out = pd.DataFrame(self).copy()
        out.attrs = dict(self.attrs)
        return out

    def _repr_html_(self) -> str | None:
        table = pd.DataFrame._repr_html_(self)
        return self.explain()._repr_html_() + (table or html.escape(pd.DataFrame.__repr__(self)))

    def __repr__(self) -> str:
        return f"{self.explain()}\n\n{pd.DataFrame.__repr__(self)}"


# ------------------------------------------------------------------------ the result types
def _level(c: Any) -> str:
    try:
        return f"{float(c) * 100:g}%"
    except (TypeError, ValueError):
        return "95%"


def _get(row: Any, *names: str, default: Any = float("nan")) -> Any:
    for n in names:
        if n in row.index:
            return row[n]
    return default


class ChangeTest(ResultFrame):
    """A test of change between two figures (:func:`~cdp_analysis.indicators.rate_ratio_test`,
    :func:`~cdp_analysis.indicators.proportion_difference_test`), one row per pair.

    Says "a statistically significant rise/fall" only when ``significant``; otherwise "not a
    statistically significant change". Columns as before (``ratio`` or ``difference``,
    ``lower``, ``upper``, ``p_value``, ``significant``); ``attrs["confidence"]``.

    Examples
    --------
    >>> from cdp_analysis import indicators as ind
    >>> print(ind.rate_ratio_test(55, 1, 59, 1).explain().sentences[0])
    55 against 59: not a statistically significant change (rate ratio 0.93, 95% CI 0.63 to 1.37, p = 0.78).
    """

    def explain(self) -> Explanation:
        level = _level(self.attrs.get("confidence", 0.95))
        sentences = []
        ratio = "ratio" in self.columns
        for _, r in self.iterrows():
            if ratio:
                a, b = _get(r, "count_a", "x_a"), _get(r, "count_b", "x_b")
                est, up = float(r["ratio"]), float(r["ratio"]) > 1
                stat = f"rate ratio {est:.2f}, {level} CI {float(r['lower']):.2f} to {float(r['upper']):.2f}"
                head = f"{fmt(a)} against {fmt(b)}"
            else:
                pa, pb = float(r["proportion_a"]), float(r["proportion_b"])
                est, up = float(r["difference"]), float(r["difference"]) > 0
                stat = (f"difference {est * 100:+.1f} percentage points, {level} CI {float(r['lower']) * 100:+.1f} "
                        f"to {float(r['upper']) * 100:+.1f}")
                head = f"{pa:.1%} against {pb:.1%}"
            verdict = (f"a statistically significant {'rise' if up else 'fall'}" if bool(r["significant"])
                       else "not a statistically significant change")
            sentences.append(f"{head}: {verdict} ({stat}, p = {float(r['p_value']):.2f}).")
        if ratio:
            method = "exact conditional test of two Poisson rates with Clopper-Pearson limits for the ratio"
            reference = "Breslow NE, Day NE. Statistical methods in cancer research, vol. II, IARC 1987, §2.4"
        else:
            method = ("difference of two proportions with Newcombe's hybrid score interval; pooled z test, "
                      "Fisher's exact test for small counts")
            reference = "Newcombe RG. Statistics in Medicine 1998; 17: 873-890 (method 10)"
        return Explanation("Test of change", tuple(sentences), method, reference,
                           facts=(("confidence", level),))


class YearEndProjection(ResultFrame):
    """Year-to-date values projected to the year end with a predictive range
    (:func:`~cdp_analysis.indicators.project_year_end`), one row per value.

    Examples
    --------
    >>> from cdp_analysis import indicators as ind
    >>> print(ind.project_year_end(38, "2023/24 Q1").explain().sentences[0])
    38 to 2023/24 Q1 projects to 152 for 2023/24 (95% predictive range 115 to 199; run_rate).
    """

    def explain(self) -> Explanation:
        level = _level(self.attrs.get("confidence", 0.95))
        sentences = []
        for _, r in self.iterrows():
            lo, hi = float(r["lower"]), float(r["upper"])
            rng = f"{level} predictive range {fmt(lo, 0)} to {fmt(hi, 0)}; " if lo == lo and hi == hi else ""
            sentences.append(f"{fmt(r['value_to_date'])} to {r['period']} projects to {fmt(r['projection'], 0)} "
                             f"for {r['year']} ({rng}{r['method']}).")
        notes = tuple(dict.fromkeys(str(n) for n in self.get("note", [])))
        return Explanation(
            "Year-end projection", tuple(sentences) + notes,
            method=("run rate (value to date over the fraction of the year elapsed) or the seasonal share of past "
                    "years; counts get a gamma-Poisson (negative binomial) or beta-negative-binomial predictive range"),
            reference=("Cox DR, Lewis PAW. The statistical analysis of series of events, 1966; Bernardo JM, Smith AFM. "
                       "Bayesian theory, 1994, appendix A"),
            facts=(("confidence", level), ("unit", str(self.attrs.get("unit", "")))),
        )


class TargetStatus(ResultFrame):
    """On track, at risk or off track: projections against targets
    (:func:`~cdp_analysis.indicators.target_status`), one row per target, with the rule.

    Examples
    --------
    >>> from cdp_analysis import indicators as ind
    >>> print(ind.target_status(ind.project_year_end(38, "2023/24 Q1"), 150).explain().sentences[0])
    Projection 152 against a target of 150: at risk (the range 115 to 199 includes the target of 150).
    """

    def explain(self) -> Explanation:
        sentences = [f"Projection {fmt(r['projection'], 0)} against a target of {fmt(r['target'])}: {r['status']} "
                     f"({r['reason']})" + (f"; {chance_words(float(r['probability']))} of meeting it."
                                           if "probability" in r.index else ".") for _, r in self.iterrows()]
        rules = tuple(dict.fromkeys(str(r) for r in self.get("rule", [])))
        return Explanation("Target status", tuple(sentences), method="; ".join(rules),
                           reference="project note docs/references/forecasting.md §3.3 (judged on the predictive range)")


class Comparison(ResultFrame):
    """Areas compared with a benchmark by Fingertips' overlapping-interval rule
    (:func:`~cdp_analysis.indicators.compare`): ``comparison`` per row, with the benchmark
    value, its name and the confidence level used (columns ``benchmark``,
    ``benchmark_name``, ``confidence``).

    Examples
    --------
    >>> import pandas as pd
    >>> from cdp_analysis import indicators as ind
    >>> r = ind.rate(pd.DataFrame({"count": [59], "denominator": [780_000]}))
    >>> print(ind.compare(r, benchmark=9.0, polarity="lower_is_better").explain().sentences[0])
    7.56 (95% CI 5.76 to 9.76) against 9.00 (benchmark): similar.
    """

    def explain(self) -> Explanation:
        level = _level(self.attrs.get("confidence", _get(self.iloc[0], "confidence", default=0.95)
                                      if len(self) else 0.95))
        lo_c, hi_c = self.attrs.get("lower", "lower_95"), self.attrs.get("upper", "upper_95")
        sentences = []
        for _, r in self.iterrows():
            name = _get(r, "area_name", "area_code", "area", default=None)
            who = f"{name}: " if name is not None and name == name else ""
            bname = _get(r, "benchmark_name", default="benchmark")
            v, lo, hi, b = fmt_set(r["value"], _get(r, lo_c), _get(r, hi_c), _get(r, "benchmark"))
            sentences.append(f"{who}{v} ({level} CI {lo} to {hi}) against {b} ({bname}): {r['comparison']}.")
        return Explanation(
            "Comparison with a benchmark", tuple(sentences),
            method=(f"the benchmark value against the area's {level} confidence interval: inside is 'similar', "
                    f"outside is better/worse by the metric's polarity ({self.attrs.get('polarity', 'neutral')})"),
            reference="OHID, Fingertips technical guidance: comparing an indicator value with a benchmark",
            facts=(("confidence", level), ("polarity", str(self.attrs.get("polarity", "neutral")))),
        )


class FunnelResult(ResultFrame):
    """Areas placed on a funnel plot (:func:`~cdp_analysis.indicators.funnel_significance`):
    ``significance`` per area ("High (0.001)" ... "Not significant").

    Examples
    --------
    >>> import pandas as pd
    >>> from cdp_analysis import indicators as ind
    >>> df = pd.DataFrame({"x": [10, 40, 12], "n": [100, 100, 100]})
    >>> print(ind.funnel_significance(df, "x", "proportion", denominator="n").explain().sentences[0])
    3 areas: 1 above the 99.8% limits, 0 below them. 2 more outside the 95% limits only.
    """

    def explain(self) -> Explanation:
        sig = self["significance"].astype(str) if "significance" in self.columns else pd.Series(dtype=str)
        n = len(self)
        parts = []
        for word, side in (("High (0.001)", "above the 99.8% limits"), ("Low (0.001)", "below them")):
            k = int((sig == word).sum())
            parts.append(f"{k} {side}")
        between = int(sig.isin(["High (0.025)", "Low (0.025)"]).sum())
        text = f"{n} area{'s' if n != 1 else ''}: " + ", ".join(parts) + "."
        if between:
            text += f" {between} more outside the 95% limits only."
        return Explanation(
            "Funnel plot significance", (text,),
            method="each area's count against control limits around the overall value (95% and 99.8%)",
            reference="Spiegelhalter DJ. Funnel plots for comparing institutional performance. Stat Med 2005; 24: 1185-1202",
        )
