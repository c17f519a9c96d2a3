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
import json
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
    """A paragraph of plain text; ``preformatted`` keeps its lines and spacing (a model
    summary in a fixed-width layout)."""

    text: str
    preformatted: bool = False


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
pre{font-size:.8em;background:#f7f7f7;padding:.6em;overflow-x:auto}
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
    if item.preformatted:
        return f"<pre>{_e(item.text)}</pre>"
    return f"<p>{_e(item.text)}</p>"


def write_report(path: str | os.PathLike[str], title: str, sections: Sequence[Section], *,
                 meta: dict | None = None, home: str | os.PathLike[str] | None = None) -> Path:
    """Render the sections into one HTML page at ``path`` (atomically replacing it).

    ``meta`` (study file, seed, conventions …) is listed under the title; a time stamp is left
    out on purpose so that the same study gives the same file. ``home`` is the listing of all
    studies (:func:`write_index`) that the page links back to.
    """
    path = Path(path)
    folder = path.parent
    anchors = [f"s{n}" for n in range(len(sections))]
    nav = " ".join(f'<a href="#{a}">{_e(s.title)}</a>' for a, s in zip(anchors, sections,
                                                                        strict=True))
    if home is not None:
        nav = f'<a href="{_relative(Path(home), folder)}">← 全部研究 · All studies</a> ' + nav
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


# --- the listing of every study run in one outputs folder ----------------------------------------
MANIFEST = "run.json"
_MAP_SUFFIXES = {".html", ".png", ".svg", ".pdf"}


def write_manifest(folder: str | os.PathLike[str], *, name: str, title: str, level: str,
                   report: str | os.PathLike[str], files: Sequence[os.PathLike[str]]) -> Path:
    """Describe one study run in ``folder/run.json``: what :func:`write_index` lists.

    Each study keeps its own manifest (instead of one shared file that every run rewrites),
    so runs of different studies never overwrite each other's entry, and a deleted study folder
    simply drops out of the listing. Paths are relative to ``folder``; no time stamp, so the
    same run gives the same bytes.
    """
    folder = Path(folder)

    def rel(path: os.PathLike[str]) -> str:
        return Path(os.path.relpath(path, folder)).as_posix()

    paths = [Path(f) for f in files]
    manifest = {
        "name": name, "title": title, "level": level, "report": rel(report),
        "maps": sorted({rel(p) for p in paths
                        if p.suffix in _MAP_SUFFIXES and p.parent.name == "maps"}),
        "tables": sorted({rel(p) for p in paths if p.suffix == ".csv"}),
    }
    target = folder / MANIFEST
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return target


def _read_manifests(root: Path) -> list[tuple[Path, dict]]:
    runs = []
    # the study written into the root itself (the built-in provinces study) first, then the
    # studies in its subfolders
    for manifest in sorted(root.glob(MANIFEST)) + sorted(root.glob(f"*/{MANIFEST}")):
        try:
            entry = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a foreign or damaged file is not a study: leave it out of the listing
        if isinstance(entry, dict) and (manifest.parent / str(entry.get("report", ""))).is_file():
            runs.append((manifest.parent, entry))
    return runs


def _links(folder: Path, root: Path, files: Sequence[str]) -> str:
    return " · ".join(f'<a href="{_relative(folder / f, root)}">{_e(Path(f).name)}</a>'
                      for f in files)


def write_index(root: str | os.PathLike[str]) -> Path:
    """Write ``root/index.html``: every study run under ``root`` with its report, maps, tables.

    Studies are found by their manifests (``root/run.json`` and ``root/<study>/run.json``,
    :func:`write_manifest`), listed in folder order; the page is replaced atomically, so a
    reader never sees half a listing, and it is rebuilt from the manifests each time, so it
    cannot drift from them.
    """
    root = Path(root)
    rows = []
    for folder, entry in _read_manifests(root):
        maps = entry.get("maps", [])
        interactive = [m for m in maps if m.endswith(".html")]
        static = [m for m in maps if not m.endswith(".html")]
        rows.append(
            f'<section><h2><a href="{_relative(folder / entry["report"], root)}">'
            f'{_e(entry.get("title", folder.name))}</a></h2>'
            f'<p class="meta">{_e(entry.get("name", folder.name))} · {_e(entry.get("level", ""))}'
            f" · {len(maps)} maps · {len(entry.get('tables', []))} tables</p>"
            + (f"<p>交互地图 · Interactive maps: {_links(folder, root, interactive)}</p>"
               if interactive else "")
            + (f"<details><summary>静态地图 · Static maps ({len(static)})</summary><p>"
               f"{_links(folder, root, static)}</p></details>" if static else "")
            + (f"<details><summary>表格 · Tables ({len(entry['tables'])})</summary><p>"
               f"{_links(folder, root, entry['tables'])}</p></details>"
               if entry.get("tables") else "")
            + "</section>")
    title = "spatialecon：已运行的研究 · Studies run"
    body = "".join(rows) or "<p>No study has been run here yet: <code>spatialecon run</code>.</p>"
    page = ("<!DOCTYPE html>\n"
            '<html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{_e(title)}</h1><p class=\"meta\">spatialecon {_e(__version__)}</p>"
            f"{body}</body></html>")
    target = root / "index.html"
    with atomic_path(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return target
