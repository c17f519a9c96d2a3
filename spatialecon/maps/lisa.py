"""Maps and plots of local Moran's I (LISA): cluster maps, significance maps, Moran scatterplots.

Colours are GeoDa's, so maps read as analysts expect: in GeoDa's source (``libgeoda``
``UniLocalMoran``, indexed by cluster code) not significant ``#eeeeee``, High-High ``#FF0000``,
Low-Low ``#0000FF``, Low-High ``#a7adf9``, High-Low ``#f4ada8``, neighbourless ``#999999``; and
the significance map's greens of GeoDa's ``LisaMapNewView`` (p = 0.05 ``#4bff50``, 0.01
``#06c40b``, 0.001 ``#037406``, 0.0001 ``#014603``). The legend follows GeoDa's order (not
significant, HH, LL, LH, HL, neighbourless) with the count of each category.

Every function takes the frame of :func:`spatialecon.autocorrelation.local_moran` (indexed by
``adcode``) or of :func:`~spatialecon.autocorrelation.lisa_over_time` (indexed by ``adcode`` and
``year``, pick one with ``year=``). The maps draw in the national layout of
:func:`spatialecon.maps.static.national_map`; the HTML maps use the same symbologies
(:func:`cluster_symbology`, :func:`significance_symbology`).

Every legend of clusters or significance ends with the line of
:func:`~spatialecon.autocorrelation.inference_note` — the alternative, the permutations and the
p adjustment that produced the map, from the frame's ``attrs`` — also under a heading the
caller chose, so a map never travels without the test behind it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from spatialecon.autocorrelation import NEIGHBOURLESS, NOT_SIGNIFICANT, inference_note
from spatialecon.maps.classify import MapError
from spatialecon.maps.fonts import use_chinese_font
from spatialecon.maps.static import CONTEXT_LABEL, LabelColumn, national_map
from spatialecon.maps.symbology import MISSING_LABEL, Symbology, categorical

# GeoDa (libgeoda UniLocalMoran: colours indexed by cluster code 0 not significant, 1 HH,
# 2 LL, 3 LH, 4 HL, 6 neighbourless).
LISA_COLORS: dict[str, str] = {
    NOT_SIGNIFICANT: "#eeeeee",
    "HH": "#ff0000",
    "LL": "#0000ff",
    "LH": "#a7adf9",
    "HL": "#f4ada8",
    NEIGHBOURLESS: "#999999",
}
LISA_ORDER: tuple[str, ...] = (NOT_SIGNIFICANT, "HH", "LL", "LH", "HL", NEIGHBOURLESS)
LISA_LABELS: dict[str, str] = {
    NOT_SIGNIFICANT: "不显著 / not significant",
    "HH": "高-高 / High-High",
    "LL": "低-低 / Low-Low",
    "LH": "低-高 / Low-High",
    "HL": "高-低 / High-Low",
    NEIGHBOURLESS: "无邻居 / neighbourless",
}
LISA_LABELS_EN: dict[str, str] = {
    NOT_SIGNIFICANT: "Not significant",
    "HH": "High-High",
    "LL": "Low-Low",
    "LH": "Low-High",
    "HL": "High-Low",
    NEIGHBOURLESS: "Neighbourless",
}
# GeoDa's LisaMapNewView: p = 0.05 (75, 255, 80), 0.01 (6, 196, 11), 0.001 (3, 116, 6),
# 0.0001 (1, 70, 3).
SIGNIFICANCE_COLORS: dict[float, str] = {
    0.05: "#4bff50",
    0.01: "#06c40b",
    0.001: "#037406",
    0.0001: "#014603",
}
SIGNIFICANCE_LEVELS: tuple[float, ...] = tuple(SIGNIFICANCE_COLORS)
# Points of a scatterplot: GeoDa's polygon grey for "not significant" vanishes on white paper;
# GeoDa itself uses (190, 190, 190) for points.
_POINT_GREY = "#bebebe"
_MAX_POINT_LABELS = 40


def one_year(lisa: pd.DataFrame, year: object | None) -> pd.DataFrame:
    """The rows of one year of a :func:`~spatialecon.autocorrelation.lisa_over_time` frame,
    indexed by ``adcode``; a :func:`~spatialecon.autocorrelation.local_moran` frame as it is.

    Raises
    ------
    ValueError
        ``year`` is needed (several years) or absent.
    """
    if isinstance(lisa.index, pd.MultiIndex) and "year" in lisa.index.names:
        years = list(dict.fromkeys(lisa.index.get_level_values("year")))
        if year is None:
            if len(years) != 1:
                raise MapError(f"the LISA frame has several years {years}: pass year=")
            year = years[0]
        if year not in years:
            raise MapError(f"year {year!r} not in the LISA frame; it has {years}")
        frame = lisa.xs(year, level="year")
        frame.attrs = {**lisa.attrs, "year": year}
        return frame
    if year is not None and "year" in lisa.columns:
        frame = lisa[lisa["year"] == year]
        frame.attrs = {**lisa.attrs, "year": year}
        return frame
    return lisa


def _require(lisa: pd.DataFrame, columns: Sequence[str]) -> None:
    absent = [c for c in columns if c not in lisa.columns]
    if absent:
        raise KeyError(f"the LISA frame lacks {', '.join(map(repr, absent))} (has "
                       f"{', '.join(map(str, lisa.columns))}); pass the result of local_moran "
                       "or lisa_over_time")


def _p_column(lisa: pd.DataFrame, p_column: str | None) -> str:
    if p_column is not None:
        _require(lisa, [p_column])
        return p_column
    for name in ("p_adjusted", "p_sim"):
        if name in lisa.columns:
            return name
    raise KeyError("the LISA frame has no p-values (p_adjusted, p_sim): run local_moran with "
                   "permutations > 0")


def _tooltip_text(lisa: pd.DataFrame) -> pd.Series:
    # Plain arrays, not lisa.at[…] per unit: each pandas lookup deep-copies the frame's attrs
    # (weights metadata and all), 35 s for a county study's LISA layers.
    p = lisa["p_adjusted"] if "p_adjusted" in lisa.columns else lisa.get("p_sim")
    ii = lisa["Ii"].to_numpy(dtype=float, na_value=np.nan) if "Ii" in lisa.columns else None
    pv = None if p is None else p.to_numpy(dtype=float, na_value=np.nan)
    parts = []
    for k in range(len(lisa)):
        text = f"I = {ii[k]:.3f}" if ii is not None else ""
        if pv is not None and not np.isnan(pv[k]):
            text += f", p = {pv[k]:.4g}"
        parts.append(text)
    return pd.Series(parts, index=lisa.index, dtype=object)


def cluster_symbology(
    lisa: pd.DataFrame,
    *,
    year: object | None = None,
    column: str = "cluster",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    missing_label: str = MISSING_LABEL,
) -> Symbology:
    """The legend of a LISA cluster map: GeoDa's colours, order and counts.

    Parameters
    ----------
    lisa
        :func:`~spatialecon.autocorrelation.local_moran` or
        :func:`~spatialecon.autocorrelation.lisa_over_time` output.
    year
        The year to map, for a frame of several years.
    column
        ``"cluster"`` (significant quadrants) or ``"quadrant"`` (all units, no inference).
    labels
        Legend text by category (default :data:`LISA_LABELS`, Chinese and English;
        :data:`LISA_LABELS_EN` for English only).
    title
        Legend heading (default: "LISA 聚类 / clusters" and the year). For ``"cluster"`` the
        inference line (alternative, significance level, permutations, p adjustment, from the
        frame's ``attrs``) follows it in parentheses, under a given heading too.
    missing_label
        Text of units without a LISA value.

    Returns
    -------
    Symbology
        Rows not significant, HH, LL, LH, HL always (with their counts, zeros included, as
        GeoDa lists them), neighbourless when there are such units.
    """
    frame = one_year(lisa, year)
    _require(frame, [column])
    attrs = frame.attrs
    if title is None:
        if column == "quadrant" or not attrs.get("permutations"):
            title = f"Moran 散点图象限 / scatterplot quadrants{_year_suffix(attrs)}"
        else:
            title = f"LISA 聚类 / clusters{_year_suffix(attrs)}"
    if column == "cluster":  # the quadrant column involves no test
        title = f"{title}\n({inference_note(attrs)})"
    order = LISA_ORDER if column == "cluster" else tuple(q for q in LISA_ORDER
                                                         if q != NOT_SIGNIFICANT)
    return categorical(frame[column], LISA_COLORS, title=title, labels=labels or LISA_LABELS,
                       order=order, show_empty=[c for c in order if c != NEIGHBOURLESS],
                       missing_label=missing_label, value_text=_tooltip_text(frame),
                       value_label="Local Moran", class_label="LISA")


def significance_symbology(
    lisa: pd.DataFrame,
    *,
    year: object | None = None,
    p_column: str | None = None,
    levels: Sequence[float] = SIGNIFICANCE_LEVELS,
    alpha: float | None = None,
    permutations: int | None = None,
    title: str | None = None,
    missing_label: str = MISSING_LABEL,
) -> Symbology:
    """The legend of a LISA significance map: each unit at the strictest level its pseudo
    p-value meets, in GeoDa's greens.

    Parameters
    ----------
    lisa, year
        As in :func:`cluster_symbology`.
    p_column
        Column of p-values (default ``p_adjusted``, which equals ``p_sim`` without
        ``adjust``).
    levels
        Significance levels, from :data:`SIGNIFICANCE_LEVELS` (0.05, 0.01, 0.001, 0.0001).
    alpha
        Units with p above it are "not significant" (default: the frame's ``attrs["alpha"]``,
        else 0.05); levels above it are not shown.
    permutations
        Levels below ``1 / (permutations + 1)``, which no pseudo p-value can reach, are not
        shown, as in GeoDa (default: the frame's ``attrs["permutations"]``).
    title, missing_label
        Legend heading (default: "LISA 显著性 / significance" and the year; the inference
        line — alternative, permutations, p adjustment — follows it, under a given heading
        too) and text of units without a value.
    """
    frame = one_year(lisa, year)
    column = _p_column(frame, p_column)
    alpha = float(frame.attrs.get("alpha", 0.05) if alpha is None else alpha)
    permutations = frame.attrs.get("permutations") if permutations is None else permutations
    unknown = [lv for lv in levels if lv not in SIGNIFICANCE_COLORS]
    if unknown:
        raise MapError(f"levels must be among {list(SIGNIFICANCE_LEVELS)}, not {unknown}")
    floor = 1.0 / (permutations + 1) if permutations else 0.0
    shown = sorted((lv for lv in levels if lv <= alpha + 1e-15 and lv >= floor), reverse=True)
    p = frame[column].to_numpy(dtype="float64")
    category = np.full(len(frame), NOT_SIGNIFICANT, dtype=object)
    for level in shown:  # loosest first, so each unit ends at the strictest level it meets
        category[p <= level] = _level_name(level)
    category[np.isnan(p)] = None
    if "cluster" in frame.columns:
        category[(frame["cluster"] == NEIGHBOURLESS).to_numpy()] = NEIGHBOURLESS
    colors = {NOT_SIGNIFICANT: LISA_COLORS[NOT_SIGNIFICANT],
              **{_level_name(lv): SIGNIFICANCE_COLORS[lv] for lv in shown},
              NEIGHBOURLESS: LISA_COLORS[NEIGHBOURLESS]}
    labels = {NOT_SIGNIFICANT: LISA_LABELS[NOT_SIGNIFICANT],
              NEIGHBOURLESS: LISA_LABELS[NEIGHBOURLESS]}
    if title is None:
        title = f"LISA 显著性 / significance{_year_suffix(frame.attrs)}"
    # The levels are the legend's rows; the line says which p they were read from (p_sim is
    # the unadjusted one, whatever the frame's adjustment).
    tested = {**frame.attrs, "permutations": permutations}
    if column == "p_sim":
        tested["adjust"] = None
    title = f"{title}\n({inference_note(tested, alpha=False)})"
    values = pd.Series(category, index=frame.index, dtype=object)
    return categorical(values, colors, title=title, labels=labels,
                       show_empty=[c for c in colors if c != NEIGHBOURLESS],
                       missing_label=missing_label, value_text=_tooltip_text(frame),
                       value_label="Local Moran", class_label="显著性 / significance")


def _year_suffix(attrs: Mapping) -> str:
    return f" {attrs['year']}" if "year" in attrs else ""


def _level_name(level: float) -> str:
    return f"p ≤ {level:g}"


def lisa_cluster_map(
    gdf: gpd.GeoDataFrame,
    lisa: pd.DataFrame,
    *,
    year: object | None = None,
    column: str = "cluster",
    cluster_labels: Mapping[str, str] | None = None,
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
) -> Figure:
    """A LISA cluster map in GeoDa's colours with the count of each category in the legend.

    Parameters
    ----------
    gdf
        Boundaries (with a CRS) indexed by ``adcode``, e.g.
        ``boundaries("province", simplify=0.01)``; units absent from ``lisa`` are "no data".
    lisa
        :func:`~spatialecon.autocorrelation.local_moran` or
        :func:`~spatialecon.autocorrelation.lisa_over_time` output.
    year
        The year, for a frame of several years.
    column, cluster_labels, legend_title
        See :func:`cluster_symbology` (``labels`` there); ``cluster_labels=LISA_LABELS_EN``
        gives an English legend.
    title, labels, ax, inset, north_arrow, scale_bar, missing_label, context_label, note, figsize
        As in :func:`spatialecon.maps.static.choropleth` (``labels="name_en"`` for English
        unit names).

    Returns
    -------
    matplotlib.figure.Figure
    """
    symbology = cluster_symbology(lisa, year=year, column=column, labels=cluster_labels,
                                  title=legend_title, missing_label=missing_label)
    return national_map(gdf, symbology, title=title, labels=labels, ax=ax, inset=inset,
                        north_arrow=north_arrow, scale_bar=scale_bar,
                        missing_label=missing_label, context_label=context_label, note=note,
                        figsize=figsize)


def significance_map(
    gdf: gpd.GeoDataFrame,
    lisa: pd.DataFrame,
    *,
    year: object | None = None,
    p_column: str | None = None,
    levels: Sequence[float] = SIGNIFICANCE_LEVELS,
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
) -> Figure:
    """A LISA significance map: units shaded by the strictest level (p ≤ 0.05, 0.01, 0.001,
    0.0001) their pseudo p-value meets, in GeoDa's greens; see :func:`significance_symbology`.

    Parameters are those of :func:`lisa_cluster_map`, with ``p_column`` and ``levels`` of
    :func:`significance_symbology`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    symbology = significance_symbology(lisa, year=year, p_column=p_column, levels=levels,
                                       title=legend_title, missing_label=missing_label)
    return national_map(gdf, symbology, title=title, labels=labels, ax=ax, inset=inset,
                        north_arrow=north_arrow, scale_bar=scale_bar,
                        missing_label=missing_label, context_label=context_label, note=note,
                        figsize=figsize)


def moran_scatterplot(
    lisa: pd.DataFrame,
    *,
    year: object | None = None,
    labels: pd.Series | None = None,
    label_units: Literal["all", "significant"] | None = None,
    color_by: Literal["cluster", "quadrant"] | None = "cluster",
    cluster_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (4.8, 4.6),
) -> Figure:
    """The Moran scatterplot: each unit's standardised value ``z`` against its spatial lag
    ``Wz``, with the regression line whose slope is Moran's I and the quadrants labelled.

    Parameters
    ----------
    lisa
        :func:`~spatialecon.autocorrelation.local_moran` or
        :func:`~spatialecon.autocorrelation.lisa_over_time` output (columns ``z``, ``lag``,
        and ``cluster`` to colour by), or :func:`~spatialecon.autocorrelation.local_moran_bv`
        output (``zx`` against ``lag_y``: the slope is then the bivariate Moran's I).
    year
        The year, for a frame of several years.
    labels
        Text of each unit (e.g. ``boundaries("province")["short"]`` or ``["name_en"]``),
        indexed by ``adcode``; ``None`` writes no names.
    label_units
        Which units to name: ``"all"`` or ``"significant"`` (members of a cluster). Default:
        all up to 40 units, else the significant ones.
    color_by
        Colour the points by ``"cluster"`` (GeoDa's colours, grey when not significant), by
        ``"quadrant"`` (every point its quadrant's colour) or not at all (``None``).
    cluster_labels
        Legend text by category (default :data:`LISA_LABELS`).
    title
        Axes title (default: "Moran's I = …" and the variable).
    xlabel, ylabel
        Axis titles (default: the variable's name, "z" and "Wz").
    ax
        Draw into this axes.
    figsize
        Inches, for a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    With row-standardised weights, the least-squares slope of ``Wz`` on ``z`` is
    ``z'Wz / z'z``, which is Moran's I (the intercept is 0 up to rounding, as ``z`` has mean
    0), so the line is drawn through the origin with that slope. Units without neighbours have
    ``Wz = 0`` and stay in the fit, as in esda's Moran.
    """
    frame = one_year(lisa, year)
    # local_moran gives z and lag; local_moran_bv gives zx and the lag of y.
    z_column, lag_column = ("zx", "lag_y") if "zx" in frame.columns else ("z", "lag")
    _require(frame, [z_column, lag_column])
    use_chinese_font()
    z = frame[z_column].to_numpy(dtype="float64")
    lag = frame[lag_column].to_numpy(dtype="float64")
    moran_i = float(z @ lag / (z @ z))
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        ax = fig.add_subplot()
    fig = ax.get_figure()
    names = {**LISA_LABELS, **(cluster_labels or {})}

    groups = _point_groups(frame, color_by)
    for category, mask in groups:
        color = (_POINT_GREY if category == NOT_SIGNIFICANT
                 else LISA_COLORS.get(category, "#4d4d4d"))
        ax.scatter(z[mask], lag[mask], s=22, color=color, edgecolor="#333333", linewidth=0.4,
                   zorder=3, label=f"{names.get(category, category)}  ({int(mask.sum())})"
                   if category else None)

    reach = 1.08 * max(np.abs(z).max(), np.abs(lag).max(), 1e-9)
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.axhline(0, color="#555555", linewidth=0.6, linestyle="--", zorder=1)
    ax.axvline(0, color="#555555", linewidth=0.6, linestyle="--", zorder=1)
    line = np.array([-reach, reach])
    ax.plot(line, moran_i * line, color="#1a1a1a", linewidth=1.2, zorder=2,
            gid="moran-regression")
    halo = [patheffects.withStroke(linewidth=2, foreground="white")]
    for text, (x, y, ha, va) in {"HH": (0.97, 0.97, "right", "top"),
                                 "LH": (0.03, 0.97, "left", "top"),
                                 "LL": (0.03, 0.03, "left", "bottom"),
                                 "HL": (0.97, 0.03, "right", "bottom")}.items():
        ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=11,
                fontweight="bold", color="#666666", path_effects=halo,
                fontfamily="DejaVu Sans", zorder=4)

    if labels is not None:
        _label_points(ax, frame, z, lag, labels, label_units)

    variable = frame.attrs.get("variable") or frame.attrs.get("x")
    lagged = frame.attrs.get("y", variable)
    ax.set_xlabel(xlabel or (f"{variable} (z)" if variable else "z"))
    ax.set_ylabel(ylabel or (f"W·{lagged} (Wz)" if lagged else "Wz"))
    if title is None:
        title = f"Moran's I = {moran_i:.3f}"
        if "year" in frame.attrs:
            title = f"{title} ({frame.attrs['year']})"
    ax.set_title(title, fontsize=10)
    ax.set_aspect("equal", adjustable="box")
    ax.spines[["top", "right"]].set_visible(False)
    if color_by is not None:
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.14), fontsize=6.5, frameon=False,
                  ncols=3, handletextpad=0.2, columnspacing=0.8)
    return fig


def _point_groups(frame: pd.DataFrame,
                  color_by: str | None) -> list[tuple[str | None, np.ndarray]]:
    if color_by is None:
        return [(None, np.ones(len(frame), dtype=bool))]
    column = color_by if color_by in frame.columns else "quadrant"
    _require(frame, [column])
    values = frame[column].astype(str).to_numpy()
    return [(category, values == category) for category in LISA_ORDER
            if (values == category).any()]


def _label_points(ax: Axes, frame: pd.DataFrame, z: np.ndarray, lag: np.ndarray,
                  labels: pd.Series, which: str | None) -> None:
    if which is None:
        which = "all" if len(frame) <= _MAX_POINT_LABELS else "significant"
    if which not in ("all", "significant"):
        raise MapError(f"label_units must be 'all' or 'significant', not {which!r}")
    chosen = np.ones(len(frame), dtype=bool)
    if which == "significant":
        if "cluster" not in frame.columns:
            warnings.warn("no cluster column: labelling every unit", UserWarning, stacklevel=3)
        else:
            chosen = ~frame["cluster"].isin([NOT_SIGNIFICANT, NEIGHBOURLESS]).to_numpy()
    text = labels.reindex(frame.index)
    halo = [patheffects.withStroke(linewidth=1.5, foreground="white")]
    for i in np.flatnonzero(chosen):
        name = text.iloc[i]
        if pd.isna(name):
            continue
        ax.annotate(str(name), (z[i], lag[i]), xytext=(3, 2), textcoords="offset points",
                    fontsize=6, color="#222222", path_effects=halo, zorder=5)

