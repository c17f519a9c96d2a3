"""Theil T and L (the generalized-entropy indices GE(1) and GE(0)) with their within/between
decomposition over groups, per variable and year.

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
from typing import Any

import numpy as np
import pandas as pd

from spatialecon.inequality._input import (
    _KEYS,
    _NO_YEAR,
    Index,
    InequalityError,
    _attach_groups,
    _attach_weights,
    _long,
    _validate,
)

# Labels of the decomposition rows in the table layout of 赵玉等 (2020) 表2.
_LABELS = {"zh": {"total": "总体", "within": "区域内", "between": "区域间"},
           "en": {"total": "total", "within": "within", "between": "between"}}


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
