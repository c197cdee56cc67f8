"""Packaged copies of the reference tables (``data/reference/*.csv`` in the repository).

The canonical files live in the repository's ``data/reference/``; identical copies ship
inside the package here so that an installed ``cdp_analysis`` works without the
repository (a test asserts the copies are identical). Set the environment variable
``CDP_REFERENCE_DIR`` to a folder holding ``areas.csv``, ``partnerships.csv`` and
``metrics.csv`` to use other tables.

Examples
--------
>>> reference_path("metrics.csv").name
'metrics.csv'
>>> suggest("county_line_arrests", ["county_lines_arrests", "soc_disruptions"])
"; did you mean 'county_lines_arrests'?"
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["REFERENCE_DIR", "ENV_VAR", "reference_path", "suggest"]

REFERENCE_DIR = Path(__file__).resolve().parent
ENV_VAR = "CDP_REFERENCE_DIR"


def reference_path(name: str) -> Path:
    """Path of a reference table: ``$CDP_REFERENCE_DIR/name`` if set, else the packaged copy.

    Parameters
    ----------
    name
        File name, e.g. ``"areas.csv"``.

    Returns
    -------
    pathlib.Path
    """
    override = os.environ.get(ENV_VAR)
    base = Path(override) if override else REFERENCE_DIR
    return base / name


def suggest(value: str, choices: Iterable[str], *, n: int = 3) -> str:
    """A '; did you mean ...?' suffix naming the closest of ``choices`` (empty if none is close).

    Matching is case-insensitive; the suggestions keep their own spelling.
    """
    choices = list(choices)
    lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(str(value).lower(), list(lower), n=n, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(lower[c]) for c in close) + "?"
