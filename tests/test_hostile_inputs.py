"""Hostile inputs for every loader: each file is parsed correctly or rejected naming its place.

The corpus is ``tests/data/bad/`` (small CSVs, written by ``tests/data/bad/make_bad.py``);
hostile workbooks and the 200,000-row files are made at test time from the shipped data.
A rejected file is ingested into a copy of a real store: the ingest must raise
:class:`CdpInputError` naming the file, row and column, and leave the DuckDB file
byte-identical (SHA-256) with the same :meth:`Store.content_digest`.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from tests_support import BAD, assert_rejected, built_store, corpus, load_make_bad, store_copy

from cdp_analysis.data.store import Store, ingest
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"

make_bad = load_make_bad()

#: where each loader's file goes in a data folder
DEST = {
    "returns": "returns/pan_dorset.csv",
    "ho_seizures": "raw/police/home_office_drug_seizures_by_pfa/Seizures17-18.csv",
    "police_uk": "raw/police/x/2024-01-dorset-street.csv",
    "fingertips": "raw/fingertips/export.csv",
    "moj_reoffending": "raw/reoffending/proven_reoffending_data.csv",
    "ons_population_series": "raw/population/la_pop_estimates.csv",
    "ons_deaths_la": "raw/ons_drug_deaths/original/2021localauthorities.xlsx",
    "ons_population": "raw/population/original/mye22final.xlsx",
    "ons_deaths_national": "raw/ons_drug_deaths/original/2022registrations.xlsx",
}


# --------------------------------------------------------------------------- the store
@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> tuple[Path, Path]:
    """A data folder (reference tables, pan-Dorset returns) and the store built from it."""
    return built_store(tmp_path_factory.mktemp("base"), returns=True)


def rejected_ingest(base_store, tmp_path: Path, loader: str, content: bytes | Path) -> CdpInputError:
    """Put ``content`` where ``loader`` reads it, ingest, and check the store did not change."""
    return assert_rejected(*store_copy(base_store, tmp_path), DEST[loader], content)


def test_corpus_files_are_what_make_bad_writes(tmp_path):
    written = make_bad.write_corpus(tmp_path)
    assert len(written) >= 60
    for path in written:
        committed = BAD / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), committed


# --------------------------------------------------------------------------- rejected CSVs
MARKERS = ["[c]", ":", "u", "x", "*", "[x]", ".."]

#: (loader, file, marker, row, column): each must be rejected naming that row and column
REJECTED = [
    # returns: CSV line numbers (header = 1), column names
    ("returns", "title_above_header.csv", None, 1, "metric_id"),
    ("returns", "blank_line_above_header.csv", None, 2, None),
    ("returns", "renamed_header.csv", None, 1, "metric_id"),
    ("returns", "misspelled_optional_header.csv", None, 1, "targt"),
    ("returns", "duplicated_header.csv", None, 1, "value"),
    ("returns", "merged_header_cells.csv", None, 1, "value"),
    ("returns", "trailing_empty_columns.csv", None, 1, "H"),
    ("returns", "footnote_rows.csv", None, 7, "area_code"),
    ("returns", "blank_rows_then_bad_value.csv", None, 7, "value"),
    ("returns", "ragged_row.csv", None, 3, "H"),
    ("returns", "text_in_number.csv", None, 3, "value"),
    ("returns", "bad_separator.csv", None, 3, "value"),
    ("returns", "text_in_target.csv", None, 3, "target"),
    *[("returns", "marker_template.csv", m, 4, "value") for m in MARKERS],
    ("returns", "cp1252.csv", None, 4, "note"),
    ("returns", "empty.csv", None, 1, None),
    ("returns", "only_blank_lines.csv", None, 1, None),
    # the key is three columns together: the second line is named, no single column
    ("returns", "duplicated_key.csv", None, 6, None),
    ("returns", "duplicated_key_fullwidth_period.csv", None, 6, None),
    ("returns", "mixed_period_labels.csv", None, 4, "period"),
    # Home Office seizures: spreadsheet records (the header spans two lines but is record 1)
    ("ho_seizures", "title_above_header.csv", None, 1, "Seizures of drugs by police force area"),
    ("ho_seizures", "renamed_header.csv", None, 1, "Diamorphine"),
    ("ho_seizures", "blank_rows_then_text.csv", None, 6, "Heroin"),
    ("ho_seizures", "footnote_row.csv", None, 5, "All drugs"),
    *[("ho_seizures", "marker_template.csv", m, 3, "Heroin") for m in MARKERS],
    ("ho_seizures", "duplicated_force.csv", None, 5, "Police force"),
    ("ho_seizures", "shifted_columns.csv", None, 4, "Total Class A"),
    ("ho_seizures", "cp1252.csv", None, 4, "Police force"),
    ("ho_seizures", "empty.csv", None, 1, None),
    # police.uk (read by DuckDB): file lines, header names
    ("police_uk", "renamed_header.csv", None, 1, "Offence"),
    ("police_uk", "title_above_header.csv", None, 1, "Dorset Police street-level crime"),
    ("police_uk", "text_in_longitude.csv", None, 4, "Longitude"),
    ("police_uk", "month_mismatch.csv", None, [3], "Month"),
    ("police_uk", "no_crime_type.csv", None, [4], "Crime type"),
    ("police_uk", "footnote_row.csv", None, 5, "Month"),
    ("police_uk", "cp1252.csv", None, 3, "Location"),
    ("police_uk", "empty.csv", None, 1, "Crime ID"),
    # Fingertips, MoJ, ONS population series: CSV records, spreadsheet column letters
    ("fingertips", "renamed_header.csv", None, 1, "E"),
    ("fingertips", "text_in_value.csv", None, 3, "M"),
    *[("fingertips", "marker_template.csv", m, 3, "M") for m in ("[c]", "u", "[x]")],
    ("fingertips", "mixed_period_labels.csv", None, 3, "L"),
    ("fingertips", "cp1252.csv", None, 2, "B"),
    ("fingertips", "empty.csv", None, 1, None),
    ("moj_reoffending", "renamed_header.csv", None, 1, "D"),
    ("moj_reoffending", "text_in_value.csv", None, 3, "F"),
    ("moj_reoffending", "footnote_row.csv", None, 5, "A"),
    ("moj_reoffending", "duplicated_key.csv", None, [3, 4], None),
    ("moj_reoffending", "cp1252.csv", None, 4, "D"),
    ("moj_reoffending", "empty.csv", None, 1, None),
    ("ons_population_series", "text_in_count.csv", None, 3, "CP"),
    ("ons_population_series", "thousands_separators.csv", None, 2, "CP"),
    ("ons_population_series", "duplicated_key.csv", None, [2, 3], "B"),
    ("ons_population_series", "missing_age_column.csv", None, 1, None),
    ("ons_population_series", "empty.csv", None, 1, None),
]


@pytest.mark.parametrize(("loader", "name", "marker", "row", "column"), REJECTED,
                         ids=[f"{c[0]}/{c[1]}" + (f"[{c[2]}]" if c[2] else "") for c in REJECTED])
def test_bad_csv_is_rejected_naming_the_place_and_the_store_is_unchanged(
        base_store, tmp_path, loader, name, marker, row, column):
    err = rejected_ingest(base_store, tmp_path, loader, corpus(loader, name, marker))
    assert (err.row, err.column) == (row, column), str(err)
    assert err.sheet is None
    assert "Traceback" not in str(err)


def test_cp1252_error_shows_the_text_and_how_to_fix_it():
    from cdp_analysis.data.returns import read_returns

    with pytest.raises(CdpInputError) as err:
        read_returns(BAD / "returns" / "cp1252.csv")
    assert err.value.value == "Cost \u00a31,200 \u2013 see report"
    assert "UTF-8" in err.value.expected


# --------------------------------------------------------------------------- parsed CSVs
def test_returns_parsed_with_bom_separators_and_mixed_labels():
    from cdp_analysis.data.returns import read_returns

    bom = read_returns(BAD / "returns" / "utf8_bom.csv")
    assert list(bom.columns[:2]) == ["partnership", "metric_id"]
    assert bom["metric_id"].tolist()[0] == "county_lines_arrests"
    assert bom["value"].tolist() == [38.0, 80.0, 259.0, 2590.0]
    assert bom["source_row"].tolist() == [2, 3, 4, 5]

    sep = read_returns(BAD / "returns" / "thousands_separators.csv")
    assert sep["value"].tolist() == [2590.0, 1234.5, 23756.0, 45.2]
    assert sep["target"].tolist()[0] == 2700.0

    mixed = read_returns(BAD / "returns" / "mixed_period_labels_ok.csv")
    assert mixed["period"].tolist() == ["2023/24 Q1", "2022/23", "2023-06", "2023-01..2023-06", "2023"]
    assert [str(d)[:10] for d in mixed["period_end"]] == [
        "2023-06-30", "2023-03-31", "2023-06-30", "2023-06-30", "2023-12-31"]

    assert len(read_returns(BAD / "returns" / "header_only.csv")) == 0
    note = read_returns(BAD / "returns" / "html_in_note.csv")["note"].tolist()
    assert note == ["<script>alert(1)</script> | =cmd()"]  # kept as text; escaped when rendered


def test_seizures_parsed_with_bom_and_separators():
    # the financial year comes from the file name: read copies named as published
    import tempfile

    from cdp_analysis.data.sources import ho_seizures

    with tempfile.TemporaryDirectory() as d:
        for name in ("ok_bom.csv", "thousands_separators.csv"):
            p = Path(d) / "Seizures17-18.csv"
            p.write_bytes(corpus("ho_seizures", name))
            df = ho_seizures.read(p).set_index(["area_code", "metric_id"])["value"]
            assert df[("E23000032", "drug_seizures_heroin")] == 157.0  # Kent
            assert df[("E23000039", "drug_seizures")] == 1988.0  # Dorset
            assert df[("E23000013", "drug_seizures")] == 1900.0  # Cleveland, "1,900" in one copy
            assert df.index.get_level_values(0).nunique() == 3


def test_police_uk_parsed_with_bom(base_store, tmp_path):
    data, db = store_copy(base_store, tmp_path)
    dest = data / DEST["police_uk"]
    dest.parent.mkdir(parents=True)
    dest.write_bytes(corpus("police_uk", "ok_bom.csv"))
    ingest(data, db)
    with Store(db, read_only=True) as s:
        rows = s.sql("SELECT crime_id, longitude, crime_type, area_code FROM police_crimes ORDER BY crime_type")
    assert rows["crime_type"].tolist() == ["Anti-social behaviour", "Drugs", "Other theft"]
    assert rows["crime_id"].isna().tolist() == [True, False, False]
    assert rows["longitude"].tolist()[2] == -1.985138
    assert math.isnan(rows["longitude"].tolist()[1])


def test_other_csvs_parsed_with_bom_titles_and_blank_rows(tmp_path):
    from cdp_analysis.data.sources import fingertips, moj_reoffending, ons_population_series

    p = tmp_path / "f.csv"
    p.write_bytes(corpus("fingertips", "ok_bom_title.csv"))
    ft = fingertips.read(p).set_index("area_code")
    assert ft.loc["E06000058", "value"] == 52.3 and ft.loc["E06000059", "value"] == 54.6
    assert set(ft["metric_id"]) == {"fingertips_93517"}

    p = tmp_path / "proven_reoffending_data.csv"
    p.write_bytes(corpus("moj_reoffending", "ok_bom.csv"))
    moj = moj_reoffending.read(p)
    assert sorted(moj["value"].round(8)) == [30.81000486, 30.81774107]

    p = tmp_path / "la_pop_estimates.csv"
    p.write_bytes(corpus("ons_population_series", "ok_bom.csv"))
    pop = ons_population_series.read(p)
    assert len(pop) == 91 and set(pop["area_code"]) == {"E06000059"} and set(pop["year"]) == {2020}
    assert pop.set_index("age").loc[90, "population"] == 5000.0


@pytest.mark.parametrize(("marker", "status"), [(":", "x"), ("x", "x"), ("..", "x"), ("*", "c"), ("-", "x")])
def test_fingertips_markers_become_missing_values_with_a_status(tmp_path, marker, status):
    from cdp_analysis.data.sources import fingertips

    p = tmp_path / "f.csv"
    p.write_bytes(corpus("fingertips", "marker_template.csv", marker))
    df = fingertips.read(p).set_index("area_code")
    assert df.loc["E06000058", "value"] == 52.3 and df.loc["E06000058", "status"] == ""
    assert math.isnan(df.loc["E06000059", "value"]) and df.loc["E06000059", "status"] == status


# --------------------------------------------------------------------------- 200,000 rows
def test_200k_row_returns_file_parses_and_a_bad_line_deep_inside_is_named(tmp_path):
    from cdp_analysis.data.returns import read_returns

    path = make_bad.big_returns(tmp_path / "big.csv")
    df = read_returns(path)
    assert len(df) == 200_000 and df["source_row"].iloc[-1] == 200_001
    assert df["value"].iloc[-1] == float(200_001 % 997)
    bad = make_bad.big_returns(tmp_path / "bad.csv", bad_line=150_001)
    with pytest.raises(CdpInputError) as err:
        read_returns(bad)
    assert (err.value.row, err.value.column, err.value.value) == (150_001, "value", "n/a")


def test_200k_row_police_file_ingests_and_a_bad_line_leaves_the_store_unchanged(base_store, tmp_path):
    big = make_bad.big_police(tmp_path / "bad.csv", bad_line=150_001)
    err = rejected_ingest(base_store, tmp_path / "a", "police_uk", big)
    assert (err.row, err.column) == (150_001, "Longitude")
    data, db = store_copy(base_store, tmp_path / "b")
    (data / "raw" / "police" / "x").mkdir(parents=True)
    make_bad.big_police(data / DEST["police_uk"])
    ingest(data, db)
    with Store(db, read_only=True) as s:
        n = s.sql("SELECT count(*) AS n FROM police_crimes")["n"].iloc[0]
        drugs = s.observations("police_uk_drugs", area="E23000039", period="2024-01")
    assert n == 200_000
    assert drugs["count"].tolist() == [sum(1 for k in range(2, 200_002) if k % 3 == 2)]


# --------------------------------------------------------------------------- workbooks
@pytest.fixture(scope="module")
def slim_deaths_la(tmp_path_factory) -> Path:
    """The ONS deaths-by-LA workbook cut to its first 40 rows per table (fast to copy)."""
    src = DATA / DEST["ons_deaths_la"]

    def cut(wb):
        for ws in wb.worksheets:
            if ws.title.startswith("Table") and ws.max_row > 40:
                ws.delete_rows(41, ws.max_row - 40)

    return make_bad.workbook_case(src, tmp_path_factory.mktemp("wb") / "2021localauthorities.xlsx", cut)


def _set(sheet: str, **cells):
    def mutate(wb):
        for ref, value in cells.items():
            wb[sheet][ref] = value
    return mutate


DEATHS_REJECTED = [
    # (case, mutate, sheet, row, column)
    ("renamed header", _set("Table 1", A4="Place identifier"), "Table 1", 4, "A"),
    ("merged header cells", lambda wb: wb["Table 1"].merge_cells("A4:B4"), "Table 1", 4, None),
    ("text in a count", _set("Table 1", E12="n/a"), "Table 1", 12, "E"),
    ("thousands separator as text", _set("Table 1", E12="1,062"), "Table 1", 12, "E"),
    ("marker *", _set("Table 1", E12="*"), "Table 1", 12, "E"),
    ("marker u in a count", _set("Table 1", E12="u"), "Table 1", 12, "E"),
    ("negative count", _set("Table 1", F12=-3), "Table 1", 12, "F"),
    ("figures without an area code", _set("Table 1", A41="Footnote 3", E41=5), "Table 1", 41, "A"),
    ("duplicated area", _set("Table 1", A41="E06000047", E41=62), "Table 1", [12, 41], "A"),
    ("text in a rate", _set("Table 3", F11="high"), "Table 3", 11, "F"),
]


@pytest.mark.parametrize(("case", "mutate", "sheet", "row", "column"), DEATHS_REJECTED,
                         ids=[c[0] for c in DEATHS_REJECTED])
def test_bad_deaths_workbook_rejected_naming_the_cell(base_store, slim_deaths_la, tmp_path, case, mutate, sheet,
                                                      row, column):
    bad = make_bad.workbook_case(slim_deaths_la, tmp_path / "bad" / "2021localauthorities.xlsx", mutate)
    err = rejected_ingest(base_store, tmp_path / "s", "ons_deaths_la", bad)
    assert (err.sheet, err.row, err.column) == (sheet, row, column), str(err)
    assert err.expected


@pytest.mark.parametrize(("case", "mutate", "status"), [
    ("marker [c]", _set("Table 1", E12="[c]"), "c"),
    ("marker :", _set("Table 1", E12=":"), "x"),
    ("marker x", _set("Table 1", E12="x"), "x"),
    ("blank cell", _set("Table 1", E12=None), "x"),
    ("footnote and blank rows", _set("Table 1", A41="Source: ONS", A43="Note 1: registrations"), ""),
    ("header shifted down", lambda wb: wb["Table 1"].insert_rows(3, 3), ""),
])
def test_deaths_workbook_variants_parsed(slim_deaths_la, tmp_path, case, mutate, status):
    from cdp_analysis.data.sources import ons_deaths_la

    path = make_bad.workbook_case(slim_deaths_la, tmp_path / "2021localauthorities.xlsx", mutate)
    df = ons_deaths_la.read(path)
    durham = df[(df.metric_id == "drug_poisoning_deaths") & (df.area_code == "E06000047")].set_index("period")
    assert durham.loc["2020", "count"] == 72.0 and durham.loc["2020", "status"] == ""
    assert durham.loc["2021", "status"] == status
    assert (durham.loc["2021", "count"] == 62.0) if status == "" else math.isnan(durham.loc["2021", "count"])


def test_empty_workbook_rejected(base_store, tmp_path):
    import openpyxl

    path = tmp_path / "2021localauthorities.xlsx"
    openpyxl.Workbook().save(path)
    err = rejected_ingest(base_store, tmp_path / "s", "ons_deaths_la", path)
    assert err.expected
    not_a_workbook = tmp_path / "x" / "2021localauthorities.xlsx"
    not_a_workbook.parent.mkdir()
    not_a_workbook.write_bytes(b"Area code,Deaths\nE06000058,3\n")
    err = rejected_ingest(base_store, tmp_path / "t", "ons_deaths_la", not_a_workbook)
    assert "workbook" in str(err)
