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
    _check_gwr_section(run, tmp_path)


def _check_gwr_section(run, out):
    """The [gwr] section writes the library's local estimates (refitted here at the bandwidth
    it chose) and maps each coefficient."""
    from spatialecon.pipeline import load_indicators
    from spatialecon.regression import gwr

    local = pd.read_csv(out / "tables" / "gwr_local_estimates.csv").set_index("adcode")
    assert len(local) == 2847
    units = load_indicators(run.study)
    data = units.loc[local.index, ["slope", "relief", "elevation", "geometry"]]
    bandwidth = int(run.study.sections["gwr"].get("bandwidth") or 0) or None
    report = (out / "report.html").read_text(encoding="utf-8")
    chosen = int(report.split("local estimates (bandwidth ")[1].split(",")[0])
    direct = gwr(data, "slope ~ relief + elevation", bandwidth=bandwidth or chosen)
    assert local["estimate_relief"].to_numpy() == pytest.approx(
        direct.params["relief"].to_numpy(), rel=1e-9)
    assert local["t_relief"].to_numpy() == pytest.approx(direct.tvalues["relief"].to_numpy(),
                                                         rel=1e-9)
    assert (out / "maps" / "gwr_coefficients.png").stat().st_size > 200_000
    assert (out / "maps" / "gwr_bandwidth.png").is_file() and (out / "maps" / "gwr.html").is_file()
    assert "Geographically weighted regression" in report
