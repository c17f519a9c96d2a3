"""Spatial regression (spatialecon.regression) against independent numbers.

References used here:

- **spreg run directly** on the same arrays (the engine must come through unchanged).
- **Stata 17 ``spregress … , ml``** on Columbus with GeoDa's queen weights, row-standardised
  (QuaRCS-lab, github.com/quarcs-lab/tutorial-spatial-cross-section-columbus-crime,
  ``RegressionAnalysis/SPregressions.txt``, 3 Aug 2022): coefficients, log-likelihoods, AIC,
  pseudo-R², impacts. Its weights file ``Wqueen_fromGeoda.gal`` has 236 links (min 2, mean
  4.816327, max 10), the queen contiguity of the polygons that libpysal ships.
- **R spatialreg** (``lagsarlm`` example, ``summary(COL.lag.eig)``, spatialreg reference
  manual): published under spdep's own ``COL.nb`` neighbour list; see
  :func:`test_spatialreg_published_columbus_differs_only_by_neighbour_list`.
- **spreg's own test suite** (``spreg/tests/test_ml_lag.py``): Baltimore ML lag.
- **Brute force** in this file: ML by maximising the log-likelihood with dense determinants,
  S2SLS by its formula, the LM tests by Anselin et al. (1996), impacts by inverting
  (I − ρW), panel likelihoods by dense GLS.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
import spreg
from scipy import optimize, sparse, stats

from spatialecon import regression as R
from spatialecon.regression._common import _numerical_hessian
from spatialecon.regression.tables import _stars
from spatialecon.weights import contiguity, from_file
from spatialecon.weights import transform as transform_weights

# ------------------------------------------------------------------ reference values

# Stata 17 spregress, ml, Columbus, queen (GeoDa), row-standardised (QuaRCS-lab log above).
STATA = {
    "ols": {"INC": -1.597311, "HOVAL": -0.2739315, "CONSTANT": 68.61896,
            "se": {"INC": 0.3341308, "HOVAL": 0.1031987, "CONSTANT": 4.735486}},
    "lag": {"INC": -1.048728, "HOVAL": -0.2663348, "CONSTANT": 45.60325, "rho": 0.4233254,
            "logl": -182.67397, "aic": 375.35, "pseudo_r2": 0.5806,
            "impacts": {("INC", "direct"): -1.100895, ("HOVAL", "direct"): -0.2795832,
                        ("INC", "indirect"): -0.7176833, ("HOVAL", "indirect"): -0.1822627,
                        ("INC", "total"): -1.818579, ("HOVAL", "total"): -0.4618459}},
    "error": {"INC": -0.9573054, "HOVAL": -0.3045593, "CONSTANT": 60.27947,
              "lambda": 0.546753, "logl": -183.74943, "aic": 377.50, "pseudo_r2": 0.5362},
    "slx": {"INC": -1.09739, "HOVAL": -0.2943898, "CONSTANT": 74.55343,
            "W_INC": -1.398746, "W_HOVAL": 0.214841, "logl": -183.9706, "aic": 379.94},
    "sdem": {"INC": -1.052258, "HOVAL": -0.2781741, "CONSTANT": 73.64508,
             "W_INC": -1.204876, "W_HOVAL": 0.1312451, "lambda": 0.4035821,
             "logl": -181.779, "aic": 377.56, "pseudo_r2": 0.6092},
    "durbin": {"INC": -0.9199061, "HOVAL": -0.2971294, "CONSTANT": 44.32001,
               "W_INC": -0.5839134, "W_HOVAL": 0.2576843, "rho": 0.4034626,
               "logl": -181.63925, "aic": 377.28, "pseudo_r2": 0.6120,
               "impacts": {("INC", "direct"): -1.024988, ("HOVAL", "direct"): -0.2819673,
                           ("INC", "indirect"): -1.495926, ("HOVAL", "indirect"): 0.215844,
                           ("INC", "total"): -2.520914, ("HOVAL", "total"): -0.0661233}},
}
# Stata's `estat moran` after `reg CRIME INC HOVAL` (same log): chi2(1) = 5.21, p = 0.0225.
STATA_MORAN_CHI2 = (5.21, 0.0225)

# spatialreg reference manual, lagsarlm example on COL.OLD with nb2listw(COL.nb).
SPATIALREG_COL_NB = {"rho": 0.43102, "logl": -182.3904, "aic": 374.78, "aic_lm": 382.75,
                     "INC": -1.031616, "HOVAL": -0.265926, "CONSTANT": 45.079251}

# spreg/tests/test_ml_lag.py: Baltimore PRICE ~ NROOM + AGE + SQFT, baltim_q.gal, row-std.
SPREG_BALTIMORE = {
    "betas": [-6.04040164, 3.48995114, -0.20103955, 0.65462382, 0.62351143],
    "std_err_full": [5.34536131, 1.19307022, 0.05367198, 0.17194162, 0.05763147],
    "std_err_ord": [5.351078, 1.193188, 0.05371, 0.171984, 0.058131],
    "logl": -875.92771143484833, "aic": 1761.8554228696967, "schwarz": 1778.614713537077,
    "sig2": 216.27525647243797, "pr2": 0.6133020721559487,
}


# ------------------------------------------------------------------ fixtures


@pytest.fixture(autouse=True)
def _one_blas_thread(request):
    """The dense problems here are small (31–211 units): one BLAS thread is faster, and far
    faster when other processes share the cores (OpenBLAS oversubscription measured 20× slower
    on a loaded 2-core machine). The county-scale test keeps all threads."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: only timing depends on it
        yield
        return
    if request.node.get_closest_marker("slow"):
        yield
        return
    with threadpool_limits(1):
        yield



@pytest.fixture(scope="module")
def columbus() -> gpd.GeoDataFrame:
    df = gpd.read_file(libpysal.examples.get_path("columbus.shp")).set_index("POLYID")
    # The shapefile has no CRS; contiguity needs one set (any: no islands to measure).
    return df.set_crs("EPSG:3857", allow_override=True)


@pytest.fixture(scope="module")
def wq(columbus):
    return contiguity(columbus, islands="error")


@pytest.fixture(scope="module")
def wr(wq):
    """The row-standardised queen weights spreg is given when run directly."""
    return transform_weights(wq, "row")


def _arrays(columbus, y="CRIME", x=("INC", "HOVAL")):
    return columbus[[y]].to_numpy(), columbus[list(x)].to_numpy()


def _spreg(cls, *args, **kwargs):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return getattr(spreg, cls)(*args, **kwargs)


def _brute_ml_lag(y, X, W):
    """Maximise the full log-likelihood of y = ρWy + Xβ + ε with dense determinants."""
    n = len(y)
    X1 = np.column_stack([np.ones(n), X])
    Wy = W @ y

    def loglik(rho):
        e = y - rho * Wy
        b = np.linalg.lstsq(X1, e, rcond=None)[0]
        u = e - X1 @ b
        s2 = u @ u / n
        return -n / 2 * np.log(2 * np.pi * s2) - n / 2 + np.linalg.slogdet(np.eye(n) - rho * W)[1]

    res = optimize.minimize_scalar(lambda r: -loglik(r), bounds=(-0.99, 0.99),
                                   method="bounded", options={"xatol": 1e-10})
    return res.x, -res.fun


# ------------------------------------------------------------------ weights and data


def test_columbus_queen_weights_are_geodas(wq):
    """Our polygon contiguity reproduces the weights of the published Stata/GeoDa runs."""
    card = pd.Series(wq.cardinalities)
    assert wq.s0 == 236
    assert (card.min(), card.max()) == (2, 10)
    assert card.mean() == pytest.approx(4.816327, abs=1e-6)
    assert sorted(card[card == 2].index) == [1, 6, 42, 46, 47]
    assert list(card[card == 10].index) == [20]
    gal = libpysal.io.open(libpysal.examples.get_path("columbus.gal")).read()
    assert all(sorted(int(j) for j in gal.neighbors[str(i)]) == sorted(wq.neighbors[i])
               for i in wq.id_order)


def test_formula_and_lists_give_the_same_model(columbus, wq):
    a = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model="lag", impacts=None)
    b = R.fit(columbus, "CRIME", ["INC", "HOVAL"], wq, model="lag", impacts=None)
    pd.testing.assert_frame_equal(a.coefficients, b.coefficients)
    assert R.parse_formula("`GDP+1` ~ `a~b` + 收入 + 1") == ("GDP+1", ["a~b", "收入"])
    with pytest.raises(R.RegressionError, match="intercept"):
        R.parse_formula("y ~ x - 1")
    with pytest.raises(R.RegressionError, match="'~'"):
        R.parse_formula("y = x")


def test_rows_are_aligned_to_the_weights(columbus, wq):
    shuffled = columbus.sample(frac=1, random_state=3)
    a = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model="error")
    b = R.fit(shuffled, "CRIME ~ INC + HOVAL", wq, model="error")
    pd.testing.assert_frame_equal(a.coefficients, b.coefficients)
    assert list(b.residuals.index) == list(wq.id_order)
    with_column = columbus.reset_index().rename(columns={"POLYID": "adcode"})
    c = R.fit(with_column, "CRIME ~ INC + HOVAL", wq, model="error")
    pd.testing.assert_frame_equal(a.coefficients, c.coefficients)


def test_names_survive_into_output(columbus, wq):
    data = columbus.rename(columns={"CRIME": "犯罪率", "INC": "收入 (千美元)",
                                    "HOVAL": "<b>房价</b>"})
    result = R.fit(data, "犯罪率", ["收入 (千美元)", "<b>房价</b>"], wq, model="durbin")
    assert list(result.coefficients.index) == [
        "CONSTANT", "收入 (千美元)", "<b>房价</b>", "W_收入 (千美元)", "W_<b>房价</b>", "rho"]
    assert list(result.impacts.index.get_level_values("variable").unique()) == [
        "收入 (千美元)", "<b>房价</b>"]
    table = R.compare([result])
    assert "收入 (千美元)" in table.to_csv()
    page = table.to_html()
    assert "<b>" not in page and "&lt;b&gt;房价&lt;/b&gt;" in page


# ------------------------------------------------------------------ OLS and diagnostics


def test_ols_matches_spreg_and_stata(columbus, wq, wr):
    result = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model="ols")
    y, X = _arrays(columbus)
    direct = _spreg("OLS", y, X, w=wr)
    np.testing.assert_allclose(result.coefficients["estimate"], direct.betas.ravel(),
                               rtol=1e-12)
    np.testing.assert_allclose(result.coefficients["se"], direct.std_err, rtol=1e-12)
    for term in ("INC", "HOVAL", "CONSTANT"):
        assert result.coefficients.loc[term, "estimate"] == pytest.approx(
            STATA["ols"][term], rel=1e-6)
        assert result.coefficients.loc[term, "se"] == pytest.approx(
            STATA["ols"]["se"][term], rel=1e-6)
    assert result.r2 == pytest.approx(0.5524, abs=1e-4)  # Stata: R-squared = 0.5524
    # R's AIC(lm) counts sigma^2: spatialreg prints "AIC for lm: 382.75".
    assert result.aic == pytest.approx(SPATIALREG_COL_NB["aic_lm"], abs=0.005)


def test_lm_diagnostics_match_spreg_stata_and_formulas(columbus, wq, wr):
    diag = R.ols_diagnostics(columbus, "CRIME ~ INC + HOVAL", wq)
    y, X = _arrays(columbus)
    ols = _spreg("OLS", y, X, w=wr)
    lm = spreg.LMtests(ols, wr)
    for key, theirs in [("lm_lag", lm.lml), ("lm_error", lm.lme), ("rlm_lag", lm.rlml),
                        ("rlm_error", lm.rlme), ("sarma", lm.sarma)]:
        assert tuple(diag[key]) == pytest.approx(theirs, rel=1e-12)
    # Stata's estat moran (Kelejian–Prucha form) equals LM-error here: chi2 5.21, p 0.0225.
    assert diag["lm_error"].statistic == pytest.approx(STATA_MORAN_CHI2[0], abs=0.005)
    assert diag["lm_error"].p_value == pytest.approx(STATA_MORAN_CHI2[1], abs=5e-5)

    # Brute force (Anselin, Bera, Florax & Yoon 1996, eqs. 8–15; Cliff & Ord 1981).
    Wd = wr.sparse.toarray()
    n = len(y)
    yv = y.ravel()
    X1 = np.column_stack([np.ones(n), X])
    b = np.linalg.lstsq(X1, yv, rcond=None)[0]
    e = yv - X1 @ b
    s2 = e @ e / n
    T = np.trace((Wd.T + Wd) @ Wd)
    M = np.eye(n) - X1 @ np.linalg.solve(X1.T @ X1, X1.T)
    wxb = Wd @ X1 @ b
    nJ = (wxb @ M @ wxb + T * s2) / s2
    d_err, d_lag = e @ Wd @ e / s2, e @ Wd @ yv / s2
    expected = {
        "lm_error": d_err**2 / T,
        "lm_lag": d_lag**2 / nJ,
        "rlm_error": (d_err - T / nJ * d_lag) ** 2 / (T - T**2 / nJ),
        "rlm_lag": (d_lag - d_err) ** 2 / (nJ - T),
        "sarma": (d_lag - d_err) ** 2 / (nJ - T) + d_err**2 / T,
    }
    for key, value in expected.items():
        assert diag[key].statistic == pytest.approx(value, rel=1e-10)
        df = 2 if key == "sarma" else 1
        assert diag[key].p_value == pytest.approx(stats.chi2.sf(value, df), rel=1e-8)
    assert diag["moran_residual"].statistic == pytest.approx(n / Wd.sum() * (e @ Wd @ e)
                                                             / (e @ e), rel=1e-12)
    stat, p = diag["moran_residual"]  # unpacks as statistic, p-value
    assert stat == diag["moran_residual"].statistic
    assert p == pytest.approx(2 * stats.norm.sf(diag["moran_residual"].z))


def test_anselin_decision_rule(columbus, wq):
    diag = R.ols_diagnostics(columbus, "CRIME ~ INC + HOVAL", wq)
    # LM-lag p = 0.003, LM-error p = 0.023; robust: lag p = 0.053, error p = 0.83.
    assert diag.decision == "lag" and not diag.conclusive
    assert "neither robust test is significant" in diag.reason
    at_10 = R.ols_diagnostics(columbus, "CRIME ~ INC + HOVAL", wq, alpha=0.10)
    assert at_10.decision == "lag" and at_10.conclusive
    assert "only the robust lag test" in at_10.reason
    strict = R.ols_diagnostics(columbus, "CRIME ~ INC + HOVAL", wq, alpha=0.001)
    assert strict.decision == "ols"
    assert "Anselin" in diag.rule and set(diag) >= {"lm_lag", "lm_error", "rlm_lag",
                                                    "rlm_error", "moran_residual"}
    assert diag.table().loc["lm_lag", "statistic"] == diag["lm_lag"].statistic


# ------------------------------------------------------------------ cross-section models


# Our ML against spreg's: spreg stops its search at |Δρ| ≈ 1e-7 (ours 1e-10), so estimates agree
# to ~2e-8 relative and standard errors to ~1e-7; log-likelihoods, flat at the maximum, to 1e-12.
ML_RTOL = 1e-6


def test_ml_lag_matches_spreg_stata_and_brute_force(columbus, wq, wr):
    result = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model="lag")
    y, X = _arrays(columbus)
    direct = _spreg("ML_Lag", y, X, wr, method="full")
    np.testing.assert_allclose(result.coefficients["estimate"], direct.betas.ravel(),
                               rtol=ML_RTOL)
    np.testing.assert_allclose(result.coefficients["se"], direct.std_err, rtol=ML_RTOL)
    assert result.logl == pytest.approx(np.asarray(direct.logll).item(), rel=1e-12)
    assert result.rho == pytest.approx(float(direct.rho), rel=ML_RTOL)
    assert result.sig2 == pytest.approx(np.asarray(direct.sig2).item(), rel=ML_RTOL)
    assert result.pseudo_r2 == pytest.approx(direct.pr2, rel=ML_RTOL)
    assert result.pseudo_r2_e == pytest.approx(direct.pr2_e, rel=ML_RTOL)
    np.testing.assert_allclose(result.residuals, direct.u.ravel(), rtol=ML_RTOL, atol=1e-6)
    assert result.conventions["aic_spreg"] == pytest.approx(direct.aic, rel=1e-12)
    assert result.spreg is None and "logdet" in result.summary
    ref = STATA["lag"]
    for term in ("INC", "HOVAL", "CONSTANT", "rho"):
        assert result.coefficients.loc[term, "estimate"] == pytest.approx(ref[term], rel=1e-6,
                                                                          abs=2e-6)
    assert result.logl == pytest.approx(ref["logl"], abs=1e-5)
    assert result.aic == pytest.approx(ref["aic"], abs=0.005)
    assert result.pseudo_r2_e == pytest.approx(ref["pseudo_r2"], abs=5e-5)
    rho, logl = _brute_ml_lag(y.ravel(), X, wr.sparse.toarray())
    assert result.rho == pytest.approx(rho, abs=1e-6)
    assert result.logl == pytest.approx(logl, abs=1e-8)
    assert result.conventions["logdet"] == "eigen" and result.conventions["logdet_exact"]


def test_ml_error_matches_spreg_and_stata(columbus, wq, wr):
    result = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model="error")
    y, X = _arrays(columbus)
    direct = _spreg("ML_Error", y, X, wr, method="full")
    np.testing.assert_allclose(result.coefficients["estimate"], direct.betas.ravel(),
                               rtol=ML_RTOL)
    np.testing.assert_allclose(result.coefficients["se"], direct.std_err, rtol=ML_RTOL)
    assert result.logl == pytest.approx(np.asarray(direct.logll).item(), rel=1e-12)
    assert result.sig2 == pytest.approx(np.asarray(direct.sig2).item(), rel=ML_RTOL)
    assert result.pseudo_r2 == pytest.approx(direct.pr2, rel=ML_RTOL)
    np.testing.assert_allclose(result.residuals, direct.u.ravel(), rtol=ML_RTOL, atol=1e-6)
    ref = STATA["error"]
    for term in ("INC", "HOVAL", "CONSTANT", "lambda"):
        assert result.coefficients.loc[term, "estimate"] == pytest.approx(ref[term], rel=1e-6,
                                                                          abs=2e-6)
    assert result.lam == pytest.approx(ref["lambda"], abs=1e-6)
    assert result.logl == pytest.approx(ref["logl"], abs=1e-5)
    assert result.aic == pytest.approx(ref["aic"], abs=0.005)
    # spreg counts neither lambda nor sigma^2 in its ML_Error AIC (ML_Lag counts rho):
    assert result.conventions["aic_spreg"] == pytest.approx(result.aic - 4)
    assert result.pseudo_r2 == pytest.approx(ref["pseudo_r2"], abs=5e-5)
    assert result.impacts is None


@pytest.mark.parametrize("model", ["slx", "sdem", "durbin"])
def test_durbin_family_matches_stata(columbus, wq, model):
    result = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model=model)
    ref = STATA[model]
    for term, value in ref.items():
        if term in result.coefficients.index:
            assert result.coefficients.loc[term, "estimate"] == pytest.approx(value, rel=1e-6,
                                                                              abs=2e-6)
    assert result.logl == pytest.approx(ref["logl"], abs=1e-4)
    assert result.aic == pytest.approx(ref["aic"], abs=0.005)
    if "pseudo_r2" in ref:
        fitted = result.pseudo_r2_e if model == "durbin" else result.pseudo_r2
        assert fitted == pytest.approx(ref["pseudo_r2"], abs=5e-5)


def test_durbin_matches_spreg_directly(columbus, wq, wr):
    y, X = _arrays(columbus)
    ours = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model="durbin", wx=["INC"])
    theirs = _spreg("ML_Lag", y, X, wr, slx_lags=1, slx_vars=[True, False])
    np.testing.assert_allclose(ours.coefficients["estimate"], theirs.betas.ravel(),
                               rtol=ML_RTOL)
    np.testing.assert_allclose(ours.coefficients["se"], theirs.std_err, rtol=ML_RTOL)
    assert list(ours.coefficients.index) == ["CONSTANT", "INC", "HOVAL", "W_INC", "rho"]
    full = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model="durbin")
    # spreg's common-factor test (SDM reduces to SEM when theta = -rho beta)
    assert full.tests["common_factor"].df == 2
    both = _spreg("ML_Lag", y, X, wr, slx_lags=1)
    np.testing.assert_allclose(full.coefficients["se"], both.std_err, rtol=ML_RTOL)
    assert full.tests["common_factor"].statistic == pytest.approx(both.cfh_test[0],
                                                                  rel=ML_RTOL)
    assert full.tests["common_factor"].p_value == pytest.approx(both.cfh_test[1],
                                                                rel=ML_RTOL)


def test_log_determinant_methods_agree_and_ord_standard_errors_are_fixed(columbus, wq, wr):
    """spreg's method='ord' computes tr(W_A'W_A) on the symmetrised W, so its standard
    errors differ from 'full' and 'lu'; ours are the 'full' ones whichever method is used.
    When this test fails on the spreg line, spreg has fixed it and the workaround can go."""
    y, X = _arrays(columbus)
    results = {m: R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model=model, logdet=m,
                        impacts=None)
               for m in ("full", "lu", "ord") for model in ("lag",)}
    for m in ("lu", "ord"):
        np.testing.assert_allclose(results[m].coefficients["estimate"],
                                   results["full"].coefficients["estimate"], rtol=1e-7)
        np.testing.assert_allclose(results[m].coefficients["se"],
                                   results["full"].coefficients["se"], rtol=1e-6)
    raw_ord = _spreg("ML_Lag", y, X, wr, method="ord")
    assert abs(raw_ord.std_err[-1] / results["full"].coefficients.loc["rho", "se"] - 1) > 0.01
    err_full = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model="error", logdet="full")
    err_ord = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model="error", logdet="ord")
    np.testing.assert_allclose(err_ord.coefficients["se"], err_full.coefficients["se"],
                               rtol=1e-6)
    raw_err_ord = _spreg("ML_Error", y, X, wr, method="ord")
    assert abs(raw_err_ord.std_err[-1] / err_full.coefficients.loc["lambda", "se"] - 1) > 0.01


def test_gmm_lag_is_s2sls(columbus, wq, wr):
    result = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model="lag", method="gmm")
    y, X = _arrays(columbus)
    direct = _spreg("GM_Lag", y, X, w=wr)
    np.testing.assert_allclose(result.coefficients["estimate"], direct.betas.ravel(),
                               rtol=1e-12)
    np.testing.assert_allclose(result.coefficients["se"], direct.std_err, rtol=1e-12)
    # Brute force: Z = [1, X, Wy], instruments H = [1, X, WX] (w_lags = 1).
    Wd = wr.sparse.toarray()
    n = len(y)
    X1 = np.column_stack([np.ones(n), X])
    Z = np.column_stack([X1, Wd @ y])
    H = np.column_stack([X1, Wd @ X])
    P = H @ np.linalg.solve(H.T @ H, H.T)
    zpz = Z.T @ P @ Z
    b = np.linalg.solve(zpz, Z.T @ P @ y).ravel()
    u = y.ravel() - Z @ b
    se = np.sqrt(np.diag(u @ u / n * np.linalg.inv(zpz)))
    np.testing.assert_allclose(result.coefficients["estimate"], b, rtol=1e-10)
    np.testing.assert_allclose(result.coefficients["se"], se, rtol=1e-10)
    assert np.isnan(result.logl) and np.isnan(result.aic)


@pytest.mark.parametrize("estimator", ["het", "hom", "kp98"])
def test_gmm_error_and_sac_match_spreg(columbus, wq, wr, estimator):
    y, X = _arrays(columbus)
    for model, add_wy in (("error", False), ("sac", True)):
        ours = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model=model, method="gmm",
                     gmm=estimator)
        theirs = _spreg("GMM_Error", y, X, w=wr, estimator=estimator, add_wy=add_wy)
        np.testing.assert_allclose(ours.coefficients["estimate"], theirs.betas.ravel(),
                                   rtol=1e-12)
        k = len(theirs.std_err)
        np.testing.assert_allclose(ours.coefficients["se"].to_numpy()[:k], theirs.std_err,
                                   rtol=1e-12)
        if estimator == "kp98":  # Kelejian–Prucha 1999 gives no inference on lambda
            assert np.isnan(ours.coefficients.loc["lambda", "se"])
    with pytest.raises(R.RegressionError, match="no ML estimator for the SAC"):
        R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model="sac", method="ml")


def test_spatialreg_published_columbus_differs_only_by_neighbour_list(columbus, wq):
    """spatialreg's lagsarlm example (rho 0.43102, logLik -182.3904) uses spdep's COL.nb:
    the contiguity list of Anselin (1988), coded by hand for the book, not the queen
    contiguity of the polygons that GeoDa, Stata's example and libpysal use (236 links).
    The data are the same — OLS, which does not involve W, reproduces spatialreg's "AIC for
    lm: 382.75" — and R counts parameters as we do (its lag AIC is −2 logL + 2·5); what
    differs is W, hence rho and the rest. Reproducing 0.43102 needs COL.nb itself."""
    ols = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model="ols")
    lag = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model="lag", impacts=None)
    ref = SPATIALREG_COL_NB
    assert ols.aic == pytest.approx(ref["aic_lm"], abs=0.005)
    assert ref["aic"] == pytest.approx(-2 * ref["logl"] + 2 * 5, abs=0.005)
    assert lag.aic == pytest.approx(-2 * lag.logl + 2 * 5)
    assert lag.rho == pytest.approx(ref["rho"], abs=0.01)  # close, and …
    assert abs(lag.rho - ref["rho"]) > 5e-3  # … not equal: another W
    assert abs(lag.logl - ref["logl"]) > 0.1
    assert lag.coefficients.loc["INC", "estimate"] == pytest.approx(ref["INC"], abs=0.05)


def test_baltimore_ml_lag_matches_spregs_own_tests():
    db = libpysal.io.open(libpysal.examples.get_path("baltim.dbf"), "r")
    data = pd.DataFrame({c: db.by_col(c) for c in ("STATION", "PRICE", "NROOM", "AGE",
                                                   "SQFT")}).set_index("STATION")
    w = from_file(libpysal.examples.get_path("baltim_q.gal"))
    ref = SPREG_BALTIMORE
    for logdet in ("full", "lu", "ord"):
        result = R.fit(data, "PRICE ~ NROOM + AGE + SQFT", w, model="lag", logdet=logdet,
                       impacts=None)
        np.testing.assert_allclose(result.coefficients["estimate"], ref["betas"], rtol=1e-6)
        # our 'ord' standard errors are spreg's 'full' ones, not its (symmetrised) 'ord' ones
        np.testing.assert_allclose(result.coefficients["se"], ref["std_err_full"], rtol=1e-6)
        assert result.logl == pytest.approx(ref["logl"], rel=1e-9)
        assert result.sig2 == pytest.approx(ref["sig2"], rel=1e-7)
        assert result.pseudo_r2 == pytest.approx(ref["pr2"], rel=1e-7)
        assert result.conventions["aic_spreg"] == pytest.approx(ref["aic"], rel=1e-9)
        assert result.aic == pytest.approx(ref["aic"] + 2, rel=1e-9)  # + sigma^2
        assert result.sc == pytest.approx(ref["schwarz"] + np.log(211), rel=1e-9)
    assert not np.allclose(ref["std_err_ord"], ref["std_err_full"], rtol=1e-4)


# ------------------------------------------------------------------ impacts


def test_impacts_match_stata_point_estimates(columbus, wq):
    for model in ("lag", "durbin"):
        result = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model=model)
        for key, value in STATA[model]["impacts"].items():
            assert result.impacts.loc[key, "estimate"] == pytest.approx(value, abs=2e-6)
        assert result.impacts.attrs["method"] == "delta"
    slx = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model="slx")
    assert slx.impacts.loc[("INC", "indirect"), "estimate"] == pytest.approx(-1.398746,
                                                                               abs=2e-6)
    assert slx.impacts.loc[("INC", "total"), "estimate"] == pytest.approx(-2.496136, abs=2e-6)


def _dense_impacts(theta, names, W):
    """Impacts of y = ρWy + Xβ + WXθ + ε by explicit inversion of (I − ρW)."""
    n = W.shape[0]
    rho = theta[names.index("rho")] if "rho" in names else 0.0
    S = np.linalg.inv(np.eye(n) - rho * W)
    out = []
    for v in ("INC", "HOVAL"):
        b = theta[names.index(v)]
        t = theta[names.index(f"W_{v}")] if f"W_{v}" in names else 0.0
        Sk = S @ (b * np.eye(n) + t * W)
        direct, total = np.trace(Sk) / n, Sk.sum() / n
        out += [direct, total - direct, total]
    return np.array(out)


@pytest.mark.parametrize("model", ["lag", "durbin"])
def test_impact_standard_errors_by_brute_force(columbus, wq, wr, model):
    result = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model=model)
    W = wr.sparse.toarray()
    names = [t for t in result.coefficients.index if t != "CONSTANT"]
    theta = result.coefficients.loc[names, "estimate"].to_numpy()
    V = result.vcov.loc[names, names].to_numpy()
    point = _dense_impacts(theta, names, W)
    np.testing.assert_allclose(result.impacts["estimate"], point, rtol=1e-9)
    # delta method with a numerical gradient of the dense impacts
    h = 1e-6
    G = np.column_stack([(_dense_impacts(theta + h * e, names, W)
                          - _dense_impacts(theta - h * e, names, W)) / (2 * h)
                         for e in np.eye(len(theta))])
    np.testing.assert_allclose(result.impacts["se"], np.sqrt(np.diag(G @ V @ G.T)), rtol=1e-5)
    # simulation: the same draws pushed through the dense formula
    sim = R.compute_impacts(result, method="simulation", draws=400, seed=7)
    draws = np.random.default_rng(7).multivariate_normal(theta, V, size=400, method="eigh")
    brute = np.array([_dense_impacts(d, names, W) for d in draws])
    np.testing.assert_allclose(sim["se"], brute.std(axis=0, ddof=1), rtol=1e-8)
    assert sim.attrs["draws"] == 400 and sim.attrs["seed"] == 7
    # and simulation ≈ delta for the direct effects, which are nearly linear in rho
    direct = sim.index.get_level_values("effect") == "direct"
    np.testing.assert_allclose(sim["se"][direct], result.impacts["se"][direct], rtol=0.15)


def test_impacts_with_asymmetric_and_unstandardised_weights(columbus, wq):
    """Complex eigenvalues (row-standardised 4-nearest neighbours) and totals by sparse
    solves (binary contiguity scaled by its spectral radius, rows not summing to 1)."""
    knn = libpysal.weights.KNN.from_dataframe(columbus, k=4, use_index=True)
    binary = transform_weights(wq, "binary")
    radius = np.linalg.eigvalsh(binary.sparse.toarray()).max()
    scaled = libpysal.weights.full2W(binary.sparse.toarray() / radius, ids=list(wq.id_order))
    for w, transform in ((knn, "row"), (scaled, None)):
        result = R.fit(columbus, "CRIME ~ INC + HOVAL", w, model="durbin", transform=transform)
        W = result._w.sparse.toarray()
        names = [t for t in result.coefficients.index if t != "CONSTANT"]
        theta = result.coefficients.loc[names, "estimate"].to_numpy()
        np.testing.assert_allclose(result.impacts["estimate"],
                                   _dense_impacts(theta, names, W), rtol=1e-8)
        V = result.vcov.loc[names, names].to_numpy()
        h = 1e-6
        G = np.column_stack([(_dense_impacts(theta + h * e, names, W)
                              - _dense_impacts(theta - h * e, names, W)) / (2 * h)
                             for e in np.eye(len(theta))])
        np.testing.assert_allclose(result.impacts["se"], np.sqrt(np.diag(G @ V @ G.T)),
                                   rtol=1e-5)


# ------------------------------------------------------------------ bad input


def test_bad_input_names_the_cause(columbus, wq):
    data = columbus.copy()
    data["INC2"] = 2 * data["INC"]
    with pytest.raises(R.RegressionError, match=r"collinear regressors: {INC, INC2}"):
        R.fit(data, "CRIME ~ INC + INC2", wq, model="ols")
    data["SHARE_A"] = np.linspace(0.1, 0.6, len(data))
    data["SHARE_B"] = 1 - data["SHARE_A"]
    with pytest.raises(R.RegressionError,
                       match=r"collinear regressors: {CONSTANT, SHARE_A, SHARE_B}"):
        R.fit(data, "CRIME ~ SHARE_A + SHARE_B", wq, model="lag")
    data["ONE"] = 5.0
    with pytest.raises(R.RegressionError, match="'ONE' is constant"):
        R.fit(data, "CRIME ~ INC + ONE", wq, model="lag")
    holes = columbus.copy()
    holes["INC"] = holes["INC"].astype(object)
    holes.loc[[3, 17], "HOVAL"] = np.nan
    holes.loc[5, "INC"] = "n/a"
    with pytest.raises(R.RegressionError) as info:
        R.fit(holes, "CRIME ~ INC + HOVAL", wq, model="lag")
    message = str(info.value)
    assert "HOVAL: no value for 3, 17" in message and "INC: text" in message and "5" in message
    with pytest.raises(R.RegressionError, match=r"weights have no row in the data: 7, 8"):
        R.fit(columbus.drop(index=[7, 8]), "CRIME ~ INC + HOVAL", wq)
    extra = pd.concat([columbus, columbus.loc[[1]].rename(index={1: 999})])
    with pytest.raises(R.RegressionError, match=r"data are not in the weights: 999"):
        R.fit(extra, "CRIME ~ INC + HOVAL", wq)
    with pytest.raises(R.RegressionError, match=r"not in the data.*HOVAL"):
        R.fit(columbus, "CRIME ~ INC + HOUSE", wq)
    with pytest.raises(R.RegressionError, match="unknown model"):
        R.fit(columbus, "CRIME ~ INC", wq, model="spatial")


def test_island_is_an_error_naming_it(columbus):
    isolated = columbus.copy()
    isolated.loc[1, "geometry"] = isolated.loc[1, "geometry"].buffer(-0.3)  # no shared vertex
    with pytest.warns(UserWarning):
        w = contiguity(isolated, islands="keep")
    assert 1 in w.islands
    with pytest.raises(R.RegressionError, match=r"no neighbour in the weights: 1\b"):
        R.fit(isolated, "CRIME ~ INC + HOVAL", w, model="lag")
    with pytest.raises(R.RegressionError, match="no neighbour"):
        R.ols_diagnostics(isolated, "CRIME ~ INC + HOVAL", w)


def test_too_few_observations(columbus):
    few = columbus.iloc[:5]
    w = contiguity(few, islands="nearest")
    with pytest.raises(R.RegressionError, match=r"5 units for 6 parameters"):
        R.fit(few, "CRIME ~ INC + HOVAL + OPEN + PLUMB", w, model="lag")


def test_ml_searches_the_feasible_interval_of_unstandardised_weights(columbus, wq):
    """Binary contiguity (spectral radius 5.9): ρ is searched in (1/ω_min, 1/ω_max), not
    spreg's (−1, 1), and equals the dense brute-force maximum on that interval."""
    result = R.fit(columbus, "CRIME ~ INC + HOVAL", wq, model="lag", transform=None,
                   impacts=None)
    W = wq.sparse.toarray()
    omega = np.linalg.eigvalsh(W)
    y, X = _arrays(columbus)
    n = len(y)
    X1 = np.column_stack([np.ones(n), X])
    yv = y.ravel()

    def negative(rho):
        e = yv - rho * W @ yv
        u = e - X1 @ np.linalg.lstsq(X1, e, rcond=None)[0]
        return n / 2 * np.log(u @ u / n) - np.linalg.slogdet(np.eye(n) - rho * W)[1]

    eps = 1e-9
    best = optimize.minimize_scalar(negative, bounds=(1 / omega[0] + eps, 1 / omega[-1] - eps),
                                    method="bounded", options={"xatol": 1e-12})
    assert result.rho == pytest.approx(best.x, abs=1e-8)
    low, high = (float(v) for v in re.findall(r"\(([-0-9.e]+), ([-0-9.e]+)\)",
                                               result.conventions["estimator"])[0])
    assert (low, high) == pytest.approx((1 / omega[0], 1 / omega[-1]), rel=1e-5)


# ------------------------------------------------------------------ panels


def _province_panel(T=6, seed=1, rho=0.4):
    """A simulated balanced panel on the 31 provinces (queen, Hainan linked)."""
    from spatialecon.geodata import boundaries

    w = contiguity(boundaries("province"))
    Wd = transform_weights(w, "row").sparse.toarray()
    n = w.n
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=n) * 2
    rows = []
    for year in range(2011, 2011 + T):
        x1, x2 = rng.normal(size=n), rng.normal(size=n)
        y = np.linalg.solve(np.eye(n) - rho * Wd, mu + x1 - 0.5 * x2 + rng.normal(size=n))
        for code, a, b, c in zip(w.id_order, y, x1, x2, strict=True):
            rows += [(code, year, "gdp", a), (code, year, "inv", b), (code, year, "edu", c)]
    return pd.DataFrame(rows, columns=["adcode", "year", "variable", "value"]), w, Wd


@pytest.fixture(scope="module")
def provinces_panel():
    return _province_panel()


def _stacked(panel, w):
    wide = panel.pivot_table(index=["year", "adcode"], columns="variable", values="value")
    wide = wide.reindex(pd.MultiIndex.from_product([sorted(panel["year"].unique()),
                                                    w.id_order]))
    return wide[["gdp"]].to_numpy(), wide[["inv", "edu"]].to_numpy()


@pytest.mark.parametrize(("model", "effects", "cls"), [
    ("lag", "fixed", "ML_LagFE"), ("error", "fixed", "ML_ErrorFE"),
    ("lag", "random", "ML_LagRE")])
def test_panels_match_spreg_and_brute_force(provinces_panel, model, effects, cls):
    panel, w, Wd = provinces_panel
    # unit effects without the Lee–Yu correction: Elhorst's direct ML, what spreg computes
    result = R.fit_panel(panel, "gdp ~ inv + edu", w, model=model, effects=effects,
                         correction="none")
    y, X = _stacked(panel, w)
    direct = _spreg(cls, y, X, transform_weights(w, "row"))
    np.testing.assert_allclose(result.coefficients["estimate"], direct.betas.ravel(),
                               rtol=1e-7)
    assert result.logl == pytest.approx(float(direct.logll), rel=1e-10)
    if effects == "fixed":  # and the same analytical information matrix
        np.testing.assert_allclose(result.coefficients["se"], np.sqrt(np.diag(direct.vm)),
                                   rtol=1e-6)
        assert result.sig2 == pytest.approx(float(np.ravel(direct.sig2)[0]), rel=1e-8)
    n, T = w.n, 6
    Y, XX = y.reshape(T, n), X.reshape(T, n, 2)
    eye = np.eye(n)
    if effects == "fixed":
        def loglik(c):  # Elhorst (2003): within-transformed data, T ln|I − cW|
            Yd, Xd = Y - Y.mean(0), (XX - XX.mean(0)).reshape(-1, 2)
            if model == "lag":
                e = (Yd - c * Yd @ Wd.T).ravel()
                xs = Xd
            else:
                B = eye - c * Wd
                e = (Yd @ B.T).ravel()
                xs = np.einsum("ij,tjk->tik", B, Xd.reshape(T, n, 2)).reshape(-1, 2)
            u = e - xs @ np.linalg.lstsq(xs, e, rcond=None)[0]
            s2 = u @ u / (n * T)
            return -n * T / 2 * (np.log(2 * np.pi * s2) + 1) + T * np.linalg.slogdet(
                eye - c * Wd)[1]

        best = optimize.minimize_scalar(lambda c: -loglik(c), bounds=(-0.99, 0.99),
                                        method="bounded", options={"xatol": 1e-10})
        spatial = result.rho if model == "lag" else result.lam
        assert spatial == pytest.approx(best.x, abs=1e-6)
        assert result.logl == pytest.approx(-best.fun, abs=1e-7)
    else:
        X1 = np.concatenate([np.ones((T, n, 1)), XX], axis=2)

        def loglik(p):  # Elhorst (2003) random effects: partial demeaning by θ = √φ
            r, phi = p
            th = np.sqrt(phi)
            part = lambda a: a - (1 - th) * a.mean(0, keepdims=True)  # noqa: E731
            e = (part(Y) - r * part(Y @ Wd.T)).ravel()
            xs = part(X1).reshape(-1, 3)
            u = e - xs @ np.linalg.lstsq(xs, e, rcond=None)[0]
            s2 = u @ u / (n * T)
            return (-n * T / 2 * (np.log(2 * np.pi * s2) + 1)
                    + T * np.linalg.slogdet(eye - r * Wd)[1] + n / 2 * np.log(phi))

        best = optimize.minimize(lambda p: -loglik(p), [0.3, 0.1], method="Nelder-Mead",
                                 options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
        assert result.rho == pytest.approx(best.x[0], abs=1e-5)
        assert result.logl == pytest.approx(-best.fun, abs=1e-6)
        # spreg's "phi" is the θ of the partial demeaning: θ² = σ²/(Tσ²_μ + σ²)
        assert result.coefficients.loc["phi", "estimate"] == pytest.approx(
            np.sqrt(best.x[1]), abs=1e-4)
    if model == "lag":
        assert result.impacts is not None
        b = result.coefficients.loc["inv", "estimate"]
        assert result.impacts.loc[("inv", "total"), "estimate"] == pytest.approx(
            b / (1 - result.rho))


def _re_error_loglik(panel, w, Wd, T=6):
    """Exact GLS log-likelihood of the RE spatial error model in (β, λ, σ²_μ, σ²):
    Ω = σ²_μ(J_T ⊗ I) + σ²(I_T ⊗ (B'B)⁻¹), dense Cholesky."""
    y, X = _stacked(panel, w)
    n = w.n
    X1 = np.column_stack([np.ones(len(y)), X])
    yy = y.ravel()
    J = np.ones((T, T))

    def loglik(params):
        beta, (lam, s2u, s2) = params[:3], params[3:]
        B = np.eye(n) - lam * Wd
        omega = s2u * np.kron(J, np.eye(n)) + s2 * np.kron(np.eye(T), np.linalg.inv(B.T @ B))
        L = np.linalg.cholesky(omega)
        u = np.linalg.solve(L, yy - X1 @ beta)
        return -n * T / 2 * np.log(2 * np.pi) - np.log(np.diag(L)).sum() - u @ u / 2

    def concentrated(p):  # β by GLS, σ² concentrated out; p = (λ, φ = σ²_μ/σ²)
        lam, phi = p
        if phi < 0:
            return -1e10, None
        B = np.eye(n) - lam * Wd
        omega = phi * np.kron(J, np.eye(n)) + np.kron(np.eye(T), np.linalg.inv(B.T @ B))
        L = np.linalg.cholesky(omega)
        xt, yt = np.linalg.solve(L, X1), np.linalg.solve(L, yy)
        beta = np.linalg.lstsq(xt, yt, rcond=None)[0]
        u = yt - xt @ beta
        s2 = u @ u / (n * T)
        value = -n * T / 2 * (np.log(2 * np.pi * s2) + 1) - np.log(np.diag(L)).sum()
        return value, np.concatenate([beta, [lam, phi * s2, s2]])

    return loglik, concentrated


def test_random_effects_error_panel_is_exact_ml(provinces_panel):
    """spreg's ML_ErrorRE takes |V| and V^{-1/2} from the eigenvectors of W, exact only for
    symmetric W: with row-standardised contiguity its maximum is off. Ours maximises the
    brute-force GLS likelihood (Nelder–Mead from a displaced start: the likelihood, not the
    start, decides), and its standard errors are the inverse Hessian of that likelihood."""
    panel, w, Wd = provinces_panel
    result = R.fit_panel(panel, "gdp ~ inv + edu", w, model="error", effects="random")
    loglik, concentrated = _re_error_loglik(panel, w, Wd)
    best = optimize.minimize(lambda p: -concentrated(p)[0], [result.lam + 0.05, 2.0],
                             method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10})
    params = concentrated(best.x)[1]
    assert result.lam == pytest.approx(params[3], abs=1e-5)
    assert result.coefficients.loc["sigma2_u", "estimate"] == pytest.approx(params[4],
                                                                             rel=1e-4)
    assert result.logl == pytest.approx(-best.fun, abs=1e-6)
    assert loglik(params) == pytest.approx(-best.fun, abs=1e-8)
    se = np.sqrt(np.diag(np.linalg.inv(-_numerical_hessian(loglik, params))))[:5]
    np.testing.assert_allclose(result.coefficients["se"], se, rtol=1e-3)
    y, X = _stacked(panel, w)
    raw = _spreg("ML_ErrorRE", y, X, transform_weights(w, "row"))
    assert float(raw.logll) < -best.fun - 1e-3  # spreg's optimum is not the maximum
    assert "exact ML" in result.conventions["estimator"]


def test_random_effects_error_with_symmetric_weights_equals_spreg(provinces_panel):
    """With a symmetric W spreg's shortcut is exact: same estimates and likelihood; its
    standard error of σ²_μ, however, is an order of magnitude below the inverse Hessian."""
    panel, w, _ = provinces_panel
    binary = transform_weights(w, "binary")
    radius = np.linalg.eigvalsh(binary.sparse.toarray()).max()
    Ws = libpysal.weights.full2W(binary.sparse.toarray() / radius, ids=list(w.id_order))
    ours = R.fit_panel(panel, "gdp ~ inv + edu", Ws, model="error", effects="random",
                       transform=None)
    y, X = _stacked(panel, w)
    theirs = _spreg("ML_ErrorRE", y, X, Ws)
    np.testing.assert_allclose(ours.coefficients["estimate"], theirs.betas.ravel(), rtol=1e-5)
    assert ours.logl == pytest.approx(float(theirs.logll), abs=1e-6)
    ratio = ours.coefficients.loc["sigma2_u", "se"] / np.sqrt(theirs.vm[-1, -1])
    assert ratio > 5


def test_panel_gaps_and_mismatches_name_the_cause(provinces_panel):
    panel, w, _ = provinces_panel
    gappy = panel.drop(panel[(panel["adcode"] == 110000) & (panel["year"] == 2013)
                             & (panel["variable"] == "inv")].index)
    gappy.loc[(gappy["adcode"] == 650000) & (gappy["year"] == 2015)
              & (gappy["variable"] == "gdp"), "value"] = np.nan
    with pytest.raises(R.RegressionError) as info:
        R.fit_panel(gappy, "gdp ~ inv + edu", w)
    message = str(info.value)
    assert "gaps" in message and "inv for 110000 in 2013" in message
    assert "gdp for 650000 in 2015" in message
    with pytest.raises(R.RegressionError, match=r"weights are not in the panel: 460000"):
        R.fit_panel(panel[panel["adcode"] != 460000], "gdp ~ inv + edu", w)
    fixed = panel.copy()
    region = fixed["variable"] == "edu"
    fixed.loc[region, "value"] = fixed.loc[region, "adcode"] / 1e5
    with pytest.raises(R.RegressionError, match=r"edu does not vary over time within any unit"):
        R.fit_panel(fixed, "gdp ~ inv + edu", w, effects="fixed")
    with pytest.raises(R.RegressionError, match="not in the panel"):
        R.fit_panel(panel, "gdp ~ inv + fdi", w)
    twice = pd.concat([panel, panel.iloc[:1]])
    with pytest.raises(R.RegressionError, match="more than once"):
        R.fit_panel(twice, "gdp ~ inv + edu", w)


# ------------------------------------------------------------------ tables


def test_comparison_table_layout_and_formats(columbus, wq, tmp_path):
    table = R.compare_models(columbus, "CRIME ~ INC + HOVAL", wq, impacts=True)
    assert list(table.cells.columns) == ["(1) OLS", "(2) SAR (ML)", "(3) SEM (ML)",
                                         "(4) SDM (ML)"]
    cells = table.cells
    # coefficient with stars, standard error underneath in parentheses
    row = cells.index.get_loc("INC") if cells.index.is_unique else \
        list(cells.index).index("INC")
    assert cells.iloc[row, 0] == "-1.597***"  # t = -4.78
    assert cells.iloc[row + 1, 0] == "(0.334)"
    hoval = list(cells.index).index("HOVAL")
    assert cells.iloc[hoval, 0] == "-0.274**"  # p = 0.011
    assert cells.loc["Log-likelihood"].tolist() == ["-187.377", "-182.674", "-183.749",
                                                   "-181.639"]
    assert list(cells.index).index("CONSTANT") > list(cells.index).index("W_HOVAL")
    assert table.diagnostics.decision == "lag"
    for writer, suffix in ((table.to_csv, "csv"), (table.to_markdown, "md"),
                           (table.to_html, "html"), (table.to_latex, "tex")):
        path = tmp_path / f"models.{suffix}"
        text = writer(path)
        assert path.read_text(encoding="utf-8-sig") == text
        assert "0.423" in text and "Standard errors in parentheses" in text
    assert table.to_csv().splitlines()[0] == ",(1) OLS,(2) SAR (ML),(3) SEM (ML),(4) SDM (ML)"
    assert r"-1.597$^{***}$" in table.to_latex() and r"W\_INC" in table.to_latex()
    assert r"-1.597\*\*\*" in table.to_markdown()
    assert "<sup>***</sup>" in table.to_html()
    assert set(table.tidy["model"]) == set(cells.columns)


def test_table_escapes_names_in_every_format(columbus, wq):
    data = columbus.rename(columns={"INC": "<script>alert(1)</script>", "HOVAL": "a&b_50%|x"})
    result = R.fit(data, "CRIME", ["<script>alert(1)</script>", "a&b_50%|x"], wq, model="lag")
    table = R.compare({"Model <i>": result})
    page = table.to_html()
    assert "<script>" not in page and "&lt;script&gt;" in page and "<i>" not in page
    assert "a&amp;b_50%|x" in page
    latex = table.to_latex()
    assert r"a\&b\_50\%|x" in latex
    markdown = table.to_markdown()
    assert r"a&b\_50%\|x" in markdown and "<script>" not in markdown
    assert table.to_csv().count("\n") >= len(table.cells) + 1


def test_stars_follow_the_thresholds():
    assert [_stars(p, (0.1, 0.05, 0.01)) for p in (0.2, 0.1, 0.09, 0.049, 0.0099)] == [
        "", "", "*", "**", "***"]
    assert _stars(float("nan"), (0.1,)) == ""


def test_default_study_comparison_runs_on_provinces():
    """The call the default study makes: OLS, SAR, SEM and SDM on a provincial cross-section
    of the seed's embedded tables."""
    from spatialecon import datasets
    from spatialecon.geodata import boundaries
    from spatialecon.panel import join_boundaries

    panel = pd.concat([datasets.load("urban_rural_integration"),
                       datasets.load("services_value_added"),
                       datasets.load("finpoverty_dea")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        units = join_boundaries(panel[panel["variable"].isin(
            ["total", "services_share_gdp", "te_crs"])], year="latest")
    units = units.dropna(subset=["total", "services_share_gdp", "te_crs"])
    w = contiguity(boundaries("province").loc[units.index])
    table = R.compare_models(units, "total ~ services_share_gdp + te_crs", w)
    assert len(table.results) == 4 and table.results[1].rho is not None
    assert table.diagnostics.decision in ("ols", "lag", "error")
    assert "services_share_gdp" in table.to_markdown().replace("\\_", "_")


# ------------------------------------------------------------------ scale


@pytest.mark.slow
def test_county_ml_lag_and_error_equal_spregs_sparse_lu():
    """ML lag and error on the 2,848 counties (logdet='auto' → exact sparse LU, exact traces)
    equal spreg's ML_Lag / ML_Error with method='lu': coefficients, standard errors, logL,
    pseudo-R²; ρ of the DGP recovered; delta-method impacts from the exact traces."""
    from spatialecon.geodata import boundaries

    counties = boundaries("county")
    w = contiguity(counties)
    wr = transform_weights(w, "row")
    n = w.n
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    y = sparse.linalg.spsolve((sparse.identity(n) - 0.5 * wr.sparse).tocsc(),
                              1 + X @ [1.0, -1.0] + rng.normal(size=n))
    data = pd.DataFrame({"y": y, "x1": X[:, 0], "x2": X[:, 1]}, index=counties.index)
    lag = R.fit(data, "y ~ x1 + x2", w, model="lag")  # its time: make bench (regression)
    assert lag.conventions["logdet"] == "lu" and lag.conventions["logdet_exact"]
    assert lag.conventions["variance"].endswith("densely)")
    assert lag.rho == pytest.approx(0.5, abs=0.05)
    theirs = _spreg("ML_Lag", y[:, None], X, wr, method="lu", spat_impacts=None,
                    spat_diag=False)
    np.testing.assert_allclose(lag.coefficients["estimate"], theirs.betas.ravel(),
                               rtol=ML_RTOL)
    np.testing.assert_allclose(lag.coefficients["se"], theirs.std_err, rtol=ML_RTOL)
    assert lag.logl == pytest.approx(np.asarray(theirs.logll).item(), rel=1e-12)
    assert lag.pseudo_r2_e == pytest.approx(theirs.pr2_e, rel=ML_RTOL)
    assert re.match(r"^[0-9.]+$", f"{lag.impacts['se'].min():.6f}")
    error = R.fit(data, "y ~ x1 + x2", w, model="error")
    theirs = _spreg("ML_Error", y[:, None], X, wr, method="lu")
    np.testing.assert_allclose(error.coefficients["estimate"], theirs.betas.ravel(),
                               rtol=ML_RTOL)
    np.testing.assert_allclose(error.coefficients["se"], theirs.std_err, rtol=ML_RTOL)
    assert error.logl == pytest.approx(np.asarray(theirs.logll).item(), rel=1e-12)
