"""Scale-out: a real Dask LocalCluster (two worker processes) runs a batch of four reports."""

from __future__ import annotations

import json

import pytest

from cdp_analysis.cli import main

pytestmark = pytest.mark.slow


def test_dask_cluster_runs_a_batch_of_four(returns_store, tmp_path):
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "reports"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        code = main(["run", "--db", str(returns_store), "--out", str(out), "--quiet", "--notebook", "progress_report",
                     "--scheduler", cluster.scheduler_address,
                     "--area", "pan-dorset", "--area", "E06000058", "--area", "E06000059", "--area", "E23000039"])
        workers = len(cluster.workers)
    assert workers == 2
    assert code == 0
    summary = json.loads((out / "2023-24-Q1" / "batch_summary.json").read_text(encoding="utf-8"))
    assert summary["ok"] == 4 and summary["failed"] == 0
    for area in ("pan-dorset", "E06000058", "E06000059", "E23000039"):
        folder = out / "2023-24-Q1" / area
        assert (folder / "progress_report.html").stat().st_size > 10_000
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["runs"]["progress_report"]["parameters"]["area"] == area
