"""Build the embedded study datasets (``geodata/datasets/``) from the seed tables. Dev-only.

The package never reads the seed at run time: this script copies the few tables the workflow
needs into tidy CSVs (``adcode, year, variable, value``) and writes their metadata, with the
provenance (seed file, its SHA-256, source lines, caveats from ``tables/INDEX.md``) into
``index.json``. Printed cells are copied as text, so no float round-trip changes a digit.

Usage (from the repository root)::

    python geodata/build_datasets.py [--seed ../shared/seed/tables] [--out geodata/datasets]
"""

from __future__ import annotations

import argparse
import csv
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


def build(seed: Path = DEFAULT_SEED, out: Path = DEFAULT_OUT) -> dict[str, Any]:
    """Write ``<name>.csv`` for every dataset and ``index.json`` into ``out``; return the index."""
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
    return index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=Path, default=DEFAULT_SEED, help="seed tables folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args()
    index = build(args.seed, args.out)
    for name, meta in index.items():
        print(f"{name}: {meta['n_provinces']} provinces, years {meta['years']}")


if __name__ == "__main__":
    main()
