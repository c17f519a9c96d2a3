"""Zonal statistics (:func:`zonal_stats`).

    The polygons are turned into cell weights once, in pixel space, with vectorised numpy over
    all their vertices (no per-polygon rasterisation call), and the statistics are reductions
    of the weighted cells with ``numpy.bincount``. Two cell rules, each reproducing a reference
    implementation exactly (up to its float32 output), with all its conventions:

    ``rule="coverage"`` (default) — **exact coverage fractions**, as ``exactextract``
        Every cell a polygon overlaps takes part with the fraction of its area the polygon
        covers (computed exactly, not by supersampling: Green's theorem over the boundary
        pieces clipped to each cell). So every polygon that overlaps a valid cell gets a
        value, however small it is: with the cell-centre rule about one county in ten gets no
        cell of the 0.2° China DEM. ``count`` and ``sum`` are coverage-weighted
        (Σc, Σc·v), ``mean`` = Σc·v / Σc, ``std`` the coverage-weighted population standard
        deviation, ``min``/``max`` over the cells with c > 0, percentiles exactextract's
        weighted quantile over the polygon's distinct values (each weighted by its total
        coverage), ``majority`` the value with the largest total coverage (ties: the
        largest value). Exact rather than supersampled because the exact fractions cost no
        more here, have no resolution parameter, and equal exactextract's.

    ``rule="centre"`` — **cell centres**, as GDAL's rasteriser and ``rasterstats``
        A cell belongs to a polygon when its centre falls inside (GDAL's scan-line rule, with
        its rounding), unweighted: ``count`` is a number of cells, percentiles are numpy's
        linear (type 7) percentiles of the cells, ``majority`` the most frequent value (ties:
        the smallest), as rasterstats computes them.

    Cells of less than :data:`MIN_COVERAGE` of their area (floating-point dust along shared
    borders) are ignored. Overlapping polygons are fine (each has its own cells). Polygons must
    be valid: one whose cells come out covered less than 0 or more than once (self-intersecting
    rings, overlapping parts) is an error naming it, and ``validate=True`` checks every polygon
    with GEOS first (``make_valid`` repairs them).

Blocks and windows
    The polygons are processed in spatially compact blocks (:func:`zonal_blocks`) of about
    ``block_size`` units of work — vertices plus the raster cells of each polygon's bounding
    box — so the intermediate arrays stay bounded whatever the number of polygons, and the
    raster in windows of whole rows (``max_cells`` cells each) on a grid of windows fixed by
    the raster, so rasters larger than memory work: the weights are computed per window from
    the edges that cross it, the moments are merged across windows (Chan's parallel update),
    and the order statistics keep one (value, weight) entry per distinct value and polygon.
    A polygon's statistics depend only on the polygon, the raster and the window size: any
    partition of the polygons into blocks (:func:`zonal_stats_block`, concatenated by
    :func:`combine_zonal_blocks`) gives exactly the one-call result, which is how a cluster
    computes them. The result does not depend on the window size beyond rounding.

"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import shapely
from affine import Affine
from rasterio.windows import Window

from spatialecon.raster._blocks import _partition, _pixel_extent, _window_count, _windows
from spatialecon.raster._checks import (
    _check_polygons,
    _check_valid,
    _refuse_invalid,
    _warn_duplicates,
    _warn_no_value,
)
from spatialecon.raster._coverage import MIN_COVERAGE, _centre_cells, _coverage_cells
from spatialecon.raster._io import (
    WINDOW_CELLS,
    RasterError,
    _nodata_list,
    _opened,
    _raster_crs,
    _raster_name,
    _read,
    _refuse_infinite,
)
from spatialecon.raster._reducers import _assemble, _parse_stats, _Reducer
from spatialecon.raster._rings import _pixel_rings, _ring_rows, _rings_in_rows

if TYPE_CHECKING:
    import geopandas as gpd

Rule = Literal["coverage", "centre"]
RULES: tuple[str, ...] = ("coverage", "centre")
#: Work per block of polygons by default, counted as their vertices plus the raster cells of
#: their bounding boxes (what the intermediate arrays grow with): up to ~400 bytes per unit,
#: ~50 MiB a block, on grids of small cells; far less on detailed boundaries.
BLOCK_SIZE = 2**17
# Windows of at most this many cells are read whole (and kept for the next blocks).
_WHOLE_WINDOW = 2**20


def zonal_stats(
    raster: Any,
    polygons: gpd.GeoDataFrame | gpd.GeoSeries,
    stats: str | Sequence[str] = ("mean", "min", "max", "count"),
    *,
    rule: Rule = "coverage",
    band: int = 1,
    nodata: float | Sequence[float] | None = None,
    crs: Any = None,
    max_cells: int = WINDOW_CELLS,
    block_size: int = BLOCK_SIZE,
    validate: bool = False,
    warn: bool = True,
    backend: Literal["serial", "dask"] = "serial",
    client: Any = None,
) -> pd.DataFrame:
    """Statistics of the raster cells in each polygon.

    Parameters
    ----------
    raster
        A path GDAL can open, or an open rasterio dataset (e.g. :func:`from_array`).
    polygons
        GeoDataFrame or GeoSeries of Polygon/MultiPolygon with a CRS; reprojected to the
        raster's CRS when it differs (vertices only: densify coarse polygons first).
    stats
        Any of ``mean``, ``min``, ``max``, ``std`` (population), ``count``, ``sum``,
        ``median``, percentiles ``"p<q>"`` (``"p10"``, ``"p2.5"``), ``majority``, ``range``
        (max − min), ``cells`` (number of valid cells taking part) and ``nodata`` (weight of
        the nodata cells taking part), in the order of the columns wanted.
    rule
        ``"coverage"`` (exact coverage fractions, exactextract's conventions) or ``"centre"``
        (cell centres, GDAL/rasterstats conventions); see the module docstring.
    band
        Band to read (1-based).
    nodata
        Values to treat as missing besides the raster's declared nodata, its mask and NaN
        (e.g. an undeclared fill value).
    crs
        CRS to assume for a raster that declares none (an explicit assumption, recorded in
        ``attrs``); an error for a raster that has one.
    max_cells
        Cells per window: rows are processed in windows of at most this many cells, so
        rasters larger than memory work. Results do not depend on it beyond rounding.
    block_size
        Work per block of polygons (:data:`BLOCK_SIZE`), counted as vertices plus the raster
        cells of each polygon's bounding box: bounds the memory of the intermediate arrays.
        Results do not depend on it at all.
    validate
        Check every polygon with GEOS (``shapely.is_valid``) first and refuse invalid ones by
        name. Off by default because it costs more than the statistics (~0.2 s per million
        vertices); without it, an invalid polygon is still refused when it makes some cell's
        coverage leave [0, 1] (a self-intersection or overlap larger than a cell).
    warn
        Warn about polygons that get no value (outside the raster, only nodata cells, no cell
        centre, empty geometry; they are listed in ``attrs["no_value"]`` either way), about
        repeated index labels and about repeated geometries.
    backend, client
        ``"dask"`` computes the blocks of :func:`zonal_blocks` as tasks on a ``distributed``
        cluster (``client``, or the current one; :func:`spatialecon.parallel.map_blocks`):
        each task gets its block's geometries and opens the raster itself, so ``raster``
        must be a path or GDAL URI every worker can open (``/vsis3/...``, a shared disk).
        The table is the in-process one exactly: a polygon's statistics depend only on the
        polygon and the raster.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``polygons``, one float column per statistic (``cells`` is an integer).
        Polygons without valid cells have NaN, ``count`` 0 and ``cells`` 0. ``attrs`` records
        the raster, band, CRS (and whether it was assumed or the polygons reprojected), the
        rule and its conventions, nodata values, windows (``windows``, ``rows_per_window``,
        ``rows``), ``block_size``, ``validated``, ``no_value`` (label
        → reason) and, under the coverage rule, ``partly_outside`` (label → fraction of the
        polygon's area beyond the raster's extent).

    Raises
    ------
    RasterError
        A raster without CRS (and no ``crs=``), polygons without CRS, non-polygons, invalid
        polygons (named, with the repair), an unknown statistic or rule.

    Notes
    -----
    The coverage fractions are planar, in the raster's CRS: on a longitude/latitude grid a
    cell is weighted by its fraction, not by its area on the ground, exactly as exactextract
    does by default. Over a county the cell areas differ by well under 1 %.

    The embedded boundaries (:func:`spatialecon.geodata.boundaries`) are GCJ-02 labelled
    EPSG:4326, so no reprojection happens against a WGS-84 raster: convert them with
    :func:`spatialecon.geodata.to_wgs84` first when the 100–700 m offset matters at the
    raster's resolution (:func:`county_terrain` does).

    Examples
    --------
    >>> from spatialecon.geodata import boundaries
    >>> dem = china_dem()
    >>> table = zonal_stats(dem, boundaries("county"), ["mean", "min", "max"])  # doctest: +SKIP
    """
    if backend == "serial":
        out, geoms = _run(raster, polygons, stats, rule, band, nodata, crs, max_cells,
                          block_size, validate)
    else:
        out = _run_on_cluster(raster, polygons, stats, backend, client, rule=rule, band=band,
                              nodata=nodata, crs=crs, max_cells=max_cells,
                              block_size=block_size, validate=validate)
        geoms = np.asarray(_series(polygons).to_numpy(), dtype=object)
    if backend != "serial":  # the in-process attrs stay those of combine_zonal_blocks
        out.attrs["backend"] = backend
    if warn:
        _warn_no_value(out, out.attrs["rule"])
        _warn_duplicates(polygons.index, geoms)
    return out


def zonal_stats_block(
    raster: Any,
    polygons: gpd.GeoDataFrame | gpd.GeoSeries,
    stats: str | Sequence[str] = ("mean", "min", "max", "count"),
    *,
    rule: Rule = "coverage",
    band: int = 1,
    nodata: float | Sequence[float] | None = None,
    crs: Any = None,
    max_cells: int = WINDOW_CELLS,
    block_size: int = BLOCK_SIZE,
    validate: bool = False,
) -> pd.DataFrame:
    """The statistics of one block of polygons (rows of a larger table): the unit of work of a
    cluster.

    Takes the arguments of :func:`zonal_stats` (without ``warn``) and returns its table for
    these rows, with the block's ``attrs``. A polygon's statistics depend only on the polygon,
    the raster and ``max_cells``, so for any split of a table into blocks,
    ``combine_zonal_blocks([zonal_stats_block(raster, part, ...) for part in parts])`` equals
    ``zonal_stats(raster, table, ...)`` exactly (values and ``attrs``). Pass a path the workers
    can open, not a dataset. :func:`zonal_blocks` gives blocks that are compact in space (each
    reads only its part of the raster).

    Returns
    -------
    pandas.DataFrame
        As :func:`zonal_stats`; no warnings (they are given once, by the caller).
    """
    return _run(raster, polygons, stats, rule, band, nodata, crs, max_cells, block_size,
                validate)[0]


def combine_zonal_blocks(blocks: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate the tables of :func:`zonal_stats_block` (in the order of their rows) into
    the table :func:`zonal_stats` gives for all of them, ``attrs`` included.

    Raises
    ------
    RasterError
        No blocks, or blocks computed with different rasters, statistics or conventions.
    """
    if not blocks:
        raise RasterError("no blocks to combine")
    first = blocks[0].attrs
    # what the values depend on (block_size does not change them)
    same = ("raster", "band", "crs", "rule", "nodata", "rows_per_window", "validated")
    for k, block in enumerate(blocks[1:], start=1):
        differ = [key for key in same if block.attrs.get(key) != first.get(key)]
        if differ or list(block.columns) != list(blocks[0].columns):
            raise RasterError(f"block {k} was computed differently from block 0 "
                              f"({', '.join(differ) or 'statistics'}); combine blocks of one "
                              "zonal_stats_block call pattern only")
    out = pd.concat(list(blocks))
    rows = [b.attrs["rows"] for b in blocks if b.attrs["rows"] is not None]
    top = min((r[0] for r in rows), default=None)
    bottom = max((r[1] for r in rows), default=None)
    out.attrs = {
        **first,
        "rows": None if top is None else [top, bottom],
        "windows": _window_count(top, bottom, first["rows_per_window"]),
        "no_value": {k: v for b in blocks for k, v in b.attrs["no_value"].items()},
        "partly_outside": {k: v for b in blocks for k, v in b.attrs["partly_outside"].items()},
    }
    return out


def zonal_blocks(polygons: gpd.GeoDataFrame | gpd.GeoSeries, block_size: int = BLOCK_SIZE,
                 raster: Any = None) -> list[np.ndarray]:
    """Row positions of the polygons in blocks that are compact in space (bands, by the centre
    of each polygon's bounding box) of about ``block_size`` units of work each (a polygon with
    more is a block of its own): the blocks :func:`zonal_stats` uses, and good tasks for
    :func:`zonal_stats_block`.

    Parameters
    ----------
    polygons
        As for :func:`zonal_stats`.
    block_size
        Work per block: vertices, plus the raster cells of each polygon's bounding box when
        ``raster`` is given.
    raster
        The raster the statistics will be taken on (path or dataset), to count its cells;
        without it blocks count vertices only.

    Returns
    -------
    list of numpy.ndarray
        Positions (``iloc``) of each block; together every row exactly once.
    """
    series = _series(polygons)
    if raster is None:
        return _partition(np.asarray(series.to_numpy(), dtype=object), block_size)
    with _opened(raster) as src:
        if series.crs is not None and src.crs is not None and not series.crs.equals(
                src.crs.to_wkt(), ignore_axis_order=True):
            series = series.to_crs(src.crs.to_wkt())
        transform = src.transform
    return _partition(np.asarray(series.to_numpy(), dtype=object), block_size, transform)


# ─────────────────────────────────────────────────────────────────────────────────────────────
# One call: its conventions, its blocks, its table
# ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass
class _Part:
    """The statistics of one block: the table and what ``attrs`` are made of."""

    table: pd.DataFrame
    count: np.ndarray
    nodata: np.ndarray
    area: np.ndarray
    reasons: dict
    rows: tuple[int, int] | None


@dataclass
class _Call:
    """What one call of :func:`zonal_stats` asks for, checked once."""

    names: list[str]
    percentiles: dict[str, float]
    rule: str
    band: int
    extra: tuple[float, ...]
    max_cells: int
    block_size: int
    validate: bool
    step: int = 0
    shape: tuple[int, int] = (0, 0)
    transform: Affine | None = None
    layer: str = ""
    _window: tuple | None = None    # (number, first row, values, valid) of the window read last

    @classmethod
    def prepare(cls, stats: Any, rule: str, band: int, nodata: Any, max_cells: int,
                block_size: int, validate: bool) -> _Call:
        names, percentiles = _parse_stats(stats)
        rule = "centre" if rule == "center" else rule
        if rule not in RULES:
            raise RasterError(f"rule must be one of {RULES}, not {rule!r}")
        if int(band) != band or band < 1:
            raise RasterError(f"band must be a positive integer, not {band!r}")
        for name, value in (("max_cells", max_cells), ("block_size", block_size)):
            if int(value) != value or value < 1:
                raise RasterError(f"{name} must be a positive integer, not {value!r}")
        return cls(names, percentiles, rule, int(band), _nodata_list(nodata), int(max_cells),
                   int(block_size), bool(validate))

    def open(self, src: Any, series: Any, crs: Any) -> tuple[np.ndarray, dict]:
        """The polygons in the raster's CRS, and the source's part of ``attrs``."""
        if self.band > src.count:
            raise RasterError(f"raster {src.name} has {src.count} band(s); band={self.band}")
        raster_crs = _raster_crs(src, crs)
        reprojected = None
        if not series.crs.equals(raster_crs.to_wkt(), ignore_axis_order=True):
            reprojected = f"{series.crs.to_string()} → {raster_crs.to_string()}"
            series = series.to_crs(raster_crs.to_wkt())
        self.shape = (src.height, src.width)
        self.transform = src.transform
        # windows of whole rows on a grid fixed by the raster (not by the polygons), so every
        # polygon sees the same windows in whatever block it is computed
        self.step = max(1, self.max_cells // max(src.width, 1))
        self.layer = f"{_raster_name(src)} band {self.band}"
        source = {"raster": src.name, "band": self.band, "crs": raster_crs.to_string(),
                  "crs_assumed": src.crs is None, "declared_nodata": src.nodata,
                  "reprojected": reprojected}
        return np.asarray(series.to_numpy(), dtype=object), source

    def block(self, src: Any, geoms: np.ndarray, labels: pd.Index) -> _Part:
        """Statistics of the polygons of one block."""
        _check_polygons(geoms, labels)
        if self.validate:
            _check_valid(geoms, labels)
        height, width = self.shape
        rings = _pixel_rings(geoms, self.transform)
        reducer = _Reducer(len(geoms), bool(self.percentiles) or "majority" in self.names)
        cells = _coverage_cells if self.rule == "coverage" else _centre_cells
        rows = None
        if len(rings.v):
            top = int(max(0, math.floor(np.min(rings.v))))
            bottom = int(min(height, math.ceil(np.max(rings.v))))
            if bottom > top:
                rows = (top, bottom)
        windows = _windows(rows, self.step)
        ring_rows = _ring_rows(rings) if len(windows) > 1 else None
        invalid = [rings.flat] if self.rule == "coverage" and len(rings.flat) else []
        for k, r0, r1 in windows:
            used = rings if ring_rows is None else _rings_in_rows(rings, r0, r1, ring_rows)
            poly, row, col, weight, odd = cells(used, r0, r1, width)
            if len(odd):
                invalid.append(odd)
            if not len(poly) or invalid:
                continue
            box = (int(row.min()), int(row.max()) + 1, int(col.min()), int(col.max()) + 1)
            values, valid, top, left = self.values(src, k, *box)
            at = (row - top, col - left)
            values, valid = values[at], valid[at]
            _refuse_infinite(values, valid, self.layer,
                             lambda mask, poly=poly: labels[poly[mask]])
            reducer.add(poly, weight, values, valid, k)
        if invalid:
            _refuse_invalid(np.unique(np.concatenate(invalid)), labels)
        table = _assemble(self.names, self.percentiles, reducer, self.rule)
        reasons = _no_value(reducer, self.rule, self.shape, self.transform, geoms)
        return _Part(table, reducer.count, reducer.nodata, rings.area, reasons, rows)

    def values(self, src: Any, k: int, a: int, b: int, c0: int, c1: int
               ) -> tuple[np.ndarray, np.ndarray, int, int]:
        """Values and validity covering rows a..b, columns c0..c1 of window ``k``, and the
        row and column of their first cell.

        A small window, or one the block mostly covers, is read whole and kept for the next
        blocks (they are bands in space, so they mostly fall in the same window); otherwise
        only the bounding box is read (a few polygons on a large raster).
        """
        if self._window is not None and self._window[0] == k:
            return self._window[2], self._window[3], self._window[1], 0
        height, width = self.shape
        top, bottom = k * self.step, min((k + 1) * self.step, height)
        cells = (bottom - top) * width
        if cells <= _WHOLE_WINDOW or 4 * (b - a) * (c1 - c0) >= cells:
            values, valid = _read(src, self.band, Window(0, top, width, bottom - top),
                                  self.extra)
            self._window = (k, top, values, valid)
            return values, valid, top, 0
        values, valid = _read(src, self.band, Window(c0, a, c1 - c0, b - a), self.extra)
        return values, valid, a, c0

    def finish(self, parts: list[_Part], index: pd.Index, source: dict,
               order: np.ndarray) -> pd.DataFrame:
        """The table of the blocks in the order of ``index`` (``order`` puts the blocks'
        rows back in place), with ``attrs``."""
        if parts:
            table = pd.concat([p.table for p in parts], ignore_index=True).iloc[order]
            count = np.concatenate([p.count for p in parts])[order]
            nodata = np.concatenate([p.nodata for p in parts])[order]
            area = np.concatenate([p.area for p in parts])[order]
            reasons = {}
            offset = 0
            for p in parts:
                reasons.update({offset + i: why for i, why in p.reasons.items()})
                offset += len(p.table)
            rank = np.empty(len(order), dtype=np.intp)
            rank[order] = np.arange(len(order))
            no_value = {index[rank[i]]: reasons[i] for i in sorted(reasons, key=rank.__getitem__)}
        else:
            table = _assemble(self.names, self.percentiles, _Reducer(0, False), self.rule)
            count = nodata = area = np.zeros(0)
            no_value = {}
        table.index = index
        partly = {}
        if self.rule == "coverage":
            inside = count + nodata
            with np.errstate(invalid="ignore", divide="ignore"):
                beyond = 1.0 - inside / area
            for i in np.flatnonzero((beyond > 1e-6) & (inside > 0)):
                partly[index[i]] = float(beyond[i])
        spans = [p.rows for p in parts if p.rows is not None]
        rows = [min(r[0] for r in spans), max(r[1] for r in spans)] if spans else None
        table.attrs = {
            **source,
            "rule": self.rule,
            "conventions": _CONVENTIONS[self.rule],
            "min_coverage": MIN_COVERAGE,
            "nodata": list(self.extra),
            "windows": _window_count(*(rows or (None, None)), self.step),
            "rows_per_window": self.step,
            "rows": rows,
            "block_size": self.block_size,
            "validated": "GEOS is_valid" if self.validate else "coverage within [0, 1]"
                         if self.rule == "coverage" else "none (even–odd rule)",
            "no_value": no_value,
            "partly_outside": partly,
        }
        return table


def _run(raster: Any, polygons: Any, stats: Any, rule: str, band: int, nodata: Any, crs: Any,
         max_cells: int, block_size: int, validate: bool
         ) -> tuple[pd.DataFrame, np.ndarray]:
    """The table of a call (blocks computed one after another) and the polygons in the
    raster's CRS."""
    call = _Call.prepare(stats, rule, band, nodata, max_cells, block_size, validate)
    series = _series(polygons)
    with _opened(raster) as src:
        geoms, source = call.open(src, series, crs)
        blocks = _partition(geoms, call.block_size, call.transform)
        parts = [call.block(src, geoms[rows], polygons.index[rows]) for rows in blocks]
    positions = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.intp)
    order = np.argsort(positions, kind="stable")
    return call.finish(parts, polygons.index, source, order), geoms


def _zonal_task(polygons: Any, *, raster: str, stats: Any, **options: Any) -> pd.DataFrame:
    return zonal_stats_block(raster, polygons, stats, **options)


def _run_on_cluster(raster: Any, polygons: Any, stats: Any, backend: str, client: Any,
                    **options: Any) -> pd.DataFrame:
    """The blocks of :func:`zonal_blocks` as cluster tasks, combined in the polygons' order."""
    import os

    from spatialecon.parallel import map_blocks

    if not isinstance(raster, (str, os.PathLike)):
        raise RasterError(
            "backend='dask' needs the raster as a path or GDAL URI that every worker can open "
            f"(a shared disk, /vsis3/…), not {type(raster).__name__}; an in-memory dataset "
            "(from_array) exists in one process only")
    series = _series(polygons)
    parts = zonal_blocks(series, options["block_size"], raster=raster)
    if not parts:  # no polygons: the in-process path says what it says
        return _run(raster, polygons, stats, **options)[0]
    tables = map_blocks(_zonal_task, [(series.iloc[rows],) for rows in parts],
                        shared={"raster": os.fspath(raster), "stats": stats, **options},
                        backend=backend, client=client, what="block of polygons",
                        scatter_blocks=True)
    combined = combine_zonal_blocks(tables)
    order = np.argsort(np.concatenate(parts), kind="stable")
    out = combined.iloc[order]
    out.attrs = dict(combined.attrs)
    return out


def _series(polygons: Any) -> Any:
    series = polygons.geometry if hasattr(polygons, "geometry") else polygons
    if series.crs is None:
        raise RasterError("the polygons have no CRS; set one (gdf.set_crs(...)) so they can be "
                          "placed on the raster")
    return series


_CONVENTIONS = {
    "coverage": {
        "weights": "exact fraction of each cell's area covered by the polygon (planar, in the "
                   "raster's CRS); as exactextract",
        "count": "sum of coverage fractions of valid cells", "sum": "Σ coverage·value",
        "mean": "Σ coverage·value / Σ coverage", "std": "coverage-weighted population sd",
        "min/max": "over valid cells with coverage > min_coverage",
        "percentiles": "exactextract's weighted quantile over the polygon's distinct values "
                       "weighted by their total coverage",
        "majority": "value with the largest total coverage; ties → largest value",
    },
    "centre": {
        "weights": "1 for each cell whose centre is inside the polygon (GDAL's scan-line "
                   "rule); as rasterstats with all_touched=False",
        "count": "number of valid cells", "sum": "Σ value", "mean": "Σ value / count",
        "std": "population sd", "min/max": "over valid cells",
        "percentiles": "numpy linear (type 7) percentile of the cells",
        "majority": "most frequent value; ties → smallest value",
    },
}


def _no_value(r: _Reducer, rule: str, src_shape: tuple[int, int], transform: Affine,
              geoms: np.ndarray) -> dict[int, str]:
    """Position → why the polygon has no value."""
    missing = np.flatnonzero(r.count <= 0)
    if not len(missing):
        return {}
    height, width = src_shape
    sub = geoms[missing]
    empty = shapely.is_empty(sub) | shapely.is_missing(sub)
    u0, u1, v0, v1 = _pixel_extent(shapely.bounds(sub), transform)
    with np.errstate(invalid="ignore"):
        outside = (u1 <= 0) | (u0 >= width) | (v1 <= 0) | (v0 >= height)
    # the first that applies: empty, outside the extent, only nodata, no cell centre inside
    reason = np.select(
        [empty, outside, r.nodata[missing] > 0],
        ["empty geometry", "outside the raster", "only nodata cells"],
        "no cell centre inside" if rule == "centre" else "outside the raster")
    return dict(zip(missing.tolist(), reason.tolist(), strict=True))
