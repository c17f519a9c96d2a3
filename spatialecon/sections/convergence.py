"""σ convergence (dispersion by year and its trend) and β convergence (growth on the initial
level, aspatial and spatial) of a panel variable."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from spatialecon.report import Section, Table
from spatialecon.sections._registry import register
from spatialecon.sections._run import StudyRun, panel_values, study_weights


@register("convergence", keys={"panel", "variable", "measures", "groups", "models", "period",
                               "effects", "weights"},
          title="convergence", order=66)
def convergence(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.dynamics import beta_convergence, sigma_convergence

    study = run.study
    config = study.sections["convergence"]
    spec, variable, values = panel_values(study, "convergence", config)
    stem = f"{spec.name}-{variable}"
    section = Section(f"收敛分析 · Convergence: {variable}")
    measures = list(config.get("measures", ["cv", "sd_log"]))
    sigmas = [sigma_convergence(values, measure=m, groups=config.get("groups"))
              for m in measures]
    table = pd.concat([s.table for s in sigmas], ignore_index=True)
    wide = table.pivot_table(index="year", columns=["measure", "group"], values="value")
    wide.columns = [f"{m} ({g})" for m, g in wide.columns]
    csv = run.table(table, f"sigma_convergence-{stem}")
    section.items.append(Table(wide.reset_index(), f"{variable}: σ 收敛 · dispersion by year",
                               csv=csv))
    trends = pd.concat([s.trend.reset_index().assign(measure=m) for s, m in
                        zip(sigmas, measures, strict=True)], ignore_index=True)
    trends = trends[["measure", *[c for c in trends.columns if c != "measure"]]]
    csv = run.table(trends, f"sigma_trend-{stem}")
    section.items.append(Table(trends, f"{variable}: trend of the dispersion (OLS on the year)",
                               csv=csv))
    rows = []
    period = config.get("period")
    for model in config.get("models", ["ols"]):
        w = None
        if model != "ols":
            codes = values.index.get_level_values("adcode").unique().sort_values()
            w = study_weights(study, config.get("weights", spec.weights), codes)
        beta = beta_convergence(values, variable, w=w, model=model, period=period,
                                effects=config.get("effects", "twoway"))
        rows.append({"model": model, "beta": beta.beta, "se": beta.se, "p": beta.p,
                     "speed": beta.speed, "half_life": beta.half_life,
                     "formula": beta.formula})
    table = pd.DataFrame(rows)
    csv = run.table(table, f"beta_convergence-{stem}")
    how = "whole period, cross-section" if period in (None, "whole") else \
        f"{period}-year growth, panel"
    section.items.append(Table(table, f"{variable}: β 收敛 · β convergence ({how})", csv=csv))
    run.sections.append(section)
