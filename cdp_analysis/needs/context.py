"""What the needs-assessment appendix works from: the area, the period and the store's frames.

:func:`load_context` is the edge: it validates the notebook's parameters, parses the period
once, reads every frame the topics need from the store and attaches the shared per-period
results (:mod:`cdp_analysis.needs.shared`), loaded or computed. :class:`NeedsContext` then
answers the questions several sections ask, deciding "shared results, else compute" and
naming the comparison columns in one place:

* :meth:`NeedsContext.annual`: annual registered deaths;
* :meth:`NeedsContext.asmr`: pooled age-standardised rates against the region and England;
* :meth:`NeedsContext.trends`: Fingertips' recent-trend tests;
* :meth:`NeedsContext.forecast`: the forecast with its backtest;
* :meth:`NeedsContext.funnel`: the funnel of every upper-tier area;
* :meth:`NeedsContext.observations`: any other metric of the store (what a new section reads);
* :meth:`NeedsContext.populations`: population estimates of any areas (for rates a section computes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cdp_analysis import areas
from cdp_analysis.areas import ENGLAND
from cdp_analysis.needs.deaths import (
    DEATH_METRICS,
    comparison_columns,
    deaths_annual,
    deaths_asmr_comparison,
    deaths_forecast,
    deaths_funnel,
    deaths_trend_test,
)
from cdp_analysis.needs.police import POLICE_METRICS, SEIZURE_METRICS
from cdp_analysis.needs.population import ALCOHOL_METRIC, PREVALENCE_METRICS
from cdp_analysis.needs.shared import SharedResults, compute_results, load_shared, store_fingerprint
from cdp_analysis.needs.treatment import REOFFENDING_METRICS, UNMET_METRICS
from cdp_analysis.periods import Period

__all__ = ["NeedsContext", "load_context", "DEATH_METRICS", "POLICE_METRICS", "REOFFENDING_METRICS",
           "CONTEXT_METRICS"]

#: the ``observations`` read into :attr:`NeedsContext.context`: seizures, Crime Survey prevalence,
#: alcohol dependence and unmet need
CONTEXT_METRICS = (*SEIZURE_METRICS, *PREVALENCE_METRICS, ALCOHOL_METRIC, *UNMET_METRICS)


@dataclass
class NeedsContext:
    """Everything the needs-assessment notebook works from, read and validated once."""

    area: str
    area_name: str
    period: Period
    codes: list[str]
    is_partnership: bool
    benchmarks: list[tuple[str, str]]
    deaths: pd.DataFrame
    population: pd.DataFrame
    returns: pd.DataFrame
    metrics: pd.DataFrame
    police: pd.DataFrame
    lsoas: pd.DataFrame
    reoffending: pd.DataFrame
    shared: SharedResults | None = None
    #: Home Office seizures, Crime Survey prevalence, alcohol-dependence and unmet-need estimates (``observations``)
    context: pd.DataFrame = field(default_factory=pd.DataFrame)
    include_forecast: bool = True
    notes: list[str] = field(default_factory=list)
    #: the store the frames came from (``None``: the default store), for :meth:`observations`
    db: str | None = None
    _read: dict[tuple, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)

    @property
    def title(self) -> str:
        return f"{self.area_name}: drugs needs assessment appendix, {self.period}"

    @property
    def region(self) -> tuple[str, str] | None:
        """The first regional comparator (``None`` when the area spans no region)."""
        regions = [b for b in self.benchmarks if b[0] != ENGLAND]
        return regions[0] if regions else None

    @property
    def police_forces(self) -> list[str]:
        """The police force areas of the area (and of its partnership)."""
        return areas.police_forces([self.area, *self.codes])

    def _shared_rows(self, table: str, metric_id: str) -> pd.DataFrame:
        return self.shared.rows(table, self.area, metric_id) if self.shared is not None else pd.DataFrame()

    def annual(self, measure: str = "misuse") -> pd.DataFrame:
        """Annual registered deaths of ``measure`` (``"misuse"`` or ``"poisoning"``), oldest first.

        From the shared results when they hold the area, else computed
        (:func:`~cdp_analysis.needs.deaths.deaths_annual`, up to the reporting period's year).
        """
        count_id = DEATH_METRICS[measure][0]
        a = self._shared_rows("annual", count_id)
        if a.empty:
            a = deaths_annual(self.deaths, self.codes, count_id, until=self.period)
        a = a.drop(columns=["area", "metric_id"], errors="ignore")
        a["period"] = a["period"].astype(str)
        a = a.sort_values("year").reset_index(drop=True)
        return _protected_annual(a, count_id, self._pool_years(measure))

    def _pool_years(self, measure: str) -> list[int]:
        """The years of the latest pooled rate's count, when the report shows it beside the years."""
        try:
            comp = self.asmr(measure)
        except Exception:  # no pooled rates in the store: nothing published to protect against
            return []
        own = comp[comp["role"] != "benchmark"] if "role" in comp else comp
        if own.empty or own["value"].isna().all():
            return []
        years = [int(y) for y in re.findall(r"(?:19|20)\d\d", str(own["period"].iloc[0]))]
        return list(range(years[0], years[-1] + 1)) if len(years) >= 2 else []

    def asmr(self, measure: str = "misuse") -> pd.DataFrame:
        """Pooled 3-year ASMRs of the area (or each member) and its benchmarks, with ``vs_region`` and ``vs_england``.

        See :func:`~cdp_analysis.needs.deaths.deaths_asmr_comparison`.
        """
        asmr_id = DEATH_METRICS[measure][1]
        c = self._shared_rows("asmr", asmr_id)
        if c.empty:
            c = comparison_columns(deaths_asmr_comparison(self.deaths, self.codes, self.benchmarks, asmr_id,
                                                          until=self.period), self.benchmarks)
        return c

    def trends(self, measure: str = "misuse") -> pd.DataFrame:
        """Fingertips' recent-trend tests of the annual counts (and a single area's ASMRs)."""
        count_id, asmr_id = DEATH_METRICS[measure]
        t = self._shared_rows("trends", count_id)
        if t.empty:
            t = deaths_trend_test(self.annual(measure), self.deaths, self.codes, asmr_id, until=self.period)
        return t

    def forecast(self, measure: str = "misuse") -> pd.DataFrame:
        """The forecast of annual registered deaths with its backtest in ``.attrs`` (empty, with a reason, if none)."""
        count_id = DEATH_METRICS[measure][0]
        f = self.shared.forecast(self.area, count_id) if self.shared is not None else pd.DataFrame()
        if f.empty and not f.attrs.get("reason"):
            f = deaths_forecast(self.annual(measure), measure=count_id)
        return f

    def funnel(self, measure: str = "misuse") -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(points, limits)`` of the funnel of every English upper-tier area, the area's codes highlighted."""
        asmr_id = DEATH_METRICS[measure][1]
        if self.shared is not None and not self.shared.table("funnel_points").empty:
            return self.shared.funnel(asmr_id, self.codes)
        return deaths_funnel(self.deaths, asmr_id, codes=self.codes, until=self.period)

    def observations(self, metric_ids: list[str] | tuple[str, ...], **filters: Any) -> pd.DataFrame:
        """Rows of the store's ``observations`` for ``metric_ids`` (all areas and sexes unless filtered).

        Read once per set of arguments from the store the context was loaded from; this is how
        a section reads metrics the frames above do not hold.
        """
        from cdp_analysis.data.store import Store

        key = (tuple(metric_ids), tuple(sorted(filters.items())))
        if key not in self._read:
            with Store(self.db or None, read_only=True) as store:
                self._read[key] = store.observations(metric=list(metric_ids), **{"sex": None, **filters})
        return self._read[key]


    def populations(self, codes: list[str] | tuple[str, ...]) -> pd.DataFrame:
        """Rows of the store's ``population`` for ``codes`` (every source and year), read once per set of codes."""
        from cdp_analysis.data.store import Store

        key = ("population", tuple(codes))
        if key not in self._read:
            with Store(self.db or None, read_only=True) as store:
                self._read[key] = store.population(area=list(codes))
        return self._read[key]


def _table_exists(store: Any, name: str) -> bool:
    q = "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = ?"
    return bool(store.sql(q, [name])["n"].iloc[0])


def load_context(area: str = "pan-dorset", period: Period | str = "2023/24 Q1", db: str | None = None,
                 shared: str | None = None, include_forecast: bool = True) -> NeedsContext:
    """Validate the parameters and read what the appendix needs from the store.

    ``shared`` is the path of the file :func:`cdp_analysis.needs.shared.compute_shared` wrote;
    when empty the default location for ``period`` is tried, and when that is missing (or was
    computed from a different store) the shared results this area needs are computed here.
    """
    from cdp_analysis.data.store import Store

    p = Period.parse(period)
    areas.validate_area(area)
    kind, codes, name = areas.resolve(area)
    bench = areas.comparators(area)
    scope = list(dict.fromkeys([area, *codes, *areas.police_forces([area, *codes]), ENGLAND]))
    death_ids = [m for pair in DEATH_METRICS.values() for m in pair]
    with Store(db or None, read_only=True) as store:
        deaths = store.observations(metric=death_ids, sex=None)
        population = store.population(area=[*codes, *(b[0] for b in bench)])
        returns = store.returns(area=scope)
        metrics = store.reference("metrics")
        police = store.observations(metric=list(POLICE_METRICS), area=codes)
        lsoas = pd.DataFrame()
        if _table_exists(store, "police_crimes_by_lsoa"):
            lsoas = store.sql("SELECT * FROM police_crimes_by_lsoa")
        reoff = store.observations(metric=list(REOFFENDING_METRICS), sex=None)
        context = store.observations(metric=list(CONTEXT_METRICS), sex=None)
        fingerprint = store_fingerprint(store)
    ctx = NeedsContext(area, name, p, list(codes), kind == "partnership", bench, deaths, population, returns,
                       metrics, police, lsoas, reoff, include_forecast=include_forecast, context=context,
                       db=db or None)
    res = load_shared(p, path=shared or None, fingerprint=fingerprint)
    if res is None:
        res = compute_results(ctx.deaths, p, areas=[area], forecasts=include_forecast)
        ctx.notes.append("Shared results were computed for this area alone (no shared file for the period).")
    ctx.shared = res
    return ctx


def _protected_annual(annual: pd.DataFrame, metric_id: str, pool_years: list[int]) -> pd.DataFrame:
    """The disclosure decision for a series of annual counts, made once
    (:func:`cdp_analysis.indicators.disclosure.protect`): small counts and their intervals
    hidden as ``c``; the years of a pooled count shown beside them are a published total."""
    from cdp_analysis.indicators.disclosure import protect

    if annual.empty or "count" not in annual:
        return annual
    known = annual["count"].notna() | annual.get("status", pd.Series("", index=annual.index)).astype(str).str.split(
    ).map(lambda s: "c" in s)
    rows = annual[known]
    pos = {int(y): i for i, y in enumerate(rows["year"])}
    sets = [[pos[y] for y in pool_years if y in pos]] if pool_years else []
    out = protect(rows.reset_index(drop=True), "count", metric=metric_id, derived=["lower_95", "upper_95"],
                  sets=[s for s in sets if len(s) > 1])
    rest = annual[~known].assign(status=lambda d: d.get("status", ""))
    return pd.concat([out, rest]).sort_values("year").reset_index(drop=True) if len(rest) else out
