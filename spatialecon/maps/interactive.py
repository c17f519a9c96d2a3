"""HTML choropleths (Leaflet via folium): the web companion of the static maps.

Units fall into the same classes, with the same colours and legend text, as in
:func:`spatialecon.maps.static.choropleth`; both call :func:`spatialecon.maps.classify.classify`.

Coordinates and background tiles
--------------------------------
The boundaries come from Amap and are in GCJ-02, which is offset from WGS-84 by 100–700 m. Web
tiles (OpenStreetMap, CartoDB …) are in WGS-84, so over them every border would sit visibly off
at city zoom. Hence no tile layer by default (``tiles=None``): the map is the polygons on white.
Before adding WGS-84 tiles convert the polygons with
:func:`spatialecon.geodata.gcj02_to_wgs84`; Amap's own tiles are GCJ-02 and match as they are.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely
from folium.plugins import StripePattern

from spatialecon._files import atomic_path
from spatialecon.geodata.boundaries import boundaries, south_china_sea_line
from spatialecon.maps.classify import (
    MISSING_COLOR,
    MISSING_HATCH_COLOR,
    Classification,
    Scheme,
    check_column,
    classify,
    require_columns,
)
from spatialecon.maps.static import CONTEXT_COLOR, EDGE_COLOR, LINE_COLOR, uncovered_provinces

CLASS_FIELD = "class"
# Tooltip headings of the columns boundaries() provides; other columns show their own name.
_ALIASES = {"name": "名称 / name", "short": "简称 / short", "name_en": "English name"}
_FONTS = "'Noto Sans CJK SC','PingFang SC','Microsoft YaHei','Source Han Sans SC',sans-serif"


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
    missing_label: str = "无数据 / no data",
    context_label: str = "未纳入 / not in data",
    tiles: str | None = None,
    simplify: float | None = None,
    precision: int = 4,
) -> Path:
    """Write an interactive choropleth of ``column`` to one HTML file.

    Parameters
    ----------
    gdf
        Units to colour, with a CRS (typically from :func:`spatialecon.geodata.boundaries`).
    column
        Numeric column to map; NaN/None/NA marks a unit without data (grey, striped).
    path
        The ``.html`` file to write, atomically (a temporary file renamed on success).
    scheme, k, bins, cmap
        Classification and colours, as in :func:`spatialecon.maps.static.choropleth`.
    tooltip_columns
        Columns shown on hover before the value and its class. Only these, the value and the
        class are embedded: every other column is dropped to keep the file small.
    title, legend_title
        Heading over the map (none by default) and of the legend (default: ``column``).
    missing_label, context_label
        Legend text of units without data and of the parts of China not in ``gdf`` (Hong Kong,
        Macao and Taiwan for the mainland provinces).
    tiles
        A folium tile layer name or URL template (a URL needs folium's ``attr=``, so use a name
        here). ``None`` (the default) draws no background: see the module notes on GCJ-02.
    simplify
        Tolerance in degrees for a topology-preserving simplification
        (:func:`shapely.coverage_simplify`, as in ``boundaries(simplify=...)``) before writing.
        For counties prefer ``boundaries("county", simplify=0.01)``, which is cached.
    precision
        Decimals kept in the coordinates: 4 is ~10 m, far below what a web map shows.

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    Sizes measured: 31 provinces 0.9 MB with ``simplify=0.01``, 14.6 MB at full resolution;
    367 prefectures 2.2 MB and 2,848 counties 5.4 MB with ``simplify=0.01`` (78 MB at full
    resolution). Above 500 units Leaflet draws on a canvas, where units without data are plain
    grey instead of striped. The data are embedded but Leaflet and its plugins load from CDNs,
    so the page needs a network connection to display.
    """
    check_column(gdf, column)
    tooltip_columns = [c for c in tooltip_columns if c != column]
    require_columns(gdf, tooltip_columns, "tooltip column(s)")
    if int(precision) != precision or not 0 <= precision <= 8:
        raise ValueError(f"precision must be an integer 0–8 (decimals), not {precision!r}")
    classes = classify(gdf[column], scheme=scheme, k=k, bins=bins, cmap=cmap, name=column)
    units = gdf.to_crs("EPSG:4326")
    geoms = units.geometry.to_numpy()
    if simplify is not None:
        geoms = shapely.coverage_simplify(geoms, float(simplify))

    # Canvas draws thousands of county polygons much faster than SVG, but Leaflet.pattern's
    # stripes need SVG: in canvas maps units without data are plain grey (legend alike).
    canvas = len(units) > 500
    fmap = folium.Map(tiles=tiles, prefer_canvas=canvas, control_scale=True,
                      zoom_snap=0.25)
    # Without tiles Leaflet paints its grey placeholder; a map on paper is on white.
    fmap.get_root().header.add_child(
        folium.Element("<style>.leaflet-container{background:#ffffff;}</style>")
    )
    context = _context_units(units, simplify)
    _add_context(fmap, context, precision, context_label)
    _add_units(fmap, units, geoms, column, classes, tooltip_columns, precision,
               legend_title or column, missing_label)
    fmap.get_root().html.add_child(folium.Element(_legend_html(
        classes, legend_title or column, missing_label,
        context_label if context is not None else None, striped=not canvas,
    )))
    if title:
        fmap.get_root().html.add_child(folium.Element(
            '<div style="position:fixed;top:10px;left:50%;transform:translateX(-50%);'
            f"z-index:1000;background:rgba(255,255,255,.85);padding:4px 10px;font:600 16px/1.3 "
            f'{_FONTS};">{html.escape(title)}</div>'
        ))
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])

    path = Path(path)
    with atomic_path(path) as tmp, _compact_json():
        fmap.save(str(tmp))
    return path


@contextlib.contextmanager
def _compact_json() -> Iterator[None]:
    """Render folium's ``tojson`` without blanks after ``,`` and ``:`` for the duration.

    The embedded GeoJSON is almost all coordinate pairs, and jinja's default separators add
    three bytes to each: 15 % of the file. The policy lives on the jinja environment that all of
    folium's templates share, so it is restored on exit.
    """
    policies = folium.GeoJson._template.environment.policies
    saved = policies["json.dumps_kwargs"]
    policies["json.dumps_kwargs"] = {**saved, "separators": (",", ":")}
    try:
        yield
    finally:
        policies["json.dumps_kwargs"] = saved


def _rounded(geoms: np.ndarray, precision: int) -> list[dict]:
    """GeoJSON geometries with coordinates rounded to ``precision`` decimals."""
    # Pointwise rounding keeps every vertex (no snapping or re-noding, which could drop small
    # islands); neighbours share vertices, so shared borders stay shared.
    rounded = shapely.set_precision(geoms, 10.0**-precision, mode="pointwise")
    rounded = shapely.remove_repeated_points(rounded)
    return [json.loads(text) for text in shapely.to_geojson(rounded)]


def _add_units(
    fmap: folium.Map,
    units: gpd.GeoDataFrame,
    geoms: np.ndarray,
    column: str,
    classes: Classification,
    tooltip_columns: list[str],
    precision: int,
    value_alias: str,
    missing_label: str,
) -> None:
    values = units[column].to_numpy(dtype="float64", na_value=np.nan)
    class_names = classes.label_of(missing_label).to_numpy()
    ids = [str(i) for i in units.index]
    features = []
    for i, geometry in enumerate(_rounded(geoms, precision)):
        properties = {c: _text(units[c].iloc[i]) for c in tooltip_columns}
        # the tooltip shows the figure as a table would (six significant digits), not rounded
        # to the legend's class-bound precision
        properties[column] = (missing_label if np.isnan(values[i])
                              else f"{values[i]:,.6g}")
        properties[CLASS_FIELD] = class_names[i]
        features.append({"type": "Feature", "id": ids[i], "properties": properties,
                         "geometry": geometry})

    stripes = StripePattern(angle=-45, weight=1.5, space_weight=3, color=MISSING_HATCH_COLOR,
                            space_color=MISSING_COLOR, opacity=1, space_opacity=1)
    stripes.add_to(fmap)
    class_of = dict(zip(ids, classes.yb.tolist(), strict=True))

    def style(feature: dict) -> dict:
        yb = class_of[feature["id"]]
        base = {"color": EDGE_COLOR, "weight": 0.6, "fillOpacity": 0.9}
        if yb < 0:  # missing: grey stripes, as the hatching of the static map
            return {**base, "fillPattern": stripes, "fillColor": MISSING_COLOR}
        return {**base, "fillColor": classes.colors[yb]}

    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=value_alias,
        style_function=style,
        highlight_function=lambda _feature: {"weight": 2.5, "color": LINE_COLOR},
        tooltip=folium.GeoJsonTooltip(
            fields=[*tooltip_columns, column, CLASS_FIELD],
            aliases=[*(_ALIASES.get(c, c) for c in tooltip_columns), value_alias, "分级 / class"],
            sticky=True,
        ),
    ).add_to(fmap)


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _context_units(units: gpd.GeoDataFrame, simplify: float | None) -> gpd.GeoDataFrame | None:
    """Provinces of the whole country not covered by ``units`` (``None`` when all are)."""
    level_simplify = simplify if simplify is not None else units.attrs.get("simplify")
    provinces = boundaries("province", mainland_only=False, simplify=level_simplify)
    missing = uncovered_provinces(provinces, units)
    return provinces.loc[missing] if missing else None


def _add_context(fmap: folium.Map, context: gpd.GeoDataFrame | None, precision: int,
                 label: str) -> None:
    """Grey provinces outside the data and the South China Sea line: a map of China shows
    them whatever the data cover."""
    if context is not None:
        features = [
            {"type": "Feature", "properties": {"name": name, "status": label},
             "geometry": geometry}
            for name, geometry in zip(context["name"],
                                      _rounded(context.geometry.to_numpy(), precision),
                                      strict=True)
        ]
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name=label,
            style_function=lambda _f: {"color": EDGE_COLOR, "weight": 0.6,
                                       "fillColor": CONTEXT_COLOR, "fillOpacity": 1},
            tooltip=folium.GeoJsonTooltip(fields=["name", "status"], labels=False),
        ).add_to(fmap)
    line = south_china_sea_line()
    folium.GeoJson(
        {"type": "Feature", "properties": {},
         "geometry": _rounded(line.geometry.to_numpy(), precision)[0]},
        name="南海诸岛",
        style_function=lambda _f: {"color": LINE_COLOR, "weight": 2},
        interactive=False,
    ).add_to(fmap)


def _legend_html(classes: Classification, title: str, missing_label: str,
                 context_label: str | None, *, striped: bool) -> str:
    swatch = ("display:inline-block;width:18px;height:12px;margin-right:6px;"
              f"vertical-align:-1px;border:1px solid {EDGE_COLOR};")
    rows = [
        f'<div><span style="{swatch}background:{color};"></span>'
        f"{html.escape(label)}&nbsp;&nbsp;({n})</div>"
        for color, label, n in zip(classes.colors, classes.labels, classes.counts, strict=True)
    ]
    if classes.n_missing:
        stripes = (f"background:repeating-linear-gradient(135deg,{MISSING_HATCH_COLOR} 0 1.5px,"
                   f"{MISSING_COLOR} 1.5px 4.5px);" if striped else
                   f"background:{MISSING_COLOR};")
        rows.append(f'<div><span style="{swatch}{stripes}"></span>'
                    f"{html.escape(missing_label)}&nbsp;&nbsp;({classes.n_missing})</div>")
    if context_label:
        rows.append(f'<div><span style="{swatch}background:{CONTEXT_COLOR};"></span>'
                    f"{html.escape(context_label)}</div>")
    return (
        '<div class="spatialecon-legend" style="position:fixed;bottom:24px;left:12px;'
        "z-index:1000;background:rgba(255,255,255,.9);padding:6px 10px;border:1px solid #999;"
        f'font:12px/1.5 {_FONTS};"><div style="font-weight:600;margin-bottom:2px;">'
        f"{html.escape(title)}</div>{''.join(rows)}</div>"
    )
