"""Run a study (:mod:`spatialecon.study`) end to end: load its indicators, join them to the
boundaries, run the sections it asks for (:mod:`spatialecon.sections`, in their registered
order) and write one HTML report. ``make maps`` runs the built-in studies; ``spatialecon run
STUDY`` runs any.

Each section reports what it wrote and how long it took; outputs go under the study's output
folder (``maps/``, ``tables/``, ``report.html`` and the manifest ``run.json``), every file written
atomically, and the listing ``outputs/index.html`` is rebuilt to include the study. Nothing here
computes a statistic or knows a section by name: the sections call the modules before them in
the data flow.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd

from spatialecon.geodata import boundaries
from spatialecon.panel import join_boundaries
from spatialecon.report import Section, Text, write_index, write_manifest, write_report
from spatialecon.sections import StudyRun, registered
from spatialecon.sections._run import tidy
from spatialecon.study import Study, StudyError, load_study

DEFAULT_STUDIES = ("provinces", "counties")  # what `make maps` runs
OUTPUTS = Path("outputs")  # where the built-in studies write, and the listing of all runs

__all__ = ["DEFAULT_STUDIES", "OUTPUTS", "StudyRun", "load_indicators", "run_study"]


@contextmanager
def _stage(run: StudyRun, name: str, echo: Callable[[str], None]) -> Iterator[None]:
    before = len(run.files)
    started, cpu = time.perf_counter(), time.process_time()
    echo(f"[{run.study.name}] {name} …")
    yield
    seconds = time.perf_counter() - started
    run.timings[name] = seconds
    for path in run.files[before:]:
        echo(f"    wrote {path} ({path.stat().st_size / 1024:,.0f} KiB)")
    # CPU time beside the wall time: on a shared machine only the first tells what the
    # section costs (it counts every thread of this process, numba's and BLAS's too)
    echo(f"    {name}: {seconds:.1f} s (CPU {time.process_time() - cpu:.1f} s)")


def load_indicators(study: Study, run: StudyRun | None = None) -> gpd.GeoDataFrame:
    """The study's units (boundaries of its level) with one column per indicator."""
    units = boundaries(study.level)
    for ind in study.indicators:
        panel = tidy(ind.dataset, ind.file, ind.read)
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
    for spec in registered():
        if spec.always or spec.name in study.sections:
            with _stage(run, spec.title, echo):
                spec.run(run, units)
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
