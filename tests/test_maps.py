"""spatialecon.maps: fonts, classification, the national layout, static choropleths and
small multiples (HTML maps: test_html.py; LISA maps: test_maps_lisa.py)."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import geopandas as gpd
import mapclassify
import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font

from spatialecon.geodata.boundaries import CHINA_ALBERS, boundaries
from spatialecon.maps import (
    LegendEntry,
    Symbology,
    categorical,
    choropleth,
    choropleth_multiples,
    classify,
    national_map,
    save_figure,
    use_chinese_font,
)
from spatialecon.maps.classify import decimals_for

CHINESE = "内蒙古 黑龙江 新疆维吾尔自治区 无数据 南海诸岛"
GLYPH_MISSING = re.compile(r"Glyph .* missing from font")


@pytest.fixture(autouse=True)
def _restore_rcparams():
    # use_chinese_font() sets global rcParams; leave other test modules the defaults.
    with mpl.rc_context():
        yield


@pytest.fixture(scope="module")
def provinces() -> gpd.GeoDataFrame:
    gdf = boundaries("province", simplify=0.01)
    gdf["area_km2"] = gdf.to_crs(CHINA_ALBERS).area / 1e6
    return gdf


def _render_png(fig: Figure) -> list[str]:
    """Draw ``fig`` to PNG; return the glyph warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png", dpi=72)
    return [str(w.message) for w in caught if GLYPH_MISSING.search(str(w.message))]


def _text_figure() -> Figure:
    fig = Figure(figsize=(3, 1))
    fig.text(0.1, 0.5, CHINESE)
    return fig


# --- fonts ----------------------------------------------------------------------------------


def test_chinese_font_renders_without_tofu():
    # The control: with matplotlib's default font the same text does warn, so the assertions
    # below would catch tofu.
    mpl.rcParams["font.sans-serif"] = ["DejaVu Sans"]
    assert _render_png(_text_figure()), "DejaVu Sans should lack CJK glyphs"

    family = use_chinese_font()
    assert family == "Noto Sans CJK SC"
    assert mpl.rcParams["font.sans-serif"][:2] == [family, "DejaVu Sans"]
    assert mpl.rcParams["axes.unicode_minus"] is False
    assert _render_png(_text_figure()) == []

    # the PyPI copy is registered; a system copy of the same family (Debian fonts-noto-cjk)
    # may win the lookup, which is as good: what matters is that the chosen file has the glyphs
    registered = {Path(f.fname).name for f in font_manager.fontManager.ttflist
                  if f.name == family}
    assert "NotoSansCJKsc-Regular.otf" in registered
    path = font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
    font = FT2Font(path)
    lacking = [ch for ch in CHINESE.replace(" ", "") if font.get_char_index(ord(ch)) == 0]
    assert lacking == []


def test_use_chinese_font_is_idempotent():
    family = use_chinese_font()
    sans = list(mpl.rcParams["font.sans-serif"])
    assert use_chinese_font() == family
    assert mpl.rcParams["font.sans-serif"] == sans
    registered = [f for f in font_manager.fontManager.ttflist if f.name == family]
    assert len({f.fname for f in registered}) == len(registered)  # not added twice


# --- classification -------------------------------------------------------------------------

MAPCLASSIFY = {
    "natural_breaks": lambda y: mapclassify.FisherJenks(y, k=5),
    "quantiles": lambda y: mapclassify.Quantiles(y, k=5),
    "equal_interval": lambda y: mapclassify.EqualInterval(y, k=5),
    "std_mean": lambda y: mapclassify.StdMean(y),
    "user_defined": lambda y: mapclassify.UserDefined(y, bins=[50_000, 200_000, 500_000]),
}


@pytest.mark.parametrize("scheme", list(MAPCLASSIFY))
def test_classes_are_mapclassifys(provinces, scheme):
    values = provinces["area_km2"].copy()
    values.iloc[[0, 5]] = np.nan
    bins = [50_000, 200_000, 500_000] if scheme == "user_defined" else None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Numba not installed")
        expected = MAPCLASSIFY[scheme](values.dropna().to_numpy())
    got = classify(values, scheme=scheme, bins=bins)
    np.testing.assert_array_equal(got.bins, expected.bins)
    np.testing.assert_array_equal(got.counts, expected.counts)
    np.testing.assert_array_equal(got.yb[values.notna().to_numpy()], expected.yb)
    assert got.yb[[0, 5]].tolist() == [-1, -1]
    assert got.n_missing == 2
    assert got.counts.sum() + got.n_missing == len(values)
    assert len(got.labels) == len(got.colors) == got.k == len(expected.bins)


def test_classify_lowers_k_with_warning_when_few_distinct_values():
    values = pd.Series([1.0, 1, 2, 2, 3, 3, np.nan])
    with pytest.warns(UserWarning, match="only 3 distinct values"):
        got = classify(values, k=5)
    assert got.k == 3
    assert got.counts.tolist() == [2, 2, 2]
    with pytest.warns(UserWarning, match="all 3 values are equal"):
        constant = classify(pd.Series([7.0, 7.0, 7.0]))
    assert constant.k == 1 and constant.counts.tolist() == [3]


def test_classify_errors():
    with pytest.raises(TypeError, match="not numeric"):
        classify(pd.Series(["a", "b"]), name="name")
    with pytest.raises(TypeError, match="not numeric"):
        classify(pd.Series([True, False]))
    with pytest.raises(ValueError, match="no data to map"):
        classify(pd.Series([np.nan, None], dtype=float))
    with pytest.raises(ValueError, match="infinite"):
        classify(pd.Series([1.0, np.inf, 3.0]))
    with pytest.raises(ValueError, match="scheme must be one of"):
        classify(pd.Series([1.0, 2.0]), scheme="jenks")
    with pytest.raises(ValueError, match="only used with scheme='user_defined'"):
        classify(pd.Series([1.0, 2.0]), bins=[1.5])
    with pytest.raises(ValueError, match="strictly increasing"):
        classify(pd.Series([1.0, 2.0]), scheme="user_defined", bins=[2, 1])


def test_legend_numbers_keep_bounds_apart():
    assert decimals_for(np.array([8_004.3, 107_257.9, 1_630_643.2])) == 0
    assert decimals_for(np.array([1.2, 5.6, 9.9])) == 1
    assert decimals_for(np.array([0.012, 0.056, 0.11])) == 3
    assert decimals_for(np.array([100.0, 100.04, 100.3])) == 2  # 0 or 1 would merge bounds
    assert decimals_for(np.array([0.0, 1.0, 2.0])) == 0  # counts, ranks: whole numbers
    got = classify(pd.Series([1.2, 2.0, 3.1, 10.4, 11.0]), k=2)
    assert got.labels == ["1.2 – 3.1", "3.1 – 11.0"]
    assert classify(pd.Series([1.0, 2.0, 3.0, 10.0, 11.0]), k=2).labels == ["1 – 3", "3 – 11"]


# --- static maps ----------------------------------------------------------------------------


def _legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_choropleth_national_map(provinces, tmp_path):
    data = provinces.copy()
    data.loc[[110000, 650000], "area_km2"] = np.nan
    fig = choropleth(data, "area_km2", title="各省面积", legend_title="面积 (km²)")
    assert _render_png(fig) == []  # every Chinese label, title and legend entry has glyphs

    classes = classify(data["area_km2"])
    texts = _legend_texts(fig)
    expected = [f"{label}  ({n})" for label, n in zip(classes.labels, classes.counts, strict=True)]
    assert texts[: classes.k] == expected
    assert texts[classes.k] == "无数据 / no data  (2)"
    assert texts[classes.k + 1] == "未纳入 / not in data"  # Hong Kong, Macao, Taiwan
    assert sum(classes.counts) + 2 == 31

    main = fig.axes[0]
    # Every class with units is painted, and the missing ones hatched.
    faces = {mpl.colors.to_hex(c) for coll in main.collections for c in coll.get_facecolors()}
    assert {c for c, n in zip(classes.colors, classes.counts, strict=True) if n} <= faces
    assert any(coll.get_hatch() for coll in main.collections)
    # The South China Sea inset, in the lower right.
    (inset,) = main.child_axes
    assert "南海诸岛" in [t.get_text() for t in inset.texts]
    assert {t.get_text() for t in main.texts} >= {"N", "km", "内蒙古", "台湾"}

    for ext, magic in (("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")):
        out = save_figure(fig, tmp_path / f"map.{ext}", dpi=100)
        assert out.read_bytes()[:5].startswith(magic)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.pdf", "map.png", "map.svg"]


def test_choropleth_regional_map_without_inset(provinces):
    northeast = provinces.loc[[210000, 220000, 230000]]
    fig = choropleth(northeast, "area_km2", k=3, inset=False, north_arrow=False,
                     scale_bar=False, labels="name_en")
    main = fig.axes[0]
    assert main.child_axes == []
    assert {t.get_text() for t in main.texts} >= {"Liaoning", "Jilin", "Heilongjiang"}
    xmin, xmax = main.get_xlim()
    assert xmax - xmin < 2_500_000  # framed on the three provinces, not on China


def test_save_figure_is_atomic(provinces, tmp_path):
    target = tmp_path / "map.png"
    target.write_bytes(b"previous map")
    fig = choropleth(provinces, "area_km2")

    def crash(target, *args, **kwargs):  # writes half, then fails (to a file or a buffer)
        if hasattr(target, "write"):
            target.write(b"half a PNG")
        else:
            Path(target).write_bytes(b"half a PNG")
        raise RuntimeError("disk full")

    fig.savefig = crash
    with pytest.raises(RuntimeError):
        save_figure(fig, target)
    assert target.read_bytes() == b"previous map"
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        save_figure(fig, tmp_path / "map.jpg")


def test_choropleth_validation(provinces):
    with pytest.raises(KeyError, match="available columns: name, short"):
        choropleth(provinces, "gdp")
    with pytest.raises(TypeError, match="not numeric"):
        choropleth(provinces, "name")
    empty = provinces.assign(gdp=np.nan)
    with pytest.raises(ValueError, match="no data to map"):
        choropleth(empty, "gdp")
    with pytest.raises(KeyError, match="labels column 'pinyin'"):
        choropleth(provinces, "area_km2", labels="pinyin")
    with pytest.raises(ValueError, match="no CRS"):
        choropleth(provinces.set_crs(None, allow_override=True), "area_km2")
    few = provinces.assign(group=np.arange(31) % 3)
    with pytest.warns(UserWarning, match="using k=3"):
        fig = choropleth(few, "group", k=5)
    assert _legend_texts(fig)[:3] == ["0 – 0  (11)", "0 – 1  (10)", "1 – 2  (10)"]


def test_choropleth_many_units_skips_labels():
    # 50 squares not from boundaries(): no province codes, regional frame.
    squares = gpd.GeoDataFrame(
        {"short": [f"u{i}" for i in range(50)], "v": np.arange(50.0)},
        geometry=[shapely.box(100 + i % 10, 30 + i // 10, 101 + i % 10, 31 + i // 10)
                  for i in range(50)],
        crs="EPSG:4326",
    )
    with pytest.warns(UserWarning, match="labels skipped"):
        fig = choropleth(squares, "v", inset=False)
    assert not any(t.get_text().startswith("u") for t in fig.axes[0].texts)


# --- any legend in the national layout ---------------------------------------------------------

REGION_COLORS = {"east": "#1b9e77", "centre": "#d95f02", "west": "#7570b3"}


def _regions(provinces: gpd.GeoDataFrame) -> pd.Series:
    # A rough three-way split by the first digit of the code: enough to test categories.
    first = provinces.index.to_series() // 100_000
    return first.map({1: "east", 2: "east", 3: "east", 4: "centre", 5: "west", 6: "west"})


def test_national_map_draws_any_symbology(provinces, tmp_path):
    regions = _regions(provinces).drop([650000, 540000])  # two units without a category
    symbology = categorical(regions, REGION_COLORS, title="地区 / region",
                            labels={"east": "东部", "centre": "中部", "west": "西部"})
    fig = national_map(provinces, symbology, labels="name_en")
    counts = regions.value_counts()
    assert _legend_texts(fig) == [
        f"东部  ({counts['east']})", f"中部  ({counts['centre']})", f"西部  ({counts['west']})",
        "无数据 / no data  (2)", "未纳入 / not in data"]
    main = fig.axes[0]
    faces = {mpl.colors.to_hex(c) for coll in main.collections for c in coll.get_facecolors()}
    assert set(REGION_COLORS.values()) <= faces
    assert any(coll.get_hatch() for coll in main.collections)  # Xinjiang and Tibet hatched
    assert {"Xinjiang", "Tibet", "Beijing"} <= {t.get_text() for t in main.texts}
    assert _render_png(fig) == []

    # Print resolution: 7 in at 300 dpi.
    png = save_figure(fig, tmp_path / "regions.png", dpi=300)
    from PIL import Image

    with Image.open(png) as image:
        assert image.width == 2100
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 50


def test_symbology_alignment_recounts_and_adds_no_data():
    symbology = categorical(pd.Series(["a", "b", "a"], index=[1, 2, 3]),
                            {"a": "#ff0000", "b": "#0000ff"}, title="t")
    aligned = symbology.aligned(pd.Index([1, 2, 4, 5]))
    assert [(e.label, e.count, e.missing) for e in aligned.entries] == [
        ("a", 1, False), ("b", 1, False), ("无数据 / no data", 2, True)]
    assert aligned.codes.tolist() == [0, 1, 2, 2]
    assert aligned.color_of().tolist() == ["#ff0000", "#0000ff", "#d9d9d9", "#d9d9d9"]
    # A "no data" row that no unit of the map needs is dropped.
    with_missing = categorical(pd.Series(["a", None], index=[1, 2]), {"a": "#ff0000"},
                               title="t")
    assert with_missing.aligned(pd.Index([1])).entries == (LegendEntry("a", "#ff0000", 1),)
    with pytest.raises(ValueError, match="categories without a colour: 'c'"):
        categorical(pd.Series(["c"]), {"a": "#ff0000"}, title="t")
    with pytest.raises(ValueError, match="duplicate unit ids"):
        symbology.aligned(pd.Index([1, 1]))
    with pytest.raises(ValueError, match="none of its 3 units is in the map"):
        symbology.aligned(pd.Index(["1", "2"]))
    assert isinstance(aligned, Symbology)


def test_choropleth_multiples_share_one_classification(provinces, tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for year in (2015, 2017, 2019):
        values = provinces["area_km2"].to_numpy() * (1 + (year - 2015) / 10)
        values = values * rng.uniform(0.9, 1.1, len(values))
        rows.append(pd.DataFrame({"adcode": provinces.index, "year": year,
                                  "variable": "area", "value": values}))
    panel = pd.concat(rows, ignore_index=True)
    panel.loc[(panel["adcode"] == 110000) & (panel["year"] == 2017), "value"] = np.nan
    fig = choropleth_multiples(provinces, panel, k=4, legend_title="面积", title="各年面积")

    pooled = classify(panel["value"], k=4)
    maps = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in maps] == ["2015", "2017", "2019"]
    (legend,) = fig.legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts == [*pooled.labels, "无数据 / no data", "未纳入 / not in data"]  # no counts
    for ax, year in zip(maps, (2015, 2017, 2019), strict=True):
        y = panel[panel["year"] == year].set_index("adcode")["value"].dropna()
        # mapclassify's own assignment of this year's values to the pooled bounds
        yb = mapclassify.UserDefined(y.to_numpy(), bins=pooled.bins).yb
        expected = {pooled.colors[c] for c in yb}
        faces = {mpl.colors.to_hex(c) for coll in ax.collections for c in coll.get_facecolors()}
        assert expected <= faces
        assert any(coll.get_hatch() for coll in ax.collections) == (year == 2017)
    # North arrow and scale bar once, in the first panel.
    assert [sum(t.get_text() == "N" for t in ax.texts) for ax in maps] == [1, 0, 0]
    assert _render_png(fig) == []
    out = save_figure(fig, tmp_path / "multiples.pdf")
    assert out.read_bytes()[:4] == b"%PDF"


def test_user_breaks_are_printed_as_given():
    from spatialecon.maps.classify import classify

    values = pd.Series([1.4, 1.6, 1.8, 1.9, 2.2, 2.3])
    classes = classify(values, scheme="user_defined", bins=[1.5, 1.75, 2.0, 2.5])
    assert classes.decimals == 2
    assert classes.counts.tolist() == [1, 1, 2, 2]


def test_natural_breaks_do_not_depend_on_the_values_magnitude():
    """Fisher–Jenks on values near 1e17 (mapclassify's float64 sums lose every digit there and
    returned unordered breaks): the classes equal those of the same values scaled to 1."""
    rng = np.random.default_rng(7)
    small = pd.Series(rng.uniform(0.4, 1.4, 31))
    big = classify(small * 1e18, scheme="natural_breaks", k=5)
    reference = classify(small, scheme="natural_breaks", k=5)
    assert (np.diff(big.bins) > 0).all()
    np.testing.assert_array_equal(big.yb, reference.yb)
    np.testing.assert_allclose(big.bins, reference.bins * 1e18, rtol=1e-12)
    assert big.counts.sum() == 31 and len(big.labels) == len(big.counts)


# --- at scale: exact natural breaks in O(k n log n), polygons drawn as compound paths ----------


def _best_partition_ends(x: np.ndarray, k: int) -> np.ndarray:
    """Class upper bounds of the partition of sorted ``x`` into ``k`` runs with the least total
    within-class sum of squares, by trying every partition (brute force)."""
    import itertools

    best, ends = np.inf, None
    for cuts in itertools.combinations(range(1, len(x)), k - 1):
        runs = np.split(x, cuts)
        cost = sum(float(((r - r.mean()) ** 2).sum()) for r in runs)
        if cost < best - 1e-12:
            best, ends = cost, [r[-1] for r in runs]
    return np.asarray(ends)


@pytest.mark.parametrize("seed", range(6))
def test_fisher_jenks_programme_is_the_exact_optimum(seed):
    from spatialecon.maps._jenks import fisher_jenks_bins

    rng = np.random.default_rng(seed)
    x = np.sort(rng.lognormal(size=13))
    for k in (2, 3, 4):
        np.testing.assert_array_equal(fisher_jenks_bins(x, k), _best_partition_ends(x, k))
    # and mapclassify's O(k n²) programme on larger draws, ties (integers) included
    for y in (rng.standard_normal(800), rng.integers(0, 30, 900).astype(float)):
        for k in (3, 5, 7):
            expected = [y[mapclassify.FisherJenks(y, k=k).yb == c].max() for c in range(k)]
            np.testing.assert_array_equal(fisher_jenks_bins(y, k), expected)


def test_natural_breaks_above_the_switch_equal_mapclassify():
    from spatialecon.maps.classify import JENKS_DP_ABOVE

    rng = np.random.default_rng(3)
    values = pd.Series(rng.gamma(2.0, 3.0, JENKS_DP_ABOVE + 500))
    classes = classify(values, scheme="natural_breaks", k=6)
    reference = mapclassify.FisherJenks(values.to_numpy(), k=6)
    np.testing.assert_array_equal(classes.yb, reference.yb)
    assert classes.counts.tolist() == np.bincount(reference.yb).tolist()


def _pixel(canvas, ax, x: float, y: float) -> str:
    """Hex colour of the rendered pixel at data point (x, y) of ``ax``."""
    buffer = np.asarray(canvas.buffer_rgba())
    px, py = ax.transData.transform((x, y))
    row = buffer.shape[0] - 1 - round(py)
    return mpl.colors.to_hex(buffer[row, round(px)] / 255)


def test_grid_choropleth_paints_each_cell_its_class_and_keeps_holes():
    """A 30 × 30 grid (one cell with a hole, one without data; at sea, clear of the province
    borders drawn over the units): the pixel at every cell's centre has the colour of that
    cell's class as classify gives it; the hole shows paper."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    side = 0.05
    rows, cols = np.divmod(np.arange(900), 30)
    cells = shapely.box(130 + cols * side, 18 + rows * side, 130 + (cols + 1) * side,
                        18 + (rows + 1) * side)
    holed = 465  # a cell in the middle gets a hole of half its side
    x0, y0, x1, y1 = shapely.bounds(cells[holed])
    q = side / 4
    cells[holed] = shapely.Polygon(shapely.get_exterior_ring(cells[holed]).coords,
                                   [[(x0 + q, y0 + q), (x1 - q, y0 + q), (x1 - q, y1 - q),
                                     (x0 + q, y1 - q)]])
    rng = np.random.default_rng(0)
    grid = gpd.GeoDataFrame({"v": rng.standard_normal(900)}, geometry=cells, crs="EPSG:4326")
    grid.loc[0, "v"] = np.nan
    fig = choropleth(grid, "v", labels=None, inset=False, north_arrow=False, scale_bar=False,
                     legend_title="v", unit_edges=False, scheme="quantiles", k=4)
    ax = fig.axes[0]
    ax.get_legend().remove()
    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(150)
    canvas.draw()
    classes = classify(grid["v"], scheme="quantiles", k=4)
    centres = grid.to_crs(CHINA_ALBERS).geometry
    outer = grid.to_crs(CHINA_ALBERS).geometry.iloc[holed]
    got = [_pixel(canvas, ax, p.x, p.y) for p in centres.representative_point()]
    for i in range(1, 900):
        if i == holed:
            continue
        assert got[i] == classes.colors[classes.yb[i]], i
    # the hole's centre is paper; the ring around it has the cell's class colour
    centre = outer.centroid
    assert _pixel(canvas, ax, centre.x, centre.y) == "#ffffff"
    ring_point = shapely.Point(outer.exterior.coords[0]).buffer(1).centroid  # a corner
    inner = shapely.line_interpolate_point(shapely.shortest_line(ring_point, centre), 0.25,
                                           normalized=True)
    assert _pixel(canvas, ax, inner.x, inner.y) == classes.colors[classes.yb[holed]]
    # the cell without data is hatched grey: no class colour
    assert got[0] not in classes.colors
