"""The batch: plan notebook runs, validate their parameters, execute them, render outputs.

One *run* is one notebook for one area and one period. Runs are planned as
notebooks x periods x areas, their parameters are checked against each notebook's
parameters cell and the library's validators **before any kernel starts**, and each run
executes in its own process (papermill starts a fresh kernel) through any
:class:`concurrent.futures.Executor`: a process pool by default, or a Dask cluster via
``Client.get_executor()``.

A run writes into a temporary folder beside its destination and is renamed into place
only when the notebook and its rendered outputs are complete, so
``reports/<period>/<area>/`` appears whole or not at all. A failed run leaves its
executed notebook (with papermill's error banner) under ``reports/<period>/_failed/``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdp_analysis.batch_checks import check_output_folder, check_scheduler, check_workers
from cdp_analysis.errors import CdpParameterError
from cdp_analysis.notebooks import (
    SHARED_PARAMETER,
    notebook_parameters,
    reads_shared,
    report_notebooks,
)
from cdp_analysis.periods import Period

__all__ = [
    "KERNEL_NAME",
    "Run",
    "plan",
    "validate_parameters",
    "notebook_parameters",
    "run_one",
    "execute",
    "ensure_kernel",
    "report_notebooks",
    "reads_shared",
    "set_single_thread_blas",
    "check_workers",
    "check_output_folder",
    "check_scheduler",
]

KERNEL_NAME = "cdp-analysis"
BLAS_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
_TYPES = {"str": str, "int": int, "float": float, "bool": bool}


def set_single_thread_blas() -> None:
    """Set BLAS/OpenMP threads to 1 in this process and in kernels it starts.

    Two processes sharing two cores each running multi-threaded OpenBLAS slow
    statsmodels 2-10x (docs/references/forecasting.md §5.5).
    """
    for var in BLAS_ENV:
        os.environ[var] = "1"


# --------------------------------------------------------------------------- kernel
def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Make sure a Jupyter kernel named ``name`` runs *this* Python; install it if missing.

    The kernel spec is installed into ``sys.prefix`` (the virtual environment), never
    the user's home, so it always points at the interpreter that has cdp-analysis.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    ksm = KernelSpecManager()
    try:
        spec = ksm.get_kernel_spec(name)
        exe = Path(spec.argv[0])
        if exe.exists() and exe.resolve() == Path(sys.executable).resolve():
            return name
        if exe.name.startswith("python") and not exe.is_absolute():
            return name
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name="Python (cdp-analysis)", prefix=sys.prefix)
    return name


# --------------------------------------------------------------------------- parameters
def validate_parameters(notebook: Path, params: dict[str, Any], declared: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Refuse unknown or mistyped parameters and check values through the library.

    Raises
    ------
    CdpParameterError
        Naming the notebook, the parameter and what was expected.
    """
    declared = notebook_parameters(notebook) if declared is None else declared
    name = Path(notebook).name
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise CdpParameterError(f"{name}: unknown parameter(s) {unknown}; it takes {sorted(declared)}")
    clean: dict[str, Any] = {}
    for key, value in params.items():
        tname = declared[key]["type"]
        expected = _TYPES.get(tname)
        if expected is not None:
            ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                ok, value = True, float(value)
            if not ok:
                raise CdpParameterError(
                    f"{name}: parameter {key!r} must be {tname}, got {type(value).__name__} {value!r}"
                )
        clean[key] = value
    if "period" in clean:
        clean["period"] = Period.parse(clean["period"]).label
    if "area" in clean:
        from cdp_analysis import areas

        areas.validate_area(clean["area"])
    return clean


# --------------------------------------------------------------------------- planning
@dataclass(frozen=True)
class Run:
    """One notebook for one area and period."""

    notebook: str
    period: str
    area: str
    out_dir: str
    parameters: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    error: str | None = field(default=None, compare=False)  # invalid parameters: refused, never started

    @property
    def key(self) -> str:
        return f"{self.period} / {self.area} / {Path(self.notebook).stem}"


def _notebook_path(name: str) -> Path:
    """The template of a notebook name or path, checked to be a readable Jupyter notebook."""
    from cdp_analysis import config

    path = Path(name)
    if path.suffix != ".ipynb":
        path = config.notebooks_dir() / f"{name}.ipynb"
    if not path.is_file():
        raise CdpParameterError(f"no notebook {path}" + (" (it is a folder)" if path.is_dir() else ""))
    try:
        import nbformat

        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as exc:  # nbformat raises JSON, validation and Unicode errors alike
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CdpParameterError(f"{path} is not a Jupyter notebook ({first[:200]})") from None
    return path.resolve()


def safe_component(text: str) -> str:
    """A path component for an area id: letters, digits, '-', '_' only; refuses anything else."""
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", text):
        raise CdpParameterError(f"{text!r} cannot be used in a path: expected letters, digits, '-' or '_'")
    return text


def plan(
    periods: Iterable[str],
    areas: Iterable[str],
    notebooks: Sequence[str] | None = None,
    out: str | os.PathLike | None = None,
    extra: dict[str, Any] | None = None,
    db: str | os.PathLike | None = None,
    *,
    strict: bool = True,
) -> list[Run]:
    """Plan notebooks x periods x areas and validate every parameter set before running.

    Parameters
    ----------
    strict
        ``True`` (default): raise on the first invalid period, area or parameter, before
        anything starts. ``False`` (the batch command line): keep going; an invalid run is
        returned with its ``error`` set, is refused without starting a kernel, and is
        reported as failed beside the others.

    Raises
    ------
    CdpParameterError
        A missing notebook; with ``strict``, any invalid period, area or parameter.
    """
    from cdp_analysis import config

    out_root = check_output_folder(config.reports_dir(out))
    runs = []
    for nb in (notebooks if notebooks is not None else report_notebooks()):
        path = _notebook_path(nb)
        declared = notebook_parameters(path)
        for period in periods:
            for area in areas:
                try:
                    p = Period.parse(period)
                    params: dict[str, Any] = {"area": area, "period": p.label}
                    if db is not None and "db" in declared:
                        params["db"] = str(Path(db).resolve())
                    params.update(extra or {})
                    clean = validate_parameters(path, params, declared)
                    folder = out_root / p.slug / safe_component(area)
                    if not folder.resolve().is_relative_to(out_root.resolve()):
                        raise CdpParameterError(f"output for {area!r} would escape {out_root}")
                    runs.append(Run(str(path), p.label, area, str(folder), clean))
                except CdpParameterError as exc:
                    if strict:
                        raise
                    runs.append(Run(str(path), str(period), str(area), str(out_root / "_invalid"),
                                    {"area": area, "period": period}, error=str(exc)))
    return runs


# --------------------------------------------------------------------------- one run
def _git_commit() -> str | None:
    from cdp_analysis import config

    root = config.project_root()
    if root is None:
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("cdp-analysis", "pandas", "numpy", "scipy", "statsmodels", "duckdb", "papermill", "nbconvert", "matplotlib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def _inputs(db: str | None) -> list[dict[str, Any]]:
    """The store file and the files it was built from, with their SHA-256."""
    from cdp_analysis import config
    from cdp_analysis.data.store import Store

    try:
        path = config.db_path(db)
        with Store(path, read_only=True) as store:
            log = store.ingest_log()
    except Exception:
        return []
    return [{"file": r.file, "sha256": r.sha256, "rows": int(r.rows), "source": r.source, "edition": r.edition}
            for r in log.itertuples()]


def _is_kernel_start_failure(exc: BaseException, executed: Path | None = None) -> bool:
    """Whether the kernel failed to start (worth a retry), not died mid-notebook (a failure to name)."""
    text = f"{type(exc).__name__}: {exc}"
    if any(s in text for s in ("Kernel didn't respond", "Address already in use", "Kernel died before replying")):
        return True
    return "DeadKernelError" in text and not _cells_started(executed)


def _cells_started(executed: Path | None) -> bool:
    """Whether papermill recorded any code cell of ``executed`` as run."""
    if executed is None or not executed.exists():
        return False
    try:
        nb = json.loads(executed.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return any(c.get("cell_type") == "code" and c.get("execution_count") for c in nb.get("cells", []))


def run_one(run: Run, *, kernel_name: str = KERNEL_NAME, retries: int = 2, render: bool = True,
            execution_timeout: int = 1800) -> dict[str, Any]:
    """Execute one run: papermill into a temporary folder, render, then rename into place.

    Returns a small, picklable summary: ``status`` (``ok`` | ``failed``), paths, timings
    and, on failure, the cell index, the error and the path of the executed notebook.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    set_single_thread_blas()
    os.environ.setdefault("MPLBACKEND", "Agg")
    final = Path(run.out_dir)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    nb_name = Path(run.notebook).stem
    executed = tmp / "notebooks" / f"{nb_name}.ipynb"
    executed.parent.mkdir(parents=True)
    carried = _carry_other_outputs(final, tmp, nb_name)
    summary: dict[str, Any] = {"key": run.key, "notebook": nb_name, "period": run.period, "area": run.area,
                               "out_dir": str(final), "status": "failed"}
    started = _dt.datetime.now(_dt.UTC)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        previous_out = os.environ.get("CDP_OUTPUT_DIR")
        os.environ["CDP_OUTPUT_DIR"] = str(tmp)  # the kernel writes figures and tables into the run folder
        try:
            for attempt in range(retries + 1):
                try:
                    from cdp_analysis._kernel import kernel_manager_class

                    extra = {"kernel_manager_class": km} if (km := kernel_manager_class()) else {}
                    papermill.execute_notebook(
                        run.notebook, str(executed), parameters=dict(run.parameters), kernel_name=kernel_name,
                        language="python", cwd=str(tmp), progress_bar=False, execution_timeout=execution_timeout,
                        start_timeout=120, log_output=False, **extra,
                    )
                    break
                except PapermillExecutionError:
                    raise
                except Exception as exc:  # kernel failed to start: retry
                    if attempt < retries and _is_kernel_start_failure(exc, executed):
                        time.sleep(1 + attempt)
                        continue
                    raise
        finally:
            if previous_out is None:
                os.environ.pop("CDP_OUTPUT_DIR", None)
            else:
                os.environ["CDP_OUTPUT_DIR"] = previous_out
        timings["execute_s"] = round(time.perf_counter() - t0, 3)
        if render:
            from cdp_analysis.report import render as _render

            t1 = time.perf_counter()
            outputs = _render.render_all(executed, tmp, title_stem=nb_name)
            timings["render_s"] = round(time.perf_counter() - t1, 3)
        else:
            outputs = []
        manifest = {
            "notebook": nb_name,
            "template": str(run.notebook),
            "period": run.period,
            "area": run.area,
            "parameters": run.parameters,
            "started_utc": started.isoformat(timespec="seconds"),
            "finished_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "timings_s": timings,
            "inputs": _inputs(run.parameters.get("db") or None),
            "outputs": sorted(rel for rel in (Path(o).relative_to(tmp).as_posix() for o in outputs)
                              if rel not in carried or rel == "tables.xlsx") + [f"notebooks/{nb_name}.ipynb"],
            "versions": _versions(),
            "git_commit": _git_commit(),
            "kernel": kernel_name,
        }
        # merge with what other notebooks already wrote for this area and period
        manifest_path = tmp / "manifest.json"
        previous = final / "manifest.json"
        runs_meta = {}
        if previous.exists():
            try:
                runs_meta = json.loads(previous.read_text(encoding="utf-8")).get("runs", {})
            except (OSError, ValueError):
                runs_meta = {}
        runs_meta[nb_name] = manifest
        manifest_path.write_text(json.dumps({"period": run.period, "area": run.area, "runs": runs_meta}, indent=2,
                                            default=str), encoding="utf-8")
        _write_run_log(tmp / "run.log", final / "run.log", manifest)
        _swap_into_place(tmp, final)
        stale = final.parent / "_failed" / final.name / f"{nb_name}.ipynb"
        stale.unlink(missing_ok=True)
        summary.update(status="ok", seconds=round(time.perf_counter() - t0, 3), manifest=str(final / "manifest.json"),
                       outputs=manifest["outputs"])
    except PapermillExecutionError as exc:
        summary.update(_failure(run, tmp, executed, exc, cell=exc.cell_index, error=f"{exc.ename}: {exc.evalue}"))
    except Exception as exc:
        summary.update(_failure(run, tmp, executed, exc, cell=None, error=_plain_error(exc, final),
                                tb=traceback.format_exc(limit=5)))
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    summary.setdefault("seconds", round(time.perf_counter() - t0, 3))
    return summary


def _write_run_log(path: Path, previous: Path, manifest: dict[str, Any]) -> None:
    """Append this run's lines to the folder's plain-text log (earlier notebooks' lines kept)."""
    lines = []
    if previous.exists():
        lines = previous.read_text(encoding="utf-8").splitlines()
        lines = [ln for ln in lines if f" {manifest['notebook']}: " not in ln]
    stamp = manifest["finished_utc"]
    params = ", ".join(f"{k}={v!r}" for k, v in manifest["parameters"].items())
    lines.append(f"{stamp} {manifest['notebook']}: parameters {params}")
    lines.append(f"{stamp} {manifest['notebook']}: kernel {manifest['kernel']}, timings {manifest['timings_s']}")
    lines.append(f"{stamp} {manifest['notebook']}: {len(manifest['inputs'])} inputs, outputs "
                 + ", ".join(manifest["outputs"]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _plain_error(exc: BaseException, final: Path) -> str:
    """The error of a failed run in plain words (a full disk, a dead kernel), else type and message."""
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return (f"no space left for the outputs in {final.parent} ({exc.strerror}); free some space or "
                "choose another --out, then run again with --resume")
    if "DeadKernelError" in f"{type(exc).__name__}: {exc}":
        return ("the notebook's kernel died while running (killed, or out of memory?): "
                f"{type(exc).__name__}: {exc}")
    return f"{type(exc).__name__}: {exc}"


def _failure(run: Run, tmp: Path, executed: Path, exc: BaseException, *, cell: int | None, error: str,
             tb: str | None = None) -> dict[str, Any]:
    failed_dir = Path(run.out_dir).parent / "_failed" / Path(run.out_dir).name
    kept = None
    if executed.exists():
        try:
            failed_dir.mkdir(parents=True, exist_ok=True)
            kept = failed_dir / executed.name
            shutil.copy2(executed, kept)
        except OSError:  # a full disk: the failure is still reported, without the notebook
            if kept is not None:
                kept.unlink(missing_ok=True)
            kept = None
    out = {"status": "failed", "cell": cell, "error": error, "executed_notebook": str(kept) if kept else None}
    if tb:
        out["traceback"] = tb
    return out


def _carry_other_outputs(final: Path, tmp: Path, nb_name: str) -> set[str]:
    """Copy into ``tmp`` what other notebooks already wrote for this area and period.

    The run folder is replaced whole when this run succeeds, so the outputs of the other
    notebooks (their HTML, Word, figures and tables) are carried in first; this notebook's
    own earlier outputs are not (they are about to be remade), nor the manifest and log,
    which are rewritten. The workbook is then rebuilt from every notebook's tables.
    """
    carried: set[str] = set()
    if not final.is_dir():
        return carried
    mine: set[str] = set()
    try:
        runs = json.loads((final / "manifest.json").read_text(encoding="utf-8")).get("runs", {})
        mine = set(runs.get(nb_name, {}).get("outputs", []))
    except (OSError, ValueError):
        pass
    for item in final.rglob("*"):
        if not item.is_file():
            continue
        rel = item.relative_to(final).as_posix()
        if rel in mine or rel in ("manifest.json", "run.log", "tables.xlsx") or rel == f"notebooks/{nb_name}.ipynb":
            continue
        target = tmp / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(item, target)
        carried.add(rel)
    return carried


def _swap_into_place(tmp: Path, final: Path) -> None:
    """Put the complete run folder ``tmp`` in place of ``final`` (renames only)."""
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)


def is_complete(run: Run) -> bool:
    """Whether a run's outputs already exist (used by ``--resume``)."""
    manifest = Path(run.out_dir) / "manifest.json"
    if not manifest.exists():
        return False
    try:
        runs = json.loads(manifest.read_text(encoding="utf-8")).get("runs", {})
    except (OSError, ValueError):
        return False
    return Path(run.notebook).stem in runs


# --------------------------------------------------------------------------- the batch
#: in a pool's worker process: the batch's stop flag (set when the batch is interrupted)
_stop_flag: Any = None


def _init_worker(stop: Any = None) -> None:
    """Worker processes: one BLAS thread; Ctrl-C is the batch's to handle, not each worker's.

    ``stop`` is the batch's :class:`multiprocessing.Event`. A process pool hands a worker
    more calls than it runs at once (``concurrent.futures`` queues one extra), and those cannot
    be cancelled; the worker checks the flag before starting each run, so a run that had not
    started when the batch was interrupted is not started.
    """
    import signal

    global _stop_flag
    _stop_flag = stop
    set_single_thread_blas()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _new_pool(n: int, stop: Any = None) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=n, initializer=_init_worker, initargs=(stop,))


def _group_failed(group: Sequence[Run], error: str) -> list[dict[str, Any]]:
    return [{"key": r.key, "notebook": Path(r.notebook).stem, "period": r.period, "area": r.area,
             "out_dir": r.out_dir, "status": "failed", "cell": None, "error": error, "executed_notebook": None}
            for r in group]


def _sweep_stale_temps(folder: Path, names: set[str]) -> None:
    """Remove the temporary run folders (``.<area>.<random>``, ``.<area>.old-<pid>``) a killed run left.

    Called before and after a batch, for the areas of that batch only, when none of its runs
    is in progress. Complete run folders are never touched.
    """
    if not folder.is_dir():
        return
    for item in folder.iterdir():
        if item.is_dir() and item.name.startswith(".") and item.name[1:].split(".", 1)[0] in names:
            shutil.rmtree(item, ignore_errors=True)


def execute(
    runs: Sequence[Run],
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    resume: bool = False,
    progress: bool = True,
    kernel_name: str | None = None,
    render: bool = True,
) -> list[dict[str, Any]]:
    """Execute runs, each in its own process; keep going when one fails.

    Parameters
    ----------
    runs
        From :func:`plan`.
    executor
        Any :class:`concurrent.futures.Executor` (e.g. Dask's ``client.get_executor()``).
        Default: a process pool of ``workers`` processes (default: the number of CPUs).
    resume
        Skip runs whose outputs are already complete.

    Returns
    -------
    list of dict
        One summary per run (``status`` ``ok`` | ``failed`` | ``skipped``), in plan order.
    """
    check_workers(workers)
    kernel = kernel_name or ensure_kernel()
    invalid = [r for r in runs if r.error]
    results: dict[str, dict[str, Any]] = {
        r.key: {"key": r.key, "notebook": Path(r.notebook).stem, "period": r.period, "area": r.area,
                "out_dir": None, "status": "failed", "cell": None, "error": f"refused before starting: {r.error}",
                "executed_notebook": None} for r in invalid}
    runs_ok = [r for r in runs if not r.error]
    todo = [r for r in runs_ok if not (resume and is_complete(r))]
    todo = prepare_shared(todo)
    todo_keys = {r.key for r in todo}
    skipped = [{"key": r.key, "notebook": Path(r.notebook).stem, "period": r.period, "area": r.area,
                "out_dir": r.out_dir, "status": "skipped"} for r in runs_ok if r.key not in todo_keys]
    results.update({s["key"]: s for s in skipped})
    # runs writing into the same folder (several notebooks for one area) go one after another
    groups: dict[str, list[Run]] = {}
    for r in todo:
        groups.setdefault(r.out_dir, []).append(r)
    own_pool = executor is None
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(groups) or 1))
    stop = None
    if own_pool:
        import multiprocessing

        stop = multiprocessing.Event()
        executor = _new_pool(n_workers, stop)
    for folder in {Path(r.out_dir).parent for r in todo}:
        _sweep_stale_temps(folder, {Path(r.out_dir).name for r in todo})
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="reports", unit="run")
    attempts: dict[str, int] = {}
    pending: dict[Future, list[Run]] = {}
    try:
        pending = {executor.submit(run_group, group, kernel, render): group for group in groups.values()}
        while pending:
            broken: list[list[Run]] = []
            for fut in as_completed(list(pending)):
                group = pending.pop(fut)
                try:
                    outs = fut.result()
                except BrokenProcessPool:  # a worker process died (killed, out of memory): retry once
                    broken.append(group)
                    continue
                except Exception as exc:
                    outs = _group_failed(group, f"{type(exc).__name__}: {exc}")
                for o in outs:
                    retried = attempts.get(group[0].out_dir)
                    if retried:
                        o["note"] = "retried after its worker process died"
                    results[o["key"]] = o
                if bar is not None:
                    bar.update(len(group))
            if broken:
                retry = []
                for group in broken:
                    k = group[0].out_dir
                    attempts[k] = attempts.get(k, 0) + 1
                    if attempts[k] > 1:
                        for o in _group_failed(group, "its worker process died twice (killed, or out of memory?)"):
                            results[o["key"]] = o
                        if bar is not None:
                            bar.update(len(group))
                    else:
                        retry.append(group)
                if retry:
                    if own_pool:
                        executor.shutdown(wait=True)
                        executor = _new_pool(n_workers, stop)
                    pending = {executor.submit(run_group, g, kernel, render): g for g in retry}
    except BaseException:
        # interrupted (Ctrl-C, SIGTERM) or failed: runs not started are cancelled; a run in progress
        # finishes or fails whole in its worker (a Dask cluster's are cancelled); nothing half-written
        # is left, and `--resume` finishes the rest
        if own_pool:
            stop.set()  # calls already handed to a worker do not start their runs
            executor.shutdown(wait=True, cancel_futures=True)
            own_pool = False
        else:
            for fut in pending:
                fut.cancel()
        raise
    finally:
        if bar is not None:
            bar.close()
        if own_pool:
            executor.shutdown(wait=True)
    for folder in {Path(r.out_dir).parent for r in todo}:
        _sweep_stale_temps(folder, {Path(r.out_dir).name for r in todo})
    return [results[r.key] for r in runs]


def prepare_shared(runs: Sequence[Run]) -> list[Run]:
    """Compute, once per period and store, what every area's notebook shares; point runs at it.

    Comparisons against all areas, funnel limits, and the forecasts and backtests of every
    area are computed here, in this one process, by :func:`cdp_analysis.needs.shared.compute_shared`;
    each area's notebook then only reads and renders. Runs that already name a ``shared``
    file, or whose notebook does not take one (no ``shared`` parameter), are left as they are.
    """
    needs = [r for r in runs if reads_shared(r.notebook) and not r.parameters.get(SHARED_PARAMETER)]
    if not needs:
        return list(runs)
    from cdp_analysis.needs.shared import compute_shared

    set_single_thread_blas()
    files: dict[tuple[str, str, str], str] = {}
    out: list[Run] = []
    for r in runs:
        if r not in needs:
            out.append(r)
            continue
        db = r.parameters.get("db") or None
        root = str(Path(r.out_dir).parent.parent)
        key = (r.period, str(db), root)
        if key not in files:
            files[key] = str(compute_shared(r.period, db=db, out=root))
        params = dict(r.parameters, shared=files[key])
        out.append(Run(r.notebook, r.period, r.area, r.out_dir, params))
    return out


def run_group(group: Sequence[Run], kernel_name: str, render: bool = True) -> list[dict[str, Any]]:
    """Run several runs that share an output folder, in order (module level: picklable).

    In a pool's worker, stops before a run when the batch has been interrupted: that run and
    the rest of the group are left for ``--resume`` (nothing of them is written).
    """
    out = []
    for r in group:
        if _stop_flag is not None and _stop_flag.is_set():
            break
        out.append(run_one(r, kernel_name=kernel_name, render=render))
    return out


def write_batch_summary(results: Sequence[dict[str, Any]], out: str | os.PathLike | None = None) -> list[Path]:
    """Write ``<out>/<period>/batch_summary.json`` for each period in the results."""
    from cdp_analysis import config

    root = config.reports_dir(out)
    written = []
    by_period: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        by_period.setdefault(r["period"], []).append(r)
    for period, rows in by_period.items():
        try:
            slug = Period.parse(period).slug
        except CdpParameterError:  # runs refused for an invalid period label
            slug = "_invalid"
        path = root / slug / "batch_summary.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "period": period,
            "written_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "ok": sum(r["status"] == "ok" for r in rows),
            "failed": sum(r["status"] == "failed" for r in rows),
            "skipped": sum(r["status"] == "skipped" for r in rows),
            "runs": rows,
        }
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(body, indent=2, default=str), encoding="utf-8")
        os.replace(tmp, path)
        written.append(path)
    return written


def format_results(results: Sequence[dict[str, Any]]) -> str:
    """A plain-text summary of a batch for the terminal."""
    lines = []
    ok = [r for r in results if r["status"] == "ok"]
    failed = [r for r in results if r["status"] == "failed"]
    skipped = [r for r in results if r["status"] == "skipped"]
    for r in ok:
        note = f"; {r['note']}" if r.get("note") else ""
        lines.append(f"ok      {r['key']}  ->  {r['out_dir']}  ({r.get('seconds', 0):.1f} s{note})")
    for r in skipped:
        lines.append(f"skipped {r['key']}  (already complete)")
    for r in failed:
        where = f"cell {r['cell']}" if r.get("cell") is not None else "before any cell"
        lines.append(f"FAILED  {r['key']}: {where}: {r['error']}")
        if r.get("executed_notebook"):
            lines.append(f"        executed notebook: {r['executed_notebook']}")
    lines.append(f"{len(ok)} ok, {len(failed)} failed, {len(skipped)} skipped")
    from cdp_analysis.errors import printable

    return printable("\n".join(lines))  # a kernel's error may carry terminal colour codes
