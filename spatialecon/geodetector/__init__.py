"""The geographical detector (Wang et al. 2010; Wang & Xu 2017): factor, interaction, risk and
ecological detectors, discretisation of continuous factors and its optimisation.

The q-statistic measures how much of the variance of ``y`` the strata of a factor explain,

    q = 1 − Σ_h N_h σ²_h / (N σ²) = 1 − SSW / SST,

and every detector is a function of three numbers per stratum: the count, the sum and the sum of
squares of ``y``. They are computed once, for all factors and all pairs of factors, over a joint
stratum code (the strata of a pair are the cells of the factors' cross-tabulation, so a pair's
statistics are sums over the joint table), in two compiled passes over the rows: 10⁷ rows and 6
factors take ~0.3 s for the factor and interaction detectors together. They add up over chunks
of rows (:func:`chunk_moments`, :func:`merge_moments`), so a chunked or distributed run gives
the same q and p.

Conventions that differ between implementations are parameters, with the defaults of R's
``geodetector`` (Xu, Hou, Wang & Yin, IGSNRR — the method's authors), and are recorded in the
results' ``attrs``:

``variance``
    The σ² in the noncentrality parameter λ of the factor detector's p-value: ``"sample"``
    (SST / (N − 1), R ``geodetector``, py-geodetector) or ``"population"`` (SST / N, R ``GD``
    ≥ 10, ``gdverse``, PyPI ``geodetector``).
``singletons``
    Strata holding one observation: ``"keep"`` them (they add nothing to SSW but count in N and L
    and in λ; R ``geodetector``) or ``"drop"`` their rows before anything is computed (``GD``,
    ``gdverse``, PyPI ``geodetector``).
``rule`` of the ecological detector
    See :func:`ecological_detector`.

Typical use::

    from spatialecon import geodetector as gd
    gd.factor_detector(df, "incidence", ["type", "region", "level"])
    result = gd.geodetector(panel, "urban_quality", ["X1", …, "X6"], by="region", overall="全国",
                            discretize={"X1": "optimal", …})

Package layout (one idea per file): ``_input`` (y and the factors' stratum codes, checked),
``_moments`` (the per-stratum sufficient statistics: :func:`chunk_moments` for a chunk of rows,
:func:`merge_moments` across chunks, e.g. Dask partitions; :func:`factor_table` and
:func:`interaction_table` read the detectors off merged moments), ``factor`` (q, F, λ, p),
``interaction``, ``risk``, ``ecological``, ``discretise``, ``optimal`` (the optimal-parameters
search) and ``detectors`` (:func:`geodetector`, every detector per group).
"""

from spatialecon.geodetector._input import (
    GeodetectorError,
    Missing,
    Singletons,
    Variance,
    check_conventions,
)
from spatialecon.geodetector._moments import (
    Moments,
    StrataMoments,
    chunk_moments,
    merge_moments,
)
from spatialecon.geodetector.detectors import (
    DETECTORS,
    GeodetectorResult,
    discretize_spec,
    geodetector,
)
from spatialecon.geodetector.discretise import (
    METHODS,
    SKETCH_SIZE,
    Discretization,
    Method,
    discretize,
)
from spatialecon.geodetector.ecological import (
    EcologicalRule,
    ecological_detector,
    ecological_rows,
)
from spatialecon.geodetector.factor import (
    FACTOR_COLUMNS,
    factor_detector,
    factor_table,
    q_statistics,
)
from spatialecon.geodetector.interaction import (
    INTERACTION_TYPES,
    interaction_detector,
    interaction_table,
    interaction_type,
)
from spatialecon.geodetector.optimal import (
    SEARCH_METHODS,
    OptimalDiscretization,
    optimal_discretization,
)
from spatialecon.geodetector.risk import RiskResult, RiskTest, risk_detector

__all__ = [
    "DETECTORS", "FACTOR_COLUMNS", "INTERACTION_TYPES", "METHODS", "SEARCH_METHODS",
    "SKETCH_SIZE", "Discretization", "EcologicalRule", "GeodetectorError", "GeodetectorResult",
    "Method", "Missing", "Moments", "OptimalDiscretization", "RiskResult", "RiskTest",
    "Singletons", "StrataMoments", "Variance", "check_conventions", "chunk_moments",
    "discretize", "discretize_spec", "ecological_detector", "ecological_rows",
    "factor_detector", "factor_table", "geodetector", "interaction_detector",
    "interaction_table", "interaction_type", "merge_moments", "optimal_discretization",
    "q_statistics", "risk_detector",
]
