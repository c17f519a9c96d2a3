"""Stage 4: distribution dynamics and convergence — how a regional distribution moves over time.

- :mod:`~spatialecon.dynamics.density`: kernel density estimates by year (and by region group),
  the curves, ridges and 3-D surfaces Chinese regional papers print;
- :mod:`~spatialecon.dynamics.markov`: classical, spatial and LISA Markov chains (computed by
  giddy, validated and laid out here as 传统/空间马尔可夫转移概率矩阵);
- :mod:`~spatialecon.dynamics.convergence`: σ and β convergence.

Values come as :func:`spatialecon.inequality.theil` takes them (a Series by ``(adcode, year)``,
a units × years table, or a tidy panel); :func:`wide_values` turns them into one balanced wide
table and refuses what cannot be used, raising :class:`DynamicsError`.
"""

from spatialecon.dynamics._values import DynamicsError, wide_values
from spatialecon.dynamics.convergence import (
    BetaResult,
    DivergenceWarning,
    SigmaResult,
    beta_convergence,
    sigma_convergence,
)
from spatialecon.dynamics.density import kernel_density
from spatialecon.dynamics.markov import (
    LISAMarkovResult,
    MarkovResult,
    SpatialMarkovResult,
    lisa_markov,
    markov,
    spatial_markov,
)

__all__ = [
    "BetaResult",
    "DivergenceWarning",
    "DynamicsError",
    "LISAMarkovResult",
    "MarkovResult",
    "SigmaResult",
    "SpatialMarkovResult",
    "beta_convergence",
    "kernel_density",
    "lisa_markov",
    "markov",
    "sigma_convergence",
    "spatial_markov",
    "wide_values",
]
