"""Spatial Markov chains on the 2,848 embedded counties × 20 synthetic years against giddy.

"giddy" is ``giddy.markov.Spatial_Markov`` handed the (n × t) array in the weights' order and
a row-standardised W, then asked for its steady states, first-passage times and homogeneity
tests; "spatialecon" is :func:`spatialecon.dynamics.spatial_markov` from a tidy panel — input
checks, wide table, alignment with W, our classing and validation, the same giddy call and the
result object — so the ratio is the price of the input handling. Markov and LISA Markov are
timed too (ours includes input handling as well).
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pandas as pd
from libpysal.weights import W

from benchmarks._common import best_of, report
from spatialecon.dynamics import lisa_markov, markov, spatial_markov
from spatialecon.geodata import boundaries
from spatialecon.weights import contiguity

YEARS = 20


def _panel(w: W, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """A growing AR(1) panel with spatially smoothed shocks, tidy and as giddy's array."""
    rng = np.random.default_rng(seed)
    ids = list(w.id_order)
    lag = w.sparse.multiply(1.0 / np.maximum(w.sparse.sum(axis=1), 1)).tocsr()
    y = np.empty((len(ids), YEARS))
    y[:, 0] = 5 + rng.normal(size=len(ids))
    for t in range(1, YEARS):
        shock = rng.normal(scale=0.5, size=len(ids))
        y[:, t] = 0.8 * y[:, t - 1] + 1.5 + shock + 0.6 * (lag @ shock)
    years = np.arange(2001, 2001 + YEARS)
    tidy = pd.DataFrame({"adcode": np.repeat(ids, YEARS), "year": np.tile(years, len(ids)),
                         "variable": "gdp_pc", "value": y.ravel()})
    return tidy, y


def _giddy_spatial(y: np.ndarray, w: W) -> object:
    from giddy.ergodic import mfpt, steady_state
    from giddy.markov import Spatial_Markov

    wr = W(w.neighbors, w.weights, id_order=list(w.id_order), silence_warnings=True)
    wr.transform = "r"
    sm = Spatial_Markov(y, wr, k=5, m=5, fixed=True)
    _ = sm.s, sm.f, sm.Q, sm.LR, sm.Q_p_value, sm.LR_p_value, sm.dof_hom, sm.chi2
    _ = [steady_state(p, fill_empty_classes=True) for p in sm.P]
    _ = [mfpt(p, fill_empty_classes=True) for p in sm.P]
    return sm


def _giddy_markov(y: np.ndarray) -> object:
    import mapclassify as mc
    from giddy.markov import Markov

    ids = mc.Quantiles(y.ravel(), k=5).yb.reshape(y.shape)
    chain = Markov(ids, classes=np.arange(5), summary=False)
    _ = chain.steady_state, chain.mfpt
    return chain


def _giddy_lisa(y: np.ndarray, w: W) -> object:
    from giddy.markov import LISA_Markov

    wr = W(w.neighbors, w.weights, id_order=list(w.id_order), silence_warnings=True)
    wr.transform = "r"
    lm = LISA_Markov(y, wr)
    _ = lm.steady_state, lm.mfpt
    return lm


def main() -> None:
    warnings.simplefilter("ignore")
    w = contiguity(boundaries("county"))
    tidy, y = _panel(w)
    ours = spatial_markov(tidy, w, k=5)
    peer = _giddy_spatial(y, w)
    assert np.allclose(ours.P, peer.P, rtol=0, atol=1e-12)  # same numbers before timing
    n = len(w.id_order)
    rows = [("giddy Spatial_Markov (array, W)", best_of(partial(_giddy_spatial, y, w), 3)),
            ("spatialecon spatial_markov (tidy panel)",
             best_of(partial(spatial_markov, tidy, w, k=5), 3))]
    report(f"spatial Markov, k = m = 5, {n} counties × {YEARS} years", rows, baseline=rows[0][0])
    rows = [("giddy Markov (array)", best_of(partial(_giddy_markov, y), 3)),
            ("spatialecon markov (tidy panel)", best_of(partial(markov, tidy, k=5), 3))]
    report(f"classical Markov, k = 5, {n} counties × {YEARS} years", rows, baseline=rows[0][0])
    rows = [("giddy LISA_Markov (array, W)", best_of(partial(_giddy_lisa, y, w), 1)),
            ("spatialecon lisa_markov (tidy panel)", best_of(partial(lisa_markov, tidy, w), 1))]
    report(f"LISA Markov, {n} counties × {YEARS} years", rows, baseline=rows[0][0])


if __name__ == "__main__":
    main()
