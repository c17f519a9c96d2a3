"""spatialecon layers on a ``folium.Map``: the one writer of the HTML maps.

:func:`folium_map` turns a GeoDataFrame and its layers (:class:`Symbology` objects: indicators by
year, LISA clusters and significance, geodetector strata, regression residuals …) into folium
elements, on a new map or on one the user already has:

- :class:`SharedGeometry` (a ``MacroElement``) carries the units once, as shared arcs
  (:mod:`spatialecon.maps._topology`), with the parts of China outside the data, the province
  borders and the South China Sea line; the legend follows the layer shown.
- each layer is a :class:`ThematicLayer` (a ``folium.FeatureGroup`` in the layer control) that
  restyles the shared polygons when checked; checking one unchecks the geometry's others.

So ``folium.LayerControl``, ``m.save()``, ``m._repr_html_()`` (Jupyter, VS Code) and folium
plugins work on the result, and a page with ten layers still carries the geometry once.

Datums
------
The embedded boundaries are GCJ-02. Everything is drawn in the datum of the tiles
(:mod:`spatialecon.maps.basemaps`): GCJ-02 over Amap tiles, WGS-84 over OpenStreetMap, CARTO or
Tianditu, and the data's own datum without tiles. A layer in WGS-84 (``coordinates="WGS-84"``
or ``gdf.attrs["coordinate_system"]`` starting with "WGS-84") is shifted onto Amap tiles.

Offline and determinism
-----------------------
``offline=True`` inlines every script and stylesheet the page links (Leaflet and any plugin's,
from ``folium-offline``) when it is rendered, so the page opens with no network; only tiles,
if any, are still fetched. folium gives elements random ids; those of our elements derive from
their content, and on a map :func:`folium_map` creates, every element's id does, so the same
data write the same bytes.

Safety
------
Unit names, values, legend text and titles reach the page inside a
``<script type="application/json">`` block with ``<``, ``>`` and ``&`` escaped, are parsed with
``JSON.parse`` and inserted with ``textContent``; layer names, which Leaflet's layer control
writes as HTML, and the attribution are HTML-escaped first; so is the page title.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import warnings
from collections.abc import Mapping, Sequence

import branca.element
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xyzservices

from spatialecon.geodata.boundaries import boundaries, south_china_sea_line
from spatialecon.geodata.gcj02 import to_gcj02, to_wgs84
from spatialecon.maps import _leaflet, basemaps
from spatialecon.maps._topology import encode
from spatialecon.maps.classify import MISSING_COLOR, MISSING_HATCH_COLOR, MapError, require_columns
from spatialecon.maps.static import (
    CONTEXT_COLOR,
    CONTEXT_LABEL,
    EDGE_COLOR,
    LINE_COLOR,
    uncovered_provinces,
)
from spatialecon.maps.symbology import MISSING_LABEL, Symbology

# Tooltip headings of the columns boundaries() provides; other columns show their own name.
ALIASES = {"name": "名称 / name", "short": "简称 / short", "name_en": "English name"}
CLASS_LABEL = "分级 / class"
CANVAS_ABOVE = 500  # units; above this Leaflet draws on a canvas (much faster than SVG)
_MANY_UNITS = 40  # above this (prefectures, counties) province borders are drawn on top
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_VERTEX_WARNING = 400_000  # vertices; above this the page is probably unsimplified geometry
_DEFAULT_TILES = "cartodb-positron"
_UNSET = object()  # tiles not passed: a basemap for a new map, none added to a given one

LayerSpec = Mapping[str, Symbology] | Sequence[tuple[str, Symbology]]
Tiles = str | xyzservices.TileProvider | None


class SharedGeometry(branca.element.MacroElement):
    """The units of one :func:`folium_map` call, encoded once for all its layers.

    Parameters
    ----------
    data
        The payload as JSON already escaped for a ``<script>`` element.
    """

    _template = branca.element.Template("""
{% macro html(this, kwargs) %}<script type="application/json" id="{{ this.get_name() }}-data">
{{- this.data -}}
</script>{% endmacro %}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = spatialecon.geometry({{ this._parent.get_name() }},
    document.getElementById("{{ this.get_name() }}-data"));
{% endmacro %}
""")

    def __init__(self, data: str) -> None:
        super().__init__()
        self._name = "spatialecon_geometry"
        self._id = _digest(data)
        self.data = data
        self.meta: dict = {}  # how the geometry was reduced (set by folium_map)

    def render(self, **kwargs: object) -> None:
        # The runtime goes into the head once per page, however many geometries it holds.
        figure = self.get_root()
        figure.header.add_child(_Raw(f"<style>{_leaflet.CSS}</style>\n"
                                     f"<script>{_leaflet.RUNTIME_JS}</script>"),
                                name="spatialecon_runtime")
        super().render(**kwargs)



class ThematicLayer(folium.FeatureGroup):
    """One layer of a :class:`SharedGeometry`: an entry of the layer control that restyles the
    shared polygons and shows its legend when checked.

    Parameters
    ----------
    geometry
        The geometry it styles (added to the same map before it).
    index
        Its position among the geometry's layers.
    name
        Name in the layer control (plain text; escaped here because Leaflet writes it as HTML).
    show
        Checked when the page opens.
    """

    _template = branca.element.Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = spatialecon.layer({{ this.geometry.get_name() }},
    L.featureGroup(), {{ this.index }});
{% endmacro %}
""")

    def __init__(self, geometry: SharedGeometry, index: int, name: str, *,
                 show: bool = False) -> None:
        super().__init__(name=html.escape(name, quote=True), overlay=True, control=True,
                         show=show)
        self._name = "spatialecon_layer"
        self._id = _digest(f"{geometry._id}/{index}")
        self.geometry = geometry
        self.index = int(index)
        self.text_name = name


class _Raw(branca.element.Element):
    """Markup rendered as given (branca's ``Element`` would parse it as a Jinja template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: object) -> str:
        return self.text


class _InlineAssets(branca.element.Element):
    """Replaces the page's remote ``<script src>`` and stylesheet links by their text.

    A child of the ``Figure``, after the map: the figure renders its children (the map, every
    layer and plugin, which add their links to the head) before its own head, so by the time
    this renders every link is known, whoever added it and when.
    """

    def render(self, **kwargs: object) -> str:
        header = self.get_root().header
        for name, child in list(header._children.items()):
            if isinstance(child, branca.element.JavascriptLink | branca.element.CssLink):
                url = child.url
                if url.startswith(("http://", "https://", "//")):
                    text = _leaflet.asset_text("https:" + url if url.startswith("//") else url)
                    # so that no copy can end its element early
                    if isinstance(child, branca.element.JavascriptLink):
                        raw = _Raw("<script>" + text.replace("</script", "<\\/script")
                                   + "</script>")
                    else:
                        raw = _Raw("<style>" + text.replace("</style", "<\\/style") + "</style>")
                    header._children[name] = raw
                    raw._parent = header
        return ""


def folium_map(
    gdf: gpd.GeoDataFrame,
    layers: LayerSpec,
    *,
    m: folium.Map | None = None,
    tiles: Tiles = _UNSET,  # type: ignore[assignment]
    offline: bool = False,
    title: str | None = None,
    crs: str | None = None,
    tianditu_key: str | None = None,
    coordinates: str | None = None,
    tooltip_columns: Sequence[str] | None = None,
    simplify: float | None = None,
    precision: int = 4,
    national: bool | None = None,
    missing_label: str = MISSING_LABEL,
    context_label: str = CONTEXT_LABEL,
    attribution: str | None = None,
    layer_control: bool | None = None,
    **options: object,
) -> folium.Map:
    """Draw ``layers`` of ``gdf`` on a ``folium.Map``: a new one fitted to the data, or ``m``.

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
    m
        A map to add the layers to (returned); its view is left alone. Default: a new map.
    tiles
        ``"cartodb-positron"`` (default for a new map), ``"openstreetmap"``, ``"gaode"``,
        ``"gaode-satellite"``, ``"tianditu"``, ``"tianditu-satellite"``, ``None`` (no tiles)
        or an ``xyzservices.TileProvider``. With ``m``, tiles are added only when passed.
        Units are shifted into the tiles' datum (see the module notes).
    offline
        Inline Leaflet and every other linked script and stylesheet, so that the page needs no
        network (tiles excepted: pass ``tiles=None`` for a page that requests nothing). A new
        map then loads only Leaflet (~170 kB), not folium's marker icon fonts.
    title
        Heading over the map (and the page title of a new map).
    crs
        Datum of the tiles, ``"GCJ-02"`` or ``"WGS-84"``, for a ``TileProvider`` or the basemap
        of ``m`` (default: GCJ-02 when ``m``'s tiles come from Amap, else WGS-84).
    tianditu_key
        Key of the Tianditu tiles (default: the environment variable ``TIANDITU_KEY``).
    coordinates
        Datum of ``gdf``: ``"GCJ-02"`` or ``"WGS-84"`` (default: ``gdf.attrs
        ["coordinate_system"]``, else GCJ-02, the datum of the embedded boundaries).
    tooltip_columns
        Columns of ``gdf`` shown on hover before the layer's value and class (default: those
        of ``name``, ``name_en`` that exist). Only these columns are embedded.
    simplify
        Tolerance in degrees of a topology-preserving simplification
        (:func:`shapely.coverage_simplify`). Prefer ``boundaries(level, simplify=0.01)``.
    precision
        Decimals of the coordinates kept (4 ≈ 10 m).
    national
        Frame the whole country including the South China Sea islands, or just the units.
        Default: national when the units cover at least 25 provinces.
    missing_label, context_label
        Legend text of units without data and of the parts of China outside ``gdf``.
    attribution
        Source line at the bottom right (default: ``gdf.attrs["source"]`` and the datum).
    layer_control
        Add a ``folium.LayerControl`` (default: when there is more than one layer or basemap,
        and ``m`` has none; an existing control is moved after the new layers).
    **options
        Passed to ``folium.Map`` when a new map is made (``width``, ``height``, ``zoom_control``
        …).

    Returns
    -------
    folium.Map
        ``m``, or the new map. Its :class:`SharedGeometry` child has ``meta``: units,
        coordinate quantisation (``precision``, ``quantum_degrees``, ``quantum_metres``),
        simplification tolerance (``simplify_degrees``, ``None`` when none), vertices, arcs
        and datum — also written into the page's data block as ``"meta"``.

    Raises
    ------
    TypeError, KeyError, ValueError
        Not a GeoDataFrame; unknown tooltip columns; no CRS, no rows, duplicate unit codes, no
        layers, duplicate layer names, a bad ``precision``, an unknown basemap, a missing
        Tianditu key; ``options`` with ``m``.
    """
    if m is not None and not isinstance(m, folium.Map):
        raise TypeError(f"m must be a folium.Map, not {type(m).__name__}")
    if m is not None and options:
        raise TypeError(f"map options {sorted(options)} apply to a new map only; set them on m")
    _check_units(gdf)
    items = layer_list(layers)
    tooltip_columns = ([c for c in ("name", "name_en") if c in gdf.columns]
                       if tooltip_columns is None else list(tooltip_columns))
    require_columns(gdf, tooltip_columns, "tooltip column(s)")
    if int(precision) != precision or not 0 <= precision <= 6:
        raise MapError(f"precision must be an integer 0–6 (decimals), not {precision!r}")

    if tiles is _UNSET:
        tiles = _DEFAULT_TILES if m is None else None
    basemap = None if tiles is None else basemaps.resolve(tiles, crs=crs,
                                                          tianditu_key=tianditu_key)
    data_datum = _data_datum(gdf, coordinates)
    if basemap is not None:
        target = basemap.datum
    elif m is not None:
        existing = [str(c.tiles) for c in m._children.values() if isinstance(c, folium.TileLayer)]
        target = basemaps._datum(crs) or basemaps.datum_of_urls(existing) or data_datum
    else:
        target = data_datum

    payload = _payload(gdf, items, tooltip_columns=tooltip_columns, data_datum=data_datum,
                       target=target, simplify=simplify, precision=int(precision),
                       national=national, missing_label=missing_label,
                       context_label=context_label, attribution=attribution,
                       title=title, tiles=basemap is not None or bool(_tile_layers(m)))
    bounds = payload.pop("bounds")
    data = _json_for_script(payload)

    created = m is None
    if created:
        m = folium.Map(location=[35.0, 105.0], zoom_start=4, tiles=None, zoom_snap=0.25,
                       zoom_delta=0.5, **options)
        if offline:  # Leaflet only: folium's marker fonts alone would be 1.2 MB inlined
            m.default_js = [("leaflet", _leaflet.LEAFLET_JS_URL)]
            m.default_css = [("leaflet_css", _leaflet.LEAFLET_CSS_URL)]
        if title:
            m.get_root().title = html.escape(title)
    if basemap is not None:
        for k, provider in enumerate(basemap.tiles):
            _tile_layer(provider, label=k > 0).add_to(m)

    geometry = SharedGeometry(data)
    geometry.meta = payload["meta"]
    taken = {c._id for c in m._children.values() if isinstance(c, SharedGeometry)}
    while geometry._id in taken:  # the same data twice on one map: distinct ids
        geometry._id = _digest(geometry._id + "+")
    m.add_child(geometry)
    # folium's layer control keys layers by name: a name the map already has gets a number
    taken_names = {c.layer_name for c in m._children.values() if isinstance(c, folium.map.Layer)}
    for j, (name, _) in enumerate(items):
        shown, k = name, 2
        while html.escape(shown, quote=True) in taken_names:
            shown, k = f"{name} ({k})", k + 1
        m.add_child(ThematicLayer(geometry, j, shown, show=j == 0))
    _place_layer_control(m, layer_control, len(items))
    if created:
        m.fit_bounds(bounds, padding=(6, 6))
        _stable_ids(m, geometry._id)
    if offline:
        root = m.get_root()
        if "spatialecon_offline" not in root._children:
            root.add_child(_InlineAssets(), name="spatialecon_offline")
    return m


def render_page(m: folium.Map) -> str:
    """The page of a map as text (what ``m.save`` writes)."""
    return m.get_root().render()


# --- validation ---------------------------------------------------------------------------------


def _check_units(gdf: gpd.GeoDataFrame) -> None:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"gdf must be a GeoDataFrame, not {type(gdf).__name__}")
    if len(gdf) == 0:
        raise MapError("gdf has no rows: no data to map")
    if gdf.crs is None:
        raise MapError("gdf has no CRS; set one first, e.g. gdf.set_crs('EPSG:4326')")
    if not gdf.index.is_unique:
        repeated = gdf.index[gdf.index.duplicated()].unique().tolist()[:10]
        raise MapError(f"gdf's index (the unit codes) has duplicates: {repeated}")


def layer_list(layers: LayerSpec) -> list[tuple[str, Symbology]]:
    """``layers`` as ``(name, symbology)`` pairs, checked: some, unique names, #rrggbb."""
    items = list(layers.items()) if isinstance(layers, Mapping) else list(layers)
    if not items:
        raise MapError("no layers to draw")
    names = [str(name) for name, _ in items]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise MapError(f"layer names must be unique; repeated: {duplicated}")
    for name, symbology in items:
        if not isinstance(symbology, Symbology):
            raise TypeError(f"layer {name!r} is a {type(symbology).__name__}, not a Symbology")
        bad = [e.color for e in symbology.entries if not _HEX.match(e.color)]
        if bad:
            raise MapError(f"layer {name!r}: colours must be #rrggbb, not {bad}")
    return [(str(name), symbology) for name, symbology in items]


def _data_datum(gdf: gpd.GeoDataFrame, coordinates: str | None) -> str:
    if coordinates is not None:
        datum = basemaps._datum(coordinates)
        assert datum is not None
        return datum
    system = str(gdf.attrs.get("coordinate_system", ""))
    return basemaps.WGS84 if system.startswith("WGS-84") else basemaps.GCJ02


def _shift(gdf: gpd.GeoDataFrame, source: str, target: str) -> gpd.GeoDataFrame:
    if source == target:
        return gdf
    return to_wgs84(gdf) if target == basemaps.WGS84 else to_gcj02(gdf)


# --- the payload --------------------------------------------------------------------------------


def _payload(gdf: gpd.GeoDataFrame, items: list[tuple[str, Symbology]], *,
             tooltip_columns: list[str], data_datum: str, target: str,
             simplify: float | None, precision: int, national: bool | None,
             missing_label: str, context_label: str, attribution: str | None,
             title: str | None, tiles: bool) -> dict:
    units = _shift(gdf.to_crs("EPSG:4326"), data_datum, target)
    geoms = units.geometry.to_numpy()
    if simplify is not None:
        geoms = shapely.coverage_simplify(geoms, float(simplify))
    vertices = int(shapely.get_num_coordinates(geoms).sum())
    if vertices > _VERTEX_WARNING:
        warnings.warn(f"{vertices:,} vertices make a large page; pass boundaries(level, "
                      "simplify=0.01) or simplify=0.01", UserWarning, stacklevel=4)

    context = _context_units(units, simplify)
    line = _shift(south_china_sea_line(), basemaps.GCJ02, target)
    if context is not None:
        context = _shift(context, basemaps.GCJ02, target)
    context_geoms = context.geometry.to_numpy() if context is not None else np.array([])
    topology = encode(np.concatenate([geoms, context_geoms]), line.geometry.to_numpy(),
                      precision=precision)
    unit_shapes = topology.shapes[:len(geoms)]

    if national is None:
        covered = ({int(c) for c in units["province_adcode"].dropna()}
                   if "province_adcode" in units.columns else set())
        national = len(covered) >= 25
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    if national:
        lx0, ly0, lx1, ly1 = shapely.total_bounds(line.geometry.to_numpy())
        minx, miny, maxx, maxy = min(minx, lx0), min(miny, ly0), max(maxx, lx1), max(maxy, ly1)
    source = str(gdf.attrs.get("source", ""))
    return {
        "topology": topology.payload(),
        "canvas": len(units) > CANVAS_ABOVE,
        "bounds": [[round(miny, 4), round(minx, 4)], [round(maxy, 4), round(maxx, 4)]],
        "title": title,
        "tiles": tiles,
        "style": {"edge": EDGE_COLOR, "line": LINE_COLOR, "context": CONTEXT_COLOR,
                  "missing": MISSING_COLOR, "hatch": MISSING_HATCH_COLOR},
        "units": {
            "shapes": unit_shapes,
            "heads": [ALIASES.get(c, c) for c in tooltip_columns],
            "tips": [[_text(v) for v in row]
                     for row in units[tooltip_columns].itertuples(index=False, name=None)],
        },
        "context": None if context is None else {
            "shapes": topology.shapes[len(geoms):],
            "names": [_text(n) for n in context["name"]], "label": context_label},
        "lines": topology.lines,
        "borders": _province_borders(unit_shapes, units),
        "layers": [_layer_payload(name, symbology, units.index, missing_label)
                   for name, symbology in items],
        "attribution": (attribution if attribution is not None
                        else f"{source} · {target}" if source else target),
        # How the geometry was reduced, for whoever reads the page or checks it: coordinates
        # are quantised to 10**-precision degrees and borders stored once as shared arcs.
        "meta": {"units": len(units), "precision": precision,
                 "quantum_degrees": 10.0 ** -precision,
                 "quantum_metres": round(111_320 * 10.0 ** -precision, 3),
                 "simplify_degrees": (simplify if simplify is not None
                                      else units.attrs.get("simplify")),
                 "vertices": vertices, "arcs": len(topology.arc_lengths),
                 "arc_points": int(sum(topology.arc_lengths)), "datum": target},
    }


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


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


def _context_units(units: gpd.GeoDataFrame, simplify: float | None) -> gpd.GeoDataFrame | None:
    """Provinces of the whole country not covered by ``units`` (``None`` when all are)."""
    level_simplify = simplify if simplify is not None else units.attrs.get("simplify")
    provinces = boundaries("province", mainland_only=False, simplify=level_simplify)
    missing = uncovered_provinces(provinces, units)
    return provinces.loc[missing] if missing else None


# --- folium plumbing ----------------------------------------------------------------------------


def _tile_layers(m: folium.Map | None) -> list[folium.TileLayer]:
    if m is None:
        return []
    return [c for c in m._children.values() if isinstance(c, folium.TileLayer)]


def _tile_layer(provider: xyzservices.TileProvider, *, label: bool) -> folium.TileLayer:
    """A folium tile layer of ``provider``; label layers (Tianditu's, Amap's annotation) are
    overlays over the base."""
    url = provider.build_url(fill_subdomain=False, scale_factor="{r}")
    layer = folium.TileLayer(
        tiles=url, attr=provider.get("html_attribution", provider.get("attribution")),
        name=html.escape(provider.name), max_zoom=provider.get("max_zoom", 18),
        subdomains=provider.get("subdomains", "abc"), overlay=label, control=True)
    layer._id = _digest(url)
    return layer


def _place_layer_control(m: folium.Map, wanted: bool | None, n_layers: int) -> None:
    """Keep one layer control, after every layer: its script refers to them by name."""
    controls = [(k, c) for k, c in m._children.items() if isinstance(c, folium.LayerControl)]
    for key, control in controls:  # move to the end, in order
        del m._children[key]
        m._children[key] = control
    if controls or wanted is False:
        return
    if wanted or n_layers > 1 or len(_tile_layers(m)) > 1:
        m.add_child(_LayerControl(collapsed=n_layers > 12))


class _LayerControl(folium.LayerControl):
    """The layer control we add, that gives way to one the user adds later (folium's idiom
    is ``folium.LayerControl().add_to(m)`` last): two controls would list every layer twice."""

    def render(self, **kwargs: object) -> None:
        others = [c for c in self._parent._children.values()
                  if isinstance(c, folium.LayerControl) and not isinstance(c, _LayerControl)]
        if not others:
            super().render(**kwargs)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _stable_ids(element: branca.element.Element, seed: str, path: str = "") -> None:
    """Ids derived from the content (``seed``) and the place in the tree, for a map we made."""
    for k, child in enumerate(element._children.values()):
        place = f"{path}/{k}:{type(child).__name__}"
        if not isinstance(child, SharedGeometry | ThematicLayer):
            child._id = _digest(seed + place)
        _stable_ids(child, seed, place)
    if path == "":
        element._id = _digest(seed)
