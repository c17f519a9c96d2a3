# Modules: _data (tables → checked arrays; DEAError), dea (CCR/BCC), sbm (Tone's SBM), malmquist.
"""Efficiency analysis, one idea per file: radial DEA (CCR/BCC, :func:`dea`) and Tone's
slack-based measure with undesirable outputs and super-efficiency (:func:`sbm`), all on the same
inputs (wide tables by ``adcode`` or ``(adcode, year)``, or tidy panels; see ``_data``)."""

from spatialecon.efficiency._data import DEAError
from spatialecon.efficiency.dea import dea
from spatialecon.efficiency.malmquist import (
    MalmquistWarning,
    cumulate,
    malmquist,
    malmquist_luenberger,
    summary_by,
)
from spatialecon.efficiency.sbm import sbm

__all__ = [
    "DEAError",
    "MalmquistWarning",
    "cumulate",
    "dea",
    "malmquist",
    "malmquist_luenberger",
    "sbm",
    "summary_by",
]
