"""Render the text of the report notebooks, and diff two renderings.

A refactoring of the application layer must not change what readers see. This script
executes the report notebooks for real (papermill, the ``cdp-analysis`` kernel, whatever
code ``PYTHONPATH`` points at) and writes the text of every output (Markdown, table
Markdown, the alt text of every figure) to one file per notebook; ``diff`` compares two
such folders with the timestamps masked.

Usage::

    # before the change (e.g. a checkout of main), then after it
    PYTHONPATH=/path/to/old python scripts/report_text.py render /tmp/before --db /tmp/cdp.duckdb
    PYTHONPATH=/path/to/new python scripts/report_text.py render /tmp/after --db /tmp/cdp.duckdb
    python scripts/report_text.py diff /tmp/before /tmp/after   # exit 1 when they differ

The store (``--db``) should be the same file for both runs; the shared per-period results are
computed by the notebook for the area alone (a fresh temporary reports folder), so both runs
take the same path through the code.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
import tempfile
from pathlib import Path

NOTEBOOKS = ("progress_report", "needs_assessment")
ROOT = Path(__file__).resolve().parent.parent
#: ISO timestamps (``2026-12-04T16:47:30+00:00``) and run times, which differ between runs
_VOLATILE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)?")


def notebook_text(nb) -> str:
    """The readers' text of an executed notebook: Markdown cells and every output's text."""
    parts: list[str] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source.strip())
            continue
        if "parameters" in cell.get("metadata", {}).get("tags", []) or \
                "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                continue
            if out.get("output_type") == "error":
                parts.append(f"ERROR {out.get('ename')}: {out.get('evalue')}")
                continue
            data = out.get("data", {})
            text = data.get("text/markdown") or data.get("text/plain") or ""
            if isinstance(text, list):
                text = "".join(text)
            if text.strip():
                parts.append(text.strip())
    return _VOLATILE.sub("<timestamp>", "\n\n".join(parts)) + "\n"


def render(out: Path, *, area: str, period: str, db: str) -> list[Path]:
    """Execute each notebook for ``area`` and ``period`` and write ``out/<notebook>.txt``."""
    import papermill as pm

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        env_before = {k: os.environ.get(k) for k in ("CDP_REPORTS_DIR", "CDP_OUTPUT_DIR")}
        os.environ["CDP_REPORTS_DIR"] = tmp  # no shared file: every run computes the area's own
        os.environ.pop("CDP_OUTPUT_DIR", None)  # shown, not saved
        try:
            for name in NOTEBOOKS:
                executed = Path(tmp) / f"{name}.ipynb"
                pm.execute_notebook(str(ROOT / "notebooks" / f"{name}.ipynb"), str(executed),
                                    parameters={"area": area, "period": period, "db": db},
                                    kernel_name="cdp-analysis", progress_bar=False, cwd=str(ROOT / "notebooks"))
                import nbformat

                target = out / f"{name}.txt"
                target.write_text(notebook_text(nbformat.read(executed, as_version=4)), encoding="utf-8")
                written.append(target)
        finally:
            for k, v in env_before.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    return written


def diff(a: Path, b: Path) -> list[str]:
    """Unified diff lines between two rendered folders (empty when identical)."""
    lines: list[str] = []
    for name in NOTEBOOKS:
        fa, fb = a / f"{name}.txt", b / f"{name}.txt"
        ta = fa.read_text(encoding="utf-8").splitlines() if fa.exists() else []
        tb = fb.read_text(encoding="utf-8").splitlines() if fb.exists() else []
        lines += difflib.unified_diff(ta, tb, str(fa), str(fb), lineterm="", n=1)
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render", help="execute the notebooks and write their text")
    r.add_argument("out", type=Path)
    r.add_argument("--area", default="pan-dorset")
    r.add_argument("--period", default="2023/24 Q1")
    r.add_argument("--db", default="", help="store file (default data/cdp.duckdb)")
    d = sub.add_parser("diff", help="diff two rendered folders; exit 1 when they differ")
    d.add_argument("a", type=Path)
    d.add_argument("b", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "render":
        for p in render(args.out, area=args.area, period=args.period, db=str(Path(args.db).resolve())
                        if args.db else ""):
            print(p)
        return 0
    lines = diff(args.a, args.b)
    print("\n".join(lines) if lines else "no difference in the rendered text")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
