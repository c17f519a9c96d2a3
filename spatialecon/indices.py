"""Composite indices: entropy weights, TOPSIS (plain and layered) and coupling coordination.

Every function takes a **wide** table (one row per unit or unit-year, one column per indicator,
indexed by ``adcode`` or ``(adcode, year)``) or a **tidy panel** (``adcode, year, variable,
value``, converted with :func:`to_wide`), and returns a table indexed the same way, so results
go straight back to :func:`to_tidy`, :func:`spatialecon.panel.join_boundaries` and a map.

Conventions that differ between articles are parameters, recorded in the results' ``attrs``:

``scope``
    ``"year"`` (default): normalisation, entropy and ideal solutions are computed within each
    year's cross-section, so a unit is compared with the others of the same year (the usual
    practice of the seed's articles). ``"pooled"``: on all unit-years at once, so scores are
    comparable across years. A table without a ``year`` index level is one cross-section.
``shift``
    The entropy method's min–max values ``z = (x − min)/(max − min)`` (``(max − x)/(max − min)``
    for negative indicators) contain zeros, and ``p ln p`` is then taken at ``p = 0``. The usual
    remedy in the literature is to add a small constant to every ``z``: ``shift=1e-4`` (the
    default). ``shift=0`` uses the limit ``0 · ln 0 = 0`` instead. Scores are weighted sums of
    the unshifted ``z``, so they stay in [0, 1].

Formulas (Hwang & Yoon 1981 for TOPSIS; Shannon entropy weights as in 刘荣增等 2020 and 赵玉等
2020, 区域经济评论 No. 5):

* entropy: ``p_ij = z_ij / Σ_i z_ij``, ``e_j = −Σ_i p_ij ln p_ij / ln m``, ``w_j = (1 − e_j) /
  Σ_k (1 − e_k)`` with ``m`` units in the scope;
* TOPSIS: ``r_ij = x_ij / sqrt(Σ_i x_ij²)`` (vector normalisation), ``v_ij = w_j r_ij``, ideal
  ``v⁺_j = max_i v_ij`` (min for negative indicators), anti-ideal the reverse, closeness
  ``C_i = d⁻_i / (d⁺_i + d⁻_i)`` with Euclidean distances ``d⁺``, ``d⁻``;
* coupling coordination of ``n`` systems ``U_1 … U_n`` in [0, 1]:
  ``C = n (Π U_k)^(1/n) / Σ U_k`` (geometric over arithmetic mean; for two systems the familiar
  ``2 sqrt(U_1 U_2) / (U_1 + U_2)``), ``T = Σ α_k U_k`` (equal weights by default),
  ``D = sqrt(C T)``, graded into ten classes (``geodata/coupling_grades.csv``).

Typical use::

    from spatialecon import indices
    X = indices.to_wide(panel)                            # (adcode, year) × indicators
    w = indices.entropy_weights(X, {"gdp_pc": "+", "energy_intensity": "-"})
    c = indices.topsis(X, w, {"gdp_pc": "+", "energy_intensity": "-"})
    layered = indices.topsis_layered(X, dimensions, directions)  # 赵玉等 2020
    cc = indices.coupling_coordination(resilience / 100, quality / 100)
    indices.to_tidy(cc[["D"]])                             # back to a tidy panel for maps
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from spatialecon._files import embedded_path
from spatialecon._labels import format_units
from spatialecon.validation import SpatialEconError, check_finite

Scope = Literal["year", "pooled"]
TIDY_COLUMNS = ["adcode", "year", "variable", "value"]
DEFAULT_SHIFT = 1e-4

# Spellings of indicator directions met in papers and spreadsheets (正向/负向 as printed in the
# seed's indicator tables). Anything else is an error rather than a silent guess.
_POSITIVE = {"+", "positive", "pos", "benefit", "max", "1", "+1", "正向", "正"}
_NEGATIVE = {"-", "−", "negative", "neg", "cost", "min", "-1", "负向", "逆向", "负"}


class IndicatorError(SpatialEconError):
    """Indicator data a composite index cannot use; the message names indicators and units."""


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Tidy ⇄ wide
# ─────────────────────────────────────────────────────────────────────────────────────────────


def is_tidy(obj: Any) -> bool:
    """Whether ``obj`` is a tidy panel (a DataFrame with ``adcode, year, variable, value``)."""
    return isinstance(obj, pd.DataFrame) and set(TIDY_COLUMNS) <= set(obj.columns)


def to_wide(panel: pd.DataFrame, variables: Sequence[str] | None = None) -> pd.DataFrame:
    """A tidy panel as a wide table: rows ``(adcode, year)``, one column per variable.

    Parameters
    ----------
    panel
        Columns ``adcode, year, variable, value`` (e.g. :func:`spatialecon.datasets.load`).
    variables
        Variables to keep, in this column order (default all, in order of appearance).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(adcode, year)``; missing unit-year-variable cells are NaN (the index
        functions then name them). ``attrs`` keeps the panel's.

    Raises
    ------
    IndicatorError
        Not a tidy panel, unknown variables, or a unit-year-variable given twice.
    """
    if not is_tidy(panel):
        raise IndicatorError(
            "not a tidy panel: expected columns adcode, year, variable, value; got "
            f"{', '.join(map(str, getattr(panel, 'columns', [])))}"
        )
    data = panel
    names = list(dict.fromkeys(panel["variable"]))
    if variables is not None:
        unknown = [v for v in variables if v not in set(names)]
        if unknown:
            raise IndicatorError(f"variables not in the panel: {', '.join(map(str, unknown))}; "
                                 f"it has {', '.join(map(str, names))}")
        data = panel[panel["variable"].isin(variables)]
        names = list(variables)
    duplicated = data.duplicated(["adcode", "year", "variable"], keep=False)
    if duplicated.any():
        rows = data.loc[duplicated, ["adcode", "year", "variable"]].drop_duplicates().head(8)
        listed = "; ".join(f"{a} {y} {v}" for a, y, v in rows.itertuples(index=False))
        raise IndicatorError(f"unit-year-variable cells given more than once: {listed}")
    wide = data.pivot(index=["adcode", "year"], columns="variable", values="value")
    wide = wide.reindex(columns=names)
    wide.columns = pd.Index(names, name=None)
    wide.attrs = dict(panel.attrs)
    return wide


def to_tidy(
    frame: pd.DataFrame | pd.Series,
    *,
    year: int | None = None,
    columns: Sequence[Hashable] | None = None,
) -> pd.DataFrame:
    """A result indexed by ``adcode`` or ``(adcode, year)`` as a tidy panel.

    Parameters
    ----------
    frame
        A table (or one Series) from this module, :mod:`spatialecon.inequality` or
        :mod:`spatialecon.efficiency`.
    year
        The year of a cross-section indexed by ``adcode`` alone (required there).
    columns
        Columns to keep (default all).

    Returns
    -------
    pandas.DataFrame
        ``adcode, year, variable, value`` sorted by variable, unit and year, ``attrs`` kept, so
        it joins to boundaries with :func:`spatialecon.panel.join_boundaries`.
    """
    data = frame.to_frame() if isinstance(frame, pd.Series) else frame
    if columns is not None:
        data = data[list(columns)]
    names = list(data.index.names)
    if "year" not in names:
        if year is None:
            raise IndicatorError("the table has no year index level: pass year=")
        data = data.assign(year=year).set_index("year", append=True)
    elif year is not None:
        raise IndicatorError("the table already has a year index level; do not pass year=")
    unit = [n for n in data.index.names if n != "year"]
    if len(unit) != 1:
        raise IndicatorError(f"expected an index (adcode, year); got {data.index.names}")
    long = data.reset_index().rename(columns={unit[0]: "adcode"}).melt(
        id_vars=["adcode", "year"], var_name="variable", value_name="value")
    long["variable"] = long["variable"].astype(str)
    long = long.sort_values(["variable", "adcode", "year"]).reset_index(drop=True)
    long.attrs = dict(frame.attrs)
    return long


def _as_wide(X: Any, what: str = "X") -> pd.DataFrame:
    """A wide numeric table from a wide DataFrame, a tidy panel or a Series (one indicator)."""
    if is_tidy(X):
        X = to_wide(X)
    elif isinstance(X, pd.Series):
        X = X.to_frame(X.name if X.name is not None else "value")
    if not isinstance(X, pd.DataFrame):
        raise IndicatorError(f"{what} must be a DataFrame (wide or tidy) or a Series, "
                             f"not {type(X).__name__}")
    if X.shape[1] == 0 or X.shape[0] == 0:
        raise IndicatorError(f"{what} is empty ({X.shape[0]} rows, {X.shape[1]} columns)")
    bad = [c for c in X.columns
           if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])]
    if bad:
        raise IndicatorError(f"{what}: indicator column(s) {', '.join(map(str, bad))} are not "
                             "numeric")
    if X.index.has_duplicates:
        dup = X.index[X.index.duplicated()].unique()[:8]
        raise IndicatorError(f"{what}: units given more than once: {', '.join(map(str, dup))}")
    return X.astype("float64")


def plain(obj: Any) -> Any:
    """Series/DataFrame → nested dicts of Python scalars, for ``attrs``.

    pandas compares ``attrs`` when it concatenates or merges, which fails on frames, so results
    keep their weights and entropies as ``{indicator: value}`` or ``{year: {indicator: value}}``
    (``pd.Series(d)`` / ``pd.DataFrame(d).T`` turn them back into tables).
    """
    if isinstance(obj, pd.DataFrame):
        return {_scalar(k): plain(row) for k, row in obj.iterrows()}
    if isinstance(obj, pd.Series):
        return {_scalar(k): _scalar(v) for k, v in obj.items()}
    return obj


def _scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _check_complete(X: pd.DataFrame, what: str = "X") -> None:
    """Missing or infinite cells are errors naming the indicator and the units."""
    for column in X.columns:
        check_finite(X[column], variable=f"{what} indicator {column!r}",
                     hint="Impute or drop them first (entropy, TOPSIS and coupling need "
                     "complete data)")


def _blocks(X: pd.DataFrame, scope: Scope) -> Iterator[tuple[Any, pd.DataFrame]]:
    """(year, rows) for each year, or (None, all rows) for a pooled or cross-section table."""
    if scope not in ("year", "pooled"):
        raise IndicatorError(f"scope must be 'year' or 'pooled', not {scope!r}")
    if scope == "year" and "year" in (X.index.names or []):
        yield from X.groupby(level="year", sort=True)
    else:
        yield None, X


def _where(year: Any) -> str:
    return f" in {year}" if year is not None else ""


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Directions and weights
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _sign(value: Any, indicator: Hashable) -> int:
    text = str(value).strip().lower()
    if text in _POSITIVE:
        return 1
    if text in _NEGATIVE:
        return -1
    raise IndicatorError(f"direction {value!r} of indicator {indicator!r} is neither positive "
                         "('+', 'positive', '正向') nor negative ('-', 'negative', '负向')")


def _directions(directions: Any, columns: pd.Index) -> pd.Series:
    """+1/−1 per column from a mapping, a sequence aligned with the columns or one value."""
    if isinstance(directions, (str, int)) and not isinstance(directions, bool):
        return pd.Series(_sign(directions, "all"), index=columns)
    if isinstance(directions, (Mapping, pd.Series)):
        given = dict(directions.items())
        missing = [c for c in columns if c not in given]
        if missing:
            raise IndicatorError(
                f"no direction for indicator(s) {', '.join(map(repr, missing))}: list each "
                "indicator as positive ('+') or negative ('-')"
            )
        extra = [k for k in given if k not in set(columns)]
        if extra:
            raise IndicatorError(
                f"direction(s) given for indicator(s) not in the data: "
                f"{', '.join(map(repr, extra))}; the data have {', '.join(map(repr, columns))}"
            )
        return pd.Series([_sign(given[c], c) for c in columns], index=columns)
    seq = list(directions)
    if len(seq) != len(columns):
        raise IndicatorError(f"{len(seq)} directions for {len(columns)} indicators "
                             f"({', '.join(map(repr, columns))})")
    return pd.Series([_sign(d, c) for d, c in zip(seq, columns, strict=True)], index=columns)


def _minmax(block: pd.DataFrame, signs: pd.Series, year: Any) -> np.ndarray:
    """Direction-aware min–max values in [0, 1]; a constant indicator is an error."""
    x = block.to_numpy()
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = hi - lo
    constant = span <= 1e-12 * np.maximum(1.0, np.abs(hi))
    if constant.any():
        names = ", ".join(f"{c!r} (= {v:g})" for c, v in
                          zip(block.columns[constant], hi[constant], strict=True))
        raise IndicatorError(
            f"indicator(s) {names} are constant across the {len(block)} units{_where(year)}: "
            "min–max normalisation divides by zero and the entropy carries no information. "
            "Drop them, or pool the years (scope='pooled')."
        )
    z = (x - lo) / span
    return np.where(signs.to_numpy() > 0, z, 1.0 - z)


def _entropy(z: np.ndarray, shift: float) -> np.ndarray:
    m = z.shape[0]
    z = z + shift
    p = z / z.sum(axis=0)
    # 0 · ln 0 = 0 (the limit), reached only when shift = 0
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return -plogp.sum(axis=0) / np.log(m)


def entropy_weights(
    X: pd.DataFrame,
    directions: Mapping[Hashable, Any] | Sequence[Any] | str,
    *,
    scope: Scope = "year",
    shift: float = DEFAULT_SHIFT,
) -> pd.Series | pd.DataFrame:
    """Entropy weights of indicators (the entropy method, 熵值法).

    Parameters
    ----------
    X
        Wide table (units × indicators, indexed by ``adcode`` or ``(adcode, year)``) or a tidy
        panel (see :func:`to_wide`).
    directions
        Each indicator's direction: a mapping ``{indicator: "+" | "-"}`` (also ``"positive"``,
        ``"negative"``, ``"正向"``, ``"负向"``, ``1``, ``-1``), a sequence in column order, or one
        value for all. Every indicator needs one.
    scope
        ``"year"``: weights per year; ``"pooled"``: one set of weights from all unit-years.
    shift
        Added to every min–max value before the entropy is taken (see the module notes);
        ``0`` uses ``0 · ln 0 = 0``.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Weights summing to 1: a Series indexed by indicator for a cross-section or
        ``scope="pooled"``; with ``scope="year"`` on a table with a ``year`` level, a DataFrame
        (one row per year). ``attrs`` holds ``entropy`` (``e_j`` as a dict, see :func:`plain`),
        ``scope``, ``shift``, ``directions`` and ``n_units``.

    Raises
    ------
    IndicatorError
        Missing values, an indicator without a direction, a constant indicator (named with its
        year), or fewer than two units.
    """
    X = _as_wide(X)
    signs = _directions(directions, X.columns)
    _check_complete(X)
    if shift < 0:
        raise IndicatorError(f"shift must be ≥ 0, not {shift}")
    weights, entropies, sizes = {}, {}, {}
    for year, block in _blocks(X, scope):
        if len(block) < 2:
            raise IndicatorError(f"the entropy method needs at least 2 units{_where(year)}; "
                                 f"got {len(block)}")
        e = _entropy(_minmax(block, signs, year), shift)
        d = 1.0 - e
        weights[year], entropies[year], sizes[year] = d / d.sum(), e, len(block)
    attrs = {
        "method": "entropy weights",
        "scope": scope if "year" in (X.index.names or []) else "cross-section",
        "shift": shift,
        "normalisation": "min–max by direction, then + shift",
        "directions": {c: "+" if s > 0 else "-" for c, s in signs.items()},
    }
    if list(weights) == [None]:
        out = pd.Series(weights[None], index=X.columns, name="weight")
        out.attrs = {**attrs, "entropy": plain(pd.Series(entropies[None], index=X.columns)),
                     "n_units": sizes[None]}
        return out
    out = pd.DataFrame(weights, index=X.columns).T.rename_axis("year")
    out.columns.name = None
    out.attrs = {**attrs, "entropy": plain(pd.DataFrame(entropies, index=X.columns).T),
                 "n_units": {_scalar(k): v for k, v in sizes.items()}}
    return out


def entropy_index(
    X: pd.DataFrame,
    directions: Mapping[Hashable, Any] | Sequence[Any] | str,
    *,
    dimensions: Mapping[Hashable, Hashable] | None = None,
    scope: Scope = "year",
    shift: float = DEFAULT_SHIFT,
) -> pd.DataFrame:
    """Composite scores of the entropy method: ``S_i = Σ_j w_j z_ij``.

    Parameters
    ----------
    X, directions, scope, shift
        As for :func:`entropy_weights` (weights and min–max values share the scope).
    dimensions
        Optional ``{indicator: dimension}``. Each dimension's score then uses the weights of its
        indicators rescaled to sum to 1 (so each lies in [0, 1]) and ``total`` is the sum of
        the dimension scores (in [0, number of dimensions]) — the layout of 刘荣增等 (2020),
        whose printed totals are the sums of their four dimension scores.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``X``: ``score`` alone, or one column per dimension plus ``total``.
        ``attrs["weights"]`` holds the entropy weights (see :func:`entropy_weights`).
    """
    X = _as_wide(X)
    signs = _directions(directions, X.columns)
    weights = entropy_weights(X, signs, scope=scope, shift=shift)
    groups = _dimension_groups(dimensions, X.columns) if dimensions is not None else None
    parts = []
    for year, block in _blocks(X, scope):
        z = pd.DataFrame(_minmax(block, signs, year), index=block.index, columns=block.columns)
        w = weights.loc[year] if isinstance(weights, pd.DataFrame) else weights
        if groups is None:
            parts.append((z * w).sum(axis=1).to_frame("score"))
            continue
        scores = {dim: (z[cols] * (w[cols] / w[cols].sum())).sum(axis=1)
                  for dim, cols in groups.items()}
        frame = pd.DataFrame(scores)
        frame["total"] = frame.sum(axis=1)
        parts.append(frame)
    out = pd.concat(parts).reindex(X.index)
    out.attrs = {"method": "entropy index", "weights": plain(weights),
                 "scope": weights.attrs["scope"],
                 "shift": shift, "score_values": "min–max values without the shift",
                 "dimensions": dict(dimensions) if dimensions is not None else None}
    return out


def _dimension_groups(dimensions: Mapping[Hashable, Hashable], columns: pd.Index
                      ) -> dict[Hashable, list[Hashable]]:
    missing = [c for c in columns if c not in dimensions]
    if missing:
        raise IndicatorError(f"no dimension for indicator(s) {', '.join(map(repr, missing))}")
    extra = [k for k in dimensions if k not in set(columns)]
    if extra:
        raise IndicatorError(f"dimension given for indicator(s) not in the data: "
                             f"{', '.join(map(repr, extra))}")
    groups: dict[Hashable, list[Hashable]] = {}
    for column in columns:
        groups.setdefault(dimensions[column], []).append(column)
    return groups


# ─────────────────────────────────────────────────────────────────────────────────────────────
# TOPSIS
# ─────────────────────────────────────────────────────────────────────────────────────────────


def _weights_for(weights: Any, columns: pd.Index, year: Any) -> np.ndarray:
    if isinstance(weights, pd.DataFrame):
        if year is None:
            raise IndicatorError("per-year weights (a DataFrame) need per-year TOPSIS "
                                 "(scope='year' on a table with a year level)")
        if year not in weights.index:
            raise IndicatorError(f"no weights for {year}; they cover "
                                 f"{format_units(weights.index)}")
        weights = weights.loc[year]
    if isinstance(weights, (Mapping, pd.Series)):
        given = dict(weights.items())
        missing = [c for c in columns if c not in given]
        if missing:
            raise IndicatorError(f"no weight for indicator(s) {', '.join(map(repr, missing))}")
        w = np.array([given[c] for c in columns], dtype=float)
    else:
        w = np.asarray(list(weights), dtype=float)
        if w.shape != (len(columns),):
            raise IndicatorError(f"{w.size} weights for {len(columns)} indicators")
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise IndicatorError(f"weights must be finite, non-negative and not all zero: {w}")
    return w / w.sum()


def topsis(
    X: pd.DataFrame,
    weights: pd.Series | pd.DataFrame | Mapping[Hashable, float] | Sequence[float] | str,
    directions: Mapping[Hashable, Any] | Sequence[Any] | str,
    *,
    scope: Scope = "year",
    normalisation: Literal["vector", "minmax"] = "vector",
    shift: float = DEFAULT_SHIFT,
) -> pd.DataFrame:
    """TOPSIS: relative closeness of each unit to the ideal solution (Hwang & Yoon 1981).

    Parameters
    ----------
    X
        Wide table or tidy panel (see :func:`entropy_weights`).
    weights
        Indicator weights: a Series or mapping by indicator, a sequence in column order, a
        DataFrame with one row per year (as :func:`entropy_weights` returns with
        ``scope="year"``), or ``"entropy"`` to compute entropy weights with the same ``scope``
        and ``shift``. Rescaled to sum to 1 (closeness does not depend on their sum).
    directions
        As for :func:`entropy_weights`: the ideal takes the maximum of positive and the minimum
        of negative indicators.
    scope
        ``"year"``: normalisation and ideal solutions per year; ``"pooled"``: over all
        unit-years.
    normalisation
        ``"vector"`` (``x / sqrt(Σ x²)``, the classic choice and that of 赵玉等 2020; needs
        non-negative values) or ``"minmax"`` (direction-aware min–max, after which every
        indicator is positive).
    shift
        Used only with ``weights="entropy"``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``X``: ``d_plus`` (distance to the ideal), ``d_minus`` (to the anti-ideal)
        and ``closeness`` in [0, 1] (1 = the ideal). ``attrs`` records the conventions and the
        weights used.

    Raises
    ------
    IndicatorError
        Missing values, negative values under vector normalisation, an indicator without a
        direction or weight, an all-zero indicator, or units that are all identical.
    """
    X = _as_wide(X)
    signs = _directions(directions, X.columns)
    _check_complete(X)
    if normalisation not in ("vector", "minmax"):
        raise IndicatorError(f"normalisation must be 'vector' or 'minmax', not {normalisation!r}")
    if isinstance(weights, str):
        if weights != "entropy":
            raise IndicatorError(f"weights must be numbers or 'entropy', not {weights!r}")
        weights = entropy_weights(X, signs, scope=scope, shift=shift)
    if normalisation == "vector":
        negative = X.to_numpy() < 0
        if negative.any():
            j = int(np.flatnonzero(negative.any(axis=0))[0])
            raise IndicatorError(
                f"indicator {X.columns[j]!r} has negative values at unit(s) "
                f"{format_units(X.index[negative[:, j]])}: vector normalisation needs "
                "non-negative data (use normalisation='minmax')"
            )
    parts = []
    for year, block in _blocks(X, scope):
        w = _weights_for(weights, X.columns, year)
        if normalisation == "vector":
            x = block.to_numpy()
            norm = np.sqrt((x**2).sum(axis=0))
            zero = norm == 0
            if zero.any():
                raise IndicatorError(f"indicator(s) {', '.join(map(repr, block.columns[zero]))} "
                                     f"are zero for every unit{_where(year)}")
            v = w * x / norm
            s = signs.to_numpy()
        else:
            v = w * _minmax(block, signs, year)
            s = np.ones(len(w))
        best = np.where(s > 0, v.max(axis=0), v.min(axis=0))
        worst = np.where(s > 0, v.min(axis=0), v.max(axis=0))
        d_plus = np.sqrt(((v - best) ** 2).sum(axis=1))
        d_minus = np.sqrt(((v - worst) ** 2).sum(axis=1))
        total = d_plus + d_minus
        if (total == 0).any():
            raise IndicatorError(f"all units are identical on the weighted indicators"
                                 f"{_where(year)}: closeness is undefined")
        parts.append(pd.DataFrame({"d_plus": d_plus, "d_minus": d_minus,
                                   "closeness": d_minus / total}, index=block.index))
    out = pd.concat(parts).reindex(X.index)
    out.attrs = {"method": "TOPSIS", "normalisation": normalisation,
                 "scope": scope if "year" in (X.index.names or []) else "cross-section",
                 "weights": plain(weights) if isinstance(weights, (pd.Series, pd.DataFrame))
                 else plain(pd.Series(_weights_for(weights, X.columns, None), index=X.columns)),
                 "directions": {c: "+" if v > 0 else "-" for c, v in signs.items()},
                 "distance": "Euclidean"}
    return out


def topsis_layered(
    X: pd.DataFrame,
    dimensions: Mapping[Hashable, Hashable],
    directions: Mapping[Hashable, Any] | Sequence[Any] | str,
    *,
    scope: Scope = "year",
    shift: float = DEFAULT_SHIFT,
) -> pd.DataFrame:
    """Layered entropy-weight TOPSIS: indicators → dimensions → composite (赵玉等 2020).

    Each dimension's indicators get entropy weights (:func:`entropy_weights`) and a TOPSIS
    closeness with vector normalisation (:func:`topsis`); the dimension closenesses, all
    positive, then get entropy weights and a TOPSIS closeness of their own: the composite.

    Parameters
    ----------
    X
        Wide table or tidy panel.
    dimensions
        ``{indicator: dimension}`` for every indicator; dimensions keep their first-seen order.
    directions, scope, shift
        As for :func:`entropy_weights`, used at both layers.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``X``: one closeness column per dimension, then ``composite``. ``attrs``
        holds ``indicator_weights`` (within-dimension weights), ``dimension_weights`` and
        ``global_weights`` (dimension × within weight, the derived column of the seed's
        T_urbanquality_1) as ``{indicator: w}`` or ``{year: {indicator: w}}`` (see
        :func:`plain`), plus the conventions.
    """
    X = _as_wide(X)
    signs = _directions(directions, X.columns)
    groups = _dimension_groups(dimensions, X.columns)
    closeness, within = {}, []
    for dim, cols in groups.items():
        w = entropy_weights(X[cols], signs[cols], scope=scope, shift=shift)
        closeness[dim] = topsis(X[cols], w, signs[cols], scope=scope)["closeness"]
        within.append(w)
    U = pd.DataFrame(closeness)
    dim_w = entropy_weights(U, "+", scope=scope, shift=shift)
    composite = topsis(U, dim_w, "+", scope=scope)["closeness"]
    out = U.assign(composite=composite)
    indicator_weights = pd.concat(within, axis=1 if isinstance(within[0], pd.DataFrame) else 0)
    if isinstance(dim_w, pd.DataFrame):
        dim_of = pd.Series({c: dimensions[c] for c in indicator_weights.columns})
        global_w = indicator_weights * dim_w[dim_of.to_numpy()].to_numpy()
    else:
        global_w = indicator_weights * dim_w[[dimensions[c] for c in indicator_weights.index]
                                             ].to_numpy()
    out.attrs = {"method": "layered entropy-weight TOPSIS", "scope": dim_w.attrs["scope"],
                 "shift": shift, "normalisation": "vector", "dimensions": dict(dimensions),
                 "indicator_weights": plain(indicator_weights),
                 "dimension_weights": plain(dim_w), "global_weights": plain(global_w)}
    return out


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Coupling coordination
# ─────────────────────────────────────────────────────────────────────────────────────────────


@functools.lru_cache(maxsize=1)
def _grades_table() -> pd.DataFrame:
    return pd.read_csv(embedded_path("coupling_grades.csv"), comment="#").set_index("grade")


def coupling_grades() -> pd.DataFrame:
    """The ten classes of the coupling coordination degree D (孙慧、原伟鹏 2020, 表2).

    Returns
    -------
    pandas.DataFrame
        One row per class (``grade`` 1–10): ``lower``, ``upper`` (intervals ``[0, 0.1]``, then
        ``(lower, upper]``), ``type_zh``/``type_en`` (极度失调型 … 优质协调型) and
        ``stage_zh``/``stage_en`` (失调衰退 / 过渡协调 / 协调发展). Provenance in the file header
        of ``geodata/coupling_grades.csv``.
    """
    return _grades_table().copy()  # a copy: the cached table must not be edited by callers


def coupling_grade(D: pd.Series | Sequence[float] | np.ndarray, *, lang: str = "zh"
                   ) -> pd.DataFrame:
    """Grade coupling coordination degrees into the ten classes of :func:`coupling_grades`.

    Parameters
    ----------
    D
        Degrees in [0, 1].
    lang
        ``"zh"`` or ``"en"`` labels.

    Returns
    -------
    pandas.DataFrame
        ``grade`` (1–10), ``type`` and ``stage``, indexed like ``D``.
    """
    if lang not in ("zh", "en"):
        raise IndicatorError(f"lang must be 'zh' or 'en', not {lang!r}")
    d = D if isinstance(D, pd.Series) else pd.Series(np.asarray(D, dtype=float))
    outside = (d < 0) | (d > 1)
    if outside.any():
        raise IndicatorError(f"coupling degrees outside [0, 1] at {format_units(d.index[outside])}")
    table = _grades_table()
    edges = [0.0, *table["upper"].tolist()]
    grade = pd.cut(d, bins=edges, labels=table.index.tolist(), right=True, include_lowest=True)
    grade = grade.astype("Int64")
    return pd.DataFrame({"grade": grade,
                         "type": grade.map(table[f"type_{lang}"]),
                         "stage": grade.map(table[f"stage_{lang}"])}, index=d.index)


def _system(obj: Any, position: int) -> pd.Series:
    if is_tidy(obj):
        names = obj["variable"].unique()
        if len(names) != 1:
            raise IndicatorError(f"system {position} is a tidy panel with {len(names)} "
                                 f"variables ({format_units(names)}); filter it to one")
        obj = to_wide(obj).iloc[:, 0]
    elif isinstance(obj, pd.DataFrame):
        if obj.shape[1] != 1:
            raise IndicatorError(f"system {position} has {obj.shape[1]} columns; pass one "
                                 "column (a Series) per system")
        obj = obj.iloc[:, 0]
    if not isinstance(obj, pd.Series):
        raise IndicatorError(f"system {position} must be a Series or a tidy panel, "
                             f"not {type(obj).__name__}")
    if obj.index.has_duplicates:
        raise IndicatorError(f"system {position} ({obj.name}) repeats units: "
                             f"{format_units(obj.index[obj.index.duplicated()].unique())}")
    return obj.astype("float64").rename(obj.name if obj.name is not None else f"U{position}")


def coupling_coordination(
    *systems: pd.Series | pd.DataFrame,
    weights: Sequence[float] | Mapping[Hashable, float] | None = None,
    grade: bool = True,
    lang: str = "zh",
) -> pd.DataFrame:
    """Coupling degree C, comprehensive index T and coupling coordination degree D.

    Parameters
    ----------
    *systems
        Two or more systems' scores ``U_k`` **already scaled to [0, 1]** (divide indices
        printed ×100 by 100): Series indexed by ``adcode`` or ``(adcode, year)`` (all with the
        same units), one-column DataFrames or one-variable tidy panels.
    weights
        ``α_k`` of ``T = Σ α_k U_k``, in system order or by system name; they must sum to 1.
        Default equal weights ``1/n`` (0.5/0.5 for two systems, as in 孙慧、原伟鹏 2020).
    grade
        Add the ten-class grading of D (:func:`coupling_grade`).
    lang
        Labels of the grading.

    Returns
    -------
    pandas.DataFrame
        Indexed like the systems: one column per system (its name, else ``U1``, ``U2`` …),
        ``C``, ``T``, ``D`` and, with ``grade``, ``grade``, ``type``, ``stage``. Units whose
        systems are all zero get ``C = 0`` (no coupling; the formula is 0/0 there).
        ``attrs`` records the formula and weights.

    Raises
    ------
    IndicatorError
        Fewer than two systems, values outside [0, 1] or missing (naming units and system),
        systems covering different units, or weights that are negative or do not sum to 1.
    """
    if len(systems) < 2:
        raise IndicatorError(f"coupling needs at least two systems; got {len(systems)}")
    series = [_system(s, k + 1) for k, s in enumerate(systems)]
    names = [s.name for s in series]
    if len(set(names)) != len(names):
        series = [s.rename(f"U{k + 1}") for k, s in enumerate(series)]
        names = [s.name for s in series]
    index = series[0].index
    for s in series[1:]:
        if not s.index.equals(index):
            only_a = index.difference(s.index)
            only_b = s.index.difference(index)
            if len(only_a) or len(only_b):
                raise IndicatorError(
                    f"systems {series[0].name!r} and {s.name!r} cover different units: only in "
                    f"the first {format_units(only_a) or '—'}; only in the second "
                    f"{format_units(only_b) or '—'}"
                )
    U = pd.concat([s.reindex(index) for s in series], axis=1)
    _check_complete(U, "the systems")
    values = U.to_numpy()
    outside = (values < 0) | (values > 1)
    if outside.any():
        j = int(np.flatnonzero(outside.any(axis=0))[0])
        hint = (" (indices printed ×100? divide by 100)" if values[:, j].max() <= 100 else "")
        raise IndicatorError(f"system {names[j]!r} has values outside [0, 1] at unit(s) "
                             f"{format_units(U.index[outside[:, j]])}{hint}")
    n = len(series)
    if weights is None:
        alpha = np.full(n, 1.0 / n)
    else:
        given = (dict(weights) if isinstance(weights, Mapping)
                 else dict(zip(names, list(weights), strict=False)))
        if isinstance(weights, Mapping):
            missing = [nm for nm in names if nm not in given]
            if missing:
                raise IndicatorError(f"no weight for system(s) {', '.join(map(repr, missing))}")
        elif len(list(weights)) != n:
            raise IndicatorError(f"{len(list(weights))} weights for {n} systems")
        alpha = np.array([given[nm] for nm in names], dtype=float)
        if (alpha < 0).any() or not np.isclose(alpha.sum(), 1.0, rtol=0, atol=1e-9):
            raise IndicatorError(f"system weights must be non-negative and sum to 1: {alpha}")
    total = values.sum(axis=1)
    # C = geometric mean / arithmetic mean of the systems: 1 when all are equal, 0 when any is 0
    geometric = np.exp(np.log(np.where(values > 0, values, 1.0)).mean(axis=1))
    geometric = np.where((values > 0).all(axis=1), geometric, 0.0)
    C = np.divide(n * geometric, total, out=np.zeros(len(total)), where=total > 0)
    T = values @ alpha
    out = U.copy()
    out["C"], out["T"], out["D"] = C, T, np.sqrt(C * T)
    if grade:
        out = out.join(coupling_grade(out["D"].clip(0, 1), lang=lang))
    out.attrs = {"method": "coupling coordination",
                 "C": "n (Π U_k)^(1/n) / Σ U_k", "T": "Σ α_k U_k", "D": "sqrt(C T)",
                 "weights": dict(zip(names, alpha.tolist(), strict=True)),
                 "grades": ("geodata/coupling_grades.csv (孙慧、原伟鹏 2020, 表2)"
                            if grade else None)}
    return out


__all__ = [
    "DEFAULT_SHIFT", "IndicatorError", "coupling_coordination", "coupling_grade",
    "coupling_grades", "entropy_index", "entropy_weights", "is_tidy", "plain", "to_tidy",
    "to_wide",
    "topsis", "topsis_layered",
]


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Principal-component (factor-analysis) weights
# ─────────────────────────────────────────────────────────────────────────────────────────────
#
# The recipe of the Chinese composite-index literature (主成分分析/因子分析法确权; 孙慧、原伟鹏
# 2020, 区域经济评论 No. 5, whose eq. 1 is missing from the print):
#
# 1. range (min–max) normalisation by direction, z_ij in [0, 1];
# 2. eigen-decomposition of the correlation matrix R of the indicators: eigenvalues
#    λ_1 ≥ … ≥ λ_p (Σ λ = p) and unit eigenvectors u_k; loadings a_jk = u_jk sqrt(λ_k);
# 3. retain m components (Kaiser: λ_k > 1; or the fewest whose cumulative share reaches a
#    threshold; or a fixed m);
# 4. "score" coefficients c_jk = a_jk / sqrt(λ_k) = u_jk (the coefficients of the indicator in
#    the component's linear combination, 线性组合系数), weighted by the components' variance
#    contributions λ_k / Σ_{retained} λ:  w̃_j = Σ_{k≤m} (λ_k / Σ_{l≤m} λ_l) |c_jk|;
#    ``coefficients="loadings"`` uses |a_jk| instead (the other common variant);
# 5. w_j = w̃_j / Σ_i w̃_i, and the composite score S_i = Σ_j w_j z_ij in [0, 1].
#
# Absolute values make the weights independent of the arbitrary sign of each eigenvector, and
# the normalisation in step 5 makes the denominator Σ λ of step 4 immaterial. Because R is
# invariant to positive affine transformations of each indicator and to the order of the units,
# so are the weights; min–max normalisation (which R does not see) matters for the score only.

PCA_FORMULAS = {
    "score": "w_j ∝ Σ_{k≤m} (λ_k/Σ_{l≤m} λ_l) |a_jk| / sqrt(λ_k)  (= |u_jk|, score coefficients)",
    "loadings": "w_j ∝ Σ_{k≤m} (λ_k/Σ_{l≤m} λ_l) |a_jk|  (loadings a_jk = u_jk sqrt(λ_k))",
}


def _retained(eigenvalues: np.ndarray, retain: Any) -> tuple[int, str]:
    """Number of components to keep and the rule, as recorded in ``attrs``."""
    p = len(eigenvalues)
    if isinstance(retain, str):
        if retain != "kaiser":
            raise IndicatorError(f"retain must be 'kaiser', a cumulative share in (0, 1] or a "
                                 f"number of components, not {retain!r}")
        # Kaiser (1960): components with more variance than one standardised indicator; the
        # mean eigenvalue of a correlation matrix is 1, so at least the first qualifies unless
        # the indicators are uncorrelated — then the first is kept.
        return max(1, int((eigenvalues > 1.0 + 1e-12).sum())), "kaiser: eigenvalue > 1"
    if isinstance(retain, bool) or not isinstance(retain, (int, float, np.integer, np.floating)):
        raise IndicatorError(f"retain must be 'kaiser', a share or an integer, not {retain!r}")
    if isinstance(retain, (int, np.integer)) and retain >= 1:
        if retain > p:
            raise IndicatorError(f"retain={retain} components, but there are only {p} "
                                 "indicators")
        return int(retain), f"fixed: {int(retain)} component(s)"
    share = float(retain)
    if not 0 < share <= 1:
        raise IndicatorError(f"a cumulative-variance threshold must be in (0, 1], not {share}")
    cumulative = np.cumsum(eigenvalues) / eigenvalues.sum()
    # the fewest components reaching the threshold (tolerance for shares printed as 0.85)
    return int(np.argmax(cumulative >= share - 1e-12)) + 1, f"cumulative variance ≥ {share:g}"


def _pca_block(z: np.ndarray, columns: pd.Index, retain: Any, coefficients: str, where: str
               ) -> dict[str, Any]:
    if z.shape[0] < 3:
        raise IndicatorError(f"principal components need at least 3 units{where}; got "
                             f"{z.shape[0]}")
    R = np.corrcoef(z, rowvar=False).reshape(len(columns), len(columns))
    eigenvalues, vectors = np.linalg.eigh(R)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues = np.clip(eigenvalues[order], 0.0, None)  # −1e-16 from rounding, not variance
    vectors = vectors[:, order]
    # orient each component so that its coefficients sum to a non-negative number (the
    # indicators, all positive after the direction flip, then raise the component on balance);
    # weights use absolute values and do not depend on this, component scores do
    flip = np.where(vectors.sum(axis=0) < 0, -1.0, 1.0)
    vectors = vectors * flip
    m, rule = _retained(eigenvalues, retain)
    lam = eigenvalues[:m]
    loadings = vectors[:, :m] * np.sqrt(lam)
    coef = vectors[:, :m] if coefficients == "score" else loadings
    raw = (np.abs(coef) * (lam / lam.sum())).sum(axis=1)
    return {"weights": raw / raw.sum(), "eigenvalues": eigenvalues, "vectors": vectors,
            "m": m, "rule": rule, "loadings": loadings, "n": z.shape[0]}


def _pca_blocks(X: pd.DataFrame, signs: pd.Series, scope: Scope, retain: Any,
                coefficients: str) -> dict[Any, tuple[pd.DataFrame, np.ndarray, dict]]:
    if coefficients not in PCA_FORMULAS:
        raise IndicatorError(f"coefficients must be 'score' or 'loadings', not {coefficients!r}")
    out = {}
    for year, block in _blocks(X, scope):
        z = _minmax(block, signs, year)
        out[year] = (block, z, _pca_block(z, X.columns, retain, coefficients, _where(year)))
    return out


def _pca_attrs(result: dict, columns: pd.Index) -> dict[str, Any]:
    lam = result["eigenvalues"]
    m = result["m"]
    return {
        "eigenvalues": [float(v) for v in lam],
        "explained_variance": [float(v) for v in lam / lam.sum()],
        "cumulative_variance": [float(v) for v in np.cumsum(lam) / lam.sum()],
        "retained": m,
        "loadings": {c: [float(v) for v in row] for c, row in
                     zip(columns, result["loadings"], strict=True)},
        "n_units": result["n"],
    }


def pca_weights(
    X: pd.DataFrame,
    directions: Mapping[Hashable, Any] | Sequence[Any] | str | None = None,
    *,
    retain: Literal["kaiser"] | float | int = "kaiser",
    coefficients: Literal["score", "loadings"] = "score",
    scope: Scope = "pooled",
) -> pd.Series | pd.DataFrame:
    """Indicator weights from principal components (factor-analysis weights, 主成分/因子分析法).

    Parameters
    ----------
    X
        Wide table (units × indicators, indexed by ``adcode`` or ``(adcode, year)``) or a tidy
        panel.
    directions
        As for :func:`entropy_weights`; ``None`` treats every indicator as positive. Directions
        flip signs of correlations only, so they do not change the weights (absolute values),
        but they do change the composite score of :func:`pca_index`.
    retain
        ``"kaiser"`` (default): components with eigenvalue > 1 (at least the first); a float in
        (0, 1): the fewest components whose cumulative share of variance reaches it (``0.85``
        is common); an integer ≥ 1: that many components.
    coefficients
        ``"score"`` (default): ``w_j ∝ Σ_k (λ_k/Σλ) |a_jk|/sqrt(λ_k)``, the variance-weighted
        coefficients of the components' linear combinations (the usual Chinese recipe);
        ``"loadings"``: ``w_j ∝ Σ_k (λ_k/Σλ) |a_jk|``. Sums run over the retained components;
        see the formulas above this function.
    scope
        ``"pooled"`` (default): one decomposition of all unit-years — the article's practice,
        and per-year cross-sections of a dozen provinces usually have fewer units than
        indicators, which makes the correlation matrix singular; ``"year"``: one per year.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Weights summing to 1, by indicator (a DataFrame with one row per year for
        ``scope="year"``). ``attrs``: ``eigenvalues`` (all, descending), ``explained_variance``
        and ``cumulative_variance`` (shares), ``retained`` (m), ``retain`` (the rule),
        ``loadings`` (``{indicator: [a_j1 … a_jm]}``), ``formula``, ``coefficients``,
        ``directions``, ``n_units``, ``scope``, ``normalisation``, ``matrix`` — per year for
        ``scope="year"``.

    Raises
    ------
    IndicatorError
        Missing values, a constant indicator, fewer than 3 units, an unknown ``retain`` rule.
    """
    X = _as_wide(X)
    signs = _directions("+" if directions is None else directions, X.columns)
    _check_complete(X)
    blocks = _pca_blocks(X, signs, scope, retain, coefficients)
    common = {
        "method": "principal-component weights",
        "scope": scope if "year" in (X.index.names or []) else "cross-section",
        "normalisation": "min–max by direction (range method, 极差法)",
        "matrix": "correlation",
        "coefficients": coefficients,
        "formula": PCA_FORMULAS[coefficients],
        "retain": next(iter(blocks.values()))[2]["rule"],
        "directions": {c: "+" if s > 0 else "-" for c, s in signs.items()},
    }
    if list(blocks) == [None]:
        result = blocks[None][2]
        out = pd.Series(result["weights"], index=X.columns, name="weight")
        out.attrs = {**common, **_pca_attrs(result, X.columns)}
        return out
    frame = pd.DataFrame({year: r[2]["weights"] for year, r in blocks.items()},
                         index=X.columns).T.rename_axis("year")
    frame.columns.name = None
    per_year = {_scalar(year): _pca_attrs(r[2], X.columns) for year, r in blocks.items()}
    frame.attrs = {**common, "retain": {_scalar(y): r[2]["rule"] for y, r in blocks.items()},
                   **{key: {y: v[key] for y, v in per_year.items()}
                      for key in next(iter(per_year.values()))}}
    return frame


def pca_index(
    X: pd.DataFrame,
    directions: Mapping[Hashable, Any] | Sequence[Any] | str | None = None,
    *,
    retain: Literal["kaiser"] | float | int = "kaiser",
    coefficients: Literal["score", "loadings"] = "score",
    scope: Scope = "pooled",
) -> pd.DataFrame:
    """Composite scores with principal-component weights (see :func:`pca_weights`).

    Parameters
    ----------
    X, directions, retain, coefficients, scope
        As for :func:`pca_weights` (weights and min–max values share the scope).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``X``:

        ``score``
            ``S_i = Σ_j w_j z_ij`` with the min–max values ``z`` (in [0, 1]; the composite index
            of the seed's article, printed ×100 there);
        ``F1`` … ``Fm``
            scores of the retained components, ``F_k = Σ_j u_jk x*_j`` on standardised
            indicators ``x*`` (direction-adjusted z-scores with the population standard
            deviation, the standardisation behind the correlation matrix; sklearn's
            ``PCA().transform`` of ``StandardScaler`` output up to sign), each component
            oriented so that its coefficients sum to a non-negative number;
        ``F``
            the classic factor-analysis composite ``Σ_k (λ_k/Σ_{l≤m} λ_l) F_k`` (centred on 0).

        ``attrs`` holds the weights (``weights``) and everything :func:`pca_weights` records.
    """
    X = _as_wide(X)
    signs = _directions("+" if directions is None else directions, X.columns)
    weights = pca_weights(X, signs, retain=retain, coefficients=coefficients, scope=scope)
    parts = []
    for _year, (block, z, result) in _pca_blocks(X, signs, scope, retain,
                                                  coefficients).items():
        frame = pd.DataFrame({"score": z @ result["weights"]}, index=block.index)
        # the same standardisation as the correlation matrix: centred, population s.d.
        std = (z - z.mean(axis=0)) / z.std(axis=0)
        m, lam = result["m"], result["eigenvalues"][:result["m"]]
        F = std @ result["vectors"][:, :m]
        for k in range(m):
            frame[f"F{k + 1}"] = F[:, k]
        frame["F"] = F @ (lam / lam.sum())
        parts.append(frame)
    out = pd.concat(parts).reindex(X.index)
    out.attrs = {**weights.attrs, "method": "principal-component index",
                 "weights": plain(weights),
                 "score": "Σ_j w_j z_ij (min–max values)",
                 "F": "Σ_k (λ_k/Σλ) F_k, F_k = standardised indicators × eigenvector k"}
    return out


__all__ += ["PCA_FORMULAS", "pca_index", "pca_weights"]
