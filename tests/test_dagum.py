"""Dagum's (1997) Gini decomposition (spatialecon.inequality.dagum_gini).

Reference values, all independent of the module's sorted-prefix-sum algorithm:

- a brute-force implementation written here from Dagum's formulas (every pair of units by
  broadcasting, the transvariation moments ``d_jh``/``p_jh`` as sums over all pairs, groups
  ordered by mean explicitly), with and without frequency weights;
- the same formulas in exact rational arithmetic (``fractions.Fraction``) on a small worked
  example, and the data with each unit repeated ``w_i`` times for integer weights;
- the Gini mean difference over all pairs / (2μ), PySAL's ``inequality.gini.Gini`` and
  ``spatialecon.inequality.gini``;
- two identities: ``G = Σ_j Σ_h G_jh p_j s_h`` (Dagum 1997) and
  ``G_nb = Σ_{j>h} p_j p_h (μ_j − μ_h) / μ`` — the Gini of the group means, the between term of
  Bhattacharya & Mahalanobis (1967), since ``d_jh − p_jh = μ_j − μ_h`` — computed here without
  ``D_jh``.

No published decomposition of a small data set could be reproduced offline: the one candidate
found (the README of github.com/ObbaLX/Dagum-Gini) prints a table that its own example data do
not give (its 2011 overall Gini reads 0.2344; the Gini mean difference of its 2011 data is
0.1076), so the rational worked example and the two identities stand in for it.
"""

from __future__ import annotations

import itertools
import zlib
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from spatialecon import inequality as ineq
from spatialecon.inequality import InequalityError, InequalityWarning, dagum_gini
from spatialecon.validation import NonFiniteError

TOL = 1e-12


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Brute force: Dagum (1997) over all pairs, O(n²)
# ─────────────────────────────────────────────────────────────────────────────────────────────


def brute(y: np.ndarray, labels: np.ndarray, w: np.ndarray | None = None) -> dict:
    """Every component from the formulas, summing over all pairs of units."""
    y = np.asarray(y, dtype=float)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=float)
    order = list(dict.fromkeys(labels))
    n, mu = w.sum(), (w * y).sum() / w.sum()
    G = (np.outer(w, w) * np.abs(y[:, None] - y[None, :])).sum() / (2 * n**2 * mu)
    part = {g: (y[labels == g], w[labels == g]) for g in order}
    nj = {g: part[g][1].sum() for g in order}
    mj = {g: (part[g][0] * part[g][1]).sum() / nj[g] for g in order}
    p = {g: nj[g] / n for g in order}
    s = {g: nj[g] * mj[g] / (n * mu) for g in order}

    def pairsum(a, wa, b, wb, f):
        return (np.outer(wa, wb) * f(a[:, None] - b[None, :])).sum()

    Gjh = pd.DataFrame(0.0, index=order, columns=order)
    D = pd.DataFrame(0.0, index=order, columns=order)
    for j, h in itertools.product(order, order):
        (a, wa), (b, wb) = part[j], part[h]
        if j == h:
            Gjh.loc[j, j] = pairsum(a, wa, a, wa, np.abs) / (2 * nj[j] ** 2 * mj[j])
            continue
        Gjh.loc[j, h] = pairsum(a, wa, b, wb, np.abs) / (nj[j] * nj[h] * (mj[j] + mj[h]))
        # order the pair so that the first group has the larger mean
        (hi, whi), (lo, wlo) = ((a, wa), (b, wb)) if mj[j] >= mj[h] else ((b, wb), (a, wa))
        d = pairsum(hi, whi, lo, wlo, lambda x: np.maximum(x, 0)) / (nj[j] * nj[h])
        pt = pairsum(lo, wlo, hi, whi, lambda x: np.maximum(x, 0)) / (nj[j] * nj[h])
        D.loc[j, h] = (d - pt) / (d + pt)
    Gw = sum(Gjh.loc[j, j] * p[j] * s[j] for j in order)
    by_mean = sorted(order, key=lambda g: mj[g])  # Dagum sums j = 2..k, h = 1..j−1
    Gnb = Gt = 0.0
    for a_pos, j in enumerate(by_mean):
        for h in by_mean[:a_pos]:
            weight = Gjh.loc[j, h] * (p[j] * s[h] + p[h] * s[j])
            Gnb += weight * D.loc[j, h]
            Gt += weight * (1 - D.loc[j, h])
    return {"G": G, "Gw": Gw, "Gnb": Gnb, "Gt": Gt, "Gjh": Gjh, "D": D,
            "means": pd.Series(mj), "p": pd.Series(p), "s": pd.Series(s)}


def _case(name: str) -> tuple[pd.Series, pd.Series]:
    """Values by unit and their groups; several group structures."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    if name == "equal sizes":
        sizes = [12, 12, 12]
    elif name == "unequal sizes":
        sizes = [2, 7, 40, 3]
    elif name == "ties":
        sizes = [9, 15, 6]
    elif name == "eight regions":
        sizes = list(rng.integers(3, 30, 8))
    else:  # "overlapping means": two groups of the same mean
        sizes = [10, 10, 5]
    labels = np.repeat([f"g{i}" for i in range(len(sizes))], sizes)
    if name == "ties":
        y = rng.integers(0, 6, labels.size).astype(float)  # many ties within and across groups
    elif name == "overlapping means":
        y = np.concatenate([np.arange(1, 11.0), np.arange(10, 0, -1.0), rng.gamma(2, 3, 5)])
    else:
        shift = {g: i for i, g in enumerate(dict.fromkeys(labels))}
        y = rng.lognormal(0, 0.6, labels.size) * (1 + np.array([shift[g] for g in labels]))
    units = np.arange(100001, 100001 + labels.size)
    return pd.Series(y, index=pd.Index(units, name="adcode")), pd.Series(labels, index=units)


CASES = ["equal sizes", "unequal sizes", "ties", "eight regions", "overlapping means"]


def _check_against(result, ref) -> None:
    assert result.gini == pytest.approx(ref["G"], abs=TOL)
    assert result.within == pytest.approx(ref["Gw"], abs=TOL)
    assert result.between == pytest.approx(ref["Gnb"], abs=TOL)
    assert result.transvariation == pytest.approx(ref["Gt"], abs=TOL)
    order = list(ref["Gjh"].index)
    pair = result.pair_gini.loc[order, order].to_numpy()
    np.testing.assert_allclose(pair, ref["Gjh"].to_numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(result.group_gini[order].to_numpy(),
                               np.diag(ref["Gjh"].to_numpy()), rtol=0, atol=TOL)
    np.testing.assert_allclose(result.relative_effect.loc[order, order].to_numpy(),
                               ref["D"].to_numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(result.group_means[order].to_numpy(), ref["means"][order],
                               rtol=1e-14)
    np.testing.assert_allclose(result.group_shares.loc[order, "p"], ref["p"][order], atol=TOL)
    np.testing.assert_allclose(result.group_shares.loc[order, "s"], ref["s"][order], atol=TOL)


@pytest.mark.parametrize("name", CASES)
def test_every_component_equals_the_brute_force(name: str) -> None:
    values, groups = _case(name)
    result = dagum_gini(values, groups)
    _check_against(result, brute(values.to_numpy(), groups.to_numpy()))
    assert (result.pair_gini.to_numpy() == result.pair_gini.to_numpy().T).all()
    assert result.group_sizes.sum() == len(values)
    d = result.relative_effect.to_numpy()
    assert (d >= -TOL).all() and (d <= 1 + TOL).all()


@pytest.mark.parametrize("name", CASES)
def test_weighted_components_equal_the_weighted_brute_force(name: str) -> None:
    values, groups = _case(name)
    rng = np.random.default_rng(7)
    weights = pd.Series(rng.uniform(0.2, 50, len(values)), index=values.index)
    result = dagum_gini(values, groups, weights=weights)
    _check_against(result, brute(values.to_numpy(), groups.to_numpy(), weights.to_numpy()))
    # the overall G is the population-weighted Gini of spatialecon.inequality.gini
    assert result.gini == pytest.approx(ineq.gini(values, weights=weights), abs=TOL)
    assert "frequency weights" in result.conventions["weights"]


def test_integer_weights_equal_repeated_units() -> None:
    values, groups = _case("unequal sizes")
    reps = np.random.default_rng(3).integers(1, 6, len(values))
    weighted = dagum_gini(values, groups, weights=pd.Series(reps, index=values.index))
    y = np.repeat(values.to_numpy(), reps)
    labels = np.repeat(groups.to_numpy(), reps)
    repeated = dagum_gini(y, labels)  # a 1-D array with aligned labels
    for key in ("gini", "within", "between", "transvariation"):
        assert weighted[key] == pytest.approx(repeated[key], abs=TOL), key
    pd.testing.assert_frame_equal(weighted.pair_gini, repeated.pair_gini, rtol=0, atol=TOL)


@pytest.mark.parametrize("name", CASES)
def test_identity_and_the_overall_gini(name: str) -> None:
    gini_mod = pytest.importorskip("inequality.gini")
    values, groups = _case(name)
    r = dagum_gini(values, groups)
    assert r.within + r.between + r.transvariation == pytest.approx(r.gini, abs=TOL)
    assert r.gross_between == pytest.approx(r.between + r.transvariation, abs=TOL)
    assert r.shares.sum() == pytest.approx(1.0, abs=TOL)
    y = values.to_numpy()
    mean_difference = np.abs(y[:, None] - y[None, :]).mean()  # Gini's mean difference (with i = r)
    assert r.gini == pytest.approx(mean_difference / (2 * y.mean()), abs=TOL)
    assert r.gini == pytest.approx(gini_mod.Gini(y).g, abs=TOL)
    assert r.gini == pytest.approx(ineq.gini(values), abs=TOL)


@pytest.mark.parametrize("name", CASES)
def test_dagum_identities_without_the_relative_affluence(name: str) -> None:
    """G = Σ_j Σ_h G_jh p_j s_h and G_nb = Gini of the group means, written independently."""
    values, groups = _case(name)
    r = dagum_gini(values, groups)
    p, s = r.group_shares["p"], r.group_shares["s"]
    order = list(p.index)
    pair = r.pair_gini.loc[order, order].to_numpy()
    assert (pair * np.outer(p.to_numpy(), s.to_numpy())).sum() == pytest.approx(r.gini, abs=TOL)
    # between term of Bhattacharya & Mahalanobis: every unit given its group's mean
    y = values.to_numpy()
    means = pd.Series(y, index=groups.to_numpy()).groupby(level=0).mean()
    smoothed = means.reindex(groups.to_numpy()).to_numpy()
    bm = np.abs(smoothed[:, None] - smoothed[None, :]).sum() / (2 * len(y) ** 2 * y.mean())
    assert r.between == pytest.approx(bm, abs=TOL)


def test_a_worked_example_in_exact_arithmetic() -> None:
    """Seven units, three groups with overlapping ranges; every component as a fraction."""
    data = {"a": [1, 4, 6], "b": [2, 3], "c": [5, 9]}
    Fr = Fraction
    y = [Fr(v) for g in data for v in data[g]]
    n, mu = len(y), sum(y) / len(y)
    G = sum(abs(u - v) for u in y for v in y) / (2 * n * n * mu)
    mean = {g: Fr(sum(v), len(v)) for g, v in data.items()}
    p = {g: Fr(len(v), n) for g, v in data.items()}
    s = {g: len(v) * mean[g] / (n * mu) for g, v in data.items()}

    def gjh(j, h):
        total = sum(abs(Fr(u) - v) for u in data[j] for v in data[h])
        return total / (len(data[j]) * len(data[h]) * (mean[j] + mean[h]))

    Gw = sum(gjh(j, j) * p[j] * s[j] for j in data)
    Gnb = Gt = Fr(0)
    for j, h in itertools.combinations(data, 2):
        hi, lo = (j, h) if mean[j] >= mean[h] else (h, j)
        d = sum(max(Fr(u) - v, 0) for u in data[hi] for v in data[lo])
        t = sum(max(Fr(v) - u, 0) for u in data[hi] for v in data[lo])
        D = (d - t) / (d + t)
        weight = gjh(j, h) * (p[j] * s[h] + p[h] * s[j])
        Gnb += weight * D
        Gt += weight * (1 - D)
    assert Gw + Gnb + Gt == G  # exactly
    assert Fr(34, 105) == G  # Σ|y_i − y_r| over ordered pairs 136, n² = 49, μ = 30/7
    labels = np.repeat(list(data), [len(v) for v in data.values()])
    r = dagum_gini(np.array([float(v) for v in y]), labels)
    for ours, exact in [(r.gini, G), (r.within, Gw), (r.between, Gnb), (r.transvariation, Gt)]:
        assert ours == pytest.approx(float(exact), abs=1e-15)
    for j, h in itertools.product(data, data):
        assert r.pair_gini.loc[j, h] == pytest.approx(float(gjh(j, h)), abs=1e-15)


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Panels, tables, region schemes
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _panel(years=(2015, 2016, 2017)) -> tuple[pd.Series, pd.Series]:
    values, groups = _case("unequal sizes")
    rng = np.random.default_rng(11)
    parts = {year: values * rng.uniform(0.8, 1.3, len(values)) for year in years}
    panel = pd.concat(parts, names=["year"]).swaplevel().sort_index()
    panel.index.names = ["adcode", "year"]
    return panel.rename("gdp_pc"), groups


def test_a_panel_equals_its_cross_sections() -> None:
    panel, groups = _panel()
    r = dagum_gini(panel, groups)
    assert list(r.gini.index) == [2015, 2016, 2017] and r.gini.index.name == "year"
    for year in (2015, 2016, 2017):
        one = dagum_gini(panel.xs(year, level="year"), groups)
        for key in ("gini", "within", "between", "transvariation", "gross_between"):
            assert r[key][year] == pytest.approx(one[key], abs=TOL), (key, year)
        pd.testing.assert_series_equal(r.group_gini.xs(year, level="year"), one.group_gini,
                                       check_names=False, rtol=0, atol=TOL)
        pd.testing.assert_frame_equal(r.pair_gini.xs(year, level="year"), one.pair_gini,
                                      check_names=False, rtol=0, atol=TOL)
        pd.testing.assert_series_equal(r.shares.xs(year, level="year"), one.shares,
                                       check_names=False, rtol=0, atol=TOL)
        pd.testing.assert_series_equal(r.group_sizes.xs(year, level="year"), one.group_sizes,
                                       check_names=False)
    table = r.table()
    assert list(table.index) == [2015, 2016, 2017]
    assert table[("总体", "G")].to_numpy() == pytest.approx(r.gini.to_numpy(), abs=TOL)
    np.testing.assert_allclose(table["贡献率 (%)"].sum(axis=1), 100, atol=1e-9)
    # the same numbers from a one-variable tidy panel
    tidy = panel.reset_index().rename(columns={"gdp_pc": "value"}).assign(variable="gdp_pc")
    from_tidy = dagum_gini(tidy, groups)
    pd.testing.assert_series_equal(from_tidy.gini, r.gini, rtol=0, atol=TOL)


def test_a_panel_of_one_year_gives_the_cross_section_numbers() -> None:
    panel, groups = _panel(years=(2020,))
    r = dagum_gini(panel, groups)
    one = dagum_gini(panel.droplevel("year"), groups)
    assert r.gini.index.tolist() == [2020]  # keeps its year level
    assert r.gini[2020] == pytest.approx(one.gini, abs=TOL)
    assert r.transvariation[2020] == pytest.approx(one.transvariation, abs=TOL)


def test_table_layout_and_conventions() -> None:
    values, groups = _case("equal sizes")
    r = dagum_gini(values, groups)
    table = r.table(lang="en")
    assert list(table.columns.get_level_values(0).unique()) == [
        "overall", "within", "between", "contribution", "share (%)"]
    assert list(table["between"].columns) == ["g0–g1", "g0–g2", "g1–g2"]
    assert table[("between", "g0–g2")].iloc[0] == pytest.approx(r.pair_gini.loc["g0", "g2"])
    assert table["share (%)"].sum(axis=1).iloc[0] == pytest.approx(100)
    assert table[("contribution", "transvariation (Gt)")].iloc[0] == r.transvariation
    assert "Empirical Economics 22" in table.attrs["reference"]
    assert "μ_j ≥ μ_h" in r.conventions["pair_order"]
    assert r.group_gini.attrs["method"].startswith("Dagum (1997)")
    assert r.table(lang="en", decimals=4)[("overall", "G")].iloc[0] == round(r.gini, 4)
    assert r.table(lang="en", flat=True).columns[:2].tolist() == ["overall: G", "within: g0"]


def test_a_region_scheme_name_orders_groups_as_the_scheme() -> None:
    pytest.importorskip("geopandas")
    from spatialecon.geodata import regions

    provinces = regions("nbs4").index
    rng = np.random.default_rng(5)
    values = pd.Series(rng.lognormal(10, 0.4, len(provinces)), index=provinces)
    r = dagum_gini(values, "nbs4")
    assert list(r.group_gini.index) == ["东部", "中部", "西部", "东北"]
    assert r.conventions["scheme"] == "nbs4"
    _check_against(r, brute(values.to_numpy(), regions("nbs4").reindex(provinces).to_numpy()))


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Bad inputs
# ─────────────────────────────────────────────────────────────────────────────────────────────


def test_negative_values_are_refused_naming_the_units() -> None:
    values, groups = _case("equal sizes")
    values.iloc[[3, 7]] = [-1.0, -2.5]
    with pytest.raises(InequalityError, match=r"negative values for 100004, 100008: the Gini"):
        dagum_gini(values, groups)


def test_missing_and_infinite_values_are_refused_naming_the_units() -> None:
    panel, groups = _panel()
    panel.loc[(100003, 2016)] = np.nan
    with pytest.raises(NonFiniteError, match=r"100003.*2016"):
        dagum_gini(panel, groups)


def test_a_group_of_one_unit_warns_naming_group_and_unit() -> None:
    values, groups = _case("equal sizes")
    groups.iloc[5] = "alone"
    with pytest.warns(InequalityWarning, match=r"group 'alone' has one unit \(100006\)"):
        r = dagum_gini(values, groups)
    assert r.group_gini["alone"] == 0.0
    assert r.within + r.between + r.transvariation == pytest.approx(r.gini, abs=TOL)
    _check_against(r, brute(values.to_numpy(), groups.to_numpy()))


def test_an_unbalanced_panel_is_refused_naming_units_and_years() -> None:
    panel, groups = _panel()
    panel = panel.drop([(100002, 2016), (100005, 2017)])
    with pytest.raises(InequalityError, match=r"unbalanced.*100002 \(2016\), 100005 \(2017\)"):
        dagum_gini(panel, groups)


def test_other_bad_inputs() -> None:
    values, groups = _case("equal sizes")
    with pytest.raises(InequalityError, match="needs groups"):
        dagum_gini(values, None)  # type: ignore[arg-type]
    with pytest.raises(InequalityError, match="belong to no group: 100001"):
        dagum_gini(values, groups.drop(100001))
    with pytest.raises(InequalityError, match="one variable at a time"):
        dagum_gini(pd.DataFrame({"a": values, "b": values}), groups)
    with pytest.raises(InequalityError, match=r"all values .* are zero"):
        dagum_gini(values * 0, groups)
    with pytest.raises(InequalityError, match="units given twice: 100001"):
        dagum_gini(pd.concat([values, values.iloc[:1]]), groups)
    with pytest.raises(InequalityError, match=r"no valid .* weight for 100002"):
        dagum_gini(values, groups, weights=values.drop(100002))
    with pytest.raises(InequalityError, match="lang"):
        dagum_gini(values, groups).table(lang="fr")
