"""OHID NDTMS treatment data: ViewIt exports and the alcohol-dependence estimates.

Three CSV layouts, told apart by their headers (columns found by name, case and spacing
ignored; the header may stand below title lines), into the store's ``observations`` table:

**ViewIt England export** (``ViewIt Export Data_England.csv``; NDTMS ViewIt "numbers in
treatment", © OHID, Open Government Licence v3.0)::

    ReportingPeriod_Data, Area_Data, DrugGroup_Data, Gender_Data, AgeGroup_Data,
    Num_InTreatment_AllInTx, Eth_White_AllInTx, ...

**ViewIt local authority export** (``ViewIt Export Data_LAs.csv``, "all indicators for all
local authorities", 244 columns)::

    ReportingPeriod, Area, sex, age_group, drug_group, intreatment_allintx,
    newpresentation_newtx, ..., exits_successfulcompletion_allintx, ...

Adults (18+) in contact with structured treatment in the financial year (``period``
``"2021/22"``), by drug group, sex and age group:

* ``metric_id``: ``adults_in_treatment`` (numbers in treatment, ``Num_InTreatment_AllInTx`` /
  ``intreatment_allintx``), ``adults_new_presentations`` (``newpresentation_newtx``, LA
  export) and ``adults_successful_completions`` (``exits_successfulcompletion_allintx``,
  exits that were successful completions, LA export); for the drug group ``Total`` as is, for
  the others with the group as a suffix (:data:`DRUG_GROUPS`): ``_opiate``,
  ``_non_opiate_only``, ``_alcohol_only``, ``_non_opiate_and_alcohol``. The four groups add up
  to the total; the ethnicity and the other ~235 LA columns are not loaded.
* ``sex``: ``Total``/``M``/``F`` -> ``persons``/``males``/``females``; ``age``: ``Total`` ->
  ``"18+"``, otherwise as published (``18-29``, ``30-49``, ``50+``). Labels are matched
  without regard to case: the 2021/22 rows are upper case (``TOTAL``, ``OPIATES``).
* ``area_code``: the England export's ``England`` is ``E92000001``; the LA export names the
  area only, so the name is looked up among the areas of :mod:`cdp_analysis.areas` (upper
  tier first; ``Barnet`` -> ``E09000003``); an unknown name is an error naming the row.
* The LA figures are **rounded to the nearest 5** by NDTMS (national ones are not); the
  literal string ``NULL`` is a figure not available: ``value`` missing, ``status`` ``x``.
* ``source`` ``'ohid_ndtms_viewit'``; ``edition`` ``'ViewIt <England|local authorities>
  <first>-<last>'``.

**Alcohol-dependent adults** (``Estimates_of_Alcohol_Dependent_Adults_in_England_for_R.csv``,
PHE / University of Sheffield estimates)::

    PHE_Centre, Local_Authority, Area_Code_GSS, Alcohol_dependent, Alcohol_lower_CI,
    Alcohol_upper_CI, Year

``metric_id`` ``alcohol_dependent_adults``: estimated adults (18+) dependent on alcohol,
``value`` = ``count`` the estimate with its 95% limits (``NA`` where not published, for
2010-2014). ``period`` as the data says: ``2017/18`` financial years, ``2010`` ... ``2014``
calendar years. **Pre-2019 geography**: the area codes are kept as published (Bournemouth
E06000028, Poole E06000029, Dorset county E10000009); combine them with
:func:`cdp_analysis.areas.aggregate_predecessors`. The 2010-2014 rows give Cornwall and the
Isles of Scilly together under the publisher's pseudo-code ``E0999`` (kept as published; from
2015/16 the combined figure stands under Cornwall's ``E06000052``). ``source``
``'phe_alcohol_dependence_estimates'``, ``edition`` ``'<first>-<last>'``.

Examples
--------
>>> drug_group_suffix("OPIATES"), drug_group_suffix("Non-opiate & alcohol"), drug_group_suffix("Total")
('_opiate', '_non_opiate_and_alcohol', '')
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

import numpy as np
import pandas as pd

from cdp_analysis.data.schema import OBSERVATION_COLUMNS, add_period_bounds, check_observations
from cdp_analysis.data.sources._excel import (
    HeaderMatch,
    Label,
    Sheet,
    area_codes,
    csv_sheet,
    find_header,
    normalise_label,
    parse_numbers,
)
from cdp_analysis.data.store import SourceSpec
from cdp_analysis.errors import CdpInputError
from cdp_analysis.periods import Period

__all__ = ["DRUG_GROUPS", "SOURCE_ALCOHOL", "SOURCE_VIEWIT", "SPECS", "drug_group_suffix", "read", "read_alcohol",
           "read_viewit"]

SOURCE_VIEWIT = "ohid_ndtms_viewit"
SOURCE_ALCOHOL = "phe_alcohol_dependence_estimates"
#: metric_id suffix per drug group (lower case, '&' read as 'and', plural 's' dropped).
DRUG_GROUPS = {
    "total": "",
    "opiate": "_opiate",
    "non-opiate only": "_non_opiate_only",
    "alcohol only": "_alcohol_only",
    "alcohol and non-opiate": "_non_opiate_and_alcohol",
    "non-opiate and alcohol": "_non_opiate_and_alcohol",
}
_SEX = {"total": "persons", "persons": "persons", "all": "persons", "m": "males", "male": "males",
        "males": "males", "f": "females", "female": "females", "females": "females"}
_MISSING = {"null": "x", "na": "x", "": "x", "*": "c", "c": "c", "x": "x", ":": "x", "-": "x"}

PERIOD = Label("ReportingPeriod", r"reportingperiod(?:_data)?|reporting period")
AREA = Label("Area", r"area(?:_data)?")
DRUG = Label("drug_group", r"druggroup(?:_data)?|drug[_ ]group")
SEX = Label("sex", r"sex|gender(?:_data)?")
AGE = Label("age_group", r"agegroup(?:_data)?|age[_ ]group")
#: value columns read from the ViewIt exports -> metric_id (before the drug-group suffix).
VALUE_COLUMNS = {
    "adults_in_treatment": Label("Num_InTreatment_AllInTx / intreatment_allintx",
                                 r"(?:num_)?intreatment_allintx"),
    "adults_new_presentations": Label("newpresentation_newtx", r"newpresentation_newtx"),
    "adults_successful_completions": Label("exits_successfulcompletion_allintx",
                                           r"exits_successfulcompletion_allintx"),
}
VIEWIT_HEADERS = (PERIOD, AREA, DRUG, SEX, AGE, VALUE_COLUMNS["adults_in_treatment"])
# the other ViewIt measure columns (ethnicity, exits, referral source ...): known, not loaded
_OTHER_VIEWIT = Label("other ViewIt measures", r"[a-z0-9_]+_(?:allintx|newtx)", many=True)

LA_NAME = Label("Local_Authority", r"local[_ ]authority|area name")
LA_CODE = Label("Area_Code_GSS", r"area[_ ]code(?:[_ ]gss)?|gss code")
ALC = Label("Alcohol_dependent", r"alcohol[_ ]dependent")
ALC_LOW = Label("Alcohol_lower_CI", r"alcohol[_ ]lower[_ ]ci")
ALC_UP = Label("Alcohol_upper_CI", r"alcohol[_ ]upper[_ ]ci")
YEAR = Label("Year", r"year|period")
ALCOHOL_HEADERS = (LA_CODE, ALC, ALC_LOW, ALC_UP, YEAR)


def _key(text: object) -> str:
    t = " ".join(str(text).split()).lower().replace("&", "and")
    return re.sub(r"\bopiates\b", "opiate", t)


def drug_group_suffix(label: str) -> str:
    """The metric-id suffix of a ViewIt drug group label (any case)."""
    return DRUG_GROUPS[_key(label)]


@lru_cache(maxsize=1)
def _area_names() -> dict[str, list[str]]:
    from cdp_analysis import areas

    df = areas.areas()
    df = df[~df["type"].isin(["csp", "police_force", "combined_authority", "greater_london_authority"])]
    df = df.assign(order=~df["is_upper_tier_england"])
    out: dict[str, list[str]] = {}
    for code, name in df.sort_values(["order", "code"])[["code", "name"]].itertuples(index=False):
        out.setdefault(_key(name), []).append(code)
    out.setdefault("england", ["E92000001"])
    return out


def _period_col(sheet: Sheet, h: HeaderMatch, label: Label, body: pd.DataFrame) -> pd.Series:
    col = h.col(label.name)
    text = body[col].map(lambda v: " ".join(str(v).split()).removesuffix(".0"))
    labels = {}
    for t in text.unique():
        try:
            labels[t] = str(Period.parse(t))
        except ValueError:
            r = int(text.index[text == t][0])
            raise sheet.error("not a reporting period", row=r, column=col, value=t,
                              expected="a financial year like 2021/22 or a year like 2014") from None
    return text.map(labels)


def _finish(df: pd.DataFrame, source: str, edition: str, path: str) -> pd.DataFrame:
    add_period_bounds(df)
    df["source"] = source
    df["edition"] = edition
    for col in ("count", "denominator", "value", "lower_95", "upper_95"):
        df[col] = df[col].astype(float)
    return check_observations(df[list(OBSERVATION_COLUMNS)].reset_index(drop=True), file=path)


def _body(sheet: Sheet, h: HeaderMatch) -> pd.DataFrame:
    body = sheet.values.loc[h.row + 1:]
    body = body[~body.map(lambda v: str(v).strip() == "").all(axis=1)]
    if body.empty:
        raise sheet.error("no data rows below the header", row=h.row + 1, expected="one row per figure")
    return body


def read_viewit(path: str | os.PathLike[str], sheet: Sheet | None = None) -> pd.DataFrame:
    """Read a ViewIt export (England or local authorities) into observations.

    Raises
    ------
    CdpInputError
        A column missing (naming those expected); an unknown drug group, sex or area name;
        text other than ``NULL`` where a number should be; a figure given twice.
    """
    path = str(path)
    sheet = sheet if sheet is not None else csv_sheet(path)
    optional = [*(lab for m, lab in VALUE_COLUMNS.items() if m != "adults_in_treatment"), _OTHER_VIEWIT]
    h = find_header(sheet, VIEWIT_HEADERS, last_row=20, what="NDTMS ViewIt export", optional=optional)
    body = _body(sheet, h)
    rows = np.asarray(body.index, dtype=int)

    def coded(label: Label, table: dict[str, str], expected: str) -> np.ndarray:
        col = h.col(label.name)
        out = body[col].map(lambda v: table.get(_key(v)))
        if out.isna().any():
            r = int(out.index[out.isna().to_numpy()][0])
            raise sheet.error(f"unknown {label.name}", row=r, column=col, value=body.at[r, col], expected=expected)
        return out.to_numpy(dtype=object)

    groups = coded(DRUG, DRUG_GROUPS, "Total, Opiate(s), Non-opiate(s) only, Alcohol only, Alcohol & non-opiates")
    sexes = coded(SEX, _SEX, "Total, M or F")
    age_col = h.col(AGE.name)
    ages = body[age_col].map(lambda v: "18+" if _key(v) in ("total", "all", "18+") else " ".join(str(v).split()))
    names = _area_names()
    area_col = h.col(AREA.name)
    codes = []
    for r, v in body[area_col].items():
        hit = names.get(_key(v))
        if not hit:
            raise sheet.error("unknown area name", row=int(r), column=area_col, value=v,
                              expected="the name of England or of a local authority in the areas reference")
        codes.append(hit[0])
    periods = _period_col(sheet, h, PERIOD, body).to_numpy(dtype=object)
    parts = []
    for metric, label in VALUE_COLUMNS.items():
        if label.name not in h.columns:
            continue
        c = h.col(label.name)
        vals, status = parse_numbers(sheet, body[[c]], markers=_MISSING, blank="x", what="a count of adults",
                                     headers={c: sheet.header_text(h.row, c)}, nonnegative=True, whole=True)
        parts.append(pd.DataFrame({
            "metric_id": [metric + g for g in groups], "area_code": codes, "period": periods, "sex": sexes,
            "age": ages.to_numpy(dtype=object), "count": vals[:, 0], "value": vals[:, 0], "status": status[:, 0],
            "_row": rows,
        }))
    df = pd.concat(parts, ignore_index=True)
    key = ["metric_id", "area_code", "period", "sex", "age"]
    dup = df.duplicated(key, keep=False)
    if dup.any():
        first = df[dup].iloc[0]
        same = df[dup & (df[key] == first[key]).all(axis=1)]["_row"].tolist()
        raise sheet.error(f"{first['metric_id']} {first['period']} {first['sex']} {first['age']} is given twice",
                          row=same, expected="one row per period, area, drug group, sex and age group")
    df["denominator"] = np.nan
    df["lower_95"] = np.nan
    df["upper_95"] = np.nan
    kind = "England" if set(codes) == {"E92000001"} else "local authorities"
    order = sorted(set(periods), key=lambda p: Period.parse(p).start)
    return _finish(df, SOURCE_VIEWIT, f"ViewIt {kind} {order[0]}-{order[-1]}", path)


def read_alcohol(path: str | os.PathLike[str], sheet: Sheet | None = None) -> pd.DataFrame:
    """Read the estimates of alcohol-dependent adults by upper-tier local authority.

    Raises
    ------
    CdpInputError
        A column missing; a bad area code or year; text other than ``NA`` where a number
        should be; an area given twice in a year.
    """
    path = str(path)
    sheet = sheet if sheet is not None else csv_sheet(path)
    h = find_header(sheet, ALCOHOL_HEADERS, last_row=20, what="alcohol dependence estimates",
                    optional=(LA_NAME, Label("PHE_Centre", r"phe[_ ]centre|region")))
    body = _body(sheet, h)
    code_col = h.col(LA_CODE.name)
    codes = area_codes(sheet, body, code_col, r"[EWSNK]\d{4,8}", "E06000028")
    cols = [h.col(lab.name) for lab in (ALC, ALC_LOW, ALC_UP)]
    heads = {c: sheet.header_text(h.row, c) for c in cols}
    vals, status = parse_numbers(sheet, body[cols], markers={"na": "x", "null": "x"}, blank="x",
                                 what="an estimated number of adults", headers=heads, nonnegative=True)
    periods = _period_col(sheet, h, YEAR, body)
    df = pd.DataFrame({
        "metric_id": "alcohol_dependent_adults", "area_code": codes.to_numpy(dtype=object),
        "period": periods.to_numpy(dtype=object), "sex": "persons", "age": "18+", "count": vals[:, 0],
        "value": vals[:, 0], "lower_95": vals[:, 1], "upper_95": vals[:, 2], "status": status[:, 0],
        "denominator": np.nan,
    })
    dup = df.duplicated(["area_code", "period"], keep=False)
    if dup.any():
        rows = [int(r) for r in body.index[dup.to_numpy()]]
        raise sheet.error(f"area {df.loc[dup, 'area_code'].iloc[0]} is given twice in a year", row=rows[:2],
                          column=code_col, expected="one row per area and year")
    order = sorted(set(df["period"]), key=lambda p: Period.parse(p).start)
    return _finish(df, SOURCE_ALCOHOL, f"{order[0]}-{order[-1]}", path)


def read(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read any of the three layouts, told apart by the header.

    Raises
    ------
    CdpInputError
        When no layout's header is found in the first 20 rows (naming both sets of columns).
    """
    path = str(path)
    sheet = csv_sheet(path)
    top = sheet.values.loc[: min(20, sheet.n_rows)].map(normalise_label).to_numpy()
    for row in top:
        texts = [t for t in row if t]
        if any(DRUG.match_normalised(t) for t in texts) and any(PERIOD.match_normalised(t) for t in texts):
            return read_viewit(path, sheet)
        if any(ALC.match_normalised(t) for t in texts):
            return read_alcohol(path, sheet)
    raise CdpInputError(
        "not an NDTMS file this loader knows", file=path, row="1-20",
        expected=f"a ViewIt export with columns {[lab.name for lab in VIEWIT_HEADERS]} or the alcohol "
                 f"dependence estimates with columns {[lab.name for lab in ALCOHOL_HEADERS]}",
    )


SPECS = [
    SourceSpec("observations", SOURCE_VIEWIT, "raw/ndtms/*.csv", read,
               description="OHID NDTMS ViewIt exports and PHE alcohol dependence estimates"),
]
