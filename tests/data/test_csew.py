"""The CSEW drug misuse tables loader against the year ending June 2022 workbook.

Published figures (ONS, *Drug misuse in England and Wales: year ending June 2022*): 9.2% of
adults aged 16 to 59 and 18.6% of those aged 16 to 24 used a drug in the last year; year ending
March 2020: 9.4% and 21.0%. The year ending March 2023 figures of docs/references/domain.md §5 (9.5% / 17.6%)
are not in this edition. Every value is also checked against the sheet read by hand with openpyxl.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cdp_analysis.data.schema import OBSERVATION_COLUMNS
from cdp_analysis.data.sources import csew
from cdp_analysis.data.store import Store, ingest
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[2]
WORKBOOK = ROOT / "data" / "raw" / "surveys" / "drugsmisusetablesjune22.xlsx"
YE_JUNE_2022 = "2021-10..2022-06"


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return csew.read(WORKBOOK)


@pytest.fixture(scope="module")
def book() -> openpyxl.Workbook:
    return openpyxl.load_workbook(WORKBOOK)


def _one(df: pd.DataFrame, metric: str, age: str, period: str) -> pd.Series:
    rows = df[(df["metric_id"] == metric) & (df["age"] == age) & (df["period"] == period)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def _cell(ws, row_label: str, col_label: str) -> object:
    head = next(r for r in ws.iter_rows() if r[0].value == "Drug type")
    col = next(c.column for c in head if c.value == col_label)
    row = next(r for r in ws.iter_rows() if r[0].value == row_label)
    return ws.cell(row[0].row, col).value


def test_published_figures(df: pd.DataFrame) -> None:
    assert round(_one(df, "csew_any_drug_use_last_year", "16-59", YE_JUNE_2022)["value"], 1) == 9.2
    assert round(_one(df, "csew_any_drug_use_last_year", "16-24", YE_JUNE_2022)["value"], 1) == 18.6
    assert round(_one(df, "csew_any_drug_use_last_year", "16-59", "2019/20")["value"], 1) == 9.4
    assert round(_one(df, "csew_any_drug_use_last_year", "16-24", "2019/20")["value"], 1) == 21.0
    assert "2022/23" not in set(df["period"]) and "2021/22" not in set(df["period"])


def test_values_read_by_hand(df: pd.DataFrame, book: openpyxl.Workbook) -> None:
    for sheet, age in (("1.02", "16-59"), ("1.08", "16-24")):
        ws = book[sheet]
        got = _one(df, "csew_any_drug_use_last_year", age, YE_JUNE_2022)
        assert got["value"] == _cell(ws, "Any drug [note 3]", "Oct 2021 to Jun 2022")
        assert got["denominator"] == _cell(ws, "Unweighted base - number of adults [note 4]", "Oct 2021 to Jun 2022")
        march = _one(df, "csew_any_class_a_drug_use_last_year", age, "2019/20")
        assert march["value"] == _cell(ws, "Any Class A drug [note 2]", "Apr 2019 to Mar 2020")
    first = _one(df, "csew_any_drug_use_ever", "16-59", "1995")
    assert first["value"] == _cell(book["1.01"], "Any drug [note 3]", "Jan 1995 to Dec 1995")
    assert (str(first["period_start"].date()), str(first["period_end"].date())) == ("1995-01-01", "1995-12-31")


def test_schema(df: pd.DataFrame) -> None:
    assert list(df.columns) == list(OBSERVATION_COLUMNS)
    assert set(df["metric_id"]) == set(csew.METRICS)
    assert set(df["edition"]) == {"year ending June 2022"}
    assert set(df["age"]) == {"16-59", "16-24"} and set(df["area_code"]) == {"K04000001"}
    assert df["value"].dropna().between(0, 100).all()
    x = df[df["status"] == "x"]
    assert x["value"].isna().all()


def _save(book: openpyxl.Workbook, path: Path) -> Path:
    book.save(path)
    return path


def test_shifted_copy_parses_identically(book: openpyxl.Workbook, df: pd.DataFrame, tmp_path: Path) -> None:
    book["1.02"].insert_rows(3, 3)
    book["1.08"].insert_cols(1, 2)
    book.move_sheet("1.08", offset=-3)
    try:
        path = _save(book, tmp_path / "shifted.xlsx")
    finally:
        book.move_sheet("1.08", offset=3)
        book["1.02"].delete_rows(3, 3)
        book["1.08"].delete_cols(1, 2)
    pd.testing.assert_frame_equal(csew.read(path), df)


def test_renamed_header(book: openpyxl.Workbook, tmp_path: Path) -> None:
    ws = book["1.02"]
    row = next(r for r in ws.iter_rows() if r[0].value == "Drug type")[0].row
    ws.cell(row, 1).value = "Substance"
    try:
        path = _save(book, tmp_path / "renamed.xlsx")
    finally:
        ws.cell(row, 1).value = "Drug type"
    with pytest.raises(CdpInputError) as info:
        csew.read(path)
    err = info.value
    assert (err.file, err.sheet, err.row, err.column, err.value) == (str(path), "1.02", row, "A", "Substance")
    assert "'Drug type'" in err.expected


def test_missing_drug_row(book: openpyxl.Workbook, tmp_path: Path) -> None:
    ws = book["1.08"]
    row = next(r for r in ws.iter_rows() if r[0].value == "Any drug [note 3]")[0].row
    ws.cell(row, 1).value = "All drugs"
    try:
        path = _save(book, tmp_path / "row.xlsx")
    finally:
        ws.cell(row, 1).value = "Any drug [note 3]"
    with pytest.raises(CdpInputError, match="no rows for drug type") as info:
        csew.read(path)
    assert (info.value.sheet, info.value.column) == ("1.08", "A")


def test_ingest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "raw" / "surveys").mkdir(parents=True)
    shutil.copy(WORKBOOK, data / "raw" / "surveys" / WORKBOOK.name)
    result = ingest(data, tmp_path / "t.duckdb")
    assert [f["rows"] for f in result.files] == [276]
    with Store(tmp_path / "t.duckdb", read_only=True) as s:
        got = s.observations(metric="csew_any_drug_use_last_year", period=YE_JUNE_2022)
    assert sorted(got["age"]) == ["16-24", "16-59"]
