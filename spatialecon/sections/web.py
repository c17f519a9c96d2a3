"""The study's interactive map: every layer the sections before it contributed (indicators,
LISA clusters), on one page shown in the maps section."""

from __future__ import annotations

import geopandas as gpd

from spatialecon.sections._registry import register
from spatialecon.sections._run import StudyRun, web_map


@register("interactive_map", keys=(), title="interactive map", order=30, always=True)
def interactive_map(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    if run.maps_section is None:
        return
    web_map(run, run.layers, "indicators", "交互地图：各指标与其 LISA 聚类（图层可切换） · "
            "Interactive map: every indicator and its LISA clusters", run.maps_section)
