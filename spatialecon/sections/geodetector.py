"""The geographical detector on the study's indicators, with region schemes as strata."""

from __future__ import annotations

import geopandas as gpd

from spatialecon.geodata import regions
from spatialecon.report import Figure, Section, Table
from spatialecon.sections._registry import register
from spatialecon.sections._run import StudyRun


@register("geodetector", keys={"y", "factors", "regions", "discretize", "by", "detectors",
                               "variance", "singletons"},
          title="geographical detector", order=70, references=("y", "factors"))
def geodetector(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.geodetector import geodetector as detect
    from spatialecon.maps.geodetector_plots import interaction_heatmap, q_bar_chart

    config = run.study.sections["geodetector"]
    frame = units.drop(columns="geometry").copy()
    factors = list(config.get("factors", []))
    province = frame["province_adcode"]
    for scheme in config.get("regions", []):
        # region schemes are provincial: lower levels take their province's region
        frame[scheme] = province if scheme == "province" else province.map(regions(scheme))
        factors.append(scheme)
    columns = [config["y"], *factors]
    by = config.get("by")
    if by is not None:  # one analysis per region of this scheme, after the national one
        frame["region"] = province.map(regions(by))
        columns.append("region")
    frame = frame[columns].dropna()
    method = config.get("discretize", "quantiles")
    discretize = {f: method for f in config.get("factors", [])}
    result = detect(frame, config["y"], factors, discretize=discretize,
                    by="region" if by is not None else None, overall="全国",
                    detectors=config.get("detectors", ("factor", "interaction")),
                    variance=config.get("variance", "sample"),
                    singletons=config.get("singletons", "keep"))
    section = Section("地理探测器 · Geographical detector")
    csv = run.table(result.factor, "geodetector_factor")
    section.items.append(Table(result.factor, f"Factor detector: q of {config['y']}", csv=csv,
                               note="; ".join(f"{k}={v}" for k, v in result.conventions.items())))
    if len(result.interaction):
        csv = run.table(result.interaction, "geodetector_interaction")
        section.items.append(Table(result.interaction, "Interaction detector", csv=csv))
    path = run.figure(q_bar_chart(result.factor), "geodetector_q.png", dpi=200)
    section.items.append(Figure(path, "q statistics"))
    if len(result.interaction):
        path = run.figure(interaction_heatmap(result.interaction),
                          "geodetector_interaction.png", dpi=200)
        section.items.append(Figure(path, "q of factor pairs"))
    run.sections.append(section)
