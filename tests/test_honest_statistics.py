"""The four reproductions of #17 in the application layer, on real store data (each failed before the fix).

1. Part of this year against the whole of last year: BCP's real police.uk months with
   January-June 2026 equal to January-June 2025 month for month were "a statistically
   significant fall"; the progress report's county-lines arrests (38 in Q1 against 80 in a
   year) were "on course for a statistically significant rise" with nothing to check it.
2. The 3-year ASMR trend was tested on rolling pools that share two years each.
3. Years with no deaths were dropped before taking "the last five points".
5. A target's status is shown beside the probability of meeting it.

Plus #16 item 3: Rutland and the Isles of Scilly get "cannot be calculated" (and why)
instead of a trend verdict or a forecast from a handful of deaths.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdp_analysis import needs, progress
from cdp_analysis.data.store import Store
from cdp_analysis.metrics import metrics as metric_catalogue
from cdp_analysis.periods import Period

BCP = "E06000058"
BIRMINGHAM = "E08000025"
RUTLAND = "E06000017"
SCILLY = "E06000053"


@pytest.fixture(scope="module")
def deaths(full_store) -> pd.DataFrame:
    ids = [m for pair in needs.DEATH_METRICS.values() for m in pair]
    with Store(full_store, read_only=True) as s:
        return s.observations(metric=ids, sex=None)


@pytest.fixture(scope="module")
def bcp_monthly(full_store) -> pd.DataFrame:
    with Store(full_store, read_only=True) as s:
        police = s.observations(metric=["police_uk_drugs", "police_uk_neighbourhood_crime"], area=[BCP])
    return needs.police_monthly(police, [BCP])


# ------------------------------------------------------------------ 1. part-year changes
def test_police_projection_compares_the_same_months_of_last_year(bcp_monthly):
    drugs = bcp_monthly[(bcp_monthly["metric_id"] == "police_uk_drugs") & bcp_monthly["month"].str.startswith("2025")]
    assert len(drugs) == 12 and drugs["n"].sum() == 701
    h1 = drugs[drugs["month"] <= "2025-06"]
    assert h1["n"].sum() == 284
    seasonal = pd.concat([drugs, h1.assign(month=h1["month"].str.replace("2025", "2026"))], ignore_index=True)
    pr = needs.police_year_end_projection(seasonal, "police_uk_drugs")
    assert pr.period == "2026-01..2026-06"
    # the same months, like with like: 284 against 284, nothing changed
    assert "284 crimes in 2026-01..2026-06 against 284 in 2025-01..2025-06" in pr.change_sentence
    assert "not a statistically significant change (rate ratio 1.00" in pr.change_sentence
    assert "significant fall" not in pr.change_sentence


def test_part_year_without_last_years_months_is_never_called_significant():
    ret = pd.DataFrame({"metric_id": ["county_lines_arrests", "county_lines_arrests"], "area_code": "E23000039",
                        "period": ["2023/24 Q1", "2022/23"], "value": [38.0, 80.0], "target": np.nan,
                        "target_period": None})
    out = progress.outcomes_table(ret, Period.parse("2023/24 Q1"), metric_catalogue())
    row = out.iloc[0]
    assert row["change_method"] == "projection range" and row["significant"] is None
    assert "statistically significant" not in row["significance"]
    assert "assuming every month is average (no seasonality)" in row["significance"]
    assert "115 to 199" in row["significance"]  # the projection's predictive range
    chart = progress.change_chart_data(out)
    headline = progress.change_headline(chart)
    assert "significant" not in headline and "same months of last year" in headline
    # with last year's Q1 in the returns, like with like: 38 against 21 is a tested rise
    ret2 = pd.concat([ret, ret.iloc[[0]].assign(period="2022/23 Q1", value=21.0)], ignore_index=True)
    out2 = progress.outcomes_table(ret2, Period.parse("2023/24 Q1"), metric_catalogue())
    row2 = out2[out2["period"] == "2023/24 Q1"].iloc[0]
    assert row2["change_method"] == "same months" and bool(row2["significant"]) is True
    assert row2["significance"].startswith(
        "38 county lines arrests in 2023/24 Q1 against 21 in 2022/23 Q1: a statistically significant rise")
    assert "significant rise" in progress.change_headline(progress.change_chart_data(out2))


# ------------------------------------------------------------------ 2. overlapping pools
def test_asmr_trend_uses_non_overlapping_pools(deaths):
    t = needs.deaths_trend_test(needs.deaths_annual(deaths, [BIRMINGHAM]), deaths, [BIRMINGHAM])
    asmr = t.set_index("series").loc["3-year ASMR"]
    # five pools three years apart, none sharing a year (before: 2015-2017 ... 2019-2021)
    assert (asmr["from_period"], asmr["to_period"]) == ("2007-2009", "2019-2021")


# ------------------------------------------------------------------ 3. zero years and small numbers
def test_zero_years_are_kept_and_small_counts_cannot_be_calculated():
    years = [str(y) for y in range(2011, 2021)]
    a = needs.deaths_annual(pd.DataFrame({"metric_id": "m", "area_code": "A", "period": years, "sex": "persons",
                                          "count": [9.0, 8, 6, 5, 4, 3, 1, 0, 0, 0], "status": ""}), ["A"], "m")
    t = needs.deaths_trend_test(a).iloc[0]
    assert (t["from_period"], t["to_period"]) == ("2016", "2020")  # before: "2013" to "2017"
    assert t["trend"] == "cannot be calculated"
    assert t["reason"] == "fewer than 10 deaths in total in 2016 to 2020"


@pytest.mark.parametrize("code", [RUTLAND, SCILLY])
def test_smallest_areas_get_cannot_be_calculated_with_the_reason(deaths, code):
    annual = needs.deaths_annual(deaths, [code], until=Period.parse("2021"))
    t = needs.deaths_trend_test(annual, deaths, [code], until=Period.parse("2021"))
    count = t.set_index("series").loc["annual count"]
    assert (count["from_period"], count["to_period"]) == ("2017", "2021")
    assert count["trend"] == "cannot be calculated"
    assert count["reason"] == "fewer than 10 deaths in total in 2017 to 2021"
    if "3-year ASMR" in set(t["series"]):
        assert t.set_index("series").loc["3-year ASMR", "trend"] == "cannot be calculated"
    fc = needs.deaths_forecast(annual, 3)
    assert fc.empty and fc.attrs["reason"].startswith("fewer than 10 deaths in total in the latest 5")
    ch = needs.deaths_change(annual)
    assert ch.significant is None and "cannot be calculated" in ch.sentence


# ------------------------------------------------------------------ 5. target probability
def test_targets_table_shows_the_chance_of_meeting_beside_the_status():
    ret = pd.DataFrame({"metric_id": ["rehab_placements", "rehab_placements"], "area_code": BCP,
                        "period": ["2022/23", "2023/24 Q1"], "value": [30.0, 9.0], "target": [30.0, np.nan],
                        "target_period": ["2023/24", None]})
    tab = progress.targets_table(ret, metric_catalogue())
    row = tab.iloc[0]
    from cdp_analysis import indicators as ind

    ref = ind.target_assessment(9, 30, "2023/24 Q1").iloc[0]
    assert row["probability"] == pytest.approx(ref["probability"], rel=1e-12)
    assert row["chance"] == ref["label"]
    # no part-year figure of the target year: the chance is not estimable, and says why
    only = progress.targets_table(ret.iloc[[0]], metric_catalogue()).iloc[0]
    assert np.isnan(only["probability"]) and only["chance"].startswith("not estimable")


@pytest.mark.parametrize("code", [RUTLAND, SCILLY])
def test_appendix_deaths_section_says_why_not_instead_of_a_verdict(full_store, code):
    from cdp_analysis.report import needs_sections
    from cdp_analysis.report.items import Figure, Md

    ctx = needs.load_context(code, "2023/24 Q1", db=str(full_store), include_forecast=True)
    items = needs_sections.deaths_section(ctx, "misuse")
    text = " ".join(i.text for i in items if isinstance(i, Md))
    titles = " ".join(i.title for i in items if isinstance(i, Figure))
    assert "Recent trend of the annual count: trend cannot be calculated (fewer than 10 deaths in total in " in text
    assert "No forecast: fewer than 10 deaths in total in the latest 5 periods." in text
    assert "statistically significant" not in text.replace("not a statistically significant", "")
    assert "no statistically significant trend" not in text + titles
    assert "too few deaths for a trend test" in titles


def test_annual_count_trend_is_the_poisson_score_test_by_hand():
    # pan-Dorset's 46, 41, 37, 48, 47 (2017-2021): chi-square = (sum x (t - tbar))^2 / (xbar * sum (t - tbar)^2)
    x = [46.0, 41, 37, 48, 47]
    a = pd.DataFrame({"period": [str(y) for y in range(2017, 2022)], "year": range(2017, 2022), "count": x})
    r = needs.deaths_trend_test(a).iloc[0]
    t = np.arange(5) - 2.0
    chi = float((np.array(x) * t).sum() ** 2 / (np.mean(x) * (t * t).sum()))
    slope = float((np.array(x) * t).sum() / (t * t).sum())  # deaths per year
    assert r["chi_square"] == pytest.approx(chi, rel=1e-6) and r["slope"] == pytest.approx(slope, rel=1e-6)
    assert r["trend"] == "no significant change"
