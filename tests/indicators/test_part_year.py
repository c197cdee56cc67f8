"""Part of this year against last year (#17 item 1): like with like, or the assumption said out loud.

The reproduction of the issue: BCP's real police.uk drug-offence months for 2025 from the
store, with January-June 2026 set equal to January-June 2025 month for month. Nothing
changed, so no comparison may call it a significant change; the part-year-against-full-year
rate test (today's) calls it "a statistically significant fall".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from cdp_analysis import indicators as ind
from cdp_analysis.data.store import Store
from cdp_analysis.indicators.part_year import NO_LIKE_FOR_LIKE

BCP = "E06000058"


@pytest.fixture(scope="module")
def bcp_2025(full_store) -> pd.Series:
    """BCP's police.uk drug offences by month, 2025, read from a store built from the shipped files."""
    with Store(full_store, read_only=True) as s:
        obs = s.observations(metric=["police_uk_drugs"], area=[BCP])
    m = obs[obs["period"].astype(str).str.startswith("2025-")]
    series = pd.Series(m["count"].to_numpy(dtype=float), index=m["period"].astype(str).to_numpy()).sort_index()
    assert len(series) == 12
    return series


def _repeat_first_half(months_2025: pd.Series) -> pd.Series:
    h1 = months_2025.iloc[:6]
    return pd.concat([months_2025, pd.Series(h1.to_numpy(), index=[k.replace("2025", "2026") for k in h1.index])])


def test_the_issue_reproduction_is_what_the_old_test_called_a_fall(bcp_2025):
    # the figures of the issue: 284 in January-June of each year, 701 in 2025 in full
    assert bcp_2025.iloc[:6].sum() == 284 and bcp_2025.sum() == 701
    # today's comparison (year to date at exposure 0.5 against the full year): "significant fall"
    old = ind.rate_ratio_test(284, 0.5, 701, 1.0).iloc[0]
    assert old["significant"] and old["ratio"] == pytest.approx(284 / 0.5 / 701)


def test_same_months_of_last_year_are_compared_like_with_like(bcp_2025):
    monthly = _repeat_first_half(bcp_2025)
    r = ind.same_months_change(monthly, measure="crimes")
    assert (r.period, r.comparator) == ("January to June 2026", "January to June 2025")
    assert r.value == r.comparator_value == 284
    assert r.ratio == 1.0 and r.p_value == 1.0 and r.significant is False and r.direction == "similar"
    assert "not a statistically significant change" in r.sentence
    # the same through part_year_change with last year's same months given
    r2 = ind.part_year_change(284, "2026-01..2026-06", 701, same_period_last_year=284, year_basis="calendar",
                              measure="crimes")
    assert r2.method == "same months" and r2.ratio == 1.0 and not r2.significant


def test_a_real_seasonal_change_is_still_found_like_with_like(bcp_2025):
    # the test can fail: 2026's first half 40% above 2025's, month for month
    monthly = _repeat_first_half(bcp_2025)
    monthly[monthly.index.str.startswith("2026")] *= 1.4
    r = ind.same_months_change(monthly.round(), measure="crimes")
    # hand check: exact conditional binomial test of the 2026 share of the pooled count
    a, b = monthly.round()["2026-01":].sum(), bcp_2025.iloc[:6].sum()
    assert r.p_value == pytest.approx(binomtest(int(a), int(a + b), 0.5).pvalue, rel=1e-9)
    assert r.significant and r.direction == "higher"


def test_without_last_years_months_the_assumption_is_stated_and_nothing_is_called_significant():
    # the progress report's county-lines arrests: 38 in Q1 against 80 in the year before
    r = ind.part_year_change(38, "2023/24 Q1", 80, measure="arrests")
    assert r.method == "projection range" and r.significant is None and not r.tested
    assert "significant" not in r.sentence.replace("not a test", "")
    assert NO_LIKE_FOR_LIKE in r.sentence and r.assumption == NO_LIKE_FOR_LIKE
    # the range is project_year_end's, and last year's 80 lies below it
    proj = ind.project_year_end(38, period="2023/24 Q1").iloc[0]
    assert (r.projection, r.projection_lower, r.projection_upper) == (proj["projection"], proj["lower"], proj["upper"])
    assert r.projection_lower > 80 and r.direction == "last year below the range"
    within = ind.part_year_change(38, "2023/24 Q1", 150, measure="arrests")
    assert within.direction == "last year within the range" and "within the projection's range" in within.sentence


def test_constructed_seasonal_series_no_change_is_never_significant_like_with_like():
    # a strongly seasonal constant-rate series (summer twice winter): the like-for-like test
    # keeps its 5% level while the part-year-against-full-year test rejects far more often
    rng = np.random.default_rng(17)
    shape = np.array([1, 1, 1, 1.5, 2, 2, 2, 2, 1.5, 1, 1, 1], dtype=float)
    mean = 60 * shape / shape.mean()  # 60 a month on average, 45 in winter months
    last = rng.poisson(mean, size=(4000, 12))
    this = rng.poisson(mean[:3], size=(4000, 3))  # January-March
    like = ind.rate_ratio_test(this.sum(1), 1.0, last[:, :3].sum(1), 1.0)["significant"].mean()
    naive = ind.rate_ratio_test(this.sum(1), 0.25, last.sum(1), 1.0)["significant"].mean()
    assert binomtest(int(like * 4000), 4000, 0.05, alternative="greater").pvalue > 0.01
    assert naive > 0.5  # winter months read as a "significant fall" most of the time


def test_small_counts_give_no_verdict():
    r = ind.part_year_change(1, "2023/24 Q1", 3, same_period_last_year=6, measure="deaths")
    assert r.method == "cannot be calculated" and r.significant is None
    assert "fewer than 10 deaths in the two periods together" in r.sentence
    m = pd.Series([0.0, 3.0, 1.0, 2.0], index=["2024-01", "2024-02", "2025-01", "2025-02"])
    assert ind.same_months_change(m).method == "cannot be calculated"
