"""The forecast facade: output contract, input validation, fallbacks, kinds, light import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.models import REGISTRATION_NOTE, forecast

COLS = ["period", "mean", "lower_80", "upper_80", "lower_95", "upper_95", "model", "status"]


def _annual(n=20, level=40.0, seed=0, name="drug_poisoning_deaths"):
    y = np.random.default_rng(seed).poisson(level * np.exp(0.03 * np.arange(n)))
    return pd.Series(y, index=[str(2021 - n + 1 + i) for i in range(n)], name=name)


def _monthly(level, n=72, seed=0):
    t = np.arange(n)
    y = np.random.default_rng(seed).poisson(level * (1 + 0.3 * np.sin(2 * np.pi * t / 12)))
    idx = pd.period_range("2017-04", periods=n, freq="M")
    return pd.Series(y, index=idx)


def test_contract_columns_attrs_and_notes():
    fc = forecast(_annual(), 3, denominator=None)
    assert fc.columns.tolist() == COLS
    assert fc["period"].tolist() == ["2022", "2023", "2024"]
    assert (fc["status"] == "[f]").all()
    a = fc.attrs
    for k in ("model", "mase", "coverage_95", "n_origins", "backtest", "flags", "notes", "info"):
        assert k in a
    assert a["n_origins"] == 5
    assert {"naive", "drift", "mean3"} <= set(a["backtest"])
    assert REGISTRATION_NOTE in a["notes"]
    assert (fc["lower_95"] <= fc["lower_80"]).all() and (fc["upper_80"] <= fc["upper_95"]).all()
    assert (fc["lower_95"] >= 0).all()


def test_forced_model_and_benchmarks_rows():
    fc = forecast(_annual(), 2, model="glm", include_benchmarks=True)
    assert fc.loc[fc["chosen"], "model"].unique().tolist() == ["glm"]
    assert {"naive", "drift", "mean3", "ets"} <= set(fc["model"])
    assert "slope" in fc.attrs["info"] and len(fc.attrs["info"]["slope_ci95"]) == 2
    with pytest.raises(CdpParameterError):
        forecast(_annual(), 2, model="prophet")


def test_population_offset_and_series_exposure_alignment():
    s = _annual()
    pop = pd.Series(np.linspace(2e5, 2.4e5, 23), index=[str(y) for y in range(2002, 2025)])
    fc = forecast(s, 3, denominator=pop, model="glm")
    assert "exposure_extrapolated" not in fc.attrs["flags"]
    fc2 = forecast(s, 3, denominator=pop.iloc[:20], model="glm")
    assert "exposure_extrapolated" in fc2.attrs["flags"]
    with pytest.raises(CdpInputError, match="not aligned"):
        forecast(s, 3, denominator=pop.iloc[3:])
    with pytest.raises(CdpInputError):
        forecast(s, 3, denominator=np.ones(7))


@pytest.mark.parametrize(
    "series, match",
    [
        (pd.Series([1, 2, 3], index=["2019", "2020", "2021"]), "too short"),
        (pd.Series([1, 2, 3, 4, 5], index=["2015", "2016", "2018", "2019", "2020"]), "gap"),
        (pd.Series([1, 2, -3, 4, 5], index=[str(y) for y in range(2016, 2021)]), "negative"),
        (pd.Series([1, 2, np.nan, 4, 5], index=[str(y) for y in range(2016, 2021)]), "missing"),
        (pd.Series([1.5, 2, 3, 4, 5], index=[str(y) for y in range(2016, 2021)]), "whole numbers"),
        (pd.Series([9, 9, 9, 9], index=["2015-2017", "2016-2018", "2017-2019", "2018-2020"]), "pooled"),
        (pd.Series([1, 2, 3, 4], index=["2019", "2020", "2021/22", "2022/23"]), "one kind"),
        (pd.Series([1, 2, 3, 4], index=["2019", "2020", "20x1", "2022"]), "bad period label"),
    ],
)
def test_bad_input_raises_cdp_input_error(series, match):
    with pytest.raises(CdpInputError, match=match):
        forecast(series, 2)


def test_bad_parameters():
    with pytest.raises(CdpParameterError):
        forecast(_annual(), 0)
    with pytest.raises(CdpParameterError):
        forecast(_annual(), 2, kind="odds")
    with pytest.raises(CdpInputError, match="needs an exposure"):
        forecast(_annual() / 1000, 2, kind="proportion")


def test_all_zeros_falls_back_with_flag():
    s = pd.Series(np.zeros(15, int), index=[str(y) for y in range(2007, 2022)])
    fc = forecast(s, 2)
    assert fc["model"].iloc[0] == "mean3"
    assert "fallback:all_zero" in fc.attrs["flags"]
    assert (fc["lower_95"] == 0).all() and (fc["upper_95"] >= 0).all()


def test_short_series_not_backtested():
    s = _annual(n=6)
    fc = forecast(s, 2)
    assert fc.attrs["n_origins"] == 0 and "not_backtested" in fc.attrs["flags"]
    assert fc["model"].iloc[0] == "glm"


def test_seasonal_counts_choose_ets_or_glm_by_level():
    hi = forecast(_monthly(60), 12, model="seasonal_trend")
    lo = forecast(_monthly(4), 12, model="seasonal_trend")
    assert hi["model"].iloc[0] == "ets_seasonal" and lo["model"].iloc[0] == "glm_seasonal"
    assert hi["period"].iloc[0] == "2023-04"
    assert (lo["lower_95"] >= 0).all() and (hi["lower_95"] >= 0).all()
    auto = forecast(_monthly(60), 6)
    assert set(auto.attrs["backtest"]) == {"seasonal_trend", "seasonal_naive"}
    assert auto.attrs["n_checks"] == 60  # 5 origins x 12 months


def test_quarterly_period_index_labels():
    idx = pd.period_range("2015Q2", periods=28, freq="Q")  # calendar Q2 2015 = 2015/16 Q1
    s = pd.Series(np.random.default_rng(1).poisson(30, 28), index=idx)
    fc = forecast(s, 2)
    assert fc["period"].tolist()[0] == "2022/23 Q1"


def test_proportion_and_rate_kinds():
    labels = [f"{y}/{(y + 1) % 100:02d} Q{q}" for y in range(2016, 2021) for q in range(1, 5)]
    n = pd.Series(400, index=labels)
    rng = np.random.default_rng(2)
    prop = pd.Series(rng.binomial(400, 0.26, 20) / 400, index=labels)
    fp = forecast(prop, 2, kind="proportion", denominator=n)
    assert fp["period"].tolist() == ["2021/22 Q1", "2021/22 Q2"]
    assert ((fp[["lower_95", "upper_95"]] >= 0) & (fp[["lower_95", "upper_95"]] <= 1)).all().all()
    assert set(fp.attrs["backtest"]) == {"binomial_glm", "pooled4"}
    rate = pd.Series(rng.poisson(400 * 0.9, 20) / 400, index=labels)
    fr = forecast(rate, 2, kind="rate", denominator=n, seasonal_period=1)
    assert fr["model"].iloc[0] in {"rate_glm", "pooled4"}
    assert 0.7 < fr["mean"].iloc[0] < 1.1
    with pytest.raises(CdpInputError, match="above 1"):
        forecast(prop * 100, 2, kind="proportion", denominator=n)


def test_reproducible():
    a = forecast(_annual(), 3, seed=1)
    b = forecast(_annual(), 3, seed=1)
    pd.testing.assert_frame_equal(a, b)


def test_import_is_light():
    code = (
        "import sys, cdp_analysis.models; "
        "print(any(m.startswith('statsmodels') for m in sys.modules), 'scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
