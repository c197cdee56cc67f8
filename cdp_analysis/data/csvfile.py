"""Strict reading of the small CSV files people edit by hand (returns, reference tables).

One reader for every such file, so each refuses the same things the same way, with a
:class:`~cdp_analysis.errors.CdpInputError` naming the file, the 1-based line (the header is
line 1) and the column:

- a path that is missing, a folder, unreadable, or not UTF-8 text (a byte-order mark is
  accepted); a NUL byte (a binary file, not CSV);
- a quoted field that is never closed (Python's ``csv`` module would otherwise swallow
  every following row into one cell), or a quote in the middle of a field;
- a cell longer than :data:`FIELD_LIMIT` characters (the limit is set here, deliberately,
  rather than left at the ``csv`` module's default of 131,072);
- a row with more or fewer fields than the header (:func:`read_table`).

Large record-level files (police.uk) are read by DuckDB with its own strict options; the
workbook loaders read with openpyxl/xlrd.

Examples
--------
>>> import io
>>> header, rows = read_records(io.StringIO('a,b\\n1,"x, y"\\n'))
>>> header, rows
(['a', 'b'], [(2, ['1', 'x, y'])])
>>> read_records(io.StringIO('a,b\\n1,"never closed\\n2,3\\n'), file="f.csv")
Traceback (most recent call last):
...
cdp_analysis.errors.CdpInputError: f.csv, row 2, column 'b': a quoted field is never closed: every later line would be read into this one cell (expected a closing double quote '"' in the same cell)
"""

from __future__ import annotations

import csv
import io
from os import PathLike
from pathlib import Path
from typing import IO, TYPE_CHECKING

from cdp_analysis.errors import CdpInputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FIELD_LIMIT", "read_text", "read_records", "read_table"]

#: the longest cell accepted, in characters (a note of a few pages; a whole file in one cell is refused)
FIELD_LIMIT = 1_048_576


def _letter(i: int) -> str:
    from cdp_analysis.data.sources._excel import column_letter

    return column_letter(i)


def read_text(source: str | PathLike[str] | IO[str], file: str | None = None) -> str:
    """The text of a CSV file (UTF-8, byte-order mark dropped), or of an open text stream."""
    if not isinstance(source, (str, PathLike)):
        text = source.read()
        return text[1:] if text.startswith("\ufeff") else text
    path = Path(source)
    file = str(path) if file is None else file
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CdpInputError("file not found", file=file) from None
    except IsADirectoryError:
        raise CdpInputError("is a folder, not a file", file=file, expected="a CSV file") from None
    except OSError as exc:
        raise CdpInputError(f"cannot be read: {exc.strerror or exc}", file=file) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        from cdp_analysis.data.sources._excel import find_bad_bytes

        bad = find_bad_bytes(raw)
        raise CdpInputError(
            "not UTF-8 text (saved as Windows-1252/ANSI?)", file=file,
            row=bad.line if bad else None, column=bad.column_name() if bad else None,
            value=bad.text if bad else None, expected="a UTF-8 CSV (Excel: Save As 'CSV UTF-8')",
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise CdpInputError("a NUL byte: this is a binary file, not CSV text", file=file, row=line,
                            expected="a CSV text file")
    return text


def _csv_error(exc: csv.Error, text: str, start: int, line_num: int, header: list[str] | None,
               file: str | None) -> CdpInputError:
    """The csv module's error on the record starting at line ``start``, in our words."""
    lines = text.splitlines()
    first = lines[start - 1] if start - 1 < len(lines) else ""
    column = None
    try:  # the column of the offending cell: count the fields before it on the first line
        partial = next(csv.reader([first]))
        column = (header[len(partial) - 1] if header and len(partial) - 1 < len(header)
                  else _letter(len(partial) - 1))
    except (csv.Error, StopIteration):
        pass
    reason = str(exc)
    if "field larger than field limit" in reason:
        message, expected = (f"a cell longer than {FIELD_LIMIT:,} characters",
                             "cells of ordinary length (a quote left open?)")
    elif "unexpected end of data" in reason or "EOF" in reason:
        message, expected = ("a quoted field is never closed: every later line would be read "
                             "into this one cell", "a closing double quote '\"' in the same cell")
    elif line_num > start:  # a quote left open, closed by a quote on a later line
        message, expected = (f"a quoted field is never closed on its line: lines {start + 1} to "
                             f"{line_num} were read into this one cell",
                             "a closing double quote '\"' in the same cell")
    else:
        message, expected = (f"a double quote in the middle of a cell ({reason})",
                             "quotes only around a whole cell, doubled inside it (\"\")")
    return CdpInputError(message, file=file, row=start, column=column or None, expected=expected)


def read_records(
    source: str | PathLike[str] | IO[str],
    file: str | None = None,
    *,
    skip_blank: bool = True,
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header (stripped) and ``(line, cells)`` records of a CSV, read strictly.

    ``line`` is the 1-based line on which the record starts. Blank records (no cell with
    anything but spaces) are skipped when ``skip_blank``. An empty file gives an empty
    header. Raises :class:`CdpInputError` for the problems listed in the module docstring.
    """
    if file is None and isinstance(source, (str, PathLike)):
        file = str(source)
    text = read_text(source, file)
    csv.field_size_limit(FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    start = 1  # the line the next record starts on
    try:
        for cells in reader:
            line = start
            start = reader.line_num + 1
            if not cells or (skip_blank and not "".join(cells).strip()):
                continue
            if header is None:
                header = [c.strip() for c in cells]
                if line != 1:
                    raise CdpInputError("the header must be the first line", file=file, row=line)
                continue
            records.append((line, cells))
    except csv.Error as exc:
        raise _csv_error(exc, text, start, reader.line_num, header, file) from None
    return header or [], records


def read_table(
    source: str | PathLike[str] | IO[str],
    columns: tuple[str, ...] | list[str] | None = None,
    file: str | None = None,
    *,
    exact: bool = False,
) -> pd.DataFrame:
    """A CSV as a frame of text cells, every row checked to have the header's number of fields.

    Parameters
    ----------
    columns
        Columns that must be in the header (in any order); with ``exact``, the header must
        be exactly these, in this order. The frame has these columns (all, when ``None``).

    Raises
    ------
    CdpInputError
        An empty file, a missing or unexpected column, a duplicated column name, a row whose
        field count differs from the header's (a file cut mid-row, a cell with an unquoted
        comma), and everything :func:`read_records` refuses.
    """
    import pandas as pd

    if file is None and isinstance(source, (str, PathLike)):
        file = str(source)
    header, records = read_records(source, file)
    want = list(columns) if columns is not None else None
    if not header:
        raise CdpInputError("empty file", file=file, row=1, expected=f"a header with {want or 'column names'}")
    seen: set[str] = set()
    for i, name in enumerate(header):
        if name in seen:
            raise CdpInputError("duplicated column", file=file, row=1, column=name or _letter(i))
        seen.add(name)
    if want is not None:
        missing = [c for c in want if c not in header]
        if missing:
            raise CdpInputError(f"missing columns {missing}", file=file, row=1, column=missing[0],
                                value=",".join(header)[:200], expected=f"the header {','.join(want)}")
        if exact and header != want:
            extra = [c for c in header if c not in want]
            raise CdpInputError("unexpected header" + (f": unknown columns {extra}" if extra else " order"),
                                file=file, row=1, column=(extra[0] if extra else None) or None,
                                expected=f"the header {','.join(want)}")
    for line, cells in records:
        if len(cells) != len(header):
            where = header[len(cells)] if len(cells) < len(header) else _letter(len(header))
            raise CdpInputError(
                f"{len(cells)} fields where the header has {len(header)}"
                + (" (the file may be cut short)" if line == records[-1][0] and len(cells) < len(header) else ""),
                file=file, row=line, column=where or None,
                expected="one field per column (quote text containing commas)")
    df = pd.DataFrame([cells for _, cells in records], columns=header, dtype=object)
    if df.empty:
        df = pd.DataFrame({c: pd.Series(dtype=object) for c in header})
    df = df.astype(str)
    return df[want] if want is not None else df
