"""What polygon weights need from a layer, checked at a million cells: unique codes, polygons,
finite coordinates, no duplicated cells and (unless told otherwise) valid geometries — each
failure naming the first few units, the count, and the fix."""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse

from spatialecon.validation import DegenerateError
from spatialecon.weights._common import GeometryWarning, IslandWarning, WeightsError, _unit_names

_POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon


def check_units(gdf: gpd.GeoDataFrame, strict: bool = False) -> np.ndarray:
    """Codes unique, geometries polygons: what every polygon-based weight needs. No CRS is
    required here: adjacency is topology; distances ask for one where they are measured.
    Empty and missing geometries are named: a warning (they become isolated units), or an
    error under ``strict``. Returns the positions of the empty or missing geometries."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"expected a GeoDataFrame indexed by adcode, got {type(gdf).__name__}")
    if len(gdf) == 0:
        raise DegenerateError("the layer has no units (0 rows): nothing to build weights on")
    if gdf.index.has_duplicates:
        dupes = list(dict.fromkeys(gdf.index[gdf.index.duplicated()]))
        raise WeightsError(f"duplicated unit codes in the index: {_unit_names(gdf, dupes)}; "
                           "each unit once "
                           "(gdf[~gdf.index.duplicated()] keeps the first)", dupes)
    geoms = gdf.geometry.to_numpy()
    kind = shapely.get_type_id(geoms)  # integers: GeoSeries.geom_type makes a string per row
    blank = np.flatnonzero((kind < 0) | shapely.is_empty(geoms))
    if len(blank):
        codes = gdf.index[blank].tolist()
        message = (f"{len(blank)} unit(s) have an empty or missing geometry: "
                   f"{_unit_names(gdf, codes)}")
        if strict:
            raise WeightsError(message + "; drop them or repair the geometry", codes)
        warnings.warn(message + "; they have no neighbours and stay isolated (strict=True "
                      "refuses them)", IslandWarning, stacklevel=3)
    bad = np.flatnonzero(~np.isin(kind, _POLYGONAL) & (kind >= 0))
    bad = bad[~np.isin(bad, blank)]
    if len(bad):
        names = gdf.geometry.iloc[bad[:10]].geom_type.tolist()
        found = ", ".join(f"{gdf.index[k]} ({t})" for k, t in zip(bad[:10], names, strict=True))
        more = f" … ({len(bad)} in all)" if len(bad) > 10 else ""
        raise WeightsError(f"contiguity needs polygons; not polygons: {found}{more}",
                           gdf.index[bad].tolist())
    return blank


def nonfinite_error(gdf: gpd.GeoDataFrame, positions: np.ndarray) -> WeightsError:
    """Polygons with NaN or infinite coordinates, named."""
    codes = gdf.index[positions].tolist()
    return WeightsError(
        f"{len(codes)} unit(s) have NaN or infinite coordinates: {_unit_names(gdf, codes)}; "
        "their vertices are unknown, so no neighbours can be found (make_valid cannot repair "
        "them): drop or re-project them", codes)


def duplicate_pairs(shared: sparse.csr_matrix, per_polygon: np.ndarray) -> np.ndarray:
    """Pairs ``(i, j)``, ``i < j``, of polygons with the same vertices (edges): every key of
    both is shared, so ``shared[i, j]`` equals both polygons' own counts."""
    rows = np.repeat(np.arange(shared.shape[0]), np.diff(shared.indptr))
    cols = shared.indices
    same = ((cols > rows) & (shared.data == per_polygon[rows])
            & (shared.data == per_polygon[cols]))
    return np.column_stack([rows[same], cols[same]])


def duplicate_error(gdf: gpd.GeoDataFrame, pairs: np.ndarray) -> WeightsError:
    """Units whose polygons are the same cell, named in pairs, with the fix."""
    index = gdf.index
    shown = ", ".join(f"{_unit_names(gdf, [index[i]])} = {_unit_names(gdf, [index[j]])}"
                      for i, j in pairs[:5])
    more = f" … ({len(pairs)} pairs in all)" if len(pairs) > 5 else ""
    codes = index[np.unique(pairs)].tolist()
    return WeightsError(
        f"{len(pairs)} pair(s) of units have the same polygon (every vertex shared), so a cell "
        f"is listed twice under different codes: {shown}{more}. Keep each cell once, e.g. "
        "gdf[~gdf.geometry.normalize().duplicated()], or merge the codes first", codes)


def invalid_positions(geoms: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """Positions of invalid polygons (GEOS ``is_valid``), empty ones (``skip``) aside."""
    valid = shapely.is_valid(geoms)
    valid[skip] = True
    return np.flatnonzero(~valid)


def invalid_error(gdf: gpd.GeoDataFrame, positions: np.ndarray) -> WeightsError:
    """Invalid polygons, named with GEOS's reason for the first few, and the fixes."""
    codes = gdf.index[positions].tolist()
    reasons = shapely.is_valid_reason(gdf.geometry.to_numpy()[positions[:5]])
    shown = ", ".join(f"{_unit_names(gdf, [c])}: {r}"
                      for c, r in zip(codes[:5], reasons, strict=True))
    more = f" … ({len(codes)} in all)" if len(codes) > 5 else ""
    return WeightsError(
        f"{len(codes)} unit(s) have an invalid polygon: {shown}{more}. Repair a copy with "
        "make_valid=True (shapely.make_valid, recorded in w.meta['made_valid']), repair the "
        "layer yourself (gdf.make_valid()), or pass validate=False to build the weights from "
        "the vertices as they are", codes)


def invalid_warning(gdf: gpd.GeoDataFrame, positions: np.ndarray) -> None:
    """Invalid polygons kept as drawn: named (GEOS's reason for the first few) with the fixes.
    Neighbours come from shared vertices, which do not need valid polygons, so they are not
    refused unless ``strict=True``."""
    error = invalid_error(gdf, positions)
    shown = str(error).split(". Repair")[0]
    warnings.warn(f"{shown}. Their neighbours are taken from their vertices as drawn (see "
                  "w.meta['invalid_units']); repair a copy with make_valid=True, repair the "
                  "layer (gdf.make_valid()), or pass strict=True to refuse such polygons",
                  GeometryWarning, stacklevel=3)


def made_valid(geoms: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """A copy of ``geoms`` with the polygons at ``positions`` repaired by ``shapely.make_valid``,
    keeping their polygonal parts (a bow-tie becomes two triangles; the slivers and spikes
    make_valid returns as lines are dropped: they bound no area)."""
    out = geoms.copy()
    fixed = shapely.make_valid(geoms[positions])
    for k, geom in zip(positions, fixed, strict=True):
        kind = shapely.get_type_id(geom)
        if kind not in _POLYGONAL:
            parts = [p for p in shapely.get_parts(geom)
                     if shapely.get_type_id(p) in _POLYGONAL]
            geom = shapely.union_all(parts) if parts else shapely.Polygon()
        out[k] = geom
    return out


def warn_made_valid(gdf: gpd.GeoDataFrame, codes: Sequence[Hashable]) -> None:
    warnings.warn(f"{len(codes)} invalid polygon(s) repaired with shapely.make_valid (on a "
                  f"copy; the layer is unchanged): {_unit_names(gdf, codes)}. See "
                  "w.meta['made_valid']", GeometryWarning, stacklevel=3)
