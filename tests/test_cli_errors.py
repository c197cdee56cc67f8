"""The command line's error boundary, run as users run it: the real ``cdp`` program in a subprocess.

Every case of issue #15 class 1 (and the batch parameters of class 6) must end in one plain
paragraph on standard error, the exit status of its kind and no traceback; ``--debug``
shows the traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cdp_analysis.errors import describe_exception, printable

CDP = Path(sys.executable).with_name("cdp")


def cdp(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    exe = [str(CDP)] if CDP.exists() else [sys.executable, "-m", "cdp_analysis.cli"]
    return subprocess.run([*exe, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def assert_one_paragraph(proc: subprocess.CompletedProcess, status: int, *needles: str) -> str:
    err = proc.stderr.strip()
    assert proc.returncode == status, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert err.count("\n") == 0, err  # one paragraph
    assert err.startswith("cdp "), err
    for needle in needles:
        assert needle in err, err
    return err


@pytest.fixture
def not_a_store(tmp_path) -> Path:
    path = tmp_path / "notes.duckdb"
    path.write_text("these are my notes, not a store\n")
    return path


def test_db_that_is_not_a_duckdb_file(not_a_store, tmp_path):
    proc = cdp("list", "sources", "--db", str(not_a_store))
    assert_one_paragraph(proc, 2, "the store could not be used", "not a valid DuckDB database file")
    proc = cdp("run", "--db", str(not_a_store), "--period", "2023/24 Q1", "--out", str(tmp_path / "o"), "--quiet")
    assert_one_paragraph(proc, 2, "the store could not be used")
    assert not (tmp_path / "o" / "2023-24-Q1").exists()  # refused before any kernel


def test_db_under_a_regular_file(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    proc = cdp("ingest", "--data-dir", str(tmp_path), "--db", str(blocker / "cdp.duckdb"), "--quiet")
    assert_one_paragraph(proc, 2, "store's folder", f"{blocker} is a file, not a folder")
    proc = cdp("run", "--db", str(blocker / "cdp.duckdb"), "--period", "2023/24 Q1", "--out", str(tmp_path / "o"))
    assert_one_paragraph(proc, 2, "does not exist yet", "cdp ingest")


@pytest.mark.parametrize("content", ['{"x": 1}\n', "not json at all\n", b"\xff\xfe\x00garbage"])
def test_notebook_that_is_not_a_notebook(returns_store, tmp_path, content):
    nb = tmp_path / "mine.ipynb"
    nb.write_bytes(content if isinstance(content, bytes) else content.encode())
    proc = cdp("run", "--db", str(returns_store), "--notebook", str(nb), "--period", "2023/24 Q1",
               "--out", str(tmp_path / "o"), "--quiet")
    assert_one_paragraph(proc, 2, f"{nb} is not a Jupyter notebook")
    proc = cdp("run", "--db", str(returns_store), "--notebook", str(tmp_path), "--period", "2023/24 Q1",
               "--out", str(tmp_path / "o"), "--quiet")
    assert_one_paragraph(proc, 2, "no notebook")


def test_out_that_cannot_be_written(returns_store, tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    proc = cdp("run", "--db", str(returns_store), "--period", "2023/24 Q1", "--out", str(blocker / "reports"),
               "--notebook", "progress_report", "--quiet")
    assert_one_paragraph(proc, 2, "output folder", "cannot be written", f"{blocker} is a file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permissions")
def test_out_without_permission(returns_store, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    proc = cdp("run", "--db", str(returns_store), "--period", "2023/24 Q1", "--out", str(locked / "r"),
               "--notebook", "progress_report", "--quiet")
    assert_one_paragraph(proc, 2, "cannot be written", "ermission denied")


@pytest.mark.parametrize("address", ["not an address", "tcp://", "tcp://127.0.0.1", "127.0.0.1:99999",
                                     "http://127.0.0.1:8786", "tcp://127.0.0.1:87a6"])
def test_scheduler_that_is_not_an_address(returns_store, tmp_path, address):
    proc = cdp("run", "--db", str(returns_store), "--period", "2023/24 Q1", "--out", str(tmp_path / "o"),
               "--scheduler", address, "--notebook", "progress_report", "--quiet")
    assert_one_paragraph(proc, 2, "is not a Dask scheduler address", "tcp://HOST:PORT")


@pytest.mark.parametrize("workers", ["0", "-1"])
def test_workers_below_one(returns_store, tmp_path, workers):
    proc = cdp("run", "--db", str(returns_store), "--period", "2023/24 Q1", "--out", str(tmp_path / "o"),
               "--workers", workers, "--notebook", "progress_report", "--quiet")
    assert_one_paragraph(proc, 2, f"--workers must be a whole number of 1 or more, not {workers}")
    assert not (tmp_path / "o" / "2023-24-Q1").exists()


def test_debug_shows_the_traceback(not_a_store):
    proc = cdp("--debug", "list", "sources", "--db", str(not_a_store))
    assert proc.returncode == 2 and "Traceback (most recent call last)" in proc.stderr
    assert "the store could not be used" in proc.stderr.strip().splitlines()[-1]
    proc = cdp("list", "sources", "--db", str(not_a_store), "--debug")  # after the command too
    assert proc.returncode == 2 and "Traceback (most recent call last)" in proc.stderr


def test_a_fault_of_ours_is_status_3_and_says_how_to_see_it():
    message, status = describe_exception(RuntimeError("boom\nsecond line"))
    assert status == 3 and message.startswith("unexpected RuntimeError: boom") and "--debug" in message
    assert "second line" not in message
    assert describe_exception(PermissionError(13, "Permission denied", "/x"))[1] == 2


def test_control_characters_are_never_printed_raw():
    hostile = "pan\x1b[2J\x1b]0;owned\x07-dorset\r\u202e"
    shown = printable(hostile)
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c == "\u202e" for c in shown), shown
    assert "\\x1b[2J" in shown and "\\u202e" in shown


def test_unknown_area_with_control_characters(returns_store, tmp_path):
    proc = cdp("run", "--db", str(returns_store), "--period", "2023/24 Q1", "--out", str(tmp_path / "o"),
               "--area", "pan\x1b[31m-dorset", "--notebook", "progress_report", "--quiet")
    assert proc.returncode in (1, 2) and "\x1b" not in proc.stderr + proc.stdout and "Traceback" not in proc.stderr


def test_broken_pipe_is_quiet(tmp_path):
    if shutil.which("head") is None:
        pytest.skip("no head")
    exe = str(CDP) if CDP.exists() else f"{sys.executable} -m cdp_analysis.cli"
    proc = subprocess.run(f"{exe} list areas | head -n 1", shell=True, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert "Traceback" not in proc.stderr and "Broken pipe" not in proc.stderr


def test_batch_results_never_print_a_kernels_colour_codes():
    from cdp_analysis.pipeline import format_results

    failed = {"key": "2023/24 Q1 / pan-dorset / progress_report", "status": "failed", "cell": 3,
              "error": "ValueError: \x1b[0;31mbad\x1b[0m\rover", "executed_notebook": "x.ipynb"}
    text = format_results([failed])
    assert "\x1b" not in text and "\r" not in text and "\\x1b[0;31mbad" in text
