"""The log-determinant engine (spatialecon.regression.logdet) against brute force.

References: dense ``numpy.linalg.slogdet`` of I − ρW and dense inverses at small n; at 40k
lattice cells the exact sparse-LU value, against which the approximations' reported bounds
must hold over a grid of ρ; ML estimates with the approximation against the exact ones.
"""

from __future__ import annotations

import libpysal
import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.sparse.linalg import spsolve

from spatialecon import regression as R
from spatialecon.regression import logdet as L
from spatialecon.validation import ParameterError

RHOS = (-0.6, -0.2, 0.0, 0.3, 0.5, 0.7, 0.85, 0.95)


def _lattice(rows: int, cols: int, rook: bool = False) -> libpysal.weights.W:
    w = libpysal.weights.lat2W(rows, cols, rook=rook)
    w.transform = "r"
    return w


@pytest.fixture(scope="module")
def small():
    return _lattice(14, 17).sparse.tocsr()


@pytest.fixture(scope="module")
def knn():
    """Row-standardised 4-nearest neighbours: asymmetric, complex spectrum."""
    rng = np.random.default_rng(3)
    w = libpysal.weights.KNN(rng.uniform(size=(150, 2)), k=4)
    w.transform = "r"
    return w.sparse.tocsr()


def _dense(W, rho):
    return np.linalg.slogdet(np.eye(W.shape[0]) - rho * W.toarray())


@pytest.mark.parametrize("method", ["lu", "eigen", "ord", "full", "chebyshev", "mc"])
def test_every_method_against_dense_slogdet(small, method):
    engine = L.LogDet(small, method)
    for rho in RHOS:
        sign, exact = _dense(small, rho)
        assert sign > 0
        error = abs(engine(rho) - exact)
        if engine.exact:
            assert error < 1e-9
            assert engine.bound(rho)[0] == 0
        else:
            assert error <= engine.bound(rho)[0]
            assert engine.bound(rho)[0] < 0.05 * engine.n  # and the bound is informative
    assert engine.conventions(0.5)["logdet_exact"] == engine.exact


def test_asymmetric_weights_take_the_power_series(knn):
    assert L.symmetric_scaling(knn) is None
    with pytest.raises(ParameterError, match=r"real spectrum.*'mc'"):
        L.LogDet(knn, "chebyshev")
    series = L.LogDet(knn, "mc", order=80)
    exact = L.LogDet(knn, "eigen")
    for rho in (-0.5, 0.3, 0.8):
        reference = _dense(knn, rho)[1]
        assert abs(exact(rho) - reference) < 1e-9
        assert abs(series(rho) - reference) <= series.bound(rho)[0]


def test_scaling_makes_row_standardised_binary_weights_symmetric(small):
    d = L.symmetric_scaling(small)
    C = sparse.diags(d) @ small
    assert abs(C - C.T).max() < 1e-14
    assert np.allclose(d, np.asarray((small > 0).sum(axis=1)).ravel())


def test_auto_picks_by_size_and_says_so(small, knn):
    assert L.LogDet(small, "auto").method == "eigen"
    big = _lattice(120, 110).sparse  # 13,200 cells
    assert L.LogDet(big, "auto").method == "lu"
    huge = _lattice(150, 150, rook=True).sparse  # 22,500 cells
    engine = L.LogDet(huge, "auto")
    assert engine.method == "chebyshev" and not engine.exact
    conventions = engine.conventions(0.5)
    assert conventions["logdet_requested"] == "auto" and "20,000" in conventions["logdet_auto"]
    assert 0 < conventions["logdet_bound"] <= conventions["logdet_bound_max"]
    with pytest.raises(ParameterError, match="logdet must be one of"):
        L.LogDet(small, "cholesky")
    with pytest.raises(ParameterError, match="spectral radius at most 1"):
        L.LogDet((small > 0).astype(float), "mc")


def test_feasible_interval_from_the_spectrum(small):
    binary = (small > 0).astype(float)
    omega = np.linalg.eigvalsh(binary.toarray())
    engine = L.LogDet(binary, "eigen")
    assert engine.interval == pytest.approx((1 / omega[0], 1 / omega[-1]), rel=1e-10)
    assert L.LogDet(small, "lu").interval == (-1.0, 1.0)  # inside (1/ω_min, 1)


def test_exact_traces_and_derivatives_against_dense_inverse(small):
    Wd = small.toarray()
    n = Wd.shape[0]
    eigen = L.LogDet(small, "eigen")
    cheb = L.LogDet(small, "chebyshev")
    for rho in (-0.4, 0.01, 0.6, 0.9):
        G = Wd @ np.linalg.inv(np.eye(n) - rho * Wd)
        reference = (np.trace(G), np.sum(G * G.T), np.sum(G * G))
        t = L.exact_traces(small, rho)
        np.testing.assert_allclose((t.tr_g, t.tr_g2, t.tr_gtg), reference, rtol=1e-10)
        np.testing.assert_allclose([v[0] for v in eigen.derivatives(rho)], reference[:2],
                                   rtol=1e-10)
        # the expansion's derivatives: close, not exact
        np.testing.assert_allclose([v[0] for v in cheb.derivatives(rho)], reference[:2],
                                   rtol=0.05)
    inverse = L.dense_inverse(small, 0.7)
    np.testing.assert_allclose(inverse, np.linalg.inv(np.eye(n) - 0.7 * Wd), atol=1e-12)


def test_hutchinson_information_traces(small):
    rho = 0.6
    exact = L.exact_traces(small, rho)
    for method in ("chebyshev", "lu"):
        engine = L.LogDet(small, method, probes=200)
        est = L.information_traces(engine, rho, exact_max_n=10)
        assert est.se_gtg > 0 and "Hutchinson" in est.how
        assert abs(est.tr_gtg - exact.tr_gtg) < 5 * est.se_gtg
        assert est.tr_g == pytest.approx(exact.tr_g, rel=0.05)
        assert est.tr_g2 == pytest.approx(exact.tr_g2, rel=0.1)


def test_block_conjugate_gradients_solve_the_filter(small):
    engine = L.LogDet(small, "chebyshev")
    rng = np.random.default_rng(0)
    B = rng.normal(size=(small.shape[0], 3))
    A = np.eye(small.shape[0]) - 0.8 * small.toarray()
    d = engine.scaling
    C = (sparse.diags(d) @ small).tocsr()
    np.testing.assert_allclose(L._block_cg(C, d, 0.8, d[:, None] * B, 1e-12),
                               np.linalg.solve(A, B), atol=1e-9)


# ------------------------------------------------------------------ 40k lattice


@pytest.mark.slow
def test_approximation_bounds_hold_against_sparse_lu_on_a_40k_lattice():
    """The issue's requirement: the approximation's error against the exact log-determinant,
    reported on 40k cells and bounded in the metadata — the bound must hold over ρ."""
    W = _lattice(200, 200).sparse.tocsr()
    exact = L.LogDet(W, "lu")
    approximations = [L.LogDet(W, "chebyshev"), L.LogDet(W, "mc")]
    rows = []
    for rho in (-0.5, 0.2, 0.5, 0.7, 0.85, 0.95):
        value = exact(rho)
        for engine in approximations:
            error = engine(rho) - value
            bound = float(engine.bound(rho)[0])
            rows.append((engine.method, rho, value, error, bound))
            assert abs(error) <= bound, (engine.method, rho, error, bound)
    table = pd.DataFrame(rows, columns=["method", "rho", "exact", "error", "bound"])
    print(table.to_string())  # the figures the issue asks to report (pytest -s)
    cheb = table[table["method"] == "chebyshev"]
    # Chebyshev (30 probes, degree 60): within 1e-4 of |ln|I − ρW|| up to ρ = 0.5, 1.5e-3 at
    # ρ = 0.95 (measured 6e-5, 2e-4, 6e-4, 1.5e-3 at ρ = 0.5, 0.7, 0.85, 0.95)
    assert (cheb["error"].abs() <= 2e-3 * cheb["exact"].abs()).all()
    moderate = cheb[cheb["rho"] <= 0.5]
    assert (moderate["error"].abs() <= 1e-4 * moderate["exact"].abs()).all()
    conventions = approximations[0].conventions(0.5)
    assert conventions["logdet_bound"] == pytest.approx(float(approximations[0].bound(0.5)[0]))


@pytest.mark.slow
def test_ml_with_the_approximation_is_close_to_exact_ml():
    w = _lattice(100, 100)  # 10,000 cells: exact LU and Chebyshev both affordable
    W = w.sparse.tocsr()
    n = W.shape[0]
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, 2))
    y = spsolve((sparse.identity(n) - 0.6 * W).tocsc(), 1 + X @ [1.0, -1.0] + rng.normal(size=n))
    data = pd.DataFrame({"y": y, "x1": X[:, 0], "x2": X[:, 1]}, index=w.id_order)
    for model, parameter in (("lag", "rho"), ("error", "lambda")):
        exact = R.fit(data, "y ~ x1 + x2", w, model=model, logdet="lu", impacts=None)
        approx = R.fit(data, "y ~ x1 + x2", w, model=model, logdet="chebyshev", impacts=None)
        assert exact.conventions["logdet_exact"] and not approx.conventions["logdet_exact"]
        assert approx.conventions["logdet_bound"] > 0
        a, b = exact.coefficients, approx.coefficients
        assert b.loc[parameter, "estimate"] == pytest.approx(a.loc[parameter, "estimate"],
                                                             abs=2e-3)
        np.testing.assert_allclose(b["estimate"], a["estimate"], rtol=5e-3, atol=2e-3)
        np.testing.assert_allclose(b["se"], a["se"], rtol=0.05)
        assert abs(approx.logl - exact.logl) <= approx.conventions["logdet_bound"] + 1e-6
    lag = R.fit(data, "y ~ x1 + x2", w, model="lag", logdet="chebyshev")
    assert "Hutchinson" in lag.impacts.attrs["traces"] or "expansion" in lag.impacts.attrs[
        "traces"]
    assert lag.impacts.loc[("x1", "total"), "estimate"] == pytest.approx(
        lag.coefficients.loc["x1", "estimate"] / (1 - lag.rho), rel=1e-10)
