"""Panel unit-root tests built on unit-by-unit ADF regressions: Im–Pesaran–Shin (2003) and
the Fisher-type combinations (Maddala & Wu 1999; Choi 2001), and their table."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from spatialecon.econometrics._common import (
    ENTITY,
    EconometricsError,
    LagRule,
    PanelTest,
    Trend,
    _check_not_constant,
    _check_spacing,
    _series,
    _statistics,
    _versions,
    panel_frame,
)

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
    llc: bool = False,
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
    llc
        Add a Levin–Lin–Chu row (``LLC t*``, :func:`~spatialecon.econometrics.llc_test` with
        the same trend and lags, its own LLC conventions otherwise; it needs a balanced
        panel) before the IPS row: the LLC / IPS / Fisher layout of papers' panel unit-root
        tables. The other rows are unchanged.

    Returns
    -------
    pandas.DataFrame
        One row per variable, difference and statistic: ``variable``, ``difference``,
        ``test`` (``LLC t*`` with ``llc=True``, ``IPS W-t-bar``, ``ADF-Fisher P``,
        ``ADF-Fisher Z``), ``statistic``, ``p_value``, ``lags`` (min–max of the units' lags).
    """
    variables = [variables] if isinstance(variables, str) else list(variables)
    rows = []
    options = {"lags": lags, "max_lags": max_lags, "dof_correction": dof_correction,
               "balanced": balanced}
    for variable in variables:
        for d in differences:
            tests = []
            if llc:
                from spatialecon.econometrics.llc import llc_test

                test = llc_test(panel, variable, trend=trend, lags=lags, max_lags=max_lags,
                                difference=d)
                tests.append(("LLC t*", test, "t_star"))
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
                 "dof_correction": dof_correction, "llc": llc,
                 "H0": "every unit's series has a unit root"}
    return out
