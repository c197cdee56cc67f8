"""ONS mid-year population estimates as long series (Nomis extracts), and ESP2013 age bands.

Two CSV layouts, both ONS mid-year estimates of the usual resident population at 30 June,
persons, by single year of age, extracted from Nomis (*Population estimates - local
authority based by single year of age*, Open Government Licence v3.0):

* ``la_pop_estimates.csv`` - **local authorities, 1997-2020**, one row per area and year::

      name, code, year, Age 0, Age 1, ..., Age 89, Aged 90+

  368 areas on 2020 boundaries (BCP E06000058 and Dorset E06000059 back-cast to 1997),
  England, Wales, Scotland and Northern Ireland. For **1997-2000 the ages 85 and over are
  ``-``** (not available) and Northern Ireland 1997-2000 is ``-`` throughout: those
  populations are kept **missing (NaN), never 0**. These are the unrevised
  (pre-Census-2021) estimates; they do not match ONS's later revised 2012-2020 series.
* ``pop_region_25nov2022.csv`` - **the nine English regions, 1991-2020**, one row per region
  and age with one column per year::

      Age, region, 1991, 1992, ..., 2020

  ``Age`` is ``All Ages``, ``Age 0`` ... ``Age 89``, ``Aged 90+``; ``region`` a region
  *name* (``East`` = East of England), turned into its GSS code (:data:`REGION_CODES`).
  The ``All Ages`` row is used to check that the single years add up (where none is
  missing), then dropped. As in the LA file, **ages 85 and over are ``-`` for 1991-2000**:
  kept missing, while ``All Ages`` includes them.

Both go to the store's ``population`` table (``area_code, year, sex, age, population,
source, edition``): ``sex`` ``persons``; ``age`` 0-89 and **90 meaning 90 and over**;
``source`` ``'ons_mye_nomis'``; ``edition`` names the years and geography covered
(``'1997-2020 local authorities (Nomis)'``). The editions begin with a digit, so where a
year is also in an ONS MYE2 workbook (mid-2020) the store's ``population()`` query, which
keeps the latest edition in sort order, prefers the workbook.

The files are read by their headers (found anywhere in the first 20 records, case, spacing
and footnote marks ignored), never by position; anything unexpected raises
:class:`~cdp_analysis.errors.CdpInputError` naming the file, the row (the 1-based CSV
record) and the column.

:func:`age_bands` sums single years into the 19 bands of the 2013 European Standard
Population (``0-4`` ... ``85-89``, ``90+``) for direct standardisation
(:func:`cdp_analysis.indicators.dsr`).

Examples
--------
>>> SOURCE
'ons_mye_nomis'
>>> REGION_CODES["east"], REGION_CODES["south west"]
('E12000006', 'E12000009')
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdp_analysis.data.schema import POPULATION_COLUMNS, check_population
from cdp_analysis.data.sources._excel import (
    Label,
    Sheet,
    check_unique,
    csv_sheet,
    describe_labels,
    find_header,
    is_blank,
    normalise_label,
    parse_numbers,
    rows_with_codes,
)
from cdp_analysis.data.sources.ons_population import age_columns
from cdp_analysis.data.store import SourceSpec
from cdp_analysis.errors import CdpInputError

__all__ = [
    "ESP2013_BANDS",
    "REGION_CODES",
    "SOURCE",
    "SPECS",
    "TOP_AGE",
    "age_bands",
    "read",
    "read_la",
    "read_regions",
]

#: ``source`` of every row this module writes.
SOURCE = "ons_mye_nomis"
#: The open-ended top age: ``age`` 90 means 90 and over.
TOP_AGE = 90
#: Lower bounds of the 19 ESP2013 bands (``0-4`` ... ``85-89``, ``90+``).
ESP2013_BANDS: tuple[int, ...] = tuple(range(0, 95, 5))

#: GSS codes of the English regions by normalised name (ONS and Nomis spellings).
REGION_CODES: dict[str, str] = {
    "north east": "E12000001",
    "north west": "E12000002",
    "yorkshire and the humber": "E12000003",
    "yorkshire and humber": "E12000003",
    "east midlands": "E12000004",
    "west midlands": "E12000005",
    "east": "E12000006",
    "east of england": "E12000006",
    "london": "E12000007",
    "south east": "E12000008",
    "south west": "E12000009",
}

_MISSING = {"-": "x", ":": "x", "..": "x", "x": "x", "[x]": "x", "null": "x"}

CODE = Label("code", r"(?:area |geography |la |local authority )?codes?|geography_code")
YEAR = Label("year", r"years?|date|mid-year|date_name")
AGES = Label("Age 0 ... Age 89", r"(?:age |aged )?\d{1,2}", many=True)
AGE_TOP = Label("Aged 90+", r"(?:age |aged )?90 ?(?:\+|and over|plus)")
AGE = Label("Age", r"age|ages|age group|c_age_name")
NAME = Label("name", r"(?:area |geography |la |local authority )?names?|geography_name")
REGION = Label("region", r"regions?|region name|geography|geography_name")
YEARS = Label("year columns (e.g. 2020)", r"(?:19|20)\d{2}", many=True)

#: The header labels each layout must carry.
LA_HEADERS = (CODE, YEAR, AGES, AGE_TOP)
REGION_HEADERS = (AGE, REGION, YEARS)

_AGE_ROW = re.compile(r"(?:age|aged)?\s*(\d{1,2})")
_AGE_ROW_TOP = re.compile(r"(?:age|aged)?\s*90 ?(?:\+|and over|plus)")
_ALL_AGES = re.compile(r"all ages|all|total")


def _years(sheet: Sheet, cells: pd.Series, col: int) -> np.ndarray:
    text = cells.astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    ok = text.str.fullmatch(r"(?:19|20)\d{2}")
    if not ok.all():
        r = int(ok.index[~ok.to_numpy()][0])
        raise sheet.error("not a year", row=r, column=col, value=cells[r], expected="a year like 2020")
    return text.astype(int).to_numpy()


def _finish(df: pd.DataFrame, edition: str, path: str) -> pd.DataFrame:
    df["sex"] = "persons"
    df["source"] = SOURCE
    df["edition"] = edition
    df["population"] = df["population"].astype(float)
    df["year"] = df["year"].astype("int64")
    df["age"] = df["age"].astype("int64")
    return check_population(df[list(POPULATION_COLUMNS)], file=path)


def read_la(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the local-authority series (``name, code, year, Age 0 ... Aged 90+``).

    Returns
    -------
    pandas.DataFrame
        ``population`` rows; ``-`` cells (ages 85+ in 1997-2000, Northern Ireland
        1997-2000) are NaN. ``edition`` ``'<first>-<last> local authorities (Nomis)'``.

    Raises
    ------
    CdpInputError
        Header not found, an age column missing, a bad year, text where a number should
        be, an area listed twice in a year.
    """
    path = str(path)
    sheet = csv_sheet(path)
    h = find_header(sheet, LA_HEADERS, last_row=20, what="population by single year of age",
                    optional=(NAME,))
    code_col, year_col = h.col(CODE.name), h.col(YEAR.name)
    age_cols = age_columns(sheet, h, LA_HEADERS, AGES, AGE_TOP)
    rows = rows_with_codes(sheet, code_col, age_cols, after=h.row)
    if len(rows) == 0:
        raise sheet.error("the table has no area rows", row=h.row + 1, column=code_col,
                          expected="rows with an area code like E06000058 below the header")
    values = sheet.values.loc[rows]
    codes = values[code_col].astype(str).str.strip()
    years = _years(sheet, values[year_col], year_col)
    check_unique(sheet, pd.Series(codes.to_numpy() + " " + years.astype(str), index=rows), code_col,
                 what="area and year")
    heads = {c: sheet.header_text(h.row, c) for c in age_cols}
    pop, _ = parse_numbers(sheet, values[age_cols], markers=_MISSING, blank="x",
                           what="a population count", headers=heads, nonnegative=True)
    n_rows, n_ages = pop.shape
    df = pd.DataFrame({
        "area_code": np.repeat(codes.to_numpy(dtype=object), n_ages),
        "year": np.repeat(years, n_ages),
        "age": np.tile(np.arange(n_ages), n_rows),
        "population": pop.ravel(),
    })
    return _finish(df, f"{years.min()}-{years.max()} local authorities (Nomis)", path)


def read_regions(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the regional series (``Age, region, 1991 ... 2020``; one row per region and age).

    Returns
    -------
    pandas.DataFrame
        ``population`` rows for the nine English regions (GSS codes), ``edition``
        ``'<first>-<last> regions (Nomis)'``.

    Raises
    ------
    CdpInputError
        Header not found; an unknown region name or age label; an age missing or repeated
        for a region; single years not adding up to ``All Ages``.
    """
    path = str(path)
    sheet = csv_sheet(path)
    h = find_header(sheet, REGION_HEADERS, last_row=20, what="regional population by single year of age")
    age_col, region_col = h.col(AGE.name), h.col(REGION.name)
    year_cols = h.columns[YEARS.name]
    years = [int(h.texts[c]) for c in year_cols]
    dups = [c for i, (c, y) in enumerate(zip(year_cols, years, strict=True)) if y in years[:i]]
    if dups:
        c = dups[0]
        raise sheet.error("a year appears twice in the header", row=h.row, column=c, expected="one column per year")
    body = sheet.values.loc[h.row + 1:]
    labels = body[age_col].map(normalise_label)
    keep = labels.ne("").to_numpy() | ~is_blank(body[year_cols]).all(axis=1)
    body, labels = body[keep], labels[keep]
    total = labels.str.fullmatch(_ALL_AGES.pattern)
    top = labels.str.fullmatch(_AGE_ROW_TOP.pattern)
    single = labels.str.extract(f"^{_AGE_ROW.pattern}$")[0]
    ages = pd.Series(np.where(top, TOP_AGE, pd.to_numeric(single, errors="coerce")), index=body.index)
    bad = ~total & ages.isna()
    if bad.any():
        r = int(bad.index[bad.to_numpy()][0])
        raise sheet.error("not an age", row=r, column=age_col, value=body.at[r, age_col],
                          expected="'All Ages', 'Age 0' ... 'Age 89' or 'Aged 90+'")
    names = body[region_col].map(normalise_label)
    codes = names.map(REGION_CODES)
    if codes.isna().any():
        r = int(codes.index[codes.isna().to_numpy()][0])
        raise sheet.error("not an English region", row=r, column=region_col, value=body.at[r, region_col],
                          expected=f"one of {sorted(set(REGION_CODES))}")
    heads = {c: sheet.header_text(h.row, c) for c in year_cols}
    pop, _ = parse_numbers(sheet, body[year_cols], markers=_MISSING, blank="x",
                           what="a population count", headers=heads, nonnegative=True)
    is_single = ~total.to_numpy()
    key = codes[is_single] + " age " + ages[is_single].astype(int).astype(str)
    check_unique(sheet, key, age_col, what="region and age")
    for code in codes.unique():
        got = set(ages[is_single & (codes == code).to_numpy()].astype(int))
        if got != set(range(TOP_AGE + 1)):
            miss = sorted(set(range(TOP_AGE + 1)) - got)
            r = int(codes.index[(codes == code).to_numpy()][0])
            raise sheet.error(f"region {code} lacks age {miss[0]}", row=r, column=age_col,
                              expected=f"one row per age 0-{TOP_AGE - 1} and {TOP_AGE}+")
    sums = pd.DataFrame(pop[is_single]).groupby(codes.to_numpy()[is_single]).sum(skipna=False)
    for i in np.flatnonzero(~is_single):
        want, got = pop[i], sums.loc[codes.iloc[i]].to_numpy()
        off = np.isfinite(want) & np.isfinite(got) & (np.abs(want - got) > 0.5)
        if off.any():
            j = int(np.argmax(off))
            raise sheet.error(f"the single years of age add up to {got[j]:,.0f}, not the 'All Ages' total",
                              row=int(body.index[i]), column=year_cols[j], value=body.iat[i, year_cols[j]],
                              expected="All Ages = sum of ages 0 to 90+")
    sp = pop[is_single]
    n_rows, n_years = sp.shape
    df = pd.DataFrame({
        "area_code": np.repeat(codes.to_numpy(dtype=object)[is_single], n_years),
        "year": np.tile(np.array(years), n_rows),
        "age": np.repeat(ages.to_numpy()[is_single].astype(int), n_years),
        "population": sp.ravel(),
    }).sort_values(["area_code", "year", "age"], ignore_index=True)
    return _finish(df, f"{min(years)}-{max(years)} regions (Nomis)", path)


def read(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read either layout, told apart by its header (``code``/``year`` columns or ``Age``/``region``).

    Raises
    ------
    CdpInputError
        When neither layout's header is found (naming both sets of labels).
    """
    sheet = csv_sheet(path)
    top = sheet.values.loc[: min(20, sheet.n_rows)].map(normalise_label).to_numpy()
    for row in top:
        texts = [t for t in row if t]
        if any(CODE.match_normalised(t) for t in texts) and any(YEAR.match_normalised(t) for t in texts):
            return read_la(path)
        if any(REGION.match_normalised(t) for t in texts) and any(AGE.match_normalised(t) for t in texts):
            return read_regions(path)
    raise CdpInputError(
        "neither population layout's header found", file=str(path), row="1-20",
        expected=f"{describe_labels(LA_HEADERS)}, or {describe_labels(REGION_HEADERS)}",
    )


def _band_labels(lowers: Sequence[int]) -> list[str]:
    return [f"{lo}-{hi - 1}" for lo, hi in zip(lowers[:-1], lowers[1:], strict=True)] + [f"{lowers[-1]}+"]


def age_bands(
    pop: pd.DataFrame,
    bands: str | Sequence[int] = "esp2013",
    *,
    age: str = "age",
    value: str = "population",
) -> pd.DataFrame:
    """Sum single years of age into age bands (for direct standardisation).

    Parameters
    ----------
    pop
        Rows of single years of age (``age`` 0-90, 90 meaning 90 and over), e.g. from
        ``Store.population()``; every column but ``age`` and ``value`` identifies a group.
    bands
        ``"esp2013"``: the 19 bands of the 2013 European Standard Population (``0-4`` ...
        ``85-89``, ``90+``); or the lower bounds of the bands, starting at 0 (``[0, 16, 60]``
        gives ``0-15``, ``16-59``, ``60+``). The last band is open ended.
    age, value
        The columns holding the single year of age and the population.

    Returns
    -------
    pandas.DataFrame
        The group columns, ``age_band`` (labels as above) and ``value`` summed, bands in
        age order. A band is **missing (NaN) when any of its single years is missing or
        absent** (e.g. ages 85+ in 1997-2000), never a partial sum.

    Raises
    ------
    CdpInputError
        Missing columns, ages that are not whole numbers 0-90, bad band bounds.

    Examples
    --------
    >>> df = pd.DataFrame({"area_code": "A", "age": range(91), "population": 1.0})
    >>> out = age_bands(df)
    >>> out["age_band"].tolist()[:2], out["age_band"].tolist()[-1], out["population"].tolist()[:2]
    (['0-4', '5-9'], '90+', [5.0, 5.0])
    >>> age_bands(df, [0, 18])["population"].tolist()
    [18.0, 73.0]
    >>> df.loc[df["age"] == 87, "population"] = np.nan
    >>> age_bands(df)["population"].tolist()[-3:]
    [5.0, nan, 1.0]
    """
    lowers = list(ESP2013_BANDS) if isinstance(bands, str) and bands.lower() == "esp2013" else bands
    if isinstance(lowers, str):
        raise CdpInputError(f"unknown bands {bands!r}", column="bands", expected="'esp2013' or lower bounds")
    lowers = [int(b) for b in lowers]
    if not lowers or lowers[0] != 0 or any(b <= a for a, b in zip(lowers, lowers[1:], strict=False)) \
            or lowers[-1] > TOP_AGE:
        raise CdpInputError(f"bad band bounds {lowers}", column="bands",
                            expected=f"increasing lower bounds from 0, the last at most {TOP_AGE}")
    missing = [c for c in (age, value) if c not in pop.columns]
    if missing:
        raise CdpInputError(f"the frame lacks columns {missing}", expected=f"columns {age!r} and {value!r}")
    ages = pd.to_numeric(pop[age], errors="coerce")
    bad = ages.isna() | (ages < 0) | (ages > TOP_AGE) | (ages != ages.round())
    if bad.any():
        raise CdpInputError("not a single year of age", row=list(pop.index[bad.to_numpy()][:10]), column=age,
                            value=pop.loc[bad, age].iloc[0], expected=f"whole numbers 0-{TOP_AGE} ({TOP_AGE} = 90+)")
    labels = _band_labels(lowers)
    idx = np.searchsorted(np.array(lowers), ages.to_numpy(dtype=int), side="right") - 1
    width = np.diff([*lowers, TOP_AGE + 1])
    keys = [c for c in pop.columns if c not in (age, value)]
    work = pop[keys].copy()
    work["_band"] = idx
    work["_v"] = pd.to_numeric(pop[value], errors="coerce").astype(float)
    work["_n"] = work["_v"].notna().astype(int)
    g = work.groupby([*keys, "_band"], dropna=False, sort=True)
    out = g.agg(_v=("_v", "sum"), _n=("_n", "sum")).reset_index()
    # every band present for every group, missing where incomplete
    groups = out[keys].drop_duplicates() if keys else pd.DataFrame(index=[0])
    full = groups.merge(pd.DataFrame({"_band": range(len(lowers))}), how="cross")
    out = full.merge(out, on=[*keys, "_band"], how="left")
    complete = out["_n"].to_numpy() == width[out["_band"].to_numpy()]
    out[value] = np.where(complete, out["_v"], np.nan)
    out["age_band"] = np.array(labels, dtype=object)[out["_band"].to_numpy()]
    return out[[*keys, "age_band", value]].reset_index(drop=True)


SPECS = [
    SourceSpec("population", SOURCE, "raw/population/la_pop_estimates*.csv", read_la,
               description="ONS mid-year estimates by local authority, single year of age, 1997-2020 (Nomis)"),
    SourceSpec("population", SOURCE, "raw/population/pop_region*.csv", read_regions,
               description="ONS mid-year estimates by English region, single year of age, 1991-2020 (Nomis)"),
]
