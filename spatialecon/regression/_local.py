"""The local-regression engine shared by ``gwr`` and ``mgwr``: kernels, one KD-tree neighbour
structure, local weighted least squares, the single-covariate smoother of the back-fitting and
the back-fitting operators.

Why hand-written: mgwr (the reference implementation, used by the tests and benchmarks only)
builds every local kernel with a dense O(n) distance vector and an O(n) partition per point in
Python, and fits each location in its own joblib task; a bandwidth search on the 2,848 counties
takes minutes and a 40,000-point fit does not finish in useful time. This engine

- queries a scipy cKDTree **once** for the largest bandwidth of a search (k nearest neighbours,
  or a radius), stores the neighbours of every point sorted by distance (CSR rows), and walks
  each row's prefix inside the kernel's support for every bandwidth tried;
- for kernels without compact support (gaussian, exponential) computes distances on the fly
  (nothing n × n is stored);
- accumulates each local X'WX, X'Wy (and X'W²X for the standard errors) in a numba loop and
  solves it by Cholesky; the hat-matrix diagonal is h_ii = x_i'(X'W_iX)⁻¹x_i w_ii, so ENP =
  tr(S), AICc, AIC, BIC and CV never form the n × n hat matrix;
- applies the back-fitting smoothers of MGWR to blocks of columns (sparse numba products for
  short bandwidths, BLAS for long ones) to replay mgwr's operator recursion exactly.

Conventions are mgwr's (2.2): an adaptive bandwidth is the number of neighbours *including the
point itself*; the kernel's distance at point i is the distance of its k-th nearest point
(itself first) times 1.0000001, so that neighbour receives a tiny positive weight; compact
kernels vanish at distances ≥ that bandwidth.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from scipy.spatial import ConvexHull, QhullError, cKDTree

KERNELS = ("bisquare", "gaussian", "exponential", "boxcar", "tricube")
COMPACT = frozenset({"bisquare", "boxcar", "tricube"})
_CODES = {name: code for code, name in enumerate(KERNELS)}
ADAPTIVE_EPS = 1.0000001  # mgwr's Kernel(eps=…): the k-th neighbour gets a positive weight
SINGULAR_TOL = 1e-10  # Cholesky pivot relative to the diagonal: 1 − R² of a column on the others
_DENSE_SHARE = 0.15  # smoother with more than this share of n² links: applied as a BLAS matmul
_MAX_LINKS = 150_000_000  # neighbour pairs we agree to store (≈ 1.8 GB)


@njit(cache=True, inline="always")
def _kernel(code: int, z: float) -> float:
    if code == 0:  # bisquare
        return (1.0 - z * z) ** 2 if z < 1.0 else 0.0
    if code == 1:  # gaussian
        return math.exp(-0.5 * z * z)
    if code == 2:  # exponential
        return math.exp(-z)
    if code == 3:  # boxcar
        return 1.0 if z < 1.0 else 0.0
    t = z * z * z  # tricube
    return (1.0 - t) ** 3 if z < 1.0 else 0.0


# ---------------------------------------------------------------------------- neighbours


class Neighbours:
    """Every point's neighbours sorted by distance, from one KD-tree query.

    ``compact``: CSR rows (``indptr``, ``indices``, ``distances``) holding at least every point
    inside the largest bandwidth asked for. Otherwise (gaussian, exponential) weights reach every
    point: distances are computed on the fly and only the adaptive bandwidth distances (the
    sorted distances to the ``kmax`` nearest points) are kept.
    """

    def __init__(self, coords: np.ndarray, kernel: str, fixed: bool,
                 largest: float) -> None:
        self.coords = np.ascontiguousarray(coords, dtype=float)
        self.n = n = len(self.coords)
        self.kernel = kernel
        self.code = _CODES[kernel]
        self.fixed = fixed
        self.compact = kernel in COMPACT
        self.tree = cKDTree(self.coords)
        self.indptr = np.zeros(1, dtype=np.int64)
        self.indices = np.zeros(0, dtype=np.int64)
        self.distances = np.zeros(0)
        self.knn = np.zeros((n, 0))
        self.largest = largest
        if fixed:
            if self.compact:
                self._radius(float(largest))
        else:
            kmax = min(n, int(largest))
            if self.compact:
                self._nearest(kmax)
            else:
                self.knn = (self._sorted(kmax) if 8 * kmax > n and n <= 20_000
                            else self._query(kmax))[0]

    def _query(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        d, i = self.tree.query(self.coords, k=k)
        return d.reshape(self.n, -1), i.reshape(self.n, -1)

    def _sorted(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest of every point by sorting blocks of the distance matrix: for k a
        sizeable share of n a KD-tree query (a heap per point) is ~10× slower than this."""
        n, c = self.n, self.coords
        dist = np.empty((n, k))
        idx = np.empty((n, k), dtype=np.int64)
        step = max(1, 2_000_000 // n)
        for s in range(0, n, step):
            block = c[s:s + step]
            d = np.sqrt((block[:, 0, None] - c[None, :, 0]) ** 2
                        + (block[:, 1, None] - c[None, :, 1]) ** 2)
            order = np.argsort(d, axis=1, kind="stable")[:, :k]
            idx[s:s + step] = order
            dist[s:s + step] = np.take_along_axis(d, order, axis=1)
        return dist, idx

    def _nearest(self, kmax: int) -> None:
        n = self.n
        k = min(n, kmax + 8)
        while True:
            d, i = self._sorted(k) if 8 * k > n and n <= 20_000 else self._query(k)
            # the rows must hold every point tied with the kmax-th (weights reach d < d_k·eps)
            if k == n or np.all(d[:, k - 1] >= d[:, kmax - 1] * ADAPTIVE_EPS):
                break
            k = min(n, 2 * k)
        self.indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
        self.indices = i.ravel().astype(np.int64)
        self.distances = np.ascontiguousarray(d.ravel())
        self.knn = d

    def _radius(self, radius: float) -> None:
        counts = self.tree.query_ball_point(self.coords, radius, return_length=True)
        total = int(np.sum(counts))
        if total > _MAX_LINKS:
            raise MemoryError(f"{total:,} neighbour pairs within {radius:g}")
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        indices = np.empty(total, dtype=np.int64)
        distances = np.empty(total)
        order = np.argsort(counts, kind="stable")
        step = 2048
        bound = np.nextafter(radius, np.inf)
        for start in range(0, self.n, step):
            rows = order[start:start + step]
            k = int(counts[rows].max())
            d, i = self.tree.query(self.coords[rows], k=max(k, 1), distance_upper_bound=bound)
            d = d.reshape(len(rows), -1)
            i = i.reshape(len(rows), -1)
            for r, row in enumerate(rows):
                c = int(counts[row])
                indices[indptr[row]:indptr[row] + c] = i[r, :c]
                distances[indptr[row]:indptr[row] + c] = d[r, :c]
        self.indptr, self.indices, self.distances = indptr, indices, distances

    def scales(self, bandwidth: float) -> np.ndarray:
        """The kernel's distance scale at every point for this bandwidth."""
        if self.fixed:
            return np.full(self.n, float(bandwidth))
        k = int(bandwidth)
        return self.knn[:, k - 1] * ADAPTIVE_EPS

    def links(self, bandwidth: float) -> int:
        """Number of (point, neighbour) pairs with a positive weight."""
        if not self.compact:
            return self.n * self.n
        return int(_count_links(self.indptr, self.distances, self.scales(bandwidth)))


def distance_range(coords: np.ndarray, tree: cKDTree) -> tuple[float, float]:
    """(smallest distance between two points, largest distance between two points), exactly:
    the nearest neighbour by the KD-tree, the diameter over the convex hull's vertices."""
    d, _ = tree.query(coords, k=2)
    smallest = float(d[:, 1].min())
    try:
        points = coords[ConvexHull(coords).vertices]
    except (QhullError, ValueError):  # collinear or too few points
        points = coords
    if len(points) > 20_000:
        points = points[:20_000]
    largest = 0.0
    for start in range(0, len(points), 1024):
        block = points[start:start + 1024]
        diff = block[:, None, :] - points[None, :, :]
        largest = max(largest, float(np.sqrt((diff ** 2).sum(-1)).max()))
    return smallest, largest


@njit(cache=True, inline="always")
def _neighbour(i, q, compact, coords, indices, distances):  # pragma: no cover - numba
    """The q-th candidate neighbour of point i and its distance: from the KD-tree's sorted
    lists (``compact``) or, dense, every point in turn with its Euclidean distance."""
    if compact:
        return indices[q], distances[q]
    dx = coords[i, 0] - coords[q, 0]
    dy = coords[i, 1] - coords[q, 1]
    return q, math.sqrt(dx * dx + dy * dy)


@njit(cache=True)
def _count_links(indptr, distances, scales):  # pragma: no cover - numba
    total = 0
    for i in range(len(indptr) - 1):
        for q in range(indptr[i], indptr[i + 1]):
            if distances[q] >= scales[i]:
                break
            total += 1
    return total


# ---------------------------------------------------------------------------- local fits


@njit(cache=True, inline="always")
def _cholesky(A, L, tol):  # pragma: no cover - numba
    p = A.shape[0]
    for j in range(p):
        s = A[j, j]
        for m in range(j):
            s -= L[j, m] * L[j, m]
        if not s > tol * A[j, j] or not A[j, j] > 0.0:
            return False
        L[j, j] = math.sqrt(s)
        for r in range(j + 1, p):
            s = A[r, j]
            for m in range(j):
                s -= L[r, m] * L[j, m]
            L[r, j] = s / L[j, j]
    return True


@njit(cache=True, inline="always")
def _solve(L, b, out):  # pragma: no cover - numba
    p = L.shape[0]
    for r in range(p):
        s = b[r]
        for m in range(r):
            s -= L[r, m] * out[m]
        out[r] = s / L[r, r]
    for r in range(p - 1, -1, -1):
        s = out[r]
        for m in range(r + 1, p):
            s -= L[m, r] * out[m]
        out[r] = s / L[r, r]


@njit(cache=True)
def _fit(X, y, coords, scales, code, compact, indptr, indices, distances, full,
         tol):  # pragma: no cover - numba
    """Local WLS at every point. ``full``: also cov. factors, tr(S'S) pieces and local sums."""
    n, p = X.shape
    beta = np.empty((n, p))
    influ = np.empty(n)
    resid = np.empty(n)
    singular = np.zeros(n, dtype=np.bool_)
    m_full = n if full else 0
    cct = np.empty((m_full, p))
    sts = np.empty(m_full)
    sw = np.empty(m_full)
    swy = np.empty(m_full)
    A = np.empty((p, p))
    B = np.empty((p, p))
    L = np.zeros((p, p))
    Ainv = np.empty((p, p))
    b = np.empty(p)
    v = np.empty(p)
    e = np.empty(p)
    col = np.empty(p)
    for i in range(n):
        A[:, :] = 0.0
        B[:, :] = 0.0
        b[:] = 0.0
        s0 = 0.0
        s1 = 0.0
        h = scales[i]
        if compact:
            lo = indptr[i]
            hi = indptr[i + 1]
        else:
            lo = 0
            hi = n
        for q in range(lo, hi):
            j, d = _neighbour(i, q, compact, coords, indices, distances)
            if compact and d >= h:  # the KD-tree lists are sorted: the rest are farther
                break
            w = _kernel(code, d / h)
            if w == 0.0:
                continue
            yj = y[j]
            for a in range(p):
                wa = w * X[j, a]
                b[a] += wa * yj
                for c in range(a + 1):
                    A[a, c] += wa * X[j, c]
                if full:
                    w2a = w * wa
                    for c in range(a + 1):
                        B[a, c] += w2a * X[j, c]
            if full:
                s0 += w
                s1 += w * yj
        for a in range(p):
            for c in range(a):
                A[c, a] = A[a, c]
                B[c, a] = B[a, c]
        if not _cholesky(A, L, tol):
            singular[i] = True
            beta[i, :] = np.nan
            influ[i] = np.nan
            resid[i] = np.nan
            if full:
                cct[i, :] = np.nan
                sts[i] = np.nan
                sw[i] = s0
                swy[i] = s1
            continue
        _solve(L, b, v)
        fitted = 0.0
        for a in range(p):
            beta[i, a] = v[a]
            fitted += X[i, a] * v[a]
        resid[i] = y[i] - fitted
        for a in range(p):
            col[a] = X[i, a]
        _solve(L, col, e)  # e = A⁻¹ x_i
        hii = 0.0
        for a in range(p):
            hii += X[i, a] * e[a]
        influ[i] = hii * _kernel(code, 0.0)
        if full:
            for c in range(p):
                for a in range(p):
                    col[a] = 1.0 if a == c else 0.0
                _solve(L, col, v)
                for a in range(p):
                    Ainv[a, c] = v[a]
            for a in range(p):  # diag(A⁻¹ B A⁻¹)
                t = 0.0
                for r in range(p):
                    for c in range(p):
                        t += Ainv[a, r] * B[r, c] * Ainv[c, a]
                cct[i, a] = t
            t = 0.0  # tr(S'S) row: e' B e
            for r in range(p):
                for c in range(p):
                    t += e[r] * B[r, c] * e[c]
            sts[i] = t
            sw[i] = s0
            swy[i] = s1
    return beta, influ, resid, singular, cct, sts, sw, swy


@njit(cache=True)
def _local_sums(y, resid, ybar, coords, scales, code, compact, indptr, indices,
                distances):  # pragma: no cover - numba
    """Σ_j w_ij (y_j − ȳ_i)² and Σ_j w_ij e_j² at every point (local R²)."""
    n = len(y)
    tss = np.zeros(n)
    rss = np.zeros(n)
    for i in range(n):
        h = scales[i]
        lo = indptr[i] if compact else 0
        hi = indptr[i + 1] if compact else n
        for q in range(lo, hi):
            j, d = _neighbour(i, q, compact, coords, indices, distances)
            if compact and d >= h:  # the KD-tree lists are sorted: the rest are farther
                break
            w = _kernel(code, d / h)
            tss[i] += w * (y[j] - ybar[i]) ** 2
            rss[i] += w * resid[j] ** 2
    return tss, rss


@njit(cache=True)
def _fit1(x, y, coords, scales, code, compact, indptr, indices,
          distances):  # pragma: no cover - numba
    """The one-covariate local fit of the back-fitting: β_i = Σw x y / Σw x²."""
    n = len(x)
    beta = np.empty(n)
    influ = np.empty(n)
    w0 = _kernel(code, 0.0)
    for i in range(n):
        sxx = 0.0
        sxy = 0.0
        h = scales[i]
        lo = indptr[i] if compact else 0
        hi = indptr[i + 1] if compact else n
        for q in range(lo, hi):
            j, d = _neighbour(i, q, compact, coords, indices, distances)
            if compact and d >= h:  # the KD-tree lists are sorted: the rest are farther
                break
            w = _kernel(code, d / h)
            wx = w * x[j]
            sxx += wx * x[j]
            sxy += wx * y[j]
        beta[i] = sxy / sxx
        influ[i] = x[i] * x[i] * w0 / sxx
    return beta, influ


@njit(cache=True)
def _smoother_rows(x, coords, scales, code, compact, indptr, indices, distances,
                   dense):  # pragma: no cover - numba
    """The back-fitting smoother A = diag(x/s) K diag(x) as CSR rows (or dense)."""
    n = len(x)
    nnz = 0
    if compact:
        for i in range(n):
            for q in range(indptr[i], indptr[i + 1]):
                if distances[q] >= scales[i]:
                    break
                nnz += 1
    else:
        nnz = n * n
    ptr = np.zeros(n + 1, dtype=np.int64)
    cols = np.empty(0 if dense else nnz, dtype=np.int64)
    vals = np.empty(0 if dense else nnz)
    full = np.zeros((n if dense else 0, n if dense else 0))
    pos = 0
    for i in range(n):
        h = scales[i]
        lo = indptr[i] if compact else 0
        hi = indptr[i + 1] if compact else n
        start = pos
        sxx = 0.0
        for q in range(lo, hi):
            j, d = _neighbour(i, q, compact, coords, indices, distances)
            if compact and d >= h:  # the KD-tree lists are sorted: the rest are farther
                break
            w = _kernel(code, d / h)
            sxx += w * x[j] * x[j]
            if dense:
                full[i, j] = w * x[j]
            else:
                cols[pos] = j
                vals[pos] = w * x[j]
                pos += 1
        f = x[i] / sxx
        if dense:
            for j in range(n):
                full[i, j] *= f
        else:
            for q in range(start, pos):
                vals[q] *= f
        ptr[i + 1] = pos
    return ptr, cols, vals, full


@njit(cache=True)
def _sparse_matmul(ptr, cols, vals, M, out):  # pragma: no cover - numba
    """out = A @ M for CSR A (row axpys over contiguous rows of M)."""
    m = M.shape[1]
    for i in range(len(ptr) - 1):
        row = out[i]
        row[:] = 0.0
        for q in range(ptr[i], ptr[i + 1]):
            a = vals[q]
            src = M[cols[q]]
            for c in range(m):
                row[c] += a * src[c]


@njit(cache=True)
def _projection_block(X, coords, scales, code, compact, indptr, indices, distances, c0,
                      c1, tol):  # pragma: no cover - numba
    """Columns c0:c1 of x_ij [(X'W_iX)⁻¹X'W_i]_j for every i and covariate j (k, n, c1 − c0):
    the GWR operator split by covariate, mgwr's initial R_j."""
    n, p = X.shape
    R = np.zeros((p, n, c1 - c0))
    A = np.empty((p, p))
    L = np.zeros((p, p))
    col = np.empty(p)
    v = np.empty(p)
    for i in range(n):
        A[:, :] = 0.0
        h = scales[i]
        lo = indptr[i] if compact else 0
        hi = indptr[i + 1] if compact else n
        for q in range(lo, hi):
            j, d = _neighbour(i, q, compact, coords, indices, distances)
            if compact and d >= h:  # the KD-tree lists are sorted: the rest are farther
                break
            w = _kernel(code, d / h)
            for a in range(p):
                for c in range(a + 1):
                    A[a, c] += w * X[j, a] * X[j, c]
        for a in range(p):
            for c in range(a):
                A[c, a] = A[a, c]
        if not _cholesky(A, L, tol):
            R[:, i, :] = np.nan
            continue
        for q in range(lo, hi):
            j, d = _neighbour(i, q, compact, coords, indices, distances)
            if compact and d >= h:  # the KD-tree lists are sorted: the rest are farther
                break
            if j < c0 or j >= c1:
                continue
            w = _kernel(code, d / h)
            for a in range(p):
                col[a] = X[j, a] * w
            _solve(L, col, v)
            for a in range(p):
                R[a, i, j - c0] = X[i, a] * v[a]
    return R


# ---------------------------------------------------------------------------- public engine


class Engine:
    """Local fits on one neighbour structure (see the module docstring)."""

    def __init__(self, coords: np.ndarray, kernel: str, fixed: bool, largest: float) -> None:
        self.nb = Neighbours(coords, kernel, fixed, largest)
        self.n = self.nb.n

    def _args(self, bandwidth: float) -> tuple:
        nb = self.nb
        return (nb.coords, nb.scales(bandwidth), nb.code, nb.compact, nb.indptr, nb.indices,
                nb.distances)

    def fit(self, X: np.ndarray, y: np.ndarray, bandwidth: float, full: bool = False) -> dict:
        """Local WLS: params, influence h_ii, residuals, singular points; with ``full`` also
        the covariance factors diag((X'WX)⁻¹X'W²X(X'WX)⁻¹), tr(S'S) rows and local TSS/RSS."""
        X = np.ascontiguousarray(X, dtype=float)
        y = np.ascontiguousarray(y, dtype=float)
        args = self._args(bandwidth)
        beta, influ, resid, singular, cct, sts, sw, swy = _fit(X, y, *args, full, SINGULAR_TOL)
        out = {"params": beta, "influ": influ, "resid": resid, "singular": singular}
        if full and not singular.any():
            tss, rss = _local_sums(y, resid, swy / sw, *args)
            out.update(cct=cct, sts=sts, tss=tss, rss=rss)
        return out

    def fit1(self, x: np.ndarray, y: np.ndarray, bandwidth: float
             ) -> tuple[np.ndarray, np.ndarray]:
        """One-covariate local fit (no intercept): (params, influence)."""
        return _fit1(np.ascontiguousarray(x, dtype=float), np.ascontiguousarray(y, dtype=float),
                     *self._args(bandwidth))

    def smoother(self, x: np.ndarray, bandwidth: float):
        """The smoother of one covariate, as a callable ``M → A @ M`` on (n, m) blocks."""
        x = np.ascontiguousarray(x, dtype=float)
        dense = self.nb.links(bandwidth) > _DENSE_SHARE * self.n * self.n
        ptr, cols, vals, full = _smoother_rows(x, *self._args(bandwidth), dense)
        if dense:
            return lambda M: full @ M

        def apply(M: np.ndarray) -> np.ndarray:
            out = np.empty_like(M)
            _sparse_matmul(ptr, cols, vals, M, out)
            return out
        return apply

    def weights_row(self, i: int, bandwidth: float) -> np.ndarray:
        """The kernel weights of point i on every point (dense; diagnostics only)."""
        nb = self.nb
        h = nb.scales(bandwidth)[i]
        d = np.sqrt(((nb.coords - nb.coords[i]) ** 2).sum(1))
        z = d / h
        code = nb.kernel
        if code == "bisquare":
            w = (1 - z ** 2) ** 2
        elif code == "gaussian":
            w = np.exp(-0.5 * z ** 2)
        elif code == "exponential":
            w = np.exp(-z)
        elif code == "boxcar":
            w = np.ones_like(z)
        else:
            w = (1 - z ** 3) ** 3
        if nb.compact:
            w[d >= h] = 0.0
        return w

    def projection_block(self, X: np.ndarray, bandwidth: float, c0: int, c1: int
                         ) -> np.ndarray:
        """Columns c0:c1 of the GWR operator split by covariate, x_ij [(X'W_iX)⁻¹X'W_i]_j,
        shape (k, n, c1 − c0): mgwr's initial R_j of the MGWR inference."""
        return _projection_block(np.ascontiguousarray(X, dtype=float),
                                 *self._args(bandwidth), c0, c1, SINGULAR_TOL)
