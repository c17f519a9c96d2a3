"""Spatial panels: lag and error models with unit fixed or random effects."""
from collections.abc import Sequence
from typing import Any

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
    _numerical_hessian,
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
from spatialecon.regression.panel_ml import Correction, _demean, _lag, fit_fixed_effects
from spatialecon.regression.results import (
    RegressionResult,
    _coefficients,
)
from spatialecon.validation import check_choice

# ---------------------------------------------------------------------------- panels


_RANDOM_CLASSES = {"lag": "ML_LagRE", "error": "ML_ErrorRE"}


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
            f"{' …' if len(cells) > 10 else ''}. Spatial panel estimators need a balanced "
            f"panel: fill or interpolate the values, or {_balanced_subsets(gaps, ids, year_list)}")
    wide.columns.name = None
    return wide.astype(float), year_list


def durbin_lags(model: str, durbin: Sequence[str] | None, x_names: Sequence[str],
                durbin_models: Sequence[str]) -> list[str]:
    """The regressors whose spatial lags W x enter: all of them for a Durbin model unless
    ``durbin=`` names a subset (xsmle's ``durbin(varlist)``), none otherwise."""
    if model not in durbin_models:
        if durbin is not None:
            raise RegressionError(f"durbin= is for the Durbin models "
                                  f"({', '.join(map(repr, durbin_models))}), not {model!r}")
        return []
    lagged = list(x_names) if durbin is None else [str(v) for v in durbin]
    unknown = [v for v in lagged if v not in x_names]
    if unknown:
        raise RegressionError(f"durbin= names {unknown}, which are not regressors "
                              f"({list(x_names)})")
    return lagged


def _balanced_subsets(gaps: pd.DataFrame, ids: list, years: list[int]) -> str:
    """The two balanced subsets a gappy panel offers: without the units that have gaps (the
    weights restricted to the rest), or without the years that have them (``years=``)."""
    gappy = gaps.any(axis=1)
    bad_units = sorted({a for (_, a), g in gappy.items() if g}, key=ids.index)
    bad_years = sorted({y for (y, _), g in gappy.items() if g})
    keep_years = [y for y in years if y not in bad_years]
    options = [f"drop the {len(bad_units)} unit(s) with gaps ({_units(bad_units)}) for a "
               f"balanced panel of {len(ids) - len(bad_units)} units × {len(years)} years"]
    if len(keep_years) >= 2:
        options.append(f"pass years={keep_years} for {len(ids)} units × {len(keep_years)} "
                       "years")
    return "; or ".join(options)


def fit_panel(
    panel: pd.DataFrame,
    y: str,
    X: str | Sequence[str] | W | None = None,
    w: W | None = None,
    *,
    model: str = "lag",
    effects: str = "twoway",
    correction: str | None = None,
    durbin: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
    transform: str | None = "row",
    impacts: ImpactsMethod | None = "delta",
    draws: int = 1000,
    seed: int | None = None,
    dynamic: bool = False,
    variance: str = "information",
) -> RegressionResult:
    """Static spatial panel models by ML: SAR, SEM, SDM, SDEM and SAC with unit, time or
    two-way fixed effects, or lag and error models with random effects; with
    ``dynamic=True``, the time–space dynamic SAR/SDM with unit or two-way fixed effects.

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
    model
        ``"lag"`` (SAR), ``"error"`` (SEM), ``"durbin"`` (SDM), ``"sdem"`` (spatial Durbin
        error) or ``"sac"``; aliases as in :func:`fit`.
    effects
        ``"twoway"`` (default: unit and year fixed effects, what regional panels need — year
        shocks left in bias ρ upwards), ``"unit"`` (``"fixed"`` is a synonym), ``"time"``, or
        ``"random"`` (lag and error only, through spreg's ``ML_LagRE``/``ML_ErrorRE``).
    correction
        For fixed effects: ``"lee-yu"`` (default; Lee & Yu 2010's orthogonal transformation,
        consistent ρ, β, σ² for fixed T) or ``"none"`` (Elhorst's direct ML on demeaned data,
        what spreg's ``ML_LagFE``/``ML_ErrorFE`` compute). See :mod:`.panel_ml`. Dynamic
        panels: ``"yu-de-jong-lee"`` (default; the analytical bias correction of Yu, de Jong
        & Lee 2008, plus Lee & Yu 2010's for two-way effects) or ``"none"`` (plain QML).
    durbin
        For ``"durbin"``/``"sdem"``: the regressors whose lags W x enter (xsmle's
        ``durbin(varlist)``); default all.
    years
        Years to use (default: all in the panel).
    transform, impacts, draws, seed
        As in :func:`fit`.
    dynamic
        ``True``: y_t = τ y_{t−1} + ρ W y_t + η W y_{t−1} + X_t β (+ W X_t θ for
        ``"durbin"``) + effects + ε_t, for ``model="lag"``/``"durbin"`` and
        ``effects="unit"``/``"twoway"``, by QML on the demeaned data with the first year
        lost as the initial condition (at least 3 years). Coefficients add ``tau`` and
        ``eta`` (kinds ``tau``, ``eta``); ``impacts`` holds short- and long-run effects
        indexed by (variable, horizon, effect). See :mod:`.panel_dynamic`.
    variance
        Fixed effects (static): ``"information"`` (default; the inverse information matrix)
        or ``"cluster"`` (cluster-robust by unit, the sandwich with unit scores summed over
        years; Stata's ``vce(cluster id)``). Impacts use the chosen covariance.

    Returns
    -------
    RegressionResult
        With ``effects`` set; ``n`` counts unit-years, ``conventions`` the units, years,
        effects, correction and variance. Fixed effects are in ``unit_effects`` /
        ``time_effects`` (Series; with both, summing to zero around
        ``conventions["intercept"]``). Random effects add ``phi`` (lag; spreg's θ) or
        ``sigma2_u`` (error) with kind ``variance``.
    """
    if isinstance(X, W) and w is None:
        X, w = None, X
    if w is None:
        raise RegressionError("weights w are required")
    model = _MODEL_ALIASES.get(str(model).lower(), model)
    effects = {"fixed": "unit", "individual": "unit", "two-way": "twoway"}.get(effects, effects)
    check_choice(model, "panel model", ("lag", "error", "durbin", "sdem", "sac"))
    check_choice(effects, "effects", ("unit", "time", "twoway", "random"))
    if dynamic:
        from spatialecon.regression.panel_dynamic import _fit_panel_dynamic

        correction = "yu-de-jong-lee" if correction is None else correction
        check_choice(correction, "correction of a dynamic panel", ("yu-de-jong-lee", "none"))
        if variance != "information":
            raise RegressionError("the dynamic panel reports the inverse information matrix; "
                                  "variance='cluster' is available for static fixed effects")
        return _fit_panel_dynamic(panel, y, X, w, model=model, effects=effects,
                                  correction=correction, durbin=durbin, years=years,
                                  transform=transform, impacts=impacts, draws=draws, seed=seed)
    correction = "lee-yu" if correction is None else correction
    check_choice(correction, "correction", ("lee-yu", "none"))
    check_choice(variance, "variance", ("information", "cluster"))
    if variance == "cluster" and effects == "random":
        raise RegressionError("variance='cluster' is available for fixed effects; random "
                              "effects report the inverse information matrix")
    if effects == "random":
        if model not in ("lag", "error", "durbin"):
            raise RegressionError(f"random effects are available for the lag, error and "
                                  f"Durbin (SDM) models (spreg's ML_LagRE, ML_ErrorRE), not "
                                  f"{model!r}; use fixed effects")
        return _fit_panel_random(panel, y, X, w, model=model, durbin=durbin, years=years,
                                transform=transform, impacts=impacts, draws=draws, seed=seed)
    return _fit_panel_fixed(panel, y, X, w, model=model, effects=effects,
                            correction=correction, durbin=durbin, years=years,
                            transform=transform, impacts=impacts, draws=draws, seed=seed,
                            variance=variance)


def _fit_panel_fixed(panel: pd.DataFrame, y: str, X: Any, w: W, *, model: str, effects: str,
                     correction: Correction, durbin: Sequence[str] | None,
                     years: Sequence[int] | None, transform: str | None,
                     impacts: ImpactsMethod | None, draws: int, seed: int | None,
                     variance: str = "information") -> RegressionResult:
    y_name, x_names = _spec(y, X)
    tw = _prepare_weights(w, transform)
    _check_islands(tw, None)
    wide, year_list = panel_arrays(panel, [y_name, *x_names], tw, years)
    N, T = tw.n, len(year_list)
    lagged = durbin_lags(model, durbin, x_names, ("durbin", "sdem"))
    cube = wide.to_numpy().reshape(T, N, -1)  # year-major, units in w.id_order
    yv, xv = cube[:, :, 0], cube[:, :, 1:]
    _check_within_variation(xv, list(x_names), effects, tw, year_list)
    Wm = tw.sparse.tocsr()
    columns = [xv] + [_lag(Wm, xv[:, :, [x_names.index(v)]]) for v in lagged]
    Z = np.concatenate(columns, axis=2)
    names_out = [*x_names, *(f"W_{v}" for v in lagged)]
    kinds = ["x"] * len(x_names) + ["wx"] * len(lagged)
    _check_design(_demean(Z, effects).reshape(N * T, -1), names_out,
                  _demean(yv, effects).ravel(), y_name,
                  len(names_out) + 1 + (N if effects != "time" else 0)
                  + (T if effects != "unit" else 0), "unit-years")
    fitted = fit_fixed_effects(yv, Z, tw, model=model, effects=effects, correction=correction,
                               variance=variance)
    params = [fitted.beta]
    if model in ("lag", "durbin", "sac"):
        names_out, kinds = [*names_out, "rho"], [*kinds, "rho"]
        params.append([fitted.rho])
    if model in ("error", "sdem", "sac"):
        names_out, kinds = [*names_out, "lambda"], [*kinds, "lambda"]
        params.append([fitted.lam])
    coefficients, vcov = _coefficients(names_out, kinds, np.concatenate(params), fitted.vcov)
    aic, sc = _information_criteria(fitted.logl, len(coefficients) + 1, N * T)
    index = pd.MultiIndex.from_tuples([(a, yr) for yr, a in wide.index],
                                      names=["adcode", "year"])
    ids = list(tw.id_order)
    conventions: dict[str, Any] = {
        "weights": describe_weights(tw), "transform": tw.transform, "units": N,
        "years": year_list, "effects": effects, "correction": correction,
        "likelihood": ("Lee–Yu (2010) orthogonal transformation: "
                       f"{fitted.n_effective} effective observations"
                       if correction == "lee-yu" else
                       "Elhorst's direct ML on demeaned data: NT observations"),
        "estimator": "concentrated ML (spatialecon.regression.panel_ml)",
        "log_determinant": "eigenvalues of W (exact)",
        "variance": fitted.variance, "feasible_range": fitted.bounds,
        "durbin": lagged, "stacking": "year-major, units in w.id_order",
        "aic": _AIC_CONVENTION,
    }
    if fitted.intercept is not None:
        conventions["intercept"] = fitted.intercept
    label = {"unit": "FE", "time": "TE", "twoway": "2FE"}[effects]
    result = RegressionResult(
        model=model, method="ml", y=y_name, x=list(x_names), n=N * T,
        coefficients=coefficients, vcov=vcov,
        rho=fitted.rho if model in ("lag", "durbin", "sac") else None,
        lam=fitted.lam if model in ("error", "sdem", "sac") else None,
        logl=fitted.logl, aic=aic, sc=sc, pseudo_r2=np.nan, pseudo_r2_e=np.nan,
        r2=_within_r2(fitted), sig2=fitted.sigma2,
        residuals=pd.Series(fitted.residuals.ravel(), index=index, name="residual"),
        fitted=pd.Series(fitted.fitted.ravel(), index=index, name="fitted"),
        conventions=conventions, spreg=None, effects=effects,
        label=f"{_LABELS[model]}-{label}", _w=tw,
        unit_effects=(None if fitted.unit_effects is None else
                      pd.Series(fitted.unit_effects, index=pd.Index(ids, name="adcode"),
                                name="unit_effect")),
        time_effects=(None if fitted.time_effects is None else
                      pd.Series(fitted.time_effects, index=pd.Index(year_list, name="year"),
                                name="time_effect")),
    )
    if impacts is not None and (result.rho is not None or lagged):
        result.impacts = compute_impacts(result, method=impacts, draws=draws, seed=seed)
    return result


def _within_r2(fitted: Any) -> float:
    """R² of the demeaned model (Elhorst's "R² within")."""
    y = fitted.fitted + fitted.residuals
    return float(1 - (fitted.residuals**2).sum() / ((y - y.mean())**2).sum())


def _check_within_variation(xv: np.ndarray, names: list[str], effects: str, w: W,
                            years: list[int]) -> None:
    """Regressors the effects remove entirely, named: constant over time within every unit
    (unit effects) or across units in every year (time effects)."""
    problems = []
    scale = np.maximum(np.abs(xv).max(axis=(0, 1)), 1e-300)
    if effects in ("unit", "twoway"):
        flat = np.ptp(xv, axis=0).max(axis=0) <= 1e-12 * scale
        problems += [f"{v} does not vary over time within any unit (the unit effects absorb "
                     "it)" for v, f in zip(names, flat, strict=True) if f]
    if effects in ("time", "twoway"):
        flat = np.ptp(xv, axis=1).max(axis=0) <= 1e-12 * scale
        problems += [f"{v} is the same for every unit in each year (the time effects absorb "
                     "it)" for v, f in zip(names, flat, strict=True) if f]
    if problems:
        raise RegressionError("; ".join(problems) + ". Drop it, or use effects that keep it "
                              "(effects='time' for a time-invariant regressor, 'unit' for a "
                              "common shock)")


def _fit_panel_random(
    panel: pd.DataFrame,
    y: str,
    X: Any,
    w: W,
    *,
    model: str,
    years: Sequence[int] | None,
    transform: str | None,
    impacts: ImpactsMethod | None,
    draws: int,
    seed: int | None,
    durbin: Sequence[str] | None = None,
) -> RegressionResult:
    """Random-effects lag, error and Durbin panels through spreg, with the workarounds of the
    package docstring.

    The random-effects SDM is the random-effects lag model with the lags W x of the
    ``durbin`` regressors (default all) added to the regressors, year by year
    ((I_T ⊗ W) X, stacked year-major as y): spreg's ``ML_LagRE`` takes them as ordinary
    regressors (Elhorst 2014, §3.4; xsmle's ``sdm, re``). They are named ``W_x`` with kind
    ``wx``, so the impacts include them."""
    import spreg

    if not hasattr(spreg, "ML_LagRE"):
        raise ImportError("random-effects spatial panels need spreg >= 1.9 (ML_LagRE …); its "
                          "deprecated Panel_RE_Lag misstates the log-likelihood")
    y_name, x_names = _spec(y, X)
    tw = _prepare_weights(w, transform)
    _check_islands(tw, None)
    _check_ml_weights(tw.sparse.tocsr())
    wide, year_list = panel_arrays(panel, [y_name, *x_names], tw, years)
    N, T = tw.n, len(year_list)
    lagged = durbin_lags(model, durbin, x_names, ("durbin",))
    yv = wide[[y_name]].to_numpy()
    xv = wide[x_names].to_numpy()
    if lagged:  # (I_T ⊗ W) x, year-major like the data
        lags = _lag(tw.sparse.tocsr(), wide[lagged].to_numpy().reshape(T, N, len(lagged)))
        xv = np.column_stack([xv, lags.reshape(N * T, len(lagged))])
    regressors = [*x_names, *(f"W_{v}" for v in lagged)]
    _check_design(np.column_stack([np.ones(len(wide)), xv]), [CONSTANT, *regressors],
                  yv.ravel(), y_name, len(regressors) + 3, "unit-years")
    names = {"name_y": y_name, "name_x": regressors}
    conventions: dict[str, Any] = {
        "weights": describe_weights(tw), "transform": tw.transform,
        "spreg": _spreg_version(), "units": N, "years": year_list,
        "stacking": "year-major, units in w.id_order",
        "variance": "inverse of the analytical information matrix (spreg)",
        "aic": _AIC_CONVENTION,
    }
    if model == "durbin":
        conventions["durbin"] = lagged
    lag_form = model in ("lag", "durbin")
    cls = _RANDOM_CLASSES["lag" if lag_form else model]
    kwargs = {"spat_impacts": None} if lag_form else {}
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
    names_out = [CONSTANT, *regressors, "rho" if lag_form else "lambda",
                 "phi" if lag_form else "sigma2_u"]
    kinds = ["const", *(["x"] * len(x_names)), *(["wx"] * len(lagged)),
             "rho" if lag_form else "lambda", "variance"]
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
        rho=float(coefficients.loc["rho", "estimate"]) if lag_form else None,
        lam=float(coefficients.loc["lambda", "estimate"]) if model == "error" else None,
        logl=logl, aic=aic, sc=sc, pseudo_r2=_float(getattr(reg, "pr2", np.nan)),
        pseudo_r2_e=_float(getattr(reg, "pr2_e", np.nan)), r2=np.nan,
        sig2=_float(getattr(reg, "sig2", np.nan)),
        residuals=pd.Series(np.asarray(reg.u).ravel(), index=index, name="residual"),
        fitted=pd.Series(np.asarray(reg.predy).ravel(), index=index, name="fitted"),
        conventions={**conventions, "effects": "random"}, spreg=reg, effects="random",
        label=f"{_LABELS[model]}-RE", _w=tw,
    )
    if impacts is not None and lag_form:
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
