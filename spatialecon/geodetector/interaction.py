"""The interaction detector: q of the strata of two factors crossed, and the type of interaction."""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence

import pandas as pd

from spatialecon.geodetector._input import (
    Missing,
    Singletons,
    Variance,
    _attrs,
    _check_strata,
    _prepare,
    check_conventions,
)
from spatialecon.geodetector._moments import StrataMoments, moments_of
from spatialecon.geodetector.factor import q_statistics

#: Interaction types in order of strength (Wang & Xu 2017, Table 2), spelt as R prints them.
INTERACTION_TYPES: tuple[str, ...] = (
    "Weaken, nonlinear",   # q(X1∩X2) < min(q1, q2)
    "Weaken, uni-",        # min ≤ q(X1∩X2) ≤ max
    "Enhance, bi-",        # max < q(X1∩X2) < q1 + q2
    "Independent",         # q(X1∩X2) = q1 + q2
    "Enhance, nonlinear",  # q(X1∩X2) > q1 + q2
)


def interaction_type(q_a: float, q_b: float, q_ab: float, tol: float = 1e-10) -> str:
    """Type of the interaction of two factors (Wang & Xu 2017, Table 2).

    Comparisons treat values within ``tol`` as equal: rounding can put q(X1∩X2) a hair above
    max(q1, q2) when one factor nests in the other, and "Independent" (q(X1∩X2) = q1 + q2) would
    otherwise never occur with floating point.
    """
    low, high, total = min(q_a, q_b), max(q_a, q_b), q_a + q_b
    if abs(q_ab - total) <= tol:
        return "Independent"
    if q_ab < low - tol:
        return "Weaken, nonlinear"
    if q_ab <= high + tol:
        return "Weaken, uni-"
    if q_ab < total:
        return "Enhance, bi-"
    return "Enhance, nonlinear"


def interaction_detector(
    df: pd.DataFrame,
    y: Hashable,
    factors: Sequence[Hashable],
    *,
    variance: Variance = "sample",
    singletons: Singletons = "keep",
    missing: Missing = "raise",
    tol: float = 1e-10,
) -> pd.DataFrame:
    """Interaction detector: q(X1∩X2) of every pair of factors and the type of interaction.

    The strata of X1∩X2 are the non-empty cells of the cross-tabulation of X1 and X2.

    Parameters
    ----------
    df, y, factors, variance, singletons, missing
        As in :func:`factor_detector` (at least two factors).
    tol
        Tolerance of the comparisons that decide the type (see :func:`interaction_type`).

    Returns
    -------
    pandas.DataFrame
        One row per pair in the order of ``factors``: ``factor_a``, ``factor_b``, ``q_a``,
        ``q_b``, ``q`` (of X_a ∩ X_b), ``type`` (one of :data:`INTERACTION_TYPES`) and
        ``strata`` (non-empty cells). No p-value: none of the reference packages gives one, and
        the published λ (see :func:`factor_detector`) makes it meaningless for the many small
        strata of a cross-tabulation.

    Notes
    -----
    On the same rows q(X1∩X2) ≥ max(q1, q2) (a finer partition cannot raise SSW), so the
    "Weaken" types only arise with ``singletons="drop"``, where each q uses its own rows.
    """
    check_conventions(variance, singletons)
    data = _prepare(df, y, factors, missing, min_factors=2)
    moments = moments_of(data)
    _check_strata(data, [moments.single(i).n for i in range(len(data.names))])
    out = interaction_table(moments, data.names, variance=variance, singletons=singletons,
                            tol=tol)
    out.attrs = _attrs(y, data, missing, variance=variance, singletons=singletons, tol=tol)
    return out


def interaction_table(moments: StrataMoments, names: Sequence[Hashable], *,
                      variance: Variance = "sample", singletons: Singletons = "keep",
                      tol: float = 1e-10, q: Sequence[float] | None = None) -> pd.DataFrame:
    """The interaction detector's table from sufficient statistics (e.g. merged over chunks).

    Parameters
    ----------
    moments
        From :func:`~spatialecon.geodetector.chunk_moments` (with pairs) /
        :func:`~spatialecon.geodetector.merge_moments`.
    names
        One name per factor, in the order of the moments.
    variance, singletons, tol
        As in :func:`interaction_detector`.
    q
        Each factor's q when already known (the factor detector's), to save recomputing it.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`interaction_detector` (without its ``attrs``).
    """
    check_conventions(variance, singletons)
    names = list(names)
    if q is None:
        q = [q_statistics(moments.single(i), variance, singletons, name, with_p=False).q
             for i, name in enumerate(names)]
    rows = []
    for i, j in itertools.combinations(range(len(names)), 2):
        a, b = names[i], names[j]
        both = q_statistics(moments.pair(i, j), variance, singletons, f"{a} ∩ {b}",
                            with_p=False)
        rows.append({"factor_a": a, "factor_b": b, "q_a": q[i], "q_b": q[j], "q": both.q,
                     "type": interaction_type(q[i], q[j], both.q, tol), "strata": both.strata})
    return pd.DataFrame(rows, columns=["factor_a", "factor_b", "q_a", "q_b", "q", "type",
                                       "strata"])


