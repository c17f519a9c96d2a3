"""Discretisation of a continuous factor into strata (equal interval, quantiles, natural breaks,
geometric, std-mean, user-defined)."""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from spatialecon.geodetector._input import GeodetectorError

Method = Literal[
    "equal_interval", "quantiles", "natural_breaks", "geometric", "std_mean", "user_defined"
]
METHODS: tuple[str, ...] = (
    "equal_interval", "quantiles", "natural_breaks", "geometric", "std_mean", "user_defined"
)
# The names R's GD::disc uses, accepted too so that scripts port without a lookup table.
_METHOD_ALIASES = {"equal": "equal_interval", "quantile": "quantiles", "natural": "natural_breaks",
                   "jenks": "natural_breaks", "fisher_jenks": "natural_breaks", "sd": "std_mean",
                   "manual": "user_defined"}
# Break-finding works on at most this many values; above it on evenly spaced order statistics
# (a deterministic quantile sketch): mapclassify computes fit statistics over every value, which
# takes ~1 s per call at 10⁶ values, and Fisher–Jenks is quadratic in the number of values.
SKETCH_SIZE = 10_000
_JENKS_SIZE = 2_000


@dataclass(frozen=True)
class Discretization:
    """Strata of a continuous variable.

    Attributes
    ----------
    method
        One of :data:`METHODS`.
    k
        Number of classes asked for (the number of ``breaks`` for ``user_defined``).
    breaks
        Upper bound of each class formed; classes are closed on the right, as in mapclassify:
        class ``i`` holds ``breaks[i-1] < x <= breaks[i]``, class 0 everything ``<= breaks[0]``.
    codes
        Class of each value, 0-based, aligned with the input; ``-1`` where missing.
    counts
        Values per class.
    labels
        ``"(a, b]"`` text of each class.
    sampled
        True when the breaks were found on a quantile sketch of the values (more than
        :data:`SKETCH_SIZE` values, or :data:`_JENKS_SIZE` distinct values for natural breaks).
    index
        Index of the input.
    """

    method: str
    k: int
    breaks: np.ndarray
    codes: np.ndarray
    counts: np.ndarray
    labels: list[str]
    sampled: bool
    index: pd.Index

    @property
    def strata(self) -> pd.Series:
        """Class labels as an ordered categorical, aligned with the input (NaN where missing)."""
        cat = pd.Categorical.from_codes(self.codes, categories=self.labels, ordered=True)
        return pd.Series(cat, index=self.index)


def _sketch(values: np.ndarray, size: int) -> np.ndarray:
    """``size`` evenly spaced order statistics (min and max included), deterministic."""
    return np.quantile(values, np.linspace(0.0, 1.0, size), method="linear")


def _fisher_jenks(values: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    """Exact Fisher–Jenks (minimum within-class sum of squares) upper bounds of sorted distinct
    ``values`` with multiplicities ``weights``.

    Written here because mapclassify's FisherJenks runs its O(k·n²) dynamic programme in Python
    loops without numba (0.24 s for 185 values and 8 classes, 14 s for 2,000); this is the same
    programme with each step a numpy array operation over all split points at once.
    """
    m = len(values)
    k = min(k, m)
    centred = values - np.average(values, weights=weights)
    w = np.concatenate([[0.0], np.cumsum(weights)])
    s1 = np.concatenate([[0.0], np.cumsum(weights * centred)])
    s2 = np.concatenate([[0.0], np.cumsum(weights * centred**2)])
    # cost[a, b]: sum of squares of values a..b (0-based, inclusive), +inf where a > b.
    a = np.arange(m)[:, None]
    b = np.arange(m)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        cw = w[b + 1] - w[a]
        cost = (s2[b + 1] - s2[a]) - (s1[b + 1] - s1[a]) ** 2 / cw
    cost = np.where(a <= b, np.maximum(cost, 0.0), np.inf)
    best = cost[0].copy()  # best[b]: one class over 0..b
    starts = np.zeros((k, m), dtype=np.intp)
    for j in range(1, k):
        # candidate[a, b]: classes 1..j over 0..a−1, class j+1 over a..b
        candidate = np.full((m, m), np.inf)
        candidate[1:] = best[:-1, None] + cost[1:]
        starts[j] = np.argmin(candidate, axis=0)
        best = candidate[starts[j], np.arange(m)]
    ends, end = [], m - 1
    for j in range(k - 1, 0, -1):
        start = starts[j, end]
        ends.append(end)
        end = start - 1
    ends.append(end)
    return values[np.array(sorted(ends))]


def _geometric_breaks(values: np.ndarray, k: int) -> np.ndarray:
    """Breaks in geometric progression from min to max (R GD::disc "geometric").

    mapclassify has no geometric classifier. Values ≤ 0 are shifted to start at 1 first (GD adds
    1 only when the minimum is 0), and the breaks shifted back.
    """
    low, high = float(values.min()), float(values.max())
    shift = 0.0 if low > 0 else 1.0 - low
    ratio = ((high + shift) / (low + shift)) ** (1.0 / k)
    breaks = (low + shift) * ratio ** np.arange(1, k + 1) - shift
    breaks[-1] = high  # exact top despite rounding
    return breaks


def _breaks(values: np.ndarray, method: str, k: int,
            user_breaks: np.ndarray | None) -> tuple[np.ndarray, bool]:
    # Imported here: mapclassify compiles its Fisher–Jenks kernel (numba, uncached) on import,
    # seconds in every fresh process, and the detectors themselves never need it.
    import mapclassify

    sampled = False
    if method == "user_defined":
        assert user_breaks is not None
        bins = mapclassify.UserDefined(values[:1], bins=list(user_breaks)).bins
        bins = np.asarray(bins, dtype=float)
        return (bins if bins[-1] >= values.max() else np.append(bins, values.max())), False
    if method == "geometric":
        return _geometric_breaks(values, k), False
    if method == "natural_breaks":
        distinct, counts = np.unique(values, return_counts=True)
        if len(distinct) > _JENKS_SIZE:
            distinct = np.unique(_sketch(values, _JENKS_SIZE))
            counts = np.ones(len(distinct))
            sampled = True
        return _fisher_jenks(distinct, counts.astype(float), k), sampled
    sample = values
    if len(values) > SKETCH_SIZE:
        sample, sampled = _sketch(values, SKETCH_SIZE), True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mapclassify warns about duplicate quantile bins
        if method == "quantiles":
            bins = mapclassify.Quantiles(sample, k=k).bins
        elif method == "equal_interval":
            bins = mapclassify.EqualInterval(sample, k=k).bins
        else:  # std_mean: k classes, boundaries one σ apart, centred on the mean
            multiples = [j - k / 2 for j in range(1, k)]
            bins = mapclassify.StdMean(sample, multiples=multiples).bins
    return np.unique(np.asarray(bins, dtype=float)), sampled


def _interval_labels(lower: float, breaks: np.ndarray) -> list[str]:
    bounds = np.concatenate([[lower], breaks])
    for digits in range(2, 12):
        text = [f"{v:.{digits}g}" for v in bounds]
        if len(set(text)) == len(text):
            break
    return [f"[{text[0]}, {text[1]}]"] + [f"({text[i]}, {text[i + 1]}]"
                                           for i in range(1, len(breaks))]


def discretize(
    values: pd.Series | np.ndarray | Sequence[float],
    method: str = "quantiles",
    k: int = 5,
    *,
    breaks: Sequence[float] | None = None,
    name: Hashable | None = None,
) -> Discretization:
    """Cut a continuous variable into strata.

    Parameters
    ----------
    values
        Numbers; NaN for missing (coded ``-1``).
    method
        ``"equal_interval"``, ``"quantiles"``, ``"natural_breaks"`` (Fisher–Jenks),
        ``"geometric"`` (breaks in geometric progression, as R GD), ``"std_mean"`` (k classes
        whose inner boundaries lie one standard deviation apart, symmetric about the mean;
        mapclassify's StdMean, with the n − 1 standard deviation) or
        ``"user_defined"`` (``breaks`` required). GD's names (``"equal"``, ``"quantile"``,
        ``"natural"``, ``"sd"``, ``"manual"``) are accepted too.
    k
        Number of classes (ignored for ``user_defined``). Ties can make fewer.
    breaks
        Upper class bounds for ``user_defined``, increasing; a class up to the maximum is added
        when the maximum exceeds the last bound.
    name
        Column name for messages.

    Returns
    -------
    Discretization

    Notes
    -----
    Quantile, equal-interval and std-mean breaks come from mapclassify. With more than
    :data:`SKETCH_SIZE` values they are computed on that many evenly spaced order statistics
    (exact for equal interval, within 1/SKETCH_SIZE in rank otherwise) and every value is then
    classified, which keeps raster-scale data in seconds. Natural breaks are exact on up to
    2,000 distinct values.
    """
    label = f"{name!r}" if name is not None else "values"
    method = _METHOD_ALIASES.get(method, method)
    if method not in METHODS:
        raise GeodetectorError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        raise GeodetectorError(f"{label} is not numeric (dtype {series.dtype}); nothing to cut")
    x = series.to_numpy(dtype="float64", na_value=np.nan)
    present = ~np.isnan(x)
    if np.isinf(x).any():
        raise GeodetectorError(f"{label} has infinite values; replace them first")
    if not present.any():
        raise GeodetectorError(f"{label} has no values to discretise")
    user_breaks = None
    if method == "user_defined":
        if breaks is None or len(breaks) == 0:
            raise GeodetectorError("method='user_defined' needs breaks= (upper class bounds)")
        user_breaks = np.asarray(breaks, dtype=float)
        if not np.isfinite(user_breaks).all() or (np.diff(user_breaks) <= 0).any():
            raise GeodetectorError(f"breaks must be finite and increasing, got {list(breaks)}")
        k = len(user_breaks)
    elif breaks is not None:
        raise GeodetectorError(f"breaks= is only used with method='user_defined', not {method!r}")
    elif int(k) != k or k < 2:
        raise GeodetectorError(f"k must be an integer ≥ 2, not {k!r}")
    k = int(k)
    xs = x[present]
    if xs.min() == xs.max():
        cuts, sampled = np.array([xs[0]]), False
    else:
        cuts, sampled = _breaks(xs, method, k, user_breaks)
    codes = np.full(len(x), -1, dtype=np.intp)
    # right-closed classes; values above the last bound (user breaks) join the last class
    codes[present] = np.minimum(np.searchsorted(cuts, xs, side="left"), len(cuts) - 1)
    counts = np.bincount(codes[present], minlength=len(cuts))
    if (counts == 0).any():  # empty classes (e.g. std_mean beyond the data) carry no stratum
        keep = counts > 0
        lookup = np.cumsum(keep) - 1
        codes[present] = lookup[codes[present]]
        cuts, counts = cuts[keep], counts[keep]
    return Discretization(method, k, cuts, codes, counts,
                          _interval_labels(float(xs.min()), cuts), sampled, series.index)


_discretize = discretize


