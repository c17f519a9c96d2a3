"""Economic weights: economic distance and the nested economic–geographic form."""

from __future__ import annotations

import numpy as np
import pandas as pd
from libpysal.weights import W

from spatialecon.weights._build import _make_w
from spatialecon.weights._common import WeightsError


def _unit_means(values: pd.Series | pd.DataFrame, variable: str | None) -> pd.Series:
    """Per-unit mean of a Series indexed by code, or of one variable of a tidy panel."""
    if isinstance(values, pd.DataFrame):
        if variable is None:
            raise WeightsError("pass variable= to choose the panel variable (e.g. per-capita GDP)")
        sub = values[values["variable"] == variable]
        if sub.empty:
            raise WeightsError(f"variable {variable!r} is not in the panel")
        values = sub.groupby("adcode")["value"].mean()
    missing = values.index[values.isna()]
    if len(missing):
        raise WeightsError(f"{len(missing)} unit(s) have no value: {list(missing[:10])}")
    return values.astype(float)


def economic_distance(
    values: pd.Series | pd.DataFrame, *, variable: str | None = None,
    transform: str | None = None,
) -> W:
    """Economic-distance weights :math:`w_{ij} = 1/|\\bar x_i - \\bar x_j|`.

    ``values`` is a Series indexed by unit code (e.g. mean per-capita GDP) or a tidy panel with
    ``variable=``, whose per-unit mean over the years is used. Two units with equal means would
    get an infinite weight: an error names them.
    """
    means = _unit_means(values, variable)
    x = means.to_numpy()
    diff = np.abs(x[:, None] - x[None, :])
    n = len(x)
    ties = [(int(means.index[i]), int(means.index[j])) for i, j in zip(*np.nonzero(diff == 0),
                                                                    strict=True) if i < j]
    if ties:
        raise WeightsError(f"units with equal means get an infinite economic weight: {ties[:10]}")
    with np.errstate(divide="ignore"):
        values_ = np.where(np.eye(n, dtype=bool), 0.0, 1.0 / diff)
    codes = [int(c) for c in means.index]
    neighbors = {c: [codes[j] for j in range(n) if j != i] for i, c in enumerate(codes)}
    weights = {c: [values_[i, j] for j in range(n) if j != i] for i, c in enumerate(codes)}
    meta = {"kind": "economic distance", "formula": "1/|mean_i - mean_j|", "variable": variable}
    return _make_w(neighbors, weights, codes, meta, transform)


def economic_geographic(
    geographic: W, values: pd.Series | pd.DataFrame, *, variable: str | None = None,
    transform: str | None = None,
) -> W:
    """Nested economic–geographic weights :math:`W = W_d\\,\\mathrm{diag}(\\bar Y_1/\\bar Y, …,
    \\bar Y_n/\\bar Y)`: each geographic weight :math:`w_{ij}` scaled by the relative mean
    :math:`\\bar Y_j / \\bar Y` of the neighbour, so richer neighbours weigh more (林光平, 龙志和,
    吴梅 2005). ``geographic`` is used as it stands (untransformed weights are expected);
    ``values`` as in :func:`economic_distance`.
    """
    means = _unit_means(values, variable)
    missing = [i for i in geographic.id_order if i not in means.index]
    if missing:
        raise WeightsError(f"no economic value for unit(s) {missing[:10]} of the weights")
    relative = means / means.loc[geographic.id_order].mean()
    weights = {i: [w * relative[j] for j, w in zip(geographic.neighbors[i],
                                                  geographic.weights[i], strict=True)]
               for i in geographic.id_order}
    meta = {"kind": "economic-geographic", "formula": "w_ij * mean_j / mean",
            "variable": variable, "geographic": getattr(geographic, "meta", {})}
    return _make_w(geographic.neighbors, weights, geographic.id_order, meta, transform)
