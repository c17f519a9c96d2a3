"""Spatial weights against libpysal, pygeoda (GeoDa's engine) and brute-force formulas."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from libpysal.weights import Queen, Rook

from spatialecon.geodata import boundaries, capitals
from spatialecon.weights import (
    adjacency_pairs,
    capital_distance,
    contiguity,
    distance_weights,
    economic_distance,
    economic_geographic,
    from_file,
    higher_order,
    point_distance,
    summary,
    to_file,
    transform,
)

pygeoda = pytest.importorskip("pygeoda", reason="pygeoda (GeoDa's engine) is a dev dependency")


def _pairs_from_w(w) -> set[frozenset]:
    return {frozenset((a, b)) for a, nbrs in w.neighbors.items() for b in nbrs}


def _pairs_from_index(gdf, idx) -> set[frozenset]:
    codes = gdf.index.to_numpy()
    return {frozenset((int(codes[a]), int(codes[b]))) for a, b in idx}


def _pygeoda_pairs(gdf, rule) -> set[frozenset]:
    layer = pygeoda.open(gdf.reset_index())
    w = pygeoda.queen_weights(layer) if rule == "queen" else pygeoda.rook_weights(layer)
    codes = gdf.index.to_numpy()
    return {frozenset((int(codes[i]), int(codes[j]))) for i in range(len(gdf))
            for j in w.get_neighbors(i)}


def _libpysal_pairs(gdf, rule) -> set[frozenset]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = (Queen if rule == "queen" else Rook).from_dataframe(gdf, use_index=True)
    return _pairs_from_w(w)


# ---------------------------------------------------------------------------- contiguity


@pytest.mark.parametrize("rule", ["queen", "rook"])
def test_province_contiguity_equals_libpysal_and_pygeoda(rule):
    provinces = boundaries("province")
    computed = _pairs_from_index(provinces, adjacency_pairs(provinces.geometry.to_numpy(), rule))
    assert len(computed) == 68
    assert computed == _libpysal_pairs(provinces, rule)
    assert computed == _pygeoda_pairs(provinces, rule)
    # the cached path gives the same sets, plus the repaired island Hainan–Guangdong
    w = contiguity(provinces, rule)
    assert w.meta["source"] == "cached adjacency of the embedded layer"
    assert _pairs_from_w(w) == computed | {frozenset((460000, 440000))}
    assert w.id_order == provinces.index.tolist()


@pytest.mark.parametrize("rule", ["queen", "rook"])
def test_county_contiguity_equals_pygeoda(rule):
    counties = boundaries("county")
    computed = _pairs_from_index(counties, adjacency_pairs(counties.geometry.to_numpy(), rule))
    assert len(computed) == {"queen": 8144, "rook": 8109}[rule]
    assert computed == _pygeoda_pairs(counties, rule)


@pytest.mark.slow
@pytest.mark.parametrize("rule", ["queen", "rook"])
def test_county_contiguity_equals_libpysal(rule):
    counties = boundaries("county")
    computed = _pairs_from_index(counties, adjacency_pairs(counties.geometry.to_numpy(), rule))
    assert computed == _libpysal_pairs(counties, rule)


def test_user_polygons_are_computed_and_agree_with_the_cache():
    """A subset of the embedded layer uses the cached adjacency; the same polygons as a plain
    GeoDataFrame (no attrs) are computed from their vertices; both agree."""
    zhejiang = boundaries("county").query("province_adcode == 330000")
    cached = contiguity(zhejiang)
    plain = gpd.GeoDataFrame(zhejiang.drop(columns="geometry"), geometry=zhejiang.geometry.values,
                             crs=zhejiang.crs)
    plain.attrs = {}
    computed = contiguity(plain)
    assert cached.meta["source"].startswith("cached")
    assert computed.meta["source"].startswith("computed")
    assert cached.neighbors == computed.neighbors
    # inside one province, the Zhoushan islands 嵊泗 (330922) and 岱山 (330921) are isolated
    # from the mainland: 岱山 links to 定海 (330902), 嵊泗 to 岱山
    assert computed.meta["repaired_islands"] == {330921: 330902, 330922: 330921}


def test_coverage_simplified_provinces_keep_their_neighbours():
    full = contiguity(boundaries("province"))
    simple = contiguity(boundaries("province", simplify=0.01))
    assert simple.meta["source"].startswith("computed")
    assert simple.neighbors == full.neighbors


def test_islands_nearest_keep_error():
    provinces = boundaries("province")
    w = contiguity(provinces, islands="nearest")
    assert w.meta["repaired_islands"] == {460000: 440000}  # Hainan → Guangdong
    assert 460000 in w.neighbors[440000] and w.neighbors[460000] == [440000]
    with pytest.warns(UserWarning, match=r"海南省 \(460000\)"):
        kept = contiguity(provinces, islands="keep")
    assert kept.neighbors[460000] == [] and kept.meta["isolated"] == [460000]
    assert summary(kept).islands == (460000,)
    with pytest.raises(ValueError, match=r"1 unit\(s\) have no queen neighbour: 海南省"):
        contiguity(provinces, islands="error")


def test_county_islands_are_linked_to_their_nearest_county():
    counties = boundaries("county")
    w = contiguity(counties)
    repaired = w.meta["repaired_islands"]
    names = counties["name"]
    assert {names[i]: names[j] for i, j in repaired.items()} == {
        "长海县": "金州区", "岱山县": "定海区", "金门县": "龙海区", "南澳县": "澄海区",
        "西沙区": "文昌市", "南沙区": "西沙区"}
    # the link is the nearest polygon: no other county is closer. Brute force on the projected
    # polygons, skipping only those whose bounding box alone is farther than the chosen one
    # (a box distance is a lower bound of the polygon distance).
    albers = counties.to_crs("+proj=aea +lat_1=25 +lat_2=47 +lon_0=105 +datum=WGS84")
    boxes = albers.envelope
    for island, target in repaired.items():
        geom = albers.geometry[island]
        chosen = geom.distance(albers.geometry[target])
        others = albers.drop(index=[island, target])
        others = others[boxes.drop(index=[island, target]).distance(geom) <= chosen]
        assert (others.distance(geom) >= chosen).all(), island
    stats = summary(w)
    assert stats.islands == () and stats.components == 4  # mainland, Hainan, Zhoushan, Xiamen


def test_bad_polygon_input():
    provinces = boundaries("province")
    with pytest.raises(ValueError, match="not polygons: 110000 \\(Point\\)"):
        contiguity(provinces.assign(geometry=provinces.geometry.where(
            provinces.index != 110000, shapely.Point(116, 40))))
    with pytest.raises(ValueError, match="duplicated unit codes"):
        contiguity(pd.concat([provinces, provinces.iloc[:1]]))
    with pytest.raises(TypeError, match="GeoDataFrame"):
        contiguity(pd.DataFrame(provinces))
    with pytest.raises(ValueError, match="islands must be"):
        contiguity(provinces, islands="drop")


# ---------------------------------------------------------------------------- without a CRS


@pytest.fixture(scope="module")
def columbus() -> gpd.GeoDataFrame:
    """PySAL's Columbus polygons, which ship inside libpysal with no CRS."""
    libpysal = pytest.importorskip("libpysal")
    try:
        path = libpysal.examples.get_path("columbus.shp")
    except Exception as exc:  # an install without the bundled examples
        pytest.skip(f"libpysal's Columbus example is not available offline: {exc}")
    gdf = gpd.read_file(path)
    assert gdf.crs is None
    return gdf.set_index(gdf["POLYID"].astype(int).rename("adcode"))


@pytest.mark.parametrize(("rule", "reference"), [("queen", Queen), ("rook", Rook)])
def test_columbus_without_a_crs_equals_libpysal(columbus, rule, reference):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no islands, so no warning either
        w = contiguity(columbus, rule)
        warnings.simplefilter("ignore")  # libpysal's own notices
        expected = reference.from_dataframe(columbus, use_index=True)
    assert w.id_order == columbus.index.tolist()
    assert {i: set(w.neighbors[i]) for i in w.id_order} == {
        i: set(expected.neighbors[i]) for i in w.id_order}
    assert w.meta["repaired_islands"] == {} and w.meta["island_distance"] is None


def test_islands_without_a_crs_are_linked_in_layer_units_with_one_warning(columbus):
    # two squares far from Columbus (x 6–11, y 10–15 in its units): two islands
    far = gpd.GeoDataFrame(geometry=[shapely.box(20, 20, 21, 21), shapely.box(0, 20, 1, 21)],
                           index=pd.Index([901, 902], name="adcode"))
    layer = pd.concat([columbus[["geometry"]], far])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        w = contiguity(layer)
    messages = [str(c.message) for c in caught if issubclass(c.category, UserWarning)]
    assert len(messages) == 1, messages
    assert "no CRS" in messages[0] and "layer's own units" in messages[0]
    assert "901" in messages[0] and "902" in messages[0]
    assert "layer's own units" in w.meta["island_distance"]
    # brute force: each island's link is the polygon at the smallest planar distance
    for island in (901, 902):
        distances = layer.drop(index=island).distance(layer.geometry[island])
        assert w.meta["repaired_islands"][island] == distances.idxmin()
        assert island in w.neighbors[distances.idxmin()]


def test_islands_of_a_projected_layer_are_linked_in_metres():
    """A projected layer is measured in Albers metres too (a search radius in degrees would
    find no candidate within a few hundred metres and leave Hainan alone)."""
    projected = boundaries("province", simplify=0.01).to_crs("EPSG:3857")
    w = contiguity(projected)
    albers = projected.to_crs("+proj=aea +lat_1=25 +lat_2=47 +lon_0=105 +datum=WGS84")
    nearest = albers.drop(index=460000).distance(albers.geometry[460000]).idxmin()
    assert w.meta["repaired_islands"] == {460000: nearest} and nearest == 440000
    assert "metres" in w.meta["island_distance"]


def test_distances_need_a_crs_or_planar(columbus):
    for call in (lambda: point_distance(columbus, "knn", k=4),
                 lambda: distance_weights(gpd.GeoDataFrame(geometry=columbus.centroid))):
        with pytest.raises(ValueError) as err:
            call()
        assert "no CRS" in str(err.value) and "set_crs" in str(err.value)
        assert "planar=True" in str(err.value)
    # planar=True: centroids in the layer's coordinates, as libpysal's KNN takes them
    from libpysal.weights import KNN

    w = point_distance(columbus, "knn", k=4, planar=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = KNN.from_dataframe(columbus, k=4, use_index=True)
    assert {i: set(w.neighbors[i]) for i in w.id_order} == {
        i: set(expected.neighbors[i]) for i in w.id_order}
    assert w.meta["distance_units"] == "layer units"
    # inverse distance: brute force from the shapely centroids
    inverse = _dense(point_distance(columbus, "inverse", planar=True))
    c = columbus.geometry.centroid
    for a, b in [(1, 2), (5, 49), (30, 7)]:
        assert inverse.loc[a, b] == pytest.approx(1 / c[a].distance(c[b]), rel=1e-12)


# ---------------------------------------------------------------------------- distance


def _haversine(lon1, lat1, lon2, lat2, radius=6371.0088):
    """Independent scalar haversine with the math module."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


@pytest.fixture(scope="module")
def capital_km() -> pd.DataFrame:
    cap = capitals()
    return pd.DataFrame(
        [[_haversine(cap.lon[a], cap.lat[a], cap.lon[b], cap.lat[b]) for b in cap.index]
         for a in cap.index], index=cap.index, columns=cap.index)


def _dense(w) -> pd.DataFrame:
    full, ids = w.full()
    return pd.DataFrame(full, index=ids, columns=ids)


@pytest.mark.parametrize("power", [1, 2])
def test_inverse_distance_equals_haversine(capital_km, power):
    w = capital_distance("inverse", power=power)
    dense = _dense(w)
    expected = capital_km.pow(-power).where(capital_km > 0, 0.0)
    np.testing.assert_allclose(dense.to_numpy(), expected.to_numpy(), rtol=1e-9)
    # Beijing–Tianjin is about 110 km
    assert capital_km.loc[110000, 120000] == pytest.approx(110, abs=10)
    assert w.meta["form"] == "inverse" and w.meta["power"] == power
    assert len(w.id_order) == 31 and summary(w).links == 31 * 30


def test_exponential_band_knn_and_kernels(capital_km):
    d = capital_km.to_numpy()
    off = ~np.eye(31, dtype=bool)
    nearest = np.where(off, d, np.inf).min(axis=1)
    expo = _dense(capital_distance("exponential", scale=500)).to_numpy()
    np.testing.assert_allclose(expo, np.where(off, np.exp(-d / 500), 0), rtol=1e-9)
    assert capital_distance("exponential").meta["scale_km"] == pytest.approx(nearest.mean())

    band = capital_distance("band")
    assert band.meta["threshold"] == pytest.approx(nearest.max(), rel=1e-12)
    assert summary(band).min_neighbors >= 1
    np.testing.assert_array_equal(_dense(band).to_numpy(), (off & (d <= nearest.max())) * 1.0)

    knn = capital_distance("knn", k=4)
    assert set(knn.cardinalities.values()) == {4}
    for code, nbrs in knn.neighbors.items():
        assert set(nbrs) == set(capital_km.loc[code].drop(code).nsmallest(4).index)

    gauss = _dense(capital_distance("gaussian", bandwidth=800)).to_numpy()
    z = d / 800
    np.testing.assert_allclose(gauss, np.where(off & (z < 1), np.exp(-z**2 / 2), 0), rtol=1e-9)
    bisq = _dense(capital_distance("bisquare", k=5)).to_numpy()
    h = np.sort(np.where(off, d, np.inf), axis=1)[:, 4][:, None]
    zz = d / h
    np.testing.assert_allclose(bisq, np.where(off & (zz < 1), (1 - zz**2) ** 2, 0), rtol=1e-9,
                               atol=1e-15)


def test_threshold_that_isolates_units_is_named():
    with pytest.raises(ValueError) as err:
        capital_distance("band", threshold=300)
    message = str(err.value)
    assert "leaves" in message and "540000" in message  # Lhasa is far from every capital
    assert "smallest threshold that connects every unit" in message


def test_point_distance_for_counties_and_bad_points():
    counties = boundaries("county").query("province_adcode == 110000")
    w = point_distance(counties, "knn", k=3)
    assert w.id_order == counties.index.tolist() and set(w.cardinalities.values()) == {3}
    # centroids are computed in the equal-area projection and lie inside these compact units
    from spatialecon.weights import unit_points

    pts = unit_points(counties)
    inside = counties.contains(gpd.GeoSeries(gpd.points_from_xy(pts.lon, pts.lat),
                                             index=pts.index, crs=counties.crs))
    assert inside.all()
    # points in a projected CRS are converted, so they give the same weights as lon/lat
    cap = capitals()
    as_points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(cap.lon, cap.lat), index=cap.index,
                                 crs="EPSG:4326").to_crs("EPSG:3857")
    np.testing.assert_allclose(_dense(distance_weights(as_points)).to_numpy(),
                               _dense(distance_weights(cap)).to_numpy(), rtol=1e-9)
    with pytest.raises(ValueError, match="no CRS"):
        distance_weights(as_points.set_crs(None, allow_override=True))
    with pytest.raises(ValueError, match="out of range"):
        distance_weights(pd.DataFrame({"lon": as_points.geometry.x, "lat": as_points.geometry.y}))
    bad = capitals().assign(lon=lambda c: c.lon.where(c.index != 110000))
    with pytest.raises(ValueError, match="no coordinates: \\[110000\\]"):
        distance_weights(bad)
    with pytest.raises(ValueError, match="unknown form"):
        capital_distance("cubic")
    with pytest.raises(ValueError, match="no capital"):
        capital_distance(units=[110000, 990000])


# ---------------------------------------------------------------------------- economic


def test_economic_distance_and_nested_weights_by_brute_force():
    gdp = pd.Series({110000: 16.4, 120000: 9.0, 130000: 4.8, 140000: 4.5}, name="gdp_pc")
    w = economic_distance(gdp)
    dense = _dense(w)
    for i in gdp.index:
        for j in gdp.index:
            expected = 0.0 if i == j else 1 / abs(gdp[i] - gdp[j])
            assert dense.loc[i, j] == pytest.approx(expected, rel=1e-12)
    geo = distance_weights(capitals().loc[gdp.index], "inverse")
    nested = _dense(economic_geographic(geo, gdp))
    geo_dense = _dense(geo)
    for i in gdp.index:
        for j in gdp.index:
            assert nested.loc[i, j] == pytest.approx(geo_dense.loc[i, j] * gdp[j] / gdp.mean())
    # from a tidy panel: the per-unit mean over the years
    panel = pd.DataFrame({"adcode": [110000, 110000, 120000, 120000], "year": [1, 2, 1, 2],
                          "variable": "gdp", "value": [1.0, 3.0, 5.0, 9.0]})
    assert _dense(economic_distance(panel, variable="gdp")).loc[110000, 120000] == 1 / 5
    with pytest.raises(ValueError, match="equal means"):
        economic_distance(pd.Series({1: 2.0, 2: 2.0}))


# ---------------------------------------------------------------------------- operations


def test_transformations_match_their_definitions():
    w = capital_distance("inverse")
    raw = _dense(w).to_numpy()
    row = _dense(transform(w, "row")).to_numpy()
    np.testing.assert_allclose(row, raw / raw.sum(axis=1, keepdims=True), rtol=1e-12)
    # libpysal's double standardisation ("D") makes all weights sum to 1 (spdep's style "U")
    glob = _dense(transform(w, "global")).to_numpy()
    np.testing.assert_allclose(glob, raw / raw.sum(), rtol=1e-12)
    binary = _dense(transform(w, "binary")).to_numpy()
    np.testing.assert_array_equal(binary, (raw > 0) * 1.0)
    # variance-stabilising (Tiefelsdorf, Griffith & Boots 1999): rows scaled to unit length,
    # then globally to sum n
    unit = raw / np.sqrt((raw**2).sum(axis=1, keepdims=True))
    var = _dense(transform(w, "variance")).to_numpy()
    np.testing.assert_allclose(var, unit * 31 / unit.sum(), rtol=1e-12)
    assert w.transform == "O"  # the original is untouched
    with pytest.raises(ValueError, match="unknown transform"):
        transform(w, "zscore")


def test_higher_order_by_brute_force():
    w = contiguity(boundaries("province"))
    second = higher_order(w, 2)
    for unit in w.id_order:
        first = set(w.neighbors[unit])
        two_steps = {k for j in first for k in w.neighbors[j]} - first - {unit}
        assert set(second.neighbors[unit]) == two_steps
    cumulative = higher_order(w, 2, cumulative=True)
    assert set(cumulative.neighbors[110000]) == set(w.neighbors[110000]) | set(
        second.neighbors[110000])


def test_summary_of_province_contiguity():
    stats = summary(contiguity(boundaries("province")))
    assert (stats.units, stats.links, stats.components, stats.symmetric) == (31, 138, 1, True)
    assert stats.max_neighbors == 8 and stats.min_neighbors == 1  # 内蒙古 has 8; Hainan 1
    assert stats.cardinalities[150000] == 8
    assert "31 units, 138 links" in str(stats)


# ---------------------------------------------------------------------------- files


@pytest.mark.parametrize("suffix", [".gal", ".gwt", ".csv"])
def test_file_round_trip_keeps_codes_and_weights(tmp_path, suffix):
    w = contiguity(boundaries("province")) if suffix == ".gal" else capital_distance(
        "inverse", threshold=1500)
    path = to_file(w, tmp_path / f"w{suffix}")
    back = from_file(path)
    assert back.id_order == w.id_order and all(isinstance(i, int) for i in back.id_order)
    assert back.neighbors == w.neighbors
    for i in w.id_order:
        np.testing.assert_allclose(back.weights[i], w.weights[i], rtol=1e-15)


def test_files_are_geoda_format_and_readable_by_libpysal(tmp_path):
    import libpysal

    w = contiguity(boundaries("province"))
    gal = to_file(w, tmp_path / "provinces.gal", layer="provinces")
    assert gal.read_text().splitlines()[0] == "0 31 provinces adcode"
    lib = libpysal.io.open(str(gal)).read()
    assert {int(k): sorted(int(x) for x in v) for k, v in lib.neighbors.items()} == {
        k: sorted(v) for k, v in w.neighbors.items()}
    d = capital_distance("band")
    gwt = to_file(d, tmp_path / "capitals.gwt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lib = libpysal.io.open(str(gwt)).read()
    assert lib.n == 31 and lib.s0 == pytest.approx(d.s0)
    # a GAL with the classic one-number header, as libpysal writes it, reads back too
    old = tmp_path / "old.gal"
    f = libpysal.io.open(str(old), "w")
    f.write(w)
    f.close()
    assert from_file(old).neighbors == w.neighbors


def test_neighbor_histogram_and_link_map():
    from spatialecon.maps import link_map, neighbor_histogram

    w = contiguity(boundaries("province"))
    fig = neighbor_histogram(w)
    heights = [int(p.get_height()) for p in fig.axes[0].patches]
    expected = pd.Series(w.cardinalities).value_counts().reindex(range(9), fill_value=0)
    assert heights == expected.tolist() and heights[8] == 2  # 内蒙古 and 陕西 have 8 each
    links = link_map(w, boundaries("province", simplify=0.05))
    colors = {tuple(np.round(c.get_colors()[0][:3], 2)) for c in links.axes[0].collections[1:]}
    assert len(colors) == 2  # ordinary links and the repaired Hainan link
