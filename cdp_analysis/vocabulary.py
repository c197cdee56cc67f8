"""One vocabulary for the public API: the parameter names and what each means.

Every parameter of everything exported from :mod:`cdp_analysis.indicators`,
:mod:`cdp_analysis.models` and :class:`~cdp_analysis.data.store.Store` is a word of
:data:`VOCABULARY` (``tests/test_vocabulary.py`` checks the signatures). The same idea has
one name everywhere:

==================  ===========================================================================
``count``           a number of events (deaths, arrests, people in treatment): the numerator of
                    a rate or a proportion. Never ``numerator``, ``x`` or ``observed``.
``denominator``     what a count is divided by: the population at risk, person-years, the cohort
                    or the number of trials. Never ``population``, ``exposure`` or ``n``.
``value``           a figure as published or derived (a rate, a percentage, money); a count when
                    the kind says so.
``confidence``      the confidence (or predictive) level, 0.95 or 0.998. Never ``level``.
``..._a, ..._b``    two figures compared: ``a`` the figure of interest (usually the later), ``b``
                    the comparator (``count_a``, ``denominator_b``, ``value_a``).
``metric``          a metric id as ``cdp list metrics`` prints it. Never ``metric_id``.
``area``            a GSS code (``E08000025``) or a partnership id as ``cdp list areas`` prints
                    it. Never ``area_code``.
``period``          a period label (``2023/24 Q1``, ``2023-01..2023-06``; see
                    :mod:`cdp_analysis.periods`).
``status``          the GSS shorthand flags of a value (``c`` suppressed, ``u`` unreliable, ``p``
                    provisional, ``r`` revised, ``x`` not available, ``f``/``[f]`` forecast).
                    A target's verdict (on track / at risk / off track) is a *target status*
                    (:func:`~cdp_analysis.indicators.target_status`), never a parameter ``status``.
``polarity``        ``higher_is_better``, ``lower_is_better`` or ``neutral`` (``metrics.csv``).
==================  ===========================================================================

Old names are accepted for one release with a :class:`DeprecationWarning` naming the new one
(see :data:`RETIRED` and :func:`renamed`).

Examples
--------
>>> VOCABULARY["denominator"][:40]
'what a count is divided by: the populati'
>>> RETIRED["exposure"], RETIRED["level"]
('denominator', 'confidence')
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["VOCABULARY", "RETIRED", "renamed"]

F = TypeVar("F", bound=Callable[..., Any])

#: Parameter names of the public API and their meaning.
VOCABULARY: dict[str, str] = {
    # the core words
    "count": "what a count is: a number of events (the numerator of a rate or proportion)",
    "denominator": "what a count is divided by: the population at risk, person-years, cohort or trials",
    "value": "a figure as published or derived (rate, percentage, money); a count when the kind says so",
    "confidence": "confidence (or predictive) level, 0.95 or 0.998",
    "metric": "a metric id as `cdp list metrics` prints it",
    "area": "a GSS code or partnership id as `cdp list areas` prints it (or the column holding them)",
    "period": "a period label (or the column holding them)",
    "status": "the column of GSS shorthand flags (c, u, p, r, x, z, f)",
    "polarity": "higher_is_better, lower_is_better or neutral",
    # two figures compared
    "count_a": "count of the figure of interest", "count_b": "count of the comparator",
    "denominator_a": "denominator of the figure of interest", "denominator_b": "denominator of the comparator",
    "value_a": "the figure of interest", "value_b": "the comparator",
    "label_a": "what the figure of interest is (a period or area)", "label_b": "what the comparator is",
    # the rest of the indicators' words
    "df": "the input frame, one row per figure", "by": "grouping columns", "multiplier": "rate per (100,000)",
    "method": "the method's name", "lower": "lower limit (or its column)", "upper": "upper limit (or its column)",
    "benchmark": "the value, column or area compared with", "target": "the target value",
    "projection": "a projection frame or values", "unit": "count, currency, rate or other",
    "history": "past years' values", "year_basis": "financial or calendar", "value_to_date": "value since the year began",
    "baseline": "the starting value", "baseline_period": "its period", "target_period": "when the target is due",
    "at": "the periods to evaluate at", "measure": "noun for the figures in sentences", "kind": "kind of figure",
    "rate_unit": "words after a rate", "p_value_method": "minlike or central", "threshold": "a cut-off",
    "age_band": "the age-band column", "standard": "the standard population",
    "event_frequency": "events per person column", "ref_count": "reference counts column",
    "ref_denominator": "reference denominators column", "refvalue": "reference ratio",
    "statistic": "proportion, rate or ratio", "rate": "the rate column", "rate_type": "dsr or crude",
    "ratio_type": "kind of ratio", "years_of_data": "years pooled", "n_points": "points on the limits",
    "scale": "the z-score scale", "trim": "share trimmed", "alpha": "significance level of a test",
    "nquantiles": "number of quantiles", "invert": "reverse the order", "totals": "total rows",
    "round_to": "rounding base", "suppress_zero": "suppress zeros", "columns": "columns affected",
    "origin": "where the figures came from", "policy": "the disclosure policy", "derived": "derived columns",
    "sets": "sets of rows that add up", "points": "points used", "same_period_last_year": "same months last year",
    "small_numbers": "apply the small-number rules (no verdict from too few events)",
    "sizes": "denominators at which funnel limits are drawn",
    "last_year_value": "last year's value", "last_year_label": "its label", "monthly": "monthly values",
    # models
    "series": "a series indexed by period (or a tidy frame)", "horizon": "periods ahead",
    "seasonal_period": "periods per cycle", "model": "a model name", "window": "periods fitted on",
    "n_origins": "backtest origins", "n_draws": "predictive draws", "seed": "random seed",
    "include_benchmarks": "return the benchmarks' rows", "note": "a caveat", "select": "choose a model",
    "series_id": "identifier of the series", "extra": "extra columns", "frames": "frames to pool",
    "common": "only common checks", "actual": "observed values", "forecast": "forecast values",
    "train": "training values", "m": "seasonal period", "threads": "BLAS threads per process",
    "paths": "simulated paths",
    "monthly_history": "past monthly values", "months_elapsed": "months of the year elapsed",
    "n_years": "past years used", "share": "share of the year", "dispersion": "dispersion factor",
    "share_uncertainty": "draw the share", "n_paths": "simulated paths",
    # the store
    "query": "SQL text", "params": "query parameters", "year": "mid-year", "sex": "persons, males or females",
    "age": "an age band, or the column of single years of age", "edition": "latest or an edition label", "source": "a source id", "partnership": "a partnership id",
    "name": "a reference table's name", "weights": "population weights",
}

#: Retired parameter names and the word that replaced each.
RETIRED: dict[str, str] = {
    "numerator": "count", "x": "count", "observed": "count", "n": "denominator",
    "population": "denominator", "exposure": "denominator", "n_a": "denominator_a", "n_b": "denominator_b",
    "exposure_a": "denominator_a", "exposure_b": "denominator_b", "x_a": "count_a", "x_b": "count_b",
    "ref_population": "ref_denominator", "level": "confidence", "metric_id": "metric", "area_code": "area",
}


def renamed(**old_to_new: str) -> Callable[[F], F]:
    """Accept retired keyword names for one release, with a DeprecationWarning naming the new one.

    The wrapped function keeps its signature (``inspect.signature`` and tab completion show
    the new names only).

    Examples
    --------
    >>> @renamed(level="confidence")
    ... def f(confidence=0.95):
    ...     return confidence
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     f(level=0.998), str(w[0].message)
    (0.998, "f(level=...) is deprecated: use confidence=... (the library's one vocabulary; see cdp_analysis.vocabulary)")
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{fn.__name__}() got both {old}= (retired) and {new}=")
                    warnings.warn(
                        f"{fn.__name__}({old}=...) is deprecated: use {new}=... (the library's one vocabulary; "
                        "see cdp_analysis.vocabulary)",
                        DeprecationWarning, stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        wrapper.__renamed__ = dict(old_to_new)  # type: ignore[attr-defined]
        wrapper.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]  # completion shows the new names
        return wrapper  # type: ignore[return-value]

    return decorate
