"""Shared fixtures: a real DuckDB store built from the returns, and one real report run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# make tests/tests_support.py importable from every test folder
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Property tests: reproducible on CI (the same examples every run), exploratory locally.
from hypothesis import settings
from tests_support import DATA, data_folder

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def returns_store(tmp_path_factory) -> Path:
    """A store holding the reference tables and the pan-Dorset returns (built by `cdp ingest`)."""
    from cdp_analysis.cli import main

    root = tmp_path_factory.mktemp("store")
    data = data_folder(root, returns=True)
    db = root / "cdp.duckdb"
    assert main(["ingest", "--data-dir", str(data), "--db", str(db), "--quiet"]) == 0
    return db


@pytest.fixture(scope="session")
def pan_dorset_report(returns_store, tmp_path_factory) -> Path:
    """The progress report run by `cdp run` at its defaults (latest quarter, pan-Dorset)."""
    from cdp_analysis.cli import main

    out = tmp_path_factory.mktemp("reports")
    assert main(["run", "--db", str(returns_store), "--out", str(out), "--quiet", "--workers", "1",
                 "--notebook", "progress_report"]) == 0
    return out / "2023-24-Q1" / "pan-dorset"


@pytest.fixture(scope="session")
def full_store(tmp_path_factory) -> Path:
    """A store built by `cdp ingest` from everything shipped in data/."""
    from cdp_analysis.data.store import ingest

    db = tmp_path_factory.mktemp("full_store") / "cdp.duckdb"
    ingest(DATA, db)
    return db


@pytest.fixture(scope="session")
def two_area_reports(full_store, tmp_path_factory) -> Path:
    """`cdp run` of both notebooks for BCP and Dorset from the full store; returns the period folder."""
    from cdp_analysis.cli import main

    out = tmp_path_factory.mktemp("two_areas")
    assert main(["run", "--db", str(full_store), "--out", str(out), "--quiet", "--workers", "2",
                 "--area", "E06000058", "--area", "E06000059"]) == 0
    return out / "2023-24-Q1"
