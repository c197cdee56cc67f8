"""cdp_analysis.explore: the exploration notebooks' one-line calls, checked against the store
read another way (plain SQL, the library's funnel significance, a pandas join)."""

from __future__ import annotations

import pandas as pd
import pytest

from cdp_analysis import explore


@pytest.fixture(scope="module")
def store(full_store):
    from cdp_analysis.data.store import Store

    s = Store(full_store, read_only=True)
    yield s
    s.close()


def test_comparators_of_an_area_and_a_partnership():
    bham = explore.comparators_frame("E08000025")
    assert bham.set_index("role")["code"].to_dict() == {
        "area": "E08000025", "force": "E23000014", "region": "E12000005", "England": "E92000001",
        "England and Wales": "K04000001"}


def test_area_series_are_one_row_per_metric_area_and_period_and_match_the_store(store):
    s = explore.area_series(store, "pan-dorset")
    assert not s.duplicated(["metric_id", "area_code", "period"]).any()
    roles = set(s.loc[s["metric_id"] == "drug_misuse_asmr", "role"])
    assert roles == {"member", "region", "England"}
    assert {"police_uk_drugs", "drug_seizures", "population"} <= set(s["metric_id"])
    wide = explore.side_by_side(s, "drug_misuse_asmr")
    direct = store.sql("SELECT area_code, value FROM observations WHERE metric_id = 'drug_misuse_asmr' "
                       "AND period = '2019-2021' AND sex = 'persons' AND source = 'ons_drug_deaths_la'")
    direct = direct.set_index("area_code")["value"]
    assert wide.loc["2019-2021", "Bournemouth, Christchurch and Poole"] == direct["E06000058"]
    assert wide.loc["2019-2021", "England"] == direct["E92000001"]
    # population: the sum of single years of age for one year, read directly
    pop = store.sql("SELECT sum(population) AS p FROM population WHERE area_code = 'E06000059' AND year = 2021 "
                    "AND sex = 'persons' AND source = 'ons_mye'")["p"].iloc[0]
    got = s[(s["metric_id"] == "population") & (s["area_code"] == "E06000059") & (s["period"] == "2021")]
    assert float(got["value"].iloc[0]) == pytest.approx(float(pop))


def test_trend_frame_keeps_rates_only():
    s = pd.DataFrame({"metric_id": ["r"] * 6 + ["c"] * 6, "name": ["Rate"] * 6 + ["Count"] * 6,
                      "unit": ["rate"] * 6 + ["count"] * 6, "role": (["area"] * 3 + ["England"] * 3) * 2,
                      "area_name": (["A"] * 3 + ["E"] * 3) * 2, "period": ["1", "2", "3"] * 4,
                      "value": range(12)})
    t = explore.trend_frame(s)
    assert set(t["metric_id"]) == {"r"} and set(t["measure"]) == {"Rate (per 100,000)"}
    assert explore.trend_frame(s[s["period"] != "3"]).empty  # fewer than three periods


def test_ranking_places_the_area_as_the_library_funnel_test_does(store):
    from cdp_analysis import indicators as ind
    from cdp_analysis.plots import position_against_limits

    r = explore.ranking(store, "pan-dorset")
    assert r["highlight"].sum() == 2
    expected_rank = (r["value"] > r.loc[r["area_code"] == "E08000025", "value"].iloc[0]).sum() + 1
    assert r.loc[r["area_code"] == "E08000025", "rank"].iloc[0] == expected_rank
    sig = ind.funnel_significance(r.dropna(subset=["count", "value"]), "count", "rate", rate="value",
                                  rate_type="dsr", multiplier=100_000).set_index("area_code")["significance"]
    words = {"High (0.001)": "above the upper 99.8% limit", "High (0.025)": "between the upper 95% and 99.8% limits",
             "Not significant": "within the 95% limits", "Low (0.025)": "between the lower 95% and 99.8% limits",
             "Low (0.001)": "below the lower 99.8% limit"}
    for row in r[r["highlight"]].itertuples():
        where = position_against_limits(row.value, r.attrs["limits"][row.area_name])
        assert where == words[sig[row.area_code]], row.area_name


def test_police_offences_by_decile_add_up_to_the_records(store):
    p = explore.police_by_deprivation(store)
    assert set(p["police_force"]) == {"E23000039"} and list(p["imd_decile"]) == list(range(1, 11))
    total = store.sql("SELECT count(*) AS n FROM police_crimes WHERE force_code = 'E23000039' "
                      "AND crime_type = 'Drugs' AND in_force_area")["n"].iloc[0]
    assert p["offences"].sum() + p.attrs["unplaced"]["E23000039"] == total
    # decile 1 by a pandas join of the records with the LSOA table
    rec = store.sql("SELECT lsoa_code FROM police_crimes WHERE force_code = 'E23000039' AND crime_type = 'Drugs' "
                    "AND in_force_area")
    imd = store.imd_lsoa()
    joined = rec.merge(imd[["lsoa_code", "imd_decile"]], on="lsoa_code")
    assert p.loc[p["imd_decile"] == 1, "offences"].iloc[0] == int((joined["imd_decile"] == 1).sum())
    lsoas_d1 = imd[(imd["area_code"].isin(["E06000058", "E06000059"])) & (imd["imd_decile"] == 1)]
    assert p.loc[p["imd_decile"] == 1, "lsoas"].iloc[0] == len(lsoas_d1)


def test_latest_change_is_the_exact_test_of_the_last_two_years(store):
    s = explore.area_series(store, "E08000025")
    out = explore.latest_change(s)
    deaths = s[(s["metric_id"] == "drug_misuse_deaths") & (s["role"] == "area")].sort_values("period")
    assert out["count_a"].iloc[0] == deaths["count"].iloc[-1] and out["count_b"].iloc[0] == deaths["count"].iloc[-2]
