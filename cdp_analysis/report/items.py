"""The items a report section is made of, and the one function that shows them.

A section function returns a list of items: :class:`Md` (Markdown text), :class:`Figure`
(a chart, built only when shown) and :class:`Table` (a frame shown with disclosure control).
:func:`show` displays them in the notebook through :mod:`cdp_analysis.report.outputs`, which
also saves figures and tables when the run has an output folder. Items can be tested without
drawing anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cdp_analysis.report.tables import escape_md

__all__ = ["Md", "Figure", "Table", "Item", "show", "markdown"]


@dataclass
class Md:
    """A block of Markdown."""

    text: str


@dataclass
class Figure:
    """A chart, drawn by ``build()`` -> ``(figure, alt text)`` when shown; ``name`` is its file stem."""

    name: str
    build: Callable[[], tuple[Any, str]]
    title: str = ""
    #: ``"published"`` when it draws counts of a source published openly at this level
    origin: str = "local"


@dataclass
class Table:
    """A table shown with disclosure control on ``count_columns``."""

    df: pd.DataFrame
    name: str
    title: str
    source: str
    notes: str | None = None
    count_columns: Sequence[str] = ()
    formats: dict[str, str] | None = field(default=None)
    #: which totals are published (see :func:`cdp_analysis.report.outputs.prepare_table`); None
    #: for a series whose suppression was decided where it was computed
    totals: str | Sequence[str] | None = "group"
    #: show the ``status`` column (False: it only carries the upstream ``c`` decision)
    show_status: bool = True
    #: ``"published"`` for a source published openly at this level, else ``"local"``
    origin: str = "local"


Item = Md | Figure | Table


def show(items: Sequence[Item]) -> None:
    """Display a section's items in the notebook (Markdown, then charts and tables via outputs)."""
    from IPython.display import Markdown, display

    from cdp_analysis.report import outputs

    for item in items:
        if isinstance(item, Md):
            display(Markdown(item.text))
        elif isinstance(item, Figure):
            try:
                fig, alt = item.build()
            except Exception as exc:  # a chart that cannot be drawn must not stop the report
                display(Markdown(f"*Chart not drawn ({escape_md(exc)}).*"))
                continue
            outputs.show_figure(fig, item.name, alt=alt, origin=item.origin)
        elif isinstance(item, Table):
            outputs.show_table(item.df, item.name, title=item.title, source=item.source, notes=item.notes,
                               count_columns=tuple(item.count_columns), formats=item.formats,
                               totals=item.totals, show_status=item.show_status, origin=item.origin)


def markdown(items: Sequence[Item]) -> str:
    """The Markdown of a section's text items, joined by blank lines (figures and tables left out).

    >>> print(markdown([Md("A finding."), Figure("f", lambda: (None, "")), Md("Another.")]))
    A finding.
    <BLANKLINE>
    Another.
    """
    return "\n\n".join(i.text for i in items if isinstance(i, Md))
