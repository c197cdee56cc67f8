"""The exploration notebooks run top to bottom with papermill for pan-Dorset and Birmingham:
no error, the figures shown with alt text, the deprivation result shown as HTML, and nothing
written to the working folder (no CDP_OUTPUT_DIR)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _run(name: str, area: str, db: Path, work: Path) -> nbformat.NotebookNode:
    import papermill

    from cdp_analysis.pipeline import ensure_kernel

    ensure_kernel()
    work.mkdir(parents=True, exist_ok=True)
    out = work.parent / f"{name}-{area}.ipynb"
    saved = {k: os.environ.pop(k, None) for k in ("CDP_OUTPUT_DIR",)}
    try:
        papermill.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(out), parameters={"area": area, "db": str(db)},
                                   kernel_name="cdp-analysis", language="python", cwd=str(work), progress_bar=False,
                                   log_output=False)
    finally:
        for k, v in saved.items():
            if v is not None:
                os.environ[k] = v
    assert list(work.iterdir()) == [], "a notebook run by hand wrote into its working folder"
    return nbformat.read(out, as_version=4)


def _outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _figures(nb) -> list[str]:
    alts = []
    for o in _outputs(nb):
        h = o.get("data", {}).get("text/html", "")
        m = re.search(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="([^"]+)"', h)
        if m:
            alts.append(m.group(1))
    return alts


@pytest.mark.parametrize("area, members", [("pan-dorset", 2), ("E08000025", 1)])
def test_explore_area(full_store, tmp_path, area, members):
    nb = _run("explore_area", area, full_store, tmp_path / "work")
    outs = _outputs(nb)
    assert not [o for o in outs if o["output_type"] == "error"]
    assert not [o for o in outs if o["output_type"] == "stream" and o.get("name") == "stderr"]
    alts = _figures(nb)
    assert len(alts) == 1 + members  # the small multiples, then one ranking per member
    assert alts[0].startswith("Line charts in ")
    assert all("ranked" in a for a in alts[1:])
    assert sum("<table" in o.get("data", {}).get("text/html", "") for o in outs) >= 4  # the frames


@pytest.mark.parametrize("area", ["pan-dorset", "E08000025"])
def test_explore_england(full_store, tmp_path, area):
    nb = _run("explore_england", area, full_store, tmp_path / "work")
    outs = _outputs(nb)
    assert not [o for o in outs if o["output_type"] == "error"]
    html = "\n".join(o.get("data", {}).get("text/html", "") for o in outs)
    assert html.count('class="cdp-result"') + html.count("class='cdp-result'") >= 2  # both gradients
    assert "Generalized Linear Model Regression Results" in "\n".join(
        o.get("data", {}).get("text/plain", "") + o.get("data", {}).get("text/html", "") for o in outs)
    alts = _figures(nb)
    assert len(alts) == 3  # the regression, police.uk by decile (one force in the store), reoffending
    assert alts[0].startswith("Scatter plot of deaths per 100,000 person-years")
    assert alts[1].startswith("Bar chart of offences per LSOA") and alts[2].startswith("Line charts in 1 panel")
