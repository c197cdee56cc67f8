"""The MoJ proven reoffending loader against the national CSV.

Figures are read independently from the raw file with the csv module. The bulletin figure in
docs/references/domain.md §5 (Oct-Dec 2018 cohort, 28.1% overall) is not covered by this file (cohorts 2000 to
March 2014), so it is not asserted.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cdp_analysis.data.schema import OBSERVATION_COLUMNS
from cdp_analysis.data.sources import moj_reoffending as mr
from cdp_analysis.data.store import Store, ingest
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT / "data" / "raw" / "reoffending" / "proven_reoffending_data.csv"


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return mr.read(FILE)


@pytest.fixture(scope="module")
def raw() -> list[dict[str, str]]:
    with open(FILE, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _raw(raw: list[dict[str, str]], measure: str, unit: str, date: str, group: str, rate: str) -> float:
    hits = [r["value"] for r in raw if (r["measure"], r["temporal_unit"], r["date"], r["group"], r["rate"])
            == (measure, unit, date, group, rate)]
    assert len(hits) == 1
    return float(hits[0])


def _one(df: pd.DataFrame, metric: str, period: str, age: str) -> pd.Series:
    rows = df[(df["metric_id"] == metric) & (df["period"] == period) & (df["age"] == age)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_values_read_by_hand(df: pd.DataFrame, raw: list[dict[str, str]]) -> None:
    # annual (financial-year) cohort 2012/13, adults
    r = _one(df, "proven_reoffending_rate", "2012/13", "adult")
    assert r["value"] == _raw(raw, "new", "annual", "2012-04-01", "Adult", "binary")
    assert r["count"] == _raw(raw, "new", "annual", "2012-04-01", "Adult", "reoffenders") == 168_126
    assert r["denominator"] == _raw(raw, "new", "annual", "2012-04-01", "Adult", "cohort") == 564_480
    # 3-monthly cohort Jan-Mar 2014, all offenders
    q = _one(df, "reoffending_cohort", "2014-01..2014-03", "all")
    assert q["value"] == q["count"] == _raw(raw, "new", "3-monthly", "2014-01-01", "All", "cohort") == 148_879
    assert _one(df, "reoffences", "2012-01..2012-03", "all")["value"] == 174_651
    # old measure, calendar-year cohort 2002, juveniles
    o = _one(df, "proven_reoffending_rate_old_measure", "2002", "juvenile")
    assert o["value"] == _raw(raw, "old", "annual", "2002-01-01", "Juvenile", "binary")
    ogrs = _one(df, "proven_reoffending_rate_predicted_ogrs4", "2012/13", "adult")
    assert ogrs["value"] == _raw(raw, "new", "annual", "2012-04-01", "Adult", "OGRS4")


def test_frequency_is_per_reoffender(df: pd.DataFrame) -> None:
    f = _one(df, "reoffences_per_reoffender", "2012/13", "adult")
    assert f["count"] == 582_862 and f["denominator"] == 168_126
    assert f["value"] == pytest.approx(582_862 / 168_126, abs=1e-6)
    assert not (df["metric_id"] == "proven_reoffending_frequency").any()


def test_schema_periods_and_missing(df: pd.DataFrame, raw: list[dict[str, str]]) -> None:
    assert list(df.columns) == list(OBSERVATION_COLUMNS)
    assert len(df) == len(raw) == 1368
    assert set(df["area_code"]) == {"K04000001"} and set(df["sex"]) == {"persons"}
    assert set(df["age"]) == {"adult", "juvenile", "all"}
    assert set(df["edition"]) == {"national, cohorts to 2014-03"}
    blank = sum(1 for r in raw if r["value"] == "")
    assert (df["status"] == "x").sum() == blank == 68
    assert df.loc[df["status"] == "x", "value"].isna().all()
    q = _one(df, "reoffenders", "2000-04..2000-06", "adult")
    assert (str(q["period_start"].date()), str(q["period_end"].date())) == ("2000-04-01", "2000-06-30")
    fy = _one(df, "reoffenders", "2013/14", "all")
    assert (str(fy["period_start"].date()), str(fy["period_end"].date())) == ("2013-04-01", "2014-03-31")


def _write(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    with open(FILE, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_reordered_copy_with_title_parses_identically(rows: list[list[str]], df: pd.DataFrame,
                                                       tmp_path: Path) -> None:
    order = [5, 4, 3, 2, 1, 0]
    out = [["Proven reoffending statistics"], []]
    out.append([rows[0][i].upper().replace("_", " ") for i in order])
    out += [[r[i] for i in order] for r in rows[1:]]
    pd.testing.assert_frame_equal(mr.read(_write(tmp_path / "copy.csv", out)), df)


def test_renamed_header(rows: list[list[str]], tmp_path: Path) -> None:
    bad = [["measure", "temporal_unit", "cohort_date_x", "group", "rate", "value"], *rows[1:]]
    with pytest.raises(CdpInputError) as info:
        mr.read(_write(tmp_path / "renamed.csv", bad))
    err = info.value
    assert (err.row, err.column, err.value) == (1, "C", "cohort_date_x")
    assert "'date'" in err.expected


def test_bad_codes_and_dates(rows: list[list[str]], tmp_path: Path) -> None:
    bad = [list(r) for r in rows]
    bad[10][3] = "Youth"
    with pytest.raises(CdpInputError, match="unknown group") as info:
        mr.read(_write(tmp_path / "group.csv", bad))
    assert (info.value.row, info.value.column) == (11, "D")
    bad = [list(r) for r in rows]
    bad[3][2] = "2000-05-01"
    with pytest.raises(CdpInputError, match="cohort start date") as info:
        mr.read(_write(tmp_path / "date.csv", bad))
    assert info.value.row == 4


def test_inconsistent_binary_rate(rows: list[list[str]], tmp_path: Path) -> None:
    bad = [list(r) for r in rows]
    i = next(i for i, r in enumerate(bad) if r[:5] == ["new", "annual", "2012-04-01", "Adult", "binary"])
    bad[i][5] = "35"
    with pytest.raises(CdpInputError, match="binary rate") as info:
        mr.read(_write(tmp_path / "binary.csv", bad))
    assert info.value.row == i + 1


def test_ingest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "raw" / "reoffending").mkdir(parents=True)
    shutil.copy(FILE, data / "raw" / "reoffending" / FILE.name)
    result = ingest(data, tmp_path / "t.duckdb")
    assert [f["rows"] for f in result.files] == [1368]
    with Store(tmp_path / "t.duckdb", read_only=True) as s:
        got = s.observations(metric="proven_reoffending_rate", period="2012/13")
    assert sorted(got["age"]) == ["adult", "all", "juvenile"]
