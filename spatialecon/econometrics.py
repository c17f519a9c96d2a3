"""Stage 4: panel econometrics — fixed- and random-effects regressions with clustered standard
errors, the Hausman test, panel unit-root tests (Im–Pesaran–Shin, Fisher-type) and the
Dumitrescu–Hurlin panel Granger non-causality test.

These are the non-spatial panel methods of the seed's economic-resilience article (孙慧、原伟鹏
2020, 区域经济评论 No. 5, Tables 7, 9, 10 and 11). Estimation is delegated to well-kept libraries
— linearmodels (``PanelOLS``, ``RandomEffects``) and statsmodels (``adfuller``, OLS, MacKinnon
p-values); this module owns the data checks, the conventions and the panel statistics that those
libraries do not have.

Data come in as a tidy panel (``adcode, year, variable, value``) or a wide table indexed by
``(adcode, year)``; gaps, duplicates, missing values, constant series and too few years for a
lag order are errors that name the units, years and variables.

Conventions (recorded in every result's ``attrs``; defaults follow Stata, checked against it):

Regressions (:func:`fixed_effects`, :func:`random_effects`)
    *Conventional* covariance ``s² (X'X)⁻¹`` with ``s² = RSS/(N − K_all)``, ``K_all`` counting
    every estimated parameter including the fixed effects (Stata ``xtreg, fe``).
    *Clustered* covariance: the sandwich ``(X'X)⁻¹ Σ_g X_g'e_g e_g'X_g (X'X)⁻¹`` on the
    transformed (within or quasi-demeaned) data, scaled by ``G/(G − 1) · (N − 1)/(N − K)``
    where ``K`` counts the constant, the regressors and the fixed effects **not nested** in a
    cluster dimension (entity effects are nested in entity clusters): Stata's ``xtreg, fe
    vce(cluster id)`` and ``reghdfe``, fixest's ``ssc(fixef.K = "nested")``. Two-way
    clustering (Cameron, Gelbach & Miller 2011): ``V = c_e V_entity + c_t V_time − c_0 V_unit-
    year`` with each term's own ``G/(G − 1)``; a non-positive-semidefinite result has its
    negative eigenvalues set to zero (the fix CGM propose; reghdfe applies it too). Inference
    uses the t distribution with
    ``G − 1`` degrees of freedom (``min(G_e, G_t) − 1`` for two-way clusters) and ``N − K_all``
    for the conventional covariance.
    Random effects: Swamy–Arora variance components (linearmodels; its estimates equal plm's
    default random-effects model, checked on Grunfeld; Stata's ``xtreg, re`` uses the same
    estimator, with its own small-sample variant on unbalanced panels).
Hausman test (:func:`hausman`)
    ``H = (b_FE − b_RE)' [V_FE − V_RE]⁻ (b_FE − b_RE)`` on the common slopes with each model's
    conventional covariance (Hausman 1978; plm's ``phtest``, Stata's ``hausman``). When
    ``V_FE − V_RE`` is not positive definite, the inverse is the Moore–Penrose inverse over its
    positive eigenvalues and the degrees of freedom are their number (Stata's ``hausman`` takes
    a generalised inverse and ``df = rank``); a warning says so and ``attrs`` records the
    eigenvalues.
Unit-root tests (:func:`adf_by_unit`, :func:`ips_test`, :func:`fisher_test`)
    Per-unit ADF regressions ``Δy_t = ρ y_{t−1} + Σ_{j≤p} φ_j Δy_{t−j} + deterministic + e_t``
    by statsmodels' ``adfuller`` (OLS standard error with the ``n − k`` divisor, as gretl and
    EViews; ``dof_correction=False`` uses ``n``, plm's default), lags fixed or chosen per unit by
    AIC/BIC on a common sample (``max_lags`` default EViews' ``⌊min(D/3, 12)(D/100)^{1/4}⌋``
    with ``D = T − 1``), then re-estimated on all available observations; per-unit p-values
    from MacKinnon's (1994) asymptotic approximation (statsmodels' coefficients, without its
    0/1 cut-offs, see :func:`mackinnon_p`). IPS: ``W_t̄ = √N (t̄ − mean(E[t_i])) /
    √mean(Var[t_i])`` with the moments of IPS (2003, Table 3) for each unit's lag order and
    ``T_i − p_i − 1`` observations, linearly interpolated in T (plm, gretl and EViews),
    left-tailed normal p-value. Fisher: Maddala–Wu
    ``P = −2 Σ ln p_i ~ χ²(2N)``, Choi's inverse normal ``Z = Σ Φ⁻¹(p_i)/√N`` (left tail), also
    Choi's ``P_m`` and logit ``L*``.
Dumitrescu–Hurlin test (:func:`dumitrescu_hurlin`)
    Per unit, OLS of ``y_t`` on a constant, ``y_{t−1..K}`` and ``x_{t−1..K}`` over ``T − K``
    observations and the Wald statistic ``W_i`` of the ``K`` coefficients of ``x`` with the
    ``RSS/(T − 3K − 1)`` variance (lmtest's ``grangertest(test = "Chisq")``); ``W̄`` their mean,
    ``Z̄ = √(N/2K) (W̄ − K)`` and the fixed-T ``Z̃`` of DH (2012, eq. 29/33) with DH's T read as
    ``T − K`` (Lopez & Weber 2017, Stata's ``xtgcause``; plm's ``pgrangertest``); two-sided
    normal p-values as in plm and xtgcause.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from spatialecon.validation import SpatialEconError, check_finite

ENTITY, TIME = "adcode", "year"
TIDY_COLUMNS = ["adcode", "year", "variable", "value"]
CONSTANT = "const"

Cluster = Literal["entity", "time", "twoway"] | None
Effects = Literal["twoway", "entity", "time"]
Trend = Literal["n", "c", "ct"]
LagRule = int | Literal["aic", "bic"]


class EconometricsError(SpatialEconError):
    """Data or options a panel method cannot use; the message names units, years, variables."""


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Results
# ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, eq=False)  # DataFrame fields: no value equality or hash
class PanelTest:
    """A panel test: its statistics, the per-unit details and the conventions.

    Attributes
    ----------
    name
        The test (``"Hausman"``, ``"Im-Pesaran-Shin"`` …).
    statistics
        One row per statistic (index ``statistic``), columns ``value``, ``p_value``, ``df`` and
        ``distribution``; the first row is the headline statistic.
    units
        Per-unit results (ADF t-statistics, Wald statistics …) indexed by ``adcode``, or
        ``None``.
    attrs
        Conventions: hypotheses, alternative, lags, trend, corrections, sources of tables.
    """

    name: str
    statistics: pd.DataFrame
    units: pd.DataFrame | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def statistic(self) -> float:
        """The headline statistic (first row of ``statistics``)."""
        return float(self.statistics["value"].iloc[0])

    @property
    def p_value(self) -> float:
        """The headline statistic's p-value."""
        return float(self.statistics["p_value"].iloc[0])

    def __repr__(self) -> str:
        rows = "; ".join(f"{name} = {row.value:.4f}" + (
            f" (p = {row.p_value:.4g})" if pd.notna(row.p_value) else "")
            for name, row in self.statistics.iterrows())
        return f"PanelTest({self.name}: {rows})"


def _statistics(rows: Sequence[tuple[str, float, float, Any, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["statistic", "value", "p_value", "df", "distribution"])
    return frame.set_index("statistic")


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Data
# ─────────────────────────────────────────────────────────────────────────────────────────────

def parse_formula(formula: str) -> tuple[str, list[str]]:
    """Split ``"y ~ x1 + x2"`` into ``("y", ["x1", "x2"])`` with the rules of
    :func:`spatialecon.regression.parse_formula` (backticks for awkward names; the constant is
    always included; no transformations), raising :class:`EconometricsError`."""
    from spatialecon.regression import RegressionError
    from spatialecon.regression import parse_formula as _parse

    try:
        return _parse(formula)
    except RegressionError as err:
        raise EconometricsError(str(err)) from None


def _spec(y: str, x: str | Sequence[str] | None) -> tuple[str, list[str]]:
    if "~" in y:
        if x is not None:
            raise EconometricsError("give either a formula 'y ~ x1 + x2' or y and x, not both")
        y, xs = parse_formula(y)
    else:
        if x is None:
            raise EconometricsError("no regressors: pass x=[...] or a formula 'y ~ x1 + x2'")
        xs = [x] if isinstance(x, str) else [str(v) for v in x]
    if not xs:
        raise EconometricsError("at least one regressor is needed besides the constant")
    twice = sorted({v for v in xs if xs.count(v) > 1})
    if twice:
        raise EconometricsError(f"regressor(s) listed twice: {twice}")
    if y in xs:
        raise EconometricsError(f"{y!r} is both the dependent variable and a regressor")
    if CONSTANT in xs:
        raise EconometricsError(f"{CONSTANT!r} is reserved for the constant; rename the column")
    return y, xs


def _listing(items: Sequence[str], limit: int = 8) -> str:
    more = f" … ({len(items)} in all)" if len(items) > limit else ""
    return "; ".join(items[:limit]) + more


def panel_frame(
    panel: pd.DataFrame,
    variables: Sequence[str],
    *,
    balanced: bool = True,
    consecutive: bool = False,
) -> pd.DataFrame:
    """A checked wide panel: rows ``(adcode, year)`` sorted, one column per variable.

    Parameters
    ----------
    panel
        A tidy panel (``adcode, year, variable, value``) or a wide table indexed by
        ``(unit, year)`` (the level names are replaced by ``adcode, year``).
    variables
        The variables to keep, in this order.
    balanced
        Require every unit to have every year of the panel (errors name the missing
        unit-years).
    consecutive
        Require each unit's years to be a run without holes among the panel's years (needed
        for lags), even when ``balanced=False``.

    Returns
    -------
    pandas.DataFrame
        Float columns, no missing values.

    Raises
    ------
    EconometricsError
        Not a panel, unknown variables, duplicated unit-years, missing values, gaps.
    """
    variables = list(variables)
    if isinstance(panel, pd.DataFrame) and set(TIDY_COLUMNS) <= set(panel.columns):
        unknown = [v for v in variables if v not in set(panel["variable"])]
        if unknown:
            raise EconometricsError(f"variable(s) {unknown} are not in the panel; it has "
                                    f"{sorted(map(str, panel['variable'].unique()))}")
        data = panel[panel["variable"].isin(variables)]
        dup = data.duplicated(["adcode", "year", "variable"], keep=False)
        if dup.any():
            rows = data.loc[dup, ["adcode", "year", "variable"]].drop_duplicates()
            raise EconometricsError("unit-year-variable rows given more than once: "
                                    + _listing([f"{a} {y} {v}" for a, y, v in
                                                rows.itertuples(index=False)]))
        wide = data.pivot(index=["adcode", "year"], columns="variable", values="value")
        wide = wide.reindex(columns=variables)
    elif isinstance(panel, pd.DataFrame) and panel.index.nlevels == 2:
        unknown = [v for v in variables if v not in panel.columns]
        if unknown:
            raise EconometricsError(f"variable(s) {unknown} are not columns of the table; it "
                                    f"has {list(map(str, panel.columns))}")
        wide = panel[variables].copy()
        wide.index = wide.index.set_names([ENTITY, TIME])
        if wide.index.has_duplicates:
            dup = wide.index[wide.index.duplicated()].unique()
            raise EconometricsError("unit-years given more than once: "
                                    + _listing([f"{a} {y}" for a, y in dup]))
    else:
        raise EconometricsError("expected a tidy panel (adcode, year, variable, value) or a "
                                "table indexed by (adcode, year)")
    wide.columns.name = None
    bad = [c for c in wide.columns if not pd.api.types.is_numeric_dtype(wide[c])]
    if bad:
        raise EconometricsError(f"variable(s) {bad} are not numeric")
    wide = wide.astype(float).sort_index()
    for variable in variables:  # the one finite-values rule; units read (code, year)
        check_finite(wide[variable], variable=variable,
                     hint="impute them or drop those units or years first")
    years = np.sort(wide.index.get_level_values(TIME).unique().to_numpy())
    if balanced or consecutive:
        holes = []
        for unit, rows in wide.groupby(level=ENTITY, sort=True):
            have = rows.index.get_level_values(TIME).to_numpy()
            if balanced:
                lacking = np.setdiff1d(years, have)
            else:
                span = years[(years >= have.min()) & (years <= have.max())]
                lacking = np.setdiff1d(span, have)
            if len(lacking):
                holes.append(f"{unit}: {', '.join(map(str, lacking[:10]))}"
                             + (" …" if len(lacking) > 10 else ""))
        if holes:
            kind = "an unbalanced panel" if balanced else "gaps inside units' series"
            raise EconometricsError(
                f"{kind} — {len(holes)} unit(s) lack years (unit: missing years): "
                f"{_listing(holes)}. Fill or interpolate them, or drop those units or years"
                + (" (or pass balanced=False where the method allows it)." if balanced else "."))
    return wide


def _check_spacing(wide: pd.DataFrame) -> None:
    """Lags need equally spaced periods (2000, 2004, … 2016, 2019 would lag across 3 and 4
    years alike)."""
    years = np.sort(wide.index.get_level_values(TIME).unique().to_numpy())
    steps = np.diff(years)
    if len(steps) and not np.all(steps == steps[0]):
        raise EconometricsError(
            f"the panel's years are not equally spaced ({', '.join(map(str, years[:12]))}"
            f"{' …' if len(years) > 12 else ''}): lags would span different intervals. Use an "
            "annual panel, or select equally spaced years")


def _series(wide: pd.DataFrame, column: str) -> dict[Any, np.ndarray]:
    return {unit: rows[column].to_numpy() for unit, rows in wide.groupby(level=ENTITY, sort=True)}


def _check_not_constant(series: Mapping[Any, np.ndarray], variable: str, what: str) -> None:
    flat = [str(u) for u, s in series.items() if np.ptp(s) <= 1e-12 * max(1.0, np.abs(s).max())]
    if flat:
        raise EconometricsError(f"{variable} is constant over time for unit(s) "
                                f"{_listing(flat)}: {what}")


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


def _versions() -> dict[str, str]:
    import linearmodels
    import statsmodels

    return {"linearmodels": linearmodels.__version__, "statsmodels": statsmodels.__version__}


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


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Unit-root tests
# ─────────────────────────────────────────────────────────────────────────────────────────────

# Im, Pesaran & Shin (2003, J. Econometrics 115, Table 3): simulated mean and variance of the
# ADF t-statistic by lag order p (rows 0–8) and T (columns); NaN where the table has no entry.
# Transcribed from the paper; the same numbers are in R plm's purtest and reproduce its
# published values in the tests.
_IPS_T = np.array([10, 15, 20, 25, 30, 40, 50, 60, 70, 100], dtype=float)
_NA = np.nan
_IPS_MOMENTS = {
    ("c", "mean"): [
        [-1.504, -1.514, -1.522, -1.520, -1.526, -1.523, -1.527, -1.519, -1.524, -1.532],
        [-1.488, -1.503, -1.516, -1.514, -1.519, -1.520, -1.524, -1.519, -1.522, -1.530],
        [-1.319, -1.387, -1.428, -1.443, -1.460, -1.476, -1.493, -1.490, -1.498, -1.514],
        [-1.306, -1.366, -1.413, -1.433, -1.453, -1.471, -1.489, -1.486, -1.495, -1.512],
        [-1.171, -1.260, -1.329, -1.363, -1.394, -1.428, -1.454, -1.458, -1.470, -1.495],
        [_NA, _NA, -1.313, -1.351, -1.384, -1.421, -1.451, -1.454, -1.467, -1.494],
        [_NA, _NA, _NA, -1.289, -1.331, -1.380, -1.418, -1.427, -1.444, -1.476],
        [_NA, _NA, _NA, -1.273, -1.319, -1.371, -1.411, -1.423, -1.441, -1.474],
        [_NA, _NA, _NA, -1.212, -1.266, -1.329, -1.377, -1.393, -1.415, -1.456]],
    ("c", "var"): [
        [1.069, 0.923, 0.851, 0.809, 0.789, 0.770, 0.760, 0.749, 0.736, 0.735],
        [1.255, 1.011, 0.915, 0.861, 0.831, 0.803, 0.781, 0.770, 0.753, 0.745],
        [1.421, 1.078, 0.969, 0.905, 0.865, 0.830, 0.798, 0.789, 0.766, 0.754],
        [1.759, 1.181, 1.037, 0.952, 0.907, 0.858, 0.819, 0.802, 0.782, 0.761],
        [2.080, 1.279, 1.097, 1.005, 0.946, 0.886, 0.842, 0.819, 0.801, 0.771],
        [_NA, _NA, 1.171, 1.055, 0.980, 0.912, 0.863, 0.839, 0.814, 0.781],
        [_NA, _NA, _NA, 1.114, 1.023, 0.942, 0.886, 0.858, 0.834, 0.795],
        [_NA, _NA, _NA, 1.164, 1.062, 0.968, 0.910, 0.875, 0.851, 0.806],
        [_NA, _NA, _NA, 1.217, 1.105, 0.996, 0.929, 0.896, 0.871, 0.818]],
    ("ct", "mean"): [
        [-2.166, -2.167, -2.168, -2.167, -2.172, -2.173, -2.176, -2.174, -2.174, -2.177],
        [-2.173, -2.169, -2.172, -2.172, -2.173, -2.177, -2.180, -2.178, -2.176, -2.179],
        [-1.914, -1.999, -2.047, -2.074, -2.095, -2.120, -2.137, -2.143, -2.146, -2.158],
        [-1.922, -1.977, -2.032, -2.065, -2.091, -2.117, -2.137, -2.142, -2.146, -2.158],
        [-1.750, -1.823, -1.911, -1.968, -2.009, -2.057, -2.091, -2.103, -2.114, -2.135],
        [_NA, _NA, -1.888, -1.955, -1.998, -2.051, -2.087, -2.101, -2.111, -2.135],
        [_NA, _NA, _NA, -1.868, -1.923, -1.995, -2.042, -2.065, -2.081, -2.113],
        [_NA, _NA, _NA, -1.851, -1.912, -1.986, -2.036, -2.063, -2.079, -2.112],
        [_NA, _NA, _NA, -1.761, -1.835, -1.925, -1.987, -2.024, -2.046, -2.088]],
    ("ct", "var"): [
        [1.132, 0.869, 0.763, 0.713, 0.690, 0.655, 0.633, 0.621, 0.610, 0.597],
        [1.453, 0.975, 0.845, 0.769, 0.734, 0.687, 0.654, 0.641, 0.627, 0.605],
        [1.627, 1.036, 0.882, 0.796, 0.756, 0.702, 0.661, 0.653, 0.634, 0.613],
        [2.482, 1.214, 0.983, 0.861, 0.808, 0.735, 0.688, 0.674, 0.650, 0.625],
        [3.947, 1.332, 1.052, 0.913, 0.845, 0.759, 0.705, 0.685, 0.662, 0.629],
        [_NA, _NA, 1.165, 0.991, 0.899, 0.792, 0.730, 0.705, 0.673, 0.638],
        [_NA, _NA, _NA, 1.055, 0.945, 0.828, 0.753, 0.725, 0.689, 0.650],
        [_NA, _NA, _NA, 1.145, 1.009, 0.872, 0.786, 0.747, 0.713, 0.661],
        [_NA, _NA, _NA, 1.208, 1.063, 0.902, 0.808, 0.766, 0.728, 0.670]],
}
_IPS_SOURCE = ("Im, Pesaran & Shin (2003), J. Econometrics 115: 53–74, Table 3; looked up at "
               "T_i − p_i − 1 observations, linear interpolation in T (as plm, gretl, EViews)")


def ips_moments(obs: int, lags: int, trend: Literal["c", "ct"] = "c") -> tuple[float, float, str]:
    """IPS (2003, Table 3) mean and variance of the ADF t-statistic.

    Parameters
    ----------
    obs
        Observations in the ADF regression (``T − lags − 1``).
    lags
        The lag order p (0–8).
    trend
        ``"c"`` (intercept) or ``"ct"`` (intercept and trend).

    Returns
    -------
    tuple
        ``(mean, variance, note)``; ``note`` is ``""`` or says that ``obs`` was outside the
        tabulated 10–100 and the nearest column was used (plm's rule).

    Raises
    ------
    EconometricsError
        A lag order above 8 or a cell the table leaves empty (long lags with short T).
    """
    if trend not in ("c", "ct"):
        raise EconometricsError("the IPS test needs an intercept: trend 'c' or 'ct'")
    if not 0 <= lags <= 8:
        raise EconometricsError(f"IPS (2003) tabulates lag orders 0–8, not {lags}")
    note = ""
    t = float(obs)
    if t < _IPS_T[0]:
        note, t = f"T = {obs} below the table: T = 10 moments used", _IPS_T[0]
    elif t > _IPS_T[-1]:
        note, t = f"T = {obs} above the table: T = 100 moments used", _IPS_T[-1]
    out = []
    for kind in ("mean", "var"):
        row = np.asarray(_IPS_MOMENTS[(trend, kind)][lags], dtype=float)
        j = int(np.searchsorted(_IPS_T, t))
        if _IPS_T[min(j, len(_IPS_T) - 1)] == t:
            value = row[j]
        else:
            lo, hi = j - 1, j
            value = row[lo] + (t - _IPS_T[lo]) / (_IPS_T[hi] - _IPS_T[lo]) * (row[hi] - row[lo])
        if not np.isfinite(value):
            raise EconometricsError(
                f"IPS (2003, Table 3) has no moments for {lags} lags with {obs} observations; "
                "use fewer lags (max_lags) or longer series")
        out.append(float(value))
    return out[0], out[1], note


# MacKinnon (1994, JBES 12: 167–176, Tables 3 and 4), N = 1: p = Φ(Σ_i c_i t^i) with the
# small-p polynomial at or below τ* and the large-p one above it — the coefficients of
# statsmodels' ``mackinnonp`` and of plm's ``padf(p.approx = "MacKinnon1994")``. statsmodels
# returns exactly 0 or 1 outside a tabulated range (t > 2.74 with an intercept), which makes
# ln p, Φ⁻¹(p) and the logit infinite in the Fisher statistics; like plm we evaluate the
# polynomial everywhere (the tests check equality with statsmodels inside its range).
_MACKINNON_1994 = {
    "n": ((0.6344, 1.2378, 0.032496), (0.4797, 0.93557, -0.06999, 0.033066), -1.04),
    "c": ((2.1659, 1.4412, 0.038269), (1.7339, 0.93202, -0.12745, -0.010368), -1.61),
    "ct": ((3.2512, 1.6047, 0.049588), (2.5261, 0.61654, -0.37956, -0.060285), -2.89),
}


def mackinnon_p(t: float, trend: Trend = "c") -> float:
    """Asymptotic p-value of an ADF t-statistic (MacKinnon 1994), without range cut-offs.

    Parameters
    ----------
    t
        The ADF t-statistic.
    trend
        ``"n"``, ``"c"`` or ``"ct"``.

    Returns
    -------
    float
        Left-tail p-value in (0, 1).
    """
    small, large, star = _MACKINNON_1994[trend]
    coef = small if t <= star else large
    return float(stats.norm.cdf(sum(c * t**i for i, c in enumerate(coef))))


def default_max_lags(T: int) -> int:
    """Default largest ADF lag for a series of ``T`` observations.

    ``⌊min(D/3, 12) · (D/100)^{1/4}⌋`` with ``D = T − 1`` differences: the rule behind the
    "Max Lag" column of EViews' panel unit-root output (28 differences → 6, 14 → 2, 7 → 1),
    a Schwert-type rule damped for short series. For the seed's 20-year provincial panels it
    gives 4; Schwert's own ``⌊12 (T/100)^{1/4}⌋`` would allow 8 lags on 11 observations,
    beyond the IPS moment table.
    """
    D = T - 1
    return int(min(D / 3, 12) * (D / 100) ** 0.25)


def adf_by_unit(
    panel: pd.DataFrame,
    variable: str,
    *,
    trend: Trend = "c",
    lags: LagRule = "bic",
    max_lags: int | None = None,
    dof_correction: bool = True,
    balanced: bool = True,
    difference: int = 0,
) -> pd.DataFrame:
    """Augmented Dickey–Fuller regressions unit by unit (statsmodels' ``adfuller``).

    Parameters
    ----------
    panel
        Tidy panel or wide table indexed by ``(adcode, year)``.
    variable
        The series to test.
    trend
        Deterministic terms: ``"c"`` intercept (default), ``"ct"`` intercept and trend,
        ``"n"`` none.
    lags
        Augmentation lags: an integer for every unit, or ``"aic"``/``"bic"`` to choose per unit
        among 0 … ``max_lags`` on the common sample (statsmodels' ``autolag``).
    max_lags
        Largest lag considered by ``"aic"``/``"bic"``; default :func:`default_max_lags` per
        unit (4 for 20 years), capped by what the series allows.
    dof_correction
        Standard error with the ``n − k`` divisor (default; OLS, gretl, EViews); ``False``
        uses ``n`` (plm's default ``dfcor = FALSE``), i.e. ``t · sqrt(n/(n − k))``.
    balanced
        Require a balanced panel; with ``False`` units may span different years but may not
        have holes.
    difference
        Test the ``d``-th difference (within unit) instead of the level.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``adcode``: ``T`` (series length), ``lags``, ``obs`` (ADF regression
        observations), ``rho`` (coefficient of ``y_{t−1}``), ``t_stat``, ``p_value``
        (MacKinnon 1994, see :func:`mackinnon_p`).
    """
    from statsmodels.tsa.stattools import adfuller

    if trend not in ("n", "c", "ct"):
        raise EconometricsError(f"trend must be 'n', 'c' or 'ct', not {trend!r}")
    if isinstance(lags, str):
        if lags.lower() not in ("aic", "bic"):
            raise EconometricsError(f"lags must be an integer, 'aic' or 'bic', not {lags!r}")
    elif isinstance(lags, bool) or not isinstance(lags, (int, np.integer)) or lags < 0:
        raise EconometricsError(f"lags must be a non-negative integer, 'aic' or 'bic', "
                                f"not {lags!r}")
    if difference not in (0, 1, 2):
        raise EconometricsError(f"difference must be 0, 1 or 2, not {difference!r}")
    wide = panel_frame(panel, [variable], balanced=balanced, consecutive=True)
    _check_spacing(wide)
    series = {u: np.diff(s, n=difference) for u, s in _series(wide, variable).items()}
    what = "the ADF regression would be singular"
    _check_not_constant(series, variable if not difference else f"Δ{variable}", what)
    ntrend = {"n": 0, "c": 1, "ct": 2}[trend]
    rows = {}
    for unit, s in series.items():
        T = len(s)
        # statsmodels' limit: maxlag ≤ T//2 − ntrend − 1 (enough observations for OLS)
        cap = T // 2 - ntrend - 1
        if isinstance(lags, str):
            top = min(default_max_lags(T) if max_lags is None else int(max_lags), cap)
        else:
            top = int(lags)
        if top < 0 or top > cap:
            raise EconometricsError(
                f"too few years for the lag order at unit {unit}: {T} observations of "
                f"{variable}{' (differenced)' if difference else ''} allow at most {max(cap, 0)} "
                f"ADF lags with trend {trend!r}, asked for {top}")
        with warnings.catch_warnings():
            # statsmodels ≥ 0.15 announces a new return type; the store=True tuple is stable
            warnings.simplefilter("ignore", FutureWarning)
            _, _, _, store = adfuller(s, maxlag=top, regression=trend,
                                      autolag=None if not isinstance(lags, str)
                                      else lags.upper(), store=True, regresults=True)
        res = store.resols
        t = float(res.tvalues[0])
        nobs = int(res.nobs)
        if not dof_correction:
            t *= math.sqrt(nobs / (nobs - len(res.params)))
        rows[unit] = {"T": T, "lags": int(store.usedlag), "obs": nobs,
                      "rho": float(res.params[0]), "t_stat": t,
                      "p_value": mackinnon_p(t, trend)}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = ENTITY
    out.attrs = {"variable": variable, "difference": difference, "trend": trend,
                 "lags": lags if isinstance(lags, str) else int(lags),
                 "max_lags": "⌊min((T−1)/3, 12)·((T−1)/100)^{1/4}⌋ (EViews)" if max_lags is None and
                 isinstance(lags, str) else max_lags,
                 "lag_selection_sample": "common sample of max_lags, then re-estimated",
                 "dof_correction": dof_correction,
                 "p_values": "MacKinnon (1994) asymptotic polynomial, no range cut-off",
                 "library": _versions()}
    return out


def _unit_root_common(units: pd.DataFrame, name: str, extra: dict) -> dict:
    return {**units.attrs, **extra, "test": name,
            "H0": "every unit's series has a unit root",
            "H1": "some units' series are stationary",
            "n_units": len(units)}


def ips_test(
    panel: pd.DataFrame,
    variable: str,
    *,
    trend: Literal["c", "ct"] = "c",
    lags: LagRule = "bic",
    max_lags: int | None = None,
    dof_correction: bool = True,
    balanced: bool = True,
    difference: int = 0,
) -> PanelTest:
    """Im–Pesaran–Shin (2003) panel unit-root test, the W-t-bar statistic.

    Parameters
    ----------
    panel, variable, lags, max_lags, dof_correction, balanced, difference
        As for :func:`adf_by_unit` (unbalanced panels are allowed with ``balanced=False``).
    trend
        ``"c"`` or ``"ct"`` (the table has no moments without an intercept).

    Returns
    -------
    PanelTest
        ``statistics``: ``W_tbar`` (left-tailed N(0, 1) p-value) and ``t_bar`` (the mean
        t-statistic, no p-value); ``units``: the ADF results with the IPS ``mean`` and ``var``
        used for each unit.
    """
    units = adf_by_unit(panel, variable, trend=trend, lags=lags, max_lags=max_lags,
                        dof_correction=dof_correction, balanced=balanced,
                        difference=difference)
    moments = [ips_moments(int(r.obs), int(r.lags), trend) for r in units.itertuples()]
    units = units.assign(mean=[m[0] for m in moments], var=[m[1] for m in moments])
    notes = {str(u): m[2] for u, m in zip(units.index, moments, strict=True) if m[2]}
    if notes:
        warnings.warn("IPS moments outside the table's T range: " + "; ".join(
            f"{u}: {v}" for u, v in notes.items()), RuntimeWarning, stacklevel=2)
    N = len(units)
    tbar = float(units["t_stat"].mean())
    W = math.sqrt(N) * (tbar - units["mean"].mean()) / math.sqrt(units["var"].mean())
    attrs = _unit_root_common(units, "Im-Pesaran-Shin", {
        "formula": "W_tbar = √N (t̄ − mean E[t_i]) / √(mean Var[t_i])",
        "moments": _IPS_SOURCE, "table_notes": notes,
        "alternative": "left tail (stationarity)"})
    return PanelTest("Im-Pesaran-Shin", _statistics([
        ("W_tbar", W, float(stats.norm.cdf(W)), None, "N(0,1)"),
        ("t_bar", tbar, np.nan, None, "IPS Table 2 critical values")]), units, attrs)


def fisher_combination(p_values: Sequence[float] | np.ndarray) -> pd.DataFrame:
    """Combine per-unit unit-root p-values (Maddala & Wu 1999; Choi 2001).

    Parameters
    ----------
    p_values
        One p-value per unit, each in (0, 1).

    Returns
    -------
    pandas.DataFrame
        Rows ``P`` (Maddala–Wu ``−2 Σ ln p_i``, χ²(2N), right tail), ``Z`` (Choi's inverse
        normal ``Σ Φ⁻¹(p_i)/√N``, left tail), ``Pm`` (Choi's modified ``−Σ(ln p_i + 1)/√N``,
        right tail) and ``L*`` (Choi's logit ``√k Σ ln(p_i/(1 − p_i))``, ``k = 3(5N + 4)/(π² N
        (5N + 2))``, t(5N + 4), left tail); columns as :attr:`PanelTest.statistics`.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1 or len(p) == 0 or not ((p > 0) & (p < 1)).all():
        raise EconometricsError("Fisher-type tests need p-values strictly between 0 and 1; got "
                                f"{p}")
    N = len(p)
    P = float(-2 * np.log(p).sum())
    Z = float(stats.norm.ppf(p).sum() / math.sqrt(N))
    Pm = float(-(np.log(p) + 1).sum() / math.sqrt(N))
    k = 3 * (5 * N + 4) / (math.pi**2 * N * (5 * N + 2))
    L = float(math.sqrt(k) * np.log(p / (1 - p)).sum())
    return _statistics([
        ("P", P, float(stats.chi2.sf(P, 2 * N)), 2 * N, f"chi2({2 * N})"),
        ("Z", Z, float(stats.norm.cdf(Z)), None, "N(0,1)"),
        ("Pm", Pm, float(stats.norm.sf(Pm)), None, "N(0,1)"),
        ("L*", L, float(stats.t.cdf(L, 5 * N + 4)), 5 * N + 4, f"t({5 * N + 4})"),
    ])


def fisher_test(
    panel: pd.DataFrame,
    variable: str,
    *,
    trend: Trend = "c",
    lags: LagRule = "bic",
    max_lags: int | None = None,
    dof_correction: bool = True,
    balanced: bool = True,
    difference: int = 0,
) -> PanelTest:
    """Fisher-type panel unit-root tests from per-unit ADF p-values (ADF-Fisher).

    Parameters
    ----------
    panel, variable, trend, lags, max_lags, dof_correction, balanced, difference
        As for :func:`adf_by_unit`.

    Returns
    -------
    PanelTest
        ``statistics`` from :func:`fisher_combination` (headline: Maddala–Wu ``P``; Choi's
        ``Z`` is EViews' "ADF - Choi Z-stat"); ``units``: the ADF results.

    Notes
    -----
    The per-unit p-values are MacKinnon's (1994) asymptotic approximation (statsmodels); plm
    and EViews use MacKinnon (1996) where available, so their Fisher statistics differ slightly
    from these for the same t-statistics.
    """
    units = adf_by_unit(panel, variable, trend=trend, lags=lags, max_lags=max_lags,
                        dof_correction=dof_correction, balanced=balanced,
                        difference=difference)
    attrs = _unit_root_common(units, "Fisher (ADF)", {
        "formulas": {"P": "−2 Σ ln p_i ~ χ²(2N) (Maddala & Wu 1999)",
                     "Z": "Σ Φ⁻¹(p_i)/√N ~ N(0,1), left tail (Choi 2001)",
                     "Pm": "−Σ (ln p_i + 1)/√N, right tail (Choi 2001)",
                     "L*": "√k Σ ln(p_i/(1−p_i)) ~ t(5N+4), left tail (Choi 2001)"}})
    return PanelTest("Fisher (ADF)", fisher_combination(units["p_value"].to_numpy()), units,
                     attrs)


def unit_root_table(
    panel: pd.DataFrame,
    variables: str | Sequence[str],
    *,
    differences: Sequence[int] = (0, 1),
    trend: Trend = "c",
    lags: LagRule = "bic",
    max_lags: int | None = None,
    dof_correction: bool = True,
    balanced: bool = True,
) -> pd.DataFrame:
    """IPS and Fisher tests for several series, in levels and differences (the layout of
    孙慧、原伟鹏 2020, Table 7).

    Parameters
    ----------
    panel
        Tidy panel or wide table indexed by ``(adcode, year)``.
    variables
        Series to test.
    differences
        ``0`` level, ``1`` first difference …
    trend, lags, max_lags, dof_correction, balanced
        As for :func:`adf_by_unit`; IPS is skipped for ``trend="n"``.

    Returns
    -------
    pandas.DataFrame
        One row per variable, difference and statistic: ``variable``, ``difference``,
        ``test`` (``IPS W-t-bar``, ``ADF-Fisher P``, ``ADF-Fisher Z``), ``statistic``,
        ``p_value``, ``lags`` (min–max of the units' lags).
    """
    variables = [variables] if isinstance(variables, str) else list(variables)
    rows = []
    options = {"lags": lags, "max_lags": max_lags, "dof_correction": dof_correction,
               "balanced": balanced}
    for variable in variables:
        for d in differences:
            tests = []
            if trend != "n":
                ips = ips_test(panel, variable, trend=trend, difference=d, **options)
                tests.append(("IPS W-t-bar", ips, "W_tbar"))
            fisher = fisher_test(panel, variable, trend=trend, difference=d, **options)
            tests += [("ADF-Fisher P", fisher, "P"), ("ADF-Fisher Z", fisher, "Z")]
            for label, test, row in tests:
                lag_range = test.units["lags"]
                rows.append({"variable": variable, "difference": d, "test": label,
                             "statistic": float(test.statistics.loc[row, "value"]),
                             "p_value": float(test.statistics.loc[row, "p_value"]),
                             "lags": f"{lag_range.min()}–{lag_range.max()}"})
    out = pd.DataFrame(rows)
    out.attrs = {"trend": trend, "lags": lags, "max_lags": max_lags,
                 "dof_correction": dof_correction,
                 "H0": "every unit's series has a unit root"}
    return out


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Dumitrescu–Hurlin panel Granger non-causality
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _lagged(series: np.ndarray, K: int) -> np.ndarray:
    """Columns ``series_{t−1} … series_{t−K}`` for t = K … T−1."""
    T = len(series)
    return np.column_stack([series[K - j:T - j] for j in range(1, K + 1)])


def granger_wald(y: np.ndarray, x: np.ndarray, lags: int) -> tuple[float, int]:
    """Wald statistic of "x does not Granger-cause y" in one unit's OLS regression.

    ``y_t`` on a constant, ``y_{t−1..K}`` and ``x_{t−1..K}`` over ``T − K`` observations;
    ``W = (RSS_r − RSS_u) / (RSS_u / (T − 3K − 1))`` (the χ² form of lmtest's
    ``grangertest``). Returns ``(W, T − K)``.
    """
    K = lags
    n = len(y) - K
    Z = np.column_stack([np.ones(n), _lagged(y, K), _lagged(x, K)])
    if np.linalg.matrix_rank(Z) < Z.shape[1]:
        raise EconometricsError("the Granger regression is singular (collinear lags)")
    target = y[K:]
    restricted = Z[:, :K + 1]
    rss_u = float(np.sum((target - Z @ np.linalg.lstsq(Z, target, rcond=None)[0]) ** 2))
    rss_r = float(np.sum((target - restricted @ np.linalg.lstsq(restricted, target,
                                                                  rcond=None)[0]) ** 2))
    return (rss_r - rss_u) / (rss_u / (n - Z.shape[1])), n


def dumitrescu_hurlin(
    panel: pd.DataFrame,
    y: str,
    x: str,
    *,
    lags: int = 1,
    balanced: bool = True,
) -> PanelTest:
    """Dumitrescu–Hurlin (2012) test of Granger non-causality from ``x`` to ``y``.

    Parameters
    ----------
    panel
        Tidy panel or wide table indexed by ``(adcode, year)``.
    y, x
        H0: ``x`` does not Granger-cause ``y`` in any unit; H1: it does in some units.
    lags
        Lag order K, the same for every unit.
    balanced
        Require a balanced panel (default). ``False`` allows units with different spans (no
        holes); ``Z_bar`` is then not reported and ``Z_bar_tilde`` uses DH's eq. 33.

    Returns
    -------
    PanelTest
        ``statistics``: ``Z_bar_tilde`` (headline, fixed-T), ``Z_bar`` (asymptotic),
        ``W_bar`` (mean Wald statistic, no p-value); two-sided N(0, 1) p-values. ``units``:
        each unit's ``W`` with its χ²(K) p-value and ``T`` (observations used, ``T_i − K``).

    Raises
    ------
    EconometricsError
        A unit with ``T_i ≤ 5 + 3K`` years (Z̃'s moments need ``T_i − K > 5 + 2K``), constant
        series, gaps.
    """
    if isinstance(lags, bool) or not isinstance(lags, (int, np.integer)) or lags < 1:
        raise EconometricsError(f"lags must be a positive integer, not {lags!r}")
    if x == y:
        raise EconometricsError("x and y must be different variables")
    K = int(lags)
    wide = panel_frame(panel, [y, x], balanced=balanced, consecutive=True)
    _check_spacing(wide)
    ys, xs = _series(wide, y), _series(wide, x)
    short = [f"{u} ({len(s)} years)" for u, s in ys.items() if len(s) <= 5 + 3 * K]
    if short:
        raise EconometricsError(
            f"too few years for lag order {K}: the Dumitrescu–Hurlin Z̃ needs more than "
            f"{5 + 3 * K} years per unit (T − {K} > {5 + 2 * K} observations); short units: "
            f"{_listing(short)}")
    for name, s in ((y, ys), (x, xs)):
        _check_not_constant(s, name, "the Granger regression would be singular")
    rows = {}
    for unit in ys:
        W, n = granger_wald(ys[unit], xs[unit], K)
        rows[unit] = {"T": n, "W": W, "p_value": float(stats.chi2.sf(W, K))}
    units = pd.DataFrame.from_dict(rows, orient="index")
    units.index.name = ENTITY
    N = len(units)
    Wbar = float(units["W"].mean())
    Ti = units["T"].to_numpy(dtype=float) + K  # periods per unit (DH's T is Ti − K)
    is_balanced = len(np.unique(Ti)) == 1
    # DH (2012) eq. 33 with T → T_i − K (Lopez & Weber 2017): exact moments of W_i for fixed T
    mean_w = K * (Ti - 3 * K - 1) / (Ti - 3 * K - 3)
    var_w = 2 * K * (Ti - 3 * K - 1) ** 2 * (Ti - 2 * K - 3) / (
        (Ti - 3 * K - 3) ** 2 * (Ti - 3 * K - 5))
    Zt = float(math.sqrt(N) * (Wbar - mean_w.mean()) / math.sqrt(var_w.mean()))
    rows_out = [("Z_bar_tilde", Zt, float(2 * stats.norm.sf(abs(Zt))), None, "N(0,1)")]
    if is_balanced:
        Zb = float(math.sqrt(N / (2 * K)) * (Wbar - K))
        rows_out.append(("Z_bar", Zb, float(2 * stats.norm.sf(abs(Zb))), None, "N(0,1)"))
    rows_out.append(("W_bar", Wbar, np.nan, None, "mean of χ²(K) statistics"))
    attrs = {"test": "Dumitrescu-Hurlin", "H0": f"{x} does not Granger-cause {y} in any unit",
             "H1": f"{x} Granger-causes {y} in at least one unit", "y": y, "x": x, "lags": K,
             "n_units": N, "balanced": is_balanced,
             "unit_regression": "OLS of y_t on 1, y_{t−1..K}, x_{t−1..K}; W = (RSS_r − RSS_u)"
                                " / (RSS_u/(T − 3K − 1))",
             "Z_bar": "√(N/2K) (W̄ − K)",
             "Z_bar_tilde": "√N (W̄ − mean E[W_i]) / √(mean Var[W_i]), DH (2012) eq. 33 with "
                            "T_i − K observations (Lopez & Weber 2017; plm pgrangertest)",
             "p_values": "two-sided standard normal (plm, xtgcause)"}
    return PanelTest("Dumitrescu-Hurlin", _statistics(rows_out), units, attrs)


def granger_table(
    panel: pd.DataFrame,
    a: str,
    b: str,
    *,
    lags: Sequence[int] = (1, 2, 3, 4),
    balanced: bool = True,
) -> pd.DataFrame:
    """Dumitrescu–Hurlin tests in both directions for several lag orders (the layout of
    孙慧、原伟鹏 2020, Table 9).

    Returns
    -------
    pandas.DataFrame
        ``null_hypothesis`` (``"a does not Granger-cause b"``), ``lags``, ``W_bar``, ``Z_bar``,
        ``Z_bar_tilde`` and ``p_value`` (of Z̃).
    """
    rows = []
    for K in lags:
        for cause, effect in ((a, b), (b, a)):
            test = dumitrescu_hurlin(panel, effect, cause, lags=K, balanced=balanced)
            s = test.statistics
            rows.append({"null_hypothesis": f"{cause} does not Granger-cause {effect}",
                         "lags": K, "W_bar": float(s.loc["W_bar", "value"]),
                         "Z_bar": float(s.loc["Z_bar", "value"]) if "Z_bar" in s.index
                         else np.nan,
                         "Z_bar_tilde": test.statistic, "p_value": test.p_value})
    return pd.DataFrame(rows)


__all__ = [
    "EconometricsError", "PanelTest", "adf_by_unit", "default_max_lags", "dumitrescu_hurlin",
    "fisher_combination", "fisher_test", "fixed_effects", "granger_table", "granger_wald",
    "hausman", "hausman_regression", "ips_moments", "ips_test", "mackinnon_p", "panel_frame",
    "parse_formula", "random_effects", "unit_root_table",
]
