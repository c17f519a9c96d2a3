"""Global statistics — Moran's I (with its analytic moments and bootstrap), Geary's C,
Getis–Ord General G and bivariate Moran — each with permutation inference through the one
engine (:func:`~spatialecon.autocorrelation._permutation.permuted_forms`) and the one
significance module."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from libpysal.weights import W
from scipy import sparse

from spatialecon.autocorrelation._common import (
    Alternative,
    AutocorrelationError,
    _at,
    _prepared,
    _vectors,
    _warn_islands,
)
from spatialecon.autocorrelation._permutation import permuted_forms
from spatialecon.autocorrelation._significance import _check_alternative, normal_p, pseudo_p
from spatialecon.validation import check_count


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
    n_jobs: int = 1,
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
    n_jobs
        Threads for the permutations and the bootstrap (1: one core; -1: all cores). Results
        do not depend on it: each draw has its own random stream, keyed by ``seed``.

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
        prepared = _prepared(sub_w, transform)
        sw = prepared.sw
        _warn_islands(prepared, variable, group)
        z = y - y.mean()
        m = _moran_moments(z, sw)
        n = len(z)
        row = {"variable": variable, **({by: group} if by else {}), "n": n, "stat": m["I"]}

        sims = None
        if permutations:
            # a permutation keeps Σz = 0 and z'z: I is n/s0 · v'Wv / z'z
            forms = permuted_forms(z, sw, permutations, rng, n_jobs=n_jobs)
            sims = n / m["s0"] * forms["vWv"] / (z @ z)
        row = _inference(row, sims, alternative)
        row.update({"I": m["I"], "EI": m["EI"], "VI_norm": m["VI_norm"],
                    "VI_rand": m["VI_rand"]})
        for kind in ("norm", "rand"):
            row[f"z_{kind}"] = (m["I"] - m["EI"]) / np.sqrt(m[f"VI_{kind}"])
            row[f"p_{kind}"] = float(normal_p(row[f"z_{kind}"], alternative))
        if check_count(bootstrap, "bootstrap", minimum=0):
            # a resample is centred on its own mean μ: (v − μ)'W(v − μ) = v'Wv
            # − μ Σ (rᵢ + cᵢ) vᵢ + μ² s0 (r, c: row and column sums of W)
            sides = np.asarray(sw.sum(axis=1)).ravel() + np.asarray(sw.sum(axis=0)).ravel()
            forms = permuted_forms(z, sw, bootstrap, rng, linear=sides, replace=True,
                                   n_jobs=n_jobs)
            mu = forms["sum"] / n
            centred = forms["vWv"] - mu * forms["linear"] + mu * mu * m["s0"]
            boot = n / m["s0"] * centred / (forms["sum2"] - n * mu * mu)
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
    result.attrs = _prepared(w, transform).conventions(
                                statistic="Moran's I", permutations=permutations,
                                alternative=alternative, seed=seed, bootstrap=bootstrap)
    return result


def _global_esda(kind: str, data: pd.DataFrame, variables, w: W, *, by, permutations,
                 alternative, seed, transform, missing, n_jobs) -> pd.DataFrame:
    """Geary's C and Getis–Ord General G: the statistic and analytic moments from esda, the
    permutation inference from the shared engine (so alternative and seed apply alike)."""
    import esda

    variables = [variables] if isinstance(variables, str) else list(variables)
    _check_alternative(alternative)
    rng = np.random.default_rng(seed)
    rows = []
    for variable, group, y, sub_w, dropped in _vectors(data, variables, w, by, missing):
        prepared = _prepared(sub_w, transform)
        tw, sw = prepared.transformed(), prepared.sw
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "geary":
                ref = esda.Geary(y, tw, transformation=tw.transform, permutations=0)
                s0 = sw.sum()
                n = len(y)

                def stat(forms: dict, sw=sw, s0=s0, n=n, y=y) -> np.ndarray:
                    # Σ w_ij (y_i - y_j)² = Σ_i y_i² (r_i + c_i) - 2 y'Wy; Σ (y - ȳ)² is
                    # the same for every permutation
                    return ((n - 1) * (forms["squared"] - 2 * forms["vWv"])
                            / (2 * s0 * ((y - y.mean()) ** 2).sum()))

                squared = (np.asarray(sw.sum(axis=1)).ravel()
                           + np.asarray(sw.sum(axis=0)).ravel())

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

                def stat(forms: dict, y=y) -> np.ndarray:
                    # Σy and Σy² are the same for every permutation
                    return forms["vWv"] / (y.sum() ** 2 - (y**2).sum())

                squared = None

                observed, expected = ref.G, ref.EG
                z_norm, p_norm = ref.z_norm, normal_p(ref.z_norm, alternative)
                z_rand, p_rand = np.nan, np.nan
                names = ("G", "EG")
        row = {"variable": variable, **({by: group} if by else {}), "n": len(y), "stat": observed}
        sims = (stat(permuted_forms(y, sw, permutations, rng, squared=squared, n_jobs=n_jobs))
                if permutations else None)
        row = _inference(row, sims, alternative)
        row.update({names[0]: observed, names[1]: expected, "z_norm": z_norm,
                    "p_norm": float(p_norm), "z_rand": z_rand, "p_rand": float(p_rand),
                    "dropped": dropped})
        row.pop("stat")
        rows.append(row)
    result = pd.DataFrame(rows)
    result.attrs = _prepared(w, transform).conventions(
                                statistic={"geary": "Geary's C", "g": "Getis-Ord General G"}[kind],
                                permutations=permutations, alternative=alternative, seed=seed)
    return result


def geary(data: pd.DataFrame, variables: str | Sequence[str], w: W, *, by: str | None = None,
          permutations: int = 999, alternative: Alternative = "two-sided",
          seed: int | None = None, transform: str | None = "row",
          missing: Literal["error", "drop"] = "error", n_jobs: int = 1) -> pd.DataFrame:
    """Geary's C per variable (and group); C < 1 means positive autocorrelation. Parameters and
    conventions as in :func:`global_moran`."""
    return _global_esda("geary", data, variables, w, by=by, permutations=permutations,
                        alternative=alternative, seed=seed, transform=transform, missing=missing,
                        n_jobs=n_jobs)


def general_g(data: pd.DataFrame, variables: str | Sequence[str], w: W, *,
              by: str | None = None, permutations: int = 999,
              alternative: Alternative = "two-sided", seed: int | None = None,
              transform: str | None = "binary",
              missing: Literal["error", "drop"] = "error", n_jobs: int = 1) -> pd.DataFrame:
    """Getis–Ord General G per variable (and group), for non-negative values; binary weights by
    default, as Getis & Ord define it. Parameters as in :func:`global_moran`."""
    return _global_esda("g", data, variables, w, by=by, permutations=permutations,
                        alternative=alternative, seed=seed, transform=transform, missing=missing,
                        n_jobs=n_jobs)


def bivariate_moran(data: pd.DataFrame, x: str, y: str, w: W, *, by: str | None = None,
                    permutations: int = 999, alternative: Alternative = "two-sided",
                    seed: int | None = None, transform: str | None = "row",
                    missing: Literal["error", "drop"] = "error",
                    n_jobs: int = 1) -> pd.DataFrame:
    """Bivariate Moran's I between ``x`` and the spatial lag of ``y`` (esda's ``Moran_BV``:
    both standardised with the sample standard deviation, I = z_x' W z_y / (n − 1)); inference
    permutes ``y``. Parameters as in :func:`global_moran`."""
    _check_alternative(alternative)
    rng = np.random.default_rng(seed)
    xs = dict(((g, v) for _, g, v, _, _ in _vectors(data, [x], w, by, missing)))
    rows = []
    for _, group, yv, sub_w, dropped in _vectors(data, [y], w, by, missing):
        if dropped:
            raise AutocorrelationError("bivariate Moran needs both variables for every unit")
        xv = xs[group]
        sw = _prepared(sub_w, transform).sw
        zx = (xv - xv.mean()) / xv.std(ddof=1)
        n = len(zx)

        zy = (yv - yv.mean()) / yv.std(ddof=1)
        observed = float(zx @ (sw @ zy) / (n - 1))
        row = {"x": x, "y": y, **({by: group} if by else {}), "n": n, "stat": observed}
        sims = None
        if permutations:
            # I is linear in the permuted z_y: z_x'W v / (n − 1) = (W'z_x)·v / (n − 1)
            forms = permuted_forms(zy, sw, permutations, rng, linear=sw.T @ zx,
                                   quadratic=False, n_jobs=n_jobs)
            sims = forms["linear"] / (n - 1)
        row = _inference(row, sims, alternative)
        row["I"] = row.pop("stat")
        rows.append(row)
    result = pd.DataFrame(rows)
    result.attrs = _prepared(w, transform).conventions(
                                statistic="bivariate Moran's I", permutations=permutations,
                                alternative=alternative, seed=seed)
    return result

