"""HTML maps (Leaflet): the web companion of the static maps, small, offline and embeddable.

Units fall into the same classes, with the same colours and legend text, as in the static
maps: both draw a :class:`~spatialecon.maps.symbology.Symbology`.

- :func:`html_map` writes one page with any number of layers (years, indicators, LISA
  clusters); a layer control switches them and the legend follows the layer shown.
- :func:`html_choropleth` is the one-layer choropleth; :func:`panel_layers` and
  :func:`lisa_layers` build the layers of a panel and of :func:`lisa_over_time` results.
- :func:`html_fragment` returns the map as a ``<div>`` for a report page that loads Leaflet
  once (:func:`leaflet_head`); :func:`embed_iframe` embeds a written page instead.

Size
----
The geometry is written once, whatever the number of layers, as shared arcs in a compact
text encoding (:mod:`spatialecon.maps._topology`): borders between neighbours are stored once,
coordinates are quantised to ``precision`` decimals and delta-encoded. Each layer adds only a
legend row per unit and its tooltip text.

Offline
-------
``offline=True`` (the default) inlines Leaflet (from the package ``folium-offline``) and draws
no tiles: the page makes no network request, opens from a USB stick or an e-mail attachment,
and works where CDNs are blocked. ``offline=False`` links Leaflet from jsDelivr instead
(~165 kB smaller).

Coordinates and background tiles
--------------------------------
The boundaries come from Amap and are in GCJ-02, which is offset from WGS-84 by 100–700 m. Web
tiles (OpenStreetMap, CARTO) are in WGS-84, so over them every border would sit visibly off at
city zoom. Hence no tiles by default. With ``tiles=`` the units, the parts of China outside the
data and the South China Sea line are converted to WGS-84 with
:func:`spatialecon.geodata.to_wgs84` before drawing (unless ``gdf.attrs`` says they already are).

Safety
------
Unit names, variable names, legend text and titles are data: they reach the page inside a
``<script type="application/json">`` block with ``<``, ``>`` and ``&`` escaped (so no
``</script>`` can end it), are parsed with ``JSON.parse`` and inserted with ``textContent``; the
layer names and attribution that Leaflet writes as HTML are escaped first; the title is
HTML-escaped. Nothing user-supplied is ever executed or parsed as markup.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import urllib.parse
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialecon._files import atomic_path
from spatialecon.geodata.boundaries import boundaries, south_china_sea_line
from spatialecon.geodata.gcj02 import to_wgs84
from spatialecon.maps import _leaflet
from spatialecon.maps._topology import encode
from spatialecon.maps.classify import (
    MISSING_COLOR,
    MISSING_HATCH_COLOR,
    Scheme,
    check_column,
    require_columns,
)
from spatialecon.maps.lisa import cluster_symbology, significance_symbology
from spatialecon.maps.static import (
    CONTEXT_COLOR,
    CONTEXT_LABEL,
    EDGE_COLOR,
    LINE_COLOR,
    uncovered_provinces,
)
from spatialecon.maps.symbology import (
    MISSING_LABEL,
    Symbology,
    classed,
    classed_by_year,
    panel_wide,
)

# Tooltip headings of the columns boundaries() provides; other columns show their own name.
ALIASES = {"name": "名称 / name", "short": "简称 / short", "name_en": "English name"}
CLASS_LABEL = "分级 / class"
CANVAS_ABOVE = 500  # units; above this Leaflet draws on a canvas (much faster than SVG)
_MANY_UNITS = 40  # above this (prefectures, counties) province borders are drawn on top
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
# A page larger than this is probably full-resolution geometry; say how to avoid it.
_VERTEX_WARNING = 400_000


@dataclass(frozen=True)
class Tiles:
    """A background tile layer (WGS-84 Web Mercator)."""

    url: str
    attribution: str
    max_zoom: int = 18


TILES: dict[str, Tiles] = {
    "openstreetmap": Tiles("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                           "© OpenStreetMap contributors", 19),
    "cartodb-positron": Tiles("https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
                              "© OpenStreetMap contributors © CARTO", 19),
}
LayerSpec = Mapping[str, Symbology] | Sequence[tuple[str, Symbology]]


def html_map(
    gdf: gpd.GeoDataFrame,
    layers: LayerSpec,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    tooltip_columns: Sequence[str] | None = None,
    offline: bool = True,
    tiles: str | Tiles | None = None,
    simplify: float | None = None,
    precision: int = 4,
    national: bool | None = None,
    missing_label: str = MISSING_LABEL,
    context_label: str = CONTEXT_LABEL,
    attribution: str | None = None,
    element_id: str | None = None,
) -> Path:
    """Write a page with one or more switchable layers over one shared geometry.

    Parameters
    ----------
    gdf
        Units with a CRS, indexed by unit code (``adcode``), typically
        ``boundaries(level, simplify=0.01)``; units a layer has no code for are "no data".
    layers
        Layer name → :class:`~spatialecon.maps.symbology.Symbology` (from
        :func:`~spatialecon.maps.symbology.classed`, :func:`panel_layers`,
        :func:`lisa_layers` …), in the order of the layer control; the first is shown. Names
        must be unique.
    path
        The ``.html`` file, written atomically (a temporary file renamed on success).
    title
        Heading over the map and the page title.
    tooltip_columns
        Columns of ``gdf`` shown on hover before the layer's value and class (default: those
        of ``name``, ``name_en`` that exist). Only these columns are embedded.
    offline
        Inline Leaflet and make no network request (default). ``False`` links Leaflet from a
        CDN.
    tiles
        ``None`` (default: the polygons on white), ``"openstreetmap"``, ``"cartodb-positron"``
        or a :class:`Tiles`. Needs ``offline=False``; the polygons are then converted to
        WGS-84 (see the module notes).
    simplify
        Tolerance in degrees of a topology-preserving simplification of the coverage
        (:func:`shapely.coverage_simplify`) before writing. Prefer passing
        ``boundaries(level, simplify=0.01)``, which is cached and shared with the context.
    precision
        Decimals of the coordinates kept (4 ≈ 10 m; 3 ≈ 100 m halves the geometry again).
    national
        Frame the whole country including the South China Sea islands (``True``) or just the
        units (``False``). Default: national when the units cover at least 25 provinces.
    missing_label, context_label
        Legend text of units without data and of the parts of China outside ``gdf``.
    attribution
        Source line at the bottom right (default: ``gdf.attrs["source"]``).
    element_id
        HTML id of the map (default: derived from the content, stable across runs).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError, KeyError, ValueError
        Not a GeoDataFrame; unknown tooltip columns; no CRS, no rows, no layers, duplicate
        layer names, tiles with ``offline=True``, a bad ``precision`` or ``element_id``.
    """
    page = html_page(gdf, layers, title=title, tooltip_columns=tooltip_columns,
                     offline=offline, tiles=tiles, simplify=simplify, precision=precision,
                     national=national, missing_label=missing_label,
                     context_label=context_label, attribution=attribution,
                     element_id=element_id)
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path


def html_page(gdf: gpd.GeoDataFrame, layers: LayerSpec, *, title: str | None = None,
              offline: bool = True, **options: object) -> str:
    """The text of the page :func:`html_map` writes (same parameters, no ``path``)."""
    fragment, _ = _fragment(gdf, layers, title=title, offline=offline,
                            height="100%", **options)
    heading = html.escape(title or "map")
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{heading}</title>\n{_leaflet.head_html(offline)}\n"
        # The page is the map's own document: filling it is not a style leaking anywhere.
        "<style>html,body{height:100%;margin:0;padding:0}</style>\n</head>\n<body>\n"
        f"{fragment}\n</body>\n</html>\n"
    )


def html_fragment(
    gdf: gpd.GeoDataFrame,
    layers: LayerSpec,
    *,
    height: str = "560px",
    **options: object,
) -> str:
    """The map as an HTML fragment (a ``<div>``, its scoped ``<style>``, its data and script)
    to place in a report page.

    The host page must load Leaflet once in its ``<head>`` (:func:`leaflet_head`). Several
    fragments share one page without clashing: ids derive from each map's content (pass
    ``element_id=`` to place the same map twice) and every CSS rule is scoped to the map's
    id. Parameters as :func:`html_map`, plus ``height`` (a CSS length).
    """
    if not re.fullmatch(r"\d+(\.\d+)?(px|vh|em|rem|%)", height):
        raise ValueError(f"height must be a CSS length such as '560px' or '80vh', not {height!r}")
    fragment, _ = _fragment(gdf, layers, height=height, **options)
    return fragment


def leaflet_head(offline: bool = True) -> str:
    """The ``<head>`` markup that loads Leaflet for :func:`html_fragment`: inline ``<style>``
    and ``<script>`` (``offline``) or links to the CDN."""
    return _leaflet.head_html(offline)


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
    tiles: str | Tiles | None = None,
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


# --- the page ---------------------------------------------------------------------------------


def _layer_list(layers: LayerSpec) -> list[tuple[str, Symbology]]:
    items = list(layers.items()) if isinstance(layers, Mapping) else list(layers)
    if not items:
        raise ValueError("no layers to draw")
    names = [str(name) for name, _ in items]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"layer names must be unique; repeated: {duplicated}")
    for name, symbology in items:
        if not isinstance(symbology, Symbology):
            raise TypeError(f"layer {name!r} is a {type(symbology).__name__}, not a Symbology")
        bad = [e.color for e in symbology.entries if not _HEX.match(e.color)]
        if bad:
            raise ValueError(f"layer {name!r}: colours must be #rrggbb, not {bad}")
    return [(str(name), symbology) for name, symbology in items]


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def _is_wgs84(gdf: gpd.GeoDataFrame) -> bool:
    return str(gdf.attrs.get("coordinate_system", "")).startswith("WGS-84")


def _fragment(
    gdf: gpd.GeoDataFrame,
    layers: LayerSpec,
    *,
    title: str | None = None,
    tooltip_columns: Sequence[str] | None = None,
    offline: bool = True,
    tiles: str | Tiles | None = None,
    simplify: float | None = None,
    precision: int = 4,
    national: bool | None = None,
    missing_label: str = MISSING_LABEL,
    context_label: str = CONTEXT_LABEL,
    attribution: str | None = None,
    element_id: str | None = None,
    height: str = "560px",
) -> tuple[str, str]:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"gdf must be a GeoDataFrame, not {type(gdf).__name__}")
    if len(gdf) == 0:
        raise ValueError("gdf has no rows: no data to map")
    if gdf.crs is None:
        raise ValueError("gdf has no CRS; set one first, e.g. gdf.set_crs('EPSG:4326')")
    if not gdf.index.is_unique:
        raise ValueError("gdf's index (the unit codes) has duplicates")
    items = _layer_list(layers)
    if tooltip_columns is None:
        tooltip_columns = [c for c in ("name", "name_en") if c in gdf.columns]
    tooltip_columns = list(tooltip_columns)
    require_columns(gdf, tooltip_columns, "tooltip column(s)")
    if int(precision) != precision or not 0 <= precision <= 6:
        raise ValueError(f"precision must be an integer 0–6 (decimals), not {precision!r}")
    tile_layer = _tiles(tiles, offline)
    if element_id is not None and not _ID.match(element_id):
        raise ValueError(f"element_id must be a letter then letters, digits, - or _: "
                         f"{element_id!r}")

    units = gdf.to_crs("EPSG:4326")
    if tile_layer is not None and not _is_wgs84(gdf):
        units = to_wgs84(units)  # GCJ-02 polygons onto WGS-84 tiles: see the module notes
    geoms = units.geometry.to_numpy()
    if simplify is not None:
        geoms = shapely.coverage_simplify(geoms, float(simplify))
    vertices = int(shapely.get_num_coordinates(geoms).sum())
    if vertices > _VERTEX_WARNING:
        warnings.warn(f"{vertices:,} vertices make a large page; pass boundaries(level, "
                      "simplify=0.01) or simplify=0.01", UserWarning, stacklevel=4)

    context = _context_units(units, simplify)
    line = south_china_sea_line()
    if tile_layer is not None:
        line = to_wgs84(line)
        if context is not None:
            context = to_wgs84(context)
    context_geoms = context.geometry.to_numpy() if context is not None else np.array([])
    topology = encode(np.concatenate([geoms, context_geoms]), line.geometry.to_numpy(),
                      precision=int(precision))
    unit_shapes = topology.shapes[:len(geoms)]
    context_shapes = topology.shapes[len(geoms):]

    if national is None:
        covered = ({int(c) for c in units["province_adcode"].dropna()}
                   if "province_adcode" in units.columns else set())
        national = len(covered) >= 25
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    if national:
        lx0, ly0, lx1, ly1 = shapely.total_bounds(line.geometry.to_numpy())
        minx, miny, maxx, maxy = min(minx, lx0), min(miny, ly0), max(maxx, lx1), max(maxy, ly1)

    payload = {
        "topology": topology.payload(),
        "canvas": len(units) > CANVAS_ABOVE,
        "bounds": [[round(miny, 4), round(minx, 4)], [round(maxy, 4), round(maxx, 4)]],
        "style": {"edge": EDGE_COLOR, "line": LINE_COLOR, "context": CONTEXT_COLOR,
                  "missing": MISSING_COLOR, "hatch": MISSING_HATCH_COLOR},
        "units": {
            "shapes": unit_shapes,
            "heads": [ALIASES.get(c, c) for c in tooltip_columns],
            "tips": [[_text(v) for v in row]
                     for row in units[tooltip_columns].itertuples(index=False, name=None)],
        },
        "context": None if context is None else {
            "shapes": context_shapes, "names": [_text(n) for n in context["name"]],
            "label": context_label},
        "lines": topology.lines,
        "borders": _province_borders(unit_shapes, units),
        "layers": [_layer_payload(name, symbology, units.index, missing_label)
                   for name, symbology in items],
        "tiles": None if tile_layer is None else {
            "url": tile_layer.url, "attribution": tile_layer.attribution,
            "maxZoom": tile_layer.max_zoom},
        "attribution": attribution if attribution is not None else _source(gdf, tile_layer),
    }
    data = _json_for_script(payload)
    if element_id is None:
        digest = hashlib.sha256(data.encode("utf-8")).hexdigest()[:12]
        element_id = f"se-map-{digest}"
    label = html.escape(title or "map", quote=True)
    heading = f'<div class="se-title">{html.escape(title)}</div>' if title else ""
    fragment = (
        f'<div id="{element_id}" class="se-map" role="region" aria-label="{label}">'
        f'{heading}<div class="se-leaflet"></div></div>\n'
        f"<style>{_leaflet.scoped_css(element_id, height)}</style>\n"
        f'<script type="application/json" id="{element_id}-data">{data}</script>\n'
        f"<script>{_leaflet.RUNTIME_JS}\nspatialeconMap(\"{element_id}\");</script>"
    )
    return fragment, element_id


def _province_borders(shapes: list, units: gpd.GeoDataFrame) -> list[int]:
    """Arcs that separate two provinces or bound the data, for maps of prefectures or counties:
    drawn firmer on top, as the static maps draw province borders over county hairlines. They
    are arcs the units already share, so they cost no geometry."""
    if len(units) <= _MANY_UNITS or "province_adcode" not in units.columns:
        return []
    provinces = units["province_adcode"].to_numpy()
    sides: dict[int, list] = {}
    for unit, polygons in enumerate(shapes):
        for polygon in polygons:
            for ring in polygon:
                for ref in ring:
                    sides.setdefault(ref if ref >= 0 else ~ref, []).append(provinces[unit])
    return sorted(arc for arc, owners in sides.items()
                  if len(owners) == 1 or len(set(owners)) > 1)


def _layer_payload(name: str, symbology: Symbology, index: pd.Index,
                   missing_label: str) -> dict:
    aligned = symbology.aligned(index, missing_label)
    values = None
    if aligned.values is not None:
        values = [_text(v) if pd.notna(v) else missing_label for v in aligned.values]
    return {
        "name": name,
        "title": aligned.title,
        "valueLabel": aligned.value_label or aligned.title,
        "classLabel": aligned.class_label or CLASS_LABEL,
        "entries": [{"label": e.label, "color": e.color, "count": e.count,
                     "missing": e.missing} for e in aligned.entries],
        "codes": aligned.codes.to_numpy().tolist(),
        "values": values,
    }


def _json_for_script(payload: dict) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<`` (hence no
    ``</script>`` or ``<!--``), no ``>`` or ``&``, and no U+2028/U+2029 line separators."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _tiles(tiles: str | Tiles | None, offline: bool) -> Tiles | None:
    if tiles is None:
        return None
    if offline:
        raise ValueError("tiles need the network: pass offline=False with tiles=, or no tiles")
    if isinstance(tiles, Tiles):
        if not tiles.url.startswith("https://"):
            raise ValueError(f"tile URLs must be https://, not {tiles.url!r}")
        return tiles
    if tiles not in TILES:
        raise ValueError(f"tiles must be one of {sorted(TILES)} or a Tiles, not {tiles!r}")
    return TILES[tiles]


def _source(gdf: gpd.GeoDataFrame, tiles: Tiles | None) -> str:
    source = str(gdf.attrs.get("source", ""))
    system = "WGS-84" if tiles is not None or _is_wgs84(gdf) else "GCJ-02"
    return f"{source} · {system}" if source else system


def _context_units(units: gpd.GeoDataFrame, simplify: float | None) -> gpd.GeoDataFrame | None:
    """Provinces of the whole country not covered by ``units`` (``None`` when all are)."""
    level_simplify = simplify if simplify is not None else units.attrs.get("simplify")
    provinces = boundaries("province", mainland_only=False, simplify=level_simplify)
    missing = uncovered_provinces(provinces, units)
    return provinces.loc[missing] if missing else None
