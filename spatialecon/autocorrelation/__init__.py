"""Stage 4: global and local spatial autocorrelation — Moran's I, Geary's C, Getis–Ord G,
bivariate Moran, LISA clusters, hot spots, and their change over years.

Design (after esda): one permutation engine and one place for significance.

- :func:`pseudo_p` turns an observed statistic and its reference distribution into a pseudo
  p-value under an explicit ``alternative``; :func:`adjust_p` applies FDR or Bonferroni. Every
  result records the alternative, the permutation count, the seed and the weights in ``attrs``.
- Global statistics permute the whole vector; local statistics use *conditional* permutation
  (unit i fixed, its neighbours drawn from the other n − 1 units), as esda and GeoDa do.

The local engine is written here rather than taken from esda because esda's numba kernel spends
about 30 s compiling in every fresh process (each ``make maps`` or notebook run) before it
computes anything. It draws, once per call, ``permutations`` random orderings of the units and
shares them across units, as esda does. For rows whose non-zero weights are equal (binary or
row-standardised contiguity, k-nearest neighbours, distance bands) the lag of a draw is a
running sum over that shared ordering, so every unit costs O(permutations) instead of
O(permutations × neighbours); other rows take the general gather path.

Local Moran values follow esda's scaling, :math:`I_i = (n-1)\\,z_i (Wz)_i / \\sum_j z_j^2`,
so that :math:`\\sum_i I_i = (n-1) I` for row-standardised weights. These are GeoDa's values
too (GeoDa prints :math:`z_i (Wz)_i` with z scaled by the sample standard deviation, which is
the same number).

``conventions="geoda"`` of the local statistics switches to GeoDa's LISA rules (its pseudo
p-value, quadrant and multiple-testing rules), read from GeoDa's source; the draws stay ours.
GeoDa's own draws are not uniform: its sampler rounds ``U * (n - 1)`` to an index, which gives
the first and last units of the table half the chance of the others, from a hash of
consecutive seeds, so its p-values differ from a uniform conditional permutation's (ours and
esda's) by more than Monte Carlo error: up to 0.02-0.03 on Columbus' crime rates at 99,999
permutations. Cluster maps agree wherever p is not close to the cutoff.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from libpysal.weights import W, w_subset
from scipy import sparse, stats

from spatialecon.validation import (
    DegenerateError,
    SpatialEconError,
    check_count,
    check_finite,
    check_probability,
    check_variation,
)
from spatialecon.weights import transform as transform_weights


class AutocorrelationError(SpatialEconError):
    """Data, weights or parameters a spatial autocorrelation statistic cannot use."""

Alternative = Literal["two-sided", "greater", "lesser", "directed", "folded"]
ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "lesser", "directed", "folded")
Adjust = Literal["fdr", "geoda-fdr", "bonferroni"] | None
Conventions = Literal["esda", "geoda"]
CONVENTIONS: tuple[str, ...] = ("esda", "geoda")
QUADRANTS = ("HH", "LH", "LL", "HL")
NOT_SIGNIFICANT = "not significant"
NEIGHBOURLESS = "neighbourless"
_CHUNK_CELLS = 8_000_000  # units × permutations per block: ~64 MB per float array
# Draws within this relative distance of the observed value count as ties (as extreme as it):
# a draw that equals the observation mathematically can differ in the last bits, because it
# is summed in another order, and on small maps such ties are frequent.
_TIE = 1e-10


# ---------------------------------------------------------------------------- significance


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


# What each convention of the local statistics means, for the result's attrs. GeoDa's rules
# are read from its source (GeoDa Explore/AbstractCoordinator.cpp and LisaCoordinator.cpp,
# libgeoda sa/LISA.cpp and UniLocalMoran.cpp): 999 permutations; countLarger = #draws >= I_i,
# replaced by permutations - countLarger when that is not larger, p = (countLarger + 1) /
# (permutations + 1), i.e. the "directed" rule of pseudo_p; significant when p <= cutoff; a
# unit is HL if z > 0 and lag < 0, LH if z < 0 and lag > 0, LL if both < 0, else HH (zeros
# count high); neighbourless units keep p = 0 in GeoDa's FDR and Bonferroni counts.
_CONVENTION_RULES = {
    "esda": {
        "p_value": "(M + 1) / (R + 1) under the alternative (esda's calculate_significance)",
        "quadrants": "HH z > 0, lag > 0; LH z <= 0, lag > 0; LL z <= 0, lag <= 0; else HL",
    },
    "geoda": {
        "p_value": "GeoDa: (min(#draws >= I_i, #draws < I_i) + 1) / (R + 1), the 'directed' "
                   "alternative",
        "quadrants": "GeoDa: HL z > 0, lag < 0; LH z < 0, lag > 0; LL z < 0, lag < 0; else HH",
    },
}


def _local_settings(conventions: str, permutations: int | None, alternative: str | None,
                    adjust: Adjust) -> tuple[int, Alternative, Adjust]:
    """Permutations, alternative and adjustment of a LISA under ``conventions``: explicit
    arguments where given, the convention's defaults otherwise."""
    if conventions not in CONVENTIONS:
        raise AutocorrelationError(f"conventions must be 'esda' or 'geoda', not {conventions!r}")
    permutations = 999 if permutations is None else check_count(permutations, "permutations",
                                                                 minimum=0)
    if conventions == "geoda":
        if alternative not in (None, "directed"):
            raise AutocorrelationError(
                f"conventions='geoda' has GeoDa's one pseudo p-value (alternative='directed'), "
                f"not alternative={alternative!r}: drop alternative= or use conventions='esda'")
        # GeoDa's FDR option is its own step-down rule, not Benjamini-Hochberg
        return permutations, "directed", "geoda-fdr" if adjust == "fdr" else adjust
    alternative = "two-sided" if alternative is None else alternative
    _check_alternative(alternative)
    return permutations, alternative, adjust  # type: ignore[return-value]


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


# ---------------------------------------------------------------------------- inputs


def describe_weights(w: W) -> str:
    """A one-line description of a weights object for result metadata."""
    meta = dict(getattr(w, "meta", {}) or {})
    kind = meta.pop("kind", "weights")
    keep = {k: v for k, v in meta.items() if k in ("rule", "form", "power", "threshold", "k",
                                                   "bandwidth_km", "islands", "points")
            and v is not None}
    repaired = meta.get("repaired_islands") or {}
    extra = ", ".join(f"{k}={v}" for k, v in keep.items())
    islands = f", {len(repaired)} island(s) linked to the nearest unit" if repaired else ""
    return f"{kind}({extra}){islands}; n={w.n}, transform={w.transform}"


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
            absent = [i for i in ids if i not in series.index]
            bad = values.index[values.isna()].tolist()
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


def _prepared(w: W, transform: str | None) -> tuple[W, sparse.csr_matrix]:
    """A transformed copy (the caller's object is left alone; esda transforms in place).
    Weights without a single link are refused: every spatial lag would be zero and every
    statistic 0/0."""
    if w.nonzero == 0:
        raise DegenerateError(
            f"the weights have no links: all {w.n} unit(s) are islands ({describe_weights(w)}), "
            "so there is no spatial lag to compare with; build them with contiguity("
            "islands='nearest'), distance_weights(..., 'knn') or a larger threshold")
    w = transform_weights(w, transform) if transform is not None else w
    return w, w.sparse.tocsr()


def _conventions(w: W, **extra: object) -> dict:
    return {"weights": describe_weights(w), "transform": w.transform, **extra}


# ---------------------------------------------------------------------------- global


def _moran_moments(z: np.ndarray, sw: sparse.csr_matrix) -> dict:
    """I, E[I] and the variances under normality and randomisation (Cliff & Ord 1981)."""
    n = len(z)
    s0 = sw.sum()
    s1 = 0.5 * np.asarray((sw + sw.T).multiply(sw + sw.T).sum()).item()
    s2 = float(((np.asarray(sw.sum(axis=1)).ravel() + np.asarray(sw.sum(axis=0)).ravel())
                ** 2).sum())
    zz = z @ z
    i = n / s0 * (z @ (sw @ z)) / zz
    ei = -1.0 / (n - 1)
    v_norm = (n * n * s1 - n * s2 + 3 * s0 * s0) / ((n * n - 1) * s0 * s0) - ei * ei
    k = n * (z**4).sum() / zz**2
    v_rand = (n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
              - k * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)) / (
        (n - 1) * (n - 2) * (n - 3) * s0 * s0) - ei * ei
    return {"I": i, "EI": ei, "VI_norm": v_norm, "VI_rand": v_rand, "s0": s0}


def _global_permutations(stat, y: np.ndarray, permutations: int,
                         rng: np.random.Generator) -> np.ndarray:
    """Statistic of ``permutations`` random orderings of ``y``, in blocks (vectorised)."""
    permutations = check_count(permutations, "permutations", minimum=0)
    n = len(y)
    out = np.empty(permutations)
    block = max(1, _CHUNK_CELLS // max(n, 1))
    for start in range(0, permutations, block):
        size = min(block, permutations - start)
        draws = rng.permuted(np.broadcast_to(y, (size, n)), axis=1).T  # n × size
        out[start:start + size] = stat(draws)
    return out


def _inference(row: dict, sims: np.ndarray | None, alternative: Alternative) -> dict:
    if sims is None:
        return row
    observed = row["stat"]
    row.update({
        "p_sim": float(pseudo_p(observed, sims, alternative)[0]),
        "EI_sim": float(sims.mean()),
        "seI_sim": float(sims.std(ddof=1)),
    })
    row["z_sim"] = (observed - row["EI_sim"]) / row["seI_sim"]
    return row


def global_moran(
    data: pd.DataFrame,
    variables: str | Sequence[str],
    w: W,
    *,
    by: str | None = None,
    permutations: int = 999,
    alternative: Alternative = "two-sided",
    seed: int | None = None,
    bootstrap: int = 0,
    transform: str | None = "row",
    missing: Literal["error", "drop"] = "error",
) -> pd.DataFrame:
    """Global Moran's I per variable (and per ``by`` group, e.g. year).

    Parameters
    ----------
    data
        A tidy panel (``adcode, year, variable, value``) or a DataFrame indexed by ``adcode``
        with one column per variable (and a ``by`` column for several years).
    variables
        One or several variables.
    w
        Weights keyed by ``adcode`` (e.g. :func:`spatialecon.weights.contiguity`).
    by
        Column to group by, e.g. ``"year"``: one row per variable and group.
    permutations
        Random permutations for the pseudo p-value (0: analytic inference only).
    alternative
        Of the pseudo and normal p-values; see :func:`pseudo_p`. Two-sided by default; esda's
        historical ``p_sim`` is ``"directed"``.
    seed
        Seed of the permutations and the bootstrap, for reproducible results.
    bootstrap
        Bootstrap replicates for ``se_boot`` (the standard deviation of I over resamples of the
        values with replacement across locations), ``z_boot = (I − E[I]) / se_boot`` and
        ``p_boot`` — the layout of Moran tables that report bootstrap standard errors.
    transform
        Applied to a copy of ``w``; ``"row"`` by default as in esda and GeoDa, ``None`` keeps
        ``w`` as it is.
    missing
        ``"error"`` (default) for units without a value, or ``"drop"``: analyse the others on
        the weights restricted to them (reported in ``n`` and ``dropped``).

    Returns
    -------
    pandas.DataFrame
        One row per variable (and group): ``variable``, ``by`` column, ``n``, ``I``, ``EI``,
        ``VI_norm``, ``z_norm``, ``p_norm``, ``VI_rand``, ``z_rand``, ``p_rand``, ``p_sim``,
        ``EI_sim``, ``seI_sim``, ``z_sim`` and, with ``bootstrap``, ``se_boot``, ``z_boot``,
        ``p_boot``. ``attrs`` records the conventions.
    """
    variables = [variables] if isinstance(variables, str) else list(variables)
    _check_alternative(alternative)
    rng = np.random.default_rng(seed)
    rows = []
    for variable, group, y, sub_w, dropped in _vectors(data, variables, w, by, missing):
        tw, sw = _prepared(sub_w, transform)
        _warn_islands(tw, variable, group)
        z = y - y.mean()
        m = _moran_moments(z, sw)
        n = len(z)
        row = {"variable": variable, **({by: group} if by else {}), "n": n, "stat": m["I"]}

        def moran(zs: np.ndarray, sw=sw, s0=m["s0"], n=n) -> np.ndarray:
            zs = zs - zs.mean(axis=0)
            return n / s0 * (zs * (sw @ zs)).sum(axis=0) / (zs * zs).sum(axis=0)

        sims = _global_permutations(moran, z, permutations, rng) if permutations else None
        row = _inference(row, sims, alternative)
        row.update({"I": m["I"], "EI": m["EI"], "VI_norm": m["VI_norm"],
                    "VI_rand": m["VI_rand"]})
        for kind in ("norm", "rand"):
            row[f"z_{kind}"] = (m["I"] - m["EI"]) / np.sqrt(m[f"VI_{kind}"])
            row[f"p_{kind}"] = float(normal_p(row[f"z_{kind}"], alternative))
        if check_count(bootstrap, "bootstrap", minimum=0):
            draws = rng.choice(z, size=(bootstrap, n), replace=True).T
            boot = moran(draws)
            row["se_boot"] = float(boot.std(ddof=1))
            row["z_boot"] = (m["I"] - m["EI"]) / row["se_boot"]
            row["p_boot"] = float(normal_p(row["z_boot"], alternative))
        row["dropped"] = dropped
        rows.append(row)
    columns = ["variable", *([by] if by else []), "n", "I", "EI", "VI_norm", "z_norm", "p_norm",
               "VI_rand", "z_rand", "p_rand"]
    if permutations:
        columns += ["p_sim", "EI_sim", "seI_sim", "z_sim"]
    if bootstrap:
        columns += ["se_boot", "z_boot", "p_boot"]
    result = pd.DataFrame(rows)[[*columns, "dropped"]]
    result.attrs = _conventions(w if transform is None else transform_weights(w, transform),
                                statistic="Moran's I", permutations=permutations,
                                alternative=alternative, seed=seed, bootstrap=bootstrap)
    return result


def _check_alternative(alternative: str) -> None:
    if alternative not in ALTERNATIVES:
        raise AutocorrelationError(f"alternative must be one of {', '.join(ALTERNATIVES)}, "
                         f"not {alternative!r}")


def _warn_islands(w: W, variable: str, group: object) -> None:
    islands = list(w.islands)
    if islands:
        warnings.warn(f"{variable}{_at(group)}: {len(islands)} unit(s) without neighbours "
                      f"({islands[:10]}) take no part in the statistic; repair them with "
                      "contiguity(islands='nearest')", stacklevel=3)


def _global_esda(kind: str, data: pd.DataFrame, variables, w: W, *, by, permutations,
                 alternative, seed, transform, missing) -> pd.DataFrame:
    """Geary's C and Getis–Ord General G: the statistic and analytic moments from esda, the
    permutation inference from the shared engine (so alternative and seed apply alike)."""
    import esda

    variables = [variables] if isinstance(variables, str) else list(variables)
    _check_alternative(alternative)
    rng = np.random.default_rng(seed)
    rows = []
    for variable, group, y, sub_w, dropped in _vectors(data, variables, w, by, missing):
        tw, sw = _prepared(sub_w, transform)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "geary":
                ref = esda.Geary(y, tw, transformation=tw.transform, permutations=0)
                s0 = sw.sum()
                n = len(y)

                def stat(ys: np.ndarray, sw=sw, s0=s0, n=n) -> np.ndarray:
                    dev = ys - ys.mean(axis=0)
                    # Σ w_ij (y_i - y_j)² = Σ_i y_i² r_i + Σ_j y_j² c_j - 2 y'Wy
                    rows_ = np.asarray(sw.sum(axis=1)).ravel()[:, None]
                    cols_ = np.asarray(sw.sum(axis=0)).ravel()[:, None]
                    num = ((ys**2 * rows_).sum(0) + (ys**2 * cols_).sum(0)
                           - 2 * (ys * (sw @ ys)).sum(0))
                    return (n - 1) * num / (2 * s0 * (dev**2).sum(axis=0))

                observed, expected = ref.C, ref.EC
                z_norm, p_norm = ref.z_norm, normal_p(ref.z_norm, alternative)
                z_rand, p_rand = ref.z_rand, normal_p(ref.z_rand, alternative)
                names = ("C", "EC")
            else:
                if (y < 0).any():
                    raise AutocorrelationError(
                        f"{variable}{_at(group)}: General G needs non-negative values"
                    )
                ref = esda.G(y, tw, permutations=0)

                def stat(ys: np.ndarray, sw=sw) -> np.ndarray:
                    total = ys.sum(axis=0)
                    return (ys * (sw @ ys)).sum(axis=0) / (total**2 - (ys**2).sum(axis=0))

                observed, expected = ref.G, ref.EG
                z_norm, p_norm = ref.z_norm, normal_p(ref.z_norm, alternative)
                z_rand, p_rand = np.nan, np.nan
                names = ("G", "EG")
        row = {"variable": variable, **({by: group} if by else {}), "n": len(y), "stat": observed}
        sims = _global_permutations(stat, y, permutations, rng) if permutations else None
        row = _inference(row, sims, alternative)
        row.update({names[0]: observed, names[1]: expected, "z_norm": z_norm,
                    "p_norm": float(p_norm), "z_rand": z_rand, "p_rand": float(p_rand),
                    "dropped": dropped})
        row.pop("stat")
        rows.append(row)
    result = pd.DataFrame(rows)
    result.attrs = _conventions(transform_weights(w, transform) if transform else w,
                                statistic={"geary": "Geary's C", "g": "Getis-Ord General G"}[kind],
                                permutations=permutations, alternative=alternative, seed=seed)
    return result


def geary(data: pd.DataFrame, variables: str | Sequence[str], w: W, *, by: str | None = None,
          permutations: int = 999, alternative: Alternative = "two-sided",
          seed: int | None = None, transform: str | None = "row",
          missing: Literal["error", "drop"] = "error") -> pd.DataFrame:
    """Geary's C per variable (and group); C < 1 means positive autocorrelation. Parameters and
    conventions as in :func:`global_moran`."""
    return _global_esda("geary", data, variables, w, by=by, permutations=permutations,
                        alternative=alternative, seed=seed, transform=transform, missing=missing)


def general_g(data: pd.DataFrame, variables: str | Sequence[str], w: W, *,
              by: str | None = None, permutations: int = 999,
              alternative: Alternative = "two-sided", seed: int | None = None,
              transform: str | None = "binary",
              missing: Literal["error", "drop"] = "error") -> pd.DataFrame:
    """Getis–Ord General G per variable (and group), for non-negative values; binary weights by
    default, as Getis & Ord define it. Parameters as in :func:`global_moran`."""
    return _global_esda("g", data, variables, w, by=by, permutations=permutations,
                        alternative=alternative, seed=seed, transform=transform, missing=missing)


def bivariate_moran(data: pd.DataFrame, x: str, y: str, w: W, *, by: str | None = None,
                    permutations: int = 999, alternative: Alternative = "two-sided",
                    seed: int | None = None, transform: str | None = "row",
                    missing: Literal["error", "drop"] = "error") -> pd.DataFrame:
    """Bivariate Moran's I between ``x`` and the spatial lag of ``y`` (esda's ``Moran_BV``:
    both standardised with the sample standard deviation, I = z_x' W z_y / (n − 1)); inference
    permutes ``y``."""
    _check_alternative(alternative)
    rng = np.random.default_rng(seed)
    xs = dict(((g, v) for _, g, v, _, _ in _vectors(data, [x], w, by, missing)))
    rows = []
    for _, group, yv, sub_w, dropped in _vectors(data, [y], w, by, missing):
        if dropped:
            raise AutocorrelationError("bivariate Moran needs both variables for every unit")
        xv = xs[group]
        _tw, sw = _prepared(sub_w, transform)
        zx = (xv - xv.mean()) / xv.std(ddof=1)
        n = len(zx)

        def stat(ys: np.ndarray, sw=sw, zx=zx, n=n) -> np.ndarray:
            zy = (ys - ys.mean(axis=0)) / ys.std(axis=0, ddof=1)
            return zx @ (sw @ zy) / (n - 1)

        observed = float(stat(yv[:, None])[0])
        row = {"x": x, "y": y, **({by: group} if by else {}), "n": n, "stat": observed}
        sims = _global_permutations(stat, yv, permutations, rng) if permutations else None
        row = _inference(row, sims, alternative)
        row["I"] = row.pop("stat")
        rows.append(row)
    result = pd.DataFrame(rows)
    result.attrs = _conventions(transform_weights(w, transform) if transform else w,
                                statistic="bivariate Moran's I", permutations=permutations,
                                alternative=alternative, seed=seed)
    return result


# ---------------------------------------------------------------------------- local engine


def _draw_orderings(n: int, length: int, permutations: int,
                    rng: np.random.Generator) -> np.ndarray:
    """``permutations`` rows of ``length`` distinct unit indices, each row a uniformly random
    ordered sample of 0..n-1 (shared by all units, as in esda).

    Floyd's algorithm, vectorised over the rows, draws each row's subset in O(length²); a
    shuffle of each row then makes the order random too. (Generator.choice per row costs a
    Python call per permutation.)
    """
    length = min(length, n)
    chosen = np.empty((permutations, length), dtype=np.int64)
    rows = np.arange(permutations)
    for col, j in enumerate(range(n - length, n)):
        t = rng.integers(0, j + 1, size=permutations)
        taken = (chosen[:, :col] == t[:, None]).any(axis=1)
        chosen[rows, col] = np.where(taken, j, t)
    return rng.permuted(chosen, axis=1)


@dataclass(frozen=True)
class _Neighbourhoods:
    """CSR pieces of the weights, split into rows with equal and unequal weights."""

    card: np.ndarray
    equal_weight: np.ndarray  # the common weight of an equal row (NaN otherwise)
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    @classmethod
    def of(cls, sw: sparse.csr_matrix) -> _Neighbourhoods:
        sw = sw.tocsr()
        sw.sort_indices()
        card = np.diff(sw.indptr)
        n = sw.shape[0]
        lo = np.full(n, np.inf)
        hi = np.full(n, -np.inf)
        rows = np.repeat(np.arange(n), card)
        np.minimum.at(lo, rows, sw.data)
        np.maximum.at(hi, rows, sw.data)
        equal = np.where((card > 0) & np.isclose(lo, hi, rtol=1e-12, atol=0), hi, np.nan)
        return cls(card, equal, sw.indptr, sw.indices, sw.data)


def _conditional_lags(z: np.ndarray, hoods: _Neighbourhoods, units: np.ndarray,
                      drawn: np.ndarray, cumulative: np.ndarray, orderings: np.ndarray,
                      positions: np.ndarray) -> np.ndarray:
    """Spatial lags of ``z`` at ``units`` under conditional permutation: a (units ×
    permutations) array. For each unit i with k neighbours, draw p takes the first k entries
    of ordering p that are not i.

    ``drawn`` (length × permutations) holds z at the orderings, ``cumulative`` its running sums
    with a leading row of zeros, ``positions`` (n × permutations) where each unit sits in each
    ordering (``length`` if absent). All are laid out with permutations last, so every gather
    below reads whole contiguous rows.
    """
    length, permutations = drawn.shape
    out = np.empty((len(units), permutations))
    card = hoods.card[units]
    equal = ~np.isnan(hoods.equal_weight[units])
    if equal.any():
        fast = units[equal]
        k = card[equal]
        inside = positions[fast] < k[:, None]  # i is among the first k: use the (k+1)-th draw
        sums = cumulative[k] + inside * (drawn[np.minimum(k, length - 1)] - z[fast, None])
        out[equal] = sums * hoods.equal_weight[fast, None]
    for row in np.flatnonzero(~equal):
        i = units[row]
        k = card[row]
        if k == 0:
            out[row] = np.nan
            continue
        weights = hoods.data[hoods.indptr[i]:hoods.indptr[i + 1]]
        first = orderings[:, : k + 1]
        drop = np.minimum(positions[i], k)
        keep = np.arange(k + 1)[None, :] != drop[:, None]
        chosen = first[keep].reshape(permutations, k)
        out[row] = z[chosen] @ weights
    return out


@dataclass(frozen=True)
class _LocalDraws:
    """Everything a block of units needs for conditional-permutation inference."""

    statistic: np.ndarray
    z_focal: np.ndarray
    z_draw: np.ndarray
    scale: float
    hoods: _Neighbourhoods
    orderings: np.ndarray
    positions: np.ndarray
    drawn: np.ndarray
    cumulative: np.ndarray
    alternative: str


# Set in the parent before forking worker processes, which inherit it (copy-on-write) instead
# of receiving hundreds of megabytes through pickling.
_FORKED_DRAWS: _LocalDraws | None = None


def _local_block(units: np.ndarray, draws: _LocalDraws | None = None) -> tuple:
    """p_sim, EI_sim, seI_sim, z_sim for one block of units."""
    d = draws or _FORKED_DRAWS
    permutations = d.drawn.shape[1]
    nan = np.full(len(units), np.nan)
    out = [nan.copy() for _ in range(4)]
    lags = _conditional_lags(d.z_draw, d.hoods, units, d.drawn, d.cumulative, d.orderings,
                             d.positions)
    ok = d.hoods.card[units] > 0
    if not ok.any():
        return units, *out
    u, lags = units[ok], lags[ok]
    # The statistic of a draw is c_i * lag with c_i = scale * z_focal[i], so every count and
    # moment is taken on the lags (no second units × permutations array); a negative c_i swaps
    # "at least as large" and "at most as small". c_i = 0 makes every draw a tie.
    c = d.scale * d.z_focal[u]
    with np.errstate(divide="ignore", invalid="ignore"):
        observed_lag = np.where(c == 0, 0.0, d.statistic[u] / c)
    tie = (_TIE * np.maximum(1.0, np.abs(observed_lag)))[:, None]
    at_least = (lags >= observed_lag[:, None] - tie).sum(axis=1)
    at_most = (lags <= observed_lag[:, None] + tie).sum(axis=1)
    greater = np.where(c >= 0, at_least, at_most)
    lesser = np.where(c >= 0, at_most, at_least)
    mean_lag = lags.mean(axis=1)
    sd_lag = np.sqrt(np.maximum((lags * lags).mean(axis=1) - mean_lag**2, 0.0)
                     * permutations / (permutations - 1))
    folded = None
    if d.alternative == "folded":
        folded = (np.abs(lags - mean_lag[:, None])
                  >= np.abs(observed_lag - mean_lag)[:, None]).sum(axis=1)
    p = _p_from_counts(greater, lesser, folded, permutations, d.alternative)  # type: ignore
    mean, sd = c * mean_lag, np.abs(c) * sd_lag
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (d.statistic[u] - mean) / sd
    for target, values in zip(out, (p, mean, sd, z), strict=True):
        target[ok] = values
    return units, *out


def _local_permutation_test(
    statistic: np.ndarray, z_focal: np.ndarray, z_draw: np.ndarray, sw: sparse.csr_matrix,
    scale: float, permutations: int, alternative: Alternative, seed: int | None, n_jobs: int,
) -> dict[str, np.ndarray]:
    """Conditional permutation inference for local statistics of the form
    ``scale * z_focal[i] * lag_i(z_draw)`` (local Moran, bivariate local Moran).

    The random orderings are drawn once from ``seed``, so results do not depend on
    ``n_jobs``: with more than one job, blocks of units go to forked worker processes (numpy's
    gathers hold the GIL too often for threads to help).
    """
    global _FORKED_DRAWS
    n = len(z_draw)
    hoods = _Neighbourhoods.of(sw)
    rng = np.random.default_rng(seed)
    kmax = int(hoods.card.max()) if n else 0
    orderings = _draw_orderings(n, kmax + 1, permutations, rng)
    length = orderings.shape[1]
    positions = np.full((n, permutations), length, dtype=np.int32)
    positions[orderings, np.arange(permutations)[:, None]] = np.arange(length)
    drawn = np.ascontiguousarray(z_draw[orderings].T)
    cumulative = np.vstack([np.zeros((1, permutations)), np.cumsum(drawn, axis=0)])
    draws = _LocalDraws(statistic, z_focal, z_draw, scale, hoods, orderings, positions, drawn,
                        cumulative, alternative)
    block = max(1, _CHUNK_CELLS // max(permutations, 1))
    workers = os.cpu_count() or 1 if n_jobs in (-1, 0) else n_jobs
    if workers > 1:
        block = min(block, -(-n // workers))  # at least one block per worker
    blocks = [np.arange(s, min(s + block, n)) for s in range(0, n, block)]
    result = {key: np.full(n, np.nan) for key in ("p_sim", "EI_sim", "seI_sim", "z_sim")}
    if workers > 1 and len(blocks) > 1 and "fork" in mp.get_all_start_methods():
        _FORKED_DRAWS = draws
        try:
            with ProcessPoolExecutor(max_workers=workers,
                                     mp_context=mp.get_context("fork")) as pool:
                outputs = list(pool.map(_local_block, blocks))
        finally:
            _FORKED_DRAWS = None
    else:
        outputs = [_local_block(units, draws) for units in blocks]
    for units, *values in outputs:
        for key, value in zip(("p_sim", "EI_sim", "seI_sim", "z_sim"), values, strict=True):
            result[key][units] = value
    return result


def _local_frame(ids: list, z: np.ndarray, lag: np.ndarray, values: dict, card: np.ndarray,
                 p: np.ndarray | None, alpha: float, adjust: Adjust,
                 conventions: str = "esda") -> pd.DataFrame:
    check_probability(alpha, "alpha")
    if conventions == "geoda":
        quadrant = np.select([(z > 0) & (lag < 0), (z < 0) & (lag > 0), (z < 0) & (lag < 0)],
                             ["HL", "LH", "LL"], "HH")
    else:
        quadrant = np.select([(z > 0) & (lag > 0), (z <= 0) & (lag > 0),
                              (z <= 0) & (lag <= 0)], ["HH", "LH", "LL"], "HL")
    frame = pd.DataFrame({**values, "quadrant": quadrant}, index=pd.Index(ids, name="adcode"))
    if p is not None:
        if conventions == "geoda" and adjust is not None:
            # GeoDa leaves neighbourless units at p = 0 and counts them among the m tests
            adjusted = adjust_p(np.where(np.isnan(p), 0.0, p), adjust)
            adjusted[np.isnan(p)] = np.nan
        else:
            adjusted = adjust_p(p, adjust)
        frame["p_adjusted"] = adjusted
        significant = adjusted <= alpha
        frame["cluster"] = np.where(significant, quadrant, NOT_SIGNIFICANT)
    else:
        frame["cluster"] = quadrant
    frame.loc[card == 0, ["quadrant", "cluster"]] = NEIGHBOURLESS
    return frame


def _cardinalities(sw: sparse.csr_matrix) -> np.ndarray:
    return np.diff(sw.tocsr().indptr)


def _lisa(z_focal: np.ndarray, z_draw: np.ndarray, sw: sparse.csr_matrix, permutations: int,
          alternative: Alternative, seed: int | None, n_jobs: int
          ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
    """Lag, Ii (esda's scaling) and the permutation results of a (bivariate) local Moran."""
    lag = sw @ z_draw
    scale = (len(z_focal) - 1) / (z_focal @ z_focal)
    ii = scale * z_focal * lag
    values = {"Ii": ii}
    if not permutations:
        return lag, values, None
    sim = _local_permutation_test(ii, z_focal, z_draw, sw, scale, permutations, alternative,
                                  seed, n_jobs)
    return lag, {**values, **sim}, sim["p_sim"]


def local_moran(
    data: pd.DataFrame,
    variable: str,
    w: W,
    *,
    permutations: int | None = None,
    alpha: float = 0.05,
    adjust: Adjust = None,
    alternative: Alternative | None = None,
    seed: int | None = None,
    transform: str | None = "row",
    n_jobs: int = 1,
    conventions: Conventions = "esda",
) -> pd.DataFrame:
    """Local Moran's I (LISA) with conditional permutation inference and cluster labels.

    Parameters
    ----------
    data
        A (Geo)DataFrame indexed by ``adcode`` with the ``variable`` column (one year), or a
        tidy panel holding one year of that variable.
    variable
        The column to analyse.
    w
        Weights keyed by ``adcode``; every unit of ``w`` needs a value.
    permutations
        Conditional permutations (0: quadrants only, as a Moran scatterplot); default 999
        under both conventions.
    alpha
        Significance level of the cluster labels (after ``adjust``).
    adjust
        ``"fdr"`` (Benjamini–Hochberg; GeoDa's own FDR rule under ``conventions="geoda"``),
        ``"geoda-fdr"``, ``"bonferroni"`` or ``None``; see :func:`adjust_p`.
    alternative
        See :func:`pseudo_p`; default ``"two-sided"`` (``"directed"``, the only one, under
        ``conventions="geoda"``).
    seed
        Seed of the permutations: equal seeds give equal p-values.
    transform
        Applied to a copy of ``w`` (row-standardised by default).
    n_jobs
        Processes for the permutation blocks (1: one core; -1: all cores). Results do not
        depend on it.
    conventions
        ``"esda"`` (default): esda's ``calculate_significance`` conventions, a two-sided
        pseudo p-value unless ``alternative`` says otherwise. ``"geoda"``: GeoDa's LISA, so
        that the cluster map is GeoDa's — 999 permutations, GeoDa's pseudo p-value
        (min(#{I*_i ≥ I_i}, #{I*_i < I_i}) + 1) / (R + 1) (the
        ``"directed"`` rule of :func:`pseudo_p`), significance at p ≤ ``alpha``, GeoDa's
        quadrant rule for values exactly at the mean or with a zero lag (they count as
        high), and GeoDa's FDR and Bonferroni counts (neighbourless units included, as GeoDa
        keeps their p at 0). The random draws are ours (uniform), not GeoDa's, so p-values
        agree with GeoDa's up to Monte Carlo error (about ±0.014 at p = 0.05 with 999
        permutations) and the bias of GeoDa's sampler (see the module notes); clusters agree
        wherever p is not close to ``alpha``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``adcode``: ``y``, ``z`` (standardised value), ``lag`` (spatial lag of z),
        ``Ii``, ``p_sim``, ``EI_sim``, ``seI_sim``, ``z_sim``, ``p_adjusted``, ``quadrant``
        (HH/LH/LL/HL of the Moran scatterplot) and ``cluster`` (the quadrant where significant,
        else "not significant"; "neighbourless" for units without neighbours). ``attrs``
        records the conventions: ``conventions``, ``permutations``, ``alternative``,
        ``adjust``, ``alpha``, ``seed``, the ``p_value`` and ``quadrants`` rules, the weights.
    """
    permutations, alternative, adjust = _local_settings(conventions, permutations, alternative,
                                                        adjust)
    (_, _, y, sub_w, _), = list(_vectors(_one_year(data, variable), [variable], w, None, "error"))
    tw, sw = _prepared(sub_w, transform)
    z = (y - y.mean()) / y.std()
    lag, values, p = _lisa(z, z, sw, permutations, alternative, seed, n_jobs)
    values = {"y": y, "z": z, "lag": lag, **values}
    frame = _local_frame(list(tw.id_order), z, lag, values, _cardinalities(sw), p, alpha,
                         adjust, conventions)
    frame.attrs = _conventions(tw, statistic="local Moran's I", variable=variable,
                               conventions=conventions, permutations=permutations,
                               alternative=alternative, seed=seed, alpha=alpha, adjust=adjust,
                               **_CONVENTION_RULES[conventions],
                               scaling="Ii = (n-1) z_i (Wz)_i / sum(z^2), as esda")
    return frame


def local_moran_bv(
    data: pd.DataFrame, x: str, y: str, w: W, *, permutations: int | None = None,
    alpha: float = 0.05, adjust: Adjust = None, alternative: Alternative | None = None,
    seed: int | None = None, transform: str | None = "row", n_jobs: int = 1,
    conventions: Conventions = "esda",
) -> pd.DataFrame:
    """Bivariate local Moran: ``x`` at each unit against the spatial lag of ``y`` (esda's
    ``Moran_Local_BV`` scaling); clusters read HH = high x among high-y neighbours. Parameters
    and ``conventions`` as in :func:`local_moran`."""
    permutations, alternative, adjust = _local_settings(conventions, permutations, alternative,
                                                        adjust)
    frame = _one_year(data, [x, y])
    (_, _, xv, sub_w, _), = list(_vectors(frame, [x], w, None, "error"))
    (_, _, yv, _, _), = list(_vectors(frame, [y], w, None, "error"))
    tw, sw = _prepared(sub_w, transform)
    zx = (xv - xv.mean()) / xv.std()
    zy = (yv - yv.mean()) / yv.std()
    lag, values, p = _lisa(zx, zy, sw, permutations, alternative, seed, n_jobs)
    values = {"x": xv, "y": yv, "zx": zx, "lag_y": lag, **values}
    result = _local_frame(list(tw.id_order), zx, lag, values, _cardinalities(sw), p, alpha,
                          adjust, conventions)
    result.attrs = _conventions(tw, statistic="bivariate local Moran's I", x=x, y=y,
                                conventions=conventions, permutations=permutations,
                                alternative=alternative, seed=seed, alpha=alpha, adjust=adjust,
                                **_CONVENTION_RULES[conventions])
    return result


def _one_year(data: pd.DataFrame, variables: str | Sequence[str]) -> pd.DataFrame:
    """A wide frame indexed by adcode from a wide frame or a one-year tidy panel."""
    names = [variables] if isinstance(variables, str) else list(variables)
    if {"adcode", "variable", "value"} <= set(data.columns):
        sub = data[data["variable"].isin(names)]
        if "year" in sub.columns and sub["year"].nunique() > 1:
            raise AutocorrelationError(
                f"the panel has several years ({sorted(sub['year'].unique())}): "
                "select one (data[data.year == Y]) or use lisa_over_time()"
            )
        return sub.pivot_table(index="adcode", columns="variable", values="value",
                               aggfunc="first")
    return data


def local_g(
    data: pd.DataFrame, variable: str, w: W, *, star: bool = True, alpha: float = 0.05,
    adjust: Adjust = None, transform: str | None = "binary",
) -> pd.DataFrame:
    """Local Getis–Ord Gi* (``star=True``, the unit counts in its own neighbourhood) or Gi, as
    z-scores (Ord & Getis 1995) with normal p-values — the hot-spot analysis of ArcGIS and
    GeoDa. Binary weights by default.

    Returns ``G`` (the z-score), ``p_norm``, ``p_adjusted`` and ``spot``: "hot spot 99%",
    "hot spot 95%", "hot spot 90%", the same for "cold spot", or "not significant", with
    confidence levels taken only where the adjusted p-value is at most ``alpha``.
    """
    check_probability(alpha, "alpha")
    (_, _, y, sub_w, _), = list(_vectors(_one_year(data, variable), [variable], w, None,
                                         "error"))
    tw, sw = _prepared(sub_w, transform)
    sw = sw.tolil()
    if star:
        sw.setdiag(np.where(sw.diagonal() == 0, 1.0 if tw.transform == "B" else
                            np.asarray(sw.max(axis=1).todense()).ravel(), sw.diagonal()))
    sw = sw.tocsr()
    n = len(y)
    wi = np.asarray(sw.sum(axis=1)).ravel()
    wi2 = np.asarray(sw.multiply(sw).sum(axis=1)).ravel()
    lag = sw @ y
    if star:
        mean, s = y.mean(), y.std()
        denom = s * np.sqrt((n * wi2 - wi**2) / (n - 1))
        g = (lag - mean * wi) / denom
    else:
        # Gi excludes unit i from the mean and the variance
        mean_i = (y.sum() - y) / (n - 1)
        s_i = np.sqrt(((y**2).sum() - y**2) / (n - 1) - mean_i**2)
        denom = s_i * np.sqrt(((n - 1) * wi2 - wi**2) / (n - 2))
        g = (lag - mean_i * wi) / denom
    p = normal_p(g, "two-sided")
    adjusted = adjust_p(p, adjust)
    spot = np.full(n, NOT_SIGNIFICANT, dtype=object)
    for level, limit in ((90, 0.10), (95, 0.05), (99, 0.01)):
        hit = (adjusted <= min(limit, alpha)) if limit <= alpha else np.zeros(n, bool)
        spot[hit & (g > 0)] = f"hot spot {level}%"
        spot[hit & (g < 0)] = f"cold spot {level}%"
    frame = pd.DataFrame({"y": y, "G": g, "p_norm": p, "p_adjusted": adjusted, "spot": spot},
                         index=pd.Index(list(tw.id_order), name="adcode"))
    frame.attrs = _conventions(tw, statistic="Gi*" if star else "Gi", variable=variable,
                               alpha=alpha, adjust=adjust, inference="normal (Ord & Getis 1995)")
    return frame


# ---------------------------------------------------------------------------- over time


def lisa_over_time(
    panel: pd.DataFrame, variable: str, w: W, *, years: Sequence[int] | None = None,
    permutations: int = 0, alpha: float = 0.05, adjust: Adjust = None,
    alternative: Alternative | None = None, seed: int | None = None,
    transform: str | None = "row", conventions: Conventions = "esda",
) -> pd.DataFrame:
    """Local Moran for each year of a tidy panel, stacked: one row per unit and year with
    ``quadrant`` (and ``cluster`` when ``permutations`` > 0). Years in which a unit of ``w``
    has no value are an error naming them. Parameters and ``conventions`` as in
    :func:`local_moran` (but no permutations unless asked for)."""
    data = panel[panel["variable"] == variable]
    available = sorted(data["year"].unique())
    years = list(years) if years is not None else available
    absent = [y for y in years if y not in available]
    if absent:
        raise AutocorrelationError(
            f"{variable} has no data for year(s) {absent}; it has {available}"
        )
    frames = []
    for year in years:
        wide = data[data["year"] == year].set_index("adcode")[["value"]].rename(
            columns={"value": variable})
        try:
            local = local_moran(wide, variable, w, permutations=permutations, alpha=alpha,
                                adjust=adjust, alternative=alternative, seed=seed,
                                transform=transform, conventions=conventions)
        except ValueError as err:
            raise AutocorrelationError(f"{year}: {err}") from None
        frames.append(local.assign(year=year))
    out = pd.concat(frames).reset_index().set_index(["adcode", "year"])
    out.attrs = {**frames[0].attrs, "years": years}
    return out


def quadrant_table(lisa: pd.DataFrame, names: pd.Series | None = None, *,
                   column: str = "quadrant", sep: str = "、") -> pd.DataFrame:
    """The layout of the seed's Table 4: rows HH, LH, LL, HL; one column per year; each cell
    the units in that quadrant (short names joined by 、, in code order).

    ``lisa`` is the output of :func:`lisa_over_time`; ``names`` maps adcode to a label
    (default: the short names of the provinces)."""
    if names is None:
        from spatialecon.geodata.boundaries import provinces_table

        names = provinces_table()["short"]
    frame = lisa.reset_index()
    frame["label"] = frame["adcode"].map(names).fillna(frame["adcode"].astype(str))
    frame = frame.sort_values("adcode")
    table = frame.groupby([column, "year"])["label"].agg(sep.join).unstack("year")
    order = [q for q in (*QUADRANTS, NOT_SIGNIFICANT, NEIGHBOURLESS) if q in table.index]
    return table.reindex(order).fillna("")


# Rey (2001): a move of the unit itself (its own value changes side of the mean), of its
# neighbourhood (the lag changes side), of both, or of neither.
_SIDE = {"HH": ("H", "H"), "LH": ("L", "H"), "LL": ("L", "L"), "HL": ("H", "L")}
TRANSITION_TYPES = {
    (False, False): "0: no move",
    (True, False): "I: unit moves",
    (False, True): "II: neighbours move",
    (True, True): "III: unit and neighbours move",
}


def lisa_transitions(lisa: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LISA Markov transitions between consecutive years of :func:`lisa_over_time`.

    Returns
    -------
    (matrix, per_unit)
        ``matrix``: counts of moves from each quadrant (rows) to each quadrant (columns),
        pooled over the consecutive year pairs, with the transition probabilities in
        ``attrs["probabilities"]`` (the matrix of giddy's ``LISA_Markov``). ``per_unit``: one
        row per unit and year pair with ``from``, ``to`` and Rey's transition ``type``.
    """
    quadrant = lisa["quadrant"].unstack("year")
    if (quadrant == NEIGHBOURLESS).any().any():
        raise AutocorrelationError(
            "units without neighbours have no quadrant: repair the islands first"
        )
    years = list(quadrant.columns)
    rows = []
    for a, b in itertools.pairwise(years):
        for code in quadrant.index:
            origin, dest = quadrant.at[code, a], quadrant.at[code, b]
            own = _SIDE[origin][0] != _SIDE[dest][0]
            nbr = _SIDE[origin][1] != _SIDE[dest][1]
            rows.append({"adcode": code, "from_year": a, "to_year": b, "from": origin,
                         "to": dest, "type": TRANSITION_TYPES[(own, nbr)]})
    per_unit = pd.DataFrame(rows)
    matrix = pd.crosstab(pd.Categorical(per_unit["from"], QUADRANTS),
                         pd.Categorical(per_unit["to"], QUADRANTS), dropna=False)
    matrix.index.name, matrix.columns.name = "from", "to"
    totals = matrix.sum(axis=1).replace(0, np.nan)
    matrix.attrs["probabilities"] = matrix.div(totals, axis=0)
    return matrix, per_unit


__all__ = [
    "ALTERNATIVES",
    "CONVENTIONS",
    "NEIGHBOURLESS",
    "NOT_SIGNIFICANT",
    "QUADRANTS",
    "adjust_p",
    "bivariate_moran",
    "describe_weights",
    "geary",
    "general_g",
    "global_moran",
    "inference_note",
    "lisa_over_time",
    "lisa_transitions",
    "local_g",
    "local_moran",
    "local_moran_bv",
    "normal_p",
    "pseudo_p",
    "quadrant_table",
]
