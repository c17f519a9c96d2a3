"""The one place for significance: pseudo p-values of permutation draws under an explicit
alternative, normal p-values, multiple-testing adjustment and the one-line note that says how a
result was tested."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from spatialecon.autocorrelation._common import Adjust, Alternative, AutocorrelationError

ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "lesser", "directed", "folded")
# Draws within this relative distance of the observed value count as ties (as extreme as it):
# a draw that equals the observation mathematically can differ in the last bits, because it
# is summed in another order, and on small maps such ties are frequent.
_TIE = 1e-10


def pseudo_p(observed: np.ndarray | float, reference: np.ndarray,
             alternative: Alternative = "two-sided") -> np.ndarray:
    """Pseudo p-values (M + 1) / (R + 1) of observed statistics against permutation draws.

    Parameters
    ----------
    observed
        One statistic per row of ``reference`` (or a scalar for a single row).
    reference
        Draws under the null, shape (statistics, permutations).
    alternative
        - ``"two-sided"``: twice the smaller one-sided p-value, capped at 1 (the usual
          two-sided Monte Carlo test; default);
        - ``"greater"`` / ``"lesser"``: draws at least as large / at most as small;
        - ``"directed"``: the one-sided p-value in the observed tail — esda's and GeoDa's
          historical ``p_sim``, never above 0.5; kept to reproduce past results;
        - ``"folded"``: draws at least as far from their mean as the observation.

    Returns
    -------
    numpy.ndarray
        One p-value per statistic.
    """
    _check_alternative(alternative)
    reference = np.atleast_2d(reference)
    observed = np.asarray(observed, dtype=float).reshape(-1, 1)
    tie = _TIE * np.maximum(1.0, np.abs(observed))
    greater = (reference >= observed - tie).sum(axis=1)
    lesser = (reference <= observed + tie).sum(axis=1)
    folded = None
    if alternative == "folded":
        centre = reference.mean(axis=1, keepdims=True)
        folded = (np.abs(reference - centre) >= np.abs(observed - centre)).sum(axis=1)
    return _p_from_counts(greater, lesser, folded, reference.shape[1], alternative)


def _p_from_counts(greater: np.ndarray, lesser: np.ndarray, folded: np.ndarray | None,
                   r: int, alternative: Alternative) -> np.ndarray:
    """The pseudo p-value rules, from the counts of draws at least as large (``greater``),
    at most as small (``lesser``) and at least as far from the draws' mean (``folded``)."""
    if alternative == "greater":
        count = greater
    elif alternative == "lesser":
        count = lesser
    elif alternative == "directed":
        count = np.minimum(greater, r - greater)
    elif alternative == "folded":
        count = folded
    else:
        return np.minimum(1.0, 2 * (np.minimum(greater, lesser) + 1.0) / (r + 1.0))
    return (count + 1.0) / (r + 1.0)


def normal_p(z: np.ndarray | float, alternative: Alternative = "two-sided") -> np.ndarray:
    """p-values of z-scores under the normal approximation, for the same alternatives (the
    ``directed`` and ``folded`` forms mean the observed tail and both tails here)."""
    z = np.asarray(z, dtype=float)
    if alternative == "greater":
        return stats.norm.sf(z)
    if alternative == "lesser":
        return stats.norm.cdf(z)
    if alternative == "directed":
        return stats.norm.sf(np.abs(z))
    return 2 * stats.norm.sf(np.abs(z))


def adjust_p(p: np.ndarray, method: Adjust = None) -> np.ndarray:
    """p-values adjusted for multiple testing, to compare with ``alpha`` as they stand.

    Parameters
    ----------
    p
        p-values; NaN (units without neighbours) are ignored and stay NaN.
    method
        - ``"fdr"``: Benjamini–Hochberg (step-up: the largest rank k with
          p(k) ≤ kα/m and every smaller p are significant);
        - ``"geoda-fdr"``: GeoDa's False Discovery Rate option (its inference settings
          dialog and libgeoda's ``LISA::GetFDR``), the step-down form: ranks count as
          significant only while p(k) < kα/m holds from the smallest p up,
          so the adjusted value is the running maximum of p(k)·m/k. It never
          finds more units than ``"fdr"``; the two agree unless a larger p passes after a
          smaller one failed;
        - ``"bonferroni"``: min(1, p·m) (GeoDa's bound α/m alike);
        - ``None``: unchanged.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, capped at 1.
    """
    p = np.asarray(p, dtype=float)
    if method is None:
        return p.copy()
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if method == "bonferroni":
        out[ok] = np.minimum(1.0, p[ok] * m)
    elif method in ("fdr", "geoda-fdr"):
        values = p[ok]
        order = np.argsort(values, kind="stable")
        ranked = values[order] * m / np.arange(1, m + 1)
        if method == "fdr":
            ranked = np.minimum.accumulate(ranked[::-1])[::-1]
        else:
            ranked = np.maximum.accumulate(ranked)
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(1.0, ranked)
        out[ok] = adjusted
    else:
        raise AutocorrelationError(f"adjust must be 'fdr', 'geoda-fdr', 'bonferroni' or None, not "
                         f"{method!r}")
    return out


_ADJUST_TEXT = {None: "no adjustment", "fdr": "FDR (Benjamini-Hochberg)",
                "geoda-fdr": "FDR (GeoDa's rule)", "bonferroni": "Bonferroni"}


def inference_note(result: pd.DataFrame | Mapping[str, object], *, alpha: bool = True) -> str:
    """One line saying how a permutation result was tested, for legends and table captions:
    ``two-sided p ≤ 0.05, 999 permutations, no adjustment``.

    Parameters
    ----------
    result
        A result of :func:`local_moran`, :func:`lisa_over_time` (or any result with the same
        ``attrs``), or those ``attrs`` themselves.
    alpha
        Include the significance level (``False`` for maps that show several levels).

    Returns
    -------
    str
        The alternative (GeoDa's pseudo p under ``conventions="geoda"``), the permutations and
        the multiple-testing adjustment; "no permutation inference" without permutations.
    """
    attrs = result.attrs if isinstance(result, pd.DataFrame) else result
    permutations = attrs.get("permutations")
    if not permutations:
        return "no permutation inference"
    if attrs.get("conventions") == "geoda":
        tested = "GeoDa's pseudo p (directed)"
    else:
        tested = f"{attrs.get('alternative') or 'alternative not recorded'} p"
    level = attrs.get("alpha", 0.05)
    if alpha and level is not None:
        tested = f"{tested} ≤ {float(level):g}"  # type: ignore[arg-type]
    adjust = attrs.get("adjust")
    return (f"{tested}, {int(permutations)} permutations, "  # type: ignore[call-overload]
            f"{_ADJUST_TEXT.get(adjust, str(adjust))}")  # type: ignore[arg-type]


def _check_alternative(alternative: str) -> None:
    if alternative not in ALTERNATIVES:
        raise AutocorrelationError(f"alternative must be one of {', '.join(ALTERNATIVES)}, "
                         f"not {alternative!r}")

