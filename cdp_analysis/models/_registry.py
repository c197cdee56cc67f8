"""Candidate models and benchmarks per kind of series (internal).

============================== ====================================== ===================
series                         candidates (first = default)           benchmarks
============================== ====================================== ===================
annual (or non-seasonal) count glm (quasi-Poisson, window 10), ets     naive, drift, mean3
                               (ets only when the last 3 average >= 20)
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
    """Candidates (name -> function(y, h, exposure)), default, fallback and benchmarks.

    Every entry of ``candidates`` is backtested and reported; only ``selectable`` ones (the
    models, not the benchmarks) can be chosen, and a model in ``min_level`` only when the mean
    of the last ``level_span`` observations at the origin is at least that level (Gaussian
    ETS intervals are not used for counts below ~20 per period, docs/references/forecasting.md §3.1).
    """

    candidates: dict[str, Fn]
    default: str
    fallback: str
    benchmarks: tuple[str, ...]
    min_train: int
    selectable: tuple[str, ...] = ()
    min_level: dict[str, float] | None = None
    level_span: int = 3

    def eligible(self, name: str, y: np.ndarray) -> bool:
        """Whether ``name`` may be chosen for data ``y``."""
        if name not in (self.selectable or (self.default,)):
            return False
        need = (self.min_level or {}).get(name)
        return need is None or float(np.mean(y[-self.level_span :])) >= need


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
        return Spec(
            cands, "glm", "mean3", ("naive", "drift", "mean3"), min_train=6,
            selectable=("glm", "ets"), min_level={"ets": ETS_MIN_LEVEL},
        )
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
