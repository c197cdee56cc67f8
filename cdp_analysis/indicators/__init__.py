"""Public-health indicator calculations: frame in, frame out, vectorised.

The API of docs/design.md §6. Names are loaded lazily from their modules so that
``import cdp_analysis.indicators`` stays light.

Parameters follow one vocabulary (:mod:`cdp_analysis.vocabulary`): ``count`` (events, the
numerator), ``denominator`` (population, exposure, cohort), ``confidence`` (0.95, 0.998),
``value`` (a published or derived figure), ``_a``/``_b`` for the figure of interest and its
comparator, ``metric`` and ``area`` for ids, ``status`` only for the GSS shorthand flags.
Retired names (``numerator``, ``population``, ``exposure``, ``level``, ``x``/``n``) still work
for one release with a DeprecationWarning.

>>> from cdp_analysis import indicators as ind
>>> callable(ind.rate)
True
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module (relative to this package). Each module owns one idea.
_EXPORTS: dict[str, str] = {
    # rates, proportions, means (crude measures with confidence limits)
    "rate": "rates",
    "proportion": "proportions",
    "mean": "means",
    # standardisation
    "dsr": "standardised",
    "isr": "standardised",
    "standardised_ratio": "standardised",
    "esp2013": "standardised",
    "esp2013_bands": "standardised",
    # comparison with a benchmark, funnel plots, trends, quantiles
    "compare": "comparison",
    "benchmark_comparison": "comparison",
    "recent_trend": "comparison",
    "funnel_limits": "funnels",
    "funnel_points": "funnels",
    "funnel_significance": "funnels",
    "funnel_z_scores": "overdispersion",
    "overdispersion": "overdispersion",
    "overdispersed_funnel": "overdispersion",
    "quantiles": "ranking",
    # tests of change and plain-English statements
    "rate_ratio_test": "change",
    "proportion_difference_test": "change",
    "describe_change": "change",
    "part_year_change": "part_year",
    "same_months_change": "part_year",
    # year-end projection and targets
    "project_year_end": "projection",
    "target_trajectory": "targets",
    "target_status": "targets",
    "probability_of_meeting_target": "targets",
    "target_assessment": "targets",
    # disclosure control
    "suppress": "disclosure",
    "protect": "disclosure",
    "DisclosurePolicy": "disclosure",
    # shared confidence limits
    "byar_limits": "_limits",
    "exact_poisson_limits": "_limits",
    "poisson_limits": "_limits",
    "wilson_limits": "_limits",
    "z_value": "_limits",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cdp_analysis.indicators' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
