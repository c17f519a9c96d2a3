"""The spatial panel test sequence (spatialecon.regression.panel_tests) against numbers
computed here independently: dense Kronecker LM formulas, spreg's cross-section LM tests,
log-likelihood differences, Wald and delta-method computations, the Hausman formula and
spreg's ML_LagRE; plus power and size checks on simulated SDM and SAR panels."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import WSP
from scipy import sparse

import spatialecon.regression as R
from spatialecon.regression._common import _spreg
from spatialecon.regression.panel_tests import _lm_statistics
from spatialecon.validation import ParameterError
from spatialecon.weights import contiguity
from spatialecon.weights import transform as transform_weights

T_YEARS = 5
BETA = np.array([1.0, -0.5])


@pytest.fixture(scope="module")
def weights():
    from spatialecon.geodata import boundaries

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Hainan linked to its nearest province
        w = contiguity(boundaries("province"))
    return w, transform_weights(w, "row").sparse.toarray()


def _simulate(w, Wd, *, T=T_YEARS, seed=0, rho=0.4, theta=(0.0, 0.0), mu_x=0.0):
    """A balanced tidy panel from the SDM y_t = ρWy_t + X_tβ + WX_tθ + μ + α_t + ε_t
    (θ = 0: the SAR); ``mu_x`` correlates the unit effects with x1."""
    n = w.n
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=n)
    x_mean = rng.normal(size=n)
    A = np.linalg.inv(np.eye(n) - rho * Wd)
    rows = []
    for year in range(2011, 2011 + T):
        x = rng.normal(size=(n, 2))
        x[:, 0] += x_mean
        alpha = rng.normal() * 0.5
        y = A @ (x @ BETA + Wd @ x @ np.asarray(theta) + mu + mu_x * x_mean + alpha
                 + rng.normal(size=n))
        for code, a, b, c in zip(w.id_order, y, x[:, 0], x[:, 1], strict=True):
            rows += [(code, year, "gdp", a), (code, year, "inv", b), (code, year, "edu", c)]
    return pd.DataFrame(rows, columns=["adcode", "year", "variable", "value"])


def _stacked(panel, w):
    """y (NT,) and X (NT, 2), year-major, units in w.id_order — written here, not reused."""
    years = sorted(panel["year"].unique())
    wide = panel.pivot_table(index=["year", "adcode"], columns="variable", values="value")
    wide = wide.reindex(pd.MultiIndex.from_product([years, w.id_order]))
    return wide["gdp"].to_numpy(), wide[["inv", "edu"]].to_numpy()


@pytest.fixture(scope="module")
def sdm_case(weights):
    w, Wd = weights
    panel = _simulate(w, Wd, seed=3, rho=0.3, theta=(0.8, 0.6))
    return panel, w, Wd, R.spatial_panel_tests(panel, "gdp ~ inv + edu", w)


@pytest.fixture(scope="module")
def sar_case(weights):
    w, Wd = weights
    panel = _simulate(w, Wd, seed=11, rho=0.4)
    return panel, w, Wd, R.spatial_panel_tests(panel, "gdp ~ inv + edu", w)


# ---------------------------------------------------------------------------- LM tests


@pytest.mark.parametrize("effects", ["none", "unit", "time", "twoway"])
def test_lm_statistics_equal_dense_kronecker_formulas(weights, effects):
    w, Wd = weights
    panel = _simulate(w, Wd, seed=5, rho=0.3, theta=(0.3, 0.0))
    result = R.spatial_panel_tests(panel, "gdp ~ inv + edu", w, effects=effects)
    y, X = _stacked(panel, w)
    N, T = w.n, T_YEARS
    # demeaning as projection matrices: Q_unit = (I_T − J_T/T) ⊗ I_N, Q_time = I_T ⊗ (I_N − J_N/N)
    q_unit = np.kron(np.eye(T) - np.ones((T, T)) / T, np.eye(N))
    q_time = np.kron(np.eye(T), np.eye(N) - np.ones((N, N)) / N)
    Q = {"none": np.eye(N * T), "unit": q_unit, "time": q_time,
         "twoway": q_unit @ q_time}[effects]
    yd, Xd = Q @ y, Q @ X
    if effects == "none":
        Xd = np.column_stack([np.ones(N * T), Xd])
    WT = np.kron(np.eye(T), Wd)  # I_T ⊗ W
    M = np.eye(N * T) - Xd @ np.linalg.inv(Xd.T @ Xd) @ Xd.T
    b = np.linalg.inv(Xd.T @ Xd) @ Xd.T @ yd
    e = M @ yd
    s2 = e @ e / (N * T)
    TW = np.trace(Wd.T @ Wd + Wd @ Wd)
    wxb = WT @ Xd @ b
    J = (wxb @ M @ wxb + T * TW * s2) / s2
    lag, err = e @ WT @ yd / s2, e @ WT @ e / s2
    expected = {
        "lm_lag": lag**2 / J,
        "lm_error": err**2 / (T * TW),
        "robust_lm_lag": (lag - err) ** 2 / (J - T * TW),
        "robust_lm_error": (err - T * TW / J * lag) ** 2 / (T * TW * (1 - T * TW / J)),
    }
    for key, value in expected.items():
        assert result.tests.loc[key, "statistic"] == pytest.approx(value, rel=1e-8, abs=1e-10)
        assert result.tests.loc[key, "df"] == 1


def test_cross_section_lm_equal_spreg_and_ols_diagnostics(weights):
    w, Wd = weights
    panel = _simulate(w, Wd, seed=7, rho=0.5)
    one = panel[panel["year"] == 2013].pivot(index="adcode", columns="variable",
                                             values="value").loc[w.id_order]
    y = one[["gdp"]].to_numpy()
    X = one[["inv", "edu"]].to_numpy()
    ours = _lm_statistics(y, np.column_stack([np.ones(w.n), X]), sparse.csr_matrix(Wd), 1)
    reg = _spreg("OLS", y, X, w=transform_weights(w, "row"), spat_diag=True)
    diag = R.ols_diagnostics(one, "gdp ~ inv + edu", w)
    for key, spreg_key in (("lm_lag", "lm_lag"), ("robust_lm_lag", "rlm_lag"),
                           ("lm_error", "lm_error"), ("robust_lm_error", "rlm_error")):
        assert ours[key] == pytest.approx(float(getattr(reg, spreg_key)[0]), rel=1e-8)
        assert ours[key] == pytest.approx(diag[spreg_key].statistic, rel=1e-8)


def test_pooled_lm_equal_spreg_with_block_diagonal_weights(weights):
    """With effects='none' the panel tests are spreg's cross-section tests on the NT stacked
    observations with W_T = I_T ⊗ W (the check in splm's slmtest source)."""
    w, Wd = weights
    panel = _simulate(w, Wd, seed=9, rho=0.3)
    result = R.spatial_panel_tests(panel, "gdp ~ inv + edu", w, effects="none")
    y, X = _stacked(panel, w)
    big = WSP(sparse.csr_matrix(np.kron(np.eye(T_YEARS), Wd))).to_W(silence_warnings=True)
    reg = _spreg("OLS", y[:, None], X, w=big, spat_diag=True)
    for key, spreg_key in (("lm_lag", "lm_lag"), ("robust_lm_lag", "rlm_lag"),
                           ("lm_error", "lm_error"), ("robust_lm_error", "rlm_error")):
        assert result.tests.loc[key, "statistic"] == pytest.approx(
            float(getattr(reg, spreg_key)[0]), rel=1e-8)
        assert result.tests.loc[key, "p"] == pytest.approx(
            float(getattr(reg, spreg_key)[1]), rel=1e-6, abs=1e-12)


# ---------------------------------------------------------------------------- LR, Wald


def _fit(panel, w, model, effects, correction="lee-yu"):
    return R.fit_panel(panel, "gdp ~ inv + edu", w, model=model, effects=effects,
                       correction=correction, impacts=None)


def test_lr_statistics_are_twice_the_loglik_differences(sdm_case):
    panel, w, _, result = sdm_case
    t = result.tests
    sdm, sar, sem = (_fit(panel, w, m, "twoway") for m in ("durbin", "lag", "error"))
    assert t.loc["lr_sdm_sar", "statistic"] == pytest.approx(2 * (sdm.logl - sar.logl),
                                                             rel=1e-9)
    assert t.loc["lr_sdm_sem", "statistic"] == pytest.approx(2 * (sdm.logl - sem.logl),
                                                             rel=1e-9)
    # effects: Elhorst's direct likelihoods (no Lee–Yu correction), two-way vs one-way
    both, unit, time = (_fit(panel, w, "durbin", fx, "none") for fx in ("twoway", "unit", "time"))
    assert t.loc["lr_unit_effects", "statistic"] == pytest.approx(2 * (both.logl - time.logl),
                                                                  rel=1e-9)
    assert t.loc["lr_time_effects", "statistic"] == pytest.approx(2 * (both.logl - unit.logl),
                                                                  rel=1e-9)
    assert list(t.loc[["lr_unit_effects", "lr_time_effects", "lr_sdm_sar", "lr_sdm_sem"],
                      "df"]) == [w.n - 1, T_YEARS - 1, 2, 2]
    assert (t["statistic"].iloc[:10] >= 0).all()
    assert "not nested" in result.conventions["lr_effects"]


def test_wald_statistics_equal_direct_and_numerical_delta_method(sdm_case):
    panel, w, _, result = sdm_case
    sdm = _fit(panel, w, "durbin", "twoway")
    b = sdm.coefficients["estimate"]
    V = sdm.vcov
    theta_names = ["W_inv", "W_edu"]
    theta = b[theta_names].to_numpy()
    expected = theta @ np.linalg.inv(V.loc[theta_names, theta_names].to_numpy()) @ theta
    assert result.tests.loc["wald_sdm_sar", "statistic"] == pytest.approx(expected, rel=1e-8)

    names = ["inv", "edu", "W_inv", "W_edu", "rho"]
    p0 = b[names].to_numpy()

    def g(p):  # θ + ρβ
        return p[2:4] + p[4] * p[0:2]

    h = 1e-6
    G = np.column_stack([(g(p0 + h * e) - g(p0 - h * e)) / (2 * h) for e in np.eye(5)])
    gv = g(p0)
    expected = gv @ np.linalg.inv(G @ V.loc[names, names].to_numpy() @ G.T) @ gv
    assert result.tests.loc["wald_sdm_sem", "statistic"] == pytest.approx(expected, rel=1e-7)


# ---------------------------------------------------------------------------- RE, Hausman


def test_random_effects_sdm_equals_spreg_ml_lag_re_on_x_and_wx(weights):
    w, Wd = weights
    panel = _simulate(w, Wd, seed=13, rho=0.3, theta=(0.5, -0.2))
    re_ = R.fit_panel(panel, "gdp ~ inv + edu", w, model="durbin", effects="random")
    y, X = _stacked(panel, w)
    WX = np.vstack([Wd @ X[t * w.n:(t + 1) * w.n] for t in range(T_YEARS)])
    direct = _spreg("ML_LagRE", y[:, None], np.column_stack([X, WX]),
                    transform_weights(w, "row"), spat_impacts=None)
    assert list(re_.coefficients.index) == ["CONSTANT", "inv", "edu", "W_inv", "W_edu",
                                            "rho", "phi"]
    assert list(re_.coefficients["kind"].iloc[3:5]) == ["wx", "wx"]
    np.testing.assert_allclose(re_.coefficients["estimate"], direct.betas.ravel(), rtol=1e-7)
    np.testing.assert_allclose(re_.coefficients["se"], np.sqrt(np.diag(direct.vm)), rtol=1e-7)
    assert re_.logl == pytest.approx(float(direct.logll), rel=1e-10)
    assert re_.label == "SDM-RE" and re_.rho == pytest.approx(float(direct.betas[-2, 0]))
    assert set(re_.impacts.index.get_level_values(0)) == {"inv", "edu"}


def _hausman_by_hand(fe, re_):
    names = ["inv", "edu", "W_inv", "W_edu", "rho"]
    d = (fe.coefficients.loc[names, "estimate"] - re_.coefficients.loc[names, "estimate"]
         ).to_numpy()
    dv = (fe.vcov.loc[names, names] - re_.vcov.loc[names, names]).to_numpy()
    return d @ np.linalg.inv(dv) @ d, np.linalg.eigvalsh(dv)


@pytest.mark.parametrize("correction", ["lee-yu", "none"])
def test_hausman_equals_the_formula(sdm_case, correction):
    panel, w, _, result = sdm_case
    if correction == "none":
        result = R.spatial_panel_tests(panel, "gdp ~ inv + edu", w, correction="none")
    fe = _fit(panel, w, "durbin", "unit", correction)
    re_ = R.fit_panel(panel, "gdp ~ inv + edu", w, model="durbin", effects="random",
                      impacts=None)
    expected, _ = _hausman_by_hand(fe, re_)
    assert result.tests.loc["hausman", "statistic"] == pytest.approx(expected, rel=1e-8)
    assert result.tests.loc["hausman", "df"] == 5


def test_hausman_fe_variance_lee_yu_against_direct_ml(weights):
    """Random effects true (μ independent of x): with unit effects Lee–Yu has the direct-ML
    β and ρ and σ² × T/(T − 1); direct ML's smaller V_FE leaves V_FE − V_RE indefinite."""
    w, Wd = weights
    panel = _simulate(w, Wd, seed=17, rho=0.3, theta=(0.4, 0.2))
    re_ = R.fit_panel(panel, "gdp ~ inv + edu", w, model="durbin", effects="random",
                      impacts=None)
    lee_yu, direct = (_fit(panel, w, "durbin", "unit", c) for c in ("lee-yu", "none"))
    np.testing.assert_allclose(lee_yu.coefficients["estimate"],
                               direct.coefficients["estimate"], rtol=1e-6)
    assert lee_yu.sig2 == pytest.approx(direct.sig2 * T_YEARS / (T_YEARS - 1), rel=1e-8)
    assert _hausman_by_hand(lee_yu, re_)[1].min() > 0
    assert _hausman_by_hand(direct, re_)[1].min() < 0
    result = R.spatial_panel_tests(panel, "gdp ~ inv + edu", w, effects="unit",
                                   correction="none")
    assert "not positive definite" in result.tests.loc["hausman", "decision"]


def test_hausman_rejects_effects_correlated_with_a_regressor(weights):
    w, Wd = weights
    panel = _simulate(w, Wd, seed=17, rho=0.3, theta=(0.4, 0.2), mu_x=3.0)
    result = R.spatial_panel_tests(panel, "gdp ~ inv + edu", w)
    assert result.tests.loc["hausman", "p"] < 0.001
    assert "use fixed effects" in result.tests.loc["hausman", "decision"]
    assert "Hausman rejects random unit effects" in result.recommendation


# ---------------------------------------------------------------------------- power, size


def test_true_sdm_rejects_both_simplifications(sdm_case):
    t = sdm_case[3].tests
    for key in ("lr_sdm_sar", "lr_sdm_sem", "wald_sdm_sar", "wald_sdm_sem"):
        assert t.loc[key, "p"] < 0.001, key
    assert t.loc["wald_sdm_sar", "decision"] == (
        "reject θ = 0 at 5%: the SDM does not simplify to the SAR")
    assert t.loc["lr_unit_effects", "p"] < 0.001
    assert sdm_case[3].recommendation.startswith("Recommended: the SDM with unit")


def test_true_sar_does_not_reject_theta_zero(sar_case):
    t = sar_case[3].tests
    assert t.loc["wald_sdm_sar", "p"] > 0.05
    assert t.loc["lr_sdm_sar", "p"] > 0.05
    assert t.loc["wald_sdm_sar", "decision"].startswith("do not reject θ = 0 at 5%")
    assert t.loc["lm_lag", "p"] < 0.05
    assert sar_case[3].recommendation.startswith("Recommended: the SAR")


def test_result_layout_table_and_conventions(sar_case):
    result = sar_case[3]
    assert list(result.tests.columns) == ["statistic", "df", "p", "decision"]
    assert list(result.tests.index) == [
        "lm_lag", "robust_lm_lag", "lm_error", "robust_lm_error", "lr_unit_effects",
        "lr_time_effects", "lr_sdm_sar", "lr_sdm_sem", "wald_sdm_sar", "wald_sdm_sem",
        "hausman"]
    assert all("\n" not in d for d in result.tests["decision"])
    table = result.table()
    assert list(table.columns) == ["test", "statistic", "df", "p", "decision"]
    assert table.loc["lm_lag", "statistic"].endswith("***")
    stat, p_value = result["wald_sdm_sar"]
    assert (stat, p_value) == tuple(result.tests.loc["wald_sdm_sar", ["statistic", "p"]])
    c = result.conventions
    assert (c["effects"], c["correction"], c["alpha"]) == ("twoway", "lee-yu", 0.05)
    assert "n=31" in c["weights"] and c["transform"] == "R"
    assert "Recommended" in str(result)
    assert "\n" not in result.recommendation


def test_pooled_effects_give_lm_tests_only(weights):
    w, Wd = weights
    panel = _simulate(w, Wd, seed=9, rho=0.3)
    result = R.spatial_panel_tests(panel, "gdp ~ inv + edu", w, effects="none")
    assert result.tests.loc["wald_sdm_sar", "decision"].startswith("not computed")
    assert np.isnan(result.tests.loc["lr_sdm_sem", "statistic"])
    assert np.isfinite(result.tests.loc["lm_lag", "statistic"])


# ---------------------------------------------------------------------------- bad input


def test_bad_inputs_are_named(weights, sar_case):
    w, _ = weights
    panel = sar_case[0]
    with pytest.raises(ParameterError, match="effects must be one of"):
        R.spatial_panel_tests(panel, "gdp ~ inv + edu", w, effects="between")
    with pytest.raises(R.RegressionError, match="effects='random' is not a demeaning"):
        R.spatial_panel_tests(panel, "gdp ~ inv + edu", w, effects="random")
    gap = panel.drop(panel.index[(panel["adcode"] == w.id_order[0]) & (panel["year"] == 2012)
                                 & (panel["variable"] == "inv")])
    with pytest.raises(R.RegressionError, match=r"the panel has gaps.*inv for"):
        R.spatial_panel_tests(gap, "gdp ~ inv + edu", w)
    area = pd.DataFrame([(a, y, "area", float(i)) for i, a in enumerate(w.id_order)
                         for y in panel["year"].unique()],
                        columns=["adcode", "year", "variable", "value"])
    with pytest.raises(R.RegressionError, match="area does not vary over time within any unit"):
        R.spatial_panel_tests(pd.concat([panel, area]), "gdp ~ inv + area", w)
    with pytest.raises(ParameterError, match="alpha must be a probability"):
        R.spatial_panel_tests(panel, "gdp ~ inv + edu", w, alpha=5)
