"""Figures of geographical-detector results: the q bar chart and the interaction heat map.

Both take the tables of :mod:`spatialecon.geodetector` — what ``factor_detector`` and
``interaction_detector`` return, or the tidy ``factor`` / ``interaction`` tables of
``geodetector()``, whose grouping columns (``by=``) become one panel per group (全国, 东部,
中部, 西部 …). They return matplotlib Figures; write them with
:func:`spatialecon.maps.static.save_figure`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from spatialecon.geodetector import INTERACTION_TYPES
from spatialecon.maps.fonts import use_chinese_font

SIGNIFICANT_COLOR = "#c0392b"
NOT_SIGNIFICANT_COLOR = "#bdbdbd"
# Short marks printed in the heat-map cells, and their legend text.
TYPE_MARKS = {
    "Enhance, nonlinear": "NE",
    "Enhance, bi-": "BE",
    "Independent": "IN",
    "Weaken, uni-": "UW",
    "Weaken, nonlinear": "NW",
}
TYPE_NAMES_ZH = {
    "Enhance, nonlinear": "非线性增强",
    "Enhance, bi-": "双因子增强",
    "Independent": "独立",
    "Weaken, uni-": "单因子非线性减弱",
    "Weaken, nonlinear": "非线性减弱",
}
_STAT_COLUMNS = {"factor", "q", "F", "df1", "df2", "ncp", "p", "p_central", "n", "strata",
                 "singleton_strata", "factor_a", "factor_b", "q_a", "q_b", "type"}


def _groups(table: pd.DataFrame) -> list[tuple[tuple, pd.DataFrame]]:
    """The groups of the grouping columns (``attrs["by"]``, else any non-statistic column) in
    order of appearance (so 全国, added first by ``overall=``, stays first)."""
    by = list(table.attrs.get("by") or [c for c in table.columns if c not in _STAT_COLUMNS])
    if not by:
        return [((), table)]
    keys = list(dict.fromkeys(map(tuple, table[by].itertuples(index=False, name=None))))
    groups = []
    for key in keys:
        mask = np.logical_and.reduce([table[c].to_numpy() == v for c, v in zip(by, key,
                                                                                strict=True)])
        groups.append((key, table[mask]))
    return groups


def _panels(count: int, ncols: int | None, size: tuple[float, float]) -> tuple[Figure, list[Axes]]:
    ncols = ncols or min(count, 2)
    nrows = math.ceil(count / ncols)
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for ax in axes[count:]:
        ax.set_visible(False)
    return fig, axes[:count]


def _name(factor: Hashable, labels: Mapping[Hashable, str] | None) -> str:
    return str(labels.get(factor, factor)) if labels else str(factor)


def q_bar_chart(
    factor: pd.DataFrame,
    *,
    alpha: float = 0.05,
    p_column: str = "p",
    labels: Mapping[Hashable, str] | None = None,
    title: str | None = None,
    ncols: int | None = None,
) -> Figure:
    """Horizontal bars of q per factor, largest on top, coloured by significance.

    Parameters
    ----------
    factor
        :func:`~spatialecon.geodetector.factor_detector` output (indexed by factor) or the tidy
        ``GeodetectorResult.factor`` (one panel per group).
    alpha
        Bars with ``p_column < alpha`` are drawn in colour, the others in grey.
    p_column
        ``"p"`` (the published noncentral-F p) or ``"p_central"``.
    labels
        Display names of the factors, e.g. ``{"X1": "X1 政府引导"}``.
    title
        Figure title.
    ncols
        Panels per row when there are groups (default up to 2).

    Returns
    -------
    matplotlib.figure.Figure
    """
    use_chinese_font()
    table = factor if "factor" in factor.columns else factor.rename_axis("factor").reset_index()
    table.attrs = dict(factor.attrs)
    groups = _groups(table)
    fig, axes = _panels(len(groups), ncols, (4.8, 0.45 * table["factor"].nunique() + 1.2))
    q_max = float(table["q"].max()) if len(table) else 1.0
    for ax, (key, part) in zip(axes, groups, strict=True):
        part = part.sort_values("q", ascending=True)
        significant = part[p_column].to_numpy() < alpha
        colors = np.where(significant, SIGNIFICANT_COLOR, NOT_SIGNIFICANT_COLOR)
        names = [_name(f, labels) for f in part["factor"]]
        bars = ax.barh(names, part["q"].to_numpy(), color=colors, edgecolor="white", height=0.7)
        ax.bar_label(bars, labels=[f"{q:.3f}" for q in part["q"]], padding=2, fontsize=8)
        ax.set_xlim(0, min(1.0, q_max * 1.18 + 0.02))
        ax.set_xlabel("q 值 / q-statistic")
        ax.spines[["top", "right"]].set_visible(False)
        if key:
            ax.set_title(" · ".join(map(str, key)), fontsize=10)
    handles = [Patch(color=SIGNIFICANT_COLOR, label=f"p < {alpha:g}"),
               Patch(color=NOT_SIGNIFICANT_COLOR, label=f"p ≥ {alpha:g}")]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False, fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def interaction_heatmap(
    interaction: pd.DataFrame,
    *,
    labels: Mapping[Hashable, str] | None = None,
    title: str | None = None,
    language: str = "zh",
    cmap: str = "YlOrRd",
    ncols: int | None = None,
) -> Figure:
    """Lower-triangular matrix of q(Xi ∩ Xj), with each factor's own q on the diagonal and the
    interaction type marked in every cell.

    Parameters
    ----------
    interaction
        :func:`~spatialecon.geodetector.interaction_detector` output or the tidy
        ``GeodetectorResult.interaction`` (one panel per group).
    labels
        Display names of the factors.
    title
        Figure title.
    language
        ``"zh"`` or ``"en"`` for the legend of the type marks (NE, BE, IN, UW, NW).
    cmap
        Colormap of q; one scale, smallest to largest q shown, for all panels so they compare.
    ncols
        Panels per row when there are groups.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if language not in ("zh", "en"):
        raise ValueError(f"language must be 'zh' or 'en', not {language!r}")
    use_chinese_font()
    groups = _groups(interaction)
    n_factors = len(pd.unique(interaction[["factor_a", "factor_b"]].to_numpy().ravel()))
    side = 0.75 * n_factors + 1.6
    fig, axes = _panels(len(groups), ncols, (side + 0.6, side))
    values = interaction[["q", "q_a", "q_b"]].to_numpy(dtype=float)
    # one scale over every panel's cells, from the smallest q shown, so differences show
    norm = Normalize(float(np.nanmin(values)) if len(interaction) else 0.0,
                     float(np.nanmax(values)) if len(interaction) else 1.0)
    colormap = colormaps[cmap]
    image = None
    for ax, (key, part) in zip(axes, groups, strict=True):
        factors = list(pd.unique(part[["factor_a", "factor_b"]].to_numpy().ravel()))
        position = {f: i for i, f in enumerate(factors)}
        k = len(factors)
        matrix = np.full((k, k), np.nan)
        marks = np.full((k, k), "", dtype=object)
        for row in part.itertuples(index=False):
            a, b = position[row.factor_a], position[row.factor_b]
            low, high = max(a, b), min(a, b)
            matrix[low, high] = row.q
            marks[low, high] = TYPE_MARKS.get(row.type, "")
            matrix[a, a], matrix[b, b] = row.q_a, row.q_b
        image = ax.imshow(np.ma.masked_invalid(matrix), cmap=colormap, norm=norm)
        for i in range(k):
            for j in range(i + 1):
                value = matrix[i, j]
                if np.isnan(value):
                    continue
                dark = norm(value) > 0.6
                text = f"{value:.3f}" + (f"\n{marks[i, j]}" if marks[i, j] else "")
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")
        names = [_name(f, labels) for f in factors]
        ax.set_xticks(range(k), names, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(k), names, fontsize=8)
        ax.spines[:].set_visible(False)
        ax.tick_params(length=0)
        if key:
            ax.set_title(" · ".join(map(str, key)), fontsize=10)
    if image is not None:
        bar = fig.colorbar(image, ax=axes, shrink=0.7)
        bar.set_label(r"$q(X_i \cap X_j)$", fontsize=9)
        bar.ax.tick_params(labelsize=8)
    names = TYPE_NAMES_ZH if language == "zh" else {t: t for t in INTERACTION_TYPES}
    present = [t for t in INTERACTION_TYPES if (interaction["type"] == t).any()]
    legend = "   ".join(f"{TYPE_MARKS[t]} = {names[t]}" for t in reversed(present))
    # a figure-level x label, so constrained layout keeps it clear of the tick labels
    fig.supxlabel(legend + ("   (对角线 = 单因子 q)" if language == "zh"
                            else "   (diagonal = q of each factor)"), fontsize=8)
    if title:
        fig.suptitle(title)
    return fig
