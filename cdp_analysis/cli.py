"""The ``cdp`` command line: ``cdp ingest | fetch | run | audit | list``.

One error boundary (:func:`main`) turns any exception into one plain paragraph on
standard error and an exit status; ``--debug`` prints the traceback as well.

Exit statuses: 0 done (``cdp audit``: no error among the findings); 1 a batch with
failed runs, or an audit with at least one error; 2 an error a user can fix (a bad file,
period, area, option, folder or store; the message names it); 3 a fault of ours
(``--debug`` shows where); 130 interrupted (Ctrl-C), 143 terminated.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from cdp_analysis.errors import CdpError, CdpParameterError, describe_exception

__all__ = ["main", "build_parser", "latest_period"]

DEFAULT_AREA = "pan-dorset"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cdp", description="Combating Drugs Partnership analysis: ingest data, "
                                "run the quarterly reports, audit published figures.")
    p.add_argument("--debug", action="store_true", help="print the traceback of an error")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="print the traceback of an error")
    sub = p.add_subparsers(dest="command", required=True)

    ing = sub.add_parser("ingest", parents=[common], help="build or update the DuckDB store from the data folder")
    ing.add_argument("--data-dir", help="data folder (default: ./data)")
    ing.add_argument("--db", help="store file (default: <data>/cdp.duckdb)")
    ing.add_argument("--quiet", action="store_true", help="no progress bar")

    run = sub.add_parser("run", parents=[common], help="run the report notebooks for areas and periods into reports/")
    run.add_argument("--period", action="append", help="reporting period, e.g. '2023/24 Q1' (default: the latest "
                     "quarter in the returns); repeat for several")
    run.add_argument("--area", action="append", help=f"partnership id or GSS code (default: {DEFAULT_AREA}); repeat")
    run.add_argument("--all-areas", action="store_true", help="every English upper-tier area")
    run.add_argument("--notebook", action="append",
                     help="notebook name (default: every report notebook, one that takes area and period); repeat")
    run.add_argument("--out", help="output folder (default: reports/)")
    run.add_argument("--db", help="store file (default: data/cdp.duckdb)")
    run.add_argument("--workers", type=int, help="worker processes (default: number of CPUs)")
    run.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://HOST:8786")
    run.add_argument("--resume", action="store_true", help="skip runs already complete")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    aud = sub.add_parser("audit", parents=[common], help="recompute a returns file's published figures and flag disagreements")
    aud.add_argument("file", help="returns CSV, e.g. data/returns/pan_dorset.csv")

    from cdp_analysis.data import fetch

    fetch.add_parser(sub, common)

    lst = sub.add_parser("list", parents=[common], help="list areas, partnerships, metrics, notebooks, sources or periods")
    lst.add_argument("what", choices=["areas", "partnerships", "metrics", "notebooks", "sources", "periods"])
    lst.add_argument("--db", help="store file (for sources and periods)")
    return p


def latest_period(db: str | None = None, partnership: str | None = None) -> str:
    """The financial quarter containing the latest period in the returns (the default run period)."""
    from cdp_analysis.data.store import Store
    from cdp_analysis.periods import Period

    with Store(db, read_only=True) as store:
        df = store.returns(partnership=partnership)
    if df.empty:
        raise CdpError("the store holds no returns: run `cdp ingest` first")
    end = max(Period.parse(p).last for p in df["period"])
    year, month = end // 12, end % 12 + 1
    fy = year if month >= 4 else year - 1
    q = ((month - 4) % 12) // 3 + 1
    return f"{fy}/{(fy + 1) % 100:02d} Q{q}"


def _cmd_ingest(args: argparse.Namespace) -> int:
    from cdp_analysis.data.store import ingest

    result = ingest(args.data_dir, args.db, progress=not args.quiet)
    print(result.summary())
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from cdp_analysis import config, pipeline
    from cdp_analysis.data.lock import store_lock

    areas = list(args.area or [])
    if args.all_areas:
        from cdp_analysis import areas as _areas

        areas += [a for a in _areas.upper_tier_areas() if a not in areas]
    if not areas:
        areas = [DEFAULT_AREA]
    pipeline.check_workers(args.workers)
    scheduler = pipeline.check_scheduler(args.scheduler) if args.scheduler else None
    # the whole batch reads one version of the store: an ingest waits for it (and it for an ingest)
    with store_lock(config.db_path(args.db), exclusive=False, what="cdp run"):
        return _run_batch(args, areas, scheduler)


def _run_batch(args: argparse.Namespace, areas: list[str], scheduler: str | None) -> int:
    from cdp_analysis import pipeline

    if args.period:  # the store is opened before any kernel starts (latest_period opens it otherwise)
        from cdp_analysis.data.store import Store

        with Store(args.db, read_only=True):
            pass
    periods = args.period or [latest_period(args.db)]
    notebooks = args.notebook or pipeline.report_notebooks()
    runs = pipeline.plan(periods, areas, notebooks, out=args.out, db=args.db, strict=False)
    if runs and all(r.error for r in runs):  # nothing valid to run: one clear error
        raise CdpError(runs[0].error)
    executor = None
    client = None
    if scheduler:
        from distributed import Client

        try:
            client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError) as exc:
            raise CdpParameterError(f"could not reach the Dask scheduler at {scheduler} within 15 s ({exc}); "
                                    "is `dask scheduler` running there?") from None
        executor = client.get_executor(retries=2, pure=False)
    try:
        results = pipeline.execute(runs, executor=executor, workers=args.workers, resume=args.resume,
                                   progress=not args.quiet)
    finally:
        if client is not None:
            client.close()
    print(pipeline.format_results(results))
    try:
        pipeline.write_batch_summary(results, args.out)
    except OSError as exc:  # e.g. a full disk: the results above stand
        message, _ = describe_exception(exc)
        print(f"cdp run: warning: the batch summary could not be written: {message}", file=sys.stderr)
        return 1
    return 1 if any(r["status"] == "failed" for r in results) else 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from cdp_analysis.data import fetch

    return fetch.run_cli(args)


def _cmd_audit(args: argparse.Namespace) -> int:
    from cdp_analysis import audit

    return audit.run_audit_cli(Path(args.file))


def _cmd_list(args: argparse.Namespace) -> int:
    import pandas as pd

    from cdp_analysis.errors import printable

    def show(text: str) -> None:  # names from data files: control characters shown as escapes
        print(printable(text))

    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 500)
    if args.what == "areas":
        from cdp_analysis import areas

        show(areas.areas().to_string(index=False))
    elif args.what == "partnerships":
        from cdp_analysis import areas

        show(areas.partnerships().to_string(index=False))
    elif args.what == "metrics":
        from cdp_analysis import metrics

        show(metrics.metrics()[["metric_id", "name", "section", "unit", "polarity"]].to_string(index=False))
    elif args.what == "notebooks":
        from cdp_analysis import config, pipeline

        reports = set(pipeline.report_notebooks())
        for nb in sorted(config.notebooks_dir().glob("*.ipynb")):
            params = pipeline.notebook_parameters(nb)
            desc = ", ".join(f"{k}: {v['type']} = {v['default']}" for k, v in params.items())
            kind = "report, run by `cdp run`" if nb.stem in reports else "exploration, for JupyterLab"
            show(f"{nb.stem} ({kind}): {desc}")
    else:
        from cdp_analysis.data.store import Store

        with Store(args.db, read_only=True) as store:
            if args.what == "sources":
                show(store.sources_summary().to_string(index=False))
            else:
                show(store.sql("SELECT DISTINCT period FROM returns ORDER BY period").to_string(index=False))
    return 0


class Terminated(KeyboardInterrupt):
    """SIGTERM received: unwinds like Ctrl-C, so temporary folders and pools are cleaned up."""


def _terminated(signum: int, frame: object) -> None:
    raise Terminated(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cdp`` console script: the error boundary (see the module docstring)."""
    import threading

    args = build_parser().parse_args(argv)
    handler = {"ingest": _cmd_ingest, "run": _cmd_run, "audit": _cmd_audit, "list": _cmd_list,
               "fetch": _cmd_fetch}[args.command]
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return handler(args)
    except KeyboardInterrupt as exc:
        if args.debug:
            traceback.print_exc()
        term = isinstance(exc, Terminated)
        hint = "; `cdp run --resume` finishes the rest" if args.command == "run" else ""
        print(f"cdp {args.command}: {'terminated' if term else 'interrupted'}: nothing half-written is left{hint}",
              file=sys.stderr)
        return 143 if term else 130
    except BrokenPipeError:  # `cdp list areas | head`: the reader left, nothing to say
        try:
            sys.stdout = open(os.devnull, "w")  # silence the flush at exit
        except OSError:
            pass
        return 0
    except Exception as exc:  # the error boundary: one paragraph, never a traceback unless asked
        if args.debug:
            traceback.print_exc()
        message, status = describe_exception(exc)
        print(f"cdp {args.command}: error: {message}", file=sys.stderr)
        return status
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
