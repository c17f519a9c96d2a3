"""Geographically weighted regression (and multiscale GWR) of the study's indicators: the
GWR4-style summary, one map per local coefficient with the insignificant units greyed, the
local R², the bandwidth search, and a web page with a layer per coefficient."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from spatialecon.geodata import boundaries
from spatialecon.report import Figure, Section, Table, Text
from spatialecon.sections._registry import register
from spatialecon.sections._run import SIMPLIFY, StudyRun, web_map


@register("gwr", keys={"y", "x", "kernel", "fixed", "bandwidth", "criterion", "multiscale",
                       "alpha"},
          title="geographically weighted regression", order=85, references=("y", "x"))
def gwr(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.maps.gwr_plots import bandwidth_trace, coefficient_maps, gwr_layers
    from spatialecon.regression import gwr as fit_gwr
    from spatialecon.regression import mgwr as fit_mgwr

    study = run.study
    config = study.sections["gwr"]
    y, xs = config["y"], list(config["x"])
    data = units.loc[units[[y, *xs]].notna().all(axis=1), [y, *xs, "geometry"]]
    formula = f"{y} ~ {' + '.join(xs)}"
    options = {"kernel": config.get("kernel", "bisquare"), "fixed": config.get("fixed", False),
               "criterion": config.get("criterion", "AICc")}
    alpha = float(config.get("alpha", 0.05))
    result = fit_gwr(data, formula, bandwidth=config.get("bandwidth"), **options)
    section = Section(f"地理加权回归 · Geographically weighted regression: {formula}")
    section.items.append(Text(result.summary(), preformatted=True))
    estimates = pd.concat({"estimate": result.params, "se": result.bse, "t": result.tvalues},
                          axis=1)
    estimates.columns = [f"{stat}_{name}" for stat, name in estimates.columns]
    estimates["local_r2"] = result.local_r2
    csv = run.table(estimates.reset_index(), "gwr_local_estimates")
    section.items.append(Table(
        result.params.describe().T.reset_index(names="term"),
        f"{formula}: local estimates (bandwidth {result.bandwidth:g}, "
        f"{options['kernel']}, {'fixed' if options['fixed'] else 'adaptive'})", csv=csv,
        note=f"units whose |t| < {result.critical_t(alpha):.3f} are not significant: the "
             f"corrected α for a {alpha:g} test is {alpha * result.k / result.enp:.2g} (da Silva & "
             "Fotheringham 2016)"))
    drawn = boundaries(study.level, simplify=SIMPLIFY)
    path = run.figure(coefficient_maps(drawn, result, alpha=alpha), "gwr_coefficients.png")
    section.items.append(Figure(path, "局部系数（t 不显著者灰色）· local coefficients, "
                                      "insignificant units (corrected t) in grey"))
    if result.search_trace is not None and len(result.search_trace):
        path = run.figure(bandwidth_trace(result), "gwr_bandwidth.png", dpi=200)
        section.items.append(Figure(path, "带宽搜索 · bandwidth search"))
    if config.get("multiscale", False):
        multi = fit_mgwr(data, formula, **options)
        section.items.append(Text(multi.summary(), preformatted=True))
        path = run.figure(coefficient_maps(drawn, multi, alpha=alpha), "mgwr_coefficients.png")
        section.items.append(Figure(path, "MGWR 局部系数 · MGWR local coefficients"))
    run.sections.append(section)
    web_map(run, gwr_layers(result, alpha=alpha), "gwr", f"GWR: {formula}", section)
