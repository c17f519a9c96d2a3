"""Weights files: GeoDa's GAL and GWT, and a tidy edge-list CSV."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from libpysal.weights import W

from spatialecon._files import atomic_path
from spatialecon.weights._build import _make_w
from spatialecon.weights._common import WeightsError
from spatialecon.weights.transform import _original_weights

# GeoDa's GAL and GWT headers: "0 <n> <layer> <id variable>". libpysal reads and writes these
# formats but returns string ids and writes no id variable, so GeoDa cannot tell which field
# the ids refer to; these few lines keep codes as integers and name the field.


def to_file(w: W, path: str | os.PathLike[str], *, layer: str = "spatialecon",
            id_variable: str = "adcode") -> Path:
    """Write ``w`` as GeoDa GAL (binary neighbours), GWT (neighbour, weight) or a tidy edge-list
    CSV (``focal, neighbor, weight``), chosen by the extension; atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    weights = _original_weights(w) if suffix != ".csv" else {k: list(v)
                                                             for k, v in w.weights.items()}
    with atomic_path(path) as tmp:
        if suffix == ".gal":
            lines = [f"0 {w.n} {layer} {id_variable}"]
            for i in w.id_order:
                lines += [f"{i} {len(w.neighbors[i])}", " ".join(map(str, w.neighbors[i]))]
        elif suffix == ".gwt":
            lines = [f"0 {w.n} {layer} {id_variable}"]
            for i in w.id_order:
                lines += [f"{i} {j} {v!r}" for j, v in zip(w.neighbors[i], weights[i],
                                                           strict=True)]
        elif suffix == ".csv":
            rows = [(i, j, v) for i in w.id_order
                    for j, v in zip(w.neighbors[i], weights[i], strict=True)]
            table = pd.DataFrame(rows, columns=["focal", "neighbor", "weight"])
            table.attrs = {}
            table.to_csv(tmp, index=False)
            lines = None
        else:
            raise WeightsError(f"to_file writes .gal, .gwt or .csv, not {path.suffix!r}")
        if lines is not None:
            tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _id(token: str) -> int | str:
    return int(token) if token.lstrip("-").isdigit() else token


def from_file(path: str | os.PathLike[str], *, transform: str | None = None) -> W:
    """Read GAL, GWT (GeoDa's headers, new or old style) or an edge-list CSV written by
    :func:`to_file`; integer ids come back as ``int``."""
    path = Path(path)
    suffix = path.suffix.lower()
    neighbors: dict = {}
    weights: dict = {}
    order: list = []
    if suffix == ".csv":
        table = pd.read_csv(path)
        required = {"focal", "neighbor", "weight"}
        if not required <= set(table.columns):
            raise WeightsError(f"{path.name}: an edge list needs columns {sorted(required)}")
        for focal, group in table.groupby("focal", sort=False):
            neighbors[focal] = group["neighbor"].tolist()
            weights[focal] = group["weight"].astype(float).tolist()
            order.append(focal)
        ids = list(dict.fromkeys([*order, *table["neighbor"]]))
        meta = {"kind": "file", "file": str(path)}
        return _make_w(neighbors, weights, ids, meta, transform)
    lines = [ln.split() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if not lines:
        raise WeightsError(f"{path} is empty")
    header, body = lines[0], lines[1:]
    n = int(header[1]) if len(header) >= 2 else int(header[0])
    if suffix == ".gal":
        for focal_line, nbr_line in zip(body[0::2], body[1::2], strict=False):
            focal = _id(focal_line[0])
            order.append(focal)
            neighbors[focal] = [_id(t) for t in nbr_line] if int(focal_line[1]) else []
        if len(body) % 2:  # a unit with zero neighbours may omit its empty line
            order.append(_id(body[-1][0]))
        weights = None
    elif suffix == ".gwt":
        for focal, nbr, value in (row[:3] for row in body):
            focal = _id(focal)
            if focal not in neighbors:
                order.append(focal)
                neighbors[focal], weights[focal] = [], []
            neighbors[focal].append(_id(nbr))
            weights[focal].append(float(value))
    else:
        raise WeightsError(f"from_file reads .gal, .gwt or .csv, not {path.suffix!r}")
    ids = list(dict.fromkeys([*order, *(j for v in neighbors.values() for j in v)]))
    if len(ids) != n:
        raise WeightsError(f"{path.name}: header says {n} units, the file lists {len(ids)}")
    return _make_w(neighbors, weights, ids, {"kind": "file", "file": str(path)}, transform)
