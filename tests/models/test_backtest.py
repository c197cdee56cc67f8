"""Scores computed by hand, and the rolling-origin backtest without look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.models import backtest, interval_score, mase, rmsse, summarise
from cdp_analysis.models.backtest import naive_scale


def test_mase_by_hand():
    train = np.array([3.0, 5.0, 4.0, 8.0])  # naive errors 2, 1, 4 -> MAE 7/3, MSE 7
    actual, fc = np.array([6.0, 9.0]), np.array([8.0, 8.0])  # |e| = 2, 1
    assert naive_scale(train) == pytest.approx((7 / 3, 7.0))
    assert mase(actual, fc, train) == pytest.approx(1.5 / (7 / 3))
    assert rmsse(actual, fc, train) == pytest.approx(np.sqrt(2.5 / 7))


def test_seasonal_scale_by_hand():
    train = np.array([1.0, 5.0, 2.0, 7.0])  # lag-2 differences 1, 2
    assert naive_scale(train, 2) == pytest.approx((1.5, 2.5))


def test_interval_score_by_hand():
    # width 4; below by 1 at alpha 0.2 adds 2/0.2*1 = 10
    assert interval_score(1.0, 2.0, 6.0, 0.2) == pytest.approx(14.0)
    assert interval_score(4.0, 2.0, 6.0, 0.2) == pytest.approx(4.0)


def _annual(seed=0, n=20, level=60.0):
    rng = np.random.default_rng(seed)
    y = rng.poisson(level * np.exp(0.03 * np.arange(n)))
    return pd.Series(y, index=[str(2021 - n + 1 + i) for i in range(n)], name=f"s{seed}")


def test_backtest_frame_shape_and_origins():
    bt = backtest(_annual())
    assert set(bt["model"]) == {"glm", "ets", "naive", "drift", "mean3", "auto"}
    naive = bt[bt["model"] == "naive"]
    assert len(naive) == 15
    assert sorted(naive["origin"].unique()) == ["2014", "2015", "2016", "2017", "2018"]
    assert naive[naive["origin"] == "2018"]["period"].tolist() == ["2019", "2020", "2021"]
    # naive forecast is the value at the origin
    s = _annual()
    row = naive[(naive["origin"] == "2016") & (naive["h"] == 2)].iloc[0]
    assert row["mean"] == s["2016"] and row["actual"] == s["2018"]


def test_auto_selection_uses_no_future_data():
    s = _annual(3)
    bt1 = backtest(s)
    s2 = s.copy()
    s2.loc["2015":] = s2.loc["2015":] * 3  # change everything after the first origin (2014)
    bt2 = backtest(s2)
    a1 = bt1[(bt1["model"] == "auto") & (bt1["origin"] == "2014")]
    a2 = bt2[(bt2["model"] == "auto") & (bt2["origin"] == "2014")]
    assert a1["chosen"].iloc[0] == a2["chosen"].iloc[0]
    np.testing.assert_allclose(a1["mean"], a2["mean"])


def test_summarise_pools_series_on_common_checks():
    frames = [backtest(_annual(i)) for i in range(4)]
    tab = summarise(frames)
    assert (tab["n_series"] == 4).all()
    assert (tab["n_checks"] == 60).all()
    assert tab["coverage_95"].between(0, 1).all()
    by_hand = pd.concat(frames).query("model == 'naive'")
    assert tab.loc["naive", "mase"] == pytest.approx(by_hand["ase"].mean())


def test_backtest_glm_calibrated_on_simulated_poisson_trends():
    frames = [backtest(_annual(i, n=22, level=40), select=False) for i in range(30)]
    tab = summarise(frames)
    assert 0.88 <= tab.loc["glm", "coverage_95"] <= 0.99
    assert tab.loc["glm", "mase"] < tab.loc["naive", "mase"]
