"""The DfE exclusions loader against the publication's headline figures and its own totals.

Published figures (DfE, *Permanent and fixed period exclusions in England*): 2016/17 (July 2018
release) 7,720 permanent exclusions (0.10 per 100 pupils) and 381,865 fixed-period exclusions
(4.76) among 8,025,075 pupils, of which 565 permanent and 9,075 fixed-period "drug and alcohol
related"; 2015/16 (SFR 35/2017) 6,685 permanent (0.08) and 339,360 fixed-period (4.29), of which
525 and 8,725 drug and alcohol related. The publication's own totals: the 12 reasons of an LA add
up to its total suspensions (reasons file against the headcount file), and every published rate
is the count over the headcount (x 100, 2 decimals).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests_support import assert_rejected, built_store, csv_rows, store_copy, write_csv

from cdp_analysis.data.sources import dfe_exclusions as dfe
from cdp_analysis.data.store import Store, ingest
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "data" / "raw" / "education"
SFR = FOLDER / "SFR35_2017_reason_for_exclusion.csv"
TIDY = FOLDER / "clean_la_exclusions_data.csv"
HEAD = FOLDER / "clean_la_data.csv"
Y1617, Y1516 = "2016-09..2017-08", "2015-09..2016-08"


@pytest.fixture(scope="module")
def sfr() -> pd.DataFrame:
    return dfe.read(SFR)


@pytest.fixture(scope="module")
def tidy() -> pd.DataFrame:
    return dfe.read(TIDY)


@pytest.fixture(scope="module")
def head() -> pd.DataFrame:
    return dfe.read(HEAD)


def one(df: pd.DataFrame, metric: str, area: str, period: str) -> pd.Series:
    rows = df[(df["metric_id"] == metric) & (df["area_code"] == area) & (df["period"] == period)]
    assert len(rows) == 1, (metric, area, period, len(rows))
    return rows.iloc[0]


# --------------------------------------------------------------------------- published figures
def test_england_2016_17_headlines(head, tidy):
    pupils = one(head, "school_pupils", "E92000001", Y1617)
    assert pupils["count"] == 8_025_075
    perm = one(head, "school_permanent_exclusions", "E92000001", Y1617)
    assert (perm["count"], perm["denominator"], perm["value"]) == (7_720, 8_025_075, 0.10)
    susp = one(head, "school_suspensions", "E92000001", Y1617)
    assert (susp["count"], susp["value"]) == (381_865, 4.76)
    assert one(tidy, "school_permanent_exclusions_drug_alcohol", "E92000001", Y1617)["count"] == 565
    assert one(tidy, "school_suspensions_drug_alcohol", "E92000001", Y1617)["count"] == 9_075


def test_england_2015_16_headlines(head, sfr):
    assert one(head, "school_permanent_exclusions", "E92000001", Y1516)[["count", "value"]].tolist() == [6_685, 0.08]
    assert one(head, "school_suspensions", "E92000001", Y1516)[["count", "value"]].tolist() == [339_360, 4.29]
    assert one(sfr, "school_permanent_exclusions_drug_alcohol", "E92000001", Y1516)["count"] == 525
    assert one(sfr, "school_suspensions_drug_alcohol", "E92000001", Y1516)["count"] == 8_725


def test_every_la_rate_is_count_over_headcount(head):
    rates = head[(head["metric_id"] != "school_pupils") & head["value"].notna() & (head["denominator"] > 0)]
    hand = np.round(rates["count"] / rates["denominator"] * 100, 2)
    la = ~rates["area_code"].str.match(r"E92|E12|E13")
    assert la.sum() > 4_500
    assert np.allclose(hand[la], rates.loc[la, "value"], atol=0.0051, rtol=0)
    # national and regional counts are rounded to the nearest 5 after DfE computed the rate
    assert np.allclose(hand[~la], rates.loc[~la, "value"], atol=0.0101, rtol=0)


def test_reasons_add_up_to_the_published_total(tidy, head):
    reasons = tidy[tidy["metric_id"].str.startswith("school_suspensions_")]
    summed = reasons.groupby(["area_code", "period"]).agg(s=("count", "sum"),
                                                          hidden=("status", lambda s: (s != "").sum()))
    total = head[head["metric_id"] == "school_suspensions"].set_index(["area_code", "period"])["count"]
    both = summed.join(total, how="inner")
    full = both[both["hidden"] == 0]
    la = full[~full.index.get_level_values(0).str.match(r"E92|E12|E13")]
    diff = (la["s"] - la["count"]).abs()
    assert len(la) > 1_400
    assert (diff == 0).sum() >= len(la) - 1 and diff.max() <= 1  # Nottingham 2006/07: 2,525 against 2,526
    england = full.loc["E92000001"]
    assert ((england["s"] - england["count"]).abs() <= 5 * 6).all()  # 12 cells rounded to the nearest 5


def test_sfr_and_tidied_copies_agree_where_they_overlap(sfr, tidy):
    key = ["metric_id", "area_code", "period"]
    a = sfr.set_index(key)["count"]
    b = tidy.set_index(key)["count"]
    common = a.index.intersection(b.index)
    assert len(common) > 35_000
    assert np.allclose(a[common], b[common], equal_nan=True)


# --------------------------------------------------------------------------- areas and periods
def test_dorset_is_the_county_before_2019_and_birmingham_is_there(tidy, head):
    codes = set(tidy["area_code"])
    assert {"E10000009", "E06000028", "E06000029", "E08000025"} <= codes
    assert "E06000059" not in codes and "E06000058" not in codes
    # Dorset County 2016/17 in the headcount table: 55,317 pupils, 2,767 suspensions (5.00)
    assert one(head, "school_pupils", "E10000009", Y1617)["count"] == 55_317
    assert one(head, "school_suspensions", "E10000009", Y1617)[["count", "value"]].tolist() == [2_767, 5.0]


def test_academic_years_are_september_to_august(head):
    row = one(head, "school_pupils", "E92000001", Y1617)
    assert (str(row["period_start"].date()), str(row["period_end"].date())) == ("2016-09-01", "2017-08-31")
    assert dfe.academic_year("2016/17") == Y1617
    with pytest.raises(ValueError):
        dfe.academic_year("201618")


def test_suppressed_cells_are_missing_with_c(sfr):
    hidden = sfr[sfr["status"] == "c"]
    assert len(hidden) > 1_000 and hidden["count"].isna().all()
    raw = sum(row.count("x") for row in csv_rows(SFR)[1:] if row[9] == "Total" and "Pre LGR" not in row[8])
    assert len(hidden) == raw


def test_abolished_2009_counties_are_the_only_rows_left_out(sfr):
    rows = [r for r in csv_rows(SFR)[1:] if r[9] == "Total"]
    kept = len(rows) - sum("Pre LGR 2009" in r[8] for r in rows)
    assert len(sfr) == kept * 24
    assert sum("Pre LGR 2009" in r[8] for r in rows) == 4  # Bedfordshire and Cheshire, 2006/07 and 2007/08


# --------------------------------------------------------------------------- hostile copies
@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> tuple[Path, Path]:
    return built_store(tmp_path_factory.mktemp("dfe"))


def _edited(path: Path, tmp: Path, edit) -> Path:
    rows = csv_rows(path)
    edit(rows)
    return write_csv(tmp / path.name, rows)


#: the first LA row of school type Total in the SFR file (0-based record index)
SFR_LA = next(i for i, r in enumerate(csv_rows(SFR)) if r[1] == "Local authority" and r[9] == "Total")
HOSTILE = {
    "renamed_header": (TIDY, lambda rows: rows[0].__setitem__(21, "fixed_drugs"), 1, "V"),
    "text_in_count": (TIDY, lambda rows: rows[1].__setitem__(21, "9,075"), 2, "V"),
    "unknown_area_name": (TIDY, lambda rows: rows[5].__setitem__(1, "Wessex"), 6, "B"),
    "bad_area_code": (SFR, lambda rows: rows[SFR_LA].__setitem__(7, "Dorset"), SFR_LA + 1, "H"),
    "negative_headcount": (HEAD, lambda rows: rows[1].__setitem__(5, "-8025075"), 2, "F"),
    "bad_year": (HEAD, lambda rows: rows[1].__setitem__(0, "2016"), 2, "A"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_copy_rejected_with_store_unchanged(case, base_store, tmp_path):
    src, edit, row, column = HOSTILE[case]
    bad = _edited(src, tmp_path, edit)
    data, db = store_copy(base_store, tmp_path / "store")
    err = assert_rejected(data, db, f"raw/education/{src.name}", bad)
    assert (err.row, err.column) == (row, column), str(err)


def test_ingest_loads_all_three_files(tmp_path):
    data, db = built_store(tmp_path)
    for f in (SFR, TIDY, HEAD):
        (data / "raw" / "education").mkdir(parents=True, exist_ok=True)
        (data / "raw" / "education" / f.name).write_bytes(f.read_bytes())
    ingest(data, db)
    with Store(db, read_only=True) as s:
        got = s.observations("school_suspensions_drug_alcohol", area="E10000009")
        eds = set(s.ingest_log().query("source == 'dfe_exclusions'")["edition"])
    assert len(eds) == 3
    assert got[got["period"] == Y1617]["count"].tolist() == [89]


def test_unknown_layout_is_named(tmp_path):
    p = write_csv(tmp_path / "x.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(CdpInputError, match="not a DfE exclusions file"):
        dfe.read(p)
