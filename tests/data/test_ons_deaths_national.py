"""The ONS national drug-poisoning tables loader against the 2021 and 2022 registrations workbooks.

Published figures (ONS, *Deaths related to drug poisoning in England and Wales: 2022
registrations*, bulletin and Tables 1, 4): England and Wales drug poisoning deaths 2022 = 4,907,
age-standardised rate 84.4 per million (82.1-86.8); 2021 = 4,859 (84.4 per million in the 2021
edition, revised to 84.0 in the 2022 edition); drug misuse 2022 = 3,127 (53.9 per million);
England drug poisoning 2022 = 4,572.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cdp_analysis.data.schema import OBSERVATION_COLUMNS
from cdp_analysis.data.sources import ons_deaths_national as dn
from cdp_analysis.data.store import Store, ingest
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[2]
ORIGINAL = ROOT / "data" / "raw" / "ons_drug_deaths" / "original"
WB2021, WB2022 = ORIGINAL / "2021registrations.xlsx", ORIGINAL / "2022registrations.xlsx"
EW, ENGLAND, WALES, SW = "K04000001", "E92000001", "W92000004", "E12000009"
RATE = "drug_poisoning_asmr_national_per_million"


@pytest.fixture(scope="module")
def d2022() -> pd.DataFrame:
    df = dn.read(WB2022)
    return df


@pytest.fixture(scope="module")
def d2021() -> pd.DataFrame:
    return dn.read(WB2021)


@pytest.fixture(scope="module")
def book() -> openpyxl.Workbook:
    return openpyxl.load_workbook(WB2022)


def _one(df: pd.DataFrame, metric: str, area: str, period: str, sex: str = "persons",
         age: str = "all ages") -> pd.Series:
    rows = df[(df["metric_id"] == metric) & (df["area_code"] == area) & (df["period"] == period)
              & (df["sex"] == sex) & (df["age"] == age)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def _row_where(ws, col: int, value) -> int:
    for (cell,) in ws.iter_rows(min_col=col, max_col=col):
        if cell.value == value:
            return cell.row
    raise AssertionError(value)


# ------------------------------------------------------------------ published figures
def test_published_figures_2022(d2022: pd.DataFrame) -> None:
    r = _one(d2022, RATE, EW, "2022")
    assert (r["count"], r["value"], r["lower_95"], r["upper_95"], r["status"]) == (4907, 84.4, 82.1, 86.8, "")
    assert _one(d2022, "drug_poisoning_deaths", EW, "2022")["count"] == 4907
    assert _one(d2022, "drug_poisoning_deaths", EW, "2021")["count"] == 4859
    assert _one(d2022, "drug_misuse_deaths", EW, "2022")["count"] == 3127
    assert _one(d2022, "drug_misuse_asmr_national_per_million", EW, "2022")["value"] == 53.9
    assert _one(d2022, "drug_poisoning_deaths", ENGLAND, "2022")["count"] == 4572
    assert _one(d2022, "drug_misuse_deaths", ENGLAND, "2021")["count"] == 2846


def test_2021_edition_and_its_revision(d2021: pd.DataFrame, d2022: pd.DataFrame) -> None:
    assert set(d2021["edition"]) == {"2021 registrations"} and set(d2022["edition"]) == {"2022 registrations"}
    old, new = _one(d2021, RATE, EW, "2021"), _one(d2022, RATE, EW, "2021")
    assert (old["count"], old["value"]) == (4859, 84.4)
    assert (new["count"], new["value"]) == (4859, 84.0)
    assert _one(d2021, "drug_misuse_asmr_national_per_million", EW, "2021")["value"] == 53.2
    assert _one(d2021, "drug_poisoning_deaths", ENGLAND, "2021")["count"] == 4532
    assert "2022" not in set(d2021["period"])
    # counts for earlier years agree between editions
    for year in ("1993", "2010", "2020"):
        assert _one(d2021, "drug_poisoning_deaths", EW, year)["count"] == _one(d2022, "drug_poisoning_deaths", EW,
                                                                                  year)["count"]


def test_schema_and_breakdowns(d2022: pd.DataFrame) -> None:
    assert list(d2022.columns) == list(OBSERVATION_COLUMNS)
    assert set(d2022["source"]) == {"ons_drug_deaths_national"}
    assert sorted(d2022["period"].unique()) == [str(y) for y in range(1993, 2023)]
    assert set(d2022["area_code"]) == {EW, ENGLAND, WALES, *(f"E120000{i:02d}" for i in range(1, 10))}
    assert set(d2022["sex"]) == {"persons", "males", "females"}
    assert set(d2022["age"]) == {"all ages", "0-19", "20-29", "30-39", "40-49", "50-69", "70+"}
    assert set(d2022["status"]) <= {"", "x", "u"}
    # rates are per million: the E&W rate is deaths per million population, not per 100,000
    ew = d2022[(d2022["metric_id"] == RATE) & (d2022["area_code"] == EW) & (d2022["sex"] == "persons")]
    assert ew["value"].between(30, 100).all()
    ages = d2022[(d2022["metric_id"] == "drug_poisoning_deaths") & (d2022["area_code"] == EW)
                 & (d2022["period"] == "2022") & (d2022["sex"] == "persons")].set_index("age")["count"]
    assert ages.drop("all ages").sum() == ages["all ages"] == 4907
    causes = d2022[d2022["metric_id"].str.startswith("drug_poisoning_deaths_cause_") & (d2022["area_code"] == EW)
                   & (d2022["period"] == "2022") & (d2022["sex"] == "persons")]
    assert len(causes) == 4 and causes["count"].sum() == 4907


def test_values_read_by_hand(book: openpyxl.Workbook, d2022: pd.DataFrame) -> None:
    ws = book["Table 7"]
    row = _row_where(ws, 2, SW)  # first South West row = 2022 block
    assert ws.cell(row - 9, 1).value == 2022
    got = _one(d2022, RATE, SW, "2022")
    assert (got["count"], got["value"]) == (ws.cell(row, 5).value, ws.cell(row, 6).value)
    assert got["lower_95"] == ws.cell(row, 8).value and got["upper_95"] == ws.cell(row, 9).value
    # Table 4: cocaine, persons 2022 (the substance block starting at the 'Cocaine' heading)
    t4 = book["Table 4"]
    col = next(c.column for c in t4[5] if c.value == "Cocaine")
    row = _row_where(t4, 2, 2022)
    cocaine = _one(d2022, "drug_poisoning_deaths_cocaine", EW, "2022")
    assert cocaine["count"] == t4.cell(row, col).value == 857
    rate = _one(d2022, f"{RATE}_cocaine", EW, "2022")
    assert rate["value"] == t4.cell(row, col + 1).value


def test_unreliable_and_not_calculated(d2022: pd.DataFrame) -> None:
    rates = d2022[d2022["metric_id"].str.startswith(RATE)]
    u = rates[rates["status"] == "u"]
    assert len(u) and u["count"].between(10, 19).all() and u["value"].notna().all()
    x = rates[rates["status"] == "x"]
    assert len(x) and x["value"].isna().all()
    assert (x["count"].dropna() < 10).all()


# ------------------------------------------------------------------ layouts
def test_shifted_copy_parses_identically(book: openpyxl.Workbook, d2022: pd.DataFrame, tmp_path: Path) -> None:
    book["Table 4"].insert_rows(3, 2)
    book["Table 7"].insert_cols(1, 1)
    book["Table 1"].insert_rows(4, 1)
    book.move_sheet("Table 7", offset=-5)
    try:
        path = tmp_path / "shifted.xlsx"
        book.save(path)
    finally:
        book.move_sheet("Table 7", offset=5)
        book["Table 4"].delete_rows(3, 2)
        book["Table 7"].delete_cols(1, 1)
        book["Table 1"].delete_rows(4, 1)
    got = dn.read(path)
    pd.testing.assert_frame_equal(got, d2022)


def test_renamed_header(book: openpyxl.Workbook, tmp_path: Path) -> None:
    ws = book["Table 4"]
    old = ws["B6"].value
    ws["B6"] = "Registered"
    try:
        path = tmp_path / "renamed.xlsx"
        book.save(path)
    finally:
        ws["B6"] = old
    with pytest.raises(CdpInputError) as info:
        dn.read(path)
    err = info.value
    assert (err.file, err.sheet, err.row, err.column, err.value) == (str(path), "Table 4", 6, "B", "Registered")
    assert "Year of death registration" in err.expected


def test_text_in_a_count(book: openpyxl.Workbook, tmp_path: Path) -> None:
    ws = book["Table 1"]
    old = ws["E9"].value
    ws["E9"] = "n/a"
    try:
        path = tmp_path / "text.xlsx"
        book.save(path)
    finally:
        ws["E9"] = old
    with pytest.raises(CdpInputError) as info:
        dn.read(path)
    assert (info.value.sheet, info.value.row, info.value.column) == ("Table 1", 9, "E")


def test_tables_must_agree(book: openpyxl.Workbook, tmp_path: Path) -> None:
    ws = book["Table 2"]
    old = ws["E9"].value
    ws["E9"] = old + 1  # England all ages 2022 no longer equals Table 1
    try:
        path = tmp_path / "disagree.xlsx"
        book.save(path)
    finally:
        ws["E9"] = old
    with pytest.raises(CdpInputError, match="tables disagree"):
        dn.read(path)


# ------------------------------------------------------------------ through the store
def test_ingest_marks_revised_rows(tmp_path: Path) -> None:
    data = tmp_path / "data"
    dest = data / "raw" / "ons_drug_deaths" / "original"
    dest.mkdir(parents=True)
    shutil.copy(WB2021, dest / WB2021.name)
    db = tmp_path / "t.duckdb"
    ingest(data, db)
    with Store(db, read_only=True) as s:
        assert not s.sql("SELECT * FROM observations WHERE status LIKE '%r%'").shape[0]
    shutil.copy(WB2022, dest / WB2022.name)
    ingest(data, db)
    with Store(db, read_only=True) as s:
        rows = s.observations(metric=RATE, area=EW, period="2021")
        digest = s.content_digest()
    got = rows.set_index("edition")[["value", "status"]]
    assert got.loc["2021 registrations"].tolist() == [84.4, "r"]
    assert got.loc["2022 registrations"].tolist() == [84.0, ""]
    second = ingest(data, db)
    assert not second.changed
    with Store(db, read_only=True) as s:
        assert s.content_digest() == digest
        current = s.sql("SELECT * FROM observations WHERE metric_id = ? AND area_code = ? AND sex = 'persons' "
                        "AND status NOT LIKE '%r%'", [RATE, EW])
        r2021 = s.sql("SELECT count(*) AS n FROM observations WHERE edition = '2021 registrations' "
                      "AND status NOT LIKE '%r%'")
    assert len(current) == 30 and current["period"].is_unique
    assert r2021["n"].item() == 0  # every 2021-edition figure is also in the 2022 edition
    assert np.isclose(current.set_index("period").loc["2022", "value"], 84.4)
