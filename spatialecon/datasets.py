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

The articles' printed tables that the built-in studies compare against (indicator weights,
Theil, Moran and geodetector tables, test and regression tables, regional means) are
embedded too, each in its own layout, through :func:`printed_tables` and :func:`printed`:

>>> moran = datasets.printed("urbanisation_moran")
>>> moran.attrs["table"]
'表3 2003—2018年中国城镇化高质量发展水平的全局Moran指数'
>>> float(moran.set_index("year").loc[2003, "moran_i"])
0.332
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
from typing import Any

import numpy as np
import pandas as pd

from spatialecon._files import embedded_path

COLUMNS = ["adcode", "year", "variable", "value"]
PRINTED_DTYPES = ("str", "float", "int", "Int64")


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
    return _entry(_index(), name, "dataset")


def _entry(index: dict[str, dict[str, Any]], name: str, kind: str) -> dict[str, Any]:
    """A deep copy of ``index[name]``; a ValueError listing the names (and the closest one)."""
    if name not in index:
        close = difflib.get_close_matches(name, index, n=1, cutoff=0.4)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown {kind} {name!r}; available: {', '.join(index)}.{hint}")
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


# --- the articles' printed tables -------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _printed_index() -> dict[str, dict[str, Any]]:
    text = embedded_path("datasets", "printed.json").read_text(encoding="utf-8")
    return json.loads(text)["printed"]


def printed_tables() -> list[str]:
    """Names of the embedded printed tables, by article and table number.

    Returns
    -------
    list of str
        ``urbanisation_*`` (赵玉 et al., 表1–3, 5–7), ``urban_rural_*`` (刘荣增 et al., 表1–3,
        5), ``resilience_*`` (孙慧、原伟鹏, 表1, 2, 6–11) and ``finpoverty_*`` (何振立, 表1 and
        the mean rows of 表2). The tables of provincial values the studies run on are
        :func:`available` datasets instead.
    """
    return list(_printed_index())


def printed(name: str, *, text: bool = False) -> pd.DataFrame:
    """One of the articles' printed tables, as printed, with its provenance.

    Parameters
    ----------
    name
        One of :func:`printed_tables`.
    text
        ``True``: every cell is the string as printed (``"0.250"``, ``"0.3"``; ``""`` where
        the table prints nothing), e.g. to show the printed precision beside a result.
        ``False`` (default): numeric columns are parsed (see ``attrs["columns"]``).

    Returns
    -------
    pandas.DataFrame
        In the layout of ``attrs["layout"]``: ``"long"`` (one row per unit × year ×
        statistic, e.g. the Theil decomposition or the coupling degrees) or ``"wide"`` (the
        article's own columns, e.g. indicator systems, the Moran table, regression tables),
        described by ``attrs["layout_note"]``; rows in print order, unique on
        ``attrs["key"]``. Column dtypes follow ``attrs["columns"][col]["dtype"]``: ``"str"``
        (object; ``""`` = nothing printed), ``"float"`` (NaN where nothing is printed),
        ``"int"`` or ``"Int64"`` (nullable: the ``adcode`` of aggregate rows). Province rows
        carry ``adcode`` (int, as :func:`spatialecon.geodata.boundaries`).

        ``attrs`` holds the metadata: ``file``, ``title`` (``zh``/``en``), ``article``
        (authors, titles, journal, year, issue), ``table`` (caption as printed),
        ``table_number``, ``source`` (seed CSV, source lines, SHA-256, the seed index's note),
        ``layout``, ``layout_note``, ``key``, ``n_rows``, ``columns`` (per column:
        ``description``, ``dtype``, ``origin`` — ``"printed"`` cell, ``"text"`` of the
        article, ``"inferred"`` by the seed's checks or ``"derived"`` here (adcodes, English
        keys) — and ``unit``, ``seed_column`` where they apply), ``caveats`` (misprints,
        doubts, unstated choices), ``identities`` (checks the printed values satisfy) and,
        where they apply, ``groups`` (printed region label → ``{"scheme", "region"}`` of
        :func:`spatialecon.geodata.regions.regions`; ``None`` = all provinces), ``labels``
        (English names), ``categories``, ``factors``, ``text_statistics`` (numbers quoted in
        the text), ``dropped`` (seed columns not printed, left out), ``seed_filter`` and
        ``seed_layout``. A copy: changing it does not change later calls.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the printed tables.

    Examples
    --------
    >>> from spatialecon import datasets
    >>> theil = datasets.printed("urbanisation_theil")
    >>> wide = theil.pivot(index="year", columns=["group", "statistic"], values="value")
    >>> float(wide.loc[2018, ("区域间", "contribution_pct")])
    8.6
    >>> datasets.printed("resilience_coupling", text=True).loc[2, "coupling_d"]  # 广西 2000
    '0.3'
    """
    meta = _entry(_printed_index(), name, "printed table")
    df = pd.read_csv(embedded_path("datasets", meta["file"]), dtype=str, keep_default_na=False)
    columns = meta["columns"]
    if list(df.columns) != list(columns):  # guards hand edits of the embedded files
        raise ValueError(f"{meta['file']}: columns {list(df.columns)}, expected {list(columns)}")
    if not text:
        for col, spec in columns.items():
            dtype = spec["dtype"]
            if dtype not in PRINTED_DTYPES:
                raise ValueError(f"{meta['file']}: column {col!r} has unknown dtype {dtype!r}")
            if dtype == "int":
                df[col] = df[col].astype("int64")
            elif dtype in ("float", "Int64"):
                numbers = pd.to_numeric(df[col].mask(df[col] == "", np.nan))
                df[col] = numbers.astype("float64" if dtype == "float" else "Int64")
    df.attrs = meta
    return df
