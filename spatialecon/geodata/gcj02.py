"""GCJ-02 ⇄ WGS-84 conversion.

The embedded boundaries come from Amap and are in GCJ-02, the datum that maps published in
mainland China must use: WGS-84 shifted by a deliberately irregular offset of 100–700 m. Points
from GPS receivers, OpenStreetMap and most web tiles are WGS-84, so overlaying them on the
boundaries needs one of these conversions. No library in the chosen stack (pyproj included)
offers it, because the transform is not a published geodetic datum; this is the widely used
public formula (also in eviltransform/coordTransform). Outside China GCJ-02 equals WGS-84 and
points there are returned unchanged; "outside" is the rectangle 72.004–137.8347°E,
0.8293–55.8271°N that those implementations use, so results agree with them bit for bit (the
rectangle also covers Korea and parts of China's neighbours, which it shifts as they do).

``wgs84_to_gcj02`` is exact (it is the definition); ``gcj02_to_wgs84`` inverts it by fixed-point
iteration to better than 1e-7 degrees (about 1 cm).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as in the GCJ-02 definition
_EE = 0.00669342162296594323


def _outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    outside = _outside_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 longitude/latitude (degrees) to GCJ-02."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol: float = 1e-7, max_iter: int = 20
) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude (degrees) to WGS-84 by iterating the forward transform."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(max_iter):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = glon - lon, glat - lat
        wlon, wlat = wlon - elon, wlat - elat
        if np.all(np.abs(elon) < tol) and np.all(np.abs(elat) < tol):
            break
    return wlon, wlat


def _transform_geometries(geoms: np.ndarray, func) -> np.ndarray:
    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, apply)


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Shift a GCJ-02 GeoDataFrame (such as :func:`boundaries`) onto WGS-84, e.g. before
    overlaying GPS points or OpenStreetMap tiles. The result's ``attrs`` records the change."""
    out = gdf.copy()
    out.geometry = _transform_geometries(gdf.geometry.to_numpy(), gcj02_to_wgs84)
    out.attrs = {**gdf.attrs, "coordinate_system": "WGS-84 (EPSG:4326), converted from GCJ-02"}
    return out


def to_gcj02(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Shift a WGS-84 GeoDataFrame (GPS points, OSM extracts) onto the GCJ-02 boundaries."""
    out = gdf.copy()
    out.geometry = _transform_geometries(gdf.geometry.to_numpy(), wgs84_to_gcj02)
    out.attrs = {**gdf.attrs, "coordinate_system": "GCJ-02 (labelled EPSG:4326), from WGS-84"}
    return out
