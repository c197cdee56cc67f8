"""The exceptions cdp-analysis raises.

Every error a user can cause is a :class:`CdpError`; bad input files and frames raise
:class:`CdpInputError`, which names the place (file, sheet, row, column) and what was
expected there, so the analyst can open the file and fix it without reading a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["CdpError", "CdpInputError", "CdpParameterError", "CdpRunError"]


class CdpError(Exception):
    """Base class of every error raised on purpose by cdp-analysis."""


def _format_rows(rows: Any) -> str:
    if isinstance(rows, (str, int)):
        return str(rows)
    if isinstance(rows, Iterable):
        items = list(rows)
        shown = ", ".join(str(r) for r in items[:10])
        if len(items) > 10:
            shown += f", ... ({len(items)} rows in all)"
        return shown
    return str(rows)


class CdpInputError(CdpError, ValueError):
    """Invalid input data: a file, sheet or frame that does not hold what was expected.

    Parameters
    ----------
    message
        What is wrong, in plain words.
    file
        Path of the file read (``None`` for an in-memory frame).
    sheet
        Worksheet name, for workbooks.
    row
        Row number(s) where the problem is: 1-based line or spreadsheet row numbers for
        files, index labels for frames.
    column
        Column name (or spreadsheet column letter).
    expected
        What should have been there.

    Examples
    --------
    >>> err = CdpInputError("not a number", file="returns.csv", row=4, column="value",
    ...                     expected="a number", value="n/a")
    >>> print(err)
    returns.csv, row 4, column 'value': not a number (found 'n/a'; expected a number)
    """

    def __init__(
        self,
        message: str,
        *,
        file: Any = None,
        sheet: str | None = None,
        row: Any = None,
        column: str | None = None,
        expected: str | None = None,
        value: Any = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.sheet = sheet
        self.row = row
        self.column = column
        self.expected = expected
        self.value = value
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.sheet is not None:
            where.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            rows = _format_rows(self.row)
            where.append(("rows " if "," in rows else "row ") + rows)
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        detail = []
        if self.value is not None:
            detail.append(f"found {self.value!r}")
        if self.expected is not None:
            detail.append(f"expected {self.expected}")
        if detail:
            text += " (" + "; ".join(detail) + ")"
        return text


class CdpParameterError(CdpError, ValueError):
    """A bad argument or run parameter (period label, area id, option value)."""


class CdpRunError(CdpError, RuntimeError):
    """A batch run, notebook execution or rendering step failed."""
