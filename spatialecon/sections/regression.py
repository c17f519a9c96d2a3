"""Cross-section spatial regression: OLS diagnostics and the SAR/SEM/SDM comparison table."""

from __future__ import annotations

import geopandas as gpd

from spatialecon.report import Section, Table
from spatialecon.sections._registry import register
from spatialecon.sections._run import StudyRun, study_weights


@register("regression", keys={"y", "x", "models", "weights"}, title="spatial regression",
          order=80, references=("y", "x"))
def regression(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.regression import compare_models

    study = run.study
    config = study.sections["regression"]
    y, xs = config["y"], list(config["x"])
    values = units.loc[units[[y, *xs]].notna().all(axis=1), [y, *xs]]
    w = study_weights(study, config.get("weights", "contiguity"), values.index)
    table = compare_models(values, f"{y} ~ {' + '.join(xs)}", w,
                           models=config.get("models", ("ols", "lag", "error", "durbin")))
    section = Section("空间回归 · Spatial regression")
    csv = run.tables_dir / "spatial_models.csv"
    table.to_csv(csv)
    for fmt in ("md", "tex"):
        path = run.tables_dir / f"spatial_models.{fmt}"
        (table.to_markdown if fmt == "md" else table.to_latex)(path)
        run.files.append(path)
    run.files.append(csv)
    section.items.append(Table(table.cells, f"{y} ~ {' + '.join(xs)}: models compared "
                                            "(estimate, s.e. in parentheses)", csv=csv,
                               note=table.note))
    if table.diagnostics is not None:
        diagnostics = table.diagnostics
        section.items.append(Table(diagnostics.table(), "OLS 空间诊断 · LM diagnostics",
                                   note=f"{diagnostics.reason}"))
    run.sections.append(section)
