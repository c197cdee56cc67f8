"""Sphinx configuration of the cdp-analysis documentation (``make docs`` -> docs/_build/html).

Pages are Markdown (MyST); the API reference is generated from the numpydoc docstrings
(autodoc + napoleon). The command-line reference is the ``--help`` text of ``cdp`` itself,
captured at build time, so it cannot drift from the code.
"""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

project = "cdp-analysis"
author = "cdp-analysis developers"
copyright = "cdp-analysis developers; data Crown copyright (OGL v3) and mySociety (CC BY 4.0)"
release = "0.1.0"

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax",
              "sphinx.ext.autosummary"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "_generated/*.txt", "README.md"]
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "myst.xref_missing"]

autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_mock_imports: list[str] = []
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # dataclass attributes once (as fields), not twice
autosummary_generate = False

html_theme = "pydata_sphinx_theme"
html_title = "cdp-analysis"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
html_static_path: list[str] = []


def _cli_help() -> None:
    """Write the ``--help`` of ``cdp`` and each subcommand to _generated/cli.txt."""
    from cdp_analysis import cli

    out = ROOT / "docs" / "_generated"
    out.mkdir(exist_ok=True)
    parser = cli.build_parser() if hasattr(cli, "build_parser") else None
    texts = []
    for args in (["--help"], *[[c, "--help"] for c in _subcommands(parser)]):
        buf = io.StringIO()
        with redirect_stdout(buf):
            try:
                cli.main(args)
            except SystemExit:
                pass
        texts.append(f"$ cdp {' '.join(args)}\n{buf.getvalue().rstrip()}\n")
    (out / "cli.txt").write_text("\n".join(texts), encoding="utf-8")


def _subcommands(parser) -> list[str]:
    import argparse

    if parser is None:
        return ["ingest", "run", "audit", "list", "fetch"]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


_cli_help()


def _design_pages(app, docname: str, source: list[str]) -> None:
    """The design pages (``docs/design*.md``, written by the structure engineer) join the index
    when they exist: a glob toctree that matches nothing would be a warning."""
    if docname == "index" and sorted((ROOT / "docs").glob("design*.md")):
        source[0] += "\n```{toctree}\n:maxdepth: 1\n:caption: Design\n:glob:\n\ndesign*\n```\n"


def setup(app):
    app.connect("source-read", _design_pages)
