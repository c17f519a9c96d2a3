"""Name forms of Chinese administrative units: short names, English names and matching keys."""

from __future__ import annotations

import re
import unicodedata

from pypinyin import lazy_pinyin

# Ethnic-group prefixes in names of autonomous units (恩施土家族苗族自治州 → 恩施). Longest first so
# that e.g. 蒙古族 is stripped whole and not as 古族.
_ETHNIC = re.compile(
    r"(?:(?:维吾尔|土家|苗|黎|壮|回|藏|彝|蒙古|哈萨克|柯尔克孜|傣|景颇|白|哈尼|傈僳|布依|侗|羌|满|朝鲜|瑶|畲|"
    r"土|撒拉|保安|东乡|裕固|锡伯|塔吉克|达斡尔|鄂温克|鄂伦春|仡佬|水|毛南|仫佬|纳西|拉祜|佤|独龙|怒|"
    r"普米|布朗|阿昌|德昂|基诺|各)族?)+(?=自治)"
)

# (suffix, English type) longest first; the suffix is removed to form the short name.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("特别行政区", "SAR"),
    ("自治区", "Autonomous Region"),
    ("自治州", "Autonomous Prefecture"),
    ("自治县", "Autonomous County"),
    ("自治旗", "Autonomous Banner"),
    ("林区", "Forestry District"),
    ("特区", "Special District"),
    ("地区", "Prefecture"),
    ("新区", "New Area"),
    ("省", "Province"),
    ("市", "City"),
    ("区", "District"),
    ("县", "County"),
    ("旗", "Banner"),
    ("盟", "League"),
)


def split_name(name: str) -> tuple[str, str]:
    """Split a full Chinese unit name into (short name, English type word).

    >>> split_name("恩施土家族苗族自治州")
    ('恩施', 'Autonomous Prefecture')
    >>> split_name("朝阳区")
    ('朝阳', 'District')

    A name that would shrink to a single character keeps its suffix (忠县 stays 忠县, 和县 stays
    和县), as Chinese usage does.
    """
    for suffix, english in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            if "自治" in suffix:
                # 鄂伦春自治旗 is named after its people: keep the ethnonym if nothing else is left
                bare = _ETHNIC.sub("", stem + "自治")[: -len("自治")]
                stem = bare if len(bare) >= 2 else stem
            return (stem, english) if len(stem) >= 2 else (name, english)
    return name, ""


# pypinyin reads these characters with their everyday sound; in place names they sound otherwise.
_PLACE_READINGS = {"朝阳": "chaoyang", "长治": "changzhi", "乐亭": "laoting", "六安": "luan",
                   "蚌埠": "bengbu", "番禺": "panyu", "丽水": "lishui", "单县": "shanxian",
                   "大邑": "dayi", "铅山": "yanshan", "洪洞": "hongtong", "乐清": "yueqing"}


def pinyin(text: str) -> str:
    """Toneless pinyin with capitalised first letter: 重庆 → Chongqing.

    A machine transliteration (pypinyin) with a few place-name readings fixed; province names
    come from the embedded table instead.
    """
    for chars, reading in _PLACE_READINGS.items():
        if text.startswith(chars):
            return (reading + "".join(lazy_pinyin(text[len(chars):]))).capitalize()
    return "".join(lazy_pinyin(text)).capitalize()


def english_name(name: str, level: str) -> str:
    """A readable English name from pinyin and the unit type (朝阳区 → Chaoyang District).

    Prefecture-level cities are named without "City" (武汉市 → Wuhan), as in English usage.
    """
    short, kind = split_name(name)
    base = pinyin(short)
    if not kind or (level == "prefecture" and kind == "City"):
        return base
    return f"{base} {kind}"


_LATIN_NOISE = re.compile(
    r"\b(?:province|provincial|city|municipality|autonomous|region|prefecture|sar|special|"
    r"administrative|zhuang|uygur|uyghur|uighur|hui)\b"
)


def latin_key(text: str) -> str:
    """Matching key for Latin-script names: lower case, no spaces/hyphens/apostrophes or tones,
    common English type words removed ("Guangxi Zhuang Autonomous Region" → "guangxi")."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    stripped = _LATIN_NOISE.sub(" ", text)
    # keep the type words when they are all there is ("Hong Kong SAR" → "hongkong", but a unit
    # literally called "City" would otherwise vanish)
    text = stripped if stripped.strip() else text
    return re.sub(r"[\s\-'’`.,_]+", "", text)


def chinese_key(text: str) -> str:
    """Matching key for Chinese names: NFKC (full-width → half-width) and no white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
