"""The permutation engine (spatialecon.autocorrelation._permutation): its draws against exact
enumeration and against esda, the per-block LISA entry point against the whole-map call, and
invariance to blocks and threads."""

from __future__ import annotations

import collections
import itertools
import math
import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
from numba import njit
from scipy import sparse, stats

from spatialecon.autocorrelation import (
    AutocorrelationError,
    bivariate_moran,
    geary,
    general_g,
    global_moran,
    local_moran,
    local_moran_bv,
)
from spatialecon.autocorrelation import _lisa_block as lisa_block
from spatialecon.autocorrelation._permutation import (
    _local_test_of,
    _shuffle,
    _stream,
    permuted_forms,
)
from spatialecon.weights import _make_w


@pytest.fixture(scope="module")
def columbus():
    df = gpd.read_file(libpysal.examples.get_path("columbus.shp"))
    df.index = df["POLYID"].astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        queen = libpysal.weights.Queen.from_dataframe(df, use_index=True)
    queen.transform = "O"
    ours = _make_w(queen.neighbors, None, list(queen.id_order), {"kind": "file"}, None)
    return df, ours


def _six() -> tuple[pd.DataFrame, object, np.ndarray]:
    """A 6-unit map (unequal row lengths) whose 720 permutations can be enumerated."""
    neighbors = {0: [1, 2], 1: [0, 2, 3], 2: [0, 1, 4], 3: [1, 5], 4: [2, 5], 5: [3, 4]}
    w = _make_w(neighbors, None, list(range(6)), {}, None)
    x = np.array([2.0, 5.5, 1.0, 8.0, 3.0, 6.5])
    y = np.array([3.0, 7.5, 1.0, 9.0, 4.0, 12.0])
    return pd.DataFrame({"x": x, "y": y}), w, w.sparse.toarray()


# ---------------------------------------------------------------------------- global draws


@njit
def _draw_many(y, draws, key):  # pragma: no cover - numba
    n = len(y)
    out = np.empty((draws, n))
    v = np.empty((2, n))
    for p in range(draws):
        _shuffle(y, v, 1, _stream(key, p))
        out[p] = v[1]
    return out


@pytest.mark.parametrize("n", [5, 6])
def test_shuffle_is_uniform_over_all_permutations(n):
    """Every ordering of 5 or 6 values is equally likely (both parities of the two-swaps-per-
    output Fisher–Yates loop)."""
    size = math.factorial(n) * 1000
    draws = _draw_many(np.arange(float(n)), size, np.uint64(2024))
    counts = collections.Counter(map(tuple, draws.astype(int)))
    observed = np.array([counts.get(p, 0) for p in itertools.permutations(range(n))])
    assert observed.sum() == size and (observed > 0).all()
    assert stats.chisquare(observed).pvalue > 1e-3
    # each value lands at each position with probability 1/n
    for position in range(n):
        share = np.bincount(draws[:, position].astype(int), minlength=n) / len(draws)
        np.testing.assert_allclose(share, 1 / n, atol=0.005)


def test_global_statistics_match_full_enumeration():
    """The draws of Moran's I, Geary's C, General G and bivariate Moran against their exact
    permutation distributions over all 720 orderings (mean, sd and the p-value of the
    observation within Monte Carlo error)."""
    data, w, dense = _six()
    x, y = data["x"].to_numpy(), data["y"].to_numpy()
    rw = dense / dense.sum(axis=1, keepdims=True)
    n, r = 6, 40_000

    def moran(v):
        z = v - v.mean()
        return n / rw.sum() * z @ rw @ z / (z @ z)

    def c_stat(v):
        z = v - v.mean()
        num = (rw * (v[:, None] - v[None, :]) ** 2).sum()
        return (n - 1) * num / (2 * rw.sum() * (z @ z))

    def g_stat(v):  # binary weights, i ≠ j
        return v @ dense @ v / (v.sum() ** 2 - (v**2).sum())

    zx = (x - x.mean()) / x.std(ddof=1)

    def bv(v):
        zy = (v - v.mean()) / v.std(ddof=1)
        return zx @ rw @ zy / (n - 1)

    cases = [
        (global_moran(data, "y", w, permutations=r, seed=3, alternative="greater"), "I", moran),
        (geary(data, "y", w, permutations=r, seed=3, alternative="greater"), "C", c_stat),
        (general_g(data, "y", w, permutations=r, seed=3, alternative="greater"), "G", g_stat),
        (bivariate_moran(data, "x", "y", w, permutations=r, seed=3, alternative="greater"),
         "I", bv),
    ]
    for result, name, stat in cases:
        exact = np.array([stat(np.array(p)) for p in itertools.permutations(y)])
        observed = stat(y)
        assert result[name][0] == pytest.approx(observed, rel=1e-12)
        assert result["EI_sim"][0] == pytest.approx(exact.mean(),
                                                    abs=5 * exact.std() / math.sqrt(r))
        assert result["seI_sim"][0] == pytest.approx(exact.std(), rel=0.02)
        p_exact = (exact >= observed - 1e-12).mean()
        assert result["p_sim"][0] == pytest.approx(
            p_exact, abs=5 * math.sqrt(p_exact * (1 - p_exact) / r) + 1 / r)


def test_bootstrap_matches_a_direct_resampling():
    """se_boot of Moran's I: the engine's resamples with replacement against numpy's, on the
    same map (two Monte Carlo estimates of one standard deviation)."""
    data, w, dense = _six()
    y = data["y"].to_numpy()
    rw = dense / dense.sum(axis=1, keepdims=True)
    ours = global_moran(data, "y", w, permutations=0, bootstrap=40_000, seed=5)
    draws = np.random.default_rng(9).choice(y, size=(40_000, 6), replace=True)
    keep = draws.std(axis=1) > 0  # a constant resample has no I; the engine gives NaN
    z = draws[keep] - draws[keep].mean(axis=1, keepdims=True)
    direct = 6 / rw.sum() * np.einsum("ri,ij,rj->r", z, rw, z) / (z * z).sum(axis=1)
    assert ours["se_boot"][0] == pytest.approx(direct.std(ddof=1), rel=0.03)


def test_global_moran_agrees_with_esda_and_randomisation_moments(columbus):
    """On Columbus' crime rates: p_sim (esda's directed rule) against esda's own draws within
    Monte Carlo error, and the draws' mean and sd against E[I] and the randomisation variance
    (the exact moments of the permutation distribution)."""
    df, w = columbus
    r = 9999
    for column in ("CRIME", "HOVAL", "INC"):
        ours = global_moran(df, column, w, permutations=r, seed=11, alternative="directed")
        np.random.seed(11)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rw = libpysal.weights.W(w.neighbors)
            ref = esda.Moran(df[column].to_numpy(), rw, transformation="r", permutations=r)
        sd = math.sqrt(2 * ref.p_sim * (1 - ref.p_sim) / r)
        assert ours["p_sim"][0] == pytest.approx(ref.p_sim, abs=4.5 * sd + 2 / r), column
        assert ours["EI_sim"][0] == pytest.approx(ours["EI"][0],
                                                  abs=5 * math.sqrt(ours["VI_rand"][0] / r))
        assert ours["seI_sim"][0] == pytest.approx(math.sqrt(ours["VI_rand"][0]), rel=0.03)


def test_global_draws_do_not_depend_on_threads(columbus):
    df, w = columbus
    one = global_moran(df, ["CRIME", "HOVAL"], w, permutations=999, seed=4, bootstrap=99)
    two = global_moran(df, ["CRIME", "HOVAL"], w, permutations=999, seed=4, bootstrap=99,
                       n_jobs=2)
    pd.testing.assert_frame_equal(one, two)
    forms = permuted_forms(df["CRIME"].to_numpy(), w.sparse, 50, np.random.default_rng(1))
    split = permuted_forms(df["CRIME"].to_numpy(), w.sparse, 50, np.random.default_rng(1),
                           n_jobs=3)
    np.testing.assert_array_equal(forms["vWv"], split["vWv"])


def test_draws_on_a_large_map_keep_the_moments():
    """I's draws on a 300 × 300 rook lattice (skewed values) have the randomisation mean and
    variance."""
    side = 300
    n = side * side
    idx = np.arange(n).reshape(side, side)
    i = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    j = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    a = sparse.coo_matrix((np.ones(2 * len(i)), (np.r_[i, j], np.r_[j, i])), shape=(n, n))
    a = sparse.csr_matrix(a)
    rw = sparse.diags(1 / np.asarray(a.sum(axis=1)).ravel()) @ a
    y = np.random.default_rng(0).gamma(2.0, size=n)  # skewed: kurtosis enters VI_rand
    z = y - y.mean()
    forms = permuted_forms(z, rw, 400, np.random.default_rng(2))
    draws = n / rw.sum() * forms["vWv"] / (z @ z)
    s0 = rw.sum()
    s1 = 0.5 * ((rw + rw.T).multiply(rw + rw.T)).sum()
    s2 = ((np.asarray(rw.sum(axis=1)).ravel() + np.asarray(rw.sum(axis=0)).ravel()) ** 2).sum()
    k = n * (z**4).sum() / (z @ z) ** 2
    ei = -1 / (n - 1)
    v_rand = (n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
              - k * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)) / (
        (n - 1) * (n - 2) * (n - 3) * s0 * s0) - ei * ei
    assert draws.mean() == pytest.approx(ei, abs=5 * math.sqrt(v_rand / 400))
    assert draws.std(ddof=1) == pytest.approx(math.sqrt(v_rand), rel=0.15)


# ---------------------------------------------------------------------------- local blocks


def _standardised(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / v.std()


def _row(m: sparse.spmatrix) -> sparse.csr_matrix:
    """Row-standardised by division, as local_moran computes it (so lags agree to the bit)."""
    m = sparse.csr_matrix(m)
    sums = np.asarray(m.sum(axis=1)).ravel()
    return sparse.csr_matrix((m.data / np.repeat(sums, np.diff(m.indptr)), m.indices,
                              m.indptr), shape=m.shape)


def test_lisa_blocks_equal_the_whole_map_however_split(columbus):
    """lisa_block on any split of the units — in blocks, shuffled, one unit at a time —
    gives exactly local_moran's Ii, p_sim, EI_sim, seI_sim and z_sim for the same seed."""
    df, w = columbus
    whole = local_moran(df, "CRIME", w, permutations=999, seed=8)
    z = _standardised(df["CRIME"].to_numpy())
    rw = _row(w.sparse)
    n = len(z)
    order = np.random.default_rng(0).permutation(n)
    for split in (np.array_split(np.arange(n), 7), np.array_split(order, 3), [order],
                  [np.array([i]) for i in range(n)]):
        parts = [lisa_block(units, z, z, rw, seed=8, permutations=999) for units in split]
        units = np.concatenate(split)
        for key in ("Ii", "p_sim", "EI_sim", "seI_sim", "z_sim"):
            got = np.empty(n)
            got[units] = np.concatenate([part[key] for part in parts])
            np.testing.assert_array_equal(got, whole[key].to_numpy(), err_msg=key)
    both = lisa_block(np.arange(n), z, z, rw, seed=8, permutations=999, n_jobs=3)
    np.testing.assert_array_equal(both["p_sim"], whole["p_sim"].to_numpy())


def test_lisa_blocks_with_unequal_weights_and_bivariate(columbus):
    """The general (unequal weights) path and the bivariate form are block-invariant too."""
    df, w = columbus
    pts = np.c_[df.centroid.x, df.centroid.y]
    dense = w.sparse.toarray()
    dist = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    inverse = sparse.csr_matrix(np.where(dense > 0, 1 / np.where(dist > 0, dist, 1), 0))
    rw = _row(inverse)
    zx = _standardised(df["INC"].to_numpy())
    zy = _standardised(df["CRIME"].to_numpy())
    whole = _local_test_of(np.arange(len(zx)), zx, zy, rw, 499, "two-sided", 6, 1)
    halves = np.array_split(np.arange(len(zx))[::-1], 2)
    parts = [lisa_block(u, zx, zy, rw, seed=6, permutations=499) for u in halves]
    got = np.empty(len(zx))
    got[np.concatenate(halves)] = np.concatenate([p["p_sim"] for p in parts])
    np.testing.assert_array_equal(got, whole["p_sim"])
    bv = local_moran_bv(df, "INC", "CRIME", w, permutations=499, seed=6)
    rowstd = _row(w.sparse)
    block = lisa_block(np.arange(len(zx)), zx, zy, rowstd, seed=6, permutations=499)
    np.testing.assert_array_equal(block["p_sim"], bv["p_sim"].to_numpy())


def test_lisa_block_brute_force_on_a_tiny_map():
    """Each draw's lag rebuilt by hand from the shared orderings (the first k units of the
    ordering that are not i), for equal and unequal weights: the engine's counts equal the
    brute-force ones."""
    from spatialecon.autocorrelation import _draw_orderings

    data, _, dense = _six()
    z = _standardised(data["y"].to_numpy())
    unequal = dense * np.array([1.0, 2.0, 3.0, 1.0, 2.0, 5.0])[None, :]
    for matrix in (dense / dense.sum(axis=1, keepdims=True), unequal):
        sw = sparse.csr_matrix(matrix)
        out = lisa_block(np.arange(6), z, z, sw, seed=12, permutations=300,
                         alternative="greater")
        kmax = int((matrix > 0).sum(axis=1).max())
        orderings = _draw_orderings(6, kmax + 1, 300, np.random.default_rng(12))
        scale = 5 / (z @ z)
        for i in range(6):
            nbrs = np.flatnonzero(matrix[i])
            lags = np.array([math.fsum(z[[u for u in row if u != i][:len(nbrs)]] * matrix[i, nbrs])
                             for row in orderings])
            sims = scale * z[i] * lags
            observed = scale * z[i] * (matrix[i] @ z)
            p = ((sims >= observed - 1e-10 * max(1, abs(observed))).sum() + 1) / 301
            assert out["p_sim"][i] == pytest.approx(p, abs=1e-12), i
            assert out["EI_sim"][i] == pytest.approx(sims.mean(), rel=1e-9, abs=1e-12)
            assert out["seI_sim"][i] == pytest.approx(sims.std(ddof=1), rel=1e-9)


def test_lisa_block_needs_an_integer_seed_and_valid_units(columbus):
    df, w = columbus
    z = _standardised(df["CRIME"].to_numpy())
    with pytest.raises(AutocorrelationError, match="integer seed"):
        lisa_block(np.arange(3), z, z, w.sparse, seed=None)  # type: ignore[arg-type]
    with pytest.raises(AutocorrelationError, match=r"units \[49, 60\] are not rows"):
        lisa_block(np.array([0, 49, 60]), z, z, w.sparse, seed=1)
