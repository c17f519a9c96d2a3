"""The two cell rules of zonal statistics over pixel rings: exact coverage fractions (as
exactextract) and cell centres (GDAL's scan-line rule, as rasterstats).
"""

from __future__ import annotations

import numpy as np

from spatialecon.raster._rings import _expand, _offsets, _Rings

#: Cells covered by less than this fraction of their area are ignored (rounding dust: a cell
#: that only touches a polygon along a shared border gets ~1e-15, not exactly 0).
MIN_COVERAGE = 1e-10
#: A cell whose coverage falls outside [−ODD_COVERAGE, 1 + ODD_COVERAGE] marks its polygon
#: invalid (rounding stays below 1e-12).
ODD_COVERAGE = 1e-9
_NONE = np.zeros(0, dtype=np.int64)


def _coverage_cells(rings: _Rings, r0: int, r1: int, width: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact coverage fractions of the cells of rows ``r0 ≤ row < r1``.

    For a cell [j, j+1] × [i, i+1], Green's theorem gives its covered area as
    Σ_edges ∫ (clip(u, j, j+1) − j) dv over the boundary pieces inside row band i. A piece
    inside cell (i, j) adds (ū − j)·Δv to that cell and Δv to every cell left of it in the
    row, and the latter is a suffix sum over the row's pieces. So the boundary is cut at the
    grid lines it crosses (most edges of detailed boundaries cross none), runs of pieces in
    the same cell are summed, and a sorted pass fills in the interior cells.

    Returns polygon, row, column and coverage fraction of every cell with coverage >
    :data:`MIN_COVERAGE`, and the polygons with a cell covered less than 0 or more than 1
    (invalid polygons).
    """
    u, v = rings.u, rings.v
    fu, fv = np.floor(u), np.floor(v)
    same_cell = fu[:-1] == fu[1:]
    same_cell &= fv[:-1] == fv[1:]
    same_cell &= rings.edge_ok
    # 1. Edges inside one cell, summed over runs of consecutive edges (a run never spans two
    #    rings: the edge joining them is not ok). A run [start, stop) adds Σ (ū − j)·Δv to
    #    its cell and lifts the cells left of it by v[stop] − v[start].
    padded = np.zeros(len(same_cell) + 2, dtype=np.int8)
    padded[1:-1] = same_cell
    # change points of the 0/1 sequence alternate: start, stop, start, stop …
    bounds = np.flatnonzero(np.diff(padded))
    starts, stops = bounds[0::2], bounds[1::2]
    if len(starts):
        # within a cell (ū − j) = the mean of the vertices' fractional parts, computed exactly
        frac = u - fu
        own = np.empty(len(u))                  # one spare entry: a run may end at the last
        own[-1] = 0.0
        np.add(frac[:-1], frac[1:], out=own[:-1])
        own[:-1] *= rings.dv
        run_own = 0.5 * np.add.reduceat(own, bounds)[0::2]   # sums over [start, stop) only
        run_lift = v[stops] - v[starts]
    else:
        run_own = run_lift = np.zeros(0)
    run_ring = rings.ring_of(starts)
    run_row, run_col = fv[starts], fu[starts]
    # 2. Edges crossing grid lines, cut at every vertical line 0..width and horizontal line
    #    r0..r1 strictly between their ends (lines outside cannot change cells of the window).
    cut = np.flatnonzero(rings.edge_ok & ~same_cell)
    a0, a1, b0, b1 = u[cut], u[cut + 1], v[cut], v[cut + 1]
    ulo, uhi = np.minimum(a0, a1), np.maximum(a0, a1)
    vlo, vhi = np.minimum(b0, b1), np.maximum(b0, b1)
    k_first = np.maximum(np.floor(ulo) + 1, 0)
    nk = np.maximum(np.minimum(np.ceil(uhi) - 1, width) - k_first + 1, 0).astype(np.intp)
    l_first = np.maximum(np.floor(vlo) + 1, r0)
    nl = np.maximum(np.minimum(np.ceil(vhi) - 1, r1) - l_first + 1, 0).astype(np.intp)
    # Each edge becomes the sequence of its parameters t: 0, the vertical lines it crosses,
    # the horizontal ones, 1, laid out edge after edge. Lines are taken in the direction of
    # travel, so each kind is already in increasing t; only edges crossing lines of both kinds
    # need their cuts merged (two cuts: one swap; more: a sort of those edges only).
    m = len(cut)
    size = 2 + nk + nl
    seg = np.cumsum(size) - size
    owner = np.repeat(np.arange(m), size)
    t = np.empty(len(owner))
    t[seg] = 0.0
    t[seg + size - 1] = 1.0
    owner_k, off = _offsets(nk)
    k = np.where((a1 >= a0)[owner_k], k_first[owner_k] + off,
                 (k_first + nk - 1)[owner_k] - off)
    owner_l, off_l = _offsets(nl)
    line = np.where((b1 >= b0)[owner_l], l_first[owner_l] + off_l,
                    (l_first + nl - 1)[owner_l] - off_l)
    with np.errstate(divide="ignore", invalid="ignore"):
        t[seg[owner_k] + 1 + off] = (k - a0[owner_k]) / (a1 - a0)[owner_k]
        t[(seg + 1 + nk)[owner_l] + off_l] = (line - b0[owner_l]) / (b1 - b0)[owner_l]
    both = (nk > 0) & (nl > 0)
    two = np.flatnonzero(both & (size == 4))
    swap = two[t[seg[two] + 1] > t[seg[two] + 2]]
    t[seg[swap] + 1], t[seg[swap] + 2] = t[seg[swap] + 2], t[seg[swap] + 1]
    many = np.flatnonzero(both & (size > 4))
    if len(many):
        inner_owner, inner = _offsets(size[many] - 2)
        at = seg[many][inner_owner] + 1 + inner
        t[at] = t[at][np.lexsort((t[at], inner_owner))]
    piece = np.ones(len(owner) - 1, dtype=bool) if len(owner) else np.zeros(0, dtype=bool)
    piece[seg[1:] - 1] = False
    ta, tb = t[:-1][piece], t[1:][piece]
    e = np.repeat(np.arange(m), size - 1)          # the edge of each piece
    cut_ring = rings.ring_of(cut)
    du, dv = a1 - a0, b1 - b0
    tm = ta + tb
    tm *= 0.5                                      # midpoint: decides the cell
    pu = du[e]
    pu *= tm
    pu += a0[e]
    pv = dv[e]
    pv *= tm
    pv += b0[e]
    p_dv = tb - ta
    p_dv *= (dv * rings.ring_sign[cut_ring])[e]    # oriented: holes subtract
    p_row, p_col = np.floor(pv), np.floor(pu)
    p_own = np.minimum(pu, width, out=pu)
    p_own -= p_col
    p_own *= p_dv
    p_poly = rings.ring_poly[cut_ring][e]
    run_sign = rings.ring_sign[run_ring]
    # 3. All pieces: keep rows of the window and columns ≥ 0. Pieces right of the raster go
    #    to a virtual column ``width``: they add their Δv to the whole row and nothing else.
    row = np.concatenate([run_row, p_row])
    col = np.concatenate([run_col, p_col])
    own = np.concatenate([run_own * run_sign, p_own])
    lift = np.concatenate([run_lift * run_sign, p_dv])
    poly = np.concatenate([rings.ring_poly[run_ring], p_poly])
    keep = (row >= r0) & (row < r1) & (col >= 0)
    row, col, own, lift, poly = row[keep], col[keep], own[keep], lift[keep], poly[keep]
    right = col >= width
    col[right] = width
    own[right] = 0.0
    height = r1 - r0
    key = ((poly.astype(np.int64) * height + (row.astype(np.int64) - r0))
           * (width + 1) + col.astype(np.int64))
    if not len(key):  # every piece left of the raster or beyond the window's rows
        return _NONE, _NONE, _NONE, np.zeros(0), _NONE
    # pieces of one cell summed in their order along the boundary (a stable sort: the pieces
    # come grouped by ring, so the sort is mostly merging runs, ~4× faster than np.unique's)
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    keys = key[first]
    own = np.add.reduceat(own[order], first)
    lift = np.add.reduceat(lift[order], first)
    group, col = np.divmod(keys, width + 1)
    # 4. Suffix sums of lift within each (polygon, row) group: T[c] = Σ lift over cols ≥ c.
    new = np.r_[True, group[1:] != group[:-1]]
    gstart = np.flatnonzero(new)
    gend = np.r_[gstart[1:], len(keys)]
    gid = np.cumsum(new) - 1
    total_from = _suffix_sums(lift, gend[gid] - 1 - np.arange(len(keys)))
    cell_value = own + total_from - lift
    # interior cells between two boundary cells of a group carry the suffix sum of the right one
    nxt = np.r_[~new[1:], False]
    gap = np.where(nxt, np.r_[col[1:], 0] - col - 1, 0)
    gap_owner, gap_col = _expand(col + 1, np.maximum(gap, 0))
    # no boundary crosses these cells: their coverage is a whole number (1 inside), rounded so
    # that full cells weigh exactly 1 (ties of ``majority`` depend on it)
    gap_value = np.round(total_from[gap_owner + 1])
    # cells left of a group's first boundary cell: non-zero only where the polygon crosses the
    # raster's left edge (its pieces there were dropped)
    left = np.round(total_from[gstart])
    lefty = np.flatnonzero((left != 0) & (col[gstart] > 0))
    left_owner, left_col = _expand(np.zeros(len(lefty)), col[gstart][lefty])
    out_group = np.concatenate([group, group[gap_owner], group[gstart][lefty][left_owner]])
    out_col = np.concatenate([col, gap_col, left_col.astype(np.int64)])
    out_value = np.concatenate([cell_value, gap_value, left[lefty][left_owner]])
    inside = out_col < width
    # a valid polygon covers 0…1 of a cell; beyond (self-intersecting rings, overlapping parts,
    # holes outside their shell) its fractions are meaningless: reported, not dropped
    odd = inside & ((out_value < -ODD_COVERAGE) | (out_value > 1.0 + ODD_COVERAGE))
    invalid = np.unique(out_group[odd] // height) if odd.any() else _NONE
    keep = inside & (out_value > MIN_COVERAGE)
    poly, row = np.divmod(out_group[keep], height)
    value = out_value[keep]
    # a boundary cell covered in full (a border along grid lines) sums to 1 ± rounding
    value[value > 1.0 - 1e-12] = 1.0
    return poly, row + r0, out_col[keep], value, invalid


def _centre_cells(rings: _Rings, r0: int, r1: int, width: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cells of rows ``r0 ≤ row < r1`` whose centre lies inside a polygon, by GDAL's rule.

    As GDAL's ``GDALdllImageFilledPolygon``: each scan line v = row + 0.5 meets the edges with
    v_low ≤ v < v_high (horizontal edges never), the crossings are rounded to
    ``floor(u + 0.5)``, sorted per polygon and row, and pairs of them bound the filled cells
    ``[u_a, u_b − 1]`` (even–odd over all rings of the polygon). Weight 1 per cell. (GDAL also
    burns a horizontal edge lying exactly on a scan line; that degenerate case is not copied.)
    The even–odd rule takes any ring, so no polygon is reported invalid (the last, empty array).
    """
    u, v = rings.u, rings.v
    line = np.ceil(v - 0.5)  # first scan line at or above each vertex
    crossing = np.flatnonzero(rings.edge_ok & (line[:-1] != line[1:]))
    va, vb, ua, ub = v[crossing], v[crossing + 1], u[crossing], u[crossing + 1]
    up = va < vb
    vl, vh = np.where(up, va, vb), np.where(up, vb, va)
    ul, uh = np.where(up, ua, ub), np.where(up, ub, ua)
    first = np.maximum(np.ceil(vl - 0.5), r0)
    count = np.maximum(np.minimum(np.ceil(vh - 0.5), r1) - first, 0)
    owner, row = _expand(first, count)
    scan = row + 0.5
    x = (scan - vl[owner]) * (uh - ul)[owner] / (vh - vl)[owner] + ul[owner]
    xi = np.floor(x + 0.5)
    poly = rings.ring_poly[rings.ring_of(crossing)[owner]]
    order = np.lexsort((xi, row, poly))
    xi, row, poly = xi[order], row[order], poly[order]
    lo = np.maximum(xi[0::2], 0)
    hi = np.minimum(xi[1::2], width)
    n = np.maximum(hi - lo, 0)
    span, col = _expand(lo, n)
    return (poly[0::2][span], row[0::2][span].astype(np.int64), col.astype(np.int64),
            np.ones(len(span)), _NONE)



def _suffix_sums(x: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Σ x[i : i + after[i] + 1] for every i: sums to the end of each contiguous group, where
    ``after[i]`` counts the elements after i in its group.

    By doubling (Hillis–Steele): after the pass with step d each element holds the sum of the
    next 2d elements of its group. Written by hand because numpy has no segmented scan, and
    the global cumulative sum it would take otherwise rounds with the other groups' sums: a
    polygon's coverage would then depend on which other polygons share the call. Here each
    sum is a fixed tree over its own group only, so blocks of polygons give identical results.
    """
    out = x.copy()
    step = 1
    idx = np.flatnonzero(after >= 1)
    while len(idx):
        out[idx] = out[idx] + out[idx + step]   # the right side is read before any write
        step *= 2
        idx = idx[after[idx] >= step]
    return out
