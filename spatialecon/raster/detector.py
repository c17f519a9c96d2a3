"""The geographical detector on rasters (:func:`raster_geodetector`): streamed sufficient
statistics.

A response raster and factor rasters (categorical, or continuous and discretised) on a common
grid, streamed window by window into per-stratum counts, sums and sums of squares — the
sufficient statistics of :mod:`spatialecon.geodetector` — and then the factor, interaction and
ecological detectors of that module. Windows can run on Dask (:mod:`spatialecon.parallel`).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from rasterio.windows import Window

from spatialecon.raster._io import RasterError, _nodata_list, _refuse_infinite, _row_windows
from spatialecon.raster.grid import Grid, _crs_text, _Layer, _layer, _read_layer

# Joint table of all factors (one bincount per window) up to this many strata combinations;
# beyond it each factor and each pair of factors gets its own table. 2**20 cells × 3 moments ×
# 8 bytes = 24 MiB per window partial.
_MAX_JOINT = 2**20
Backend = Literal["serial", "dask"]


@dataclass(frozen=True)
class _Plan:
    grid: Grid
    y: _Layer
    factors: tuple[_Layer, ...]
    continuous: tuple[bool, ...]   # factor is discretised (else categorical)
    threshold: int                 # sample cells whose hashed index is below this (of 2**32)



def _window_cells(plan: _Plan, r0: int, r1: int):
    """y, factor values and the complete cells (y and every factor valid) of rows r0..r1."""
    window = Window(0, r0, plan.grid.width, r1 - r0)

    def cells(mask: np.ndarray) -> pd.Index:
        rows, cols = np.nonzero(mask)
        return pd.Index([f"row {r0 + r}, column {c}" for r, c in zip(rows, cols, strict=True)])

    y, complete = _read_layer(plan.y, plan.grid, window)
    _refuse_infinite(y, complete, f"y layer {plan.y.name}", cells)  # NaN is nodata already
    missing = {plan.y.name: int((~complete).sum())}
    values = []
    for layer in plan.factors:
        x, valid = _read_layer(layer, plan.grid, window)
        _refuse_infinite(x, valid, f"factor layer {layer.name}", cells)
        missing[layer.name] = int((~valid).sum())
        complete &= valid
        values.append(x)
    return y, values, complete, missing


def _scan_window(plan: _Plan, r0: int, r1: int) -> dict:
    """Pass 1 over one window: categories, extremes, a sample, and the sum of y."""
    y, values, complete, missing = _window_cells(plan, r0, r1)
    width = plan.grid.width
    index = (np.arange(r0 * width, r1 * width, dtype=np.uint64)).reshape(r1 - r0, width)
    # a deterministic, well-spread sample: Knuth's multiplicative hash of the cell index
    picked = complete & (((index * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF))
                         < np.uint64(plan.threshold))
    yc = y[complete]
    out = {"n": int(complete.sum()), "sum": float(yc.sum()), "missing": missing,
           "sample": [y[picked]] + [x[picked] for x in values], "labels": [], "low": [],
           "high": []}
    for x, continuous, layer in zip(values, plan.continuous, plan.factors, strict=True):
        xc = x[complete]
        out["low"].append(float(xc.min()) if len(xc) else math.inf)
        out["high"].append(float(xc.max()) if len(xc) else -math.inf)
        if continuous:
            out["labels"].append(None)
            continue
        labels = np.unique(xc)
        fractional = labels != np.round(labels)
        if fractional.any():
            from spatialecon.geodetector import GeodetectorError

            raise GeodetectorError(
                f"factor {layer.name!r} holds continuous values (e.g. "
                f"{', '.join(f'{v:g}' for v in labels[fractional][:3])}), not strata: "
                f"discretise it with discretize={{{layer.name!r}: 'quantiles'}} (or a method, "
                "(method, k), breaks, or 'optimal')")
        out["labels"].append(labels)
    return out


def _merge_scans(a: dict, b: dict) -> dict:
    return {
        "n": a["n"] + b["n"],
        "sum": a["sum"] + b["sum"],
        "missing": {k: a["missing"][k] + b["missing"][k] for k in a["missing"]},
        "sample": [np.concatenate([p, q]) for p, q in zip(a["sample"], b["sample"],
                                                           strict=True)],
        "labels": [None if p is None else np.union1d(p, q)
                   for p, q in zip(a["labels"], b["labels"], strict=True)],
        "low": [min(p, q) for p, q in zip(a["low"], b["low"], strict=True)],
        "high": [max(p, q) for p, q in zip(a["high"], b["high"], strict=True)],
    }


@dataclass(frozen=True)
class _Encoding:
    """How pass 2 turns values into stratum codes, and the shift that centres y."""

    shift: float
    labels: tuple[np.ndarray | None, ...]   # categorical factors: sorted values
    breaks: tuple[np.ndarray | None, ...]   # discretised factors: right-closed upper bounds
    sizes: tuple[int, ...]
    joint: bool


def _codes(x: np.ndarray, labels: np.ndarray | None, breaks: np.ndarray | None) -> np.ndarray:
    if labels is not None:
        return np.searchsorted(labels, x)
    # right-closed classes as geodetector.discretize; values beyond the last bound join it
    return np.minimum(np.searchsorted(breaks, x, side="left"), len(breaks) - 1)


def _moments_window(plan: _Plan, enc: _Encoding, r0: int, r1: int) -> list[np.ndarray]:
    """Pass 2 over one window: count, Σ(y − shift) and Σ(y − shift)² per stratum, as
    (3, cells) tables — one joint table of all factors, or one per factor and per pair."""
    y, values, complete, _ = _window_cells(plan, r0, r1)
    yc = y[complete] - enc.shift
    yc2 = yc * yc
    codes = [_codes(x[complete], lab, brk)
             for x, lab, brk in zip(values, enc.labels, enc.breaks, strict=True)]

    def table(code: np.ndarray, cells: int) -> np.ndarray:
        return np.stack([np.bincount(code, minlength=cells).astype(np.float64),
                         np.bincount(code, weights=yc, minlength=cells),
                         np.bincount(code, weights=yc2, minlength=cells)])

    sizes = enc.sizes
    if enc.joint:
        joint = np.zeros(len(yc), dtype=np.intp)
        for code, k in zip(codes, sizes, strict=True):
            joint *= k
            joint += code
        return [table(joint, math.prod(sizes))]
    out = [table(code, k) for code, k in zip(codes, sizes, strict=True)]
    for i, j in itertools.combinations(range(len(codes)), 2):
        out.append(table(codes[i] * sizes[j] + codes[j], sizes[i] * sizes[j]))
    return out


def _merge_moments(a: list[np.ndarray], b: list[np.ndarray]) -> list[np.ndarray]:
    return [p + q for p, q in zip(a, b, strict=True)]


@dataclass(frozen=True)
class RasterDetectorResult:
    """The geographical detector over all complete cells of a set of rasters.

    Attributes
    ----------
    factor
        As :func:`spatialecon.geodetector.factor_detector`: indexed by factor, ``q``, ``F``,
        ``df1``, ``df2``, ``ncp``, ``p``, ``p_central``, ``n``, ``strata``,
        ``singleton_strata``.
    interaction
        As :func:`spatialecon.geodetector.interaction_detector` (empty with one factor).
    ecological
        As :func:`spatialecon.geodetector.ecological_detector` (empty with one factor).
    strata
        One row per factor and non-empty stratum: ``factor``, ``stratum`` (value or interval
        label), ``n``, ``mean`` and ``sd`` (n − 1) of y — the means of the risk detector.
    discretization
        One row per discretised factor: ``method``, ``k``, ``breaks``, ``labels``,
        ``sample`` (cells the breaks were found on), ``q_search`` (NaN unless optimal).
    conventions
        variance, singletons, alpha, ecological rule, tol, the grid, the alignment of each
        input, cells (grid, complete, missing per input), windows and backend.
    """

    factor: pd.DataFrame
    interaction: pd.DataFrame
    ecological: pd.DataFrame
    strata: pd.DataFrame
    discretization: pd.DataFrame
    conventions: dict


def raster_geodetector(
    y: Any,
    factors: Mapping[str, Any],
    *,
    discretize: Mapping[str, Any] | None = None,
    grid: Any = None,
    resampling: str | Mapping[str, str] | None = None,
    nodata: Mapping[str, float | Sequence[float]] | None = None,
    y_name: str = "y",
    variance: Literal["sample", "population"] = "sample",
    singletons: Literal["keep", "drop"] = "keep",
    alpha: float = 0.05,
    ecological_rule: Literal["unordered", "ordered"] = "unordered",
    tol: float = 1e-10,
    sample_size: int = 200_000,
    max_cells: int = 2**22,
    backend: Backend = "serial",
    client: Any = None,
) -> RasterDetectorResult:
    """Factor, interaction and ecological detectors over every cell of a set of rasters,
    streamed window by window (no raster is read whole).

    Parameters
    ----------
    y
        The response raster (path or dataset), continuous.
    factors
        Name → factor raster: categorical (integer-valued) or, with ``discretize``,
        continuous.
    discretize
        Name → discretisation of a continuous factor, as in
        :func:`spatialecon.geodetector.geodetector`: a method (k = 5), ``(method, k)``, a list
        of breaks, ``"optimal"``, or a dict of arguments. Data-driven breaks are found on a
        sample of at most ``sample_size`` complete cells (every cell when there are fewer),
        drawn deterministically; equal intervals use the exact extremes.
    grid
        The common grid: a raster whose grid to use; default the grid of ``y``.
    resampling
        How inputs on another grid are brought onto it: a GDAL resampling name for all
        (``"nearest"`` samples; ``"mode"`` aggregates categories, ``"average"`` a continuous
        response) or a mapping name → method (``y_name`` for the response). Without one, an
        input on another grid is an error (:class:`GridMismatchError`).
    nodata
        Name → extra values to treat as missing (besides declared nodata, masks and NaN).
    y_name
        Name of the response in messages and tables.
    variance, singletons, alpha, ecological_rule, tol
        As in :func:`spatialecon.geodetector.geodetector`.
    sample_size
        Cells sampled in the first pass to find data-driven breaks.
    max_cells
        Cells per window (rows of the grid): memory per window is a few arrays of this size.
    backend
        ``"serial"`` (one process, windows one after another) or ``"dask"``: windows become
        tasks, their tables are tree-reduced; identical results (see
        :mod:`spatialecon.parallel`). With Dask the rasters must be paths the workers can open.
    client
        A ``distributed.Client`` for ``backend="dask"`` (default: the current client, else
        Dask's default scheduler).

    Returns
    -------
    RasterDetectorResult

    Raises
    ------
    GridMismatchError
        An input on another grid without ``resampling``.
    spatialecon.geodetector.GeodetectorError
        A categorical factor with fractional values, a constant response, no complete cell.

    Notes
    -----
    The rows of the detector are the complete cells: y and every factor valid (declared
    nodata, masks, NaN and infinities are missing); the cells dropped are counted per input
    in ``conventions["cells"]``. Two passes read every window: the first finds the categories,
    the sample for the breaks and the mean of y (the shift that keeps the sums of squares
    exact), the second bins count, sum and sum of squares per stratum. The detectors are then
    those of :mod:`spatialecon.geodetector` on these sufficient statistics, so the results
    equal ``factor_detector``/``interaction_detector``/``ecological_detector`` on a table of
    the cells (to rounding).
    """
    from spatialecon import geodetector as gd
    from spatialecon.parallel import map_reduce

    gd.check_conventions(variance, singletons)
    if not isinstance(factors, Mapping) or not factors:
        raise RasterError("factors must be a non-empty mapping name → raster")
    names = [str(f) for f in factors]
    if y_name in names:
        raise RasterError(f"{y_name!r} is both the response and a factor; rename one")
    specs = {str(f): gd.discretize_spec(s) for f, s in (discretize or {}).items()}
    stray = [f for f in specs if f not in names]
    if stray:
        raise RasterError(f"discretize= names {stray}, which are not among the factors")
    nodata = {str(k): _nodata_list(v) for k, v in (nodata or {}).items()}
    common = Grid.of(grid if grid is not None else y)
    methods = ({n: resampling for n in [y_name, *names]} if isinstance(resampling, str)
               else dict(resampling or {}))
    y_layer, y_alignment = _layer(y_name, y, common, methods.get(y_name),
                                  nodata.get(y_name, ()))
    layers, alignment = [], {y_name: y_alignment}
    for name, source in zip(names, factors.values(), strict=True):
        layer, how = _layer(name, source, common, methods.get(name), nodata.get(name, ()))
        layers.append(layer)
        alignment[name] = how
    cells = common.width * common.height
    fraction = min(1.0, sample_size / max(cells, 1))
    plan = _Plan(common, y_layer, tuple(layers), tuple(n in specs for n in names),
                 round(fraction * 2**32))
    windows = _row_windows(0, common.height, common.width, max_cells)
    scan = map_reduce(_scan_window, [(plan, a, b) for a, b in windows], _merge_scans,
                      backend=backend, client=client)
    if scan["n"] < 2:
        raise gd.GeodetectorError(
            f"{scan['n']} complete cell(s) (y and every factor valid) on the {common.width}×"
            f"{common.height} grid; the detector needs at least two. Missing cells per input: "
            f"{scan['missing']}")
    shift = scan["sum"] / scan["n"]
    sample = pd.DataFrame(dict(zip([y_name, *names], scan["sample"], strict=True)))
    labels, breaks, disc_rows = [], [], []
    for i, name in enumerate(names):
        if name not in specs:
            labels.append(scan["labels"][i])
            breaks.append(None)
            continue
        spec = dict(specs[name])
        method = spec.pop("method")
        q_search = math.nan
        if method == "optimal":
            best = gd.optimal_discretization(sample, y_name, name, **spec)
            disc, q_search = best.discretization, best.q
        else:
            values = sample[name].to_numpy()
            if method in ("equal_interval", "equal"):
                # equal intervals depend on the extremes only, which pass 1 knows exactly
                values = np.linspace(scan["low"][i], scan["high"][i], 4 * spec.get("k", 5) + 1)
            elif fraction < 1:  # the exact extremes bound the classes
                values = np.concatenate([values, [scan["low"][i], scan["high"][i]]])
            disc = gd.discretize(values, method, name=name, **spec)
        labels.append(None)
        breaks.append(np.asarray(disc.breaks, dtype=float))
        disc_rows.append({"factor": name, "method": disc.method, "k": disc.k,
                          "breaks": disc.breaks.tolist(), "labels": list(disc.labels),
                          "sample": len(sample), "q_search": q_search})
    sizes = tuple(max(len(lab) if lab is not None else len(brk), 1)
                  for lab, brk in zip(labels, breaks, strict=True))
    enc = _Encoding(shift, tuple(labels), tuple(breaks), sizes,
                    len(sizes) > 1 and math.prod(sizes) <= _MAX_JOINT)
    tables = map_reduce(_moments_window, [(plan, enc, a, b) for a, b in windows],
                        _merge_moments, backend=backend, client=client)
    result = _detect(names, enc, tables, scan["n"], y_name, labels, breaks, disc_rows,
                     variance=variance, singletons=singletons, alpha=alpha,
                     ecological_rule=ecological_rule, tol=tol)
    conventions = {
        "y": y_name, "variance": variance, "singletons": singletons, "alpha": alpha,
        "ecological_rule": ecological_rule, "tol": tol,
        "grid": {"crs": _crs_text(common.crs), "transform": tuple(common.transform)[:6],
                 "width": common.width, "height": common.height},
        "alignment": alignment,
        "cells": {"grid": cells, "complete": scan["n"], "missing": scan["missing"]},
        "windows": len(windows), "backend": backend, "shift": shift,
        "tables": "joint" if enc.joint else "per factor and pair",
    }
    for frame in (result.factor, result.interaction, result.ecological, result.strata):
        frame.attrs = dict(conventions)
    return RasterDetectorResult(result.factor, result.interaction, result.ecological,
                                result.strata, result.discretization, conventions)


def _moments_of(tables: list[np.ndarray], enc: _Encoding, axes: tuple[int, ...]):
    """Count/sum/sum-of-squares table of one factor (axes=(i,)) or pair (i, j), flattened."""
    from spatialecon import geodetector as gd

    if enc.joint:
        full = tables[0].reshape((3, *enc.sizes))
        others = tuple(a + 1 for a in range(len(enc.sizes)) if a not in axes)
        table = full.sum(axis=others) if others else full
        table = table.reshape(3, -1)
    elif len(axes) == 1:
        table = tables[axes[0]]
    else:
        pairs = list(itertools.combinations(range(len(enc.sizes)), 2))
        table = tables[len(enc.sizes) + pairs.index(axes)]
    return gd.Moments(table[0], table[1], table[2], enc.shift)


@dataclass
class _Detected:
    factor: pd.DataFrame
    interaction: pd.DataFrame
    ecological: pd.DataFrame
    strata: pd.DataFrame
    discretization: pd.DataFrame


def _detect(names: list[str], enc: _Encoding, tables: list[np.ndarray], n: int, y_name: str,
            labels: list, breaks: list, disc_rows: list, *, variance: str, singletons: str,
            alpha: float, ecological_rule: str, tol: float) -> _Detected:
    """The detectors of spatialecon.geodetector from the merged tables."""
    from spatialecon import geodetector as gd

    single = []
    strata_rows = []
    for i, name in enumerate(names):
        m = _moments_of(tables, enc, (i,))
        used = np.flatnonzero(m.n > 0)
        if len(used) == 1:
            warnings.warn(f"factor {name!r} has a single stratum over the complete cells: q = 0 "
                          "and its p-value is undefined", UserWarning, stacklevel=3)
        single.append(gd.q_statistics(m, variance, singletons, name))
        if labels[i] is not None:
            text = [int(v) for v in labels[i]]  # categories are whole numbers (checked)
        else:
            text = next(r["labels"] for r in disc_rows if r["factor"] == name)
        nh, sh, ssh = m.n[used], m.s[used], m.ss[used]
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.maximum(ssh - sh * sh / nh, 0.0) / (nh - 1)
        var[nh < 2] = np.nan
        strata_rows.append(pd.DataFrame({
            "factor": name, "stratum": [text[k] for k in used], "n": nh.astype(np.int64),
            "mean": sh / nh + enc.shift, "sd": np.sqrt(var)}))
    factor = pd.DataFrame([s.__dict__ for s in single],
                          index=pd.Index(names, name="factor"))[gd.FACTOR_COLUMNS]
    rows = []
    for i, j in itertools.combinations(range(len(names)), 2):
        both = gd.q_statistics(_moments_of(tables, enc, (i, j)), variance, singletons,
                           f"{names[i]} ∩ {names[j]}", with_p=False)
        rows.append({"factor_a": names[i], "factor_b": names[j], "q_a": single[i].q,
                     "q_b": single[j].q, "q": both.q,
                     "type": gd.interaction_type(single[i].q, single[j].q, both.q, tol),
                     "strata": both.strata})
    interaction = pd.DataFrame(rows, columns=["factor_a", "factor_b", "q_a", "q_b", "q", "type",
                                              "strata"])
    # the ecological detector compares each factor's SSW; with singletons="drop" each q is
    # relative to its own rows, as in geodetector.ecological_detector
    ecological = gd.ecological_rows(names, [s.q for s in single], n, alpha, ecological_rule) \
        if len(names) > 1 else pd.DataFrame()
    strata = pd.concat(strata_rows, ignore_index=True)
    discretization = pd.DataFrame(disc_rows, columns=["factor", "method", "k", "breaks",
                                                      "labels", "sample", "q_search"])
    return _Detected(factor, interaction, ecological, strata, discretization)
