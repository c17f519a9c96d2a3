"""A Chinese font for matplotlib that works on a fresh machine.

matplotlib's default font (DejaVu Sans) has no CJK glyphs, so 内蒙古 renders as empty boxes
("tofu") with only a warning. The PyPI package ``mplfonts`` ships Noto Sans CJK SC (SIL Open Font
License); registering its file directly with the font manager needs neither a system font nor a
rebuild of matplotlib's font cache, so maps render the same on a laptop, a server and CI.
"""

from __future__ import annotations

import functools
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

_FONT_FILE = "NotoSansCJKsc-Regular.otf"
# Latin text, digits and symbols Noto CJK lacks fall back to matplotlib's own font.
_FALLBACK = "DejaVu Sans"


def chinese_font_path() -> Path:
    """Path of Noto Sans CJK SC Regular inside the installed ``mplfonts`` package."""
    import mplfonts

    path = Path(mplfonts.__file__).resolve().parent / "fonts" / _FONT_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{_FONT_FILE} is not in the installed mplfonts ({path.parent}); "
            "reinstall it: pip install --force-reinstall mplfonts"
        )
    return path


def use_chinese_font() -> str:
    """Register Noto Sans CJK SC with matplotlib and make it the first sans-serif font.

    Safe to call many times: the font is added once and the rcParams end up the same.

    Returns
    -------
    str
        The font family name (``"Noto Sans CJK SC"``), usable as ``fontfamily=``.

    Notes
    -----
    Sets ``font.family`` to sans-serif, puts the family first in ``font.sans-serif`` with
    DejaVu Sans second (matplotlib falls back glyph by glyph along that list) and sets
    ``axes.unicode_minus=False``: many Chinese fonts a user may substitute (SimHei, for one) lack
    U+2212 MINUS SIGN, whereas the ASCII hyphen-minus is in all of them.

    Keep ``pdf.fonttype`` at its default (3) when saving PDF: with 42, matplotlib embeds this
    CFF-flavoured OpenType font as a TrueType CID font, which some PDF readers reject.
    """
    path = chinese_font_path()
    family = _family_name(str(path))
    # The plain names first: resolving every registered font's path on each call cost 45 ms
    # a map (a study draws fifty).
    names = {entry.fname for entry in font_manager.fontManager.ttflist}
    if str(path) not in names and path not in {Path(name).resolve() for name in names}:
        font_manager.fontManager.addfont(str(path))
    others = [f for f in mpl.rcParams["font.sans-serif"] if f not in (family, _FALLBACK)]
    mpl.rcParams["font.sans-serif"] = [family, _FALLBACK, *others]
    mpl.rcParams["font.family"] = ["sans-serif"]
    mpl.rcParams["axes.unicode_minus"] = False
    return family


@functools.lru_cache(maxsize=4)
def _family_name(path: str) -> str:
    return FT2Font(path).family_name
