"""Hostile inputs for the loaders ``tests/test_hostile_inputs.py`` does not cover.

NDTMS exports and the ONS drug-death CSVs (committed corpus ``tests/data/bad/ndtms`` and
``tests/data/bad/ons_published_csvs``, written by ``make_bad.py``), and the publishers'
workbooks: ONS mid-year population estimates (``.xlsx``, and ``.xls`` read through a slim
``.xlsx`` copy of its values), the national drug-death tables, the CSEW drug misuse tables
and the deaths-by-LA workbook's year headings. Every hostile workbook is derived at test time
from a slim copy made once per module. Each case is parsed (values checked) or rejected with
:class:`CdpInputError` naming file, sheet, row and column; a rejected ingest leaves the store
byte-identical with the same :meth:`Store.content_digest`.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from tests_support import BAD, assert_rejected, built_store, corpus, load_make_bad, store_copy

from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
RAW = DATA / "raw"

make_bad = load_make_bad()

#: where each loader's file goes in a data folder (found there by the loader's SPEC pattern)
DEST = {
    "ndtms": "raw/ndtms/ViewIt Export Data_England.csv",
    "ons_published_csvs": "raw/ons_drug_deaths/published_ons_figures_england_1993_2023.csv",
    "ons_population": "raw/population/original/mye22final.xlsx",
    "ons_population_xls": "raw/population/original/ukpopestimatesmid2020on2021geography.xls",
    "ons_population_from_xls": "raw/population/original/ukpopestimatesmid2020on2021geography.xlsx",
    "ons_deaths_national": "raw/ons_drug_deaths/original/2022registrations.xlsx",
    "csew": "raw/surveys/drugsmisusetablesjune22.xlsx",
    "ons_deaths_la": "raw/ons_drug_deaths/original/2021localauthorities.xlsx",
}


# --------------------------------------------------------------------------- the store
@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> tuple[Path, Path]:
    """A data folder holding the reference tables, and the store built from it."""
    return built_store(tmp_path_factory.mktemp("base"))


def rejected_ingest(base_store, tmp_path: Path, dest: str, content: bytes | Path) -> CdpInputError:
    """Put ``content`` at ``dest`` in a copy of the data folder, ingest, and check the store did not change."""
    return assert_rejected(*store_copy(base_store, tmp_path), DEST[dest], content)


def test_corpus_holds_the_new_loaders():
    names = {p.name for p in (BAD / "ndtms").iterdir()} | {p.name for p in (BAD / "ons_published_csvs").iterdir()}
    assert set(make_bad.NDTMS) | set(make_bad.ONS_PUBLISHED) == names


# --------------------------------------------------------------------------- CSVs rejected
#: (loader, file, marker, row, column)
REJECTED_CSV = [
    ("ndtms", "eng_renamed_header.csv", None, 1, "B"),
    ("ndtms", "eng_header_too_low.csv", None, "1-20", None),
    ("ndtms", "eng_footnote_row.csv", None, 6, "C"),
    *[("ndtms", "eng_marker_template.csv", m, 3, "F") for m in ("[c]", "u", "[x]", "..")],
    ("ndtms", "eng_text_in_number.csv", None, 3, "F"),
    ("ndtms", "eng_thousands_separator.csv", None, 2, "F"),
    ("ndtms", "eng_fraction.csv", None, 3, "F"),
    ("ndtms", "eng_duplicated_key.csv", None, [3, 5], None),
    ("ndtms", "eng_bad_period.csv", None, 3, "A"),
    ("ndtms", "eng_unknown_drug_group.csv", None, 3, "C"),
    ("ndtms", "la_unknown_area.csv", None, 3, "B"),
    ("ndtms", "la_cp1252.csv", None, 3, "B"),
    ("ndtms", "la_text_in_second_measure.csv", None, 3, "G"),
    ("ndtms", "alcohol_bad_code.csv", None, 3, "C"),
    ("ndtms", "alcohol_duplicated_key.csv", None, [3, 5], "C"),
    ("ndtms", "alcohol_text_in_limit.csv", None, 2, "F"),
    ("ndtms", "unknown_layout.csv", None, "1-20", None),
    ("ndtms", "empty.csv", None, 1, None),
    ("ons_published_csvs", "eng_renamed_header.csv", None, 1, "C"),
    ("ons_published_csvs", "eng_renamed_both.csv", None, "1-20", None),
    ("ons_published_csvs", "eng_footnote_row.csv", None, 5, "A"),
    *[("ons_published_csvs", "eng_marker_template.csv", m, 3, "D") for m in ("u", "*", "NULL")],
    ("ons_published_csvs", "eng_text_in_number.csv", None, 3, "C"),
    ("ons_published_csvs", "eng_thousands_separator.csv", None, 2, "C"),
    ("ons_published_csvs", "eng_bad_year.csv", None, 3, "B"),
    ("ons_published_csvs", "eng_duplicated_key.csv", None, [3, 5], None),
    ("ons_published_csvs", "eng_cp1252.csv", None, 4, "E"),
    ("ons_published_csvs", "region_bad_code.csv", None, 3, "B"),
    ("ons_published_csvs", "region_duplicated_key.csv", None, [4, 5], None),
    ("ons_published_csvs", "region_text_in_deaths.csv", None, 3, "E"),
    # a substance label of digits only used to become metric 'drug_poisoning_deaths_01'
    ("ons_published_csvs", "region_no_substance.csv", None, 3, "D"),
    ("ons_published_csvs", "unknown_layout.csv", None, "1-20", None),
    ("ons_published_csvs", "empty.csv", None, 1, None),
]


@pytest.mark.parametrize(("loader", "name", "marker", "row", "column"), REJECTED_CSV,
                         ids=[f"{c[0]}/{c[1]}" + (f"[{c[2]}]" if c[2] else "") for c in REJECTED_CSV])
def test_bad_csv_rejected_naming_the_place_and_the_store_is_unchanged(base_store, tmp_path, loader, name, marker,
                                                                      row, column):
    err = rejected_ingest(base_store, tmp_path, loader, corpus(loader, name, marker))
    assert (err.row, err.column) == (row, column), str(err)
    assert err.sheet is None
    assert err.expected


def test_cp1252_errors_show_the_text(tmp_path):
    from cdp_analysis.data.sources import ndtms, ons_published_csvs

    for mod, loader, name, text in [(ndtms, "ndtms", "la_cp1252.csv", "Barnet \u2013 north"),
                                    (ons_published_csvs, "ons_published_csvs", "eng_cp1252.csv",
                                     "\u00a3 \u2013 provisional")]:
        with pytest.raises(CdpInputError) as err:
            mod.read(BAD / loader / name)
        assert err.value.value == text and "UTF-8" in err.value.expected


# --------------------------------------------------------------------------- CSVs parsed
def _by(df, *key):
    return df.set_index(list(key))


def test_ndtms_parsed_with_bom_title_blank_rows_and_markers(tmp_path):
    from cdp_analysis.data.sources import ndtms

    for name in ("eng_ok_bom_title.csv", "eng_blank_rows.csv"):
        df = _by(ndtms.read(BAD / "ndtms" / name), "metric_id", "period", "age")
        assert len(df) == 3 and set(df["area_code"]) == {"E92000001"} and set(df["sex"]) == {"persons"}
        assert df.loc[("adults_in_treatment", "2021/22", "18+"), "value"] == 289215.0
        assert df.loc[("adults_in_treatment_opiate", "2021/22", "18+"), "count"] == 140863.0
        assert df.loc[("adults_in_treatment", "2020/21", "18-29"), "value"] == 85310.0
        assert (df["status"] == "").all()
        assert df["edition"].iloc[0] == "ViewIt England 2020/21-2021/22"
    for marker, status in [(":", "x"), ("x", "x"), ("*", "c"), ("NULL", "x"), ("-", "x")]:
        p = tmp_path / f"m{len(marker)}{status}.csv"
        p.write_bytes(corpus("ndtms", "eng_marker_template.csv", marker))
        df = _by(ndtms.read(p), "metric_id", "period", "age")
        row = df.loc[("adults_in_treatment_opiate", "2021/22", "18+")]
        assert math.isnan(row["value"]) and row["status"] == status, marker
        assert df.loc[("adults_in_treatment", "2021/22", "18+"), "value"] == 289215.0


def test_ndtms_la_and_alcohol_parsed():
    from cdp_analysis.data.sources import ndtms

    la = _by(ndtms.read(BAD / "ndtms" / "la_ok.csv"), "metric_id", "area_code", "sex", "age")
    assert len(la) == 9
    assert la.loc[("adults_in_treatment", "E06000059", "persons", "18+"), "value"] == 1230.0
    assert la.loc[("adults_new_presentations", "E06000059", "persons", "18+"), "value"] == 560.0
    assert la.loc[("adults_in_treatment_opiate", "E09000003", "males", "30-49"), "value"] == 195.0
    done = la.loc[("adults_successful_completions", "E09000003", "females", "18-29")]
    assert math.isnan(done["value"]) and done["status"] == "x"  # NULL

    alc = _by(ndtms.read(BAD / "ndtms" / "alcohol_ok.csv"), "area_code", "period")
    assert alc.loc[("E10000009", "2017/18"), ["value", "lower_95", "upper_95"]].tolist() == [4102.0, 3161.0, 5706.0]
    old = alc.loc[("E09000003", "2012")]
    assert old["value"] == 2073.0 and math.isnan(old["lower_95"]) and old["status"] == ""
    assert alc["edition"].iloc[0] == "2012-2017/18"


def test_ons_published_csvs_parsed_with_bom_title_blank_rows_and_markers(tmp_path):
    from cdp_analysis.data.sources import ons_published_csvs

    for name in ("eng_ok_bom_title.csv", "eng_blank_rows.csv"):
        df = _by(ons_published_csvs.read(BAD / "ons_published_csvs" / name), "metric_id", "period", "sex")
        assert len(df) == 6 and set(df["area_code"]) == {"E92000001"}
        assert df.loc[("drug_poisoning_deaths", "2023", "persons"), "value"] == 5053.0
        assert df.loc[("drug_misuse_deaths", "2022", "persons"), "count"] == 2906.0
        assert df.loc[("drug_poisoning_deaths", "2022", "males"), "value"] == 3127.0
        assert df["edition"].iloc[0] == "compiled 2022-2023"
    for marker, status in [(":", "x"), ("x", "x"), ("[x]", "x"), ("..", "x"), ("[c]", "c"), ("-", "x")]:
        p = tmp_path / f"m{len(marker)}{status}{marker.isalpha()}.csv"
        p.write_bytes(corpus("ons_published_csvs", "eng_marker_template.csv", marker))
        df = _by(ons_published_csvs.read(p), "metric_id", "period", "sex")
        row = df.loc[("drug_misuse_deaths", "2022", "persons")]
        assert math.isnan(row["value"]) and row["status"] == status, marker
        assert df.loc[("drug_poisoning_deaths", "2022", "persons"), "value"] == 4572.0

    reg = _by(ons_published_csvs.read(BAD / "ons_published_csvs" / "region_ok.csv"), "metric_id", "area_code")
    assert reg.loc[("drug_poisoning_deaths_any_opiate", "E12000001"), "value"] == 191.0  # label quoted, with commas
    assert reg.loc[("drug_poisoning_deaths", "E12000009"), "value"] == 402.0
    assert set(reg["period"]) == {"2020"} and reg["edition"].iloc[0] == "2020 registrations"


# --------------------------------------------------------------------------- workbooks
def _set(sheet: str, **cells):
    def mutate(wb):
        for ref, value in cells.items():
            wb[sheet][ref] = value
    return mutate


def _merge(sheet: str, cells: str):
    return lambda wb: wb[sheet].merge_cells(cells)


def _insert(sheet: str, at: int, n: int):
    return lambda wb: wb[sheet].insert_rows(at, n)


def _only(*sheets: str):
    """For :func:`make_bad.slim_workbook`: every row of ``sheets`` (row numbers kept), no other sheet."""
    return lambda sheet, row, values: True if sheet in sheets else None


MYE_KEEP = {"E12000009", "E06000058", "E06000059"}  # South West, BCP, Dorset (plus the first 22 areas)


def _keep_mye(sheet: str, row: int, values: list) -> bool | None:
    """The cover sheet (publication date) and the MYE2 sheets: title and header rows 1-8, the UK,
    countries and North East areas in rows 9-30, then South West, BCP and Dorset (rows 31-33)."""
    if sheet.startswith("MYE2"):
        return row == 0 or row <= 30 or (bool(values) and str(values[0]).strip() in MYE_KEEP)
    if sheet == "Cover sheet":
        return row <= 30
    return None


@pytest.fixture(scope="module")
def slim_mye(tmp_path_factory) -> Path:
    src = RAW / "population" / "original" / "mye22final.xlsx"
    return make_bad.slim_workbook(src, tmp_path_factory.mktemp("mye") / "mye22final.xlsx", _keep_mye)


@pytest.fixture(scope="module")
def slim_mye_xls(tmp_path_factory) -> Path:
    """The mid-2020 ``.xls`` edition's values in a slim ``.xlsx`` (openpyxl cannot write ``.xls``)."""
    src = RAW / "population" / "original" / "ukpopestimatesmid2020on2021geography.xls"
    return make_bad.slim_workbook(src, tmp_path_factory.mktemp("xls") / "mid2020.xlsx", _keep_mye)


@pytest.fixture(scope="module")
def slim_national(tmp_path_factory) -> Path:
    src = RAW / "ons_drug_deaths" / "original" / "2022registrations.xlsx"
    return make_bad.slim_workbook(src, tmp_path_factory.mktemp("nat") / "2022registrations.xlsx",
                                  _only("Table 1", "Table 2", "Table 4", "Table 7"))


@pytest.fixture(scope="module")
def slim_csew(tmp_path_factory) -> Path:
    src = RAW / "surveys" / "drugsmisusetablesjune22.xlsx"
    return make_bad.slim_workbook(src, tmp_path_factory.mktemp("csew") / "drugsmisusetablesjune22.xlsx",
                                  _only("1.01", "1.02", "1.03", "1.07", "1.08", "1.09"))


@pytest.fixture(scope="module")
def slim_la(tmp_path_factory) -> Path:
    """The deaths-by-LA workbook's tables, cut to 40 rows."""
    src = RAW / "ons_drug_deaths" / "original" / "2021localauthorities.xlsx"
    return make_bad.slim_workbook(src, tmp_path_factory.mktemp("la") / "2021localauthorities.xlsx",
                                  lambda sheet, row, values: row <= 40 if sheet.startswith("Table") else None)


P = "MYE2 - Persons"
#: (case, mutate, sheet, row, column); Dorset is row 33 of each MYE2 sheet
MYE_REJECTED = [
    ("renamed header", _set(P, A8="Area ID"), P, 8, "A"),
    ("merged header cells swallow age 1", _merge(P, "E8:F8"), P, 8, None),
    ("merged Code and Name", _merge(P, "A8:B8"), P, 8, None),
    ("text in a count", _set(P, E33="n/a"), P, 33, "E"),
    ("thousands separator as text", _set(P, E33="2,769"), P, 33, "E"),
    *[(f"marker {m}", _set(P, E33=m), P, 33, "E") for m in ("[c]", ":", "u", "x", "*")],
    ("blank count", _set(P, E33=None), P, 33, "E"),
    ("negative count", _set(P, E33=-2769), P, 33, "E"),
    ("all ages not the sum", _set(P, D33=383275), P, 33, "D"),
    ("figures without an area code", _set(P, A34="Total", D34=5), P, 34, "A"),
    ("duplicated area", _set(P, A34="E06000059", B34="Dorset", D34=1), P, [33, 34], "A"),
    ("persons not males + females", _set(P, E33=2770, D33=383275), P, 33, None),
]


@pytest.mark.parametrize(("case", "mutate", "sheet", "row", "column"), MYE_REJECTED, ids=[c[0] for c in MYE_REJECTED])
def test_bad_population_workbook_rejected_naming_the_cell(base_store, slim_mye, tmp_path, case, mutate, sheet, row,
                                                          column):
    bad = make_bad.workbook_case(slim_mye, tmp_path / "bad" / "mye22final.xlsx", mutate)
    err = rejected_ingest(base_store, tmp_path / "s", "ons_population", bad)
    assert (err.sheet, err.row, err.column) == (sheet, row, column), str(err)
    assert err.expected


def _dorset(df, sex="persons"):
    return df[(df.area_code == "E06000059") & (df.sex == sex)].set_index("age")["population"]


@pytest.mark.parametrize(("case", "mutate"), [
    ("as sliced", lambda wb: None),
    ("header shifted down", _insert(P, 3, 3)),
    ("footnote and blank rows", _set(P, A35="Source: ONS mid-year estimates", A37="Note 1: rounded")),
    ("count typed as text", _set(P, E33="2769", D33="383274")),
])
def test_population_workbook_variants_parsed(slim_mye, tmp_path, case, mutate):
    from cdp_analysis.data.sources import ons_population

    path = make_bad.workbook_case(slim_mye, tmp_path / "mye22final.xlsx", mutate)
    df = ons_population.read(path)
    assert df["area_code"].nunique() == 25 and set(df["year"]) == {2022}
    assert df["edition"].iloc[0] == "mid-2022, published 26 March 2024"
    dorset = _dorset(df)
    assert dorset.sum() == 383274 and dorset[0] == 2769 and len(dorset) == 91
    assert _dorset(df, "males")[0] + _dorset(df, "females")[0] == 2769


def test_population_xls_edition_values_parsed_from_a_slim_copy(slim_mye_xls):
    from cdp_analysis.data.sources import ons_population

    df = ons_population.read(slim_mye_xls)
    assert df["edition"].iloc[0] == "mid-2020, published 25 June 2021"
    dorset = _dorset(df)
    assert dorset.sum() == 379791 and dorset[0] == 2741 and dorset[90] == 6086
    # the .xls holds many counts as text ('67081234'): read as numbers
    uk = df[(df.area_code == "K02000001") & (df.sex == "persons")]["population"]
    assert uk.sum() == 67081234


def test_bad_population_xls_values_rejected(base_store, slim_mye_xls, tmp_path):
    bad = make_bad.workbook_case(slim_mye_xls, tmp_path / "bad" / "x.xlsx", _set(P, F33="2,870"))
    err = rejected_ingest(base_store, tmp_path / "s", "ons_population_from_xls", bad)
    assert (err.sheet, err.row, err.column, err.value) == (P, 33, "F", "2,870")


@pytest.mark.parametrize("content", [b"", b"Code,Name,All ages\nE06000059,Dorset,379791\n",
                                     b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100])
def test_population_xls_empty_or_not_a_workbook_rejected(base_store, tmp_path, content):
    err = rejected_ingest(base_store, tmp_path, "ons_population_xls", content)
    assert "workbook" in str(err) and err.expected == "an .xlsx or .xls workbook"


def test_population_workbook_without_mye2_rejected(base_store, tmp_path):
    import openpyxl

    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    err = rejected_ingest(base_store, tmp_path / "s", "ons_population", path)
    assert "no MYE2 sheet" in str(err) and "sheets found" in err.expected


T1, T2, T4, T7 = "Table 1", "Table 2", "Table 4", "Table 7"
NATIONAL_REJECTED = [
    ("renamed header", _set(T1, B7="Registration year"), T1, 7, "B"),
    # a merged header cell swallowing a country heading used to drop that column silently
    ("merged cell swallows England", _merge(T1, "D7:E7"), T1, 7, "E"),
    ("merged cell swallows Wales (age table)", _merge(T2, "E7:F7"), T2, 7, "F"),
    ("merged cause heading", _merge(T1, "D5:L5"), T1, 9, "L"),
    ("merged measure heading", _merge(T1, "D6:H6"), T1, 9, "H"),
    ("merged Deaths and Rate", _merge(T4, "D6:E6"), T4, 6, "D"),
    ("merged measure heading (region table)", _merge(T7, "E6:K6"), T7, 7, "K"),
    ("text in a count", _set(T1, D9="n/a"), T1, 9, "D"),
    ("thousands separator as text", _set(T1, D9="4,907"), T1, 9, "D"),
    ("marker u in a count", _set(T1, L9="u"), T1, 9, "L"),
    ("marker * in a count", _set(T1, L9="*"), T1, 9, "L"),
    ("figures without a year", _set(T1, A116="Total", D116=5), T1, 116, "B"),
    ("tables disagree", _set(T2, D9=4908), T2, 9, "D"),
    ("duplicated area", _set(T7, B11="E12000001"), T7, [10, 11], "B"),
    ("text in a rate", _set(T4, E8="high"), T4, 8, "E"),
    ("number in the flag column", _set(T4, F8=3), T4, 8, "F"),
]


@pytest.mark.parametrize(("case", "mutate", "sheet", "row", "column"), NATIONAL_REJECTED,
                         ids=[c[0] for c in NATIONAL_REJECTED])
def test_bad_national_deaths_workbook_rejected_naming_the_cell(base_store, slim_national, tmp_path, case, mutate,
                                                               sheet, row, column):
    bad = make_bad.workbook_case(slim_national, tmp_path / "bad" / "2022registrations.xlsx", mutate)
    err = rejected_ingest(base_store, tmp_path / "s", "ons_deaths_national", bad)
    assert (err.sheet, err.row, err.column) == (sheet, row, column), str(err)
    assert err.expected


@pytest.mark.parametrize(("case", "mutate", "status"), [
    ("as sliced", lambda wb: None, ""),
    ("marker [c]", _set(T1, L9="[c]"), "c"),
    ("marker :", _set(T1, L9=":"), "x"),
    ("blank cell", _set(T1, L9=None), "x"),
    ("footnote and blank rows", _set(T1, A117="Source: ONS", B119="Note 3: registrations"), ""),
    ("header shifted down", _insert(T1, 4, 3), ""),
])
def test_national_deaths_workbook_variants_parsed(slim_national, tmp_path, case, mutate, status):
    from cdp_analysis.data.sources import ons_deaths_national

    path = make_bad.workbook_case(slim_national, tmp_path / "2022registrations.xlsx", mutate)
    df = ons_deaths_national.read(path)
    assert df["edition"].iloc[0] == "2022 registrations"
    key = df.set_index(["metric_id", "area_code", "period", "sex", "age"])
    assert key.loc[("drug_poisoning_deaths", "K04000001", "2022", "persons", "all ages"), "count"] == 4907.0
    assert key.loc[("drug_poisoning_deaths", "E92000001", "2022", "persons", "all ages"), "count"] == 4572.0
    cause = key.loc[("drug_poisoning_deaths_cause_mental_behavioural", "K04000001", "2022", "persons", "all ages")]
    assert cause["status"] == status
    assert (cause["count"] == 131.0) if status == "" else math.isnan(cause["count"])


C = "1.02"
CSEW_REJECTED = [
    ("renamed header", _set(C, A8="Substance"), C, 8, "A"),
    # a merged header cell swallowing a survey year used to drop that year silently
    ("merged cell swallows 1997", _merge(C, "B8:C8"), C, 8, "C"),
    ("merged cell swallows 2011/12", _merge(C, "L8:M8"), C, 8, "M"),
    ("text in a percentage", _set(C, B32="n/a"), C, 32, "B"),
    ("percent sign", _set(C, B32="11.2%"), C, 32, "B"),
    ("thousands separator in the base", _set(C, B33="10,746"), C, 33, "B"),
    ("marker u", _set(C, B32="u"), C, 32, "B"),
    ("marker *", _set(C, B32="*"), C, 32, "B"),
    ("percentage above 100", _set(C, B32=112), C, 32, "B"),
    ("duplicated drug row", _set(C, A30="Any drug"), C, [30, 32], "A"),
]


@pytest.mark.parametrize(("case", "mutate", "sheet", "row", "column"), CSEW_REJECTED, ids=[c[0] for c in CSEW_REJECTED])
def test_bad_csew_workbook_rejected_naming_the_cell(base_store, slim_csew, tmp_path, case, mutate, sheet, row, column):
    bad = make_bad.workbook_case(slim_csew, tmp_path / "bad" / "drugsmisusetablesjune22.xlsx", mutate)
    err = rejected_ingest(base_store, tmp_path / "s", "csew", bad)
    assert (err.sheet, err.row, err.column) == (sheet, row, column), str(err)
    assert err.expected


@pytest.mark.parametrize(("case", "mutate", "status"), [
    ("as sliced", lambda wb: None, ""),
    ("marker [c]", _set(C, B32="[c]"), "c"),
    ("marker :", _set(C, B32=":"), "x"),
    ("marker [x]", _set(C, B32="[x]"), "x"),
    ("footnote and blank rows", _set(C, A35="Source: CSEW", A37="Note: [x] not asked"), ""),
    ("header shifted down", _insert(C, 4, 3), ""),
    # the title used to be looked for in the top 3 rows only
    ("title shifted down", _insert(C, 1, 3), ""),
])
def test_csew_workbook_variants_parsed(slim_csew, tmp_path, case, mutate, status):
    from cdp_analysis.data.sources import csew

    path = make_bad.workbook_case(slim_csew, tmp_path / "drugsmisusetablesjune22.xlsx", mutate)
    df = csew.read(path)
    assert len(df) == 276 and df["edition"].iloc[0] == "year ending June 2022"
    key = df.set_index(["metric_id", "age", "period"])
    row = key.loc[("csew_any_drug_use_last_year", "16-59", "1995")]
    assert row["denominator"] == 10746.0 and row["status"] == status
    assert round(row["value"], 6) == 11.216243 if status == "" else math.isnan(row["value"])


LA_REJECTED = [
    # the previous engineer's worry: a merged header cell swallowing a year column dropped that year silently
    ("merged cell swallows 2021", _merge("Table 1", "D4:E4"), "Table 1", 4, "E"),
    ("merged cell swallows 2020", _merge("Table 1", "E4:F4"), "Table 1", 4, "F"),
    ("merged cell swallows 2020 (misuse)", _merge("Table 2", "E4:F4"), "Table 2", 4, "F"),
    ("year heading deleted", _set("Table 1", H4=None), "Table 1", 4, "H"),
]


@pytest.mark.parametrize(("case", "mutate", "sheet", "row", "column"), LA_REJECTED, ids=[c[0] for c in LA_REJECTED])
def test_deaths_la_year_heading_lost_is_rejected(base_store, slim_la, tmp_path, case, mutate, sheet, row, column):
    bad = make_bad.workbook_case(slim_la, tmp_path / "bad" / "2021localauthorities.xlsx", mutate)
    err = rejected_ingest(base_store, tmp_path / "s", "ons_deaths_la", bad)
    assert (err.sheet, err.row, err.column) == (sheet, row, column), str(err)
    assert "under no year heading" in err.message


def test_empty_and_non_workbooks_rejected(base_store, tmp_path):
    import openpyxl

    empty = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(empty)
    for n, (dest, content, text) in enumerate([
        ("ons_deaths_national", empty, "with the cause table"),
        ("csew", empty, "prevalence tables found are []"),
        ("ons_deaths_national", b"", "cannot be read as a workbook"),
        ("csew", b"Drug type,1995\nAny drug,11.2\n", "cannot be read as a workbook"),
    ]):
        err = rejected_ingest(base_store, tmp_path / str(n), dest, content)
        assert text in str(err), str(err)
