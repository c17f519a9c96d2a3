"""Dynamic spatial panels with fixed effects: the time–space dynamic SAR/SDM by QML, with the
bias correction of Yu, de Jong & Lee (2008) and, for two-way effects, Lee & Yu (2010).

The model, per period t = 1 … T (period 0 is the initial condition, lost),

    y_t = τ y_{t−1} + ρ W y_t + η W y_{t−1} + X_t β + W X_t θ + μ + α_t 1 + ε_t,

with unit effects μ (``"unit"``) or unit and period effects (``"twoway"``). The effects are
removed by demeaning y, Wy and Z = (y_{t−1}, W y_{t−1}, X_t, W X_t) over the T periods used
(and over units for two-way), and the Gaussian likelihood of the demeaned data,

    −nT/2 ln(2πσ²) + T ln|I − ρW| − ‖ỹ − ρWỹ − Z̃δ‖²/(2σ²),   n = N units, T = periods used,

is concentrated in ρ (δ = (τ, η, β, θ) and σ² by least squares) — Yu, de Jong & Lee (2008,
J. Econometrics 146, 118–134); for two-way effects the "direct approach" of Lee & Yu (2010,
Econometric Theory 26, 564–597). ln|I − ρW| is exact from the eigenvalues of W
(:func:`spatialecon.regression.impacts._spectrum`, the cached spectrum of the package's
log-determinant engine :mod:`spatialecon.regression.logdet`).

Bias correction (``correction="yu-de-jong-lee"``). The QML estimator θ̂ = (δ, ρ, σ²) has a bias
of order 1/T from the incidental unit effects (a spatial Nickell bias) and, with time effects,
one of order 1/n. With Σ the information matrix of the demeaned likelihood divided by nT,

    θ̂_c = θ̂ + Σ̂⁻¹ a(θ̂)/T + Σ̂⁻¹ b(θ̂)/n   (the b term for two-way effects only),

    a_τ = tr(M)/n,  a_η = tr(WM)/n,  a_β = a_θ = 0,
    a_ρ = τ tr(GM)/n + η tr(GWM)/n + tr(G)/n,  a_σ² = 1/(2σ²),
    b = (0, …, 0, 1/(1 − ρ), 1/(2σ²)),

where S = I − ρW, G = W S⁻¹, A = S⁻¹(τI + ηW) and M = (I − A)⁻¹S⁻¹ = ((1 − τ)I − (ρ + η)W)⁻¹.
a is the 1/T bias of Yu, de Jong & Lee (2008; their bias-corrected estimator θ̂ − B̂/T,
stable case). b is the O(1/n) bias that the time effects add when they are removed by
demeaning — the "direct approach" of Lee & Yu (2010, ET); it uses W1 = 1, so it needs
row-standardised weights. (Lee & Yu prefer a transformation that avoids this term at the cost
of one unit and a transformed W; the direct approach with its analytical correction keeps W
and all N units.) The formulas follow SDPDmod's ``SDPDm`` (R; ``dynamic=TRUE``, ``LYtrans``
for unit effects, ``DIRtrans`` for two-way effects), itself a port of Yu's and Elhorst's MATLAB
``sar_jihai`` / ``sar_jihai_time``.
All four traces are functions of W alone, so they come exactly from its eigenvalues ω:
tr(M)/n = mean 1/(1 − τ − (ρ + η)ω), and so on.

The correction assumes a stable process: the eigenvalues (τ + ηω)/(1 − ρω) of A inside the
unit circle (for row-standardised W, τ + ρ + η < 1). Otherwise a warning is given (the
unit-root and cointegration cases of Yu, de Jong & Lee 2012 are not implemented).

Variance: the inverse of the analytical information matrix Σ (normal errors; YJL's
fourth-moment sandwich term is left out), evaluated at the reported (corrected) estimates.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from libpysal.weights import W
from scipy import optimize, sparse, stats
from scipy.sparse.linalg import splu

from spatialecon.regression._common import (
    _AIC_CONVENTION,
    _LABELS,
    EstimationWarning,
    RegressionError,
    _check_design,
    _check_islands,
    _prepare_weights,
    _spec,
)
from spatialecon.regression.panel_ml import _BOUNDARY, _demean, _lag, _Likelihood, _recover_effects
from spatialecon.regression.results import RegressionResult, _coefficients

DynamicCorrection = Literal["yu-de-jong-lee", "none"]
DynamicEffects = Literal["unit", "twoway"]


@dataclass(frozen=True)
class DynamicFit:
    """Estimates of (δ, ρ, σ²), δ = (τ, η, β, θ); ``*_raw`` are the uncorrected QML ones."""

    delta: np.ndarray
    rho: float
    sigma2: float
    vcov: np.ndarray  # of (δ, ρ); σ² left out, as in the coefficient tables
    delta_raw: np.ndarray
    rho_raw: float
    sigma2_raw: float
    vcov_raw: np.ndarray
    bias: np.ndarray  # θ̂_c − θ̂ for (δ, ρ, σ²) (zeros without correction)
    logl: float  # the maximised (uncorrected) log-likelihood
    logl_corrected: float
    residuals: np.ndarray  # (T, N) of the demeaned model at the reported estimates
    fitted: np.ndarray
    unit_effects: np.ndarray | None
    time_effects: np.ndarray | None
    intercept: float | None
    n_effective: int
    bounds: tuple[float, float]
    stability: float  # max |eigenvalue| of A = (I − ρW)⁻¹(τI + ηW) at the estimates
    variance: str = field(default=(
        "inverse of the analytical information matrix of the demeaned likelihood (normal "
        "errors; Yu, de Jong & Lee 2008), at the reported estimates"))


def _stability(omega: np.ndarray, tau: float, rho: float, eta: float) -> float:
    """Spectral radius of A = (I − ρW)⁻¹(τI + ηW): its eigenvalues are (τ + ηω)/(1 − ρω)."""
    return float(np.abs((tau + eta * omega) / (1 - rho * omega)).max())


def _information(like: _Likelihood, delta: np.ndarray, rho: float, sigma2: float,
                 Wd: np.ndarray) -> np.ndarray:
    """Σ·nT: the information matrix of (δ, ρ, σ²) of the demeaned likelihood (YJL 2008;
    SDPDmod's ``f_SIG``); tr(G'G) needs G itself, hence the dense solve."""
    k, T, n = len(delta), like.t_ld, like.n
    Z = like.Z
    gzd = like.lag_series(Z @ delta, rho)  # Q G Z̃δ: the part of W ỹ explained by Z̃δ
    G = np.linalg.solve((np.eye(like.N) - rho * Wd).T, Wd.T).T
    tr_g, tr_gg, tr_gtg = float(np.trace(G)), float(np.sum(G * G.T)), float(np.sum(G * G))
    info = np.zeros((k + 2, k + 2))
    info[:k, :k] = Z.T @ Z / sigma2
    info[:k, k] = info[k, :k] = Z.T @ gzd / sigma2
    info[k, k] = gzd @ gzd / sigma2 + T * (tr_gg + tr_gtg)
    info[k, k + 1] = info[k + 1, k] = T * tr_g / sigma2
    info[k + 1, k + 1] = n / (2 * sigma2**2)
    return info


def _bias_terms(omega: np.ndarray, delta: np.ndarray, rho: float, sigma2: float,
                k: int) -> np.ndarray:
    """a(θ) of Yu, de Jong & Lee (2008): traces of functions of W, exact from its spectrum."""
    tau, eta = float(delta[0]), float(delta[1])
    s = 1 - rho * omega  # eigenvalues of S
    m = 1 / (1 - tau - (rho + eta) * omega)  # eigenvalues of M = (I − A)⁻¹S⁻¹
    g = omega / s  # eigenvalues of G
    a = np.zeros(k + 2)
    a[0] = np.mean(m).real
    a[1] = np.mean(omega * m).real
    a[k] = (tau * np.mean(g * m) + eta * np.mean(g * omega * m) + np.mean(g)).real
    a[k + 1] = 1 / (2 * sigma2)
    return a


def fit_dynamic(y: np.ndarray, Z: np.ndarray, w: W, *, effects: DynamicEffects = "unit",
                correction: DynamicCorrection = "yu-de-jong-lee") -> DynamicFit:
    """Estimate the dynamic spatial panel of the module docstring.

    Parameters
    ----------
    y
        (T₀, N): all periods (the first is the initial condition) × units in ``w.id_order``.
    Z
        (T₀, N, k): the regressors X (and W X for the Durbin form) of every period; the
        time lags y_{t−1} and W y_{t−1} are added here.
    w
        The weights (already transformed).
    effects, correction
        ``"unit"`` or ``"twoway"``; ``"yu-de-jong-lee"`` or ``"none"``.

    Returns
    -------
    DynamicFit
        δ = (τ, η, β, θ), ρ, σ² (corrected unless ``correction="none"``) and their variance.
    """
    Wm = w.sparse.tocsr().astype(float)
    rowstd = bool(np.allclose(np.asarray(Wm.sum(axis=1)).ravel(), 1.0))
    if correction != "none" and effects == "twoway" and not rowstd:
        raise RegressionError(
            "the Lee–Yu (2010) correction for time effects in dynamic panels uses W1 = 1: pass "
            "transform='row', or correction='none'")
    prev = y[:-1]
    # the lags are taken on the raw data, then demeaned with everything else (as YJL's Z̃)
    Zd = np.concatenate([prev[..., None], _lag(Wm, prev)[..., None], Z[1:]], axis=2)
    # correction="none" in panel_ml is Elhorst's direct likelihood of demeaned data: exactly
    # YJL's likelihood with T periods used (its Lee–Yu transformation is for static panels)
    like = _Likelihood(y[1:], Zd, w, effects, "none")
    lo, hi = like.bounds
    eps = 1e-7 * (hi - lo)
    best = optimize.minimize_scalar(lambda a: -like.concentrated(a, 0.0),
                                    bounds=(lo + eps, hi - eps), method="bounded",
                                    options={"xatol": 1e-12})
    rho_raw = float(best.x)
    if min(rho_raw - lo, hi - rho_raw) < _BOUNDARY:
        warnings.warn(f"rho = {rho_raw:.6f} is at the boundary of its feasible range "
                      f"({lo:.4f}, {hi:.4f}): the likelihood has no interior maximum",
                      EstimationWarning, stacklevel=3)
    delta_raw, e = like.solve(rho_raw, 0.0)
    sigma2_raw = float(e @ e / like.n)
    logl = like.concentrated(rho_raw, 0.0)
    k = Zd.shape[2]
    Wd = Wm.toarray()
    info_raw = _information(like, delta_raw, rho_raw, sigma2_raw, Wd)
    raw = np.r_[delta_raw, rho_raw, sigma2_raw]
    omega = like.omega
    radius = _stability(omega, delta_raw[0], rho_raw, delta_raw[1])
    if correction == "none":
        theta, info = raw, info_raw
    else:
        if radius >= 1:
            warnings.warn(f"the estimates imply a non-stable process (spectral radius of "
                          f"(I − ρW)⁻¹(τI + ηW) = {radius:.4f} ≥ 1; for row-standardised W, "
                          "τ + ρ + η ≥ 1): the Yu–de Jong–Lee correction assumes stability "
                          "and is unreliable here", EstimationWarning, stacklevel=3)
        # info_raw = nT·Σ, so Σ⁻¹a/T = n·info⁻¹a and Σ⁻¹b/n = T·info⁻¹b
        step = like.N * np.linalg.solve(info_raw, _bias_terms(omega, delta_raw, rho_raw,
                                                              sigma2_raw, k))
        if effects == "twoway":
            b = np.zeros(k + 2)
            b[k], b[k + 1] = 1 / (1 - rho_raw), 1 / (2 * sigma2_raw)
            step += like.t_ld * np.linalg.solve(info_raw, b)
        theta = raw + step
        if not lo < theta[k] < hi or theta[k + 1] <= 0:
            raise RegressionError(f"the bias-corrected rho = {theta[k]:.4f} or sigma2 = "
                                  f"{theta[k + 1]:.4g} is infeasible; use correction='none'")
        info = _information(like, theta[:k], theta[k], theta[k + 1], Wd)
    delta, rho, sigma2 = theta[:k], float(theta[k]), float(theta[k + 1])
    resid = like.y - rho * like.wy - like.Z @ delta
    residual = resid.reshape(like.T, like.N)
    unit, time_, intercept = _recover_effects(y[1:], Zd, Wm, delta, rho, effects)
    return DynamicFit(
        delta=delta, rho=rho, sigma2=sigma2, vcov=np.linalg.inv(info)[:-1, :-1],
        delta_raw=delta_raw, rho_raw=rho_raw, sigma2_raw=sigma2_raw,
        vcov_raw=np.linalg.inv(info_raw)[:-1, :-1], bias=theta - raw, logl=logl,
        logl_corrected=like.full(delta, rho, 0.0, sigma2), residuals=residual,
        fitted=like.y.reshape(like.T, like.N) - residual, unit_effects=unit,
        time_effects=time_, intercept=intercept, n_effective=like.n, bounds=(lo, hi),
        stability=_stability(omega, delta[0], rho, delta[1]))


# ---------------------------------------------------------------------------- effects


class _DynamicMultipliers:
    """Average effects of S(c, a) = (cI − aW)⁻¹(β I + θ W): short run (c, a) = (1, ρ), long
    run (1 − τ, ρ + η) (Debarsy, Ertur & LeSage 2012). Direct effects from the eigenvalues of
    W; totals 1'S1/n as (β + θ)/(c − a) for row-standardised W, else by sparse solves."""

    def __init__(self, w: W, omega: np.ndarray) -> None:
        self.Wm = w.sparse.tocsc().astype(float)
        self.n = self.Wm.shape[0]
        self.omega = omega
        self.w1 = np.asarray(self.Wm.sum(axis=1)).ravel()
        self.rowstd = bool(np.allclose(self.w1, 1.0))

    def __call__(self, params: np.ndarray, k: int, pos_theta: dict[int, int]) -> np.ndarray:
        """Effects (draws × k variables × 2 horizons × 3) for rows (τ, η, β, θ, ρ)."""
        m = params.shape[0]
        tau, eta, rho = params[:, 0], params[:, 1], params[:, -1]
        beta = params[:, 2:2 + k]
        th = np.zeros_like(beta)
        for j, col in pos_theta.items():
            th[:, j] = params[:, col]
        out = np.empty((m, k, 2, 3))
        for h, (c, a) in enumerate(((np.ones(m), rho), (1 - tau, rho + eta))):
            inv = 1 / (c[:, None] - a[:, None] * self.omega[None, :])
            m1, m2 = inv.mean(axis=1).real, (self.omega * inv).mean(axis=1).real
            direct = beta * m1[:, None] + th * m2[:, None]
            if self.rowstd:
                total = (beta + th) / (c - a)[:, None]
            else:
                total = np.empty_like(beta)
                eye = sparse.identity(self.n, format="csc")
                for i in range(m):
                    lu = splu((c[i] * eye - a[i] * self.Wm).tocsc())
                    total[i] = (beta[i] * lu.solve(np.ones(self.n)).mean()
                                + th[i] * lu.solve(self.w1).mean())
            out[:, :, h] = np.stack([direct, total - direct, total], axis=-1)
        return out


def dynamic_impacts(x_names: Sequence[str], lagged: Sequence[str], theta: np.ndarray,
                    V: np.ndarray, w: W, omega: np.ndarray, *, method: str = "delta",
                    draws: int = 1000, seed: int | None = None) -> pd.DataFrame:
    """Short- and long-run direct, indirect and total effects of a dynamic SAR/SDM.

    Parameters
    ----------
    x_names, lagged
        The regressors and those with a W lag (θ).
    theta, V
        Estimates of (τ, η, β, θ, ρ) in that order and their covariance.
    w, omega
        The weights and their eigenvalues.
    method
        ``"delta"`` (numerical gradients, central differences) or ``"simulation"``
        (``draws`` from N(θ̂, V), seeded; draws with ρ outside its feasible interval or a
        non-stable process (|eig A| ≥ 1, no long run) are dropped and counted).

    Returns
    -------
    pandas.DataFrame
        Indexed by (``variable``, ``horizon`` ∈ {short, long}, ``effect``) with
        ``estimate``, ``se``, ``z``, ``p``; ``attrs`` records the method, draws and seed.
    """
    if method not in ("delta", "simulation"):
        raise RegressionError(f"impacts method must be 'delta' or 'simulation', not {method!r}")
    k = len(x_names)
    pos_theta = {list(x_names).index(v): 2 + k + i for i, v in enumerate(lagged)}
    mult = _DynamicMultipliers(w, omega)
    point = mult(theta[None, :], k, pos_theta)[0]
    attrs: dict[str, Any] = {
        "method": method, "reference": "Debarsy, Ertur & LeSage (2012)",
        "short_run": "(I - rho W)^-1 (beta_k I + theta_k W)",
        "long_run": "((1 - tau) I - (rho + eta) W)^-1 (beta_k I + theta_k W)",
        "traces": "eigenvalues of W (exact)"}
    if method == "delta":
        h = 1e-6 * np.maximum(np.abs(theta), 1.0)
        grads = np.empty((*point.shape, len(theta)))
        for i in range(len(theta)):
            up, down = theta.copy(), theta.copy()
            up[i] += h[i]
            down[i] -= h[i]
            pair = mult(np.stack([up, down]), k, pos_theta)
            grads[..., i] = (pair[0] - pair[1]) / (2 * h[i])
        se = np.sqrt(np.einsum("...i,ij,...j->...", grads, V, grads))
        attrs["gradients"] = "numerical (central differences)"
    else:
        rng = np.random.default_rng(seed)
        sample = rng.multivariate_normal(theta, V, size=draws, method="eigh")
        real = omega.real
        low = 1 / real.min() if real.min() < 0 else -np.inf
        ok = (sample[:, -1] > low) & (sample[:, -1] < 1 / real.max())
        ok &= np.array([_stability(omega, s[0], s[-1], s[1]) < 1 for s in sample])
        dropped = int((~ok).sum())
        if dropped > 0.01 * draws:
            warnings.warn(f"{dropped} of {draws} simulated draws had rho outside its interval "
                          "or a non-stable process and were dropped", stacklevel=2)
        simulated = mult(sample[ok], k, pos_theta)
        se = simulated.std(axis=0, ddof=1)
        attrs.update({"draws": draws, "seed": seed, "dropped_draws": dropped})
    index = pd.MultiIndex.from_product([list(x_names), ["short", "long"],
                                        ["direct", "indirect", "total"]],
                                       names=["variable", "horizon", "effect"])
    est, se = point.reshape(-1), se.reshape(-1)
    z = est / se
    table = pd.DataFrame({"estimate": est, "se": se, "z": z,
                          "p": 2 * stats.norm.sf(np.abs(z))}, index=index)
    table.attrs = attrs
    return table


# ---------------------------------------------------------------------------- fit_panel


def _fit_panel_dynamic(panel: pd.DataFrame, y: str, X: Any, w: W, *, model: str, effects: str,
                       correction: DynamicCorrection, durbin: Sequence[str] | None,
                       years: Sequence[int] | None, transform: str | None,
                       impacts: str | None, draws: int, seed: int | None
                       ) -> RegressionResult:
    """``fit_panel(..., dynamic=True)``: checks, arrays, :func:`fit_dynamic`, the result."""
    from spatialecon.autocorrelation import describe_weights
    from spatialecon.regression.cross_section import _information_criteria
    from spatialecon.regression.panel import (
        _check_within_variation,
        _within_r2,
        durbin_lags,
        panel_arrays,
    )

    if effects not in ("unit", "twoway"):
        raise RegressionError(
            f"dynamic panels take effects='unit' or 'twoway', not {effects!r}: the Yu–de "
            "Jong–Lee estimator removes unit effects by demeaning (random effects would be "
            "correlated with y_{t-1}, and time effects alone leave the unit effects in)")
    if model not in ("lag", "durbin"):
        raise RegressionError(f"dynamic panels are the time–space dynamic lag ('lag') and "
                              f"Durbin ('durbin') models, not {model!r}")
    y_name, x_names = _spec(y, X)
    tw = _prepare_weights(w, transform)
    _check_islands(tw, None)
    year_list = sorted({int(v) for v in panel["year"].unique()} if years is None
                       else {int(v) for v in years}) if "year" in panel.columns else None
    if year_list is not None and len(year_list) < 3:
        raise RegressionError(
            f"a dynamic panel needs at least 3 years, got {year_list}: the first year is lost "
            "as the initial condition y_(t-1), and the unit effects need at least two of the "
            "remaining periods to be estimable")
    lagged = durbin_lags(model, durbin, x_names, ("durbin",))
    wide, year_list = panel_arrays(panel, [y_name, *x_names], tw, years)
    N, T0 = tw.n, len(year_list)
    cube = wide.to_numpy().reshape(T0, N, -1)
    yv, xv = cube[:, :, 0], cube[:, :, 1:]
    _check_within_variation(xv[1:], list(x_names), effects, tw, year_list[1:])
    Wm = tw.sparse.tocsr()
    Z = np.concatenate([xv] + [_lag(Wm, xv[:, :, [x_names.index(v)]]) for v in lagged], axis=2)
    names_out = ["tau", "eta", *x_names, *(f"W_{v}" for v in lagged), "rho"]
    kinds = ["tau", "eta", *(["x"] * len(x_names)), *(["wx"] * len(lagged)), "rho"]
    prev = yv[:-1]
    design = np.concatenate([prev[..., None], _lag(Wm, prev)[..., None], Z[1:]], axis=2)
    _check_design(_demean(design, effects).reshape(N * (T0 - 1), -1), names_out[:-1],
                  _demean(yv[1:], effects).ravel(), y_name,
                  len(names_out) + 1 + N + (T0 - 1 if effects == "twoway" else 0),
                  "unit-years")
    fitted = fit_dynamic(yv, Z, tw, effects=effects, correction=correction)
    theta = np.r_[fitted.delta, fitted.rho]
    coefficients, vcov = _coefficients(names_out, kinds, theta, fitted.vcov)
    n_obs = N * (T0 - 1)
    aic, sc = _information_criteria(fitted.logl, len(coefficients) + 1, n_obs)
    used = year_list[1:]
    index = pd.MultiIndex.from_product([used, list(tw.id_order)], names=["year", "adcode"])
    index = index.swaplevel()
    raw = dict(zip([*names_out, "sigma2"], [*fitted.delta_raw.tolist(), fitted.rho_raw,
                                            fitted.sigma2_raw], strict=True))
    conventions: dict[str, Any] = {
        "weights": describe_weights(tw), "transform": tw.transform, "units": N,
        "years": used, "initial_period": year_list[0], "periods_used": T0 - 1,
        "dynamic": True, "effects": effects, "correction": correction,
        "likelihood": (f"QML of the demeaned data (Yu, de Jong & Lee 2008): {n_obs} "
                       "observations, the first year dropped as the initial condition"),
        "estimator": "concentrated QML (spatialecon.regression.panel_dynamic)",
        "log_determinant": "eigenvalues of W (exact)", "variance": fitted.variance,
        "feasible_range": fitted.bounds, "durbin": lagged, "stability": fitted.stability,
        "uncorrected": raw,
        "bias_correction": dict(zip([*names_out, "sigma2"], fitted.bias.tolist(),
                                    strict=True)),
        "logl_corrected": float(fitted.logl_corrected),
        "stacking": "year-major, units in w.id_order", "aic": _AIC_CONVENTION,
    }
    if fitted.intercept is not None:
        conventions["intercept"] = fitted.intercept
    result = RegressionResult(
        model=model, method="ml", y=y_name, x=list(x_names), n=n_obs,
        coefficients=coefficients, vcov=vcov, rho=fitted.rho, lam=None, logl=fitted.logl,
        aic=aic, sc=sc, pseudo_r2=np.nan, pseudo_r2_e=np.nan, r2=_within_r2(fitted),
        sig2=fitted.sigma2,
        residuals=pd.Series(fitted.residuals.ravel(), index=index, name="residual"),
        fitted=pd.Series(fitted.fitted.ravel(), index=index, name="fitted"),
        conventions=conventions, spreg=None, effects=effects,
        label=f"dynamic {_LABELS[model]}-{'FE' if effects == 'unit' else '2FE'}", _w=tw,
        unit_effects=(None if fitted.unit_effects is None else
                      pd.Series(fitted.unit_effects, index=pd.Index(tw.id_order, name="adcode"),
                                name="unit_effect")),
        time_effects=(None if fitted.time_effects is None else
                      pd.Series(fitted.time_effects, index=pd.Index(used, name="year"),
                                name="time_effect")),
    )
    if impacts is not None:
        from spatialecon.regression.impacts import _spectrum

        result.impacts = dynamic_impacts(list(x_names), lagged, theta,
                                         vcov.to_numpy(), tw, _spectrum(tw),
                                         method=impacts, draws=draws, seed=seed)
    return result


__all__ = ["DynamicFit", "dynamic_impacts", "fit_dynamic"]
