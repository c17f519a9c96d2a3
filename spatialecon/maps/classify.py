"""Class breaks, colours and legend labels shared by the static and the HTML maps.

Both kinds of map call :func:`classify` so that a unit falls into the same class, with the same
colour and the same legend text, in the PNG of a paper and in its HTML companion.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_hex

from spatialecon.maps._jenks import fisher_jenks_bins
from spatialecon.validation import SpatialEconError


class MapError(SpatialEconError):
    """Data, layers or options a map cannot be drawn from."""


Scheme = Literal["natural_breaks", "quantiles", "equal_interval", "std_mean", "user_defined"]
SCHEMES: tuple[Scheme, ...] = (
    "natural_breaks",
    "quantiles",
    "equal_interval",
    "std_mean",
    "user_defined",
)
_CLASSIFIERS = {
    "natural_breaks": mapclassify.FisherJenks,
    "quantiles": mapclassify.Quantiles,
    "equal_interval": mapclassify.EqualInterval,
    "std_mean": mapclassify.StdMean,
    "user_defined": mapclassify.UserDefined,
}
# Schemes whose breaks are data values: they cannot form more classes than distinct values.
_DATA_DRIVEN = ("natural_breaks", "quantiles")
# Above this many values natural breaks come from our O(k·n·log n) programme (maps._jenks), the
# same exact optimum as mapclassify's O(k·n²) FisherJenks, which takes 0.1 s at 3,000 values
# but 20 s at 40,000; at or below it mapclassify's own, so every map of the built-in studies
# (2,848 counties at most) keeps its classes bit for bit.
JENKS_DP_ABOVE = 3_000
MISSING_COLOR = "#d9d9d9"
MISSING_HATCH = "////"
MISSING_HATCH_COLOR = "#8c8c8c"
EN_DASH = "–"


@dataclass(frozen=True)
class Classification:
    """The classes of one column.

    Attributes
    ----------
    scheme
        The scheme used (one of :data:`SCHEMES`).
    k
        Number of classes actually formed (may be less than asked, see :func:`classify`).
    bins
        Upper bound of each class, exactly mapclassify's ``bins`` (classes are closed on the
        right: class ``i`` holds ``bins[i-1] < y <= bins[i]``).
    lower
        Lower bound shown for the first class: the smallest value, or ``-inf`` when the first
        upper bound lies below it (``std_mean`` with no unit below mean − 2σ).
    yb
        Class of each unit, aligned with the input; ``-1`` where the value is missing.
    counts
        Units per class (length ``k``).
    n_missing
        Units without a value.
    labels
        Legend text of each class, ``"lower – upper"``.
    decimals
        Decimals of the legend's numbers: as many as it takes to tell the bounds apart; use it
        to print the units' values alike.
    colors
        Hex colour of each class.
    index
        Index of the input values.
    """

    scheme: Scheme
    k: int
    bins: np.ndarray
    lower: float
    yb: np.ndarray
    counts: np.ndarray
    n_missing: int
    labels: list[str]
    decimals: int
    colors: list[str]
    index: pd.Index

    def color_of(self) -> pd.Series:
        """Fill colour of each unit (``None`` where missing), indexed like the input."""
        palette = np.array([*self.colors, None], dtype=object)
        # yb = -1 picks the None; object dtype, or pandas would turn None into NaN.
        return pd.Series(palette[self.yb], index=self.index, dtype=object)

    def label_of(self, missing_label: str) -> pd.Series:
        """Class label of each unit (``missing_label`` where missing), indexed like the input."""
        names = np.array([*self.labels, missing_label], dtype=object)
        return pd.Series(names[self.yb], index=self.index, dtype=object)


def check_column(gdf: gpd.GeoDataFrame, column: str) -> None:
    """Raise a clear error unless ``gdf`` is a non-empty GeoDataFrame with a CRS and ``column``.

    Whether the column is numeric and has data is checked by :func:`classify`.
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"gdf must be a GeoDataFrame, not {type(gdf).__name__}")
    require_columns(gdf, [column], "column")
    if len(gdf) == 0:
        raise MapError("gdf has no rows: no data to map")
    if gdf.crs is None:
        raise MapError(
            "gdf has no CRS; set one first, e.g. gdf.set_crs('EPSG:4326') for longitude/latitude"
        )


def require_columns(gdf: gpd.GeoDataFrame, names: Sequence[str], what: str) -> None:
    """Raise ``KeyError`` naming the absent ones of ``names`` and the columns there are."""
    absent = [name for name in names if name not in gdf.columns]
    if absent:
        available = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
        raise KeyError(
            f"{what} {', '.join(map(repr, absent))} not in gdf; available columns: {available}"
        )


def numeric_values(values: pd.Series, name: str | None = None) -> np.ndarray:
    """``values`` as a float array with NaN for missing, or a clear error.

    Raises
    ------
    TypeError
        The values are not numbers (text, categories, booleans, dates).
    ValueError
        No value at all (the column is empty or entirely missing), or an infinite value.
    """
    label = f"column {name!r}" if name is not None else "values"
    series = pd.Series(values)
    dtype = series.dtype
    # Booleans are numbers to numpy but a two-class map of them is a category map, not a
    # choropleth of magnitudes; ask for an explicit conversion instead of guessing.
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        raise TypeError(
            f"{label} is not numeric (dtype {dtype}); convert it first, e.g. "
            f"pd.to_numeric(gdf[{name!r}], errors='coerce')"
        )
    y = series.to_numpy(dtype="float64", na_value=np.nan)
    if np.isnan(y).all():
        raise MapError(f"{label} has no data to map: all {len(y)} values are missing")
    infinite = np.isinf(y)
    if infinite.any():
        where = ", ".join(map(str, series.index[infinite][:5]))
        raise MapError(f"{label} has {infinite.sum()} infinite value(s) (index {where})")
    return y


def classify(
    values: pd.Series | np.ndarray,
    *,
    scheme: Scheme = "natural_breaks",
    k: int = 5,
    bins: list[float] | np.ndarray | None = None,
    cmap: str = "YlOrRd",
    name: str | None = None,
) -> Classification:
    """Classify ``values`` with mapclassify for a choropleth.

    Parameters
    ----------
    values
        Numbers, NaN/None/NA for missing.
    scheme
        ``"natural_breaks"`` (Fisher–Jenks, exact), ``"quantiles"``, ``"equal_interval"``,
        ``"std_mean"`` (breaks at the mean ± 1 and 2 standard deviations; ``k`` is ignored) or
        ``"user_defined"`` (``bins`` required).
    k
        Number of classes.
    bins
        Upper class bounds for ``scheme="user_defined"``, strictly increasing. When the largest
        value exceeds the last bound, mapclassify adds a class up to it.
    cmap
        Matplotlib colormap name; the classes take evenly spaced colours from it (see
        :func:`class_colors`).
    name
        Column name for error messages.

    Returns
    -------
    Classification

    Raises
    ------
    TypeError
        Non-numeric values.
    ValueError
        No data to map, infinite values, unknown scheme, ``bins`` with another scheme or
        missing for ``user_defined``, ``k < 1``.

    Warns
    -----
    UserWarning
        When there are fewer distinct values than ``k`` with ``natural_breaks`` or
        ``quantiles``, ``k`` is lowered to the number of distinct values (with one distinct
        value, any scheme gives a single class). We reduce rather than raise because the map is
        still right; only the number of classes differs from the request, and the warning and
        the legend say so.

    Notes
    -----
    Natural breaks are exact at every size: mapclassify's Fisher–Jenks (O(k·n²), with numba
    0.04 s for the 2,848 counties) up to :data:`JENKS_DP_ABOVE` values, above it the same
    optimum by an O(k·n·log n) dynamic programme (:mod:`spatialecon.maps._jenks`; 0.03 s at
    40,000 values, 1 s at 1,000,000, where mapclassify's would take hours).
    """
    if scheme not in SCHEMES:
        raise MapError(f"scheme must be one of {', '.join(map(repr, SCHEMES))}, not {scheme!r}")
    if bins is not None and scheme != "user_defined":
        raise MapError(f"bins= is only used with scheme='user_defined', not {scheme!r}")
    if scheme == "user_defined":
        if bins is None or len(bins) == 0:
            raise MapError("scheme='user_defined' needs bins= (upper class bounds)")
        bins = np.asarray(bins, dtype="float64")
        if not np.isfinite(bins).all() or (np.diff(bins) <= 0).any():
            raise MapError(f"bins must be finite and strictly increasing, got {bins.tolist()}")
    elif int(k) != k or k < 1:
        raise MapError(f"k must be a positive integer, not {k!r}")
    k = int(k)

    series = values if isinstance(values, pd.Series) else pd.Series(values)
    index = series.index
    y_all = numeric_values(series, name)
    present = ~np.isnan(y_all)
    y = y_all[present]
    n_distinct = len(np.unique(y))

    if n_distinct == 1:
        # mapclassify refuses a constant column; one class holding every unit is the honest map.
        warnings.warn(
            f"{name or 'values'}: all {len(y)} values are equal ({y[0]:g}); drawing one class",
            UserWarning,
            stacklevel=2,
        )
        classifier = mapclassify.UserDefined(y, bins=[y[0]])
        scheme_used: Scheme = "user_defined"
    else:
        if scheme in _DATA_DRIVEN and n_distinct < k:
            warnings.warn(
                f"{name or 'values'}: only {n_distinct} distinct values, fewer than k={k}; "
                f"using k={n_distinct}",
                UserWarning,
                stacklevel=2,
            )
            k = n_distinct
        kwargs = {"bins": bins} if scheme == "user_defined" else {}
        if scheme in ("natural_breaks", "quantiles", "equal_interval"):
            kwargs["k"] = k
        # mapclassify's Fisher–Jenks accumulates sums of squares in float64: at magnitudes
        # around 1e17 they lose every digit and the breaks come out unordered — a wrong map,
        # silently. Its classes are invariant to an affine rescaling, so it classifies values
        # rescaled to [0, 1] and the breaks are mapped back.
        lo, span = (float(y.min()), float(y.max() - y.min())) if scheme == "natural_breaks" \
            else (0.0, 1.0)
        scaled = (y - lo) / span
        with warnings.catch_warnings():
            # Said on every call, and documented above; the slowness is the only consequence.
            warnings.filterwarnings("ignore", message="Numba not installed")
            if scheme == "natural_breaks" and len(y) > JENKS_DP_ABOVE:
                classifier = mapclassify.UserDefined(scaled, bins=fisher_jenks_bins(scaled, k))
            else:
                classifier = _CLASSIFIERS[scheme](scaled, **kwargs)
        scheme_used = scheme

    class_bins = np.asarray(classifier.bins, dtype="float64")
    if scheme_used == "natural_breaks":  # Fisher–Jenks bounds are the classes' maxima
        class_bins = np.array([y[classifier.yb == c].max() for c in range(len(class_bins))])
    k_used = len(class_bins)
    yb = np.full(len(y_all), -1, dtype=np.int64)
    yb[present] = classifier.yb
    lower = float(y.min()) if y.min() <= class_bins[0] else -math.inf
    decimals = decimals_for(np.concatenate([[lower], class_bins]))
    if scheme_used == "user_defined":
        # the user's own breaks are printed as given (1.75 stays 1.75, not 1.8)
        decimals = max(decimals, exact_decimals(class_bins))
    return Classification(
        scheme=scheme_used,
        k=k_used,
        bins=class_bins,
        lower=lower,
        yb=yb,
        counts=np.bincount(classifier.yb, minlength=k_used),
        n_missing=int((~present).sum()),
        labels=class_labels(lower, class_bins, decimals),
        decimals=decimals,
        colors=class_colors(cmap, k_used),
        index=index,
    )


def class_colors(cmap: str, k: int) -> list[str]:
    """``k`` hex colours spread over ``cmap`` from 12 % to its end (the middle one when
    ``k == 1``).

    The palest 12 % is skipped: the first colour of ``Blues`` or ``Greys`` is nearly white and
    would read as paper or as the light grey of "not in data".
    """
    colormap = colormaps[cmap]
    positions = [0.5] if k == 1 else np.linspace(0.12, 1.0, k)
    return [to_hex(colormap(p)) for p in positions]


def format_number(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals and thousands separators."""
    if math.isinf(value):
        return "−∞" if value < 0 else "∞"
    text = f"{value:,.{decimals}f}"
    return text.lstrip("-") if text.lstrip("-") == f"{0:.{decimals}f}" else text  # no "-0.0"


def decimals_for(values: np.ndarray) -> int:
    """Fewest decimals (0–6) that keep the bounds distinct and show about two significant
    digits of the typical bound: 1,234 → 0, 5.6 → 1, 0.056 → 3; whole numbers get none."""
    finite = np.asarray(values, dtype="float64")
    finite = finite[np.isfinite(finite)]
    nonzero = np.abs(finite[finite != 0])
    minimum = 0
    if len(nonzero) and not np.all(finite == np.round(finite)):
        minimum = int(min(6, max(0, 1 - math.floor(math.log10(float(np.median(nonzero)))))))
    for decimals in range(minimum, 7):
        if len({f"{v:.{decimals}f}" for v in finite}) == len(np.unique(finite)):
            return decimals
    return 6


def exact_decimals(values: np.ndarray, limit: int = 6) -> int:
    """Fewest decimals (up to ``limit``) that print every finite value exactly."""
    finite = np.asarray(values, dtype="float64")
    finite = finite[np.isfinite(finite)]
    for decimals in range(limit + 1):
        if np.allclose(np.round(finite, decimals), finite, rtol=0, atol=1e-12):
            return decimals
    return limit


def class_labels(lower: float, bins: np.ndarray, decimals: int) -> list[str]:
    """Legend text ``"lower – upper"`` of each class; the first starts at ``lower``."""
    bounds = np.concatenate([[lower], bins])
    text = [format_number(v, decimals) for v in bounds]
    labels = [f"{text[i]} {EN_DASH} {text[i + 1]}" for i in range(len(bins))]
    if math.isinf(lower):
        labels[0] = f"≤ {text[1]}"
    return labels
