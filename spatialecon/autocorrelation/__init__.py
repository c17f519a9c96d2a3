"""Stage 4: global and local spatial autocorrelation — Moran's I, Geary's C, Getis–Ord G,
bivariate Moran, LISA clusters, hot spots, and their change over years.

Design (after esda): one permutation engine and one place for significance.

- :func:`pseudo_p` turns an observed statistic and its reference distribution into a pseudo
  p-value under an explicit ``alternative``; :func:`adjust_p` applies FDR or Bonferroni. Every
  result records the alternative, the permutation count, the seed and the weights in ``attrs``.
- Global statistics permute the whole vector; local statistics use *conditional* permutation
  (unit i fixed, its neighbours drawn from the other n − 1 units), as esda and GeoDa do.

The package is one idea per file: ``_common`` (the error, labels and inputs), ``_significance``
(``pseudo_p``, ``normal_p``, ``adjust_p``, ``inference_note``), ``_permutation`` (the one engine:
global permutation forms and the conditional-permutation LISA engine, whose ``lisa_block`` is
the per-block entry point of a distributed run), ``global_`` (Moran, Geary, General G,
bivariate Moran), ``local`` (LISA, bivariate LISA, Gi*) and ``over_time`` (LISA by year,
quadrant tables, transitions).

The local engine is written here rather than taken from esda because esda's numba kernel spends
about 30 s compiling in every fresh process (each ``make maps`` or notebook run) before it
computes anything; ours is compiled once and cached on disk. It draws, once per call,
``permutations`` random orderings of the units and shares them across units, as esda does; see
``_permutation`` for the running-sum shortcut of equal-weight rows and why the results do not
depend on how units are split into blocks or threads.

Local Moran values follow esda's scaling, :math:`I_i = (n-1)\\,z_i (Wz)_i / \\sum_j z_j^2`,
so that :math:`\\sum_i I_i = (n-1) I` for row-standardised weights. These are GeoDa's values
too (GeoDa prints :math:`z_i (Wz)_i` with z scaled by the sample standard deviation, which is
the same number).

``conventions="geoda"`` of the local statistics switches to GeoDa's LISA rules (its pseudo
p-value, quadrant and multiple-testing rules), read from GeoDa's source; the draws stay ours.
GeoDa's own draws are not uniform: its sampler rounds ``U * (n - 1)`` to an index, which gives
the first and last units of the table half the chance of the others, from a hash of
consecutive seeds, so its p-values differ from a uniform conditional permutation's (ours and
esda's) by more than Monte Carlo error: up to 0.02-0.03 on Columbus' crime rates at 99,999
permutations. Cluster maps agree wherever p is not close to the cutoff.
"""

from spatialecon.autocorrelation import _permutation
from spatialecon.autocorrelation._common import (
    CONVENTIONS,
    NEIGHBOURLESS,
    NOT_SIGNIFICANT,
    QUADRANTS,
    Adjust,
    Alternative,
    AutocorrelationError,
    Conventions,
    describe_weights,
)
from spatialecon.autocorrelation._permutation import _draw_orderings as _draw_orderings
from spatialecon.autocorrelation._significance import (
    ALTERNATIVES,
    adjust_p,
    inference_note,
    normal_p,
    pseudo_p,
)
from spatialecon.autocorrelation.global_ import bivariate_moran, geary, general_g, global_moran
from spatialecon.autocorrelation.local import local_g, local_moran, local_moran_bv
from spatialecon.autocorrelation.over_time import (
    TRANSITION_TYPES,
    lisa_over_time,
    lisa_transitions,
    quadrant_table,
)

# private names kept importable here: the engine's per-block LISA (for distributed runs) and
# the shared conditional draws (which the tests rebuild)
_lisa_block = _permutation.lisa_block

__all__ = [
    "ALTERNATIVES",
    "CONVENTIONS",
    "NEIGHBOURLESS",
    "NOT_SIGNIFICANT",
    "QUADRANTS",
    "TRANSITION_TYPES",
    "Adjust",
    "Alternative",
    "AutocorrelationError",
    "Conventions",
    "adjust_p",
    "bivariate_moran",
    "describe_weights",
    "geary",
    "general_g",
    "global_moran",
    "inference_note",
    "lisa_over_time",
    "lisa_transitions",
    "local_g",
    "local_moran",
    "local_moran_bv",
    "normal_p",
    "pseudo_p",
    "quadrant_table",
]
