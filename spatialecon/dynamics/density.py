"""Kernel density estimates of a regional distribution, year by year (and region by region).

The figures Chinese regional papers print as 核密度估计 — overlaid curves, ridges and the 3-D
surface year × value × density (:mod:`spatialecon.maps.dynamics_plots`) — come from one tidy
table: one Gaussian kernel density per year (and per region group), all evaluated on one
common grid so that the curves compare and stack into a surface.

Each curve is ``f(x) = 1/(n h) Σ φ((x − x_i) / h)`` with ``φ`` the standard normal density and
bandwidth ``h = factor · s``, ``s`` the sample standard deviation (ddof = 1) of that curve's
values — exactly :class:`scipy.stats.gaussian_kde` with ``bw_method=bandwidth``:
``"silverman"`` (factor ``(3n/4)^(-1/5)``), ``"scott"`` (``n^(-1/5)``) or a float (the factor
itself, as scipy takes it). The bandwidth rule, each curve's ``n``, ``factor`` and ``h`` and the
grid are recorded in ``attrs``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from spatialecon._labels import format_units
from spatialecon.dynamics._values import DynamicsError, wide_values
from spatialecon.validation import ParameterError, check_choice, check_count, check_variation

ALL = "all"  # the group label of curves over every unit (groups=None)
_TAILS = 3.0  # the common grid extends this many (largest) bandwidths beyond the data


def bandwidth_factor(n: int, bandwidth: str | float) -> float:
    """The factor multiplying the standard deviation, as scipy's ``gaussian_kde`` sets it."""
    if bandwidth == "silverman":
        return float((n * 3.0 / 4.0) ** (-1.0 / 5.0))
    if bandwidth == "scott":
        return float(n ** (-1.0 / 5.0))
    return float(bandwidth)


def _check_bandwidth(bandwidth: Any) -> str | float:
    if isinstance(bandwidth, str):
        return check_choice(bandwidth, "bandwidth", ["silverman", "scott"])
    if (isinstance(bandwidth, bool) or not isinstance(bandwidth, Real)
            or not np.isfinite(bandwidth) or bandwidth <= 0):
        raise ParameterError("bandwidth must be 'silverman', 'scott' or a positive factor of "
                             f"the standard deviation (scipy's bw_method), not {bandwidth!r}")
    return float(bandwidth)


def _group_labels(units: pd.Index, groups: Any) -> tuple[pd.Series, str | None]:
    if groups is None:
        return pd.Series(ALL, index=units), None
    scheme_name = None
    if isinstance(groups, str):
        # stage 1, imported on use: geodata loads geopandas
        from spatialecon.geodata import regions

        scheme_name, groups = groups, regions(groups)
    elif isinstance(groups, Mapping):
        groups = pd.Series(groups)
    if not isinstance(groups, pd.Series):
        raise DynamicsError("groups must be a region scheme name (see "
                            "spatialecon.geodata.regions) or a mapping adcode → region, not "
                            f"{type(groups).__name__}")
    labels = groups.reindex(units)
    missing = labels.isna().to_numpy()
    if missing.any():
        raise DynamicsError(f"{int(missing.sum())} unit(s) belong to no group: "
                            f"{format_units(list(units[missing]))}. Drop them from the values "
                            "or pick a scheme that covers them")
    return labels, scheme_name if scheme_name is not None else groups.name


def _evaluate(sample: np.ndarray, x: np.ndarray, h: float) -> np.ndarray:
    """Gaussian kernel density of ``sample`` with bandwidth ``h`` at ``x`` (blocks of x)."""
    out = np.empty_like(x)
    norm = 1.0 / (sample.size * h * np.sqrt(2.0 * np.pi))
    step = max(1, 2_000_000 // max(sample.size, 1))
    for start in range(0, x.size, step):
        z = (x[start:start + step, None] - sample[None, :]) / h
        out[start:start + step] = np.exp(-0.5 * z * z).sum(axis=1) * norm
    return out


def kernel_density(
    values: Any,
    *,
    by: str | None = "year",
    groups: str | pd.Series | Mapping[Hashable, Hashable] | None = None,
    bandwidth: str | float = "silverman",
    grid: int | np.ndarray = 512,
    variable: str | None = None,
) -> pd.DataFrame:
    """Gaussian kernel density of the values in each year (and region group).

    Parameters
    ----------
    values
        A Series indexed by ``(adcode, year)``, a wide table (units × years) or a tidy panel
        (one variable, or pick it with ``variable=``); balanced: every unit in every year.
    by
        ``"year"`` (default): one curve per year; ``None``: one curve over all years pooled
        (its ``year`` is ``-1``).
    groups
        A region scheme name (``"nbs4"``, ``"belts3"`` … see
        :func:`spatialecon.geodata.regions`) or a mapping ``adcode → region``: one curve per
        (year, group). ``None``: one group, ``"all"``.
    bandwidth
        ``"silverman"`` (default), ``"scott"`` or a float: the factor multiplying each curve's
        standard deviation, as scipy's ``gaussian_kde(bw_method=…)``.
    grid
        Number of evaluation points (default 512) on one common grid from the smallest value
        minus three of the largest bandwidth to the largest value plus three; or the points
        themselves (a 1-D array).
    variable
        The variable of a tidy panel holding several.

    Returns
    -------
    pandas.DataFrame
        Columns ``year, group, x, density``, one block of grid points per curve, years and
        groups in order. ``attrs``: ``variable``, ``kernel`` ("gaussian"), ``bandwidth`` (the
        rule), ``curves`` (one record per curve: year, group, n, factor, h, mean, std),
        ``grid`` (the points), ``scheme`` (the groups' scheme, if any), ``reference``.

    Raises
    ------
    DynamicsError
        Unusable values (see :func:`spatialecon.dynamics.wide_values`), units without a group.
    DegenerateError
        A curve with fewer than two values or constant values (named by year and group).
    ParameterError
        An unknown ``by`` or ``bandwidth``, a grid of fewer than two points.
    """
    check_choice(by, "by", ["year", None])
    rule = _check_bandwidth(bandwidth)
    wide = wide_values(values, variable=variable)
    name = wide.attrs["variable"]
    labels, scheme = _group_labels(wide.index, groups)
    group_order = list(pd.unique(labels)) if groups is None else sorted(pd.unique(labels), key=str)
    if by is None:
        samples_by_year = {-1: wide.to_numpy().ravel(order="F")}
        unit_labels = np.tile(labels.to_numpy(), wide.shape[1])
    else:
        samples_by_year = {int(y): wide[y].to_numpy() for y in wide.columns}
        unit_labels = labels.to_numpy()
    curves = []
    for year, sample in samples_by_year.items():
        for group in group_order:
            y = sample[unit_labels == group]
            when = ("all years" if year == -1 else f"in {year}") + (
                f", group {group}" if groups is not None else "")
            y = check_variation(y, variable=name, where=when,
                                what="a kernel density needs spread (its bandwidth is a "
                                "multiple of the standard deviation)")
            factor = bandwidth_factor(y.size, rule)
            std = float(np.std(y, ddof=1))
            curves.append({"year": year, "group": group, "n": int(y.size), "factor": factor,
                           "h": factor * std, "mean": float(y.mean()), "std": std,
                           "sample": y})
    if isinstance(grid, (int, np.integer)) and not isinstance(grid, bool):
        points = check_count(grid, "grid", minimum=2)
        h_max = max(c["h"] for c in curves)
        all_values = wide.to_numpy()
        x = np.linspace(all_values.min() - _TAILS * h_max, all_values.max() + _TAILS * h_max,
                        points)
    else:
        x = np.asarray(grid, dtype=float)
        if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)):
            raise ParameterError("grid must be a number of points (≥ 2) or a 1-D array of at "
                                 f"least two finite points; got {grid!r}")
    frames = []
    for curve in curves:
        frames.append(pd.DataFrame({"year": curve["year"], "group": curve["group"], "x": x,
                                    "density": _evaluate(curve.pop("sample"), x, curve["h"])}))
    table = pd.concat(frames, ignore_index=True)
    table.attrs = {
        "variable": name,
        "kernel": "gaussian",
        "bandwidth": rule if isinstance(rule, str) else f"factor {rule:g}",
        "bandwidth_definition": "h = factor · sample std (ddof=1), as scipy.stats.gaussian_kde",
        "curves": curves,
        "grid": [float(v) for v in x],  # plain lists: attrs stay comparable and JSON-able
        "by": by,
        "scheme": scheme,
        "reference": "Silverman (1986); scipy.stats.gaussian_kde",
    }
    return table
