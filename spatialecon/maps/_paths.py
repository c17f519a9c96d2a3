"""Polygons and lines to matplotlib collections in a few vectorised calls.

geopandas' ``plot`` builds one ``PathPatch`` per polygon in Python (three ``Path`` objects, a
colour conversion and a property cycle each): 2 s for the 2,848 counties and 35 s for 40,000
grid cells before anything is drawn, and out of memory towards a million. A choropleth needs
only one fill colour per class, so here every ring of every polygon goes into one compound
``Path`` per colour (split into chunks so Agg's per-path cell buffer never overflows), built
from shapely's coordinate arrays with numpy; unit borders are one stroke collection drawn
over all fills (each border drawn over both neighbours' fills, not half-covered by the fill
drawn after it). Filling uses the non-zero rule with exteriors and holes oriented oppositely
(``shapely.orient_polygons``), so holes stay holes.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.path import Path

# Vertices per compound path: Agg rasterises one path at a time into a buffer of cells that
# is capped (its "cell block limit"); 200,000 vertices keep far below it at 300 dpi.
CHUNK_VERTICES = 200_000


def _rings(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates of every ring of ``geoms`` (polygons or multipolygons), their lengths and
    the position in ``geoms`` each ring belongs to; exteriors counter-clockwise, holes
    clockwise."""
    geoms = np.asarray(geoms, dtype=object)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    parts, owner = shapely.get_parts(geoms[keep], return_index=True)
    owner = np.flatnonzero(keep)[owner]
    polygons = shapely.get_type_id(parts) == 3
    parts, owner = parts[polygons], owner[polygons]
    parts = shapely.orient_polygons(parts, exterior_cw=False)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords = shapely.get_coordinates(rings)
    counts = shapely.get_num_coordinates(rings)
    return coords, counts, owner[ring_part]


def _lines(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates and lengths of every line of ``geoms``: the rings of polygons, the parts of
    (multi)linestrings."""
    geoms = np.asarray(geoms, dtype=object)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    parts = shapely.get_parts(geoms[keep])
    kinds = shapely.get_type_id(parts)
    lines = np.concatenate([parts[(kinds == 1) | (kinds == 2)],
                            shapely.get_rings(parts[kinds == 3])])
    return shapely.get_coordinates(lines), shapely.get_num_coordinates(lines)


def _compound(coords: np.ndarray, counts: np.ndarray, groups: np.ndarray,
              n_groups: int) -> tuple[list[Path], np.ndarray]:
    """One compound path per group (in chunks of at most :data:`CHUNK_VERTICES` vertices)
    holding every line of that group; returns the paths and the group of each."""
    if len(counts) == 0:
        return [], np.zeros(0, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    order = np.argsort(groups, kind="stable")
    counts_o = counts[order]
    groups_o = groups[order]
    # Gather every line's vertices in group order: start of its source run, offset within it.
    new_starts = np.concatenate([[0], np.cumsum(counts_o)[:-1]])
    index = np.repeat(starts[order] - new_starts, counts_o) + np.arange(int(counts_o.sum()))
    vertices = coords[index]
    codes = np.full(len(vertices), Path.LINETO, dtype=Path.code_type)
    codes[new_starts] = Path.MOVETO
    # Cut where the group changes and, within a group, at line starts every CHUNK_VERTICES.
    ends = np.cumsum(counts_o)
    cuts = [0]
    for g in range(n_groups):
        lines = np.flatnonzero(groups_o == g)
        if len(lines) == 0:
            continue
        first, last = lines[0], lines[-1]
        base = new_starts[first]
        block = (ends[first:last + 1] - 1 - base) // CHUNK_VERTICES
        breaks = first + np.flatnonzero(np.diff(block)) + 1
        cuts.extend(new_starts[breaks].tolist())
        cuts.append(int(ends[last]))
    cuts = sorted(set(cuts))
    paths, owners = [], []
    for a, b in itertools.pairwise(cuts):
        if b > a:
            paths.append(Path(vertices[a:b], codes[a:b]))
            owners.append(int(groups_o[np.searchsorted(new_starts, a, side="right") - 1]))
    return paths, np.asarray(owners, dtype=np.int64)


def _add(ax: Axes, collection: PathCollection) -> None:
    # The map's frame sets the limits and clips the units: they neither autoscale the axes
    # nor take part in a constrained layout, which would otherwise measure every vertex.
    collection.set_in_layout(False)
    ax.add_collection(collection, autolim=False)


def fill_polygons(ax: Axes, geoms: np.ndarray, groups: np.ndarray, colors: Sequence,
                  *, hatch: str | None = None, zorder: float = 1.0) -> PathCollection | None:
    """Fill ``geoms`` (polygons, multipolygons) with ``colors[groups[i]]``, no borders.

    Returns the collection added to ``ax`` (one path per colour and chunk), or ``None`` when
    there is nothing to draw.
    """
    coords, counts, owner = _rings(geoms)
    paths, path_groups = _compound(coords, counts, np.asarray(groups)[owner], len(colors))
    if not paths:
        return None
    faces = [colors[g] for g in path_groups]
    collection = PathCollection(paths, facecolors=faces, edgecolors="none", linewidths=0,
                                hatch=hatch, zorder=zorder, transform=ax.transData)
    _add(ax, collection)
    return collection


def line_paths(geoms: np.ndarray) -> list[Path]:
    """The outlines of ``geoms`` (polygon rings and lines) as compound paths, for
    :func:`stroke_paths` (kept by callers that stroke the same lines on many maps)."""
    coords, counts = _lines(geoms)
    paths, _ = _compound(coords, counts, np.zeros(len(counts), dtype=np.int64), 1)
    return paths


def stroke_paths(ax: Axes, paths: list[Path], *, color: str, linewidth: float,
                 zorder: float = 1.0) -> PathCollection | None:
    """Stroke ``paths`` (from :func:`line_paths`) in one collection."""
    if not paths:
        return None
    collection = PathCollection(paths, facecolors="none", edgecolors=color,
                                linewidths=linewidth, zorder=zorder, transform=ax.transData)
    _add(ax, collection)
    return collection


def stroke_lines(ax: Axes, geoms: np.ndarray, *, color: str, linewidth: float,
                 zorder: float = 1.0) -> PathCollection | None:
    """Draw the outlines of ``geoms`` (polygon rings and lines) in one stroke collection."""
    return stroke_paths(ax, line_paths(geoms), color=color, linewidth=linewidth,
                        zorder=zorder)
