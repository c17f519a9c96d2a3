"""The built-in province study (what `make maps` runs) and the command line, end to end."""

from __future__ import annotations

import pandas as pd
import pytest
from PIL import Image

from spatialecon.cli import main


@pytest.fixture(scope="module")
def province_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "provinces"  # the listing goes one level up
    assert main(["run", "provinces", "--output", str(out)]) == 0
    return out


def test_maps_and_report_are_written(province_run):
    out = province_run
    for name in ("integration", "dea_te", "services_share"):
        for stem in (name, f"lisa-{name}"):
            png = out / "maps" / f"{stem}.png"
            image = Image.open(png).convert("RGB")
            # a real picture at print resolution, not a blank canvas
            assert image.width >= 2000 and len(image.getcolors(maxcolors=1 << 20)) > 20
        assert (out / "maps" / f"moran-scatter-{name}.png").is_file()
    assert not (out / "maps" / "dea_pte.png").exists()  # map = false in the study
    page = out / "maps" / "indicators.html"
    html = page.read_text(encoding="utf-8")
    assert '"2.2959"' in html  # 北京's score as printed, not rounded to the legend
    assert page.stat().st_size < 1_000_000 and "unpkg" not in html and "cdn" not in html
    report = (out / "report.html").read_text(encoding="utf-8")
    for section in ("Maps", "Global Moran", "LISA", "Moran by year", "Coupling", "Theil",
                    "Geographical detector"):
        assert section in report
    assert "西藏自治区 (540000)" in report  # the unit without data is reported, not hidden
    # the caption says how the clusters were tested
    assert "LISA cluster counts (two-sided p ≤ 0.05, 999 permutations" in report
    assert (out / "maps" / "multiples-west-hq_index.png").is_file()
    assert (out / "maps" / "significance-integration.png").is_file()
    listing = (out.parent / "index.html").read_text(encoding="utf-8")
    assert 'href="provinces/report.html"' in listing
    assert 'href="provinces/maps/indicators.html"' in listing


@pytest.mark.browser
def test_report_opens_in_a_browser(province_run):
    from spatialecon.maps.browser import find_chromium, open_page

    if find_chromium() is None:
        pytest.skip("headless Chromium not found (apt-get install chromium)")
    report = open_page(province_run / "report.html", width=1100, height=900, settle=1.0,
                       evaluate=("document.querySelectorAll('iframe').length",
                                 "document.querySelectorAll('img').length"))
    assert report.console_errors == []
    assert [r for r in report.requests if not r.startswith("file://")] == []  # offline
    iframes, images = report.evaluated
    assert iframes == 2 and images >= 12
    assert report.distinct_colors() > 50  # a map, not a blank page
    page = open_page(province_run / "maps" / "indicators.html")
    assert page.console_errors == [] and page.requests == []
    assert page.dom["svg_paths"] + page.dom["canvases"] > 30 and page.dom["layer_inputs"] == 6
    panel = open_page(province_run / "maps" / "panel-west.html")
    assert panel.console_errors == [] and panel.requests == []
    assert panel.dom["layer_inputs"] == 2 * 6 * 2  # 2 variables × 6 years, values + quadrants


def test_province_study_is_deterministic(province_run, tmp_path):
    import hashlib

    assert main(["run", "provinces", "--output", str(tmp_path / "provinces")]) == 0

    def digests(folder):
        return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file()}

    assert digests(tmp_path / "provinces") == digests(province_run)
    assert digests(tmp_path) == digests(province_run.parent)  # the listing too


def test_default_study_tables(province_run):
    tables = province_run / "tables"
    coupling = pd.read_csv(tables / "coupling_coordination.csv")
    assert len(coupling) == 72  # 12 western provinces × 6 printed years
    d = coupling.set_index(["adcode", "year"])["D"]
    assert round(d[(150000, 2000)], 2) == 0.28 and round(d[(500000, 2019)], 3) == 0.574  # 表6
    moran = pd.read_csv(tables / "global_moran.csv")
    assert set(moran["weights"]) == {"contiguity", "distance"}
    assert moran["I"].between(-1, 1).all() and (moran.query("variable == 'integration'").n
                                                 == 30).all()
    by_year = pd.read_csv(tables / "moran_by_year-west-hq_index.csv")
    assert by_year["year"].tolist() == [2000, 2004, 2008, 2012, 2016, 2019]
    assert (by_year["z_boot"] - (by_year["I"] - by_year["EI"]) / by_year["se_boot"]).abs().max(
    ) < 1e-12
    theil = pd.read_csv(tables / "theil-nbs4.csv")
    assert set(theil["indicator"]) == {"dea_te", "dea_pte", "dea_se"}
    factor = pd.read_csv(tables / "geodetector_factor.csv")
    assert {"nbs4", "south_north", "coast_inland_border", "services_share"} <= set(
        factor["factor"])
    assert factor["q"].between(0, 1).all()


def test_bad_input_exits_with_a_message(tmp_path, capsys):
    assert main(["run", "nonexistent"]) == 2
    assert "no study 'nonexistent'" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('level = "city"\n', encoding="utf-8")
    assert main(["run", str(bad)]) == 2
    assert "level must be one of" in capsys.readouterr().err


def test_match_and_studies_commands(capsys):
    assert main(["match", "内蒙", "Shaanxi"]) == 0
    out = capsys.readouterr().out
    assert "150000" in out and "610000" in out
    assert main(["studies"]) == 0
    assert "provinces" in capsys.readouterr().out
    assert main(["run"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in ("urbanisation", "urban_rural", "resilience",
                                           "finpoverty", "counties"))


def _fake_run(study: str) -> list:
    """Records which process ran the study (a file named after it and the process id)."""
    import os
    from pathlib import Path

    path = Path(f"ran-{study}-{os.getpid()}")
    path.write_text(study)
    return [str(path)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_maps_runs_each_builtin_study_once_in_its_own_process(monkeypatch, tmp_path, capsys,
                                                              jobs):
    import os

    import spatialecon.cli as cli
    from spatialecon.pipeline import DEFAULT_STUDIES

    monkeypatch.chdir(tmp_path)  # the listing goes to ./outputs/index.html
    monkeypatch.setattr(cli, "_run_files", _fake_run)  # forked children see the patch
    assert main(["maps", "--jobs", str(jobs)]) == 0
    said = capsys.readouterr().out
    assert f"done: {len(DEFAULT_STUDIES)} file(s)" in said
    assert (tmp_path / "outputs" / "index.html").is_file()
    ran = sorted(p.name.split("-")[1:] for p in tmp_path.glob("ran-*"))
    assert sorted(study for study, _ in ran) == sorted(DEFAULT_STUDIES)
    pids = {int(pid) for _, pid in ran}
    if jobs == 1:
        assert pids == {os.getpid()}
    else:
        assert "2 at a time" in said and os.getpid() not in pids
