"""ONS deaths related to drug poisoning: the national reference tables (England and Wales).

Reads the publisher's own workbook of *Deaths related to drug poisoning in England and Wales*
(ONS, main reference tables, e.g. ``2021registrations.xlsx`` and ``2022registrations.xlsx``,
© Crown copyright, Open Government Licence v3.0) into the store's ``observations`` table
(docs/design.md §5). Deaths are counted by **year of registration** (``period`` ``"2022"``), 1993 to
the edition year.

Four tables are read, each found by its title (never by sheet name or cell address):

=========  ==============================================  ==================================
Table      What                                            Rows written
=========  ==============================================  ==================================
Table 1    deaths by sex, country and underlying cause     ``drug_poisoning_deaths``,
                                                           ``drug_misuse_deaths`` (All causes);
                                                           ``<base>_cause_<cause>`` per cause
Table 2    deaths by sex, country and age group            the same count metrics, ``age``
                                                           ``0-19``, ``20-29`` ... ``70+``
Table 4    deaths and age-standardised rates by sex and    counts and
           substance, England and Wales                    ``drug_poisoning_asmr_national_per_million``
                                                           (poisoning, misuse and each substance)
Table 7    deaths and rates by sex, country and region     counts and the ``..._per_million``
                                                           rates for England, regions, Wales
=========  ==============================================  ==================================

**Units.** The age-standardised mortality rates in these tables are **per 1,000,000
population** (2013 European Standard Population), unlike the local authority tables
(:mod:`cdp_analysis.data.sources.ons_deaths_la`, per 100,000, 3-year pooled). They are kept
per million, never converted, under metric ids that say so:
``drug_poisoning_asmr_national_per_million`` and ``drug_misuse_asmr_national_per_million``
(``value`` the rate, ``lower_95``/``upper_95`` its limits, ``count`` the deaths).

**Breakdowns.**

* sex: the ``sex`` column (``persons``, ``males``, ``females``, the tables' vertical blocks);
* age group (Table 2): the ``age`` column (``0-19`` for "Under 20", ``70+`` for "70 and over",
  otherwise as printed); every other row has ``age`` ``"all ages"``;
* underlying cause (Table 1): the metric id, ``drug_poisoning_deaths_cause_<cause>`` and
  ``drug_misuse_deaths_cause_<cause>`` with ``<cause>`` one of :data:`CAUSES`' values
  (``mental_behavioural``, ``accidental``, ``intentional_or_undetermined`` for "Intentional
  self-poisoning and poisoning of undetermined intent", ``assault``; ``intentional_self_poisoning``
  and ``undetermined_intent`` should an edition split them); "All causes" is the plain count
  metric. Causes are ICD-9 1993-2000 and ICD-10 from 2001, with coding changes in 2011
  (mental and behavioural disorders moved to accidental poisoning): not comparable across 2011;
* substance mentioned (Table 4): the metric id, ``drug_poisoning_deaths_<substance>`` and
  ``drug_poisoning_asmr_national_per_million_<substance>``, ``<substance>`` the snake-case
  label without footnotes and parentheses (:func:`substance_slug`: ``heroin_or_morphine``,
  ``cocaine``, ``any_new_psychoactive_substance`` ...). A substance mentioned is **not** the
  underlying cause, and one death may mention several: never add substances;
* area: ``area_code`` ``K04000001`` England and Wales (includes non-residents), ``E92000001``
  England, ``W92000004`` Wales, ``E1200000x`` regions (these exclude non-residents).

Where two tables give the same count (Table 1 "All causes", Table 2 "All ages", Table 4 and
Table 7 deaths) the loader checks that they agree and writes it once.

**Status.** ``:`` (rate not calculated, fewer than 10 deaths) and blank cells give ``x`` with
the value missing; the ``u`` in the column after a rate (10-19 deaths, unreliable) gives
``u``.

**Editions and revisions.** ``edition`` is ``'<year> registrations'`` from the titles
("... deaths registered between 1993 and 2022"). Every edition is kept. Where a later edition
gives the same (metric, area, period, sex, age), the earlier edition's row is kept with
``r`` (revised) added to its ``status``: this is done in the store by
:func:`mark_revised`, the spec's ``after`` step, each time an edition is ingested, so the
current figure of any series is its row **without** ``r`` (e.g. E&W 2021 poisoning rate: 84.4
per million in the 2021 edition, status ``r``; 84.0 in the 2022 edition).

Examples
--------
>>> substance_slug("Any opiate (including unspecified opiates and excluding paracetamol compounds) 8")
'any_opiate'
>>> substance_slug("Zopiclone / Zolpidem"), substance_slug("Ecstasy/MDMA")
('zopiclone_zolpidem', 'ecstasy_mdma')
>>> age_label("Under 20"), age_label("70 and over"), age_label("20-29"), age_label("All ages")
('0-19', '70+', '20-29', 'all ages')
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis.data.schema import OBSERVATION_COLUMNS, add_period_bounds, check_observations
from cdp_analysis.data.sources._excel import (
    HeaderMatch,
    Label,
    Sheet,
    Workbook,
    check_headed,
    column_letter,
    find_header,
    normalise_label,
    parse_numbers,
    rows_with_codes,
)
from cdp_analysis.data.store import SourceSpec
from cdp_analysis.errors import CdpInputError

__all__ = [
    "AREAS",
    "CAUSES",
    "METRIC_ASMR",
    "SOURCE",
    "SPECS",
    "age_label",
    "detect_edition",
    "mark_revised",
    "read",
    "substance_slug",
]

#: ``source`` of every row this loader writes.
SOURCE = "ons_drug_deaths_national"
#: Rate metric per measure (per 1,000,000 population, ESP2013, single registration years).
METRIC_ASMR = {
    "poisoning": "drug_poisoning_asmr_national_per_million",
    "misuse": "drug_misuse_asmr_national_per_million",
}
_METRIC_COUNT = {"poisoning": "drug_poisoning_deaths", "misuse": "drug_misuse_deaths"}
#: GSS codes of the country columns of Tables 1 and 2.
AREAS = {"england and wales": "K04000001", "england": "E92000001", "wales": "W92000004"}
#: Underlying-cause slug by a pattern searched in the normalised label (Table 1).
CAUSES = {
    r"mental and behavioural": "mental_behavioural",
    r"intentional self.*undetermined": "intentional_or_undetermined",
    r"accidental": "accidental",
    r"intentional self": "intentional_self_poisoning",
    r"undetermined intent": "undetermined_intent",
    r"assault": "assault",
}
ALL_AGES = "all ages"

_MISSING = {":": "x", "..": "x", "x": "x", "[x]": "x", "c": "c", "[c]": "c", "z": "z", "[z]": "z", "-": "x"}
_FLAGS = {"u": "u", "[u]": "u"}
_SEXES = {"persons": "persons", "males": "males", "females": "females", "all persons": "persons",
          "male": "males", "female": "females"}

SEX = Label("Sex")
YEAR = Label("Year of death registration", r"year(?: of (?:death )?registration)?|year of death registration")
COUNTRY = Label("England and Wales, England, Wales", r"england and wales|england|wales", many=True)
MEASURE = Label("All drug poisoning / of which: Drug misuse",
                r"all drug poisoning|drug poisoning|(?:of which:? )?drug misuse", many=True)
CAUSE = Label("Underlying cause", r"underlying cause(?: of death)?")
AGE_GROUPS = Label("Age groups", r"age groups?|age")
SUBSTANCE = Label("Substance", r"substances?")
AREA_CODE = Label("Area code", r"area codes?|codes?")
AREA_NAME = Label("Area name", r"area names?|names?", many=True)
SEX_BLOCK = Label("Persons, Males, Females", r"persons|males|females", many=True)
DEATHS = Label("Deaths", r"(?:number of )?deaths", many=True)
RATE = Label("Rate", r"(?:age-standardised )?(?:mortality )?rates?(?: per (?:1,000,000|million))?|asmr", many=True)
LOWER = Label("Lower Confidence Limit", r"lower(?: 95%)?(?: confidence)?(?: limits?| interval)?|lcl", many=True)
UPPER = Label("Upper Confidence Limit", r"upper(?: 95%)?(?: confidence)?(?: limits?| interval)?|ucl", many=True)
STATS = (DEATHS, RATE, LOWER, UPPER)

#: Title pattern of each table read.
TITLES = {
    "cause": r"drug misuse,? by sex, country and underlying cause",
    "age": r"drug misuse,? by sex, country and age\b",
    "substance": r"age-standardised mortality rates? for deaths related to drug poisoning, drug misuse,? and "
                 r"selected substances",
    "region": r"age-standardised mortality rates? for deaths .*by sex, country and region",
}
_EDITION = re.compile(r"registered between (\d{4}) and (\d{4})|registered (?:from|in) (\d{4}) to (\d{4})", re.I)


def substance_slug(label: str) -> str:
    """Snake-case id of a substance label: footnotes and parentheses dropped."""
    text = normalise_label(label)
    text = re.sub(r"\([^)]*\)", " ", text)
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return text


def age_label(label: str) -> str:
    """The ``age`` value of a Table 2 age-group heading (raw text: its digits are ages, not footnotes)."""
    text = re.sub(r"\s*\[\s*notes? [\d ,]+\]", "", str(label)).replace("\u2013", "-")
    text = " ".join(text.split()).lower()
    if text in ("all ages", "all"):
        return ALL_AGES
    if m := re.fullmatch(r"(?:under|less than) (\d+)", text):
        return f"0-{int(m[1]) - 1}"
    if m := re.fullmatch(r"(\d+) (?:and over|plus|\+)|(\d+)\+", text):
        return f"{m[1] or m[2]}+"
    if m := re.fullmatch(r"(\d+) ?- ?(\d+)", text):
        return f"{m[1]}-{m[2]}"
    raise ValueError(f"not an age group: {label!r}")


def _measure(text: str) -> str:
    return "misuse" if "misuse" in text else "poisoning"


# --------------------------------------------------------------------------- sheets
def _find_tables(book: Workbook) -> dict[str, tuple[str, str]]:
    """{kind: (sheet name, title)} for the four tables; a contents page (matching several) is skipped."""
    found: dict[str, list[tuple[str, str]]] = {k: [] for k in TITLES}
    for name in book.sheet_names:
        texts = list(book.head(name, 15).texts())
        hits = {k: t for k in TITLES for t in texts if re.search(TITLES[k], t, re.I)}
        if len(hits) == 1:
            k, t = next(iter(hits.items()))
            found[k].append((name, t))
    out = {}
    for kind, sheets in found.items():
        if len(sheets) != 1:
            what = "no sheet" if not sheets else f"{len(sheets)} sheets ({', '.join(s for s, _ in sheets)})"
            raise CdpInputError(
                f"{what} with the {kind} table", file=book.path,
                expected=f"one sheet titled like /{TITLES[kind]}/ (sheets found: {book.sheet_names})",
            )
        out[kind] = sheets[0]
    return out


def detect_edition(book: Workbook | str | os.PathLike[str]) -> str:
    """``'2022 registrations'``: the last year of the range in the tables' titles.

    Raises
    ------
    CdpInputError
        When the titles disagree or none names the years.
    """
    own = not isinstance(book, Workbook)
    wb = Workbook(book) if own else book
    try:
        years = set()
        for name, title in _find_tables(wb).values():
            m = _EDITION.search(title)
            if not m:
                raise CdpInputError("the title does not name the years covered", file=wb.path, sheet=name,
                                    value=title, expected="'... deaths registered between 1993 and 2022'")
            years.add(m[2] or m[4])
        if len(years) != 1:
            raise CdpInputError(f"the table titles name different last years {sorted(years)}", file=wb.path,
                                expected="one edition per workbook")
        return f"{years.pop()} registrations"
    finally:
        if own:
            wb.close()


def _ffill_row(sheet: Sheet, row: int, first: int) -> dict[int, tuple[int, str, str]]:
    """Per column from ``first``: (column where the label starts, normalised label, raw text) of a
    merged header row."""
    out: dict[int, tuple[int, str, str]] = {}
    cur: tuple[int, str, str] | None = None
    for c in range(first, sheet.values.shape[1]):
        t = normalise_label(sheet.values.at[row, c])
        if t:
            cur = (c, t, sheet.header_text(row, c))
        if cur is not None:
            out[c] = cur
    return out


def _parent_row(sheet: Sheet, label: Label, h: HeaderMatch, what: str) -> int:
    """The header row above ``h`` holding ``label`` (merged group headings)."""
    return find_header(sheet, (label,), first_row=max(1, h.row - 6), last_row=h.row - 1, what=what).row


def _spans(sheet: Sheet, h: HeaderMatch, data_cols: list[int], parents: dict[str, int]
           ) -> tuple[dict[int, dict[str, str]], dict[int, dict[str, str]]]:
    """For each data column, the (normalised, raw) label of each parent row spanning it; checks nesting."""
    first = min(data_cols)
    filled = {name: _ffill_row(sheet, row, first) for name, row in parents.items()}
    order = sorted(parents, key=parents.get)  # outermost (top) first
    out: dict[int, dict[str, str]] = {}
    raw: dict[int, dict[str, str]] = {}
    for c in data_cols:
        keys: dict[str, str] = {}
        raw[c] = {}
        start = first
        for name in order:
            got = filled[name].get(c)
            if got is None or got[0] < start:
                raise sheet.error(
                    f"no '{name}' heading above this column", row=parents[name], column=c,
                    expected=f"a '{name}' heading spanning column {column_letter(c)} (row {h.row} holds "
                             f"'{sheet.header_text(h.row, c)}')",
                )
            start = got[0]
            keys[name] = got[1]
            raw[c][name] = got[2]
        out[c] = keys
    return out, raw


def _data_rows(sheet: Sheet, h: HeaderMatch, year_col: int, value_cols: list[int]) -> pd.Index:
    """Rows below the header with a registration year."""
    return rows_with_codes(sheet, year_col, value_cols, after=h.row, code_name="year of registration",
                           code_pattern=re.compile(r"^(?:19|20)\d{2}(?:\.0)?$"))


def _year_values(sheet: Sheet, rows: pd.Index, col: int) -> np.ndarray:
    return sheet.values.loc[rows, col].map(lambda v: str(int(float(v)))).to_numpy(dtype=object)


def _sex_of_rows(sheet: Sheet, h: HeaderMatch, col: int, rows: pd.Index) -> np.ndarray:
    """The sex block (a 'Persons'/'Males'/'Females' row above) of each data row."""
    body = sheet.values.loc[h.row + 1: int(rows.max()), col]
    labels = body.map(normalise_label)
    current: Any = None
    sex: dict[int, Any] = {}
    for r, t in labels.items():
        if t:
            current = _SEXES.get(t, ("?", r, body[r]))
        sex[int(r)] = current
    out = np.empty(len(rows), dtype=object)
    for i, r in enumerate(rows):
        s = sex.get(int(r))
        if not isinstance(s, str):
            bad_row, bad_val = (s[1], s[2]) if isinstance(s, tuple) else (int(r), "")
            raise sheet.error("the data row is in no Persons/Males/Females block", row=int(bad_row), column=col,
                              value=bad_val, expected="'Persons', 'Males' or 'Females' above the year rows")
        out[i] = s
    return out


def _counts(sheet: Sheet, block: pd.DataFrame, heads: dict[int, str]) -> tuple[np.ndarray, np.ndarray]:
    return parse_numbers(sheet, block, markers=_MISSING, blank="x", what="a count of deaths",
                         headers=heads, nonnegative=True, whole=True)


def _frame(**cols: Any) -> pd.DataFrame:
    return pd.DataFrame(cols)


# --------------------------------------------------------------------------- Tables 1 and 2
def _read_country_table(sheet: Sheet, kind: str) -> pd.DataFrame:
    h = find_header(sheet, (SEX, YEAR, COUNTRY), what=f"{kind} table")
    group = CAUSE if kind == "cause" else AGE_GROUPS
    parents = {group.name: _parent_row(sheet, group, h, f"{group.name} heading"),
               "measure": _parent_row(sheet, MEASURE, h, "measure heading (All drug poisoning / Drug misuse)")}
    data_cols = h.columns[COUNTRY.name]
    spans, raw = _spans(sheet, h, data_cols, parents)
    rows = _data_rows(sheet, h, h.col(YEAR.name), data_cols)
    # a country heading lost (e.g. under a merged cell) must not drop its column silently
    check_headed(sheet, h.row, rows, data_cols, first=h.col(YEAR.name) + 1, what="country")
    years = _year_values(sheet, rows, h.col(YEAR.name))
    sexes = _sex_of_rows(sheet, h, h.col(SEX.name), rows)
    heads = {c: f"{spans[c][group.name]} / {spans[c]['measure']} / {sheet.header_text(h.row, c)}" for c in data_cols}
    vals, status = _counts(sheet, sheet.values.loc[rows, data_cols], heads)
    parts = []
    for j, c in enumerate(data_cols):
        measure = _measure(spans[c]["measure"])
        label = spans[c][group.name]
        metric, age = _METRIC_COUNT[measure], ALL_AGES
        if kind == "cause":
            if label not in ("all causes", "all"):
                slug = next((v for k, v in CAUSES.items() if re.search(k, label)), substance_slug(label))
                metric = f"{metric}_cause_{slug}"
        else:
            try:
                age = age_label(raw[c][group.name])
            except ValueError:
                raise sheet.error("not an age group", row=parents[group.name], column=c, value=raw[c][group.name],
                                  expected="'All ages', 'Under 20', '20-29' ... '70 and over'") from None
        parts.append(_frame(metric_id=metric, area_code=AREAS[h.texts[c]], period=years, sex=sexes, age=age,
                            count=vals[:, j], value=vals[:, j], lower_95=np.nan, upper_95=np.nan,
                            status=status[:, j], _where=f"{sheet.name}!{column_letter(c)}",
                            _row=np.asarray(rows, dtype=int)))
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- Tables 4 and 7
def _stat_blocks(sheet: Sheet, h: HeaderMatch, spans: dict[int, dict[str, str]]) -> list[dict[str, Any]]:
    """Group the Deaths/Rate/Lower/Upper columns by their parent headings; find each rate's flag column."""
    stat_of = {c: lab.name for lab in STATS for c in h.columns[lab.name]}
    blocks: dict[tuple[str, ...], dict[str, Any]] = {}
    for c in sorted(stat_of):
        key = tuple(spans[c].values())
        b = blocks.setdefault(key, {"key": spans[c], "first": c})
        if stat_of[c] in b:
            raise sheet.error(f"two '{stat_of[c]}' columns under '{' / '.join(key)}'", row=h.row, column=c,
                              expected="one Deaths, Rate, Lower and Upper Confidence Limit per heading")
        b[stat_of[c]] = c
    taken = set(stat_of)
    for key, b in blocks.items():
        missing = [lab.name for lab in STATS if lab.name not in b]
        if missing:
            raise sheet.error(f"no '{missing[0]}' column under '{' / '.join(key)}'", row=h.row, column=b["first"],
                              expected="Deaths, Rate, Lower Confidence Limit, Upper Confidence Limit per heading")
        nxt = b[RATE.name] + 1
        b["flag"] = nxt if nxt not in taken and not h.texts.get(nxt) and nxt < sheet.values.shape[1] else None
    return list(blocks.values())


def _read_rate_blocks(sheet: Sheet, h: HeaderMatch, blocks: list[dict[str, Any]], rows: pd.Index,
                      ident: dict[str, Any], metrics: Any) -> pd.DataFrame:
    values = sheet.values.loc[rows]
    parts = []
    for b in blocks:
        label = " / ".join(b["key"].values())
        cols = [b[lab.name] for lab in STATS]
        heads = {c: f"{label} / {sheet.header_text(h.row, c)}" for c in cols}
        deaths, dstat = _counts(sheet, values[[cols[0]]], heads)
        num, nstat = parse_numbers(sheet, values[cols[1:]], markers=_MISSING, blank="x",
                                   what="a rate per million", headers=heads, nonnegative=True)
        flag = np.full(len(rows), "", dtype=object)
        if b["flag"] is not None:
            fnum, fstat = parse_numbers(sheet, values[[b["flag"]]], markers=_FLAGS, blank="",
                                        what="the unreliable-rate flag 'u'",
                                        headers={b["flag"]: f"flag column after Rate under '{label}'"})
            if np.isfinite(fnum).any():
                i = int(np.argmax(np.isfinite(fnum[:, 0])))
                raise sheet.error("a number stands in the unreliable-rate flag column", row=int(rows[i]),
                                  column=b["flag"], value=values.iat[i, b["flag"]], expected="'u' or an empty cell")
            flag = fstat[:, 0]
        rate_status = np.where(nstat[:, 0] != "", nstat[:, 0], flag)
        count_metric, rate_metric = metrics(b["key"])
        where = f"{sheet.name}!{column_letter(cols[0])}"
        common = dict(ident, _row=np.asarray(rows, dtype=int), _where=where)
        parts.append(_frame(metric_id=count_metric, count=deaths[:, 0], value=deaths[:, 0], lower_95=np.nan,
                            upper_95=np.nan, status=dstat[:, 0], **common))
        parts.append(_frame(metric_id=rate_metric, count=deaths[:, 0], value=num[:, 0], lower_95=num[:, 1],
                            upper_95=num[:, 2], status=rate_status, **common))
    return pd.concat(parts, ignore_index=True)


def _read_substance_table(sheet: Sheet, title: str) -> pd.DataFrame:
    if not re.search(r"england and wales", title, re.I):
        raise sheet.error("the substance table is not for England and Wales", row=None, value=title,
                          expected="a title ending '... by sex, England and Wales, deaths registered ...'")
    h = find_header(sheet, (SEX, YEAR, *STATS), what="substance table")
    parents = {"substance": _parent_row(sheet, SUBSTANCE, h, "Substance heading")}
    stat_cols = sorted(c for lab in STATS for c in h.columns[lab.name])
    spans, _ = _spans(sheet, h, stat_cols, parents)
    blocks = _stat_blocks(sheet, h, spans)
    rows = _data_rows(sheet, h, h.col(YEAR.name), stat_cols)
    ident = {"area_code": "K04000001", "period": _year_values(sheet, rows, h.col(YEAR.name)),
             "sex": _sex_of_rows(sheet, h, h.col(SEX.name), rows), "age": ALL_AGES}

    def metrics(key: dict[str, str]) -> tuple[str, str]:
        label = key["substance"]
        if re.fullmatch(r"(?:all )?drug poisoning|(?:of which:? )?drug misuse", label):
            m = _measure(label)
            return _METRIC_COUNT[m], METRIC_ASMR[m]
        slug = substance_slug(label)
        return f"drug_poisoning_deaths_{slug}", f"{METRIC_ASMR['poisoning']}_{slug}"

    return _read_rate_blocks(sheet, h, blocks, rows, ident, metrics)


def _read_region_table(sheet: Sheet) -> pd.DataFrame:
    h = find_header(sheet, (YEAR, AREA_CODE, *STATS), what="region table", optional=(AREA_NAME,))
    parents = {"sex": _parent_row(sheet, SEX_BLOCK, h, "Persons/Males/Females heading"),
               "measure": _parent_row(sheet, MEASURE, h, "measure heading (All drug poisoning / Drug misuse)")}
    stat_cols = sorted(c for lab in STATS for c in h.columns[lab.name])
    spans, _ = _spans(sheet, h, stat_cols, parents)
    code_col, year_col = h.col(AREA_CODE.name), h.col(YEAR.name)
    rows = rows_with_codes(sheet, code_col, stat_cols, after=h.row)
    if len(rows) == 0:
        raise sheet.error("the table has no area rows", row=h.row + 1, column=code_col,
                          expected="rows with an area code like E12000009 below the header")
    # the year stands on the first row of each block: carry it down
    body = sheet.values.loc[h.row + 1: int(rows.max()), year_col]
    text = body.map(normalise_label)
    is_year = text.str.fullmatch(r"(?:19|20)\d{2}")
    other = text.ne("") & ~is_year
    year = text.where(is_year).ffill()
    if other.loc[:rows.max()].any():
        r = int(other.index[other.to_numpy()][0])
        raise sheet.error("not a year of registration", row=r, column=year_col, value=body[r], expected="a year like 2022")
    years = year.loc[rows]
    if years.isna().any():
        r = int(years.index[years.isna().to_numpy()][0])
        raise sheet.error("an area row before any year", row=r, column=year_col, expected="a year above the area rows")
    codes = sheet.values.loc[rows, code_col].astype(str).str.strip()
    key = codes + " " + years.astype(str)
    dup = key.duplicated(keep=False)
    if dup.any():
        raise sheet.error(f"area and year '{key[dup].iloc[0]}' appear twice", row=[int(r) for r in key.index[dup]],
                          column=code_col, expected="one row per area and year")
    blocks_by_sex: dict[str, list[dict[str, Any]]] = {}
    for b in _stat_blocks(sheet, h, spans):
        sex = _SEXES.get(b["key"]["sex"])
        if sex is None:
            raise sheet.error("not a sex heading", row=parents["sex"], column=b["first"], value=b["key"]["sex"],
                              expected="'Persons', 'Males' or 'Females'")
        blocks_by_sex.setdefault(sex, []).append(b)
    parts = []
    for sex, blocks in blocks_by_sex.items():
        ident = {"area_code": codes.to_numpy(dtype=object), "period": years.to_numpy(dtype=object), "sex": sex,
                 "age": ALL_AGES}

        def metrics(key: dict[str, str]) -> tuple[str, str]:
            m = _measure(key["measure"])
            return _METRIC_COUNT[m], METRIC_ASMR[m]

        parts.append(_read_rate_blocks(sheet, h, blocks, rows, ident, metrics))
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- read
def _dedupe(df: pd.DataFrame, path: str) -> pd.DataFrame:
    """Counts given by several tables: check they agree, keep one."""
    key = ["metric_id", "area_code", "period", "sex", "age"]
    dup = df.duplicated(key, keep=False)
    if dup.any():
        d = df[dup]
        g = d.groupby(key, sort=False)
        same = g["count"].transform(lambda s: s.nunique(dropna=False) == 1) & \
            g["value"].transform(lambda s: s.nunique(dropna=False) == 1)
        if not same.all():
            bad = d[~same.to_numpy()]
            first = bad.iloc[0]
            others = bad[(bad[key] == first[key]).all(axis=1)]
            places = ", ".join(f"{w} row {r} ({v:g})" for w, r, v in zip(others["_where"], others["_row"],
                                                                         others["value"], strict=True))
            # name the first cell that differs from the first table giving the figure
            differs = (others[["count", "value"]].astype(str) != [str(first["count"]), str(first["value"])]).any(axis=1)
            odd = others[differs.to_numpy()].iloc[0]
            sheet, col = str(odd["_where"]).rsplit("!", 1)
            raise CdpInputError(
                f"tables disagree on {first['metric_id']} {first['area_code']} {first['period']} {first['sex']} "
                f"{first['age']}: {places}", file=path, sheet=sheet, row=int(odd["_row"]), column=col,
                value=float(odd["value"]), expected="the same number of deaths in every table")
    return df.drop_duplicates(key, keep="first")


def read(path: str | os.PathLike[str], *, engine: str | None = None) -> pd.DataFrame:
    """Read an ONS *Deaths related to drug poisoning in England and Wales* reference workbook.

    Parameters
    ----------
    path
        The workbook as published (``2022registrations.xlsx``).
    engine
        Workbook reader (``"calamine"``, ``"openpyxl"``, ``"xlrd"``); default calamine.

    Returns
    -------
    pandas.DataFrame
        :data:`~cdp_analysis.data.schema.OBSERVATION_COLUMNS` rows as described in the module
        docstring (counts; rates **per million**), ``source`` :data:`SOURCE`, ``edition``
        ``'<year> registrations'``.

    Raises
    ------
    CdpInputError
        A table's sheet not found by its title; a header row or a merged heading not found
        (naming the labels expected); text where a number should be; tables disagreeing
        on a count. Names the file, sheet, spreadsheet row and column.
    """
    path = str(path)
    with Workbook(path, engine=engine) as book:
        tables = _find_tables(book)
        edition = detect_edition(book)
        parts = [
            _read_country_table(book.sheet(tables["cause"][0]), "cause"),
            _read_country_table(book.sheet(tables["age"][0]), "age"),
            _read_substance_table(book.sheet(tables["substance"][0]), tables["substance"][1]),
            _read_region_table(book.sheet(tables["region"][0])),
        ]
    df = _dedupe(pd.concat(parts, ignore_index=True), path)
    df = df.drop(columns=["_row", "_where"])
    add_period_bounds(df)
    df["source"] = SOURCE
    df["denominator"] = np.nan
    df["edition"] = edition
    for col in ("count", "denominator", "value", "lower_95", "upper_95"):
        df[col] = df[col].astype(float)
    df = df[list(OBSERVATION_COLUMNS)].reset_index(drop=True)
    return check_observations(df, file=path)


def mark_revised(con: Any, source: str = SOURCE) -> None:
    """Flag superseded rows: add ``r`` to the ``status`` of every row of ``source`` that a later
    edition also gives (same metric, area, period, sex and age), and clear a stale ``r`` from
    rows that no later edition gives. Runs in the store after each ingest of these workbooks.

    Editions compare as text (``'2021 registrations' < '2022 registrations'``).
    """
    con.execute(
        """
        UPDATE observations
        SET status = trim(regexp_replace(coalesce(status, ''), '(^| )r( |$)', ' ', 'g'))
        WHERE source = ? AND regexp_matches(coalesce(status, ''), '(^| )r( |$)')
        """,
        [source],
    )
    con.execute(
        """
        UPDATE observations AS o
        SET status = trim(coalesce(o.status, '') || ' r')
        WHERE o.source = ? AND EXISTS (
            SELECT 1 FROM observations AS n
            WHERE n.source = o.source AND n.metric_id = o.metric_id AND n.area_code = o.area_code
              AND n.period = o.period AND n.sex = o.sex AND n.age = o.age AND n.edition > o.edition)
        """,
        [source],
    )


SPECS = [
    SourceSpec("observations", SOURCE, "raw/ons_drug_deaths/original/*registrations.xls*", read,
               after=mark_revised,
               description="ONS deaths related to drug poisoning, national tables (E&W, countries, regions)"),
]
