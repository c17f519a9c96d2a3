"""The ecological detector: do two factors explain y significantly differently (ratio of SSW)?"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Sequence
from typing import Literal

import pandas as pd
from scipy import stats

from spatialecon.geodetector._input import (
    GeodetectorError,
    Missing,
    Singletons,
    _attrs,
    _check_strata,
    _prepare,
    check_conventions,
)
from spatialecon.geodetector._moments import moments_of
from spatialecon.geodetector.factor import q_statistics

EcologicalRule = Literal["unordered", "ordered"]


def ecological_detector(
    df: pd.DataFrame,
    y: Hashable,
    factors: Sequence[Hashable],
    *,
    alpha: float = 0.05,
    rule: EcologicalRule = "unordered",
    singletons: Singletons = "keep",
    missing: Missing = "raise",
) -> pd.DataFrame:
    """Ecological detector: do two factors explain y's spatial pattern significantly differently?

    F = (1 − q_a) / (1 − q_b), the ratio of the within-strata sums of squares SSW_a / SSW_b
    (Wang et al. 2010; with ``singletons="drop"`` each is relative to its own rows' SST, as in
    ``gdverse``), against F(N − 1, N − 1).

    Parameters
    ----------
    df, y, factors, singletons, missing
        As in :func:`factor_detector` (at least two factors).
    alpha
        Significance level.
    rule
        ``"unordered"`` (default): the larger SSW over the smaller, significant when it exceeds
        the 1 − alpha quantile of F(N−1, N−1); the decision does not depend on the order of the
        pair. (Read as a two-sided test of equal SSW this has level 2·alpha.) R ``geodetector``
        also tests both directions (its ratio is of the q values, at the 0.9 quantile); on the
        NTD example it gives the same decisions. ``"ordered"``: F = SSW_a / SSW_b one-sided
        (p = P(F' > F)), as R ``gdverse`` and ``GD`` do, so (a, b) and (b, a) can disagree: a pair
        listed with the stronger factor first is never significant.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``factor_a``, ``factor_b``, ``q_a``, ``q_b``, ``F``, ``df1``, ``df2``,
        ``p``, ``significant`` and ``stronger`` (the factor with the larger q, i.e. the smaller
        SSW). ``attrs`` holds alpha, rule and the conventions.
    """
    if rule not in ("unordered", "ordered"):
        raise GeodetectorError(f"rule must be 'unordered' or 'ordered', not {rule!r}")
    if not 0 < alpha < 1:
        raise GeodetectorError(f"alpha must lie in (0, 1), not {alpha!r}")
    check_conventions("sample", singletons)
    data = _prepare(df, y, factors, missing, min_factors=2)
    moments = moments_of(data, pairs=False)
    _check_strata(data, [moments.single(i).n for i in range(len(data.names))])
    qs = [q_statistics(moments.single(i), "sample", singletons, name).q
          for i, name in enumerate(data.names)]
    out = ecological_rows(data.names, qs, len(data.y), alpha, rule)
    out.attrs = _attrs(y, data, missing, alpha=alpha, rule=rule, singletons=singletons)
    return out


def ecological_rows(names: list[Hashable], qs: list[float], n: int, alpha: float,
                    rule: EcologicalRule) -> pd.DataFrame:
    """Ecological-detector rows for every pair of factors from their q values (the F statistic
    is the ratio of their within-strata sums of squares, (1 − q_a) / (1 − q_b))."""
    rows = []
    dof = n - 1
    for i, j in itertools.combinations(range(len(names)), 2):
        ua, ub = 1.0 - qs[i], 1.0 - qs[j]  # SSW / SST of each factor
        if rule == "unordered":
            big, small = max(ua, ub), min(ua, ub)
            ratio = big / small if small > 0 else (math.inf if big > 0 else math.nan)
        else:
            ratio = ua / ub if ub > 0 else (math.inf if ua > 0 else math.nan)
        p = float(stats.f.sf(ratio, dof, dof)) if not math.isnan(ratio) else math.nan
        stronger = names[i] if qs[i] > qs[j] else names[j] if qs[j] > qs[i] else None
        rows.append({"factor_a": names[i], "factor_b": names[j], "q_a": qs[i], "q_b": qs[j],
                     "F": ratio, "df1": dof, "df2": dof, "p": p,
                     "significant": bool(p < alpha) if not math.isnan(p) else False,
                     "stronger": stronger})
    return pd.DataFrame(rows, columns=["factor_a", "factor_b", "q_a", "q_b", "F", "df1", "df2",
                                       "p", "significant", "stronger"])


