"""A compact, shared encoding of a polygon coverage for web maps (TopoJSON's idea, smaller).

Web maps of Chinese counties are big because every border is stored twice (once per
neighbour) and as long decimal text in every layer. Here the coverage is encoded once:

1. coordinates are quantised to ``10**-precision`` degrees (4 decimals ≈ 10 m);
2. rings are cut where the neighbour across the border changes, so that each stretch of
   border shared by two units becomes one *arc*, stored once and referenced by both (reversed
   by one of them), as in TopoJSON;
3. the arcs are delta-encoded and written as zig-zag variable-length integers in a 64-letter
   alphabet (``A–Z a–z 0–9 - _``: five bits per letter plus a continuation bit), about four
   letters per point instead of ~18 characters of GeoJSON.

The browser decodes it once (``_leaflet.RUNTIME_JS``) and every layer of the page restyles the
same polygons, so a page with ten layers carries the geometry once.

Correctness does not depend on the topology being perfect: arcs are matched by their exact
quantised coordinates, so a border that two units do not share vertex for vertex is simply
stored twice.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import shapely

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_LETTERS = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)


@dataclass
class Topology:
    """The encoded coverage.

    Attributes
    ----------
    arcs
        All arcs' points as zig-zag varints of the deltas along the concatenated stream (x and
        y interleaved, quantised units).
    arc_lengths
        Points in each arc.
    origin, scale
        A quantised ``(qx, qy)`` is the point ``(origin_x + qx / scale, origin_y + qy / scale)``.
    shapes
        Per geometry: polygons → rings → arc references (``i`` an arc, ``~i`` the arc ``i``
        reversed). Empty for an empty geometry.
    lines
        Per line geometry: line strings → arc references.
    """

    arcs: str
    arc_lengths: list[int]
    origin: tuple[float, float]
    scale: int
    shapes: list[list[list[list[int]]]]
    lines: list[list[list[int]]]

    def payload(self) -> dict:
        return {"arcs": self.arcs, "lengths": self.arc_lengths,
                "origin": [self.origin[0], self.origin[1]], "scale": self.scale}


class _ArcStore:
    """Arcs, deduplicated by their exact quantised coordinates in either direction."""

    def __init__(self) -> None:
        self.arcs: list[np.ndarray] = []
        self._index: dict[bytes, int] = {}

    def add(self, points: np.ndarray, keys: np.ndarray, *, share: bool = True) -> int:
        if share:
            forward = keys.tobytes()
            found = self._index.get(forward)
            if found is not None:
                return found
            found = self._index.get(keys[::-1].tobytes())
            if found is not None:
                return ~found
        self.arcs.append(points)
        if share:
            self._index[forward] = len(self.arcs) - 1
        return len(self.arcs) - 1

    def add_closed(self, points: np.ndarray, keys: np.ndarray) -> int:
        """A ring with no cut (an island, an enclave): rotated to start at its smallest key so
        that the enclave and the hole around it, starting anywhere, meet as one arc."""
        start = int(np.argmin(keys))
        order = np.r_[start:len(keys), 0:start]
        forward_keys = keys[order]
        found = self._index.get(forward_keys.tobytes())
        if found is not None:
            return found
        # Reversed, still starting at the minimum.
        backward_keys = np.r_[forward_keys[:1], forward_keys[:0:-1]]
        found = self._index.get(backward_keys.tobytes())
        if found is not None:
            return ~found
        closed = points[np.r_[order, start]]
        self.arcs.append(closed)
        self._index[forward_keys.tobytes()] = len(self.arcs) - 1
        return len(self.arcs) - 1


def _polygon_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates and the ring, polygon and geometry offsets of polygons/multipolygons."""
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    parts = np.array([g if ok else shapely.MultiPolygon() for g, ok in zip(geoms, present,
                                                                          strict=True)],
                     dtype=object)
    kinds = set(shapely.get_type_id(parts[present]).tolist())
    if not kinds <= {3, 6}:
        raise TypeError("web maps draw polygons: the geometries must be Polygon or MultiPolygon")
    if not present.any():
        return np.zeros((0, 2)), np.zeros(1, int), np.zeros(1, int), np.zeros(len(geoms) + 1, int)
    # Promote everything to MultiPolygon so to_ragged_array gives three levels of offsets.
    multi = np.array([g if shapely.get_type_id(g) == 6 else shapely.MultiPolygon([g])
                      for g in parts], dtype=object)
    _, coords, (ring_off, poly_off, geom_off) = shapely.to_ragged_array(multi)
    return coords, np.asarray(ring_off), np.asarray(poly_off), np.asarray(geom_off)


def encode(polygons: np.ndarray, lines: np.ndarray | None = None, *,
           precision: int = 4) -> Topology:
    """Encode a coverage of (multi)polygons, sharing the borders between them, and optional
    (multi)line strings (not shared), for :data:`~spatialecon.maps._leaflet.RUNTIME_JS`.

    Parameters
    ----------
    polygons
        Polygon or MultiPolygon per unit, in longitude/latitude degrees.
    lines
        LineString or MultiLineString geometries (the South China Sea line).
    precision
        Decimals of the degrees kept (0–6; the quantised x and y share one 64-bit key).

    Returns
    -------
    Topology
    """
    if int(precision) != precision or not 0 <= precision <= 6:
        raise ValueError(f"precision must be an integer 0–6 (decimals), not {precision!r}")
    scale = 10 ** int(precision)
    coords, ring_off, poly_off, geom_off = _polygon_parts(np.asarray(polygons, dtype=object))
    line_geoms = [] if lines is None else [g for g in np.asarray(lines, dtype=object)]
    line_coords = [shapely.get_coordinates(g) for g in line_geoms]
    everything = np.vstack([coords, *line_coords]) if len(coords) or line_coords else coords
    if len(everything) == 0:
        return Topology("", [], (0.0, 0.0), scale, [[] for _ in range(len(geom_off) - 1)], [])
    origin = np.floor(everything.min(axis=0) * scale) / scale
    quantised = np.rint((coords - origin) * scale).astype(np.int64)
    store = _ArcStore()
    rings = _ring_arcs(quantised, ring_off, store)

    shapes: list[list[list[list[int]]]] = []
    for g in range(len(geom_off) - 1):
        polygons_out = []
        for p in range(geom_off[g], geom_off[g + 1]):
            refs = [rings[r] for r in range(poly_off[p], poly_off[p + 1])]
            if refs and refs[0] is not None:  # a shell that vanished takes its holes along
                polygons_out.append([ring for ring in refs if ring is not None])
        shapes.append(polygons_out)

    lines_out = []
    for geom, points in zip(line_geoms, line_coords, strict=True):
        q = np.rint((points - origin) * scale).astype(np.int64)
        parts = shapely.get_parts(geom)
        sizes = shapely.get_num_coordinates(parts)
        refs, start = [], 0
        for size in sizes:
            segment = _dedupe(q[start:start + size])
            start += size
            if len(segment) >= 2:
                refs.append([store.add(segment, _keys(segment), share=False)])
        lines_out.append(refs)

    lengths = [len(a) for a in store.arcs]
    stream = np.vstack(store.arcs) if store.arcs else np.zeros((0, 2), np.int64)
    return Topology(arcs=_varints(stream), arc_lengths=lengths,
                    origin=(float(origin[0]), float(origin[1])), scale=scale, shapes=shapes,
                    lines=lines_out)


def _keys(points: np.ndarray) -> np.ndarray:
    """One int64 per quantised point (x in the high 32 bits): equal points, equal keys."""
    return (points[:, 0] << 32) | points[:, 1]


def _dedupe(points: np.ndarray) -> np.ndarray:
    """Drop points equal to their predecessor (rounding merges close vertices)."""
    if len(points) < 2:
        return points
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.any(points[1:] != points[:-1], axis=1)
    return points[keep]


def _ring_arcs(quantised: np.ndarray, ring_off: np.ndarray,
               store: _ArcStore) -> list[list[int] | None]:
    """Arc references of every ring (``None`` for a ring that rounding reduced to < 3
    points)."""
    n_rings = len(ring_off) - 1
    ring_of_point = np.repeat(np.arange(n_rings), np.diff(ring_off))
    # Drop each ring's closing point and points equal to their predecessor in the ring.
    keep = np.ones(len(quantised), dtype=bool)
    keep[ring_off[1:] - 1] = False
    same = np.zeros(len(quantised), dtype=bool)
    same[1:] = np.all(quantised[1:] == quantised[:-1], axis=1) & (
        ring_of_point[1:] == ring_of_point[:-1])
    keep &= ~same
    points = quantised[keep]
    ring_id = ring_of_point[keep]
    starts = np.searchsorted(ring_id, np.arange(n_rings), side="left")
    ends = np.searchsorted(ring_id, np.arange(n_rings), side="right")
    # A ring's last point equal to its first (after rounding) goes too.
    wrap = (ends - starts >= 2)
    wrap[wrap] = np.all(points[ends[wrap] - 1] == points[starts[wrap]], axis=1)
    if wrap.any():
        drop = np.ones(len(points), dtype=bool)
        drop[ends[wrap] - 1] = False
        points, ring_id = points[drop], ring_id[drop]
        starts = np.searchsorted(ring_id, np.arange(n_rings), side="left")
        ends = np.searchsorted(ring_id, np.arange(n_rings), side="right")

    keys = _keys(points)
    n = len(points)
    # Edge i runs from point i to the next point of its ring (the first, for the last point).
    following = np.arange(1, n + 1)
    following[ends[ends > starts] - 1] = starts[ends > starts]
    a, b = keys, keys[following % max(n, 1)] if n else keys
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((hi, lo))
    same_edge = np.zeros(n, dtype=bool)
    if n > 1:
        same_edge[1:] = (lo[order][1:] == lo[order][:-1]) & (hi[order][1:] == hi[order][:-1])
    # The unit across each edge: the ring of the other occurrence of the same edge (-1 for a
    # coastline or the edge of the data); three or more occurrences share nothing (-2).
    group = np.cumsum(~same_edge) - 1
    group_size = np.bincount(group)
    other = np.full(n, -1, dtype=np.int64)
    sorted_rings = ring_id[order]
    pairs = np.flatnonzero(same_edge)  # position j pairs with j-1 in sorted order
    two = group_size[group[pairs]] == 2
    pairs = pairs[two]
    other_sorted = np.full(n, -1, dtype=np.int64)
    other_sorted[pairs] = sorted_rings[pairs - 1]
    other_sorted[pairs - 1] = sorted_rings[pairs]
    crowded = group_size[group] > 2
    other_sorted[crowded] = -2
    other[order] = other_sorted

    # A cut where the neighbour changes: at point i, between edge i-1 and edge i.
    previous = np.arange(-1, n - 1)
    nonempty = ends > starts
    previous[starts[nonempty]] = ends[nonempty] - 1
    cut = other != other[previous] if n else np.zeros(0, dtype=bool)

    refs: list[list[int] | None] = []
    for r in range(n_rings):
        s, e = int(starts[r]), int(ends[r])
        if e - s < 3:
            refs.append(None)
            continue
        ring_points, ring_keys = points[s:e], keys[s:e]
        cuts = np.flatnonzero(cut[s:e])
        if len(cuts) == 0:
            refs.append([store.add_closed(ring_points, ring_keys)])
            continue
        first = int(cuts[0])
        # Start at the first cut and close the ring, so every arc is a plain slice.
        order = np.r_[first:e - s, 0:first + 1]
        rotated, rotated_keys = ring_points[order], ring_keys[order]
        bounds = [*(cuts - first).tolist(), e - s]
        refs.append([store.add(rotated[i:j + 1], rotated_keys[i:j + 1])
                     for i, j in itertools.pairwise(bounds)])
    return refs


def _varints(points: np.ndarray) -> str:
    """Zig-zag varints of the deltas of ``points`` (x, y interleaved) in :data:`ALPHABET`."""
    if len(points) == 0:
        return ""
    deltas = np.diff(points, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
    zigzag = ((deltas << 1) ^ (deltas >> 63)).astype(np.uint64)
    digits = np.zeros((len(zigzag), 13), dtype=np.uint8)  # 13 × 5 bits ≥ 64 bits
    count = np.ones(len(zigzag), dtype=np.int64)
    rest = zigzag.copy()
    for j in range(13):
        digits[:, j] = (rest & np.uint64(31)).astype(np.uint8)
        rest >>= np.uint64(5)
        if j:
            count += (zigzag >> np.uint64(5 * j)) > 0
    position = np.arange(13)
    more = position[None, :] < (count[:, None] - 1)
    letters = _LETTERS[digits | (more.astype(np.uint8) << 5)]
    used = position[None, :] < count[:, None]
    return letters[used].tobytes().decode("ascii")


def decode(topology: Topology) -> tuple[list[list[list[np.ndarray]]], list[np.ndarray]]:
    """Rebuild rings (in degrees) from a :class:`Topology`, as the browser does: for tests.

    Returns
    -------
    (shapes, arcs)
        Per geometry, polygons → rings as ``(n, 2)`` arrays of lon/lat (open: the closing
        point is not repeated); and the decoded arcs.
    """
    values = []
    shift = result = 0
    lookup = {c: i for i, c in enumerate(ALPHABET)}
    for char in topology.arcs:
        v = lookup[char]
        result |= (v & 31) << shift
        shift += 5
        if not v & 32:
            values.append((result >> 1) ^ -(result & 1))
            shift = result = 0
    stream = np.cumsum(np.array(values, dtype=np.int64).reshape(-1, 2), axis=0)
    degrees = stream / topology.scale + np.array(topology.origin)
    arcs, start = [], 0
    for length in topology.arc_lengths:
        arcs.append(degrees[start:start + length])
        start += length
    shapes = []
    for polygons in topology.shapes:
        out = []
        for polygon in polygons:
            rings = []
            for ring in polygon:
                parts = [arcs[r] if r >= 0 else arcs[~r][::-1] for r in ring]
                points = np.vstack([parts[0], *(p[1:] for p in parts[1:])])
                rings.append(points[:-1] if np.array_equal(points[0], points[-1]) else points)
            out.append(rings)
        shapes.append(out)
    return shapes, arcs
