"""GWR and MGWR against mgwr 2.2 in one run: the 2,848 county representative points (Albers
equal-area) with a synthetic spatially varying DGP (intercept + 3 regressors), and 40,000
synthetic points with a fixed-bandwidth fit.

Each contender runs in its own subprocess on the same ``.npz`` file and times itself after
loading it, so the peak memory (ru_maxrss) is the contender's own. mgwr's runs are skipped
where they would take too long: ``SPATIALECON_BENCH_MGWR_LIMIT`` seconds (default 1800) caps
each of its runs (a killed run is reported as "> limit", and the ratio as a lower bound); the
40,000-point mgwr fit runs only when its estimate from the county fit is under 5 minutes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

from benchmarks._common import report

ROOT = Path(__file__).resolve().parents[1]
BIG_N = 40_000

CASES = {
    "gwr": {
        "ours": """
            from spatialecon.regression import gwr
            def run():
                r = gwr(frame, "y ~ x1 + x2 + x3", coords=coords)
                return {"bandwidth": r.bandwidth, "aicc": r.aicc,
                        "params": r.params.to_numpy().tolist()}
            """,
        "mgwr": """
            from mgwr.sel_bw import Sel_BW
            from mgwr.gwr import GWR
            def run():
                bw = Sel_BW(coords, y, X).search()
                r = GWR(coords, y, X, bw).fit()
                return {"bandwidth": float(bw), "aicc": float(r.aicc),
                        "params": r.params.tolist()}
            """,
    },
    "mgwr": {
        "ours": """
            from spatialecon.regression import mgwr
            def run():
                r = mgwr(frame, "y ~ x1 + x2 + x3", coords=coords)
                return {"bandwidth": r.bandwidths.tolist(), "aicc": r.aicc,
                        "params": r.params.to_numpy().tolist(), "iterations": r.iterations}
            """,
        "mgwr": """
            from mgwr.sel_bw import Sel_BW
            from mgwr.gwr import MGWR
            def run():
                zy = (y - y.mean()) / y.std()
                zX = (X - X.mean(axis=0)) / X.std(axis=0)
                sel = Sel_BW(coords, zy, zX, multi=True)
                sel.search()
                r = MGWR(coords, zy, zX, selector=sel).fit()
                return {"bandwidth": [float(b) for b in sel.bw[0]], "aicc": float(r.aicc),
                        "params": r.params.tolist(), "iterations": len(sel.bw[1])}
            """,
    },
    "fixed": {
        "ours": """
            from spatialecon.regression import gwr
            def run():
                r = gwr(frame, "y ~ x1 + x2 + x3", coords=coords, fixed=True,
                        bandwidth=BANDWIDTH)
                return {"bandwidth": r.bandwidth, "aicc": r.aicc,
                        "params": r.params.to_numpy()[:200].tolist()}
            """,
        "mgwr": """
            from mgwr.gwr import GWR
            def run():
                r = GWR(coords, y, X, BANDWIDTH, fixed=True).fit()
                return {"bandwidth": BANDWIDTH, "aicc": float(r.aicc),
                        "params": r.params[:200].tolist()}
            """,
    },
}

RUNNER = """
import json, resource, sys, time, os
import numpy as np, pandas as pd
os.environ.setdefault("TQDM_DISABLE", "1")
data = np.load({path!r})
coords, y, X = data["coords"], data["y"].reshape(-1, 1), data["X"]
BANDWIDTH = float(data["bandwidth"])
frame = pd.DataFrame({{"y": y.ravel(), "x1": X[:, 0], "x2": X[:, 1], "x3": X[:, 2]}})
{body}
times = []
started = time.perf_counter(); out = run(); times.append(time.perf_counter() - started)
while len(times) < {repeat} and sum(times) < 10:
    started = time.perf_counter(); run(); times.append(time.perf_counter() - started)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
out.update(seconds=min(times), runs=len(times), peak_gib=peak)
print(json.dumps(out))
"""


def _county_points() -> np.ndarray:
    from spatialecon.geodata import CHINA_ALBERS, boundaries

    counties = boundaries("county").to_crs(CHINA_ALBERS)
    points = counties.geometry.representative_point()
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


def _dgp(coords: np.ndarray, seed: int = 20240601) -> tuple[np.ndarray, np.ndarray]:
    """y = β0 + β1 x1 + β2 x2 + β3 x3 + ε with β0, β1, β2 varying at different scales in space
    and β3 constant (so MGWR finds one short, two long and one global bandwidth)."""
    rng = np.random.default_rng(seed)
    n = len(coords)
    u, v = ((coords - coords.mean(axis=0)) / coords.std(axis=0)).T
    X = rng.normal(size=(n, 3))
    b0 = 3 + u
    b1 = 1 + 0.5 * (u + v)
    b2 = np.sin(1.5 * u) * np.cos(1.5 * v)
    b3 = 0.5
    y = b0 + b1 * X[:, 0] + b2 * X[:, 1] + b3 * X[:, 2] + rng.normal(scale=0.5, size=n)
    return y, X


def _run(python: str, body: str, path: Path, repeat: int, limit: float | None) -> dict | None:
    code = RUNNER.format(path=str(path), body=textwrap.dedent(body), repeat=repeat)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1"}
    try:
        done = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env,
                              cwd=tempfile.gettempdir(), timeout=limit)
    except subprocess.TimeoutExpired:
        return {"timeout": limit}
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no output"
        print(f"  failed: {last}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _case(title: str, case: str, path: Path, limit: float, run_peer: bool) -> dict:
    print(f"\n{title}")
    results = {}
    contenders = [("spatialecon", CASES[case]["ours"], 3, None)]
    if run_peer:
        contenders.append(("mgwr 2.2", CASES[case]["mgwr"], 1, limit))
    for name, body, repeat, cap in contenders:
        out = _run(sys.executable, body, path, repeat, cap)
        if out is None:
            continue
        if "timeout" in out:
            print(f"  {name}: > {limit:.0f} s (stopped)")
            results[name] = {"seconds": limit, "lower_bound": True}
            continue
        results[name] = out
        extra = f", {out['iterations']} iterations" if "iterations" in out else ""
        print(f"  {name}: {out['seconds']:.2f} s (best of {out['runs']}), peak "
              f"{out['peak_gib']:.2f} GiB, bandwidth {out['bandwidth']}, AICc "
              f"{out['aicc']:.4f}{extra}")
    ours, peer = results.get("spatialecon"), results.get("mgwr 2.2")
    if ours and peer and "params" in peer:
        gap = np.abs(np.array(ours["params"]) - np.array(peer["params"])).max()
        print(f"  max |params − mgwr| = {gap:.1e}; AICc difference "
              f"{abs(ours['aicc'] - peer['aicc']):.1e}")
    rows = [(name, r["seconds"]) for name, r in results.items()]
    if len(rows) > 1:
        bound = " (mgwr stopped: ratio is a lower bound)" if peer.get("lower_bound") else ""
        report(f"{title}{bound}", rows, baseline="mgwr 2.2")
    return results


def main() -> None:
    limit = float(os.environ.get("SPATIALECON_BENCH_MGWR_LIMIT", "1800"))
    with tempfile.TemporaryDirectory() as tmp:
        coords = _county_points()
        y, X = _dgp(coords)
        county = Path(tmp) / "county.npz"
        np.savez(county, coords=coords, y=y, X=X, bandwidth=0.0)
        n = len(coords)
        _case(f"GWR: golden-section AICc search + fit, adaptive bisquare, {n:,} counties, "
              "4 regressors incl. intercept", "gwr", county, limit, True)
        _case(f"MGWR: back-fitting + inference, adaptive bisquare, {n:,} counties "
              "(standardised)", "mgwr", county, limit, True)

        rng = np.random.default_rng(7)
        big = rng.uniform(0, 1_000_000, size=(BIG_N, 2))  # metres, a 1,000 km square
        y, X = _dgp(big)
        bandwidth = 50_000.0  # ≈ 315 neighbours on average
        path = Path(tmp) / "big.npz"
        np.savez(path, coords=big, y=y, X=X, bandwidth=bandwidth)
        # mgwr's fit builds an O(n) kernel per point: time it on 4,000 of the points and
        # extrapolate by n² before deciding whether to run it on all 40,000
        probe_n = 4_000
        probe = Path(tmp) / "probe.npz"
        np.savez(probe, coords=big[:probe_n], y=y[:probe_n], X=X[:probe_n], bandwidth=bandwidth)
        out = _run(sys.executable, CASES["fixed"]["mgwr"], probe, 1, limit)
        estimate = (out or {}).get("seconds", np.inf) * (BIG_N / probe_n) ** 2
        run_peer = estimate < 300
        print(f"\nmgwr fixed-bandwidth fit on {probe_n:,} of the points: "
              f"{(out or {}).get('seconds', float('nan')):.1f} s → ~{estimate / 60:.0f} min "
              f"expected at {BIG_N:,}{'' if run_peer else ' (over 5 min: not run)'}")
        _case(f"GWR fit, fixed bisquare bandwidth {bandwidth / 1000:.0f} km, {BIG_N:,} "
              "synthetic points", "fixed", path, limit, run_peer)


if __name__ == "__main__":
    main()
