"""Local statistics: local Moran's I (LISA) and its bivariate form under esda's or GeoDa's
conventions, with conditional-permutation inference from the one engine
(:func:`~spatialecon.autocorrelation._permutation.local_permutation_test`), cluster labels,
and the Getis–Ord Gi / Gi* hot spots (normal inference)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from libpysal.weights import W
from scipy import sparse

from spatialecon.autocorrelation._common import (
    CONVENTIONS,
    NEIGHBOURLESS,
    NOT_SIGNIFICANT,
    Adjust,
    Alternative,
    AutocorrelationError,
    Conventions,
    _prepared,
    _vectors,
)
from spatialecon.autocorrelation._permutation import lisa_block, local_permutation_test
from spatialecon.autocorrelation._significance import _check_alternative, adjust_p, normal_p
from spatialecon.validation import check_count, check_probability

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


# Units per task of a cluster run: 2**16 units × 999 permutations is ~0.2 s of work, large
# enough to outweigh a task's scheduling (~1 ms) and small enough to balance 1M units.
BLOCK_UNITS = 2**16


def _lisa(z_focal: np.ndarray, z_draw: np.ndarray, sw: sparse.csr_matrix, permutations: int,
          alternative: Alternative, seed: int | None, n_jobs: int, backend: str = "serial",
          client: object = None, block_units: int = BLOCK_UNITS,
          ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
    """Lag, Ii (esda's scaling) and the permutation results of a (bivariate) local Moran, in
    one call or as blocks of units on a Dask cluster (:func:`_permutation.lisa_block`: a
    unit's draws do not depend on its block, so both give the same numbers)."""
    if not permutations:
        lag = sw @ z_draw
        return lag, {"Ii": (len(z_focal) - 1) / (z_focal @ z_focal) * z_focal * lag}, None
    if backend == "serial":
        sim = local_permutation_test(z_focal, z_draw, sw, permutations, alternative, seed,
                                     n_jobs)
    else:
        from spatialecon.parallel import map_blocks

        if seed is None or isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise AutocorrelationError(
                f"backend={backend!r} needs an integer seed (got {seed!r}): every block of "
                "units must draw the same orderings; pass e.g. seed=0")
        size = check_count(block_units, "block_units", minimum=1)
        n = len(z_draw)
        blocks = [(np.arange(a, min(a + size, n)),) for a in range(0, n, size)]
        # z and the CSR arrays go once to every worker; a task carries its unit numbers
        parts = map_blocks(lisa_block, blocks,
                           shared={"z_focal": z_focal, "z_draw": z_draw, "sw": sw,
                                   "seed": int(seed), "permutations": permutations,
                                   "alternative": alternative},
                           backend=backend, client=client, what="block of units")
        sim = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    lag = sim.pop("lag")
    return lag, sim, sim["p_sim"]


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
    backend: Literal["serial", "dask"] = "serial",
    client: object = None,
    block_units: int = BLOCK_UNITS,
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
        Threads over the units (1: one core; -1: all cores); the numba kernel releases the
        GIL. Results do not depend on it, nor on how the units are split into blocks (see
        ``_permutation.lisa_block``).
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
    backend, client, block_units
        ``"dask"`` runs the permutations as one task per ``block_units`` units on a
        ``distributed`` cluster (``client``, or the current one; see
        :func:`spatialecon.parallel.map_blocks`): z and the CSR arrays of W are scattered once
        to every worker, each task returns its units' statistics. Needs an integer ``seed``;
        the table equals the in-process one for that seed exactly.

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
    prepared = _prepared(sub_w, transform)
    sw = prepared.sw
    z = (y - y.mean()) / y.std()
    lag, values, p = _lisa(z, z, sw, permutations, alternative, seed, n_jobs, backend, client,
                           block_units)
    values = {"y": y, "z": z, "lag": lag, **values}
    frame = _local_frame(prepared.ids, z, lag, values, _cardinalities(sw), p, alpha,
                         adjust, conventions)
    frame.attrs = prepared.conventions(statistic="local Moran's I", variable=variable,
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
    prepared = _prepared(sub_w, transform)
    sw = prepared.sw
    zx = (xv - xv.mean()) / xv.std()
    zy = (yv - yv.mean()) / yv.std()
    lag, values, p = _lisa(zx, zy, sw, permutations, alternative, seed, n_jobs)
    values = {"x": xv, "y": yv, "zx": zx, "lag_y": lag, **values}
    result = _local_frame(prepared.ids, zx, lag, values, _cardinalities(sw), p, alpha,
                          adjust, conventions)
    result.attrs = prepared.conventions(statistic="bivariate local Moran's I", x=x, y=y,
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
    prepared = _prepared(sub_w, transform)
    sw = prepared.sw.tolil()
    if star:
        sw.setdiag(np.where(sw.diagonal() == 0, 1.0 if prepared.transform == "B" else
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
                         index=pd.Index(prepared.ids, name="adcode"))
    frame.attrs = prepared.conventions(statistic="Gi*" if star else "Gi", variable=variable,
                               alpha=alpha, adjust=adjust, inference="normal (Ord & Getis 1995)")
    return frame

