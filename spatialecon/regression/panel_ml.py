"""Static spatial panels with fixed effects by concentrated ML: SAR, SEM, SDM, SDEM and SAC
with unit, time or two-way effects, with or without the Lee–Yu (2010) correction.

spreg estimates only lag and error models with unit effects, so this is written here (as
Elhorst's MATLAB routines and Stata's ``xsmle`` do it). The model, per period t,

    y_t = ρ W y_t + Z_t β + μ + α_t 1 + u_t,   u_t = λ W u_t + ε_t,   ε ~ N(0, σ² I),

where Z holds the regressors and, for the Durbin forms, their lags W X. The effects are
removed by demeaning every series (y, Wy, WWy, Z, WZ — each lag taken before demeaning, as
Elhorst 2014 does). With ``correction="none"`` the demeaned data enter the direct likelihood
−NT/2 ln σ² + T ln|I − ρW| (Elhorst 2003, 2014). With ``"lee-yu"`` they enter the likelihood
of the orthogonally transformed data (Lee & Yu 2010), whose dimension is N(T − 1) with unit
effects, (N − 1)T with time effects and (N − 1)(T − 1) with both; for time effects the
transformed determinant is |I − ρW| / (1 − ρ), valid for row-standardised W only. That makes
ρ, β and σ² consistent for fixed T (for unit effects it amounts to σ² × T/(T − 1)).

ln|I − ρW| comes from the package's log-determinant engine
(:class:`spatialecon.regression.logdet.LogDet`, method ``"eigen"``: the eigenvalues of W,
cached and shared with the impacts). The variance is the inverse of the
analytical information matrix (Lee & Yu 2010, in the transformed space) for models with one
of ρ and λ; for SAC, which has both, the observed information (numerical Hessian of the full
log-likelihood).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from libpysal.weights import W
from scipy import optimize, sparse

from spatialecon.regression._common import EstimationWarning, RegressionError, _numerical_hessian
from spatialecon.regression.impacts import _scaling
from spatialecon.regression.logdet import LogDet

FixedEffects = Literal["unit", "time", "twoway"]
Correction = Literal["lee-yu", "none"]
Variance = Literal["information", "cluster"]

_BOUNDARY = 1e-4  # |estimate − bound| below this: "at the boundary" warning


def _demean(a: np.ndarray, effects: FixedEffects) -> np.ndarray:
    """Remove unit means (over axis 0, time), period means (axis 1, units) or both."""
    if effects == "unit":
        return a - a.mean(axis=0, keepdims=True)
    if effects == "time":
        return a - a.mean(axis=1, keepdims=True)
    return (a - a.mean(axis=0, keepdims=True) - a.mean(axis=1, keepdims=True)
            + a.mean(axis=(0, 1), keepdims=True))


def _lag(Wm: sparse.csr_matrix, a: np.ndarray) -> np.ndarray:
    """W applied to each period of a (T, N) or (T, N, k) array."""
    T, N = a.shape[:2]
    flat = a.reshape(T, N, -1).transpose(1, 0, 2).reshape(N, -1)
    return (Wm @ flat).reshape(N, T, -1).transpose(1, 0, 2).reshape(a.shape)


@dataclass(frozen=True)
class PanelFit:
    """What the estimator returns; :func:`spatialecon.regression.fit_panel` wraps it."""

    beta: np.ndarray
    rho: float
    lam: float
    sigma2: float
    logl: float
    vcov: np.ndarray  # (β, ρ?, λ?) — σ² left out, as in the coefficient tables
    residuals: np.ndarray  # (T, N), of the demeaned model
    fitted: np.ndarray  # (T, N): y − residuals, in the demeaned scale
    unit_effects: np.ndarray | None
    time_effects: np.ndarray | None
    intercept: float | None
    n_effective: int
    variance: str
    bounds: tuple[float, float]


class _Likelihood:
    """The concentrated log-likelihood of (ρ, λ) for one panel, one effects choice."""

    def __init__(self, y: np.ndarray, Z: np.ndarray, w: W, effects: FixedEffects,
                 correction: Correction) -> None:
        T, N = y.shape
        Wm = w.sparse.tocsr().astype(float)
        rowstd = bool(np.allclose(np.asarray(Wm.sum(axis=1)).ravel(), 1.0))
        timed = effects in ("time", "twoway")
        if correction == "lee-yu" and timed and not rowstd:
            raise RegressionError(
                "the Lee–Yu correction with time effects needs row-standardised weights (its "
                "transformed determinant |I − ρW|/(1 − ρ) uses W1 = 1): pass transform='row', "
                "or correction='none' for Elhorst's direct approach")
        self.T, self.N, self.effects, self.correction = T, N, effects, correction
        self.Wm = Wm
        if correction == "lee-yu":
            t_eff = T - 1 if effects in ("unit", "twoway") else T
            n_units = N - 1 if timed else N
        else:
            t_eff, n_units = T, N
        self.t_ld = t_eff  # multiplier of the log-determinant
        self.n = t_eff * n_units  # observations of the (transformed) likelihood
        self.minus_one = correction == "lee-yu" and timed  # the − ln(1 − ρ) term
        self.project = correction == "lee-yu" and timed  # traces on the range of J_N
        # the package's one log-determinant engine, exact from the cached spectrum of W
        self.engine = LogDet(Wm, "eigen", scaling=_scaling(w))
        self.omega = self.engine.spectrum
        self.bounds = self.engine.interval
        wy = _lag(Wm, y)
        wz = _lag(Wm, Z)
        self.y = _demean(y, effects).ravel()
        self.wy = _demean(wy, effects).ravel()
        self.wwy = _demean(_lag(Wm, wy), effects).ravel()
        k = Z.shape[2]
        self.Z = _demean(Z, effects).reshape(-1, k)
        self.WZ = _demean(wz, effects).reshape(-1, k)

    def logdet(self, a: float) -> float:
        value = self.engine(a)
        if self.minus_one:
            value -= math.log(1 - a)
        return self.t_ld * value

    def solve(self, rho: float, lam: float) -> tuple[np.ndarray, np.ndarray]:
        """β and the residuals ε at (ρ, λ)."""
        yf = self.y - (rho + lam) * self.wy + rho * lam * self.wwy
        Zf = self.Z - lam * self.WZ
        beta = np.linalg.lstsq(Zf, yf, rcond=None)[0]
        return beta, yf - Zf @ beta

    def concentrated(self, rho: float, lam: float) -> float:
        _, e = self.solve(rho, lam)
        sigma2 = e @ e / self.n
        return (-self.n / 2 * (math.log(2 * math.pi * sigma2) + 1)
                + self.logdet(rho) + self.logdet(lam))

    def full(self, beta: np.ndarray, rho: float, lam: float, sigma2: float) -> float:
        """The log-likelihood at any parameters (for the observed information)."""
        yf = self.y - (rho + lam) * self.wy + rho * lam * self.wwy
        e = yf - (self.Z - lam * self.WZ) @ beta
        return (-self.n / 2 * math.log(2 * math.pi * sigma2) - e @ e / (2 * sigma2)
                + self.logdet(rho) + self.logdet(lam))

    def traces(self, a: float) -> tuple[float, float, float]:
        """tr(G), tr(G²), tr(G'G) of G = W(I − aW)⁻¹ per period, on the range of the
        transformation (J_N = I − 11'/N for Lee–Yu with time effects)."""
        N = self.N
        G = np.linalg.solve((np.eye(N) - a * self.Wm.toarray()).T, self.Wm.toarray().T).T
        if self.project:
            G = G - G.mean(axis=1, keepdims=True)  # G J_N
            G = G - G.mean(axis=0, keepdims=True)  # J_N G J_N: traces equal those of F'GF
        return float(np.trace(G)), float(np.sum(G * G.T)), float(np.sum(G * G))

    def lag_series(self, v: np.ndarray, a: float) -> np.ndarray:
        """Q G v per period for a demeaned series v (T·N,), G = W(I − aW)⁻¹."""
        T, N = self.T, self.N
        A = sparse.identity(N, format="csc") - a * self.Wm.tocsc()
        solved = sparse.linalg.splu(A).solve(v.reshape(T, N).T)
        return _demean((self.Wm @ solved).T, self.effects).ravel()


def fit_fixed_effects(y: np.ndarray, Z: np.ndarray, w: W, *, model: str,
                      effects: FixedEffects, correction: Correction,
                      variance: Variance = "information") -> PanelFit:
    """Estimate one fixed-effects spatial panel.

    Parameters
    ----------
    y
        (T, N): periods × units in ``w.id_order``.
    Z
        (T, N, k): the regressors, lags W X included for the Durbin forms.
    w
        The weights (already transformed).
    model
        ``"lag"``/``"durbin"`` (ρ), ``"error"``/``"sdem"`` (λ) or ``"sac"`` (both).
    effects, correction
        See the module docstring.
    variance
        ``"information"``: the inverse information matrix (module docstring).
        ``"cluster"``: cluster-robust by unit, the sandwich H⁻¹(Σᵢ sᵢsᵢ')H⁻¹ · N/(N − 1) with
        H⁻¹ that inverse and sᵢ the score of unit i summed over its periods
        (:func:`_unit_scores`) — robust to heteroskedasticity across units and to any
        correlation of a unit's errors over time, as Stata's ``vce(cluster id)``.
    """
    like = _Likelihood(y, Z, w, effects, correction)
    lo, hi = like.bounds
    eps = 1e-7 * (hi - lo)
    has_rho, has_lam = model in ("lag", "durbin", "sac"), model in ("error", "sdem", "sac")
    if has_rho and has_lam:
        best = optimize.minimize(lambda p: -like.concentrated(p[0], p[1]), x0=[0.0, 0.0],
                                 method="L-BFGS-B", bounds=[(lo + eps, hi - eps)] * 2,
                                 options={"ftol": 1e-14, "gtol": 1e-10})
        rho, lam = (float(v) for v in best.x)
    else:
        best = optimize.minimize_scalar(
            (lambda a: -like.concentrated(a, 0.0)) if has_rho
            else (lambda a: -like.concentrated(0.0, a)),
            bounds=(lo + eps, hi - eps), method="bounded", options={"xatol": 1e-12})
        rho, lam = (float(best.x), 0.0) if has_rho else (0.0, float(best.x))
    for name, value, used in (("rho", rho, has_rho), ("lambda", lam, has_lam)):
        if used and min(value - lo, hi - value) < _BOUNDARY:
            warnings.warn(f"{name} = {value:.6f} is at the boundary of its feasible range "
                          f"({lo:.4f}, {hi:.4f}): the likelihood has no interior maximum; "
                          "check the weights and the specification", EstimationWarning,
                          stacklevel=3)
    beta, e = like.solve(rho, lam)
    sigma2 = float(e @ e / like.n)
    logl = like.concentrated(rho, lam)
    if has_rho and has_lam:
        params = np.r_[beta, rho, lam, sigma2]

        def full(p: np.ndarray) -> float:
            return like.full(p[:-3], p[-3], p[-2], p[-1])

        inverse = np.linalg.inv(-_numerical_hessian(full, params))
        how = "observed information (numerical Hessian of the full log-likelihood)"
    else:
        inverse = _information_inverse(like, beta, rho if has_rho else lam, sigma2, has_rho)
        how = ("inverse of the analytical information matrix"
               + (" in the Lee–Yu transformed space" if correction == "lee-yu" else
                  " of the direct likelihood (Elhorst)"))
    if variance == "cluster":
        scores = _unit_scores(like, beta, rho, lam, sigma2, has_rho, has_lam)
        meat = scores.T @ scores * like.N / (like.N - 1)
        inverse = inverse @ meat @ inverse
        how = (f"cluster-robust by unit ({like.N} clusters, N/(N − 1) adjustment): sandwich "
               f"of the {how} and the unit scores")
    vcov = inverse[:-1, :-1]
    residual = e.reshape(like.T, like.N)
    unit, time_, intercept = _recover_effects(y, Z, like.Wm, beta, rho, effects)
    return PanelFit(beta=beta, rho=rho, lam=lam, sigma2=sigma2, logl=logl, vcov=vcov,
                    residuals=residual, fitted=like.y.reshape(like.T, like.N) - residual,
                    unit_effects=unit, time_effects=time_, intercept=intercept,
                    n_effective=like.n, variance=how, bounds=(lo, hi))


def _information_inverse(like: _Likelihood, beta: np.ndarray, a: float, sigma2: float,
                         lag: bool) -> np.ndarray:
    """Inverse information of (β, a, σ²) — a = ρ (lag forms) or λ (error forms) — (Lee & Yu
    2010; Elhorst 2014, ch. 3); the coefficient tables drop the σ² row and column."""
    k = len(beta)
    tr_g, tr_gg, tr_gtg = like.traces(a)
    t = like.t_ld
    if lag:
        Z = like.Z
        gzb = like.lag_series(Z @ beta, a)
        info = np.zeros((k + 2, k + 2))
        info[:k, :k] = Z.T @ Z / sigma2
        info[:k, k] = info[k, :k] = Z.T @ gzb / sigma2
        info[k, k] = t * (tr_gg + tr_gtg) + gzb @ gzb / sigma2
    else:
        Zf = like.Z - a * like.WZ
        info = np.zeros((k + 2, k + 2))
        info[:k, :k] = Zf.T @ Zf / sigma2
        info[k, k] = t * (tr_gg + tr_gtg)
    info[k, k + 1] = info[k + 1, k] = t * tr_g / sigma2
    info[k + 1, k + 1] = like.n / (2 * sigma2**2)
    return np.linalg.inv(info)


def _unit_scores(like: _Likelihood, beta: np.ndarray, rho: float, lam: float, sigma2: float,
                 has_rho: bool, has_lam: bool) -> np.ndarray:
    """The score of each unit, summed over its periods: an (N, p) array for (β, ρ?, λ?, σ²).

    With ε = y − (ρ + λ)Wy + ρλWWy − (Z − λWZ)β on the demeaned data, each observation
    contributes −ε ∂ε/∂θ / σ² to the scores of β, ρ, λ and (ε² − σ²·n/(NT)) / (2σ⁴) to that of
    σ² (n = the likelihood's effective observations). The log-determinant t·ln|I − aW| is not
    a sum over units; its derivative −t·tr(G), G = W(I − aW)⁻¹, is split by the diagonal, unit
    i taking −t·G_ii (what a unit's own feedback contributes). The scores sum to zero at the
    estimates."""
    T, N = like.T, like.N
    e = (like.y - (rho + lam) * like.wy + rho * lam * like.wwy
         - (like.Z - lam * like.WZ) @ beta)
    per_obs = [(like.Z - lam * like.WZ) * e[:, None] / sigma2]
    dense = like.Wm.toarray()

    def feedback(a: float) -> np.ndarray:
        G = np.linalg.solve((np.eye(N) - a * dense).T, dense.T).T
        share = np.diag(G) - (1 / (N * (1 - a)) if like.minus_one else 0.0)  # −ln(1 − a)
        return like.t_ld * share / T  # per unit and period

    if has_rho:
        d_rho = like.wy - lam * like.wwy
        per_obs.append((d_rho * e / sigma2 - np.tile(feedback(rho), T))[:, None])
    if has_lam:
        d_lam = like.wy - rho * like.wwy - like.WZ @ beta
        per_obs.append((d_lam * e / sigma2 - np.tile(feedback(lam), T))[:, None])
    per_obs.append(((e**2 - sigma2 * like.n / (N * T)) / (2 * sigma2**2))[:, None])
    stacked = np.hstack(per_obs).reshape(T, N, -1)  # year-major, like the data
    return stacked.sum(axis=0)


def _recover_effects(y: np.ndarray, Z: np.ndarray, Wm: sparse.csr_matrix, beta: np.ndarray,
                     rho: float, effects: FixedEffects
                     ) -> tuple[np.ndarray | None, np.ndarray | None, float | None]:
    """The fixed effects from the means of y − ρWy − Zβ (Elhorst 2014, eq. 3.12–3.14): with
    both kinds, an intercept and effects that sum to zero."""
    r = y - rho * _lag(Wm, y) - Z @ beta
    if effects == "unit":
        return r.mean(axis=0), None, None
    if effects == "time":
        return None, r.mean(axis=1), None
    mean = float(r.mean())
    return r.mean(axis=0) - mean, r.mean(axis=1) - mean, mean
