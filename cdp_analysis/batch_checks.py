"""Checks of a batch's own parameters, made before any kernel starts.

``cdp run`` refuses, in plain words and before anything runs: a number of worker processes
below 1, an output folder that cannot be written (a file in the way, no permission, a
read-only or full file system), and a Dask scheduler address that is not one. The notebook,
period, area and store are checked by :mod:`cdp_analysis.pipeline` and the command line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cdp_analysis.errors import CdpParameterError

__all__ = ["check_workers", "check_output_folder", "check_scheduler"]


def check_workers(workers: int | None) -> int | None:
    """Refuse a number of worker processes below 1 (``None``: the number of CPUs).

    Examples
    --------
    >>> check_workers(2)
    2
    >>> check_workers(0)
    Traceback (most recent call last):
    ...
    cdp_analysis.errors.CdpParameterError: --workers must be a whole number of 1 or more, not 0
    """
    if workers is None:
        return None
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise CdpParameterError(f"--workers must be a whole number of 1 or more, not {workers!r}")
    return workers


def check_output_folder(out: str | os.PathLike) -> Path:
    """Create the output folder if needed and prove it can be written (a file is made and removed).

    Raises
    ------
    CdpParameterError
        Naming the folder and the reason (a file in the way, no permission, a read-only or
        full file system).
    """
    from cdp_analysis import config

    return config.writable_folder(out, "output folder")


_SCHEDULER = re.compile(
    r"(?:(?P<scheme>tcp|tls|ucx|ws|wss)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))"
    r":(?P<port>\d{1,5})/?")


def check_scheduler(address: str) -> str:
    """A Dask scheduler address, checked for form: ``[tcp|tls|ucx|ws|wss://]HOST:PORT``.

    Examples
    --------
    >>> check_scheduler("tcp://127.0.0.1:8786")
    'tcp://127.0.0.1:8786'
    >>> check_scheduler("localhost:8786")
    'tcp://localhost:8786'
    >>> check_scheduler("not an address")
    Traceback (most recent call last):
    ...
    cdp_analysis.errors.CdpParameterError: --scheduler 'not an address' is not a Dask scheduler address (expected tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786)
    """
    m = _SCHEDULER.fullmatch(address.strip()) if isinstance(address, str) else None
    if m is None or not 1 <= int(m["port"]) <= 65535:
        raise CdpParameterError(f"--scheduler {address!r} is not a Dask scheduler address "
                                "(expected tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786)")
    return f"{m['scheme'] or 'tcp'}://{m['host']}:{int(m['port'])}"
