"""Match the unit names and codes found in yearbooks and spreadsheets to GB/T 2260 codes.

Rules, tried in this order (the first rule that yields a candidate decides, so an official
English name is never overruled by a pinyin coincidence: "Shanxi" is 山西 and "Shaanxi" 陕西,
although both are "shanxi" in toneless pinyin):

1. **code** – the 6-digit GB/T 2260 code as int, float or string; 2-digit province codes (11)
   and 4-digit prefecture codes (4201) at their own level.
2. **name** – the full Chinese name (内蒙古自治区), the short name (内蒙古), the name with its
   type suffix removed (朝阳县 → 朝阳) and the embedded aliases of provinces (内蒙, 新疆自治区,
   the one-character abbreviations 京 沪 粤 …). Full-width characters and spaces are folded.
3. **english** – official English names of provinces and their variants (Inner Mongolia,
   Nei Mongol, Tibet, Xizang …), and "Chaoyang District"-style names below; case, spaces,
   hyphens, apostrophes and type words (Province, Autonomous Region …) are ignored.
4. **pinyin** – toneless pinyin of the name (neimenggu, chongqing).

County names repeat across China (two 朝阳区, a 朝阳县): ``within=`` restricts candidates to a
province or prefecture. A key that still has several candidates is an error, never a guess.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spatialecon.geodata._names import chinese_key, latin_key, pinyin, split_name
from spatialecon.geodata.boundaries import LEVELS, Level, _check_level, provinces_table, unit_table
from spatialecon.validation import SpatialEconError

RULES = ("code", "name", "english", "pinyin")
_CODE_DIGITS = {"province": 2, "prefecture": 4, "county": 6}


class UnitMatchError(SpatialEconError):
    """Keys that match no unit, or several.

    Attributes
    ----------
    unmatched : dict
        Each unmatched key → its closest candidates (display strings).
    ambiguous : dict
        Each ambiguous key → the adcodes it could mean.
    """

    def __init__(self, message: str, unmatched: dict, ambiguous: dict) -> None:
        super().__init__(message)
        self.unmatched = unmatched
        self.ambiguous = ambiguous


@dataclass(frozen=True)
class _Lookup:
    """Key → candidate codes, one dictionary per rule, for one level."""

    units: pd.DataFrame
    by_rule: dict[str, dict[str, frozenset[int]]]
    chinese_names: tuple[str, ...]
    latin_names: tuple[str, ...]

    def label(self, code: int) -> str:
        row = self.units.loc[code]
        parent = ""
        if row["level"] != "province":
            parents = [provinces_table()["name"].get(row["province_adcode"], "")]
            if row["level"] == "county" and not pd.isna(row["prefecture_adcode"]):
                pref = unit_table("prefecture")["name"].get(int(row["prefecture_adcode"]), "")
                if pref not in parents:
                    parents.append(pref)
            parent = ", " + " ".join(p for p in parents if p)
        return f"{row['name']} ({code}{parent})"


@functools.lru_cache(maxsize=3)
def _lookup(level: Level) -> _Lookup:
    units = unit_table(level)
    by_rule: dict[str, dict[str, set[int]]] = {rule: defaultdict(set) for rule in RULES}
    provinces = provinces_table()
    for code, row in units.iterrows():
        code = int(code)
        by_rule["code"][str(code)].add(code)
        if level != "county":
            by_rule["code"][str(code)[: _CODE_DIGITS[level]]].add(code)
        for name in (row["name"], row["short"], split_name(row["name"])[0]):
            by_rule["name"][chinese_key(name)].add(code)
        by_rule["english"][latin_key(row["name_en"])].add(code)
        by_rule["pinyin"][latin_key(pinyin(row["short"]))].add(code)
        by_rule["pinyin"][latin_key(pinyin(row["name"]))].add(code)
        if level == "province" and code in provinces.index:
            extra = provinces.loc[code]
            aliases = [a for a in extra["aliases"].split("|") if a]
            for alias in [*aliases, extra["abbr"]]:
                if alias.isascii():
                    by_rule["english"][latin_key(alias)].add(code)
                else:
                    by_rule["name"][chinese_key(alias)].add(code)
    frozen = {rule: {k: frozenset(v) for k, v in keys.items()} for rule, keys in by_rule.items()}
    return _Lookup(
        units=units,
        by_rule=frozen,
        chinese_names=tuple(units["name"]),
        latin_names=tuple(sorted(frozen["english"])),
    )


def _code_key(key: object) -> str | None:
    """The digits of a key that is a code (int, integral float, digit string), else None."""
    if isinstance(key, bool):
        return None
    if isinstance(key, (int, np.integer)):
        return str(int(key))
    if isinstance(key, (float, np.floating)) and math.isfinite(key) and float(key).is_integer():
        return str(int(key))
    if isinstance(key, str) and key.strip().isdigit():
        return key.strip()
    return None


def _candidates(key: object, lookup: _Lookup) -> tuple[str, list[frozenset[int]]]:
    """Candidates of one key under each rule, in rule order (empty sets where none)."""
    code = _code_key(key)
    if code is not None:
        return "code", [lookup.by_rule["code"].get(code, frozenset())]
    text = str(key)
    chinese = chinese_key(text)
    names = lookup.by_rule["name"]
    by_name = names.get(chinese) or names.get(split_name(chinese)[0], frozenset())
    latin = latin_key(text)
    return "text", [
        by_name,
        lookup.by_rule["english"].get(latin, frozenset()),
        lookup.by_rule["pinyin"].get(latin, frozenset()),
    ]


def _is_missing(key: object) -> bool:
    if key is None:
        return True
    try:
        return bool(pd.isna(key))
    except (TypeError, ValueError):
        return False


def _show(key: object) -> str:
    return "<empty cell>" if _is_missing(key) else repr(key)


def _suggest(key: object, lookup: _Lookup, n: int = 3) -> list[str]:
    if _is_missing(key):
        return []
    text = str(key)
    if text.isascii():
        keys = difflib.get_close_matches(latin_key(text), lookup.latin_names, n=n, cutoff=0.6)
        codes = [next(iter(sorted(lookup.by_rule["english"][k]))) for k in keys]
        return [lookup.label(c) for c in codes]
    names = difflib.get_close_matches(chinese_key(text), lookup.chinese_names, n=n, cutoff=0.4)
    codes = lookup.units.index[lookup.units["name"].isin(names)][:n]
    return [lookup.label(int(c)) for c in codes]


def _resolve_within(values: Sequence[object], level: Level) -> dict[object, frozenset[int]]:
    """Each distinct ``within`` value → the codes of the province or prefecture it names."""
    if not values:
        return {}
    parents = list(LEVELS[: LEVELS.index(level)])
    if not parents:
        raise ValueError("within= restricts counties or prefectures; provinces have no parent")
    resolved: dict[object, frozenset[int]] = {}
    unmatched: dict[object, list[str]] = {}
    for value in dict.fromkeys(values):
        found: set[int] = set()
        for parent in parents:
            _, cands = _candidates(value, _lookup(parent))
            hit = next((c for c in cands if c), frozenset())
            if hit:
                found |= hit
                break
        if found:
            resolved[value] = frozenset(found)
        else:
            unmatched[value] = _suggest(value, _lookup(parents[0]))
    if unmatched:
        lines = [f"  {v!r}: closest {', '.join(s) or 'none'}" for v, s in unmatched.items()]
        raise UnitMatchError(
            f"{len(unmatched)} within= value(s) name no province or prefecture:\n"
            + "\n".join(lines),
            unmatched=unmatched,
            ambiguous={},
        )
    return resolved


def _within_per_key(within: object, n_keys: int) -> list[object]:
    if within is None or isinstance(within, (str, int, np.integer)):
        return [within] * n_keys
    per_key = list(within)  # type: ignore[call-overload]
    if len(per_key) != n_keys:
        raise ValueError(
            f"within= has {len(per_key)} values for {n_keys} keys: pass one parent for all keys "
            "or one per key"
        )
    return per_key


def match_report(
    keys: Sequence[object] | pd.Series,
    level: Level = "province",
    within: object | Sequence[object] | None = None,
    *,
    aliases: Mapping[Hashable, int] | None = None,
) -> pd.DataFrame:
    """Match keys and return the full report: one row per distinct key and parent.

    Same parameters as :func:`match_units`. Columns: ``key``, ``within``, ``adcode`` (<NA> where
    unmatched or ambiguous), ``name``, ``rule`` (code/name/english/pinyin/alias) and
    ``candidates`` (every code the key could mean). Never raises for unmatched keys: use it to
    inspect a data set before :func:`match_units`.
    """
    _check_level(level)
    keys = list(keys)
    within_list = _within_per_key(within, len(keys))
    parents = _resolve_within([w for w in within_list if w is not None], level)
    lookup = _lookup(level)
    parent_col = {"prefecture": ["province_adcode"], "county": ["province_adcode",
                                                                  "prefecture_adcode"]}
    user = {k: int(v) for k, v in (aliases or {}).items()}
    rows = []
    for key, parent in dict.fromkeys(zip(keys, within_list, strict=True)):
        rule, codes = "", frozenset()
        if key in user:
            rule, codes = "alias", frozenset({user[key]})
        elif not _is_missing(key):
            kind, per_rule = _candidates(key, lookup)
            names = ["code"] if kind == "code" else ["name", "english", "pinyin"]
            for name, cands in zip(names, per_rule, strict=True):
                if parent is not None and cands:
                    allowed = parents[parent]
                    cands = frozenset(
                        c for c in cands
                        if any(lookup.units.at[c, col] in allowed for col in parent_col[level])
                    )
                if cands:
                    rule, codes = name, cands
                    break
        adcode = next(iter(codes)) if len(codes) == 1 else pd.NA
        rows.append(
            {
                "key": key,
                "within": parent,
                "adcode": adcode,
                "name": lookup.units["name"].get(adcode) if adcode is not pd.NA else None,
                "rule": rule or None,
                "candidates": sorted(codes),
            }
        )
    report = pd.DataFrame(rows, columns=["key", "within", "adcode", "name", "rule", "candidates"])
    report["adcode"] = report["adcode"].astype("Int64")
    return report


def match_units(
    keys: Sequence[object] | pd.Series,
    level: Level = "province",
    within: object | Sequence[object] | None = None,
    *,
    aliases: Mapping[Hashable, int] | None = None,
) -> list[int]:
    """GB/T 2260 codes for names or codes of provinces, prefectures or counties.

    Parameters
    ----------
    keys
        Names (全称, 简称, variants, English, pinyin) or codes (int or str), in any mix.
    level
        ``"province"``, ``"prefecture"`` or ``"county"``.
    within
        A province or prefecture (name or code) that all keys lie in, or one such value per key
        (e.g. the province column of a county table). Resolves repeated names like 朝阳区.
    aliases
        Extra key → adcode pairs checked first (historic names, a yearbook's own spellings).

    Returns
    -------
    list of int
        One code per key, in order.

    Raises
    ------
    UnitMatchError
        Listing every unmatched key with its closest candidates and every ambiguous key with the
        units it could mean, in one message.
    """
    report = match_report(keys, level, within, aliases=aliases)
    unmatched: dict[object, list[str]] = {}
    ambiguous: dict[object, list[int]] = {}
    lookup = _lookup(level)
    for row in report.itertuples(index=False):
        if len(row.candidates) > 1:
            ambiguous[row.key] = list(row.candidates)
        elif not row.candidates:
            unmatched[row.key] = _suggest(row.key, lookup)
    if unmatched or ambiguous:
        lines = []
        if unmatched:
            lines.append(f"{len(unmatched)} key(s) match no {level}:")
            lines += [
                f"  {_show(k)}: closest {', '.join(s)}" if s else f"  {_show(k)}: no close name"
                for k, s in unmatched.items()
            ]
        if ambiguous:
            lines.append(
                f"{len(ambiguous)} key(s) match several units; pass within= (a province or "
                "prefecture, one for all keys or one per key) to choose:"
            )
            lines += [
                f"  {k!r}: {'; '.join(lookup.label(c) for c in codes)}"
                for k, codes in ambiguous.items()
            ]
        raise UnitMatchError("\n".join(lines), unmatched=unmatched, ambiguous=ambiguous)
    keys = list(keys)
    codes = dict(zip(zip(report["key"], report["within"], strict=True), report["adcode"],
                     strict=True))
    return [int(codes[pair]) for pair in zip(keys, _within_per_key(within, len(keys)), strict=True)]
