"""What every weights constructor shares: the error and warning types, unit ids as the user's
own types, transform codes, and units named in messages."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from spatialecon._labels import format_units
from spatialecon.validation import SpatialEconError

Rule = Literal["queen", "rook"]
Islands = Literal["nearest", "keep", "error"]
DistanceForm = Literal["inverse", "exponential", "band", "knn", "gaussian", "bisquare"]
_TRANSFORMS = {"r": "R", "row": "R", "b": "B", "binary": "B", "d": "D", "global": "D",
               "double": "D", "v": "V", "variance": "V", "o": "O", "original": "O"}


class WeightsError(SpatialEconError):
    """Units or parameters from which no weights can be built.

    ``units`` holds every unit the message is about when it names only the first few (e.g. the
    islands of a million-cell grid under ``islands="error"``); empty otherwise.
    """

    def __init__(self, message: str, units: Sequence[Hashable] = ()) -> None:
        super().__init__(message)
        self.units = list(units)


class IslandWarning(UserWarning):
    """Units without neighbours were linked to their nearest polygon, or left isolated."""


class GeometryWarning(UserWarning):
    """Invalid polygons were repaired (``make_valid=True``) before the weights were built."""


def _plain(i: Hashable) -> Hashable:
    """A unit id as the user's own type, numpy scalars as the Python ones they stand for (so
    ``np.int64(110000)`` and ``110000`` are one id, and ``"110000"`` stays a string)."""
    return i.item() if isinstance(i, np.generic) else i


def _ids(index: pd.Index) -> list:
    """The index as a list of plain ids: ``tolist`` already gives Python scalars for numeric
    and string dtypes (in C, which matters at a million units); object indexes may hold numpy
    scalars."""
    ids = index.tolist()
    return [_plain(i) for i in ids] if index.dtype == object else ids


def _transform_code(how: str) -> str:
    try:
        return _TRANSFORMS[how.lower()]
    except (KeyError, AttributeError):
        raise WeightsError(
            f"unknown transform {how!r}: use 'row', 'binary', 'global' or 'variance' "
            "(libpysal's 'r', 'b', 'd', 'v'), or 'original'"
        ) from None


def _unit_names(gdf: gpd.GeoDataFrame, codes: Sequence[Hashable], limit: int = 10) -> str:
    """The first ``limit`` units by name and code, then the count (never thousands of lines)."""
    names = gdf["name"] if "name" in gdf.columns else None
    if names is not None and names.index.has_duplicates:  # one name per code for the lookup
        names = names[~names.index.duplicated()]
    return format_units(codes, limit, names=names)


def _check_measurable(crs: object, planar: bool, what: str) -> None:
    """Distances need to know what the coordinates are: a CRS, or ``planar=True``."""
    if crs is None and not planar:
        raise WeightsError(
            f"{what} have no CRS, so distances between them cannot be measured: set one "
            "(gdf.set_crs('EPSG:4326') for longitude/latitude; boundaries() use it) for "
            "great-circle distances in km, or pass planar=True to treat the coordinates as "
            "planar, with distances in the layer's own units")
