"""Panel econometrics (spatialecon.econometrics) against published values and brute force.

Data: the Grunfeld investment panel that statsmodels ships, without American Steel — the ten
firms × 20 years of Baltagi's textbook and R plm's ``Grunfeld`` (the FE/RE estimates below
reproduce plm's to every printed digit, which also shows the data are the same).

Reference values and where they are published:

* within / random effects and the Hausman test: Baltagi (2013), *Econometric Analysis of Panel
  Data*, 5th ed., Table 2.1 and §4.3.1 (H = 2.33), as recomputed in R plm's regression test
  ``tests/test_phtest_Hausman_regression.Rout.save`` (chisq = 2.3303669, p = 0.3118654; within
  vcov × 1000; regression-based 2.1313662 and, with ``vcovHC``, 8.2998366);
* clustered standard errors: Stata 17 ``xtreg inv value capital, fe vce(cluster firm)`` /
  ``reghdfe …, absorb(firm) vce(cluster firm)`` (.01519449, .05275177, _cons 27.602861) and
  ``vce(cluster year)`` (.01732792, .03227888, 20.073782), two-way ``absorb(firm year)``
  coefficients (.11771585, .35791627), as logged in the StataFlow validation report
  VAL-PANEL (Stata 17.0 MP); the formulas are also recomputed by brute force below;
* IPS and Fisher-type tests: R plm ``tests/test_purtest.Rout.save`` (purtest on Grunfeld
  ``value`` and ``inv``: W-t-bar −1.419, 1.496, 1.394, unbalanced −1.131, 2.5801 and −3.0337;
  per-unit t-statistics and MacKinnon p-values; Choi's Pm −0.77052, z 1.9998, L* 3.0637);
* Dumitrescu–Hurlin: R plm ``tests/test_pgrangertest.Rout.save`` (Z̃ 3.2896, p 0.001003;
  order 2: Z̃ 1.6832, p 0.09234, Z̄ 2.9657, p 0.00302).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from spatialecon.validation import NonFiniteError

pytest.importorskip("linearmodels")
sm = pytest.importorskip("statsmodels.api")

from scipy import stats  # noqa: E402
from statsmodels.datasets import grunfeld  # noqa: E402
from statsmodels.tsa.adfvalues import mackinnonp  # noqa: E402
from statsmodels.tsa.stattools import adfuller  # noqa: E402

from spatialecon import econometrics as em  # noqa: E402


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    """Grunfeld as a wide panel indexed by (adcode, year); firms numbered 1–10 in plm's order."""
    data = grunfeld.load_pandas().data
    data = data[data["firm"] != "American Steel"].copy()
    codes = {firm: i + 1 for i, firm in enumerate(data["firm"].unique())}
    data["adcode"] = data["firm"].map(codes)
    data["year"] = data["year"].astype(int)
    return data.set_index(["adcode", "year"])[["invest", "value", "capital"]].sort_index()


@pytest.fixture(scope="module")
def tidy(wide: pd.DataFrame) -> pd.DataFrame:
    long = wide.rename(columns={"value": "mvalue"}).reset_index().melt(
        id_vars=["adcode", "year"], var_name="variable", value_name="value")
    return long[["adcode", "year", "variable", "value"]]


FORMULA = "invest ~ value + capital"


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Fixed and random effects
# ─────────────────────────────────────────────────────────────────────────────────────────────


def test_within_conventional_matches_baltagi_plm_and_stata(wide: pd.DataFrame) -> None:
    fe = em.fixed_effects(wide, FORMULA, effects="entity", cluster=None)
    assert fe.loc["value", "estimate"] == pytest.approx(0.11012380, abs=5e-9)
    assert fe.loc["capital", "estimate"] == pytest.approx(0.31006534, abs=5e-9)
    assert fe.loc["const", "estimate"] == pytest.approx(-58.743939, abs=1e-5)
    assert fe.loc["value", "std_error"] == pytest.approx(0.01185669, abs=5e-9)
    assert fe.loc["capital", "std_error"] == pytest.approx(0.01735450, abs=5e-9)
    assert fe.loc["const", "std_error"] == pytest.approx(12.453692, abs=1e-5)
    V = pd.DataFrame(fe.attrs["vcov_conventional"]).loc[["value", "capital"],
                                                        ["value", "capital"]] * 1000
    np.testing.assert_allclose(V.to_numpy(), [[0.14058119769, -0.07746798877],
                                              [-0.07746798877, 0.30117876659]], rtol=1e-9)
    fit = fe.attrs["fit"]
    assert fit["r2_within"] == pytest.approx(0.766758, abs=1e-6)  # Stata e(r2_w)
    assert fit["df_resid"] == 188 and fe.attrs["conventions"]["t_df"] == 188
    assert fe.attrs["conventions"]["cluster"] is None


def test_clustered_standard_errors_match_stata(wide: pd.DataFrame) -> None:
    by_firm = em.fixed_effects(wide, FORMULA, effects="entity", cluster="entity")
    # Stata prints 8 decimals for the slopes; its _cons differs from ours by 4e-6 (1.5e-7
    # relative) — the same gap as its coefficient −58.743932 against −58.743939
    np.testing.assert_allclose(by_firm["std_error"].iloc[1:], [0.01519449, 0.05275177],
                               atol=5e-9)
    assert by_firm.loc["const", "std_error"] == pytest.approx(27.602861, rel=2e-7)
    assert by_firm.attrs["conventions"]["t_df"] == 9  # G − 1, Stata's df_r
    t = by_firm.loc["value", "estimate"] / by_firm.loc["value", "std_error"]
    assert by_firm.loc["value", "p_value"] == pytest.approx(2 * stats.t.sf(t, 9))
    by_year = em.fixed_effects(wide, FORMULA, effects="entity", cluster="time")
    np.testing.assert_allclose(by_year["std_error"].iloc[1:], [0.01732792, 0.03227888],
                               atol=5e-9)
    assert by_year.loc["const", "std_error"] == pytest.approx(20.073782, rel=2e-7)
    assert by_year.attrs["conventions"]["t_df"] == 19


def within(frame: pd.DataFrame, levels: tuple[str, ...]) -> pd.DataFrame:
    out = frame.copy()
    for level in levels:
        out = out - out.groupby(level=level).transform("mean")
    return out


def sandwich(X: np.ndarray, e: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """(X'X)⁻¹ Σ_g X_g'e_g e_g'X_g (X'X)⁻¹, written out."""
    bread = np.linalg.inv(X.T @ X)
    meat = np.zeros((X.shape[1], X.shape[1]))
    for g in np.unique(groups):
        s = X[groups == g].T @ e[groups == g]
        meat += np.outer(s, s)
    return bread @ meat @ bread


def test_two_way_fe_entity_clusters_by_brute_force(wide: pd.DataFrame) -> None:
    """Stata's ``xtreg inv value capital i.year, fe vce(cluster firm)``: entity-demeaned data
    with year dummies, K = 2 slopes + constant + 19 year dummies."""
    fe = em.fixed_effects(wide, FORMULA, effects="twoway", cluster="entity")
    assert fe.loc["value", "estimate"] == pytest.approx(0.11771585, abs=1e-8)  # reghdfe
    assert fe.loc["capital", "estimate"] == pytest.approx(0.35791627, abs=1e-8)
    years = wide.index.get_level_values("year")
    dummies = pd.get_dummies(years, prefix="y", drop_first=True, dtype=float)
    dummies.index = wide.index
    data = within(wide[["invest", "value", "capital"]].join(dummies), ("adcode",))
    X = data.drop(columns="invest").to_numpy()
    b, *_ = np.linalg.lstsq(X, data["invest"].to_numpy(), rcond=None)
    e = data["invest"].to_numpy() - X @ b
    n, G, K = len(wide), 10, 2 + 1 + 19
    V = sandwich(X, e, wide.index.get_level_values("adcode").to_numpy())
    V *= G / (G - 1) * (n - 1) / (n - K)
    np.testing.assert_allclose(b[:2], fe.loc[["value", "capital"], "estimate"], rtol=1e-10)
    np.testing.assert_allclose(np.sqrt(np.diag(V))[:2], fe.loc[["value", "capital"],
                                                               "std_error"], rtol=1e-8)
    assert fe.attrs["conventions"]["K"] == K


def test_two_way_clustering_by_brute_force(wide: pd.DataFrame) -> None:
    """Cameron–Gelbach–Miller: c_e V_firm + c_t V_year − c_0 V_firm-year, each with its own
    G/(G − 1), negative eigenvalues set to zero."""
    with pytest.warns(RuntimeWarning, match="not positive semidefinite"):
        fe = em.fixed_effects(wide, FORMULA, effects="entity", cluster="twoway")
    data = within(wide, ("adcode",))
    # linearmodels keeps the constant as a column of the transformed design (the grand mean
    # added back), so do the same: regress on [1, x − x̄_i + x̄]
    Xr = data[["value", "capital"]] + wide[["value", "capital"]].mean()
    yr = data["invest"] + wide["invest"].mean()
    X = np.column_stack([np.ones(len(wide)), Xr.to_numpy()])
    b, *_ = np.linalg.lstsq(X, yr.to_numpy(), rcond=None)
    e = yr.to_numpy() - X @ b
    n, K = len(wide), 3
    firms = wide.index.get_level_values("adcode").to_numpy()
    years = wide.index.get_level_values("year").to_numpy()
    V = (10 / 9 * (n - 1) / (n - K) * sandwich(X, e, firms)
         + 20 / 19 * (n - 1) / (n - K) * sandwich(X, e, years)
         - n / (n - K) * sandwich(X, e, np.arange(n)))
    values, vectors = np.linalg.eigh(V)
    assert values.min() < 0  # why the warning
    V = (vectors * np.clip(values, 0, None)) @ vectors.T
    np.testing.assert_allclose(fe["estimate"], b, rtol=1e-9)
    np.testing.assert_allclose(fe["std_error"], np.sqrt(np.diag(V)), rtol=1e-8)
    conv = fe.attrs["conventions"]
    assert conv["psd_fix"] and conv["t_df"] == 9 and conv["clusters"] == {"entity": 10,
                                                                          "time": 20}


def test_random_effects_matches_baltagi_and_plm(wide: pd.DataFrame) -> None:
    re = em.random_effects(wide, FORMULA, cluster=None)
    np.testing.assert_allclose(re["estimate"], [-57.834415, 0.109781, 0.308113], atol=1e-6)
    np.testing.assert_allclose(re["std_error"], [28.898935, 0.010493, 0.017180], atol=1e-6)
    fit = re.attrs["fit"]
    # plm's ercomp: individual variance 7089.8 (sd 84.20), idiosyncratic 2784.46, theta 0.8612
    assert fit["sigma_u"] ** 2 == pytest.approx(7089.800, abs=1e-3)
    assert fit["sigma_e"] ** 2 == pytest.approx(2784.458, abs=1e-3)
    assert fit["theta"] == pytest.approx(0.8612, abs=1e-4)
    assert re.attrs["conventions"]["variance_components"] == "Swamy–Arora"


def test_random_effects_clustered_by_brute_force(wide: pd.DataFrame) -> None:
    re = em.random_effects(wide, FORMULA, cluster="entity")
    theta = re.attrs["fit"]["theta"]
    data = wide[["invest", "value", "capital"]].assign(const=1.0)
    quasi = data - theta * data.groupby(level="adcode").transform("mean")
    X = quasi[["const", "value", "capital"]].to_numpy()
    b, *_ = np.linalg.lstsq(X, quasi["invest"].to_numpy(), rcond=None)
    e = quasi["invest"].to_numpy() - X @ b
    n, G, K = len(wide), 10, 3
    V = sandwich(X, e, wide.index.get_level_values("adcode").to_numpy())
    V *= G / (G - 1) * (n - 1) / (n - K)
    np.testing.assert_allclose(re["estimate"], b, rtol=1e-8)
    np.testing.assert_allclose(re["std_error"], np.sqrt(np.diag(V)), rtol=1e-7)


def test_random_effects_with_year_dummies(wide: pd.DataFrame) -> None:
    re = em.random_effects(wide, FORMULA, time_dummies=True, cluster=None)
    assert (re["kind"] == "time").sum() == 19
    assert list(re.index[:3]) == ["const", "value", "capital"]
    assert re.index[3] == "year=1936"


def test_tidy_panel_and_formula_give_the_same_model(wide: pd.DataFrame,
                                                    tidy: pd.DataFrame) -> None:
    a = em.fixed_effects(wide, "invest", ["value", "capital"])
    b = em.fixed_effects(tidy, "invest ~ mvalue + capital")
    np.testing.assert_allclose(a["estimate"], b["estimate"])
    assert list(b.index) == ["const", "mvalue", "capital"]
    assert b.attrs["y"] == "invest" and b.attrs["x"] == ["mvalue", "capital"]
    assert b.attrs["fit"]["n_obs"] == 200 and b.attrs["fit"]["n_entities"] == 10
    assert set(b.columns) >= {"estimate", "std_error", "t_stat", "p_value", "ci_lower",
                              "ci_upper", "kind"}
    q = stats.t.ppf(0.975, 9)
    row = b.loc["mvalue"]
    assert row["ci_upper"] == pytest.approx(row["estimate"] + q * row["std_error"])


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Hausman
# ─────────────────────────────────────────────────────────────────────────────────────────────


def test_hausman_matches_plm_and_baltagi(wide: pd.DataFrame) -> None:
    fe = em.fixed_effects(wide, FORMULA, effects="entity")  # clustering is ignored
    re = em.random_effects(wide, FORMULA)
    h = em.hausman(fe, re)
    assert h.statistic == pytest.approx(2.3303669, abs=5e-7)
    assert h.p_value == pytest.approx(0.3118654, abs=5e-7)
    assert h.statistics.loc["H", "df"] == 2
    assert not h.attrs["generalised_inverse"]
    assert list(h.units.index) == ["value", "capital"]


def test_hausman_generalised_inverse_when_difference_is_indefinite() -> None:
    def result(b: list[float], V: np.ndarray) -> pd.DataFrame:
        t = pd.DataFrame({"estimate": b, "kind": ["x", "x"]},
                         index=pd.Index(["a", "b"], name="term"))
        t.attrs = {"y": "y", "n_obs": 50, "model": "m",
                   "vcov_conventional": {r: {c: float(V[i, j]) for j, c in enumerate("ab")}
                                         for i, r in enumerate("ab")}}
        return t

    Vf = np.array([[2.0, 0.0], [0.0, 1.0]])
    Vr = np.array([[1.0, 0.0], [0.0, 1.5]])  # difference diag(1, −0.5): indefinite
    with pytest.warns(RuntimeWarning, match="not positive definite"):
        h = em.hausman(result([1.0, 2.0], Vf), result([0.5, 1.0], Vr))
    # only the positive direction (a) counts: 0.5² / 1, df = 1
    assert h.statistic == pytest.approx(0.25)
    assert h.statistics.loc["H", "df"] == 1
    assert h.p_value == pytest.approx(stats.chi2.sf(0.25, 1))
    assert h.attrs["generalised_inverse"] and h.attrs["eigenvalues"] == pytest.approx(
        [-0.5, 1.0])


def test_regression_based_hausman_matches_plm(wide: pd.DataFrame) -> None:
    plain = em.hausman_regression(wide, FORMULA, cluster=None)
    assert plain.statistic == pytest.approx(2.1313662, abs=5e-7)
    hc0 = em.hausman_regression(wide, FORMULA, small_sample=False)
    assert hc0.statistic == pytest.approx(8.2998366, abs=5e-7)
    stata = em.hausman_regression(wide, FORMULA)
    n, G, K = 200, 10, 5  # aux regression: 1 − θ, value, capital and their within parts
    assert stata.statistic == pytest.approx(hc0.statistic / (G / (G - 1) * (n - 1) / (n - K)))


def test_hausman_refuses_different_samples(wide: pd.DataFrame) -> None:
    fe = em.fixed_effects(wide, FORMULA, effects="entity")
    re = em.random_effects(wide.iloc[20:], FORMULA)
    with pytest.raises(em.EconometricsError, match="different dependent variables or samples"):
        em.hausman(fe, re)


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Unit roots
# ─────────────────────────────────────────────────────────────────────────────────────────────

PLM_TRHO_LAG0 = [-3.0980241, -3.9708351, -2.4918122, -4.4232340, -0.2247631, 2.0376353,
                 -1.5074566, -1.4013933, -1.4852375, -2.8137835]
PLM_P1994_LAG2 = [0.5672441, 0.3620596, 0.4915140, 0.2216450, 0.9508124, 0.9990856,
                  0.4027346, 0.9945090, 0.2550634, 0.2370414]
PLM_P1996_LAG2 = [0.5685499, 0.3626320, 0.4906848, 0.2218810, 0.9492112, 0.9999971,
                  0.4031653, 0.9969373, 0.2554070, 0.2373267]


def test_ips_matches_plm(wide: pd.DataFrame) -> None:
    lag0 = em.ips_test(wide, "value", lags=0)
    np.testing.assert_allclose(lag0.units["t_stat"], PLM_TRHO_LAG0, atol=5e-8)
    np.testing.assert_allclose(lag0.units[["mean", "var"]].iloc[0], [-1.5204, 0.8654])
    assert round(lag0.statistic, 3) == -1.419 and round(lag0.p_value, 3) == 0.078
    two = em.ips_test(wide, "value", lags=2)
    np.testing.assert_allclose(two.units[["mean", "var"]].iloc[0], [-1.4034, 1.0344])
    assert round(two.statistic, 3) == 1.496 and round(two.p_value, 3) == 0.933
    four = em.ips_test(wide, "value", lags=4)
    assert round(four.statistic, 3) == 1.394 and round(four.p_value, 3) == 0.918
    # plm's default dfcor = FALSE and SIC lag choice with pmax = 4 (its documented example)
    sic = em.ips_test(wide, "invest", lags="bic", max_lags=4, dof_correction=False)
    assert sic.statistic == pytest.approx(2.5801, abs=5e-5)
    assert sic.p_value == pytest.approx(0.9951, abs=5e-5)
    trend = em.ips_test(wide, "invest", trend="ct", lags="bic", max_lags=4,
                        dof_correction=False)
    assert trend.statistic == pytest.approx(-3.0337, abs=5e-5)
    assert trend.p_value == pytest.approx(0.001208, abs=5e-7)
    assert lag0.statistics.loc["t_bar", "value"] == pytest.approx(np.mean(PLM_TRHO_LAG0))


def test_ips_unbalanced_matches_plm(wide: pd.DataFrame) -> None:
    """plm ``pG[1:190, ]``: firm 10 keeps 1935–1944, 9 DF observations, below the table
    (plm uses the T = 10 moments with a warning)."""
    with pytest.warns(RuntimeWarning, match="T = 9 below the table"):
        ips = em.ips_test(wide.iloc[:190], "value", lags=0, balanced=False)
    assert round(ips.statistic, 3) == -1.131 and round(ips.p_value, 3) == 0.129
    assert ips.units.loc[10, "t_stat"] == pytest.approx(-1.9879749, abs=5e-8)
    np.testing.assert_allclose(ips.units.loc[10, ["mean", "var"]], [-1.504, 1.069])


def test_ips_moments_table_lookup() -> None:
    assert em.ips_moments(19, 0) == pytest.approx((-1.5204, 0.8654, ""))
    assert em.ips_moments(20, 3, "ct")[:2] == (-2.032, 0.983)  # a tabulated cell
    with pytest.raises(em.EconometricsError, match="no moments for 8 lags with 11"):
        em.ips_moments(11, 8)
    with pytest.raises(em.EconometricsError, match="intercept"):
        em.ips_moments(20, 0, "n")  # type: ignore[arg-type]


def test_default_max_lags_reproduces_eviews_max_lag_column(wide: pd.DataFrame) -> None:
    """EViews "Intermediate ADF test results" print Max Lag 6 for 29 observations, 2 for 15
    and 1 for 8 (forum outputs of EViews panel unit-root tests); 20 years give 4."""
    assert [em.default_max_lags(T) for T in (29, 15, 8, 20)] == [6, 2, 1, 4]
    units = em.adf_by_unit(wide, "invest")  # lags="bic", max_lags default
    assert units["lags"].max() <= 4 and units.attrs["lags"] == "bic"


def test_adf_by_unit_equals_statsmodels_adfuller(wide: pd.DataFrame) -> None:
    units = em.adf_by_unit(wide, "invest", trend="c", lags="aic", max_lags=3)
    for unit, row in units.iterrows():
        s = wide.loc[unit, "invest"].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            t, p, lag, nobs, *_ = adfuller(s, maxlag=3, regression="c", autolag="AIC")
        assert (row["t_stat"], row["lags"], row["obs"]) == (pytest.approx(t), lag, nobs)
        assert row["p_value"] == pytest.approx(p, abs=1e-12)
    diff = em.adf_by_unit(wide, "invest", lags=1, difference=1)
    assert (diff["T"] == 19).all() and (diff["obs"] == 17).all()


def test_mackinnon_p_is_statsmodels_inside_its_range_and_plm_outside() -> None:
    for trend in ("n", "c", "ct"):
        for t in np.linspace(-6, 0.6, 23):
            assert em.mackinnon_p(t, trend) == pytest.approx(mackinnonp(t, trend), abs=1e-12)
    assert mackinnonp(2.80099666, "c") == 1.0  # statsmodels' cut-off above τ_max = 2.74
    assert em.mackinnon_p(2.80099666, "c") == pytest.approx(0.9990856, abs=5e-8)  # plm 1994


def test_fisher_unit_p_values_match_plm(wide: pd.DataFrame) -> None:
    fisher = em.fisher_test(wide, "value", lags=2)
    np.testing.assert_allclose(fisher.units["p_value"], PLM_P1994_LAG2, atol=5e-8)
    p = fisher.units["p_value"].to_numpy()
    assert fisher.statistic == pytest.approx(-2 * np.log(p).sum())
    assert fisher.statistics.loc["P", "df"] == 20


def test_fisher_combination_formulas() -> None:
    """Choi's statistics from plm's printed (MacKinnon 1996) p-values; P and Z also equal
    scipy's Fisher and Stouffer combinations."""
    s = em.fisher_combination(PLM_P1996_LAG2)
    assert s.loc["Pm", "value"] == pytest.approx(-0.77052, abs=1e-5)  # printed p rounded
    assert s.loc["Pm", "p_value"] == pytest.approx(0.7795, abs=5e-5)
    # plm prints z = 1.9998, L* = 3.0637 from unrounded p-values; firm 6's p = 0.9999971 is
    # printed to 7 digits, and Φ⁻¹ there moves ~6·10⁴ per unit of p, hence the tolerance
    assert s.loc["Z", "value"] == pytest.approx(1.9998, abs=2e-3)
    assert s.loc["L*", "value"] == pytest.approx(3.0637, abs=5e-3)
    assert s.loc["L*", "df"] == 54
    p = np.array(PLM_P1996_LAG2)
    fisher = stats.combine_pvalues(p, method="fisher")
    assert s.loc["P", "value"] == pytest.approx(fisher.statistic)
    assert s.loc["P", "p_value"] == pytest.approx(fisher.pvalue)
    stouffer = stats.combine_pvalues(p, method="stouffer")
    assert s.loc["Z", "value"] == pytest.approx(-stouffer.statistic)  # Choi: Φ⁻¹(p), left
    assert s.loc["Z", "p_value"] == pytest.approx(stouffer.pvalue)
    with pytest.raises(em.EconometricsError, match="strictly between 0 and 1"):
        em.fisher_combination([0.5, 1.0])


def test_unit_root_table_layout(wide: pd.DataFrame) -> None:
    table = em.unit_root_table(wide, ["invest", "value"], lags=1)
    assert len(table) == 2 * 2 * 3
    assert list(table.columns) == ["variable", "difference", "test", "statistic", "p_value",
                                   "lags"]
    row = table[(table["variable"] == "value") & (table["difference"] == 0)
                & (table["test"] == "IPS W-t-bar")].iloc[0]
    assert row["statistic"] == pytest.approx(em.ips_test(wide, "value", lags=1).statistic)


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Dumitrescu–Hurlin
# ─────────────────────────────────────────────────────────────────────────────────────────────


def test_dumitrescu_hurlin_matches_plm(wide: pd.DataFrame) -> None:
    one = em.dumitrescu_hurlin(wide, "invest", "value", lags=1)
    assert one.statistic == pytest.approx(3.2896, abs=5e-5)
    assert one.p_value == pytest.approx(0.001003, abs=5e-7)
    two = em.dumitrescu_hurlin(wide, "invest", "value", lags=2)
    assert two.statistic == pytest.approx(1.6832, abs=5e-5)
    assert two.p_value == pytest.approx(0.09234, abs=5e-6)
    assert two.statistics.loc["Z_bar", "value"] == pytest.approx(2.9657, abs=5e-5)
    assert two.statistics.loc["Z_bar", "p_value"] == pytest.approx(0.00302, abs=5e-6)


def test_dumitrescu_hurlin_by_brute_force(wide: pd.DataFrame) -> None:
    K, N, T = 2, 10, 20
    dh = em.dumitrescu_hurlin(wide, "invest", "value", lags=K)
    W = []
    for unit in range(1, 11):
        frame = wide.loc[unit, ["invest", "value"]]
        lagged = pd.concat({f"{v}_l{j}": frame[v].shift(j) for v in ("invest", "value")
                            for j in range(1, K + 1)}, axis=1)
        data = pd.concat([frame["invest"], lagged], axis=1).dropna()
        ols = sm.OLS(data["invest"], sm.add_constant(data.drop(columns="invest"))).fit()
        wald = ols.wald_test(" = 0, ".join(f"value_l{j}" for j in range(1, K + 1)) + " = 0",
                             use_f=False, scalar=True)
        W.append(float(wald.statistic))
    np.testing.assert_allclose(dh.units["W"], W, rtol=1e-9)
    Wbar = np.mean(W)
    assert dh.statistics.loc["W_bar", "value"] == pytest.approx(Wbar)
    assert dh.statistics.loc["Z_bar", "value"] == pytest.approx(math.sqrt(N / (2 * K))
                                                                * (Wbar - K))
    # DH (2012) eq. 29 with T → T − K (Lopez & Weber 2017), balanced form
    zt = (math.sqrt(N / (2 * K) * (T - 3 * K - 5) / (T - 2 * K - 3))
          * ((T - 3 * K - 3) / (T - 3 * K - 1) * Wbar - K))
    assert dh.statistic == pytest.approx(zt)
    assert (dh.units["T"] == T - K).all()


def test_dumitrescu_hurlin_unbalanced_reduces_to_eq33(wide: pd.DataFrame) -> None:
    dh = em.dumitrescu_hurlin(wide.iloc[:195], "invest", "value", lags=1, balanced=False)
    assert "Z_bar" not in dh.statistics.index and not dh.attrs["balanced"]
    Ti = np.array([20] * 9 + [15], dtype=float)
    K, N = 1, 10
    mean = K * (Ti - 3 * K - 1) / (Ti - 3 * K - 3)
    var = 2 * K * (Ti - 3 * K - 1) ** 2 * (Ti - 2 * K - 3) / ((Ti - 3 * K - 3) ** 2
                                                              * (Ti - 3 * K - 5))
    expected = math.sqrt(N) * (dh.units["W"].mean() - mean.mean()) / math.sqrt(var.mean())
    assert dh.statistic == pytest.approx(expected)


def test_granger_table_both_directions(wide: pd.DataFrame) -> None:
    table = em.granger_table(wide, "value", "invest", lags=(1, 2))
    assert list(table["null_hypothesis"]) == ["value does not Granger-cause invest",
                                              "invest does not Granger-cause value"] * 2
    assert table.loc[0, "Z_bar_tilde"] == pytest.approx(3.2896, abs=5e-5)


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Bad input
# ─────────────────────────────────────────────────────────────────────────────────────────────


def test_gaps_are_errors_naming_units_and_years(wide: pd.DataFrame) -> None:
    holed = wide.drop(index=[(3, 1940), (3, 1941), (7, 1950)])
    with pytest.raises(em.EconometricsError, match=r"3: 1940, 1941; 7: 1950"):
        em.fixed_effects(holed, FORMULA)
    with pytest.raises(em.EconometricsError, match=r"gaps inside units' series.*3: 1940, 1941"):
        em.ips_test(holed, "value", lags=0, balanced=False)
    # unbalanced estimation is allowed where the method allows it
    fe = em.fixed_effects(holed, FORMULA, balanced=False)
    assert fe.attrs["fit"]["n_obs"] == 197


def test_too_few_years_for_the_lag_order(wide: pd.DataFrame) -> None:
    short = wide[wide.index.get_level_values("year") < 1945]  # 10 years
    with pytest.raises(em.EconometricsError, match=r"too few years for lag order 2.*more than "
                                                   r"11 years"):
        em.dumitrescu_hurlin(short, "invest", "value", lags=2)
    with pytest.raises(em.EconometricsError, match="too few years for the lag order at unit 1"):
        em.adf_by_unit(short, "invest", lags=4)


def test_unequally_spaced_years_are_errors(wide: pd.DataFrame) -> None:
    """The seed's Tables 4–5 print 2000, 2004, 2008, 2012, 2016, 2019: no lags across those."""
    years = wide.index.get_level_values("year")
    sparse = wide[years.isin([1935, 1939, 1943, 1947, 1951, 1954])]
    with pytest.raises(em.EconometricsError, match=r"not equally spaced \(1935, 1939"):
        em.ips_test(sparse, "value", lags=0)
    with pytest.raises(em.EconometricsError, match="not equally spaced"):
        em.dumitrescu_hurlin(sparse, "invest", "value")


def test_constant_series_are_errors(wide: pd.DataFrame) -> None:
    flat = wide.copy()
    flat.loc[4, "value"] = 7.0
    with pytest.raises(em.EconometricsError, match="value is constant over time for unit"
                                                   r"\(s\) 4"):
        em.ips_test(flat, "value", lags=0)
    with pytest.raises(em.EconometricsError, match="constant over time for unit"):
        em.dumitrescu_hurlin(flat, "invest", "value")
    absorbed = wide.assign(size=wide.groupby(level="adcode")["capital"].transform("mean"))
    with pytest.raises(em.EconometricsError, match=r"\['size'\] do not vary within units"):
        em.fixed_effects(absorbed, "invest ~ value + size")


def test_other_bad_input(wide: pd.DataFrame, tidy: pd.DataFrame) -> None:
    with pytest.raises(em.EconometricsError, match=r"\['gdp'\] are not in the panel"):
        em.fixed_effects(tidy, "invest ~ gdp")
    doubled = pd.concat([tidy, tidy.iloc[:1]])
    with pytest.raises(em.EconometricsError, match="given more than once: 1 1935 invest"):
        em.fixed_effects(doubled, "invest ~ mvalue")
    missing = wide.copy()
    missing.loc[(2, 1939), "capital"] = np.nan
    with pytest.raises(NonFiniteError, match=r"capital: 1 non-finite value\(s\) — NaN at 2 \(1939"):
        em.random_effects(missing, FORMULA)
    with pytest.raises(em.EconometricsError, match="without an intercept"):
        em.fixed_effects(wide, "invest ~ value - 1")
    with pytest.raises(em.EconometricsError, match="either a formula"):
        em.fixed_effects(wide, FORMULA, ["value"])
    with pytest.raises(em.EconometricsError, match="cluster must be"):
        em.fixed_effects(wide, FORMULA, cluster="firm")  # type: ignore[arg-type]
    with pytest.raises(em.EconometricsError, match="lags must be"):
        em.adf_by_unit(wide, "value", lags="hq")  # type: ignore[arg-type]
    assert em.parse_formula("y ~ 1 + `a+b` + c") == ("y", ["a+b", "c"])
