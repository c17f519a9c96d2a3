"""Where a study's indicators come from, under one set of names: the embedded tables of
:mod:`spatialecon.datasets` and the datasets derived from embedded rasters
(:func:`spatialecon.raster.county_terrain`). ``datasets`` belongs to the first stage of the
data flow and cannot load raster-derived data itself; studies, at the last stage, see both.
"""

from __future__ import annotations

import importlib
from typing import Any

import pandas as pd

from spatialecon import datasets

# name → (module, loader, metadata attribute)
DERIVED: dict[str, tuple[str, str, str]] = {
    "county_terrain": ("spatialecon.raster", "county_terrain", "COUNTY_TERRAIN_META"),
}


def available() -> list[str]:
    """Embedded and derived dataset names."""
    return [*datasets.available(), *DERIVED]


def load(name: str) -> pd.DataFrame:
    """A tidy panel (``adcode, year, variable, value``) by name."""
    if name in DERIVED:
        module, loader, _ = DERIVED[name]
        return getattr(importlib.import_module(module), loader)()
    return datasets.load(name)


def describe(name: str) -> dict[str, Any]:
    """The dataset's metadata (title, variables, provenance)."""
    if name in DERIVED:
        module, _, meta = DERIVED[name]
        return dict(getattr(importlib.import_module(module), meta))
    return datasets.describe(name)


def printed(name: str) -> pd.DataFrame:
    """A table as the seed's article prints it (:func:`spatialecon.datasets.printed`); the
    categorical quadrant dataset (the article's Table 4) in its printed layout: quadrants by
    year, provinces listed."""
    if name in datasets.printed_tables():
        return datasets.printed(name)
    data = datasets.load(name)
    if pd.api.types.is_numeric_dtype(data["value"]):
        raise ValueError(f"{name!r} is a numeric dataset, not a printed table")
    from spatialecon.geodata.boundaries import provinces_table

    data = data.assign(unit=data["adcode"].map(provinces_table()["short"])).sort_values("adcode")
    table = data.groupby(["value", "year"])["unit"].agg("、".join).unstack("year").fillna("")
    table.columns = [str(c) for c in table.columns]
    table = table.reset_index(names=data["variable"].iloc[0])
    table.attrs = {**datasets.describe(name), "table": datasets.describe(name).get("table", name)}
    return table


def printed_names() -> list[str]:
    """Names accepted by :func:`printed`."""
    categorical = [n for n in datasets.available()
                   if datasets.describe(n).get("value_type") not in ("float", "int")]
    return [*datasets.printed_tables(), *categorical]
