"""Maps of China's units: static figures for papers and HTML companions.

Static (matplotlib; China Albers, South China Sea inset, north arrow, scale bar, CJK font)

- :func:`choropleth`: a classed map with class bounds and counts in the legend;
  :func:`national_map` draws any :class:`Symbology` in the same layout.
- :func:`lisa_cluster_map`, :func:`significance_map`, :func:`moran_scatterplot`: local Moran's
  I in GeoDa's colours.
- :func:`choropleth_multiples`, :func:`lisa_multiples`, :func:`small_multiples`: one panel per
  year, one classification and one legend.
- :func:`save_figure`: PNG, SVG or PDF, atomically.

HTML (folium)

- :func:`folium_map`: layers (years, indicators, LISA, strata, residuals) over one shared
  geometry on a new or the user's own ``folium.Map``, over Chinese or world basemaps.
- :func:`html_map`: the same written to a self-contained page; :func:`html_choropleth` for
  one layer; :func:`panel_layers`, :func:`lisa_layers` build layers; :func:`embed_iframe`
  embeds a page in a report.

Shared: :func:`classify` (mapclassify schemes), :class:`Symbology` (a legend and each unit's
row in it), :func:`use_chinese_font`.

Example
-------
>>> from spatialecon.geodata.boundaries import boundaries
>>> from spatialecon.maps import choropleth, save_figure
>>> provinces = boundaries("province", simplify=0.01).join(gdp_per_capita)  # doctest: +SKIP
>>> save_figure(choropleth(provinces, "gdp_pc", legend_title="元/人"), "gdp.png")  # doctest: +SKIP
"""

from spatialecon.maps.classify import SCHEMES, Classification, classify
from spatialecon.maps.fonts import use_chinese_font
from spatialecon.maps.interactive import (
    embed_iframe,
    html_choropleth,
    html_map,
    html_page,
    lisa_layers,
    panel_layers,
)
from spatialecon.maps.lisa import (
    LISA_COLORS,
    LISA_LABELS,
    LISA_LABELS_EN,
    SIGNIFICANCE_COLORS,
    cluster_symbology,
    lisa_cluster_map,
    moran_scatterplot,
    significance_map,
    significance_symbology,
)
from spatialecon.maps.multiples import choropleth_multiples, lisa_multiples, small_multiples
from spatialecon.maps.static import choropleth, national_map, save_figure
from spatialecon.maps.symbology import LegendEntry, Symbology, categorical, classed
from spatialecon.maps.web import folium_map
from spatialecon.maps.weights_plots import link_map, neighbor_histogram

__all__ = [
    "LISA_COLORS",
    "LISA_LABELS",
    "LISA_LABELS_EN",
    "SCHEMES",
    "SIGNIFICANCE_COLORS",
    "Classification",
    "LegendEntry",
    "Symbology",
    "categorical",
    "choropleth",
    "choropleth_multiples",
    "classed",
    "classify",
    "cluster_symbology",
    "embed_iframe",
    "folium_map",
    "html_choropleth",
    "html_map",
    "html_page",
    "link_map",
    "lisa_cluster_map",
    "lisa_layers",
    "lisa_multiples",
    "moran_scatterplot",
    "national_map",
    "neighbor_histogram",
    "panel_layers",
    "save_figure",
    "significance_map",
    "significance_symbology",
    "small_multiples",
    "use_chinese_font",
]
