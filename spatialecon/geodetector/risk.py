"""The risk detector: mean of y per stratum and pairwise t-tests between strata."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from spatialecon.geodetector._input import (
    GeodetectorError,
    Missing,
    _check_strata,
    _compact,
    _prepare,
)

RiskTest = Literal["welch", "student"]


@dataclass(frozen=True)
class RiskResult:
    """Risk detector of one factor.

    Attributes
    ----------
    factor
        The factor's column name.
    means
        Indexed by stratum (sorted): ``mean``, ``n``, ``sd`` (n − 1 denominator), ``ci_low`` and
        ``ci_high`` (t interval at level 1 − alpha; NaN for one-row strata).
    tests
        One row per pair of strata: ``stratum_a``, ``stratum_b``, ``diff`` (mean a − mean b),
        ``t``, ``df``, ``p`` (two-sided), ``significant`` (p < alpha). Pairs without a test
        (a one-row stratum, or no variance in either) have NaN t and p and are not significant.
    significance
        Square boolean DataFrame strata × strata, symmetric, False on the diagonal.
    alpha
        Significance level.
    test
        ``"welch"`` or ``"student"``.
    """

    factor: Hashable
    means: pd.DataFrame
    tests: pd.DataFrame
    significance: pd.DataFrame
    alpha: float
    test: str


def _risk(y: np.ndarray, codes: np.ndarray, labels: np.ndarray, name: Hashable, alpha: float,
          test: RiskTest) -> RiskResult:
    counts = np.bincount(codes, minlength=len(labels))
    if (counts == 0).any():
        codes, labels = _compact(codes, labels)
    k = len(labels)
    n = np.bincount(codes, minlength=k).astype(np.float64)
    means = np.bincount(codes, weights=y, minlength=k) / n
    # Two passes (means, then squared deviations): the t-tests divide by these variances, so
    # they are computed exactly rather than from raw moments; it is one factor, so it is cheap.
    resid = y - means[codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.bincount(codes, weights=resid * resid, minlength=k) / (n - 1)
    var[n < 2] = np.nan
    sd = np.sqrt(var)
    half = stats.t.ppf(1 - alpha / 2, n - 1) * sd / np.sqrt(n)
    index = pd.Index(labels, name=name)
    means_table = pd.DataFrame({"mean": means, "n": n.astype(np.int64), "sd": sd,
                                "ci_low": means - half, "ci_high": means + half}, index=index)
    ia, ib = np.triu_indices(k, 1)
    diff = means[ia] - means[ib]
    va, vb, na, nb = var[ia], var[ib], n[ia], n[ib]
    with np.errstate(divide="ignore", invalid="ignore"):
        if test == "welch":
            ea, eb = va / na, vb / nb
            se = np.sqrt(ea + eb)
            dof = (ea + eb) ** 2 / (ea**2 / (na - 1) + eb**2 / (nb - 1))
        else:
            dof = na + nb - 2
            pooled = ((na - 1) * va + (nb - 1) * vb) / dof
            se = np.sqrt(pooled * (1 / na + 1 / nb))
        t = np.where(se > 0, diff / se, np.nan)
    p = 2 * stats.t.sf(np.abs(t), dof)
    significant = np.nan_to_num(p, nan=1.0) < alpha
    tests = pd.DataFrame({"stratum_a": labels[ia], "stratum_b": labels[ib], "diff": diff, "t": t,
                          "df": dof, "p": p, "significant": significant})
    matrix = np.zeros((k, k), dtype=bool)
    matrix[ia, ib] = significant
    matrix[ib, ia] = significant
    significance = pd.DataFrame(matrix, index=index, columns=pd.Index(labels, name=name))
    return RiskResult(name, means_table, tests, significance, alpha, test)


def risk_detector(
    df: pd.DataFrame,
    y: Hashable,
    factor: Hashable,
    *,
    alpha: float = 0.05,
    test: RiskTest = "welch",
    missing: Missing = "raise",
) -> RiskResult:
    """Risk detector: mean of y in each stratum and pairwise t-tests between strata.

    Parameters
    ----------
    df, y, missing
        As in :func:`factor_detector`.
    factor
        One categorical column.
    alpha
        Significance level of the tests and 1 − confidence level of the intervals.
    test
        ``"welch"`` (default: unequal variances, Welch–Satterthwaite df, as R ``gdverse``, ``GD``
        and ``geodetector`` — the latter rounds the df) or ``"student"`` (pooled variance).

    Returns
    -------
    RiskResult
        ``.means``, ``.tests`` and ``.significance`` (see :class:`RiskResult`).
    """
    if test not in ("welch", "student"):
        raise GeodetectorError(f"test must be 'welch' or 'student', not {test!r}")
    if not 0 < alpha < 1:
        raise GeodetectorError(f"alpha must lie in (0, 1), not {alpha!r}")
    data = _prepare(df, y, [factor], missing)
    _check_strata(data, [np.bincount(data.code(0), minlength=len(data.labels[0]))])
    return _risk(data.y, data.code(0), data.labels[0], factor, alpha, test)


