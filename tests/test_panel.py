"""read_panel: every format, form and error path; join_boundaries reports what it cannot map."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from spatialecon.geodata import UnitMatchError
from spatialecon.panel import PanelError, join_boundaries, read_panel

LONG = pd.DataFrame(
    {
        "地区": ["北京市", "北京市", "天津", "天津", "内蒙古自治区", "内蒙古自治区"],
        "年份": [2003, 2004, 2003, 2004, "2003年", "2004年"],
        "GDP": ["3663.1", "4283.3", "2447.7", "2931.9", "2150.4", "2712.1"],
        "人口": ["1456", "1493", "1011", "1024", "2380", "2384"],
    }
)
EXPECTED_GDP = {(110000, 2003): 3663.1, (120000, 2004): 2931.9, (150000, 2004): 2712.1}


def _check(panel: pd.DataFrame) -> None:
    assert list(panel.columns) == ["adcode", "year", "variable", "value"]
    assert panel["adcode"].dtype == np.int64 and panel["year"].dtype == np.int64
    assert len(panel) == 12 and set(panel["variable"]) == {"GDP", "人口"}
    gdp = panel[panel["variable"] == "GDP"].set_index(["adcode", "year"])["value"]
    for key, value in EXPECTED_GDP.items():
        assert gdp[key] == pytest.approx(value)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_detected(tmp_path, encoding):
    path = tmp_path / "panel.csv"
    LONG.to_csv(path, index=False, encoding=encoding)
    panel = read_panel(path, unit="地区", year="年份")
    _check(panel)
    expected = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gb18030",
                "gb18030": "gb18030"}[encoding]
    assert panel.attrs["encoding"] == expected
    assert panel.attrs["form"] == "long"


def test_xlsx_and_parquet(tmp_path):
    xlsx = tmp_path / "panel.xlsx"
    with pd.ExcelWriter(xlsx) as writer:
        pd.DataFrame({"note": ["cover sheet"]}).to_excel(writer, sheet_name="说明", index=False)
        LONG.to_excel(writer, sheet_name="数据", index=False)
    _check(read_panel(xlsx, unit="地区", year="年份", sheet="数据"))
    parquet = tmp_path / "panel.parquet"
    LONG.astype(str).to_parquet(parquet)
    _check(read_panel(parquet, unit="地区", year="年份"))


def test_wide_form_column_styles():
    wide = pd.DataFrame({"province": ["Beijing", "Tianjin", "内蒙"],
                         "GDP_2003": [3663.1, 2447.7, 2150.4],
                         "GDP 2004年": [4283.3, 2931.9, 2712.1],
                         "人口2003": [1456, 1011, 2380], "人口-2004": [1493, 1024, 2384]})
    panel = read_panel(wide, unit="province")
    _check(panel)
    assert panel.attrs["form"] == "wide"
    years_only = read_panel(pd.DataFrame({"p": ["北京"], "2003": [1.0], "2004年": [2.0]}), unit="p")
    assert years_only["variable"].unique().tolist() == ["value"]
    assert years_only["year"].tolist() == [2003, 2004]


def test_tidy_input_passes_through_and_codes_are_units():
    tidy = pd.DataFrame({"code": ["110000", 120000], "year": [2003, 2003],
                         "variable": ["GDP", "GDP"], "value": [1.0, 2.0]})
    panel = read_panel(tidy, unit="code", year="year")
    assert panel.attrs["form"] == "tidy" and panel["adcode"].tolist() == [110000, 120000]


def test_missing_markers_become_nan_and_thousands_separators_are_read():
    table = pd.DataFrame({"p": ["北京", "天津", "河北", "山西"], "year": [2003] * 4,
                          "GDP": ["1,234.5", "—", "", "NA"]})
    panel = read_panel(table, unit="p", year="year")
    assert panel["value"].iloc[0] == 1234.5 and panel["value"].isna().sum() == 3
    assert panel.attrs["missing_values"] == 3
    assert len(read_panel(table, unit="p", year="year", dropna=True)) == 1


def test_text_cells_are_errors_that_name_rows():
    table = LONG.copy()
    table.loc[3, "GDP"] = "约2900"
    table.loc[5, "人口"] = "n.a.x"
    with pytest.raises(PanelError) as err:
        read_panel(table, unit="地区", year="年份")
    message = str(err.value)
    assert "2 cell(s) are text" in message
    # each cell named by its unit (short name and GB/T 2260 code), year, variable and row
    assert "天津 (120000), 2004, GDP: '约2900' in row 5" in message
    assert "内蒙古 (150000), 2004, 人口: 'n.a.x' in row 7" in message


def test_duplicated_unit_year_rows_are_errors_that_name_rows():
    table = pd.concat([LONG, LONG.iloc[[0]].assign(地区="北京")], ignore_index=True)
    with pytest.raises(PanelError) as err:
        read_panel(table, unit="地区", year="年份")
    message = str(err.value)
    assert "2 unit-year-variable combination(s)" in message  # GDP and 人口 of 北京 2003
    assert "北京 (110000), 2003, GDP: rows 2 and 8" in message


def test_duplicated_row_in_a_csv_names_the_unit_by_name_and_code(tmp_path):
    """A yearbook CSV that repeats 河北's 2018 row (spreadsheet rows 4 and 10, header = 1)."""
    lines = ["地区,年份,GDP,人口",
             "北京市,2018,33105.97,2154", "天津市,2018,13362.92,1560",
             "河北省,2018,36010.27,7556", "山西省,2018,16818.11,3718",
             "北京市,2019,35371.28,2154", "天津市,2019,14104.28,1562",
             "河北省,2019,35104.52,7592", "山西省,2019,17026.68,3729",
             "河北,2018,36010.27,7556"]
    path = tmp_path / "gdp.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(PanelError) as err:
        read_panel(path, unit="地区", year="年份")
    message = str(err.value)
    assert "河北 (130000), 2018, GDP: rows 4 and 10" in message
    assert "河北 (130000), 2018, 人口: rows 4 and 10" in message
    assert "2 unit-year-variable combination(s)" in message
    # counties go by their full names, as short ones repeat (朝阳区, 朝阳县)
    counties = pd.DataFrame({"县": ["海淀区", "朝阳县", "海淀区"], "年": [2018] * 3,
                             "人口": [1.0, 2.0, 3.0]})
    with pytest.raises(PanelError, match=r"海淀区 \(110108\), 2018, 人口: rows 2 and 4"):
        read_panel(counties, unit="县", year="年", level="county")


def test_unknown_units_are_listed_with_rows_and_candidates():
    table = LONG.copy()
    table.loc[[0, 1], "地区"] = "北就"
    table.loc[len(table)] = ["全国", 2003, "1", "2"]
    with pytest.raises(UnitMatchError) as err:
        read_panel(table, unit="地区", year="年份")
    message = str(err.value)
    assert "'北就' in rows 2 and 3" in message and "'全国' in rows 8" in message
    assert "北京市 (110000)" in message and "skip_units=" in message
    fixed = read_panel(table.assign(地区=table["地区"].replace("北就", "北京")), unit="地区",
                       year="年份", skip_units=["全国"])
    _check(fixed)


def test_repeated_county_names_resolved_by_a_within_column():
    table = pd.DataFrame({"省": ["北京", "吉林", "辽宁"], "县": ["朝阳区", "朝阳区", "朝阳县"],
                          "年": [2018] * 3, "人口": [347.3, 66.0, 56.2]})
    with pytest.raises(UnitMatchError, match="within="):
        read_panel(table, unit="县", year="年", level="county", variables=["人口"])
    panel = read_panel(table, unit="县", year="年", level="county", within="省")
    assert panel["adcode"].tolist() == [110105, 211321, 220104]


def test_unexplained_columns_and_bad_years_are_errors():
    wide = pd.DataFrame({"p": ["北京"], "GDP_2003": [1.0], "备注": ["x"]})
    with pytest.raises(PanelError, match="备注"):
        read_panel(wide, unit="p")
    assert len(read_panel(wide, unit="p", exclude=["备注"])) == 1
    with pytest.raises(PanelError, match="not years in rows 4:"):
        read_panel(LONG.assign(年份=[2003, 2004, "x", 2004, 2003, 2004]), unit="地区", year="年份")
    with pytest.raises(PanelError, match="no column 'region'"):
        read_panel(LONG, unit="region", year="年份")
    with pytest.raises(PanelError, match="no year in any column"):
        read_panel(pd.DataFrame({"p": ["北京"], "GDP": [1.0]}), unit="p")


def test_join_reports_units_without_data():
    panel = read_panel(LONG, unit="地区", year="年份")
    with pytest.warns(UserWarning, match="28 unit\\(s\\) have no data") as record:
        gdf = join_boundaries(panel, year=2004)
    assert "山西省 (140000)" in str(record[0].message)
    assert len(gdf) == 31 and gdf.loc[110000, "GDP"] == pytest.approx(4283.3)
    assert len(gdf.attrs["units_without_data"]) == 28
    with pytest.raises(PanelError, match="2 years"):
        join_boundaries(panel)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        every_year = join_boundaries(panel, year="all", variables=["GDP"])
    assert every_year.loc[[110000]].shape[0] == 2


def test_join_reports_units_not_on_the_map():
    panel = read_panel(pd.DataFrame({"p": ["香港", "北京"], "v_2019": [1.0, 2.0]}), unit="p")
    with pytest.warns(UserWarning) as record:
        gdf = join_boundaries(panel)
    assert any("not in the boundaries (province): 香港 (810000)" in str(w.message)
               for w in record)
    assert gdf.attrs["units_not_on_map"] == [810000]


def test_join_latest_takes_each_units_most_recent_year():
    table = pd.DataFrame({"p": ["北京", "天津", "宁夏", "北京"], "year": [2019, 2019, 2018, 2018],
                          "va": [29542.5, 8949.87, 1850.0, 28000.0]})
    panel = read_panel(table, unit="p", year="year")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf = join_boundaries(panel, year="latest")
    assert gdf.loc[[110000, 120000, 640000], "va"].tolist() == [29542.5, 8949.87, 1850.0]
    assert gdf.attrs["years"] == {2018: 1, 2019: 2}


def test_unit_labels_for_messages():
    from spatialecon._labels import format_units, unit_label, unit_names

    provinces = unit_names("province")
    assert unit_label(130000, provinces) == "河北 (130000)"  # GB/T 2260: 河北省 130000
    assert unit_label(999999, provinces) == "999999" and unit_label(130000) == "130000"
    assert unit_names("county")[110108] == "海淀区"
    assert (format_units([(130000, 2018), (140000, 2019)], names=provinces)
            == "河北 (130000, 2018), 山西 (140000, 2019)")
    assert format_units([(110000, 2018)]) == "110000 (2018)"
    assert format_units(list(range(10)), limit=3) == "0, 1, 2 … (10 in all)"
