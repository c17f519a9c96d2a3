"""Spatial panels with the weights regional studies use besides contiguity (inverse distance
between provincial capitals, not symmetric once row-standardised): the estimates equal spreg's
where both estimate the model, and the direct/indirect/total effects of the SDM with two-way
effects equal the traces of (I − ρW)⁻¹(β_k I + θ_k W) computed densely here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spatialecon import regression as R
from spatialecon.regression._common import _spreg
from spatialecon.weights import capital_distance
from spatialecon.weights import transform as transform_weights

T = 8


@pytest.fixture(scope="module")
def distance_panel():
    w = capital_distance("inverse", power=2)
    wr = transform_weights(w, "row")
    Wd = wr.sparse.toarray()
    n = w.n
    rng = np.random.default_rng(5)
    mu = rng.normal(size=n)
    rows = []
    for year in range(2010, 2010 + T):
        x1, x2 = rng.normal(size=n), rng.normal(size=n)
        y = np.linalg.solve(np.eye(n) - 0.35 * Wd, mu + rng.normal() + x1 - 0.5 * x2
                            + 0.6 * Wd @ x1 + rng.normal(size=n))
        rows.append(pd.DataFrame({"adcode": w.id_order, "year": year, "y": y, "x1": x1,
                                  "x2": x2}))
    tidy = pd.concat(rows).melt(id_vars=["adcode", "year"], var_name="variable")
    return tidy, w, wr, Wd


def test_distance_weights_unit_effects_equal_spreg(distance_panel):
    tidy, w, wr, _ = distance_panel
    ours = R.fit_panel(tidy, "y ~ x1 + x2", w, model="lag", effects="unit", correction="none",
                       impacts=None)
    wide = tidy.pivot_table(index=["year", "adcode"], columns="variable", values="value")
    wide = wide.reindex(pd.MultiIndex.from_product([range(2010, 2010 + T), w.id_order]))
    direct = _spreg("ML_LagFE", wide[["y"]].to_numpy(), wide[["x1", "x2"]].to_numpy(), wr)
    np.testing.assert_allclose(ours.coefficients["estimate"], direct.betas.ravel(), rtol=1e-6)
    np.testing.assert_allclose(ours.coefficients["se"], np.sqrt(np.diag(direct.vm)), rtol=1e-5)


@pytest.mark.parametrize("method", ["delta", "simulation"])
def test_sdm_two_way_impacts_equal_dense_traces(distance_panel, method):
    tidy, w, _, Wd = distance_panel
    sdm = R.fit_panel(tidy, "y ~ x1 + x2", w, model="durbin", effects="twoway",
                      impacts=method, draws=4000, seed=1)
    coef = sdm.coefficients["estimate"]
    n = w.n
    S = np.linalg.inv(np.eye(n) - sdm.rho * Wd)
    for v in ("x1", "x2"):
        M = S @ (coef[v] * np.eye(n) + coef[f"W_{v}"] * Wd)
        direct, total = np.trace(M) / n, M.sum() / n
        table = sdm.impacts.loc[v, "estimate"]
        assert table["direct"] == pytest.approx(direct, rel=1e-10)
        assert table["total"] == pytest.approx(total, rel=1e-10)
        assert table["indirect"] == pytest.approx(total - direct, rel=1e-10)
    # the row-standardised total is (β + θ)/(1 − ρ)
    assert sdm.impacts.loc[("x1", "total"), "estimate"] == pytest.approx(
        (coef["x1"] + coef["W_x1"]) / (1 - sdm.rho))
    if method == "simulation":
        delta = R.fit_panel(tidy, "y ~ x1 + x2", w, model="durbin", effects="twoway")
        np.testing.assert_allclose(sdm.impacts["se"], delta.impacts["se"], rtol=0.1)
        assert sdm.impacts.attrs["draws"] == 4000 and sdm.impacts.attrs["seed"] == 1
