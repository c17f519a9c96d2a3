"""Fixed- and random-effects panel regressions with clustered errors (linearmodels), the
classic Hausman test and its regression-based (Mundlak/Wooldridge) form."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from spatialecon.econometrics._common import (
    CONSTANT,
    ENTITY,
    TIME,
    Cluster,
    EconometricsError,
    Effects,
    PanelTest,
    _spec,
    _statistics,
    _versions,
    panel_frame,
)

# ─────────────────────────────────────────────────────────────────────────────────────────────
# Fixed and random effects
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _cluster_setup(cluster: Cluster) -> tuple[bool, bool]:
    if cluster not in ("entity", "time", "twoway", None):
        raise EconometricsError(f"cluster must be 'entity', 'time', 'twoway' or None, "
                                f"not {cluster!r}")
    return cluster in ("entity", "twoway"), cluster in ("time", "twoway")


def _psd(V: np.ndarray) -> tuple[np.ndarray, bool]:
    values, vectors = np.linalg.eigh((V + V.T) / 2)
    if (values >= 0).all():
        return V, False
    return (vectors * np.clip(values, 0, None)) @ vectors.T, True


def _clustered(fit_raw: Any, cluster: Cluster, n: int, K: int, G: Mapping[str, int]
               ) -> tuple[np.ndarray, dict[str, Any]]:
    """Stata-style clustered covariance from linearmodels' unscaled sandwiches."""
    def c(groups: int) -> float:
        return groups / (groups - 1) * (n - 1) / (n - K)

    if cluster == "twoway":
        V = (c(G["entity"]) * fit_raw("entity") + c(G["time"]) * fit_raw("time")
             - c(n) * fit_raw("unit-year"))
        V, fixed = _psd(V)
        if fixed:
            warnings.warn("the two-way clustered covariance was not positive semidefinite; "
                          "its negative eigenvalues were set to 0 (Cameron, Gelbach & Miller "
                          "2011)", RuntimeWarning, stacklevel=3)
        info = {"small_sample": "each term × G/(G − 1) · (N − 1)/(N − K) (CGM 2011)",
                "psd_fix": fixed, "df": min(G["entity"], G["time"]) - 1}
        return V, info
    V = c(G[cluster]) * fit_raw(cluster)
    return V, {"small_sample": "G/(G − 1) · (N − 1)/(N − K) (Stata)", "df": G[cluster] - 1}


def _table(params: pd.Series, V: np.ndarray, df: int, kinds: Mapping[str, str]
           ) -> pd.DataFrame:
    se = np.sqrt(np.diag(V))
    t = params.to_numpy() / se
    q = stats.t.ppf(0.975, df)
    table = pd.DataFrame({
        "estimate": params.to_numpy(), "std_error": se, "t_stat": t,
        "p_value": 2 * stats.t.sf(np.abs(t), df),
        "ci_lower": params.to_numpy() - q * se, "ci_upper": params.to_numpy() + q * se,
        "kind": [kinds[name] for name in params.index],
    }, index=pd.Index(params.index, name="term"))
    return table


def _wald_f(params: pd.Series, V: np.ndarray, slopes: Sequence[str], df: int
            ) -> tuple[float, float, int]:
    idx = [list(params.index).index(s) for s in slopes]
    b = params.to_numpy()[idx]
    Vs = V[np.ix_(idx, idx)]
    q = len(idx)
    # pinv: a two-way clustered covariance with a zeroed eigenvalue can be singular
    F = float(b @ np.linalg.pinv(Vs) @ b) / q
    return F, float(stats.f.sf(F, q, df)), q


def _plain_matrix(V: np.ndarray, names: Sequence[str]) -> dict[str, dict[str, float]]:
    return {a: {b: float(V[i, j]) for j, b in enumerate(names)} for i, a in enumerate(names)}


def _check_variation(wide: pd.DataFrame, y: str, xs: Sequence[str], entity: bool, time: bool
                     ) -> None:
    cols = [y, *xs]
    values = wide[cols]
    if entity:
        values = values - values.groupby(level=ENTITY).transform("mean")
    if time:
        values = values - values.groupby(level=TIME).transform("mean")
    scale = wide[cols].abs().max().replace(0, 1.0)
    flat = [c for c in cols if (values[c].abs().max() <= 1e-10 * scale[c])]
    if flat:
        where = {(True, True): "within units and years", (True, False): "within units",
                 (False, True): "within years", (False, False): "across the panel"}[
            (entity, time)]
        raise EconometricsError(f"variable(s) {flat} do not vary {where}: they are absorbed "
                                "by the effects (or constant) and cannot be estimated")


def _finish(name: str, y: str, xs: list[str], wide: pd.DataFrame, params: pd.Series,
            V_conv: np.ndarray, V: np.ndarray, df: int, kinds: dict[str, str],
            fit: dict[str, Any], conventions: dict[str, Any]) -> pd.DataFrame:
    table = _table(params, V, df, kinds)
    names = list(params.index)
    F, pF, q = _wald_f(params, V, xs, df)
    fit = {**fit, "F": F, "F_p_value": pF, "F_df": [q, df]}
    table.attrs = {
        "model": name, "y": y, "x": list(xs),
        "fit": fit, "conventions": conventions,
        "vcov": _plain_matrix(V, names), "vcov_conventional": _plain_matrix(V_conv, names),
        "n_obs": len(wide),
        "entities": [_py(u) for u in wide.index.get_level_values(ENTITY).unique()],
        "years": [_py(t) for t in wide.index.get_level_values(TIME).unique().sort_values()],
    }
    return table


def _py(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def fixed_effects(
    panel: pd.DataFrame,
    y: str,
    x: str | Sequence[str] | None = None,
    *,
    effects: Effects = "twoway",
    cluster: Cluster = "entity",
    balanced: bool = True,
) -> pd.DataFrame:
    """Fixed-effects (within) panel regression, by default two-way with entity clusters.

    Parameters
    ----------
    panel
        Tidy panel or wide table indexed by ``(adcode, year)``.
    y, x
        The dependent variable and the regressors, or a formula ``"y ~ x1 + x2"`` as ``y``.
    effects
        ``"twoway"`` (entity and year effects; the LSDV two-way model of 孙慧、原伟鹏 2020,
        Table 10), ``"entity"`` or ``"time"``.
    cluster
        ``"entity"`` (default; Stata ``vce(cluster adcode)``), ``"time"``, ``"twoway"``
        (Cameron–Gelbach–Miller) or ``None`` (conventional homoskedastic covariance).
    balanced
        Refuse panels with missing unit-years (default), naming them; ``False`` estimates on
        the unbalanced panel.

    Returns
    -------
    pandas.DataFrame
        Tidy coefficient table indexed by ``term`` (``const`` — the intercept Stata reports
        with ``xtreg, fe`` — then the regressors): ``estimate``, ``std_error``, ``t_stat``,
        ``p_value``, ``ci_lower``, ``ci_upper`` (95 %), ``kind``. ``attrs``: ``fit`` (``n_obs``,
        ``n_entities``, ``n_periods``, ``r2_within``, ``r2_between``, ``r2_overall``,
        ``r2`` — of the estimated model —, ``df_resid``, ``F`` (Wald test of the slopes with the
        reported covariance) …), ``conventions``, ``vcov`` and ``vcov_conventional`` (nested
        dicts; :func:`hausman` uses the latter).

    Raises
    ------
    EconometricsError
        Unknown variables, gaps, missing values, regressors without within variation, fewer
        than two clusters.
    """
    from linearmodels.panel import PanelOLS

    if effects not in ("twoway", "entity", "time"):
        raise EconometricsError(f"effects must be 'twoway', 'entity' or 'time', not {effects!r}")
    y, xs = _spec(y, x)
    by_entity, by_time = _cluster_setup(cluster)
    wide = panel_frame(panel, [y, *xs], balanced=balanced)
    e_fx, t_fx = effects in ("twoway", "entity"), effects in ("twoway", "time")
    _check_variation(wide, y, xs, e_fx, t_fx)
    n = len(wide)
    G = {"entity": wide.index.get_level_values(ENTITY).nunique(),
         "time": wide.index.get_level_values(TIME).nunique()}
    for dim, on in (("entity", by_entity), ("time", by_time)):
        if on and G[dim] < 2:
            raise EconometricsError(f"clustering by {dim} needs at least 2 clusters; the panel "
                                    f"has {G[dim]}")
    exog = wide[xs].assign(**{CONSTANT: 1.0})[[CONSTANT, *xs]]
    model = PanelOLS(wide[y], exog, entity_effects=e_fx, time_effects=t_fx)
    conv = model.fit(cov_type="unadjusted", debiased=True)
    params = conv.params
    # fixed-effect parameters (beyond the constant) that the small-sample factor counts: those
    # not nested in a cluster dimension (Stata/reghdfe; entity effects are nested in entities)
    fe_entity = (G["entity"] - 1) if e_fx else 0
    fe_time = (G["time"] - 1) if t_fx else 0
    if cluster is None:
        V, info = conv.cov.to_numpy(), {"small_sample": "s² = RSS/(N − K_all)",
                                        "df": int(conv.df_resid)}
        K = exog.shape[1] + fe_entity + fe_time
    else:
        K = exog.shape[1] + (0 if by_entity else fe_entity) + (0 if by_time else fe_time)

        def raw(dim: str) -> np.ndarray:
            # the unscaled sandwich: no debiasing, no group factor, no effect counting
            if dim == "unit-year":
                res = model.fit(cov_type="robust", debiased=False, auto_df=False,
                                count_effects=False)
            else:
                res = model.fit(cov_type="clustered", debiased=False, auto_df=False,
                                count_effects=False, cluster_entity=dim == "entity",
                                cluster_time=dim == "time")
            return res.cov.to_numpy()

        V, info = _clustered(raw, cluster, n, K, G)
    kinds = {CONSTANT: "const", **{v: "x" for v in xs}}
    fit = {"n_obs": n, "n_entities": G["entity"], "n_periods": G["time"],
           "r2": float(conv.rsquared), "r2_within": float(conv.rsquared_within),
           "r2_between": float(conv.rsquared_between),
           "r2_overall": float(conv.rsquared_overall), "df_resid": int(conv.df_resid),
           "sigma_e": float(np.sqrt(conv.s2)), "loglik": float(conv.loglik)}
    conventions = {
        "estimator": "within (fixed effects)", "effects": effects,
        "cluster": cluster, "covariance": "conventional" if cluster is None else "clustered",
        "K": int(K), "clusters": {d: G[d] for d, on in (("entity", by_entity),
                                                        ("time", by_time)) if on},
        **info, "t_df": int(info["df"]), "library": _versions(),
    }
    return _finish(f"fixed effects ({effects})", y, xs, wide, params, conv.cov.to_numpy(), V,
                   int(info["df"]), kinds, fit, conventions)


def random_effects(
    panel: pd.DataFrame,
    y: str,
    x: str | Sequence[str] | None = None,
    *,
    time_dummies: bool = False,
    cluster: Cluster = "entity",
    balanced: bool = True,
) -> pd.DataFrame:
    """Random-effects (GLS, Swamy–Arora) panel regression.

    Parameters
    ----------
    panel, y, x, cluster, balanced
        As for :func:`fixed_effects`.
    time_dummies
        Add year dummies (first year omitted) — the random-effects counterpart of two-way fixed
        effects with ``xtreg, re i.year``; they appear as terms ``year=…`` of kind
        ``"time"``.

    Returns
    -------
    pandas.DataFrame
        As for :func:`fixed_effects`; ``fit`` adds ``sigma_u``, ``sigma_e``, ``rho`` (share of
        the variance due to the unit effects) and ``theta`` (the quasi-demeaning weight, one
        value for a balanced panel).
    """
    from linearmodels.panel import RandomEffects

    y, xs = _spec(y, x)
    by_entity, by_time = _cluster_setup(cluster)
    wide = panel_frame(panel, [y, *xs], balanced=balanced)
    _check_variation(wide, y, xs, False, False)
    n = len(wide)
    G = {"entity": wide.index.get_level_values(ENTITY).nunique(),
         "time": wide.index.get_level_values(TIME).nunique()}
    for dim, on in (("entity", by_entity), ("time", by_time)):
        if on and G[dim] < 2:
            raise EconometricsError(f"clustering by {dim} needs at least 2 clusters; the panel "
                                    f"has {G[dim]}")
    exog = wide[xs].assign(**{CONSTANT: 1.0})[[CONSTANT, *xs]]
    kinds = {CONSTANT: "const", **{v: "x" for v in xs}}
    if time_dummies:
        years = wide.index.get_level_values(TIME)
        for t in sorted(years.unique())[1:]:
            exog[f"year={t}"] = (years == t).astype(float)
            kinds[f"year={t}"] = "time"
    model = RandomEffects(wide[y], exog)
    conv = model.fit(cov_type="unadjusted", debiased=True)
    params = conv.params
    K = exog.shape[1]
    if cluster is None:
        V, info = conv.cov.to_numpy(), {"small_sample": "s² = RSS/(N − K)",
                                        "df": int(conv.df_resid)}
    else:
        def raw(dim: str) -> np.ndarray:
            if dim == "unit-year":
                res = model.fit(cov_type="robust", debiased=False)
            else:
                res = model.fit(cov_type="clustered", debiased=False,
                                cluster_entity=dim == "entity", cluster_time=dim == "time")
            return res.cov.to_numpy()

        V, info = _clustered(raw, cluster, n, K, G)
    vd = conv.variance_decomposition
    theta = np.unique(np.round(conv.theta.to_numpy().ravel(), 12))
    fit = {"n_obs": n, "n_entities": G["entity"], "n_periods": G["time"],
           "r2": float(conv.rsquared), "r2_within": float(conv.rsquared_within),
           "r2_between": float(conv.rsquared_between),
           "r2_overall": float(conv.rsquared_overall), "df_resid": int(conv.df_resid),
           "sigma_u": float(np.sqrt(vd["Effects"])), "sigma_e": float(np.sqrt(vd["Residual"])),
           "rho": float(vd["Percent due to Effects"]),
           "theta": float(theta[0]) if len(theta) == 1 else [float(v) for v in theta]}
    conventions = {
        "estimator": "random effects (GLS)", "variance_components": "Swamy–Arora",
        "time_dummies": time_dummies, "cluster": cluster,
        "covariance": "conventional" if cluster is None else "clustered", "K": int(K),
        "clusters": {d: G[d] for d, on in (("entity", by_entity), ("time", by_time)) if on},
        **info, "t_df": int(info["df"]), "library": _versions(),
    }
    name = "random effects" + (" with year dummies" if time_dummies else "")
    return _finish(name, y, xs, wide, params, conv.cov.to_numpy(), V, int(info["df"]), kinds,
                   fit, conventions)



def hausman(fe: pd.DataFrame, re: pd.DataFrame, *, tolerance: float = 1e-10) -> PanelTest:
    """Hausman test of fixed against random effects (the classic χ² form).

    Parameters
    ----------
    fe, re
        Results of :func:`fixed_effects` and :func:`random_effects` on the same data and
        regressors (their clustering does not matter: the classic test uses each model's
        conventional covariance, under which random effects is efficient).
    tolerance
        Eigenvalues of ``V_FE − V_RE`` at or below ``tolerance × max |eigenvalue|`` count as
        non-positive.

    Returns
    -------
    PanelTest
        ``statistics`` row ``H`` (χ² with ``df`` = the number of common slopes, or the number
        of positive eigenvalues of the difference); ``units`` holds the coefficients compared
        (``fe``, ``re``, ``difference``, ``se_difference`` where defined). ``attrs`` records the
        eigenvalues of ``V_FE − V_RE`` and whether a generalised inverse was needed.

    Notes
    -----
    H0: the unit effects are uncorrelated with the regressors (both estimators consistent, RE
    efficient); a small p-value favours fixed effects. With heteroskedastic or clustered errors
    the classic form is not valid: use :func:`hausman_regression`.
    """
    for name, res in (("fe", fe), ("re", re)):
        if not isinstance(res, pd.DataFrame) or "vcov_conventional" not in res.attrs:
            raise EconometricsError(f"{name} must be a result of fixed_effects / "
                                    "random_effects")
    if fe.attrs["y"] != re.attrs["y"] or fe.attrs["n_obs"] != re.attrs["n_obs"]:
        raise EconometricsError("the two models have different dependent variables or samples: "
                                f"{fe.attrs['y']} (n = {fe.attrs['n_obs']}) vs {re.attrs['y']} "
                                f"(n = {re.attrs['n_obs']})")
    slopes = [t for t in fe.index if fe.loc[t, "kind"] == "x" and t in re.index
              and re.loc[t, "kind"] == "x"]
    if not slopes:
        raise EconometricsError("the models have no regressors in common")
    Vf = pd.DataFrame(fe.attrs["vcov_conventional"]).loc[slopes, slopes].to_numpy()
    Vr = pd.DataFrame(re.attrs["vcov_conventional"]).loc[slopes, slopes].to_numpy()
    d = fe.loc[slopes, "estimate"].to_numpy() - re.loc[slopes, "estimate"].to_numpy()
    D = (Vf - Vr + (Vf - Vr).T) / 2
    values, vectors = np.linalg.eigh(D)
    keep = values > tolerance * max(np.abs(values).max(), np.finfo(float).tiny)
    generalised = not keep.all()
    if not keep.any():
        raise EconometricsError("V_FE − V_RE has no positive eigenvalue: the Hausman "
                                "statistic is undefined for these models")
    proj = vectors[:, keep].T @ d
    H = float((proj**2 / values[keep]).sum())
    df = int(keep.sum())
    if generalised:
        warnings.warn(f"V_FE − V_RE is not positive definite (eigenvalues "
                      f"{np.array2string(values, precision=4)}); using a generalised inverse "
                      f"with df = {df}", RuntimeWarning, stacklevel=2)
    diag = np.diag(D)
    units = pd.DataFrame({"fe": fe.loc[slopes, "estimate"].to_numpy(),
                          "re": re.loc[slopes, "estimate"].to_numpy(), "difference": d,
                          "se_difference": np.where(diag > 0, np.sqrt(np.abs(diag)), np.nan)},
                         index=pd.Index(slopes, name="term"))
    return PanelTest(
        "Hausman", _statistics([("H", H, float(stats.chi2.sf(H, df)), df, f"chi2({df})")]),
        units,
        {"H0": "random effects consistent and efficient (effects uncorrelated with x)",
         "H1": "random effects inconsistent: use fixed effects",
         "formula": "(b_FE − b_RE)' [V_FE − V_RE]⁻ (b_FE − b_RE)",
         "covariance": "each model's conventional covariance",
         "eigenvalues": [float(v) for v in values], "generalised_inverse": generalised,
         "fe": fe.attrs["model"], "re": re.attrs["model"]})


def hausman_regression(
    panel: pd.DataFrame,
    y: str,
    x: str | Sequence[str] | None = None,
    *,
    cluster: Literal["entity"] | None = "entity",
    small_sample: bool = True,
    time_dummies: bool = False,
    balanced: bool = True,
) -> PanelTest:
    """Regression-based (Mundlak/Wooldridge) Hausman test, robust to clustering.

    The random-effects quasi-demeaned regression ``y − θ_i ȳ_i`` on ``[1 − θ_i, x − θ_i x̄_i]``
    augmented with the within-demeaned regressors ``x − x̄_i``; H0 (random effects consistent)
    is that the coefficients of ``x − x̄_i`` are zero (Wooldridge 2010, §10.7.3; plm's
    ``phtest(method = "aux")``). Unlike :func:`hausman` it stays valid with clustered errors.

    Parameters
    ----------
    panel, y, x, balanced
        As for :func:`random_effects`.
    cluster
        ``"entity"`` (default): Wald test with the entity-clustered covariance of the auxiliary
        OLS; ``None``: conventional OLS covariance (then the statistic equals the classic
        between-vs-within Hausman form, Baltagi's m3).
    small_sample
        Scale the clustered covariance by ``G/(G − 1) · (N − 1)/(N − K)`` (Stata; statsmodels'
        default); ``False`` leaves the plain sandwich (plm's ``vcovHC``, HC0).
    time_dummies
        Year dummies in the random-effects model and the auxiliary regression.

    Returns
    -------
    PanelTest
        ``statistics`` row ``H`` (χ² with as many degrees of freedom as regressors);
        ``units``: the coefficients of the within-demeaned regressors with their standard
        errors.
    """
    import statsmodels.api as sm
    from linearmodels.panel import RandomEffects

    if cluster not in ("entity", None):
        raise EconometricsError(f"cluster must be 'entity' or None, not {cluster!r}")
    y, xs = _spec(y, x)
    wide = panel_frame(panel, [y, *xs], balanced=balanced)
    _check_variation(wide, y, xs, True, False)
    exog = wide[xs].assign(**{CONSTANT: 1.0})[[CONSTANT, *xs]]
    if time_dummies:
        years = wide.index.get_level_values(TIME)
        for t in sorted(years.unique())[1:]:
            exog[f"year={t}"] = (years == t).astype(float)
    re = RandomEffects(wide[y], exog).fit()
    entities = wide.index.get_level_values(ENTITY)
    theta = re.theta.iloc[:, 0].reindex(entities).to_numpy()
    data = wide[[y]].join(exog)
    means = data.groupby(level=ENTITY).transform("mean")
    quasi = data - theta[:, None] * means
    within = (wide[xs] - means[xs]).add_prefix("within_")
    design = pd.concat([quasi[list(exog.columns)], within], axis=1)
    ols = sm.OLS(quasi[y], design)
    if cluster is None:
        res = ols.fit()
    else:
        res = ols.fit(cov_type="cluster", cov_kwds={
            "groups": pd.factorize(entities)[0], "use_correction": small_sample})
    names = list(within.columns)
    b = res.params[names].to_numpy()
    V = res.cov_params().loc[names, names].to_numpy()
    H = float(b @ np.linalg.solve(V, b))
    q = len(names)
    units = pd.DataFrame({"estimate": b, "std_error": np.sqrt(np.diag(V))},
                         index=pd.Index(xs, name="term"))
    return PanelTest(
        "Hausman (regression-based)",
        _statistics([("H", H, float(stats.chi2.sf(H, q)), q, f"chi2({q})")]), units,
        {"H0": "random effects consistent (effects uncorrelated with x)",
         "H1": "random effects inconsistent: use fixed effects",
         "auxiliary": "y − θ ȳ on [1 − θ, x − θ x̄] and x − x̄ (Wooldridge 2010, §10.7.3)",
         "covariance": "conventional" if cluster is None else
         ("clustered by entity, G/(G − 1) · (N − 1)/(N − K)" if small_sample else
          "clustered by entity, no small-sample factor (HC0)"),
         "time_dummies": time_dummies, "theta": "Swamy–Arora (linearmodels)",
         "library": _versions()})
