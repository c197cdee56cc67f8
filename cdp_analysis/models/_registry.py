"""Candidate models and benchmarks per kind of series (internal).

============================== ====================================== ===================
series                         candidates (first = default)           benchmarks
============================== ====================================== ===================
annual (or non-seasonal) count glm (quasi-Poisson, window 10), ets     naive, drift, mean3
seasonal count (m = 12 or 4)   ets_seasonal if the last cycle averages seasonal_naive
                               >= 20 per period, else glm_seasonal
proportion (cohorts)           binomial_glm (window 16 quarters)      pooled4
rate (events per exposure)     rate_glm (quasi-Poisson, offset)       pooled4
============================== ====================================== ===================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cdp_analysis.models import benchmarks as bm
from cdp_analysis.models._types import ModelForecast
from cdp_analysis.models.counts import forecast_counts
from cdp_analysis.models.proportions import forecast_proportion
from cdp_analysis.models.smoothing import forecast_ets

Fn = Callable[[np.ndarray, int, "np.ndarray | None"], ModelForecast]

#: Per-period level below which seasonal counts use the Poisson GLM instead of ETS.
ETS_MIN_LEVEL = 20.0
#: Default backtest horizon by frequency.
BACKTEST_HORIZON = {"year": 3, "quarter": 4, "month": 12}


@dataclass
class Spec:
    """Candidates (name -> function(y, h, exposure)), default, fallback and benchmarks."""

    candidates: dict[str, Fn]
    default: str
    fallback: str
    benchmarks: tuple[str, ...]
    min_train: int


def default_window(kind: str, freq: str, m: int) -> int:
    """Default fitting window in periods (see module table)."""
    if kind == "count" and m > 1:
        return 5 * m
    if kind == "count":
        return {"year": 10, "quarter": 16, "month": 36}[freq]
    return {"year": 10, "quarter": 16, "month": 48}[freq]


def build(kind: str, freq: str, m: int, *, window: int, n_draws: int, seed: int) -> Spec:
    """The candidate set for a series of this kind, frequency and seasonal period."""
    if kind == "count" and m == 1:

        def glm(y, h, e):
            return forecast_counts(y, h, e, window=window, n_draws=n_draws, seed=seed)

        def ets(y, h, e):
            if len(y) < 10:
                raise ValueError("ETS needs at least 10 periods")
            return forecast_ets(y, h)

        cands = {
            "glm": glm,
            "ets": ets,
            "naive": lambda y, h, e: bm.naive(y, h),
            "drift": lambda y, h, e: bm.drift(y, h),
            "mean3": lambda y, h, e: bm.mean_last(y, h, e, k=3),
        }
        return Spec(cands, "glm", "mean3", ("naive", "drift", "mean3"), min_train=6)
    if kind == "count":

        def seasonal_trend(y, h, e):
            if np.mean(y[-m:]) >= ETS_MIN_LEVEL:
                return forecast_ets(y, h, seasonal_period=m)
            return forecast_counts(y, h, e, window=window, seasonal_period=m, n_draws=n_draws, seed=seed)

        cands = {
            "seasonal_trend": seasonal_trend,
            "seasonal_naive": lambda y, h, e: bm.seasonal_naive(y, h, m),
        }
        return Spec(cands, "seasonal_trend", "seasonal_naive", ("seasonal_naive",), min_train=2 * m + 2)
    if kind == "proportion":
        cands = {
            "binomial_glm": lambda y, h, e: forecast_proportion(y, h, e, window=window, n_draws=n_draws, seed=seed),
            "pooled4": lambda y, h, e: bm.pooled_last(y, h, e, kind="proportion", k=4),
        }
        return Spec(cands, "binomial_glm", "pooled4", ("pooled4",), min_train=6)

    def rate_glm(y, h, e):
        return forecast_counts(y, h, e, window=window, seasonal_period=m, as_rate=True, n_draws=n_draws, seed=seed, name="rate_glm")

    cands = {
        "rate_glm": rate_glm,
        "pooled4": lambda y, h, e: bm.pooled_last(y, h, e, kind="rate", k=4),
    }
    return Spec(cands, "rate_glm", "pooled4", ("pooled4",), min_train=max(6, 2 * m + 2))
