"""Sufficient statistics: count, sum and sum of squares of y per stratum, one pass for all."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from spatialecon.geodetector._input import _Data

# The joint table of all factors is used when it has at most this many cells (and not many more
# than rows); beyond it each pair gets its own bincount. 2**22 cells are 3 × 32 MiB.
_MAX_JOINT_CELLS = 2**22


@dataclass(frozen=True)
class Moments:
    """Per-stratum count, sum and sum of squares of ``y − shift`` (empty strata included)."""

    n: np.ndarray
    s: np.ndarray
    ss: np.ndarray
    shift: float


class _Tables:
    """Stratum moments of every factor and every pair of factors.

    ``y`` is centred on its mean first: the within-stratum sum of squares is then
    ``ss − s²/n`` of centred values, whose rounding error is at most ~n·ε of SST, so q is exact
    to ~1e-12 even at 10⁷ rows (an exact two-pass variance would cost two more passes per
    stratification, and q needs no more than that).
    """

    def __init__(self, data: _Data) -> None:
        y = data.y
        self.data = data
        self.shift = float(np.mean(y))
        yc = y - self.shift
        yc2 = yc * yc
        self.sizes = [max(len(lab), 1) for lab in data.labels]
        n = len(y)
        cells = math.prod(self.sizes)
        self._joint: np.ndarray | None = None
        self._single: dict[int, Moments] = {}
        if len(self.sizes) > 1 and cells <= min(_MAX_JOINT_CELLS, max(1 << 16, 4 * n)):
            # One joint code for all factors, read straight from the columns (codes are
            # raw − offset, so the offsets are subtracted once at the end): three bincounts
            # then give every factor's and every pair's moments as marginal sums of the table.
            raw, offsets, sizes = data.raw, data.offsets, self.sizes
            # (casting="unsafe": uint64 or int8 columns hold small codes here)
            joint = np.multiply(raw[0], sizes[1], dtype=np.intp, casting="unsafe")
            np.add(joint, raw[1], out=joint, casting="unsafe")
            offset = offsets[0] * sizes[1] + offsets[1]
            for r, o, k in zip(raw[2:], offsets[2:], sizes[2:], strict=True):
                joint *= k
                np.add(joint, r, out=joint, casting="unsafe")
                offset = offset * k + o
            if offset:
                joint -= offset
            # Moments on the first axis, so one reduction gives all three of a marginal; then
            # suffix sums (factor j's table summed over the factors after it), from which the
            # pair (i, j), i < j, sums only over the factors before j: ~5× fewer additions than
            # reducing the full table for every pair.
            table = np.stack([
                np.bincount(joint, minlength=cells).astype(np.float64),
                np.bincount(joint, weights=yc, minlength=cells),
                np.bincount(joint, weights=yc2, minlength=cells),
            ]).reshape((3, *sizes))
            self._suffix = [table]
            for axis in range(len(sizes) - 1, 0, -1):
                self._suffix.insert(0, self._suffix[0].sum(axis=axis + 1))
            self._joint = table
        else:
            self._yc, self._yc2 = yc, yc2

    def _marginal(self, axes: tuple[int, ...]) -> Moments:
        last = max(axes)
        others = tuple(a + 1 for a in range(last) if a not in axes)
        table = self._suffix[last]
        table = (table.sum(axis=others) if others else table).reshape(3, -1)
        return Moments(table[0], table[1], table[2], self.shift)

    def _count(self, codes: np.ndarray, cells: int) -> Moments:
        return Moments(
            np.bincount(codes, minlength=cells).astype(np.float64),
            np.bincount(codes, weights=self._yc, minlength=cells),
            np.bincount(codes, weights=self._yc2, minlength=cells),
            self.shift,
        )

    def single(self, i: int) -> Moments:
        if i not in self._single:
            self._single[i] = (self._marginal((i,)) if self._joint is not None
                               else self._count(self.data.code(i), self.sizes[i]))
        return self._single[i]

    def pair(self, i: int, j: int) -> Moments:
        if self._joint is not None:
            return self._marginal((i, j))
        combined = self.data.code(i) * self.sizes[j] + self.data.code(j)
        cells = self.sizes[i] * self.sizes[j]
        if cells <= _MAX_JOINT_CELLS:
            return self._count(combined, cells)
        _, inverse = np.unique(combined, return_inverse=True)
        return self._count(inverse, int(inverse.max()) + 1)


