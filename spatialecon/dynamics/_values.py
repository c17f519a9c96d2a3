"""Input of stage 4's distribution dynamics and convergence: one wide (units × years) table.

Shared by :mod:`spatialecon.dynamics.density`, :mod:`spatialecon.dynamics.markov` and
:mod:`spatialecon.dynamics.convergence`, so that every entry point reads values the way
:func:`spatialecon.inequality.theil` does and refuses the same bad input with the same message.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from spatialecon._labels import format_units
from spatialecon.indices import is_tidy
from spatialecon.validation import SpatialEconError, check_finite


class DynamicsError(SpatialEconError):
    """Values or parameters distribution dynamics cannot use; the message names the units,
    years and classes."""


def names_for(codes: Any) -> pd.Series | None:
    """Embedded names of ``codes`` (provinces by short name, else prefectures or counties), for
    error messages only; ``None`` when the codes are not GB/T 2260 codes or the names are not at
    hand."""
    try:
        numbers = pd.Index(codes).astype(int)
    except (TypeError, ValueError):
        return None
    if len(numbers) == 0:
        return None
    level = ("province" if bool((numbers % 10000 == 0).all())
             else "prefecture" if bool((numbers % 100 == 0).all()) else "county")
    try:
        from spatialecon._labels import unit_names

        return unit_names(level)
    except Exception:  # names only decorate a message; never fail because of them
        return None


def _year_labels(columns: pd.Index, what: str) -> list[int]:
    years = []
    for column in columns:
        try:
            year = int(column)
        except (TypeError, ValueError):
            raise DynamicsError(f"{what}: column {column!r} is not a year; a wide table has "
                                "one column per year (units × years)") from None
        if year != column and str(year) != str(column).strip():
            raise DynamicsError(f"{what}: column {column!r} is not a whole year")
        years.append(year)
    return years


def wide_values(values: Any, *, name: str = "value", variable: str | None = None,
                minimum_years: int = 1) -> pd.DataFrame:
    """Values as a wide table: one row per unit (``adcode``), one column per year.

    Parameters
    ----------
    values
        As :func:`spatialecon.inequality.theil` takes them: a Series indexed by
        ``(adcode, year)``, a wide table (units × years; year columns as ints or numeric
        strings) or a tidy panel ``adcode, year, variable, value`` holding one variable (or
        ``variable=`` picks one).
    name
        The variable's name in messages (a tidy panel's own variable name wins).
    variable
        The variable of a tidy panel with several.
    minimum_years
        Fewest years the caller needs (2 for transitions); fewer is an error.

    Returns
    -------
    pandas.DataFrame
        Float values indexed by ``adcode`` (sorted), int year columns in increasing order,
        named ``year``; ``attrs["variable"]`` is the variable's name.

    Raises
    ------
    DynamicsError
        Not one of the layouts above, several variables without ``variable=``, a unit-year
        given twice, a year missing for some units (named with the years), too few years.
    NonFiniteError
        NaN or ±inf values, named by unit and year.
    """
    if is_tidy(values):
        panel = values
        found = list(pd.unique(panel["variable"]))
        if variable is not None:
            if variable not in found:
                raise DynamicsError(f"variable {variable!r} is not in the panel; it has "
                                    f"{', '.join(map(repr, found))}")
            panel = panel[panel["variable"] == variable]
        elif len(found) != 1:
            raise DynamicsError(f"the panel holds {len(found)} variables "
                                f"({', '.join(map(repr, found[:6]))}); pick one with variable=")
        name = str(variable if variable is not None else found[0]) if found else name
        series = pd.Series(pd.to_numeric(panel["value"], errors="coerce").to_numpy(dtype=float),
                           index=pd.MultiIndex.from_arrays([panel["adcode"].to_numpy(),
                                                            panel["year"].to_numpy()],
                                                           names=["adcode", "year"]))
        long = series
    elif isinstance(values, pd.Series):
        names = list(values.index.names)
        if values.index.nlevels != 2:
            raise DynamicsError(f"{name}: a Series must be indexed by (adcode, year); got the "
                                f"index levels {names}")
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise DynamicsError(f"{name}: values are not numeric (dtype {values.dtype})")
        year_level = names.index("year") if "year" in names else 1
        unit_level = 1 - year_level
        name = str(values.name) if values.name is not None else name
        long = pd.Series(values.to_numpy(dtype=float, na_value=np.nan),
                         index=pd.MultiIndex.from_arrays(
                             [values.index.get_level_values(unit_level),
                              values.index.get_level_values(year_level)],
                             names=["adcode", "year"]))
    elif isinstance(values, pd.DataFrame):
        if values.columns.nlevels != 1:
            raise DynamicsError(f"{name}: a wide table needs one column level (years)")
        non_numeric = [c for c in values.columns
                       if not pd.api.types.is_numeric_dtype(values[c])
                       or pd.api.types.is_bool_dtype(values[c])]
        if non_numeric:
            raise DynamicsError(f"{name}: year column(s) {non_numeric[:5]} are not numeric; a "
                                "wide table is units × years (a tidy panel needs the columns "
                                "adcode, year, variable, value)")
        years = _year_labels(values.columns, name)
        if len(set(years)) != len(years):
            raise DynamicsError(f"{name}: a year appears twice among the columns {years}")
        if values.index.has_duplicates:
            dup = list(pd.unique(values.index[values.index.duplicated()]))
            raise DynamicsError(f"{name}: units given twice: "
                                f"{format_units(dup, names=names_for(dup))}")
        wide = values.set_axis(years, axis=1).astype(float)
        wide.index = wide.index.rename("adcode")
        long = wide.stack(future_stack=True)
        long.index = long.index.set_names(["adcode", "year"])
        name = str(values.attrs.get("variable", name))
    else:
        raise DynamicsError(f"{name}: values must be a Series indexed by (adcode, year), a wide "
                            f"table (units × years) or a tidy panel, not {type(values).__name__}")
    if len(long) == 0:
        raise DynamicsError(f"{name}: no values")
    if long.index.has_duplicates:
        dup = list(pd.unique(long.index[long.index.duplicated()]))
        raise DynamicsError(f"{name}: unit-year(s) given twice: "
                            f"{format_units(dup, names=names_for([d[0] for d in dup]))}")
    try:
        years = np.asarray(long.index.get_level_values("year"), dtype=float)
    except (TypeError, ValueError):
        raise DynamicsError(f"{name}: years must be numbers") from None
    if not np.all(np.isfinite(years)) or np.any(years != np.round(years)):
        raise DynamicsError(f"{name}: years must be whole numbers")
    long.index = long.index.set_levels(
        long.index.levels[1].astype(float).astype(int), level=1)
    if not np.isfinite(long.to_numpy()).all():
        check_finite(long.set_axis(long.index.to_flat_index()), variable=name,
                     names=names_for(long.index.get_level_values(0).unique()),
                     hint="drop or impute them first (distribution dynamics need every unit in "
                     "every year)")
    wide = long.unstack("year").sort_index().sort_index(axis=1)
    missing = wide.isna().to_numpy()
    if missing.any():
        units = wide.index[missing.any(axis=1)]
        cells = [(u, int(y)) for u, row in zip(wide.index, missing, strict=True)
                 for y, m in zip(wide.columns, row, strict=True) if m]
        years_missing = sorted({y for _, y in cells})
        raise DynamicsError(
            f"{name}: {len(units)} unit(s) lack year(s) {', '.join(map(str, years_missing))}: "
            f"{format_units(cells, names=names_for(units))}. Distribution dynamics need a "
            "balanced panel: every unit in every year (drop the units or the years, or impute)")
    if wide.shape[1] < minimum_years:
        only = ", ".join(map(str, wide.columns))
        raise DynamicsError(f"{name}: {wide.shape[1]} year ({only}); at least {minimum_years} "
                            "years are needed (transitions run from one year to the next)")
    wide.columns = pd.Index([int(y) for y in wide.columns], name="year")
    wide.index.name = "adcode"
    wide.attrs = {"variable": name}
    return wide.astype(float)
