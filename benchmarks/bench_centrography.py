"""Centre of gravity and standard deviational ellipse: 2,848 counties × 20 years of weights,
spatialecon (all years in one vectorised call) against pointpats (one call per year).

Both run on the same projected points (the counties' centroids in CHINA_ALBERS, computed once
and handed to spatialecon as a point layer, so neither side pays for the polygons); the full
call on the county polygons (centroids included) is timed apart. The largest difference between
the two is printed, so the timing compares the same numbers. The kernel row is the arithmetic
alone (the private ``_moments`` and ``_axes``); the public calls add the validation of the
weights (finite, non-negative, balanced, named errors), the points-in-units check and the
ellipse polygons.
"""

from __future__ import annotations

import time
import warnings
from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd
from pointpats import centrography as pp

from benchmarks._common import best_of, report
from spatialecon import centrography as cg
from spatialecon.geodata import CHINA_ALBERS, boundaries

YEARS = list(range(2001, 2021))


def _weights(index: pd.Index, seed: int = 20240601) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.lognormal(0.0, 1.2, len(index))
    growth = rng.normal(0.06, 0.03, len(index))
    return pd.DataFrame({y: base * np.exp(growth * (y - YEARS[0])) for y in YEARS}, index=index)


def _pointpats(xy: np.ndarray, weights: pd.DataFrame) -> list[tuple]:
    out = []
    for year in weights.columns:
        w = weights[year].to_numpy()
        out.append((pp.weighted_mean_center(xy, w), pp.ellipse(xy, weights=w)))
    return out


def main() -> None:
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    counties = boundaries("county")
    print(f"\n{len(counties)} counties loaded in {time.perf_counter() - started:.2f} s")
    weights = _weights(counties.index)
    centroids = counties.to_crs(CHINA_ALBERS).centroid
    points = gpd.GeoDataFrame(geometry=centroids, crs=CHINA_ALBERS)
    xy = np.column_stack([centroids.x.to_numpy(), centroids.y.to_numpy()])

    ours_centre = cg.mean_centre(points, weights)
    ours_ellipse = cg.std_ellipse(points, weights)
    theirs = _pointpats(xy, weights)
    centre_diff = max(float(np.abs(ours_centre.loc[y, ["x", "y"]].to_numpy(float) - c).max())
                      for y, (c, _) in zip(YEARS, theirs, strict=True))
    axis_diff = max(abs(ours_ellipse.loc[y, "major"] * 1000 - e[0]) / e[0]
                    for y, (_, e) in zip(YEARS, theirs, strict=True))
    rot_diff = max(abs((ours_ellipse.loc[y, "rotation"] - (90 - np.degrees(e[2])) + 90) % 180
                       - 90) for y, (_, e) in zip(YEARS, theirs, strict=True))
    print(f"largest difference vs pointpats: centre {centre_diff:.2e} m, major axis "
          f"{axis_diff:.2e} (relative), rotation {rot_diff:.2e}°")

    rows = [
        ("pointpats weighted_mean_center + ellipse, per year",
         best_of(partial(_pointpats, xy, weights), 5)),
        ("spatialecon mean_centre + std_ellipse (point layer)",
         best_of(lambda: (cg.mean_centre(points, weights), cg.std_ellipse(points, weights)), 5)),
        ("spatialecon kernel alone (all years at once; no validation, no polygons)",
         best_of(lambda: cg._axes(cg._moments(xy, weights.to_numpy()), len(xy), "crimestat"),
                 5)),
        ("spatialecon std_ellipse alone (point layer)",
         best_of(partial(cg.std_ellipse, points, weights), 5)),
        ("spatialecon mean_centre + std_ellipse (county polygons)",
         best_of(lambda: (cg.mean_centre(counties, weights),
                          cg.std_ellipse(counties, weights)), 3)),
    ]
    report(f"centre of gravity + ellipse, {len(counties)} counties × {len(YEARS)} years", rows,
           baseline=rows[0][0])


if __name__ == "__main__":
    main()
