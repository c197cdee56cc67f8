"""Render an executed notebook: HTML for analysts (code hidden), Word for boards.

* HTML through nbconvert's HTML exporter with inputs and prompts excluded; cells tagged
  ``parameters``, ``injected-parameters`` or ``remove-cell`` are dropped entirely.
* Word through pandoc (the ``pypandoc-binary`` wheel carries it) reading the notebook
  directly, with a Lua filter that drops code and parameter cells, so headings become
  real Word heading styles, images keep their alt text and tables keep header rows; then
  :func:`cdp_analysis.report.word_layout.fit_tables` sizes each table's columns to their
  longest words and puts a table too wide for a portrait page on a landscape one.

* The spreadsheet ``tables.xlsx`` (gptables: cover, contents, notes, one table per sheet)
  from the ``tables/`` that :func:`cdp_analysis.report.outputs.show_table` wrote.

Figures shown with :func:`cdp_analysis.report.outputs.show_figure` are inline SVG with alt
text in the HTML (one self-contained file) and PNG files from ``figures/`` in Word (pandoc
looks them up in the run folder, the folder of the output).

All are written next to each other in the run folder; the caller renames the folder
into place only when everything exists.
"""

from __future__ import annotations

import copy
import html
import os
import re
from pathlib import Path

from cdp_analysis.report.word_layout import fit_tables

__all__ = ["render_html", "render_docx", "render_workbook", "render_all", "strip_for_readers", "HIDDEN_TAGS"]

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
    # embed_images: images referenced from Markdown (e.g. figures/x.png in the run folder, the
    # folder of ``out``) become data URIs, so the HTML stays one self-contained file
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True)
    body, _ = exporter.from_notebook_node(
        clean, resources={"metadata": {"name": html.escape(nb_title), "path": str(out.parent.resolve())}})
    body = re.sub(r"<html( lang=\"[^\"]*\")?>", "<html lang=\"en-GB\">", body, count=1)
    out.write_text(body, encoding="utf-8")
    return out


def _resource_path(executed: Path, out: Path) -> str:
    """Folders pandoc searches for images: the output's folder (the run folder, holding
    ``figures/``), then the executed notebook's folder."""
    folders = dict.fromkeys(str(p.resolve()) for p in (out.parent, executed.parent))
    return os.pathsep.join(folders)


def _drop_title_heading(nb, title: str) -> None:
    """Remove the first ``# <title>`` heading line, which would repeat the document title."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("# ") and line[2:].strip() == title:
                cell.source = "\n".join(lines[:i] + lines[i + 1:])
                return
        return


def render_docx(executed: Path, out: Path, *, title: str | None = None) -> Path:
    """Write ``out`` as a Word document through pandoc; return its path."""
    import nbformat
    import pypandoc

    nb = nbformat.read(executed, as_version=4)
    clean = strip_for_readers(nb)
    nb_title = title or _title(clean, executed.stem)
    _drop_title_heading(clean, nb_title)  # pandoc writes the title itself (Title style, dc:title)
    src = out.with_suffix(".pandoc.ipynb")
    nbformat.write(clean, src)
    try:
        pypandoc.convert_file(
            str(src), "docx", format="ipynb", outputfile=str(out),
            extra_args=["--ipynb-output=all", f"--lua-filter={LUA_FILTER}", f"--metadata=title:{nb_title}",
                        "--metadata=lang:en-GB", f"--resource-path={_resource_path(executed, out)}"],
        )
    finally:
        src.unlink(missing_ok=True)
    fit_tables(out)
    return out


def _area_period(nb, folder: Path) -> tuple[str, str]:
    params = nb.metadata.get("papermill", {}).get("parameters", {}) or {}
    area = str(params.get("area") or folder.name)
    period = str(params.get("period") or folder.parent.name)
    from cdp_analysis import areas

    return areas.name_or_code(area), period


def render_workbook(executed: Path, folder: Path, *, title: str | None = None, area: str | None = None,
                    period: str | None = None) -> Path | None:
    """Write ``folder/tables.xlsx`` from ``folder/tables/`` (None when there are no tables).

    Area and period default to the notebook's papermill parameters ``area`` and ``period``.
    """
    import nbformat

    from cdp_analysis.report.workbook import write_workbook

    if not any((folder / "tables").glob("*.json")):
        return None
    nb = nbformat.read(executed, as_version=4)
    nb_area, nb_period = _area_period(nb, folder)
    return write_workbook(folder, title=title or _title(strip_for_readers(nb), executed.stem),
                          area=area or nb_area, period=period or nb_period)


def render_all(executed: Path, folder: Path, *, title_stem: str, docx: bool = True,
               workbook: bool = True) -> list[Path]:
    """Render every reader format of one executed notebook into ``folder``.

    HTML, Word (unless ``docx=False``) and, when the notebook wrote tables with
    ``show_table``, the spreadsheet ``tables.xlsx`` (unless ``workbook=False``). The figures
    and tables folders written during the run are returned too, so they are listed in the
    manifest.
    """
    outputs = [render_html(executed, folder / f"{title_stem}.html")]
    if docx:
        outputs.append(render_docx(executed, folder / f"{title_stem}.docx"))
    if workbook:
        book = render_workbook(executed, folder)
        if book is not None:
            outputs.append(book)
    for sub in ("figures", "tables"):
        outputs.extend(sorted(p for p in (folder / sub).glob("*") if p.is_file()))
    return outputs
