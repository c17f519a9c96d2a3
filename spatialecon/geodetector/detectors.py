"""One entry point: several detectors, optional discretisation, optional groups."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from spatialecon.geodetector._input import (
    GeodetectorError,
    Missing,
    Singletons,
    Variance,
    _check_strata,
    _factor_list,
    _prepare,
    check_conventions,
)
from spatialecon.geodetector._moments import CHUNK_ROWS, moments_of
from spatialecon.geodetector.discretise import _discretize
from spatialecon.geodetector.ecological import EcologicalRule, ecological_rows
from spatialecon.geodetector.factor import factor_table
from spatialecon.geodetector.interaction import interaction_table
from spatialecon.geodetector.optimal import optimal_discretization
from spatialecon.geodetector.risk import RiskTest, _risk

DETECTORS = ("factor", "interaction", "risk", "ecological")
Backend = Literal["serial", "dask"]


@dataclass(frozen=True)
class GeodetectorResult:
    """Tidy tables of :func:`geodetector`; each starts with the grouping column(s), if any.

    Attributes
    ----------
    factor
        :func:`factor_detector` rows, with a ``factor`` column.
    interaction
        :func:`interaction_detector` rows.
    risk_means
        Stratum means of every factor: ``factor``, ``stratum``, ``mean``, ``n``, ``sd``,
        ``ci_low``, ``ci_high``.
    risk_tests
        Pairwise tests of every factor: ``factor``, ``stratum_a``, ``stratum_b``, ``diff``,
        ``t``, ``df``, ``p``, ``significant``.
    ecological
        :func:`ecological_detector` rows.
    discretization
        One row per discretised factor and group: ``factor``, ``method``, ``k``, ``strata``,
        ``breaks``, ``counts``, ``q_search`` (the search's q, NaN unless optimal).
    search
        The optimal-discretisation search tables, with ``factor``.
    group_columns
        Names of the grouping columns (empty without ``by``).
    conventions
        variance, singletons, missing, alpha, ecological rule, risk test, tol.
    """

    factor: pd.DataFrame
    interaction: pd.DataFrame
    risk_means: pd.DataFrame
    risk_tests: pd.DataFrame
    ecological: pd.DataFrame
    discretization: pd.DataFrame
    search: pd.DataFrame
    group_columns: list[Hashable]
    conventions: dict


def discretize_spec(spec: Any) -> dict:
    """Normalise one ``discretize=`` entry (name, (name, k), breaks or keywords) to keywords."""
    if isinstance(spec, str):
        return {"method": "optimal"} if spec == "optimal" else {"method": spec, "k": 5}
    if isinstance(spec, Mapping):
        return dict(spec)
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
        return {"method": spec[0], "k": int(spec[1])}
    if isinstance(spec, (Sequence, np.ndarray)):
        return {"method": "user_defined", "breaks": list(spec)}
    raise GeodetectorError(
        f"cannot read discretisation {spec!r}: use a method name, (method, k), 'optimal', a "
        "list of breaks, or a dict of discretize()/optimal_discretization() arguments"
    )


def geodetector(
    df: pd.DataFrame,
    y: Hashable,
    factors: Sequence[Hashable],
    *,
    by: Hashable | Sequence[Hashable] | None = None,
    overall: str | None = "all",
    discretize: Mapping[Hashable, Any] | None = None,
    detectors: Sequence[str] = DETECTORS,
    variance: Variance = "sample",
    singletons: Singletons = "keep",
    missing: Missing = "raise",
    alpha: float = 0.05,
    ecological_rule: EcologicalRule = "unordered",
    risk_test: RiskTest = "welch",
    tol: float = 1e-10,
    chunk_rows: int = CHUNK_ROWS,
    backend: Backend = "serial",
    client: Any = None,
) -> GeodetectorResult:
    """Run the detectors on a data frame, optionally per group (region, year …).

    Parameters
    ----------
    df
        One row per unit (and per year for a pooled panel).
    y, factors
        Response and factor columns.
    by
        Column(s) to group by, e.g. ``"region"`` for 东部/中部/西部 or ``"year"``; every group
        is analysed on its own (and discretised on its own).
    overall
        Label of the analysis of all rows added before the groups (the seed's 全国), or None to
        run the groups only. Ignored without ``by``.
    discretize
        Factor → how to discretise it: a method name (k = 5), ``(method, k)``, ``"optimal"``
        (:func:`optimal_discretization` with its defaults), a list of breaks, or a dict of
        keyword arguments of :func:`discretize` (``method``, ``k``, ``breaks``) or, with
        ``method="optimal"``, of :func:`optimal_discretization`.
    detectors
        Any of ``"factor"``, ``"interaction"``, ``"risk"``, ``"ecological"``.
    variance, singletons, missing, alpha, ecological_rule, risk_test, tol
        See the detectors; they apply to every group.
    chunk_rows
        The factor and interaction detectors' sufficient statistics are computed per chunk of
        this many rows and merged (:func:`merge_moments`); one chunk up to 4,194,304 rows.
    backend, client
        ``"dask"`` computes the chunks as tasks on a ``distributed`` cluster (``client``, or
        the current one): each chunk of encoded rows is shipped to one worker, the small
        moment tables come back and are merged here. Same chunks, same numbers as
        ``"serial"`` (see :func:`spatialecon.parallel.map_blocks`). Discretisation and the
        risk detector run in-process.

    Returns
    -------
    GeodetectorResult
    """
    unknown = sorted(set(detectors) - set(DETECTORS))
    if unknown:
        raise GeodetectorError(f"unknown detector(s) {unknown}; choose from {DETECTORS}")
    names = _factor_list(factors)
    group_columns = [] if by is None else _factor_list(by)
    absent = [c for c in group_columns if c not in df.columns]
    if absent:
        raise GeodetectorError(f"no grouping column(s) {absent}; the data have {list(df.columns)}")
    specs = {f: discretize_spec(s) for f, s in (discretize or {}).items()}
    stray = [f for f in specs if f not in names]
    if stray:
        raise GeodetectorError(f"discretize= names {stray}, which are not among the factors")

    groups: list[tuple[tuple, pd.DataFrame]] = []
    if not group_columns:
        groups.append(((), df))
    else:
        if overall is not None:
            groups.append(((overall,) * len(group_columns), df))
        for key, part in df.groupby(group_columns, sort=True, observed=True, dropna=True):
            groups.append((key if isinstance(key, tuple) else (key,), part))

    tables: dict[str, list[pd.DataFrame]] = {k: [] for k in (
        "factor", "interaction", "risk_means", "risk_tests", "ecological", "discretization",
        "search")}

    def add(kind: str, frame: pd.DataFrame, key: tuple) -> None:
        frame = frame.copy()
        for column, value in reversed(list(zip(group_columns, key, strict=True))):
            frame.insert(0, column, value)
        tables[kind].append(frame)

    for key, part in groups:
        where = f" (group {dict(zip(group_columns, key, strict=True))})" if group_columns else ""
        try:
            frame = part[[y, *names]]  # copy-on-write: discretised columns copy only themselves
            for f, spec in specs.items():
                spec = dict(spec)
                method = spec.pop("method")
                if method == "optimal":
                    opt = optimal_discretization(frame, y, f, missing=missing, **spec)
                    disc, q_search = opt.discretization, opt.q
                    add("search", opt.table.assign(factor=f), key)
                else:
                    # the parameter ``discretize`` shadows the function here
                    disc = _discretize(frame[f], method, name=f, **spec)
                    q_search = math.nan
                frame[f] = disc.strata
                add("discretization", pd.DataFrame([{
                    "factor": f, "method": disc.method, "k": disc.k, "strata": len(disc.breaks),
                    "breaks": disc.breaks.tolist(), "counts": disc.counts.tolist(),
                    "q_search": q_search}]), key)
            _run_detectors(frame, y, names, detectors, key, add, variance=variance,
                           singletons=singletons, missing=missing, alpha=alpha,
                           ecological_rule=ecological_rule, risk_test=risk_test, tol=tol,
                           chunks={"chunk_rows": chunk_rows, "backend": backend,
                                   "client": client})
        except GeodetectorError as err:
            raise GeodetectorError(f"{err}{where}") from err

    def combine(kind: str) -> pd.DataFrame:
        return pd.concat(tables[kind], ignore_index=True) if tables[kind] else pd.DataFrame()

    conventions = {"variance": variance, "singletons": singletons, "missing": missing,
                   "alpha": alpha, "ecological_rule": ecological_rule, "risk_test": risk_test,
                   "tol": tol, "y": y, "by": group_columns, "overall": overall,
                   "chunk_rows": chunk_rows, "backend": backend}
    out = GeodetectorResult(
        combine("factor"), combine("interaction"), combine("risk_means"), combine("risk_tests"),
        combine("ecological"), combine("discretization"), combine("search"), group_columns,
        conventions,
    )
    for frame in (out.factor, out.interaction, out.risk_means, out.risk_tests, out.ecological):
        frame.attrs = dict(conventions)
    return out


def _run_detectors(frame: pd.DataFrame, y: Hashable, names: list[Hashable],
                   detectors: Sequence[str], key: tuple, add, *, variance: Variance,
                   singletons: Singletons, missing: Missing, alpha: float,
                   ecological_rule: EcologicalRule, risk_test: RiskTest, tol: float,
                   chunks: dict) -> None:
    """All requested detectors on one group, sharing one encoding and one table."""
    check_conventions(variance, singletons)
    data = _prepare(frame, y, names, missing)
    pairs = "interaction" in detectors and len(names) > 1
    moments = moments_of(data, pairs=pairs, **chunks)
    _check_strata(data, [moments.single(i).n for i in range(len(data.names))])
    factor = factor_table(moments, data.names, variance=variance, singletons=singletons)
    if "factor" in detectors:
        add("factor", factor.reset_index(), key)
    if pairs:
        add("interaction", interaction_table(moments, data.names, variance=variance,
                                             singletons=singletons, tol=tol,
                                             q=factor["q"].tolist()), key)
    if "risk" in detectors:
        for i, f in enumerate(names):
            risk = _risk(data.y, data.code(i), data.labels[i], f, alpha, risk_test)
            means = risk.means.rename_axis("stratum").reset_index()
            means.insert(0, "factor", f)
            tests = risk.tests.copy()
            tests.insert(0, "factor", f)
            add("risk_means", means, key)
            add("risk_tests", tests, key)
    if "ecological" in detectors and len(names) > 1:
        add("ecological", ecological_rows(names, factor["q"].tolist(), len(data.y), alpha,
                                           ecological_rule), key)
