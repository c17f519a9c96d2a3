"""Stage 2: regional inequality — Theil T and L with within/between decomposition, Dagum's Gini
decomposition, Gini, coefficient of variation and regional means.

One idea per file, behind these public names: ``_input`` (values, weights and groups as one
long frame, validated once; ``InequalityError``), ``entropy`` (``theil``, ``TheilResult``),
``dagum`` (``dagum_gini``, ``DagumGiniResult``) and ``measures`` (``gini``,
``coefficient_of_variation``, ``regional_means``).

Values come as a Series indexed by ``adcode`` (one cross-section) or ``(adcode, year)``, as a
wide table (one column per variable) or as a tidy panel (``adcode, year, variable, value``);
every measure is computed per variable and year. Groups are a region scheme name of
:func:`spatialecon.geodata.regions` (``"nbs4"``, ``"belts3"`` …) or any mapping ``adcode →
region``.
"""

from __future__ import annotations

from spatialecon.inequality._input import InequalityError, InequalityWarning
from spatialecon.inequality.dagum import DagumGiniResult, dagum_gini
from spatialecon.inequality.entropy import TheilResult, theil
from spatialecon.inequality.measures import coefficient_of_variation, gini, regional_means

__all__ = [
    "DagumGiniResult",
    "InequalityError",
    "InequalityWarning",
    "TheilResult",
    "coefficient_of_variation",
    "dagum_gini",
    "gini",
    "regional_means",
    "theil",
]
