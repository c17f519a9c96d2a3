"""Mediation and moderation (spatialecon.econometrics.mediation) against independent sources.

* Path coefficients: statsmodels OLS on the same design (pooled; clustered s.e. with Stata's
  small-sample factor), a within regression written here with pandas group means and numpy
  ``lstsq`` (fixed effects), and the package's linearmodels-based ``fixed_effects`` (s.e.).
* Sobel s.e. and the bias-corrected interval: the formulas written out in the tests.
* Bootstrap: a cluster bootstrap written here (pandas concatenation of resampled units, new
  unit ids, statsmodels / numpy refits) with the same ``default_rng`` draws.
* Published example: Hayes (2018), *Introduction to Mediation, Moderation, and Conditional
  Process Analysis*, 2nd ed., ch. 3 — the presumed-media-influence data (``pmi``, n = 123;
  ``cond`` → ``pmi`` → ``reaction``) and its simple mediation model, printed as a = 0.477,
  b = 0.506, c′ = 0.254, indirect effect 0.241. The values below are read from the Mplus 7.11
  output of the same model in the companion files of A. S. Kurz's *Recoding Hayes (2018)*
  (GitHub ASKurz/recoding-Hayes-2018, ``data/pmi/reaction on cond med by pmi boot 10000
  percentile.out``): PMI ON COND 0.477, REACTION ON COND 0.254, ON PMI 0.506, intercepts
  0.527 and 5.377, INDIRCT1 0.241, 10 000 percentile-bootstrap 95 % interval [0.006, 0.515],
  and its sample statistics (means 0.472, 3.484, 5.602; covariances), which check the data
  transcribed here (columns cond, pmi, reaction of ``data/pmi/pmi.txt``).
* Simulation: a panel DGP with a = 0.5, b = 0.4.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spatialecon.econometrics import (
    EconometricsError,
    fixed_effects,
    mediation,
    moderation,
)
from spatialecon.validation import DegenerateError, NonFiniteError, ParameterError

sm = pytest.importorskip("statsmodels.api")
pytest.importorskip("linearmodels")

# cond pmi reaction — Hayes (2018) pmi data, rows in file order
PMI = """
1 7 5.25|0 6 1.25|1 5.5 5|0 6.5 2.75|0 6 2.5|0 5.5 1.25|0 3.5 1.5|1 6 4.75|0 4.5 4.25|0 7 6.25
1 1 1.25|0 6 2.75|1 5 3.75|0 7 5|1 7 4|1 7 5|0 4.5 3.5|0 3.5 2.25|1 7 4.5|0 7 5.75
1 4.5 2.75|1 6 3.75|1 6 2.75|1 4 4|1 7 5|0 4 2|1 6.5 4|0 6 1.75|1 6.5 3.5|0 6 4.75
0 4 4|1 7 3|0 6 5.75|0 7 2.75|1 6.5 3.25|0 5.5 5.5|1 6 3.25|0 2 1.25|1 4.5 2|0 4 2.5
0 7 3|0 6 5.75|1 7 1.5|0 5 4|1 7 1.25|1 7 3.25|0 5 3.75|0 6 2.75|0 5.5 3|1 7 6
0 3.5 3.25|1 7 2.75|0 6 5|0 3.5 1.5|1 7 7|1 5 5|1 1.5 1.75|0 6.5 2.25|1 6 3.5|0 7 3.5
0 7 6.75|1 6 4.25|1 6 4|0 4 2.25|0 3.5 3|0 6 5.5|1 6 1.75|1 6 4.5|0 5 4.25|0 3 1.5
1 7 2|0 6 1.5|1 5 3.25|0 5 1|1 5.5 1.5|0 5.5 1|0 6 2.5|0 2.5 1|1 4.5 3|0 5 2.5
0 6 1|1 5 3.75|1 7 1.75|1 5 2.75|1 4.5 5.25|1 6.5 5.25|1 7 5|0 6 5|1 5 5|1 7 6.5
0 5.5 3|1 6 2.75|1 6 4.25|1 7 7|1 4 5.75|1 6.5 3|1 5 4.5|0 7 4.25|0 7 4.5|0 5 3.75
0 7 4.75|0 7 2.5|0 5 1|0 6 6|0 5 2|0 6.5 5|1 7 5|1 6.5 4.25|1 6 2|1 5 3.5
1 5.5 1.75|1 5.5 3.5|1 5 2.25|1 7 5.5|0 1.5 1|0 6 3|0 5.5 2.25|0 6.5 4.75|0 4.5 2.25|0 3.5 1.5
0 6 5.75|0 6.5 5.25|0 5.5 3
"""


def pmi_data() -> pd.DataFrame:
    rows = [r.split() for r in PMI.replace("\n", "|").split("|") if r.strip()]
    frame = pd.DataFrame(np.array(rows, dtype=float), columns=["cond", "pmi", "reaction"])
    frame.index = pd.Index(range(1, len(frame) + 1), name="adcode")
    return frame


def make_panel(seed: int = 0, G: int = 30, T: int = 12, a: float = 0.5, b: float = 0.4,
               c: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product([range(110000, 110000 + 100 * G, 100),
                                        range(2005, 2005 + T)], names=["adcode", "year"])
    n = len(index)
    unit = np.repeat(rng.normal(size=G), T)
    year = np.tile(rng.normal(size=T), G)
    x = rng.normal(size=n) + unit + year
    z = rng.normal(size=n)
    m = a * x + 0.3 * z + rng.normal(size=n) + unit - year
    y = c * x + b * m + 0.2 * z + rng.normal(size=n) + unit + 0.5 * year
    return pd.DataFrame({"y": y, "x": x, "m": m, "z": z}, index=index)


def within(frame: pd.DataFrame, effects: str | None) -> pd.DataFrame:
    """Within transformation by pandas group means (balanced panel), grand mean added."""
    if effects is None:
        return frame
    units = frame.index.get_level_values(0)
    years = frame.index.get_level_values(1)
    out = frame - frame.groupby(units).transform("mean")
    if effects == "twoway":
        out = out - out.groupby(years).transform("mean")
    return out + frame.mean()


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Published example
# ─────────────────────────────────────────────────────────────────────────────────────────────


def test_pmi_data_match_mplus_sample_statistics():
    data = pmi_data()
    assert len(data) == 123
    np.testing.assert_allclose(data[["cond", "reaction", "pmi"]].mean().round(3),
                               [0.472, 3.484, 5.602])
    cov = data[["cond", "reaction", "pmi"]].cov().round(3)  # Mplus basic: n − 1 divisor
    assert cov.loc["cond", "cond"] == 0.251 and cov.loc["reaction", "reaction"] == 2.403
    assert cov.loc["pmi", "pmi"] == 1.746 and cov.loc["reaction", "cond"] == 0.125
    assert cov.loc["pmi", "cond"] == 0.120 and cov.loc["pmi", "reaction"] == 0.915


def test_hayes_pmi_example_reproduces_printed_paths_and_indirect_effect():
    res = mediation(pmi_data(), "reaction", "cond", "pmi", cluster=None, bootstrap=2000,
                    seed=20180101)
    paths = res.paths["estimate"].round(3)
    assert paths["a"] == 0.477 and paths["b"] == 0.506 and paths["c′"] == 0.254
    assert round(res.indirect["estimate"], 3) == 0.241
    assert round(res.steps["第二步"].loc["const", "estimate"], 3) == 5.377
    assert round(res.steps["第三步"].loc["const", "estimate"], 3) == 0.527
    # total effect c = c′ + ab exactly (same sample, OLS)
    assert res.paths.loc["c", "estimate"] == pytest.approx(
        res.paths.loc["c′", "estimate"] + res.indirect["estimate"], abs=1e-12)
    assert round(res.steps["第三步"].attrs["r2"], 3) == 0.206   # Mplus R-SQUARE REACTION
    assert round(res.steps["第二步"].attrs["r2"], 3) == 0.033   # PMI
    # Mplus, 10 000 percentile-bootstrap draws: [0.006, 0.515]; ours, 2000 draws
    assert res.indirect["ci_lower"] == pytest.approx(0.006, abs=0.03)
    assert res.indirect["ci_upper"] == pytest.approx(0.515, abs=0.03)
    assert res.indirect["boot_se"] == pytest.approx(0.129, abs=0.005)  # Mplus bootstrap S.E.


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Paths against statsmodels, a numpy within regression and fixed_effects
# ─────────────────────────────────────────────────────────────────────────────────────────────

SPECS = {"第一步": ("y", ["x", "z"]), "第二步": ("m", ["x", "z"]), "第三步": ("y", ["x", "m", "z"])}


def test_pooled_paths_equal_statsmodels_ols_with_clusters():
    data = make_panel()
    res = mediation(data, "y", "x", "m", controls="z", bootstrap=0)
    groups = data.index.get_level_values("adcode").to_numpy()
    G = len(np.unique(groups))
    for step, (out, regs) in SPECS.items():
        fit = sm.OLS(data[out], sm.add_constant(data[regs])).fit(
            cov_type="cluster", cov_kwds={"groups": groups})
        mine = res.steps[step]
        np.testing.assert_allclose(mine["estimate"].to_numpy(), fit.params.to_numpy(),
                                   rtol=0, atol=1e-10)
        np.testing.assert_allclose(mine["std_error"].to_numpy(), fit.bse.to_numpy(),
                                   rtol=1e-10)
        t = fit.params.to_numpy() / fit.bse.to_numpy()
        np.testing.assert_allclose(mine["p_value"].to_numpy(),
                                   2 * stats.t.sf(np.abs(t), G - 1), rtol=1e-8)
        assert mine.attrs["r2"] == pytest.approx(fit.rsquared, abs=1e-12)
    # conventional covariance: statsmodels' default
    res0 = mediation(data, "y", "x", "m", controls="z", cluster=None, bootstrap=0)
    fit = sm.OLS(data["y"], sm.add_constant(data[["x", "m", "z"]])).fit()
    np.testing.assert_allclose(res0.steps["第三步"]["std_error"], fit.bse, rtol=1e-10)
    np.testing.assert_allclose(res0.steps["第三步"]["p_value"], fit.pvalues, rtol=1e-8)


def test_cross_section_entity_cluster_is_hc1():
    data = pmi_data()
    res = mediation(data, "reaction", "cond", "pmi", bootstrap=0)
    fit = sm.OLS(data["reaction"], sm.add_constant(data[["cond", "pmi"]])).fit(cov_type="HC1")
    np.testing.assert_allclose(res.steps["第三步"]["std_error"], fit.bse, rtol=1e-10)


@pytest.mark.parametrize("effects", ["entity", "twoway"])
def test_fixed_effects_paths_equal_numpy_within_and_package(effects):
    data = make_panel(1)
    res = mediation(data, "y", "x", "m", controls=["z"], effects=effects, bootstrap=0)
    w = within(data, effects)
    for step, (out, regs) in SPECS.items():
        beta, *_ = np.linalg.lstsq(w[regs].to_numpy() - w[regs].mean().to_numpy(),
                                   (w[out] - w[out].mean()).to_numpy(), rcond=None)
        mine = res.steps[step]
        np.testing.assert_allclose(mine.loc[regs, "estimate"].to_numpy(), beta, rtol=0,
                                   atol=1e-10)
        ref = fixed_effects(data, out, regs, effects=effects, cluster="entity")
        for col in ("estimate", "std_error", "p_value"):
            np.testing.assert_allclose(mine[col].to_numpy(), ref.loc[mine.index, col].to_numpy(),
                                       rtol=1e-10, atol=1e-12)
    paths = res.paths["estimate"]
    assert paths["c"] == pytest.approx(paths["c′"] + paths["a"] * paths["b"], abs=1e-12)


def test_tidy_panel_gives_the_same_result():
    data = make_panel(2, G=12, T=6)
    tidy = data.reset_index().melt(id_vars=["adcode", "year"], var_name="variable",
                                   value_name="value")
    a = mediation(data, "y", "x", "m", controls="z", effects="twoway", bootstrap=150, seed=3)
    b = mediation(tidy, "y", "x", "m", controls="z", effects="twoway", bootstrap=150, seed=3)
    pd.testing.assert_frame_equal(a.paths, b.paths)
    pd.testing.assert_series_equal(a.indirect, b.indirect)


def test_sobel_standard_error_formula():
    res = mediation(make_panel(3), "y", "x", "m", controls="z", effects="entity", bootstrap=0)
    a, sa = res.paths.loc["a", ["estimate", "std_error"]]
    b, sb = res.paths.loc["b", ["estimate", "std_error"]]
    se = np.sqrt(a ** 2 * sb ** 2 + b ** 2 * sa ** 2)
    assert res.indirect["estimate"] == pytest.approx(a * b, rel=1e-14)
    assert res.indirect["sobel_se"] == pytest.approx(se, rel=1e-14)
    assert res.indirect["sobel_z"] == pytest.approx(a * b / se, rel=1e-14)
    assert res.indirect["sobel_p"] == pytest.approx(2 * stats.norm.sf(abs(a * b / se)),
                                                    rel=1e-12)
    assert res.proportion_mediated == pytest.approx(a * b / res.paths.loc["c", "estimate"])


# ─────────────────────────────────────────────────────────────────────────────────────────────
# The bootstrap, rebuilt here
# ─────────────────────────────────────────────────────────────────────────────────────────────


def reference_bootstrap(data: pd.DataFrame, effects: str | None, B: int, seed: int
                        ) -> np.ndarray:
    rng = np.random.default_rng(seed)
    units = sorted(data.index.get_level_values("adcode").unique())
    by_unit = {u: data.xs(u, level="adcode") for u in units}
    draws = []
    for _ in range(B):
        idx = rng.integers(0, len(units), size=len(units))
        sample = pd.concat({k: by_unit[units[i]] for k, i in enumerate(idx)},
                           names=["unit", "year"])
        if effects is None:
            a = sm.OLS(sample["m"], sm.add_constant(sample[["x", "z"]])).fit().params["x"]
            b = sm.OLS(sample["y"], sm.add_constant(sample[["x", "m", "z"]])).fit().params["m"]
        else:
            w = within(sample, effects)
            w = w - w.mean()
            a = np.linalg.lstsq(w[["x", "z"]].to_numpy(), w["m"].to_numpy(), rcond=None)[0][0]
            b = np.linalg.lstsq(w[["x", "m", "z"]].to_numpy(), w["y"].to_numpy(),
                                rcond=None)[0][1]
        draws.append(a * b)
    return np.array(draws)


@pytest.mark.parametrize("effects", [None, "twoway"])
def test_bootstrap_equals_a_bootstrap_written_here(effects):
    data = make_panel(4, G=15, T=5)
    B, seed = 120, 42
    res = mediation(data, "y", "x", "m", controls="z", effects=effects, bootstrap=B, seed=seed)
    ref = reference_bootstrap(data, effects, B, seed)
    np.testing.assert_allclose(res.bootstrap["ab"].to_numpy(), ref, rtol=0, atol=1e-12)
    assert res.indirect["boot_se"] == pytest.approx(np.std(ref, ddof=1), abs=1e-12)
    lo, hi = np.percentile(ref, [2.5, 97.5])
    assert res.indirect["ci_lower"] == pytest.approx(lo, abs=1e-12)
    assert res.indirect["ci_upper"] == pytest.approx(hi, abs=1e-12)
    # bias-corrected interval from the same draws: Efron's formula written out
    bc = mediation(data, "y", "x", "m", controls="z", effects=effects, bootstrap=B, seed=seed,
                   ci="bc")
    ab = bc.indirect["estimate"]
    z0 = stats.norm.ppf(np.sum(ref < ab) / B)
    p_lo, p_hi = stats.norm.cdf(2 * z0 + stats.norm.ppf([0.025, 0.975]))
    assert bc.indirect["ci_lower"] == pytest.approx(np.percentile(ref, 100 * p_lo), abs=1e-12)
    assert bc.indirect["ci_upper"] == pytest.approx(np.percentile(ref, 100 * p_hi), abs=1e-12)
    assert bc.conventions["seed"] == seed and bc.conventions["n_boot"] == B


def test_seed_none_is_recorded_and_repeatable():
    data = make_panel(5, G=10, T=4)
    first = mediation(data, "y", "x", "m", bootstrap=100)
    again = mediation(data, "y", "x", "m", bootstrap=100, seed=first.conventions["seed"])
    pd.testing.assert_series_equal(first.indirect, again.indirect)


def test_simulation_recovers_indirect_effect_and_covers_it():
    covered, estimates = 0, []
    for draw in range(100):
        data = make_panel(1000 + draw, G=30, T=4, a=0.5, b=0.4)
        res = mediation(data, "y", "x", "m", controls="z", effects="twoway", bootstrap=199,
                        seed=draw)
        estimates.append(res.indirect["estimate"])
        covered += res.indirect["ci_lower"] <= 0.2 <= res.indirect["ci_upper"]
    assert abs(np.mean(estimates) - 0.2) < 0.01
    assert covered >= 90


def test_table_layout():
    res = mediation(make_panel(6), "y", "x", "m", controls="z", effects="twoway", bootstrap=100,
                    seed=1)
    table = res.table()
    assert list(table.columns) == ["第一步", "第二步", "第三步"]
    assert table.attrs["title"] == "中介效应检验"
    assert list(table.loc["被解释变量"]) == ["y", "m", "y"]
    assert table.loc["m"].iloc[0] == "" and table.loc["m"].iloc[2].startswith(
        f"{res.paths.loc['b', 'estimate']:.3f}")
    assert list(table.loc["个体固定效应"]) == ["是"] * 3
    assert table.loc["Sobel Z"].iloc[2].startswith(f"{res.indirect['sobel_z']:.3f}")
    t_table = res.table(stat="t")
    x_rows = t_table.index.get_loc("x")
    assert t_table.iloc[x_rows + 1, 0] == f"({res.paths.loc['c', 't_stat']:.3f})"


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Moderation
# ─────────────────────────────────────────────────────────────────────────────────────────────


def moderation_panel(seed: int, b3: float) -> pd.DataFrame:
    data = make_panel(seed, G=40, T=8)
    rng = np.random.default_rng(seed + 1)
    data["w"] = rng.normal(2.0, 1.5, size=len(data))
    data["y"] = (0.2 * data["x"] + 0.3 * data["w"] + b3 * data["x"] * data["w"]
                 + rng.normal(size=len(data)))
    return data


def test_moderation_coefficients_equal_statsmodels_with_centred_product():
    data = moderation_panel(7, 0.15)
    res = moderation(data, "y", "x", "w", controls="z")
    xc, wc = data["x"] - data["x"].mean(), data["w"] - data["w"].mean()
    X = sm.add_constant(pd.DataFrame({"x": xc, "w": wc, "x×w": xc * wc, "z": data["z"]}))
    groups = data.index.get_level_values("adcode").to_numpy()
    fit = sm.OLS(data["y"], X).fit(cov_type="cluster", cov_kwds={"groups": groups})
    np.testing.assert_allclose(res.coefficients["estimate"], fit.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.coefficients["std_error"], fit.bse, rtol=1e-10)
    assert "centred" in res.conventions["centering"]


@pytest.mark.parametrize("effects", [None, "entity", "twoway"])
def test_simple_slopes_equal_hand_computation(effects):
    data = moderation_panel(8, 0.15)
    res = moderation(data, "y", "x", "w", controls="z", effects=effects, at=[0.0, 4.0])
    V = res.coefficients.attrs["vcov"]
    b1, b3 = res.coefficients.loc["x", "estimate"], res.coefficients.loc["x×w", "estimate"]
    w = data["w"]
    values = [w.mean() - w.std(), w.mean(), w.mean() + w.std(), 0.0, 4.0]
    for value, (_, row) in zip(values, res.simple_slopes.iterrows(), strict=True):
        u = value - w.mean()
        slope = b1 + b3 * u
        se = np.sqrt(V.loc["x", "x"] + 2 * u * V.loc["x", "x×w"] + u * u * V.loc["x×w", "x×w"])
        assert row.moderator_value == pytest.approx(value, abs=1e-12)
        assert row.slope == pytest.approx(slope, abs=1e-12)
        assert row.std_error == pytest.approx(se, rel=1e-12)
        assert row.t_stat == pytest.approx(slope / se, rel=1e-12)
    # uncentred model: same slopes at the same moderator values
    raw = moderation(data, "y", "x", "w", controls="z", effects=effects, center=False,
                     at=[0.0, 4.0])
    np.testing.assert_allclose(raw.simple_slopes["slope"], res.simple_slopes["slope"],
                               rtol=1e-9)
    np.testing.assert_allclose(raw.simple_slopes["std_error"], res.simple_slopes["std_error"],
                               rtol=1e-9)


def slope_t(res, value: float) -> float:
    V = res.coefficients.attrs["vcov"]
    shift = res.conventions["moderator_mean"] if res.conventions["center"] else 0.0
    u = value - shift
    b1, b3 = res.coefficients.loc["x", "estimate"], res.coefficients.loc["x×w", "estimate"]
    se = np.sqrt(V.loc["x", "x"] + 2 * u * V.loc["x", "x×w"] + u * u * V.loc["x×w", "x×w"])
    return (b1 + b3 * u) / se


@pytest.mark.parametrize(("b3", "effects", "region"), [(0.15, None, "outside"),
                                                        (0.15, "twoway", "outside"),
                                                        (0.01, "entity", "inside")])
def test_johnson_neyman_bounds_make_t_equal_the_critical_value(b3, effects, region):
    data = moderation_panel(9, b3)
    if region == "inside":  # x matters at moderate w, not significantly different from 0 far out
        data["y"] = 0.1 * data["x"] + 0.01 * data["x"] * data["w"] + np.random.default_rng(
            0).normal(size=len(data))
    res = moderation(data, "y", "x", "w", effects=effects)
    jn = res.johnson_neyman
    assert jn["significant"] == region
    q = stats.t.ppf(0.975, res.coefficients.attrs["df"])
    assert jn["critical_t"] == pytest.approx(q, rel=1e-12)
    for bound in (jn["lower"], jn["upper"]):
        assert abs(slope_t(res, bound)) == pytest.approx(q, rel=1e-9)
    mid = (jn["lower"] + jn["upper"]) / 2
    far = jn["upper"] + (jn["upper"] - jn["lower"])
    inside_sig = abs(slope_t(res, mid)) > q
    assert inside_sig == (region == "inside")
    assert (abs(slope_t(res, far)) > q) == (region == "outside")


# ─────────────────────────────────────────────────────────────────────────────────────────────
# Bad inputs
# ─────────────────────────────────────────────────────────────────────────────────────────────


def test_bad_inputs():
    data = make_panel(10, G=8, T=4)
    with pytest.raises(EconometricsError, match="mediator and the treatment are the same"):
        mediation(data, "y", "x", "x")
    with pytest.raises(EconometricsError, match="both the outcome and the mediator"):
        mediation(data, "y", "x", "y")
    with pytest.raises(EconometricsError, match="cannot also be a control"):
        mediation(data, "y", "x", "m", controls=["m"])
    holed = data.copy()
    holed.loc[(110300, 2007), "m"] = np.nan
    with pytest.raises(NonFiniteError, match=r"m: 1 non-finite.*110300 \(2007\)"):
        mediation(holed, "y", "x", "m")
    with pytest.raises(EconometricsError, match=r"unbalanced panel.*110100: 2006"):
        mediation(data.drop(index=(110100, 2006)), "y", "x", "m")
    with pytest.raises(ParameterError, match="ci must be one of"):
        mediation(data, "y", "x", "m", ci="bca")
    with pytest.raises(ParameterError, match="effects must be one of"):
        mediation(data, "y", "x", "m", effects="time")
    with pytest.raises(ParameterError, match="bootstrap must be an integer"):
        mediation(data, "y", "x", "m", bootstrap=-5)
    with pytest.warns(UserWarning, match="bootstrap=50 replicates are too few"):
        mediation(data, "y", "x", "m", bootstrap=50, seed=0)
    with pytest.raises(EconometricsError, match="needs a panel"):
        mediation(pmi_data(), "reaction", "cond", "pmi", effects="entity")
    fixed = data.copy()
    fixed["x"] = np.repeat(np.arange(8.0), 4)
    with pytest.raises(EconometricsError, match=r"\['x'\] do not vary within units"):
        mediation(fixed, "y", "x", "m", effects="entity")
    flat = data.assign(w=3.0)
    with pytest.raises(DegenerateError, match="w is constant"):
        moderation(flat, "y", "x", "w")
    with pytest.raises(EconometricsError, match="moderator and x are the same"):
        moderation(data, "y", "x", "x")
    with pytest.raises(ParameterError, match="alpha must be a probability"):
        moderation(data, "y", "x", "m", alpha=1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mediation(data, "y", "x", "m", bootstrap=0)  # no bootstrap: no warning
