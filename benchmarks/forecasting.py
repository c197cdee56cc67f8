"""Speed: fit and backtest every ONS upper-tier drug-death series in one run, against AutoETS.

For each of the ~300 annual series of ``benchmarks/forecast_accuracy.py`` (152 English
upper-tier areas x drug-poisoning and drug-misuse deaths, 1993-2021) this runs, in one process
with one BLAS thread:

* ``forecast(series, 3)`` — validation, the selection backtest of every candidate and
  benchmark (5 origins, horizons 1-3, refitted at each) and the final forecast with 2,000-draw
  predictive intervals; and
* ``backtest(series)`` — the 5-origin rolling backtest of every candidate, benchmark and the
  ``auto`` choice (nested selection at each origin).

and prints the wall time. As a reference measured in the same run it times statsforecast's
``AutoETS`` (season length 1, one job) doing the equivalent work on the same series: a fit and
3-step forecast per series plus ``cross_validation`` with 5 windows of horizon 3 (refit at
each). statsforecast caps pandas below 3, so it lives in its own environment, run as a
subprocess: set ``CDP_STATSFORECAST_PYTHON`` to that interpreter, e.g.::

    python3 -m venv /tmp/sf-venv && /tmp/sf-venv/bin/pip install statsforecast pandas
    CDP_STATSFORECAST_PYTHON=/tmp/sf-venv/bin/python .venv/bin/python benchmarks/forecasting.py

Without it the reference is printed as "not measured". For a like-for-like ratio it also times
the windowed GLM alone doing the same work as AutoETS (fit + forecast, 5 refitted origins). Target: our fit + backtest of all the
series under 60 s on the 2-core project machine. Note the work differs: we fit five models
per origin (GLM with predictive simulation, damped ETS, three benchmarks) and select; AutoETS
fits its own family of ETS models and selects by AICc.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

TARGET_S = 60.0

SF_SCRIPT = r"""
import json, os, sys, time
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import pandas as pd
t_import = time.perf_counter()
from statsforecast import StatsForecast
from statsforecast.models import AutoETS
t_import = time.perf_counter() - t_import
df = pd.read_csv(sys.argv[1])
t0 = time.perf_counter()
sf = StatsForecast(models=[AutoETS(season_length=1)], freq=1, n_jobs=1)
fc = sf.forecast(df=df, h=3, level=[80, 95])
t_fit = time.perf_counter() - t0
t1 = time.perf_counter()
cv = sf.cross_validation(df=df, h=3, n_windows=5, step_size=1, level=[80, 95])
t_cv = time.perf_counter() - t1
print(json.dumps({"fit": t_fit, "cv": t_cv, "import": t_import, "n_series": int(df["unique_id"].nunique()),
                  "cv_rows": int(len(cv))}))
"""


def main() -> int:
    from forecast_accuracy import load_series

    from cdp_analysis.errors import CdpInputError
    from cdp_analysis.models import backtest, forecast

    t_load = time.perf_counter()
    series = load_series()
    t_load = time.perf_counter() - t_load
    usable = {}
    for key, s in series.items():
        if s.notna().all():
            usable[key] = s
    # warm-up (imports of scipy/statsmodels are not part of the per-series cost)
    first = next(iter(usable.values()))
    forecast(first, 3)

    t0 = time.perf_counter()
    n_fc = n_bt = 0
    for s in usable.values():
        try:
            forecast(s, 3)
            n_fc += 1
            backtest(s)
            n_bt += 1
        except CdpInputError:
            continue
    ours = time.perf_counter() - t0
    print(f"series: {len(usable)} usable of {len(series)} (loaded in {t_load:.1f} s)")
    print(f"cdp_analysis forecast + backtest: {ours:.1f} s for {n_fc} forecasts and {n_bt} backtests "
          f"({1000 * ours / max(n_fc, 1):.0f} ms per series); target < {TARGET_S:.0f} s: {ours < TARGET_S}")

    # like for like with AutoETS: one model (the windowed quasi-Poisson GLM with 2,000-draw
    # predictive intervals), a fit + 3-step forecast and 5 refitted origins per series
    from cdp_analysis.models.counts import DegenerateFit, forecast_counts

    t1 = time.perf_counter()
    for s in usable.values():
        y = s.to_numpy(float)
        for L in (*range(len(y) - 7, len(y) - 2), len(y)):
            try:
                forecast_counts(y[:L], 3)
            except DegenerateFit:  # all zeros in the window (Isles of Scilly)
                pass
    glm_only = time.perf_counter() - t1
    print(f"cdp_analysis GLM alone, fit + 5-origin backtest: {glm_only:.1f} s")

    sf_python = os.environ.get("CDP_STATSFORECAST_PYTHON")
    if not sf_python:
        print("statsforecast AutoETS: not measured (set CDP_STATSFORECAST_PYTHON to an interpreter with statsforecast)")
        return 0 if ours < TARGET_S else 1
    rows = []
    for (metric, area), s in usable.items():
        for period, y in s.items():
            rows.append({"unique_id": f"{metric}:{area}", "ds": int(period), "y": float(y)})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "series.csv"
        pd.DataFrame(rows).to_csv(path, index=False)
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        out = subprocess.run([sf_python, "-c", SF_SCRIPT, str(path)], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        print("statsforecast AutoETS: not measured (subprocess failed)\n" + out.stderr[-2000:])
        return 0 if ours < TARGET_S else 1
    sf = json.loads(out.stdout.strip().splitlines()[-1])
    theirs = sf["fit"] + sf["cv"]
    print(f"statsforecast AutoETS fit + cross_validation (5 windows, h=3, n_jobs=1): {theirs:.1f} s "
          f"(fit {sf['fit']:.1f} s, cv {sf['cv']:.1f} s; import {sf['import']:.1f} s not counted) "
          f"for {sf['n_series']} series")
    print(f"ratio cdp_analysis (all models, nested selection) / AutoETS: {ours / theirs:.2f}")
    print(f"ratio cdp_analysis GLM alone / AutoETS (same work per model): {glm_only / theirs:.2f}")
    return 0 if ours < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
