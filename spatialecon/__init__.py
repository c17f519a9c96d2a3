"""spatialecon — a reproducible spatial-econometrics GIS workflow for China's regions.

The subpackages follow the data flow: ``geodata``/``datasets``/``panel`` (units and data) →
indices → ``weights`` → statistics → ``maps`` and reports. See ARCHITECTURE.md.
"""

__version__ = "0.1.0"
