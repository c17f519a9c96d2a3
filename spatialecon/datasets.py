"""Provincial data printed in the seed's articles (区域经济评论 2020年第5期), as tidy tables.

Each dataset is one table of one article, copied digit for digit into
``geodata/datasets/<name>.csv`` by ``geodata/build_datasets.py``; ``geodata/datasets/index.json``
holds its metadata: titles, article, printed table number, seed file and lines, units, years,
variables and the caveats (misprints, inferred memberships) found when the tables were checked.

>>> from spatialecon import datasets
>>> datasets.available()  # doctest: +NORMALIZE_WHITESPACE
['urban_rural_integration', 'finpoverty_dea', 'services_value_added', 'west_resilience',
 'urbanisation_quadrants']
>>> dea = datasets.load("finpoverty_dea")
>>> wide = dea.pivot(index="adcode", columns="variable", values="value")
>>> float(wide.loc[430000, "te_crs"])  # 湖南: efficient under constant returns to scale
1.0
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
from typing import Any

import pandas as pd

from spatialecon._files import embedded_path

COLUMNS = ["adcode", "year", "variable", "value"]


@functools.lru_cache(maxsize=1)
def _index() -> dict[str, dict[str, Any]]:
    text = embedded_path("datasets", "index.json").read_text(encoding="utf-8")
    return json.loads(text)["datasets"]


def available() -> list[str]:
    """Names of the embedded datasets, in the order of ``index.json``.

    Returns
    -------
    list of str
    """
    return list(_index())


def describe(name: str) -> dict[str, Any]:
    """Metadata of one dataset.

    Parameters
    ----------
    name
        One of :func:`available`.

    Returns
    -------
    dict
        ``title`` (``zh``/``en``), ``article`` (authors, titles, journal, year, issue),
        ``table`` (as printed), ``source`` (seed CSV, source lines, SHA-256), ``value_type``
        (``"float"`` or ``"category"``), ``years``, ``period`` (``[first, last]`` for period
        means, else ``None``), ``statistic``, ``n_provinces``, ``variables`` (Chinese name,
        description and unit of each), ``units``, ``caveats`` and, where the article prints
        them, ``printed_aggregates`` (label → variable → year → value: national and regional
        rows that are not provinces). A copy: changing it does not change later calls.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the available datasets.
    """
    index = _index()
    if name not in index:
        close = difflib.get_close_matches(name, index, n=1, cutoff=0.4)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown dataset {name!r}; available: {', '.join(index)}.{hint}")
    return copy.deepcopy(index[name])


def load(name: str) -> pd.DataFrame:
    """Load one dataset as a tidy table.

    Parameters
    ----------
    name
        One of :func:`available`.

    Returns
    -------
    pandas.DataFrame
        Columns ``adcode`` (int, the province code of :func:`spatialecon.geodata.boundaries`),
        ``year`` (int), ``variable`` (str) and ``value``: float, except for
        ``value_type == "category"`` datasets (``urbanisation_quadrants``: the strings HH, LH,
        LL, HL). For period means ``year`` is the last year of the period
        (``attrs["period"]``). Ranks are variables of their own (``*_rank``). ``attrs`` holds
        the metadata of :func:`describe`.

    Raises
    ------
    ValueError
        For an unknown name.

    Notes
    -----
    Pivot to one column per variable with
    ``df.pivot_table(index=["adcode", "year"], columns="variable", values="value")``.
    """
    meta = describe(name)
    value_dtype = str if meta["value_type"] == "category" else "float64"
    df = pd.read_csv(
        embedded_path("datasets", meta["file"]),
        dtype={"adcode": "int64", "year": "int64", "variable": str, "value": value_dtype},
        keep_default_na=False,  # categorical labels are never missing; no string becomes NaN
    )
    if list(df.columns) != COLUMNS:  # guards hand edits of the embedded files
        raise ValueError(f"{meta['file']}: columns {list(df.columns)}, expected {COLUMNS}")
    df.attrs = meta
    return df
