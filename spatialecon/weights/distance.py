"""Distance weights between points: great-circle or planar distances, inverse, exponential,
band, k-nearest and kernel forms; provincial capitals, polygon centroids and representative
points."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal.weights import W

from spatialecon.geodata import CHINA_ALBERS, capitals
from spatialecon.weights._build import _make_w
from spatialecon.weights._common import DistanceForm, WeightsError, _check_measurable
from spatialecon.weights._geometry import check_units

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius

def great_circle_km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Matrix of great-circle (haversine) distances in km on a sphere of the mean Earth radius.

    Haversine keeps full precision for near and far points alike; the spherical error against
    the ellipsoid (≤ 0.5 %) is far below the differences between weight forms.
    """
    lon, lat = np.radians(np.asarray(lon, float)), np.radians(np.asarray(lat, float))
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _as_lonlat(points: pd.DataFrame | gpd.GeoDataFrame) -> pd.DataFrame:
    """``lon``/``lat`` columns from a DataFrame, or from a GeoDataFrame of points in any CRS
    (converted to geographic coordinates, so projected and geographic inputs never mix)."""
    if isinstance(points, gpd.GeoDataFrame):
        _check_measurable(points.crs, False, "the points")
        _check_point_geometries(points)
        geo = points.geometry.to_crs("EPSG:4326") if not points.crs.is_geographic else (
            points.geometry)
        return pd.DataFrame({"lon": geo.x, "lat": geo.y}, index=points.index)
    missing = {"lon", "lat"} - set(points.columns)
    if missing:
        raise WeightsError(f"points need lon and lat columns (degrees); missing {sorted(missing)}"
                         "; for planar x/y coordinates pass planar=True")
    return points


def _as_xy(points: pd.DataFrame | gpd.GeoDataFrame) -> pd.DataFrame:
    """``x``/``y`` columns taken as they stand (``planar=True``): from a GeoDataFrame of points
    in whatever coordinates it has, or from a DataFrame's ``x`` and ``y`` columns."""
    if isinstance(points, gpd.GeoDataFrame):
        _check_point_geometries(points)
        return pd.DataFrame({"x": points.geometry.x, "y": points.geometry.y},
                            index=points.index)
    missing = {"x", "y"} - set(points.columns)
    if missing:
        raise WeightsError(f"planar points need x and y columns; missing {sorted(missing)}")
    return points


def _check_point_geometries(points: gpd.GeoDataFrame) -> None:
    kinds = set(points.geom_type.dropna())
    if kinds != {"Point"}:
        raise WeightsError(f"expected Point geometries, found {sorted(kinds)}; use "
                         "point_distance() for polygons")


def planar_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Matrix of Euclidean distances between points, in the units of their coordinates."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    return np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])


def _check_points(points: pd.DataFrame, columns: tuple[str, str] = ("lon", "lat")) -> None:
    if points.index.has_duplicates:
        dupes = sorted(set(points.index[points.index.duplicated()]))
        raise WeightsError(f"duplicated unit codes: {dupes[:10]}; each unit once")
    missing = points.index[points[list(columns)].isna().any(axis=1)]
    if len(missing):
        raise WeightsError(f"{len(missing)} unit(s) have no coordinates: {list(missing[:10])}")
    if columns != ("lon", "lat"):
        return
    outside = points.index[(points["lon"].abs() > 180) | (points["lat"].abs() > 90)]
    if len(outside):
        raise WeightsError(
            f"coordinates out of range (lon/lat in degrees?) for {list(outside[:10])}"
        )


def min_connecting_threshold(distances: np.ndarray) -> float:
    """The smallest distance band that leaves no unit without a neighbour: the largest
    nearest-neighbour distance."""
    d = distances.astype(float).copy()
    np.fill_diagonal(d, np.inf)
    return float(d.min(axis=1).max())


def distance_weights(
    points: pd.DataFrame,
    form: DistanceForm = "inverse",
    *,
    power: float = 1.0,
    threshold: float | None = None,
    k: int | None = None,
    bandwidth: float | None = None,
    scale: float | None = None,
    transform: str | None = None,
    description: str = "points",
    planar: bool = False,
) -> W:
    """Distance-based weights between points given as longitude/latitude (degrees), or as
    planar coordinates with ``planar=True``.

    Parameters
    ----------
    points
        DataFrame indexed by unit code with ``lon`` and ``lat`` columns (degrees), or a
        GeoDataFrame of points in any CRS (converted to longitude/latitude first). With
        ``planar=True``: a DataFrame with ``x`` and ``y`` columns, or a GeoDataFrame of
        points with or without a CRS, its coordinates taken as they stand.
    form
        - ``"inverse"``: :math:`w_{ij} = d_{ij}^{-\\alpha}` with ``power`` α (1 or 2 in most
          studies), for every pair or, with ``threshold``, for pairs within it;
        - ``"exponential"``: negative exponential :math:`w_{ij} = \\exp(-d_{ij}/s)` with ``scale``
          s in km (default: the mean nearest-neighbour distance), optionally cut at ``threshold``;
        - ``"band"``: binary, 1 within ``threshold`` km; the default threshold is the smallest
          one that leaves no unit isolated (:func:`min_connecting_threshold`);
        - ``"knn"``: binary, the ``k`` nearest units (not symmetric, as in libpysal);
        - ``"gaussian"`` / ``"bisquare"``: kernels :math:`\\exp(-z^2/2)` and :math:`(1-z^2)^2`
          with z = d / h for d < h, where h is ``bandwidth`` km (fixed) or, with ``k``, each
          unit's distance to its k-th nearest neighbour (adaptive). No self-weight.
    power, threshold, k, bandwidth, scale
        Parameters of the forms above; distances in km (in the coordinates' units with
        ``planar=True``).
    transform
        ``None`` keeps the raw weights; ``"row"`` row-standardises (as most studies do).
    description
        What the points are, for ``w.meta``.
    planar
        Treat the coordinates as planar: Euclidean distances in their own units (a projected
        layer in metres, PySAL's example shapefiles without a CRS), not great-circle km.

    Returns
    -------
    libpysal.weights.W
        With ``w.meta`` holding the form, its parameters, the distance definition and
        ``distance_units``.

    Raises
    ------
    ValueError
        Points without a CRS unless ``planar=True``, missing or duplicated coordinates, an
        unknown form, missing parameters, or a ``threshold`` that leaves units without
        neighbours (named, with the threshold that would connect them).
    """
    if planar:
        points = _as_xy(points)
        _check_points(points, ("x", "y"))
        d = planar_distances(points["x"].to_numpy(), points["y"].to_numpy())
        unit, definition = "layer units", "planar (Euclidean), in the layer's own units"
    else:
        points = _as_lonlat(points)
        _check_points(points)
        d = great_circle_km(points["lon"].to_numpy(), points["lat"].to_numpy())
        unit, definition = "km", f"great circle, sphere R = {EARTH_RADIUS_KM} km"
    codes = [int(c) for c in points.index]
    n = len(codes)
    off_diagonal = ~np.eye(n, dtype=bool)
    params: dict[str, float | int | None] = {}
    if form in ("band",):
        threshold = min_connecting_threshold(d) if threshold is None else float(threshold)
    if form in ("inverse", "exponential", "band") and threshold is not None:
        _check_threshold(d, threshold, codes, unit)
        within = (d <= threshold) & off_diagonal
    else:
        within = off_diagonal
    if form == "inverse":
        if power <= 0:
            raise WeightsError("power must be positive (1 for 1/d, 2 for 1/d²)")
        if np.any(d[off_diagonal] == 0):
            raise WeightsError("two units share a location: inverse distance is infinite")
        values = np.where(within, d, np.inf) ** -float(power)
        params = {"power": power, "threshold": threshold}
    elif form == "exponential":
        if scale is None:
            dd = np.where(off_diagonal, d, np.inf)
            scale = float(dd.min(axis=1).mean())
        values = np.where(within, np.exp(-d / float(scale)), 0.0)
        params = {"scale_km": scale, "threshold": threshold}
    elif form == "band":
        values = within.astype(float)
        params = {"threshold": threshold}
    elif form == "knn":
        if not k or k < 1 or k >= n:
            raise WeightsError(f"knn needs 1 <= k < {n} (the number of units), got k={k}")
        order = np.argsort(np.where(off_diagonal, d, np.inf), axis=1)[:, :k]
        values = np.zeros_like(d)
        np.put_along_axis(values, order, 1.0, axis=1)
        params = {"k": k}
    elif form in ("gaussian", "bisquare"):
        if (bandwidth is None) == (k is None):
            raise WeightsError(
                f"{form} kernel needs either bandwidth= (km, fixed) or k= (adaptive)"
            )
        if k is not None:
            if not 1 <= k < n:
                raise WeightsError(f"adaptive bandwidth needs 1 <= k < {n}, got k={k}")
            h = np.sort(np.where(off_diagonal, d, np.inf), axis=1)[:, k - 1][:, None]
        else:
            h = np.full((n, 1), float(bandwidth))
        z = d / h
        kernel = np.exp(-(z**2) / 2) if form == "gaussian" else (1 - z**2) ** 2
        values = np.where((z < 1) & off_diagonal, kernel, 0.0)
        params = {"bandwidth_km": bandwidth, "k": k, "adaptive": k is not None}
    else:
        raise WeightsError(
            f"unknown form {form!r}: use inverse, exponential, band, knn, gaussian or bisquare")
    neighbors, weights = {}, {}
    for row, code in enumerate(codes):
        cols = np.flatnonzero(values[row] > 0)
        neighbors[code] = [codes[c] for c in cols]
        weights[code] = values[row, cols].tolist()
    meta = {"kind": "distance", "form": form, **params, "points": description,
            "distance": definition, "distance_units": unit}
    return _make_w(neighbors, weights, codes, meta, transform)


def _check_threshold(d: np.ndarray, threshold: float, codes: Sequence[int],
                     unit: str = "km") -> None:
    dd = d.copy()
    np.fill_diagonal(dd, np.inf)
    isolated = [codes[i] for i in np.flatnonzero(dd.min(axis=1) > threshold)]
    if isolated:
        need = min_connecting_threshold(d)
        raise WeightsError(
            f"threshold {threshold:g} {unit} leaves {len(isolated)} unit(s) without neighbours: "
            f"{isolated[:10]}{' …' if len(isolated) > 10 else ''}; the smallest threshold that "
            f"connects every unit is {math.ceil(need * 1000) / 1000:g} {unit}"
        )


def capital_distance(
    form: DistanceForm = "inverse",
    *,
    power: float = 1.0,
    threshold: float | None = None,
    k: int | None = None,
    bandwidth: float | None = None,
    scale: float | None = None,
    transform: str | None = None,
    units: Sequence[int] | None = None,
) -> W:
    """Distance weights between provincial capitals (great circle), the weights most Chinese
    provincial studies use ("省会城市经纬度坐标").

    Parameters
    ----------
    form, power, threshold, k, bandwidth, scale, transform
        See :func:`distance_weights`.
    units
        Province codes to include, in this order (default: the 31 mainland provinces).
    """
    points = capitals()
    if units is not None:
        missing = sorted(set(units) - set(points.index))
        if missing:
            raise WeightsError(f"no capital for unit(s) {missing}; capitals() knows "
                             f"{len(points)} provinces")
        points = points.loc[list(units)]
    return distance_weights(points, form, power=power, threshold=threshold, k=k,
                            bandwidth=bandwidth, scale=scale, transform=transform,
                            description="provincial capitals")


def unit_points(gdf: gpd.GeoDataFrame, how: Literal["centroid", "representative"] = "centroid",
                *, planar: bool = False) -> pd.DataFrame:
    """One point per polygon: the area centroid, or a representative point that is guaranteed
    to lie inside the polygon (for crescent-shaped units).

    Parameters
    ----------
    gdf
        Polygons indexed by unit code, with a CRS unless ``planar=True``.
    how
        ``"centroid"`` or ``"representative"``.
    planar
        Take the coordinates as planar, in the layer's own units (for layers without a CRS).

    Returns
    -------
    pandas.DataFrame
        ``lon``/``lat`` (degrees), the centroid computed in the Albers equal-area projection
        rather than in distorted degree space; with ``planar=True``, ``x``/``y`` computed in
        the layer's coordinates.

    Raises
    ------
    ValueError
        The layer has no CRS and ``planar`` is not set; the message names both remedies.
    """
    check_units(gdf)
    if how not in ("centroid", "representative"):
        raise WeightsError(f"how must be 'centroid' or 'representative', not {how!r}")
    _check_measurable(gdf.crs, planar, "the polygons")
    if planar:
        pts = gdf.geometry.centroid if how == "centroid" else gdf.geometry.representative_point()
        return pd.DataFrame({"x": pts.x, "y": pts.y}, index=gdf.index)
    projected = gdf.geometry.to_crs(CHINA_ALBERS)
    pts = projected.centroid if how == "centroid" else projected.representative_point()
    pts = pts.to_crs(gdf.crs if gdf.crs.is_geographic else "EPSG:4326")
    return pd.DataFrame({"lon": pts.x, "lat": pts.y}, index=gdf.index)


def point_distance(
    gdf: gpd.GeoDataFrame,
    form: DistanceForm = "inverse",
    *,
    points: Literal["centroid", "representative"] = "centroid",
    planar: bool = False,
    **kwargs: object,
) -> W:
    """Distance weights for any level, between polygon centroids (equal-area) or representative
    points; keyword arguments as in :func:`distance_weights`.

    A layer needs a CRS (great-circle km), or ``planar=True`` to measure planar distances in
    its own units (centroids then computed in those coordinates, as libpysal does).
    """
    return distance_weights(unit_points(gdf, points, planar=planar), form,  # type: ignore[arg-type]
                            description=f"{points} points", planar=planar, **kwargs)
