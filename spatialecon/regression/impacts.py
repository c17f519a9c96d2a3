"""Direct, indirect and total effects (LeSage & Pace 2009) by the delta method or simulation."""
import hashlib
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
from spatialecon.regression.results import (
    RegressionResult,
)
from spatialecon.weights import transform as transform_weights

# ---------------------------------------------------------------------------- impacts


_SPECTRUM_CACHE: dict[str, np.ndarray] = {}


def _matrix_key(m: sparse.csr_matrix) -> str:
    m = m.tocsr()
    digest = hashlib.sha1()
    for part in (np.asarray(m.shape), m.indptr, m.indices, m.data):
        digest.update(np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()


def _spectrum(w: W) -> np.ndarray:
    """Eigenvalues of W (real when W is symmetric or row-standardised from symmetric
    weights, which are then similar to a symmetric matrix), cached per matrix."""
    Wm = w.sparse.tocsr().astype(float)
    key = _matrix_key(Wm)
    if key in _SPECTRUM_CACHE:
        return _SPECTRUM_CACHE[key]
    if _is_symmetric(Wm):
        values = np.linalg.eigvalsh(Wm.toarray())
    else:
        original = transform_weights(w, "original").sparse.tocsr().astype(float)
        rows = np.asarray(original.sum(axis=1)).ravel()
        similar = (w.transform == "R" and _is_symmetric(original) and np.all(rows > 0)
                   and np.allclose((sparse.diags(1 / rows) @ original - Wm).data, 0))
        if similar:
            d = sparse.diags(rows ** -0.5)
            values = np.linalg.eigvalsh((d @ original @ d).toarray())
        else:
            values = np.linalg.eigvals(Wm.toarray())
            if np.abs(values.imag).max() < 1e-10:
                values = values.real
    if len(_SPECTRUM_CACHE) >= 4:
        _SPECTRUM_CACHE.pop(next(iter(_SPECTRUM_CACHE)))
    _SPECTRUM_CACHE[key] = values
    return values


def _is_symmetric(m: sparse.csr_matrix) -> bool:
    diff = abs(m - m.T)
    return diff.nnz == 0 or float(diff.max()) < 1e-12


class _Multipliers:
    """Averages of S(ρ) = (I − ρW)⁻¹ over units, and their derivatives in ρ.

    m1 = tr(S)/n, m2 = tr(SW)/n (from the eigenvalues ω: mean 1/(1−ρω), mean ω/(1−ρω));
    t1 = 1'S1/n, t2 = 1'SW1/n (1/(1−ρ) for row-standardised W, else sparse solves).
    """

    def __init__(self, w: W, spectrum: bool = True) -> None:
        self.Wm = w.sparse.tocsr().astype(float)
        self.n = self.Wm.shape[0]
        self.omega = _spectrum(w) if spectrum else np.zeros(self.n)
        rows = np.asarray(self.Wm.sum(axis=1)).ravel()
        self.rowstd = bool(np.allclose(rows, 1.0))
        self.w1 = rows

    def at(self, rho: np.ndarray) -> dict[str, np.ndarray]:
        rho = np.atleast_1d(np.asarray(rho, dtype=float))
        out = {k: np.empty(len(rho)) for k in ("m1", "m2", "dm1", "dm2", "t1", "t2", "dt1",
                                                 "dt2")}
        chunk = max(1, 4_000_000 // max(self.n, 1))
        for start in range(0, len(rho), chunk):
            r = rho[start:start + chunk, None]
            inv = 1.0 / (1.0 - r * self.omega[None, :])
            out["m1"][start:start + chunk] = inv.mean(axis=1).real
            out["m2"][start:start + chunk] = (self.omega * inv).mean(axis=1).real
            out["dm1"][start:start + chunk] = (self.omega * inv**2).mean(axis=1).real
            out["dm2"][start:start + chunk] = (self.omega**2 * inv**2).mean(axis=1).real
        if self.rowstd:
            out["t1"] = out["t2"] = 1.0 / (1.0 - rho)
            out["dt1"] = out["dt2"] = 1.0 / (1.0 - rho) ** 2
        else:
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
    mult = _Multipliers(result._w, spectrum=has_rho)

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
        "traces": "eigenvalues of W (exact)" if has_rho else "no rho: direct = beta",
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
            real = mult.omega.real
            low = 1 / real.min() if real.min() < 0 else -np.inf
            high = 1 / real.max()
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
