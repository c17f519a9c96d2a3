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
import libpysal
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine

from spatialecon.autocorrelation import global_moran, local_moran
from spatialecon.centrography import mean_centre, std_ellipse
from spatialecon.dynamics import (
    beta_convergence,
    kernel_density,
    markov,
    sigma_convergence,
    spatial_markov,
)
from spatialecon.econometrics import fixed_effects, iv, llc_test, mediation
from spatialecon.efficiency import dea, malmquist, sbm
from spatialecon.geodata import regions
from spatialecon.geodetector import factor_detector
from spatialecon.indices import entropy_weights
from spatialecon.inequality import dagum_gini, theil
from spatialecon.maps import classed, folium_map
from spatialecon.panel import read_panel
from spatialecon.raster import from_array, zonal_stats
from spatialecon.regression import fit, fit_panel, gwr, spatial_panel_tests
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
    W_ONE = contiguity(GRID.iloc[:1])
NO_LINKS = libpysal.weights.W({k: [] for k in GRID.index}, silence_warnings=True)
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
    warns: bool = False  # valid input, handled with a warning that names what was done


def _raster(tmp: Path, value: float) -> object:
    cells = np.arange(100.0).reshape(10, 10)
    cells[7, 3] = value  # inside the first polygon
    return from_array(cells, Affine(0.1, 0, 110, 0, -0.1, 31), "EPSG:4326")


RASTER_UNITS = gpd.GeoDataFrame(geometry=[shapely.box(110.1, 30.1, 110.5, 30.5)],
                                index=[110000], crs="EPSG:4326")
TIDY = pd.DataFrame([(c, y, v, float((c // 10000) * y % 7 + (v == "x")))
                     for c in (110000, 120000, 130000, 140000) for y in (2018, 2019, 2020)
                     for v in ("y", "x")], columns=["adcode", "year", "variable", "value"])


def _projected_island(_: Path) -> object:
    """A 3 × 3 grid of 10 km cells in UTM 50N and an islet 5 km off its east side."""
    cells = [shapely.box(500_000 + 10_000 * i, 3_500_000 + 10_000 * j,
                         510_000 + 10_000 * i, 3_510_000 + 10_000 * j)
             for i in range(3) for j in range(3)]
    cells.append(shapely.box(535_000, 3_513_000, 536_000, 3_514_000))
    layer = gpd.GeoDataFrame({"name": [f"unit{k}" for k in range(10)]}, geometry=cells,
                             index=[110000 + 10000 * k for k in range(10)], crs="EPSG:32650")
    w = contiguity(layer)
    assert w.meta["repaired_islands"] == {200000: 180000} and not w.islands
    return w


def _bowtie_grid() -> gpd.GeoDataFrame:
    """GRID with cell unit5 drawn as a bow-tie (two of its vertices swapped)."""
    x, y = GRID.geometry[160000].bounds[:2]
    bowtie = shapely.Polygon([(x, y), (x + 1, y + 1), (x + 1, y), (x, y + 1)])
    return GRID.assign(geometry=GRID.geometry.where(GRID.index != 160000, bowtie))


def _islets(n: int = 50) -> gpd.GeoDataFrame:
    """n × n squares that touch nothing: n² islands."""
    k = np.arange(n * n)
    cells = shapely.box(k % n * 2.0, k // n * 2.0, k % n * 2.0 + 1, k // n * 2.0 + 1)
    return gpd.GeoDataFrame(geometry=cells, index=pd.Index(k + 1, name="cell"))


def _spatial_panel(years: int = 4) -> pd.DataFrame:
    """A balanced tidy panel on GRID's 16 units: y, x varying over units and years, c constant
    over time within each unit, trend the same for every unit in a year."""
    rng = np.random.default_rng(0)
    rows = []
    for t, year in enumerate(range(2016, 2016 + years)):
        for k, code in enumerate(GRID.index):
            rows += [(code, year, "y", rng.normal()), (code, year, "x", rng.normal()),
                     (code, year, "c", float(k)), (code, year, "trend", float(t)),
                     (code, year, "common", float(year))]
    return pd.DataFrame(rows, columns=["adcode", "year", "variable", "value"])


SPATIAL_PANEL = _spatial_panel()
ISLAND = GRID.index[-1]  # cut off from the others: an island in the panel's weights
ISLAND_W = libpysal.weights.W({k: [] if k == ISLAND else [j for j in W.neighbors[k]
                                                           if j != ISLAND]
                               for k in GRID.index}, silence_warnings=True)


_Y = SPATIAL_PANEL[SPATIAL_PANEL["variable"] == "y"]
# positive values of GRID's units by (adcode, year), as the disparity tools take them
LEVELS = _Y.set_index(["adcode", "year"])["value"].abs().add(1.0).rename("y")
INPUTS = pd.DataFrame({"labour": LEVELS, "capital": LEVELS * 2 + 1})
OUTPUTS = pd.DataFrame({"gdp": LEVELS ** 0.5 + 1})
WITH_X = GRID.assign(x=np.random.default_rng(0).normal(size=len(GRID)))
LONLAT = np.column_stack([GRID.geometry.representative_point().x + 100,
                          GRID.geometry.representative_point().y + 30])
HALVES = pd.Series({code: "west" if k % 4 < 2 else "east" for k, code in enumerate(GRID.index)})


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
    Case("global_moran", "one unit (n = 1)", lambda _: global_moran(
        GRID.iloc[:1], "v", W_ONE), "n = 1"),
    Case("global_moran", "weights without a single link", lambda _: global_moran(
        GRID, "v", NO_LINKS), "no links"),
    Case("local_moran", "weights without a single link", lambda _: local_moran(
        GRID, "v", NO_LINKS), "no links"),
    Case("local_moran", "alpha=-1", lambda _: local_moran(GRID, "v", W, alpha=-1), "-1"),
    Case("local_moran", "permutations=-5", lambda _: local_moran(GRID, "v", W,
                                                                permutations=-5), "-5"),
    Case("contiguity", "an islet 5 km off a layer in UTM (EPSG:32650)", _projected_island,
         "unit9 (200000) → unit7 (180000)", warns=True),
    Case("contiguity", "an empty polygon", lambda _: contiguity(
        GRID.assign(geometry=GRID.geometry.where(GRID.index != 120000, shapely.Polygon()))),
         "unit1 (120000)", warns=True),
    Case("contiguity", "a self-intersecting (bow-tie) cell", lambda _: contiguity(
        _bowtie_grid()), "unit5 (160000): Self-intersection", warns=True),
    Case("contiguity", "a bow-tie cell, strict=True", lambda _: contiguity(
        _bowtie_grid(), strict=True), "unit5 (160000): Self-intersection"),
    Case("contiguity", "a bow-tie cell, make_valid=True", lambda _: contiguity(
        _bowtie_grid(), make_valid=True), "unit5 (160000)", warns=True),
    Case("contiguity", "the same cell under two codes", lambda _: contiguity(
        pd.concat([GRID, GRID.iloc[[3]].set_axis([990000])])), "unit3 (140000) = unit3 (990000)"),
    Case("contiguity", "a cell with a NaN coordinate", lambda _: contiguity(GRID.assign(
        geometry=GRID.geometry.where(GRID.index != 130000, shapely.Polygon(
            [(2, 0), (np.nan, 0), (3, 1), (2, 0)])))), "unit2 (130000)"),
    Case("contiguity", "2,500 islets, islands='error'", lambda _: contiguity(
        _islets(), islands="error"), "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 … (2500 in all)"),
    Case("factor_detector", "a factor with one stratum", lambda _: factor_detector(
        pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "f": ["a"] * 4}), "y", "f"),
         "single stratum", warns=True),
    Case("regions", "an unknown scheme", lambda _: regions("nbs9"), "nbs9"),
    Case("theil", "an unknown region scheme as groups", lambda _: theil(
        pd.Series([1.0, 2.0, 3.0], index=[110000, 120000, 130000]), "east-west"), "east-west"),
    Case("fit", "a regressor with +inf", lambda _: fit(
        GRID.assign(x=GRID["v"] ** 2).assign(
            x=lambda d: d["x"].where(d.index != 120000, np.inf)), "v ~ x", W, model="lag"),
         "120000"),
    Case("fit", "a formula written with '='", lambda _: fit(
        GRID.assign(x=GRID["v"] ** 2), "v = x", W, model="lag"), "'v ~ x'"),
    Case("fit", "model='lagg'", lambda _: fit(GRID.assign(x=GRID["v"] ** 2), "v ~ x", W,
                                              model="lagg"), "lagg"),
    Case("fixed_effects", "a regressor with +inf", lambda _: fixed_effects(
        TIDY.assign(value=TIDY["value"].where(TIDY.index != 3, np.inf)), "y ~ x"),
         "+inf at 110000 (2019)"),
    Case("fixed_effects", "effects='both'", lambda _: fixed_effects(TIDY, "y ~ x",
                                                                    effects="both"), "both"),
    Case("fit_panel", "a unit-year missing (unbalanced)", lambda _: fit_panel(
        SPATIAL_PANEL[~((SPATIAL_PANEL["adcode"] == 120000) & (SPATIAL_PANEL["year"] == 2017)
                        & (SPATIAL_PANEL["variable"] == "x"))], "y ~ x", W),
         "x for 120000 in 2017"),
    Case("fit_panel", "a regressor constant over time, unit effects", lambda _: fit_panel(
        SPATIAL_PANEL, "y ~ x + c", W, effects="unit"), "c does not vary over time"),
    Case("fit_panel", "a regressor common to all units, time effects", lambda _: fit_panel(
        SPATIAL_PANEL, "y ~ x + common", W, effects="time"), "common is the same for every"),
    Case("fit_panel", "a dynamic model on 2 years", lambda _: fit_panel(
        _spatial_panel(2), "y ~ x", W, dynamic=True), "at least 3"),
    Case("fit_panel", "weights with an island", lambda _: fit_panel(
        SPATIAL_PANEL, "y ~ x", ISLAND_W), "260000"),
    Case("fit_panel", "effects='both'", lambda _: fit_panel(SPATIAL_PANEL, "y ~ x", W,
                                                            effects="both"), "'both'"),
    Case("fit_panel", "ρ at the bound of its range (y a common trend)", lambda _: fit_panel(
        SPATIAL_PANEL, "trend ~ x", W, effects="unit", impacts=None), "at the boundary",
         warns=True),
    Case("spatial_panel_tests", "alpha=1.5", lambda _: spatial_panel_tests(
        SPATIAL_PANEL, "y ~ x", W, alpha=1.5), "1.5"),
    Case("dagum_gini", "a negative value", lambda _: dagum_gini(
        LEVELS.where(LEVELS.index != (130000, 2017), -1.0), HALVES), "130000"),
    Case("dagum_gini", "a group with one unit", lambda _: dagum_gini(
        LEVELS, HALVES.where(HALVES.index != 110000, "alone")), "alone", warns=True),
    Case("kernel_density", "bandwidth='wide'", lambda _: kernel_density(
        LEVELS, bandwidth="wide"), "wide"),
    Case("markov", "a panel with one year", lambda _: markov(
        LEVELS[LEVELS.index.get_level_values("year") == 2016], k=3), "one year"),
    Case("markov", "a year missing for some units", lambda _: markov(
        LEVELS.drop((140000, 2018)), k=3), "140000"),
    Case("spatial_markov", "weights with an island", lambda _: spatial_markov(
        LEVELS, ISLAND_W, k=3), "260000"),
    Case("sigma_convergence", "a zero value with measure='sd_log'", lambda _: sigma_convergence(
        LEVELS.where(LEVELS.index != (150000, 2019), 0.0), measure="sd_log"), "150000"),
    Case("beta_convergence", "a panel with one year", lambda _: beta_convergence(
        LEVELS[LEVELS.index.get_level_values("year") == 2016], "y"), "2016"),
    Case("mean_centre", "a negative weight", lambda _: mean_centre(
        GRID, LEVELS.where(LEVELS.index != (160000, 2016), -2.0)), "160000"),
    Case("std_ellipse", "method='standard'", lambda _: std_ellipse(
        GRID, LEVELS, method="standard"), "standard"),
    Case("sbm", "an input of zero", lambda _: sbm(X.assign(labour=[3.0, 0.0, 5.0]), Y),
         "120000"),
    Case("sbm", "an output both desirable and undesirable", lambda _: sbm(X, Y, undesirable=Y),
         "gdp"),
    Case("sbm", "every output named undesirable", lambda _: sbm(
        X, Y.assign(co2=[1.0, 2.0, 3.0]), undesirable=["gdp", "co2"]), "gdp, co2"),
    Case("malmquist", "a unit missing a year", lambda _: malmquist(
        INPUTS.drop((140000, 2018)), OUTPUTS.drop((140000, 2018))), "140000 (2018)"),
    Case("llc_test", "an unbalanced panel", lambda _: llc_test(
        SPATIAL_PANEL[~((SPATIAL_PANEL["adcode"] == 120000) & (SPATIAL_PANEL["year"] == 2017))],
        "y"), "120000: 2017"),
    Case("iv", "an instrument that is also a regressor", lambda _: iv(
        SPATIAL_PANEL, "y ~ 1 + x + [trend ~ x]"), "['x']"),
    Case("mediation", "the mediator is the treatment", lambda _: mediation(
        SPATIAL_PANEL, "y", "x", "x"), "'x'"),
    Case("gwr", "collinear regressors", lambda _: gwr(
        GRID.assign(x=GRID["v"] * 2, z=GRID["v"] * 4), "v ~ x + z", bandwidth=10), "{x, z}"),
    Case("gwr", "an adaptive bandwidth of 2", lambda _: gwr(WITH_X, "v ~ x", bandwidth=2),
         "bandwidth 2 is outside the feasible range 3 … 16"),
    Case("gwr", "lon/lat coordinates with a fixed kernel", lambda _: gwr(
        WITH_X, "v ~ x", coords=LONLAT, fixed=True), "longitude/latitude"),
    Case("gwr", "a missing value", lambda _: gwr(
        WITH_X.assign(x=WITH_X["x"].where(WITH_X.index != 130000)), "v ~ x", bandwidth=10),
         "130000"),
    Case("zonal_stats", "a +inf cell inside a polygon", lambda tmp: zonal_stats(
        _raster(tmp, np.inf), RASTER_UNITS), "+inf at 110000"),
    Case("zonal_stats", "a statistic called 'average'", lambda tmp: zonal_stats(
        _raster(tmp, 1.0), RASTER_UNITS, "average"), "average"),
    Case("zonal_stats", "polygons without a CRS", lambda tmp: zonal_stats(
        _raster(tmp, 1.0), RASTER_UNITS.set_crs(None, allow_override=True)), "CRS"),
    Case("entropy_weights", "direction 'up'", lambda _: entropy_weights(X, "up"), "'up'"),
    Case("distance_weights", "knn with k=0", lambda _: distance_weights(
        GRID.set_geometry(GRID.geometry.centroid), "knn", k=0), "k=0"),
]


def _outcome(case: Case, tmp: Path) -> tuple[type, str]:
    """What the input got: the error raised, else the first warning not from numpy or a
    library (``RuntimeWarning`` of an invalid operation is the silent-NaN symptom), else
    nothing."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            case.call(tmp)
        except Exception as error:  # the table records whatever is raised
            return type(error), str(error).replace(str(tmp), "<folder>")
    ours = [w for w in caught if not issubclass(w.category, (RuntimeWarning,
                                                             DeprecationWarning))]
    return (ours[0].category, str(ours[0].message)) if ours else (type(None), "")


def _verdict(case: Case, kind: type, message: str) -> str:
    """good: refused (or, for valid input, warned) naming the culprit; poor: an error or
    warning that does not name it, or a raw exception; bad: nothing said."""
    if kind is type(None):
        return "bad"
    ours = issubclass(kind, Warning) if case.warns else issubclass(kind, SpatialEconError)
    return "good" if ours and case.names in message else "poor"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.entry}: {c.given}" for c in CASES])
def test_bad_input_is_refused_by_name(case, tmp_path, monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    kind, message = _outcome(case, tmp_path)
    if case.warns:
        assert issubclass(kind, Warning), (kind, message)
    else:
        assert issubclass(kind, SpatialEconError), (kind, message)
    assert case.names in message, message
    assert _verdict(case, kind, message) == "good"


def _table(tmp: Path) -> str:
    outcomes = [(case, *_outcome(case, tmp)) for case in CASES]
    verdicts = [_verdict(case, kind, message) for case, kind, message in outcomes]
    counts = {v: verdicts.count(v) for v in ("good", "poor", "bad")}
    rows = ["# Bad inputs and what they get", "",
            "Generated by `tests/test_bad_inputs.py` from the messages the code gives (the test "
            "fails when this file", "differs from them). Every error is a "
            "`spatialecon.validation.SpatialEconError` (a `ValueError`); inputs that are",
            "valid but need a repair get a warning naming what was done instead.", "",
            f"{len(CASES)} inputs: {counts['good']} good (refused, or repaired with a "
            f"warning, naming the culprit), {counts['poor']} poor (an error that does not "
            f"name it), {counts['bad']} bad (a silent answer).", "",
            "| entry point | input | outcome | verdict | message |", "|---|---|---|---|---|"]
    for (case, kind, message), verdict in zip(outcomes, verdicts, strict=True):
        text = message.replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{case.entry}` | {case.given} | `{kind.__name__}` | {verdict} | "
                    f"{text} |")
    return "\n".join(rows) + "\n"


def test_bad_input_table_is_current(tmp_path, monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    table = _table(tmp_path)
    if os.environ.get("SPATIALECON_WRITE_DOCS"):
        DOC.write_text(table, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == table, (
        "BAD_INPUTS.md is out of date: SPATIALECON_WRITE_DOCS=1 pytest tests/test_bad_inputs.py")
