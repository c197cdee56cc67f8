"""Where the data, the store and the reports live.

Resolution order for the data folder: an explicit argument, the ``CDP_DATA_DIR``
environment variable, ``./data`` when it holds ``raw/`` or ``returns/``, and finally the
``data/`` folder of the source checkout the package was installed from (editable
installs). The store defaults to ``<data>/cdp.duckdb`` (or ``CDP_DB``) and reports to
``./reports`` (or ``CDP_REPORTS_DIR``).
"""

from __future__ import annotations

import os
from pathlib import Path

from cdp_analysis.errors import CdpParameterError

__all__ = ["project_root", "data_dir", "db_path", "reports_dir", "notebooks_dir", "writable_folder"]


def project_root() -> Path | None:
    """The source checkout holding this package, when there is one (editable install)."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").exists() else None


def _looks_like_data(path: Path) -> bool:
    return (path / "raw").is_dir() or (path / "returns").is_dir()


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """The data folder (``raw/``, ``reference/``, ``returns/``)."""
    if path is not None:
        p = Path(path).expanduser().resolve()
        if not p.is_dir():
            raise CdpParameterError(f"data folder {p} does not exist")
        return p
    env = os.environ.get("CDP_DATA_DIR")
    if env:
        return data_dir(env)
    cwd = Path.cwd() / "data"
    if _looks_like_data(cwd):
        return cwd.resolve()
    root = project_root()
    if root is not None and _looks_like_data(root / "data"):
        return root / "data"
    raise CdpParameterError(
        "cannot find the data folder: run from the project folder, pass --data-dir, or set CDP_DATA_DIR"
    )


def db_path(path: str | os.PathLike | None = None, data: str | os.PathLike | None = None) -> Path:
    """The DuckDB store file."""
    if path is not None:
        return Path(path).expanduser().resolve()
    env = os.environ.get("CDP_DB")
    if env:
        return Path(env).expanduser().resolve()
    return data_dir(data) / "cdp.duckdb"


def reports_dir(path: str | os.PathLike | None = None) -> Path:
    """The folder reports are written into (created on demand by the runner)."""
    if path is not None:
        return Path(path).expanduser().resolve()
    env = os.environ.get("CDP_REPORTS_DIR")
    if env:
        return Path(env).expanduser().resolve()
    root = project_root()
    if root is not None and Path.cwd().resolve() != root and not (Path.cwd() / "notebooks").is_dir():
        return root / "reports"
    return (Path.cwd() / "reports").resolve()


def notebooks_dir() -> Path:
    """The folder of notebook templates (``notebooks/`` of the checkout)."""
    env = os.environ.get("CDP_NOTEBOOKS_DIR")
    if env:
        return Path(env).expanduser().resolve()
    root = project_root()
    if root is not None and (root / "notebooks").is_dir():
        return root / "notebooks"
    cwd = Path.cwd() / "notebooks"
    if cwd.is_dir():
        return cwd.resolve()
    raise CdpParameterError("cannot find the notebooks folder: set CDP_NOTEBOOKS_DIR")


def writable_folder(path: str | os.PathLike, what: str = "folder") -> Path:
    """Create ``path`` if needed and prove a file can be written in it (made and removed).

    Raises
    ------
    CdpParameterError
        Naming the folder and the reason in plain words: a file standing where a folder
        should be, no permission, a read-only or full file system.
    """
    import errno
    import tempfile

    root = Path(path)
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".cdp-write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            reason = "no space left on the device"
        elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
            blocker = next((p for p in (root, *root.parents) if p.exists() and not p.is_dir()), None)
            reason = f"{blocker or exc.filename} is a file, not a folder"
        raise CdpParameterError(f"the {what} {root} cannot be written: {reason}") from None
    return root
