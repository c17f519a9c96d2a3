"""Centre of gravity, its shifts and the standard deviational ellipse (spatialecon.centrography).

Reference values: pointpats 2.5.5 (``weighted_mean_center``, ``ellipse`` — unweighted, and its
weighted form, on the same projected points), brute-force formulas written out here (the
weighted mean; the ellipse by CrimeStat's / ArcGIS' closed-form angle ``tan θ = (A + B) / C``
rather than our eigenvalues), :meth:`pyproj.Geod.inv` and a haversine for the shifts, and
hand-made shifts for the compass.

pointpats' angle φ is the major axis' angle in radians counter-clockwise from east (its polygon
is ``shapely.affinity.rotate(…, φ)``, counter-clockwise); ours is clockwise from north in
degrees: ``rotation = (90 − degrees(φ)) mod 180``. pointpats' ``method="yuill"`` keeps both
corrections unless ``crimestatCorr=False, degfreedCorr=False``.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from matplotlib.patches import FancyArrowPatch
from pointpats import centrography as pp

from spatialecon import centrography as cg
from spatialecon.geodata import CHINA_ALBERS, boundaries
from spatialecon.maps.centrography_plots import centre_trajectory_map
from spatialecon.maps.static import save_figure
from spatialecon.validation import NonFiniteError, ParameterError

YEARS = list(range(2010, 2016))
GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def provinces() -> gpd.GeoDataFrame:
    return boundaries("province", simplify=0.01)


@pytest.fixture(scope="module")
def panel(provinces) -> pd.DataFrame:
    """Wide weights: provinces × years, log-normal with a drift to the north-east."""
    rng = np.random.default_rng(7)
    base = rng.lognormal(0.0, 0.9, len(provinces))
    centre = provinces.to_crs(CHINA_ALBERS).centroid
    drift = (centre.x.to_numpy() + centre.y.to_numpy() - 4e6) / 1e6
    return pd.DataFrame({y: base * np.exp(0.05 * (y - YEARS[0]) * drift
                                          + rng.normal(0.0, 0.05, len(provinces)))
                         for y in YEARS}, index=provinces.index)


def _albers_centroids(gdf: gpd.GeoDataFrame) -> np.ndarray:
    c = gdf.to_crs(CHINA_ALBERS).centroid
    return np.column_stack([c.x.to_numpy(), c.y.to_numpy()])


def _brute_ellipse(xy: np.ndarray, w: np.ndarray, method: str) -> tuple[float, float, float]:
    """CrimeStat / ArcGIS written out: θ from tan θ = (A + B) / C, σ along the two axes,
    the major one's azimuth clockwise from north (ArcGIS 10.1 StandardEllipse.py)."""
    xm = xy[:, 0] - (w * xy[:, 0]).sum() / w.sum()
    ym = xy[:, 1] - (w * xy[:, 1]).sum() / w.sum()
    a = (w * xm**2).sum() - (w * ym**2).sum()
    c = 2 * (w * xm * ym).sum()
    b = math.sqrt(a**2 + c**2)
    theta = math.atan((a + b) / c) if c != 0 else 0.0
    sx = math.sqrt((w * (xm * math.cos(theta) - ym * math.sin(theta)) ** 2).sum() / w.sum())
    sy = math.sqrt((w * (xm * math.sin(theta) + ym * math.cos(theta)) ** 2).sum() / w.sum())
    n = len(w)
    f = {"yuill": 1.0, "arcgis": math.sqrt(2), "crimestat": math.sqrt(2 * n / (n - 2))}[method]
    sx, sy = f * sx, f * sy
    # σy runs along north turned clockwise by θ, σx along east turned clockwise by θ.
    rotation = math.degrees(theta) if sy >= sx else math.degrees(theta) + 90
    return max(sx, sy), min(sx, sy), rotation % 180


def _angle_close(a: float, b: float, tol: float = 1e-7) -> bool:
    d = abs((a - b + 90) % 180 - 90)
    return d < tol


# ─── mean centre ───────────────────────────────────────────────────────────────────────────


def test_mean_centre_equals_weighted_mean_and_pointpats(provinces, panel):
    result = cg.mean_centre(provinces, panel)
    xy = _albers_centroids(provinces.loc[panel.index])
    assert list(result.index) == YEARS and result.index.name == "year"
    for year in YEARS:
        w = panel[year].to_numpy()
        expected = (xy * w[:, None]).sum(axis=0) / w.sum()
        got = result.loc[year, ["x", "y"]].to_numpy(float)
        np.testing.assert_allclose(got, expected, rtol=1e-9)
        np.testing.assert_allclose(got, pp.weighted_mean_center(xy, w), rtol=1e-9)
        assert result.loc[year, "total_weight"] == pytest.approx(w.sum(), rel=1e-12)
    assert (result["n"] == len(provinces)).all()
    # lon/lat are the layer's geographic coordinates of x, y
    to_plane = pyproj.Transformer.from_crs("EPSG:4326", CHINA_ALBERS, always_xy=True)
    x, y = to_plane.transform(result["lon"].to_numpy(), result["lat"].to_numpy())
    np.testing.assert_allclose(x, result["x"], atol=1e-4)
    np.testing.assert_allclose(y, result["y"], atol=1e-4)
    assert 100 < result["lon"].min() < 120 and 25 < result["lat"].min() < 40


def test_weights_forms_agree(provinces, panel):
    wide = cg.mean_centre(provinces, panel)
    series = panel.rename_axis("adcode").stack().rename_axis(["adcode", "year"])
    tidy = series.rename("value").reset_index().assign(variable="gdp")
    one_column = series.to_frame("gdp")
    for other in (series, tidy, one_column):
        got = cg.mean_centre(provinces, other)
        pd.testing.assert_frame_equal(got[["x", "y", "lon", "lat"]],
                                      wide[["x", "y", "lon", "lat"]], rtol=1e-12)
    single = cg.mean_centre(provinces, panel[2012], by=None)
    assert len(single) == 1
    assert single["x"].iloc[0] == pytest.approx(wide.loc[2012, "x"], rel=1e-12)


def test_projected_layer_stays_in_its_crs(provinces, panel):
    utm = provinces.to_crs("EPSG:32649")
    result = cg.mean_centre(utm, panel)
    assert pyproj.CRS(result.attrs["crs"]).equals(pyproj.CRS("EPSG:32649"))
    c = utm.centroid
    xy = np.column_stack([c.x, c.y])
    w = panel[2013].to_numpy()
    np.testing.assert_allclose(result.loc[2013, ["x", "y"]].to_numpy(float),
                               (xy * w[:, None]).sum(0) / w.sum(), rtol=1e-9)


def test_point_kinds(provinces, panel):
    albers = provinces.to_crs(CHINA_ALBERS)
    rep = cg.unit_points(provinces, "representative")
    assert shapely.contains_xy(albers.geometry.to_numpy(), rep["x"], rep["y"]).all()
    cap = cg.unit_points(provinces, "capital")
    lon, lat = pyproj.Transformer.from_crs(CHINA_ALBERS, "EPSG:4326", always_xy=True).transform(
        cap.loc[420000, "x"], cap.loc[420000, "y"])
    assert lon == pytest.approx(114.3, abs=0.1) and lat == pytest.approx(30.6, abs=0.1)  # 武汉
    by_capital = cg.mean_centre(provinces, panel, points="capital")
    assert by_capital.attrs["points"] == "capital"


# ─── ellipse ───────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("method", ["crimestat", "yuill"])
def test_unweighted_ellipse_equals_pointpats(provinces, method):
    ones = pd.Series(1.0, index=provinces.index)
    result = cg.std_ellipse(provinces, ones, by=None, method=method).iloc[0]
    xy = _albers_centroids(provinces)
    flags = {} if method == "crimestat" else {"crimestatCorr": False, "degfreedCorr": False}
    major, minor, phi = pp.ellipse(xy, method=method, **flags)
    assert result["major"] * 1000 == pytest.approx(major, rel=1e-9)
    assert result["minor"] * 1000 == pytest.approx(minor, rel=1e-9)
    assert _angle_close(result["rotation"], (90 - math.degrees(phi)) % 180)
    assert result["area"] == pytest.approx(math.pi * result["major"] * result["minor"],
                                           rel=1e-12)
    # The polygon is pointpats' own (it rotates counter-clockwise by φ; its circle has 64
    # vertices, hence the 0.3 % tolerance).
    theirs = pp.ellipse(gpd.GeoSeries.from_xy(xy[:, 0], xy[:, 1]), method=method, **flags)
    ours = cg.std_ellipse(provinces.to_crs(CHINA_ALBERS), ones, by=None,
                          method=method).geometry.iloc[0]
    assert ours.hausdorff_distance(theirs) < 3e-3 * major


@pytest.mark.parametrize("method", ["crimestat", "yuill", "arcgis"])
def test_weighted_ellipse_equals_brute_force(provinces, panel, method):
    result = cg.std_ellipse(provinces, panel, method=method)
    xy = _albers_centroids(provinces)
    for year in YEARS:
        w = panel[year].to_numpy()
        major, minor, rotation = _brute_ellipse(xy, w, method)
        row = result.loc[year]
        assert row["major"] * 1000 == pytest.approx(major, rel=1e-9)
        assert row["minor"] * 1000 == pytest.approx(minor, rel=1e-9)
        assert _angle_close(row["rotation"], rotation)
        assert 0 <= row["rotation"] < 180
        assert row["area"] == pytest.approx(math.pi * row["major"] * row["minor"], rel=1e-12)
        if method != "arcgis":  # pointpats 2.5.5 also takes weights
            flags = {} if method == "crimestat" else {"crimestatCorr": False,
                                                      "degfreedCorr": False}
            pmaj, pmin, phi = pp.ellipse(xy, weights=w, method=method, **flags)
            assert row["minor"] * 1000 == pytest.approx(pmin, rel=1e-9)
            assert row["major"] * 1000 == pytest.approx(pmaj, rel=1e-9)
            assert _angle_close(row["rotation"], (90 - math.degrees(phi)) % 180)
    # The ellipse polygon: centred on the mean centre, area π a b, back in the layer's CRS.
    geom = gpd.GeoSeries(result.geometry, crs=provinces.crs).to_crs(CHINA_ALBERS)
    assert result.crs == provinces.crs
    np.testing.assert_allclose(geom.area / 1e6, result["area"], rtol=2e-4)
    np.testing.assert_allclose(geom.centroid.x, result["centre_x"], atol=1.0)


def test_rotation_convention_on_a_known_ellipse():
    """Points along a line 30° clockwise from north (azimuth 30°): rotation 30, not 60."""
    az = math.radians(30)
    t = np.linspace(-1, 1, 41) * 500_000
    rng = np.random.default_rng(1)
    x = 5e5 + t * math.sin(az) + rng.normal(0, 20_000, t.size)
    y = 3.5e6 + t * math.cos(az) + rng.normal(0, 20_000, t.size)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=CHINA_ALBERS,
                           index=pd.Index(range(t.size), name="adcode"))
    result = cg.std_ellipse(pts, pd.Series(1.0, index=pts.index), by=None).iloc[0]
    assert result["rotation"] == pytest.approx(30, abs=2)
    assert result["major"] > 5 * result["minor"]


# ─── shifts ────────────────────────────────────────────────────────────────────────────────


def _haversine_km(lon1, lat1, lon2, lat2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(h))


def test_centre_shift_distance_bearing_speed(provinces, panel):
    centres = cg.mean_centre(provinces, panel.drop(columns=[2012]))
    shift = cg.centre_shift(centres)
    lon, lat = centres["lon"].to_numpy(), centres["lat"].to_numpy()
    az, _, dist = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    np.testing.assert_allclose(shift["distance_km"], dist / 1000, rtol=1e-12)
    np.testing.assert_allclose(shift["bearing"], np.mod(az, 360), rtol=1e-12)
    np.testing.assert_allclose(shift["distance_km"],
                               _haversine_km(lon[:-1], lat[:-1], lon[1:], lat[1:]), rtol=5e-3)
    assert list(shift["years"]) == [1.0, 2.0, 1.0, 1.0]  # 2011 → 2013 spans two years
    np.testing.assert_allclose(shift["speed_km_per_year"], shift["distance_km"] / shift["years"])
    joined = centres.join(shift)
    assert joined["distance_km"].isna().sum() == 1


def test_compass_directions_of_hand_made_shifts():
    expected = list(zip([0, 45, 90, 135, 180, 225, 270, 315], cg.COMPASS, cg.COMPASS_ZH,
                        strict=True))
    lon0, lat0 = 112.0, 33.0
    years, lons, lats = [2000], [lon0], [lat0]
    for i, (az, _, _) in enumerate(expected):
        # out 30 km at the azimuth, then back to the start
        lon, lat, _ = GEOD.fwd(lon0, lat0, az, 30_000)
        years += [2001 + 2 * i, 2002 + 2 * i]
        lons += [lon, lon0]
        lats += [lat, lat0]
    centres = pd.DataFrame({"lon": lons, "lat": lats}, index=pd.Index(years, name="year"))
    shift = cg.centre_shift(centres)
    outward = shift.iloc[0::2]
    assert list(outward["direction"]) == list(cg.COMPASS)
    assert list(outward["direction_zh"]) == ["北", "东北", "东", "东南", "南", "西南", "西",
                                             "西北"]
    np.testing.assert_allclose(outward["distance_km"], 30.0, rtol=1e-9)
    back = shift.iloc[1::2]
    assert list(back["direction"]) == ["S", "SW", "W", "NW", "N", "NE", "E", "SE"]
    assert cg.compass(22.4) == "N" and cg.compass(22.6) == "NE" and cg.compass(359.9) == "N"
    assert cg.compass(200.0, chinese=True) == "南"


# ─── bad inputs ────────────────────────────────────────────────────────────────────────────


def test_bad_inputs_name_units_and_years(provinces, panel):
    bad = panel.copy()
    bad.loc[130000, 2013] = -1.0
    with pytest.raises(cg.CentrographyError, match=r"negative.*河北省 \(130000, 2013\)"):
        cg.mean_centre(provinces, bad)
    zero = panel.copy()
    zero[2014] = 0.0
    with pytest.raises(cg.CentrographyError, match="all weights are zero in 2014"):
        cg.std_ellipse(provinces, zero)
    nan = panel.copy()
    nan.loc[420000, 2011] = np.nan
    with pytest.raises(NonFiniteError, match=r"湖北省 \(420000, 2011\)"):
        cg.mean_centre(provinces, nan)
    # a year missing for some units (an unbalanced panel)
    long = panel.stack().rename_axis(["adcode", "year"])
    unbalanced = long.drop([(110000, 2012), (120000, 2012)])
    with pytest.raises(cg.CentrographyError, match=r"missing.*2012: 北京市 \(110000\), 天津市"):
        cg.mean_centre(provinces, unbalanced)
    # weights for units that are not in the layer
    extra = pd.concat([long, pd.Series(1.0, index=pd.MultiIndex.from_product(
        [[990000], YEARS], names=["adcode", "year"]))])
    with pytest.raises(cg.CentrographyError, match=r"not in the layer.*990000"):
        cg.mean_centre(provinces, extra)
    # a unit without geometry
    holes = provinces.copy()
    holes.loc[650000, "geometry"] = None
    with pytest.raises(cg.CentrographyError, match=r"without geometry.*新疆维吾尔自治区"):
        cg.std_ellipse(holes, panel)
    # points outside their units
    pts = provinces.to_crs(CHINA_ALBERS).representative_point()
    swapped = pts.copy()
    swapped.loc[110000], swapped.loc[460000] = pts.loc[460000], pts.loc[110000]
    with pytest.raises(cg.CentrographyError, match=r"outside their unit.*北京市.*海南省"):
        cg.mean_centre(provinces, panel, points=swapped)
    assert cg.mean_centre(provinces, panel, points=pts).loc[2010, "x"] == pytest.approx(
        cg.mean_centre(provinces, panel, points="representative").loc[2010, "x"], rel=1e-9)
    # capitals exist for provinces only
    counties = provinces.copy()
    counties.index = counties.index + 1
    with pytest.raises(cg.CentrographyError, match="needs provinces"):
        cg.mean_centre(counties, panel.set_axis(counties.index), points="capital")
    with pytest.raises(ParameterError, match="method must be one of"):
        cg.std_ellipse(provinces, panel, method="arcmap")
    with pytest.raises(ParameterError, match="points must be one of"):
        cg.mean_centre(provinces, panel, points="center")
    tidy = panel.stack().rename("value").rename_axis(["adcode", "year"]).reset_index()
    two = pd.concat([tidy.assign(variable="gdp"), tidy.assign(variable="pop")])
    with pytest.raises(cg.CentrographyError, match="one variable"):
        cg.mean_centre(provinces, two)
    with pytest.raises(cg.CentrographyError, match="at least 3"):
        cg.std_ellipse(provinces, panel.iloc[:2])
    with pytest.raises(cg.CentrographyError, match="no CRS"):
        cg.mean_centre(provinces.set_crs(None, allow_override=True), panel)


# ─── map ───────────────────────────────────────────────────────────────────────────────────


def test_centre_trajectory_map_draws_and_saves(provinces, panel, tmp_path):
    centres = cg.mean_centre(provinces, panel)
    ellipses = cg.std_ellipse(provinces, panel).loc[[2010, 2012, 2015]]
    fig = centre_trajectory_map(provinces, centres, ellipses)
    main = fig.axes[0]
    others = list(main.child_axes)  # the inset axes (South China Sea, zoom)
    zoomed = cg.centre_shift(centres)["distance_km"].sum() < 600
    axes = [main, *others]
    arrows = [p for ax in axes for p in ax.patches if isinstance(p, FancyArrowPatch)]
    arrows += [t for ax in axes for t in ax.texts
               if getattr(t, "arrow_patch", None) is not None]
    assert len(arrows) >= 1
    texts = {t.get_text() for ax in axes for t in ax.texts}
    assert {"2010", "2015"} <= texts
    legend = main.get_legend()
    assert [t.get_text() for t in legend.get_texts()][-3:] == ["2010", "2012", "2015"]
    if zoomed:
        assert any(ax.get_xlim()[1] - ax.get_xlim()[0] < 1e6
                   for ax in others)
    png = save_figure(fig, tmp_path / "trajectory.png", dpi=200)
    assert png.stat().st_size > 10_000
    # without ellipses, and a large path drawn on the main map itself
    far = pd.DataFrame({"lon": [90.0, 100.0, 115.0], "lat": [40.0, 30.0, 35.0]},
                       index=pd.Index([2000, 2010, 2020], name="year"))
    fig2 = centre_trajectory_map(provinces, far)
    main2 = fig2.axes[0]
    assert {"2000", "2010", "2020"} <= {t.get_text() for t in main2.texts}
    assert sum(getattr(t, "arrow_patch", None) is not None for t in main2.texts) == 2
    assert all(ax.get_xlim()[1] - ax.get_xlim()[0] > 1e6 for ax in main2.child_axes)
