"""Differential tests: our statistics against the peers on random tessellations and fields.

Hypothesis draws tessellations — grids with gaps, Voronoi cells, cells with holes (filled by
another unit or left empty), multipolygons, detached islands — in a geographic CRS
(EPSG:4326, 110–115°E 30–35°N), a projected one (EPSG:32650) or none, with ids of three types
(int64, Python ints in an object index, strings), and random fields on them (normal, skewed,
tied integers, a large mean with a small spread). Each case is compared with an independent
reference on the same input:

- contiguity (islands kept) — neighbour sets of libpysal ``Queen``/``Rook``, ids of the
  user's own type;
- global Moran's I, E[I], V[I] and z under normality and randomisation — ``esda.Moran``;
- local Moran's Ii and quadrants — ``esda.Moran_Local``;
- Theil T, between and within — ``inequality.theil.TheilD``; Theil L — the formula;
- geographical detector q and p — brute force and the PyPI ``geodetector`` package;
- DEA technical and pure technical efficiency — one ``scipy.optimize.linprog`` per unit.

The budget is fixed and the examples derandomised, so CI runs the same cases every time in
well under three minutes; ``SPATIALECON_HYPOTHESIS=slow`` runs ten times as many. With
``SPATIALECON_DIFF_SUMMARY=path.json`` the cases compared and the largest difference per
statistic are written there (they are always printed at the end of the module).
"""

from __future__ import annotations

import json
import os
import warnings
from collections import defaultdict
from pathlib import Path

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from spatialecon.autocorrelation import global_moran, local_moran
from spatialecon.efficiency import dea
from spatialecon.geodata.boundaries import CHINA_ALBERS
from spatialecon.geodetector import factor_detector
from spatialecon.inequality import theil
from spatialecon.weights import contiguity

SLOW = os.environ.get("SPATIALECON_HYPOTHESIS") == "slow"
TOLERANCE = 1e-8


def budget(n: int) -> settings:
    """``n`` examples in CI, ten times as many in the slow profile; always the same ones."""
    return settings(max_examples=n * (10 if SLOW else 1), derandomize=True, deadline=None,
                    database=None, suppress_health_check=[HealthCheck.too_slow,
                                                         HealthCheck.data_too_large])


# ---------------------------------------------------------------------------- the record

RECORD: dict[str, dict[str, float]] = defaultdict(lambda: {"cases": 0, "max_diff": 0.0})
COVERAGE: dict[str, int] = defaultdict(int)  # tessellations compared, by kind, CRS and ids


def compare(statistic: str, ours, theirs, tol: float = TOLERANCE) -> None:
    """Assert agreement (relative to the reference's magnitude, absolute near zero) and record
    the case and its difference."""
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape, statistic
    diff = float(np.max(np.abs(ours - theirs) / np.maximum(1.0, np.abs(theirs)), initial=0.0))
    entry = RECORD[statistic]
    entry["cases"] += 1
    entry["max_diff"] = max(entry["max_diff"], diff)
    assert diff <= tol, f"{statistic}: ours {ours} vs reference {theirs} (difference {diff:.3g})"


def agree(statistic: str, same: bool) -> None:
    """Record an exact comparison (neighbour sets, quadrants): difference 0 or 1."""
    entry = RECORD[statistic]
    entry["cases"] += 1
    entry["max_diff"] = max(entry["max_diff"], 0.0 if same else 1.0)
    assert same, statistic


@pytest.fixture(scope="module", autouse=True)
def summary(differential_summary):
    yield
    rows = {name: dict(entry) for name, entry in sorted(RECORD.items())}
    lines = ["differential suite" + (" (slow profile)" if SLOW else "") + ": cases, max diff"]
    lines += [f"  {name:<28} {int(e['cases']):>6}  {e['max_diff']:.2e}" for name, e in
              rows.items()]
    lines.append("  tessellations: " + ", ".join(f"{k} {v}" for k, v in sorted(COVERAGE.items())))
    differential_summary.extend(lines)  # printed at the end of the run (conftest)
    target = os.environ.get("SPATIALECON_DIFF_SUMMARY")
    if target:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"profile": "slow" if SLOW else "ci", "statistics": rows,
                                    "tessellations": dict(sorted(COVERAGE.items()))},
                                   indent=1), encoding="utf-8")


# ---------------------------------------------------------------------------- tessellations

CRSS = {  # name: (crs, x0, y0, width) — the unit square is mapped onto this box
    "geographic": ("EPSG:4326", 110.0, 30.0, 5.0),
    "projected": ("EPSG:32650", 300_000.0, 3_300_000.0, 500_000.0),
    "none": (None, 0.0, 0.0, 1.0),
}


def _grid(rng: np.random.Generator, nx: int, ny: int) -> list:
    return [shapely.box(i / nx, j / ny, (i + 1) / nx, (j + 1) / ny)
            for i in range(nx) for j in range(ny)]


def _voronoi(rng: np.random.Generator, n: int) -> list:
    frame = shapely.box(0, 0, 1, 1)
    cells = shapely.voronoi_polygons(shapely.multipoints(rng.uniform(0, 1, (n, 2))),
                                     extend_to=frame)
    return [cell.intersection(frame) for cell in shapely.get_parts(cells)]


def _holes(rng: np.random.Generator, nx: int, ny: int) -> list:
    """A grid where some cells have a hole, filled by a unit of its own or left empty."""
    cells = []
    for cell in _grid(rng, nx, ny):
        if rng.random() < 0.4:
            minx, miny, maxx, maxy = cell.bounds
            dx, dy = (maxx - minx) / 4, (maxy - miny) / 4
            hole = shapely.box(minx + dx, miny + dy, maxx - dx, maxy - dy)
            cells.append(shapely.Polygon(cell.exterior.coords, [hole.exterior.coords]))
            if rng.random() < 0.7:
                cells.append(hole)  # shares the hole's ring: a neighbour inside
        else:
            cells.append(cell)
    return cells


def _multipolygons(rng: np.random.Generator, nx: int, ny: int) -> list:
    """A grid where a few pairs of cells (adjacent or not) are one unit."""
    cells = _grid(rng, nx, ny)
    order = list(rng.permutation(len(cells)))
    merged = []
    while len(order) >= 2 and rng.random() < 0.5:
        a, b = order.pop(), order.pop()
        merged.append(shapely.MultiPolygon([cells[a], cells[b]]))
    return [cells[i] for i in sorted(order)] + merged


@st.composite
def tessellations(draw) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["grid", "voronoi", "holes", "multipolygons"]))
    nx, ny = draw(st.integers(2, 7)), draw(st.integers(2, 7))
    if kind == "grid":
        cells = _grid(rng, nx, ny)
        gaps = rng.random(len(cells)) < draw(st.sampled_from([0.0, 0.15, 0.3]))
        cells = [c for c, gap in zip(cells, gaps, strict=True) if not gap]  # islands, corners
    elif kind == "voronoi":
        cells = _voronoi(rng, draw(st.integers(4, 40)))
    elif kind == "holes":
        cells = _holes(rng, nx, ny)
    else:
        cells = _multipolygons(rng, nx, ny)
    for k in range(draw(st.integers(0, 2))):  # detached islands off the east coast
        cells.append(shapely.box(1.3 + 0.2 * k, 0.4, 1.4 + 0.2 * k, 0.5))
    assume(len(cells) >= 4)
    crs, x0, y0, width = CRSS[draw(st.sampled_from(list(CRSS)))]
    geoms = shapely.transform(np.array(cells, dtype=object),
                              lambda xy: np.column_stack([x0 + width * xy[:, 0],
                                                          y0 + width * xy[:, 1]]))
    codes = 110000 + 100 * rng.permutation(len(geoms))
    id_type = draw(st.sampled_from(["int64", "object int", "str"]))
    index = (pd.Index(codes, dtype="int64") if id_type == "int64" else
             pd.Index([int(c) for c in codes], dtype=object) if id_type == "object int" else
             pd.Index([str(c) for c in codes]))
    gdf = gpd.GeoDataFrame(geometry=list(geoms), index=index, crs=crs)
    gdf.attrs["case"] = (kind, crs or "no CRS", id_type)
    return gdf


@st.composite
def fields(draw, n: int) -> np.ndarray:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["normal", "lognormal", "ties", "large mean"]))
    y = {"normal": lambda: rng.normal(size=n),
         "lognormal": lambda: rng.lognormal(sigma=1.0, size=n),
         "ties": lambda: rng.integers(0, 4, size=n).astype(float),
         "large mean": lambda: 1e6 + 3.0 * rng.normal(size=n)}[kind]()
    assume(np.ptp(y) > 0)
    return y


def _weights(gdf: gpd.GeoDataFrame, rule: str = "queen", islands: str = "keep"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # IslandWarning: the islands are the point here
        return contiguity(gdf, rule, islands=islands)


def _row_standardised(w) -> libpysal.weights.W:
    """A separate row-standardised copy for the references (ours stays untouched)."""
    copy = libpysal.weights.W(w.neighbors, w.weights, id_order=w.id_order,
                              silence_warnings=True)
    copy.transform = "r"
    return copy


# ---------------------------------------------------------------------------- weights


@budget(300)
@given(tessellations(), st.sampled_from(["queen", "rook"]))
def test_contiguity_matches_libpysal(gdf, rule):
    for part in gdf.attrs["case"]:
        COVERAGE[part] += 1
    ours = _weights(gdf, rule)
    builder = libpysal.weights.Queen if rule == "queen" else libpysal.weights.Rook
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = builder.from_dataframe(gdf, use_index=True, silence_warnings=True)
    agree(f"{rule} neighbour sets",
          {k: set(v) for k, v in ours.neighbors.items()}
          == {k: set(v) for k, v in theirs.neighbors.items()})
    # the ids are the user's own, of the user's own type
    kinds = {type(i) for i in ours.neighbors} | {type(j) for v in ours.neighbors.values()
                                                 for j in v}
    agree("id types", kinds <= ({str} if isinstance(gdf.index[0], str) else {int, np.int64}))
    assert set(ours.neighbors) == set(gdf.index)
    # islands="nearest": every island linked, listed, and to a polygon nearest in metres
    repaired = _weights(gdf, rule, islands="nearest")
    links = repaired.meta["repaired_islands"]
    agree("islands repaired and listed",
          not repaired.islands and set(links) == set(ours.islands)
          and repaired.meta["isolated"] == [])
    measured = gdf if gdf.crs is None else gdf.to_crs(CHINA_ALBERS)
    for island, target in links.items():
        distance = measured.geometry.distance(measured.geometry[island]).drop(island)
        compare("island link distance", distance[target], distance.min(), tol=1e-9)


# ---------------------------------------------------------------------------- Moran


@budget(250)
@given(st.data())
def test_global_moran_matches_esda(data):
    gdf = data.draw(tessellations())
    w = _weights(gdf, islands="nearest")
    y = data.draw(fields(len(gdf)))
    ours = global_moran(pd.DataFrame({"y": y}, index=gdf.index), "y", w,
                        permutations=0).iloc[0]
    ref = esda.Moran(y, _row_standardised(w), permutations=0)
    compare("Moran I", ours["I"], ref.I)
    compare("Moran E[I]", ours["EI"], ref.EI)
    compare("Moran V[I] normality", ours["VI_norm"], ref.VI_norm)
    compare("Moran z normality", ours["z_norm"], ref.z_norm)
    compare("Moran V[I] randomisation", ours["VI_rand"], ref.VI_rand)
    compare("Moran z randomisation", ours["z_rand"], ref.z_rand)


@budget(250)
@given(st.data())
def test_local_moran_matches_esda(data):
    gdf = data.draw(tessellations())
    w = _weights(gdf, islands="nearest")
    y = data.draw(fields(len(gdf)))
    ours = local_moran(pd.DataFrame({"y": y}, index=gdf.index), "y", w, permutations=0)
    ref = esda.Moran_Local(y, _row_standardised(w), permutations=0)
    compare("local Moran Ii", ours["Ii"].to_numpy(), ref.Is)
    quadrants = ours["quadrant"].map({"HH": 1, "LH": 2, "LL": 3, "HL": 4}).to_numpy()
    agree("local Moran quadrants", bool((quadrants == ref.q).all()))


# ---------------------------------------------------------------------------- Theil


@budget(300)
@given(st.integers(0, 2**32 - 1), st.integers(3, 60), st.integers(1, 5))
def test_theil_matches_inequality(seed, n, k):
    from inequality.theil import TheilD

    rng = np.random.default_rng(seed)
    y = rng.lognormal(sigma=rng.uniform(0.1, 2.0), size=n)
    groups = rng.integers(0, k, size=n)
    ours = theil(pd.Series(y), groups)
    ref = TheilD(y, groups)
    compare("Theil T", ours.T, float(np.squeeze(ref.T)))
    compare("Theil between", ours.between, float(np.squeeze(ref.bg)))
    compare("Theil within", ours.within, float(np.squeeze(ref.wg)))
    mean_log_deviation = np.mean(np.log(y.mean() / y))  # Theil L, GE(0), by its formula
    compare("Theil L", theil(pd.Series(y), index="L").T, mean_log_deviation)


@budget(200)
@given(st.integers(0, 2**32 - 1), st.integers(5, 60), st.integers(2, 5))
def test_dagum_gini_matches_inequality_and_brute_force(seed, n, k):
    """Dagum's G equals PySAL's Gini; its parts sum to G and equal the pairwise definitions."""
    import warnings

    from inequality.gini import Gini

    from spatialecon.inequality import dagum_gini

    rng = np.random.default_rng(seed)
    y = rng.lognormal(sigma=rng.uniform(0.1, 2.0), size=n)
    if rng.random() < 0.3:  # ties
        y = np.round(y, 1) + 0.1
    groups = np.r_[np.arange(k), rng.integers(0, k, size=n - k)]  # every group present
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one-unit groups are warned about, and valid
        ours = dagum_gini(pd.Series(y), pd.Series(groups))
    compare("Dagum G (inequality.Gini)", ours.gini, float(Gini(y).g))
    compare("Dagum Gw + Gnb + Gt", ours.within + ours.between + ours.transvariation, ours.gini)
    diff = np.abs(y[:, None] - y[None, :])
    for (j, h), value in ours.pair_gini.stack().items():
        a, b = groups == j, groups == h
        pair = diff[np.ix_(a, b)].sum() / (a.sum() * b.sum() * (y[a].mean() + y[b].mean()))
        compare("Dagum Gjh (brute force)", value, pair)


# ---------------------------------------------------------------------------- detector


def _brute_q(y: np.ndarray, strata: np.ndarray) -> float:
    within = sum((strata == s).sum() * y[strata == s].var() for s in np.unique(strata))
    return 1 - within / (len(y) * y.var())


@budget(300)
@given(st.integers(0, 2**32 - 1), st.integers(2, 6), st.integers(2, 12))
def test_factor_detector_matches_brute_force_and_geodetector(seed, k, per_stratum):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, per_stratum + 2, size=k)  # no singleton strata: conventions agree
    strata = np.repeat(np.arange(k), sizes)
    y = rng.normal(size=len(strata)) + rng.uniform(0, 2) * strata
    assume(np.ptp(y) > 0)
    frame = pd.DataFrame({"y": y, "x": strata})
    ours = factor_detector(frame, "y", "x", variance="population").loc["x"]
    compare("detector q (brute force)", ours["q"], _brute_q(y, strata))
    geodetector = pytest.importorskip("geodetector", reason="test-only reference")
    # as strings: the package re-bins integer columns with more than √n levels by quantiles
    fd = geodetector.FactorDetector().fit(frame[["x"]].astype(str), frame["y"])
    compare("detector q (geodetector)", ours["q"], fd.q_value_)
    compare("detector p (geodetector)", ours["p"], fd.p_value_, tol=1e-8)


# ---------------------------------------------------------------------------- DEA


def _envelopment(X: np.ndarray, Y: np.ndarray, o: int, orientation: str, vrs: bool) -> float:
    """Radial efficiency of unit ``o`` from the envelopment program, solved directly."""
    n = len(X)
    equality = (np.r_[0.0, np.ones(n)][None, :], [1.0]) if vrs else (None, None)
    if orientation == "input":  # min θ: Xλ ≤ θ x_o, Yλ ≥ y_o
        a_ub = np.vstack([np.column_stack([-X[o], X.T]), np.column_stack([np.zeros(Y.shape[1]),
                                                                          -Y.T])])
        b_ub = np.r_[np.zeros(X.shape[1]), -Y[o]]
        c = np.r_[1.0, np.zeros(n)]
    else:  # max φ: Xλ ≤ x_o, Yλ ≥ φ y_o; efficiency 1/φ
        a_ub = np.vstack([np.column_stack([np.zeros(X.shape[1]), X.T]),
                          np.column_stack([Y[o], -Y.T])])
        b_ub = np.r_[X[o], np.zeros(Y.shape[1])]
        c = np.r_[-1.0, np.zeros(n)]
    result = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=equality[0], b_eq=equality[1],
                     bounds=[(None, None)] + [(0, None)] * n, method="highs")
    assert result.status == 0
    return result.x[0] if orientation == "input" else 1 / result.x[0]


@budget(150)
@given(st.integers(0, 2**32 - 1), st.integers(4, 25), st.integers(1, 3), st.integers(1, 2),
       st.sampled_from(["input", "output"]))
def test_dea_matches_linprog(seed, n, m, s, orientation):
    rng = np.random.default_rng(seed)
    X, Y = rng.uniform(1, 100, (n, m)), rng.uniform(1, 100, (n, s))
    ours = dea(pd.DataFrame(X, columns=[f"x{i}" for i in range(m)]),
               pd.DataFrame(Y, columns=[f"y{r}" for r in range(s)]),
               orientation=orientation, slacks=False)
    te = [_envelopment(X, Y, o, orientation, vrs=False) for o in range(n)]
    pte = [_envelopment(X, Y, o, orientation, vrs=True) for o in range(n)]
    compare("DEA TE (CRS)", ours["te"].to_numpy(), te, tol=1e-6)
    compare("DEA PTE (VRS)", ours["pte"].to_numpy(), pte, tol=1e-6)
