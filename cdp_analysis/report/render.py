"""Render an executed notebook: HTML for analysts (code hidden), Word for boards.

* HTML through nbconvert's HTML exporter with inputs and prompts excluded; cells tagged
  ``parameters``, ``injected-parameters`` or ``remove-cell`` are dropped entirely.
* Word through pandoc (the ``pypandoc-binary`` wheel carries it) reading the notebook
  directly, with a Lua filter that drops code and parameter cells, so headings become
  real Word heading styles, images keep their alt text and tables keep header rows.

Both are written next to each other in the run folder; the caller renames the folder
into place only when everything exists.
"""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path

__all__ = ["render_html", "render_docx", "render_all", "strip_for_readers", "HIDDEN_TAGS"]

HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell", "papermill-error-cell-tag"}
LUA_FILTER = Path(__file__).with_name("readers.lua")


def strip_for_readers(nb):
    """A copy of the notebook without parameter cells, hidden cells or code inputs' noise."""
    nb = copy.deepcopy(nb)
    keep = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & HIDDEN_TAGS:
            continue
        if cell.cell_type == "code":
            # stream output (stdout/stderr chatter, warnings) is not for readers
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "stream"]
        keep.append(cell)
    nb.cells = keep
    return nb


def _title(nb, default: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return default


def render_html(executed: Path, out: Path, *, title: str | None = None) -> Path:
    """Write ``out`` as HTML with code hidden; return its path."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    clean = strip_for_readers(nb)
    nb_title = title or _title(clean, executed.stem)
    clean.metadata["title"] = nb_title
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(clean, resources={"metadata": {"name": html.escape(nb_title)}})
    body = re.sub(r"<html( lang=\"[^\"]*\")?>", "<html lang=\"en-GB\">", body, count=1)
    out.write_text(body, encoding="utf-8")
    return out


def render_docx(executed: Path, out: Path, *, title: str | None = None) -> Path:
    """Write ``out`` as a Word document through pandoc; return its path."""
    import nbformat
    import pypandoc

    nb = nbformat.read(executed, as_version=4)
    clean = strip_for_readers(nb)
    nb_title = title or _title(clean, executed.stem)
    src = out.with_suffix(".pandoc.ipynb")
    nbformat.write(clean, src)
    try:
        pypandoc.convert_file(
            str(src), "docx", format="ipynb", outputfile=str(out),
            extra_args=["--ipynb-output=all", f"--lua-filter={LUA_FILTER}", f"--metadata=title:{nb_title}",
                        "--metadata=lang:en-GB", f"--resource-path={executed.parent}"],
        )
    finally:
        src.unlink(missing_ok=True)
    return out


def render_all(executed: Path, folder: Path, *, title_stem: str, docx: bool = True) -> list[Path]:
    """Render every reader format of one executed notebook into ``folder``."""
    outputs = [render_html(executed, folder / f"{title_stem}.html")]
    if docx:
        outputs.append(render_docx(executed, folder / f"{title_stem}.docx"))
    return outputs
