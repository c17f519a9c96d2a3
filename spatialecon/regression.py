"""Stage 4: spatial regression — OLS with spatial diagnostics, cross-section lag, error, Durbin,
SLX and SAC models with impacts, spatial panels, and publication tables — as a thin layer over
PySAL's spreg.

spreg does the estimation; this module owns what spreg leaves to the caller and what it gets
wrong:

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
     model, of β) differ from ``method="full"`` / ``"lu"``. We recompute the information matrix
     with the actual ``W``.
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
  weights with spectral radius at most 1 (row-standardised ones); ML with other weights is
  refused rather than silently wrong.

Names follow spreg/GeoDa: the constant is ``CONSTANT``, lagged regressors ``W_x``. AIC and SC
count every estimated parameter including ρ, λ and σ², as R's ``AIC()`` and Stata's
``spregress`` do (spreg's own value is kept in ``conventions["aic_spreg"]``). Standard errors
of ML models come from the analytical information matrix (Anselin 1988), as in spreg, GeoDa
and spatialreg; Stata's default observed information (OIM) gives somewhat different ones in
small samples.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import math
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from libpysal.weights import W
from scipy import optimize, sparse, stats
from scipy.sparse import linalg as sparse_linalg
from scipy.sparse.linalg import splu

from spatialecon._files import atomic_path
from spatialecon._labels import format_units
from spatialecon.autocorrelation import describe_weights
from spatialecon.validation import SpatialEconError
from spatialecon.weights import transform as transform_weights

Model = Literal["ols", "slx", "lag", "error", "durbin", "sdem", "sac"]
Method = Literal["ml", "gmm"]
LogDet = Literal["auto", "full", "lu", "ord"]
ImpactsMethod = Literal["delta", "simulation"]

CONSTANT = "CONSTANT"  # spreg's and GeoDa's name for the intercept
DEFAULT_COMPARISON: tuple[str, ...] = ("ols", "lag", "error", "durbin")
_AIC_CONVENTION = ("−2 logL + 2p, p = coefficients incl. ρ/λ, variance components and σ² "
                   "(R's AIC(), Stata's spregress)")
_AUTO_FULL_MAX_N = 800  # "auto": dense determinant up to here, sparse LU above (bench)

_MODEL_ALIASES = {
    "ols": "ols", "slx": "slx",
    "lag": "lag", "sar": "lag", "sal": "lag",
    "error": "error", "sem": "error",
    "durbin": "durbin", "sdm": "durbin",
    "sdem": "sdem", "durbin_error": "sdem",
    "sac": "sac", "combo": "sac", "sarar": "sac",
}
_METHOD_ALIASES = {"ml": "ml", "gmm": "gmm", "gm": "gmm", "iv": "gmm", "2sls": "gmm",
                   "s2sls": "gmm", "ols": "ols"}
_LABELS = {"ols": "OLS", "slx": "SLX", "lag": "SAR", "error": "SEM", "durbin": "SDM",
           "sdem": "SDEM", "sac": "SAC"}
_HAS_LAG = {"lag", "durbin", "sac"}
_HAS_ERROR = {"error", "sdem", "sac"}
_HAS_WX = {"slx", "durbin", "sdem"}

ANSELIN_RULE = (
    "Anselin's decision rule for OLS residuals (Anselin 2005, Exploring Spatial Data with "
    "GeoDa: A Workbook, §23.6; Anselin & Rey 2014, Modern Spatial Econometrics in Practice, "
    "ch. 5): (1) if neither LM-lag nor LM-error is significant, keep OLS; (2) if exactly one "
    "is significant, estimate that model; (3) if both are, compare the robust forms: estimate "
    "the model whose robust test is significant when the other is not; if both robust tests "
    "are significant, the model with the larger robust statistic (and suspect other "
    "misspecification); if neither is, the evidence does not separate the two and the larger "
    "robust statistic is only a lean."
)


class RegressionError(SpatialEconError):
    """Input a model cannot be estimated from; the message names the units, years or columns."""


# ---------------------------------------------------------------------------- spreg calls


def _spreg(cls_name: str, *args: Any, **kwargs: Any) -> Any:
    """Call a spreg estimator quietly.

    spreg workaround: spreg 1.9.0's ``output.py`` prints the estimator's class name on every
    fit, and its pandas calls raise deprecation warnings; both are noise for our users. Other
    warnings (numerical ones in particular) pass through.
    """
    import spreg

    cls = getattr(spreg, cls_name)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore", sparse.SparseEfficiencyWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        # spreg passes ``tol=`` to scipy's bounded scalar minimiser, which warns and uses it
        # as the absolute tolerance it meant.
        warnings.filterwarnings("ignore", message=".*does not support relative tolerance.*")
        return cls(*args, **kwargs)


def _spreg_version() -> str:
    import spreg

    return str(getattr(spreg, "__version__", "unknown"))


# ---------------------------------------------------------------------------- formula, data


_TOKEN = re.compile(r"`[^`]*`|~|\+|[^`~+]+")


def parse_formula(formula: str) -> tuple[str, list[str]]:
    """Split ``"y ~ x1 + x2"`` into ``("y", ["x1", "x2"])``.

    Terms are column names; put a name that contains ``+``, ``~`` or surrounding spaces in
    backticks (```GDP+1```). The intercept is always included (spreg's convention), so ``1``
    may be written and ``0`` / ``- 1`` are refused; transformations such as ``log(x)`` are not
    evaluated — compute them as columns first.
    """
    sides: list[list[tuple[str, bool]]] = [[]]
    current: list[tuple[str, bool]] = []
    for token in _TOKEN.findall(formula):
        if token in ("~", "+"):
            sides[-1].append(_term(current))
            current = []
            if token == "~":
                sides.append([])
        elif token.startswith("`"):
            current.append((token[1:-1], True))
        elif token.strip():
            current.append((token.strip(), False))
    sides[-1].append(_term(current))
    if len(sides) != 2:
        raise RegressionError(f"a formula needs exactly one '~' (y ~ x1 + x2), got {formula!r}")
    left, right = sides
    if len(left) != 1 or not left[0][0]:
        raise RegressionError(f"one dependent variable left of '~', got {formula!r}")
    terms = []
    for term, quoted in right:
        if not term:
            raise RegressionError(f"an empty term in {formula!r}")
        if not quoted and (term == "0" or re.search(r"(^|\s)-\s*1$", term)):
            raise RegressionError("models without an intercept are not supported: spreg always "
                                  "estimates one")
        if quoted or term != "1":
            terms.append(term)
    return left[0][0], terms


def _term(pieces: list[tuple[str, bool]]) -> tuple[str, bool]:
    if len(pieces) == 1:
        return pieces[0]
    return " ".join(p for p, _ in pieces), False


def _spec(y: str, X: str | Sequence[str] | None) -> tuple[str, list[str]]:
    if "~" in y:
        if X is not None:
            raise RegressionError("give either a formula 'y ~ x1 + x2' or y and X, not both")
        y, X = parse_formula(y)
    if X is None:
        if "=" in y:  # R and Stata users write y = x1 + x2
            raise RegressionError(f"a formula separates y from the regressors with '~', not "
                                  f"'=': {y.replace('=', '~', 1)!r}")
        raise RegressionError("no regressors: pass X=[...] or a formula 'y ~ x1 + x2'")
    X = [X] if isinstance(X, str) else [str(x) for x in X]
    if not X:
        raise RegressionError("at least one regressor is needed besides the intercept")
    duplicated = sorted({x for x in X if X.count(x) > 1})
    if duplicated:
        raise RegressionError(f"regressor(s) listed twice: {duplicated}")
    if y in X:
        raise RegressionError(f"{y!r} is both the dependent variable and a regressor")
    if CONSTANT in X:
        raise RegressionError(f"{CONSTANT!r} is reserved for the intercept, which is always "
                              "included; rename the column")
    return y, X


def _units(codes: Sequence[Any], data: pd.DataFrame | None = None) -> str:
    """Units for a message, named from the data's ``name`` column when they have one."""
    names = data["name"] if data is not None and "name" in data.columns else None
    return format_units(list(codes), 10, names=names)


def _prepare_weights(w: W, transform: str | None) -> W:
    if not isinstance(w, W):
        raise TypeError(f"w must be a libpysal W keyed by adcode, got {type(w).__name__}")
    return transform_weights(w, transform) if transform is not None else w


def _check_islands(w: W, data: pd.DataFrame | None) -> None:
    islands = list(w.islands)
    if islands:
        raise RegressionError(
            f"{len(islands)} unit(s) have no neighbour in the weights: "
            f"{_units(islands, data)}. Their spatial lag is zero, which spatial models "
            "cannot interpret; link them (spatialecon.weights.contiguity(islands='nearest')) "
            "or drop them from the data and the weights")


def _align(data: pd.DataFrame, columns: Sequence[str], w: W) -> pd.DataFrame:
    """The columns of ``data`` as floats, rows in ``w.id_order``; errors name what is wrong."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a (Geo)DataFrame indexed by adcode, got "
                        f"{type(data).__name__}")
    if {"variable", "value"} <= set(data.columns):
        raise RegressionError("data look like a tidy panel (variable, value columns): use "
                              "fit_panel, or pivot one year to one column per variable "
                              "(spatialecon.panel.join_boundaries(panel, year=…))")
    frame = data
    if "adcode" in frame.columns and not set(w.id_order) <= set(frame.index):
        frame = frame.set_index("adcode")
    missing_columns = [c for c in columns if c not in frame.columns]
    if missing_columns:
        raise RegressionError(f"column(s) {missing_columns} are not in the data; it has "
                              f"{[c for c in frame.columns if c != 'geometry']}")
    if frame.index.has_duplicates:
        dupes = sorted(set(frame.index[frame.index.duplicated()]))
        raise RegressionError(f"units appear more than once in the data: {dupes[:10]}")
    ids = list(w.id_order)
    absent = [i for i in ids if i not in frame.index]
    extra = [i for i in frame.index if i not in set(ids)]
    if absent or extra:
        parts = []
        if absent:
            parts.append(f"{len(absent)} unit(s) of the weights have no row in the data: "
                         f"{_units(absent)}")
        if extra:
            parts.append(f"{len(extra)} unit(s) of the data are not in the weights: "
                         f"{_units(extra, frame)}")
        raise RegressionError("; ".join(parts) + ". Build the weights on the units with data "
                              "(e.g. contiguity(gdf.loc[units])) or select those rows")
    out = pd.DataFrame(index=pd.Index(ids, name="adcode"))
    problems = []
    for column in columns:
        raw = frame.loc[ids, column]
        values = pd.to_numeric(raw, errors="coerce")
        text = raw.index[values.isna() & raw.notna()]
        if len(text):
            problems.append(f"{column}: text that is not a number for {_units(text, frame)}"
                            f" ({', '.join(repr(v) for v in raw.loc[text].unique()[:3])})")
        missing = raw.index[raw.isna()]
        if len(missing):
            problems.append(f"{column}: no value for {_units(missing, frame)}")
        infinite = values.index[np.isinf(values.to_numpy(dtype=float, na_value=np.nan))]
        if len(infinite):
            problems.append(f"{column}: infinite value for {_units(infinite, frame)}")
        out[column] = values.astype(float)
    if problems:
        raise RegressionError("missing or invalid values — " + "; ".join(problems)
                              + ". Drop these units from the data and the weights, or fill "
                              "the values")
    return out


def _check_design(X: np.ndarray, names: Sequence[str], y: np.ndarray, y_name: str,
                  n_params: int, what: str = "units") -> None:
    """Constant, collinear and too many regressors, named. ``X`` includes the constant."""
    n = X.shape[0]
    if np.ptp(y) == 0:
        raise RegressionError(f"the dependent variable {y_name!r} is constant ({y[0]:g})")
    if n <= n_params:
        raise RegressionError(
            f"{n} {what} for {n_params} parameters ({', '.join(names)}"
            f"{' and the spatial parameter(s)' if n_params > len(names) else ''}): a model "
            "needs more observations than parameters; drop regressors or add units")
    for j, name in enumerate(names):
        if name != CONSTANT and np.ptp(X[:, j]) == 0:
            raise RegressionError(f"regressor {name!r} is constant ({X[0, j]:g} for every "
                                  f"{what[:-1]}): it duplicates the intercept, which is always "
                                  "included")
    scaled = X / np.maximum(np.linalg.norm(X, axis=0), 1e-300)
    _, s, vt = np.linalg.svd(scaled, full_matrices=False)
    tol = max(X.shape) * np.finfo(float).eps * s[0] * 1e4
    null = vt[s <= tol]
    if len(null):
        groups = []
        for vector in null:
            involved = [names[j] for j in np.flatnonzero(np.abs(vector) > 1e-6 *
                                                         np.abs(vector).max())]
            groups.append("{" + ", ".join(involved) + "}")
        lags = ", a spatial lag that repeats a regressor" if any(
            n.startswith("W_") for n in names) else ""
        raise RegressionError(
            f"collinear regressors: {'; '.join(groups)} — within each group one column is an "
            "exact linear combination of the others (a duplicate, a rescaled copy, shares that "
            f"sum to a constant{lags}); drop one of them")


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Statistic:
    """A test statistic with its p-value; unpacks as ``statistic, p_value``."""

    name: str
    statistic: float
    p_value: float
    df: int | None = None
    distribution: str = "chi2"
    z: float | None = None

    @property
    def p(self) -> float:
        return self.p_value

    def __iter__(self) -> Iterator[float]:
        yield self.statistic
        yield self.p_value

    def __getitem__(self, i: int) -> float:
        return (self.statistic, self.p_value)[i]

    def __len__(self) -> int:
        return 2

    def __repr__(self) -> str:
        extra = f", z={self.z:.4f}" if self.z is not None else ""
        df = f"({self.df})" if self.df is not None else ""
        return (f"Statistic({self.name}: {self.distribution}{df} = {self.statistic:.4f}{extra}, "
                f"p = {self.p_value:.4g})")


@dataclass(eq=False)
class RegressionResult:
    """One estimated model.

    Attributes
    ----------
    model, method
        ``"ols"``, ``"slx"``, ``"lag"``, ``"error"``, ``"durbin"``, ``"sdem"`` or ``"sac"``;
        ``"ols"``, ``"ml"`` or ``"gmm"``. Panels add ``effects`` (``"fixed"`` / ``"random"``).
    y, x
        The dependent variable and the regressors, as named in the data.
    coefficients
        Indexed by term (``CONSTANT``, regressors, ``W_x`` lags, ``rho``, ``lambda``, variance
        components of random-effects panels) with ``estimate``, ``se``, ``z``, ``p`` and
        ``kind`` (``const``, ``x``, ``wx``, ``rho``, ``lambda``, ``variance``). For OLS and SLX
        ``z`` holds t-statistics and ``p`` their t-distribution p-values, as in spreg.
    rho, lam
        ρ (spatial lag) and λ (spatial error), ``None`` when the model has none.
    logl, aic, sc
        Log-likelihood, Akaike and Schwarz criteria (NaN for GMM, which has no likelihood);
        AIC = −2 logL + 2p with p counting coefficients, ρ, λ, variance components and σ².
    pseudo_r2, pseudo_r2_e, r2
        spreg's pseudo-R² (squared correlation of y and the fitted values; for lag models
        ``pseudo_r2_e`` uses the reduced-form prediction, Stata's "Pseudo R2"); R² for OLS.
    impacts
        For models with a spatial lag of y or of X: direct, indirect and total effects indexed
        by (variable, effect) with ``estimate``, ``se``, ``z``, ``p``; ``impacts.attrs`` holds
        the method, draws and seed.
    conventions
        How the numbers were produced (weights, transform, log-determinant, variance, AIC).
    spreg
        The underlying spreg object (``.summary`` prints spreg's report).
    """

    model: str
    method: str
    y: str
    x: list[str]
    n: int
    coefficients: pd.DataFrame
    vcov: pd.DataFrame
    rho: float | None
    lam: float | None
    logl: float
    aic: float
    sc: float
    pseudo_r2: float
    pseudo_r2_e: float
    r2: float
    sig2: float
    residuals: pd.Series
    fitted: pd.Series
    conventions: dict[str, Any]
    spreg: Any = field(repr=False)
    impacts: pd.DataFrame | None = None
    tests: dict[str, Statistic] = field(default_factory=dict)
    effects: str | None = None
    label: str = ""
    _w: Any = field(default=None, repr=False)

    @property
    def schwarz(self) -> float:
        return self.sc

    @property
    def summary(self) -> str:
        """spreg's text report (its numbers before this module's corrections, if any)."""
        return str(getattr(self.spreg, "summary", ""))

    def __str__(self) -> str:
        lines = [f"{self.label}: {self.y} ~ {' + '.join(self.x)}   (n = {self.n})"]
        lines.append(self.coefficients[["estimate", "se", "z", "p"]].to_string(
            float_format=lambda v: f"{v:.6g}"))
        fit = {"log-likelihood": self.logl, "AIC": self.aic, "SC": self.sc,
               "pseudo R²": self.pseudo_r2, "R²": self.r2}
        lines.append("  ".join(f"{k} {v:.4f}" for k, v in fit.items() if np.isfinite(v)))
        if self.impacts is not None:
            lines.append(f"impacts ({self.impacts.attrs.get('method')}):")
            lines.append(self.impacts.to_string(float_format=lambda v: f"{v:.6g}"))
        return "\n".join(lines)


def _coefficients(names: Sequence[str], kinds: Sequence[str], betas: np.ndarray,
                  vm: np.ndarray, stat: Sequence | None = None) -> tuple[pd.DataFrame,
                                                                       pd.DataFrame]:
    """Coefficient table and covariance (NaN where spreg gives no variance, e.g. KP98 λ)."""
    betas = np.asarray(betas, dtype=float).ravel()
    k = len(betas)
    full = np.full((k, k), np.nan)
    m = vm.shape[0]
    full[:m, :m] = vm
    se = np.sqrt(np.diag(full))
    if stat is not None:
        zp = np.full((k, 2), np.nan)
        zp[:len(stat)] = np.asarray(stat, dtype=float)
        z, p = zp[:, 0], zp[:, 1]
    else:
        z = betas / se
        p = 2 * stats.norm.sf(np.abs(z))
    table = pd.DataFrame({"estimate": betas, "se": se, "z": z, "p": p, "kind": list(kinds)},
                         index=pd.Index(list(names), name="term"))
    vcov = pd.DataFrame(full, index=table.index, columns=table.index)
    return table, vcov


# ---------------------------------------------------------------------------- diagnostics


class Diagnostics(Mapping):
    """Spatial diagnostics of OLS residuals, a mapping of test name → :class:`Statistic`.

    Keys: ``moran_residual`` (Moran's I of the residuals with the normal approximation of
    Cliff & Ord 1981 for regression residuals), ``lm_lag``, ``lm_error``, ``rlm_lag``,
    ``rlm_error`` (Anselin, Bera, Florax & Yoon 1996) and ``sarma``.

    Attributes
    ----------
    decision
        ``"ols"``, ``"lag"`` or ``"error"`` by :data:`ANSELIN_RULE` at level ``alpha``.
    reason
        The steps of the rule as applied here, with the statistics.
    conclusive
        False when both robust tests are significant or neither is.
    rule
        The rule, spelled out.
    ols
        The OLS fit (:class:`RegressionResult`).
    nonspatial
        Jarque–Bera, Breusch–Pagan and Koenker–Bassett tests and the condition number.
    """

    def __init__(self, tests: dict[str, Statistic], ols: RegressionResult, alpha: float,
                 nonspatial: dict[str, Any]) -> None:
        self._tests = tests
        self.ols = ols
        self.alpha = alpha
        self.nonspatial = nonspatial
        self.rule = ANSELIN_RULE
        self.decision, self.reason, self.conclusive = _anselin_decision(tests, alpha)

    def __getitem__(self, key: str) -> Statistic:
        return self._tests[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tests)

    def __len__(self) -> int:
        return len(self._tests)

    def table(self) -> pd.DataFrame:
        """One row per test: statistic, df, p-value (and z for Moran's I)."""
        rows = [{"test": t.name, "statistic": t.statistic, "df": t.df, "z": t.z,
                 "p": t.p_value} for t in self._tests.values()]
        frame = pd.DataFrame(rows, index=pd.Index(list(self._tests), name="key"))
        frame.attrs = {**self.ols.conventions, "alpha": self.alpha, "decision": self.decision,
                       "rule": self.rule}
        return frame

    def __repr__(self) -> str:
        body = "\n".join(f"  {k:<15} {t.statistic:10.4f}   p = {t.p_value:.4g}"
                         for k, t in self._tests.items())
        return f"Diagnostics (n = {self.ols.n}):\n{body}\n  decision: {self.decision} — " \
               f"{self.reason}"


def _anselin_decision(tests: Mapping[str, Statistic], alpha: float) -> tuple[str, str, bool]:
    lag, err = tests["lm_lag"], tests["lm_error"]
    rlag, rerr = tests["rlm_lag"], tests["rlm_error"]

    def sig(t: Statistic) -> bool:
        return t.p_value < alpha

    def show(t: Statistic) -> str:
        return f"{t.name} = {t.statistic:.3f} (p = {t.p_value:.3g})"

    if not sig(lag) and not sig(err):
        return "ols", f"neither {show(lag)} nor {show(err)} is significant at {alpha}", True
    if sig(lag) != sig(err):
        chosen = "lag" if sig(lag) else "error"
        return chosen, (f"only {show(lag if sig(lag) else err)} is significant at {alpha} "
                        f"({show(err if sig(lag) else lag)})"), True
    both = f"both {show(lag)} and {show(err)} are significant at {alpha}; robust forms: " \
           f"{show(rlag)}, {show(rerr)}"
    if sig(rlag) != sig(rerr):
        chosen = "lag" if sig(rlag) else "error"
        return chosen, f"{both}: only the robust {chosen} test is significant", True
    chosen = "lag" if rlag.statistic >= rerr.statistic else "error"
    if sig(rlag):
        return chosen, (f"{both}: both robust tests are significant; the larger robust "
                        f"statistic points to the {chosen} model — suspect other "
                        "misspecification"), False
    return chosen, (f"{both}: neither robust test is significant, so the evidence does not "
                    f"separate lag from error; the larger robust statistic leans to {chosen}"), \
        False


def ols_diagnostics(
    data: pd.DataFrame,
    y: str,
    X: str | Sequence[str] | W | None = None,
    w: W | None = None,
    *,
    transform: str | None = "row",
    alpha: float = 0.05,
) -> Diagnostics:
    """OLS with the spatial diagnostics of its residuals and Anselin's decision rule.

    Parameters
    ----------
    data
        A (Geo)DataFrame indexed by ``adcode`` (or with an ``adcode`` column) holding ``y`` and
        the regressors; rows are aligned to ``w.id_order``.
    y, X
        The dependent variable and regressors, or a formula ``"y ~ x1 + x2"`` as ``y`` (then
        ``w`` may be passed third).
    w
        Weights keyed by ``adcode``.
    transform
        Applied to a copy of ``w`` (``"row"`` by default, as GeoDa and the LM tests' usual
        setting); ``None`` uses ``w`` as it is.
    alpha
        Significance level of the decision rule.

    Returns
    -------
    Diagnostics
        A mapping of test name → :class:`Statistic` (unpacks as ``statistic, p``), with
        ``decision``, ``reason``, ``rule`` and the OLS fit in ``ols``.
    """
    if isinstance(X, W) and w is None:
        X, w = None, X
    ols = fit(data, y, X, w, model="ols", transform=transform, diagnostics=True)
    reg = ols.spreg
    moran = reg.moran_res  # (I, z, p), Cliff–Ord moments for residuals
    tests = {
        "moran_residual": Statistic("Moran's I (error)", float(moran[0]), float(moran[2]), None,
                               "normal", float(moran[1])),
        "lm_lag": Statistic("LM-lag", *_pair(reg.lm_lag), 1),
        "rlm_lag": Statistic("Robust LM-lag", *_pair(reg.rlm_lag), 1),
        "lm_error": Statistic("LM-error", *_pair(reg.lm_error), 1),
        "rlm_error": Statistic("Robust LM-error", *_pair(reg.rlm_error), 1),
        "sarma": Statistic("LM-SARMA", *_pair(reg.lm_sarma), 2),
    }
    nonspatial = {
        "jarque_bera": Statistic("Jarque-Bera", float(reg.jarque_bera["jb"]),
                            float(reg.jarque_bera["pvalue"]), int(reg.jarque_bera["df"])),
        "breusch_pagan": Statistic("Breusch-Pagan", float(reg.breusch_pagan["bp"]),
                              float(reg.breusch_pagan["pvalue"]),
                              int(reg.breusch_pagan["df"])),
        "koenker_bassett": Statistic("Koenker-Bassett", float(reg.koenker_bassett["kb"]),
                                float(reg.koenker_bassett["pvalue"]),
                                int(reg.koenker_bassett["df"])),
        "condition_number": float(reg.mulColli),
    }
    return Diagnostics(tests, ols, alpha, nonspatial)


def _pair(values: Sequence[float]) -> tuple[float, float]:
    return float(np.asarray(values[0]).item()), float(np.asarray(values[1]).item())


# ---------------------------------------------------------------------------- fitting


def fit(
    data: pd.DataFrame,
    y: str,
    X: str | Sequence[str] | W | None = None,
    w: W | None = None,
    *,
    model: str = "lag",
    method: str = "ml",
    wx: Sequence[str] | None = None,
    transform: str | None = "row",
    logdet: LogDet = "auto",
    gmm: Literal["het", "hom", "kp98"] = "het",
    impacts: ImpactsMethod | None = "delta",
    draws: int = 1000,
    seed: int | None = None,
    diagnostics: bool = False,
    **options: Any,
) -> RegressionResult:
    """Estimate a cross-section regression with spreg.

    Parameters
    ----------
    data
        A (Geo)DataFrame indexed by ``adcode`` (or with an ``adcode`` column); rows are aligned
        to ``w.id_order`` and units missing on either side are an error.
    y, X
        Dependent variable and regressors (column names), or a formula ``"y ~ x1 + x2"`` as
        ``y`` (``w`` may then be the third argument). The intercept is always included.
    w
        Weights keyed by ``adcode``; islands are an error.
    model
        ``"ols"``; ``"slx"`` (OLS with lagged regressors WX); ``"lag"`` (SAR,
        y = ρWy + Xβ + ε); ``"error"`` (SEM, u = λWu + ε); ``"durbin"`` (SDM, lag + WX);
        ``"sdem"`` (error + WX); ``"sac"`` (lag + error; spreg offers it by GMM only).
    method
        ``"ml"`` (spreg ``ML_Lag``/``ML_Error``) or ``"gmm"``: spatial two-stage least squares
        for lag models (``GM_Lag``, instruments WX, W²X…) and the GM/GMM estimators of
        Kelejian & Prucha for error and SAC models (``GMM_Error``). Ignored for OLS and SLX.
    wx
        Regressors whose spatial lag enters SLX/SDM/SDEM models (default: all).
    transform
        Applied to a copy of ``w``: ``"row"`` (default) or ``None`` to use ``w`` as it is.
    logdet
        ML log-determinant ln|I − ρW|: ``"full"`` (dense determinant at each step),
        ``"lu"`` (sparse LU, Pace & Barry), ``"ord"`` (eigenvalues, Ord 1975) or ``"auto"``
        (``"full"`` up to 800 units, ``"lu"`` above; see ``benchmarks/bench_regression.py``).
    gmm
        GMM error estimator: ``"het"`` (Arraiz et al. 2010, heteroskedasticity-robust; spreg's
        default), ``"hom"`` (Drukker et al. 2013) or ``"kp98"`` (Kelejian & Prucha 1998/99; no
        inference on λ).
    impacts
        ``"delta"`` (default) or ``"simulation"`` standard errors of the impacts, or ``None``.
    draws, seed
        Simulation draws and seed (impacts="simulation").
    diagnostics
        OLS only: compute the spatial diagnostics too (see :func:`ols_diagnostics`).
    **options
        Passed to the spreg estimator (e.g. ``robust="white"`` for OLS and GMM lag,
        ``w_lags=2`` for GM_Lag, ``epsilon``).

    Returns
    -------
    RegressionResult
    """
    if isinstance(X, W) and w is None:
        X, w = None, X
    if w is None:
        raise RegressionError("weights w are required (spatialecon.weights.contiguity(...))")
    model = _MODEL_ALIASES.get(str(model).lower(), model)
    if model not in _LABELS:
        raise RegressionError(f"unknown model {model!r}: use ols, slx, lag, error, durbin, "
                              "sdem or sac")
    method = _METHOD_ALIASES.get(str(method).lower(), method)
    if method not in ("ml", "gmm", "ols"):
        raise RegressionError(f"unknown method {method!r}: use 'ml' or 'gmm'")
    if model in ("ols", "slx"):
        method = "ols"
    elif method == "ols":
        method = "ml"
    if model == "sac" and method == "ml":
        raise RegressionError("spreg has no ML estimator for the SAC (lag + error) model; use "
                              "method='gmm' (Kelejian–Prucha GS2SLS, spreg's GM_Combo)")
    if diagnostics and model != "ols":
        raise RegressionError("diagnostics=True applies to model='ols'")
    y_name, x_names = _spec(y, X)
    tw = _prepare_weights(w, transform)
    frame = _align(data, [y_name, *x_names], tw)
    if model != "ols" or diagnostics:  # plain OLS never uses W
        _check_islands(tw, data)
    lagged = list(x_names) if wx is None else [str(v) for v in wx]
    unknown = [v for v in lagged if v not in x_names]
    if unknown:
        raise RegressionError(f"wx lists {unknown}, which are not regressors ({x_names})")
    if model not in _HAS_WX:
        lagged = []
    elif not lagged:
        raise RegressionError(f"model {model!r} needs at least one lagged regressor in wx")
    yv = frame[[y_name]].to_numpy()
    xv = frame[x_names].to_numpy()
    Wm = tw.sparse.tocsr()
    design = np.column_stack([np.ones(len(frame)), xv,
                              Wm @ frame[lagged].to_numpy() if lagged else np.empty((len(frame),
                                                                                      0))])
    design_names = [CONSTANT, *x_names, *(f"W_{v}" for v in lagged)]
    n_params = len(design_names) + (model in _HAS_LAG) + (model in _HAS_ERROR)
    _check_design(design, design_names, yv.ravel(), y_name, n_params)
    if method == "ml":
        _check_ml_weights(Wm)
    slx_vars: Any = "All" if lagged == x_names else [v in lagged for v in x_names]
    slx = {"slx_lags": 1, "slx_vars": slx_vars} if lagged else {}
    names = {"name_y": y_name, "name_x": list(x_names)}
    n = len(frame)
    conventions: dict[str, Any] = {
        "weights": describe_weights(tw), "transform": tw.transform,
        "spreg": _spreg_version(), "constant": CONSTANT,
        "aic": _AIC_CONVENTION,
    }
    logdet_used = None
    if model in ("ols", "slx"):
        reg = _spreg("OLS", yv, xv, w=tw, spat_diag=diagnostics, moran=diagnostics,
                     **slx, **names, **options)
        conventions["variance"] = "OLS, σ² = e'e/(n − k); t-statistics"
        if options.get("robust"):
            conventions["variance"] += f"; robust={options['robust']!r}"
    elif method == "ml":
        logdet_used = _logdet_method(logdet, n)
        conventions["logdet"] = logdet_used
        conventions["variance"] = "inverse of the analytical information matrix (Anselin 1988)"
        if model in ("lag", "durbin"):
            reg = _spreg("ML_Lag", yv, xv, tw, method=logdet_used, spat_impacts=None,
                         spat_diag=bool(lagged), **slx, **names, **options)
        else:
            reg = _spreg("ML_Error", yv, xv, tw, method=logdet_used, **slx, **names, **options)
    elif model in ("lag", "durbin"):
        reg = _spreg("GM_Lag", yv, xv, w=tw, spat_impacts=None, spat_diag=False, **slx,
                     **names, **options)
        conventions["variance"] = "S2SLS (Kelejian & Prucha 1998), spreg GM_Lag" + (
            f"; robust={options['robust']!r}" if options.get("robust") else "")
        conventions["instruments"] = ", ".join(getattr(reg, "name_q", []) or [])
    else:
        reg = _spreg("GMM_Error", yv, xv, w=tw, estimator=gmm, add_wy=model == "sac", **slx,
                     **names, **options)
        conventions["variance"] = f"GMM_Error(estimator={gmm!r})"
    names_out = [*design_names]
    kinds = ["const", *(["x"] * len(x_names)), *(["wx"] * len(lagged))]
    if model in _HAS_LAG:
        names_out.append("rho")
        kinds.append("rho")
    if model in _HAS_ERROR:
        names_out.append("lambda")
        kinds.append("lambda")
    _check_spreg_names(reg, names_out, y_name)
    vm = np.asarray(reg.vm, dtype=float)
    stat = getattr(reg, "t_stat", None) if method == "ols" else getattr(reg, "z_stat", None)
    if method == "ml" and logdet_used == "ORD":
        # spreg workaround 1 (module docstring): recompute the information matrix with W.
        vm = _ml_vm_fixed(reg, Wm, model)
        stat = None
        conventions["variance"] += "; recomputed with W (spreg's 'ord' uses the symmetrised W)"
    coefficients, vcov = _coefficients(names_out, kinds, reg.betas, vm, stat)

    rho = float(coefficients.loc["rho", "estimate"]) if "rho" in coefficients.index else None
    lam = float(coefficients.loc["lambda", "estimate"]) if "lambda" in coefficients.index \
        else None
    for name, value in (("rho", rho), ("lambda", lam)):
        if value is not None and abs(value) > 0.999 and method == "ml":
            warnings.warn(f"{name} = {value:.4f} is at the edge of spreg's search interval "
                          "(-1, 1): the maximum may lie outside it", stacklevel=2)
    index = frame.index
    logl = float(np.asarray(getattr(reg, "logll", np.nan)).item())
    aic, sc = _information_criteria(logl, len(coefficients) + 1, n)
    conventions["aic_spreg"] = _float(getattr(reg, "aic", np.nan))
    result = RegressionResult(
        model=model, method=method, y=y_name, x=list(x_names), n=n,
        coefficients=coefficients, vcov=vcov, rho=rho, lam=lam, logl=logl,
        aic=aic, sc=sc, pseudo_r2=_float(getattr(reg, "pr2", np.nan)),
        pseudo_r2_e=_float(getattr(reg, "pr2_e", np.nan)),
        r2=_float(getattr(reg, "r2", np.nan)) if method == "ols" else np.nan,
        sig2=_float(getattr(reg, "sig2", np.nan)),
        residuals=pd.Series(np.asarray(reg.u).ravel(), index=index, name="residual"),
        fitted=pd.Series(np.asarray(reg.predy).ravel(), index=index, name="fitted"),
        conventions=conventions, spreg=reg,
        label=f"{_LABELS[model]}" + ("" if method == "ols" else f" ({method.upper()})"),
        _w=tw,
    )
    if hasattr(reg, "cfh_test") and reg.cfh_test is not None:
        result.tests["common_factor"] = Statistic("Common factor (SDM → SEM)",
                                             *_pair(reg.cfh_test), len(lagged), "chi2")
    if impacts is not None and (model in _HAS_LAG or lagged):
        result.impacts = compute_impacts(result, method=impacts, draws=draws, seed=seed)
    return result


def _information_criteria(logl: float, p: int, n: int) -> tuple[float, float]:
    """AIC = −2 logL + 2p and SC = −2 logL + p ln n, with p counting every estimated
    parameter: coefficients, ρ, λ, variance components and σ² — R's ``AIC()``/``BIC()`` and
    Stata's ``spregress`` convention. spreg counts inconsistently (ML_Lag counts ρ but not σ²,
    ML_Error neither λ nor σ²), which would tilt comparisons of lag and error models; its
    value is kept in ``conventions["aic_spreg"]``."""
    if not np.isfinite(logl):
        return float("nan"), float("nan")
    return -2 * logl + 2 * p, -2 * logl + p * math.log(n)


def _float(value: Any) -> float:
    try:
        return float(np.asarray(value, dtype=float).ravel()[0])
    except (TypeError, ValueError, IndexError):
        return float("nan")


def _logdet_method(logdet: str, n: int) -> str:
    logdet = str(logdet).lower()
    if logdet == "auto":
        logdet = "full" if n <= _AUTO_FULL_MAX_N else "lu"
    if logdet not in ("full", "lu", "ord"):
        raise RegressionError(f"logdet must be 'auto', 'full', 'lu' or 'ord', not {logdet!r}")
    return logdet.upper()


def _check_ml_weights(Wm: sparse.csr_matrix) -> None:
    """spreg searches ρ and λ in (−1, 1), inside the feasible interval (1/ω_min, 1/ω_max) only
    when the spectral radius of W is at most 1: row sums ≤ 1 guarantee it for non-negative
    weights (row-standardised ones); otherwise the radius is computed (ARPACK)."""
    rows = np.abs(Wm).sum(axis=1)
    if not Wm.nnz or float(rows.max()) <= 1 + 1e-9:
        return
    try:
        radius = float(np.abs(sparse_linalg.eigs(Wm.astype(float), k=1, which="LM",
                                                 return_eigenvectors=False)).max())
    except (sparse_linalg.ArpackNoConvergence, ValueError, TypeError):  # pragma: no cover
        radius = float(np.abs(np.linalg.eigvals(Wm.toarray())).max())
    if radius > 1 + 1e-8:
        raise RegressionError(
            f"ML needs weights with spectral radius at most 1 (here {radius:.4g}; largest row "
            f"sum {float(rows.max()):.4g}): spreg searches rho/lambda in (-1, 1), the feasible "
            "interval only for such weights. Use transform='row' (the default)")


def _check_spreg_names(reg: Any, names: Sequence[str], y_name: str) -> None:
    """Guard against a future spreg reordering its coefficients: its report's row names must
    be ours, with ρ named W_<y> as spreg does."""
    theirs = [str(v) for v in reg.output["var_names"]]
    ours = [f"W_{y_name}" if n == "rho" else n for n in names]
    if theirs != ours or len(np.asarray(reg.betas).ravel()) != len(names):
        raise RuntimeError(f"unexpected spreg coefficient layout {theirs} (expected {ours}); "
                           "this spreg version is not supported")


def _dense_inverse(Wm: sparse.csr_matrix, coef: float) -> np.ndarray:
    """(I − coef·W)⁻¹ as a dense array, by one sparse LU and n dense solves (about 1 s for
    2,848 counties; scipy's sparse ``inv``, which spreg uses, takes 3 s for the same)."""
    n = Wm.shape[0]
    a = (sparse.identity(n, format="csc") - coef * Wm.tocsc()).tocsc()
    return splu(a).solve(np.eye(n))


def _ml_vm_fixed(reg: Any, Wm: sparse.csr_matrix, model: str) -> np.ndarray:
    """spreg workaround 1: the information matrix of ML_Lag / ML_Error as spreg's
    ``method="full"`` computes it (BaseML_Lag/BaseML_Error), with the actual W."""
    if model in ("lag", "durbin"):
        rho = float(reg.rho)
        x = np.asarray(reg.x, dtype=float)
        k = x.shape[1]
        b = np.asarray(reg.betas, dtype=float).ravel()[:k]
        sig2 = float(np.asarray(reg.sig2).item())
        ai = _dense_inverse(Wm, rho)
        wai = Wm @ ai
        tr1 = np.trace(wai)
        tr2 = float(np.sum(wai * wai.T))
        tr3 = float(np.sum(wai * wai))
        wpredy = wai @ (x @ b)  # W (I − ρW)⁻¹ Xβ
        xtx = x.T @ x
        xtwpy = x.T @ wpredy
        info = np.zeros((k + 2, k + 2))
        info[:k, :k] = xtx / sig2
        info[:k, k] = info[k, :k] = xtwpy / sig2
        info[k, k] = tr2 + tr3 + wpredy @ wpredy / sig2
        info[k, k + 1] = info[k + 1, k] = tr1 / sig2
        info[k + 1, k + 1] = len(x) / (2 * sig2**2)
        return np.linalg.inv(info)[:-1, :-1]
    lam = float(np.asarray(reg.lam).item())
    sig2 = float(np.asarray(reg.sig2).item())
    n = Wm.shape[0]
    ai = _dense_inverse(Wm, lam)
    wai = Wm @ ai
    tr1 = np.trace(wai)
    tr2 = float(np.sum(wai * wai.T))
    tr3 = float(np.sum(wai * wai))
    info = np.array([[tr2 + tr3, tr1 / sig2], [tr1 / sig2, n / (2 * sig2**2)]])
    vm = np.array(reg.vm, dtype=float, copy=True)
    vm[-1, -1] = np.linalg.inv(info)[0, 0]
    return vm


# ---------------------------------------------------------------------------- impacts


_SPECTRUM_CACHE: dict[str, np.ndarray] = {}


def _matrix_key(m: sparse.csr_matrix) -> str:
    m = m.tocsr()
    digest = hashlib.sha1()
    for part in (np.asarray(m.shape), m.indptr, m.indices, m.data):
        digest.update(np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()


def _spectrum(w: W) -> np.ndarray:
    """Eigenvalues of W (real when W is symmetric or row-standardised from symmetric
    weights, which are then similar to a symmetric matrix), cached per matrix."""
    Wm = w.sparse.tocsr().astype(float)
    key = _matrix_key(Wm)
    if key in _SPECTRUM_CACHE:
        return _SPECTRUM_CACHE[key]
    if _is_symmetric(Wm):
        values = np.linalg.eigvalsh(Wm.toarray())
    else:
        original = transform_weights(w, "original").sparse.tocsr().astype(float)
        rows = np.asarray(original.sum(axis=1)).ravel()
        similar = (w.transform == "R" and _is_symmetric(original) and np.all(rows > 0)
                   and np.allclose((sparse.diags(1 / rows) @ original - Wm).data, 0))
        if similar:
            d = sparse.diags(rows ** -0.5)
            values = np.linalg.eigvalsh((d @ original @ d).toarray())
        else:
            values = np.linalg.eigvals(Wm.toarray())
            if np.abs(values.imag).max() < 1e-10:
                values = values.real
    if len(_SPECTRUM_CACHE) >= 4:
        _SPECTRUM_CACHE.pop(next(iter(_SPECTRUM_CACHE)))
    _SPECTRUM_CACHE[key] = values
    return values


def _is_symmetric(m: sparse.csr_matrix) -> bool:
    diff = abs(m - m.T)
    return diff.nnz == 0 or float(diff.max()) < 1e-12


class _Multipliers:
    """Averages of S(ρ) = (I − ρW)⁻¹ over units, and their derivatives in ρ.

    m1 = tr(S)/n, m2 = tr(SW)/n (from the eigenvalues ω: mean 1/(1−ρω), mean ω/(1−ρω));
    t1 = 1'S1/n, t2 = 1'SW1/n (1/(1−ρ) for row-standardised W, else sparse solves).
    """

    def __init__(self, w: W, spectrum: bool = True) -> None:
        self.Wm = w.sparse.tocsr().astype(float)
        self.n = self.Wm.shape[0]
        self.omega = _spectrum(w) if spectrum else np.zeros(self.n)
        rows = np.asarray(self.Wm.sum(axis=1)).ravel()
        self.rowstd = bool(np.allclose(rows, 1.0))
        self.w1 = rows

    def at(self, rho: np.ndarray) -> dict[str, np.ndarray]:
        rho = np.atleast_1d(np.asarray(rho, dtype=float))
        out = {k: np.empty(len(rho)) for k in ("m1", "m2", "dm1", "dm2", "t1", "t2", "dt1",
                                                 "dt2")}
        chunk = max(1, 4_000_000 // max(self.n, 1))
        for start in range(0, len(rho), chunk):
            r = rho[start:start + chunk, None]
            inv = 1.0 / (1.0 - r * self.omega[None, :])
            out["m1"][start:start + chunk] = inv.mean(axis=1).real
            out["m2"][start:start + chunk] = (self.omega * inv).mean(axis=1).real
            out["dm1"][start:start + chunk] = (self.omega * inv**2).mean(axis=1).real
            out["dm2"][start:start + chunk] = (self.omega**2 * inv**2).mean(axis=1).real
        if self.rowstd:
            out["t1"] = out["t2"] = 1.0 / (1.0 - rho)
            out["dt1"] = out["dt2"] = 1.0 / (1.0 - rho) ** 2
        else:
            ones = np.ones(self.n)
            for i, r in enumerate(rho):
                lu = splu((sparse.identity(self.n, format="csc") - r * self.Wm).tocsc())
                s1, sw1 = lu.solve(ones), lu.solve(self.w1)
                out["t1"][i], out["t2"][i] = s1.mean(), sw1.mean()
                out["dt1"][i] = lu.solve(self.Wm @ s1).mean()
                out["dt2"][i] = lu.solve(self.Wm @ sw1).mean()
        return out


def compute_impacts(
    result: RegressionResult,
    *,
    method: ImpactsMethod = "delta",
    draws: int = 1000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Average direct, indirect and total impacts (LeSage & Pace 2009, ch. 2.7).

    For y = ρWy + Xβ + WXθ + ε the effect of regressor k is S_k = (I − ρW)⁻¹(β_k I + θ_k W);
    direct = tr(S_k)/n, total = 1'S_k 1/n, indirect = total − direct. Without ρ (SLX, SDEM)
    direct = β_k and indirect = θ_k·(mean row sum of W). Traces use the eigenvalues of W
    (exact); totals use 1/(1 − ρ) for row-standardised W.

    Parameters
    ----------
    result
        A fitted model with a spatial lag of y or of X.
    method
        ``"delta"``: first-order delta method with the model's covariance of (β, θ, ρ) (as
        Stata's ``estat impact``). ``"simulation"``: ``draws`` parameter vectors from the
        estimated normal sampling distribution (LeSage & Pace; R's
        ``spatialreg::impacts(R=…)``); the standard error is the standard deviation of the
        simulated impacts; draws with ρ outside the stationary interval (1/ω_min, 1/ω_max)
        are dropped and counted.
    draws, seed
        Number of draws and the seed of ``numpy.random.default_rng`` (simulation only).

    Returns
    -------
    pandas.DataFrame
        Indexed by (``variable``, ``effect``) with ``estimate`` (at the estimates), ``se``,
        ``z`` = estimate/se and two-sided normal ``p``; ``attrs`` records the conventions.
    """
    if method not in ("delta", "simulation"):
        raise RegressionError(f"impacts method must be 'delta' or 'simulation', not {method!r}")
    coef = result.coefficients
    has_rho = "rho" in coef.index
    lagged = [v for v in result.x if f"W_{v}" in coef.index]
    if not has_rho and not lagged:
        raise RegressionError(f"{result.label} has no spatial lag of y or X: its impacts are "
                              "the coefficients")
    terms = [*result.x, *(f"W_{v}" for v in lagged), *(["rho"] if has_rho else [])]
    theta = coef.loc[terms, "estimate"].to_numpy()
    V = result.vcov.loc[terms, terms].to_numpy()
    if not np.all(np.isfinite(V)):
        raise RegressionError("the covariance of the coefficients has missing entries; "
                              "impacts need it (GMM 'kp98' gives no variance for lambda only)")
    k = len(result.x)
    pos_theta = {v: k + i for i, v in enumerate(lagged)}
    mult = _Multipliers(result._w, spectrum=has_rho)

    def evaluate(params: np.ndarray, parts: dict[str, np.ndarray]) -> np.ndarray:
        """Impacts (draws × variables × 3) for parameter rows ``params``."""
        beta = params[:, :k]
        th = np.zeros_like(beta)
        for j, v in enumerate(result.x):
            if v in pos_theta:
                th[:, j] = params[:, pos_theta[v]]
        if has_rho:
            direct = beta * parts["m1"][:, None] + th * parts["m2"][:, None]
            total = beta * parts["t1"][:, None] + th * parts["t2"][:, None]
        else:
            direct = beta
            total = beta + th * mult.w1.mean()
        return np.stack([direct, total - direct, total], axis=-1)

    rho_hat = np.array([theta[-1]]) if has_rho else np.zeros(1)
    point_parts = mult.at(rho_hat) if has_rho else {}
    point = evaluate(theta[None, :], point_parts)[0]
    attrs: dict[str, Any] = {
        "method": method, "reference": "LeSage & Pace (2009)",
        "traces": "eigenvalues of W (exact)" if has_rho else "no rho: direct = beta",
        "total": "1/(1 - rho) (row-standardised W)" if mult.rowstd
        else "sparse solves of (I - rho W)"}
    if method == "delta":
        # gradients of (direct, indirect, total) of each variable in (β, θ, ρ)
        grads = np.zeros((k, 3, len(terms)))
        p = {key: float(val[0]) for key, val in point_parts.items()}
        for j, v in enumerate(result.x):
            jt = pos_theta.get(v)
            b, t = theta[j], (theta[jt] if jt is not None else 0.0)
            if has_rho:
                grads[j, 0, j], grads[j, 2, j] = p["m1"], p["t1"]
                grads[j, 0, -1] = b * p["dm1"] + t * p["dm2"]
                grads[j, 2, -1] = b * p["dt1"] + t * p["dt2"]
                if jt is not None:
                    grads[j, 0, jt], grads[j, 2, jt] = p["m2"], p["t2"]
            else:
                grads[j, 0, j] = grads[j, 2, j] = 1.0
                if jt is not None:
                    grads[j, 2, jt] = mult.w1.mean()
            grads[j, 1] = grads[j, 2] - grads[j, 0]
        se = np.sqrt(np.einsum("vei,ij,vej->ve", grads, V, grads))
    else:
        rng = np.random.default_rng(seed)
        sample = rng.multivariate_normal(theta, V, size=draws, method="eigh")
        dropped = 0
        if has_rho:
            real = mult.omega.real
            low = 1 / real.min() if real.min() < 0 else -np.inf
            high = 1 / real.max()
            ok = (sample[:, -1] > low) & (sample[:, -1] < high)
            dropped = int((~ok).sum())
            sample = sample[ok]
            if dropped > 0.01 * draws:
                warnings.warn(f"{dropped} of {draws} simulated rho fell outside the stationary "
                              f"interval ({low:.3f}, {high:.3f}) and were dropped", stacklevel=2)
        parts = mult.at(sample[:, -1]) if has_rho else {}
        simulated = evaluate(sample, parts)
        se = simulated.std(axis=0, ddof=1)
        attrs.update({"draws": draws, "seed": seed, "dropped_draws": dropped,
                      "simulated_mean": simulated.mean(axis=0).tolist()})
    effects = ["direct", "indirect", "total"]
    index = pd.MultiIndex.from_product([result.x, effects], names=["variable", "effect"])
    est = point.reshape(-1)
    se = se.reshape(-1)
    z = est / se
    table = pd.DataFrame({"estimate": est, "se": se, "z": z,
                          "p": 2 * stats.norm.sf(np.abs(z))}, index=index)
    table.attrs = attrs
    return table


# ---------------------------------------------------------------------------- panels


_PANEL_CLASSES = {("lag", "fixed"): "ML_LagFE", ("error", "fixed"): "ML_ErrorFE",
                  ("lag", "random"): "ML_LagRE", ("error", "random"): "ML_ErrorRE"}


def panel_arrays(panel: pd.DataFrame, variables: Sequence[str], w: W,
                 years: Sequence[int] | None = None) -> tuple[pd.DataFrame, list[int]]:
    """A balanced panel as a frame indexed by (year, adcode) — years outer, units in
    ``w.id_order`` inner, the stacking spreg's panel estimators expect — with one column per
    variable. Gaps, duplicates and units missing on either side are errors naming them."""
    from spatialecon.panel import TIDY_COLUMNS

    missing_columns = set(TIDY_COLUMNS) - set(panel.columns)
    if missing_columns:
        raise RegressionError(f"not a tidy panel (adcode, year, variable, value): missing "
                              f"column(s) {sorted(missing_columns)}")
    unknown = [v for v in variables if v not in set(panel["variable"])]
    if unknown:
        raise RegressionError(f"variable(s) {unknown} are not in the panel; it has "
                              f"{sorted(panel['variable'].unique())}")
    data = panel[panel["variable"].isin(variables)]
    if years is not None:
        data = data[data["year"].isin(list(years))]
    duplicated = data.duplicated(["adcode", "year", "variable"], keep=False)
    if duplicated.any():
        rows = data[duplicated][["adcode", "year", "variable"]].drop_duplicates().head(10)
        raise RegressionError("unit-year-variable rows appear more than once: "
                              + "; ".join(f"{a} {y} {v}" for a, y, v in rows.itertuples(
                                  index=False)))
    ids = list(w.id_order)
    in_panel = set(data["adcode"])
    extra = sorted(in_panel - set(ids))
    absent = [i for i in ids if i not in in_panel]
    if extra or absent:
        parts = []
        if absent:
            parts.append(f"{len(absent)} unit(s) of the weights are not in the panel: "
                         f"{_units(absent)}")
        if extra:
            parts.append(f"{len(extra)} unit(s) of the panel are not in the weights: "
                         f"{_units(extra)}")
        raise RegressionError("; ".join(parts))
    year_list = sorted(int(y) for y in data["year"].unique()) if years is None \
        else [int(y) for y in years]
    if len(year_list) < 2:
        raise RegressionError(f"a panel needs at least two years; it has {year_list}")
    wide = data.pivot_table(index=["year", "adcode"], columns="variable", values="value",
                            aggfunc="first", dropna=False)
    full = pd.MultiIndex.from_product([year_list, ids], names=["year", "adcode"])
    wide = wide.reindex(full)
    wide = wide.reindex(columns=list(variables))
    gaps = wide.isna()
    if gaps.to_numpy().any():
        cells = [(a, y, v) for (y, a), row in gaps.iterrows() for v in row.index[row.to_numpy()]]
        by_var = {v: int(gaps[v].sum()) for v in variables if gaps[v].any()}
        shown = "; ".join(f"{v} for {a} in {y}" for a, y, v in cells[:10])
        raise RegressionError(
            f"the panel has gaps — {len(cells)} missing unit-year value(s) "
            f"({', '.join(f'{v}: {c}' for v, c in by_var.items())}): {shown}"
            f"{' …' if len(cells) > 10 else ''}. spreg's panel estimators need a balanced "
            "panel: fill or interpolate the values, or drop those units or years")
    wide.columns.name = None
    return wide.astype(float), year_list


def fit_panel(
    panel: pd.DataFrame,
    y: str,
    X: str | Sequence[str] | W | None = None,
    w: W | None = None,
    *,
    model: Literal["lag", "error"] = "lag",
    effects: Literal["fixed", "random"] = "fixed",
    years: Sequence[int] | None = None,
    transform: str | None = "row",
    impacts: ImpactsMethod | None = "delta",
    draws: int = 1000,
    seed: int | None = None,
) -> RegressionResult:
    """Spatial panel models by ML (Elhorst 2003, 2014) with spreg's ``ML_LagFE``,
    ``ML_ErrorFE``, ``ML_LagRE`` and ``ML_ErrorRE``.

    Parameters
    ----------
    panel
        A tidy panel (``adcode, year, variable, value``), e.g. from
        :func:`spatialecon.panel.read_panel`. It must be balanced over ``w``'s units and the
        years used: gaps are an error naming units, years and variables.
    y, X
        Dependent variable and regressors (panel variables), or a formula.
    w
        Weights keyed by ``adcode`` (the same every year).
    model, effects
        ``"lag"`` or ``"error"``; ``"fixed"`` (unit fixed effects by the within transformation;
        no intercept, time-invariant regressors are an error) or ``"random"``.
    years
        Years to use (default: all in the panel).
    transform, impacts, draws, seed
        As in :func:`fit`.

    Returns
    -------
    RegressionResult
        With ``effects`` set; ``n`` counts unit-years, ``conventions`` the units and years.
        Random effects add ``phi`` (lag; spreg's θ of the partial demeaning) or ``sigma2_u``
        (error) with kind ``variance``.
    """
    import spreg

    if isinstance(X, W) and w is None:
        X, w = None, X
    if w is None:
        raise RegressionError("weights w are required")
    model = _MODEL_ALIASES.get(str(model).lower(), model)
    if model not in ("lag", "error"):
        raise RegressionError(f"panel model must be 'lag' or 'error', not {model!r}")
    if effects not in ("fixed", "random"):
        raise RegressionError(f"effects must be 'fixed' or 'random', not {effects!r}")
    if not hasattr(spreg, "ML_LagFE"):
        raise ImportError("spatial panels need spreg >= 1.9 (ML_LagFE …); its deprecated "
                          "Panel_FE_Lag misstates the log-likelihood")
    y_name, x_names = _spec(y, X)
    tw = _prepare_weights(w, transform)
    _check_islands(tw, None)
    _check_ml_weights(tw.sparse.tocsr())
    wide, year_list = panel_arrays(panel, [y_name, *x_names], tw, years)
    N, T = tw.n, len(year_list)
    yv = wide[[y_name]].to_numpy()
    xv = wide[x_names].to_numpy()
    if effects == "fixed":
        within = (wide.groupby(level="adcode").transform("mean"))
        demeaned = wide - within
        invariant = [v for v in x_names if np.allclose(demeaned[v].to_numpy(), 0)]
        if invariant:
            raise RegressionError(f"regressor(s) {invariant} do not vary over time within any "
                                  "unit: the fixed-effects (within) transformation removes "
                                  "them; use effects='random' or drop them")
        _check_design(demeaned[x_names].to_numpy(), list(x_names),
                      demeaned[y_name].to_numpy(), y_name,
                      len(x_names) + 1 + N, "unit-years")
    else:
        _check_design(np.column_stack([np.ones(len(wide)), xv]), [CONSTANT, *x_names],
                      yv.ravel(), y_name, len(x_names) + 3, "unit-years")
    names = {"name_y": y_name, "name_x": list(x_names)}
    conventions: dict[str, Any] = {
        "weights": describe_weights(tw), "transform": tw.transform,
        "spreg": _spreg_version(), "units": N, "years": year_list,
        "stacking": "year-major, units in w.id_order",
        "variance": "inverse of the analytical information matrix (spreg)",
        "aic": _AIC_CONVENTION,
    }
    cls = _PANEL_CLASSES[(model, effects)]
    kwargs = {"spat_impacts": None} if model == "lag" else {}
    Wm = tw.sparse.tocsr()
    if cls == "ML_ErrorRE":
        # spreg workaround 2 (module docstring).
        reg = _ml_error_re_exact(yv, xv, tw, T, y_name, list(x_names))
        conventions["variance"] = ("observed information (numerical Hessian of the exact "
                                   "log-likelihood)")
        conventions["estimator"] = (
            "exact ML (spreg's ML_ErrorRE replaced: its likelihood assumes symmetric W"
            + ("" if _is_symmetric(Wm) else ", which this W is not")
            + ", and its variance of sigma2_u is not the inverse information)")
    else:
        reg = _spreg(cls, yv, xv, tw, **kwargs, **names)
    if effects == "fixed":
        names_out, kinds = list(x_names), ["x"] * len(x_names)
    else:
        names_out, kinds = [CONSTANT, *x_names], ["const", *(["x"] * len(x_names))]
    names_out.append("rho" if model == "lag" else "lambda")
    kinds.append("rho" if model == "lag" else "lambda")
    if effects == "random":
        names_out.append("phi" if model == "lag" else "sigma2_u")
        kinds.append("variance")
    betas = np.asarray(reg.betas, dtype=float).ravel()
    if len(betas) != len(names_out):
        raise RuntimeError(f"unexpected spreg coefficient layout {reg.name_x}")
    coefficients, vcov = _coefficients(names_out, kinds, betas, np.asarray(reg.vm, float))
    logl = _float(reg.logll)
    aic, sc = _information_criteria(logl, len(coefficients) + 1, N * T)
    conventions["aic_spreg"] = _float(getattr(reg, "aic", np.nan))
    index = pd.MultiIndex.from_tuples([(a, yr) for yr, a in wide.index],
                                      names=["adcode", "year"])
    result = RegressionResult(
        model=model, method="ml", y=y_name, x=list(x_names), n=N * T,
        coefficients=coefficients, vcov=vcov,
        rho=float(coefficients.loc["rho", "estimate"]) if model == "lag" else None,
        lam=float(coefficients.loc["lambda", "estimate"]) if model == "error" else None,
        logl=logl, aic=aic, sc=sc, pseudo_r2=_float(getattr(reg, "pr2", np.nan)),
        pseudo_r2_e=_float(getattr(reg, "pr2_e", np.nan)), r2=np.nan,
        sig2=_float(getattr(reg, "sig2", np.nan)),
        residuals=pd.Series(np.asarray(reg.u).ravel(), index=index, name="residual"),
        fitted=pd.Series(np.asarray(reg.predy).ravel(), index=index, name="fitted"),
        conventions=conventions, spreg=reg, effects=effects,
        label=f"{_LABELS[model]}-{'FE' if effects == 'fixed' else 'RE'}", _w=tw,
    )
    if impacts is not None and model == "lag":
        result.impacts = compute_impacts(result, method=impacts, draws=draws, seed=seed)
    return result


class _ExactErrorRE:
    """spreg workaround 2: the random-effects spatial error model (Anselin 1988; Elhorst
    2003), y_t = Xβ + μ + u_t, u_t = λWu_t + ε_t, by exact ML for any W.

    With B = I − λW, φ = σ²_μ/σ² and V = TφI + (B'B)⁻¹, the transformation spreg uses,
    e*_t = B(e_t − ē) + V^{-1/2} ē, whitens the errors, and
    logL = −NT/2 ln(2πσ²) − ½ ln|V| + (T − 1) ln|B| − e*'e*/(2σ²).
    spreg takes V^{-1/2} and |V| from the eigenvectors of W, which is right only for symmetric
    W; here they come from V itself (N × N, cheap for provinces and prefectures).
    """

    def __init__(self, y: np.ndarray, x: np.ndarray, Wd: np.ndarray, T: int) -> None:
        self.N = Wd.shape[0]
        self.T = T
        self.W = Wd
        self.Y = y.reshape(T, self.N)
        self.X = x.reshape(T, self.N, -1)
        self.Ybar = self.Y.mean(axis=0)
        self.Xbar = self.X.mean(axis=0)

    def _parts(self, lam: float, phi: float) -> tuple[np.ndarray, np.ndarray, float, float]:
        eye = np.eye(self.N)
        B = eye - lam * self.W
        bb_inv = np.linalg.inv(B.T @ B)
        V = self.T * phi * eye + bb_inv
        V = (V + V.T) / 2
        values, vectors = np.linalg.eigh(V)
        v_half = (vectors / np.sqrt(values)) @ vectors.T
        ys = (self.Y - self.Ybar) @ B.T + self.Ybar @ v_half.T
        xs = np.einsum("ij,tjk->tik", B, self.X - self.Xbar) + \
            np.einsum("ij,jk->ik", v_half, self.Xbar)[None]
        logdet_b = np.linalg.slogdet(B)[1]
        return ys.reshape(-1), xs.reshape(-1, self.X.shape[2]), float(np.log(values).sum()), \
            float(logdet_b)

    def loglik(self, lam: float, phi: float, beta: np.ndarray | None = None,
               sig2: float | None = None) -> tuple[float, np.ndarray, float]:
        ys, xs, logdet_v, logdet_b = self._parts(lam, phi)
        if beta is None:
            beta = np.linalg.lstsq(xs, ys, rcond=None)[0]
        e = ys - xs @ beta
        nt = len(ys)
        if sig2 is None:
            sig2 = float(e @ e / nt)
        ll = (-nt / 2 * np.log(2 * np.pi * sig2) - 0.5 * logdet_v
              + (self.T - 1) * logdet_b - e @ e / (2 * sig2))
        return float(ll), beta, sig2


def _ml_error_re_exact(y: np.ndarray, x: np.ndarray, w: W, T: int, y_name: str,
                       x_names: list[str]) -> Any:
    """Run spreg's ML_ErrorRE (for its start values and attribute layout), then replace the
    estimates by the exact ML ones and the variance by the inverse observed information of
    (β, λ, σ²_μ, σ²)."""
    start = _spreg("ML_ErrorRE", y, x, w, name_y=y_name, name_x=x_names)
    X1 = np.column_stack([np.ones(len(x)), x])
    Wd = w.sparse.toarray()
    model = _ExactErrorRE(y.ravel(), X1, Wd, T)
    omega = np.linalg.eigvals(Wd).real
    low, high = 1 / omega.min() + 1e-6, 1 / omega.max() - 1e-6
    lam0 = float(np.clip(np.asarray(start.lam).item(), low + 1e-3, high - 1e-3))
    phi0 = max(float(np.asarray(start.sig2_u).item() / np.asarray(start.sig2).item()), 1e-3)

    def negative(p: np.ndarray) -> float:
        return -model.loglik(p[0], p[1])[0]

    best = optimize.minimize(negative, [lam0, phi0], method="L-BFGS-B",
                             bounds=[(max(low, -0.999), min(high, 0.999)), (0.0, 1e8)],
                             options={"ftol": 1e-13, "gtol": 1e-9, "maxiter": 500})
    lam, phi = (float(v) for v in best.x)
    ll, beta, sig2 = model.loglik(lam, phi)
    theta = np.concatenate([beta, [lam, phi * sig2, sig2]])
    k = len(beta)

    def full(params: np.ndarray) -> float:
        s2u, s2 = params[k + 1], params[k + 2]
        return model.loglik(params[k], s2u / s2, params[:k], s2)[0]

    hessian = _numerical_hessian(full, theta)
    vm_all = np.linalg.inv(-hessian)
    start.betas = np.concatenate([beta, [lam, phi * sig2]])[:, None]
    start.vm = vm_all[:-1, :-1]
    start.lam, start.sig2, start.sig2_u, start.logll = lam, sig2, phi * sig2, ll
    start.u = y - X1 @ beta[:, None]
    start.predy = y - start.u
    start.aic = start.schwarz = float("nan")  # recomputed by fit_panel
    start.pr2 = float(np.corrcoef(y.ravel(), start.predy.ravel())[0, 1] ** 2)
    start.summary = ("spreg's ML_ErrorRE report is not shown: its estimates assume a symmetric "
                     "W and were replaced by the exact ML estimates (spatialecon.regression)")
    return start


def _numerical_hessian(f: Any, x: np.ndarray) -> np.ndarray:
    """Central-difference Hessian (steps 1e-4 relative), for the observed information."""
    x = np.asarray(x, dtype=float)
    h = 1e-4 * np.maximum(np.abs(x), 1e-2)
    k = len(x)
    H = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            def shifted(si: float, sj: float, i: int = i, j: int = j) -> float:
                z = x.copy()
                z[i] += si * h[i]
                z[j] += sj * h[j]
                return f(z)
            H[i, j] = H[j, i] = (shifted(1, 1) - shifted(1, -1) - shifted(-1, 1)
                                 + shifted(-1, -1)) / (4 * h[i] * h[j])
    return H


# ---------------------------------------------------------------------------- tables


_STAT_ROWS = {
    "n": ("Observations", "{:,.0f}"),
    "logl": ("Log-likelihood", "{:.3f}"),
    "aic": ("AIC", "{:.3f}"),
    "sc": ("SC (BIC)", "{:.3f}"),
    "r2": ("R²", "{:.4f}"),
    "pseudo_r2": ("Pseudo R²", "{:.4f}"),
    "sig2": ("σ²", "{:.4f}"),
}
_SPATIAL_LABELS = {"rho": "ρ (W·y)", "lambda": "λ (W·u)"}


@dataclass
class ComparisonTable:
    """Several models side by side: coefficients with stars, standard errors in parentheses
    underneath, fit statistics below — the layout of Stata's ``esttab`` and R's
    ``modelsummary``.

    Attributes
    ----------
    cells
        The formatted table (strings); rows in ``row_kinds`` order.
    row_kinds
        ``"coef"``, ``"se"``, ``"stat"`` or ``"section"`` for each row of ``cells``.
    tidy
        The numbers behind it: model, term, estimate, se, z, p.
    results
        The fitted models, in column order.
    note
        The footnote (standard errors, stars, estimators).
    """

    cells: pd.DataFrame
    row_kinds: list[str]
    tidy: pd.DataFrame
    results: list[RegressionResult]
    note: str
    diagnostics: Diagnostics | None = None

    # ---- writers
    def _write(self, text: str, path: str | Path | None, encoding: str = "utf-8") -> str:
        if path is not None:
            with atomic_path(path) as tmp:
                Path(tmp).write_text(text, encoding=encoding)
        return text

    def to_csv(self, path: str | Path | None = None) -> str:
        """CSV of the displayed table (UTF-8 with BOM when written, so Excel reads Chinese)."""
        frame = self.cells.reset_index()
        frame.columns = ["", *self.cells.columns]
        out = io.StringIO()
        # the note goes under the table as one quoted cell, so the file stays rectangular CSV
        frame = pd.concat([frame, pd.DataFrame([[self.note] + [""] * len(self.cells.columns)],
                                               columns=frame.columns)], ignore_index=True)
        frame.to_csv(out, index=False, lineterminator="\n")
        return self._write(out.getvalue(), path, "utf-8-sig")

    def to_markdown(self, path: str | Path | None = None) -> str:
        """A GitHub-flavoured Markdown table, cells escaped (``|``, ``*``, ``\\``)."""
        def esc(text: str) -> str:
            return (str(text).replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*")
                    .replace("_", "\\_").replace("<", "&lt;").replace(">", "&gt;"))

        header = ["", *self.cells.columns]
        lines = ["| " + " | ".join(esc(h) for h in header) + " |",
                 "|" + "|".join([":---", *[":---:"] * len(self.cells.columns)]) + "|"]
        for label, row in self.cells.iterrows():
            lines.append("| " + " | ".join(esc(v) for v in [label, *row.tolist()]) + " |")
        lines.append("")
        lines.append(esc(self.note))
        return self._write("\n".join(lines) + "\n", path)

    def to_html(self, path: str | Path | None = None) -> str:
        """An HTML ``<table>``; every name and cell is escaped (names come from user data)."""
        def cell(text: str) -> str:
            escaped = html.escape(str(text))
            return re.sub(r"(\*+)$", r"<sup>\1</sup>", escaped)

        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in self.cells.columns)
        rows = []
        for (label, row), kind in zip(self.cells.iterrows(), self.row_kinds, strict=True):
            tds = "".join(f"<td>{cell(v)}</td>" for v in row.tolist())
            rows.append(f'<tr class="{kind}"><th scope="row">{html.escape(str(label))}</th>'
                        f"{tds}</tr>")
        body = "\n".join(rows)
        ncol = len(self.cells.columns) + 1
        text = ('<table class="regression-table">\n'
                f"<thead><tr><th></th>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n"
                f'<tfoot><tr><td colspan="{ncol}">{html.escape(self.note)}</td></tr>'
                "</tfoot>\n</table>\n")
        return self._write(text, path)

    def to_latex(self, path: str | Path | None = None) -> str:
        """A booktabs ``tabular``; special characters in names are escaped."""
        def cell(text: str) -> str:
            text = str(text)
            match = re.match(r"^(.*?)(\*+)$", text)
            stars = ""
            if match:
                text, stars = match.group(1), f"$^{{{match.group(2)}}}$"
            return _latex_escape(text) + stars

        ncol = len(self.cells.columns)
        lines = [r"\begin{tabular}{l" + "c" * ncol + "}", r"\toprule",
                 " & " + " & ".join(cell(c) for c in self.cells.columns) + r" \\",
                 r"\midrule"]
        previous = None
        for (label, row), kind in zip(self.cells.iterrows(), self.row_kinds, strict=True):
            if kind == "stat" and previous != "stat":
                lines.append(r"\midrule")
            if kind == "section":
                lines.append(r"\midrule")
                lines.append(rf"\multicolumn{{{ncol + 1}}}{{l}}{{\textit{{"
                             f"{_latex_escape(str(label))}}}}}" + r" \\")
            else:
                lines.append(" & ".join([_latex_label(str(label)),
                                         *(cell(v) for v in row.tolist())]) + r" \\")
            previous = kind
        lines += [r"\bottomrule", r"\multicolumn{" + str(ncol + 1) + r"}{l}{\footnotesize "
                  + _latex_escape(self.note) + r"} \\", r"\end{tabular}"]
        return self._write("\n".join(lines) + "\n", path)

    def __str__(self) -> str:
        return self.cells.to_string() + "\n" + self.note


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def _latex_escape(text: str) -> str:
    out = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
    out = out.replace("<", r"$<$").replace(">", r"$>$")
    return out.replace("σ²", r"$\sigma^2$").replace("R²", r"$R^2$").replace("ρ", r"$\rho$") \
        .replace("λ", r"$\lambda$").replace("·", r"$\cdot$")


def _latex_label(text: str) -> str:
    return _latex_escape(text)


def _stars(p: float, levels: Sequence[float]) -> str:
    if not np.isfinite(p):
        return ""
    return "*" * sum(p < level for level in levels)


def compare(
    results: Sequence[RegressionResult] | Mapping[str, RegressionResult],
    *,
    names: Sequence[str] | None = None,
    digits: int = 3,
    stars: Sequence[float] = (0.10, 0.05, 0.01),
    stats: Sequence[str] = ("n", "logl", "aic", "sc", "r2", "pseudo_r2"),
    impacts: bool = False,
    constant: Literal["first", "last"] = "last",
) -> ComparisonTable:
    """A publication table of several models.

    Parameters
    ----------
    results
        Fitted models (from :func:`fit` / :func:`fit_panel`), or a mapping column name →
        model.
    names
        Column headers (default "(1) OLS", "(2) SAR (ML)", …).
    digits
        Decimals of coefficients and standard errors.
    stars
        p-value thresholds for one, two, three stars (default 0.10, 0.05, 0.01).
    stats
        Fit statistics below the coefficients: ``n``, ``logl``, ``aic``, ``sc``, ``r2``,
        ``pseudo_r2``, ``sig2``.
    impacts
        Add the direct, indirect and total impacts (with their standard errors) of the models
        that have them.
    constant
        Put the intercept first or last (Stata's ``esttab`` puts it last).

    Returns
    -------
    ComparisonTable
        With ``to_csv``, ``to_markdown``, ``to_html`` and ``to_latex``.
    """
    if isinstance(results, Mapping):
        names = list(results) if names is None else list(names)
        results = list(results.values())
    results = list(results)
    if not results:
        raise RegressionError("compare needs at least one result")
    if names is None:
        names = [f"({i}) {r.label}" for i, r in enumerate(results, start=1)]
    if len(names) != len(results) or len(set(names)) != len(names):
        raise RegressionError("names must be unique, one per result")
    unknown = [s for s in stats if s not in _STAT_ROWS]
    if unknown:
        raise RegressionError(f"unknown statistic(s) {unknown}; use {list(_STAT_ROWS)}")
    levels = sorted(stars, reverse=True)
    terms: list[str] = []
    for kind in ("x", "wx"):
        for r in results:
            for term, row in r.coefficients.iterrows():
                if row["kind"] == kind and term not in terms:
                    terms.append(term)
    has_constant = any(CONSTANT in r.coefficients.index for r in results)
    if has_constant:
        terms = [CONSTANT, *terms] if constant == "first" else [*terms, CONSTANT]
    spatial = [t for t in ("rho", "lambda") if any(t in r.coefficients.index for r in results)]
    fmt = f"{{:.{digits}f}}"
    rows: list[tuple[str, list[str], str]] = []

    def add_pair(label: str, values: list[tuple[float, float, float] | None]) -> None:
        coef_cells, se_cells = [], []
        for value in values:
            if value is None:
                coef_cells.append("")
                se_cells.append("")
                continue
            est, se, p = value
            coef_cells.append(fmt.format(est) + _stars(p, levels))
            se_cells.append(f"({fmt.format(se)})" if np.isfinite(se) else "")
        rows.append((label, coef_cells, "coef"))
        rows.append(("", se_cells, "se"))

    def lookup(r: RegressionResult, term: str) -> tuple[float, float, float] | None:
        if term not in r.coefficients.index:
            return None
        row = r.coefficients.loc[term]
        return float(row["estimate"]), float(row["se"]), float(row["p"])

    for term in terms:
        add_pair(term, [lookup(r, term) for r in results])
    for term in spatial:
        add_pair(_SPATIAL_LABELS[term], [lookup(r, term) for r in results])
    if impacts:
        variables = [v for v in dict.fromkeys(v for r in results for v in r.x)]
        for effect in ("direct", "indirect", "total"):
            rows.append((f"{effect.capitalize()} impacts", [""] * len(results), "section"))
            for v in variables:
                values = []
                for r in results:
                    table = r.impacts
                    if table is None or (v, effect) not in table.index:
                        values.append(None)
                    else:
                        row = table.loc[(v, effect)]
                        values.append((float(row["estimate"]), float(row["se"]),
                                       float(row["p"])))
                add_pair(v, values)
    for stat in stats:
        label, stat_fmt = _STAT_ROWS[stat]
        values = [getattr(r, stat) for r in results]
        cells = [stat_fmt.format(v) if v is not None and np.isfinite(v) else "" for v in values]
        if any(cells):
            rows.append((label, cells, "stat"))
    cells = pd.DataFrame([r[1] for r in rows], columns=list(names),
                         index=pd.Index([r[0] for r in rows]))
    star_note = ", ".join(f"{'*' * (i + 1)} p < {lvl:g}" for i, lvl in enumerate(levels))
    estimators = "; ".join(f"{n}: {r.conventions.get('variance', '')}"
                           for n, r in zip(names, results, strict=True))
    weights = sorted({r.conventions.get("weights", "") for r in results})
    dependent = ", ".join(dict.fromkeys(r.y for r in results))
    note = (f"Dependent variable: {dependent}. Standard errors in parentheses; {star_note} "
            "(two-sided; t-tests for OLS/SLX, z-tests otherwise). AIC/SC count all parameters "
            f"incl. σ². Weights: {' | '.join(weights)}. Variance: {estimators}.")
    if impacts:
        methods = sorted({str(r.impacts.attrs.get("method")) for r in results
                          if r.impacts is not None})
        note += f" Impacts: LeSage & Pace averages, {', '.join(methods)} standard errors."
    tidy = pd.concat(
        [r.coefficients.reset_index().assign(model=n) for n, r in zip(names, results,
                                                                       strict=True)],
        ignore_index=True)[["model", "term", "kind", "estimate", "se", "z", "p"]]
    return ComparisonTable(cells=cells, row_kinds=[r[2] for r in rows], tidy=tidy,
                           results=results, note=note)


def compare_models(
    data: pd.DataFrame,
    y: str,
    X: str | Sequence[str] | W | None = None,
    w: W | None = None,
    *,
    models: Sequence[str] = DEFAULT_COMPARISON,
    method: str = "ml",
    impacts: bool = False,
    **kwargs: Any,
) -> ComparisonTable:
    """OLS and spatial models of one specification side by side, with the OLS diagnostics.

    ``compare_models(units, "y ~ x1 + x2", w)`` fits OLS, SAR, SEM and SDM by ML (the default
    ``models``) and returns their :class:`ComparisonTable`; ``.diagnostics`` holds the LM tests
    and Anselin's decision. Keyword arguments go to :func:`fit`.
    """
    if isinstance(X, W) and w is None:
        X, w = None, X
    diagnostics = ols_diagnostics(data, y, X, w, transform=kwargs.get("transform", "row"))
    results = [diagnostics.ols if _MODEL_ALIASES.get(m, m) == "ols"
               else fit(data, y, X, w, model=m, method=method, **kwargs) for m in models]
    table = compare(results, impacts=impacts)
    table.diagnostics = diagnostics
    return table


__all__ = [
    "ANSELIN_RULE",
    "CONSTANT",
    "ComparisonTable",
    "Diagnostics",
    "RegressionError",
    "RegressionResult",
    "Statistic",
    "compare",
    "compare_models",
    "compute_impacts",
    "fit",
    "fit_panel",
    "ols_diagnostics",
    "panel_arrays",
    "parse_formula",
]
