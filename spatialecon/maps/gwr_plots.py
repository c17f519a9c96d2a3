"""Maps and charts of a geographically weighted regression: one national map per local
coefficient with the units whose coefficient is not significant (da Silva & Fotheringham's
corrected t) greyed, the local R², the bandwidth search trace, and web layers of the same.

They take a :class:`spatialecon.regression.GWRResult` (or an MGWR result, whose attributes
have the same names)."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from spatialecon.maps.fonts import use_chinese_font
from spatialecon.maps.static import national_map
from spatialecon.maps.symbology import Symbology, classed

NOT_SIGNIFICANT = "t 不显著 · not significant"


def _coefficient_layers(result: Any, *, alpha: float, k: int, cmap: str,
                        significant_only: bool) -> dict[str, Symbology]:
    """Title → symbology of each local coefficient (insignificant ones as missing) and of the
    local R²."""
    params = result.params
    mask = result.significant(alpha) if significant_only else \
        pd.DataFrame(True, index=params.index, columns=params.columns)
    layers = {}
    for column in params.columns:
        values = params[column].where(mask[column]).rename(str(column))
        if values.notna().sum() == 0:
            values = pd.Series(np.nan, index=params.index, name=str(column))
        shown = int(values.notna().sum())
        scheme = "natural_breaks" if shown > k else "equal_interval"
        layers[f"β {column}"] = classed(values, scheme=scheme, k=max(1, min(k, shown)),
                                        cmap=cmap, title=f"β {column}",
                                        missing_label=NOT_SIGNIFICANT)
    r2 = pd.Series(np.asarray(result.local_r2, dtype=float).ravel(), index=params.index,
                   name="local R²")
    layers["局部 R² · local R²"] = classed(r2, k=k, cmap="viridis", title="local R²")
    return layers


def coefficient_maps(units: gpd.GeoDataFrame, result: Any, *, alpha: float = 0.05,
                     ncols: int = 2, k: int = 5, cmap: str = "RdBu_r",
                     significant_only: bool = True, labels: str | None = None,
                     panel_width: float = 4.6, title: str | None = None) -> Figure:
    """One national map per local coefficient and one of the local R².

    Parameters
    ----------
    units
        Boundaries indexed like ``result.params`` (e.g. ``boundaries("county",
        simplify=0.01)``); units without a fit are drawn as "no data".
    result
        A GWR (or MGWR) result.
    alpha
        Level of the corrected t-test (``result.significant(alpha)``); units whose coefficient
        is not significant are drawn grey and hatched, labelled so in each legend.
    ncols, k, cmap
        Panels per row, classes per map and the colour ramp of the coefficients.
    significant_only
        ``False`` maps every local estimate.
    labels, panel_width, title
        Unit labels, inches per panel and a figure title.
    """
    use_chinese_font()
    layers = _coefficient_layers(result, alpha=alpha, k=k, cmap=cmap,
                                 significant_only=significant_only)
    # only the fitted units: a unit left out of the fit (no data) is drawn as "not in data",
    # so that the hatched class means "fitted, not significant" and nothing else
    units = units.loc[units.index.intersection(result.params.index)]
    keys = list(layers)
    ncols = max(1, min(ncols, len(keys)))
    nrows = math.ceil(len(keys) / ncols)
    height = panel_width * 0.78
    fig = Figure(figsize=(ncols * panel_width, nrows * height + (0.4 if title else 0.1)),
                 layout="constrained")
    for i, key in enumerate(keys):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        national_map(units, layers[key], ax=ax, labels=labels, north_arrow=i == 0,
                     scale_bar=i == 0, **({"missing_label": NOT_SIGNIFICANT}
                                          if key.startswith("β") else {}))
        ax.set_title(key, fontsize=10)
    if title:
        fig.suptitle(title, fontsize=12)
    return fig


def bandwidth_trace(result: Any) -> Figure:
    """The bandwidth search: the criterion at every bandwidth tried, the chosen one marked."""
    use_chinese_font()
    criterion = str(result.conventions["criterion"])  # the trace's column
    trace = result.search_trace.sort_values("bandwidth")
    fig = Figure(figsize=(5.0, 3.4), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(trace["bandwidth"], trace[criterion], "o-", color="#3366aa", markersize=3.5,
            linewidth=1)
    ax.axvline(float(result.bandwidth), color="#cc3333", linestyle="--", linewidth=1)
    best = trace.loc[trace[criterion].idxmin()]
    ax.annotate(f"bandwidth = {result.bandwidth:g}", (best["bandwidth"], best[criterion]),
                textcoords="offset points", xytext=(6, 10), fontsize=8, color="#cc3333")
    adaptive = str(result.conventions["bandwidth"]).startswith("adaptive")
    ax.set_xlabel("nearest neighbours" if adaptive else "distance")
    ax.set_ylabel(criterion)
    ax.set_title("带宽搜索 · bandwidth search", fontsize=10)
    ax.grid(alpha=0.3)
    return fig


def gwr_layers(result: Any, *, alpha: float = 0.05, k: int = 5,
               cmap: str = "RdBu_r") -> dict[str, Symbology]:
    """Web layers (for :func:`spatialecon.maps.folium_map` / ``html_map``): each significant
    local coefficient and the local R²."""
    return _coefficient_layers(result, alpha=alpha, k=k, cmap=cmap, significant_only=True)
