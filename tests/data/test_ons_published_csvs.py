"""The compiled ONS England series and the region x substance table.

Published figures: England drug poisoning / misuse deaths registered in 2023: 5,053 / 3,353
(ONS bulletin, compiled); 2021 (4,532 / 2,846) and 2022 (4,572 / 2,906) as in the ONS 2022
registrations workbook; England and Wales drug poisoning deaths 2020: 4,561 (bulletin), of which
any opiate 2,263 (Table 4).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from tests_support import csv_rows, write_csv

from cdp_analysis.data.schema import OBSERVATION_COLUMNS
from cdp_analysis.data.sources import ons_deaths_national
from cdp_analysis.data.sources import ons_published_csvs as pc
from cdp_analysis.data.store import Store, ingest
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "data" / "raw" / "ons_drug_deaths"
ENGLAND = FOLDER / "published_ons_figures_england_1993_2023.csv"
REGION = FOLDER / "drug_poisoning_registrations_region_substance_1993_2020.csv"
WB2022 = FOLDER / "original" / "2022registrations.xlsx"






@pytest.fixture(scope="module")
def england() -> pd.DataFrame:
    return pc.read(ENGLAND)


@pytest.fixture(scope="module")
def region() -> pd.DataFrame:
    return pc.read(REGION)


@pytest.fixture(scope="module")
def workbook() -> pd.DataFrame:
    return ons_deaths_national.read(WB2022)


def _value(df: pd.DataFrame, metric: str, area: str, period: str) -> float:
    rows = df[(df["metric_id"] == metric) & (df["area_code"] == area) & (df["period"] == period)
              & (df["sex"] == "persons") & (df["age"] == "all ages")]
    assert len(rows) == 1, rows
    return float(rows["value"].iloc[0])


def test_england_published(england: pd.DataFrame, workbook: pd.DataFrame) -> None:
    assert _value(england, "drug_poisoning_deaths", "E92000001", "2023") == 5053
    assert _value(england, "drug_misuse_deaths", "E92000001", "2023") == 3353
    for year, (p, m) in {"2021": (4532, 2846), "2022": (4572, 2906)}.items():
        assert _value(england, "drug_poisoning_deaths", "E92000001", year) == p
        assert _value(england, "drug_misuse_deaths", "E92000001", year) == m
    # the whole overlap agrees with the ONS workbook
    for metric in ("drug_poisoning_deaths", "drug_misuse_deaths"):
        for year in range(1993, 2023):
            assert _value(england, metric, "E92000001", str(year)) == _value(workbook, metric, "E92000001", str(year))
    assert list(england.columns) == list(OBSERVATION_COLUMNS) and len(england) == 62
    assert set(england["edition"]) == {"compiled 1993-2023"}


def test_region_substance(region: pd.DataFrame, workbook: pd.DataFrame) -> None:
    assert _value(region, "drug_poisoning_deaths", "K04000001", "2020") == 4561
    assert _value(region, "drug_poisoning_deaths_any_opiate", "K04000001", "2020") == 2263
    assert _value(region, "drug_poisoning_deaths_any_opiate", "K04000001", "2020") == _value(
        workbook, "drug_poisoning_deaths_any_opiate", "K04000001", "2020")
    raw = csv_rows(REGION)
    sw = [r for r in raw[1:] if r[0] == "2015" and r[1] == "E12000009" and r[3].startswith("02 ")]
    assert len(sw) == 1 and "," in sw[0][3]  # the quoted label with commas
    assert _value(region, "drug_poisoning_deaths_any_opiate", "E12000009", "2015") == float(sw[0][4])
    assert len(region) == 728 and "J99000001" in set(region["area_code"])
    assert set(region["edition"]) == {"2020 registrations"}


def test_shifted_and_reordered_copies(england: pd.DataFrame, region: pd.DataFrame, tmp_path: Path) -> None:
    raw = csv_rows(REGION)
    order = [3, 4, 0, 2, 1]
    rows = [["Deaths related to drug poisoning by selected substances"], [], *[[r[i] for i in order] for r in raw]]
    pd.testing.assert_frame_equal(pc.read(write_csv(tmp_path / "region.csv", rows)), region)
    raw = csv_rows(ENGLAND)
    rows = [["ONS figures"], [c.upper().replace("_", " ") for c in raw[0]], *raw[1:]]
    pd.testing.assert_frame_equal(pc.read(write_csv(tmp_path / "england.csv", rows)), england)


def test_renamed_header_and_bad_cell(tmp_path: Path) -> None:
    raw = csv_rows(REGION)
    rows = [["Year of death registration", "Usual residence code", "Usual residence name", "Substance", "Total"],
            *raw[1:]]
    with pytest.raises(CdpInputError) as info:
        pc.read_region_substance(write_csv(tmp_path / "renamed.csv", rows))
    err = info.value
    assert (err.row, err.column, err.value) == (1, "E", "Total") and "'Deaths'" in err.expected
    raw = csv_rows(ENGLAND)
    raw[3][2] = "about 4500"
    with pytest.raises(CdpInputError) as info:
        pc.read(write_csv(tmp_path / "bad.csv", raw))
    assert (info.value.row, info.value.column) == (4, "C")


def test_ingest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "raw" / "ons_drug_deaths").mkdir(parents=True)
    for f in (ENGLAND, REGION):
        shutil.copy(f, data / "raw" / "ons_drug_deaths" / f.name)
    result = ingest(data, tmp_path / "t.duckdb")
    assert sorted(f["rows"] for f in result.files) == [62, 728]
    with Store(tmp_path / "t.duckdb", read_only=True) as s:
        got = s.observations(metric="drug_poisoning_deaths", area="E92000001", period="2020")
    assert sorted(got["source"]) == ["ons_drug_deaths_compiled", "ons_drug_deaths_region_substance"]
    assert set(got["value"]) == {4312}
