"""Geographically weighted regression (Fotheringham, Brunsdon & Charlton 2002): kernels,
bandwidth search, the local fits and :class:`GWRResult`.

Conventions follow mgwr 2.2 (Oshan, Li, Kang, Wolf & Fotheringham 2019), which reproduces
GWR4: adaptive bandwidths count neighbours including the point itself; the golden-section
search is mgwr's ``Sel_BW`` (bounds 40 + 2p … n for adaptive kernels, half the smallest to
twice the largest inter-point distance for fixed ones; the interior points rounded to integers
for adaptive kernels; stop when the two interior criteria differ by less than 1e-6); AICc =
−2 logL + 2n(tr S + 1)/(n − tr S − 2) with the ML log-likelihood; σ² = RSS/(n − tr S) (Yu et
al. 2019, mgwr's default) unless ``sigma2="gwr4"`` (RSS/(n − 2 tr S + tr S'S), GWR4's and
Fotheringham et al. 2002's, eq. 2.16–2.18). The local fits run on the engine in ``_local``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from spatialecon._labels import format_units
from spatialecon.regression._common import (
    CONSTANT,
    RegressionError,
    _check_design,
    _names,
    _spec,
)
from spatialecon.regression._local import COMPACT, KERNELS, Engine, distance_range
from spatialecon.validation import check_choice, check_count, check_finite, check_probability

Kernel = Literal["bisquare", "gaussian", "exponential", "boxcar", "tricube"]
Criterion = Literal["AICc", "AIC", "BIC", "CV"]
CRITERIA = ("AICc", "AIC", "BIC", "CV")
SEARCHES = ("golden", "interval")
_GOLDEN = 0.38197  # mgwr's delta, 1 − (√5 − 1)/2 rounded as mgwr rounds it
_SEARCH_TOL = 1.0e-6  # mgwr's Sel_BW default: stop when |f(b) − f(d)| ≤ tol
_SEARCH_MAX_ITER = 200
_ALPHAS = (0.1, 0.05, 0.001)  # mgwr's adj_alpha levels
_SEARCH_NAMES = {"golden": "mgwr Sel_BW golden section", "interval": "equal interval"}


# ---------------------------------------------------------------------------- input


@dataclass
class _Input:
    ids: pd.Index
    y: np.ndarray
    X: np.ndarray
    y_name: str
    names: list[str]
    coords: np.ndarray
    coordinates: str
    lonlat: bool
    frame: pd.DataFrame
    scale: dict[str, tuple[float, float]] = field(default_factory=dict)


def _numeric(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    missing_columns = [c for c in columns if c not in frame.columns]
    if missing_columns:
        raise RegressionError(f"column(s) {missing_columns} are not in the data; it has "
                              f"{[c for c in frame.columns if c != 'geometry']}")
    out = pd.DataFrame(index=frame.index)
    problems = []
    for column in columns:
        raw = frame[column]
        values = pd.to_numeric(raw, errors="coerce")
        text = raw.index[values.isna() & raw.notna()]
        if len(text):
            problems.append(f"{column}: text that is not a number for "
                            f"{format_units(list(text), 10, names=_names(frame))}")
        missing = raw.index[raw.isna()]
        if len(missing):
            problems.append(f"{column}: no value for "
                            f"{format_units(list(missing), 10, names=_names(frame))}")
        check_finite(values, variable=column, allow_nan=True, names=_names(frame),
                     hint="drop these units from the data or fill the values")
        out[column] = values.astype(float)
    if problems:
        raise RegressionError("missing or invalid values — " + "; ".join(problems)
                              + ". Drop these units from the data or fill the values")
    return out


def _coordinates(frame: pd.DataFrame, coords: Any) -> tuple[np.ndarray, str, bool]:
    """(n × 2 projected coordinates, how they were obtained, whether they look like lon/lat)."""
    if coords is None:
        geometry = getattr(frame, "geometry", None)
        if geometry is None or not hasattr(frame, "crs"):
            raise RegressionError("no coordinates: pass a GeoDataFrame (its geometry's "
                                  "representative points are used) or coords= (an (n, 2) "
                                  "array or two column names)")
        if frame.geometry.isna().any() or frame.geometry.is_empty.any():
            bad = frame.index[frame.geometry.isna() | frame.geometry.is_empty]
            raise RegressionError(f"units without a geometry: "
                                  f"{format_units(list(bad), 10, names=_names(frame))}")
        crs = frame.crs
        if crs is None:
            raise RegressionError("the layer has no CRS: set it (gdf.set_crs(...)) or pass "
                                  "projected coords=")
        if crs.is_projected:
            points = frame.geometry.representative_point()
            how = f"representative points in the layer's projected CRS ({crs.name})"
        else:
            from spatialecon.geodata import CHINA_ALBERS

            points = frame.geometry.to_crs(CHINA_ALBERS).representative_point()
            how = ("representative points in CHINA_ALBERS (Albers equal-area, standard "
                   "parallels 25°N and 47°N, central meridian 105°E; metres), the layer being "
                   f"in lon/lat ({crs.name})")
        xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
        return xy, how, False
    if isinstance(coords, (list, tuple)) and len(coords) == 2 and all(
            isinstance(c, str) for c in coords):
        xy = _numeric(frame, list(coords)).to_numpy()
        how = f"columns {coords[0]!r}, {coords[1]!r} (taken as projected)"
    else:
        xy = np.asarray(coords, dtype=float)
        if xy.shape != (len(frame), 2):
            raise RegressionError(f"coords must be an (n, 2) array with n = {len(frame)} rows "
                                  f"in the data's order, or two column names; got shape "
                                  f"{xy.shape}")
        if not np.isfinite(xy).all():
            bad = frame.index[~np.isfinite(xy).all(axis=1)]
            raise RegressionError(f"coordinates missing or not finite for "
                                  f"{format_units(list(bad), 10, names=_names(frame))}")
        how = "an (n, 2) array (taken as projected)"
    lonlat = bool(np.all(np.abs(xy[:, 0]) <= 180) and np.all(np.abs(xy[:, 1]) <= 90))
    return xy, how, lonlat


def _prepare(data: Any, y: str, X: Any, coords: Any, standardise: bool) -> _Input:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a (Geo)DataFrame indexed by unit, got "
                        f"{type(data).__name__}")
    y_name, regressors = _spec(y, X)
    frame = data
    if frame.index.has_duplicates:
        dupes = sorted(set(frame.index[frame.index.duplicated()]))
        raise RegressionError(f"units appear more than once in the data: {dupes[:10]}")
    values = _numeric(frame, [y_name, *regressors])
    xy, how, lonlat = _coordinates(frame, coords)
    yv = values[y_name].to_numpy()
    Xv = np.column_stack([np.ones(len(frame)), values[regressors].to_numpy()])
    names = [CONSTANT, *regressors]
    _check_design(Xv, names, yv, y_name, len(names))
    scale: dict[str, tuple[float, float]] = {}
    if standardise:
        for j, name in enumerate(names[1:], start=1):
            mean, sd = float(Xv[:, j].mean()), float(Xv[:, j].std())
            Xv[:, j] = (Xv[:, j] - mean) / sd
            scale[name] = (mean, sd)
        mean, sd = float(yv.mean()), float(yv.std())
        yv = (yv - mean) / sd
        scale[y_name] = (mean, sd)
    return _Input(frame.index, yv, Xv, y_name, names, xy, how, lonlat, frame, scale)


# ---------------------------------------------------------------------------- criteria


def _loglik(rss: float, n: int) -> float:
    """Gaussian log-likelihood at the ML variance RSS/n (spglm's, GWR4's −2 logL / −2)."""
    return -0.5 * n * (np.log(2.0 * np.pi * rss / n) + 1.0)


def _criteria(resid: np.ndarray, influ: np.ndarray) -> dict[str, float]:
    n = len(resid)
    rss = float(resid @ resid)
    tr_s = float(influ.sum())
    ll = _loglik(rss, n)
    return {
        "AICc": -2.0 * ll + 2.0 * n * (tr_s + 1.0) / (n - tr_s - 2.0),
        "AIC": -2.0 * ll + 2.0 * (tr_s + 1.0),
        "BIC": -2.0 * ll + (tr_s + 1.0) * np.log(n),
        "CV": float(np.sum((resid / (1.0 - influ)) ** 2) / n),
    }


# ---------------------------------------------------------------------------- search


@dataclass
class _Search:
    bandwidth: float
    score: float
    history: list[tuple[float, float]]  # mgwr's ``sel_hist``: best so far per iteration
    trace: list[tuple[float, float]]  # every evaluation, in order


def golden(a: float, c: float, function: Any, integer: bool, tol: float = _SEARCH_TOL,
           max_iter: int = _SEARCH_MAX_ITER) -> _Search:
    """mgwr's ``golden_section`` (search.py), step for step."""
    b = a + _GOLDEN * abs(c - a)
    d = c - _GOLDEN * abs(c - a)
    opt_val, opt_score = np.nan, np.inf
    diff, iters = 1.0e9, 0
    output: list[tuple[float, float]] = []
    trace: list[tuple[float, float]] = []
    cache: dict[float, float] = {}

    def score(bw: float) -> float:
        if bw not in cache:
            cache[bw] = function(bw)
            trace.append((bw, cache[bw]))
        return cache[bw]

    while abs(diff) > tol and iters < max_iter:
        iters += 1
        if integer:
            b, d = float(np.round(b)), float(np.round(d))
        score_b, score_d = score(b), score(d)
        if score_b <= score_d:
            opt_val, opt_score = b, score_b
            c, d = d, b
            b = a + _GOLDEN * abs(c - a)
        else:
            opt_val, opt_score = d, score_d
            a, b = b, d
            d = c - _GOLDEN * abs(c - a)
        output.append((opt_val, opt_score))
        opt_val = float(np.round(opt_val, 2))
        if (opt_val, opt_score) not in output:
            output.append((opt_val, opt_score))
        diff = score_b - score_d
        if not np.isfinite(diff):
            diff = 1.0e9 if np.isfinite(score_b) or np.isfinite(score_d) else 0.0
    return _Search(opt_val, opt_score, output, trace)


def interval(a: float, c: float, step: float, function: Any, integer: bool) -> _Search:
    """mgwr's ``equal_interval``: a, a + step, … while below c, then c."""
    b = a + step
    if integer:
        a, c, b = float(np.round(a)), float(np.round(c)), float(np.round(b))
    trace = [(a, function(a))]
    while b < c:
        trace.append((b, function(b)))
        b = b + step
    trace.append((c, function(c)))
    best = min(range(len(trace)), key=lambda i: (trace[i][1], i))
    return _Search(trace[best][0], trace[best][1], list(trace), trace)


def _default_bounds(fixed: bool, n_vars: int, n: int, coords: np.ndarray,
                    engine_tree: Any) -> tuple[float, float]:
    if not fixed:
        return float(max(n_vars + 1, min(40 + 2 * n_vars, n))), float(n)
    smallest, largest = distance_range(coords, engine_tree)
    return smallest / 2.0, largest * 2.0


def _check_bandwidth(bandwidth: Any, fixed: bool, p: int, n: int, what: str = "bandwidth"
                     ) -> float:
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, float, np.number)):
        raise RegressionError(f"{what} must be a number, got {bandwidth!r}")
    bw = float(bandwidth)
    if not np.isfinite(bw) or bw <= 0:
        raise RegressionError(f"{what} must be positive and finite, got {bandwidth!r}")
    if not fixed:
        if bw != int(bw):
            raise RegressionError(f"an adaptive {what} is a number of neighbours (including "
                                  f"the point itself), an integer; got {bandwidth!r}")
        if bw < p + 1 or bw > n:
            raise RegressionError(
                f"adaptive {what} {int(bw)} is outside the feasible range {p + 1} … {n}: a "
                f"local fit of {p} parameters needs at least {p + 1} neighbours (the point "
                f"itself included) and there are {n} units")
    return bw


# ---------------------------------------------------------------------------- the estimator


def _singular_error(ids: pd.Index, frame: pd.DataFrame, singular: np.ndarray, bw: float,
                    fixed: bool) -> RegressionError:
    units = format_units(list(ids[singular]), 10, names=_names(frame))
    size = f"{bw:g} (distance)" if fixed else f"{int(bw)} neighbours"
    return RegressionError(
        f"the local design is singular (collinear regressors within the kernel) at "
        f"{int(singular.sum())} unit(s): {units}, with bandwidth {size}. A regressor is "
        "constant or collinear among these units' neighbours; use a larger bandwidth "
        "(or search over larger bounds=), or drop the regressor")


def _engine(inp: _Input, kernel: str, fixed: bool, largest: float) -> Engine:
    try:
        return Engine(inp.coords, kernel, fixed, largest)
    except MemoryError as err:
        raise RegressionError(
            f"a fixed {kernel} bandwidth up to {largest:g} links too many pairs of the "
            f"{len(inp.y):,} points ({err}); give bounds=(low, high) closer to the bandwidth "
            "you expect, a bandwidth=, or an adaptive kernel") from None


def gwr(data: pd.DataFrame, y: str, X: str | Sequence[str] | None = None, *,
        coords: Any = None, kernel: Kernel = "bisquare", fixed: bool = False,
        bandwidth: float | None = None, search: Literal["golden", "interval"] = "golden",
        criterion: Criterion = "AICc", bounds: tuple[float, float] | None = None,
        interval_step: float | None = None, standardise: bool = False,
        sigma2: Literal["mgwr", "gwr4"] = "mgwr") -> GWRResult:
    """Geographically weighted regression with a bandwidth chosen by golden-section or interval
    search (or given).

    Parameters
    ----------
    data
        (Geo)DataFrame indexed by unit.
    y, X
        Dependent variable and regressors, or a formula ``"y ~ x1 + x2"`` (the intercept is
        always included, named ``CONSTANT``).
    coords
        ``None``: the geometry's representative points in the layer's projected CRS, or in
        ``CHINA_ALBERS`` (equal-area, metres) for a lon/lat layer; or an (n, 2) array in the
        data's row order, or two column names — taken as projected coordinates.
    kernel
        ``bisquare`` (default), ``gaussian``, ``exponential``, ``boxcar``, ``tricube``.
        Bisquare, boxcar and tricube vanish at and beyond the bandwidth.
    fixed
        ``False`` (default): adaptive, the bandwidth is the number of nearest neighbours
        including the point itself (GWR4's and mgwr's convention); ``True``: a distance in the
        coordinates' unit.
    bandwidth
        Given bandwidth (skips the search).
    search, criterion, bounds, interval_step
        Search method (mgwr's golden section or its equal-interval grid), criterion (``AICc``,
        ``AIC``, ``BIC``, ``CV``), search range (default mgwr's: 40 + 2p … n neighbours, or
        half the smallest … twice the largest inter-point distance) and the grid step of
        ``"interval"`` (default: 1/50 of the range, at least one neighbour).
    standardise
        Centre and scale y and every regressor (mean 0, sd 1 with ddof = 0, as mgwr's
        examples) before fitting; coefficients are then in sd units.
    sigma2
        ``"mgwr"``: σ² = RSS/(n − tr S) (Yu et al. 2019; mgwr's default; ENP = tr S);
        ``"gwr4"``: σ² = RSS/(n − 2 tr S + tr S'S) and ENP = 2 tr S − tr S'S (GWR4's standard
        errors; mgwr's ``sigma2_v1=False``).

    Returns
    -------
    GWRResult
    """
    kernel = check_choice(kernel, "kernel", KERNELS)
    search = check_choice(search, "search", SEARCHES)
    criterion = check_choice(criterion, "criterion", CRITERIA)
    sigma2 = check_choice(sigma2, "sigma2", ("mgwr", "gwr4"))
    inp = _prepare(data, y, X, coords, standardise)
    n, p = inp.X.shape
    if inp.lonlat and fixed:
        raise RegressionError(
            "the coordinates look like longitude/latitude in degrees: a fixed bandwidth would "
            "be in degrees, which are not distances. Pass projected coordinates (metres), or a "
            "GeoDataFrame with its CRS (lon/lat layers are projected to CHINA_ALBERS, "
            "Albers equal-area), or use an adaptive kernel")
    if bandwidth is not None:
        bw = _check_bandwidth(bandwidth, fixed, p, n)
        engine = _engine(inp, kernel, fixed, bw)
        found = None
    else:
        if bounds is None:
            from scipy.spatial import cKDTree

            low, high = _default_bounds(fixed, p, n, inp.coords, cKDTree(inp.coords))
        else:
            low, high = _bounds(bounds, fixed, p, n)
        engine = _engine(inp, kernel, fixed, high)
        found = _run_search(engine, inp.X, inp.y, criterion, search, low, high, fixed,
                            interval_step, bounds)
        bw = found.bandwidth
        if not np.isfinite(found.score):
            raise _singular_error(inp.ids, inp.frame, engine.fit(inp.X, inp.y, bw)["singular"],
                                  bw, fixed)
    out = engine.fit(inp.X, inp.y, bw, full=True)
    if out["singular"].any():
        raise _singular_error(inp.ids, inp.frame, out["singular"], bw, fixed)
    return GWRResult._build(inp, engine, bw, out, kernel=kernel, fixed=fixed,
                            criterion=criterion, search=None if found is None else search,
                            found=found, sigma2_form=sigma2, standardise=standardise,
                            bounds=None if found is None else (low, high))


def _bounds(bounds: Any, fixed: bool, p: int, n: int) -> tuple[float, float]:
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise RegressionError(f"bounds must be a pair (low, high), got {bounds!r}") from None
    if not low < high:
        raise RegressionError(f"bounds must be increasing (low < high), got {bounds!r}")
    _check_bandwidth(low if fixed else np.ceil(low), fixed, p, n, "lower bound")
    _check_bandwidth(high if fixed else np.floor(high), fixed, p, n, "upper bound")
    return low, high


def _run_search(engine: Engine, X: np.ndarray, y: np.ndarray, criterion: str, search: str,
                low: float, high: float, fixed: bool, step: float | None,
                bounds: Any) -> _Search:
    def function(bw: float) -> float:
        out = engine.fit(X, y, bw)
        if out["singular"].any():
            return np.inf
        return _criteria(out["resid"], out["influ"])[criterion]

    if search == "golden":
        return golden(low, high, function, integer=not fixed)
    if step is None:
        step = (high - low) / 50.0
        if not fixed:
            step = max(1.0, float(np.round(step)))
    return interval(low, high, float(step), function, integer=not fixed)


# ---------------------------------------------------------------------------- the result


def _frame(values: np.ndarray, inp: _Input) -> pd.DataFrame:
    return pd.DataFrame(values, index=inp.ids, columns=inp.names)


def _ols(X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    n, p = X.shape
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    rss = float(resid @ resid)
    xtx_inv = np.linalg.inv(X.T @ X)
    influ = np.einsum("ij,jk,ik->i", X, xtx_inv, X)
    ll = _loglik(rss, n)
    s2 = rss / (n - p)
    tss = float(((y - y.mean()) ** 2).sum())
    return {
        "params": beta, "bse": np.sqrt(np.diag(xtx_inv) * s2), "rss": rss, "ll": ll,
        "aic": -2 * ll + 2 * (p + 1), "aicc": -2 * ll + 2 * n * (p + 1) / (n - p - 2),
        "bic": -2 * ll + (p + 1) * np.log(n),
        "cv": float(np.sum((resid / (1 - influ)) ** 2) / n),
        "r2": 1 - rss / tss, "sigma_ml": np.sqrt(rss / n), "sigma": np.sqrt(s2),
    }


@dataclass
class GWRResult:
    """A fitted GWR: local estimates (DataFrames indexed by unit, one column per regressor
    incl. ``CONSTANT``), diagnostics, the search trace and the conventions."""

    bandwidth: float
    params: pd.DataFrame
    bse: pd.DataFrame
    tvalues: pd.DataFrame
    local_r2: pd.Series
    residuals: pd.Series
    fitted: pd.Series
    influence: pd.Series
    n: int
    k: int
    rss: float
    tr_s: float
    tr_sts: float
    enp: float
    sigma2: float
    llf: float
    aicc: float
    aic: float
    bic: float
    cv: float
    r2: float
    adj_r2: float
    search_trace: pd.DataFrame
    conventions: dict[str, Any]
    y_name: str
    _inp: _Input = field(repr=False)
    _engine: Engine = field(repr=False)
    _history: list = field(repr=False, default_factory=list)

    @classmethod
    def _build(cls, inp: _Input, engine: Engine, bw: float, out: dict, *, kernel: str,
               fixed: bool, criterion: str, search: str | None, found: _Search | None,
               sigma2_form: str, standardise: bool, bounds: Any) -> GWRResult:
        n, k = inp.X.shape
        resid = out["resid"]
        rss = float(resid @ resid)
        tr_s = float(out["influ"].sum())
        tr_sts = float(out["sts"].sum())
        if sigma2_form == "mgwr":
            s2, enp = rss / (n - tr_s), tr_s
        else:
            s2, enp = rss / (n - 2 * tr_s + tr_sts), 2 * tr_s - tr_sts
        bse = np.sqrt(out["cct"] * s2)
        tss = float(((inp.y - inp.y.mean()) ** 2).sum())
        r2 = 1 - rss / tss
        crit = _criteria(resid, out["influ"])
        trace = pd.DataFrame(found.trace if found else [], columns=["bandwidth", criterion])
        conventions = {
            "kernel": kernel,
            "bandwidth": "fixed (distance in the coordinates' unit)" if fixed else
            "adaptive (neighbours including the point itself, mgwr/GWR4)",
            "search": ("given" if search is None else
                       f"{search} ({_SEARCH_NAMES[search]}, bounds {bounds[0]:g} … "
                       f"{bounds[1]:g})"),
            "criterion": criterion,
            "coordinates": inp.coordinates,
            "standardisation": (
                "y and regressors to mean 0, sd 1 (ddof = 0, as mgwr's examples)"
                if standardise else "none"),
            "sigma2": ("RSS / (n − tr S) (Yu et al. 2019, mgwr default)" if sigma2_form == "mgwr"
                       else "RSS / (n − 2 tr S + tr S'S) (GWR4)"),
            "enp": "tr S" if sigma2_form == "mgwr" else "2 tr S − tr S'S",
            "aicc": "−2 logL + 2n(tr S + 1)/(n − tr S − 2), logL at σ²_ML = RSS/n",
            "adj_alpha": "da Silva & Fotheringham (2016): α·k/ENP; critical t with n − 1 df",
            "compact_kernel": kernel in COMPACT,
        }
        if standardise:
            conventions["scale"] = dict(inp.scale)
        return cls(
            bandwidth=bw, params=_frame(out["params"], inp), bse=_frame(bse, inp),
            tvalues=_frame(out["params"] / bse, inp),
            local_r2=pd.Series((out["tss"] - out["rss"]) / out["tss"], index=inp.ids,
                               name="local_r2"),
            residuals=pd.Series(resid, index=inp.ids, name="residual"),
            fitted=pd.Series(inp.y - resid, index=inp.ids, name="fitted"),
            influence=pd.Series(out["influ"], index=inp.ids, name="influence"),
            n=n, k=k, rss=rss, tr_s=tr_s, tr_sts=tr_sts, enp=enp, sigma2=s2,
            llf=_loglik(rss, n), aicc=crit["AICc"], aic=crit["AIC"], bic=crit["BIC"],
            cv=crit["CV"], r2=r2, adj_r2=1 - (1 - r2) * (n - 1) / (n - enp - 1),
            search_trace=trace, conventions=conventions, y_name=inp.y_name, _inp=inp,
            _engine=engine, _history=found.history if found else [])

    # ------------------------------------------------------------------ inference

    @property
    def adj_alpha(self) -> pd.Series:
        """da Silva & Fotheringham (2016) corrected α = α·k / ENP at α = 0.1, 0.05, 0.001."""
        return pd.Series([a * self.k / self.enp for a in _ALPHAS], index=list(_ALPHAS),
                         name="adj_alpha")

    def critical_t(self, alpha: float = 0.05) -> float:
        """Critical |t| at the corrected level α·k/ENP (two-sided, n − 1 df, as mgwr)."""
        alpha = check_probability(alpha, "alpha")
        return float(stats.t.ppf(1 - alpha * self.k / self.enp / 2.0, self.n - 1))

    def significant(self, alpha: float = 0.05) -> pd.DataFrame:
        """Boolean mask: |t| at or above the corrected critical t (mgwr's ``filter_tvals``)."""
        return self.tvalues.abs() >= self.critical_t(alpha)

    def bandwidth_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Bandwidth confidence interval from the AICc (criterion) weights of the search
        history (Li et al. 2020; mgwr's ``get_bws_intervals``)."""
        return _bw_interval(self._history, check_probability(level, "level"))

    def local_collinearity(self) -> pd.DataFrame:
        """Local correlations, VIFs, condition number and variance-decomposition proportions
        at every unit (Wheeler 2007; mgwr's ``local_collinearity``)."""
        return _collinearity(self._inp, [self.bandwidth] * self.k, self._engine, gwr=True)

    def spatial_variability(self, permutations: int = 99, seed: int | None = None,
                            search_bandwidth: bool = False) -> pd.DataFrame:
        """Monte Carlo test of the spatial variability of each coefficient: the locations are
        permuted among the units, the model refitted (with this bandwidth, or re-searched as
        mgwr does with ``search_bandwidth=True``) and the sd of the local estimates compared
        with the observed one. p = (M + 1)/(R + 1), M the permutations with an sd at least as
        large (mgwr reports M/R)."""
        from spatialecon.autocorrelation import pseudo_p

        permutations = check_count(permutations, "permutations", minimum=1)
        rng = np.random.default_rng(seed)
        inp = self._inp
        observed = self.params.to_numpy().std(axis=0)
        draws = np.empty((self.k, permutations))
        kernel = self.conventions["kernel"]
        fixed = self.conventions["bandwidth"].startswith("fixed")
        for r in range(permutations):
            xy = inp.coords[rng.permutation(self.n)]
            bw = self.bandwidth
            if search_bandwidth:
                from scipy.spatial import cKDTree

                low, high = _default_bounds(fixed, self.k, self.n, xy, cKDTree(xy))
                engine = Engine(xy, kernel, fixed, high)
                bw = _run_search(engine, inp.X, inp.y, self.conventions["criterion"],
                                 "golden", low, high, fixed, None, None).bandwidth
            else:
                engine = Engine(xy, kernel, fixed, bw)
            draws[:, r] = engine.fit(inp.X, inp.y, bw)["params"].std(axis=0)
        p = pseudo_p(observed, draws, alternative="greater")
        return pd.DataFrame({"sd": observed, "p_sim": p}, index=self.params.columns)

    # ------------------------------------------------------------------ summary

    def summary(self) -> str:
        """GWR4's layout: global regression, bandwidth, diagnostics, local estimates, ANOVA."""
        inp = self._inp
        ols = _ols(inp.X, inp.y)
        n, k = self.n, self.k
        lines = ["*" * 77, "  Geographically weighted regression (spatialecon)", "*" * 77,
                 f"Number of areas/points: {n}", "", "Model settings" + "-" * 33,
                 "Model type: Gaussian",
                 f"Geographic kernel: {self.conventions['bandwidth'].split(' ')[0]} "
                 f"{self.conventions['kernel']}",
                 f"Method for optimal bandwidth search: {self.conventions['search']}",
                 f"Criterion for optimal bandwidth: {self.conventions['criterion']}",
                 f"Number of varying coefficients: {k}",
                 f"Coordinates: {self.conventions['coordinates']}",
                 f"Standardisation: {self.conventions['standardisation']}", "",
                 "*" * 77, "  Global regression result", "*" * 77,
                 "  < Diagnostic information >"]
        rows = [("Residual sum of squares:", ols["rss"]), ("Number of parameters:", k),
                ("ML based global sigma estimate:", ols["sigma_ml"]),
                ("Unbiased global sigma estimate:", ols["sigma"]),
                ("-2 log-likelihood:", -2 * ols["ll"]), ("Classic AIC:", ols["aic"]),
                ("AICc:", ols["aicc"]), ("BIC/MDL:", ols["bic"]), ("CV:", ols["cv"]),
                ("R square:", ols["r2"]),
                ("Adjusted R square:", 1 - (1 - ols["r2"]) * (n - 1) / (n - k - 1))]
        lines += [f"{a:<40}{b:>16.6f}" if isinstance(b, float) else f"{a:<40}{b:>9}"
                  for a, b in rows]
        lines += ["", f"{'Variable':<20} {'Estimate':>15} {'Standard Error':>15} "
                  f"{'t(Est/SE)':>15}", f"{'-' * 20} {'-' * 15} {'-' * 15} {'-' * 15}"]
        for j, name in enumerate(inp.names):
            lines.append(f"{name[:20]:<20} {ols['params'][j]:>15.6f} {ols['bse'][j]:>15.6f} "
                         f"{ols['params'][j] / ols['bse'][j]:>15.6f}")
        lines += ["", "*" * 77, "  GWR (Geographically weighted regression) result", "*" * 77,
                  f"Bandwidth size: {self.bandwidth:>30.6f}"]
        if len(self.search_trace):
            best = self.search_trace[self.conventions["criterion"]].min()
            lines.append(f"Minimum {self.conventions['criterion']}: {best:>28.6f} "
                         f"({len(self.search_trace)} bandwidths evaluated)")
        df_res = n - 2 * self.tr_s + self.tr_sts
        rows = [("Residual sum of squares:", self.rss),
                ("Effective number of parameters (model: trace(S)):", self.tr_s),
                ("Effective number of parameters (variance: trace(S'S)):", self.tr_sts),
                ("Degree of freedom (model: n - trace(S)):", n - self.tr_s),
                ("Degree of freedom (residual: n - 2trace(S) + trace(S'S)):", df_res),
                ("ML based sigma estimate:", np.sqrt(self.rss / n)),
                ("Unbiased sigma estimate:", np.sqrt(self.rss / df_res)),
                ("-2 log-likelihood:", -2 * self.llf), ("Classic AIC:", self.aic),
                ("AICc:", self.aicc), ("BIC/MDL:", self.bic), ("CV:", self.cv),
                ("R square:", self.r2), ("Adjusted R square:", self.adj_r2),
                ("Adj. alpha (95%):", self.adj_alpha[0.05]),
                ("Adj. critical t value (95%):", self.critical_t(0.05))]
        lines += [f"{a:<58}{b:>16.6f}" for a, b in rows]
        lines += _local_table(self.params)
        improvement = ols["rss"] - self.rss
        df_imp = (n - k) - df_res
        ms_imp, ms_res = improvement / df_imp, self.rss / df_res
        lines += ["", "*" * 77, " GWR ANOVA Table", "*" * 77,
                  f"{'Source':<17} {'SS':>19} {'DF':>10} {'MS':>15} {'F':>10}",
                  f"{'Global Residuals':<17} {ols['rss']:>19.3f} {n - k:>10.3f}",
                  f"{'GWR Improvement':<17} {improvement:>19.3f} {df_imp:>10.3f} "
                  f"{ms_imp:>15.3f}",
                  f"{'GWR Residuals':<17} {self.rss:>19.3f} {df_res:>10.3f} {ms_res:>15.3f} "
                  f"{ms_imp / ms_res:>10.6f}"]
        return "\n".join(lines) + "\n"


def _local_table(params: pd.DataFrame) -> list[str]:
    lines = ["", "Summary statistics for varying (Local) coefficients",
             f"{'Variable':<20} {'Mean':>15} {'STD':>15}", f"{'-' * 20} {'-' * 15} {'-' * 15}"]
    for name in params.columns:
        v = params[name].to_numpy()
        lines.append(f"{name[:20]:<20} {v.mean():>15.6f} {v.std():>15.6f}")
    lines += ["", f"{'Variable':<20} {'Min':>15} {'Max':>15} {'Range':>15}"]
    for name in params.columns:
        v = params[name].to_numpy()
        lines.append(f"{name[:20]:<20} {v.min():>15.6f} {v.max():>15.6f} {np.ptp(v):>15.6f}")
    lines += ["", f"{'Variable':<20} {'Lwr Quartile':>15} {'Median':>15} {'Upr Quartile':>15}"]
    for name in params.columns:
        q1, q2, q3 = np.percentile(params[name].to_numpy(), [25, 50, 75])
        lines.append(f"{name[:20]:<20} {q1:>15.6f} {q2:>15.6f} {q3:>15.6f}")
    lines += ["", f"{'Variable':<20} {'Interquartile R':>15} {'Robust STD':>15}"]
    for name in params.columns:
        q1, q3 = np.percentile(params[name].to_numpy(), [25, 75])
        lines.append(f"{name[:20]:<20} {q3 - q1:>15.6f} {(q3 - q1) / 1.349:>15.6f}")
    lines.append(" (Note: Robust STD is given by (interquartile range / 1.349) )")
    return lines


def _bw_interval(history: list[tuple[float, float]], level: float) -> tuple[float, float]:
    """mgwr's ``get_bws_intervals`` on one search history (pairs bandwidth, AICc)."""
    if not history:
        raise RegressionError("no search history: the bandwidth was given, not searched")
    frame = pd.DataFrame(history, columns=["bw", "aicc"]).sort_values(by=["aicc"])
    delta = frame.aicc - frame.aicc.min()
    weights = np.exp(-0.5 * delta) / np.sum(np.exp(-0.5 * delta))
    frame["w"] = weights / np.sum(weights)
    frame["cum"] = frame.w.cumsum()
    index = len(frame[frame.cum < level]) + 1
    head = frame.iloc[:index, :]
    return float(head.bw.min()), float(head.bw.max())


def _collinearity(inp: _Input, bandwidths: Sequence[float], engine: Engine | Sequence,
                  gwr: bool) -> pd.DataFrame:
    """mgwr's local_collinearity: correlations and VIFs (GWR only), condition number, VDPs."""
    X = inp.X
    n, p = X.shape
    names = inp.names
    engines = engine if isinstance(engine, (list, tuple)) else [engine] * p
    pairs = [(a, b) for a in range(1, p) for b in range(a + 1, p)]
    corr = np.empty((n, len(pairs)))
    vif = np.empty((n, p - 1))
    cn = np.empty(n)
    vdp = np.empty((n, p))
    for i in range(n):
        ws = [engines[j].weights_row(i, bandwidths[j]) for j in range(p)]
        if gwr:
            w = ws[0] / ws[0].sum()
            xc = X[:, 1:] - (w @ X[:, 1:])
            cov = (xc * w[:, None]).T @ xc
            sd = np.sqrt(np.diag(cov))
            cor = cov / np.outer(sd, sd)
            for t, (a, b) in enumerate(pairs):
                corr[i, t] = cor[a - 1, b - 1]
            vif[i] = np.diag(np.linalg.solve(cor, np.eye(p - 1)))
        xw = np.column_stack([X[:, j] * ws[j] / ws[j].sum() for j in range(p)])
        sxw = xw / np.sqrt((xw ** 2).sum(axis=0))
        _, s, vt = np.linalg.svd(sxw, full_matrices=False)
        cn[i] = s[0] / s[-1]
        phi = (vt.T @ np.diag(1 / s)) ** 2
        phi = phi.T
        pi = phi / phi.sum(axis=0)
        vdp[i] = pi[p - 1]
    columns: dict[str, np.ndarray] = {}
    if gwr:
        for t, (a, b) in enumerate(pairs):
            columns[f"corr_{names[a]}_{names[b]}"] = corr[:, t]
        for j in range(1, p):
            columns[f"vif_{names[j]}"] = vif[:, j - 1]
    columns["condition_number"] = cn
    for j in range(p):
        columns[f"vdp_{names[j]}"] = vdp[:, j]
    return pd.DataFrame(columns, index=inp.ids)
