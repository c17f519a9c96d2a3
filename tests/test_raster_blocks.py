"""Zonal statistics in blocks: any split of the polygons into blocks, computed one by one
(``zonal_stats_block``) and concatenated (``combine_zonal_blocks``), equals the one-call result
exactly — values and ``attrs`` — and the values equal brute-force shapely intersections; bad
polygons (invalid, empty, repeated, not polygons) are named with their fix.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from rasterio.transform import from_origin

from spatialecon import raster as R

STATS = ["mean", "min", "max", "std", "count", "sum", "median", "p10", "majority", "cells",
         "nodata"]
TRANSFORM = from_origin(100.0, 40.0, 0.25, 0.25)   # 60 × 40 cells of 0.25°
SHAPE = (40, 60)


def _zones(n: int = 90, seed: int = 3) -> gpd.GeoDataFrame:
    """Random stars (some with holes, some multipolygons, both windings), some partly beyond
    the raster, one empty, labelled out of spatial order."""
    rng = np.random.default_rng(seed)
    geoms = []
    for i in range(n):
        cx, cy = rng.uniform(99.5, 115.5), rng.uniform(29.5, 40.5)
        k = 12
        angles = np.sort(rng.uniform(0, 2 * np.pi, k))
        radii = rng.uniform(0.2, 1.0, k) * rng.uniform(0.2, 1.5)
        g = shapely.Polygon(np.c_[cx + radii * np.cos(angles), cy + radii * np.sin(angles)])
        if i % 5 == 0:
            g = g.difference(shapely.Point(cx, cy).buffer(0.1))
        if i % 7 == 0:
            g = shapely.MultiPolygon([*getattr(g, "geoms", [g]),
                                      shapely.box(cx + 1.6, cy, cx + 2.0, cy + 0.3)])
        if i % 2:
            g = shapely.reverse(g)
        geoms.append(g)
    geoms[17] = shapely.Polygon()
    labels = rng.permutation(n) + 1000
    return gpd.GeoDataFrame(geometry=geoms, index=pd.Index(labels, name="unit"),
                            crs="EPSG:4326")


def _values(seed: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = np.round(rng.normal(50, 10, SHAPE), 1)   # repeated values: majority has ties
    values[10:14, 20:30] = np.nan
    return values


@pytest.fixture(scope="module")
def zones() -> gpd.GeoDataFrame:
    return _zones()


def _brute(geom, values: np.ndarray) -> tuple[float, float]:
    """Coverage-weighted mean and Σ coverage of valid cells, from shapely intersection areas."""
    total = weight = 0.0
    for row in range(SHAPE[0]):
        for col in range(SHAPE[1]):
            x0, y1 = TRANSFORM.c + col * 0.25, TRANSFORM.f - row * 0.25
            frac = geom.intersection(shapely.box(x0, y1 - 0.25, x0 + 0.25, y1)).area / 0.0625
            if frac > 1e-10 and not np.isnan(values[row, col]):
                total += frac * values[row, col]
                weight += frac
    return (total / weight if weight else np.nan), weight


@pytest.mark.parametrize("rule", ["coverage", "centre"])
@pytest.mark.parametrize("max_cells", [10**6, 3 * SHAPE[1]])   # one window, or 14
def test_blocks_concatenate_to_the_one_call_result(zones, rule, max_cells):
    values = _values()
    kwargs = {"rule": rule, "max_cells": max_cells}
    with R.from_array(values, TRANSFORM, "EPSG:4326") as src:
        whole = R.zonal_stats(src, zones, STATS, warn=False, **kwargs)
        # three contiguous blocks of rows, as a cluster would send them
        parts = [zones.iloc[:20], zones.iloc[20:61], zones.iloc[61:]]
        blocks = [R.zonal_stats_block(src, part, STATS, **kwargs) for part in parts]
        # tiny internal blocks (a few polygons each) change nothing either
        tiny = R.zonal_stats(src, zones, STATS, warn=False, block_size=40, **kwargs)
        # nor does a split that is not contiguous (every third row)
        strided = [R.zonal_stats_block(src, zones.iloc[k::3], STATS, **kwargs) for k in range(3)]
    combined = R.combine_zonal_blocks(blocks)
    pd.testing.assert_frame_equal(combined, whole, check_exact=True)
    assert combined.attrs == whole.attrs
    assert list(combined.attrs["no_value"]) == list(whole.attrs["no_value"])   # row order
    pd.testing.assert_frame_equal(tiny, whole, check_exact=True)
    assert len(R.zonal_blocks(zones, 40)) > 10
    order = np.concatenate([np.arange(k, len(zones), 3) for k in range(3)])
    pd.testing.assert_frame_equal(R.combine_zonal_blocks(strided), whole.iloc[order],
                                  check_exact=True)
    if max_cells < 10**6:
        assert whole.attrs["windows"] > 10
    if rule == "coverage":   # and the values are right: brute-force intersections
        for label in zones.index[::9]:
            mean, count = _brute(zones.geometry.loc[label], values)
            assert whole.at[label, "count"] == pytest.approx(count, abs=1e-9)
            assert whole.at[label, "mean"] == pytest.approx(mean, rel=1e-12, nan_ok=True)


def test_zonal_blocks_partition_the_rows(zones):
    blocks = R.zonal_blocks(zones, 100)
    rows = np.sort(np.concatenate(blocks))
    assert rows.tolist() == list(range(len(zones)))
    vertices = shapely.get_num_coordinates(zones.geometry.to_numpy())
    # a block starts every 100 vertices: at most 100 plus its last polygon
    assert max(vertices[b].sum() - vertices[b][-1] for b in blocks) < 100
    # compact in space: blocks are bands of bounding-box centres
    centre = zones.geometry.bounds[["miny", "maxy"]].mean(axis=1).to_numpy()
    tops = [np.nanmax(centre[b]) for b in blocks[:-1]]
    bottoms = [np.nanmin(centre[b]) for b in blocks[1:]]
    assert all(t <= b for t, b in zip(tops, bottoms, strict=False))
    # on a raster, each polygon also counts the cells of its bounding box
    with R.from_array(_values(), TRANSFORM, "EPSG:4326") as src:
        on_raster = R.zonal_blocks(zones, 400, raster=src)
    cells = zones.geometry.bounds.assign(
        w=lambda b: np.ceil((b.maxx - 100) / 0.25) - np.floor((b.minx - 100) / 0.25),
        h=lambda b: np.ceil((40 - b.miny) / 0.25) - np.floor((40 - b.maxy) / 0.25))
    work = vertices + (cells.w * cells.h).fillna(0).to_numpy()
    assert max(work[b].sum() - work[b][-1] for b in on_raster) < 400
    assert len(on_raster) > len(R.zonal_blocks(zones, 400))


def test_combining_different_calls_is_refused(zones):
    with R.from_array(_values(), TRANSFORM, "EPSG:4326") as src:
        a = R.zonal_stats_block(src, zones.iloc[:10], ["mean"])
        b = R.zonal_stats_block(src, zones.iloc[10:], ["mean"], rule="centre")
    with pytest.raises(R.RasterError, match=r"block 1 was computed differently.*rule"):
        R.combine_zonal_blocks([a, b])
    with pytest.raises(R.RasterError, match="no blocks"):
        R.combine_zonal_blocks([])


# ── bad polygons, named ───────────────────────────────────────────────────────────────────


def _bowtie(x: float, y: float, size: float = 2.0) -> shapely.Polygon:
    return shapely.Polygon([(x, y), (x + size, y + size), (x + size, y), (x, y + size)])


def test_invalid_polygons_are_named_with_the_repair():
    values = _values()
    zones = gpd.GeoDataFrame(
        geometry=[shapely.box(101, 31, 103, 33), _bowtie(104, 34), shapely.box(106, 35, 107, 36),
                  shapely.MultiPolygon([shapely.box(108, 31, 110, 33),
                                        shapely.box(109, 32, 111, 34)]),   # overlapping parts
                  shapely.Polygon([(101, 36), (104, 39), (104, 36), (101, 37)])],  # lopsided
        index=pd.Index(["fine", "bowtie", "also fine", "overlap", "lopsided"]), crs="EPSG:4326")
    with R.from_array(values, TRANSFORM, "EPSG:4326") as src:
        # a figure-eight whose lobes cancel (zero area), overlapping parts (cells covered
        # twice), a figure-eight with a larger lobe (cells covered negatively)
        with pytest.raises(R.RasterError, match=r"3 invalid polygon\(s\).*: bowtie, overlap, "
                                                r"lopsided.*make_valid\(\)"):
            R.zonal_stats(src, zones, ["mean"])
        with pytest.raises(R.RasterError, match=r"3 invalid polygon\(s\): bowtie, overlap, "
                                                r"lopsided \(bowtie: Self-intersection"):
            R.zonal_stats(src, zones, ["mean"], validate=True)
        repaired = zones.set_geometry(zones.geometry.make_valid())
        out = R.zonal_stats(src, repaired, ["mean", "count"], validate=True)
        # the centre rule fills by even–odd, as GDAL does, so it takes them as they are
        R.zonal_stats(src, zones, ["mean"], rule="centre")
    assert out.attrs["validated"] == "GEOS is_valid"
    # repaired, the bowtie is two triangles of 2 square degrees: 32 cells of 1/16
    assert out.at["bowtie", "count"] + 0 == pytest.approx(_brute(repaired.geometry["bowtie"],
                                                                 values)[1])
    mean, count = _brute(repaired.geometry["overlap"], values)
    assert out.at["overlap", "count"] == pytest.approx(count)
    assert out.at["overlap", "mean"] == pytest.approx(mean, rel=1e-12)


def test_empty_repeated_and_non_polygons_are_named():
    zones = gpd.GeoDataFrame(
        geometry=[shapely.box(101, 31, 102, 32), shapely.Polygon(), shapely.box(103, 33, 104, 34),
                  shapely.box(101, 31, 102, 32), shapely.box(105, 35, 106, 36)],
        index=pd.Index([11, 12, 13, 14, 13]), crs="EPSG:4326")
    with R.from_array(_values(), TRANSFORM, "EPSG:4326") as src:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = R.zonal_stats(src, zones, ["mean"])
        text = [str(w.message) for w in caught]
        assert any("1 of 5 polygons get no value (1 empty geometry): 12;" in t
                   and "polygons[~polygons.is_empty]" in t for t in text), text
        assert any("1 index label(s) occur more than once: 13" in t and "reset_index()" in t
                   for t in text), text
        assert any("1 polygon(s) repeat the geometry of another: 14 = 11" in t
                   and "duplicated()" in t for t in text), text
        assert out["mean"].iloc[0] == out["mean"].iloc[3]
        lines = gpd.GeoSeries([shapely.box(101, 31, 102, 32), shapely.LineString([(0, 0), (1, 1)]),
                               shapely.Point(3, 3)], index=["a", "road", "well"],
                              crs="EPSG:4326")
        with pytest.raises(R.RasterError, match=r"2 geometries are of other types "
                                                r"\(LineString, Point\): road, well"):
            R.zonal_stats(src, lines)
