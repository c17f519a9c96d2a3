"""Efficiency and its change on a study panel of inputs and outputs: DEA (CCR/BCC), Tone's SBM
(with undesirable outputs), and the Malmquist index with its decomposition — tables by unit,
by year and by region, and a map of each unit's mean TFP change."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from spatialecon.geodata import boundaries
from spatialecon.maps import choropleth
from spatialecon.report import Figure, Section, Table
from spatialecon.sections._registry import register
from spatialecon.sections._run import (
    SIMPLIFY,
    StudyRun,
    label_style,
    panel_data,
    panel_spec,
)
from spatialecon.study import StudyError


@register("efficiency", keys={"panel", "inputs", "outputs", "undesirable", "models", "rts",
                              "orientation", "reference", "regions"},
          title="efficiency", order=58)
def efficiency(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.efficiency import dea, malmquist, sbm, summary_by

    study = run.study
    config = study.sections["efficiency"]
    spec = panel_spec(study, "efficiency", config.get("panel"))
    names = {role: list(config.get(role, [])) for role in ("inputs", "outputs", "undesirable")}
    unknown = [v for vs in names.values() for v in vs if v not in spec.variables]
    if unknown or not names["inputs"] or not names["outputs"]:
        raise StudyError(f"[efficiency] needs inputs and outputs among panel {spec.name!r}'s "
                         f"variables ({', '.join(spec.variables)}); not there: {unknown}")
    wide = panel_data(spec).pivot_table(index=["adcode", "year"], columns="variable",
                                        values="value")
    inputs, outputs = wide[names["inputs"]], wide[names["outputs"]]
    rts = config.get("rts", "vrs")
    section = Section("效率与全要素生产率 · Efficiency and productivity change")
    models = config.get("models", ["dea", "sbm", "malmquist"])
    if "dea" in models:
        scores = dea(inputs, outputs, orientation=config.get("orientation", "input"), rts=rts)
        frame = scores.reset_index()
        section.items.append(Table(frame, "DEA 效率 · DEA efficiency (CCR/BCC, TE = PTE × SE)",
                                   csv=run.table(frame, "dea")))
    if "sbm" in models:
        undesirable = wide[names["undesirable"]] if names["undesirable"] else None
        scores = sbm(inputs, outputs, undesirable=undesirable, rts=rts, super=True)
        frame = scores.reset_index()
        section.items.append(Table(frame, "SBM 效率 · Tone's slack-based measure"
                                          + (" with undesirable outputs" if undesirable is not
                                             None else "") + ", super-efficiency",
                                   csv=run.table(frame, "sbm")))
    if "malmquist" in models:
        index = malmquist(inputs, outputs, rts=rts, reference=config.get("reference",
                                                                          "adjacent"))
        frame = index.reset_index()
        section.items.append(Table(frame.head(0), "Malmquist 指数 · Malmquist index by unit "
                                                  "and year (in the CSV)",
                                   csv=run.table(frame, "malmquist")))
        by_year = summary_by(index, "year").reset_index()
        section.items.append(Table(by_year, "Malmquist 指数（年度几何均值）· by year "
                                             "(geometric means)",
                                   csv=run.table(by_year, "malmquist_by_year")))
        scheme = config.get("regions", "nbs4")
        by_region = summary_by(index, scheme).reset_index()
        section.items.append(Table(by_region, f"Malmquist 指数（{scheme} 区域）· by region",
                                   csv=run.table(by_region, f"malmquist_by_{scheme}")))
        per_unit = np.exp(np.log(index["tfpch"]).groupby(level="adcode").mean())
        layer = boundaries(study.level, simplify=SIMPLIFY)
        layer["tfpch"] = per_unit.reindex(layer.index)
        fig = choropleth(layer, "tfpch", legend_title="TFP 变化 · mean tfpch",
                         labels=label_style(study), cmap="RdYlGn", scheme="quantiles",
                         k=min(5, int(pd.notna(layer["tfpch"]).sum())))
        path = run.figure(fig, "malmquist_tfpch.png")
        section.items.append(Figure(path, "全要素生产率变化（几何均值）· mean TFP change by unit "
                                          "(> 1: growth)"))
    run.sections.append(section)
