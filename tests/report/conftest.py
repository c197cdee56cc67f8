"""Fixtures for the report-output tests: the Agg backend and a scratch run folder."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def run_folder(tmp_path, monkeypatch):
    """A run folder that is also the working directory and ``CDP_OUTPUT_DIR`` (as under ``cdp run``)."""
    folder = tmp_path / "run"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("CDP_OUTPUT_DIR", str(folder))
    return folder


@pytest.fixture
def displayed(monkeypatch):
    """Capture what show_figure / show_table display (the raw MIME bundles)."""
    from cdp_analysis.report import outputs

    seen: list[dict[str, str]] = []
    monkeypatch.setattr(outputs, "_display", seen.append)
    return seen
