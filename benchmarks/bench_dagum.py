"""Dagum's Gini decomposition at county scale: 2,848 synthetic counties in 8 regions × 20 years,
``spatialecon.inequality.dagum_gini`` against a vectorised brute force in one run.

No PyPI package offers the decomposition (PySAL's ``inequality`` has the Gini alone), so the
peer is the textbook computation: per year the n × n matrix of |y_i − y_r| (and of its positive
part), summed into group × group blocks by two one-hot matrix products — O(n²) time and memory
per year, numpy throughout. Ours sorts each group once and evaluates every block from prefix
sums and ``searchsorted``: O(k n log n) per year. Both run on the same Series by
``(adcode, year)``; ours includes its input checks, and the largest gap between the two over
all components is printed. ``SPATIALECON_BENCH_DAGUM_YEARS`` overrides the 20 years.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd

from benchmarks._common import best_of, report

COUNTIES = 2848
REGIONS = 8
REPEAT = 3


def _data(years: int, seed: int = 20240601) -> tuple[pd.Series, pd.Series]:
    """Log-normal per-capita values with region effects that drift over the years."""
    rng = np.random.default_rng(seed)
    units = np.arange(110101, 110101 + COUNTIES)
    region = rng.integers(0, REGIONS, COUNTIES)  # unequal region sizes
    level = rng.normal(0, 0.3, REGIONS)
    frames = {}
    for t in range(years):
        drift = level * (1 + 0.05 * t)
        frames[2001 + t] = pd.Series(
            np.exp(10 + drift[region] + rng.normal(0, 0.45, COUNTIES)), index=units)
    values = pd.concat(frames, names=["year", "adcode"]).swaplevel().sort_index()
    groups = pd.Series([f"region{r + 1}" for r in region], index=units, name="region")
    return values.rename("gdp_pc"), groups


def brute_force(values: pd.Series, groups: pd.Series) -> dict[int, dict[str, float]]:
    """G, Gw, Gnb, Gt per year from the n × n difference matrix (O(n²) per year)."""
    out = {}
    for year, part in values.groupby(level="year"):
        y = part.to_numpy()
        labels = groups.reindex(part.index.get_level_values("adcode")).to_numpy()
        names, codes = np.unique(labels, return_inverse=True)
        onehot = np.eye(len(names))[codes]  # n × k
        n, mu = len(y), y.mean()
        diff = y[:, None] - y[None, :]
        absolute = onehot.T @ np.abs(diff) @ onehot  # Σ_{i∈j} Σ_{r∈h} |y_i − y_r|
        positive = onehot.T @ np.maximum(diff, 0) @ onehot  # Σ (y_i − y_r)⁺
        nj = onehot.sum(axis=0)
        mj = onehot.T @ y / nj
        p, s = nj / n, nj * mj / (n * mu)
        pair = absolute / (np.outer(nj, nj) * (mj[:, None] + mj[None, :]))
        richer = mj[:, None] >= mj[None, :]
        d = np.where(richer, positive, positive.T)
        t = np.where(richer, positive.T, positive)
        D = (d - t) / (d + t)
        cross = np.outer(p, s) + np.outer(p, s).T  # p_j s_h + p_h s_j
        upper = np.triu(np.ones_like(pair, dtype=bool), 1)
        out[year] = {
            "gini": np.abs(diff).sum() / (2 * n**2 * mu),
            "within": float((np.diag(pair) * p * s).sum()),
            "between": float((pair * cross * D)[upper].sum()),
            "transvariation": float((pair * cross * (1 - D))[upper].sum()),
        }
    return out


def main() -> None:
    from spatialecon.inequality import dagum_gini

    years = int(os.environ.get("SPATIALECON_BENCH_DAGUM_YEARS", "20"))
    values, groups = _data(years)
    print(f"\nDagum Gini decomposition: {COUNTIES:,} counties × {REGIONS} regions × {years} "
          f"years ({len(values):,} values)")

    def ours():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dagum_gini(values, groups)

    result, reference = ours(), brute_force(values, groups)
    gap = max(abs(float(result[key][year]) - ref[key])
              for year, ref in reference.items() for key in ref)
    print(f"  max |ours − brute force| over G, Gw, Gnb, Gt and {years} years: {gap:.1e}")
    one_year = values[values.index.get_level_values("year") == values.index[0][1]]

    rows = [
        ("brute force (numpy O(n²) per year)", best_of(lambda: brute_force(values, groups),
                                                        REPEAT)),
        ("spatialecon dagum_gini", best_of(ours, REPEAT)),
        ("spatialecon dagum_gini, one year", best_of(
            lambda: dagum_gini(one_year.droplevel("year"), groups), REPEAT)),
    ]
    for name, seconds in rows:
        print(f"  {name}: {seconds:.3f} s (best of {REPEAT})")
    report(f"{COUNTIES:,} counties × {years} years (ratios vs the brute force)", rows,
           baseline=rows[0][0])


if __name__ == "__main__":
    main()
