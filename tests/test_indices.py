"""Entropy weights, TOPSIS (plain and layered) and coupling coordination (spatialecon.indices).

Reference values: a worked example whose entropies and distances are written out by hand below;
invariance properties the methods must have; the printed coupling coordination degrees of
孙慧、原伟鹏 (2020, 区域经济评论 No. 5, 表6) recomputed from their 表4 and 表5.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialecon import datasets
from spatialecon import indices as ix
from spatialecon.geodata.boundaries import provinces_table
from spatialecon.validation import NonFiniteError

# ─────────────────────────────────────────────────────────────────────────────────────────────
# The worked example: three units, a positive and a negative indicator
# ─────────────────────────────────────────────────────────────────────────────────────────────

UNITS = pd.Index([110000, 120000, 130000], name="adcode")
X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 1.0, 2.0]}, index=UNITS)
DIRS = {"a": "+", "b": "-"}


def by_hand_entropy() -> tuple[float, float]:
    # a (positive): z = (a − 1)/2 = 0, 1/2, 1   → p = 0, 1/3, 2/3
    # b (negative): z = (4 − b)/3 = 0, 1, 2/3   → p = 0, 3/5, 2/5
    ln3 = math.log(3)
    e_a = -(1 / 3 * math.log(1 / 3) + 2 / 3 * math.log(2 / 3)) / ln3
    e_b = -(3 / 5 * math.log(3 / 5) + 2 / 5 * math.log(2 / 5)) / ln3
    return e_a, e_b


def test_entropy_weights_worked_example() -> None:
    e_a, e_b = by_hand_entropy()
    w = ix.entropy_weights(X, DIRS, shift=0)
    assert w["a"] == pytest.approx((1 - e_a) / ((1 - e_a) + (1 - e_b)), rel=1e-12)
    assert w["b"] == pytest.approx((1 - e_b) / ((1 - e_a) + (1 - e_b)), rel=1e-12)
    assert w.attrs["entropy"] == pytest.approx({"a": e_a, "b": e_b}, rel=1e-12)
    assert w.attrs["shift"] == 0 and w.attrs["scope"] == "cross-section"


def test_entropy_shift_is_added_to_the_minmax_values() -> None:
    shift = 0.01
    z = {"a": [0, 0.5, 1], "b": [0, 1, 2 / 3]}
    e = {}
    for name, values in z.items():  # brute force: the definition, term by term
        shifted = [v + shift for v in values]
        p = [v / sum(shifted) for v in shifted]
        e[name] = -sum(q * math.log(q) for q in p) / math.log(3)
    w = ix.entropy_weights(X, DIRS, shift=shift)
    d = {k: 1 - v for k, v in e.items()}
    assert w.to_dict() == pytest.approx({k: v / sum(d.values()) for k, v in d.items()})
    # the shift only keeps logarithms finite: tiny shifts converge to the 0 · ln 0 = 0 limit
    np.testing.assert_allclose(ix.entropy_weights(X, DIRS, shift=1e-12),
                               ix.entropy_weights(X, DIRS, shift=0), atol=1e-9)


def test_topsis_worked_example() -> None:
    w = {"a": 0.5, "b": 0.5}
    got = ix.topsis(X, w, DIRS)
    # vector normalisation: |a| = √14, |b| = √21; weighted v = 0.5 x / |x|
    na, nb = math.sqrt(14), math.sqrt(21)
    best = (0.5 * 3 / na, 0.5 * 1 / nb)   # max a, min b (negative)
    worst = (0.5 * 1 / na, 0.5 * 4 / nb)
    for unit, (a, b) in zip(UNITS, [(1, 4), (2, 1), (3, 2)], strict=True):
        v = (0.5 * a / na, 0.5 * b / nb)
        d_plus = math.dist(v, best)
        d_minus = math.dist(v, worst)
        row = got.loc[unit]
        assert row["d_plus"] == pytest.approx(d_plus, rel=1e-12)
        assert row["d_minus"] == pytest.approx(d_minus, rel=1e-12)
        assert row["closeness"] == pytest.approx(d_minus / (d_plus + d_minus), rel=1e-12)
    assert got.loc[110000, "closeness"] == 0  # worst on both indicators: the anti-ideal


def random_panel(seed: int = 1, units: int = 9, years: tuple[int, ...] = (2018, 2019)
                 ) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product([range(110000, 110000 + units), years],
                                       names=["adcode", "year"])
    return pd.DataFrame(rng.uniform(1, 20, (len(index), 4)), index=index,
                        columns=["p", "q", "r", "s"])


P_DIRS = {"p": "+", "q": "-", "r": "+", "s": "正向"}


def test_entropy_weights_invariances() -> None:
    P = random_panel()
    base = ix.entropy_weights(P, P_DIRS)
    # positive affine transformations of an indicator leave min–max values, hence weights, alone
    scaled = P.assign(p=10 * P["p"] + 7, q=0.5 * P["q"] - 3)
    pd.testing.assert_frame_equal(ix.entropy_weights(scaled, P_DIRS), base)
    # a negative indicator is a positive indicator with its sign flipped
    flipped = P.assign(q=-P["q"])
    pd.testing.assert_frame_equal(ix.entropy_weights(flipped, {**P_DIRS, "q": "+"}), base)
    # the order of the units does not matter
    shuffled = P.sample(frac=1, random_state=3)
    pd.testing.assert_frame_equal(ix.entropy_weights(shuffled, P_DIRS), base)
    assert np.allclose(base.sum(axis=1), 1)


def test_entropy_scope_per_year_and_pooled() -> None:
    P = random_panel()
    per_year = ix.entropy_weights(P, P_DIRS, scope="year")
    assert list(per_year.index) == [2018, 2019] and per_year.attrs["scope"] == "year"
    for year in (2018, 2019):  # per year = the cross-section of that year
        cross = ix.entropy_weights(P.xs(year, level="year"), P_DIRS)
        pd.testing.assert_series_equal(per_year.loc[year], cross, check_names=False)
    pooled = ix.entropy_weights(P, P_DIRS, scope="pooled")
    flat = ix.entropy_weights(P.reset_index(drop=True), P_DIRS)
    pd.testing.assert_series_equal(pooled, flat)
    assert pooled.attrs["scope"] == "pooled" and pooled.attrs["n_units"] == 18


def test_entropy_index_dimension_scores_sum_to_the_total() -> None:
    P = random_panel()
    dims = {"p": "econ", "q": "econ", "r": "life", "s": "life"}
    scores = ix.entropy_index(P, P_DIRS, dimensions=dims)
    assert list(scores.columns) == ["econ", "life", "total"]
    np.testing.assert_allclose(scores["total"], scores["econ"] + scores["life"])
    assert scores[["econ", "life"]].to_numpy().min() >= 0
    assert scores[["econ", "life"]].to_numpy().max() <= 1
    plain = ix.entropy_index(P, P_DIRS)
    assert plain["score"].between(0, 1).all()
    # brute force for one year: Σ_j w_j z_ij with the year's weights and min–max values
    year = P.xs(2019, level="year")
    w = ix.entropy_weights(year, P_DIRS)
    z = (year - year.min()) / (year.max() - year.min())
    z["q"] = 1 - z["q"]
    np.testing.assert_allclose(plain.xs(2019, level="year")["score"], (z * w).sum(axis=1))


def test_topsis_properties() -> None:
    P = random_panel()
    w = ix.entropy_weights(P, P_DIRS)
    base = ix.topsis(P, w, P_DIRS)
    assert base["closeness"].between(0, 1).all()
    # vector normalisation removes each indicator's unit
    pd.testing.assert_frame_equal(ix.topsis(P.assign(r=P["r"] * 1000), w, P_DIRS), base)
    # reversing every direction swaps the ideal and the anti-ideal: C becomes 1 − C
    reverse = {k: "-" if v in ("+", "正向") else "+" for k, v in P_DIRS.items()}
    np.testing.assert_allclose(ix.topsis(P, w, reverse)["closeness"], 1 - base["closeness"])
    # a unit that is best on every indicator is the ideal solution
    dominant = P.copy()
    dominant.loc[(110000, 2019)] = [99.0, 0.5, 99.0, 99.0]
    assert ix.topsis(dominant, "entropy", P_DIRS).loc[(110000, 2019), "closeness"] == 1
    # weights="entropy" is entropy_weights with the same scope
    pd.testing.assert_frame_equal(ix.topsis(P, "entropy", P_DIRS), base, check_like=True)
    assert base.attrs["normalisation"] == "vector" and base.attrs["scope"] == "year"


def test_topsis_layered_composes_the_layers() -> None:
    P = random_panel(seed=5, years=(2017, 2018, 2019))
    dims = {"p": "A", "q": "A", "r": "B", "s": "B"}
    out = ix.topsis_layered(P, dims, P_DIRS)
    assert list(out.columns) == ["A", "B", "composite"]
    for dim, cols in {"A": ["p", "q"], "B": ["r", "s"]}.items():
        d = {c: P_DIRS[c] for c in cols}
        expected = ix.topsis(P[cols], ix.entropy_weights(P[cols], d), d)["closeness"]
        np.testing.assert_allclose(out[dim], expected)
    U = out[["A", "B"]]
    np.testing.assert_allclose(
        out["composite"], ix.topsis(U, ix.entropy_weights(U, "+"), "+")["closeness"])
    glob = pd.DataFrame(out.attrs["global_weights"]).T
    np.testing.assert_allclose(glob.sum(axis=1), 1)


def test_tidy_panels_go_in_and_results_come_back_tidy() -> None:
    panel = datasets.load("west_resilience")
    wide = ix.to_wide(panel, ["resilience_index", "hq_index"])
    assert wide.index.names == ["adcode", "year"] and wide.shape == (72, 2)
    tidy = panel[panel["variable"].isin(["resilience_index", "hq_index"])]
    w_tidy = ix.entropy_weights(tidy, "+")
    pd.testing.assert_frame_equal(w_tidy, ix.entropy_weights(wide, "+"))
    back = ix.to_tidy(wide)
    assert list(back.columns) == ["adcode", "year", "variable", "value"]
    merged = back.merge(tidy, on=["adcode", "year", "variable"])
    assert len(merged) == 144 and (merged["value_x"] == merged["value_y"]).all()
    cross = ix.to_tidy(wide.xs(2019, level="year"), year=2019)
    assert set(cross["year"]) == {2019}


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Bad input
# ─────────────────────────────────────────────────────────────────────────────────────────────


def test_constant_indicator_is_named_with_its_year() -> None:
    P = random_panel()
    P.loc[P.index.get_level_values("year") == 2019, "r"] = 5.0
    with pytest.raises(ix.IndicatorError, match=r"'r' \(= 5\).*in 2019"):
        ix.entropy_weights(P, P_DIRS)
    ix.entropy_weights(P, P_DIRS, scope="pooled")  # pooled, r varies: fine


def test_missing_values_are_named() -> None:
    P = random_panel()
    P.loc[(110003, 2018), "q"] = np.nan
    with pytest.raises(NonFiniteError, match=r"'q': 1 non-finite value.*NaN at 110003 \(2018"):
        ix.entropy_weights(P, P_DIRS)
    with pytest.raises(NonFiniteError, match="'q'"):
        ix.topsis(P, [0.25] * 4, P_DIRS)


def test_directions_must_cover_every_indicator() -> None:
    with pytest.raises(ix.IndicatorError, match=r"no direction for indicator.*'b'"):
        ix.entropy_weights(X, {"a": "+"})
    with pytest.raises(ix.IndicatorError, match="not in the data: 'c'"):
        ix.entropy_weights(X, {"a": "+", "b": "-", "c": "+"})
    with pytest.raises(ix.IndicatorError, match="direction 'up' of indicator 'a'"):
        ix.entropy_weights(X, {"a": "up", "b": "-"})


def test_negative_values_under_vector_normalisation() -> None:
    with pytest.raises(ix.IndicatorError, match=r"'a' has negative values at unit\(s\) 110000"):
        ix.topsis(X.assign(a=[-1.0, 2.0, 3.0]), [0.5, 0.5], DIRS)
    ix.topsis(X.assign(a=[-1.0, 2.0, 3.0]), [0.5, 0.5], DIRS, normalisation="minmax")


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Coupling coordination
# ─────────────────────────────────────────────────────────────────────────────────────────────


def test_coupling_formulas_for_two_and_three_systems() -> None:
    u1 = pd.Series([0.2, 0.5, 0.0, 0.9], index=UNITS.append(pd.Index([140000])), name="x")
    u2 = pd.Series([0.4, 0.5, 0.0, 0.1], index=u1.index, name="y")
    u3 = pd.Series([0.3, 0.5, 0.0, 0.6], index=u1.index, name="z")
    two = ix.coupling_coordination(u1, u2)
    C = 2 * np.sqrt(u1 * u2) / (u1 + u2)
    np.testing.assert_allclose(two["C"].iloc[[0, 1, 3]], C.iloc[[0, 1, 3]])
    np.testing.assert_allclose(two["T"], (u1 + u2) / 2)
    np.testing.assert_allclose(two["D"], np.sqrt(two["C"] * two["T"]))
    assert two.loc[120000, "C"] == 1  # equal systems couple perfectly
    assert two.loc[130000, ["C", "T", "D"]].tolist() == [0, 0, 0]  # documented 0/0 convention
    three = ix.coupling_coordination(u1, u2, u3, weights=[0.5, 0.3, 0.2])
    prod = (u1 * u2 * u3) ** (1 / 3)
    np.testing.assert_allclose(three["C"].iloc[[0, 1, 3]],
                               (3 * prod / (u1 + u2 + u3)).iloc[[0, 1, 3]])
    np.testing.assert_allclose(three["T"], 0.5 * u1 + 0.3 * u2 + 0.2 * u3)
    assert three.attrs["weights"] == {"x": 0.5, "y": 0.3, "z": 0.2}


def test_coupling_grades_boundaries() -> None:
    grades = ix.coupling_grade(pd.Series([0.0, 0.1, 0.1000001, 0.45, 0.6, 0.95, 1.0]))
    assert grades["grade"].tolist() == [1, 1, 2, 5, 6, 10, 10]
    assert grades["type"].tolist()[:3] == ["极度失调型", "极度失调型", "严重失调型"]
    assert grades["stage"].tolist() == ["失调衰退"] * 3 + ["过渡协调"] * 2 + ["协调发展"] * 2
    table = ix.coupling_grades()
    assert len(table) == 10 and table["upper"].iloc[-1] == 1.0


# 孙慧、原伟鹏 (2020) 表6, 2019 row, as printed (two decimals); indices from 表4/表5 (the
# embedded dataset west_resilience) divided by 100.
PRINTED_D_2019 = {"内蒙古": 0.47, "广西": 0.51, "重庆": 0.57, "四川": 0.53, "贵州": 0.50,
                  "云南": 0.52, "西藏": 0.46, "陕西": 0.53, "甘肃": 0.51, "青海": 0.49,
                  "宁夏": 0.49, "新疆": 0.49}
HALF_CENT = 0.005 + 1e-9  # printed to two decimals


def test_coupling_reproduces_the_printed_2019_degrees() -> None:
    panel = datasets.load("west_resilience")
    wide = ix.to_wide(panel) / 100
    cc = ix.coupling_coordination(wide["resilience_index"], wide["hq_index"])
    short = provinces_table()["short"]
    d2019 = cc.xs(2019, level="year")["D"].rename(index=short)
    for name, printed in PRINTED_D_2019.items():
        assert abs(d2019[name] - printed) <= HALF_CENT, name
    # the printed west mean 0.51 (2019) is the mean of the provincial degrees
    assert abs(d2019.mean() - 0.51) <= HALF_CENT
    assert set(cc.xs(2019, level="year")["type"]) <= {"临界协调型", "勉强协调型"}


def _seed_series(path: Path, column: str) -> pd.Series:
    table = pd.read_csv(path)
    return table.set_index(["region", "year"])[column]


def test_coupling_reproduces_table6_from_tables_4_and_5(seed_tables: Path) -> None:
    """71 of the 72 province-years reproduce to 0.005; 重庆 2016 is printed 0.66 (misprint)."""
    u1 = _seed_series(seed_tables / "T_resilience_4.csv", "resilience_index") / 100
    u2 = _seed_series(seed_tables / "T_resilience_5.csv", "hq_index") / 100
    printed = _seed_series(seed_tables / "T_resilience_6.csv", "coupling_D")
    west = [r for r in u1.index.get_level_values("region").unique()
            if r not in {"中国", "西部地区均值", "西部地区与全国差距"}]
    assert len(west) == 12
    keep = u1.index.get_level_values("region").isin(west)
    cc = ix.coupling_coordination(u1[keep], u2[keep])
    common = cc.index.intersection(printed.index)
    assert len(common) == 72
    error = (cc.loc[common, "D"] - printed.loc[common]).abs()
    off = error[error > HALF_CENT]
    assert list(off.index) == [("重庆", 2016)]
    assert printed.loc[("重庆", 2016)] == 0.66 and round(cc.loc[("重庆", 2016), "D"], 3) == 0.524


def test_grading_reproduces_the_printed_west_mean_labels(seed_tables: Path) -> None:
    table = pd.read_csv(seed_tables / "T_resilience_6.csv")
    mean = table[table["region"] == "西部地区均值"]
    assert len(mean) == 10
    graded = ix.coupling_grade(mean["coupling_D"].reset_index(drop=True))
    assert graded["stage"].tolist() == mean["stage_for_west_mean"].tolist()
    assert graded["type"].tolist() == mean["type_for_west_mean"].tolist()


def test_coupling_bad_input() -> None:
    a = pd.Series([0.2, 0.3], index=[110000, 120000], name="a")
    with pytest.raises(ix.IndicatorError, match=r"'b' has values outside \[0, 1\] at unit\(s\) "
                       r"120000 \(indices printed ×100\? divide by 100\)"):
        ix.coupling_coordination(a, pd.Series([0.2, 30.0], index=a.index, name="b"))
    with pytest.raises(ix.IndicatorError, match="only in the first 120000"):
        ix.coupling_coordination(a, pd.Series([0.2, 0.3], index=[110000, 130000], name="b"))
    with pytest.raises(NonFiniteError, match=r"NaN at 120000"):
        ix.coupling_coordination(a, pd.Series([0.2, np.nan], index=a.index, name="b"))
    with pytest.raises(ix.IndicatorError, match="sum to 1"):
        ix.coupling_coordination(a, a.rename("b"), weights=[0.5, 0.6])
    with pytest.raises(ix.IndicatorError, match="at least two systems"):
        ix.coupling_coordination(a)


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Principal-component (factor-analysis) weights: numpy/scipy and sklearn as references
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _pca_data(seed: int = 3) -> pd.DataFrame:
    """60 unit-years of five correlated indicators (two strong components)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(60, 5))
    z[:, 1] += z[:, 0]
    z[:, 2] += 0.5 * z[:, 0] - z[:, 3]
    z[:, 4] += 0.3 * z[:, 3]
    index = pd.MultiIndex.from_product([range(110000, 170000, 10000), range(2010, 2020)],
                                       names=["adcode", "year"])
    return pd.DataFrame(z * [1, 10, 100, 0.1, 5] + 50, index=index, columns=list("abcde"))


def _by_hand(X: pd.DataFrame, m: int, use_loadings: bool = False) -> np.ndarray:
    """The recipe with scipy's symmetric eigensolver on the correlation matrix."""
    from scipy import linalg

    lam, u = linalg.eigh(np.corrcoef(X.to_numpy(), rowvar=False))
    lam, u = lam[::-1][:m], u[:, ::-1][:, :m]
    coef = u * np.sqrt(lam) if use_loadings else u
    raw = (np.abs(coef) * lam / lam.sum()).sum(axis=1)
    return raw / raw.sum()


def test_pca_weights_against_scipy_eigendecomposition() -> None:
    X = _pca_data()
    w = ix.pca_weights(X)
    lam = np.sort(np.linalg.eigvalsh(np.corrcoef(X.to_numpy(), rowvar=False)))[::-1]
    m = int((lam > 1).sum())
    assert w.attrs["retained"] == m == 2
    np.testing.assert_allclose(w.attrs["eigenvalues"], lam, rtol=1e-12)
    np.testing.assert_allclose(w.attrs["explained_variance"], lam / 5, rtol=1e-12)
    np.testing.assert_allclose(w.to_numpy(), _by_hand(X, m), rtol=1e-10)
    assert w.sum() == pytest.approx(1.0)
    loadings = ix.pca_weights(X, coefficients="loadings")
    np.testing.assert_allclose(loadings.to_numpy(), _by_hand(X, m, use_loadings=True),
                               rtol=1e-10)
    assert w.attrs["retain"] == "kaiser: eigenvalue > 1"
    assert "sqrt(λ_k)" in w.attrs["formula"] and w.attrs["scope"] == "pooled"


def test_pca_against_sklearn() -> None:
    sklearn = pytest.importorskip("sklearn")
    del sklearn
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    X = _pca_data()
    standard = StandardScaler().fit_transform(X)
    pca = PCA().fit(standard)
    w = ix.pca_weights(X, retain=0.8)
    share = pca.explained_variance_ratio_
    m = int(np.argmax(np.cumsum(share) >= 0.8)) + 1
    assert w.attrs["retained"] == m
    np.testing.assert_allclose(w.attrs["explained_variance"], share, rtol=1e-10)
    u = pca.components_[:m].T  # unit eigenvectors, sklearn's signs
    lam = share[:m]
    expected = (np.abs(u) * lam / lam.sum()).sum(axis=1)
    np.testing.assert_allclose(w.to_numpy(), expected / expected.sum(), rtol=1e-9)
    loadings = np.array(list(w.attrs["loadings"].values()))
    np.testing.assert_allclose(np.abs(loadings), np.abs(u) * np.sqrt(lam * 5), rtol=1e-9)
    # component scores equal sklearn's up to the sign of each component
    scores = ix.pca_index(X, retain=0.8)
    F = pca.transform(standard)[:, :m]
    for k in range(m):
        a, b = scores[f"F{k + 1}"].to_numpy(), F[:, k]
        assert np.allclose(a, b, atol=1e-9) or np.allclose(a, -b, atol=1e-9)


def test_pca_invariances() -> None:
    X = _pca_data()
    w = ix.pca_weights(X)
    # positive affine rescaling of each indicator (units of measurement) changes nothing
    rescaled = X * [3.0, 0.01, 7.0, 1e4, 2.0] - [5.0, 1.0, 0.0, 9.0, 100.0]
    pd.testing.assert_series_equal(ix.pca_weights(rescaled), w, rtol=1e-10)
    # nor does the order of the units
    shuffled = X.sample(frac=1.0, random_state=1)
    pd.testing.assert_series_equal(ix.pca_weights(shuffled), w, rtol=1e-10)
    # reordering the indicators reorders the weights
    reordered = ix.pca_weights(X[list("ecabd")])
    pd.testing.assert_series_equal(reordered.reindex(w.index), w, rtol=1e-10)
    # a direction flips correlations' signs only: same weights, different scores
    flipped = ix.pca_weights(X, {"a": "+", "b": "+", "c": "-", "d": "+", "e": "+"})
    pd.testing.assert_series_equal(flipped, w, rtol=1e-10)
    s_plus = ix.pca_index(X)["score"]
    s_flip = ix.pca_index(X, {"a": "+", "b": "+", "c": "-", "d": "+", "e": "+"})["score"]
    assert not np.allclose(s_plus, s_flip)


def test_pca_index_score_is_weighted_minmax() -> None:
    X = _pca_data()
    out = ix.pca_index(X, retain=3)
    w = pd.Series(out.attrs["weights"])
    z = (X - X.min()) / (X.max() - X.min())
    np.testing.assert_allclose(out["score"], z @ w[X.columns], rtol=1e-12)
    assert out["score"].between(0, 1).all() and out.attrs["retained"] == 3
    lam = np.array(out.attrs["eigenvalues"][:3])
    F = out[["F1", "F2", "F3"]].to_numpy() @ (lam / lam.sum())
    np.testing.assert_allclose(out["F"], F, rtol=1e-12)
    assert out.attrs["retain"] == "fixed: 3 component(s)"


def test_pca_by_year_and_bad_input() -> None:
    X = _pca_data()
    by_year = ix.pca_weights(X, scope="year")
    assert list(by_year.index) == list(range(2010, 2020))
    np.testing.assert_allclose(by_year.sum(axis=1), 1.0)
    first = X.xs(2010, level="year")
    np.testing.assert_allclose(by_year.loc[2010], ix.pca_weights(first), rtol=1e-10)
    assert set(by_year.attrs["eigenvalues"]) == set(range(2010, 2020))
    constant = X.assign(c=1.0)
    with pytest.raises(ix.IndicatorError, match=r"'c' \(= 1\) are constant"):
        ix.pca_weights(constant)
    holed = X.copy()
    holed.iloc[3, 1] = np.nan
    with pytest.raises(NonFiniteError, match="NaN at"):
        ix.pca_weights(holed)
    with pytest.raises(ix.IndicatorError, match="at least 3 units"):
        ix.pca_weights(X.iloc[:2])
    with pytest.raises(ix.IndicatorError, match="retain"):
        ix.pca_weights(X, retain="scree")  # type: ignore[arg-type]
    with pytest.raises(ix.IndicatorError, match="only 5 indicators"):
        ix.pca_weights(X, retain=6)
    with pytest.raises(ix.IndicatorError, match="coefficients"):
        ix.pca_weights(X, coefficients="scores")  # type: ignore[arg-type]
