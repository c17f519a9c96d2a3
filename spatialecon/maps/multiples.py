"""Small multiples: one national map per year (or per anything) sharing one legend.

Comparing maps across years only works when a colour means the same thing in every panel, so
:func:`choropleth_multiples` classifies the values of all years together (one set of class
bounds) and :func:`lisa_multiples` uses GeoDa's fixed cluster colours; both draw one legend for
the figure. Each panel keeps the national layout of
:func:`spatialecon.maps.static.national_map` (Albers, South China Sea inset); the north arrow
and the scale bar are drawn once, in the first panel.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import geopandas as gpd
import pandas as pd
from matplotlib.figure import Figure

from spatialecon.geodata.boundaries import CHINA_ALBERS
from spatialecon.maps.classify import MISSING_COLOR, Scheme
from spatialecon.maps.fonts import use_chinese_font
from spatialecon.maps.lisa import LISA_LABELS, cluster_symbology, one_year
from spatialecon.maps.static import (
    CONTEXT_LABEL,
    LEGEND_STYLE,
    NATIONAL_FRAME,
    LabelColumn,
    _national_context,
    legend_handles,
    national_map,
    uncovered_provinces,
)
from spatialecon.maps.symbology import (
    MISSING_LABEL,
    LegendEntry,
    Symbology,
    classed_by_year,
    panel_wide,
)

_CAPTION_ROWS = ("HH", "LL", "LH", "HL")


def small_multiples(
    gdf: gpd.GeoDataFrame,
    panels: Mapping[object, Symbology],
    *,
    legend: Symbology | None = None,
    captions: Mapping[object, str] | None = None,
    ncols: int = 3,
    title: str | None = None,
    labels: LabelColumn | None = None,
    inset: bool = True,
    panel_width: float = 2.6,
    missing_label: str = MISSING_LABEL,
    context_label: str = CONTEXT_LABEL,
    note: str | None = None,
) -> Figure:
    """A grid of national maps, one per symbology, with one legend under them.

    Parameters
    ----------
    gdf
        Boundaries with a CRS, indexed like the symbologies' codes.
    panels
        Panel title (a year …) → its symbology, in drawing order (row by row).
    legend
        The shared legend (default: the first panel's, without counts). Its rows must describe
        every panel: build the panels from one classification, as :func:`choropleth_multiples`
        does.
    captions
        Panel title → a line printed under the panel (counts of each category …).
    ncols
        Panels per row.
    title
        Figure title.
    labels
        Unit labels in each panel (``"short"``, ``"name_en"``); none by default, as they crowd
        small panels.
    inset
        South China Sea inset in each panel (the national layout).
    panel_width
        Inches per panel; a row of three fits a 7.8 in page width.
    missing_label, context_label, note
        As in :func:`spatialecon.maps.static.choropleth`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not panels:
        raise ValueError("no panels to draw")
    use_chinese_font()
    keys = list(panels)
    ncols = max(1, min(int(ncols), len(keys)))
    nrows = math.ceil(len(keys) / ncols)
    frame = NATIONAL_FRAME
    panel_height = panel_width * (frame[3] - frame[1]) / (frame[2] - frame[0])
    caption_h = 0.18 if captions else 0.0
    title_h = 0.22  # panel titles
    shared = (legend or panels[keys[0]].without_counts())
    missing_any = any(e.missing for p in panels.values()
                      for e in p.aligned(gdf.index, missing_label).entries)
    if missing_any and not any(e.missing for e in shared.entries):
        shared = Symbology(shared.title, (*shared.entries,
                                          LegendEntry(missing_label, MISSING_COLOR, None,
                                                      missing=True)), shared.codes)
    context = _national_context(gdf.attrs.get("simplify"))
    uncovered = uncovered_provinces(context.provinces, gdf.to_crs(CHINA_ALBERS))
    handles = legend_handles(shared, context_label if uncovered else None)
    legend_cols = min(len(handles), 4 if ncols >= 3 else 2)
    legend_h = 0.3 + 0.17 * math.ceil(len(handles) / legend_cols)
    top_h = 0.35 if title else 0.05
    note_h = 0.18 if note else 0.0
    cell_h = panel_height + caption_h + title_h
    width = ncols * panel_width
    height = top_h + nrows * cell_h + legend_h + note_h
    fig = Figure(figsize=(width, height))
    for i, key in enumerate(keys):
        row, col = divmod(i, ncols)
        bottom = height - top_h - (row + 1) * cell_h + caption_h
        ax = fig.add_axes((col * panel_width / width + 0.005, bottom / height,
                           panel_width / width - 0.01, panel_height / height))
        national_map(gdf, panels[key], ax=ax, labels=labels, inset=inset, legend=False,
                     north_arrow=i == 0, scale_bar=i == 0, missing_label=missing_label,
                     context_label=context_label)
        ax.set_title(str(key), fontsize=9, pad=3)
        if captions and key in captions:
            ax.text(0.5, -0.02, captions[key], transform=ax.transAxes, ha="center",
                    va="top", fontsize=6.5, color="#333333")
    style = {**LEGEND_STYLE, "fontsize": 7, "title_fontsize": 7.5}
    fig.legend(handles=handles, title=shared.title, loc="lower center", ncols=legend_cols,
               bbox_to_anchor=(0.5, (note_h + 0.05) / height), **style)
    if title:
        fig.suptitle(title, fontsize=11, y=1 - 0.08 / height)
    if note:
        fig.text(0.01, 0.02 / height, note, fontsize=6, color="#555555", ha="left",
                 va="bottom")
    return fig


def choropleth_multiples(
    gdf: gpd.GeoDataFrame,
    data: pd.DataFrame | pd.Series,
    *,
    variable: str | None = None,
    years: Sequence[object] | None = None,
    scheme: Scheme = "natural_breaks",
    k: int = 5,
    bins: Sequence[float] | None = None,
    cmap: str = "YlOrRd",
    legend_title: str | None = None,
    ncols: int = 3,
    title: str | None = None,
    labels: LabelColumn | None = None,
    missing_label: str = MISSING_LABEL,
    context_label: str = CONTEXT_LABEL,
    note: str | None = None,
    panel_width: float = 2.6,
) -> Figure:
    """Choropleths of one variable, one panel per year, classified once over all years.

    Parameters
    ----------
    gdf
        Boundaries with a CRS, indexed by ``adcode``.
    data
        A tidy panel (``adcode, year, variable, value``), a Series indexed by
        ``(adcode, year)``, or a frame indexed by ``adcode`` with one column per year.
    variable
        The variable of a tidy panel holding several.
    years
        Panels to draw, in order (default: every year).
    scheme, k, bins, cmap
        Classification (see :func:`spatialecon.maps.classify.classify`) of the values of all
        the panels pooled, so that a colour means the same range in every year.
    legend_title
        Heading of the shared legend (default: the variable).
    ncols, title, labels, missing_label, context_label, note, panel_width
        See :func:`small_multiples`.

    Returns
    -------
    matplotlib.figure.Figure
        The legend lists the pooled classes without counts (they differ by year).
    """
    wide, name = panel_wide(data, variable, years)
    panels = classed_by_year(wide, scheme=scheme, k=k, bins=bins, cmap=cmap,
                             title=legend_title or name, missing_label=missing_label)
    first = next(iter(panels.values()))
    legend = Symbology(first.title, tuple(LegendEntry(e.label, e.color, None)
                                          for e in first.entries if not e.missing),
                       pd.Series(dtype="int64"))
    return small_multiples(gdf, panels, legend=legend, ncols=ncols, title=title, labels=labels,
                           missing_label=missing_label, context_label=context_label,
                           note=note, panel_width=panel_width)


def lisa_multiples(
    gdf: gpd.GeoDataFrame,
    lisa: pd.DataFrame,
    *,
    years: Sequence[object] | None = None,
    column: str = "cluster",
    cluster_labels: Mapping[str, str] | None = None,
    legend_title: str | None = None,
    ncols: int = 3,
    title: str | None = None,
    labels: LabelColumn | None = None,
    missing_label: str = MISSING_LABEL,
    context_label: str = CONTEXT_LABEL,
    note: str | None = None,
    panel_width: float = 2.6,
) -> Figure:
    """LISA cluster maps by year (from :func:`~spatialecon.autocorrelation.lisa_over_time`)
    in GeoDa's colours, with one legend and each year's counts under its panel.

    Parameters
    ----------
    gdf
        Boundaries with a CRS, indexed by ``adcode``.
    lisa
        :func:`~spatialecon.autocorrelation.lisa_over_time` output.
    years
        Panels to draw (default: every year of ``lisa``).
    column, cluster_labels
        See :func:`spatialecon.maps.lisa.cluster_symbology`.
    legend_title
        Heading of the shared legend (default: that of the first year, without the year);
        cluster legends add the inference line under it, as :func:`cluster_symbology` does.
    ncols, title, labels, missing_label, context_label, note, panel_width
        See :func:`small_multiples`.
    """
    if not (isinstance(lisa.index, pd.MultiIndex) and "year" in lisa.index.names):
        raise ValueError("lisa_multiples needs lisa_over_time output (indexed by adcode, year)")
    available = list(dict.fromkeys(lisa.index.get_level_values("year")))
    years = available if years is None else list(years)
    panels, captions = {}, {}
    for year in years:
        symbology = cluster_symbology(lisa, year=year, column=column, labels=cluster_labels,
                                      missing_label=missing_label)
        panels[year] = symbology
        counts = one_year(lisa, year)[column].value_counts()
        captions[year] = " · ".join(f"{q} {int(counts.get(q, 0))}" for q in _CAPTION_ROWS)
    # A given heading keeps the inference line of the clusters, as the single maps' legends do.
    first = cluster_symbology(lisa, year=years[0], column=column, labels=cluster_labels,
                              title=legend_title)
    heading = first.title if legend_title else first.title.replace(f" {years[0]}", "", 1)
    # Rows of every panel, in GeoDa's order (a neighbourless row only if some year has one).
    rows: dict[str, LegendEntry] = {}
    for symbology in panels.values():
        for entry in symbology.entries:
            if not entry.missing:
                rows.setdefault(entry.label, LegendEntry(entry.label, entry.color, None))
    order = [(cluster_labels or LISA_LABELS).get(c, c) for c in LISA_LABELS]
    entries = tuple(sorted(rows.values(), key=lambda e: order.index(e.label)
                           if e.label in order else len(order)))
    legend = Symbology(heading, entries, pd.Series(dtype="int64"))
    return small_multiples(gdf, panels, legend=legend, captions=captions, ncols=ncols,
                           title=title, labels=labels, missing_label=missing_label,
                           context_label=context_label, note=note, panel_width=panel_width)
