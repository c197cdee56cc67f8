"""Tables for readers: Markdown pipe tables (real header rows in HTML and Word).

Markdown is what both nbconvert (HTML) and pandoc (Word) turn into real tables with
header cells, so notebooks display tables through :func:`markdown_table`.
"""

from __future__ import annotations

import pandas as pd

from cdp_analysis.report.escape import markdown_text

__all__ = ["markdown_table", "escape_md"]


def escape_md(text: object) -> str:
    """Escape text from data for Markdown (HTML and Word): :func:`cdp_analysis.report.escape.markdown_text`.

    >>> escape_md("a|b <script>")
    'a\\\\|b &lt;script&gt;'
    """
    return markdown_text(text)


def _width(texts: list[str]) -> int:
    """Characters a column cannot do without: its longest word (cells wrap between words)."""
    return max(3, max((len(w) for t in texts for w in t.split()), default=1))


def markdown_table(df: pd.DataFrame, *, align: dict[str, str] | None = None) -> str:
    """A Markdown pipe table of ``df`` (already formatted as text); numbers right-aligned.

    The dashes under each header are as many as the column's longest word: pandoc sizes a
    wide table's Word columns in proportion to them, so a table whose longest words fit the
    page together never breaks a word ("Measu re"); nbconvert's HTML ignores them.

    >>> print(markdown_table(pd.DataFrame({"Area": ["BCP"], "Deaths": ["77"]}), align={"Deaths": "right"}))
    | Area | Deaths |
    | :---- | ------: |
    | BCP | 77 |
    """
    align = align or {}
    cells = df.astype(str)
    head = "| " + " | ".join(escape_md(c) for c in df.columns) + " |"
    widths = [_width([str(c), *cells.iloc[:, i]]) for i, c in enumerate(df.columns)]
    rule = "| " + " | ".join(("-" * w + ":") if align.get(c) == "right" else (":" + "-" * w)
                             for c, w in zip(df.columns, widths, strict=True)) + " |"
    body = ["| " + " | ".join(escape_md(v) for v in row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join([head, rule, *body])
