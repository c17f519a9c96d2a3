"""Polygons in pixel space: every ring of a set of polygons as one vertex sequence, in the
raster's pixel coordinates, with what the cell rules need (ring orientation, polygon areas).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from affine import Affine


@dataclass
class _Rings:
    """All polygon rings as one vertex sequence in pixel coordinates (u = column, v = row).

    Ring k holds vertices ``ends[k] − size_k … ends[k] − 1``. Edge i joins vertex i and i+1;
    ``edge_ok`` is False where they belong to different rings (and on rings of zero area).
    ``ring_sign`` fixes orientation: boundary integrals are taken as the ring runs and then
    multiplied by +1 or −1 so that exteriors add area and holes subtract it, whatever the
    input's winding.
    """

    u: np.ndarray
    v: np.ndarray
    dv: np.ndarray            # v[i + 1] − v[i] per edge
    ends: np.ndarray          # one past the last vertex of each ring
    ring_poly: np.ndarray     # polygon (position in the input) of each ring
    ring_sign: np.ndarray     # +1, −1 (or 0 for degenerate rings) per ring
    edge_ok: np.ndarray       # per edge
    area: np.ndarray          # per polygon, in cells
    n: int
    flat: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    """Polygons with a ring of zero area (collapsed, or a figure-eight whose lobes cancel):
    invalid, and without a boundary to integrate."""

    def ring_of(self, vertex: np.ndarray) -> np.ndarray:
        """Ring of each vertex in ``vertex`` (asked for the few edges that need it, rather
        than stored for every vertex)."""
        return np.searchsorted(self.ends, vertex, side="right")


def _pixel_rings(geoms: np.ndarray, transform: Affine) -> _Rings:
    """Rings of ``geoms`` (Polygon/MultiPolygon, None or empty allowed: checked by the caller)
    in pixel space."""
    n = len(geoms)
    # Polygons are their own single part; only multipolygons are split (get_parts clones
    # every geometry it returns, a cost per polygon that dominates on grids of small cells).
    kinds = shapely.get_type_id(geoms)
    single = np.flatnonzero(kinds == 3)
    if len(single) == n:
        parts, part_poly = geoms, np.arange(n)
    else:
        multi = np.flatnonzero(kinds == 6)
        split, owner = shapely.get_parts(geoms[multi], return_index=True)
        parts = np.concatenate([geoms[single], split])
        part_poly = np.concatenate([single, multi[owner]])
    # Ring sizes without cloning every ring (shapely.get_rings copies all coordinates): a part
    # without holes is one ring of all its vertices; only parts with holes are split.
    holes = shapely.get_num_interior_rings(parts)
    ring_part = np.repeat(np.arange(len(parts)), holes + 1)
    exterior = np.ones(len(ring_part), dtype=bool)
    exterior[1:] = ring_part[1:] != ring_part[:-1]
    sizes = np.repeat(shapely.get_num_coordinates(parts), holes + 1)
    if holes.any():
        holed = np.flatnonzero(holes > 0)
        in_holed = np.isin(ring_part, holed)
        sizes[in_holed] = shapely.get_num_coordinates(shapely.get_rings(parts[holed]))
    if len(sizes) and not sizes.all():   # empty rings carry no vertex: drop them
        keep = sizes > 0
        ring_part, exterior, sizes = ring_part[keep], exterior[keep], sizes[keep]
    xy = shapely.get_coordinates(parts)      # exterior, then the holes, part after part
    ends = np.cumsum(sizes)
    # pixel coordinates as GDAL computes them (inverse geotransform applied to x, y)
    inv = ~transform
    x, y = xy[:, 0], xy[:, 1]
    if transform.b == 0 and transform.d == 0:
        u = x * inv.a
        u += inv.c
        v = y * inv.e
        v += inv.f
    else:
        u = inv.a * x + inv.b * y + inv.c
        v = inv.d * x + inv.e * y + inv.f
    edge_ok = np.ones(max(len(u) - 1, 0), dtype=bool)
    edge_ok[ends[:-1] - 1] = False
    # twice the signed area of each ring, by trapezoids: Σ (u_i + u_{i+1})(v_{i+1} − v_i),
    # whose terms are small (edges are short), so it stays exact far from the origin
    dv = np.diff(v)
    if len(u):
        trapezoid = u[:-1] + u[1:]
        trapezoid *= dv
        trapezoid[ends[:-1] - 1] = 0.0
        area2 = np.add.reduceat(np.r_[trapezoid, 0.0], ends - sizes)
    else:
        area2 = np.zeros(0)
    sign = np.sign(area2) * np.where(exterior, 1.0, -1.0)
    ring_poly = part_poly[ring_part]
    area = np.bincount(ring_poly, weights=0.5 * np.abs(area2) * np.where(exterior, 1, -1),
                       minlength=n)
    flat = np.zeros(0, dtype=np.intp)
    if (sign == 0).any():  # degenerate rings (no area) have no boundary to integrate
        edge_ok &= np.repeat(sign != 0, sizes)[:-1]
        flat = np.unique(ring_poly[sign == 0])
    return _Rings(u, v, dv, ends, ring_poly, sign, edge_ok, area, n, flat)


def _offsets(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, offset) pairs: owner i repeated counts[i] times with offsets 0..counts[i]−1."""
    counts = counts.astype(np.intp, copy=False)
    owner = np.repeat(np.arange(len(counts)), counts)
    return owner, np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)


def _expand(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, offset) pairs: owner i repeated counts[i] times with offsets 0..counts[i]−1."""
    counts = counts.astype(np.intp, copy=False)
    owner = np.repeat(np.arange(len(counts)), counts)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, starts[owner] + offset



def _ring_rows(rings: _Rings) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest v of each ring (the vertices of a ring are contiguous)."""
    if not len(rings.ends):
        return np.zeros(0), np.zeros(0)
    starts = np.r_[0, rings.ends[:-1]]
    return np.minimum.reduceat(rings.v, starts), np.maximum.reduceat(rings.v, starts)


def _rings_in_rows(rings: _Rings, r0: int, r1: int,
                   ring_rows: tuple[np.ndarray, np.ndarray]) -> _Rings:
    """Only the rings whose vertices reach rows r0..r1 (whole rings, so they stay closed),
    for the windows of a large raster."""
    lo, hi = ring_rows
    hit = (hi > r0) & (lo < r1)
    if hit.all():
        return rings
    sizes = np.diff(np.r_[0, rings.ends])
    take = np.repeat(hit, sizes)
    ends = np.cumsum(sizes[hit])
    edge_ok = np.ones(max(int(take.sum()) - 1, 0), dtype=bool)
    edge_ok[ends[:-1] - 1] = False
    edge_ok &= np.repeat(rings.ring_sign[hit] != 0, sizes[hit])[:-1]
    v = rings.v[take]
    return _Rings(rings.u[take], v, np.diff(v), ends, rings.ring_poly[hit],
                  rings.ring_sign[hit], edge_ok, rings.area, rings.n, rings.flat)
