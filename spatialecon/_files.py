"""Small file helpers shared by every stage: embedded data, the cache folder, atomic writes."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path


def embedded_path(*parts: str) -> Path:
    """Path of a file in the embedded ``geodata/`` folder.

    In a source checkout (editable install) this is the repository's ``geodata/``; a wheel maps the
    same folder to the package ``spatialecon._geodata`` (see ``pyproject.toml``).
    """
    checkout = Path(__file__).resolve().parent.parent / "geodata"
    root = checkout if checkout.is_dir() else Path(str(resources.files("spatialecon._geodata")))
    return root.joinpath(*parts)


def cache_dir() -> Path:
    """The user cache folder: ``$SPATIALECON_CACHE``, else ``$XDG_CACHE_HOME/spatialecon``,
    else ``~/.cache/spatialecon``. Created on first use."""
    env = os.environ.get("SPATIALECON_CACHE")
    if env:
        root = Path(env)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = (Path(xdg) if xdg else Path.home() / ".cache") / "spatialecon"
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only on success.

    A crash or an exception while writing leaves the previous file (if any) untouched and no
    half-written file behind, so a reader never sees a truncated map, table or cache entry.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates 0600; give the file the permissions a plain open() would (umask applies),
    # so maps and reports stay readable by a web server or a colleague
    umask = os.umask(0)
    os.umask(umask)
    tmp_path.chmod(0o666 & ~umask)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)
