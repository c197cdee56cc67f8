"""The needs-assessment figures on real store data, checked by hand against the ONS workbook.

The store is built once for the module by ``ingest`` from a temporary copy of the shipped
data folder (a few seconds). Hand figures are from ``2021localauthorities.xlsx`` (2021
registrations): drug misuse deaths registered in 2021, BCP 24 and Dorset 23; pooled
2019-2021 misuse ASMRs per 100,000, BCP 6.8 (5.3-8.5, 77 deaths), Dorset 5.3 (4.0-7.0,
55 deaths), South West 5.8, West Midlands 5.3, England 5.1, Birmingham 7.9 (6.9-8.9, 243).
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests_support import DATA

from cdp_analysis import areas, needs
from cdp_analysis.data.store import Store, ingest
from cdp_analysis.needs import shared
from cdp_analysis.periods import Period

PAN = ["E06000058", "E06000059"]
BIRMINGHAM = "E08000025"


def build_store(root: Path) -> Path:
    """Ingest a temporary copy of the shipped data folder; return the store's path."""
    data = root / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.duckdb", "*.duckdb.wal", "__pycache__"))
    db = root / "cdp.duckdb"
    ingest(data, db)
    return db


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return build_store(tmp_path_factory.mktemp("needs_store"))


@pytest.fixture(scope="module")
def deaths(db) -> pd.DataFrame:
    ids = [m for pair in needs.DEATH_METRICS.values() for m in pair]
    with Store(db, read_only=True) as s:
        return s.observations(metric=ids, sex=None)


@pytest.fixture(scope="module")
def ctx(db) -> needs.NeedsContext:
    return needs.load_context("pan-dorset", "2023/24 Q1", db=str(db), include_forecast=True)


# ----------------------------------------------------------------------- areas
def test_partnership_members_and_comparators():
    assert areas.members("pan-dorset") == PAN
    assert areas.comparators("pan-dorset") == [("E12000009", "South West"), ("E92000001", "England")]
    assert areas.comparators(BIRMINGHAM) == [("E12000005", "West Midlands"), ("E92000001", "England")]


# ----------------------------------------------------------------------- deaths
def test_partnership_annual_deaths_sum_members(deaths):
    a = needs.deaths_annual(deaths, PAN, "drug_misuse_deaths").set_index("period")
    assert a.loc["2021", "count"] == 24 + 23 == 47
    assert a.loc["2021", "members"] == 2
    p = needs.deaths_annual(deaths, PAN, "drug_poisoning_deaths").set_index("period")
    assert p.loc["2021", "count"] == 38 + 36
    # every year is the sum of the members' own series
    bcp = needs.deaths_annual(deaths, ["E06000058"]).set_index("period")["count"]
    dor = needs.deaths_annual(deaths, ["E06000059"]).set_index("period")["count"]
    pd.testing.assert_series_equal(a["count"], (bcp + dor).rename("count"), check_names=False)
    assert a.index[0] == "1993" and len(a) == 29


def test_annual_interval_is_byar(deaths):
    a = needs.deaths_annual(deaths, PAN).set_index("period")
    x, z = 47.0, 1.959964
    lower = x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3
    upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3
    assert a.loc["2021", "lower_95"] == pytest.approx(lower, abs=1e-3)
    assert a.loc["2021", "upper_95"] == pytest.approx(upper, abs=1e-3)


def test_until_cuts_the_series(deaths):
    a = needs.deaths_annual(deaths, PAN, until=Period.parse("2019"))
    assert a["period"].iloc[-1] == "2019"


def test_change_latest_two_years_not_significant(deaths):
    ch = needs.deaths_change(needs.deaths_annual(deaths, PAN), measure="deaths")
    assert (ch.count, ch.previous) == (47, 48)
    assert not ch.significant
    assert "not a statistically significant change" in ch.sentence


def test_deaths_change_is_a_typed_result_matching_the_conditional_binomial_test():
    # pan-Dorset's printed 59 -> 55: given the total of 114, the later count is Binomial(114, 1/2)
    # under no change (equal exposures); its Clopper-Pearson interval for p gives the ratio's as p / (1 - p)
    import html

    from scipy.stats import binomtest

    from cdp_analysis.needs.findings import CountChange

    ch = needs.deaths_change(pd.DataFrame({"period": ["2020", "2021"], "count": [59.0, 55.0]}))
    assert isinstance(ch, CountChange)
    ref = binomtest(55, 114, 0.5)
    ci = ref.proportion_ci(0.95, method="exact")
    assert (ch.period, ch.previous_period, ch.count, ch.previous) == ("2021", "2020", 55.0, 59.0)
    assert ch.ratio == pytest.approx(55 / 59)
    assert ch.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert (ch.lower, ch.upper) == pytest.approx((ci.low / (1 - ci.low), ci.high / (1 - ci.high)), rel=1e-6)
    assert ch.significant is False and ch.verdict == "not a statistically significant change"
    assert ch.verdict in ch.sentence and float(ch.test["ratio"].iloc[0]) == ch.ratio
    page = ch._repr_html_()
    assert html.escape(ch.sentence) in page and "<table" in page and ch.sentence in repr(ch)
    with pytest.raises(AttributeError):
        ch.ratio = 1.0  # frozen
    # a tenfold rise is a significant rise by the same reference
    up = needs.deaths_change(pd.DataFrame({"period": ["2020", "2021"], "count": [10.0, 100.0]}))
    assert binomtest(100, 110, 0.5).pvalue < 0.05 and up.verdict == "a statistically significant rise"


def test_asmr_comparison_partnership_members_side_by_side(deaths):
    c = needs.deaths_asmr_comparison(deaths, PAN, areas.comparators("pan-dorset"))
    assert c["period"].unique().tolist() == ["2019-2021"]
    assert c["role"].tolist() == ["member", "member", "benchmark", "benchmark"]  # no summed ASMR row
    c = c.set_index("area_code")
    assert c.loc["E06000058", ["value", "lower_95", "upper_95", "count"]].tolist() == [6.8, 5.3, 8.5, 77]
    # hand reasoning: England 5.1 lies below BCP's interval 5.3-8.5 -> higher (worse); the South West's
    # 5.8 lies inside it -> similar; Dorset's 4.0-7.0 holds both -> similar
    assert c.loc["E06000058", "vs_E92000001"] == "worse"
    assert c.loc["E06000058", "vs_E12000009"] == "similar"
    assert c.loc["E06000059", "vs_E92000001"] == "similar"
    assert c.loc["E06000059", "vs_E12000009"] == "similar"
    assert c.loc["E92000001", "value"] == 5.1 and c.loc["E12000009", "value"] == 5.8


def test_asmr_comparison_single_area(deaths):
    c = needs.deaths_asmr_comparison(deaths, [BIRMINGHAM], areas.comparators(BIRMINGHAM)).set_index("area_code")
    assert c.loc[BIRMINGHAM, "role"] == "area"
    # 6.9-8.9 lies above both the West Midlands (5.3) and England (5.1)
    assert c.loc[BIRMINGHAM, "vs_E12000005"] == "worse" and c.loc[BIRMINGHAM, "vs_E92000001"] == "worse"


def test_funnel_points_and_limits(deaths):
    pts, lim = needs.deaths_funnel(deaths, codes=PAN, until=Period.parse("2023"))
    assert pts.period.unique().tolist() == ["2019-2021"]
    assert (pts["count"] >= 10).all() and pts["area_code"].is_unique
    assert pts["highlight"].sum() == 2
    bcp = pts.set_index("area_code").loc["E06000058"]
    assert bcp["denominator"] == pytest.approx(100_000 * 77 / 6.8 / 3)  # derived annual population
    # the limits nest around the centre and narrow as the population grows
    assert (lim["lower_99_8"] < lim["lower_95"]).all() and (lim["lower_95"] < lim["centre"]).all()
    assert (lim["centre"] < lim["upper_95"]).all() and (lim["upper_95"] < lim["upper_99_8"]).all()
    width = lim["upper_95"] - lim["lower_95"]
    assert (np.diff(width.to_numpy()) < 0).all()
    # centre = all deaths over all derived person-years
    centre = pts["count"].sum() / (pts["denominator"] * 3).sum() * 100_000
    assert lim["centre"].iloc[0] == pytest.approx(centre, rel=1e-9)


def test_funnel_significance_by_hand(deaths):
    pts, lim = needs.deaths_funnel(deaths, codes=[BIRMINGHAM], until=Period.parse("2023"))
    b = pts.set_index("area_code").loc[BIRMINGHAM]
    centre = lim["centre"].iloc[0]
    x, z = 243.0, 3.090232
    lower_count = x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3  # Byar's 99.8% lower limit
    assert lower_count / (b["denominator"] * 3) * 100_000 > centre
    assert b["significance_unadjusted"] == "High (0.001)"
    # the areas are over-dispersed (Spiegelhalter 2005), so the limits shown allow for it; Birmingham by hand on
    # the square-root scale: z = 2 sqrt(d) (sqrt(y) - sqrt(theta)), outside the 99.8% additive limits when
    # |z| > 3.09 sqrt(1 + tau^2 / s^2), s = 1 / (2 sqrt(d)), tau from tau per 100,000 / (2 sqrt(theta) 100,000)
    assert lim["limits_shown"].iloc[0] == "adjusted" and lim["phi"].iloc[0] > 5 and lim["phi_p"].iloc[0] < 0.05
    theta = centre / 100_000
    d = b["denominator"] * 3
    zb = 2 * math.sqrt(d) * (math.sqrt(x / d) - math.sqrt(theta))
    tau = lim["tau"].iloc[0] / (2 * math.sqrt(theta) * 100_000)
    s = 1 / (2 * math.sqrt(d))
    width998, width95 = z * math.sqrt(1 + tau**2 / s**2), 1.959964 * math.sqrt(1 + tau**2 / s**2)
    expected = "High (0.001)" if zb > width998 else "High (0.025)" if zb > width95 else "Not significant"
    assert b["significance_adjusted"] == expected == b["significance"]
    # adjusted limits lie outside the unadjusted ones, and fewer areas fall outside them
    assert (lim["adjusted_upper_99_8"] > lim["unadjusted_upper_99_8"]).all()
    n_adj = pts["significance_adjusted"].str.contains("0.001").sum()
    n_raw = pts["significance_unadjusted"].str.contains("0.001").sum()
    assert n_adj < n_raw / 5


def test_trend_tests(deaths):
    a = needs.deaths_annual(deaths, PAN, until=Period.parse("2023"))
    t = needs.deaths_trend_test(a, deaths, PAN)
    # members' ASMRs cannot be pooled, so a partnership gets the count trend only
    assert t["series"].tolist() == ["annual count"]
    assert (t["from_period"].iloc[0], t["to_period"].iloc[0]) == ("2017", "2021")
    assert t["trend"].iloc[0] == "no significant change"  # 46, 41, 37, 48, 47
    tb = needs.deaths_trend_test(needs.deaths_annual(deaths, [BIRMINGHAM]), deaths, [BIRMINGHAM])
    assert tb["series"].tolist() == ["annual count", "3-year ASMR"]
    assert tb.set_index("series").loc["3-year ASMR", "to_period"] == "2019-2021"


def test_forecast_marked_with_backtest(deaths):
    fc = needs.deaths_forecast(needs.deaths_annual(deaths, PAN), 3)
    assert fc["period"].tolist() == ["2022", "2023", "2024"]
    assert (fc["status"] == "[f]").all()
    assert (fc["lower_95"] >= 0).all() and (fc["lower_95"] <= fc["mean"]).all() and (fc["mean"] <= fc["upper_95"]).all()
    assert fc.attrs["n_origins"] == 5 and 0 <= fc.attrs["coverage_95"] <= 1 and fc.attrs["mase"] > 0
    assert any("registration" in n for n in fc.attrs["notes"])


def test_forecast_too_short_says_why():
    a = pd.DataFrame({"period": ["2020", "2021"], "year": [2020, 2021], "count": [3.0, 4.0]})
    fc = needs.deaths_forecast(a)
    assert fc.empty and "8 or more" in fc.attrs["reason"]


# ----------------------------------------------------------------------- population
def test_population_profile_sums_members(db):
    with Store(db, read_only=True) as s:
        pop = s.population(area=[*PAN, "E92000001"])
    prof = needs.population_profile(pop, PAN)
    year = int(prof["year"].iloc[0])
    own = pop[(pop["year"] == year) & pop["area_code"].isin(PAN)]["population"].sum()
    assert prof["population"].sum() == pytest.approx(own)
    assert prof["percent"].sum() == pytest.approx(100) and prof["benchmark_percent"].sum() == pytest.approx(100)
    bcp = pop[(pop["year"] == year) & (pop["area_code"] == "E06000058") & (pop["age"] >= 65)]["population"].sum()
    dor = pop[(pop["year"] == year) & (pop["area_code"] == "E06000059") & (pop["age"] >= 65)]["population"].sum()
    assert prof.set_index("age_band").loc["65+", "population"] == pytest.approx(bcp + dor)


def test_population_profile_empty_without_data():
    empty = pd.DataFrame(columns=["area_code", "year", "sex", "age", "population"])
    assert needs.population_profile(empty, PAN).empty


# ----------------------------------------------------------------------- police.uk
def _police() -> pd.DataFrame:
    rows = []
    for code, n in (("E06000058", 6.0), ("E06000059", 4.0)):
        for m in range(1, 11):
            rows.append({"metric_id": "police_uk_drugs", "area_code": code, "period": f"2025-{m:02d}", "count": n})
        for m in range(1, 13):
            rows.append({"metric_id": "police_uk_drugs", "area_code": code, "period": f"2024-{m:02d}", "count": n})
    return pd.DataFrame(rows)


def test_police_year_end_projection_is_a_typed_result_checked_by_hand():
    import html

    from scipy.stats import binomtest

    from cdp_analysis.needs.findings import PartYearProjection

    # 2024 complete at 10 a month, 2025 January to June at 12 a month: one complete year of history
    months = [f"2024-{k:02d}" for k in range(1, 13)] + [f"2025-{k:02d}" for k in range(1, 7)]
    mon = pd.DataFrame({"metric_id": "police_uk_drugs", "month": months, "n": [10.0] * 12 + [12.0] * 6})
    pr = needs.police_year_end_projection(mon)
    assert isinstance(pr, PartYearProjection)
    assert (pr.period, pr.year, pr.value, pr.last_year, pr.last_year_value) == ("2025-01..2025-06", "2025", 72.0,
                                                                                 "2024", 120.0)
    # by hand: with a flat last year, its seasonal share of January to June is 60/120, so 72 / 0.5 = 144
    assert pr.projection == pytest.approx(144.0, rel=1e-9)
    assert pr.lower < pr.projection < pr.upper
    # like with like: 72 against the 60 of January to June 2024, an exact conditional test (72 of 132 against 1/2)
    assert "72 crimes in 2025-01..2025-06 against 60 in 2024-01..2024-06" in pr.change_sentence
    assert binomtest(72, 132, 0.5).pvalue > 0.05 and "not a statistically significant change" in pr.change_sentence
    assert pr.sentence.startswith("72 in 2025-01..2025-06; projected 144 for 2025 (95% interval ")
    assert html.escape(pr.change_sentence) in pr._repr_html_() and "<table" in pr._repr_html_()
    assert pr.sentence in repr(pr)


def test_police_monthly_sums_members_and_projects():
    mon = needs.police_monthly(_police(), PAN)
    assert mon["n"].eq(10).all() and len(mon) == 22
    pr = needs.police_year_end_projection(mon)
    assert pr.period == "2025-01..2025-10" and pr.value == 100
    assert pr.projection == pytest.approx(120, rel=0.05)
    assert pr.lower < pr.projection < pr.upper
    assert pr.last_year_value == 120 and "not a statistically significant change" in pr.change_sentence


def test_police_after_period_flag_and_seasonality():
    mon = needs.police_monthly(_police(), PAN, until=Period.parse("2023-06"))
    assert mon.attrs["after_period"] and len(mon) == 22
    s = needs.police_seasonality(mon)
    assert s.empty and s.attrs["reason"].startswith("1 complete calendar year of police.uk data; 2 are needed")


def test_police_top_lsoas_by_column_names():
    lsoa = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3", "L1"], "lsoa_name": ["a", "b", "c", "a"],
                         "crime_type": ["Drugs", "Drugs", "Burglary", "Drugs"], "area_code": "E06000058",
                         "n": [5, 3, 9, 2]})
    top = needs.police_top_lsoas(lsoa, PAN)
    assert top["lsoa_code"].tolist() == ["L1", "L2"] and top["n"].tolist() == [7, 3]
    assert top["share"].sum() == pytest.approx(100)


# ----------------------------------------------------------------------- treatment, reoffending
def test_treatment_targets_trajectory(ctx):
    t = needs.treatment_targets(ctx.returns, ctx.metrics, ctx.codes, ctx.period)
    coc = t[(t["metric_id"] == "continuity_of_care") & (t["area_code"] == "E06000058")].iloc[0]
    # 45.2% in 2022/23 to 75% by 2024/25: half way by the end of 2023/24
    assert coc["expected_now"] == pytest.approx(45.2 + (75 - 45.2) / 2)
    assert coc["expected_at"] == "2023/24"
    assert set(t["area_code"]) == set(PAN)  # members only, not the force area or England


def test_reoffending_empty_or_national(ctx):
    nat = needs.reoffending_national(ctx.reoffending)
    assert list(nat.columns) == ["period", "value", "count", "denominator", "area_code", "age"]
    assert needs.reoffending_local(ctx.returns, ctx.metrics, ctx.codes).empty


# ----------------------------------------------------------------------- summary and sections
def test_summary_findings_carry_tests(ctx):
    from cdp_analysis.report.needs_summary import summary_findings

    fs = summary_findings(ctx)
    text = " ".join(f["finding"] for f in fs)
    assert "47 drug misuse deaths registered in 2021 against 48 in 2020: not a statistically significant change" in text
    assert "Bournemouth, Christchurch and Poole's age-standardised" in text and "higher than England" in text
    # "rise" or "fall" only as the verdict of a test (neighbourhood crime fell significantly)
    import re

    assert "rose" not in text and "fell" not in text
    words = re.findall(r"(\S+ \S+ \S+) (rise|fall)\b", text)
    assert words and all(w[0] == "a statistically significant" for w in words), words


def test_sections_word_the_results(ctx):
    from cdp_analysis.report import needs_sections as ns

    items = ns.deaths_section(ctx)
    md = "\n".join(i.text for i in items if isinstance(i, ns.Md))
    titles = [i.title for i in items if isinstance(i, ns.Figure)]
    assert "year of registration, not year of occurrence" in md
    assert "[f]" in md and "backtest" in md
    assert "cannot be made from the members' published age-standardised rates" in md
    assert "Drug misuse deaths: Bournemouth, Christchurch and Poole higher than England; Dorset similar to England" \
        in titles
    pol = ns.police_section(ctx)
    assert pol and all(isinstance(i, (ns.Md, ns.Figure, ns.Table)) for i in pol)


# ----------------------------------------------------------------------- shared results
def test_shared_round_trip_and_staleness(db, tmp_path, deaths):
    path = shared.compute_shared("2023/24 Q1", db=db, out=tmp_path, areas=["pan-dorset", BIRMINGHAM],
                                 measures=("misuse",))
    assert path == tmp_path / "2023-24-Q1" / "_shared" / "shared.duckdb"
    with Store(db, read_only=True) as s:
        fp = shared.store_fingerprint(s)
    res = shared.load_shared("2023/24 Q1", out=tmp_path, fingerprint=fp)
    assert res is not None and res.meta["areas"] == "2"
    fc = res.forecast("pan-dorset", "drug_misuse_deaths")
    # the default deaths forecast is the pooled small-area model (it met the backtest targets)
    persons = deaths[(deaths["sex"] == "persons") & (deaths["metric_id"] == "drug_misuse_deaths")]
    direct = needs.pooled_deaths_forecasts(persons, "drug_misuse_deaths", Period.parse("2023/24 Q1"),
                                           ["pan-dorset"])["pan-dorset"]
    pd.testing.assert_frame_equal(fc.reset_index(drop=True), direct.reset_index(drop=True), check_dtype=False)
    assert fc.attrs["model"] == "pooled" and (fc["status"] == "[f]").all()
    assert fc.attrs["n_origins"] == 5 and fc.attrs["mase"] == pytest.approx(direct.attrs["mase"])
    # pan-Dorset is forecast from its members' summed counts: 46, 41, 37, 48, 47 in 2017-2021
    assert 25 < fc["mean"].iloc[0] < 80 and fc["lower_95"].iloc[0] < fc["mean"].iloc[0] < fc["upper_95"].iloc[0]
    asmr = res.rows("asmr", "pan-dorset", "drug_misuse_asmr").set_index("area_code")
    assert asmr.loc["E06000058", "vs_england"] == "worse" and asmr.loc["E06000058", "vs_region"] == "similar"
    pts, lim = res.funnel("drug_misuse_asmr", PAN)
    assert pts["highlight"].sum() == 2 and len(lim) == 100
    # the funnel covers every upper-tier area even when only two areas were asked for
    assert len(pts) > 100
    assert shared.load_shared("2023/24 Q2", path=path) is None  # another period
    assert shared.load_shared("2023/24 Q1", path=path, fingerprint="other data") is None  # another store
    assert shared.load_shared("2023/24 Q1", out=tmp_path / "nowhere") is None


def test_police_same_months_change_is_tested():
    from scipy.stats import binomtest

    from cdp_analysis.needs import police_same_months_change

    m = pd.DataFrame({"metric_id": "police_uk_neighbourhood_crime",
                      "month": ["2024-01", "2024-02", "2024-03", "2025-01", "2025-02", "2025-03", "2025-04"],
                      "n": [600.0, 590.0, 610.0, 380.0, 420.0, 470.0, 460.0]})
    r = police_same_months_change(m, "police_uk_neighbourhood_crime")
    # April 2025 has no April 2024 to compare with: January to March only
    assert (r.period, r.value, r.comparator_value) == ("January to March 2025", 1270.0, 1800.0)
    # exact conditional test: 1270 of 3070 events in the later period, against 1/2 under no change
    assert r.p_value == pytest.approx(binomtest(1270, 3070, 0.5).pvalue, rel=1e-9)
    assert r.ratio == pytest.approx(1270 / 1800) and r.comparator == "January to March 2024"
    assert r.significant and r.direction == "lower"
    assert r.sentence.startswith("1,270 records in January to March 2025 against 1,800")
    import html

    assert html.escape(r.sentence) in r._repr_html_()


def test_reoffending_change_tests_the_year_on_year_difference_and_dates_the_cohort():
    import math

    nat = pd.DataFrame({"period": ["2013-01..2013-03", "2013-04..2013-06", "2014-01..2014-03"],
                        "value": [31.3, 31.0, 30.6], "count": [47394, 46000, 45507],
                        "denominator": [151201, 150000, 148879]})
    ch = needs.reoffending_change(nat, Period.parse("2023/24 Q1"))
    # hand calculation: pooled two-proportion z test, 45,507/148,879 against 47,394/151,201
    p1, p2 = 45507 / 148879, 47394 / 151201
    pooled = (45507 + 47394) / (148879 + 151201)
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / 148879 + 1 / 151201))
    assert abs(z) > 1.96 and p1 < p2
    assert ch.verdict == "a statistically significant fall" and ch.base_period == "2013-01..2013-03"
    assert ch.verdict in ch.sentence and ch.years_before == 9  # March 2014 to June 2023
    # the typed fields against the same hand calculation and Newcombe's method 10 built from Wilson limits
    from scipy.stats import norm
    from statsmodels.stats.proportion import proportion_confint

    from cdp_analysis.needs.findings import ProportionChange

    assert isinstance(ch, ProportionChange) and (ch.period, ch.value, ch.base_value) == ("2014-01..2014-03", 30.6, 31.3)
    assert ch.difference == pytest.approx(p1 - p2) and ch.significant is True
    assert ch.p_value == pytest.approx(2 * norm.sf(abs(z)), rel=1e-6)
    l1, u1 = proportion_confint(45507, 148879, alpha=0.05, method="wilson")
    l2, u2 = proportion_confint(47394, 151201, alpha=0.05, method="wilson")
    d = p1 - p2
    assert ch.lower == pytest.approx(d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), rel=1e-6)
    assert ch.upper == pytest.approx(d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2), rel=1e-6)
    import html

    # the sentence is shown, escaped ("p < 0.001" must not open a tag)
    assert html.escape(ch.sentence) in ch._repr_html_() and "p &lt; 0.001" in ch._repr_html_()
    assert "<table" in ch._repr_html_() and ch.sentence in repr(ch)
    # a difference of 10 in 1,000 is within chance: no "fall" in the words
    small = nat.assign(count=[300, 300, 290], denominator=[1000, 1000, 1000])
    ch = needs.reoffending_change(small, Period.parse("2014-01..2014-06"))
    assert ch.verdict == "not a statistically significant change" and "fall" not in ch.sentence
    assert ch.years_before == 0 and ch.significant is False
    # no cohort a year before the latest: nothing to test
    assert needs.reoffending_change(nat.iloc[[0, 1]], "2023/24 Q1") is None


# ----------------------------------------------------------------------- seizures, prevalence, alcohol
def _raw_rows(rel: str) -> list[dict]:
    import csv

    with open(DATA / "raw" / rel, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_seizures_of_the_force_with_test_and_trend(ctx):
    s = needs.seizures_summary(ctx.context, ["E23000039"], until=ctx.period)
    # Home Office, Seizures of drugs in England and Wales 2018/19, Dorset: 2,097 seizures (1,988 in 2017/18)
    assert (s.period, s.total, s.class_a, s.cannabis) == ("2018/19", 2097.0, 497.0, 1393.0)
    ch = s.change
    # exact conditional test by hand: 2,097 of 4,085 seizures in the later year against p = 1/2
    from scipy.stats import binomtest

    assert ch.p_value == pytest.approx(binomtest(2097, 4085, 0.5).pvalue, rel=1e-9)
    assert ch.sentence.startswith("2,097 seizures in 2018/19 against 1,988 in 2017/18: not a statistically")
    assert s.trend_from == "2014/15" and s.trend == "no significant change"
    annual = s.annual
    assert annual["period"].tolist()[:2] == ["2009/10", "2010/11"] and len(annual) == 10
    assert (annual["lower_95"] < annual["count"]).all() and (annual["count"] < annual["upper_95"]).all()
    # a reporting period before the latest year keeps only the years that had ended
    early = needs.seizures_summary(ctx.context, ["E23000039"], until=Period.parse("2016/17 Q2"))
    assert early.period == "2015/16" and early.total == 2206.0


def test_seizures_need_every_force_and_find_a_strong_trend():
    obs = pd.DataFrame({"metric_id": "drug_seizures", "area_code": ["F1"] * 6 + ["F2"] * 5,
                        "period": [f"{y}/{str(y + 1)[2:]}" for y in range(2013, 2019)] + [
                            f"{y}/{str(y + 1)[2:]}" for y in range(2013, 2018)],
                        "count": [1000., 1200, 1400, 1600, 1800, 2000, 10, 10, 10, 10, 10]})
    s = needs.seizures_summary(obs, ["F1", "F2"])
    assert s.period == "2017/18" and s.total == 1810.0  # 2018/19 lacks F2: not summed
    assert s.trend == "increasing" and s.change.significant
    # the typed result by hand: 1,810 (1,800 + 10) in 2017/18 against 1,610 in 2016/17, exact conditional test
    import html

    from scipy.stats import binomtest

    from cdp_analysis.needs.findings import CountChange, SeizuresSummary

    assert isinstance(s, SeizuresSummary) and isinstance(s.change, CountChange)
    assert (s.change.count, s.change.previous, s.change.previous_period) == (1810.0, 1610.0, "2016/17")
    assert s.change.ratio == pytest.approx(1810 / 1610)
    assert s.change.p_value == pytest.approx(binomtest(1810, 3420, 0.5).pvalue, rel=1e-9)
    assert s.trend_from == "2013/14" and s.annual["count"].iloc[-1] == 1810.0
    assert s.sentence == s.change.sentence and html.escape(s.sentence) in s._repr_html_() and s.sentence in repr(s)
    assert s.class_a is None and needs.seizures_summary(obs, ["F9"]) is None


def test_alcohol_dependence_on_todays_boundaries(ctx):
    rows = [r for r in _raw_rows("ndtms/Estimates_of_Alcohol_Dependent_Adults_in_England_for_R.csv")
            if r["Year"] == "2017/18"]
    by_code = {r["Area_Code_GSS"]: r for r in rows}
    # pan-Dorset is exactly Bournemouth + Poole + Dorset County (Christchurch was in the county)
    a = needs.alcohol_dependence(ctx.context, ctx.codes)
    expected = sum(float(by_code[c]["Alcohol_dependent"]) for c in ("E06000028", "E06000029", "E10000009"))
    assert a.count == expected and a.lower is None and a.period == "2017/18"
    assert a.parts == ("E06000028", "E06000029", "E10000009")
    # the typed result shows itself: its sentence and the areas summed
    assert a.sentence.startswith(f"An estimated {expected:,.0f} adults") and a.sentence in a._repr_html_()
    # neither BCP nor Dorset alone is a union of the old areas
    for code in ("E06000058", "E06000059"):
        b = needs.alcohol_dependence(ctx.context, [code])
        assert b.count is None and "no set of them covers exactly this area" in b.reason
    # an area unchanged since then has its own estimate and interval, as published
    b = needs.alcohol_dependence(ctx.context, [BIRMINGHAM])
    row = by_code[BIRMINGHAM]
    assert (b.count, b.lower, b.upper) == tuple(
        float(row[k]) for k in ("Alcohol_dependent", "Alcohol_lower_CI", "Alcohol_upper_CI"))
    # a partnership of an unchanged area and re-formed ones adds the unchanged area's own figure
    mixed = needs.alcohol_dependence(ctx.context, ["E06000052", *ctx.codes])  # Cornwall + BCP + Dorset
    assert mixed.count == expected + float(by_code["E06000052"]["Alcohol_dependent"])
    assert needs.alcohol_dependence(ctx.context, ["E06000052", "E06000058"]).count is None
    eng = by_code["E92000001"]
    assert (a.england, a.england_lower) == (float(eng["Alcohol_dependent"]), float(eng["Alcohol_lower_CI"]))


def test_drug_use_prevalence_latest_national_survey_year(ctx):
    p = needs.drug_use_prevalence(ctx.context)
    assert set(p["period"]) == {"2021-10..2022-06"} and len(p) == 4
    # ONS, Drug misuse in England and Wales, year ending June 2022: 9.2% of 16-59s used any drug in the last year
    row = p[(p["what"] == "any drug") & (p["age"] == "16-59")].iloc[0]
    assert round(row["percent"], 1) == 9.2 and row["base"] == 7197
    assert needs.drug_use_prevalence(pd.DataFrame()).empty


def test_unmet_need_matches_fingertips_own_comparison(ctx):
    # the Fingertips exports carry OHID's own "Compared to England" verdict: ours must agree
    checked = 0
    for rel, mid in (("fingertips/unmet_opiates.csv", "fingertips_93517"),
                     ("fingertips/unmet_alcohol.csv", "fingertips_93532")):
        rows = _raw_rows(rel)
        latest: dict[str, dict] = {}
        for r in rows:
            if r["Area Code"] != "E92000001" and r["Time period"] >= latest.get(r["Area Code"], {}).get(
                    "Time period", ""):
                latest[r["Area Code"]] = r
        for code, r in latest.items():
            got = needs.unmet_need(ctx.context, [code]).set_index("metric_id").loc[mid]
            assert got["period"] == r["Time period"] and got["value"] == pytest.approx(float(r["Value"]), rel=1e-9)
            verdict = r["Compared to England value or percentiles"].lower()
            if verdict in ("similar", "better", "worse"):
                assert got["comparison"] == verdict, (code, mid, got["comparison"], verdict)
                checked += 1
    assert checked >= 8
    # members summed: numerators and denominators, no interval, no comparison (hand calculation)
    opi = {r["Area Code"]: r for r in _raw_rows("fingertips/unmet_opiates.csv") if r["Time period"] == "2020/21"}
    both = needs.unmet_need(ctx.context, ["E06000001", "E06000002"]).set_index("metric_id").loc["fingertips_93517"]
    n = float(opi["E06000001"]["Count"]) + float(opi["E06000002"]["Count"])
    d = float(opi["E06000001"]["Denominator"]) + float(opi["E06000002"]["Denominator"])
    assert both["value"] == pytest.approx(n / d * 100, rel=1e-9) and pd.isna(both["lower_95"])
    assert both["comparison"] == ""
    # pan-Dorset is not in the extract: England's figure alone, and the value missing
    pan = needs.unmet_need(ctx.context, ctx.codes).set_index("metric_id").loc["fingertips_93517"]
    assert pd.isna(pan["value"]) and pan["england"] == pytest.approx(float(opi["E92000001"]["Value"]), rel=1e-9)


def test_neighbourhood_crime_counts_match_the_raw_police_uk_files(ctx):
    # counted straight from the shipped CSVs: the four neighbourhood crime types, records placed
    # by their LSOA name in BCP or Dorset (the store places them by LSOA code)
    import csv

    types = {"Burglary", "Robbery", "Theft from the person", "Vehicle crime"}
    by_month: dict[str, int] = {}
    for f in sorted((DATA / "raw" / "police").glob("*/*-dorset-street.csv")):
        with open(f, newline="", encoding="utf-8-sig") as fh:
            for r in csv.DictReader(fh):
                if r["Crime type"] in types and r["LSOA name"].startswith(
                        ("Bournemouth, Christchurch and Poole", "Dorset")):
                    by_month[r["Month"]] = by_month.get(r["Month"], 0) + 1
    mon = needs.police_monthly(ctx.police, ctx.codes)
    same = needs.police_same_months_change(mon, "police_uk_neighbourhood_crime")
    jan_apr = [f"2025-{m:02d}" for m in range(1, 5)]
    assert same.value == sum(by_month[m] for m in jan_apr)  # 1,744
    assert same.comparator_value == sum(by_month[m.replace("2025", "2024")] for m in jan_apr)  # 2,398
    nbh = mon[(mon["metric_id"] == "police_uk_neighbourhood_crime") & mon["month"].str.startswith("2025")]
    assert nbh["n"].sum() == sum(v for k, v in by_month.items() if k.startswith("2025"))  # 5,432
