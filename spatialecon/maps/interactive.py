"""HTML maps written to files: the web companion of the static maps, small, offline and
embeddable, built on :func:`spatialecon.maps.web.folium_map`.

Units fall into the same classes, with the same colours and legend text, as in the static
maps: both draw a :class:`~spatialecon.maps.symbology.Symbology`.

- :func:`html_map` writes one page with any number of layers (years, indicators, LISA
  clusters); the layer control switches them and the legend follows the layer shown.
  :func:`html_page` is its text.
- :func:`html_choropleth` is the one-layer choropleth; :func:`panel_layers` and
  :func:`lisa_layers` build the layers of a panel and of :func:`lisa_over_time` results.
- :func:`embed_iframe` embeds a written page in a report.

Pages are offline by default here (Leaflet inlined, no tiles: they open from a USB stick or
an e-mail attachment, and where CDNs are blocked) and deterministic (the same data write the
same bytes). Sizes, datums and escaping are those of :mod:`spatialecon.maps.web`.
"""

from __future__ import annotations

import html
import os
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from spatialecon._files import atomic_path
from spatialecon.maps.classify import Scheme, check_column, require_columns
from spatialecon.maps.lisa import cluster_symbology, significance_symbology
from spatialecon.maps.static import CONTEXT_LABEL
from spatialecon.maps.symbology import (
    MISSING_LABEL,
    Symbology,
    classed,
    classed_by_year,
    panel_wide,
)
from spatialecon.maps.web import LayerSpec, Tiles, folium_map, render_page


def html_map(
    gdf: gpd.GeoDataFrame,
    layers: LayerSpec,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    offline: bool = True,
    tiles: Tiles = None,
    **options: object,
) -> Path:
    """Write a page with one or more switchable layers over one shared geometry.

    Parameters
    ----------
    gdf, layers, title
        As :func:`~spatialecon.maps.web.folium_map`.
    path
        The ``.html`` file, written atomically (a temporary file renamed on success).
    offline
        Inline Leaflet (default): with ``tiles=None`` the page makes no network request.
    tiles
        ``None`` (default: the polygons on white) or a basemap of
        :func:`~spatialecon.maps.web.folium_map`.
    **options
        Any other keyword of :func:`~spatialecon.maps.web.folium_map` (``tooltip_columns``,
        ``precision``, ``national``, ``crs``, ``tianditu_key`` …).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    page = html_page(gdf, layers, title=title, offline=offline, tiles=tiles, **options)
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path


def html_page(gdf: gpd.GeoDataFrame, layers: LayerSpec, *, title: str | None = None,
              offline: bool = True, tiles: Tiles = None, **options: object) -> str:
    """The text of the page :func:`html_map` writes (same parameters, no ``path``)."""
    return render_page(folium_map(gdf, layers, title=title, offline=offline, tiles=tiles,
                                  **options))


def embed_iframe(
    src: str | os.PathLike[str],
    *,
    title: str,
    height: int = 560,
    relative_to: str | os.PathLike[str] | None = None,
) -> str:
    """An ``<iframe>`` that embeds a page written by :func:`html_map` in a report.

    Parameters
    ----------
    src
        The map's file.
    title
        Accessible title of the frame (escaped).
    height
        Pixels.
    relative_to
        Folder of the report page; ``src`` is written relative to it (default: as given).

    Notes
    -----
    The frame is sandboxed to scripts only: the map runs, but cannot reach the report's
    document, cookies or storage, so even a crafted map cannot script the report.
    """
    target = Path(src)
    if relative_to is not None:
        target = Path(os.path.relpath(Path(src).resolve(), Path(relative_to).resolve()))
    url = urllib.parse.quote(target.as_posix())
    return (f'<iframe src="{html.escape(url)}" title="{html.escape(title)}" loading="lazy" '
            f'sandbox="allow-scripts" style="width:100%;height:{int(height)}px;border:0">'
            "</iframe>")


def html_choropleth(
    gdf: gpd.GeoDataFrame,
    column: str,
    path: str | os.PathLike[str],
    *,
    scheme: Scheme = "natural_breaks",
    k: int = 5,
    bins: Sequence[float] | None = None,
    cmap: str = "YlOrRd",
    tooltip_columns: Sequence[str] = ("name", "short"),
    title: str | None = None,
    legend_title: str | None = None,
    missing_label: str = MISSING_LABEL,
    context_label: str = CONTEXT_LABEL,
    tiles: Tiles = None,
    simplify: float | None = None,
    precision: int = 4,
    offline: bool = True,
) -> Path:
    """Write an interactive choropleth of ``column`` to one HTML file.

    Parameters
    ----------
    gdf
        Units to colour, with a CRS (typically ``boundaries(level, simplify=0.01)`` joined with
        data).
    column
        Numeric column to map; NaN/None/NA marks a unit without data (grey, hatched).
    path
        The ``.html`` file to write, atomically.
    scheme, k, bins, cmap
        Classification and colours, as in :func:`spatialecon.maps.static.choropleth`.
    tooltip_columns
        Columns shown on hover before the value and its class; only these are embedded.
    title, legend_title
        Heading over the map (none by default) and of the legend (default: ``column``).
    missing_label, context_label
        Legend text of units without data and of the parts of China not in ``gdf``.
    tiles, simplify, precision, offline
        See :func:`html_map`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    check_column(gdf, column)
    tooltip_columns = [c for c in tooltip_columns if c != column]
    require_columns(gdf, tooltip_columns, "tooltip column(s)")
    symbology = classed(gdf[column].rename(column), scheme=scheme, k=k, bins=bins, cmap=cmap,
                        title=legend_title or column, missing_label=missing_label,
                        value_label=legend_title or column)
    return html_map(gdf, [(legend_title or column, symbology)], path, title=title,
                    tooltip_columns=tooltip_columns, offline=offline, tiles=tiles,
                    simplify=simplify, precision=precision, missing_label=missing_label,
                    context_label=context_label)


def panel_layers(
    panel: pd.DataFrame,
    variables: Sequence[str] | None = None,
    *,
    years: Sequence[object] | None = None,
    scheme: Scheme = "natural_breaks",
    k: int = 5,
    bins: Mapping[str, Sequence[float]] | None = None,
    cmap: str | Mapping[str, str] = "YlOrRd",
    titles: Mapping[str, str] | None = None,
    missing_label: str = MISSING_LABEL,
) -> dict[str, Symbology]:
    """One layer per variable and year of a tidy panel, each variable classified once over
    all its years (a colour means the same range in every year of it).

    Parameters
    ----------
    panel
        Tidy panel: ``adcode, year, variable, value``.
    variables
        Variables to map, in order (default: all, in order of appearance).
    years
        Years to map (default: each variable's years).
    scheme, k
        Classification of every variable.
    bins
        Upper class bounds by variable, for ``scheme="user_defined"``.
    cmap
        A colormap, or one per variable.
    titles
        Display name by variable (legend heading and layer names; default: the variable).
    missing_label
        Text of the "no data" row.

    Returns
    -------
    dict
        ``"<title> <year>"`` → symbology, variables outer, years inner.
    """
    missing_columns = {"adcode", "year", "variable", "value"} - set(panel.columns)
    if missing_columns:
        raise KeyError(f"panel lacks column(s) {sorted(missing_columns)}: pass a tidy panel "
                       "(adcode, year, variable, value)")
    names = list(dict.fromkeys(panel["variable"])) if variables is None else list(variables)
    out: dict[str, Symbology] = {}
    for variable in names:
        wide, _ = panel_wide(panel, variable, None)
        if years is not None:
            wide = wide[[y for y in years if y in wide.columns]]
        shown = (titles or {}).get(variable, variable)
        color = cmap if isinstance(cmap, str) else cmap.get(variable, "YlOrRd")
        per_year = classed_by_year(wide, scheme=scheme, k=k,
                                   bins=None if bins is None else bins.get(variable),
                                   cmap=color, title=shown, missing_label=missing_label,
                                   value_label=shown)
        for year, symbology in per_year.items():
            out[f"{shown} {year}"] = replace(symbology, title=f"{shown} {year}")
    return out


def lisa_layers(
    lisa: pd.DataFrame,
    *,
    name: str = "LISA",
    years: Sequence[object] | None = None,
    significance: bool = False,
    cluster_labels: Mapping[str, str] | None = None,
) -> dict[str, Symbology]:
    """LISA cluster layers (and significance layers) in GeoDa's colours.

    Parameters
    ----------
    lisa
        :func:`~spatialecon.autocorrelation.local_moran` or
        :func:`~spatialecon.autocorrelation.lisa_over_time` output.
    name
        Prefix of the layer names ("LISA 2019", "LISA p 2019").
    years
        Years to include (default: all).
    significance
        Add a significance layer after each cluster layer.
    cluster_labels
        Legend text by cluster (default Chinese and English).
    """
    out: dict[str, Symbology] = {}
    if isinstance(lisa.index, pd.MultiIndex) and "year" in lisa.index.names:
        available = list(dict.fromkeys(lisa.index.get_level_values("year")))
        chosen = available if years is None else list(years)
    else:
        chosen = [None]
    for year in chosen:
        suffix = "" if year is None else f" {year}"
        out[f"{name}{suffix}"] = cluster_symbology(lisa, year=year, labels=cluster_labels)
        if significance:
            out[f"{name} p{suffix}"] = significance_symbology(lisa, year=year)
    return out
