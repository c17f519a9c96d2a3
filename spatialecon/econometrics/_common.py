"""What every panel method here shares: the error, the :class:`PanelTest` result, the checked
wide panel (:func:`panel_frame`) and the small helpers for series, spacing and listings.

The formula parser is :func:`spatialecon.regression.parse_formula`; :func:`parse_formula` here
only re-raises its errors as :class:`EconometricsError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from spatialecon.validation import ParameterError, SpatialEconError, check_choice, check_finite

ENTITY, TIME = "adcode", "year"
TIDY_COLUMNS = ["adcode", "year", "variable", "value"]
CONSTANT = "const"

Cluster = Literal["entity", "time", "twoway"] | None
Effects = Literal["twoway", "entity", "time"]
Trend = Literal["n", "c", "ct"]
LagRule = int | Literal["aic", "bic"]


class EconometricsError(SpatialEconError):
    """Data or options a panel method cannot use; the message names units, years, variables."""


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Results
# ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, eq=False)  # DataFrame fields: no value equality or hash
class PanelTest:
    """A panel test: its statistics, the per-unit details and the conventions.

    Attributes
    ----------
    name
        The test (``"Hausman"``, ``"Im-Pesaran-Shin"`` …).
    statistics
        One row per statistic (index ``statistic``), columns ``value``, ``p_value``, ``df`` and
        ``distribution``; the first row is the headline statistic.
    units
        Per-unit results (ADF t-statistics, Wald statistics …) indexed by ``adcode``, or
        ``None``.
    attrs
        Conventions: hypotheses, alternative, lags, trend, corrections, sources of tables.
    """

    name: str
    statistics: pd.DataFrame
    units: pd.DataFrame | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def statistic(self) -> float:
        """The headline statistic (first row of ``statistics``)."""
        return float(self.statistics["value"].iloc[0])

    @property
    def p_value(self) -> float:
        """The headline statistic's p-value."""
        return float(self.statistics["p_value"].iloc[0])

    def __repr__(self) -> str:
        rows = "; ".join(f"{name} = {row.value:.4f}" + (
            f" (p = {row.p_value:.4g})" if pd.notna(row.p_value) else "")
            for name, row in self.statistics.iterrows())
        return f"PanelTest({self.name}: {rows})"


def _statistics(rows: Sequence[tuple[str, float, float, Any, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["statistic", "value", "p_value", "df", "distribution"])
    return frame.set_index("statistic")


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Data
# ─────────────────────────────────────────────────────────────────────────────────────────────

def parse_formula(formula: str) -> tuple[str, list[str]]:
    """Split ``"y ~ x1 + x2"`` into ``("y", ["x1", "x2"])`` with the rules of
    :func:`spatialecon.regression.parse_formula` (backticks for awkward names; the constant is
    always included; no transformations), raising :class:`EconometricsError`."""
    from spatialecon.regression import RegressionError
    from spatialecon.regression import parse_formula as _parse

    try:
        return _parse(formula)
    except RegressionError as err:
        raise EconometricsError(str(err)) from None


def _spec(y: str, x: str | Sequence[str] | None) -> tuple[str, list[str]]:
    if "~" in y:
        if x is not None:
            raise EconometricsError("give either a formula 'y ~ x1 + x2' or y and x, not both")
        y, xs = parse_formula(y)
    else:
        if x is None:
            raise EconometricsError("no regressors: pass x=[...] or a formula 'y ~ x1 + x2'")
        xs = [x] if isinstance(x, str) else [str(v) for v in x]
    if not xs:
        raise EconometricsError("at least one regressor is needed besides the constant")
    twice = sorted({v for v in xs if xs.count(v) > 1})
    if twice:
        raise EconometricsError(f"regressor(s) listed twice: {twice}")
    if y in xs:
        raise EconometricsError(f"{y!r} is both the dependent variable and a regressor")
    if CONSTANT in xs:
        raise EconometricsError(f"{CONSTANT!r} is reserved for the constant; rename the column")
    return y, xs


def _listing(items: Sequence[str], limit: int = 8) -> str:
    more = f" … ({len(items)} in all)" if len(items) > limit else ""
    return "; ".join(items[:limit]) + more


def panel_frame(
    panel: pd.DataFrame,
    variables: Sequence[str],
    *,
    balanced: bool = True,
    consecutive: bool = False,
) -> pd.DataFrame:
    """A checked wide panel: rows ``(adcode, year)`` sorted, one column per variable.

    Parameters
    ----------
    panel
        A tidy panel (``adcode, year, variable, value``) or a wide table indexed by
        ``(unit, year)`` (the level names are replaced by ``adcode, year``).
    variables
        The variables to keep, in this order.
    balanced
        Require every unit to have every year of the panel (errors name the missing
        unit-years).
    consecutive
        Require each unit's years to be a run without holes among the panel's years (needed
        for lags), even when ``balanced=False``.

    Returns
    -------
    pandas.DataFrame
        Float columns, no missing values.

    Raises
    ------
    EconometricsError
        Not a panel, unknown variables, duplicated unit-years, missing values, gaps.
    """
    variables = list(variables)
    if isinstance(panel, pd.DataFrame) and set(TIDY_COLUMNS) <= set(panel.columns):
        unknown = [v for v in variables if v not in set(panel["variable"])]
        if unknown:
            raise EconometricsError(f"variable(s) {unknown} are not in the panel; it has "
                                    f"{sorted(map(str, panel['variable'].unique()))}")
        data = panel[panel["variable"].isin(variables)]
        dup = data.duplicated(["adcode", "year", "variable"], keep=False)
        if dup.any():
            rows = data.loc[dup, ["adcode", "year", "variable"]].drop_duplicates()
            raise EconometricsError("unit-year-variable rows given more than once: "
                                    + _listing([f"{a} {y} {v}" for a, y, v in
                                                rows.itertuples(index=False)]))
        wide = data.pivot(index=["adcode", "year"], columns="variable", values="value")
        wide = wide.reindex(columns=variables)
    elif isinstance(panel, pd.DataFrame) and panel.index.nlevels == 2:
        unknown = [v for v in variables if v not in panel.columns]
        if unknown:
            raise EconometricsError(f"variable(s) {unknown} are not columns of the table; it "
                                    f"has {list(map(str, panel.columns))}")
        wide = panel[variables].copy()
        wide.index = wide.index.set_names([ENTITY, TIME])
        if wide.index.has_duplicates:
            dup = wide.index[wide.index.duplicated()].unique()
            raise EconometricsError("unit-years given more than once: "
                                    + _listing([f"{a} {y}" for a, y in dup]))
    else:
        raise EconometricsError("expected a tidy panel (adcode, year, variable, value) or a "
                                "table indexed by (adcode, year)")
    wide.columns.name = None
    bad = [c for c in wide.columns if not pd.api.types.is_numeric_dtype(wide[c])]
    if bad:
        raise EconometricsError(f"variable(s) {bad} are not numeric")
    wide = wide.astype(float).sort_index()
    for variable in variables:  # the one finite-values rule; units read (code, year)
        check_finite(wide[variable], variable=variable,
                     hint="impute them or drop those units or years first")
    years = np.sort(wide.index.get_level_values(TIME).unique().to_numpy())
    if balanced or consecutive:
        holes = []
        for unit, rows in wide.groupby(level=ENTITY, sort=True):
            have = rows.index.get_level_values(TIME).to_numpy()
            if balanced:
                lacking = np.setdiff1d(years, have)
            else:
                span = years[(years >= have.min()) & (years <= have.max())]
                lacking = np.setdiff1d(span, have)
            if len(lacking):
                holes.append(f"{unit}: {', '.join(map(str, lacking[:10]))}"
                             + (" …" if len(lacking) > 10 else ""))
        if holes:
            kind = "an unbalanced panel" if balanced else "gaps inside units' series"
            raise EconometricsError(
                f"{kind} — {len(holes)} unit(s) lack years (unit: missing years): "
                f"{_listing(holes)}. Fill or interpolate them, or drop those units or years"
                + (" (or pass balanced=False where the method allows it)." if balanced else "."))
    return wide


def _check_spacing(wide: pd.DataFrame) -> None:
    """Lags need equally spaced periods (2000, 2004, … 2016, 2019 would lag across 3 and 4
    years alike)."""
    years = np.sort(wide.index.get_level_values(TIME).unique().to_numpy())
    steps = np.diff(years)
    if len(steps) and not np.all(steps == steps[0]):
        raise EconometricsError(
            f"the panel's years are not equally spaced ({', '.join(map(str, years[:12]))}"
            f"{' …' if len(years) > 12 else ''}): lags would span different intervals. Use an "
            "annual panel, or select equally spaced years")


def _series(wide: pd.DataFrame, column: str) -> dict[Any, np.ndarray]:
    return {unit: rows[column].to_numpy() for unit, rows in wide.groupby(level=ENTITY, sort=True)}


def _check_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """:func:`spatialecon.validation.check_choice`, raised as :class:`EconometricsError`."""
    try:
        return check_choice(value, name, choices)
    except ParameterError as err:
        raise EconometricsError(str(err)) from None


def _check_not_constant(series: Mapping[Any, np.ndarray], variable: str, what: str) -> None:
    flat = [str(u) for u, s in series.items() if np.ptp(s) <= 1e-12 * max(1.0, np.abs(s).max())]
    if flat:
        raise EconometricsError(f"{variable} is constant over time for unit(s) "
                                f"{_listing(flat)}: {what}")



def _versions() -> dict[str, str]:
    import linearmodels
    import statsmodels

    return {"linearmodels": linearmodels.__version__, "statsmodels": statsmodels.__version__}


def text_table(head: str, coefficients: pd.DataFrame, statistic: str,
               diagnostics: pd.DataFrame, digits: int) -> str:
    """A plain-text result: a heading line, the coefficients (estimate, std_error,
    ``statistic``, p_value) and the tests (statistic, df, p_value), rounded to ``digits``."""
    coefs = coefficients[["estimate", "std_error", statistic, "p_value"]].round(digits)
    tests = diagnostics[["statistic", "df", "p_value"]].round(digits)
    return f"{head}\n{coefs.to_string()}\n\n{tests.to_string()}"
