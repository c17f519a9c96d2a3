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

    Edge i joins vertex i and i+1; ``edge_ok`` is False where they belong to different rings.
    ``ring_sign`` fixes orientation: boundary integrals are taken as the ring runs and then
    multiplied by +1 or −1 so that exteriors add area and holes subtract it, whatever the
    input's winding.
    """

    u: np.ndarray
    v: np.ndarray
    ring: np.ndarray          # ring of each vertex
    ring_poly: np.ndarray     # polygon (position in the input) of each ring
    ring_sign: np.ndarray     # +1, −1 (or 0 for degenerate rings) per ring
    edge_ok: np.ndarray       # per edge
    area: np.ndarray          # per polygon, in cells
    n: int
    flat: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    """Polygons with a ring of zero area (collapsed, or a figure-eight whose lobes cancel):
    invalid, and without a boundary to integrate."""


def _pixel_rings(geoms: np.ndarray, transform: Affine) -> _Rings:
    """Rings of ``geoms`` (Polygon/MultiPolygon, None or empty allowed: checked by the caller)
    in pixel space."""
    n = len(geoms)
    parts, part_poly = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    exterior = np.ones(len(rings), dtype=bool)
    exterior[1:] = ring_part[1:] != ring_part[:-1]
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    # pixel coordinates as GDAL computes them (inverse geotransform applied to x, y)
    inv = ~transform
    x, y = xy[:, 0], xy[:, 1]
    if transform.b == 0 and transform.d == 0:
        u = inv.a * x + inv.c
        v = inv.e * y + inv.f
    else:
        u = inv.a * x + inv.b * y + inv.c
        v = inv.d * x + inv.e * y + inv.f
    edge_ok = ring[1:] == ring[:-1]
    # twice the signed area of each ring, by trapezoids: Σ (u_i + u_{i+1})(v_{i+1} − v_i),
    # whose terms are small (edges are short), so it stays exact far from the origin
    trapezoid = np.where(edge_ok, (u[:-1] + u[1:]) * (v[1:] - v[:-1]), 0.0)
    area2 = (np.bincount(ring[:-1], weights=trapezoid, minlength=len(rings)) if len(ring)
             else np.zeros(len(rings)))
    sign = np.sign(area2) * np.where(exterior, 1.0, -1.0)
    ring_poly = part_poly[ring_part]
    area = np.bincount(ring_poly, weights=0.5 * np.abs(area2) * np.where(exterior, 1, -1),
                       minlength=n)
    flat = np.zeros(0, dtype=np.intp)
    if (sign == 0).any():  # degenerate rings (no area) have no boundary to integrate
        edge_ok &= sign[ring[:-1]] != 0
        flat = np.unique(ring_poly[sign == 0])
    return _Rings(u, v, ring, ring_poly, sign, edge_ok, area, n, flat)


def _expand(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, offset) pairs: owner i repeated counts[i] times with offsets 0..counts[i]−1."""
    counts = counts.astype(np.intp, copy=False)
    owner = np.repeat(np.arange(len(counts)), counts)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, starts[owner] + offset



def _ring_rows(rings: _Rings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lowest and highest v of each ring present, and its number of vertices (the vertices
    of a ring are contiguous)."""
    if not len(rings.ring):
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.intp)
    starts = np.flatnonzero(np.r_[True, rings.ring[1:] != rings.ring[:-1]])
    sizes = np.diff(np.r_[starts, len(rings.ring)])
    return np.minimum.reduceat(rings.v, starts), np.maximum.reduceat(rings.v, starts), sizes


def _rings_in_rows(rings: _Rings, r0: int, r1: int,
                   ring_rows: tuple[np.ndarray, np.ndarray, np.ndarray]) -> _Rings:
    """Only the rings whose vertices reach rows r0..r1 (whole rings, so they stay closed),
    for the windows of a large raster."""
    lo, hi, sizes = ring_rows
    hit = (hi > r0) & (lo < r1)
    if hit.all():
        return rings
    take = np.repeat(hit, sizes)
    ring = rings.ring[take]
    edge_ok = (ring[1:] == ring[:-1]) & (rings.ring_sign[ring[:-1]] != 0)
    return _Rings(rings.u[take], rings.v[take], ring, rings.ring_poly, rings.ring_sign,
                  edge_ok, rings.area, rings.n)

