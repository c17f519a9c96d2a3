"""Factor + interaction detectors for 6 integer factors (5–8 strata) at 10⁵, 10⁶ and 10⁷ rows,
against the PyPI packages ``py-geodetector`` and ``geodetector`` and a plain numpy reference
(``bincount`` of count, sum and sum of squares per factor and per pair of factors — what the
detectors need, with nothing else: no checks, no p-values) in one run. The goal of issue 20 is
< 1 s for ours at 10⁷ rows (warm).

Both peers install the import name ``geodetector``, so each lives in its own throwaway venv under
``.venv-peers/<name>`` (created here on first use, reused after). Every contender — ours too —
runs in its own subprocess on the same Parquet file and times itself after reading it, so the
times exclude I/O and interpreter start-up, and the peak memory (ru_maxrss) is the contender's.

A peer that cannot be installed is reported with the reason and skipped. A peer whose time at
the previous size extrapolates (linearly in rows) past ``SPATIALECON_BENCH_PEER_LIMIT`` seconds
(default 120) is not run at the next size. ``SPATIALECON_BENCH_GEODETECTOR_SIZES`` overrides the
sizes, e.g. ``1e5,1e6``.
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
import pandas as pd

from benchmarks._common import report

ROOT = Path(__file__).resolve().parents[1]
PEERS_DIR = ROOT / ".venv-peers"
STRATA = (5, 6, 7, 8, 5, 6)
FACTORS = [f"x{i + 1}" for i in range(len(STRATA))]

# name → (pip requirements, runner body). py-geodetector declares no dependencies, so its
# venv gets them explicitly; pyarrow reads the shared Parquet file.
PEERS = {
    "py-geodetector": (
        ["py-geodetector==0.2.1", "numpy", "pandas", "scipy", "matplotlib", "pyarrow"],
        """
        from geodetector import GeoDetector
        def run():
            det = GeoDetector(df, y="y", factors=FACTORS)
            factor = det.factor_detector()
            inter, kinds = det.interaction_detector(relationship=True)
            return {f: float(factor.loc["q statistic", f]) for f in FACTORS}
        """,
    ),
    "geodetector": (
        ["geodetector==0.2.0", "pyarrow"],
        """
        from geodetector import FactorDetector, InteractionDetector
        def run():
            q = {}
            for f in FACTORS:
                q[f] = float(FactorDetector().fit(df[[f]], df["y"]).q_value_)
            InteractionDetector().fit(df[FACTORS], df["y"])
            return q
        """,
    ),
}

OURS = {
    "spatialecon factor_detector + interaction_detector": """
        from spatialecon import geodetector as gd
        def run():
            factor = gd.factor_detector(df, "y", FACTORS)
            gd.interaction_detector(df, "y", FACTORS)
            return factor["q"].to_dict()
        """,
    "spatialecon geodetector(detectors=factor, interaction)": """
        from spatialecon import geodetector as gd
        def run():
            result = gd.geodetector(df, "y", FACTORS, detectors=("factor", "interaction"))
            return dict(zip(result.factor["factor"], result.factor["q"]))
        """,
}

REFERENCE = "numpy bincount q, 6 factors + 15 pairs (reference)"
NUMPY = """
    import itertools
    import numpy as np
    y = df["y"].to_numpy()
    codes = [df[f].to_numpy().astype(np.intp) for f in FACTORS]  # (not timed)
    def q_of(c, sst):
        counts = np.bincount(c)
        sums = np.bincount(c, weights=y)
        squares = np.bincount(c, weights=y * y)
        ok = counts > 0
        return 1 - float((squares[ok] - sums[ok] ** 2 / counts[ok]).sum()) / sst
    def run():
        sst = float(((y - y.mean()) ** 2).sum())
        q = {f: q_of(c, sst) for f, c in zip(FACTORS, codes)}
        for a, b in itertools.combinations(codes, 2):
            q_of(a * (int(b.max()) + 1) + b, sst)
        return q
    """

# Runs inside the contender's interpreter: read the data, warm up once when fast, time.
RUNNER = """
import json, resource, sys, time
import pandas as pd
FACTORS = {factors!r}
df = pd.read_parquet({path!r})
{body}
times = []
started = time.perf_counter(); q = run(); times.append(time.perf_counter() - started)
while len(times) < {repeat} and sum(times) < 20:
    started = time.perf_counter(); run(); times.append(time.perf_counter() - started)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(json.dumps({{"seconds": min(times), "runs": len(times), "peak_gib": peak, "q": q}}))
"""


def _data(n: int, seed: int = 20240601) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns = {f: rng.integers(1, k + 1, n) for f, k in zip(FACTORS, STRATA, strict=True)}
    y = rng.normal(size=n)
    for i, f in enumerate(FACTORS):  # some signal, so q differs between factors
        y += 0.1 * (i + 1) * columns[f]
    return pd.DataFrame({"y": y, **columns})


def _peer_python(name: str, requirements: list[str]) -> Path | None:
    """The peer's venv interpreter, installing it on first use; None (and why) on failure."""
    venv = PEERS_DIR / name
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    if stamp.is_file() and stamp.read_text() == " ".join(requirements):
        return python
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True,
                       capture_output=True, text=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *requirements],
                       check=True, capture_output=True, text=True, timeout=900)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as err:
        detail = getattr(err, "stderr", "") or str(err)
        print(f"  {name}: could not install {' '.join(requirements)} — "
              f"{detail.strip().splitlines()[-1] if detail.strip() else err}; skipped")
        return None
    stamp.write_text(" ".join(requirements))
    return python


def _run(python: Path | str, body: str, path: Path, repeat: int) -> dict | None:
    code = RUNNER.format(factors=FACTORS, path=str(path), body=textwrap.dedent(body),
                         repeat=repeat)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=env,
                          cwd=tempfile.gettempdir())
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no output"
        print(f"  failed: {last}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sizes() -> list[int]:
    text = os.environ.get("SPATIALECON_BENCH_GEODETECTOR_SIZES", "1e5,1e6,1e7")
    return [int(float(s)) for s in text.split(",") if s.strip()]


def main() -> None:
    limit = float(os.environ.get("SPATIALECON_BENCH_PEER_LIMIT", "120"))
    pythons = {name: _peer_python(name, reqs) for name, (reqs, _) in PEERS.items()}
    last: dict[str, tuple[int, float]] = {}
    for n in _sizes():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "data.parquet"
            _data(n).to_parquet(path, index=False)
            print(f"\ngeodetector: factor + interaction, {n:,} rows × {len(FACTORS)} factors "
                  f"({'/'.join(map(str, STRATA))} strata)")
            rows, qs = [], {}
            for name, (_, body) in PEERS.items():
                python = pythons[name]
                if python is None:
                    continue
                if name in last:
                    rows_before, seconds = last[name]
                    expected = seconds * n / rows_before
                    if expected > limit:
                        print(f"  {name}: not run (~{expected:.0f} s expected from "
                              f"{seconds:.1f} s at {rows_before:,} rows; limit {limit:.0f} s)")
                        continue
                result = _run(python, body, path, repeat=3)
                if result is None:
                    continue
                last[name] = (n, result["seconds"])
                rows.append((name, result["seconds"]))
                qs[name] = result["q"]
                print(f"  {name}: {result['seconds']:.3f} s (best of {result['runs']}), "
                      f"peak {result['peak_gib']:.2f} GiB")
            for name, body in [*OURS.items(), (REFERENCE, NUMPY)]:
                result = _run(sys.executable, body, path, repeat=5)
                if result is None:
                    continue
                rows.append((name, result["seconds"]))
                qs[name] = result["q"]
                print(f"  {name}: {result['seconds']:.3f} s (best of {result['runs']}), "
                      f"peak {result['peak_gib']:.2f} GiB")
            reference = qs.get(next(iter(OURS)))
            for name, q in qs.items():
                if reference and name not in OURS:
                    gap = max(abs(q[f] - reference[f]) for f in FACTORS)
                    print(f"  max |q − ours| for {name}: {gap:.1e}")
            peers = [(name, t) for name, t in rows if name in PEERS]
            if peers:
                fastest = min(peers, key=lambda row: row[1])[0]
                report(f"{n:,} rows (ratios vs the fastest peer run)", rows, baseline=fastest)
            if REFERENCE in dict(rows):
                report(f"{n:,} rows (ratios vs the numpy reference)", rows, baseline=REFERENCE)
            elif not peers:
                report(f"{n:,} rows (no peer ran)", rows, baseline=rows[0][0])


if __name__ == "__main__":
    main()
