"""Benchmark: national-scale police.uk ingest (DuckDB loader) against pandas.read_csv + concat.

Builds about 2 million police.uk street-level records in a temporary folder: the 16 shipped
Dorset months (``data/raw/police/police_uk_street_dorset_*``) written out under the file names
of the 43 forces of England and Wales, each record with a new Crime ID. Then, each side in
its own child process (so that peak memory is the child's own ``ru_maxrss``, native
allocations included):

* ``cdp_analysis.data.store.ingest`` into a fresh DuckDB store (reference tables, LSOA lookup,
  record table, views, monthly observations: the whole ingest);
* ``pandas.read_csv`` of every file + ``pandas.concat`` (reading only: no validation, no area
  lookup, nothing stored);
* for reference, pandas + the same records written to a DuckDB file, and two floors: DuckDB
  alone parsing every value of the same files with explicit types (nothing stored), and DuckDB
  alone writing the records as read into a table of a store file (``CREATE TABLE AS SELECT *
  FROM read_csv``: no checks, no area lookup, no observations). The second is the fastest any
  ingest that keeps the records in a DuckDB store can be on this machine.

Each side runs ``--repeat`` times (default 3), interleaved so that load from other processes
on the machine hits both; prints every run's wall time, CPU time (all threads) and peak
memory, the median speed ratio of the pairs with its range, and the largest peak. Targets: at
least 5x faster than pandas, peak memory under 1 GB. ``--steps`` times the steps of one more
ingest (imports, hashing, LSOA lookup, the police read-and-check and insert statements, the
observations, commit and checkpoint).

Run: ``python benchmarks/ingest.py [--rows 2000000] [--repeat 3] [--steps] [--keep]``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import shutil
import statistics
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
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
t0 = time.perf_counter()
steps = {}
from cdp_analysis.data import store
if sys.argv[3] == "steps":  # time the steps: wrap the functions and the store connection
    from cdp_analysis.data.sources import police_uk
    def wrap(mod, name, label):
        f = getattr(mod, name)
        def timed(*a, **k):
            w, c = time.perf_counter(), cpu()
            try:
                return f(*a, **k)
            finally:
                s = steps.setdefault(label, [0.0, 0.0])
                s[0] += time.perf_counter() - w
                s[1] += cpu() - c
        setattr(mod, name, timed)
    steps["imports"] = [time.perf_counter() - t0, cpu()]
    wrap(store, "_digests", "SHA-256 of the files")
    wrap(police_uk, "build_lsoa_areas", "LSOA lookup (IMD2019 xlsx, mySociety)")
    class Con:
        def __init__(self, con):
            self._con = con
        def execute(self, sql, *a):
            words = " ".join(sql.split())
            label = ("police: read and check every value" if words.startswith("SELECT count(f.file_id)")
                     else "police: insert the records" if words.startswith("INSERT INTO police_records")
                     else "observations (after hook)" if words.startswith("INSERT INTO observations")
                     else "COMMIT + CHECKPOINT" if words in ("COMMIT", "CHECKPOINT") else None)
            w, c = time.perf_counter(), cpu()
            try:
                return self._con.execute(sql, *a)
            finally:
                if label:
                    s = steps.setdefault(label, [0.0, 0.0])
                    s[0] += time.perf_counter() - w
                    s[1] += cpu() - c
        def __getattr__(self, name):
            return getattr(self._con, name)
    init = store.Store.__init__
    def patched(self, *a, **k):
        init(self, *a, **k)
        self.con = Con(self.con)
    store.Store.__init__ = patched
w, c = time.perf_counter(), cpu()
r = store.ingest(sys.argv[1], sys.argv[2])
secs = time.perf_counter() - t0
if steps:
    steps["ingest() in all"] = [time.perf_counter() - w, cpu() - c]
import duckdb
con = duckdb.connect(sys.argv[2], read_only=True)
rows = con.execute("SELECT count(*) FROM police_crimes").fetchall()[0][0]
obs = con.execute("SELECT count(*) FROM observations WHERE source = 'police_uk'").fetchall()[0][0]
print(json.dumps({"seconds": secs, "cpu": cpu(), "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "rows": rows, "observations": obs, "steps": steps}))
"""

CHILD_PANDAS = """
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
import pandas as pd
files = sorted(Path(sys.argv[1]).glob("raw/police/**/*-street.csv"))
df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
secs = time.perf_counter() - t0
r = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": secs, "cpu": r.ru_utime + r.ru_stime, "maxrss_kb": r.ru_maxrss, "rows": len(df)}))
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


CHILD_PANDAS_STORE = """
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
import duckdb
import pandas as pd
files = sorted(Path(sys.argv[1]).glob("raw/police/**/*-street.csv"))
df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
con = duckdb.connect(sys.argv[2])
con.register("df", df)
con.execute("CREATE TABLE records AS SELECT * FROM df")
con.close()
secs = time.perf_counter() - t0
r = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": secs, "cpu": r.ru_utime + r.ru_stime, "maxrss_kb": r.ru_maxrss, "rows": len(df)}))
"""


#: the floors: DuckDB itself on the same files, with no checks, no lookups and no observations
CHILD_DUCKDB = """
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
import duckdb
files = sorted(str(f) for f in Path(sys.argv[1]).glob("raw/police/**/*-street.csv"))
header = open(files[0], encoding="utf-8").readline().strip().split(",")
cols = ", ".join(f"'{h}': '{'DOUBLE' if h in ('Longitude', 'Latitude') else 'VARCHAR'}'" for h in header)
src = (f"read_csv($p, columns = {{{cols}}}, header = true, auto_detect = false, delim = ',', "
       f"quote = '\\"', escape = '\\"')")
if sys.argv[2] == "read":  # parse and cast every value of every file, store nothing
    con = duckdb.connect()
    tally = ", ".join(f'count("{h}")' for h in header)
    rows = con.execute(f"SELECT count(*), {tally} FROM {src}", {"p": files}).fetchall()[0][0]
else:  # the barest store: every record written to a DuckDB file table as read
    con = duckdb.connect(sys.argv[3])
    con.execute(f"CREATE TABLE records AS SELECT * FROM {src}", {"p": files})
    con.execute("CHECKPOINT")
    rows = con.execute("SELECT count(*) FROM records").fetchall()[0][0]
con.close()
secs = time.perf_counter() - t0
r = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": secs, "cpu": r.ru_utime + r.ru_stime, "maxrss_kb": r.ru_maxrss, "rows": rows}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000, help="records to generate (default 2,000,000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side, interleaved (default 3)")
    ap.add_argument("--steps", action="store_true", help="also time the steps of one more ingest")
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
        ours, ref, ref_store, floor_read, floor_store = [], [], [], [], []
        for k in range(args.repeat):  # interleaved, so that load from other processes hits both sides
            db = tmp / f"cdp{k}.duckdb"
            ours.append(run(CHILD_INGEST, str(tmp / "data"), str(db), "plain"))
            db.unlink()
            ref.append(run(CHILD_PANDAS, str(tmp / "data")))
            store = tmp / f"pandas{k}.duckdb"
            ref_store.append(run(CHILD_PANDAS_STORE, str(tmp / "data"), str(store)))
            store.unlink()
            floor_read.append(run(CHILD_DUCKDB, str(tmp / "data"), "read"))
            floor_store.append(run(CHILD_DUCKDB, str(tmp / "data"), "store", str(store)))
            store.unlink()
            for side in (ref, ref_store, floor_read, floor_store):
                assert side[-1]["rows"] == ours[-1]["rows"] == n, (side[-1], ours[-1], n)
        mb = 1024  # ru_maxrss is in KiB on Linux
        print()
        print(f"{'':28}{'time (s)':>10}{'CPU (s)':>10}{'peak memory (MiB)':>20}   (each run; time is wall clock)")
        for label, runs in (("cdp ingest (DuckDB loader)", ours), ("pandas.read_csv + concat", ref),
                            ("pandas + write to DuckDB", ref_store),
                            ("floor: DuckDB read only", floor_read),
                            ("floor: DuckDB bare store", floor_store)):
            for k, r in enumerate(runs):
                print(f"{label if k == 0 else '':28}{r['seconds']:>10.2f}{r['cpu']:>10.2f}"
                      f"{r['maxrss_kb'] / mb:>20,.0f}")
        speeds = [p["seconds"] / o["seconds"] for o, p in zip(ours, ref, strict=True)]
        speed = statistics.median(speeds)
        peak = max(o["maxrss_kb"] for o in ours)
        print()
        print(f"speed: ingest is {speed:.2f}x faster than pandas (median of {len(speeds)} pairs, "
              f"range {min(speeds):.2f}-{max(speeds):.2f}; target >= 5x): {'PASS' if speed >= 5 else 'FAIL'}")
        stored = statistics.median(p["seconds"] / o["seconds"] for o, p in zip(ours, ref_store, strict=True))
        print(f"for reference: against pandas read_csv + concat + the same records written to a DuckDB file "
              f"(no validation, no area lookup): ingest is {stored:.2f}x faster (median)")
        ceiling = statistics.median(p["seconds"] / f["seconds"] for f, p in zip(floor_store, ref, strict=True))
        reading = statistics.median(p["seconds"] / f["seconds"] for f, p in zip(floor_read, ref, strict=True))
        budget = statistics.median(p["seconds"] for p in ref) / 5
        print(f"floors: DuckDB alone reading every value once and storing nothing is {reading:.2f}x faster than "
              f"pandas; DuckDB alone writing the records as read into a store table (no checks, no lookup, no "
              f"observations) is {ceiling:.2f}x. A 5x ingest would have {budget:.2f} s for imports, hashing, "
              f"reading, checks, the area lookup and writing {n:,} records.")
        print(f"memory: ingest peak {peak / mb:,.0f} MiB (largest run), pandas "
              f"{max(p['maxrss_kb'] for p in ref) / mb:,.0f} MiB (target < 1024 MiB): "
              f"{'PASS' if peak < 1024 * mb else 'FAIL'}")
        print(f"store: {ours[0]['rows']:,} records in police_crimes, {ours[0]['observations']:,} police_uk observations")
        # a bad value in the last record of the last file, after 2 million good ones: the ingest must
        # refuse it and leave the store file byte-identical (the check pass runs before any write)
        db = tmp / "reject.duckdb"
        last = sorted((tmp / "data").glob("raw/police/**/*-street.csv"))[-1]
        good = last.read_bytes()
        bare = tmp / "bare"  # the same reference tables and lookups, no police.uk files
        shutil.copytree(tmp / "data" / "reference", bare / "reference")
        shutil.copytree(tmp / "data" / "raw" / "lookups", bare / "raw" / "lookups")
        subprocess.run([sys.executable, "-c", "import sys; from cdp_analysis.data.store import ingest; "
                        "ingest(sys.argv[1], sys.argv[2])", str(bare), str(db)], check=True, cwd=ROOT)
        before = hashlib.sha256(db.read_bytes()).hexdigest()
        last.write_bytes(good + b",2025-12,x,x,west,50.7,x,,,Drugs,,\r\n")
        out = subprocess.run([sys.executable, "-c", "import sys; from cdp_analysis.data.store import ingest; "
                              "ingest(sys.argv[1], sys.argv[2])", str(tmp / "data"), str(db)],
                             capture_output=True, text=True, cwd=ROOT)
        same = hashlib.sha256(db.read_bytes()).hexdigest() == before
        last.write_bytes(good)
        why = (out.stderr.strip().splitlines() or ["(no error)"])[-1]
        print(f"rejection: bad Longitude in the last record of {last.name}: {why[:160]}")
        print(f"  {'refused' if out.returncode and 'Longitude' in why else 'NOT refused (FAIL)'}, "
              f"store byte-identical: {'PASS' if same else 'FAIL'}")
        if args.steps:
            db = tmp / "steps.duckdb"
            st = run(CHILD_INGEST, str(tmp / "data"), str(db), "steps")
            print()
            print(f"steps of one more ingest{'':22}{'time (s)':>10}{'CPU (s)':>10}")
            for label, (wall, cpu) in st["steps"].items():
                print(f"  {label:44}{wall:>10.2f}{cpu:>10.2f}")
            print(f"  {'whole process (imports + ingest)':44}{st['seconds']:>10.2f}{st['cpu']:>10.2f}")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
