"""Grids and alignment: the grid of a raster (:class:`Grid`) and how each input of the raster
detector is brought onto the common grid (as is, or resampled through a ``WarpedVRT``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from spatialecon.raster._io import GridMismatchError, RasterError, _opened, _read


@dataclass(frozen=True)
class Grid:
    """A raster grid: CRS, affine transform and size. :meth:`of` reads it from a raster."""

    crs: CRS | None
    transform: Affine
    width: int
    height: int

    @classmethod
    def of(cls, source: Any) -> Grid:
        """The grid of a raster (path or dataset)."""
        with _opened(source) as src:
            return cls(src.crs, src.transform, src.width, src.height)

    def differences(self, other: Grid) -> list[str]:
        """What differs from ``other`` (empty when the grids are the same)."""
        out = []
        if (self.crs is None) != (other.crs is None) or (
                self.crs is not None and self.crs != other.crs):
            out.append(f"CRS {_crs_text(other.crs)} ≠ {_crs_text(self.crs)}")
        if (other.width, other.height) != (self.width, self.height):
            out.append(f"size {other.width}×{other.height} ≠ {self.width}×{self.height}")
        cell = max(abs(self.transform.a), abs(self.transform.e), 1e-300)
        if not other.transform.almost_equals(self.transform, precision=1e-9 * cell):
            out.append(f"transform {tuple(other.transform)[:6]} ≠ {tuple(self.transform)[:6]}")
        return out


def _crs_text(crs: CRS | None) -> str:
    return "none" if crs is None else crs.to_string()


@dataclass(frozen=True)
class _Layer:
    """One input raster as the window tasks see it (picklable: a path, not a dataset)."""

    name: str
    path: str
    band: int
    nodata: tuple[float, ...]
    resampling: str | None  # None: on the common grid already


def _read_layer(layer: _Layer, grid: Grid, window: Window) -> tuple[np.ndarray, np.ndarray]:
    with rasterio.open(layer.path) as src:
        if layer.resampling is None:
            values, valid = _read(src, layer.band, window, layer.nodata)
        else:
            with WarpedVRT(src, crs=grid.crs, transform=grid.transform, width=grid.width,
                           height=grid.height,
                           resampling=Resampling[layer.resampling]) as vrt:
                values, valid = _read(vrt, layer.band, window, layer.nodata)
    return values, valid


def _layer(name: str, source: Any, grid: Grid, resampling: str | None,
           nodata: tuple[float, ...]) -> tuple[_Layer, str]:
    with _opened(source) as src:
        own = Grid(src.crs, src.transform, src.width, src.height)
        path = src.name
        count = src.count
    if count < 1:
        raise RasterError(f"{name!r} ({path}) has no band")
    differences = grid.differences(own)
    if not differences:
        return _Layer(name, path, 1, nodata, None), "on the grid"
    if resampling is None:
        raise GridMismatchError(
            f"{name!r} ({path}) is not on the common grid: {'; '.join(differences)}. Align it "
            f"with resampling={{{name!r}: 'nearest'}} (sample; categorical factors), 'mode' "
            "(aggregate categories) or 'average' (aggregate a continuous response), or pass "
            "rasters on one grid")
    if resampling not in Resampling.__members__:
        raise RasterError(f"unknown resampling {resampling!r} for {name!r}; choose from "
                          f"{', '.join(Resampling.__members__)}")
    if own.crs is None or grid.crs is None:
        raise GridMismatchError(
            f"{name!r} ({path}) must be resampled onto the grid ({'; '.join(differences)}) "
            "but one of them has no CRS; assign CRSs first")
    return _Layer(name, path, 1, nodata, resampling), f"resampled ({resampling}): " + \
        "; ".join(differences)

