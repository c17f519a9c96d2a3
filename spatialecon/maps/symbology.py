"""What a map shows, apart from where: a legend and each unit's place in it.

A :class:`Symbology` is the one object both renderers consume. The static maps
(:func:`spatialecon.maps.static.national_map`) and the HTML maps
(:func:`spatialecon.maps.interactive.html_map`) draw any symbology alike, so a classed
choropleth, a LISA cluster map and a significance map share one layout, one legend style and one
treatment of missing data, on paper and on screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from spatialecon.maps.classify import (
    MISSING_COLOR,
    Classification,
    MapError,
    Scheme,
    classify,
    numeric_values,
)

MISSING_LABEL = "无数据 / no data"


@dataclass(frozen=True)
class LegendEntry:
    """One row of a legend.

    Attributes
    ----------
    label
        Text of the row (class bounds, a category name).
    color
        Hex fill colour.
    count
        Units in the row, printed as ``label  (n)``; ``None`` prints no count (shared legends
        of small multiples, where counts differ by panel).
    missing
        The row of units without data: drawn hatched grey.
    """

    label: str
    color: str
    count: int | None = None
    missing: bool = False


@dataclass(frozen=True)
class Symbology:
    """A legend and each unit's row in it.

    Attributes
    ----------
    title
        Legend heading.
    entries
        Legend rows, in order.
    codes
        Row of each unit (an index into ``entries``), indexed by unit (``adcode``).
    values
        Text shown for each unit in HTML tooltips (the formatted value, a p-value …), or
        ``None``.
    value_label
        Tooltip heading of ``values`` (default: ``title``).
    class_label
        Tooltip heading of the unit's legend row (default: "分级 / class").
    """

    title: str
    entries: tuple[LegendEntry, ...]
    codes: pd.Series
    values: pd.Series | None = None
    value_label: str | None = None
    class_label: str | None = None

    @property
    def colors(self) -> list[str]:
        return [entry.color for entry in self.entries]

    def aligned(self, index: pd.Index, missing_label: str = MISSING_LABEL) -> Symbology:
        """The symbology of the units ``index``: units it has no code for join the "no data"
        row (added when absent), and every count is recounted over ``index``.

        Raises
        ------
        ValueError
            ``index`` has duplicates, or shares no unit with the symbology (codes as text
            against codes as numbers, say), which would draw a map of "no data" only.
        """
        if not index.is_unique:
            duplicated = index[index.duplicated()].unique()[:5].tolist()
            raise MapError(f"duplicate unit ids in the map: {duplicated}")
        if len(self.codes) and not self.codes.index.isin(index).any():
            raise MapError(
                f"{self.title!r}: none of its {len(self.codes)} units is in the map (ids such "
                f"as {self.codes.index[0]!r} against {index[0]!r}); align the indexes first"
            )
        entries = list(self.entries)
        codes = self.codes[~self.codes.index.duplicated()].reindex(index)
        absent = codes.isna().to_numpy()
        if absent.any():
            missing_at = next((i for i, e in enumerate(entries) if e.missing), None)
            if missing_at is None:
                entries.append(LegendEntry(missing_label, MISSING_COLOR, 0, missing=True))
                missing_at = len(entries) - 1
            codes[absent] = missing_at
        codes = codes.astype("int64")
        counts = np.bincount(codes.to_numpy(), minlength=len(entries))
        recounted = []
        for i, entry in enumerate(entries):
            if entry.missing and counts[i] == 0:
                continue  # a "no data" row with nothing in it says nothing
            recounted.append(entry if entry.count is None else replace(entry, count=int(counts[i])))
        if len(recounted) != len(entries):  # an empty missing row was dropped: renumber
            keep = [i for i, e in enumerate(entries) if not (e.missing and counts[i] == 0)]
            renumber = np.full(len(entries), -1)
            renumber[keep] = np.arange(len(keep))
            codes = pd.Series(renumber[codes.to_numpy()], index=index)
        values = None if self.values is None else self.values.reindex(index)
        return replace(self, entries=tuple(recounted), codes=codes, values=values)

    def color_of(self) -> pd.Series:
        """Fill colour of each unit, indexed like :attr:`codes`."""
        palette = np.array(self.colors, dtype=object)
        return pd.Series(palette[self.codes.to_numpy()], index=self.codes.index, dtype=object)

    def label_of(self) -> pd.Series:
        """Legend label of each unit, indexed like :attr:`codes`."""
        labels = np.array([e.label for e in self.entries], dtype=object)
        return pd.Series(labels[self.codes.to_numpy()], index=self.codes.index, dtype=object)

    def without_counts(self) -> Symbology:
        """The same legend with no counts (for a legend shared by several maps)."""
        return replace(self, entries=tuple(replace(e, count=None) for e in self.entries))


def format_value(value: float) -> str:
    """A value as a table prints it: six significant digits, thousands separators."""
    return f"{value:,.6g}"


def from_classification(
    classes: Classification,
    values: pd.Series | np.ndarray | None = None,
    *,
    title: str,
    missing_label: str = MISSING_LABEL,
    value_label: str | None = None,
) -> Symbology:
    """The symbology of a classed choropleth: one row per class (bounds and count), then
    "no data" when some unit has no value.

    Parameters
    ----------
    classes
        From :func:`spatialecon.maps.classify.classify`.
    values
        The classified values, for tooltips (aligned with ``classes.index``).
    title
        Legend heading.
    missing_label
        Text of the "no data" row.
    value_label
        Tooltip heading of the values (default: ``title``).
    """
    entries = [LegendEntry(label, color, int(n))
               for label, color, n in zip(classes.labels, classes.colors, classes.counts,
                                          strict=True)]
    codes = classes.yb.copy()
    if classes.n_missing:
        entries.append(LegendEntry(missing_label, MISSING_COLOR, classes.n_missing, missing=True))
        codes[codes < 0] = len(entries) - 1
    text = None
    if values is not None:
        y = numeric_values(pd.Series(np.asarray(values, dtype="float64")))
        text = pd.Series([missing_label if np.isnan(v) else format_value(v) for v in y],
                         index=classes.index, dtype=object)
    return Symbology(title=title, entries=tuple(entries),
                     codes=pd.Series(codes, index=classes.index), values=text,
                     value_label=value_label)


def categorical(
    values: pd.Series,
    colors: Mapping[object, str],
    *,
    title: str,
    labels: Mapping[object, str] | None = None,
    order: Sequence[object] | None = None,
    show_empty: bool | Sequence[object] = True,
    missing_label: str = MISSING_LABEL,
    value_text: pd.Series | None = None,
    value_label: str | None = None,
    class_label: str | None = None,
) -> Symbology:
    """The symbology of a category per unit (LISA clusters, regions, a typology).

    Parameters
    ----------
    values
        Category of each unit, indexed by unit; NaN/None for missing.
    colors
        Hex colour of each category.
    title
        Legend heading.
    labels
        Legend text of each category (default: the category itself).
    order
        Legend order (default: ``colors``' order).
    show_empty
        Keep rows with no unit (``True``), drop them (``False``) or keep only the listed
        categories when empty (a GeoDa cluster map lists its five categories always, and
        "neighbourless" only when there are such units).
    missing_label
        Text of the "no data" row.
    value_text, value_label
        Tooltip text of each unit and its heading.
    class_label
        Tooltip heading of the category.

    Raises
    ------
    ValueError
        A category of ``values`` has no colour.
    """
    order = list(colors) if order is None else list(order)
    present = pd.Series(values).dropna()
    unknown = sorted(set(present.astype(str)) - {str(c) for c in order})
    if unknown:
        raise MapError(f"categories without a colour: {', '.join(map(repr, unknown))}; "
                         f"known: {', '.join(map(repr, order))}")
    counts = present.astype(str).value_counts()
    keep_empty = set(map(str, show_empty)) if not isinstance(show_empty, bool) else None
    entries: list[LegendEntry] = []
    code_of: dict[str, int] = {}
    for category in order:
        n = int(counts.get(str(category), 0))
        if n == 0 and (show_empty is False or (keep_empty is not None
                                               and str(category) not in keep_empty)):
            continue
        code_of[str(category)] = len(entries)
        text = (labels or {}).get(category, str(category))
        entries.append(LegendEntry(text, colors[category], n))
    series = pd.Series(values)
    missing = series.isna().to_numpy()
    codes = np.array([code_of.get(str(v), -1) for v in series], dtype=np.int64)
    if missing.any():
        entries.append(LegendEntry(missing_label, MISSING_COLOR, int(missing.sum()),
                                   missing=True))
        codes[missing] = len(entries) - 1
    return Symbology(title=title, entries=tuple(entries), codes=pd.Series(codes,
                     index=series.index), values=value_text, value_label=value_label,
                     class_label=class_label)


def classed(
    values: pd.Series,
    *,
    scheme: Scheme = "natural_breaks",
    k: int = 5,
    bins: Sequence[float] | np.ndarray | None = None,
    cmap: str = "YlOrRd",
    title: str | None = None,
    missing_label: str = MISSING_LABEL,
    value_label: str | None = None,
) -> Symbology:
    """Classify ``values`` (see :func:`spatialecon.maps.classify.classify`) and return the
    choropleth's symbology, with the formatted values for tooltips.

    Parameters
    ----------
    values
        Numbers indexed by unit; NaN for missing.
    scheme, k, bins, cmap
        The classification.
    title
        Legend heading (default: the Series' name).
    missing_label, value_label
        Text of the "no data" row and tooltip heading of the values.
    """
    name = None if values.name is None else str(values.name)
    classes = classify(values, scheme=scheme, k=k, bins=bins, cmap=cmap, name=name)
    return from_classification(classes, values, title=title or name or "value",
                               missing_label=missing_label, value_label=value_label)


def panel_wide(
    data: pd.DataFrame | pd.Series,
    variable: str | None = None,
    years: Sequence[object] | None = None,
) -> tuple[pd.DataFrame, str]:
    """One variable of a panel as a frame indexed by unit with one column per year.

    Parameters
    ----------
    data
        A tidy panel (``adcode, year, variable, value``), a Series indexed by
        ``(adcode, year)``, or already a frame indexed by unit with one column per year.
    variable
        The variable of a tidy panel that holds several.
    years
        Columns to keep, in order (default: all).

    Returns
    -------
    (wide, name)
        The frame and the variable's name (``"value"`` when unknown).
    """
    name = variable
    if isinstance(data, pd.Series):
        wide = data.unstack("year")
        name = name or (None if data.name is None else str(data.name))
    elif {"adcode", "year", "value"} <= set(data.columns):
        frame = data
        if "variable" in frame.columns:
            names = list(dict.fromkeys(frame["variable"]))
            if variable is None:
                if len(names) != 1:
                    raise MapError(f"the panel has several variables {names}: pass variable=")
                variable = name = names[0]
            if variable not in names:
                raise KeyError(f"variable {variable!r} not in the panel; it has {names}")
            frame = frame[frame["variable"] == variable]
        wide = frame.pivot_table(index="adcode", columns="year", values="value",
                                 aggfunc="first")
    else:
        wide = data
    if years is not None:
        absent = [y for y in years if y not in wide.columns]
        if absent:
            raise MapError(f"year(s) {absent} not in the data; it has {list(wide.columns)}")
        wide = wide[list(years)]
    return wide, str(name) if name is not None else "value"


def classed_by_year(
    wide: pd.DataFrame,
    *,
    scheme: Scheme = "natural_breaks",
    k: int = 5,
    bins: Sequence[float] | np.ndarray | None = None,
    cmap: str = "YlOrRd",
    title: str = "value",
    missing_label: str = MISSING_LABEL,
    value_label: str | None = None,
) -> dict[object, Symbology]:
    """One symbology per column (year) of ``wide``, all from one classification of the values
    of every year pooled: a colour means the same range in every year.

    Returns
    -------
    dict
        Column → symbology (counts are those of that year).
    """
    pooled = classify(pd.Series(wide.to_numpy(dtype="float64").ravel()), scheme=scheme, k=k,
                      bins=bins, cmap=cmap, name=title)
    out: dict[object, Symbology] = {}
    for column in wide.columns:
        y = wide[column].to_numpy(dtype="float64")
        # Class i holds bins[i-1] < y <= bins[i], mapclassify's convention.
        codes = np.minimum(np.searchsorted(pooled.bins, y, side="left"), pooled.k - 1)
        entries = [LegendEntry(label, color, int(((codes == i) & ~np.isnan(y)).sum()))
                   for i, (label, color) in enumerate(zip(pooled.labels, pooled.colors,
                                                          strict=True))]
        missing = np.isnan(y)
        if missing.any():
            entries.append(LegendEntry(missing_label, MISSING_COLOR, int(missing.sum()),
                                       missing=True))
            codes = np.where(missing, len(entries) - 1, codes)
        text = pd.Series([missing_label if np.isnan(v) else format_value(v) for v in y],
                         index=wide.index, dtype=object)
        out[column] = Symbology(title, tuple(entries), pd.Series(codes, index=wide.index),
                                values=text, value_label=value_label)
    return out
