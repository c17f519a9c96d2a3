"""The sections a study can ask for, one small file each, registered by name.

A section is what one table of a study file turns into: ``[moran]`` → global and local
Moran's I with maps, ``[geodetector]`` → the detectors, ``[spatial_panel]`` → the test
sequence and the panel models … :func:`spatialecon.pipeline.run_study` loads the data, then
runs the registered sections in their ``order`` and writes the report; it knows no section by
name. A new analysis in studies is one new file here:

.. code-block:: python

    from spatialecon.sections._registry import register
    from spatialecon.sections._run import StudyRun

    @register("my_method", keys={"y", "x"}, title="my method", order=85)
    def my_method(run: StudyRun, units) -> None:
        config = run.study.sections["my_method"]
        ...  # call the stage-4 module, then run.table(...) and run.sections.append(...)

plus an import line below. The keys are the section's allowed settings: study files with
other keys are refused (typos stay errors).
"""

from __future__ import annotations

# Importing a section module registers it; the order of these lines does not matter (each
# section has its ``order``).
from spatialecon.sections import (  # noqa: F401
    centre,
    convergence,
    coupling,
    dagum,
    distribution,
    econometrics,
    efficiency,
    geodetector,
    gwr,
    inequality,
    maps,
    moran,
    panels,
    printed,
    regression,
    spatial_panel,
    web,
)
from spatialecon.sections._registry import SectionSpec, register, registered
from spatialecon.sections._run import StudyRun

__all__ = ["SectionSpec", "StudyRun", "register", "registered"]
