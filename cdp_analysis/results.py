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

import pandas as pd

__all__ = ["Explanation", "ResultFrame", "fmt"]


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
