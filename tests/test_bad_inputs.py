"""Bad inputs, entry point by entry point: each is refused with an error of the documented type
whose message names the culprit. The same table, with the messages the code gives today, is
BAD_INPUTS.md at the top of the repository; a test regenerates it and fails when it differs,
so the document cannot drift (``SPATIALECON_WRITE_DOCS=1 pytest tests/test_bad_inputs.py``
rewrites it)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from spatialecon.autocorrelation import global_moran, local_moran
from spatialecon.efficiency import dea
from spatialecon.geodetector import factor_detector
from spatialecon.indices import entropy_weights
from spatialecon.inequality import theil
from spatialecon.maps import classed, folium_map
from spatialecon.panel import read_panel
from spatialecon.validation import SpatialEconError
from spatialecon.weights import contiguity, distance_weights

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "BAD_INPUTS.md"


def _grid(n: int = 4) -> gpd.GeoDataFrame:
    cells = [shapely.box(i, j, i + 1, j + 1) for j in range(n) for i in range(n)]
    codes = [110000 + 10000 * k for k in range(len(cells))]
    layer = gpd.GeoDataFrame({"name": [f"unit{k}" for k in range(len(cells))]},
                             geometry=cells, index=codes, crs="EPSG:4326")
    layer["v"] = np.arange(len(cells), dtype=float) % 5 + np.arange(len(cells)) / 10
    return layer


GRID = _grid()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    W = contiguity(GRID)
X = pd.DataFrame({"labour": [3.0, 4.0, 5.0], "capital": [1.0, 2.0, 1.5]},
                 index=[110000, 120000, 130000])
Y = pd.DataFrame({"gdp": [2.0, 3.0, 4.0]}, index=X.index)
PANEL_CSV = "地区,年份,GDP\n北京,2018,1\n河北,2018,2\n天津,2018,3\n河北,2018,4\n"


@dataclass(frozen=True)
class Case:
    entry: str
    given: str
    call: Callable[[Path], object]
    names: str  # what the message must contain: the culprit


def _with(column: str, unit: int, value: float) -> gpd.GeoDataFrame:
    return GRID.assign(**{column: GRID[column].where(GRID.index != unit, value)})


def _panel(tmp: Path) -> object:
    path = tmp / "gdp.csv"
    path.write_text(PANEL_CSV, encoding="utf-8")
    return read_panel(path, unit="地区", year="年份")


CASES = [
    Case("global_moran", "a value of +inf", lambda _: global_moran(_with("v", 120000, np.inf),
                                                                  "v", W), "+inf at unit1"),
    Case("global_moran", "a missing value", lambda _: global_moran(_with("v", 130000, np.nan),
                                                                  "v", W), "130000"),
    Case("global_moran", "a constant variable", lambda _: global_moran(GRID.assign(v=2.5), "v",
                                                                      W), "constant"),
    Case("global_moran", "permutations=-5", lambda _: global_moran(GRID, "v", W,
                                                                  permutations=-5), "-5"),
    Case("global_moran", "an unknown column", lambda _: global_moran(GRID, "gdp", W), "gdp"),
    Case("local_moran", "alpha=5", lambda _: local_moran(GRID, "v", W, alpha=5), "alpha"),
    Case("local_moran", "a value of −inf", lambda _: local_moran(_with("v", 110000, -np.inf),
                                                                "v", W), "−inf at unit0"),
    Case("local_moran", "conventions='stata'", lambda _: local_moran(GRID, "v", W,
                                                                    conventions="stata"),
         "stata"),
    Case("contiguity", "a layer with no rows", lambda _: contiguity(GRID.iloc[:0]), "no units"),
    Case("contiguity", "a duplicated code", lambda _: contiguity(
        pd.concat([GRID, GRID.iloc[[0]]])), "110000"),
    Case("contiguity", "an empty polygon, strict=True", lambda _: contiguity(
        GRID.assign(geometry=GRID.geometry.where(GRID.index != 120000, shapely.Polygon())),
        strict=True), "unit1 (120000)"),
    Case("contiguity", "points, not polygons", lambda _: contiguity(
        GRID.set_geometry(GRID.geometry.centroid)), "Point"),
    Case("contiguity", "islands='closest'", lambda _: contiguity(GRID, islands="closest"),
         "closest"),
    Case("distance_weights", "no CRS and no planar=True", lambda _: distance_weights(
        GRID.set_crs(None, allow_override=True), "knn", k=2), "planar=True"),
    Case("theil", "a value of +inf", lambda _: theil(pd.Series([1.0, np.inf, 3.0],
                                                               index=[1, 2, 3])), "+inf at 2"),
    Case("theil", "a negative value", lambda _: theil(pd.Series([1.0, -2.0, 3.0],
                                                                index=[1, 2, 3])), "2"),
    Case("theil", "a zero with index='L'", lambda _: theil(pd.Series([1.0, 0.0, 3.0],
                                                                     index=[1, 2, 3]),
                                                           index="L"), "2"),
    Case("dea", "an output that is zero for every unit", lambda _: dea(X, Y.assign(gdp=0.0)),
         "'gdp'"),
    Case("dea", "a negative input", lambda _: dea(X.assign(labour=[3.0, -1.0, 5.0]), Y),
         "120000"),
    Case("dea", "a missing output", lambda _: dea(X, Y.assign(gdp=[2.0, np.nan, 4.0])),
         "NaN at 120000"),
    Case("factor_detector", "y with an infinity", lambda _: factor_detector(
        pd.DataFrame({"y": [1.0, 2.0, np.inf, 4.0], "f": ["a", "a", "b", "b"]}), "y", "f"),
         "+inf at 2"),
    Case("factor_detector", "a constant y", lambda _: factor_detector(
        pd.DataFrame({"y": [1.0, 1.0, 1.0, 1.0], "f": ["a", "a", "b", "b"]}), "y", "f"),
         "constant"),
    Case("entropy_weights", "a missing indicator value", lambda _: entropy_weights(
        X.assign(labour=[3.0, np.nan, 5.0]), "+"), "NaN at 120000"),
    Case("read_panel", "the same unit and year twice", _panel, "河北 (130000), 2018, GDP"),
    Case("folium_map", "no CRS", lambda _: folium_map(GRID.set_crs(None, allow_override=True),
                                                      {"v": classed(GRID["v"])}), "CRS"),
    Case("folium_map", "an unknown basemap", lambda _: folium_map(
        GRID, {"v": classed(GRID["v"])}, tiles="google"), "google"),
    Case("folium_map", "Tianditu without a key", lambda _: folium_map(
        GRID, {"v": classed(GRID["v"])}, tiles="tianditu"), "TIANDITU_KEY"),
]


def _outcome(case: Case, tmp: Path) -> tuple[type[BaseException], str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            case.call(tmp)
        except Exception as error:  # the table records whatever is raised
            return type(error), str(error).replace(str(tmp), "<folder>")
    return type(None), ""


@pytest.mark.parametrize("case", CASES, ids=[f"{c.entry}: {c.given}" for c in CASES])
def test_bad_input_is_refused_by_name(case, tmp_path, monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    kind, message = _outcome(case, tmp_path)
    assert issubclass(kind, SpatialEconError), (kind, message)
    assert case.names in message, message


def _table(tmp: Path) -> str:
    rows = ["# Bad inputs and what they get", "",
            "Generated by `tests/test_bad_inputs.py` from the messages the code gives (the test "
            "fails when this file", "differs from them). Every error is a "
            "`spatialecon.validation.SpatialEconError` (a `ValueError`).", "",
            "| entry point | input | error | message |", "|---|---|---|---|"]
    for case in CASES:
        kind, message = _outcome(case, tmp)
        text = message.replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{case.entry}` | {case.given} | `{kind.__name__}` | {text} |")
    return "\n".join(rows) + "\n"


def test_bad_input_table_is_current(tmp_path, monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    table = _table(tmp_path)
    if os.environ.get("SPATIALECON_WRITE_DOCS"):
        DOC.write_text(table, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == table, (
        "BAD_INPUTS.md is out of date: SPATIALECON_WRITE_DOCS=1 pytest tests/test_bad_inputs.py")
