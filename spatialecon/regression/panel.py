"""Spatial panels: lag and error models with unit fixed or random effects."""
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from libpysal.weights import W
from scipy import optimize

from spatialecon.autocorrelation import describe_weights
from spatialecon.regression._common import (
    _AIC_CONVENTION,
    _LABELS,
    _MODEL_ALIASES,
    CONSTANT,
    ImpactsMethod,
    RegressionError,
    _check_design,
    _check_islands,
    _prepare_weights,
    _spec,
    _spreg,
    _spreg_version,
    _units,
)
from spatialecon.regression.cross_section import (
    _check_ml_weights,
    _float,
    _information_criteria,
)
from spatialecon.regression.impacts import (
    _is_symmetric,
    compute_impacts,
)
from spatialecon.regression.results import (
    RegressionResult,
    _coefficients,
)

# ---------------------------------------------------------------------------- panels


_PANEL_CLASSES = {("lag", "fixed"): "ML_LagFE", ("error", "fixed"): "ML_ErrorFE",
                  ("lag", "random"): "ML_LagRE", ("error", "random"): "ML_ErrorRE"}


def panel_arrays(panel: pd.DataFrame, variables: Sequence[str], w: W,
                 years: Sequence[int] | None = None) -> tuple[pd.DataFrame, list[int]]:
    """A balanced panel as a frame indexed by (year, adcode) — years outer, units in
    ``w.id_order`` inner, the stacking spreg's panel estimators expect — with one column per
    variable. Gaps, duplicates and units missing on either side are errors naming them."""
    from spatialecon.panel import TIDY_COLUMNS

    missing_columns = set(TIDY_COLUMNS) - set(panel.columns)
    if missing_columns:
        raise RegressionError(f"not a tidy panel (adcode, year, variable, value): missing "
                              f"column(s) {sorted(missing_columns)}")
    unknown = [v for v in variables if v not in set(panel["variable"])]
    if unknown:
        raise RegressionError(f"variable(s) {unknown} are not in the panel; it has "
                              f"{sorted(panel['variable'].unique())}")
    data = panel[panel["variable"].isin(variables)]
    if years is not None:
        data = data[data["year"].isin(list(years))]
    duplicated = data.duplicated(["adcode", "year", "variable"], keep=False)
    if duplicated.any():
        rows = data[duplicated][["adcode", "year", "variable"]].drop_duplicates().head(10)
        raise RegressionError("unit-year-variable rows appear more than once: "
                              + "; ".join(f"{a} {y} {v}" for a, y, v in rows.itertuples(
                                  index=False)))
    ids = list(w.id_order)
    in_panel = set(data["adcode"])
    extra = sorted(in_panel - set(ids))
    absent = [i for i in ids if i not in in_panel]
    if extra or absent:
        parts = []
        if absent:
            parts.append(f"{len(absent)} unit(s) of the weights are not in the panel: "
                         f"{_units(absent)}")
        if extra:
            parts.append(f"{len(extra)} unit(s) of the panel are not in the weights: "
                         f"{_units(extra)}")
        raise RegressionError("; ".join(parts))
    year_list = sorted(int(y) for y in data["year"].unique()) if years is None \
        else [int(y) for y in years]
    if len(year_list) < 2:
        raise RegressionError(f"a panel needs at least two years; it has {year_list}")
    wide = data.pivot_table(index=["year", "adcode"], columns="variable", values="value",
                            aggfunc="first", dropna=False)
    full = pd.MultiIndex.from_product([year_list, ids], names=["year", "adcode"])
    wide = wide.reindex(full)
    wide = wide.reindex(columns=list(variables))
    gaps = wide.isna()
    if gaps.to_numpy().any():
        cells = [(a, y, v) for (y, a), row in gaps.iterrows() for v in row.index[row.to_numpy()]]
        by_var = {v: int(gaps[v].sum()) for v in variables if gaps[v].any()}
        shown = "; ".join(f"{v} for {a} in {y}" for a, y, v in cells[:10])
        raise RegressionError(
            f"the panel has gaps — {len(cells)} missing unit-year value(s) "
            f"({', '.join(f'{v}: {c}' for v, c in by_var.items())}): {shown}"
            f"{' …' if len(cells) > 10 else ''}. spreg's panel estimators need a balanced "
            "panel: fill or interpolate the values, or drop those units or years")
    wide.columns.name = None
    return wide.astype(float), year_list


def fit_panel(
    panel: pd.DataFrame,
    y: str,
    X: str | Sequence[str] | W | None = None,
    w: W | None = None,
    *,
    model: Literal["lag", "error"] = "lag",
    effects: Literal["fixed", "random"] = "fixed",
    years: Sequence[int] | None = None,
    transform: str | None = "row",
    impacts: ImpactsMethod | None = "delta",
    draws: int = 1000,
    seed: int | None = None,
) -> RegressionResult:
    """Spatial panel models by ML (Elhorst 2003, 2014) with spreg's ``ML_LagFE``,
    ``ML_ErrorFE``, ``ML_LagRE`` and ``ML_ErrorRE``.

    Parameters
    ----------
    panel
        A tidy panel (``adcode, year, variable, value``), e.g. from
        :func:`spatialecon.panel.read_panel`. It must be balanced over ``w``'s units and the
        years used: gaps are an error naming units, years and variables.
    y, X
        Dependent variable and regressors (panel variables), or a formula.
    w
        Weights keyed by ``adcode`` (the same every year).
    model, effects
        ``"lag"`` or ``"error"``; ``"fixed"`` (unit fixed effects by the within transformation;
        no intercept, time-invariant regressors are an error) or ``"random"``.
    years
        Years to use (default: all in the panel).
    transform, impacts, draws, seed
        As in :func:`fit`.

    Returns
    -------
    RegressionResult
        With ``effects`` set; ``n`` counts unit-years, ``conventions`` the units and years.
        Random effects add ``phi`` (lag; spreg's θ of the partial demeaning) or ``sigma2_u``
        (error) with kind ``variance``.
    """
    import spreg

    if isinstance(X, W) and w is None:
        X, w = None, X
    if w is None:
        raise RegressionError("weights w are required")
    model = _MODEL_ALIASES.get(str(model).lower(), model)
    if model not in ("lag", "error"):
        raise RegressionError(f"panel model must be 'lag' or 'error', not {model!r}")
    if effects not in ("fixed", "random"):
        raise RegressionError(f"effects must be 'fixed' or 'random', not {effects!r}")
    if not hasattr(spreg, "ML_LagFE"):
        raise ImportError("spatial panels need spreg >= 1.9 (ML_LagFE …); its deprecated "
                          "Panel_FE_Lag misstates the log-likelihood")
    y_name, x_names = _spec(y, X)
    tw = _prepare_weights(w, transform)
    _check_islands(tw, None)
    _check_ml_weights(tw.sparse.tocsr())
    wide, year_list = panel_arrays(panel, [y_name, *x_names], tw, years)
    N, T = tw.n, len(year_list)
    yv = wide[[y_name]].to_numpy()
    xv = wide[x_names].to_numpy()
    if effects == "fixed":
        within = (wide.groupby(level="adcode").transform("mean"))
        demeaned = wide - within
        invariant = [v for v in x_names if np.allclose(demeaned[v].to_numpy(), 0)]
        if invariant:
            raise RegressionError(f"regressor(s) {invariant} do not vary over time within any "
                                  "unit: the fixed-effects (within) transformation removes "
                                  "them; use effects='random' or drop them")
        _check_design(demeaned[x_names].to_numpy(), list(x_names),
                      demeaned[y_name].to_numpy(), y_name,
                      len(x_names) + 1 + N, "unit-years")
    else:
        _check_design(np.column_stack([np.ones(len(wide)), xv]), [CONSTANT, *x_names],
                      yv.ravel(), y_name, len(x_names) + 3, "unit-years")
    names = {"name_y": y_name, "name_x": list(x_names)}
    conventions: dict[str, Any] = {
        "weights": describe_weights(tw), "transform": tw.transform,
        "spreg": _spreg_version(), "units": N, "years": year_list,
        "stacking": "year-major, units in w.id_order",
        "variance": "inverse of the analytical information matrix (spreg)",
        "aic": _AIC_CONVENTION,
    }
    cls = _PANEL_CLASSES[(model, effects)]
    kwargs = {"spat_impacts": None} if model == "lag" else {}
    Wm = tw.sparse.tocsr()
    if cls == "ML_ErrorRE":
        # spreg workaround 2 (module docstring).
        reg = _ml_error_re_exact(yv, xv, tw, T, y_name, list(x_names))
        conventions["variance"] = ("observed information (numerical Hessian of the exact "
                                   "log-likelihood)")
        conventions["estimator"] = (
            "exact ML (spreg's ML_ErrorRE replaced: its likelihood assumes symmetric W"
            + ("" if _is_symmetric(Wm) else ", which this W is not")
            + ", and its variance of sigma2_u is not the inverse information)")
    else:
        reg = _spreg(cls, yv, xv, tw, **kwargs, **names)
    if effects == "fixed":
        names_out, kinds = list(x_names), ["x"] * len(x_names)
    else:
        names_out, kinds = [CONSTANT, *x_names], ["const", *(["x"] * len(x_names))]
    names_out.append("rho" if model == "lag" else "lambda")
    kinds.append("rho" if model == "lag" else "lambda")
    if effects == "random":
        names_out.append("phi" if model == "lag" else "sigma2_u")
        kinds.append("variance")
    betas = np.asarray(reg.betas, dtype=float).ravel()
    if len(betas) != len(names_out):
        raise RuntimeError(f"unexpected spreg coefficient layout {reg.name_x}")
    coefficients, vcov = _coefficients(names_out, kinds, betas, np.asarray(reg.vm, float))
    logl = _float(reg.logll)
    aic, sc = _information_criteria(logl, len(coefficients) + 1, N * T)
    conventions["aic_spreg"] = _float(getattr(reg, "aic", np.nan))
    index = pd.MultiIndex.from_tuples([(a, yr) for yr, a in wide.index],
                                      names=["adcode", "year"])
    result = RegressionResult(
        model=model, method="ml", y=y_name, x=list(x_names), n=N * T,
        coefficients=coefficients, vcov=vcov,
        rho=float(coefficients.loc["rho", "estimate"]) if model == "lag" else None,
        lam=float(coefficients.loc["lambda", "estimate"]) if model == "error" else None,
        logl=logl, aic=aic, sc=sc, pseudo_r2=_float(getattr(reg, "pr2", np.nan)),
        pseudo_r2_e=_float(getattr(reg, "pr2_e", np.nan)), r2=np.nan,
        sig2=_float(getattr(reg, "sig2", np.nan)),
        residuals=pd.Series(np.asarray(reg.u).ravel(), index=index, name="residual"),
        fitted=pd.Series(np.asarray(reg.predy).ravel(), index=index, name="fitted"),
        conventions=conventions, spreg=reg, effects=effects,
        label=f"{_LABELS[model]}-{'FE' if effects == 'fixed' else 'RE'}", _w=tw,
    )
    if impacts is not None and model == "lag":
        result.impacts = compute_impacts(result, method=impacts, draws=draws, seed=seed)
    return result


class _ExactErrorRE:
    """spreg workaround 2: the random-effects spatial error model (Anselin 1988; Elhorst
    2003), y_t = Xβ + μ + u_t, u_t = λWu_t + ε_t, by exact ML for any W.

    With B = I − λW, φ = σ²_μ/σ² and V = TφI + (B'B)⁻¹, the transformation spreg uses,
    e*_t = B(e_t − ē) + V^{-1/2} ē, whitens the errors, and
    logL = −NT/2 ln(2πσ²) − ½ ln|V| + (T − 1) ln|B| − e*'e*/(2σ²).
    spreg takes V^{-1/2} and |V| from the eigenvectors of W, which is right only for symmetric
    W; here they come from V itself (N × N, cheap for provinces and prefectures).
    """

    def __init__(self, y: np.ndarray, x: np.ndarray, Wd: np.ndarray, T: int) -> None:
        self.N = Wd.shape[0]
        self.T = T
        self.W = Wd
        self.Y = y.reshape(T, self.N)
        self.X = x.reshape(T, self.N, -1)
        self.Ybar = self.Y.mean(axis=0)
        self.Xbar = self.X.mean(axis=0)

    def _parts(self, lam: float, phi: float) -> tuple[np.ndarray, np.ndarray, float, float]:
        eye = np.eye(self.N)
        B = eye - lam * self.W
        bb_inv = np.linalg.inv(B.T @ B)
        V = self.T * phi * eye + bb_inv
        V = (V + V.T) / 2
        values, vectors = np.linalg.eigh(V)
        v_half = (vectors / np.sqrt(values)) @ vectors.T
        ys = (self.Y - self.Ybar) @ B.T + self.Ybar @ v_half.T
        xs = np.einsum("ij,tjk->tik", B, self.X - self.Xbar) + \
            np.einsum("ij,jk->ik", v_half, self.Xbar)[None]
        logdet_b = np.linalg.slogdet(B)[1]
        return ys.reshape(-1), xs.reshape(-1, self.X.shape[2]), float(np.log(values).sum()), \
            float(logdet_b)

    def loglik(self, lam: float, phi: float, beta: np.ndarray | None = None,
               sig2: float | None = None) -> tuple[float, np.ndarray, float]:
        ys, xs, logdet_v, logdet_b = self._parts(lam, phi)
        if beta is None:
            beta = np.linalg.lstsq(xs, ys, rcond=None)[0]
        e = ys - xs @ beta
        nt = len(ys)
        if sig2 is None:
            sig2 = float(e @ e / nt)
        ll = (-nt / 2 * np.log(2 * np.pi * sig2) - 0.5 * logdet_v
              + (self.T - 1) * logdet_b - e @ e / (2 * sig2))
        return float(ll), beta, sig2


def _ml_error_re_exact(y: np.ndarray, x: np.ndarray, w: W, T: int, y_name: str,
                       x_names: list[str]) -> Any:
    """Run spreg's ML_ErrorRE (for its start values and attribute layout), then replace the
    estimates by the exact ML ones and the variance by the inverse observed information of
    (β, λ, σ²_μ, σ²)."""
    start = _spreg("ML_ErrorRE", y, x, w, name_y=y_name, name_x=x_names)
    X1 = np.column_stack([np.ones(len(x)), x])
    Wd = w.sparse.toarray()
    model = _ExactErrorRE(y.ravel(), X1, Wd, T)
    omega = np.linalg.eigvals(Wd).real
    low, high = 1 / omega.min() + 1e-6, 1 / omega.max() - 1e-6
    lam0 = float(np.clip(np.asarray(start.lam).item(), low + 1e-3, high - 1e-3))
    phi0 = max(float(np.asarray(start.sig2_u).item() / np.asarray(start.sig2).item()), 1e-3)

    def negative(p: np.ndarray) -> float:
        return -model.loglik(p[0], p[1])[0]

    best = optimize.minimize(negative, [lam0, phi0], method="L-BFGS-B",
                             bounds=[(max(low, -0.999), min(high, 0.999)), (0.0, 1e8)],
                             options={"ftol": 1e-13, "gtol": 1e-9, "maxiter": 500})
    lam, phi = (float(v) for v in best.x)
    ll, beta, sig2 = model.loglik(lam, phi)
    theta = np.concatenate([beta, [lam, phi * sig2, sig2]])
    k = len(beta)

    def full(params: np.ndarray) -> float:
        s2u, s2 = params[k + 1], params[k + 2]
        return model.loglik(params[k], s2u / s2, params[:k], s2)[0]

    hessian = _numerical_hessian(full, theta)
    vm_all = np.linalg.inv(-hessian)
    start.betas = np.concatenate([beta, [lam, phi * sig2]])[:, None]
    start.vm = vm_all[:-1, :-1]
    start.lam, start.sig2, start.sig2_u, start.logll = lam, sig2, phi * sig2, ll
    start.u = y - X1 @ beta[:, None]
    start.predy = y - start.u
    start.aic = start.schwarz = float("nan")  # recomputed by fit_panel
    start.pr2 = float(np.corrcoef(y.ravel(), start.predy.ravel())[0, 1] ** 2)
    start.summary = ("spreg's ML_ErrorRE report is not shown: its estimates assume a symmetric "
                     "W and were replaced by the exact ML estimates (spatialecon.regression)")
    return start


def _numerical_hessian(f: Any, x: np.ndarray) -> np.ndarray:
    """Central-difference Hessian (steps 1e-4 relative), for the observed information."""
    x = np.asarray(x, dtype=float)
    h = 1e-4 * np.maximum(np.abs(x), 1e-2)
    k = len(x)
    H = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            def shifted(si: float, sj: float, i: int = i, j: int = j) -> float:
                z = x.copy()
                z[i] += si * h[i]
                z[j] += sj * h[j]
                return f(z)
            H[i, j] = H[j, i] = (shifted(1, 1) - shifted(1, -1) - shifted(-1, 1)
                                 + shifted(-1, -1)) / (4 * h[i] * h[j])
    return H
