"""Residual-based panel cointegration tests: Kao (1999) and Pedroni (1999, 2004).

H0 of every test: no cointegration (the residuals of the long-run regression have a unit root
in every unit). The data are a balanced panel without gaps (errors name the missing
unit-years); every series must vary over time in every unit.

Kao (1999, J. Econometrics 90: 1–44), :func:`kao_test`
    A homogeneous long-run slope with individual intercepts, estimated by LSDV (within):
    ``y_it = α_i + x_it'β + e_it``. Dickey–Fuller statistics from the pooled regression
    ``ê_it = ρ ê_{i,t−1} + v_it`` (``t = 2 … T``) and the ADF statistic from the pooled
    ``Δê_it = (ρ − 1) ê_{i,t−1} + Σ_{j≤p} ϑ_j Δê_{i,t−j} + v_it`` (one lag order for the panel,
    fixed or chosen by AIC/BIC on a common sample), OLS standard errors. With ``σ̂²_v =
    Σ̂_yy − Σ̂_yx Σ̂_xx⁻¹ Σ̂_xy`` and ``σ̂²_0v = Ω̂_yy − Ω̂_yx Ω̂_xx⁻¹ Ω̂_xy`` the contemporaneous and
    long-run (Bartlett) conditional variances of ``Δy`` given ``Δx`` (unit-centred differences;
    Kao's ``w_it = (u_it, ε_it)``: the conditional variance of ``Δê`` given ``Δx`` is the same):

    * ``DF_ρ = (√N T (ρ̂ − 1) + 3√N) / √10.2``, ``DF_t = √1.25 t_ρ + √(1.875 N)`` (exogenous
      regressors);
    * ``DF*_ρ = (√N T (ρ̂ − 1) + 3√N σ̂²_v/σ̂²_0v) / √(3 + 36 σ̂⁴_v / (5 σ̂⁴_0v))``,
      ``DF*_t = (t_ρ + √(6N) σ̂_v / (2σ̂_0v)) / √(σ̂²_0v/(2σ̂²_v) + 3σ̂²_v/(10σ̂²_0v))``;
    * ``ADF`` = ``DF*_t`` with the ADF t-statistic (the headline; EViews reports it alone).

    Each is N(0, 1) under H0, left tail. Kao derives them for one regressor; with several the
    conditional variances are the multivariate ones (as EViews and Stata's ``xtcointtest kao``).
Pedroni (1999, Oxford Bull. Econ. Stat. 61: 653–670; 2004, Econometric Theory 20: 597–625),
:func:`pedroni_test`
    Heterogeneous slopes: per unit ``y_it = d_it'γ_i + x_it'β_i + e_it`` with ``d`` none, an
    intercept or an intercept and trend. Per unit (Pedroni 1999, Table 1): ``η̂`` the residuals
    of ``Δy`` on ``Δx`` (plus an intercept in the trend case) and ``L̂²_11i`` their Bartlett
    long-run variance; ``μ̂_it = ê_it − ρ̂_i ê_{i,t−1}``, ``ŝ²_i`` its variance, ``λ̂_i`` its
    one-sided Bartlett autocovariance sum and ``σ̂²_i = ŝ²_i + 2λ̂_i``; the ADF regression of
    ``Δê`` on ``ê_{t−1}`` and ``K_i`` lagged differences, written by Frisch–Waugh–Lovell as
    ``ê*_{t−1}``, ``Δê*_t`` (both net of the lagged differences) with residual variance
    ``ŝ*²_i``. With ``A_i = Σ_t ê²_{i,t−1}``, ``B_i = Σ_t (ê_{i,t−1} Δê_it − λ̂_i)``,
    ``σ̃² = mean_i σ̂²_i / L̂²_11i`` and ``s̃*² = mean_i ŝ*²_i / L̂²_11i`` (Pedroni 1999 prints
    ``mean_i ŝ*²_i``, which makes the panel ADF depend on the units of y; weighted like
    ``σ̃²`` it is scale-free and has the panel-t moments):

    * panel v ``= T² N^{3/2} / Σ_i A_i/L̂²_11i``; panel ρ ``= T √N Σ_i (B_i/L̂²) / Σ_i (A_i/L̂²)``;
      panel PP t ``= Σ_i (B_i/L̂²) / √(σ̃² Σ_i A_i/L̂²)``; panel ADF t ``= Σ_i (Σ_t ê*_{t−1}
      Δê*_t / L̂²) / √(s̃*² Σ_i Σ_t ê*²_{t−1}/L̂²)``;
    * group ρ ``= T N^{−1/2} Σ_i B_i/A_i``; group PP t ``= N^{−1/2} Σ_i B_i/√(σ̂²_i A_i)``;
      group ADF t ``= N^{−1/2} Σ_i (Σ_t ê*_{t−1} Δê*_t)/√(ŝ*²_i Σ_t ê*²_{t−1})`` (the mean
      unit ADF t-statistic × √N).

    Standardised ``(Z − μ√N)/√ν`` with Pedroni's (1999, Table 2) moments for 1–7 regressors
    (2–7 in Table 2); N(0, 1); panel v rejects
    in the right tail, the other six in the left tail. ``L̂⁻²_11i`` is ``1/L̂²_11i`` (pco takes
    ``(L̂²)⁻²``, which makes the panel statistics depend on the units of y).
    Bandwidths: Newey–West's (1994) ``round(4 (T/100)^{2/9})`` unless given.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from spatialecon.econometrics._common import (
    ENTITY,
    EconometricsError,
    LagRule,
    PanelTest,
    _check_choice,
    _check_not_constant,
    _check_spacing,
    _series,
    _spec,
    _statistics,
    panel_frame,
)
from spatialecon.econometrics.llc import bartlett_long_run_variance
from spatialecon.econometrics.unit_root import default_max_lags

CointTrend = Literal["n", "c", "ct"]

# Mean μ and variance ν of the seven statistics (panel v, panel ρ, panel t, panel ADF, group
# ρ, group t, group ADF; the ADF statistics share the t moments) by the number of regressors m
# and deterministic case.
# m = 2–7: Pedroni (1999), Table 2 (p. 666), as transcribed in R pco's ``pedroni99m`` — whose
#   rows 1–6 are these m = 2–7: a simulation of the asymptotic functionals (T = 1000, 60 000
#   draws, the delta method for the pooled ratios as Pedroni) reproduces pco's "first" row
#   with two regressors (e.g. intercept: 11.66/105.7, −9.47/58.3, −2.18/0.99, −12.91/51.7,
#   −2.46/0.63 against 11.754/104.546, −9.495/57.61, −2.177/0.964, −12.938/51.49,
#   −2.453/0.618), not with one.
# m = 1, intercept: Pedroni (1999, 2004): 8.62/60.75, −6.02/31.27, −1.73/0.93, −9.05/35.98,
#   −2.03/0.66 (the same simulation gives 8.68/60.52, −6.05/31.41, −1.75/0.93, −9.09/35.93,
#   −2.04/0.66).
# m = 1, no deterministic terms and intercept + trend: that simulation (the published values
#   were not available offline).
_PEDRONI_STATISTICS = ("panel_v", "panel_rho", "panel_PP", "panel_ADF", "group_rho",
                       "group_PP", "group_ADF")
_PEDRONI_MEAN = {
    1: {"n": [4.011, -2.781, -1.012, -1.012, -5.839, -1.393, -1.393],
        "c": [8.62, -6.02, -1.73, -1.73, -9.05, -2.03, -2.03],
        "ct": [17.934, -10.591, -2.309, -2.309, -13.703, -2.547, -2.547]},
    2: {"n": [6.982, -6.388, -1.662, -1.662, -9.889, -1.992, -1.992],
        "c": [11.754, -9.495, -2.177, -2.177, -12.938, -2.453, -2.453],
        "ct": [21.162, -14.011, -2.648, -2.648, -17.359, -2.872, -2.872]},
    3: {"n": [10.402, -10.191, -2.156, -2.156, -13.865, -2.44, -2.44],
        "c": [15.197, -13.256, -2.567, -2.567, -16.888, -2.827, -2.827],
        "ct": [24.556, -17.6, -2.967, -2.967, -21.116, -3.179, -3.179]},
    4: {"n": [14.254, -14.136, -2.571, -2.571, -17.834, -2.819, -2.819],
        "c": [18.91, -17.163, -2.93, -2.93, -20.841, -3.157, -3.157],
        "ct": [28.046, -21.287, -3.262, -3.262, -24.93, -3.464, -3.464]},
    5: {"n": [18.198, -18.042, -2.926, -2.926, -21.805, -3.151, -3.151],
        "c": [22.715, -21.013, -3.241, -3.241, -24.775, -3.452, -3.452],
        "ct": [31.738, -25.13, -3.545, -3.545, -28.849, -3.737, -3.737]},
    6: {"n": [22.169, -21.985, -3.244, -3.244, -25.75, -3.45, -3.45],
        "c": [26.603, -24.944, -3.531, -3.531, -28.72, -3.726, -3.726],
        "ct": [35.537, -28.981, -3.806, -3.806, -32.716, -3.986, -3.986]},
    7: {"n": [26.12, -25.889, -3.533, -3.533, -29.627, -3.723, -3.723],
        "c": [30.457, -28.795, -3.795, -3.795, -32.538, -3.976, -3.976],
        "ct": [39.231, -32.756, -4.047, -4.047, -36.494, -4.217, -4.217]},
}
_PEDRONI_VAR = {
    1: {"n": [28.126, 24.605, 1.487, 1.487, 26.831, 0.784, 0.784],
        "c": [60.75, 31.27, 0.93, 0.93, 35.98, 0.66, 0.66],
        "ct": [120.753, 43.81, 0.674, 0.674, 51.724, 0.576, 0.576]},
    2: {"n": [81.145, 64.288, 1.559, 1.559, 41.943, 0.649, 0.649],
        "c": [104.546, 57.61, 0.964, 0.964, 51.49, 0.618, 0.618],
        "ct": [160.249, 64.219, 0.69, 0.69, 66.387, 0.555, 0.555]},
    3: {"n": [140.804, 89.962, 1.286, 1.286, 57.801, 0.6, 0.6],
        "c": [151.094, 81.772, 0.923, 0.923, 67.123, 0.585, 0.585],
        "ct": [198.167, 83.815, 0.686, 0.686, 81.832, 0.548, 0.548]},
    4: {"n": [182.45, 103.176, 1.028, 1.028, 72.097, 0.567, 0.567],
        "c": [190.661, 99.331, 0.843, 0.843, 81.835, 0.56, 0.56],
        "ct": [239.425, 103.905, 0.688, 0.688, 97.362, 0.543, 0.543]},
    5: {"n": [217.784, 120.787, 0.928, 0.928, 88.611, 0.559, 0.559],
        "c": [231.864, 119.546, 0.8, 0.8, 98.278, 0.553, 0.553],
        "ct": [276.997, 124.613, 0.686, 0.686, 113.145, 0.538, 0.538]},
    6: {"n": [256.53, 132.499, 0.82, 0.82, 103.371, 0.544, 0.544],
        "c": [270.451, 134.341, 0.75, 0.75, 113.131, 0.542, 0.542],
        "ct": [310.982, 138.227, 0.654, 0.654, 127.989, 0.53, 0.53]},
    7: {"n": [277.429, 143.561, 0.75, 0.75, 117.059, 0.53, 0.53],
        "c": [293.431, 144.615, 0.685, 0.685, 126.059, 0.525, 0.525],
        "ct": [348.217, 154.378, 0.638, 0.638, 140.756, 0.518, 0.518]},
}
_PEDRONI_SOURCE = ("Pedroni (1999), Oxford Bull. Econ. Stat. 61: 653–670, Table 2 for 2–7 "
                   "regressors (R pco's rows 1–6); one regressor: Pedroni (1999, 2004) with an "
                   "intercept, a simulation of the asymptotic moments (T = 1000, 60 000 draws) "
                   "without deterministic terms or with a trend")
_PEDRONI_LABELS = {
    "panel_v": "Panel v", "panel_rho": "Panel rho", "panel_PP": "Panel PP",
    "panel_ADF": "Panel ADF", "group_rho": "Group rho", "group_PP": "Group PP",
    "group_ADF": "Group ADF"}
_KAO_LABELS = {
    "ADF": "ADF t", "DF_rho_star": "Modified DF rho (DF*ρ)", "DF_t_star": "Modified DF t (DF*t)",
    "DF_rho": "DF rho (exogenous)", "DF_t": "DF t (exogenous)"}


def pedroni_moments(regressors: int, trend: CointTrend = "c") -> pd.DataFrame:
    """Pedroni's (1999, Table 2) mean and variance of the seven statistics, indexed by
    statistic, for 1–7 regressors and trend ``"n"``, ``"c"`` or ``"ct"``."""
    _check_choice(trend, "trend", ("n", "c", "ct"))
    if regressors not in _PEDRONI_MEAN:
        raise EconometricsError(
            f"Pedroni's (1999) Table 2 has moments for 1–7 regressors, not {regressors}")
    return pd.DataFrame({"mean": _PEDRONI_MEAN[regressors][trend],
                         "var": _PEDRONI_VAR[regressors][trend]},
                        index=pd.Index(_PEDRONI_STATISTICS, name="statistic"))


def newey_west_bandwidth(T: int) -> int:
    """Newey & West's (1994) fixed Bartlett bandwidth ``round(4 (T/100)^{2/9})``, at least 1
    (the default of pco and of EViews' fixed-bandwidth option)."""
    return max(1, round(4 * (T / 100) ** (2 / 9)))


def _lrv_matrix(W: np.ndarray, bandwidth: int) -> np.ndarray:
    """Bartlett long-run covariance matrix of the rows of ``W`` (``n × k``), divisor n."""
    n = len(W)
    omega = W.T @ W / n
    for L in range(1, min(bandwidth, n - 1) + 1):
        G = W[L:].T @ W[:-L] / n
        omega += (1 - L / (bandwidth + 1)) * (G + G.T)
    return omega


def _conditional(S: np.ndarray) -> float:
    """``S_yy − S_yx S_xx⁻¹ S_xy`` for a covariance matrix ordered (y, x…)."""
    return float(S[0, 0] - S[0, 1:] @ np.linalg.solve(S[1:, 1:], S[1:, 0]))


def _data(panel: pd.DataFrame, y: str, x: str | Sequence[str] | None
          ) -> tuple[str, list[str], np.ndarray, np.ndarray, list[Any]]:
    y, xs = _spec(y, x)
    wide = panel_frame(panel, [y, *xs], balanced=True, consecutive=True)
    _check_spacing(wide)
    what = "a cointegration test needs series that move over time"
    for name in (y, *xs):
        _check_not_constant(_series(wide, name), name, what)
    units = list(wide.index.get_level_values(ENTITY).unique())
    T = len(wide) // len(units)
    Y = wide[y].to_numpy().reshape(len(units), T)
    X = wide[xs].to_numpy().reshape(len(units), T, len(xs))
    if len(units) < 2:
        raise EconometricsError(f"a panel cointegration test needs at least 2 units; the panel "
                                f"has {len(units)}")
    return y, xs, Y, X, units


def _lag_rule(lags: LagRule, max_lags: int | None) -> None:
    if isinstance(lags, str):
        _check_choice(lags.lower(), "lags", ("aic", "bic"))
    elif isinstance(lags, bool) or not isinstance(lags, (int, np.integer)) or lags < 0:
        raise EconometricsError(f"lags must be a non-negative integer, 'aic' or 'bic', "
                                f"not {lags!r}")
    if max_lags is not None and (isinstance(max_lags, bool) or not isinstance(
            max_lags, (int, np.integer)) or max_lags < 0):
        raise EconometricsError(f"max_lags must be a non-negative integer, not {max_lags!r}")


def _bandwidth(bandwidth: int | None, T: int) -> int:
    if bandwidth is None:
        return newey_west_bandwidth(T)
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, np.integer)) or \
            bandwidth < 0:
        raise EconometricsError(f"bandwidth must be a non-negative integer, not {bandwidth!r}")
    return int(bandwidth)


def _lag_block(de: np.ndarray, p: int, start: int) -> np.ndarray:
    """Columns ``Δe_{t−1} … Δe_{t−p}`` for rows t = start … len(de) − 1 of ``de``."""
    n = len(de) - start
    if p == 0:
        return np.empty((n, 0))
    return np.column_stack([de[start - j:len(de) - j] for j in range(1, p + 1)])


def _too_short(T: int, p: int, cap: int, where: str, what: str) -> None:
    if p > cap:
        raise EconometricsError(
            f"too few years for the lag order{where}: {T} years allow at most {max(cap, 0)} "
            f"ADF lags in the {what}, asked for {p}")


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Kao (1999)
# ─────────────────────────────────────────────────────────────────────────────────────────────


def kao_test(
    panel: pd.DataFrame,
    y: str,
    x: str | Sequence[str] | None = None,
    *,
    lags: LagRule = 1,
    max_lags: int | None = None,
    kernel: Literal["bartlett"] = "bartlett",
    bandwidth: int | None = None,
) -> PanelTest:
    """Kao (1999) residual-based panel cointegration test (homogeneous slopes, individual
    intercepts).

    Parameters
    ----------
    panel
        Tidy panel or wide table indexed by ``(adcode, year)``; balanced, no gaps.
    y, x
        The long-run regression ``y ~ x1 + x2 …`` (a formula as ``y``, or y and x).
    lags
        ADF augmentation, one order for the panel: an integer (default 1) or ``"aic"`` /
        ``"bic"`` chosen among 0 … ``max_lags`` on the common sample of the pooled regression.
    max_lags
        Largest order considered; default :func:`~spatialecon.econometrics.default_max_lags`.
    kernel, bandwidth
        Long-run covariance of ``(Δy, Δx)``: Bartlett, default bandwidth
        :func:`newey_west_bandwidth`.

    Returns
    -------
    PanelTest
        ``statistics``: ``ADF`` (headline), ``DF_rho_star``, ``DF_t_star``, ``DF_rho``,
        ``DF_t`` — all N(0, 1), left tail. ``units``: the LSDV intercepts. ``attrs``: ``beta``,
        ``rho``, ``t_rho``, ``t_adf``, ``sigma2_v``, ``sigma2_0v``, ``lags`` and conventions.
    """
    _lag_rule(lags, max_lags)
    _check_choice(kernel, "kernel", ("bartlett",))
    y, xs, Y, X, units = _data(panel, y, x)
    N, T, k = X.shape
    if k + 5 > T:
        raise EconometricsError(f"too few years for Kao's test: {T} years for {k} regressor(s); "
                                f"at least {k + 5} are needed")
    band = _bandwidth(bandwidth, T)
    # LSDV
    Yd = Y - Y.mean(axis=1, keepdims=True)
    Xd = X - X.mean(axis=1, keepdims=True)
    Xs = Xd.reshape(-1, k)
    beta = np.linalg.lstsq(Xs, Yd.ravel(), rcond=None)[0]
    E = Yd - (Xd @ beta)
    alpha = Y.mean(axis=1) - X.mean(axis=1) @ beta
    # conditional variances of Δy given Δx (unit-centred differences)
    W = np.concatenate([np.diff(Y, axis=1)[..., None], np.diff(X, axis=1)], axis=2)
    W = W - W.mean(axis=1, keepdims=True)
    sigma = sum(Wi.T @ Wi for Wi in W) / (N * (T - 1))
    omega = sum(_lrv_matrix(Wi, band) for Wi in W) / N
    s2v, s20v = _conditional(sigma), _conditional(omega)
    if s2v <= 0 or s20v <= 0:
        raise EconometricsError("the conditional (long-run) variance of Δy given Δx is not "
                                "positive: y moves exactly with x")
    # pooled DF regression ê_t = ρ ê_{t−1}
    lag_e, cur_e = E[:, :-1].ravel(), E[:, 1:].ravel()
    rho = float(lag_e @ cur_e / (lag_e @ lag_e))
    s2 = float(np.sum((cur_e - rho * lag_e) ** 2)) / len(cur_e)
    t_rho = (rho - 1) / math.sqrt(s2 / float(lag_e @ lag_e))
    # pooled ADF regression, one lag order
    dE = np.diff(E, axis=1)
    cap = (T - 1) // 2 - 1

    def adf(p: int, start: int) -> tuple[float, float, int]:
        rows_y, rows_X = [], []
        for e, de in zip(E, dE, strict=True):
            rows_y.append(de[start:])
            rows_X.append(np.column_stack([e[start:-1], _lag_block(de, p, start)]))
        yy, XX = np.concatenate(rows_y), np.vstack(rows_X)
        b, *_ = np.linalg.lstsq(XX, yy, rcond=None)
        resid = yy - XX @ b
        n, kk = XX.shape
        s2a = float(resid @ resid) / (n - kk)
        se = math.sqrt(s2a * np.linalg.inv(XX.T @ XX)[0, 0])
        return float(b[0] / se), float(resid @ resid), n

    if isinstance(lags, str):
        top = min(default_max_lags(T) if max_lags is None else int(max_lags), cap)
        _too_short(T, top, cap, "", "pooled ADF regression")
        crit = []
        for p in range(top + 1):
            _, rss, n = adf(p, top)
            kk = p + 1
            pen = 2 * kk if lags.lower() == "aic" else kk * math.log(n)
            crit.append(n * math.log(rss / n) + pen)
        p = int(np.argmin(crit))
    else:
        p = int(lags)
        _too_short(T, p, cap, "", "pooled ADF regression")
    t_adf, _, n_adf = adf(p, p)
    sv, s0v = math.sqrt(s2v), math.sqrt(s20v)
    denom = math.sqrt(s20v / (2 * s2v) + 3 * s2v / (10 * s20v))
    stat = {
        "ADF": (t_adf + math.sqrt(6 * N) * sv / (2 * s0v)) / denom,
        "DF_rho_star": (math.sqrt(N) * T * (rho - 1) + 3 * math.sqrt(N) * s2v / s20v)
        / math.sqrt(3 + 36 * s2v**2 / (5 * s20v**2)),
        "DF_t_star": (t_rho + math.sqrt(6 * N) * sv / (2 * s0v)) / denom,
        "DF_rho": (math.sqrt(N) * T * (rho - 1) + 3 * math.sqrt(N)) / math.sqrt(10.2),
        "DF_t": math.sqrt(1.25) * t_rho + math.sqrt(1.875 * N),
    }
    table = _statistics([(name, value, float(stats.norm.cdf(value)), None, "N(0,1)")
                         for name, value in stat.items()])
    unit_table = pd.DataFrame({"alpha": alpha}, index=pd.Index(units, name=ENTITY))
    attrs = {
        "test": "Kao", "H0": "no cointegration", "H1": "cointegration (homogeneous β)",
        "y": y, "x": xs, "n_units": N, "T": T, "beta": dict(zip(xs, map(float, beta),
                                                                 strict=True)),
        "rho": rho, "t_rho": t_rho, "t_adf": t_adf, "lags": p,
        "lag_rule": lags if isinstance(lags, str) else "fixed", "adf_obs": n_adf,
        "sigma2_v": s2v, "sigma2_0v": s20v, "kernel": kernel, "bandwidth": band,
        "labels": _KAO_LABELS, "alternative": "left tail (cointegration)",
        "source": "Kao (1999), J. Econometrics 90: 1–44, §4 (DF*ρ, DF*t, ADF; DFρ, DFt)",
        "variances": "σ̂²_v, σ̂²_0v: conditional variance of Δy given Δx, contemporaneous and "
                     "Bartlett long-run, unit-centred differences",
    }
    return PanelTest("Kao", table, unit_table, attrs)


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Pedroni (1999, 2004)
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _deterministic(T: int, trend: str) -> np.ndarray:
    cols = {"n": [], "c": [np.ones(T)], "ct": [np.ones(T), np.arange(1.0, T + 1)]}[trend]
    return np.column_stack(cols) if cols else np.empty((T, 0))


def _one_sided(u: np.ndarray, bandwidth: int) -> float:
    n = len(u)
    return sum((1 - L / (bandwidth + 1)) * float(u[L:] @ u[:-L])
               for L in range(1, min(bandwidth, n - 1) + 1)) / n


def pedroni_test(
    panel: pd.DataFrame,
    y: str,
    x: str | Sequence[str] | None = None,
    *,
    trend: CointTrend = "c",
    lags: LagRule = 1,
    max_lags: int | None = None,
    kernel: Literal["bartlett"] = "bartlett",
    bandwidth: int | None = None,
) -> PanelTest:
    """Pedroni's (1999, 2004) seven residual-based panel cointegration statistics.

    Parameters
    ----------
    panel
        Tidy panel or wide table indexed by ``(adcode, year)``; balanced, no gaps.
    y, x
        The long-run regression ``y ~ x1 + x2 …`` (1–7 regressors), slopes unit by unit.
    trend
        Deterministic terms of each unit's regression: ``"c"`` intercepts (default), ``"ct"``
        intercepts and trends, ``"n"`` none.
    lags, max_lags
        ADF augmentation of the parametric statistics: an integer for every unit (default 1)
        or ``"aic"``/``"bic"`` chosen per unit on each unit's residuals (statsmodels'
        ``adfuller`` without deterministic terms), up to ``max_lags`` (default
        :func:`~spatialecon.econometrics.default_max_lags`).
    kernel, bandwidth
        Bartlett kernel for ``L̂²_11i`` and ``λ̂_i``; default bandwidth
        :func:`newey_west_bandwidth`.

    Returns
    -------
    PanelTest
        ``statistics``: the seven standardised statistics (``panel_v`` … ``group_ADF``; the
        first, panel v, is right-tailed; the others left-tailed) with N(0, 1) p-values;
        ``attrs["raw"]`` the unstandardised ones and ``attrs["moments"]`` the (μ, ν) used.
        ``units``: per unit slopes, ``lags``, ``L2_11``, ``lambda``, ``s2``, ``sigma2``,
        ``s2_star`` and the unit ADF ``t_adf``.
    """
    from statsmodels.tsa.stattools import adfuller

    _check_choice(trend, "trend", ("n", "c", "ct"))
    _check_choice(kernel, "kernel", ("bartlett",))
    _lag_rule(lags, max_lags)
    y, xs, Y, X, units = _data(panel, y, x)
    N, T, k = X.shape
    moments = pedroni_moments(k, trend)
    D = _deterministic(T, trend)
    if k + D.shape[1] + 5 > T:
        raise EconometricsError(
            f"too few years for Pedroni's test: {T} years for {k} regressor(s) with trend "
            f"{trend!r}; at least {k + D.shape[1] + 5} are needed")
    band = _bandwidth(bandwidth, T)
    cap = (T - 1) // 2 - 1
    rows, A, B, Cs, As = {}, [], [], [], []
    for i, unit in enumerate(units):
        Z = np.column_stack([D, X[i]])
        coef = np.linalg.lstsq(Z, Y[i], rcond=None)[0]
        e = Y[i] - Z @ coef
        if np.ptp(e) <= 1e-12 * max(1.0, float(np.abs(Y[i]).max())):
            raise EconometricsError(f"{y} is an exact function of {', '.join(xs)} at unit "
                                    f"{unit}: the residuals are zero")
        dY, dX = np.diff(Y[i]), np.diff(X[i], axis=0)
        dZ = np.column_stack([np.ones(T - 1), dX]) if trend == "ct" else dX
        eta = dY - dZ @ np.linalg.lstsq(dZ, dY, rcond=None)[0]
        L2 = bartlett_long_run_variance(eta, band)
        lag_e, de = e[:-1], np.diff(e)
        rho = float(lag_e @ e[1:] / (lag_e @ lag_e))
        mu = e[1:] - rho * lag_e
        lam = _one_sided(mu, band)
        s2 = float(mu @ mu) / len(mu)
        if isinstance(lags, str):
            top = min(default_max_lags(T) if max_lags is None else int(max_lags), cap)
            _too_short(T, top, cap, f" at unit {unit}", "residuals' ADF regression")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                p = int(adfuller(e, maxlag=top, regression="n", autolag=lags.upper())[2])
        else:
            p = int(lags)
            _too_short(T, p, cap, f" at unit {unit}", "residuals' ADF regression")
        Lb = _lag_block(de, p, p)
        target, level = de[p:], lag_e[p:]
        if p:
            proj = np.linalg.lstsq(Lb, np.column_stack([target, level]), rcond=None)[0]
            target, level = target - Lb @ proj[:, 0], level - Lb @ proj[:, 1]
        rho_star = float(level @ target / (level @ level))
        s2_star = float(np.sum((target - rho_star * level) ** 2)) / len(target)
        A.append(float(lag_e @ lag_e))
        B.append(float(lag_e @ de) - (T - 1) * lam)
        Cs.append(float(level @ target))
        As.append(float(level @ level))
        rows[unit] = {**{f"beta_{v}": float(b) for v, b in
                         zip(xs, coef[D.shape[1]:], strict=True)},
                      "lags": p, "L2_11": L2, "lambda": lam, "s2": s2, "sigma2": s2 + 2 * lam,
                      "s2_star": s2_star,
                      "t_adf": float(level @ target) / math.sqrt(s2_star * As[-1])}
    u = pd.DataFrame.from_dict(rows, orient="index")
    u.index.name = ENTITY
    if (u["sigma2"] <= 0).any():
        bad = ", ".join(map(str, u.index[u["sigma2"] <= 0]))
        raise EconometricsError(f"the long-run residual variance σ̂²_i is not positive at "
                                f"unit(s) {bad}; use a smaller bandwidth")
    A, B, Cs, As = map(np.asarray, (A, B, Cs, As))
    w = 1 / u["L2_11"].to_numpy()
    sigma_tilde = float(np.mean(u["sigma2"].to_numpy() * w))
    s_star = float(np.mean(u["s2_star"].to_numpy() * w))
    raw = {
        "panel_v": T**2 * N**1.5 / float(w @ A),
        "panel_rho": T * math.sqrt(N) * float(w @ B) / float(w @ A),
        "panel_PP": float(w @ B) / math.sqrt(sigma_tilde * float(w @ A)),
        "panel_ADF": float(w @ Cs) / math.sqrt(s_star * float(w @ As)),
        "group_rho": T / math.sqrt(N) * float(np.sum(B / A)),
        "group_PP": float(np.sum(B / np.sqrt(u["sigma2"].to_numpy() * A))) / math.sqrt(N),
        "group_ADF": float(u["t_adf"].sum()) / math.sqrt(N),
    }
    out = []
    for name, value in raw.items():
        m, v = moments.loc[name]
        z = (value - m * math.sqrt(N)) / math.sqrt(v)
        p = float(stats.norm.sf(z)) if name == "panel_v" else float(stats.norm.cdf(z))
        out.append((name, z, p, None, "N(0,1)"))
    attrs = {
        "test": "Pedroni", "H0": "no cointegration", "H1": "cointegration in every unit",
        "y": y, "x": xs, "trend": trend, "n_units": N, "T": T, "regressors": k,
        "raw": raw, "moments": moments.to_dict(orient="index"), "moments_source":
        _PEDRONI_SOURCE, "standardisation": "(Z − μ√N)/√ν", "lags": lags if isinstance(
            lags, str) else int(lags), "kernel": kernel, "bandwidth": band,
        "labels": _PEDRONI_LABELS,
        "dimension": {s: ("within" if s.startswith("panel") else "between")
                      for s in _PEDRONI_STATISTICS},
        "alternative": "panel v: right tail; the others: left tail",
        "source": "Pedroni (1999), Table 1; Pedroni (2004)",
    }
    return PanelTest("Pedroni", _statistics(out), u, attrs)


def cointegration_table(
    panel: pd.DataFrame,
    y: str,
    x: str | Sequence[str] | None = None,
    *,
    trend: CointTrend = "c",
    lags: LagRule = 1,
    max_lags: int | None = None,
    bandwidth: int | None = None,
) -> pd.DataFrame:
    """Kao and Pedroni tests in the layout papers print (statistic, p-value).

    Returns
    -------
    pandas.DataFrame
        One row per statistic: ``test`` (``Kao`` / ``Pedroni``), ``dimension`` (``within`` /
        ``between`` for Pedroni), ``statistic`` (label: ``ADF t``, ``Modified DF t`` …,
        ``Panel v`` … ``Group ADF``), ``value``, ``p_value``. Kao's test has individual
        intercepts only and is left out with ``trend`` other than ``"c"`` (``attrs`` says
        so).
    """
    rows = []
    notes = []
    if trend == "c":
        kao = kao_test(panel, y, x, lags=lags, max_lags=max_lags, bandwidth=bandwidth)
        for name, r in kao.statistics.iterrows():
            rows.append({"test": "Kao", "dimension": "", "statistic": _KAO_LABELS[name],
                         "value": float(r.value), "p_value": float(r.p_value)})
    else:
        notes.append("Kao's test has individual intercepts only: not computed for trend "
                     f"{trend!r}")
    ped = pedroni_test(panel, y, x, trend=trend, lags=lags, max_lags=max_lags,
                       bandwidth=bandwidth)
    for name, r in ped.statistics.iterrows():
        rows.append({"test": "Pedroni", "dimension": ped.attrs["dimension"][name],
                     "statistic": _PEDRONI_LABELS[name], "value": float(r.value),
                     "p_value": float(r.p_value)})
    out = pd.DataFrame(rows)
    out.attrs = {"H0": "no cointegration", "trend": trend, "lags": lags,
                 "pedroni": {k: v for k, v in ped.attrs.items() if k not in ("labels",)},
                 "notes": notes}
    return out


__all__ = ["cointegration_table", "kao_test", "newey_west_bandwidth", "pedroni_moments",
           "pedroni_test"]
