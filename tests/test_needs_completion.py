"""Fingertips' treatment outcomes for any area (what ``cdp fetch fingertips`` adds to the appendix).

The frames are written here in the Fingertips export's terms; the partnership's interval is
checked against statsmodels' Wilson interval (a peer package) and the verdicts against
Fingertips' rule worked by hand.
"""

from __future__ import annotations

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from cdp_analysis.areas import ENGLAND
from cdp_analysis.needs.completion import treatment_outcomes

OBS = pd.DataFrame({
    "metric_id": ["fingertips_90244"] * 5 + ["fingertips_90245"] * 3,
    "area_code": ["E06000058", "E06000059", ENGLAND, "E06000058", ENGLAND, "E06000058", "E06000059", ENGLAND],
    "period": ["2021", "2021", "2021", "2022", "2022", "2021", "2021", "2021"],
    "value": [4.0, 7.0, 5.0, 6.0, 5.1, 30.0, 40.0, 34.0],
    "lower_95": [3.0, 5.8, 4.9, 4.8, 5.0, 27.0, 36.0, 33.8],
    "upper_95": [5.3, 8.4, 5.1, 7.5, 5.2, 33.2, 44.1, 34.2],
    "count": [40.0, 70.0, 6000.0, 60.0, 6100.0, 300.0, 200.0, 34000.0],
    "denominator": [1000.0, 1000.0, 120000.0, 1000.0, 119600.0, 1000.0, 500.0, 100000.0],
})


def test_one_area_uses_the_published_figures_and_fingertips_rule():
    t = treatment_outcomes(OBS, ["E06000058"]).set_index("metric_id")
    opiate = t.loc["fingertips_90244"]
    assert (opiate["period"], opiate["value"], opiate["lower_95"], opiate["england"]) == ("2022", 6.0, 4.8, 5.1)
    assert opiate["comparison"] == "similar"  # 5.1 lies inside 4.8 to 7.5
    non = t.loc["fingertips_90245"]
    assert non["comparison"] == "worse"  # England's 34.0 is above the upper limit 33.2: lower is worse here


def test_a_partnership_sums_members_and_recomputes_with_wilson_limits():
    t = treatment_outcomes(OBS, ["E06000058", "E06000059"]).set_index("metric_id")
    opiate = t.loc["fingertips_90244"]  # 2022 lacks Dorset: the latest year both have is 2021
    assert opiate["period"] == "2021" and (opiate["count"], opiate["denominator"]) == (110.0, 2000.0)
    lo, hi = proportion_confint(110, 2000, alpha=0.05, method="wilson")
    assert opiate["value"] == pytest.approx(5.5)
    assert (opiate["lower_95"], opiate["upper_95"]) == pytest.approx((lo * 100, hi * 100))
    assert opiate["comparison"] == "similar"
    non = t.loc["fingertips_90245"]
    lo, hi = proportion_confint(500, 1500, alpha=0.05, method="wilson")
    assert (non["lower_95"], non["upper_95"]) == pytest.approx((lo * 100, hi * 100))
    assert lo * 100 <= 34.0 <= hi * 100 and non["comparison"] == "similar"  # England inside the summed interval


def test_small_counts_are_hidden_with_their_percentages():
    small = OBS.assign(count=OBS["count"].where(OBS["area_code"] != "E06000058", 3.0))
    t = treatment_outcomes(small, ["E06000058"]).set_index("metric_id")
    assert t["count"].isna().all() and t["value"].isna().all() and (t["status"] == "c").all()


def test_an_area_not_in_the_store_gets_englands_latest_year():
    t = treatment_outcomes(OBS, ["E08000025"]).set_index("metric_id")
    assert t.loc["fingertips_90244", "period"] == "2022" and pd.isna(t.loc["fingertips_90244", "value"])
