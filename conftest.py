"""Root conftest: what the notebooks need when nbval runs them at their defaults."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

_NOTEBOOK_ENV: dict[str, str] = {}


def pytest_collect_file(file_path, parent):
    """Before nbval collects a notebook (and starts its kernel), give the kernels a real store.

    The notebooks read ``data/cdp.duckdb`` by default; the tests build a store from the
    shipped data in a temporary folder instead (the same `cdp ingest`), and point the
    kernels at it, and their figures and tables at a temporary folder, through the
    environment the kernels inherit.
    """
    if file_path.suffix != ".ipynb" or _NOTEBOOK_ENV:
        return None
    import tempfile

    from cdp_analysis.data.store import ingest

    root = Path(tempfile.mkdtemp(prefix="cdp-nbval-"))
    (root / "outputs").mkdir()
    ingest(DATA, root / "cdp.duckdb")
    _NOTEBOOK_ENV.update(CDP_DB=str(root / "cdp.duckdb"), CDP_OUTPUT_DIR=str(root / "outputs"),
                         CDP_REPORTS_DIR=str(root / "reports"), MPLBACKEND="Agg")
    os.environ.update(_NOTEBOOK_ENV)
    parent.config.add_cleanup(lambda: shutil.rmtree(root, ignore_errors=True))
    return None
