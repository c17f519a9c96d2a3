"""Static maps for papers: China Albers, South China Sea inset, legend with counts.

:func:`national_map` draws any :class:`~spatialecon.maps.symbology.Symbology` (classes, LISA
clusters, significance levels, categories) in the national layout; :func:`choropleth` is the
classed map built on it, and :mod:`spatialecon.maps.lisa` and :mod:`spatialecon.maps.multiples`
use it too, so every map of a paper shares one frame, one legend style and one "no data".

The national layout follows the convention of maps printed in China: the main map in an
equal-area Albers projection, the South China Sea islands and the maritime boundary line in an
inset in the lower right, Hong Kong, Macao and Taiwan always drawn (greyed when not in the data),
a north arrow and a scale bar. The main frame is the same for every national map, so maps of
different variables line up in a paper.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Polygon, Rectangle
from shapely.ops import polylabel

from spatialecon._files import atomic_path
from spatialecon.geodata.boundaries import CHINA_ALBERS, boundaries, south_china_sea_line
from spatialecon.maps._paths import fill_polygons, line_paths, stroke_lines, stroke_paths
from spatialecon.maps.classify import (
    MISSING_COLOR,
    MISSING_HATCH,
    MISSING_HATCH_COLOR,
    MapError,
    Scheme,
    check_column,
    classify,
    require_columns,
)
from spatialecon.maps.fonts import use_chinese_font
from spatialecon.maps.symbology import MISSING_LABEL, Symbology, from_classification

LabelColumn = Literal["short", "name_en"]

# Main frame of national maps in CHINA_ALBERS metres (xmin, ymin, xmax, ymax). The mainland,
# Hainan island and Taiwan span x -2,626…2,208 km and y 1,875…5,922 km; the frame adds a margin,
# stops above the Xisha islands (y < 1,780 km; they are in the inset) and leaves room east of
# Taiwan (x > 1,942 km) for the inset below the north-east corner.
NATIONAL_FRAME = (-2_720_000.0, 1_800_000.0, 3_020_000.0, 6_020_000.0)
# What the inset shows: the maritime line (x 386…1,795 km, y 363…2,728 km), the islands and the
# coast from Guangxi to Taiwan, about lon 107–125° E, lat 3–25° N.
INSET_EXTENT = (230_000.0, 230_000.0, 1_980_000.0, 2_880_000.0)
INSET_HEIGHT = 0.34  # of the main frame's height; its width follows from INSET_EXTENT
# Provinces whose label at the pole of inaccessibility collides with a neighbour's: offset in
# points (Beijing and Tianjin touch; Shanghai is smaller than its name).
_LABEL_OFFSETS = {110000: (-5.0, 4.0), 120000: (7.0, -3.0), 310000: (12.0, 0.0)}
_CODE = "__legend_row__"
CONTEXT_LABEL = "未纳入 / not in data"
# A translucent white box: a legend over the far west must stay legible over dark classes.
LEGEND_STYLE = {"fontsize": 6.5, "title_fontsize": 7, "frameon": True, "framealpha": 0.85,
                "facecolor": "white", "edgecolor": "none", "fancybox": False,
                "alignment": "left", "handlelength": 1.8, "handleheight": 1.1,
                "labelspacing": 0.35, "borderaxespad": 0.2, "borderpad": 0.4}
_MAX_LABELS = 40  # more units than provinces: labels overlap into a smudge
EDGE_COLOR = "#4d4d4d"
# White, outlined: the parts of China outside the data must not read as a class, and a light
# grey would match GeoDa's "not significant" (#eeeeee) on LISA maps.
CONTEXT_COLOR = "#ffffff"
LINE_COLOR = "#1a1a1a"
# Unit borders are drawn where the median unit is at least this many pixels wide at 300 dpi.
EDGE_MIN_PIXELS = 4.0


def choropleth(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    scheme: Scheme = "natural_breaks",
    k: int = 5,
    bins: Sequence[float] | None = None,
    cmap: str = "YlOrRd",
    title: str | None = None,
    legend_title: str | None = None,
    labels: LabelColumn | None = "short",
    ax: Axes | None = None,
    inset: bool = True,
    north_arrow: bool = True,
    scale_bar: bool = True,
    missing_label: str = MISSING_LABEL,
    context_label: str = CONTEXT_LABEL,
    note: str | None = None,
    figsize: tuple[float, float] | None = None,
    unit_edges: bool | None = None,
) -> Figure:
    """Draw a classed choropleth map of ``column``.

    Parameters
    ----------
    gdf
        Units to colour, with a CRS (typically :func:`spatialecon.geodata.boundaries` joined
        with data).
    column
        Numeric column to map; NaN/None/NA marks a unit without data.
    scheme, k, bins
        Classification (see :func:`spatialecon.maps.classify.classify`): ``"natural_breaks"``
        (Fisher–Jenks), ``"quantiles"``, ``"equal_interval"``, ``"std_mean"`` or
        ``"user_defined"`` with ``bins`` (upper class bounds). With fewer distinct values than
        ``k`` for natural breaks or quantiles, ``k`` is lowered with a warning.
    cmap
        Matplotlib colormap for the classes (sequential: ``"YlOrRd"``, ``"Blues"`` …).
    title, legend_title
        Map title (none by default: papers caption figures) and legend heading (default:
        ``column``).
    labels
        Column of ``gdf`` to label units with at their pole of inaccessibility: ``"short"``
        (北京, 内蒙古 …), ``"name_en"`` or ``None``. Skipped with a warning above 40 units,
        where labels would cover the map; pass ``None`` for prefecture and county maps.
    ax
        Draw into this axes (its figure is returned) instead of a new figure.
    inset
        National layout: the fixed national frame and the South China Sea inset in the lower
        right. ``False`` frames ``gdf`` alone, for regional maps.
    north_arrow, scale_bar
        Draw a north arrow (upper right) and a scale bar in km (lower left).
    missing_label
        Legend text of units without data, drawn hatched grey and counted.
    context_label
        Legend text of the parts of China outside ``gdf`` (Hong Kong, Macao and Taiwan for the
        31 mainland provinces), drawn plain light grey.
    note
        Small text under the map (data source, map approval number 审图号 …).
    figsize
        Inches; default 7 in wide (a full-width journal figure) and as tall as the frame needs.
    unit_edges
        Stroke the borders between units. ``None`` (default): only where the median unit is
        at least :data:`EDGE_MIN_PIXELS` pixels wide at 300 dpi — below that a hairline
        border covers most of a unit and a fine grid reads as a grey veil, not as data.
        Province borders and the national border are always drawn.

    Returns
    -------
    matplotlib.figure.Figure
        Not registered with pyplot: no need to close it; save it with :func:`save_figure`.

    Raises
    ------
    TypeError
        ``gdf`` is not a GeoDataFrame or ``column`` is not numeric.
    KeyError
        ``column`` (or the ``labels`` column) is not in ``gdf``; the message lists the columns.
    ValueError
        ``gdf`` has no CRS or no rows, ``column`` has no data to map or infinite values, or an
        invalid classification.

    Notes
    -----
    The projection is Albers equal-area (:data:`~spatialecon.geodata.boundaries.CHINA_ALBERS`),
    so areas compare truly. Its scale is exact along 25° N and 47° N and within 3 % elsewhere in
    China (0.98 at 36° N, 1.03 at 18° N along parallels), which bounds the error of the scale
    bar. The north arrow points up the central meridian (105° E); meridians lean by up to 18°
    at the frame's edges, as on every conic map of China. Calls :func:`use_chinese_font`, which
    changes matplotlib's global font settings.
    """
    check_column(gdf, column)
    if labels is not None:
        require_columns(gdf, [labels], "labels column")
    classes = classify(gdf[column], scheme=scheme, k=k, bins=bins, cmap=cmap, name=column)
    symbology = from_classification(classes, title=legend_title or column,
                                    missing_label=missing_label)
    return national_map(gdf, symbology, title=title, labels=labels, ax=ax, inset=inset,
                        north_arrow=north_arrow, scale_bar=scale_bar,
                        context_label=context_label, note=note, figsize=figsize,
                        unit_edges=unit_edges)


def national_map(
    gdf: gpd.GeoDataFrame,
    symbology: Symbology,
    *,
    title: str | None = None,
    labels: LabelColumn | str | None = "short",
    ax: Axes | None = None,
    inset: bool = True,
    north_arrow: bool = True,
    scale_bar: bool = True,
    legend: bool = True,
    missing_label: str = MISSING_LABEL,
    context_label: str = CONTEXT_LABEL,
    note: str | None = None,
    figsize: tuple[float, float] | None = None,
    unit_edges: bool | None = None,
) -> Figure:
    """Draw any :class:`~spatialecon.maps.symbology.Symbology` in the national layout.

    The layout of :func:`choropleth` (China Albers, South China Sea inset, north arrow, scale
    bar, legend with counts, hatched "no data", grey parts of China outside the data) for any
    legend: classes, LISA clusters, significance levels, categories.

    Parameters
    ----------
    gdf
        Units, with a CRS, indexed like ``symbology.codes``; units the symbology does not
        cover are drawn as "no data".
    symbology
        Legend and each unit's row in it.
    title
        Axes title.
    labels
        Column of ``gdf`` to label units with (``"short"``, ``"name_en"``) or ``None``.
    ax
        Draw into this axes instead of a new figure.
    inset, north_arrow, scale_bar
        As in :func:`choropleth`.
    legend
        Draw the legend in the map (``False`` when a figure shares one legend, as
        :func:`spatialecon.maps.multiples.small_multiples` does).
    missing_label, context_label, note, figsize, unit_edges
        As in :func:`choropleth`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"gdf must be a GeoDataFrame, not {type(gdf).__name__}")
    if len(gdf) == 0:
        raise MapError("gdf has no rows: no data to map")
    if gdf.crs is None:
        raise MapError(
            "gdf has no CRS; set one first, e.g. gdf.set_crs('EPSG:4326') for longitude/latitude"
        )
    if labels is not None:
        require_columns(gdf, [labels], "labels column")
    symbology = symbology.aligned(gdf.index, missing_label)
    # Only what is drawn travels: the geometry (projected once per content, see _albers), the
    # label and province columns, and each unit's legend row (the inset draws a subset).
    keep = [c for c in dict.fromkeys([labels, "province_adcode"]) if c in gdf.columns]
    gdf_albers = gpd.GeoDataFrame(gdf[keep].copy(), geometry=_albers(gdf.geometry),
                                  crs=CHINA_ALBERS)
    gdf_albers[_CODE] = symbology.codes.to_numpy()
    use_chinese_font()
    context = _national_context(gdf.attrs.get("simplify"))

    frame = NATIONAL_FRAME if inset else _padded(gdf_albers.total_bounds, 0.04)
    if ax is None:
        width = 7.0
        height = width * (frame[3] - frame[1]) / (frame[2] - frame[0])
        extra = (0.35 if title else 0.1) + (0.2 if note else 0.0)
        fig = Figure(figsize=figsize or (width, height + extra))
        top = 1 - (0.35 if title else 0.1) / (height + extra)
        bottom = (0.2 if note else 0.0) / (height + extra) + 0.01
        ax = fig.add_axes((0.01, bottom, 0.98, top - bottom))
    fig = ax.get_figure()

    uncovered = uncovered_provinces(context.provinces, gdf_albers)
    if unit_edges is None:
        unit_edges = _edges_visible(gdf_albers, ax, frame)
    _draw_layers(ax, gdf_albers, symbology, context, uncovered,
                 many=len(gdf_albers) > _MAX_LABELS, unit_edges=unit_edges)
    if labels is not None:
        _draw_labels(ax, gdf_albers, labels, context.provinces.loc[list(uncovered)])
    if inset:
        _draw_inset(ax, gdf_albers, symbology, context, uncovered, frame,
                    unit_edges=unit_edges)
    if north_arrow:
        _draw_north_arrow(ax, frame)
    if scale_bar:
        _draw_scale_bar(ax, frame)
    if legend:
        ax.legend(handles=legend_handles(symbology, context_label if len(uncovered) else None),
                  title=symbology.title, loc="lower left", bbox_to_anchor=(0.01, 0.1),
                  **LEGEND_STYLE)
    # Last, after every geopandas plot call: they relabel the axes and may autoscale.
    _set_frame(ax, frame)
    if title:
        ax.set_title(title, fontsize=11, pad=6)
    if note:
        fig.text(0.01, 0.01, note, fontsize=6, color="#555555", ha="left", va="bottom")
    return fig


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = 300) -> Path:
    """Write ``fig`` to ``path`` as PNG, SVG or PDF (by the extension), atomically.

    Parameters
    ----------
    fig
        The figure, e.g. from :func:`choropleth`.
    path
        ``.png``, ``.svg`` or ``.pdf``. Written to a temporary file beside it and renamed, so a
        crash never leaves a truncated map where a previous one stood.
    dpi
        Resolution of PNG output; 300 suits print. SVG and PDF are vector: it only sets their
        nominal size in pixels.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise MapError(f"save_figure writes .png, .svg or .pdf, not {path.suffix or path.name!r}")
    with atomic_path(path) as tmp:
        if fmt == "png":
            _save_png(fig, tmp, dpi)
        else:
            # The temporary name ends like the target; pass the format so it never depends on it.
            fig.savefig(tmp, format=fmt, dpi=dpi, facecolor="white")
    return path


PNG_COMPRESS_LEVEL = 3  # zlib level of the PNG maps (see _save_png)


def _save_png(fig: Figure, path: Path, dpi: int) -> None:
    """Write ``fig`` as an opaque RGB PNG at zlib level :data:`PNG_COMPRESS_LEVEL`.

    matplotlib writes RGBA at level 6; on white paper the alpha channel is all 255, and
    dropping it and compressing at level 3 halves the encoding time (the largest cost of a
    county map after drawing) with files a few per cent smaller; the pixels are the same.
    """
    import matplotlib
    from PIL import Image, PngImagePlugin

    buffer = io.BytesIO()
    fig.savefig(buffer, format="rgba", dpi=dpi, facecolor="white")
    raw = buffer.getvalue()
    width = int(fig.get_figwidth() * dpi)
    if width <= 0 or len(raw) % (4 * width):  # a size we cannot infer: matplotlib's own PNG
        fig.savefig(path, format="png", dpi=dpi, facecolor="white")
        return
    image = Image.frombuffer("RGBA", (width, len(raw) // (4 * width)), raw, "raw", "RGBA", 0, 1)
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"Matplotlib version{matplotlib.__version__}, "
                              "https://matplotlib.org/")
    image.convert("RGB").save(path, format="png", compress_level=PNG_COMPRESS_LEVEL,
                              dpi=(dpi, dpi), pnginfo=info)


# --- preparation ----------------------------------------------------------------------------


def _padded(bounds: np.ndarray, fraction: float) -> tuple[float, float, float, float]:
    xmin, ymin, xmax, ymax = map(float, bounds)
    pad = fraction * max(xmax - xmin, ymax - ymin)
    return (xmin - pad, ymin - pad, xmax + pad, ymax + pad)


class _Context:
    """The whole country in CHINA_ALBERS: provinces (with HK, Macao, Taiwan), its outline and
    the South China Sea line."""

    def __init__(self, simplify: float | None) -> None:
        self.provinces = boundaries("province", mainland_only=False, simplify=simplify).to_crs(
            CHINA_ALBERS
        )
        # The provinces form a coverage (shared borders), so the fast coverage union applies.
        self.outline = shapely.coverage_union_all(self.provinces.geometry.to_numpy())
        self.line = south_china_sea_line().to_crs(CHINA_ALBERS)

    # Stroked on every map: built once.
    @functools.cached_property
    def province_paths(self) -> list:
        return line_paths(self.provinces.geometry.to_numpy())

    @functools.cached_property
    def outline_paths(self) -> list:
        return line_paths(np.array([self.outline]))

    @functools.cached_property
    def sea_paths(self) -> list:
        return line_paths(self.line.geometry.to_numpy())


@functools.lru_cache(maxsize=4)
def _national_context(simplify: float | None) -> _Context:
    # Same simplification as the data where known, so the outlines match the units' borders.
    return _Context(None if simplify is None else float(simplify))


def uncovered_provinces(provinces: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> list[int]:
    """Province codes with no unit of ``units`` (Hong Kong, Macao, Taiwan for the mainland).

    Units without a ``province_adcode`` column (a grid, another country's units) cover a
    province when the units whose centroid lies in it add up to half its area or more
    (``provinces`` and ``units`` in one equal-area CRS): a point-in-polygon query, where the
    area of the union of a million cells would take minutes.
    """
    if "province_adcode" in units.columns:
        covered = set(units["province_adcode"].dropna().astype(int))
        return [code for code in provinces.index if code not in covered]
    geoms = units.geometry.to_numpy()
    tree = shapely.STRtree(shapely.centroid(geoms))
    where, which = tree.query(provinces.geometry.to_numpy(), predicate="contains")
    under = np.bincount(where, weights=shapely.area(geoms)[which], minlength=len(provinces))
    return list(provinces.index[under < 0.5 * shapely.area(provinces.geometry.to_numpy())])


# Projected geometries of recent calls, keyed by content: a study draws the same units on
# twenty maps, and projecting the 2,848 counties costs more than hashing their coordinates.
_ALBERS_CACHE: dict[tuple[str, bytes], np.ndarray] = {}
_ALBERS_CACHE_MAX = 8
_ALBERS_CACHE_UNITS = 100_000  # larger layers are projected afresh rather than kept alive


def _albers(geometry: gpd.GeoSeries) -> np.ndarray:
    """``geometry`` in CHINA_ALBERS as a shapely array (cached by content and CRS)."""
    geoms = geometry.to_numpy()
    if len(geoms) > _ALBERS_CACHE_UNITS:
        return geometry.to_crs(CHINA_ALBERS).to_numpy()
    digest = hashlib.blake2b(digest_size=20)
    for part in (shapely.get_type_id(geoms), shapely.get_num_coordinates(geoms),
                 shapely.get_coordinates(geoms)):
        digest.update(np.ascontiguousarray(part).tobytes())
    key = (str(geometry.crs), digest.digest())
    if key not in _ALBERS_CACHE:
        if len(_ALBERS_CACHE) >= _ALBERS_CACHE_MAX:
            _ALBERS_CACHE.pop(next(iter(_ALBERS_CACHE)))
        _ALBERS_CACHE[key] = geometry.to_crs(CHINA_ALBERS).to_numpy()
    return _ALBERS_CACHE[key].copy()


def _edges_visible(units: gpd.GeoDataFrame, ax: Axes,
                   frame: tuple[float, float, float, float]) -> bool:
    """Whether the median unit of ``units`` (CHINA_ALBERS) is at least EDGE_MIN_PIXELS wide
    at 300 dpi in ``ax`` framed on ``frame``."""
    width = ax.get_position().width * ax.get_figure().get_figwidth()
    pixels_per_metre = width * 300 / (frame[2] - frame[0])
    areas = shapely.area(units.geometry.to_numpy())
    areas = areas[areas > 0]
    return bool(len(areas)) and math.sqrt(float(np.median(areas))) * pixels_per_metre \
        >= EDGE_MIN_PIXELS


# --- drawing --------------------------------------------------------------------------------


def _draw_units(ax: Axes, units: gpd.GeoDataFrame, symbology: Symbology, *,
                linewidth: float | None) -> None:
    """Fill the units with their legend row's colour ("no data" hatched) and, unless
    ``linewidth`` is None, stroke their borders over all the fills."""
    codes = units[_CODE].to_numpy()
    geoms = units.geometry.to_numpy()
    missing_rows = np.array([entry.missing for entry in symbology.entries], dtype=bool)
    present = ~missing_rows[codes] if len(codes) else np.zeros(0, dtype=bool)
    if present.any():
        fill_polygons(ax, geoms[present], codes[present], list(symbology.colors))
    if (~present).any():
        missing = fill_polygons(ax, geoms[~present], np.zeros(int((~present).sum()), dtype=int),
                                [MISSING_COLOR], hatch=MISSING_HATCH)
        if missing is not None:
            missing.set_hatchcolor(MISSING_HATCH_COLOR)
            missing.set_hatch_linewidth(0.4)
    if linewidth is not None:
        stroke_lines(ax, geoms, color=EDGE_COLOR, linewidth=linewidth)


def _draw_layers(ax: Axes, units: gpd.GeoDataFrame, symbology: Symbology, context: _Context,
                 uncovered: list[int], *, many: bool, unit_edges: bool) -> None:
    others = context.provinces.loc[uncovered].geometry.to_numpy()
    fill_polygons(ax, others, np.zeros(len(others), dtype=int), [CONTEXT_COLOR])
    stroke_lines(ax, others, color=EDGE_COLOR, linewidth=0.3)
    # Hairlines between counties, firmer province borders on top, the national border firmest.
    _draw_units(ax, units, symbology,
                linewidth=(0.08 if many else 0.3) if unit_edges else None)
    if many:
        stroke_paths(ax, context.province_paths, color=EDGE_COLOR, linewidth=0.35)
    stroke_paths(ax, context.outline_paths, color=LINE_COLOR, linewidth=0.6)


def _set_frame(ax: Axes, frame: tuple[float, float, float, float]) -> None:
    ax.set_xlim(frame[0], frame[2])
    ax.set_ylim(frame[1], frame[3])
    # adjustable="box" keeps the limits and shrinks the axes instead: the frame stays exact.
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")  # geopandas labels projected axes "Easting [metre]"; a map needs none
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)


def _label_point(geom: shapely.Geometry) -> shapely.Point:
    """Pole of inaccessibility of the largest part: inside even for 甘肃 or 内蒙古, whose
    centroids fall outside or on a border."""
    parts = getattr(geom, "geoms", [geom])
    largest = max(parts, key=lambda p: p.area)
    # A 2 km simplification changes nothing visible at this scale and speeds polylabel up.
    return polylabel(largest.simplify(2_000), tolerance=2_000)


def _draw_labels(ax: Axes, units: gpd.GeoDataFrame, column: str,
                 context: gpd.GeoDataFrame) -> None:
    if len(units) > _MAX_LABELS:
        warnings.warn(
            f"{len(units)} units: labels skipped (they would cover the map above {_MAX_LABELS}); "
            "pass labels=None to silence this",
            UserWarning,
            stacklevel=3,
        )
        return
    halo = [patheffects.withStroke(linewidth=1.6, foreground="white", alpha=0.85)]
    size = 6.5 if column == "short" else 5.5
    # Also name the greyed parts of the country (台湾), but not ones too small to hold a name.
    extra = context[context.area > 10_000e6]
    for frame in (units, extra):
        text_column = column if column in frame.columns else "short"
        for code, row in frame.iterrows():
            text = row[text_column]
            if row.geometry is None or row.geometry.is_empty or pd.isna(text):
                continue
            point = _label_point(row.geometry)
            ax.annotate(str(text), (point.x, point.y), xytext=_LABEL_OFFSETS.get(code, (0, 0)),
                        textcoords="offset points", ha="center", va="center", fontsize=size,
                        color="#1a1a1a", path_effects=halo, annotation_clip=True)


def _inset_box(frame: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """(x, y, width, height) of the inset in main-map metres: flush with the lower-right corner."""
    height = INSET_HEIGHT * (frame[3] - frame[1])
    width = height * (INSET_EXTENT[2] - INSET_EXTENT[0]) / (INSET_EXTENT[3] - INSET_EXTENT[1])
    return (frame[2] - width, frame[1], width, height)


def _draw_inset(ax: Axes, units: gpd.GeoDataFrame, symbology: Symbology, context: _Context,
                uncovered: list[int], frame: tuple[float, float, float, float], *,
                unit_edges: bool) -> None:
    x, y, width, height = _inset_box(frame)
    inset = ax.inset_axes((x, y, width, height), transform=ax.transData)
    x0, y0, x1, y1 = INSET_EXTENT
    # Only what shows: a county map would otherwise be drawn (and stored in a PDF) twice.
    inside = units.cx[x0:x1, y0:y1]
    others = context.provinces.loc[uncovered].cx[x0:x1, y0:y1].geometry.to_numpy()
    fill_polygons(inset, others, np.zeros(len(others), dtype=int), [CONTEXT_COLOR])
    stroke_lines(inset, others, color=EDGE_COLOR, linewidth=0.2)
    _draw_units(inset, inside, symbology, linewidth=0.15 if unit_edges else None)
    stroke_paths(inset, context.outline_paths, color=LINE_COLOR, linewidth=0.4)
    stroke_paths(inset, context.sea_paths, color=LINE_COLOR, linewidth=0.9)
    _set_frame(inset, INSET_EXTENT)
    inset.set_facecolor("white")
    inset.text(0.93, 0.05, "南海诸岛", transform=inset.transAxes, ha="right", va="bottom",
               fontsize=6 * _font_scale(ax))
    # Main map: the dashes east and south of Taiwan that lie clear of the inset, as on
    # standard maps; the inset shows the whole line.
    box = shapely.box(x, y, x + width, y + height)
    dashes = shapely.get_parts(context.line.geometry.to_numpy())
    clear = dashes[~shapely.intersects(dashes, box)]
    stroke_lines(ax, clear, color=LINE_COLOR, linewidth=0.9)


def _font_scale(ax: Axes) -> float:
    """Text of the map furniture shrinks with the map: 1 for the 7 in wide national map,
    less for the panels of small multiples (whose arrow and bar shrink with the frame)."""
    width = ax.get_position().width * ax.get_figure().get_figwidth()
    return float(min(1.0, max(0.45, width / 6.9)))


def _draw_north_arrow(ax: Axes, frame: tuple[float, float, float, float]) -> None:
    span = frame[3] - frame[1]
    height, width = 0.075 * span, 0.032 * span
    cx = frame[2] - 0.06 * (frame[2] - frame[0])
    top = frame[3] - 0.06 * span
    bottom, notch = top - height, top - 0.72 * height
    # Two halves, dark and light, the usual arrow of printed maps.
    ax.add_patch(Polygon([(cx, top), (cx - width / 2, bottom), (cx, notch)], closed=True,
                         facecolor=LINE_COLOR, edgecolor=LINE_COLOR, linewidth=0.6))
    ax.add_patch(Polygon([(cx, top), (cx + width / 2, bottom), (cx, notch)], closed=True,
                         facecolor="white", edgecolor=LINE_COLOR, linewidth=0.6))
    # The CJK font has no bold face; the Latin "N" comes from DejaVu Sans Bold.
    ax.text(cx, top + 0.01 * span, "N", ha="center", va="bottom", fontsize=9 * _font_scale(ax),
            fontweight="bold",
            fontfamily="DejaVu Sans")


def _nice_length(max_metres: float) -> float:
    """Largest 1, 2, 2.5 or 5 × 10ⁿ km not above ``max_metres``."""
    km = max_metres / 1000
    magnitude = 10 ** math.floor(math.log10(km))
    step = max(m for m in (1, 2, 2.5, 5, 10) if m * magnitude <= km)
    return step * magnitude * 1000


def _draw_scale_bar(ax: Axes, frame: tuple[float, float, float, float]) -> None:
    width, span = frame[2] - frame[0], frame[3] - frame[1]
    length = _nice_length(0.2 * width)
    x0 = frame[0] + 0.3 * width
    y0 = frame[1] + 0.05 * span
    bar = 0.011 * span
    # Four alternating segments; the projection's metres are true to within 3 % (see Notes).
    for i in range(4):
        ax.add_patch(Rectangle((x0 + i * length / 4, y0), length / 4, bar, linewidth=0.5,
                               edgecolor=LINE_COLOR,
                               facecolor=LINE_COLOR if i % 2 == 0 else "white"))
    for fraction in (0, 0.5, 1):
        km = fraction * length / 1000
        ax.text(x0 + fraction * length, y0 + bar * 1.6, f"{km:g}", ha="center", va="bottom",
                fontsize=6 * _font_scale(ax))
    ax.text(x0 + length + 0.012 * width, y0 + bar / 2, "km", ha="left", va="center",
            fontsize=6 * _font_scale(ax))


def legend_handles(symbology: Symbology, context_label: str | None) -> list[Patch]:
    """Legend patches of ``symbology``: ``label  (n)`` per row, "no data" hatched, and the
    plain grey of the parts of China outside the data when ``context_label`` is given."""
    handles = []
    for entry in symbology.entries:
        text = entry.label if entry.count is None else f"{entry.label}  ({entry.count})"
        patch = Patch(facecolor=entry.color, edgecolor=EDGE_COLOR, linewidth=0.4, label=text,
                      hatch=MISSING_HATCH if entry.missing else None)
        if entry.missing:
            patch.set_hatchcolor(MISSING_HATCH_COLOR)
            patch.set_hatch_linewidth(0.4)
        handles.append(patch)
    if context_label:
        handles.append(Patch(facecolor=CONTEXT_COLOR, edgecolor=EDGE_COLOR, linewidth=0.4,
                             label=context_label))
    return handles
