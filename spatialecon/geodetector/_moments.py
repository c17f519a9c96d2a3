"""Sufficient statistics: count, sum and sum of squares of y per stratum — computed for a chunk of
rows in one pass, and merged across chunks.

Every detector is a function of three numbers per stratum (the count, the sum and the sum of
squares of ``y``), for each factor and each pair of factors. They are kept per cell of the joint
table of all factors when it is small (6 factors of 5–8 strata: 50,400 cells), so that each
factor's and each pair's moments are marginal sums of one table; beyond
:data:`_MAX_JOINT_CELLS` cells, per factor and per pair (a pair's table sparse beyond it too).

Sums are of ``y − shift``, ``shift`` being the mean of the rows: the within-stratum sum of
squares ``ss − s²/n`` of centred values then carries a rounding error of at most ~n·ε of SST, so
q is exact to ~1e-12 even at 10⁷ rows. Chunks have their own shifts (their own means);
:func:`merge_moments` moves every part to the pooled mean before adding (``s + n·d``,
``ss + d·(2s + n·d)``), which keeps that accuracy, so a chunked computation (a Dask partition per
chunk) gives the q and p of one pass to ~1e-13.

The two passes over the rows (a stratum code per row, then the moments) are numba loops: numpy
needs a multiply–add pass per factor over an intp array for the code and then three
``bincount`` passes, about 3× the time at 10⁷ rows. The accumulation order is the rows' order,
as in ``bincount``, so the sums are the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from spatialecon.geodetector._input import GeodetectorError, _Data

# The joint table of all factors is used when it has at most this many cells (and, for the
# detectors on a data frame, not many more than rows); beyond it each factor and each pair gets
# its own table. 2**22 cells are 3 × 32 MiB.
_MAX_JOINT_CELLS = 2**22


# ─────────────────────────────────────────────────────────────────────────────────────────────
# The two passes over the rows
# ─────────────────────────────────────────────────────────────────────────────────────────────


@njit(cache=True, nogil=True)
def _add_codes(index, codes, offset, size, stride, first):  # pragma: no cover - numba
    """``index (+)= (codes − offset) · stride``; returns the smallest and largest
    ``codes − offset`` (out of range unless within [0, size); min/max rather than a branch per
    row, so the loop vectorises)."""
    low, high = size, np.int64(-1)
    n = index.shape[0]
    if first:
        for i in range(n):
            c = np.int64(codes[i]) - offset
            low = min(low, c)
            high = max(high, c)
            index[i] = c * stride
    else:
        for i in range(n):
            c = np.int64(codes[i]) - offset
            low = min(low, c)
            high = max(high, c)
            index[i] += c * stride
    return low, high


@njit(cache=True, nogil=True)
def _cell_moments(index, y, shift, cells):  # pragma: no cover - numba
    """Count, sum and sum of squares of ``y − shift`` per cell, one row of three per cell (the
    three updates of a row share a cache line)."""
    out = np.zeros((cells, 3))
    for i in range(index.shape[0]):
        k = index[i]
        v = y[i] - shift
        out[k, 0] += 1.0
        out[k, 1] += v
        out[k, 2] += v * v
    return out


def _cell_index(codes: Sequence[np.ndarray], offsets: Sequence[int], sizes: Sequence[int],
                names: Sequence[Hashable]) -> np.ndarray:
    """The cell of each row in the row-major table of ``sizes`` (checked: the kernel that reads
    it does not check bounds)."""
    cells = math.prod(sizes)
    index = np.empty(len(codes[0]), dtype=np.int32 if cells < 2**31 else np.int64)
    stride = cells
    for i, (c, o, k, name) in enumerate(zip(codes, offsets, sizes, names, strict=True)):
        stride //= k
        low, high = _add_codes(index, np.asarray(c), np.int64(o), np.int64(k), np.int64(stride),
                               i == 0)
        if low < 0 or high >= k:
            values = np.asarray(c).astype(np.int64) - o
            rows = np.flatnonzero((values < 0) | (values >= k))
            raise GeodetectorError(
                f"factor {name!r}: {len(rows)} stratum code(s) outside 0…{k - 1} (rows "
                f"{', '.join(map(str, rows[:8]))}{' …' if len(rows) > 8 else ''}); encode every "
                "chunk with the same strata (e.g. categoricals with fixed categories) and pass "
                "their number in sizes"
            )
    return index


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Tables of moments
# ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Moments:
    """Per-stratum count, sum and sum of squares of ``y − shift``.

    Dense (``keys`` None: stratum ``h`` at position ``h``, empty strata included) or sparse
    (``keys``: the codes of the strata present, increasing).
    """

    n: np.ndarray
    s: np.ndarray
    ss: np.ndarray
    shift: float
    keys: np.ndarray | None = None

    def reshift(self, shift: float) -> Moments:
        """The same moments about another shift."""
        d = self.shift - shift
        if d == 0:
            return self
        return Moments(self.n, self.s + self.n * d, self.ss + d * (2 * self.s + self.n * d),
                       shift, self.keys)


def _add(a: Moments, b: Moments) -> Moments:
    """Sum of two tables of one stratification about the same shift."""
    if a.keys is None and b.keys is None:
        return Moments(a.n + b.n, a.s + b.s, a.ss + b.ss, a.shift)
    ka = a.keys if a.keys is not None else np.flatnonzero(a.n)
    kb = b.keys if b.keys is not None else np.flatnonzero(b.n)
    pick = [(m.n, m.s, m.ss) if m.keys is not None else (m.n[k], m.s[k], m.ss[k])
            for m, k in ((a, ka), (b, kb))]
    keys, inverse = np.unique(np.concatenate([ka, kb]), return_inverse=True)
    n, s, ss = (np.bincount(inverse, weights=np.concatenate([pa, pb]), minlength=len(keys))
                for pa, pb in zip(*pick, strict=True))
    return Moments(n, s, ss, a.shift, keys)


@dataclass
class StrataMoments:
    """Mergeable sufficient statistics of ``y`` over the strata of k factors and of their pairs.

    Attributes
    ----------
    sizes
        Number of strata of each factor (codes 0 … size − 1); equal in every merged chunk.
    shift
        The sums are of ``y − shift``.
    joint
        Array ``(3, *sizes)``: count, sum and sum of squares per cell of the joint table of all
        factors; None when the table would be too large, and then:
    singles
        One dense :class:`Moments` per factor, and
    pairs
        ``(i, j) → Moments`` for every pair ``i < j`` (dense up to :data:`_MAX_JOINT_CELLS`
        cells, sparse beyond); empty when computed without pairs.
    """

    sizes: tuple[int, ...]
    shift: float
    joint: np.ndarray | None = None
    singles: tuple[Moments, ...] = ()
    pairs: Mapping[tuple[int, int], Moments] = field(default_factory=dict)
    _suffix: list[np.ndarray] | None = field(default=None, init=False, repr=False)

    @property
    def rows(self) -> int:
        """Number of rows summarised."""
        counts = self.joint[0] if self.joint is not None else self.singles[0].n
        return round(float(counts.sum()))

    @property
    def total(self) -> float:
        """Sum of ``y − shift`` over all rows."""
        return float(self.joint[1].sum() if self.joint is not None else self.singles[0].s.sum())

    def _marginal(self, axes: tuple[int, ...]) -> Moments:
        # Suffix sums (factor j's table summed over the factors after it), from which the pair
        # (i, j), i < j, sums only over the factors before j: ~5× fewer additions than reducing
        # the full table for every pair.
        if self._suffix is None:
            suffix = [self.joint]
            for axis in range(len(self.sizes) - 1, 0, -1):
                suffix.insert(0, suffix[0].sum(axis=axis + 1))
            self._suffix = suffix
        last = max(axes)
        others = tuple(a + 1 for a in range(last) if a not in axes)
        table = self._suffix[last]
        table = (table.sum(axis=others) if others else table).reshape(3, -1)
        return Moments(table[0], table[1], table[2], self.shift)

    def single(self, i: int) -> Moments:
        """Moments of the strata of factor ``i``."""
        return self._marginal((i,)) if self.joint is not None else self.singles[i]

    def pair(self, i: int, j: int) -> Moments:
        """Moments of the cells of factors ``i`` and ``j`` crossed (row-major, ``i < j``)."""
        if self.joint is not None:
            return self._marginal((i, j))
        if (i, j) not in self.pairs:
            raise GeodetectorError(f"the moments of factors {i} and {j} crossed were not computed "
                                   "(chunk_moments(..., pairs=True) computes them)")
        return self.pairs[(i, j)]

    def split(self, pairs: bool = True) -> StrataMoments:
        """The same moments per factor and per pair (what a joint table merges with a split one
        as)."""
        if self.joint is None:
            return self
        k = len(self.sizes)
        return StrataMoments(
            self.sizes, self.shift, None, tuple(self.single(i) for i in range(k)),
            {(i, j): self.pair(i, j) for i in range(k) for j in range(i + 1, k)} if pairs else {},
        )

    def reshift(self, shift: float) -> StrataMoments:
        """The same moments about another shift."""
        d = self.shift - shift
        if d == 0:
            return self
        if self.joint is not None:
            n, s, ss = self.joint
            return StrataMoments(self.sizes, shift, np.stack([n, s + n * d,
                                                              ss + d * (2 * s + n * d)]))
        return StrataMoments(self.sizes, shift, None,
                             tuple(m.reshift(shift) for m in self.singles),
                             {key: m.reshift(shift) for key, m in self.pairs.items()})


def chunk_moments(
    y: np.ndarray,
    codes: Sequence[np.ndarray],
    sizes: Sequence[int],
    *,
    offsets: Sequence[int] | None = None,
    shift: float | None = None,
    pairs: bool = True,
    joint_limit: int = _MAX_JOINT_CELLS,
    names: Sequence[Hashable] | None = None,
) -> StrataMoments:
    """Sufficient statistics of one chunk of rows, mergeable with other chunks'.

    Parameters
    ----------
    y
        Response values of the chunk, finite (drop missing rows first).
    codes
        Stratum codes of each factor, integers ``0 … size − 1`` (or ``offset … offset + size −
        1`` with ``offsets``), aligned with ``y``. Chunks that are merged must be encoded with
        the same strata (e.g. pandas categoricals with fixed categories, or integers with a
        known range).
    sizes
        Number of strata of each factor, the same for every chunk.
    offsets
        Subtracted from each factor's codes (default 0): a small-range integer column is used as
        it is, without a copy.
    shift
        The sums are of ``y − shift``; default the chunk's mean (what keeps the sums of squares
        accurate; :func:`merge_moments` reconciles different shifts).
    pairs
        Also compute every pair of factors' moments when the joint table is too large (it
        always holds them).
    joint_limit
        Largest joint table (cells) kept; merged chunks may differ in this.
    names
        Factor names for messages.

    Returns
    -------
    StrataMoments

    Raises
    ------
    GeodetectorError
        Codes outside their range (named by factor and row), non-finite ``y``, or lengths that
        differ.
    """
    y = np.asarray(y, dtype=np.float64)
    k = len(sizes)
    sizes = tuple(max(int(s), 1) for s in sizes)
    names = list(names) if names is not None else list(range(k))
    offsets = [0] * k if offsets is None else [int(o) for o in offsets]
    if len(codes) != k or len(offsets) != k or k == 0:
        raise GeodetectorError(f"{len(codes)} code array(s), {k} size(s) and {len(offsets)} "
                               "offset(s): give one of each per factor, at least one factor")
    codes = [np.asarray(c) for c in codes]
    floats = [str(name) for name, c in zip(names, codes, strict=True) if c.dtype.kind not in "iub"]
    if floats:
        raise GeodetectorError(
            f"stratum codes of {', '.join(floats)} are not integers; encode the strata first "
            "(e.g. Series.cat.codes of categoricals with fixed categories)"
        )
    lengths = {len(c) for c in codes}
    if lengths != {len(y)}:
        raise GeodetectorError(f"y has {len(y)} rows but the codes have {sorted(lengths)}")
    total = float(np.sum(y))  # one pass: finite iff every value is (or it overflowed)
    if not math.isfinite(total):
        bad = np.flatnonzero(~np.isfinite(y))
        raise GeodetectorError(
            f"y holds {len(bad)} non-finite value(s) in this chunk (rows "
            f"{', '.join(map(str, bad[:8]))}); drop or fill them before computing moments"
            if len(bad) else "the sum of y overflows float64; rescale y"
        )
    if shift is None:
        shift = total / len(y) if len(y) else 0.0
    cells = math.prod(sizes)
    if cells <= joint_limit:
        index = _cell_index(codes, offsets, sizes, names)
        table = _cell_moments(index, y, float(shift), cells)
        return StrataMoments(sizes, float(shift),
                             np.ascontiguousarray(table.T).reshape((3, *sizes)))

    def table_of(index: np.ndarray, cells: int, keys: np.ndarray | None = None) -> Moments:
        t = _cell_moments(index, y, float(shift), cells)
        return Moments(t[:, 0].copy(), t[:, 1].copy(), t[:, 2].copy(), float(shift), keys)

    singles = tuple(table_of(_cell_index([codes[i]], [offsets[i]], [sizes[i]], [names[i]]),
                             sizes[i]) for i in range(k))
    pair_tables: dict[tuple[int, int], Moments] = {}
    for i in range(k) if pairs else ():
        for j in range(i + 1, k):
            cells = sizes[i] * sizes[j]
            index = _cell_index([codes[i], codes[j]], [offsets[i], offsets[j]],
                                [sizes[i], sizes[j]], [names[i], names[j]])
            if cells <= _MAX_JOINT_CELLS:
                pair_tables[(i, j)] = table_of(index, cells)
            else:  # only the cells present (hash of the codes)
                keys, inverse = np.unique(index, return_inverse=True)
                pair_tables[(i, j)] = table_of(inverse.astype(np.intp), len(keys), keys)
    return StrataMoments(sizes, float(shift), None, singles, pair_tables)


def merge_moments(parts: Iterable[StrataMoments]) -> StrataMoments:
    """Sum the moments of chunks of rows (e.g. one per Dask partition) into those of all rows.

    Every part is moved to the pooled mean of ``y`` first, so the sums of squares stay as
    accurate as in one pass. Parts with a joint table and parts without merge per factor and
    per pair.

    Raises
    ------
    GeodetectorError
        No parts, or parts with different numbers of strata.
    """
    parts = [p for p in parts]
    if not parts:
        raise GeodetectorError("no moments to merge")
    sizes = parts[0].sizes
    for p in parts[1:]:
        if p.sizes != sizes:
            raise GeodetectorError(
                f"chunks encoded with different strata: sizes {sizes} and {p.sizes}; encode "
                "every chunk with the same strata (e.g. categoricals with fixed categories)"
            )
    rows = [p.rows for p in parts]
    n = sum(rows)
    shift = (sum(p.shift * r + p.total for p, r in zip(parts, rows, strict=True)) / n
             if n else parts[0].shift)
    moved = [p.reshift(shift) for p in parts]
    if all(p.joint is not None for p in moved):
        return StrataMoments(sizes, shift, np.sum([p.joint for p in moved], axis=0))
    with_pairs = all(p.joint is not None or p.pairs for p in moved) and len(sizes) > 1
    split = [p.split(with_pairs) for p in moved]
    singles = list(split[0].singles)
    pair_tables = dict(split[0].pairs) if with_pairs else {}
    for p in split[1:]:
        singles = [_add(a, b) for a, b in zip(singles, p.singles, strict=True)]
        if with_pairs:
            pair_tables = {key: _add(m, p.pairs[key]) for key, m in pair_tables.items()}
    return StrataMoments(sizes, shift, None, tuple(singles), pair_tables)


# Rows per chunk of the detectors on a data frame: one chunk (one pass) up to 4 Mi rows; above,
# chunks merged by merge_moments — in-process and on a Dask cluster alike, so both give the
# same numbers. 4 Mi rows × (y + 6 codes) are about 60 MB per task.
CHUNK_ROWS = 2**22


def _chunk_task(y: np.ndarray, codes: list[np.ndarray], **options) -> StrataMoments:
    return chunk_moments(y, codes, **options)


def moments_of(data: _Data, *, pairs: bool = True, chunk_rows: int = CHUNK_ROWS,
               backend: str = "serial", client=None) -> StrataMoments:
    """The moments of the prepared rows of a data frame, in chunks of ``chunk_rows`` rows
    merged by :func:`merge_moments` — one chunk in-process or one task per chunk on a Dask
    cluster (:func:`spatialecon.parallel.map_blocks`); the same chunks give the same numbers."""
    from spatialecon.parallel import map_blocks

    n = len(data.y)
    options = {
        "sizes": [max(len(lab), 1) for lab in data.labels], "offsets": data.offsets,
        "pairs": pairs, "names": data.names,
        # a joint table much larger than the rows would be mostly empty cells to sum over
        "joint_limit": min(_MAX_JOINT_CELLS, max(1 << 16, 4 * n)),
    }
    if int(chunk_rows) != chunk_rows or chunk_rows < 1:
        raise GeodetectorError(f"chunk_rows must be a positive integer, not {chunk_rows!r}")
    if n <= chunk_rows and backend == "serial":
        return chunk_moments(data.y, data.raw, **options)
    chunks = [(data.y[a:a + chunk_rows], [c[a:a + chunk_rows] for c in data.raw])
              for a in range(0, max(n, 1), int(chunk_rows))]
    parts = map_blocks(_chunk_task, chunks, shared=options, backend=backend, client=client,
                       what="chunk of rows", scatter_blocks=True)
    return parts[0] if len(parts) == 1 else merge_moments(parts)
