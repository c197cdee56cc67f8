"""The exceptions cdp-analysis raises.

Every error a user can cause is a :class:`CdpError`; bad input files and frames raise
:class:`CdpInputError`, which names the place (file, sheet, row, column) and what was
expected there, so the analyst can open the file and fix it without reading a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["CdpError", "CdpFetchError", "CdpInputError", "CdpParameterError", "CdpRunError", "describe_exception",
           "printable"]


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
        self.problems: list[CdpInputError] = [self]
        super().__init__(self._render())

    @classmethod
    def combine(cls, problems: list[CdpInputError], limit: int = 10) -> CdpInputError:
        """One error for several problems of one file: the first's place, the others listed after it.

        ``problems`` of the result holds them all, so a program can show each.

        Examples
        --------
        >>> a = CdpInputError("not a number", file="r.csv", row=3, column="value", value="n/a")
        >>> b = CdpInputError("unknown status code", file="r.csv", row=5, column="status", value="q")
        >>> err = CdpInputError.combine([a, b])
        >>> print(err)
        r.csv, row 3, column 'value': not a number (found 'n/a'); 1 more problem: row 5, column 'status': unknown status code (found 'q')
        >>> (err.row, len(err.problems))
        (3, 2)
        """
        first = problems[0]
        err = cls(first.message, file=first.file, sheet=first.sheet, row=first.row, column=first.column,
                  expected=first.expected, value=first.value)
        err.problems = list(problems)
        if len(problems) > 1:
            rest = []
            for p in problems[1 : limit + 1]:
                q = cls(p.message, sheet=p.sheet if p.sheet != first.sheet else None, row=p.row, column=p.column,
                        expected=p.expected, value=p.value)
                if p.file != first.file:
                    q = p
                rest.append(str(q))
            more = len(problems) - 1
            text = f"{err._render()}; {more} more problem{'s' if more > 1 else ''}: " + "; ".join(rest)
            if more > limit:
                text += f"; ... ({more - limit} not shown)"
            err.args = (text,)
        return err

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self._render()

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


class CdpFetchError(CdpError, OSError):
    """A download from a publisher failed (offline, refused, timed out, HTTP error, interrupted).

    ``url`` is the address asked for; ``retry`` says whether trying again may help (a
    dropped connection, a timeout, HTTP 429 or 5xx) and ``retry_after`` how long the server
    asked to wait, in seconds.

    Examples
    --------
    >>> print(CdpFetchError("the server answered HTTP 500 Internal Server Error", url="https://x.test/a.csv"))
    https://x.test/a.csv: the server answered HTTP 500 Internal Server Error
    """

    def __init__(self, message: str, *, url: str | None = None, retry: bool = False,
                 retry_after: float | None = None) -> None:
        self.message = message
        self.url = url
        self.retry = retry
        self.retry_after = retry_after
        super().__init__((f"{url}: " if url else "") + message)

    def __str__(self) -> str:
        return (f"{self.url}: " if self.url else "") + self.message


# --------------------------------------------------------------------------- for people
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)}
_CONTROL.update({c: f"\\x{c:02x}" for c in range(0x80, 0xA0)})
_CONTROL.update({0x200E: "\\u200e", 0x200F: "\\u200f", 0x202A: "\\u202a", 0x202B: "\\u202b", 0x202C: "\\u202c",
                 0x202D: "\\u202d", 0x202E: "\\u202e", 0x2066: "\\u2066", 0x2067: "\\u2067", 0x2068: "\\u2068",
                 0x2069: "\\u2069"})


def printable(text: object, *, newlines: bool = True) -> str:
    """``text`` with control characters shown as escapes, safe to print to a terminal.

    Terminal escape sequences (``ESC [ ...``), carriage returns, backspaces, C1 controls
    and the Unicode bidirectional overrides in an input cell could rewrite or hide what a
    terminal shows; each becomes a visible ``\\xNN``/``\\uNNNN`` escape. Tabs are kept;
    newlines are kept when ``newlines`` (a message of several lines), else escaped.

    Examples
    --------
    >>> printable("note\\x1b[31m red\\r")
    'note\\\\x1b[31m red\\\\x0d'
    >>> printable("a\\nb", newlines=False)
    'a\\\\x0ab'
    """
    table = dict(_CONTROL)
    table[0x0D] = "\\x0d"
    if not newlines:
        table[0x0A] = "\\x0a"
    return str(text).translate(table)


def describe_exception(exc: BaseException) -> tuple[str, int]:
    """One plain paragraph about an exception and the exit status it deserves.

    Our own errors (:class:`CdpError`) speak for themselves (status 2). Errors of the
    machine a user can fix are named in plain words (status 2): a file or folder that is
    missing, not writable or not what it should be (:class:`OSError`), a store file
    DuckDB cannot open, a full disk. Anything else is a fault of ours (status 3) and says
    how to see the traceback.
    """
    import errno as _errno

    if isinstance(exc, CdpError):
        return printable(str(exc)), 2
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else None
        reason = exc.strerror or str(exc) or type(exc).__name__
        if exc.errno == _errno.ENOSPC:
            reason = "no space left on the device (free some space or write elsewhere)"
        elif exc.errno in (_errno.EACCES, _errno.EPERM, _errno.EROFS):
            reason += " (check the folder's permissions, or choose another with the option or setting for it)"
        text = f"{where}: {reason}" if where is not None else reason
        return printable(text), 2
    module = type(exc).__module__ or ""
    if module.startswith("duckdb") or module == "_duckdb":
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return printable(f"the store could not be used ({first}); check that --db names a store written by "
                         "`cdp ingest`, or rebuild it with `cdp ingest`"), 2
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return printable(f"unexpected {type(exc).__name__}" + (f": {text}" if text else "")
                     + " (a fault in cdp-analysis: rerun with --debug for the traceback and report it)"), 3
