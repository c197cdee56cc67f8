"""What every area's needs assessment shares, computed once per period in one process.

Kernels and imports cost seconds per notebook; the statistics cost milliseconds per area.
So the batch runner calls :func:`compute_shared` once per period *before* fanning out: it
computes, for every English upper-tier area and every partnership,

* the pooled 3-year ASMR comparisons against the area's region and England,
* the funnel plot's points and limits over all English upper-tier areas,
* the recent-trend tests, and
* the forecast of annual registered deaths with the backtest that chose its model,

and writes them to one DuckDB file, ``reports/<period-slug>/_shared/shared.duckdb`` (written
to a temporary name and renamed, so readers never see half a file). Each notebook then
reads it with :func:`load_shared` (read-only; many processes may read at once). A file
computed from a different store (its ingest log differs) is ignored, and the notebook
computes what its own area needs instead (:func:`compute_results` with ``areas=[area]``).

The functions that take a ``period`` label at the edge (:func:`shared_path`,
:func:`compute_shared`, :func:`load_shared`) parse it once; :func:`compute_results` takes the
:class:`~cdp_analysis.periods.Period`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cdp_analysis import areas as geo
from cdp_analysis.needs.deaths import (
    BACKTEST_KEYS,
    DEATH_METRICS,
    comparison_columns,
    deaths_annual,
    deaths_asmr_comparison,
    deaths_forecast,
    deaths_funnel,
    deaths_trend_test,
    pooled_deaths_forecasts,
)
from cdp_analysis.periods import Period

__all__ = ["SharedResults", "compute_shared", "compute_results", "load_shared", "shared_path", "store_fingerprint"]

TABLES = ("asmr", "funnel_points", "funnel_limits", "trends", "forecasts", "backtests", "annual")


def shared_path(period: Period | str, out: str | os.PathLike | None = None) -> Path:
    """Where the shared results of ``period`` live: ``<reports>/<period-slug>/_shared/shared.duckdb``.

    >>> shared_path("2023/24 Q1", "/tmp/r").as_posix()
    '/tmp/r/2023-24-Q1/_shared/shared.duckdb'
    """
    from cdp_analysis import config

    return config.reports_dir(out) / Period.parse(period).slug / "_shared" / "shared.duckdb"


def store_fingerprint(store: Any) -> str:
    """A digest of the store's ingest log (file digests), identifying the data a result came from."""
    try:
        log = store.sql("SELECT file, sha256 FROM ingest_log ORDER BY file, sha256")
    except Exception:  # pragma: no cover - store without a log
        return ""
    text = "\n".join(f"{f}\t{s}" for f, s in log.itertuples(index=False))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class SharedResults:
    """The shared tables (see :data:`TABLES`) and their metadata."""

    period: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        """One table (an empty frame when absent)."""
        return self.tables.get(name, pd.DataFrame())

    def rows(self, name: str, area: str, metric_id: str | None = None) -> pd.DataFrame:
        """The rows of table ``name`` for ``area`` (partnership id or GSS code), optionally one metric."""
        t = self.table(name)
        if t.empty or "area" not in t:
            return t
        t = t[t["area"] == area]
        if metric_id is not None and "metric_id" in t:
            t = t[t["metric_id"] == metric_id]
        return t.reset_index(drop=True)

    def forecast(self, area: str, metric_id: str) -> pd.DataFrame:
        """The forecast frame of ``area`` with its backtest in ``.attrs`` (empty if none)."""
        f = self.rows("forecasts", area, metric_id).drop(columns=["area", "metric_id"], errors="ignore")
        b = self.rows("backtests", area, metric_id)
        if len(b):
            r = b.iloc[0].to_dict()
            f.attrs.update({k: r.get(k) for k in (*BACKTEST_KEYS, "reason")})
            f.attrs["flags"] = [x for x in str(r.get("flags") or "").split("|") if x]
            f.attrs["notes"] = [x for x in str(r.get("notes") or "").split("|") if x]
        return f

    def funnel(self, metric_id: str, highlight: Sequence[str] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(points, limits)`` of the funnel of ``metric_id``, with ``highlight`` set for the given codes."""
        p = self.table("funnel_points")
        lim = self.table("funnel_limits")
        if p.empty:
            return p, lim
        p = p[p["metric_id"] == metric_id].drop(columns=["metric_id"]).reset_index(drop=True)
        p["highlight"] = p["area_code"].isin(list(highlight))
        lim = lim[lim["metric_id"] == metric_id].drop(columns=["metric_id"]).reset_index(drop=True)
        return p, lim


def _all_areas() -> list[str]:
    parts = geo.partnerships()
    return [*geo.upper_tier_areas(), *sorted(parts["partnership_id"].unique())]


def compute_results(deaths: pd.DataFrame, period: Period, areas: Sequence[str] | None = None, *,
                    forecasts: bool = True, measures: Sequence[str] = ("misuse", "poisoning"),
                    horizon: int = 3) -> SharedResults:
    """Compute the shared tables from the deaths observations (pure; no files).

    Parameters
    ----------
    deaths
        ``observations`` rows of the ONS deaths metrics (all areas, all sexes).
    period
        Reporting period; only data up to the end of the calendar year its end falls in is used.
    areas
        Areas (partnership ids or GSS codes) to compute per-area results for; default every
        English upper-tier area and every partnership. The funnel always covers all
        upper-tier areas.
    forecasts
        Fit forecasts and backtests (the slow part, about 0.3 s per series).
    measures
        ``"misuse"`` and/or ``"poisoning"``.
    horizon
        Forecast years.
    """
    p = period
    todo = list(areas) if areas is not None else _all_areas()
    t0 = time.perf_counter()
    persons = deaths[deaths["sex"] == "persons"] if "sex" in deaths else deaths
    out: dict[str, list[pd.DataFrame]] = {k: [] for k in TABLES}
    for measure in measures:
        count_id, asmr_id = DEATH_METRICS[measure]
        d_count = persons[persons["metric_id"] == count_id]
        d_asmr = persons[persons["metric_id"] == asmr_id]
        pts, lim = deaths_funnel(d_asmr, asmr_id, until=p)
        if len(pts):
            out["funnel_points"].append(pts.drop(columns=["highlight"]).assign(metric_id=asmr_id))
            out["funnel_limits"].append(lim.assign(metric_id=asmr_id))
        pooled = pooled_deaths_forecasts(d_count, count_id, p, todo, horizon) if forecasts else {}
        for area in todo:
            codes = geo.members(area)
            bench = geo.comparators(area)
            cmp_ = deaths_asmr_comparison(d_asmr, codes, bench, asmr_id, until=p)
            if len(cmp_):
                out["asmr"].append(comparison_columns(cmp_, bench).assign(area=area, metric_id=asmr_id))
            annual = deaths_annual(d_count, codes, count_id, until=p)
            out["annual"].append(annual.assign(area=area, metric_id=count_id))
            tr = deaths_trend_test(annual, d_asmr, codes, asmr_id, until=p)
            if len(tr):
                out["trends"].append(tr.assign(area=area, metric_id=count_id))
            if forecasts:
                fc = pooled.get(area)  # the pooled small-area model where it applies (it met the backtest targets)
                if fc is None:
                    fc = deaths_forecast(annual, horizon, measure=count_id)
                a = fc.attrs
                out["backtests"].append(pd.DataFrame([{
                    "area": area, "metric_id": count_id, **{k: a.get(k) for k in BACKTEST_KEYS},
                    "flags": "|".join(map(str, a.get("flags") or [])),
                    "notes": "|".join(map(str, a.get("notes") or [])), "reason": a.get("reason", "")}]))
                if len(fc):
                    out["forecasts"].append(pd.DataFrame(fc).assign(area=area, metric_id=count_id))
    tables = {k: (pd.concat(v, ignore_index=True) if v else pd.DataFrame()) for k, v in out.items()}
    meta = {"period": p.label, "until": p.end.year, "areas": len(todo), "forecasts": forecasts,
            "measures": ",".join(measures), "seconds": round(time.perf_counter() - t0, 2),
            "computed_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    return SharedResults(p.label, tables, meta)


def compute_shared(period: Period | str, db: str | os.PathLike | None = None, out: str | os.PathLike | None = None, *,
                   forecasts: bool = True, measures: Sequence[str] = ("misuse", "poisoning"),
                   areas: Sequence[str] | None = None, path: str | os.PathLike | None = None) -> Path:
    """Compute the shared results of ``period`` for every area and write them; return the file.

    Call once per period, in one process, before running the notebooks. BLAS is limited
    to one thread here (the fits are small; threads only contend).

    Parameters
    ----------
    period
        Reporting period label (``"2023/24 Q1"``).
    db
        The store (default ``data/cdp.duckdb``).
    out
        Reports folder (default as :func:`cdp_analysis.config.reports_dir`).
    forecasts, measures, areas
        As :func:`compute_results` (default: every English upper-tier area and partnership;
        a notebook whose area is not in the file computes its own per-area results).
    path
        Explicit file to write instead of :func:`shared_path`.

    Returns
    -------
    pathlib.Path
        The DuckDB file written.
    """
    import duckdb

    from cdp_analysis.data.store import Store
    from cdp_analysis.models import limit_blas_threads

    limit_blas_threads(1)
    p = Period.parse(period)
    ids = [m for pair in DEATH_METRICS.values() for m in pair]
    with Store(db or None, read_only=True) as store:
        deaths = store.observations(metric=ids, sex=None)
        fingerprint = store_fingerprint(store)
        store_path = str(store.path)
    res = compute_results(deaths, p, areas=areas, forecasts=forecasts, measures=measures)
    res.meta.update({"fingerprint": fingerprint, "store": store_path})
    target = Path(path) if path is not None else shared_path(p, out)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    if tmp.exists():
        tmp.unlink()
    con = duckdb.connect(str(tmp))
    try:
        for name, df in res.tables.items():
            if df.empty:
                continue
            con.register("_df", df)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _df')
            con.unregister("_df")
        meta = pd.DataFrame({"key": list(res.meta), "value": [str(v) for v in res.meta.values()]})
        con.register("_meta", meta)
        con.execute("CREATE TABLE meta AS SELECT * FROM _meta")
        con.unregister("_meta")
    finally:
        con.close()
    os.replace(tmp, target)
    return target


def load_shared(period: Period | str, out: str | os.PathLike | None = None, *, path: str | os.PathLike | None = None,
                fingerprint: str | None = None) -> SharedResults | None:
    """Read the shared results of ``period``; ``None`` when the file is missing or stale.

    Parameters
    ----------
    period
        Reporting period label.
    out
        Reports folder (used when ``path`` is not given).
    path
        Explicit file (the notebook's ``shared`` parameter).
    fingerprint
        :func:`store_fingerprint` of the store the reader uses; a file computed from other
        data (a different fingerprint) or for another period is ignored.
    """
    import duckdb

    p = Period.parse(period)
    target = Path(path) if path else shared_path(p, out)
    if not target.is_file():
        return None
    con = duckdb.connect(str(target), read_only=True)
    try:
        names = set(con.execute("SELECT table_name FROM information_schema.tables").df()["table_name"])
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall()) if "meta" in names else {}
        tables = {n: con.execute(f'SELECT * FROM "{n}"').df() for n in TABLES if n in names}
    finally:
        con.close()
    if meta.get("period") != p.label:
        return None
    if fingerprint is not None and meta.get("fingerprint") not in (None, "", fingerprint):
        return None
    for t in tables.values():
        for c in t.columns:
            if t[c].dtype == object:
                t[c] = t[c].where(t[c].notna(), None)
    if "funnel_points" in tables and "highlight" not in tables["funnel_points"]:
        tables["funnel_points"]["highlight"] = False
    meta["path"] = str(target)
    return SharedResults(p.label, tables, meta)
