"""Levin–Lin–Chu unit roots, Kao and Pedroni cointegration (spatialecon.econometrics).

Published values and where they are printed:

* LLC on Grunfeld ``value`` (ten firms × 20 years, lags 0, ``dfcor = FALSE``): R plm
  ``tests/test_purtest.Rout.save`` — ``purtest(pG$value, test = "levinlin", exo = …)``:
  none 2.589 (p 0.995), intercept 0.119 (p 0.547), trend −2.645 (p 0.004), with the per-unit
  ``sigma2ST``/``sigma2LT`` (plm notes they match gretl up to its truncated bandwidth).
* LLC (2002, J. Econometrics 108), Table 2: μ*, σ* (as in plm's ``adj.levinlin``).
* Pedroni (1999, 2004): the one-regressor, intercept moments 8.62/60.75, −6.02/31.27,
  −1.73/0.93, −9.05/35.98, −2.03/0.66; Table 2 for two regressors 11.754/104.546 …
  (R pco). No published Kao/Pedroni statistic on data available offline was found (Stata's
  ``xtcoint`` example data are not shipped), so those tests are checked by brute force
  (statsmodels/linearmodels recomputing the pieces) and by simulation: size under independent
  random walks, power under a cointegrated DGP.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from spatialecon import econometrics as em
from spatialecon.validation import SpatialEconError

pytest.importorskip("linearmodels")
from statsmodels.datasets import grunfeld
from statsmodels.tsa.stattools import adfuller


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    data = grunfeld.load_pandas().data
    data = data[data["firm"] != "American Steel"].copy()
    codes = {firm: i + 1 for i, firm in enumerate(data["firm"].unique())}
    data["adcode"] = data["firm"].map(codes)
    data["year"] = data["year"].astype(int)
    return data.set_index(["adcode", "year"])[["invest", "value", "capital"]].sort_index()


def _panel(Y: np.ndarray, **xs: np.ndarray) -> pd.DataFrame:
    N, T = Y.shape
    index = pd.MultiIndex.from_product([range(1, N + 1), range(2000, 2000 + T)],
                                       names=["adcode", "year"])
    return pd.DataFrame({"y": Y.ravel(), **{k: v.ravel() for k, v in xs.items()}}, index=index)


def _walks(rng: np.random.Generator, N: int, T: int) -> np.ndarray:
    return np.cumsum(rng.standard_normal((N, T)), axis=1)


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Levin–Lin–Chu
# ─────────────────────────────────────────────────────────────────────────────────────────────

PLM_SIGMA2 = {  # firm 1 and 10: (sigma2ST, sigma2LT) by exo
    "n": ((1072129.7840, 279480.6956), (113.6714, 21.3401)),
    "c": ((674102.29560, 211234.03828), (78.58803, 18.19652)),
    "ct": ((641603.1359, 211062.8757), (69.7076, 21.5264)),
}


@pytest.mark.parametrize(("trend", "stat", "p"), [("n", 2.589, 0.995), ("c", 0.119, 0.547),
                                                   ("ct", -2.645, 0.004)])
def test_llc_matches_plm_on_grunfeld(wide: pd.DataFrame, trend: str, stat: float,
                                     p: float) -> None:
    with pytest.warns(RuntimeWarning, match="below LLC's Table 2"):
        test = em.llc_test(wide, "value", trend=trend, lags=0)
    assert round(test.statistic, 3) == stat and round(test.p_value, 3) == p
    for unit, (st, lt) in zip((1, 10), PLM_SIGMA2[trend], strict=True):
        # plm prints 9–10 significant digits
        assert test.units.loc[unit, "sigma2_ST"] == pytest.approx(st, rel=1e-6)
        assert test.units.loc[unit, "sigma2_LT"] == pytest.approx(lt, rel=1e-6)
    assert test.attrs["bandwidth"] == 9 and test.attrs["T_tilde"] == 19


def test_llc_adjustment_table() -> None:
    assert em.llc_adjustment(25, "c")[:2] == (-0.554, 0.919)
    assert em.llc_adjustment(500, "ct")[:2] == (-0.5, 0.5)
    mu, sd, note = em.llc_adjustment(27.5, "n")  # halfway between 25 and 30
    assert (mu, sd, note) == (pytest.approx(0.0035), pytest.approx(1.042), "")
    assert "below" in em.llc_adjustment(10, "c")[2]


def test_llc_unit_t_statistics_are_adf(wide: pd.DataFrame) -> None:
    """The per-unit ADF t-statistics are statsmodels' adfuller (×√(n/(n−k)) for LLC's n
    divisor), and the pooled δ̂ is brute-force OLS of the stacked normalised residuals."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        test = em.llc_test(wide, "invest", trend="c", lags=1)
    s = wide.loc[3, "invest"].to_numpy()
    t = adfuller(s, maxlag=1, autolag=None, regression="c")[0]
    n = len(s) - 2
    assert test.units.loc[3, "t_stat"] == pytest.approx(t * math.sqrt(n / (n - 3)))
    assert test.attrs["T_tilde"] == 20 - 1 - 1


def test_llc_size_and_power() -> None:
    """Rejections at 5 % over 200 draws (N = 10, T = 50, lags 0): random walks ~ 5 %;
    stationary AR(0.5) with unit intercepts: nearly always. The size is checked with a
    Newey–West-sized bandwidth (3): LLC's K̄ = round(3.21 T^{1/3}) = 12 at T = 50 biases the
    Bartlett long-run variance down and over-rejects (≈ 16 % here, ≈ 10 % at T = 250; plm
    computes the same statistic)."""
    rng = np.random.default_rng(20240601)
    size = []
    for _ in range(200):
        size.append(em.llc_test(_panel(_walks(rng, 10, 50)), "y", lags=0,
                                bandwidth=3).p_value < 0.05)
    assert 0.02 <= np.mean(size) <= 0.10
    power = []
    for _ in range(50):
        e = rng.standard_normal((10, 60))
        y = np.zeros_like(e)
        for t in range(1, 60):
            y[:, t] = 0.5 * y[:, t - 1] + e[:, t]
        y = y[:, 10:] + rng.normal(0, 3, (10, 1))
        power.append(em.llc_test(_panel(y), "y", lags=0).p_value < 0.05)
    assert np.mean(power) > 0.8


def test_unit_root_table_llc_row(wide: pd.DataFrame) -> None:
    plain = em.unit_root_table(wide, ["invest"], lags=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        table = em.unit_root_table(wide, ["invest"], lags=1, llc=True)
    assert list(table.columns) == list(plain.columns)
    assert list(table["test"].unique()) == ["LLC t*", "IPS W-t-bar", "ADF-Fisher P",
                                            "ADF-Fisher Z"]
    rest = table[table["test"] != "LLC t*"].reset_index(drop=True)
    pd.testing.assert_frame_equal(rest, plain)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        llc = em.llc_test(wide, "invest", lags=1)
    row = table[(table["test"] == "LLC t*") & (table["difference"] == 0)].iloc[0]
    assert row["statistic"] == pytest.approx(llc.statistic)


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Kao and Pedroni
# ─────────────────────────────────────────────────────────────────────────────────────────────


def test_pedroni_moments_published() -> None:
    one = em.pedroni_moments(1, "c")
    np.testing.assert_allclose(one["mean"], [8.62, -6.02, -1.73, -1.73, -9.05, -2.03, -2.03])
    np.testing.assert_allclose(one["var"], [60.75, 31.27, 0.93, 0.93, 35.98, 0.66, 0.66])
    two = em.pedroni_moments(2, "c")
    assert tuple(two.loc["panel_v"]) == (11.754, 104.546)
    assert tuple(em.pedroni_moments(7, "ct").loc["group_ADF"]) == (-4.217, 0.518)
    with pytest.raises(em.EconometricsError, match="1–7 regressors"):
        em.pedroni_moments(8, "c")


def test_kao_pieces_by_brute_force() -> None:
    from linearmodels.panel import PanelOLS

    rng = np.random.default_rng(5)
    x = _walks(rng, 8, 40)
    data = _panel(1 + 2 * x + rng.standard_normal((8, 40)), x=x)
    kao = em.kao_test(data, "y ~ x", lags=0)
    fe = PanelOLS(data["y"], data[["x"]], entity_effects=True).fit()
    assert kao.attrs["beta"]["x"] == pytest.approx(float(fe.params["x"]))
    e = (fe.resids.to_numpy()).reshape(8, 40)
    lag, cur = e[:, :-1].ravel(), e[:, 1:].ravel()
    rho = lag @ cur / (lag @ lag)
    assert kao.attrs["rho"] == pytest.approx(rho)
    s = kao.statistics["value"]
    assert s["DF_t"] == pytest.approx(math.sqrt(1.25) * kao.attrs["t_rho"]
                                      + math.sqrt(1.875 * 8))
    assert s["DF_rho"] == pytest.approx((math.sqrt(8) * 40 * (rho - 1) + 3 * math.sqrt(8))
                                        / math.sqrt(10.2))
    assert kao.p_value < 0.01  # cointegrated


def test_pedroni_group_adf_is_mean_unit_adf() -> None:
    rng = np.random.default_rng(6)
    x = _walks(rng, 6, 60)
    data = _panel(_walks(rng, 6, 60), x=x)
    ped = em.pedroni_test(data, "y", "x", lags=2)
    t = []
    for i in range(6):
        Z = np.column_stack([np.ones(60), x[i]])
        y = data["y"].to_numpy().reshape(6, 60)[i]
        e = y - Z @ np.linalg.lstsq(Z, y, rcond=None)[0]
        stat = adfuller(e, maxlag=2, autolag=None, regression="n")[0]
        n = 60 - 3
        t.append(stat * math.sqrt(n / (n - 3)))  # adfuller: RSS/(n − k); Pedroni: RSS/n
    np.testing.assert_allclose(ped.units["t_adf"], t, rtol=1e-8)
    assert ped.attrs["raw"]["group_ADF"] == pytest.approx(np.sum(t) / math.sqrt(6))
    m, v = em.pedroni_moments(1, "c").loc["group_ADF"]
    assert ped.statistics.loc["group_ADF", "value"] == pytest.approx(
        (np.sum(t) / math.sqrt(6) - m * math.sqrt(6)) / math.sqrt(v))


def test_pedroni_scale_invariant() -> None:
    rng = np.random.default_rng(8)
    x = _walks(rng, 5, 50)
    y = _walks(rng, 5, 50)
    a = em.pedroni_test(_panel(y, x=x), "y", "x").statistics["value"]
    b = em.pedroni_test(_panel(1000 * y, x=x / 7), "y", "x").statistics["value"]
    np.testing.assert_allclose(a, b, rtol=1e-8)


def test_kao_size_and_power() -> None:
    """Kao's ADF over 200 draws (N = 10, T = 50): independent random walks ~ 5 %;
    y = 1 + 2x + iid noise: nearly always rejected."""
    rng = np.random.default_rng(11)
    size = [em.kao_test(_panel(_walks(rng, 10, 50), x=_walks(rng, 10, 50)), "y", "x",
                        lags=0).p_value < 0.05 for _ in range(200)]
    assert 0.02 <= np.mean(size) <= 0.10
    power = []
    for _ in range(50):
        x = _walks(rng, 10, 50)
        power.append(em.kao_test(_panel(1 + 2 * x + rng.standard_normal((10, 50)), x=x),
                                 "y", "x", lags=0).p_value < 0.05)
    assert np.mean(power) > 0.8


@pytest.mark.slow
def test_pedroni_size_and_power() -> None:
    """Pedroni's group ρ, group ADF and panel v over 200 draws (N = 10, T = 100, lags 0):
    size within [0.02, 0.10] (the panel ρ/PP/ADF statistics over-reject at this T, as
    Pedroni 2004 reports for short panels); power > 0.8 with y = 1 + 2x + AR(0.5) noise."""
    rng = np.random.default_rng(12)
    rows = []
    for _ in range(200):
        test = em.pedroni_test(_panel(_walks(rng, 10, 100), x=_walks(rng, 10, 100)), "y",
                               "x", lags=0)
        rows.append(test.statistics["p_value"] < 0.05)
    size = pd.DataFrame(rows).mean()
    for name in ("group_rho", "group_ADF", "panel_v"):
        assert 0.02 <= size[name] <= 0.10, (name, size[name])
    rows = []
    for _ in range(50):
        x = _walks(rng, 10, 100)
        u = np.zeros((10, 100))
        shocks = rng.standard_normal((10, 100))
        for t in range(1, 100):
            u[:, t] = 0.5 * u[:, t - 1] + shocks[:, t]
        test = em.pedroni_test(_panel(1 + 2 * x + u, x=x), "y", "x", lags=0)
        rows.append(test.statistics["p_value"] < 0.05)
    assert (pd.DataFrame(rows).mean() > 0.8).all()


def test_cointegration_table_layout() -> None:
    rng = np.random.default_rng(13)
    x = _walks(rng, 6, 40)
    data = _panel(1 + x + rng.standard_normal((6, 40)), x=x)
    table = em.cointegration_table(data, "y", "x")
    assert list(table.columns) == ["test", "dimension", "statistic", "value", "p_value"]
    assert list(table["test"]) == ["Kao"] * 5 + ["Pedroni"] * 7
    assert list(table["statistic"][5:]) == ["Panel v", "Panel rho", "Panel PP", "Panel ADF",
                                            "Group rho", "Group PP", "Group ADF"]
    assert list(table["dimension"][5:]) == ["within"] * 4 + ["between"] * 3
    trend = em.cointegration_table(data, "y", "x", trend="ct")
    assert set(trend["test"]) == {"Pedroni"} and trend.attrs["notes"]


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Bad inputs
# ─────────────────────────────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    rng = np.random.default_rng(14)
    return _panel(_walks(rng, 4, 30), x=_walks(rng, 4, 30))


def test_unbalanced_panel_names_units_and_years(small: pd.DataFrame) -> None:
    gap = small.drop(index=[(2, 2005), (3, 2010)])
    for call in (lambda: em.llc_test(gap, "y", lags=0),
                 lambda: em.kao_test(gap, "y", "x"),
                 lambda: em.pedroni_test(gap, "y", "x")):
        with pytest.raises(em.EconometricsError, match=r"unbalanced panel.*2: 2005.*3: 2010"):
            call()


def test_too_short_for_the_lags(small: pd.DataFrame) -> None:
    short = small[small.index.get_level_values("year") < 2008]
    with pytest.raises(em.EconometricsError, match="too few years for the lag order"):
        em.llc_test(short, "y", lags=5)
    with pytest.raises(em.EconometricsError, match="too few years for the lag order"):
        em.kao_test(short, "y", "x", lags=5)
    with pytest.raises(em.EconometricsError, match="too few years for the lag order at unit"):
        em.pedroni_test(short, "y", "x", lags=5)
    tiny = small[small.index.get_level_values("year") < 2005]
    with pytest.raises(em.EconometricsError, match="too few years for Pedroni"):
        em.pedroni_test(tiny, "y", "x", trend="ct", lags=0)


def test_constant_series_is_named(small: pd.DataFrame) -> None:
    flat = small.copy()
    flat.loc[3, "x"] = 5.0
    with pytest.raises(em.EconometricsError, match=r"x is constant over time for unit\(s\) 3"):
        em.kao_test(flat, "y", "x")
    with pytest.raises(em.EconometricsError, match=r"x is constant over time for unit\(s\) 3"):
        em.pedroni_test(flat, "y", "x")
    with pytest.raises(em.EconometricsError, match=r"x is constant over time for unit\(s\) 3"):
        em.llc_test(flat, "x", lags=0)


def test_bad_options(small: pd.DataFrame) -> None:
    with pytest.raises(em.EconometricsError, match="trend must be one of"):
        em.llc_test(small, "y", trend="t")  # type: ignore[arg-type]
    with pytest.raises(em.EconometricsError, match="kernel must be one of"):
        em.pedroni_test(small, "y", "x", kernel="parzen")  # type: ignore[arg-type]
    with pytest.raises(em.EconometricsError, match="lags must be"):
        em.kao_test(small, "y", "x", lags=-1)
    with pytest.raises(em.EconometricsError, match="bandwidth must be"):
        em.llc_test(small, "y", lags=0, bandwidth=-2)
    nan = small.copy()
    nan.loc[(2, 2003), "y"] = np.nan
    with pytest.raises(SpatialEconError, match="2003"):
        em.kao_test(nan, "y", "x")
