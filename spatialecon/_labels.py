"""Units as messages name them, shared by every stage: ``河北 (130000)``, lists shortened.

One helper per job: :func:`unit_label` writes one unit, :func:`format_units` a list of them
(codes, or ``(code, year, …)`` tuples), :func:`unit_names` fetches the embedded names of a level
to pass to either. Kept apart from :mod:`spatialecon.geodata`, which loads geopandas, so that
stage-2 modules on plain numbers can format their errors without importing it; the names are
read only when a message needs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

Names = Mapping[Any, str] | pd.Series


def unit_label(code: Any, names: Names | None = None) -> str:
    """``河北 (130000)`` when ``names`` knows the code, else the code alone.

    Parameters
    ----------
    code
        A unit code (``adcode``) or any label.
    names
        Code → name, e.g. :func:`unit_names` or a boundary layer's ``name`` column.

    Returns
    -------
    str
    """
    name = _lookup(names, code)
    return f"{name} ({code})" if name else str(code)


def format_units(labels: Sequence[Any], limit: int = 8, *, names: Names | None = None) -> str:
    """Units for error messages: ``110000 (2018), 120000 (2018) …``, or with ``names``
    ``北京 (110000, 2018), 天津 (120000, 2018) …``; long lists end in the total count.

    Parameters
    ----------
    labels
        Codes, or tuples whose first element is a code and the rest (year …) qualify it.
    limit
        How many to show before ``… (N in all)``.
    names
        Code → name (see :func:`unit_label`); codes it lacks are shown bare.

    Returns
    -------
    str
    """
    shown = []
    for value in list(labels)[:limit]:
        code, rest = (value[0], value[1:]) if isinstance(value, tuple) else (value, ())
        name = _lookup(names, code)
        inside = ", ".join(map(str, (code, *rest) if name else rest))
        if name:
            shown.append(f"{name} ({inside})")
        else:
            shown.append(f"{code} ({inside})" if rest else str(code))
    more = f" … ({len(labels)} in all)" if len(labels) > limit else ""
    return ", ".join(shown) + more


def unit_names(level: str) -> pd.Series:
    """The embedded name of every unit of ``level``, indexed by ``adcode``.

    Provinces go by their short names (河北, 内蒙古), as tables print them; prefectures and
    counties by their full names, because short county names repeat (朝阳区, 朝阳县 and 朝阳市
    are all 朝阳).
    """
    # stage 1, imported on use: reading names needs the boundary cache, messages rarely do
    from spatialecon.geodata import unit_table

    table = unit_table(level)  # type: ignore[arg-type]
    column = "short" if level == "province" else "name"
    return table[column]  # indexed by adcode


def _lookup(names: Names | None, code: Any) -> str | None:
    if names is None:
        return None
    try:
        name = names.get(code)
    except TypeError:  # an unhashable label
        return None
    return None if name is None or pd.isna(name) else str(name)


__all__ = ["format_units", "unit_label", "unit_names"]
