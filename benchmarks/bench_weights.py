"""Contiguity weights on the embedded provinces and counties against libpysal and pygeoda.

Same polygons, one run. "computed" is spatialecon on plain polygons (no cache) with its GEOS
validity check, "validate=False" without it, "cached" the embedded layers' stored adjacency;
pygeoda's time excludes loading the layer (shown apart).
"""

from __future__ import annotations

import time
import warnings
from functools import partial

import geopandas as gpd
from libpysal.graph import Graph
from libpysal.weights import Queen, Rook

from benchmarks._common import best_of, report
from spatialecon.geodata import boundaries
from spatialecon.weights import contiguity


def _plain(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The same polygons without the embedded-layer attrs, so nothing cached applies."""
    out = gpd.GeoDataFrame(index=gdf.index, geometry=gdf.geometry.values, crs=gdf.crs)
    out.attrs = {}
    return out


def main() -> None:
    warnings.simplefilter("ignore")
    try:
        import pygeoda
    except ImportError:  # pragma: no cover - bench extra
        pygeoda = None
    for level in ("province", "county"):
        gdf = boundaries(level)
        plain = _plain(gdf)
        contiguity(gdf)  # warm the adjacency cache
        for rule in ("queen", "rook"):
            lib_cls = Queen if rule == "queen" else Rook
            repeat = 3 if level == "province" else 1
            rows = [
                (f"libpysal {lib_cls.__name__}.from_dataframe",
                 best_of(partial(lib_cls.from_dataframe, plain, use_index=True), repeat)),
                ("libpysal Graph.build_contiguity",
                 best_of(partial(Graph.build_contiguity, plain, rook=rule == "rook"), repeat)),
                ("spatialecon computed", best_of(partial(contiguity, plain, rule), 3)),
                ("spatialecon computed (validate=False)",
                 best_of(partial(contiguity, plain, rule, validate=False), 3)),
                ("spatialecon cached (embedded)", best_of(partial(contiguity, gdf, rule), 3)),
            ]
            if pygeoda is not None:
                started = time.perf_counter()
                layer = pygeoda.open(gdf.reset_index())
                load = time.perf_counter() - started
                build = pygeoda.queen_weights if rule == "queen" else pygeoda.rook_weights
                rows.append((f"pygeoda (+{load:.2f} s to load the layer)",
                             best_of(partial(build, layer), 3)))
            report(f"{rule} contiguity, {len(gdf)} {level} polygons", rows,
                   baseline=rows[0][0])


if __name__ == "__main__":
    main()
