"""Theil T/L with decomposition, Gini, CV and regional means (spatialecon.inequality).

Reference values: PySAL ``inequality`` on its Mexico example (the 32 states' per-capita GDP
1940–2000 that libpysal ships; documented values from the docstrings of
``inequality.theil.Theil`` and ``TheilD``), the package itself where installed, scipy, brute-force
formulas written out in the tests, and the regional means printed by 何振立 (2020, 区域经济评论
No. 5, 表2) for the embedded ``finpoverty_dea`` dataset.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import libpysal
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spatialecon import datasets
from spatialecon import inequality as ineq
from spatialecon.validation import NonFiniteError

DECADES = [f"pcgdp{y}" for y in range(1940, 2010, 10)]
# inequality.theil.Theil / TheilD docstrings (PySAL inequality 1.x): mexico.csv, regimes hanson98
DOC_T = [0.20894344, 0.15222451, 0.10472941, 0.10194725, 0.09560113, 0.10511256, 0.10660832]
DOC_BETWEEN = [0.0345889, 0.02816853, 0.05260921, 0.05931219, 0.03205257, 0.02963731,
               0.03635872]
DOC_WITHIN = [0.17435454, 0.12405598, 0.0521202, 0.04263506, 0.06354856, 0.07547525, 0.0702496]


@pytest.fixture(scope="module")
def mexico() -> pd.DataFrame:
    return pd.read_csv(libpysal.examples.get_path("mexico.csv")).set_index("State")


def test_theil_matches_the_documented_mexico_values(mexico: pd.DataFrame) -> None:
    result = ineq.theil(mexico[DECADES], mexico["hanson98"])
    np.testing.assert_allclose(result.T.to_numpy(), DOC_T, atol=5e-9)
    np.testing.assert_allclose(result.between.to_numpy(), DOC_BETWEEN, atol=5e-9)
    np.testing.assert_allclose(result.within.to_numpy(), DOC_WITHIN, atol=5e-9)
    assert list(result.T.index) == DECADES  # no year level for cross-sections
    one = ineq.theil(mexico["pcgdp1940"])
    total = one["T"]  # also one.T
    assert total == pytest.approx(DOC_T[0], abs=5e-9) and one.between == 0
    assert total == one.T and one["within"] == total


def test_theil_equals_the_inequality_package(mexico: pd.DataFrame) -> None:
    theil_mod = pytest.importorskip("inequality.theil")
    y = mexico[DECADES].to_numpy()
    for scheme in ["hanson98", "hanson03", "inegi", "esquivel99"]:
        ours = ineq.theil(mexico[DECADES], mexico[scheme])
        theirs = theil_mod.TheilD(y, mexico[scheme].to_numpy())
        np.testing.assert_allclose(ours.T.to_numpy(), theil_mod.Theil(y).T, rtol=1e-12)
        np.testing.assert_allclose(ours.between.to_numpy(), theirs.bg, rtol=1e-10)
        np.testing.assert_allclose(ours.within.to_numpy(), theirs.wg, rtol=1e-10)


@pytest.mark.parametrize("index", ["T", "L"])
def test_decomposition_identity(mexico: pd.DataFrame, index: str) -> None:
    result = ineq.theil(mexico[DECADES], mexico["inegi"], index=index)
    groups = result.groups.groupby("variable", sort=False)
    np.testing.assert_allclose(groups["contribution"].sum().loc[DECADES], result.within)
    np.testing.assert_allclose(result.between + result.within, result.T, rtol=1e-12)
    pct = groups["contribution_pct"].sum() + result.summary["between_pct"]
    np.testing.assert_allclose(pct.loc[DECADES], 100)
    np.testing.assert_allclose(groups["weight"].sum(), 1)
    # brute force for one decade: the within-group indices of the definition
    y, g = mexico["pcgdp1980"], mexico["inegi"]
    for label, members in y.groupby(g):
        own = _brute_theil(members.to_numpy(), np.ones(len(members)), index)
        row = result.groups[(result.groups["variable"] == "pcgdp1980")
                            & (result.groups["group"] == label)]
        assert row["theil"].item() == pytest.approx(own, rel=1e-12)


def _brute_theil(y: np.ndarray, n: np.ndarray, index: str) -> float:
    """Theil T or L of units with weights n, written as the textbook sums."""
    mean, total = (n * y).sum() / n.sum(), n.sum()
    pairs = list(zip(y, n, strict=True))
    if index == "T":
        return sum(ni / total * yi / mean * math.log(yi / mean) for yi, ni in pairs)
    return sum(ni / total * math.log(mean / yi) for yi, ni in pairs)


@pytest.mark.parametrize("index", ["T", "L"])
def test_population_weights_equal_replicated_units(index: str) -> None:
    rng = np.random.default_rng(7)
    y = pd.Series(rng.uniform(1, 9, 12), index=range(110000, 110012))
    pop = pd.Series(rng.integers(1, 6, 12), index=y.index)
    groups = pd.Series(list("aaabbbbcccdd"), index=y.index)
    weighted = ineq.theil(y, groups, weights=pop, index=index)
    # a unit with population k is k units with the same value
    reps = np.repeat(np.arange(12), pop.to_numpy())
    flat = ineq.theil(pd.Series(y.to_numpy()[reps]), groups.to_numpy()[reps], index=index)
    total = weighted["T"]
    assert total == pytest.approx(flat["T"], rel=1e-12)
    assert weighted.between == pytest.approx(flat.between, rel=1e-12)
    assert total == pytest.approx(_brute_theil(y.to_numpy(), pop.to_numpy(), index))
    assert weighted.conventions["weights"].startswith("population")
    assert ineq.gini(y, weights=pop) == pytest.approx(ineq.gini(y.to_numpy()[reps]))
    assert ineq.coefficient_of_variation(y, weights=pop) == pytest.approx(
        ineq.coefficient_of_variation(y.to_numpy()[reps]))


def test_theil_l_against_atkinson(mexico: pd.DataFrame) -> None:
    atkinson = pytest.importorskip("inequality.atkinson")
    ours = ineq.theil(mexico[DECADES], index="L").T
    for decade in DECADES:
        # Atkinson's index with ε = 1 is 1 − geometric/arithmetic mean = 1 − exp(−L)
        a1 = atkinson.atkinson(mexico[decade].to_numpy(), 1)
        assert ours[decade] == pytest.approx(-math.log(1 - a1), rel=1e-10)


def test_gini_equals_the_pairwise_sum(mexico: pd.DataFrame) -> None:
    ours = ineq.gini(mexico[DECADES])
    for decade in DECADES:
        y = mexico[decade].to_numpy()
        pairwise = sum(abs(a - b) for a, b in itertools.product(y, y)) / (2 * len(y) ** 2
                                                                          * y.mean())
        assert ours[decade] == pytest.approx(pairwise, rel=1e-12)
    n = len(mexico)
    assert ineq.gini(mexico["pcgdp1940"], small_sample=True) == pytest.approx(
        ours["pcgdp1940"] * n / (n - 1))


def test_gini_equals_the_inequality_package(mexico: pd.DataFrame) -> None:
    gini_mod = pytest.importorskip("inequality.gini")
    ours = ineq.gini(mexico[DECADES])
    for decade in DECADES:
        assert ours[decade] == pytest.approx(gini_mod.Gini(mexico[decade].to_numpy()).g,
                                             rel=1e-12)


def test_coefficient_of_variation_against_scipy(mexico: pd.DataFrame) -> None:
    for ddof in (0, 1):
        ours = ineq.coefficient_of_variation(mexico[DECADES], ddof=ddof)
        np.testing.assert_allclose(ours.to_numpy(),
                                   stats.variation(mexico[DECADES].to_numpy(), ddof=ddof))


def test_panels_are_computed_per_variable_and_year() -> None:
    panel = datasets.load("west_resilience")
    panel = panel[panel["variable"].isin(["resilience_index", "hq_index"])]
    result = ineq.theil(panel, "nw_sw")
    assert result.T.index.names == ["variable", "year"] and len(result.T) == 12
    one = panel[(panel["variable"] == "hq_index") & (panel["year"] == 2012)]
    alone = ineq.theil(one.set_index("adcode")["value"], "nw_sw")
    assert result.T[("hq_index", 2012)] == pytest.approx(alone.T, rel=1e-12)
    assert result.between[("hq_index", 2012)] == pytest.approx(alone.between, rel=1e-12)
    gini = ineq.gini(panel)
    assert gini.index.names == ["variable", "year"]


# ─────────────────────────────────────────────────────────────────────────────────────────────
# The seed: regional means of the DEA efficiencies and the Theil table layout
# ─────────────────────────────────────────────────────────────────────────────────────────────

PRINTED_4DP = 5e-5 + 1e-12  # half a unit in the 4th decimal (means printed to 4 decimals)
# 何振立 (2020) 表2 means that do not reproduce (geodata/datasets/index.json caveats): printed
# value, mean of the printed provinces. 东部/东北 te_crs swap a digit; 中部 te_crs and 东部 se are
# off in the last digit.
MISPRINTS = {("东部", "te_crs"): (0.7821, 0.7621), ("东北", "te_crs"): (0.7656, 0.7856),
             ("中部", "te_crs"): (0.8545, 0.8549), ("东部", "se"): (0.8106, 0.81066)}


def test_regional_means_reproduce_the_printed_dea_means() -> None:
    panel = datasets.load("finpoverty_dea")
    printed = datasets.describe("finpoverty_dea")["printed_aggregates"]
    for scheme in ("south_north", "nbs4"):
        means = ineq.regional_means(panel, scheme).set_index(["region", "variable"])["value"]
        for region in means.index.get_level_values("region").unique():
            label = region + ("地区" if region != "全国" else "")
            for variable in ("te_crs", "pte_vrs", "se"):
                expected = printed[label][variable]["2018"]
                got = means[(region, variable)]
                if (region, variable) in MISPRINTS:
                    printed_value, computed = MISPRINTS[(region, variable)]
                    assert expected == printed_value
                    assert abs(got - computed) <= PRINTED_4DP
                    assert abs(got - printed_value) > PRINTED_4DP
                else:
                    assert abs(got - expected) <= PRINTED_4DP, (region, variable)
    # the Theil group table carries the same regional means
    theil = ineq.theil(panel, "nbs4")
    west = theil.groups[(theil.groups["group"] == "西部") & (theil.groups["variable"] == "se")]
    assert abs(west["mean"].item() - printed["西部地区"]["se"]["2018"]) <= PRINTED_4DP
    assert theil.conventions["scheme"] == "nbs4"


def test_table_has_the_layout_of_the_seed(seed_tables: Path) -> None:
    seed = pd.read_csv(seed_tables / "T_urbanquality_2.csv")
    panel = datasets.load("finpoverty_dea")
    table = ineq.theil(panel[panel["variable"] == "te_crs"], "belts3").table()
    assert list(table.columns) == list(seed.columns)  # year, group, statistic, value
    assert set(table["statistic"]) == set(seed["statistic"])
    decomposition = set(seed["group"]) - {"东部地区", "中部地区", "西部地区"}
    assert decomposition <= set(table["group"])  # 总体, 区域内, 区域间
    pct = table[table["statistic"] == "contribution_pct"].set_index("group")["value"]
    assert pct[["东部", "中部", "西部"]].sum() == pytest.approx(pct["区域内"])
    assert pct["区域内"] + pct["区域间"] == pytest.approx(100)


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Bad input
# ─────────────────────────────────────────────────────────────────────────────────────────────


def test_bad_input_names_the_units() -> None:
    y = pd.Series([1.0, 2.0, -3.0], index=[110000, 120000, 130000])
    with pytest.raises(ineq.InequalityError, match="negative values for 130000"):
        ineq.theil(y)
    with pytest.raises(ineq.InequalityError, match=r"zero values for 120000.*Theil L"):
        ineq.theil(y.abs().where(y.index != 120000, 0.0), index="L")
    with_zero = ineq.theil(pd.Series([0.0, 1.0, 1.0]))["T"]  # 0 · ln 0 = 0 under Theil T
    assert with_zero == pytest.approx(math.log(3 / 2))
    with pytest.raises(NonFiniteError, match="NaN at 120000"):
        ineq.theil(y.abs().where(y.index != 120000))
    # An infinity (a ratio with a zero denominator) is refused alike, not T = NaN.
    with pytest.raises(NonFiniteError, match=r"\+inf at 130000"):
        ineq.theil(y.abs().where(y.index != 130000, np.inf), groups="nbs4")
    panel = datasets.load("finpoverty_dea")
    with pytest.raises(ineq.InequalityError, match="belong to no group: 540000"):
        ineq.theil(panel, "liu2020_4region")
    with pytest.raises(ineq.InequalityError, match=r"no valid .*weight for 130000"):
        ineq.theil(y.abs(), weights=pd.Series({110000: 1.0, 120000: 2.0}))
