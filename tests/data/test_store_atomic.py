"""The store on disk: byte-identical after any rejected ingest, one writer at a time, read-only by default.

Issue #15 class 5 (a later file rejected after earlier ones were inserted grew the store
file) and the locking between ``cdp ingest`` and ``cdp run``, with real processes; issue
#18 trap 4 (``Store()`` opened read-write by default and showed DuckDB's raw lock error).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests_support import DATA, built_store, load_make_bad, store_copy

from cdp_analysis.data.lock import lock_path
from cdp_analysis.data.store import Store, ingest, sha256_file
from cdp_analysis.errors import CdpError, CdpInputError

make_bad = load_make_bad()
CDP = Path(sys.executable).with_name("cdp")
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, Path]:
    return built_store(tmp_path_factory.mktemp("atomic"), returns=True)


def _state(db: Path) -> tuple[str, dict[str, str]]:
    sha = sha256_file(db)
    with Store(db) as s:
        digest = s.content_digest()
    assert sha256_file(db) == sha  # opening read-only writes nothing
    return sha, digest


@pytest.mark.parametrize("late", ["police_uk", "fingertips"])
def test_several_changed_files_and_a_late_one_rejected_leave_the_bytes(base, tmp_path, late):
    """Valid changed files are inserted first; the rejected one comes later in the ingest."""
    data, db = store_copy(base, tmp_path)
    before = _state(db)
    # valid changes: the returns edited, the ONS population series (816,816 rows: enough for
    # DuckDB to write row groups to the file before the commit), a new Fingertips export and
    # a new police.uk month
    (data / "raw" / "population").mkdir(parents=True)
    shutil.copy2(DATA / "raw" / "population" / "la_pop_estimates.csv", data / "raw" / "population")
    returns = data / "returns" / "pan_dorset.csv"
    returns.write_text(returns.read_text(encoding="utf-8").replace(",2023/24 Q1,38,", ",2023/24 Q1,39,", 1),
                       encoding="utf-8")
    (data / "raw" / "fingertips").mkdir(parents=True)
    shutil.copy2(DATA / "raw" / "fingertips" / "unmet_opiates.csv", data / "raw" / "fingertips" / "unmet_opiates.csv")
    police = data / "raw" / "police" / "x"
    police.mkdir(parents=True)
    police.joinpath("2024-01-dorset-street.csv").write_bytes((make_bad.HERE / "police_uk" / "ok_bom.csv").read_bytes())
    # ... and one bad file read after them
    if late == "police_uk":
        bad = police / "2024-02-dorset-street.csv"
        bad.write_bytes((make_bad.HERE / "police_uk" / "text_in_longitude.csv").read_bytes().replace(b"2024-01", b"2024-02"))
    else:
        bad = data / "raw" / "fingertips" / "zz_export.csv"
        bad.write_bytes((make_bad.HERE / "fingertips" / "text_in_value.csv").read_bytes())
    with pytest.raises(CdpInputError) as err:
        ingest(data, db)
    assert err.value.file.endswith(bad.name)
    assert _state(db) == before, "a rejected ingest changed the store file"
    assert not list(tmp_path.glob(".cdp.duckdb.ingest-*")), "the working copy was left behind"
    bad.unlink()
    result = ingest(data, db)  # the valid changes then load
    assert {f["file"] for f in result.files if f["action"] == "loaded"} >= {"returns/pan_dorset.csv"}
    with Store(db) as s:
        assert 39.0 in set(s.returns(metric="county_lines_arrests")["value"])


def test_nothing_changed_leaves_the_bytes(base, tmp_path):
    data, db = store_copy(base, tmp_path)
    sha = sha256_file(db)
    assert not ingest(data, db).changed
    assert sha256_file(db) == sha


def test_store_is_read_only_by_default_and_a_held_lock_is_explained(base, tmp_path):
    _, db = store_copy(base, tmp_path)
    sha = sha256_file(db)
    with Store(db) as s:
        assert s.read_only
        with pytest.raises(Exception, match="read-only"):
            s.sql("CREATE TABLE x (a INTEGER)")
        with Store(db) as again:  # two readers at once
            assert again.tables() == s.tables()
    assert sha256_file(db) == sha
    # a writer in another process (a notebook holding Store(read_only=False))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from cdp_analysis.data.store import Store; "
         f"s = Store({str(db)!r}, read_only=False); print('open', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(CdpError) as err:
            Store(db)
        text = str(err.value)
        assert f"process {holder.pid}" in text and "open for writing" in text and "Could not set lock" not in text
        proc = subprocess.run([str(CDP), "list", "sources", "--db", str(db)], capture_output=True, text=True, env=ENV)
        assert proc.returncode == 2 and "open for writing" in proc.stderr and "Traceback" not in proc.stderr
    finally:
        holder.kill()
        holder.wait()


def _slow_ingest_folder(root: Path) -> Path:
    """A data folder whose first ingest takes a few seconds (600,000 police.uk records)."""
    from tests_support import data_folder

    data = data_folder(root, returns=True)
    (data / "raw" / "police" / "x").mkdir(parents=True)
    make_bad.big_police(data / "raw" / "police" / "x" / "2024-01-dorset-street.csv", n=600_000)
    return data


def _wait_for_holder(db: Path, pid: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lock = lock_path(db)
        if lock.exists() and lock.read_text(encoding="utf-8").startswith(f"{pid}\t"):
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the first ingest never took the lock")


@pytest.mark.slow
def test_two_ingests_and_a_run_during_an_ingest(tmp_path):
    data = _slow_ingest_folder(tmp_path)
    db = tmp_path / "cdp.duckdb"
    cmd = [str(CDP), "ingest", "--data-dir", str(data), "--db", str(db), "--quiet"]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        _wait_for_holder(db, first.pid, first)
        # refused at once when told not to wait
        refused = subprocess.run(cmd, capture_output=True, text=True, env={**ENV, "CDP_LOCK_WAIT": "0"})
        run = subprocess.run([str(CDP), "run", "--db", str(db), "--period", "2023/24 Q1", "--out",
                              str(tmp_path / "reports"), "--notebook", "progress_report", "--quiet"],
                             capture_output=True, text=True, env={**ENV, "CDP_LOCK_WAIT": "0"})
        assert first.poll() is None, "the first ingest finished too soon for this test to mean anything"
        # a third ingest waits its turn (default wait), then finds nothing to do
        waiting = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
        w_out, w_err = waiting.communicate(timeout=300)
    finally:
        for p in (first,):
            if p.poll() is None:
                p.kill()
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "in use by another `cdp ingest`" in refused.stderr
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"being updated by cdp ingest (process {first.pid}" in run.stderr
    assert not (tmp_path / "reports" / "2023-24-Q1").exists()
    assert waiting.returncode == 0 and "nothing changed" in w_out, w_err
    with Store(db) as s:  # whole, and holding every record once
        assert s.sql("SELECT count(*) AS n FROM police_records")["n"].iloc[0] == 600_000
    assert not list(tmp_path.glob(".cdp.duckdb.ingest-*"))


@pytest.mark.slow
def test_an_ingest_killed_midway_leaves_the_old_store(base, tmp_path):
    import signal

    data, db = store_copy(base, tmp_path)
    before = _state(db)
    (data / "raw" / "police" / "x").mkdir(parents=True)
    make_bad.big_police(data / "raw" / "police" / "x" / "2024-01-dorset-street.csv", n=600_000)
    proc = subprocess.Popen([str(CDP), "ingest", "--data-dir", str(data), "--db", str(db), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    _wait_for_holder(db, proc.pid, proc)
    work = db.with_name(f".{db.name}.ingest-{proc.pid}")
    deadline = time.monotonic() + 60
    while not work.exists():  # the ingest has copied the store and is writing into the copy
        assert proc.poll() is None and time.monotonic() < deadline, "the ingest never started writing"
        time.sleep(0.01)
    time.sleep(0.2)  # into the load
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it was killed: make the file larger"
    assert _state(db) == before
    # the next ingest cleans up nothing of ours is in the way and loads the file
    assert ingest(data, db).changed
    assert not list(tmp_path.glob(".cdp.duckdb.ingest-*"))
