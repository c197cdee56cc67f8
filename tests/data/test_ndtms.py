"""The NDTMS loader against the ViewIt exports and the alcohol-dependence estimates.

Published figures (OHID, *Adult substance misuse treatment statistics*): adults in treatment in
England 311,668 in 2009/10 and 289,215 in 2021/22 (275,896 in 2020/21). Other figures are read
from the raw files with the csv module.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from tests_support import csv_rows, write_csv

from cdp_analysis.data.schema import OBSERVATION_COLUMNS
from cdp_analysis.data.sources import ndtms
from cdp_analysis.data.store import Store, ingest
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "data" / "raw" / "ndtms"
ENGLAND = FOLDER / "ViewIt Export Data_England.csv"
LAS = FOLDER / "ViewIt Export Data_LAs.csv"
ALCOHOL = FOLDER / "Estimates_of_Alcohol_Dependent_Adults_in_England_for_R.csv"






@pytest.fixture(scope="module")
def england() -> pd.DataFrame:
    return ndtms.read(ENGLAND)


@pytest.fixture(scope="module")
def las() -> pd.DataFrame:
    return ndtms.read(LAS)


@pytest.fixture(scope="module")
def alcohol() -> pd.DataFrame:
    return ndtms.read(ALCOHOL)


def _one(df: pd.DataFrame, metric: str, area: str, period: str, sex: str = "persons", age: str = "18+") -> pd.Series:
    rows = df[(df["metric_id"] == metric) & (df["area_code"] == area) & (df["period"] == period)
              & (df["sex"] == sex) & (df["age"] == age)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_england_published_totals(england: pd.DataFrame) -> None:
    assert _one(england, "adults_in_treatment", "E92000001", "2009/10")["value"] == 311_668
    assert _one(england, "adults_in_treatment", "E92000001", "2021/22")["value"] == 289_215
    assert _one(england, "adults_in_treatment", "E92000001", "2020/21")["value"] == 275_896
    assert list(england.columns) == list(OBSERVATION_COLUMNS)
    assert set(england["edition"]) == {"ViewIt England 2009/10-2021/22"}


def test_england_groups_and_upper_case_year(england: pd.DataFrame) -> None:
    # 2021/22 rows are upper case in the file (TOTAL, OPIATES, ...): read the same way
    for period in ("2009/10", "2021/22"):
        groups = england[england["metric_id"].str.startswith("adults_in_treatment_") & (england["period"] == period)
                         & (england["sex"] == "persons") & (england["age"] == "18+")]
        assert len(groups) == 4
        assert groups["value"].sum() == _one(england, "adults_in_treatment", "E92000001", period)["value"]
    raw = csv_rows(ENGLAND)
    head = raw[0]
    hit = [r for r in raw[1:] if r[:5] == ["2021/22", "England", "OPIATES", "M", "30-49"]]
    assert len(hit) == 1
    got = _one(england, "adults_in_treatment_opiate", "E92000001", "2021/22", "males", "30-49")
    assert got["value"] == float(hit[0][head.index("Num_InTreatment_AllInTx")])


def test_la_export(las: pd.DataFrame) -> None:
    raw = csv_rows(LAS)
    head = raw[0]
    tot = [r for r in raw[1:] if r[0] == "2019/20" and r[2].lower() == "total" and r[3].lower() == "total"
           and r[4] == "Total"]
    assert len(tot) == 1
    barnet = "E09000003"
    assert _one(las, "adults_in_treatment", barnet, "2019/20")["value"] == float(tot[0][head.index("intreatment_allintx")])
    assert _one(las, "adults_new_presentations", barnet, "2019/20")["value"] == float(
        tot[0][head.index("newpresentation_newtx")])
    sc = _one(las, "adults_successful_completions", barnet, "2019/20")
    assert sc["value"] == float(tot[0][head.index("exits_successfulcompletion_allintx")])
    assert (las["value"].dropna() % 5 == 0).all()  # LA figures rounded to 5


def test_alcohol_estimates(alcohol: pd.DataFrame) -> None:
    raw = csv_rows(ALCOHOL)
    head = raw[0]
    bmth = [r for r in raw[1:] if r[head.index("Area_Code_GSS")] == "E06000028" and r[head.index("Year")] == "2017/18"]
    got = _one(alcohol, "alcohol_dependent_adults", "E06000028", "2017/18")  # pre-2019 Bournemouth kept
    assert (got["value"], got["lower_95"], got["upper_95"]) == tuple(
        float(bmth[0][head.index(c)]) for c in ("Alcohol_dependent", "Alcohol_lower_CI", "Alcohol_upper_CI"))
    early = _one(alcohol, "alcohol_dependent_adults", "E10000009", "2012")
    assert early["value"] > 0 and pd.isna(early["lower_95"])  # 'NA' limits kept missing
    assert len(alcohol) == 1211 and set(alcohol["source"]) == {"phe_alcohol_dependence_estimates"}


def test_null_strings_and_shifted_header(tmp_path: Path, las: pd.DataFrame) -> None:
    raw = csv_rows(LAS)
    head = raw[0]
    col = head.index("intreatment_allintx")
    rows = [["NDTMS ViewIt export"], [], [h.upper() for h in head], *[list(r) for r in raw[1:]]]
    rows[3 + 5][col] = "NULL"
    got = ndtms.read(write_csv(tmp_path / "la.csv", rows))
    r = raw[1 + 5]
    changed = got[(got["metric_id"] == "adults_in_treatment" + ndtms.drug_group_suffix(r[4]))
                  & (got["period"] == r[0]) & (got["age"] == r[3])
                  & (got["sex"] == {"F": "females", "M": "males"}.get(r[2], "persons"))]
    assert changed["status"].tolist() == ["x"] and changed["value"].isna().all()
    rest = got.drop(changed.index)
    pd.testing.assert_frame_equal(rest.reset_index(drop=True), las.drop(changed.index).reset_index(drop=True))


def test_renamed_header_and_unknown_area(tmp_path: Path) -> None:
    raw = csv_rows(ENGLAND)
    rows = [[("Num_Treated" if c == "Num_InTreatment_AllInTx" else c) for c in raw[0]], *raw[1:30]]
    with pytest.raises(CdpInputError) as info:
        ndtms.read_viewit(write_csv(tmp_path / "renamed.csv", rows))
    err = info.value
    assert (err.row, err.column, err.value) == (1, "F", "Num_Treated")
    assert "Num_InTreatment_AllInTx" in err.expected
    rows = [list(r) for r in raw[:30]]
    rows[7][1] = "Atlantis"
    with pytest.raises(CdpInputError, match="unknown area name") as info:
        ndtms.read(write_csv(tmp_path / "area.csv", rows))
    assert (info.value.row, info.value.column) == (8, "B")


def test_ingest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "raw" / "ndtms").mkdir(parents=True)
    for f in (ENGLAND, LAS, ALCOHOL):
        shutil.copy(f, data / "raw" / "ndtms" / f.name)
    result = ingest(data, tmp_path / "t.duckdb")
    assert sorted(f["rows"] for f in result.files) == [780, 1211, 2340]
    with Store(tmp_path / "t.duckdb", read_only=True) as s:
        got = s.observations(metric="adults_in_treatment", area="E92000001", period="2021/22")
    assert got.loc[got["age"] == "18+", "value"].tolist() == [289_215]
