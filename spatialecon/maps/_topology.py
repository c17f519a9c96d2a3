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
    kinds = set(shapely.get_type_id(geoms[present]).tolist())
    if not kinds <= {3, 6}:
        raise TypeError("web maps draw polygons: the geometries must be Polygon or MultiPolygon")
    if not present.any():
        return np.zeros((0, 2)), np.zeros(1, int), np.zeros(1, int), np.zeros(len(geoms) + 1, int)
    # Missing and empty → an empty MultiPolygon, so that every geometry keeps its place.
    parts = np.where(present, geoms, shapely.MultiPolygon())
    kind, coords, offsets = shapely.to_ragged_array(parts)
    if kind == shapely.GeometryType.POLYGON:  # all single polygons: one part each
        (ring_off, poly_off), geom_off = offsets, np.arange(len(parts) + 1)
    else:  # mixed polygons and multipolygons come back as multipolygons
        ring_off, poly_off, geom_off = offsets
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

    refs: list[list[int] | None] = [None] * n_rings
    size = ends - starts
    usable = size >= 3
    cut &= usable[ring_id] if n else cut
    cuts_of = np.bincount(ring_id[cut], minlength=n_rings) if n else np.zeros(n_rings, int)
    for r in np.flatnonzero(usable & (cuts_of == 0)):  # islands and enclaves: whole rings
        s, e = int(starts[r]), int(ends[r])
        refs[r] = [store.add_closed(points[s:e], keys[s:e])]
    # Every other ring is cut into arcs from one cut to the next (the last wraps round to the
    # first); their points are gathered in one go, then deduplicated by their keys' bytes.
    at = np.flatnonzero(cut)
    if len(at) == 0:
        return refs
    ring = ring_id[at]
    local = at - starts[ring]
    last = np.r_[ring[1:] != ring[:-1], True]  # the last cut of its ring
    following = np.r_[local[1:], 0]
    first_of_ring = np.r_[True, ring[1:] != ring[:-1]]
    following[last] = local[first_of_ring] + size[ring[last]]
    edges = following - local  # points in the arc = edges + 1
    lengths = edges + 1
    offsets = np.r_[0, np.cumsum(lengths)]
    step = np.arange(int(offsets[-1])) - np.repeat(offsets[:-1], lengths)
    arc_ring = np.repeat(ring, lengths)
    forward = starts[arc_ring] + (np.repeat(local, lengths) + step) % size[arc_ring]
    backward = forward[np.repeat(offsets[1:], lengths) - 1 - step]  # each arc reversed
    arc_points = points[forward]
    out = _dedupe_arcs(keys[forward], keys[backward], offsets, step, lengths)
    if out is None:  # a hash collision (never seen): the exact dictionary, arc by arc
        out = _dedupe_arcs_by_bytes(keys[forward], keys[backward], offsets)
    ids, flipped, stored = out
    base = len(store.arcs)
    store.arcs.extend(arc_points[offsets[i]:offsets[i + 1]] for i in stored.tolist())
    out = np.where(flipped, ~(ids + base), ids + base).tolist()
    # refs per ring, in the order of its cuts
    bounds = np.r_[0, np.flatnonzero(last) + 1]
    for k in range(len(bounds) - 1):
        refs[int(ring[bounds[k]])] = out[bounds[k]:bounds[k + 1]]
    return refs


# A random odd multiplier: arcs are hashed as polynomials in it, mod 2**64.
_HASH = np.uint64(0x9E3779B97F4A7C15)


def _dedupe_arcs(fkeys: np.ndarray, bkeys: np.ndarray, offsets: np.ndarray, step: np.ndarray,
                 lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Which arcs are the same point sequence, forward or reversed, in numpy: each arc's key
    sequence hashed both ways, arcs grouped by (the smaller hash, length), and every member
    compared key by key with its group's first arc (``None`` if any differs: a collision).

    Returns, per arc, the id of its stored arc (ids in order of first appearance), whether it
    runs reversed, and the arcs stored (positions of each id's first arc).
    """
    n_arcs = len(lengths)
    with np.errstate(over="ignore"):
        powers = np.ones(int(lengths.max()), dtype=np.uint64)
        powers[1:] = np.cumprod(np.full(len(powers) - 1, _HASH, dtype=np.uint64))
        weights = powers[step]
        hf = np.add.reduceat(fkeys.astype(np.uint64) * weights, offsets[:-1])
        hb = np.add.reduceat(bkeys.astype(np.uint64) * weights, offsets[:-1])
    canonical = np.minimum(hf, hb)
    _, first, group = np.unique(np.stack([canonical, lengths.astype(np.uint64)], axis=1),
                                axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    rep = first[group]  # the first arc of each arc's group: stored, in its own direction
    flipped = hf != hf[rep]
    # verify: every arc's keys equal its representative's, read forward or reversed
    rep_start = np.repeat(offsets[:-1][rep], lengths)
    own = fkeys
    theirs = np.where(np.repeat(flipped, lengths), bkeys[rep_start + step],
                      fkeys[rep_start + step])
    if not np.array_equal(own, theirs):
        return None
    stored = np.sort(first)  # ids in order of first appearance
    ids = np.empty(n_arcs, dtype=np.int64)
    id_of_rep = np.empty(n_arcs, dtype=np.int64)
    id_of_rep[stored] = np.arange(len(stored))
    ids[:] = id_of_rep[rep]
    return ids, flipped & (rep != np.arange(n_arcs)), stored


def _dedupe_arcs_by_bytes(fkeys: np.ndarray, bkeys: np.ndarray,
                          offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_dedupe_arcs` with a dictionary of the key sequences' bytes (exact, slower)."""
    fbytes, bbytes = fkeys.tobytes(), bkeys.tobytes()
    index: dict[bytes, int] = {}
    ids, flipped, stored = [], [], []
    for i in range(len(offsets) - 1):
        a, b = 8 * int(offsets[i]), 8 * int(offsets[i + 1])
        found = index.get(fbytes[a:b])
        reverse = False
        if found is None:
            found = index.get(bbytes[a:b])
            reverse = found is not None
        if found is None:
            found = index[fbytes[a:b]] = len(stored)
            stored.append(i)
        ids.append(found)
        flipped.append(reverse)
    return np.array(ids, dtype=np.int64), np.array(flipped), np.array(stored, dtype=np.int64)


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
