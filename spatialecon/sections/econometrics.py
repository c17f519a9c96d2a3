"""Aspatial panel econometrics on a study panel: two-way fixed effects and random effects with
clustered errors and the Hausman test, and on request the rest of a panel paper's toolkit —
unit roots (LLC, IPS, Fisher), cointegration (Kao, Pedroni), IV/2SLS, system GMM, mediation and
moderation.

A requested test the data cannot support (too few or unequally spaced years for a unit-root
test, a gap for GMM) is not dropped: the report says which and why, in the test's place."""

from __future__ import annotations

import sys
from collections.abc import Callable

import geopandas as gpd
import pandas as pd

from spatialecon.report import Section, Table, Text
from spatialecon.sections._registry import register
from spatialecon.sections._run import StudyRun, panel_data, panel_spec
from spatialecon.validation import SpatialEconError


@register("econometrics", keys={"panel", "y", "x", "cluster", "unit_roots", "llc",
                                "cointegration", "iv", "gmm", "mediation", "moderation"},
          title="panel regressions", order=90)
def econometrics(run: StudyRun, units: gpd.GeoDataFrame) -> None:
    from spatialecon import econometrics as E

    config = run.study.sections["econometrics"]
    data = panel_data(panel_spec(run.study, "econometrics", config.get("panel")))
    y, xs = config["y"], list(config["x"])
    formula = f"{y} ~ {' + '.join(xs)}"
    cluster = config.get("cluster", "entity")
    fe = E.fixed_effects(data, formula, cluster=cluster)
    re = E.random_effects(data, formula, cluster=cluster)
    test = E.hausman(fe, re)
    section = Section("面板回归 · Panel regressions (FE / RE)")
    for name, result in (("two-way fixed effects", fe), ("random effects", re)):
        csv = run.table(result.reset_index(), f"panel-{name.split()[0]}-{y}")
        section.items.append(Table(result.reset_index(), f"{formula}: {name}, errors "
                                   f"clustered by {cluster}", csv=csv))
    section.items.append(Text(f"Hausman (FE vs RE): {test}"))

    def run_table(frame: pd.DataFrame, name: str, title: str) -> Table:
        frame = frame.reset_index()
        return Table(frame, title, csv=run.table(frame, name))

    def attempt(title: str, compute: Callable[[], Table | Text]) -> None:
        try:
            section.items.append(compute())
        except SpatialEconError as error:
            message = f"{title}: not computed — {error}"
            run.notes.append(message)
            print(f"    note: {message}", file=sys.stderr)
            section.items.append(Text(message))

    if config.get("unit_roots"):
        variables = config["unit_roots"] if isinstance(config["unit_roots"], list) \
            else [y, *xs]
        attempt("Panel unit-root tests", lambda: run_table(
            E.unit_root_table(data, variables, llc=bool(config.get("llc", True))),
            "unit_roots", "面板单位根检验 · panel unit-root tests (LLC, IPS, Fisher)"))
    if config.get("cointegration"):
        attempt("Cointegration tests", lambda: run_table(
            E.cointegration_table(data, y, xs), "cointegration",
            "面板协整检验 · Kao and Pedroni cointegration tests"))
    if config.get("iv"):
        attempt("IV / 2SLS", lambda: Text(
            f"IV / 2SLS, unit effects — {config['iv']}\n"
            f"{E.iv(data, config['iv'], effects='entity', cluster=cluster).table()}",
            preformatted=True))
    if config.get("gmm"):
        attempt("System GMM", lambda: Text(
            f"System GMM (two-step, collapsed, Windmeijer) — {config['gmm']}\n"
            f"{E.system_gmm(data, config['gmm']).table()}", preformatted=True))
    if config.get("mediation"):
        spec = config["mediation"]
        attempt("Mediation", lambda: run_table(
            E.mediation(data, y, spec["treatment"], spec["mediator"], effects="twoway",
                        cluster=cluster, seed=run.study.seed).table(),
            "mediation", "中介效应检验 · mediation (two-way fixed effects, bootstrap by unit)"))
    if config.get("moderation"):
        spec = config["moderation"]
        attempt("Moderation", lambda: run_table(
            E.moderation(data, y, spec["x"], spec["moderator"], effects="twoway",
                         cluster=cluster).table(),
            "moderation", "调节效应检验 · moderation (centred interaction, two-way fixed "
                          "effects)"))
    run.sections.append(section)

