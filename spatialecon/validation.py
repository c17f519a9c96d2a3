"""One validation layer: the rules every public entry point applies to its input, written once.

Every stage (autocorrelation, geodetector, inequality, indices, efficiency, regression,
rasters …) calls these instead of its own checks, so that the same bad input gets the same
answer everywhere:

- :func:`check_finite`: NaN, +inf and −inf are refused by one error that names the units (name
  and code), years and variable, and says which kind each is (an ``inf`` is usually a ratio with
  a zero denominator);
- :func:`check_variation`: "constant" means no variation *relative to the data's own scale* —
  all values equal to within floating-point rounding of their magnitude — not a tolerance of
  the mean (a variable with mean 1e6 and standard deviation 3 varies); n = 0 and n = 1 are said
  as such;
- :func:`check_probability`, :func:`check_count`, :func:`check_choice`: parameters, named in the
  message with what is allowed.

Errors form one hierarchy under :class:`SpatialEconError` (a ``ValueError``), so a user can
catch one type; each stage's own error class (``PanelError``, ``DEAError``, ``RegressionError``
…) derives from it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from spatialecon._labels import Names, format_units


class SpatialEconError(ValueError):
    """Base of the errors spatialecon raises about its input."""


class NonFiniteError(SpatialEconError):
    """Values that are NaN, +inf or −inf where numbers are needed."""


class DegenerateError(SpatialEconError):
    """Input with nothing to analyse: no units, one unit, no variation, no links."""


class ParameterError(SpatialEconError):
    """A parameter outside its documented range or set of choices."""


# Relative rounding band of "all equal": a few ulps of the values' magnitude.
_ROUNDING = 16 * np.finfo(float).eps


def _where(where: str) -> str:
    return f" {where}" if where else ""


def check_finite(values: pd.Series | np.ndarray | Sequence[float], *, variable: str,
                 where: str = "", names: Names | None = None, allow_nan: bool = False,
                 hint: str | None = None) -> None:
    """Refuse NaN, +inf and −inf, naming where each is.

    Parameters
    ----------
    values
        Numbers; a Series indexed by unit code, or by ``(code, year, …)``, names the units.
    variable
        Name of the variable in the message.
    where
        Context, e.g. ``"in 2018"``.
    names
        Code → unit name, so that units read ``河北 (130000, 2018)``.
    allow_nan
        Let NaN through (the caller's ``missing=`` policy handles it); infinities are refused
        all the same.
    hint
        What to do instead, appended to the message (default: replace or drop them).

    Raises
    ------
    NonFiniteError
    """
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    kinds = {"+inf": np.isposinf(numbers), "−inf": np.isneginf(numbers)}
    if not allow_nan:
        kinds["NaN"] = np.isnan(numbers)
    parts = []
    for kind, mask in kinds.items():
        if mask.any():
            parts.append(f"{kind} at {format_units(list(series.index[mask]), names=names)}")
    if parts:
        count = sum(int(m.sum()) for m in kinds.values())
        advice = hint or ("replace or drop them first (an inf is usually a ratio with a zero "
                          "denominator)")
        raise NonFiniteError(f"{variable}{_where(where)}: {count} non-finite value(s) — "
                             f"{'; '.join(parts)}. {advice[0].upper()}{advice[1:]}")


def check_variation(values: np.ndarray | pd.Series | Sequence[float], *, variable: str,
                    where: str = "", minimum: int = 2, what: str = "") -> np.ndarray:
    """Refuse too few values and values without variation; return them as floats.

    "Constant" is relative to the data's own scale: the values are constant when their range
    is within floating-point rounding of their largest magnitude, so a variable with mean
    1e6 and standard deviation 3 is not.

    Parameters
    ----------
    values
        Finite numbers (see :func:`check_finite`).
    variable, where
        Named in the message.
    minimum
        Fewest values the statistic needs (2 for a variance).
    what
        The statistic, for the message ("its spatial autocorrelation is undefined").

    Raises
    ------
    DegenerateError
    """
    y = np.asarray(values, dtype=float).ravel()
    consequence = f": {what}" if what else ""
    if y.size < minimum:
        said = "no values" if y.size == 0 else ("one unit (n = 1)" if y.size == 1
                                                 else f"n = {y.size}")
        raise DegenerateError(f"{variable}{_where(where)} has {said}; at least {minimum} are "
                              f"needed{consequence}")
    spread = float(np.ptp(y))
    if spread <= _ROUNDING * float(np.max(np.abs(y))):
        raise DegenerateError(f"{variable}{_where(where)} is constant ({y[0]:g} for all "
                              f"{y.size} units){consequence}")
    return y


def check_probability(value: Any, name: str) -> float:
    """A probability strictly between 0 and 1 (a significance level, a quantile …).

    Raises
    ------
    ParameterError
    """
    if (isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value)
            or not 0 < float(value) < 1):
        raise ParameterError(f"{name} must be a probability in (0, 1), e.g. 0.05; got {value!r}")
    return float(value)


def check_count(value: Any, name: str, *, minimum: int = 0) -> int:
    """An integer count of at least ``minimum`` (permutations, classes, neighbours …).

    Raises
    ------
    ParameterError
    """
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < minimum:
        raise ParameterError(f"{name} must be an integer ≥ {minimum}; got {value!r}")
    return int(value)


def check_choice(value: Any, name: str, choices: Iterable[Hashable]) -> Any:
    """One of the documented ``choices``.

    Raises
    ------
    ParameterError
    """
    options = list(choices)
    try:
        ok = value in options
    except TypeError:  # unhashable
        ok = False
    if not ok:
        raise ParameterError(f"{name} must be one of {', '.join(map(repr, options))}, "
                             f"not {value!r}")
    return value
