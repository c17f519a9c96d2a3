"""Pictures of spatial weights: the histogram of neighbour counts GeoDa shows beside a
weights file, and the links drawn on the map (to see what an island repair did)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from libpysal.weights import W
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from spatialecon.geodata import CHINA_ALBERS
from spatialecon.maps.fonts import use_chinese_font
from spatialecon.weights import summary


def neighbor_histogram(w: W, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Bar chart of how many units have 0, 1, 2 … neighbours, with the summary as a caption."""
    use_chinese_font()
    stats = summary(w)
    counts = stats.cardinalities.value_counts().sort_index()
    if ax is None:
        fig = Figure(figsize=(6, 3.5), layout="constrained")
        ax = fig.add_subplot()
    fig = ax.get_figure()
    full = np.arange(0, int(counts.index.max()) + 1)
    heights = counts.reindex(full, fill_value=0)
    bars = ax.bar(full, heights.to_numpy(), color="#3182bd", edgecolor="white", width=0.85)
    ax.bar_label(bars, labels=[str(v) if v else "" for v in heights], fontsize=7, padding=1)
    ax.set_xlabel("邻居数 / number of neighbours")
    ax.set_ylabel("单元数 / units")
    ax.set_xticks(full)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title or str(stats), fontsize=8)
    return fig


def link_map(w: W, gdf: gpd.GeoDataFrame, *, ax: Axes | None = None) -> Figure:
    """Units in grey with a line between the centroids of every pair of neighbours; links added
    by an island repair (``w.meta["repaired_islands"]``) are drawn in red."""
    use_chinese_font()
    albers = gdf.to_crs(CHINA_ALBERS)
    centres = albers.geometry.representative_point()
    if ax is None:
        fig = Figure(figsize=(7, 5.5))
        ax = fig.add_axes((0, 0, 1, 1))
    fig = ax.get_figure()
    albers.plot(ax=ax, color="#f0f0f0", edgecolor="#bdbdbd", linewidth=0.3)
    repaired = {frozenset(p) for p in getattr(w, "meta", {}).get("repaired_islands", {}).items()}
    pairs = {frozenset((i, j)) for i, nbrs in w.neighbors.items() for j in nbrs if i != j}
    for kind, color, width in (("plain", "#2b8cbe", 0.4), ("repaired", "#de2d26", 1.2)):
        chosen = [tuple(p) for p in pairs if (p in repaired) == (kind == "repaired")]
        if chosen:
            lines = shapely.linestrings(
                [[centres[a].coords[0], centres[b].coords[0]] for a, b in chosen])
            gpd.GeoSeries(lines, crs=albers.crs).plot(ax=ax, color=color, linewidth=width)
    ax.set_axis_off()
    return fig
