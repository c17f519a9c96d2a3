"""Input shared by the inequality measures: one long frame with keys ``(variable, year)`` and
columns ``unit, value, weight, group``, validated once.

Values come as a Series indexed by ``adcode`` (one cross-section) or ``(adcode, year)``, as a
wide table (one column per variable) or as a tidy panel (``adcode, year, variable, value``).
Groups are a region scheme name of :func:`spatialecon.geodata.regions` (``"nbs4"``,
``"belts3"`` …) or any mapping ``adcode → region``. Weights are by ``adcode`` or ``(adcode,
year)``. Errors name the units (and years) through :func:`spatialecon._labels.format_units`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from spatialecon._labels import format_units
from spatialecon.indices import is_tidy
from spatialecon.validation import SpatialEconError, check_finite

Index = Literal["T", "L"]
_KEYS = ["variable", "year"]
# Year key of values without a year (cross-sections); dropped from the results again.
_NO_YEAR = -1


class InequalityError(SpatialEconError):
    """Values an inequality measure cannot use; the message names the units and the year."""


class InequalityWarning(UserWarning):
    """A measure computed by a convention the input forces (a group of one unit …); the message
    names the group, units and years."""


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Input: one long frame with keys (variable, year), unit, value, weight, group
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _long(values: Any) -> tuple[pd.DataFrame, bool]:
    """``variable, year, unit, value`` rows, and whether the input was one cross-section."""
    if is_tidy(values):
        long = values.rename(columns={"adcode": "unit"})[["variable", "year", "unit", "value"]]
        single = long["variable"].nunique() == 1 and long["year"].nunique() == 1
        return long.reset_index(drop=True), single
    if isinstance(values, pd.DataFrame):
        frames = [_series_long(values[c], c) for c in values.columns]
        if not frames:
            raise InequalityError("no values: the table has no columns")
        long = pd.concat(frames, ignore_index=True)
        return long, False
    if isinstance(values, pd.Series):
        long = _series_long(values, values.name if values.name is not None else "value")
        return long, long["year"].nunique() == 1 and "year" not in (values.index.names or [])
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise InequalityError(f"values must be one-dimensional, not of shape {array.shape}")
    return _series_long(pd.Series(array), "value"), True


def _series_long(series: pd.Series, name: Hashable) -> pd.DataFrame:
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise InequalityError(f"values of {name!r} are not numeric (dtype {series.dtype})")
    names = list(series.index.names)
    if "year" in names:
        unit_levels = [n for n in names if n != "year"]
        if len(unit_levels) != 1:
            raise InequalityError(f"expected an index (adcode, year); got {names}")
        unit = series.index.get_level_values(unit_levels[0])
        year = series.index.get_level_values("year")
    else:
        unit, year = series.index, np.full(len(series), _NO_YEAR)
    return pd.DataFrame({"variable": name, "year": year, "unit": unit,
                         "value": series.to_numpy(dtype=float, na_value=np.nan)})


def _attach_weights(long: pd.DataFrame, weights: Any) -> tuple[pd.DataFrame, str]:
    if weights is None:
        return long.assign(weight=1.0), "units (each unit counts once)"
    if is_tidy(weights):
        if weights["variable"].nunique() != 1:
            raise InequalityError("weights as a tidy panel must hold one variable (population)")
        weights = weights.set_index(["adcode", "year"])["value"]
    if isinstance(weights, Mapping):
        weights = pd.Series(weights)
    if not isinstance(weights, pd.Series):
        raise InequalityError("weights must be a Series (by adcode or (adcode, year)), a "
                              "mapping or a one-variable tidy panel")
    if "year" in (weights.index.names or []):
        key = pd.MultiIndex.from_arrays([long["unit"], long["year"]])
        w = weights.reindex(key).to_numpy(dtype=float)
    else:
        w = weights.reindex(long["unit"]).to_numpy(dtype=float)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        rows = long.loc[bad, ["unit", "year"]].drop_duplicates()
        raise InequalityError(
            f"no valid (finite, non-negative) weight for {format_units(_where(rows))}")
    return long.assign(weight=w), "population (weights=)"


def _where(rows: pd.DataFrame) -> list[str]:
    return [f"{u}" if y == _NO_YEAR else f"{u} ({y})" for u, y in rows[["unit", "year"]]
            .itertuples(index=False)]


def _attach_groups(long: pd.DataFrame, groups: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    meta: dict[str, Any] = {}
    if isinstance(groups, str):
        # stage 1, imported on use: spatialecon.geodata loads geopandas, which plain numbers
        # (a Theil index of a Series) do not need
        from spatialecon.geodata import regions

        scheme = regions(groups)
        meta = {"scheme": groups, "membership": scheme.attrs.get("membership")}
        groups = scheme
    elif isinstance(groups, Mapping):
        groups = pd.Series(groups)
    if isinstance(groups, pd.Series):
        labels = groups.reindex(long["unit"]).to_numpy()
        meta.setdefault("scheme", groups.name)
    else:
        labels = np.asarray(groups, dtype=object)
        if labels.shape != (len(long),):
            raise InequalityError(f"{labels.size} group labels for {len(long)} values: pass a "
                                  "mapping adcode → region or a region scheme name")
    missing = pd.isna(labels)
    if missing.any():
        units = sorted(set(long.loc[missing, "unit"]), key=str)
        raise InequalityError(
            f"{len(units)} unit(s) belong to no group: {format_units(units)}. Drop them from the "
            "values or pick a scheme that covers them (e.g. liu2020_4region omits 西藏)"
        )
    return long.assign(group=labels), meta


# Why negative values are refused, unless a measure says it more precisely.
_NONNEGATIVE = ("inequality measures take logarithms of (or divide by) shares of a total, which "
                "must be non-negative")


def _validate(long: pd.DataFrame, index: Index | None, *, nonnegative: str = _NONNEGATIVE
              ) -> None:
    labels = [(u,) if y == _NO_YEAR else (u, y) for u, y in
              long[["unit", "year"]].itertuples(index=False)]
    for variable, rows in long.groupby("variable", sort=False).indices.items():
        check_finite(pd.Series(long["value"].to_numpy()[rows],
                               index=pd.Index([labels[i] for i in rows], tupleize_cols=False)),
                     variable=str(variable), hint="Drop or impute them first (an inf is "
                     "usually a ratio with a zero denominator)")
    negative = long["value"] < 0
    if negative.any():
        raise InequalityError(
            f"negative values for {format_units(_where(long[negative]))}: {nonnegative}")
    if index == "L":
        zero = long["value"] == 0
        if zero.any():
            raise InequalityError(f"zero values for {format_units(_where(long[zero]))}: Theil L "
                                  "takes ln(y) and is undefined at 0 (use Theil T)")
    dup = long.duplicated(["variable", "year", "unit"])
    if dup.any():
        raise InequalityError(f"units given twice: {format_units(_where(long[dup]))}")
