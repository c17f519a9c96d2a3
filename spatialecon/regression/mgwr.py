"""Multiscale GWR (Fotheringham, Yang & Kang 2017; Yu et al. 2019): one bandwidth per
covariate by back-fitting, and :class:`MGWRResult`.

The back-fitting is mgwr 2.2's ``multi_bw`` step for step: initialised from a GWR (its
bandwidth searched by golden section on all covariates, or ``init``), each covariate's partial
residual is smoothed by a one-covariate GWR whose bandwidth is searched again at every
iteration (golden section, per-covariate bounds; once the bandwidths have not changed for 5
iterations they are kept), until the score of change SOC = √(Σ(f_new − f_old)²/n / Σ(Σ_j
f_new,j)²) falls below ``tol``.

Inference (ENP_j = tr R_j, standard errors from the rows of R_j) replays mgwr's operator
recursion R_j ← A_j(R_j + E), E ← E + R_j,old − R_j,new over the bandwidths actually used in
every iteration (Yu et al. 2019), so the numbers are mgwr's. mgwr builds every smoother row in
Python (n kernel evaluations of O(n) per covariate and iteration); here each smoother is built
once per bandwidth by the numba engine and applied to blocks of columns of the n × n operators,
as a sparse product for short bandwidths and a BLAS product for long ones. That replay —
iterations × covariates products of n × n blocks — is the dominant cost of an MGWR fit.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import cKDTree

from spatialecon.regression._common import RegressionError
from spatialecon.regression._local import KERNELS, Engine
from spatialecon.regression.gwr import (
    _ALPHAS,
    CRITERIA,
    Criterion,
    Kernel,
    _bounds,
    _bw_interval,
    _check_bandwidth,
    _collinearity,
    _criteria,
    _default_bounds,
    _engine,
    _Input,
    _local_table,
    _loglik,
    _ols,
    _prepare,
    _singular_error,
    golden,
)
from spatialecon.validation import check_choice, check_count, check_probability

_BWS_SAME_TIMES = 5  # mgwr's bws_same_times
_REPLAY_BYTES = 1 << 30  # memory for the operator blocks of the inference replay


def mgwr(data: pd.DataFrame, y: str, X: str | Sequence[str] | None = None, *,
         coords: Any = None, kernel: Kernel = "bisquare", fixed: bool = False,
         criterion: Criterion = "AICc", standardise: bool = True, init: float | None = None,
         tol: float = 1e-5, max_iter: int = 200,
         bounds: Any = None) -> MGWRResult:
    """Multiscale GWR by back-fitting (mgwr's conventions, see the module docstring).

    Parameters
    ----------
    data, y, X, coords, kernel, fixed, criterion
        As :func:`spatialecon.regression.gwr`.
    standardise
        Centre and scale y and every regressor to mean 0, sd 1 (ddof = 0, numpy's default,
        as in mgwr's examples and tests) — the MGWR literature's practice, so that
        bandwidths are comparable across covariates. Default True.
    init
        Bandwidth of the initialising GWR (default: searched by golden section).
    tol, max_iter
        SOC tolerance and most back-fitting iterations (mgwr's ``tol_multi``,
        ``max_iter_multi``).
    bounds
        Search range of every covariate's bandwidth: one pair (low, high) for all, or one
        pair per covariate (intercept first); ``None`` for mgwr's default (42 … n neighbours,
        or half the smallest … twice the largest inter-point distance).
    """
    kernel = check_choice(kernel, "kernel", KERNELS)
    criterion = check_choice(criterion, "criterion", CRITERIA)
    max_iter = check_count(max_iter, "max_iter", minimum=1)
    if not (isinstance(tol, (int, float)) and tol > 0):
        raise RegressionError(f"tol must be a positive number, got {tol!r}")
    inp = _prepare(data, y, X, coords, standardise)
    n, k = inp.X.shape
    if inp.lonlat and fixed:
        raise RegressionError(
            "the coordinates look like longitude/latitude in degrees: a fixed bandwidth would "
            "be in degrees. Pass projected coordinates (metres), or a GeoDataFrame with its "
            "CRS (lon/lat layers are projected to CHINA_ALBERS, Albers equal-area), or use an "
            "adaptive kernel")
    tree = cKDTree(inp.coords)
    one = _default_bounds(fixed, 1, n, inp.coords, tree)
    if bounds is None:
        ranges = [one] * k
    else:
        pairs = list(bounds)
        if len(pairs) == 2 and all(np.ndim(b) == 0 for b in pairs):
            pairs = [pairs] * k
        if len(pairs) != k:
            raise RegressionError(f"bounds: one (low, high) pair, or one per covariate "
                                  f"({k}: {', '.join(inp.names)}); got {len(pairs)}")
        ranges = [_bounds(b, fixed, 1, n) for b in pairs]
    gwr_range = _default_bounds(fixed, k, n, inp.coords, tree)
    largest = max(max(r[1] for r in ranges), gwr_range[1] if init is None else init)
    engine = _engine(inp, kernel, fixed, largest)

    # ---- initial GWR (mgwr: Sel_BW on all covariates, constant=False, then a lite fit)
    if init is None:
        def gwr_score(bw: float) -> float:
            out = engine.fit(inp.X, inp.y, bw)
            return np.inf if out["singular"].any() else _criteria(
                out["resid"], out["influ"])[criterion]
        bw_init = golden(*gwr_range, gwr_score, integer=not fixed).bandwidth
    else:
        bw_init = _check_bandwidth(init, fixed, k, n, "init")
    start = engine.fit(inp.X, inp.y, bw_init)
    if start["singular"].any():
        raise _singular_error(inp.ids, inp.frame, start["singular"], bw_init, fixed)

    # ---- back-fitting (mgwr's multi_bw)
    Xc = [np.ascontiguousarray(inp.X[:, j]) for j in range(k)]
    err = start["resid"].copy()
    XB = start["params"] * inp.X
    params = np.zeros_like(inp.X)
    bws = np.empty(k)
    history: list[np.ndarray] = []
    scores: list[float] = []
    searches: list[list[tuple[float, float]]] = []
    stable = 0
    for it in range(1, max_iter + 1):
        new_XB = np.zeros_like(inp.X)
        for j in range(k):
            temp_y = XB[:, j] + err
            if stable >= _BWS_SAME_TIMES:
                bw = bws[j]
            else:
                def score(b: float, j: int = j, temp_y: np.ndarray = temp_y) -> float:
                    beta, influ = engine.fit1(Xc[j], temp_y, b)
                    return _criteria(temp_y - Xc[j] * beta, influ)[criterion]
                found = golden(*ranges[j], score, integer=not fixed)
                bw = found.bandwidth
                searches.append(found.history)
            beta, _ = engine.fit1(Xc[j], temp_y, bw)
            new_XB[:, j] = Xc[j] * beta
            err = temp_y - new_XB[:, j]
            params[:, j] = beta
            bws[j] = bw
        if it > 1 and np.all(history[-1] == bws):
            stable += 1
        else:
            stable = 0
        num = np.sum((new_XB - XB) ** 2) / n
        den = np.sum(np.sum(new_XB, axis=1) ** 2)
        soc = float((num / den) ** 0.5)
        XB = new_XB
        scores.append(soc)
        history.append(bws.copy())
        if soc < tol:
            break
    if not np.isfinite(params).all():
        bad = ~np.isfinite(params).all(axis=1)
        raise RegressionError(
            f"a covariate is zero at every neighbour of {int(bad.sum())} unit(s) "
            f"({list(inp.ids[bad][:10])}): its local fit is undefined; use larger bounds=")
    enp_j, cct = _replay(engine, inp.X, bw_init, np.array(history))
    return MGWRResult._build(inp, engine, params, err, enp_j, cct, np.array(history), scores,
                             searches, bw_init, kernel=kernel, fixed=fixed, criterion=criterion,
                             standardise=standardise, tol=tol, converged=scores[-1] < tol)


# ---------------------------------------------------------------------------- inference


def _replay(engine: Engine, X: np.ndarray, bw_init: float, history: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """ENP_j = tr R_j and Σ_m (R_j[i, m]/x_ij)² by mgwr's recursion, in column blocks."""
    n, k = X.shape
    width = max(1, min(n, int(_REPLAY_BYTES / (8 * n * (k + 3)))))
    enp = np.zeros(k)
    cct = np.zeros((n, k))
    cache: OrderedDict = OrderedDict()

    def smoother(j: int, bw: float):
        key = (j, float(bw))
        if key not in cache:
            cache[key] = engine.smoother(X[:, j], bw)
            while len(cache) > 2 * k:
                cache.popitem(last=False)
        cache.move_to_end(key)
        return cache[key]

    for start in range(0, n, width):
        cols = np.arange(start, min(n, start + width))
        block = engine.projection_block(X, bw_init, int(cols[0]), int(cols[-1]) + 1)
        R = list(block)
        E = -block.sum(axis=0)
        E[cols, np.arange(len(cols))] += 1.0
        for t in range(len(history)):
            for j in range(k):
                Z = R[j]
                Z += E  # R_j + E, in place (R_j is replaced below)
                R[j] = smoother(j, history[t, j])(Z)
                np.subtract(Z, R[j], out=Z)
                E = Z
        for j in range(k):
            enp[j] += R[j][cols, np.arange(len(cols))].sum()
            cct[:, j] += ((R[j] / X[:, j:j + 1]) ** 2).sum(axis=1)
    return enp, cct


# ---------------------------------------------------------------------------- the result


@dataclass
class MGWRResult:
    """A fitted MGWR: one bandwidth per covariate, local estimates (DataFrames indexed by
    unit), per-covariate ENP, corrected α and critical t, bandwidth intervals, diagnostics."""

    bandwidths: pd.Series
    params: pd.DataFrame
    bse: pd.DataFrame
    tvalues: pd.DataFrame
    residuals: pd.Series
    fitted: pd.Series
    enp_j: pd.Series
    n: int
    k: int
    rss: float
    tr_s: float
    enp: float
    sigma2: float
    llf: float
    aicc: float
    aic: float
    bic: float
    r2: float
    adj_r2: float
    iterations: int
    converged: bool
    soc: pd.Series
    bandwidth_history: pd.DataFrame
    init_bandwidth: float
    conventions: dict[str, Any]
    y_name: str
    _inp: _Input = field(repr=False)
    _engine: Engine = field(repr=False)
    _searches: list = field(repr=False, default_factory=list)

    @classmethod
    def _build(cls, inp: _Input, engine: Engine, params: np.ndarray, resid: np.ndarray,
               enp_j: np.ndarray, cct: np.ndarray, history: np.ndarray, scores: list,
               searches: list, bw_init: float, *, kernel: str, fixed: bool, criterion: str,
               standardise: bool, tol: float, converged: bool) -> MGWRResult:
        n, k = inp.X.shape
        rss = float(resid @ resid)
        tr_s = float(enp_j.sum())
        s2 = rss / (n - tr_s)
        bse = np.sqrt(cct * s2)
        ll = _loglik(rss, n)
        tss = float(((inp.y - inp.y.mean()) ** 2).sum())
        r2 = 1 - rss / tss
        crit = _criteria(resid, np.full(n, tr_s / n))
        names = inp.names
        conventions = {
            "kernel": kernel,
            "bandwidth": "fixed (distance in the coordinates' unit)" if fixed else
            "adaptive (neighbours including the point itself, mgwr/GWR4)",
            "search": "mgwr Sel_BW golden section per covariate at every iteration; kept once "
                      f"unchanged for {_BWS_SAME_TIMES} iterations",
            "criterion": criterion,
            "init": f"GWR with bandwidth {bw_init:g}",
            "soc": "√(Σ(f_new − f_old)²/n / Σ(Σ_j f_new,j)²) < tol (mgwr, smoothing-f SOC)",
            "tol": tol,
            "coordinates": inp.coordinates,
            "standardisation": (
                "y and regressors to mean 0, sd 1 (ddof = 0, as mgwr's examples)"
                if standardise else "none"),
            "sigma2": "RSS / (n − Σ ENP_j)",
            "enp_j": "tr R_j by mgwr's operator recursion over the iterations' bandwidths",
            "adj_alpha": "da Silva & Fotheringham (2016) per covariate: α / ENP_j; critical t "
                         "with n − 1 df",
        }
        if standardise:
            conventions["scale"] = dict(inp.scale)
        frame = pd.DataFrame
        return cls(
            bandwidths=pd.Series(history[-1], index=names, name="bandwidth"),
            params=frame(params, index=inp.ids, columns=names),
            bse=frame(bse, index=inp.ids, columns=names),
            tvalues=frame(params / bse, index=inp.ids, columns=names),
            residuals=pd.Series(resid, index=inp.ids, name="residual"),
            fitted=pd.Series(inp.y - resid, index=inp.ids, name="fitted"),
            enp_j=pd.Series(enp_j, index=names, name="enp"),
            n=n, k=k, rss=rss, tr_s=tr_s, enp=tr_s, sigma2=s2, llf=ll, aicc=crit["AICc"],
            aic=crit["AIC"], bic=crit["BIC"], r2=r2,
            adj_r2=1 - (1 - r2) * (n - 1) / (n - tr_s - 1), iterations=len(history),
            converged=converged,
            soc=pd.Series(scores, index=pd.RangeIndex(1, len(scores) + 1, name="iteration"),
                          name="soc"),
            bandwidth_history=frame(history, columns=names,
                                    index=pd.RangeIndex(1, len(history) + 1, name="iteration")),
            init_bandwidth=bw_init, conventions=conventions, y_name=inp.y_name, _inp=inp,
            _engine=engine, _searches=searches)

    @property
    def adj_alpha(self) -> pd.DataFrame:
        """Corrected α = α / ENP_j per covariate (rows) at α = 0.1, 0.05, 0.001 (columns)."""
        return pd.DataFrame({a: a / self.enp_j for a in _ALPHAS})

    def critical_t(self, alpha: float = 0.05) -> pd.Series:
        """Per covariate, the critical |t| at α / ENP_j (two-sided, n − 1 df)."""
        alpha = check_probability(alpha, "alpha")
        return pd.Series(stats.t.ppf(1 - alpha / self.enp_j.to_numpy() / 2.0, self.n - 1),
                         index=self.enp_j.index, name="critical_t")

    def significant(self, alpha: float = 0.05) -> pd.DataFrame:
        """Boolean mask: |t| at or above each covariate's corrected critical t."""
        return self.tvalues.abs() >= self.critical_t(alpha)

    def bandwidth_intervals(self, level: float = 0.95) -> pd.DataFrame:
        """Per covariate, the bandwidth interval from the AICc weights of its last search
        (Li et al. 2020; mgwr's ``get_bws_intervals``)."""
        level = check_probability(level, "level")
        rows = [_bw_interval(self._searches[-self.k + j], level) for j in range(self.k)]
        return pd.DataFrame(rows, index=self.bandwidths.index, columns=["lower", "upper"])

    def local_collinearity(self) -> pd.DataFrame:
        """Local condition number and variance-decomposition proportions, each covariate
        weighted by its own kernel (mgwr's ``MGWRResults.local_collinearity``)."""
        return _collinearity(self._inp, list(self.bandwidths), self._engine, gwr=False)

    def summary(self) -> str:
        """GWR4-style text: global regression, MGWR bandwidths, diagnostics, local estimates."""
        inp = self._inp
        ols = _ols(inp.X, inp.y)
        n = self.n
        crit = self.critical_t(0.05)
        lines = ["*" * 77, "  Multiscale geographically weighted regression (spatialecon)",
                 "*" * 77, f"Number of areas/points: {n}",
                 f"Geographic kernel: {self.conventions['bandwidth'].split(' ')[0]} "
                 f"{self.conventions['kernel']}",
                 f"Criterion for optimal bandwidth: {self.conventions['criterion']}",
                 f"Score of change (SOC) tolerance: {self.conventions['tol']:g}; "
                 f"iterations: {self.iterations} "
                 f"({'converged' if self.converged else 'not converged'})",
                 f"Coordinates: {self.conventions['coordinates']}",
                 f"Standardisation: {self.conventions['standardisation']}", "",
                 "  Global regression result",
                 f"{'Residual sum of squares:':<40}{ols['rss']:>16.6f}",
                 f"{'Classic AIC:':<40}{ols['aic']:>16.6f}",
                 f"{'AICc:':<40}{ols['aicc']:>16.6f}",
                 f"{'R square:':<40}{ols['r2']:>16.6f}", "",
                 "  MGWR bandwidths",
                 f"{'Variable':<20} {'Bandwidth':>14} {'ENP_j':>10} {'Adj t-val(95%)':>16} "
                 f"{'Adj alpha(95%)':>16}"]
        for name in inp.names:
            lines.append(f"{name[:20]:<20} {self.bandwidths[name]:>14.3f} "
                         f"{self.enp_j[name]:>10.3f} {crit[name]:>16.3f} "
                         f"{0.05 / self.enp_j[name]:>16.6f}")
        rows = [("Residual sum of squares:", self.rss),
                ("Effective number of parameters (trace(S)):", self.tr_s),
                ("Degree of freedom (n - trace(S)):", n - self.tr_s),
                ("Sigma estimate:", np.sqrt(self.sigma2)),
                ("-2 log-likelihood:", -2 * self.llf), ("Classic AIC:", self.aic),
                ("AICc:", self.aicc), ("BIC/MDL:", self.bic), ("R square:", self.r2),
                ("Adjusted R square:", self.adj_r2)]
        lines += ["", "  Diagnostic information"]
        lines += [f"{a:<58}{b:>16.6f}" for a, b in rows]
        lines += _local_table(self.params)
        return "\n".join(lines) + "\n"
