"""The spatial panel test sequence: LM tests on the demeaned pooled model, LR tests of the
fixed effects, Wald and LR tests of the SDM against the SAR and the SEM, and the Hausman test
of fixed against random effects — the table Elhorst (2014, ch. 3) and Stata's ``xsmle`` users
print before choosing a model.

**LM tests** (Anselin, Bera, Florax & Yoon 1996 for the cross-section; Anselin, Le Gallo &
Jayet 2008 and Elhorst 2010, 2014 §3.3 for panels; R's ``splm::slmtest``, Elhorst's
``LMsarsem_panel.m``). OLS of y on X after the demeaning that ``effects`` implies (no constant;
with ``effects="none"`` the pooled data with a constant), residuals e, σ² = e'e/NT, and with
W_T = I_T ⊗ W applied to the demeaned series,

    T_W = tr(W'W + WW),   J = [(W_T Xβ)' M (W_T Xβ)] / σ² + T·T_W,   M = I − X(X'X)⁻¹X',
    LM_lag   = (e'W_T y / σ²)² / J,
    LM_error = (e'W_T e / σ²)² / (T·T_W),
    robust LM_lag   = (e'W_T y/σ² − e'W_T e/σ²)² / (J − T·T_W),
    robust LM_error = (e'W_T e/σ² − (T·T_W/J)·e'W_T y/σ²)² / (T·T_W·(1 − T·T_W/J)),

each χ²(1). With T = 1 they are the cross-section tests of spreg / GeoDa. (Elhorst's
``LMsarsem_panel.m`` sums per-period projections M_t in J; spreg 1.9's ``panel_LM*``
functions take σ² = e'e/(NT − k), and its ``panel_LMlag`` adds T_W² σ² where T·T_W σ²
belongs. The formula above is splm's.)

**LR tests of the fixed effects** (Elhorst 2014, §3.3): the SDM with unit and time effects
against the SDM with time effects only (unit effects jointly zero, df = N − 1) and against the
SDM with unit effects only (time effects jointly zero, df = T − 1). These compare Elhorst's
direct likelihoods (``correction="none"``): with the effects concentrated out by demeaning, they
are profile likelihoods of nested models over the same NT observations (df = N − 1 and T − 1,
the numbers of restrictions; Elhorst's demo code prints N and T). The Lee–Yu likelihoods
of different effects transform the data to different numbers of observations (N(T − 1),
(N − 1)T, (N − 1)(T − 1)) and are not nested, so these two tests ignore ``correction``.

**SDM against SAR and SEM** (LeSage & Pace 2009, ch. 6; Elhorst 2010, 2014): LR = 2(logL_SDM −
logL_SAR) and 2(logL_SDM − logL_SEM) with the chosen effects and correction (the SAR is the SDM
with θ = 0, the SEM the SDM with θ = −ρβ, on the same transformed data), and the Wald tests
of H0: θ = 0, W = θ'V_θ⁻¹θ, and of H0: θ + ρβ = 0, W = g'(GVG')⁻¹g with g = θ + ρβ and the
delta-method gradient G = ∂g/∂(β, θ, ρ) = [ρI, I, β]; df = the number of lags W x.

**Hausman** (Hausman 1978; Elhorst 2014, §3.4; ``splm::sphtest``; ``xsmle, hausman``): the
SDM with unit fixed effects against the random-effects SDM (spreg's ``ML_LagRE`` with W X
among the regressors), on the coefficients both have — β, θ and ρ: H = d'(V_FE − V_RE)⁻¹d,
d = b_FE − b_RE, χ²(2k + 1). It does not depend on ``effects``; the FE model follows
``correction``. With unit effects the Lee–Yu estimates of β and ρ are the direct-ML ones and
only σ² changes, to e'e/(N(T − 1)); ``correction="none"`` gives the direct ML of xsmle's
default ``type(ind)``, splm's ``within`` model and spreg's ``ML_LagFE``, whose σ² = e'e/NT
understates V_FE by the factor (T − 1)/T, so that V_FE − V_RE is often indefinite (and H
negative) in short panels even when the random effects are right. A negative H is reported as
computed, with p = 1 and a caveat in the decision (splm takes |H|).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from libpysal.weights import W
from scipy import sparse, stats

from spatialecon.autocorrelation import describe_weights
from spatialecon.regression._common import (
    CONSTANT,
    RegressionError,
    _check_design,
    _check_islands,
    _prepare_weights,
    _spec,
)
from spatialecon.regression.diagnostics import _anselin_decision
from spatialecon.regression.panel import _check_within_variation, fit_panel, panel_arrays
from spatialecon.regression.panel_ml import Correction, _demean
from spatialecon.regression.results import RegressionResult, Statistic
from spatialecon.validation import check_choice, check_probability

__all__ = ["PanelTests", "spatial_panel_tests"]

TEST_ORDER: tuple[str, ...] = (
    "lm_lag", "robust_lm_lag", "lm_error", "robust_lm_error",
    "lr_unit_effects", "lr_time_effects",
    "lr_sdm_sar", "lr_sdm_sem", "wald_sdm_sar", "wald_sdm_sem",
    "hausman",
)

_NAMES = {
    "lm_lag": "LM lag",
    "robust_lm_lag": "Robust LM lag",
    "lm_error": "LM error",
    "robust_lm_error": "Robust LM error",
    "lr_unit_effects": "LR unit fixed effects (SDM)",
    "lr_time_effects": "LR time fixed effects (SDM)",
    "lr_sdm_sar": "LR SDM vs SAR",
    "lr_sdm_sem": "LR SDM vs SEM",
    "wald_sdm_sar": "Wald θ = 0",
    "wald_sdm_sem": "Wald θ + ρβ = 0",
    "hausman": "Hausman FE vs RE (SDM)",
}

_EFFECTS_ALIASES = {"fixed": "unit", "individual": "unit", "two-way": "twoway",
                    "pooled": "none", "pooling": "none"}

_LM_CONVENTION = (
    "OLS of the data demeaned for the effects (no constant; pooled with a constant for "
    "effects='none'); W applied per period to the demeaned series; σ² = e'e/NT; "
    "T_W = tr(W'W + WW); Anselin et al. (1996), Elhorst (2014, §3.3), R splm::slmtest, "
    "Elhorst's LMsarsem_panel")
_LR_EFFECTS_CONVENTION = (
    "SDM with unit and time effects against the SDM with time effects only (unit effects, "
    "df = N − 1) and with unit effects only (time effects, df = T − 1), all by Elhorst's "
    "direct ML (correction='none'): profile log-likelihoods of nested models over the same NT "
    "observations (Elhorst's demo code uses df = N and T). The Lee–Yu likelihoods of "
    "different effects have different numbers of "
    "observations (N(T−1), (N−1)T, (N−1)(T−1)) and are not nested, so these tests ignore "
    "correction")
_HAUSMAN_CONVENTION = (
    "SDM with unit fixed effects with the chosen correction (Lee–Yu: the direct-ML β and ρ "
    "with σ² = e'e/(N(T − 1)); 'none': Elhorst's direct ML, xsmle's default type(ind), "
    "splm's within model, spreg's ML_LagFE, whose σ² = e'e/NT understates V_FE by "
    "(T − 1)/T and often leaves V_FE − V_RE indefinite in short panels) against the "
    "random-effects SDM (spreg's ML_LagRE with W X among the regressors); d = b_FE − b_RE "
    "over β, θ and ρ (not the intercept or φ); H = d'(V_FE − V_RE)⁻¹d, χ²(2k + 1), reported "
    "as computed even when negative; Hausman (1978), Elhorst (2014, §3.4), splm::sphtest")


# ---------------------------------------------------------------------------- LM tests


def _lm_statistics(y: np.ndarray, X: np.ndarray, Wm: sparse.spmatrix | np.ndarray,
                   T: int) -> dict[str, float]:
    """The four LM statistics of OLS of y (NT,) on X (NT, k), both stacked period-major with
    the N units in W's order; W (N × N) is applied period by period (I_T ⊗ W). X must hold
    a constant when the data are not demeaned."""
    y = np.asarray(y, dtype=float).ravel()
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    N = Wm.shape[0]
    if len(y) != N * T:
        raise ValueError(f"{len(y)} observations are not {T} periods of {N} units")
    Wm = sparse.csr_matrix(Wm, dtype=float)

    def lag(v: np.ndarray) -> np.ndarray:
        return np.asarray(Wm @ v.reshape(T, N).T).T.ravel()

    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    fitted = X @ beta
    e = y - fitted
    nt = len(y)
    sigma2 = float(e @ e / nt)
    t_w = float(Wm.multiply(Wm).sum() + Wm.multiply(Wm.T).sum())  # tr(W'W) + tr(WW)
    twt = T * t_w
    wxb = lag(fitted)
    m_wxb = wxb - X @ np.linalg.lstsq(X, wxb, rcond=None)[0]
    J = float(wxb @ m_wxb) / sigma2 + twt
    d_lag = float(e @ lag(y)) / sigma2
    d_err = float(e @ lag(e)) / sigma2
    return {
        "lm_lag": d_lag**2 / J,
        "robust_lm_lag": (d_lag - d_err) ** 2 / (J - twt),
        "lm_error": d_err**2 / twt,
        "robust_lm_error": (d_err - twt / J * d_lag) ** 2 / (twt * (1 - twt / J)),
        "sigma2": sigma2,
        "T_W": t_w,
        "J": J,
    }


# ---------------------------------------------------------------------------- result


def _level(alpha: float) -> str:
    return f"{alpha * 100:g}%"


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


@dataclass(eq=False)
class PanelTests:
    """The spatial panel test sequence (see :mod:`spatialecon.regression.panel_tests`).

    Attributes
    ----------
    tests
        Indexed by test key (``lm_lag``, ``robust_lm_lag``, ``lm_error``,
        ``robust_lm_error``, ``lr_unit_effects``, ``lr_time_effects``, ``lr_sdm_sar``,
        ``lr_sdm_sem``, ``wald_sdm_sar``, ``wald_sdm_sem``, ``hausman``) with ``statistic``,
        ``df``, ``p`` and ``decision`` (one sentence at level ``alpha``). A test that could not
        be computed has NaN and says why.
    recommendation
        One sentence: the model the sequence points to (Elhorst 2010, 2014; LeSage & Pace
        2009) and the effects the LR and Hausman tests support.
    models
        The fitted models the LR, Wald and Hausman tests use, by key (``sdm``, ``sar``,
        ``sem``, ``sdm_twoway``, ``sdm_unit``, ``sdm_time`` — these three by direct ML —,
        ``sdm_fe`` (the Hausman FE model) and ``sdm_re``).
    conventions
        Effects, correction, weights, alpha and how each test was computed.
    """

    tests: pd.DataFrame
    recommendation: str
    alpha: float
    conventions: dict[str, Any]
    models: dict[str, RegressionResult] = field(default_factory=dict, repr=False)

    def __getitem__(self, key: str) -> Statistic:
        row = self.tests.loc[key]
        df = None if pd.isna(row["df"]) else int(row["df"])
        return Statistic(_NAMES[key], float(row["statistic"]), float(row["p"]), df)

    def __iter__(self) -> Any:
        return iter(self.tests.index)

    def __len__(self) -> int:
        return len(self.tests)

    def table(self, stars: bool = True) -> pd.DataFrame:
        """The printable table: test name, statistic (with significance stars ``*`` 10%,
        ``**`` 5%, ``***`` 1% unless ``stars=False``), df, p and the decision, as text."""
        rows = []
        for key, row in self.tests.iterrows():
            stat, p = float(row["statistic"]), float(row["p"])
            ok = np.isfinite(stat)
            rows.append({
                "test": _NAMES[key],
                "statistic": (f"{stat:.3f}{_stars(p) if stars else ''}" if ok else "—"),
                "df": "" if pd.isna(row["df"]) else str(int(row["df"])),
                "p": ("—" if not np.isfinite(p) else "<0.001" if p < 0.001 else f"{p:.3f}"),
                "decision": row["decision"],
            })
        frame = pd.DataFrame(rows, index=self.tests.index)
        frame.attrs = {**self.conventions, "recommendation": self.recommendation}
        return frame

    def __str__(self) -> str:
        body = self.table().to_string(index=False)
        effects = {"twoway": "two-way", "none": "no"}.get(self.conventions["effects"],
                                                         self.conventions["effects"])
        return (f"Spatial panel tests ({effects} effects, correction="
                f"{self.conventions['correction']}, α = {self.alpha:g}):\n{body}\n"
                f"{self.recommendation}")

    def __repr__(self) -> str:
        return str(self)


# ---------------------------------------------------------------------------- the sequence


def spatial_panel_tests(
    panel: pd.DataFrame,
    y: str,
    X: str | Sequence[str] | W | None = None,
    w: W | None = None,
    *,
    effects: str = "twoway",
    correction: Correction = "lee-yu",
    years: Sequence[int] | None = None,
    transform: str | None = "row",
    alpha: float = 0.05,
) -> PanelTests:
    """The spatial panel test sequence of Elhorst (2014) and xsmle users.

    Parameters
    ----------
    panel
        A balanced tidy panel (``adcode, year, variable, value``), as for
        :func:`spatialecon.regression.fit_panel`.
    y, X
        Dependent variable and regressors, or a formula ``"y ~ x1 + x2"``.
    w
        Weights keyed by ``adcode``.
    effects
        ``"twoway"`` (default), ``"unit"`` (``"fixed"``), ``"time"`` or ``"none"`` (pooled):
        the demeaning of the LM tests and the effects of the SDM, SAR and SEM of the LR and
        Wald tests (``"none"``: LM tests only, as no pooled SDM is estimated). The LR tests of
        the effects always compare two-way with one-way SDMs, and the Hausman test unit fixed
        with random effects.
    correction
        ``"lee-yu"`` (default) or ``"none"``, for the SDM, SAR and SEM of the LR and Wald tests.
        The LR tests of the effects use ``"none"``; the Hausman test's unit-FE SDM follows
        ``correction`` (module docstring).
    years, transform
        As in :func:`fit_panel` (``transform="row"`` by default).
    alpha
        Level of the decisions.

    Returns
    -------
    PanelTests
        ``tests`` (statistic, df, p, decision), ``table()``, ``recommendation``, ``models``
        and ``conventions``.
    """
    if isinstance(X, W) and w is None:
        X, w = None, X
    if w is None:
        raise RegressionError("weights w are required")
    effects = _EFFECTS_ALIASES.get(effects, effects)
    if effects == "random":
        raise RegressionError("effects='random' is not a demeaning for the LM tests: choose "
                              "'twoway', 'unit', 'time' or 'none' (the Hausman test compares "
                              "unit fixed with random effects in any case)")
    check_choice(effects, "effects", ("twoway", "unit", "time", "none"))
    check_choice(correction, "correction", ("lee-yu", "none"))
    alpha = check_probability(alpha, "alpha")
    y_name, x_names = _spec(y, X)
    tw = _prepare_weights(w, transform)
    _check_islands(tw, None)
    wide, year_list = panel_arrays(panel, [y_name, *x_names], tw, years)
    N, T, k = tw.n, len(year_list), len(x_names)
    cube = wide.to_numpy().reshape(T, N, -1)
    yv, xv = cube[:, :, 0], cube[:, :, 1:]
    if effects == "none":
        design = np.column_stack([np.ones(N * T), xv.reshape(N * T, k)])
        yd = yv.ravel()
        _check_design(design, [CONSTANT, *x_names], yd, y_name, k + 1, "unit-years")
    else:
        _check_within_variation(xv, list(x_names), effects, tw, year_list)
        design = _demean(xv, effects).reshape(N * T, k)
        yd = _demean(yv, effects).ravel()
        _check_design(design, list(x_names), yd, y_name,
                      k + (N if effects != "time" else 0) + (T if effects != "unit" else 0),
                      "unit-years")
    Wm = tw.sparse.tocsr()
    lm = _lm_statistics(yd, design, Wm, T)

    level = _level(alpha)
    rows: dict[str, dict[str, Any]] = {}

    def put(key: str, stat: float, df: int, decision: Callable[[bool], str]) -> None:
        p = float(stats.chi2.sf(stat, df)) if np.isfinite(stat) else math.nan
        verdict = decision(p < alpha) if np.isfinite(p) else "not computed"
        rows[key] = {"statistic": float(stat), "df": df, "p": p, "decision": verdict}

    def missing(key: str, df: int, why: str) -> None:
        rows[key] = {"statistic": math.nan, "df": df, "p": math.nan,
                     "decision": f"not computed: {why}"}

    what = "the demeaned pooled model" if effects != "none" else "the pooled model"
    put("lm_lag", lm["lm_lag"], 1, lambda r: (
        f"reject ρ = 0 at {level}: {what} omits a spatial lag of y" if r else
        f"do not reject ρ = 0 at {level}: no evidence of a spatial lag of y"))
    put("robust_lm_lag", lm["robust_lm_lag"], 1, lambda r: (
        f"reject ρ = 0 at {level} allowing for a spatial error: a spatial lag of y is needed"
        if r else f"do not reject ρ = 0 at {level} once a spatial error is allowed for"))
    put("lm_error", lm["lm_error"], 1, lambda r: (
        f"reject λ = 0 at {level}: the errors of {what} are spatially correlated" if r else
        f"do not reject λ = 0 at {level}: no evidence of spatially correlated errors"))
    put("robust_lm_error", lm["robust_lm_error"], 1, lambda r: (
        f"reject λ = 0 at {level} allowing for a spatial lag: a spatial error is needed"
        if r else f"do not reject λ = 0 at {level} once a spatial lag is allowed for"))

    models: dict[str, RegressionResult] = {}
    notes: dict[str, str] = {}

    def model(key: str, kind: str, fx: str, corr: str) -> RegressionResult | None:
        if key not in models and key not in notes:
            try:
                models[key] = fit_panel(panel, y_name, list(x_names), w, model=kind,
                                        effects=fx, correction=corr, years=years,
                                        transform=transform, impacts=None)
            except (RegressionError, ImportError, np.linalg.LinAlgError) as exc:
                notes[key] = str(exc)
        return models.get(key)

    # LR tests of the fixed effects: direct (uncorrected) likelihoods, nested.
    sdm_twoway = model("sdm_twoway", "durbin", "twoway", "none")
    for key, other, fx, df, label in (
            ("lr_unit_effects", "sdm_time", "time", N - 1, "unit"),
            ("lr_time_effects", "sdm_unit", "unit", T - 1, "time")):
        restricted = model(other, "durbin", fx, "none")
        if sdm_twoway is None or restricted is None:
            missing(key, df, notes.get("sdm_twoway") or notes.get(other, ""))
            continue
        put(key, 2 * (sdm_twoway.logl - restricted.logl), df, lambda r, label=label: (
            f"reject at {level}: the {label} fixed effects are jointly significant (keep them)"
            if r else f"do not reject at {level}: the {label} fixed effects are not jointly "
            "significant"))

    # SDM against SAR and SEM, with the chosen effects and correction.
    kw = len(x_names)
    if effects == "none":
        why = ("no pooled SDM without effects is estimated (fit_panel has fixed or random "
               "effects); choose effects='twoway', 'unit' or 'time' for these tests")
        for key in ("lr_sdm_sar", "lr_sdm_sem", "wald_sdm_sar", "wald_sdm_sem"):
            missing(key, kw, why)
        sdm = None
    else:
        if correction == "none":
            sdm_key = {"twoway": "sdm_twoway", "unit": "sdm_unit", "time": "sdm_time"}[effects]
        else:
            sdm_key = "sdm"
        sdm = model(sdm_key, "durbin", effects, correction)
        if sdm is not None:
            models["sdm"] = sdm
        sar = model("sar", "lag", effects, correction)
        sem = model("sem", "error", effects, correction)
        for key, other, fitted, h0, simpler in (
                ("lr_sdm_sar", "sar", sar, "θ = 0", "SAR"),
                ("lr_sdm_sem", "sem", sem, "θ + ρβ = 0", "SEM")):
            if sdm is None or fitted is None:
                missing(key, kw, notes.get(sdm_key) or notes.get(other, ""))
                continue
            put(key, 2 * (sdm.logl - fitted.logl), kw, lambda r, h0=h0, simpler=simpler: (
                f"reject {h0} at {level}: the SDM does not simplify to the {simpler}" if r else
                f"do not reject {h0} at {level}: the SDM may simplify to the {simpler}"))
        if sdm is None:
            for key in ("wald_sdm_sar", "wald_sdm_sem"):
                missing(key, kw, notes.get(sdm_key, ""))
        else:
            w_sar, w_sem = _wald_tests(sdm, list(x_names))
            put("wald_sdm_sar", w_sar, kw, lambda r: (
                f"reject θ = 0 at {level}: the SDM does not simplify to the SAR" if r else
                f"do not reject θ = 0 at {level}: the SDM may simplify to the SAR"))
            put("wald_sdm_sem", w_sem, kw, lambda r: (
                f"reject θ + ρβ = 0 at {level}: the SDM does not simplify to the SEM" if r
                else f"do not reject θ + ρβ = 0 at {level}: the SDM may simplify to the SEM"))

    # Hausman: unit fixed effects (with the chosen correction) against random effects, SDM.
    fe_key = "sdm_unit" if correction == "none" else (
        "sdm" if effects == "unit" else "sdm_unit_lee_yu")
    fe = model(fe_key, "durbin", "unit", correction)
    re_ = model("sdm_re", "durbin", "random", "none")
    h_df = 2 * kw + 1
    if fe is None or re_ is None:
        missing("hausman", h_df, notes.get(fe_key) or notes.get("sdm_re", ""))
    else:
        models["sdm_fe"] = fe
        stat, definite = _hausman(fe, re_)
        caveat = "" if definite else (" (V_FE − V_RE is not positive definite: the statistic "
                                      "is unreliable)")
        put("hausman", stat, h_df, lambda r: (
            f"reject at {level}: the random-effects estimates differ from the fixed-effects "
            f"ones, so use fixed effects{caveat}" if r else
            f"do not reject at {level}: random effects are consistent and more efficient"
            f"{caveat}"))

    frame = pd.DataFrame.from_dict(rows, orient="index").loc[list(TEST_ORDER)]
    frame = frame[["statistic", "df", "p", "decision"]]
    frame.index.name = "test"
    frame["df"] = frame["df"].astype(int)
    recommendation = _recommend(frame, lm, alpha, effects)
    conventions: dict[str, Any] = {
        "effects": effects, "correction": correction, "alpha": alpha,
        "weights": describe_weights(tw), "transform": tw.transform, "units": N,
        "years": year_list, "lm_tests": _LM_CONVENTION,
        "lr_effects": _LR_EFFECTS_CONVENTION,
        "sdm_tests": (f"SDM, SAR and SEM with effects={effects!r}, correction={correction!r} "
                      "(same likelihood, nested); W x for every regressor; Wald variance: the "
                      "SDM's inverse information; θ + ρβ = 0 by the delta method with the "
                      "analytical gradient [ρI, I, β]"),
        "hausman": _HAUSMAN_CONVENTION,
        "models": {key: m.label for key, m in models.items()},
        "not_computed": notes,
        "sigma2_ols": lm["sigma2"], "T_W": lm["T_W"],
    }
    return PanelTests(tests=frame, recommendation=recommendation, alpha=alpha,
                      conventions=conventions, models=models)


def _wald_tests(sdm: RegressionResult, x_names: list[str]) -> tuple[float, float]:
    """Wald statistics of θ = 0 and of θ + ρβ = 0 in a fitted SDM (W x for every x)."""
    beta_names = list(x_names)
    theta_names = [f"W_{v}" for v in x_names]
    est = sdm.coefficients["estimate"]
    V = sdm.vcov
    theta = est[theta_names].to_numpy()
    v_theta = V.loc[theta_names, theta_names].to_numpy()
    w_sar = float(theta @ np.linalg.solve(v_theta, theta))
    names = [*beta_names, *theta_names, "rho"]
    beta, rho = est[beta_names].to_numpy(), float(est["rho"])
    g = theta + rho * beta
    k = len(beta_names)
    G = np.hstack([rho * np.eye(k), np.eye(k), beta[:, None]])
    vg = G @ V.loc[names, names].to_numpy() @ G.T
    w_sem = float(g @ np.linalg.solve(vg, g))
    return w_sar, w_sem


def _hausman(fe: RegressionResult, re_: RegressionResult) -> tuple[float, bool]:
    """d'(V_FE − V_RE)⁻¹d over the coefficients both models have (β, θ, ρ)."""
    names = [n for n in fe.coefficients.index if n in re_.coefficients.index]
    d = (fe.coefficients.loc[names, "estimate"] - re_.coefficients.loc[names, "estimate"]
         ).to_numpy()
    dv = (fe.vcov.loc[names, names] - re_.vcov.loc[names, names]).to_numpy()
    definite = bool(np.linalg.eigvalsh((dv + dv.T) / 2).min() > 0)
    return float(d @ np.linalg.solve(dv, d)), definite


def _recommend(frame: pd.DataFrame, lm: dict[str, float], alpha: float, effects: str) -> str:
    """One sentence: Elhorst's (2010, 2014) sequence. The LM tests on the non-spatial model
    point to lag, error or neither (Anselin's rule on the robust forms); the SDM is then kept
    unless both the Wald and the LR test fail to reject a restriction and the LM tests point to
    the same simpler model — disagreement keeps the SDM, which nests SAR and SEM (LeSage &
    Pace 2009)."""
    level = _level(alpha)
    lm_stats = {key: Statistic(_NAMES[key], lm[key], float(frame.loc[key, "p"]), 1)
                for key in ("lm_lag", "lm_error")}
    lm_stats["rlm_lag"] = Statistic("Robust LM lag", lm["robust_lm_lag"],
                                    float(frame.loc["robust_lm_lag", "p"]), 1)
    lm_stats["rlm_error"] = Statistic("Robust LM error", lm["robust_lm_error"],
                                      float(frame.loc["robust_lm_error", "p"]), 1)
    lm_choice, _, _ = _anselin_decision(lm_stats, alpha)
    lm_says = {"ols": "no spatial dependence", "lag": "a spatial lag",
               "error": "a spatial error"}[lm_choice]

    def fails_to_reject(*keys: str) -> bool | None:
        ps = [float(frame.loc[k, "p"]) for k in keys]
        if not all(np.isfinite(ps)):
            return None
        return all(p >= alpha for p in ps)

    sar_ok = fails_to_reject("wald_sdm_sar", "lr_sdm_sar")
    sem_ok = fails_to_reject("wald_sdm_sem", "lr_sdm_sem")
    simple = {"ols": "the non-spatial model", "lag": "the SAR", "error": "the SEM"}
    if sar_ok is None or sem_ok is None:
        head = simple[lm_choice]
        why = f"the LM tests point to {lm_says} (the SDM tests were not computed)"
    elif not sar_ok and not sem_ok:
        head, why = "the SDM", f"both θ = 0 and θ + ρβ = 0 are rejected at {level} (Wald or LR)"
    elif sar_ok and not sem_ok:
        head = "the SAR" if lm_choice == "lag" else "the SDM"
        why = ("θ = 0 is not rejected and the LM tests point to a spatial lag"
               if lm_choice == "lag" else
               f"θ = 0 is not rejected but the LM tests point to {lm_says}, not to the SAR, "
               "and the SDM nests both")
    elif sem_ok and not sar_ok:
        head = "the SEM" if lm_choice == "error" else "the SDM"
        why = ("θ + ρβ = 0 is not rejected and the LM tests point to a spatial error"
               if lm_choice == "error" else
               f"θ + ρβ = 0 is not rejected but the LM tests point to {lm_says}, not to the "
               "SEM, and the SDM nests both")
    else:
        head = simple[lm_choice]
        why = (f"the SDM simplifies to both the SAR and the SEM at {level} and the LM tests "
               f"point to {lm_says}")
    lr = {label: float(frame.loc[key, "p"]) for key, label in
          (("lr_unit_effects", "unit"), ("lr_time_effects", "time"))}
    kept = [label for label, p in lr.items() if np.isfinite(p) and p < alpha]
    dropped = [label for label, p in lr.items() if np.isfinite(p) and p >= alpha]
    reasons = [why]
    if kept or dropped:
        fx = (f" with {' and '.join(kept)} fixed effects" if kept else
              " without fixed effects")
        reasons.append(
            "; ".join(filter(None, [
                f"the {' and '.join(kept)} effects are jointly significant (LR)" if kept
                else "",
                f"the {' and '.join(dropped)} effects are not (LR)" if dropped else ""])))
    else:
        fx = ""
    p_h = float(frame.loc["hausman", "p"])
    if np.isfinite(p_h) and "unit" in kept:
        reasons.append("Hausman rejects random unit effects" if p_h < alpha else
                       "Hausman does not reject random unit effects, a more efficient "
                       "alternative")
    tested = {"twoway": "two-way", "unit": "unit", "time": "time",
              "none": "no"}[effects]
    return (f"Recommended: {head}{fx} — {'; '.join(reasons)} (LM, LR and Wald tests with "
            f"{tested} effects, level {level}).")
