"""Ministry of Justice proven reoffending statistics: the national long-format CSV.

Reads ``proven_reoffending_data.csv`` (MoJ *Proven reoffending statistics* quarterly
bulletin data, England and Wales, Open Government Licence v3.0), one row per figure::

    measure, temporal_unit, date, group, rate, value

into the store's ``observations`` table (docs/design.md §5), ``area_code`` ``K04000001`` (England and
Wales), ``sex`` ``persons``, ``source`` ``'moj_proven_reoffending'``.

* ``date`` is the **start of the offender cohort**. ``temporal_unit`` ``3-monthly`` cohorts
  become a month range (``2013-01-01`` -> ``period`` ``"2013-01..2013-03"``); ``annual``
  cohorts the year the data says: a cohort starting in April is a financial year
  (``2012-04-01`` -> ``"2012/13"``), one starting in January a calendar year
  (``2002-01-01`` -> ``"2002"``). Any other start month is an error.
* ``group`` ``Adult`` / ``Juvenile`` / ``All`` goes to ``age`` ``adult`` / ``juvenile`` / ``all``.
* ``rate`` names the figure; its metric id (:data:`METRICS`):

  ==============  ==============================================  ============================
  ``rate``        metric_id                                        value
  ==============  ==============================================  ============================
  cohort          ``reoffending_cohort``                           offenders in the cohort
  reoffenders     ``reoffenders``                                  offenders who reoffended
  reoffences      ``reoffences``                                   proven reoffences
  binary          ``proven_reoffending_rate``                      % who reoffended
  frequency       ``reoffences_per_reoffender``                    reoffences per **reoffender**
  adjusted        ``proven_reoffending_rate_adjusted``             % adjusted for offender mix
  OGRS4           ``proven_reoffending_rate_predicted_ogrs4``      % predicted by OGRS4
  ==============  ==============================================  ============================

  ``frequency`` in this file is reoffences per *reoffender* (e.g. 2012/13 adults: 582,862 /
  168,126 = 3.47), not per offender as the catalogue's ``proven_reoffending_frequency``
  (which it does not publish). The loader checks this on every cohort that has the three
  figures and refuses a file where ``frequency`` is not that ratio. ``binary`` rows carry
  ``count`` = reoffenders and ``denominator`` = cohort when the file gives them, and the
  loader checks ``binary = 100 x reoffenders / cohort``.
* ``measure``: ``new`` is the measure of the bulletin (the base metric ids above); ``old``
  is the previous measure (smaller cohort definition), kept under the same ids with the
  suffix ``_old_measure`` (``proven_reoffending_rate_old_measure`` ...). Never compare the
  two measures.
* An empty ``value`` is a figure not published: ``value`` missing, ``status`` ``x``.

``edition`` is ``'national, cohorts to <YYYY-MM>'``, the last month of the latest cohort.
Columns are found by name (case, spacing and footnote marks ignored, anywhere in the first 20
records); unknown codes, dates or numbers raise :class:`~cdp_analysis.errors.CdpInputError`
naming the file, row and column.

Examples
--------
>>> cohort_period("2013-01-01", "3-monthly"), cohort_period("2012-04-01", "annual")
('2013-01..2013-03', '2012/13')
>>> cohort_period("2005-01-01", "annual")
'2005'
"""

from __future__ import annotations

import datetime as _dt
import os

import numpy as np
import pandas as pd

from cdp_analysis.data.schema import OBSERVATION_COLUMNS, add_period_bounds, check_observations
from cdp_analysis.data.sources._excel import Label, csv_sheet, find_header, parse_numbers
from cdp_analysis.data.store import SourceSpec
from cdp_analysis.errors import CdpInputError

__all__ = ["AREA", "HEADERS", "METRICS", "SOURCE", "SPECS", "cohort_period", "read"]

#: ``source`` of every row.
SOURCE = "moj_proven_reoffending"
#: England and Wales.
AREA = "K04000001"
#: metric_id per value of the ``rate`` column (``measure`` new; ``old`` adds ``_old_measure``).
METRICS = {
    "cohort": "reoffending_cohort",
    "reoffenders": "reoffenders",
    "reoffences": "reoffences",
    "binary": "proven_reoffending_rate",
    "frequency": "reoffences_per_reoffender",
    "adjusted": "proven_reoffending_rate_adjusted",
    "ogrs4": "proven_reoffending_rate_predicted_ogrs4",
}
_GROUPS = {"adult": "adult", "adults": "adult", "juvenile": "juvenile", "juveniles": "juvenile", "all": "all",
           "total": "all"}
_MEASURES = {"new": "", "old": "_old_measure"}
_UNITS = {"3-monthly": "quarter", "3 monthly": "quarter", "quarterly": "quarter", "annual": "annual",
          "12-monthly": "annual", "yearly": "annual"}

MEASURE = Label("measure")
UNIT = Label("temporal_unit", r"temporal[_ ]unit|period type|cohort type")
DATE = Label("date", r"date|cohort start|cohort_start")
GROUP = Label("group", r"group|age group|offender group")
RATE = Label("rate", r"rate|statistic|metric")
VALUE = Label("value")
#: Columns the file must have.
HEADERS = (MEASURE, UNIT, DATE, GROUP, RATE, VALUE)


def cohort_period(date: str, unit: str) -> str:
    """The period label of a cohort starting on ``date`` (``YYYY-MM-DD``).

    Raises
    ------
    ValueError
        An unknown unit, or an annual cohort starting other than in January or April, or a
        3-monthly one not starting a calendar quarter.
    """
    d = _dt.date.fromisoformat(date.strip()[:10])
    kind = _UNITS[unit.strip().lower()]
    if kind == "quarter":
        if d.month not in (1, 4, 7, 10) or d.day != 1:
            raise ValueError(f"a 3-monthly cohort starting {date}")
        return f"{d.year}-{d.month:02d}..{d.year}-{d.month + 2:02d}"
    if d.day != 1 or d.month not in (1, 4):
        raise ValueError(f"an annual cohort starting {date}")
    return str(d.year) if d.month == 1 else f"{d.year}/{(d.year + 1) % 100:02d}"


def _check_ratio(df: pd.DataFrame, path: str) -> pd.DataFrame:
    """Fill ``count``/``denominator`` of rate rows; check binary and frequency against the counts."""
    key = ["_measure", "period", "age"]
    wide = df.pivot_table(index=key, columns="_rate", values="value", aggfunc="first")
    for need in ("cohort", "reoffenders", "reoffences"):
        if need not in wide:
            wide[need] = np.nan
    full = wide.dropna(subset=["cohort", "reoffenders"])
    if "binary" in wide:
        b = full.dropna(subset=["binary"])
        off = (b["binary"] - 100 * b["reoffenders"] / b["cohort"]).abs() > 0.05
        if off.any():
            k = off.index[off.to_numpy()][0]
            row = df[(df[key].apply(tuple, axis=1) == k) & (df["_rate"] == "binary")].iloc[0]
            raise CdpInputError(f"the binary rate is not 100 x reoffenders / cohort for {k}", file=path,
                                row=int(row["_row"]), column="value", value=row["value"],
                                expected=f"{100 * b.loc[k, 'reoffenders'] / b.loc[k, 'cohort']:.2f}")
    if "frequency" in wide:
        f = wide.dropna(subset=["frequency", "reoffences", "reoffenders"])
        per_reoffender = (f["frequency"] - f["reoffences"] / f["reoffenders"]).abs() <= 0.05
        if not per_reoffender.all():
            k = per_reoffender.index[~per_reoffender.to_numpy()][0]
            row = df[(df[key].apply(tuple, axis=1) == k) & (df["_rate"] == "frequency")].iloc[0]
            raise CdpInputError(
                f"the frequency rate is not reoffences / reoffenders for {k}", file=path, row=int(row["_row"]),
                column="value", value=row["value"],
                expected=f"reoffences per reoffender, {f.loc[k, 'reoffences'] / f.loc[k, 'reoffenders']:.3f}",
            )
    num = {"binary": "reoffenders", "frequency": "reoffences"}
    den = {"binary": "cohort", "frequency": "reoffenders"}
    for rate in num:
        mask = (df["_rate"] == rate).to_numpy()
        if mask.any():
            idx = pd.MultiIndex.from_frame(df.loc[mask, key])
            df.loc[mask, "count"] = wide[num[rate]].reindex(idx).to_numpy()
            df.loc[mask, "denominator"] = wide[den[rate]].reindex(idx).to_numpy()
    return df


def read(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the MoJ national proven reoffending CSV into observations.

    Returns
    -------
    pandas.DataFrame
        :data:`~cdp_analysis.data.schema.OBSERVATION_COLUMNS` rows as described in the module
        docstring: percentages for the rates, counts for cohort/reoffenders/reoffences,
        reoffences per reoffender for ``frequency``.

    Raises
    ------
    CdpInputError
        A column missing (naming the columns expected); an unknown measure, unit, group or
        rate; a bad cohort date; text where a number should be; a figure given twice; a
        binary rate inconsistent with the counts.
    """
    path = str(path)
    sheet = csv_sheet(path)
    h = find_header(sheet, HEADERS, last_row=20, what="proven reoffending")
    body = sheet.values.loc[h.row + 1:]
    body = body[~body.map(lambda v: str(v).strip() == "").all(axis=1)]
    if body.empty:
        raise sheet.error("no data rows below the header", row=h.row + 1, expected="one row per figure")

    def coded(label: Label, table: dict[str, str], expected: str) -> pd.Series:
        col = h.col(label.name)
        text = body[col].map(lambda v: " ".join(str(v).split()).lower())  # codes: digits are not footnotes
        out = text.map(table)
        if out.isna().any():
            r = int(out.index[out.isna().to_numpy()][0])
            raise sheet.error(f"unknown {label.name}", row=r, column=col, value=body.at[r, col], expected=expected)
        return out

    measure = coded(MEASURE, _MEASURES, "'new' or 'old'")
    group = coded(GROUP, _GROUPS, "'Adult', 'Juvenile' or 'All'")
    rate = coded(RATE, {k: k for k in METRICS}, f"one of {sorted(METRICS)}")
    unit_col, date_col = h.col(UNIT.name), h.col(DATE.name)
    periods = []
    for r, unit, date in zip(body.index, body[unit_col], body[date_col], strict=True):
        try:
            periods.append(cohort_period(str(date), str(unit)))
        except KeyError:
            raise sheet.error("unknown temporal_unit", row=int(r), column=unit_col, value=unit,
                              expected="'3-monthly' or 'annual'") from None
        except ValueError:
            raise sheet.error("not a cohort start date", row=int(r), column=date_col, value=date,
                              expected="YYYY-MM-DD: 1 Jan/Apr/Jul/Oct for 3-monthly cohorts, 1 Jan or 1 Apr "
                                       "for annual cohorts") from None
    value_col = h.col(VALUE.name)
    vals, status = parse_numbers(sheet, body[[value_col]], markers={"na": "x", ":": "x", "..": "x", "null": "x"},
                                 blank="x", what="a number", headers={value_col: sheet.header_text(h.row, value_col)},
                                 nonnegative=True)
    df = pd.DataFrame({
        "metric_id": [METRICS[r] + m for r, m in zip(rate, measure, strict=True)],
        "period": periods,
        "age": group.to_numpy(),
        "value": vals[:, 0],
        "status": status[:, 0],
        "_rate": rate.to_numpy(),
        "_measure": measure.to_numpy(),
        "_row": np.asarray(body.index, dtype=int),
    })
    dup = df.duplicated(["metric_id", "period", "age"], keep=False)
    if dup.any():
        rows = df.loc[dup, "_row"]
        first = df.loc[dup].iloc[0]
        same = df.loc[dup & (df["metric_id"] == first["metric_id"]) & (df["period"] == first["period"])
                      & (df["age"] == first["age"]), "_row"].tolist()
        raise sheet.error(f"{first['metric_id']} for {first['age']} cohort {first['period']} appears twice",
                          row=same or rows.tolist(), expected="one row per measure, cohort, group and rate")
    df["count"] = np.where(df["_rate"].isin(["cohort", "reoffenders", "reoffences"]), df["value"], np.nan)
    df["denominator"] = np.nan
    df = _check_ratio(df, path)
    spans = add_period_bounds(df)
    last = max(p.end for p in spans.values())
    df["edition"] = f"national, cohorts to {last:%Y-%m}"
    df["source"] = SOURCE
    df["area_code"] = AREA
    df["sex"] = "persons"
    df["lower_95"] = np.nan
    df["upper_95"] = np.nan
    for col in ("count", "denominator", "value", "lower_95", "upper_95"):
        df[col] = df[col].astype(float)
    df = df.sort_values(["metric_id", "age", "period_start", "period_end"], kind="stable")
    return check_observations(df[list(OBSERVATION_COLUMNS)].reset_index(drop=True), file=path)


SPECS = [
    SourceSpec("observations", SOURCE, "raw/reoffending/proven_reoffending*.csv", read,
               description="MoJ proven reoffending, England and Wales, national cohorts"),
]
