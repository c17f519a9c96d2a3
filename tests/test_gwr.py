"""GWR and MGWR against GWR4's own outputs (libpysal's Georgia example), mgwr 2.2 run directly,
and a brute-force local weighted least squares written here."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialecon.regression import CONSTANT, RegressionError, gwr, mgwr
from spatialecon.validation import ParameterError

libpysal = pytest.importorskip("libpysal")

FORMULA = "PctBach ~ PctRural + PctPov + PctBlack"
# GWR4 session → (kernel, fixed, bandwidth GWR4 fitted; its adaptive sizes are rounded)
GWR4 = {
    "GS_NN": ("gaussian", False, 49),
    "GS_F": ("gaussian", True, 87308.298470),
    "BS_NN": ("bisquare", False, 90),
    "BS_F": ("bisquare", True, 209267.688808),
}


@pytest.fixture(scope="module")
def georgia() -> tuple[pd.DataFrame, Path]:
    path = Path(libpysal.examples.get_path("GData_utm.csv"))
    return pd.read_csv(path).set_index("AreaKey"), path.parent


def _gwr4_summary(folder: Path, name: str) -> dict[str, float]:
    text = (folder / f"georgia_{name}_summary.txt").read_text(errors="replace")
    local = text.split("GWR (Geographically weighted regression) result")[1]
    keys = {"aicc": r"AICc:\s+([\d.]+)", "aic": r"Classic AIC:\s+([\d.]+)",
            "bic": r"BIC/MDL:\s+([\d.]+)", "r2": r"R square:\s+([\d.]+)",
            "adj_r2": r"Adjusted R square:\s+([\d.]+)",
            "rss": r"Residual sum of squares:\s+([\d.]+)",
            "tr_s": r"trace\(S\)\):\s+([\d.]+)", "tr_sts": r"trace\(S'S\)\):\s+([\d.]+)",
            "cv": r"CV:\s+([\d.]+)", "kernel": r"Geographic kernel: (.*)"}
    out = {}
    for key, pattern in keys.items():
        source = text if key == "kernel" else local
        value = re.search(pattern, source).group(1)
        out[key] = value.strip() if key == "kernel" else float(value)
    return out


@pytest.mark.parametrize("name", list(GWR4))
def test_gwr4_fits(georgia, name):
    """GWR4's diagnostics and listwise local estimates at its bandwidth, to its print precision
    (GWR4's standard errors use σ² = RSS/(n − 2 tr S + tr S'S): sigma2="gwr4")."""
    data, folder = georgia
    kernel, fixed, bw = GWR4[name]
    printed = _gwr4_summary(folder, name)
    assert printed["kernel"] == f"{'fixed' if fixed else 'adaptive'} " + (
        "Gaussian" if kernel == "gaussian" else "bi-square")
    r = gwr(data, FORMULA, coords=["X", "Y"], kernel=kernel, fixed=fixed, bandwidth=bw,
            sigma2="gwr4")
    for key in ("aicc", "aic", "bic", "r2", "adj_r2", "rss", "tr_s", "tr_sts", "cv"):
        assert getattr(r, key) == pytest.approx(printed[key], abs=2e-6 * max(1, printed[key])), key
    listwise = pd.read_csv(folder / f"georgia_{name}_listwise.csv", skipinitialspace=True)
    for ours, prefix in ((r.params, "est_"), (r.bse, "se_"), (r.tvalues, "t_")):
        theirs = listwise[[c for c in listwise.columns if c.startswith(prefix)]].to_numpy()
        np.testing.assert_allclose(ours.to_numpy(), theirs, rtol=1e-6, atol=2e-6)
    np.testing.assert_allclose(r.local_r2, listwise["localR2"], atol=1e-6)
    np.testing.assert_allclose(r.influence, listwise["influence"], atol=1e-6)
    np.testing.assert_allclose(r.fitted, listwise["yhat"], atol=1e-6)


def _mgwr_fit(data, kernel, fixed, sigma2_v1=True):
    from mgwr.gwr import GWR
    from mgwr.sel_bw import Sel_BW

    coords = data[["X", "Y"]].to_numpy()
    y = data[["PctBach"]].to_numpy(float)
    X = data[["PctRural", "PctPov", "PctBlack"]].to_numpy(float)
    selector = Sel_BW(coords, y, X, kernel=kernel, fixed=fixed)
    bw = selector.search(criterion="AICc")
    res = GWR(coords, y, X, bw, kernel=kernel, fixed=fixed, sigma2_v1=sigma2_v1).fit()
    return bw, res, selector


SEARCHES = [("bisquare", False), ("bisquare", True),
            pytest.param("gaussian", True, marks=pytest.mark.slow),
            pytest.param("gaussian", False, marks=pytest.mark.slow)]


@pytest.mark.parametrize(("kernel", "fixed"), SEARCHES)
def test_golden_search_matches_mgwr(georgia, kernel, fixed):
    pytest.importorskip("mgwr")
    data, _ = georgia
    bw, res, selector = _mgwr_fit(data, kernel, fixed)
    r = gwr(data, FORMULA, coords=["X", "Y"], kernel=kernel, fixed=fixed)
    assert r.bandwidth == bw
    assert r.aicc == pytest.approx(res.aicc, abs=1e-8)
    assert r.enp == pytest.approx(res.ENP, abs=1e-10)
    assert r.r2 == pytest.approx(res.R2, abs=1e-12)
    np.testing.assert_allclose(r.params, res.params, atol=1e-6)
    np.testing.assert_allclose(r.bse, res.bse, atol=1e-6)
    np.testing.assert_allclose(r.local_r2, res.localR2.ravel(), atol=1e-10)
    np.testing.assert_allclose(r.adj_alpha, res.adj_alpha, rtol=1e-12)
    assert r.critical_t() == pytest.approx(res.critical_tval(), rel=1e-12)
    np.testing.assert_array_equal(r.significant().to_numpy(), res.filter_tvals() != 0)
    assert r.bandwidth_interval() == res.get_bws_intervals(selector)
    if kernel == "bisquare" and not fixed:
        corr, vif, cn, vdp = res.local_collinearity()
        ours = r.local_collinearity()
        np.testing.assert_allclose(ours.filter(like="corr_"), corr, atol=1e-10)
        np.testing.assert_allclose(ours.filter(like="vif_"), vif, atol=1e-8)
        np.testing.assert_allclose(ours["condition_number"], cn.ravel(), rtol=1e-10)
        np.testing.assert_allclose(ours.filter(like="vdp_"), vdp, atol=1e-10)


def test_summary_and_conventions(georgia):
    data, _ = georgia
    r = gwr(data, FORMULA, coords=["X", "Y"], bandwidth=90)
    text = r.summary()
    assert "GWR ANOVA Table" in text and "Global regression result" in text
    assert "908.31924" in text  # GWR4's global AICc 908.319245
    assert r.conventions["kernel"] == "bisquare"
    assert r.conventions["search"] == "given"
    assert list(r.params.columns) == [CONSTANT, "PctRural", "PctPov", "PctBlack"]
    assert r.params.index.equals(data.index)
    interval = gwr(data, FORMULA, coords=["X", "Y"], search="interval", bounds=(80, 100),
                   interval_step=2)
    assert list(interval.search_trace["bandwidth"]) == list(range(80, 101, 2))
    assert interval.bandwidth == interval.search_trace.set_index("bandwidth")["AICc"].idxmin()


@pytest.mark.slow
def test_mgwr_matches_mgwr(georgia):
    pytest.importorskip("mgwr")
    from mgwr.gwr import MGWR
    from mgwr.sel_bw import Sel_BW

    data, _ = georgia
    coords = data[["X", "Y"]].to_numpy()
    y = data[["PctBach"]].to_numpy(float)
    X = data[["PctRural", "PctPov", "PctBlack"]].to_numpy(float)
    zy = (y - y.mean()) / y.std()
    zX = (X - X.mean(axis=0)) / X.std(axis=0)
    selector = Sel_BW(coords, zy, zX, multi=True)
    selector.search(multi_bw_min=[2], multi_bw_max=[159])
    res = MGWR(coords, zy, zX, selector=selector).fit()
    r = mgwr(data, FORMULA, coords=["X", "Y"], bounds=(2, 159))
    np.testing.assert_array_equal(r.bandwidths, selector.bw[0])
    assert r.aicc == pytest.approx(res.aicc, abs=1e-8)
    np.testing.assert_allclose(r.enp_j, res.ENP_j, atol=1e-10)
    np.testing.assert_allclose(r.params, res.params, atol=1e-10)
    np.testing.assert_allclose(r.bse, res.bse, atol=1e-10)
    np.testing.assert_allclose(r.critical_t(), res.critical_tval(), rtol=1e-12)
    assert [tuple(row) for row in r.bandwidth_intervals().to_numpy()] == \
        res.get_bws_intervals(selector)
    cn, vdp = res.local_collinearity()
    lc = r.local_collinearity()
    np.testing.assert_allclose(lc["condition_number"], cn.ravel(), rtol=1e-10)
    np.testing.assert_allclose(lc.filter(like="vdp_"), vdp, atol=1e-10)
    assert "MGWR bandwidths" in r.summary()


# ---------------------------------------------------------------------------- brute force


def _weights(coords, kernel, fixed, bw):
    d = np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1))
    h = np.full(len(coords), float(bw)) if fixed else np.sort(d, axis=1)[:, int(bw) - 1] * 1.0000001
    z = d / h[:, None]
    w = {"bisquare": (1 - z ** 2) ** 2, "gaussian": np.exp(-0.5 * z ** 2),
         "exponential": np.exp(-z), "boxcar": np.ones_like(z), "tricube": (1 - z ** 3) ** 3}[kernel]
    if kernel in ("bisquare", "boxcar", "tricube"):
        w = np.where(z < 1, w, 0.0)
    return w


@pytest.fixture(scope="module")
def random_data():
    rng = np.random.default_rng(3)
    n = 80
    coords = rng.uniform(0, 100, size=(n, 2))
    X = rng.normal(size=(n, 2))
    y = 1 + X @ [0.5, -1.0] + coords[:, 0] / 50 * X[:, 0] + rng.normal(scale=0.3, size=n)
    frame = pd.DataFrame({"y": y, "a": X[:, 0], "b": X[:, 1]},
                         index=pd.Index([f"u{i}" for i in range(n)], name="unit"))
    return frame, coords


@pytest.mark.parametrize("kernel", ["bisquare", "gaussian", "exponential", "boxcar", "tricube"])
@pytest.mark.parametrize(("fixed", "bw"), [(False, 30), (True, 35.0)])
def test_against_brute_force(random_data, kernel, fixed, bw):
    frame, coords = random_data
    n = len(frame)
    X = np.column_stack([np.ones(n), frame[["a", "b"]].to_numpy()])
    y = frame["y"].to_numpy()
    W = _weights(coords, kernel, fixed, bw)
    params, S, cct = np.empty((n, 3)), np.empty((n, n)), np.empty((n, 3))
    for i in range(n):
        sw = np.sqrt(W[i])
        params[i] = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)[0]
        C = np.linalg.solve(X.T @ (X * W[i][:, None]), (X * W[i][:, None]).T)  # (X'WX)⁻¹X'W
        S[i] = X[i] @ C
        cct[i] = np.diag(C @ C.T)
    resid = y - S @ y
    rss = resid @ resid
    tr_s = np.trace(S)
    sigma2 = rss / (n - tr_s)
    ll = -n / 2 * (np.log(2 * np.pi * rss / n) + 1)
    aicc = -2 * ll + 2 * n * (tr_s + 1) / (n - tr_s - 2)
    r = gwr(frame, "y ~ a + b", coords=coords, kernel=kernel, fixed=fixed, bandwidth=bw)
    np.testing.assert_allclose(r.params, params, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(r.bse, np.sqrt(cct * sigma2), rtol=1e-10, atol=1e-12)
    assert r.enp == pytest.approx(tr_s, abs=1e-10)
    assert r.tr_sts == pytest.approx(np.trace(S.T @ S), abs=1e-10)
    assert r.aicc == pytest.approx(aicc, abs=1e-10)
    assert r.cv == pytest.approx(np.mean((resid / (1 - np.diag(S))) ** 2), abs=1e-10)


def test_mgwr_operators_brute_force(random_data):
    """ENP_j and standard errors from the replay equal a dense replay of the recorded
    bandwidths written here; params equal R_j y / x_j."""
    frame, coords = random_data
    r = mgwr(frame, "y ~ a + b", coords=coords, bounds=(10, 80))
    n = len(frame)
    scale = r.conventions["scale"]
    X = np.column_stack([np.ones(n)] + [(frame[c] - scale[c][0]) / scale[c][1]
                                        for c in ("a", "b")])
    y = (frame["y"].to_numpy() - scale["y"][0]) / scale["y"][1]
    W0 = _weights(coords, "bisquare", False, r.init_bandwidth)
    R = np.empty((3, n, n))
    for i in range(n):
        C = np.linalg.solve(X.T @ (X * W0[i][:, None]), (X * W0[i][:, None]).T)
        R[:, i, :] = C * X[i][:, None]
    E = np.eye(n) - R.sum(axis=0)
    for _, bws in r.bandwidth_history.iterrows():
        for j in range(3):
            W = _weights(coords, "bisquare", False, bws.iloc[j])
            A = (X[:, j][:, None] * W * X[:, j][None, :]) / (W @ X[:, j] ** 2)[:, None]
            Z = R[j] + E
            R[j] = A @ Z
            E = Z - R[j]
    enp = np.trace(R, axis1=1, axis2=2)
    np.testing.assert_allclose(r.enp_j, enp, atol=1e-10)
    np.testing.assert_allclose(r.params, (R @ y).T / X, atol=1e-8)
    cct = np.stack([((R[j] / X[:, j][:, None]) ** 2).sum(1) for j in range(3)], axis=1)
    sigma2 = r.rss / (n - enp.sum())
    np.testing.assert_allclose(r.bse, np.sqrt(cct * sigma2), rtol=1e-9)
    assert r.converged and r.soc.iloc[-1] < 1e-5


def test_spatial_variability_runs(random_data):
    frame, coords = random_data
    r = gwr(frame, "y ~ a + b", coords=coords, bandwidth=30)
    out = r.spatial_variability(permutations=19, seed=1)
    assert list(out.index) == [CONSTANT, "a", "b"]
    assert ((out["p_sim"] > 0) & (out["p_sim"] <= 1)).all()
    assert out["p_sim"]["a"] <= 0.1  # the slope of a varies with x
    again = r.spatial_variability(permutations=19, seed=1)
    pd.testing.assert_frame_equal(out, again)


# ---------------------------------------------------------------------------- bad input


def test_bad_inputs(random_data):
    frame, coords = random_data
    with pytest.raises(RegressionError, match="collinear regressors"):
        gwr(frame.assign(c=2 * frame["a"]), "y ~ a + b + c", coords=coords, bandwidth=30)
    local = frame.assign(d=np.where(coords[:, 0] < 30, 1.0, frame["b"]))
    with pytest.raises(RegressionError, match=r"singular .* u\d+.*larger bandwidth"):
        gwr(local, "y ~ a + d", coords=coords, bandwidth=6)
    with pytest.raises(RegressionError, match="outside the feasible range 4 … 80"):
        gwr(frame, "y ~ a + b", coords=coords, bandwidth=3)
    with pytest.raises(RegressionError, match="outside the feasible range"):
        gwr(frame, "y ~ a + b", coords=coords, bandwidth=81)
    with pytest.raises(RegressionError, match="number of neighbours"):
        gwr(frame, "y ~ a + b", coords=coords, bandwidth=30.5)
    lonlat = np.column_stack([100 + coords[:, 0] / 10, 30 + coords[:, 1] / 10])
    with pytest.raises(RegressionError, match=r"longitude/latitude.*CHINA_ALBERS"):
        gwr(frame, "y ~ a + b", coords=lonlat, fixed=True, bandwidth=1.0)
    with pytest.raises(RegressionError, match="longitude/latitude"):
        mgwr(frame, "y ~ a + b", coords=lonlat, fixed=True)
    with pytest.raises(RegressionError, match=r"no value for u3\b"):
        gwr(frame.assign(a=frame["a"].where(frame.index != "u3")), "y ~ a + b", coords=coords)
    with pytest.raises(RegressionError, match=r"3 units for 4 parameters"):
        gwr(frame.iloc[:3].assign(c=[1.0, 2.0, 5.0]), "y ~ a + b + c", coords=coords[:3],
            bandwidth=3)
    with pytest.raises(RegressionError, match=r"\(n, 2\) array"):
        gwr(frame, "y ~ a + b", coords=coords[:10])
    with pytest.raises(RegressionError, match="no coordinates"):
        gwr(frame, "y ~ a + b")
    with pytest.raises(ParameterError, match="kernel must be one of"):
        gwr(frame, "y ~ a + b", coords=coords, kernel="triangle")
    with pytest.raises(ParameterError, match="criterion must be one of"):
        gwr(frame, "y ~ a + b", coords=coords, criterion="aicc")
    with pytest.raises(RegressionError, match="bounds must be increasing"):
        gwr(frame, "y ~ a + b", coords=coords, bounds=(50, 20))
    with pytest.raises(RegressionError, match=r"one per covariate"):
        mgwr(frame, "y ~ a + b", coords=coords, bounds=[(10, 80), (10, 80)])


def test_geodataframe_coordinates(random_data):
    gpd = pytest.importorskip("geopandas")
    frame, coords = random_data
    lon, lat = 100 + coords[:, 0] / 10, 25 + coords[:, 1] / 10
    layer = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    r = gwr(layer, "y ~ a + b", bandwidth=30)
    assert "CHINA_ALBERS" in r.conventions["coordinates"]
    from spatialecon.geodata import CHINA_ALBERS

    projected = layer.to_crs(CHINA_ALBERS)
    xy = np.column_stack([projected.geometry.x, projected.geometry.y])
    same = gwr(frame, "y ~ a + b", coords=xy, bandwidth=30)
    np.testing.assert_allclose(r.params, same.params, rtol=1e-12)
