"""The needs-assessment appendix's figures: pure functions over frames from the store.

One module per topic, each a set of pure functions over frames (as
:class:`~cdp_analysis.data.store.Store` returns them) and the GSS codes an area stands for;
nothing here reads files or prints:

* :mod:`~cdp_analysis.needs.deaths`: registrations, change, pooled ASMRs, funnel, trend, forecast;
* :mod:`~cdp_analysis.needs.police`: police.uk records and Home Office seizures;
* :mod:`~cdp_analysis.needs.population`: age structure, national drug use, alcohol dependence;
* :mod:`~cdp_analysis.needs.treatment`: treatment targets, unmet need, reoffending;
* :mod:`~cdp_analysis.needs.shared`: what every area shares (comparisons, funnel limits,
  forecasts and backtests), computed once per period;
* :mod:`~cdp_analysis.needs.context`: :func:`load_context` (the edge: parameters checked, the
  period parsed once, the store read) and :class:`NeedsContext`, which decides "shared, else
  compute" once (``ctx.annual``, ``ctx.asmr``, ``ctx.trends``, ``ctx.forecast``, ``ctx.funnel``).

The wording lives in the report layer (:mod:`cdp_analysis.report.needs_sections`,
:mod:`cdp_analysis.report.needs_summary`, :mod:`cdp_analysis.report.wording`). Geography
(members, comparators, police forces, old boundaries) is :mod:`cdp_analysis.areas`.

Rules every function follows:

* **Partnerships sum their members' counts and populations** before any rate is computed;
  rates are never averaged. Published age-standardised rates (ASMRs) cannot be summed, so a
  partnership's ASMR is not shown: its members' are shown side by side, and the reason said.
* ONS drug deaths are by **year of registration**, not occurrence.
* No "rise" or "fall" without a test behind it: changes carry the exact rate-ratio test,
  trends Fingertips' recent-trend test, comparisons Fingertips' benchmark rule.
* Forecasts carry the GSS marker ``[f]`` and the backtest that chose the model.
"""

from __future__ import annotations

from cdp_analysis.needs.context import CONTEXT_METRICS, NeedsContext, load_context
from cdp_analysis.needs.deaths import (
    DEATH_METRICS,
    comparison_columns,
    deaths_annual,
    deaths_asmr_comparison,
    deaths_change,
    deaths_forecast,
    deaths_funnel,
    deaths_trend_test,
    pooled_deaths_forecasts,
)
from cdp_analysis.needs.police import (
    POLICE_METRICS,
    SEIZURE_METRICS,
    police_monthly,
    police_same_months_change,
    police_seasonality,
    police_top_lsoas,
    police_year_end_projection,
    seizures_annual,
    seizures_summary,
)
from cdp_analysis.needs.population import (
    ALCOHOL_METRIC,
    ENGLAND_AND_WALES,
    PREVALENCE_METRICS,
    alcohol_dependence,
    drug_use_prevalence,
    population_profile,
)
from cdp_analysis.needs.treatment import (
    REOFFENDING_METRICS,
    UNMET_METRICS,
    reoffending_change,
    reoffending_local,
    reoffending_national,
    treatment_targets,
    unmet_need,
)

__all__ = [
    "DEATH_METRICS", "POLICE_METRICS", "SEIZURE_METRICS", "REOFFENDING_METRICS", "PREVALENCE_METRICS",
    "ALCOHOL_METRIC", "UNMET_METRICS", "CONTEXT_METRICS", "ENGLAND_AND_WALES",
    "NeedsContext", "load_context",
    "population_profile", "alcohol_dependence", "drug_use_prevalence",
    "deaths_annual", "deaths_change", "deaths_asmr_comparison", "comparison_columns", "deaths_funnel",
    "deaths_trend_test", "deaths_forecast", "pooled_deaths_forecasts",
    "police_monthly", "police_top_lsoas", "police_seasonality", "police_same_months_change",
    "police_year_end_projection", "seizures_annual", "seizures_summary",
    "treatment_targets", "unmet_need", "reoffending_national", "reoffending_local", "reoffending_change",
]
