"""Shared by the regression modules: names and aliases, the spreg call, formula parsing,
data alignment and design checks."""


import contextlib
import io
import re
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from libpysal.weights import W
from scipy import sparse

from spatialecon._labels import format_units
from spatialecon.validation import SpatialEconError, check_finite
from spatialecon.weights import transform as transform_weights

Model = Literal["ols", "slx", "lag", "error", "durbin", "sdem", "sac"]
Method = Literal["ml", "gmm"]
LogDet = Literal["auto", "lu", "eigen", "full", "chebyshev", "mc", "ord"]
ImpactsMethod = Literal["delta", "simulation"]

CONSTANT = "CONSTANT"  # spreg's and GeoDa's name for the intercept
DEFAULT_COMPARISON: tuple[str, ...] = ("ols", "lag", "error", "durbin")
_AIC_CONVENTION = ("−2 logL + 2p, p = coefficients incl. ρ/λ, variance components and σ² "
                   "(R's AIC(), Stata's spregress)")

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


class EstimationWarning(UserWarning):
    """An estimate was computed but should not be trusted as it stands: a spatial parameter at
    the bound of its feasible range, a non-stable dynamic process."""


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


def _names(data: pd.DataFrame | None) -> pd.Series | None:
    return data["name"] if data is not None and "name" in data.columns else None


def _units(codes: Sequence[Any], data: pd.DataFrame | None = None) -> str:
    """Units for a message, named from the data's ``name`` column when they have one."""
    return format_units(list(codes), 10, names=_names(data))


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
    # vectorised membership (a per-unit `in frame.index` took 0.6 s at 2,848 counties, and
    # rebuilding set(ids) per row made the second list quadratic)
    id_index = pd.Index(ids)
    absent = list(id_index[~id_index.isin(frame.index)])
    extra = list(frame.index[~frame.index.isin(id_index)])
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
        # the one finite-values rule for ±inf (NaN and text are listed together below)
        check_finite(values, variable=column, allow_nan=True, names=_names(frame),
                     hint="drop these units from the data and the weights, or fill the values")
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

def _pair(values: Sequence[float]) -> tuple[float, float]:
    return float(np.asarray(values[0]).item()), float(np.asarray(values[1]).item())


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
