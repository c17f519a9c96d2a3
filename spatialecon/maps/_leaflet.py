"""Leaflet for the HTML maps: folium's web assets inlined for offline pages, and the runtime
that draws spatialecon's layers on a ``folium.Map``.

Offline pages inline every script and stylesheet folium would fetch from a CDN. The texts come
from the PyPI package ``folium-offline`` (module ``offlinefolium``, MIT; Leaflet is
BSD-2-Clause), a table of folium's CDN URLs and the files they serve; its Leaflet CSS carries
the control and marker images as ``data:`` URLs, so an offline page requests nothing. Importing
``offlinefolium`` takes ~0.9 s (it holds every plugin's files as strings), so each text used is
copied once into the user cache, keyed by the package version.

:data:`RUNTIME_JS` is our own code: it decodes the shared geometry
(:mod:`spatialecon.maps._topology`), draws the units once and restyles them when the reader
picks another layer. Every string from the data reaches the page through ``textContent`` or
through ``escapeHtml`` where Leaflet insists on HTML (attribution), never as markup.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import metadata

from spatialecon._files import atomic_path, cache_dir

LEAFLET_VERSION = "1.9.3"  # the version folium 0.20 links and folium-offline 0.20 embeds
LEAFLET_JS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.js"
LEAFLET_CSS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.css"


@functools.lru_cache(maxsize=64)
def asset_text(url: str) -> str:
    """The text a CDN URL of folium (or of a folium plugin) serves, for inlining.

    Raises
    ------
    ModuleNotFoundError
        ``folium-offline`` is not installed.
    ValueError
        ``url`` is not one of the files ``folium-offline`` carries (a plugin newer than it).
    """
    try:
        version = metadata.version("folium-offline")
    except metadata.PackageNotFoundError:
        raise ModuleNotFoundError(
            "offline HTML maps inline Leaflet from the package folium-offline: "
            "pip install folium-offline (or pass offline=False to load Leaflet from a CDN)"
        ) from None
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]
    path = cache_dir() / "folium-assets" / version / key
    if path.is_file():
        return path.read_text(encoding="utf-8")
    from offlinefolium.elements import _res  # the CDN URL → file text table of the package

    if url not in _res:
        raise ValueError(
            f"offline=True cannot inline {url}: folium-offline {version} does not carry it "
            "(a plugin newer than the package?). Pass offline=False, or remove that plugin")
    text = _res[url]
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError:  # a read-only cache only costs the import next time
        pass
    return text


def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS as text."""
    return asset_text(LEAFLET_JS_URL), asset_text(LEAFLET_CSS_URL)


# Font stack of the legends and tooltips: the static maps' CJK font first, then what Chinese
# systems have.
FONTS = ("'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',"
         "'Helvetica Neue',Arial,sans-serif")

# Every rule is under .se-map (the class the runtime gives the map's container), so nothing
# reaches a host page's own elements or the user's other folium layers.
CSS = (
    f".se-map .se-legend,.se-map .se-tip,.se-map .se-title{{font-family:{FONTS};color:#1a1a1a}}"
    ".se-map .se-title{position:absolute;top:8px;left:50%;transform:translateX(-50%);"
    "z-index:800;max-width:70%;background:rgba(255,255,255,.88);padding:4px 12px;"
    "font-weight:600;font-size:15px;line-height:1.35;text-align:center;white-space:pre-line;"
    "pointer-events:none;border-radius:3px}"
    ".se-map .se-legend{background:rgba(255,255,255,.92);padding:6px 10px;"
    "border:1px solid #999;font-size:12px;line-height:1.5;max-height:55vh;overflow:auto}"
    ".se-map .se-legend-title{font-weight:600;margin-bottom:2px;white-space:pre-line}"
    ".se-map .se-swatch{display:inline-block;width:18px;height:12px;margin-right:6px;"
    "vertical-align:-1px;border:1px solid #4d4d4d}"
    ".se-map .se-swatch-nodata{background:repeating-linear-gradient(135deg,#8c8c8c 0 1.5px,"
    "#d9d9d9 1.5px 4.5px)}"
    ".se-map .se-tip-head{color:#555;margin-right:4px}"
    ".se-map .leaflet-control-layers label{white-space:nowrap}"
)


RUNTIME_JS = r"""
(function () {
  "use strict";
  if (window.spatialecon) { return; }
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
  // For the one place where Leaflet takes HTML from us (the attribution).
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
  // Our panes sit inside the overlay pane (units below, borders above), so that switching
  // layers never draws the units over the borders, and the user's own overlays keep theirs.
  function pane(map, name, z) {
    if (!map.getPane(name)) {
      map.createPane(name, map.getPane("overlayPane")).style.zIndex = z;
    }
    return name;
  }

  function Geometry(map, node) {
    var data = JSON.parse(node.textContent), style = data.style, self = this;
    var id = node.id.replace(/-data$/, ""), root = map.getContainer();
    root.classList.add("se-map");
    this.map = map; this.id = id; this.layers = data.layers; this.groups = []; this.active = -1;
    this.root = root;
    var arcs = decodeArcs(data.topology);
    var unitsPane = pane(map, "se-units", 1), linesPane = pane(map, "se-lines", 2);
    var make = data.canvas ? L.canvas : L.svg;
    var units = make({pane: unitsPane}), lines = make({pane: linesPane});
    if (data.attribution && map.attributionControl) {
      map.attributionControl.addAttribution(escapeHtml(data.attribution));
    }
    if (data.title) { root.appendChild(el("div", "se-title", data.title)); }
    if (!data.tiles) { root.style.background = "#fff"; }  // the polygons on paper
    this.hatched = noDataFill(root, id, data.canvas, style);
    var edge = data.canvas ? 0.4 : 0.6, fill = data.tiles ? 0.75 : 0.9;

    var frame = L.featureGroup();
    (data.context ? data.context.shapes : []).forEach(function (polygons, i) {
      if (!polygons.length) { return; }
      var box = el("div", "se-tip");
      tipRow(box, null, data.context.names[i]);
      tipRow(box, null, data.context.label);
      L.polygon(shape(arcs, polygons), {renderer: units, color: style.edge, weight: edge,
                                       opacity: 1, fillColor: style.context,
                                       fillOpacity: data.tiles ? 0.55 : 1})
        .bindTooltip(box, {sticky: true}).addTo(frame);
    });
    if (data.borders.length) {
      L.polyline(data.borders.map(function (a) { return arcs[a]; }),
                 {renderer: lines, color: style.line, weight: 1, opacity: 0.8,
                  interactive: false}).addTo(frame);
    }
    data.lines.forEach(function (parts) {
      L.polyline(parts.map(function (refs) { return ring(arcs, refs); }),
                 {renderer: lines, color: style.line, weight: 2, interactive: false})
        .addTo(frame);
    });
    frame.addTo(map);

    this.units = L.featureGroup();
    this.polys = data.units.shapes.map(function (polygons, i) {
      if (!polygons.length) { return null; }
      var p = L.polygon(shape(arcs, polygons), {renderer: units, color: style.edge,
                                               weight: edge, opacity: 1, fillOpacity: fill});
      p.bindTooltip(function () { return self.tooltip(data.units, i); }, {sticky: true});
      // highlight on hover, as GeoDataFrame.explore() does
      p.on("mouseover", function () {
        p.setStyle({weight: 2.5, color: style.line});
        if (!data.canvas) { p.bringToFront(); }
      });
      p.on("mouseout", function () { p.setStyle({weight: edge, color: style.edge}); });
      p.addTo(self.units);
      return p;
    });
    this.context = data.context; this.style = style;

    this.legend = L.control({position: "bottomleft"});
    this.legend.onAdd = function () {
      var box = el("div", "se-legend");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
  }
  Geometry.prototype.tooltip = function (units, i) {
    var layer = this.layers[this.active], box = el("div", "se-tip");
    units.heads.forEach(function (head, c) { tipRow(box, head, units.tips[i][c]); });
    if (layer.values) { tipRow(box, layer.valueLabel, layer.values[i]); }
    tipRow(box, layer.classLabel, layer.entries[layer.codes[i]].label);
    return box;
  };
  Geometry.prototype.showLegend = function (layer) {
    var style = this.style, box = this.legend.getContainer();
    function swatch(color, missing) {
      var s = el("span", "se-swatch" + (missing ? " se-swatch-nodata" : ""));
      if (!missing) { s.style.background = color; }
      return s;
    }
    box.textContent = "";
    box.appendChild(el("div", "se-legend-title", layer.title));
    layer.entries.forEach(function (e) {
      var row = el("div", "se-legend-row");
      row.appendChild(swatch(e.color, e.missing));
      row.appendChild(document.createTextNode(
        e.count === null ? e.label : e.label + "\u00a0\u00a0(" + e.count + ")"));
      box.appendChild(row);
    });
    if (this.context) {
      var row = el("div", "se-legend-row se-legend-context");
      row.appendChild(swatch(style.context, false));
      row.appendChild(document.createTextNode(this.context.label));
      box.appendChild(row);
    }
  };
  // One of this geometry's layers at a time: checking one unchecks the others (the layer
  // control follows, as Leaflet's control listens to the map), unchecking all hides the units.
  Geometry.prototype.activate = function (j) {
    var self = this, map = this.map, layer = this.layers[j];
    this.active = j;
    this.groups.forEach(function (g, k) {
      if (k !== j && g && map.hasLayer(g)) { map.removeLayer(g); }
    });
    var fills = layer.entries.map(function (e) { return e.missing ? self.hatched : e.color; });
    this.polys.forEach(function (p, i) {
      if (p) { p.setStyle({fillColor: fills[layer.codes[i]]}); }
    });
    if (!map.hasLayer(this.units)) { this.units.addTo(map); }
    if (!this.legend._map) { this.legend.addTo(map); }
    this.showLegend(layer);
    this.root.setAttribute("data-active-layer", String(j));
  };
  Geometry.prototype.deactivate = function (j) {
    if (this.active !== j) { return; }
    this.active = -1;
    this.map.removeLayer(this.units);
    this.legend.remove();
    this.root.removeAttribute("data-active-layer");
  };

  window.spatialeconMaps = window.spatialeconMaps || {};
  window.spatialecon = {
    geometry: function (map, node) {
      var g = new Geometry(map, node);
      window.spatialeconMaps[g.id] = {
        map: map, layers: g.layers.length, units: g.polys,
        activate: function (j) { map.addLayer(g.groups[j]); }
      };
      return g;
    },
    layer: function (g, group, j) {
      g.groups[j] = group;
      group.on("add", function () { g.activate(j); });
      group.on("remove", function () { g.deactivate(j); });
      return group;
    }
  };
})();
"""
