"""Dumitrescu–Hurlin (2012) panel Granger non-causality test and its two-way table."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from spatialecon.econometrics._common import (
    ENTITY,
    EconometricsError,
    PanelTest,
    _check_not_constant,
    _check_spacing,
    _listing,
    _series,
    _statistics,
    panel_frame,
)

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
