"""The traps of issue #18, each with the call and the input named in the issue.

Each test failed on the library as the issue found it (a silent wrong answer or an empty
frame) and passes now (a refusal naming the fix, or the right answer).
"""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

from cdp_analysis.errors import CdpInputError, CdpParameterError

# ---------------------------------------------------------------- 1. year-end projection


def test_projection_refuses_months_that_do_not_start_the_financial_year():
    from cdp_analysis import indicators as ind

    # January to March is not "April to date": read on the financial basis it was the whole of
    # 2022/23 and came back as 38 (range 38-38)
    with pytest.raises(CdpParameterError, match=r"year_basis='calendar'"):
        ind.project_year_end(38, period="2023-01..2023-03")
    # the fix the message names gives the calendar-year projection: 38 in 3 of 12 months
    fixed = ind.project_year_end(38, period="2023-01..2023-03", year_basis="calendar").iloc[0]
    assert fixed["projection"] == pytest.approx(38 * 12 / 3)
    assert fixed["lower"] < fixed["projection"] < fixed["upper"]
    # April to June on the calendar basis is refused the other way round
    with pytest.raises(CdpParameterError, match=r"year_basis='financial'"):
        ind.project_year_end(38, period="2023-04..2023-06", year_basis="calendar")
    # a range starting mid-year on either basis: the message says to give the total from the start
    with pytest.raises(CdpParameterError, match=r"from April"):
        ind.project_year_end(38, period="2023-07..2023-09")


def test_projection_and_probability_have_no_default_period():
    from cdp_analysis import indicators as ind

    for fn in (ind.project_year_end, ind.probability_of_meeting_target, ind.target_assessment):
        assert inspect.signature(fn).parameters["period"].default is inspect.Parameter.empty
    with pytest.raises(TypeError):
        ind.project_year_end(38)  # type: ignore[call-arg]


# ---------------------------------------------------------------- 2. sums of things that must not be summed


@pytest.fixture(scope="module")
def store(full_store):
    from cdp_analysis.data.store import Store

    with Store(full_store, read_only=True) as s:
        yield s


def test_store_series_is_one_row_per_period(store):
    raw = store.observations("drug_misuse_deaths", area="E92000001")
    assert len(raw) > raw["period"].nunique()  # as published: sources x editions x age bands
    s = store.series("drug_misuse_deaths", "E92000001")
    assert s.index.name == "period" and s.index.is_unique
    assert set(s.index) == set(raw["period"])  # every year, once
    # 2,846 deaths registered in England in 2021 (ONS, Deaths related to drug poisoning 2021
    # registrations, table 1), not 17,076 summed over sources, editions and age bands
    assert s.loc["2021", "count"] == 2846
    assert s["source"].nunique() == 1 and s.attrs["source"] == s["source"].iloc[0]
    assert s.attrs["other_sources"]  # the sources not used are named
    # an explicit edition and an age band the national workbook publishes
    old = store.series("drug_misuse_deaths", "E92000001", source="ons_drug_deaths_national",
                       edition="2021 registrations")
    assert set(old["edition"]) == {"2021 registrations"} and old.index[-1] == "2021"
    bands = ["0-19", "20-29", "30-39", "40-49", "50-69", "70+"]
    by_age = sum(store.series("drug_misuse_deaths", "E92000001", age=a, source="ons_drug_deaths_national")
                 .loc["2021", "count"] for a in bands)
    assert by_age == 2846  # the six bands add up to the all-ages figure of the same edition
    with pytest.raises(CdpParameterError, match="age band"):
        store.series("drug_misuse_deaths", "E92000001", age="20-25")


def test_summing_helpers_refuse_mixed_sources_editions_and_ages(store):
    from cdp_analysis.data.series import check_single_series

    raw = store.observations("drug_misuse_deaths", area="E92000001")
    with pytest.raises(CdpInputError, match="count the same events more than once"):
        check_single_series(raw)
    with pytest.raises(CdpInputError, match="column 'age'"):
        check_single_series(raw[raw["source"] == "ons_drug_deaths_national"]
                            .query("edition == '2022 registrations'"))
    clean = store.series("drug_misuse_deaths", "E92000001").reset_index().assign(area_code="E92000001")
    assert check_single_series(clean) is clean


def test_deaths_annual_refuses_the_mixture_and_sums_a_clean_series(store):
    from cdp_analysis import needs

    raw = store.observations("drug_misuse_deaths", area="E92000001")
    # it once returned 17,076 deaths for 2021 (sources x editions x age bands summed)
    with pytest.raises(CdpInputError, match="count the same events more than once"):
        needs.deaths_annual(raw, ["E92000001"])
    clean = store.series("drug_misuse_deaths", "E92000001").reset_index().assign(
        metric_id="drug_misuse_deaths", area_code="E92000001", sex="persons", age="all ages")
    annual = needs.deaths_annual(clean, ["E92000001"])
    assert annual.set_index("period").loc["2021", "count"] == 2846


@pytest.mark.parametrize(("metric", "area", "hint"), [
    ("drug_deaths", "E92000001", "did you mean 'drug_misuse_deaths'"),
    ("drug_misuse_deaths", "Birmingham", "did you mean 'E08000025'"),
    ("drug_misuse_deaths", "e08000025", "did you mean 'E08000025'"),
])
def test_unknown_names_raise_with_the_closest_match(store, metric, area, hint):
    with pytest.raises(CdpParameterError, match=hint):
        store.observations(metric, area=area)
    with pytest.raises(CdpParameterError, match=hint):
        store.series(metric, area)


def test_names_agree_with_cdp_list(store, capsys):
    from cdp_analysis.cli import main

    assert main(["list", "metrics"]) == 0
    listed = capsys.readouterr().out
    profile = store.area_profile("E08000025")
    assert len(profile) and all(m in listed for m in profile["metric_id"])
    assert profile.set_index("metric_id").loc["drug_misuse_deaths", "count"] == 79  # 2021, ONS workbook
    assert isinstance(store.sql("SELECT 1 AS one"), pd.DataFrame)


# ---------------------------------------------------------------- 8. forecasts that warn


def test_birmingham_forecast_warns_and_keeps_the_registration_caveat(store):
    from cdp_analysis import models

    s = store.series("drug_misuse_deaths", "E08000025")
    fc = models.forecast(s["count"], 3)  # a Series named "count"
    assert models.REGISTRATION_NOTE in fc.attrs["notes"]
    # 99 against 79 last observed, from a model whose own backtest MASE is 1.70
    assert round(float(fc["mean"].iloc[0])) == 99 and s["count"].iloc[-1] == 79
    assert fc.attrs["mase"] == pytest.approx(1.70, abs=0.01)
    text = " ".join(fc.attrs["warnings"])
    assert "above every value observed" in text and "25% above the last" in text
    # the typical year-to-year change of Birmingham's history, by hand: mean |y_t - y_{t-1}|
    y = s["count"].to_numpy()
    assert f"({sum(abs(y[1:] - y[:-1])) / (len(y) - 1):.1f})" in text
    assert "MASE above 1" in text
    html = fc._repr_html_()
    for shown in ("Warning", "MASE", "coverage", "registration", "2022"):
        assert shown in html
    # the same call from the tidy frame
    tidy = models.forecast(s.reset_index(), 3, period="period", value="count")
    pd.testing.assert_frame_equal(tidy.to_frame()[["period", "mean"]], fc.to_frame()[["period", "mean"]])
    assert tidy.attrs["warnings"] == fc.attrs["warnings"]


def test_forecast_of_mixed_rows_says_what_to_do(store):
    from cdp_analysis import models

    raw = store.observations("drug_misuse_deaths", area="E92000001")
    with pytest.raises(CdpInputError, match="Store.series"):
        models.forecast(raw, 3, period="period", value="count")
    with pytest.raises(CdpInputError, match="Store.series"):
        models.forecast(raw.set_index("period")["count"], 3)


def test_a_steady_trend_continued_is_not_a_jump():
    from cdp_analysis import models

    y = pd.Series([25, 28, 27, 29, 30, 33, 31, 36, 38, 37, 41, 44], dtype=float,
                  index=[str(v) for v in range(2010, 2022)], name="arrests")
    fc = models.forecast(y, 2)
    assert fc["mean"].iloc[0] > y.max()  # beyond the history, but by less than a typical step
    assert not any("every value observed" in w for w in fc.warnings)


def test_forecast_warns_when_worse_than_naive_in_its_own_backtest():
    from cdp_analysis import models

    # a step series: the trend GLM keeps rising after the level settles, naive does not
    y = pd.Series([10, 12, 15, 19, 24, 30, 37, 45, 45, 45, 45, 45, 45, 45], dtype=float,
                  index=[str(v) for v in range(2008, 2022)], name="arrests")
    fc = models.forecast(y, 2, model="glm")
    naive = fc.attrs["backtest"]["naive"]["mase"]
    assert fc.attrs["mase"] > naive  # checked against the backtest table itself
    assert any("worse than repeating the last value" in w for w in fc.attrs["warnings"])
    assert models.REGISTRATION_NOTE not in fc.attrs["notes"]
