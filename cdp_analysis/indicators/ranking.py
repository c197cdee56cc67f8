"""Assign small areas to quantiles (deciles, quintiles ...) of a value, within groups."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpParameterError
from cdp_analysis.indicators._validate import as_list, check_frame, numeric

__all__ = ["quantiles"]

TOO_FEW = "One or more groups had too few small areas with values to allow quantiles to be assigned"


def quantiles(
    df: pd.DataFrame,
    value: str,
    by: str | Sequence[str] | None = None,
    nquantiles: int = 10,
    invert: bool = True,
) -> pd.DataFrame:
    """Assign each row to one of ``nquantiles`` quantiles of ``value`` within its group.

    With :math:`N` non-missing values in the group, :math:`Q` quantiles and rank
    :math:`r` (ties share the lowest rank; rank 1 = highest value when ``invert``):

    .. math::

        q = \\left\\lfloor (Q + 1) - \\left\\lceil \\frac{(N + 1) - r}{N/Q} \\right\\rceil \\right\\rfloor,
        \\quad q = 1 \\text{ where this gives } 0.

    Missing values get no quantile; a group with fewer than :math:`Q` values gets none
    (with a warning).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per small area.
    value : str
        Numeric column ranked (missing values allowed).
    by : str or sequence of str, optional
        Groups with their own quantiles (e.g. region).
    nquantiles : int, default 10
        Number of quantiles (10 = deciles, 5 = quintiles).
    invert : bool, default True
        Polarity of the numbering. ``True``: quantile 1 holds the *highest* values (as
        IMD decile 1 = most deprived when ranking IMD scores); ``False``: quantile 1
        holds the lowest values.

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with ``rank``, ``quantile`` (nullable integers) and
        ``nquantiles``.

    References
    ----------
    OHID, PHEindicatormethods ``phe_quantile`` documentation (the method Fingertips uses
    for deprivation quantiles). MHCLG (2019). The English Indices of Deprivation 2019,
    technical report (deciles, 1 = most deprived).

    Examples
    --------
    >>> import pandas as pd
    >>> from cdp_analysis import indicators as ind
    >>> df = pd.DataFrame({"score": [50.1, 12.3, 33.0, 8.8, 41.7, 20.0]})
    >>> ind.quantiles(df, "score", nquantiles=3)["quantile"].tolist()
    [1, 3, 2, 3, 1, 2]
    """
    if isinstance(nquantiles, bool) or not isinstance(nquantiles, (int, np.integer)) or nquantiles < 1:
        raise CdpParameterError(f"nquantiles must be a positive whole number, got {nquantiles!r}")
    by_cols = as_list(by)
    check_frame(df, [value, *by_cols])
    v = pd.Series(numeric(df, value, minimum=None, allow_nan=True), index=df.index)
    if by_cols:
        keys = [df[c] for c in by_cols]
        grouped = v.groupby(keys, dropna=False, sort=False)
        rank = grouped.rank(method="min", ascending=not invert)
        N = grouped.transform("count")
    else:
        rank = v.rank(method="min", ascending=not invert)
        N = pd.Series(v.notna().sum(), index=df.index)
    r = rank.to_numpy(dtype=float)
    n = N.to_numpy(dtype=float)
    Q = float(nquantiles)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.floor((Q + 1) - np.ceil(((n + 1) - r) / (n / Q)))
    q = np.where(q == 0, 1, q)
    too_few = n < Q
    if too_few.any():
        warnings.warn(TOO_FEW, UserWarning, stacklevel=2)
    q = np.where(too_few, np.nan, q)
    out = df.copy()
    out["rank"] = pd.array(np.where(np.isnan(r), pd.NA, r).tolist() if np.isnan(r).any() else r.astype(np.int64), dtype="Int64")
    out["quantile"] = pd.array(np.where(np.isnan(q), pd.NA, q).tolist() if np.isnan(q).any() else q.astype(np.int64), dtype="Int64")
    out["nquantiles"] = nquantiles
    return out
