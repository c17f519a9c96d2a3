"""Opening and reading rasters: datasets from paths or arrays, windows of rows, nodata and the
errors of the raster functions.

rasterio (GDAL) reads the rasters; everything after reading is numpy.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.io import DatasetReader, MemoryFile
from rasterio.windows import Window

from spatialecon.validation import SpatialEconError, check_finite

#: Cells per window of :func:`~spatialecon.raster.zonal_stats` (and of the raster detector) by
#: default: rows are read in windows of at most this many cells; a window read takes ~9 bytes
#: per cell (float64 values and validity), 36 MiB at the default.
WINDOW_CELLS = 2**22


class RasterError(SpatialEconError):
    """Input the raster functions cannot use; the message says what to change."""


class GridMismatchError(RasterError):
    """Rasters that should share a grid do not (CRS, transform or shape)."""


def from_array(
    array: np.ndarray,
    transform: Affine,
    crs: Any = None,
    *,
    nodata: float | None = None,
) -> DatasetReader:
    """An in-memory raster (GDAL ``/vsimem/``) from a 2-D array, for every function here.

    Parameters
    ----------
    array
        Values, rows from north to south (or along the transform's row axis).
    transform
        Affine transform from pixel (column, row) to CRS coordinates.
    crs
        Anything :class:`rasterio.crs.CRS` accepts (``"EPSG:4326"``), or None.
    nodata
        Declared nodata value (NaN is always treated as missing).

    Returns
    -------
    rasterio.io.DatasetReader
        Open for reading; its ``name`` is a ``/vsimem/`` path that other threads of this
        process (e.g. a Dask ``LocalCluster(processes=False)``) can open too. Close it to free
        the memory.
    """
    array = np.asarray(array)
    if array.ndim != 2:
        raise RasterError(f"from_array needs a 2-D array, not shape {array.shape}")
    if array.dtype == bool:
        array = array.astype(np.uint8)
    memfile = MemoryFile()
    with memfile.open(driver="GTiff", width=array.shape[1], height=array.shape[0], count=1,
                      dtype=array.dtype, crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(array, 1)
    dataset = memfile.open()
    # the MemoryFile owns the /vsimem/ buffer: keep it alive as long as the dataset
    dataset._spatialecon_memfile = memfile
    return dataset


@contextlib.contextmanager
def _opened(source: Any) -> Iterator[DatasetReader]:
    """An open dataset: paths are opened (and closed after), datasets passed through."""
    if isinstance(source, DatasetReader):
        if source.closed:
            raise RasterError(f"the raster {source.name} is closed")
        yield source
        return
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"a raster is a path or an open rasterio dataset, not {type(source)}")
    try:
        src = rasterio.open(source)
    except rasterio.errors.RasterioIOError as err:
        raise RasterError(f"cannot open raster {os.fspath(source)!r}: {err}") from err
    with src:
        yield src


def _raster_crs(src: DatasetReader, crs: Any) -> CRS:
    """The raster's CRS, or the one assumed with ``crs=`` for a raster that declares none."""
    if src.crs is None:
        if crs is None:
            raise RasterError(
                f"raster {src.name} has no CRS, so polygons cannot be placed on it. If its "
                "coordinates are longitude/latitude pass crs='EPSG:4326' (an explicit "
                "assumption, recorded in the result), or assign one with GDAL/rasterio")
        return CRS.from_user_input(crs)
    if crs is not None and CRS.from_user_input(crs) != src.crs:
        raise RasterError(
            f"raster {src.name} declares {src.crs.to_string()}; crs= is only for rasters "
            f"without a CRS (got {crs!r})")
    return src.crs


def _invalid(values: np.ndarray, mask: np.ndarray | None, extra: Sequence[float]) -> np.ndarray:
    """Cells without data: GDAL's mask (declared nodata, alpha, per-dataset masks), NaN and the
    values of ``extra``."""
    bad = np.zeros(values.shape, dtype=bool) if mask is None else mask.copy()
    if values.dtype.kind == "f":
        bad |= np.isnan(values)
    for value in extra:
        bad |= np.isnan(values) if (isinstance(value, float) and math.isnan(value)) \
            else values == value
    return bad


def _read(src: Any, band: int, window: Window, extra: Sequence[float]) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """Values (float64) and validity of one window."""
    masked = src.read(band, window=window, masked=True)
    values = np.ma.getdata(masked)
    mask = np.ma.getmaskarray(masked) if masked.mask is not np.ma.nomask else None
    bad = _invalid(values, mask, extra)
    return values.astype(np.float64, copy=False), ~bad


def _raster_name(src: Any) -> str:
    name = str(src.name)
    return "the in-memory raster" if name.startswith("/vsimem/") else f"raster {name}"


def _refuse_infinite(values: np.ndarray, valid: np.ndarray, layer: str,
                     labels: Callable[[np.ndarray], pd.Index]) -> None:
    """±inf in cells that are not nodata: refused through the one finite-values rule, naming
    the polygons (or cells) they fall in; a mean or a q over them would be inf or NaN."""
    infinite = valid & np.isinf(values)
    if infinite.any():
        found = pd.Series(values[infinite], index=labels(infinite))
        check_finite(found[~found.index.duplicated()], variable=layer,
                     hint="declare them nodata (nodata=[np.inf, -np.inf]) or fix the raster")


def _nodata_list(nodata: float | Sequence[float] | None) -> tuple[float, ...]:
    if nodata is None:
        return ()
    if isinstance(nodata, (int, float, np.number)):
        return (float(nodata),)
    return tuple(float(v) for v in nodata)

def _row_windows(r0: int, r1: int, width: int, max_cells: int) -> list[tuple[int, int]]:
    step = max(1, int(max_cells) // max(width, 1))
    return [(a, min(a + step, r1)) for a in range(r0, r1, step)]



@contextlib.contextmanager
def _closing(dataset: DatasetReader) -> Iterator[DatasetReader]:
    try:
        yield dataset
    finally:
        dataset.close()
        memfile = getattr(dataset, "_spatialecon_memfile", None)
        if memfile is not None:
            memfile.close()
