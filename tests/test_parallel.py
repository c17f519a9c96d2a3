"""The Dask path on a real ``dask.distributed`` cluster: a ``LocalCluster`` of two worker
processes (each with a nanny that restarts it), so tasks, shared data and results are pickled
across processes as on a remote cluster. Equality with the in-process path, and what happens
when a worker dies mid-run."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from spatialecon import parallel

distributed = pytest.importorskip("distributed", reason="the optional dask extra")
TRANSFORM = Affine(0.1, 0.0, 100.0, 0.0, -0.1, 40.0)  # 0.1° cells from 100° E, 40° N


def test_without_a_client_dask_runs_threads_with_the_same_result():
    # first in the file: no cluster client exists yet, so Dask's threads run the graph
    assert parallel._current_client() is None
    values = np.random.default_rng(1).normal(size=3_000)
    blocks = _blocks(len(values), 700)
    serial = parallel.map_blocks(block_sums, blocks, shared={"values": values})
    threaded = parallel.map_blocks(block_sums, blocks, shared={"values": values},
                                   backend="dask", client=None)
    for a, b in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.fixture(scope="module")
def cluster_client():
    import dask

    # one retry: a task whose worker dies twice fails the run (the default allows 3 deaths)
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def block_sums(start: int, stop: int, *, values: np.ndarray) -> np.ndarray:
    return np.array([values[start:stop].sum(), stop - start], dtype=float)


def die_once(start: int, stop: int, *, values: np.ndarray, marker: str) -> np.ndarray:
    """Kills its worker process the first time any task runs it, then behaves."""
    path = Path(marker)
    if start == 0 and not path.exists():
        path.write_text("died")
        os._exit(1)
    return block_sums(start, stop, values=values)


def die_always(start: int, stop: int, *, values: np.ndarray) -> np.ndarray:
    if start == 0:
        os._exit(1)
    return block_sums(start, stop, values=values)


def _blocks(n: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def test_map_blocks_on_a_process_cluster_equals_serial(cluster_client):
    values = np.random.default_rng(0).normal(size=10_000)
    blocks = _blocks(len(values), 1_000)
    serial = parallel.map_blocks(block_sums, blocks, shared={"values": values})
    remote = parallel.map_blocks(block_sums, blocks, shared={"values": values},
                                 backend="dask", client=cluster_client)
    assert len(remote) == len(blocks)
    for a, b in zip(serial, remote, strict=True):
        np.testing.assert_array_equal(a, b)
    # results in block order: the first block's sum is the first ten hundred values' sum
    assert remote[0][0] == values[:1_000].sum()


def test_a_worker_lost_mid_run_is_replaced_and_the_result_is_complete(cluster_client,
                                                                     tmp_path):
    values = np.arange(4_000, dtype=float)
    blocks = _blocks(len(values), 500)
    marker = tmp_path / "died"
    remote = parallel.map_blocks(die_once, blocks,
                                 shared={"values": values, "marker": str(marker)},
                                 backend="dask", client=cluster_client)
    assert marker.read_text() == "died"  # a worker really died
    assert sum(r[0] for r in remote) == values.sum()
    assert [r[1] for r in remote] == [500.0] * 8
    cluster_client.wait_for_workers(2, timeout=60)


def test_a_task_that_keeps_killing_workers_fails_clearly(cluster_client):
    values = np.arange(2_000, dtype=float)
    # Either the scheduler gives up on the task (KilledWorker) or, when both workers died
    # at once, on its scattered input (FutureCancelledError): both end the run, clearly.
    with pytest.raises(parallel.ClusterError,
                       match=r"failed at .*(died repeatedly|input was lost).*No partial"):
        parallel.map_blocks(die_always, _blocks(len(values), 500), shared={"values": values},
                            backend="dask", client=cluster_client)
    cluster_client.wait_for_workers(2, timeout=60)


def _write_tif(path: Path, array: np.ndarray) -> str:
    import rasterio

    with rasterio.open(path, "w", driver="GTiff", height=array.shape[0],
                       width=array.shape[1], count=1, dtype=array.dtype, crs="EPSG:4326",
                       transform=TRANSFORM) as dst:
        dst.write(array, 1)
    return str(path)


def test_raster_detector_moments_on_a_process_cluster_equal_serial(cluster_client, tmp_path):
    from spatialecon import raster

    rng = np.random.default_rng(5)
    shape = (60, 80)
    a = rng.integers(0, 4, shape).astype(np.int16)
    x = rng.normal(size=shape)
    y = a + x + rng.normal(size=shape)
    y[0, :9] = np.nan
    # on disk: every worker process opens the files itself (/vsimem/ lives in one process)
    paths = {k: _write_tif(tmp_path / f"{k}.tif", v) for k, v in
             {"y": y, "a": a, "x": x}.items()}
    kwargs = {"discretize": {"x": ("quantiles", 5)}, "max_cells": 600, "sample_size": 2000}
    serial = raster.raster_geodetector(paths["y"], {"a": paths["a"], "x": paths["x"]},
                                       **kwargs)
    remote = raster.raster_geodetector(paths["y"], {"a": paths["a"], "x": paths["x"]},
                                       backend="dask", client=cluster_client, **kwargs)
    assert serial.conventions["windows"] > 1
    for name in ("factor", "interaction", "ecological", "strata"):
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(remote, name),
                                      check_exact=True)


def _detector_table(n: int = 12_000, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "a": rng.integers(0, 5, n), "b": pd.Categorical(rng.choice(list("pqrs"), n)),
        "c": rng.integers(10, 13, n).astype(np.int16)})
    frame["y"] = frame["a"] * 0.4 + (frame["b"] == "q") + rng.normal(size=n)
    return frame


def test_geodetector_chunks_on_a_process_cluster_equal_serial(cluster_client):
    from spatialecon.geodetector import geodetector

    frame = _detector_table()
    kwargs = {"detectors": ("factor", "interaction", "ecological"), "chunk_rows": 2_500}
    serial = geodetector(frame, "y", ["a", "b", "c"], **kwargs)
    remote = geodetector(frame, "y", ["a", "b", "c"], backend="dask", client=cluster_client,
                         **kwargs)
    for name in ("factor", "interaction", "ecological"):
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(remote, name),
                                      check_exact=True)
    assert remote.conventions["backend"] == "dask"
    # five chunks merged give the one-pass q (the reference) to rounding
    one_pass = geodetector(frame, "y", ["a", "b", "c"], detectors=("factor",))
    np.testing.assert_allclose(serial.factor["q"], one_pass.factor["q"], rtol=0, atol=1e-12)
    assert one_pass.factor.loc[one_pass.factor["factor"] == "a", "q"].item() > 0.1


def test_zonal_blocks_on_a_process_cluster_equal_serial(cluster_client, tmp_path):
    import geopandas as gpd
    import shapely

    from spatialecon import raster

    rng = np.random.default_rng(9)
    values = rng.normal(size=(90, 120)).astype(np.float32)
    values[:5, :5] = np.nan
    path = _write_tif(tmp_path / "field.tif", values)  # 100–112° E, 31–40° N, 0.1° cells
    # 600 irregular quadrilaterals over (and partly beyond) the raster
    x0, y0 = np.meshgrid(np.linspace(99.9, 111.5, 30), np.linspace(31.1, 39.6, 20))
    x0, y0 = x0.ravel(), y0.ravel()
    jitter = rng.uniform(0.05, 0.3, size=(len(x0), 2))
    cells = shapely.box(x0, y0, x0 + 0.35 + jitter[:, 0], y0 + 0.4 + jitter[:, 1])
    polygons = gpd.GeoDataFrame({"unit": np.arange(len(x0))}, geometry=cells,
                                crs="EPSG:4326").set_index("unit")
    kwargs = {"stats": ["mean", "std", "p90", "majority", "count"], "block_size": 2_000,
              "warn": False}
    serial = raster.zonal_stats(path, polygons, **kwargs)
    remote = raster.zonal_stats(path, polygons, backend="dask", client=cluster_client,
                                **kwargs)
    assert len(raster.zonal_blocks(polygons, 2_000, raster=path)) > 3
    pd.testing.assert_frame_equal(serial, remote, check_exact=True)
    assert {k: v for k, v in serial.attrs.items() if k != "backend"} == \
        {k: v for k, v in remote.attrs.items() if k != "backend"}
    assert remote.attrs["backend"] == "dask"
    # an independent check of one polygon: the mean of the cells whose centres it contains
    one = raster.zonal_stats(path, polygons.iloc[[100]], ["mean"], rule="centre", warn=False)
    xmin, ymin, xmax, ymax = polygons.geometry.iloc[100].bounds
    cols = np.arange(120)
    rows = np.arange(90)
    cx, cy = 100.0 + 0.1 * (cols + 0.5), 40.0 - 0.1 * (rows + 0.5)
    inside = values[np.ix_((cy > ymin) & (cy < ymax), (cx > xmin) & (cx < xmax))]
    np.testing.assert_allclose(one["mean"].item(), np.nanmean(inside), rtol=1e-6)
    with pytest.raises(raster.RasterError, match="path or GDAL URI"):
        raster.zonal_stats(raster.from_array(values, TRANSFORM, "EPSG:4326"), polygons,
                           backend="dask", client=cluster_client)


def test_lisa_blocks_on_a_process_cluster_equal_serial(cluster_client):
    from spatialecon.autocorrelation import AutocorrelationError, local_moran
    from spatialecon.weights import w_from_pairs

    side = 60  # a rook lattice of 3,600 units, one unit cut off from the rest
    k = np.arange(side * side)
    right = k[(k % side) < side - 1]
    down = k[k < side * (side - 1)]
    i = np.concatenate([right, down])
    j = np.concatenate([right + 1, down + side])
    keep = (i != 0) & (j != 0)
    w = w_from_pairs(i[keep], j[keep], (k + 1000).tolist(), meta={"kind": "lattice"})
    rng = np.random.default_rng(4)
    field = rng.normal(size=side * side)
    smooth = (field + np.roll(field, 1) + np.roll(field, side)) / 3
    data = pd.DataFrame({"v": smooth}, index=pd.Index(k + 1000, name="adcode"))
    serial = local_moran(data, "v", w, permutations=199, seed=11)
    remote = local_moran(data, "v", w, permutations=199, seed=11, backend="dask",
                         client=cluster_client, block_units=500)  # 8 blocks
    pd.testing.assert_frame_equal(serial, remote, check_exact=True)
    assert remote.loc[1000, "cluster"] == "neighbourless"
    assert (remote["p_sim"] <= 0.05).sum() > 100  # a smoothed field has clusters
    with pytest.raises(AutocorrelationError, match="integer seed"):
        local_moran(data, "v", w, permutations=99, backend="dask", client=cluster_client)
