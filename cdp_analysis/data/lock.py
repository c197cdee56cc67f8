"""A lock file beside the store, so an ingest and the batch never meet half-way.

``cdp ingest`` holds the lock *exclusively* while it builds the new store; ``cdp run``
holds it *shared* for the whole batch, so every notebook of one batch reads one version of
the store. A second ingest, or a batch started during an ingest (or an ingest during a
batch), waits up to ``CDP_LOCK_WAIT`` seconds (default 30) and is then refused with a
message naming the holder. The lock is an advisory ``flock`` on ``<store>.lock``: the
operating system releases it when its process ends, however it ends, so a killed ingest
never leaves a stale lock behind.

Readers outside the command line (a notebook's ``Store()``) need no lock: ingest writes a
new file and renames it over the old one, and a reader keeps the version it opened.

Examples
--------
>>> import tempfile, pathlib
>>> db = pathlib.Path(tempfile.mkdtemp()) / "cdp.duckdb"
>>> with store_lock(db, exclusive=True, what="cdp ingest"):
...     try:
...         with store_lock(db, exclusive=False, what="cdp run", wait=0):
...             pass
...     except CdpError as exc:
...         print(str(exc).split(" (process")[0].replace(str(db), "STORE"))
the store STORE is being updated by cdp ingest
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cdp_analysis.errors import CdpError

__all__ = ["store_lock", "lock_path", "DEFAULT_WAIT"]

DEFAULT_WAIT = 30.0  # seconds


def lock_path(db: str | os.PathLike) -> Path:
    """The lock file of a store: ``<store>.lock`` beside it."""
    db = Path(db)
    return db.with_name(db.name + ".lock")


def _wait_seconds(wait: float | None) -> float:
    if wait is not None:
        return max(0.0, float(wait))
    env = os.environ.get("CDP_LOCK_WAIT", "")
    try:
        return max(0.0, float(env)) if env.strip() else DEFAULT_WAIT
    except ValueError:
        return DEFAULT_WAIT


@contextmanager
def store_lock(db: str | os.PathLike, *, exclusive: bool, what: str, wait: float | None = None) -> Iterator[None]:
    """Hold the store's lock (exclusive for writers, shared for readers) for the ``with`` block.

    Parameters
    ----------
    db
        The store file.
    exclusive
        ``True`` for ``cdp ingest``; ``False`` for a batch reading the store.
    what
        How the holder is named to whoever waits (``"cdp ingest"``).
    wait
        Seconds to wait for the lock before refusing; default ``CDP_LOCK_WAIT`` or 30.

    Raises
    ------
    CdpError
        The lock is still held after ``wait`` seconds: the message names the holder's
        process and what it is doing.
    """
    import fcntl

    path = lock_path(db)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        if exclusive:
            raise
        yield  # a reader of a store in a read-only folder: nobody can be writing there
        return
    try:
        deadline = time.monotonic() + _wait_seconds(wait)
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CdpError(_held_message(path, Path(db), exclusive)) from None
                time.sleep(0.2)
        if exclusive:
            stamp = _dt.datetime.now().isoformat(timespec="seconds")
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\t{what}\t{stamp}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _held_message(path: Path, db: Path, exclusive: bool) -> str:
    if exclusive:  # held by readers (a batch) or by another writer
        return (f"the store {db} is in use by another `cdp ingest` or a `cdp run` batch; try again when it "
                "has finished (or set CDP_LOCK_WAIT to wait longer)")
    try:
        pid, holder, since = path.read_text(encoding="utf-8").strip().split("\t")[:3]
    except (OSError, ValueError):
        pid, holder, since = "?", "cdp ingest", ""
    return (f"the store {db} is being updated by {holder} (process {pid}" + (f", since {since}" if since else "")
            + "); try again when it has finished (or set CDP_LOCK_WAIT to wait longer)")
