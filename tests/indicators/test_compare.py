"""Benchmark comparison (Fingertips RAG) and the recent-trend test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdp_analysis import indicators as ind
from cdp_analysis.errors import CdpInputError, CdpParameterError

REL = 1e-9
Z95 = 1.959963984540054


@pytest.mark.parametrize(
    ("lo", "hi", "polarity", "label"),
    [
        (50.0, 80.0, "higher_is_better", "similar"),
        (56.0, 80.0, "higher_is_better", "better"),
        (56.0, 80.0, "lower_is_better", "worse"),
        (56.0, 80.0, "neutral", "higher"),
        (10.0, 54.0, "higher_is_better", "worse"),
        (10.0, 54.0, "lower_is_better", "better"),
        (10.0, 54.0, "neutral", "lower"),
        (55.0, 60.0, "lower_is_better", "similar"),  # benchmark on the limit counts as inside
        (np.nan, 60.0, "neutral", "not compared"),
    ],
)
def test_benchmark_rule(lo, hi, polarity, label):
    assert ind.benchmark_comparison([lo], [hi], 55.0, polarity).tolist() == [label]


def test_compare_frame_levels_and_columns():
    # 59 deaths per 100,000: 95% 44.91-76.11, 99.8% 38.05-86.83 (docs/references/domain.md §4 Byar values)
    df = ind.rate(pd.DataFrame({"count": [59, 12], "denominator": [100_000, 100_000]}))
    out = ind.compare(df, benchmark=40.0, polarity="lower_is_better")
    assert out["comparison"].tolist() == ["worse", "better"]
    out = ind.compare(df, benchmark=40.0, polarity="lower_is_better", confidence=0.998)
    assert out["comparison"].tolist() == ["similar", "better"]
    assert out.attrs["confidence"] == 0.998 and out["benchmark"].tolist() == [40.0, 40.0]
    with pytest.warns(DeprecationWarning, match="use confidence="):
        old = ind.compare(df, benchmark=40.0, polarity="lower_is_better", level=0.998)
    assert old["comparison"].tolist() == ["similar", "better"]
    out = ind.compare(df.assign(england=[80.0, 5.0]), benchmark="england", polarity="higher_is_better")
    assert out["comparison"].tolist() == ["worse", "better"]
    out = ind.compare(df, benchmark=[50.0, 50.0])
    assert out["comparison"].tolist() == ["similar", "lower"]
    with pytest.raises(CdpParameterError):
        ind.compare(df, 40.0, polarity="up")
    with pytest.raises(CdpInputError) as err:
        ind.compare(df, 40.0, confidence=0.9)
    assert err.value.column == "lower_90"


def hand_wls(y, se):
    w = [1 / s**2 for s in se]
    t = list(range(len(y)))
    sw = sum(w)
    tb = sum(wi * ti for wi, ti in zip(w, t, strict=False)) / sw
    yb = sum(wi * yi for wi, yi in zip(w, y, strict=False)) / sw
    sxx = sum(wi * (ti - tb) ** 2 for wi, ti in zip(w, t, strict=False))
    b = sum(wi * (ti - tb) * (yi - yb) for wi, ti, yi in zip(w, t, y, strict=False)) / sxx
    return b, b * b * sxx


def hand_chi_trend(x, n):
    t = list(range(len(x)))
    N = sum(n)
    p = sum(x) / N
    tb = sum(ni * ti for ni, ti in zip(n, t, strict=False)) / N
    T = sum(xi * (ti - tb) for xi, ti in zip(x, t, strict=False))
    sxx = sum(ni * (ti - tb) ** 2 for ni, ti in zip(n, t, strict=False))
    return T / sxx, T * T / (p * (1 - p) * sxx)


def test_regression_trend_hand_calculation():
    y = [10.0, 12.0, 13.5, 15.0, 18.0]
    se = [1.0, 0.8, 1.2, 0.9, 1.1]
    df = pd.DataFrame({"period": ["2019", "2020", "2021", "2022", "2023"], "value": y,
                       "lower_95": [v - Z95 * s for v, s in zip(y, se, strict=False)],
                       "upper_95": [v + Z95 * s for v, s in zip(y, se, strict=False)]})
    out = ind.recent_trend(df, polarity="lower_is_better")
    b, chi = hand_wls(y, se)
    assert out["slope"].iloc[0] == pytest.approx(b, rel=REL)
    assert out["chi_square"].iloc[0] == pytest.approx(chi, rel=REL)
    assert chi > 9.5495
    assert out["trend"].iloc[0] == "increasing"
    assert out["label"].iloc[0] == "increasing and getting worse"
    assert (out["from_period"].iloc[0], out["to_period"].iloc[0]) == ("2019", "2023")


def test_proportion_trend_hand_calculation_and_latest_five():
    x = [500, 300, 310, 330, 350, 345]
    n = [1000, 1000, 1010, 990, 1000, 1005]
    periods = ["2017/18", "2018/19", "2019/20", "2020/21", "2021/22", "2022/23"]
    df = pd.DataFrame({"period": periods, "x": x, "n": n}).sample(frac=1, random_state=3)  # order must not matter
    out = ind.recent_trend(df, count="x", denominator="n", polarity="higher_is_better")
    b, chi = hand_chi_trend(x[1:], n[1:])  # the 2017/18 point is not among the latest five
    assert out["chi_square"].iloc[0] == pytest.approx(chi, rel=REL)
    assert out["slope"].iloc[0] == pytest.approx(b, rel=REL)
    assert out["n_points"].iloc[0] == 5 and out["from_period"].iloc[0] == "2018/19"
    assert out["trend"].iloc[0] == ("increasing" if chi > 9.5495 else "no significant change")


def test_leave_one_out_rule_blocks_a_single_jump():
    # flat then one huge last value: chi-square large, but dropping the last point
    # leaves a slope of the other sign
    x = [300, 299, 298, 297, 600]
    df = pd.DataFrame({"period": ["2019", "2020", "2021", "2022", "2023"], "x": x, "n": [1000] * 5})
    b, chi = hand_chi_trend(x, [1000] * 5)
    assert chi > 9.5495
    loo_b, _ = hand_chi_trend(x[:4], [1000] * 4)
    assert loo_b < 0 < b
    out = ind.recent_trend(df, count="x", denominator="n")
    assert out["trend"].iloc[0] == "no significant change"


def test_grouped_short_series_and_bad_input():
    df = pd.DataFrame({
        "area_code": ["A"] * 5 + ["B"] * 4,
        "period": ["2019", "2020", "2021", "2022", "2023", "2020", "2021", "2022", "2023"],
        "x": [100, 120, 140, 160, 180, 5, 6, 7, 8], "n": [1000] * 9,
    })
    out = ind.recent_trend(df, by="area_code", count="x", denominator="n", polarity="lower_is_better")
    assert out["area_code"].tolist() == ["A", "B"]
    assert out["label"].tolist() == ["increasing and getting worse", "cannot be calculated"]
    dup = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    with pytest.raises(CdpInputError) as err:
        ind.recent_trend(dup, by="area_code", count="x", denominator="n")
    assert err.value.column == "period" and sorted(err.value.row) == [0, 9]
    with pytest.raises(CdpParameterError):
        ind.recent_trend(df, denominator="n")


def test_compare_is_the_function_whatever_the_import_order():
    import importlib

    module = importlib.import_module("cdp_analysis.indicators.comparison")
    df = pd.DataFrame({"lower_95": [1.0], "upper_95": [2.0]})
    assert ind.compare(df, 3.0)["comparison"].tolist() == ["lower"]
    assert module.compare(df, 0.5)["comparison"].tolist() == ["higher"]
    importlib.import_module("cdp_analysis.indicators.ranking")
    assert ind.quantiles(pd.DataFrame({"v": [1.0, 2.0]}), "v", nquantiles=2)["quantile"].tolist() == [2, 1]


def _counts_frame(periods, counts):
    lo, hi, _ = ind.poisson_limits(np.asarray(counts, dtype=float))
    return pd.DataFrame({"period": periods, "value": np.asarray(counts, dtype=float), "lower_95": lo, "upper_95": hi})


def test_gaps_end_the_run_and_zeros_are_kept():
    # Rutland's non-zero years (#17 item 3): not five consecutive periods, so no trend
    gappy = _counts_frame(["2006", "2011", "2014", "2015", "2020"], [2, 1, 1, 1, 1])
    r = ind.recent_trend(gappy, count="value").iloc[0]
    assert r["trend"] == "cannot be calculated" and r["n_points"] == 1
    assert r["reason"] == "only 1 consecutive periods with a figure (5 needed)"
    # the series 9, 8, 6, 5, 4, 3, 1, 0, 0, 0 (2011-2020): the latest five years are 2016-2020, zeros included
    full = _counts_frame([str(y) for y in range(2011, 2021)], [9, 8, 6, 5, 4, 3, 1, 0, 0, 0])
    r = ind.recent_trend(full, count="value").iloc[0]
    assert (r["from_period"], r["to_period"]) == ("2016", "2020")
    assert r["trend"] == "cannot be calculated"
    assert r["reason"] == "fewer than 10 events in total in 2016 to 2020"
    # a missing (suppressed) latest figure ends the run: nothing to test
    hidden = full.assign(value=full["value"].where(full["period"] != "2020"))
    assert ind.recent_trend(hidden).iloc[0]["n_points"] == 0


def test_slope_is_per_year_and_pools_never_overlap():
    # rolling 3-year pools 2005-2007 ... 2017-2019: the five non-overlapping ones are used,
    # three years apart, and the slope is per year (hand calculation below)
    starts = list(range(2005, 2018))
    values = [10.0 + 0.5 * (s - 2005) for s in starts]
    se = 0.4
    df = pd.DataFrame({"period": [f"{s}-{s + 2}" for s in starts], "value": values,
                       "lower_95": [v - Z95 * se for v in values], "upper_95": [v + Z95 * se for v in values]})
    r = ind.recent_trend(df).iloc[0]
    assert (r["from_period"], r["to_period"]) == ("2005-2007", "2017-2019")
    assert r["slope"] == pytest.approx(0.5, rel=1e-9)  # 1.5 per pool, pools 3 years apart
    used = [v for s, v in zip(starts, values, strict=True) if (s - 2005) % 3 == 0]
    t = [s + 1.5 for s in starts if (s - 2005) % 3 == 0]  # mid-points in years
    tb = sum(t) / 5
    sxx = sum((ti - tb) ** 2 for ti in t) / se**2
    b = sum((ti - tb) * yi for ti, yi in zip(t, used, strict=True)) / se**2 / sxx
    assert r["chi_square"] == pytest.approx(b * b * sxx, rel=1e-9)
    # a run of overlapping pools too short for five non-overlapping ones cannot be calculated
    short = df.iloc[-9:]
    r = ind.recent_trend(short).iloc[0]
    assert r["trend"] == "cannot be calculated"
    assert r["reason"] == "only 3 consecutive non-overlapping periods with a figure (5 needed)"
