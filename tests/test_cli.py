"""The `make maps` job and the command line, end to end on the embedded data."""

from __future__ import annotations

import re

from PIL import Image

from spatialecon.cli import main
from spatialecon.pipeline import DEFAULT_MAPS, MapSpec, run_maps


def test_maps_command_writes_every_map(tmp_path, capsys):
    assert main(["maps", "--out", str(tmp_path), "--formats", "png,svg", "--no-analyses"]) == 0
    out = capsys.readouterr().out
    tmp_path = tmp_path / "maps"
    for spec in DEFAULT_MAPS:
        for suffix in (".png", ".svg", ".html"):
            path = tmp_path / f"{spec.stem}{suffix}"
            assert path.is_file() and path.stat().st_size > 10_000
            assert f"wrote {path}" in out
    assert f"done: {3 * len(DEFAULT_MAPS)} file(s)" in out
    # a real picture, not a blank canvas: many distinct colours at print resolution
    image = Image.open(tmp_path / f"{DEFAULT_MAPS[0].stem}.png").convert("RGB")
    assert image.width >= 2000 and len(image.getcolors(maxcolors=1 << 20)) > 50
    html = (tmp_path / f"{DEFAULT_MAPS[0].stem}.html").read_text(encoding="utf-8")
    # one feature per mapped province, each with its value for the tooltip
    assert html.count(f'"{DEFAULT_MAPS[0].variable}":') == 31
    assert '"total":"2.2959"' in html  # 北京's score as printed, not rounded to the legend
    assert html.count('"type":"Feature"') == 31 + 3 + 1  # + HK/Macao/Taiwan + maritime line
    assert (tmp_path / f"{DEFAULT_MAPS[0].stem}.html").stat().st_size < 1_000_000


def test_units_without_data_are_reported(tmp_path, capsys):
    run_maps([MapSpec("urban_rural_integration", "total")], tmp_path, html=False)
    assert re.search(r"1 unit\(s\) have no data .* 西藏自治区 \(540000\)", capsys.readouterr().err)


def test_bad_input_exits_with_a_message(tmp_path, capsys):
    assert main(["maps", "--out", str(tmp_path), "--dataset", "gdp_panel", "--variable", "x"]) == 2
    assert "gdp_panel" in capsys.readouterr().err
    assert main(["maps", "--out", str(tmp_path), "--formats", "tiff"]) == 2
    assert "unknown format(s) tiff" in capsys.readouterr().err
    assert not list(tmp_path.rglob("*.*"))  # nothing half-written


def test_match_command(capsys):
    assert main(["match", "内蒙", "Shaanxi"]) == 0
    out = capsys.readouterr().out
    assert "150000" in out and "610000" in out


def test_default_study_tables(tmp_path, capsys):
    """The embedded seed data run through the indices, inequality and Moran stages."""
    import pandas as pd

    from spatialecon.pipeline import run_analyses

    written = run_analyses(tmp_path, permutations=99)
    names = {p.name for p in written}
    assert {"west_coupling_coordination.csv", "finpoverty_dea_theil_nbs4.csv",
            "global_moran.csv", "local_moran.csv", "west_coupling_coordination-D.png"} <= names
    coupling = pd.read_csv(tmp_path / "tables" / "west_coupling_coordination.csv")
    assert len(coupling) == 72  # 12 western provinces × 6 printed years
    d = coupling.set_index(["adcode", "year"])["D"]
    assert round(d[(150000, 2000)], 2) == 0.28 and round(d[(500000, 2019)], 3) == 0.574  # 表6
    moran = pd.read_csv(tmp_path / "tables" / "global_moran.csv")
    assert set(moran["weights"]) == {"queen", "capital inverse distance"}
    assert len(moran) == 2 * len(DEFAULT_MAPS) and moran["I"].between(-1, 1).all()
    theil = pd.read_csv(tmp_path / "tables" / "finpoverty_dea_theil_nbs4.csv")
    assert set(theil["variable"]) == {"te_crs", "pte_vrs", "se"}
