"""The one permutation engine of the package, for global and local statistics alike. It reads
the weights only through their CSR matrix (``w.sparse``, which libpysal builds once and caches),
never through a second neighbour structure, and keeps memory linear in the number of units.

Global statistics (:func:`permuted_forms`)
    Moran's I, Geary's C, Getis–Ord G, bivariate Moran and Moran's bootstrap are all functions
    of five forms of the permuted (or resampled) vector v: v'Wv, Σv, Σv², Σ aᵢvᵢ and Σ bᵢvᵢ²
    for vectors a, b the statistic chooses. One numba kernel shuffles v and accumulates the
    forms over the CSR rows; no n × permutations array is ever formed (at 1M units and 999
    permutations that array would be 8 GB).

    Draw p comes from its own counter-based stream (SplitMix64 keyed by a 64-bit key that the
    caller's ``numpy.random.Generator`` draws, and by p), so a seed gives the same draws
    whatever the number of threads or the order in which permutations are computed. The
    shuffle is Fisher–Yates with Lemire's unbiased bounded integers, two per 64-bit output.
    Draws are made 8 at a time so that one pass over the CSR arrays serves 8 draws.

Local statistics (:func:`lisa_block`)
    Conditional permutation as in esda and GeoDa: unit i keeps its value and its k neighbours'
    values are drawn from the other n − 1 units. As in esda, ``permutations`` random ordered
    samples of ``kmax + 1`` distinct units are drawn once (from ``seed``) and shared by all
    units; draw p of unit i takes the first k entries of ordering p that are not i. For rows
    whose non-zero weights are equal (binary or row-standardised contiguity, k-nearest
    neighbours, distance bands) the lag of a draw is a running sum over the shared ordering,
    corrected where i itself is among the first k entries, so a unit costs O(permutations)
    rather than O(permutations × k); other rows take the general gather path. A numba kernel
    walks the units one at a time with one buffer of ``permutations`` lags, so memory does not
    grow with units × permutations.

    Because the orderings depend only on (n, kmax, permutations, seed) and each unit's draws
    only on the orderings, its row of W and z, the result of a unit does not depend on how the
    units are split into blocks, on ``n_jobs``, or on the machine that computes the block:
    :func:`lisa_block` is the entry point a distributed run calls per block of units.

Both kernels release the GIL (``nogil``), so ``n_jobs`` threads split the permutations
(global) or the units (local) without forking processes or copying the draws; numba caches the
compiled kernels on disk (``cache=True``), so only the first process ever compiles them.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy import sparse

from spatialecon.autocorrelation._common import Alternative, AutocorrelationError
from spatialecon.autocorrelation._significance import _TIE, _p_from_counts
from spatialecon.validation import check_count

# numba keeps arithmetic in uint64 only when every operand is uint64
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S32 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(32)
_LOW = np.uint64(0xFFFFFFFF)
_TWO32 = np.uint64(1 << 32)


# ---------------------------------------------------------------------------- random streams


@njit(cache=True, nogil=True, inline="always")
def _mix(x):  # pragma: no cover - numba
    """SplitMix64's output function (Steele, Lea & Flood 2014): a bijective 64-bit mixer."""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


@njit(cache=True, nogil=True, inline="always")
def _stream(key, p):  # pragma: no cover - numba
    """The starting state of draw ``p``'s stream under ``key``."""
    return _mix(key ^ _mix((np.uint64(p) + np.uint64(1)) * _GOLDEN))


@njit(cache=True, nogil=True, inline="always")
def _lemire(word, bound, state):  # pragma: no cover - numba
    """(state, an integer uniform on 0 .. bound − 1) from a 32-bit random ``word``, bound <
    2**32: Lemire's (2019) multiply-shift with rejection (exactly uniform); a rejected word
    is replaced by the top half of the stream's next output."""
    bound = np.uint64(bound)
    m = word * bound
    low = m & _LOW
    if low < bound:
        floor = (_TWO32 - bound) % bound
        while low < floor:
            state = state + _GOLDEN
            m = (_mix(state) >> _S32) * bound
            low = m & _LOW
    return state, np.int64(m >> _S32)


@njit(cache=True, nogil=True, inline="always")
def _below(state, bound):  # pragma: no cover - numba
    """(next state, an integer uniform on 0 .. bound − 1), from the top 32 bits of one
    output."""
    state = state + _GOLDEN
    return _lemire(_mix(state) >> _S32, bound, state)


@njit(cache=True, nogil=True)
def _fisher_yates(v, c, start, stop, state):  # pragma: no cover - numba
    """Shuffle ``v[c, start:stop]`` in place; each 64-bit output gives two swaps (its two
    32-bit halves)."""
    i = stop - 1
    while i > start + 1:
        state = state + _GOLDEN
        word = _mix(state)
        state, j = _lemire(word >> _S32, i - start + 1, state)
        j += start
        v[c, i], v[c, j] = v[c, j], v[c, i]
        state, j = _lemire(word & _LOW, i - start, state)
        j += start
        v[c, i - 1], v[c, j] = v[c, j], v[c, i - 1]
        i -= 2
    if i == start + 1:
        state, j = _below(state, 2)
        j += start
        v[c, i], v[c, j] = v[c, j], v[c, i]
    return state


@njit(cache=True, nogil=True)
def _shuffle(y, v, c, state):  # pragma: no cover - numba
    """A uniformly random permutation of ``y`` into row ``c`` of ``v``."""
    for i in range(len(y)):
        v[c, i] = y[i]
    return _fisher_yates(v, c, 0, len(y), state)


_BATCH = 8  # draws per pass over W (its indices and weights read once for all); the
# accumulators of _forms_kernel are written out for exactly 8


@njit(cache=True, nogil=True, error_model="numpy")
def _forms_kernel(y, indptr, indices, data, a, b, key, first, out, quadratic, replace,
                  sums):  # pragma: no cover - numba
    """Rows ``first .. first + len(out)`` of the forms: out[r] = (v'Wv, Σv, Σv², a·v, b·v²)
    for draw ``first + r`` (a permutation of y, or a resample with replacement); Σv and Σv²
    only with ``sums`` (a permutation leaves them as they are).

    Each draw is shuffled in its own contiguous row of ``batch`` (_BATCH × n; a strided
    shuffle misses the cache), then the draws are laid side by side so that one pass over the
    CSR rows serves all _BATCH of them with contiguous loads."""
    n = len(y)
    batch = np.empty((_BATCH, n))
    side = np.empty((n if quadratic else 0, _BATCH))
    q = np.empty(_BATCH)
    use_a = len(a) > 0
    use_b = len(b) > 0
    total = out.shape[0]
    for start in range(0, total, _BATCH):
        size = min(_BATCH, total - start)
        for c in range(size):
            state = _stream(key, first + start + c)
            if replace:
                for i in range(n):
                    state, j = _below(state, n)
                    batch[c, i] = y[j]
            else:
                state = _shuffle(y, batch, c, state)
            s1 = 0.0
            s2 = 0.0
            sa = 0.0
            sb = 0.0
            if sums or use_a or use_b:
                for i in range(n):
                    vi = batch[c, i]
                    s1 += vi
                    s2 += vi * vi
                    if use_a:
                        sa += a[i] * vi
                    if use_b:
                        sb += b[i] * vi * vi
            out[start + c, 0] = 0.0
            out[start + c, 1] = s1
            out[start + c, 2] = s2
            out[start + c, 3] = sa
            out[start + c, 4] = sb
        if not quadratic:
            continue
        # the draws side by side (n × _BATCH) for the pass over W: each neighbour's _BATCH
        # values are one contiguous load
        for i in range(n):
            for c in range(_BATCH):
                side[i, c] = batch[c, i]
        # eight scalar accumulators (written out: numba keeps them in registers, which it
        # does not do for a small array)
        q0 = q1 = q2 = q3 = q4 = q5 = q6 = q7 = 0.0
        for i in range(n):
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
            for jj in range(indptr[i], indptr[i + 1]):
                wij = data[jj]
                j = indices[jj]
                a0 += wij * side[j, 0]
                a1 += wij * side[j, 1]
                a2 += wij * side[j, 2]
                a3 += wij * side[j, 3]
                a4 += wij * side[j, 4]
                a5 += wij * side[j, 5]
                a6 += wij * side[j, 6]
                a7 += wij * side[j, 7]
            q0 += side[i, 0] * a0
            q1 += side[i, 1] * a1
            q2 += side[i, 2] * a2
            q3 += side[i, 3] * a3
            q4 += side[i, 4] * a4
            q5 += side[i, 5] * a5
            q6 += side[i, 6] * a6
            q7 += side[i, 7] * a7
        q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7] = q0, q1, q2, q3, q4, q5, q6, q7
        for c in range(size):
            out[start + c, 0] = q[c]


def _workers(n_jobs: int) -> int:
    """Threads for ``n_jobs`` (-1 or 0: every core)."""
    return (os.cpu_count() or 1) if n_jobs in (-1, 0) else max(1, int(n_jobs))


def permuted_forms(y: np.ndarray, sw: sparse.csr_matrix, permutations: int,
                   rng: np.random.Generator, *, linear: np.ndarray | None = None,
                   squared: np.ndarray | None = None, quadratic: bool = True,
                   replace: bool = False, n_jobs: int = 1) -> dict[str, np.ndarray]:
    """The forms of ``permutations`` random permutations of ``y`` (or resamples with
    replacement) from which every global statistic is assembled.

    Parameters
    ----------
    y
        The values, in the order of the rows of ``sw``.
    sw
        The (transformed) weights as CSR, e.g. ``w.sparse``.
    permutations
        Number of draws.
    rng
        Draws the 64-bit key of the draws' streams (one integer; the caller's other random
        draws, e.g. a bootstrap after the permutations, stay reproducible).
    linear, squared
        Vectors a and b of the forms Σ aᵢvᵢ and Σ bᵢvᵢ² (left out when ``None``).
    quadratic
        Whether to compute v'Wv (``False`` skips the pass over W, e.g. for bivariate Moran,
        which is linear in the permuted variable).
    replace
        Draw with replacement (a bootstrap resample) instead of permuting.
    n_jobs
        Threads (-1: every core); the result does not depend on it.

    Returns
    -------
    dict
        ``"vWv"``, ``"sum"``, ``"sum2"``, ``"linear"``, ``"squared"``: one value per draw
        (``"sum"`` and ``"sum2"`` only with ``replace``: a permutation keeps them; NaN
        otherwise).
    """
    permutations = check_count(permutations, "permutations", minimum=0)
    y = np.ascontiguousarray(y, dtype=float)
    sw = _csr(sw)
    key = rng.integers(0, np.iinfo(np.uint64).max, dtype=np.uint64, endpoint=True)
    if len(y) >= 1 << 32:  # the bounded draws take 32-bit words
        raise AutocorrelationError(f"{len(y):,} units: the permutation engine takes < 2**32")
    empty = np.empty(0)
    a = empty if linear is None else np.ascontiguousarray(linear, dtype=float)
    b = empty if squared is None else np.ascontiguousarray(squared, dtype=float)
    data = np.ascontiguousarray(sw.data, dtype=float)
    out = np.empty((permutations, 5))
    workers = min(_workers(n_jobs), max(permutations, 1))
    edges = np.linspace(0, permutations, workers + 1).astype(int)

    def run(part: int) -> None:
        lo, hi = edges[part], edges[part + 1]
        _forms_kernel(y, sw.indptr, sw.indices, data, a, b, key, lo, out[lo:hi], quadratic,
                      replace, replace)

    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, range(workers)))
    else:
        run(0)
    if not replace:
        out[:, 1:3] = np.nan
    return dict(zip(("vWv", "sum", "sum2", "linear", "squared"), out.T, strict=True))


# ---------------------------------------------------------------------------- local draws


def _draw_orderings(n: int, length: int, permutations: int,
                    rng: np.random.Generator) -> np.ndarray:
    """``permutations`` rows of ``length`` distinct unit indices, each row a uniformly random
    ordered sample of 0..n-1 (shared by all units, as in esda).

    Floyd's algorithm, vectorised over the rows, draws each row's subset in O(length²); a
    shuffle of each row then makes the order random too. (Generator.choice per row costs a
    Python call per permutation.)
    """
    length = min(length, n)
    chosen = np.empty((permutations, length), dtype=np.int64)
    rows = np.arange(permutations)
    for col, j in enumerate(range(n - length, n)):
        t = rng.integers(0, j + 1, size=permutations)
        taken = (chosen[:, :col] == t[:, None]).any(axis=1)
        chosen[rows, col] = np.where(taken, j, t)
    return rng.permuted(chosen, axis=1)


@dataclass(frozen=True)
class _LocalPlan:
    """The draws every unit shares: the orderings, z at them and their running sums, and for
    each unit the (draw, position) pairs where it appears in an ordering."""

    orderings: np.ndarray  # permutations × length, unit indices
    drawn: np.ndarray  # permutations × length: z_draw at the orderings
    cumulative: np.ndarray  # (length + 1) × permutations: running sums of drawn, from 0
    drawn_by_position: np.ndarray  # length × permutations: drawn transposed
    appear_ptr: np.ndarray  # n + 1: unit i's appearances are appear_*[ptr[i]:ptr[i + 1]]
    appear_draw: np.ndarray
    appear_position: np.ndarray

    @classmethod
    def of(cls, z_draw: np.ndarray, kmax: int, permutations: int,
           rng: np.random.Generator) -> _LocalPlan:
        n = len(z_draw)
        orderings = _draw_orderings(n, kmax + 1, permutations, rng)
        length = orderings.shape[1]
        drawn = np.ascontiguousarray(z_draw[orderings])
        by_position = np.ascontiguousarray(drawn.T)
        cumulative = np.vstack([np.zeros((1, permutations)), np.cumsum(by_position, axis=0)])
        flat = orderings.ravel()
        order = np.argsort(flat, kind="stable")
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(flat, minlength=n), out=ptr[1:])
        return cls(orderings, drawn, cumulative, by_position, ptr,
                   (order // length).astype(np.int64), (order % length).astype(np.int64))


@njit(cache=True, nogil=True, error_model="numpy")
def _local_kernel(units, z_draw, indptr, data, observed, c, orderings, drawn, cumulative,
                  by_position, appear_ptr, appear_draw, appear_position, tie, folded_wanted,
                  greater, lesser, folded, mean_out, sd_out):  # pragma: no cover - numba
    """Counts and moments of the conditional-permutation lags of each unit in ``units``.

    For unit ``units[r]`` with observed lag ``observed[r]`` and statistic ``c[r] * lag``:
    ``greater``/``lesser`` count draws whose statistic is at least as large / at most as small
    (ties within ``tie`` relative count), ``folded`` those at least as far from the draws'
    mean, and ``mean_out``/``sd_out`` are the mean and standard deviation (ddof 1) of the
    lags.
    """
    permutations, length = orderings.shape
    buf = np.empty(permutations)
    for r in range(len(units)):
        i = units[r]
        lo = indptr[i]
        hi = indptr[i + 1]
        k = hi - lo
        if k == 0:
            greater[r] = 0
            lesser[r] = 0
            folded[r] = 0
            mean_out[r] = np.nan
            sd_out[r] = np.nan
            continue
        wmin = data[lo]
        wmax = data[lo]
        for jj in range(lo + 1, hi):
            wmin = min(wmin, data[jj])
            wmax = max(wmax, data[jj])
        if abs(wmax - wmin) <= 1e-12 * abs(wmax):
            # equal weights: the first k of ordering p, or the first k + 1 without i
            for p in range(permutations):
                buf[p] = cumulative[k, p]
            kk = min(k, length - 1)
            for a in range(appear_ptr[i], appear_ptr[i + 1]):
                if appear_position[a] < k:
                    p = appear_draw[a]
                    buf[p] = buf[p] + (by_position[kk, p] - z_draw[i])
            for p in range(permutations):
                buf[p] *= wmax
        else:
            for p in range(permutations):
                s = 0.0
                t = 0
                for j in range(length):
                    if t == k:
                        break
                    if orderings[p, j] == i:
                        continue
                    s += drawn[p, j] * data[lo + t]
                    t += 1
                buf[p] = s
        mean = 0.0
        for p in range(permutations):
            mean += buf[p]
        mean /= permutations
        ol = observed[r]
        band = tie * max(1.0, abs(ol))
        at_least = 0
        at_most = 0
        far = 0
        ss = 0.0
        gap = abs(ol - mean)
        for p in range(permutations):
            x = buf[p]
            if x >= ol - band:
                at_least += 1
            if x <= ol + band:
                at_most += 1
            d = x - mean
            ss += d * d
            if folded_wanted and abs(d) >= gap:
                far += 1
        if c[r] == 0.0:  # every draw's statistic is 0, the observed one too: all ties
            at_least = permutations
            at_most = permutations
            far = permutations
        # a negative c swaps "at least as large" and "at most as small"
        greater[r] = at_least if c[r] >= 0 else at_most
        lesser[r] = at_most if c[r] >= 0 else at_least
        folded[r] = far
        mean_out[r] = mean
        sd_out[r] = np.sqrt(ss / (permutations - 1))


def _local_statistics(plan: _LocalPlan, units: np.ndarray, z_focal: np.ndarray,
                      z_draw: np.ndarray, sw: sparse.csr_matrix, scale: float,
                      alternative: Alternative, n_jobs: int) -> dict[str, np.ndarray]:
    """Ii, lag and the permutation results of ``units`` under ``plan``."""
    units = np.ascontiguousarray(units, dtype=np.int64)
    m = len(units)
    whole = m == sw.shape[0] and bool((units == np.arange(m)).all())
    lag = sw @ z_draw if whole else np.asarray(sw[units] @ z_draw).ravel()
    c = scale * z_focal[units]
    ii = c * lag
    greater = np.empty(m, dtype=np.int64)
    lesser = np.empty(m, dtype=np.int64)
    folded = np.empty(m, dtype=np.int64)
    mean = np.empty(m)
    sd = np.empty(m)
    data = np.ascontiguousarray(sw.data, dtype=float)
    workers = min(_workers(n_jobs), max(m, 1))
    edges = np.linspace(0, m, workers + 1).astype(int)

    def run(part: int) -> None:
        s = slice(edges[part], edges[part + 1])
        _local_kernel(units[s], z_draw, sw.indptr, data, lag[s], c[s], plan.orderings,
                      plan.drawn, plan.cumulative, plan.drawn_by_position, plan.appear_ptr,
                      plan.appear_draw, plan.appear_position, _TIE, alternative == "folded",
                      greater[s], lesser[s], folded[s], mean[s], sd[s])

    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, range(workers)))
    else:
        run(0)
    permutations = plan.orderings.shape[0]
    ok = np.diff(sw.indptr)[units] > 0
    p = np.where(ok, _p_from_counts(greater, lesser, folded if alternative == "folded" else None,
                                    permutations, alternative), np.nan)
    ei = c * mean
    se = np.abs(c) * sd
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (ii - ei) / se
    return {"Ii": ii, "lag": lag, "p_sim": p, "EI_sim": ei, "seI_sim": se, "z_sim": z}


def _csr(sw: sparse.spmatrix | sparse.sparray) -> sparse.csr_matrix:
    sw = sw.tocsr()
    if not sw.has_sorted_indices:
        sw = sw.sorted_indices()
    return sw


def local_permutation_test(z_focal: np.ndarray, z_draw: np.ndarray, sw: sparse.csr_matrix,
                           permutations: int, alternative: Alternative, seed: int | None,
                           n_jobs: int = 1) -> dict[str, np.ndarray]:
    """Ii = scale · z_focal[i] · (W z_draw)[i] (scale = (n − 1) / Σ z_focal², esda's) and its
    conditional-permutation inference for every unit: ``Ii``, ``lag``, ``p_sim``, ``EI_sim``,
    ``seI_sim``, ``z_sim`` (NaN for units without neighbours). Equal to :func:`lisa_block` on
    all units at once; ``seed=None`` draws fresh orderings."""
    return _local_test_of(np.arange(len(z_draw)), z_focal, z_draw, sw, permutations,
                          alternative, seed, n_jobs)


def lisa_block(units: np.ndarray, z_focal: np.ndarray, z_draw: np.ndarray,
               sw: sparse.csr_matrix, *, seed: int, permutations: int = 999,
               alternative: Alternative = "two-sided", n_jobs: int = 1
               ) -> dict[str, np.ndarray]:
    """Local Moran's permutation statistics for one block of units — the unit of work of a
    distributed LISA.

    The result for a unit depends only on (``z_focal``, ``z_draw``, ``sw``, ``seed``,
    ``permutations``, ``alternative``): the shared orderings are drawn from ``seed`` for the
    whole map (their length is the largest number of neighbours plus one), so computing the
    units in one block or in many, in any order, on any worker, gives identical ``Ii``,
    ``p_sim``, ``EI_sim``, ``seI_sim`` and ``z_sim``, and the same values as
    :func:`spatialecon.autocorrelation.local_moran` with that seed.

    Parameters
    ----------
    units
        Row indices (0 .. n − 1 in the order of ``sw``) of the block.
    z_focal, z_draw
        The standardised values of the whole map: the unit's own (``z_focal``) and the
        permuted neighbours' (``z_draw``); the same array for univariate local Moran, x and y
        for the bivariate one. Scaled as esda: Ii = (n − 1) z_focal[i] (W z_draw)[i] / Σ z_focal².
    sw
        The transformed weights of the whole map as CSR (``w.sparse`` of the row-standardised
        weights); only the block's rows are read, plus the largest row length.
    seed
        An integer: every block must draw the same orderings.
    permutations, alternative
        As in :func:`spatialecon.autocorrelation.local_moran`.
    n_jobs
        Threads within the block.

    Returns
    -------
    dict
        Arrays in the order of ``units``: ``Ii``, ``lag``, ``p_sim``, ``EI_sim``, ``seI_sim``,
        ``z_sim`` (NaN p and moments for units without neighbours).
    """
    if seed is None or isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise AutocorrelationError(
            f"lisa_block needs an integer seed (got {seed!r}): every block of the map must "
            "draw the same orderings; pass the run's seed, e.g. seed=0")
    units = np.asarray(units, dtype=np.int64)
    n = len(z_draw)
    if units.size and (units.min() < 0 or units.max() >= n):
        bad = units[(units < 0) | (units >= n)]
        raise AutocorrelationError(f"units {bad[:10].tolist()} are not rows 0..{n - 1} of the "
                                   "weights")
    return _local_test_of(units, z_focal, z_draw, sw, permutations, alternative, int(seed),
                          n_jobs)


def _local_test_of(units: np.ndarray, z_focal: np.ndarray, z_draw: np.ndarray,
                   sw: sparse.csr_matrix, permutations: int, alternative: Alternative,
                   seed: int | None, n_jobs: int) -> dict[str, np.ndarray]:
    sw = _csr(sw)
    n = len(z_draw)
    # numpy's pairwise sum, not BLAS's dot: a BLAS with more threads adds in another order,
    # and a cluster's workers (one thread each) must give the client's numbers bit for bit
    scale = (n - 1) / float(np.sum(z_focal * z_focal))
    kmax = int(np.diff(sw.indptr).max()) if n else 0
    plan = _LocalPlan.of(z_draw, kmax, check_count(permutations, "permutations", minimum=1),
                         np.random.default_rng(seed))
    return _local_statistics(plan, units, z_focal, z_draw, sw, scale, alternative, n_jobs)
