"""School exclusions for drug and alcohol, and drug-related hospital admissions, for today's areas.

Every figure is recomputed here from the raw files read with the csv module (DfE's tidied reason
file and headcount table, the compiled NHS admissions, the ONS population estimates), with
Byar's limits written out and the change's p-value from scipy's exact binomial test (the
conditional test of two Poisson rates). DfE's own published rate (England 2016/17: 4.76
suspensions per 100 pupils, all reasons) checks the per-pupil machinery.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cdp_analysis.data.sources import dfe_exclusions, nhs_admissions, ons_population_series
from cdp_analysis.needs.exclusions import EXCLUSION_METRICS, exact_parts, exclusions_change, exclusions_series
from cdp_analysis.needs.harm import admissions_change, admissions_series

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
DORSET_OLD = {"Bournemouth": "E06000028", "Poole": "E06000029", "Dorset": "E10000009"}
PAN_DORSET = ["E06000058", "E06000059"]


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def byar(o: float, n: float, per: float) -> tuple[float, float]:
    z = 1.959963984540054
    lo = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    return lo / n * per, hi / n * per


@pytest.fixture(scope="module")
def school() -> pd.DataFrame:
    ed = RAW / "education"
    return pd.concat([dfe_exclusions.read(ed / f) for f in
                      ("SFR35_2017_reason_for_exclusion.csv", "clean_la_exclusions_data.csv", "clean_la_data.csv")])


@pytest.fixture(scope="module")
def admissions() -> pd.DataFrame:
    folder = RAW / "hospital_admissions" / "nhs_drug_admissions_merged_locations"
    return pd.concat([nhs_admissions.read(p) for p in sorted(folder.glob("*.csv"))])


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    pop = RAW / "population"
    return pd.concat([ons_population_series.read(pop / "la_pop_estimates.csv"),
                      ons_population_series.read(pop / "pop_region_25nov2022.csv")])


# --------------------------------------------------------------------------- exclusions
def test_pan_dorset_is_bournemouth_poole_and_dorset_county_by_hand(school):
    s = exclusions_series(school, PAN_DORSET).set_index("period")
    reasons = rows(RAW / "education" / "clean_la_exclusions_data.csv")
    heads = rows(RAW / "education" / "clean_la_data.csv")
    n = sum(float(r["fixed_drug_alcohol"]) for r in reasons
            if r["year"] == "201617" and r["school_type"] == "Total" and r["la_name"] in DORSET_OLD)
    p = sum(float(r["headcount"]) for r in heads
            if r["year"] == "201617" and r["school_type"] == "Total" and r["la_name"] in DORSET_OLD
            and r["level"] == "Local authority")
    row = s.loc["2016/17"]
    assert (row["count"], row["pupils"]) == (n, p) == (158, 98_093)
    assert row["value"] == pytest.approx(n / p * 10_000)
    assert (row["lower_95"], row["upper_95"]) == pytest.approx(byar(n, p, 10_000))
    eng = [r for r in reasons if r["year"] == "201617" and r["school_type"] == "Total" and r["la_name"] == "England"]
    assert row["england"] == pytest.approx(float(eng[0]["fixed_drug_alcohol"]) / 8_025_075 * 10_000)
    assert row["comparison"] == "worse"  # England's 11.3 lies below pan-Dorset's interval
    assert row["england"] < row["lower_95"]


def test_all_reasons_rate_reproduces_dfe_published_rate(school):
    s = exclusions_series(school, ["E92000001"], metric="school_suspensions").set_index("period")
    assert round(s.loc["2016/17", "value"] / 100, 2) == 4.76
    assert round(s.loc["2015/16", "value"] / 100, 2) == 4.29


def test_change_is_the_exact_conditional_test(school):
    s = exclusions_series(school, PAN_DORSET)
    ch = exclusions_change(s, "suspensions")
    a, b = s.iloc[-1], s.iloc[-2]
    assert (ch.period, ch.previous_period) == ("2016/17", "2015/16")
    p = stats.binomtest(int(a["count"]), int(a["count"] + b["count"]), a["pupils"] / (a["pupils"] + b["pupils"]))
    assert ch.p_value == pytest.approx(p.pvalue, rel=1e-9)
    assert ch.ratio == pytest.approx((a["count"] / a["pupils"]) / (b["count"] / b["pupils"]))
    assert ("statistically significant fall" in ch.sentence) == (p.pvalue < 0.05) and ch.tested
    # the typed interval: the Clopper-Pearson limits of the share of events in the later year, as odds
    # scaled by the exposures (pupils), give the rate ratio's limits
    ci = stats.binomtest(int(a["count"]), int(a["count"] + b["count"])).proportion_ci(0.95, method="exact")
    scale = b["pupils"] / a["pupils"]
    assert (ch.lower, ch.upper) == pytest.approx((ci.low / (1 - ci.low) * scale, ci.high / (1 - ci.high) * scale),
                                                 rel=1e-6)
    assert ch.verdict in ch.sentence and ch.sentence in repr(ch)


def test_birmingham_and_areas_without_exact_predecessors(school):
    b = exclusions_series(school, ["E08000025"])
    assert set(b["parts"]) == {"E08000025"} and len(b) == 11
    assert exclusions_series(school, ["E06000058"]).empty  # BCP: Christchurch lay in Dorset County
    assert exact_parts(["E06000028", "E06000029", "E10000009"], ["E06000059"]) is None


def test_a_suppressed_part_hides_the_total_and_the_change(school):
    s = exclusions_series(school, PAN_DORSET, metric="school_permanent_exclusions_drug_alcohol")
    hidden = s[s["status"] == "c"]
    assert len(hidden) and hidden["count"].isna().all() and hidden["value"].isna().all()
    ch = exclusions_change(s, EXCLUSION_METRICS["school_permanent_exclusions_drug_alcohol"])
    if pd.isna(s.iloc[-1]["count"]) or pd.isna(s.iloc[-2]["count"]):
        assert not ch.tested and "suppressed" in ch.sentence
        assert "rise" not in ch.sentence and "fall" not in ch.sentence


# --------------------------------------------------------------------------- admissions
def test_pan_dorset_admissions_by_hand(admissions, population):
    s = admissions_series(admissions, population, PAN_DORSET).set_index("period")
    raw = {r["year"]: r for r in rows(RAW / "hospital_admissions" / "nhs_drug_admissions_merged_locations" /
                                      "primary.csv")}
    n = float(raw["2019"]["Bournemouth and Poole"]) + float(raw["2019"]["Dorset"])
    pop = {(r["code"], r["year"]): r for r in rows(RAW / "population" / "la_pop_estimates.csv")}

    def persons(code: str, year: str) -> float:
        r = pop[(code, year)]
        return sum(float(v) for k, v in r.items() if k.startswith("Age"))

    p = persons("E06000058", "2018") + persons("E06000059", "2018")
    row = s.loc["2018/19"]
    assert (row["count"], row["population"]) == (n, p)
    assert row["value"] == pytest.approx(n / p * 100_000)
    assert (row["lower_95"], row["upper_95"]) == pytest.approx(byar(n, p, 100_000))
    regions = [r for r in rows(RAW / "population" / "pop_region_25nov2022.csv") if r["Age"] == "All Ages"]
    eng_pop = sum(float(r["2018"]) for r in regions)
    assert row["england"] == pytest.approx(7_376 / eng_pop * 100_000)  # NHS Digital's 7,376 for 2018/19


def test_only_the_documented_years(admissions, population):
    s = admissions_series(admissions, population, ["E08000025"])
    assert list(s["period"])[0] == "2008/09" and list(s["period"])[-1] == "2018/19"
    assert admissions_series(admissions, population, ["E06000059"]).empty  # Dorset Council alone: no exact tiles


def test_admissions_change_tested_and_poisoning_not(admissions, population):
    s = admissions_series(admissions, population, PAN_DORSET)
    ch = admissions_change(s, "admissions_drug_mental_behavioural")
    a, b = s.iloc[-1], s.iloc[-2]
    p = stats.binomtest(int(a["count"]), int(a["count"] + b["count"]),
                        a["population"] / (a["population"] + b["population"]))
    assert ch.tested and ch.p_value == pytest.approx(p.pvalue, rel=1e-9)
    pois = admissions_change(admissions_series(admissions, population, PAN_DORSET, "admissions_drug_poisoning"),
                             "admissions_drug_poisoning")
    assert not pois.tested and "not tested" in pois.sentence
    assert "rise" not in pois.sentence and "fall" not in pois.sentence


# --------------------------------------------------------------------------- the reports
@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """A store of the reference tables, returns, DfE, NHS admissions and ONS population series (real ingest)."""
    import shutil

    from tests_support import data_folder

    from cdp_analysis.data.store import ingest

    root = tmp_path_factory.mktemp("harm")
    data = data_folder(root, returns=True)
    shutil.copytree(RAW / "education", data / "raw" / "education")
    shutil.copytree(RAW / "hospital_admissions", data / "raw" / "hospital_admissions")
    (data / "raw" / "population").mkdir(parents=True)
    for f in ("la_pop_estimates.csv", "pop_region_25nov2022.csv"):
        shutil.copy2(RAW / "population" / f, data / "raw" / "population" / f)
    ingest(data, root / "cdp.duckdb")
    return root / "cdp.duckdb"


def _text(items) -> str:
    return "\n".join(getattr(i, "text", "") for i in items)


def _every_rise_or_fall_is_tested(text: str) -> None:
    for line in text.splitlines():
        for word in (" rise", " fall", " rose", " fell"):
            if word in line:
                assert "statistically significant" in line and ("p = " in line or "p < " in line), line


@pytest.mark.parametrize("area", ["pan-dorset", "E08000025"])
def test_appendix_sections_for_pan_dorset_and_birmingham(store, area, school):
    from cdp_analysis.needs import load_context
    from cdp_analysis.report import needs_sections as ns

    ctx = load_context(area, "2023/24 Q1", db=str(store), include_forecast=False)
    school_items, harm_items = ns.school_exclusions_section(ctx), ns.harm_section(ctx)
    text = _text(school_items) + "\n" + _text(harm_items)
    s = exclusions_series(school, ctx.codes).iloc[-1]
    assert f"**Suspensions for drug and alcohol, 2016/17**: {s['count']:,.0f} among {s['pupils']:,.0f} pupils" in text
    assert f"{s['value']:.1f} per 10,000 pupils (95% interval {s['lower_95']:.1f} to {s['upper_95']:.1f})" in text
    assert "Admissions for drug-related mental and behavioural disorders, 2018/19" in text
    _every_rise_or_fall_is_tested(text)
    titles = [i.title for i in school_items + harm_items if type(i).__name__ == "Figure"]
    assert len(titles) == 2 and all(t for t in titles)
    tables = [i for i in school_items + harm_items if type(i).__name__ == "Table"]
    assert [len(t.df) for t in tables] == [11, 11]
    if area == "pan-dorset":
        assert "the sum of Bournemouth, Poole and Dorset County" in text


def test_small_authorities_without_figures_run(store):
    """The Isles of Scilly: DfE publishes ':' for most of its cells; Cornwall and Scilly are one NHS location."""
    from cdp_analysis.needs import load_context
    from cdp_analysis.report import needs_sections as ns

    ctx = load_context("E06000053", "2023/24 Q1", db=str(store), include_forecast=False)
    text = _text(ns.school_exclusions_section(ctx)) + _text(ns.harm_section(ctx))
    assert "Christchurch" not in text and "No data for this section are in the store for Isles of Scilly" in text
    _every_rise_or_fall_is_tested(text)


def test_bcp_alone_says_why_there_is_no_figure(store):
    from cdp_analysis.needs import load_context
    from cdp_analysis.report import needs_sections as ns

    ctx = load_context("E06000058", "2023/24 Q1", db=str(store), include_forecast=False)
    for items in (ns.school_exclusions_section(ctx), ns.harm_section(ctx)):
        assert "Christchurch, now in BCP, lay in Dorset County" in _text(items)
        assert not [i for i in items if type(i).__name__ != "Md"]


@pytest.mark.parametrize("area", ["pan-dorset", "E08000025"])
def test_progress_prevention_section_shows_school_exclusions(store, area):
    from cdp_analysis import progress
    from cdp_analysis.report import progress_sections as ps
    from cdp_analysis.report.items import markdown

    text = markdown(ps.prevention_section(progress.load_context(area, "2023/24 Q1", db=str(store))))
    assert "**School exclusions for drug and alcohol (DfE, published).**" in text
    assert "- Suspensions for drug and alcohol, 2016/17:" in text
    _every_rise_or_fall_is_tested(text)
