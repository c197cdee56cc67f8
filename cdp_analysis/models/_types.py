"""The forecast record every model returns (internal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Quantile probabilities of the 80% and 95% central intervals.
Q_LEVELS = (0.025, 0.1, 0.9, 0.975)


@dataclass
class ModelForecast:
    """Point forecast and central 80%/95% prediction intervals for horizons 1..h.

    All arrays have length h and are in the units of the series (counts, proportion, rate).
    ``info`` holds model details (slope, dispersion, family, flags).
    """

    model: str
    mean: np.ndarray
    lower_80: np.ndarray
    upper_80: np.ndarray
    lower_95: np.ndarray
    upper_95: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_draws(
        cls, model: str, mean: np.ndarray, draws: np.ndarray, info: dict[str, Any] | None = None
    ) -> ModelForecast:
        """Build from predictive draws of shape (n_draws, h); integer draws give integer bounds."""
        q = np.quantile(draws, Q_LEVELS, axis=0, method="inverted_cdf")
        return cls(model, np.asarray(mean, float), q[1], q[2], q[0], q[3], dict(info or {}))

    @classmethod
    def from_normal(
        cls,
        model: str,
        mean: np.ndarray,
        sd: np.ndarray,
        *,
        counts: bool,
        info: dict[str, Any] | None = None,
        upper_bound: float | None = None,
    ) -> ModelForecast:
        """Gaussian intervals floored at zero (and capped at ``upper_bound``); counts rounded outward."""
        mean = np.asarray(mean, float)
        sd = np.asarray(sd, float)
        z80, z95 = 1.2815515655446004, 1.959963984540054
        lo80, hi80 = mean - z80 * sd, mean + z80 * sd
        lo95, hi95 = mean - z95 * sd, mean + z95 * sd
        if counts:
            lo80, lo95 = np.floor(lo80), np.floor(lo95)
            hi80, hi95 = np.ceil(hi80), np.ceil(hi95)
        bounds = [np.maximum(b, 0.0) for b in (lo80, hi80, lo95, hi95)]
        if upper_bound is not None:
            bounds = [np.minimum(b, upper_bound) for b in bounds]
        return cls(model, np.maximum(mean, 0.0), bounds[0], bounds[1], bounds[2], bounds[3], dict(info or {}))
