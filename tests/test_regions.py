"""Region schemes (geodata/regions.csv + regions.json) and provincial capitals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import shapely

from spatialecon.geodata.boundaries import boundaries, provinces_table
from spatialecon.geodata.regions import available_region_schemes, capitals, regions
from spatialecon.validation import ParameterError

MAINLAND = set(provinces_table().index) - {710000, 810000, 820000}

SIZES = {
    "nbs4": {"东部": 10, "中部": 6, "西部": 12, "东北": 3},
    "belts3": {"东部": 11, "中部": 8, "西部": 12},
    "south_north": {"南方": 16, "北方": 15},
    "nw_sw": {"西北": 6, "西南": 6},
    "coast_inland_border": {"沿海": 11, "内陆": 13, "沿边": 7},
    "liu2020_4region": {"东部": 10, "中部": 6, "西部": 11, "东北": 3},
}


def test_available_schemes() -> None:
    assert available_region_schemes() == list(SIZES)


@pytest.mark.parametrize("scheme", list(SIZES))
def test_region_sizes_and_index(scheme: str) -> None:
    s = regions(scheme)
    assert s.value_counts().to_dict() == SIZES[scheme]
    assert s.name == scheme
    assert s.index.name == "adcode"
    assert s.index.dtype == "int64"
    assert s.index.is_unique
    assert set(s.index) <= MAINLAND
    assert s.attrs["sizes"] == SIZES[scheme]
    assert s.attrs["membership"] in {"stated", "inferred"}


@pytest.mark.parametrize("scheme", list(SIZES))
def test_english_labels(scheme: str) -> None:
    zh, en = regions(scheme), regions(scheme, lang="en")
    assert en.index.equals(zh.index)
    assert (zh.map(zh.attrs["labels"]) == en).all()
    assert set(en) <= {"east", "central", "west", "northeast", "south", "north", "northwest",
                       "southwest", "coastal", "inland", "border"}


def test_memberships() -> None:
    nbs4 = regions("nbs4")
    short = provinces_table()["short"]
    members = {r: set(short[nbs4.index[nbs4 == r]]) for r in SIZES["nbs4"]}
    assert members["东北"] == {"辽宁", "吉林", "黑龙江"}
    assert members["中部"] == {"山西", "河南", "安徽", "湖北", "湖南", "江西"}
    # belts3 moves 辽宁 to the east and 吉林, 黑龙江 to the centre.
    belts = regions("belts3")
    assert belts[210000] == "东部"
    assert belts[220000] == belts[230000] == "中部"
    assert (belts[nbs4 != "东北"] == nbs4[nbs4 != "东北"]).all()
    # liu2020_4region is nbs4 without 西藏.
    liu = regions("liu2020_4region")
    assert 540000 not in liu.index
    assert liu.equals(nbs4.drop(540000).rename("liu2020_4region"))
    # nw_sw covers exactly the 12 western provinces.
    assert set(regions("nw_sw").index) == set(nbs4.index[nbs4 == "西部"])
    south_north = regions("south_north")
    south = set(short[south_north.index[south_north == "南方"]])
    assert {"四川", "重庆", "西藏", "湖北", "安徽", "江苏"} <= south
    assert not {"陕西", "河南", "山东"} & south
    # As printed by 许唯聪、李俊久: 广西 is a border province, 辽宁 coastal.
    cib = regions("coast_inland_border")
    assert cib[450000] == "沿边"
    assert cib[210000] == "沿海"


def test_provenance() -> None:
    assert regions("south_north").attrs["membership"] == "inferred"
    assert regions("belts3").attrs["membership"] == "inferred"
    assert regions("nw_sw").attrs["membership"] == "stated"
    assert "赵玉" in regions("belts3").attrs["used_by"][0]
    assert "0.8522" in regions("south_north").attrs["note"]


def test_regions_csv_province_names_match_provinces_table() -> None:
    from spatialecon._files import embedded_path

    table = pd.read_csv(embedded_path("regions.csv"), index_col="adcode")
    assert set(table.index) == MAINLAND
    assert (table["province"] == provinces_table()["short"].reindex(table.index)).all()
    assert list(table.columns[1:]) == list(SIZES)


SEED_COLUMNS = {  # our scheme -> column prefix in the seed's region_groupings.csv
    "nbs4": "nbs_4region",
    "belts3": "zhao2020_3region",
    "south_north": "he2020_south_north",
    "nw_sw": "gao2020_NW_SW",
    "coast_inland_border": "xu2020_coast_inland_border",
    "liu2020_4region": "liu2020_4region",
}


@pytest.mark.parametrize("scheme", list(SEED_COLUMNS))
def test_regions_agree_with_seed(scheme: str, shared_dir: Path) -> None:
    path = shared_dir / "seed" / "region_groupings.csv"
    if not path.exists():
        pytest.skip(f"seed not available: {path}")
    seed = pd.read_csv(path, dtype=str, keep_default_na=False)
    (column,) = [c for c in seed.columns if c.split(" ")[0] == SEED_COLUMNS[scheme]]
    adcode = provinces_table().reset_index().set_index("short")["adcode"]
    expected = seed.set_index(seed["province"].map(adcode))[column]
    expected = expected[~expected.isin(["", "(excluded)"])].sort_index()
    got = regions(scheme).sort_index()
    assert got.index.equals(expected.index)
    assert (got == expected).all()
    # The he2020 DEA layout is nbs4 too.
    if scheme == "nbs4":
        (he,) = [c for c in seed.columns if c.startswith("he2020_4region")]
        assert (seed.set_index(seed["province"].map(adcode))[he].sort_index() == got).all()


def test_unknown_scheme_and_lang() -> None:
    with pytest.raises(ParameterError, match=r"region scheme must be one of .*'nbs5'") as err:
        regions("nbs5")
    assert all(scheme in str(err.value) for scheme in SIZES)
    with pytest.raises(ParameterError, match="lang must be one of 'zh', 'en', not 'fr'"):
        regions("nbs4", lang="fr")  # type: ignore[arg-type]


def test_capitals_table() -> None:
    caps = capitals()
    assert len(caps) == 31
    assert set(caps.index) == MAINLAND
    assert caps.index.name == "adcode"
    assert list(caps.columns) == ["name", "name_en", "province", "lon", "lat"]
    assert caps.loc[420000, ["name", "name_en", "province"]].tolist() == ["武汉", "Wuhan", "湖北"]
    assert caps.loc[420000, "lon"] == pytest.approx(114.31, abs=0.01)
    assert caps.loc[420000, "lat"] == pytest.approx(30.59, abs=0.01)
    assert caps.loc[650000, "name"] == "乌鲁木齐"
    assert caps.loc[110000, "name"] == "北京"  # municipalities: the city itself
    assert caps[["lon", "lat"]].dtypes.eq("float64").all()
    assert "0.01°" in caps.attrs["coordinates"]
    assert len(capitals(mainland_only=False)) == 34


def test_capitals_lie_in_their_province() -> None:
    caps = capitals(mainland_only=False)
    provs = boundaries("province", mainland_only=False).reindex(caps.index)
    points = shapely.points(caps["lon"].to_numpy(), caps["lat"].to_numpy())
    inside = shapely.contains(provs.geometry.to_numpy(), points)
    assert inside.all(), list(caps.index[~inside])


def test_capitals_lie_in_their_prefecture() -> None:
    caps = capitals()
    prefs = boundaries("prefecture")
    for adcode, cap in caps.iterrows():
        in_province = prefs[prefs["province_adcode"] == adcode]
        match = in_province[in_province["name"].str.contains(cap["name"])]
        assert len(match) == 1, (cap["name"], list(match["name"]))
        assert match["name"].iloc[0] == f"{cap['name']}市"  # 武汉市, 北京市, 乌鲁木齐市 …
        point = shapely.Point(cap["lon"], cap["lat"])
        assert match.geometry.iloc[0].contains(point), cap["name"]
