"""Blocks of polygons and windows of rows for zonal statistics: polygons are grouped in bands
that are compact in space and of bounded work, rows in windows on a grid fixed by the raster.
"""

from __future__ import annotations

import numpy as np
import shapely
from affine import Affine

from spatialecon.raster._io import RasterError


def _partition(geoms: np.ndarray, block_size: int,
               transform: Affine | None = None) -> list[np.ndarray]:
    """Blocks of positions: bands by bounding-box centre, about ``block_size`` units of work
    (vertices, plus the raster cells of each bounding box when ``transform`` is given)."""
    n = len(geoms)
    if not n:
        return []
    if int(block_size) != block_size or block_size < 1:
        raise RasterError(f"block_size must be a positive integer, not {block_size!r}")
    size = np.maximum(shapely.get_num_coordinates(geoms), 1).astype(np.float64)
    bounds = shapely.bounds(geoms)
    if transform is not None:
        size += _bbox_cells(bounds, transform)
    if size.sum() <= block_size:
        return [np.arange(n)]
    centre = 0.5 * (bounds[:, 1] + bounds[:, 3])      # NaN (empty geometries) sorts last
    order = np.argsort(centre, kind="stable")
    start = np.cumsum(size[order]) - size[order]
    block = start // int(block_size)                  # a block starts every block_size
    cut = np.flatnonzero(block[1:] != block[:-1]) + 1
    return np.split(order, cut)


def _pixel_extent(bounds: np.ndarray, transform: Affine
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Column and row ranges (u_min, u_max, v_min, v_max, fractional) of each bounding box in
    pixel space: its four corners through the inverse transform (a rotated raster included);
    NaN for empty geometries."""
    x0, y0, x1, y1 = bounds.T
    inv = ~transform
    xs = np.array([x0, x0, x1, x1])
    ys = np.array([y0, y1, y0, y1])
    us = inv.a * xs + inv.b * ys + inv.c
    vs = inv.d * xs + inv.e * ys + inv.f
    return us.min(axis=0), us.max(axis=0), vs.min(axis=0), vs.max(axis=0)


def _bbox_cells(bounds: np.ndarray, transform: Affine) -> np.ndarray:
    """Raster cells spanned by each bounding box; 0 for empty geometries."""
    u0, u1, v0, v1 = _pixel_extent(bounds, transform)
    with np.errstate(invalid="ignore"):
        cells = (np.ceil(u1) - np.floor(u0)) * (np.ceil(v1) - np.floor(v0))
    return np.nan_to_num(cells, nan=0.0)


def _windows(rows: tuple[int, int] | None, step: int) -> list[tuple[int, int, int]]:
    """(window number, first row, end row) of the fixed windows of ``step`` rows that meet
    ``rows``, clipped to them."""
    if rows is None:
        return []
    top, bottom = rows
    return [(k, max(k * step, top), min((k + 1) * step, bottom))
            for k in range(top // step, -(-bottom // step))]


def _window_count(top: int | None, bottom: int | None, step: int) -> int:
    return 0 if top is None else len(_windows((top, bottom), step))
