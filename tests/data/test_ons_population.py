"""The ONS mid-year population estimates loader (MYE2) against the published workbooks.

Published figures checked: Bournemouth, Christchurch and Poole (E06000058), all ages,
persons: mid-2020 396,989 (``ukpopestimatesmid2020on2021geography.xls``); mid-2022 401,898
(``mye22final.xlsx``).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from tests_support import edited_copy

from cdp_analysis.data.schema import POPULATION_COLUMNS, check_population
from cdp_analysis.data.sources import ons_population
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[2]
ORIGINAL = ROOT / "data" / "raw" / "population" / "original"
MID2020 = ORIGINAL / "ukpopestimatesmid2020on2021geography.xls"
MID2021 = ORIGINAL / "ukpopestimatesmid2021on2021geographyfinal.xls"
MID2022 = ORIGINAL / "mye22final.xlsx"
BCP, DORSET = "E06000058", "E06000059"
PERSONS = "MYE2 - Persons"


def _timed(path: Path) -> pd.DataFrame:
    df = ons_population.read(path)
    return df


@pytest.fixture(scope="module")
def mid2020() -> pd.DataFrame:
    return _timed(MID2020)


@pytest.fixture(scope="module")
def mid2021() -> pd.DataFrame:
    return _timed(MID2021)


@pytest.fixture(scope="module")
def mid2022() -> pd.DataFrame:
    return _timed(MID2022)


@pytest.fixture(scope="module")
def book() -> openpyxl.Workbook:
    """mid-2022 workbook loaded once with openpyxl, without the sheets the loader ignores
    (so that edited copies save quickly)."""
    wb = openpyxl.load_workbook(MID2022)
    for name in ("MYE1", "MYE4", "MYE5", "MYE6", "MYEB1"):
        del wb[name]
    return wb


def _row_of(ws, code: str) -> int:
    for (cell,) in ws.iter_rows(min_col=1, max_col=1):
        if cell.value == code:
            return cell.row
    raise AssertionError(code)


def _total(df: pd.DataFrame, area: str, sex: str = "persons") -> float:
    return df.loc[(df["area_code"] == area) & (df["sex"] == sex), "population"].sum()


# ------------------------------------------------------------------ published figures
@pytest.mark.parametrize("which, year, n_areas", [("mid2020", 2020, 420), ("mid2021", 2021, 420),
                                                   ("mid2022", 2022, 404)])
def test_shape_and_schema(request, which: str, year: int, n_areas: int) -> None:
    df = request.getfixturevalue(which)
    assert list(df.columns) == list(POPULATION_COLUMNS)
    check_population(df)
    assert set(df["year"]) == {year}
    assert set(df["source"]) == {"ons_mye"}
    assert df["edition"].str.startswith(f"mid-{year}, published ").all()
    assert set(df["sex"]) == {"persons", "males", "females"}
    assert sorted(df["age"].unique()) == list(range(91))
    assert df["area_code"].nunique() == n_areas
    assert len(df) == n_areas * 3 * 91
    assert not df.duplicated(["area_code", "year", "sex", "age"]).any()
    assert df["population"].notna().all() and df["population"].ge(0).all()


def test_bcp_published_totals(mid2020: pd.DataFrame, mid2021: pd.DataFrame, mid2022: pd.DataFrame) -> None:
    assert _total(mid2022, BCP) == 401_898
    assert _total(mid2020, BCP) == 396_989
    assert _total(mid2022, BCP, "males") + _total(mid2022, BCP, "females") == 401_898
    assert _total(mid2021, BCP) > 0 and _total(mid2021, DORSET) > 0
    # 90 means 90 and over
    top = mid2022[(mid2022["area_code"] == BCP) & (mid2022["age"] == 90)].set_index("sex")["population"]
    assert top.to_dict() == {"persons": 5479, "females": 3647, "males": 1832}


def test_editions() -> None:
    assert ons_population.detect_edition(MID2020) == "mid-2020, published 25 June 2021"
    assert ons_population.detect_edition(MID2022) == "mid-2022, published 26 March 2024"


def test_2023_geography_in_mid2022(mid2022: pd.DataFrame, mid2020: pd.DataFrame) -> None:
    assert "E06000065" in set(mid2022["area_code"])  # North Yorkshire UA (April 2023)
    assert "E06000065" not in set(mid2020["area_code"])


def test_read_areas() -> None:
    areas = ons_population.read_areas(MID2022)
    bcp = areas.set_index("area_code").loc[BCP]
    assert bcp["area_name"] == "Bournemouth, Christchurch and Poole"
    assert bcp["geography"] == "Unitary Authority"
    assert len(areas) == 404


def test_xlrd_engine_agrees(mid2020: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(ons_population.read(MID2020, engine="xlrd"), mid2020)


# ------------------------------------------------------------------ layouts
def test_shifted_layout_parses_identically(book: openpyxl.Workbook, mid2022: pd.DataFrame,
                                           tmp_path: Path) -> None:
    ws = book["MYE2 - Males"]
    ws.insert_rows(2, 4)
    book["MYE2 - Females"].insert_cols(1, 2)
    try:
        path = tmp_path / "shifted.xlsx"
        book.save(path)
    finally:
        ws.delete_rows(2, 4)
        book["MYE2 - Females"].delete_cols(1, 2)
    pd.testing.assert_frame_equal(ons_population.read(path), mid2022)


def test_single_sheet_with_sex_column(mid2020: pd.DataFrame, tmp_path: Path) -> None:
    """A layout with one MYE2 sheet and a Sex column gives the same rows."""
    areas = ["E92000001", BCP, DORSET]
    sub = mid2020[mid2020["area_code"].isin(areas)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "MYE2"
    ws.append(["MYE2: Population estimates by single year of age and sex for local authorities, mid-2020"])
    ws.append([])
    ws.append(["Code", "Name", "Sex", "All ages", *[str(a) for a in range(90)], "90+"])
    for sex, code in (("M", "males"), ("F", "females"), ("All persons", "persons")):
        for area in areas:
            pops = sub[(sub["area_code"] == area) & (sub["sex"] == code)].sort_values("age")["population"]
            ws.append([area, "x", sex, pops.sum(), *pops.tolist()])
    path = tmp_path / "one_sheet.xlsx"
    wb.save(path)
    got = ons_population.read(path)
    assert set(got["edition"]) == {"mid-2020"}
    cols = ["area_code", "sex", "age", "population"]
    key = ["sex", "area_code", "age"]
    want = sub[cols].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[cols].sort_values(key).reset_index(drop=True), want,
                                  check_dtype=False)


# ------------------------------------------------------------------ invalid files
def test_renamed_header(book: openpyxl.Workbook, tmp_path: Path) -> None:
    path = edited_copy(book, tmp_path / "renamed.xlsx", {(PERSONS, "D8"): "Everyone"})
    with pytest.raises(CdpInputError) as info:
        ons_population.read(path)
    err = info.value
    assert (err.file, err.sheet, err.row, err.column, err.value) == (str(path), PERSONS, 8, "D", "Everyone")
    assert "'All ages'" in err.expected


def test_missing_age_column(book: openpyxl.Workbook, tmp_path: Path) -> None:
    path = edited_copy(book, tmp_path / "age.xlsx", {(PERSONS, "H8"): ""})  # header '3'
    with pytest.raises(CdpInputError, match="no column for age 3") as info:
        ons_population.read(path)
    assert (info.value.sheet, info.value.row) == (PERSONS, 8)


def test_text_in_population_cell(book: openpyxl.Workbook, tmp_path: Path) -> None:
    row = _row_of(book[PERSONS], BCP)
    path = edited_copy(book, tmp_path / "text.xlsx", {(PERSONS, f"F{row}"): "c"})
    with pytest.raises(CdpInputError) as info:
        ons_population.read(path)
    err = info.value
    assert (err.sheet, err.row, err.column, err.value) == (PERSONS, row, "F", "c")
    assert "'1'" in err.message  # the age column's header


def test_negative_population(book: openpyxl.Workbook, tmp_path: Path) -> None:
    row = _row_of(book["MYE2 - Females"], DORSET)
    path = edited_copy(book, tmp_path / "neg.xlsx", {("MYE2 - Females", f"E{row}"): -1})
    with pytest.raises(CdpInputError, match="negative") as info:
        ons_population.read(path)
    assert (info.value.sheet, info.value.row, info.value.column) == ("MYE2 - Females", row, "E")


def test_ages_not_adding_up(book: openpyxl.Workbook, tmp_path: Path) -> None:
    ws = book[PERSONS]
    row = _row_of(ws, BCP)
    path = edited_copy(book, tmp_path / "sum.xlsx", {(PERSONS, f"E{row}"): ws[f"E{row}"].value + 1})
    with pytest.raises(CdpInputError, match="add up") as info:
        ons_population.read(path)
    assert (info.value.sheet, info.value.row, info.value.column) == (PERSONS, row, "D")


def test_persons_not_males_plus_females(book: openpyxl.Workbook, tmp_path: Path) -> None:
    ws = book[PERSONS]
    row = _row_of(ws, BCP)
    edits = {(PERSONS, f"E{row}"): ws[f"E{row}"].value + 1, (PERSONS, f"D{row}"): ws[f"D{row}"].value + 1}
    path = edited_copy(book, tmp_path / "sexes.xlsx", edits)
    with pytest.raises(CdpInputError, match="males \\+ females") as info:
        ons_population.read(path)
    assert (info.value.sheet, info.value.row) == (PERSONS, row)


def test_duplicated_area(book: openpyxl.Workbook, tmp_path: Path) -> None:
    ws = book["MYE2 - Males"]
    bcp, dorset = _row_of(ws, BCP), _row_of(ws, DORSET)
    path = edited_copy(book, tmp_path / "dup.xlsx", {("MYE2 - Males", f"A{dorset}"): BCP})
    with pytest.raises(CdpInputError) as info:
        ons_population.read(path)
    assert (info.value.sheet, info.value.row, info.value.column) == ("MYE2 - Males", [bcp, dorset], "A")


def test_no_mye2_sheet(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Cover sheet"
    path = tmp_path / "empty.xlsx"
    wb.save(path)
    with pytest.raises(CdpInputError, match="no MYE2 sheet") as info:
        ons_population.read(path)
    assert info.value.file == str(path)
