"""OLS with the spatial diagnostics and Anselin's decision rule."""
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pandas as pd
from libpysal.weights import W

from spatialecon.regression._common import (
    ANSELIN_RULE,
    _pair,
)
from spatialecon.regression.cross_section import (
    fit,
)
from spatialecon.regression.results import (
    RegressionResult,
    Statistic,
)

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

