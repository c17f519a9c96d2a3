"""Input handling shared by every efficiency model: tables → aligned, checked numpy arrays.

Every model (``dea``, ``sbm``, Malmquist indices) takes its variables the same way — wide tables
(units × variables) indexed by ``adcode`` or ``(adcode, year)``, or tidy panels (``adcode, year,
variable, value``; every variable of the panel is used) — one table per role (inputs, desirable
outputs, undesirable outputs). :func:`read_tables` turns them into one :class:`FrontierData`:
the common row index, the variable names and a float array per role, after the checks every
model needs (same units in every role, no variable in two roles, finite, non-negative, no
all-zero column). :func:`blocks` splits the rows into frontiers (one per year, or pooled).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from spatialecon._labels import format_units
from spatialecon.indices import _as_wide
from spatialecon.validation import SpatialEconError, check_finite

Frontier = Literal["year", "pooled"]


class DEAError(SpatialEconError):
    """Data a DEA model cannot use, or a program the solver could not solve; names the units."""


@dataclass(frozen=True)
class FrontierData:
    """Aligned variables of one model: ``index`` (the rows, as given by the first table),
    ``frames[role]`` (wide float tables on ``index``), ``arrays[role]`` (the same as
    ``n × k`` arrays) and ``names[role]`` (their column names), roles in the order given."""

    index: pd.Index
    frames: dict[str, pd.DataFrame]
    arrays: dict[str, np.ndarray]
    names: dict[str, list[str]]

    @property
    def per_year(self) -> bool:
        """Whether the rows are unit-years (an index level named ``year``)."""
        return "year" in (self.index.names or [])


def check_values(frame: pd.DataFrame, what: str) -> None:
    """Finite (through :func:`~spatialecon.validation.check_finite`), non-negative, and no
    variable that is zero for every unit; errors name the variable and the units."""
    for column in frame.columns:
        check_finite(frame[column], variable=f"{what} {column!r}")
    values = frame.to_numpy(dtype=float)
    negative = values < 0
    if negative.any():
        j = int(np.flatnonzero(negative.any(axis=0))[0])
        raise DEAError(f"{what} {frame.columns[j]!r} is negative for unit(s) "
                       f"{format_units(frame.index[negative[:, j]])}: DEA needs non-negative data")
    # A column that is zero for every unit carries no information and makes every score 0 (an
    # output) or the program unbounded (an input): said, not solved.
    empty = [str(c) for c, col in zip(frame.columns, values.T, strict=True) if not col.any()]
    if empty:
        raise DEAError(f"{what} {', '.join(map(repr, empty))} is zero for every unit: DEA "
                       "cannot rank units on it; drop it or check the data")


def read_tables(tables: Mapping[str, Any], *, balanced: bool = False) -> FrontierData:
    """Read, align and check the tables of one model.

    Parameters
    ----------
    tables
        Role (``"input"``, ``"output"``, ``"undesirable output"`` …; used in messages) → a wide
        table or a tidy panel. ``None`` values are skipped.
    balanced
        On unit-year rows, require every unit in every year (models that compare a unit across
        years, or that promise one row per unit and year).

    Returns
    -------
    FrontierData

    Raises
    ------
    DEAError
        Tables covering different units, a variable in two roles, non-finite or negative values,
        an all-zero variable, or (``balanced``) a unit missing a year.
    """
    frames: dict[str, pd.DataFrame] = {}
    for role, table in tables.items():
        if table is None:
            continue
        frame = _as_wide(table, f"{role}s")
        if frames:
            first_role, first = next(iter(frames.items()))
            if not first.index.equals(frame.index):
                only_a = first.index.difference(frame.index)
                only_b = frame.index.difference(first.index)
                if len(only_a) or len(only_b):
                    raise DEAError(f"{first_role}s and {role}s cover different units: only in "
                                   f"{first_role}s {format_units(only_a) or '—'}; only in "
                                   f"{role}s {format_units(only_b) or '—'}")
                frame = frame.reindex(first.index)
        for other, seen in frames.items():
            overlap = [c for c in frame.columns if c in set(seen.columns)]
            if overlap:
                raise DEAError(f"variables used as both {other} and {role}: "
                               f"{', '.join(map(str, overlap))}")
        frames[role] = frame
    for role, frame in frames.items():
        check_values(frame, role)
    index = next(iter(frames.values())).index
    data = FrontierData(index=index, frames=frames,
                        arrays={r: f.to_numpy(dtype=float) for r, f in frames.items()},
                        names={r: [str(c) for c in f.columns] for r, f in frames.items()})
    if balanced and data.per_year:
        _check_balanced(index)
    return data


def _check_balanced(index: pd.Index) -> None:
    """Every unit in every year of the panel, else an error naming the unit-years missing."""
    names = list(index.names)
    code = next(n for n in names if n != "year")
    units = index.get_level_values(code).unique()
    years = index.get_level_values("year").unique()
    if len(index) == len(units) * len(years):
        return
    full = pd.MultiIndex.from_product([units, sorted(years)], names=[code, "year"])
    present = pd.MultiIndex.from_arrays([index.get_level_values(code),
                                         index.get_level_values("year")], names=[code, "year"])
    missing = full.difference(present)
    raise DEAError(f"unbalanced panel: {len(missing)} unit-year(s) missing, "
                   f"{format_units(list(missing))}; give every unit every year (or drop the "
                   "unit) so that each year's frontier has the same units")


def blocks(index: pd.Index, frontier: Frontier = "year") -> Iterator[tuple[Any, np.ndarray]]:
    """``(year, row positions)`` of each frontier: one per year on unit-year rows when
    ``frontier="year"``, else ``(None, all rows)``."""
    if frontier not in ("year", "pooled"):
        raise DEAError(f"frontier must be 'year' or 'pooled', not {frontier!r}")
    if frontier == "year" and "year" in (index.names or []):
        years = index.get_level_values("year")
        for year in sorted(years.unique()):
            yield year, np.flatnonzero(years == year)
    else:
        yield None, np.arange(len(index))


__all__ = ["DEAError", "FrontierData", "blocks", "check_values", "read_tables"]
