"""Shared input checks and grouping for the indicator functions (internal).

Every check raises :class:`~cdp_analysis.errors.CdpInputError` naming the offending
rows (index labels of the frame) and the column, or
:class:`~cdp_analysis.errors.CdpParameterError` for a bad argument. Grouping is done
with hash factorisation of each key column and ``np.bincount`` sums, so the indicator
functions stay vectorised (no row-wise ``apply``).

>>> import pandas as pd
>>> df = pd.DataFrame({"n": [1, -2, 3]}, index=["a", "b", "c"])
>>> numeric(df, "n")
Traceback (most recent call last):
...
cdp_analysis.errors.CdpInputError: row b, column 'n': negative values are not allowed (found -2.0; expected a number >= 0)
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cdp_analysis.errors import CdpInputError, CdpParameterError
from cdp_analysis.indicators._limits import z_value

__all__ = [
    "check_frame",
    "numeric",
    "confidence_levels",
    "level_suffix",
    "check_multiplier",
    "as_list",
    "Groups",
    "group_rows",
    "group_blocks",
    "factorize",
    "z_of",
]


def as_list(by: str | Sequence[str] | None) -> list[str]:
    """``None`` -> ``[]``, a name -> ``[name]``, a sequence -> list."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def check_frame(df: Any, columns: Sequence[Hashable]) -> pd.DataFrame:
    """Check ``df`` is a DataFrame holding every one of ``columns``."""
    if not isinstance(df, pd.DataFrame):
        raise CdpInputError(
            f"expected a pandas DataFrame, got {type(df).__name__}", expected="a pandas DataFrame"
        )
    for col in columns:
        if col not in df.columns:
            raise CdpInputError(
                "column not found",
                column=str(col),
                expected="one of " + ", ".join(repr(str(c)) for c in df.columns),
            )
    return df


def _bad_rows(df: pd.DataFrame, mask: np.ndarray) -> list:
    return list(df.index[np.asarray(mask, dtype=bool)])


def numeric(
    df: pd.DataFrame,
    column: str,
    *,
    minimum: float | None = 0.0,
    strictly_positive: bool = False,
    allow_nan: bool = False,
) -> np.ndarray:
    """Return ``df[column]`` as a float array, checking it is numeric and in range.

    Strings, booleans, missing values (unless ``allow_nan``), infinities and values
    below ``minimum`` (or not above it, when ``strictly_positive``) raise
    :class:`CdpInputError` naming every offending row.
    """
    s = df[column]
    if pd.api.types.is_bool_dtype(s.dtype):
        raise CdpInputError(
            "true/false values are not numbers", column=column, row=list(df.index[:10]), expected="a number"
        )
    plain_int = isinstance(s.dtype, np.dtype) and s.dtype.kind in "iu"  # numpy integers: never missing
    if plain_int:
        arr = s.to_numpy(dtype=float)
    elif pd.api.types.is_numeric_dtype(s.dtype):
        arr = s.to_numpy(dtype=float, na_value=np.nan)
    else:
        # object / string columns: say which rows do not hold numbers
        coerced = pd.to_numeric(s, errors="coerce")
        bad = coerced.isna().to_numpy() & s.notna().to_numpy()
        is_bool = s.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
        bad |= is_bool
        if bad.any():
            rows = _bad_rows(df, bad)
            raise CdpInputError(
                "not a number", row=rows, column=column, value=s[bad].iloc[0], expected="a number"
            )
        arr = coerced.to_numpy(dtype=float, na_value=np.nan)
    is_int = plain_int or (pd.api.types.is_integer_dtype(s.dtype) and not s.hasnans)
    finite = None if is_int else np.isfinite(arr)  # integers are always finite
    if finite is not None and not finite.all():
        nan = np.isnan(arr)
        if nan.any() and not allow_nan:
            raise CdpInputError("missing value", row=_bad_rows(df, nan), column=column, expected="a number")
        inf = ~finite & ~nan
        if inf.any():
            raise CdpInputError(
                "infinite value", row=_bad_rows(df, inf), column=column, expected="a finite number"
            )
    if minimum is not None and len(arr):
        smallest = np.nanmin(arr) if allow_nan and not is_int else arr.min()
        if not (smallest <= minimum if strictly_positive else smallest < minimum):
            return arr
        with np.errstate(invalid="ignore"):
            low = arr <= minimum if strictly_positive else arr < minimum
        if low.any():
            rows = _bad_rows(df, low)
            word = "negative values are not allowed" if minimum == 0 and not strictly_positive else (
                "values must be greater than zero" if minimum == 0 else f"values below {minimum:g}"
            )
            sign = ">" if strictly_positive else ">="
            raise CdpInputError(
                word, row=rows, column=column, value=float(arr[low][0]), expected=f"a number {sign} {minimum:g}"
            )
    return arr


def confidence_levels(confidence: float | Sequence[float] | None) -> tuple[float, ...]:
    """Normalise ``confidence`` to a tuple of distinct levels strictly between 0 and 1.

    >>> confidence_levels(0.95), confidence_levels((0.95, 0.998)), confidence_levels(None)
    ((0.95,), (0.95, 0.998), ())
    """
    if confidence is None:
        return ()
    levels = (confidence,) if isinstance(confidence, (int, float, np.floating)) else tuple(confidence)
    out = []
    for c in levels:
        if isinstance(c, bool) or not isinstance(c, (int, float, np.floating)) or not 0 < float(c) < 1:
            raise CdpParameterError(
                f"confidence levels must be numbers strictly between 0 and 1 (e.g. 0.95, 0.998), got {c!r}"
            )
        out.append(float(c))
    if len({level_suffix(c) for c in out}) != len(out):
        raise CdpParameterError(f"confidence levels repeat: {levels!r}")
    return tuple(out)


def level_suffix(confidence: float) -> str:
    """Column suffix of a level: 0.95 -> ``'95'``, 0.998 -> ``'99_8'``, 0.9 -> ``'90'``.

    >>> level_suffix(0.95), level_suffix(0.998), level_suffix(0.9), level_suffix(0.9999)
    ('95', '99_8', '90', '99_99')
    """
    text = f"{round(confidence * 100, 8):.8f}".rstrip("0").rstrip(".")
    return text.replace(".", "_")


z_of = z_value  # the cached two-sided normal quantile of :mod:`cdp_analysis.indicators._limits`


def check_multiplier(multiplier: Any) -> float:
    """A multiplier must be a positive finite number."""
    if isinstance(multiplier, bool) or not isinstance(multiplier, (int, float, np.integer, np.floating)):
        raise CdpParameterError(f"multiplier must be a positive number, got {multiplier!r}")
    if not (np.isfinite(multiplier) and multiplier > 0):
        raise CdpParameterError(f"multiplier must be a positive number, got {multiplier!r}")
    return float(multiplier)


class Groups:
    """Integer group codes of a frame's rows by key columns, and the keys of each group.

    ``codes[i]`` is the group of row ``i`` (0 .. ``n - 1``), groups sorted by their keys;
    ``keys`` is a frame of the ``by`` columns, one row per group (RangeIndex).
    Missing key values form their own group.
    """

    def __init__(self, codes: np.ndarray, n: int, keys: pd.DataFrame) -> None:
        self.codes = codes
        self.n = n
        self.keys = keys

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum ``values`` within each group."""
        return np.bincount(self.codes, weights=values, minlength=self.n)

    def min(self, values: np.ndarray) -> np.ndarray:
        out = np.full(self.n, np.inf)
        np.minimum.at(out, self.codes, values)
        return out

    def max(self, values: np.ndarray) -> np.ndarray:
        out = np.full(self.n, -np.inf)
        np.maximum.at(out, self.codes, values)
        return out

    def first_row(self) -> np.ndarray:
        """Position of the first row of each group."""
        first = np.empty(self.n, dtype=np.int64)
        first[self.codes[::-1]] = np.arange(len(self.codes) - 1, -1, -1, dtype=np.int64)
        return first


def _factorize(values: Any) -> tuple[np.ndarray, Any]:
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.int64)
        cats = values.cat.categories
        if (codes < 0).any():  # missing category -> its own code at the end
            codes = np.where(codes < 0, len(cats), codes)
            cats = pd.Index(list(cats) + [np.nan])
        # keep only categories that occur, in category order
        used = np.unique(codes)
        remap = np.full(len(cats), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        return remap[codes], pd.Index(cats).take(used)
    return factorize(values)


def factorize(values: Any, period: int | None = None) -> tuple[np.ndarray, Any]:
    """``pd.factorize(values, sort=True)`` with NaN kept, faster for the usual layouts.

    Hashing every string of a long key column dominates the indicator timings, so two
    exact shortcuts are tried first on object columns: a column made of long runs of
    equal values (rows sorted or grouped by the key) is factorised by its run heads and
    expanded; a column that repeats with ``period`` (age bands in the same order in
    every group) is factorised by its first block and tiled. Otherwise, plain hashing.
    """
    arr = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values)
    n = len(arr)
    if n > 1000 and arr.dtype == object:
        try:
            if period and n % period == 0 and n > period:
                if bool((arr[period:] == arr[:-period]).all()):
                    head_codes, uniques = pd.factorize(arr[:period], sort=True, use_na_sentinel=False)
                    return np.tile(head_codes.astype(np.int64), n // period), uniques
            change = np.asarray(arr[1:] != arr[:-1], dtype=bool)
            n_runs = int(change.sum()) + 1
            if n_runs <= n // 4:
                starts = np.concatenate([[0], np.flatnonzero(change) + 1])
                run_codes, uniques = pd.factorize(arr[starts], sort=True, use_na_sentinel=False)
                lengths = np.diff(np.append(starts, n))
                return np.repeat(run_codes.astype(np.int64), lengths), uniques
        except (TypeError, ValueError):  # e.g. pd.NA in comparisons: hash instead
            pass
    codes, uniques = pd.factorize(arr, sort=True, use_na_sentinel=False)
    return codes.astype(np.int64, copy=False), uniques


def group_rows(df: pd.DataFrame, by: Sequence[str]) -> Groups:
    """Group the rows of ``df`` by the columns ``by`` (sorted by key, NaN keys kept)."""
    by = list(by)
    n_rows = len(df)
    if not by:
        keys = pd.DataFrame(index=pd.RangeIndex(1 if n_rows else 0))
        return Groups(np.zeros(n_rows, dtype=np.int64), 1 if n_rows else 0, keys)
    combined = None
    size = 1
    parts = []
    for col in by:
        codes, uniques = _factorize(df[col])
        parts.append((codes, uniques))
        k = max(len(uniques), 1)
        if combined is None:
            combined, size = codes, k
        else:
            if size * k >= 2**62:  # re-densify to avoid overflow
                combined, u = pd.factorize(combined, sort=True)
                size = len(u)
            combined = combined * k + codes
            size *= k
    if len(by) == 1:
        group_codes, u = parts[0]
        keys = pd.DataFrame({by[0]: pd.Index(u)})
        # a categorical key stays categorical with the same categories
        if isinstance(df[by[0]].dtype, pd.CategoricalDtype):
            keys[by[0]] = pd.Categorical(keys[by[0]], categories=df[by[0]].cat.categories)
        return Groups(group_codes, len(u), keys)
    if size <= max(4 * n_rows, 1_000_000):  # dense keys: bincount instead of hashing
        seen = np.bincount(combined, minlength=size) > 0
        remap = np.cumsum(seen) - 1
        group_codes = remap[combined]
        n = int(seen.sum())
    else:
        group_codes, uniq = pd.factorize(combined, sort=True)
        group_codes = group_codes.astype(np.int64, copy=False)
        n = len(uniq)
    first = np.empty(n, dtype=np.int64)
    first[group_codes[::-1]] = np.arange(n_rows - 1, -1, -1, dtype=np.int64)  # first occurrence wins
    keys = df[by].iloc[first].reset_index(drop=True)
    return Groups(group_codes, n, keys)


def group_blocks(df: pd.DataFrame, by: Sequence[str], block: int, *, per_block: bool = False) -> Groups | None:
    """Groups of a frame laid out in consecutive blocks of ``block`` rows, or ``None``.

    The usual layout of standardisation input is one block of age-band rows per area and
    period. When every ``by`` column is constant within each block (checked on every
    row), the groups are found from the block heads only (``block`` times fewer values
    to hash); otherwise ``None`` and the caller uses :func:`group_rows`. The result is
    the same as ``group_rows``', except that with ``per_block=True`` the codes are those
    of the blocks (one per block, ``block`` times fewer) instead of one per row.
    """
    by = list(by)
    n_rows = len(df)
    if not by or block < 2 or n_rows <= block or n_rows % block:
        return None
    n_blocks = n_rows // block
    combined = np.zeros(n_blocks, dtype=np.int64)
    size = 1
    for col in by:
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            return None  # keep group_rows' category order
        values = df[col].to_numpy()
        try:
            change = np.asarray(values[1:] != values[:-1], dtype=bool)
        except (TypeError, ValueError):
            return None
        head_change = change[block - 1 :: block]  # between consecutive blocks
        # every change must fall between blocks (NaN keys count as changes: fall back)
        if int(np.count_nonzero(change)) != int(np.count_nonzero(head_change)):
            return None
        starts = np.concatenate([[0], np.flatnonzero(head_change) + 1])  # blocks starting a run
        run_values = values[starts * block]
        if len(run_values) > 1000 and run_values.dtype == object:
            # run heads often cycle (periods within areas): find the cycle and tile
            again = np.flatnonzero(run_values[1:4097] == run_values[0])
            cycle = int(again[0]) + 1 if len(again) else 0
            run_codes, uniques = factorize(run_values, period=cycle or None)
        else:
            run_codes, uniques = pd.factorize(run_values, sort=True, use_na_sentinel=False)
        codes = np.repeat(run_codes.astype(np.int64), np.diff(np.append(starts, n_blocks)))
        k = max(len(uniques), 1)
        if size * k > max(4 * n_blocks, 1_000_000):
            return None
        combined = combined * k + codes
        size *= k
    seen = np.bincount(combined, minlength=size) > 0
    block_codes = (np.cumsum(seen) - 1)[combined]
    n = int(seen.sum())
    first = np.empty(n, dtype=np.int64)
    first[block_codes[::-1]] = np.arange(n_blocks - 1, -1, -1, dtype=np.int64)
    rows = first * block
    keys = pd.DataFrame({col: df[col].array.take(rows) for col in by})
    return Groups(block_codes if per_block else np.repeat(block_codes, block), n, keys)
