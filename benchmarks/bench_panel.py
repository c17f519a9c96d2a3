"""Spatial panels: fixed-effects SAR and SDM (two-way effects, Lee–Yu) and the dynamic SDM at
province (31 × 20 years) and county (2,848 × 10 years) scale, against spreg's unit-effects
lag model (``ML_LagFE``, sparse-LU log-determinant) on the same data — the one model both
estimate.

Data: y_t = (I − 0.4 W)⁻¹(μ + α_t + x₁ − 0.5 x₂ + 0.3 W x₁ + ε_t) on queen contiguity (islands
linked, row-standardised), seed 0; for the dynamic model y_{t−1} enters with 0.3. Timings are
the best of ``REPEAT`` runs in one process, from the tidy panel (alignment and checks included);
the spectrum cache of W is cleared before every run, so each pays its eigenvalues.
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings

import numpy as np
import pandas as pd

from benchmarks._common import best_of

REPEAT = 2
SCALES = (("province", 20), ("county", 10))


def _panel(level: str, T: int, dynamic: bool = False):
    from spatialecon.geodata import boundaries
    from spatialecon.weights import contiguity
    from spatialecon.weights import transform as transform_weights

    w = contiguity(boundaries(level))
    wr = transform_weights(w, "row")
    Wm = wr.sparse.tocsc()
    n = w.n
    rng = np.random.default_rng(0)
    mu = rng.normal(size=n)
    from scipy.sparse import identity
    from scipy.sparse.linalg import splu

    lu = splu((identity(n, format="csc") - 0.4 * Wm).tocsc())
    y_prev = np.zeros(n)
    rows = []
    for t in range(T + (1 if dynamic else 0)):
        x1, x2 = rng.normal(size=n), rng.normal(size=n)
        rhs = mu + rng.normal() + x1 - 0.5 * x2 + 0.3 * (Wm @ x1) + rng.normal(size=n)
        if dynamic:
            rhs = rhs + 0.3 * y_prev
        y = lu.solve(rhs)
        y_prev = y
        rows.append(pd.DataFrame({"adcode": list(w.id_order), "year": 2000 + t, "y": y,
                                  "x1": x1, "x2": x2}))
    wide = pd.concat(rows, ignore_index=True)
    tidy = wide.melt(id_vars=["adcode", "year"], var_name="variable", value_name="value")
    return tidy, wide, w, wr


def _ours(tidy, w, **kwargs):
    from spatialecon import regression

    regression.impacts._SPECTRUM_CACHE.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return regression.fit_panel(tidy, "y ~ x1 + x2", w, **kwargs)


def _spreg_lag_fe(wide, wr, ids):
    import spreg

    order = wide.set_index(["year", "adcode"]).sort_index(level="year")
    order = order.reindex(pd.MultiIndex.from_product(
        [sorted(wide["year"].unique()), ids]))
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return spreg.ML_LagFE(order[["y"]].to_numpy(), order[["x1", "x2"]].to_numpy(), wr,
                              spat_impacts=None)


def _timed(func, repeat: int) -> tuple[float, float]:
    """Best wall time of ``repeat`` fits and the ρ of the last."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return min(times), result.rho


def _scale(level: str, T: int) -> None:
    started = time.perf_counter()
    tidy, wide, w, wr = _panel(level, T)
    print(f"\n{level}: {w.n} units × {T} years ({time.perf_counter() - started:.1f} s to "
          "simulate)")
    spreg_time = best_of(lambda: _spreg_lag_fe(wide, wr, list(w.id_order)), REPEAT)
    spreg_rho = float(np.ravel(_spreg_lag_fe(wide, wr, list(w.id_order)).rho)[0])
    rows = [("spreg ML_LagFE, unit effects", spreg_time, spreg_rho)]
    cases = [
        ("SAR, unit effects, no correction", dict(model="lag", effects="unit",
                                                  correction="none", impacts=None)),
        ("SAR, two-way, Lee–Yu", dict(model="lag", effects="twoway", impacts=None)),
        ("SDM, two-way, Lee–Yu", dict(model="durbin", effects="twoway", impacts=None)),
        ("SDM, two-way, Lee–Yu + delta impacts", dict(model="durbin", effects="twoway")),
    ]
    for name, kwargs in cases:
        rows.append((name, *_timed(lambda kwargs=kwargs: _ours(tidy, w, **kwargs), REPEAT)))
    dtidy, _, _, _ = _panel(level, T, dynamic=True)
    for name, kwargs in (("dynamic SDM, unit effects", dict(effects="unit")),
                         ("dynamic SDM, two-way", dict(effects="twoway"))):
        rows.append((name, *_timed(lambda kwargs=kwargs: _ours(
            dtidy, w, model="durbin", dynamic=True, **kwargs), 1)))
    base = rows[0][1]
    width = max(len(r[0]) for r in rows)
    print(f"  {'model':<{width}}  {'time':>9}   {'vs spreg':>9}   rho")
    for name, seconds, rho in rows:
        print(f"  {name:<{width}}  {seconds:7.3f} s   {base / seconds:8.2f}x   {rho:.4f}")


def main() -> None:
    print(__doc__.splitlines()[0])
    for level, T in SCALES:
        _scale(level, T)


if __name__ == "__main__":
    main()
