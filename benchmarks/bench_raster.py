"""Zonal statistics of the 2,848 full-resolution county polygons (4.2 million vertices) on the
China DEM (225 × 350 cells): the first call in a fresh process, then (warm) against
rasterstats and exactextract, in one run; then the raster geodetector and the Moran panel,
in-process against a local Dask cluster.

The first call is timed in fresh processes (``python -c``, three of them): each imports
spatialecon, loads the county layer (``boundaries("county")``, from its cache: not part of the
call) and the DEM's path, and times exactly one ``zonal_stats(china_dem(), counties,
["mean"])`` with its defaults (the checks for warnings included; their display is off) —
wall and CPU seconds of that call (CPU is what a busy machine does not inflate).

Each rule is timed against the peer that uses it — ``rule="coverage"`` (exact coverage
fractions) against exactextract, ``rule="centre"`` (cell centres) against rasterstats — and the
results are compared (largest absolute difference of mean, min, max and count; exactextract's
are float32). The peers run once (~30 s each on 2 cores); ours is the best of 5 after a
warm-up call. A peer that is not installed is reported and skipped (both are dev
dependencies).

``SPATIALECON_BENCH_RASTER_CELLS`` sets the size of the synthetic grid of the detector part
(default 1e7 cells); ``SPATIALECON_BENCH_RASTER_PEERS=0`` skips the peers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.transform import from_origin

from benchmarks._common import best_of, report
from spatialecon import raster
from spatialecon.geodata import boundaries

STATS = ["mean", "min", "max", "count"]


def _gap(ours: pd.DataFrame, theirs: pd.DataFrame) -> float:
    return max(float(np.nanmax(np.abs(ours[s].to_numpy(float) - theirs[s].to_numpy(float))))
               for s in STATS)


def _zonal() -> None:
    counties = boundaries("county")
    dem = str(raster.china_dem())
    vertices = int(shapely.get_num_coordinates(counties.geometry.to_numpy()).sum())
    print(f"\nzonal statistics {STATS}: {len(counties):,} counties "
          f"({vertices / 1e6:.1f} M vertices) on the China DEM (225 × 350)")
    ours = {}
    for rule in ("coverage", "centre"):
        run = partial(raster.zonal_stats, dem, counties, STATS, rule=rule, warn=False)
        ours[rule] = run()
        ours[f"{rule}_time"] = best_of(run, 5)
    peers = os.environ.get("SPATIALECON_BENCH_RASTER_PEERS", "1") != "0"
    rows_ee = [("spatialecon zonal_stats(rule='coverage')", ours["coverage_time"])]
    rows_rs = [("spatialecon zonal_stats(rule='centre')", ours["centre_time"])]
    try:
        from exactextract import exact_extract
    except ImportError:
        exact_extract = None
        print("  exactextract: not installed; skipped")
    try:
        from rasterstats import zonal_stats as rs_zonal
    except ImportError:
        rs_zonal = None
        print("  rasterstats: not installed; skipped")
    if peers and exact_extract is not None:
        started = time.perf_counter()
        theirs = exact_extract(dem, counties, STATS, output="pandas")
        rows_ee.append(("exactextract (exact coverage)", time.perf_counter() - started))
        gap = _gap(ours["coverage"], theirs)
        print(f"  coverage rule vs exactextract: max |difference| {gap:.1e} (float32 output)")
    if peers and rs_zonal is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            started = time.perf_counter()
            theirs = pd.DataFrame(rs_zonal(counties, dem, stats=STATS), index=counties.index)
        rows_rs.append(("rasterstats (cell centres)", time.perf_counter() - started))
        gap = _gap(ours["centre"], theirs)
        print(f"  centre rule vs rasterstats: max |difference| {gap:.1e}")
    print(f"  counties without a value: {len(ours['centre'].attrs['no_value'])} by cell centres, "
          f"{len(ours['coverage'].attrs['no_value'])} by coverage fractions")
    if len(rows_ee) > 1:
        report("coverage fractions (ratios vs exactextract)", rows_ee,
               baseline="exactextract (exact coverage)")
    if len(rows_rs) > 1:
        report("cell centres (ratios vs rasterstats)", rows_rs,
               baseline="rasterstats (cell centres)")
    if len(rows_ee) > 1 and len(rows_rs) > 1:
        both = rows_ee + rows_rs[1:] + rows_rs[:1]
        report("all four (ratios vs rasterstats)", both, baseline="rasterstats (cell centres)")


_FIRST_CALL = """
import json, time, warnings
warnings.simplefilter("ignore")  # the warnings are still computed, only not shown
from spatialecon.geodata import boundaries
from spatialecon.raster import china_dem, zonal_stats
counties = boundaries("county")
dem = china_dem()
wall, cpu = time.perf_counter(), time.process_time()
out = zonal_stats(dem, counties, ["mean"])
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "mean": float(out["mean"].mean())}))
"""


def _first_call(runs: int = 3) -> None:
    print("\nzonal_stats(china_dem(), counties, ['mean']): the first call in a fresh process "
          "(imports and the county layer loaded before the clock starts)")
    root = Path(__file__).resolve().parents[1]
    for k in range(runs):
        done = subprocess.run([sys.executable, "-c", _FIRST_CALL], cwd=root, check=True,
                              capture_output=True, text=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"  process {k + 1}: {result['wall']:.3f} s wall, {result['cpu']:.3f} s CPU "
              f"(mean of county means {result['mean']:.4f})")


def _write(path: Path, values: np.ndarray, transform) -> str:
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0],
                       count=1, dtype=values.dtype, crs="EPSG:4326", transform=transform,
                       tiled=True, blockxsize=512, blockysize=512) as dst:
        dst.write(values, 1)
    return str(path)


def _detector() -> None:
    cells = int(float(os.environ.get("SPATIALECON_BENCH_RASTER_CELLS", "1e7")))
    width = int(np.sqrt(cells * 1.6))
    height = cells // width
    rng = np.random.default_rng(1)
    transform = from_origin(73.0, 54.0, 60 / width, 36 / height)
    with tempfile.TemporaryDirectory() as tmp:
        factors = {}
        y = rng.normal(size=(height, width))
        for i, k in enumerate((5, 7, 9)):
            codes = rng.integers(0, k, (height, width)).astype(np.int16)
            y += 0.2 * (i + 1) * codes
            factors[f"x{i + 1}"] = _write(Path(tmp) / f"x{i + 1}.tif", codes, transform)
        y_path = _write(Path(tmp) / "y.tif", y, transform)
        del y
        run = partial(raster.raster_geodetector, y_path, factors, max_cells=2**21)
        print(f"\nraster geodetector: {width} × {height} = {width * height:,} cells, 3 factors "
              "(5/7/9 strata), windows of 2**21 cells")
        serial = run()
        rows = [("serial (one process)", best_of(run, 2))]
        rows += _with_cluster(lambda client: run(backend="dask", client=client), serial.factor)
        report("raster geodetector (ratios vs serial)", rows, baseline="serial (one process)")


def _with_cluster(job, expected: pd.DataFrame | None) -> list[tuple[str, float]]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("  dask[distributed] not installed (the optional extra); skipped")
        return []
    out = []
    for processes in (False, True):
        label = f"dask LocalCluster(2 workers, processes={processes})"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=processes,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                result = job(client)
                out.append((label, best_of(partial(job, client), 2)))
        if expected is not None:
            same = result.factor.equals(expected)
            print(f"  {label}: identical to serial: {same}")
    return out


def _moran() -> None:
    from spatialecon.parallel import moran_panel
    from spatialecon.weights import contiguity

    w = contiguity(boundaries("county"))
    rng = np.random.default_rng(2)
    frames = [pd.DataFrame({"adcode": w.id_order, "year": year, "variable": f"v{v}",
                            "value": rng.normal(size=w.n)})
              for v in range(4) for year in range(2015, 2020)]
    panel = pd.concat(frames, ignore_index=True)
    print(f"\nlocal Moran, 999 permutations: {w.n:,} counties × 4 variables × 5 years "
          "= 20 tasks")
    run = partial(moran_panel, panel, w, statistic="local", permutations=999, seed=1)
    started = time.perf_counter()
    serial = run()
    rows = [("serial (one process)", time.perf_counter() - started)]
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("  dask[distributed] not installed (the optional extra); skipped")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            run(backend="dask", client=client)  # ships the weights and warms the workers
            started = time.perf_counter()
            dask = run(backend="dask", client=client)
            rows.append(("dask LocalCluster(2 worker processes)", time.perf_counter() - started))
    print(f"  identical to serial: {serial.equals(dask)}")
    report("Moran panel (ratios vs serial)", rows, baseline="serial (one process)")


def main() -> None:
    _first_call()
    _zonal()
    _detector()
    _moran()


if __name__ == "__main__":
    main()
