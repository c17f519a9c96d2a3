"""Independent reference checks of the static fixed-effects spatial panels (``panel_ml``).

Everything here is recomputed from the definitions on dense matrices, without the library's
code paths:

* the Lee–Yu (2010) likelihood is written on data transformed by the actual orthonormal
  matrices F_{T,T−1} / F_{N,N−1} (eigenvectors of the demeaning matrix J = I − 11'/n with
  eigenvalue 1) — (F'_T ⊗ I_N) for unit effects, (I_T ⊗ F'_N) for time effects, both for
  two-way — with the transformed weights F'_N W F_N and slogdet of the transformed
  (I − ρW*); ``correction="none"`` is Elhorst's direct likelihood of demeaned data with
  T ln|I − ρW|. It is maximised with scipy and compared with ``fit_panel`` for every model ×
  effects × correction;
* the closed forms that follow (unit effects: same ρ, β; σ² × T/(T − 1); two-way: the
  (T − 1)[ln|I − ρW| − ln(1 − ρ)] form on (N − 1)(T − 1) observations);
* the standard errors against the inverse of a numerical Hessian of that likelihood and
  against the expected information written densely;
* the recovered fixed effects (Elhorst 2014, eqs 3.12–3.14);
* a Monte Carlo of the incidental-parameter bias of σ² that the Lee–Yu correction removes.

The published Cigar reproduction (Baltagi's cigarette demand, SDPDmod's vignette) is at the
end.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import W as PysalW
from scipy import optimize

from spatialecon import regression as R
from spatialecon.regression._common import _prepare_weights
from spatialecon.regression.panel_ml import fit_fixed_effects
from spatialecon.weights import contiguity
from spatialecon.weights import transform as transform_weights

DATA = Path(__file__).parent / "data"
MODELS = ("lag", "error", "durbin", "sdem", "sac")
EFFECTS = ("unit", "time", "twoway")
CORRECTIONS = ("lee-yu", "none")


# ----------------------------------------------------------------------- the simulated panel


@pytest.fixture(scope="module")
def provinces():
    """The 31 provinces (queen contiguity, Hainan linked to its nearest neighbour)."""
    from spatialecon.geodata import boundaries

    w = contiguity(boundaries("province"))
    return w, transform_weights(w, "row").sparse.toarray()


def _simulate(Wd, T, rng, *, rho=0.4, lam=0.0, beta=(1.0, -0.5), theta=(0.0, 0.0),
              sigma=1.0, unit_sd=1.0, year_sd=1.0):
    """(Y (T, N), X (T, N, 2), μ (N,), α (T,)) from y_t = ρWy_t + X_tβ + WX_tθ + μ + α_t 1 + u_t,
    u_t = λWu_t + ε_t."""
    N = Wd.shape[0]
    eye = np.eye(N)
    mu = rng.normal(size=N) * unit_sd
    alpha = rng.normal(size=T) * year_sd
    X = rng.normal(size=(T, N, 2))
    Y = np.empty((T, N))
    for t in range(T):
        u = np.linalg.solve(eye - lam * Wd, rng.normal(size=N) * sigma)
        Y[t] = np.linalg.solve(eye - rho * Wd, X[t] @ np.asarray(beta)
                               + Wd @ X[t] @ np.asarray(theta) + mu + alpha[t] + u)
    return Y, X, mu, alpha


def _tidy(Y, X, ids, years):
    rows = []
    for t, year in enumerate(years):
        for i, code in enumerate(ids):
            rows += [(code, year, "y", Y[t, i]), (code, year, "x1", X[t, i, 0]),
                     (code, year, "x2", X[t, i, 1])]
    return pd.DataFrame(rows, columns=["adcode", "year", "variable", "value"])


@pytest.fixture(scope="module")
def sac_panel(provinces):
    """T = 6 years of a SAC + Durbin DGP with year shocks and unit effects (every model
    identified, none exactly right)."""
    w, Wd = provinces
    rng = np.random.default_rng(20240607)
    Y, X, _, _ = _simulate(Wd, 6, rng, rho=0.35, lam=0.3, theta=(0.4, 0.2), unit_sd=2.0)
    years = list(range(2011, 2017))
    return _tidy(Y, X, w.id_order, years), w, Wd, Y, X


# ------------------------------------------------------------ the independent dense likelihood


def f_matrix(n: int) -> np.ndarray:
    """F_{n,n−1}: the orthonormal eigenvectors of J_n = I − 11'/n with eigenvalue 1."""
    values, vectors = np.linalg.eigh(np.eye(n) - np.ones((n, n)) / n)
    F = vectors[:, np.abs(values - 1) < 1e-9]
    assert F.shape == (n, n - 1)
    np.testing.assert_allclose(F.T @ F, np.eye(n - 1), atol=1e-12)
    np.testing.assert_allclose(F @ F.T, np.eye(n) - 1 / n, atol=1e-12)
    return F


class DenseLikelihood:
    """The log-likelihood of a fixed-effects SAC/SAR/SEM panel (Durbin lags already in X) on
    dense NT × NT matrices, stacked year-major (units inner).

    Lee–Yu: ỹ = P y, X̃ = P X, W̃ = P (I_T ⊗ W) P' with P = F'_T ⊗ I, I ⊗ F'_N or F'_T ⊗ F'_N;
    ε = (I − λW̃)[(I − ρW̃)ỹ − X̃β], n = rows of P, log-determinants slogdet(I − ρW̃).
    None (Elhorst): every series demeaned after its spatial lag is taken,
    ε = Q (I − λW)[(I − ρW)y − Xβ] with W = I_T ⊗ W and Q the demeaning projector,
    n = NT, log-determinant slogdet(I_NT − ρ I_T ⊗ W) = T ln|I − ρW|."""

    def __init__(self, Y, X, Wd, effects, correction):
        T, N = Y.shape
        y, Xs = Y.ravel(), X.reshape(T * N, -1)
        Wbig = np.kron(np.eye(T), Wd)
        unit, timed = effects in ("unit", "twoway"), effects in ("time", "twoway")
        if correction == "lee-yu":
            FT = f_matrix(T) if unit else np.eye(T)
            FN = f_matrix(N) if timed else np.eye(N)
            P = np.kron(FT.T, FN.T)
            self.y, self.X, self.W = P @ y, P @ Xs, P @ Wbig @ P.T
            self.M = np.eye(len(self.y))
            self.FN = FN
        else:
            JT = np.eye(T) - 1 / T if unit else np.eye(T)
            JN = np.eye(N) - 1 / N if timed else np.eye(N)
            self.y, self.X, self.W = y, Xs, Wbig
            self.M = np.kron(JT, JN)
        self.n = len(self.y)
        self.eye = np.eye(self.n)
        # W̃ is block diagonal, I ⊗ W_b (W_b = F'_N W F_N or W): the log-determinant of the
        # whole (I − ρW̃) is the number of blocks times that of one block (checked once)
        size = N - 1 if correction == "lee-yu" and timed else N
        self.block, self.blocks = self.W[:size, :size], self.n // size
        np.testing.assert_allclose(self.W, np.kron(np.eye(self.blocks), self.block),
                                   atol=1e-12)
        a = 0.37
        assert self.blocks * np.linalg.slogdet(np.eye(size) - a * self.block)[1] \
            == pytest.approx(np.linalg.slogdet(self.eye - a * self.W)[1], abs=1e-9)

    def logdet(self, a):
        sign, value = np.linalg.slogdet(np.eye(len(self.block)) - a * self.block)
        assert sign > 0
        return self.blocks * value

    def _parts(self, rho, lam):
        A_lam = self.M @ (self.eye - lam * self.W)
        return A_lam @ (self.y - rho * self.W @ self.y), A_lam @ self.X

    def profile(self, rho, lam):
        """(β, σ², logL) with β and σ² concentrated out at (ρ, λ)."""
        yf, Xf = self._parts(rho, lam)
        beta = np.linalg.lstsq(Xf, yf, rcond=None)[0]
        e = yf - Xf @ beta
        s2 = e @ e / self.n
        return beta, s2, (-self.n / 2 * (np.log(2 * np.pi * s2) + 1) + self.logdet(rho)
                          + self.logdet(lam))

    def full(self, beta, rho, lam, s2):
        yf, Xf = self._parts(rho, lam)
        e = yf - Xf @ beta
        return (-self.n / 2 * np.log(2 * np.pi * s2) - e @ e / (2 * s2) + self.logdet(rho)
                + self.logdet(lam))

    def maximise(self, has_rho, has_lam):
        if has_rho and has_lam:
            grid = np.linspace(-0.55, 0.85, 8)
            start = np.array(max(((r, la) for r in grid for la in grid),
                                 key=lambda p: self.profile(*p)[2]))
            for step in (0.1, 0.01):  # Nelder–Mead, restarted once from its optimum
                best = optimize.minimize(
                    lambda p: -self.profile(p[0], p[1])[2], start, method="Nelder-Mead",
                    options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 4000,
                             "initial_simplex": start + np.array([[0, 0], [step, 0],
                                                                  [0, step]])})
                start = best.x
            rho, lam = best.x
        else:
            best = optimize.minimize_scalar(
                (lambda a: -self.profile(a, 0.0)[2]) if has_rho
                else (lambda a: -self.profile(0.0, a)[2]),
                bounds=(-0.95, 0.99), method="bounded", options={"xatol": 1e-11})
            rho, lam = (best.x, 0.0) if has_rho else (0.0, best.x)
        beta, s2, logl = self.profile(rho, lam)
        return beta, float(rho), float(lam), float(s2), float(logl)


def _design(Y, X, Wd, model):
    """X with its lags W X for the Durbin forms (lags taken on the raw data)."""
    if model in ("durbin", "sdem"):
        return np.concatenate([X, np.einsum("ij,tjk->tik", Wd, X)], axis=2)
    return X


def _numeric_hessian(f, x, rel=1e-4):
    x = np.asarray(x, float)
    h = rel * np.maximum(np.abs(x), 1e-2)
    k = len(x)
    H = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            def at(si, sj, i=i, j=j):
                z = x.copy()
                z[i] += si * h[i]
                z[j] += sj * h[j]
                return f(z)
            H[i, j] = H[j, i] = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h[i]
                                                                                 * h[j])
    return H


# ------------------------------------------------------------------------ 1. the estimates


@pytest.mark.parametrize("correction", CORRECTIONS)
@pytest.mark.parametrize("effects", EFFECTS)
@pytest.mark.parametrize("model", MODELS)
def test_estimates_match_dense_reference(sac_panel, model, effects, correction):
    panel, w, Wd, Y, X = sac_panel
    result = R.fit_panel(panel, "y ~ x1 + x2", w, model=model, effects=effects,
                         correction=correction, impacts=None)
    Z = _design(Y, X, Wd, model)
    ref = DenseLikelihood(Y, Z, Wd, effects, correction)
    has_rho, has_lam = model in ("lag", "durbin", "sac"), model in ("error", "sdem", "sac")
    beta, rho, lam, s2, logl = ref.maximise(has_rho, has_lam)
    tol = 1e-5 if model == "sac" else 1e-6
    k = Z.shape[2]
    est = result.coefficients["estimate"].to_numpy()
    np.testing.assert_allclose(est[:k], beta, atol=tol)
    if has_rho:
        assert result.rho == pytest.approx(rho, abs=tol)
    if has_lam:
        assert result.lam == pytest.approx(lam, abs=tol)
    assert result.sig2 == pytest.approx(s2, rel=tol)
    assert result.logl == pytest.approx(logl, abs=1e-6)
    # the library's optimum is no worse than the reference's (it is the same maximum)
    assert result.logl >= logl - 1e-8
    assert result.conventions["effects"] == effects


# --------------------------------------------------------------------- 2. the closed forms


@pytest.mark.parametrize("model", MODELS)
def test_unit_effects_lee_yu_is_a_rescaling(sac_panel, model):
    """Unit effects: F_T F'_T = J_T, so the transformed SSE equals the demeaned one and the
    Lee–Yu log-likelihood is (T − 1)/T times the direct one plus a constant,
    logL_LY(θ) = (T − 1)/T · logL_none(θ) − N(T − 1)/2 · ln(T/(T − 1)) at the profile σ²:
    ρ, λ and β coincide; σ²_LY = σ²_none · T/(T − 1) exactly."""
    panel, w, _, Y, _ = sac_panel
    T, N = Y.shape
    fits = {c: R.fit_panel(panel, "y ~ x1 + x2", w, model=model, effects="unit",
                           correction=c, impacts=None) for c in CORRECTIONS}
    ly, none = fits["lee-yu"], fits["none"]
    tol = 1e-5 if model == "sac" else 1e-7
    np.testing.assert_allclose(ly.coefficients["estimate"], none.coefficients["estimate"],
                               atol=tol)
    assert ly.sig2 == pytest.approx(none.sig2 * T / (T - 1), rel=10 * tol)
    assert ly.logl == pytest.approx((T - 1) / T * none.logl
                                    - N * (T - 1) / 2 * np.log(T / (T - 1)), abs=1e-6)


@pytest.mark.parametrize("effects", ["time", "twoway"])
def test_time_effects_closed_form(sac_panel, effects):
    """With time effects (row-standardised W, W1 = 1): eig(F'_N W F_N) = eig(W) without the
    unit root, so ln|I − ρW*| = ln|I − ρW| − ln(1 − ρ), and the transformed SSE is that of
    the (doubly) demeaned data. Hence, with t = T − 1 (two-way) or T (time),
    logL = −t(N − 1)/2 (ln 2πσ² + 1) + t[ln|I − ρW| − ln(1 − ρ)], σ² = SSE/(t(N − 1))."""
    panel, w, Wd, Y, X = sac_panel
    T, N = Y.shape
    FN = f_matrix(N)
    eig_w = np.sort(np.linalg.eigvals(Wd).real)
    eig_star = np.sort(np.linalg.eigvals(FN.T @ Wd @ FN).real)
    np.testing.assert_allclose(eig_star, np.delete(eig_w, np.argmin(np.abs(eig_w - 1))),
                               atol=1e-10)
    t = T - 1 if effects == "twoway" else T
    ref = DenseLikelihood(Y, X, Wd, effects, "lee-yu")
    JT = np.eye(T) - 1 / T if effects == "twoway" else np.eye(T)
    Q = np.kron(JT, np.eye(N) - 1 / N)
    y, Xs = Q @ Y.ravel(), Q @ X.reshape(T * N, -1)
    wy = Q @ np.kron(np.eye(T), Wd) @ Y.ravel()
    for rho in (-0.3, 0.1, 0.45, 0.8):
        e = y - rho * wy
        e = e - Xs @ np.linalg.lstsq(Xs, e, rcond=None)[0]
        s2 = e @ e / (t * (N - 1))
        closed = (-t * (N - 1) / 2 * (np.log(2 * np.pi * s2) + 1)
                  + t * (np.linalg.slogdet(np.eye(N) - rho * Wd)[1] - np.log(1 - rho)))
        assert ref.profile(rho, 0.0)[2] == pytest.approx(closed, abs=1e-8)
    result = R.fit_panel(panel, "y ~ x1 + x2", w, model="lag", effects=effects,
                         correction="lee-yu", impacts=None)
    assert result.logl == pytest.approx(ref.profile(result.rho, 0.0)[2], abs=1e-8)
    assert result.conventions["likelihood"].startswith("Lee–Yu")


# ------------------------------------------------------------------ 3. the standard errors


def _expected_information(ref, Z, beta, a, s2, lag):
    """Lee & Yu (2010) / Elhorst (2014) information of (β, a, σ²), written densely:
    G̃ = W̃(I − aW̃)⁻¹ on the (transformed) stacked data; for the direct approach the
    regressors and G̃X̃β are demeaned by Q."""
    M = ref.M
    G = np.linalg.solve(ref.eye - a * ref.W, ref.W)
    if lag:
        Xs = M @ ref.X
        gzb = M @ G @ Xs @ beta
    else:
        Xs = M @ (ref.eye - a * ref.W) @ ref.X
        gzb = np.zeros(ref.n)
    # traces per unit of the log-determinant multiplier: for "none", M = Q and the stacked
    # G = I_T ⊗ G_N, whose traces are T times the per-period ones (Elhorst's formula)
    k = len(beta)
    info = np.zeros((k + 2, k + 2))
    info[:k, :k] = Xs.T @ Xs / s2
    info[:k, k] = info[k, :k] = Xs.T @ gzb / s2
    info[k, k] = np.trace(G @ G) + np.sum(G * G) + gzb @ gzb / s2
    info[k, k + 1] = info[k + 1, k] = np.trace(G) / s2
    info[k + 1, k + 1] = ref.n / (2 * s2**2)
    return info


@pytest.fixture(scope="module")
def specified_panels(provinces):
    """T = 10 years of a SAR (ρ = 0.4) and of a SEM (λ = 0.4) DGP: the information matrix
    equality needs the model to be the DGP."""
    w, Wd = provinces
    out = {}
    for model, (rho, lam) in {"lag": (0.4, 0.0), "error": (0.0, 0.4)}.items():
        Y, X, _, _ = _simulate(Wd, 10, np.random.default_rng(5), rho=rho, lam=lam,
                               unit_sd=2.0)
        out[model] = (_tidy(Y, X, w.id_order, range(2001, 2011)), Y, X)
    return out


@pytest.mark.parametrize("correction", CORRECTIONS)
@pytest.mark.parametrize("effects", EFFECTS)
@pytest.mark.parametrize("model", ["lag", "error"])
def test_standard_errors(provinces, specified_panels, model, effects, correction):
    """The library's standard errors are the inverse of the *expected* information (Lee & Yu
    2010; Elhorst 2014), which written densely here they match to 1e-6. Against the
    *observed* information — the inverse numerical Hessian of the independent full
    likelihood at the estimates — they cannot agree to 1e-4: the two differ by random terms
    of the Hessian (e.g. (W̃y)'(W̃y)/σ² and ε'G̃ε where the information has their
    expectations). Measured on these panels (N = 31, T = 10, correctly specified):
    β standard errors within 0.01 % – 0.7 %, ρ/λ standard errors within 0.4 % – 7.3 %
    (largest for unit effects; sign varies, no systematic bias). What must be equal is:
    the β–β and σ²–σ² blocks of the Hessian equal those of the information (asserted to
    1e-5, the finite-difference precision)."""
    w, Wd = provinces
    panel, Y, X = specified_panels[model]
    result = R.fit_panel(panel, "y ~ x1 + x2", w, model=model, effects=effects,
                         correction=correction, impacts=None)
    ref = DenseLikelihood(Y, X, Wd, effects, correction)
    se = result.coefficients["se"].to_numpy()
    beta = result.coefficients["estimate"].to_numpy()[:2]
    a = result.rho if model == "lag" else result.lam
    lag = model == "lag"
    info = _expected_information(ref, X, beta, a, result.sig2, lag)
    np.testing.assert_allclose(se, np.sqrt(np.diag(np.linalg.inv(info)))[:-1], rtol=1e-6)

    def full(p):
        return ref.full(p[:2], p[2] if lag else 0.0, 0.0 if lag else p[2], p[3])

    hessian = -_numeric_hessian(full, np.r_[beta, a, result.sig2])
    np.testing.assert_allclose(hessian[:2, :2], info[:2, :2], rtol=1e-5)
    assert hessian[3, 3] == pytest.approx(info[3, 3], rel=1e-5)
    observed = np.sqrt(np.diag(np.linalg.inv(hessian)))[:-1]
    np.testing.assert_allclose(se[:2], observed[:2], rtol=0.01)
    assert se[2] == pytest.approx(observed[2], rel=0.1)


# -------------------------------------------------------------- 4. the recovered effects


@pytest.mark.parametrize(("model", "effects"), [
    ("lag", "unit"), ("lag", "time"), ("lag", "twoway"), ("durbin", "twoway"),
    ("error", "twoway"), ("sac", "unit")])
def test_recovered_effects_are_elhorst_means(sac_panel, model, effects):
    """Elhorst (2014) eqs 3.12–3.14: with r_it = y_it − ρ Σ_j w_ij y_jt − z_it β,
    μ_i = mean_t r_it (unit), α_t = mean_i r_it (time); with both, the intercept is the mean
    of r and μ_i, α_t are the unit and period means of r minus it."""
    panel, w, Wd, Y, X = sac_panel
    result = R.fit_panel(panel, "y ~ x1 + x2", w, model=model, effects=effects,
                         correction="lee-yu", impacts=None)
    Z = _design(Y, X, Wd, model)
    k = Z.shape[2]
    beta = result.coefficients["estimate"].to_numpy()[:k]
    rho = result.rho if result.rho is not None else 0.0
    r = Y - rho * Y @ Wd.T - Z @ beta
    if effects == "unit":
        np.testing.assert_allclose(result.unit_effects.to_numpy(), r.mean(axis=0), atol=1e-10)
        assert result.time_effects is None
    elif effects == "time":
        np.testing.assert_allclose(result.time_effects.to_numpy(), r.mean(axis=1), atol=1e-10)
        assert result.unit_effects is None
    else:
        c = r.mean()
        assert result.conventions["intercept"] == pytest.approx(c, abs=1e-10)
        np.testing.assert_allclose(result.unit_effects.to_numpy(), r.mean(axis=0) - c,
                                   atol=1e-10)
        np.testing.assert_allclose(result.time_effects.to_numpy(), r.mean(axis=1) - c,
                                   atol=1e-10)
    if result.unit_effects is not None:
        assert list(result.unit_effects.index) == list(w.id_order)


def test_recovered_effects_track_the_truth(provinces):
    w, Wd = provinces
    rng = np.random.default_rng(7)
    T = 10
    Y, X, mu, alpha = _simulate(Wd, T, rng, rho=0.4, unit_sd=4.0, year_sd=2.0)
    panel = _tidy(Y, X, w.id_order, range(2001, 2001 + T))
    result = R.fit_panel(panel, "y ~ x1 + x2", w, model="lag", effects="twoway",
                         impacts=None)
    assert np.corrcoef(result.unit_effects.to_numpy(), mu)[0, 1] > 0.95
    assert np.corrcoef(result.time_effects.to_numpy(), alpha)[0, 1] > 0.95
    # the intercept + effects reproduce μ_i + α_t up to the split of the constant
    fitted = result.conventions["intercept"] + result.unit_effects.to_numpy()[None, :] \
        + result.time_effects.to_numpy()[:, None]
    truth = mu[None, :] + alpha[:, None]
    assert np.corrcoef(fitted.ravel(), truth.ravel())[0, 1] > 0.97


# ------------------------------------------------------------------------ 5. Monte Carlo


def test_omitting_year_shocks_biases_rho(provinces):
    """Strong year shocks α_t 1 pass through (I − ρW)⁻¹ as α_t/(1 − ρ) 1 (row-standardised
    W), which W y reproduces exactly: with unit effects only, ρ̂ is pushed up to absorb them
    (the issue saw 0.71 vs 0.47); two-way effects remove them."""
    w, Wd = provinces
    tw = _prepare_weights(w, "row")
    rng = np.random.default_rng(11)
    unit, twoway = [], []
    for _ in range(5):
        Y, X, _, _ = _simulate(Wd, 10, rng, rho=0.4, year_sd=3.0)
        unit.append(fit_fixed_effects(Y, X, tw, model="lag", effects="unit",
                                      correction="lee-yu").rho)
        twoway.append(fit_fixed_effects(Y, X, tw, model="lag", effects="twoway",
                                        correction="lee-yu").rho)
    assert np.mean(unit) > 0.6
    assert abs(np.mean(twoway) - 0.4) < 0.06


def _monte_carlo(Wd, tw, draws, seed, year_sd):
    rng = np.random.default_rng(seed)
    out = {(e, c): [] for e in ("unit", "twoway") for c in CORRECTIONS}
    for _ in range(draws):
        Y, X, _, _ = _simulate(Wd, 10, rng, rho=0.4, year_sd=year_sd)
        for (effects, correction), store in out.items():
            fit = fit_fixed_effects(Y, X, tw, model="lag", effects=effects,
                                    correction=correction)
            store.append((fit.rho, fit.sigma2))
    return {key: np.asarray(v) for key, v in out.items()}


@pytest.mark.slow
def test_monte_carlo_lee_yu_removes_sigma2_bias(provinces):
    """N = 31, T = 10, 200 draws, SAR DGP with ρ = 0.4, β = (1, −0.5), σ² = 1 and unit
    effects, (a) with year shocks α_t ~ N(0, 1) (seed 2024) and (b) without (seed 2025).
    Mean biases, Monte Carlo standard errors in brackets (measured; the run takes ~5 s):

    =====================  ================  ================  ================  ================
    DGP / fitted effects   ρ none            ρ Lee–Yu          σ² none           σ² Lee–Yu
    =====================  ================  ================  ================  ================
    (a) two-way / twoway   −0.0516 (0.0038)  −0.0051 (0.0038)  −0.1343 (0.0053)  −0.0131 (0.0060)
    (b) unit / unit        −0.0056 (0.0037)  −0.0056 (0.0037)  −0.1093 (0.0055)  −0.0103 (0.0061)
    (a) two-way / unit     +0.3413 (0.0046)  +0.3413 (0.0046)  +0.0628 (0.0068)  +0.1809 (0.0076)
    =====================  ================  ================  ================  ================

    The uncorrected σ² is short by about the share of observations the effects use up
    ((N − 1)(T − 1)/NT − 1 = −0.129, (T − 1)/T − 1 = −0.1); with time effects the direct
    approach also biases ρ (−0.05 at N = 31), which Lee–Yu removes. The remaining Lee–Yu σ²
    bias is the O((k + 1)/n) small-sample bias of any ML variance (≈ −3/270 = −0.011), within
    3 MC standard errors of zero. The last row (misspecified: year shocks left in) shows the
    upward ρ bias of leaving out time effects."""
    w, Wd = provinces
    tw = _prepare_weights(w, "row")
    sims = _monte_carlo(Wd, tw, 200, 2024, year_sd=1.0)
    unit_only = _monte_carlo(Wd, tw, 200, 2025, year_sd=0.0)
    cases = {"twoway": sims, "unit": unit_only}
    for effects, sim in cases.items():
        none, ly = sim[(effects, "none")], sim[(effects, "lee-yu")]
        bias_none, bias_ly = none[:, 1].mean() - 1, ly[:, 1].mean() - 1
        mcse = ly[:, 1].std(ddof=1) / np.sqrt(len(ly))
        assert abs(bias_ly) < abs(bias_none)
        assert abs(bias_ly) < 3 * mcse
        # the uncorrected σ² is off by about the share of observations the effects use up
        n_eff = 31 * 9 if effects == "unit" else 30 * 9
        assert bias_none == pytest.approx(n_eff / 310 - 1, abs=0.03)
        # ρ is nearly unbiased either way (within 3 MC standard errors of 0 for Lee–Yu)
        assert abs(ly[:, 0].mean() - 0.4) < 3 * ly[:, 0].std(ddof=1) / np.sqrt(len(ly))
    # with time effects, the direct approach also biases ρ; Lee–Yu removes most of it
    rho_none, rho_ly = (sims[("twoway", c)][:, 0].mean() - 0.4 for c in CORRECTIONS[::-1])
    assert rho_none < -0.03 and abs(rho_ly) < abs(rho_none) / 3
    # left-out year shocks bias ρ upwards whatever the correction
    assert sims[("unit", "lee-yu")][:, 0].mean() - 0.4 > 0.2


# ------------------------------------------------------ B. Baltagi's cigarette demand panel


@pytest.fixture(scope="module")
def cigar():
    """plm's Cigar (46 states, 1963–1992) and the 46-state contiguity matrix, see
    tests/data/README.md."""
    data = pd.read_csv(DATA / "cigar.csv", index_col=0)
    matrix = np.loadtxt(DATA / "usa46_contiguity.csv", delimiter=",")
    states = sorted(data["state"].unique())
    ids = [str(s) for s in states]
    w = PysalW({ids[i]: [ids[j] for j in np.flatnonzero(matrix[i])] for i in range(len(ids))},
               id_order=ids)
    data["logc"] = np.log(data["sales"])
    data["logp"] = np.log(data["price"] / data["cpi"])
    data["logy"] = np.log(data["ndi"] / data["cpi"])
    tidy = data.melt(id_vars=["state", "year"], value_vars=["logc", "logp", "logy"])
    tidy = tidy.rename(columns={"state": "adcode"})
    tidy["adcode"] = tidy["adcode"].astype(str)
    return tidy, w


def test_cigar_sar_unit_effects_reproduces_sdpdmod(cigar):
    """SDPDmod's vignette "Spatial dynamic panel data modeling" (Simonovska; package version
    0.0.5, vignette as rendered in its repository), model ``mod1``: SAR with individual
    fixed effects, no Lee–Yu transformation, log c on log real price and log real income,
    W = row-normalised usa46. Published: ρ = 0.297576 (se 0.028444), logp = −0.5320053
    (0.0254445), logy = −0.0007088 (0.0152139), sige = 0.006667779.

    What matches and to what precision:

    * ρ: ours is 0.298155, 5.8e-4 above. SDPDmod reads ln|I − ρW| off a grid of step 0.001
      and stops R's ``optimize`` at its default tolerance (≈1.2e-4), so its ρ is good to
      about 1e-3; our ρ has the higher log-likelihood (asserted).
    * β and σ² at the published ρ: our closed-form β(ρ), σ²(ρ) evaluated at ρ = 0.297576
      reproduce the printed digits (ours −0.53200538, −0.00070881, 0.0066677795 against
      −0.5320053, −0.0007088, 0.006667779): asserted to 4e-7 / 2e-9 absolute, what the
      six-decimal rounding of the published ρ allows (dβ/dρ ≈ 0.57, dσ²/dρ ≈ −1.1e-3).
    * standard errors at our own ρ: 0.025442, 0.015213, 0.028434 against 0.0254445,
      0.0152139, 0.028444 — relative differences 1e-4, 6e-5, 3.5e-4, from the different ρ
      (asserted to 1e-3 relative).
    * Lee–Yu gives the same ρ, β and σ² × T/(T − 1) (unit effects; asserted elsewhere).
    """
    tidy, w = cigar
    result = R.fit_panel(tidy, "logc ~ logp + logy", w, model="lag", effects="unit",
                         correction="none", impacts=None)
    published = {"logp": -0.5320053, "logy": -0.0007088, "rho": 0.297576}
    published_se = {"logp": 0.0254445, "logy": 0.0152139, "rho": 0.028444}
    assert result.rho == pytest.approx(published["rho"], abs=1e-3)
    est = result.coefficients["estimate"]
    for name in ("logp", "logy"):
        assert est[name] == pytest.approx(published[name], abs=1e-3)
    for name, value in published_se.items():
        assert result.coefficients.loc[name, "se"] == pytest.approx(value, rel=1e-3)
    assert result.sig2 == pytest.approx(0.006667779, rel=1e-3)
    # at the published ρ, the concentrated β and σ² (written here: Elhorst's direct ML on
    # unit-demeaned data) reproduce the printed digits
    Wd = transform_weights(w, "row").sparse.toarray()
    wide = tidy.pivot_table(index=["year", "adcode"], columns="variable", values="value")
    wide = wide.reindex(pd.MultiIndex.from_product([sorted(tidy["year"].unique()),
                                                    list(w.id_order)]))
    T, N = 30, 46
    Y = wide["logc"].to_numpy().reshape(T, N)
    X = wide[["logp", "logy"]].to_numpy().reshape(T, N, 2)
    rho = published["rho"]
    yd = (Y - rho * Y @ Wd.T) - (Y - rho * Y @ Wd.T).mean(axis=0)
    Xd = (X - X.mean(axis=0)).reshape(-1, 2)
    beta = np.linalg.lstsq(Xd, yd.ravel(), rcond=None)[0]
    e = yd.ravel() - Xd @ beta
    s2 = e @ e / (N * T)
    assert beta[0] == pytest.approx(published["logp"], abs=4e-7)
    assert beta[1] == pytest.approx(published["logy"], abs=4e-7)
    assert s2 == pytest.approx(0.006667779, abs=2e-9)
    logl = (-N * T / 2 * (np.log(2 * np.pi * s2) + 1)
            + T * np.linalg.slogdet(np.eye(N) - rho * Wd)[1])
    assert result.logl > logl
