"""σ and β convergence (spatialecon.dynamics.convergence) against numbers computed
independently in the test: numpy/scipy dispersion measures, numpy.polyfit with a hand standard
error, statsmodels OLS, an LSDV regression by numpy lstsq, linearmodels PanelOLS, spreg ML_Lag,
and a simulation with known β and ρ on the 31 provinces."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spatialecon.dynamics import (
    DivergenceWarning,
    DynamicsError,
    beta_convergence,
    sigma_convergence,
)
from spatialecon.validation import NonFiniteError, ParameterError

YEARS = list(range(2000, 2013))


@pytest.fixture(scope="module")
def w():
    from spatialecon.geodata import boundaries
    from spatialecon.weights import contiguity

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 海南 linked to 广东
        return contiguity(boundaries("province"))


def _path(units, rng, beta=-0.03, sd=0.03, years=YEARS):
    """ln y_{t+1} = ln y_t + 0.05 + β (ln y_t − 9) + ε: units × years, levels."""
    ly = np.zeros((len(units), len(years)))
    ly[:, 0] = rng.normal(9, 0.5, len(units))
    for t in range(1, len(years)):
        ly[:, t] = ly[:, t - 1] + 0.05 + beta * (ly[:, t - 1] - 9) + rng.normal(0, sd,
                                                                                 len(units))
    return pd.DataFrame(np.exp(ly), index=pd.Index(units, name="adcode"), columns=years)


@pytest.fixture(scope="module")
def wide():
    units = [110000, 120000, 130000, 140000, 150000, 210000, 220000, 230000, 310000, 320000,
             330000, 340000, 350000, 360000, 370000, 410000, 420000, 430000, 440000, 450000]
    return _path(units, np.random.default_rng(7))


def _tidy(frames):
    rows = []
    for name, frame in frames.items():
        long = frame.stack().rename("value").reset_index()
        long.columns = ["adcode", "year", "value"]
        rows.append(long.assign(variable=name))
    return pd.concat(rows, ignore_index=True)[["adcode", "year", "variable", "value"]]


# ───────────────────────────────────────────────────────────────────────────── σ convergence


def _gini(y):
    return np.abs(y[:, None] - y[None, :]).mean() / (2 * y.mean())


def _theil(y):
    s = y / y.mean()
    return float(np.mean(s * np.log(s)))


@pytest.mark.parametrize("ddof", [0, 1])
def test_sigma_measures_equal_numpy_scipy(wide, ddof):
    expected = {
        "cv": [np.std(wide[t], ddof=ddof) / wide[t].mean() for t in YEARS],
        "sd_log": [np.std(np.log(wide[t].to_numpy()), ddof=ddof) for t in YEARS],
    }
    if ddof == 0:
        expected["cv"] = [stats.variation(wide[t].to_numpy()) for t in YEARS]
        expected["gini"] = [_gini(wide[t].to_numpy()) for t in YEARS]
        expected["theil"] = [_theil(wide[t].to_numpy()) for t in YEARS]
    for measure, values in expected.items():
        result = sigma_convergence(wide, measure=measure, ddof=ddof)
        assert result.table["year"].tolist() == YEARS
        np.testing.assert_allclose(result.table["value"], values, rtol=1e-12)
        assert (result.table["n"] == 20).all()


def test_sigma_trend_equals_polyfit_and_hand_se(wide):
    result = sigma_convergence(wide, measure="sd_log")
    d = np.array([np.std(np.log(wide[t].to_numpy())) for t in YEARS])
    t = np.array(YEARS, float) - YEARS[0]
    slope, intercept = np.polyfit(t, d, 1)
    resid = d - (intercept + slope * t)
    se = math.sqrt(resid @ resid / (len(d) - 2) / ((t - t.mean()) @ (t - t.mean())))
    p = 2 * stats.t.sf(abs(slope / se), len(d) - 2)
    row = result.trend.loc["all"]
    np.testing.assert_allclose([row["slope"], row["intercept"], row["se"], row["t"], row["p"]],
                               [slope, intercept, se, slope / se, p], rtol=1e-9)
    assert slope < 0 and p < 0.05
    assert result.verdict.startswith("σ-convergence")
    assert result.conventions["ddof"] == 0


def test_sigma_groups_and_layouts(wide):
    groups = {u: ("east" if i % 2 else "west") for i, u in enumerate(wide.index)}
    result = sigma_convergence(wide, measure="gini", groups=groups)
    assert list(result.trend.index) == ["all", "east", "west"]
    east = wide.loc[[u for u, g in groups.items() if g == "east"]]
    got = result.table.query("group == 'east'")["value"].to_numpy()
    np.testing.assert_allclose(got, [_gini(east[t].to_numpy()) for t in YEARS], rtol=1e-12)
    # the same numbers from a Series by (adcode, year) and from a tidy panel
    series = wide.stack().rename("gdp")
    series.index = series.index.set_names(["adcode", "year"])
    base = sigma_convergence(wide, measure="cv").table["value"]
    np.testing.assert_allclose(sigma_convergence(series, measure="cv").table["value"], base)
    tidy = _tidy({"gdp": wide, "pop": wide * 2})
    np.testing.assert_allclose(
        sigma_convergence(tidy, measure="cv", variable="gdp").table["value"], base)


# ───────────────────────────────────────────────────────────────────────────── β convergence


def test_beta_cross_section_equals_statsmodels(wide):
    import statsmodels.api as sm

    control = pd.DataFrame(np.random.default_rng(3).normal(size=wide.shape),
                           index=wide.index, columns=YEARS)
    panel = _tidy({"gdp": wide, "edu": control})
    result = beta_convergence(panel, "gdp", controls=["edu"], kind="conditional")
    T = YEARS[-1] - YEARS[0]
    g = (np.log(wide[YEARS[-1]]) - np.log(wide[YEARS[0]])) / T
    X = sm.add_constant(np.column_stack([np.log(wide[YEARS[0]]), control[YEARS[0]]]))
    ols = sm.OLS(g.to_numpy(), X).fit()
    assert abs(result.beta - ols.params[1]) < 1e-10
    assert abs(result.se - ols.bse[1]) < 1e-10
    assert abs(result.p - ols.pvalues[1]) < 1e-10
    np.testing.assert_allclose(result.model.coefficients["estimate"], ols.params, atol=1e-10)
    lam = -math.log(1 + T * ols.params[1]) / T
    assert result.speed == pytest.approx(lam, rel=1e-12)
    assert result.half_life == pytest.approx(math.log(2) / lam, rel=1e-12)
    assert "T = 12" in result.formula and "−ln(1 + Tβ)/T" in result.formula


def _lsdv(d, effects):
    """growth on ln_y0 with unit / year dummies by numpy lstsq; conventional s.e."""
    units = d.index.get_level_values("adcode")
    years = d.index.get_level_values("year")
    cols = [d["ln_y0"].to_numpy()]
    if effects in ("unit", "twoway"):
        cols += [(units == u).astype(float) for u in pd.unique(units)]
    if effects in ("time", "twoway"):
        levels = pd.unique(years)
        cols += [(years == t).astype(float) for t in (levels[1:] if effects == "twoway"
                                                      else levels)]
    X = np.column_stack(cols)
    y = d["growth"].to_numpy()
    b, *_ = np.linalg.lstsq(X, y, rcond=None)
    e = y - X @ b
    df = len(y) - np.linalg.matrix_rank(X)
    V = e @ e / df * np.linalg.inv(X.T @ X)
    return b[0], math.sqrt(V[0, 0])


@pytest.mark.parametrize("effects", ["twoway", "unit", "time"])
def test_beta_panel_fe_equals_lsdv_and_panelols(wide, effects):
    result = beta_convergence(wide, "gdp", period=2, effects=effects)
    d = result.data
    assert d.index.get_level_values("year").unique().tolist() == list(range(2000, 2011, 2))
    # growth built independently: 2-year log differences
    g = (np.log(wide[2002]) - np.log(wide[2000])) / 2
    np.testing.assert_allclose(d.xs(2000, level="year")["growth"], g, rtol=1e-13)
    b, se = _lsdv(d, effects)
    assert abs(result.beta - b) < 1e-10
    assert abs(result.se - se) < 1e-10
    assert result.speed == pytest.approx(-math.log(1 + 2 * b) / 2, rel=1e-12)
    linearmodels = pytest.importorskip("linearmodels.panel")
    fe = linearmodels.PanelOLS(d["growth"], d[["ln_y0"]],
                               entity_effects=effects in ("unit", "twoway"),
                               time_effects=effects in ("time", "twoway")).fit(
        cov_type="unadjusted")
    assert abs(result.beta - fe.params["ln_y0"]) < 1e-10
    assert abs(result.se - fe.std_errors["ln_y0"]) < 1e-10


def test_beta_spatial_lag_equals_spreg(w):
    import spreg
    from libpysal.weights import W

    rng = np.random.default_rng(11)
    wide = _path(list(w.id_order), rng, years=[2005, 2006, 2010, 2015])
    result = beta_convergence(wide, "gdp", w=w, model="lag")
    T = 10
    g = ((np.log(wide[2015]) - np.log(wide[2005])) / T).to_numpy()[:, None]
    x = np.log(wide[2005]).to_numpy()[:, None]
    wr = W(dict(w.neighbors), id_order=list(w.id_order))
    wr.transform = "r"
    ml = spreg.ML_Lag(g, x, wr, method="full")
    betas = np.asarray(ml.betas).ravel()
    se = np.sqrt(np.diag(ml.vm))
    assert abs(result.beta - betas[1]) < 1e-6
    assert abs(result.se - se[1]) < 1e-6
    assert abs(result.model.rho - betas[2]) < 1e-6
    assert set(result.speeds.index) == {"beta", "direct"}
    direct = result.model.impacts.loc[("ln_y0", "direct"), "estimate"]
    assert result.speeds.loc["direct", "estimate"] == direct
    assert result.speeds.loc["direct", "speed"] == pytest.approx(
        -math.log(1 + T * direct) / T, rel=1e-12)


def test_beta_durbin_direct_and_spatial_panel(w):
    rng = np.random.default_rng(5)
    wide = _path(list(w.id_order), rng, years=list(range(2000, 2009)))
    durbin = beta_convergence(wide, "gdp", w=w, model="durbin", speed_from="direct")
    assert "W_ln_y0" in durbin.model.coefficients.index
    assert durbin.beta == durbin.model.impacts.loc[("ln_y0", "direct"), "estimate"]
    assert "direct impact" in durbin.conventions["coefficient"]
    panel = beta_convergence(wide, "gdp", w=w, model="lag", period=2, effects="unit")
    assert panel.model.effects == "unit" and panel.model.n == 31 * 4
    assert panel.beta == panel.model.coefficients.loc["ln_y0", "estimate"]
    assert panel.speed == pytest.approx(-math.log(1 + 2 * panel.beta) / 2, rel=1e-12)


def test_simulation_recovers_beta_and_rho(w):
    """Cross-section SAR growth g = ρWg + c + β ln y_0 + ε with β = −0.03, ρ = 0.4 on the 31
    provinces: ML estimates centred on the truth within their s.e., 95 % intervals cover."""
    beta, rho, T, draws = -0.03, 0.4, 20, 200
    rng = np.random.default_rng(2024)
    ids = list(w.id_order)
    Wm = np.asarray(w.full()[0], float)
    Wm = Wm / Wm.sum(axis=1, keepdims=True)
    A = np.linalg.inv(np.eye(31) - rho * Wm)
    z_b, z_r, cover_b, cover_r = [], [], 0, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(draws):
            ly0 = rng.normal(9, 0.6, 31)
            g = A @ (0.3 + beta * ly0 + rng.normal(0, 0.006, 31))
            wide = pd.DataFrame({2000: np.exp(ly0), 2000 + T: np.exp(ly0 + T * g)},
                                index=pd.Index(ids, name="adcode"))
            r = beta_convergence(wide, "gdp", w=w, model="lag")
            z_b.append((r.beta - beta) / r.se)
            cover_b += abs(r.beta - beta) <= 1.96 * r.se
            rse = r.model.coefficients.loc["rho", "se"]
            z_r.append((r.model.rho - rho) / rse)
            cover_r += abs(r.model.rho - rho) <= 1.96 * rse
            assert r.speed == pytest.approx(-math.log(1 + T * r.beta) / T, rel=1e-12)
            assert r.half_life == pytest.approx(math.log(2) / r.speed, rel=1e-12)
    assert abs(np.mean(z_b)) < 0.3, np.mean(z_b)
    assert 0.85 <= cover_b / draws <= 1
    assert abs(np.mean(z_r)) < 0.3, np.mean(z_r)
    assert 0.85 <= cover_r / draws <= 1


def test_simulation_annual_rate_from_cross_section():
    """An annual process ln y_{t+1} − ln y_t = a + β_a ln y_t + ε over T years has the
    cross-section slope ((1 + β_a)^T − 1)/T; the speed formula returns −ln(1 + β_a)."""
    beta_a, T = -0.03, 15
    rng = np.random.default_rng(9)
    units = list(range(100000, 100000 + 200 * 100, 100))
    speeds, z = [], []
    for _ in range(50):
        wide = _path(units, rng, beta=beta_a, sd=0.02, years=list(range(2000, 2001 + T)))
        r = beta_convergence(wide[[2000, 2000 + T]], "gdp")
        speeds.append(r.speed)
        z.append((r.beta - ((1 + beta_a) ** T - 1) / T) / r.se)
    assert abs(np.mean(z)) < 0.3
    assert np.mean(speeds) == pytest.approx(-math.log(1 + beta_a), rel=0.03)


# ───────────────────────────────────────────────────────────────────────────── bad inputs


def test_bad_inputs(wide):
    bad = wide.copy()
    bad.loc[130000, 2003] = 0.0
    bad.loc[140000, 2005] = -1.0
    with pytest.raises(DynamicsError, match=r"河北 \(130000, 2003\).*山西 \(140000, 2005\)"):
        beta_convergence(bad, "gdp")
    with pytest.raises(DynamicsError, match="ln y"):
        sigma_convergence(bad, measure="sd_log")
    with pytest.raises(DynamicsError, match="one year"):
        beta_convergence(wide[[2000]], "gdp")
    with pytest.raises(DynamicsError, match="one year"):
        sigma_convergence(wide[[2000]])
    tidy = _tidy({"gdp": wide})
    gappy = tidy[~((tidy["adcode"].isin([120000, 310000])) & (tidy["year"] == 2004))]
    for call in (lambda: beta_convergence(gappy, "gdp"), lambda: sigma_convergence(gappy)):
        with pytest.raises(DynamicsError, match=r"天津 \(120000, 2004\), 上海 \(310000, 2004\)"):
            call()
    nan = wide.copy()
    nan.loc[150000, 2001] = np.inf
    with pytest.raises(NonFiniteError, match=r"150000"):
        sigma_convergence(nan)
    # leapfrogging: ranks reverse, β ≤ −1/T
    over = wide[[2000]].copy()
    over[2010] = np.exp(18 - np.log(wide[2000]) * 1.0)
    with pytest.raises(DynamicsError, match=r"1 \+ 10β ≤ 0.*undefined"):
        beta_convergence(over, "gdp")
    # divergence: warned, NaN speed
    div = wide[[2000]].copy()
    div[2010] = wide[2000] ** 1.2
    with pytest.warns(DivergenceWarning, match="divergence"):
        r = beta_convergence(div, "gdp")
    assert r.beta > 0 and np.isnan(r.speed) and np.isnan(r.half_life)
    with pytest.raises(DynamicsError, match="no controls"):
        beta_convergence(_tidy({"gdp": wide, "x": wide}), "gdp", controls="x")
    with pytest.raises(DynamicsError, match="needs weights"):
        beta_convergence(wide, "gdp", model="lag")
    with pytest.raises(ParameterError, match="period"):
        beta_convergence(wide, "gdp", period=0)
    with pytest.raises(ParameterError, match="measure"):
        sigma_convergence(wide, measure="variance")
    with pytest.raises(DynamicsError, match="at least 2"):
        beta_convergence(wide, "gdp", period=7)
