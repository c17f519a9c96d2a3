"""What every section shares: the run being built (files, report sections, web layers) and the
few helpers that more than one section needs — the study's weights, its panels, its drawn
(print-simplified) units and its web page."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from spatialecon import sources
from spatialecon._files import atomic_path
from spatialecon.geodata import boundaries, capitals
from spatialecon.maps import html_map
from spatialecon.panel import read_panel
from spatialecon.report import Frame, Section
from spatialecon.study import Indicator, PanelSpec, Study, StudyError

# Borders coverage-simplified at 0.01° (~1 km), computed once per level and cached: a static
# national map is 7 in wide at 300 dpi, so one pixel is about 2.4 km and the simplification is
# invisible, while drawing gets several times faster; web pages shrink tenfold.
SIMPLIFY = 0.01


@dataclass
class StudyRun:
    """What a run produced: the files (in order), the report's sections, the web layers the
    sections contribute to the study's interactive map, timings and data notes."""

    study: Study
    files: list[Path] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    layers: dict = field(default_factory=dict)  # title → Symbology, for the indicators page
    maps_section: Section | None = None  # where the indicators page is shown

    @property
    def maps_dir(self) -> Path:
        return self.study.output / "maps"

    @property
    def tables_dir(self) -> Path:
        return self.study.output / "tables"

    def table(self, frame: pd.DataFrame, name: str) -> Path:
        """Write ``frame`` as ``tables/<name>.csv`` (atomically) and record it."""
        path = self.tables_dir / f"{name}.csv"
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False, encoding="utf-8-sig")  # BOM: Excel reads UTF-8
        self.files.append(path)
        return path

    def figure(self, fig, name: str, dpi: int | None = None) -> Path:
        """Save a matplotlib figure as ``maps/<name>`` (atomically) and record it."""
        from spatialecon.maps import save_figure

        path = save_figure(fig, self.maps_dir / name,
                           dpi=dpi if dpi is not None else self.study.maps.get("dpi", 300))
        self.files.append(path)
        return path


def tidy(dataset: str | None, file: Path | None, read: dict) -> pd.DataFrame:
    """A study source as a tidy panel: an embedded dataset or a user's file."""
    if dataset is not None:
        return sources.load(dataset)
    return read_panel(file, **read)


def panel_spec(study: Study, section: str, name: str | None) -> PanelSpec:
    """The ``[[panels]]`` entry a section names with ``panel = "…"``."""
    spec = next((p for p in study.panels if p.name == name), None)
    if spec is None:
        raise StudyError(f"[{section}] panel {name!r} is not a [[panels]] name "
                         f"({', '.join(p.name for p in study.panels) or 'the study has none'})")
    return spec


def panel_data(spec: PanelSpec) -> pd.DataFrame:
    """The tidy rows of a ``[[panels]]`` entry's variables."""
    panel = tidy(spec.dataset, spec.file, spec.read)
    missing = sorted(set(spec.variables) - set(panel["variable"]))
    if missing:
        raise StudyError(f"panel {spec.name!r}: variables {missing} are not in its data")
    return panel[panel["variable"].isin(spec.variables)]


def panel_values(study: Study, section: str, config: dict) -> tuple[PanelSpec, str, pd.Series]:
    """The values a section analyses: ``variable`` of the ``[[panels]]`` entry it names, as a
    Series by (adcode, year) (what the disparity and dynamics functions take)."""
    spec = panel_spec(study, section, config.get("panel"))
    variable = config.get("variable", spec.variables[0])
    if variable not in spec.variables:
        raise StudyError(f"[{section}] variable {variable!r} is not one of panel "
                         f"{spec.name!r}'s variables ({', '.join(spec.variables)})")
    data = panel_data(spec)
    rows = data[data["variable"] == variable]
    values = rows.set_index(["adcode", "year"])["value"].astype(float) * spec.scale
    return spec, variable, values.rename(variable)


def study_weights(study: Study, kind: str, units: pd.Index):
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


def label_style(study: Study) -> str | None:
    """Unit labels on static maps: short names for provinces, none below."""
    return "short" if study.level == "province" else None


def unit_names(level: str) -> dict:
    """adcode → short name of a level's units."""
    return boundaries(level)["short"].to_dict()


def mapped(study: Study) -> list[Indicator]:
    """The indicators and the composites (as indicators) in study order."""
    composites = [Indicator(name=c["name"], variable=c["name"], label=c.get("label", c["name"]),
                            map=c.get("map", {})) for c in study.composites]
    return [*study.indicators, *composites]


def drawn(study: Study, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``units`` with print-simplified geometry (same index and columns)."""
    simple = boundaries(study.level, simplify=SIMPLIFY).geometry.reindex(units.index)
    out = units.set_geometry(gpd.GeoSeries(simple.to_numpy(), index=units.index,
                                           crs=units.crs))
    out.attrs = {**units.attrs, "simplify": SIMPLIFY}
    return out


def web_map(run: StudyRun, layers: dict, name: str, caption: str, section: Section) -> None:
    """One self-contained page with every layer (geometry stored once), shown in ``section``."""
    if not layers or not run.study.maps.get("html", True):
        return
    web = boundaries(run.study.level, simplify=SIMPLIFY)
    path = html_map(web, layers, run.maps_dir / f"{name}.html", title=caption,
                    offline=run.study.maps.get("offline", True))
    run.files.append(path)
    section.items.append(Frame(path, caption, height=560))
