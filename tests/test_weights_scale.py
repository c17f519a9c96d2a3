"""Contiguity at grid scale: the CSR-backed W against libpysal's ordinary W (same links, same
esda and spreg numbers), islands summarised and linked to their nearest polygon (brute force),
and bad grids (invalid, duplicated, non-finite cells) named."""

from __future__ import annotations

import pickle
import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
import shapely
import spreg
from libpysal.weights import W
from libpysal.weights import higher_order as libpysal_higher_order

from spatialecon.weights import (
    CSRW,
    GeometryWarning,
    IslandWarning,
    WeightsError,
    adjacency_pairs,
    contiguity,
    higher_order,
    summary,
    transform,
)

ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lon_0=105 +datum=WGS84"


def _square_grid(rows: int, cols: int, crs: str | None = "EPSG:3857",
                 origin: tuple[float, float] = (12e6, 3e6), side: float = 1000.0,
                 ) -> gpd.GeoDataFrame:
    k = np.arange(rows * cols)
    r, c = k // cols, k % cols
    x0, y0 = origin
    cells = shapely.box(x0 + c * side, y0 + r * side, x0 + (c + 1) * side, y0 + (r + 1) * side)
    codes = 10**9 + r * 1000 + c
    return gpd.GeoDataFrame({"name": [f"cell{v}" for v in k]}, geometry=cells,
                            index=pd.Index(codes, name="code"), crs=crs)


def _hex_grid(rows: int, cols: int) -> gpd.GeoDataFrame:
    """Pointy-top hexagons from integer lattice coordinates: shared vertices are identical."""
    dx = np.array([0, 1, 1, 0, -1, -1, 0])
    dy = np.array([-2, -1, 1, 2, 1, -1, -2])
    k = np.arange(rows * cols)
    r, c = k // cols, k % cols
    cx = 2 * c + (r % 2)
    cy = 3 * r
    coords = np.stack([cx[:, None] + dx, cy[:, None] + dy], axis=-1).astype(float)
    cells = shapely.polygons(coords)
    return gpd.GeoDataFrame(geometry=cells, index=pd.Index(10**9 + k, name="code"))


def _ordinary(gdf: gpd.GeoDataFrame, rule: str = "queen") -> W:
    cls = libpysal.weights.Queen if rule == "queen" else libpysal.weights.Rook
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls.from_dataframe(gdf, use_index=True, silence_warnings=True)


def _link_set(w: W) -> set[tuple]:
    return {(i, j) for i, nbrs in w.neighbors.items() for j in nbrs}


def _same_matrix(a: W, b: W) -> bool:
    """The same weights, compared by id (both reordered to a's id_order)."""
    pos = {i: k for k, i in enumerate(b.id_order)}
    perm = np.array([pos[i] for i in a.id_order])
    mb = b.sparse[perm][:, perm]
    return abs(a.sparse - mb).max() < 1e-14 if a.sparse.nnz else mb.nnz == 0


# ---------------------------------------------------------------------------- the CSR W


@pytest.mark.parametrize("rule", ["queen", "rook"])
@pytest.mark.parametrize("grid", ["square", "hex"])
def test_grid_contiguity_equals_libpysal(grid, rule):
    gdf = _square_grid(37, 41) if grid == "square" else _hex_grid(33, 29)
    ours = contiguity(gdf, rule, validate=True)
    theirs = _ordinary(gdf, rule)
    assert isinstance(ours, CSRW) and isinstance(ours, W)
    assert ours.id_order == gdf.index.tolist()
    assert _link_set(ours) == _link_set(theirs)
    assert _same_matrix(ours, theirs)
    expected = {("square", "queen"): 8, ("square", "rook"): 4, ("hex", "queen"): 6,
                ("hex", "rook"): 6}[grid, rule]
    assert ours.max_neighbors == expected


@pytest.mark.slow
def test_40k_hex_grid_equals_libpysal():
    gdf = _hex_grid(200, 200)
    ours = contiguity(gdf, validate=False)
    theirs = _ordinary(gdf)
    assert _same_matrix(ours, theirs)


def test_sparse_is_built_once_in_id_order_and_dicts_only_on_demand():
    gdf = _square_grid(12, 15).sample(frac=1.0, random_state=1)  # ids not sorted
    w = contiguity(gdf)
    assert w._neighbors is None and not w._weights  # nothing built yet
    m = w.sparse
    assert m is w.sparse  # cached, not rebuilt
    # row k of the matrix is id_order[k]: brute force from the geometry
    geoms = gdf.geometry.to_numpy()
    touches = shapely.intersects(geoms[:, None], geoms[None, :]) & ~np.eye(len(gdf), dtype=bool)
    assert (m.toarray() == touches).all()
    w.transform = "r"
    assert w.sparse is w.sparse
    np.testing.assert_allclose(np.asarray(w.sparse.sum(axis=1)).ravel(), 1.0)
    assert w._neighbors is None
    # the dicts agree with the matrix when asked for
    code = gdf.index[5]
    row = w.sparse[5]
    assert w.neighbors[code] == [w.id_order[j] for j in row.indices]
    assert w.weights[code] == row.data.tolist()


@pytest.mark.parametrize("how", ["r", "b", "d", "v", "o"])
def test_transforms_equal_libpysal(how):
    gdf = _square_grid(9, 11)
    gdf = gdf.drop(gdf.index[[0, 50]])  # a corner and an inner hole: cardinalities differ
    ours = contiguity(gdf, islands="keep")
    theirs = _ordinary(gdf)
    ours.transform = how
    theirs.transform = how
    assert _same_matrix(ours, theirs)
    for i in theirs.id_order:
        np.testing.assert_allclose(ours.weights[i], theirs.weights[i], rtol=1e-13)
    copied = transform(ours, how)
    assert isinstance(copied, CSRW) and copied.transform == how.upper()
    assert _same_matrix(copied, theirs) and ours.transform == how.upper()
    assert (ours.s0, ours.s1, ours.s2) == pytest.approx((theirs.s0, theirs.s1, theirs.s2))


def test_esda_and_spreg_give_the_same_numbers_on_csrw_and_an_ordinary_w():
    gdf = _hex_grid(20, 25)
    rng = np.random.default_rng(0)
    y = rng.normal(size=len(gdf)) + np.repeat(np.arange(20), 25) / 10
    x = rng.normal(size=(len(gdf), 2))
    ours, theirs = contiguity(gdf), _ordinary(gdf)
    np.random.seed(3)  # esda.Moran draws from numpy's global generator
    m1 = esda.Moran(y, ours, permutations=99)
    np.random.seed(3)
    m2 = esda.Moran(y, theirs, permutations=99)
    assert (m1.I, m1.EI, m1.z_norm, m1.p_sim) == pytest.approx((m2.I, m2.EI, m2.z_norm,
                                                                m2.p_sim), rel=1e-12)
    l1 = esda.Moran_Local(y, ours, permutations=99, seed=5, n_jobs=1)
    l2 = esda.Moran_Local(y, theirs, permutations=99, seed=5, n_jobs=1)
    np.testing.assert_allclose(l1.Is, l2.Is, rtol=1e-12)
    np.testing.assert_array_equal(l1.p_sim, l2.p_sim)
    np.testing.assert_array_equal(l1.q, l2.q)
    o1 = spreg.OLS(y[:, None], x, w=ours, spat_diag=True, moran=True)
    o2 = spreg.OLS(y[:, None], x, w=theirs, spat_diag=True, moran=True)
    np.testing.assert_allclose(o1.betas, o2.betas, rtol=1e-12)
    np.testing.assert_allclose([o1.lm_lag[0], o1.lm_error[0], o1.moran_res[0]],
                               [o2.lm_lag[0], o2.lm_error[0], o2.moran_res[0]], rtol=1e-10)
    assert ours._neighbors is None  # neither esda nor spreg needed the dicts


def test_id_order_reorders_and_pickle_round_trips():
    gdf = _square_grid(6, 7)
    w = contiguity(gdf, transform="r")
    theirs = _ordinary(gdf)
    theirs.transform = "r"
    order = list(reversed(w.id_order))
    w.id_order = order
    theirs.id_order = order
    assert w.id_order == order and (abs(w.sparse - theirs.sparse).max() < 1e-15)
    back = pickle.loads(pickle.dumps(w))
    assert back.id_order == order and (back.sparse != w.sparse).nnz == 0
    assert back.meta == w.meta and back.transform == "R"
    with pytest.raises(WeightsError, match="align"):
        w.id_order = order[:-1]


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("cumulative", [False, True])
def test_higher_order_equals_libpysal(k, cumulative):
    gdf = _hex_grid(9, 10)
    ours = higher_order(contiguity(gdf), k, cumulative=cumulative)
    theirs = libpysal_higher_order(_ordinary(gdf), k, lower_order=cumulative,
                                   silence_warnings=True)
    assert isinstance(ours, CSRW)
    assert _link_set(ours) == _link_set(theirs)


def test_adjacency_pairs_multipolygons_and_holes():
    """Multipolygons and polygons with holes take the ring-by-ring path."""
    ring = shapely.box(0, 0, 3, 3).difference(shapely.box(1, 1, 2, 2))  # a hole
    inner = shapely.box(1, 1, 2, 2)  # fills the hole: rook neighbour of the ring
    multi = shapely.MultiPolygon([shapely.box(3, 0, 4, 1), shapely.box(5, 5, 6, 6)])
    corner = shapely.box(6, 6, 7, 7)  # touches the multipolygon's second part at a vertex
    far = shapely.box(1e15, 1e15, 1e15 + 1, 1e15 + 1)
    geoms = np.array([ring, inner, multi, corner, far], dtype=object)
    queen = {tuple(p) for p in adjacency_pairs(geoms, "queen").tolist()}
    rook = {tuple(p) for p in adjacency_pairs(geoms, "rook").tolist()}
    assert queen == {(0, 1), (0, 2), (2, 3)}
    assert rook == {(0, 1)}  # (0, 2) share an edge piece only between different vertices


# ---------------------------------------------------------------------------- islands


def _with_islands(crs: str | None, every: int = 7) -> tuple[gpd.GeoDataFrame, list]:
    """A 30 × 30 grid whose every ``every``-th cell shrinks to an islet (no shared vertex)."""
    gdf = _square_grid(30, 30, crs=crs, origin=(0, 0) if crs is None else (12e6, 3e6))
    if crs == "EPSG:4326":
        gdf = _square_grid(30, 30, crs=crs, origin=(110.0, 30.0), side=0.01)
    shrink = gdf.index[::every]
    side = gdf.geometry.iloc[0].bounds[2] - gdf.geometry.iloc[0].bounds[0]
    gdf.loc[shrink, "geometry"] = gdf.loc[shrink, "geometry"].buffer(-side * 0.1,
                                                                      join_style="mitre")
    return gdf, list(shrink)


def _brute_nearest(gdf: gpd.GeoDataFrame, island, measured: gpd.GeoSeries):
    d = measured.distance(measured.loc[island]).drop(island)
    return d.index[np.flatnonzero(d.to_numpy() == d.min())[0]]


@pytest.mark.parametrize("crs", [None, "EPSG:3857", "EPSG:4326"])
def test_many_islands_are_summarised_and_linked_to_the_nearest_polygon(crs):
    gdf, islands = _with_islands(crs)
    with pytest.warns(IslandWarning) as caught:
        w = contiguity(gdf)
    message = str(caught[0].message)
    assert f"{len(islands)} island(s) linked" in message and f"({len(islands)} in all)" in message
    assert len(message) < 1500  # ten examples, not 129 lines
    assert "w.meta['island_units']" in message
    assert w.meta["island_units"] == islands and w.meta["isolated"] == []
    measured = gdf.geometry if crs is None else gdf.geometry.to_crs(ALBERS)
    expected = {i: _brute_nearest(gdf, i, measured) for i in islands}
    assert w.meta["repaired_islands"] == expected
    assert not w.islands and summary(w).islands == ()
    for island, target in expected.items():
        assert island in w.neighbors[target] and target in w.neighbors[island]


def test_island_error_summarises_and_lists_every_unit():
    gdf, islands = _with_islands(None, every=3)
    with pytest.raises(WeightsError) as caught:
        contiguity(gdf, islands="error")
    message = str(caught.value)
    assert message.startswith(f"{len(islands)} unit(s) have no queen neighbour: cell0 (")
    assert f"({len(islands)} in all)" in message and ".units" in message
    assert caught.value.units == islands
    with pytest.warns(IslandWarning, match=f"{len(islands)} unit\\(s\\) without a queen"):
        kept = contiguity(gdf, islands="keep")
    assert kept.islands == islands == kept.meta["isolated"]


# ---------------------------------------------------------------------------- bad grids


def _bowtie(x: float, y: float) -> shapely.Polygon:
    return shapely.Polygon([(x, y), (x + 1, y + 1), (x + 1, y), (x, y + 1), (x, y)])


def test_invalid_cells_are_named_and_repaired_on_request():
    gdf = _square_grid(5, 6, crs=None, origin=(0, 0), side=1.0)
    bad = gdf.index[[7, 20]]
    for code in bad:
        x, y = gdf.geometry[code].bounds[:2]
        gdf.loc[code, "geometry"] = _bowtie(x, y)
    # kept as drawn by default: named in one warning, listed in meta, links from the vertices
    with pytest.warns(GeometryWarning, match=r"2 unit\(s\) have an invalid polygon: cell7 \(") \
            as said:
        kept = contiguity(gdf)
    text = str(said[0].message)
    assert "Self-intersection" in text and "make_valid=True" in text and "strict=True" in text
    assert kept.meta["invalid_units"] == list(bad) and "kept as drawn" in kept.meta["validity"]
    assert _link_set(kept) == _link_set(_ordinary(gdf))
    with pytest.raises(WeightsError, match=r"2 unit\(s\) have an invalid polygon: cell7 \(") as e:
        contiguity(gdf, strict=True)
    assert e.value.units == list(bad)
    original = gdf.geometry.copy()
    with pytest.warns(GeometryWarning, match=r"2 invalid polygon\(s\) repaired"):
        w = contiguity(gdf, make_valid=True)
    assert w.meta["made_valid"] == list(bad) and "2 invalid" in w.meta["validity"]
    assert gdf.geometry.equals(original)  # the layer itself is untouched
    # reference: libpysal on the layer repaired by geopandas
    repaired = gdf.copy()
    repaired["geometry"] = gdf.geometry.make_valid()
    assert _link_set(w) == _link_set(_ordinary(repaired))
    skipped = contiguity(gdf, validate=False)
    assert skipped.meta["validity"].startswith("not checked")
    assert _link_set(skipped) == _link_set(_ordinary(gdf))


def test_duplicated_cells_are_named_in_pairs():
    gdf = _square_grid(4, 5, crs=None, origin=(0, 0), side=1.0)
    copies = gdf.iloc[[3, 11]].copy()
    copies.index = pd.Index([77, 88], name="code")
    # the same cell, its ring starting at another vertex and running the other way
    copies.loc[88, "geometry"] = copies.loc[88, "geometry"].reverse()
    layer = pd.concat([gdf, copies])
    with pytest.raises(WeightsError, match=r"2 pair\(s\) of units have the same polygon") as e:
        contiguity(layer)
    message = str(e.value)
    assert f"cell3 ({gdf.index[3]}) = cell3 (77)" in message
    assert f"cell11 ({gdf.index[11]}) = cell11 (88)" in message
    assert sorted(e.value.units) == sorted([gdf.index[3], gdf.index[11], 77, 88])
    # the fix the message suggests works
    fixed = layer[~layer.geometry.normalize().duplicated()]
    assert len(contiguity(fixed).id_order) == len(gdf)


def test_nonfinite_coordinates_are_named():
    gdf = _square_grid(3, 3, crs=None, origin=(0, 0), side=1.0)
    gdf.loc[gdf.index[4], "geometry"] = shapely.Polygon([(1, 1), (np.nan, 1), (2, 2), (1, 1)])
    with pytest.raises(WeightsError, match=r"1 unit\(s\) have NaN or infinite coordinates: cell4"):
        contiguity(gdf)


def test_many_bad_types_are_summarised():
    gdf = _square_grid(4, 5, crs=None, origin=(0, 0), side=1.0)
    gdf["geometry"] = [g.centroid if k % 4 else g for k, g in enumerate(gdf.geometry)]
    with pytest.raises(WeightsError, match=r"not polygons: .*\(Point\).* \(15 in all\)"):
        contiguity(gdf)
