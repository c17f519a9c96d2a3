"""Moran's I, Geary's C, Getis–Ord G and LISA against esda's published figures, esda itself,
giddy, and brute-force enumeration of the permutation distributions."""

from __future__ import annotations

import itertools
import math
import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
from esda.significance import calculate_significance
from scipy import stats

from spatialecon.autocorrelation import (
    adjust_p,
    bivariate_moran,
    geary,
    general_g,
    global_moran,
    lisa_over_time,
    lisa_transitions,
    local_g,
    local_moran,
    local_moran_bv,
    pseudo_p,
    quadrant_table,
)
from spatialecon.weights import _make_w, capital_distance, contiguity, distance_weights


def _ours(w: libpysal.weights.W, meta: dict | None = None) -> libpysal.weights.W:
    """A libpysal W re-keyed for our API (ids as they are, original weights)."""
    w.transform = "O"
    return _make_w(w.neighbors, w.weights, list(w.id_order), meta or {"kind": "file"}, None)


def _example(gal: str, table: str, columns: list[str]) -> tuple[pd.DataFrame, libpysal.weights.W]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.io.open(libpysal.examples.get_path(gal)).read()
        f = libpysal.io.open(libpysal.examples.get_path(table))
        data = pd.DataFrame({c: np.array(f.by_col(c), dtype=float) for c in columns},
                            index=list(w.id_order))  # ids as the file has them
    return data, w


@pytest.fixture(scope="module")
def columbus():
    df = gpd.read_file(libpysal.examples.get_path("columbus.shp"))
    df.index = df["POLYID"].astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        queen = libpysal.weights.Queen.from_dataframe(df, use_index=True)
    return df, queen


# ---------------------------------------------------------------------------- global


def test_published_esda_figures_st_louis_and_sids():
    # esda's Moran docstring: St. Louis homicide rates 1988–93 (stl.gal) and SIDS rates
    stl, w = _example("stl.gal", "stl_hom.txt", ["HR8893"])
    result = global_moran(stl, "HR8893", _ours(w), permutations=0)
    assert round(result.I[0], 3) == 0.244
    assert result.EI[0] == -0.012987012987012988
    assert result.p_norm[0] == pytest.approx(0.00027147862770937614, rel=1e-10)
    sids, w = _example("sids2.gal", "sids2.dbf", ["SIDR74", "SIDR79"])
    result = global_moran(sids, "SIDR74", _ours(w), permutations=0)
    assert round(result.I[0], 3) == 0.248
    assert result.p_norm[0] == pytest.approx(0.0001158330781489969, rel=1e-10)
    # Moran_BV docstring (SIDR79 on the lag of SIDR74) and Moran_BV_matrix (0, 1)
    bv = bivariate_moran(sids, "SIDR79", "SIDR74", _ours(w), permutations=0)
    assert round(bv.I[0], 3) == 0.156
    bv = bivariate_moran(sids, "SIDR74", "SIDR79", _ours(w), permutations=0)
    assert round(bv.I[0], 7) == 0.1936261


def test_columbus_equals_esda(columbus):
    df, queen = columbus
    ours = global_moran(df, ["CRIME", "HOVAL"], _ours(queen), permutations=99, seed=0)
    for row in ours.itertuples():
        ref = esda.Moran(df[row.variable].to_numpy(), queen, permutations=0)
        for name in ("I", "EI", "VI_norm", "VI_rand", "z_norm", "z_rand", "p_norm", "p_rand"):
            assert getattr(row, name) == pytest.approx(getattr(ref, name), rel=1e-10), name
    assert ours.I[0] == pytest.approx(0.500188557, abs=1e-9)  # GeoDa and esda: CRIME, queen
    assert ours.attrs["alternative"] == "two-sided" and ours.attrs["permutations"] == 99
    assert "transform=R" in ours.attrs["weights"]


def test_geary_and_general_g_equal_esda(columbus):
    df, queen = columbus
    c = geary(df, "CRIME", _ours(queen), permutations=99, seed=1)
    ref = esda.Geary(df["CRIME"].to_numpy(), queen, permutations=0)
    assert (c.C[0], c.EC[0]) == (pytest.approx(ref.C), pytest.approx(ref.EC))
    assert c.z_rand[0] == pytest.approx(ref.z_rand) and c.z_norm[0] == pytest.approx(ref.z_norm)
    assert c.p_sim[0] == pytest.approx(0.02)  # 1/(99+1) one-sided, doubled
    g = general_g(df, "CRIME", _ours(queen), permutations=99, seed=1)
    ref = esda.G(df["CRIME"].to_numpy(), queen, permutations=0)
    assert g.G[0] == pytest.approx(ref.G) and g.z_norm[0] == pytest.approx(ref.z_norm)
    # the permutation engine's statistic equals the observed one on the identity ordering
    assert g.EI_sim[0] == pytest.approx(ref.EG, rel=0.05)
    with pytest.raises(ValueError, match="non-negative"):
        general_g(df.assign(CRIME=df.CRIME - 100), "CRIME", _ours(queen))


def test_analytic_moments_equal_full_enumeration():
    """On a 6-unit map, the mean and variance of I over all 720 permutations of the values are
    E[I] and Var[I] under randomisation, exactly."""
    neighbors = {0: [1, 2], 1: [0, 2, 3], 2: [0, 1, 4], 3: [1, 5], 4: [2, 5], 5: [3, 4]}
    w = _make_w(neighbors, None, list(range(6)), {}, None)
    y = np.array([3.0, 7.5, 1.0, 9.0, 4.0, 12.0])
    result = global_moran(pd.DataFrame({"y": y}), "y", w, permutations=0)
    sw = w.sparse.toarray()
    sw = sw / sw.sum(axis=1, keepdims=True)
    values = []
    for perm in itertools.permutations(y):
        z = np.array(perm) - y.mean()
        values.append(6 / sw.sum() * z @ sw @ z / (z @ z))
    assert result.EI[0] == pytest.approx(np.mean(values), abs=1e-12)
    assert result.VI_rand[0] == pytest.approx(np.var(values), rel=1e-10)
    assert result.I[0] == pytest.approx(values[0])


def test_permutations_are_seeded_and_bootstrap_has_the_seed_layout(columbus):
    df, queen = columbus
    a = global_moran(df, "CRIME", _ours(queen), permutations=199, seed=7, bootstrap=2000)
    b = global_moran(df, "CRIME", _ours(queen), permutations=199, seed=7, bootstrap=2000)
    pd.testing.assert_frame_equal(a.drop(columns="dropped"), b.drop(columns="dropped"))
    # z = (I − E[I]) / SE, as the seed's Moran table prints it
    assert a.z_boot[0] == pytest.approx((a.I[0] - a.EI[0]) / a.se_boot[0])
    # resampling the values with replacement approximates the randomisation variance
    assert a.se_boot[0] == pytest.approx(math.sqrt(a.VI_rand[0]), rel=0.15)
    assert a.seI_sim[0] == pytest.approx(math.sqrt(a.VI_rand[0]), rel=0.15)


def test_by_year_on_a_tidy_panel():
    provinces = contiguity_provinces()
    rng = np.random.default_rng(3)
    panel = pd.DataFrame([(c, y, "x", rng.normal() + (c // 10000) / 10)
                          for c in provinces.id_order for y in (2003, 2018)],
                         columns=["adcode", "year", "variable", "value"])
    result = global_moran(panel, "x", provinces, by="year", permutations=0)
    assert result["year"].tolist() == [2003, 2018] and (result.n == 31).all()
    one = panel[panel.year == 2018].set_index("adcode")[["value"]].rename(columns={"value": "x"})
    assert result.I[1] == pytest.approx(global_moran(one, "x", provinces, permutations=0).I[0])


def contiguity_provinces():
    from spatialecon.geodata import boundaries

    return contiguity(boundaries("province"))


# ---------------------------------------------------------------------------- significance


@pytest.mark.parametrize("alternative", ["greater", "lesser", "directed", "folded"])
def test_pseudo_p_equals_esda_significance(alternative):
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(40, 199))
    observed = rng.normal(scale=2, size=40)
    np.testing.assert_allclose(pseudo_p(observed, reference, alternative),
                               calculate_significance(observed, reference, alternative))


def test_two_sided_and_multiple_testing():
    reference = np.arange(1, 100, dtype=float)[None, :]  # 99 draws 1..99
    assert pseudo_p(95.5, reference, "two-sided")[0] == pytest.approx(2 * 5 / 100)
    assert pseudo_p(50, reference, "two-sided")[0] == 1.0
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan, 0.2])
    ok = ~np.isnan(p)
    np.testing.assert_allclose(adjust_p(p, "fdr")[ok], stats.false_discovery_control(p[ok]))
    np.testing.assert_allclose(adjust_p(p, "bonferroni")[ok], np.minimum(1, p[ok] * 5))
    assert np.isnan(adjust_p(p, "fdr")[4])
    with pytest.raises(ValueError, match="alternative must be one of"):
        pseudo_p(1.0, reference, "two-tailed")


# ---------------------------------------------------------------------------- local


def test_local_moran_values_and_identity(columbus):
    df, queen = columbus
    w = _ours(queen)
    local = local_moran(df, "CRIME", w, permutations=99, seed=1)
    queen.transform = "r"
    ref = esda.Moran_Local(df["CRIME"].to_numpy(), queen, permutations=0)
    np.testing.assert_allclose(local["Ii"], ref.Is, rtol=1e-12)
    np.testing.assert_array_equal(local["quadrant"].map(dict(HH=1, LH=2, LL=3, HL=4)), ref.q)
    # Σ Ii = (n − 1) I for row-standardised weights
    moran = global_moran(df, "CRIME", w, permutations=0).I[0]
    assert local["Ii"].sum() == pytest.approx((len(df) - 1) * moran)
    assert local.attrs["seed"] == 1 and local.attrs["alternative"] == "two-sided"


def test_desmith_quadrants_published_by_esda():
    data, w = _example("desmith.gal", "desmith.txt", ["z"])
    local = local_moran(data, "z", _ours(w), permutations=0)
    quadrant_codes = local["quadrant"].map(dict(HH=1, LH=2, LL=3, HL=4)).tolist()
    assert quadrant_codes == [4, 4, 4, 2, 3, 3, 1, 4, 3, 3]  # esda Moran_Local docstring


def _exact_conditional(y: np.ndarray, w: np.ndarray, i: int) -> np.ndarray:
    """Every value of I_i under conditional permutation: each ordered choice of neighbours'
    values from the other units (brute force)."""
    n = len(y)
    z = (y - y.mean()) / y.std()
    scale = (n - 1) / (z @ z)
    nbrs = np.flatnonzero(w[i])
    others = [z[j] for j in range(n) if j != i]
    return np.array([scale * z[i] * (np.array(c) @ w[i, nbrs])
                     for c in itertools.permutations(others, len(nbrs))])


@pytest.mark.parametrize("kind", ["equal weights", "unequal weights"])
def test_conditional_permutation_matches_exact_distribution(kind):
    rng = np.random.default_rng(11)
    n = 8
    pts = pd.DataFrame({"lon": rng.uniform(100, 110, n), "lat": rng.uniform(25, 35, n)},
                       index=range(n))
    w = (distance_weights(pts, "knn", k=3) if kind == "equal weights"
         else distance_weights(pts, "inverse", threshold=1e9))
    y = rng.normal(size=n)
    local = local_moran(pd.DataFrame({"y": y}), "y", w, permutations=40_000, seed=5,
                        alternative="greater")
    dense = w.full()[0]
    dense = dense / dense.sum(axis=1, keepdims=True)
    for i in range(n):
        exact = _exact_conditional(y, dense, i)
        assert local["EI_sim"][i] == pytest.approx(exact.mean(), abs=4 * exact.std() / 200)
        assert local["seI_sim"][i] == pytest.approx(exact.std(), rel=0.02)
        p_exact = (exact >= local["Ii"][i] - 1e-12).mean()
        assert local["p_sim"][i] == pytest.approx(p_exact, abs=0.01)


def test_same_clusters_as_esda_away_from_the_boundary(columbus):
    df, queen = columbus
    ours = local_moran(df, "CRIME", _ours(queen), permutations=9999, seed=2,
                       alternative="directed")
    queen.transform = "r"
    ref = esda.Moran_Local(df["CRIME"].to_numpy(), queen, permutations=9999, seed=2)
    # two Monte Carlo estimates of one p: their difference has sd sqrt(2 p (1 - p) / R)
    sd = np.sqrt(2 * ref.p_sim * (1 - ref.p_sim) / 9999)
    assert (np.abs(ours["p_sim"] - ref.p_sim) <= 4.5 * sd + 1e-4).all()
    clear = np.abs(ref.p_sim - 0.05) > 4.5 * sd
    ref_cluster = np.where(ref.p_sim <= 0.05, ours["quadrant"], "not significant")
    assert (ours["cluster"].to_numpy()[clear] == ref_cluster[clear]).all()


# ---------------------------------------------------------------------------- GeoDa's LISA
# GeoDa's rules, transcribed from its source (libgeoda sa/UniLocalMoran.cpp, sa/LISA.cpp; GeoDa
# Explore/AbstractCoordinator.cpp, DialogTools/RandomizationDlg.cpp) for the tests below.


def _geoda_p(permuted: np.ndarray, observed: float) -> float:
    """UniLocalMoran::CountLargerSA and LISA::CalcPseudoP_range, line by line."""
    permutations = len(permuted)
    count_larger = int(sum(1 for v in permuted if v >= observed))
    if permutations - count_larger <= count_larger:
        count_larger = permutations - count_larger
    return (count_larger + 1.0) / (permutations + 1)


def _geoda_fdr_cutoff(p: np.ndarray, alpha: float) -> float:
    """InferenceSettingsDlg::Init (RandomizationDlg.cpp) / LISA::GetFDR, line by line."""
    pvals, n, fdr = sorted(p), len(p), 0.0
    for i in range(n):
        val = (i + 1) * alpha / n
        if i == 0:
            fdr = val
        if pvals[i] >= val:
            break
        fdr = val
    return fdr


def _pygeoda_lisa(df: pd.DataFrame, column: str, **kwargs):
    pygeoda = pytest.importorskip("pygeoda", reason="pygeoda (GeoDa's engine) is a dev dependency")
    layer = pygeoda.open(gpd.GeoDataFrame(df.reset_index(drop=True)))
    return pygeoda.local_moran(pygeoda.queen_weights(layer), df[column].tolist(), **kwargs)


GEODA_CLUSTERS = {0: "not significant", 1: "HH", 2: "LL", 3: "LH", 4: "HL", 6: "neighbourless"}


def test_geoda_p_is_geodas_count_on_our_draws(columbus):
    """conventions='geoda' gives GeoDa's count formula applied to our own conditional draws,
    rebuilt here from the seed and evaluated one unit and one draw at a time."""
    from spatialecon.autocorrelation import _draw_orderings

    df, queen = columbus
    w = _ours(queen)
    ours = local_moran(df, "CRIME", w, conventions="geoda", seed=7)
    assert ours.attrs["permutations"] == 999 and ours.attrs["alternative"] == "directed"
    assert ours.attrs["conventions"] == "geoda" and "GeoDa" in ours.attrs["p_value"]
    y = df["CRIME"].to_numpy()
    z = (y - y.mean()) / y.std()
    ids = list(w.id_order)
    nbrs = [[ids.index(j) for j in w.neighbors[i]] for i in ids]
    kmax = max(len(n) for n in nbrs)
    orderings = _draw_orderings(len(z), kmax + 1, 999, np.random.default_rng(7))
    for i, own in enumerate(nbrs):
        k = len(own)
        # correctly rounded sums, so a draw of the very neighbours is an exact tie
        observed = z[i] * math.fsum(z[own]) / k
        permuted = [z[i] * math.fsum(z[[j for j in row if j != i][:k]]) / k
                    for row in orderings]
        assert ours["p_sim"].iloc[i] == _geoda_p(np.array(permuted), observed), ids[i]
    # the same numbers as the shared pseudo p-value rule 'directed' under the esda convention
    directed = local_moran(df, "CRIME", w, alternative="directed", seed=7)
    np.testing.assert_array_equal(ours["p_sim"], directed["p_sim"])


def test_geoda_clusters_equal_pygeoda_away_from_the_cutoff(columbus):
    df, queen = columbus
    ours = local_moran(df, "CRIME", _ours(queen), conventions="geoda", seed=3)
    geoda = _pygeoda_lisa(df, "CRIME", permutations=999)
    p_geoda = np.array(geoda.lisa_pvalues())
    labels = np.array([GEODA_CLUSTERS[c] for c in geoda.lisa_clusters()])
    # GeoDa's values are ours (z by the sample sd, z_i (Wz)_i), and so are its quadrants
    np.testing.assert_allclose(ours["Ii"], geoda.lisa_values(), rtol=1e-12, atol=1e-15)
    quadrants = _pygeoda_lisa(df, "CRIME", permutations=99, significance_cutoff=1.0)
    assert ours["quadrant"].tolist() == [GEODA_CLUSTERS[c] for c in quadrants.lisa_clusters()]
    # Two random streams (and GeoDa's non-uniform sampler, see the module notes) give two
    # estimates of each p; units whose p is clearly on one side of 0.05 in both agree.
    p_ours = ours["p_sim"].to_numpy()
    clear = ((p_ours <= 0.02) & (p_geoda <= 0.02)) | ((p_ours >= 0.10) & (p_geoda >= 0.10))
    assert clear.sum() >= 30
    assert (ours["cluster"].to_numpy()[clear] == labels[clear]).all()
    assert set(labels[clear]) >= {"not significant", "HH", "LL"}


def test_geoda_quadrants_count_values_at_the_mean_as_high():
    """GeoDa's rule sends z = 0 or a zero lag to HH; esda's to LH, LL or HL. A 5 × 5 grid
    whose centre holds the mean of 0..24."""
    import shapely

    cells = [shapely.box(c, r, c + 1, r + 1) for r in range(5) for c in range(5)]
    values = np.random.default_rng(4).permutation(25).astype(float)
    values[[12, int(np.flatnonzero(values == 12)[0])]] = values[
        [int(np.flatnonzero(values == 12)[0]), 12]]  # the value 12 (the mean) in the centre
    grid = gpd.GeoDataFrame({"v": values}, geometry=cells, index=pd.Index(range(25),
                                                                          name="adcode"))
    w = contiguity(grid)
    geoda_rule = local_moran(grid, "v", w, conventions="geoda", permutations=0)
    esda_rule = local_moran(grid, "v", w, permutations=0)
    reference = _pygeoda_lisa(grid, "v", permutations=99, significance_cutoff=1.0)
    assert geoda_rule["quadrant"].tolist() == [GEODA_CLUSTERS[c]
                                               for c in reference.lisa_clusters()]
    assert geoda_rule.loc[12, "quadrant"] == "HH" and esda_rule.loc[12, "quadrant"] != "HH"
    # the rules part only at a zero value or a zero lag (here the centre and one lag of 0)
    differ = geoda_rule.index[geoda_rule["quadrant"] != esda_rule["quadrant"]]
    at_zero = geoda_rule.index[(geoda_rule["z"] == 0) | (geoda_rule["lag"] == 0)]
    assert differ.tolist() == at_zero.tolist() and len(at_zero) == 2


def test_geoda_fdr_and_bonferroni_cutoffs(columbus):
    df, _ = columbus
    geoda = _pygeoda_lisa(df, "CRIME", permutations=999)
    p = np.array(geoda.lisa_pvalues())
    # against GeoDa's engine on its own p-values
    np.testing.assert_array_equal(adjust_p(p, "geoda-fdr") <= 0.05,
                                  p <= geoda.lisa_fdr(0.05))
    np.testing.assert_array_equal(adjust_p(p, "bonferroni") <= 0.05, p <= geoda.lisa_bo(0.05))
    assert (p <= geoda.lisa_fdr(0.05)).sum() >= 3
    # against the transcribed dialog on pseudo p-values with many ties (k / 1000)
    rng = np.random.default_rng(8)
    for _ in range(200):
        draws = rng.integers(1, 1001, size=37) / 1000
        draws[: rng.integers(0, 8)] = rng.integers(1, 4) / 1000  # a few small ones
        for alpha in (0.05, 0.01):
            np.testing.assert_array_equal(adjust_p(draws, "geoda-fdr") <= alpha,
                                          draws <= _geoda_fdr_cutoff(draws, alpha))
    # GeoDa's rule is step-down: it stops at the first failure, where BH steps up
    crafted = np.array([0.001, 0.03, 0.031, 0.032, 0.033])
    assert (adjust_p(crafted, "geoda-fdr") <= 0.05).sum() == 1
    assert (adjust_p(crafted, "fdr") <= 0.05).sum() == 5
    assert (crafted <= _geoda_fdr_cutoff(crafted, 0.05)).sum() == 1


def test_geoda_conventions_choices_and_neighbourless_counts():
    from spatialecon.geodata import boundaries

    provinces = boundaries("province", simplify=0.01)
    with pytest.warns(UserWarning):
        w = contiguity(provinces, islands="keep")
    y = pd.DataFrame({"lat": provinces.representative_point().y}, index=provinces.index)
    esda_rule = local_moran(y, "lat", w, seed=1, adjust="bonferroni")
    geoda_rule = local_moran(y, "lat", w, seed=1, adjust="bonferroni", conventions="geoda")
    assert esda_rule.attrs["conventions"] == "esda"
    assert esda_rule.attrs["alternative"] == "two-sided" and esda_rule.attrs["permutations"] == 999
    # GeoDa counts Hainan (no neighbours, p left at 0) among the 31 tests; esda's rule 30
    p = geoda_rule["p_sim"]
    np.testing.assert_allclose(geoda_rule["p_adjusted"].dropna(), np.minimum(1, p.dropna() * 31))
    np.testing.assert_allclose(esda_rule["p_adjusted"].dropna(),
                               np.minimum(1, esda_rule["p_sim"].dropna() * 30))
    assert geoda_rule.loc[460000, "cluster"] == "neighbourless"
    fdr = local_moran(y, "lat", w, seed=1, adjust="fdr", conventions="geoda")
    assert fdr.attrs["adjust"] == "geoda-fdr"
    with pytest.raises(ValueError, match="GeoDa's one pseudo p-value"):
        local_moran(y, "lat", w, conventions="geoda", alternative="two-sided")
    with pytest.raises(ValueError, match="conventions must be"):
        local_moran(y, "lat", w, conventions="arcgis")
    yearly = lisa_over_time(pd.DataFrame({"adcode": y.index, "year": 2020, "variable": "lat",
                                          "value": y["lat"]}), "lat", w, permutations=99,
                            conventions="geoda")
    assert yearly.attrs["conventions"] == "geoda" and yearly.attrs["permutations"] == 99


def test_reproducible_and_independent_of_jobs():
    from spatialecon.geodata import boundaries

    counties = boundaries("county").query("province_adcode in [410000, 420000]")
    w = contiguity(counties)
    data = pd.DataFrame({"v": np.log(counties.to_crs("+proj=aea +lat_1=25 +lat_2=47 +lon_0=105")
                                     .area)}, index=counties.index)
    a = local_moran(data, "v", w, permutations=999, seed=3)
    b = local_moran(data, "v", w, permutations=999, seed=3, n_jobs=2)
    pd.testing.assert_frame_equal(a, b)
    c = local_moran(data, "v", w, permutations=999, seed=4)
    assert not np.array_equal(a["p_sim"], c["p_sim"])


def test_clusters_with_fdr_bonferroni_and_islands():
    from spatialecon.geodata import boundaries

    provinces = boundaries("province")
    with pytest.warns(UserWarning):
        w = contiguity(provinces, islands="keep")
    y = pd.DataFrame({"lat": provinces.representative_point().y}, index=provinces.index)
    local = local_moran(y, "lat", w, permutations=999, seed=1)
    assert local.loc[460000, "cluster"] == "neighbourless" and np.isnan(local.loc[460000, "p_sim"])
    assert local.loc[460000, "Ii"] == 0
    plain = (local["cluster"].isin(["HH", "LL", "LH", "HL"])).sum()
    fdr = local_moran(y, "lat", w, permutations=999, seed=1, adjust="fdr")
    bonf = local_moran(y, "lat", w, permutations=999, seed=1, adjust="bonferroni")
    n_fdr = fdr["cluster"].isin(["HH", "LL", "LH", "HL"]).sum()
    n_bonf = bonf["cluster"].isin(["HH", "LL", "LH", "HL"]).sum()
    assert plain >= n_fdr >= n_bonf and plain > 0
    np.testing.assert_allclose(bonf["p_adjusted"].dropna(),
                               np.minimum(1, local["p_sim"].dropna() * 30))


def test_bivariate_local_and_gi_star_equal_esda():
    sids, w = _example("sids2.gal", "sids2.dbf", ["SIDR74", "SIDR79"])
    ours = local_moran_bv(sids, "SIDR79", "SIDR74", _ours(w), permutations=0)
    w.transform = "r"
    ref = esda.Moran_Local_BV(sids.SIDR79.to_numpy(), sids.SIDR74.to_numpy(), w, permutations=0)
    np.testing.assert_allclose(ours["Ii"], ref.Is, rtol=1e-10)
    assert ours["quadrant"].map(dict(HH=1, LH=2, LL=3, HL=4)).tolist()[:10] == [
        3, 4, 3, 4, 2, 1, 4, 4, 2, 4]  # esda Moran_Local_BV docstring
    for star in (True, False):
        g = local_g(sids, "SIDR74", _ours(w), star=star)
        ref = esda.G_Local(sids.SIDR74.to_numpy(), w, transform="B", star=star, permutations=0)
        np.testing.assert_allclose(g["G"], ref.Zs, rtol=1e-10)
    hot = local_g(sids, "SIDR74", _ours(w))
    assert set(hot["spot"]) <= {"hot spot 99%", "hot spot 95%", "cold spot 99%",
                                "cold spot 95%", "not significant"}
    assert (hot.loc[hot.spot == "hot spot 99%", "p_norm"] <= 0.01).all()


# ---------------------------------------------------------------------------- over time


def _sids_panel():
    sids, w = _example("sids2.gal", "sids2.dbf", ["SIDR74", "SIDR79"])
    panel = pd.concat([
        pd.DataFrame({"adcode": sids.index, "year": year, "variable": "sidr",
                      "value": sids[col].to_numpy()})
        for year, col in ((1974, "SIDR74"), (1979, "SIDR79"))])
    return panel, w, sids


def test_lisa_transitions_equal_giddy():
    from giddy.markov import LISA_Markov

    panel, w, sids = _sids_panel()
    lisa = lisa_over_time(panel, "sidr", _ours(w))
    matrix, per_unit = lisa_transitions(lisa)
    w.transform = "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LISA_Markov(sids[["SIDR74", "SIDR79"]].to_numpy(), w)
    np.testing.assert_array_equal(matrix.to_numpy(), ref.transitions)
    # Rey's types by their definition: who changed side of the mean
    row = per_unit.iloc[0]
    own = row["from"][0] != row["to"][0]
    nbr = row["from"][1] != row["to"][1]
    assert row["type"].startswith({(False, False): "0", (True, False): "I:",
                                   (False, True): "II:", (True, True): "III"}[(own, nbr)])
    assert len(per_unit) == 100


def test_quadrant_table_layout():
    provinces = contiguity_provinces()
    from spatialecon.geodata import capitals

    cap = capitals()
    panel = pd.DataFrame([(c, year, "lat", cap.lat[c] * (1 if year == 2003 else -1))
                          for c in provinces.id_order for year in (2003, 2018)],
                         columns=["adcode", "year", "variable", "value"])
    lisa = lisa_over_time(panel, "lat", provinces)
    table = quadrant_table(lisa)
    assert list(table.columns) == [2003, 2018] and list(table.index) == ["HH", "LH", "LL", "HL"]
    # northern provinces are HH when the value is the latitude, LL when it is its negative
    assert "黑龙江" in table.loc["HH", 2003] and "黑龙江" in table.loc["LL", 2018]
    assert sum(len(cell.split("、")) for cell in table[2003] if cell) == 31


def test_bad_input_is_named():
    provinces = contiguity_provinces()
    data = pd.DataFrame({"x": np.arange(31.0)}, index=provinces.id_order)
    with pytest.raises(ValueError, match="constant"):
        global_moran(data.assign(x=1.0), "x", provinces)
    gap = data.copy()
    gap.loc[[110000, 120000], "x"] = np.nan
    with pytest.raises(ValueError, match=r"no value for 2 unit\(s\).*\[110000, 120000\]"):
        global_moran(gap, "x", provinces)
    dropped = global_moran(gap, "x", provinces, missing="drop", permutations=0)
    assert dropped.n[0] == 29 and dropped.dropped[0] == [110000, 120000]
    panel = pd.DataFrame({"adcode": provinces.id_order, "year": 2003, "variable": "x",
                          "value": np.arange(31.0)})
    with pytest.raises(ValueError, match=r"no data for year\(s\) \[2018\]"):
        lisa_over_time(panel, "x", provinces, years=[2003, 2018])
    with pytest.raises(ValueError, match="not in the data"):
        local_moran(data, "y", provinces)


def test_capital_distance_weights_for_moran():
    """The seed's Moran table uses weights from provincial capitals: any form works here."""
    w = capital_distance("inverse")
    data = pd.DataFrame({"lat": capital_distance_lat()}, index=w.id_order)
    result = global_moran(data, "lat", w, permutations=0)
    assert result.I[0] > 0.2 and result.p_norm[0] < 0.01  # latitude is spatially smooth


def capital_distance_lat():
    from spatialecon.geodata import capitals

    return capitals()["lat"].to_numpy()
