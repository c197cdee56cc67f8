"""ONS deaths related to drug poisoning by local authority (England and Wales).

Reads the publisher's own workbook, e.g. ``2021localauthorities.xlsx``, the dataset *Drug
misuse deaths by local authority* that accompanies the ONS bulletin *Deaths related to drug
poisoning in England and Wales* (here the 2021 registrations edition, © Crown copyright 2022,
Open Government Licence v3.0), into the store's ``observations`` table (docs/design.md §5).

What the workbook holds, and what :func:`read` makes of it:

* **Annual counts** (Table 1 poisoning, Table 2 misuse): deaths registered in each calendar
  year 1993 to the edition year, persons, for every area (England and Wales ``K04000001``,
  countries, regions, counties, unitary authorities, districts, London boroughs, Welsh
  UAs). ``metric_id`` ``drug_poisoning_deaths`` / ``drug_misuse_deaths``; ``period`` the year
  (``"2021"``); ``count`` = ``value`` = deaths. A blank cell (three in the 2021 edition) is
  ``status`` ``"x"`` with the count missing, never 0.
* **Three-year pooled rates** (Tables 3-8: poisoning and misuse x persons, males, females):
  ``metric_id`` ``drug_poisoning_asmr`` / ``drug_misuse_asmr``; ``period`` the pooled label
  (``"2019-2021"``); ``count`` the deaths registered over the three years (a total, not an
  annual mean); ``value`` the **age-standardised mortality rate per 100,000 population**
  (2013 European Standard Population) with its 95% confidence limits ``lower_95`` /
  ``upper_95``. ONS do not calculate a rate from fewer than 10 deaths (cell ``:``): ``value``
  missing, ``status`` ``"x"``. Rates from 10-19 deaths carry a ``U`` in the column after the
  rate: ``status`` ``"u"``. Blank cells (metropolitan counties, Inner/Outer London in most
  periods) are ``"x"``.

Every other ``status`` is ``""``. ``age`` is ``"all ages"``; ``denominator`` is missing (ONS
do not publish the populations used). Registration-year basis: deaths are counted in the
year registered, often a year or more after they occurred. The England and Wales figure
includes non-residents; every other area excludes them. Misuse deaths are a subset of
poisoning deaths: never add the two.

The workbook is read by its headers, not by cell addresses: each table's sheet is found by
its title, its header row by the labels listed in :data:`EXPECTED_HEADERS`, and the area
names may sit in any of the indented name columns. Anything unexpected raises
:class:`~cdp_analysis.errors.CdpInputError` naming the file, sheet, row and column.

Examples
--------
>>> pooled_period_label("2019\\u201321")
'2019-2021'
>>> pooled_period_label("1999-01")
'1999-2001'
>>> SOURCE
'ons_drug_deaths_la'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdp_analysis.data.schema import OBSERVATION_COLUMNS, add_period_bounds, check_observations
from cdp_analysis.data.sources._excel import (
    HeaderMatch,
    Label,
    Sheet,
    Workbook,
    check_headed,
    check_unique,
    column_letter,
    find_header,
    parse_numbers,
    rows_with_codes,
)
from cdp_analysis.errors import CdpInputError

__all__ = [
    "AGE",
    "EXPECTED_HEADERS",
    "METRICS",
    "SOURCE",
    "detect_edition",
    "pooled_period_label",
    "read",
]

#: ``source`` of every row this loader writes.
SOURCE = "ons_drug_deaths_la"
#: ``age`` of every row (the figures cover all ages; rates are age-standardised).
AGE = "all ages"

#: metric_id per (table kind, measure).
METRICS: dict[tuple[str, str], str] = {
    ("annual", "poisoning"): "drug_poisoning_deaths",
    ("annual", "misuse"): "drug_misuse_deaths",
    ("pooled", "poisoning"): "drug_poisoning_asmr",
    ("pooled", "misuse"): "drug_misuse_asmr",
}

AREA_CODE = Label("Area code", r"area codes?|area code\(s\)|codes?|area")
AREA_NAME = Label("Area name", r"area names?|area name\(s\)|names?", many=True)
YEAR = Label("Year columns (e.g. 2021)", r"(?:19|20)\d{2}", many=True)
PERIOD = Label("3-year period (e.g. 2019-21)", r"(?:19|20)\d{2} ?- ?(?:\d{2}|(?:19|20)\d{2})", many=True)
DEATHS = Label("Deaths", r"(?:number of )?deaths", many=True)
RATE = Label("Rate", r"(?:age-standardised )?(?:mortality )?rates?(?: per 100,000)?|asmr", many=True)
LOWER = Label(
    "Lower Confidence Limit", r"lower(?: 95%)?(?: confidence)?(?: limits?| interval)?|lcl|lower ci", many=True
)
UPPER = Label(
    "Upper Confidence Limit", r"upper(?: 95%)?(?: confidence)?(?: limits?| interval)?|ucl|upper ci", many=True
)

ANNUAL_HEADERS = (AREA_CODE, AREA_NAME, YEAR)
POOLED_AREA_HEADERS = (AREA_CODE, AREA_NAME)
POOLED_MEASURE_HEADERS = (DEATHS, RATE, LOWER, UPPER)

#: The header labels each kind of table must carry (footnote digits such as ``Rate 1`` and
#: ``[note 1]`` markers, case and spacing are ignored).
EXPECTED_HEADERS: dict[str, tuple[str, ...]] = {
    "annual": tuple(lab.name for lab in ANNUAL_HEADERS),
    "pooled": tuple(lab.name for lab in (*POOLED_AREA_HEADERS, PERIOD, *POOLED_MEASURE_HEADERS)),
}

# Titles: "Number of deaths related to drug poisoning, persons by local authority, ... registered in
# each year ..." and "Number of deaths and age-standardised mortality rate for deaths related to drug
# misuse, males, by local authority ...".
_TITLE = re.compile(r"deaths related to drug (poisoning|misuse),? *(persons|males|females)\b", re.I)
_EXPECTED_TITLES = {
    "annual": "'Number of deaths related to drug {measure}, persons by local authority ...'",
    "pooled": "'Number of deaths and age-standardised mortality rate for deaths related to drug {measure}, "
    "{sex} by local authority ...'",
}
_EDITION = re.compile(r"between (\d{4}) and (\d{4})|(\d{4}) to (\d{4})", re.I)

# What ONS put in place of a number. ':' = not calculated (fewer than 10 deaths).
_MISSING = {":": "x", "..": "x", "x": "x", "[x]": "x", "c": "c", "[c]": "c", "z": "z", "[z]": "z"}
_FLAGS = {"u": "u", "[u]": "u"}
_SEXES = ("persons", "males", "females")


@dataclass(frozen=True)
class _Table:
    kind: str  # "annual" | "pooled"
    measure: str  # "poisoning" | "misuse"
    sex: str
    sheet: str
    title: str


def pooled_period_label(text: str) -> str:
    """The store's label for an ONS pooled period: ``'2019–21'`` -> ``'2019-2021'``.

    Raises
    ------
    CdpInputError
        When ``text`` is not a pooled period.
    """
    m = re.fullmatch(r"\s*(\d{4})\s*[-\u2013\u2014 to]+\s*(\d{2}|\d{4})\s*", str(text))
    if not m:
        raise CdpInputError("not a pooled period", value=text, expected="a period like '2019-21'")
    start = int(m[1])
    end = int(m[2])
    if end < 100:
        end += start - start % 100
        if end < start:
            end += 100
    return f"{start}-{end}"


def _find_tables(book: Workbook) -> dict[tuple[str, str, str], _Table]:
    found: dict[tuple[str, str, str], _Table] = {}
    for name in book.sheet_names:
        titles = [t for t in book.head(name, 12).texts() if _TITLE.search(t)]
        # a contents page lists several titles; a table sheet carries exactly one
        if len(titles) != 1:
            continue
        title = titles[0]
        m = _TITLE.search(title)
        assert m is not None
        kind = "pooled" if re.search(r"age[- ]standardi[sz]ed|rate", title, re.I) else "annual"
        key = (kind, m[1].lower(), m[2].lower())
        if key in found:
            raise CdpInputError(
                f"two sheets hold the {kind} {key[1]} table for {key[2]} ('{found[key].sheet}' and '{name}')",
                file=book.path, sheet=name, expected="one sheet per table",
            )
        found[key] = _Table(kind, key[1], key[2], name, title)
    return found


def detect_edition(book: Workbook | str | os.PathLike[str]) -> str:
    """The edition of a workbook, from its titles: ``'2021 registrations'``.

    The last year of the range in the annual tables' title ("registered in each year between
    1993 and 2021"), or failing that in any table title.

    Raises
    ------
    CdpInputError
        When no title names the years covered.
    """
    own = not isinstance(book, Workbook)
    wb = Workbook(book) if own else book
    try:
        return _edition(wb, _find_tables(wb))
    finally:
        if own:
            wb.close()


def _edition(wb: Workbook, tables: dict[tuple[str, str, str], _Table]) -> str:
    ordered = sorted(tables.values(), key=lambda t: t.kind != "annual")
    for t in ordered:
        m = _EDITION.search(t.title)
        if m:
            return f"{m[2] or m[4]} registrations"
    raise CdpInputError(
        "cannot tell the edition: no table title names the years covered",
        file=wb.path, expected="a title like '... registered in each year between 1993 and 2021'",
    )


def _codes(sheet: Sheet, h: HeaderMatch, value_cols: list[int], after: int) -> tuple[pd.Index, np.ndarray]:
    code_col = h.col(AREA_CODE.name)
    rows = rows_with_codes(sheet, code_col, value_cols, after=after)
    if len(rows) == 0:
        raise sheet.error("the table has no area rows", row=after + 1, column=code_col,
                          expected="rows with an area code like E06000058 below the header")
    codes = sheet.values.loc[rows, code_col].astype(str).str.strip()
    check_unique(sheet, codes, code_col)
    return rows, codes.to_numpy(dtype=object)


def _headers_text(sheet: Sheet, row: int, cols: list[int], prefix: str = "") -> dict[int, str]:
    return {c: prefix + sheet.header_text(row, c) for c in cols}


def _read_annual(sheet: Sheet, table: _Table) -> pd.DataFrame:
    h = find_header(sheet, ANNUAL_HEADERS, what="annual deaths")
    year_cols = h.columns[YEAR.name]
    years = [int(h.texts[c]) for c in year_cols]
    seen: dict[int, int] = {}
    for c, y in zip(year_cols, years, strict=True):
        if y in seen:
            raise sheet.error(f"year {y} appears twice in the header", row=h.row, column=c,
                              expected="one column per year")
        seen[y] = c
    rows, codes = _codes(sheet, h, year_cols, h.row)
    # a year heading lost (e.g. under a merged cell) must not drop its column silently
    check_headed(sheet, h.row, rows, year_cols, first=h.col(AREA_CODE.name) + 1, what="year")
    block = sheet.values.loc[rows, year_cols]
    vals, status = parse_numbers(
        sheet, block, markers=_MISSING, blank="x", what="a count of deaths",
        headers=_headers_text(sheet, h.row, year_cols), nonnegative=True, whole=True,
    )
    n_rows, n_years = vals.shape
    out = pd.DataFrame({
        "metric_id": METRICS[("annual", table.measure)],
        "area_code": np.repeat(codes, n_years),
        "period": np.tile(np.array([str(y) for y in years], dtype=object), n_rows),
        "sex": table.sex,
        "count": vals.ravel(),
        "value": vals.ravel(),
        "lower_95": np.nan,
        "upper_95": np.nan,
        "status": status.ravel(),
    })
    return out


def _read_pooled(sheet: Sheet, table: _Table) -> pd.DataFrame:
    ha = find_header(sheet, POOLED_AREA_HEADERS, what="pooled rates")
    hm = find_header(sheet, POOLED_MEASURE_HEADERS, first_row=ha.row, last_row=ha.row + 5,
                     what="pooled rates (Deaths, Rate, Lower and Upper limits)")
    hp = find_header(sheet, (PERIOD,), first_row=ha.row, last_row=hm.row, what="pooled periods")
    starts = sorted(hp.columns[PERIOD.name])
    width = sheet.values.shape[1]
    bounds = [*starts[1:], width]
    picks: dict[str, list[int]] = {"deaths": [], "rate": [], "flag": [], "lower": [], "upper": []}
    periods: list[str] = []
    measure_cols = {lab.name: set(hm.columns[lab.name]) for lab in POOLED_MEASURE_HEADERS}
    first_measure = min(min(c) for c in measure_cols.values())
    if first_measure < starts[0]:
        raise sheet.error(
            "a Deaths/Rate/Limit column stands before the first period heading",
            row=hm.row, column=first_measure, expected=f"the period (e.g. 2019-21) above each block, row {hp.row}",
        )
    for lo, hi in zip(starts, bounds, strict=True):
        label_text = sheet.header_text(hp.row, lo)
        try:
            periods.append(pooled_period_label(hp.texts[lo]))
        except CdpInputError:  # pragma: no cover - the PERIOD label pattern already checked it
            raise sheet.error("not a pooled period", row=hp.row, column=lo, value=label_text,
                              expected="a period like '2019-21'") from None
        block_cols = set(range(lo, hi))
        for key, lab in zip(("deaths", "rate", "lower", "upper"), POOLED_MEASURE_HEADERS, strict=True):
            cols = sorted(measure_cols[lab.name] & block_cols)
            if len(cols) != 1:
                raise sheet.error(
                    f"{'no' if not cols else len(cols)} '{lab.name}' column{'s' if cols else ''} "
                    f"under period '{label_text}' (columns {column_letter(lo)}-{column_letter(hi - 1)})",
                    row=hm.row, column=cols[1] if cols else lo, expected="one '" + lab.name + "' per period",
                )
            picks[key].append(cols[0])
        rate_col = picks["rate"][-1]
        nxt = rate_col + 1
        taken = {picks[k][-1] for k in ("deaths", "lower", "upper")}
        flag_col = nxt if nxt < hi and nxt not in taken and not hm.texts.get(nxt) else -1
        picks["flag"].append(flag_col)
    all_cols = [c for k in ("deaths", "rate", "lower", "upper") for c in picks[k]]
    rows, codes = _codes(sheet, ha, all_cols, hm.row)
    values = sheet.values.loc[rows]

    def numbers(key: str, what: str, **kw: bool) -> tuple[np.ndarray, np.ndarray]:
        cols = picks[key]
        heads = {c: f"{sheet.header_text(hm.row, c)} {sheet.header_text(hp.row, s)}"
                 for c, s in zip(cols, starts, strict=True)}
        return parse_numbers(sheet, values[cols], markers=_MISSING, blank="x", what=what, headers=heads, **kw)

    deaths, _ = numbers("deaths", "a count of deaths", nonnegative=True, whole=True)
    rate, rate_status = numbers("rate", "a rate per 100,000", nonnegative=True)
    lower, _ = numbers("lower", "a lower confidence limit", nonnegative=True)
    upper, _ = numbers("upper", "an upper confidence limit", nonnegative=True)
    flags = np.full(rate.shape, "", dtype=object)
    have_flag = [i for i, c in enumerate(picks["flag"]) if c >= 0]
    if have_flag:
        fcols = [picks["flag"][i] for i in have_flag]
        fnum, fstat = parse_numbers(
            sheet, values[fcols], markers=_FLAGS, blank="", what="the unreliable-rate flag 'U'",
            headers={c: f"flag column after Rate {sheet.header_text(hp.row, starts[i])}"
                     for c, i in zip(fcols, have_flag, strict=True)},
        )
        if np.isfinite(fnum).any():
            k = int(np.argmax(np.isfinite(fnum).ravel()))
            r, c = divmod(k, len(fcols))
            raise sheet.error("a number stands in the unreliable-rate flag column", row=int(rows[r]),
                              column=fcols[c], value=values.at[rows[r], fcols[c]], expected="'U' or an empty cell")
        flags[:, have_flag] = fstat
    status = np.where(rate_status != "", rate_status, flags)
    n_rows, n_periods = rate.shape
    return pd.DataFrame({
        "metric_id": METRICS[("pooled", table.measure)],
        "area_code": np.repeat(codes, n_periods),
        "period": np.tile(np.array(periods, dtype=object), n_rows),
        "sex": table.sex,
        "count": deaths.ravel(),
        "value": rate.ravel(),
        "lower_95": lower.ravel(),
        "upper_95": upper.ravel(),
        "status": status.ravel(),
    })


def read(path: str | os.PathLike[str], *, engine: str | None = None) -> pd.DataFrame:
    """Read an ONS *drug misuse deaths by local authority* workbook into observations.

    Parameters
    ----------
    path
        The workbook as published (e.g. ``2021localauthorities.xlsx``).
    engine
        Workbook reader (``"calamine"``, ``"openpyxl"``, ``"xlrd"``); default calamine when
        installed.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`~cdp_analysis.data.schema.OBSERVATION_COLUMNS`: annual deaths
        (``drug_poisoning_deaths``, ``drug_misuse_deaths``; persons; ``count`` = ``value`` =
        deaths registered in the year) and three-year pooled deaths with age-standardised
        mortality rates per 100,000 and 95% limits (``drug_poisoning_asmr``,
        ``drug_misuse_asmr``; persons, males, females). ``source`` :data:`SOURCE`,
        ``edition`` from the titles (``'2021 registrations'``).

    Raises
    ------
    CdpInputError
        A table's sheet missing; a header not found (naming the labels expected, see
        :data:`EXPECTED_HEADERS`); text, a negative or a fractional number where a count
        should be; an area listed twice; a row of figures without an area code. The error
        names the file, the sheet, the spreadsheet row and the column.
    """
    path = str(path)
    with Workbook(path, engine=engine) as book:
        tables = _find_tables(book)
        missing = []
        for kind, sexes in (("annual", ("persons",)), ("pooled", _SEXES)):
            for measure in ("poisoning", "misuse"):
                for sex in sexes:
                    if (kind, measure, sex) not in tables:
                        missing.append(_EXPECTED_TITLES[kind].format(measure=measure, sex=sex))
        if missing:
            raise CdpInputError(
                f"no sheet holds the table titled {missing[0]}"
                + (f" (and {len(missing) - 1} more tables are missing)" if len(missing) > 1 else ""),
                file=path, expected=f"sheets titled {'; '.join(missing)} (sheets found: {book.sheet_names})",
            )
        edition = _edition(book, tables)
        parts = []
        for key in sorted(tables, key=lambda k: (k[0] != "annual", k[1] != "poisoning", _SEXES.index(k[2]))):
            table = tables[key]
            sheet = book.sheet(table.sheet)
            parts.append(_read_annual(sheet, table) if table.kind == "annual" else _read_pooled(sheet, table))
    df = pd.concat(parts, ignore_index=True)
    add_period_bounds(df)
    df["source"] = SOURCE
    df["age"] = AGE
    df["denominator"] = np.nan
    df["edition"] = edition
    for col in ("count", "denominator", "value", "lower_95", "upper_95"):
        df[col] = df[col].astype(float)
    df = df[list(OBSERVATION_COLUMNS)]
    return check_observations(df, file=path)
