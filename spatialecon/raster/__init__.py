"""Stage 4: rasters — zonal statistics, China's terrain, and raster input for the geographical
detector.

rasterio (GDAL) reads the rasters; everything between reading and the result is numpy. One idea
per file, behind these public names:

``_io``
    Opening (paths, open datasets, :func:`from_array`), windows of rows, nodata and infinite
    values, :class:`RasterError` and :class:`GridMismatchError`.
``_rings``, ``_coverage``
    Polygons in pixel space (all rings as one vertex sequence) and the two cell rules over
    them: exact coverage fractions (as exactextract) and cell centres (as GDAL/rasterstats).
``_reducers``
    Per-polygon moments merged over windows, weighted quantiles, majority.
``_blocks``, ``_checks``
    Blocks of polygons of bounded work and windows of rows fixed by the raster; the checks
    that name bad zonal input (not polygons, invalid, without a value, repeated).
``zonal``
    :func:`zonal_stats` (exact coverage fractions or cell centres, in blocks of polygons and
    windows of rows) and :func:`zonal_stats_block`, the statistics of one block of polygons,
    which :func:`combine_zonal_blocks` concatenates into exactly the one-call result (the unit
    of work of a cluster; :func:`zonal_blocks` partitions a table).
``dem``
    :func:`china_dem`, :func:`terrain_slope`, :func:`county_terrain`.
``grid``
    :class:`Grid` and the alignment of rasters onto a common grid.
``detector``
    :func:`raster_geodetector` over streamed windows (optionally on Dask through
    :mod:`spatialecon.parallel`).

Conventions are recorded in each result's ``attrs`` (or ``conventions``); see
:mod:`spatialecon.raster.zonal` for the cell rules and their reference implementations.
"""

from __future__ import annotations

# (``X as X``: private names that tests use, importable where they lived before the split)
from spatialecon.raster._coverage import MIN_COVERAGE
from spatialecon.raster._io import (
    WINDOW_CELLS,
    GridMismatchError,
    RasterError,
    from_array,
)
from spatialecon.raster._reducers import STATISTICS
from spatialecon.raster.dem import (
    COUNTY_TERRAIN_META,
    DEM_FILL,
    TERRAIN_VERSION,
    china_dem,
    county_terrain,
    terrain_slope,
)
from spatialecon.raster.dem import (
    _geographic_cell_metres as _geographic_cell_metres,
)
from spatialecon.raster.detector import RasterDetectorResult, raster_geodetector
from spatialecon.raster.grid import Grid
from spatialecon.raster.zonal import _CONVENTIONS as _CONVENTIONS
from spatialecon.raster.zonal import (
    BLOCK_SIZE,
    RULES,
    Rule,
    combine_zonal_blocks,
    zonal_blocks,
    zonal_stats,
    zonal_stats_block,
)

__all__ = [
    "BLOCK_SIZE", "COUNTY_TERRAIN_META", "DEM_FILL", "MIN_COVERAGE", "RULES", "STATISTICS",
    "TERRAIN_VERSION", "WINDOW_CELLS", "Grid", "GridMismatchError", "RasterDetectorResult",
    "RasterError", "Rule", "china_dem", "combine_zonal_blocks", "county_terrain", "from_array",
    "raster_geodetector", "terrain_slope", "zonal_blocks", "zonal_stats", "zonal_stats_block",
]
