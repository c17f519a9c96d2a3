"""Build the embedded study datasets (``geodata/datasets/``) from the seed tables. Dev-only.

The package never reads the seed at run time: this script copies the few tables the workflow
needs into tidy CSVs (``adcode, year, variable, value``) and writes their metadata, with the
provenance (seed file, its SHA-256, source lines, caveats from ``tables/INDEX.md``) into
``index.json``. Printed cells are copied as text, so no float round-trip changes a digit.

It also embeds the articles' printed tables that the built-in studies print beside their own
results (weights, Theil and Moran tables, test and regression tables, regional means):
``printed_<name>.csv`` in the layout of each table, described in ``printed.json`` (columns
with dtype and origin, caveats, identities; read by ``spatialecon.datasets.printed``).

Usage (from the repository root)::

    python geodata/build_datasets.py [--seed ../shared/seed/tables] [--out geodata/datasets]
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_SEED = HERE.parent.parent / "shared" / "seed" / "tables"
DEFAULT_OUT = HERE / "datasets"

JOURNAL = {"journal": "区域经济评论", "journal_en": "Regional Economic Review", "year": 2020,
           "issue": 5}
SEED_TEXT = "000_3f64eff42e724e01.txt (PDF text extraction of 区域经济评论 2020年第5期)"

Rows = list[tuple[str, int, str, str]]  # (province short name, year, variable, printed value)
Aggregates = dict[str, dict[str, dict[str, str]]]  # label -> variable -> year -> printed value


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _short_to_adcode() -> dict[str, int]:
    return {r["short"]: int(r["adcode"]) for r in _read(HERE / "provinces.csv")}


# --- one extractor per dataset: seed rows -> (tidy rows, printed aggregate rows) --------------

URBAN_RURAL_VARS = {
    "城乡高质量融合水平": "total",
    "经济发展动力": "economic_drive",
    "交通信息网络": "transport_information",
    "生态承载能力": "ecological_capacity",
    "居民生活水平": "living_standard",
}


def _urban_rural(seed: Path) -> tuple[Rows, Aggregates]:
    rows: Rows = []
    for r in _read(seed / "T_urbanrural_4.csv"):
        var = URBAN_RURAL_VARS[r["component"]]
        rows.append((r["province"], 2018, var, r["mean_score_2009_2018"]))
        rows.append((r["province"], 2018, f"{var}_rank", r["rank"]))
    return rows, {}


DEA_VARS = {"te_crs_综合技术效率": "te_crs", "pte_vrs_纯技术效率": "pte_vrs", "se_规模效率": "se"}


def _finpoverty(seed: Path) -> tuple[Rows, Aggregates]:
    rows: Rows = []
    aggregates: Aggregates = {}
    for r in _read(seed / "T_finpoverty_2.csv"):
        for col, var in DEA_VARS.items():  # pte_x_se_derived is not printed: dropped
            if r["level"] == "province":
                rows.append((r["unit"], 2018, var, r[col]))
            else:
                aggregates.setdefault(r["unit"], {})[var] = {"2018": r[col]}
    return rows, aggregates


SERVICE_VARS = {"services_value_added_100m_yuan": "services_va",
                "services_share_of_gdp_pct": "services_share_gdp"}


def _services(seed: Path) -> tuple[Rows, Aggregates]:
    rows: Rows = []
    aggregates: Aggregates = {}
    for r in _read(seed / "T_servicetrade_3.csv"):
        # "2018 (宁夏2019公报未发布)": the row's actual data year comes first.
        year = int(r["data_year"].split()[0])
        name = r["province_or_mean"]
        for col, var in SERVICE_VARS.items():
            if name.endswith("平均值"):
                aggregates.setdefault(name, {})[var] = {str(year): r[col]}
            else:
                rows.append((name, year, var, r[col]))
    return rows, aggregates


def _resilience(seed: Path) -> tuple[Rows, Aggregates]:
    rows: Rows = []
    aggregates: Aggregates = {}
    for file, var in (("T_resilience_4.csv", "resilience"), ("T_resilience_5.csv", "hq")):
        for r in _read(seed / file):
            value = r[f"{var}_index"]
            if r["rank_within_west12"]:  # only the 12 provinces are ranked
                rows.append((r["region"], int(r["year"]), f"{var}_index", value))
                rows.append((r["region"], int(r["year"]), f"{var}_rank", r["rank_within_west12"]))
            else:  # 中国, 西部地区均值, 西部地区与全国差距
                aggregates.setdefault(r["region"], {}).setdefault(f"{var}_index", {})[
                    r["year"]
                ] = value
    return rows, aggregates


def _quadrants(seed: Path) -> tuple[Rows, Aggregates]:
    rows = [(r["province"], int(r["year"]), "quadrant", r["quadrant"])
            for r in _read(seed / "T_urbanquality_4.csv")]
    return rows, {}


# --- metadata --------------------------------------------------------------------------------

ARTICLES = {
    "liu2020": {
        # Only the English block names the authors in the extracted text (CATALOG: 刘荣增等).
        "authors": ["Liu Rongzeng", "Zhao Liang", "Chen Na", "He Chun"],
        "authors_en": ["Liu Rongzeng", "Zhao Liang", "Chen Na", "He Chun"],
        "title": "中国城乡高质量融合的水平测度",
        "title_en": "Measurement of High Quality Urban Rural Integration in China",
        "article_number": None,
    },
    "he2020": {
        "authors": ["何振立"], "authors_en": ["He Zhenli"],
        "title": "中国金融扶贫效率的时空差异及政策建议",
        "title_en": "The Spatial and Temporal Differences of China's Financial Poverty "
                    "Alleviation Efficiency and Policy Suggestions",
        "article_number": None,
    },
    "xu2020": {
        "authors": ["许唯聪", "李俊久"], "authors_en": None,  # not printed in the EN block
        "title": "中国服务贸易的发展现状、问题及对策",
        "title_en": "Research on the Status, Problems and Countermeasures of China's Service "
                    "Trade",
        "article_number": "2095-5766(2020)05-0122-09",
    },
    "sun2020": {
        "authors": ["孙慧", "原伟鹏"], "authors_en": ["Sun Hui", "Yuan Weipeng"],
        "title": "西部地区经济韧性与经济高质量发展的关系研究",
        "title_en": "A Study on the Relationship Between Economic Resilience and High-Quality "
                    "Economic Development in Western China",
        "article_number": None,
    },
    "zhao2020": {
        "authors": ["赵玉", "谢啟阳", "丁宝根"],
        "authors_en": ["Zhao Yu", "Xie Qiyang", "Ding Baogen"],
        "title": "中国城镇化高质量发展的综合测度与演化特征",
        "title_en": "Comprehensive Measurement and Evolution Characteristics of High Quality "
                    "Development of Urbanization in China",
        "article_number": "2095-5766(2020)05-0085-09",
    },
}

SCORE = "score (dimensionless)"
EFFICIENCY = "efficiency score in [0, 1]"
INDEX100 = "index x 100 (dimensionless)"
Variables = dict[str, tuple[str, str, str]]  # name -> (Chinese name, description, unit)


def _with_ranks(variables: Variables, among: str) -> Variables:
    """Add ``<name>_rank`` after each score (the article prints ranks beside the scores)."""
    out: Variables = {}
    for var, (zh, description, unit) in variables.items():
        out[var] = (zh, description, unit)
        out[f"{var}_rank"] = (f"{zh}排名", f"rank of {var} among {among} (1 = highest)", "rank")
    return out


SPECS: dict[str, dict[str, Any]] = {
    "urban_rural_integration": {
        "extract": _urban_rural,
        "title": {"zh": "2009—2018年分省份城乡高质量融合水平及4个维度平均得分",
                  "en": "High-quality urban–rural integration: total and 4 dimension scores, "
                        "provincial means 2009–2018"},
        "article": "liu2020",
        "table": "表4 2009—2018年分省份城乡高质量融合水平及4个维度平均得分及排名情况",
        "sources": {"T_urbanrural_4.csv": "15360-15757"},
        "value_type": "float",
        "period": [2009, 2018],
        "statistic": "mean over period",
        "variables": _with_ranks({
            "total": ("城乡高质量融合水平", "total score = sum of the 4 dimension scores (0–4)",
                      SCORE),
            "economic_drive": ("经济发展动力", "economic-development drive (0–1)", SCORE),
            "transport_information": ("交通信息网络", "transport and information networks (0–1)",
                                      SCORE),
            "ecological_capacity": ("生态承载能力", "ecological carrying capacity (0–1)", SCORE),
            "living_standard": ("居民生活水平", "residents' living standards (0–1)", SCORE),
        }, among="the 30 provinces"),
        "units": "entropy-method scores (dimensionless); ranks 1 = highest",
        "caveats": [
            "30 provinces: 西藏 is excluded by the article.",
            "Entropy-method scores; whether weights were computed per year or on the pooled "
            "panel is not stated.",
            "Clean in the seed: total = sum of the 4 dimensions (±0.0001) and all ranks agree "
            "with the scores.",
            "The article's regional means (表3) of 居民生活水平 do not equal the means of these "
            "provincial values (e.g. west 0.2882 printed vs 0.2947); the national series (表2) "
            "is not their mean either (10-year mean 1.909 vs 1.787).",
        ],
    },
    "finpoverty_dea": {
        "extract": _finpoverty,
        "title": {"zh": "2012—2018年中国金融扶贫DEA评价效率（分省份均值）",
                  "en": "DEA efficiencies of financial poverty alleviation, provincial means "
                        "2012–2018"},
        "article": "he2020",
        "table": "表2 2012—2018年中国金融扶贫DEA评价效率",
        "sources": {"T_finpoverty_2.csv": "22343-22560"},
        "value_type": "float",
        "period": [2012, 2018],
        "statistic": "mean over period",
        "variables": {
            "te_crs": ("综合技术效率", "overall technical efficiency (CRS)", EFFICIENCY),
            "pte_vrs": ("纯技术效率", "pure technical efficiency (VRS)", EFFICIENCY),
            "se": ("规模效率", "scale efficiency", EFFICIENCY),
        },
        "units": EFFICIENCY,
        "caveats": [
            "Input-oriented DEA-BCC, 31 provinces as DMUs; inputs and outputs in the article's "
            "表1 (T_finpoverty_1.csv).",
            "Internally inconsistent: te_crs != pte_vrs * se for most provinces (e.g. 新疆 "
            "0.9860 vs 0.6469), even where pte_vrs = 1 (北京 0.7121 vs se 0.7434). The seed's "
            "derived pte_x_se column is dropped.",
            "printed_aggregates holds the printed regional mean rows. Printed 东部 te_crs 0.7821 "
            "and 东北 0.7656 are likely misprints (means of the provinces: 0.7621 and 0.7856); "
            "中部 0.8545 vs 0.8549; 东部 se 0.8106 vs 0.81066 (off by one in the last digit). "
            "The other printed means reproduce to half a unit in the 4th decimal.",
            "南方/北方 membership is not stated; the Qinling–Huaihe split (regions('south_north')) "
            "reproduces the printed means.",
        ],
    },
    "services_value_added": {
        "extract": _services,
        "title": {"zh": "2019年中国服务业发展水平区域差异指标（服务业增加值及占GDP比重）",
                  "en": "Services value added and its share of GDP by province, 2019"},
        "article": "xu2020",
        "table": "表3 2019年中国服务业发展水平区域差异指标",
        "sources": {"T_servicetrade_3.csv": "19374-19512"},
        "value_type": "float",
        "period": None,
        "statistic": "annual value (from the provinces' 2019 statistical bulletins)",
        "variables": {
            "services_va": ("服务业增加值", "services (tertiary sector) value added, "
                                          "current prices", "100 million yuan (亿元)"),
            "services_share_gdp": ("服务业增加值占GDP的比重", "services value added as % of GDP",
                                   "%"),
        },
        "units": "100 million yuan (亿元) and % of GDP",
        "caveats": [
            "宁夏 is 2018 data (its 2019 bulletin was not yet published; printed in parentheses): "
            "its rows carry year 2018.",
            "西藏 share printed 7.56 is implausible (924.01 of a GDP of about 1,698 亿元 is "
            "about 54%); kept as printed.",
            "printed_aggregates holds the printed zone means (沿海/内陆/沿边, see "
            "regions('coast_inland_border')); they only partly reproduce: 内陆 VA 14419.04 = "
            "mean of the 12 without 宁夏, 沿边 = plain means of 7, 沿海 30488.55 / 70.71 do not "
            "match the 11 printed values (27449.7 / 58.36).",
        ],
    },
    "west_resilience": {
        "extract": _resilience,
        "title": {"zh": "2000—2019年西部地区经济韧性指数与经济高质量指数及排序",
                  "en": "Economic resilience and high-quality development indices of the 12 "
                        "western provinces"},
        "article": "sun2020",
        "table": "表4 2000—2019年全国以及西部地区经济韧性指数及排序; "
                 "表5 2000—2019年全国以及西部地区经济高质量指数及排序",
        "sources": {"T_resilience_4.csv": "3879-4106", "T_resilience_5.csv": "4108-4337"},
        "value_type": "float",
        "period": None,
        "statistic": "annual value",
        "variables": {
            "resilience_index": ("经济韧性指数", "economic resilience index (ERI)", INDEX100),
            "resilience_rank": ("排序", "rank of resilience_index among the 12 western "
                                        "provinces (1 = highest)", "rank"),
            "hq_index": ("经济高质量指数", "high-quality development index (HQE)", INDEX100),
            "hq_rank": ("排序", "rank of hq_index among the 12 western provinces (1 = highest)",
                        "rank"),
        },
        "units": "composite indices x 100 (dimensionless); ranks 1 = highest",
        "caveats": [
            "Only 6 of the 20 years 2000–2019 are printed (2000, 2004, 2008, 2012, 2016, 2019).",
            "Composite indices with factor-analysis weights (表1, T_resilience_1.csv).",
            "printed_aggregates holds the rows 中国 (national index), 西部地区均值 (= mean of the "
            "12, ±0.01) and 西部地区与全国差距 (= 中国 − mean); 表5 prints the last as "
            "西部与全国差距 (harmonised).",
            "2016 广西 and 四川 tie at resilience 18.74 and are ranked 9 and 10 as printed.",
        ],
    },
    "urbanisation_quadrants": {
        "extract": _quadrants,
        "title": {"zh": "2003—2018年中国城镇化高质量发展指数象限分类",
                  "en": "Moran-scatterplot quadrants of the urbanisation-quality index"},
        "article": "zhao2020",
        "table": "表4 2003—2018年中国城镇化高质量发展指数象限分类",
        "sources": {"T_urbanquality_4.csv": "13784-13855"},
        "value_type": "category",
        "period": None,
        "statistic": "annual value",
        "variables": {
            "quadrant": ("象限", "Moran-scatterplot quadrant: own value (first letter) and "
                                 "spatial lag (second letter) above (H) or below (L) the mean",
                         "category"),
        },
        "units": "categorical (HH/LH/LL/HL)",
        "categories": {"HH": "高高（HH）集聚区 high-high", "LH": "低高（LH）集聚区 low-high",
                       "LL": "低低（LL）集聚区 low-low", "HL": "高低（HL）集聚区 high-low"},
        "caveats": [
            "value holds the strings HH/LH/LL/HL (not numbers).",
            "Quadrants only: no LISA significance filter is reported.",
            "The weights are built from provincial-capital coordinates; their functional form "
            "and standardisation are not stated.",
            "The source prints 2003 HL as '湖北、广东、海南、' (trailing comma).",
        ],
    },
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _metadata(name: str, spec: dict[str, Any], rows: Rows, aggregates: Aggregates,
              seed: Path) -> dict[str, Any]:
    variables = {var: {"zh": zh, "description": description, "unit": unit}
                 for var, (zh, description, unit) in spec["variables"].items()}
    meta: dict[str, Any] = {
        "file": f"{name}.csv",
        "title": spec["title"],
        "article": {**ARTICLES[spec["article"]], **JOURNAL},
        "table": spec["table"],
        "source": {
            "seed_text": SEED_TEXT,
            "tables": [{"csv": csv_name, "source_lines": lines,
                        "sha256": _sha256(seed / csv_name)}
                       for csv_name, lines in spec["sources"].items()],
            "built_by": "geodata/build_datasets.py",
        },
        "value_type": spec["value_type"],
        "years": sorted({year for _, year, _, _ in rows}),
        "period": spec["period"],
        "statistic": spec["statistic"],
        "n_provinces": len({province for province, _, _, _ in rows}),
        "variables": variables,
        "units": spec["units"],
    }
    if "categories" in spec:
        meta["categories"] = spec["categories"]
    if spec["period"]:
        meta["year_note"] = f"year = {spec['period'][1]}, the end of the averaging period"
    meta["caveats"] = spec["caveats"]
    if aggregates:
        meta["printed_aggregates"] = {
            label: {var: {y: float(v) for y, v in by_year.items()} for var, by_year in d.items()}
            for label, d in aggregates.items()
        }
    return meta


# --- printed tables: the articles' tables the built-in studies print beside their results ------
#
# Unlike the datasets above (provincial panels in one tidy layout), each printed table keeps
# the layout of its seed CSV: one row per printed observation (indicator, year, region, test ...)
# with the printed cells copied as text, a column spec (dtype, origin, unit, seed column) and
# the table's caveats. They are written as ``printed_<name>.csv`` beside the datasets (so the
# wheel's package-data needs no new folder) and described in ``printed.json``.

PRINTED_PREFIX = "printed_"
PRINTED_INDEX = "printed.json"
SEED_INDEX = "INDEX.md"
SEED_TEXT_FILE = "000_3f64eff42e724e01.txt"
# origin of a column: a cell of the printed table, a statement of the article's text, an
# inference of the seed's checks (INDEX.md), or a mapping made here (adcodes, English keys).
ORIGINS = ("printed", "text", "inferred", "derived")
DTYPES = ("str", "float", "int", "Int64")  # Int64: integer with empty cells (pandas NA)
PrintedRow = dict[str, str]


def _c(description: str, dtype: str = "str", seed: str | None = None, *,
       origin: str = "printed", unit: str | None = None,
       derive: Callable[[dict[str, str]], str] | None = None) -> dict[str, Any]:
    """One column: copied from the ``seed`` column, or computed by ``derive`` from the seed row."""
    assert dtype in DTYPES and origin in ORIGINS
    assert (seed is None) != (derive is None), description
    return {"description": description, "dtype": dtype, "origin": origin, "unit": unit,
            "seed": seed, "derive": derive}


@functools.lru_cache(maxsize=1)
def _adcodes() -> dict[str, int]:
    return _short_to_adcode()


def _adcode_of(column: str, provinces: Callable[[dict[str, str]], bool] = lambda r: True
               ) -> Callable[[dict[str, str]], str]:
    """Derive the adcode from a province short name; "" for rows that are not provinces."""
    def derive(r: dict[str, str]) -> str:
        if not provinces(r):
            return ""
        name = r[column]
        assert name in _adcodes(), f"province name without an adcode: {name!r}"
        return str(_adcodes()[name])
    return derive


def _lookup(column: str, mapping: dict[str, str]) -> Callable[[dict[str, str]], str]:
    def derive(r: dict[str, str]) -> str:
        assert r[column] in mapping, f"{column}: unmapped value {r[column]!r}"
        return mapping[r[column]]
    return derive


def _constant(value: str) -> Callable[[dict[str, str]], str]:
    return lambda r: value


URBANISATION_DIMENSIONS = {"经济发展": "economic development",
                           "科技支撑": "science and technology support",
                           "生态环保": "ecology and environmental protection",
                           "协调共享": "coordination and sharing"}
BELTS3_GROUPS = {"东部地区": {"scheme": "belts3", "region": "东部"},
                 "中部地区": {"scheme": "belts3", "region": "中部"},
                 "西部地区": {"scheme": "belts3", "region": "西部"}}
NATION = {"scheme": None, "region": None}  # all provinces of the study
BELTS3_NOTE = ("Region membership is not stated by the article; regions('belts3') (east 11 "
               "incl. 辽宁, central 8 incl. 吉林 and 黑龙江, west 12) is assumed: it is consistent "
               "with the regional weights implied by 表2, not verified exactly.")
URBAN_RURAL_COMPONENTS = {zh: key for zh, key in URBAN_RURAL_VARS.items()}
URBAN_RURAL_STAGES = {
    "高水平阶段（≥2）": {"key": "high", "lower": 2.0, "upper": None},
    "中高水平阶段（≥1.75，且<2）": {"key": "upper_middle", "lower": 1.75, "upper": 2.0},
    "中等水平阶段（≥1.5，且<1.75）": {"key": "middle", "lower": 1.5, "upper": 1.75},
    "低水平阶段（<1.5）": {"key": "low", "lower": None, "upper": 1.5},
}
RESILIENCE_AGGREGATES = {"中国": "national", "西部地区均值": "west_mean",
                         "西部地区与全国差距": "west_gap"}
RESILIENCE_MODELS = ["OLS", "2SLS", "FE", "GMM"]
RESILIENCE_MODEL_NOTES = {
    "OLS": "pooled OLS",
    "2SLS": "two-stage least squares; instruments: distance of the provincial capital to 西安 "
            "and lagged LNERI (text)",
    "FE": "fixed effects",
    "GMM": "system GMM (no F printed)",
}
FINPOVERTY_EFFICIENCIES = {"te_crs": ("te_crs_综合技术效率", "综合技术效率",
                                      "overall technical efficiency (CRS)"),
                           "pte_vrs": ("pte_vrs_纯技术效率", "纯技术效率",
                                       "pure technical efficiency (VRS)"),
                           "se": ("se_规模效率", "规模效率", "scale efficiency")}


def _regressions_wide(seed_rows: list[dict[str, str]]) -> list[PrintedRow]:
    """表11 as printed: one row per term, per model the coefficient, its stars and the t value."""
    models = list(dict.fromkeys(r["model"] for r in seed_rows))
    assert models == RESILIENCE_MODELS, models
    assert {r["dependent"] for r in seed_rows} == {"LNHQE"}
    cells = {(r["model"], r["term"]): r for r in seed_rows}
    assert len(cells) == len(seed_rows), "duplicate (model, term)"
    rows: list[PrintedRow] = []
    for term in dict.fromkeys(r["term"] for r in seed_rows):
        row = {"term": term}
        for model in models:
            r = cells.get((model, term), {})
            row[model] = r.get("estimate", "")
            row[f"{model}_stars"] = r.get("signif_stars", "")
            row[f"{model}_t"] = r.get("t_stat", "")
        rows.append(row)
    return rows


def _regression_columns() -> dict[str, dict[str, Any]]:
    columns = {"term": _c("regressor (LN = natural log; C constant) or fit statistic (R2, F)",
                          seed="term")}
    for model in RESILIENCE_MODELS:
        note = RESILIENCE_MODEL_NOTES[model]
        columns[model] = _c(f"{model} ({note}): coefficient, or the value of R2/F",
                            "float", seed="estimate")
        columns[f"{model}_stars"] = _c(f"{model}: significance stars as printed (*, **, ***; "
                                       "empty: none)", seed="signif_stars")
        columns[f"{model}_t"] = _c(f"{model}: the parenthesised statistic under the "
                                   "coefficient (t; empty for R2/F)", "float", seed="t_stat")
    return columns


PRINTED: dict[str, dict[str, Any]] = {
    # 赵玉、谢啟阳、丁宝根: urbanisation quality ---------------------------------------------
    "urbanisation_indicators": {
        "article": "zhao2020", "csv": "T_urbanquality_1.csv",
        "table": "表1 城镇化高质量发展指标体系",
        "title": {"zh": "城镇化高质量发展指标体系（熵权TOPSIS权重与方向）",
                  "en": "Indicator system of high-quality urbanisation: dimensions, indicators, "
                        "units, directions and entropy weights"},
        "layout": "wide",
        "layout_note": "One row per indicator (26), in print order; the weight of the dimension "
                       "is repeated on each of its indicators. Enough to run the layered "
                       "entropy-TOPSIS once the indicator data are at hand.",
        "key": ["indicator_no"],
        "columns": {
            "dimension": _c("一级指标 (dimension)", seed="dimension", origin="inferred"),
            "dimension_weight": _c("printed entropy weight of the dimension in the composite",
                                   "float", seed="dimension_weight", unit="weight"),
            "indicator_no": _c("indicator number (print order)", "int", seed="indicator_no"),
            "indicator": _c("二级指标 (indicator) as printed", seed="indicator"),
            "unit": _c("unit as printed ('—' = dimensionless ratio)", seed="unit"),
            "direction": _c("正向 (benefit, +) or 负向 (cost, −)", seed="direction"),
            "weight_within_dimension": _c("printed entropy weight of the indicator within its "
                                          "dimension", "float", seed="weight_within_dimension",
                                          unit="weight"),
        },
        "dropped": {"global_weight_derived": "dimension_weight × weight_within_dimension "
                                             "(not printed)"},
        "labels": URBANISATION_DIMENSIONS,
        "caveats": [
            "Dimension membership is inferred: the within-dimension weights sum to 1.000 over "
            "blocks of 7/6/7/6 indicators in print order.",
            "The global weight of an indicator (dimension_weight × weight_within_dimension) is "
            "not printed; the seed's derived column is dropped.",
            "Entropy weights computed by the article from yearbook data that are not in the "
            "issue; whether per year or on the pooled 2003–2018 panel is not stated.",
        ],
        "identities": [
            "dimension weights sum to 1.000",
            "weight_within_dimension sums to 1.000 within each dimension (±0.001)",
        ],
    },
    "urbanisation_theil": {
        "article": "zhao2020", "csv": "T_urbanquality_2.csv",
        "table": "表2 2003—2018年中国省域城镇化高质量发展Theil指数及其贡献率分解结果",
        "title": {"zh": "2003—2018年城镇化高质量发展Theil指数及其贡献率分解（三大地带）",
                  "en": "Theil index of the urbanisation-quality index and its decomposition "
                        "by the three belts, 2003–2018"},
        "layout": "long",
        "layout_note": "One row per year × group × statistic (16 years × 9 printed cells). "
                       "group 总体 carries the total Theil; 东部/中部/西部地区 their within-region "
                       "Theil and contribution; 区域内/区域间 the within and between shares. "
                       "Pivot with df.pivot(index='year', columns=['group', 'statistic'], "
                       "values='value').",
        "key": ["year", "group", "statistic"],
        "columns": {
            "year": _c("year", "int", seed="year"),
            "group": _c("总体, 东部地区, 中部地区, 西部地区, 区域内 (within), 区域间 (between)",
                        seed="group"),
            "statistic": _c("Theil (the Theil index) or contribution_pct (share of the total "
                            "Theil, %)", seed="statistic"),
            "value": _c("printed value", "float", seed="value",
                        unit="Theil index (dimensionless) or %"),
        },
        "groups": {"总体": NATION, **BELTS3_GROUPS},
        "labels": {"总体": "total", "东部地区": "east", "中部地区": "central", "西部地区": "west",
                   "区域内": "within regions", "区域间": "between regions"},
        "caveats": [
            BELTS3_NOTE,
            "Theil-T decomposition; the text says N_ij = urban population but describes "
            "province-count shares; the implied weights fit the province-count Theil-T.",
            "2014: the implied within-region weights w_r = contribution_r × T / T_r sum to 1.039 "
            "(1.00 ± 0.006 in every other year): one of 2014 东部 Theil 0.231 or contribution "
            "41.7 is probably misprinted.",
        ],
        "identities": [
            "区域内 + 区域间 = 100 every year",
            "东部 + 中部 + 西部 contributions = 区域内 (±0.1, rounding)",
            "implied weights contribution_r × T / T_r / 100 sum to 1 ± 0.006 (except 2014: 1.039)",
        ],
    },
    "urbanisation_moran": {
        "article": "zhao2020", "csv": "T_urbanquality_3.csv",
        "table": "表3 2003—2018年中国城镇化高质量发展水平的全局Moran指数",
        "title": {"zh": "2003—2018年城镇化高质量发展水平的全局Moran指数",
                  "en": "Global Moran's I of the urbanisation-quality index by year"},
        "layout": "wide",
        "layout_note": "One row per printed year (12), the columns of the article: Moran's I, "
                       "its bootstrap standard error, Z and the p value (概率).",
        "key": ["year"],
        "columns": {
            "year": _c("year", "int", seed="year"),
            "moran_i": _c("global Moran's I (Moran指数)", "float", seed="moran_I"),
            "se": _c("standard error by bootstrap (标准误)", "float", seed="se_bootstrap"),
            "z": _c("Z value (Z值)", "float", seed="z"),
            "p": _c("p value (概率)", "float", seed="p"),
        },
        "dropped": {"z_check_EI_minus1_over_30": "(I + 1/30) / SE, computed by the seed"},
        "caveats": [
            "Only 12 of the 16 years are printed: 2007, 2008, 2013 and 2014 are absent.",
            "Table note: SE by bootstrap (number of replicates not stated); the weights are "
            "built from provincial-capital longitude/latitude, their functional form and "
            "standardisation are not stated (31 provinces, so not contiguity: 海南 has "
            "neighbours).",
            "z = (I + 1/30) / SE reproduces the printed Z to ±0.04, i.e. E[I] = −1/(n − 1) with "
            "n = 31; p is the one-sided normal tail of z (2017 printed 0.098 vs 0.099).",
            "A bootstrap SE is random: expect I to reproduce, not SE/Z exactly.",
        ],
        "identities": ["z ≈ (moran_i + 1/30) / se (±0.04)",
                       "p ≈ 1 − Φ(z) (±0.0015)"],
    },
    "urbanisation_theil_dimensions": {
        "article": "zhao2020", "csv": "T_urbanquality_5.csv",
        "table": "表5 中国城镇化高质量发展分项指标的Theil指数变化趋势",
        "title": {"zh": "城镇化高质量发展分项指标的区域内Theil指数（2003—2018）",
                  "en": "Within-region Theil index of each urbanisation-quality dimension, "
                        "2003–2018"},
        "layout": "long",
        "layout_note": "One row per year × region × dimension (16 × 3 × 4).",
        "key": ["year", "region", "dimension"],
        "columns": {
            "year": _c("year", "int", seed="year"),
            "region": _c("东部地区, 中部地区 or 西部地区", seed="region"),
            "dimension": _c("经济发展, 科技支撑, 生态环保 or 协调共享", seed="dimension"),
            "theil": _c("Theil index among the provinces of the region", "float",
                        seed="theil_within_region", unit="Theil index (dimensionless)"),
        },
        "groups": BELTS3_GROUPS,
        "labels": URBANISATION_DIMENSIONS,
        "text_statistics": {
            "about": "Changes 2003→2018 (%) quoted in the text (source lines 13709–13753); "
                     "all reproduce from the table.",
            "change_pct_2003_2018": {
                "东部地区": {"经济发展": "-21.6", "科技支撑": "-18.4", "生态环保": "-24.0",
                         "协调共享": "-36.4"},
                "中部地区": {"经济发展": "12.5", "科技支撑": "13.7", "生态环保": "159.1",
                         "协调共享": "128.6"},
                "西部地区": {"经济发展": "-4.7", "科技支撑": "2.4", "生态环保": "-21.8",
                         "协调共享": "37.5"},
            },
        },
        "caveats": [BELTS3_NOTE,
                    "Clean: the changes 2003→2018 quoted in the text all reproduce "
                    "(text_statistics)."],
        "identities": ["(theil_2018 / theil_2003 − 1) × 100 = text_statistics (±0.05)"],
    },
    "urbanisation_factor_detector": {
        "article": "zhao2020", "csv": "T_urbanquality_6.csv",
        "table": "表6 城镇化高质量发展空间分异的影响因素",
        "title": {"zh": "城镇化高质量发展空间分异的影响因素（地理探测器因子探测）",
                  "en": "Geographical detector, factor detector: q and p of six factors for the "
                        "nation and the three belts"},
        "layout": "long",
        "layout_note": "One row per factor × region (6 × 4) with q and p (the article prints "
                       "factors as columns, regions as row blocks).",
        "key": ["factor", "region"],
        "columns": {
            "factor": _c("X1 … X6", seed="factor"),
            "meaning": _c("含义: the factor's name as printed", seed="meaning"),
            "region": _c("全国, 东部地区, 中部地区 or 西部地区", seed="region"),
            "q": _c("q statistic (power of determinant)", "float", seed="q", unit="[0, 1]"),
            "p": _c("p value (noncentral F, per the method text)", "float", seed="p"),
        },
        "groups": {"全国": NATION, **BELTS3_GROUPS},
        "factors": {
            "about": "Definitions from the text (source lines 13770–13858).",
            "X1": {"zh": "政府引导", "en": "government guidance",
                   "definition": "财政支出占地区生产总值的比重 (fiscal expenditure / GDP)"},
            "X2": {"zh": "人口密度", "en": "population density",
                   "definition": "单位国土面积的人口数量 (population / land area)"},
            "X3": {"zh": "产业结构", "en": "industrial structure",
                   "definition": "第三产业与第二产业的比值 (tertiary / secondary output)"},
            "X4": {"zh": "市场化水平", "en": "marketisation",
                   "definition": "王小鲁、樊纲《中国分省份市场化指数报告》"},
            "X5": {"zh": "对外贸易", "en": "foreign trade",
                   "definition": "进出口贸易占地区生产总值的比例 ((imports + exports) / GDP)"},
            "X6": {"zh": "利用外资", "en": "foreign direct investment",
                   "definition": "城镇人均外商直接投资额 (FDI per urban resident)"},
        },
        "caveats": [
            BELTS3_NOTE,
            "The response year (or pooling of years) and the discretisation of X (method, "
            "number of strata) are not stated: q depends on them, treat as approximate "
            "targets.",
            "p from the noncentral F distribution (method text).",
        ],
        "identities": ["dominant factor: 全国 X6 (0.380), 东部 X3 (0.475), 中部 X1 (0.488), "
                       "西部 X6 (0.107, p 0.094)"],
    },
    "urbanisation_interactions": {
        "article": "zhao2020", "csv": "T_urbanquality_7.csv",
        "table": "表7 城镇化高质量发展空间分异影响因素的主导交互作用",
        "title": {"zh": "城镇化高质量发展空间分异影响因素的主导交互作用（交互探测）",
                  "en": "Geographical detector, interaction detector: the four dominant "
                        "interactions of the nation and each belt"},
        "layout": "long",
        "layout_note": "One row per region × rank (4 × 4): the interaction as printed, its two "
                       "factors and q(Xa ∩ Xb).",
        "key": ["region", "rank"],
        "columns": {
            "region": _c("全国, 东部地区, 中部地区 or 西部地区", seed="region"),
            "rank": _c("rank of the interaction in the region (print order, 1 = strongest)",
                       "int", seed="rank"),
            "interaction": _c("主导交互作用 (printed 'X3 ∩ X6'; spaces removed by the seed)",
                              seed="interaction"),
            "factor_a": _c("first factor of the interaction", seed="factor_a",
                           origin="derived"),
            "factor_b": _c("second factor of the interaction", seed="factor_b",
                           origin="derived"),
            "q": _c("q of the interaction (q值)", "float", seed="q_interaction", unit="[0, 1]"),
        },
        "dropped": {"q_a_from_T6": "q of factor_a from 表6",
                    "q_b_from_T6": "q of factor_b from 表6",
                    "interaction_type_derived": "bi-/nonlinear enhancement from 表6 (join "
                                                "printed('urbanisation_factor_detector'))"},
        "groups": {"全国": NATION, **BELTS3_GROUPS},
        "caveats": [
            BELTS3_NOTE,
            "Only the 4 dominant interactions per region are printed, not the 15-pair matrix.",
            "东部 X2∩X3 and X3∩X6 tie at 0.757 (ranked 1 and 2 as printed).",
            "Same unstated discretisation as 表6.",
        ],
        "identities": ["q > max(q(Xa), q(Xb)) of 表6 for every row (enhancement)",
                       "q decreases (weakly) with rank within each region"],
    },
    # 刘荣增 et al.: urban–rural integration --------------------------------------------------
    "urban_rural_weights": {
        "article": "liu2020", "csv": "T_urbanrural_1.csv",
        "table": "表1 城乡高质量融合发展水平指标体系",
        "title": {"zh": "城乡高质量融合发展水平指标体系（熵值法权重）",
                  "en": "Indicator system of high-quality urban–rural integration: indicators, "
                        "directions and entropy weights"},
        "layout": "wide",
        "layout_note": "One row per indicator (21), in print order.",
        "key": ["indicator_no"],
        "columns": {
            "dimension": _c("一级指标 (dimension)", seed="dimension", origin="inferred"),
            "variable": _c("English key of the dimension, as in dataset "
                           "'urban_rural_integration'", derive=_lookup("dimension",
                                                                        URBAN_RURAL_VARS),
                           origin="derived"),
            "subdimension": _c("二级指标 (sub-dimension)", seed="subdimension_inferred",
                               origin="inferred"),
            "indicator_no": _c("indicator number (print order)", "int", seed="indicator_no"),
            "indicator": _c("三级指标 (indicator) as printed", seed="indicator"),
            "direction": _c("正向 (benefit, +) or 负向 (cost, −)", seed="direction"),
            "weight": _c("entropy weight in the whole system", "float", seed="entropy_weight",
                         unit="weight"),
        },
        "labels": {"经济发展动力": "economic-development drive",
                   "交通信息网络": "transport and information networks",
                   "生态承载能力": "ecological carrying capacity",
                   "居民生活水平": "residents' living standards"},
        "caveats": [
            "The indicator → dimension and sub-dimension mapping is not printed row-aligned; "
            "inferred from print order and the policy section (source lines 15997–16033). "
            "Dimension weight sums under this mapping: 0.3763/0.1421/0.1639/0.3177.",
            "Units are not printed except % in some names.",
            "Printed dimension scores exceed the dimension weight sums and the total is the "
            "sum of 4 dimension scores in [0, 1]: each dimension is evidently scored with its "
            "weights re-normalised within the dimension.",
            "Whether the entropy weights are computed per year (m = 30) or on the pooled panel "
            "(m = 300) is not stated.",
        ],
        "identities": ["weights sum to 1.0000",
                       "dimension sums 0.3763 / 0.1421 / 0.1639 / 0.3177"],
    },
    "urban_rural_national": {
        "article": "liu2020", "csv": "T_urbanrural_2.csv",
        "table": "表2 2009—2018年中国城乡高质量融合水平及一级指标得分情况",
        "title": {"zh": "2009—2018年中国城乡高质量融合水平及一级指标得分",
                  "en": "National score of high-quality urban–rural integration and its four "
                        "dimensions, 2009–2018"},
        "layout": "long",
        "layout_note": "One row per year × component (10 × 5).",
        "key": ["year", "variable"],
        "columns": {
            "year": _c("year", "int", seed="year"),
            "component": _c("城乡高质量融合水平 (total) or one of the 4 dimensions",
                            seed="component"),
            "variable": _c("English key, as in dataset 'urban_rural_integration'",
                           derive=_lookup("component", URBAN_RURAL_COMPONENTS),
                           origin="derived"),
            "score": _c("printed score", "float", seed="score", unit=SCORE),
        },
        "caveats": [
            "The national series is not the mean of the provincial scores of 表4 (dataset "
            "'urban_rural_integration'): 10-year mean 1.909 vs provincial grand mean 1.787. "
            "How it was computed is not stated.",
            "Clean: total = sum of the 4 dimension scores every year.",
        ],
        "identities": ["total = sum of the 4 dimensions each year (±0.0002)"],
    },
    "urban_rural_regions": {
        "article": "liu2020", "csv": "T_urbanrural_3.csv",
        "table": "表3 2009—2018年分区域城乡高质量融合水平及4个维度平均得分情况",
        "title": {"zh": "2009—2018年分区域城乡高质量融合水平及4个维度平均得分",
                  "en": "Regional means 2009–2018 of the urban–rural integration score and its "
                        "four dimensions, with ranks"},
        "layout": "long",
        "layout_note": "One row per region × component (4 × 5): the printed mean and rank.",
        "key": ["region", "variable"],
        "columns": {
            "region": _c("西部, 东北, 中部 or 东部 (regions('liu2020_4region'))", seed="region"),
            "component": _c("城乡高质量融合水平 (total) or one of the 4 dimensions",
                            seed="component"),
            "variable": _c("English key, as in dataset 'urban_rural_integration'",
                           derive=_lookup("component", URBAN_RURAL_COMPONENTS),
                           origin="derived"),
            "mean_score": _c("mean score 2009–2018", "float", seed="mean_score_2009_2018",
                             unit=SCORE),
            "rank": _c("rank among the 4 regions (1 = highest) as printed", "int", seed="rank"),
        },
        "groups": {label: {"scheme": "liu2020_4region", "region": label}
                   for label in ("西部", "东北", "中部", "东部")},
        "caveats": [
            "Regions per footnote ① (stated): west 11 (西藏 excluded), northeast 3, central 6, "
            "east 10 = regions('liu2020_4region').",
            "The first three dimensions equal the means of the provincial values of 表4 "
            "(dataset 'urban_rural_integration') to ±0.0001, but 居民生活水平 does not (西部 "
            "0.2882 printed vs 0.2947, 中部 0.3652 vs 0.3534, 东部 0.3814 vs 0.3834; 东北 "
            "matches), and hence neither do the totals (西部 1.5817 vs 1.5883, 中部 1.7718 vs "
            "1.7600, 东部 2.0559 vs 2.0578).",
            "The printed ranks of 居民生活水平 disagree with the printed means: 东部 (0.3814) "
            "is ranked 1 and 东北 (0.3894) 2. All other ranks agree with the means.",
        ],
        "identities": ["total = sum of the 4 dimensions per region (±0.0002)",
                       "three dimensions = means of the provincial 表4 values (±0.0001)"],
    },
    "urban_rural_stages": {
        "article": "liu2020", "csv": "T_urbanrural_5.csv",
        "table": "表5 典型年份各省份城乡高质量融合水平空间分布情况",
        "title": {"zh": "典型年份（2009、2013、2018）各省份城乡高质量融合水平阶段",
                  "en": "Stage of high-quality urban–rural integration by province, 2009, 2013 "
                        "and 2018"},
        "layout": "long",
        "layout_note": "One row per province × year (30 × 3), in print order (stage by stage, "
                       "provinces in the order listed in each cell).",
        "key": ["adcode", "year"],
        "columns": {
            "adcode": _c("province code (GB/T 2260, as spatialecon.geodata.boundaries)", "int",
                         derive=_adcode_of("province"), origin="derived"),
            "province": _c("province as printed (short name)", seed="province"),
            "year": _c("year", "int", seed="year"),
            "stage": _c("stage label as printed, thresholds of the total score included",
                        seed="stage"),
            "stage_key": _c("high, upper_middle, middle or low (see categories)",
                            derive=_lookup("stage", {k: v["key"] for k, v in
                                                     URBAN_RURAL_STAGES.items()}),
                            origin="derived"),
        },
        "categories": URBAN_RURAL_STAGES,
        "caveats": [
            "30 provinces (西藏 excluded); each appears exactly once per year.",
            "Stages are classes of the total score: 高 ≥ 2, 中高 [1.75, 2), 中等 [1.5, 1.75), "
            "低 < 1.5 (lower bound included).",
            "2018 counts 8 高 + 12 中高 + 9 中等 + 1 低; the text (source line 15893) says 21 "
            "provinces are in 高 + 中高, the table gives 20.",
            "The provincial scores of single years are not printed (表4 has only 2009–2018 "
            "means), so the stages cannot be checked against scores.",
        ],
        "identities": ["counts 高/中高/中等/低: 2009 2/2/5/21, 2013 5/3/14/8, 2018 8/12/9/1"],
    },
    # 孙慧、原伟鹏: economic resilience ------------------------------------------------------
    "resilience_weights": {
        "article": "sun2020", "csv": "T_resilience_1.csv",
        "table": "表1 西部地区经济韧性与经济高质量发展的综合评价指标体系",
        "title": {"zh": "西部地区经济韧性与经济高质量发展的综合评价指标体系（因子分析权重）",
                  "en": "Indicator systems of economic resilience and high-quality development "
                        "with factor-analysis weights"},
        "layout": "wide",
        "layout_note": "One row per indicator (13 resilience + 15 high-quality), in print "
                       "order.",
        "key": ["indicator_no"],
        "columns": {
            "system": _c("经济韧性 (ERI) or 经济高质量发展 (HQE)", seed="system"),
            "criterion": _c("准则层: PSR for resilience, the five development concepts for "
                            "high quality", seed="criterion", origin="text"),
            "indicator_no": _c("indicator number (print order)", "int", seed="indicator_no"),
            "indicator": _c("indicator as printed", seed="indicator"),
            "definition": _c("definition as printed", seed="definition"),
            "weight": _c("factor-analysis weight within the system", "float", seed="weight",
                         unit="weight"),
        },
        "labels": {"经济韧性": "economic resilience (ERI)",
                   "经济高质量发展": "high-quality economic development (HQE)"},
        "caveats": [
            "Criterion membership from the text (source lines 3369–3432): 4/5/4 indicators for "
            "P/S/R, 3 for each of the five concepts.",
            "No directions (+/−) are printed; range (min–max) normalisation then factor "
            "analysis (rotation and number of factors not stated).",
            "The printed definitions pair 产业结构合理化指数 with '产业Moore指数' and 高级化 with "
            "'产业泰尔指数' (usually the reverse); kept as printed.",
            "Weights have 2 decimals.",
        ],
        "identities": ["weights sum to 1.00 within each system"],
    },
    "resilience_coupling_grades": {
        "article": "sun2020", "csv": "T_resilience_2.csv",
        "table": "表2 耦合协调度等级划分标准",
        "title": {"zh": "耦合协调度等级划分标准", "en": "Classes of the coupling coordination "
                                                         "degree D"},
        "layout": "wide",
        "layout_note": "One row per class (10), as printed; d_lower/d_upper are the printed "
                       "interval bounds.",
        "key": ["interval"],
        "columns": {
            "interval": _c("interval of D as printed", seed="interval_printed"),
            "d_lower": _c("lower bound of the interval", "float", seed="D_lower"),
            "d_upper": _c("upper bound of the interval", "float", seed="D_upper"),
            "stage": _c("协调程度 (stage)", seed="stage_inferred", origin="inferred"),
            "type": _c("协调类型 (type) as printed (first row: a typo, see caveats)",
                       seed="type_printed"),
        },
        "caveats": [
            "The first type is printed 极度协调型, evidently a typo for 极度失调型; kept as "
            "printed. spatialecon.indices.coupling_grades() holds the corrected classes.",
            "The three stage labels are printed without row alignment; 0–0.4 失调衰退, 0.4–0.6 "
            "过渡协调, 0.6–1 协调发展 is inferred from 表6 (west-mean rows pair D with stage and "
            "type).",
            "Intervals: [0, 0.10], then (lower, upper] up to [0.90, 1.00] as printed.",
        ],
        "identities": ["intervals are contiguous from 0 to 1 in steps of 0.1"],
    },
    "resilience_coupling": {
        "article": "sun2020", "csv": "T_resilience_6.csv",
        "table": "表6 2000—2019年全国以及西部地区经济韧性与经济高质量发展耦合协调水平",
        "title": {"zh": "2000—2019年全国以及西部地区经济韧性与经济高质量发展耦合协调度",
                  "en": "Coupling coordination degree D of resilience and high-quality "
                        "development: nation, 12 western provinces, west mean and gap"},
        "layout": "long",
        "layout_note": "One row per unit × year (15 × 10 printed years): the 12 provinces "
                       "(level 'province', with adcode), 中国 ('national'), 西部地区均值 "
                       "('west_mean', with the printed stage and type) and 西部地区与全国差距 "
                       "('west_gap'). adcode is empty (NA) for the three aggregate rows.",
        "key": ["unit", "year"],
        "columns": {
            "unit": _c("row label as printed", seed="region"),
            "adcode": _c("province code; NA for the aggregate rows", "Int64",
                         derive=_adcode_of("region",
                                           lambda r: r["region"] not in RESILIENCE_AGGREGATES),
                         origin="derived"),
            "level": _c("province, national, west_mean or west_gap",
                        derive=lambda r: RESILIENCE_AGGREGATES.get(r["region"], "province"),
                        origin="derived"),
            "year": _c("year", "int", seed="year"),
            "coupling_d": _c("coupling coordination degree D (2 decimals; some printed with "
                             "one, e.g. 0.3)", "float", seed="coupling_D", unit="[0, 1]"),
            "stage": _c("协调程度 printed for the west mean only (empty elsewhere)",
                        seed="stage_for_west_mean"),
            "type": _c("协调对比类型 printed for the west mean only (empty elsewhere; '型' "
                       "appended by the seed)", seed="type_for_west_mean"),
        },
        "dropped": {"D_recomputed_from_T4_T5": "D recomputed by the seed from 表4/表5 (use "
                                               "dataset 'west_resilience' and "
                                               "spatialecon.indices.coupling_coordination)"},
        "caveats": [
            "D = sqrt(C·T), C = 2·sqrt(U1·U2)/(U1 + U2), T = 0.5·U1 + 0.5·U2, U = index/100 "
            "from 表4/表5 (dataset 'west_resilience') reproduces the provincial D of the 6 "
            "overlap years (2000, 2004, 2008, 2012, 2016, 2019) to ±0.005, except 重庆 2016: "
            "printed 0.66, recomputed 0.524 (a misprint).",
            "The 中国 row is not reproducible from the printed national indices of 表4/表5 "
            "(recomputed 0.387/0.402/0.476/0.534/0.592/0.646 vs printed "
            "0.35/0.40/0.49/0.57/0.70/0.75: only 2004 agrees).",
            "西部地区均值 is the mean of the 12 printed values (2016: 0.47 includes 重庆's 0.66); "
            "西部地区与全国差距 = 中国 − 西部地区均值.",
            "stage and type are printed for the west mean only; the seed appended '型' to the "
            "printed types (printed e.g. '中度失调') to match 表2.",
            "2002, 2006, 2010 and 2014 have no index values in 表4/表5 and cannot be checked.",
        ],
        "identities": [
            "west_mean = mean of the 12 provinces (±0.005)",
            "west_gap = national − west_mean (±0.005)",
            "provincial D = coupling of 表4/表5 in the overlap years (±0.005), except 重庆 2016",
            "west-mean stage/type = the class of its D (表2, corrected)",
        ],
    },
    "resilience_unit_root": {
        "article": "sun2020", "csv": "T_resilience_7.csv",
        "table": "表7 各变量单位根检验结果",
        "title": {"zh": "各变量面板单位根检验结果", "en": "Panel unit-root tests of log "
                                                          "resilience and log high quality"},
        "layout": "long",
        "layout_note": "One row per series × test (4 × 4): statistic and p (printed in "
                       "parentheses). The article prints tests as columns.",
        "key": ["series", "test"],
        "columns": {
            "series": _c("X (log resilience), Y (log high quality), DX, DY (first differences)",
                         seed="series"),
            "variable": _c("LNERI or LNHQE", derive=lambda r: "LNHQE" if "Y" in r["series"]
                           else "LNERI", origin="derived"),
            "form": _c("水平 (levels) or 一阶差分 (first difference)", seed="form"),
            "test": _c("LLC, IPS, ADF-Fisher or PP-Fisher", seed="test"),
            "statistic": _c("test statistic", "float", seed="statistic"),
            "p": _c("p value (printed in parentheses)", "float", seed="p"),
        },
        "caveats": [
            "X = ln ERI and Y = ln HQE, 12 western provinces 2000–2019 (text).",
            "Table note: p ≤ 0.10 read as stationary. X in levels has ADF/PP-Fisher p = 0.001 "
            "although the text calls the levels non-stationary.",
            "Statistics and p values are not mutually consistent under a standard-normal "
            "reading (e.g. IPS X −2.872 with p 1.000; ADF-Fisher Y −2.365 with p 1.000), and "
            "Fisher statistics are usually χ² (positive): the statistic types are unclear. "
            "Kept as printed.",
        ],
        "identities": [],
    },
    "resilience_cointegration": {
        "article": "sun2020", "csv": "T_resilience_8.csv",
        "table": "表8 各变量协整检验结果",
        "title": {"zh": "各变量面板协整检验结果（Pedroni、Kao）",
                  "en": "Panel cointegration tests (Pedroni, Kao)"},
        "layout": "long",
        "layout_note": "One row per test × specification (4 × 2 Pedroni + Kao).",
        "key": ["test", "specification"],
        "columns": {
            "test": _c("Panel PP, Panel ADF, Group PP, Group ADF or Kao ADF", seed="test"),
            "specification": _c("常数项 (constant) or 常数项与趋势项 (constant and trend); empty "
                                "for Kao ADF (one value printed)",
                                derive=lambda r: "" if r["specification"] == "(single value)"
                                else r["specification"]),
            "statistic": _c("test statistic", "float", seed="statistic"),
            "p": _c("p value (printed in parentheses)", "float", seed="p"),
        },
        "caveats": [
            "Lag order 1 (note printed above the table).",
            "Group PP (constant) is printed with 6 decimals (-3.436237).",
            "Several p values do not match a standard-normal reading of their statistics "
            "(Panel PP trend −1.982 p 0.001, normal 0.024; Group PP trend −4.867 p 0.02; Group "
            "ADF constant −1.991 p 0.001, normal 0.023). Kao ADF 2.605 p 0.005 matches the "
            "upper normal tail. Kept as printed.",
        ],
        "identities": [],
    },
    "resilience_granger": {
        "article": "sun2020", "csv": "T_resilience_9.csv",
        "table": "表9 各变量格兰杰因果检验结果",
        "title": {"zh": "经济韧性与经济高质量发展的面板格兰杰因果检验（滞后1—4期）",
                  "en": "Panel Granger causality between resilience and high quality, lags "
                        "1–4"},
        "layout": "long",
        "layout_note": "One row per null hypothesis × lag (2 × 4). The article prints lags as "
                       "rows and the two hypotheses as columns.",
        "key": ["null_hypothesis", "lag"],
        "columns": {
            "null_hypothesis": _c("原假设 as printed", seed="null_hypothesis"),
            "cause": _c("ERI or HQE: the variable whose non-causality is tested",
                        derive=lambda r: "ERI" if r["null_hypothesis"].startswith("经济韧性")
                        else "HQE", origin="derived"),
            "effect": _c("HQE or ERI", derive=lambda r: "HQE" if r["null_hypothesis"]
                         .startswith("经济韧性") else "ERI", origin="derived"),
            "lag": _c("lag order", "int", seed="lag"),
            "statistic": _c("test statistic (type not stated)", "float", seed="statistic"),
            "p": _c("p value (printed in parentheses)", "float", seed="p"),
        },
        "caveats": [
            "The statistic is not named; every printed p equals the two-sided standard-normal "
            "p of the statistic (1.246 → 0.213, 1.253 → 0.210, 2.606 → 0.009, 2.749 → 0.006), "
            "as for the Dumitrescu–Hurlin Z-bar statistic.",
            "The text (source lines 4829–4842) says row 1 'cannot reject' (不能拒绝) although "
            "p = 0.000: a wording error; values as printed.",
        ],
        "identities": ["p = 2(1 − Φ(|statistic|)) to the printed 3 decimals"],
    },
    "resilience_lsdv": {
        "article": "sun2020", "csv": "T_resilience_10.csv",
        "table": "表10 各变量检验结果",
        "title": {"zh": "经济韧性与经济高质量发展的双向固定效应（LSDV）回归",
                  "en": "Two-way fixed-effects (LSDV) regressions in both directions"},
        "layout": "wide",
        "layout_note": "The article's layout: one row per regression (2), columns coefficient, "
                       "statistic, p and R-squared.",
        "key": ["regression"],
        "columns": {
            "regression": _c("回归模型 as printed", seed="regression"),
            "dependent": _c("LNHQE or LNERI", derive=lambda r: "LNHQE" if r["regression"]
                            .startswith("经济韧性对") else "LNERI", origin="derived"),
            "regressor": _c("LNERI or LNHQE", derive=lambda r: "LNERI" if r["regression"]
                            .startswith("经济韧性对") else "LNHQE", origin="derived"),
            "coefficient": _c("系数", "float", seed="coefficient"),
            "statistic": _c("统计量 (t, not named)", "float", seed="statistic"),
            "p": _c("P值", "float", seed="p"),
            "r_squared": _c("R-squared", "float", seed="r_squared"),
        },
        "caveats": [
            "LSDV two-way fixed effects per the text (source line 5054); controls, if any, are "
            "not stated.",
            "The statistic 8.479 of the first row equals the lag-2 Granger statistic of 表9; "
            "t = 4.061 with p = 0.005 is inconsistent for 240 observations (p ≈ 0.0001).",
        ],
        "identities": [],
    },
    "resilience_regressions": {
        "article": "sun2020", "csv": "T_resilience_11.csv",
        "table": "表11 经济韧性对于经济高质量发展的实证结果",
        "title": {"zh": "经济韧性对于经济高质量发展的实证结果（OLS、2SLS、FE、GMM）",
                  "en": "Effect of resilience on high-quality development: OLS, 2SLS, FE and "
                        "system GMM"},
        "layout": "wide",
        "layout_note": "The article's layout: one row per term (LNERI, LNPD, LNRE, LNBF, LNGC, "
                       "C, R2, F), per model three columns: the coefficient (<model>), its "
                       "stars (<model>_stars) and the parenthesised statistic (<model>_t). "
                       "Dependent variable LNHQE. R2 and F rows have no stars or t; GMM has "
                       "no F (NaN).",
        "key": ["term"],
        "rows": _regressions_wide,
        "columns": _regression_columns(),
        "seed_layout": "long (model, dependent, term, estimate, signif_stars, t_stat); pivoted "
                       "to the printed layout",
        "labels": {"LNHQE": "log high-quality development index (dependent)",
                   "LNERI": "log economic resilience index",
                   "LNPD": "log population density (population / land area)",
                   "LNRE": "log resource endowment (mining FAI / total FAI)",
                   "LNBF": "log traditional infrastructure (railway length)",
                   "LNGC": "log government competition (local fiscal revenue)",
                   "C": "constant"},
        "text_statistics": {
            "about": "Numbers quoted in the text (source lines 5072–5087), not in the table.",
            "instruments": "distance of the provincial capital to 西安 (大地原点); lagged LNERI",
            "overidentification_chi2": "0.36", "overidentification_p": "0.65",
            "first_stage_r2": "0.85", "first_stage_f": "159", "hausman": "9.78",
        },
        "caveats": [
            "The parenthesised values are not labelled in the article; read as t statistics.",
            "Stars often disagree with the printed t (e.g. FE LNPD 0.365*** with t 1.03; FE "
            "LNBF 0.122** with t 1.01): copied as printed, do not use the stars.",
            "OLS and 2SLS print identical LNBF (0.0715) and LNGC (0.0173) coefficients; the "
            "2SLS R2/F (0.85, 159.12) equal the first-stage statistics quoted in the text.",
            "表12 model 1 and 表13 model 1 repeat the FE column verbatim (not embedded).",
        ],
        "identities": [],
    },
    # 何振立: DEA of financial poverty alleviation ---------------------------------------------
    "finpoverty_indicators": {
        "article": "he2020", "csv": "T_finpoverty_1.csv",
        "table": "表1 中国金融扶贫效率DEA评价指标体系",
        "title": {"zh": "中国金融扶贫效率DEA评价指标体系",
                  "en": "DEA inputs and outputs of financial poverty-alleviation efficiency"},
        "layout": "wide",
        "layout_note": "One row per indicator (3 inputs, 3 outputs), in print order.",
        "key": ["indicator"],
        "columns": {
            "type": _c("投入指标 (input) or 产出指标 (output)", seed="type"),
            "role": _c("input or output", derive=_lookup("type", {"投入指标": "input",
                                                                 "产出指标": "output"}),
                       origin="derived"),
            "indicator": _c("indicator as printed", seed="indicator"),
            "unit": _c("unit as printed", seed="unit"),
            "meaning": _c("指标含义 as printed", seed="meaning"),
        },
        "caveats": [
            "Input-oriented DEA-BCC with the 31 provinces as DMUs, 2012–2018; the scores are "
            "period means (表2). The yearly data are not in the issue.",
        ],
        "identities": [],
    },
    "finpoverty_regional_means": {
        "article": "he2020", "csv": "T_finpoverty_2.csv",
        "table": "表2 2012—2018年中国金融扶贫DEA评价效率",
        "title": {"zh": "2012—2018年中国金融扶贫DEA评价效率（全国及区域均值行）",
                  "en": "DEA efficiencies of financial poverty alleviation: the printed "
                        "national and regional mean rows"},
        "layout": "wide",
        "layout_note": "The 7 mean rows of 表2 as printed (全国, 南方/北方地区, 东部/中部/西部/"
                       "东北地区), the three efficiencies as columns. The 31 provincial rows are "
                       "dataset 'finpoverty_dea'.",
        "key": ["group"],
        "seed_filter": {"level": "aggregate_mean"},
        "columns": {
            "group": _c("row label as printed", seed="unit"),
            **{key: _c(f"{zh}: {en}, mean 2012–2018", "float", seed=col, unit=EFFICIENCY)
               for key, (col, zh, en) in FINPOVERTY_EFFICIENCIES.items()},
        },
        "groups": {"全国": NATION,
                   "南方地区": {"scheme": "south_north", "region": "南方"},
                   "北方地区": {"scheme": "south_north", "region": "北方"},
                   "东部地区": {"scheme": "nbs4", "region": "东部"},
                   "中部地区": {"scheme": "nbs4", "region": "中部"},
                   "西部地区": {"scheme": "nbs4", "region": "西部"},
                   "东北地区": {"scheme": "nbs4", "region": "东北"}},
        "caveats": [
            "Simple means of the provincial rows (dataset 'finpoverty_dea'). 全国, 南方, 北方 "
            "and 西部 reproduce to half a unit in the 4th decimal.",
            "Printed 东部 te_crs 0.7821 and 东北 0.7656 are likely misprints (means of the "
            "provinces 0.7621 and 0.7856; the text's ranking 西 > 中 > 东 > 东北 depends on "
            "them); 中部 te_crs 0.8545 vs 0.8549; 东部 se 0.8106 vs 0.81066.",
            "南方/北方 membership is not stated; the Qinling–Huaihe split (regions('south_north'),"
            " inferred) reproduces the printed means exactly.",
            "te_crs != pte_vrs × se, in the provincial rows as in these means: the printed "
            "table is internally inconsistent.",
        ],
        "identities": ["全国/南方/北方/西部 = means of the provincial rows (±0.00005)"],
    },
}


def _seed_index(seed: Path) -> dict[str, dict[str, str]]:
    """The rows of the seed's ``tables/INDEX.md``, by CSV name."""
    fields = ["file", "article", "table", "source_lines", "shape", "numeric", "note"]
    out: dict[str, dict[str, str]] = {}
    for line in (seed / SEED_INDEX).read_text(encoding="utf-8").splitlines():
        if not line.startswith("| T_"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        assert len(cells) == len(fields), f"INDEX.md: unexpected row {line[:60]!r}"
        out[cells[0]] = dict(zip(fields, cells, strict=True))
    return out


def _printed_rows(spec: dict[str, Any], seed_rows: list[dict[str, str]]) -> list[PrintedRow]:
    if "rows" in spec:
        return spec["rows"](seed_rows)
    keep = spec.get("seed_filter", {})
    rows = []
    for r in seed_rows:
        if any(r[col] != value for col, value in keep.items()):
            continue
        rows.append({col: (r[c["seed"]] if c["seed"] else c["derive"](r))
                     for col, c in spec["columns"].items()})
    return rows


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_printed(name: str, spec: dict[str, Any], rows: list[PrintedRow]) -> None:
    columns = spec["columns"]
    keys = [tuple(r[k] for k in spec["key"]) for r in rows]
    assert len(set(keys)) == len(keys), f"{name}: duplicate key {spec['key']}"
    assert all(key[0] != "" for key in keys), f"{name}: empty {spec['key'][0]}"
    for col, c in columns.items():
        values = [r[col] for r in rows]
        if c["dtype"] in ("int", "float"):
            filled = [v for v in values if v != ""]
            if c["dtype"] == "int":
                assert len(filled) == len(values), f"{name}.{col}: empty integer cell"
                assert all(v.lstrip("-").isdigit() for v in values), f"{name}.{col}"
            else:
                assert all(_is_number(v) for v in filled), f"{name}.{col}: not a number"
        if c["dtype"] == "Int64":
            assert all(v == "" or v.isdigit() for v in values), f"{name}.{col}"
    if "adcode" in columns:  # every province row maps to a province code
        provinces = [r for r in rows if r.get("level", "province") == "province"]
        assert provinces and all(r["adcode"] for r in provinces), f"{name}: unmapped province"
        others = [r for r in rows if r.get("level", "province") != "province"]
        assert all(r["adcode"] == "" for r in others), f"{name}: adcode on an aggregate row"


def _printed_metadata(name: str, spec: dict[str, Any], rows: list[PrintedRow], seed: Path,
                      index_row: dict[str, str]) -> dict[str, Any]:
    csv_name = spec["csv"]
    number = int(spec["table"].split()[0].removeprefix("表"))
    columns = {}
    for col, c in spec["columns"].items():
        entry: dict[str, Any] = {"description": c["description"], "dtype": c["dtype"],
                                 "origin": c["origin"]}
        if c["unit"]:
            entry["unit"] = c["unit"]
        if c["seed"]:
            entry["seed_column"] = c["seed"]
        columns[col] = entry
    meta: dict[str, Any] = {
        "file": f"{PRINTED_PREFIX}{name}.csv",
        "title": spec["title"],
        "article": {**ARTICLES[spec["article"]], **JOURNAL},
        "table": spec["table"],
        "table_number": number,
        "source": {
            "seed_text": SEED_TEXT,
            "tables": [{"csv": csv_name, "source_lines": index_row["source_lines"],
                        "sha256": _sha256(seed / csv_name)}],
            "seed_index_note": index_row["note"],
            "built_by": "geodata/build_datasets.py",
        },
        "layout": spec["layout"],
        "layout_note": spec["layout_note"],
        "key": spec["key"],
        "n_rows": len(rows),
        "columns": columns,
    }
    for extra in ("seed_filter", "seed_layout", "dropped", "groups", "labels", "categories",
                  "factors", "text_statistics"):
        if extra in spec:
            meta[extra] = spec[extra]
    meta["caveats"] = spec["caveats"]
    meta["identities"] = spec["identities"]
    return meta


def build_printed(seed: Path = DEFAULT_SEED, out: Path = DEFAULT_OUT) -> dict[str, Any]:
    """Write ``printed_<name>.csv`` for every printed table and ``printed.json``; return the
    index."""
    seed_index = _seed_index(seed)
    text_file = seed.parent / SEED_TEXT_FILE
    source_lines = ({line.strip() for line in text_file.read_text(encoding="utf-8").splitlines()}
                    if text_file.is_file() else None)
    out.mkdir(parents=True, exist_ok=True)
    index: dict[str, Any] = {}
    for name, spec in PRINTED.items():
        index_row = seed_index[spec["csv"]]
        # the caption as printed: a line of the source text, and how INDEX.md starts its entry
        assert index_row["table"].startswith(spec["table"]), (name, index_row["table"])
        assert source_lines is None or spec["table"] in source_lines, name
        seed_rows = _read(seed / spec["csv"])
        n_seed = int(index_row["shape"].split(" x ")[0])
        assert len(seed_rows) == n_seed, f"{name}: {len(seed_rows)} seed rows, INDEX {n_seed}"
        rows = _printed_rows(spec, seed_rows)
        _check_printed(name, spec, rows)
        with (out / f"{PRINTED_PREFIX}{name}.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(list(spec["columns"]))
            writer.writerows([r[col] for col in spec["columns"]] for r in rows)
        index[name] = _printed_metadata(name, spec, rows, seed, index_row)
    text = json.dumps({"printed": index}, ensure_ascii=False, indent=2) + "\n"
    (out / PRINTED_INDEX).write_text(text, encoding="utf-8")
    return index


def build(seed: Path = DEFAULT_SEED, out: Path = DEFAULT_OUT) -> dict[str, Any]:
    """Write ``<name>.csv`` for every dataset and ``index.json`` into ``out``, then the printed
    tables (:func:`build_printed`); return the datasets' index."""
    adcodes = _short_to_adcode()
    out.mkdir(parents=True, exist_ok=True)
    index: dict[str, Any] = {}
    for name, spec in SPECS.items():
        extract: Callable[[Path], tuple[Rows, Aggregates]] = spec["extract"]
        rows, aggregates = extract(seed)
        unknown = sorted({p for p, _, _, _ in rows if p not in adcodes})
        assert not unknown, f"{name}: province names without an adcode: {unknown}"
        keyed = [(adcodes[p], year, var, value) for p, year, var, value in rows]
        keys = [k[:3] for k in keyed]
        assert len(set(keys)) == len(keys), f"{name}: duplicate (adcode, year, variable)"
        assert all(v != "" for *_, v in keyed), f"{name}: empty value"
        order = {var: i for i, var in enumerate(dict.fromkeys(var for _, _, var, _ in rows))}
        keyed.sort(key=lambda r: (order[r[2]], r[0], r[1]))  # variable, province, year
        with (out / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["adcode", "year", "variable", "value"])
            writer.writerows(keyed)
        index[name] = _metadata(name, spec, rows, aggregates, seed)
    text = json.dumps({"datasets": index}, ensure_ascii=False, indent=2) + "\n"
    (out / "index.json").write_text(text, encoding="utf-8")
    build_printed(seed, out)
    return index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=Path, default=DEFAULT_SEED, help="seed tables folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args()
    index = build(args.seed, args.out)
    for name, meta in index.items():
        print(f"{name}: {meta['n_provinces']} provinces, years {meta['years']}")
    for name, meta in json.loads((args.out / PRINTED_INDEX).read_text(encoding="utf-8"))[
            "printed"].items():
        print(f"printed {name}: {meta['table']} ({meta['n_rows']} rows, {meta['layout']})")


if __name__ == "__main__":
    main()
