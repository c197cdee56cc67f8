"""The ONS drug deaths by local authority loader against the published 2021 workbook.

Published figures checked (ONS, *Deaths related to drug poisoning in England and Wales: 2021
registrations*, local authority tables, ``2021localauthorities.xlsx``): drug misuse deaths
2019-21, BCP (E06000058) 77 deaths, ASMR 6.8 (5.3-8.5) per 100,000; Dorset (E06000059) 55,
5.3 (4.0-7.0); England and Wales (K04000001) drug poisoning deaths registered in 2021: 4,859.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from tests_support import edited_copy

from cdp_analysis.data.schema import OBSERVATION_COLUMNS, check_observations
from cdp_analysis.data.sources import ons_deaths_la
from cdp_analysis.data.sources._excel import Workbook
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[2]
WORKBOOK = ROOT / "data" / "raw" / "ons_drug_deaths" / "original" / "2021localauthorities.xlsx"
BCP, DORSET, EW = "E06000058", "E06000059", "K04000001"


@pytest.fixture(scope="module")
def deaths() -> pd.DataFrame:
    df = ons_deaths_la.read(WORKBOOK)
    return df


@pytest.fixture(scope="module")
def book() -> openpyxl.Workbook:
    """The workbook loaded once with openpyxl, to write edited copies from."""
    return openpyxl.load_workbook(WORKBOOK)


def _find(ws, column: int, value) -> int:
    """Spreadsheet row of the first cell in ``column`` (1-based) equal to ``value``."""
    for row in ws.iter_rows(min_col=column, max_col=column):
        if row[0].value == value:
            return row[0].row
    raise AssertionError(f"{value!r} not found")


def _find_col(ws, row: int, value) -> int:
    for cell in ws[row]:
        if cell.value == value:
            return cell.column
    raise AssertionError(f"{value!r} not found in row {row}")


def _one(df: pd.DataFrame, **where) -> pd.Series:
    mask = np.ones(len(df), dtype=bool)
    for k, v in where.items():
        mask &= (df[k] == v).to_numpy()
    rows = df[mask]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# ------------------------------------------------------------------ published figures
def test_schema_and_shape(deaths: pd.DataFrame) -> None:
    assert list(deaths.columns) == list(OBSERVATION_COLUMNS)
    check_observations(deaths)
    assert set(deaths["source"]) == {"ons_drug_deaths_la"}
    assert set(deaths["edition"]) == {"2021 registrations"}
    assert set(deaths["age"]) == {"all ages"}
    for metric in ("drug_poisoning_deaths", "drug_misuse_deaths"):
        annual = deaths[deaths["metric_id"] == metric]
        assert annual["area_code"].nunique() == 375
        assert sorted(annual["period"].unique()) == [str(y) for y in range(1993, 2022)]
        assert len(annual) == 375 * 29
        assert set(annual["sex"]) == {"persons"}
        assert (annual["count"].dropna() == annual["value"].dropna()).all()
    for metric in ("drug_poisoning_asmr", "drug_misuse_asmr"):
        pooled = deaths[deaths["metric_id"] == metric]
        assert set(pooled["sex"]) == {"persons", "males", "females"}
        assert pooled["area_code"].nunique() == 374  # no England and Wales row in Tables 3-8
        assert pooled["period"].nunique() == 19
        assert {"2001-2003", "2019-2021"} <= set(pooled["period"])
    assert deaths["count"].dropna().ge(0).all()


def test_bcp_and_dorset_misuse_2019_21(deaths: pd.DataFrame) -> None:
    for area, n, rate, lo, hi in ((BCP, 77, 6.8, 5.3, 8.5), (DORSET, 55, 5.3, 4.0, 7.0)):
        row = _one(deaths, metric_id="drug_misuse_asmr", area_code=area, period="2019-2021", sex="persons")
        assert (row["count"], row["value"], row["lower_95"], row["upper_95"]) == (n, rate, lo, hi)
        assert row["status"] == ""
        assert row["period_start"] == pd.Timestamp("2019-01-01")
        assert row["period_end"] == pd.Timestamp("2021-12-31")


def test_england_and_wales_2021(deaths: pd.DataFrame) -> None:
    row = _one(deaths, metric_id="drug_poisoning_deaths", area_code=EW, period="2021")
    assert row["count"] == row["value"] == 4859
    assert row["period_start"] == pd.Timestamp("2021-01-01")
    row = _one(deaths, metric_id="drug_misuse_deaths", area_code=EW, period="2021")
    assert row["count"] == 3060


def test_suppression_and_unreliable_flags(deaths: pd.DataFrame) -> None:
    # Darlington, drug misuse, females: 2018-20 9 deaths, rate ':' (not calculated);
    # 2019-21 13 deaths, rate 8.1 flagged 'U' (Table 8).
    row = _one(deaths, metric_id="drug_misuse_asmr", area_code="E06000005", sex="females", period="2018-2020")
    assert row["count"] == 9 and np.isnan(row["value"]) and np.isnan(row["lower_95"])
    assert row["status"] == "x"
    row = _one(deaths, metric_id="drug_misuse_asmr", area_code="E06000005", sex="females", period="2019-2021")
    assert (row["count"], row["value"], row["lower_95"], row["upper_95"]) == (13, 8.1, 4.3, 13.9)
    assert row["status"] == "u"
    # Dorset females 2019-21: 16 deaths, flagged unreliable
    assert _one(deaths, metric_id="drug_misuse_asmr", area_code=DORSET, sex="females",
                period="2019-2021")["status"] == "u"
    # every flagged rate comes from 10-19 deaths; ':' from fewer than 10 deaths or a blank
    # cell, bar eight published cells with 10-12 deaths and no rate (e.g. Wyre Forest E07000239,
    # misuse 2001-03 to 2003-05), which are carried as published
    pooled = deaths[deaths["metric_id"].str.endswith("asmr")]
    assert pooled.loc[pooled["status"] == "u", "count"].between(10, 19).all()
    x = pooled[pooled["status"] == "x"]
    assert x["value"].isna().all()
    odd = x[x["count"] >= 10]
    assert len(odd) == 8 and odd["count"].le(12).all()


def test_blank_annual_counts_are_missing_not_zero(deaths: pd.DataFrame) -> None:
    blank = deaths[deaths["metric_id"].str.endswith("_deaths") & (deaths["status"] == "x")]
    assert set(zip(blank["metric_id"], blank["area_code"], blank["period"], strict=True)) == {
        ("drug_poisoning_deaths", "E07000135", "2021"),  # Oadby and Wigston
        ("drug_poisoning_deaths", "E09000001", "2021"),  # City of London
        ("drug_misuse_deaths", "E07000163", "2021"),  # Craven
    }
    assert blank["count"].isna().all() and blank["value"].isna().all()


def test_metropolitan_county_blanks(deaths: pd.DataFrame) -> None:
    # Tyne and Wear (E11000007) has blank 3-year cells in most periods: missing, status x
    tw = deaths[(deaths["metric_id"] == "drug_misuse_asmr") & (deaths["area_code"] == "E11000007")]
    assert tw["count"].isna().sum() > 0
    assert (tw.loc[tw["count"].isna(), "status"] == "x").all()


def test_edition_detection() -> None:
    assert ons_deaths_la.detect_edition(WORKBOOK) == "2021 registrations"
    assert ons_deaths_la.EXPECTED_HEADERS["pooled"][:2] == ("Area code", "Area name")


def test_openpyxl_engine_agrees(deaths: pd.DataFrame) -> None:
    other = ons_deaths_la.read(WORKBOOK, engine="openpyxl")
    pd.testing.assert_frame_equal(other, deaths)


# ------------------------------------------------------------------ layout changes
def test_shifted_layout_parses_identically(deaths: pd.DataFrame, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(WORKBOOK)
    book["Table 1"].insert_rows(1, 3)  # title and header three rows lower
    book["Table 2"].insert_rows(3, 1)  # an extra line between title and header
    book["Table 3"].insert_rows(1, 2)
    book["Table 6"].insert_cols(1, 1)  # everything one column to the right
    book["Table 8"].insert_rows(5, 1)  # a blank line between periods and measures
    path = tmp_path / "shifted.xlsx"
    book.save(path)
    pd.testing.assert_frame_equal(ons_deaths_la.read(path), deaths)


# ------------------------------------------------------------------ invalid files
def test_renamed_area_header(book: openpyxl.Workbook, tmp_path: Path) -> None:
    path = edited_copy(book, tmp_path / "renamed.xlsx", {("Table 1", "B4"): "Area labels"})
    with pytest.raises(CdpInputError) as info:
        ons_deaths_la.read(path)
    err = info.value
    assert (err.file, err.sheet, err.row, err.column) == (str(path), "Table 1", 4, "B")
    assert err.value == "Area labels"
    assert "Area name" in err.expected and "Area code" in err.expected


def test_renamed_rate_header(book: openpyxl.Workbook, tmp_path: Path) -> None:
    ws = book["Table 5"]
    rate = ws.cell(row=5, column=_find_col(ws, 5, "Rate 1")).coordinate  # first block, 2019-21
    path = edited_copy(book, tmp_path / "rate.xlsx", {("Table 5", rate): "Ratio"})
    with pytest.raises(CdpInputError) as info:
        ons_deaths_la.read(path)
    err = info.value
    assert (err.sheet, err.row) == ("Table 5", 5)
    assert "'Rate'" in str(err) and "2019" in str(err)


def test_text_in_a_count_cell(book: openpyxl.Workbook, tmp_path: Path) -> None:
    ws = book["Table 2"]
    row, col = _find(ws, 1, BCP), _find_col(ws, 4, 2021)
    cell = ws.cell(row=row, column=col).coordinate
    path = edited_copy(book, tmp_path / "text.xlsx", {("Table 2", cell): "n/a"})
    with pytest.raises(CdpInputError) as info:
        ons_deaths_la.read(path)
    err = info.value
    assert (err.file, err.sheet, err.row, err.column) == (str(path), "Table 2", row, cell.rstrip("0123456789"))
    assert err.value == "n/a"
    assert "count of deaths" in err.expected
    assert "2021" in err.message


def test_negative_pooled_count(book: openpyxl.Workbook, tmp_path: Path) -> None:
    ws = book["Table 7"]
    row = _find(ws, 1, DORSET)
    cell = ws.cell(row=row, column=_find_col(ws, 5, "Deaths")).coordinate
    path = edited_copy(book, tmp_path / "negative.xlsx", {("Table 7", cell): -5})
    with pytest.raises(CdpInputError) as info:
        ons_deaths_la.read(path)
    err = info.value
    assert (err.sheet, err.row, err.column) == ("Table 7", row, "E")
    assert "negative" in err.message


def test_duplicated_area(book: openpyxl.Workbook, tmp_path: Path) -> None:
    ws = book["Table 1"]
    bcp, dorset = _find(ws, 1, BCP), _find(ws, 1, DORSET)
    path = edited_copy(book, tmp_path / "dup.xlsx", {("Table 1", f"A{dorset}"): BCP})
    with pytest.raises(CdpInputError) as info:
        ons_deaths_la.read(path)
    err = info.value
    assert (err.sheet, err.row, err.column) == ("Table 1", [bcp, dorset], "A")


def test_figures_without_area_code(book: openpyxl.Workbook, tmp_path: Path) -> None:
    ws = book["Table 2"]
    row = _find(ws, 1, DORSET)
    path = edited_copy(book, tmp_path / "nocode.xlsx", {("Table 2", f"A{row}"): "Dorset"})
    with pytest.raises(CdpInputError) as info:
        ons_deaths_la.read(path)
    err = info.value
    assert (err.sheet, err.row, err.column, err.value) == ("Table 2", row, "A", "Dorset")


def test_missing_table(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(WORKBOOK)
    del book["Table 2"]
    path = tmp_path / "missing.xlsx"
    book.save(path)
    with pytest.raises(CdpInputError) as info:
        ons_deaths_la.read(path)
    assert info.value.file == str(path)
    assert "drug misuse, persons" in str(info.value)


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_text("not a workbook")
    with pytest.raises(CdpInputError) as info:
        ons_deaths_la.read(path)
    assert info.value.file == str(path)
    with pytest.raises(CdpInputError, match="file not found"):
        Workbook(tmp_path / "absent.xlsx")
