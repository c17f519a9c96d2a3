"""Each ``[[panels]]`` variable year by year: Moran's I by year with bootstrap standard errors,
Moran scatterplot quadrants and LISA transitions, small multiples, and a page of yearly layers."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from spatialecon.geodata import boundaries
from spatialecon.maps import choropleth_multiples, lisa_layers, lisa_multiples, panel_layers
from spatialecon.report import Figure, Section, Table
from spatialecon.sections._registry import register
from spatialecon.sections._run import SIMPLIFY, StudyRun, panel_data, study_weights, web_map


@register("panels", keys=(), title="panels by year", order=40, always=True)
def panels_by_year(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.autocorrelation import (
        global_moran,
        lisa_over_time,
        lisa_transitions,
        quadrant_table,
    )

    study = run.study
    for spec in study.panels:
        data = panel_data(spec)
        section = Section(f"逐年空间自相关 · Moran by year: {spec.name}")
        layers: dict = {}
        for variable in spec.variables:
            sub = data[data["variable"] == variable]
            w = study_weights(study, spec.weights, pd.Index(sorted(sub["adcode"].unique())))
            moran = global_moran(sub, variable, w, by="year",
                                 permutations=int(study.moran.get("permutations", 999)),
                                 seed=study.seed,
                                 bootstrap=int(study.moran.get("bootstrap", 999)))
            csv = run.table(moran.drop(columns="dropped"),
                            f"moran_by_year-{spec.name}-{variable}")
            section.items.append(Table(
                moran[["year", "n", "I", "EI", "se_boot", "z_boot", "p_boot", "p_sim"]],
                f"{variable}: Moran's I by year (bootstrap SE, z = (I − E[I]) / SE)", csv=csv,
                note=moran.attrs["weights"]))
            lisa = lisa_over_time(sub, variable, w)
            table = quadrant_table(lisa).reset_index(names="quadrant")
            table.columns = [str(c) for c in table.columns]
            csv = run.table(table, f"quadrants-{spec.name}-{variable}")
            section.items.append(Table(table, f"{variable}: Moran 散点图象限 · quadrants by "
                                              "year", csv=csv))
            matrix, per_unit = lisa_transitions(lisa)
            run.table(per_unit, f"transitions-{spec.name}-{variable}")
            section.items.append(Table(matrix.reset_index(), f"{variable}: LISA transitions "
                                                             "(counts)"))
            shown = boundaries(study.level, simplify=SIMPLIFY).loc[
                sorted(sub["adcode"].unique())]
            fig = choropleth_multiples(shown, sub, variable=variable, legend_title=variable,
                                       labels=None)
            path = run.figure(fig, f"multiples-{spec.name}-{variable}.png", dpi=200)
            section.items.append(Figure(path, f"{variable} by year"))
            fig = lisa_multiples(shown, lisa, column="quadrant",
                                 legend_title=f"{variable}: quadrants")
            path = run.figure(fig, f"quadrants-{spec.name}-{variable}.png", dpi=200)
            section.items.append(Figure(path, f"{variable}: Moran scatterplot quadrants by "
                                              "year"))
            layers.update(panel_layers(sub, [variable]))
            layers.update(lisa_layers(lisa, name=f"{variable} quadrants"))
        run.sections.append(section)
        web_map(run, layers, f"panel-{spec.name}", f"{spec.name}: layers by year", section)
