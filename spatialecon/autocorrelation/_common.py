"""What every statistic of the package shares: its error, the names of its choices and labels,
and its inputs — values aligned to the weights (``_vectors``), transformed weights
(``_prepared``: the transformed CSR, and the conventions each result records)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from libpysal.weights import W, w_subset
from scipy import sparse

from spatialecon.validation import (
    DegenerateError,
    SpatialEconError,
    check_finite,
    check_variation,
)
from spatialecon.weights import transform as transform_weights


class AutocorrelationError(SpatialEconError):
    """Data, weights or parameters a spatial autocorrelation statistic cannot use."""

Alternative = Literal["two-sided", "greater", "lesser", "directed", "folded"]
Adjust = Literal["fdr", "geoda-fdr", "bonferroni"] | None
Conventions = Literal["esda", "geoda"]
CONVENTIONS: tuple[str, ...] = ("esda", "geoda")
QUADRANTS = ("HH", "LH", "LL", "HL")
NOT_SIGNIFICANT = "not significant"
NEIGHBOURLESS = "neighbourless"


def describe_weights(w: W) -> str:
    """A one-line description of a weights object for result metadata."""
    return _describe(w, w.transform)


def _describe(w: W, transform: str) -> str:
    meta = dict(getattr(w, "meta", {}) or {})
    kind = meta.pop("kind", "weights")
    keep = {k: v for k, v in meta.items() if k in ("rule", "form", "power", "threshold", "k",
                                                   "bandwidth_km", "islands", "points")
            and v is not None}
    repaired = meta.get("repaired_islands") or {}
    extra = ", ".join(f"{k}={v}" for k, v in keep.items())
    islands = f", {len(repaired)} island(s) linked to the nearest unit" if repaired else ""
    return f"{kind}({extra}){islands}; n={w.n}, transform={transform}"


def _vectors(data: pd.DataFrame, variables: Sequence[str], w: W, by: str | None,
             missing: str) -> Iterator[tuple[str, object, np.ndarray, W, list]]:
    """(variable, group, values in w's order, weights, dropped units) for each variable and
    group. ``data`` is a tidy panel (adcode, year, variable, value) or a wide frame indexed by
    adcode (one column per variable, optionally a ``by`` column)."""
    tidy = {"adcode", "variable", "value"} <= set(data.columns)
    if tidy:
        unknown = sorted(set(variables) - set(data["variable"]))
        if unknown:
            raise AutocorrelationError(f"variables not in the panel: {unknown}; it has "
                             f"{sorted(data['variable'].unique())}")
    else:
        unknown = [v for v in variables if v not in data.columns]
        if unknown:
            raise AutocorrelationError(
                f"columns {unknown} not in the data; it has {list(data.columns)}"
            )
    if by is not None and by not in data.columns:
        raise AutocorrelationError(f"by={by!r} is not a column of the data")
    ids = list(w.id_order)
    for variable in variables:
        if tidy:
            sub = data[data["variable"] == variable]
            frames = sub.groupby(by) if by else [(None, sub)]
        else:
            frames = data.groupby(by) if by else [(None, data)]
        for group, frame in frames:
            series = frame.set_index("adcode")["value"] if tidy else frame[variable]
            if series.index.has_duplicates:
                raise AutocorrelationError(f"{variable}{_at(group)}: units appear more than once "
                                 f"({sorted(set(series.index[series.index.duplicated()]))[:5]});"
                                 " pass by= to separate years")
            # NaN is the missing= policy's; an infinity is never a value (a zero denominator)
            check_finite(series, variable=variable, where=_at(group).strip(), allow_nan=True,
                         names=data["name"] if "name" in data.columns else None)
            values = pd.to_numeric(series.reindex(ids), errors="coerce")
            bad = values.index[values.isna()].tolist()
            # vectorised: a Python loop over the ids costs a second at a million units
            absent = values.index[~values.index.isin(series.index)].tolist() if bad else []
            sub_w, dropped = w, []
            if bad:
                if missing == "error":
                    raise AutocorrelationError(
                        f"{variable}{_at(group)}: no value for {len(bad)} unit(s) of the weights: "
                        f"{bad[:10]}{' …' if len(bad) > 10 else ''}"
                        + (f" ({len(absent)} absent from the data)" if absent else "")
                        + ". Pass missing='drop' to analyse the remaining units on the weights "
                        "restricted to them")
                keep = [i for i in ids if i not in set(bad)]
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    sub_w = w_subset(w, keep, silence_warnings=True)
                sub_w.transform = w.transform
                sub_w.meta = {**getattr(w, "meta", {}), "dropped_units": bad}
                values, dropped = values.loc[keep], bad
            y = check_variation(values.to_numpy(dtype=float), variable=variable,
                                where=_at(group).strip(),
                                what="its spatial autocorrelation is undefined")
            yield variable, group, y, sub_w, dropped


def _at(group: object) -> str:
    return "" if group is None else f" in {group}"


# Transforms computed here from the CSR of the weights as they stand (w.sparse), exactly as
# libpysal computes them from the original weights: row-standardising the original or an already
# row-standardised matrix, and the link pattern for binary. Anything else goes through
# spatialecon.weights.transform. (A plain libpysal W copies its dicts to transform: minutes and
# gigabytes at a million units.)
_ROW = ("row", "r")
_BINARY = ("binary", "b")


def _csr_transform(w: W, transform: str | None) -> tuple[str, sparse.csr_matrix] | None:
    """(libpysal's transform letter, the transformed CSR) from ``w.sparse`` where that is
    exact, else None."""
    current = str(w.transform).upper()
    sw = w.sparse.tocsr()
    if transform is None:
        return current, sw
    how = transform.lower()
    if how in _BINARY:
        out = sparse.csr_matrix((np.ones_like(sw.data, dtype=float), sw.indices, sw.indptr),
                                shape=sw.shape)
        return "B", out
    if how in _ROW and current in ("O", "R"):
        sums = np.add.reduceat(sw.data, sw.indptr[:-1]) if sw.nnz else np.zeros(sw.shape[0])
        card = np.diff(sw.indptr)
        sums = np.where(card > 0, sums, 1.0)  # reduceat repeats a value for empty rows
        data = sw.data / np.repeat(sums, card)
        return "R", sparse.csr_matrix((data, sw.indices, sw.indptr), shape=sw.shape)
    return None


@dataclass
class _Prepared:
    """Weights as the statistics read them: the caller's ``w`` (left alone; esda transforms
    in place), the transformed matrix ``sw`` and its transform letter."""

    w: W
    sw: sparse.csr_matrix
    transform: str
    how: str | None
    _transformed: W | None = None

    @property
    def ids(self) -> list:
        return list(self.w.id_order)

    @property
    def islands(self) -> list:
        return [self.ids[i] for i in np.flatnonzero(np.diff(self.sw.indptr) == 0)]

    def transformed(self) -> W:
        """A transformed libpysal W, for the statistics taken from esda (built on demand)."""
        if self._transformed is None:
            self._transformed = (transform_weights(self.w, self.how) if self.how is not None
                                 else self.w)
        return self._transformed

    def conventions(self, **extra: object) -> dict:
        return {"weights": _describe(self.w, self.transform), "transform": self.transform,
                **extra}


def _prepared(w: W, transform: str | None) -> _Prepared:
    """The weights transformed as ``transform`` says, without changing ``w``. Weights without
    a single link are refused: every spatial lag would be zero and every statistic 0/0."""
    if w.sparse.nnz == 0:
        raise DegenerateError(
            f"the weights have no links: all {w.n} unit(s) are islands ({describe_weights(w)}), "
            "so there is no spatial lag to compare with; build them with contiguity("
            "islands='nearest'), distance_weights(..., 'knn') or a larger threshold")
    fast = _csr_transform(w, transform)
    if fast is not None:
        return _Prepared(w, fast[1], fast[0], transform)
    tw = transform_weights(w, transform)
    return _Prepared(w, tw.sparse.tocsr(), tw.transform, transform, tw)


def _warn_islands(prepared: _Prepared, variable: str, group: object) -> None:
    islands = prepared.islands
    if islands:
        warnings.warn(f"{variable}{_at(group)}: {len(islands)} unit(s) without neighbours "
                      f"({islands[:10]}) take no part in the statistic; repair them with "
                      "contiguity(islands='nearest')", stacklevel=3)
