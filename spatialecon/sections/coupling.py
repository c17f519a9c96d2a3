"""Coupling coordination of a panel's systems (e.g. 孙慧、原伟鹏 表6)."""

from __future__ import annotations

import geopandas as gpd

from spatialecon.report import Section, Table
from spatialecon.sections._registry import register
from spatialecon.sections._run import StudyRun, panel_data, panel_spec, unit_names


@register("coupling", keys={"panel", "systems", "scale", "label"},
          title="coupling coordination", order=50)
def coupling(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.indices import coupling_coordination, to_wide

    config = run.study.sections["coupling"]
    spec = panel_spec(run.study, "coupling", config.get("panel"))
    wide = to_wide(panel_data(spec), list(config["systems"]))
    scale = float(config.get("scale", 1.0))
    result = coupling_coordination(*(wide[s] * scale for s in config["systems"]))
    csv = run.table(result.reset_index(), "coupling_coordination")
    d = result["D"].unstack("year")
    names = unit_names(run.study.level)
    d.index = d.index.map(lambda c: names.get(c, c))
    d.columns = [str(c) for c in d.columns]
    section = Section("耦合协调度 · Coupling coordination")
    section.items.append(Table(d.reset_index(names="unit"), config.get("label", "D"), csv=csv,
                               note=result.attrs.get("formula", "")))
    run.sections.append(section)
