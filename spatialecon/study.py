"""Study files: what to analyse, written as TOML, validated before anything runs.

A study names its unit level, its indicators (embedded datasets or the user's own tables), the
weights, and which statistics, maps and tables to produce; :func:`spatialecon.pipeline.run_study`
runs it. TOML is parsed with the standard library (``tomllib``): data only, no code, unlike
YAML loaders that can construct objects. Unknown keys are errors (a typo must not silently
switch an analysis off), and file paths must stay inside the study's folder unless the study
says ``allow_paths_outside = true``. Each analysis table (``[moran]``, ``[geodetector]``,
``[spatial_panel]``, ``[gwr]`` …) is a section registered in :mod:`spatialecon.sections`, which
declares the keys that table accepts.

Example (the built-in ``provinces`` study is a complete one)::

    title = "城乡融合与服务业"
    level = "province"

    [[indicators]]
    name = "integration"
    dataset = "urban_rural_integration"
    variable = "total"

    [[indicators]]
    name = "gdp"
    file = "data/gdp.csv"          # read with spatialecon.panel.read_panel
    unit = "地区"
    year_column = "年份"
    variable = "GDP"
    year = 2018

    [weights]
    contiguity = "queen"

    [moran]
    permutations = 999
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from spatialecon._files import embedded_path
from spatialecon.validation import SpatialEconError

STUDY_VERSION = 1
BUILTIN_FOLDER = "studies"


class StudyError(SpatialEconError):
    """A study file that cannot run; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Indicator:
    """One mapped/analysed variable: an embedded dataset's variable or a column of a file."""

    name: str
    variable: str
    label: str
    dataset: str | None = None
    file: Path | None = None
    read: dict = field(default_factory=dict)  # extra read_panel arguments for files
    year: int | str | None = None  # a year, "latest", or None for the only year
    scale: float = 1.0  # e.g. 0.01 to turn a ×100 index into [0, 1]
    map: dict | None = field(default_factory=dict)  # None: no map


@dataclass(frozen=True)
class PanelSpec:
    """Variables analysed year by year (Moran per year, LISA quadrants, transitions)."""

    name: str
    variables: tuple[str, ...]
    dataset: str | None = None
    file: Path | None = None
    read: dict = field(default_factory=dict)
    weights: str = "contiguity"
    scale: float = 1.0


@dataclass(frozen=True)
class Study:
    """A validated study. Build it with :func:`load_study`."""

    name: str
    title: str
    level: str
    folder: Path
    output: Path
    seed: int
    indicators: tuple[Indicator, ...]
    panels: tuple[PanelSpec, ...] = ()
    weights: dict = field(default_factory=dict)
    # one table per section the file asks for (spatialecon.sections: moran, geodetector …)
    sections: dict[str, dict] = field(default_factory=dict)
    composites: tuple[dict, ...] = ()
    printed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    source: Path | None = None

    @property
    def moran(self) -> dict:
        return self.sections.get("moran") or {}

    @property
    def maps(self) -> dict:
        return self.sections.get("maps") or {}

    def indicator(self, name: str) -> Indicator:
        for ind in self.indicators:
            if ind.name == name:
                return ind
        raise StudyError(f"{self.name}: no indicator named {name!r}; the study has "
                         f"{', '.join(i.name for i in self.indicators)}")


# The top-level keys besides the sections' tables (spatialecon.sections registers those).
_TOP = {"version", "title", "level", "output", "seed", "allow_paths_outside", "indicators",
        "panels", "weights", "composite", "printed", "notes"}
_INDICATOR = {"name", "label", "dataset", "file", "variable", "year", "unit", "year_column",
              "within", "sheet", "encoding", "skip_units", "scale", "map"}
_PANEL = {"name", "dataset", "file", "variables", "unit", "year_column", "within", "sheet",
          "encoding", "skip_units", "weights", "scale"}
_WEIGHTS = {"contiguity", "islands", "distance"}
_MAP = {"scheme", "k", "cmap", "bins", "labels"}
_COMPOSITE = {"name", "label", "method", "indicators", "dimensions", "directions", "map"}
COMPOSITE_METHODS = ("entropy", "topsis", "topsis_layered")
LEVELS = ("province", "prefecture", "county")
_NAME = re.compile(r"[\w\-]{1,64}")  # \w includes CJK: 城乡融合 is a fine file name


def builtin_studies() -> list[str]:
    """Names of the studies that ship with the package (``spatialecon run NAME``)."""
    return sorted(p.stem for p in embedded_path(BUILTIN_FOLDER).glob("*.toml"))


def resolve_study(name_or_path: str | Path) -> Path:
    """A study file from a path or a built-in name."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise StudyError(f"no study file {path}")
        return path
    builtin = embedded_path(BUILTIN_FOLDER, f"{name_or_path}.toml")
    if builtin.is_file():
        return builtin
    raise StudyError(f"no study {name_or_path!r}: give a .toml file or one of "
                     f"{', '.join(builtin_studies())}")


def _check_keys(where: str, table: dict, allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise StudyError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: "
                         f"{', '.join(sorted(allowed))}")


def _path(where: str, value: str, folder: Path, outside_ok: bool) -> Path:
    path = Path(value)
    resolved = (folder / path).resolve() if not path.is_absolute() else path.resolve()
    if not outside_ok and not resolved.is_relative_to(folder.resolve()):
        raise StudyError(f"{where}: {value!r} points outside the study's folder {folder}; "
                         "move the file there or set allow_paths_outside = true")
    return resolved


def _read_args(table: dict) -> dict:
    args = {k: table[k] for k in ("unit", "within", "sheet", "encoding", "skip_units")
            if k in table}
    if "year_column" in table:
        args["year"] = table["year_column"]
    return args


def _source(where: str, table: dict, folder: Path, outside_ok: bool,
            level: str) -> tuple[str | None, Path | None, dict]:
    if ("dataset" in table) == ("file" in table):
        raise StudyError(f"{where}: give exactly one of dataset = (embedded) or file = (yours)")
    if "dataset" in table:
        from spatialecon import sources

        if table["dataset"] not in sources.available():
            raise StudyError(f"{where}: no embedded dataset {table['dataset']!r}; available: "
                             f"{', '.join(sources.available())}")
        return table["dataset"], None, {}
    if "unit" not in table:
        raise StudyError(f"{where}: a file needs unit = (the column naming the units)")
    file = _path(where, table["file"], folder, outside_ok)
    if not file.is_file():
        raise StudyError(f"{where}: file {file} does not exist")
    return None, file, {**_read_args(table), "level": level}


def load_study(name_or_path: str | Path, *, output: str | Path | None = None) -> Study:
    """Read and validate a study file (or a built-in study by name).

    Parameters
    ----------
    name_or_path
        A ``.toml`` file or a built-in name (:func:`builtin_studies`).
    output
        Override the study's output folder (default: the study's ``output``, relative to the
        current directory, else ``outputs/<study name>``).
    """
    path = resolve_study(name_or_path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise StudyError(f"{path}: not valid TOML: {err}") from None
    where = path.name
    # The sections register their tables and keys; imported here, not at the top, because
    # the sections themselves read Study (this module) when they run.
    from spatialecon.sections import registered

    tables = {spec.name: spec for spec in registered() if spec.keys}
    _check_keys(where, raw, _TOP | set(tables))
    if raw.get("version", STUDY_VERSION) != STUDY_VERSION:
        raise StudyError(f"{where}: version {raw['version']} is not supported "
                         f"(this spatialecon reads version {STUDY_VERSION})")
    level = raw.get("level", "province")
    if level not in LEVELS:
        raise StudyError(f"{where}: level must be one of {', '.join(LEVELS)}, not {level!r}")
    folder = path.parent
    outside_ok = bool(raw.get("allow_paths_outside", False))
    indicators = []
    for n, table in enumerate(raw.get("indicators", []), start=1):
        at = f"{where} [[indicators]] #{n}"
        _check_keys(at, table, _INDICATOR)
        if "name" not in table or "variable" not in table:
            raise StudyError(f"{at}: needs name = and variable =")
        if not _NAME.fullmatch(str(table["name"])):
            raise StudyError(f"{at}: name {table['name']!r} must be letters, digits, _ or - "
                             "(it names output files); put free text in label =")
        dataset, file, read = _source(at, table, folder, outside_ok, level)
        map_spec = table.get("map", {})
        if map_spec is not False:
            _check_keys(f"{at} map", map_spec, _MAP)
        indicators.append(Indicator(
            name=table["name"], variable=table["variable"],
            label=table.get("label", table["name"]), dataset=dataset, file=file, read=read,
            year=table.get("year"), scale=float(table.get("scale", 1.0)),
            map=None if map_spec is False else dict(map_spec)))
    if not indicators:
        raise StudyError(f"{where}: a study needs at least one [[indicators]] table")
    names = [i.name for i in indicators]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise StudyError(f"{where}: indicator names must be unique: {', '.join(duplicated)}")
    panels = []
    for n, table in enumerate(raw.get("panels", []), start=1):
        at = f"{where} [[panels]] #{n}"
        _check_keys(at, table, _PANEL)
        dataset, file, read = _source(at, table, folder, outside_ok, level)
        panels.append(PanelSpec(name=table.get("name", f"panel{n}"),
                                variables=tuple(table["variables"]), dataset=dataset, file=file,
                                read=read, weights=table.get("weights", "contiguity"),
                                scale=float(table.get("scale", 1.0))))
    composites = []
    for n, table in enumerate(raw.get("composite", []), start=1):
        at = f"{where} [[composite]] #{n}"
        _check_keys(at, table, _COMPOSITE)
        if table.get("method", "entropy") not in COMPOSITE_METHODS:
            raise StudyError(f"{at}: method must be one of {', '.join(COMPOSITE_METHODS)}")
        unknown = [i for i in table.get("indicators", []) if i not in names]
        if unknown or not table.get("indicators"):
            raise StudyError(f"{at}: indicators {unknown or '[]'} are not indicator names")
        if not _NAME.fullmatch(str(table.get("name", ""))):
            raise StudyError(f"{at}: needs a name of letters, digits, _ or -")
        composites.append(dict(table))
        names.append(table["name"])
    from spatialecon import sources

    printed = tuple(raw.get("printed", []))
    unknown = [p for p in printed if p not in sources.printed_names()]
    if unknown:
        raise StudyError(f"{where}: printed tables {unknown} do not exist; available: "
                         f"{', '.join(sources.printed_names())}")
    if "weights" in raw:
        _check_keys(f"{where} [weights]", raw["weights"], _WEIGHTS)
    sections = {}
    for key, spec in tables.items():
        table = raw.get(key)
        if table is None:
            continue
        _check_keys(f"{where} [{key}]", table, set(spec.keys))
        for setting in spec.references:
            value = table.get(setting)
            refs = [value] if isinstance(value, str) else list(value or [])
            for ref in refs:
                if ref not in names:
                    raise StudyError(f"{where} [{key}]: {ref!r} is not an indicator name "
                                     f"({', '.join(names)})")
        sections[key] = dict(table)
    name = path.stem
    out = Path(output) if output is not None else Path(raw.get("output", f"outputs/{name}"))
    return Study(
        name=name, title=raw.get("title", name), level=level, folder=folder, output=out,
        seed=int(raw.get("seed", 20201005)), indicators=tuple(indicators), panels=tuple(panels),
        weights=raw.get("weights") or {"contiguity": "queen"}, sections=sections,
        composites=tuple(composites), printed=printed, notes=tuple(raw.get("notes", [])),
        source=path,
    )
