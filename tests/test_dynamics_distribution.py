"""Distribution dynamics: kernel densities against scipy, Markov chains against giddy run
directly and against transition counts by brute force, the bad inputs, and the figures."""

from __future__ import annotations

import warnings

import mapclassify as mc
import numpy as np
import pandas as pd
import pytest
from giddy.ergodic import mfpt, steady_state
from giddy.markov import LISA_Markov, Markov, Spatial_Markov, homogeneity
from libpysal.weights import W
from scipy.stats import gaussian_kde

from spatialecon.dynamics import (
    DynamicsError,
    kernel_density,
    lisa_markov,
    markov,
    spatial_markov,
    wide_values,
)
from spatialecon.validation import DegenerateError, NonFiniteError, SpatialEconError

TOL = 1e-12
YEARS = list(range(2006, 2021))


@pytest.fixture(scope="module")
def w():
    from spatialecon.geodata import boundaries
    from spatialecon.weights import contiguity

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return contiguity(boundaries("province"))


@pytest.fixture(scope="module")
def panel(w):
    """31 provinces × 15 years: an AR(1) in time with SAR(0.6) spatial shocks."""
    ids = list(w.id_order)
    rng = np.random.default_rng(2024)
    n = len(ids)
    dense = w.sparse.toarray()
    dense = dense / dense.sum(axis=1, keepdims=True)
    spread = np.linalg.inv(np.eye(n) - 0.6 * dense)
    y = np.empty((n, len(YEARS)))
    y[:, 0] = 5 + spread @ rng.normal(size=n)
    for t in range(1, len(YEARS)):
        y[:, t] = 0.8 * y[:, t - 1] + 1.5 + spread @ rng.normal(scale=0.5, size=n)
    # rows in reverse code order: ours must realign with w, the peer is handed w's order
    return pd.DataFrame(y, index=pd.Index(ids, name="adcode"), columns=YEARS).iloc[::-1]


def _row_standardised(w):
    copy = W(w.neighbors, w.weights, id_order=list(w.id_order), silence_warnings=True)
    copy.transform = "r"
    return copy


def _brute_counts(ids: np.ndarray, k: int) -> np.ndarray:
    counts = np.zeros((k, k))
    for unit in range(ids.shape[0]):
        for t in range(ids.shape[1] - 1):
            counts[ids[unit, t], ids[unit, t + 1]] += 1
    return counts


def _close(a, b) -> None:
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=TOL, atol=TOL)


# ─── kernel density ─────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("bandwidth", ["silverman", "scott", 0.35])
def test_kernel_density_equals_scipy(panel, bandwidth):
    table = kernel_density(panel, bandwidth=bandwidth, grid=300)
    x = np.asarray(table.attrs["grid"])
    assert len(table) == 300 * len(YEARS)
    for year in YEARS:
        ours = table.loc[table["year"] == year, "density"].to_numpy()
        _close(ours, gaussian_kde(panel[year].to_numpy(), bw_method=bandwidth).evaluate(x))
    assert table.attrs["kernel"] == "gaussian"
    assert len(table.attrs["curves"]) == len(YEARS)


def test_kernel_density_groups_and_pooled(panel):
    from spatialecon.geodata import regions

    scheme = regions("nbs4")
    table = kernel_density(panel, groups="nbs4", grid=64)
    assert set(table["group"]) == set(scheme)
    x = np.asarray(table.attrs["grid"])
    for (year, group), rows in table.groupby(["year", "group"]):
        sample = panel.loc[scheme.index[scheme == group], year].to_numpy()
        _close(rows["density"], gaussian_kde(sample, bw_method="silverman").evaluate(x))
    pooled = kernel_density(panel, by=None, grid=np.linspace(0, 20, 50))
    _close(pooled["density"], gaussian_kde(panel.to_numpy().ravel()).factor * 0 +
           gaussian_kde(panel.to_numpy().ravel(), bw_method="silverman")
           .evaluate(np.linspace(0, 20, 50)))


# ─── inputs ─────────────────────────────────────────────────────────────────────────────────


def test_layouts_agree(panel):
    series = panel.stack()
    series.index = series.index.set_names(["adcode", "year"])
    tidy = series.rename("value").reset_index().assign(variable="gdp")
    other = tidy.assign(variable="pop", value=1.0)
    expected = panel.sort_index()
    for values in (series, tidy, panel.set_axis([str(y) for y in YEARS], axis=1)):
        pd.testing.assert_frame_equal(wide_values(values), expected, check_names=False)
    picked = wide_values(pd.concat([tidy, other]), variable="gdp")
    pd.testing.assert_frame_equal(picked, expected, check_names=False)
    assert picked.attrs["variable"] == "gdp"


# ─── Markov ─────────────────────────────────────────────────────────────────────────────────


def test_markov_equals_giddy_and_brute_force(panel):
    result = markov(panel, k=5)
    y = panel.sort_index().to_numpy()
    q = mc.Quantiles(y.ravel(), k=5)
    ids = q.yb.reshape(y.shape)
    peer = Markov(ids, classes=np.arange(5), summary=False)
    counts = _brute_counts(ids, 5)
    _close(result.transitions, counts)
    _close(result.transitions, peer.transitions)
    _close(result.p, peer.p)
    _close(result.p, counts / counts.sum(axis=1, keepdims=True))
    _close(result.steady_state, steady_state(peer.p))
    _close(result.first_passage, mfpt(peer.p))
    _close(result.classes, q.bins[:-1])
    assert result.transitions.sum() == 31 * 14
    per_year = np.stack([_brute_counts(ids[:, t:t + 2], 5) for t in range(ids.shape[1] - 1)])
    hom = homogeneity(per_year)
    assert result.homogeneity["df"] == hom.dof
    for ours, theirs in [("Q", hom.Q), ("LR", hom.LR), ("Q_p", hom.Q_p_value),
                         ("LR_p", hom.LR_p_value)]:
        assert result.homogeneity[ours] == pytest.approx(theirs, rel=TOL, abs=TOL)
    table = result.table()
    assert list(table.columns) == ["n", "I (lowest)", "II", "III", "IV", "V (highest)"]
    np.testing.assert_array_equal(table["n"], counts.sum(axis=1))
    assert result.table(lang="zh").index[0] == "I（低）"


def test_classes_pooled_yearly_breaks(panel):
    pooled = markov(panel, k=4)
    yearly = markov(panel, k=4, classes="yearly")
    breaks = [5.0, 7.0, 9.0]
    explicit = markov(panel, classes=breaks)
    y = panel.sort_index()
    # yearly: quantiles within each year, so every year has (about) n/k units per class
    for year in YEARS:
        counts = np.bincount(yearly.class_ids[year], minlength=4)
        assert counts.min() >= 7 and counts.max() <= 8
        _close(yearly.classes.loc[year], mc.Quantiles(y[year].to_numpy(), k=4).bins[:-1])
    # pooled: one set of breaks for all years (a growing variable climbs through them)
    assert pooled.class_ids[YEARS[0]].mean() < pooled.class_ids[YEARS[-1]].mean()
    # explicit breaks: class j is (b_{j-1}, b_j]
    np.testing.assert_array_equal(explicit.class_ids.to_numpy(),
                                  np.searchsorted(breaks, y.to_numpy(), side="left"))
    assert explicit.k == 4
    _close(explicit.transitions, _brute_counts(explicit.class_ids.to_numpy(), 4))
    assert pooled.attrs["classes"] == "pooled" and yearly.attrs["classes"] == "yearly"


@pytest.mark.parametrize("classes", ["pooled", "yearly", [5.5, 6.5, 7.5, 8.5]])
def test_spatial_markov_equals_giddy(panel, w, classes):
    ours = spatial_markov(panel, w, k=5, classes=classes)
    y = panel.loc[list(w.id_order)].to_numpy()
    wr = _row_standardised(w)
    if isinstance(classes, str):
        peer = Spatial_Markov(y, wr, k=5, m=5, fixed=classes == "pooled")
    else:
        peer = Spatial_Markov(y, wr, k=5, m=5, fixed=True, cutoffs=classes,
                              lag_cutoffs=classes)
    _close(ours.P, peer.P)
    _close(ours.T, peer.T)
    _close(ours.p, peer.p)
    _close(ours.transitions, peer.transitions)
    _close(ours.steady_state, peer.s)
    _close(ours.first_passage, peer.f)
    # giddy's S and F refuse a block with rows of zeros (a class never met next to neighbours
    # of that class); ours fill them as giddy's fill_empty_classes does
    for mine, block in zip(ours.conditional_steady_state, peer.P, strict=True):
        _close(mine, steady_state(block, fill_empty_classes=True))
    for mine, block in zip(ours.conditional_first_passage, peer.P, strict=True):
        _close(mine, mfpt(block, fill_empty_classes=True))
    if not (peer.T.sum(axis=2) == 0).any():
        for mine, theirs in zip(ours.conditional_steady_state, peer.S, strict=True):
            _close(mine, theirs)
        _close(ours.conditional_first_passage, peer.F)
    for name, theirs in [("Q", peer.Q), ("LR", peer.LR), ("Q_p", peer.Q_p_value),
                         ("LR_p", peer.LR_p_value)]:
        assert getattr(ours, name) == pytest.approx(theirs, rel=TOL, abs=TOL)
    assert ours.df == peer.dof_hom
    # the conditional counts by brute force: unit i's lag class at t picks the block
    lag = wr.sparse @ y
    lag_ids = ours.lag_class_ids.to_numpy()
    if classes == "pooled":
        np.testing.assert_array_equal(lag_ids, mc.Quantiles(lag.ravel(), k=5).yb
                                      .reshape(lag.shape))
    ids = ours.class_ids.to_numpy()
    brute = np.zeros((5, 5, 5))
    for i in range(ids.shape[0]):
        for t in range(ids.shape[1] - 1):
            brute[lag_ids[i, t], ids[i, t], ids[i, t + 1]] += 1
    _close(ours.T, brute)
    table = ours.table()
    assert table.shape == (30, 6)
    np.testing.assert_array_equal(table.loc["II", "n"], ours.T[1].sum(axis=1))
    assert list(ours.tests().index) == ["Q", "LR"]


def test_lisa_markov_equals_giddy(panel, w):
    ours = lisa_markov(panel, w)
    y = panel.loc[list(w.id_order)].to_numpy()
    peer = LISA_Markov(y, _row_standardised(w))
    _close(ours.transitions, peer.transitions)
    _close(ours.p, peer.p)
    _close(ours.steady_state, peer.steady_state)
    _close(ours.first_passage, peer.mfpt)
    _close(ours.chi2, peer.chi_2)
    np.testing.assert_array_equal(ours.quadrants.to_numpy(), peer.q)
    _close(ours.transitions, _brute_counts(peer.q - 1, 4))
    assert ours.jumps.iloc[:4].sum() == 31 * 14


def test_callers_w_unchanged(panel, w):
    before = w.transform
    spatial_markov(panel, w, k=3)
    lisa_markov(panel, w)
    assert w.transform == before


def test_next_class(panel, w):
    result = spatial_markov(panel, w, k=4)
    nxt = result.next_class()
    last = result.class_ids.iloc[:, -1]
    assert (nxt["class"] == last.loc[nxt.index]).all()
    row = result.P[nxt["lag_class"].iloc[0], nxt["class"].iloc[0]]
    assert nxt["next"].iloc[0] == int(np.argmax(row))
    same = result.next_class(panel.iloc[:, -1])
    assert (same["next"].fillna(-1) == nxt["next"].fillna(-1)).all()


# ─── bad inputs ─────────────────────────────────────────────────────────────────────────────


def test_bad_inputs(panel, w):
    with pytest.raises(DynamicsError, match=r"1 year \(2006\); at least 2 years"):
        markov(panel[[2006]])
    holey = panel.stack()
    holey.index = holey.index.set_names(["adcode", "year"])
    holey = holey.drop([(110000, 2010), (650000, 2012)])
    with pytest.raises(DynamicsError, match=r"2 unit\(s\) lack year\(s\) 2010, 2012: "
                       r"北京 \(110000, 2010\), 新疆 \(650000, 2012\)"):
        markov(holey)
    with pytest.raises(DynamicsError, match=r"class V \(highest\) \(40, \+∞\]: the data's "
                       r"maximum .* is below it"):
        markov(panel, classes=[6, 8, 9, 40])
    with pytest.raises(DynamicsError, match=r"class I \(lowest\) \(−∞, -5\]: the data's "
                       r"minimum .* is above it"):
        markov(panel, classes=[-5, 8])
    with pytest.raises(DynamicsError, match="too few units for k"):
        markov(panel.iloc[:3], k=5, classes="yearly")
    with pytest.raises(DynamicsError, match="tied values"):
        markov(panel.round(0).clip(5, 7), k=5)
    islands = W({110000: [120000], 120000: [110000], 130000: []}, silence_warnings=True)
    with pytest.raises(DynamicsError, match=r"1 island\(s\) without neighbours: 河北 \(130000\)"):
        spatial_markov(panel.loc[[110000, 120000, 130000]], islands, k=2)
    with pytest.raises(DynamicsError, match=r"1 unit\(s\) of w have no values: 北京 \(110000\)"):
        spatial_markov(panel.drop(index=110000), w)
    nan = panel.copy()
    nan.loc[130000, 2015] = np.nan
    with pytest.raises(NonFiniteError, match=r"NaN at 河北 \(130000, 2015\)"):
        markov(nan)
    tidy = panel.stack().rename("value").reset_index().rename(columns={"level_1": "year"})
    tidy = pd.concat([tidy.assign(variable="a"), tidy.assign(variable="b")])
    with pytest.raises(DynamicsError, match="holds 2 variables"):
        markov(tidy)
    with pytest.raises(SpatialEconError, match="bandwidth must be"):
        kernel_density(panel, bandwidth=-1.0)
    with pytest.raises(DegenerateError, match="constant"):
        kernel_density(pd.DataFrame({2006: np.ones(31)}, index=panel.index))
    with pytest.raises(SpatialEconError, match="m cannot be given"):
        spatial_markov(panel, w, classes=[6, 8], m=3)


# ─── figures ────────────────────────────────────────────────────────────────────────────────


def test_figures(panel, w, tmp_path):
    from spatialecon.geodata import boundaries
    from spatialecon.maps import dynamics_plots as dp
    from spatialecon.maps.static import save_figure

    table = kernel_density(panel, grid=128)
    fig = dp.density_curves(table)
    assert len(fig.axes[0].get_lines()) == len(YEARS)
    grouped = dp.density_curves(kernel_density(panel, groups="nbs4", grid=64), lang="zh")
    assert sum(ax.get_visible() for ax in grouped.axes) == 4
    ridges = dp.density_ridges(table)
    assert len(ridges.axes[0].get_lines()) == len(YEARS)
    assert len(ridges.axes[0].collections) == len(YEARS)
    four = kernel_density(panel, groups="nbs4", grid=64)
    assert len(dp.density_ridges(four).axes) == 4
    assert len(dp.density_surface(four).axes) == 4
    assert len(dp.density_ridges(four, group="西部").axes[0].get_lines()) == len(YEARS)
    surface = dp.density_surface(table)
    assert surface.axes[0].name == "3d" and surface.axes[0].collections
    result = spatial_markov(panel, w, k=4)
    heat = dp.markov_heatmap(result)
    assert len([ax for ax in heat.axes if ax.images]) == 1 + 4
    assert len(heat.axes[0].texts) == 16
    assert len(dp.markov_heatmap(markov(panel)).axes[0].texts) == 25
    assert dp.markov_heatmap(lisa_markov(panel, w)).axes[0].images
    units = boundaries("province", simplify=0.01)
    mapped = dp.next_class_map(units, result)
    assert len(mapped.axes[0].patches) + len(mapped.axes[0].collections) > 0
    for name, figure in [("surface", surface), ("map", mapped), ("heat", heat)]:
        path = save_figure(figure, tmp_path / f"{name}.png", dpi=80)
        assert path.stat().st_size > 10_000
