"""Cross-section models: OLS, SLX and GMM through spreg; ML lag, error, Durbin and SDEM by our
own concentrated likelihood (:mod:`.ml`) with the shared log-determinant engine (:mod:`.logdet`).
"""
import math
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from libpysal.weights import W
from scipy import sparse
from scipy.sparse import linalg as sparse_linalg

from spatialecon.autocorrelation import describe_weights
from spatialecon.regression._common import (
    _AIC_CONVENTION,
    _HAS_ERROR,
    _HAS_LAG,
    _HAS_WX,
    _LABELS,
    _METHOD_ALIASES,
    _MODEL_ALIASES,
    CONSTANT,
    EstimationWarning,
    ImpactsMethod,
    LogDet,
    RegressionError,
    _align,
    _check_design,
    _check_islands,
    _pair,
    _prepare_weights,
    _spec,
    _spreg,
    _spreg_version,
)
from spatialecon.regression.impacts import (
    _scaling,
    compute_impacts,
)
from spatialecon.regression.logdet import DEFAULT_CONFIDENCE
from spatialecon.regression.logdet import LogDet as LogDetEngine
from spatialecon.regression.ml import MLFit, fit_error, fit_lag
from spatialecon.regression.results import (
    RegressionResult,
    Statistic,
    _coefficients,
)
from spatialecon.validation import ParameterError

# ---------------------------------------------------------------------------- fitting


def fit(
    data: pd.DataFrame,
    y: str,
    X: str | Sequence[str] | W | None = None,
    w: W | None = None,
    *,
    model: str = "lag",
    method: str = "ml",
    wx: Sequence[str] | None = None,
    transform: str | None = "row",
    logdet: LogDet = "auto",
    gmm: Literal["het", "hom", "kp98"] = "het",
    impacts: ImpactsMethod | None = "delta",
    draws: int = 1000,
    seed: int | None = None,
    diagnostics: bool = False,
    **options: Any,
) -> RegressionResult:
    """Estimate a cross-section regression.

    Parameters
    ----------
    data
        A (Geo)DataFrame indexed by ``adcode`` (or with an ``adcode`` column); rows are aligned
        to ``w.id_order`` and units missing on either side are an error.
    y, X
        Dependent variable and regressors (column names), or a formula ``"y ~ x1 + x2"`` as
        ``y`` (``w`` may then be the third argument). The intercept is always included.
    w
        Weights keyed by ``adcode``; islands are an error.
    model
        ``"ols"``; ``"slx"`` (OLS with lagged regressors WX); ``"lag"`` (SAR,
        y = ρWy + Xβ + ε); ``"error"`` (SEM, u = λWu + ε); ``"durbin"`` (SDM, lag + WX);
        ``"sdem"`` (error + WX); ``"sac"`` (lag + error; spreg offers it by GMM only).
    method
        ``"ml"`` (concentrated ML as spreg's ``ML_Lag``/``ML_Error``, estimated here: see
        :mod:`spatialecon.regression.ml`) or ``"gmm"``: spatial two-stage least squares
        for lag models (``GM_Lag``, instruments WX, W²X…) and the GM/GMM estimators of
        Kelejian & Prucha for error and SAC models (``GMM_Error``). Ignored for OLS and SLX.
    wx
        Regressors whose spatial lag enters SLX/SDM/SDEM models (default: all).
    transform
        Applied to a copy of ``w``: ``"row"`` (default) or ``None`` to use ``w`` as it is.
    logdet
        ML log-determinant ln|I − ρW| (:mod:`spatialecon.regression.logdet`): exact
        ``"eigen"`` (alias ``"ord"``; eigenvalues of W once, Ord 1975), ``"lu"`` (sparse LU
        per evaluation, Pace & Barry) or ``"full"`` (dense); approximate ``"chebyshev"``
        (Pace & LeSage 2004) or ``"mc"`` (Barry & Pace 1999), whose error bound is recorded in
        ``conventions["logdet_bound"]`` (at the estimate) and ``["logdet_bound_max"]``;
        ``"auto"`` (default): ``"eigen"`` up to 1,000 units, ``"lu"`` up to 20,000,
        ``"chebyshev"`` above (``"mc"`` for weights without a real spectrum). The information
        matrix's traces are exact up to 4,000 units and Hutchinson estimates above
        (``conventions["variance"]`` says which).
    gmm
        GMM error estimator: ``"het"`` (Arraiz et al. 2010, heteroskedasticity-robust; spreg's
        default), ``"hom"`` (Drukker et al. 2013) or ``"kp98"`` (Kelejian & Prucha 1998/99; no
        inference on λ).
    impacts
        ``"delta"`` (default) or ``"simulation"`` standard errors of the impacts, or ``None``.
    draws, seed
        Simulation draws and seed (impacts="simulation").
    diagnostics
        OLS only: compute the spatial diagnostics too (see :func:`ols_diagnostics`).
    **options
        Passed to the spreg estimator (e.g. ``robust="white"`` for OLS and GMM lag,
        ``w_lags=2`` for GM_Lag). For ML: ``order`` (degree of the approximation, 60),
        ``probes`` (Hutchinson probes, 30), ``confidence`` (of the reported bound, 0.999) and
        ``seed`` (of the probes, 0).

    Returns
    -------
    RegressionResult
    """
    if isinstance(X, W) and w is None:
        X, w = None, X
    if w is None:
        raise RegressionError("weights w are required (spatialecon.weights.contiguity(...))")
    model = _MODEL_ALIASES.get(str(model).lower(), model)
    if model not in _LABELS:
        raise RegressionError(f"unknown model {model!r}: use ols, slx, lag, error, durbin, "
                              "sdem or sac")
    method = _METHOD_ALIASES.get(str(method).lower(), method)
    if method not in ("ml", "gmm", "ols"):
        raise RegressionError(f"unknown method {method!r}: use 'ml' or 'gmm'")
    if model in ("ols", "slx"):
        method = "ols"
    elif method == "ols":
        method = "ml"
    if model == "sac" and method == "ml":
        raise RegressionError("there is no ML estimator for the SAC (lag + error) model here; use "
                              "method='gmm' (Kelejian–Prucha GS2SLS, spreg's GM_Combo)")
    if diagnostics and model != "ols":
        raise RegressionError("diagnostics=True applies to model='ols'")
    y_name, x_names = _spec(y, X)
    tw = _prepare_weights(w, transform)
    frame = _align(data, [y_name, *x_names], tw)
    if model != "ols" or diagnostics:  # plain OLS never uses W
        _check_islands(tw, data)
    lagged = list(x_names) if wx is None else [str(v) for v in wx]
    unknown = [v for v in lagged if v not in x_names]
    if unknown:
        raise RegressionError(f"wx lists {unknown}, which are not regressors ({x_names})")
    if model not in _HAS_WX:
        lagged = []
    elif not lagged:
        raise RegressionError(f"model {model!r} needs at least one lagged regressor in wx")
    yv = frame[[y_name]].to_numpy()
    xv = frame[x_names].to_numpy()
    Wm = tw.sparse.tocsr()
    design = np.column_stack([np.ones(len(frame)), xv,
                              Wm @ frame[lagged].to_numpy() if lagged else np.empty((len(frame),
                                                                                      0))])
    design_names = [CONSTANT, *x_names, *(f"W_{v}" for v in lagged)]
    n_params = len(design_names) + (model in _HAS_LAG) + (model in _HAS_ERROR)
    _check_design(design, design_names, yv.ravel(), y_name, n_params)
    slx_vars: Any = "All" if lagged == x_names else [v in lagged for v in x_names]
    slx = {"slx_lags": 1, "slx_vars": slx_vars} if lagged else {}
    names = {"name_y": y_name, "name_x": list(x_names)}
    n = len(frame)
    conventions: dict[str, Any] = {
        "weights": describe_weights(tw), "transform": tw.transform,
        "spreg": _spreg_version(), "constant": CONSTANT,
        "aic": _AIC_CONVENTION,
    }
    ml_fit = None
    if model in ("ols", "slx"):
        reg = _spreg("OLS", yv, xv, w=tw, spat_diag=diagnostics, moran=diagnostics,
                     **slx, **names, **options)
        conventions["variance"] = "OLS, σ² = e'e/(n − k); t-statistics"
        if options.get("robust"):
            conventions["variance"] += f"; robust={options['robust']!r}"
    elif method == "ml":
        reg = None
        ml_fit, engine = _fit_ml(model, yv.ravel(), design, tw, logdet, len(lagged),
                                 lagged == x_names, options)
        conventions.update(engine.conventions(float(ml_fit.betas[-1])))
        conventions["variance"] = ("inverse of the analytical information matrix (Anselin "
                                   "1988), traces " + ml_fit.traces.how)
        conventions["estimator"] = ("concentrated ML, bounded 1-D search of the feasible "
                                    f"interval ({engine.interval[0]:.6g}, "
                                    f"{engine.interval[1]:.6g})")
        conventions.pop("spreg")
    elif model in ("lag", "durbin"):
        reg = _spreg("GM_Lag", yv, xv, w=tw, spat_impacts=None, spat_diag=False, **slx,
                     **names, **options)
        conventions["variance"] = "S2SLS (Kelejian & Prucha 1998), spreg GM_Lag" + (
            f"; robust={options['robust']!r}" if options.get("robust") else "")
        conventions["instruments"] = ", ".join(getattr(reg, "name_q", []) or [])
    else:
        reg = _spreg("GMM_Error", yv, xv, w=tw, estimator=gmm, add_wy=model == "sac", **slx,
                     **names, **options)
        conventions["variance"] = f"GMM_Error(estimator={gmm!r})"
    names_out = [*design_names]
    kinds = ["const", *(["x"] * len(x_names)), *(["wx"] * len(lagged))]
    if model in _HAS_LAG:
        names_out.append("rho")
        kinds.append("rho")
    if model in _HAS_ERROR:
        names_out.append("lambda")
        kinds.append("lambda")
    if ml_fit is not None:
        fitted_source: Any = ml_fit
        coefficients, vcov = _coefficients(names_out, kinds, ml_fit.betas, ml_fit.vm, None)
    else:
        fitted_source = reg
        _check_spreg_names(reg, names_out, y_name)
        vm = np.asarray(reg.vm, dtype=float)
        stat = getattr(reg, "t_stat", None) if method == "ols" else getattr(reg, "z_stat",
                                                                              None)
        coefficients, vcov = _coefficients(names_out, kinds, reg.betas, vm, stat)

    rho = float(coefficients.loc["rho", "estimate"]) if "rho" in coefficients.index else None
    lam = float(coefficients.loc["lambda", "estimate"]) if "lambda" in coefficients.index \
        else None
    if ml_fit is not None:
        lo, hi = engine.interval
        for name, value in (("rho", rho), ("lambda", lam)):
            if value is not None and min(value - lo, hi - value) < 1e-4 * (hi - lo):
                warnings.warn(f"{name} = {value:.6f} is at the boundary of its feasible "
                              f"interval ({lo:.4f}, {hi:.4f}): the likelihood has no interior "
                              "maximum; check the weights and the specification",
                              EstimationWarning, stacklevel=2)
    index = frame.index
    src = fitted_source
    logl = float(np.asarray(getattr(src, "logll", getattr(src, "logl", np.nan))).item())
    aic, sc = _information_criteria(logl, len(coefficients) + 1, n)
    if ml_fit is not None:
        # spreg's AIC counts rho in lag models but neither lambda nor sigma^2 (module doc)
        conventions["aic_spreg"] = -2 * logl + 2 * (len(coefficients) - (model in _HAS_ERROR))
    else:
        conventions["aic_spreg"] = _float(getattr(reg, "aic", np.nan))
    result = RegressionResult(
        model=model, method=method, y=y_name, x=list(x_names), n=n,
        coefficients=coefficients, vcov=vcov, rho=rho, lam=lam, logl=logl,
        aic=aic, sc=sc, pseudo_r2=_float(getattr(src, "pr2", np.nan)),
        pseudo_r2_e=_float(getattr(src, "pr2_e", np.nan)),
        r2=_float(getattr(reg, "r2", np.nan)) if method == "ols" else np.nan,
        sig2=_float(getattr(src, "sig2", np.nan)),
        residuals=pd.Series(np.asarray(src.u).ravel(), index=index, name="residual"),
        fitted=pd.Series(np.asarray(src.predy).ravel(), index=index, name="fitted"),
        conventions=conventions, spreg=reg,
        label=f"{_LABELS[model]}" + ("" if method == "ols" else f" ({method.upper()})"),
        _w=tw,
    )
    if ml_fit is not None:
        result._logdet = engine
        result._traces = ml_fit.traces
    cfh = ml_fit.cfh_test if ml_fit is not None else getattr(reg, "cfh_test", None)
    if cfh is not None:
        result.tests["common_factor"] = Statistic("Common factor (SDM → SEM)",
                                             *_pair(cfh), len(lagged), "chi2")
    if impacts is not None and (model in _HAS_LAG or lagged):
        result.impacts = compute_impacts(result, method=impacts, draws=draws, seed=seed)
    return result


def _information_criteria(logl: float, p: int, n: int) -> tuple[float, float]:
    """AIC = −2 logL + 2p and SC = −2 logL + p ln n, with p counting every estimated
    parameter: coefficients, ρ, λ, variance components and σ² — R's ``AIC()``/``BIC()`` and
    Stata's ``spregress`` convention. spreg counts inconsistently (ML_Lag counts ρ but not σ²,
    ML_Error neither λ nor σ²), which would tilt comparisons of lag and error models; its
    value is kept in ``conventions["aic_spreg"]``."""
    if not np.isfinite(logl):
        return float("nan"), float("nan")
    return -2 * logl + 2 * p, -2 * logl + p * math.log(n)


def _float(value: Any) -> float:
    try:
        return float(np.asarray(value, dtype=float).ravel()[0])
    except (TypeError, ValueError, IndexError):
        return float("nan")


def _check_ml_weights(Wm: sparse.csr_matrix) -> None:
    """spreg searches ρ and λ in (−1, 1), inside the feasible interval (1/ω_min, 1/ω_max) only
    when the spectral radius of W is at most 1: row sums ≤ 1 guarantee it for non-negative
    weights (row-standardised ones); otherwise the radius is computed (ARPACK)."""
    rows = np.abs(Wm).sum(axis=1)
    if not Wm.nnz or float(rows.max()) <= 1 + 1e-9:
        return
    try:
        radius = float(np.abs(sparse_linalg.eigs(Wm.astype(float), k=1, which="LM",
                                                 return_eigenvectors=False)).max())
    except (sparse_linalg.ArpackNoConvergence, ValueError, TypeError):  # pragma: no cover
        radius = float(np.abs(np.linalg.eigvals(Wm.toarray())).max())
    if radius > 1 + 1e-8:
        raise RegressionError(
            f"ML needs weights with spectral radius at most 1 (here {radius:.4g}; largest row "
            f"sum {float(rows.max()):.4g}): spreg searches rho/lambda in (-1, 1), the feasible "
            "interval only for such weights. Use transform='row' (the default)")


def _check_spreg_names(reg: Any, names: Sequence[str], y_name: str) -> None:
    """Guard against a future spreg reordering its coefficients: its report's row names must
    be ours, with ρ named W_<y> as spreg does."""
    theirs = [str(v) for v in reg.output["var_names"]]
    ours = [f"W_{y_name}" if n == "rho" else n for n in names]
    if theirs != ours or len(np.asarray(reg.betas).ravel()) != len(names):
        raise RuntimeError(f"unexpected spreg coefficient layout {theirs} (expected {ours}); "
                           "this spreg version is not supported")


_ML_OPTIONS = {"order", "probes", "confidence", "seed"}


def _fit_ml(model: str, y: np.ndarray, design: np.ndarray, w: W,
            logdet: str, n_lagged: int, all_lagged: bool,
            options: dict[str, Any]) -> tuple[MLFit, LogDetEngine]:
    """Our concentrated ML (:mod:`.ml`) with the log-determinant engine (:mod:`.logdet`)."""
    unknown = sorted(set(options) - _ML_OPTIONS)
    if unknown:
        raise RegressionError(f"option(s) {unknown} do not apply to ML; it takes "
                              f"{sorted(_ML_OPTIONS)} (the log-determinant approximation's "
                              "order, probes, confidence and seed)")
    seed = options.get("seed", 0)
    try:
        engine = LogDetEngine(w.sparse.tocsr(), logdet, order=options.get("order"),
                              probes=options.get("probes"), seed=seed,
                              confidence=options.get("confidence", DEFAULT_CONFIDENCE),
                              scaling=_scaling(w))
    except ParameterError as error:
        raise RegressionError(str(error)) from None
    if model in _HAS_LAG:
        fitted = fit_lag(y, design, engine, n_lagged=n_lagged if all_lagged else 0,
                         probes=options.get("probes"), seed=seed)
    else:
        fitted = fit_error(y, design, engine, probes=options.get("probes"), seed=seed)
    return fitted, engine
