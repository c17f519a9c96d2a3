"""folium_map: a real folium.Map, the user's own map and markers, offline pages, Chinese basemaps
and the datum shift they need, checked in the page text and in headless Chromium."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import folium
import folium.plugins
import numpy as np
import pytest
import shapely
import xyzservices

from spatialecon.geodata import to_gcj02, to_wgs84
from spatialecon.geodata.boundaries import CHINA_ALBERS, boundaries
from spatialecon.maps import classed, folium_map
from spatialecon.maps._topology import Topology, decode
from spatialecon.maps.browser import find_chromium, open_page
from spatialecon.maps.web import render_page

TIANANMEN = (39.9087, 116.3975)  # lat, lon in WGS-84 (a user's own marker)


class _Elements(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.data: list[str] = []
        self._json = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        self._json = tag == "script" and attrs.get("type") == "application/json"

    def handle_data(self, data):
        if self._json:
            self.data.append(data)
            self._json = False


def _remote(page: str) -> list[tuple[str, dict]]:
    return [(tag, a) for tag, a in _Elements(page).elements
            if any(str(a.get(k) or "").startswith(("http", "//")) for k in ("src", "href"))]


def _payloads(page: str) -> list[dict]:
    return [json.loads(text) for text in _Elements(page).data]


def _first_polygon(payload: dict) -> shapely.Polygon:
    topo = payload["topology"]
    topology = Topology(arcs=topo["arcs"], arc_lengths=topo["lengths"],
                        origin=tuple(topo["origin"]), scale=topo["scale"],
                        shapes=payload["units"]["shapes"], lines=[])
    shapes, _ = decode(topology)
    return shapely.Polygon(shapes[0][0][0])


def _closer_to(polygon, near, far) -> bool:
    return (shapely.area(shapely.symmetric_difference(polygon, near))
            < 0.2 * shapely.area(shapely.symmetric_difference(polygon, far)))


@pytest.fixture(scope="module")
def provinces():
    gdf = boundaries("province", simplify=0.01)
    gdf["area_km2"] = gdf.to_crs(CHINA_ALBERS).area / 1e6
    return gdf


@pytest.fixture(scope="module")
def layers(provinces):
    return {"面积 area": classed(provinces["area_km2"], title="面积 (km²)"),
            "三类 k=3": classed(provinces["area_km2"], k=3)}


@pytest.fixture(scope="module")
def chromium():
    if find_chromium() is None:
        pytest.skip("headless Chromium not found (apt-get install chromium, or set "
                    "SPATIALECON_CHROMIUM)")


def test_returns_a_folium_map_fitted_to_the_data(provinces, layers):
    m = folium_map(provinces, layers)
    assert isinstance(m, folium.Map)
    kinds = [type(c).__name__ for c in m._children.values()]
    assert kinds.count("ThematicLayer") == 2 and kinds.count("SharedGeometry") == 1
    assert kinds.count("TileLayer") == 1 and kinds[-2:] == ["_LayerControl", "FitBounds"]
    groups = [c for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    assert [g.layer_name for g in groups] == list(layers)
    assert [g.show for g in groups] == [True, False]
    (fit,) = [c for c in m._children.values() if isinstance(c, folium.map.FitBounds)]
    (south, west), (north, east) = fit.bounds
    assert west < 74 and east > 134 and north > 53 and south < 4  # whole country, SCS islands
    page = m._repr_html_()  # what Jupyter and VS Code show
    assert page.startswith("<div") and "srcdoc=" in page and "spatialecon.geometry" in page


def test_adds_to_the_users_map_with_their_marker(provinces, layers, tmp_path):
    m = folium.Map(location=[35, 105], zoom_start=4, tiles=None)
    folium.Marker(TIANANMEN, tooltip="天安门").add_to(m)
    out = folium_map(provinces, layers, m=m)
    assert out is m
    folium.plugins.Fullscreen().add_to(m)
    kinds = [type(c).__name__ for c in m._children.values()]
    assert kinds[0] == "Marker" and kinds.count("ThematicLayer") == 2
    assert "FitBounds" not in kinds  # the user's view is left alone
    assert "TileLayer" not in kinds  # no basemap forced on the user's map
    m.save(str(tmp_path / "mine.html"))
    page = (tmp_path / "mine.html").read_text(encoding="utf-8")
    assert "L.marker" in page and "spatialecon.layer" in page and "fullscreen" in page.lower()
    # No tiles on the map: the data stay in their own datum (GCJ-02), not shifted.
    (payload,) = _payloads(page)
    assert payload["attribution"].endswith("GCJ-02")
    assert _closer_to(_first_polygon(payload), provinces.geometry.iloc[0],
                      to_wgs84(provinces.iloc[[0]]).geometry.iloc[0])
    with pytest.raises(TypeError, match=r"folium\.Map"):
        folium_map(provinces, layers, m="map")
    with pytest.raises(TypeError, match="new map only"):
        folium_map(provinces, layers, m=m, zoom_start=5)


def test_offline_inlines_every_script_and_stylesheet(provinces, layers):
    m = folium_map(provinces, layers, tiles=None, offline=True)
    page = render_page(m)
    assert _remote(page) == []
    # The user's map keeps folium's default assets; offline inlines them all, and the ones a
    # plugin adds after our call.
    mine = folium.Map(tiles=None)
    folium_map(provinces, layers, m=mine, offline=True)
    folium.plugins.MiniMap(tile_layer=None).add_to(mine)
    folium.Marker(TIANANMEN, icon=folium.Icon(color="red")).add_to(mine)
    page = render_page(mine)
    assert _remote(page) == []
    assert "L.Control.MiniMap" in page and "L.AwesomeMarkers" in page
    online = render_page(folium_map(provinces, layers, tiles=None))
    assert ("script", {"src": "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"}
            ) in _remote(online)


def test_same_data_same_bytes(provinces, layers):
    first = render_page(folium_map(provinces, layers, offline=True, title="同一"))
    second = render_page(folium_map(provinces, layers, offline=True, title="同一"))
    assert first == second
    other = render_page(folium_map(provinces, layers, offline=True, title="另一"))
    assert other != first


def test_basemaps_and_the_datum_they_need(provinces, layers, monkeypatch):
    gaode = render_page(folium_map(provinces, layers, tiles="gaode"))
    assert "https://webrd0{s}.is.autonavi.com/appmaptile" in gaode
    (payload,) = _payloads(gaode)
    gcj, wgs = provinces.geometry.iloc[0], to_wgs84(provinces.iloc[[0]]).geometry.iloc[0]
    assert payload["attribution"].endswith("GCJ-02")
    assert _closer_to(_first_polygon(payload), gcj, wgs)  # Amap tiles: no shift
    for name in ("cartodb-positron", "openstreetmap"):
        (payload,) = _payloads(render_page(folium_map(provinces, layers, tiles=name)))
        assert _closer_to(_first_polygon(payload), wgs, gcj), name  # shifted to WGS-84

    # A user's WGS-84 layer over Gaode tiles is shifted the other way, onto GCJ-02.
    wgs_layer = to_wgs84(provinces)
    (payload,) = _payloads(render_page(folium_map(wgs_layer, layers, tiles="gaode")))
    assert _closer_to(_first_polygon(payload), to_gcj02(wgs_layer.iloc[[0]]).geometry.iloc[0],
                      wgs_layer.geometry.iloc[0])

    # Tianditu needs a key, from the argument or the environment.
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(ValueError, match=r"tianditu_key=.*TIANDITU_KEY"):
        folium_map(provinces, layers, tiles="tianditu")
    page = render_page(folium_map(provinces, layers, tiles="tianditu",
                                  tianditu_key="0123456789abcdef0123456789abcdef"))
    assert "tianditu.gov.cn/vec_w/wmts" in page and "cva_w" in page
    assert "tk=0123456789abcdef0123456789abcdef" in page
    monkeypatch.setenv("TIANDITU_KEY", "fedcba9876543210fedcba9876543210")
    page = render_page(folium_map(provinces, layers, tiles="tianditu-satellite"))
    assert "img_w" in page and "tk=fedcba9876543210fedcba9876543210" in page
    with pytest.raises(ValueError, match="letters and digits"):
        folium_map(provinces, layers, tiles="tianditu", tianditu_key="k&evil=<x>")

    # Any xyzservices provider, with its datum said by crs=.
    amap_like = xyzservices.TileProvider(
        name="my-amap", url="https://wprd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}"
        "&style=7", attribution="© Amap", subdomains="1234")
    (payload,) = _payloads(render_page(folium_map(provinces, layers, tiles=amap_like,
                                                  crs="GCJ-02")))
    assert _closer_to(_first_polygon(payload), gcj, wgs)
    with pytest.raises(ValueError, match="GCJ-02' or 'WGS-84"):
        folium_map(provinces, layers, tiles=amap_like, crs="BD-09")
    with pytest.raises(ValueError, match="are in GCJ-02"):
        folium_map(provinces, layers, tiles="gaode", crs="WGS-84")

    # On a user's map, the datum of its basemap is read from its tile URLs.
    mine = folium.Map(tiles=None)
    folium.TileLayer(tiles="https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}",
                     attr="© 高德", subdomains="1234").add_to(mine)
    (payload,) = _payloads(render_page(folium_map(provinces, layers, m=mine)))
    assert payload["attribution"].endswith("GCJ-02")
    mine = folium.Map(tiles="OpenStreetMap")
    (payload,) = _payloads(render_page(folium_map(provinces, layers, m=mine)))
    assert payload["attribution"].endswith("WGS-84")


def test_layer_names_and_title_are_escaped(provinces):
    evil = '<img src=x onerror="window.__pwned=1">'
    m = folium_map(provinces, {evil: classed(provinces["area_km2"]),
                               "two": classed(provinces["area_km2"], k=3)}, title=evil)
    page = render_page(m)
    assert evil not in page.replace("\\u003c", "<").split("application/json")[0]
    # the control's name: HTML-escaped (Leaflet writes it as HTML), then JSON-escaped
    assert ('"\\u0026lt;img src=x onerror=\\u0026quot;window.__pwned=1\\u0026quot;'
            '\\u0026gt;"') in page
    assert "<title>&lt;img" in page


# --- in the browser ---------------------------------------------------------------------------


@pytest.mark.browser
def test_browser_users_map_with_marker_offline(provinces, layers, chromium, tmp_path):
    m = folium.Map(location=[35, 105], zoom_start=4, tiles=None)
    folium.Marker(TIANANMEN, tooltip="天安门").add_to(m)
    folium_map(provinces, layers, m=m, offline=True, title="用户的地图")
    folium.LayerControl(collapsed=False).add_to(m)
    path = tmp_path / "mine.html"
    m.save(str(path))
    switch = """(() => { const m = Object.values(window.spatialeconMaps)[0]; m.activate(1);
        return new Promise((done) => setTimeout(() => done({
          checked: Array.from(document.querySelectorAll(
              '.leaflet-control-layers-selector:checked')).map((i) =>
              i.nextSibling.textContent.trim()),
          legend: document.querySelector('.se-legend-title').textContent,
          title: document.querySelector('.se-title').textContent}), 100)); })()"""
    report = open_page(path, evaluate=(switch,))
    assert report.console_errors == [] and report.requests == []
    assert report.dom["svg_paths"] == 31 + 3 + 1
    assert report.dom["layer_inputs"] == 2
    result = report.evaluated[0]
    assert result["checked"] == ["三类 k=3"]  # one of our layers at a time
    assert result["legend"] == "area_km2" and result["title"] == "用户的地图"
    assert report.distinct_colors() > 30
    (tmp_path / "mine.png").write_bytes(report.screenshot)


@pytest.mark.browser
def test_browser_gaode_page_requests_autonavi_tiles(provinces, layers, chromium, tmp_path):
    path = tmp_path / "gaode.html"
    folium_map(provinces, layers, tiles="gaode", offline=True).save(str(path))
    report = open_page(path)
    # Tiles cannot load here (the browser resolves no host); the page asked Amap for them.
    assert any("autonavi.com/appmaptile" in url for url in report.requests)
    assert all("autonavi.com" in url for url in report.requests)
    assert not [e for e in report.console_errors if "autonavi" not in e
                and "Failed to load resource" not in e]


@pytest.mark.slow
def test_county_page_with_six_layers_fits_three_megabytes(tmp_path):
    counties = boundaries("county", simplify=0.01)
    area = counties.to_crs(CHINA_ALBERS).area / 1e6
    rng = np.random.default_rng(5)
    layers = {f"layer {k}": classed(area * rng.uniform(0.5, 1.5, len(area)), k=5)
              for k in range(6)}
    page = render_page(folium_map(counties, layers, tiles=None, offline=True))
    assert len(page.encode("utf-8")) < 3_000_000
    assert _remote(page) == []
    assert re.search(r'"canvas":true', page)
