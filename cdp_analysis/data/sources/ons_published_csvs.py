"""ONS drug-poisoning figures saved as CSV by others: an England series and a region x substance table.

Two small CSV layouts (ONS, Open Government Licence v3.0), each told apart by its header and
read by column names (case, spacing, footnote marks ignored; header anywhere in the first 20
records) into the store's ``observations`` table:

``published_ons_figures_england_1993_2023.csv``
    ``sex, year, all_drug_poisoning, drug_misuse``: deaths related to drug poisoning and from
    drug misuse registered in England (``E92000001``) each year 1993-2023, compiled from the
    ONS bulletins by an OHID analyst. ``metric_id`` ``drug_poisoning_deaths`` /
    ``drug_misuse_deaths``; ``source`` ``'ons_drug_deaths_compiled'``, ``edition``
    ``'compiled <first>-<last>'``. The only 2023-registration figures we have (5,053 / 3,353)
    come from here; 2021 and 2022 agree with the ONS workbooks
    (:mod:`cdp_analysis.data.sources.ons_deaths_national`), which remain the primary source.
``drug_poisoning_registrations_region_substance_1993_2020.csv``
    ``Year of death registration, Usual residence code, Usual residence name, Substance,
    Deaths``: ONS *Deaths related to drug poisoning by selected substances* (2020
    registrations), England and Wales ``K04000001``, England, Wales, the English regions and
    non-residents (``J99000001``, as published). The substance label (quoted, with commas)
    loses its sort number: ``01 All drug poisonings`` is ``drug_poisoning_deaths``, any other
    ``drug_poisoning_deaths_<substance>`` with the slug of
    :func:`~cdp_analysis.data.sources.ons_deaths_national.substance_slug`
    (``02 Any opiate (includes ...)`` -> ``drug_poisoning_deaths_any_opiate``, the same ids as
    the national Table 4). ``source`` ``'ons_drug_deaths_region_substance'``, ``edition``
    ``'<last year> registrations'``.

Both: ``period`` the registration year, ``count`` = ``value`` = deaths, ``age`` ``"all ages"``.
A blank or ``:`` count is ``status`` ``x``, missing, never 0.

Examples
--------
>>> substance_metric("01 All drug poisonings")
'drug_poisoning_deaths'
>>> substance_metric("02 Any opiate (includes unspecified opiates, excludes paracetamol compounds)")
'drug_poisoning_deaths_any_opiate'
"""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd

from cdp_analysis.data.schema import OBSERVATION_COLUMNS, add_period_bounds, check_observations
from cdp_analysis.data.sources._excel import (
    Label,
    Sheet,
    area_codes,
    csv_sheet,
    find_header,
    normalise_label,
    parse_numbers,
)
from cdp_analysis.data.sources.ons_deaths_national import substance_slug
from cdp_analysis.data.store import SourceSpec
from cdp_analysis.errors import CdpInputError

__all__ = ["SOURCE_ENGLAND", "SOURCE_REGION", "SPECS", "read", "read_england", "read_region_substance",
           "substance_metric"]

SOURCE_ENGLAND = "ons_drug_deaths_compiled"
SOURCE_REGION = "ons_drug_deaths_region_substance"
_SEX = {"persons": "persons", "all": "persons", "males": "males", "male": "males", "females": "females",
        "female": "females"}
_MISSING = {":": "x", "..": "x", "x": "x", "[x]": "x", "na": "x", "-": "x", "c": "c", "[c]": "c"}

SEX = Label("sex")
YEAR = Label("year", r"year|year of (?:death )?registration|registration year")
POISONING = Label("all_drug_poisoning", r"all[_ ]drug[_ ]poisonings?|drug[_ ]poisoning")
MISUSE = Label("drug_misuse", r"drug[_ ]misuse")
ENGLAND_HEADERS = (SEX, YEAR, POISONING, MISUSE)

CODE = Label("Usual residence code", r"usual residence code|area code|code")
NAME = Label("Usual residence name", r"usual residence name|area name|name")
SUBSTANCE = Label("Substance", r"substances?")
DEATHS = Label("Deaths", r"deaths|number of deaths")
REGION_HEADERS = (YEAR, CODE, SUBSTANCE, DEATHS)


def substance_metric(label: str) -> str:
    """The metric id of a substance label (its leading sort number dropped)."""
    text = re.sub(r"^\s*\d+\s+", "", " ".join(str(label).split()))
    if re.fullmatch(r"all drug poisonings?", text, re.I):
        return "drug_poisoning_deaths"
    if re.fullmatch(r"(?:all )?drug misuse", text, re.I):
        return "drug_misuse_deaths"
    return "drug_poisoning_deaths_" + substance_slug(text)


def _years(sheet: Sheet, body: pd.DataFrame, col: int) -> np.ndarray:
    text = body[col].map(lambda v: str(v).strip().removesuffix(".0"))
    ok = text.str.fullmatch(r"(?:19|20)\d{2}")
    if not ok.all():
        r = int(text.index[~ok.to_numpy()][0])
        raise sheet.error("not a registration year", row=r, column=col, value=body.at[r, col],
                          expected="a year like 2022")
    return text.to_numpy(dtype=object)


def _body(sheet: Sheet, row: int) -> pd.DataFrame:
    body = sheet.values.loc[row + 1:]
    body = body[~body.map(lambda v: str(v).strip() == "").all(axis=1)]
    if body.empty:
        raise sheet.error("no data rows below the header", row=row + 1, expected="one row per year")
    return body


def _finish(df: pd.DataFrame, source: str, edition: str, sheet: Sheet, path: str) -> pd.DataFrame:
    key = ["metric_id", "area_code", "period", "sex"]
    dup = df.duplicated(key, keep=False)
    if dup.any():
        first = df[dup].iloc[0]
        rows = df.loc[dup & (df[key] == first[key]).all(axis=1), "_row"].tolist()
        raise sheet.error(f"{first['metric_id']} {first['area_code']} {first['period']} appears twice", row=rows,
                          expected="one row per area, year and measure")
    add_period_bounds(df)
    df["source"] = source
    df["edition"] = edition
    df["age"] = "all ages"
    df["value"] = df["count"]
    for col in ("denominator", "lower_95", "upper_95"):
        df[col] = np.nan
    for col in ("count", "denominator", "value", "lower_95", "upper_95"):
        df[col] = df[col].astype(float)
    df = df.sort_values(["metric_id", "area_code", "sex", "period"], kind="stable")
    return check_observations(df[list(OBSERVATION_COLUMNS)].reset_index(drop=True), file=path)


def read_england(path: str | os.PathLike[str], sheet: Sheet | None = None) -> pd.DataFrame:
    """Read the compiled England series (``sex, year, all_drug_poisoning, drug_misuse``).

    Raises
    ------
    CdpInputError
        A column missing; an unknown sex; a bad year; text where a count should be; a year
        given twice.
    """
    path = str(path)
    sheet = sheet if sheet is not None else csv_sheet(path)
    h = find_header(sheet, ENGLAND_HEADERS, last_row=20, what="England drug deaths series")
    body = _body(sheet, h.row)
    sex_col = h.col(SEX.name)
    sexes = body[sex_col].map(lambda v: _SEX.get(normalise_label(v)))
    if sexes.isna().any():
        r = int(sexes.index[sexes.isna().to_numpy()][0])
        raise sheet.error("unknown sex", row=r, column=sex_col, value=body.at[r, sex_col],
                          expected="'Persons', 'Males' or 'Females'")
    years = _years(sheet, body, h.col(YEAR.name))
    parts = []
    for label, metric in ((POISONING, "drug_poisoning_deaths"), (MISUSE, "drug_misuse_deaths")):
        c = h.col(label.name)
        vals, status = parse_numbers(sheet, body[[c]], markers=_MISSING, blank="x", what="a count of deaths",
                                     headers={c: sheet.header_text(h.row, c)}, nonnegative=True, whole=True)
        parts.append(pd.DataFrame({"metric_id": metric, "area_code": "E92000001", "period": years,
                                   "sex": sexes.to_numpy(dtype=object), "count": vals[:, 0], "status": status[:, 0],
                                   "_row": np.asarray(body.index, dtype=int)}))
    df = pd.concat(parts, ignore_index=True)
    ys = sorted(set(years))
    return _finish(df, SOURCE_ENGLAND, f"compiled {ys[0]}-{ys[-1]}", sheet, path)


def read_region_substance(path: str | os.PathLike[str], sheet: Sheet | None = None) -> pd.DataFrame:
    """Read the region x substance table (one row per year, area and substance).

    Raises
    ------
    CdpInputError
        A column missing; a bad year or area code; text where a count should be; a
        figure given twice.
    """
    path = str(path)
    sheet = sheet if sheet is not None else csv_sheet(path)
    h = find_header(sheet, REGION_HEADERS, last_row=20, what="deaths by region and substance", optional=(NAME,))
    body = _body(sheet, h.row)
    code_col = h.col(CODE.name)
    codes = area_codes(sheet, body, code_col, r"[EWKJ]\d{8}", "E12000009")
    sub_col = h.col(SUBSTANCE.name)
    metrics = body[sub_col].map(substance_metric)
    empty = metrics.eq("drug_poisoning_deaths_") | ~body[sub_col].astype(str).str.contains("[A-Za-z]")
    if empty.any():
        r = int(metrics.index[empty.to_numpy()][0])
        raise sheet.error("not a substance", row=r, column=sub_col, value=body.at[r, sub_col],
                          expected="a label like '01 All drug poisonings'")
    c = h.col(DEATHS.name)
    vals, status = parse_numbers(sheet, body[[c]], markers=_MISSING, blank="x", what="a count of deaths",
                                 headers={c: sheet.header_text(h.row, c)}, nonnegative=True, whole=True)
    years = _years(sheet, body, h.col(YEAR.name))
    df = pd.DataFrame({"metric_id": metrics.to_numpy(dtype=object), "area_code": codes.to_numpy(dtype=object),
                       "period": years, "sex": "persons", "count": vals[:, 0], "status": status[:, 0],
                       "_row": np.asarray(body.index, dtype=int)})
    return _finish(df, SOURCE_REGION, f"{max(years)} registrations", sheet, path)


def read(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read either layout, told apart by the header.

    Raises
    ------
    CdpInputError
        When neither layout's header is found (naming both sets of columns).
    """
    path = str(path)
    sheet = csv_sheet(path)
    top = sheet.values.loc[: min(20, sheet.n_rows)].map(normalise_label).to_numpy()
    for row in top:
        texts = [t for t in row if t]
        if any(SUBSTANCE.match_normalised(t) for t in texts):
            return read_region_substance(path, sheet)
        if any(MISUSE.match_normalised(t) for t in texts):
            return read_england(path, sheet)
    raise CdpInputError(
        "neither layout's header found", file=path, row="1-20",
        expected=f"columns {[lab.name for lab in ENGLAND_HEADERS]} or {[lab.name for lab in REGION_HEADERS]}",
    )


SPECS = [
    SourceSpec("observations", SOURCE_ENGLAND, "raw/ons_drug_deaths/published_ons_figures*.csv", read,
               description="ONS drug deaths, England 1993-2023 as compiled from the bulletins"),
    SourceSpec("observations", SOURCE_REGION, "raw/ons_drug_deaths/drug_poisoning_registrations*.csv", read,
               description="ONS drug poisoning deaths by region and selected substance"),
]
