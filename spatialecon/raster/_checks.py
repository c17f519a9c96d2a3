"""Checks of zonal input that name the polygons: not polygons, invalid (GEOS), without a value,
repeated labels and repeated geometries.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import shapely

from spatialecon._labels import format_units
from spatialecon.raster._io import RasterError

# Polygons named in a message before "…".
_SHOWN = 8


def _check_polygons(geoms: np.ndarray, labels: pd.Index) -> None:
    """Only Polygon/MultiPolygon (None and empty allowed)."""
    kinds = shapely.get_type_id(geoms)
    other = ~np.isin(kinds, (-1, 3, 6)) & ~shapely.is_empty(geoms)
    if other.any():
        types = sorted({g.geom_type for g in geoms[other]})
        raise RasterError(
            f"zonal statistics need polygons; {int(other.sum())} geometries are of other "
            f"types ({', '.join(types)}): {format_units(labels[other], _SHOWN)}. "
            "Buffer points or lines first, or keep the polygonal parts of collections")


def _refuse_invalid(bad: np.ndarray, labels: pd.Index) -> None:
    """Polygons the coverage rule found invalid (positions ``bad``)."""
    raise RasterError(
        f"{len(bad)} invalid polygon(s): a ring of zero area, or some cell comes out covered "
        "less than 0 or more than once (self-intersecting rings, overlapping parts or holes "
        f"outside their shell): {format_units(labels[bad], _SHOWN)}. Repair them with "
        "polygons.geometry.make_valid() (or shapely.make_valid), or pass validate=True to "
        "have GEOS check every polygon")


def _check_valid(geoms: np.ndarray, labels: pd.Index) -> None:
    ok = shapely.is_valid(geoms) | shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if ok.all():
        return
    bad = np.flatnonzero(~ok)
    reasons = shapely.is_valid_reason(geoms[bad[:3]])
    detail = "; ".join(f"{labels[i]}: {why}" for i, why in zip(bad[:3], reasons, strict=True))
    raise RasterError(
        f"{len(bad)} invalid polygon(s): {format_units(labels[bad], limit=_SHOWN)} ({detail}). "
        "Repair them with polygons.geometry.make_valid() (or shapely.make_valid)")


def _warn_no_value(out: pd.DataFrame, rule: str) -> None:
    no_value = out.attrs["no_value"]
    if not no_value:
        return
    reasons = pd.Series(no_value).value_counts()
    detail = "; ".join(f"{n} {reason}" for reason, n in reasons.items())
    warnings.warn(
        f"{len(no_value)} of {len(out)} polygons get no value ({detail}): "
        f"{format_units(list(no_value), _SHOWN)}; see attrs['no_value']"
        + (". rule='coverage' gives every polygon that overlaps a valid cell a value"
           if rule == "centre" and "no cell centre inside" in reasons else "")
        + (". Empty geometries: drop them (polygons[~polygons.is_empty]) or fix their source"
           if "empty geometry" in reasons else ""),
        UserWarning, stacklevel=3)


def _warn_duplicates(index: pd.Index, geoms: np.ndarray) -> None:
    """Repeated labels and repeated geometries: legal, but almost always a mistake upstream
    (a table joined twice, a grid built twice)."""
    repeated = index[index.duplicated()].unique()
    if len(repeated):
        warnings.warn(
            f"{len(repeated)} index label(s) occur more than once: "
            f"{format_units(repeated, limit=_SHOWN)}; each row gets its own statistics, but "
            "the table cannot be joined back by label. Make the labels unique "
            "(polygons.reset_index()) or drop the repeated rows", UserWarning, stacklevel=3)
    n = len(geoms)
    if n < 2:
        return
    # candidates by cheap keys (vertex count and bounds), confirmed with GEOS's exact equality
    keys = pd.DataFrame(shapely.bounds(geoms)).assign(v=shapely.get_num_coordinates(geoms))
    keys = keys[(keys["v"] > 0).to_numpy()]
    candidate = keys.duplicated(keep=False)
    if not candidate.any():
        return
    groups = keys[candidate.to_numpy()].groupby(list(keys.columns), sort=False).groups
    repeats = []
    for members in groups.values():
        members = np.asarray(members)
        first = members[0]
        same = shapely.equals_exact(geoms[members[1:]], geoms[first], tolerance=0.0)
        repeats += [(index[i], index[first]) for i in members[1:][same]]
    if repeats:
        shown = ", ".join(f"{a} = {b}" for a, b in repeats[:_SHOWN])
        warnings.warn(
            f"{len(repeats)} polygon(s) repeat the geometry of another: {shown}"
            f"{' …' if len(repeats) > _SHOWN else ''}; each gets the same statistics. Drop the "
            "repeats (polygons[~polygons.geometry.duplicated()]) if they are a mistake",
            UserWarning, stacklevel=3)
