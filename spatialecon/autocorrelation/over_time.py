"""LISA over the years of a panel: local Moran by year, the quadrant table of the seed's
Table 4, and LISA Markov transitions with Rey's (2001) types."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd
from libpysal.weights import W

from spatialecon.autocorrelation._common import (
    NEIGHBOURLESS,
    NOT_SIGNIFICANT,
    QUADRANTS,
    Adjust,
    Alternative,
    AutocorrelationError,
    Conventions,
)
from spatialecon.autocorrelation.local import local_moran


def lisa_over_time(
    panel: pd.DataFrame, variable: str, w: W, *, years: Sequence[int] | None = None,
    permutations: int = 0, alpha: float = 0.05, adjust: Adjust = None,
    alternative: Alternative | None = None, seed: int | None = None,
    transform: str | None = "row", conventions: Conventions = "esda",
) -> pd.DataFrame:
    """Local Moran for each year of a tidy panel, stacked: one row per unit and year with
    ``quadrant`` (and ``cluster`` when ``permutations`` > 0). Years in which a unit of ``w``
    has no value are an error naming them. Parameters and ``conventions`` as in
    :func:`local_moran` (but no permutations unless asked for)."""
    data = panel[panel["variable"] == variable]
    available = sorted(data["year"].unique())
    years = list(years) if years is not None else available
    absent = [y for y in years if y not in available]
    if absent:
        raise AutocorrelationError(
            f"{variable} has no data for year(s) {absent}; it has {available}"
        )
    frames = []
    for year in years:
        wide = data[data["year"] == year].set_index("adcode")[["value"]].rename(
            columns={"value": variable})
        try:
            local = local_moran(wide, variable, w, permutations=permutations, alpha=alpha,
                                adjust=adjust, alternative=alternative, seed=seed,
                                transform=transform, conventions=conventions)
        except ValueError as err:
            raise AutocorrelationError(f"{year}: {err}") from None
        frames.append(local.assign(year=year))
    out = pd.concat(frames).reset_index().set_index(["adcode", "year"])
    out.attrs = {**frames[0].attrs, "years": years}
    return out


def quadrant_table(lisa: pd.DataFrame, names: pd.Series | None = None, *,
                   column: str = "quadrant", sep: str = "、") -> pd.DataFrame:
    """The layout of the seed's Table 4: rows HH, LH, LL, HL; one column per year; each cell
    the units in that quadrant (short names joined by 、, in code order).

    ``lisa`` is the output of :func:`lisa_over_time`; ``names`` maps adcode to a label
    (default: the short names of the provinces)."""
    if names is None:
        from spatialecon.geodata.boundaries import provinces_table

        names = provinces_table()["short"]
    frame = lisa.reset_index()
    frame["label"] = frame["adcode"].map(names).fillna(frame["adcode"].astype(str))
    frame = frame.sort_values("adcode")
    table = frame.groupby([column, "year"])["label"].agg(sep.join).unstack("year")
    order = [q for q in (*QUADRANTS, NOT_SIGNIFICANT, NEIGHBOURLESS) if q in table.index]
    return table.reindex(order).fillna("")


# Rey (2001): a move of the unit itself (its own value changes side of the mean), of its
# neighbourhood (the lag changes side), of both, or of neither.
_SIDE = {"HH": ("H", "H"), "LH": ("L", "H"), "LL": ("L", "L"), "HL": ("H", "L")}
TRANSITION_TYPES = {
    (False, False): "0: no move",
    (True, False): "I: unit moves",
    (False, True): "II: neighbours move",
    (True, True): "III: unit and neighbours move",
}


def lisa_transitions(lisa: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LISA Markov transitions between consecutive years of :func:`lisa_over_time`.

    Returns
    -------
    (matrix, per_unit)
        ``matrix``: counts of moves from each quadrant (rows) to each quadrant (columns),
        pooled over the consecutive year pairs, with the transition probabilities in
        ``attrs["probabilities"]`` (the matrix of giddy's ``LISA_Markov``). ``per_unit``: one
        row per unit and year pair with ``from``, ``to`` and Rey's transition ``type``.
    """
    quadrant = lisa["quadrant"].unstack("year")
    if (quadrant == NEIGHBOURLESS).any().any():
        raise AutocorrelationError(
            "units without neighbours have no quadrant: repair the islands first"
        )
    years = list(quadrant.columns)
    rows = []
    for a, b in itertools.pairwise(years):
        for code in quadrant.index:
            origin, dest = quadrant.at[code, a], quadrant.at[code, b]
            own = _SIDE[origin][0] != _SIDE[dest][0]
            nbr = _SIDE[origin][1] != _SIDE[dest][1]
            rows.append({"adcode": code, "from_year": a, "to_year": b, "from": origin,
                         "to": dest, "type": TRANSITION_TYPES[(own, nbr)]})
    per_unit = pd.DataFrame(rows)
    matrix = pd.crosstab(pd.Categorical(per_unit["from"], QUADRANTS),
                         pd.Categorical(per_unit["to"], QUADRANTS), dropna=False)
    matrix.index.name, matrix.columns.name = "from", "to"
    totals = matrix.sum(axis=1).replace(0, np.nan)
    matrix.attrs["probabilities"] = matrix.div(totals, axis=0)
    return matrix, per_unit
