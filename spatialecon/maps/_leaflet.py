"""Leaflet for the HTML maps: the library (inline or from a CDN) and the page's runtime.

Offline pages inline Leaflet 1.9.3's JavaScript and CSS taken from the PyPI package
``folium-offline`` (module ``offlinefolium``, MIT; Leaflet is BSD-2-Clause), whose CSS already
carries Leaflet's control images as ``data:`` URLs, so the page requests nothing. Importing
``offlinefolium`` takes ~0.9 s (it holds every folium plugin as strings), so the two strings
are copied once into the user cache, keyed by the package version.

:data:`RUNTIME_JS` is the page's own code: it decodes the shared geometry
(:mod:`spatialecon.maps._topology`), draws the units once and restyles them when the reader
picks another layer. Every string from the data reaches the page through ``textContent`` or
through :func:`escapeHtml` where Leaflet insists on HTML (layer names, attribution), never as
markup.
"""

from __future__ import annotations

import functools
from importlib import metadata

from spatialecon._files import atomic_path, cache_dir

LEAFLET_VERSION = "1.9.3"  # the version folium-offline 0.20 embeds, and folium 0.20 links
LEAFLET_JS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.js"
LEAFLET_CSS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.css"


@functools.lru_cache(maxsize=1)
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS as text, from ``folium-offline``.

    Raises
    ------
    ModuleNotFoundError
        ``folium-offline`` is not installed (``pip install folium-offline``).
    """
    try:
        version = metadata.version("folium-offline")
    except metadata.PackageNotFoundError:
        raise ModuleNotFoundError(
            "offline HTML maps inline Leaflet from the package folium-offline: "
            "pip install folium-offline (or pass offline=False to load Leaflet from a CDN)"
        ) from None
    folder = cache_dir() / "leaflet"
    js_path = folder / f"leaflet-{LEAFLET_VERSION}-folium-offline-{version}.js"
    css_path = js_path.with_suffix(".css")
    if js_path.is_file() and css_path.is_file():
        return js_path.read_text(encoding="utf-8"), css_path.read_text(encoding="utf-8")
    from offlinefolium.elements import _res  # the CDN URL → file text table of the package

    js, css = _res[LEAFLET_JS_URL], _res[LEAFLET_CSS_URL]
    try:
        for path, text in ((js_path, js), (css_path, css)):
            with atomic_path(path) as tmp:
                tmp.write_text(text, encoding="utf-8")
    except OSError:  # a read-only cache only costs the import next time
        pass
    return js, css


def head_html(offline: bool) -> str:
    """What a page needs in its ``<head>`` for Leaflet: inline (``offline``) or CDN links."""
    if not offline:
        return (f'<link rel="stylesheet" href="{LEAFLET_CSS_URL}">\n'
                f'<script src="{LEAFLET_JS_URL}"></script>')
    js, css = leaflet_assets()
    # Neither contains "</script" or "</style" (checked by the tests); escape anyway so that a
    # future copy cannot end its element early.
    js = js.replace("</script", "<\\/script")
    css = css.replace("</style", "<\\/style")
    return f"<style>{css}</style>\n<script>{js}</script>"


# Colours are passed in from Python (classify, LISA palettes); font stack as the static maps'
# CJK font first, then what Chinese systems have.
FONTS = ("'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',"
         "'Helvetica Neue',Arial,sans-serif")


def scoped_css(element_id: str, height: str) -> str:
    """The map's CSS, every rule under ``#element_id`` so nothing leaks into a host page."""
    r = f"#{element_id}"
    return (
        f"{r}{{position:relative;display:flex;flex-direction:column;width:100%;"
        f"height:{height};font-family:{FONTS};color:#1a1a1a;box-sizing:border-box}}"
        f"{r} .se-title{{flex:0 0 auto;font-weight:600;font-size:15px;line-height:1.35;"
        f"padding:6px 12px;text-align:center;white-space:pre-line}}"
        f"{r} .se-leaflet{{flex:1 1 auto;min-height:240px;background:#fff}}"
        f"{r} .leaflet-container{{font-family:inherit;background:#fff}}"
        f"{r} .se-legend{{background:rgba(255,255,255,.92);padding:6px 10px;"
        f"border:1px solid #999;font-size:12px;line-height:1.5;max-height:55vh;overflow:auto}}"
        f"{r} .se-legend-title{{font-weight:600;margin-bottom:2px;white-space:pre-line}}"
        f"{r} .se-swatch{{display:inline-block;width:18px;height:12px;margin-right:6px;"
        f"vertical-align:-1px;border:1px solid #4d4d4d}}"
        f"{r} .se-swatch-nodata{{background:repeating-linear-gradient(135deg,#8c8c8c 0 1.5px,"
        f"#d9d9d9 1.5px 4.5px)}}"
        f"{r} .se-tip-head{{color:#555;margin-right:4px}}"
        f"{r} .leaflet-control-layers-base label{{white-space:nowrap}}"
    )


RUNTIME_JS = r"""
(function () {
  "use strict";
  if (window.spatialeconMap) { return; }
  var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var VALUE = new Int8Array(128);
  for (var c = 0; c < ALPHABET.length; c++) { VALUE[ALPHABET.charCodeAt(c)] = c; }
  var SVGNS = "http://www.w3.org/2000/svg";

  // Arcs: zig-zag varints of deltas, x and y interleaved (see spatialecon.maps._topology).
  function decodeArcs(topo) {
    var text = topo.arcs, lengths = topo.lengths, scale = topo.scale;
    var ox = topo.origin[0], oy = topo.origin[1];
    var pos = 0, x = 0, y = 0, arcs = new Array(lengths.length);
    function next() {
      var result = 0, factor = 1, v;
      do {
        v = VALUE[text.charCodeAt(pos++)];
        result += (v & 31) * factor;
        factor *= 32;
      } while (v & 32);
      return result % 2 ? -(result + 1) / 2 : result / 2;
    }
    for (var a = 0; a < lengths.length; a++) {
      var n = lengths[a], points = new Array(n);
      for (var i = 0; i < n; i++) {
        x += next(); y += next();
        points[i] = [oy + y / scale, ox + x / scale];
      }
      arcs[a] = points;
    }
    return arcs;
  }
  function ring(arcs, refs) {
    var out = [];
    for (var k = 0; k < refs.length; k++) {
      var r = refs[k], arc = r >= 0 ? arcs[r] : arcs[~r].slice().reverse();
      for (var i = k ? 1 : 0; i < arc.length; i++) { out.push(arc[i]); }
    }
    return out;
  }
  function shape(arcs, polygons) {
    return polygons.map(function (p) {
      return p.map(function (refs) { return ring(arcs, refs); });
    });
  }
  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) { e.className = className; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  // For the few places where Leaflet takes HTML (layer names, attribution).
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (ch) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[ch];
    });
  }
  function tipRow(box, head, value) {
    var row = el("div", "se-tip-row");
    if (head) { row.appendChild(el("span", "se-tip-head", head)); }
    var text = value === null || value === undefined ? "" : String(value);
    row.appendChild(document.createTextNode(text));
    box.appendChild(row);
  }
  // Hatching of units without data: an SVG pattern (SVG renderer) or a canvas pattern.
  function noDataFill(root, id, canvas, style) {
    if (canvas) {
      var tile = document.createElement("canvas");
      tile.width = tile.height = 6;
      var g = tile.getContext("2d");
      g.fillStyle = style.missing; g.fillRect(0, 0, 6, 6);
      g.strokeStyle = style.hatch; g.lineWidth = 1.5;
      g.beginPath(); g.moveTo(-1, 7); g.lineTo(7, -1); g.moveTo(-1, 1); g.lineTo(1, -1);
      g.moveTo(5, 7); g.lineTo(7, 5); g.stroke();
      return g.createPattern(tile, "repeat");
    }
    var svg = document.createElementNS(SVGNS, "svg");
    svg.setAttribute("width", "0"); svg.setAttribute("height", "0");
    svg.setAttribute("aria-hidden", "true");
    svg.style.position = "absolute";
    var defs = document.createElementNS(SVGNS, "defs");
    var pattern = document.createElementNS(SVGNS, "pattern");
    pattern.setAttribute("id", id + "-nodata");
    pattern.setAttribute("patternUnits", "userSpaceOnUse");
    pattern.setAttribute("width", "6"); pattern.setAttribute("height", "6");
    pattern.setAttribute("patternTransform", "rotate(45)");
    var rect = document.createElementNS(SVGNS, "rect");
    rect.setAttribute("width", "6"); rect.setAttribute("height", "6");
    rect.setAttribute("fill", style.missing);
    var line = document.createElementNS(SVGNS, "line");
    line.setAttribute("x1", "0"); line.setAttribute("y1", "0");
    line.setAttribute("x2", "0"); line.setAttribute("y2", "6");
    line.setAttribute("stroke", style.hatch); line.setAttribute("stroke-width", "2");
    pattern.appendChild(rect); pattern.appendChild(line);
    defs.appendChild(pattern); svg.appendChild(defs); root.appendChild(svg);
    return "url(#" + id + "-nodata)";
  }

  window.spatialeconMaps = window.spatialeconMaps || {};
  window.spatialeconMap = function (id) {
    var root = document.getElementById(id);
    var data = JSON.parse(document.getElementById(id + "-data").textContent);
    var style = data.style;
    var arcs = decodeArcs(data.topology);
    var mapDiv = root.querySelector(".se-leaflet");
    var map = L.map(mapDiv, {preferCanvas: data.canvas, zoomSnap: 0.25, zoomDelta: 0.5});
    if (data.tiles) {
      L.tileLayer(data.tiles.url, {attribution: escapeHtml(data.tiles.attribution),
                                   maxZoom: data.tiles.maxZoom}).addTo(map);
    }
    if (data.attribution) { map.attributionControl.addAttribution(escapeHtml(data.attribution)); }
    L.control.scale({imperial: false, position: "bottomright"}).addTo(map);
    var hatched = noDataFill(root, id, data.canvas, style);
    var edge = data.canvas ? 0.4 : 0.6;

    (data.context ? data.context.shapes : []).forEach(function (polygons, i) {
      if (!polygons.length) { return; }
      var box = el("div");
      tipRow(box, null, data.context.names[i]);
      tipRow(box, null, data.context.label);
      L.polygon(shape(arcs, polygons), {color: style.edge, weight: edge, opacity: 1,
                                       fillColor: style.context, fillOpacity: 1})
        .bindTooltip(box, {sticky: true}).addTo(map);
    });

    var layers = data.layers, active = 0, polys = [];
    function tooltip(i) {
      var layer = layers[active], box = el("div", "se-tip");
      data.units.heads.forEach(function (head, c) { tipRow(box, head, data.units.tips[i][c]); });
      if (layer.values) { tipRow(box, layer.valueLabel, layer.values[i]); }
      tipRow(box, layer.classLabel, layer.entries[layer.codes[i]].label);
      return box;
    }
    data.units.shapes.forEach(function (polygons, i) {
      if (!polygons.length) { polys.push(null); return; }
      var p = L.polygon(shape(arcs, polygons), {color: style.edge, weight: edge, opacity: 1,
                                               fillOpacity: data.tiles ? 0.75 : 0.9});
      p.bindTooltip(function () { return tooltip(i); }, {sticky: true});
      p.on("mouseover", function () {
        p.setStyle({weight: 2.5, color: style.line});
        if (!data.canvas) { p.bringToFront(); }
      });
      p.on("mouseout", function () { p.setStyle({weight: edge, color: style.edge}); });
      p.addTo(map);
      polys.push(p);
    });
    if (data.borders.length) {
      L.polyline(data.borders.map(function (a) { return arcs[a]; }),
                 {color: style.line, weight: 1, opacity: 0.8, interactive: false}).addTo(map);
    }
    data.lines.forEach(function (parts) {
      L.polyline(parts.map(function (refs) { return ring(arcs, refs); }),
                 {color: style.line, weight: 2, interactive: false}).addTo(map);
    });

    var legend = L.control({position: "bottomleft"});
    legend.onAdd = function () {
      var box = el("div", "se-legend");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    legend.addTo(map);
    function swatch(color, missing) {
      var s = el("span", "se-swatch" + (missing ? " se-swatch-nodata" : ""));
      if (!missing) { s.style.background = color; }
      return s;
    }
    function showLegend(layer) {
      var box = legend.getContainer();
      box.textContent = "";
      box.appendChild(el("div", "se-legend-title", layer.title));
      layer.entries.forEach(function (e) {
        var row = el("div", "se-legend-row");
        row.appendChild(swatch(e.color, e.missing));
        row.appendChild(document.createTextNode(
          e.count === null ? e.label : e.label + "\u00a0\u00a0(" + e.count + ")"));
        box.appendChild(row);
      });
      if (data.context) {
        var row = el("div", "se-legend-row se-legend-context");
        row.appendChild(swatch(style.context, false));
        row.appendChild(document.createTextNode(data.context.label));
        box.appendChild(row);
      }
    }
    function activate(j) {
      active = j;
      var layer = layers[j];
      var fills = layer.entries.map(function (e) { return e.missing ? hatched : e.color; });
      polys.forEach(function (p, i) { if (p) { p.setStyle({fillColor: fills[layer.codes[i]]}); } });
      showLegend(layer);
      root.setAttribute("data-active-layer", String(j));
    }
    var handles = layers.map(function (layer, j) {
      var h = L.layerGroup();
      h.on("add", function () { activate(j); });
      return h;
    });
    if (layers.length > 1) {
      // One radio button per layer, added in order (an object literal would sort "2019"-like
      // names); Leaflet writes the names as HTML, so they are escaped.
      var control = L.control.layers(null, null, {collapsed: layers.length > 12});
      handles.forEach(function (h, j) { control.addBaseLayer(h, escapeHtml(layers[j].name)); });
      control.addTo(map);
    }
    handles[0].addTo(map);

    function fit() { map.fitBounds(data.bounds, {padding: [6, 6]}); }
    if (mapDiv.clientWidth && mapDiv.clientHeight) {
      fit();
    } else if (window.ResizeObserver) {
      // Drawn while hidden (a closed <details>, a background tab): fit once it has a size.
      map.setView([35, 105], 3);
      var observer = new ResizeObserver(function () {
        if (mapDiv.clientWidth && mapDiv.clientHeight) {
          observer.disconnect(); map.invalidateSize(); fit();
        }
      });
      observer.observe(mapDiv);
    } else {
      map.setView([35, 105], 3);
    }
    window.spatialeconMaps[id] = {map: map, activate: function (j) { handles[j].addTo(map);
      handles.forEach(function (h, k) { if (k !== j) { map.removeLayer(h); } }); },
      layers: layers.length, units: polys};
    return map;
  };
})();
"""
