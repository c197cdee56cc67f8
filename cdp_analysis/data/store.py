"""The embedded DuckDB store: tables, idempotent and transactional ingest, and queries.

Tables (docs/design.md §5): ``observations`` (**contract**), ``population``, ``returns``,
``areas``, ``partnerships``, ``metrics`` and ``ingest_log`` (one row per file loaded:
path, SHA-256, table, source, edition, rows).

Ingest is

* **idempotent**: a file whose SHA-256 is already in ``ingest_log`` is not read again,
  so a second run changes nothing;
* **transactional**: every changed file is read and validated first; only when all of
  them are valid are their rows replaced, in one database transaction. A file that fails
  validation raises :class:`~cdp_analysis.errors.CdpInputError` naming the file, sheet,
  row and column, and the store is left exactly as it was;
* **atomic on disk**: the ingest works on a copy of the store and renames it into place
  only when complete, so the store file stays byte-identical when anything fails (a later
  file rejected after earlier ones were inserted, Ctrl-C, a full disk); and
* **locked**: one ingest at a time, never during a ``cdp run`` batch
  (:mod:`cdp_analysis.data.lock`).

Raw files are only ever read.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdp_analysis.data.schema import (
    OBSERVATION_COLUMNS,
    POPULATION_COLUMNS,
    RETURNS_COLUMNS,
    check_observations,
    check_population,
)
from cdp_analysis.errors import CdpError, CdpInputError, CdpParameterError
from cdp_analysis.vocabulary import renamed

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

__all__ = ["Store", "IngestResult", "SourceSpec", "ingest", "sha256_file", "plan_sources", "source_specs"]

INGEST_LOG_COLUMNS = {
    "file": "VARCHAR",
    "sha256": "VARCHAR",
    "table_name": "VARCHAR",
    "source": "VARCHAR",
    "edition": "VARCHAR",
    "rows": "BIGINT",
    "ingested_at": "TIMESTAMP",
}
REFERENCE_TABLES = ("areas", "partnerships", "metrics")


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of a file (:func:`hashlib.file_digest`, which releases the GIL)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _digests(paths: list[Path]) -> list[str]:
    """SHA-256 of many files, hashed on a small thread pool (hashing releases the GIL)."""
    workers = min(4, os.cpu_count() or 1, len(paths))
    if workers < 2:
        return [sha256_file(p) for p in paths]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(sha256_file, paths, chunksize=16))


# --------------------------------------------------------------------------- sources
@dataclass(frozen=True)
class SourceSpec:
    """How one kind of file is ingested.

    A source module under :mod:`cdp_analysis.data.sources` declares ``SPECS = [SourceSpec(...)]``
    and is found automatically. Exactly one of ``reader`` and ``loader`` is given:

    ``reader(path) -> DataFrame``
        A pandas reader returning rows of ``table`` (``observations`` or ``population``
        schema, one source and one edition per file). Every changed file is read and
        validated *before* anything is written.
    ``loader(con, files) -> dict[rel, (rows, edition)]``
        A native loader for large record-level files: it inserts the rows of the given
        ``[(path, rel), ...]`` into its own ``table`` with DuckDB (no pandas round trip),
        inside the ingest transaction; the table must have a ``source_file`` column (the
        ``rel`` path), which the store uses to replace a changed file's rows. It must raise
        :class:`CdpInputError` for an invalid file; the whole ingest is then rolled back.

    ``create(con)``, when given, creates the loader's table if it does not exist, and
    ``after(con)`` runs at the end of a transaction in which any of this spec's files changed
    (e.g. to create views or mark revised editions). ``delete(con, rels)``, when given,
    removes the rows of the files ``rels`` instead of ``DELETE FROM table WHERE source_file
    IN rels``: for a loader whose ``table`` is a view over tables of its own (e.g. records
    and a per-file table).
    """

    table: str
    source: str
    pattern: str
    reader: Callable[[Path], pd.DataFrame] | None = None
    loader: Callable[[Any, list[tuple[Path, str]]], dict[str, tuple[int, str]]] | None = None
    create: Callable[[Any], None] | None = None
    after: Callable[[Any], None] | None = None
    description: str = ""
    delete: Callable[[Any, list[str]], None] | None = None


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest and the spec that reads it."""

    path: Path
    rel: str
    spec: SourceSpec

    @property
    def table(self) -> str:
        return self.spec.table


def _read_returns(path: Path) -> pd.DataFrame:
    from cdp_analysis.data.returns import read_returns

    return read_returns(path)


def _read_ons_deaths(path: Path) -> pd.DataFrame:
    from cdp_analysis.data.sources import ons_deaths_la

    return ons_deaths_la.read(path)


def _read_population(path: Path) -> pd.DataFrame:
    from cdp_analysis.data.sources import ons_population

    return ons_population.read(path)


def _read_reference(path: Path) -> pd.DataFrame:
    """A reference table of the data folder, validated as the library validates its own copy.

    ``areas.csv`` (codes unique), ``partnerships.csv`` (members and forces in the
    ``areas.csv`` beside it, or the packaged one) and ``metrics.csv`` (allowed units,
    polarities, bases; ids unique) are read strictly: a file cut mid-row or with a replaced
    header is refused, naming the row and column.
    """
    from cdp_analysis import areas, metrics
    from cdp_analysis.data.csvfile import read_table
    from cdp_analysis.reference import reference_path

    if path.name == "areas.csv":
        areas._areas_at.__wrapped__(str(path))
    elif path.name == "partnerships.csv":
        beside = path.with_name("areas.csv")
        areas._partnerships_at.__wrapped__(str(path), str(beside if beside.is_file() else reference_path("areas.csv")))
    elif path.name == "metrics.csv":
        metrics._read_catalogue(path)
    return read_table(path)


CORE_SPECS: list[SourceSpec] = [
    SourceSpec("areas", "reference", "reference/areas.csv", _read_reference, description="GSS areas"),
    SourceSpec("partnerships", "reference", "reference/partnerships.csv", _read_reference,
               description="partnership footprints"),
    SourceSpec("metrics", "reference", "reference/metrics.csv", _read_reference, description="metric catalogue"),
    SourceSpec("returns", "returns", "returns/*.csv", _read_returns, description="partnership returns"),
    SourceSpec("observations", "ons_drug_deaths_la", "raw/ons_drug_deaths/original/*localauthorities.xls*",
               _read_ons_deaths, description="ONS drug deaths by local authority"),
    SourceSpec("population", "ons_mye", "raw/population/original/*.xls*", _read_population,
               description="ONS mid-year population estimates, single year of age"),
]


def source_specs() -> list[SourceSpec]:
    """The core specs, then every ``SPECS`` declared by a module of :mod:`cdp_analysis.data.sources`."""
    import importlib
    import pkgutil

    from cdp_analysis.data import sources

    specs = list(CORE_SPECS)
    for info in sorted(pkgutil.iter_modules(sources.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{sources.__name__}.{info.name}")
        specs.extend(getattr(module, "SPECS", []))
    return specs


def plan_sources(data: Path, specs: list[SourceSpec] | None = None) -> list[SourceFile]:
    """The files under ``data`` that ingest reads, in a stable order (each file once)."""
    out: list[SourceFile] = []
    claimed: set[str] = set()
    for spec in specs if specs is not None else source_specs():
        for path in sorted(data.glob(spec.pattern)):
            rel = path.relative_to(data).as_posix()
            if path.name.startswith((".", "~$")) or not path.is_file() or rel in claimed:
                continue
            claimed.add(rel)
            out.append(SourceFile(path, rel, spec))
    return out


# --------------------------------------------------------------------------- results
@dataclass
class IngestResult:
    """What one ``ingest`` did: one entry per file (``loaded``, ``unchanged``, ``removed``)."""

    db: Path
    files: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(f["action"] != "unchanged" for f in self.files)

    def summary(self) -> str:
        lines = [f"store: {self.db}"]
        for f in self.files:
            lines.append(f"  {f['action']:<9} {f['rows']:>9,} rows  {f['file']}")
        lines.append(f"{'changed' if self.changed else 'nothing changed'} in {self.seconds:.1f} s")
        return "\n".join(lines)


# --------------------------------------------------------------------------- the store
def _ddl(name: str, columns: dict[str, str]) -> str:
    cols = ", ".join(f'"{c}" {t}' for c, t in columns.items())
    return f'CREATE TABLE IF NOT EXISTS "{name}" ({cols})'


class Store:
    """A connection to the DuckDB store with the queries notebooks need.

    Read-only by default: any number of notebooks and batch kernels may read at once, and
    ``cdp ingest`` can still replace the store (it writes a new file and renames it over the
    old one; an open reader keeps the version it opened). ``read_only=False`` is for the
    ingest itself; a store held open for writing elsewhere is reported in plain words, not
    as DuckDB's lock error.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with Store(pathlib.Path(d) / "t.duckdb", read_only=False) as s:
    ...         s.tables()
    ['areas', 'ingest_log', 'metrics', 'observations', 'partnerships', 'population', 'returns']
    """

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = True) -> None:
        import duckdb

        from cdp_analysis import config

        self.path = config.db_path(path) if path is None else Path(path)
        if read_only and not self.path.exists():
            raise CdpParameterError(f"the store {self.path} does not exist yet: run `cdp ingest` first")
        if not read_only:
            config.writable_folder(self.path.parent, "store's folder")
        self.read_only = read_only
        try:
            self.con: duckdb.DuckDBPyConnection = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            import re

            pid = re.search(r"PID (\d+)", str(exc))
            holder = f"process {pid[1]}" if pid else "another process"
            raise CdpError(
                f"the store {self.path} is open for writing in {holder} (a notebook or script holding "
                "Store(read_only=False), or an older `cdp ingest`), so nobody else can open it; close that "
                "store (store.close(), or restart that kernel) and try again"
                + ("" if read_only else "; to read, open it with Store() (read-only, the default)")
            ) from None
        if not read_only:
            self._init_schema()

    # context manager -------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def _init_schema(self) -> None:
        self.con.execute(_ddl("observations", OBSERVATION_COLUMNS))
        self.con.execute(_ddl("population", POPULATION_COLUMNS))
        self.con.execute(_ddl("returns", RETURNS_COLUMNS))
        self.con.execute(_ddl("ingest_log", INGEST_LOG_COLUMNS))
        for name in REFERENCE_TABLES:
            self.con.execute(f'CREATE TABLE IF NOT EXISTS "{name}" (placeholder VARCHAR)')

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    # queries --------------------------------------------------------------------
    def tables(self) -> list[str]:
        return sorted(r[0] for r in self.con.execute("SELECT table_name FROM information_schema.tables").fetchall())

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run a query and return a DataFrame."""
        return self.con.execute(query, params or []).df()

    def _select(self, table: str, filters: dict[str, Any], order: str) -> pd.DataFrame:
        where, params = [], []
        for col, val in filters.items():
            if val is None:
                continue
            if isinstance(val, (list, tuple, set)):
                vals = list(val)
                where.append(f'"{col}" IN ({", ".join("?" * len(vals))})')
                params.extend(vals)
            else:
                where.append(f'"{col}" = ?')
                params.append(val)
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        return self.sql(f'SELECT * FROM "{table}"{clause} ORDER BY {order}', params)

    @renamed(metric_id="metric", area_code="area")
    def observations(
        self,
        metric: str | list[str] | None = None,
        area: str | list[str] | None = None,
        period: str | list[str] | None = None,
        sex: str | None = "persons",
        source: str | None = None,
    ) -> pd.DataFrame:
        """Rows of ``observations`` matching the filters (``None`` = any), every source and edition.

        The rows are as published: one metric and area may have several sources, editions and
        age bands for the same period, so do not sum them; for one clean series use
        :meth:`series`.

        ``metric`` and ``area`` filter by metric id and GSS code (``metric_id`` and
        ``area_code`` are their retired names).

        Raises
        ------
        CdpParameterError
            A metric id or area code neither in the catalogues (``cdp list metrics``,
            ``cdp list areas``) nor in the store, with the closest match (an area name or a
            lower-case code gets the code it meant).
        """
        if metric is not None:
            for m in [metric] if isinstance(metric, str) else metric:
                self.check_metric(m)
        if area is not None:
            for a in [area] if isinstance(area, str) else area:
                self.check_area(a, partnership=False)
        df = self._select(
            "observations",
            {"metric_id": metric, "area_code": area, "period": period, "sex": sex, "source": source},
            "metric_id, area_code, period_start, period_end, sex, age",
        )
        if isinstance(metric, str):
            df.attrs["metric_id"] = metric
        return df

    # names and clean series ---------------------------------------------------------
    def _store_names(self, column: str) -> frozenset[str]:
        cache = self.__dict__.setdefault("_names", {})
        if column not in cache:
            rows = self.con.execute(f'SELECT DISTINCT "{column}" FROM observations').fetchall()
            cache[column] = frozenset(str(r[0]) for r in rows if r[0] is not None)
        return cache[column]

    def check_metric(self, metric: str) -> str:
        """``metric`` if it is in the metric catalogue or the store, else CdpParameterError with the closest ids.

        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as d, Store(pathlib.Path(d) / "t.duckdb", read_only=False) as s:
        ...     s.check_metric("drug_deaths")
        Traceback (most recent call last):
        ...
        cdp_analysis.errors.CdpParameterError: unknown metric_id 'drug_deaths'; did you mean 'drug_misuse_deaths' or 'drug_poisoning_deaths' or 'drug_related_deaths_local'?
        """
        from cdp_analysis import metrics

        if isinstance(metric, str) and (metric in metrics.metric_ids() or metric in self._store_names("metric_id")):
            return metric
        return metrics.validate_metric(metric)

    def check_area(self, area: str, *, partnership: bool = True) -> list[str]:
        """The GSS codes ``area`` stands for (a partnership's members when ``partnership``).

        An area name or a lower-case code is refused with the code it meant, as ``cdp list
        areas`` prints it.

        Raises
        ------
        CdpParameterError
            Unknown area (with the closest codes or the code of a matching name), or a
            partnership id where one GSS code is needed.
        """
        from cdp_analysis import areas

        if isinstance(area, str) and area in self._store_names("area_code"):
            return [area]
        if areas.is_partnership(area):
            if not partnership:
                members = areas.members(area)
                raise CdpParameterError(
                    f"{area!r} is a partnership, not one area; give its members' codes {members}"
                )
            return areas.members(area)
        return [areas.validate_area(area)]

    def series(
        self,
        metric: str,
        area: str,
        sex: str = "persons",
        age: str = "all ages",
        edition: str = "latest",
        source: str | None = None,
    ) -> pd.DataFrame:
        """One clean series: one row per period for a metric and a GSS area, indexed by period.

        Chooses one source (the one reaching the latest period unless ``source`` names one)
        and, per period, the latest edition (or ``edition``); the chosen source and edition are
        columns of every row and the sources not used are in ``attrs["other_sources"]``. See
        :func:`cdp_analysis.data.series.select_series`.

        Parameters
        ----------
        metric
            Metric id, as ``cdp list metrics`` prints it (``"drug_misuse_deaths"``).
        area
            GSS code, as ``cdp list areas`` prints it (``"E08000025"``).
        sex, age
            ``"persons"`` and ``"all ages"`` by default; the age bands a source publishes
            (``"20-29"``, ``"18+"``) otherwise.
        edition
            ``"latest"`` or one edition label (``"2021 registrations"``).
        source
            One source id (``cdp list sources``); default chosen as above.

        Returns
        -------
        pandas.DataFrame
            Index ``period``; columns ``period_start, period_end, count, denominator, value,
            lower_95, upper_95, status, source, edition``. Pass ``frame["count"]`` (or the
            frame with ``value="count"``) to :func:`cdp_analysis.models.forecast`.

        Raises
        ------
        CdpParameterError
            Unknown metric or area (closest match named), a partnership id, or a sex, age
            band, source or edition the store does not hold for them.
        """
        from cdp_analysis.data.series import select_series

        self.check_metric(metric)
        (code,) = self.check_area(area, partnership=False)
        rows = self.sql("SELECT * FROM observations WHERE metric_id = ? AND area_code = ?", [metric, code])
        return select_series(rows, metric, code, sex=sex, age=age, edition=edition, source=source)

    def area_profile(self, area: str, sex: str = "persons") -> pd.DataFrame:
        """Every metric the store holds for an area (or a partnership's members): latest figure of each.

        One row per area and metric (all ages, ``sex``, the source reaching the latest period,
        latest edition): ``area_code, metric_id, name, unit, source, edition, first, latest,
        periods, count, denominator, value, lower_95, upper_95, status``. The names agree with
        ``cdp list metrics``.

        Raises
        ------
        CdpParameterError
            Unknown area, with the closest match.
        """
        import pandas as pd

        from cdp_analysis import areas, metrics
        from cdp_analysis.data.series import select_series

        codes = self.check_area(area)
        if areas.is_partnership(area):  # the partnership's own rows (police.uk) and its members'
            codes = list(dict.fromkeys([area, *areas.members(area)]))
        obs = self.sql("SELECT * FROM observations WHERE area_code IN (SELECT unnest(?::VARCHAR[])) AND sex = ?",
                       [codes, sex])
        catalogue = metrics.metrics().set_index("metric_id")
        rows = []
        for (code, metric), grp in obs.groupby(["area_code", "metric_id"], sort=True):
            ages = set(grp["age"])
            age = "all ages" if "all ages" in ages or len(ages) == 1 else None
            if age is None:
                continue  # only age bands: no single figure for the whole population
            s = select_series(grp, metric, code, sex=sex, age=age)
            last = s.iloc[-1]
            info = catalogue.loc[metric] if metric in catalogue.index else {}
            rows.append({"area_code": code, "metric_id": metric, "name": info.get("name", ""),
                         "unit": info.get("unit", ""), "source": s.attrs["source"], "edition": last["edition"],
                         "first": s.index[0], "latest": s.index[-1], "periods": len(s),
                         **{c: last[c] for c in ("count", "denominator", "value", "lower_95", "upper_95", "status")}})
        cols = ["area_code", "metric_id", "name", "unit", "source", "edition", "first", "latest", "periods",
                "count", "denominator", "value", "lower_95", "upper_95", "status"]
        return pd.DataFrame(rows, columns=cols)

    @renamed(area_code="area")
    def population(
        self,
        area: str | list[str] | None = None,
        year: int | list[int] | None = None,
        sex: str | None = "persons",
    ) -> pd.DataFrame:
        """Rows of ``population`` (single years of age) matching the filters.

        Where several editions give the same year, the latest edition's estimate is kept.
        """
        df = self._select("population", {"area_code": area, "year": year, "sex": sex}, "area_code, year, sex, age")
        if df.empty:
            return df
        df = df.sort_values("edition").drop_duplicates(["area_code", "year", "sex", "age"], keep="last")
        return df.sort_values(["area_code", "year", "sex", "age"]).reset_index(drop=True)

    @renamed(metric_id="metric", area_code="area")
    def returns(
        self,
        partnership: str | None = None,
        metric: str | list[str] | None = None,
        area: str | list[str] | None = None,
    ) -> pd.DataFrame:
        """Rows of the local ``returns`` matching the filters (metric id, GSS code)."""
        return self._select(
            "returns",
            {"partnership": partnership, "metric_id": metric, "area_code": area},
            "metric_id, area_code, period_start, period_end",
        )

    def reference(self, name: str) -> pd.DataFrame:
        """A reference table: ``areas``, ``partnerships`` or ``metrics``."""
        if name not in REFERENCE_TABLES:
            raise CdpParameterError(f"unknown reference table {name!r}; expected one of {REFERENCE_TABLES}")
        return self.sql(f'SELECT * FROM "{name}"')

    def imd_lsoa(self) -> pd.DataFrame:
        """IMD 2019 rank and decile of every English LSOA with its upper-tier area of today.

        Columns ``lsoa_code, lsoa_name, lad_code, lad_name, area_code, area_name, region,
        imd_rank, imd_decile`` (see :func:`cdp_analysis.deprivation.lsoa_table`).
        """
        from cdp_analysis.deprivation import lsoa_table

        if "imd_lsoa" not in self.tables():
            raise CdpParameterError("the store holds no IMD table: run `cdp ingest` with "
                                    "raw/lookups/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx")
        return lsoa_table(self.sql("SELECT * FROM imd_lsoa"), self.reference("areas"))

    def imd_areas(self, by: str = "area_code", weights: pd.Series | None = None) -> pd.DataFrame:
        """IMD 2019 summaries of areas from their LSOAs, the method in ``.attrs["method"]``.

        ``by``: ``area_code`` (today's upper-tier areas) or ``lad_code`` (2019 districts);
        ``weights``: population by LSOA code (default: equal weights). See
        :func:`cdp_analysis.deprivation.aggregate`.
        """
        from cdp_analysis.deprivation import aggregate

        if by not in ("area_code", "lad_code"):
            raise CdpParameterError(f"by must be 'area_code' or 'lad_code', not {by!r}")
        return aggregate(self.imd_lsoa(), by=by, weights=weights)

    def ingest_log(self) -> pd.DataFrame:
        return self.sql("SELECT * FROM ingest_log ORDER BY file")

    def sources_summary(self) -> pd.DataFrame:
        """One row per source and edition: files, rows, periods covered and warnings.

        ``warnings`` counts the rows an analyst should know about: suppressed (``c``), not
        available (``x``), unreliable (``u``), provisional (``p``) and revised (``r``) values
        in ``observations``; population rows with missing estimates.
        """
        log = self.sql("""
            SELECT table_name, source, edition, count(*) AS files, sum(rows)::BIGINT AS rows,
                   max(ingested_at) AS ingested_at
            FROM ingest_log GROUP BY ALL ORDER BY table_name, source, edition""")
        obs = self.sql("""
            SELECT source, edition, min(period_start) AS first, max(period_end) AS last,
                   count_if(list_contains(string_split(coalesce(status, ''), ' '), 'c')) AS c,
                   count_if(list_contains(string_split(coalesce(status, ''), ' '), 'x')) AS x,
                   count_if(list_contains(string_split(coalesce(status, ''), ' '), 'u')) AS u,
                   count_if(list_contains(string_split(coalesce(status, ''), ' '), 'p')) AS p,
                   count_if(list_contains(string_split(coalesce(status, ''), ' '), 'r')) AS r
            FROM observations GROUP BY ALL""")
        pop = self.sql("""
            SELECT source, edition, min(year) AS y0, max(year) AS y1, count_if(population IS NULL) AS missing
            FROM population GROUP BY ALL""")
        ret = self.sql("SELECT partnership AS edition, min(period_start) AS first, max(period_end) AS last "
                       "FROM returns GROUP BY ALL")
        periods, warnings = [], []
        for r in log.itertuples(index=False):
            span, warn = "", ""
            o = obs[(obs["source"] == r.source) & (obs["edition"] == r.edition)]
            if r.table_name == "population":
                q = pop[(pop["source"] == r.source) & (pop["edition"] == r.edition)]
                if len(q):
                    span = f"mid-{int(q['y0'].iloc[0])} to mid-{int(q['y1'].iloc[0])}"
                    if int(q["missing"].iloc[0]):
                        warn = f"{int(q['missing'].iloc[0]):,} estimates missing"
            elif r.table_name == "returns":
                q = ret[ret["edition"] == r.edition]
                if len(q):
                    span = f"{q['first'].iloc[0]:%b %Y} to {q['last'].iloc[0]:%b %Y}"
            elif r.table_name == "police_crimes":
                o = obs[obs["source"] == r.source]
            if len(o) and r.table_name != "population":
                span = f"{o['first'].min():%b %Y} to {o['last'].max():%b %Y}"
                flags = {k: int(o[k].sum()) for k in ("c", "x", "u", "p", "r")}
                names = {"c": "suppressed", "x": "not available", "u": "unreliable", "p": "provisional",
                         "r": "revised"}
                warn = ", ".join(f"{n:,} {names[k]}" for k, n in flags.items() if n)
            periods.append(span)
            warnings.append(warn)
        log["periods"] = periods
        log["warnings"] = warnings
        return log[["table_name", "source", "edition", "files", "rows", "periods", "warnings"]]

    def content_digest(self) -> dict[str, str]:
        """A digest of every table's content (order-independent), to prove a store unchanged."""
        out = {}
        for t in self.tables():
            df = self.sql(f'SELECT * FROM "{t}"')
            rows = sorted(map(repr, df.astype(str).itertuples(index=False, name=None)))
            out[t] = hashlib.sha256("\n".join([repr(list(df.columns)), *rows]).encode()).hexdigest()
        return out


# --------------------------------------------------------------------------- ingest
def _frame_key(table: str, df: pd.DataFrame, rel: str) -> tuple[str, str]:
    """(source, edition) that identify one file's rows in its table."""
    if table in REFERENCE_TABLES:
        return "reference", table
    if table == "returns":
        parts = df["partnership"].dropna().unique() if len(df) else [Path(rel).stem]
        if len(parts) != 1:
            raise CdpInputError("a returns file must hold one partnership", file=rel, column="partnership")
        return "returns", str(parts[0])
    sources = df["source"].dropna().unique()
    editions = df["edition"].dropna().unique()
    if len(sources) != 1 or len(editions) != 1:
        raise CdpInputError(
            f"a loader returned {len(sources)} sources and {len(editions)} editions",
            file=rel, expected="exactly one source and one edition per file",
        )
    return str(sources[0]), str(editions[0])


def _read_and_check(sf: SourceFile) -> pd.DataFrame:
    """Read one file with its spec's pandas reader and check it against its table's schema."""
    try:
        df = sf.spec.reader(sf.path)
    except CdpInputError:
        raise
    except (ValueError, KeyError, TypeError, IndexError) as exc:  # a file we cannot make sense of
        raise CdpInputError(f"could not be read: {exc}", file=sf.path) from exc
    if sf.table == "observations":
        return check_observations(df, file=str(sf.path))
    if sf.table == "population":
        return check_population(df, file=str(sf.path))
    if sf.table in REFERENCE_TABLES:
        return df
    missing = [c for c in RETURNS_COLUMNS if c not in df.columns]
    if missing:
        raise CdpInputError(f"returns frame lacks {missing}", file=sf.path)
    return df[list(RETURNS_COLUMNS)]


def _log(store: Store, sf: SourceFile, digest: str, source: str, edition: str, rows: int,
         now: _dt.datetime) -> None:
    store.con.execute("DELETE FROM ingest_log WHERE file = ?", [sf.rel])
    store.con.execute("INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                      [sf.rel, digest, sf.table, source, edition, rows, now])


def _delete_native(store: Store, table: str, rels: list[str], specs: list[SourceSpec] | None = None) -> None:
    """Remove the rows of the files ``rels`` from a native loader's table (or its ``delete`` hook)."""
    if not rels:
        return
    for spec in specs if specs is not None else source_specs():
        if spec.table == table and spec.delete is not None:
            spec.delete(store.con, rels)
            return
    exists = store.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                               [table]).fetchall()[0][0]
    if exists:
        store.con.execute(f'DELETE FROM "{table}" WHERE source_file IN (SELECT unnest(?::VARCHAR[]))', [rels])


def _delete_rows(store: Store, table: str, source: str, edition: str, rel: str | None = None) -> None:
    """Remove one file's rows: by (source, edition), or by ``source_file`` for native tables."""
    core = {"observations", "population", "returns", *REFERENCE_TABLES}
    if table not in core:
        if rel is not None:
            _delete_native(store, table, [rel])
        return
    if table in REFERENCE_TABLES:
        store.con.execute(f'DROP TABLE IF EXISTS "{table}"')
        store.con.execute(f'CREATE TABLE "{table}" (placeholder VARCHAR)')
    elif table == "returns":
        store.con.execute('DELETE FROM "returns" WHERE partnership = ?', [edition])
    else:
        store.con.execute(f'DELETE FROM "{table}" WHERE source = ? AND edition = ?', [source, edition])


def ingest(
    data: str | os.PathLike | None = None,
    db: str | os.PathLike | None = None,
    *,
    progress: bool = False,
    wait: float | None = None,
) -> IngestResult:
    """Build or update the store from the data folder.

    Parameters
    ----------
    data
        The data folder (``raw/``, ``reference/``, ``returns/``); see :mod:`cdp_analysis.config`.
    db
        The DuckDB file; default ``<data>/cdp.duckdb``.
    progress
        Show a progress bar while reading files.
    wait
        Seconds to wait for another ingest or a running batch to finish before refusing
        (default ``CDP_LOCK_WAIT`` or 30; see :mod:`cdp_analysis.data.lock`).

    Returns
    -------
    IngestResult
        One entry per file: ``loaded``, ``unchanged`` (same SHA-256 as last time) or
        ``removed`` (in the log but no longer in the folder).

    Raises
    ------
    CdpInputError
        When any changed file fails validation; nothing is written.
    CdpError
        When another ingest or a batch holds the store for longer than ``wait``.

    Notes
    -----
    The store file is never written in place. The ingest holds the lock beside the store
    (:func:`cdp_analysis.data.lock.store_lock`), copies the store to a temporary file in the
    same folder, ingests into the copy (validating every file before writing, in one
    transaction), checkpoints and flushes it to disk, and only then renames it over the
    store. A rejected file, an interrupted ingest or a full disk leave the store file
    byte-identical, and a reader never sees a half-written store.
    """
    from cdp_analysis import config
    from cdp_analysis.data.lock import store_lock

    t0 = time.perf_counter()
    data_path = config.data_dir(data)
    db_file = config.db_path(db, data_path)
    config.writable_folder(db_file.parent, "store's folder")
    with store_lock(db_file, exclusive=True, what="cdp ingest", wait=wait):
        for stale in db_file.parent.glob(f".{db_file.name}.ingest-*"):  # left by a killed ingest
            stale.unlink(missing_ok=True)
        work = db_file.with_name(f".{db_file.name}.ingest-{os.getpid()}")
        try:
            if db_file.exists():
                _copy_store(db_file, work)
            result = _ingest_into(data_path, work, db_file, progress=progress, t0=t0)
            if result.changed or not db_file.exists():
                _durable_replace(work, db_file)
        finally:
            _remove_store_file(work)
    result.seconds = time.perf_counter() - t0
    return result


def _remove_store_file(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def _copy_store(db_file: Path, work: Path) -> None:
    """Copy the store for an ingest, after proving nobody holds it open for writing.

    A write-ahead log left by a crashed writer is folded into the store first, so the copy
    holds everything committed.
    """
    import shutil

    if db_file.with_name(db_file.name + ".wal").exists():
        Store(db_file, read_only=False).close()  # replays and checkpoints the log (our lock is held)
    else:
        Store(db_file, read_only=True).close()  # a DuckDB file, not open for writing elsewhere
    shutil.copyfile(db_file, work)


def _durable_replace(work: Path, db_file: Path) -> None:
    """Flush the new store to disk and rename it over the old one (atomic on POSIX)."""
    with open(work, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(work, db_file)
    try:
        dir_fd = os.open(db_file.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _ingest_into(data_path: Path, work: Path, db_file: Path, *, progress: bool, t0: float) -> IngestResult:
    """Ingest the data folder into the store file ``work`` (a copy of ``db_file``)."""
    planned = plan_sources(data_path)
    with Store(work, read_only=False) as store:
        log = store.ingest_log().set_index("file")
        result = IngestResult(db_file)
        # 1. read and validate every new or changed file of a pandas reader; nothing is written yet
        staged: list[tuple[SourceFile, str, pd.DataFrame, str, str]] = []
        native: list[tuple[SourceFile, str]] = []
        iterator = planned
        if progress:
            from tqdm.auto import tqdm

            iterator = tqdm(planned, desc="ingest", unit="file")
        seen_keys: dict[tuple[str, str, str], str] = {}
        digests = dict(zip((sf.rel for sf in planned), _digests([sf.path for sf in planned]), strict=True))
        for sf in iterator:
            digest = digests[sf.rel]
            if sf.rel in log.index and log.loc[sf.rel, "sha256"] == digest:
                result.files.append({"file": sf.rel, "action": "unchanged", "rows": int(log.loc[sf.rel, "rows"])})
                continue
            if sf.spec.loader is not None:
                native.append((sf, digest))
                continue
            df = _read_and_check(sf)
            source, edition = _frame_key(sf.table, df, sf.rel)
            key = (sf.table, source, edition)
            if key in seen_keys:
                raise CdpInputError(
                    f"holds the same {sf.table} source and edition ({source}, {edition}) as {seen_keys[key]}",
                    file=sf.path,
                )
            seen_keys[key] = sf.rel
            staged.append((sf, digest, df, source, edition))
        present = {sf.rel for sf in planned}
        gone = [f for f in log.index if f not in present]
        if not staged and not gone and not native:
            result.seconds = time.perf_counter() - t0
            return result
        # 2. write everything in one transaction; any error rolls all of it back
        now = _dt.datetime.now(_dt.UTC).replace(tzinfo=None, microsecond=0)
        changed_specs: list[SourceSpec] = []
        with store.transaction():
            all_specs = source_specs()
            for f in gone:
                row = log.loc[f]
                _delete_rows(store, row["table_name"], row["source"], row["edition"], f)
                store.con.execute("DELETE FROM ingest_log WHERE file = ?", [f])
                result.files.append({"file": f, "action": "removed", "rows": int(row["rows"])})
                for spec in all_specs:  # derived tables and views of that source must be rebuilt
                    if spec.table == row["table_name"] and spec.source == row["source"] and spec not in changed_specs:
                        changed_specs.append(spec)
            for sf, digest, df, source, edition in staged:
                if sf.rel in log.index:
                    old = log.loc[sf.rel]
                    _delete_rows(store, old["table_name"], old["source"], old["edition"], sf.rel)
                _delete_rows(store, sf.table, source, edition, sf.rel)
                store.con.register("_new", df)
                if sf.table in REFERENCE_TABLES:
                    store.con.execute(f'DROP TABLE IF EXISTS "{sf.table}"')
                    store.con.execute(f'CREATE TABLE "{sf.table}" AS SELECT * FROM _new')
                else:
                    cols = ", ".join(f'"{c}"' for c in df.columns)
                    store.con.execute(f'INSERT INTO "{sf.table}" ({cols}) SELECT {cols} FROM _new')
                store.con.unregister("_new")
                _log(store, sf, digest, source, edition, len(df), now)
                result.files.append({"file": sf.rel, "action": "loaded", "rows": len(df)})
                if sf.spec not in changed_specs:
                    changed_specs.append(sf.spec)
            by_spec: dict[SourceSpec, list[tuple[SourceFile, str]]] = {}
            for sf, digest in native:
                by_spec.setdefault(sf.spec, []).append((sf, digest))
            for spec, items in by_spec.items():
                if spec.create is not None:
                    spec.create(store.con)
                rels = [sf.rel for sf, _ in items]
                for sf, _ in items:  # a file that moved to another table: clear its old rows
                    if sf.rel in log.index and log.loc[sf.rel, "table_name"] != spec.table:
                        old = log.loc[sf.rel]
                        _delete_rows(store, old["table_name"], old["source"], old["edition"], sf.rel)
                _delete_native(store, spec.table, rels, all_specs)
                store.con.execute("DELETE FROM ingest_log WHERE file IN (SELECT unnest(?::VARCHAR[]))", [rels])
                loaded = spec.loader(store.con, [(sf.path, sf.rel) for sf, _ in items])
                cols: dict[str, list[Any]] = {c: [] for c in INGEST_LOG_COLUMNS}
                for sf, digest in items:
                    rows, edition = loaded[sf.rel]
                    for c, v in zip(cols, (sf.rel, digest, sf.table, spec.source, edition, int(rows), now),
                                    strict=True):
                        cols[c].append(v)
                    result.files.append({"file": sf.rel, "action": "loaded", "rows": rows})
                # one statement for all the files' log rows (lists zipped by unnest)
                store.con.execute(
                    "INSERT INTO ingest_log SELECT " + ", ".join(f"unnest(${c})" for c in cols), cols)
                if spec not in changed_specs:
                    changed_specs.append(spec)
            for spec in changed_specs:
                if spec.after is not None:
                    spec.after(store.con)
        store.con.execute("CHECKPOINT")
    result.seconds = time.perf_counter() - t0
    return result
