"""The geographical detector against the published NTD (Heshun) results of the R packages
``geodetector``, ``GD`` and ``gdverse``, against brute-force computations, and under properties
that must hold for any data.

Published values (the NTD data ship with all three packages and as ../shared/reference):

- R ``geodetector`` 1.0-4 vignette, "A tutorial for the geodetector R package" (Xu, Hou, Wang,
  Yin; 2020-03-30; cran/geodetector inst/doc/geodetector.html): factor q and p, interaction q to
  15 digits, risk-detector stratum means and TRUE/FALSE t-test matrices, ecological matrix.
- ``gdverse`` vignettes "Geographical Detector(GD)" (vignettes/gd.Rmd) and "Consistency With the
  Results of Existing GDM R Packages" (vignettes/consistency.Rmd), stscl/gdverse: q and p of
  ``gdverse::gd`` and ``GD::gd`` (identical), interaction types, Yes/No risk and ecological
  tables.

Column names: ``type`` = soiltype, ``region`` = watershed, ``level`` = elevation (the q values
identify them; soil type codes 1, 2, 3, 5, 7 here are the vignette's 1–5).
"""

from __future__ import annotations

import itertools
import math
import warnings

import mapclassify
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from spatialecon import geodetector as gd

FACTORS = ["type", "region", "level"]
# R's pf(ncp=) goes through pnbeta, whose absolute error bound is 1e-9 (errmax in R's
# nmath/pnbeta.c), and the upper tail is 1 − cdf: printed p agree with exact ones to ~1e-9.
R_P = 2e-9
HYPOTHESIS = settings(max_examples=40, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])
# Random small samples often have more strata than half the rows; the warning is tested below.
many_strata = pytest.mark.filterwarnings("ignore:factor .* strata for:UserWarning")


@pytest.fixture(scope="module")
def ntd(shared_dir) -> pd.DataFrame:
    path = shared_dir / "reference" / "ntd_heshun.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return pd.read_csv(path)


# ── published values ──────────────────────────────────────────────────────────────────────


def test_factor_detector_reproduces_r_geodetector(ntd):
    # R geodetector vignette: soiltype 0.3857168 / 0.3632363, watershed 0.6377737 /
    # 0.0001169914, elevation 0.6067087 / 0.04080407 (sample variance in λ, singletons kept).
    out = gd.factor_detector(ntd, "incidence", FACTORS)
    assert out.loc["type", "q"] == pytest.approx(0.3857168, abs=5e-8)
    assert out.loc["region", "q"] == pytest.approx(0.6377737, abs=5e-8)
    assert out.loc["level", "q"] == pytest.approx(0.6067087, abs=5e-8)
    assert out.loc["type", "p"] == pytest.approx(0.3632363, abs=5e-8)
    assert out.loc["region", "p"] == pytest.approx(0.0001169914, abs=R_P)
    assert out.loc["level", "p"] == pytest.approx(0.04080407, abs=R_P + 5e-9)
    assert out.attrs["variance"] == "sample" and out.attrs["singletons"] == "keep"
    assert out["strata"].tolist() == [5, 9, 7] and (out["n"] == 185).all()


@pytest.mark.parametrize("singletons", ["keep", "drop"])
def test_factor_detector_reproduces_gd_and_gdverse(ntd, singletons):
    # gdverse consistency vignette: gdverse::gd and GD::gd both print watershed 0.6377737 /
    # 0.000128803, elevation 0.6067087 / 0.043382244, soiltype 0.3857168 / 0.372145486
    # (population variance in λ; no stratum has one row, so dropping singletons changes nothing).
    out = gd.factor_detector(ntd, "incidence", FACTORS, variance="population",
                             singletons=singletons)
    assert out.loc["region", "p"] == pytest.approx(0.000128803, abs=R_P)
    assert out.loc["level", "p"] == pytest.approx(0.043382244, abs=R_P)
    assert out.loc["type", "p"] == pytest.approx(0.372145486, abs=R_P)
    assert out.loc["region", "q"] == pytest.approx(0.6377737, abs=5e-8)
    assert out.attrs["variance"] == "population"


def test_interaction_detector_reproduces_published_q_and_types(ntd):
    # R geodetector vignette (15 digits) and gdverse vignette ("Enhance, bi-" for all three).
    out = gd.interaction_detector(ntd, "incidence", ["type", "region", "level"])
    q = {(a, b): v for a, b, v in out[["factor_a", "factor_b", "q"]].itertuples(index=False)}
    assert q[("type", "region")] == pytest.approx(0.735680548139531, abs=1e-14)
    assert q[("type", "level")] == pytest.approx(0.663523698335635, abs=1e-14)
    assert q[("region", "level")] == pytest.approx(0.71359677853471, abs=1e-13)
    assert (out["type"] == "Enhance, bi-").all()
    assert out["q_a"].tolist() == pytest.approx([0.385716842809428, 0.385716842809428,
                                                 0.637773670070423], abs=1e-14)


# R geodetector vignette, Risk Detector means and "Significance t-test:0.05" matrices.
RISK_MEANS = {
    "type": [6.340000, 6.687500, 6.583279, 5.843810, 6.347073],
    "region": [6.167813, 6.813103, 6.474231, 6.728000, 5.910000, 5.845714, 6.494167, 6.360769,
               6.579231],
    "level": [6.455882, 6.171111, 6.258108, 6.621364, 5.908889, 6.888636, 5.790000],
}
RISK_MATRICES = {
    "type": ["01110", "10011", "10011", "11101", "01110"],
    "region": ["011111111", "101011111", "110111000", "101011111", "111100111", "111100111",
               "110111000", "110111001", "110111010"],
    "level": ["0111111", "1001111", "1001111", "1110111", "1111011", "1111101", "1111110"],
}


@pytest.mark.parametrize("factor", FACTORS)
def test_risk_detector_reproduces_r_geodetector(ntd, factor):
    out = gd.risk_detector(ntd, "incidence", factor)
    assert out.means["mean"].tolist() == pytest.approx(RISK_MEANS[factor], abs=5e-7)
    expected = np.array([[c == "1" for c in row] for row in RISK_MATRICES[factor]])
    np.testing.assert_array_equal(out.significance.to_numpy(), expected)
    assert out.means["n"].sum() == 185
    # gdverse (Welch t.test, p < 0.05) counts 8 / 29 / 20 "Yes" pairs for the three factors
    assert int(out.tests["significant"].sum()) == {"type": 8, "region": 29, "level": 20}[factor]


def test_ecological_detector_reproduces_both_published_rules(ntd):
    # R geodetector vignette: soiltype differs from watershed and from elevation (TRUE), not
    # watershed from elevation. The unordered rule decides the same.
    out = gd.ecological_detector(ntd, "incidence", ["type", "region", "level"])
    decided = {frozenset((a, b)): s for a, b, s in
               out[["factor_a", "factor_b", "significant"]].itertuples(index=False)}
    assert decided == {frozenset(("type", "region")): True, frozenset(("type", "level")): True,
                       frozenset(("region", "level")): False}
    assert out.attrs["rule"] == "unordered"
    # gdverse vignette, pairs in its order (watershed, elevation, soiltype): all "No", because
    # its one-sided F = SSW_a/SSW_b is below 1 whenever the stronger factor comes first.
    ordered = gd.ecological_detector(ntd, "incidence", ["region", "level", "type"],
                                     rule="ordered", singletons="drop")
    assert not ordered["significant"].any()
    reversed_pairs = gd.ecological_detector(ntd, "incidence", ["type", "level", "region"],
                                            rule="ordered")
    assert reversed_pairs["significant"].tolist() == [True, True, False]


def test_pypi_geodetector_agrees_on_its_copy_of_the_data(ntd):
    geodetector = pytest.importorskip("geodetector", reason="optional test-only dependency")
    dataset = pytest.importorskip("geodetector.dataset")
    theirs = dataset.load_disease()
    theirs.columns = [c.lstrip("\ufeff") for c in theirs.columns]
    pd.testing.assert_frame_equal(theirs, ntd, check_dtype=False)
    ours = gd.factor_detector(ntd, "incidence", FACTORS, variance="population",
                              singletons="drop")
    for f in FACTORS:
        fd = geodetector.FactorDetector().fit(ntd[[f]], ntd["incidence"])
        assert fd.q_value_ == pytest.approx(ours.loc[f, "q"], abs=1e-12)
        assert fd.p_value_ == pytest.approx(ours.loc[f, "p"], abs=1e-10)


# ── brute force and properties ───────────────────────────────────────────────────────────────


def naive_q(y: pd.Series, x: pd.Series, singletons: str = "keep") -> float:
    """q by the textbook formula, one group at a time."""
    frame = pd.DataFrame({"y": y, "x": x})
    if singletons == "drop":
        frame = frame[frame.groupby("x")["y"].transform("size") > 1]
    within = sum(len(g) * g.var(ddof=0) for _, g in frame.groupby("x")["y"])
    return 1 - within / (len(frame) * frame["y"].var(ddof=0))


def naive_p(y: pd.Series, x: pd.Series, variance: str) -> float:
    groups = [g.to_numpy() for _, g in y.groupby(x)]
    n, strata = len(y), len(groups)
    q = naive_q(y, x)
    means = np.array([g.mean() for g in groups])
    sizes = np.array([len(g) for g in groups])
    sigma2 = y.var(ddof=1 if variance == "sample" else 0)
    lam = (np.sum(means**2) - np.sum(np.sqrt(sizes) * means) ** 2 / n) / sigma2
    F = (n - strata) / (strata - 1) * q / (1 - q)
    return stats.ncf.sf(F, strata - 1, n - strata, lam)


@st.composite
def stratified(draw, min_strata: int = 2):
    n = draw(st.integers(8, 60))
    k = draw(st.integers(min_strata, 6))
    x = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    y = draw(st.lists(st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False),
                      min_size=n, max_size=n))
    frame = pd.DataFrame({"y": y, "x": x})
    if frame["y"].nunique() < 2 or frame["x"].nunique() < 2 or frame["y"].std() < 1e-6:
        frame.loc[0, "y"] += 1.0
        frame.loc[1, "x"] = (frame.loc[0, "x"] + 1) % k
        frame.loc[0, "y"] = frame["y"].max() + 5.0
    return frame


@many_strata
@HYPOTHESIS
@given(stratified())
def test_q_matches_naive_loop_and_lies_in_unit_interval(frame):
    out = gd.factor_detector(frame, "y", "x")
    q = out.loc["x", "q"]
    assert 0.0 <= q <= 1.0
    assert q == pytest.approx(naive_q(frame["y"], frame["x"]), abs=1e-9)
    if out.loc["x", "strata"] >= 2 and q < 1 - 1e-9 and out.loc["x", "df2"] > 0:
        assert out.loc["x", "p"] == pytest.approx(naive_p(frame["y"], frame["x"], "sample"),
                                                  rel=1e-6, abs=1e-12)


@many_strata
@HYPOTHESIS
@given(stratified())
def test_drop_singletons_matches_naive_loop(frame):
    sizes = frame.groupby("x")["y"].transform("size")
    kept = frame[sizes > 1]
    if kept["x"].nunique() < 1 or kept["y"].nunique() < 2:
        return
    out = gd.factor_detector(frame, "y", "x", singletons="drop")
    assert out.loc["x", "q"] == pytest.approx(naive_q(frame["y"], frame["x"], "drop"), abs=1e-9)
    assert out.loc["x", "n"] == len(kept)


@many_strata
@HYPOTHESIS
@given(stratified(), st.floats(0.01, 100), st.floats(-1e4, 1e4), st.randoms())
def test_invariance_to_relabelling_and_affine_y(frame, scale, shift, rng):
    base = gd.factor_detector(frame, "y", "x")
    labels = sorted(frame["x"].unique())
    shuffled = labels[:]
    rng.shuffle(shuffled)
    relabelled = frame.assign(x=frame["x"].map(dict(zip(labels, [f"s{v}" for v in shuffled],
                                                        strict=True))))
    again = gd.factor_detector(relabelled, "y", "x")
    assert again.loc["x", "q"] == pytest.approx(base.loc["x", "q"], abs=1e-9)
    assert again.loc["x", "p"] == pytest.approx(base.loc["x", "p"], rel=1e-6, abs=1e-12,
                                                nan_ok=True)
    scaled = gd.factor_detector(frame.assign(y=frame["y"] * scale), "y", "x")
    assert scaled.loc["x", "q"] == pytest.approx(base.loc["x", "q"], abs=1e-9)
    # λ is invariant to scaling y, so p is too; a shift changes λ (see factor_detector) but not q
    assert scaled.loc["x", "p"] == pytest.approx(base.loc["x", "p"], rel=1e-6, abs=1e-12,
                                                 nan_ok=True)
    moved = gd.factor_detector(frame.assign(y=frame["y"] * scale + shift), "y", "x")
    assert moved.loc["x", "q"] == pytest.approx(base.loc["x", "q"], abs=1e-8)
    assert moved.loc["x", "F"] == pytest.approx(base.loc["x", "F"], rel=1e-6, nan_ok=True)


@many_strata
@HYPOTHESIS
@given(st.lists(st.integers(2, 9), min_size=2, max_size=5), st.integers(0, 2**31))
def test_q_is_one_when_strata_are_pure(sizes, seed):
    rng = np.random.default_rng(seed)
    levels = rng.permutation(len(sizes)) * 3.7 - 2.0
    x = np.repeat(np.arange(len(sizes)), sizes)
    frame = pd.DataFrame({"y": levels[x], "x": x})
    out = gd.factor_detector(frame, "y", "x")
    assert out.loc["x", "q"] == pytest.approx(1.0, abs=1e-12)
    assert out.loc["x", "p"] == pytest.approx(0.0, abs=1e-12)


def test_q_is_zero_for_one_stratum_with_a_warning():
    frame = pd.DataFrame({"y": [1.0, 2.0, 4.0, 8.0], "x": ["a"] * 4})
    with pytest.warns(UserWarning, match="single stratum"):
        out = gd.factor_detector(frame, "y", "x")
    assert out.loc["x", "q"] == 0.0
    assert math.isnan(out.loc["x", "p"])


@many_strata
@HYPOTHESIS
@given(stratified(), st.integers(2, 4), st.integers(0, 2**31))
def test_interaction_matches_naive_combined_strata(frame, k2, seed):
    rng = np.random.default_rng(seed)
    frame = frame.assign(z=rng.integers(0, k2, len(frame)))
    if frame["z"].nunique() < 2:
        frame.loc[0, "z"] = (frame.loc[0, "z"] + 1) % k2
    out = gd.interaction_detector(frame, "y", ["x", "z"]).iloc[0]
    combined = frame["x"].astype(str) + "_" + frame["z"].astype(str)
    assert out["q"] == pytest.approx(naive_q(frame["y"], combined), abs=1e-9)
    assert out["q"] >= max(out["q_a"], out["q_b"]) - 1e-12  # a finer partition never loses
    assert out["strata"] == combined.nunique()


def test_many_factors_use_the_pairwise_path_with_the_same_results():
    # 12 factors × 6 strata: the joint table would have 6**12 cells, so pairs get bincounts.
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({f"f{i}": rng.integers(0, 6, 400) for i in range(12)})
    frame["y"] = rng.normal(size=400) + frame["f0"]
    names = [f"f{i}" for i in range(12)]
    out = gd.interaction_detector(frame, "y", names)
    assert len(out) == 66
    for a, b, q in out[["factor_a", "factor_b", "q"]].itertuples(index=False):
        assert q == pytest.approx(naive_q(frame["y"], frame[a] * 10 + frame[b]), abs=1e-10)


def test_every_code_dtype_gives_the_strings_q_and_p():
    # numpy int8/uint16/int64 columns (read in place, offset by their minimum), categoricals
    # (their int8 codes, unused categories included), integer-valued floats and strings are the
    # same strata.
    rng = np.random.default_rng(11)
    n = 3000
    x = rng.integers(3, 9, n)
    frame = pd.DataFrame({"y": rng.normal(size=n) + 0.2 * x, "s": [f"s{v}" for v in x]})
    frame["i8"] = x.astype(np.int8)
    frame["u16"] = (x + 60000).astype(np.uint16)
    frame["i64"] = x * 1000
    frame["cat"] = pd.Categorical(x, categories=range(12))
    frame["f"] = x.astype(float)
    names = ["s", "i8", "u16", "i64", "cat", "f"]
    out = gd.factor_detector(frame, "y", names)
    assert out["q"].to_numpy() == pytest.approx(naive_q(frame["y"], frame["s"]), abs=1e-12)
    assert out["p"].to_numpy() == pytest.approx(naive_p(frame["y"], frame["s"], "sample"),
                                                rel=1e-9)
    assert (out["strata"] == 6).all()
    pairs = gd.interaction_detector(frame, "y", names)
    assert pairs["q"].to_numpy() == pytest.approx(out.loc["s", "q"], abs=1e-12)  # same strata


# ── sufficient statistics in chunks ──────────────────────────────────────────────────────


def _chunks(codes, y, sizes, bounds, **kwargs):
    return [gd.chunk_moments(y[a:b], [c[a:b] for c in codes], sizes, **kwargs)
            for a, b in itertools.pairwise(bounds)]


@pytest.mark.parametrize("layout", ["joint", "split", "mixed"])
def test_four_chunks_merged_give_the_q_and_p_of_one_pass(layout):
    # Rows sorted by y: each chunk's mean (its shift) differs from the others', so merging
    # moves every chunk's sums to the pooled mean — the step that must not lose accuracy.
    rng = np.random.default_rng(5)
    n, sizes = 40_000, (5, 6, 7, 3)
    frame = pd.DataFrame({f"f{i}": rng.integers(0, k, n) for i, k in enumerate(sizes)})
    frame["y"] = 1e3 + rng.normal(size=n) + frame["f0"] - 0.5 * frame["f2"]
    frame = frame.sort_values("y", ignore_index=True)
    names = [f"f{i}" for i in range(len(sizes))]
    factor = gd.factor_detector(frame, "y", names)
    pairs = gd.interaction_detector(frame, "y", names)
    y = frame["y"].to_numpy()
    codes = [frame[f].to_numpy() for f in names]
    bounds = [0, 7_000, 19_000, 31_000, n]
    if layout == "mixed":  # two chunks with the joint table, two without
        parts = (_chunks(codes, y, sizes, bounds[:3])
                 + _chunks(codes, y, sizes, bounds[2:], joint_limit=10))
    else:
        parts = _chunks(codes, y, sizes, bounds, joint_limit=10 if layout == "split" else 2**22)
    assert all((p.joint is None) == (layout == "split") for p in parts) or layout == "mixed"
    merged = gd.merge_moments(parts)
    assert merged.rows == n
    q_table = gd.factor_table(merged, names)
    np.testing.assert_allclose(q_table["q"], factor["q"], rtol=0, atol=1e-12)
    # F = df2/df1 · q/(1 − q) carries q's absolute rounding (~1e-16, from summing in another
    # order) relative to q, which is ~1e-4 for the factors without an effect (f1, f3), and p
    # moves with F by N·pdf: ~1e-12 here whichever way the rows are summed, so relative.
    for column in ("F", "ncp", "p", "p_central"):
        np.testing.assert_allclose(q_table[column], factor[column], rtol=1e-10, atol=1e-14)
    assert (q_table[["df1", "df2", "n", "strata"]] == factor[["df1", "df2", "n", "strata"]]).all(
        axis=None)
    inter = gd.interaction_table(merged, names)
    np.testing.assert_allclose(inter["q"], pairs["q"], rtol=1e-12, atol=1e-12)
    assert inter["type"].tolist() == pairs["type"].tolist()
    assert inter["strata"].tolist() == pairs["strata"].tolist()
    # and against the textbook q of the merged strata, independently of either path
    assert q_table.loc["f0", "q"] == pytest.approx(naive_q(frame["y"], frame["f0"]), abs=1e-12)


def test_chunks_of_wide_factors_merge_their_sparse_pairs():
    # 3,000 × 2,000 cells exceed the dense limit: each chunk keeps only the cells it has.
    rng = np.random.default_rng(6)
    n = 20_000
    a, b = rng.integers(0, 3000, n), rng.integers(0, 2000, n)
    y = rng.normal(size=n) + (a % 7)
    parts = _chunks([a, b], y, (3000, 2000), [0, 5000, 9000, 15000, n], joint_limit=0)
    assert parts[0].pair(0, 1).keys is not None
    merged = gd.merge_moments(parts)
    combined = pd.Series(a * 2000 + b)
    table = gd.interaction_table(merged, ["a", "b"])
    assert table.loc[0, "q"] == pytest.approx(naive_q(pd.Series(y), combined), abs=1e-10)
    assert table.loc[0, "strata"] == combined.nunique()


def test_chunk_moments_refuse_codes_outside_their_strata_and_mismatched_chunks():
    y = np.arange(6.0)
    with pytest.raises(gd.GeodetectorError, match=r"'x': 2 stratum code\(s\) outside 0…2 "
                                                   r"\(rows 3, 5\)"):
        gd.chunk_moments(y, [np.array([0, 1, 2, 3, 0, -1])], [3], names=["x"])
    with pytest.raises(gd.GeodetectorError, match="non-finite"):
        gd.chunk_moments(np.array([1.0, np.nan]), [np.array([0, 1])], [2])
    with pytest.raises(gd.GeodetectorError, match="different strata"):
        gd.merge_moments([gd.chunk_moments(y, [np.zeros(6, int)], [2]),
                          gd.chunk_moments(y, [np.zeros(6, int)], [3])])
    with pytest.raises(gd.GeodetectorError, match="y has 6 rows"):
        gd.chunk_moments(y, [np.zeros(5, int)], [2])
    with pytest.raises(gd.GeodetectorError, match="codes of x are not integers"):
        gd.chunk_moments(y, [np.zeros(6)], [2], names=["x"])


def test_interaction_types_follow_the_published_inequalities():
    assert gd.interaction_type(0.3, 0.4, 0.2) == "Weaken, nonlinear"
    assert gd.interaction_type(0.3, 0.4, 0.35) == "Weaken, uni-"
    assert gd.interaction_type(0.3, 0.4, 0.4) == "Weaken, uni-"
    assert gd.interaction_type(0.3, 0.4, 0.5) == "Enhance, bi-"
    assert gd.interaction_type(0.3, 0.4, 0.7) == "Independent"
    assert gd.interaction_type(0.3, 0.4, 0.8) == "Enhance, nonlinear"


@pytest.mark.parametrize("test,equal_var", [("welch", False), ("student", True)])
def test_risk_tests_match_scipy(test, equal_var):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.integers(0, 4, 120), "y": rng.normal(size=120)})
    frame["y"] += frame["x"] * rng.uniform(0.1, 0.5) + frame["x"] ** 2 * 0.05
    out = gd.risk_detector(frame, "y", "x", test=test)
    for row in out.tests.itertuples(index=False):
        a = frame.loc[frame["x"] == row.stratum_a, "y"]
        b = frame.loc[frame["x"] == row.stratum_b, "y"]
        ref = stats.ttest_ind(a, b, equal_var=equal_var)
        assert row.t == pytest.approx(ref.statistic, rel=1e-10)
        assert row.p == pytest.approx(ref.pvalue, rel=1e-8)
    group = frame.groupby("x")["y"]
    half = stats.t.ppf(0.975, group.size() - 1) * group.std() / np.sqrt(group.size())
    np.testing.assert_allclose(out.means["ci_high"], group.mean() + half, rtol=1e-12)
    assert (out.significance.to_numpy() == out.significance.to_numpy().T).all()


def test_noncentrality_zero_uses_the_central_f():
    # Equal strata sizes and equal means make λ exactly 0, where scipy's ncf.sf misbehaves.
    frame = pd.DataFrame({"x": [0, 0, 0, 1, 1, 1], "y": [1.0, 2.0, 3.0, 3.0, 2.0, 1.0]})
    out = gd.factor_detector(frame, "y", "x")
    assert out.loc["x", "ncp"] == pytest.approx(0.0, abs=1e-12)
    assert out.loc["x", "p"] == pytest.approx(stats.f.sf(out.loc["x", "F"], 1, 4))


@many_strata
@HYPOTHESIS
@given(stratified(), st.integers(0, 2**31))
def test_ecological_unordered_rule_ignores_pair_order(frame, seed):
    rng = np.random.default_rng(seed)
    frame = frame.assign(z=rng.integers(0, 3, len(frame)))
    if frame["z"].nunique() < 2:
        frame.loc[0, "z"] = (frame.loc[0, "z"] + 1) % 3
    one = gd.ecological_detector(frame, "y", ["x", "z"]).iloc[0]
    two = gd.ecological_detector(frame, "y", ["z", "x"]).iloc[0]
    # (both SSW zero — each factor separates every distinct y — gives NaN in either order)
    assert one["F"] == pytest.approx(two["F"], nan_ok=True)
    assert one["significant"] == two["significant"]
    ssw = [len(frame) * (1 - naive_q(frame["y"], frame[c])) for c in ("x", "z")]
    if min(ssw) > 1e-9:
        assert one["F"] == pytest.approx(max(ssw) / min(ssw), rel=1e-8)
        crit = stats.f.ppf(0.95, len(frame) - 1, len(frame) - 1)
        assert one["significant"] == (max(ssw) / min(ssw) > crit)


# ── bad input ─────────────────────────────────────────────────────────────────────────────


def test_missing_values_raise_or_drop_with_a_count():
    frame = pd.DataFrame({"y": [1.0, np.nan, 3.0, 4.0, 5.0, 6.0],
                          "x": ["a", "a", None, "b", "b", "b"]})
    with pytest.raises(gd.GeodetectorError, match=r"'y': 1 at rows 1.*'x': 1 at rows 2.*"
                                                  r"missing='drop'"):
        gd.factor_detector(frame, "y", "x")
    out = gd.factor_detector(frame, "y", "x", missing="drop")
    assert out.attrs["n_dropped"] == 2 and out.loc["x", "n"] == 4
    assert out.attrs["missing_by_column"] == {"y": 1, "x": 1}
    assert out.loc["x", "q"] == pytest.approx(naive_q(frame["y"].iloc[[0, 3, 4, 5]],
                                                      frame["x"].iloc[[0, 3, 4, 5]]))


def test_constant_y_is_an_error():
    frame = pd.DataFrame({"y": [2.5] * 5, "x": [1, 1, 2, 2, 2]})
    with pytest.raises(gd.GeodetectorError, match="constant"):
        gd.factor_detector(frame, "y", "x")


def test_continuous_floats_as_strata_ask_for_discretisation():
    frame = pd.DataFrame({"y": np.arange(6.0), "x": [0.5, 1.25, 2.0, 3.0, 4.0, 5.0]})
    with pytest.raises(gd.GeodetectorError, match=r"'x' holds continuous values.*discreti"):
        gd.factor_detector(frame, "y", "x")
    # integer-valued floats (a CSV column with gaps) are strata
    ok = gd.factor_detector(frame.assign(x=[1.0, 1.0, 2.0, 2.0, 3.0, 3.0]), "y", "x")
    assert ok.loc["x", "strata"] == 3


def test_bad_arguments_name_the_problem():
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [1, 1, 2, 2], "s": list("abcd")})
    with pytest.raises(gd.GeodetectorError, match="no factor column"):
        gd.factor_detector(frame, "y", "nope")
    with pytest.raises(gd.GeodetectorError, match="variance"):
        gd.factor_detector(frame, "y", "x", variance="unbiased")
    with pytest.raises(gd.GeodetectorError, match="not numeric"):
        gd.factor_detector(frame, "s", "x")
    with pytest.raises(gd.GeodetectorError, match="at least 2"):
        gd.interaction_detector(frame, "y", ["x"])
    with pytest.warns(UserWarning, match="4 strata for 4 rows"):
        gd.factor_detector(frame, "y", "s")


# ── discretisation ────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("k", [3, 5, 7])
def test_natural_breaks_match_mapclassify_fisher_jenks(k):
    values = np.random.default_rng(k).lognormal(size=150)
    ours = gd.discretize(values, "natural_breaks", k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = mapclassify.FisherJenks(values, k=k)
    np.testing.assert_allclose(ours.breaks, theirs.bins)
    np.testing.assert_array_equal(ours.codes, theirs.yb)


@pytest.mark.parametrize("method,cls", [("quantiles", mapclassify.Quantiles),
                                        ("equal_interval", mapclassify.EqualInterval)])
def test_quantile_and_equal_interval_use_mapclassify(method, cls):
    values = np.random.default_rng(1).normal(size=500)
    ours = gd.discretize(values, method, 6)
    theirs = cls(values, k=6)
    np.testing.assert_allclose(ours.breaks, theirs.bins)
    np.testing.assert_array_equal(ours.codes, theirs.yb)
    assert ours.counts.sum() == 500 and not ours.sampled


def test_large_inputs_are_sketched_and_equal_interval_stays_exact():
    values = np.random.default_rng(2).gamma(2.0, size=50_000)
    ours = gd.discretize(values, "equal_interval", 5)
    np.testing.assert_allclose(ours.breaks, np.linspace(values.min(), values.max(), 6)[1:])
    assert ours.sampled
    quant = gd.discretize(values, "quantiles", 4)
    assert np.abs(quant.counts / 50_000 - 0.25).max() < 0.002


def test_geometric_std_mean_and_user_defined():
    values = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 3.0, 5.0])
    geo = gd.discretize(values, "geometric", 4)  # GD::disc: min·(max/min)^(i/k)
    np.testing.assert_allclose(geo.breaks, [2.0, 4.0, 8.0, 16.0])
    shifted = gd.discretize(values - 1, "geometric", 4)  # a zero minimum is shifted by 1
    np.testing.assert_allclose(shifted.breaks, [1.0, 3.0, 7.0, 15.0])
    user = gd.discretize(pd.Series([0.5, 1.5, 2.5, np.nan, 9.0]), "manual", breaks=[1, 2])
    assert user.codes.tolist() == [0, 1, 2, -1, 2] and user.breaks.tolist() == [1.0, 2.0, 9.0]
    normal = np.random.default_rng(4).normal(10, 2, size=400)
    sd = gd.discretize(normal, "std_mean", 4)
    mean, std = normal.mean(), normal.std(ddof=1)  # mapclassify.StdMean's σ
    np.testing.assert_allclose(sd.breaks[:3], [mean - std, mean, mean + std])


def test_optimal_discretization_searches_and_picks_the_largest_q():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"x": rng.uniform(0, 10, 300)})
    frame["y"] = np.where(frame["x"] > 7, 3.0, 0.0) + np.sqrt(frame["x"]) + rng.normal(0, .3, 300)
    opt = gd.optimal_discretization(frame, "y", "x", k=range(3, 7), min_size=5)
    table = opt.table
    assert len(table) == 5 * 4 and table["best"].sum() == 1
    best = table[table["best"]].iloc[0]
    eligible = table[table["eligible"]]
    assert best["q"] == pytest.approx(eligible["q"].max())
    assert (eligible["min_count"] >= 5).all()
    # the search's q is the factor detector's q of the chosen strata
    check = gd.factor_detector(frame.assign(s=opt.discretization.strata), "y", "s")
    assert check.loc["s", "q"] == pytest.approx(opt.q, abs=1e-12)
    with pytest.raises(gd.GeodetectorError, match="min_size"):
        gd.optimal_discretization(frame, "y", "x", k=[6], min_size=200)


# ── entry point and plots ─────────────────────────────────────────────────────────────────


def test_geodetector_per_group_equals_the_detectors_on_each_subset():
    rng = np.random.default_rng(11)
    n = 240
    frame = pd.DataFrame({"region": rng.choice(["东部", "中部", "西部"], n),
                          "a": rng.integers(0, 4, n), "c": rng.normal(size=n)})
    frame["y"] = frame["a"] * 0.5 + frame["c"] + rng.normal(size=n)
    result = gd.geodetector(frame, "y", ["a", "c"], by="region", overall="全国",
                            discretize={"c": ("quantiles", 4)})
    assert result.factor["region"].unique().tolist() == ["全国", "东部", "中部", "西部"]
    for region, part in [("全国", frame), *frame.groupby("region")]:
        strata = gd.discretize(part["c"], "quantiles", 4).strata
        ref = gd.factor_detector(part.assign(c=strata), "y", ["a", "c"])
        got = result.factor[result.factor["region"] == region].set_index("factor")
        np.testing.assert_allclose(got.loc[["a", "c"], "q"], ref["q"], atol=1e-12)
        np.testing.assert_allclose(got.loc[["a", "c"], "p"], ref["p"], atol=1e-12)
    assert set(result.risk_means["factor"]) == {"a", "c"}
    assert len(result.discretization) == 4 and result.conventions["variance"] == "sample"
    assert len(result.ecological) == 4 and len(result.interaction) == 4


def test_plots_draw_one_panel_per_group(ntd):
    from spatialecon.maps.geodetector_plots import interaction_heatmap, q_bar_chart

    factor = gd.factor_detector(ntd, "incidence", FACTORS)
    fig = q_bar_chart(factor, labels={"type": "土壤类型"})
    bars = fig.axes[0].patches
    assert len(bars) == 3
    assert max(b.get_width() for b in bars) == pytest.approx(factor["q"].max())
    grouped = gd.geodetector(ntd.assign(half=np.arange(185) % 2), "incidence", FACTORS,
                             by="half", detectors=("factor", "interaction"))
    heat = interaction_heatmap(grouped.interaction)
    assert len([ax for ax in heat.axes if ax.get_images()]) == 3  # all, 0, 1
    image = heat.axes[0].get_images()[0].get_array()
    assert image[1, 0] == pytest.approx(
        grouped.interaction.query("half == 'all'")["q"].iloc[0])


def test_itertools_pairs_cover_every_pair(ntd):
    out = gd.interaction_detector(ntd, "incidence", FACTORS)
    assert list(zip(out["factor_a"], out["factor_b"], strict=True)) == list(
        itertools.combinations(FACTORS, 2))
