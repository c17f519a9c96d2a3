"""Execute the notebooks top to bottom (``make notebooks``; the test suite calls it too).

Each notebook runs in a fresh kernel with the notebooks folder as working directory; the
executed copy (with outputs) goes to ``outputs/notebooks/``, the stored notebook stays without
outputs. Prints each notebook's run time; exits non-zero on the first failing cell.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "outputs" / "notebooks"
TIMEOUT = 300  # seconds per cell; a notebook should take well under two minutes in all


def execute(path: Path, out_dir: Path = OUT) -> float:
    """Run one notebook; write the executed copy; return the seconds it took."""
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(notebook, timeout=TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()
    seconds = time.perf_counter() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out_dir / path.name)
    return seconds


def main(names: list[str]) -> None:
    paths = sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    if names:
        paths = [p for p in paths if any(p.stem.startswith(n) for n in names)]
    for path in paths:
        print(f"{path.name}: {execute(path):.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
