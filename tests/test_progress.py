"""The progress report's figures, recomputed from the pan-Dorset returns (hand-checked)."""

import pandas as pd
import pytest
from tests_support import RETURNS

from cdp_analysis.data.returns import read_returns
from cdp_analysis.metrics import metrics
from cdp_analysis.progress import agrees_with_print, deaths_statement, outcomes_table, targets_table


@pytest.fixture(scope="module")
def returns():
    return read_returns(RETURNS)


@pytest.fixture(scope="module")
def outcomes(returns):
    return outcomes_table(returns, "2023/24 Q1", metrics()).set_index("metric_id")


def test_projections_are_run_rates(outcomes):
    # Q1 of a financial year is a quarter of it; Jan-Jun of a calendar year is half of it
    assert outcomes.loc["county_lines_arrests", "projection"] == 38 * 4 == 152
    assert outcomes.loc["soc_disruptions", "projection"] == 259 * 4 == 1036
    assert outcomes.loc["neighbourhood_crime", "projection"] == 101 * 2 == 202
    assert outcomes.loc["cash_seizures", "projection"] == 23756 * 4 == 95024


def test_changes_against_last_year(outcomes):
    assert outcomes.loc["soc_disruptions", "change_pct"] == pytest.approx((1036 - 964) / 964 * 100, rel=1e-12)
    assert outcomes.loc["neighbourhood_crime", "change_pct"] == pytest.approx((202 - 188) / 188 * 100, rel=1e-12)
    assert outcomes.loc["county_lines_arrests", "last_year_period"] == "2022/23"
    assert outcomes.loc["neighbourhood_crime", "last_year_period"] == "2022"


def test_printed_figures_checked(outcomes):
    assert outcomes.loc["county_lines_arrests", "projection_agrees"]
    assert outcomes.loc["county_lines_arrests", "change_agrees"]  # 90% printed, 90.0% recomputed
    assert not outcomes.loc["cash_seizures", "projection_agrees"]  # 94,304 printed, 95,024 recomputed
    assert not outcomes.loc["soc_disruptions", "change_agrees"]  # 7.47% printed as 7.4%
    assert not outcomes.loc["neighbourhood_crime", "change_agrees"]  # 7.45% printed as 6.9%


def test_counts_get_intervals_money_does_not(outcomes):
    cl = outcomes.loc["county_lines_arrests"]
    assert cl["lower"] < 152 < cl["upper"] and cl["lower"] >= 38
    assert pd.isna(outcomes.loc["cash_seizures", "lower"])


def test_significance_wording(outcomes):
    # 38 in a quarter against 80 in a year: rate ratio 1.9, exact test significant
    assert "a statistically significant rise" in outcomes.loc["county_lines_arrests", "significance"]
    assert "not a statistically significant change" in outcomes.loc["soc_disruptions", "significance"]
    assert outcomes.loc["cash_seizures", "significance"].startswith("Not tested")


@pytest.mark.parametrize(("printed", "value", "agrees"),
                         [(7.4, 7.468879, False), (7.5, 7.468879, True), (90, 90.0, True), (94304, 95024, False),
                          (6.9, 7.446809, False), (37.8, 37.8448, True)])
def test_agrees_with_print(printed, value, agrees):
    assert agrees_with_print(printed, value) is agrees


def test_targets(returns):
    t = targets_table(returns, metrics()).set_index(["metric_id", "area_code"])
    yp_dorset = t.loc[("young_people_in_treatment", "E06000059")]
    assert yp_dorset["change_needed"] == 75 - 102
    assert "target may be mis-set" in yp_dorset["status"]
    adults_bcp = t.loc[("adults_in_treatment", "E06000058")]
    assert adults_bcp["change_needed"] == 110
    assert adults_bcp["change_needed_pct"] == pytest.approx(110 / 2590 * 100, rel=1e-12)
    coc = t.loc[("continuity_of_care", "E06000058")]
    assert "not yet measurable" in coc["status"]
    # halfway from 45.2% (2022/23) to 75% (2024/25): 60.1% in 2023/24
    assert coc["trajectory_period"] == "2023/24"
    assert coc["trajectory_value"] == pytest.approx((45.2 + 75) / 2, rel=1e-12)


def test_deaths_statement_is_not_a_fall(returns):
    text = deaths_statement(returns)
    assert text.startswith("55 deaths in 2022 against 59 in 2021: not a statistically significant change")
    assert text.endswith("p = 0.78). The 2022 figure is provisional.")


def test_change_chart_data_and_headline(outcomes):
    from cdp_analysis.progress import change_chart_data, change_headline

    chart = change_chart_data(outcomes.reset_index()).set_index("metric_id")
    assert "cash_seizures" not in chart.index  # money is not tested
    cl = chart.loc["county_lines_arrests"]
    assert cl["change"] == pytest.approx(90.0)
    assert cl["change_lower"] == pytest.approx((outcomes.loc["county_lines_arrests", "lower"] / 80 - 1) * 100)
    assert cl["significant"] and not chart.loc["soc_disruptions", "significant"]
    assert change_headline(chart.reset_index()) == (
        "County lines arrests are on course for a statistically significant rise; other changes are within chance")
