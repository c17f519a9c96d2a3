"""The article's printed tables, as printed, with their caveats: beside our results."""

from __future__ import annotations

import geopandas as gpd

from spatialecon import sources
from spatialecon.report import Section, Table
from spatialecon.sections._registry import register
from spatialecon.sections._run import StudyRun


@register("printed", keys=(), title="printed tables", order=1000, always=True)
def printed(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    if not run.study.printed:
        return
    section = Section("原文表格 · The article's printed tables")
    for name in run.study.printed:
        table = sources.printed(name)
        caveats = " ".join(table.attrs.get("caveats", []))
        section.items.append(Table(table.drop(columns=["adcode"], errors="ignore"),
                                   f"{table.attrs.get('table', name)}", note=caveats))
    run.sections.append(section)
