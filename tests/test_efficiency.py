"""DEA (spatialecon.efficiency) against published examples and brute force.

References:

* Coelli, T. (1996). *A Guide to DEAP Version 2.1: A Data Envelopment Analysis (Computer)
  Program*. CEPA Working Paper 96/08, University of New England. Example 1 (``eg1-out.txt``:
  5 firms, 1 output, 2 inputs, input-oriented CRS) prints the efficiencies, the slacks, the
  peers with their weights and the input targets; the data below are those of the guide's
  ``eg1-dta.txt`` (they also follow from the printed targets: efficient firms keep their
  inputs, ``target = te · x − slack`` for the others). The one-input/one-output example of the
  guide (Malmquist example ``eg4-out.txt``, year 1) prints CRS and output-oriented VRS
  efficiencies.
* DataEnvelopmentAnalysis.jl (Barbero & Zofío), documentation "Radial Models"
  (docs/src/technical/radial.md): 11 DMUs with 2 inputs and 1 output, printed scores and
  slacks of the input-oriented CRS and VRS and the output-oriented VRS models — an independent
  implementation (JuMP with an LP solver).
* Brute force: with one input and one output the CRS score is ``(y/x) / max(y/x)`` and the VRS
  frontier is piecewise linear between pairs of units, enumerated below.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from spatialecon import efficiency as ef
from spatialecon import indices as ix
from spatialecon.validation import NonFiniteError

PRINTED_3DP = 5e-4 + 1e-12  # DEAP prints three decimals

FIRMS = pd.Index([1, 2, 3, 4, 5], name="firm")
EG1_X = pd.DataFrame({"x1": [2.0, 2, 6, 3, 6], "x2": [5.0, 4, 6, 2, 2]}, index=FIRMS)
EG1_Y = pd.DataFrame({"y": [1.0, 2, 3, 1, 2]}, index=FIRMS)


def test_deap_example_1_crs_input() -> None:
    out = ef.dea(EG1_X, EG1_Y, orientation="input", rts="crs")
    np.testing.assert_allclose(out["te"], [0.500, 1.000, 0.833, 0.714, 1.000], atol=PRINTED_3DP)
    np.testing.assert_allclose(out["slack_x2"], [0.5, 0, 0, 0, 0], atol=PRINTED_3DP)
    np.testing.assert_allclose(out[["slack_x1", "slack_y"]], 0, atol=PRINTED_3DP)
    assert out["te"].mean() == pytest.approx(0.810, abs=PRINTED_3DP)
    # SUMMARY OF PEER WEIGHTS: firm 3 → 5 (0.500), 2 (1.000); firm 4 → 5 (0.286), 2 (0.214)
    lam = pd.DataFrame(out.attrs["lambdas"]).set_index(["unit", "peer"])["lambda"]
    expected = {(1, 2): 0.5, (2, 2): 1.0, (3, 5): 0.5, (3, 2): 1.0, (4, 5): 0.286,
                (4, 2): 0.214, (5, 5): 1.0}
    assert set(lam.index) == set(expected)
    for key, value in expected.items():
        assert lam[key] == pytest.approx(value, abs=PRINTED_3DP)
    # SUMMARY OF INPUT TARGETS: te · x − slack
    targets = EG1_X.mul(out["te"], axis=0) - out[["slack_x1", "slack_x2"]].to_numpy()
    np.testing.assert_allclose(targets, [[1, 2], [2, 4], [5, 5], [2.143, 1.429], [6, 2]],
                               atol=PRINTED_3DP)


ONE_X = pd.DataFrame({"x": [2.0, 4, 3, 5, 6]}, index=FIRMS)
ONE_Y = pd.DataFrame({"y": [1.0, 2, 3, 4, 5]}, index=FIRMS)


def test_deap_one_input_one_output_example() -> None:
    # eg4-out.txt, year 1: crs te (t) and vrs te of the output-oriented models
    out = ef.dea(ONE_X, ONE_Y, orientation="output", rts="vrs")
    np.testing.assert_allclose(out["te"], [0.500, 0.500, 1.000, 0.800, 0.833], atol=PRINTED_3DP)
    np.testing.assert_allclose(out["pte"], [1.000, 0.545, 1.000, 0.923, 1.000], atol=PRINTED_3DP)
    assert out.attrs["scores"].startswith("1/φ")


def _brute_vrs_input(x: np.ndarray, y: np.ndarray, o: int) -> float:
    """min x̄ / x_o over the VRS hull points (x̄, ȳ) with ȳ ≥ y_o.

    With one input and one output the hull is the union of segments between pairs of units; on
    a segment both x̄ and ȳ are linear in the mixing share t, so the minimum over the feasible t
    lies at an end (t = 0 or 1) or where ȳ = y_o.
    """
    best = np.inf
    for j, k in itertools.product(range(len(x)), repeat=2):
        shares = [0.0, 1.0]
        if y[j] != y[k]:
            shares.append((y[o] - y[k]) / (y[j] - y[k]))
        for t in shares:
            xb, yb = t * x[j] + (1 - t) * x[k], t * y[j] + (1 - t) * y[k]
            if 0 <= t <= 1 and yb >= y[o] - 1e-12:
                best = min(best, xb / x[o])
    return best


def test_one_input_one_output_brute_force() -> None:
    rng = np.random.default_rng(11)
    x = rng.uniform(1, 10, 8)
    y = x**0.7 * rng.uniform(0.5, 1.0, 8)  # a concave technology: all three returns occur
    X = pd.DataFrame({"x": x})
    Y = pd.DataFrame({"y": y})
    out = ef.dea(X, Y)
    ratio = y / x
    np.testing.assert_allclose(out["te"], ratio / ratio.max(), rtol=1e-8)
    brute = [_brute_vrs_input(x, y, o) for o in range(len(x))]
    np.testing.assert_allclose(out["pte"], brute, rtol=1e-8)
    assert {"irs", "drs", "crs"} >= set(out["returns"])


JL_X = pd.DataFrame([[5, 13], [16, 12], [16, 26], [17, 15], [18, 14], [23, 6], [25, 10],
                     [27, 22], [37, 14], [42, 25], [5, 17]], columns=["x1", "x2"], dtype=float,
                    index=pd.RangeIndex(1, 12, name="dmu"))
JL_Y = pd.DataFrame({"y": [12.0, 14, 25, 26, 8, 9, 27, 30, 31, 26, 12]}, index=JL_X.index)


def test_against_dataenvelopmentanalysis_jl() -> None:
    crs = ef.dea(JL_X, JL_Y, orientation="input", rts="crs")
    np.testing.assert_allclose(
        crs["te"], [1.0, 0.62229, 0.819856, 1.0, 0.310371, 0.555556, 1.0, 0.757669, 0.820106,
                    0.490566, 1.0], atol=1e-6)
    np.testing.assert_allclose(crs["slack_x1"], [0, 0, 0, 0, 0, 4.44444, 0, 0, 1.64021, 0, 0],
                               atol=1e-5)
    np.testing.assert_allclose(crs["slack_x2"], [0] * 10 + [4.0], atol=1e-6)
    vrs = ef.dea(JL_X, JL_Y, orientation="input", rts="vrs")
    np.testing.assert_allclose(
        vrs["pte"], [1.0, 0.8699861687413553, 1.0, 1.0, 0.7116402116402116, 1.0, 1.0, 1.0, 1.0,
                     0.4931209268645909, 1.0], atol=1e-9)
    np.testing.assert_allclose(vrs["slack_y"], [0, 0, 0, 0, 2.69841, 0, 0, 0, 0, 0, 0],
                               atol=1e-5)
    np.testing.assert_allclose(vrs["slack_x2"], [0] * 10 + [4.0], atol=1e-6)
    out = ef.dea(JL_X, JL_Y, orientation="output", rts="vrs")
    phi = [1.0, 1.50752, 1.0, 1.0, 3.20395, 1.0, 1.0, 1.0, 1.0, 1.19231, 1.0]
    np.testing.assert_allclose(1 / out["pte"], phi, atol=1e-5)
    np.testing.assert_allclose(out["slack_x1"], [0] * 9 + [5.0, 0], atol=1e-6)
    np.testing.assert_allclose(out["slack_x2"], [0] * 9 + [11.0, 4.0], atol=1e-6)


def test_identities() -> None:
    for orientation in ("input", "output"):
        out = ef.dea(JL_X, JL_Y, orientation=orientation)
        np.testing.assert_allclose(out["te"], out["pte"] * out["se"], rtol=1e-12)
        assert (out["te"] <= out["pte"] + 1e-9).all() and (out["pte"] <= 1 + 1e-9).all()
        assert (out.loc[out["returns"] == "crs", "se"] > 1 - 1e-6).all()
    # under CRS the input- and output-oriented scores coincide (θ = 1/φ)
    np.testing.assert_allclose(ef.dea(JL_X, JL_Y, orientation="output")["te"],
                               ef.dea(JL_X, JL_Y)["te"], rtol=1e-8)


def panel(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product([[110000, 120000, 130000, 140000, 150000, 210000],
                                        [2017, 2018]], names=["adcode", "year"])
    X = pd.DataFrame(rng.uniform(1, 10, (12, 2)), index=index, columns=["branches", "loans"])
    Y = pd.DataFrame(rng.uniform(1, 10, (12, 2)), index=index, columns=["wages", "income"])
    return X, Y


def test_yearly_frontiers_and_tidy_input() -> None:
    X, Y = panel()
    out = ef.dea(X, Y)
    for year in (2017, 2018):
        alone = ef.dea(X.xs(year, level="year"), Y.xs(year, level="year"))
        np.testing.assert_allclose(out.xs(year, level="year")[["te", "pte"]],
                                   alone[["te", "pte"]], rtol=1e-9)
    pooled = ef.dea(X, Y, frontier="pooled")
    assert (pooled["te"] <= out["te"] + 1e-9).all()  # a larger reference set: lower scores
    assert out.attrs["frontier"] == "year" and pooled.attrs["frontier"] == "pooled"
    lam = pd.DataFrame(out.attrs["lambdas"])
    assert list(lam.columns) == ["adcode", "year", "peer", "lambda"]
    # tidy panels in, tidy results out
    tidy = ef.dea(ix.to_tidy(X), ix.to_tidy(Y))
    pd.testing.assert_frame_equal(tidy, out, check_like=True)  # tidy sorts variables
    back = ix.to_tidy(out, columns=["te", "pte", "se"])
    assert list(back.columns) == ["adcode", "year", "variable", "value"] and len(back) == 36


def _with(frame: pd.DataFrame, unit: tuple[int, int], column: str | None, value: float
          ) -> pd.DataFrame:
    out = frame.copy()
    out.loc[unit, column if column else list(out.columns)] = value
    return out


def test_bad_input_names_units_and_variables() -> None:
    X, Y = panel()
    with pytest.raises(ef.DEAError, match=r"input 'loans' is negative for unit\(s\) "
                                          r"120000 \(2018\)"):
        ef.dea(_with(X, (120000, 2018), "loans", -1.0), Y)
    with pytest.raises(NonFiniteError, match=r"output 'wages'.*NaN at 130000 \(2017\)"):
        ef.dea(X, _with(Y, (130000, 2017), "wages", np.nan))
    with pytest.raises(ef.DEAError, match="only in inputs 140000"):
        ef.dea(X, Y.drop(index=140000, level="adcode"))
    with pytest.raises(ef.DEAError, match=r"all inputs are zero for 150000 \(2017\)"):
        ef.dea(_with(X, (150000, 2017), None, 0.0), Y)
    with pytest.raises(ef.DEAError, match="orientation"):
        ef.dea(X, Y, orientation="both")
