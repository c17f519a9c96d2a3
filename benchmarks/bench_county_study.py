"""The county study end to end (load, weights, statistics, maps, report) and each stage.

Runs the built-in ``counties`` study twice in fresh processes: once with an empty cache (the
county layer, its adjacency, the simplified geometry and the DEM terrain are built) and once
with the cache warm, and prints where the time goes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

_RUN = """
import json, time
started = time.perf_counter()
from spatialecon.pipeline import run_study
run = run_study("counties", output={out!r}, echo=lambda _: None)
print(json.dumps({{"stages": run.timings, "total": time.perf_counter() - started}}))
"""


def _run(cache: str, out: str) -> dict:
    env = {**os.environ, "SPATIALECON_CACHE": cache, "MPLBACKEND": "Agg"}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", _RUN.format(out=out)], env=env,
                            capture_output=True, text=True, check=True)
    timings = json.loads(result.stdout.strip().splitlines()[-1])
    timings["process"] = time.perf_counter() - started
    return timings


def main() -> None:
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        for label in ("cold cache", "warm cache"):
            t = _run(cache, out)
            print(f"\ncounty study, {label}: {t['process']:.1f} s in all "
                  f"({t['total']:.1f} s in the run, the rest is interpreter start and imports)")
            for stage, seconds in t["stages"].items():
                print(f"  {stage:<28} {seconds:6.1f} s")


if __name__ == "__main__":
    main()
