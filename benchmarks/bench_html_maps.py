"""HTML maps: write time and page size of folium_map against plain folium on the same data.

The peers are what a folium user writes: one ``folium.GeoJson`` layer per indicator (with a
``style_function`` colouring each unit by its class and a tooltip), and geopandas'
``GeoDataFrame.explore`` for a single layer. Same units (``boundaries(level, simplify=0.01)``),
same classes, six layers for the multi-layer case. Ours is timed online (Leaflet from the CDN,
like the peers) and offline (Leaflet inlined, ~170 kB more); sizes are of the written page.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import folium
import numpy as np

from benchmarks._common import best_of
from spatialecon.geodata.boundaries import CHINA_ALBERS, boundaries
from spatialecon.maps import classed, folium_map

LAYERS = 6


def _layers(units):
    area = units.to_crs(CHINA_ALBERS).area / 1e6
    rng = np.random.default_rng(0)
    return {f"indicator {k}": classed(area * rng.uniform(0.5, 1.5, len(area)), k=5)
            for k in range(LAYERS)}


def _plain_folium(units, layers, path: Path) -> None:
    m = folium.Map(location=[35, 105], zoom_start=4, tiles=None)
    frame = units[["name", "geometry"]].copy()
    for name, symbology in layers.items():
        aligned = symbology.aligned(units.index, "no data")
        colours = [aligned.entries[c].color for c in aligned.codes]
        layer = frame.assign(fill=colours, value=[str(v) for v in aligned.values])
        folium.GeoJson(layer, name=name, show=name == next(iter(layers)),
                       style_function=lambda f: {"fillColor": f["properties"]["fill"],
                                                 "color": "#4d4d4d", "weight": 0.5,
                                                 "fillOpacity": 0.9},
                       tooltip=folium.GeoJsonTooltip(["name", "value"])).add_to(m)
    folium.LayerControl().add_to(m)
    m.save(str(path))


def _cases(units, layers) -> dict:
    one = dict(list(layers.items())[:1])
    codes = next(iter(one.values())).aligned(units.index, "").codes
    return {
        "geopandas explore (1 layer)": lambda p: units.assign(v=codes).explore(
            "v", tiles=None).save(str(p)),
        "plain folium.GeoJson (1 layer)": lambda p: _plain_folium(units, one, p),
        "folium_map online (1 layer)": lambda p: folium_map(units, one, tiles=None).save(
            str(p)),
        "folium_map offline (1 layer)": lambda p: folium_map(
            units, one, tiles=None, offline=True).save(str(p)),
        f"plain folium.GeoJson ({LAYERS} layers)": lambda p: _plain_folium(units, layers, p),
        f"folium_map online ({LAYERS} layers)": lambda p: folium_map(
            units, layers, tiles=None).save(str(p)),
        f"folium_map offline ({LAYERS} layers)": lambda p: folium_map(
            units, layers, tiles=None, offline=True).save(str(p)),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for level in ("province", "county"):
            units = boundaries(level, simplify=0.01)
            layers = _layers(units)
            cases = _cases(units, layers)
            rows = []
            for k, (name, write) in enumerate(cases.items()):
                path = folder / f"{level}-{k}.html"
                seconds = best_of(lambda write=write, path=path: write(path),
                                  3 if level == "province" else 1)
                rows.append((name, seconds, path.stat().st_size))
            print(f"\nHTML map of {len(units):,} {level} units: write time and page size")
            base = {n: (s, b) for n, s, b in rows}
            width = max(len(n) for n, _, _ in rows)
            for name, seconds, size in rows:
                peer = ("plain folium.GeoJson (1 layer)" if "(1 layer)" in name
                        else f"plain folium.GeoJson ({LAYERS} layers)")
                ps, pb = base[peer]
                print(f"  {name:<{width}}  {seconds:7.3f} s {ps / seconds:6.1f}x faster   "
                      f"{size / 1e6:7.2f} MB {pb / size:6.1f}x smaller  (vs {peer})")


if __name__ == "__main__":
    main()
