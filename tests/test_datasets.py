"""Embedded study datasets (geodata/datasets/): contents, provenance and the printed checks."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialecon import datasets
from spatialecon._files import embedded_path
from spatialecon.geodata.boundaries import provinces_table
from spatialecon.geodata.regions import regions

NAMES = ["urban_rural_integration", "finpoverty_dea", "services_value_added", "west_resilience",
         "urbanisation_quadrants"]
# name -> (rows, provinces, variables, years)
SHAPES = {
    "urban_rural_integration": (300, 30, 10, [2018]),  # 5 scores + 5 ranks
    "finpoverty_dea": (93, 31, 3, [2018]),
    "services_value_added": (62, 31, 2, [2018, 2019]),  # 宁夏 2018, the others 2019
    "west_resilience": (288, 12, 4, [2000, 2004, 2008, 2012, 2016, 2019]),
    "urbanisation_quadrants": (124, 31, 1, [2003, 2008, 2013, 2018]),
}
# Half a unit in the 4th decimal: the article's means are printed to 4 decimals. The 西部 scale
# efficiency mean is 0.92545 exactly (printed 0.9255), so allow for float error at the boundary.
PRINTED_4DP = 5e-5 + 1e-12


def wide(name: str) -> pd.DataFrame:
    """One column per variable, rows (adcode, year)."""
    return datasets.load(name).pivot(index=["adcode", "year"], columns="variable", values="value")


def by_short(df: pd.DataFrame) -> pd.DataFrame:
    short = provinces_table()["short"]
    return df.rename(index=lambda a: short[a], level="adcode")


def test_available() -> None:
    assert datasets.available() == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_tidy_structure(name: str) -> None:
    df = datasets.load(name)
    n_rows, n_prov, n_var, years = SHAPES[name]
    assert list(df.columns) == ["adcode", "year", "variable", "value"]
    assert df["adcode"].dtype == "int64"
    assert df["year"].dtype == "int64"
    assert len(df) == n_rows
    assert df["adcode"].nunique() == n_prov
    assert df["variable"].nunique() == n_var
    assert sorted(df["year"].unique()) == years
    assert not df.duplicated(["adcode", "year", "variable"]).any()
    assert set(df["adcode"]) <= set(provinces_table().index) - {710000, 810000, 820000}
    assert df["value"].notna().all()
    if df.attrs["value_type"] == "float":
        assert df["value"].dtype == "float64"
    meta = df.attrs
    assert meta["n_provinces"] == n_prov
    assert meta["years"] == years
    assert set(meta["variables"]) == set(df["variable"])
    assert meta["article"]["journal"] == "区域经济评论"
    assert (meta["article"]["year"], meta["article"]["issue"]) == (2020, 5)
    assert meta["table"].startswith("表")
    assert meta["source"]["tables"][0]["csv"].startswith("T_")
    assert meta["title"]["zh"] and meta["title"]["en"]
    assert meta["caveats"]


def test_period_means_are_dated_at_the_period_end() -> None:
    for name, period in [("urban_rural_integration", [2009, 2018]),
                         ("finpoverty_dea", [2012, 2018])]:
        meta = datasets.describe(name)
        assert meta["period"] == period
        assert meta["statistic"] == "mean over period"
        assert meta["years"] == [period[1]]
    assert datasets.describe("west_resilience")["period"] is None


def test_urban_rural_integration() -> None:
    w = by_short(wide("urban_rural_integration")).droplevel("year")
    assert "西藏" not in w.index
    assert w.loc["北京", "total"] == 2.2959
    assert w.loc["北京", "total_rank"] == 1
    assert w.loc["甘肃", "total"] == 1.3690
    dims = ["economic_drive", "transport_information", "ecological_capacity", "living_standard"]
    np.testing.assert_allclose(w[dims].sum(axis=1), w["total"], atol=1.5e-4)
    for var in ["total", *dims]:  # printed ranks agree with the scores
        rank = w[var].rank(ascending=False, method="first")
        assert (rank == w[f"{var}_rank"]).all(), var


def test_dea_national_and_regional_means() -> None:
    w = wide("finpoverty_dea").droplevel("year")
    printed = datasets.describe("finpoverty_dea")["printed_aggregates"]
    cols = ["te_crs", "pte_vrs", "se"]

    def check(label: str, members: pd.Index, expected: tuple[float, float, float]) -> None:
        got = w.loc[members, cols].mean()
        assert [printed[label][v]["2018"] for v in cols] == list(expected)
        np.testing.assert_allclose(got, expected, atol=PRINTED_4DP, rtol=0, err_msg=label)

    check("全国", w.index, (0.8356, 0.9313, 0.8855))
    sn, nbs4 = regions("south_north"), regions("nbs4")
    check("南方地区", sn.index[sn == "南方"], (0.8522, 0.9548, 0.9083))
    check("北方地区", sn.index[sn == "北方"], (0.8178, 0.9062, 0.8611))
    check("西部地区", nbs4.index[nbs4 == "西部"], (0.8996, 0.8968, 0.9255))
    # Documented misprints: the printed 东部/东北 CRS means swap a digit.
    east = w.loc[nbs4.index[nbs4 == "东部"], "te_crs"].mean()
    northeast = w.loc[nbs4.index[nbs4 == "东北"], "te_crs"].mean()
    assert round(east, 4) == 0.7621 and printed["东部地区"]["te_crs"]["2018"] == 0.7821
    assert round(northeast, 4) == 0.7856 and printed["东北地区"]["te_crs"]["2018"] == 0.7656
    # 湖南 is the only province efficient on all three.
    assert list(w.index[(w[cols] == 1).all(axis=1)]) == [430000]


def test_services_value_added() -> None:
    df = datasets.load("services_value_added")
    ningxia = df[df["adcode"] == 640000]
    assert set(ningxia["year"]) == {2018}  # 2019 bulletin not published: 2018 data
    assert set(df.loc[df["adcode"] != 640000, "year"]) == {2019}
    w = wide("services_value_added").droplevel("year")
    assert w.loc[640000, "services_va"] == 1775.07
    assert w.loc[540000, "services_share_gdp"] == 7.56  # implausible, kept as printed
    assert w.loc[440000, "services_va"] == 59773.38
    # Printed zone means that do reproduce: 沿边 = plain means of 7; 内陆 VA without 宁夏.
    zones = regions("coast_inland_border")
    printed = datasets.describe("services_value_added")["printed_aggregates"]
    border = w.loc[zones.index[zones == "沿边"]].mean()
    assert border["services_va"] == pytest.approx(7512.94, abs=0.005)
    assert border["services_share_gdp"] == pytest.approx(45.13, abs=0.005)
    inland = w.loc[zones.index[zones == "内陆"].drop(640000), "services_va"].mean()
    assert inland == pytest.approx(printed["内陆地区平均值"]["services_va"]["2019"], abs=0.005)


def test_services_zones_match_seed(seed_tables: Path) -> None:
    seed = pd.read_csv(seed_tables / "T_servicetrade_3.csv")
    seed = seed[~seed["province_or_mean"].str.endswith("平均值")]
    adcode = provinces_table().reset_index().set_index("short")["adcode"]
    zones = seed.set_index(seed["province_or_mean"].map(adcode))["zone"].str.replace("地区", "")
    assert (zones.sort_index() == regions("coast_inland_border").sort_index()).all()


def test_west_resilience_coupling_reference_values() -> None:
    # CATALOG §D.5: coupling coordination D = sqrt(C T), C = 2 sqrt(U1 U2) / (U1 + U2),
    # T = (U1 + U2) / 2, U = index / 100, reproduces the article's 表6 from these indices.
    w = by_short(wide("west_resilience"))
    u1, u2 = w["resilience_index"] / 100, w["hq_index"] / 100
    d = np.sqrt(2 * np.sqrt(u1 * u2) / (u1 + u2) * (u1 + u2) / 2)
    assert d.loc[("内蒙古", 2000)] == pytest.approx(0.280, abs=0.0005)
    assert d.loc[("重庆", 2019)] == pytest.approx(0.574, abs=0.0005)
    nbs4 = regions("nbs4")
    west = set(provinces_table()["short"][nbs4.index[nbs4 == "西部"]])
    assert set(w.index.get_level_values("adcode")) == west


def test_west_means_match_seed(seed_tables: Path) -> None:
    w = wide("west_resilience")
    printed = datasets.describe("west_resilience")["printed_aggregates"]
    for file, var in [("T_resilience_4.csv", "resilience_index"),
                      ("T_resilience_5.csv", "hq_index")]:
        seed = pd.read_csv(seed_tables / file)
        for label in ["中国", "西部地区均值"]:
            rows = seed[seed["region"] == label].set_index("year")[var]
            assert {str(y): v for y, v in rows.items()} == printed[label][var]
        seed_mean = seed[seed["region"] == "西部地区均值"].set_index("year")[var]
        ours = w[var].groupby(level="year").mean()
        np.testing.assert_allclose(ours.loc[seed_mean.index], seed_mean, atol=0.01, err_msg=var)


def test_urbanisation_quadrants() -> None:
    df = datasets.load("urbanisation_quadrants")
    assert pd.api.types.is_string_dtype(df["value"])
    assert set(df["value"]) == {"HH", "LH", "LL", "HL"}
    assert set(df.attrs["categories"]) == {"HH", "LH", "LL", "HL"}
    short = provinces_table()["short"]
    q2018 = df[df["year"] == 2018].assign(p=lambda d: d["adcode"].map(short))
    members = q2018.groupby("value")["p"].apply(set)
    # CATALOG §D.2
    assert members["HH"] == {"天津", "上海", "江苏", "浙江", "安徽", "福建", "山东"}
    assert members["HL"] == {"北京", "湖北", "广东"}
    assert members["LH"] == {"河北", "内蒙古", "辽宁", "吉林", "黑龙江", "江西"}
    assert len(members["LL"]) == 15 and "海南" in members["LL"]
    hainan = df[df["adcode"] == 460000].set_index("year")["value"]
    assert hainan[2003] == "HL"


def test_describe_returns_a_copy() -> None:
    meta = datasets.describe("finpoverty_dea")
    meta["caveats"].clear()
    assert datasets.describe("finpoverty_dea")["caveats"]
    df = datasets.load("finpoverty_dea")
    assert df.attrs == datasets.describe("finpoverty_dea")


def test_unknown_dataset() -> None:
    with pytest.raises(ValueError, match=r"unknown dataset 'finpoverty'.*finpoverty_dea") as err:
        datasets.load("finpoverty")
    message = str(err.value)
    assert all(name in message for name in NAMES)
    assert "Did you mean 'finpoverty_dea'?" in message
    with pytest.raises(ValueError, match="unknown dataset 'zzz'; available: ") as err:
        datasets.describe("zzz")
    assert "Did you mean" not in str(err.value)


def test_build_script_reproduces_embedded_files(seed_tables: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_datasets", embedded_path(
        "build_datasets.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(seed_tables, tmp_path)
    embedded = embedded_path("datasets")
    built = sorted(p.name for p in tmp_path.iterdir())
    assert built == sorted(p.name for p in embedded.iterdir())
    for name in built:
        assert (tmp_path / name).read_bytes() == (embedded / name).read_bytes(), name
