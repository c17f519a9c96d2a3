"""Centre of gravity (weighted mean centre), its movement, and the standard deviational ellipse.

The "economic centre of gravity" (重心) and the standard deviational ellipse (标准差椭圆) of
papers on China's regional development: each unit (province, prefecture, county) is a point —
its centroid, a representative point inside it or, for provinces, its capital — weighted by a
quantity (GDP, population, output …) in each year.

Coordinates
-----------
Everything is computed in a plane: the layer's own CRS when it is projected, else the project's
Albers equal-area projection :data:`spatialecon.geodata.CHINA_ALBERS` (standard parallels
25° N / 47° N, central meridian 105° E; its scale is within 3 % of true across China, which
bounds the error of the axes in km). Centroids are taken in that plane, never in degrees (a
centroid in degrees is not the centroid of the area). The boundaries of
:func:`spatialecon.geodata.boundaries` are GCJ-02 labelled EPSG:4326 (see README
"Coordinates"); ``lon``/``lat`` are returned in the layer's geographic coordinates, so GCJ-02
in, GCJ-02 out. Distances between centres are geodesics on the WGS-84 ellipsoid
(:class:`pyproj.Geod`); the GCJ-02 offset (100–700 m) varies smoothly and changes a shift of
a few km by well under 1 %.

Formulas
--------
With points ``(x_i, y_i)``, weights ``w_i ≥ 0`` (``W = Σ w_i > 0``), ``n`` points:

* mean centre ``x̄ = Σ w_i x_i / W``, ``ȳ = Σ w_i y_i / W`` (pointpats'
  ``weighted_mean_center``);
* weighted covariance ``s_xx = Σ w_i x̃_i² / W``, ``s_yy``, ``s_xy`` (``x̃ = x − x̄``); its
  eigenvalues ``λ₁ ≥ λ₂`` are the variances along the ellipse's axes, i.e. the
  ``Σ w (x̃ cos θ − ỹ sin θ)² / W`` of CrimeStat, pointpats and ArcGIS at their angle θ;
* semi-axes ``a = f √λ₁``, ``b = f √λ₂`` with, by ``method``:

  - ``"yuill"`` — Yuill (1971), no correction: ``f = 1``;
  - ``"arcgis"`` — ArcGIS "Directional Distribution (Standard Deviational Ellipse)", one
    standard deviation: ``f = √2`` (ArcGIS Pro, "How Directional Distribution works": the
    2-D adjustment 1.41; ArcGIS 10.1 ``StandardEllipse.py``:
    ``σ_x = √2 · √(Σ w (x̃ cos θ − ỹ sin θ)² / Σ w)``, ``σ_y = √2 · √(Σ w (x̃ sin θ + ỹ cos θ)²
    / Σ w)``, ``tan θ = (A + B) / C`` with ``A = Σ w x̃² − Σ w ỹ²``,
    ``B = √(A² + 4 (Σ w x̃ỹ)²)``, ``C = 2 Σ w x̃ỹ``);
  - ``"crimestat"`` (default, as pointpats) — CrimeStat's √2 and degrees-of-freedom
    corrections: ``f = √2 · √(n / (n − 2))``, ``n`` counting the units given (zero weights
    included), exactly as ``pointpats.centrography.ellipse(method="crimestat")``;

* ``rotation``: the major axis' azimuth, degrees clockwise from north (grid north of the
  plane) in ``[0, 180)`` — ArcGIS' ``Rotation`` field ("the rotation of the long axis measured
  clockwise from noon"). pointpats returns instead the major axis' angle in **radians
  counter-clockwise from the x axis (east)**, in ``(−π/2, π/2]`` (its docstring says
  "clockwise"; its own polygon rotates counter-clockwise by it):
  ``rotation = (90° − degrees(pointpats_angle)) mod 180``.
  Note that pointpats' ``method="yuill"`` keeps both corrections unless
  ``crimestatCorr=False, degfreedCorr=False`` are passed; our ``"yuill"`` is Yuill's formula
  without them.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from spatialecon._labels import format_units
from spatialecon.geodata import CHINA_ALBERS
from spatialecon.indices import is_tidy
from spatialecon.validation import SpatialEconError, check_choice, check_finite

PointsKind = Literal["centroid", "representative", "capital"]
Method = Literal["crimestat", "yuill", "arcgis"]
POINTS: tuple[str, ...] = ("centroid", "representative", "capital")
METHODS: tuple[str, ...] = ("crimestat", "yuill", "arcgis")
COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
COMPASS_ZH = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")
# Capitals are given to about 1 km and boundaries may be simplified: a capital (or a user's
# point) this close to its unit counts as inside it.
POINT_TOLERANCE_M = 5_000.0
# Vertices of the ellipse polygon.
_VERTICES = 360
_GEOD = pyproj.Geod(ellps="WGS84")
_SINGLE = "__all__"


class CentrographyError(SpatialEconError):
    """Weights or units a centre of gravity or an ellipse cannot use; the message names the
    units and the years."""


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Input: points in a plane, weights as a units × years matrix
# ─────────────────────────────────────────────────────────────────────────────────────────────


def working_crs(gdf: gpd.GeoDataFrame) -> pyproj.CRS:
    """The plane of the computation: the layer's CRS when projected, else CHINA_ALBERS."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise CentrographyError(f"gdf must be a GeoDataFrame, not {type(gdf).__name__}")
    if gdf.crs is None:
        raise CentrographyError("gdf has no CRS; set one first, e.g. "
                                "gdf.set_crs('EPSG:4326') for longitude/latitude")
    crs = pyproj.CRS(gdf.crs)
    return crs if crs.is_projected else pyproj.CRS(CHINA_ALBERS)


def _names(gdf: gpd.GeoDataFrame) -> pd.Series | None:
    for column in ("name", "short"):
        if column in gdf.columns:
            return gdf[column]
    return None


def unit_points(gdf: gpd.GeoDataFrame, points: PointsKind | gpd.GeoSeries = "centroid", *,
                units: pd.Index | None = None) -> pd.DataFrame:
    """Each unit's point in the working plane (:func:`working_crs`).

    Parameters
    ----------
    gdf
        Units indexed by ``adcode``, with a CRS.
    points
        ``"centroid"`` (of the polygon in the plane), ``"representative"`` (a point inside
        it, shapely's ``point_on_surface``), ``"capital"`` (provinces only:
        :func:`spatialecon.geodata.capitals`) or a GeoSeries of points indexed by ``adcode``
        (any CRS); capitals and given points must lie in their unit (within 5 km).
    units
        Only these units (default all of ``gdf``).

    Returns
    -------
    pandas.DataFrame
        ``x``, ``y`` in metres of the plane, indexed by ``adcode``; ``attrs["crs"]``.
    """
    crs = working_crs(gdf)
    names = _names(gdf)
    if units is not None:
        absent = units[~units.isin(gdf.index)]
        if len(absent):
            raise CentrographyError(
                f"{len(absent)} unit(s) with weights are not in the layer (no geometry, so no "
                f"point): {format_units(list(absent))}. Use the layer of their level, or drop "
                "them from the weights")
        gdf = gdf.loc[units]
    geoms = gdf.geometry
    empty = geoms.isna().to_numpy() | geoms.is_empty.to_numpy()
    if empty.any():
        raise CentrographyError(
            f"{int(empty.sum())} unit(s) without geometry: "
            f"{format_units(list(gdf.index[empty]), names=names)}")
    plane = geoms.to_crs(crs)
    if isinstance(points, gpd.GeoSeries):
        given = _given_points(points, gdf.index, crs, names)
        _check_inside(given, plane, names, "point")
        xy = given
    else:
        check_choice(points, "points", POINTS)
        if points == "centroid":
            xy = shapely.get_coordinates(plane.centroid.to_numpy())
        elif points == "representative":
            xy = shapely.get_coordinates(shapely.point_on_surface(plane.to_numpy()))
        else:
            xy = _capital_points(gdf, crs, names)
            _check_inside(xy, plane, names, "capital")
    out = pd.DataFrame(np.asarray(xy, dtype=float), index=gdf.index, columns=["x", "y"])
    out.attrs["crs"] = crs.srs
    return out


def _given_points(points: gpd.GeoSeries, index: pd.Index, crs: pyproj.CRS,
                  names: pd.Series | None) -> np.ndarray:
    if points.crs is None:
        raise CentrographyError("points has no CRS; set one first")
    missing = index[~index.isin(points.index)]
    if len(missing):
        raise CentrographyError(f"no point for {len(missing)} unit(s): "
                                f"{format_units(list(missing), names=names)}")
    chosen = points.loc[index]
    bad = chosen.isna().to_numpy() | chosen.is_empty.to_numpy()
    bad |= ~np.isin(shapely.get_type_id(chosen.to_numpy()), [0])  # 0: Point
    if bad.any():
        raise CentrographyError(f"points must be non-empty Points; not so for "
                                f"{format_units(list(index[bad]), names=names)}")
    return shapely.get_coordinates(chosen.to_crs(crs).to_numpy())


def _capital_points(gdf: gpd.GeoDataFrame, crs: pyproj.CRS,
                    names: pd.Series | None) -> np.ndarray:
    from spatialecon.geodata import capitals

    table = capitals(mainland_only=False)
    missing = gdf.index[~gdf.index.isin(table.index)]
    if len(missing):
        raise CentrographyError(
            f"points='capital' needs provinces; no capital for "
            f"{format_units(list(missing), names=names)} (use 'centroid' or 'representative')")
    geographic = pyproj.CRS(gdf.crs).geodetic_crs or pyproj.CRS("EPSG:4326")
    rows = table.loc[gdf.index]
    to_plane = pyproj.Transformer.from_crs(geographic, crs, always_xy=True)
    x, y = to_plane.transform(rows["lon"].to_numpy(), rows["lat"].to_numpy())
    return np.column_stack([x, y])


def _check_inside(xy: np.ndarray, plane: gpd.GeoSeries, names: pd.Series | None,
                  what: str) -> None:
    pts = shapely.points(xy)
    outside = ~shapely.dwithin(pts, plane.to_numpy(), POINT_TOLERANCE_M)
    if outside.any():
        raise CentrographyError(
            f"{int(outside.sum())} {what}(s) lie outside their unit (more than "
            f"{POINT_TOLERANCE_M / 1000:g} km away): "
            f"{format_units(list(plane.index[outside]), names=names)}. Check the points' CRS "
            "and codes")


def _long_weights(weights: Any, by: str | None) -> tuple[pd.Series, bool]:
    """Weights as a Series indexed by ``(unit, key)``, and whether they have a key (year)."""
    key = by or "year"
    if is_tidy(weights):
        variables = list(pd.unique(weights["variable"]))
        if len(variables) != 1:
            raise CentrographyError(
                f"weights as a tidy panel must hold one variable; it holds {len(variables)}: "
                f"{', '.join(map(str, variables[:8]))}. Select one, e.g. "
                "panel[panel.variable == 'gdp']")
        if by is None:
            raise CentrographyError("a tidy panel has years: use by='year'")
        series = pd.Series(weights["value"].to_numpy(),
                           index=pd.MultiIndex.from_arrays([weights["adcode"],
                                                            weights["year"]],
                                                           names=["adcode", key]))
        return _numeric(series, str(variables[0])), True
    if isinstance(weights, Mapping):
        weights = pd.Series(weights)
    if isinstance(weights, pd.DataFrame):
        names = list(weights.index.names)
        if key in names or weights.shape[1] == 1:
            if weights.shape[1] != 1:
                raise CentrographyError(
                    f"weights has {weights.shape[1]} columns "
                    f"({', '.join(map(str, weights.columns[:8]))}): pass one, e.g. "
                    f"weights[{weights.columns[0]!r}]")
            weights = weights.iloc[:, 0]
        elif all(_year_like(c) for c in weights.columns):
            if by is None:
                raise CentrographyError("weights has one column per year: use by='year'")
            stacked = weights.rename(columns=int).stack(future_stack=True)
            stacked.index = stacked.index.set_names([names[0] or "adcode", key])
            return _numeric(stacked, "weights"), True
        else:
            raise CentrographyError(
                "weights as a table must be indexed by (adcode, year) with one column, or by "
                "adcode with one column per year; got columns "
                f"{', '.join(map(str, weights.columns[:8]))}")
    if not isinstance(weights, pd.Series):
        raise CentrographyError(
            "weights must be a Series by adcode or (adcode, year), a mapping, a wide table "
            f"(one column per year) or a one-variable tidy panel, not {type(weights).__name__}")
    name = str(weights.name) if weights.name is not None else "weights"
    levels = list(weights.index.names)
    if weights.index.nlevels == 1:
        series = pd.Series(weights.to_numpy(), index=pd.MultiIndex.from_arrays(
            [weights.index, np.full(len(weights), _SINGLE, dtype=object)],
            names=["adcode", key]))
        return _numeric(series, name), False
    if by is None or key not in levels or weights.index.nlevels != 2:
        raise CentrographyError(
            f"weights indexed by {levels}: expected adcode or (adcode, {key!r})"
            + ("; pass by='year' for a panel" if by is None else ""))
    unit_level = next(lv for lv in range(2) if levels[lv] != key)
    series = pd.Series(weights.to_numpy(), index=pd.MultiIndex.from_arrays(
        [weights.index.get_level_values(unit_level), weights.index.get_level_values(key)],
        names=["adcode", key]))
    return _numeric(series, name), True


def _year_like(label: Hashable) -> bool:
    if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
        return True
    return isinstance(label, str) and label.strip().isdigit()


def _numeric(series: pd.Series, name: str) -> pd.Series:
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise CentrographyError(f"weights ({name}) are not numeric (dtype {series.dtype})")
    out = series.astype(float)
    out.name = name
    return out


def _label(unit: Any, key: Any) -> tuple:
    return (unit,) if key == _SINGLE else (unit, key)


def weights_matrix(weights: Any, *, by: str | None = "year",
                   names: pd.Series | None = None) -> pd.DataFrame:
    """Validated weights as a units × years table (one column ``"__all__"`` for a
    cross-section).

    Raises
    ------
    NonFiniteError
        NaN or ±inf weights, named by unit and year.
    CentrographyError
        Negative weights, a unit given twice in a year, a year missing for some units (an
        unbalanced panel would move the centre by changing the units), all-zero weights in a
        year, fewer than one unit.
    """
    long, _ = _long_weights(weights, by)
    values = long.to_numpy()
    units = long.index.get_level_values(0)
    keys = long.index.get_level_values(1)

    def labels(mask: np.ndarray) -> list[tuple]:  # built only for the rows a message names
        return [_label(u, k) for u, k in zip(units[mask], keys[mask], strict=True)]

    bad = ~np.isfinite(values)
    if bad.any():
        check_finite(pd.Series(values[bad], index=pd.Index(labels(bad), tupleize_cols=False)),
                     variable=str(long.name), names=names, hint="drop or impute them first: "
                     "a centre of gravity needs a weight for every unit")
    negative = values < 0
    if negative.any():
        raise CentrographyError(
            f"negative weights ({long.name}) for "
            f"{format_units(labels(negative), names=names)}: a centre of gravity needs "
            "non-negative masses (shift or drop them)")
    dup = long.index.duplicated()
    if dup.any():
        raise CentrographyError(f"units given twice: {format_units(labels(dup), names=names)}")
    key = long.index.names[1]
    table = long.unstack(key)
    if table.empty:
        raise CentrographyError("no weights: nothing to average")
    absent = table.isna()
    if absent.to_numpy().any():
        parts = []
        for year in table.columns[absent.any().to_numpy()]:
            units = list(table.index[absent[year].to_numpy()])
            parts.append(f"{year}: {format_units(units, limit=5, names=names)}")
        raise CentrographyError(
            "weights missing for some units in some years (an unbalanced panel moves the "
            "centre by changing the units, not the weights) — " + "; ".join(parts[:5])
            + (f" … ({len(parts)} years)" if len(parts) > 5 else "")
            + ". Drop those units from every year, or fill them")
    zero = table.sum().to_numpy() <= 0
    if zero.any():
        years = [str(c) for c in table.columns[zero]]
        said = "all weights are zero" if years == [_SINGLE] else (
            f"all weights are zero in {', '.join(years)}")
        raise CentrographyError(f"{said}: the centre is undefined")
    table.columns.name = None if table.columns.tolist() == [_SINGLE] else key
    return table


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Computation on arrays (vectorised over years)
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _moments(xy: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray]:
    """Mean centre and weighted covariance of points ``xy`` (n × 2) for each column of ``w``
    (n × k)."""
    total = w.sum(axis=0)
    mx = xy[:, 0] @ w / total
    my = xy[:, 1] @ w / total
    dx = xy[:, [0]] - mx[None, :]
    dy = xy[:, [1]] - my[None, :]
    sxx = (w * dx * dx).sum(axis=0) / total
    syy = (w * dy * dy).sum(axis=0) / total
    sxy = (w * dx * dy).sum(axis=0) / total
    return {"x": mx, "y": my, "total": total, "sxx": sxx, "syy": syy, "sxy": sxy}


def _axes(m: dict[str, np.ndarray], n: int, method: str) -> tuple[np.ndarray, ...]:
    """Semi-axes (plane units) and rotation (degrees clockwise from north) of the ellipse."""
    half = 0.5 * (m["sxx"] - m["syy"])
    radius = np.hypot(half, m["sxy"])
    mid = 0.5 * (m["sxx"] + m["syy"])
    major_var = mid + radius
    minor_var = np.maximum(mid - radius, 0.0)
    if method == "yuill":
        factor = 1.0
    elif method == "arcgis":
        factor = math.sqrt(2.0)
    else:
        factor = math.sqrt(2.0) * math.sqrt(n / (n - 2))
    # Major axis counter-clockwise from east (the eigenvector of the larger eigenvalue).
    phi = 0.5 * np.arctan2(2.0 * m["sxy"], m["sxx"] - m["syy"])
    rotation = np.mod(90.0 - np.degrees(phi), 180.0)
    return factor * np.sqrt(major_var), factor * np.sqrt(minor_var), rotation, phi


def ellipse_polygon(cx: float, cy: float, major: float, minor: float, rotation: float,
                    vertices: int = _VERTICES) -> shapely.Polygon:
    """The ellipse of semi-axes ``major``, ``minor`` (plane units) whose major axis points
    ``rotation`` degrees clockwise from north, centred on ``(cx, cy)``."""
    t = np.linspace(0.0, 2.0 * np.pi, vertices, endpoint=False)
    az = np.radians(rotation)
    ux, uy = np.sin(az), np.cos(az)  # major axis (east, north components)
    vx, vy = -uy, ux  # minor axis, 90° counter-clockwise of it
    x = cx + major * np.cos(t) * ux + minor * np.sin(t) * vx
    y = cy + major * np.cos(t) * uy + minor * np.sin(t) * vy
    return shapely.Polygon(np.column_stack([x, y]))


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Public functions
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _prepare(gdf: gpd.GeoDataFrame, weights: Any, by: str | None,
             points: PointsKind | gpd.GeoSeries) -> tuple[pd.DataFrame, pd.DataFrame,
                                                           pyproj.CRS, pyproj.CRS]:
    crs = working_crs(gdf)
    if by is not None and not isinstance(by, str):
        raise CentrographyError(f"by must be an index level name such as 'year', or None; "
                                f"got {by!r}")
    if not isinstance(points, gpd.GeoSeries):
        check_choice(points, "points", POINTS)
    names = _names(gdf)
    table = weights_matrix(weights, by=by, names=names)
    xy = unit_points(gdf, points, units=table.index)
    geographic = pyproj.CRS(gdf.crs).geodetic_crs or pyproj.CRS("EPSG:4326")
    return table, xy, crs, geographic


def _lonlat(x: np.ndarray, y: np.ndarray, crs: pyproj.CRS,
            geographic: pyproj.CRS) -> tuple[np.ndarray, np.ndarray]:
    back = pyproj.Transformer.from_crs(crs, geographic, always_xy=True)
    lon, lat = back.transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _result_index(table: pd.DataFrame) -> pd.Index:
    if table.columns.name is None:
        return pd.RangeIndex(1)
    return pd.Index(table.columns, name=table.columns.name)


def _points_label(points: PointsKind | gpd.GeoSeries) -> str:
    return "given points" if isinstance(points, gpd.GeoSeries) else str(points)


def mean_centre(gdf: gpd.GeoDataFrame, weights: Any, *, by: str | None = "year",
                points: PointsKind | gpd.GeoSeries = "centroid") -> pd.DataFrame:
    """Weighted mean centre ("centre of gravity", 重心) of the units, per year.

    Parameters
    ----------
    gdf
        Units indexed by ``adcode`` (e.g. :func:`spatialecon.geodata.boundaries`), with a CRS.
        Units without weights are ignored; every unit with weights needs a geometry.
    weights
        Non-negative masses: a Series by ``adcode`` (one cross-section) or ``(adcode, year)``,
        a wide table (index ``adcode``, one column per year), a one-column table indexed by
        ``(adcode, year)``, or a one-variable tidy panel (``adcode, year, variable, value``).
        Every year must give every unit (balanced).
    by
        Name of the time level of ``weights`` (``"year"``); ``None`` for a cross-section.
    points
        ``"centroid"``, ``"representative"``, ``"capital"`` or a GeoSeries of points (see
        :func:`unit_points`).

    Returns
    -------
    pandas.DataFrame
        One row per year (indexed by it) or one row: ``x``, ``y`` (metres, in the layer's CRS
        when it is projected, else in CHINA_ALBERS), ``lon``, ``lat`` (the layer's geographic
        coordinates: GCJ-02 for the embedded boundaries), ``total_weight``, ``n`` (units).
        ``attrs``: ``crs`` (of x, y), ``geographic_crs``, ``points``, ``by``.

    Raises
    ------
    CentrographyError, NonFiniteError
        See :func:`weights_matrix` and :func:`unit_points`; messages name units and years.
    """
    table, xy, crs, geographic = _prepare(gdf, weights, by, points)
    m = _moments(xy[["x", "y"]].to_numpy(), table.to_numpy())
    lon, lat = _lonlat(m["x"], m["y"], crs, geographic)
    out = pd.DataFrame({"x": m["x"], "y": m["y"], "lon": lon, "lat": lat,
                        "total_weight": m["total"], "n": len(table)},
                       index=_result_index(table))
    out.attrs = {"crs": crs.srs, "geographic_crs": geographic.to_string(),
                 "points": _points_label(points), "by": table.columns.name,
                 "centre": "weighted mean of the units' points in the plane (x, y)"}
    return out


def compass(bearing: float | np.ndarray, *, chinese: bool = False) -> Any:
    """8-point compass direction of a bearing (degrees clockwise from north): sectors of 45°
    centred on N, NE, E … (N is 337.5° ≤ b < 22.5°); ``chinese`` gives 北, 东北, 东 …"""
    names = np.asarray(COMPASS_ZH if chinese else COMPASS, dtype=object)
    b = np.asarray(bearing, dtype=float)
    sector = np.floor(np.mod(np.nan_to_num(b) + 22.5, 360.0) / 45.0).astype(int) % 8
    out = np.where(np.isnan(b), None, names[sector])
    return out.item() if out.ndim == 0 else out


def centre_shift(centres: pd.DataFrame) -> pd.DataFrame:
    """Movement of the centre between consecutive rows (years) of :func:`mean_centre` (or of
    :func:`std_ellipse`).

    Returns
    -------
    pandas.DataFrame
        Indexed by the later year (so ``centres.join(centre_shift(centres))`` works), with
        ``year_from``, ``distance_km`` (geodesic on the WGS-84 ellipsoid between the
        ``lon``/``lat``, :meth:`pyproj.Geod.inv`), ``bearing`` (initial azimuth, degrees
        clockwise from north in ``[0, 360)``; NaN when the centre did not move),
        ``direction`` (N, NE, E, SE, S, SW, W, NW), ``direction_zh`` (北, 东北 …), ``years``
        elapsed and ``speed_km_per_year``.
    """
    if not isinstance(centres, pd.DataFrame) or not {"lon", "lat"} <= set(centres.columns):
        raise CentrographyError("centres must be the table of mean_centre (columns lon, lat)")
    if len(centres) < 2:
        raise CentrographyError(f"centres has {len(centres)} row(s): a shift needs two years")
    ordered = centres.sort_index()
    years = ordered.index.to_numpy()
    lon, lat = ordered["lon"].to_numpy(float), ordered["lat"].to_numpy(float)
    az, _, dist = _GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    dist = np.asarray(dist, dtype=float) / 1000.0
    bearing = np.where(dist > 0, np.mod(np.asarray(az, dtype=float), 360.0), np.nan)
    try:
        elapsed = (years[1:] - years[:-1]).astype(float)
    except TypeError as err:
        raise CentrographyError("centres must be indexed by numeric years for a speed") from err
    out = pd.DataFrame({"year_from": years[:-1], "distance_km": dist, "bearing": bearing,
                        "direction": compass(bearing), "direction_zh": compass(bearing,
                                                                                chinese=True),
                        "years": elapsed, "speed_km_per_year": dist / elapsed},
                       index=pd.Index(years[1:], name=ordered.index.name))
    out.attrs = {"distance": "geodesic, WGS-84 ellipsoid (pyproj.Geod.inv) between lon/lat",
                 "bearing": "initial azimuth, degrees clockwise from north"}
    return out


def std_ellipse(gdf: gpd.GeoDataFrame, weights: Any, *, by: str | None = "year",
                points: PointsKind | gpd.GeoSeries = "centroid",
                method: Method = "crimestat") -> gpd.GeoDataFrame:
    """Weighted standard deviational ellipse (标准差椭圆) of the units, per year.

    Parameters
    ----------
    gdf, weights, by, points
        As in :func:`mean_centre`.
    method
        ``"crimestat"`` (default; √2 and ``n/(n − 2)`` corrections, pointpats' default),
        ``"yuill"`` (Yuill 1971, none) or ``"arcgis"`` (ArcGIS "Directional Distribution", one
        standard deviation: √2). See the module docstring for the formulas.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per year (or one row): ``major``, ``minor`` (semi-axes, km of the plane),
        ``rotation`` (the major axis, degrees clockwise from north, ``[0, 180)``, as ArcGIS'
        ``Rotation``), ``area`` (km², ``π · major · minor``), ``centre_x``, ``centre_y``
        (metres of the plane), ``lon``, ``lat``, ``total_weight``, ``n`` and the ellipse
        polygon as ``geometry`` in the layer's CRS. ``attrs``: ``crs`` (of the plane),
        ``method``, ``rotation`` convention, ``points``.

    Raises
    ------
    CentrographyError, NonFiniteError, ParameterError
        As :func:`mean_centre`; fewer than 3 units; an unknown ``method``.
    """
    check_choice(method, "method", METHODS)
    table, xy, crs, geographic = _prepare(gdf, weights, by, points)
    n = len(table)
    if n < 3:
        raise CentrographyError(f"{n} unit(s) with weights: an ellipse needs at least 3 "
                              "(CrimeStat divides by n − 2; ArcGIS requires 3)")
    m = _moments(xy[["x", "y"]].to_numpy(), table.to_numpy())
    major, minor, rotation, _ = _axes(m, n, method)
    lon, lat = _lonlat(m["x"], m["y"], crs, geographic)
    polygons = [ellipse_polygon(cx, cy, a, b, r) for cx, cy, a, b, r
                in zip(m["x"], m["y"], major, minor, rotation, strict=True)]
    geometry = gpd.GeoSeries(polygons, crs=crs).to_crs(gdf.crs)
    out = gpd.GeoDataFrame({"major": major / 1000.0, "minor": minor / 1000.0,
                            "rotation": rotation, "area": np.pi * major * minor / 1e6,
                            "centre_x": m["x"], "centre_y": m["y"], "lon": lon, "lat": lat,
                            "total_weight": m["total"], "n": n},
                           geometry=geometry.to_numpy(), crs=gdf.crs,
                           index=_result_index(table))
    out.attrs = {"crs": crs.srs, "geographic_crs": geographic.to_string(),
                 "method": method, "points": _points_label(points), "by": table.columns.name,
                 "rotation": "major axis, degrees clockwise from north of the plane, [0, 180) "
                             "(ArcGIS Rotation); pointpats' angle φ (radians, counter-clockwise "
                             "from east) maps to (90 − degrees(φ)) mod 180",
                 "units": "major, minor in km; area in km²; centre_x, centre_y in metres"}
    return out


__all__ = [
    "COMPASS",
    "COMPASS_ZH",
    "METHODS",
    "POINTS",
    "CentrographyError",
    "centre_shift",
    "compass",
    "ellipse_polygon",
    "mean_centre",
    "std_ellipse",
    "unit_points",
    "weights_matrix",
    "working_crs",
]
