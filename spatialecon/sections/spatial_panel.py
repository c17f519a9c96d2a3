"""Spatial panel models on a study panel, as regional-economics papers report them: the test
sequence (LM, LR, Wald, Hausman), SAR/SEM/SDM with the chosen effects side by side, the
direct/indirect/total effects, and a map of the estimated unit fixed effects."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from spatialecon.geodata import boundaries
from spatialecon.maps import choropleth
from spatialecon.report import Figure, Section, Table, Text
from spatialecon.sections._registry import register
from spatialecon.sections._run import (
    StudyRun,
    drawn,
    label_style,
    panel_data,
    panel_spec,
    study_weights,
)

_LABELS = {"lag": "SAR", "error": "SEM", "durbin": "SDM", "sdem": "SDEM", "sac": "SAC"}


@register("spatial_panel", keys={"panel", "y", "x", "weights", "effects", "correction",
                                 "models", "durbin", "tests", "impacts", "draws", "dynamic"},
          title="spatial panel models", order=95)
def spatial_panel(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.regression import compare, fit_panel, spatial_panel_tests

    study = run.study
    config = study.sections["spatial_panel"]
    spec = panel_spec(study, "spatial_panel", config.get("panel"))
    data = panel_data(spec)
    y, xs = config["y"], list(config["x"])
    codes = pd.Index(sorted(data["adcode"].unique()))
    w = study_weights(study, config.get("weights", spec.weights), codes)
    effects = config.get("effects", "twoway")
    correction = config.get("correction", "lee-yu")
    options = {"effects": effects, "correction": correction}
    formula = f"{y} ~ {' + '.join(xs)}"
    section = Section(f"空间面板模型 · Spatial panel models: {spec.name}")

    if config.get("tests", True):
        tests = spatial_panel_tests(data, formula, w, **options)
        table = tests.table().reset_index(drop=True)
        csv = run.table(tests.tests.reset_index(names="test"), f"spatial_panel_tests-{spec.name}")
        section.items.append(Table(table, f"{formula}: LM, LR, Wald and Hausman tests",
                                   csv=csv, note=tests.recommendation))

    fitted = {}
    for model in config.get("models", ["lag", "error", "durbin"]):
        fitted[model] = fit_panel(
            data, formula, w, model=model, **options,
            durbin=config.get("durbin") if model in ("durbin", "sdem") else None,
            impacts=config.get("impacts", "delta"), draws=int(config.get("draws", 1000)),
            seed=study.seed)
    if config.get("dynamic", False):
        fitted["dynamic"] = fit_panel(data, formula, w, model="durbin", effects=effects,
                                      dynamic=True, seed=study.seed)
    names = {f"({i}) {_LABELS.get(m, 'dynamic SDM')}": r
             for i, (m, r) in enumerate(fitted.items(), start=1)}
    comparison = compare(names, impacts=True)
    csv = run.tables_dir / f"spatial_panel_models-{spec.name}.csv"
    comparison.to_csv(csv)
    run.files.append(csv)
    for fmt in ("md", "tex"):
        path = run.tables_dir / f"spatial_panel_models-{spec.name}.{fmt}"
        (comparison.to_markdown if fmt == "md" else comparison.to_latex)(path)
        run.files.append(path)
    first = next(iter(fitted.values()))
    section.items.append(Table(
        comparison.cells, f"{formula}: {', '.join(names)} with {effects} effects "
                          "(estimate, s.e. in parentheses)", csv=csv,
        note=f"correction {correction}; {first.conventions['weights']}; "
             f"{first.conventions['variance']}"))

    for model, result in fitted.items():
        if result.impacts is None:
            continue
        frame = result.impacts.reset_index()
        csv = run.table(frame, f"spatial_panel_effects-{spec.name}-{model}")
        section.items.append(Table(frame, f"{_LABELS.get(model, 'dynamic SDM')}: direct, "
                                          "indirect and total effects", csv=csv,
                                   note=f"{result.impacts.attrs.get('method', '')} "
                                        f"({result.impacts.attrs.get('reference', '')})"))

    # the SDM's effects when it was fitted (the model papers report), else the first model's
    mapped = next((r for _, r in sorted(fitted.items(), key=lambda kv: kv[0] != "durbin")
                   if r.unit_effects is not None), None)
    if mapped is not None:
        layer = drawn(study, boundaries(study.level))
        layer["unit_effect"] = mapped.unit_effects.reindex(layer.index)
        fig = choropleth(layer, "unit_effect", legend_title=f"{mapped.label}: unit effects",
                         labels=label_style(study), scheme="quantiles",
                         k=min(5, int(layer["unit_effect"].notna().sum())), cmap="RdBu_r")
        path = run.figure(fig, f"unit_effects-{spec.name}.png")
        section.items.append(Figure(path, f"{mapped.label} 个体固定效应 · estimated unit fixed "
                                          f"effects ({formula})"))
    else:
        section.items.append(Text("No unit fixed effects to map with these effects."))
    run.sections.append(section)
