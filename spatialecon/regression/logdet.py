"""One log-determinant engine ln|I − ρW| for every ML estimator of the package, and the traces
of G = W(I − ρW)⁻¹ that their variances and impacts need.

W is the scipy CSR matrix the weights stage builds (``w.sparse``). Methods:

- **exact** — ``"lu"``: sparse LU of I − ρW at each evaluation, ln|det| = Σ ln|U_ii| (Pace &
  Barry 1997; scipy's SuperLU); ``"eigen"``: the spectrum ω of W once (dense, cached per
  matrix; Ord 1975), then Σ ln(1 − ρω); ``"full"``: a dense ``slogdet`` per evaluation.
- **approximate** — ``"chebyshev"``: the Chebyshev expansion of ln(1 − ρx) on [−1, 1] (Pace &
  LeSage 2004), whose coefficients are known in closed form: with s = ρ/(1 + √(1 − ρ²)),
  ln(1 − ρx) = −ln(1 + s²) − 2 Σ_{j≥1} (s^j/j) T_j(x), so ln|I − ρW| ≈ −n ln(1 + s²) −
  2 Σ_{j≤q} (s^j/j) tr T_j(W). Valid when W has a real spectrum in [−1, 1] (symmetric weights,
  or weights row-standardised from symmetric ones, which are similar to symmetric matrices);
  the truncation error is at most 2n|s|^{q+1}/((q+1)(1 − |s|)). ``"mc"``: the power series
  ln|I − ρW| = −Σ_k ρ^k tr(W^k)/k truncated at m terms (Barry & Pace 1999), valid for any W of
  spectral radius ≤ 1, truncation error at most n|ρ|^{m+1}/((m+1)(1 − |ρ|)).

  Both take tr(W^k) (k ≤ 4) or tr T_j(W) (j ≤ 4) exactly from sparse products and the higher
  ones by Hutchinson's estimator with Rademacher probes (one recurrence of sparse products per
  probe, all probes as one block). Each probe gives its own estimate of the log-determinant;
  their standard error times the normal quantile of ``confidence`` plus the truncation bound
  is the reported error **bound** (Barry & Pace's confidence interval) — in ``conventions``.

``method="auto"`` uses ``"eigen"`` up to :data:`AUTO_EIGEN_MAX_N` units (one small dense
eigen-decomposition also gives the exact impacts), ``"lu"`` up to :data:`AUTO_LU_MAX_N` and
``"chebyshev"`` above (``"mc"`` for weights without a real spectrum); see
``benchmarks/bench_regression.py`` and ``benchmarks/bench_scale.py`` for the measurements.

Traces for the information matrix (Anselin 1988): tr G, tr G² and tr G'G at the estimate.
Up to :data:`EXACT_TRACES_MAX_N` units they are exact (one sparse LU, (I − ρW)⁻¹ and G
densely); above, tr G = −d ln|A|/dρ and tr G² = −d² ln|A|/dρ² come from the log-determinant's
expansion (exact for ``"eigen"``) and tr G'G = E‖Gx‖² from Hutchinson probes, each solve
(I − ρW)y = x iterative (conjugate gradients on the symmetric form D − ρC when W = D⁻¹C).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import sparse, stats
from scipy.sparse import linalg as sparse_linalg

from spatialecon.validation import ParameterError

LogDetMethod = Literal["auto", "lu", "eigen", "full", "chebyshev", "mc", "ord"]

AUTO_EIGEN_MAX_N = 1_000  # dense eigenvalues once: 0.1 s at 1,000 units (bench_regression)
AUTO_LU_MAX_N = 20_000  # sparse LU per evaluation: 0.02 s at 2,848 counties, 2 s at 40k cells
EXACT_TRACES_MAX_N = 4_000  # dense (I − ρW)⁻¹ and G: 2n² floats, 256 MB at 4,000
DEFAULT_ORDER = 60  # Chebyshev degree / power-series terms
DEFAULT_PROBES = 30  # Hutchinson probes
DEFAULT_CONFIDENCE = 0.999
_EXACT_ORDER = 4  # traces of W^k, T_k(W) for k ≤ 4 from sparse products
_ALIASES = {"ord": "eigen", "eig": "eigen", "eigenvalues": "eigen", "cheb": "chebyshev",
            "montecarlo": "mc", "monte_carlo": "mc", "barry-pace": "mc", "dense": "full"}
_METHODS = ("auto", "lu", "eigen", "full", "chebyshev", "mc")
_SPECTRUM_CACHE: dict[str, np.ndarray] = {}


def matrix_key(m: sparse.spmatrix) -> str:
    """A digest of a sparse matrix (shape, pattern, values): the cache key of its spectrum."""
    m = sparse.csr_matrix(m)
    digest = hashlib.sha1()
    for part in (np.asarray(m.shape), m.indptr, m.indices, m.data):
        digest.update(np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()


def symmetric_scaling(W: sparse.csr_matrix) -> np.ndarray | None:
    """A positive d with diag(d)·W symmetric, or None.

    Then W = D⁻¹C with C = DW symmetric, so W is similar to the symmetric D^{1/2} W D^{-1/2}:
    its spectrum is real. Tried: d = 1 (symmetric W) and d_i = 1/(largest weight of row i)
    (row-standardised binary weights: contiguity, distance bands, symmetric k-nearest)."""
    W = sparse.csr_matrix(W)
    n = W.shape[0]
    if n == 0:
        return None
    counts = np.diff(W.indptr)
    maxima = np.zeros(n)
    np.maximum.at(maxima, np.repeat(np.arange(n), counts), np.abs(W.data))
    for d in (np.ones(n), np.where(maxima > 0, 1 / np.where(maxima > 0, maxima, 1), 1.0)):
        C = sparse.diags(d) @ W
        diff = abs(C - C.T)
        scale = float(abs(C).max()) if C.nnz else 1.0
        if diff.nnz == 0 or float(diff.max()) <= 1e-12 * scale:
            return d
    return None


def spectrum(W: sparse.spmatrix, scaling: np.ndarray | None = None) -> np.ndarray:
    """Eigenvalues of W (dense, O(n³); cached per matrix). Real when W is similar to a
    symmetric matrix (``scaling`` from :func:`symmetric_scaling`, found if not given)."""
    W = sparse.csr_matrix(W, dtype=float)
    key = matrix_key(W)
    if key in _SPECTRUM_CACHE:
        return _SPECTRUM_CACHE[key]
    if scaling is None:
        scaling = symmetric_scaling(W)
    if scaling is not None:
        r = np.sqrt(scaling)
        values = np.linalg.eigvalsh((sparse.diags(r) @ W @ sparse.diags(1 / r)).toarray())
    else:
        values = np.linalg.eigvals(W.toarray())
        if np.abs(values.imag).max() < 1e-10:
            values = values.real
    if len(_SPECTRUM_CACHE) >= 4:
        _SPECTRUM_CACHE.pop(next(iter(_SPECTRUM_CACHE)))
    _SPECTRUM_CACHE[key] = values
    return values


def _chebyshev_s(rho: Any) -> Any:
    """s with 2s/(1 + s²) = ρ, |s| < 1 (works for complex ρ: the complex-step derivative)."""
    rho = np.asarray(rho)
    return rho / (1 + np.sqrt(1 - rho * rho))


@dataclass
class _TraceSeries:
    """tr P_j(W) for j = 0..order (P_j = T_j or W^j): exact to ``exact`` and Hutchinson's
    per-probe values ``probe`` (probes × higher orders) above."""

    kind: str
    exact: np.ndarray  # j = 0 .. min(order, _EXACT_ORDER)
    probe: np.ndarray  # (p, order − len(exact) + 1)
    n: int

    @property
    def values(self) -> np.ndarray:
        higher = self.probe.mean(axis=0) if self.probe.size else np.empty(0)
        return np.r_[self.exact, higher]

    @property
    def order(self) -> int:
        return len(self.exact) + self.probe.shape[1] - 1


def _exact_low_traces(W: sparse.csr_matrix, kind: str, order: int) -> np.ndarray:
    """tr W^k (or tr T_k(W)) for k ≤ min(order, 4) from sparse products (W² once)."""
    n = W.shape[0]
    p = [float(n), float(W.diagonal().sum())]
    WT = W.T.tocsr()
    if order >= 2:
        p.append(float(W.multiply(WT).sum()))
    if order >= 3:
        W2 = W @ W
        p.append(float(W2.multiply(WT).sum()))
        if order >= 4:
            p.append(float(W2.multiply(W2.T).sum()))
    p = p[:order + 1]
    if kind == "power":
        return np.array(p)
    # T_0 = 1, T_1 = x, T_2 = 2x² − 1, T_3 = 4x³ − 3x, T_4 = 8x⁴ − 8x² + 1
    coeffs = [[1], [0, 1], [-1, 0, 2], [0, -3, 0, 4], [1, 0, -8, 0, 8]]
    return np.array([sum(c * p[i] for i, c in enumerate(coeffs[j])) for j in range(len(p))])


def _trace_series(W: sparse.csr_matrix, kind: str, order: int, probes: int,
                  seed: int | None) -> _TraceSeries:
    n = W.shape[0]
    exact = _exact_low_traces(W, kind, order)
    higher = order - (len(exact) - 1)
    if higher <= 0:
        return _TraceSeries(kind, exact, np.empty((probes, 0)), n)
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, size=(n, probes), dtype=np.int8).astype(float) * 2 - 1
    out = np.empty((probes, higher))
    # one block recurrence for all probes: T_{j+1} = 2 W T_j − T_{j−1}, or W^{j+1} = W W^j
    prev, cur = X, W @ X
    for j in range(2, order + 1):
        if kind == "chebyshev":
            prev, cur = cur, 2 * (W @ cur) - prev
        else:
            cur = W @ cur
        if j >= len(exact):
            out[:, j - len(exact)] = np.einsum("ip,ip->p", X, cur)
    return _TraceSeries(kind, exact, out, n)


@dataclass
class LogDet:
    """ln|I − ρW| for one matrix W (see the module docstring).

    Parameters
    ----------
    W
        The weights as a scipy sparse matrix (``w.sparse``), n × n.
    method
        ``"auto"``, ``"lu"``, ``"eigen"`` (alias ``"ord"``), ``"full"``, ``"chebyshev"`` or
        ``"mc"``.
    order
        Chebyshev degree q or power-series terms m (approximations; default 60).
    probes
        Hutchinson probes for the traces above order 4 (default 30).
    seed
        Seed of the probes (default 0: the same W gives the same approximation).
    confidence
        Coverage of the reported stochastic part of the error bound (default 0.999).

    Attributes
    ----------
    method
        The method used (``"auto"`` resolved).
    exact
        Whether the method is exact.
    interval
        Where ρ is searched: the feasible interval (1/ω_min, 1/ω_max), where I − ρW is
        non-singular, when the spectrum is known (``"eigen"``); else (−1/r, 1/ω_max) inside
        it (r the spectral radius; (−1, 1) for row-standardised weights).
    """

    W: sparse.spmatrix
    method: str = "auto"
    order: int | None = None
    probes: int | None = None
    seed: int | None = 0
    confidence: float = DEFAULT_CONFIDENCE
    scaling: np.ndarray | None = field(default=None, repr=False)
    interval: tuple[float, float] = field(default=(-1.0, 1.0), init=False)
    requested: str = field(default="auto", init=False)

    def __post_init__(self) -> None:
        self.W = sparse.csr_matrix(self.W, dtype=float)
        n = self.n = self.W.shape[0]
        if self.W.shape != (n, n):
            raise ParameterError(f"W must be square, got shape {self.W.shape}")
        method = str(self.method).lower()
        method = _ALIASES.get(method, method)
        if method not in _METHODS:
            raise ParameterError(f"logdet must be one of {', '.join(_METHODS)} (or 'ord'), "
                                 f"not {self.method!r}")
        self.requested = method
        if self.scaling is None:
            self.scaling = symmetric_scaling(self.W)
        self.real_spectrum = self.scaling is not None
        rows = np.asarray(abs(self.W).sum(axis=1)).ravel()
        self.max_row_sum = float(rows.max()) if n else 0.0
        if method == "auto":
            if n <= AUTO_EIGEN_MAX_N:
                method = "eigen"
            elif n <= AUTO_LU_MAX_N:
                method = "lu"
            else:
                method = "chebyshev" if self.real_spectrum else "mc"
        if method == "chebyshev" and not self.real_spectrum:
            raise ParameterError(
                "logdet='chebyshev' needs weights with a real spectrum (symmetric, or "
                "row-standardised from symmetric binary weights); these are not — use "
                "logdet='mc' (Barry & Pace's power series, valid for any W) or an exact method")
        if method in ("chebyshev", "mc") and self.max_row_sum > 1 + 1e-9:
            raise ParameterError(
                f"logdet={method!r} expands ln|I − ρW| for weights of spectral radius at most "
                f"1 (largest row sum here {self.max_row_sum:.4g}); row-standardise the weights "
                "(transform='row') or use an exact method")
        self.method = method
        self.exact = method in ("lu", "eigen", "full")
        self.order = int(self.order or DEFAULT_ORDER)
        self.probes = int(self.probes or DEFAULT_PROBES)
        if self.order < 1 or self.probes < 2:
            raise ParameterError(f"order must be ≥ 1 and probes ≥ 2 (got {self.order}, "
                                 f"{self.probes})")
        if not 0 < self.confidence < 1:
            raise ParameterError(f"confidence must lie in (0, 1), got {self.confidence}")
        self._omega: np.ndarray | None = None
        self._series: _TraceSeries | None = None
        self._dense: np.ndarray | None = None
        self._eye = sparse.identity(n, format="csc")
        self._Wc = self.W.tocsc()
        if method == "eigen":
            self._omega = spectrum(self.W, self.scaling)
        elif method in ("chebyshev", "mc"):
            kind = "chebyshev" if method == "chebyshev" else "power"
            self._series = _trace_series(self.W, kind, self.order, self.probes, self.seed)
        elif method == "full":
            self._dense = self.W.toarray()
        self.interval = self._feasible_interval()

    @property
    def spectrum(self) -> np.ndarray | None:
        """The eigenvalues of W (``"eigen"`` only; None otherwise)."""
        return self._omega

    # ------------------------------------------------------------------ the interval

    def _feasible_interval(self) -> tuple[float, float]:
        """The search interval of ρ: the feasible interval (1/ω_min, 1/ω_max) over the real
        eigenvalues where the spectrum is computed (``"eigen"``); otherwise (−1/r, 1/ω_max)
        with r the spectral radius (1 for row-standardised weights), inside the feasible
        interval since |ω_min| ≤ r — ω_min by ARPACK took 10 s at 40k lattice cells and 40 s
        at 250k, for a bound that matters only for strongly negative ρ."""
        if self._omega is not None:
            real = self._omega.real
            hi = 1 / real.max() if real.max() > 0 else np.inf
            lo = 1 / real.min() if real.min() < 0 else -np.inf
            if np.iscomplexobj(self._omega):
                r = float(np.abs(self._omega).max())
                lo, hi = max(lo, -1 / r), min(hi, 1 / r)
            return float(lo), float(hi)
        nonneg = self.W.nnz == 0 or float(self.W.data.min()) >= 0
        rowstd = nonneg and np.allclose(np.asarray(self.W.sum(axis=1)).ravel(), 1.0)
        if rowstd:
            return -1.0, 1.0
        if self.real_spectrum:
            r = np.sqrt(self.scaling)
            S = (sparse.diags(r) @ self.W @ sparse.diags(1 / r)).tocsr()
            S = (S + S.T) / 2
            high = _extreme_eigenvalue(S, "LA")
            radius = max(abs(high), abs(_extreme_eigenvalue(S, "SA"))) if self.n <= 2_000 \
                else _spectral_radius(self.W)
            return -1 / radius, 1 / high
        radius = _spectral_radius(self.W)
        return -1 / radius, 1 / radius

    # ------------------------------------------------------------------ values

    def __call__(self, rho: float) -> float:
        """ln|I − ρW| (exact or approximated, by ``method``)."""
        rho = float(rho)
        if self.method == "lu":
            lu = sparse_linalg.splu((self._eye - rho * self._Wc).tocsc(),
                                    permc_spec="COLAMD")
            return float(np.sum(np.log(np.abs(lu.U.diagonal()))))
        if self.method == "eigen":
            return float(np.sum(np.log(1 - rho * self._omega)).real)
        if self.method == "full":
            sign, value = np.linalg.slogdet(np.eye(self.n) - rho * self._dense)
            return float(value) if sign > 0 else -np.inf
        return float(self._expansion(np.atleast_1d(rho))[0][0])

    def _coefficients(self, rho: np.ndarray) -> np.ndarray:
        """Coefficients of the traces 0..order: (len(rho), order + 1); complex ρ allowed."""
        j = np.arange(self.order + 1)
        rho = np.asarray(rho)[:, None]
        if self.method == "chebyshev":
            s = _chebyshev_s(rho)
            c = -2 * s ** np.maximum(j, 1) / np.maximum(j, 1)
            c[:, :1] = -np.log(1 + s * s)  # times tr T_0 = n
            return c
        c = -rho ** np.maximum(j, 1) / np.maximum(j, 1)
        c[:, 0] = 0
        return c

    def _expansion(self, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Value and standard error of the approximation at each ρ."""
        series = self._series
        c = self._coefficients(rho)
        value = c @ series.values
        k = len(series.exact)
        if series.probe.shape[1]:
            per_probe = series.probe @ c[:, k:].T  # probes × rho
            se = per_probe.std(axis=0, ddof=1) / math.sqrt(per_probe.shape[0])
        else:
            se = np.zeros(len(rho))
        return value, se

    def truncation_bound(self, rho: Any) -> np.ndarray:
        """The deterministic bound on the truncation error at each ρ (0 for exact methods)."""
        rho = np.abs(np.atleast_1d(np.asarray(rho, dtype=float)))
        if self.exact:
            return np.zeros(len(rho))
        m = self.order
        if self.method == "chebyshev":
            s = np.abs(_chebyshev_s(rho))
            return 2 * self.n * s ** (m + 1) / ((m + 1) * (1 - s))
        return self.n * rho ** (m + 1) / ((m + 1) * (1 - rho))

    def bound(self, rho: Any) -> np.ndarray:
        """Bound on |approximation − ln|I − ρW||: truncation bound + z·(standard error of the
        probes' mean), z the normal quantile of ``confidence``; 0 for exact methods."""
        rho = np.atleast_1d(np.asarray(rho, dtype=float))
        if self.exact:
            return np.zeros(len(rho))
        z = stats.norm.ppf(0.5 + self.confidence / 2)
        return self.truncation_bound(rho) + z * self._expansion(rho)[1]

    def derivatives(self, rho: Any) -> tuple[np.ndarray, np.ndarray]:
        """tr G and tr G² of G = W(I − ρW)⁻¹ at each ρ: −d/dρ and −d²/dρ² of ln|I − ρW|.

        Exact from the spectrum (``"eigen"``); from the expansion otherwise (the derivatives
        of its coefficients: complex step for the first, central differences of that for the
        second). ``"lu"`` and ``"full"`` have none (None, None): use :func:`exact_traces`."""
        rho = np.atleast_1d(np.asarray(rho, dtype=float))
        if self._omega is not None:
            om = self._omega[None, :]
            inv = 1 / (1 - rho[:, None] * om)
            return (np.sum(om * inv, axis=1).real, np.sum((om * inv) ** 2, axis=1).real)
        if self._series is None:
            return None, None  # type: ignore[return-value]
        values = self._series.values

        def first(r: np.ndarray) -> np.ndarray:
            h = 1e-30
            return -(self._coefficients(r + 1j * h).imag / h) @ values

        step = 1e-5
        return first(rho), (first(rho + step) - first(rho - step)) / (2 * step)

    # ------------------------------------------------------------------ description

    def conventions(self, rho: float | None = None) -> dict[str, Any]:
        """What the result's metadata records: method, why, and (approximations) the error
        bound at ``rho`` and its maximum over the search interval."""
        out: dict[str, Any] = {"logdet": self.method, "logdet_requested": self.requested,
                               "logdet_exact": self.exact, "n": self.n}
        if self.requested == "auto":
            out["logdet_auto"] = (f"exact 'eigen' up to {AUTO_EIGEN_MAX_N:,} units, 'lu' up "
                                  f"to {AUTO_LU_MAX_N:,}, 'chebyshev' (or 'mc' without a "
                                  "real spectrum) above")
        out["logdet_reference"] = {
            "lu": "sparse LU of I − ρW (Pace & Barry 1997), exact",
            "eigen": "eigenvalues of W (Ord 1975), exact",
            "full": "dense determinant, exact",
            "chebyshev": "Chebyshev expansion of ln(1 − ρx) (Pace & LeSage 2004), closed-form "
                         "coefficients, traces exact to order 4 and by Hutchinson probes above",
            "mc": "power series −Σ ρ^k tr(W^k)/k (Barry & Pace 1999), traces exact to order 4 "
                  "and by Hutchinson probes above"}[self.method]
        if not self.exact:
            lo, hi = self.interval
            grid = np.linspace(max(lo, -0.99), min(hi, 0.99), 199)
            out.update({"logdet_order": self.order, "logdet_probes": self.probes,
                        "logdet_seed": self.seed, "logdet_confidence": self.confidence,
                        "logdet_bound_max": float(self.bound(grid).max()),
                        "logdet_bound_interval": (float(grid[0]), float(grid[-1]))})
            if rho is not None:
                out["logdet_bound"] = float(self.bound(rho)[0])
                out["logdet_truncation_bound"] = float(self.truncation_bound(rho)[0])
        return out


def _extreme_eigenvalue(S: sparse.csr_matrix, which: str) -> float:
    """The largest ('LA') or smallest ('SA') eigenvalue of a symmetric sparse matrix."""
    n = S.shape[0]
    if n <= 2_000:
        values = np.linalg.eigvalsh(S.toarray())
        return float(values[-1] if which == "LA" else values[0])
    value = sparse_linalg.eigsh(S, k=1, which=which, tol=1e-8, maxiter=20_000,
                                return_eigenvectors=False)
    return float(value[0])


def _spectral_radius(W: sparse.csr_matrix) -> float:
    try:
        return float(np.abs(sparse_linalg.eigs(W, k=1, which="LM",
                                               return_eigenvectors=False)).max())
    except (sparse_linalg.ArpackNoConvergence, ValueError, TypeError):  # pragma: no cover
        return float(np.abs(np.linalg.eigvals(W.toarray())).max())


# ---------------------------------------------------------------------------- traces


@dataclass(frozen=True)
class Traces:
    """tr G, tr G², tr G'G of G = W(I − ρW)⁻¹ at one ρ, and how they were computed."""

    rho: float
    tr_g: float
    tr_g2: float
    tr_gtg: float
    how: str
    se_gtg: float = 0.0


def exact_traces(W: sparse.spmatrix, rho: float) -> Traces:
    """The three traces exactly from one sparse LU Pr(I − ρW)Pc = LU: with M = U⁻¹L⁻¹
    densely (:func:`_lu_inverse`), S = (I − ρW)⁻¹ = Pc·M·Pr. Since S = I + ρG, tr G =
    (tr S − n)/ρ, tr G² = (tr S² − 2 tr S + n)/ρ² and tr G'G = (‖S‖²_F − 2 tr S + n)/ρ², all
    sums over M (:func:`_permuted_sums`); for |ρ| < 0.05, where those differences would lose
    digits, G = (Pr W Pc)·M — similar to G by the permutation Pr — is formed. n² floats;
    used up to :data:`EXACT_TRACES_MAX_N` units."""
    W = sparse.csr_matrix(W, dtype=float)
    n = W.shape[0]
    M, perm_r, perm_c = _inverse_factors(W, rho)
    how = "exact (sparse LU of I − ρW, its inverse densely)"
    if abs(rho) >= 0.05:
        tr_s, tr_s2, frob = _kernels()[1](M, perm_r, perm_c)
        return Traces(rho, (tr_s - n) / rho, (tr_s2 - 2 * tr_s + n) / rho**2,
                      (frob - 2 * tr_s + n) / rho**2, how)
    inv_r, inv_c = np.argsort(perm_r), np.argsort(perm_c)
    G = np.asarray(W[inv_r][:, inv_c] @ M)  # Pr W Pc M = Pr G Pr'
    return Traces(rho, float(np.trace(G)), float(np.einsum("ij,ji->", G, G)),
                  float(np.einsum("ij,ij->", G, G)), how)


def dense_inverse(W: sparse.spmatrix, rho: float) -> np.ndarray:
    """(I − ρW)⁻¹ as a dense array (see :func:`exact_traces`)."""
    M, perm_r, perm_c = _inverse_factors(sparse.csr_matrix(W, dtype=float), rho)
    return M[np.ix_(perm_c, perm_r)]  # A⁻¹ = Pc M Pr: entry (i, j) is M[perm_c[i], perm_r[j]]


def _inverse_factors(W: sparse.csr_matrix, rho: float
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = W.shape[0]
    A = (sparse.identity(n, format="csc") - rho * W.tocsc()).tocsc()
    lu = sparse_linalg.splu(A, permc_spec="MMD_AT_PLUS_A")
    L, U = lu.L.tocsc(), lu.U.tocsc()
    M = _lu_inverse(n, L.indptr, L.indices, L.data, U.indptr, U.indices, U.data)
    return M, lu.perm_r, lu.perm_c


def _lu_inverse(n: int, Lp: np.ndarray, Li: np.ndarray, Lx: np.ndarray, Up: np.ndarray,
                Ui: np.ndarray, Ux: np.ndarray) -> np.ndarray:
    return _kernels()[0](n, Lp, Li, Lx, Up, Ui, Ux)


_KERNEL: list[Any] = []


def _kernels() -> Any:
    """``inverse``: U⁻¹L⁻¹ for CSC factors (L unit lower, U upper), compiled by numba on first use.

    Written here because SuperLU's ``solve`` with n right-hand sides walks the factors once
    per column (1.5 s for 2,848 counties); this walks each factor column once for all the
    right-hand sides, whose rows are contiguous (SIMD), and skips the zeros of L⁻¹ (row j
    of L⁻¹ is zero beyond column j): 2,848 counties in about 0.1 s. ``sums``: tr S, tr S²
    and ‖S‖²_F of S = Pc·M·Pr without forming S."""
    if _KERNEL:
        return _KERNEL
    import numba

    @numba.njit(cache=True)
    def kernel(n, Lp, Li, Lx, Up, Ui, Ux):  # pragma: no cover - compiled
        Y = np.zeros((n, n))
        for j in range(n):
            Y[j, j] = 1.0
        for j in range(n):  # forward: Y ← L⁻¹Y; row j is final and zero beyond column j
            for p in range(Lp[j], Lp[j + 1]):
                r = Li[p]
                if r > j:
                    v = Lx[p]
                    for b in range(j + 1):
                        Y[r, b] -= v * Y[j, b]
        for j in range(n - 1, -1, -1):  # backward: Y ← U⁻¹Y
            d = 0.0
            for p in range(Up[j], Up[j + 1]):
                if Ui[p] == j:
                    d = Ux[p]
            inv = 1.0 / d
            for b in range(n):
                Y[j, b] *= inv
            for p in range(Up[j], Up[j + 1]):
                r = Ui[p]
                if r < j:
                    v = Ux[p]
                    for b in range(n):
                        Y[r, b] -= v * Y[j, b]
        return Y

    @numba.njit(cache=True)
    def sums(M, perm_r, perm_c):  # pragma: no cover - compiled
        n = M.shape[0]
        tr = 0.0
        tr2 = 0.0
        frob = 0.0
        for i in range(n):
            row = M[perm_c[i]]
            tr += row[perm_r[i]]
            for j in range(n):
                v = row[perm_r[j]]
                frob += v * v
                tr2 += v * M[perm_c[j], perm_r[i]]  # S_ij S_ji
        return tr, tr2, frob

    _KERNEL.extend([kernel, sums])
    return _KERNEL


def information_traces(logdet: LogDet, rho: float, *, probes: int | None = None,
                       seed: int | None = 0, exact_max_n: int = EXACT_TRACES_MAX_N) -> Traces:
    """tr G, tr G², tr G'G at ρ for the information matrix: exact up to ``exact_max_n`` units,
    else tr G and tr G² from the log-determinant's expansion (or spectrum) and tr G'G by
    Hutchinson's estimator E‖Gx‖² (Rademacher x) with iterative solves."""
    W, n = logdet.W, logdet.n
    if n <= exact_max_n:
        return exact_traces(W, rho)
    tr_g, tr_g2 = logdet.derivatives(rho)
    how_g = ("eigenvalues of W (exact)" if logdet.method == "eigen"
             else f"derivatives of the {logdet.method} log-determinant expansion")
    probes = int(probes or logdet.probes or DEFAULT_PROBES)
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, size=(n, probes), dtype=np.int8).astype(float) * 2 - 1
    # the probes' own sampling error (≈ 1e-2 relative) dwarfs a 1e-8 solve
    Y = solve_filter(logdet, rho, X, tol=1e-8)
    GX = W @ Y
    per_probe = np.einsum("ip,ip->p", GX, GX)
    if tr_g is None:  # exact log-determinant above exact_max_n: Hutchinson for all three
        WtX = W.T @ X
        Z = solve_filter(logdet, rho, WtX, transpose=True, tol=1e-8)  # G'x = A'⁻¹W'x
        tr_g = np.array([np.mean(np.einsum("ip,ip->p", X, GX))])
        tr_g2 = np.array([np.mean(np.einsum("ip,ip->p", Z, GX))])
        how_g = "Hutchinson probes with iterative solves"
    return Traces(rho, float(tr_g[0]), float(tr_g2[0]), float(per_probe.mean()),
                  f"tr G, tr G²: {how_g}; tr G'G: Hutchinson ({probes} Rademacher probes, "
                  f"seed {seed}) with iterative solves of (I − ρW)y = x",
                  float(per_probe.std(ddof=1) / math.sqrt(probes)))


def solve_filter(logdet: LogDet, rho: float, B: np.ndarray, *, transpose: bool = False,
                 tol: float = 1e-10) -> np.ndarray:
    """(I − ρW)⁻¹B (or (I − ρW')⁻¹B): sparse LU up to :data:`AUTO_LU_MAX_N` units; above,
    conjugate gradients on the symmetric form (D − ρC)y = Dx when W = D⁻¹C (C = DW
    symmetric), else GMRES column by column."""
    W, n = logdet.W, logdet.n
    B = np.asarray(B, dtype=float)
    single = B.ndim == 1
    B2 = B[:, None] if single else B
    if n <= AUTO_LU_MAX_N:
        A = sparse.identity(n, format="csc") - rho * (W.T if transpose else W).tocsc()
        out = sparse_linalg.splu(A.tocsc(), permc_spec="COLAMD").solve(np.asfortranarray(B2))
    elif logdet.scaling is not None:
        d = logdet.scaling
        C = (sparse.diags(d) @ W).tocsr()
        # W = D⁻¹C: (I − ρW) = D⁻¹(D − ρC); (I − ρW') = (D − ρC)D⁻¹
        if transpose:
            out = _block_cg(C, d, rho, B2, tol) * d[:, None]
        else:
            out = _block_cg(C, d, rho, d[:, None] * B2, tol)
    else:
        A = (sparse.identity(n, format="csr") - rho * (W.T if transpose else W)).tocsr()
        out = np.column_stack([sparse_linalg.gmres(A, B2[:, j], rtol=tol, atol=0)[0]
                               for j in range(B2.shape[1])])
    return out[:, 0] if single else out


def _block_cg(C: sparse.csr_matrix, d: np.ndarray, rho: float, B: np.ndarray,
              tol: float) -> np.ndarray:
    """Solve (D − ρC)Y = B for every column at once by Jacobi-preconditioned conjugate
    gradients (D − ρC is positive definite on the feasible interval); written here because
    scipy's cg takes one right-hand side at a time."""
    def apply(V: np.ndarray) -> np.ndarray:
        return d[:, None] * V - rho * (C @ V)

    X = B / d[:, None]
    R = B - apply(X)
    Z = R / d[:, None]
    P = Z.copy()
    rz = np.einsum("ip,ip->p", R, Z)
    limit = tol**2 * np.einsum("ip,ip->p", B, B)
    for _ in range(10 * len(d)):
        AP = apply(P)
        alpha = rz / np.einsum("ip,ip->p", P, AP)
        X += alpha * P
        R -= alpha * AP
        if np.all(np.einsum("ip,ip->p", R, R) <= limit):
            break
        Z = R / d[:, None]
        rz_new = np.einsum("ip,ip->p", R, Z)
        P = Z + (rz_new / rz) * P
        rz = rz_new
    return X
