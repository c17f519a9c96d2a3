"""Dagum's (1997) decomposition of the Gini coefficient into within-group, net between-group and
transvariation parts, for one cross-section or year by year over a balanced panel.

Let group ``j`` (of ``k``) hold ``n_j`` units with values ``y_ji`` and mean ``μ_j``; ``n`` units
in all with mean ``μ``; ``p_j = n_j / n`` (population share) and ``s_j = n_j μ_j / (n μ)``
(value share). Then (Dagum 1997, Empirical Economics 22: 515–531)

* overall Gini ``G = Σ_j Σ_h Σ_i Σ_r |y_ji − y_hr| / (2 n² μ)``;
* within group ``j``: ``G_jj = Σ_i Σ_r |y_ji − y_jr| / (2 n_j² μ_j)``;
* between groups ``j`` and ``h``: ``G_jh = Σ_i Σ_r |y_ji − y_hr| / (n_j n_h (μ_j + μ_h))``
  (``G_jj`` is its diagonal);
* ``G = G_w + G_nb + G_t`` with ``G_w = Σ_j G_jj p_j s_j`` (within),
  ``G_nb = Σ_{j>h} G_jh (p_j s_h + p_h s_j) D_jh`` (net between) and
  ``G_t = Σ_{j>h} G_jh (p_j s_h + p_h s_j) (1 − D_jh)`` (transvariation, the overlap);
  ``G_b = G_nb + G_t`` is the gross between-group part;
* ``D_jh = (d_jh − p_jh) / (d_jh + p_jh)``, the relative economic affluence of ``j`` over
  ``h``, where with the pair ordered so that ``μ_j ≥ μ_h`` the first-order moments of
  transvariation are ``d_jh = E[(y_j − y_h)⁺]`` (the gross economic affluence of ``j``) and
  ``p_jh = E[(y_h − y_j)⁺]`` (the transvariation); so ``d_jh + p_jh = E|y_j − y_h|``,
  ``d_jh − p_jh = μ_j − μ_h`` and ``0 ≤ D_jh ≤ 1``.

The pair order is what makes ``D_jh`` non-negative; every pair is ordered by its means in each
year, whatever order the groups are listed in (tables list them in the scheme's order, or in
order of first appearance). ``G_nb`` equals the Gini of the group means (every unit given its
group's mean; it follows from ``G_jh D_jh = (μ_j − μ_h)/(μ_j + μ_h)``), the between term of
Bhattacharya & Mahalanobis (1967) and of R's ``dineq::gini_decomp``; ``G_t`` is their overlap
term.

Weights (``weights=``, e.g. population) are frequencies: unit ``i`` stands for ``w_i`` people
with value ``y_i``. Every count above becomes a sum of weights (``n_j → W_j = Σ_{i∈j} w_i``,
``Σ_i Σ_r → Σ_i Σ_r w_i w_r``, means weighted), which is Dagum's decomposition of that
population's distribution — his formulas are stated for distribution functions ``F_j``, of which
a weighted sample is one — and for integer weights exactly the decomposition of the data with
unit ``i`` repeated ``w_i`` times. The overall ``G`` is then the population-weighted Gini of
:func:`spatialecon.inequality.gini` with the same weights.

Degenerate parts: a group of one unit (or of equal values) has ``G_jj = 0``, by definition (a
warning names a one-unit group); ``G_jh = 0`` when ``μ_j + μ_h = 0`` and ``D_jh = 0`` when
``E|y_j − y_h| = 0`` (both groups one and the same constant).

No PyPI package offers the decomposition (PySAL's ``inequality`` has the Gini alone, R's
``dineq`` the Bhattacharya–Mahalanobis form), so it is written here; every double sum
``Σ_i Σ_r w_i w_r (a_i − b_r)⁺`` is evaluated in O((n_a + n_b) log n_b) from the sorted ``b``,
its cumulative weights and weighted values and ``searchsorted``, never as a double loop.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spatialecon._labels import format_units
from spatialecon.inequality._input import (
    _NO_YEAR,
    InequalityError,
    InequalityWarning,
    _attach_groups,
    _attach_weights,
    _long,
    _validate,
    _where,
)

REFERENCE = ("Dagum, C. (1997). A new approach to the decomposition of the Gini income "
             "inequality ratio. Empirical Economics 22(4): 515–531. doi:10.1007/BF01205777")
COMPONENTS = ("within", "between", "transvariation")
_LABELS = {
    "zh": {"overall": "总体", "within": "区域内", "between": "区域间", "contribution": "贡献",
           "share": "贡献率 (%)", "G": "G", "Gw": "区域内 Gw", "Gnb": "区域间 Gnb",
           "Gt": "超变密度 Gt"},
    "en": {"overall": "overall", "within": "within", "between": "between",
           "contribution": "contribution", "share": "share (%)", "G": "G",
           "Gw": "within (Gw)", "Gnb": "net between (Gnb)", "Gt": "transvariation (Gt)"},
}
_NONNEGATIVE = ("the Gini coefficient of a distribution needs non-negative values (it divides "
                "mean differences by the mean)")


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Kernel: sums over all pairs of two sorted samples
# ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class _Sorted:
    """One group's values in ascending order with prefix sums (a leading 0) of its weights and
    weighted values, so that sums over ``b_r < a`` are two look-ups."""

    y: np.ndarray
    w: np.ndarray
    cum_w: np.ndarray
    cum_wy: np.ndarray

    @classmethod
    def of(cls, y: np.ndarray, w: np.ndarray) -> _Sorted:
        order = np.argsort(y, kind="stable")
        y, w = y[order], w[order]
        zero = np.zeros(1)
        return cls(y, w, np.concatenate([zero, np.cumsum(w)]),
                   np.concatenate([zero, np.cumsum(w * y)]))


def _excess(a: _Sorted, b: _Sorted) -> float:
    """``Σ_i Σ_r w_i v_r (a_i − b_r)⁺``: for each ``a_i``, ``a_i · V(b < a_i) − Y(b < a_i)``.

    ``searchsorted(side="left")`` counts the ``b_r`` strictly below ``a_i``; ties add 0 either
    way. O((n_a + n_b) log n_b).
    """
    below = np.searchsorted(b.y, a.y, side="left")
    return float(a.w @ (a.y * b.cum_w[below] - b.cum_wy[below]))


def _cross_section(y: np.ndarray, w: np.ndarray, labels: np.ndarray,
                   order: list[Hashable]) -> dict[str, Any]:
    """Every component for one year; ``order`` lists the groups present."""
    # Shift by the overall mean: |a − b| is unchanged and the prefix sums stay small, so the
    # differences a_i · V − Y lose fewer digits to cancellation.
    total_w = w.sum()
    mu = float(w @ y / total_w)
    shift = mu
    masks = [labels == g for g in order]
    groups = [_Sorted.of(y[m] - shift, w[m]) for m in masks]
    k = len(order)
    weight = np.array([g.cum_w[-1] for g in groups])
    means = np.array([g.cum_wy[-1] / g.cum_w[-1] for g in groups]) + shift
    # excess[j, h] = E[(y_j − y_h)⁺] over the weighted pairs of groups j and h
    excess = np.empty((k, k))
    for j, gj in enumerate(groups):
        for h, gh in enumerate(groups):
            excess[j, h] = _excess(gj, gh) / (weight[j] * weight[h])
    spread = excess + excess.T  # E|y_j − y_h|; the diagonal is Gini's mean difference Δ_jj
    mean_sum = means[:, None] + means[None, :]
    pair = np.divide(spread, mean_sum, out=np.zeros((k, k)), where=mean_sum > 0)
    # D_jh with each pair ordered so that μ_j ≥ μ_h: d = excess of the richer group, p of the
    # poorer one; (d − p) / (d + p) ∈ [0, 1]
    richer = means[:, None] >= means[None, :]
    d = np.where(richer, excess, excess.T)
    p = np.where(richer, excess.T, excess)
    relative = np.divide(d - p, d + p, out=np.zeros((k, k)), where=(d + p) > 0)
    np.fill_diagonal(relative, 0.0)
    pop = weight / total_w
    share = weight * means / (total_w * mu)
    within = float((np.diag(pair) * pop * share).sum())
    cross = pop[:, None] * share[None, :] + pop[None, :] * share[:, None]  # p_j s_h + p_h s_j
    upper = np.triu(np.ones((k, k), dtype=bool), 1)
    net = float((pair * cross * relative)[upper].sum())
    trans = float((pair * cross * (1 - relative))[upper].sum())
    whole = _Sorted.of(y - shift, w)
    gini = _excess(whole, whole) / total_w**2 / mu  # Σ Σ |·| / (2 W² μ), the sum being 2 × excess
    return {"gini": gini, "within": within, "between": net, "transvariation": trans,
            "pair": pair, "relative": relative, "means": means, "pop": pop, "share": share,
            "sizes": np.array([int(m.sum()) for m in masks])}


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Result
# ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass
class DagumGiniResult:
    """Dagum's Gini decomposition ``G = G_w + G_nb + G_t``.

    Attributes
    ----------
    gini, within, between, transvariation
        ``G``, ``G_w``, ``G_nb`` (net between) and ``G_t``: floats for a cross-section, Series
        by ``year`` for a panel. ``gross_between`` is ``G_nb + G_t``.
    group_gini
        ``G_jj``, a Series by group (by ``(year, group)`` for a panel).
    pair_gini
        ``G_jh``, a group × group DataFrame, symmetric, with ``G_jj`` on the diagonal (index
        ``(year, group)`` for a panel).
    relative_effect
        ``D_jh`` ∈ [0, 1] with each pair ordered by mean; symmetric, 0 on the diagonal.
    shares
        ``G_w / G``, ``G_nb / G``, ``G_t / G`` (fractions adding up to 1) indexed by
        ``within, between, transvariation`` (by ``(year, component)`` for a panel).
    group_means, group_sizes, group_shares
        ``μ_j`` (weighted by ``weights``), the number of units ``n_j``, and ``p_j`` /
        ``s_j`` (population and value shares, columns ``p`` and ``s``).
    conventions
        Formulas, reference, weights, pair ordering, degenerate cases, scheme; also in the
        ``attrs`` of every table.
    """

    gini: float | pd.Series
    within: float | pd.Series
    between: float | pd.Series
    transvariation: float | pd.Series
    gross_between: float | pd.Series
    group_gini: pd.Series
    pair_gini: pd.DataFrame
    relative_effect: pd.DataFrame
    shares: pd.Series
    group_means: pd.Series
    group_sizes: pd.Series
    group_shares: pd.DataFrame
    conventions: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    @property
    def is_panel(self) -> bool:
        return isinstance(self.gini, pd.Series)

    def table(self, *, lang: str = "zh", decimals: int | None = None,
              flat: bool = False) -> pd.DataFrame:
        """The decomposition as papers print it, one row per year (one row for a cross-section).

        Parameters
        ----------
        lang
            ``"zh"`` (总体 / 区域内 / 区域间 / 贡献 / 贡献率 (%)) or ``"en"``.
        decimals
            Round to this many decimals (default: not rounded).
        flat
            One header row (``区域内: 东部`` …) instead of two levels, e.g. for CSV files.

        Returns
        -------
        pandas.DataFrame
            Two-level columns: the overall ``G``; ``G_jj`` by group (区域内); ``G_jh`` by pair
            ``j–h`` in the groups' listed order (区域间); the contributions ``G_w``, ``G_nb``,
            ``G_t`` (贡献) and their shares of ``G`` in percent (贡献率, adding up to 100).
            Indexed by ``year`` for a panel, by the variable's name for a cross-section.
        """
        if lang not in _LABELS:
            raise InequalityError(f"lang must be 'zh' or 'en', not {lang!r}")
        labels = _LABELS[lang]
        order = list(self.conventions["groups"])
        if self.is_panel:
            years = list(self.gini.index)
            within = self.group_gini.unstack("group")
            pairs = {year: self.pair_gini.xs(year, level="year") for year in years}
            index = pd.Index(years, name="year")
        else:
            years = [None]
            within = pd.DataFrame([self.group_gini])
            pairs = {None: self.pair_gini}
            index = pd.Index([self.conventions.get("variable", "value")], name="variable")
        columns: dict[tuple[str, str], list[float]] = {}

        def scalar(value: float | pd.Series, year: Any) -> float:
            return float(value if year is None else value[year])

        columns[(labels["overall"], labels["G"])] = [scalar(self.gini, y) for y in years]
        for g in order:
            column = within[g] if g in within else pd.Series(np.nan, index=within.index)
            columns[(labels["within"], str(g))] = list(column.to_numpy(dtype=float))
        for a_pos, a in enumerate(order):
            for b in order[a_pos + 1:]:
                columns[(labels["between"], f"{a}–{b}")] = [
                    float(pairs[y].at[a, b]) if a in pairs[y].index and b in pairs[y].index
                    else np.nan for y in years]
        parts = {"Gw": self.within, "Gnb": self.between, "Gt": self.transvariation}
        for key, value in parts.items():
            columns[(labels["contribution"], labels[key])] = [scalar(value, y) for y in years]
        for key, value in parts.items():
            columns[(labels["share"], labels[key])] = [
                100 * scalar(value, y) / scalar(self.gini, y) for y in years]
        out = pd.DataFrame(columns, index=index)
        out.columns = (pd.Index([f"{a}: {b}" for a, b in out.columns]) if flat
                       else pd.MultiIndex.from_tuples(out.columns))
        if decimals is not None:
            out = out.round(decimals)
        out.attrs = dict(self.conventions)
        return out


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Entry point
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _group_order(groups: Any, present: pd.Series) -> list[Hashable]:
    """The groups in the scheme's order (a scheme name), the mapping's order of values, or the
    order of first appearance in the data."""
    listed: list[Hashable] = []
    if isinstance(groups, str):
        from spatialecon.geodata import regions  # stage 1, loaded on use as in _attach_groups

        listed = list(regions(groups).attrs.get("labels", {}))
    elif isinstance(groups, Mapping | pd.Series):
        listed = list(pd.unique(pd.Series(groups).dropna().to_numpy()))
    found = list(pd.unique(present.to_numpy()))
    order = [g for g in listed if g in set(found)]
    return order + [g for g in found if g not in set(order)]


def _check_balanced(long: pd.DataFrame) -> None:
    years = long["year"].unique()
    if len(years) < 2:
        return
    have = pd.MultiIndex.from_frame(long[["unit", "year"]])
    full = pd.MultiIndex.from_product([long["unit"].unique(), np.sort(years)],
                                      names=["unit", "year"])
    missing = full.difference(have)
    if len(missing):
        rows = missing.to_frame(index=False)
        units = rows["unit"].unique()
        raise InequalityError(
            f"the panel is unbalanced: {len(units)} unit(s) lack {len(missing)} unit-year(s): "
            f"{format_units(_where(rows))}. A Dagum decomposition compares the same units every "
            "year: drop those units (or those years), or fill the gaps first")


def _warn_singletons(long: pd.DataFrame) -> None:
    counts = long.groupby(["year", "group"], sort=False)["unit"].transform("size")
    single = long[counts == 1]
    if single.empty:
        return
    for group, rows in single.groupby("group", sort=False):
        warnings.warn(
            f"group {group!r} has one unit ({format_units(_where(rows))}): its within-group Gini "
            "G_jj is 0 by definition, and it enters G only through the between-group pairs",
            InequalityWarning, stacklevel=3)


def dagum_gini(
    values: pd.Series | pd.DataFrame | np.ndarray,
    groups: str | pd.Series | Mapping[Hashable, Hashable] | np.ndarray,
    *,
    weights: pd.Series | Mapping[Hashable, float] | pd.DataFrame | None = None,
) -> DagumGiniResult:
    """Dagum's (1997) Gini decomposition into within, net between and transvariation parts.

    Parameters
    ----------
    values
        Non-negative values of one variable: a Series indexed by ``adcode`` (a cross-section)
        or ``(adcode, year)`` (a balanced panel, decomposed year by year), a one-column table,
        a one-variable tidy panel, or a 1-D array with ``groups`` as aligned labels.
    groups
        A region scheme name (``"nbs4"``, ``"belts3"`` … see
        :func:`spatialecon.geodata.regions`), a Series or mapping ``adcode → region``, or labels
        aligned with a 1-D ``values``.
    weights
        Population (frequency) weights by ``adcode`` or ``(adcode, year)``; ``None`` (default)
        counts every unit once, as the regional-inequality literature using Dagum's method does.
        See the module notes for the weighted formulas.

    Returns
    -------
    DagumGiniResult
        ``gini``, ``within``, ``between`` (net), ``transvariation``, ``group_gini``,
        ``pair_gini``, ``shares`` …; floats and one-dimensional tables for a cross-section, a
        leading ``year`` level for a panel (also for a panel of one year); ``.table()`` for the
        printed layout.

    Raises
    ------
    InequalityError
        Missing, infinite or negative values, units without a group or weight, units given
        twice, several variables, an unbalanced panel (the units and years are named), all
        values zero in a year, or a group of zero total weight.

    Warns
    -----
    InequalityWarning
        A group with one unit (named with its unit and years): its ``G_jj`` is 0.

    Examples
    --------
    >>> import pandas as pd
    >>> y = pd.Series([1.0, 2.0, 3.0, 10.0, 12.0], index=[1, 2, 3, 4, 5])
    >>> r = dagum_gini(y, {1: "a", 2: "a", 3: "a", 4: "b", 5: "b"})
    >>> round(r.gini, 6), round(r.within + r.between + r.transvariation, 6)
    (0.428571, 0.428571)
    """
    if groups is None:
        raise InequalityError("dagum_gini needs groups: a region scheme name or a mapping "
                              "adcode → region (use gini() for the Gini alone)")
    long, _ = _long(values)
    if long["variable"].nunique() > 1:
        raise InequalityError(
            f"dagum_gini decomposes one variable at a time; got {long['variable'].nunique()} "
            f"({', '.join(map(str, long['variable'].unique()[:5]))} …): pass one column")
    variable = long["variable"].iloc[0] if len(long) else "value"
    panel = bool((long["year"] != _NO_YEAR).any())  # a year level or column: a panel
    long, weight_convention = _attach_weights(long, weights)
    long, meta = _attach_groups(long, groups)
    _validate(long, None, nonnegative=_NONNEGATIVE)
    if long.empty:
        raise InequalityError("no values to decompose")
    _check_balanced(long)
    _warn_singletons(long)
    order = _group_order(groups, long["group"])

    per_year: dict[Any, dict[str, Any]] = {}
    for year, rows in long.groupby("year", sort=True):
        y, w = rows["value"].to_numpy(dtype=float), rows["weight"].to_numpy(dtype=float)
        labels = rows["group"].to_numpy()
        when = "" if year == _NO_YEAR else f" in {year}"
        if (w * y).sum() <= 0:
            raise InequalityError(f"{variable}{when}: all values (or weights) are zero, so the "
                                  "Gini coefficient is undefined")
        present = [g for g in order if (labels == g).any()]
        zero = [g for g in present if w[labels == g].sum() <= 0]
        if zero:
            raise InequalityError(f"{variable}{when}: group(s) {', '.join(map(str, zero))} have "
                                  "zero total weight")
        per_year[year] = {"groups": present, **_cross_section(y, w, labels, present)}

    conventions: dict[str, Any] = {
        "method": "Dagum (1997) Gini decomposition: G = Gw + Gnb + Gt",
        "reference": REFERENCE,
        "variable": variable,
        "weights": weight_convention + (
            "; frequency weights: n_j → W_j = Σ w_i, Σ_i Σ_r → Σ_i Σ_r w_i w_r"
            if weights is not None else ""),
        **meta,
        "groups": order,
        "pair_order": ("each pair ordered by mean so that μ_j ≥ μ_h (per year), whence "
                       "D_jh = (d_jh − p_jh)/(d_jh + p_jh) = (μ_j − μ_h)/E|y_j − y_h| ∈ [0, 1]; "
                       "tables list groups in the scheme's order"),
        "formulas": {
            "G": "Σ_j Σ_h Σ_i Σ_r |y_ji − y_hr| / (2 n² μ)",
            "Gjj": "Σ_i Σ_r |y_ji − y_jr| / (2 n_j² μ_j)",
            "Gjh": "Σ_i Σ_r |y_ji − y_hr| / (n_j n_h (μ_j + μ_h))",
            "Gw": "Σ_j Gjj p_j s_j",
            "Gnb": "Σ_{j>h} Gjh (p_j s_h + p_h s_j) D_jh",
            "Gt": "Σ_{j>h} Gjh (p_j s_h + p_h s_j) (1 − D_jh)",
            "p_j, s_j": "n_j / n, n_j μ_j / (n μ)",
            "d_jh, p_jh": "E[(y_j − y_h)⁺], E[(y_h − y_j)⁺] with μ_j ≥ μ_h",
        },
        "shares": "Gw/G, Gnb/G, Gt/G as fractions (adding up to 1); table() prints percent",
        "degenerate": ("Gjj = 0 for a group of one unit or equal values; Gjh = 0 when "
                       "μ_j + μ_h = 0; D_jh = 0 when E|y_j − y_h| = 0"),
        "panel": "balanced (every unit every year), decomposed year by year",
        "algorithm": "sorted prefix sums and searchsorted: O(k n log n) per year",
    }
    return _assemble(per_year, order, panel, conventions)


def _assemble(per_year: dict[Any, dict[str, Any]], order: list[Hashable], panel: bool,
              conventions: dict[str, Any]) -> DagumGiniResult:
    scalars: dict[str, dict[Any, float]] = {
        k: {} for k in ("gini", "within", "between", "transvariation")}
    group_gini, pair_gini, relative, shares, means, counts, group_shares = ([] for _ in range(7))
    for year, part in per_year.items():
        present = part["groups"]
        for key in scalars:
            scalars[key][year] = part[key]
        idx = pd.Index(present, name="group")
        group_gini.append(pd.Series(np.diag(part["pair"]), index=idx, name="gini"))
        pair_gini.append(pd.DataFrame(part["pair"], index=idx,
                                      columns=pd.Index(present, name="group")))
        relative.append(pd.DataFrame(part["relative"], index=idx,
                                     columns=pd.Index(present, name="group")))
        shares.append(pd.Series([part[c] / part["gini"] for c in COMPONENTS],
                                index=pd.Index(COMPONENTS, name="component"), name="share"))
        means.append(pd.Series(part["means"], index=idx, name="mean"))
        counts.append(pd.Series(part["sizes"], index=idx, name="n", dtype="int64"))
        group_shares.append(pd.DataFrame({"p": part["pop"], "s": part["share"]}, index=idx))

    years = list(per_year)

    def stack(parts: list[Any]) -> Any:
        if not panel:
            return parts[0]
        out = pd.concat(parts, keys=years, names=["year"])
        if isinstance(out, pd.DataFrame) and out.columns.name is None:
            out.columns.name = parts[0].columns.name
        return out

    def scalar(key: str) -> float | pd.Series:
        if not panel:
            return float(scalars[key][years[0]])
        return pd.Series(scalars[key], name=key).rename_axis("year")

    pair_table = stack(pair_gini)
    if panel:  # groups missing in a year (a partial scheme) read NaN in the wide table
        pair_table = pair_table.reindex(columns=pd.Index(
            [g for g in order if g in pair_table.columns], name="group"))
    relative_table = stack(relative)
    if panel:
        relative_table = relative_table.reindex(columns=pair_table.columns)
    gini, within = scalar("gini"), scalar("within")
    between, trans = scalar("between"), scalar("transvariation")
    gross = between + trans
    if isinstance(gross, pd.Series):
        gross.name = "gross_between"
    result = DagumGiniResult(
        gini=gini, within=within, between=between, transvariation=trans, gross_between=gross,
        group_gini=stack(group_gini), pair_gini=pair_table, relative_effect=relative_table,
        shares=stack(shares), group_means=stack(means), group_sizes=stack(counts),
        group_shares=stack(group_shares), conventions=conventions)
    for name in ("gini", "within", "between", "transvariation", "gross_between", "group_gini",
                 "pair_gini", "relative_effect", "shares", "group_means", "group_sizes",
                 "group_shares"):
        value = getattr(result, name)
        if isinstance(value, pd.Series | pd.DataFrame):
            value.attrs = conventions
    return result


__all__ = ["DagumGiniResult", "dagum_gini"]
