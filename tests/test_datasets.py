"""Embedded study datasets (geodata/datasets/): contents, provenance and the printed checks."""

from __future__ import annotations

import hashlib
import importlib.util
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialecon import datasets
from spatialecon._files import embedded_path
from spatialecon.geodata.boundaries import provinces_table
from spatialecon.geodata.regions import regions
from spatialecon.indices import coupling_grade, coupling_grades

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


# --- the articles' printed tables (datasets.printed) ---------------------------------------

PRINTED = [
    "urbanisation_indicators", "urbanisation_theil", "urbanisation_moran",
    "urbanisation_theil_dimensions", "urbanisation_factor_detector", "urbanisation_interactions",
    "urban_rural_weights", "urban_rural_national", "urban_rural_regions", "urban_rural_stages",
    "resilience_weights", "resilience_coupling_grades", "resilience_coupling",
    "resilience_unit_root", "resilience_cointegration", "resilience_granger", "resilience_lsdv",
    "resilience_regressions", "finpoverty_indicators", "finpoverty_regional_means",
]
# name -> (an author as printed, table number, seed CSV, rows, layout)
PRINTED_SOURCES = {
    "urbanisation_indicators": ("赵玉", 1, "T_urbanquality_1.csv", 26, "wide"),
    "urbanisation_theil": ("赵玉", 2, "T_urbanquality_2.csv", 144, "long"),
    "urbanisation_moran": ("赵玉", 3, "T_urbanquality_3.csv", 12, "wide"),
    "urbanisation_theil_dimensions": ("赵玉", 5, "T_urbanquality_5.csv", 192, "long"),
    "urbanisation_factor_detector": ("赵玉", 6, "T_urbanquality_6.csv", 24, "long"),
    "urbanisation_interactions": ("赵玉", 7, "T_urbanquality_7.csv", 16, "long"),
    "urban_rural_weights": ("Liu Rongzeng", 1, "T_urbanrural_1.csv", 21, "wide"),
    "urban_rural_national": ("Liu Rongzeng", 2, "T_urbanrural_2.csv", 50, "long"),
    "urban_rural_regions": ("Liu Rongzeng", 3, "T_urbanrural_3.csv", 20, "long"),
    "urban_rural_stages": ("Liu Rongzeng", 5, "T_urbanrural_5.csv", 90, "long"),
    "resilience_weights": ("孙慧", 1, "T_resilience_1.csv", 28, "wide"),
    "resilience_coupling_grades": ("孙慧", 2, "T_resilience_2.csv", 10, "wide"),
    "resilience_coupling": ("孙慧", 6, "T_resilience_6.csv", 150, "long"),
    "resilience_unit_root": ("孙慧", 7, "T_resilience_7.csv", 16, "long"),
    "resilience_cointegration": ("孙慧", 8, "T_resilience_8.csv", 9, "long"),
    "resilience_granger": ("孙慧", 9, "T_resilience_9.csv", 8, "long"),
    "resilience_lsdv": ("孙慧", 10, "T_resilience_10.csv", 2, "wide"),
    "resilience_regressions": ("孙慧", 11, "T_resilience_11.csv", 8, "wide"),
    "finpoverty_indicators": ("何振立", 1, "T_finpoverty_1.csv", 6, "wide"),
    "finpoverty_regional_means": ("何振立", 2, "T_finpoverty_2.csv", 7, "wide"),
}
PRINTED_META = {"file", "title", "article", "table", "table_number", "source", "layout",
                "layout_note", "key", "n_rows", "columns", "caveats", "identities"}
PANDAS_DTYPES = {"float": "float64", "int": "int64", "Int64": "Int64"}


def _normal_sf(z: pd.Series) -> pd.Series:
    """Upper tail of the standard normal."""
    return 0.5 * z.map(lambda v: math.erfc(v / math.sqrt(2)))


def test_printed_tables_listed() -> None:
    assert datasets.printed_tables() == PRINTED
    assert set(PRINTED_SOURCES) == set(PRINTED)
    assert not set(PRINTED) & set(datasets.available())


@pytest.mark.parametrize("name", PRINTED)
def test_printed_structure_and_metadata(name: str) -> None:
    df = datasets.printed(name)
    meta = df.attrs
    author, number, csv_name, n_rows, layout = PRINTED_SOURCES[name]
    assert set(meta) >= PRINTED_META
    assert meta["file"] == f"printed_{name}.csv"
    assert len(df) == meta["n_rows"] == n_rows
    assert meta["layout"] == layout and meta["layout_note"]
    assert list(df.columns) == list(meta["columns"])
    assert not df.duplicated(meta["key"]).any()
    assert meta["title"]["zh"] and meta["title"]["en"]
    article = meta["article"]
    assert (article["journal"], article["year"], article["issue"]) == ("区域经济评论", 2020, 5)
    assert any(author in a for a in article["authors"])
    assert meta["table_number"] == number
    assert meta["table"].startswith(f"表{number} ")
    [table] = meta["source"]["tables"]
    assert table["csv"] == csv_name
    assert len(table["sha256"]) == 64 and int(table["sha256"], 16) >= 0
    assert re.fullmatch(r"\d+-\d+", table["source_lines"])
    assert meta["source"]["seed_index_note"]
    assert meta["caveats"] and all(isinstance(c, str) and c for c in meta["caveats"])
    assert isinstance(meta["identities"], list)
    for col, spec in meta["columns"].items():
        assert spec["description"]
        assert spec["origin"] in {"printed", "text", "inferred", "derived"}
        expected = PANDAS_DTYPES.get(spec["dtype"])
        if expected:
            assert str(df[col].dtype) == expected, col
        else:
            assert spec["dtype"] == "str" and pd.api.types.is_string_dtype(df[col]), col
            assert df[col].notna().all(), col  # nothing printed is "", never NaN
    for label, group in meta.get("groups", {}).items():
        if group["scheme"] is not None:
            assert group["region"] in set(regions(group["scheme"])), label
    if "adcode" in df:
        provinces = df if "level" not in df else df[df["level"] == "province"]
        assert set(provinces["adcode"]) <= set(provinces_table().index) - {710000, 810000,
                                                                           820000}
        assert provinces["adcode"].notna().all()


@pytest.mark.parametrize("name", PRINTED)
def test_printed_text_mode_keeps_the_printed_cells(name: str) -> None:
    text = datasets.printed(name, text=True)
    parsed = datasets.printed(name)
    assert text.shape == parsed.shape
    assert all(pd.api.types.is_string_dtype(text[c]) for c in text)
    assert text.notna().all().all()
    for col, spec in text.attrs["columns"].items():
        if spec["dtype"] in PANDAS_DTYPES:
            as_number = pd.to_numeric(text[col].mask(text[col] == ""))
            np.testing.assert_array_equal(as_number.to_numpy(float),
                                          parsed[col].astype("float64").to_numpy(), col)


def test_printed_text_precision() -> None:
    coupling = datasets.printed("resilience_coupling", text=True).set_index(["unit", "year"])
    assert coupling.loc[("广西", "2000"), "coupling_d"] == "0.3"  # printed with one decimal
    assert coupling.loc[("中国", "2004"), "coupling_d"] == "0.40"
    indicators = datasets.printed("urbanisation_indicators", text=True)
    assert indicators.loc[0, "dimension_weight"] == "0.250"
    cointegration = datasets.printed("resilience_cointegration", text=True)
    assert "-3.436237" in set(cointegration["statistic"])


@pytest.mark.parametrize("name", PRINTED)
def test_printed_cells_equal_the_seed(name: str, seed_tables: Path) -> None:
    """Every column copied from the seed holds the seed's text, cell for cell, row for row."""
    meta = datasets.printed(name).attrs
    [table] = meta["source"]["tables"]
    path = seed_tables / table["csv"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == table["sha256"]
    seed = pd.read_csv(path, dtype=str, keep_default_na=False)
    ours = datasets.printed(name, text=True)
    if name == "resilience_regressions":  # pivoted to the printed layout: melt it back
        cells = {(m, t): (e, s, v) for m, t, e, s, v in seed[
            ["model", "term", "estimate", "signif_stars", "t_stat"]].itertuples(index=False)}
        for row in ours.to_dict("records"):  # column names such as "2SLS": not attributes
            for model in ["OLS", "2SLS", "FE", "GMM"]:
                got = (row[model], row[f"{model}_stars"], row[f"{model}_t"])
                assert got == cells.get((model, row["term"]), ("", "", "")), (model, row)
        assert sum(ours[m].ne("").sum() for m in ["OLS", "2SLS", "FE", "GMM"]) == len(seed)
        return
    for col, value in meta.get("seed_filter", {}).items():
        seed = seed[seed[col] == value]
    assert len(seed) == len(ours)
    copied = {col: spec["seed_column"] for col, spec in meta["columns"].items()
              if "seed_column" in spec}
    assert copied
    for col, seed_col in copied.items():
        assert ours[col].tolist() == seed[seed_col].tolist(), col


def test_urbanisation_indicators() -> None:
    df = datasets.printed("urbanisation_indicators")
    sizes = df.groupby("dimension", sort=False).size()
    assert sizes.to_dict() == {"经济发展": 7, "科技支撑": 6, "生态环保": 7, "协调共享": 6}
    dims = df.drop_duplicates("dimension").set_index("dimension")["dimension_weight"]
    assert dims.to_dict() == {"经济发展": 0.250, "科技支撑": 0.270, "生态环保": 0.238,
                              "协调共享": 0.242}
    assert dims.sum() == pytest.approx(1.0, abs=1e-12)
    within = df.groupby("dimension")["weight_within_dimension"].sum()
    np.testing.assert_allclose(within, 1.0, atol=0.001 + 1e-12)
    assert set(df["direction"]) == {"正向", "负向"}
    row = df.set_index("indicator_no").loc[12]
    assert (row["indicator"], row["weight_within_dimension"]) == ("城镇人均专利申请授权数", 0.188)
    assert df.set_index("indicator_no").loc[2, "unit"] == "—"


def test_urbanisation_theil_identities() -> None:
    df = datasets.printed("urbanisation_theil")
    assert sorted(df["year"].unique()) == list(range(2003, 2019))
    w = df.pivot(index="year", columns=["group", "statistic"], values="value")
    within, between = w[("区域内", "contribution_pct")], w[("区域间", "contribution_pct")]
    np.testing.assert_allclose(within + between, 100, atol=1e-9)
    belts = ["东部地区", "中部地区", "西部地区"]
    regional = sum(w[(b, "contribution_pct")] for b in belts)
    np.testing.assert_allclose(regional, within, atol=0.1 + 1e-9)
    # implied within-region weights w_r = contribution_r * T / T_r sum to 1, except 2014
    weights = sum(w[(b, "contribution_pct")] / 100 * w[("总体", "Theil")] / w[(b, "Theil")]
                  for b in belts)
    assert weights.drop(2014).sub(1).abs().max() < 0.006
    assert weights[2014] == pytest.approx(1.039, abs=0.001)
    assert any("2014" in c for c in df.attrs["caveats"])
    assert (w.loc[2003, ("总体", "Theil")], w.loc[2018, ("总体", "Theil")]) == (0.282, 0.251)
    assert df.attrs["groups"]["东部地区"] == {"scheme": "belts3", "region": "东部"}


def test_urbanisation_moran_identities() -> None:
    df = datasets.printed("urbanisation_moran")
    assert set(range(2003, 2019)) - set(df["year"]) == {2007, 2008, 2013, 2014}
    z = (df["moran_i"] + 1 / 30) / df["se"]
    assert (z - df["z"]).abs().max() < 0.04
    assert (_normal_sf(df["z"]) - df["p"]).abs().max() < 0.0015
    first = df.iloc[0]
    assert first.tolist() == [2003, 0.332, 0.061, 5.995, 0.0]
    assert df.set_index("year").loc[2017, "p"] == 0.098


def test_urbanisation_theil_dimensions_reproduce_the_text() -> None:
    df = datasets.printed("urbanisation_theil_dimensions")
    w = df.pivot(index="year", columns=["region", "dimension"], values="theil")
    changes = df.attrs["text_statistics"]["change_pct_2003_2018"]
    for region, by_dim in changes.items():
        for dim, printed_pct in by_dim.items():
            ours = (w.loc[2018, (region, dim)] / w.loc[2003, (region, dim)] - 1) * 100
            assert ours == pytest.approx(float(printed_pct), abs=0.05), (region, dim)
    assert w.loc[2003, ("西部地区", "生态环保")] == 0.436


def test_urbanisation_geodetector_tables() -> None:
    factors = datasets.printed("urbanisation_factor_detector")
    q = factors.pivot(index="region", columns="factor", values="q")
    p = factors.pivot(index="region", columns="factor", values="p")
    assert q.idxmax(axis=1).to_dict() == {"全国": "X6", "东部地区": "X3", "中部地区": "X1",
                                          "西部地区": "X6"}
    assert (q.loc["全国", "X6"], p.loc["西部地区", "X6"]) == (0.380, 0.094)
    assert set(factors.attrs["factors"]) - {"about"} == set(q.columns)
    inter = datasets.printed("urbanisation_interactions")
    assert inter.groupby("region").size().to_dict() == {r: 4 for r in q.index}
    for row in inter.itertuples():
        assert row.interaction == f"{row.factor_a}∩{row.factor_b}"
        assert row.q > max(q.loc[row.region, row.factor_a], q.loc[row.region, row.factor_b])
    for _, g in inter.groupby("region"):
        assert g.sort_values("rank")["q"].is_monotonic_decreasing
    top = inter[inter["rank"] == 1].set_index("region")["q"]
    assert top.to_dict() == {"全国": 0.567, "东部地区": 0.757, "中部地区": 0.712,
                             "西部地区": 0.234}


def test_urban_rural_weights() -> None:
    df = datasets.printed("urban_rural_weights")
    assert df["weight"].sum() == pytest.approx(1.0, abs=1e-9)
    sums = df.groupby("dimension", sort=False)["weight"].sum().round(4)
    assert sums.tolist() == [0.3763, 0.1421, 0.1639, 0.3177]
    # the dimension keys of the provincial dataset (表4)
    assert set(df["variable"]) == {"economic_drive", "transport_information",
                                   "ecological_capacity", "living_standard"}
    assert set(df["variable"]) < set(datasets.describe("urban_rural_integration")["variables"])
    assert df.attrs["columns"]["subdimension"]["origin"] == "inferred"
    assert df.set_index("indicator_no").loc[1, ["direction", "weight"]].tolist() == ["负向",
                                                                                     0.0714]


def test_urban_rural_national_and_regions() -> None:
    national = datasets.printed("urban_rural_national").pivot(index="year", columns="variable",
                                                              values="score")
    dims = ["economic_drive", "transport_information", "ecological_capacity",
            "living_standard"]
    np.testing.assert_allclose(national[dims].sum(axis=1), national["total"], atol=2e-4)
    assert (national.loc[2009, "total"], national.loc[2018, "total"]) == (1.5783, 2.2733)
    regions_df = datasets.printed("urban_rural_regions")
    means = regions_df.pivot(index="region", columns="variable", values="mean_score")
    np.testing.assert_allclose(means[dims].sum(axis=1), means["total"], atol=2e-4)
    # against the provincial means of 表4 (dataset urban_rural_integration)
    provincial = wide("urban_rural_integration").droplevel("year")
    scheme = regions("liu2020_4region")
    ours = provincial[dims].groupby(scheme.reindex(provincial.index)).mean()
    first_three = dims[:3]
    np.testing.assert_allclose(ours.loc[means.index, first_three], means[first_three],
                               atol=1e-4 + 1e-9)
    living = ours["living_standard"] - means["living_standard"]
    assert abs(living["东北"]) <= 1e-4 + 1e-9
    assert living.drop("东北").abs().min() > 0.001  # documented: 西部, 中部, 东部 differ
    assert round(ours.loc["西部", "living_standard"], 4) == 0.2947
    # printed ranks agree with the printed means except 居民生活水平 (documented)
    ranks = regions_df.pivot(index="region", columns="variable", values="rank")
    by_mean = means.rank(ascending=False).astype(int)
    assert (ranks.drop(columns="living_standard") == by_mean.drop(
        columns="living_standard")).all().all()
    assert ranks.loc[["东部", "东北"], "living_standard"].tolist() == [1, 2]
    assert by_mean.loc[["东部", "东北"], "living_standard"].tolist() == [2, 1]


def test_urban_rural_stages() -> None:
    df = datasets.printed("urban_rural_stages")
    assert sorted(df["year"].unique()) == [2009, 2013, 2018]
    assert 540000 not in set(df["adcode"])
    for _, g in df.groupby("year"):
        assert len(g) == 30 and g["adcode"].is_unique
    assert set(df["adcode"]) == set(regions("liu2020_4region").index)
    counts = df.groupby(["year", "stage_key"]).size().unstack()[["high", "upper_middle",
                                                                 "middle", "low"]]
    assert counts.loc[2009].tolist() == [2, 2, 5, 21]
    assert counts.loc[2013].tolist() == [5, 3, 14, 8]
    assert counts.loc[2018].tolist() == [8, 12, 9, 1]
    cats = df.attrs["categories"]
    assert all(cats[s]["key"] == k for s, k in zip(df["stage"], df["stage_key"], strict=True))
    gansu = df[(df["adcode"] == 620000) & (df["year"] == 2018)]
    assert gansu["stage"].tolist() == ["低水平阶段（<1.5）"]


def test_resilience_weights_and_grades() -> None:
    weights = datasets.printed("resilience_weights")
    np.testing.assert_allclose(weights.groupby("system")["weight"].sum(), 1.0, atol=1e-9)
    assert weights.groupby("system", sort=False).size().tolist() == [13, 15]
    grades = datasets.printed("resilience_coupling_grades")
    assert grades["d_lower"].tolist() == pytest.approx([i / 10 for i in range(10)])
    assert grades["d_upper"].tolist() == pytest.approx([i / 10 for i in range(1, 11)])
    corrected = coupling_grades()
    assert grades["stage"].tolist() == corrected["stage_zh"].tolist()
    assert grades.loc[0, "type"] == "极度协调型"  # printed typo, kept
    assert corrected["type_zh"].iloc[0] == "极度失调型"
    assert grades["type"].tolist()[1:] == corrected["type_zh"].tolist()[1:]


def test_resilience_coupling_identities() -> None:
    df = datasets.printed("resilience_coupling")
    assert df.groupby("level")["unit"].nunique().to_dict() == {
        "national": 1, "province": 12, "west_gap": 1, "west_mean": 1}
    assert sorted(df["year"].unique()) == [2000, 2002, 2004, 2006, 2008, 2010, 2012, 2014,
                                           2016, 2019]
    nbs4 = regions("nbs4")
    provinces = df[df["level"] == "province"]
    assert set(provinces["adcode"]) == set(nbs4.index[nbs4 == "西部"])
    assert df.loc[df["level"] != "province", "adcode"].isna().all()
    d = df[df["level"] != "province"].pivot(index="year", columns="level", values="coupling_d")
    mean12 = provinces.groupby("year")["coupling_d"].mean()
    assert (mean12 - d["west_mean"]).abs().max() <= 0.005 + 1e-9
    assert (d["national"] - d["west_mean"] - d["west_gap"]).abs().max() <= 0.005 + 1e-9
    # recompute D from the printed indices (表4/表5, dataset west_resilience)
    idx = wide("west_resilience")
    u1, u2 = idx["resilience_index"] / 100, idx["hq_index"] / 100
    recomputed = np.sqrt(2 * np.sqrt(u1 * u2) / (u1 + u2) * (u1 + u2) / 2)
    printed_d = provinces.set_index(["adcode", "year"])["coupling_d"]
    printed_d.index = printed_d.index.set_levels(printed_d.index.levels[0].astype("int64"),
                                                 level=0)
    both = pd.concat({"printed": printed_d, "ours": recomputed}, axis=1, join="inner")
    assert len(both) == 72
    off = (both["printed"] - both["ours"]).abs() > 0.005 + 1e-9
    assert list(both.index[off]) == [(500000, 2016)]  # 重庆 2016: printed 0.66, misprint
    assert both.loc[(500000, 2016), "ours"] == pytest.approx(0.524, abs=0.0005)
    # the west-mean stage and type are the class of its D (表2 as corrected)
    west = df[df["level"] == "west_mean"].set_index("year")
    graded = coupling_grade(west["coupling_d"])
    assert (graded["stage"] == west["stage"]).all()
    assert (graded["type"] == west["type"]).all()
    assert (df.loc[df["level"] != "west_mean", ["stage", "type"]] == "").all().all()


def test_resilience_tests_as_printed() -> None:
    granger = datasets.printed("resilience_granger")
    # p is the two-sided standard-normal p of the statistic (as for the DH Z-bar)
    two_sided = (2 * _normal_sf(granger["statistic"].abs())).round(3)
    np.testing.assert_allclose(two_sided, granger["p"], atol=1e-9)
    assert set(zip(granger["cause"], granger["effect"], strict=True)) == {("ERI", "HQE"),
                                                                          ("HQE", "ERI")}
    assert granger.set_index(["cause", "lag"]).loc[("ERI", 1), "statistic"] == 10.067
    unit_root = datasets.printed("resilience_unit_root").set_index(["series", "test"])
    assert unit_root.loc[("X", "LLC"), ["statistic", "p"]].tolist() == [5.02, 1.0]
    assert unit_root.loc[("DY", "LLC"), "statistic"] == -10.374
    assert set(unit_root["variable"]) == {"LNERI", "LNHQE"}
    coint = datasets.printed("resilience_cointegration").set_index(["test", "specification"])
    assert coint.loc[("Kao ADF", ""), ["statistic", "p"]].tolist() == [2.605, 0.005]
    assert coint.loc[("Group PP", "常数项与趋势项"), "p"] == 0.02


def test_resilience_regressions_as_printed() -> None:
    lsdv = datasets.printed("resilience_lsdv").set_index("dependent")
    assert lsdv.loc["LNHQE", ["coefficient", "statistic", "p", "r_squared"]].tolist() == [
        1.479, 8.479, 0.0, 0.955]
    assert lsdv.loc["LNERI", "regressor"] == "LNHQE"
    reg = datasets.printed("resilience_regressions").set_index("term")
    assert list(reg.index) == ["LNERI", "LNPD", "LNRE", "LNBF", "LNGC", "C", "R2", "F"]
    assert (reg.loc["LNERI", "FE"], reg.loc["LNERI", "FE_stars"], reg.loc["LNERI", "FE_t"]) == (
        0.929, "***", 8.06)
    assert reg.loc["LNPD", "OLS_stars"] == ""
    assert np.isnan(reg.loc["F", "GMM"]) and reg.loc["R2", "GMM"] == 0.89
    assert reg.loc[["R2", "F"], ["OLS_t", "2SLS_t", "FE_t", "GMM_t"]].isna().all().all()
    assert reg.attrs["text_statistics"]["hausman"] == "9.78"


def test_finpoverty_printed_tables() -> None:
    indicators = datasets.printed("finpoverty_indicators")
    assert indicators["role"].value_counts().to_dict() == {"input": 3, "output": 3}
    means = datasets.printed("finpoverty_regional_means").set_index("group")
    cols = ["te_crs", "pte_vrs", "se"]
    # the same printed rows as the finpoverty_dea dataset's printed_aggregates
    aggregates = datasets.describe("finpoverty_dea")["printed_aggregates"]
    assert {g: [aggregates[g][c]["2018"] for c in cols] for g in aggregates} == {
        g: means.loc[g, cols].tolist() for g in means.index}
    provincial = wide("finpoverty_dea").droplevel("year")
    for label, group in means.attrs["groups"].items():
        if group["scheme"] is None:
            members = provincial.index
        else:
            scheme = regions(group["scheme"])
            members = scheme.index[scheme == group["region"]]
        ours = provincial.loc[members, cols].mean()
        if label in ("东部地区", "东北地区", "中部地区"):  # documented misprints
            continue
        np.testing.assert_allclose(ours, means.loc[label, cols], atol=PRINTED_4DP, err_msg=label)


def test_printed_unknown_name_and_copies() -> None:
    with pytest.raises(ValueError, match=r"unknown printed table 'urbanisation_morans'") as err:
        datasets.printed("urbanisation_morans")
    assert "Did you mean 'urbanisation_moran'?" in str(err.value)
    assert all(name in str(err.value) for name in PRINTED)
    df = datasets.printed("urbanisation_moran")
    df.attrs["caveats"].clear()
    assert datasets.printed("urbanisation_moran").attrs["caveats"]
