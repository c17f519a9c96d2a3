"""Aspatial panel regressions on a study panel: two-way fixed effects and random effects with
clustered errors, and the Hausman test."""

from __future__ import annotations

import geopandas as gpd

from spatialecon.report import Section, Table, Text
from spatialecon.sections._registry import register
from spatialecon.sections._run import StudyRun, panel_data, panel_spec


@register("econometrics", keys={"panel", "y", "x", "cluster"}, title="panel regressions",
          order=90)
def econometrics(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.econometrics import fixed_effects, hausman, random_effects

    config = run.study.sections["econometrics"]
    data = panel_data(panel_spec(run.study, "econometrics", config.get("panel")))
    formula = f"{config['y']} ~ {' + '.join(config['x'])}"
    cluster = config.get("cluster", "entity")
    fe = fixed_effects(data, formula, cluster=cluster)
    re = random_effects(data, formula, cluster=cluster)
    test = hausman(fe, re)
    section = Section("面板回归 · Panel regressions (FE / RE)")
    for name, result in (("two-way fixed effects", fe), ("random effects", re)):
        csv = run.table(result.reset_index(), f"panel-{name.split()[0]}-{config['y']}")
        section.items.append(Table(result.reset_index(), f"{formula}: {name}, errors "
                                   f"clustered by {cluster}", csv=csv))
    section.items.append(Text(f"Hausman (FE vs RE): {test}"))
    run.sections.append(section)
