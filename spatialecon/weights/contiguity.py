"""Queen and rook contiguity: checked polygons → shared-vertex adjacency → one CSR matrix →
a :class:`~spatialecon.weights.CSRW`, islands linked or named.

The embedded boundary layers keep their adjacency in the boundary cache, so contiguity of
``boundaries(level)`` (or any subset of it) is a lookup.
"""

from __future__ import annotations

import functools

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialecon._files import atomic_path
from spatialecon.geodata import boundaries as _boundaries
from spatialecon.geodata.boundaries import layer_cache_path
from spatialecon.validation import check_choice
from spatialecon.weights._build import CSRW, symmetric_binary
from spatialecon.weights._common import Islands, Rule, _ids
from spatialecon.weights._geometry import (
    check_units,
    duplicate_error,
    duplicate_pairs,
    invalid_error,
    invalid_positions,
    invalid_warning,
    made_valid,
    nonfinite_error,
    warn_made_valid,
)
from spatialecon.weights.adjacency import (
    NonFiniteCoordinates,
    adjacency_pairs,
    shared_boundary_matrix,
)
from spatialecon.weights.islands import island_error, nearest_polygons, warn_islands


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
    validate: bool = True,
    make_valid: bool = False,
) -> CSRW:
    """Queen or rook contiguity between polygons, with islands handled explicitly.

    Parameters
    ----------
    gdf
        Polygons indexed by unit code, e.g. :func:`spatialecon.geodata.boundaries` or a grid of
        a million cells. No CRS is needed: adjacency depends on shared coordinates only.
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
        Refuse units with an empty or missing geometry, and invalid polygons (default: warn;
        empty units stay isolated, invalid ones keep the neighbours their vertices give).
    validate
        Check every polygon with GEOS ``is_valid`` (default) and name the invalid ones in one
        :class:`~spatialecon.weights.GeometryWarning` (listed in ``w.meta["invalid_units"]``;
        an error with ``strict=True``). Neighbours come from shared coordinates and do not
        need valid polygons, so a layer known to be valid (a generated grid) may skip the
        check (about a second per million polygons) with ``validate=False``; the embedded
        layers are never re-checked.
    make_valid
        Repair invalid polygons on a copy with ``shapely.make_valid`` (keeping their polygonal
        parts) instead of refusing them; the repaired units are named in one
        :class:`~spatialecon.weights.GeometryWarning` and listed in ``w.meta["made_valid"]``.

    Returns
    -------
    CSRW
        A libpysal ``W`` whose ``sparse`` is the CSR matrix built from the adjacency pairs, in
        ``id_order`` (its neighbour dicts are built only when read). Ids are the index values in
        ``gdf``'s order, of their own type (int or str codes give the same neighbours).
        ``w.meta`` records the rule, the ``islands`` policy, ``island_units`` (every unit
        without a neighbour under the rule), ``repaired_islands`` (island → the unit it was
        linked to), ``isolated`` (units left without neighbours), ``island_distance`` (how
        links were measured; ``None`` when nothing was repaired), ``validity``,
        ``invalid_units`` (kept as drawn) and ``made_valid`` (repaired). Repairs
        and isolated units are summarised in one :class:`~spatialecon.weights.IslandWarning`
        (count, the first ten, where the full lists are).

    Raises
    ------
    WeightsError
        Duplicated codes; non-polygon geometries; NaN or infinite coordinates; two codes with
        the same polygon (a cell listed twice); invalid polygons with ``strict=True`` (unless
        ``make_valid``); islands under ``islands="error"``. Each names the first few units
        and the count, and holds all of them in ``.units``.
    """
    blank = check_units(gdf, strict)
    check_choice(islands, "islands", ("nearest", "keep", "error"))
    check_choice(rule, "rule", ("queen", "rook"))
    ids = _ids(gdf.index)
    n = len(ids)
    geoms = gdf.geometry.to_numpy()
    repaired_geometry: list = []
    invalid_units: list = []
    if _is_embedded_geometry(gdf):
        table = _embedded_adjacency(gdf.attrs["level"], rule)
        a, b = gdf.index.get_indexer(table["a"]), gdf.index.get_indexer(table["b"])
        inside = (a >= 0) & (b >= 0)
        matrix = symmetric_binary(a[inside], b[inside], n)
        source, validity = "cached adjacency of the embedded layer", "embedded layer"
    else:
        shared, per_polygon = _shared(gdf, geoms, rule)
        duplicates = duplicate_pairs(shared, per_polygon)
        if len(duplicates):
            raise duplicate_error(gdf, duplicates)
        validity = "not checked (validate=False)"
        if validate or make_valid:
            invalid = invalid_positions(geoms, blank)
            validity = "checked: all valid (GEOS is_valid)"
            if len(invalid) and not make_valid:
                if strict:
                    raise invalid_error(gdf, invalid)
                invalid_warning(gdf, invalid)
                invalid_units = gdf.index[invalid].tolist()
                validity = (f"{len(invalid)} invalid polygon(s) kept as drawn (neighbours "
                            "from their vertices)")
            elif len(invalid):
                geoms = made_valid(geoms, invalid)
                repaired_geometry = gdf.index[invalid].tolist()
                validity = f"{len(invalid)} invalid polygon(s) repaired with shapely.make_valid"
                warn_made_valid(gdf, repaired_geometry)
                shared, _ = _shared(gdf, geoms, rule)
        matrix = shared.astype(float)
        matrix.data[:] = 1.0
        source = f"computed from shared {'vertices' if rule == 'queen' else 'edges'}"
    lonely = np.flatnonzero(np.diff(matrix.indptr) == 0)
    lonely_codes = [ids[k] for k in lonely]
    repaired: dict = {}
    remaining = lonely_codes
    island_distance = None
    if len(lonely):
        if islands == "error":
            raise island_error(gdf, lonely_codes, rule)
        if islands == "nearest":
            target, island_distance = nearest_polygons(geoms, lonely, gdf.crs)
            linked = target >= 0
            matrix = matrix + symmetric_binary(lonely[linked], target[linked], n)
            matrix.data[:] = 1.0
            repaired = {ids[i]: ids[j] for i, j in zip(lonely[linked], target[linked],
                                                       strict=True)}
            remaining = [ids[k] for k in lonely[~linked]]
            if not repaired:
                island_distance = None
        warn_islands(gdf, repaired, remaining, islands, rule, island_distance)
    meta = {"kind": "contiguity", "rule": rule, "islands": islands,
            "island_units": lonely_codes, "repaired_islands": repaired, "isolated": remaining,
            "island_distance": island_distance, "source": source, "validity": validity,
            "made_valid": repaired_geometry, "invalid_units": invalid_units}
    w = CSRW(matrix, ids, meta=meta, transform=transform)
    w.meta["transform"] = w.transform
    return w


def _shared(gdf: gpd.GeoDataFrame, geoms: np.ndarray, rule: Rule):
    try:
        return shared_boundary_matrix(geoms, rule)
    except NonFiniteCoordinates as error:
        raise nonfinite_error(gdf, error.positions) from None
