"""Benchmark: national-scale police.uk ingest (DuckDB loader) against pandas.read_csv + concat.

Builds about 2 million police.uk street-level records in a temporary folder: the 16 shipped
Dorset months (``data/raw/police/police_uk_street_dorset_*``) written out under the file names
of the 43 forces of England and Wales, each record with a new Crime ID. Then, each side in
its own child process (so that peak memory is the child's own ``ru_maxrss``, native
allocations included):

* ``cdp_analysis.data.store.ingest`` into a fresh DuckDB store (reference tables, LSOA lookup,
  record table, views, monthly observations: the whole ingest);
* ``pandas.read_csv`` of every file + ``pandas.concat`` (reading only: no validation, no area
  lookup, nothing stored).

Prints wall time and peak memory of each, and the ratios. Targets: at least 5x faster than
pandas, peak memory under 1 GB.

Run: ``python benchmarks/ingest.py [--rows 2000000] [--keep]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
LOOKUPS = ("File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx", "mysociety_lookup_lsoa_to_registry.csv",
           "mysociety_uk_local_authorities_current.csv")

CHILD_INGEST = """
import json, resource, sys, time
t0 = time.perf_counter()
from cdp_analysis.data.store import ingest
r = ingest(sys.argv[1], sys.argv[2])
secs = time.perf_counter() - t0
import duckdb
con = duckdb.connect(sys.argv[2], read_only=True)
rows = con.execute("SELECT count(*) FROM police_crimes").fetchall()[0][0]
obs = con.execute("SELECT count(*) FROM observations WHERE source = 'police_uk'").fetchall()[0][0]
print(json.dumps({"seconds": secs, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "rows": rows, "observations": obs}))
"""

CHILD_PANDAS = """
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
import pandas as pd
files = sorted(Path(sys.argv[1]).glob("raw/police/**/*-street.csv"))
df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
secs = time.perf_counter() - t0
print(json.dumps({"seconds": secs, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "rows": len(df)}))
"""


def build(dest: Path, target_rows: int) -> int:
    """Write the national-scale input under ``dest``; return the number of records written."""
    from cdp_analysis.data.sources.police_uk import FORCE_SLUGS

    (dest / "reference").mkdir(parents=True)
    for f in (ROOT / "data" / "reference").glob("*.csv"):
        shutil.copy(f, dest / "reference" / f.name)
    (dest / "raw" / "lookups").mkdir(parents=True)
    for name in LOOKUPS:
        shutil.copy(RAW / "lookups" / name, dest / "raw" / "lookups" / name)
    months = sorted((RAW / "police").glob("police_uk_street_dorset_*/*-dorset-street.csv"))
    forces = [s for s in FORCE_SLUGS if s != "btp"]  # the 43 territorial forces
    per_file = math.ceil(target_rows / (len(months) * len(forces)))
    total = 0
    for src in months:
        month = src.name[:7]
        with open(src, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        header, body = rows[0], rows[1:]
        reps = math.ceil(per_file / len(body))
        body = (body * reps)[:per_file]
        for k, force in enumerate(forces):
            folder = dest / "raw" / "police" / "national" / force
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / f"{month}-{force}-street.csv", "w", newline="", encoding="utf-8") as out:
                w = csv.writer(out)
                w.writerow(header)
                for i, r in enumerate(body):
                    r = list(r)
                    if r[0]:
                        r[0] = f"{month.replace('-', '')}{k:04x}{i:056x}"
                    w.writerow(r)
            total += len(body)
    return total


def run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True,
                         cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000, help="records to generate (default 2,000,000)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cdp_bench_ingest_"))
    try:
        t = time.perf_counter()
        n = build(tmp / "data", args.rows)
        files = len(list((tmp / "data").glob("raw/police/**/*-street.csv")))
        size = sum(f.stat().st_size for f in (tmp / "data").glob("raw/police/**/*-street.csv"))
        print(f"input: {n:,} police.uk records in {files} files ({size / 2**20:,.0f} MiB), "
              f"43 forces x 16 months, built in {time.perf_counter() - t:.1f} s")
        ours = run(CHILD_INGEST, str(tmp / "data"), str(tmp / "cdp.duckdb"))
        ref = run(CHILD_PANDAS, str(tmp / "data"))
        assert ours["rows"] == ref["rows"] == n, (ours, ref, n)
        mb = 1024  # ru_maxrss is in KiB on Linux
        print()
        print(f"{'':34}{'time (s)':>10}{'peak memory (MiB)':>20}")
        print(f"{'cdp ingest (DuckDB loader)':34}{ours['seconds']:>10.2f}{ours['maxrss_kb'] / mb:>20,.0f}")
        print(f"{'pandas.read_csv + concat':34}{ref['seconds']:>10.2f}{ref['maxrss_kb'] / mb:>20,.0f}")
        speed = ref["seconds"] / ours["seconds"]
        mem = ref["maxrss_kb"] / ours["maxrss_kb"]
        print()
        print(f"speed: ingest is {speed:.1f}x faster than pandas (target >= 5x): {'PASS' if speed >= 5 else 'FAIL'}")
        print(f"memory: ingest peak {ours['maxrss_kb'] / mb:,.0f} MiB, {mem:.1f}x less than pandas "
              f"(target < 1024 MiB): {'PASS' if ours['maxrss_kb'] < 1024 * mb else 'FAIL'}")
        print(f"store: {ours['rows']:,} records in police_crimes, {ours['observations']:,} police_uk observations")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
