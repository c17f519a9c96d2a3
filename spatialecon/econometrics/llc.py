"""Levin–Lin–Chu (2002) panel unit-root test.

Levin, A., Lin, C.-F. & Chu, C.-S. J. (2002), "Unit root tests in panel data: asymptotic and
finite-sample properties", *Journal of Econometrics* 108: 1–24.

H0: every unit's series has a unit root; H1: every series is stationary with a common
autoregressive coefficient (δ < 0 for all units). The steps (LLC §3, eqs. 2–12), as R plm's
``purtest(test = "levinlin")`` and gretl compute them:

1. Per unit the ADF regression ``Δy_t = δ_i y_{t−1} + Σ_{L≤p_i} θ_iL Δy_{t−L} + d_t + ε_t``
   (lags fixed or chosen per unit by :func:`~spatialecon.econometrics.adf_by_unit`), and the
   two auxiliary regressions of ``Δy_t`` and ``y_{t−1}`` on the lagged differences and the
   deterministic terms ``d_t`` (none, intercept, intercept and trend); their residuals
   ``ê_t``, ``v̂_{t−1}`` are divided by the ADF regression's standard error ``σ̂_εi`` (divisor
   ``T − p_i − 1``, LLC eq. 4; ``dof_correction=True`` uses ``n − k``).
2. The long-run variance of ``Δy`` (demeaned, or detrended with a trend) by the Bartlett
   kernel with LLC's bandwidth ``K̄ = round(3.21 T^{1/3})`` (LLC p. 14; rounding as in their
   Table 2 and plm), and ``s_i = σ̂_yi / σ̂_εi``, ``S_N = mean s_i`` (eq. 6).
3. The pooled regression ``ẽ = δ ṽ`` over ``N T̃`` observations, ``T̃ = T − p̄ − 1``; ``t_δ``,
   ``σ̂²_ε̃ = RSS/(N T̃)`` and the adjusted ``t*_δ = (t_δ − N T̃ S_N σ̂⁻²_ε̃ STD(δ̂) μ*_{mT̃}) /
   σ*_{mT̃}`` (eq. 12) with LLC's Table 2 mean and standard-deviation adjustments, looked up
   at ``T̃`` and linearly interpolated (plm looks up at ``T``: ``table_at="T"``); left-tailed
   N(0, 1) p-value.
"""

from __future__ import annotations

import math
import warnings
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from spatialecon.econometrics._common import (
    EconometricsError,
    LagRule,
    PanelTest,
    Trend,
    _check_choice,
    _series,
    _statistics,
    panel_frame,
)
from spatialecon.econometrics.unit_root import _unit_root_common, adf_by_unit

# LLC (2002), Table 2: mean (μ*) and standard-deviation (σ*) adjustments of t_δ by T̃ for
# model 1 (no deterministic terms), 2 (intercepts) and 3 (intercepts and trends); the last
# column is the paper's T̃ = ∞ (kept at 500 as plm's ``adj.levinlin`` does).
_LLC_T = np.array([25, 30, 35, 40, 45, 50, 60, 70, 80, 90, 100, 250, 500], dtype=float)
_LLC_ADJUSTMENT = {
    "n": ([0.004, 0.003, 0.002, 0.002, 0.001, 0.001, 0.001, 0.000, 0.000, 0.000, 0.000, 0.000,
           0.000],
          [1.049, 1.035, 1.027, 1.021, 1.017, 1.014, 1.011, 1.008, 1.007, 1.006, 1.005, 1.001,
           1.000]),
    "c": ([-0.554, -0.546, -0.541, -0.537, -0.533, -0.531, -0.527, -0.524, -0.521, -0.520,
           -0.518, -0.509, -0.500],
          [0.919, 0.889, 0.867, 0.850, 0.837, 0.826, 0.810, 0.798, 0.789, 0.782, 0.776, 0.742,
           0.707]),
    "ct": ([-0.703, -0.674, -0.653, -0.637, -0.624, -0.614, -0.598, -0.587, -0.578, -0.571,
            -0.566, -0.533, -0.500],
           [1.003, 0.949, 0.906, 0.871, 0.842, 0.818, 0.780, 0.751, 0.728, 0.710, 0.695, 0.603,
            0.500]),
}
_LLC_SOURCE = ("Levin, Lin & Chu (2002), J. Econometrics 108: 1–24, Table 2 (the T̃ = ∞ column "
               "at T̃ = 500, as plm); linear interpolation in T̃, nearest column outside 25–500")


def llc_adjustment(T: float, trend: Trend = "c") -> tuple[float, float, str]:
    """LLC (2002, Table 2) mean and standard-deviation adjustments ``(μ*, σ*, note)``.

    ``note`` is ``""`` or says that ``T`` was outside 25–500 and the nearest column was used
    (plm warns likewise: "the time series is short").
    """
    _check_choice(trend, "trend", ("n", "c", "ct"))
    note = ""
    t = float(T)
    if t < _LLC_T[0]:
        note, t = f"T̃ = {T:g} below LLC's Table 2: the T̃ = 25 adjustments used", _LLC_T[0]
    elif t > _LLC_T[-1]:
        note, t = f"T̃ = {T:g} above LLC's Table 2: the T̃ = ∞ adjustments used", _LLC_T[-1]
    mu, sd = (float(np.interp(t, _LLC_T, np.asarray(v))) for v in _LLC_ADJUSTMENT[trend])
    return mu, sd, note


def _deterministic(n: int, trend: str, start: int = 1) -> np.ndarray:
    cols = []
    if trend in ("c", "ct"):
        cols.append(np.ones(n))
    if trend == "ct":
        cols.append(np.arange(start, start + n, dtype=float))
    return np.column_stack(cols) if cols else np.empty((n, 0))


def _residuals(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    if X.shape[1] == 0:
        return y.copy()
    return y - X @ np.linalg.lstsq(X, y, rcond=None)[0]


def bartlett_long_run_variance(u: np.ndarray, bandwidth: int, *, divisor: int | None = None
                               ) -> float:
    """``γ_0 + 2 Σ_{L=1}^{K} (1 − L/(K + 1)) γ_L`` with ``γ_L = Σ_t u_t u_{t−L} / divisor``
    (default ``len(u)``): the Bartlett-kernel (Newey–West) long-run variance of ``u`` as given
    (no centring)."""
    n = len(u)
    d = n if divisor is None else divisor
    value = float(u @ u) / d
    for L in range(1, min(int(bandwidth), n - 1) + 1):
        value += 2 * (1 - L / (bandwidth + 1)) * float(u[L:] @ u[:-L]) / d
    return value


def llc_test(
    panel: pd.DataFrame,
    variable: str,
    *,
    trend: Trend = "c",
    lags: LagRule = "aic",
    max_lags: int | None = None,
    kernel: Literal["bartlett"] = "bartlett",
    bandwidth: int | None = None,
    dof_correction: bool = False,
    table_at: Literal["T_tilde", "T"] = "T_tilde",
    difference: int = 0,
) -> PanelTest:
    """Levin–Lin–Chu (2002) panel unit-root test, the adjusted ``t*_δ``.

    Parameters
    ----------
    panel
        Tidy panel or wide table indexed by ``(adcode, year)``; it must be balanced (the
        pooled regression and the table assume one T), and the error names the unit-years
        missing.
    variable
        The series to test.
    trend
        ``"n"`` (model 1), ``"c"`` (individual intercepts, model 2, default) or ``"ct"``
        (intercepts and trends, model 3).
    lags, max_lags
        ADF augmentation: an integer for every unit, or ``"aic"``/``"bic"`` chosen per unit
        (see :func:`~spatialecon.econometrics.adf_by_unit`).
    kernel
        The long-run variance kernel; LLC use the Bartlett kernel (the only one offered).
    bandwidth
        Bartlett lag truncation ``K̄``; default ``round(3.21 T^{1/3})`` (LLC p. 14; plm;
        gretl truncates instead). In short panels this wide window biases the long-run
        variance down and the test over-rejects (simulated 5 % size: ≈ 16 % with N = 10,
        T = 50; ≈ 10 % at T = 250); a Newey–West-sized bandwidth (3 at T = 50) gives 4–6 %.
    dof_correction
        ``σ̂_εi`` and the pooled regression's standard error with the ``n − k`` divisor;
        default ``False`` is LLC's eq. 4 (``T − p_i − 1``) and plm's ``dfcor = FALSE``.
    table_at
        Where Table 2 is read: ``"T_tilde"`` (the paper's ``T̃ = T − p̄ − 1``, default) or
        ``"T"`` (plm).
    difference
        Test the ``d``-th difference instead of the level.

    Returns
    -------
    PanelTest
        ``statistics``: ``t_star`` (headline, left-tailed N(0, 1)), ``t_delta`` (unadjusted)
        and ``delta`` (pooled coefficient, no p-values). ``units``: per-unit ADF results
        (``lags``, ``obs``, ``rho``, ``t_stat``, ``p_value``) and the short- and long-run
        variances ``sigma2_ST``, ``sigma2_LT`` and their ratio ``s`` (``√LT/√ST``).
        ``attrs``: ``mu_star``, ``sigma_star``, ``T_tilde``, ``S_N``, ``bandwidth`` and the
        conventions.

    Raises
    ------
    EconometricsError
        An unbalanced panel, gaps, a constant series, too few years for the lag order, an
        unknown option.
    """
    _check_choice(trend, "trend", ("n", "c", "ct"))
    _check_choice(kernel, "kernel", ("bartlett",))
    _check_choice(table_at, "table_at", ("T_tilde", "T"))
    if bandwidth is not None and (isinstance(bandwidth, bool) or not isinstance(
            bandwidth, (int, np.integer)) or bandwidth < 0):
        raise EconometricsError(f"bandwidth must be a non-negative integer, not {bandwidth!r}")
    units = adf_by_unit(panel, variable, trend=trend, lags=lags, max_lags=max_lags,
                        dof_correction=dof_correction, balanced=True, difference=difference)
    wide = panel_frame(panel, [variable], balanced=True, consecutive=True)
    series = {u: np.diff(s, n=difference) for u, s in _series(wide, variable).items()}
    T = len(next(iter(series.values())))
    K = round(3.21 * T ** (1 / 3)) if bandwidth is None else int(bandwidth)
    e_all, v_all, rows = [], [], {}
    for unit, y in series.items():
        p = int(units.loc[unit, "lags"])
        dy = np.diff(y)
        # rows t = p + 1 … T − 1 (0-based in y): Δy_t, y_{t−1}, Δy_{t−1..p}, d_t
        target = dy[p:]
        level = y[p:-1]
        lagged = np.column_stack([dy[p - j:len(dy) - j] for j in range(1, p + 1)]) if p else \
            np.empty((len(target), 0))
        Z = np.column_stack([lagged, _deterministic(len(target), trend, start=p + 2)])
        e = _residuals(target, Z)
        v = _residuals(level, Z)
        delta = float(v @ e) / float(v @ v)
        rss = float(np.sum((e - delta * v) ** 2))
        n = len(target)
        k = 1 + Z.shape[1]
        sigma2_st = rss / (n - k if dof_correction else n)
        du = dy - dy.mean() if trend == "c" else (
            _residuals(dy, _deterministic(len(dy), "ct")) if trend == "ct" else dy)
        # plm's longrunvar: sums over the T − 1 differences, each divided by T − 1
        sigma2_lt = bartlett_long_run_variance(du, K, divisor=T - 1)
        if sigma2_lt <= 0:
            raise EconometricsError(
                f"the long-run variance of Δ{variable} is not positive at unit {unit} "
                f"(bandwidth {K}); use a smaller bandwidth")
        sd = math.sqrt(sigma2_st)
        e_all.append(e / sd)
        v_all.append(v / sd)
        rows[unit] = {"sigma2_ST": sigma2_st, "sigma2_LT": sigma2_lt,
                      "s": math.sqrt(sigma2_lt / sigma2_st)}
    units = units.join(pd.DataFrame.from_dict(rows, orient="index"))
    e_t, v_t = np.concatenate(e_all), np.concatenate(v_all)
    N = len(series)
    n_pool = len(e_t)
    delta = float(v_t @ e_t) / float(v_t @ v_t)
    rss = float(np.sum((e_t - delta * v_t) ** 2))
    sigma_pool = math.sqrt(rss / (n_pool - 1 if dof_correction else n_pool))
    sd_delta = sigma_pool / math.sqrt(float(v_t @ v_t))
    t_delta = delta / sd_delta
    T_tilde = T - float(units["lags"].mean()) - 1
    sigma2_eps = rss / (N * T_tilde)
    S_N = float(units["s"].mean())
    mu, sd, note = llc_adjustment(T_tilde if table_at == "T_tilde" else T, trend)
    if note:
        warnings.warn(note, RuntimeWarning, stacklevel=2)
    t_star = (t_delta - N * T_tilde * S_N / sigma2_eps * sd_delta * mu) / sd
    attrs = _unit_root_common(units, "Levin-Lin-Chu", {
        "H1": "every unit's series is stationary (common δ < 0)",
        "formula": "t* = (t_δ − N T̃ S_N σ̂⁻²_ε̃ STD(δ̂) μ*) / σ* (LLC 2002, eq. 12)",
        "adjustments": _LLC_SOURCE, "table_at": table_at, "table_note": note,
        "mu_star": mu, "sigma_star": sd, "T": T, "T_tilde": T_tilde, "S_N": S_N,
        "sigma2_eps": sigma2_eps, "kernel": kernel, "bandwidth": K,
        "bandwidth_rule": "round(3.21 T^{1/3}) (LLC p. 14)" if bandwidth is None else "given",
        "long_run_variance": "Bartlett kernel on Δy (demeaned with 'c', detrended with 'ct'), "
                             "autocovariances divided by T − 1 (LLC eq. 5, plm)",
        "short_run_variance": "RSS/(n − k)" if dof_correction else "RSS/(T − p_i − 1) (LLC)",
        "alternative": "left tail (stationarity)"})
    return PanelTest("Levin-Lin-Chu", _statistics([
        ("t_star", t_star, float(stats.norm.cdf(t_star)), None, "N(0,1)"),
        ("t_delta", t_delta, np.nan, None, "unadjusted"),
        ("delta", delta, np.nan, None, "pooled coefficient")]), units, attrs)


__all__ = ["bartlett_long_run_variance", "llc_adjustment", "llc_test"]
