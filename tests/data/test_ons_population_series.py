"""The Nomis population series loader (LA 1997-2020, regions 1991-2020) and ESP2013 bands.

Published figure: BCP (E06000058) mid-2020 = 396,989 (as in the ONS MYE2 workbook for mid-2020).
Other figures are read by hand from the raw files with the csv module in the tests.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.data.schema import POPULATION_COLUMNS
from cdp_analysis.data.sources import ons_population_series as ps
from cdp_analysis.data.store import Store, ingest
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[2]
LA = ROOT / "data" / "raw" / "population" / "la_pop_estimates.csv"
REGIONS = ROOT / "data" / "raw" / "population" / "pop_region_25nov2022.csv"
BCP, DORSET, SW = "E06000058", "E06000059", "E12000009"


@pytest.fixture(scope="module")
def la() -> pd.DataFrame:
    df = ps.read_la(LA)
    return df


@pytest.fixture(scope="module")
def regions() -> pd.DataFrame:
    return ps.read_regions(REGIONS)


@pytest.fixture(scope="module")
def la_rows() -> list[list[str]]:
    with open(LA, newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


@pytest.fixture(scope="module")
def region_rows() -> list[list[str]]:
    with open(REGIONS, newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


def _pop(df: pd.DataFrame, code: str, year: int, age: int | None = None) -> float:
    sel = (df["area_code"] == code) & (df["year"] == year)
    if age is not None:
        sel &= df["age"] == age
        assert sel.sum() == 1
    return df.loc[sel, "population"].sum(min_count=1)


# ------------------------------------------------------------------ published / hand-read figures
def test_bcp_mid_2020_published_total(la: pd.DataFrame) -> None:
    assert _pop(la, BCP, 2020) == 396_989


def test_shape_and_schema(la: pd.DataFrame, regions: pd.DataFrame) -> None:
    assert list(la.columns) == list(POPULATION_COLUMNS)
    assert la["area_code"].nunique() == 374 and sorted(la["year"].unique()) == list(range(1997, 2021))
    assert len(la) == 8_976 * 91  # 374 areas x 24 years (PROVENANCE says 368 areas; 8,976 rows)
    assert set(la["sex"]) == {"persons"} and sorted(la["age"].unique()) == list(range(91))
    assert set(la["edition"]) == {"1997-2020 local authorities (Nomis)"}
    assert regions["area_code"].nunique() == 9 and len(regions) == 9 * 30 * 91
    assert set(regions["edition"]) == {"1991-2020 regions (Nomis)"}
    assert set(la["source"]) == set(regions["source"]) == {"ons_mye_nomis"}


def test_values_read_by_hand(la: pd.DataFrame, la_rows: list[list[str]], regions: pd.DataFrame,
                             region_rows: list[list[str]]) -> None:
    head = la_rows[0]
    for row in la_rows[1:]:
        if row[head.index("code")] == DORSET and row[head.index("year")] == "2015":
            assert _pop(la, DORSET, 2015, 40) == float(row[head.index("Age 40")])
            assert _pop(la, DORSET, 2015, 90) == float(row[head.index("Aged 90+")])
            break
    else:
        raise AssertionError("Dorset 2015 not found")
    rhead = region_rows[0]
    total = next(r for r in region_rows if r[0] == "All Ages" and r[1] == "South West")
    assert _pop(regions, SW, 2020) == float(total[rhead.index("2020")])
    age30 = next(r for r in region_rows if r[0] == "Age 30" and r[1] == "East")
    assert _pop(regions, "E12000006", 1995, 30) == float(age30[rhead.index("1995")])


def test_not_available_is_missing_never_zero(la: pd.DataFrame, regions: pd.DataFrame) -> None:
    old = la[(la["area_code"] == BCP) & (la["year"] == 1997)].set_index("age")["population"]
    assert old.loc[85:].isna().all() and old.loc[:84].notna().all()
    ni = la[(la["area_code"].str.startswith("N")) & (la["year"] == 1999)]
    assert len(ni) and ni["population"].isna().all()
    assert not (la["population"] == 0).any() or la.loc[la["population"] == 0, "year"].min() > 2000
    assert regions.loc[(regions["year"] == 1991) & (regions["age"] >= 85), "population"].isna().all()


def test_age_bands_esp2013(la: pd.DataFrame) -> None:
    bcp = la[(la["area_code"] == BCP) & la["year"].isin([1997, 2020])]
    bands = ps.age_bands(bcp)
    assert bands["age_band"].tolist()[:19] == [*(f"{a}-{a + 4}" for a in range(0, 90, 5)), "90+"]
    b20 = bands[bands["year"] == 2020]
    assert len(b20) == 19 and b20["population"].sum() == 396_989
    assert b20.loc[b20["age_band"] == "90+", "population"].item() == _pop(la, BCP, 2020, 90)
    assert b20.loc[b20["age_band"] == "0-4", "population"].item() == sum(_pop(la, BCP, 2020, a) for a in range(5))
    b97 = bands[bands["year"] == 1997].set_index("age_band")["population"]
    assert np.isnan(b97["85-89"]) and np.isnan(b97["90+"]) and b97["80-84"] > 0
    with pytest.raises(CdpInputError):
        ps.age_bands(bcp, [5, 10])


def test_read_dispatches_on_header(la: pd.DataFrame) -> None:
    small = ps.read(REGIONS)
    assert set(small["edition"]) == {"1991-2020 regions (Nomis)"}


# ------------------------------------------------------------------ layouts
def test_shifted_and_reordered_copy_parses_identically(la_rows: list[list[str]], region_rows: list[list[str]],
                                                         la: pd.DataFrame, regions: pd.DataFrame,
                                                         tmp_path: Path) -> None:
    # LA: two title lines, a blank, then columns in another order
    order = [1, 2, 0, *range(3, len(la_rows[0]))][::-1]
    path = tmp_path / "la.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Population estimates - local authority based by single year of age"])
        w.writerow(["Source: ONS via Nomis"])
        w.writerow([])
        for row in la_rows:
            w.writerow([row[i] for i in order])
    pd.testing.assert_frame_equal(ps.read_la(path), la)
    # regions: a title line and upper-case headers
    rpath = tmp_path / "regions.csv"
    with open(rpath, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Mid-year population estimates, regions"])
        w.writerow([c.upper() for c in region_rows[0]])
        w.writerows(region_rows[1:])
    pd.testing.assert_frame_equal(ps.read_regions(rpath), regions)


def test_renamed_header(la_rows: list[list[str]], tmp_path: Path) -> None:
    path = tmp_path / "renamed.csv"
    head = ["GSS" if c == "code" else c for c in la_rows[0]]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        w.writerows(la_rows[1:50])
    with pytest.raises(CdpInputError) as info:
        ps.read_la(path)
    err = info.value
    assert (err.file, err.row, err.column, err.value) == (str(path), 1, "B", "GSS")
    assert "'code'" in err.expected


def test_text_in_a_cell(la_rows: list[list[str]], tmp_path: Path) -> None:
    path = tmp_path / "text.csv"
    rows = [list(r) for r in la_rows[:20]]
    rows[5][rows[0].index("Age 3")] = "n/a"
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(CdpInputError, match="Age 3") as info:
        ps.read_la(path)
    assert info.value.row == 6


def test_region_totals_checked(region_rows: list[list[str]], tmp_path: Path) -> None:
    rows = [list(r) for r in region_rows]
    i = next(i for i, r in enumerate(rows) if r[0] == "Age 40" and r[1] == "London")
    rows[i][-1] = str(int(rows[i][-1]) + 1000)
    path = tmp_path / "bad.csv"
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(CdpInputError, match="All Ages") as info:
        ps.read_regions(path)
    assert info.value.column == "AF"


# ------------------------------------------------------------------ through the store
def test_ingest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "raw" / "population").mkdir(parents=True)
    shutil.copy(REGIONS, data / "raw" / "population" / REGIONS.name)
    result = ingest(data, tmp_path / "t.duckdb")
    assert [f["rows"] for f in result.files] == [9 * 30 * 91]
    with Store(tmp_path / "t.duckdb", read_only=True) as s:
        sw = s.population(area=SW, year=2020)
    assert sw["population"].sum() == _pop(ps.read_regions(REGIONS), SW, 2020)
