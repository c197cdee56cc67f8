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


def markdown_table(df: pd.DataFrame, *, align: dict[str, str] | None = None) -> str:
    """A Markdown pipe table of ``df`` (already formatted as text); numbers right-aligned.

    >>> print(markdown_table(pd.DataFrame({"Area": ["BCP"], "Deaths": ["77"]}), align={"Deaths": "right"}))
    | Area | Deaths |
    | :--- | ---: |
    | BCP | 77 |
    """
    align = align or {}
    head = "| " + " | ".join(escape_md(c) for c in df.columns) + " |"
    rule = "| " + " | ".join("---:" if align.get(c) == "right" else ":---" for c in df.columns) + " |"
    body = ["| " + " | ".join(escape_md(v) for v in row) + " |" for row in df.astype(str).itertuples(index=False)]
    return "\n".join([head, rule, *body])
