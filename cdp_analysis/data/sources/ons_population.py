"""ONS mid-year population estimates by single year of age (table MYE2).

Reads the publisher's own workbook of *Population estimates for the UK, England and Wales,
Scotland and Northern Ireland* (ONS, Open Government Licence v3.0), e.g.
``ukpopestimatesmid2020on2021geography.xls`` (mid-2020), ``ukpopestimatesmid2021on2021geographyfinal.xls``
(mid-2021, Census 2021-based) or ``mye22final.xlsx`` (mid-2022), into the store's ``population``
table (docs/design.md §5): one row per area, sex and single year of age::

    area_code, year, sex, age, population, source, edition

* ``year`` is the mid-year of the estimate (population at 30 June), read from the table
  title ("... mid-2020").
* ``sex`` is ``persons``, ``males`` or ``females``: one sheet per sex (``MYE2 - Persons`` ...)
  or a single MYE2 sheet with a ``Sex`` column.
* ``age`` is 0-89 by single year and **90 meaning 90 and over** (the ``90+`` column).
* ``population`` is the estimated number of usual residents (persons).
* ``edition`` names the estimate and when it was published, from the cover sheet:
  ``'mid-2022, published 26 March 2024'``.

Areas are every geography the table lists (UK, countries, regions, counties, local
authorities), each on the geography of that edition (mid-2022: 2023 local authorities).

Sheets are found by their titles and headers by their labels (``Code``, ``Name``,
``All ages``, ``0`` ... ``89``, ``90+``), not by fixed cell addresses. The loader checks that
each row's single years add up to its ``All ages`` total and that persons = males + females;
anything unexpected raises :class:`~cdp_analysis.errors.CdpInputError` naming file, sheet, row
and column.

Examples
--------
>>> SOURCE
'ons_mye'
>>> [lab.name for lab in HEADERS]
['Code', 'Name', 'All ages', 'Single years of age 0-89', '90+']
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdp_analysis.data.schema import POPULATION_COLUMNS, SEXES, check_population
from cdp_analysis.data.sources._excel import (
    HeaderMatch,
    Label,
    Sheet,
    Workbook,
    check_unique,
    describe_labels,
    find_header,
    parse_numbers,
    rows_with_codes,
)
from cdp_analysis.errors import CdpInputError

__all__ = ["HEADERS", "SOURCE", "TOP_AGE", "age_columns", "detect_edition", "read", "read_areas"]

#: ``source`` of every row this loader writes.
SOURCE = "ons_mye"
#: The open-ended top age band: ``age`` 90 means 90 and over.
TOP_AGE = 90

CODE = Label("Code", r"(?:area |geography )?codes?")
NAME = Label("Name", r"(?:area |geography )?names?")
ALL_AGES = Label("All ages", r"all ages|all persons|total")
AGES = Label("Single years of age 0-89", r"(?:age |aged )?\d{1,2}", many=True)
AGE_TOP = Label("90+", r"(?:age |aged )?90 ?(?:\+|and over|plus)")
SEX = Label("Sex", r"sex|gender")
GEOGRAPHY = Label("Geography", r"geography|geography type|area type")

#: The header labels an MYE2 table must carry (``Sex`` too when one sheet holds all sexes).
HEADERS = (CODE, NAME, ALL_AGES, AGES, AGE_TOP)

_TITLE = re.compile(r"\bMYE ?2\b.*single year of age", re.I)
_TITLE_SEX = re.compile(r"\bMYE ?2\b\W*(persons|males|females)\b", re.I)
_SHEET_NAME = re.compile(r"^\s*MYE ?2\b\W*(persons|males|females)?\s*$", re.I)
_YEAR = re.compile(r"\bmid-? ?(\d{4})\b", re.I)
_PUBLISHED = re.compile(r"published (?:at [0-9.:]+ ?[ap]m,? )?(?:on )?(\d{1,2} [A-Z][a-z]+ \d{4})")
_SEX_VALUES = {
    "persons": "persons", "person": "persons", "all persons": "persons", "all": "persons", "p": "persons",
    "0": "persons", "males": "males", "male": "males", "m": "males", "1": "males",
    "females": "females", "female": "females", "f": "females", "2": "females",
}


def _mye2_sheets(book: Workbook) -> list[tuple[str, str | None, str]]:
    """(sheet name, sex from the title or None, title) of each MYE2 table sheet."""
    found = []
    for name in book.sheet_names:
        titles = [t for t in book.head(name, 12).texts() if _TITLE.search(t)]
        by_name = _SHEET_NAME.match(name)
        if len(titles) == 1:  # a contents page lists several titles
            m = _TITLE_SEX.search(titles[0])
            found.append((name, m[1].lower() if m else None, titles[0]))
        elif by_name and not titles:
            found.append((name, by_name[1].lower() if by_name[1] else None, ""))
    return found


def detect_edition(book: Workbook | str | os.PathLike[str]) -> str:
    """Name the edition: ``'mid-2022, published 26 March 2024'`` (``'mid-2022'`` when the
    cover sheet gives no publication date).

    Raises
    ------
    CdpInputError
        When no MYE2 table title names the year.
    """
    own = not isinstance(book, Workbook)
    wb = Workbook(book) if own else book
    try:
        year = _year(wb, _mye2_sheets(wb))
        published = None
        for name in wb.sheet_names[:3]:
            for text in wb.head(name, 30).texts():
                m = _PUBLISHED.search(text)
                if m:
                    published = m[1]
                    break
            if published:
                break
        return f"mid-{year}" + (f", published {published}" if published else "")
    finally:
        if own:
            wb.close()


def _year(book: Workbook, sheets: list[tuple[str, str | None, str]]) -> int:
    years = {}
    for name, _, title in sheets:
        m = _YEAR.search(title)
        if m:
            years[name] = int(m[1])
    if not years:
        raise CdpInputError(
            "cannot tell the year of the estimates: no MYE2 title names it", file=book.path,
            sheet=sheets[0][0] if sheets else None,
            expected="a title like 'MYE2: Persons by single year of age and sex ..., mid-2022'",
        )
    if len(set(years.values())) > 1:
        raise CdpInputError(
            f"the MYE2 sheets are for different years {years}", file=book.path, expected="one mid-year"
        )
    return next(iter(years.values()))


def age_columns(sheet: Sheet, h: HeaderMatch, headers: Sequence[Label] | None = None, ages: Label | None = None,
                top: Label | None = None) -> list[int]:
    """Columns of ages 0..89 then 90+ in a found header, checked complete and in order.

    ``headers`` are the labels named in the error when an age is missing, ``ages`` and
    ``top`` the labels of the single-year and 90+ columns (defaults: this module's MYE2
    header).
    """
    ages = ages or AGES
    top = top or AGE_TOP
    by_age: dict[int, int] = {}
    for c in h.columns[ages.name]:
        age = int(re.sub(r"\D", "", h.texts[c]))
        if age in by_age:
            raise sheet.error(f"age {age} appears twice in the header", row=h.row, column=c,
                              expected="one column per single year of age")
        by_age[age] = c
    missing = [a for a in range(TOP_AGE) if a not in by_age]
    if missing:
        raise sheet.error(
            f"no column for age {missing[0]}" + (f" (and {len(missing) - 1} more ages)" if len(missing) > 1 else ""),
            row=h.row, expected=describe_labels(headers or HEADERS) + f"; single years 0-{TOP_AGE - 1} then {TOP_AGE}+",
        )
    extra = sorted(a for a in by_age if a >= TOP_AGE)
    if extra:
        raise sheet.error(f"a single-year column for age {extra[0]}", row=h.row, column=by_age[extra[0]],
                          expected=f"single years 0-{TOP_AGE - 1} and one {TOP_AGE}+ column")
    return [by_age[a] for a in range(TOP_AGE)] + [h.col(top.name)]


def _read_sheet(sheet: Sheet, sex: str | None) -> pd.DataFrame:
    labels = HEADERS if sex else (*HEADERS, SEX)
    h = find_header(sheet, labels, what="MYE2 population", optional=(GEOGRAPHY,))
    code_col, total_col = h.col(CODE.name), h.col(ALL_AGES.name)
    age_cols = age_columns(sheet, h)
    rows = rows_with_codes(sheet, code_col, [total_col, *age_cols], after=h.row)
    if len(rows) == 0:
        raise sheet.error("the table has no area rows", row=h.row + 1, column=code_col,
                          expected="rows with an area code like E06000058 below the header")
    values = sheet.values.loc[rows]
    codes = values[code_col].astype(str).str.strip()
    if sex:
        sexes = np.full(len(rows), sex, dtype=object)
    else:
        sex_col = h.col(SEX.name)
        raw = values[sex_col].map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
        mapped = raw.str.strip().str.lower().map(_SEX_VALUES)
        if mapped.isna().any():
            r = mapped.index[mapped.isna()][0]
            raise sheet.error("unknown sex", row=int(r), column=sex_col, value=values.at[r, sex_col],
                              expected=f"one of {sorted(_SEX_VALUES)}")
        sexes = mapped.to_numpy(dtype=object)
    check_unique(sheet, pd.Series(codes.to_numpy() + " " + sexes, index=rows), code_col)
    heads = {c: sheet.header_text(h.row, c) for c in [total_col, *age_cols]}
    pop, _ = parse_numbers(sheet, values[age_cols], blank=None, what="a population count",
                           headers=heads, nonnegative=True)
    total, _ = parse_numbers(sheet, values[[total_col]], blank=None, what="a population count",
                             headers=heads, nonnegative=True)
    off = np.abs(pop.sum(axis=1) - total[:, 0]) > 0.5
    if off.any():
        i = int(np.argmax(off))
        raise sheet.error(
            f"the single years of age add up to {pop[i].sum():,.0f}, not the 'All ages' total",
            row=int(rows[i]), column=total_col, value=total[i, 0], expected="All ages = sum of ages 0 to 90+",
        )
    n_areas, n_ages = pop.shape
    return pd.DataFrame({
        "area_code": np.repeat(codes.to_numpy(dtype=object), n_ages),
        "sex": np.repeat(sexes, n_ages),
        "age": np.tile(np.arange(n_ages, dtype="int64"), n_areas),
        "population": pop.ravel(),
        "_row": np.repeat(np.asarray(rows, dtype="int64"), n_ages),
        "_sheet": sheet.name,
    })


def _check_sexes(df: pd.DataFrame, path: str) -> None:
    """persons = males + females for every area and age present in all three."""
    wide = df.pivot_table(index=["area_code", "age"], columns="sex", values="population", aggfunc="first")
    if not {"persons", "males", "females"} <= set(wide.columns):
        return
    both = wide.dropna(subset=["persons", "males", "females"])
    off = (both["persons"] - both["males"] - both["females"]).abs() > 0.5
    if off.any():
        code, age = off.index[off.to_numpy()][0]
        hit = df[(df["area_code"] == code) & (df["age"] == age) & (df["sex"] == "persons")].iloc[0]
        raise CdpInputError(
            f"persons is not males + females for {code}, age {age}", file=path, sheet=hit["_sheet"],
            row=int(hit["_row"]), value=hit["population"], expected="persons = males + females",
        )


def read(path: str | os.PathLike[str], *, engine: str | None = None) -> pd.DataFrame:
    """Read the MYE2 tables of an ONS mid-year population estimates workbook.

    Parameters
    ----------
    path
        The workbook as published (``.xls`` or ``.xlsx``).
    engine
        Workbook reader (``"calamine"``, ``"openpyxl"``, ``"xlrd"``); default calamine when
        installed.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`~cdp_analysis.data.schema.POPULATION_COLUMNS`: ``area_code``,
        ``year`` (mid-year), ``sex`` (persons, males, females), ``age`` (0-89; 90 = 90 and
        over), ``population`` (persons), ``source`` ``'ons_mye'``, ``edition``.

    Raises
    ------
    CdpInputError
        No MYE2 sheet; a header not found (naming the labels of :data:`HEADERS`); an age
        column missing; text, a blank or a negative number where a population should be;
        ages not adding up to ``All ages``; persons not males + females; an area listed
        twice. The error names the file, the sheet, the spreadsheet row and the column.
    """
    path = str(path)
    with Workbook(path, engine=engine) as book:
        sheets = _mye2_sheets(book)
        if not sheets:
            raise CdpInputError(
                "no MYE2 sheet (population by single year of age)", file=path,
                expected=f"sheets 'MYE2 - Persons', 'MYE2 - Males', 'MYE2 - Females' or one titled "
                f"'MYE2: ... by single year of age ...' (sheets found: {book.sheet_names})",
            )
        year = _year(book, sheets)
        edition = detect_edition(book)
        with_sex = [s for s in sheets if s[1]]
        if with_sex:
            dup = [s for s in with_sex if [t[1] for t in with_sex].count(s[1]) > 1]
            if dup:
                raise CdpInputError(f"two MYE2 sheets for {dup[0][1]}", file=path, sheet=dup[1][0],
                                    expected="one MYE2 sheet per sex")
            sheets = sorted(with_sex, key=lambda s: SEXES.index(str(s[1])))
        parts = [_read_sheet(book.sheet(name), sex) for name, sex, _ in sheets]
    df = pd.concat(parts, ignore_index=True)
    _check_sexes(df, path)
    df = df.drop(columns=["_row", "_sheet"])
    df["year"] = np.int64(year)
    df["source"] = SOURCE
    df["edition"] = edition
    df["population"] = df["population"].astype(float)
    df = df[list(POPULATION_COLUMNS)]
    return check_population(df, file=path)


def read_areas(path: str | os.PathLike[str], *, engine: str | None = None) -> pd.DataFrame:
    """The areas an MYE2 table lists: ``area_code, area_name, geography`` (as published).

    ``geography`` is the publisher's type (``Country``, ``Region``, ``Unitary Authority``,
    ...), empty when the table has no such column.
    """
    path = str(path)
    with Workbook(path, engine=engine) as book:
        sheets = _mye2_sheets(book)
        if not sheets:
            raise CdpInputError("no MYE2 sheet (population by single year of age)", file=path)
        sheet = book.sheet(sheets[0][0])
        h = find_header(sheet, (CODE, NAME), what="MYE2 population", optional=(GEOGRAPHY,))
        geo = h.col(GEOGRAPHY.name) if GEOGRAPHY.name in h.columns else None
        rows = rows_with_codes(sheet, h.col(CODE.name), [h.col(CODE.name)], after=h.row)
        v = sheet.values.loc[rows]
        out = pd.DataFrame({
            "area_code": v[h.col(CODE.name)].astype(str).str.strip().to_numpy(),
            "area_name": v[h.col(NAME.name)].astype(str).str.strip().to_numpy(),
            "geography": v[geo].astype(str).str.strip().to_numpy() if geo is not None else "",
        })
    return out.drop_duplicates("area_code", ignore_index=True)
