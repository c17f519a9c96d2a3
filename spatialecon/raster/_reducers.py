"""Reducers of zonal statistics: per-polygon moments merged over windows, weighted quantiles
(exactextract's and numpy's), majority, and the table of requested statistics.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from spatialecon.raster._io import RasterError

#: What :func:`~spatialecon.raster.zonal_stats` can compute, besides percentiles ``"p<q>"``
#: (``"p10"``, ``"p2.5"``).
STATISTICS: tuple[str, ...] = ("mean", "min", "max", "std", "count", "sum", "median", "majority",
                               "range", "cells", "nodata")
_PERCENTILE = re.compile(r"^p(\d+(?:\.\d+)?)$")


class _Reducer:
    """Per-polygon statistics merged over windows.

    Moments are merged with Chan et al.'s parallel update, so a polygon split across windows
    gets the same mean and variance (up to rounding) as in one window; order statistics keep
    one entry per distinct (polygon, value) with its total weight.
    """

    def __init__(self, n: int, keep_values: bool) -> None:
        self.n = n
        self.count = np.zeros(n)
        self.total = np.zeros(n)
        self.mean = np.zeros(n)
        self.m2 = np.zeros(n)
        self.vmin = np.full(n, np.inf)
        self.vmax = np.full(n, -np.inf)
        self.cells = np.zeros(n, dtype=np.int64)
        self.nodata = np.zeros(n)
        self.keep_values = keep_values
        self._values: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, poly: np.ndarray, weight: np.ndarray, values: np.ndarray,
            valid: np.ndarray, window: int = 0) -> None:
        """Add the cells of window number ``window`` (counted on the raster's fixed grid of
        windows, so that every polygon sees the same windows in whatever call it is)."""
        n = self.n
        if not valid.all():
            bad = ~valid
            self.nodata += np.bincount(poly[bad], weights=weight[bad], minlength=n)
            poly, weight, values = poly[valid], weight[valid], values[valid]
        if not len(poly):
            return
        c = np.bincount(poly, weights=weight, minlength=n)
        s = np.bincount(poly, weights=weight * values, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.where(c > 0, s / c, 0.0)
            d = values - m[poly]
            m2 = np.bincount(poly, weights=weight * d * d, minlength=n)
            total = self.count + c
            frac = np.where(total > 0, c / total, 0.0)
        delta = m - self.mean
        self.m2 += m2 + delta * delta * self.count * frac
        self.mean += delta * frac
        self.count = total
        self.total += s
        np.minimum.at(self.vmin, poly, values)
        np.maximum.at(self.vmax, poly, values)
        self.cells += np.bincount(poly, minlength=n)
        if self.keep_values:
            # One entry per distinct (polygon, value) of the window, and the windows merged
            # every _MERGE_WINDOWS windows of the fixed grid: memory stays bounded, and a
            # polygon's weights are summed in groups set by the windows alone, not by the
            # other polygons of the call (so blocks of polygons concatenate exactly).
            self._values.append(_distinct([(poly, values, weight)]))
            if (window + 1) % _MERGE_WINDOWS == 0 and len(self._values) > 1:
                self._values = [_distinct(self._values)]

    def _distinct(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(polygon, value, total weight) of each distinct pair, sorted by polygon and value."""
        return _distinct(self._values)


#: Windows between two merges of the stored (polygon, value, weight) entries of order statistics.
_MERGE_WINDOWS = 8


def _distinct(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(polygon, value, total weight) of each distinct pair of ``parts``, sorted by polygon and
    value; equal pairs are summed in the order of ``parts`` (a stable sort)."""
    if not parts:
        return np.zeros(0, np.intp), np.zeros(0), np.zeros(0)
    poly = np.concatenate([p for p, _, _ in parts])
    value = np.concatenate([x for _, x, _ in parts])
    weight = np.concatenate([w for _, _, w in parts])
    order = np.lexsort((value, poly))
    poly, value, weight = poly[order], value[order], weight[order]
    start = np.flatnonzero(np.r_[True, (poly[1:] != poly[:-1]) | (value[1:] != value[:-1])])
    return poly[start], value[start], np.add.reduceat(weight, start)


def _group_starts(poly: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.bincount(poly, minlength=n)
    return np.cumsum(sizes) - sizes, sizes


def _quantiles_exactextract(poly: np.ndarray, x: np.ndarray, w: np.ndarray, n: int,
                            qs: Sequence[float]) -> list[np.ndarray]:
    """exactextract's weighted quantile (the "weighted percentile method") per polygon.

    Over the polygon's distinct values x_0 < … < x_{m−1} with weights w_k:
    s_k = k·w_k + (m − 1)·Σ_{j<k} w_j, and the q-quantile interpolates x linearly in s at
    q·(m − 1)·Σw. With equal weights this is numpy's linear (type 7) quantile.
    """
    start, size = _group_starts(poly, n)
    k = np.arange(len(poly)) - start[poly]
    m = size[poly]
    csum = pd.Series(w).groupby(poly).cumsum().to_numpy() if len(w) else w
    s = k * w + (m - 1) * (csum - w)
    total = np.bincount(poly, weights=w, minlength=n)
    out = []
    for q in qs:
        target = q * total * (size - 1)
        below = np.bincount(poly, weights=(s <= target[poly]).astype(float), minlength=n)
        right = np.round(below).astype(np.intp)
        res = np.full(n, np.nan)
        has = size > 0
        first = has & (right == 0)
        last = has & (right >= size)
        mid = has & ~first & ~last
        res[first] = x[start[first]]
        res[last] = x[start[last] + size[last] - 1]
        r = start[mid] + right[mid]
        left = r - 1
        with np.errstate(invalid="ignore", divide="ignore"):
            res[mid] = x[left] + (target[mid] - s[left]) * (x[r] - x[left]) / (s[r] - s[left])
        out.append(res)
    return out


def _quantiles_cells(poly: np.ndarray, x: np.ndarray, counts: np.ndarray, n: int,
                     qs: Sequence[float]) -> list[np.ndarray]:
    """numpy's linear (type 7) percentile of the cells, from distinct values and their counts."""
    start, size = _group_starts(poly, n)
    cum = pd.Series(counts).groupby(poly).cumsum().to_numpy() if len(counts) else counts
    total = np.bincount(poly, weights=counts, minlength=n)
    out = []
    for q in qs:
        h = q * (total - 1)
        lo = np.floor(h)
        t = h - lo
        hi = np.minimum(lo + 1, total - 1)
        # rank r sits at the first distinct value whose cumulative count exceeds r
        idx_lo = start + np.round(np.bincount(poly, weights=(cum <= lo[poly]).astype(float),
                                              minlength=n)).astype(np.intp)
        idx_hi = start + np.round(np.bincount(poly, weights=(cum <= hi[poly]).astype(float),
                                              minlength=n)).astype(np.intp)
        res = np.full(n, np.nan)
        has = size > 0
        a, b, tt = x[idx_lo[has]], x[idx_hi[has]], t[has]
        # numpy's _lerp, for the same rounding
        res[has] = np.where(tt >= 0.5, b - (b - a) * (1 - tt), a + (b - a) * tt)
        out.append(res)
    return out


def _majority(poly: np.ndarray, x: np.ndarray, w: np.ndarray, n: int,
              ties: Literal["smallest", "largest"]) -> np.ndarray:
    start, size = _group_starts(poly, n)
    res = np.full(n, np.nan)
    has = size > 0
    if not has.any():
        return res
    best = np.maximum.reduceat(w, start[has])
    top = np.flatnonzero(w == np.repeat(best, size[has]))
    owner = poly[top]
    if ties == "smallest":
        pick = top[np.r_[True, owner[1:] != owner[:-1]]]
    else:
        pick = top[np.r_[owner[1:] != owner[:-1], True]]
    res[poly[pick]] = x[pick]
    return res


def _parse_stats(stats: str | Sequence[str]) -> tuple[list[str], dict[str, float]]:
    names = [stats] if isinstance(stats, str) else list(stats)
    if not names:
        raise RasterError("stats is empty; ask for at least one statistic")
    percentiles = {}
    for name in names:
        if name in STATISTICS:
            continue
        match = _PERCENTILE.match(str(name))
        if match and 0 <= float(match.group(1)) <= 100:
            percentiles[name] = float(match.group(1)) / 100
            continue
        raise RasterError(f"unknown statistic {name!r}; choose from {', '.join(STATISTICS)} or "
                          "a percentile 'p<0–100>' such as 'p10' or 'p2.5'")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise RasterError(f"statistics listed more than once: {duplicated}")
    if "median" in names:
        percentiles["median"] = 0.5
    return names, percentiles



def _assemble(names: list[str], percentiles: dict[str, float], r: _Reducer,
              rule: str) -> pd.DataFrame:
    n = r.n
    has = r.count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(has, r.total / r.count, np.nan)
        std = np.where(has, np.sqrt(np.maximum(r.m2, 0.0) / r.count), np.nan)
    vmin = np.where(has, r.vmin, np.nan)
    vmax = np.where(has, r.vmax, np.nan)
    columns: dict[str, np.ndarray] = {}
    order = {}
    if percentiles or "majority" in names:
        poly, x, w = r._distinct()
        if percentiles:
            qs = list(percentiles.values())
            func = _quantiles_exactextract if rule == "coverage" else _quantiles_cells
            order = dict(zip(percentiles, func(poly, x, w, n, qs), strict=True))
        if "majority" in names:
            order["majority"] = _majority(poly, x, w, n,
                                          "largest" if rule == "coverage" else "smallest")
    for name in names:
        if name == "mean":
            columns[name] = mean
        elif name == "min":
            columns[name] = vmin
        elif name == "max":
            columns[name] = vmax
        elif name == "range":
            columns[name] = vmax - vmin
        elif name == "std":
            columns[name] = std
        elif name == "count":
            columns[name] = r.count.copy()
        elif name == "sum":
            columns[name] = np.where(has, r.total, np.nan)
        elif name == "cells":
            columns[name] = r.cells.copy()
        elif name == "nodata":
            columns[name] = r.nodata.copy()
        else:
            columns[name] = order[name]
    return pd.DataFrame(columns, index=pd.RangeIndex(n))

