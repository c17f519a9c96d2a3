"""Dynamic spatial panels (Yu, de Jong & Lee 2008): an independent dense likelihood, dense
bias terms and effects, a Monte Carlo of the bias correction, and the errors of bad inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import spatialecon.regression as R
from spatialecon.regression.panel_dynamic import fit_dynamic
from spatialecon.validation import ParameterError

TRUTH = {"tau": 0.3, "rho": 0.3, "eta": -0.1, "beta": 1.0, "sigma2": 1.0}


@pytest.fixture(scope="module")
def weights():
    from spatialecon.geodata import boundaries
    from spatialecon.weights import contiguity, transform

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Hainan linked to Guangdong
        w = contiguity(boundaries("province"))
    return w, transform(w, "row")


def _simulate(Wd: np.ndarray, T: int, rng: np.random.Generator, *, twoway: bool = False,
              theta: float = 0.0, burn: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """y (T + 1, n) and x (T + 1, n) from the DGP of TRUTH, after a burn-in; x is correlated
    with the unit effects, as fixed effects allow."""
    n = Wd.shape[0]
    Sinv = np.linalg.inv(np.eye(n) - TRUTH["rho"] * Wd)
    mu = rng.normal(size=n)
    y = np.zeros(n)
    ys, xs = [], []
    for t in range(burn + T + 1):
        x = rng.normal(size=n) + 0.5 * mu
        shock = rng.normal() if twoway else 0.0
        y = Sinv @ (TRUTH["tau"] * y + TRUTH["eta"] * Wd @ y + TRUTH["beta"] * x
                    + theta * Wd @ x + mu + shock + rng.normal(size=n))
        if t >= burn:
            ys.append(y)
            xs.append(x)
    return np.array(ys), np.array(xs)


def _tidy(y: np.ndarray, x: np.ndarray, ids: list) -> pd.DataFrame:
    rows = []
    for i, (yy, xx) in enumerate(zip(y, x, strict=True)):
        rows += [(c, 2001 + i, "gdp", v) for c, v in zip(ids, yy, strict=True)]
        rows += [(c, 2001 + i, "inv", v) for c, v in zip(ids, xx, strict=True)]
    return pd.DataFrame(rows, columns=["adcode", "year", "variable", "value"])


@pytest.fixture(scope="module")
def data(weights):
    _, wr = weights
    Wd = wr.sparse.toarray()
    y, x = _simulate(Wd, 10, np.random.default_rng(7), twoway=True, theta=0.4)
    return _tidy(y, x, list(wr.id_order)), y, x, Wd


def _dense_pieces(y, x, Wd, effects, durbin):
    """Demeaned ỹ, W̃y and Z̃ = (y_{t−1}, W y_{t−1}, x, [W x]) on dense Kronecker matrices."""
    T, n = y.shape[0] - 1, y.shape[1]
    QT = np.eye(T) - np.ones((T, T)) / T
    Qn = np.eye(n) - np.ones((n, n)) / n if effects == "twoway" else np.eye(n)
    Q = np.kron(QT, Qn)
    WnT = np.kron(np.eye(T), Wd)
    yy, prev, xx = y[1:].ravel(), y[:-1].ravel(), x[1:].ravel()
    cols = [prev, WnT @ prev, xx] + ([WnT @ xx] if durbin else [])
    return Q @ yy, Q @ WnT @ yy, Q @ np.column_stack(cols), Q, WnT


def _dense_qml(y, x, Wd, effects, durbin):
    """The uncorrected estimator, written independently: the concentrated log-likelihood
    −nT/2 ln(e'e/nT) + T ln|I − ρW| (slogdet), maximised by scipy."""
    T, n = y.shape[0] - 1, y.shape[1]
    yt, wyt, Zt, _, _ = _dense_pieces(y, x, Wd, effects, durbin)

    def negative(rho):
        target = yt - rho * wyt
        b = np.linalg.lstsq(Zt, target, rcond=None)[0]
        e = target - Zt @ b
        return n * T / 2 * np.log(e @ e / (n * T)) - T * np.linalg.slogdet(
            np.eye(n) - rho * Wd)[1]

    rho = optimize.minimize_scalar(negative, bounds=(-0.99, 0.99), method="bounded",
                                   options={"xatol": 1e-12}).x
    b = np.linalg.lstsq(Zt, yt - rho * wyt, rcond=None)[0]
    e = yt - rho * wyt - Zt @ b
    return np.r_[b, rho], e @ e / (n * T)


@pytest.mark.parametrize("effects", ["unit", "twoway"])
@pytest.mark.parametrize("model", ["lag", "durbin"])
def test_uncorrected_estimates_equal_a_dense_likelihood(weights, data, effects, model):
    w, _ = weights
    panel, y, x, Wd = data
    result = R.fit_panel(panel, "gdp ~ inv", w, model=model, effects=effects, dynamic=True,
                         correction="none", impacts=None)
    theta, sigma2 = _dense_qml(y, x, Wd, effects, model == "durbin")
    names = ["tau", "eta", "inv", *(["W_inv"] if model == "durbin" else []), "rho"]
    assert list(result.coefficients.index) == names
    np.testing.assert_allclose(result.coefficients["estimate"].to_numpy(), theta, atol=1e-6)
    assert result.sig2 == pytest.approx(sigma2, abs=1e-6)
    assert list(result.coefficients["kind"])[:2] == ["tau", "eta"]
    assert result.n == 31 * 10 and result.conventions["initial_period"] == 2001
    assert result.conventions["periods_used"] == 10 and result.conventions["dynamic"] is True
    assert result.residuals.index.names == ["adcode", "year"]
    assert result.residuals.index.get_level_values("year").min() == 2002


def test_bias_correction_equals_dense_formulas(weights, data):
    """θ̂_c = θ̂ + Σ⁻¹a/T + Σ⁻¹b/n with every trace and Σ from dense matrices (YJL 2008,
    Lee & Yu 2010), against the reported correction."""
    _, wr = weights
    _, y, x, Wd = data
    fit = fit_dynamic(y, np.concatenate([x[..., None], (x @ Wd.T)[..., None]], axis=2), wr,
                      effects="twoway")
    T, n = y.shape[0] - 1, y.shape[1]
    delta, rho, s2 = fit.delta_raw, fit.rho_raw, fit.sigma2_raw
    tau, eta = delta[0], delta[1]
    eye = np.eye(n)
    Sinv = np.linalg.inv(eye - rho * Wd)
    G = Wd @ Sinv
    A = Sinv @ (tau * eye + eta * Wd)
    M = np.linalg.inv(eye - A) @ Sinv
    k = len(delta)
    a = np.zeros(k + 2)
    a[0], a[1] = np.trace(M) / n, np.trace(Wd @ M) / n
    a[k] = (tau * np.trace(G @ M) + eta * np.trace(G @ Wd @ M) + np.trace(G)) / n
    a[k + 1] = 1 / (2 * s2)
    b = np.zeros(k + 2)
    b[k], b[k + 1] = 1 / (1 - rho), 1 / (2 * s2)
    _, _, Zt, Q, _ = _dense_pieces(y, x, Wd, "twoway", True)
    gz = Q @ np.kron(np.eye(T), G) @ Zt @ delta
    info = np.zeros((k + 2, k + 2))
    info[:k, :k] = Zt.T @ Zt / s2
    info[:k, k] = info[k, :k] = Zt.T @ gz / s2
    info[k, k] = gz @ gz / s2 + T * (np.trace(G @ G) + np.trace(G.T @ G))
    info[k, k + 1] = info[k + 1, k] = T * np.trace(G) / s2
    info[k + 1, k + 1] = n * T / (2 * s2**2)
    sigma_bar = info / (n * T)
    expected = np.linalg.solve(sigma_bar, a) / T + np.linalg.solve(sigma_bar, b) / n
    np.testing.assert_allclose(fit.bias, expected, rtol=1e-8, atol=1e-12)
    assert fit.stability == pytest.approx(
        np.abs(np.linalg.eigvals(np.linalg.inv(eye - fit.rho * Wd)
                                 @ (fit.delta[0] * eye + fit.delta[1] * Wd))).max(), rel=1e-8)


def test_effects_equal_dense_traces(weights, data):
    w, _ = weights
    panel, _, _, Wd = data
    result = R.fit_panel(panel, "gdp ~ inv", w, model="durbin", effects="twoway",
                         dynamic=True)
    c = result.coefficients["estimate"]
    n, eye = Wd.shape[0], np.eye(Wd.shape[0])
    kernel = c["inv"] * eye + c["W_inv"] * Wd
    short = np.linalg.inv(eye - c["rho"] * Wd) @ kernel
    long = np.linalg.inv((1 - c["tau"]) * eye - (c["rho"] + c["eta"]) * Wd) @ kernel
    table = result.impacts
    assert table.index.names == ["variable", "horizon", "effect"]
    for horizon, S in (("short", short), ("long", long)):
        direct, total = np.trace(S) / n, S.sum() / n
        got = [table["estimate"][("inv", horizon, e)] for e in ("direct", "indirect", "total")]
        np.testing.assert_allclose(got, [direct, total - direct, total], rtol=1e-10)
    assert table.attrs["method"] == "delta"
    simulated = R.fit_panel(panel, "gdp ~ inv", w, model="durbin", effects="twoway",
                            dynamic=True, impacts="simulation", draws=2000, seed=3).impacts
    assert simulated.attrs["draws"] == 2000 and simulated.attrs["seed"] == 3
    np.testing.assert_allclose(simulated["estimate"], table["estimate"], rtol=1e-12)
    # the delta method and simulation agree to Monte Carlo and linearisation error
    np.testing.assert_allclose(simulated["se"], table["se"], rtol=0.2)


def _monte_carlo(wr, effects: str, draws: int, seed: int) -> dict[str, np.ndarray]:
    Wd = wr.sparse.toarray()
    rng = np.random.default_rng(seed)
    raw, corrected, se = [], [], []
    for _ in range(draws):
        y, x = _simulate(Wd, 10, rng, twoway=effects == "twoway")
        fit = fit_dynamic(y, x[..., None], wr, effects=effects)
        raw.append(np.r_[fit.delta_raw, fit.rho_raw, fit.sigma2_raw])
        corrected.append(np.r_[fit.delta, fit.rho, fit.sigma2])
        se.append(np.sqrt(np.diag(fit.vcov)))
    truth = np.array([TRUTH[k] for k in ("tau", "eta", "beta", "rho", "sigma2")])
    return {"raw": np.mean(raw, axis=0) - truth, "corrected": np.mean(corrected, axis=0) - truth,
            "se": np.mean(se, axis=0)}


@pytest.mark.parametrize("effects", ["unit", "twoway"])
def test_monte_carlo_bias_correction(weights, effects):
    """N = 31 provinces, T = 10 periods used, 200 draws: the corrected estimator is centred
    within a standard error of the truth and less biased than QML for τ and σ²."""
    _, wr = weights
    mc = _monte_carlo(wr, effects, 200, seed=20240611)
    names = ["tau", "eta", "beta", "rho", "sigma2"]
    for label, key in (("uncorrected", "raw"), ("corrected", "corrected")):
        print(f"\n{effects} {label} mean bias:",
              ", ".join(f"{v} {b:+.4f}" for v, b in zip(names, mc[key], strict=True)))
    assert np.all(np.abs(mc["corrected"][:4]) < mc["se"])
    for j in (0, 4):  # τ (the spatial Nickell bias) and σ²
        assert abs(mc["corrected"][j]) < abs(mc["raw"][j])


def test_bad_inputs_name_the_problem(weights, data):
    w, _ = weights
    panel = data[0]
    with pytest.raises(R.RegressionError, match=r"at least 3 years, got \[2001, 2002\].*"
                                                r"initial condition"):
        R.fit_panel(panel, "gdp ~ inv", w, dynamic=True, years=[2001, 2002])
    for effects in ("time", "random"):
        with pytest.raises(R.RegressionError, match=rf"effects='unit' or 'twoway', not "
                                                    rf"'{effects}'"):
            R.fit_panel(panel, "gdp ~ inv", w, effects=effects, dynamic=True)
    for model in ("error", "sdem", "sac"):
        with pytest.raises(R.RegressionError, match=rf"\('durbin'\) models, not '{model}'"):
            R.fit_panel(panel, "gdp ~ inv", w, model=model, dynamic=True)
    with pytest.raises(ParameterError, match="correction of a dynamic panel must be one of"):
        R.fit_panel(panel, "gdp ~ inv", w, dynamic=True, correction="lee-yu")
    with pytest.raises(R.RegressionError, match="uses W1 = 1"):
        R.fit_panel(panel, "gdp ~ inv", w, dynamic=True, transform=None)
    with pytest.raises(R.RegressionError,
                       match=r"durbin= is for the Durbin models \('durbin'\), not 'lag'"):
        R.fit_panel(panel, "gdp ~ inv", w, dynamic=True, durbin=["inv"])
