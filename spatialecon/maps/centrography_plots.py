"""The centre of gravity's trajectory and the standard deviational ellipses on the national map.

:func:`centre_trajectory_map` draws, in the national layout of :mod:`spatialecon.maps.static`
(China Albers, South China Sea inset, north arrow, scale bar), the units in grey, the ellipses
of :func:`spatialecon.centrography.std_ellipse` as outlines coloured by year, and the path of
the centre of :func:`spatialecon.centrography.mean_centre` as arrows with year labels. A
centre of gravity of China moves by tens of kilometres over decades — a few tenths of a
millimetre on a 7-inch map — so when the path is small compared to the country the arrows
are drawn again in a zoom inset, linked to its box on the map.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from matplotlib import colormaps, patheffects
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from spatialecon.geodata.boundaries import CHINA_ALBERS, boundaries
from spatialecon.maps.classify import MapError
from spatialecon.maps.static import (
    EDGE_COLOR,
    LEGEND_STYLE,
    LINE_COLOR,
    NATIONAL_FRAME,
    _font_scale,
    _set_frame,
    national_map,
)
from spatialecon.maps.symbology import categorical

UNIT_COLOR = "#e9e9e9"
PATH_COLOR = "#b2182b"
# The path is "small" (zoomed) when its extent is under this share of the frame's width.
ZOOM_BELOW = 0.12
# Zoom inset in axes fractions of the main map: the lower left lies south of Tibet, outside
# China, in the national frame.
ZOOM_BOX = (0.012, 0.012, 0.27, 0.28)
_MAX_YEAR_LABELS = 8
_HALO = [patheffects.withStroke(linewidth=2.0, foreground="white", alpha=0.9)]


def _albers_xy(lon: np.ndarray, lat: np.ndarray, crs: pyproj.CRS) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    geographic = crs.geodetic_crs or pyproj.CRS("EPSG:4326")
    to_map = pyproj.Transformer.from_crs(geographic, CHINA_ALBERS, always_xy=True)
    x, y = to_map.transform(lon, lat)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _labelled(years: Sequence[object]) -> set[int]:
    """Positions of the years to label: all up to 8, else every k-th and the last."""
    n = len(years)
    if n <= _MAX_YEAR_LABELS:
        return set(range(n))
    step = math.ceil(n / _MAX_YEAR_LABELS)
    return set(range(0, n, step)) | {n - 1}


def _draw_path(ax: Axes, x: np.ndarray, y: np.ndarray, years: Sequence[object], *,
               fontsize: float, arrows: bool = True, labels: bool = True,
               min_arrow: float = 0.0) -> None:
    """The path; an arrow on every step at least ``min_arrow`` long (map units): shorter
    steps are a plain line, whose dots and labels still give the order."""
    ax.plot(x, y, color=PATH_COLOR, linewidth=0.8, zorder=6)
    if arrows:
        for i in range(len(x) - 1):
            if math.hypot(x[i + 1] - x[i], y[i + 1] - y[i]) <= min_arrow:
                continue
            ax.annotate("", xy=(x[i + 1], y[i + 1]), xytext=(x[i], y[i]), zorder=7,
                        arrowprops={"arrowstyle": "-|>,head_length=0.5,head_width=0.22",
                                    "color": PATH_COLOR, "linewidth": 0.8,
                                    "mutation_scale": 7, "shrinkA": 1.5, "shrinkB": 1.5})
    ax.scatter(x, y, s=7, color=PATH_COLOR, edgecolor="white", linewidth=0.4, zorder=8)
    ax.scatter(x[:1], y[:1], s=18, marker="s", color="white", edgecolor=PATH_COLOR,
               linewidth=0.8, zorder=9)
    if not labels:
        return
    cx, cy = float(np.mean(x)), float(np.mean(y))
    for i in sorted(_labelled(years)):
        # Away from the path's middle, so labels fan out instead of sitting on the arrows.
        dx, dy = x[i] - cx, y[i] - cy
        norm = math.hypot(dx, dy) or 1.0
        ox, oy = 6 * dx / norm, 6 * dy / norm
        ax.annotate(str(years[i]), (x[i], y[i]), xytext=(ox, oy), textcoords="offset points",
                    ha="left" if ox >= 0 else "right", va="bottom" if oy >= 0 else "top",
                    fontsize=fontsize, color=LINE_COLOR, path_effects=_HALO, zorder=10)


def _zoom_extent(x: np.ndarray, y: np.ndarray, aspect: float) -> tuple[float, ...]:
    """(xmin, ymin, xmax, ymax) around the path with a margin, of width/height ``aspect``."""
    span = max(float(np.ptp(x)), float(np.ptp(y)), 20_000.0)
    half_w = max(0.5 * float(np.ptp(x)) + 0.35 * span, 0.5 * aspect * (float(np.ptp(y))
                                                                      + 0.7 * span))
    half_h = half_w / aspect
    mx, my = 0.5 * (x.min() + x.max()), 0.5 * (y.min() + y.max())
    return (mx - half_w, my - half_h, mx + half_w, my + half_h)


def centre_trajectory_map(
    units_gdf: gpd.GeoDataFrame,
    centres: pd.DataFrame,
    ellipses: gpd.GeoDataFrame | None = None,
    *,
    zoom: bool | None = None,
    cmap: str = "viridis",
    title: str | None = None,
    legend_title: str = "标准差椭圆 / SDE",
    path_label: str = "重心轨迹 / centre path",
    note: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """The centre of gravity's path, and optionally the ellipses by year, on the national map.

    Parameters
    ----------
    units_gdf
        The units the centres were computed from (drawn grey), with a CRS.
    centres
        :func:`spatialecon.centrography.mean_centre` (columns ``lon``, ``lat`` in the layer's
        geographic coordinates), one row per year; or the ellipses' table, which has them too.
    ellipses
        :func:`spatialecon.centrography.std_ellipse`, drawn as outlines coloured by year
        (``cmap``) with a legend; pass a subset of years (``ellipses.loc[[2000, 2010,
        2020]]``) to keep the map legible.
    zoom
        Draw the path again in a zoom inset (lower left, outside China). ``None``: when its
        extent is under 12 % of the frame's width.
    cmap, title, legend_title, path_label, note, figsize
        Colours of the ellipses by year; axes title; legend heading (with ellipses); the
        path's legend text; small text under the map; inches.

    Returns
    -------
    matplotlib.figure.Figure
        Not registered with pyplot; save it with :func:`spatialecon.maps.save_figure`.
    """
    if not isinstance(centres, pd.DataFrame) or not {"lon", "lat"} <= set(centres.columns):
        raise MapError("centres must be the table of mean_centre (columns lon, lat)")
    if len(centres) == 0:
        raise MapError("centres has no rows")
    if not isinstance(units_gdf, gpd.GeoDataFrame) or units_gdf.crs is None:
        raise MapError("units_gdf must be a GeoDataFrame with a CRS")
    crs = pyproj.CRS(units_gdf.crs)
    ordered = centres.sort_index()
    years = list(ordered.index)
    x, y = _albers_xy(ordered["lon"].to_numpy(float), ordered["lat"].to_numpy(float), crs)

    grey = categorical(pd.Series("unit", index=units_gdf.index), {"unit": UNIT_COLOR},
                       title="")
    fig = national_map(units_gdf, grey, labels=None, legend=False, title=title, note=note,
                       figsize=figsize)
    ax = fig.axes[0]
    scale = _font_scale(ax)

    path = Line2D([], [], color=PATH_COLOR, linewidth=0.8, marker="o", markersize=3,
                  markeredgecolor="white", markeredgewidth=0.4, label=path_label)
    handles = [path]
    if ellipses is not None:
        handles += _draw_ellipses(ax, ellipses, cmap)
    style = dict(LEGEND_STYLE)
    style["fontsize"] = LEGEND_STYLE["fontsize"] * scale
    style["title_fontsize"] = LEGEND_STYLE["title_fontsize"] * scale
    style["handlelength"] = 2.6
    ax.legend(handles=handles, title=legend_title if ellipses is not None else None,
              loc="upper left", bbox_to_anchor=(0.01, 0.99),
              ncol=1 if len(handles) <= 7 else 2, **style)

    frame_width = NATIONAL_FRAME[2] - NATIONAL_FRAME[0]
    extent = max(float(np.ptp(x)), float(np.ptp(y)))
    if zoom is None:
        zoom = extent < ZOOM_BELOW * frame_width
    # On the national map a small path is a dot: draw it plainly and label it in the inset.
    _draw_path(ax, x, y, years, fontsize=6.5 * scale, arrows=not zoom, labels=not zoom)
    if zoom:
        _draw_zoom(ax, units_gdf, x, y, years, scale)
    # Last: geopandas' plot calls relabel the axes ("Easting [metre]") and may autoscale.
    _set_frame(ax, NATIONAL_FRAME)
    return fig


def _draw_ellipses(ax: Axes, ellipses: gpd.GeoDataFrame, cmap: str) -> list[Line2D]:
    if not isinstance(ellipses, gpd.GeoDataFrame) or ellipses.crs is None:
        raise MapError("ellipses must be the GeoDataFrame of std_ellipse (with a CRS)")
    shapes = ellipses.sort_index().to_crs(CHINA_ALBERS)
    colours = colormaps[cmap](np.linspace(0.0, 0.9, max(len(shapes), 2)))[:len(shapes)]
    handles = []
    styles = ["-", "--", "-.", ":"]
    for i, (year, geom) in enumerate(shapes.geometry.items()):
        colour = to_hex(colours[i])
        style = styles[i % len(styles)] if len(shapes) > 1 else "-"
        gpd.GeoSeries([geom.boundary]).plot(ax=ax, color=colour, linewidth=1.0,
                                            linestyle=style, zorder=5)
        handles.append(Line2D([], [], color=colour, linewidth=1.0, linestyle=style,
                              label=str(year)))
    return handles


def _draw_zoom(ax: Axes, units_gdf: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray,
               years: Sequence[object], scale: float) -> None:
    frame_aspect = (NATIONAL_FRAME[2] - NATIONAL_FRAME[0]) / (NATIONAL_FRAME[3]
                                                               - NATIONAL_FRAME[1])
    aspect = frame_aspect * ZOOM_BOX[2] / ZOOM_BOX[3]
    x0, y0, x1, y1 = _zoom_extent(x, y, aspect)
    inset = ax.inset_axes(ZOOM_BOX)
    units = units_gdf.to_crs(CHINA_ALBERS).cx[x0:x1, y0:y1]
    if len(units):
        units.plot(ax=inset, facecolor=UNIT_COLOR, edgecolor="#9a9a9a", linewidth=0.3)
    provinces = boundaries("province", simplify=units_gdf.attrs.get("simplify")).to_crs(
        CHINA_ALBERS).cx[x0:x1, y0:y1]
    if len(provinces):
        provinces.boundary.plot(ax=inset, color=EDGE_COLOR, linewidth=0.6)
        for _, row in provinces.iterrows():
            part = row.geometry.intersection(shapely.box(x0, y0, x1, y1))
            if part.is_empty or part.area < 0.04 * (x1 - x0) * (y1 - y0):
                continue
            point = part.representative_point()
            if x0 < point.x < x1 and y0 < point.y < y1:
                inset.text(point.x, point.y, str(row.get("short", "")), fontsize=6 * scale,
                           color="#6f6f6f", ha="center", va="center", zorder=3)
    # Arrowheads are 3.5 pt long: steps under 6 pt get none.
    axes_pt = ax.get_position().width * ax.get_figure().get_figwidth() * 72 * ZOOM_BOX[2]
    _draw_path(inset, x, y, years, fontsize=6 * scale, min_arrow=6 * (x1 - x0) / axes_pt)
    inset.set_xlabel("")
    inset.set_ylabel("")
    inset.set_xlim(x0, x1)
    inset.set_ylim(y0, y1)
    inset.set_aspect("equal", adjustable="box")
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_facecolor("white")
    for spine in inset.spines.values():
        spine.set_linewidth(0.7)
    # A bar of a round length in the inset's own scale.
    width, height = x1 - x0, y1 - y0
    km = _round_km(0.3 * width / 1000)
    # In the corner farthest from the path.
    corners = [(x0 + 0.06 * width, y0 + 0.07 * height),
               (x1 - 0.06 * width - km * 1000, y0 + 0.07 * height),
               (x0 + 0.06 * width, y1 - 0.12 * height),
               (x1 - 0.06 * width - km * 1000, y1 - 0.12 * height)]
    bx, by = max(corners, key=lambda c: min(np.hypot(x - c[0] - km * 500, y - c[1])))
    inset.plot([bx, bx + km * 1000], [by, by], color=LINE_COLOR, linewidth=1.2,
               solid_capstyle="butt")
    inset.text(bx + km * 500, by + 0.03 * height, f"{km:g} km", ha="center",
               va="bottom", fontsize=5.5 * scale)
    ax.indicate_inset_zoom(inset, edgecolor=LINE_COLOR, linewidth=0.6, alpha=0.9)


def _round_km(km: float) -> float:
    magnitude = 10 ** math.floor(math.log10(km))
    return max(m for m in (1, 2, 2.5, 5, 10) if m * magnitude <= km) * magnitude


__all__ = ["centre_trajectory_map"]
