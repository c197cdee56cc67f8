"""Read publishers' workbooks by their headers, and point every error at the real cell.

The publishers (ONS, OHID, the Home Office) move their tables around between editions: a
title gains a line, a footnote column appears, a sheet is renamed. The loaders therefore never
use fixed cell addresses. They read a sheet as a grid of raw cell values (:class:`Sheet`),
find the header row by the labels it must hold (:func:`find_header`), and turn blocks of
cells into numbers with the publisher's suppression markers kept as status codes
(:func:`parse_numbers`). Rows are always the **1-based spreadsheet rows** and columns the
spreadsheet letters, so a :class:`~cdp_analysis.errors.CdpInputError` says exactly which
cell to open.

Workbooks are read with ``python-calamine`` when it is installed (fast, ``.xlsx`` and
``.xls``), otherwise with ``openpyxl`` (read-only) for ``.xlsx`` and ``xlrd`` for ``.xls``.

Examples
--------
>>> normalise_label("Rate 1")
'rate'
>>> normalise_label("  Lower Confidence\\nLimit 2 ")
'lower confidence limit'
>>> normalise_label("Area code [note 3]")
'area code'
>>> normalise_label("Age 1"), normalise_label("90+")
('age 1', '90+')
>>> normalise_label(2021.0), normalise_label("2019\\u201321")
('2021', '2019-21')
>>> column_letter(0), column_letter(27)
('A', 'AB')
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError

__all__ = [
    "GSS_CODE",
    "csv_sheet",
    "HeaderMatch",
    "Label",
    "Sheet",
    "Workbook",
    "area_codes",
    "check_headed",
    "check_unique",
    "column_letter",
    "describe_labels",
    "find_header",
    "is_blank",
    "normalise_label",
    "parse_numbers",
    "rows_with_codes",
]

#: A GSS (ONS geography) code: one letter and eight digits, e.g. ``E06000058``.
GSS_CODE = re.compile(r"^[EWSNKL]\d{8}$")

_FOOTNOTE_MARKERS = re.compile(r"\s*[\[(]\s*(?:note|notes|footnote)s?\s*[\d ,and]+[\])]", re.I)
# trailing footnote numbers after a word: "Rate 1", "Limit 2", "Deaths 1,2"
_TRAILING_FOOTNOTES = re.compile(r"(?<=[a-z)\]])\s*\d{1,2}(?:\s*,\s*\d{1,2})*$")
# "Age 1" is an age, not the word "Age" with footnote 1
_AGE_HEADER = re.compile(r"(?:age|aged) \d{1,3}\+?")
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-", "\xa0": " "})


def column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column index (``0`` -> ``'A'``, ``26`` -> ``'AA'``)."""
    index = int(index)
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def normalise_label(value: Any) -> str:
    """Normalise a header cell for matching.

    Lower case; whitespace collapsed; en and em dashes made hyphens; footnote markers such
    as ``[note 1]`` and trailing footnote digits after a word (``Rate 1``, ``Limit 2``,
    ``Deaths 1,2``) removed; whole numbers printed without a decimal point (a year typed as
    a number, ``2021.0``, reads ``'2021'``). Empty cells give ``''``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float, np.integer, np.floating)):
        if isinstance(value, (float, np.floating)) and np.isnan(value):
            return ""
        if float(value).is_integer():
            return str(int(value))
        return str(value)
    text = str(value).translate(_DASHES)
    text = _FOOTNOTE_MARKERS.sub("", text)
    text = " ".join(text.split()).lower()
    if not _AGE_HEADER.fullmatch(text):
        text = _TRAILING_FOOTNOTES.sub("", text)
    return text.strip()


def is_blank(values: np.ndarray | pd.DataFrame | pd.Series) -> np.ndarray:
    """Boolean mask of empty cells (``None``, NaN, ``''`` or whitespace only).

    >>> is_blank(np.array(["", " ", None, 0, "x"], dtype=object)).tolist()
    [True, True, True, False, False]
    """
    arr = np.asarray(values, dtype=object)
    flat = pd.Series(arr.ravel(), dtype=object)
    blank = flat.isna().to_numpy().copy()
    is_str = flat.map(type).eq(str).to_numpy()
    if is_str.any():
        blank[is_str] = flat[is_str].str.strip().eq("").to_numpy()
    return blank.reshape(arr.shape)


# --------------------------------------------------------------------------- reading
def _engine_for(path: str, engine: str | None) -> str:
    if engine is not None:
        return engine
    try:
        import python_calamine  # noqa: F401
    except ImportError:  # pragma: no cover - calamine is present in the dev environment
        return "xlrd" if path.lower().endswith(".xls") else "openpyxl"
    return "calamine"


class Workbook:
    """A workbook opened for reading; sheets are read on demand and cached.

    Parameters
    ----------
    path
        The ``.xlsx`` or ``.xls`` file.
    engine
        ``"calamine"`` (default when installed), ``"openpyxl"`` (``.xlsx``) or ``"xlrd"``
        (``.xls``).

    Raises
    ------
    CdpInputError
        When the file is missing or is not a workbook the engine can read.
    """

    def __init__(self, path: str | os.PathLike[str], *, engine: str | None = None) -> None:
        self.path = str(path)
        self.engine = _engine_for(self.path, engine)
        self._cache: dict[str, Sheet] = {}
        if not os.path.exists(self.path):
            raise CdpInputError("file not found", file=self.path, expected="an Excel workbook")
        try:
            if self.engine == "calamine":
                from python_calamine import CalamineWorkbook

                self._book: Any = CalamineWorkbook.from_path(self.path)
                self.sheet_names: list[str] = list(self._book.sheet_names)
            elif self.engine == "openpyxl":
                import openpyxl

                self._book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
                self.sheet_names = list(self._book.sheetnames)
            elif self.engine == "xlrd":
                import xlrd

                self._book = xlrd.open_workbook(self.path, on_demand=True)
                self.sheet_names = list(self._book.sheet_names())
            else:
                raise ValueError(f"unknown engine {self.engine!r}")
        except CdpInputError:
            raise
        except Exception as exc:  # the engines raise many types for a corrupt file
            raise CdpInputError(
                f"cannot be read as a workbook ({type(exc).__name__}: {exc})",
                file=self.path, expected="an .xlsx or .xls workbook",
            ) from exc

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the file handle."""
        book = getattr(self, "_book", None)
        if book is None:
            return
        if self.engine in ("calamine", "openpyxl"):
            book.close()
        elif self.engine == "xlrd":
            book.release_resources()

    def _rows(self, name: str, nrows: int | None) -> list[list[Any]]:
        if self.engine == "calamine":
            return self._book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=nrows)
        if self.engine == "openpyxl":
            ws = self._book[name]
            return [list(r) for r in ws.iter_rows(min_row=1, max_row=nrows, values_only=True)]
        sh = self._book.sheet_by_name(name)
        n = sh.nrows if nrows is None else min(nrows, sh.nrows)
        return [sh.row_values(i) for i in range(n)]

    def sheet(self, name: str) -> Sheet:
        """The whole of sheet ``name`` as a :class:`Sheet`.

        Raises
        ------
        CdpInputError
            When the workbook has no such sheet (naming the sheets it has).
        """
        if name not in self.sheet_names:
            raise CdpInputError(
                "no such sheet", file=self.path, sheet=name,
                expected=f"one of the workbook's sheets {self.sheet_names}",
            )
        if name not in self._cache:
            self._cache[name] = Sheet.from_rows(self._rows(name, None), file=self.path, name=name)
        return self._cache[name]

    def head(self, name: str, nrows: int = 10) -> Sheet:
        """The first ``nrows`` rows of sheet ``name`` (cheap; for finding sheets by title)."""
        if name not in self._cache and self.engine == "calamine":
            self.sheet(name)  # calamine parses the whole sheet anyway: keep it
        if name in self._cache:
            s = self._cache[name]
            return Sheet(s.values.iloc[:nrows], file=s.file, name=s.name)
        return Sheet.from_rows(self._rows(name, nrows), file=self.path, name=name)

    def find_sheets(self, pattern: str | re.Pattern[str], *, nrows: int = 10) -> list[tuple[str, re.Match[str]]]:
        """Sheets whose title (any text cell in the first ``nrows`` rows) matches ``pattern``.

        The pattern is searched (case-insensitively for a string) in each text cell after
        turning dashes into hyphens and collapsing whitespace; the first matching cell of
        each sheet counts. Returns ``(sheet name, match)`` pairs in workbook order.
        """
        rx = re.compile(pattern, re.I) if isinstance(pattern, str) else pattern
        found = []
        for name in self.sheet_names:
            for text in self.head(name, nrows).texts():
                m = rx.search(text)
                if m:
                    found.append((name, m))
                    break
        return found


@dataclass
class Sheet:
    """Raw cell values of one worksheet.

    ``values`` is an object-dtype frame: its index is the **1-based spreadsheet row**, its
    columns the **0-based column positions** (``column_letter`` turns them into letters).
    Empty cells are ``''``.
    """

    values: pd.DataFrame
    file: str
    name: str

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[Any]], *, file: str, name: str) -> Sheet:
        """Build a sheet from a list of rows (ragged rows are padded with ``''``)."""
        width = max((len(r) for r in rows), default=0)
        arr = np.full((len(rows), width), "", dtype=object)
        for i, r in enumerate(rows):
            if r:
                arr[i, : len(r)] = r
        arr[pd.isna(arr)] = ""
        frame = pd.DataFrame(arr, index=pd.RangeIndex(1, len(rows) + 1), dtype=object)
        return cls(frame, file=file, name=name)

    @property
    def n_rows(self) -> int:
        """Number of rows read (the last row holding anything)."""
        return len(self.values)

    def texts(self) -> Iterable[str]:
        """The non-empty text cells, row by row, dashes made hyphens, whitespace collapsed."""
        arr = self.values.to_numpy()
        for v in arr.ravel():
            if isinstance(v, str) and v.strip():
                yield " ".join(v.translate(_DASHES).split())

    def error(
        self,
        message: str,
        *,
        row: Any = None,
        column: int | str | None = None,
        expected: str | None = None,
        value: Any = None,
    ) -> CdpInputError:
        """A :class:`CdpInputError` at this sheet (``column`` as a 0-based index or a letter)."""
        col = column_letter(column) if isinstance(column, (int, np.integer)) else column
        return CdpInputError(
            message, file=self.file, sheet=self.name, row=row, column=col, expected=expected, value=value
        )

    def header_text(self, row: int, col: int) -> str:
        """The raw text of a header cell, for messages."""
        v = self.values.at[row, col]
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            v = int(v)
        return " ".join(str(v).split())


# --------------------------------------------------------------------------- headers
@dataclass(frozen=True)
class Label:
    """A header label to look for.

    Parameters
    ----------
    name
        How errors name it (``"Area code"``).
    pattern
        Regular expression that must match the *whole* normalised cell text (see
        :func:`normalise_label`); defaults to the normalised ``name``.
    many
        Whether the label may match several cells of the header row (year columns).

    Examples
    --------
    >>> Label("Area code", r"area codes?").matches("Area Codes")
    True
    >>> Label("Deaths").matches("Deaths 1")
    True
    """

    name: str
    pattern: str | None = None
    many: bool = False
    _rx: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pat = self.pattern if self.pattern is not None else re.escape(normalise_label(self.name))
        object.__setattr__(self, "_rx", re.compile(pat))

    def matches(self, cell: Any) -> bool:
        """Whether a raw cell value matches this label."""
        return self._rx.fullmatch(normalise_label(cell)) is not None

    def match_normalised(self, text: str) -> re.Match[str] | None:
        """Match already-normalised cell text."""
        return self._rx.fullmatch(text)


@dataclass
class HeaderMatch:
    """Where a header row was found: its spreadsheet ``row`` and, per label name, the
    0-based columns holding it (one for ordinary labels, all matches for ``many`` labels),
    with the normalised text of each."""

    row: int
    columns: dict[str, list[int]]
    texts: dict[int, str]

    def col(self, name: str) -> int:
        """The (first) column of label ``name``."""
        return self.columns[name][0]


def describe_labels(labels: Sequence[Label]) -> str:
    """Human description of a header row made of ``labels``, for ``expected=``."""
    names = ", ".join(f"'{lab.name}'" for lab in labels)
    return f"a header row holding {names} (case, spacing and footnote marks ignored)"


def find_header(
    sheet: Sheet,
    labels: Sequence[Label],
    *,
    first_row: int = 1,
    last_row: int | None = 100,
    what: str = "table",
    optional: Sequence[Label] = (),
) -> HeaderMatch:
    """Find the first row (from ``first_row``) whose cells match every label.

    Parameters
    ----------
    sheet
        The sheet to search.
    labels
        Labels that must all appear in the row; a label without ``many`` must appear once.
    first_row, last_row
        Spreadsheet rows to search (inclusive; ``last_row=None`` searches to the end).
    what
        What the header heads, for the error message.
    optional
        Labels the header row may hold (recorded in the result when present, and never
        taken for a renamed header in an error).

    Returns
    -------
    HeaderMatch

    Raises
    ------
    CdpInputError
        Naming the file, the sheet, the row that came closest (most labels matched) and,
        when exactly one label is missing and one header cell there is unrecognised, that
        cell's column and text; ``expected`` lists every label. When no row holds any of
        the labels, ``row`` is the range searched.

    Examples
    --------
    >>> s = Sheet.from_rows([["Title"], [], ["Code", "Name", "All ages"], ["E1", "x", 3]],
    ...                     file="demo.xlsx", name="Data")
    >>> find_header(s, [Label("Code"), Label("Name"), Label("All ages")]).row
    3
    >>> find_header(s, [Label("Code"), Label("Name"), Label("All persons")])
    Traceback (most recent call last):
    ...
    cdp_analysis.errors.CdpInputError: demo.xlsx, sheet 'Data', row 3, column 'C': header 'All persons' not found (found 'All ages'; expected a header row holding 'Code', 'Name', 'All persons' (case, spacing and footnote marks ignored))
    """
    vals = sheet.values
    stop = sheet.n_rows if last_row is None else min(last_row, sheet.n_rows)
    block = vals.loc[first_row:stop]
    if block.empty:
        raise sheet.error(
            f"the sheet has no rows to search for the {what} header", row=f"{first_row}-{stop}",
            expected=describe_labels(labels),
        )
    arr = block.to_numpy()
    blank = is_blank(arr)
    norm: dict[int, list[str]] = {}  # rows normalised so far (lazily: the header is near the top)
    best: tuple[int, int, dict[str, list[int]]] | None = None
    for i, row_no in enumerate(block.index):
        texts = norm[i] = ["" if b else normalise_label(v) for v, b in zip(arr[i], blank[i], strict=True)]
        found: dict[str, list[int]] = {}
        nonblank = [j for j, t in enumerate(texts) if t]
        if not nonblank:
            continue
        for lab in labels:
            cols = [j for j in nonblank if lab.match_normalised(texts[j])]
            if cols:
                found[lab.name] = cols
        if len(found) == len(labels):
            dup = [n for n, cols in found.items() if len(cols) > 1 and not _label(labels, n).many]
            if dup:
                cols = found[dup[0]]
                raise sheet.error(
                    f"header '{dup[0]}' appears {len(cols)} times in the {what} header",
                    row=int(row_no), column=int(cols[1]), value=sheet.header_text(int(row_no), cols[1]),
                    expected=f"one '{dup[0]}' column",
                )
            for lab in optional:
                cols = [j for j in nonblank if lab.match_normalised(texts[j])]
                if cols:
                    found[lab.name] = cols
            return HeaderMatch(
                row=int(row_no), columns=found, texts={j: texts[j] for j in nonblank}
            )
        if found and (best is None or len(found) > best[1]):
            best = (i, len(found), found)
    expected = describe_labels(labels)
    if best is None:
        raise sheet.error(
            f"no {what} header found", row=f"{first_row}-{stop}", expected=expected
        )
    i, _, found = best
    row_no = int(block.index[i])
    missing = [lab.name for lab in labels if lab.name not in found]
    used = {j for cols in found.values() for j in cols}
    used |= {j for j, t in enumerate(norm[i]) if any(lab.match_normalised(t) for lab in optional)}
    unknown = [j for j, t in enumerate(norm[i]) if t and j not in used and not re.fullmatch(r"[\d\s.,-]*", t)]
    column = value = None
    if len(missing) == 1 and len(unknown) == 1:
        column, value = int(unknown[0]), sheet.header_text(row_no, unknown[0])
    names = ", ".join(f"'{m}'" for m in missing)
    raise sheet.error(f"header {names} not found", row=row_no, column=column, value=value, expected=expected)


def _label(labels: Sequence[Label], name: str) -> Label:
    return next(lab for lab in labels if lab.name == name)


# --------------------------------------------------------------------------- numbers
def parse_numbers(
    sheet: Sheet,
    block: pd.DataFrame,
    *,
    markers: Mapping[str, str] | None = None,
    blank: str | None = "x",
    what: str = "a number",
    headers: Mapping[int, str] | None = None,
    nonnegative: bool = False,
    whole: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Turn a block of raw cells into numbers and status codes, vectorised.

    Parameters
    ----------
    sheet
        The sheet the block comes from (for errors).
    block
        A slice of ``sheet.values`` (rows = spreadsheet rows, columns = column positions).
    markers
        Text the publisher puts in place of a number, lower-cased, mapped to the status
        code it means (e.g. ``{":": "x"}``). Matched after stripping spaces.
    blank
        Status for an empty cell; ``None`` makes an empty cell an error.
    what
        What the cells should hold, for the error message (``"a count of deaths"``).
    headers
        Per column position, the header text to quote in errors.
    nonnegative, whole
        Reject negative numbers / numbers with a fractional part.

    Returns
    -------
    values, status
        Float array (NaN where a marker or a blank stood) and an object array of status
        codes (``''`` for a number), both shaped like ``block``.

    Raises
    ------
    CdpInputError
        At the first offending cell (row and column letter), quoting its content.

    Examples
    --------
    >>> s = Sheet.from_rows([["n"], [3], [":"], [""], ["7"]], file="f.xlsx", name="S")
    >>> v, st = parse_numbers(s, s.values.loc[2:], markers={":": "x"})
    >>> v.ravel().tolist(), st.ravel().tolist()
    ([3.0, nan, nan, 7.0], ['', 'x', 'x', ''])
    """
    markers = {k.lower(): v for k, v in (markers or {}).items()}
    arr = block.to_numpy(dtype=object)
    flat = pd.Series(arr.ravel(), dtype=object)
    is_bool = flat.map(type).eq(bool).to_numpy()
    num = pd.to_numeric(flat.where(~is_bool), errors="coerce").to_numpy(dtype=float)
    status = np.full(flat.shape, "", dtype=object)
    nonnum = np.isnan(num)
    if nonnum.any():
        text = flat[nonnum].astype(str).str.strip().str.lower()
        text[flat[nonnum].isna().to_numpy()] = ""
        code = text.map(markers)
        empty = text.eq("")
        if blank is not None:
            code[empty] = blank
        bad = code.isna()
        if bad.any():
            k = int(np.flatnonzero(nonnum)[int(np.argmax(bad.to_numpy()))])
            raise _cell_error(sheet, block, k, f"not {what}", what, headers, flat.iloc[k], markers, blank)
        status[nonnum] = code.to_numpy(dtype=object)
    checks: list[tuple[np.ndarray, str]] = []
    if nonnegative:
        checks.append((num < 0, "negative"))
    if whole:
        with np.errstate(invalid="ignore"):
            checks.append((np.isfinite(num) & (num != np.round(num)), "not a whole number"))
    for mask, why in checks:
        if mask.any():
            k = int(np.argmax(mask))
            raise _cell_error(sheet, block, k, why, what, headers, flat.iloc[k], markers, blank)
    return num.reshape(arr.shape), status.reshape(arr.shape)


def _cell_error(
    sheet: Sheet,
    block: pd.DataFrame,
    k: int,
    why: str,
    what: str,
    headers: Mapping[int, str] | None,
    value: Any,
    markers: Mapping[str, str],
    blank: str | None,
) -> CdpInputError:
    ncol = block.shape[1]
    row = int(block.index[k // ncol])
    col = int(block.columns[k % ncol])
    head = (headers or {}).get(col)
    where = f" under header '{head}'" if head else ""
    allowed = [f"'{m}'" for m in markers] + (["an empty cell"] if blank is not None else [])
    expected = what + (" or " + ", ".join(allowed) if allowed else "")
    return sheet.error(f"cell {column_letter(col)}{row}{where} is {why}", row=row, column=col,
                       value=value, expected=expected)


def area_codes(sheet: Sheet, body: pd.DataFrame, column: int, pattern: str, example: str) -> pd.Series:
    r"""The stripped text of ``body[column]``, every value checked against ``pattern``.

    ``body`` is indexed by spreadsheet row; the first value that does not match is reported
    with its row and column.

    >>> s = Sheet.from_rows([["code"], ["E06000058 "], ["Dorset"]], file="f.csv", name="f.csv")
    >>> area_codes(s, s.values.loc[2:], 0, r"E\d{8}", "E06000058")
    Traceback (most recent call last):
    ...
    cdp_analysis.errors.CdpInputError: f.csv, sheet 'f.csv', row 3, column 'A': not an area code (found 'Dorset'; expected a GSS code like E06000058)
    """
    codes = body[column].map(lambda v: str(v).strip())
    bad = ~codes.str.fullmatch(pattern)
    if bad.any():
        r = int(codes.index[bad.to_numpy()][0])
        raise sheet.error("not an area code", row=r, column=column, value=body.at[r, column],
                          expected=f"a GSS code like {example}")
    return codes


def check_unique(sheet: Sheet, codes: pd.Series, column: int, *, what: str = "area") -> None:
    """Raise naming the rows if a code appears twice (``codes`` indexed by spreadsheet row).

    >>> s = Sheet.from_rows([["code"], ["E1"], ["E1"]], file="f.xlsx", name="S")
    >>> check_unique(s, s.values.loc[2:, 0], 0)
    Traceback (most recent call last):
    ...
    cdp_analysis.errors.CdpInputError: f.xlsx, sheet 'S', rows 2, 3, column 'A': area 'E1' appears more than once (expected one row per area)
    """
    dup = codes.duplicated(keep=False)
    if dup.any():
        first = codes[dup].iloc[0]
        rows = [int(r) for r in codes.index[codes.eq(first)]]
        raise sheet.error(f"{what} '{first}' appears more than once", row=rows, column=column,
                          expected=f"one row per {what}")


def check_headed(
    sheet: Sheet,
    header_row: int,
    rows: Sequence[int] | pd.Index,
    used: Iterable[int],
    *,
    first: int,
    what: str = "header",
) -> None:
    """Raise if a column from ``first`` that the loader does not read holds figures in ``rows``.

    A header cell that was lost (swallowed by a merged cell, deleted, mistyped into a
    blank) would otherwise drop its whole column without a word; the error names the header
    row and that column.

    >>> s = Sheet.from_rows([["code", 2020, ""], ["E1", 3, 4]], file="f.xlsx", name="S")
    >>> check_headed(s, 1, [2], [1], first=1, what="year")
    Traceback (most recent call last):
    ...
    cdp_analysis.errors.CdpInputError: f.xlsx, sheet 'S', row 1, column 'C': column C holds figures (cell C2) under no year heading (expected a year heading in row 1 above every column of figures)
    """
    used = set(used)
    cols = [c for c in range(first, sheet.values.shape[1]) if c not in used]
    if not cols or len(rows) == 0:
        return
    block = sheet.values.loc[list(rows), cols]
    flat = pd.Series(block.to_numpy(dtype=object).ravel(), dtype=object)
    num = pd.to_numeric(flat.where(flat.map(type).ne(bool)), errors="coerce").notna().to_numpy()
    num = num.reshape(block.shape)
    hit = num.any(axis=0)
    if hit.any():
        j = int(np.argmax(hit))
        r = int(block.index[int(np.argmax(num[:, j]))])
        col = column_letter(cols[j])
        raise sheet.error(f"column {col} holds figures (cell {col}{r}) under no {what} heading", row=header_row,
                          column=cols[j], expected=f"a {what} heading in row {header_row} above every column of figures")


def rows_with_codes(
    sheet: Sheet,
    code_col: int,
    value_cols: Sequence[int],
    *,
    after: int,
    code_name: str = "area code",
    code_pattern: re.Pattern[str] = GSS_CODE,
) -> pd.Index:
    """Spreadsheet rows below ``after`` that hold a data row (a code in ``code_col``).

    Rows without a code whose value columns hold no number (spacers, footnotes, notes typed
    in column A, stray ``:`` markers as in row 142 of the 2021 ONS LA workbook's Table 6) are
    skipped; a row with numbers but no valid code is an error naming it.
    """
    body = sheet.values.loc[after + 1 :]
    codes = body[code_col].astype(str).str.strip()
    is_code = codes.str.fullmatch(code_pattern.pattern).to_numpy(dtype=bool)
    cells = pd.Series(body[list(value_cols)].to_numpy(dtype=object).ravel(), dtype=object)
    numeric = pd.to_numeric(cells.where(cells.map(type).ne(bool)), errors="coerce").notna().to_numpy()
    has_numbers = numeric.reshape(len(body), len(value_cols)).any(axis=1)
    bad = has_numbers & ~is_code
    if bad.any():
        row = int(body.index[np.argmax(bad)])
        raise sheet.error(
            f"row {row} holds figures but no valid {code_name}", row=row, column=code_col,
            value=body.at[row, code_col], expected=f"a {code_name} like E06000058",
        )
    return body.index[is_code]


# --------------------------------------------------------------------------- CSV encodings
@dataclass(frozen=True)
class BadBytes:
    """Where a CSV stops being UTF-8: the record (1-based, header = 1), the line the record
    starts on, the 0-based field, the header cells and the field as Windows-1252 would read it."""

    record: int
    line: int
    field: int
    header: list[str]
    text: str

    def column_name(self) -> str:
        """The header label of the field, or its spreadsheet letter when it has none."""
        name = self.header[self.field].strip() if self.field < len(self.header) else ""
        return name or column_letter(self.field)


def find_bad_bytes(data: bytes) -> BadBytes | None:
    """Locate the first field of a CSV holding bytes that are not UTF-8 (``None`` if all are).

    >>> b = find_bad_bytes("a,b\\n1,caf\\u00e9\\n".encode("cp1252"))
    >>> (b.record, b.line, b.field, b.column_name(), b.text)
    (2, 2, 1, 'b', 'café')
    """
    import csv
    import io

    text = data.decode("utf-8", errors="surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    start = 1
    for record, cells in enumerate(reader, start=1):
        line, start = start, reader.line_num + 1
        if header is None:
            header = cells
        for j, cell in enumerate(cells):
            if any("\udc80" <= ch <= "\udcff" for ch in cell):
                raw = cell.encode("utf-8", errors="surrogateescape")
                return BadBytes(record, line, j, header, raw.decode("cp1252", errors="replace"))
    return None


# --------------------------------------------------------------------------- CSV as a sheet
def csv_sheet(path: str | os.PathLike[str], *, encoding: str = "utf-8-sig") -> Sheet:
    """Read a CSV file as a :class:`~cdp_analysis.data.sources._excel.Sheet` of text cells.

    Row numbers are the 1-based CSV records (equal to line numbers unless a quoted field
    holds a newline), so the header helpers of :mod:`cdp_analysis.data.sources._excel` work
    on CSV files as on workbooks.

    Raises
    ------
    CdpInputError
        When the file is missing, empty or not text.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "x.csv"
    ...     _ = p.write_text('a,b\\n1,"x,\\ny"\\n')
    ...     s = csv_sheet(p)
    >>> s.values.loc[2].tolist(), s.name
    (['1', 'x,\\ny'], 'x.csv')
    """
    path = str(path)
    if not os.path.exists(path):
        raise CdpInputError("file not found", file=path, expected="a CSV file")
    try:
        with open(path, newline="", encoding=encoding) as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError as exc:
        with open(path, "rb") as fh:
            bad = find_bad_bytes(fh.read())
        raise CdpInputError(
            "not UTF-8 text (saved as Windows-1252/ANSI?)", file=path, row=bad.record if bad else None,
            column=column_letter(bad.field) if bad else None, value=bad.text if bad else None,
            expected="a UTF-8 CSV file",
        ) from exc
    except csv.Error as exc:
        raise CdpInputError(f"cannot be read as CSV ({exc})", file=path, expected="a UTF-8 CSV file") from exc
    if not rows:
        raise CdpInputError("the file is empty", file=path, row=1, expected="a CSV file with a header row")
    sheet = Sheet.from_rows(rows, file=path, name=Path(path).name)
    # a CSV has no sheets: errors name the file, row and column only
    return _CsvSheet(sheet.values, file=sheet.file, name=sheet.name)


class _CsvSheet(Sheet):
    """A Sheet whose errors carry no sheet name (a CSV file has none)."""

    def error(self, message: str, *, row: object = None, column: int | str | None = None,
              expected: str | None = None, value: object = None) -> CdpInputError:
        col = column_letter(column) if isinstance(column, (int, np.integer)) else column
        return CdpInputError(message, file=self.file, row=row, column=col, expected=expected, value=value)
