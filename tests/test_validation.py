"""No silent wrong answers: the validation layer's rules, and a regression test for each input that
once gave a wrong or empty answer without an error (issue 21). References are libpysal, esda and
brute force in the test."""

from __future__ import annotations

import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
import shapely

from spatialecon import (
    econometrics,
    efficiency,
    geodetector,
    indices,
    inequality,
    panel,
    raster,
    regression,
    study,
)
from spatialecon.autocorrelation import global_moran, local_moran
from spatialecon.efficiency import DEAError, dea
from spatialecon.geodata.matching import UnitMatchError
from spatialecon.validation import (
    DegenerateError,
    NonFiniteError,
    ParameterError,
    SpatialEconError,
    check_choice,
    check_count,
    check_finite,
    check_probability,
    check_variation,
)
from spatialecon.weights import IslandWarning, WeightsError, contiguity


def _grid(nx: int, ny: int, size: float = 1.0, x0: float = 0.0, y0: float = 0.0,
          crs: str | None = None, ids=None) -> gpd.GeoDataFrame:
    cells = [shapely.box(x0 + i * size, y0 + j * size, x0 + (i + 1) * size, y0 + (j + 1) * size)
             for j in range(ny) for i in range(nx)]
    index = list(range(1, len(cells) + 1)) if ids is None else ids
    return gpd.GeoDataFrame(geometry=cells, index=index, crs=crs)


def _sets(w) -> dict:
    return {i: set(w.neighbors[i]) for i in w.id_order}


# --- the rules ----------------------------------------------------------------------------------


def test_check_finite_names_each_kind_and_unit():
    values = pd.Series([1.0, np.inf, np.nan, -np.inf],
                       index=pd.MultiIndex.from_tuples([(110000, 2018), (130000, 2018),
                                                        (130000, 2019), (120000, 2018)]))
    names = pd.Series({110000: "北京", 120000: "天津", 130000: "河北"})
    with pytest.raises(NonFiniteError) as caught:
        check_finite(values, variable="GDP", names=names)
    message = str(caught.value)
    assert message.startswith("GDP: 3 non-finite value(s)")
    assert "+inf at 河北 (130000, 2018)" in message and "−inf at 天津 (120000, 2018)" in message
    assert "NaN at 河北 (130000, 2019)" in message and "北京" not in message
    check_finite(values.iloc[[0, 2]], variable="GDP", allow_nan=True)  # NaN left to missing=
    with pytest.raises(NonFiniteError, match=r"\+inf at 130000"):
        check_finite(values, variable="GDP", allow_nan=True)


def test_constant_is_relative_to_the_data_scale():
    rng = np.random.default_rng(1)
    big = 1e6 + rng.normal(0, 3, 50)  # esda computes its Moran's I; so must we
    assert check_variation(big, variable="x").std() == pytest.approx(big.std())
    tiny = 1e-12 * rng.normal(0, 1, 50)  # small numbers vary too
    check_variation(tiny, variable="x")
    with pytest.raises(DegenerateError, match=r"x is constant \(0.3 for all 5 units\)"):
        check_variation(np.full(5, 0.1 + 0.2) + np.array([0, 5e-17, 0, 0, 0]), variable="x")
    with pytest.raises(DegenerateError, match=r"one unit \(n = 1\)"):
        check_variation([4.0], variable="x")
    with pytest.raises(DegenerateError, match="no values"):
        check_variation([], variable="x")


def test_parameters_are_checked_and_named():
    assert check_probability(0.05, "alpha") == 0.05
    for bad in (0, 1, 5, -1, np.nan, "0.05", True):
        with pytest.raises(ParameterError, match=r"alpha must be a probability in \(0, 1\)"):
            check_probability(bad, "alpha")
    assert check_count(np.int64(99), "permutations") == 99
    for bad in (-5, 2.5, "9", None, False):
        with pytest.raises(ParameterError, match="permutations must be an integer ≥ 0"):
            check_count(bad, "permutations")
    with pytest.raises(ParameterError, match=r"islands must be one of 'nearest', 'keep'"):
        check_choice("closest", "islands", ("nearest", "keep", "error"))
    with pytest.raises(ParameterError):
        check_choice(["nearest"], "islands", ("nearest",))


def test_one_exception_hierarchy():
    stage_errors = [panel.PanelError, indices.IndicatorError, inequality.InequalityError,
                    efficiency.DEAError, geodetector.GeodetectorError, regression.RegressionError,
                    econometrics.EconometricsError, raster.RasterError, study.StudyError,
                    UnitMatchError, WeightsError, NonFiniteError, DegenerateError,
                    ParameterError]
    for error in stage_errors:
        assert issubclass(error, SpatialEconError) and issubclass(error, ValueError), error


# --- weights ------------------------------------------------------------------------------------


@pytest.mark.parametrize("crs", ["EPSG:3857", "EPSG:32650"])
def test_projected_island_five_km_away_is_linked_and_said(crs):
    # A 3 × 3 grid of 1 km cells near Beijing, in metres, and one cell 5 km east of it.
    origin = gpd.GeoSeries([shapely.Point(116.4, 39.9)], crs="EPSG:4326").to_crs(crs).iloc[0]
    layer = _grid(3, 3, 1000.0, origin.x, origin.y, crs=crs)
    island = shapely.box(origin.x + 8000, origin.y + 1200, origin.x + 9000, origin.y + 1800)
    layer.loc[99] = [island]
    with pytest.warns(IslandWarning, match=r"1 island\(s\) linked.*99 → 6") as caught:
        w = contiguity(layer)
    assert len([c for c in caught if issubclass(c.category, IslandWarning)]) == 1
    # the nearest cell by brute force: the middle cell of the east column (id 6)
    distances = layer.drop(index=99).distance(island)
    assert w.meta["repaired_islands"] == {99: int(distances.idxmin())} == {99: 6}
    assert 6 in w.neighbors[99] and 99 in w.neighbors[6]
    assert w.meta["isolated"] == []


@pytest.mark.parametrize("make_ids", [
    lambda n: [str(110000 + 100 * k) for k in range(n)],        # read_csv(dtype=str)
    lambda n: list(np.arange(n, dtype=np.int64) + 110000),       # numpy ints
    lambda n: [f"unit-{k}" for k in range(n)],                   # names
])
def test_any_hashable_index_gives_the_same_neighbours(make_ids):
    ints = _grid(4, 3)
    ids = make_ids(len(ints))
    other = ints.set_axis(ids)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = libpysal.weights.Queen.from_dataframe(ints, use_index=True)
    ours = contiguity(other)
    to_id = dict(zip(ints.index, other.index, strict=True))
    expected = {to_id[i]: {to_id[j] for j in reference.neighbors[i]} for i in ints.index}
    assert _sets(ours) == expected
    assert ours.islands == []
    assert [type(i) for i in ours.id_order] == [type(i.item() if isinstance(i, np.generic)
                                                     else i) for i in ids]


def test_empty_geometry_named_layer_without_units_refused():
    layer = _grid(3, 1)
    layer.loc[7, "geometry"] = shapely.Polygon()
    with pytest.warns(IslandWarning, match=r"1 unit\(s\) have an empty or missing geometry: 7"):
        w = contiguity(layer, islands="keep")
    assert w.neighbors[7] == [] and w.meta["isolated"] == [7]
    with pytest.raises(WeightsError, match="empty or missing geometry: 7"):
        contiguity(layer, strict=True)
    with pytest.raises(DegenerateError, match="no units"):
        contiguity(layer.iloc[:0])


# --- statistics ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid_field():
    layer = _grid(6, 6)
    rng = np.random.default_rng(4)
    x = layer.geometry.centroid.x.to_numpy()
    layer["v"] = x + rng.normal(0, 1, len(layer))
    return layer, contiguity(layer)


def test_an_infinity_is_refused_by_name(grid_field):
    layer, w = grid_field
    bad = layer.assign(v=layer["v"].where(layer.index != 8, np.inf))
    with pytest.raises(NonFiniteError, match=r"v: 1 non-finite value\(s\) — \+inf at 8"):
        global_moran(bad, "v", w)
    with pytest.raises(NonFiniteError, match=r"\+inf at 8"):
        local_moran(bad, "v", w, permutations=99, seed=1)


def test_lisa_parameters(grid_field):
    layer, w = grid_field
    for alpha in (5, -1, 0, 1):
        with pytest.raises(ParameterError, match="alpha"):
            local_moran(layer, "v", w, alpha=alpha, permutations=9, seed=1)
    with pytest.raises(ParameterError, match="permutations must be an integer ≥ 0; got -5"):
        local_moran(layer, "v", w, permutations=-5)
    with pytest.raises(ParameterError, match="permutations"):
        global_moran(layer, "v", w, permutations=-5)
    with pytest.raises(ParameterError, match="bootstrap"):
        global_moran(layer, "v", w, permutations=0, bootstrap=-1)


def test_large_mean_small_spread_is_not_constant(grid_field):
    layer, w = grid_field
    rng = np.random.default_rng(2)
    data = layer.assign(v=1e6 + 3 * rng.standard_normal(len(layer)) + layer.index.to_numpy())
    ours = global_moran(data, "v", w, permutations=0)
    reference = esda.Moran(data["v"].to_numpy(), w, transformation="r", permutations=0)
    assert ours.I[0] == pytest.approx(reference.I, rel=1e-9)


def test_one_unit_is_said_as_such():
    layer = _grid(1, 1).assign(v=[3.0])
    w = libpysal.weights.W({1: []}, silence_warnings=True)
    with pytest.raises(DegenerateError, match=r"one unit \(n = 1\)"):
        global_moran(layer, "v", w)


def test_dea_with_an_all_zero_output_is_refused():
    inputs = pd.DataFrame({"labour": [3.0, 4.0, 5.0], "capital": [1.0, 2.0, 1.5]},
                          index=[110000, 120000, 130000])
    outputs = pd.DataFrame({"gdp": [0.0, 0.0, 0.0], "tax": [1.0, 2.0, 3.0]}, index=inputs.index)
    with pytest.raises(DEAError, match="output 'gdp' is zero for every unit"):
        dea(inputs, outputs)
    with pytest.raises(DEAError, match="input 'capital' is zero for every unit"):
        dea(inputs.assign(capital=0.0), outputs.assign(gdp=1.0))


def test_inputs_are_not_mutated(grid_field):
    layer, w = grid_field
    before, neighbours = layer.copy(), {k: list(v) for k, v in w.neighbors.items()}
    transform = w.transform
    global_moran(layer, "v", w, permutations=9, seed=1)
    local_moran(layer, "v", w, permutations=9, seed=1)
    inequality.theil(layer["v"] - layer["v"].min() + 1)
    contiguity(layer)
    pd.testing.assert_frame_equal(layer, before)
    assert {k: list(v) for k, v in w.neighbors.items()} == neighbours and w.transform == transform
