"""Tone's SBM with one undesirable output on 2,848 synthetic counties × 1 year (3 inputs,
2 desirable, 1 undesirable output): time per linear program and in total, non-oriented VRS, with
and without super-efficiency.

One program per unit (the frontier's constraint matrix is built once; the unit's own column,
the normalisation row and the objective change), plus one super-efficiency program per
efficient unit. There is no peer to race: no maintained PyPI package computes the SBM with
undesirable outputs (see ``spatialecon.efficiency.sbm``). ``SPATIALECON_BENCH_SBM_UNITS``
overrides the number of counties.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

COUNTIES = 2848


def _data(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cobb–Douglas outputs with log-normal inefficiency; SO₂ grows with energy use."""
    rng = np.random.default_rng(2848)
    index = pd.Index(np.arange(110101, 110101 + n), name="adcode")
    capital, labour, energy = (rng.lognormal(mean, 0.8, n) for mean in (4.0, 2.5, 3.0))
    frontier = capital**0.4 * labour**0.4 * energy**0.2
    gdp = frontier * np.exp(-rng.exponential(0.3, n))
    revenue = 0.1 * frontier * np.exp(-rng.exponential(0.4, n))
    so2 = 0.05 * energy * np.exp(rng.normal(0, 0.3, n))
    inputs = pd.DataFrame({"capital": capital, "labour": labour, "energy": energy}, index=index)
    outputs = pd.DataFrame({"gdp": gdp, "revenue": revenue, "so2": so2}, index=index)
    return inputs, outputs


def main() -> None:
    from spatialecon.efficiency import sbm

    n = int(os.environ.get("SPATIALECON_BENCH_SBM_UNITS", str(COUNTIES)))
    inputs, outputs = _data(n)
    print(f"\nSBM with undesirable outputs: {n:,} counties × 1 year, 3 inputs, 2 desirable "
          "and 1 undesirable output (scipy HiGHS)")
    for label, kwargs in (("non-oriented VRS", {}),
                          ("non-oriented VRS + super-efficiency", {"super": True}),
                          ("input-oriented CRS (two programs per unit)",
                           {"rts": "crs", "orientation": "input"})):
        started = time.perf_counter()
        out = sbm(inputs, outputs, undesirable="so2", **kwargs)
        total = time.perf_counter() - started
        efficient = int(out["efficient"].sum())
        programs = n * (2 if kwargs.get("orientation", "non") != "non" else 1) + (
            efficient if kwargs.get("super") else 0)
        print(f"  {label:<44} {total:8.2f} s total, {programs:,} programs, "
              f"{1e3 * total / programs:6.2f} ms per program; {efficient} efficient, "
              f"mean score {out['score'].mean():.4f}")


if __name__ == "__main__":
    main()
