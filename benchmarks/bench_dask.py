"""The Dask path's overhead: each partitioned computation in-process and on a ``LocalCluster``
of two worker processes (one thread each — this machine's two cores), on the same synthetic
grid, the results checked identical.

- local Moran, 999 conditional permutations: blocks of units (``lisa_block``), the
  standardised values and the CSR arrays of W scattered once to both workers;
- zonal mean (exact coverage): blocks of polygons (``zonal_blocks``), each task opening the
  GeoTIFF by path;
- geodetector, factor + interaction, 6 factors: chunks of rows (``chunk_moments``), each
  chunk shipped to one worker, moments merged in the client.

Inputs come from ``bench_scale`` (a square grid with a SAR field, six factors and a raster of
about four cells per polygon; seed 0). ``SPATIALECON_BENCH_DASK_N`` sets the number of cells
(default 250,000). Times are warm: the cluster is started, every task function runs once on a
small grid, then each case is timed once on each backend. The ratio is cluster ÷ in-process
(above 1 the cluster is slower: on one 2-core machine the cluster can only add shipping and
scheduling; its use is a machine beyond this one).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from benchmarks.bench_scale import FACTORS, grid_data, raster_to_match


def _cases(gdf, w, raster: str, n: int) -> dict:
    from spatialecon.autocorrelation import local_moran
    from spatialecon.geodetector import geodetector
    from spatialecon.raster import zonal_stats

    values = gdf[["y"]]
    table = pd.DataFrame(gdf[["y", *FACTORS]])
    polygons = gdf[["geometry"]]
    return {
        "local Moran, 999 perm.": lambda **kw: local_moran(values, "y", w, permutations=999,
                                                          seed=1, **kw),
        "zonal mean, coverage": lambda **kw: zonal_stats(raster, polygons, ["mean"],
                                                         warn=False, **kw),
        "geodetector factor+interaction": lambda **kw: geodetector(
            table, "y", FACTORS, detectors=("factor", "interaction"),
            chunk_rows=max(1, n // 4), **kw).interaction,
    }


def _timed(func):
    started = time.perf_counter()
    out = func()
    return out, time.perf_counter() - started


def _inputs(n: int, directory: Path):
    from spatialecon.weights import contiguity

    gdf, _ = grid_data(n, "square")
    raster = raster_to_match(gdf, directory / f"raster_{n}.tif")
    return gdf, contiguity(gdf), raster


def main() -> None:
    try:
        import distributed
    except ImportError:  # pragma: no cover
        print("\nbench_dask: skipped — the optional dask extra is not installed")
        return
    n = int(os.environ.get("SPATIALECON_BENCH_DASK_N", "250000"))
    print(f"\nDask overhead, {n:,} grid cells: in-process vs LocalCluster(2 worker processes "
          "× 1 thread), warm")
    with tempfile.TemporaryDirectory() as tmp, \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        directory = Path(tmp)
        small = _cases(*_inputs(400, directory), n=400)
        for case in small.values():  # imports, numba caches and fonts on both sides
            case()
            case(backend="dask", client=client)
        big = _cases(*_inputs(n, directory), n=n)
        width = max(len(k) for k in big)
        print(f"  {'workload':<{width}}  in-process    cluster    ratio  identical")
        for name, case in big.items():
            serial, t_serial = _timed(case)
            remote, t_remote = _timed(lambda case=case: case(backend="dask", client=client))
            same = serial.equals(remote)  # values, NaN in the same places, index, columns
            print(f"  {name:<{width}}  {t_serial:9.2f} s {t_remote:8.2f} s "
                  f"{t_remote / t_serial:7.2f}×  {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
