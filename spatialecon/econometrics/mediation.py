"""Mediation (中介效应) and moderation (调节效应) on panels and cross-sections.

:func:`mediation`
    The stepwise regressions of Baron & Kenny (1986) — 第一步 ``y`` on the treatment (total
    effect ``c``), 第二步 the mediator on the treatment (``a``), 第三步 ``y`` on the treatment
    and the mediator (``c′`` and ``b``) — all on the same sample with the same controls and
    effects, and the indirect effect ``a·b`` with the Sobel test and a (cluster) bootstrap.
:func:`moderation`
    The interaction model ``y = β₁x + β₂m + β₃x·m + controls (+ effects)``, simple slopes of
    ``x`` at chosen moderator values and the Johnson–Neyman region of significance.

Conventions (recorded in each result's ``conventions``)
------------------------------------------------------
Estimation
    ``effects=None``: pooled OLS with a constant. ``"entity"`` / ``"twoway"``: fixed effects by
    the within transformation, computed here with numpy on the balanced cube of the panel
    (``x − x̄ᵢ`` or ``x − x̄ᵢ − x̄ₜ + x̄``), the grand mean added back and a constant estimated,
    so that the constant is Stata's ``xtreg, fe`` intercept ``ȳ − x̄'β``. These are the
    estimates, residuals and covariances of :func:`spatialecon.econometrics.fixed_effects`
    (linearmodels ``PanelOLS``); the tests check the two agree to 1e-10. Our own estimator is
    used because the bootstrap refits the model thousands of times on resampled panels in
    which a unit drawn twice is two units. ``R²`` is that of the estimated (within-
    transformed, for fixed effects: Stata's "R-sq within") regression.
Covariance
    As :func:`fixed_effects`: clustered ``G/(G − 1) · (N − 1)/(N − K)`` × the sandwich, ``K``
    counting the constant, the regressors and the fixed effects not nested in the cluster
    dimension; two-way clusters by Cameron–Gelbach–Miller; ``cluster=None`` the conventional
    ``RSS/(N − K_all)``. t distribution with ``G − 1`` (clustered) or ``N − K_all`` degrees of
    freedom. On a cross-section, ``cluster="entity"`` (each unit its own cluster) is HC1
    (``N/(N − K)``, Stata's ``vce(robust)``).
Sobel test
    ``se(ab) = √(a² s_b² + b² s_a²)`` (Sobel 1982, first-order delta method; no ``s_a² s_b²``
    term), with the ``s_a``, ``s_b`` of the chosen covariance; ``z = ab / se``, two-sided
    normal p-value.
Bootstrap
    Units are resampled with replacement and keep all their years (the cluster or block
    bootstrap; on a cross-section, the ordinary case bootstrap): ``rng =
    numpy.random.default_rng(seed)``, then for each replicate ``idx = rng.integers(0, G,
    size=G)`` indexes the units sorted by ``adcode``. A unit drawn twice enters the fixed
    effects as two units (Stata's ``idcluster``). Each replicate refits steps 2 and 3 and keeps
    ``a*·b*``; the bootstrap s.e. is their standard deviation (``ddof = 1``). Percentile
    interval: ``numpy.quantile`` (linear interpolation, R's type 7) at ``α/2, 1 − α/2``.
    Bias-corrected (BC, Efron 1982): ``z₀ = Φ⁻¹(#{a*b* < ab} / B)`` and the quantiles at
    ``Φ(2z₀ ± z_{1−α/2})``. Other programs may take other quantile rules (order statistics
    without interpolation), which moves the end points slightly for the same draws.
Proportion mediated
    ``ab / c`` with ``c`` the total effect of step 1 (``= c′ + ab`` exactly for OLS and within
    estimators on one sample); it can be negative or exceed 1 (inconsistent mediation).
Moderation
    ``center=True`` subtracts the sample means (over every unit-year) of ``x`` and the
    moderator before forming the product — the main effects are then the slopes at the other
    variable's mean; the product is formed before the within transformation (as ``gen xm =
    x*m`` then ``xtreg, fe``). Simple slopes of ``x`` at a moderator value ``w`` (original
    units): ``β₁ + β₃(w − w̄)``, s.e. ``√(V₁₁ + 2(w − w̄)V₁₃ + (w − w̄)²V₃₃)``. Defaults: mean
    − 1 sd, mean, mean + 1 sd (sd with ``ddof = 1`` over all unit-years). Johnson–Neyman: the
    ``w`` where ``t(w)² = t_crit²`` — the roots of ``(β₃² − t²V₃₃)u² + 2(β₁β₃ − t²V₁₃)u +
    β₁² − t²V₁₁ = 0`` with ``u = w − w̄``, solved in closed form; the slope is significant
    outside the roots when ``β₃`` itself is significant, inside them otherwise.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from spatialecon.econometrics._common import (
    CONSTANT,
    ENTITY,
    TIDY_COLUMNS,
    TIME,
    EconometricsError,
    _listing,
    panel_frame,
)
from spatialecon.validation import (
    check_choice,
    check_count,
    check_finite,
    check_probability,
    check_variation,
)

MedEffects = Literal["entity", "twoway"] | None
MedCluster = Literal["entity", "time", "twoway"] | None
CI = Literal["percentile", "bc"]

EFFECTS = (None, "entity", "twoway")
CLUSTERS = ("entity", "time", "twoway", None)
MIN_BOOTSTRAP = 100

__all__ = ["MediationResult", "ModerationResult", "mediation", "moderation"]


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Data: a balanced cube (units × years × variables)
# ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, eq=False)
class _Data:
    cube: np.ndarray          # (G, T, v)
    variables: list[str]
    units: list[Any]
    years: list[Any] | None   # None: a cross-section

    @property
    def panel(self) -> bool:
        return self.years is not None

    def column(self, name: str) -> np.ndarray:
        return self.cube[:, :, self.variables.index(name)]


def _data(panel: pd.DataFrame, variables: Sequence[str]) -> _Data:
    variables = list(variables)
    if not isinstance(panel, pd.DataFrame):
        raise EconometricsError("expected a tidy panel (adcode, year, variable, value), a table "
                                "indexed by (adcode, year) or a cross-section indexed by adcode")
    if set(TIDY_COLUMNS) <= set(panel.columns) or panel.index.nlevels == 2:
        wide = panel_frame(panel, variables, balanced=True)
        units = list(wide.index.get_level_values(ENTITY).unique())
        years = list(wide.index.get_level_values(TIME).unique())
        cube = wide.to_numpy(dtype=float).reshape(len(units), len(years), len(variables))
        return _Data(cube, variables, units, years)
    if panel.index.nlevels != 1:
        raise EconometricsError("expected a tidy panel, a table indexed by (adcode, year) or a "
                                "cross-section indexed by adcode")
    unknown = [v for v in variables if v not in panel.columns]
    if unknown:
        raise EconometricsError(f"variable(s) {unknown} are not columns of the table; it has "
                                f"{list(map(str, panel.columns))}")
    if panel.index.has_duplicates:
        dup = panel.index[panel.index.duplicated()].unique()
        raise EconometricsError("units given more than once in the cross-section: "
                                + _listing([str(u) for u in dup]))
    frame = panel[variables].sort_index()
    bad = [c for c in variables if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise EconometricsError(f"variable(s) {bad} are not numeric")
    for variable in variables:
        check_finite(frame[variable], variable=variable,
                     hint="impute them or drop those units first")
    cube = frame.to_numpy(dtype=float)[:, None, :]
    return _Data(cube, variables, list(frame.index), None)


def _transform(cube: np.ndarray, effects: MedEffects) -> np.ndarray:
    """Within transformation on the last axis' variables, grand mean added back."""
    if effects is None:
        return cube
    grand = cube.mean(axis=(0, 1), keepdims=True)
    out = cube - cube.mean(axis=1, keepdims=True)
    if effects == "twoway":
        out = out - out.mean(axis=0, keepdims=True)
    return out + grand


# ─────────────────────────────────────────────────────────────────────────────────────────────
# One regression with the package's covariance conventions
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _psd(V: np.ndarray) -> tuple[np.ndarray, bool]:
    values, vectors = np.linalg.eigh((V + V.T) / 2)
    if (values >= 0).all():
        return V, False
    return (vectors * np.clip(values, 0, None)) @ vectors.T, True


@dataclass(frozen=True, eq=False)
class _Fit:
    params: pd.Series
    V: np.ndarray
    df: int
    r2: float
    n: int
    info: dict[str, Any]


def _ols(data: _Data, tcube: np.ndarray, y: str, xs: Sequence[str], effects: MedEffects,
         cluster: MedCluster) -> _Fit:
    G, T = tcube.shape[:2]
    n = G * T
    yv = tcube[:, :, data.variables.index(y)].reshape(n)
    X = np.column_stack([np.ones(n)] + [tcube[:, :, data.variables.index(v)].reshape(n)
                                        for v in xs])
    names = [CONSTANT, *xs]
    k = X.shape[1]
    if np.linalg.matrix_rank(X) < k:
        raise EconometricsError(f"the regressors {list(xs)} of {y!r} are collinear"
                                + (" after the fixed effects" if effects else ""))
    beta, *_ = np.linalg.lstsq(X, yv, rcond=None)
    e = yv - X @ beta
    XtX_inv = np.linalg.inv(X.T @ X)
    fe_entity = (G - 1) if effects in ("entity", "twoway") else 0
    fe_time = (T - 1) if effects == "twoway" else 0
    if cluster is None:
        K = k + fe_entity + fe_time
        V = (e @ e) / (n - K) * XtX_inv
        info = {"covariance": "conventional", "small_sample": "s² = RSS/(N − K_all)",
                "K": K, "df": n - K}
    else:
        by_e, by_t = cluster in ("entity", "twoway"), cluster in ("time", "twoway")
        K = k + (0 if by_e else fe_entity) + (0 if by_t else fe_time)
        scores = (X * e[:, None]).reshape(G, T, k)

        def sandwich(groups: np.ndarray) -> np.ndarray:
            return XtX_inv @ (groups.T @ groups) @ XtX_inv

        def c(groups: int) -> float:
            return groups / (groups - 1) * (n - 1) / (n - K)

        raw = {"entity": lambda: sandwich(scores.sum(axis=1)),
               "time": lambda: sandwich(scores.sum(axis=0)),
               "unit-year": lambda: sandwich(scores.reshape(n, k))}
        if cluster == "twoway":
            V = c(G) * raw["entity"]() + c(T) * raw["time"]() - c(n) * raw["unit-year"]()
            V, fixed = _psd(V)
            if fixed:
                warnings.warn("the two-way clustered covariance was not positive semidefinite;"
                              " its negative eigenvalues were set to 0 (Cameron, Gelbach & "
                              "Miller 2011)", RuntimeWarning, stacklevel=4)
            df = min(G, T) - 1
        else:
            groups = G if cluster == "entity" else T
            V = c(groups) * raw[cluster]()
            df = groups - 1
        info = {"covariance": "clustered", "small_sample": "G/(G − 1) · (N − 1)/(N − K)",
                "K": K, "df": df}
    ybar = yv.mean()
    r2 = 1.0 - float(e @ e) / float(((yv - ybar) ** 2).sum())
    return _Fit(pd.Series(beta, index=names), V, int(info["df"]), r2, n, info)


def _coef_table(fit: _Fit, alpha: float = 0.05) -> pd.DataFrame:
    se = np.sqrt(np.diag(fit.V))
    est = fit.params.to_numpy()
    t = est / se
    q = stats.t.ppf(1 - alpha / 2, fit.df)
    table = pd.DataFrame({
        "estimate": est, "std_error": se, "t_stat": t,
        "p_value": 2 * stats.t.sf(np.abs(t), fit.df),
        "ci_lower": est - q * se, "ci_upper": est + q * se,
    }, index=pd.Index(fit.params.index, name="term"))
    table.attrs = {"df": fit.df, "r2": fit.r2, "n_obs": fit.n, **fit.info,
                   "vcov": pd.DataFrame(fit.V, index=fit.params.index,
                                        columns=fit.params.index)}
    return table


def _slopes(cube: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Least-squares coefficients of column 0 on [1, columns 1…] of a transformed cube."""
    n = cube.shape[0] * cube.shape[1]
    flat = cube.reshape(n, cube.shape[2])
    X = np.column_stack([np.ones(n), flat[:, idx[1:]]])
    beta, _, rank, _ = np.linalg.lstsq(X, flat[:, idx[0]], rcond=None)
    if rank < X.shape[1]:
        return np.full(X.shape[1], np.nan)
    return beta


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Checks shared by both methods
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _controls(controls: str | Sequence[str] | None, taken: dict[str, str]) -> list[str]:
    out = [] if controls is None else ([controls] if isinstance(controls, str)
                                       else [str(c) for c in controls])
    twice = sorted({c for c in out if out.count(c) > 1})
    if twice:
        raise EconometricsError(f"control(s) listed twice: {twice}")
    for c in out:
        if c in taken:
            raise EconometricsError(f"{c!r} is the {taken[c]} and cannot also be a control")
    if CONSTANT in out:
        raise EconometricsError(f"{CONSTANT!r} is reserved for the constant; rename the column")
    return out


def _options(data: _Data, effects: Any, cluster: Any) -> None:
    check_choice(effects, "effects", EFFECTS)
    check_choice(cluster, "cluster", CLUSTERS)
    if not data.panel:
        if effects is not None:
            raise EconometricsError(f"effects={effects!r} needs a panel indexed by (adcode, "
                                    "year); a cross-section takes effects=None")
        if cluster in ("time", "twoway"):
            raise EconometricsError(f"cluster={cluster!r} needs a panel; a cross-section takes "
                                    "cluster='entity' (HC1) or None")
    G = len(data.units)
    T = 1 if data.years is None else len(data.years)
    for dim, groups in (("entity", G), ("time", T)):
        if cluster in (dim, "twoway") and groups < 2:
            raise EconometricsError(f"clustering by {dim} needs at least 2 clusters; the data "
                                    f"have {groups}")


def _check_variation(data: _Data, tcube: np.ndarray, names: Sequence[str], effects: MedEffects
                     ) -> None:
    for name in names:  # the one "constant" rule, on the raw values
        check_variation(data.column(name).ravel(), variable=name,
                        what="it cannot be a regressor or an outcome")
    if effects is None:
        return
    flat = []
    for name in names:
        i = data.variables.index(name)
        raw = data.cube[:, :, i]
        within = tcube[:, :, i] - tcube[:, :, i].mean()
        if np.abs(within).max() <= 1e-10 * max(np.abs(raw).max(), 1.0):
            flat.append(name)
    if flat:
        where = "within units" if effects == "entity" else "within units and years"
        raise EconometricsError(f"variable(s) {flat} do not vary {where}: the {effects} fixed "
                                "effects absorb them")


def _stars(p: float) -> str:
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def _cells(table: pd.DataFrame, term: str, stat: str, digits: int) -> tuple[str, str]:
    if term not in table.index:
        return "", ""
    row = table.loc[term]
    below = row.std_error if stat == "se" else row.t_stat
    return f"{row.estimate:.{digits}f}{_stars(row.p_value)}", f"({below:.{digits}f})"


def _fe_rows(effects: MedEffects) -> dict[str, str]:
    return {"个体固定效应": "是" if effects in ("entity", "twoway") else "否",
            "时间固定效应": "是" if effects == "twoway" else "否"}


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Mediation
# ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, eq=False)
class MediationResult:
    """Stepwise mediation with the Sobel test and a bootstrap of ``a·b``.

    Attributes
    ----------
    paths
        Rows ``a``, ``b``, ``c``, ``c′`` (index ``path``): ``equation`` (第一步/第二步/第三步),
        ``outcome``, ``term``, ``estimate``, ``std_error``, ``t_stat``, ``p_value``.
    indirect
        ``estimate`` (``a·b``), ``sobel_se``, ``sobel_z``, ``sobel_p``, ``boot_se``,
        ``boot_mean``, ``ci_lower``, ``ci_upper`` (bootstrap, ``ci`` method), ``n_boot``.
    proportion_mediated
        ``a·b / c``.
    steps
        The three coefficient tables (``"第一步"``, ``"第二步"``, ``"第三步"``), each with
        ``attrs`` (df, R², N, covariance, ``vcov``).
    bootstrap
        The replicates: columns ``a``, ``b``, ``ab`` (empty when ``bootstrap=0``).
    conventions
        Estimator, effects, covariance, Sobel formula, bootstrap scheme, seed, interval.
    """

    paths: pd.DataFrame
    indirect: pd.Series
    proportion_mediated: float
    steps: dict[str, pd.DataFrame]
    bootstrap: pd.DataFrame
    conventions: dict[str, Any] = field(default_factory=dict)

    def table(self, *, stat: Literal["se", "t"] = "se", digits: int = 3) -> pd.DataFrame:
        """The 中介效应检验 table as Chinese papers print it: columns 第一步/第二步/第三步,
        each coefficient with its stars (``*`` 10 %, ``**`` 5 %, ``***`` 1 %) and, on the
        row below, its s.e. (``stat="se"``) or t statistic (``"t"``) in brackets; then the
        controls, fixed effects, N, R², the Sobel Z and the bootstrap interval."""
        check_choice(stat, "stat", ("se", "t"))
        conv = self.conventions
        y, x, m = conv["y"], conv["treatment"], conv["mediator"]
        columns = ["第一步", "第二步", "第三步"]
        lines: list[tuple[str, list[str]]] = [("被解释变量", [y, m, y])]
        for term in [x, m, *conv["controls"], CONSTANT]:
            label = "常数项" if term == CONSTANT else term
            cells = [_cells(self.steps[c], term, stat, digits) for c in columns]
            lines += [(label, [a for a, _ in cells]), ("", [b for _, b in cells])]
        rows: dict[str, list[str]] = {}
        for label, value in _fe_rows(conv["effects"]).items():
            rows[label] = [value] * 3
        rows["N"] = [str(self.steps[c].attrs["n_obs"]) for c in columns]
        rows["R²"] = [f"{self.steps[c].attrs['r2']:.{digits}f}" for c in columns]
        ind = self.indirect
        rows["中介效应 a·b"] = ["", "", f"{ind['estimate']:.{digits}f}"]
        rows["Sobel Z"] = ["", "", f"{ind['sobel_z']:.{digits}f}{_stars(ind['sobel_p'])}"]
        if ind["n_boot"] > 0:
            level = round(100 * (1 - conv["alpha"]))
            rows[f"Bootstrap {level}% CI ({conv['ci']})"] = [
                "", "", f"[{ind['ci_lower']:.{digits}f}, {ind['ci_upper']:.{digits}f}]"]
        rows["中介效应占比"] = ["", "", f"{self.proportion_mediated:.{digits}f}"]
        lines += list(rows.items())
        table = pd.DataFrame([v for _, v in lines], index=[k for k, _ in lines],
                             columns=columns)  # "" rows: the s.e./t under each coefficient
        table.index.name = "中介效应检验"
        table.attrs = {"title": "中介效应检验", "stat": stat,
                       "note": f"括号内为{'标准误' if stat == 'se' else 't 值'}; *** p<0.01, "
                               "** p<0.05, * p<0.1"}
        return table

    def __repr__(self) -> str:
        ind = self.indirect
        return (f"MediationResult(a·b = {ind['estimate']:.4f}, Sobel z = {ind['sobel_z']:.3f}"
                f" (p = {ind['sobel_p']:.4g}), CI = [{ind['ci_lower']:.4f}, "
                f"{ind['ci_upper']:.4f}], proportion = {self.proportion_mediated:.3f})")


def _interval(draws: np.ndarray, estimate: float, alpha: float, ci: str) -> tuple[float, float]:
    if ci == "percentile":
        lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
        return float(lo), float(hi)
    p0 = float(np.mean(draws < estimate))
    if p0 in (0.0, 1.0):
        warnings.warn("every bootstrap replicate lies on one side of the estimate: the "
                      "bias-corrected interval is undefined (NaN)", RuntimeWarning, stacklevel=3)
        return math.nan, math.nan
    z0 = stats.norm.ppf(p0)
    z = stats.norm.ppf(1 - alpha / 2)
    lo, hi = np.quantile(draws, [stats.norm.cdf(2 * z0 - z), stats.norm.cdf(2 * z0 + z)])
    return float(lo), float(hi)


def mediation(
    panel: pd.DataFrame,
    y: str,
    treatment: str,
    mediator: str,
    *,
    controls: str | Sequence[str] | None = None,
    effects: MedEffects = None,
    cluster: MedCluster = "entity",
    bootstrap: int = 1000,
    seed: int | None = None,
    ci: CI = "percentile",
    alpha: float = 0.05,
) -> MediationResult:
    """Stepwise (Baron–Kenny) mediation, the Sobel test and a cluster bootstrap of ``a·b``.

    Parameters
    ----------
    panel
        A tidy panel (``adcode, year, variable, value``), a wide table indexed by ``(adcode,
        year)`` (balanced) or a cross-section indexed by ``adcode``.
    y, treatment, mediator
        Outcome, treatment (核心解释变量) and mediator (中介变量).
    controls
        Control variables, in every step.
    effects
        ``None`` (pooled OLS), ``"entity"`` or ``"twoway"`` fixed effects (panels only).
    cluster
        ``"entity"`` (default), ``"time"``, ``"twoway"`` or ``None`` — as
        :func:`spatialecon.econometrics.fixed_effects`.
    bootstrap
        Replicates (0: none; fewer than 100 warns).
    seed
        Seed of ``numpy.random.default_rng``; ``None`` draws one and records it in
        ``conventions["seed"]`` so the run can be repeated.
    ci
        ``"percentile"`` or ``"bc"`` (bias-corrected).
    alpha
        1 − the confidence level of the bootstrap interval.

    Returns
    -------
    MediationResult

    Raises
    ------
    EconometricsError
        Mediator equal to the treatment or the outcome, unknown variables, unbalanced panels,
        variables absorbed by the effects, collinear regressors.
    spatialecon.validation.NonFiniteError
        Missing or infinite values (naming units and years).
    spatialecon.validation.DegenerateError
        A constant variable.
    spatialecon.validation.ParameterError
        Unknown ``effects``, ``cluster`` or ``ci``; a negative ``bootstrap``; ``alpha``
        outside (0, 1).
    """
    for name, value in (("y", y), ("treatment", treatment), ("mediator", mediator)):
        if not isinstance(value, str):
            raise EconometricsError(f"{name} must be a column name, not {value!r}")
    if mediator == treatment:
        raise EconometricsError(f"the mediator and the treatment are the same variable "
                                f"({mediator!r}): a·b is undefined")
    if y in (treatment, mediator):
        raise EconometricsError(f"{y!r} is both the outcome and the "
                                f"{'treatment' if y == treatment else 'mediator'}")
    xs = _controls(controls, {y: "outcome", treatment: "treatment", mediator: "mediator"})
    check_choice(ci, "ci", ("percentile", "bc"))
    B = check_count(bootstrap, "bootstrap", minimum=0)
    alpha = check_probability(alpha, "alpha")
    if 0 < B < MIN_BOOTSTRAP:
        warnings.warn(f"bootstrap={B} replicates are too few for interval end points; use at "
                      f"least {MIN_BOOTSTRAP} (1000 or more for publication)", UserWarning,
                      stacklevel=2)
    data = _data(panel, [y, treatment, mediator, *xs])
    _options(data, effects, cluster)
    tcube = _transform(data.cube, effects)
    _check_variation(data, tcube, data.variables, effects)

    step_names = ["第一步", "第二步", "第三步"]
    specs = [(y, [treatment, *xs]), (mediator, [treatment, *xs]), (y, [treatment, mediator, *xs])]
    steps = {name: _coef_table(_ols(data, tcube, out, regs, effects, cluster))
             for name, (out, regs) in zip(step_names, specs, strict=True)}
    rows = [("a", "第二步", mediator, treatment), ("b", "第三步", y, mediator),
            ("c", "第一步", y, treatment), ("c′", "第三步", y, treatment)]
    paths = pd.DataFrame(
        [{"path": p, "equation": eq, "outcome": out, "term": term,
          **steps[eq].loc[term, ["estimate", "std_error", "t_stat", "p_value"]].to_dict()}
         for p, eq, out, term in rows]).set_index("path")
    a, b = paths.loc["a", "estimate"], paths.loc["b", "estimate"]
    sa, sb = paths.loc["a", "std_error"], paths.loc["b", "std_error"]
    ab = a * b
    sobel_se = math.sqrt(a * a * sb * sb + b * b * sa * sa)
    sobel_z = ab / sobel_se
    c_total = paths.loc["c", "estimate"]

    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2 ** 63))
    rng = np.random.default_rng(seed)
    G = len(data.units)
    v = data.variables
    med_idx = np.array([v.index(mediator), v.index(treatment), *[v.index(c) for c in xs]])
    out_idx = np.array([v.index(y), v.index(treatment), v.index(mediator),
                        *[v.index(c) for c in xs]])
    draws = np.full((B, 2), np.nan)
    for r in range(B):
        sample = _transform(data.cube[rng.integers(0, G, size=G)], effects)
        draws[r, 0] = _slopes(sample, med_idx)[1]
        draws[r, 1] = _slopes(sample, out_idx)[2]
    boot = pd.DataFrame(draws, columns=["a", "b"]).assign(ab=lambda d: d["a"] * d["b"])
    failed = int(boot["ab"].isna().sum())
    if failed:
        warnings.warn(f"{failed} of {B} bootstrap replicates had collinear regressors and were "
                      "dropped", RuntimeWarning, stacklevel=2)
    good = boot["ab"].dropna().to_numpy()
    if len(good) >= 2:
        lo, hi = _interval(good, ab, alpha, ci)
        boot_se, boot_mean = float(np.std(good, ddof=1)), float(good.mean())
    else:
        lo = hi = boot_se = boot_mean = math.nan
    indirect = pd.Series({
        "estimate": ab, "sobel_se": sobel_se, "sobel_z": sobel_z,
        "sobel_p": float(2 * stats.norm.sf(abs(sobel_z))), "boot_se": boot_se,
        "boot_mean": boot_mean, "ci_lower": lo, "ci_upper": hi, "n_boot": len(good)},
        name="indirect")
    proportion = ab / c_total if c_total != 0 else math.nan
    info = steps["第一步"].attrs
    conventions = {
        "y": y, "treatment": treatment, "mediator": mediator, "controls": xs,
        "method": "Baron & Kenny (1986) stepwise regressions; indirect effect a·b",
        "estimator": ("pooled OLS" if effects is None else
                      f"within ({effects} fixed effects), own numpy estimator; equals "
                      "spatialecon.econometrics.fixed_effects (linearmodels PanelOLS)"),
        "effects": effects, "cluster": cluster, "covariance": info["covariance"],
        "small_sample": info["small_sample"], "t_df": info["df"],
        "r2": "R² of the estimated regression" + ("" if effects is None else
                                                 " (within R², Stata's 'R-sq within')"),
        "sobel": "se = √(a² s_b² + b² s_a²) (Sobel 1982, first order); two-sided normal p",
        "bootstrap": ("units resampled with replacement, keeping their years (cluster "
                      "bootstrap)" if data.panel else "units (rows) resampled with "
                                                      "replacement (case bootstrap)")
        + "; rng = numpy.random.default_rng(seed), one rng.integers(0, G, size=G) per "
          "replicate over units sorted by adcode; a unit drawn twice is two units",
        "n_boot": B, "n_boot_failed": failed, "seed": seed, "ci": ci, "alpha": alpha,
        "interval": ("numpy.quantile (linear, R type 7) at α/2, 1 − α/2" if ci == "percentile"
                     else "bias-corrected: z0 = Φ⁻¹(#{ab* < ab}/B), quantiles (type 7) at "
                          "Φ(2z0 ± z_{1−α/2}) (Efron 1982)"),
        "proportion_mediated": "a·b / c (c: total effect, step 1)",
        "n_obs": info["n_obs"], "n_units": G,
        "n_years": None if data.years is None else len(data.years),
    }
    return MediationResult(paths, indirect, float(proportion), steps, boot, conventions)


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Moderation
# ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, eq=False)
class ModerationResult:
    """An interaction model, its simple slopes and the Johnson–Neyman region.

    Attributes
    ----------
    coefficients
        Coefficient table (``const``, ``x``, the moderator, ``x×moderator``, controls) with
        ``attrs`` (df, R², N, covariance, ``vcov``).
    simple_slopes
        One row per moderator value (index ``label``): ``moderator_value``, ``slope``,
        ``std_error``, ``t_stat``, ``p_value``, ``ci_lower``, ``ci_upper``.
    johnson_neyman
        ``lower``, ``upper`` (moderator values in original units; NaN when absent),
        ``significant`` (``"outside"``, ``"inside"``, ``"everywhere"``, ``"nowhere"``,
        ``"above"``, ``"below"``: where the slope of ``x`` is significant), ``critical_t``,
        ``df``, ``alpha``, ``observed_min``, ``observed_max``, ``share_significant`` (share of
        observations in the region).
    conventions
        Centring, estimator, covariance, formulas.
    """

    coefficients: pd.DataFrame
    simple_slopes: pd.DataFrame
    johnson_neyman: pd.Series
    conventions: dict[str, Any] = field(default_factory=dict)

    def table(self, *, stat: Literal["se", "t"] = "se", digits: int = 3) -> pd.DataFrame:
        """The 调节效应检验 column as Chinese papers print it (coefficients with stars, s.e. or t
        below, controls, fixed effects, N, R²)."""
        check_choice(stat, "stat", ("se", "t"))
        conv = self.conventions
        lines: list[tuple[str, str]] = [("被解释变量", conv["y"])]
        for term in [conv["x"], conv["moderator"], conv["interaction"], *conv["controls"],
                     CONSTANT]:
            label = "常数项" if term == CONSTANT else term
            top, below = _cells(self.coefficients, term, stat, digits)
            lines += [(label, top), ("", below)]
        lines += list(_fe_rows(conv["effects"]).items())
        lines += [("N", str(self.coefficients.attrs["n_obs"])),
                  ("R²", f"{self.coefficients.attrs['r2']:.{digits}f}")]
        table = pd.DataFrame({"调节效应": [v for _, v in lines]}, index=[k for k, _ in lines])
        table.index.name = "调节效应检验"
        table.attrs = {"title": "调节效应检验", "stat": stat, "centered": conv["center"],
                       "note": f"括号内为{'标准误' if stat == 'se' else 't 值'}; *** p<0.01, "
                               "** p<0.05, * p<0.1"
                               + ("; 交互项由中心化变量构造" if conv["center"] else "")}
        return table

    def __repr__(self) -> str:
        jn = self.johnson_neyman
        return (f"ModerationResult(β_interaction = "
                f"{self.coefficients.loc[self.conventions['interaction'], 'estimate']:.4f}; "
                f"J–N: significant {jn['significant']} [{jn['lower']:.4g}, {jn['upper']:.4g}])")


def _johnson_neyman(b1: float, b3: float, V: np.ndarray, q: float
                    ) -> tuple[float, float, str]:
    """Roots in u of (b1 + b3 u)² = q² (V11 + 2u V13 + u² V33) and where t² > q²."""
    v11, v13, v33 = V[0, 0], V[0, 1], V[1, 1]
    A = b3 * b3 - q * q * v33
    Bh = b1 * b3 - q * q * v13                  # half the linear coefficient
    C = b1 * b1 - q * q * v11
    if A == 0:
        if Bh == 0:
            return math.nan, math.nan, "everywhere" if C > 0 else "nowhere"
        root = -C / (2 * Bh)
        return (root, math.nan, "above") if Bh > 0 else (math.nan, root, "below")
    disc = Bh * Bh - A * C                      # quarter discriminant
    if disc <= 0:
        return math.nan, math.nan, "everywhere" if A > 0 else "nowhere"
    s = math.sqrt(disc)
    w = -(Bh + math.copysign(s, Bh))            # stable: no cancellation
    r1, r2 = sorted((w / A, C / w)) if w != 0 else sorted(((-Bh - s) / A, (-Bh + s) / A))
    return r1, r2, "outside" if A > 0 else "inside"


def moderation(
    panel: pd.DataFrame,
    y: str,
    x: str,
    moderator: str,
    *,
    controls: str | Sequence[str] | None = None,
    effects: MedEffects = None,
    center: bool = True,
    cluster: MedCluster = "entity",
    alpha: float = 0.05,
    at: Sequence[float] | None = None,
) -> ModerationResult:
    """Moderation: ``y`` on ``x``, the moderator and their product, with simple slopes and the
    Johnson–Neyman region of significance.

    Parameters
    ----------
    panel, y, controls, effects, cluster
        As :func:`mediation`.
    x, moderator
        The focal regressor and the moderator (调节变量).
    center
        Subtract the sample means of ``x`` and the moderator before forming the product
        (default; the main effects are then slopes at the other variable's mean).
    alpha
        Significance level of the simple-slope intervals and the Johnson–Neyman bounds.
    at
        Further moderator values (original units) for simple slopes, besides mean ± 1 sd.

    Returns
    -------
    ModerationResult

    Raises
    ------
    EconometricsError, spatialecon.validation.NonFiniteError, DegenerateError, ParameterError
        As :func:`mediation`; a constant moderator is a ``DegenerateError``.
    """
    for name, value in (("y", y), ("x", x), ("moderator", moderator)):
        if not isinstance(value, str):
            raise EconometricsError(f"{name} must be a column name, not {value!r}")
    if moderator == x:
        raise EconometricsError(f"the moderator and x are the same variable ({x!r})")
    if y in (x, moderator):
        raise EconometricsError(f"{y!r} is both the outcome and "
                                f"{'x' if y == x else 'the moderator'}")
    xs = _controls(controls, {y: "outcome", x: "x", moderator: "moderator"})
    alpha = check_probability(alpha, "alpha")
    if not isinstance(center, bool):
        raise EconometricsError(f"center must be True or False, not {center!r}")
    at_values = [] if at is None else [float(v) for v in np.atleast_1d(at)]
    check_finite(np.asarray(at_values, dtype=float), variable="at")
    data = _data(panel, [y, x, moderator, *xs])
    _options(data, effects, cluster)
    check_variation(data.column(moderator).ravel(), variable=moderator,
                    what="a constant moderator moderates nothing")
    x_mean = float(data.column(x).mean())
    m_values = data.column(moderator)
    m_mean, m_sd = float(m_values.mean()), float(m_values.std(ddof=1))
    xc = data.column(x) - (x_mean if center else 0.0)
    mc = m_values - (m_mean if center else 0.0)
    inter = f"{x}×{moderator}"
    if inter in data.variables:
        raise EconometricsError(f"a column is already named {inter!r}; rename it")
    cube = data.cube.copy()
    cube[:, :, 1], cube[:, :, 2] = xc, mc
    cube = np.concatenate([cube, (xc * mc)[:, :, None]], axis=2)
    data = _Data(cube, [*data.variables, inter], data.units, data.years)
    tcube = _transform(data.cube, effects)
    _check_variation(data, tcube, data.variables, effects)
    fit = _ols(data, tcube, y, [x, moderator, inter, *xs], effects, cluster)
    table = _coef_table(fit, alpha)
    b1, b3 = float(fit.params[x]), float(fit.params[inter])
    i1, i3 = list(fit.params.index).index(x), list(fit.params.index).index(inter)
    V = fit.V[np.ix_([i1, i3], [i1, i3])]
    q = float(stats.t.ppf(1 - alpha / 2, fit.df))
    shift = m_mean if center else 0.0

    labels = ["mean − 1 sd", "mean", "mean + 1 sd", *[f"at {v:g}" for v in at_values]]
    values = [m_mean - m_sd, m_mean, m_mean + m_sd, *at_values]
    u = np.asarray(values) - shift
    slope = b1 + b3 * u
    se = np.sqrt(V[0, 0] + 2 * u * V[0, 1] + u * u * V[1, 1])
    t = slope / se
    slopes = pd.DataFrame({
        "moderator_value": values, "slope": slope, "std_error": se, "t_stat": t,
        "p_value": 2 * stats.t.sf(np.abs(t), fit.df),
        "ci_lower": slope - q * se, "ci_upper": slope + q * se,
    }, index=pd.Index(labels, name="label"))

    r1, r2, region = _johnson_neyman(b1, b3, V, q)
    lower, upper = r1 + shift, r2 + shift
    w = m_values.ravel()
    inside = ((w >= lower) & (w <= upper)) if region in ("inside", "outside") else None
    share = {"inside": lambda: inside.mean(), "outside": lambda: 1 - inside.mean(),
             "everywhere": lambda: 1.0, "nowhere": lambda: 0.0,
             "above": lambda: np.mean(w > lower), "below": lambda: np.mean(w < upper)}[region]()
    jn = pd.Series({"lower": lower, "upper": upper, "significant": region, "critical_t": q,
                    "df": fit.df, "alpha": alpha, "observed_min": float(w.min()),
                    "observed_max": float(w.max()), "share_significant": float(share)},
                   name="johnson_neyman")
    conventions = {
        "y": y, "x": x, "moderator": moderator, "interaction": inter, "controls": xs,
        "center": center,
        "centering": ("x and the moderator centred at their sample means (over all "
                      f"unit-years: x̄ = {x_mean:.6g}, w̄ = {m_mean:.6g}) before the product"
                      if center else "raw values (not centred)"),
        "moderator_mean": m_mean, "moderator_sd": m_sd,
        "estimator": ("pooled OLS" if effects is None else
                      f"within ({effects} fixed effects) of the product formed first"),
        "effects": effects, "cluster": cluster, "covariance": fit.info["covariance"],
        "small_sample": fit.info["small_sample"], "t_df": fit.df, "alpha": alpha,
        "simple_slope": "β_x + β_xw (w − w̄); se √(V_xx + 2(w − w̄)V_x,xw + (w − w̄)²V_xw,xw)",
        "johnson_neyman": "closed-form roots of t(w)² = t_crit² (t with the model's df)",
        "n_obs": fit.n,
    }
    return ModerationResult(table, slopes, jn, conventions)
