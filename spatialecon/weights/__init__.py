"""Stage 3: spatial weights keyed by GB/T 2260 codes, as libpysal ``W`` objects.

Every constructor returns a :class:`libpysal.weights.W` whose ids are the ``adcode`` s, so it
goes straight into esda and spreg, with a ``meta`` dict that says how it was built (form,
parameters, repaired islands) for results to carry. Weights come back untransformed (binary
contiguity, raw distance weights), as in libpysal; pass ``transform="r"`` or call
:func:`transform` to row-standardise (esda does so itself by default; spreg does not).

Contiguity is computed from shared vertices (queen) and shared edges (rook), the definitions of
GeoDa and libpysal, with vectorised numpy instead of libpysal's per-polygon loops: the 2,848
county polygons carry 4 million vertices, which libpysal needs about 20 s for. The embedded
boundary layers also keep their adjacency in the boundary cache, so contiguity of
``boundaries(level)`` (or any subset of it) is a lookup.
"""

from __future__ import annotations

import functools
import math
import os
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from libpysal.weights import W
from libpysal.weights import higher_order as _libpysal_higher_order

from spatialecon._files import atomic_path
from spatialecon._labels import format_units
from spatialecon.geodata import CHINA_ALBERS, capitals
from spatialecon.geodata import boundaries as _boundaries
from spatialecon.geodata.boundaries import layer_cache_path
from spatialecon.validation import DegenerateError, SpatialEconError, check_choice

Rule = Literal["queen", "rook"]
Islands = Literal["nearest", "keep", "error"]
DistanceForm = Literal["inverse", "exponential", "band", "knn", "gaussian", "bisquare"]
EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
_TRANSFORMS = {"r": "R", "row": "R", "b": "B", "binary": "B", "d": "D", "global": "D",
               "double": "D", "v": "V", "variance": "V", "o": "O", "original": "O"}


# ---------------------------------------------------------------------------- helpers


def _plain(i: Hashable) -> Hashable:
    """A unit id as the user's own type, numpy scalars as the Python ones they stand for (so
    ``np.int64(110000)`` and ``110000`` are one id, and ``"110000"`` stays a string)."""
    return i.item() if isinstance(i, np.generic) else i


def _make_w(neighbors: Mapping[Hashable, Sequence[Hashable]],
            weights: Mapping[Hashable, Sequence[float]] | None,
            ids: Sequence[Hashable], meta: dict, transform: str | None) -> W:
    """A libpysal W over ``ids`` (in that order) with our metadata attached. Ids keep their
    type: int codes, string codes (``read_csv(dtype=str)``, GeoJSON properties) or names."""
    ids = [_plain(i) for i in ids]
    neighbors = {_plain(k): v for k, v in neighbors.items()}
    neighbors = {i: [_plain(j) for j in neighbors.get(i, [])] for i in ids}
    if weights is not None:
        weights = {_plain(k): v for k, v in weights.items()}
        weights = {i: [float(v) for v in weights.get(i, [])] for i in ids}
    with warnings.catch_warnings():
        # libpysal warns about islands and disconnected components; we report them ourselves
        warnings.simplefilter("ignore")
        w = W(neighbors, weights, id_order=ids, silence_warnings=True)
    w.meta = dict(meta)
    if transform is not None:
        w.transform = _transform_code(transform)
    w.meta["transform"] = w.transform
    return w


def _transform_code(how: str) -> str:
    try:
        return _TRANSFORMS[how.lower()]
    except KeyError:
        raise WeightsError(
            f"unknown transform {how!r}: use 'row', 'binary', 'global' or 'variance' "
            "(libpysal's 'r', 'b', 'd', 'v'), or 'original'"
        ) from None


class WeightsError(SpatialEconError):
    """Units or parameters from which no weights can be built."""


class IslandWarning(UserWarning):
    """Units without neighbours were linked to their nearest polygon, or left isolated."""


def _check_units(gdf: gpd.GeoDataFrame, strict: bool = False) -> None:
    """Codes unique, geometries polygons: what every polygon-based weight needs. No CRS is
    required here: adjacency is topology; distances ask for one in :func:`_check_measurable`.
    Empty and missing geometries are named: a warning (they become isolated units), or an
    error under ``strict``."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"expected a GeoDataFrame indexed by adcode, got {type(gdf).__name__}")
    if len(gdf) == 0:
        raise DegenerateError("the layer has no units (0 rows): nothing to build weights on")
    if gdf.index.has_duplicates:
        dupes = list(dict.fromkeys(gdf.index[gdf.index.duplicated()]))
        raise WeightsError(f"duplicated unit codes in the index: {dupes[:10]}; each unit once")
    names = gdf["name"] if "name" in gdf.columns else None
    blank = gdf.index[gdf.geometry.isna().to_numpy() | gdf.geometry.is_empty.to_numpy()]
    if len(blank):
        message = (f"{len(blank)} unit(s) have an empty or missing geometry: "
                   f"{format_units(list(blank), names=names)}")
        if strict:
            raise WeightsError(message + "; drop them or repair the geometry")
        warnings.warn(message + "; they have no neighbours and stay isolated (strict=True "
                      "refuses them)", IslandWarning, stacklevel=3)
    kinds = gdf.geom_type
    bad = gdf.index[~kinds.isin(["Polygon", "MultiPolygon"]) & ~gdf.index.isin(blank)]
    if len(bad):
        found = ", ".join(f"{c} ({k})" for c, k in zip(bad[:10], kinds[bad[:10]], strict=True))
        raise WeightsError(f"contiguity needs polygons; not polygons: {found}")


def _check_measurable(crs: object, planar: bool, what: str) -> None:
    """Distances need to know what the coordinates are: a CRS, or ``planar=True``."""
    if crs is None and not planar:
        raise WeightsError(
            f"{what} have no CRS, so distances between them cannot be measured: set one "
            "(gdf.set_crs('EPSG:4326') for longitude/latitude; boundaries() use it) for "
            "great-circle distances in km, or pass planar=True to treat the coordinates as "
            "planar, with distances in the layer's own units")


# ---------------------------------------------------------------------------- contiguity


def adjacency_pairs(geoms: np.ndarray, rule: Rule = "queen") -> np.ndarray:
    """Index pairs ``(i, j)``, ``i < j``, of polygons that share a vertex (queen) or an edge
    (rook), by exact coordinates — GeoDa's and libpysal's definitions.

    Vectorised: all ring vertices are numbered once with :func:`numpy.unique`; polygons that
    meet at a vertex (or at both ends of a segment) are found by sorting, never by comparing
    polygon pairs, so the cost is that of sorting the vertices.
    """
    parts, part_geom = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of_vertex = shapely.get_coordinates(rings, return_index=True)
    owner = part_geom[ring_part[ring_of_vertex]]
    # Number each distinct coordinate (exact equality, as in GeoDa and libpysal) by hashing the
    # (x, y) pair as one complex number: linear time, where np.unique(axis=0) sorts rows slowly.
    vertex, _ = pd.factorize(np.ascontiguousarray(coords).view(np.complex128).ravel())
    if rule == "queen":
        keys = vertex.astype(np.int64)
        key_owner = owner
    elif rule == "rook":
        # segments between consecutive vertices of the same ring, direction ignored
        same_ring = ring_of_vertex[1:] == ring_of_vertex[:-1]
        a, b = vertex[:-1][same_ring], vertex[1:][same_ring]
        lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
        keep = lo != hi  # repeated vertices make zero-length segments
        keys = lo[keep] * (int(vertex.max()) + 1) + hi[keep]
        key_owner = owner[:-1][same_ring][keep]
    else:
        raise WeightsError(f"rule must be 'queen' or 'rook', not {rule!r}")
    # one row per (key, polygon), sorted by key; keys held by two or more polygons make pairs
    n_geoms = len(geoms)
    combined = _sorted_unique(keys * n_geoms + key_owner)  # int64: keys < 2**44, owners < 2**19
    table = np.column_stack([combined // n_geoms, combined % n_geoms])
    shared = table[:, 0]
    first = np.r_[True, shared[1:] != shared[:-1]]
    group = np.cumsum(first) - 1
    sizes = np.bincount(group)
    multi = sizes[group] > 1
    table, group = table[multi], group[multi]
    pairs = []
    # A vertex is shared by few polygons (at most ~8 at a node); loop over the small group sizes,
    # not over polygons.
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    lengths = np.diff(np.r_[starts, len(group)])
    for size in np.unique(lengths):
        block_starts = starts[lengths == size]
        members = table[block_starts[:, None] + np.arange(size), 1]
        for x in range(size):
            for y in range(x + 1, size):
                pairs.append(np.column_stack([members[:, x], members[:, y]]))
    if not pairs:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.sort(np.concatenate(pairs), axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    code = _sorted_unique(pairs[:, 0].astype(np.int64) * n_geoms + pairs[:, 1])
    return np.column_stack([code // n_geoms, code % n_geoms])


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of a 1-d integer array. numpy 2.3+ ``np.unique`` hashes, which
    measured 80× slower than a plain sort on 4 million int64 codes here."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


@functools.lru_cache(maxsize=6)
def _embedded_adjacency(level: str, rule: Rule) -> pd.DataFrame:
    """Adjacency of a whole embedded layer as an (a, b) code table, cached beside the layer."""
    path = layer_cache_path(level).with_name(f"{level}-{rule}-adjacency.parquet")
    if path.exists():
        return pd.read_parquet(path)
    layer = _boundaries(level, mainland_only=False)
    pairs = adjacency_pairs(layer.geometry.to_numpy(), rule)
    codes = layer.index.to_numpy()
    table = pd.DataFrame({"a": codes[pairs[:, 0]], "b": codes[pairs[:, 1]]})
    with atomic_path(path) as tmp:
        table.to_parquet(tmp)
    return table


def _is_embedded_geometry(gdf: gpd.GeoDataFrame) -> bool:
    """True when ``gdf`` holds unmodified full-resolution polygons of an embedded layer, so the
    cached adjacency applies (its induced subgraph, for a subset)."""
    level = gdf.attrs.get("level")
    if level not in ("province", "prefecture", "county") or gdf.attrs.get("simplify") is not None:
        return False
    layer = _boundaries(level, mainland_only=False)
    if not gdf.index.isin(layer.index).all():
        return False
    # Cheap fingerprint: vertex counts and bounds of every unit equal the cached layer's.
    ours = gdf.geometry.to_numpy()
    theirs = layer.geometry.reindex(gdf.index).to_numpy()
    return bool(
        np.array_equal(shapely.get_num_coordinates(ours), shapely.get_num_coordinates(theirs))
        and np.array_equal(shapely.bounds(ours), shapely.bounds(theirs))
    )


def contiguity(
    gdf: gpd.GeoDataFrame,
    rule: Rule = "queen",
    islands: Islands = "nearest",
    *,
    transform: str | None = None,
    strict: bool = False,
) -> W:
    """Queen or rook contiguity between polygons, with islands handled explicitly.

    Parameters
    ----------
    gdf
        Polygons indexed by unit code, e.g. :func:`spatialecon.geodata.boundaries`. No CRS
        is needed: adjacency depends on shared coordinates only.
    rule
        ``"queen"`` (sharing at least a vertex) or ``"rook"`` (sharing an edge).
    islands
        Units without a neighbour — Hainan among provinces, 长海, 嵊泗, 洞头, 南澳 and others
        among counties. ``"nearest"`` (default) links each to the polygon nearest by boundary
        distance (in the Albers equal-area projection), both ways; ``"keep"`` leaves them
        isolated and warns; ``"error"`` raises. A layer without a CRS (PySAL's example
        shapefiles, CAD drawings) has its islands linked by planar distance in its own
        units, with one warning saying so.
    transform
        ``None`` keeps binary weights; ``"row"``, ``"binary"``, ``"global"``, ``"variance"``.
    strict
        Refuse units with an empty or missing geometry (default: warn; they stay isolated).

    Returns
    -------
    libpysal.weights.W
        Ids are the index values in ``gdf``'s order, of their own type (int or str codes give
        the same neighbours). ``w.meta`` records the rule, the islands policy,
        ``repaired_islands`` (island → the unit it was linked to), ``isolated`` (units left
        without neighbours) and ``island_distance`` (how links were measured; ``None`` when
        nothing was repaired). Every repair and every isolated unit is also named in one
        :class:`IslandWarning`.
    """
    _check_units(gdf, strict)
    check_choice(islands, "islands", ("nearest", "keep", "error"))
    check_choice(rule, "rule", ("queen", "rook"))
    codes = np.array([_plain(c) for c in gdf.index], dtype=object)
    if _is_embedded_geometry(gdf):
        table = _embedded_adjacency(gdf.attrs["level"], rule)
        inside = table["a"].isin(gdf.index) & table["b"].isin(gdf.index)
        pairs = [(_plain(a), _plain(b)) for a, b in table[inside].to_numpy()]
        source = "cached adjacency of the embedded layer"
    else:
        idx = adjacency_pairs(gdf.geometry.to_numpy(), rule)
        pairs = [(codes[i], codes[j]) for i, j in idx]
        source = f"computed from shared {'vertices' if rule == 'queen' else 'edges'}"
    neighbors: dict[Hashable, set[Hashable]] = {c: set() for c in codes}
    for a, b in pairs:
        neighbors[a].add(b)
        neighbors[b].add(a)
    lonely = [c for c, n in neighbors.items() if not n]
    repaired: dict[Hashable, Hashable] = {}
    island_distance = None
    remaining = lonely
    if lonely:
        names = _unit_names(gdf, lonely)
        if islands == "error":
            raise WeightsError(f"{len(lonely)} unit(s) have no {rule} neighbour: {names}. Use "
                               "islands='nearest' to link each to its nearest polygon")
        if islands == "nearest":
            repaired, island_distance = _nearest_polygons(gdf, lonely)
            for island, target in repaired.items():
                neighbors[island].add(target)
                neighbors[target].add(island)
            remaining = [c for c in lonely if c not in repaired]
        # One warning for the whole layer, listing every repair and every unit left alone.
        parts = []
        if repaired:
            links = ", ".join(f"{_unit_names(gdf, [a])} → {_unit_names(gdf, [b])}"
                              for a, b in list(repaired.items())[:10])
            more = f" … ({len(repaired)} in all)" if len(repaired) > 10 else ""
            parts.append(f"{len(repaired)} island(s) linked to the nearest polygon by "
                         f"{island_distance}: {links}{more}")
        if remaining:
            why = "" if islands == "keep" else " (no polygon to link to)"
            parts.append(f"{len(remaining)} unit(s) without a {rule} neighbour stay "
                         f"isolated{why}: {_unit_names(gdf, remaining)}")
        if gdf.crs is None and repaired:
            parts.append("the layer has no CRS, so distance was measured in its own units; "
                         "set a CRS (gdf.set_crs(...)) to measure in metres")
        warnings.warn("; ".join(parts) + ". See w.meta['repaired_islands'] and "
                      "w.meta['isolated']", IslandWarning, stacklevel=2)
    meta = {"kind": "contiguity", "rule": rule, "islands": islands,
            "repaired_islands": repaired, "isolated": remaining,
            "island_distance": island_distance, "source": source}
    order = _order(codes)  # built once: per unit it made the whole call quadratic in n
    return _make_w({k: sorted(v, key=order) for k, v in neighbors.items()}, None,
                   list(codes), meta, transform)


def _order(codes: np.ndarray):
    """Sort key of neighbour lists: the layer's order (ids of mixed or unorderable types)."""
    position = {c: k for k, c in enumerate(codes)}
    return position.__getitem__


def _unit_names(gdf: gpd.GeoDataFrame, codes: Sequence[int], limit: int = 10) -> str:
    return format_units(codes, limit, names=gdf["name"] if "name" in gdf.columns else None)


def _nearest_polygons(gdf: gpd.GeoDataFrame, lonely: Sequence[int]
                      ) -> tuple[dict[int, int], str]:
    """Each lonely unit → the other unit nearest by boundary distance, and how it was measured.

    Geographic layers are measured in metres in the Albers projection (:func:`_nearest_albers`);
    projected layers are first projected to Albers too; a layer without a CRS is measured as
    it stands, planar, in its own units.
    """
    if gdf.crs is None:
        return _nearest_planar(gdf, lonely), "planar boundary distance in the layer's own units"
    albers = "boundary distance in metres, Albers equal-area (CHINA_ALBERS)"
    if gdf.crs.is_geographic:
        return _nearest_albers(gdf, lonely), albers
    # The degree-based search radius of _nearest_albers means nothing in metres.
    return _nearest_planar(gdf.to_crs(CHINA_ALBERS), lonely), albers


def _nearest_planar(gdf: gpd.GeoDataFrame, lonely: Sequence[int]) -> dict[int, int]:
    """Nearest other polygon by planar distance in the layer's coordinates (an STRtree
    nearest query, exact); equidistant candidates resolve to the first in the layer's order."""
    geoms = gdf.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    codes = gdf.index.to_numpy()
    out = {}
    for code in lonely:
        pos = gdf.index.get_loc(code)
        found = tree.query_nearest(geoms[pos], exclusive=True, all_matches=True)
        found = np.sort(found[found != pos])
        if len(found):  # a single polygon has nothing to link to
            out[code] = _plain(codes[found[0]])
    return out


def _nearest_albers(gdf: gpd.GeoDataFrame, lonely: Sequence[int]) -> dict[int, int]:
    """Each lonely unit of a geographic layer → the other unit nearest by boundary distance
    (metres, Albers).

    A growing ``dwithin`` search in degrees finds the first candidates (GEOS stops early for
    ``dwithin``; ``query_nearest`` measured 4.7 s for Hainan's thousand islets against full
    provinces); the radius is then widened by 1/cos(latitude), since a degree of longitude
    shrinks northwards, and only those few candidates are projected and measured.
    """
    geoms = gdf.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    codes = gdf.index.to_numpy()
    out = {}
    for code in lonely:
        pos = gdf.index.get_loc(code)
        radius, candidates = 0.01, np.empty(0, dtype=int)
        while radius < 360:
            candidates = tree.query(geoms[pos], predicate="dwithin", distance=radius)
            candidates = candidates[candidates != pos]
            if len(candidates):
                break
            radius *= 2
        if not len(candidates):  # a single polygon: nothing to link to
            continue
        max_lat = min(float(np.abs(shapely.bounds(geoms[pos])[[1, 3]]).max()) + 5, 85)
        candidates = tree.query(geoms[pos], predicate="dwithin",
                                distance=radius / math.cos(math.radians(max_lat)))
        candidates = candidates[candidates != pos]
        projected = gpd.GeoSeries(geoms[[pos, *candidates]], crs=gdf.crs).to_crs(CHINA_ALBERS)
        distances = projected.iloc[1:].distance(projected.iloc[0]).to_numpy()
        out[code] = _plain(codes[candidates[np.argmin(distances)]])
    return out


# ---------------------------------------------------------------------------- distance


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
    _check_units(gdf)
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


# ---------------------------------------------------------------------------- economic


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


# ---------------------------------------------------------------------------- operations


def transform(w: W, how: str) -> W:
    """A copy of ``w`` transformed: ``"row"`` (each row sums to 1), ``"binary"``, ``"global"``
    (libpysal's double standardisation ``"D"``: all weights together sum to 1, spdep's style
    ``"U"``) or ``"variance"`` (variance-stabilising, Tiefelsdorf, Griffith & Boots 1999, as
    libpysal's ``"V"``), or ``"original"``. Unlike ``w.transform = …`` it leaves ``w``
    untouched."""
    out = _make_w(w.neighbors, _original_weights(w), w.id_order, getattr(w, "meta", {}), how)
    return out


def _original_weights(w: W) -> dict:
    # libpysal keeps the untransformed weights; a fresh W must start from them
    original = w.transform
    try:
        w.transform = "O"
        return {k: list(v) for k, v in w.weights.items()}
    finally:
        w.transform = original


def higher_order(w: W, k: int = 2, *, cumulative: bool = False) -> W:
    """Order-k contiguity: units k steps apart on the shortest path (``cumulative=True``: 1 to
    k steps), binary, via libpysal."""
    if k < 1:
        raise WeightsError("k must be at least 1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = _libpysal_higher_order(w, k, lower_order=cumulative, silence_warnings=True)
    meta = {**getattr(w, "meta", {}), "order": k, "cumulative": cumulative}
    return _make_w(out.neighbors, None, w.id_order, meta, None)


@dataclass(frozen=True)
class WeightsSummary:
    """Counts that GeoDa's weights manager shows, for a quick check of a weights object."""

    units: int
    links: int
    mean_neighbors: float
    min_neighbors: int
    max_neighbors: int
    islands: tuple[int, ...]
    components: int
    symmetric: bool
    cardinalities: pd.Series

    def __str__(self) -> str:
        return (f"{self.units} units, {self.links} links, neighbours mean "
                f"{self.mean_neighbors:.2f} (min {self.min_neighbors}, max {self.max_neighbors}), "
                f"{len(self.islands)} island(s), {self.components} component(s), "
                f"{'symmetric' if self.symmetric else 'asymmetric'}")


def summary(w: W) -> WeightsSummary:
    """Units, links, neighbour counts, islands, connected components and symmetry of ``w``."""
    card = pd.Series(w.cardinalities).reindex(w.id_order).rename("neighbors")
    card.index.name = "adcode"
    sparse = w.sparse
    return WeightsSummary(
        units=w.n,
        links=int(w.nonzero),
        mean_neighbors=float(card.mean()),
        min_neighbors=int(card.min()),
        max_neighbors=int(card.max()),
        islands=tuple(int(i) for i in w.islands),
        components=int(w.n_components),
        symmetric=bool((abs(sparse - sparse.T) > 1e-12).nnz == 0),
        cardinalities=card,
    )


# ---------------------------------------------------------------------------- files

# GeoDa's GAL and GWT headers: "0 <n> <layer> <id variable>". libpysal reads and writes these
# formats but returns string ids and writes no id variable, so GeoDa cannot tell which field
# the ids refer to; these few lines keep codes as integers and name the field.


def to_file(w: W, path: str | os.PathLike[str], *, layer: str = "spatialecon",
            id_variable: str = "adcode") -> Path:
    """Write ``w`` as GeoDa GAL (binary neighbours), GWT (neighbour, weight) or a tidy edge-list
    CSV (``focal, neighbor, weight``), chosen by the extension; atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    weights = _original_weights(w) if suffix != ".csv" else {k: list(v)
                                                             for k, v in w.weights.items()}
    with atomic_path(path) as tmp:
        if suffix == ".gal":
            lines = [f"0 {w.n} {layer} {id_variable}"]
            for i in w.id_order:
                lines += [f"{i} {len(w.neighbors[i])}", " ".join(map(str, w.neighbors[i]))]
        elif suffix == ".gwt":
            lines = [f"0 {w.n} {layer} {id_variable}"]
            for i in w.id_order:
                lines += [f"{i} {j} {v!r}" for j, v in zip(w.neighbors[i], weights[i],
                                                           strict=True)]
        elif suffix == ".csv":
            rows = [(i, j, v) for i in w.id_order
                    for j, v in zip(w.neighbors[i], weights[i], strict=True)]
            table = pd.DataFrame(rows, columns=["focal", "neighbor", "weight"])
            table.attrs = {}
            table.to_csv(tmp, index=False)
            lines = None
        else:
            raise WeightsError(f"to_file writes .gal, .gwt or .csv, not {path.suffix!r}")
        if lines is not None:
            tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _id(token: str) -> int | str:
    return int(token) if token.lstrip("-").isdigit() else token


def from_file(path: str | os.PathLike[str], *, transform: str | None = None) -> W:
    """Read GAL, GWT (GeoDa's headers, new or old style) or an edge-list CSV written by
    :func:`to_file`; integer ids come back as ``int``."""
    path = Path(path)
    suffix = path.suffix.lower()
    neighbors: dict = {}
    weights: dict = {}
    order: list = []
    if suffix == ".csv":
        table = pd.read_csv(path)
        required = {"focal", "neighbor", "weight"}
        if not required <= set(table.columns):
            raise WeightsError(f"{path.name}: an edge list needs columns {sorted(required)}")
        for focal, group in table.groupby("focal", sort=False):
            neighbors[focal] = group["neighbor"].tolist()
            weights[focal] = group["weight"].astype(float).tolist()
            order.append(focal)
        ids = list(dict.fromkeys([*order, *table["neighbor"]]))
        meta = {"kind": "file", "file": str(path)}
        return _make_w(neighbors, weights, ids, meta, transform)
    lines = [ln.split() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if not lines:
        raise WeightsError(f"{path} is empty")
    header, body = lines[0], lines[1:]
    n = int(header[1]) if len(header) >= 2 else int(header[0])
    if suffix == ".gal":
        for focal_line, nbr_line in zip(body[0::2], body[1::2], strict=False):
            focal = _id(focal_line[0])
            order.append(focal)
            neighbors[focal] = [_id(t) for t in nbr_line] if int(focal_line[1]) else []
        if len(body) % 2:  # a unit with zero neighbours may omit its empty line
            order.append(_id(body[-1][0]))
        weights = None
    elif suffix == ".gwt":
        for focal, nbr, value in (row[:3] for row in body):
            focal = _id(focal)
            if focal not in neighbors:
                order.append(focal)
                neighbors[focal], weights[focal] = [], []
            neighbors[focal].append(_id(nbr))
            weights[focal].append(float(value))
    else:
        raise WeightsError(f"from_file reads .gal, .gwt or .csv, not {path.suffix!r}")
    ids = list(dict.fromkeys([*order, *(j for v in neighbors.values() for j in v)]))
    if len(ids) != n:
        raise WeightsError(f"{path.name}: header says {n} units, the file lists {len(ids)}")
    return _make_w(neighbors, weights, ids, {"kind": "file", "file": str(path)}, transform)


__all__ = [
    "EARTH_RADIUS_KM",
    "WeightsSummary",
    "adjacency_pairs",
    "capital_distance",
    "contiguity",
    "distance_weights",
    "economic_distance",
    "economic_geographic",
    "from_file",
    "great_circle_km",
    "higher_order",
    "min_connecting_threshold",
    "planar_distances",
    "point_distance",
    "summary",
    "to_file",
    "transform",
    "unit_points",
]
