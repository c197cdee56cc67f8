"""How long `import cdp_analysis` takes, against `import pandas` measured in the same run.

Each import runs in a fresh interpreter (`python -c ...`), best of N runs; the interpreter's own
start-up (`python -c pass`) is subtracted from each. Also checks that the heavy libraries
(pandas, numpy, scipy, statsmodels, matplotlib, seaborn, duckdb) are not imported by
`import cdp_analysis`, and times `import cdp_analysis.plots` (which must not import seaborn).

    python benchmarks/import_time.py [--runs 15]

Target: `import cdp_analysis` well under `import pandas` (ratio below 0.25), with none of the
heavy libraries loaded.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

HEAVY = ("pandas", "numpy", "scipy", "statsmodels", "matplotlib", "seaborn", "duckdb", "papermill")


def best(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - t0)
    return min(times)


def loaded(module: str) -> list[str]:
    code = f"import sys, {module}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return out.split()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    base = best("pass", args.runs)
    rows = [(name, best(f"import {name}", args.runs) - base)
            for name in ("cdp_analysis", "cdp_analysis.plots", "pandas", "seaborn")]
    ref = dict(rows)["pandas"]
    print(f"python start-up {base * 1000:.0f} ms (subtracted); best of {args.runs} fresh interpreters")
    for name, t in rows:
        print(f"import {name:<20} {t * 1000:7.1f} ms  {t / ref:5.2f}x import pandas")
    for name in ("cdp_analysis", "cdp_analysis.plots"):
        print(f"heavy modules loaded by import {name}: {', '.join(loaded(name)) or 'none'}")
    ok = dict(rows)["cdp_analysis"] / ref < 0.25 and not loaded("cdp_analysis")
    print("target (below 0.25x import pandas, no heavy module):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
