"""Stage 3: spatial weights keyed by GB/T 2260 codes, as libpysal ``W`` objects.

Every constructor returns a :class:`libpysal.weights.W` whose ids are the ``adcode`` s, so it
goes straight into esda and spreg, with a ``meta`` dict that says how it was built (form,
parameters, repaired islands) for results to carry. Weights come back untransformed (binary
contiguity, raw distance weights), as in libpysal; pass ``transform="r"`` or call
:func:`transform` to row-standardise (esda does so itself by default; spreg does not).

Contiguity is computed from shared vertices (queen) and shared edges (rook), the definitions of
GeoDa and libpysal, with vectorised numpy instead of libpysal's per-polygon loops, into one CSR
matrix that *is* the weights: :class:`CSRW` is a ``W`` whose ``sparse`` is that matrix (built
once, in ``id_order``, cached per transform) and whose neighbour dicts are built only when
read — the shared neighbour structure that permutations, spatial lags and log-determinants
use through ``w.sparse``. A million grid cells take seconds; the embedded boundary layers keep
their adjacency in the boundary cache, so contiguity of ``boundaries(level)`` (or any subset of
it) is a lookup.

One idea per file, behind these names: ``_build`` (:class:`CSRW`, the dictionary route of the
small forms), ``adjacency`` (shared vertices and edges → CSR), ``_geometry`` (what polygon
weights need from a layer: unique codes, polygons, finite coordinates, no duplicated cells,
valid polygons or ``make_valid``), ``islands`` (nearest-polygon links for every island at
once), ``contiguity``, ``distance`` (point forms, capitals, centroids), ``economic``,
``transform`` (transformed copies, higher order), ``summary`` and ``io`` (GAL, GWT, CSV).
"""

from __future__ import annotations

from spatialecon.weights._build import CSRW, _make_w, w_from_pairs
from spatialecon.weights._common import (
    DistanceForm,
    GeometryWarning,
    Islands,
    IslandWarning,
    Rule,
    WeightsError,
)
from spatialecon.weights.adjacency import adjacency_pairs, shared_boundary_matrix
from spatialecon.weights.contiguity import contiguity
from spatialecon.weights.distance import (
    EARTH_RADIUS_KM,
    capital_distance,
    distance_weights,
    great_circle_km,
    min_connecting_threshold,
    planar_distances,
    point_distance,
    unit_points,
)
from spatialecon.weights.economic import economic_distance, economic_geographic
from spatialecon.weights.io import from_file, to_file
from spatialecon.weights.summary import WeightsSummary, summary
from spatialecon.weights.transform import higher_order, transform

__all__ = [
    "CSRW",
    "EARTH_RADIUS_KM",
    "DistanceForm",
    "GeometryWarning",
    "IslandWarning",
    "Islands",
    "Rule",
    "WeightsError",
    "WeightsSummary",
    "_make_w",
    "adjacency_pairs",
    "capital_distance",
    "contiguity",
    "distance_weights",
    "economic_distance",
    "economic_geographic",
    "from_file",
    "great_circle_km",
    "higher_order",
    "min_connecting_threshold",
    "planar_distances",
    "point_distance",
    "shared_boundary_matrix",
    "summary",
    "to_file",
    "transform",
    "unit_points",
    "w_from_pairs",
]
