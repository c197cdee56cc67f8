"""Read and validate a partnership's returns file (docs/design.md §4).

A returns file (``data/returns/<partnership>.csv``) holds the figures only the
partnership has (police management information, local treatment counts, targets) and
what a printed report said about them. Columns:

- required: ``metric_id, area_code, period, value``
- optional: ``target, target_period, published_projection, published_change_pct,
  published_status, status, note``

Rules checked, each failure a :class:`~cdp_analysis.errors.CdpInputError` naming the file,
the 1-based CSV line (the header is line 1), the column, what was found and what was
expected:

- the required columns are present and no column is unknown;
- ``metric_id`` is in the metric catalogue (:mod:`cdp_analysis.metrics`);
- ``area_code`` is a known GSS code or partnership id (:mod:`cdp_analysis.areas`);
- ``period`` and ``target_period`` are period labels (docs/design.md §3), normalised to the
  canonical label;
- numbers are numbers: thousands separators, a leading ``£`` and a trailing ``%`` are
  accepted; text such as ``n/a`` is rejected (leave the cell empty instead; a missing
  ``value`` should carry a ``status`` code such as ``x``);
- ``status`` holds space-separated shorthand codes (``c u p r x z f``);
- no two rows share ``(metric_id, area_code, period)``.

The file is read as text, so nothing is coerced silently; a UTF-8 byte-order mark is
ignored.

Examples
--------
>>> import io
>>> text = "metric_id,area_code,period,value,target,target_period\\n" \\
...        "adults_in_treatment,E06000058,2022/23,\\"2,590\\",2700,2023/24\\n"
>>> df = read_returns(io.StringIO(text), partnership="pan-dorset")
>>> df[["metric_id", "area_code", "period", "value", "target", "source_row"]].values.tolist()
[['adults_in_treatment', 'E06000058', '2022/23', 2590.0, 2700.0, 2]]
"""

from __future__ import annotations

import math
import re
from os import PathLike
from pathlib import Path
from typing import IO

import pandas as pd

from cdp_analysis.data.schema import RETURNS_COLUMNS, STATUS_CODES
from cdp_analysis.data.sources._excel import column_letter
from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.periods import Period
from cdp_analysis.reference import suggest

__all__ = [
    "REQUIRED_COLUMNS",
    "OPTIONAL_COLUMNS",
    "NUMERIC_COLUMNS",
    "OUTPUT_COLUMNS",
    "parse_number",
    "read_returns",
]

REQUIRED_COLUMNS = ("metric_id", "area_code", "period", "value")
OPTIONAL_COLUMNS = (
    "target", "target_period", "published_projection", "published_change_pct",
    "published_status", "status", "note",
)
NUMERIC_COLUMNS = ("value", "target", "published_projection", "published_change_pct")
MAX_PROBLEMS = 50  # a file with more is probably not a returns file at all
OUTPUT_COLUMNS = tuple(RETURNS_COLUMNS) + (() if "status" in RETURNS_COLUMNS else ("status",))

_NUMBER = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)?(?:\.\d+)?$")


def parse_number(text: str) -> float | None:
    """Parse a number as analysts type it; ``None`` for an empty cell.

    Accepts thousands separators (``2,590``), a leading ``£`` (``£23,756``), a trailing
    ``%`` (``45.2%``, giving 45.2) and surrounding spaces.

    Raises
    ------
    ValueError
        For anything else (``n/a``, ``1.2.3``, ``12,34``).

    Examples
    --------
    >>> parse_number("£23,756"), parse_number("45.2%"), parse_number(" -7.4 "), parse_number("")
    (23756.0, 45.2, -7.4, None)
    >>> parse_number("n/a")
    Traceback (most recent call last):
    ...
    ValueError: not a number: 'n/a'
    """
    s = text.strip()
    if s == "":
        return None
    t = s
    sign = ""
    if t[:1] in "+-":
        sign, t = t[0], t[1:].lstrip()
    if t.startswith("£"):
        t = t[1:].strip()
    if t.endswith("%"):
        t = t[:-1].strip()
    t = sign + t
    if not t or not _NUMBER.match(t) or not re.search(r"\d", t):
        raise ValueError(f"not a number: {text!r}")
    value = float(t.replace(",", ""))
    if not math.isfinite(value):
        raise ValueError(f"too large to be a number: {text[:40]!r}")
    return value


def _records(source: str | PathLike[str] | IO[str], file: str | None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and ``(line_number, cells)`` records of a CSV, read strictly, blank lines skipped."""
    from cdp_analysis.data.csvfile import read_records

    header, records = read_records(source, file)
    if not header:
        raise CdpInputError("empty file", file=file, row=1, expected=f"a header with {list(REQUIRED_COLUMNS)}")
    return header, records


def _from_frame(df: pd.DataFrame) -> tuple[list[str], list[tuple[int, list[str]]]]:
    header = [str(c).strip() for c in df.columns]
    text = df.astype(object).where(df.notna(), "")
    records = [
        (i + 2, ["" if v is None else str(v) for v in row])
        for i, row in enumerate(text.itertuples(index=False, name=None))
    ]
    return header, records


def read_returns(
    path_or_frame: str | PathLike[str] | IO[str] | pd.DataFrame,
    partnership: str | None = None,
    *,
    references: bool = True,
) -> pd.DataFrame:
    """Read and validate a returns CSV (or frame) into the ``returns`` table.

    Parameters
    ----------
    path_or_frame
        Path of the CSV, an open text stream, or a DataFrame with the same columns (its
        rows are numbered as if written to CSV: first data row = line 2).
    partnership
        Partnership id recorded in the ``partnership`` column. Default: the file stem,
        with ``_`` read as ``-`` when that names a known partnership
        (``pan_dorset.csv`` -> ``pan-dorset``); ``"returns"`` for streams and frames.
    references
        ``True`` (default, ``cdp ingest``): every ``metric_id`` must be in the metric
        catalogue and every ``area_code`` a known area or partnership. ``False`` (``cdp
        audit``): they are kept as written, so the audit can report them as findings;
        everything else is checked the same way.

    Returns
    -------
    pandas.DataFrame
        Columns ``RETURNS_COLUMNS`` of :mod:`cdp_analysis.data.schema` plus ``status``:
        ``partnership, metric_id, area_code, period, period_start, period_end, value,
        target, target_period, published_projection, published_change_pct,
        published_status, note, source_file, source_row, status``. Numbers are floats
        (NaN when empty), text columns are strings (``""`` when empty), periods carry
        their canonical label and start/end dates.

    Raises
    ------
    CdpInputError
        Every problem of the file at once (up to ``MAX_PROBLEMS``): ``file``, ``row`` (CSV
        line number), ``column``, ``value`` and ``expected`` of the first in file order,
        the others listed in the message and in ``problems``. Duplicated rows name the
        second line and ``column=None`` (the key is the three columns together).

    Examples
    --------
    >>> import io
    >>> df = read_returns(io.StringIO("metric_id,area_code,period,value\\n"
    ...                               "county_lines_arrests,E23000039,2023/24 q1,38\\n"))
    Traceback (most recent call last):
    ...
    cdp_analysis.errors.CdpInputError: row 2, column 'period': not a period label (found '2023/24 q1'; expected a period label like '2022/23' or '2023/24 Q1')
    """
    from cdp_analysis import areas as _areas
    from cdp_analysis import metrics as _metrics

    if isinstance(path_or_frame, pd.DataFrame):
        file = None
        header, records = _from_frame(path_or_frame)
        default_partnership = "returns"
    else:
        file = str(path_or_frame) if isinstance(path_or_frame, (str, PathLike)) else None
        header, records = _records(path_or_frame, file)
        if file is not None:
            stem = Path(file).stem
            default_partnership = stem.replace("_", "-") if _areas.is_partnership(stem.replace("_", "-")) else stem
        else:
            default_partnership = "returns"
    if partnership is None:
        partnership = default_partnership
    elif not isinstance(partnership, str) or not partnership:
        raise CdpParameterError(f"partnership must be a non-empty string, not {partnership!r}")

    def fail(message: str, row: int | None, column: str | None, value: object = None,
             expected: str | None = None) -> CdpInputError:
        return CdpInputError(message, file=file, row=row, column=column, value=value, expected=expected)

    allowed = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
    for col in REQUIRED_COLUMNS:
        if col not in header:
            raise fail("missing required column", 1, col, expected=f"columns {list(REQUIRED_COLUMNS)}")
    seen_cols: set[str] = set()
    for col in header:
        if col in seen_cols:
            raise fail("duplicated column", 1, col)
        seen_cols.add(col)
        if col not in allowed:
            raise fail("unknown column" + suggest(col, allowed), 1, col or column_letter(header.index(col)),
                       expected=f"columns from {list(allowed)}")
    pos = {c: i for i, c in enumerate(header)}

    metric_ids = _metrics.metric_ids()
    out: dict[str, list[object]] = {c: [] for c in OUTPUT_COLUMNS}
    keys: dict[tuple[str, str, str], int] = {}
    problems: list[CdpInputError] = []
    for line, cells in records:
        if len(problems) >= MAX_PROBLEMS:
            break
        if len(cells) != len(header):
            # name the first column left empty, or the first cell beyond the header
            where = header[len(cells)] if len(cells) < len(header) else column_letter(len(header))
            problems.append(fail(f"{len(cells)} fields where the header has {len(header)}", line, where or None,
                                 expected="one field per column (quote text containing commas)"))
            continue
        cell = {c: cells[pos[c]].strip() if c in pos else "" for c in allowed}
        found: list[CdpInputError] = []

        mid = cell["metric_id"]
        if not mid:
            found.append(fail("empty metric_id", line, "metric_id", "", "a metric_id from metrics.csv"))
        elif references and mid not in metric_ids:
            found.append(fail("unknown metric_id" + suggest(mid, sorted(metric_ids)), line, "metric_id", mid,
                              "a metric_id from metrics.csv"))
        area = cell["area_code"]
        if not area:
            found.append(fail("empty area_code", line, "area_code", "", "a GSS code or a partnership id"))
        elif references and not _areas.is_known(area):
            hint = ""
            try:
                _areas.validate_area(area)
            except CdpParameterError as exc:
                hint = str(exc).partition("(expected a GSS code or a partnership id)")[2]
            found.append(fail("unknown area_code" + hint, line, "area_code", area,
                              "a GSS code from areas.csv or a partnership id"))
        periods: dict[str, Period | None] = {}
        for col, required in (("period", True), ("target_period", False)):
            text = cell[col]
            periods[col] = None
            if not text:
                if required:
                    found.append(fail("empty period", line, col, "", expected="a period label like '2022/23'"))
                continue
            try:
                periods[col] = Period.parse(text)
            except CdpParameterError:
                found.append(fail("not a period label", line, col, text,
                                  "a period label like '2022/23' or '2023/24 Q1'"))
        numbers: dict[str, float | None] = {}
        for col in NUMERIC_COLUMNS:
            numbers[col] = None
            try:
                numbers[col] = parse_number(cell[col])
            except ValueError as exc:
                what = "too large to be a number" if str(exc).startswith("too large") else "not a number"
                found.append(fail(what, line, col, cell[col][:80],
                                  "a finite number (thousands separators, a leading £ or a trailing % allowed) "
                                  "or an empty cell"))
        status = " ".join(cell["status"].split())
        bad = [c for c in status.split() if c not in STATUS_CODES]
        if bad:
            found.append(fail("unknown status code", line, "status", cell["status"],
                              f"space-separated codes from {sorted(STATUS_CODES)}"))
        if periods["target_period"] is None and numbers["target"] is not None and not cell["target_period"]:
            found.append(fail("a target needs a target_period", line, "target_period", "",
                              "the period the target is for"))
        period = periods["period"]
        if period is not None and mid and area:
            key = (mid, area, str(period))
            if key in keys:
                found.append(fail(f"duplicated (metric_id, area_code, period) {key}; first on line {keys[key]}",
                                  line, None, expected="one row per metric, area and period"))
            else:
                keys[key] = line
        if found:
            problems.extend(found)
            continue
        assert period is not None

        out["partnership"].append(partnership)
        out["metric_id"].append(mid)
        out["area_code"].append(area)
        out["period"].append(str(period))
        out["period_start"].append(period.start)
        out["period_end"].append(period.end)
        for col in NUMERIC_COLUMNS:
            out[col].append(float("nan") if numbers[col] is None else numbers[col])
        out["target_period"].append("" if periods["target_period"] is None else str(periods["target_period"]))
        out["published_status"].append(cell["published_status"])
        out["note"].append(cell["note"])
        out["source_file"].append(file)
        out["source_row"].append(line)
        out["status"].append(status)
    if problems:
        raise CdpInputError.combine(problems)

    df = pd.DataFrame(out, columns=list(OUTPUT_COLUMNS))
    for col in ("period_start", "period_end"):
        df[col] = pd.to_datetime(df[col])
    for col in NUMERIC_COLUMNS:
        df[col] = df[col].astype("float64")
    df["source_row"] = df["source_row"].astype("int64")
    return df
