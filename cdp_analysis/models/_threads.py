"""Limit BLAS/OpenMP threads to one per process.

statsmodels' small matrix work gains nothing from BLAS threads, and on the 2-core project
machine a second busy process makes default-threaded fits 2-10x slower (docs/references/forecasting.md §5.5).
Batch workers therefore run with one BLAS thread and parallelise across areas with processes.

Environment variables only take effect if set before numpy is first imported; call
:func:`limit_blas_threads` at the very top of a worker or script. When ``threadpoolctl`` is
installed it also limits the pools of libraries that are already loaded.
"""

from __future__ import annotations

import os

from cdp_analysis.vocabulary import renamed

__all__ = ["THREAD_ENV_VARS", "limit_blas_threads"]

THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


@renamed(n="threads")
def limit_blas_threads(threads: int = 1) -> bool:
    """Set the BLAS/OpenMP thread environment variables to ``threads`` and limit loaded pools.

    Parameters
    ----------
    threads
        Threads per process (1 for batch workers).

    Returns
    -------
    bool
        True when ``threadpoolctl`` was available and limited the already-loaded pools;
        False when only the environment variables were set (effective for libraries
        loaded afterwards and for child processes).

    Examples
    --------
    >>> import os
    >>> _ = limit_blas_threads(1)
    >>> os.environ["OPENBLAS_NUM_THREADS"]
    '1'
    """
    n = threads  # vocabulary: the parameter is threads

    for var in THREAD_ENV_VARS:
        os.environ[var] = str(int(n))
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    threadpool_limits(int(n))
    return True
