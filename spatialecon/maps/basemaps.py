"""Background tiles for the HTML maps, and the datum each one is drawn in.

Web tiles of China come in two datums. Amap (高德, "gaode") tiles are in GCJ-02, the datum of
the embedded boundaries, so they line up with no shift. OpenStreetMap, CARTO and Tianditu (天地图,
CGCS2000, within a few centimetres of WGS-84 at web-map scales) are in WGS-84, which GCJ-02 is
offset from by 100–700 m: over them the units are shifted with
:func:`spatialecon.geodata.to_wgs84` first. :func:`resolve` returns the tiles and their datum;
the map shifts whatever it draws into that datum.

Providers come from ``xyzservices`` where it has them (OpenStreetMap, CARTO, Gaode). Its Gaode
entries use ``http://`` and one server; here they use ``https://`` (an ``http://`` tile on an
``https://`` page is blocked as mixed content) and Amap's four servers. ``xyzservices`` has no
Tianditu; its vector and imagery services (WMTS in Web Mercator, with a separate label layer) are
defined here and need a key (https://console.tianditu.gov.cn, free for registered users).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import xyzservices
import xyzservices.providers as xyz

from spatialecon.maps.classify import MapError

GCJ02 = "GCJ-02"
WGS84 = "WGS-84"
DATUMS = (GCJ02, WGS84)
NAMES = ("gaode", "gaode-satellite", "tianditu", "tianditu-satellite", "openstreetmap",
         "cartodb-positron")
_TIANDITU_KEY = re.compile(r"^[A-Za-z0-9]{8,64}$")


@dataclass(frozen=True)
class Basemap:
    """Tile layers (the first is the base, the others labels drawn over it) and their datum."""

    name: str
    tiles: tuple[xyzservices.TileProvider, ...]
    datum: str


def _gaode(style: int, server: str, name: str) -> xyzservices.TileProvider:
    base = xyz.Gaode.Normal if server == "webrd" else xyz.Gaode.Satellite
    query = f"lang=zh_cn&size=1&scale=1&style={style}" if server == "webrd" else f"style={style}"
    return xyzservices.TileProvider(
        name=name, url=f"https://{server}0{{s}}.is.autonavi.com/appmaptile?{query}"
        "&x={x}&y={y}&z={z}", subdomains="1234", max_zoom=18,
        attribution="© 高德地图 AutoNavi (GCJ-02)",
        html_attribution=base.get("html_attribution", base["attribution"]).replace(
            "http://", "https://"))


# xyzservices' CartoDB entries now carry an API-key placeholder (and warn when it is left in);
# CARTO's public basemap URL is used as folium used it. Pass
# ``tiles=xyzservices.providers.CartoDB.Positron(apikey=…)`` to use a key.
_CARTO_POSITRON = xyzservices.TileProvider(
    name="CartoDB.Positron",
    url="https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
    subdomains="abcd", max_zoom=20,
    attribution="(C) OpenStreetMap contributors (C) CARTO",
    html_attribution=xyz.CartoDB.Positron["html_attribution"])


def _tianditu(layer: str, key: str, name: str) -> xyzservices.TileProvider:
    return xyzservices.TileProvider(
        name=name,
        url=(f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
             f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
             f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"),
        subdomains="01234567", max_zoom=18,
        attribution="© 天地图 Tianditu, 国家基础地理信息中心",
        html_attribution='&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a>')


def find_tianditu_key(key: str | None = None) -> str:
    """The Tianditu key: ``key``, else the environment variable ``TIANDITU_KEY``.

    Raises
    ------
    ValueError
        Neither is set, or the key is not letters and digits.
    """
    key = key if key is not None else os.environ.get("TIANDITU_KEY")
    if not key:
        raise MapError("Tianditu tiles need a key: pass tianditu_key='…' or set the "
                         "environment variable TIANDITU_KEY (a free key from "
                         "https://console.tianditu.gov.cn)")
    if not _TIANDITU_KEY.match(key):
        raise MapError("a Tianditu key is 8–64 letters and digits; check tianditu_key= or "
                         "TIANDITU_KEY")
    return key


def resolve(tiles: str | xyzservices.TileProvider, *, crs: str | None = None,
            tianditu_key: str | None = None) -> Basemap:
    """The tile layers and datum of a ``tiles=`` argument.

    Parameters
    ----------
    tiles
        One of :data:`NAMES`, or any ``xyzservices.TileProvider`` (then ``crs`` says its datum).
    crs
        ``"GCJ-02"`` or ``"WGS-84"``: the datum of a ``TileProvider`` (default WGS-84, what
        tile services outside China use). Named basemaps know theirs; a ``crs`` that
        contradicts it is an error.
    tianditu_key
        Key of the Tianditu tiles (default: the environment variable ``TIANDITU_KEY``).
    """
    datum = _datum(crs)
    if isinstance(tiles, xyzservices.TileProvider):
        url = tiles.build_url(scale_factor="", fill_subdomain=False)
        if not url.startswith("https://"):
            raise MapError(f"tile URLs must be https:// (browsers block http:// tiles on "
                             f"https:// pages), not {url!r}")
        return Basemap(tiles.name, (tiles,), datum or WGS84)
    if not isinstance(tiles, str) or tiles not in NAMES:
        raise MapError(f"tiles must be one of {list(NAMES)}, None or an "
                         f"xyzservices.TileProvider, not {tiles!r}")
    if tiles == "gaode":
        basemap = Basemap(tiles, (_gaode(8, "webrd", "高德地图"),), GCJ02)
    elif tiles == "gaode-satellite":
        basemap = Basemap(tiles, (_gaode(6, "webst", "高德影像"),
                                  _gaode(8, "webst", "高德注记")), GCJ02)
    elif tiles in ("tianditu", "tianditu-satellite"):
        key = find_tianditu_key(tianditu_key)
        base, labels = ("vec", "cva") if tiles == "tianditu" else ("img", "cia")
        names = ("天地图", "天地图注记") if tiles == "tianditu" else ("天地图影像", "天地图注记")
        basemap = Basemap(tiles, (_tianditu(base, key, names[0]),
                                  _tianditu(labels, key, names[1])), WGS84)
    elif tiles == "openstreetmap":
        basemap = Basemap(tiles, (xyz.OpenStreetMap.Mapnik,), WGS84)
    else:
        basemap = Basemap(tiles, (_CARTO_POSITRON,), WGS84)
    if datum is not None and datum != basemap.datum:
        raise MapError(f"tiles={tiles!r} are in {basemap.datum}, not {datum}; drop crs=")
    return basemap


def _datum(crs: str | None) -> str | None:
    if crs is None:
        return None
    spelled = str(crs).upper().replace("_", "-").replace(" ", "")
    aliases = {"GCJ-02": GCJ02, "GCJ02": GCJ02, "WGS-84": WGS84, "WGS84": WGS84,
               "EPSG:4326": WGS84, "CGCS2000": WGS84}
    if spelled not in aliases:
        raise MapError(f"crs must be 'GCJ-02' or 'WGS-84' (the datum of the tiles), "
                         f"not {crs!r}")
    return aliases[spelled]


def datum_of_urls(urls: list[str]) -> str | None:
    """The datum of a user's ``folium.Map`` from its tile URLs: GCJ-02 for Amap's servers,
    WGS-84 for any other tiles, ``None`` when it has none."""
    if not urls:
        return None
    return GCJ02 if any("autonavi.com" in u or "amap.com" in u for u in urls) else WGS84
