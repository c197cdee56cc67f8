"""OHID Fingertips CSV exports, any indicator.

Reads the CSV that Fingertips gives for "download data" or its API
(``/api/all_data/csv/by_indicator_id``, ``by_profile_id``), © OHID/DHSC, Open Government
Licence v3.0. Every ``*.csv`` dropped into ``data/raw/fingertips/`` is loaded by ``cdp ingest``.
The columns are found **by name** (case, spacing and footnote marks ignored), since Fingertips
added columns over time (``Time period range``, ``Time period Sortable``, ``New data``,
``Compared to goal``; ``Column not used`` in older exports). Required: ``Indicator ID``,
``Area Code``, ``Time period`` and ``Value``; everything else is optional.

Two tables receive the rows:

``observations`` (docs/design.md §5)
    One row per indicator, area, period, sex and age **without a category** (rows with a
    ``Category Type``, e.g. deprivation deciles, are not area figures and go only to the
    table below). ``metric_id`` ``fingertips_<Indicator ID>``; ``value``, ``lower_95``,
    ``upper_95``, ``count``, ``denominator`` as published (the unit is the indicator's: a
    percentage, a rate per 100,000, ...); ``sex`` ``persons``/``males``/``females``; ``age``
    the Fingertips age without "yrs" (``"18+"``, ``"15-64"``, ``"all ages"``). ``status``: a
    blank value is ``x``, or ``c`` when its ``Value note`` says it was suppressed.
    ``source`` ``'ohid_fingertips'``, ``edition`` the export's file name. An area listed under
    several area types with the same figures (a unitary authority is both a district and an
    upper-tier area) is written once.
``fingertips_extra`` (native table, created by the store step :func:`store_extra`)
    Every row of every export with what the observations schema has no place for:
    ``indicator_name`` (embedded newlines collapsed), ``parent_code``, ``parent_name``,
    ``area_name``, ``area_type``, ``category_type``, ``category``, ``time_period`` (as
    published), ``time_period_sortable``, ``time_period_range``, ``value_note``,
    ``recent_trend``, ``compared_to_england``, ``compared_to_parent`` (and
    ``compared_to_parent_label``, the name of that column, which depends on the parent area
    type), ``compared_to_goal``, ``new_data``, plus the key columns of ``observations``
    (``metric_id, area_code, period, sex, age, edition``), the numbers (``value``,
    ``lower_95``, ``upper_95``, ``lower_99_8``, ``upper_99_8``, ``count``, ``denominator``)
    and ``source_file``. The comparison labels are Fingertips' own (Better/Similar/Worse,
    Higher/Lower, quintiles, Not compared) and apply to the latest period only.

:func:`read` is what the store calls; :func:`read_extra` gives the extra columns of a file
without the store.

Time periods (:func:`period_label`): ``2017`` -> ``2017``; ``2022/23`` -> ``2022/23``;
``2020 - 22`` -> ``2020-2022``; ``2020/21 - 22/23`` -> ``2020/21-2022/23``; ``2022/23 Q1``
-> ``2022/23 Q1``; ``Jan 2023`` / ``January 2023`` -> ``2023-01``. Anything else raises
:class:`~cdp_analysis.errors.CdpInputError` naming the file, row and column.

Area codes are as published, including Fingertips' own pseudo-codes that are not GSS codes
(ICB sub-locations ``nE38000006``, GP practices, PCNs). Old series use pre-2019 codes (Bournemouth E06000028, Dorset
county E10000009, districts); :func:`cdp_analysis.areas.aggregate_predecessors` maps them.

Examples
--------
>>> period_label("2020 - 22"), period_label("2020/21 - 22/23"), period_label("2022/23")
('2020-2022', '2020/21-2022/23', '2022/23')
>>> period_label("2017"), period_label("Mar 2023"), period_label("2023/24 Q2")
('2017', '2023-03', '2023/24 Q2')
>>> age_value("18+ yrs"), age_value("All ages"), age_value("15-64 yrs")
('18+', 'all ages', '15-64')
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis.data.schema import OBSERVATION_COLUMNS, add_period_bounds, check_observations
from cdp_analysis.data.sources._excel import (
    Label,
    Sheet,
    csv_sheet,
    find_header,
    parse_numbers,
)
from cdp_analysis.data.store import SourceSpec, sha256_file
from cdp_analysis.periods import Period

__all__ = ["EXTRA_COLUMNS", "SOURCE", "SPECS", "age_value", "period_label", "read", "read_extra", "store_extra"]

#: ``source`` of every row.
SOURCE = "ohid_fingertips"
#: Name of the native table holding the columns observations cannot.
EXTRA_TABLE = "fingertips_extra"

# label name -> (output column, pattern)
_COLUMNS: dict[str, tuple[str, str]] = {
    "Indicator ID": ("indicator_id", r"indicator id"),
    "Indicator Name": ("indicator_name", r"indicator name"),
    "Parent Code": ("parent_code", r"parent code"),
    "Parent Name": ("parent_name", r"parent name"),
    "Area Code": ("area_code", r"area code"),
    "Area Name": ("area_name", r"area name"),
    "Area Type": ("area_type", r"area type"),
    "Sex": ("sex", r"sex"),
    "Age": ("age", r"age"),
    "Category Type": ("category_type", r"category type"),
    "Category": ("category", r"category"),
    "Time period": ("time_period", r"time period"),
    "Value": ("value", r"value"),
    "Lower CI 95.0 limit": ("lower_95", r"lower ci 95(?:\.0)? limit"),
    "Upper CI 95.0 limit": ("upper_95", r"upper ci 95(?:\.0)? limit"),
    "Lower CI 99.8 limit": ("lower_99_8", r"lower ci 99\.8 limit"),
    "Upper CI 99.8 limit": ("upper_99_8", r"upper ci 99\.8 limit"),
    "Count": ("count", r"count"),
    "Denominator": ("denominator", r"denominator"),
    "Value note": ("value_note", r"value note"),
    "Recent Trend": ("recent_trend", r"recent trend"),
    "Compared to England value or percentiles": ("compared_to_england",
                                                 r"compared to england(?: value or percentiles)?"),
    "Time period Sortable": ("time_period_sortable", r"time period sortable"),
    "New data": ("new_data", r"new data"),
    "Compared to goal": ("compared_to_goal", r"compared to goal"),
    "Time period range": ("time_period_range", r"time period range"),
}
_LABELS = {name: Label(name, pat) for name, (_, pat) in _COLUMNS.items()}
#: Columns an export must have.
REQUIRED = ("Indicator ID", "Area Code", "Time period", "Value")
# the parent comparison column: "Compared to Region value or percentiles", "Compared to percentiles", ...
_PARENT_CMP = Label("Compared to <parent> value or percentiles",
                    r"compared to (?!england\b)(?!goal\b).*(?:value or percentiles|percentiles)|column not used")
_NUMBERS = ("value", "lower_95", "upper_95", "lower_99_8", "upper_99_8", "count", "denominator")
_TEXTS = ("indicator_name", "parent_code", "parent_name", "area_name", "area_type", "category_type", "category",
          "time_period", "time_period_sortable", "time_period_range", "value_note", "recent_trend",
          "compared_to_england", "compared_to_parent", "compared_to_parent_label", "compared_to_goal", "new_data")
#: Columns of ``fingertips_extra``.
EXTRA_COLUMNS: dict[str, str] = {
    "source_file": "VARCHAR", "edition": "VARCHAR", "metric_id": "VARCHAR", "indicator_id": "VARCHAR",
    "area_code": "VARCHAR", "period": "VARCHAR", "sex": "VARCHAR", "age": "VARCHAR",
    **{c: "DOUBLE" for c in _NUMBERS}, "status": "VARCHAR", **{c: "VARCHAR" for c in _TEXTS},
}

_SEX = {"persons": "persons", "person": "persons", "all": "persons", "male": "males", "males": "males",
        "female": "females", "females": "females"}
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                        "dec"], start=1)}
_MISSING = {"*": "c", "c": "c", "x": "x", ":": "x", "-": "x", "..": "x", "null": "x", "na": "x"}


def period_label(text: str) -> str:
    """Our period label (docs/design.md §3) for a Fingertips ``Time period``.

    Raises
    ------
    ValueError
        When the label is not one of the forms in the module docstring.
    """
    t = " ".join(str(text).replace("\u2013", "-").split())
    if re.fullmatch(r"\d{4}", t) or re.fullmatch(r"\d{4}/\d{2}", t) or re.fullmatch(r"\d{4}/\d{2} Q[1-4]", t):
        return str(Period.parse(t))
    if m := re.fullmatch(r"(\d{4}) ?- ?(\d{2}|\d{4})", t):
        end = int(m[2]) if len(m[2]) == 4 else int(m[1][:2] + m[2])
        if end < int(m[1]):
            end += 100
        return str(Period.parse(f"{m[1]}-{end}"))
    if m := re.fullmatch(r"(\d{4})/(\d{2}) ?- ?(\d{2,4})/(\d{2})", t):
        end = int(m[3]) if len(m[3]) == 4 else int(m[1][:2] + m[3])
        if end < int(m[1]):
            end += 100
        return str(Period.parse(f"{m[1]}/{m[2]}-{end}/{m[4]}"))
    if m := re.fullmatch(r"([A-Za-z]{3})[a-z]* (\d{4})", t):
        month = _MONTHS.get(m[1].lower())
        if month:
            return f"{m[2]}-{month:02d}"
    raise ValueError(f"not a Fingertips time period: {text!r}")


def age_value(text: str) -> str:
    """The ``age`` of a Fingertips age label (``"18+ yrs"`` -> ``"18+"``)."""
    t = " ".join(str(text).split())
    if not t or t.lower() in ("all ages", "all"):
        return "all ages"
    return re.sub(r"\s*(?:yrs|years|yr)$", "", t, flags=re.I)


def _parse(path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    sheet: Sheet = csv_sheet(path)
    required = [_LABELS[n] for n in REQUIRED]
    optional = [lab for n, lab in _LABELS.items() if n not in REQUIRED] + [_PARENT_CMP]
    h = find_header(sheet, required, last_row=20, what="Fingertips export", optional=optional)
    body = sheet.values.loc[h.row + 1:]
    body = body[~body.map(lambda v: str(v).strip() == "").all(axis=1)]
    if body.empty:
        raise sheet.error("no data rows below the header", row=h.row + 1, expected="one row per area and period")
    rows = np.asarray(body.index, dtype=int)
    out: dict[str, Any] = {}

    def text(name: str) -> pd.Series:
        if name not in h.columns:
            return pd.Series("", index=body.index, dtype=object)
        return body[h.col(name)].map(lambda v: " ".join(str(v).split()))

    for name, (col, _) in _COLUMNS.items():
        if col not in _NUMBERS:
            out[col] = text(name).to_numpy(dtype=object)
    parent_cols = [c for c in h.columns.get(_PARENT_CMP.name, [])]
    if parent_cols:
        c = parent_cols[0]
        out["compared_to_parent"] = body[c].map(lambda v: " ".join(str(v).split())).to_numpy(dtype=object)
        out["compared_to_parent_label"] = sheet.header_text(h.row, c)
    else:
        out["compared_to_parent"] = ""
        out["compared_to_parent_label"] = ""
    status = None
    for name, (col, _) in _COLUMNS.items():
        if col not in _NUMBERS:
            continue
        if name not in h.columns:
            out[col] = np.nan
            continue
        c = h.col(name)
        vals, st = parse_numbers(sheet, body[[c]], markers=_MISSING, blank="x", what="a number",
                                 headers={c: sheet.header_text(h.row, c)})
        out[col] = vals[:, 0]
        if col == "value":
            status = st[:, 0]
    df = pd.DataFrame(out)
    # indicator ids, areas, periods, sex, age
    ids = df["indicator_id"].str.replace(r"\.0$", "", regex=True)
    bad = ~ids.str.fullmatch(r"\d+")
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise sheet.error("not an indicator id", row=int(rows[i]), column=h.col("Indicator ID"),
                          value=df["indicator_id"].iat[i], expected="a whole number like 93495")
    df["indicator_id"] = ids
    df["metric_id"] = "fingertips_" + ids
    bad = ~df["area_code"].str.fullmatch(r"[A-Za-z0-9]+")
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise sheet.error("not an area code", row=int(rows[i]), column=h.col("Area Code"),
                          value=df["area_code"].iat[i], expected="an area code like E06000058 (no spaces)")
    labels = {}
    for t in df["time_period"].unique():
        try:
            labels[t] = period_label(t)
        except ValueError:
            i = int(np.argmax((df["time_period"] == t).to_numpy()))
            raise sheet.error("not a Fingertips time period", row=int(rows[i]), column=h.col("Time period"),
                              value=t, expected="e.g. '2022', '2022/23', '2020 - 22', '2020/21 - 22/23', "
                                                "'2022/23 Q1', 'Jan 2023'") from None
    df["period"] = df["time_period"].map(labels)
    sex = df["sex"].str.lower().map(_SEX) if "Sex" in h.columns else pd.Series("persons", index=df.index)
    if sex.isna().any():
        i = int(np.argmax(sex.isna().to_numpy()))
        raise sheet.error("unknown sex", row=int(rows[i]), column=h.col("Sex"), value=df["sex"].iat[i],
                          expected="'Persons', 'Male' or 'Female'")
    df["sex"] = sex.to_numpy()
    df["age"] = df["age"].map(age_value)
    suppressed = df["value_note"].str.contains(r"suppress|disclosure", case=False)
    assert status is not None
    df["status"] = np.where((status != "") & suppressed.to_numpy(), "c", status)
    df["edition"] = Path(path).name
    df["_row"] = rows
    return df, sheet


def _observations(df: pd.DataFrame, sheet: Sheet, path: str) -> pd.DataFrame:
    obs = df[df["category_type"].eq("") & df["category"].eq("")].copy()
    key = ["metric_id", "area_code", "period", "sex", "age"]
    nums = ["value", "lower_95", "upper_95", "count", "denominator"]
    dup = obs.duplicated(key, keep=False)
    if dup.any():
        d = obs[dup]
        same = d.groupby(key)[nums].transform(lambda s: s.nunique(dropna=False) == 1).all(axis=1)
        if not same.all():
            first = d[~same.to_numpy()].iloc[0]
            rows = d[(d[key] == first[key]).all(axis=1)]["_row"].tolist()
            raise sheet.error(f"{first['metric_id']} {first['area_code']} {first['period']} is given twice with "
                              "different figures", row=rows, expected="one figure per indicator, area, period, sex, age")
        obs = obs.drop_duplicates(key, keep="first")
    add_period_bounds(obs)
    obs["source"] = SOURCE
    for col in ("count", "denominator", "value", "lower_95", "upper_95"):
        obs[col] = obs[col].astype(float)
    return check_observations(obs[list(OBSERVATION_COLUMNS)].reset_index(drop=True), file=path)


def read_extra(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Every row of an export with the columns of ``fingertips_extra`` (without ``source_file``).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "x.csv"
    ...     _ = p.write_text("Indicator ID,Area Code,Time period,Value,Recent Trend\\n"
    ...                      "90244,E06000058,2021/22,5.1,No significant change\\n")
    ...     read_extra(p)[["metric_id", "period", "value", "recent_trend"]].to_dict("records")
    [{'metric_id': 'fingertips_90244', 'period': '2021/22', 'value': 5.1, 'recent_trend': 'No significant change'}]
    """
    df, _ = _parse(str(path))
    cols = [c for c in EXTRA_COLUMNS if c != "source_file"]
    return df[cols].reset_index(drop=True)


# extra columns of the files read in this process, by SHA-256, for store_extra
_STASH: OrderedDict[str, pd.DataFrame] = OrderedDict()


def read(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a Fingertips CSV export into observations (see the module docstring).

    The extra columns are kept aside (by the file's SHA-256) for :func:`store_extra`.

    Raises
    ------
    CdpInputError
        A required column missing (naming the columns expected); an indicator id, area
        code, time period or sex that cannot be read; text where a number should be; the
        same figure given twice with different values.
    """
    path = str(path)
    df, sheet = _parse(path)
    obs = _observations(df, sheet, path)
    _STASH[sha256_file(path)] = df[[c for c in EXTRA_COLUMNS if c != "source_file"]].reset_index(drop=True)
    while len(_STASH) > 64:
        _STASH.popitem(last=False)
    return obs


def store_extra(con: Any) -> None:
    """Store step (the spec's ``after``): bring ``fingertips_extra`` in line with ``ingest_log``.

    Rows of files no longer logged are deleted; files read in this ingest (their SHA-256 in
    the log) have their rows replaced.
    """
    cols = ", ".join(f'"{c}" {t}' for c, t in EXTRA_COLUMNS.items())
    con.execute(f'CREATE TABLE IF NOT EXISTS "{EXTRA_TABLE}" ({cols})')
    log = con.execute("SELECT file, sha256 FROM ingest_log WHERE source = ?", [SOURCE]).fetchall()
    live = dict(log)
    if live:
        marks = ", ".join("?" * len(live))
        con.execute(f'DELETE FROM "{EXTRA_TABLE}" WHERE source_file NOT IN ({marks})', list(live))
    else:
        con.execute(f'DELETE FROM "{EXTRA_TABLE}"')
    for file, sha in live.items():
        extra = _STASH.get(sha)
        if extra is None:
            continue
        frame = extra.copy()
        frame.insert(0, "source_file", file)
        con.execute(f'DELETE FROM "{EXTRA_TABLE}" WHERE source_file = ?', [file])
        con.register("_fingertips_extra", frame)
        names = ", ".join(f'"{c}"' for c in EXTRA_COLUMNS)
        con.execute(f'INSERT INTO "{EXTRA_TABLE}" ({names}) SELECT {names} FROM _fingertips_extra')
        con.unregister("_fingertips_extra")


SPECS = [
    SourceSpec("observations", SOURCE, "raw/fingertips/*.csv", read, after=store_extra,
               description="OHID Fingertips CSV exports (any indicator)"),
]
