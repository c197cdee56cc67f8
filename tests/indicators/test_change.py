"""Tests of change: checked against independent implementations and published figures."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest, fisher_exact
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)
from statsmodels.stats.rates import test_poisson_2indep as poisson_2indep_test

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.indicators import describe_change, proportion_difference_test, rate_ratio_test

REL = 1e-9


# ------------------------------------------------------------------------ rate ratio test
def test_dorset_deaths_59_to_55_is_not_significant() -> None:
    r = rate_ratio_test(55, 1, 59, 1).iloc[0]
    assert r.ratio == pytest.approx(55 / 59, rel=REL)
    ref = poisson_2indep_test(55, 1, 59, 1, method="exact-cond")
    assert r.p_value == pytest.approx(ref.pvalue, rel=REL)
    assert r.p_value > 0.7  # research note §2.5: p = 0.78
    assert not r.significant
    assert r.lower < 1 < r.upper


@pytest.mark.parametrize(
    "a, ea, b, eb",
    [
        (30, 200_000, 12, 210_000),
        (5, 1.0, 17, 2.5),
        (120, 3.0, 100, 3.0),
        (1, 10.0, 9, 1.0),
        (250, 7, 9, 0.4),
    ],
)
def test_p_value_matches_statsmodels_exact_conditional(a: int, ea: float, b: int, eb: float) -> None:
    r = rate_ratio_test(a, ea, b, eb).iloc[0]
    ref = poisson_2indep_test(a, ea, b, eb, method="exact-cond")
    assert r.p_value == pytest.approx(ref.pvalue, rel=REL)


def test_p_value_matches_scipy_binomtest_on_a_grid() -> None:
    grid = list(itertools.product(range(0, 25, 3), range(0, 40, 5), [1.0, 2.0, 0.3]))
    a = np.array([g[0] for g in grid])
    b = np.array([g[1] for g in grid])
    eb = np.array([g[2] for g in grid])
    res = rate_ratio_test(a, 1.0, b, eb)
    for i, (x, y, e) in enumerate(grid):
        expected = 1.0 if x + y == 0 else binomtest(x, x + y, 1 / (1 + e)).pvalue
        assert res.p_value.iloc[i] == pytest.approx(expected, rel=REL), (x, y, e)


def test_central_p_value_is_twice_the_smaller_tail() -> None:
    res = rate_ratio_test([3, 40, 20], [1, 2, 1], [15, 30, 20], [3, 1, 1], p_value_method="central")
    for row in res.itertuples():
        n = int(row.count_a + row.count_b)
        p0 = row.exposure_a / (row.exposure_a + row.exposure_b)
        x = int(row.count_a)
        tails = min(
            binomtest(x, n, p0, alternative="less").pvalue, binomtest(x, n, p0, alternative="greater").pvalue
        )
        assert row.p_value == pytest.approx(min(1.0, 2 * tails), rel=REL)


def test_limits_are_clopper_pearson_transformed() -> None:
    a, ea, b, eb = 30, 200_000.0, 12, 210_000.0
    r = rate_ratio_test(a, ea, b, eb, confidence=0.9).iloc[0]
    lo, hi = proportion_confint(a, a + b, alpha=0.1, method="beta")
    assert r.lower == pytest.approx(lo / (1 - lo) * eb / ea, rel=REL)
    assert r.upper == pytest.approx(hi / (1 - hi) * eb / ea, rel=REL)


def test_smallest_significant_change_from_57() -> None:
    # forecasting research §2.5: from a baseline of 57, only <= 37 or >= 81 is significant at 5%
    res = rate_ratio_test([36, 37, 38, 80, 81, 82], 1, 57, 1)
    assert res.significant.tolist() == [True, True, False, False, True, True]


def test_zero_counts_give_valid_limits() -> None:
    res = rate_ratio_test([0, 7, 0], [1, 1, 1], [6, 0, 0], [1, 1, 1])
    none_a, none_b, none_both = res.iloc[0], res.iloc[1], res.iloc[2]
    assert none_a.ratio == 0 and none_a.lower == 0 and np.isfinite(none_a.upper) and none_a.upper > 0
    # hand calculation: with a = 0, the upper binomial limit is 1 - (alpha/2)^(1/n)
    pu = 1 - 0.025 ** (1 / 6)
    assert none_a.upper == pytest.approx(pu / (1 - pu), rel=REL)
    assert none_a.p_value == pytest.approx(2 * 0.5**6, rel=REL)
    assert np.isinf(none_b.ratio) and np.isinf(none_b.upper) and none_b.lower > 0
    assert np.isnan(none_both.ratio) and none_both.lower == 0 and np.isinf(none_both.upper)
    assert none_both.p_value == 1 and not none_both.significant


@settings(max_examples=60, deadline=None)
@given(
    a=st.integers(0, 300),
    b=st.integers(0, 300),
    ea=st.floats(0.1, 10),
    eb=st.floats(0.1, 10),
)
def test_central_test_agrees_with_its_interval(a: int, b: int, ea: float, eb: float) -> None:
    r = rate_ratio_test(a, ea, b, eb, p_value_method="central").iloc[0]
    assert r.lower <= r.upper
    if a + b == 0:
        return
    if abs(r.p_value - 0.05) > 1e-6:
        assert bool(r.significant) == (not (r.lower <= 1 <= r.upper))


def test_series_index_kept_and_rows_named_in_errors() -> None:
    counts = pd.Series([4, -1, 3], index=["BCP", "Dorset", "Poole"])
    with pytest.raises(CdpInputError, match="Dorset"):
        rate_ratio_test(counts, 1, 5, 1)
    ok = rate_ratio_test(pd.Series([4, 1], index=["x", "y"]), 1, 5, 1)
    assert list(ok.index) == ["x", "y"]


@pytest.mark.parametrize(
    "args",
    [(-1, 1, 3, 1), (np.nan, 1, 3, 1), (2.5, 1, 3, 1), (2, 0, 3, 1), (2, 1, 3, -4), (2, 1, 3, np.nan)],
)
def test_invalid_rate_input(args: tuple) -> None:
    with pytest.raises(CdpInputError):
        rate_ratio_test(*args)


def test_bad_confidence() -> None:
    with pytest.raises(CdpParameterError):
        rate_ratio_test(1, 1, 2, 1, confidence=95)


# ------------------------------------------------------------------ proportion difference
def test_newcombe_published_example() -> None:
    # Newcombe 1998, Table II, method 10: 56/70 - 48/80 = 0.2000, 95% CI 0.0524 to 0.3339
    r = proportion_difference_test(56, 70, 48, 80).iloc[0]
    assert r.difference == pytest.approx(0.2, rel=REL)
    assert round(r.lower, 4) == 0.0524
    assert round(r.upper, 4) == 0.3339


@pytest.mark.parametrize(
    "xa, na, xb, nb", [(56, 70, 48, 80), (112, 410, 100, 400), (0, 30, 5, 25), (9, 10, 3, 10)]
)
def test_newcombe_matches_statsmodels(xa: int, na: int, xb: int, nb: int) -> None:
    r = proportion_difference_test(xa, na, xb, nb).iloc[0]
    lo, hi = confint_proportions_2indep(xa, na, xb, nb, method="newcomb")
    assert r.lower == pytest.approx(lo, rel=REL, abs=1e-12)
    assert r.upper == pytest.approx(hi, rel=REL, abs=1e-12)


def test_z_test_matches_statsmodels() -> None:
    # research note §2.5: 25.0% (100/400) vs 27.3% (112/410): p = 0.45
    r = proportion_difference_test(112, 410, 100, 400).iloc[0]
    _, p = proportions_ztest([112, 100], [410, 400])
    assert r.method == "z test (pooled)"
    assert r.p_value == pytest.approx(p, rel=REL)
    assert round(r.p_value, 2) == 0.45


def test_fisher_for_small_expected_counts_matches_scipy() -> None:
    tables = [
        (3, 10, 0, 12),
        (1, 4, 4, 5),
        (0, 6, 6, 6),
        (2, 20, 9, 15),
        (5, 5, 0, 5),
        (0, 3, 0, 4),
        (7, 40, 1, 300),
    ]
    xa, na, xb, nb = (np.array(t) for t in zip(*tables, strict=True))
    res = proportion_difference_test(xa, na, xb, nb)
    for i, (a, n1, b, n2) in enumerate(tables):
        assert res.method.iloc[i] == "fisher exact"
        expected = fisher_exact([[a, n1 - a], [b, n2 - b]]).pvalue
        assert res.p_value.iloc[i] == pytest.approx(expected, rel=REL), tables[i]


@pytest.mark.parametrize(
    "args",
    [(5, 4, 1, 3), (-1, 4, 1, 3), (1, 0, 0, 3), (np.nan, 4, 1, 3), (1.5, 4, 1, 3)],
)
def test_invalid_proportion_input(args: tuple) -> None:
    with pytest.raises(CdpInputError):
        proportion_difference_test(*args)


# ----------------------------------------------------------------------------- sentences
def _numbers(sentence: str) -> list[float]:
    return [float(v) for v in re.findall(r"[-+]?\d+\.\d+", sentence)]


def test_sentence_for_the_dorset_deaths_uses_computed_numbers() -> None:
    s = describe_change(55, 59, "2022", "2021", measure="deaths")
    r = rate_ratio_test(55, 1, 59, 1).iloc[0]
    assert s.startswith("55 deaths in 2022 against 59 in 2021: not a statistically significant change")
    assert _numbers(s) == [round(r.ratio, 2), round(r.lower, 2), round(r.upper, 2), round(r.p_value, 2)]
    assert "95% CI" in s


def test_sentence_says_rise_or_fall_only_when_significant() -> None:
    fall = describe_change(30, 60, "2023", "2022", measure="arrests")
    rise = describe_change(81, 57, "2023", "2022", measure="arrests")
    flat = describe_change(80, 57, "2023", "2022", measure="arrests")
    assert "a statistically significant fall" in fall
    assert "a statistically significant rise" in rise
    assert "not a statistically significant change" in flat
    assert "significant rise" not in flat


def test_sentence_for_percentages_and_arrays() -> None:
    s = describe_change(27.3, 25.0, "2023", "2022", kind="percent", denominator_a=410, denominator_b=400)
    assert "112 of 410 (27.3%) in 2023 against 100 of 400 (25.0%) in 2022" in s
    many = describe_change([55, 30], [59, 60], ["2022", "2023"], ["2021", "2022"], measure="deaths")
    assert isinstance(many, pd.Series) and len(many) == 2
    assert "fall" in many.iloc[1] and "not a statistically" in many.iloc[0]
    with pytest.raises(CdpParameterError):
        describe_change(3, 4, "a", "b", kind="proportion")
    with pytest.raises(CdpParameterError):
        describe_change(3, 4, "a", "b", kind="ratio")  # type: ignore[arg-type]


def test_sentence_with_zero_comparator() -> None:
    s = describe_change(12, 0, "2023", "2022", measure="deaths")
    assert "rate ratio not defined" in s and "rise" in s


def test_sentence_gives_no_verdict_from_fewer_than_ten_events() -> None:
    # the small-number rule (ONS/OHID: no rate from fewer than 10 events): 6 against 0 is
    # p = 0.03 by the exact test, but no verdict is drawn from six events
    assert rate_ratio_test(6, 1, 0, 1)["significant"].iloc[0]
    s = describe_change(6, 0, "2023", "2022", measure="deaths")
    assert s == ("6 deaths in 2023 against 0 in 2022: a change cannot be calculated (fewer than 10 deaths in "
                 "the two periods together)")
    assert "significant" in describe_change(6, 0, "2023", "2022", measure="deaths", small_numbers=False)
    assert "cannot be calculated" not in describe_change(10, 0, "2023", "2022")


def test_sentence_needs_both_exposures_or_neither() -> None:
    with pytest.raises(CdpParameterError):
        describe_change(30, 12, "BCP", "Dorset", denominator_a=400_000)


def test_sentence_annualised_counts_are_whole_when_they_are_and_rates_keep_a_decimal():
    # 38 in a quarter is 38 / 0.25 = 152 a year, against 80 in a whole year (hand calculation)
    s = describe_change(38, 80, "2023/24 Q1", "2022/23", measure="arrests", denominator_a=0.25,
                            denominator_b=1.0, multiplier=1, rate_unit="a year")
    assert s.startswith("38 arrests in 2023/24 Q1 (152 a year) against 80 in 2022/23 (80 a year): ")
    # 101 in five months is 101 * 12 / 5 = 242.4 a year: not a whole number, one decimal
    s = describe_change(101, 188, "2023-01..2023-05", "2022", denominator_a=5 / 12, denominator_b=1.0,
                            multiplier=1, rate_unit="a year")
    assert "(242.4 a year)" in s and "(188 a year)" in s
    # rates per 100,000 always carry one decimal place, 13.0 included
    s = describe_change(26, 55, "2022", "2021", denominator_a=200_000, denominator_b=1_040_000,
                            multiplier=100_000, rate_unit="per 100,000")
    assert "(13.0 per 100,000)" in s and "(5.3 per 100,000)" in s
