"""read_returns: the shipped pan-Dorset file reads clean; bad copies fail at the right cell."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from cdp_analysis.data.returns import OUTPUT_COLUMNS, parse_number, read_returns
from cdp_analysis.data.schema import RETURNS_COLUMNS
from cdp_analysis.errors import CdpInputError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "data" / "returns" / "pan_dorset.csv"


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return read_returns(SHIPPED)


def _one(df, metric, area, period):
    rows = df[(df.metric_id == metric) & (df.area_code == area) & (df.period == period)]
    assert len(rows) == 1, (metric, area, period)
    return rows.iloc[0]


def test_shipped_reads_clean(shipped):
    assert list(shipped.columns) == list(OUTPUT_COLUMNS)
    assert set(RETURNS_COLUMNS) <= set(shipped.columns) and "status" in shipped.columns
    assert (shipped["partnership"] == "pan-dorset").all()
    assert len(shipped) == 21
    assert shipped["source_row"].tolist() == list(range(2, 23))


@pytest.mark.parametrize(
    "metric, area, period, value, projection, change",
    [
        ("county_lines_arrests", "E23000039", "2023/24 Q1", 38, 152, 90),
        ("county_lines_arrests", "E23000039", "2022/23", 80, None, None),
        ("soc_disruptions", "E23000039", "2023/24 Q1", 259, 1036, 7.4),
        ("soc_disruptions", "E23000039", "2022/23", 964, None, None),
        ("neighbourhood_crime", "E23000039", "2023-01..2023-06", 101, 202, 6.9),
        ("neighbourhood_crime", "E23000039", "2022", 188, None, None),
        ("cash_seizures", "E23000039", "2023/24 Q1", 23756, 94304, 37.8),
        ("cash_seizures", "E23000039", "2022/23", 68413, None, None),
        ("nrm_county_lines_referrals", "E23000039", "2022/23", 140, None, None),
        ("fast_parcel_referrals", "E23000039", "2022/23", 146, None, None),
        ("continuity_of_care", "E92000001", "2022/23", 41.1, None, None),
        ("drug_related_deaths_local", "pan-dorset", "2021", 59, None, None),
        ("drug_related_deaths_local", "pan-dorset", "2022", 55, None, None),
    ],
)
def test_shipped_figures(shipped, metric, area, period, value, projection, change):
    r = _one(shipped, metric, area, period)
    assert r.value == value
    if projection is None:
        assert pd.isna(r.published_projection) and pd.isna(r.published_change_pct)
    else:
        assert r.published_projection == projection and r.published_change_pct == change


@pytest.mark.parametrize(
    "metric, area, value, target, target_period, status, change",
    [
        ("adults_in_treatment", "E06000058", 2590, 2700, "2023/24", "", None),
        ("adults_in_treatment", "E06000059", 1889, 1942, "2023/24", "", None),
        ("young_people_in_treatment", "E06000058", 86, 120, "2023/24", "", None),
        ("young_people_in_treatment", "E06000059", 102, 75, "2023/24", "", None),
        ("continuity_of_care", "E06000058", 45.2, 75, "2024/25", "on track", 10),
        ("continuity_of_care", "E06000059", 67.7, 75, "2024/25", "on track", 22),
        ("rehab_placements", "E06000058", 30, 30, "2023/24", "", None),
        ("rehab_placements", "E06000059", 16, 16, "2023/24", "", None),
    ],
)
def test_shipped_targets(shipped, metric, area, value, target, target_period, status, change):
    r = _one(shipped, metric, area, "2022/23")
    assert (r.value, r.target, r.target_period, r.published_status) == (value, target, target_period, status)
    assert (pd.isna(r.published_change_pct) if change is None else r.published_change_pct == change)


def test_shipped_statuses_and_dates(shipped):
    assert _one(shipped, "cash_seizures", "E23000039", "2023/24 Q1").published_status == "on track"
    assert _one(shipped, "drug_related_deaths_local", "pan-dorset", "2022").status == "p"
    assert _one(shipped, "drug_related_deaths_local", "pan-dorset", "2021").status == ""
    r = _one(shipped, "neighbourhood_crime", "E23000039", "2023-01..2023-06")
    assert (str(r.period_start.date()), str(r.period_end.date())) == ("2023-01-01", "2023-06-30")
    q = _one(shipped, "county_lines_arrests", "E23000039", "2023/24 Q1")
    assert (str(q.period_start.date()), str(q.period_end.date())) == ("2023-04-01", "2023-06-30")
    assert shipped["note"].str.len().min() > 20
    assert "consent" in _one(shipped, "adults_in_treatment", "E06000058", "2022/23").note


# ----------------------------------------------------------------- bad copies
def _bad_copy(tmp_path, line: int, column: str, new: str) -> Path:
    """The shipped file with one cell (1-based CSV line, column name) replaced."""
    df = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    df.loc[line - 2, column] = new
    path = tmp_path / "pan_dorset.csv"
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "line, column, new, message",
    [
        (5, "metric_id", "soc_disruption", "unknown metric_id"),
        (12, "area_code", "E06000099", "unknown area_code"),
        (13, "area_code", "pan_dorset", "unknown area_code"),
        (8, "value", "n/a", "not a number"),
        (16, "target", "seventy-five", "not a number"),
        (2, "published_projection", "152 arrests", "not a number"),
        (3, "period", "2022/24", "not a period label"),
        (20, "period", "", "empty period"),
        (14, "target_period", "23/24", "not a period label"),
        (21, "status", "provisional", "unknown status code"),
    ],
)
def test_bad_cell_names_row_and_column(tmp_path, line, column, new, message):
    path = _bad_copy(tmp_path, line, column, new)
    with pytest.raises(CdpInputError, match=message) as info:
        read_returns(path)
    err = info.value
    assert (err.row, err.column) == (line, column)
    assert err.file == str(path)
    assert err.value == new


def test_unknown_metric_suggests(tmp_path):
    with pytest.raises(CdpInputError, match="did you mean 'soc_disruptions'"):
        read_returns(_bad_copy(tmp_path, 5, "metric_id", "soc_disruption"))


def test_duplicate_row(tmp_path):
    # line 7 is neighbourhood_crime 2022; make line 6's period the same label written differently
    df = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    df.loc[6 - 2, "period"] = " 2022 "
    path = tmp_path / "dup.csv"
    df.to_csv(path, index=False)
    with pytest.raises(CdpInputError, match="duplicated .*first on line 6") as info:
        read_returns(path)
    assert info.value.row == 7 and info.value.column is None


def test_duplicate_after_normalisation(tmp_path):
    text = ("metric_id,area_code,period,value\n"
            "population,E06000058,2019/20-2021/22,1\n"
            "population,E06000058, 2019/20-2021/22,2\n")
    with pytest.raises(CdpInputError) as info:
        read_returns(io.StringIO(text))
    assert info.value.row == 3


def test_missing_and_unknown_columns(tmp_path):
    with pytest.raises(CdpInputError, match="missing required column") as info:
        read_returns(io.StringIO("metric_id,area_code,value\npopulation,E06000058,1\n"))
    assert (info.value.row, info.value.column) == (1, "period")
    with pytest.raises(CdpInputError, match="did you mean 'target'") as info:
        read_returns(io.StringIO("metric_id,area_code,period,value,taget\npopulation,E06000058,2022,1,2\n"))
    assert (info.value.row, info.value.column) == (1, "taget")


def test_line_numbers_count_blank_lines_and_multiline_notes():
    text = ('metric_id,area_code,period,value,note\n'
            'population,E06000058,2021,1,"a note\nover two lines"\n'
            '\n'
            'population,E06000059,2021,oops,\n')
    with pytest.raises(CdpInputError) as info:
        read_returns(io.StringIO(text))
    assert (info.value.row, info.value.column) == (5, "value")


def test_bom_pounds_percent_and_thousands(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(
        "\ufeffmetric_id,area_code,period,value,target,target_period\n"
        'cash_seizures,E23000039,2023/24 Q1,"£23,756",,\n'
        "continuity_of_care,E06000058,2022/23,45.2%,75%,2024/25\n"
        "population,E06000058,2022,,,\n".encode("utf-8")
    )
    df = read_returns(path)
    assert df["value"].tolist()[:2] == [23756.0, 45.2]
    assert pd.isna(df["value"].iloc[2])
    assert df["target"].iloc[1] == 75.0
    assert (df["partnership"] == "x").all()


def test_target_needs_target_period():
    with pytest.raises(CdpInputError, match="target_period") as info:
        read_returns(io.StringIO("metric_id,area_code,period,value,target\npopulation,E06000058,2022,1,2\n"))
    assert (info.value.row, info.value.column) == (2, "target_period")


def test_frame_input_and_partnership_argument():
    df = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    got = read_returns(df, partnership="pan-dorset")
    assert len(got) == 21 and got["source_file"].isna().all()
    df.loc[3, "value"] = "n/a"
    with pytest.raises(CdpInputError) as info:
        read_returns(df)
    assert (info.value.row, info.value.column) == (5, "value")


def test_wrong_field_count():
    with pytest.raises(CdpInputError, match="fields") as info:
        read_returns(io.StringIO("metric_id,area_code,period,value\npopulation,E06000058,2022,1,2\n"))
    assert info.value.row == 2


@pytest.mark.parametrize("text, expected", [
    ("1,234", 1234.0), ("£1,234.50", 1234.5), ("-£5", -5.0), ("7.4%", 7.4), (".5", 0.5), ("0", 0.0),
])
def test_parse_number(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["n/a", "-", "1,23", "12,3456", "1.2.3", "£", "%", "1e5", "twelve"])
def test_parse_number_rejects(text):
    with pytest.raises(ValueError):
        parse_number(text)
