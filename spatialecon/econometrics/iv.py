"""Instrumental variables (2SLS) on panels, pooled or with absorbed unit/year effects.

:func:`iv` takes linearmodels' formula syntax, ``"y ~ 1 + w + [x ~ z1 + z2]"``, and a tidy panel
(``adcode, year, variable, value``) or a wide table indexed by ``(adcode, year)``. The 2SLS
estimate and its covariance are linearmodels' ``IV2SLS`` — on the data as given (pooled) or on
the within-transformed data (``effects``); this module owns the data checks, the effects, the
degrees of freedom and the instrument diagnostics.

Conventions
    *Effects.* ``"entity"`` demeans every variable (y, exogenous and endogenous regressors,
    instruments) by unit, ``"twoway"`` by unit and year (alternating projections to 1e-13,
    exact in one pass on a balanced panel); the constant is absorbed and not reported (Stata's
    ``xtivreg2, fe`` / ``ivreghdfe``). 2SLS on the demeaned data equals 2SLS with the dummies.
    *Degrees of freedom.* ``K`` counts the constant, the slopes and the absorbed effects **not
    nested** in the cluster dimension (unit effects are nested in unit clusters), as
    :func:`~spatialecon.econometrics.fixed_effects` does (Stata ``xtreg, fe``, reghdfe); they
    reach ``IV2SLS`` as ``extra_df``. Clustered: ``G/(G − 1) · (N − 1)/(N − K)``, t(G − 1);
    robust: ``N/(N − K)``, t(N − K); conventional (``cluster=None``): ``s² = RSS/(N − K)`` with
    every absorbed effect counted, t(N − K).
    *First stage.* Per endogenous regressor, the F test of the excluded instruments in its
    first-stage regression (all instruments and exogenous regressors, same effects) with the
    model's covariance and small-sample factor. Weak identification: Cragg–Donald Wald F
    (``cluster=None``) or Kleibergen–Paap (2006) rk Wald F (robust/clustered), scaled as ivreg2
    does: ``rk / L₂ · (N − L)/N`` (``· (G − 1)/G`` when clustered), L all instruments including
    the absorbed effects, L₂ the excluded ones.
    *Overidentification.* Hansen J (robust/clustered): the minimised two-step GMM criterion
    ``û'Z S⁻¹ Z'û`` with ``S = Σ_g Z_g'ê_g ê_g'Z_g`` from the 2SLS residuals ê and û the
    efficient-GMM residuals (ivreg2); Sargan (``cluster=None``): ``N · R²`` of the 2SLS residuals
    on the instruments (linearmodels' ``sargan``). χ²(L₂ − number of endogenous).
    *Endogeneity.* Durbin–Wu–Hausman by the control function: the Wald test that the
    first-stage residuals add nothing to the structural equation, with the model's covariance
    (robust or clustered: Wooldridge 2010, §6.2.1); χ²(number of endogenous). ``cluster=None``:
    linearmodels' Durbin statistic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from spatialecon.econometrics._common import (
    CONSTANT,
    ENTITY,
    TIME,
    EconometricsError,
    _versions,
    panel_frame,
    text_table,
)

__all__ = ["IVResult", "iv", "parse_iv_formula"]

IVEffects = Literal["entity", "twoway"] | None
IVCluster = Literal["entity", "time", "robust"] | None
_NAME = r"[A-Za-z_]\w*"


@dataclass(frozen=True, eq=False)
class IVResult:
    """A panel IV fit.

    Attributes
    ----------
    coefficients
        Indexed by term: ``estimate``, ``std_error``, ``t_stat``, ``p_value``, ``ci_lower``,
        ``ci_upper``, ``kind`` (``const``, ``exog``, ``endog``).
    diagnostics
        Indexed by test: ``first-stage F (x)`` per endogenous regressor, ``Kleibergen-Paap rk
        Wald F`` or ``Cragg-Donald Wald F``, ``Hansen J`` or ``Sargan``, ``endogeneity``;
        columns ``statistic``, ``df``, ``p_value``, ``distribution``.
    conventions
        Effects, covariance, K and its parts, clusters, t degrees of freedom, versions.
    """

    coefficients: pd.DataFrame
    diagnostics: pd.DataFrame
    conventions: dict[str, Any] = field(default_factory=dict)
    vcov: pd.DataFrame | None = None

    @property
    def params(self) -> pd.Series:
        return self.coefficients["estimate"]

    def table(self, digits: int = 4) -> str:
        c = self.conventions
        head = (f"2SLS, effects = {c['effects']}, covariance = {c['covariance']}; "
                f"N = {c['n_obs']}, K = {c['K']}")
        return text_table(head, self.coefficients, "t_stat", self.diagnostics, digits)

    def __repr__(self) -> str:
        return f"IVResult\n{self.table()}"


def parse_iv_formula(formula: str) -> tuple[str, list[str], list[str], list[str], bool]:
    """``"y ~ 1 + w + [x ~ z1 + z2]"`` → ``(y, exog, endog, instruments, constant)``."""
    if not isinstance(formula, str) or "~" not in formula:
        raise EconometricsError(f"expected 'y ~ 1 + w + [x ~ z1 + z2]', got {formula!r}")
    brackets = re.findall(r"\[([^\]]*)\]", formula)
    if len(brackets) != 1:
        raise EconometricsError(f"write exactly one block [endogenous ~ instruments] in "
                                f"{formula!r}")
    rest = re.sub(r"\[[^\]]*\]", "", formula)
    if rest.count("~") != 1:
        raise EconometricsError(f"cannot read {formula!r}")
    lhs, rhs = (s.strip() for s in rest.split("~"))
    if brackets[0].count("~") != 1:
        raise EconometricsError(f"the block [{brackets[0]}] needs one '~'")
    endog_s, instr_s = brackets[0].split("~")

    def names(part: str, what: str) -> list[str]:
        out = [t.strip() for t in part.split("+") if t.strip()]
        bad = [t for t in out if not re.fullmatch(_NAME, t) and t not in ("1", "0", "-1")]
        if bad:
            raise EconometricsError(f"{what}: cannot read term(s) {bad} (plain names only)")
        return out

    exog = names(rhs, "regressors")
    constant = "1" in exog and "0" not in exog
    exog = [t for t in exog if t not in ("1", "0", "-1")]
    endog, instr = names(endog_s, "endogenous"), names(instr_s, "instruments")
    if not re.fullmatch(_NAME, lhs):
        raise EconometricsError(f"the dependent variable must be a plain name, not {lhs!r}")
    if not endog or not instr:
        raise EconometricsError("the block [endogenous ~ instruments] needs both sides")
    for group, what in ((exog, "regressor"), (endog, "endogenous regressor"),
                        (instr, "instrument")):
        twice = sorted({v for v in group if group.count(v) > 1})
        if twice:
            raise EconometricsError(f"{what}(s) listed twice: {twice}")
    also = [z for z in instr if z in exog or z in endog]
    if also:
        raise EconometricsError(
            f"instrument(s) {also} are also regressors: an exogenous regressor instruments "
            "itself already, an endogenous one cannot instrument itself")
    both = [x for x in endog if x in exog]
    if both:
        raise EconometricsError(f"{both} are listed as both exogenous and endogenous")
    if lhs in exog + endog + instr:
        raise EconometricsError(f"{lhs!r} is the dependent variable and also on the right")
    if CONSTANT in exog + endog + instr:
        raise EconometricsError(f"{CONSTANT!r} is reserved for the constant; rename the column")
    if len(instr) < len(endog):
        raise EconometricsError(
            f"{len(instr)} excluded instrument(s) {instr} for {len(endog)} endogenous "
            f"regressor(s) {endog}: the equation is underidentified")
    return lhs, exog, endog, instr, constant


def _demean(frame: pd.DataFrame, effects: IVEffects) -> pd.DataFrame:
    if effects is None:
        return frame
    out = frame - frame.groupby(level=ENTITY).transform("mean")
    if effects == "entity":
        return out
    scale = max(1.0, float(frame.abs().max().max()))
    for _ in range(10_000):
        step = out.groupby(level=TIME).transform("mean")
        out = out - step
        step2 = out.groupby(level=ENTITY).transform("mean")
        out = out - step2
        if max(float(step.abs().max().max()), float(step2.abs().max().max())) < 1e-13 * scale:
            break
    return out


def _sandwich(scores: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    if groups is None:
        return scores.T @ scores
    g = pd.DataFrame(scores).groupby(groups).sum().to_numpy()
    return g.T @ g


def _msqrt(A: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh((A + A.T) / 2)
    return (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T


def kleibergen_paap_wald(x2: np.ndarray, z2: np.ndarray, groups: np.ndarray | None) -> float:
    """Kleibergen–Paap (2006) rk Wald statistic for rank(Π) = k₂ − 1 in ``x2 = z2 Π + v``
    (exogenous regressors already partialled out), with the heteroskedasticity- or cluster-
    robust covariance of vec(Π̂) without small-sample factors (ranktest's default)."""
    n, k = x2.shape
    zz = z2.T @ z2
    pi = np.linalg.solve(zz, z2.T @ x2)  # l × k
    v = x2 - z2 @ pi
    # robust covariance of vec(Π̂) (column-major): (I ⊗ (Z'Z)⁻¹) Σ (I ⊗ (Z'Z)⁻¹)
    scores = np.column_stack([z2 * v[:, [j]] for j in range(k)])
    meat = _sandwich(scores, groups)
    bread = np.kron(np.eye(k), np.linalg.inv(zz))
    V_pi = bread @ meat @ bread
    G = _msqrt(zz / n)
    F = _msqrt(x2.T @ x2 / n)
    theta = G @ pi @ F
    T_ = np.kron(F.T, G)  # vec(G Π F) = (F' ⊗ G) vec(Π)
    V_theta = T_ @ V_pi @ T_.T
    U, _s, Vt = np.linalg.svd(theta, full_matrices=True)
    Vm = Vt.T
    q = k - 1
    u12, u22 = U[:q, q:], U[q:, q:]
    v12, v22 = Vm[:q, q:], Vm[q:, q:]
    A_perp = np.vstack([u12, u22]) @ np.linalg.inv(u22) @ _msqrt(u22 @ u22.T)
    B_perp = _msqrt(v22 @ v22.T) @ np.linalg.inv(v22.T) @ np.hstack([v12.T, v22.T])
    lam = (A_perp.T @ theta @ B_perp.T).reshape(-1, order="F")
    K_ = np.kron(B_perp, A_perp.T)
    Om = K_ @ V_theta @ K_.T
    return float(lam @ np.linalg.pinv(Om) @ lam)


def iv(
    panel: pd.DataFrame,
    formula: str,
    *,
    effects: IVEffects = None,
    cluster: IVCluster = "entity",
) -> IVResult:
    """2SLS/IV on a panel: pooled, or within unit (``"entity"``) or unit and year
    (``"twoway"``).

    Parameters
    ----------
    panel
        Tidy panel or wide table indexed by ``(unit, year)``; unbalanced panels are allowed.
    formula
        linearmodels' syntax: ``"y ~ 1 + w + [x ~ z1 + z2]"`` (``1`` the constant, absorbed
        under ``effects``).
    effects
        ``None`` (pooled), ``"entity"`` or ``"twoway"``.
    cluster
        ``"entity"`` (default), ``"time"``, ``"robust"`` (heteroskedasticity-robust) or ``None``
        (conventional).

    Returns
    -------
    IVResult

    Raises
    ------
    EconometricsError
        Unreadable formula, an instrument that is also a regressor, too few instruments,
        unknown variables, missing values, variables absorbed by the effects.
    """
    from linearmodels.iv import IV2SLS

    if effects not in (None, "entity", "twoway"):
        raise EconometricsError(f"effects must be None, 'entity' or 'twoway', not {effects!r}")
    if cluster not in ("entity", "time", "robust", None):
        raise EconometricsError(f"cluster must be 'entity', 'time', 'robust' or None, not "
                                f"{cluster!r}")
    y, exog, endog, instr, constant = parse_iv_formula(formula)
    wide = panel_frame(panel, [y, *exog, *endog, *instr], balanced=False)
    n = len(wide)
    G_e = wide.index.get_level_values(ENTITY).nunique()
    G_t = wide.index.get_level_values(TIME).nunique()
    data = _demean(wide, effects)
    scale = wide.abs().max().replace(0, 1.0)
    flat = [c for c in data.columns if float(data[c].abs().max()) <= 1e-10 * scale[c]]
    if flat:
        raise EconometricsError(f"variable(s) {flat} do not vary "
                                f"{'within units' if effects else 'across the panel'}"
                                f"{' and years' if effects == 'twoway' else ''}: absorbed or "
                                "constant")
    use_const = constant and effects is None
    ex = data[exog].copy()
    if use_const:
        ex.insert(0, CONSTANT, 1.0)
    exog_names = list(ex.columns)
    # absorbed parameters: the constant plus the effects beyond it
    fe_e = (G_e - 1) if effects in ("entity", "twoway") else 0
    fe_t = (G_t - 1) if effects == "twoway" else 0
    absorbed_const = 1 if (effects is not None) else 0
    if cluster == "entity":
        extra = absorbed_const + fe_t
    elif cluster == "time":
        extra = absorbed_const + fe_e
    else:
        extra = absorbed_const + fe_e + fe_t
    groups = None
    if cluster == "entity":
        groups = wide.index.get_level_values(ENTITY).to_numpy()
    elif cluster == "time":
        groups = wide.index.get_level_values(TIME).to_numpy()
    G = None if groups is None else len(np.unique(groups))
    if G is not None and G < 2:
        raise EconometricsError(f"clustering by {cluster} needs at least 2 clusters; the "
                                f"panel has {G}")
    cov_type = {"entity": "clustered", "time": "clustered", "robust": "robust",
                None: "unadjusted"}[cluster]
    cov_kw: dict[str, Any] = {"extra_df": extra}
    if groups is not None:
        cov_kw["clusters"] = pd.Series(pd.factorize(groups)[0], index=data.index)
    model = IV2SLS(data[y], ex if len(exog_names) else None, data[endog], data[instr])
    res = model.fit(cov_type=cov_type, debiased=True, **cov_kw)
    params = res.params
    V = res.cov.to_numpy()
    K = len(params) + extra
    df_t = (G - 1) if G is not None else n - K
    names = list(params.index)
    kinds = {CONSTANT: "const", **{v: "exog" for v in exog}, **{v: "endog" for v in endog}}
    se = np.sqrt(np.diag(V))
    t = params.to_numpy() / se
    q = stats.t.ppf(0.975, df_t)
    coefficients = pd.DataFrame({
        "estimate": params.to_numpy(), "std_error": se, "t_stat": t,
        "p_value": 2 * stats.t.sf(np.abs(t), df_t),
        "ci_lower": params.to_numpy() - q * se, "ci_upper": params.to_numpy() + q * se,
        "kind": [kinds[v] for v in names],
    }, index=pd.Index(names, name="term"))

    # ── diagnostics ──────────────────────────────────────────────────────────────────────
    Zall = np.column_stack([ex.to_numpy(), data[instr].to_numpy()]) if len(exog_names) \
        else data[instr].to_numpy()
    Z1 = ex.to_numpy() if len(exog_names) else np.zeros((n, 0))
    X2 = data[endog].to_numpy()
    Z2 = data[instr].to_numpy()
    yv = data[y].to_numpy()
    L_all = Zall.shape[1] + absorbed_const + fe_e + fe_t  # instruments incl. absorbed effects
    l2, k2 = len(instr), len(endog)

    def small_factor(k_model: int) -> float:
        if cluster in ("entity", "time"):
            return G / (G - 1) * (n - 1) / (n - k_model)
        return n / (n - k_model)

    def ols_cov(Xm: np.ndarray, e: np.ndarray, k_model: int) -> np.ndarray:
        XtX_inv = np.linalg.inv(Xm.T @ Xm)
        if cluster is None:
            return XtX_inv * float(e @ e) / (n - k_model)
        meat = _sandwich(Xm * e[:, None], groups)
        return small_factor(k_model) * XtX_inv @ meat @ XtX_inv

    rows: list[tuple[str, float, Any, float, str]] = []
    first_resid = np.empty_like(X2)
    k_first = Zall.shape[1] + extra
    for j, x in enumerate(endog):
        coef, *_ = np.linalg.lstsq(Zall, X2[:, j], rcond=None)
        e = X2[:, j] - Zall @ coef
        first_resid[:, j] = e
        Vf = ols_cov(Zall, e, k_first)
        idx = list(range(Z1.shape[1], Zall.shape[1]))
        b2 = coef[idx]
        F = float(b2 @ np.linalg.solve(Vf[np.ix_(idx, idx)], b2)) / l2
        df2 = (G - 1) if G is not None else n - k_first
        rows.append((f"first-stage F ({x})", F, (l2, df2), float(stats.f.sf(F, l2, df2)),
                     "F"))
    # partial out the exogenous regressors for the rank statistics
    if Z1.shape[1]:
        P1 = Z1 @ np.linalg.lstsq(Z1, np.column_stack([X2, Z2]), rcond=None)[0]
        R = np.column_stack([X2, Z2]) - P1
    else:
        R = np.column_stack([X2, Z2])
    x2t, z2t = R[:, :k2], R[:, k2:]
    if cluster is None:
        Pz = z2t @ np.linalg.lstsq(z2t, x2t, rcond=None)[0]
        Svv = (x2t - Pz).T @ (x2t - Pz) / (n - L_all)
        Si = np.linalg.inv(_msqrt(Svv))
        cd = float(np.linalg.eigvalsh(Si @ (x2t.T @ Pz) @ Si).min()) / l2
        rows.append(("Cragg-Donald Wald F", cd, (l2, n - L_all), float("nan"), "Stock-Yogo"))
    else:
        rk = kleibergen_paap_wald(x2t, z2t, groups if cluster != "robust" else None)
        kp = rk / l2 * (n - L_all) / n
        if G is not None:
            kp *= (G - 1) / G
        rows.append(("Kleibergen-Paap rk Wald F", kp, (l2, None), float("nan"), "Stock-Yogo"))
    # overidentification
    over = l2 - k2
    e2 = res.resids.to_numpy()
    if cluster is None:
        if over > 0:
            s = res.sargan
            rows.append(("Sargan", float(s.stat), over, float(s.pval), "chi2"))
    elif over > 0:
        J = hansen_j(yv, np.column_stack([ex.to_numpy(), X2]) if len(exog_names) else X2,
                     Zall, e2, groups)
        rows.append(("Hansen J", J, over, float(stats.chi2.sf(J, over)), "chi2"))
    # endogeneity: control function
    if cluster is None:
        d = res.durbin()
        rows.append(("endogeneity (Durbin)", float(d.stat), k2, float(d.pval), "chi2"))
    else:
        Xc = np.column_stack([Z1, X2, first_resid])
        coef, *_ = np.linalg.lstsq(Xc, yv, rcond=None)
        e = yv - Xc @ coef
        Vc = ols_cov(Xc, e, Xc.shape[1] + extra)
        idx = list(range(Z1.shape[1] + k2, Xc.shape[1]))
        W = float(coef[idx] @ np.linalg.solve(Vc[np.ix_(idx, idx)], coef[idx]))
        rows.append(("endogeneity (DWH, control function)", W, k2,
                     float(stats.chi2.sf(W, k2)), "chi2"))
    diagnostics = pd.DataFrame(rows, columns=["test", "statistic", "df", "p_value",
                                              "distribution"]).set_index("test")
    conventions = {
        "estimator": "2SLS (linearmodels IV2SLS" + (" on within-transformed data)"
                                                    if effects else ")"),
        "formula": formula, "y": y, "exog": exog, "endog": endog, "instruments": instr,
        "effects": effects, "cluster": cluster,
        "covariance": {"entity": "clustered", "time": "clustered", "robust": "robust",
                       None: "conventional"}[cluster],
        "n_obs": n, "n_entities": G_e, "n_periods": G_t, "K": int(K), "extra_df": int(extra),
        "absorbed": {"constant": absorbed_const, "entity": fe_e, "time": fe_t},
        "clusters": G, "t_df": int(df_t),
        "small_sample": ("G/(G − 1) · (N − 1)/(N − K)" if G is not None else
                         "N/(N − K)" if cluster == "robust" else "s² = RSS/(N − K)"),
        "n_instruments": int(L_all),
        "library": _versions(),
    }
    vcov = pd.DataFrame(V, index=names, columns=names)
    return IVResult(coefficients, diagnostics, conventions, vcov)


def hansen_j(y: np.ndarray, X: np.ndarray, Z: np.ndarray, e_2sls: np.ndarray,
             groups: np.ndarray | None) -> float:
    """Hansen's J: the two-step efficient GMM criterion with ``S`` from the 2SLS residuals
    (unit-by-unit sums when ``groups`` is given)."""
    S = _sandwich(Z * e_2sls[:, None], groups)
    Si = np.linalg.pinv(S)
    ZX, Zy = Z.T @ X, Z.T @ y
    b = np.linalg.solve(ZX.T @ Si @ ZX, ZX.T @ Si @ Zy)
    g = Z.T @ (y - X @ b)
    return float(g @ Si @ g)
