"""The NHS drug-related admissions loader against NHS Digital's published figures and its own totals.

Published figures (NHS Digital, *Statistics on Drug Misuse, England*, press releases of the 2018
and 2020 editions; HSCIC for 2013): admissions with a primary diagnosis of drug-related mental
and behavioural disorders 5,809 in 2009/10, 8,621 in 2015/16, 7,545 in 2016/17, 7,376 in 2018/19
and 7,027 in 2019/20; 61,140 admissions with a primary or secondary diagnosis in 2012/13
(rounded to the nearest 10 in the release); 18,053 admissions for poisoning by drug misuse in
2018/19 and 16,994 in 2019/20. These fix the year labels: the file's ``2016`` is 2015/16.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tests_support import assert_rejected, built_store, csv_rows, store_copy, write_csv

from cdp_analysis.data.sources import nhs_admissions as nhs
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "data" / "raw" / "hospital_admissions" / "nhs_drug_admissions_merged_locations"
MB, ANY, POIS = nhs.MEASURES["primary"], nhs.MEASURES["secondary"], nhs.MEASURES["misuse"]


@pytest.fixture(scope="module")
def england() -> pd.DataFrame:
    return nhs.read(FOLDER / "admissions_England.csv")


@pytest.fixture(scope="module")
def local() -> pd.DataFrame:
    return pd.concat([nhs.read(FOLDER / f"{s}.csv") for s in nhs.MEASURES], ignore_index=True)


def value(df: pd.DataFrame, metric: str, area: str, period: str) -> float:
    rows = df[(df["metric_id"] == metric) & (df["area_code"] == area) & (df["period"] == period)]
    assert len(rows) == 1, (metric, area, period, len(rows))
    return float(rows["count"].iloc[0])


@pytest.mark.parametrize(("metric", "period", "published"), [
    (MB, "2009/10", 5_809), (MB, "2015/16", 8_621), (MB, "2016/17", 7_545), (MB, "2018/19", 7_376),
    (POIS, "2018/19", 18_053),
])
def test_england_matches_nhs_digital(england, metric, period, published):
    assert value(england, metric, "E92000001", period) == published


def test_england_any_diagnosis_2012_13_rounds_to_the_release(england):
    assert round(value(england, ANY, "E92000001", "2012/13"), -1) == 61_140


def test_locations_never_add_up_to_more_than_england(local, england):
    summed = local.groupby(["metric_id", "period"])["count"].sum()
    nat = england.set_index(["metric_id", "period"])["count"]
    both = summed.to_frame("local").join(nat.rename("england"), how="inner")
    assert len(both) == 33
    assert (both["local"] <= both["england"]).all()
    assert (both["local"] >= 0.9 * both["england"]).all()  # 137 locations cover nearly all of England
    # 2019/20, only in the location files, against the published England totals
    assert summed[(MB, "2019/20")] <= 7_027 and summed[(POIS, "2019/20")] <= 16_994


def test_merged_locations_are_exact_unions(local):
    codes = set(local["area_code"])
    assert "E06000028+E06000029" in codes  # Bournemouth and Poole
    assert "E09000001+E09000012" in codes  # City of London and Hackney
    assert "E08000025" in codes  # Birmingham
    raw = {r[0]: r for r in csv_rows(FOLDER / "primary.csv")}
    col = raw["year"].index("Bournemouth and Poole")
    assert value(local, MB, "E06000028+E06000029", "2018/19") == float(raw["2019"][col])
    dorset = raw["year"].index("Dorset")
    assert value(local, MB, "E10000009", "2008/09") == float(raw["2009"][dorset]) == 71


def test_dorset_is_the_county_until_2018_19_then_the_council(local):
    dorset = local[(local["metric_id"] == MB) & local["area_code"].isin(["E10000009", "E06000059"])]
    by = dorset.set_index("period")["area_code"]
    assert by["2018/19"] == "E10000009" and by["2019/20"] == "E06000059"


def test_blanks_are_missing_not_zero(local):
    raw = csv_rows(FOLDER / "primary.csv")
    blanks = sum(cell.strip() == "" for row in raw[1:] for cell in row[1:])
    got = local[local["metric_id"] == MB]
    assert (got["status"] == "x").sum() == blanks and got.loc[got["status"] == "x", "count"].isna().all()


# --------------------------------------------------------------------------- hostile copies
@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> tuple[Path, Path]:
    return built_store(tmp_path_factory.mktemp("nhs"))


def _edited(name: str, tmp: Path, edit) -> Path:
    rows = csv_rows(FOLDER / name)
    edit(rows)
    return write_csv(tmp / name, rows)


HOSTILE = {
    "renamed_year_header": ("primary.csv", lambda rows: rows[0].__setitem__(0, "financial year"), 1, None),
    "text_in_count": ("primary.csv", lambda rows: rows[3].__setitem__(7, "1O2"), 4, "H"),
    "unknown_location": ("misuse.csv", lambda rows: rows[0].__setitem__(34, "Wessex"), 1, "AI"),
    "renamed_england_header": ("admissions_England.csv", lambda rows: rows[0].__setitem__(1, "primary dx"), 1,
                               None),
    "fraction": ("secondary.csv", lambda rows: rows[2].__setitem__(5, "10.5"), 3, "F"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_copy_rejected_with_store_unchanged(case, base_store, tmp_path):
    name, edit, row, column = HOSTILE[case]
    bad = _edited(name, tmp_path, edit)
    data, db = store_copy(base_store, tmp_path / "store")
    err = assert_rejected(data, db, f"raw/hospital_admissions/nhs_drug_admissions_merged_locations/{name}", bad)
    assert err.row == row or (isinstance(row, int) and str(err.row) == str(row)), str(err)
    if column is not None:
        assert err.column == column, str(err)


def test_a_location_table_under_another_name_is_refused(tmp_path):
    p = write_csv(tmp_path / "admissions.csv", csv_rows(FOLDER / "primary.csv"))
    with pytest.raises(CdpInputError, match="'primary', 'secondary', 'misuse' not found"):
        nhs.read(p)
