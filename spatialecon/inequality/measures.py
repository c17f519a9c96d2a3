"""Gini coefficient, coefficient of variation (Williamson's with population weights) and
regional means, per variable and year; input as for :func:`spatialecon.inequality.theil`."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from spatialecon._labels import format_units
from spatialecon.inequality._input import (
    _KEYS,
    _NO_YEAR,
    InequalityError,
    _attach_groups,
    _attach_weights,
    _long,
    _validate,
    _where,
)


def _per_key(values: Any, weights: Any, func: Any, name: str) -> float | pd.Series:
    long, single = _long(values)
    long, convention = _attach_weights(long, weights)
    _validate(long, None)
    out = long.groupby(_KEYS, sort=True).apply(
        lambda rows: func(rows["value"].to_numpy(), rows["weight"].to_numpy()),
        include_groups=False)
    out.name = name
    if (out.index.get_level_values("year") == _NO_YEAR).all():
        out = out.droplevel("year")
    out.attrs = {"weights": convention}
    return float(out.iloc[0]) if single else out


def gini(
    values: pd.Series | pd.DataFrame | np.ndarray,
    *,
    weights: pd.Series | Mapping[Hashable, float] | pd.DataFrame | None = None,
    small_sample: bool = False,
) -> float | pd.Series:
    """Gini coefficient ``G = Σ_i Σ_j p_i p_j |y_i − y_j| / (2 ȳ)``, ``ȳ = Σ p_i y_i``.

    Parameters
    ----------
    values
        As for :func:`theil` (non-negative).
    weights
        Unit weights (population); ``None`` counts every unit once (then ``G`` equals PySAL's
        ``inequality.gini.Gini``).
    small_sample
        Multiply by ``n / (n − 1)`` (unweighted only), the bias correction some software uses.

    Returns
    -------
    float or pandas.Series
        A float for one cross-section, else a Series indexed by ``(variable, year)``.
    """
    def g(y: np.ndarray, n: np.ndarray) -> float:
        order = np.argsort(y, kind="stable")
        y, p = y[order], n[order] / n.sum()
        mean = (p * y).sum()
        # With y sorted, Σ_i Σ_j p_i p_j |y_i − y_j| = 2 Σ_i p_i y_i (B_i − A_i), B_i and A_i the
        # weight shares before and after unit i (ties add |0| either way): O(n log n), not O(n²)
        cum = np.cumsum(p)
        below, above = cum - p, 1.0 - cum
        mad = 2 * (p * y * (below - above)).sum()
        value = mad / (2 * mean)
        if small_sample:
            if weights is not None:
                raise InequalityError("small_sample applies to unweighted Gini only")
            value *= len(y) / (len(y) - 1)
        return float(value)

    return _per_key(values, weights, g, "gini")


def coefficient_of_variation(
    values: pd.Series | pd.DataFrame | np.ndarray,
    *,
    weights: pd.Series | Mapping[Hashable, float] | pd.DataFrame | None = None,
    ddof: int = 0,
) -> float | pd.Series:
    """Coefficient of variation ``σ / ȳ``; with population weights Williamson's (1965) index.

    Parameters
    ----------
    values
        As for :func:`theil`.
    weights
        Unit weights: ``σ² = Σ p_i (y_i − ȳ)²`` with ``ȳ = Σ p_i y_i`` (Williamson's
        population-weighted CV). ``None``: every unit once.
    ddof
        ``0`` (default; population standard deviation, as ``scipy.stats.variation``) or ``1``
        (sample standard deviation, as Stata's ``summarize`` and R's ``sd``); unweighted only.

    Returns
    -------
    float or pandas.Series
        A float for one cross-section, else a Series indexed by ``(variable, year)``.
    """
    if ddof not in (0, 1):
        raise InequalityError(f"ddof must be 0 or 1, not {ddof}")
    if ddof and weights is not None:
        raise InequalityError("ddof=1 applies to the unweighted CV only")

    def cv(y: np.ndarray, n: np.ndarray) -> float:
        p = n / n.sum()
        mean = (p * y).sum()
        var = (p * (y - mean) ** 2).sum() * (len(y) / (len(y) - ddof))
        return float(np.sqrt(var) / mean)

    return _per_key(values, weights, cv, "cv")


def regional_means(
    values: pd.Series | pd.DataFrame,
    groups: str | pd.Series | Mapping[Hashable, Hashable],
    *,
    weights: pd.Series | Mapping[Hashable, float] | pd.DataFrame | None = None,
    overall: str | None = "全国",
) -> pd.DataFrame:
    """Mean of each region (and of all units) per variable and year.

    Parameters
    ----------
    values
        As for :func:`theil` (a tidy panel such as ``datasets.load("finpoverty_dea")``).
    groups
        A region scheme name or a mapping ``adcode → region``.
    weights
        Unit weights for weighted means (default: simple means, as the seed's articles print).
    overall
        Label of the all-units row (``None`` to omit it).

    Returns
    -------
    pandas.DataFrame
        Tidy: ``region, year, variable, value, n``.
    """
    long, _ = _long(values)
    long, _ = _attach_weights(long, weights)
    long, meta = _attach_groups(long, groups)
    missing = long["value"].isna()
    if missing.any():
        raise InequalityError(f"missing values for {format_units(_where(long[missing]))}")

    def mean(rows: pd.DataFrame) -> pd.Series:
        return pd.Series({"value": np.average(rows["value"], weights=rows["weight"]),
                          "n": len(rows)})

    parts = [long.groupby(["group", "year", "variable"], sort=False).apply(
        mean, include_groups=False).reset_index().rename(columns={"group": "region"})]
    if overall is not None:
        parts.append(long.groupby(["year", "variable"], sort=False).apply(
            mean, include_groups=False).reset_index().assign(region=overall))
    out = pd.concat(parts, ignore_index=True)[["region", "year", "variable", "value", "n"]]
    out["n"] = out["n"].astype("int64")
    out.attrs = {"statistic": "weighted mean" if weights is not None else "simple mean", **meta}
    return out
