"""Figures of distribution dynamics: kernel density curves, ridges and surfaces, Markov heat maps
and the map of each unit's most likely next class.

The density figures take the tidy table of :func:`spatialecon.dynamics.kernel_density`
(``year, group, x, density``); the heat maps and the map take the results of
:func:`spatialecon.dynamics.markov`, :func:`~spatialecon.dynamics.spatial_markov` and
:func:`~spatialecon.dynamics.lisa_markov`. All return matplotlib Figures (not registered with
pyplot); write them with :func:`spatialecon.maps.static.save_figure`. Text is CJK-safe through
:func:`spatialecon.maps.fonts.use_chinese_font`.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from spatialecon.dynamics.markov import (
    LISAMarkovResult,
    MarkovResult,
    SpatialMarkovResult,
    class_labels,
    most_likely_next,
)
from spatialecon.maps.classify import MapError, class_colors
from spatialecon.maps.fonts import use_chinese_font

Lang = Literal["en", "zh"]
_TEXT = {"en": {"value": "value", "density": "density", "year": "year", "next": "class at t+1",
                "t": "class at t", "classical": "classical", "lag": "neighbours",
                "next_class": "most likely next class"},
         "zh": {"value": "取值", "density": "核密度", "year": "年份", "next": "t+1 期类型",
                "t": "t 期类型", "classical": "传统", "lag": "邻域",
                "next_class": "下一期最可能类型"}}
_COLUMNS = {"year", "group", "x", "density"}


def _check_table(table: pd.DataFrame) -> None:
    if not isinstance(table, pd.DataFrame) or not set(table.columns) >= _COLUMNS:
        raise MapError("expected the table of spatialecon.dynamics.kernel_density (columns "
                       "year, group, x, density)")
    if table.empty:
        raise MapError("the density table has no rows")


def _one_group(table: pd.DataFrame, group: Any) -> tuple[pd.DataFrame, Any]:
    groups = list(pd.unique(table["group"]))
    if group is None:
        if len(groups) > 1:
            raise MapError(f"the table has {len(groups)} groups ({', '.join(map(str, groups))});"
                           " pick one with group=")
        group = groups[0]
    elif group not in groups:
        raise MapError(f"group {group!r} is not in the table; it has "
                       f"{', '.join(map(str, groups))}")
    return table[table["group"] == group], group


def _year_colors(years: list[Any], cmap: str) -> dict[Any, Any]:
    colormap = colormaps[cmap]
    positions = [0.5] if len(years) == 1 else np.linspace(0.05, 0.95, len(years))
    return {y: colormap(p) for y, p in zip(years, positions, strict=True)}


def _year_text(year: Any) -> str:
    return "all years" if year == -1 else str(year)


def density_curves(table: pd.DataFrame, *, cmap: str = "viridis", lang: Lang = "en",
                   ncols: int | None = None, figsize: tuple[float, float] = (5.0, 3.6)
                   ) -> Figure:
    """Overlaid kernel density curves, one per year (one panel per group).

    Parameters
    ----------
    table
        :func:`spatialecon.dynamics.kernel_density`'s table.
    cmap
        Colormap running through the years (early → late).
    lang
        Axis labels in English or Chinese.
    ncols, figsize
        Panels per row (default up to 2) and the size of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_table(table)
    use_chinese_font()
    text = _TEXT[lang]
    groups = list(pd.unique(table["group"]))
    years = list(pd.unique(table["year"]))
    colors = _year_colors(years, cmap)
    ncols = ncols or min(len(groups), 2)
    nrows = math.ceil(len(groups) / ncols)
    fig = Figure(figsize=(figsize[0] * ncols, figsize[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(groups):]:
        ax.set_visible(False)
    for ax, group in zip(axes, groups, strict=False):
        rows = table[table["group"] == group]
        for year in years:
            curve = rows[rows["year"] == year]
            ax.plot(curve["x"], curve["density"], color=colors[year], lw=1.3,
                    label=_year_text(year))
        ax.set_xlabel(table.attrs.get("variable") or text["value"])
        ax.set_ylabel(text["density"])
        if len(groups) > 1:
            ax.set_title(str(group), fontsize=10)
        ax.legend(fontsize=7, ncols=1 + len(years) // 8, frameon=False)
    return fig


def _groups_to_draw(table: pd.DataFrame, group: Any) -> list[tuple[Any, pd.DataFrame]]:
    """One (group, rows) per panel: the chosen group, else every group of the table."""
    if group is not None:
        rows, group = _one_group(table, group)
        return [(group, rows)]
    return [(g, table[table["group"] == g]) for g in pd.unique(table["group"])]


def density_ridges(table: pd.DataFrame, *, group: Any = None, overlap: float = 0.6,
                   cmap: str = "viridis", lang: Lang = "en",
                   figsize: tuple[float, float] | None = None) -> Figure:
    """Ridge plot: one filled density per year, stacked upwards from the first year (one panel
    per group, side by side, unless ``group=`` picks one).

    Parameters
    ----------
    table
        :func:`spatialecon.dynamics.kernel_density`'s table.
    group
        The one group to draw (default: every group, a panel each).
    overlap
        How far each ridge reaches into the one above (0: none; 1: one full step).
    cmap, lang, figsize
        Colours through the years, labels' language, inches (of the whole figure).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_table(table)
    panels = _groups_to_draw(table, group)
    use_chinese_font()
    text = _TEXT[lang]
    years = list(pd.unique(table["year"]))
    colors = _year_colors(years, cmap)
    height = float(table["density"].max()) or 1.0
    step = height * (1.0 - min(max(overlap, 0.0), 0.95))
    size = figsize or (5.0 * len(panels), 1.2 + 0.35 * len(years))
    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False, sharey=True).ravel()
    for ax, (name, rows) in zip(axes, panels, strict=True):
        for i, year in enumerate(years):
            curve = rows[rows["year"] == year]
            base = i * step
            z = len(years) - i  # earlier ridges in front of later ones
            ax.fill_between(curve["x"], base, base + curve["density"], color=colors[year],
                            alpha=0.8, zorder=z, lw=0)
            ax.plot(curve["x"], base + curve["density"], color="black", lw=0.7, zorder=z)
        ax.set_yticks([i * step for i in range(len(years))], [_year_text(y) for y in years])
        ax.set_xlabel(table.attrs.get("variable") or text["value"])
        ax.spines[["top", "right"]].set_visible(False)
        if len(pd.unique(table["group"])) > 1:
            ax.set_title(str(name), fontsize=10)
    axes[0].set_ylabel(text["year"])
    return fig


def density_surface(table: pd.DataFrame, *, group: Any = None, cmap: str = "viridis",
                    lang: Lang = "en", elev: float = 28.0, azim: float = -60.0,
                    figsize: tuple[float, float] | None = None) -> Figure:
    """The 3-D surface year × value × density (三维核密度图), one per group (side by side)
    unless ``group=`` picks one.

    Parameters
    ----------
    table
        :func:`spatialecon.dynamics.kernel_density`'s table (``by="year"``, two or more
        years).
    group
        The one group to draw (default: every group, a panel each).
    cmap, lang
        Surface colours and labels' language.
    elev, azim
        View angles (degrees), as :meth:`mpl_toolkits.mplot3d.axes3d.Axes3D.view_init`.
    figsize
        Inches (default 7 × 5 per panel).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_table(table)
    panels = _groups_to_draw(table, group)
    years = sorted(pd.unique(table["year"]))
    if len(years) < 2:
        raise MapError("a density surface needs two or more years (kernel_density(by='year'))")
    use_chinese_font()
    text = _TEXT[lang]
    fig = Figure(figsize=figsize or (7.0 * len(panels), 5.0), layout="constrained")
    for i, (name, rows) in enumerate(panels):
        grid = rows.pivot(index="year", columns="x", values="density").loc[years]
        X, Y = np.meshgrid(grid.columns.to_numpy(dtype=float), np.asarray(years, dtype=float))
        ax = fig.add_subplot(1, len(panels), i + 1, projection="3d")
        ax.plot_surface(X, Y, grid.to_numpy(), cmap=cmap, rstride=1, cstride=2, linewidth=0.1,
                        edgecolor="#555555", antialiased=True)
        ax.set_xlabel(table.attrs.get("variable") or text["value"])
        ax.set_ylabel(text["year"])
        ax.set_yticks(years if len(years) <= 8 else years[:: -(-len(years) // 8)])
        ax.set_zlabel(text["density"])
        ax.view_init(elev=elev, azim=azim)
        if len(pd.unique(table["group"])) > 1:
            ax.set_title(str(name), fontsize=10)
    return fig


def _heat(ax: Axes, p: np.ndarray, labels: list[str], title: str, text: dict[str, str], *,
          cmap: str, annotate: bool, n: np.ndarray) -> Any:
    image = ax.imshow(p, cmap=cmap, vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(labels)), [f"{lab} (n={int(c)})" for lab, c in
                                       zip(labels, n, strict=True)], fontsize=7)
    ax.set_xlabel(text["next"], fontsize=8)
    ax.set_ylabel(text["t"], fontsize=8)
    ax.set_title(title, fontsize=9)
    if annotate:
        for i in range(p.shape[0]):
            for j in range(p.shape[1]):
                ax.text(j, i, f"{p[i, j]:.2f}", ha="center", va="center", fontsize=6.5,
                        color="white" if p[i, j] > 0.6 else "black")
    return image


def markov_heatmap(result: MarkovResult | SpatialMarkovResult | LISAMarkovResult, *,
                   cmap: str = "Blues", lang: Lang = "en", annotate: bool = True,
                   classical: bool = True, size: float = 3.4) -> Figure:
    """Heat map of a transition matrix; for a spatial Markov result the conditional matrices
    side by side (the classical one first, unless ``classical=False``).

    Parameters
    ----------
    result
        A :func:`spatialecon.dynamics.markov`, ``spatial_markov`` or ``lisa_markov`` result.
    cmap
        Colormap of the probabilities (0 … 1).
    lang
        Labels in English or Chinese.
    annotate
        Print each probability in its cell.
    classical
        With a spatial result, draw the classical matrix as the first panel.
    size
        Inches per panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    use_chinese_font()
    text = _TEXT[lang]
    labels = result.labels(lang)
    if isinstance(result, SpatialMarkovResult):
        lag_labels = class_labels(result.m, lang)
        panels = ([(result.p, result.transitions, text["classical"])] if classical else []) + [
            (result.P[i], result.T[i], f"{text['lag']} {lag_labels[i]}")
            for i in range(result.m)]
    elif isinstance(result, (MarkovResult, LISAMarkovResult)):
        panels = [(result.p, result.transitions, "")]
    else:
        raise MapError("markov_heatmap takes a result of spatialecon.dynamics.markov, "
                       f"spatial_markov or lisa_markov, not {type(result).__name__}")
    fig = Figure(figsize=(size * len(panels) + 0.8, size + 0.4), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False).ravel()
    image = None
    for ax, (p, counts, title) in zip(axes, panels, strict=True):
        image = _heat(ax, np.asarray(p, dtype=float), labels, title, text, cmap=cmap,
                      annotate=annotate, n=np.asarray(counts).sum(axis=1))
    fig.colorbar(image, ax=list(axes), shrink=0.8, label="p")
    return fig


def next_class_map(units_gdf: Any, result: MarkovResult | SpatialMarkovResult,
                   values: Any = None, *, cmap: str = "RdYlBu_r", lang: Lang = "en",
                   title: str | None = None, labels: str | None = "short",
                   **layout: Any) -> Figure:
    """Map of each unit's most likely class one step ahead, in the national layout.

    Parameters
    ----------
    units_gdf
        Units (GeoDataFrame with a CRS indexed by ``adcode``), e.g.
        ``spatialecon.geodata.boundaries("province")``.
    result
        A :func:`spatialecon.dynamics.markov` or ``spatial_markov`` result.
    values
        ``None``: start from the result's last year; else values classed by the result's
        breaks (see :func:`spatialecon.dynamics.markov.most_likely_next`).
    cmap
        Colormap of the classes (low → high).
    lang
        Legend in English or Chinese.
    title, labels
        Map title and the label column (``None`` for many units).
    **layout
        Passed to :func:`spatialecon.maps.static.national_map` (``inset``, ``note`` …).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from spatialecon.maps.static import national_map
    from spatialecon.maps.symbology import categorical

    if not isinstance(result, (MarkovResult, SpatialMarkovResult)):
        raise MapError("next_class_map takes a result of spatialecon.dynamics.markov or "
                       f"spatial_markov, not {type(result).__name__}")
    nxt = most_likely_next(result, values)
    names = result.labels(lang)
    colors = dict(zip(names, class_colors(cmap, result.k), strict=True))
    category = pd.Series([names[int(v)] if pd.notna(v) else None for v in nxt["next"]],
                         index=nxt.index, dtype=object).reindex(units_gdf.index)
    symbology = categorical(category, colors, title=_TEXT[lang]["next_class"], order=names)
    if labels is not None and labels not in units_gdf.columns:
        labels = None
    return national_map(units_gdf, symbology, title=title, labels=labels, **layout)
