"""Speed of the indicator methods against PHStatsMethods and a bare numpy version.

Run from the repository root::

    .venv/bin/python benchmarks/indicators.py            # the acceptance sizes (about a minute)
    .venv/bin/python benchmarks/indicators.py --quick    # 1/10 of the rows, for a smoke test

Measured in one run on the same seeded data:

* crude rates, 75,000 rows (300 areas x 25 years x 10 subgroups), 95% and 99.8% limits;
* proportions, 75,000 rows;
* DSRs, 7,500 groups (300 areas x 25 years) x 19 ESP2013 age bands = 142,500 rows,
  matched to ESP2013 by band label in both packages (PHStatsMethods: ``euro_standard_pops=True``).

For each it prints our time (best of ``--repeats`` runs, 25 by default: the minimum is the
usual estimate of a call's own cost, as ``timeit`` recommends, and these calls take
milliseconds), PHStatsMethods' time (one run: it takes seconds), a bare numpy implementation
of the same formula (no validation, no result frame; best of the same number of runs) and
the ratios. Targets: PHStatsMethods / ours
>= 300 and ours / bare numpy <= 3. Counts are at least 1 because PHStatsMethods cannot
take zero counts. The script exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
import pandas as pd

ESP = np.array([5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500, 5000,
                4000, 2500, 1500, 1000], dtype=float)
BANDS = ["0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54",
         "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+"]


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def make_data(areas: int, years: int, subgroups: int, seed: int = 2024):
    rng = np.random.default_rng(seed)
    codes = np.array([f"E{6000000 + a:08d}" for a in range(areas)])
    periods = np.array([str(2000 + y) for y in range(years)])
    rows = areas * years * subgroups
    area = np.repeat(codes, years * subgroups)
    period = np.tile(np.repeat(periods, subgroups), areas)
    den = rng.integers(2_000, 400_000, rows)
    count = np.maximum(rng.poisson(den * rng.uniform(0.00001, 0.0006, rows)), 1)
    flat = pd.DataFrame({"area_code": area, "period": period, "count": count, "denominator": den})
    num = np.minimum(rng.binomial(den, rng.uniform(0.01, 0.9, rows)), den)
    prop = pd.DataFrame({"area_code": area, "period": period, "count": num, "denominator": den})
    drows = areas * years * 19
    pop = rng.integers(500, 30_000, drows)
    dcount = np.maximum(rng.poisson(pop * np.tile(np.linspace(0.00002, 0.003, 19), areas * years)), 0)
    dsr_df = pd.DataFrame({
        "area_code": np.repeat(codes, years * 19),
        "period": np.tile(np.repeat(periods, 19), areas),
        "age_band": np.tile(BANDS, areas * years),
        "count": dcount,
        "population": pop,
    })
    dsr_df["stdpop"] = np.tile(ESP, areas * years)
    return flat, prop, dsr_df


# ---- bare numpy versions of the same formulas (no checks, no frames) -------------------

def bare_rate(x: np.ndarray, n: np.ndarray, m: float = 100_000):
    from scipy.special import gammaincinv, ndtri

    x = x.astype(float)
    out = {"value": x / n * m}
    small = x < 10
    xs = x[small]
    for c in (0.95, 0.998):
        z = ndtri((1 + c) / 2)
        lo = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
        x1 = x + 1
        hi = x1 * (1 - 1 / (9 * x1) + z / (3 * np.sqrt(x1))) ** 3
        lo[small] = np.where(xs > 0, gammaincinv(np.maximum(xs, 1e-300), (1 - c) / 2), 0.0)
        hi[small] = gammaincinv(xs + 1, (1 + c) / 2)
        out[c] = (lo / n * m, hi / n * m)
    return out


def bare_proportion(x: np.ndarray, n: np.ndarray, m: float = 100):
    from scipy.special import ndtri

    x = x.astype(float)
    n = n.astype(float)
    out = {"value": x / n * m}
    for c in (0.95, 0.998):
        z = ndtri((1 + c) / 2)
        root = z * np.sqrt(z * z + 4 * x * (1 - x / n))
        d = 2 * (n + z * z)
        out[c] = ((2 * x + z * z - root) / d * m, (2 * x + z * z + root) / d * m)
    return out


def bare_dsr(area, period, band, x, n, m: float = 100_000):
    from scipy.special import ndtri

    a, ua = pd.factorize(area)
    p, up = pd.factorize(period)
    b, ub = pd.factorize(band)
    w = np.array([ESP[BANDS.index(u)] for u in ub])[b]
    g, ug = pd.factorize(a * len(up) + p)
    G = len(ug)
    x = x.astype(float)
    W = np.bincount(g, weights=w, minlength=G)
    obs = np.bincount(g, weights=x, minlength=G)
    value = np.bincount(g, weights=w * x / n, minlength=G) / W * m
    var = np.bincount(g, weights=w * w * x / (n * n), minlength=G) / (W * W)
    out = {"value": np.where(obs >= 10, value, np.nan)}
    s = np.sqrt(var / obs) * m
    for c in (0.95, 0.998):
        z = ndtri((1 + c) / 2)
        lo = obs * (1 - 1 / (9 * obs) - z / (3 * np.sqrt(obs))) ** 3
        O1 = obs + 1
        hi = O1 * (1 - 1 / (9 * O1) + z / (3 * np.sqrt(O1))) ** 3
        out[c] = (np.where(obs >= 10, value + s * (lo - obs), np.nan), np.where(obs >= 10, value + s * (hi - obs), np.nan))
    return out


def _quiet(fn, *args, **kwargs):
    """Call ``fn`` with its stdout discarded (PHStatsMethods prints its ESP2013 join)."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1/10 of the rows (not the acceptance measurement)")
    ap.add_argument("--repeats", type=int, default=25, help="runs of ours and of bare numpy (best is kept)")
    args = ap.parse_args(argv)

    from cdp_analysis import indicators as ind

    areas = 30 if args.quick else 300
    flat, prop, dsr_df = make_data(areas, 25, 10)
    try:
        import PHStatsMethods as phs
    except ImportError:  # pragma: no cover
        phs = None
        print("PHStatsMethods is not installed: only our time and the bare numpy time are shown")

    tasks = []
    # crude rates
    ours_r = ind.rate(flat)
    bare_r = bare_rate(flat["count"].to_numpy(), flat["denominator"].to_numpy())
    assert np.allclose(ours_r["upper_99_8"], bare_r[0.998][1], rtol=1e-9)
    tasks.append((
        f"crude rate, {len(flat):,} rows",
        lambda: ind.rate(flat),
        lambda: phs.ph_rate(flat, "count", "denominator", confidence=[0.95, 0.998], multiplier=100000),
        lambda: bare_rate(flat["count"].to_numpy(), flat["denominator"].to_numpy()),
    ))
    ours_p = ind.proportion(prop)
    bare_p = bare_proportion(prop["count"].to_numpy(), prop["denominator"].to_numpy())
    assert np.allclose(ours_p["lower_95"], bare_p[0.95][0], rtol=1e-9, atol=1e-12)
    tasks.append((
        f"proportion, {len(prop):,} rows",
        lambda: ind.proportion(prop),
        lambda: phs.ph_proportion(prop, "count", "denominator", confidence=[0.95, 0.998], multiplier=100),
        lambda: bare_proportion(prop["count"].to_numpy(), prop["denominator"].to_numpy()),
    ))
    ours_d = ind.dsr(dsr_df)
    bare_d = bare_dsr(dsr_df["area_code"].to_numpy(), dsr_df["period"].to_numpy(), dsr_df["age_band"].to_numpy(),
                      dsr_df["count"].to_numpy(), dsr_df["population"].to_numpy())
    assert np.allclose(ours_d["upper_95"], bare_d[0.95][1], rtol=1e-9, equal_nan=True)
    tasks.append((
        f"DSR, {len(ours_d):,} groups x 19 bands",
        lambda: ind.dsr(dsr_df),
        lambda: _quiet(phs.ph_dsr, dsr_df.drop(columns="stdpop"), "count", "population", "age_band",
                       group_cols=["area_code", "period"], confidence=[0.95, 0.998], euro_standard_pops=True),
        lambda: bare_dsr(dsr_df["area_code"].to_numpy(), dsr_df["period"].to_numpy(),
                         dsr_df["age_band"].to_numpy(), dsr_df["count"].to_numpy(), dsr_df["population"].to_numpy()),
    ))

    print(f"{'task':34} {'ours':>10} {'PHStatsMethods':>15} {'bare numpy':>11} {'PHS/ours':>9} {'ours/bare':>10}")
    ok = True
    for name, ours_fn, phs_fn, bare_fn in tasks:
        t_ours = best(ours_fn, args.repeats)
        t_bare = best(bare_fn, args.repeats)
        if phs is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t_phs = once(phs_fn)
            speedup = t_phs / t_ours
        else:
            t_phs = speedup = float("nan")
        overhead = t_ours / t_bare
        print(f"{name:34} {t_ours * 1e3:8.1f}ms {t_phs:14.2f}s {t_bare * 1e3:9.1f}ms {speedup:8.0f}x {overhead:9.2f}x",
              flush=True)
        if phs is not None and not args.quick:
            ok &= speedup >= 300
        ok &= overhead <= 3
    print("targets: PHStatsMethods/ours >= 300x, ours/bare numpy <= 3x:", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
