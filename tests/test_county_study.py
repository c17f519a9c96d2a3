"""The built-in county study end to end: 2,848 counties, DEM terrain, weights, LISA, detector."""

from __future__ import annotations

import pandas as pd
import pytest

from spatialecon.pipeline import run_study


@pytest.mark.slow
def test_county_study(tmp_path):
    run = run_study("counties", output=tmp_path, echo=lambda _: None)
    moran = pd.read_csv(tmp_path / "tables" / "global_moran.csv")
    assert set(moran["variable"]) == {"elevation", "relief", "slope"}
    assert (moran["n"] == 2847).all()  # 南沙区 lies beyond the DEM: reported, not mapped
    assert (moran["I"] > 0.5).all()  # terrain is strongly autocorrelated
    local = pd.read_csv(tmp_path / "tables" / "local_moran.csv")
    assert local.groupby("indicator").size().eq(2847).all()
    factor = pd.read_csv(tmp_path / "tables" / "geodetector_factor.csv").set_index("factor")
    # provinces refine the NBS regions, and q never falls when strata are refined
    assert factor.loc["province", "q"] >= factor.loc["nbs4", "q"]
    assert (tmp_path / "maps" / "lisa-slope.png").is_file()
    page = tmp_path / "maps" / "indicators.html"
    assert page.stat().st_size < 3_000_000
    assert any("南沙区 (460302)" in note for note in run.notes)
    assert sum(run.timings.values()) < 120
