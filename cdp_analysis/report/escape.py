"""One escaping function per output format, for every piece of text that comes from data.

Text from inputs (a returns note, an area name, a metric id, a cell of a published file)
must never come out *live* in a report: no link, image, script or HTML in the HTML and Word
reports, no formula or hyperlink in the spreadsheet or the CSV tables.

=====================  ===================================  ===============================
output                 function                             used by
=====================  ===================================  ===============================
Markdown (HTML, Word)  :func:`markdown_text`                 ``report.tables.markdown_table``,
                                                             ``escape_md`` (its old name),
                                                             every section writer
spreadsheet cell       :func:`spreadsheet_cell`              ``report.workbook`` (tables.xlsx)
CSV cell               :func:`csv_cell`                      ``report.outputs.show_table``
                                                             (``tables/*.csv``)
=====================  ===================================  ===============================

Markdown: ``<``, ``>`` and ``&`` become HTML entities (no raw HTML, no ``<scheme:...>``
autolinks); the brackets that open links and images, backslashes and table pipes
(``[ ] \\ |``) are backslash-escaped (shorthand such as ``[c]`` is kept as written when no
link target follows it; emphasis such as ``**differs**``, which the report's own cells use,
is left to render), and ``://`` is broken for the bare-URL autolinker, so
``[x](javascript:alert(1))`` and ``https://example.org`` stay text. Newlines become
spaces (a cell cannot start a heading, list or link definition). Rendered, the reader sees
exactly the characters of the input.

Spreadsheets and CSV: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return (or their full-width forms) is prefixed with an apostrophe, as OWASP's
CSV-injection guidance recommends, so spreadsheet programs show it as text rather than run
it; a cell that is a plain number (``-7.4``, ``+3``, ``-1,234``) is left alone, and numbers
stay numbers. The workbook is also written with xlsxwriter's ``strings_to_formulas`` and
``strings_to_urls`` off.

Examples
--------
>>> markdown_text("[click](javascript:alert(1)) [x](javascript:alert(2)) [c] <b>")
'\\\\[click\\\\](javascript:alert(1)) \\\\[x\\\\](javascript:alert(2)) [c] &lt;b&gt;'
>>> csv_cell("=HYPERLINK(\\"http://x\\")"), csv_cell("-7.4"), csv_cell(-7.4), csv_cell("@SUM(A1)")
('\\'=HYPERLINK("http://x")', '-7.4', -7.4, "'@SUM(A1)")
"""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = ["markdown_text", "spreadsheet_cell", "csv_cell", "FORMULA_TRIGGERS", "XLSX_OPTIONS"]

#: first characters that make a spreadsheet program read a cell as a formula (OWASP, plus full-width forms)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: xlsxwriter options: strings are written as strings, never as formulas or hyperlinks
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False}

_MD_PUNCT = re.compile(r"([\\|])")
# [c], [x], [low]: kept as written (they link to nothing), unless a link target could follow them
_SHORTHAND = re.compile(r"\[[a-z]{1,4}\](?![(\[:])")
_BRACKET = re.compile(r"[\[\]]")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?%?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def markdown_text(text: object) -> str:
    """Text from data for Markdown that becomes HTML and Word: shown exactly, never live.

    Examples
    --------
    >>> markdown_text("a|b <script>")
    'a\\\\|b &lt;script&gt;'
    >>> markdown_text("see https://example.org\\nnext line")
    'see https:\\\\//example.org next line'
    """
    s = _CONTROL.sub("", str(text)).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    s = html.escape(s, quote=False)
    s = _MD_PUNCT.sub(r"\\\1", s)
    parts = _SHORTHAND.split(s)
    codes = _SHORTHAND.findall(s)
    s = "".join(_BRACKET.sub(lambda m: "\\" + m[0], p) + (codes[i] if i < len(codes) else "")
                for i, p in enumerate(parts))
    return s.replace("://", ":\\//")


def spreadsheet_cell(value: Any) -> Any:
    """A value for a spreadsheet cell: text that a spreadsheet would run is prefixed with ``'``.

    Numbers (and text that is a plain number) are returned unchanged.

    Examples
    --------
    >>> spreadsheet_cell("=1+1"), spreadsheet_cell("+44 20 7946 0000"), spreadsheet_cell(-3)
    ("'=1+1", "'+44 20 7946 0000", -3)
    >>> spreadsheet_cell("-1,234"), spreadsheet_cell("[c]")
    ('-1,234', '[c]')
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_TRIGGERS):
        return value
    if _PLAIN_NUMBER.fullmatch(value.strip()):
        return value
    return "'" + value


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell (``tables/*.csv``): the same rule as :func:`spreadsheet_cell`.

    A CSV file opens in a spreadsheet program by double-click, so it gets the same
    protection. A carriage return inside text becomes a newline: pandas quotes cells
    holding newlines but not lone carriage returns, which readers take as the end of a row.

    Examples
    --------
    >>> csv_cell(chr(13) + "=1+1") == "'" + chr(10) + "=1+1"
    True
    """
    value = spreadsheet_cell(value)
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value
