"""NHS hospital admissions related to drugs: England and "merged locations", financial years.

What the shipped files are (``data/raw/hospital_admissions/nhs_drug_admissions_merged_locations/``):
counts from NHS Digital's *Statistics on Drug Misuse, England* (Hospital Episode
Statistics, inpatients; Open Government Licence v3.0), **compiled by others** (Castro,
*British Drug Dynamics*) into one wide table per measure, on "merged locations" that join
the 2008-2013 primary care trusts and the local authorities after 2013 into territories both
cover. Three measures, as NHS Digital defines them:

``primary.csv`` -> ``admissions_drug_mental_behavioural``
    Admissions with a **primary** diagnosis of drug-related mental and behavioural disorders
    (NHS Digital's measure 1; ICD-10 F11-F16, F18, F19).
``secondary.csv`` -> ``admissions_drug_mental_behavioural_any``
    Admission **episodes** with a primary **or secondary** diagnosis of drug-related mental
    and behavioural disorders (measure 3: a broader measure, partly driven by better
    recording of secondary diagnoses over time).
``misuse.csv`` -> ``admissions_drug_poisoning``
    Admissions with a primary diagnosis of **poisoning by drug misuse** (controlled drugs;
    measure 2). The file name is the compilers'.

Layouts, told apart by the header and read by column name:

- **by location** (``primary.csv``, ``secondary.csv``, ``misuse.csv``): ``year``, then one
  column per merged location; the measure is the file's name (``primary``, ``secondary``,
  ``misuse``), since the table itself does not say.
- **England** (``admissions_England.csv``): ``year, primary, secondary, misuse``;
  ``area_code`` ``E92000001``.

``year`` is the year a financial year **ends** (``2019`` -> ``2018/19``): NHS Digital
published 8,621 primary-diagnosis admissions for 2015/16 and 7,545 for 2016/17, the
national file's 2016 and 2017 (tested). The location files have a partly filled extra
``2020`` row (2019/20), loaded as it stands. ``count`` = ``value`` = admissions; a blank is
not available (``status`` ``x``), never 0; a whole number written ``102.0`` is read as 102.

Areas: a location's name is looked up among the England upper-tier areas that existed in
that year (:mod:`~cdp_analysis.data.sources._names`; ``Dorset`` is Dorset County E10000009
until 2018/19). A merged location covering several of today's areas
(:data:`MERGED_LOCATIONS`, from the compilers' table of locations) is stored under the
member codes joined by ``+`` (``Bournemouth and Poole`` -> ``E06000028+E06000029``), so that
only exact unions of areas are ever summed. ``Tameside and Glossop`` is stored as Tameside
(E08000008): the Glossop part of High Peak, in the trust until 2013, has no code of its
own. An unknown name is an error naming the column.
``source`` ``'nhs_drug_admissions_compiled'``, ``edition`` ``'<file> <first>-<last>'``.

Examples
--------
>>> financial_year("2019")
'2018/19'
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from cdp_analysis.data.schema import OBSERVATION_COLUMNS, add_period_bounds, check_observations
from cdp_analysis.data.sources._excel import (
    Label,
    Sheet,
    check_headed,
    csv_sheet,
    find_header,
    parse_numbers,
)
from cdp_analysis.data.sources._names import name_key, resolve_name
from cdp_analysis.data.store import SourceSpec
from cdp_analysis.periods import Period

__all__ = ["MEASURES", "MERGED_LOCATIONS", "SOURCE", "SPECS", "financial_year", "read"]

SOURCE = "nhs_drug_admissions_compiled"
#: file stem / England column -> metric id
MEASURES = {
    "primary": "admissions_drug_mental_behavioural",
    "secondary": "admissions_drug_mental_behavioural_any",
    "misuse": "admissions_drug_poisoning",
}
#: Merged locations made of several areas (the compilers' ``tables/Locations.md``), by the
#: names of those areas. Every other location is one area of the same name.
MERGED_LOCATIONS: dict[str, tuple[str, ...]] = {
    "Bournemouth and Poole": ("Bournemouth", "Poole"),
    "City of London and Hackney": ("City of London", "Hackney"),
    "Cornwall and Isles of Scilly": ("Cornwall", "Isles of Scilly"),
    "East Berkshire": ("Bracknell Forest", "Reading", "Slough", "Windsor and Maidenhead", "Wokingham"),
    "Halton and St. Helens": ("Halton", "St. Helens"),
    "Leicestershire and Rutland": ("Leicestershire", "Rutland"),
    "Merton and Sutton": ("Merton", "Sutton"),
    "North Yorkshire and York": ("North Yorkshire", "York"),
    "Tameside and Glossop": ("Tameside",),
    "Bedfordshire": ("Bedford", "Central Bedfordshire"),
    "Cheshire": ("Cheshire East", "Cheshire West and Chester"),
    "Essex": ("Essex", "Southend-on-Sea", "Thurrock"),
}
_MERGED = {name_key(k): v for k, v in MERGED_LOCATIONS.items()}
YEAR = Label("year")
ENGLAND_HEADERS = (YEAR, *(Label(k) for k in MEASURES))
_LOCATION = Label("merged location", r"[a-z].*", many=True)


def financial_year(text: object) -> str:
    """The financial year ending in ``text`` (``"2019"`` -> ``"2018/19"``).

    Raises
    ------
    ValueError
        When ``text`` is not a year.
    """
    t = str(text).strip().removesuffix(".0")
    if not re.fullmatch(r"(?:19|20)\d{2}", t):
        raise ValueError(f"not a year: {text!r}")
    y = int(t)
    return f"{y - 1}/{str(y)[2:]}"


def _years(sheet: Sheet, body: pd.DataFrame, col: int) -> np.ndarray:
    out = []
    for r, v in body[col].items():
        try:
            out.append(financial_year(v))
        except ValueError:
            raise sheet.error("not a year", row=int(r), column=col, value=v,
                              expected="the year a financial year ends, like 2019 (2018/19)") from None
    return np.asarray(out, dtype=object)


def _location_code(sheet: Sheet, row: int, col: int, name: str, period: str) -> str:
    p = Period.parse(period)
    members = _MERGED.get(name_key(name), (name,))
    codes = []
    for m in members:
        code = resolve_name(m, p.start, p.end)
        if code is None:
            raise sheet.error("unknown location", row=row, column=col, value=name,
                              expected="the name of an English upper-tier area, or a merged location of "
                                       f"{sorted(MERGED_LOCATIONS)}")
        codes.append(code)
    return "+".join(sorted(set(codes)))


def _finish(df: pd.DataFrame, sheet: Sheet, edition: str, path: str) -> pd.DataFrame:
    key = ["metric_id", "area_code", "period"]
    dup = df.duplicated(key, keep=False)
    if dup.any():
        first = df[dup].iloc[0]
        rows = sorted(set(df.loc[dup & (df[key] == first[key]).all(axis=1), "_row"]))
        raise sheet.error(f"{first['metric_id']} {first['area_code']} {first['period']} is given twice", row=rows,
                          expected="one row per year and one column per location")
    spans = add_period_bounds(df)
    df["source"] = SOURCE
    df["sex"] = "persons"
    df["age"] = "all ages"
    df["value"] = df["count"]
    order = sorted(spans, key=lambda k: spans[k].start)
    df["edition"] = f"{edition} {order[0]}-{order[-1]}"
    for col in ("denominator", "lower_95", "upper_95"):
        df[col] = np.nan
    for col in ("count", "denominator", "value", "lower_95", "upper_95"):
        df[col] = df[col].astype(float)
    df = df.sort_values(["metric_id", "area_code", "period"], kind="stable")
    return check_observations(df[list(OBSERVATION_COLUMNS)].reset_index(drop=True), file=path)


def _body(sheet: Sheet, row: int) -> pd.DataFrame:
    body = sheet.values.loc[row + 1:]
    body = body[~body.map(lambda v: str(v).strip() == "").all(axis=1)]
    if body.empty:
        raise sheet.error("no data rows below the header", row=row + 1, expected="one row per year")
    return body


def read(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read one of the four files (see the module docstring).

    A file named ``primary.csv``, ``secondary.csv`` or ``misuse.csv`` is a table by location;
    any other is the England table.

    Raises
    ------
    CdpInputError
        A header missing (the England table's naming the columns expected); an unknown
        location; a bad year; text where a count should be; a year given twice.
    """
    path = str(path)
    sheet = csv_sheet(path)
    stem = Path(path).stem.lower()
    if stem not in MEASURES:  # the England table (any other name): its header names the measures
        h = find_header(sheet, ENGLAND_HEADERS, last_row=20, what="England admissions table (year, primary, "
                        "secondary, misuse; a table by location must be named primary.csv, secondary.csv or "
                        "misuse.csv)")
        body = _body(sheet, h.row)
        periods = _years(sheet, body, h.col(YEAR.name))
        parts = []
        for col_name, metric in MEASURES.items():
            c = h.col(col_name)
            vals, status = parse_numbers(sheet, body[[c]], markers={":": "x", "c": "c", "*": "c"},
                                         blank="x", what="a number of admissions",
                                         headers={c: sheet.header_text(h.row, c)}, nonnegative=True, whole=True)
            parts.append(pd.DataFrame({"metric_id": metric, "area_code": "E92000001", "period": periods,
                                       "count": vals[:, 0], "status": status[:, 0],
                                       "_row": np.asarray(body.index, dtype=int)}))
        return _finish(pd.concat(parts, ignore_index=True), sheet, "England", path)
    h = find_header(sheet, (YEAR, _LOCATION), last_row=20, what="admissions by location table")
    body = _body(sheet, h.row)
    periods = _years(sheet, body, h.col(YEAR.name))
    cols = [c for c in h.columns[_LOCATION.name] if c != h.col(YEAR.name)]
    heads = {c: sheet.header_text(h.row, c) for c in cols}
    vals, status = parse_numbers(sheet, body[cols], markers={":": "x", "c": "c", "*": "c"}, blank="x",
                                 what="a number of admissions", headers=heads, nonnegative=True, whole=True)
    check_headed(sheet, h.row, body.index, [h.col(YEAR.name), *cols], first=0, what="location")
    rows = np.asarray(body.index, dtype=int)
    codes = {}
    for c in cols:
        for p in sorted(set(periods)):
            codes[(c, p)] = _location_code(sheet, h.row, c, heads[c], p)
    parts = []
    for j, c in enumerate(cols):
        parts.append(pd.DataFrame({"metric_id": MEASURES[stem], "area_code": [codes[(c, p)] for p in periods],
                                   "period": periods, "count": vals[:, j], "status": status[:, j], "_row": rows}))
    df = pd.concat(parts, ignore_index=True)
    return _finish(df, sheet, f"{stem}.csv", path)


SPECS = [
    SourceSpec("observations", SOURCE, "raw/hospital_admissions/*/*.csv", read,
               description="NHS Digital hospital admissions related to drugs (compiled on merged locations)"),
]
