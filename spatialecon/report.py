"""One self-contained HTML report per study: maps, tables and notes in sections.

The pipeline collects :class:`Section` objects; :func:`write_report` renders them. Everything
that can come from user data — titles, captions, unit and variable names, table cells — is
escaped with :func:`html.escape` (tables through pandas' escaping ``to_html``), so a unit called
``<script>`` stays text. Figures and HTML maps are referenced by relative paths (``<img>`` and
``<iframe>``), so the report and its ``maps/`` folder move together; an ``<iframe>`` keeps each
Leaflet map's scripts and styles out of the report page.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from spatialecon import __version__
from spatialecon._files import atomic_path


@dataclass(frozen=True)
class Figure:
    """A static map or chart (PNG, SVG) with its caption."""

    path: Path
    caption: str


@dataclass(frozen=True)
class Frame:
    """An interactive HTML map shown in an iframe."""

    path: Path
    caption: str
    height: int = 520


@dataclass(frozen=True)
class Table:
    """A table with caption and an optional note (conventions, sources)."""

    frame: pd.DataFrame
    caption: str
    note: str = ""
    float_format: str = "{:.4g}"
    csv: Path | None = None


@dataclass(frozen=True)
class Text:
    """A paragraph of plain text."""

    text: str


Item = Figure | Frame | Table | Text


@dataclass
class Section:
    """A titled part of the report."""

    title: str
    items: list[Item] = field(default_factory=list)


_STYLE = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
sans-serif;margin:0 auto;max-width:1100px;padding:1.5em;color:#222;line-height:1.5}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;
margin-top:2em}figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.9em;color:#555}iframe{width:100%;border:1px solid #ddd}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}th,td{border:1px solid #ddd;
padding:.25em .5em;text-align:right}th{background:#f5f5f5}td:first-child,th:first-child
{text-align:left}.note{font-size:.85em;color:#555}nav a{margin-right:1em}
.meta{color:#666;font-size:.85em}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _relative(path: Path, start: Path) -> str:
    rel = os.path.relpath(path, start)
    return "/".join(_e(part) for part in Path(rel).parts)


def _table_html(table: Table, folder: Path) -> str:
    frame = table.frame.copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].map(
                lambda v: "" if pd.isna(v) else table.float_format.format(v))
    body = frame.to_html(index=False, escape=True, border=0, na_rep="")
    link = (f' <a href="{_relative(table.csv, folder)}">CSV</a>' if table.csv else "")
    note = f'<p class="note">{_e(table.note)}</p>' if table.note else ""
    return f"<figure><figcaption>{_e(table.caption)}{link}</figcaption>{body}{note}</figure>"


def _item_html(item: Item, folder: Path) -> str:
    if isinstance(item, Figure):
        return (f'<figure><img src="{_relative(item.path, folder)}" alt="{_e(item.caption)}">'
                f"<figcaption>{_e(item.caption)}</figcaption></figure>")
    if isinstance(item, Frame):
        return (f'<figure><iframe src="{_relative(item.path, folder)}" '
                f'height="{int(item.height)}" loading="lazy" title="{_e(item.caption)}">'
                f"</iframe><figcaption>{_e(item.caption)}</figcaption></figure>")
    if isinstance(item, Table):
        return _table_html(item, folder)
    return f"<p>{_e(item.text)}</p>"


def write_report(path: str | os.PathLike[str], title: str, sections: Sequence[Section], *,
                 meta: dict | None = None) -> Path:
    """Render the sections into one HTML page at ``path`` (atomically replacing it).

    ``meta`` (study file, seed, conventions …) is listed under the title; a time stamp is left
    out on purpose so that the same study gives the same file.
    """
    path = Path(path)
    folder = path.parent
    anchors = [f"s{n}" for n in range(len(sections))]
    nav = " ".join(f'<a href="#{a}">{_e(s.title)}</a>' for a, s in zip(anchors, sections,
                                                                        strict=True))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">spatialecon {_e(__version__)}'
        + "".join(f" · {_e(k)}: {_e(v)}" for k, v in (meta or {}).items()) + "</p>",
        f"<nav>{nav}</nav>",
    ]
    for anchor, section in zip(anchors, sections, strict=True):
        parts.append(f'<section id="{anchor}"><h2>{_e(section.title)}</h2>')
        parts += [_item_html(item, folder) for item in section.items]
        parts.append("</section>")
    parts.append("</body></html>")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
    return path
