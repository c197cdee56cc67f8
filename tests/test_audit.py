"""The audit of a report's own figures (cdp_analysis.audit, ``cdp audit FILE``).

Every expected figure below is worked by hand in the comment beside it.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tests_support import write_csv

from cdp_analysis.audit import (
    FINDING_COLUMNS,
    audit_returns,
    compare_printed,
    digit_variants,
    format_findings,
    printed_decimals,
    round_half_up,
    run_audit_cli,
)

ROOT = Path(__file__).resolve().parents[1]
PAN_DORSET = ROOT / "data" / "returns" / "pan_dorset.csv"
PFA = "E23000039"
BCP, DC = "E06000058", "E06000059"

# A catalogue for the in-memory tests, so they do not depend on data/reference/metrics.csv.
CAT = {
    "county_lines_arrests": dict(unit="count", polarity="higher_is_better", year_basis="financial", projection="run_rate"),
    "soc_disruptions": dict(unit="count", polarity="higher_is_better", year_basis="financial", projection="run_rate"),
    "neighbourhood_crime": dict(unit="count", polarity="lower_is_better", year_basis="calendar", projection="run_rate"),
    "cash_seizures": dict(unit="currency", polarity="higher_is_better", year_basis="financial", projection="run_rate"),
    "young_people_in_treatment": dict(unit="count", polarity="higher_is_better", year_basis="financial", projection="none"),
    "continuity_of_care": dict(unit="percent", polarity="higher_is_better", year_basis="financial", projection="none"),
    "drug_related_deaths_local": dict(unit="count", polarity="lower_is_better", year_basis="calendar", projection="none"),
}


def returns(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def checks(findings: pd.DataFrame, severity: str | None = None) -> set[tuple]:
    f = findings if severity is None else findings[findings["severity"] == severity]
    return set(zip(f["metric_id"], f["area_code"], f["period"], f["check"], f["severity"], strict=True))


def only(findings: pd.DataFrame, check: str) -> pd.Series:
    hit = findings[findings["check"] == check]
    assert len(hit) == 1, findings[["metric_id", "check", "message"]].to_string()
    return hit.iloc[0]


def county_lines(value=38, projection=152, change=90, last_year=80, **extra) -> pd.DataFrame:
    # 38 x 4 = 152; (152 - 80) / 80 = 72 / 80 = 90%.
    return returns(
        dict(metric_id="county_lines_arrests", area_code=PFA, period="2023/24 Q1", value=value,
             published_projection=projection, published_change_pct=change, **extra),
        dict(metric_id="county_lines_arrests", area_code=PFA, period="2022/23", value=last_year),
    )


def cash(value=23756, projection=95024, change=38.9) -> pd.DataFrame:
    # 23,756 x 4 = 95,024; (95,024 - 68,413) / 68,413 = 26,611 / 68,413 = 38.8976% -> 38.9.
    return returns(
        dict(metric_id="cash_seizures", area_code=PFA, period="2023/24 Q1", value=value,
             published_projection=projection, published_change_pct=change),
        dict(metric_id="cash_seizures", area_code=PFA, period="2022/23", value=68413),
    )


# ----------------------------------------------------------------------------- helpers
def test_printed_decimals():
    assert [printed_decimals(x) for x in (7.4, 90, 90.0, 94304, 37.8, 0.05)] == [1, 0, 0, 0, 1, 2]


def test_compare_printed_rounding_truncation_mismatch():
    # 1036 vs 964: 72 / 964 = 7.4689% -> rounds to 7.5, truncates to 7.4.
    assert compare_printed(7.5, 72 / 964 * 100) == "match"
    assert compare_printed(7.4, 72 / 964 * 100) == "truncation"
    assert compare_printed(7.47, 72 / 964 * 100) == "match"
    assert compare_printed(7.3, 72 / 964 * 100) == "mismatch"
    # halves go up, as printed reports round: 2.45 -> 2.5 (not 2.4 as round-to-even might).
    assert compare_printed(2.5, 2.45) == "match"
    assert compare_printed(-7.4, -72 / 964 * 100) == "truncation"


def test_digit_variants_swaps_and_single_digits():
    variants = digit_variants(23756)
    assert (23576.0, "transposition") in variants
    assert (23756.0, "typo") not in variants and all(v != 23756 for v, _ in variants)
    # 5 digits: 4 swaps; 5 x 9 substitutions less the one leading zero = 44 typos.
    assert sum(k == "transposition" for _, k in variants) == 4
    assert sum(k == "typo" for _, k in variants) == 44
    assert (4.7, "transposition") in digit_variants(7.4)


# ----------------------------------------------------------------------------- acceptance
@pytest.mark.skipif(not PAN_DORSET.exists(), reason="data/returns/pan_dorset.csv not present")
def test_acceptance_pan_dorset():
    f = audit_returns(PAN_DORSET)
    assert list(f.columns) == list(FINDING_COLUMNS)
    assert set(f["severity"]) <= {"error", "warning", "note"}
    assert checks(f, "error") == {
        ("cash_seizures", PFA, "2023/24 Q1", "projection_transposition", "error"),
        ("neighbourhood_crime", PFA, "2023-01..2023-06", "change_arithmetic", "error"),
    }
    assert checks(f, "warning") == {
        ("soc_disruptions", PFA, "2023/24 Q1", "change_truncation", "warning"),
        ("young_people_in_treatment", DC, "2022/23", "target_below_baseline", "warning"),
    }
    cash_row = only(f, "projection_transposition")
    # 23,756 x 4 = 95,024 but 23,576 x 4 = 94,304.
    assert cash_row["published"] == 94304 and cash_row["recomputed"] == 95024
    assert "23,576" in cash_row["message"] and "quarter" in cash_row["message"]
    crime = only(f, "change_arithmetic")
    # 101 x 2 = 202; (202 - 188) / 188 = 14 / 188 = 7.447%, printed 6.9.
    assert crime["published"] == 6.9 and crime["recomputed"] == pytest.approx(14 / 188 * 100, abs=1e-5)
    soc = only(f, "change_truncation")
    # 259 x 4 = 1036; 72 / 964 = 7.469% -> printed 7.4 (truncated; rounding gives 7.5).
    assert soc["published"] == 7.4 and soc["recomputed"] == pytest.approx(7.4689, abs=1e-4)
    assert "7.47%" in soc["message"] and "7.5%" in soc["message"]
    yp = only(f, "target_below_baseline")
    assert (yp["published"], yp["recomputed"]) == (75, 102)
    # Continuity of care: the 10% / 22% increases have no 2021/22 base in the file.
    assert ("continuity_of_care", BCP, "2022/23", "change_no_base", "note") in checks(f)
    assert ("continuity_of_care", DC, "2022/23", "change_no_base", "note") in checks(f)
    # County lines (38 x 4 = 152, 72 / 80 = 90%) is right: no finding at all.
    assert "county_lines_arrests" not in set(f["metric_id"])


@pytest.mark.skipif(not PAN_DORSET.exists(), reason="data/returns/pan_dorset.csv not present")
def test_cli_helper_prints_and_exits_1_on_pan_dorset():
    out = io.StringIO()
    assert run_audit_cli(PAN_DORSET, stdout=out) == 1
    text = out.getvalue()
    assert "projection_transposition" in text and "£23,576" in text
    assert "2 errors, 2 warnings" in text


# ----------------------------------------------------------------------------- planted errors
@pytest.fixture
def pan_dorset() -> pd.DataFrame:
    if not PAN_DORSET.exists():
        pytest.skip("data/returns/pan_dorset.csv not present")
    return pd.read_csv(PAN_DORSET, dtype=str, keep_default_na=False)


def _row(df: pd.DataFrame, metric: str, period: str, area: str = PFA) -> int:
    hit = df.index[(df["metric_id"] == metric) & (df["period"] == period) & (df["area_code"] == area)]
    assert len(hit) == 1
    return hit[0]


def _audit_copy(df: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "planted.csv"
    df.to_csv(path, index=False)
    return audit_returns(path)


def _new_errors(planted: pd.DataFrame) -> set[tuple]:
    base = {
        ("cash_seizures", PFA, "2023/24 Q1", "projection_transposition", "error"),
        ("neighbourhood_crime", PFA, "2023-01..2023-06", "change_arithmetic", "error"),
    }
    return checks(planted, "error") - base


def test_planted_transposed_value_in_copy(pan_dorset, tmp_path):
    # County lines Q1 typed as 83: 83 x 4 = 332, not the printed 152; 38 x 4 = 152 fits.
    pan_dorset.loc[_row(pan_dorset, "county_lines_arrests", "2023/24 Q1"), "value"] = "83"
    f = _audit_copy(pan_dorset, tmp_path)
    assert _new_errors(f) == {("county_lines_arrests", PFA, "2023/24 Q1", "projection_transposition", "error")}
    hit = f[(f["metric_id"] == "county_lines_arrests")].iloc[0]
    assert hit["recomputed"] == 332 and "a quarter of 38 would fit" in hit["message"]


def test_planted_wrong_projection_in_copy(pan_dorset, tmp_path):
    # SOC projection printed 1,100: 259 x 4 = 1,036; no one-digit slip of 259 or of 1,100 fits.
    pan_dorset.loc[_row(pan_dorset, "soc_disruptions", "2023/24 Q1"), "published_projection"] = "1100"
    f = _audit_copy(pan_dorset, tmp_path)
    assert _new_errors(f) == {("soc_disruptions", PFA, "2023/24 Q1", "projection_arithmetic", "error")}
    # The printed 7.4% was made from 1,036 (truncated 7.47%), so the change is still a warning,
    # and it is not reported again as an error.
    assert ("soc_disruptions", PFA, "2023/24 Q1", "change_truncation", "warning") in checks(f)


def test_planted_wrong_base_period_in_copy(pan_dorset, tmp_path):
    # Add 2021/22 = 95 and print the change as 60%: (152 - 95) / 95 = 57 / 95 = 60%,
    # whereas against 2022/23: (152 - 80) / 80 = 90%.
    extra = pan_dorset.iloc[[_row(pan_dorset, "county_lines_arrests", "2022/23")]].copy()
    extra["period"], extra["value"] = "2021/22", "95"
    df = pd.concat([pan_dorset, extra], ignore_index=True)
    df.loc[_row(df, "county_lines_arrests", "2023/24 Q1"), "published_change_pct"] = "60"
    f = _audit_copy(df, tmp_path)
    assert _new_errors(f) == {("county_lines_arrests", PFA, "2023/24 Q1", "change_wrong_base", "error")}
    hit = only(f, "change_wrong_base")
    assert "2021/22" in hit["message"] and hit["recomputed"] == pytest.approx(90)


def test_planted_percentage_over_100_in_copy(pan_dorset, tmp_path):
    pan_dorset.loc[_row(pan_dorset, "continuity_of_care", "2022/23", BCP), "value"] = "104"
    f = _audit_copy(pan_dorset, tmp_path)
    assert _new_errors(f) == {("continuity_of_care", BCP, "2022/23", "percent_out_of_range", "error")}


def test_planted_part_larger_than_whole_in_copy(pan_dorset, tmp_path):
    # BCP alone 60 deaths in 2022 against 55 for the whole of pan-Dorset.
    extra = pan_dorset.iloc[[_row(pan_dorset, "drug_related_deaths_local", "2022", "pan-dorset")]].copy()
    extra["area_code"], extra["value"], extra["status"] = BCP, "60", ""
    f = _audit_copy(pd.concat([pan_dorset, extra], ignore_index=True), tmp_path)
    assert _new_errors(f) == {("drug_related_deaths_local", BCP, "2022", "part_exceeds_whole", "error")}


def test_planted_members_not_summing_in_copy(pan_dorset, tmp_path):
    # 2021: BCP 30 + Dorset 25 = 55, but pan-Dorset is printed as 59.
    base = pan_dorset.iloc[[_row(pan_dorset, "drug_related_deaths_local", "2021", "pan-dorset")]]
    bcp, dc = base.copy(), base.copy()
    bcp["area_code"], bcp["value"] = BCP, "30"
    dc["area_code"], dc["value"] = DC, "25"
    f = _audit_copy(pd.concat([pan_dorset, bcp, dc], ignore_index=True), tmp_path)
    assert _new_errors(f) == {("drug_related_deaths_local", "pan-dorset", "2021", "members_not_summing", "error")}
    hit = only(f, "members_not_summing")
    assert (hit["published"], hit["recomputed"]) == (59, 55)


def test_planted_fixes_clear_the_errors(pan_dorset, tmp_path):
    # Correct the two errors as the report should have printed them:
    # cash 95,024 and (95,024 - 68,413) / 68,413 = 38.9%; crime 14 / 188 = 7.4%.
    pan_dorset.loc[_row(pan_dorset, "cash_seizures", "2023/24 Q1"), ["published_projection", "published_change_pct"]] = ["95024", "38.9"]
    pan_dorset.loc[_row(pan_dorset, "neighbourhood_crime", "2023-01..2023-06"), "published_change_pct"] = "7.4"
    out = io.StringIO()
    path = tmp_path / "fixed.csv"
    pan_dorset.to_csv(path, index=False)
    assert run_audit_cli(path, stdout=out) == 0
    assert "0 errors" in out.getvalue()


# ----------------------------------------------------------------------------- in-memory cases
def test_correct_figures_give_no_findings():
    assert audit_returns(county_lines(), metrics=CAT).empty
    assert audit_returns(cash(), metrics=CAT).empty


def test_rounding_only_difference_is_not_flagged():
    # 38.8976% printed 38.9 or 39: both are rounding, not errors.
    assert audit_returns(cash(change=39), metrics=CAT).empty
    # A half-year of 101.4 projects to 202.8, printed 203: rounding.
    df = returns(
        dict(metric_id="neighbourhood_crime", area_code=PFA, period="2023-01..2023-06", value=101.4,
             published_projection=203),
    )
    assert audit_returns(df, metrics=CAT).empty


def test_truncated_change_is_a_warning():
    # 38.8976% printed 38.8: truncated, not rounded.
    f = audit_returns(cash(change=38.8), metrics=CAT)
    assert checks(f) == {("cash_seizures", PFA, "2023/24 Q1", "change_truncation", "warning")}
    # Enough decimals to show the truncation: 38.898% (38.90% would look like 38.9).
    assert "38.898%" in f.loc[0, "message"] and "(38.9%)" in f.loc[0, "message"]


def test_truncated_projection_is_a_warning():
    # Half year 101.7 -> 203.4 printed 203 is rounding; 101.8 -> 203.6 printed 203 is truncation.
    df = returns(dict(metric_id="neighbourhood_crime", area_code=PFA, period="2023-01..2023-06", value=101.8,
                      published_projection=203))
    f = audit_returns(df, metrics=CAT)
    assert checks(f) == {("neighbourhood_crime", PFA, "2023-01..2023-06", "projection_truncation", "warning")}


def test_transposition_in_printed_figure_names_the_right_figure():
    # 38 x 4 = 152 printed as 125.
    f = audit_returns(county_lines(projection=125, change=None), metrics=CAT)
    hit = only(f, "projection_transposition")
    assert hit["severity"] == "error" and "152" in hit["message"]


def test_typo_in_printed_change():
    # 38.8976% -> 38.9 printed as 33.9: one digit wrong.
    f = audit_returns(cash(change=33.9), metrics=CAT)
    hit = only(f, "change_typo")
    assert hit["severity"] == "error" and "38.9%" in hit["message"]


def test_change_arithmetic_error_in_memory():
    # Neighbourhood crime as printed: 202 against 188 is +7.45%, printed 6.9 (= 14 / 202).
    df = returns(
        dict(metric_id="neighbourhood_crime", area_code=PFA, period="2023-01..2023-06", value=101,
             published_projection=202, published_change_pct=6.9),
        dict(metric_id="neighbourhood_crime", area_code=PFA, period="2022", value=188),
    )
    hit = only(audit_returns(df, metrics=CAT), "change_arithmetic")
    assert hit["severity"] == "error" and "14 / 202" in hit["message"]


def test_change_without_printed_projection_uses_the_run_rate():
    # No projection printed: 38 x 4 = 152 against 80 = 90%.
    assert audit_returns(county_lines(projection=None), metrics=CAT).empty
    # Value typed 83 (83 x 4 = 332, +315%) but change printed 90%: a transposition of 38 fits.
    hit = only(audit_returns(county_lines(value=83, projection=None), metrics=CAT), "change_transposition")
    assert "38" in hit["message"]


def test_change_after_a_wrong_projection_is_a_note():
    # The report's cash change 37.8% follows its wrong projection 94,304:
    # (94,304 - 68,413) / 68,413 = 37.845%; from 95,024 it would be 38.9%.
    f = audit_returns(cash(projection=94304, change=37.8), metrics=CAT)
    assert checks(f) == {
        ("cash_seizures", PFA, "2023/24 Q1", "projection_transposition", "error"),
        ("cash_seizures", PFA, "2023/24 Q1", "change_follows_projection", "note"),
    }


def test_change_in_points_for_a_percentage():
    # 45.2% against 35.2%: +10 points, but +28.4% relative (10 / 35.2).
    df = returns(
        dict(metric_id="continuity_of_care", area_code=BCP, period="2022/23", value=45.2, published_change_pct=10),
        dict(metric_id="continuity_of_care", area_code=BCP, period="2021/22", value=35.2),
    )
    hit = only(audit_returns(df, metrics=CAT), "change_in_points")
    assert hit["severity"] == "warning" and hit["recomputed"] == pytest.approx(10 / 35.2 * 100, abs=1e-5)


def test_status_against_target():
    # 30 in Q1 -> 120 for 2023/24, target 150: off track, but printed "on track".
    row = dict(metric_id="county_lines_arrests", area_code=PFA, period="2023/24 Q1", value=30,
               target=150, target_period="2023/24", published_status="On track")
    hit = only(audit_returns(returns(row), metrics=CAT), "status_mismatch")
    assert (hit["severity"], hit["published"], hit["recomputed"]) == ("error", "On track", "off track")
    # 40 -> 160 meets 150: on track agrees.
    assert audit_returns(returns({**row, "value": 40}), metrics=CAT).empty
    # Lower is better: 101 x 2 = 202 against a target of 190 is off track.
    crime = dict(metric_id="neighbourhood_crime", area_code=PFA, period="2023-01..2023-06", value=101,
                 target=190, target_period="2023", published_status="off track")
    assert audit_returns(returns(crime), metrics=CAT).empty


def test_status_without_target_is_a_note():
    row = dict(metric_id="county_lines_arrests", area_code=PFA, period="2023/24 Q1", value=38,
               published_status="on track")
    assert checks(audit_returns(returns(row), metrics=CAT)) == {
        ("county_lines_arrests", PFA, "2023/24 Q1", "status_unverifiable", "note")}


def test_targets_against_baseline():
    yp = dict(metric_id="young_people_in_treatment", area_code=DC, period="2022/23", value=102,
              target=75, target_period="2023/24")
    hit = only(audit_returns(returns(yp), metrics=CAT), "target_below_baseline")
    assert hit["severity"] == "warning" and "102" in hit["message"]
    assert audit_returns(returns({**yp, "area_code": BCP, "value": 86, "target": 120}), metrics=CAT).empty
    deaths = dict(metric_id="drug_related_deaths_local", area_code="pan-dorset", period="2022", value=55,
                  target=60, target_period="2024")
    assert only(audit_returns(returns(deaths), metrics=CAT), "target_above_baseline")["severity"] == "warning"


def test_percentage_out_of_range_and_negative_count():
    df = returns(
        dict(metric_id="continuity_of_care", area_code=BCP, period="2022/23", value=104),
        dict(metric_id="continuity_of_care", area_code=DC, period="2022/23", value=67.7, target=175,
             target_period="2024/25"),
        dict(metric_id="county_lines_arrests", area_code=PFA, period="2022/23", value=-3),
    )
    f = audit_returns(df, metrics=CAT)
    assert checks(f) == {
        ("continuity_of_care", BCP, "2022/23", "percent_out_of_range", "error"),
        ("continuity_of_care", DC, "2022/23", "percent_out_of_range", "error"),
        ("county_lines_arrests", PFA, "2022/23", "negative_value", "error"),
    }


def test_part_of_year_larger_than_the_year():
    df = returns(
        dict(metric_id="county_lines_arrests", area_code=PFA, period="2022/23 Q1", value=90),
        dict(metric_id="county_lines_arrests", area_code=PFA, period="2022/23", value=80),
    )
    assert checks(audit_returns(df, metrics=CAT)) == {
        ("county_lines_arrests", PFA, "2022/23 Q1", "part_exceeds_whole", "error")}


def test_members_against_partnership():
    partners = {"pan-dorset": (BCP, DC)}
    deaths = [
        dict(metric_id="drug_related_deaths_local", area_code="pan-dorset", period="2021", value=59),
        dict(metric_id="drug_related_deaths_local", area_code=BCP, period="2021", value=34),
        dict(metric_id="drug_related_deaths_local", area_code=DC, period="2021", value=25),
    ]
    assert audit_returns(returns(*deaths), metrics=CAT, partnerships=partners).empty  # 34 + 25 = 59
    deaths[1]["value"] = 30  # 30 + 25 = 55 != 59
    hit = only(audit_returns(returns(*deaths), metrics=CAT, partnerships=partners), "members_not_summing")
    assert (hit["severity"], hit["published"], hit["recomputed"]) == ("error", 59, 55)
    # A percentage for the partnership must lie between its members' (45.2 and 67.7).
    coc = [
        dict(metric_id="continuity_of_care", area_code="pan-dorset", period="2022/23", value=70.1),
        dict(metric_id="continuity_of_care", area_code=BCP, period="2022/23", value=45.2),
        dict(metric_id="continuity_of_care", area_code=DC, period="2022/23", value=67.7),
    ]
    assert only(audit_returns(returns(*coc), metrics=CAT, partnerships=partners),
                "members_not_summing")["severity"] == "error"
    coc[0]["value"] = 53.0
    assert audit_returns(returns(*coc), metrics=CAT, partnerships=partners).empty


def test_metric_not_in_catalogue_gets_defaults_and_a_warning():
    df = returns(
        dict(metric_id="mystery", area_code=PFA, period="2023/24 Q2", value=50, published_projection=100),
    )
    f = audit_returns(df, metrics={})
    # Q2 of a financial year: 50 / 0.5 = 100, correct under the inferred financial basis.
    assert checks(f) == {("mystery", PFA, "2023/24 Q2", "metric_not_in_catalogue", "warning")}


def _pan_dorset_rows():
    from tests_support import RETURNS, csv_rows

    return csv_rows(RETURNS)


def test_misspelt_metric_is_an_error_naming_the_closest_id(tmp_path):
    # issue #18 trap 5: county_line_arrests for county_lines_arrests exited 0 with only a note
    rows = _pan_dorset_rows()
    rows = [[("county_line_arrests" if c == "county_lines_arrests" else c) for c in r] for r in rows]
    path = write_csv(tmp_path / "typo.csv", rows)
    f = audit_returns(path)
    typo = f[f["check"] == "metric_not_in_catalogue"]
    assert list(typo["severity"]) == ["error"] and list(typo["metric_id"]) == ["county_line_arrests"]
    assert "did you mean 'county_lines_arrests'" in typo["message"].iloc[0]
    assert run_audit_cli(path, stdout=io.StringIO()) == 1


def test_every_input_problem_is_reported_at_once(tmp_path):
    from cdp_analysis.errors import CdpInputError

    path = tmp_path / "three.csv"
    path.write_text("metric_id,area_code,period,value,status\n"
                    "county_lines_arrests,E23000039,2023/24 Q1,n/a,\n"
                    "county_lines_arrests,E23000039,2022/23,80,q\n"
                    "soc_disruptions,E23000039,Q1 2023,1,\n", encoding="utf-8")
    with pytest.raises(CdpInputError) as info:
        audit_returns(path)
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "value"), (3, "status"), (4, "period")]
    err = io.StringIO()
    assert run_audit_cli(path, stdout=io.StringIO(), stderr=err) == 2
    assert all(f"row {n}" in err.getvalue() for n in (2, 3, 4)) and "2 more problems" in err.getvalue()


def test_header_only_file_is_not_every_figure_agrees(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("metric_id,area_code,period,value\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run_audit_cli(path, stdout=out, stderr=err) == 2
    assert "agrees" not in out.getvalue() and "no figures to audit" in err.getvalue()


def test_unknown_metric_and_area_in_a_file_are_warnings(tmp_path):
    # read_returns rejects them; the audit reads on, with warnings. 10 x 4 = 40 is right;
    # "£1,250" parses as 1,250 and 1,250 x 2 = 2,500 printed "£2,500".
    path = tmp_path / "odd.csv"
    path.write_text(
        "metric_id,area_code,period,value,published_projection\n"
        "mystery,E06000058,2023/24 Q1,10,40\n"
        "cash_seizures,X99,2023/24 Q2,\"£1,250\",\"£2,500\"\n",
        encoding="utf-8",
    )
    f = audit_returns(path)
    assert checks(f) == {
        ("mystery", BCP, "2023/24 Q1", "metric_not_in_catalogue", "warning"),
        ("cash_seizures", "X99", "2023/24 Q2", "area_not_known", "warning"),
    }
    assert run_audit_cli(path, stdout=io.StringIO()) == 0


def test_bad_input_raises_input_error():
    from cdp_analysis.errors import CdpInputError

    with pytest.raises(CdpInputError, match="period"):
        audit_returns(returns(dict(metric_id="x", area_code=PFA, period="Q1 2023", value=1)), metrics={})
    with pytest.raises(CdpInputError):
        audit_returns(pd.DataFrame({"metric_id": ["x"]}), metrics={})


def test_run_audit_cli_missing_file(tmp_path):
    err = io.StringIO()
    assert run_audit_cli(tmp_path / "nope.csv", stdout=io.StringIO(), stderr=err) == 2
    assert "cdp audit:" in err.getvalue()


def test_format_findings_puts_errors_first():
    f = audit_returns(cash(projection=94304, change=37.8), metrics=CAT)
    lines = format_findings(f).splitlines()
    assert lines[0].split()[:2] == ["severity", "metric_id"]
    assert lines[1].startswith("error") and lines[2].startswith("note")
    assert lines[-1] == "1 error, 0 warnings, 1 note."


# ----------------------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None)
@example(value=86464, last_year=3, quarter=4, decimals=1)  # printed 2882033.3 once read as 2882033.2999999998
@given(
    value=st.integers(min_value=1, max_value=500_000),
    last_year=st.integers(min_value=1, max_value=2_000_000),
    quarter=st.integers(min_value=1, max_value=4),
    decimals=st.integers(min_value=0, max_value=2),
)
def test_correctly_rounded_figures_never_give_findings(value, last_year, quarter, decimals):
    # Whatever the figures, the projection and change printed rounded half-up are accepted.
    projection = value * 4 / quarter
    shown = round_half_up(projection, 0)
    change = (shown - last_year) / last_year * 100

    df = returns(
        dict(metric_id="county_lines_arrests", area_code=PFA, period=f"2023/24 Q{quarter}", value=value,
             published_projection=shown, published_change_pct=round_half_up(change, decimals)),
        dict(metric_id="county_lines_arrests", area_code=PFA, period="2022/23", value=last_year),
    )
    f = audit_returns(df, metrics=CAT)
    assert f.empty, f["message"].tolist()
