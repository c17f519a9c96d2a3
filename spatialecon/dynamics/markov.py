"""Markov chains of regional classes: classical, spatial and LISA Markov transition matrices.

Values are discretised into ``k`` classes and each unit's move from its class in year ``t`` to
its class in ``t + 1`` is counted over all units and consecutive years (Quah 1993; Rey 2001;
Le Gallo 2004). The computation is giddy's (:class:`giddy.markov.Markov`,
:class:`giddy.markov.Spatial_Markov`, :class:`giddy.markov.LISA_Markov`, and its
``steady_state``, ``mfpt`` and ``homogeneity``); this module owns the input (any layout of
:func:`spatialecon.dynamics.wide_values`, weights keyed by ``adcode``), the classes, the
validation (empty classes, one year, unbalanced panels, islands — named), the results and the
tables in the layout Chinese regional papers print (传统/空间马尔可夫转移概率矩阵).

Conventions, recorded in each result's ``attrs``:

- ``classes="pooled"``: quantiles of all years pooled (giddy's ``fixed=True``), the same breaks
  in every year — classes mean absolute levels; ``"yearly"``: quantiles within each year —
  classes mean relative positions; a sequence of breaks: the ``k − 1`` inner cut points, class
  ``j`` is ``(b_{j−1}, b_j]`` (upper bounds inclusive, mapclassify's convention). ``result.classes``
  holds the breaks (per year, a table, for ``"yearly"``).
- Spatial lags use the weights row-standardised (a copy: the caller's ``W`` is not changed);
  lag classes follow the same rule as the classes (pooled or yearly quantiles of the lags with
  ``m`` classes, or the same breaks).
- Rows of a matrix without transitions (a class only reached in the last year, a neighbour
  class never met) are zero in ``p``/``P``; steady states and first-passage times are then
  computed with 1 on their diagonal (giddy's ``fill_empty_classes``) and the rows are listed in
  ``attrs["empty_rows"]``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from spatialecon._labels import format_units
from spatialecon.dynamics._values import DynamicsError, names_for, wide_values
from spatialecon.validation import ParameterError, check_choice, check_count

Classes = Literal["pooled", "yearly"] | Sequence[float]
Lang = Literal["en", "zh"]
_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII",
          "XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX"]
_HEAD = {"en": {"t": "class at t", "next": "class at t+1", "lag": "neighbour class",
                "classical": "none (classical Markov)", "low": "lowest", "high": "highest"},
         "zh": {"t": "t 期类型", "next": "t+1 期类型", "lag": "邻域类型",
                "classical": "无滞后（传统马尔可夫）", "low": "低", "high": "高"}}
# giddy's LISA quadrants (PySAL scheme): 1 HH, 2 LH, 3 LL, 4 HL (own, lag)
LISA_QUADRANTS = {"en": ["HH", "LH", "LL", "HL"],
                  "zh": ["HH（高—高）", "LH（低—高）", "LL（低—低）", "HL（高—低）"]}


def class_labels(k: int, lang: Lang = "en") -> list[str]:
    """``["I (lowest)", "II", …, "V (highest)"]`` (``lang="zh"``: ``"I（低）"`` … ``"V（高）"``)."""
    head = _HEAD[lang]
    roman = [_ROMAN[i] if i < len(_ROMAN) else str(i + 1) for i in range(k)]
    if k == 1:
        return roman
    if lang == "zh":
        return [f"{roman[0]}（{head['low']}）", *roman[1:-1], f"{roman[-1]}（{head['high']}）"]
    return [f"{roman[0]} ({head['low']})", *roman[1:-1], f"{roman[-1]} ({head['high']})"]


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Classes
# ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass
class _Classified:
    ids: np.ndarray  # (n, t) ints 0..k-1
    breaks: np.ndarray | pd.DataFrame  # inner cut points (k − 1), per year for "yearly"
    k: int
    rule: str


def _mode(classes: Any) -> str:
    if isinstance(classes, str):
        return check_choice(classes, "classes", ["pooled", "yearly"])
    return "breaks"


def _breaks(classes: Any) -> np.ndarray:
    try:
        breaks = np.asarray(classes, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError("classes must be 'pooled', 'yearly' or a sequence of breaks "
                             f"(numbers), not {classes!r}") from None
    if breaks.ndim != 1 or breaks.size < 1 or not np.isfinite(breaks).all():
        raise ParameterError("classes as breaks must be a 1-D sequence of at least one finite "
                             f"cut point (k − 1 of them for k classes); got {classes!r}")
    if np.any(np.diff(breaks) <= 0):
        raise ParameterError(f"classes as breaks must increase strictly; got {list(breaks)}")
    return breaks


def _interval(j: int, breaks: np.ndarray, labels: list[str]) -> str:
    lower = "−∞" if j == 0 else f"{breaks[j - 1]:g}"
    upper = "+∞" if j == len(breaks) else f"{breaks[j]:g}"
    return f"class {labels[j]} ({lower}, {upper}]"


def _classify(wide: pd.DataFrame, k: int, classes: Any, *, what: str = "values") -> _Classified:
    """Class ids of a (units × years) table under the rule ``classes`` (giddy's classing)."""
    import mapclassify as mc

    y = wide.to_numpy()
    n, t = y.shape
    mode = _mode(classes)
    labels = class_labels(k)
    if mode == "breaks":
        breaks = _breaks(classes)
        k = breaks.size + 1
        labels = class_labels(k)
        ids = mc.UserDefined(y.ravel(), np.append(breaks, np.inf)).yb.reshape(y.shape)
        empty = sorted(set(range(k)) - set(np.unique(ids).tolist()))
        if empty:
            lo, hi = float(y.min()), float(y.max())
            why = []
            for j in empty:
                reason = (f"the data's maximum {hi:g} is below it" if j > 0 and breaks[j - 1] >= hi
                          else f"the data's minimum {lo:g} is above it"
                          if j < breaks.size and breaks[j] < lo
                          else f"no value of the data ({lo:g} … {hi:g}) falls in it")
                why.append(f"{_interval(j, breaks, labels)}: {reason}")
            raise DynamicsError(f"{what}: {len(empty)} class(es) have no observations — "
                                f"{'; '.join(why)}. Breaks outside the data leave classes "
                                "empty; move or drop them")
        return _Classified(ids.astype(int), breaks, k, "breaks")
    check_count(k, "k", minimum=2)
    if mode == "pooled":
        if n * t < k:
            raise DynamicsError(f"{what}: {n} unit(s) × {t} year(s) = {n * t} values cannot "
                                f"fill k = {k} pooled quantile classes: too few units for k")
        with warnings.catch_warnings():  # too few distinct values: said below, with the class
            warnings.simplefilter("ignore", UserWarning)
            q = mc.Quantiles(y.ravel(), k=k)
        found = len(q.bins)
        if found < k:
            empty = ", ".join(labels[found:])
            raise DynamicsError(
                f"{what}: class(es) {empty} have no observations — pooled quantiles give only "
                f"{found} distinct classes for k = {k} because of tied values "
                f"({len(np.unique(y))} distinct among {n * t}); lower k or pass breaks")
        return _Classified(q.yb.reshape(y.shape).astype(int), np.asarray(q.bins[:-1]), k,
                           "pooled")
    if n < k:
        raise DynamicsError(f"{what}: {n} unit(s) per year cannot fill k = {k} yearly quantile "
                            "classes: too few units for k (lower k or use classes='pooled')")
    ids = np.empty(y.shape, dtype=int)
    rows = {}
    for j, year in enumerate(wide.columns):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            q = mc.Quantiles(y[:, j], k=k)
        ids[:, j] = q.yb
        rows[int(year)] = list(q.bins[:-1]) + [np.nan] * (k - len(q.bins))
    breaks = pd.DataFrame.from_dict(rows, orient="index",
                                    columns=[f"b{i + 1}" for i in range(k - 1)])
    breaks.index.name = "year"
    empty = sorted(set(range(k)) - set(np.unique(ids).tolist()))
    if empty:
        raise DynamicsError(f"{what}: class(es) {', '.join(labels[j] for j in empty)} have no "
                            "observations in any year — yearly quantiles collapse because of "
                            "tied values; lower k or pass breaks")
    return _Classified(ids, breaks, k, "yearly")


def _check_transitions(counts: np.ndarray) -> list[int]:
    """Rows (classes) without any transition out of them."""
    return [int(i) for i in np.flatnonzero(counts.sum(axis=-1) == 0)]


def _conventions(wide: pd.DataFrame, classified: _Classified, **more: Any) -> dict[str, Any]:
    years = [int(y) for y in wide.columns]
    return {
        "variable": wide.attrs.get("variable"),
        "units": len(wide),
        "years": years,
        "transitions_counted": len(wide) * (len(years) - 1),
        "classes": classified.rule,
        "classes_definition": {
            "pooled": "quantiles of all years pooled (giddy fixed=True)",
            "yearly": "quantiles within each year (giddy fixed=False)",
            "breaks": "user breaks; class j is (b_{j-1}, b_j]",
        }[classified.rule],
        "k": classified.k,
        **more,
    }


def _ids_frame(ids: np.ndarray, wide: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(ids, index=wide.index, columns=wide.columns)


def _prob_block(p: np.ndarray, counts: np.ndarray, labels: list[str]) -> pd.DataFrame:
    block = pd.DataFrame(p, index=labels, columns=labels)
    block.insert(0, "n", counts.sum(axis=1).astype(int))
    return block


def _ergodic(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from giddy.ergodic import mfpt, steady_state

    # a reducible chain has one steady state per recurrent class (a 2-D array, as giddy
    # returns it) and infinite passage times between classes (numpy warns on inf · 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.asarray(steady_state(p, fill_empty_classes=True), dtype=float),
                np.asarray(mfpt(p, fill_empty_classes=True), dtype=float))


def _stack(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """One float array, or an object array when some chains are reducible (giddy's ``S``)."""
    if len({a.shape for a in arrays}) == 1:
        return np.stack(arrays)
    out = np.empty(len(arrays), dtype=object)
    out[:] = list(arrays)
    return out


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Weights
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _aligned_weights(wide: pd.DataFrame, w: Any) -> tuple[pd.DataFrame, Any]:
    """``wide`` in ``w``'s id order and a row-standardised copy of ``w``; refuses islands and
    units on one side only (named)."""
    from libpysal.weights import W

    if not isinstance(w, W):
        raise DynamicsError(f"w must be a libpysal W keyed by adcode (e.g. spatialecon.weights."
                            f"contiguity(boundaries('province'))), not {type(w).__name__}")
    ids = list(w.id_order)
    islands = list(w.islands)
    if islands:
        raise DynamicsError(
            f"w has {len(islands)} island(s) without neighbours: "
            f"{format_units(islands, names=names_for(islands))}. Their spatial lag is undefined; "
            "link them (spatialecon.weights.contiguity(..., islands='nearest')) or drop them")
    have, known = set(wide.index), set(ids)
    only_values = [u for u in wide.index if u not in known]
    only_w = [u for u in ids if u not in have]
    if only_values or only_w:
        parts = []
        if only_values:
            parts.append(f"{len(only_values)} unit(s) of the values are not in w: "
                         f"{format_units(only_values, names=names_for(only_values))}")
        if only_w:
            parts.append(f"{len(only_w)} unit(s) of w have no values: "
                         f"{format_units(only_w, names=names_for(only_w))}")
        raise DynamicsError("; ".join(parts) + ". The values and w must cover the same units "
                            "(spatial lags need every neighbour's value)")
    copy = W(w.neighbors, w.weights, id_order=ids, silence_warnings=True)
    copy.transform = "r"
    return wide.loc[ids], copy


def _lag(w: Any, y: np.ndarray) -> np.ndarray:
    return np.asarray(w.sparse @ y)


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Results
# ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass
class MarkovResult:
    """A classical Markov chain of ``k`` classes.

    Attributes
    ----------
    p, transitions
        ``k × k`` transition probabilities (rows: class at t, columns: class at t+1) and counts.
    steady_state, first_passage
        Ergodic distribution and mean first passage times (giddy ``steady_state``, ``mfpt``).
    homogeneity
        Bickenbach–Bode time-homogeneity test: ``Q``, ``Q_p``, ``LR``, ``LR_p``, ``df``, over the
        matrices of each pair of consecutive years (giddy ``homogeneity``).
    classes
        The breaks (``k − 1`` cut points; per year a table for ``"yearly"``).
    class_ids
        Each unit's class (0 … k − 1) in each year.
    """

    p: np.ndarray
    transitions: np.ndarray
    steady_state: np.ndarray
    first_passage: np.ndarray
    homogeneity: dict[str, float]
    classes: np.ndarray | pd.DataFrame
    class_ids: pd.DataFrame
    k: int
    attrs: dict[str, Any] = field(default_factory=dict)

    def labels(self, lang: Lang = "en") -> list[str]:
        return class_labels(self.k, lang)

    def table(self, lang: Lang = "en") -> pd.DataFrame:
        """传统马尔可夫转移概率矩阵: rows class at t (with its count ``n``), columns class at
        t+1, and a last row with the steady state."""
        labels = self.labels(lang)
        block = _prob_block(self.p, self.transitions, labels)
        block.index.name = _HEAD[lang]["t"]
        block.columns.name = _HEAD[lang]["next"]
        return block

    def next_class(self, values: Any = None) -> pd.DataFrame:
        """Each unit's class in the last year and its most likely next class (see
        :func:`most_likely_next`)."""
        return most_likely_next(self, values)


@dataclass
class SpatialMarkovResult:
    """A spatial Markov chain: ``m`` transition matrices conditioned on the neighbours' class.

    Attributes
    ----------
    P, T
        ``m × k × k`` conditional probabilities and counts (``P[l]``: units whose spatial lag
        is in class ``l`` at t), as giddy's ``P`` and ``T``.
    p, transitions
        The classical (global) matrix and counts.
    steady_state, first_passage
        Of ``p`` (giddy ``s``, ``f``); ``conditional_steady_state`` (``S``) and
        ``conditional_first_passage`` (``F``) of each ``P[l]``.
    Q, Q_p, LR, LR_p, df
        Bickenbach–Bode homogeneity tests of ``P[l] = p`` for all ``l`` (giddy ``Q``,
        ``Q_p_value``, ``LR``, ``LR_p_value``, ``dof_hom``).
    chi2
        Per neighbour class, the χ² test of ``P[l]`` against ``p`` (statistic, p, df).
    classes, lag_classes
        Breaks of the classes and of the lag classes.
    class_ids, lag_class_ids
        Each unit's class and its lag's class in each year.
    """

    P: np.ndarray
    T: np.ndarray
    p: np.ndarray
    transitions: np.ndarray
    steady_state: np.ndarray
    first_passage: np.ndarray
    conditional_steady_state: np.ndarray
    conditional_first_passage: np.ndarray
    Q: float
    Q_p: float
    LR: float
    LR_p: float
    df: int
    chi2: pd.DataFrame
    classes: np.ndarray | pd.DataFrame
    lag_classes: np.ndarray | pd.DataFrame | None
    class_ids: pd.DataFrame
    lag_class_ids: pd.DataFrame
    k: int
    m: int
    w: Any = field(repr=False, default=None)
    attrs: dict[str, Any] = field(default_factory=dict)

    # giddy's short names
    @property
    def s(self) -> np.ndarray:
        return self.steady_state

    @property
    def S(self) -> np.ndarray:
        return self.conditional_steady_state

    @property
    def f(self) -> np.ndarray:
        return self.first_passage

    @property
    def F(self) -> np.ndarray:
        return self.conditional_first_passage

    def labels(self, lang: Lang = "en") -> list[str]:
        return class_labels(self.k, lang)

    def table(self, lang: Lang = "en", *, classical: bool = True) -> pd.DataFrame:
        """空间马尔可夫转移概率矩阵: a block per neighbour class (the classical matrix first,
        unless ``classical=False``), rows class at t with their count ``n``, columns class at
        t+1."""
        labels, head = self.labels(lang), _HEAD[lang]
        lag_labels = class_labels(self.m, lang)
        blocks, keys = [], []
        if classical:
            blocks.append(_prob_block(self.p, self.transitions, labels))
            keys.append(head["classical"])
        for lag in range(self.m):
            blocks.append(_prob_block(self.P[lag], self.T[lag], labels))
            keys.append(lag_labels[lag])
        table = pd.concat(blocks, keys=keys, names=[head["lag"], head["t"]])
        table.columns.name = head["next"]
        return table

    def tests(self) -> pd.DataFrame:
        """The homogeneity tests as a small table (Q and LR rows: statistic, df, p)."""
        return pd.DataFrame({"statistic": [self.Q, self.LR], "df": [self.df, self.df],
                             "p": [self.Q_p, self.LR_p]}, index=pd.Index(["Q", "LR"],
                                                                          name="test"))

    def next_class(self, values: Any = None) -> pd.DataFrame:
        """Each unit's class and lag class in the last year and its most likely next class."""
        return most_likely_next(self, values)


@dataclass
class LISAMarkovResult:
    """A Markov chain of LISA quadrants (HH, LH, LL, HL — own value, spatial lag).

    Attributes
    ----------
    p, transitions, steady_state, first_passage
        ``4 × 4`` over the quadrants in giddy's order (1 HH, 2 LH, 3 LL, 4 HL).
    quadrants
        Each unit's quadrant (1 … 4) in each year.
    move_types
        giddy's move type (1 … 16) of each unit and transition year.
    jumps
        时空跃迁: counts of Rey's type 0 (no move), I (own moves), II (neighbours move), III
        (both move) and the share of type 0 ("spatial cohesion").
    chi2
        giddy's test that own and neighbours' dynamics are independent (statistic, p, df).
    """

    p: np.ndarray
    transitions: np.ndarray
    steady_state: np.ndarray
    first_passage: np.ndarray
    quadrants: pd.DataFrame
    move_types: pd.DataFrame
    jumps: pd.Series
    chi2: tuple[float, float, int]
    expected: np.ndarray
    k: int = 4
    attrs: dict[str, Any] = field(default_factory=dict)

    def labels(self, lang: Lang = "en") -> list[str]:
        return list(LISA_QUADRANTS[lang])

    def table(self, lang: Lang = "en") -> pd.DataFrame:
        """LISA 马尔可夫转移概率矩阵: rows the quadrant at t with ``n``, columns at t+1."""
        block = _prob_block(self.p, self.transitions, self.labels(lang))
        block.index.name = _HEAD[lang]["t"]
        block.columns.name = _HEAD[lang]["next"]
        return block


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Entry points
# ─────────────────────────────────────────────────────────────────────────────────────────────


def markov(values: Any, *, k: int = 5, classes: Classes = "pooled",
           variable: str | None = None) -> MarkovResult:
    """Classical Markov chain of ``k`` classes (传统马尔可夫链).

    Parameters
    ----------
    values
        A Series indexed by ``(adcode, year)``, a wide table (units × years) or a tidy panel
        (one variable, or ``variable=``); balanced, at least two years.
    k
        Number of quantile classes (ignored with explicit breaks: ``k = len(breaks) + 1``).
    classes
        ``"pooled"`` (quantiles of all years together, giddy's ``fixed=True``; default),
        ``"yearly"`` (quantiles within each year) or the ``k − 1`` inner breaks.
    variable
        The variable of a tidy panel holding several.

    Returns
    -------
    MarkovResult

    Raises
    ------
    DynamicsError
        One year, a year missing for some units (named with the years), a class without
        observations (named, with why: too few units for ``k``, ties, breaks outside the data).
    NonFiniteError, ParameterError
    """
    from giddy.markov import Markov, homogeneity

    wide = wide_values(values, variable=variable, minimum_years=2)
    what = str(wide.attrs["variable"])
    classified = _classify(wide, k, classes, what=what)
    ids, k = classified.ids, classified.k
    chain = Markov(ids, classes=np.arange(k), summary=False)
    p = np.asarray(chain.p, dtype=float)
    transitions = np.asarray(chain.transitions, dtype=float)
    steady, passage = _ergodic(p)
    per_year = np.zeros((ids.shape[1] - 1, k, k))
    for t in range(ids.shape[1] - 1):
        np.add.at(per_year[t], (ids[:, t], ids[:, t + 1]), 1.0)
    hom = homogeneity(per_year)
    test = {"Q": float(hom.Q), "Q_p": float(hom.Q_p_value), "LR": float(hom.LR),
            "LR_p": float(hom.LR_p_value), "df": int(hom.dof),
            "regimes": "each pair of consecutive years (time homogeneity)"}
    attrs = _conventions(wide, classified, empty_rows=_check_transitions(transitions),
                         computed_by="giddy.markov.Markov", reference="Quah (1993); Rey (2001); "
                         "Bickenbach & Bode (2003) for the homogeneity test")
    return MarkovResult(p=p, transitions=transitions, steady_state=steady,
                        first_passage=passage, homogeneity=test, classes=classified.breaks,
                        class_ids=_ids_frame(ids, wide), k=k, attrs=attrs)


def spatial_markov(values: Any, w: Any, *, k: int = 5, m: int | None = None,
                   classes: Classes = "pooled", variable: str | None = None
                   ) -> SpatialMarkovResult:
    """Spatial Markov chain (空间马尔可夫链): transitions conditioned on the neighbours' class.

    Parameters
    ----------
    values
        As for :func:`markov`; the units must be those of ``w``.
    w
        libpysal ``W`` keyed by ``adcode`` without islands; row-standardised here (on a copy).
    k
        Number of classes of the values (ignored with explicit breaks).
    m
        Number of classes of the spatial lags (default ``k``; not with explicit breaks, which
        class the lags too).
    classes
        ``"pooled"``, ``"yearly"`` or breaks, as for :func:`markov`; applied to the lags too.
    variable
        The variable of a tidy panel holding several.

    Returns
    -------
    SpatialMarkovResult

    Raises
    ------
    DynamicsError
        As :func:`markov`, and islands in ``w`` or units on one side only (named).
    """
    from giddy.markov import Spatial_Markov

    wide = wide_values(values, variable=variable, minimum_years=2)
    what = str(wide.attrs["variable"])
    mode = _mode(classes)
    if mode == "breaks" and m is not None:
        raise ParameterError("m cannot be given with explicit breaks: the lags are classed by "
                             "the same breaks")
    wide, wr = _aligned_weights(wide, w)
    classified = _classify(wide, k, classes, what=what)
    k = classified.k
    m = k if m is None else check_count(m, "m", minimum=2)
    y = wide.to_numpy()
    lag = pd.DataFrame(_lag(wr, y), index=wide.index, columns=wide.columns)
    lag_classified = _classify(lag, m, classes, what=f"spatial lag of {what}") \
        if mode != "breaks" else None
    if mode == "breaks":
        breaks = classified.breaks
        sm = Spatial_Markov(y, wr, k=k, m=k, fixed=True, cutoffs=list(breaks),
                            lag_cutoffs=list(breaks))
    else:
        sm = Spatial_Markov(y, wr, k=k, m=m, fixed=mode == "pooled")
    if sm.k != k or sm.m != m or not np.array_equal(sm.class_ids, classified.ids):
        raise DynamicsError(f"{what}: giddy classed the values into {sm.k} × {sm.m} classes, "
                            f"not the {k} × {m} checked here")  # pragma: no cover - guard
    if lag_classified is not None and not np.array_equal(sm.lclass_ids, lag_classified.ids):
        raise DynamicsError(f"{what}: giddy's lag classes differ from those checked here"
                            )  # pragma: no cover - guard
    P, T = np.asarray(sm.P, dtype=float), np.asarray(sm.T, dtype=float)
    p, transitions = np.asarray(sm.p, dtype=float), np.asarray(sm.transitions, dtype=float)
    steady, passage = _ergodic(p)
    S, F = zip(*(_ergodic(block) for block in P), strict=True)
    empty = {"classical": _check_transitions(transitions),
             **{f"lag {lag_i}": _check_transitions(T[lag_i]) for lag_i in range(sm.m)}}
    chi2 = pd.DataFrame([tuple(c) for c in sm.chi2], columns=["chi2", "p", "df"],
                        index=pd.Index(class_labels(sm.m), name="neighbour class"))
    lag_breaks = (lag_classified.breaks if lag_classified is not None else classified.breaks)
    attrs = _conventions(wide, classified, m=sm.m, empty_rows=empty,
                         weights="row-standardised copy of w" + (
                             f" (given with transform {w.transform!r})" if w.transform else ""),
                         weights_meta=getattr(w, "meta", None),
                         computed_by="giddy.markov.Spatial_Markov",
                         reference="Rey (2001); Le Gallo (2004); Bickenbach & Bode (2003)")
    return SpatialMarkovResult(
        P=P, T=T, p=p, transitions=transitions, steady_state=steady, first_passage=passage,
        conditional_steady_state=_stack(S), conditional_first_passage=_stack(F),
        Q=float(sm.Q), Q_p=float(sm.Q_p_value), LR=float(sm.LR), LR_p=float(sm.LR_p_value),
        df=int(sm.dof_hom), chi2=chi2, classes=classified.breaks, lag_classes=lag_breaks,
        class_ids=_ids_frame(np.asarray(sm.class_ids), wide),
        lag_class_ids=_ids_frame(np.asarray(sm.lclass_ids), wide), k=k, m=int(sm.m), w=wr,
        attrs=attrs)


def _jump_type(q0: np.ndarray, q1: np.ndarray) -> np.ndarray:
    """Rey's space-time jump types: 0 none, 1 own only, 2 neighbours only, 3 both."""
    own_high = {1: True, 2: False, 3: False, 4: True}  # quadrant → own value above the mean
    lag_high = {1: True, 2: True, 3: False, 4: False}  # quadrant → lag above the mean
    own = np.vectorize(own_high.get)(q0) != np.vectorize(own_high.get)(q1)
    nbr = np.vectorize(lag_high.get)(q0) != np.vectorize(lag_high.get)(q1)
    return own.astype(int) + 2 * nbr.astype(int)


def lisa_markov(values: Any, w: Any, *, variable: str | None = None) -> LISAMarkovResult:
    """LISA Markov chain: transitions between Moran scatterplot quadrants (HH, LH, LL, HL).

    Parameters
    ----------
    values
        As for :func:`markov`; the units must be those of ``w``.
    w
        libpysal ``W`` keyed by ``adcode`` without islands; row-standardised (on a copy).
    variable
        The variable of a tidy panel holding several.

    Returns
    -------
    LISAMarkovResult

    Raises
    ------
    DynamicsError
        As :func:`spatial_markov`.
    """
    from giddy.markov import LISA_Markov

    wide = wide_values(values, variable=variable, minimum_years=2)
    wide, wr = _aligned_weights(wide, w)
    lm = LISA_Markov(wide.to_numpy(), wr)
    quadrants = _ids_frame(np.asarray(lm.q, dtype=int), wide)
    transitions = np.asarray(lm.transitions, dtype=float)
    p = np.asarray(lm.p, dtype=float)
    steady, passage = _ergodic(p)
    q = quadrants.to_numpy()
    kinds = _jump_type(q[:, :-1], q[:, 1:])
    counts = pd.Series([int((kinds == i).sum()) for i in range(4)],
                       index=pd.Index(["type 0", "type I", "type II", "type III"],
                                      name="jump"), name="count")
    jumps = pd.concat([counts, pd.Series({"cohesion": counts.iloc[0] / counts.sum()})])
    moves = pd.DataFrame(np.asarray(lm.move_types), index=wide.index,
                         columns=wide.columns[:-1])
    attrs = {"variable": wide.attrs.get("variable"), "units": len(wide),
             "years": [int(c) for c in wide.columns], "quadrants": "1 HH, 2 LH, 3 LL, 4 HL "
             "(own, lag; PySAL scheme)", "weights": "row-standardised copy of w",
             "empty_rows": _check_transitions(transitions),
             "computed_by": "giddy.markov.LISA_Markov", "reference": "Rey (2001); Rey, Murray "
             "& Anselin (2011)"}
    return LISAMarkovResult(p=p, transitions=transitions, steady_state=steady,
                            first_passage=passage, quadrants=quadrants, move_types=moves,
                            jumps=jumps, chi2=tuple(lm.chi_2), expected=np.asarray(lm.expected_t),
                            attrs=attrs)


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Most likely next class
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _class_of(y: np.ndarray, breaks: Any, k: int) -> np.ndarray:
    """Classes of one cross-section under fixed breaks, or its quantiles (breaks a table)."""
    import mapclassify as mc

    if isinstance(breaks, pd.DataFrame) or breaks is None:
        return np.asarray(mc.Quantiles(y, k=k).yb, dtype=int)
    return np.asarray(mc.UserDefined(y, np.append(np.asarray(breaks), np.inf)).yb, dtype=int)


def most_likely_next(result: MarkovResult | SpatialMarkovResult,
                     values: Any = None) -> pd.DataFrame:
    """Each unit's current class and its most likely class one step ahead.

    Parameters
    ----------
    result
        A :func:`markov` or :func:`spatial_markov` result.
    values
        ``None``: the classes of the result's last year. Else values of any layout of
        :func:`spatialecon.dynamics.wide_values` (its last year is used) or a Series by
        ``adcode`` (one cross-section), classed by the result's breaks (quantiles of that
        cross-section for ``"yearly"``); for a spatial result the units must be those of its
        ``w``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``adcode``: ``class`` (0 … k − 1), ``lag_class`` (spatial only), ``next``
        (argmax of the row; ties to the lower class), ``probability``; ``NaN`` next class for a
        row without transitions. ``attrs["labels"]`` are the class labels.
    """
    spatial = isinstance(result, SpatialMarkovResult)
    if values is None:
        current = result.class_ids.iloc[:, -1].to_numpy()
        units = result.class_ids.index
        lag_current = result.lag_class_ids.iloc[:, -1].to_numpy() if spatial else None
    else:
        if isinstance(values, pd.Series) and values.index.nlevels == 1:
            y = values.astype(float)
        else:
            y = wide_values(values).iloc[:, -1]
        units = y.index if not spatial else pd.Index(result.w.id_order, name="adcode")
        if spatial:
            missing = [u for u in units if u not in set(y.index)]
            if missing:
                raise DynamicsError(f"values lack unit(s) of w: "
                                    f"{format_units(missing, names=names_for(missing))}")
            y = y.reindex(units)
        current = _class_of(y.to_numpy(), result.classes, result.k)
        lag_current = (_class_of(_lag(result.w, y.to_numpy()), result.lag_classes, result.m)
                       if spatial else None)
    rows = result.P[lag_current, current] if spatial else result.p[current]
    has = rows.sum(axis=1) > 0
    nxt = np.where(has, rows.argmax(axis=1), -1)
    frame = pd.DataFrame({"class": current}, index=pd.Index(units, name="adcode"))
    if spatial:
        frame["lag_class"] = lag_current
    frame["next"] = pd.array(np.where(has, nxt, 0), dtype="Int64")
    frame.loc[~has, "next"] = pd.NA
    frame["probability"] = np.where(has, rows.max(axis=1), np.nan)
    frame.attrs = {"labels": class_labels(result.k)}
    return frame
