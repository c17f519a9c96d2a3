"""Stage 4: spatial regression — OLS with spatial diagnostics, cross-section lag, error, Durbin,
SLX and SAC models with impacts, spatial panels, and publication tables — over PySAL's spreg
(OLS, GMM, random effects) and our own ML with one log-determinant engine.

One idea per file, behind these public names: ``_common`` (names, the spreg call, formulas,
data alignment), ``results``, ``diagnostics`` (OLS and Anselin's rule), ``cross_section``
(``fit``), ``logdet`` (ln|I − ρW| for every ML estimator: sparse LU, spectrum, dense,
Chebyshev and Monte Carlo approximations with error bounds; the information traces), ``ml``
(cross-section ML lag/error by the concentrated likelihood), ``impacts``, ``panel``
(``fit_panel``) and ``tables`` (``compare``).

spreg estimates OLS, GMM and the random-effects panels; the ML models are estimated here (spreg's
ML inverts I − ρW densely for its variance: 4 s at 2,848 counties, out of memory at 40k units)
and checked against spreg in the tests. This package owns what spreg leaves to the caller and
what it gets wrong:

- **Data handling.** Data come in as a (Geo)DataFrame indexed by ``adcode`` (or a tidy panel
  ``adcode, year, variable, value``), are aligned to the weights' ``id_order`` and checked before
  spreg sees them: units missing either way, missing or non-numeric values, islands, collinear or
  constant regressors, too few observations and unbalanced panels are errors that name the units,
  years and columns. Variable names (from ``"y ~ x1 + x2"`` or explicit lists) survive into every
  table.
- **Conventions, recorded.** Every result carries ``conventions``: the weights and their
  transform, the ML log-determinant method, the variance estimator, the AIC convention and, for
  impacts, the method, draws and seed.
- **Impacts** (LeSage & Pace 2009): average direct, indirect and total effects with standard
  errors by the delta method (default; what Stata's ``estat impact`` reports) or by simulation
  from the estimated sampling distribution (what R's ``spatialreg::impacts(R=…)`` reports).
  spreg's own "simple" multipliers (Kim, Phipps & Anselin 2003) set the direct effect to β and
  give no standard errors, so they are not used.
- **Fixes and workarounds for spreg** (checked against spreg 1.9.0; each is flagged ``spreg
  workaround`` in the code, with the test that shows it):

  1. ``ML_Lag`` / ``ML_Error`` with ``method="ord"`` compute the information matrix with the
     *symmetrised* weights (``D^{1/2} W D^{-1/2}``) in place of ``W``; ``tr(W_A'W_A)`` is not
     invariant to that similarity transform, so their standard errors of ρ (and, for the lag
     model, of β) differ from ``method="full"`` / ``"lu"``. Our ML uses the actual ``W``
     whatever the log-determinant method.
  2. ``ML_ErrorRE`` (random-effects spatial error panel) concentrates the likelihood through an
     eigen-decomposition that is valid only for *symmetric* ``W`` (Elhorst 2003's shortcut);
     with row-standardised contiguity it maximises the wrong function. Even for symmetric ``W``
     its standard error of σ²_μ is about ten times smaller than the inverse information. We
     maximise the exact likelihood (spreg's own transformation, with ``V^{-1/2}`` and ``ln|V|``
     from ``V`` itself) and take the variance from the observed information, for every ``W``.
  3. spreg 1.9.0 prints the estimator's class name from ``output.py`` on every fit; its stdout
     is swallowed.
  4. The deprecated ``Panel_FE_Lag`` / ``Panel_FE_Error`` / ``Panel_RE_*`` classes misstate the
     log-likelihood (σ² not divided by NT); the panel functions use their replacements
     ``ML_LagFE`` … ``ML_ErrorRE`` (spreg ≥ 1.9).

  5. spreg's AIC counts ρ in lag models but neither λ in error models nor σ² anywhere, so its
     AICs of lag and error models are not comparable; see below.

  spreg's ML search interval for ρ and λ is (−1, 1), inside the feasible interval only for
  weights with spectral radius at most 1 (row-standardised ones); ours searches the feasible
  interval of the weights given (see ``logdet.LogDet.interval``).

Names follow spreg/GeoDa: the constant is ``CONSTANT``, lagged regressors ``W_x``. AIC and SC
count every estimated parameter including ρ, λ and σ², as R's ``AIC()`` and Stata's
``spregress`` do (spreg's own value is kept in ``conventions["aic_spreg"]``). Standard errors
of ML models come from the analytical information matrix (Anselin 1988), as in spreg, GeoDa
and spatialreg; Stata's default observed information (OIM) gives somewhat different ones in
small samples.
"""

from __future__ import annotations

from spatialecon.regression._common import (
    ANSELIN_RULE,
    CONSTANT,
    DEFAULT_COMPARISON,
    EstimationWarning,
    RegressionError,
    parse_formula,
)
from spatialecon.regression.cross_section import fit
from spatialecon.regression.diagnostics import Diagnostics, ols_diagnostics
from spatialecon.regression.gwr import GWRResult, gwr
from spatialecon.regression.impacts import compute_impacts
from spatialecon.regression.mgwr import MGWRResult, mgwr
from spatialecon.regression.panel import fit_panel, panel_arrays
from spatialecon.regression.panel_tests import PanelTests, spatial_panel_tests
from spatialecon.regression.results import RegressionResult, Statistic
from spatialecon.regression.tables import ComparisonTable, compare, compare_models

__all__ = [
    "ANSELIN_RULE",
    "CONSTANT",
    "DEFAULT_COMPARISON",
    "ComparisonTable",
    "Diagnostics",
    "EstimationWarning",
    "GWRResult",
    "MGWRResult",
    "PanelTests",
    "RegressionError",
    "RegressionResult",
    "Statistic",
    "compare",
    "compare_models",
    "compute_impacts",
    "fit",
    "fit_panel",
    "gwr",
    "mgwr",
    "ols_diagnostics",
    "panel_arrays",
    "parse_formula",
    "spatial_panel_tests",
]
