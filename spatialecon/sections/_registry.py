"""The registry of study sections (a leaf module: the study-file reader imports it too)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

_SECTIONS: dict[str, SectionSpec] = {}


@dataclass(frozen=True)
class SectionSpec:
    """One registered section.

    Attributes
    ----------
    name
        The study-file table that asks for it (``[name]``), and the key of its settings in
        ``Study.sections``.
    keys
        The settings the table may hold.
    title
        The stage name printed with progress and timings.
    order
        Sections run in increasing order.
    run
        ``run(study_run, units)``: computes, writes tables and figures, appends report sections.
    always
        Runs even when the study file has no such table (the maps and Moran's I of every
        study's indicators).
    references
        Settings whose values must name indicators (checked when the study file is read).
    """

    name: str
    keys: frozenset[str]
    title: str
    order: int
    run: Callable[..., Any]
    always: bool = False
    references: tuple[str, ...] = ()


def register(name: str, *, keys: Iterable[str], title: str, order: int, always: bool = False,
             references: Iterable[str] = ()) -> Callable[[Callable], Callable]:
    """Register the decorated function as the section ``name`` (see :class:`SectionSpec`)."""

    def decorate(run: Callable) -> Callable:
        if name in _SECTIONS:
            raise ValueError(f"a study section named {name!r} is registered twice")
        _SECTIONS[name] = SectionSpec(name=name, keys=frozenset(keys), title=title,
                                      order=order, run=run, always=always,
                                      references=tuple(references))
        return run

    return decorate


def registered() -> list[SectionSpec]:
    """Every registered section, in run order."""
    import spatialecon.sections  # noqa: F401  (importing the package registers them all)

    return sorted(_SECTIONS.values(), key=lambda s: s.order)
