"""Read indicator tables into one tidy panel (``adcode, year, variable, value``) and join panels
to boundaries.

Yearbook tables reach analysts as CSV in UTF-8, UTF-8 with BOM or GBK/GB18030, as XLSX or as
Parquet, in long form (one row per unit and year, one column per indicator) or wide form (one
row per unit, columns such as ``GDP_2003``, ``GDP_2004`` …). :func:`read_panel` accepts all of
them and checks what a model would otherwise silently absorb: duplicated unit-year-variable
rows, text in numeric cells and unknown units are errors that name the offending rows.
"""

from __future__ import annotations

import os
import re
import unicodedata
import warnings
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from spatialecon._labels import format_units, unit_label, unit_names
from spatialecon.geodata import LEVELS, UnitMatchError, boundaries, match_units
from spatialecon.geodata.boundaries import Level, _check_level
from spatialecon.validation import SpatialEconError

TIDY_COLUMNS = ["adcode", "year", "variable", "value"]
# Cells that mean "no figure" in yearbooks and spreadsheets; they become NaN, not errors.
NA_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "—", "——", "–", "…",
                        "...", "……", "缺失", "无", "空"})
# A wide-form column: an indicator name, an optional separator, a four-digit year, optional 年.
_WIDE_COLUMN = re.compile(r"^(?P<variable>.*?)[\s_\-.:/]*(?P<year>(?:19|20)\d{2})\s*年?$")


class PanelError(SpatialEconError):
    """A table that cannot become a panel; the message names the rows, columns or years."""


def _excel_rows(index: Sequence[int], limit: int = 10) -> str:
    """Spreadsheet row numbers (header = row 1) of 0-based data positions: ``4 and 10``,
    ``4, 7 and 10``, long lists shortened."""
    rows = [str(int(i) + 2) for i in index]
    if len(rows) > limit:
        return ", ".join(rows[:limit]) + f" … ({len(rows)} in all)"
    return rows[0] if len(rows) == 1 else ", ".join(rows[:-1]) + " and " + rows[-1]


def _read_text(path: Path, encoding: str | None) -> tuple[str, str]:
    raw = path.read_bytes()
    if encoding:
        return raw.decode(encoding), encoding
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw.decode("utf-8-sig"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:  # GB18030 is a superset of GBK and GB2312, the encodings of Chinese Excel exports
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise PanelError(
            f"{path} is neither UTF-8 nor GBK/GB18030 (byte {exc.start}); pass encoding=..."
        ) from exc


def _read_table(
    source: str | os.PathLike[str] | pd.DataFrame, sheet: str | int, encoding: str | None
) -> tuple[pd.DataFrame, dict]:
    """The raw table with every cell as read (strings for text formats), and where it came from."""
    if isinstance(source, pd.DataFrame):
        return source.reset_index(drop=True), {"source": "DataFrame"}
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        import io

        text, used = _read_text(path, encoding)
        sep = "\t" if suffix == ".tsv" else None
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep,
                            engine="python" if sep is None else "c")
        return frame, {"source": str(path), "encoding": used}
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=object, keep_default_na=False)
        return frame, {"source": str(path), "sheet": sheet}
    if suffix in {".parquet", ".pq"}:
        return pd.read_parquet(path), {"source": str(path)}
    raise PanelError(f"cannot read {path.name}: use .csv, .xlsx or .parquet")


def _clean_header(frame: pd.DataFrame) -> pd.DataFrame:
    names = [unicodedata.normalize("NFKC", str(c)).strip() for c in frame.columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise PanelError(f"duplicated column names: {', '.join(duplicated)}")
    return frame.set_axis(names, axis=1)


def _to_numbers(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from cells; returns (values, mask of cells that are text, not numbers)."""
    if pd.api.types.is_numeric_dtype(cells) and not pd.api.types.is_bool_dtype(cells):
        return cells.astype(float), pd.Series(False, index=cells.index)
    text = cells.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                     else unicodedata.normalize("NFKC", str(v)).strip())
    missing = text.str.lower().isin(NA_MARKERS)
    # thousands separators as printed in yearbooks ("1,234.5")
    numbers = pd.to_numeric(text.str.replace(",", "", regex=False).where(~missing), errors="coerce")
    bad = numbers.isna() & ~missing
    return numbers.astype(float), bad


def _parse_years(cells: pd.Series, column: str, rows: pd.Series) -> pd.Series:
    text = cells.map(lambda v: unicodedata.normalize("NFKC", str(v)).strip())
    years = pd.to_numeric(text.str.removesuffix("年"), errors="coerce")
    bad = years.isna() | (years % 1 != 0)
    if bad.any():
        raise PanelError(
            f"column {column!r} has cells that are not years in rows "
            f"{_excel_rows(sorted(set(rows[bad])))}: "
            f"{', '.join(map(repr, text[bad].unique()[:5]))}"
        )
    return years.astype("int64")


def read_panel(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    unit: str,
    year: str | None = None,
    level: Level = "province",
    variables: Sequence[str] | None = None,
    within: str | None = None,
    exclude: Sequence[str] = (),
    skip_units: Sequence[str] = (),
    aliases: Mapping[Hashable, int] | None = None,
    sheet: str | int = 0,
    encoding: str | None = None,
    dropna: bool = False,
) -> pd.DataFrame:
    """Read a table of indicators into a tidy panel with GB/T 2260 codes.

    Parameters
    ----------
    source
        A ``.csv`` (UTF-8, UTF-8 with BOM or GBK/GB18030, detected), ``.xlsx`` or ``.parquet``
        file, or a DataFrame.
    unit
        The column naming the units (names in any form :func:`match_units` accepts, or codes).
    year
        The year column of a long table. ``None`` means wide form: every other column is named
        indicator + year (``GDP_2003``, ``GDP2003``, ``GDP 2003年``, or just ``2003`` for a
        single indicator called ``value``). A table that already has ``variable`` and ``value``
        columns is read as tidy.
    level
        ``"province"``, ``"prefecture"`` or ``"county"``.
    variables
        The indicator columns (long form) or indicator names (wide form) to keep; default all.
    within
        A column holding each row's province or prefecture, to place repeated county names.
    exclude
        Columns to ignore. Any other column that is neither unit, year nor indicator is an error,
        so nothing is dropped unnoticed.
    skip_units
        Row labels that are not units (全国, 合计, 东部地区 …): those rows are dropped.
    aliases
        Extra name → code pairs for :func:`match_units` (historic names, odd spellings).
    sheet
        Sheet name or position of an Excel workbook.
    encoding
        Force a text encoding instead of detecting it.
    dropna
        Drop missing values (cells such as ``""``, ``—``, ``NA``) instead of keeping them as NaN.

    Returns
    -------
    pandas.DataFrame
        Columns ``adcode`` (int), ``year`` (int), ``variable`` (str), ``value`` (float), sorted
        by variable, unit and year. ``attrs`` records the source, encoding, form and level.

    Raises
    ------
    PanelError
        Duplicated unit-year-variable rows, text in numeric cells, bad years or unexplained
        columns, each naming the rows or columns.
    UnitMatchError
        Unknown or ambiguous units, naming each with its rows and closest candidates.
    """
    _check_level(level)
    raw, meta = _read_table(source, sheet, encoding)
    raw = _clean_header(raw)
    for column in [unit, year, within]:
        if column is not None and column not in raw.columns:
            raise PanelError(f"no column {column!r}; the table has {', '.join(raw.columns)}")
    raw = raw.drop(columns=[c for c in exclude if c in raw.columns])

    if skip_units:
        labels = raw[unit].map(lambda v: unicodedata.normalize("NFKC", str(v)).strip())
        raw = raw[~labels.isin(set(skip_units))]
    row_numbers = raw.index.to_numpy()  # positions in the file, for messages
    raw = raw.reset_index(drop=True)

    id_columns = [c for c in (unit, year, within) if c is not None]
    if {"variable", "value"} <= set(raw.columns) and year is not None:
        form = "tidy"
        long = raw[[*id_columns, "variable", "value"]].copy()
        long["row"] = row_numbers
        extra = set(raw.columns) - {*id_columns, "variable", "value"}
    elif year is not None:
        form = "long"
        value_columns = list(variables) if variables else [c for c in raw.columns
                                                           if c not in id_columns]
        missing_columns = [c for c in value_columns if c not in raw.columns]
        if missing_columns:
            raise PanelError(f"no column(s) {', '.join(missing_columns)} in the table")
        if not value_columns:
            raise PanelError("the table has no indicator columns besides the unit and year")
        extra = set()  # every column is an indicator, or variables= chose them
        long = raw.assign(row=row_numbers).melt(
            id_vars=[*id_columns, "row"], value_vars=value_columns, var_name="variable"
        )
    else:
        form = "wide"
        parsed = {c: _WIDE_COLUMN.match(c) for c in raw.columns if c not in id_columns}
        extra = {c for c, m in parsed.items() if m is None}
        mapping = {c: (m["variable"] or "value", int(m["year"])) for c, m in parsed.items() if m}
        if variables:
            mapping = {c: vy for c, vy in mapping.items() if vy[0] in set(variables)}
            extra = set()
        if not mapping:
            raise PanelError(
                "no year in any column name: pass year= for a long table, or name wide columns "
                "like GDP_2003"
            )
        long = raw.assign(row=row_numbers).melt(
            id_vars=[*id_columns, "row"], value_vars=list(mapping), var_name="column"
        )
        long["variable"] = long["column"].map(lambda c: mapping[c][0])
        long["year"] = long["column"].map(lambda c: mapping[c][1])
        year = "year"
        long = long.drop(columns="column")
    if extra:
        raise PanelError(
            f"columns {', '.join(sorted(extra))} are neither the unit, the year nor indicators"
            + (" named indicator_YEAR" if form == "wide" else "")
            + ": list the indicators in variables= or drop these columns with exclude="
        )

    years = (_parse_years(long[year], year, long["row"]) if form != "wide"
             else long[year].astype("int64"))
    # Units are matched before the cells are read, so that errors about cells name their unit.
    codes = _match_with_rows(long, unit, within, level, aliases)
    values, text_cells = _to_numbers(long["value"])
    if text_cells.any():
        names = unit_names(level)
        bad = np.flatnonzero(text_cells.to_numpy())
        details = "; ".join(
            f"{unit_label(codes[i], names)}, {years.iloc[i]}, {long['variable'].iloc[i]}: "
            f"{long['value'].iloc[i]!r} in row {_excel_rows([long['row'].iloc[i]])}"
            for i in bad[:10]
        )
        raise PanelError(
            f"{len(bad)} cell(s) are text, not numbers: {details}"
            + (" …" if len(bad) > 10 else "")
            + ". Fix them, or mark missing figures as empty cells, NA or —."
        )
    tidy = pd.DataFrame(
        {"adcode": codes, "year": years.to_numpy(), "variable": long["variable"].astype(str),
         "value": values.to_numpy(), "row": long["row"].to_numpy()}
    )
    duplicated = tidy.duplicated(["adcode", "year", "variable"], keep=False)
    if duplicated.any():
        names = unit_names(level)
        groups = tidy[duplicated].groupby(["adcode", "year", "variable"])["row"]
        details = "; ".join(
            f"{unit_label(code, names)}, {yr}, {var}: rows {_excel_rows(sorted(set(rows)))}"
            for (code, yr, var), rows in list(groups)[:10]
        )
        raise PanelError(
            f"{groups.ngroups} unit-year-variable combination(s) appear more than once "
            f"(two names of one unit, or a repeated row): {details}"
        )
    if dropna:
        tidy = tidy.dropna(subset=["value"])
    tidy = (tidy.drop(columns="row").sort_values(["variable", "adcode", "year"])
            .reset_index(drop=True))
    tidy["adcode"] = tidy["adcode"].astype("int64")
    tidy.attrs.update({**meta, "form": form, "level": level,
                       "missing_values": int(tidy["value"].isna().sum())})
    return tidy


def _match_with_rows(
    long: pd.DataFrame, unit: str, within: str | None, level: Level,
    aliases: Mapping[Hashable, int] | None,
) -> np.ndarray:
    """Codes for the unit column; an error names the rows of every bad key."""
    keys = long[unit].tolist()
    parents = long[within].tolist() if within else None
    try:
        return np.asarray(match_units(keys, level, within=parents, aliases=aliases), dtype="int64")
    except UnitMatchError as err:
        bad_keys = {*err.unmatched, *err.ambiguous}
        rows = {k: sorted(set(long.loc[long[unit].isin([k]), "row"])) for k in bad_keys}
        located = "\n".join(f"  {k!r} in rows {_excel_rows(r)}" for k, r in rows.items())
        hint = (
            "\nRows that are totals or regions (全国, 东部地区 …) can be dropped with skip_units=."
            if err.unmatched else ""
        )
        raise UnitMatchError(f"{err}\nWhere:\n{located}{hint}", err.unmatched,
                             err.ambiguous) from None


def join_boundaries(
    panel: pd.DataFrame,
    *,
    year: int | str | None = None,
    variables: Sequence[str] | None = None,
    level: Level | None = None,
    geometry: gpd.GeoDataFrame | None = None,
    mainland_only: bool = True,
) -> gpd.GeoDataFrame:
    """Join a tidy panel to boundaries: one row per unit, one column per variable.

    Parameters
    ----------
    panel
        A tidy panel (``adcode, year, variable, value``), e.g. from :func:`read_panel`.
    year
        The year to map. ``None`` takes the panel's only year (several years are an error that
        lists them); ``"latest"`` takes each unit's most recent value of each variable (for
        tables where a few units lag a year; ``attrs["years"]`` then counts the years used);
        ``"all"`` returns one row per unit and year with a ``year`` column.
    variables
        Variables to join (default all).
    level
        The boundary level; default the panel's ``attrs["level"]``, else province.
    geometry
        Boundaries to join to instead of :func:`boundaries` (e.g. simplified ones).
    mainland_only
        Passed to :func:`boundaries` when ``geometry`` is not given.

    Returns
    -------
    geopandas.GeoDataFrame
        Every unit of the boundaries, with NaN where the panel has no value. ``attrs`` lists
        ``units_without_data`` and ``units_not_on_map`` (codes in the panel that the boundaries
        lack); both are also warned about, never silently dropped.
    """
    missing_columns = set(TIDY_COLUMNS) - set(panel.columns)
    if missing_columns:
        raise PanelError(
            f"not a tidy panel: missing column(s) {', '.join(sorted(missing_columns))}"
        )
    level = level or panel.attrs.get("level", "province")
    if geometry is None:
        geometry = boundaries(level, mainland_only=mainland_only)
    data = panel if variables is None else panel[panel["variable"].isin(variables)]
    if variables is not None:
        unknown = sorted(set(variables) - set(panel["variable"]))
        if unknown:
            raise PanelError(f"variables not in the panel: {', '.join(unknown)}; it has "
                             f"{', '.join(sorted(panel['variable'].unique()))}")
    years = sorted(data["year"].unique())
    if year is None:
        if len(years) > 1:
            raise PanelError(f"the panel has {len(years)} years ({years[0]}–{years[-1]}): pass "
                             "year= to map one, or year='all' for one row per unit and year")
        year = years[0] if years else None
    index = ["adcode"] if year != "all" else ["adcode", "year"]
    years_used = {}
    if year == "latest":
        data = (data.dropna(subset=["value"]).sort_values("year")
                .drop_duplicates(["adcode", "variable"], keep="last"))
        years_used = {int(y): int(n) for y, n in data["year"].value_counts().sort_index().items()}
    elif year != "all":
        if year not in years:
            raise PanelError(f"no data for year {year}; the panel has {years}")
        data = data[data["year"] == year]
    wide = data.pivot_table(index=index, columns="variable", values="value", aggfunc="first",
                            dropna=False)
    wide.columns.name = None
    on_map = wide.index.get_level_values("adcode").isin(geometry.index)
    not_on_map = sorted(set(wide.index.get_level_values("adcode")[~on_map]))
    joined = geometry.join(wide.reset_index(level=[i for i in index if i != "adcode"])
                           if year == "all" else wide, how="left")
    no_data = joined[list(wide.columns)].isna().all(axis=1)
    without = sorted(set(joined.index[no_data]))
    if without:
        names = format_units(without, 10, names=geometry.get("name"))
        warnings.warn(f"{len(without)} unit(s) have no data and will show as 'no data': {names}",
                      stacklevel=2)
    if not_on_map:
        warnings.warn(f"{len(not_on_map)} unit code(s) in the panel are not in the boundaries "
                      f"({level}): {format_units(not_on_map, 10, names=unit_names(level))}",
                      stacklevel=2)
    joined.attrs.update({**geometry.attrs, "year": year, "units_without_data": without,
                         "units_not_on_map": not_on_map, "years": years_used or None})
    return joined


__all__ = ["LEVELS", "NA_MARKERS", "PanelError", "join_boundaries", "read_panel"]
