"""Shared fixtures: the seed folder (skipped cleanly where absent) and a headless matplotlib."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def seed_tables() -> Path:
    """``../shared/seed/tables``; tests that need it skip where the seed is not laid out."""
    path = SHARED / "seed" / "tables"
    if not path.is_dir():
        pytest.skip(f"seed tables not found at {path} (../shared is absent on this machine)")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent on this machine")
    return SHARED


_DIFFERENTIAL = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def differential_summary(request) -> list:
    """Lines the differential suite (tests/test_differential.py) fills with its cases and
    largest differences; printed in pytest's terminal summary."""
    return request.config.stash.setdefault(_DIFFERENTIAL, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for line in config.stash.get(_DIFFERENTIAL, []):
        terminalreporter.write_line(line)
