import os

from cdp_analysis.models import limit_blas_threads
from cdp_analysis.models._threads import THREAD_ENV_VARS


def test_sets_all_thread_variables(monkeypatch):
    for v in THREAD_ENV_VARS:
        monkeypatch.setenv(v, "4")
    limit_blas_threads(1)
    assert all(os.environ[v] == "1" for v in THREAD_ENV_VARS)
