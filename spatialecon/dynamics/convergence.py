"""σ and β convergence of a regional variable (income per head, productivity …).

**σ convergence** (Barro & Sala-i-Martin 1992; Sala-i-Martin 1996): the cross-sectional
dispersion of ``y`` falls over time. :func:`sigma_convergence` computes one dispersion measure
per year (and region group) — the coefficient of variation, the standard deviation of ``ln y``,
the Gini coefficient or Theil T, the first, third and fourth through
:mod:`spatialecon.inequality` — and fits the linear trend ``D_t = a + b·(t − t_0)`` by OLS
(statsmodels): σ convergence is a negative slope significant at ``alpha``.

**β convergence**: growth is negatively related to the initial level. :func:`beta_convergence`
regresses average annual log growth on the initial log level,

* cross-section (``period=None`` or ``"whole"``): ``g_i = (ln y_iT − ln y_i0)/T`` on
  ``ln y_i0`` (``T`` = last − first year, in years) and, for ``kind="conditional"``, controls
  measured in the first year; speed ``λ = −ln(1 + Tβ)/T`` (Barro & Sala-i-Martin 1992:
  ``β = −(1 − e^{−λT})/T``);
* panel (``period=k``): non-overlapping spans ``[t_0, t_0 + k], [t_0 + k, t_0 + 2k] …`` (an
  incomplete last span is dropped), ``g_it = (ln y_{i,t+k} − ln y_it)/k`` on ``ln y_it`` and the
  controls at ``t``, with unit, time or two-way fixed effects; speed ``λ = −ln(1 + kβ)/k``
  per year. Unit fixed effects give each unit its own steady state, so a panel β with them is
  *conditional* convergence (Islam 1995) whatever ``kind`` says.

In both the half-life is ``ln 2 / λ`` years. ``1 + hβ ≤ 0`` (``h`` = T or k) means the poor
overtake the rich within the span: the speed is undefined and the input is refused; ``β ≥ 0``
is divergence: speed and half-life are NaN, with a :class:`DivergenceWarning`.

Estimators: OLS by statsmodels (cross-section), a within estimator written here for the
aspatial panel (the demeaned regression by least squares, conventional variance with the
effects counted in the degrees of freedom — what ``linearmodels.PanelOLS`` reports with
``cov_type="unadjusted"``); spatial lag, error and Durbin models through
:func:`spatialecon.regression.fit` (cross-section, ML) and :func:`spatialecon.regression.fit_panel`
(fixed-effects ML, Lee–Yu corrected). The speed comes from the coefficient of ``ln y_0`` by
default; in models with a spatial lag of ``y`` or of ``ln y_0`` (lag, Durbin) the average
direct impact of ``ln y_0`` — LeSage & Fischer's (2008) convergence coefficient, which adds
the feedback through neighbours — is reported too (``speeds``) and used with
``speed_from="direct"``.

Fixed-effects growth regressions on the lagged level are dynamic panels: with few spans the
within estimate of β is biased downwards (Nickell 1981, of order 1/number of spans), i.e.
convergence looks faster than it is.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from spatialecon._labels import format_units
from spatialecon.dynamics._values import DynamicsError, names_for, wide_values
from spatialecon.indices import is_tidy
from spatialecon.validation import check_choice, check_count, check_probability

Measure = Literal["cv", "sd_log", "gini", "theil"]
_MEASURES = ("cv", "sd_log", "gini", "theil")
_MEASURE_TEXT = {
    "cv": "coefficient of variation σ/ȳ (spatialecon.inequality.coefficient_of_variation)",
    "sd_log": "standard deviation of ln y",
    "gini": "Gini coefficient (spatialecon.inequality.gini, unit weights)",
    "theil": "Theil T, GE(1) (spatialecon.inequality.theil, unit weights)",
}
GROWTH = "growth"
LN_Y0 = "ln_y0"
_MODELS = ("ols", "lag", "error", "durbin")


class DivergenceWarning(UserWarning):
    """β ≥ 0: growth does not fall with the initial level; speed and half-life are NaN."""


# ─────────────────────────────────────────────────────────────────────────────────────────────
# input
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _units(labels: Any) -> str:
    """Units (codes or (code, year) tuples) named as :mod:`spatialecon.dynamics` names them."""
    labels = list(labels)
    codes = [v[0] if isinstance(v, tuple) else v for v in labels]
    return format_units(labels, names=names_for(pd.unique(pd.Index(codes))))


def _values_wide(values: Any, name: str, variable: str | None = None) -> pd.DataFrame:
    wide = wide_values(values, name=name, variable=variable)
    name = wide.attrs.get("variable", name)
    if wide.shape[1] < 2:
        raise DynamicsError(f"{name}: one year ({', '.join(map(str, wide.columns))}); "
                            "convergence compares years, at least 2 are needed")
    if wide.shape[0] < 2:
        raise DynamicsError(f"{name}: one unit ({_units(wide.index)}); "
                            "convergence compares units, at least 2 are needed")
    return wide


def _check_positive(wide: pd.DataFrame, what: str) -> None:
    bad = wide.to_numpy() <= 0
    if bad.any():
        cells = [(u, int(y)) for u, row in zip(wide.index, bad, strict=True)
                 for y, b in zip(wide.columns, row, strict=True) if b]
        raise DynamicsError(
            f"{wide.attrs.get('variable', 'values')}: {len(cells)} value(s) ≤ 0 at "
            f"{_units(cells)}; {what} takes ln y, which needs positive values (per-capita "
            "levels, indices — not growth rates or shares that can be 0)")


def _group_labels(groups: Any, units: pd.Index) -> tuple[pd.Series, str | None]:
    scheme = None
    if isinstance(groups, str):
        # stage 1, imported on use: geodata loads geopandas, which plain numbers do not need
        from spatialecon.geodata import regions

        scheme = groups
        groups = regions(groups)
    elif isinstance(groups, Mapping):
        groups = pd.Series(groups)
    if not isinstance(groups, pd.Series):
        raise DynamicsError("groups must be a region scheme name (see spatialecon.geodata."
                            "regions), a mapping adcode → region or such a Series")
    labels = groups.reindex(units)
    missing = labels.isna()
    if missing.any():
        raise DynamicsError(f"{int(missing.sum())} unit(s) belong to no group: "
                            f"{_units(units[missing.to_numpy()])}. Drop them from the values "
                            "or pick groups that cover them")
    return labels, scheme if scheme is not None else groups.name


# ─────────────────────────────────────────────────────────────────────────────────────────────
# σ convergence
# ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass
class SigmaResult:
    """σ convergence: dispersion by year and its linear trend.

    Attributes
    ----------
    table
        Tidy: ``group`` (with ``groups=``), ``year``, ``measure``, ``value``, ``n`` (units).
    trend
        One row per group (``"all"`` without groups) — ``intercept`` (the fitted dispersion in
        the first year), ``slope`` (change per year), ``se``, ``t``, ``p`` (two-sided, t with
        ``n_years − 2`` df), ``n_years``, ``verdict``.
    conventions
        Measure, ddof, time variable, test and α.
    """

    table: pd.DataFrame
    trend: pd.DataFrame
    conventions: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """The verdict of the first row of ``trend`` (all units when groups were given)."""
        return str(self.trend["verdict"].iloc[0])

    def __str__(self) -> str:
        return "\n".join(f"{g}: {v}" for g, v in self.trend["verdict"].items())


def _dispersion(wide: pd.DataFrame, measure: str, ddof: int) -> pd.Series:
    """One value per year; cv, Gini and Theil from :mod:`spatialecon.inequality`."""
    name = str(wide.attrs.get("variable", "value"))
    if measure == "sd_log":
        return np.log(wide).std(axis=0, ddof=ddof).rename(measure)
    from spatialecon import inequality

    series = wide.stack()
    series.index = series.index.set_names(["adcode", "year"])
    series.name = name
    if measure == "cv":
        out = inequality.coefficient_of_variation(series, ddof=ddof)
    elif measure == "gini":
        out = inequality.gini(series)
    else:
        out = inequality.theil(series, index="T").T
    out = pd.Series(np.asarray(out, dtype=float),
                    index=pd.Index(out.index.get_level_values("year"), name="year"))
    return out.reindex(wide.columns).rename(measure)


def _trend(values: pd.Series, alpha: float, measure: str) -> dict[str, Any]:
    import statsmodels.api as sm

    years = values.index.to_numpy(dtype=float)
    t = years - years[0]
    y = values.to_numpy(dtype=float)
    if len(y) == 2:
        slope = (y[1] - y[0]) / (t[1] - t[0])
        row = {"intercept": y[0], "slope": slope, "se": np.nan, "t": np.nan, "p": np.nan}
        direction = "falls" if slope < 0 else "rises"
        verdict = (f"untested: {measure} {direction} by {abs(slope):.4g} per year between "
                   f"{int(years[0])} and {int(years[1])}, but two years give no standard "
                   "error")
        return {**row, "n_years": 2, "verdict": verdict}
    fit = sm.OLS(y, sm.add_constant(t)).fit()
    slope, se, tv, p = (float(fit.params[1]), float(fit.bse[1]), float(fit.tvalues[1]),
                        float(fit.pvalues[1]))
    said = f"b = {slope:.4g} per year, t = {tv:.2f}, p = {p:.3g}"
    if p < alpha and slope < 0:
        verdict = f"σ-convergence: {measure} falls significantly ({said})"
    elif p < alpha and slope > 0:
        verdict = f"σ-divergence: {measure} rises significantly ({said})"
    else:
        verdict = f"no significant trend at α = {alpha:g} ({said})"
    return {"intercept": float(fit.params[0]), "slope": slope, "se": se, "t": tv, "p": p,
            "n_years": len(y), "verdict": verdict}


def sigma_convergence(
    values: pd.Series | pd.DataFrame,
    *,
    measure: Measure = "cv",
    groups: str | pd.Series | Mapping[Hashable, Hashable] | None = None,
    ddof: int = 0,
    variable: str | None = None,
    alpha: float = 0.05,
    overall: str | None = "all",
) -> SigmaResult:
    """σ convergence: the dispersion of ``values`` by year (and group) and its linear trend.

    Parameters
    ----------
    values
        Positive values, as :func:`spatialecon.inequality.theil` takes them: a Series by
        ``(adcode, year)``, a wide units × years table or a tidy panel (``variable=`` picks one
        of several). Every unit in every year (a balanced panel): a dispersion over changing
        sets of units is not comparable across years.
    measure
        ``"cv"`` (coefficient of variation σ/ȳ), ``"sd_log"`` (standard deviation of ln y, the
        measure of Barro & Sala-i-Martin), ``"gini"`` or ``"theil"`` (Theil T), each
        unweighted (every unit counts once).
    groups
        A region scheme name (``"nbs4"`` …) or a mapping ``adcode → region``: the dispersion
        and its trend within each group, plus all units as ``overall``.
    ddof
        Degrees of freedom of the standard deviation of ``"cv"`` and ``"sd_log"``: ``0``
        (default; population sd, ``numpy.std``, ``scipy.stats.variation``) or ``1`` (sample
        sd, Stata's ``summarize``, R's ``sd``).
    variable
        The variable of a tidy panel with several.
    alpha
        Significance level of the verdict.
    overall
        Label of the all-units rows with ``groups=`` (``None`` to omit them).

    Returns
    -------
    SigmaResult
        ``table``, ``trend`` (slope per year with OLS s.e., t and p) and ``conventions``.

    Raises
    ------
    DynamicsError
        One year or one unit, a year missing for some units (named), values ≤ 0 for
        ``"sd_log"``, units without a group.
    NonFiniteError
        NaN or ±inf values, named by unit and year.
    """
    check_choice(measure, "measure", _MEASURES)
    check_choice(ddof, "ddof", (0, 1))
    alpha = check_probability(alpha, "alpha")
    if ddof and measure in ("gini", "theil"):
        raise DynamicsError(f"ddof applies to 'cv' and 'sd_log', not to {measure!r}")
    wide = _values_wide(values, "values", variable)
    name = wide.attrs.get("variable", "values")
    if measure == "sd_log":
        _check_positive(wide, "measure='sd_log'")
    parts: list[tuple[Any, pd.DataFrame]] = []
    scheme = None
    if groups is None:
        parts.append(("all", wide))
    else:
        labels, scheme = _group_labels(groups, wide.index)
        if overall is not None:
            parts.append((overall, wide))
        for label, units in labels.groupby(labels, sort=True).groups.items():
            part = wide.loc[list(units)]
            if len(part) < 2:
                raise DynamicsError(f"group {label!r} has one unit "
                                    f"({_units(part.index)}); a dispersion needs at least 2")
            part.attrs = dict(wide.attrs)
            parts.append((label, part))
    rows, trends = [], {}
    for label, part in parts:
        disp = _dispersion(part, measure, ddof)
        for year, value in disp.items():
            rows.append({"group": label, "year": int(year), "measure": measure,
                         "value": float(value), "n": len(part)})
        trends[label] = _trend(disp, alpha, measure)
    table = pd.DataFrame(rows)
    if groups is None:
        table = table.drop(columns="group")
    trend = pd.DataFrame.from_dict(trends, orient="index")
    trend.index.name = "group"
    conventions = {
        "variable": name, "measure": _MEASURE_TEXT[measure],
        "ddof": ddof if measure in ("cv", "sd_log") else None,
        "weights": "units (each unit counts once)",
        "years": [int(y) for y in wide.columns], "units": len(wide),
        "trend": "OLS D_t = a + b·(t − first year) (statsmodels); a = fitted value in the "
                 "first year, b = change per year; two-sided t test, n_years − 2 df",
        "verdict": f"σ-convergence if b < 0 with p < α = {alpha:g}",
        "groups": scheme,
        "reference": "Barro & Sala-i-Martin (1992); Sala-i-Martin (1996)",
    }
    table.attrs = trend.attrs = conventions
    return SigmaResult(table, trend, conventions)


# ─────────────────────────────────────────────────────────────────────────────────────────────
# β convergence
# ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass
class BetaResult:
    """β convergence: the coefficient of the initial log level and the implied speed.

    Attributes
    ----------
    beta, se, p
        The convergence coefficient used for the speed (see ``conventions["coefficient"]``:
        the coefficient of ``ln_y0`` by default, the direct impact of ``ln_y0`` with
        ``speed_from="direct"``), its standard error and two-sided p-value.
    speed, half_life
        ``λ`` per year and ``ln 2 / λ`` in years; NaN when ``beta ≥ 0`` (divergence).
    formula
        The speed formula used, with the horizon filled in.
    model
        The fitted :class:`spatialecon.regression.RegressionResult` (dependent variable
        ``growth``, regressors ``ln_y0`` and the controls).
    speeds
        Indexed by ``coefficient`` (``beta``; ``direct`` for models with a spatial lag of y or
        of ``ln_y0``): ``estimate``, ``se``, ``p``, ``speed``, ``half_life``.
    data
        The regression data: ``growth``, ``ln_y0`` and controls by ``adcode`` (cross-section)
        or ``(adcode, year)`` with the span's first year (panel).
    conventions
        Growth, horizon, years, spans, estimator, effects, weights, coefficient and formulas.
    """

    beta: float
    se: float
    p: float
    speed: float
    half_life: float
    formula: str
    model: Any
    speeds: pd.DataFrame
    data: pd.DataFrame
    conventions: dict[str, Any] = field(default_factory=dict)

    @property
    def impacts(self) -> pd.DataFrame | None:
        return self.model.impacts

    def __str__(self) -> str:
        return (f"β = {self.beta:.6g} (se {self.se:.4g}, p = {self.p:.3g}); speed "
                f"{self.speed:.4g} per year, half-life {self.half_life:.4g} years\n"
                f"{self.formula}")


def _speed(beta: float, horizon: int) -> tuple[float, float]:
    """(λ, half-life) for ``β`` over ``horizon`` years; NaN for β ≥ 0 and 1 + hβ ≤ 0."""
    if not np.isfinite(beta) or beta >= 0 or 1 + horizon * beta <= 0:
        return np.nan, np.nan
    lam = -math.log1p(horizon * beta) / horizon
    return lam, math.log(2) / lam


def _ols_result(data: pd.DataFrame, y: str, x: list[str]) -> Any:
    """OLS by statsmodels as a :class:`RegressionResult` (t statistics, σ² = e'e/(n − k))."""
    import statsmodels.api as sm

    from spatialecon.regression import CONSTANT, RegressionResult

    X = np.column_stack([np.ones(len(data)), data[x].to_numpy(dtype=float)])
    names = [CONSTANT, *x]
    fit = sm.OLS(data[y].to_numpy(dtype=float), X).fit()
    return _result_from(names, ["const", *(["x"] * len(x))], np.asarray(fit.params),
                        np.asarray(fit.cov_params()), np.asarray(fit.tvalues),
                        np.asarray(fit.pvalues), np.asarray(fit.resid),
                        np.asarray(fit.fittedvalues), data.index, y, x,
                        r2=float(fit.rsquared), sig2=float(fit.scale), label="OLS",
                        conventions={"estimator": "OLS (statsmodels)",
                                     "variance": "OLS, σ² = e'e/(n − k); t-statistics"},
                        result_cls=RegressionResult)


def _result_from(names: list[str], kinds: list[str], b: np.ndarray, V: np.ndarray,
                 t: np.ndarray, p: np.ndarray, e: np.ndarray, fitted: np.ndarray,
                 index: pd.Index, y: str,
                 x: list[str], *, r2: float, sig2: float, label: str,
                 conventions: dict[str, Any], result_cls: Any, effects: str | None = None,
                 n_params: int | None = None) -> Any:
    n = len(e)
    coefficients = pd.DataFrame({"estimate": b, "se": np.sqrt(np.diag(V)), "z": t, "p": p,
                                 "kind": kinds}, index=pd.Index(names, name="term"))
    vcov = pd.DataFrame(V, index=coefficients.index, columns=coefficients.index)
    logl = float(-n / 2 * (np.log(2 * np.pi) + np.log(e @ e / n) + 1))
    k = (n_params if n_params is not None else len(b)) + 1  # + σ²
    return result_cls(
        model="ols", method="ols", y=y, x=list(x), n=n, coefficients=coefficients, vcov=vcov,
        rho=None, lam=None, logl=logl, aic=-2 * logl + 2 * k, sc=-2 * logl + k * np.log(n),
        pseudo_r2=np.nan, pseudo_r2_e=np.nan, r2=r2, sig2=sig2,
        residuals=pd.Series(e, index=index, name="residual"),
        fitted=pd.Series(fitted, index=index, name="fitted"),
        conventions={**conventions,
                     "aic": "−2 logL + 2p, p = coefficients (and effects) + σ²"},
        spreg=None, effects=effects, label=label)


def _within(data: pd.DataFrame, y: str, x: list[str], effects: str) -> Any:
    """Within (fixed-effects) least squares on a balanced panel indexed by (adcode, year)."""
    from spatialecon.regression import CONSTANT, RegressionResult

    units = data.index.get_level_values("adcode")
    years = data.index.get_level_values("year")
    N, T = units.nunique(), years.nunique()
    Z = data[[y, *x]].to_numpy(dtype=float)

    def demean(a: np.ndarray) -> np.ndarray:
        frame = pd.DataFrame(a)
        out = a.copy()
        if effects in ("unit", "twoway"):
            out = out - frame.groupby(units.to_numpy()).transform("mean").to_numpy()
        if effects in ("time", "twoway"):
            out = out - frame.groupby(years.to_numpy()).transform("mean").to_numpy()
        if effects == "twoway":
            out = out + a.mean(axis=0)
        return out

    if effects == "none":
        yd, Xd = Z[:, 0], np.column_stack([np.ones(len(Z)), Z[:, 1:]])
        names, kinds, absorbed = [CONSTANT, *x], ["const", *(["x"] * len(x))], 0
    else:
        D = demean(Z)
        yd, Xd = D[:, 0], D[:, 1:]
        names, kinds = list(x), ["x"] * len(x)
        absorbed = {"unit": N, "time": T, "twoway": N + T - 1}[effects]
    scale = np.abs(Xd).max(axis=0)
    flat = scale <= 1e-12 * np.maximum(np.abs(Z[:, 1:]).max(axis=0), 1e-300) \
        if effects != "none" else np.zeros(len(x), bool)
    if np.any(flat):
        raise DynamicsError(f"{[v for v, f in zip(x, flat, strict=True) if f]} has no "
                            f"variation left after the {effects} effects; drop it or change "
                            "effects")
    b, *_ = np.linalg.lstsq(Xd, yd, rcond=None)
    e = yd - Xd @ b
    df = len(yd) - Xd.shape[1] - absorbed
    if df <= 0:
        raise DynamicsError(f"{len(yd)} unit-spans leave no residual degrees of freedom for "
                            f"{Xd.shape[1]} regressor(s) and {absorbed} fixed effects")
    s2 = float(e @ e / df)
    V = s2 * np.linalg.inv(Xd.T @ Xd)
    t = b / np.sqrt(np.diag(V))
    p = 2 * stats.t.sf(np.abs(t), df)
    r2 = float(1 - e @ e / ((yd - yd.mean()) @ (yd - yd.mean())))
    label = {"none": "pooled OLS", "unit": "FE", "time": "TE", "twoway": "2FE"}[effects]
    return _result_from(
        names, kinds, b, V, t, p, e, Xd @ b, data.index, y, x, r2=r2, sig2=s2, label=label,
        effects=None if effects == "none" else effects, n_params=Xd.shape[1] + absorbed,
        conventions={"estimator": ("pooled OLS" if effects == "none" else
                                   f"within estimator ({effects} effects demeaned; least "
                                   "squares, spatialecon.dynamics.convergence)"),
                     "variance": (f"conventional: σ² = e'e/(NT − K − {absorbed} absorbed "
                                  f"effects) = e'e/{df}; t with {df} df (linearmodels "
                                  "PanelOLS cov_type='unadjusted')"),
                     "units": N, "years": sorted(int(v) for v in pd.unique(years))},
        result_cls=RegressionResult)


def _controls_at(panel: Any, controls: list[str], units: pd.Index,
                 years: list[int]) -> dict[str, pd.DataFrame]:
    out = {}
    for c in controls:
        wide = wide_values(panel, name=c, variable=c)
        absent = [u for u in units if u not in wide.index]
        if absent:
            raise DynamicsError(f"control {c!r} lacks {len(absent)} unit(s) of the growth "
                                f"variable: {_units(absent)}")
        lacking = [y for y in years if y not in wide.columns]
        if lacking:
            raise DynamicsError(f"control {c!r} lacks year(s) {lacking} (controls are "
                                "measured at the start of each span)")
        out[c] = wide.loc[units, years]
    return out


def beta_convergence(
    panel: pd.DataFrame | pd.Series,
    y: str,
    *,
    controls: str | Sequence[str] | None = None,
    w: Any = None,
    model: str = "ols",
    kind: Literal["absolute", "conditional"] = "absolute",
    period: int | Literal["whole"] | None = None,
    effects: str = "twoway",
    speed_from: Literal["beta", "direct"] = "beta",
    impacts: Literal["delta", "simulation"] = "delta",
) -> BetaResult:
    """β convergence by cross-section or panel regression, aspatial or spatial.

    Parameters
    ----------
    panel
        A tidy panel (``adcode, year, variable, value``) holding ``y`` and the controls; or
        ``y``'s values alone as a Series by ``(adcode, year)`` or a wide units × years table
        (then ``y`` only names them and there can be no controls). Balanced: every unit in
        every year used.
    y
        The level variable (income per head …), positive; its log is taken.
    controls
        Conditioning variables (``kind="conditional"``), taken as they are (log them first if
        needed), measured in the first year (cross-section) or at the start of each span.
    w
        Weights keyed by ``adcode``, for ``model`` ``"lag"``, ``"error"``, ``"durbin"``
        (row-standardised by the regression functions). Not used by ``"ols"``.
    model
        ``"ols"``; ``"lag"`` (growth = ρW·growth + …), ``"error"`` or ``"durbin"`` (adds
        W·ln y_0 and W·controls).
    kind
        ``"absolute"`` (``ln y_0`` alone) or ``"conditional"`` (with ``controls``; in a panel
        unit fixed effects alone make it conditional).
    period
        ``None`` or ``"whole"``: one cross-section of growth from the first to the last year.
        An integer ``k``: a panel of non-overlapping ``k``-year spans (``1`` = annual growth).
    effects
        Panel fixed effects: ``"twoway"`` (default), ``"unit"``, ``"time"``, or ``"none"``
        (pooled OLS, aspatial only). Ignored by the cross-section.
    speed_from
        ``"beta"`` (default): the speed from the coefficient of ``ln_y0``. ``"direct"``: from
        the average direct impact of ``ln_y0`` (lag and Durbin models; LeSage & Fischer 2008).
    impacts
        Standard errors of the impacts of spatial models (``"delta"`` or ``"simulation"``).

    Returns
    -------
    BetaResult
        ``beta``, ``se``, ``p``, ``speed``, ``half_life``, ``formula``, ``model`` (the
        :class:`~spatialecon.regression.RegressionResult`), ``speeds`` and ``conventions``.

    Raises
    ------
    DynamicsError
        Values ≤ 0, one year, a year missing for some units (named), too few spans, controls
        with ``kind="absolute"`` (or none with a conditional cross-section), a coefficient
        with ``1 + hβ ≤ 0`` (speed undefined).
    ParameterError
        Unknown ``model``, ``kind``, ``effects``, ``speed_from``; ``period`` not ≥ 1.

    Warns
    -----
    DivergenceWarning
        When ``β ≥ 0``: speed and half-life are NaN.
    """
    check_choice(model, "model", _MODELS)
    check_choice(kind, "kind", ("absolute", "conditional"))
    check_choice(speed_from, "speed_from", ("beta", "direct"))
    controls = [controls] if isinstance(controls, str) else list(controls or [])
    clash = [c for c in controls if c in (GROWTH, LN_Y0) or c == y]
    if clash:
        raise DynamicsError(f"control(s) {clash} clash with the names of the regression "
                            f"({GROWTH!r}, {LN_Y0!r}, y = {y!r}); rename them")
    if kind == "absolute" and controls:
        raise DynamicsError(f"kind='absolute' takes no controls; got {controls} — pass "
                            "kind='conditional'")
    if model != "ols" and w is None:
        raise DynamicsError(f"model={model!r} needs weights w (spatialecon.weights."
                            "contiguity(...))")
    if speed_from == "direct" and model not in ("lag", "durbin"):
        raise DynamicsError(f"speed_from='direct' needs a spatial lag of y or of ln y_0 "
                            f"(model 'lag' or 'durbin'); in model {model!r} the direct "
                            "effect of ln y_0 is β itself")
    tidy = is_tidy(panel)
    if controls and not tidy:
        raise DynamicsError("controls need a tidy panel (adcode, year, variable, value) that "
                            "holds y and the controls")
    wide = _values_wide(panel, y, y if tidy else None)
    _check_positive(wide, "β convergence")
    years = [int(v) for v in wide.columns]
    cross = period is None or period == "whole"
    conventions: dict[str, Any] = {"variable": y, "kind": kind, "model": model,
                                   "units": len(wide)}
    if cross:
        t0, t1 = years[0], years[-1]
        horizon = t1 - t0
        lny = np.log(wide[[t0, t1]])
        data = pd.DataFrame({GROWTH: (lny[t1] - lny[t0]) / horizon, LN_Y0: lny[t0]})
        if kind == "conditional" and not controls:
            raise DynamicsError("a conditional cross-section needs controls (the steady-state "
                                "determinants, measured in the first year)")
        for c, values in _controls_at(panel, controls, wide.index, [t0]).items():
            data[c] = values[t0]
        data.index.name = "adcode"
        x = [LN_Y0, *controls]
        formula = (f"λ = −ln(1 + Tβ)/T with T = {horizon} years ({t0}–{t1}); "
                   "half-life = ln 2/λ")
        conventions.update({
            "growth": f"(ln y_T − ln y_0)/T, average annual log growth {t0}–{t1}",
            "years": [t0, t1], "T": horizon,
            "controls": f"{controls} in {t0}" if controls else None,
            "effects": "none (cross-section)"})
        if model == "ols":
            fitted = _ols_result(data, GROWTH, x)
            if w is not None:
                conventions["weights"] = "w given but not used by model='ols'"
        else:
            from spatialecon.regression import fit

            fitted = fit(data, GROWTH, x, w, model=model, impacts=impacts)
    else:
        if isinstance(period, bool) or not isinstance(period, (int, np.integer)):
            raise DynamicsError(f"period must be None, 'whole' or a whole number of years "
                                f"≥ 1, not {period!r}")
        horizon = check_count(period, "period", minimum=1)
        allowed = ("unit", "time", "twoway") if model != "ols" else ("unit", "time", "twoway",
                                                                     "none")
        effects = {"fixed": "unit", "individual": "unit", "two-way": "twoway",
                   "pooled": "none"}.get(effects, effects)
        check_choice(effects, "effects" + (" of a spatial panel" if model != "ols" else ""),
                     allowed)
        starts = list(range(years[0], years[-1] - horizon + 1, horizon))
        needed = sorted({s for s in starts} | {s + horizon for s in starts})
        lacking = [v for v in needed if v not in years]
        if lacking:
            raise DynamicsError(f"{y}: {horizon}-year spans from {years[0]} need the year(s) "
                                f"{lacking}, which are not in the data (it has {years})")
        if len(starts) < 2:
            raise DynamicsError(f"{y}: {years[0]}–{years[-1]} holds {len(starts)} span(s) of "
                                f"{horizon} years; a panel needs at least 2 (use period=None "
                                "for one cross-section)")
        lny = np.log(wide)
        frames = []
        ctrl = _controls_at(panel, controls, wide.index, starts)
        for s in starts:
            part = pd.DataFrame({GROWTH: (lny[s + horizon] - lny[s]) / horizon,
                                 LN_Y0: lny[s]})
            for c, values in ctrl.items():
                part[c] = values[s]
            part["year"] = s
            frames.append(part)
        data = pd.concat(frames).reset_index().set_index(["adcode", "year"]).sort_index()
        x = [LN_Y0, *controls]
        formula = (f"λ = −ln(1 + kβ)/k with k = {horizon} year(s) per span "
                   f"({len(starts)} spans {starts[0]}–{starts[-1] + horizon}); "
                   "half-life = ln 2/λ")
        conventions.update({
            "growth": f"(ln y_(t+k) − ln y_t)/k over non-overlapping {horizon}-year spans "
                      "(an incomplete last span dropped)",
            "spans": [(s, s + horizon) for s in starts], "k": horizon,
            "controls": f"{controls} at the start of each span" if controls else None,
            "effects": effects,
            "conditional": ("unit fixed effects: conditional convergence to unit-specific "
                            "steady states (Islam 1995)" if effects in ("unit", "twoway")
                            else None),
            "bias": ("the lagged level is predetermined: with few spans the fixed-effects "
                     "β is biased downwards (Nickell 1981)" if effects in ("unit", "twoway")
                     else None)})
        if model == "ols":
            fitted = _within(data, GROWTH, x, effects)
        else:
            from spatialecon.regression import fit_panel

            tidy_data = (data.reset_index().melt(id_vars=["adcode", "year"],
                                                 var_name="variable", value_name="value"))
            fitted = fit_panel(tidy_data, GROWTH, x, w, model=model, effects=effects,
                               impacts=impacts)
    conventions["estimator"] = fitted.conventions.get("estimator", fitted.label)
    if model != "ols":
        conventions["estimator"] = (f"{fitted.label} (spatialecon.regression."
                                    f"{'fit' if cross else 'fit_panel'})")
        conventions["weights"] = fitted.conventions.get("weights")
        if not cross:
            conventions["correction"] = fitted.conventions.get("correction")
    conventions["variance"] = fitted.conventions.get("variance")

    rows = {}
    b = fitted.coefficients.loc[LN_Y0]
    rows["beta"] = (float(b["estimate"]), float(b["se"]), float(b["p"]))
    if fitted.impacts is not None and (LN_Y0, "direct") in fitted.impacts.index:
        d = fitted.impacts.loc[(LN_Y0, "direct")]
        rows["direct"] = (float(d["estimate"]), float(d["se"]), float(d["p"]))
    table = []
    for key, (est, se, p) in rows.items():
        speed, half = _speed(est, horizon)
        table.append({"coefficient": key, "estimate": est, "se": se, "p": p, "speed": speed,
                      "half_life": half})
    speeds = pd.DataFrame(table).set_index("coefficient")
    beta, se, p = rows[speed_from]
    bound = -1 / horizon
    if beta <= bound:
        raise DynamicsError(
            f"the convergence coefficient of {y} is {beta:.4g} ≤ −1/{horizon} = {bound:.4g}: "
            f"1 + {horizon}β ≤ 0, so the speed −ln(1 + {horizon}β)/{horizon} is undefined — "
            "growth overshoots (the initially poor end up richer than the rich), which the "
            "log-linear convergence model cannot describe. Check the data (units, logs) or use "
            "shorter spans (period=…)")
    speed, half_life = _speed(beta, horizon)
    if beta >= 0:
        warnings.warn(f"β = {beta:.4g} ≥ 0 for {y}: no β convergence (divergence); speed and "
                      "half-life are NaN", DivergenceWarning, stacklevel=2)
        formula += " — not applied: β ≥ 0 (divergence), speed and half-life NaN"
    conventions.update({
        "coefficient": ("β, the coefficient of ln_y0" if speed_from == "beta" else
                        "the average direct impact of ln_y0 (LeSage & Fischer 2008)"),
        "formula": formula,
        "reference": "Barro & Sala-i-Martin (1992); Islam (1995); LeSage & Fischer (2008)",
    })
    speeds.attrs = dict(conventions)
    return BetaResult(beta=beta, se=se, p=p, speed=speed, half_life=half_life,
                      formula=formula, model=fitted, speeds=speeds, data=data,
                      conventions=conventions)


__all__ = ["BetaResult", "DivergenceWarning", "SigmaResult", "beta_convergence",
           "sigma_convergence"]
