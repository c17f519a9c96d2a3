"""Study files: validation, safe paths, a full run on a user's own file, escaping, determinism."""

from __future__ import annotations

import hashlib
import html.parser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialecon.pipeline import run_study
from spatialecon.study import StudyError, builtin_studies, load_study

EVIL = '<script>alert(1)</script>"</script>'


def _write(folder: Path, text: str) -> Path:
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """
title = "test"
level = "province"
[[indicators]]
name = "te"
dataset = "finpoverty_dea"
variable = "te_crs"
"""


def test_builtin_study_is_valid():
    assert "provinces" in builtin_studies()
    study = load_study("provinces")
    assert study.level == "province" and [i.name for i in study.indicators][:2] == [
        "integration", "dea_te"]
    assert study.sections["geodetector"]["y"] == "integration"


@pytest.mark.parametrize(("extra", "message"), [
    ("colour = 'red'", r"unknown key\(s\) colour"),
    ("level = 'city'", "level must be one of"),
    ("[moran]\npermutation = 99", r"\[moran\]: unknown key\(s\) permutation"),
    ("[regression]\ny = 'te'\nx = ['gdp']", "'gdp' is not an indicator name"),
    ("version = 2", "version 2 is not supported"),
])
def test_bad_study_files_are_named(tmp_path, extra, message):
    if extra.startswith("level"):
        text = MINIMAL.replace('level = "province"', extra)
    elif "[" in extra:
        text = MINIMAL + extra
    else:
        text = MINIMAL.replace('title = "test"', f'title = "test"\n{extra}')
    with pytest.raises(StudyError, match=message):
        load_study(_write(tmp_path, text))


def test_a_new_section_is_one_registered_function(tmp_path, monkeypatch):
    """A section registered by name gets its own study-file table (keys checked) and runs in
    its order after the data and the sections before it; the pipeline is not touched."""
    from spatialecon.sections import _registry

    monkeypatch.setattr(_registry, "_SECTIONS", dict(_registry._SECTIONS))
    seen = []

    @_registry.register("demo", keys={"value"}, title="demo section", order=85)
    def demo(run, units):
        seen.append((run.study.sections["demo"]["value"], int(units["te"].notna().sum()),
                     [s.title for s in run.sections]))
        run.table(pd.DataFrame({"value": [run.study.sections["demo"]["value"]]}), "demo")

    with pytest.raises(StudyError, match=r"\[demo\]: unknown key\(s\) valeu; allowed: value"):
        load_study(_write(tmp_path, MINIMAL + "[demo]\nvaleu = 3\n"))
    run = run_study(_write(tmp_path, MINIMAL + "[demo]\nvalue = 3\n"),
                    output=tmp_path / "out", echo=lambda _: None)
    value, units, before = seen[0]
    assert (value, units) == (3, 31)
    assert before[:2] == ["地图 · Maps", "空间自相关 · Spatial autocorrelation"]
    assert list(run.timings)[-2:] == ["demo section", "printed tables"]
    assert pd.read_csv(tmp_path / "out" / "tables" / "demo.csv")["value"].tolist() == [3]
    # without the table the section does not run
    run_study(_write(tmp_path, MINIMAL), output=tmp_path / "out2", echo=lambda _: None)
    assert len(seen) == 1


def test_bad_indicators(tmp_path):
    with pytest.raises(StudyError, match="no embedded dataset 'gdp'"):
        load_study(_write(tmp_path, MINIMAL.replace("finpoverty_dea", "gdp")))
    with pytest.raises(StudyError, match="exactly one of dataset"):
        load_study(_write(tmp_path, MINIMAL + 'file = "x.csv"\n'))
    with pytest.raises(StudyError, match="must be letters, digits"):
        load_study(_write(tmp_path, MINIMAL.replace('name = "te"', 'name = "../te"')))
    with pytest.raises(StudyError, match="not valid TOML"):
        load_study(_write(tmp_path, "title = "))
    with pytest.raises(StudyError, match="no study 'nonexistent'"):
        load_study("nonexistent")


def test_paths_stay_inside_the_study_folder(tmp_path):
    outside = tmp_path / "data.csv"
    outside.write_text("地区,v_2019\n北京,1\n", encoding="utf-8")
    folder = tmp_path / "study"
    folder.mkdir()
    text = MINIMAL.replace('dataset = "finpoverty_dea"', 'file = "../data.csv"\nunit = "地区"')
    with pytest.raises(StudyError, match="outside the study's folder"):
        load_study(_write(folder, text))
    study = load_study(_write(folder, "allow_paths_outside = true\n" + text))
    assert study.indicators[0].file == outside.resolve()


def _user_study(tmp_path: Path) -> Path:
    """A study on the user's own CSV whose variable name and label carry markup."""
    data = pd.DataFrame({"地区": ["北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林",
                                  "黑龙江", "上海", "江苏", "浙江", "安徽"],
                         f"{EVIL}_2019": range(12)})
    data.to_csv(tmp_path / "mine.csv", index=False, encoding="gbk")
    quoted = EVIL.replace('"', '\\"')  # a TOML basic string
    out = (tmp_path / "out").as_posix()
    text = (f'title = "{quoted}"\nlevel = "province"\noutput = "{out}"\n'
            f'[[indicators]]\nname = "mine"\nlabel = "{quoted}"\nfile = "mine.csv"\n'
            f'unit = "地区"\nvariable = "{quoted}"\n'
            "[moran]\npermutations = 99\n")
    return _write(tmp_path, text)


class _Scripts(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"


def test_user_study_runs_and_markup_stays_text(tmp_path):
    run = run_study(_user_study(tmp_path), echo=lambda _: None)
    out = tmp_path / "out"
    report = (out / "report.html").read_text(encoding="utf-8")
    parser = _Scripts()
    parser.feed(report)
    assert parser.scripts == 0  # the report itself runs no script, and none was injected
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert EVIL not in report
    assert (out / "maps" / "mine.png").is_file()
    moran = pd.read_csv(out / "tables" / "global_moran.csv")
    assert moran["n"].iloc[0] == 12  # the 12 provinces of the file
    assert any("no data" in note for note in run.notes)  # 19 provinces without data: reported


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_runs_are_deterministic(tmp_path):
    study = _user_study(tmp_path)
    run_study(study, echo=lambda _: None)
    first = _digests(tmp_path / "out")
    run_study(study, echo=lambda _: None)
    assert _digests(tmp_path / "out") == first


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href" and not v.startswith("#")]


def _links(page: Path) -> list[str]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.links


def test_listing_of_every_study_run(tmp_path):
    first = run_study(_user_study(tmp_path), echo=lambda _: None)
    second_out = (tmp_path / "second").as_posix()
    folder = tmp_path / "second-study"
    folder.mkdir()
    second = _write(folder, MINIMAL.replace('level = "province"',
                                            f'level = "province"\noutput = "{second_out}"')
                    + "[moran]\npermutations = 99\n")
    run_study(second, echo=lambda _: None)
    index = tmp_path / "index.html"
    assert index in first.files
    links = _links(index)
    # both studies, each with its report, its interactive map and its tables, all resolving
    assert {"out/report.html", "second/report.html"} <= set(links)
    assert {"out/maps/mine.png", "out/maps/indicators.html",
            "second/tables/global_moran.csv"} <= set(links)
    assert all((tmp_path / link).is_file() for link in links)
    text = index.read_text(encoding="utf-8")
    assert EVIL not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.index("&lt;script&gt;") < text.index(">test<")  # folder order: out, second
    # each report links back to the listing
    for report in (tmp_path / "out" / "report.html", tmp_path / "second" / "report.html"):
        assert "../index.html" in _links(report)
    # a study folder deleted by hand drops out when the next run rebuilds the listing
    (tmp_path / "second" / "report.html").unlink()
    run_study(_user_study(tmp_path), echo=lambda _: None)
    assert "second/report.html" not in _links(index)
    assert not list(tmp_path.glob(".index-*"))  # written atomically: no temp file left


def test_efficiency_and_econometrics_sections_on_a_users_panel(tmp_path):
    """A user's panel of inputs and outputs (31 provinces × 4 years): the [efficiency] section
    writes the library's DEA, SBM and Malmquist numbers and the TFP map; the [econometrics]
    section runs mediation, and a unit-root request the data cannot support (4 years) is said
    in the report, not dropped."""
    from spatialecon.econometrics import mediation
    from spatialecon.efficiency import malmquist, sbm
    from spatialecon.geodata import boundaries

    codes = boundaries("province").index
    rng = np.random.default_rng(7)
    rows = []
    for year in range(2015, 2019):
        labour, capital = rng.uniform(1, 10, 31), rng.uniform(1, 10, 31)
        gdp = (labour ** 0.4) * (capital ** 0.5) * rng.uniform(0.6, 1.0, 31) * 1.02 ** (year - 2015)
        co2 = capital * rng.uniform(0.5, 1.5, 31)
        rows.append(pd.DataFrame({"code": codes, "年份": year, "labour": labour,
                                  "capital": capital, "gdp": gdp, "co2": co2}))
    pd.concat(rows).to_csv(tmp_path / "economy.csv", index=False)
    out = (tmp_path / "out").as_posix()
    text = (f'title = "efficiency"\nlevel = "province"\noutput = "{out}"\n'
            '[[indicators]]\nname = "gdp"\nfile = "economy.csv"\nunit = "code"\n'
            'year_column = "年份"\nvariable = "gdp"\nyear = 2018\n'
            '[[panels]]\nname = "economy"\nfile = "economy.csv"\nunit = "code"\n'
            'year_column = "年份"\nvariables = ["labour", "capital", "gdp", "co2"]\n'
            "[moran]\npermutations = 99\n"
            '[efficiency]\npanel = "economy"\ninputs = ["labour", "capital"]\n'
            'outputs = ["gdp"]\nundesirable = ["co2"]\n'
            '[econometrics]\npanel = "economy"\ny = "gdp"\nx = ["capital"]\n'
            'unit_roots = true\nmediation = { treatment = "capital", mediator = "co2" }\n')
    run = run_study(_write(tmp_path, text), echo=lambda _: None)
    tables = tmp_path / "out" / "tables"
    panel = pd.concat(rows).set_index(["code", "年份"]).rename_axis(["adcode", "year"])
    index = malmquist(panel[["labour", "capital"]], panel[["gdp"]], rts="vrs")
    ours = pd.read_csv(tables / "malmquist.csv").set_index(["adcode", "year"])
    assert ours.loc[index.index, "tfpch"].to_numpy() == pytest.approx(
        index["tfpch"].to_numpy(), rel=1e-9)
    scores = sbm(panel[["labour", "capital"]], panel[["gdp"]], undesirable=panel[["co2"]],
                 super=True)
    written = pd.read_csv(tables / "sbm.csv").set_index(["adcode", "year"])
    assert written.loc[scores.index, "score"].to_numpy() == pytest.approx(
        scores["score"].to_numpy(), rel=1e-9)
    assert (tmp_path / "out" / "maps" / "malmquist_tfpch.png").stat().st_size > 50_000
    direct = mediation(panel.stack().rename("value").rename_axis(
        ["adcode", "year", "variable"]).reset_index(), "gdp", "capital", "co2",
        effects="twoway", seed=20201005)
    assert pd.read_csv(tables / "mediation.csv").shape[0] == direct.table().reset_index().shape[0]
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Panel unit-root tests: not computed" in report
    assert any("Panel unit-root tests: not computed" in n for n in run.notes)
    assert "Efficiency and productivity change" in report
