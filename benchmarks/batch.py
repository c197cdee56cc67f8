"""Batch speed: `cdp run` (process pool, shared results computed once) against plain papermill.

Runs one notebook for many areas twice, measured in the same run on the same machine:

1. ours: ``cdp_analysis.pipeline.plan`` + ``execute`` with ``--workers`` processes (the
   statistics every area shares computed once per period, each run rendered to HTML and
   Word in the worker);
2. plain: the same notebooks one after another with ``papermill`` + ``jupyter nbconvert
   --to html --no-input``, as an analyst would script it.

Prints both times, the ratio, and the projected time for every English upper-tier area.

Usage::

    .venv/bin/python benchmarks/batch.py                      # every English upper-tier area
    .venv/bin/python benchmarks/batch.py --limit 12           # a sample, with the projection
    .venv/bin/python benchmarks/batch.py --notebook progress_report --limit 4

Needs the store (``cdp ingest``). Target: at least 2x faster than plain, and every area
within 15 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ours(areas: list[str], notebook: str, period: str, out: Path, workers: int, db: str | None) -> float:
    from cdp_analysis import pipeline

    t0 = time.perf_counter()
    runs = pipeline.plan([period], areas, [notebook], out=out, db=db)
    results = pipeline.execute(runs, workers=workers, progress=True)
    failed = [r for r in results if r["status"] != "ok"]
    if failed:
        print(pipeline.format_results(failed))
    return time.perf_counter() - t0


def plain(areas: list[str], notebook: str, period: str, out: Path, db: str | None) -> float:
    nb = ROOT / "notebooks" / f"{notebook}.ipynb"
    bin_dir = Path(sys.executable).parent
    t0 = time.perf_counter()
    for area in areas:
        folder = out / area
        folder.mkdir(parents=True, exist_ok=True)
        executed = folder / f"{notebook}.ipynb"
        cmd = [str(bin_dir / "papermill"), str(nb), str(executed), "-k", "cdp-analysis", "--cwd", str(folder),
               "-p", "area", area, "-p", "period", period, "--no-progress-bar"]
        if db:
            cmd += ["-p", "db", db]
        subprocess.run(cmd, check=False, capture_output=True)
        subprocess.run([str(bin_dir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                       check=False, capture_output=True)
    return time.perf_counter() - t0


def main() -> int:
    from cdp_analysis import areas as _areas
    from cdp_analysis import pipeline

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebook", default="needs_assessment")
    ap.add_argument("--period", default="2023/24 Q1")
    ap.add_argument("--limit", type=int, help="run only the first N areas and project the rest")
    ap.add_argument("--plain-limit", type=int, help="time plain papermill on the first N of those areas only "
                    "(it is slow); the ratio is then per area")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--db", help="store (default data/cdp.duckdb)")
    args = ap.parse_args()

    pipeline.set_single_thread_blas()
    pipeline.ensure_kernel()
    everyone = _areas.upper_tier_areas()
    chosen = everyone[: args.limit] if args.limit else everyone
    tmp = Path(tempfile.mkdtemp(prefix="cdp-batch-bench-"))
    try:
        print(f"{args.notebook}: {len(chosen)} of {len(everyone)} English upper-tier areas, "
              f"{os.cpu_count()} CPUs, {args.workers} workers")
        t_ours = ours(chosen, args.notebook, args.period, tmp / "ours", args.workers, args.db)
        print(f"ours  (cdp pipeline, {args.workers} workers): {t_ours:8.1f} s  ({t_ours / len(chosen):.2f} s per area)")
        sample = chosen[: args.plain_limit] if args.plain_limit else chosen
        t_plain = plain(sample, args.notebook, args.period, tmp / "plain", args.db)
        print(f"plain (papermill + nbconvert, one by one, {len(sample)} areas): {t_plain:8.1f} s  "
              f"({t_plain / len(sample):.2f} s per area)")
        ratio = (t_plain / len(sample)) / (t_ours / len(chosen))
        print(f"ratio plain / ours (per area): {ratio:.2f}x  (target: at least 2x)")
        projected = t_ours / len(chosen) * len(everyone)
        print(f"every area ({len(everyone)}) with ours: {projected / 60:.1f} min "
              f"{'measured' if len(chosen) == len(everyone) else 'projected'} (target: within 15 min)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
