"""Study files: validation, safe paths, a full run on a user's own file, escaping, determinism."""

from __future__ import annotations

import hashlib
import html.parser
from pathlib import Path

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
    assert study.geodetector["y"] == "integration"


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
    report = (out / "index.html").read_text(encoding="utf-8")
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
