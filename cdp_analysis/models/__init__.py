"""Trend models, forecasts and backtests (docs/design.md §7).

Public API
----------
forecast(series, horizon, kind="count", denominator=None, seasonal_period=None, ...)
    Forecast frame ``period, mean, lower_80, upper_80, lower_95, upper_95, model, status``
    with the backtest that chose the model in ``.attrs``.
backtest(series, kind="count", denominator=None, seasonal_period=None, ...)
    Rolling-origin checks of every candidate and benchmark; pool many with summarise().
summarise(frames)
    Pooled MASE, RMSSE, 80%/95% coverage and scaled interval scores per model.
simulate_year_end(monthly_history, months_elapsed, ...), probability_of_meeting(paths, target, polarity)
    Year-end projection paths and the probability of meeting a target.
limit_blas_threads(n=1)
    One BLAS thread per worker process.

Importing this package loads numpy and pandas only; scipy and statsmodels are imported inside
the functions that need them.

>>> import cdp_analysis.models as cm
>>> sorted(cm.__all__)[:3]
['FORECAST_MARKER', 'REGISTRATION_NOTE', 'backtest']
"""

from cdp_analysis.models._threads import limit_blas_threads
from cdp_analysis.models.backtest import backtest, interval_score, mase, rmsse, summarise
from cdp_analysis.models.forecast import FORECAST_MARKER, REGISTRATION_NOTE, forecast
from cdp_analysis.models.yearend import probability_of_meeting, seasonal_share, simulate_year_end

__all__ = [
    "FORECAST_MARKER",
    "REGISTRATION_NOTE",
    "backtest",
    "forecast",
    "interval_score",
    "limit_blas_threads",
    "mase",
    "probability_of_meeting",
    "rmsse",
    "seasonal_share",
    "simulate_year_end",
    "summarise",
]
