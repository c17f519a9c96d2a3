"""Direct, indirect and total effects (LeSage & Pace 2009) by the delta method or simulation."""
import warnings
from typing import Any

import numpy as np
import pandas as pd
from libpysal.weights import W
from scipy import sparse, stats
from scipy.sparse.linalg import splu

from spatialecon.regression._common import (
    ImpactsMethod,
    RegressionError,
)
from spatialecon.regression.logdet import (
    _SPECTRUM_CACHE,
    AUTO_EIGEN_MAX_N,
    LogDet,
    Traces,
    matrix_key,
    spectrum,
    symmetric_scaling,
)
from spatialecon.regression.results import (
    RegressionResult,
)
from spatialecon.weights import transform as transform_weights

# ---------------------------------------------------------------------------- impacts


def _scaling(w: W) -> np.ndarray | None:
    """d > 0 with diag(d)·W symmetric (W similar to a symmetric matrix, real spectrum): found
    from W itself (:func:`.logdet.symmetric_scaling`) or, for weights row-standardised from
    symmetric ones (e.g. inverse distances), from the original weights' row sums."""
    Wm = w.sparse.tocsr().astype(float)
    d = symmetric_scaling(Wm)
    if d is not None or w.transform != "R":
        return d
    original = transform_weights(w, "original").sparse.tocsr().astype(float)
    rows = np.asarray(original.sum(axis=1)).ravel()
    if (np.all(rows > 0) and _is_symmetric(original)
            and np.allclose((sparse.diags(1 / rows) @ original - Wm).data, 0)):
        return rows
    return None


def _spectrum(w: W) -> np.ndarray:
    """Eigenvalues of W (real when W is symmetric or row-standardised from symmetric
    weights, which are then similar to a symmetric matrix), cached per matrix — the
    log-determinant engine's :func:`.logdet.spectrum`, shared with the panel estimators."""
    Wm = w.sparse.tocsr().astype(float)
    if matrix_key(Wm) in _SPECTRUM_CACHE:
        return _SPECTRUM_CACHE[matrix_key(Wm)]
    return spectrum(Wm, _scaling(w))


def _is_symmetric(m: sparse.csr_matrix) -> bool:
    diff = abs(m - m.T)
    return diff.nnz == 0 or float(diff.max()) < 1e-12


class _Multipliers:
    """Averages of S(ρ) = (I − ρW)⁻¹ over units, and their derivatives in ρ.

    With G = W S: m1 = tr(S)/n = (n + ρ tr G)/n, m2 = tr(SW)/n = tr G/n, dm1 = (tr G +
    ρ tr G²)/n, dm2 = tr G²/n; t1 = 1'S1/n, t2 = 1'SW1/n (1/(1−ρ) for row-standardised W,
    else sparse solves). tr G and tr G² come from the eigenvalues ω of W (exact: up to 1,000
    units, or when the spectrum is already cached), else — LeSage & Pace (2009, §4.2) — from
    the traces of W's powers in the log-determinant engine's expansion (Chebyshev or power
    series, Hutchinson traces above order 4), with the exact traces of the fit at ρ̂.
    """

    def __init__(self, w: W, spectrum: bool = True, logdet: LogDet | None = None,
                 traces: Traces | None = None) -> None:
        self.Wm = w.sparse.tocsr().astype(float)
        self.n = self.Wm.shape[0]
        rows = np.asarray(self.Wm.sum(axis=1)).ravel()
        self.rowstd = bool(np.allclose(rows, 1.0))
        self.w1 = rows
        self.omega: np.ndarray | None = None
        self.engine: LogDet | None = None
        self.point = traces
        self.how = "no rho"
        if not spectrum:
            return
        cached = matrix_key(self.Wm) in _SPECTRUM_CACHE
        if self.n <= AUTO_EIGEN_MAX_N or cached:
            self.omega = _spectrum(w)
            real = self.omega.real
            self.interval = (1 / real.min() if real.min() < 0 else -np.inf, 1 / real.max())
            self.how = "eigenvalues of W (exact)"
            return
        if logdet is not None and not logdet.exact:
            self.engine = logdet
        else:
            d = logdet.scaling if logdet is not None else _scaling(w)
            self.engine = LogDet(self.Wm, "chebyshev" if d is not None else "mc",
                                 scaling=d, seed=logdet.seed if logdet is not None else 0)
        self.interval = self.engine.interval
        self.how = (f"traces of W's powers ({self.engine.method} expansion of order "
                    f"{self.engine.order}, Hutchinson with {self.engine.probes} probes above "
                    "order 4; LeSage & Pace 2009)")
        if traces is not None:
            self.how += f"; at the estimate: {traces.how}"

    def traces(self, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """tr G and tr G² at each ρ."""
        if self.omega is not None:
            tr_g = np.empty(len(rho))
            tr_g2 = np.empty(len(rho))
            chunk = max(1, 4_000_000 // max(self.n, 1))
            for start in range(0, len(rho), chunk):
                r = rho[start:start + chunk, None]
                g = self.omega / (1.0 - r * self.omega[None, :])
                tr_g[start:start + chunk] = g.sum(axis=1).real
                tr_g2[start:start + chunk] = (g * g).sum(axis=1).real
            return tr_g, tr_g2
        tr_g, tr_g2 = self.engine.derivatives(rho)
        if self.point is not None:
            at = rho == self.point.rho
            tr_g, tr_g2 = np.where(at, self.point.tr_g, tr_g), np.where(at, self.point.tr_g2,
                                                                         tr_g2)
        return tr_g, tr_g2

    def at(self, rho: np.ndarray) -> dict[str, np.ndarray]:
        rho = np.atleast_1d(np.asarray(rho, dtype=float))
        tr_g, tr_g2 = self.traces(rho)
        n = self.n
        out = {"m1": (n + rho * tr_g) / n, "m2": tr_g / n, "dm1": (tr_g + rho * tr_g2) / n,
               "dm2": tr_g2 / n}
        if self.rowstd:
            out["t1"] = out["t2"] = 1.0 / (1.0 - rho)
            out["dt1"] = out["dt2"] = 1.0 / (1.0 - rho) ** 2
        else:
            for key in ("t1", "t2", "dt1", "dt2"):
                out[key] = np.empty(len(rho))
            ones = np.ones(self.n)
            for i, r in enumerate(rho):
                lu = splu((sparse.identity(self.n, format="csc") - r * self.Wm).tocsc())
                s1, sw1 = lu.solve(ones), lu.solve(self.w1)
                out["t1"][i], out["t2"][i] = s1.mean(), sw1.mean()
                out["dt1"][i] = lu.solve(self.Wm @ s1).mean()
                out["dt2"][i] = lu.solve(self.Wm @ sw1).mean()
        return out


def compute_impacts(
    result: RegressionResult,
    *,
    method: ImpactsMethod = "delta",
    draws: int = 1000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Average direct, indirect and total impacts (LeSage & Pace 2009, ch. 2.7).

    For y = ρWy + Xβ + WXθ + ε the effect of regressor k is S_k = (I − ρW)⁻¹(β_k I + θ_k W);
    direct = tr(S_k)/n, total = 1'S_k 1/n, indirect = total − direct. Without ρ (SLX, SDEM)
    direct = β_k and indirect = θ_k·(mean row sum of W). Traces use the eigenvalues of W
    (exact); totals use 1/(1 − ρ) for row-standardised W.

    Parameters
    ----------
    result
        A fitted model with a spatial lag of y or of X.
    method
        ``"delta"``: first-order delta method with the model's covariance of (β, θ, ρ) (as
        Stata's ``estat impact``). ``"simulation"``: ``draws`` parameter vectors from the
        estimated normal sampling distribution (LeSage & Pace; R's
        ``spatialreg::impacts(R=…)``); the standard error is the standard deviation of the
        simulated impacts; draws with ρ outside the stationary interval (1/ω_min, 1/ω_max)
        are dropped and counted.
    draws, seed
        Number of draws and the seed of ``numpy.random.default_rng`` (simulation only).

    Returns
    -------
    pandas.DataFrame
        Indexed by (``variable``, ``effect``) with ``estimate`` (at the estimates), ``se``,
        ``z`` = estimate/se and two-sided normal ``p``; ``attrs`` records the conventions.
    """
    if method not in ("delta", "simulation"):
        raise RegressionError(f"impacts method must be 'delta' or 'simulation', not {method!r}")
    coef = result.coefficients
    has_rho = "rho" in coef.index
    lagged = [v for v in result.x if f"W_{v}" in coef.index]
    if not has_rho and not lagged:
        raise RegressionError(f"{result.label} has no spatial lag of y or X: its impacts are "
                              "the coefficients")
    terms = [*result.x, *(f"W_{v}" for v in lagged), *(["rho"] if has_rho else [])]
    theta = coef.loc[terms, "estimate"].to_numpy()
    V = result.vcov.loc[terms, terms].to_numpy()
    if not np.all(np.isfinite(V)):
        raise RegressionError("the covariance of the coefficients has missing entries; "
                              "impacts need it (GMM 'kp98' gives no variance for lambda only)")
    k = len(result.x)
    pos_theta = {v: k + i for i, v in enumerate(lagged)}
    mult = _Multipliers(result._w, spectrum=has_rho, logdet=getattr(result, "_logdet", None),
                        traces=getattr(result, "_traces", None))

    def evaluate(params: np.ndarray, parts: dict[str, np.ndarray]) -> np.ndarray:
        """Impacts (draws × variables × 3) for parameter rows ``params``."""
        beta = params[:, :k]
        th = np.zeros_like(beta)
        for j, v in enumerate(result.x):
            if v in pos_theta:
                th[:, j] = params[:, pos_theta[v]]
        if has_rho:
            direct = beta * parts["m1"][:, None] + th * parts["m2"][:, None]
            total = beta * parts["t1"][:, None] + th * parts["t2"][:, None]
        else:
            direct = beta
            total = beta + th * mult.w1.mean()
        return np.stack([direct, total - direct, total], axis=-1)

    rho_hat = np.array([theta[-1]]) if has_rho else np.zeros(1)
    point_parts = mult.at(rho_hat) if has_rho else {}
    point = evaluate(theta[None, :], point_parts)[0]
    attrs: dict[str, Any] = {
        "method": method, "reference": "LeSage & Pace (2009)",
        "traces": mult.how if has_rho else "no rho: direct = beta",
        "total": "1/(1 - rho) (row-standardised W)" if mult.rowstd
        else "sparse solves of (I - rho W)"}
    if method == "delta":
        # gradients of (direct, indirect, total) of each variable in (β, θ, ρ)
        grads = np.zeros((k, 3, len(terms)))
        p = {key: float(val[0]) for key, val in point_parts.items()}
        for j, v in enumerate(result.x):
            jt = pos_theta.get(v)
            b, t = theta[j], (theta[jt] if jt is not None else 0.0)
            if has_rho:
                grads[j, 0, j], grads[j, 2, j] = p["m1"], p["t1"]
                grads[j, 0, -1] = b * p["dm1"] + t * p["dm2"]
                grads[j, 2, -1] = b * p["dt1"] + t * p["dt2"]
                if jt is not None:
                    grads[j, 0, jt], grads[j, 2, jt] = p["m2"], p["t2"]
            else:
                grads[j, 0, j] = grads[j, 2, j] = 1.0
                if jt is not None:
                    grads[j, 2, jt] = mult.w1.mean()
            grads[j, 1] = grads[j, 2] - grads[j, 0]
        se = np.sqrt(np.einsum("vei,ij,vej->ve", grads, V, grads))
    else:
        rng = np.random.default_rng(seed)
        sample = rng.multivariate_normal(theta, V, size=draws, method="eigh")
        dropped = 0
        if has_rho:
            low, high = mult.interval
            ok = (sample[:, -1] > low) & (sample[:, -1] < high)
            dropped = int((~ok).sum())
            sample = sample[ok]
            if dropped > 0.01 * draws:
                warnings.warn(f"{dropped} of {draws} simulated rho fell outside the stationary "
                              f"interval ({low:.3f}, {high:.3f}) and were dropped", stacklevel=2)
        parts = mult.at(sample[:, -1]) if has_rho else {}
        simulated = evaluate(sample, parts)
        se = simulated.std(axis=0, ddof=1)
        attrs.update({"draws": draws, "seed": seed, "dropped_draws": dropped,
                      "simulated_mean": simulated.mean(axis=0).tolist()})
    effects = ["direct", "indirect", "total"]
    index = pd.MultiIndex.from_product([result.x, effects], names=["variable", "effect"])
    est = point.reshape(-1)
    se = se.reshape(-1)
    z = est / se
    table = pd.DataFrame({"estimate": est, "se": se, "z": z,
                          "p": 2 * stats.norm.sf(np.abs(z))}, index=index)
    table.attrs = attrs
    return table
