"""Units without neighbours: each linked to its nearest polygon, or left isolated — at a
million cells, with one summary (count, the first few, where the full list is) in place of a
line per island.

The nearest polygon is found for every island at once with one STRtree (queries batched over
the islands, never a loop over polygon pairs), and measured in metres in the Albers equal-area
projection for layers with a CRS, projecting only the few candidates.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable

import geopandas as gpd
import numpy as np
import shapely

from spatialecon.geodata import CHINA_ALBERS
from spatialecon.weights._common import Islands, IslandWarning, Rule, WeightsError, _unit_names

ALBERS_DISTANCE = "boundary distance in metres, Albers equal-area (CHINA_ALBERS)"
PLANAR_DISTANCE = "planar boundary distance in the layer's own units"


def nearest_polygons(geoms: np.ndarray, lonely: np.ndarray, crs: object
                     ) -> tuple[np.ndarray, str]:
    """For each position in ``lonely``, the position of the other polygon nearest by boundary
    distance (``-1`` when there is none: a one-polygon layer, an empty geometry), and how the
    distance was measured. Equidistant candidates resolve to the first in the layer's order.

    Geographic layers are measured in metres in the Albers projection; projected layers too,
    after a first search in their own coordinates; a layer without a CRS as it stands, planar.
    """
    if crs is None:
        return _nearest_planar(geoms, lonely), PLANAR_DISTANCE
    if crs.is_geographic:
        return _nearest_geographic(geoms, lonely, crs), ALBERS_DISTANCE
    return _nearest_projected(geoms, lonely, crs), ALBERS_DISTANCE


def _first_nearest(n_lonely: int, which: np.ndarray, target: np.ndarray,
                   distance: np.ndarray | None = None) -> np.ndarray:
    """Per island (``which`` indexes ``lonely``), the candidate at the least distance, ties to
    the smallest position; ``-1`` where an island has no candidate."""
    keys = (target,) if distance is None else (target, distance)
    order = np.lexsort((*keys, which))
    which, target = which[order], target[order]
    first = np.r_[True, which[1:] != which[:-1]] if len(which) else np.empty(0, bool)
    out = np.full(n_lonely, -1, dtype=np.int64)
    out[which[first]] = target[first]
    return out


def _nearest_planar(geoms: np.ndarray, lonely: np.ndarray) -> np.ndarray:
    """Nearest other polygon by planar distance in the layer's coordinates: one batched STRtree
    nearest query (exact, every equidistant match)."""
    tree = shapely.STRtree(geoms)
    which, target = tree.query_nearest(geoms[lonely], exclusive=True, all_matches=True)
    other = target != lonely[which]
    return _first_nearest(len(lonely), which[other], target[other])


def _in_albers(geoms: np.ndarray, crs: object, lonely: np.ndarray, which: np.ndarray,
               target: np.ndarray) -> np.ndarray:
    """Distances in metres (Albers) between ``lonely[which]`` and ``target``, projecting each
    polygon involved once."""
    involved, inverse = np.unique(np.r_[lonely[which], target], return_inverse=True)
    projected = gpd.GeoSeries(geoms[involved], crs=crs).to_crs(CHINA_ALBERS).to_numpy()
    k = len(which)
    return shapely.distance(projected[inverse[:k]], projected[inverse[k:]])


def _nearest_projected(geoms: np.ndarray, lonely: np.ndarray, crs: object) -> np.ndarray:
    """Projected layers: the nearest polygon in the layer's coordinates gives a radius; every
    polygon within twice that radius is measured again in Albers (local scale differences
    between two projections of China stay far below a factor of two)."""
    tree = shapely.STRtree(geoms)
    (which, target), native = tree.query_nearest(geoms[lonely], exclusive=True,
                                                 all_matches=True, return_distance=True)
    if not len(which):
        return np.full(len(lonely), -1, dtype=np.int64)
    radius = np.zeros(len(lonely))
    np.maximum.at(radius, which, native)
    has = np.unique(which)
    which, target = tree.query(geoms[lonely[has]], predicate="dwithin",
                               distance=2 * radius[has])
    which = has[which]
    other = target != lonely[which]
    which, target = which[other], target[other]
    return _first_nearest(len(lonely), which, target,
                          _in_albers(geoms, crs, lonely, which, target))


def _nearest_geographic(geoms: np.ndarray, lonely: np.ndarray, crs: object) -> np.ndarray:
    """Geographic layers: a ``dwithin`` search in degrees, doubling the radius for the islands
    still without a candidate (GEOS stops early for ``dwithin``; a nearest query measured 4.7 s
    for Hainan's thousand islets against whole provinces); the radius is then widened by
    1/cos(latitude), since a degree of longitude shrinks northwards, and only those candidates
    are projected and measured."""
    tree = shapely.STRtree(geoms)
    found = np.full(len(lonely), np.nan)
    pending = np.flatnonzero(~shapely.is_empty(geoms[lonely]))
    radius = 0.01
    while len(pending) and radius < 360:
        which, target = tree.query(geoms[lonely[pending]], predicate="dwithin", distance=radius)
        hit = np.unique(which[target != lonely[pending][which]])
        found[pending[hit]] = radius
        pending = np.delete(pending, hit)
        radius *= 2
    has = np.flatnonzero(~np.isnan(found))
    if not len(has):
        return np.full(len(lonely), -1, dtype=np.int64)
    bounds = shapely.bounds(geoms[lonely[has]])
    max_lat = np.minimum(np.abs(bounds[:, [1, 3]]).max(axis=1) + 5, 85)
    which, target = tree.query(geoms[lonely[has]], predicate="dwithin",
                               distance=found[has] / np.cos(np.radians(max_lat)))
    which = has[which]
    other = target != lonely[which]
    which, target = which[other], target[other]
    return _first_nearest(len(lonely), which, target,
                          _in_albers(geoms, crs, lonely, which, target))


def island_error(gdf: gpd.GeoDataFrame, codes: list, rule: Rule) -> WeightsError:
    return WeightsError(
        f"{len(codes)} unit(s) have no {rule} neighbour: {_unit_names(gdf, codes)}. Use "
        "islands='nearest' to link each to its nearest polygon, or islands='keep' to leave "
        "them isolated (the full list is the error's .units)", codes)


def warn_islands(gdf: gpd.GeoDataFrame, repaired: dict[Hashable, Hashable], remaining: list,
                 islands: Islands, rule: Rule, distance: str | None) -> None:
    """One warning for the whole layer: counts, the first few repairs and isolated units, and
    where the full lists are."""
    parts = []
    if repaired:
        shown = list(repaired.items())[:10]
        links = ", ".join(f"{_unit_names(gdf, [a])} → {_unit_names(gdf, [b])}"
                          for a, b in shown)
        more = f" … ({len(repaired)} in all)" if len(repaired) > 10 else ""
        parts.append(f"{len(repaired)} island(s) linked to the nearest polygon by "
                     f"{distance}: {links}{more}")
    if remaining:
        why = "" if islands == "keep" else " (no polygon to link to)"
        parts.append(f"{len(remaining)} unit(s) without a {rule} neighbour stay "
                     f"isolated{why}: {_unit_names(gdf, remaining)}")
    if gdf.crs is None and repaired:
        parts.append("the layer has no CRS, so distance was measured in its own units; "
                     "set a CRS (gdf.set_crs(...)) to measure in metres")
    warnings.warn("; ".join(parts) + ". See w.meta['island_units'] (every unit without a "
                  f"{rule} neighbour), w.meta['repaired_islands'] and w.meta['isolated']",
                  IslandWarning, stacklevel=3)
