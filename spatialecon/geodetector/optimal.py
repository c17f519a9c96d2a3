"""The optimal-parameters geographical detector: the discretisation with the largest q."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spatialecon.geodetector._input import GeodetectorError, Missing, _rows, _y_values
from spatialecon.geodetector.discretise import (
    _METHOD_ALIASES,
    Discretization,
    discretize,
)

#: Methods tried by :func:`optimal_discretization` (``user_defined`` needs breaks, so it is not).
SEARCH_METHODS: tuple[str, ...] = (
    "equal_interval", "quantiles", "natural_breaks", "geometric", "std_mean"
)


@dataclass(frozen=True)
class OptimalDiscretization:
    """The best discretisation found by :func:`optimal_discretization`.

    Attributes
    ----------
    discretization
        The winning :class:`Discretization`.
    q
        Its q.
    table
        Every candidate: ``method``, ``k`` (asked), ``strata`` (formed), ``min_count``, ``q``,
        ``eligible`` (``min_count >= min_size``), ``best``.
    """

    discretization: Discretization
    q: float
    table: pd.DataFrame

    @property
    def method(self) -> str:
        return self.discretization.method

    @property
    def k(self) -> int:
        return self.discretization.k


def _q_of_codes(y: np.ndarray, codes: np.ndarray, k: int) -> float:
    n = np.bincount(codes, minlength=k).astype(float)
    yc = y - y.mean()
    s = np.bincount(codes, weights=yc, minlength=k)
    ss = np.bincount(codes, weights=yc * yc, minlength=k)
    keep = n > 0
    ssw = float(np.maximum(ss[keep] - s[keep] ** 2 / n[keep], 0.0).sum())
    return min(max(1.0 - ssw / float(np.sum(yc * yc)), 0.0), 1.0)


def optimal_discretization(
    df: pd.DataFrame,
    y: Hashable,
    x: Hashable,
    *,
    methods: Sequence[str] = SEARCH_METHODS,
    k: Iterable[int] = range(3, 9),
    min_size: int = 2,
    missing: Missing = "raise",
) -> OptimalDiscretization:
    """Search discretisation methods × numbers of strata for the largest q of ``x`` on ``y``.

    The optimal-parameters geographical detector (Song et al. 2020, R ``GD::optidisc``,
    ``gdverse::opgd``): every method in ``methods`` with every number of classes in ``k`` is
    tried; candidates with a class of fewer than ``min_size`` rows are not eligible (GD uses 2:
    a one-row stratum has no variance). Ties go to fewer strata, then to the earlier method.

    Parameters
    ----------
    df, y, missing
        As in :func:`factor_detector`; rows missing ``y`` or ``x`` are dropped with
        ``missing="drop"``.
    x
        The continuous column to discretise.
    methods
        Methods to try (see :func:`discretize`).
    k
        Numbers of classes to try.
    min_size
        Smallest admissible number of rows in a class.

    Returns
    -------
    OptimalDiscretization
        The best discretisation, its q and the search table; the discretisation's codes are
        aligned with ``df`` (``-1`` on dropped rows).

    Raises
    ------
    GeodetectorError
        No candidate is eligible (every one has a class smaller than ``min_size``).
    """
    y_values = _y_values(df, y)
    if x not in df.columns:
        raise GeodetectorError(f"no column {x!r}; the data have {list(df.columns)}")
    if x == y:
        raise GeodetectorError(f"{x!r} is both y and the variable to discretise")
    x_values = df[x]
    if pd.api.types.is_bool_dtype(x_values) or not pd.api.types.is_numeric_dtype(x_values):
        raise GeodetectorError(f"{x!r} is not numeric (dtype {x_values.dtype}); nothing to cut")
    gaps = np.isnan(y_values) | x_values.isna().to_numpy()
    if gaps.any() and missing == "raise":
        raise GeodetectorError(
            f"{int(gaps.sum())} row(s) miss {y!r} or {x!r} (rows {_rows(df.index, gaps)}); "
            "fill them or pass missing='drop'"
        )
    keep = ~gaps
    yk = y_values[keep]
    if len(yk) < 2 or yk.max() == yk.min():
        raise GeodetectorError(f"y {y!r} is constant or has fewer than two values; q is undefined")
    methods = [_METHOD_ALIASES.get(m, m) for m in methods]
    bad = [m for m in methods if m not in SEARCH_METHODS]
    if bad:
        raise GeodetectorError(f"methods must be among {', '.join(SEARCH_METHODS)}; got {bad}")
    rows, found = [], {}
    x_kept = x_values[keep]
    for method in methods:
        for kk in k:
            disc = discretize(x_kept, method, kk, name=x)
            q = _q_of_codes(yk, disc.codes, len(disc.breaks))
            min_count = int(disc.counts.min())
            rows.append({"method": method, "k": int(kk), "strata": len(disc.breaks),
                         "min_count": min_count, "q": q, "eligible": min_count >= min_size})
            found[(method, int(kk))] = disc
    table = pd.DataFrame(rows)
    eligible = table[table["eligible"]]
    if eligible.empty:
        raise GeodetectorError(
            f"no discretisation of {x!r} keeps every class at ≥ {min_size} rows; lower k or "
            "min_size"
        )
    order = {m: i for i, m in enumerate(methods)}
    ranked = eligible.assign(_m=eligible["method"].map(order)).sort_values(
        ["q", "strata", "_m", "k"], ascending=[False, True, True, True], kind="stable"
    )
    # q within rounding of the best counts as a tie (equal partitions from different methods)
    top = ranked[ranked["q"] >= ranked["q"].iloc[0] - 1e-12].sort_values(
        ["strata", "_m", "k"], kind="stable")
    winner = top.index[0]
    table["best"] = table.index == winner
    best = found[(table.at[winner, "method"], int(table.at[winner, "k"]))]
    codes = np.full(len(df), -1, dtype=np.intp)
    codes[keep] = best.codes
    best = Discretization(best.method, best.k, best.breaks, codes, best.counts, best.labels,
                          best.sampled, df.index)
    table.attrs = {"y": y, "x": x, "min_size": min_size, "n_dropped": int(gaps.sum())}
    return OptimalDiscretization(best, float(table.at[winner, "q"]), table)


