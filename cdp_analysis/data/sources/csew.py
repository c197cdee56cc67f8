"""Crime Survey for England and Wales: drug misuse appendix tables (prevalence of drug use).

Reads the publisher's workbook *Drug misuse in England and Wales: appendix tables* (ONS, e.g.
``drugsmisusetablesjune22.xlsx``, year ending June 2022 edition, Open Government Licence
v3.0) into the store's ``observations`` table: the **proportion of adults reporting use of
any drug / any Class A drug** ever in their lifetime, in the last year and in the last month,
for **16 to 59** and **16 to 24** year olds, England and Wales (``K04000001``), every survey
year since 1995.

The tables are found by their titles ("Table 1.02: Proportion of 16 to 59 year olds reporting use
of drugs in the last year ..."; one table per sheet, ``[note N]`` markers ignored), never by sheet name;
the header row by its ``Drug type`` label and the survey-year columns ("Apr 2019 to Mar 2020");
the rows by their drug label. The "Significance" columns are not read.

* ``metric_id`` (:data:`METRICS`): ``csew_any_drug_use_<recall>`` and
  ``csew_any_class_a_drug_use_<recall>``, ``<recall>`` ``ever``, ``last_year`` or
  ``last_month``; ``value`` the **percentage** of the age group (weighted survey estimate;
  no confidence limits are published in these tables); ``age`` ``"16-59"`` or ``"16-24"``;
  ``sex`` ``persons``.
* ``denominator``: the table's *unweighted base* (the number of adults who answered), the
  survey's sample size, **not** a population; ``count`` is missing.
* ``period``: the survey year as the column says: ``Jan 1995 to Dec 1995`` -> ``"1995"``,
  ``Apr 2019 to Mar 2020`` -> ``"2019/20"``, anything else a month range (``Oct 2021 to Jun
  2022`` -> ``"2021-10..2022-06"``: the year ending June 2022, whose fieldwork was cut short by
  the pandemic; there is **no year ending March 2021 or 2022** in this edition).
* ``status``: ``[x]`` not asked that year -> ``x``; ``[c]`` suppressed -> ``c`` (value missing).
* ``source`` ``'ons_csew_drug_misuse'``; ``edition`` from the titles: ``'year ending June 2022'``.

Other drug types (cannabis, powder cocaine, ...) are in the same tables; add them to
:data:`DRUGS` (and the catalogue) to load them.

Examples
--------
>>> survey_period("Jan 1995 to Dec 1995"), survey_period("Apr 2019 to Mar 2020")
('1995', '2019/20')
>>> survey_period("Oct 2021 to Jun 2022")
'2021-10..2022-06'
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
    Workbook,
    check_headed,
    find_header,
    normalise_label,
    parse_numbers,
)
from cdp_analysis.data.store import SourceSpec
from cdp_analysis.errors import CdpInputError
from cdp_analysis.periods import Period

__all__ = ["DRUGS", "METRICS", "SOURCE", "SPECS", "read", "survey_period"]

SOURCE = "ons_csew_drug_misuse"
#: Drug rows read: normalised label pattern -> metric stem.
DRUGS = {r"any drugs?": "csew_any_drug_use", r"any class a drugs?": "csew_any_class_a_drug_use"}
_RECALL = {"ever in their lifetime": "ever", "in the last year": "last_year", "in the last month": "last_month"}
#: Every metric id this loader writes.
METRICS = tuple(f"{stem}_{r}" for stem in DRUGS.values() for r in _RECALL.values())

_TITLE = re.compile(r"^table \d+(?:\.\d+)?:? *proportion of (16 to 59|16 to 24) year olds reporting use of drugs "
                    r"(ever in their lifetime|in the last year|in the last month)", re.I)
_EDITION = re.compile(r"\byear ending (\w+ \d{4})\b", re.I)
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                        "nov", "dec"], start=1)}
_SPAN = re.compile(r"([a-z]{3})[a-z]* (\d{4}) to ([a-z]{3})[a-z]* (\d{4})")
_MISSING = {"[x]": "x", "x": "x", "[c]": "c", "c": "c", "[z]": "z", "z": "z", ":": "x", "..": "x"}

DRUG_TYPE = Label("Drug type", r"drug types?|drugs?")
SURVEY_YEAR = Label("survey year columns (e.g. 'Apr 2019 to Mar 2020')", _SPAN.pattern, many=True)
SIGNIFICANCE = Label("significance columns", _SPAN.pattern + r" significance", many=True)
BASE = re.compile(r"unweighted base.*")


def survey_period(text: str) -> str:
    """The period label of a survey-year heading ``'<Mon YYYY> to <Mon YYYY>'``.

    Raises
    ------
    ValueError
        When the heading is not of that form.
    """
    m = _SPAN.fullmatch(" ".join(str(text).split()).lower())
    if not m or m[1] not in _MONTHS or m[3] not in _MONTHS:
        raise ValueError(f"not a survey year: {text!r}")
    y1, m1, y2, m2 = int(m[2]), _MONTHS[m[1]], int(m[4]), _MONTHS[m[3]]
    if (m1, m2) == (1, 12) and y1 == y2:
        return str(y1)
    if (m1, m2) == (4, 3) and y2 == y1 + 1:
        return f"{y1}/{y2 % 100:02d}"
    return str(Period.from_months(f"{y1}-{m1:02d}", f"{y2}-{m2:02d}"))


def _tables(book: Workbook) -> list[tuple[str, str, str, str]]:
    """(sheet, age, recall, title) of each prevalence table: a title cell starting 'Table 1.02: Proportion
    of ...' (a contents page lists the titles without the 'Table' prefix and is skipped)."""
    out = []
    for name in book.sheet_names:
        texts = list(book.head(name, 12).texts())
        hits = [t for t in texts if _TITLE.search(t)]
        if len(hits) == 1:
            m = _TITLE.search(hits[0])
            assert m is not None
            out.append((name, m[1].replace(" to ", "-"), _RECALL[m[2].lower()], hits[0]))
    return out


def _read_table(sheet: Sheet, age: str, recall: str) -> pd.DataFrame:
    h = find_header(sheet, (DRUG_TYPE, SURVEY_YEAR), what="drug use prevalence", optional=(SIGNIFICANCE,))
    drug_col = h.col(DRUG_TYPE.name)
    cols = [c for c in h.columns[SURVEY_YEAR.name] if "significance" not in sheet.header_text(h.row, c).lower()]
    periods = []
    for c in cols:
        try:
            periods.append(survey_period(sheet.header_text(h.row, c)))
        except ValueError:
            raise sheet.error("not a survey year", row=h.row, column=c, value=sheet.header_text(h.row, c),
                              expected="'Mon YYYY to Mon YYYY'") from None
    if len(set(periods)) != len(periods):
        raise sheet.error("a survey year appears twice in the header", row=h.row, expected="one column per year")
    body = sheet.values.loc[h.row + 1:]
    labels = body[drug_col].map(normalise_label)
    base_rows = labels.index[labels.str.fullmatch(BASE.pattern).to_numpy()]
    if len(base_rows) != 1:
        raise sheet.error(f"{len(base_rows)} 'Unweighted base' rows", row=h.row, column=drug_col,
                          expected="one row 'Unweighted base - number of adults' below the drug rows")
    # a survey-year heading lost (e.g. under a merged cell) must not drop its column silently
    read_rows = [*base_rows, *labels.index[labels.str.fullmatch("|".join(DRUGS)).to_numpy()]]
    check_headed(sheet, h.row, read_rows, h.columns[SURVEY_YEAR.name] + h.columns.get(SIGNIFICANCE.name, []),
                 first=drug_col + 1, what="survey year")
    heads = {c: sheet.header_text(h.row, c) for c in cols}
    base, _ = parse_numbers(sheet, body.loc[base_rows, cols], markers=_MISSING, blank="x",
                            what="an unweighted base", headers=heads, nonnegative=True, whole=True)
    parts = []
    for pattern, stem in DRUGS.items():
        rows = labels.index[labels.str.fullmatch(pattern).to_numpy()]
        if len(rows) != 1:
            raise sheet.error(f"{'no' if not len(rows) else len(rows)} rows for drug type /{pattern}/",
                              row=[int(r) for r in rows] or h.row, column=drug_col,
                              expected=f"one row labelled like '{pattern}' in the 'Drug type' column")
        vals, status = parse_numbers(sheet, body.loc[rows, cols], markers=_MISSING, blank="x",
                                     what="a percentage", headers=heads, nonnegative=True)
        if (vals[np.isfinite(vals)] > 100).any():
            c = cols[int(np.argmax(np.nan_to_num(vals[0]) > 100))]
            raise sheet.error("a percentage above 100", row=int(rows[0]), column=c, value=body.at[rows[0], c],
                              expected="a percentage of adults")
        parts.append(pd.DataFrame({
            "metric_id": f"{stem}_{recall}", "period": periods, "age": age, "value": vals[0],
            "denominator": base[0], "status": status[0],
        }))
    return pd.concat(parts, ignore_index=True)


def read(path: str | os.PathLike[str], *, engine: str | None = None) -> pd.DataFrame:
    """Read the CSEW drug misuse appendix tables into observations.

    Raises
    ------
    CdpInputError
        A prevalence table missing (naming the titles expected); the header or a drug row not
        found; text where a percentage should be; no edition in the titles.
    """
    path = str(path)
    with Workbook(path, engine=engine) as book:
        tables = _tables(book)
        want = {(a, r) for a in ("16-59", "16-24") for r in _RECALL.values()}
        have = {(a, r) for _, a, r, _ in tables}
        if have != want or len(tables) != len(want):
            missing = sorted(want - have)
            raise CdpInputError(
                f"the prevalence tables found are {sorted(have)}" + (f"; missing {missing}" if missing else ""),
                file=path, expected="one sheet per age group (16 to 59, 16 to 24) and recall period titled "
                                    "'Proportion of 16 to 59 year olds reporting use of drugs in the last year ...'",
            )
        editions = {m[1].title() for *_, title in tables for m in [_EDITION.search(title)] if m}
        if len(editions) != 1:
            raise CdpInputError(f"the titles name {len(editions)} editions {sorted(editions)}", file=path,
                                expected="titles naming one 'year ending <Month YYYY>'")
        parts = [_read_table(book.sheet(name), age, recall) for name, age, recall, _ in tables]
    df = pd.concat(parts, ignore_index=True)
    add_period_bounds(df)
    df["source"] = SOURCE
    df["edition"] = "year ending " + editions.pop()
    df["area_code"] = "K04000001"
    df["sex"] = "persons"
    df["count"] = np.nan
    df["lower_95"] = np.nan
    df["upper_95"] = np.nan
    for col in ("count", "denominator", "value", "lower_95", "upper_95"):
        df[col] = df[col].astype(float)
    df = df.sort_values(["metric_id", "age", "period_start"], kind="stable")
    return check_observations(df[list(OBSERVATION_COLUMNS)].reset_index(drop=True), file=path)


SPECS = [
    SourceSpec("observations", SOURCE, "raw/surveys/drugsmisusetables*.xls*", read,
               description="ONS Crime Survey for England and Wales, drug misuse prevalence"),
]
