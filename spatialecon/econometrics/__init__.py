"""Stage 4: panel econometrics — fixed- and random-effects regressions with clustered standard
errors, the Hausman test, panel unit-root tests (Im–Pesaran–Shin, Fisher-type) and the
Dumitrescu–Hurlin panel Granger non-causality test.

These are the non-spatial panel methods of the seed's economic-resilience article (孙慧、原伟鹏
2020, 区域经济评论 No. 5, Tables 7, 9, 10 and 11). Estimation is delegated to well-kept libraries
— linearmodels (``PanelOLS``, ``RandomEffects``) and statsmodels (``adfuller``, OLS, MacKinnon
p-values); this module owns the data checks, the conventions and the panel statistics that those
libraries do not have.

Data come in as a tidy panel (``adcode, year, variable, value``) or a wide table indexed by
``(adcode, year)``; gaps, duplicates, missing values, constant series and too few years for a
lag order are errors that name the units, years and variables.

Conventions (recorded in every result's ``attrs``; defaults follow Stata, checked against it):

Regressions (:func:`fixed_effects`, :func:`random_effects`)
    *Conventional* covariance ``s² (X'X)⁻¹`` with ``s² = RSS/(N − K_all)``, ``K_all`` counting
    every estimated parameter including the fixed effects (Stata ``xtreg, fe``).
    *Clustered* covariance: the sandwich ``(X'X)⁻¹ Σ_g X_g'e_g e_g'X_g (X'X)⁻¹`` on the
    transformed (within or quasi-demeaned) data, scaled by ``G/(G − 1) · (N − 1)/(N − K)``
    where ``K`` counts the constant, the regressors and the fixed effects **not nested** in a
    cluster dimension (entity effects are nested in entity clusters): Stata's ``xtreg, fe
    vce(cluster id)`` and ``reghdfe``, fixest's ``ssc(fixef.K = "nested")``. Two-way
    clustering (Cameron, Gelbach & Miller 2011): ``V = c_e V_entity + c_t V_time − c_0 V_unit-
    year`` with each term's own ``G/(G − 1)``; a non-positive-semidefinite result has its
    negative eigenvalues set to zero (the fix CGM propose; reghdfe applies it too). Inference
    uses the t distribution with
    ``G − 1`` degrees of freedom (``min(G_e, G_t) − 1`` for two-way clusters) and ``N − K_all``
    for the conventional covariance.
    Random effects: Swamy–Arora variance components (linearmodels; its estimates equal plm's
    default random-effects model, checked on Grunfeld; Stata's ``xtreg, re`` uses the same
    estimator, with its own small-sample variant on unbalanced panels).
Hausman test (:func:`hausman`)
    ``H = (b_FE − b_RE)' [V_FE − V_RE]⁻ (b_FE − b_RE)`` on the common slopes with each model's
    conventional covariance (Hausman 1978; plm's ``phtest``, Stata's ``hausman``). When
    ``V_FE − V_RE`` is not positive definite, the inverse is the Moore–Penrose inverse over its
    positive eigenvalues and the degrees of freedom are their number (Stata's ``hausman`` takes
    a generalised inverse and ``df = rank``); a warning says so and ``attrs`` records the
    eigenvalues.
Unit-root tests (:func:`adf_by_unit`, :func:`ips_test`, :func:`fisher_test`)
    Per-unit ADF regressions ``Δy_t = ρ y_{t−1} + Σ_{j≤p} φ_j Δy_{t−j} + deterministic + e_t``
    by statsmodels' ``adfuller`` (OLS standard error with the ``n − k`` divisor, as gretl and
    EViews; ``dof_correction=False`` uses ``n``, plm's default), lags fixed or chosen per unit by
    AIC/BIC on a common sample (``max_lags`` default EViews' ``⌊min(D/3, 12)(D/100)^{1/4}⌋``
    with ``D = T − 1``), then re-estimated on all available observations; per-unit p-values
    from MacKinnon's (1994) asymptotic approximation (statsmodels' coefficients, without its
    0/1 cut-offs, see :func:`mackinnon_p`). IPS: ``W_t̄ = √N (t̄ − mean(E[t_i])) /
    √mean(Var[t_i])`` with the moments of IPS (2003, Table 3) for each unit's lag order and
    ``T_i − p_i − 1`` observations, linearly interpolated in T (plm, gretl and EViews),
    left-tailed normal p-value. Fisher: Maddala–Wu
    ``P = −2 Σ ln p_i ~ χ²(2N)``, Choi's inverse normal ``Z = Σ Φ⁻¹(p_i)/√N`` (left tail), also
    Choi's ``P_m`` and logit ``L*``.
Dumitrescu–Hurlin test (:func:`dumitrescu_hurlin`)
    Per unit, OLS of ``y_t`` on a constant, ``y_{t−1..K}`` and ``x_{t−1..K}`` over ``T − K``
    observations and the Wald statistic ``W_i`` of the ``K`` coefficients of ``x`` with the
    ``RSS/(T − 3K − 1)`` variance (lmtest's ``grangertest(test = "Chisq")``); ``W̄`` their mean,
    ``Z̄ = √(N/2K) (W̄ − K)`` and the fixed-T ``Z̃`` of DH (2012, eq. 29/33) with DH's T read as
    ``T − K`` (Lopez & Weber 2017, Stata's ``xtgcause``; plm's ``pgrangertest``); two-sided
    normal p-values as in plm and xtgcause.
"""

# one idea per file: _common (error, result, checked panel), effects (FE/RE, Hausman),
# unit_root (ADF, IPS, Fisher), llc (Levin–Lin–Chu), cointegration (Kao, Pedroni),
# granger (Dumitrescu–Hurlin)
from spatialecon.econometrics._common import CONSTANT as CONSTANT
from spatialecon.econometrics._common import ENTITY as ENTITY
from spatialecon.econometrics._common import TIDY_COLUMNS as TIDY_COLUMNS
from spatialecon.econometrics._common import TIME as TIME
from spatialecon.econometrics._common import (
    EconometricsError,
    PanelTest,
    panel_frame,
    parse_formula,
)
from spatialecon.econometrics.cointegration import (
    cointegration_table,
    kao_test,
    pedroni_moments,
    pedroni_test,
)
from spatialecon.econometrics.effects import (
    fixed_effects,
    hausman,
    hausman_regression,
    random_effects,
)
from spatialecon.econometrics.gmm import GMMResult, system_gmm
from spatialecon.econometrics.granger import dumitrescu_hurlin, granger_table, granger_wald
from spatialecon.econometrics.iv import IVResult, iv, parse_iv_formula
from spatialecon.econometrics.llc import llc_adjustment, llc_test
from spatialecon.econometrics.mediation import (
    MediationResult,
    ModerationResult,
    mediation,
    moderation,
)
from spatialecon.econometrics.unit_root import (
    adf_by_unit,
    default_max_lags,
    fisher_combination,
    fisher_test,
    ips_moments,
    ips_test,
    mackinnon_p,
    unit_root_table,
)

__all__ = [
    "EconometricsError",
    "GMMResult",
    "IVResult",
    "MediationResult",
    "ModerationResult",
    "PanelTest",
    "adf_by_unit",
    "cointegration_table",
    "default_max_lags",
    "dumitrescu_hurlin",
    "fisher_combination",
    "fisher_test",
    "fixed_effects",
    "granger_table",
    "granger_wald",
    "hausman",
    "hausman_regression",
    "ips_moments",
    "ips_test",
    "iv",
    "kao_test",
    "llc_adjustment",
    "llc_test",
    "mackinnon_p",
    "mediation",
    "moderation",
    "panel_frame",
    "parse_formula",
    "parse_iv_formula",
    "pedroni_moments",
    "pedroni_test",
    "random_effects",
    "system_gmm",
    "unit_root_table",
]
