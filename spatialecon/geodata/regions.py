"""Region schemes used by the seed's articles, and the provincial capitals.

The schemes live in ``geodata/regions.csv`` (one column per scheme, Chinese labels) with their
English labels, sizes and provenance in ``geodata/regions.json``. Several memberships are not
printed in the articles but inferred (see :func:`regions` and ``Series.attrs["membership"]``).
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any, Literal

import pandas as pd

from spatialecon._files import embedded_path
from spatialecon.geodata.boundaries import NON_MAINLAND_PROVINCES, provinces_table
from spatialecon.validation import check_choice

Lang = Literal["zh", "en"]


@functools.lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    # keep_default_na=False: an empty cell means "not in this scheme", kept as "" until regions().
    return pd.read_csv(
        embedded_path("regions.csv"), dtype=str, keep_default_na=False
    ).astype({"adcode": "int64"}).set_index("adcode")


@functools.lru_cache(maxsize=1)
def _schemes() -> dict[str, dict[str, Any]]:
    return json.loads(embedded_path("regions.json").read_text(encoding="utf-8"))["schemes"]


def available_region_schemes() -> list[str]:
    """Names of the region schemes accepted by :func:`regions`.

    Returns
    -------
    list of str
        ``["nbs4", "belts3", "south_north", "nw_sw", "coast_inland_border", "liu2020_4region"]``.
    """
    return list(_schemes())


def regions(scheme: str = "nbs4", *, lang: Lang = "zh") -> pd.Series:
    """Region of each province under one grouping scheme.

    Parameters
    ----------
    scheme
        ``"nbs4"`` (东部/中部/西部/东北, 10/6/12/3), ``"belts3"`` (东部/中部/西部, 11/8/12, east
        with 辽宁, central with 吉林 and 黑龙江), ``"south_north"`` (南方/北方, 16/15,
        Qinling–Huaihe), ``"nw_sw"`` (西北/西南, the 12 western provinces only),
        ``"coast_inland_border"`` (沿海/内陆/沿边, 11/13/7) or ``"liu2020_4region"`` (``nbs4``
        without 西藏). See :func:`available_region_schemes`.
    lang
        ``"zh"`` for the Chinese labels used in the articles, ``"en"`` for English ones
        (east, central, west, northeast, south, north, northwest, southwest, coastal, inland,
        border).

    Returns
    -------
    pandas.Series
        Region labels indexed by province ``adcode`` (int), named after the scheme. Provinces
        outside the scheme are omitted. ``attrs`` holds the scheme's description, labels,
        sizes, the articles using it and whether its membership is ``"stated"`` in them or
        ``"inferred"``.

    Raises
    ------
    ParameterError
        For an unknown scheme or language (a ``ValueError``).

    Examples
    --------
    >>> regions("nbs4").value_counts().to_dict()
    {'西部': 12, '东部': 10, '中部': 6, '东北': 3}
    >>> regions("nw_sw", lang="en")[540000]
    'southwest'
    """
    schemes = _schemes()
    check_choice(scheme, "the region scheme", schemes)
    check_choice(lang, "lang", ("zh", "en"))
    meta = schemes[scheme]
    labels = _table()[scheme]
    out = labels[labels != ""].copy()
    if lang == "en":
        out = out.map(meta["labels"])
    out.name = scheme
    out.attrs = {"scheme": scheme, "lang": lang, **copy.deepcopy(meta)}
    return out


def capitals(*, mainland_only: bool = True) -> pd.DataFrame:
    """Provincial capitals (省会/首府; for municipalities the city itself) as points.

    Parameters
    ----------
    mainland_only
        Drop Taiwan, Hong Kong and Macao (the default, as in the seed's studies).

    Returns
    -------
    pandas.DataFrame
        Indexed by the province ``adcode``, with columns ``name`` (capital, Chinese: 武汉),
        ``name_en`` (Wuhan), ``province`` (short province name: 湖北), ``lon`` and ``lat``
        (degrees). ``attrs`` documents the coordinates.

    Notes
    -----
    The points are city centres, taken from the embedded province table
    (``geodata/provinces.csv``) so that names and codes have a single source. They are given to
    0.001° but are meant to locate the city to about 0.01° (~1 km); that is coarser than the
    100–700 m offset between WGS-84 and GCJ-02, so they may be overlaid on the GCJ-02
    boundaries or on WGS-84 data alike. 赵玉 et al. build their distance weights from capital
    coordinates (CATALOG §B), and 孙慧 et al. use the capital's distance to 西安 as an
    instrument.
    """
    table = provinces_table()
    if mainland_only:
        table = table[~table.index.isin(NON_MAINLAND_PROVINCES)]
    out = pd.DataFrame(
        {
            "name": table["capital"],
            "name_en": table["capital_en"],
            "province": table["short"],
            "lon": table["capital_lon"].astype(float),
            "lat": table["capital_lat"].astype(float),
        },
        index=table.index.rename("adcode"),
    )
    out.attrs = {
        "source": "geodata/provinces.csv (capital, capital_en, capital_lon, capital_lat)",
        "coordinates": (
            "city-centre points, longitude/latitude in degrees, accurate to about 0.01° "
            "(~1 km), coarser than the 100–700 m WGS-84/GCJ-02 offset: usable with either datum"
        ),
    }
    return out
