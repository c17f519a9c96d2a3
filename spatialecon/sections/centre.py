"""The centre of gravity (重心) of a panel variable by year, its movement, and the standard
deviational ellipses (标准差椭圆), on the national map."""

from __future__ import annotations

import geopandas as gpd

from spatialecon.geodata import boundaries
from spatialecon.report import Figure, Section, Table
from spatialecon.sections._registry import register
from spatialecon.sections._run import StudyRun, panel_values


@register("centre", keys={"panel", "variable", "points", "method"},
          title="centre of gravity", order=68)
def centre(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.centrography import centre_shift, mean_centre, std_ellipse
    from spatialecon.maps.centrography_plots import centre_trajectory_map

    study = run.study
    config = study.sections["centre"]
    spec, variable, values = panel_values(study, "centre", config)
    stem = f"{spec.name}-{variable}"
    layer = boundaries(study.level)
    points = config.get("points", "centroid")
    centres = mean_centre(layer, values, points=points)
    shifts = centre_shift(centres)
    ellipses = std_ellipse(layer, values, points=points,
                           method=config.get("method", "crimestat"))
    section = Section(f"重心与标准差椭圆 · Centre of gravity and ellipses: {variable}")
    table = centres.join(shifts).reset_index()
    csv = run.table(table, f"centre-{stem}")
    section.items.append(Table(table, f"{variable}: 重心 · weighted mean centre by year and its "
                                      "movement since the year before", csv=csv))
    table = ellipses.drop(columns="geometry").reset_index()
    csv = run.table(table, f"ellipse-{stem}")
    section.items.append(Table(table, f"{variable}: 标准差椭圆 · standard deviational ellipse",
                               csv=csv, note=str(ellipses.attrs.get("method", ""))))
    fig = centre_trajectory_map(layer, centres, ellipses, title=variable)
    path = run.figure(fig, f"centre-{stem}.png")
    section.items.append(Figure(path, f"{variable}: 重心轨迹与标准差椭圆 · the centre's path and "
                                      "the ellipses by year"))
    run.sections.append(section)
