"""Global Moran with 9,999 permutations and local Moran with 9,999 conditional permutations on
the 2,848 mainland counties (queen, row-standardised) against esda.Moran, esda.Moran_Local
(n_jobs=1 and n_jobs=2) and pygeoda.local_moran. The goal of issue 20 is ≥ 10× esda warm,
one core each; the ratio lines print ours ÷ esda's speed.

"cold" runs start a fresh Python process, as ``make maps`` or a notebook does, and include
imports and (for esda) numba's compilation; "warm" runs repeat the call in one process. The
variable is the log area of each county (real, spatially smooth data).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings

import numpy as np

from benchmarks._common import best_of, report

PERMUTATIONS = 9999

_SETUP = """
import warnings, numpy as np, pandas as pd
warnings.simplefilter("ignore")
from spatialecon.geodata import boundaries, CHINA_ALBERS
from spatialecon.weights import contiguity
counties = boundaries("county")
w = contiguity(counties)
y = np.log(counties.to_crs(CHINA_ALBERS).area.to_numpy())
"""

_COLD = {
    "spatialecon": """
        import time
        from spatialecon.autocorrelation import local_moran
        started = time.perf_counter()
        local_moran(pd.DataFrame({"y": y}, index=counties.index), "y", w, permutations=P,
                    seed=1, alternative="directed")
        print(time.perf_counter() - started)
    """,
    "esda": """
        import time
        started = time.perf_counter()
        import esda
        w.transform = "r"
        esda.Moran_Local(y, w, permutations=P, seed=1, n_jobs=1)
        print(time.perf_counter() - started)
    """,
}


def _cold(name: str) -> float:
    """Seconds of the first call in a fresh process (after the data are loaded)."""
    code = _SETUP + textwrap.dedent(_COLD[name]).replace("P,", f"{PERMUTATIONS},")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    warnings.simplefilter("ignore")
    import esda
    import pandas as pd

    from spatialecon.autocorrelation import global_moran, local_moran
    from spatialecon.geodata import CHINA_ALBERS, boundaries
    from spatialecon.weights import contiguity

    counties = boundaries("county")
    w = contiguity(counties)
    y = np.log(counties.to_crs(CHINA_ALBERS).area.to_numpy())
    frame = pd.DataFrame({"y": y}, index=counties.index)

    def ours(jobs: int = 1):
        return local_moran(frame, "y", w, permutations=PERMUTATIONS, seed=1,
                           alternative="directed", n_jobs=jobs)

    w_esda = contiguity(counties)
    w_esda.transform = "r"

    def theirs(jobs: int = 1):
        return esda.Moran_Local(y, w_esda, permutations=PERMUTATIONS, seed=1, n_jobs=jobs)

    def ours_global(jobs: int = 1):
        return global_moran(frame, "y", w, permutations=PERMUTATIONS, seed=1,
                            alternative="directed", n_jobs=jobs)

    def theirs_global():
        np.random.seed(1)  # esda.Moran takes no seed
        return esda.Moran(y, w_esda, permutations=PERMUTATIONS)

    ours_global()  # numba loads its cached kernels on the first call
    global_rows = [("esda.Moran warm", best_of(theirs_global, 2)),
                   ("spatialecon global_moran warm, 1 core", best_of(ours_global, 3)),
                   ("spatialecon global_moran warm, 2 threads",
                    best_of(lambda: ours_global(2), 3))]
    report(f"global Moran, {PERMUTATIONS} permutations, {len(y)} counties (queen)",
           global_rows, baseline="esda.Moran warm")
    mine_g, ref_g = ours_global(), theirs_global()
    sd_g = np.sqrt(2 * ref_g.p_sim * (1 - ref_g.p_sim) / PERMUTATIONS)
    print(f"  I identical to esda: {np.isclose(mine_g['I'].iloc[0], ref_g.I, rtol=1e-12)}; "
          f"p_sim {mine_g['p_sim'].iloc[0]:.4g} vs esda {ref_g.p_sim:.4g} (Monte Carlo sd of "
          f"the difference {sd_g:.2g}); seI_sim {mine_g['seI_sim'].iloc[0]:.4g} vs "
          f"sqrt(VI_rand) {np.sqrt(mine_g['VI_rand'].iloc[0]):.4g}")

    rows = [("esda cold (fresh process, numba compiles)", _cold("esda"))]
    theirs()  # compile
    rows.append(("esda warm", best_of(theirs, 2)))
    theirs(2)  # joblib's workers start
    rows.append(("esda warm, n_jobs=2", best_of(lambda: theirs(2), 2)))
    try:
        import pygeoda

        layer = pygeoda.open(counties.reset_index())
        gw = pygeoda.queen_weights(layer)
        # GeoDa's queen weights leave the six island counties without neighbours; ours link
        # them, so compare the speed only (the statistic differs for those six).
        rows.append(("pygeoda 1 thread", best_of(
            lambda: pygeoda.local_moran(gw, list(y), permutations=PERMUTATIONS,
                                        cpu_threads=1, seed=1), 2)))
        rows.append(("pygeoda 2 threads", best_of(
            lambda: pygeoda.local_moran(gw, list(y), permutations=PERMUTATIONS,
                                        cpu_threads=2, seed=1), 2)))
    except ImportError:  # pragma: no cover
        print("pygeoda not installed: skipped")
    rows.append(("spatialecon cold (fresh process)", _cold("spatialecon")))
    rows.append(("spatialecon warm, 1 core", best_of(ours, 3)))
    rows.append(("spatialecon warm, 2 threads", best_of(lambda: ours(2), 3)))
    report(f"local Moran, {PERMUTATIONS} permutations, {len(y)} counties (queen)", rows,
           baseline="esda warm")

    ref, mine = theirs(), ours()
    same_ii = np.allclose(mine["Ii"].to_numpy(), ref.Is, rtol=1e-12)
    sig_ref = ref.p_sim <= 0.05
    sig_ours = mine["p_sim"].to_numpy() <= 0.05
    differ = np.flatnonzero(sig_ref != sig_ours)
    sd = np.sqrt(2 * ref.p_sim * (1 - ref.p_sim) / PERMUTATIONS)
    borderline = np.abs(ref.p_sim[differ] - 0.05) <= 4.5 * sd[differ]
    print(f"  Ii identical to esda: {same_ii}; significance at 0.05 differs for {len(differ)} "
          f"of {len(y)} counties, {int(borderline.sum())} of them with p within Monte Carlo "
          f"error of 0.05 (max |p - 0.05| = "
          f"{np.abs(ref.p_sim[differ] - 0.05).max() if len(differ) else 0:.4f})")
    print(json.dumps({name: round(seconds, 3) for name, seconds in global_rows + rows}))


if __name__ == "__main__":
    main()
