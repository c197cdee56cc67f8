"""The `cdp` command line: exit codes, defaults, listings (run in-process through main())."""

from __future__ import annotations

import subprocess
import sys

from tests_support import RETURNS

from cdp_analysis.cli import latest_period, main


def test_audit_exits_1_on_errors_and_prints_the_findings(capsys):
    assert main(["audit", str(RETURNS)]) == 1
    out = capsys.readouterr().out
    assert "projection_transposition" in out and "23,576" in out
    assert "change_arithmetic" in out and "neighbourhood_crime" in out


def test_audit_of_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["audit", str(tmp_path / "nope.csv")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_latest_period_is_the_quarter_of_the_latest_returns(returns_store):
    assert latest_period(str(returns_store)) == "2023/24 Q1"


def test_bad_period_is_one_clear_line(returns_store, capsys, tmp_path):
    code = main(["run", "--db", str(returns_store), "--out", str(tmp_path), "--period", "2023 Q1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "bad period label '2023 Q1'" in err and "Traceback" not in err


def test_unknown_area_suggests(returns_store, capsys, tmp_path):
    code = main(["run", "--db", str(returns_store), "--out", str(tmp_path), "--area", "pan-dorst", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "pan-dorset" in err


def test_list_metrics_and_notebooks(capsys):
    assert main(["list", "metrics"]) == 0
    assert "county_lines_arrests" in capsys.readouterr().out
    assert main(["list", "notebooks"]) == 0
    out = capsys.readouterr().out
    assert "progress_report (report, run by `cdp run`): area: str = \"pan-dorset\"" in out
    assert "explore_area (exploration, for JupyterLab): area: str" in out


def test_console_script_help():
    out = subprocess.run([sys.executable, "-m", "cdp_analysis.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "ingest" in out.stdout and "audit" in out.stdout


def test_import_is_light():
    code = ("import sys, cdp_analysis; heavy = [m for m in ('pandas', 'scipy', 'statsmodels', 'duckdb', 'matplotlib', "
            "'papermill') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_run_help_names_the_default_notebooks():
    from cdp_analysis import pipeline

    out = subprocess.run([sys.executable, "-m", "cdp_analysis.cli", "run", "--help"], capture_output=True, text=True)
    text = " ".join(out.stdout.split())
    assert out.returncode == 0
    assert "(default: every report notebook, one that takes area and period)" in text
    assert pipeline.report_notebooks() == ["needs_assessment", "progress_report"]  # not the explore_* notebooks


def test_make_lab_installs_registers_builds_and_starts_jupyterlab_with_a_scratch_output_folder(tmp_path):
    """`make -n lab` (dry run): the lab extra, the kernel, the store only when missing, then
    JupyterLab on notebooks/ with CDP_OUTPUT_DIR set (the README's one line for analysts)."""
    import shutil
    from pathlib import Path

    import pytest

    if shutil.which("make") is None:
        pytest.skip("no make")
    root = Path(__file__).resolve().parents[1]
    venv = tmp_path / "venv"  # a venv that does not exist: every install step is listed
    out = subprocess.run(["make", "-n", "lab", f"VENV={venv}", f"LAB_OUTPUT={tmp_path / 'scratch'}"], cwd=root,
                         capture_output=True, text=True, check=True).stdout
    steps = [line for line in out.splitlines() if line.strip()]
    install = next(i for i, s in enumerate(steps) if '-e ".[lab]"' in s)
    kernel = next(i for i, s in enumerate(steps) if "ipykernel install" in s and "cdp-analysis" in s)
    store = next(i for i, s in enumerate(steps) if "cdp ingest" in s)
    lab = next(i for i, s in enumerate(steps) if "jupyter lab" in s)
    assert install < lab and kernel < lab and store < lab
    assert steps[store].startswith("test -f ")  # the store is built only when it is missing
    assert f'CDP_OUTPUT_DIR="{tmp_path / "scratch"}"' in steps[lab] and "--notebook-dir=notebooks" in steps[lab]


def test_a_pool_worker_starts_no_run_once_the_batch_is_stopped(tmp_path, monkeypatch):
    """A process pool hands a worker one call more than it runs, which cannot be cancelled: the
    worker checks the batch's stop flag before each run, so nothing of that run is started or written."""
    import multiprocessing

    from cdp_analysis import pipeline

    run = pipeline.Run(notebook="notebooks/progress_report.ipynb", period="2023/24 Q1", area="pan-dorset",
                       out_dir=str(tmp_path / "pan-dorset"))
    stop = multiprocessing.Event()
    monkeypatch.setattr(pipeline, "_stop_flag", stop)
    stop.set()
    assert pipeline.run_group([run, run], "no-such-kernel", render=False) == []
    assert not (tmp_path / "pan-dorset").exists()
    stop.clear()  # not stopped: the run starts (and fails here, on a kernel that does not exist)
    assert [o["status"] for o in pipeline.run_group([run], "no-such-kernel", render=False)] == ["failed"]
