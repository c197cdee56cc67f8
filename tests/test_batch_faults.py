"""Faults a scheduled batch meets, with real processes: real ``cdp run``, real kernels, real Dask.

For each fault: every other run completes (or the batch stops cleanly), no report folder is
half-written (a folder is complete, with its manifest, or absent; no temporary folder is left),
the failure is named, and ``cdp run --resume`` finishes the rest. The smallest notebook
(``progress_report``) and the returns-only store keep them as fast as they can be.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")
pytestmark = pytest.mark.slow

CDP = Path(sys.executable).with_name("cdp")
DASK = Path(sys.executable).with_name("dask")
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "CDP_LOCK_WAIT": "0"}
PERIOD = "2023-24-Q1"


def cdp_run(db: Path, out: Path, *areas: str, extra: tuple[str, ...] = (), **kw) -> subprocess.Popen:
    args = [str(CDP), "run", "--db", str(db), "--out", str(out), "--period", "2023/24 Q1", "--quiet",
            "--notebook", "progress_report", *extra]
    for area in areas:
        args += ["--area", area]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                            start_new_session=True, **kw)


def finish(proc: subprocess.Popen, timeout: float = 600) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def kernels(proc: subprocess.Popen) -> list:
    """The Jupyter kernels started under ``proc`` (its process tree)."""
    try:
        tree = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [p for p in tree if _is_kernel(p)]


def _is_kernel(p) -> bool:
    try:
        return any("ipykernel" in part for part in p.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def running_kernel(find_kernels, timeout: float = 180):
    """A kernel that has executed at least one cell, and the area of its run (from its folder)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for k in find_kernels():
            try:
                cwd = Path(k.cwd())
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            nb = cwd / "notebooks" / "progress_report.ipynb"
            try:
                cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
            except (OSError, ValueError, KeyError):
                continue
            if any(c.get("cell_type") == "code" and c.get("execution_count") for c in cells):
                return k, cwd.name[1:].split(".", 1)[0]
        time.sleep(0.05)
    raise AssertionError("no kernel got as far as running a cell")


def assert_nothing_half_written(out: Path) -> list[str]:
    """Every area folder is complete (manifest with the run, HTML, Word); no temporary folder. Returns the areas."""
    period = out / PERIOD
    if not period.exists():
        return []
    leftovers = [p.name for p in period.iterdir() if p.name.startswith(".")]
    assert leftovers == [], f"temporary folders left: {leftovers}"
    done = []
    for folder in period.iterdir():
        if not folder.is_dir() or folder.name.startswith("_"):
            continue
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert "progress_report" in manifest["runs"]
        assert (folder / "progress_report.html").stat().st_size > 10_000
        assert (folder / "progress_report.docx").stat().st_size > 5_000
        done.append(folder.name)
    return sorted(done)


def resume_finishes(db: Path, out: Path, areas: tuple[str, ...], already: list[str]) -> None:
    code, stdout, stderr = finish(cdp_run(db, out, *areas, extra=("--resume", "--workers", "2")))
    assert code == 0, stdout + stderr
    assert stdout.count("skipped ") == len(already), stdout
    assert assert_nothing_half_written(out) == sorted(areas)


AREAS = ("pan-dorset", "E06000059")


def test_a_kernel_killed_mid_notebook(returns_store, tmp_path):
    out = tmp_path / "reports"
    proc = cdp_run(returns_store, out, *AREAS, extra=("--workers", "2"))
    kernel, area = running_kernel(lambda: kernels(proc))
    kernel.kill()
    code, stdout, stderr = finish(proc)
    assert code == 1 and "Traceback" not in stderr, stdout + stderr
    assert f"FAILED  2023/24 Q1 / {area} / progress_report" in stdout and "kernel died" in stdout, stdout
    other = [a for a in AREAS if a != area]
    assert assert_nothing_half_written(out) == other  # the other run completed
    resume_finishes(returns_store, out, AREAS, other)


def test_a_worker_process_killed_mid_batch(returns_store, tmp_path):
    out = tmp_path / "reports"
    areas = (*AREAS, "E06000058")
    proc = cdp_run(returns_store, out, *areas, extra=("--workers", "2"))
    kernel, area = running_kernel(lambda: kernels(proc))
    worker = kernel.parent()
    assert worker.pid != proc.pid
    worker.kill()
    code, stdout, stderr = finish(proc)
    # the pool is rebuilt and the runs its death interrupted are run again: all complete, and say so.
    # The processes the kill orphans (the dead worker's kernel, the old pool's other worker as it is
    # stopped) can print their own ipykernel/nbclient tracebacks to the stderr they inherited; nothing
    # of cdp's own raises or prints one
    assert code == 0 and "Traceback" not in stdout and "cdp_analysis" not in stderr, stdout + stderr
    assert "retried after its worker process died" in stdout, stdout
    assert assert_nothing_half_written(out) == sorted(areas)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_dask_worker_killed_mid_batch(returns_store, tmp_path):
    if not DASK.exists():
        pytest.skip("no dask command")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    cluster = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                 "--dashboard-address", ":0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=ENV, cwd=tmp_path)]
    try:
        for i in range(2):
            cluster.append(subprocess.Popen(
                [str(DASK), "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                 "--name", f"w{i}", "--local-directory", str(tmp_path / f"w{i}")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, cwd=tmp_path))
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        out = tmp_path / "reports"
        proc = cdp_run(returns_store, out, *AREAS, extra=("--scheduler", address))

        def cluster_kernels():
            return [k for w in cluster[1:] for k in kernels(w)]

        kernel, area = running_kernel(cluster_kernels)
        worker = kernel.parent()  # the worker process (its nanny restarts it)
        worker.kill()
        code, stdout, stderr = finish(proc)
        assert "Traceback" not in stderr, stderr
        # Dask runs the lost task again on a live worker; everything completes, whole
        assert code == 0, stdout + stderr
        assert assert_nothing_half_written(out) == sorted(AREAS)
        assert "2 ok, 0 failed" in stdout
    finally:
        for p in reversed(cluster):
            p.terminate()
        for p in cluster:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.mark.parametrize(("sig", "status", "word"), [(signal.SIGINT, 130, "interrupted"),
                                                     (signal.SIGTERM, 143, "terminated")])
def test_the_batch_interrupted(returns_store, tmp_path, sig, status, word):
    out = tmp_path / "reports"
    areas = (*AREAS, "E06000058")
    proc = cdp_run(returns_store, out, *areas, extra=("--workers", "1"))
    running_kernel(lambda: kernels(proc))
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)  # Ctrl-C reaches the whole process group
    else:
        proc.send_signal(sig)  # a scheduler stopping the batch
    code, stdout, stderr = finish(proc)
    assert code == status and word in stderr and "Traceback" not in stderr, stdout + stderr
    done = assert_nothing_half_written(out)
    assert len(done) < len(areas)  # stopped: runs not started were not started
    resume_finishes(returns_store, out, areas, done)


def _limited_output(tmp_path: Path):
    """A size-limited folder (a 400 KB tmpfs where the machine allows mounting) and how to lift the limit."""
    folder = tmp_path / "small"
    folder.mkdir()
    if os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(folder)],
                                            capture_output=True).returncode == 0:
        def lift():
            subprocess.run(["mount", "-o", "remount,size=64m", str(folder)], check=True)

        def cleanup():
            subprocess.run(["umount", str(folder)], capture_output=True)

        return folder, None, lift, cleanup

    def limit():  # simulated at the file layer: no file may grow beyond 400 KB
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (400_000, 400_000))

    return folder, limit, (lambda: None), (lambda: None)


def test_a_full_disk_for_the_output_folder(returns_store, tmp_path):
    out, preexec, lift, cleanup = _limited_output(tmp_path)
    try:
        proc = cdp_run(returns_store, out, *AREAS, extra=("--workers", "2"), preexec_fn=preexec)
        code, stdout, stderr = finish(proc)
        assert code == 1 and "Traceback" not in stderr, stdout + stderr
        assert "no space left for the outputs" in stdout, stdout
        done = assert_nothing_half_written(out)
        assert len(done) < len(AREAS)
        lift()
        resume_finishes(returns_store, out, AREAS, done)
    finally:
        cleanup()
