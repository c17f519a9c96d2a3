"""Regional inequality: Theil T and L with within/between decomposition, Gini, coefficient of
variation and regional means.

Values come as a Series indexed by ``adcode`` (one cross-section) or ``(adcode, year)``, as a
wide table (one column per variable) or as a tidy panel (``adcode, year, variable, value``);
every measure is computed per variable and year. Groups are a region scheme name of
:func:`spatialecon.geodata.regions` (``"nbs4"``, ``"belts3"`` …) or any mapping ``adcode →
region``.

Let unit ``i`` have value ``y_i`` (a per-capita or index value) and weight ``n_i`` (1 per unit
by default, or its population); ``p_i = n_i / Σ n`` is its weight share and ``s_i = n_i y_i /
Σ n y`` its share of the total. Then (Theil 1967; Shorrocks 1980; Cowell 2011)

* Theil T (GE(1)): ``T = Σ s_i ln(s_i / p_i)``, decomposed over groups ``g`` with shares
  ``S_g = Σ_{i∈g} s_i``, ``P_g = Σ_{i∈g} p_i`` into ``between = Σ S_g ln(S_g / P_g)`` and
  ``within = Σ S_g T_g``;
* Theil L (GE(0), mean log deviation): ``L = Σ p_i ln(p_i / s_i)``, ``between = Σ P_g ln(P_g /
  S_g)``, ``within = Σ P_g L_g``.

Each group's contribution in percent is ``100 · weight_g · T_g / T`` (``weight_g = S_g`` for T,
``P_g`` for L) and the between part's ``100 · between / T``; they add up to 100 — the layout of
赵玉等 (2020) 表2, whose within weights ``(n_r / n)(ē_r / ē)`` are ``S_g`` with one weight per
province. Unit weights reproduce PySAL's ``inequality.theil.Theil``/``TheilD``.

``weights`` is the convention that differs most between sources (the article's text speaks of
urban population, its numbers fit unit weights); it is a parameter, recorded in the results.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from spatialecon._labels import format_units
from spatialecon.indices import is_tidy
from spatialecon.validation import SpatialEconError, check_finite

Index = Literal["T", "L"]
_KEYS = ["variable", "year"]
# Year key of values without a year (cross-sections); dropped from the results again.
_NO_YEAR = -1
# Labels of the decomposition rows in the table layout of 赵玉等 (2020) 表2.
_LABELS = {"zh": {"total": "总体", "within": "区域内", "between": "区域间"},
           "en": {"total": "total", "within": "within", "between": "between"}}


class InequalityError(SpatialEconError):
    """Values an inequality measure cannot use; the message names the units and the year."""


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Input: one long frame with keys (variable, year), unit, value, weight, group
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _long(values: Any) -> tuple[pd.DataFrame, bool]:
    """``variable, year, unit, value`` rows, and whether the input was one cross-section."""
    if is_tidy(values):
        long = values.rename(columns={"adcode": "unit"})[["variable", "year", "unit", "value"]]
        single = long["variable"].nunique() == 1 and long["year"].nunique() == 1
        return long.reset_index(drop=True), single
    if isinstance(values, pd.DataFrame):
        frames = [_series_long(values[c], c) for c in values.columns]
        if not frames:
            raise InequalityError("no values: the table has no columns")
        long = pd.concat(frames, ignore_index=True)
        return long, False
    if isinstance(values, pd.Series):
        long = _series_long(values, values.name if values.name is not None else "value")
        return long, long["year"].nunique() == 1 and "year" not in (values.index.names or [])
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise InequalityError(f"values must be one-dimensional, not of shape {array.shape}")
    return _series_long(pd.Series(array), "value"), True


def _series_long(series: pd.Series, name: Hashable) -> pd.DataFrame:
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise InequalityError(f"values of {name!r} are not numeric (dtype {series.dtype})")
    names = list(series.index.names)
    if "year" in names:
        unit_levels = [n for n in names if n != "year"]
        if len(unit_levels) != 1:
            raise InequalityError(f"expected an index (adcode, year); got {names}")
        unit = series.index.get_level_values(unit_levels[0])
        year = series.index.get_level_values("year")
    else:
        unit, year = series.index, np.full(len(series), _NO_YEAR)
    return pd.DataFrame({"variable": name, "year": year, "unit": unit,
                         "value": series.to_numpy(dtype=float, na_value=np.nan)})


def _attach_weights(long: pd.DataFrame, weights: Any) -> tuple[pd.DataFrame, str]:
    if weights is None:
        return long.assign(weight=1.0), "units (each unit counts once)"
    if is_tidy(weights):
        if weights["variable"].nunique() != 1:
            raise InequalityError("weights as a tidy panel must hold one variable (population)")
        weights = weights.set_index(["adcode", "year"])["value"]
    if isinstance(weights, Mapping):
        weights = pd.Series(weights)
    if not isinstance(weights, pd.Series):
        raise InequalityError("weights must be a Series (by adcode or (adcode, year)), a "
                              "mapping or a one-variable tidy panel")
    if "year" in (weights.index.names or []):
        key = pd.MultiIndex.from_arrays([long["unit"], long["year"]])
        w = weights.reindex(key).to_numpy(dtype=float)
    else:
        w = weights.reindex(long["unit"]).to_numpy(dtype=float)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        rows = long.loc[bad, ["unit", "year"]].drop_duplicates()
        raise InequalityError(
            f"no valid (finite, non-negative) weight for {format_units(_where(rows))}")
    return long.assign(weight=w), "population (weights=)"


def _where(rows: pd.DataFrame) -> list[str]:
    return [f"{u}" if y == _NO_YEAR else f"{u} ({y})" for u, y in rows[["unit", "year"]]
            .itertuples(index=False)]


def _attach_groups(long: pd.DataFrame, groups: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    meta: dict[str, Any] = {}
    if isinstance(groups, str):
        # stage 1, imported on use: spatialecon.geodata loads geopandas, which plain numbers
        # (a Theil index of a Series) do not need
        from spatialecon.geodata import regions

        scheme = regions(groups)
        meta = {"scheme": groups, "membership": scheme.attrs.get("membership")}
        groups = scheme
    elif isinstance(groups, Mapping):
        groups = pd.Series(groups)
    if isinstance(groups, pd.Series):
        labels = groups.reindex(long["unit"]).to_numpy()
        meta.setdefault("scheme", groups.name)
    else:
        labels = np.asarray(groups, dtype=object)
        if labels.shape != (len(long),):
            raise InequalityError(f"{labels.size} group labels for {len(long)} values: pass a "
                                  "mapping adcode → region or a region scheme name")
    missing = pd.isna(labels)
    if missing.any():
        units = sorted(set(long.loc[missing, "unit"]), key=str)
        raise InequalityError(
            f"{len(units)} unit(s) belong to no group: {format_units(units)}. Drop them from the "
            "values or pick a scheme that covers them (e.g. liu2020_4region omits 西藏)"
        )
    return long.assign(group=labels), meta


def _validate(long: pd.DataFrame, index: Index | None) -> None:
    labels = [(u,) if y == _NO_YEAR else (u, y) for u, y in
              long[["unit", "year"]].itertuples(index=False)]
    for variable, rows in long.groupby("variable", sort=False).indices.items():
        check_finite(pd.Series(long["value"].to_numpy()[rows],
                               index=pd.Index([labels[i] for i in rows], tupleize_cols=False)),
                     variable=str(variable), hint="Drop or impute them first (an inf is "
                     "usually a ratio with a zero denominator)")
    negative = long["value"] < 0
    if negative.any():
        raise InequalityError(
            f"negative values for {format_units(_where(long[negative]))}: inequality measures "
            "take logarithms of (or divide by) shares of a total, which must be non-negative"
        )
    if index == "L":
        zero = long["value"] == 0
        if zero.any():
            raise InequalityError(f"zero values for {format_units(_where(long[zero]))}: Theil L "
                                  "takes ln(y) and is undefined at 0 (use Theil T)")
    dup = long.duplicated(["variable", "year", "unit"])
    if dup.any():
        raise InequalityError(f"units given twice: {format_units(_where(long[dup]))}")


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Theil
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _theil_index(y: np.ndarray, n: np.ndarray, index: Index) -> float:
    p = n / n.sum()
    total = (n * y).sum()
    if total <= 0:
        return np.nan
    s = n * y / total
    if index == "T":
        ratio = np.divide(s, p, out=np.ones_like(s), where=(s > 0) & (p > 0))
        return float((s * np.log(ratio)).sum())  # s = 0 terms vanish (0 · ln 0 = 0)
    ratio = np.divide(p, s, out=np.ones_like(p), where=p > 0)
    return float((p * np.log(ratio)).sum())


@dataclass
class TheilResult:
    """Theil index with its between/within decomposition.

    Attributes
    ----------
    T, between, within
        Floats for one cross-section; otherwise Series indexed by ``(variable, year)`` (by
        ``variable`` for a wide table of cross-sections). ``T`` is the total index (Theil T or
        L, see ``conventions``); ``result["T"]`` works too.
    groups
        One row per (variable, year, group): ``n`` (units), ``mean`` (weighted by ``weights``),
        ``weight_share`` (``P_g``), ``value_share`` (``S_g``), ``theil`` (the group's own index),
        ``weight`` (``S_g`` for T, ``P_g`` for L), ``contribution`` (``weight · theil``) and
        ``contribution_pct`` (``100 · contribution / T``). Empty without groups.
    summary
        One row per (variable, year): ``T``, ``between``, ``within``, ``between_pct``,
        ``within_pct``, ``n``.
    conventions
        ``index``, ``weights``, ``scheme`` and the formulas.
    """

    T: float | pd.Series
    between: float | pd.Series
    within: float | pd.Series
    groups: pd.DataFrame
    summary: pd.DataFrame
    conventions: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def table(self, *, lang: str = "zh") -> pd.DataFrame:
        """The decomposition in the layout of 赵玉等 (2020) 表2 (seed T_urbanquality_2.csv).

        Returns
        -------
        pandas.DataFrame
            Columns ``year, group, statistic, value`` (plus ``variable`` when there are several):
            per year the total index (``总体``, statistic ``Theil``), each group's ``Theil``
            and ``contribution_pct``, and ``contribution_pct`` of ``区域内`` (within) and
            ``区域间`` (between) — which add up to 100.
        """
        labels = _LABELS[lang]
        summary = self.summary
        if "year" not in summary.index.names:
            summary = summary.assign(year=_NO_YEAR).set_index("year", append=True)
        groups = self.groups if "year" in self.groups else self.groups.assign(year=_NO_YEAR)
        rows = []
        for (variable, year), s in summary.iterrows():
            rows.append((variable, year, labels["total"], "Theil", s["T"]))
            part = groups[(groups["variable"] == variable) & (groups["year"] == year)]
            for g in part.itertuples(index=False):
                rows.append((variable, year, g.group, "Theil", g.theil))
                rows.append((variable, year, g.group, "contribution_pct", g.contribution_pct))
            rows.append((variable, year, labels["within"], "contribution_pct", s["within_pct"]))
            rows.append((variable, year, labels["between"], "contribution_pct",
                         s["between_pct"]))
        out = pd.DataFrame(rows, columns=["variable", "year", "group", "statistic", "value"])
        if out["variable"].nunique() == 1:
            out = out.drop(columns="variable")
        if (out["year"] == _NO_YEAR).all():
            out = out.drop(columns="year")
        out.attrs = dict(self.conventions)
        return out


def theil(
    values: pd.Series | pd.DataFrame | np.ndarray,
    groups: str | pd.Series | Mapping[Hashable, Hashable] | np.ndarray | None = None,
    *,
    weights: pd.Series | Mapping[Hashable, float] | pd.DataFrame | None = None,
    index: Index = "T",
) -> TheilResult:
    """Theil T (or L) with its decomposition into between- and within-group inequality.

    Parameters
    ----------
    values
        Non-negative values (strictly positive for L): a Series indexed by ``adcode`` or
        ``(adcode, year)``, a wide table (one column per variable) or a tidy panel.
    groups
        A region scheme name (``"nbs4"``, ``"belts3"`` … see
        :func:`spatialecon.geodata.regions`), a Series or mapping ``adcode → region``, or labels
        aligned with a 1-D ``values``. ``None``: no decomposition (``between = 0``,
        ``within = T``).
    weights
        Unit weights such as population, by ``adcode`` or ``(adcode, year)``. ``None`` (default)
        counts every unit once, as PySAL's ``inequality`` and the seed's articles do.
    index
        ``"T"`` (Theil T, GE(1), default) or ``"L"`` (mean log deviation, GE(0)).

    Returns
    -------
    TheilResult
        ``T``, ``between``, ``within`` (also as ``result["T"]``), the per-group table and
        :meth:`TheilResult.table` (the seed's Table 2 layout).

    Raises
    ------
    InequalityError
        Missing or negative values, zeros under L, units without a group or a weight (each
        named with its year).
    """
    if index not in ("T", "L"):
        raise InequalityError(f"index must be 'T' or 'L', not {index!r}")
    long, single = _long(values)
    long, weight_convention = _attach_weights(long, weights)
    meta: dict[str, Any] = {}
    if groups is not None:
        long, meta = _attach_groups(long, groups)
    _validate(long, index)
    summary_rows, group_rows = [], []
    for (variable, year), rows in long.groupby(_KEYS, sort=True):
        y, n = rows["value"].to_numpy(), rows["weight"].to_numpy()
        if (n * y).sum() <= 0:
            when = f" {year}" if year != _NO_YEAR else ""
            raise InequalityError(f"{variable}{when}: all values are zero, so shares are "
                                  "undefined")
        total = _theil_index(y, n, index)
        between = 0.0
        if groups is not None:
            share_n, share_y = n / n.sum(), n * y / (n * y).sum()
            for label, members in rows.assign(_p=share_n, _s=share_y).groupby("group",
                                                                              sort=False):
                P, S = members["_p"].sum(), members["_s"].sum()
                own = _theil_index(members["value"].to_numpy(), members["weight"].to_numpy(),
                                   index)
                weight = S if index == "T" else P
                if index == "T":
                    between += S * np.log(S / P) if S > 0 else 0.0
                else:
                    between += P * np.log(P / S)
                contribution = weight * own
                group_rows.append({
                    "variable": variable, "year": year, "group": label, "n": len(members),
                    "mean": float(np.average(members["value"], weights=members["weight"])),
                    "weight_share": P, "value_share": S, "theil": own, "weight": weight,
                    "contribution": contribution,
                    "contribution_pct": 100 * contribution / total if total > 0 else np.nan,
                })
        within = total - between
        summary_rows.append({
            "variable": variable, "year": year, "T": total, "between": between,
            "within": within, "n": len(rows),
            "between_pct": 100 * between / total if total > 0 else np.nan,
            "within_pct": 100 * within / total if total > 0 else np.nan,
        })
    summary = pd.DataFrame(summary_rows).set_index(_KEYS)
    group_table = pd.DataFrame(group_rows, columns=[
        "variable", "year", "group", "n", "mean", "weight_share", "value_share", "theil",
        "weight", "contribution", "contribution_pct"])
    conventions = {
        "index": "Theil T (GE(1))" if index == "T" else "Theil L (GE(0), mean log deviation)",
        "weights": weight_convention, **meta,
        "within": ("Σ S_g T_g, S_g = group share of the total" if index == "T"
                   else "Σ P_g L_g, P_g = group share of the weights"),
        "between": ("Σ S_g ln(S_g / P_g)" if index == "T" else "Σ P_g ln(P_g / S_g)"),
        "contribution_pct": "100 · weight_g · index_g / total; groups + between = 100",
    }
    if (summary.index.get_level_values("year") == _NO_YEAR).all():  # cross-sections only
        summary = summary.droplevel("year")
        group_table = group_table.drop(columns="year")
    summary.attrs = group_table.attrs = conventions
    if single:
        s = summary.iloc[0]
        return TheilResult(float(s["T"]), float(s["between"]), float(s["within"]),
                           group_table, summary, conventions)
    return TheilResult(summary["T"], summary["between"], summary["within"], group_table, summary,
                       conventions)


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Gini, coefficient of variation, regional means
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _per_key(values: Any, weights: Any, func: Any, name: str) -> float | pd.Series:
    long, single = _long(values)
    long, convention = _attach_weights(long, weights)
    _validate(long, None)
    out = long.groupby(_KEYS, sort=True).apply(
        lambda rows: func(rows["value"].to_numpy(), rows["weight"].to_numpy()),
        include_groups=False)
    out.name = name
    if (out.index.get_level_values("year") == _NO_YEAR).all():
        out = out.droplevel("year")
    out.attrs = {"weights": convention}
    return float(out.iloc[0]) if single else out


def gini(
    values: pd.Series | pd.DataFrame | np.ndarray,
    *,
    weights: pd.Series | Mapping[Hashable, float] | pd.DataFrame | None = None,
    small_sample: bool = False,
) -> float | pd.Series:
    """Gini coefficient ``G = Σ_i Σ_j p_i p_j |y_i − y_j| / (2 ȳ)``, ``ȳ = Σ p_i y_i``.

    Parameters
    ----------
    values
        As for :func:`theil` (non-negative).
    weights
        Unit weights (population); ``None`` counts every unit once (then ``G`` equals PySAL's
        ``inequality.gini.Gini``).
    small_sample
        Multiply by ``n / (n − 1)`` (unweighted only), the bias correction some software uses.

    Returns
    -------
    float or pandas.Series
        A float for one cross-section, else a Series indexed by ``(variable, year)``.
    """
    def g(y: np.ndarray, n: np.ndarray) -> float:
        order = np.argsort(y, kind="stable")
        y, p = y[order], n[order] / n.sum()
        mean = (p * y).sum()
        # With y sorted, Σ_i Σ_j p_i p_j |y_i − y_j| = 2 Σ_i p_i y_i (B_i − A_i), B_i and A_i the
        # weight shares before and after unit i (ties add |0| either way): O(n log n), not O(n²)
        cum = np.cumsum(p)
        below, above = cum - p, 1.0 - cum
        mad = 2 * (p * y * (below - above)).sum()
        value = mad / (2 * mean)
        if small_sample:
            if weights is not None:
                raise InequalityError("small_sample applies to unweighted Gini only")
            value *= len(y) / (len(y) - 1)
        return float(value)

    return _per_key(values, weights, g, "gini")


def coefficient_of_variation(
    values: pd.Series | pd.DataFrame | np.ndarray,
    *,
    weights: pd.Series | Mapping[Hashable, float] | pd.DataFrame | None = None,
    ddof: int = 0,
) -> float | pd.Series:
    """Coefficient of variation ``σ / ȳ``; with population weights Williamson's (1965) index.

    Parameters
    ----------
    values
        As for :func:`theil`.
    weights
        Unit weights: ``σ² = Σ p_i (y_i − ȳ)²`` with ``ȳ = Σ p_i y_i`` (Williamson's
        population-weighted CV). ``None``: every unit once.
    ddof
        ``0`` (default; population standard deviation, as ``scipy.stats.variation``) or ``1``
        (sample standard deviation, as Stata's ``summarize`` and R's ``sd``); unweighted only.

    Returns
    -------
    float or pandas.Series
        A float for one cross-section, else a Series indexed by ``(variable, year)``.
    """
    if ddof not in (0, 1):
        raise InequalityError(f"ddof must be 0 or 1, not {ddof}")
    if ddof and weights is not None:
        raise InequalityError("ddof=1 applies to the unweighted CV only")

    def cv(y: np.ndarray, n: np.ndarray) -> float:
        p = n / n.sum()
        mean = (p * y).sum()
        var = (p * (y - mean) ** 2).sum() * (len(y) / (len(y) - ddof))
        return float(np.sqrt(var) / mean)

    return _per_key(values, weights, cv, "cv")


def regional_means(
    values: pd.Series | pd.DataFrame,
    groups: str | pd.Series | Mapping[Hashable, Hashable],
    *,
    weights: pd.Series | Mapping[Hashable, float] | pd.DataFrame | None = None,
    overall: str | None = "全国",
) -> pd.DataFrame:
    """Mean of each region (and of all units) per variable and year.

    Parameters
    ----------
    values
        As for :func:`theil` (a tidy panel such as ``datasets.load("finpoverty_dea")``).
    groups
        A region scheme name or a mapping ``adcode → region``.
    weights
        Unit weights for weighted means (default: simple means, as the seed's articles print).
    overall
        Label of the all-units row (``None`` to omit it).

    Returns
    -------
    pandas.DataFrame
        Tidy: ``region, year, variable, value, n``.
    """
    long, _ = _long(values)
    long, _ = _attach_weights(long, weights)
    long, meta = _attach_groups(long, groups)
    missing = long["value"].isna()
    if missing.any():
        raise InequalityError(f"missing values for {format_units(_where(long[missing]))}")

    def mean(rows: pd.DataFrame) -> pd.Series:
        return pd.Series({"value": np.average(rows["value"], weights=rows["weight"]),
                          "n": len(rows)})

    parts = [long.groupby(["group", "year", "variable"], sort=False).apply(
        mean, include_groups=False).reset_index().rename(columns={"group": "region"})]
    if overall is not None:
        parts.append(long.groupby(["year", "variable"], sort=False).apply(
            mean, include_groups=False).reset_index().assign(region=overall))
    out = pd.concat(parts, ignore_index=True)[["region", "year", "variable", "value", "n"]]
    out["n"] = out["n"].astype("int64")
    out.attrs = {"statistic": "weighted mean" if weights is not None else "simple mean", **meta}
    return out


__all__ = ["InequalityError", "TheilResult", "coefficient_of_variation", "gini",
           "regional_means", "theil"]
