"""DfE permanent exclusions and suspensions of pupils, by reason and in total, per local authority.

Department for Education, *Permanent and fixed period exclusions in England* (SFR 35/2017
and its 2018 successor), © Crown copyright, Open Government Licence v3.0. "Fixed-period
exclusions" have been called **suspensions** since 2021; the metric ids use the new word.
Three CSV layouts, told apart by their headers and read by column name (case, spacing and
footnote marks ignored, header anywhere in the first 20 records), into ``observations``:

**Reason for exclusion** (``SFR35_2017_reason_for_exclusion.csv``, the SFR's underlying
data, and ``clean_la_exclusions_data.csv``, DfE analysts' tidied copy with 2016/17)::

    year, [level, country_code, region_code, new_la_code,] la_name, school_type,
    perm_physical_pupils, ..., perm_drug_alcohol, ..., fixed_drug_alcohol, ..., fixed_other

One row per year, area and school type; 12 reasons (:data:`REASONS`) for permanent
exclusions (``perm_``) and suspensions (``fixed_``). ``metric_id``
``school_permanent_exclusions_<reason>`` / ``school_suspensions_<reason>`` (e.g.
``school_suspensions_drug_alcohol``, "drug and alcohol related"): the **number of
exclusions**, not of pupils, for the main reason recorded (one reason per exclusion up to
2019/20). Only ``school_type`` ``Total`` (all state-funded primary, secondary and special
schools) is loaded; the three school-type breakdowns are skipped.

**Headcount and totals** (``clean_la_data.csv``, the same app's table of the SFR's
national, regional and LA figures)::

    year, level, la_name, school_type, num_schools, headcount, perm_excl, perm_excl_rate,
    fixed_excl, fixed_excl_rate, one_plus_fixed, one_or_more_fixed_excl_rate

``school_pupils`` (headcount of pupils on roll, January census), and, with that headcount
as ``denominator`` and DfE's published rate (per 100 pupils, 2 decimals) as ``value``:
``school_permanent_exclusions`` (all reasons), ``school_suspensions`` (all reasons) and
``school_pupils_one_plus_suspensions`` (pupils with one or more suspensions). School type
``Total`` only.

All layouts: ``period`` the **academic year** as a month range (``200607`` ->
``2006-09..2007-08``, docs/design.md §3 has no academic-year label); ``sex`` ``persons``; ``age``
``"all ages"`` (pupils of compulsory school age and over, as DfE counts them);
``source`` ``'dfe_exclusions'``; ``edition`` ``'<layout> <first>-<last>'``. ``x`` is
suppressed by DfE (1 or 2 exclusions, or to stop disclosure): ``status`` ``c``, value
missing, never 0; ``.`` (not applicable) is ``z``.

Areas: the SFR file's GSS codes (``country_code`` for National rows, ``region_code`` for
Regional rows, ``new_la_code`` for LA rows); the two tidied files give names only, looked
up among England, its regions and upper-tier authorities that existed in that year
(:mod:`~cdp_analysis.data.sources._names`): DfE's "Dorset" of 2006-2017 is Dorset County
(E10000009). **Pre-2019 geography** throughout (Bournemouth E06000028, Poole E06000029,
Dorset County E10000009): combine them with :func:`cdp_analysis.areas.aggregate_predecessors`.

Rows named ``... (Pre LGR 2009)`` (Bedfordshire and Cheshire county councils, 2006/07 and
2007/08, abolished in April 2009; no GSS code given) and the headcount table's two 2006/07
rows named ``NULL`` (a school of no authority, headcount 0) are not loaded
(:data:`PRE_2009`). The SFR file codes Gateshead and Northumberland with their pre-2013
codes (E08000020, E06000048), kept as published; the tidied files' names give today's.

Quirks kept as published: national counts are rounded to the nearest 5 (so reasons do not
add up exactly to the national total); LA **permanent** exclusions by reason for
2006/07-2009/10 are fractional in both reason files (DfE apportioned them; e.g. Hackney
2009/10 drug and alcohol 3.23077; the headcount table's LA permanent exclusions of those years
too, e.g. 45.9412); the tidied reason file repeats the SFR's years.

Examples
--------
>>> academic_year("201617")
'2016-09..2017-08'
>>> reason_metric("fixed_drug_alcohol"), reason_metric("perm_physical_pupils")
('school_suspensions_drug_alcohol', 'school_permanent_exclusions_physical_pupils')
"""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd

from cdp_analysis.data.schema import OBSERVATION_COLUMNS, add_period_bounds, check_observations
from cdp_analysis.data.sources._excel import (
    HeaderMatch,
    Label,
    Sheet,
    csv_sheet,
    find_header,
    normalise_label,
    parse_numbers,
)
from cdp_analysis.data.sources._names import resolve_name
from cdp_analysis.data.store import SourceSpec
from cdp_analysis.errors import CdpInputError
from cdp_analysis.periods import Period

__all__ = ["REASONS", "SOURCE", "SPECS", "academic_year", "read", "read_headcount", "read_reasons",
           "reason_metric"]

SOURCE = "dfe_exclusions"
#: The reasons of the reason-for-exclusion files (column suffix -> DfE's wording).
REASONS = {
    "physical_pupils": "physical assault against a pupil",
    "physical_adult": "physical assault against an adult",
    "verbal_pupil": "verbal abuse or threatening behaviour against a pupil",
    "verbal_adult": "verbal abuse or threatening behaviour against an adult",
    "bullying": "bullying",
    "racist_abuse": "racist abuse",
    "sexual_misconduct": "sexual misconduct",
    "drug_alcohol": "drug and alcohol related",
    "damage": "damage",
    "theft": "theft",
    "persistent_disruptive": "persistent disruptive behaviour",
    "other": "other",
}
_MARKERS = {"x": "c", ":": "x", "..": "x", "z": "z", ".": "z"}

YEAR = Label("year")
NAME = Label("la_name", r"la[_ ]name")
SCHOOL = Label("school_type", r"school[_ ]type")
LEVEL = Label("level", r"level|geographic[_ ]level")
CODE_LA = Label("new_la_code", r"new[_ ]la[_ ]code")
CODE_COUNTRY = Label("country_code", r"country[_ ]code")
CODE_REGION = Label("region_code", r"region[_ ]code")
REASON_LABELS = {f"{kind}_{r}": Label(f"{kind}_{r}", rf"{kind}[_ ]{r.replace('_', '[_ ]')}")
                 for kind in ("perm", "fixed") for r in REASONS}
REASON_HEADERS = (YEAR, NAME, SCHOOL, *REASON_LABELS.values())
HEADCOUNT = Label("headcount")
TOTALS = {
    "school_permanent_exclusions": (Label("perm_excl", r"perm[_ ]excl"), Label("perm_excl_rate", r"perm[_ ]excl[_ ]rate")),
    "school_suspensions": (Label("fixed_excl", r"fixed[_ ]excl"), Label("fixed_excl_rate", r"fixed[_ ]excl[_ ]rate")),
    "school_pupils_one_plus_suspensions": (Label("one_plus_fixed", r"one[_ ]plus[_ ]fixed"),
                                           Label("one_or_more_fixed_excl_rate",
                                                 r"one[_ ]or[_ ]more[_ ]fixed[_ ]excl[_ ]rate")),
}
HEADCOUNT_HEADERS = (YEAR, LEVEL, NAME, SCHOOL, HEADCOUNT, *(lab for pair in TOTALS.values() for lab in pair))
_TOTAL_SCHOOLS = {"total", "all schools", "all"}
#: Rows not loaded: the county councils abolished on 1 April 2009 (Bedfordshire, Cheshire),
#: 2006/07-2007/08, which DfE gives no GSS code and no area of today covers; and the headcount
#: table's 2006/07 rows named ``NULL`` (one school of no authority, headcount 0).
PRE_2009 = r"\(Pre LGR 2009\)|^\s*NULL\s*$"


def academic_year(text: object) -> str:
    """Our period label of a DfE academic year code ``YYYYZZ`` (``200607``) or ``YYYY/YY``.

    Raises
    ------
    ValueError
        When ``text`` is not such a code or the second year does not follow the first.
    """
    t = str(text).strip().removesuffix(".0")
    m = re.fullmatch(r"(\d{4})/?(\d{2})", t)
    if not m or (int(m[1]) + 1) % 100 != int(m[2]):
        raise ValueError(f"not an academic year: {text!r}")
    y = int(m[1])
    return f"{y}-09..{y + 1}-08"


def reason_metric(column: str) -> str:
    """The metric id of a reason column (``fixed_drug_alcohol`` -> ``school_suspensions_drug_alcohol``)."""
    kind, reason = column.split("_", 1)
    return ("school_suspensions_" if kind == "fixed" else "school_permanent_exclusions_") + reason


def _body(sheet: Sheet, h: HeaderMatch) -> pd.DataFrame:
    body = sheet.values.loc[h.row + 1:]
    body = body[~body.map(lambda v: str(v).strip() == "").all(axis=1)]
    if body.empty:
        raise sheet.error("no data rows below the header", row=h.row + 1, expected="one row per year and area")
    return body


def _periods(sheet: Sheet, h: HeaderMatch, body: pd.DataFrame) -> pd.Series:
    col = h.col(YEAR.name)
    labels = {}
    for v in body[col].unique():
        try:
            labels[v] = academic_year(v)
        except ValueError:
            r = int(body.index[(body[col] == v).to_numpy()][0])
            raise sheet.error("not an academic year", row=r, column=col, value=v,
                              expected="a year code like 201617 (2016/17)") from None
    return body[col].map(labels)


def _total_rows(sheet: Sheet, h: HeaderMatch, body: pd.DataFrame) -> pd.DataFrame:
    """The rows of school type Total, without the authorities abolished in 2009 (see :data:`PRE_2009`)."""
    names = body[h.col(NAME.name)].astype(str)
    body = body[~names.str.contains(PRE_2009, regex=True).to_numpy()]
    col = h.col(SCHOOL.name)
    kinds = body[col].map(normalise_label)
    known = kinds.isin(_TOTAL_SCHOOLS) | kinds.str.contains(r"primary|secondary|special", regex=True)
    if not known.all():
        r = int(body.index[~known.to_numpy()][0])
        raise sheet.error("unknown school type", row=r, column=col, value=body.at[r, col],
                          expected="Total, (State-funded) primary, (State-funded) secondary or Special (school)")
    return body[kinds.isin(_TOTAL_SCHOOLS).to_numpy()]


def _area_codes(sheet: Sheet, h: HeaderMatch, body: pd.DataFrame, periods: pd.Series) -> np.ndarray:
    """GSS codes: from the code columns when the file has them, else the names."""
    name_col = h.col(NAME.name)
    if CODE_LA.name in h.columns and LEVEL.name in h.columns:
        level = body[h.col(LEVEL.name)].map(normalise_label)
        pick = {"national": CODE_COUNTRY.name, "regional": CODE_REGION.name, "region": CODE_REGION.name,
                "local authority": CODE_LA.name}
        out = []
        for r, lev in level.items():
            lab = pick.get(lev)
            if lab is None or lab not in h.columns:
                raise sheet.error("unknown level", row=int(r), column=h.col(LEVEL.name), value=body.at[r, h.col(LEVEL.name)],
                                  expected="National, Regional or Local authority (with its code column)")
            c = h.col(lab)
            code = str(body.at[r, c]).strip()
            if not re.fullmatch(r"E\d{8}", code):
                raise sheet.error("not an area code", row=int(r), column=c, value=body.at[r, c],
                                  expected=f"the GSS code of the {lev} row, like E06000028")
            out.append(code)
        return np.asarray(out, dtype=object)
    spans = {p: Period.parse(p) for p in periods.unique()}
    cache: dict[tuple[str, str], str | None] = {}
    out = []
    for r, name in body[name_col].items():
        key = (str(name), periods[r])
        if key not in cache:
            p = spans[periods[r]]
            cache[key] = resolve_name(name, p.start, p.end)
        if cache[key] is None:
            raise sheet.error("unknown area name", row=int(r), column=name_col, value=name,
                              expected="England, an English region or an upper-tier local authority of that year")
        out.append(cache[key])
    return np.asarray(out, dtype=object)


def _finish(df: pd.DataFrame, sheet: Sheet, layout: str, path: str) -> pd.DataFrame:
    key = ["metric_id", "area_code", "period"]
    dup = df.duplicated(key, keep=False)
    if dup.any():
        first = df[dup].iloc[0]
        rows = df.loc[dup & (df[key] == first[key]).all(axis=1), "_row"].tolist()
        raise sheet.error(f"{first['metric_id']} {first['area_code']} {first['period']} is given twice", row=rows,
                          expected="one row per year, area and school type")
    spans = add_period_bounds(df)
    df["source"] = SOURCE
    df["sex"] = "persons"
    df["age"] = "all ages"
    order = sorted(spans, key=lambda k: spans[k].start)
    first, last = spans[order[0]].start.year, spans[order[-1]].end.year
    df["edition"] = f"{layout} {first}/{str(first + 1)[2:]}-{last - 1}/{str(last)[2:]}"
    for col in ("count", "denominator", "value", "lower_95", "upper_95"):
        df[col] = df[col].astype(float)
    df = df.sort_values(["metric_id", "area_code", "period"], kind="stable")
    return check_observations(df[list(OBSERVATION_COLUMNS)].reset_index(drop=True), file=path)


def read_reasons(path: str | os.PathLike[str], sheet: Sheet | None = None) -> pd.DataFrame:
    """Read a reason-for-exclusion file (SFR underlying data or the tidied copy).

    Raises
    ------
    CdpInputError
        A column missing (naming those expected); a bad year, level, area code or school
        type; an unknown area name; text other than ``x`` where a count should be; a
        figure given twice.
    """
    path = str(path)
    sheet = sheet if sheet is not None else csv_sheet(path)
    h = find_header(sheet, REASON_HEADERS, last_row=20, what="DfE reason for exclusion table",
                    optional=(LEVEL, CODE_LA, CODE_COUNTRY, CODE_REGION,
                              Label("other columns", r"old[_ ]la[_ ]code|country[_ ]name|region[_ ]name", many=True)))
    body = _total_rows(sheet, h, _body(sheet, h))
    periods = _periods(sheet, h, body)
    codes = _area_codes(sheet, h, body, periods)
    cols = [h.col(name) for name in REASON_LABELS]
    heads = {c: sheet.header_text(h.row, c) for c in cols}
    vals, status = parse_numbers(sheet, body[cols], markers=_MARKERS, blank="x", what="a number of exclusions",
                                 headers=heads, nonnegative=True)
    parts = []
    for j, name in enumerate(REASON_LABELS):
        parts.append(pd.DataFrame({
            "metric_id": reason_metric(name), "area_code": codes, "period": periods.to_numpy(dtype=object),
            "count": vals[:, j], "value": vals[:, j], "status": status[:, j], "denominator": np.nan,
            "lower_95": np.nan, "upper_95": np.nan, "_row": np.asarray(body.index, dtype=int),
        }))
    layout = "reason for exclusion (SFR)" if CODE_LA.name in h.columns else "reason for exclusion (tidied)"
    return _finish(pd.concat(parts, ignore_index=True), sheet, layout, path)


def read_headcount(path: str | os.PathLike[str], sheet: Sheet | None = None) -> pd.DataFrame:
    """Read the headcount and totals table (``clean_la_data.csv``).

    Raises
    ------
    CdpInputError
        A column missing; a bad year or school type; an unknown area name; text other than
        ``x`` where a number should be; a figure given twice.
    """
    path = str(path)
    sheet = sheet if sheet is not None else csv_sheet(path)
    h = find_header(sheet, HEADCOUNT_HEADERS, last_row=20, what="DfE exclusions headcount table",
                    optional=(Label("num_schools", r"num[_ ]schools"),))
    body = _total_rows(sheet, h, _body(sheet, h))
    periods = _periods(sheet, h, body)
    codes = _area_codes(sheet, h, body, periods)
    hc = h.col(HEADCOUNT.name)
    head, head_status = parse_numbers(sheet, body[[hc]], markers=_MARKERS, blank="x", what="a number of pupils",
                                      headers={hc: sheet.header_text(h.row, hc)}, nonnegative=True,
                                      whole=True)
    rows = np.asarray(body.index, dtype=int)
    per = periods.to_numpy(dtype=object)
    parts = [pd.DataFrame({"metric_id": "school_pupils", "area_code": codes, "period": per, "count": head[:, 0],
                           "value": head[:, 0], "denominator": np.nan, "status": head_status[:, 0], "_row": rows})]
    for metric, (count_lab, rate_lab) in TOTALS.items():
        cols = [h.col(count_lab.name), h.col(rate_lab.name)]
        vals, status = parse_numbers(sheet, body[cols], markers=_MARKERS, blank="x", what="a number",
                                     headers={c: sheet.header_text(h.row, c) for c in cols}, nonnegative=True)
        parts.append(pd.DataFrame({"metric_id": metric, "area_code": codes, "period": per, "count": vals[:, 0],
                                   "denominator": head[:, 0], "value": vals[:, 1],
                                   "status": np.where(status[:, 1] != "", status[:, 1], status[:, 0]),
                                   "_row": rows}))
    df = pd.concat(parts, ignore_index=True)
    df["lower_95"] = np.nan
    df["upper_95"] = np.nan
    return _finish(df, sheet, "headcount and totals", path)


def read(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read any of the three layouts, told apart by the header.

    Raises
    ------
    CdpInputError
        When no layout's header is found in the first 20 records (naming both sets of columns).
    """
    path = str(path)
    sheet = csv_sheet(path)
    top = sheet.values.loc[: min(20, sheet.n_rows)].map(normalise_label).to_numpy()
    for row in top:
        texts = [t for t in row if t]
        if any(HEADCOUNT.match_normalised(t) for t in texts):
            return read_headcount(path, sheet)
        if any(REASON_LABELS["fixed_drug_alcohol"].match_normalised(t) or
               REASON_LABELS["perm_drug_alcohol"].match_normalised(t) for t in texts):
            return read_reasons(path, sheet)
    raise CdpInputError(
        "not a DfE exclusions file this loader knows", file=path, row="1-20",
        expected=f"a reason-for-exclusion table with columns {[lab.name for lab in REASON_HEADERS[:4]]}... or "
                 f"a headcount table with columns {[lab.name for lab in HEADCOUNT_HEADERS]}",
    )


SPECS = [
    SourceSpec("observations", SOURCE, "raw/education/*.csv", read,
               description="DfE permanent exclusions and suspensions by reason, headcount and rates"),
]
