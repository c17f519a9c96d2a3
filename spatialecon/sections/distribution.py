"""The distribution of a panel variable over time: kernel densities by year (curves, ridges, the
3-D surface), the classical and the spatial Markov chain with their heat maps, and a map of each
unit's most likely next class."""

from __future__ import annotations

import geopandas as gpd

from spatialecon.geodata import boundaries
from spatialecon.report import Figure, Section, Table
from spatialecon.sections._registry import register
from spatialecon.sections._run import (
    SIMPLIFY,
    StudyRun,
    label_style,
    panel_values,
    study_weights,
)


@register("distribution", keys={"panel", "variable", "groups", "bandwidth", "k", "classes",
                                "spatial", "weights"},
          title="distribution dynamics", order=64)
def distribution(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.dynamics import kernel_density, markov, spatial_markov
    from spatialecon.maps.dynamics_plots import (
        density_curves,
        density_ridges,
        density_surface,
        markov_heatmap,
        next_class_map,
    )

    study = run.study
    config = study.sections["distribution"]
    spec, variable, values = panel_values(study, "distribution", config)
    stem = f"{spec.name}-{variable}"
    section = Section(f"分布动态 · Distribution dynamics: {variable}")
    density = kernel_density(values, groups=config.get("groups"),
                             bandwidth=config.get("bandwidth", "silverman"))
    csv = run.table(density, f"kernel_density-{stem}")
    for draw, name, caption in (
            (density_curves, "curves", "核密度曲线 · kernel density by year"),
            (density_ridges, "ridges", "核密度山脊图 · ridge plot"),
            (density_surface, "surface", "核密度三维图 · density surface (year × value)")):
        path = run.figure(draw(density), f"kernel_density-{name}-{stem}.png", dpi=200)
        section.items.append(Figure(path, f"{variable}: {caption}"))
    section.items.append(Table(density.head(0), f"{variable}: kernel densities (grid values "
                                                "in the CSV)", csv=csv,
                               note=str(density.attrs.get("bandwidth", ""))))
    k = int(config.get("k", 4))
    classes = config.get("classes", "pooled")
    chains = [("markov", markov(values, k=k, classes=classes),
               "传统马尔可夫转移概率矩阵 · Markov transition probabilities")]
    if config.get("spatial", True):
        codes = values.index.get_level_values("adcode").unique().sort_values()
        w = study_weights(study, config.get("weights", spec.weights), codes)
        chains.append(("spatial_markov", spatial_markov(values, w, k=k, classes=classes),
                       "空间马尔可夫转移概率矩阵 · spatial Markov (by the neighbours' class)"))
    for name, result, caption in chains:
        table = result.table()
        csv = run.table(table.reset_index() if table.index.name or table.index.nlevels > 1
                        else table, f"{name}-{stem}")
        section.items.append(Table(table.reset_index(), f"{variable}: {caption}", csv=csv))
        path = run.figure(markov_heatmap(result), f"{name}-{stem}.png", dpi=200)
        section.items.append(Figure(path, f"{variable}: {caption}"))
    drawn_units = boundaries(study.level, simplify=SIMPLIFY)
    fig = next_class_map(drawn_units, chains[-1][1], values, labels=label_style(study))
    path = run.figure(fig, f"next_class-{stem}.png")
    section.items.append(Figure(path, f"{variable}: 各单元下一期最可能类型 · each unit's most "
                                      "likely class next period"))
    run.sections.append(section)
