"""What the notebooks declare: their parameters, read with papermill's inspection.

A notebook says what it is by what it takes (its cell tagged ``parameters``): one that takes
``area`` and ``period`` is a report, run by ``cdp run`` by default; one that also takes
``shared`` reads the per-period shared results, which the batch computes once before it
(:func:`cdp_analysis.pipeline.prepare_shared`). No list of notebook names is kept in code:
adding a report notebook is adding the file.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

__all__ = ["REPORT_PARAMETERS", "SHARED_PARAMETER", "notebook_parameters", "report_notebooks", "reads_shared"]

#: a notebook that declares these parameters is a report, run by `cdp run` by default
REPORT_PARAMETERS = ("area", "period")
#: a notebook that declares this parameter reads the per-period shared results (:func:`prepare_shared`)
SHARED_PARAMETER = "shared"


def notebook_parameters(notebook: Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares: ``{name: {type, default, help}}``.

    Read by papermill from the cell tagged ``parameters``; the types come from the
    annotations (``area: str = "pan-dorset"  # partnership or GSS code``).
    """
    found = _inspect(str(notebook), Path(notebook).stat().st_mtime_ns if Path(notebook).exists() else 0)
    out = {}
    for name, info in found.items():
        out[name] = {
            "type": (info.get("inferred_type_name") or "None").strip(),
            "default": info.get("default"),
            "help": info.get("help", ""),
        }
    return out


@functools.lru_cache(maxsize=64)
def _inspect(path: str, mtime: int) -> dict[str, Any]:
    import papermill

    return papermill.inspect_notebook(path)


def report_notebooks(folder: str | os.PathLike | None = None) -> list[str]:
    """The notebooks `cdp run` runs by default: those whose parameters include ``area`` and ``period``.

    Read with papermill's inspection of each notebook's ``parameters`` cell, so a notebook
    says what it is by what it takes; exploration notebooks (no ``period``) are left out.
    """
    from cdp_analysis import config

    root = Path(folder) if folder is not None else config.notebooks_dir()
    return [nb.stem for nb in sorted(root.glob("*.ipynb"))
            if set(REPORT_PARAMETERS) <= set(notebook_parameters(nb))]


def reads_shared(notebook: str | os.PathLike) -> bool:
    """Whether a notebook takes the per-period shared results (declares the ``shared`` parameter)."""
    return SHARED_PARAMETER in notebook_parameters(Path(notebook))
