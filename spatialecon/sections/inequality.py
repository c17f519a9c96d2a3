"""Theil decomposition (and regional means) of indicators by region schemes."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from spatialecon.report import Section, Table
from spatialecon.sections._registry import register
from spatialecon.sections._run import StudyRun


@register("inequality", keys={"indicators", "regions", "index", "means"}, title="inequality",
          order=60, references=("indicators",))
def inequality(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.inequality import regional_means, theil

    config = run.study.sections["inequality"]
    schemes = config.get("regions", "nbs4")
    schemes = [schemes] if isinstance(schemes, str) else list(schemes)
    indicators = list(config.get("indicators", []))
    index = config.get("index", "T")
    section = Section("区域差异 · Regional inequality")
    for scheme in schemes:
        tables = [theil(units[name].dropna(), scheme, index=index).table()
                  .assign(indicator=name) for name in indicators]
        table = pd.concat(tables, ignore_index=True)
        csv = run.table(table, f"theil-{scheme}")
        section.items.append(Table(table, f"Theil {index} by {scheme}", csv=csv))
        if config.get("means", False):
            means = pd.concat([regional_means(units[c].dropna(), scheme).assign(indicator=c)
                               for c in indicators], ignore_index=True)
            wide = means.pivot_table(index="region", columns="indicator", values="value",
                                     sort=False).reset_index()
            csv = run.table(means, f"regional_means-{scheme}")
            section.items.append(Table(wide, f"区域均值 · Regional means ({scheme})", csv=csv))
    run.sections.append(section)
