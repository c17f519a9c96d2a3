"""Input of every detector: ``y`` as float64 and each factor as integer stratum codes, checked,
with missing rows named or dropped; the conventions every detector shares."""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numba import njit

from spatialecon.validation import SpatialEconError, check_finite

Variance = Literal["sample", "population"]
Singletons = Literal["keep", "drop"]
Missing = Literal["raise", "drop"]


class GeodetectorError(SpatialEconError):
    """Input the geographical detector cannot use; the message says what to change."""


@njit(cache=True, nogil=True)
def _bounds(values):  # pragma: no cover - numba
    """Minimum and maximum in one pass (numpy's min and max are two; this one vectorises)."""
    low = high = values[0]
    for v in values:
        low = min(low, v)
        high = max(high, v)
    return low, high


def _rows(index: pd.Index, mask: np.ndarray, limit: int = 8) -> str:
    labels = [repr(v) for v in index[mask][:limit]]
    more = f" … ({int(mask.sum())} in all)" if mask.sum() > limit else ""
    return ", ".join(labels) + more


def _y_values(df: pd.DataFrame, y: Hashable) -> np.ndarray:
    if y not in df.columns:
        raise GeodetectorError(f"no column {y!r} for y; the data have {list(df.columns)}")
    series = df[y]
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        raise GeodetectorError(
            f"y column {y!r} is not numeric (dtype {series.dtype}); convert it first, e.g. "
            f"pd.to_numeric(df[{y!r}], errors='coerce')"
        )
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    # A finite sum (one pass) means no NaN and no infinity: the named check runs only otherwise.
    if not np.isfinite(np.sum(values)):
        check_finite(series, variable=f"y column {y!r}", allow_nan=True,
                     hint="Replace them (np.nan with missing='drop') or fix them")
    return values


def _encode(series: pd.Series, name: Hashable) -> tuple[np.ndarray, np.ndarray, int]:
    """Stratum codes (``-1`` where missing), the labels they index (sorted) and an offset.

    The codes are ``array − offset``: a numpy integer column in a small range is returned as is
    with its minimum as offset, so building the joint code reads it once, without a copy.
    Labels may include strata without rows (a small integer range with gaps, unused categories):
    they have zero counts and no detector counts them, and not compacting them saves a pass.

    Raises
    ------
    GeodetectorError
        Non-integral floats: continuous values, which must be discretised first.
    """
    values = series
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()  # int8 up to 127 categories: used without a copy
        labels = np.asarray(values.cat.categories, dtype=object)
        if len(labels) <= 256:
            return codes, labels, 0
        return (*_maybe_compact(codes.astype(np.intp), labels), 0)
    if pd.api.types.is_bool_dtype(values) and not values.isna().any():
        return values.to_numpy().astype(np.intp), np.array([False, True], dtype=object), 0
    if pd.api.types.is_float_dtype(values):
        raw = values.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(raw)
        present = raw[~missing]
        fractional = present != np.round(present)
        if fractional.any() or np.isinf(present).any():
            distinct = np.unique(present)
            example = ", ".join(f"{v:g}" for v in present[fractional][:3])
            raise GeodetectorError(
                f"factor {name!r} holds continuous values ({len(distinct)} distinct floats such "
                f"as {example}), not strata. Discretise it first: "
                f"discretize(df[{name!r}], 'quantiles', k=5), optimal_discretization(df, y, "
                f"{name!r}), or geodetector(..., discretize={{{name!r}: 'optimal'}})"
            )
        # Integer-valued floats (1.0, 2.0 …, what a CSV with gaps gives) are strata.
        return _integer_codes(np.where(missing, 0, raw).astype(np.int64),
                              missing if missing.any() else None)
    if pd.api.types.is_integer_dtype(values):
        if isinstance(values.dtype, np.dtype):  # numpy integers cannot be missing
            raw = values.to_numpy()
            low, high = (int(v) for v in _bounds(raw)) if len(raw) else (0, -1)
            if high - low < 256:
                return raw, np.arange(low, high + 1, dtype=np.int64), low
            return _integer_codes(raw, None)
        missing = values.isna().to_numpy()
        return _integer_codes(values.to_numpy(dtype="int64", na_value=0),
                              missing if missing.any() else None)
    try:
        codes, labels = pd.factorize(values, sort=True)
    except TypeError:  # labels of mixed types that do not sort
        codes, labels = pd.factorize(values, sort=False)
    return codes.astype(np.intp), np.asarray(labels, dtype=object), 0


def _integer_codes(values: np.ndarray,
                   missing: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, int]:
    present = values if missing is None else values[~missing]
    if len(present) == 0:
        return np.full(len(values), -1, dtype=np.intp), np.array([], dtype=np.int64), 0
    low, high = int(present.min()), int(present.max())
    if high - low <= max(4 * len(values), 1 << 16):
        # Offsets into a dense range: one subtraction instead of a hash table per row.
        codes = np.subtract(values, low, dtype=np.intp)
        if missing is not None:
            codes[missing] = -1
        return (*_maybe_compact(codes, np.arange(low, high + 1, dtype=np.int64)), 0)
    codes, labels = pd.factorize(pd.Series(values if missing is None
                                           else np.where(missing, np.nan, values)), sort=True)
    return codes.astype(np.intp), np.asarray(labels).astype(np.int64), 0


def _maybe_compact(codes: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Compact only wide label ranges, where empty strata would bloat the joint table."""
    return (codes, labels) if len(labels) <= 256 else _compact(codes, labels)


def _compact(codes: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber codes so that only strata with rows remain."""
    valid = codes >= 0
    all_valid = bool(valid.all())
    used = np.bincount(codes if all_valid else codes[valid], minlength=len(labels)) > 0
    if used.all():
        return codes, labels
    lookup = np.cumsum(used) - 1
    out = np.full(len(codes), -1, dtype=np.intp)
    out[valid] = lookup[codes[valid]]
    return out, labels[used]


@dataclass
class _Data:
    """Rows ready for the detectors: y, stratum codes per factor, and what was dropped."""

    y: np.ndarray
    names: list[Hashable]
    raw: list[np.ndarray]  # codes + offsets
    offsets: list[int]
    labels: list[np.ndarray]
    index: pd.Index
    n_dropped: int = 0
    missing_by_column: dict = field(default_factory=dict)

    def code(self, i: int) -> np.ndarray:
        """Stratum codes 0…L−1 of factor ``i`` (``-1`` where missing)."""
        if self.offsets[i] != 0 or self.raw[i].dtype != np.intp:
            self.raw[i] = np.subtract(self.raw[i], self.offsets[i], dtype=np.intp,
                                      casting="unsafe")
            self.offsets[i] = 0
        return self.raw[i]

    def subset(self, mask: np.ndarray) -> _Data:
        codes, labels = [], []
        for i, lab in enumerate(self.labels):
            sub, sub_labels = _maybe_compact(self.code(i)[mask], lab)
            codes.append(sub)
            labels.append(sub_labels)
        return _Data(self.y[mask], self.names, codes, [0] * len(codes), labels,
                     self.index[mask], self.n_dropped, self.missing_by_column)


def _factor_list(factors: Hashable | Sequence[Hashable]) -> list[Hashable]:
    if isinstance(factors, (str, bytes)) or not isinstance(factors, Iterable):
        return [factors]
    names = list(factors)
    duplicated = sorted({str(f) for f in names if names.count(f) > 1})
    if duplicated:
        raise GeodetectorError(f"factors listed more than once: {', '.join(duplicated)}")
    return names


def _prepare(
    df: pd.DataFrame, y: Hashable, factors: Sequence[Hashable], missing: Missing,
    *, min_factors: int = 1,
) -> _Data:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, not {type(df).__name__}")
    if missing not in ("raise", "drop"):
        raise GeodetectorError(f"missing must be 'raise' or 'drop', not {missing!r}")
    names = _factor_list(factors)
    if len(names) < min_factors:
        raise GeodetectorError(f"this detector needs at least {min_factors} factors, got {names}")
    absent = [f for f in names if f not in df.columns]
    if absent:
        raise GeodetectorError(f"no factor column(s) {absent}; the data have {list(df.columns)}")
    if y in names:
        raise GeodetectorError(f"{y!r} is both y and a factor")
    y_values = _y_values(df, y)
    encoded = [_encode(df[f], f) for f in names]
    # (a finite sum has no NaN: the NaN pass runs only otherwise)
    holes = {y: np.isnan(y_values)} if not np.isfinite(np.sum(y_values)) else {}
    for f, (codes, _, _) in zip(names, encoded, strict=True):
        # codes from a numpy integer column are never negative: skip the check
        if not (isinstance(df[f].dtype, np.dtype) and df[f].dtype.kind in "iu"):
            holes[f] = codes < 0
    holes = {k: v for k, v in holes.items() if v.any()}
    counts = {k: int(v.sum()) for k, v in holes.items()}
    keep = ~np.logical_or.reduce(list(holes.values())) if holes else None
    if counts and missing == "raise":
        details = "; ".join(f"{k!r}: {n} at rows {_rows(df.index, holes[k])}"
                            for k, n in counts.items())
        raise GeodetectorError(
            f"missing values in {details}. Fill or remove them, or pass missing='drop' to drop "
            f"the {int((~keep).sum())} incomplete row(s) (the count is kept in the result's attrs)"
        )
    data = _Data(y_values, names, [c for c, _, _ in encoded], [o for _, _, o in encoded],
                 [lab for _, lab, _ in encoded], df.index)
    if keep is not None:
        data = data.subset(keep)
        data.n_dropped = int((~keep).sum())
    data.missing_by_column = {str(k): n for k, n in counts.items()}
    if len(data.y) < 2:
        raise GeodetectorError(f"only {len(data.y)} complete row(s); q needs at least two")
    if _constant(data.y):
        raise GeodetectorError(
            f"y {y!r} is constant (all {len(data.y)} values equal {data.y[0]:g}), so it has no "
            "variance to explain and q is undefined; check the column or the subset"
        )
    return data


def _constant(y: np.ndarray) -> bool:
    head = y[:1024]  # varying values are almost always found here, without a pass over all
    if head.max() != head.min():
        return False
    return bool(y.max() == y.min())


def _check_strata(data: _Data, counts: Sequence[np.ndarray]) -> None:
    """Warnings about factors that are valid input but rarely what the analyst meant."""
    n = len(data.y)
    for name, labels, count in zip(data.names, data.labels, counts, strict=True):
        used = labels[np.asarray(count)[: len(labels)] > 0]
        if len(used) == 1:
            warnings.warn(
                f"factor {name!r} has a single stratum ({used[0]!r}) in these {n} rows: q = 0 "
                "and its p-value is undefined (NaN); drop the factor or check the subset",
                UserWarning, stacklevel=3,
            )
        elif len(used) > n / 2:
            warnings.warn(
                f"factor {name!r} has {len(used)} strata for {n} rows, so most strata hold one "
                "or two rows and q is inflated; if it is a continuous variable, discretise it "
                "(discretize() or optimal_discretization())",
                UserWarning, stacklevel=3,
            )


def check_conventions(variance: str, singletons: str) -> None:
    """Validate the variance and singleton conventions (shared with the raster detector)."""
    if variance not in ("sample", "population"):
        raise GeodetectorError(f"variance must be 'sample' or 'population', not {variance!r}")
    if singletons not in ("keep", "drop"):
        raise GeodetectorError(f"singletons must be 'keep' or 'drop', not {singletons!r}")


def _attrs(y: Hashable, data: _Data, missing: str, **conventions: Any) -> dict:
    return {"y": y, **conventions, "missing": missing, "n_dropped": data.n_dropped,
            "missing_by_column": dict(data.missing_by_column)}


