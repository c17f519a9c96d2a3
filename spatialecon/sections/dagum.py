"""Dagum's Gini decomposition of a panel variable by region: overall, within, net between and
transvariation, by year, in the layout regional papers print."""

from __future__ import annotations

import geopandas as gpd

from spatialecon.report import Section, Table
from spatialecon.sections._registry import register
from spatialecon.sections._run import StudyRun, panel_values


@register("dagum", keys={"panel", "variable", "regions"}, title="Dagum Gini decomposition",
          order=62)
def dagum(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.inequality import dagum_gini

    config = run.study.sections["dagum"]
    spec, variable, values = panel_values(run.study, "dagum", config)
    scheme = config.get("regions", "nbs4")
    result = dagum_gini(values, scheme)
    table = result.table(flat=True).reset_index()
    csv = run.table(table, f"dagum_gini-{spec.name}-{variable}")
    section = Section(f"Dagum 基尼系数分解 · Dagum Gini decomposition: {variable} by {scheme}")
    section.items.append(Table(table, f"{variable}: overall G, within-region Gjj, between-region "
                                      "Gjh and the contributions of Gw, Gnb, Gt", csv=csv,
                               note="; ".join(f"{k}: {v}" for k, v in result.conventions.items()
                                              if isinstance(v, str))))
    run.sections.append(section)
