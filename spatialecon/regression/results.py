"""Result objects: one statistic, one fitted model, the coefficient table."""


from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

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
        ``"ols"``, ``"ml"`` or ``"gmm"``. Panels add ``effects`` (``"unit"``, ``"time"``,
        ``"twoway"`` or ``"random"``) and, for fixed effects, the estimated ``unit_effects``
        (by ``adcode``) and ``time_effects`` (by year).
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
        The underlying spreg object where spreg estimated the model (OLS, SLX, GMM, random
        effects; ``.summary`` prints its report); ``None`` for the ML models, which are
        estimated here (:mod:`spatialecon.regression.ml`).
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
    unit_effects: pd.Series | None = None
    time_effects: pd.Series | None = None
    _w: Any = field(default=None, repr=False)
    _logdet: Any = field(default=None, repr=False)  # the ML log-determinant engine
    _traces: Any = field(default=None, repr=False)  # tr G, tr G², tr G'G at the estimate

    @property
    def schwarz(self) -> float:
        return self.sc

    @property
    def summary(self) -> str:
        """spreg's text report where spreg estimated the model (OLS, SLX, GMM, random
        effects); for our own ML estimators, this result's own report (``str(result)``)
        with the conventions it was computed under."""
        if self.spreg is None:
            lines = [str(self), "conventions:"]
            lines += [f"  {k}: {v}" for k, v in self.conventions.items()]
            return "\n".join(lines)
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
