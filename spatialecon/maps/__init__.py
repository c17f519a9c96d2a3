"""Choropleth maps of China's units: static figures for papers and HTML companions.

- :func:`choropleth` draws a classed map in China Albers with the South China Sea inset, a
  legend with class bounds and counts, a north arrow and a scale bar; :func:`save_figure`
  writes it as PNG, SVG or PDF.
- :func:`html_choropleth` writes the same classes as an interactive Leaflet map.
- :func:`classify` is the classification both use (mapclassify schemes).
- :func:`use_chinese_font` makes matplotlib render Chinese text (Noto Sans CJK SC).

Example
-------
>>> from spatialecon.geodata.boundaries import boundaries
>>> from spatialecon.maps import choropleth, save_figure
>>> provinces = boundaries("province", simplify=0.01).join(gdp_per_capita)  # doctest: +SKIP
>>> save_figure(choropleth(provinces, "gdp_pc", legend_title="元/人"), "gdp.png")  # doctest: +SKIP
"""

from spatialecon.maps.classify import SCHEMES, Classification, classify
from spatialecon.maps.fonts import use_chinese_font
from spatialecon.maps.interactive import html_choropleth
from spatialecon.maps.static import choropleth, save_figure
from spatialecon.maps.weights_plots import link_map, neighbor_histogram

__all__ = [
    "SCHEMES",
    "Classification",
    "choropleth",
    "classify",
    "html_choropleth",
    "link_map",
    "neighbor_histogram",
    "save_figure",
    "use_chinese_font",
]
