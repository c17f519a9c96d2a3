"""Global Moran's I of every indicator (contiguity and distance weights), LISA clusters with
their cluster, significance and scatterplot figures, and LISA layers for the interactive map."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from spatialecon.maps import lisa_cluster_map, lisa_layers, moran_scatterplot, significance_map
from spatialecon.report import Figure, Section, Table
from spatialecon.sections._registry import register
from spatialecon.sections._run import StudyRun, drawn, label_style, mapped, study_weights


@register("moran", keys={"permutations", "alpha", "alternative", "adjust", "weights",
                         "bootstrap"},
          title="spatial autocorrelation", order=20, always=True)
def moran(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.autocorrelation import global_moran, inference_note, local_moran

    study = run.study
    config = study.moran
    kinds = config.get("weights", ["contiguity", "distance"] if "distance" in study.weights
                       else ["contiguity"])
    options = {"permutations": int(config.get("permutations", 999)),
               "alternative": config.get("alternative", "two-sided"), "seed": study.seed}
    section = Section("空间自相关 · Spatial autocorrelation")
    globals_, locals_, cluster_maps = [], [], []
    built: dict[tuple[str, tuple], object] = {}  # indicators on the same units share weights

    def weights_for(kind: str, index: pd.Index):
        key = (kind, tuple(index))
        if key not in built:
            built[key] = study_weights(study, kind, index)
        return built[key]

    for ind in mapped(study):
        values = units.loc[units[ind.name].notna(), [ind.name]]
        for kind in kinds:
            result = global_moran(values, ind.name, weights_for(kind, values.index), **options,
                                  bootstrap=int(config.get("bootstrap", 0)))
            globals_.append(result.assign(label=ind.label, weights=kind,
                                          weights_detail=result.attrs["weights"]))
        w = weights_for("contiguity", values.index)
        local = local_moran(values, ind.name, w, alpha=float(config.get("alpha", 0.05)),
                            adjust=config.get("adjust"), **options)
        locals_.append(local.reset_index().assign(indicator=ind.name))
        cluster_maps.append((ind, local))
    table = pd.concat(globals_, ignore_index=True).drop(columns="dropped")
    csv = run.table(table, "global_moran")
    shown = table[["label", "weights", "n", "I", "EI", "z_rand", "p_rand", "p_sim"]]
    section.items.append(Table(shown, "全局 Moran's I · Global Moran's I", csv=csv,
                               note=f"{options['permutations']} permutations, "
                                    f"{options['alternative']} p-values, seed {study.seed}; "
                                    "weights row-standardised. " +
                                    "; ".join(sorted(set(table["weights_detail"])))))
    lisa = pd.concat(locals_, ignore_index=True)
    csv = run.table(lisa, "local_moran")
    counts = lisa.groupby(["indicator", "cluster"]).size().unstack(fill_value=0).reset_index()
    section.items.append(Table(counts, "LISA 聚类单元数 · LISA cluster counts "
                                       f"({inference_note(cluster_maps[0][1])})", csv=csv))
    names = units["short"]
    shown_units = drawn(study, units)
    for ind, local in cluster_maps:
        if ind.map is None:
            continue
        fig = lisa_cluster_map(shown_units, local, legend_title=f"LISA: {ind.label}",
                               labels=label_style(study))
        path = run.figure(fig, f"lisa-{ind.name}.png")
        section.items.append(Figure(path, f"LISA 聚类图 · LISA clusters: {ind.label}"))
        fig = significance_map(shown_units, local, legend_title=f"p: {ind.label}",
                               labels=label_style(study))
        path = run.figure(fig, f"significance-{ind.name}.png")
        section.items.append(Figure(path, f"LISA 显著性 · LISA significance: {ind.label}"))
        fig = moran_scatterplot(local, labels=names if study.level == "province" else None,
                                label_units="significant", title=ind.label)
        path = run.figure(fig, f"moran-scatter-{ind.name}.png", dpi=200)
        section.items.append(Figure(path, f"Moran 散点图 · Moran scatterplot: {ind.label}"))
        run.layers.update(lisa_layers(local, name=f"LISA {ind.label}"))
    run.sections.append(section)
