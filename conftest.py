"""Root conftest: what the notebooks need when nbval runs them at their defaults.

The notebooks read ``data/cdp.duckdb`` by default. For nbval, a store is built from the
shipped data in a temporary folder (the same `cdp ingest`) and the notebook kernels are
pointed at it, and their figures and tables at a temporary folder, through environment
variables set only while a notebook's cells run (kernels inherit them when they start).
No other test sees these variables.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
_NOTEBOOK_ENV: dict[str, str] = {}


def _is_notebook(item: pytest.Item) -> bool:
    return str(item.path).endswith(".ipynb")


def _prepare(config: pytest.Config) -> None:
    if _NOTEBOOK_ENV:
        return
    from cdp_analysis.data.store import ingest

    root = Path(tempfile.mkdtemp(prefix="cdp-nbval-"))
    (root / "outputs").mkdir()
    ingest(DATA, root / "cdp.duckdb")
    _NOTEBOOK_ENV.update(CDP_DB=str(root / "cdp.duckdb"), CDP_OUTPUT_DIR=str(root / "outputs"),
                         CDP_REPORTS_DIR=str(root / "reports"), MPLBACKEND="Agg")
    config.add_cleanup(lambda: shutil.rmtree(root, ignore_errors=True))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if _is_notebook(item):
        _prepare(item.config)
        os.environ.update(_NOTEBOOK_ENV)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if _is_notebook(item):
        for key in _NOTEBOOK_ENV:
            os.environ.pop(key, None)
