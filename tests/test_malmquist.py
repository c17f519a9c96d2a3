"""Malmquist and Malmquist–Luenberger indices (spatialecon.efficiency.malmquist).

References:

* Coelli, T. (1996). *A Guide to DEAP Version 2.1: A Data Envelopment Analysis (Computer)
  Program*. CEPA Working Paper 96/08, University of New England. Example 4 (``eg4-out.txt``,
  "Output orientated Malmquist DEA", 5 firms × 3 years, one output and one input) prints the
  DISTANCES SUMMARY (CRS efficiency relative to the technology of t−1, t, t+1 and the VRS
  efficiency), the MALMQUIST INDEX SUMMARY per firm and year (effch, techch, pech, sech,
  tfpch) and the annual means (geometric). Year 1 of ``eg4-dta.txt`` is the one-input example
  of tests/test_efficiency.py; years 2 and 3 hold the same data, which the printed distances
  pin down: their CRS efficiencies against years 1 and 2 are y/x over 1 and over 4/3, and their
  VRS efficiencies (1, .667, 1, .600, 1) fix the hull.
* Independent programs written here in the multiplier (dual) form — prices ``u, v`` (and
  ``u₀`` under VRS; ``w`` for bad outputs) rather than the intensities ``λ`` the module solves
  for, one program per distance against the whole reference set, without the module's stacking,
  column generation or dominance screen.
* A hand-worked three-unit global Malmquist–Luenberger example (one input equal to 1: the
  directional distance is ``(r* b − y)/(r* b + y)`` with ``r*`` the frontier's best y/b).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from spatialecon import efficiency as ef
from spatialecon.validation import ParameterError

PRINTED_3DP = 5e-4 + 1e-12  # DEAP prints three decimals

FIRMS = [1, 2, 3, 4, 5]
EG4_X = {1: [2, 4, 3, 5, 6], 2: [2, 4, 3, 5, 5], 3: [2, 4, 3, 5, 5]}
EG4_Y = {1: [1, 2, 3, 4, 5], 2: [1, 3, 4, 3, 5], 3: [1, 3, 4, 3, 5]}


def _eg4() -> tuple[pd.DataFrame, pd.DataFrame]:
    index = pd.MultiIndex.from_product([FIRMS, [1, 2, 3]], names=["firm", "year"])
    X = pd.DataFrame({"x": [float(EG4_X[t][f - 1]) for f, t in index]}, index=index)
    Y = pd.DataFrame({"y": [float(EG4_Y[t][f - 1]) for f, t in index]}, index=index)
    return X, Y


def test_deap_example_4_malmquist() -> None:
    X, Y = _eg4()
    out = ef.malmquist(X, Y, rts="vrs", orientation="output")
    year2 = out.xs(2, level="year")
    # MALMQUIST INDEX SUMMARY, year = 2
    printed = pd.DataFrame(
        [[0.750, 1.333, 1.000, 0.750, 1.000],
         [1.125, 1.333, 1.222, 0.920, 1.500],
         [1.000, 1.333, 1.000, 1.000, 1.333],
         [0.562, 1.333, 0.650, 0.865, 0.750],
         [0.900, 1.333, 1.000, 0.900, 1.200]],
        index=pd.Index(FIRMS, name="firm"), columns=["effch", "techch", "pech", "sech", "tfpch"])
    np.testing.assert_allclose(year2[printed.columns], printed, atol=PRINTED_3DP)
    # year = 3: every index 1.000
    np.testing.assert_allclose(out.xs(3, level="year")[printed.columns], 1.0, atol=PRINTED_3DP)
    # DISTANCES SUMMARY: year 1 (t, t+1, vrs), year 2 (t-1, t, t+1, vrs)
    np.testing.assert_allclose(year2["d_t_t"], [0.500, 0.500, 1.000, 0.800, 0.833],
                               atol=PRINTED_3DP)
    np.testing.assert_allclose(year2["d_t1_t"], [0.375, 0.375, 0.750, 0.600, 0.625],
                               atol=PRINTED_3DP)
    np.testing.assert_allclose(year2["d_t_t1"], [0.500, 0.750, 1.333, 0.600, 1.000],
                               atol=PRINTED_3DP)
    np.testing.assert_allclose(year2["d_t1_t1"], [0.375, 0.563, 1.000, 0.450, 0.750],
                               atol=PRINTED_3DP)
    np.testing.assert_allclose(year2["pte_t"], [1.000, 0.545, 1.000, 0.923, 1.000],
                               atol=PRINTED_3DP)
    np.testing.assert_allclose(year2["pte_t1"], [1.000, 0.667, 1.000, 0.600, 1.000],
                               atol=PRINTED_3DP)
    # MALMQUIST INDEX SUMMARY OF ANNUAL MEANS (geometric), and its mean row
    annual = ef.summary_by(out, "year")
    np.testing.assert_allclose(annual.loc[2], [0.844, 1.333, 0.955, 0.883, 1.125],
                               atol=PRINTED_3DP)
    np.testing.assert_allclose(annual.loc[3], 1.0, atol=PRINTED_3DP)
    np.testing.assert_allclose(annual.loc["mean"], [0.918, 1.155, 0.977, 0.940, 1.061],
                               atol=PRINTED_3DP)
    # firm means: geometric means over the two pairs
    firms = ef.summary_by(out, "unit")
    np.testing.assert_allclose(firms.loc[FIRMS, "tfpch"], np.sqrt(year2["tfpch"]), rtol=1e-9)
    assert out.attrs["orientation"] == "output" and out.attrs["reference"] == "adjacent"
    assert out.attrs["infeasible"] == [] and not out["infeasible"].any()


# --------------------------------------------------------------------------- independent LPs


def _multiplier(x_ref, y_ref, x_o, y_o, orientation: str, vrs: bool) -> float:
    """Farrell efficiency of (x_o, y_o) against the reference rows, multiplier form."""
    n, m = x_ref.shape
    s = y_ref.shape[1]
    if orientation == "input":
        # max u·y_o + u0  s.t. v·x_o = 1, u·y_j − v·x_j + u0 ≤ 0; variables [u, v, u0]
        c = -np.concatenate([y_o, np.zeros(m), [1.0 if vrs else 0.0]])
        A_ub = np.hstack([y_ref, -x_ref, np.ones((n, 1)) if vrs else np.zeros((n, 1))])
        A_eq = np.concatenate([np.zeros(s), x_o, [0.0]])[None, :]
        bounds = [(0, None)] * (s + m) + [(None, None) if vrs else (0, 0)]
        res = linprog(c, A_ub=A_ub, b_ub=np.zeros(n), A_eq=A_eq, b_eq=[1.0], bounds=bounds,
                      method="highs")
        assert res.status == 0
        return -res.fun
    # min v·x_o + v0  s.t. u·y_o = 1, u·y_j − v·x_j − v0 ≤ 0  → 1/φ
    c = np.concatenate([np.zeros(s), x_o, [1.0 if vrs else 0.0]])
    A_ub = np.hstack([y_ref, -x_ref, -np.ones((n, 1)) if vrs else np.zeros((n, 1))])
    A_eq = np.concatenate([y_o, np.zeros(m), [0.0]])[None, :]
    bounds = [(0, None)] * (s + m) + [(None, None) if vrs else (0, 0)]
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(n), A_eq=A_eq, b_eq=[1.0], bounds=bounds,
                  method="highs")
    assert res.status == 0
    return 1.0 / res.fun


def _panel(units: int, years: int, seed: int, m: int = 2, s: int = 2
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    codes = np.arange(1, units + 1) * 100 + 110000
    index = pd.MultiIndex.from_product([codes, range(2015, 2015 + years)],
                                       names=["adcode", "year"])
    x = rng.uniform(1, 10, (len(index), m))
    growth = np.repeat(1.04 ** np.arange(years)[None, :], units, axis=0).ravel()
    frontier = x.prod(axis=1) ** (0.8 / m) * growth
    y = frontier[:, None] * rng.uniform(0.4, 1, (len(index), s))
    X = pd.DataFrame(x, index=index, columns=[f"x{i}" for i in range(m)])
    Y = pd.DataFrame(y, index=index, columns=[f"y{r}" for r in range(s)])
    return X, Y


def _year(frame: pd.DataFrame, year) -> np.ndarray:
    return frame.xs(year, level="year").to_numpy()


def _ref(frame: pd.DataFrame, years) -> np.ndarray:
    return np.vstack([_year(frame, y) for y in years])


@pytest.mark.parametrize("reference", ["adjacent", "fixed", "global", "sequential"])
@pytest.mark.parametrize("orientation", ["input", "output"])
def test_distances_equal_multiplier_form(reference: str, orientation: str) -> None:
    X, Y = _panel(units=60, years=3, seed=7)
    out = ef.malmquist(X, Y, rts="vrs", orientation=orientation, reference=reference,
                       decomposition="fgnz")
    years = [2015, 2016, 2017]
    for t in range(2):
        a, b = years[t], years[t + 1]
        tech = {"adjacent": ([a], [b]), "fixed": ([2015], [2015]),
                "global": (years, years), "sequential": (years[:t + 1], years[:t + 2])}
        ref_a, ref_b = tech[reference]
        own_a = years[:t + 1] if reference == "sequential" else [a]
        own_b = years[:t + 2] if reference == "sequential" else [b]
        got = out.xs(b, level="year")
        for o in range(0, 60, 7):  # a sample of units keeps the test fast
            xa, ya = _year(X, a)[o], _year(Y, a)[o]
            xb, yb = _year(X, b)[o], _year(Y, b)[o]
            expected = {
                "d_t_t": _multiplier(_ref(X, ref_a), _ref(Y, ref_a), xa, ya, orientation, False),
                "d_t_t1": _multiplier(_ref(X, ref_a), _ref(Y, ref_a), xb, yb, orientation,
                                      False),
                "d_t1_t": _multiplier(_ref(X, ref_b), _ref(Y, ref_b), xa, ya, orientation,
                                      False),
                "d_t1_t1": _multiplier(_ref(X, ref_b), _ref(Y, ref_b), xb, yb, orientation,
                                       False),
                "te_t": _multiplier(_ref(X, own_a), _ref(Y, own_a), xa, ya, orientation, False),
                "te_t1": _multiplier(_ref(X, own_b), _ref(Y, own_b), xb, yb, orientation,
                                     False),
                "pte_t": _multiplier(_ref(X, own_a), _ref(Y, own_a), xa, ya, orientation, True),
                "pte_t1": _multiplier(_ref(X, own_b), _ref(Y, own_b), xb, yb, orientation,
                                      True),
            }
            for column, value in expected.items():
                assert got[column].iloc[o] == pytest.approx(value, abs=1e-8, rel=1e-8), column
    # identities, to rounding
    np.testing.assert_allclose(out["tfpch"], out["effch"] * out["techch"], rtol=1e-9)
    np.testing.assert_allclose(out["effch"], out["pech"] * out["sech"], rtol=1e-9)
    if reference == "sequential":  # no technical regress on sequential frontiers
        assert (out["techch"] >= 1 - 1e-9).all()


def test_ray_desli_vrs_distances_and_one_frontier() -> None:
    X, Y = _panel(units=30, years=2, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ef.MalmquistWarning)
        out = ef.malmquist(X, Y, rts="vrs", orientation="output", decomposition="rd")
    got = out.xs(2016, level="year")
    for o in range(0, 30, 4):
        for column, (tech, data) in {"v_t_t1": (2015, 2016), "v_t1_t": (2016, 2015)}.items():
            value = got[column].iloc[o]
            if np.isnan(value):
                continue  # infeasible: checked in the next test
            assert value == pytest.approx(
                _multiplier(_year(X, tech), _year(Y, tech), _year(X, data)[o],
                            _year(Y, data)[o], "output", True), abs=1e-8, rel=1e-8)
    ok = ~out["infeasible"]
    np.testing.assert_allclose(out.loc[ok, "tfpch"],
                               (out["pech"] * out["techch"] * out["sech"])[ok], rtol=1e-9)
    # every year the same data: one frontier, no productivity change under any reference
    same = X.copy()
    same_y = Y.copy()
    for frame, original in ((same, X), (same_y, Y)):
        first = original.xs(2015, level="year").to_numpy()
        frame.loc[:, :] = np.repeat(first, 2, axis=0)
    for reference in ("adjacent", "fixed", "global", "sequential"):
        flat = ef.malmquist(same, same_y, rts="vrs", reference=reference)
        np.testing.assert_allclose(flat[["tfpch", "effch", "techch", "pech", "sech"]], 1.0,
                                   atol=1e-9)


def test_infeasible_vrs_cross_year_programs_are_reported() -> None:
    # one input, one output; in 2016 unit 3 produces more than any unit did in 2015, so the
    # input-oriented VRS program of its 2016 data on the 2015 technology has no solution
    index = pd.MultiIndex.from_product([[110000, 120000, 130000], [2015, 2016]],
                                       names=["adcode", "year"])
    X = pd.DataFrame({"x": [2.0, 2.5, 3.0, 3.0, 4.0, 5.0]}, index=index)
    Y = pd.DataFrame({"y": [1.0, 1.5, 2.0, 2.5, 3.0, 6.0]}, index=index)
    with pytest.warns(ef.MalmquistWarning, match=r"130000 \(2015→2016\): v_t_t1"):
        out = ef.malmquist(X, Y, rts="vrs", decomposition="rd")
    row = out.loc[(130000, 2016)]
    assert row["infeasible"] and np.isnan(row["v_t_t1"]) and np.isnan(row["techch"])
    assert np.isfinite(row["tfpch"])  # the CRS index itself is defined
    assert not out.loc[[(110000, 2016), (120000, 2016)], "infeasible"].any()
    assert out.attrs["infeasible"] == [{"adcode": 130000, "year": 2016, "from_year": 2015,
                                        "programs": ["v_t_t1"]}]
    # DEAP's decomposition needs no cross-year VRS program: nothing to report
    with warnings.catch_warnings():
        warnings.simplefilter("error", ef.MalmquistWarning)
        assert not ef.malmquist(X, Y, rts="vrs")["infeasible"].any()


# --------------------------------------------------------------------------- Malmquist–Luenberger


def _ddf_dual(x_ref, y_ref, b_ref, x_o, y_o, b_o, g_y, g_b, vrs: bool) -> float:
    """β by the dual: min v·x_o − u·y_o + w·b_o (+u0) s.t. u·g_y + w·g_b = 1,
    v·x_j − u·y_j + w·b_j (+u0) ≥ 0, u, v ≥ 0, w free."""
    n, m = x_ref.shape
    s, p = y_ref.shape[1], b_ref.shape[1]
    c = np.concatenate([x_o, -y_o, b_o, [1.0 if vrs else 0.0]])  # [v, u, w, u0]
    A_ub = -np.hstack([x_ref, -y_ref, b_ref, np.ones((n, 1)) if vrs else np.zeros((n, 1))])
    A_eq = np.concatenate([np.zeros(m), g_y, g_b, [0.0]])[None, :]
    bounds = [(0, None)] * (m + s) + [(None, None)] * p + [(None, None) if vrs else (0, 0)]
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(n), A_eq=A_eq, b_eq=[1.0], bounds=bounds,
                  method="highs")
    assert res.status == 0
    return res.fun


@pytest.mark.parametrize("reference", ["global", "adjacent"])
@pytest.mark.parametrize("rts", ["crs", "vrs"])
def test_ddf_equals_dual_and_ml_identity(reference: str, rts: str) -> None:
    X, Y = _panel(units=25, years=2, seed=11, m=2, s=1)
    rng = np.random.default_rng(5)
    Bad = pd.DataFrame({"so2": Y["y0"].to_numpy() * rng.uniform(0.3, 1.2, len(Y))},
                       index=Y.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ef.MalmquistWarning)
        out = ef.malmquist_luenberger(X, Y, Bad, reference=reference, rts=rts)
    years = [2015, 2016]
    tech = {"global": (years, years), "adjacent": ([2015], [2016])}[reference]
    got = out.xs(2016, level="year")
    for o in range(0, 25, 3):
        for column, (ref, data) in {"d_t_t": (tech[0], 2015), "d_t_t1": (tech[0], 2016),
                                    "d_t1_t": (tech[1], 2015), "d_t1_t1": (tech[1], 2016),
                                    "ddf_t": ([2015], 2015), "ddf_t1": ([2016], 2016)}.items():
            value = got[column].iloc[o]
            y_o, b_o = _year(Y, data)[o], _year(Bad, data)[o]
            if np.isnan(value):
                continue
            expected = _ddf_dual(_ref(X, ref), _ref(Y, ref), _ref(Bad, ref), _year(X, data)[o],
                                 y_o, b_o, y_o, b_o, rts == "vrs")
            assert value == pytest.approx(expected, abs=1e-8), column
    ok = ~out["infeasible"]
    np.testing.assert_allclose(out.loc[ok, "tfpch"], (out["effch"] * out["techch"])[ok],
                               rtol=1e-9)
    assert out.attrs["index"].startswith("Malmquist–Luenberger")
    if reference == "global":
        assert not out["infeasible"].any()  # own data lie in the global technology


def test_global_ml_hand_worked() -> None:
    # x = 1 for all; (y, b) — 2015: A (4, 2), B (2, 2), C (3, 3); 2016: A (6, 2), B (3, 2),
    # C (2, 2). Global frontier: best y/b = 3 (A 2016): β = (3b − y)/(3b + y)
    #   2015: A 0.2, B 0.5, C 0.5;     2016: A 0, B 1/3, C 0.5
    # Year frontiers: best y/b 2 (2015) and 3 (2016): 2015: A 0, B 1/3, C 1/3; 2016: A 0,
    # B 1/3, C 0.5 (all with Σλ ≤ 1 slack or just binding).
    # GML = (1 + β_G 2015)/(1 + β_G 2016): A 1.2, B 1.5/(4/3) = 1.125, C 1
    # EC = (1 + β_2015)/(1 + β_2016): A 1, B 1, C (4/3)/1.5 = 8/9; TC = GML/EC
    index = pd.MultiIndex.from_product([[1, 2, 3], [2015, 2016]], names=["adcode", "year"])
    X = pd.DataFrame({"x": 1.0}, index=index)
    Y = pd.DataFrame({"y": [4.0, 6.0, 2.0, 3.0, 3.0, 2.0]}, index=index)
    B = pd.DataFrame({"b": [2.0, 2.0, 2.0, 2.0, 3.0, 2.0]}, index=index)
    out = ef.malmquist_luenberger(X, Y, B).droplevel("year")
    np.testing.assert_allclose(out["d_t_t"], [0.2, 0.5, 0.5], atol=1e-9)
    np.testing.assert_allclose(out["d_t1_t1"], [0.0, 1 / 3, 0.5], atol=1e-9)
    np.testing.assert_allclose(out["ddf_t"], [0.0, 1 / 3, 1 / 3], atol=1e-9)
    np.testing.assert_allclose(out["tfpch"], [1.2, 1.125, 1.0], atol=1e-9)
    np.testing.assert_allclose(out["effch"], [1.0, 1.0, 8 / 9], atol=1e-9)
    np.testing.assert_allclose(out["techch"], [1.2, 1.125, 1.125], atol=1e-9)
    # a direction given in the data's units: g = (1, 0) expands y by β units, b unchanged
    fixed = ef.malmquist_luenberger(X, Y, B, direction=([1.0], [0.0])).droplevel("year")
    # at b = b_o the most y is 3 b_o (A 2016 scaled by b_o/2 ≤ 1); C (b = 3) cannot scale it
    # past λ = 1, and only itself (3, 3) reaches b = 3: β = 0
    np.testing.assert_allclose(fixed["d_t_t"], [2.0, 4.0, 0.0], atol=1e-9)


# --------------------------------------------------------------------------- tables & inputs


def test_summary_cumulative_and_input_forms() -> None:
    X, Y = _panel(units=6, years=4, seed=2, m=1, s=1)
    codes = [110000, 120000, 130000, 140000, 210000, 310000]
    mapping = dict(zip(sorted(X.index.get_level_values("adcode").unique()), codes,
                       strict=True))
    X = X.rename(index=mapping, level="adcode")
    Y = Y.rename(index=mapping, level="adcode")
    out = ef.malmquist(X, Y, reference="fixed", cumulative=True)
    # fixed base year: the running product is the direct comparison with 2015
    base = ef.malmquist(X, Y, reference="fixed")
    first = base.xs(2016, level="year")["d_t_t"]
    last = base.xs(2018, level="year")["d_t1_t1"]
    np.testing.assert_allclose(out.xs(2018, level="year")["tfpch_cum"], last / first,
                               rtol=1e-9)
    # regions (nbs4: 北京 天津 河北 上海 east, 山西 central, 辽宁 northeast)
    by_region = ef.summary_by(out, "nbs4")
    east = out.loc[[110000, 120000, 130000, 310000], "tfpch"]
    assert by_region.loc["东部", "tfpch"] == pytest.approx(np.exp(np.log(east).mean()),
                                                          rel=1e-12)
    assert set(by_region.index) == {"东部", "中部", "东北", "mean"}
    # tidy panels, and names picked from one tidy panel, give the same numbers
    from spatialecon import indices as ix

    tidy = ef.malmquist(ix.to_tidy(X), ix.to_tidy(Y), reference="fixed")
    pd.testing.assert_frame_equal(tidy, base, check_like=True)
    panel = pd.concat([ix.to_tidy(X), ix.to_tidy(Y)])
    named = ef.malmquist(["x0"], ["y0"], panel=panel, reference="fixed")
    pd.testing.assert_frame_equal(named, base, check_like=True)


def test_bad_inputs() -> None:
    X, Y = _panel(units=4, years=2, seed=1, m=1, s=1)
    zero = X.copy()
    zero.loc[(110200, 2016), "x0"] = 0.0
    with pytest.raises(ef.DEAError, match=r"input 'x0' is zero for 110200 \(2016\)"):
        ef.malmquist(zero, Y)
    with pytest.raises(ef.DEAError, match=r"unbalanced panel: 1 unit-year\(s\) missing, "
                                          r"110300 \(2016\)"):
        ef.malmquist(X.drop(index=(110300, 2016)), Y.drop(index=(110300, 2016)))
    with pytest.raises(ef.DEAError, match="at least two years; the data have one"):
        ef.malmquist(X.xs(2015, level="year", drop_level=False),
                     Y.xs(2015, level="year", drop_level=False))
    with pytest.raises(ef.DEAError, match="variables used as both output and undesirable "
                                          "output: y0"):
        ef.malmquist_luenberger(X, Y, Y)
    with pytest.raises(ef.DEAError, match="compares units across years"):
        ef.malmquist(X.xs(2015, level="year"), Y.xs(2015, level="year"))
    with pytest.raises(ParameterError, match="reference must be one of"):
        ef.malmquist(X, Y, reference="window")
    with pytest.raises(ef.DEAError, match="needs rts='vrs'"):
        ef.malmquist(X, Y, decomposition="rd")


def test_column_generation_from_a_bare_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    # one seed direction and one column a round: the reference set is found almost entirely
    # by column generation, and the distances do not change
    import importlib

    module = importlib.import_module("spatialecon.efficiency.malmquist")
    X, Y = _panel(units=80, years=2, seed=13)
    default = ef.malmquist(X, Y, rts="vrs", reference="sequential")
    monkeypatch.setattr(module, "_SEED_DIRECTIONS", 1)
    monkeypatch.setattr(module, "_ADD", 1)
    monkeypatch.setattr(module, "_BATCH", 16)
    bare = ef.malmquist(X, Y, rts="vrs", reference="sequential")
    pd.testing.assert_frame_equal(bare, default, rtol=1e-9, atol=1e-9)
