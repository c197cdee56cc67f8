"""The Fingertips CSV export loader against the three shipped exports and edited copies.

Figures are read independently from the raw files with the csv module (Fingertips shows the same
values on its website: indicator 93495, 2017, England 16.9%, Dorset county 14.1%, Bournemouth 18.0%).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from tests_support import csv_rows, write_csv

from cdp_analysis.data.schema import OBSERVATION_COLUMNS
from cdp_analysis.data.sources import fingertips as ft
from cdp_analysis.data.store import Store, ingest
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "data" / "raw" / "fingertips"
CMD = FOLDER / "indicator-93495-all-areas.csv"
ALCOHOL = FOLDER / "unmet_alcohol.csv"




@pytest.fixture(scope="module")
def cmd() -> pd.DataFrame:
    return ft.read(CMD)


@pytest.fixture(scope="module")
def cmd_rows() -> list[list[str]]:
    return csv_rows(CMD)


def _one(df: pd.DataFrame, area: str, period: str, metric: str = "fingertips_93495") -> pd.Series:
    rows = df[(df["metric_id"] == metric) & (df["area_code"] == area) & (df["period"] == period)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_values_read_by_hand(cmd: pd.DataFrame, cmd_rows: list[list[str]]) -> None:
    head = cmd_rows[0]
    by_code = {r[head.index("Area Code")]: r for r in cmd_rows[1:]}
    for code, shown in (("E92000001", 16.9), ("E10000009", 14.1), ("E06000028", 18.0)):
        got, raw = _one(cmd, code, "2017"), by_code[code]
        assert got["value"] == float(raw[head.index("Value")]) and round(got["value"], 1) == shown
        assert got["lower_95"] == float(raw[head.index("Lower CI 95.0 limit")])
        assert got["count"] == float(raw[head.index("Count")])
        assert got["denominator"] == float(raw[head.index("Denominator")])
    assert list(cmd.columns) == list(OBSERVATION_COLUMNS)
    assert len(cmd) == 704 and set(cmd["age"]) == {"16+"} and set(cmd["sex"]) == {"persons"}
    assert set(cmd["source"]) == {"ohid_fingertips"} and set(cmd["edition"]) == {CMD.name}
    assert "nE38000006" in set(cmd["area_code"])  # Fingertips pseudo-code kept as published


def test_financial_years_and_extra_columns() -> None:
    obs = ft.read(ALCOHOL)
    raw = csv_rows(ALCOHOL)
    head = raw[0]
    eng = [r for r in raw[1:] if r[head.index("Area Code")] == "E92000001" and r[head.index("Time period")] == "2019/20"]
    assert _one(obs, "E92000001", "2019/20", "fingertips_93532")["value"] == float(eng[0][head.index("Value")])
    row = _one(obs, "E92000001", "2019/20", "fingertips_93532")
    assert (str(row["period_start"].date()), str(row["period_end"].date())) == ("2019-04-01", "2020-03-31")
    extra = ft.read_extra(ALCOHOL)
    assert len(extra) == len(raw) - 1
    assert set(extra["compared_to_parent_label"]) == {"Column not used"}
    assert set(extra["compared_to_england"]) <= {"Similar", "Better", "Worse", "Not compared"}
    assert "Cannot be calculated" in set(extra["recent_trend"])




def test_newer_export_layout(tmp_path: Path) -> None:
    """Columns in another order, a title line, pooled periods, categories, a newline in a name."""
    head = ["Area Code", "Indicator ID", "Indicator Name", "Area Name", "Area Type", "Sex", "Age", "Category Type",
            "Category", "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Count",
            "Denominator", "Value note", "Recent Trend", "Compared to England value or percentiles",
            "Compared to Region value or percentiles", "Time period Sortable", "New data", "Compared to goal"]
    name = "Deaths from drug misuse\n(3-year pooled)"
    body = [
        ["E06000058", "92432", name, "BCP", "UA", "Persons", "All ages", "", "", "2019 - 21", "6.8", "5.3", "8.5",
         "77", "1131000", "", "Increasing", "Worse", "Similar", "20190000", "New data", ""],
        ["E06000059", "92432", name, "Dorset", "UA", "Male", "All ages", "", "", "2019 - 21", "", "", "", "",
         "", "Value suppressed for disclosure control", "", "", "", "20190000", "", ""],
        ["E06000059", "92432", name, "Dorset", "UA", "Persons", "All ages", "Deprivation decile", "Most deprived",
         "2019 - 21", "9.9", "", "", "12", "", "", "", "", "", "20190000", "", ""],
        ["E06000059", "90244", "Successful completion", "Dorset", "UA", "Persons", "18+ yrs", "", "",
         "2020/21 - 22/23", "5.1", "4.0", "6.2", "51", "1000", "", "", "Lower", "Similar", "20200000", "", ""],
    ]
    path = write_csv(tmp_path / "export.csv", [["Fingertips export"], head, *body])
    obs = ft.read(path)
    assert len(obs) == 3  # the category row is not an area figure
    bcp = _one(obs, "E06000058", "2019-2021", "fingertips_92432")
    assert (bcp["value"], bcp["lower_95"], bcp["count"], bcp["age"]) == (6.8, 5.3, 77, "all ages")
    sup = obs[(obs["area_code"] == "E06000059") & (obs["metric_id"] == "fingertips_92432")].iloc[0]
    assert sup["sex"] == "males" and sup["status"] == "c" and pd.isna(sup["value"])
    pooled = _one(obs, "E06000059", "2020/21-2022/23", "fingertips_90244")
    assert (str(pooled["period_start"].date()), str(pooled["period_end"].date())) == ("2020-04-01", "2023-03-31")
    extra = ft.read_extra(path)
    assert len(extra) == 4 and extra["indicator_name"].iloc[0] == "Deaths from drug misuse (3-year pooled)"
    assert extra["compared_to_parent_label"].iloc[0] == "Compared to Region value or percentiles"
    assert extra.loc[2, "category"] == "Most deprived"


def test_renamed_header(cmd_rows: list[list[str]], tmp_path: Path) -> None:
    rows = [["Area" if c == "Area Code" else c for c in cmd_rows[0]], *cmd_rows[1:20]]
    with pytest.raises(CdpInputError) as info:
        ft.read(write_csv(tmp_path / "renamed.csv", rows))
    err = info.value
    assert err.row == 1 and "'Area Code'" in err.expected
    assert (err.column, err.value) == ("E", "Area")


def test_bad_time_period(cmd_rows: list[list[str]], tmp_path: Path) -> None:
    rows = [list(r) for r in cmd_rows[:10]]
    rows[4][cmd_rows[0].index("Time period")] = "Winter 2017"
    with pytest.raises(CdpInputError, match="time period") as info:
        ft.read(write_csv(tmp_path / "period.csv", rows))
    assert (info.value.row, info.value.column) == (5, "L")


def test_ingest_keeps_extra_columns(tmp_path: Path) -> None:
    data = tmp_path / "data"
    dest = data / "raw" / "fingertips"
    dest.mkdir(parents=True)
    for f in FOLDER.glob("*.csv"):
        shutil.copy(f, dest / f.name)
    db = tmp_path / "t.duckdb"
    ingest(data, db)
    with Store(db, read_only=True) as s:
        n_obs = s.sql("SELECT count(*) AS n FROM observations")["n"].item()
        extra = s.sql("SELECT * FROM fingertips_extra")
        digest = s.content_digest()
    assert n_obs == 704 + 17 + 13 and len(extra) == n_obs
    assert set(extra["source_file"]) == {f"raw/fingertips/{f.name}" for f in FOLDER.glob("*.csv")}
    assert not ingest(data, db).changed
    with Store(db, read_only=True) as s:
        assert s.content_digest() == digest
    # an analyst drops in a changed export: its rows are replaced in both tables
    rows = csv_rows(dest / "unmet_opiates.csv")
    write_csv(dest / "unmet_opiates.csv", rows[:5])
    ingest(data, db)
    with Store(db, read_only=True) as s:
        n = s.sql("SELECT count(*) AS n FROM fingertips_extra WHERE source_file LIKE '%unmet_opiates%'")["n"].item()
        m = s.sql("SELECT count(*) AS n FROM observations WHERE metric_id = 'fingertips_93517'")["n"].item()
    assert n == m == 4
