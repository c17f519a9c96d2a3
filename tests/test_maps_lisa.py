"""spatialecon.maps LISA figures: cluster and significance maps in GeoDa's colours, the Moran
scatterplot, LISA small multiples."""

from __future__ import annotations

import io
import re
import warnings

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from esda.moran import Moran
from libpysal.weights import W

from spatialecon.autocorrelation import lisa_over_time, local_moran
from spatialecon.geodata.boundaries import boundaries
from spatialecon.maps import (
    LISA_COLORS,
    LISA_LABELS_EN,
    SIGNIFICANCE_COLORS,
    cluster_symbology,
    lisa_cluster_map,
    lisa_multiples,
    moran_scatterplot,
    save_figure,
    significance_map,
    significance_symbology,
)
from spatialecon.weights import contiguity

GLYPH_MISSING = re.compile(r"Glyph .* missing from font")
# GeoDa's colours, written out here from its source rather than imported (libgeoda
# UniLocalMoran by cluster code; LisaMapNewView for the significance greens).
GEODA = {"not significant": "#eeeeee", "HH": "#ff0000", "LL": "#0000ff", "LH": "#a7adf9",
         "HL": "#f4ada8", "neighbourless": "#999999"}
GEODA_GREENS = {0.05: (75, 255, 80), 0.01: (6, 196, 11), 0.001: (3, 116, 6),
                0.0001: (1, 70, 3)}


@pytest.fixture(autouse=True)
def _restore_rcparams():
    with mpl.rc_context():
        yield


@pytest.fixture(scope="module")
def provinces():
    return boundaries("province", simplify=0.01)


@pytest.fixture(scope="module")
def w(provinces):
    return contiguity(provinces)


@pytest.fixture(scope="module")
def panel(provinces):
    x = provinces.geometry.representative_point().x.to_numpy()
    rng = np.random.default_rng(11)
    rows = [pd.DataFrame({"adcode": provinces.index, "year": year, "variable": "gdp_pc",
                          "value": x + rng.normal(0, 7, len(x)) + (year - 2015)})
            for year in (2015, 2017, 2019)]
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def lisa(panel, w):
    return lisa_over_time(panel, "gdp_pc", w, permutations=999, seed=5)


def _legend_texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def _faces(ax) -> set[str]:
    return {mpl.colors.to_hex(c) for coll in ax.collections for c in coll.get_facecolors()}


def _no_tofu(fig) -> bool:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png", dpi=60)
    return not any(GLYPH_MISSING.search(str(w.message)) for w in caught)


def test_palettes_are_geodas():
    assert LISA_COLORS == GEODA
    greens = {p: "#{:02x}{:02x}{:02x}".format(*rgb) for p, rgb in GEODA_GREENS.items()}
    assert greens == SIGNIFICANCE_COLORS


def test_cluster_symbology_counts_every_category(lisa):
    symbology = cluster_symbology(lisa, year=2019)
    clusters = lisa.xs(2019, level="year")["cluster"]
    counts = clusters.value_counts()
    # GeoDa's order; the five categories always, zeros included; no neighbourless row.
    expected = [(cat, int(counts.get(cat, 0))) for cat in
                ("not significant", "HH", "LL", "LH", "HL")]
    got = [(e.label, e.count, e.color) for e in symbology.entries]
    names = {"not significant": "不显著 / not significant", "HH": "高-高 / High-High",
             "LL": "低-低 / Low-Low", "LH": "低-高 / Low-High", "HL": "高-低 / High-Low"}
    assert got == [(names[c], n, GEODA[c]) for c, n in expected]
    assert symbology.label_of().tolist() == [names[c] for c in clusters]
    assert "2019" in symbology.title and "999 permutations" in symbology.title
    assert counts.get("HH", 0) > 0 and counts.get("LL", 0) > 0  # the gradient clusters


def test_neighbourless_units_get_their_row(provinces, panel):
    with pytest.warns(UserWarning, match="isolated|neighbour|island"):
        w_keep = contiguity(provinces, islands="keep")
    one = panel[panel["year"] == 2019]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = local_moran(one, "gdp_pc", w_keep, permutations=99, seed=1)
    symbology = cluster_symbology(local)
    last = symbology.entries[-1]
    assert (last.label, last.count, last.color) == ("无邻居 / neighbourless", 1, "#999999")
    assert symbology.label_of()[460000] == "无邻居 / neighbourless"  # Hainan


def test_lisa_cluster_map(provinces, lisa, tmp_path):
    fig = lisa_cluster_map(provinces, lisa, year=2019, labels="name_en",
                           cluster_labels=LISA_LABELS_EN)
    counts = lisa.xs(2019, level="year")["cluster"].value_counts()
    texts = _legend_texts(fig)
    assert texts[:5] == [f"{name}  ({int(counts.get(c, 0))})" for c, name in
                         (("not significant", "Not significant"), ("HH", "High-High"),
                          ("LL", "Low-Low"), ("LH", "Low-High"), ("HL", "High-Low"))]
    assert texts[5] == "未纳入 / not in data"
    main = fig.axes[0]
    assert {GEODA[c] for c in counts.index} <= _faces(main)
    assert "Beijing" in {t.get_text() for t in main.texts}
    (inset,) = main.child_axes
    assert "南海诸岛" in [t.get_text() for t in inset.texts]
    assert _no_tofu(fig)
    for ext in ("png", "svg", "pdf"):
        assert save_figure(fig, tmp_path / f"lisa.{ext}", dpi=150).stat().st_size > 10_000
    with pytest.raises(ValueError, match="several years"):
        lisa_cluster_map(provinces, lisa)
    with pytest.raises(ValueError, match="year 2000 not in"):
        lisa_cluster_map(provinces, lisa, year=2000)


def test_units_outside_the_lisa_are_no_data(provinces, lisa):
    partial = lisa.drop(index=[110000, 120000], level="adcode")
    fig = lisa_cluster_map(provinces, partial, year=2015)
    assert "无数据 / no data  (2)" in _legend_texts(fig)
    assert any(coll.get_hatch() for coll in fig.axes[0].collections)


def test_significance_levels_follow_geoda(provinces, lisa):
    frame = lisa.xs(2019, level="year")
    p = frame["p_sim"].to_numpy()
    symbology = significance_symbology(lisa, year=2019)
    # 999 permutations reach p = 0.001 but not 0.0001 (GeoDa issue #474): three levels.
    labels = [e.label for e in symbology.entries]
    assert labels == ["不显著 / not significant", "p ≤ 0.05", "p ≤ 0.01", "p ≤ 0.001"]
    expected = np.where(p <= 0.001, "p ≤ 0.001", np.where(
        p <= 0.01, "p ≤ 0.01", np.where(p <= 0.05, "p ≤ 0.05", "不显著 / not significant")))
    assert symbology.label_of().tolist() == expected.tolist()
    assert [e.color for e in symbology.entries] == ["#eeeeee", "#4bff50", "#06c40b", "#037406"]
    assert [e.count for e in symbology.entries] == [int((expected == lab).sum())
                                                    for lab in labels]
    # 99 permutations: the smallest pseudo p is 0.01, so only 0.05 and 0.01 are shown.
    coarse = significance_symbology(lisa, year=2019, permutations=99)
    assert [e.label for e in coarse.entries][1:] == ["p ≤ 0.05", "p ≤ 0.01"]

    fig = significance_map(provinces, lisa, year=2019)
    assert _legend_texts(fig)[1] == f"p ≤ 0.05  ({int((expected == 'p ≤ 0.05').sum())})"
    assert _no_tofu(fig)


def test_moran_scatterplot_slope_is_morans_i(provinces, lisa, panel, w):
    fig = moran_scatterplot(lisa, year=2019, labels=provinces["short"])
    (ax,) = fig.axes
    values = panel[panel["year"] == 2019].set_index("adcode")["value"]
    row = W(w.neighbors, w.weights, id_order=w.id_order)  # a copy: the fixture stays binary
    row.transform = "r"
    expected_i = Moran(values.reindex(row.id_order).to_numpy(), row, permutations=0).I
    (line,) = [ln for ln in ax.lines if ln.get_gid() == "moran-regression"]
    x, y = line.get_data()
    assert (y[1] - y[0]) / (x[1] - x[0]) == pytest.approx(expected_i, rel=1e-9)
    assert np.interp(0.0, x, y) == pytest.approx(0.0, abs=1e-12)  # through the origin
    assert f"{expected_i:.3f}" in ax.get_title()

    frame = lisa.xs(2019, level="year")
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == len(frame) == 31
    colors = {mpl.colors.to_hex(c.get_facecolors()[0]) for c in ax.collections}
    significant = set(frame["cluster"]) - {"not significant"}
    assert {GEODA[c] for c in significant} <= colors
    texts = {t.get_text() for t in ax.texts}
    assert {"HH", "LH", "LL", "HL"} <= texts
    assert {"北京", "新疆", "上海"} <= texts  # every unit named (31 ≤ 40)
    assert _no_tofu(fig)

    only_significant = moran_scatterplot(lisa, year=2019, labels=provinces["name_en"],
                                         label_units="significant")
    named = {t.get_text() for t in only_significant.axes[0].texts} - {"HH", "LH", "LL", "HL"}
    assert len(named) == len(frame[frame["cluster"] != "not significant"])


def test_lisa_multiples(provinces, lisa, tmp_path):
    fig = lisa_multiples(provinces, lisa, ncols=3)
    maps = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in maps] == ["2015", "2017", "2019"]
    for ax, year in zip(maps, (2015, 2017, 2019), strict=True):
        counts = lisa.xs(year, level="year")["cluster"].value_counts()
        caption = " · ".join(f"{q} {int(counts.get(q, 0))}" for q in ("HH", "LL", "LH", "HL"))
        assert caption in {t.get_text() for t in ax.texts}
        assert {GEODA[c] for c in counts.index} <= _faces(ax)
    (legend,) = fig.legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[:5] == ["不显著 / not significant", "高-高 / High-High", "低-低 / Low-Low",
                         "低-高 / Low-High", "高-低 / High-Low"]
    assert _no_tofu(fig)
    assert save_figure(fig, tmp_path / "lisa_years.svg").read_bytes()[:5] == b"<?xml"


def _legend_title(fig) -> str:
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    return (legends[0] if legends else fig.legends[0]).get_title().get_text()


def test_every_legend_states_alternative_permutations_and_adjustment(provinces, panel, w, lisa):
    default = "two-sided p ≤ 0.05, 999 permutations, no adjustment"
    assert cluster_symbology(lisa, year=2019).title.endswith(f"({default})")
    assert significance_symbology(lisa, year=2019).title.endswith(
        "(two-sided p, 999 permutations, no adjustment)")
    # a heading of the caller's keeps the line, on the map and in the small multiples
    fig = lisa_cluster_map(provinces, lisa, year=2019, legend_title="LISA: GDP")
    assert _legend_title(fig) == f"LISA: GDP\n({default})"
    fig = lisa_multiples(provinces, lisa, legend_title="LISA: GDP")
    assert _legend_title(fig) == f"LISA: GDP\n({default})"

    one = panel[panel["year"] == 2019]
    geoda = local_moran(one, "gdp_pc", w, conventions="geoda", adjust="fdr", alpha=0.01,
                        permutations=499, seed=2)
    line = "GeoDa's pseudo p (directed) ≤ 0.01, 499 permutations, FDR (GeoDa's rule)"
    assert cluster_symbology(geoda).title.endswith(f"({line})")
    fig = significance_map(provinces, geoda, legend_title="p: GDP")
    assert _legend_title(fig) == (
        "p: GDP\n(GeoDa's pseudo p (directed), 499 permutations, FDR (GeoDa's rule))")
    # p_sim is the unadjusted p, whatever the frame's adjustment
    raw = significance_symbology(geoda, p_column="p_sim")
    assert raw.title.endswith("(GeoDa's pseudo p (directed), 499 permutations, no adjustment)")
    bonferroni = local_moran(one, "gdp_pc", w, alternative="greater", adjust="bonferroni",
                             permutations=99, seed=2)
    assert cluster_symbology(bonferroni).title.endswith(
        "(greater p ≤ 0.05, 99 permutations, Bonferroni)")
    # quadrants involve no test; clusters without permutations say so
    assert "permutations" not in cluster_symbology(lisa, year=2019, column="quadrant").title
    quadrants_only = local_moran(one, "gdp_pc", w, permutations=0)
    assert cluster_symbology(quadrants_only).title.endswith("(no permutation inference)")
