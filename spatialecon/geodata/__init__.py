"""Stage 1: China's administrative units — boundaries, names and codes, regions, capitals.

Public API: :func:`boundaries`, :func:`match_units` (and :func:`match_report`),
:class:`UnitMatchError`, :func:`regions`, :func:`capitals`, and the GCJ-02 conversions.
"""

from spatialecon.geodata.boundaries import (
    CHINA_ALBERS,
    LEVELS,
    boundaries,
    south_china_sea_line,
    unit_table,
)
from spatialecon.geodata.gcj02 import gcj02_to_wgs84, to_gcj02, to_wgs84, wgs84_to_gcj02
from spatialecon.geodata.matching import UnitMatchError, match_report, match_units
from spatialecon.geodata.regions import available_region_schemes, capitals, regions

__all__ = [
    "CHINA_ALBERS",
    "LEVELS",
    "UnitMatchError",
    "available_region_schemes",
    "boundaries",
    "capitals",
    "gcj02_to_wgs84",
    "match_report",
    "match_units",
    "regions",
    "south_china_sea_line",
    "to_gcj02",
    "to_wgs84",
    "unit_table",
    "wgs84_to_gcj02",
]
