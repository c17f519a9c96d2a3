"""The seed's four quantitative studies as built-in studies: what reproduces from the
embedded data, checked against the article's printed tables."""

from __future__ import annotations

import pandas as pd
import pytest

from spatialecon import datasets
from spatialecon.pipeline import run_study
from spatialecon.study import builtin_studies


def _run(name, tmp_path_factory):
    out = tmp_path_factory.mktemp(name)
    run = run_study(name, output=out, echo=lambda _: None)
    return out, run


def test_the_studies_are_listed():
    assert {"urbanisation", "urban_rural", "resilience", "finpoverty"} <= set(builtin_studies())


def test_finpoverty_regional_means_reproduce_the_print(tmp_path_factory):
    out, _ = _run("finpoverty", tmp_path_factory)
    printed = datasets.printed("finpoverty_regional_means")
    printed = printed.set_index(printed["group"].str.removesuffix("地区"))
    for scheme, groups in (("south_north", ["南方", "北方", "全国"]), ("nbs4", ["西部"])):
        means = pd.read_csv(out / "tables" / f"regional_means-{scheme}.csv",
                            encoding="utf-8-sig").pivot_table(index="region",
                                                              columns="variable",
                                                              values="value")
        for group in groups:
            for column in ("te_crs", "pte_vrs", "se"):
                assert means.loc[group, column] == pytest.approx(
                    printed.loc[group, column], abs=0.00006), (group, column)
    # the printed 东部 CRS mean is a misprint (0.7821 for 0.7621), and the study says so
    means = pd.read_csv(out / "tables" / "regional_means-nbs4.csv", encoding="utf-8-sig")
    east = means.query("region == '东部' and variable == 'te_crs'")["value"].item()
    assert round(east, 4) == 0.7621 and printed.loc["东部", "te_crs"] == 0.7821
    assert "0.7821" in (out / "report.html").read_text(encoding="utf-8")


def test_urban_rural_regional_means_reproduce_three_dimensions(tmp_path_factory):
    out, _ = _run("urban_rural", tmp_path_factory)
    means = pd.read_csv(out / "tables" / "regional_means-liu2020_4region.csv",
                        encoding="utf-8-sig").pivot_table(index="region", columns="indicator",
                                                          values="value")
    printed = datasets.printed("urban_rural_regions")
    printed = printed.pivot_table(index="region", columns="variable", values="mean_score")
    for dimension in ("economic_drive", "transport_information", "ecological_capacity"):
        for region in ("东部", "中部", "西部", "东北"):
            assert means.loc[region, dimension] == pytest.approx(
                printed.loc[region, dimension], abs=0.00011), (region, dimension)
    # 居民生活水平 does not: the article's regional means disagree with its own provinces
    gap = means.loc["西部", "living_standard"] - printed.loc["西部", "living_standard"]
    assert abs(gap) > 0.005


def test_resilience_coupling_reproduces_table_6(tmp_path_factory):
    out, _ = _run("resilience", tmp_path_factory)
    ours = pd.read_csv(out / "tables" / "coupling_coordination.csv").set_index(
        ["adcode", "year"])["D"]
    printed = datasets.printed("resilience_coupling").dropna(subset=["adcode"])
    printed = printed.set_index(["adcode", "year"])["coupling_d"]
    common = printed.index.intersection(ours.index)
    assert len(common) == 72
    off = (ours[common] - printed[common]).abs() > 0.005
    assert off.sum() == 1 and off[off].index[0] == (500000, 2016)  # 重庆 2016, a misprint
    fe = pd.read_csv(out / "tables" / "panel-two-way-hq_index.csv").set_index(
        pd.read_csv(out / "tables" / "panel-two-way-hq_index.csv").columns[0])
    assert fe.loc["resilience_index", "estimate"] > 0  # the sign the article reports (表11)
    assert "Hausman (FE vs RE)" in (out / "report.html").read_text(encoding="utf-8")
    _check_spatial_panel_section(out)


def _check_spatial_panel_section(out):
    """The [spatial_panel] section's tables are the library's numbers on the same data: the
    test sequence and the SDM with two-way effects refitted here directly."""
    from spatialecon.geodata import boundaries
    from spatialecon.regression import fit_panel, spatial_panel_tests
    from spatialecon.weights import contiguity

    panel = datasets.load("west_resilience")
    panel = panel[panel["variable"].isin(["hq_index", "resilience_index"])]
    w = contiguity(boundaries("province").loc[sorted(panel["adcode"].unique())])
    tests = pd.read_csv(out / "tables" / "spatial_panel_tests-west.csv").set_index("test")
    direct = spatial_panel_tests(panel, "hq_index ~ resilience_index", w).tests
    assert list(tests.index) == list(direct.index)
    assert tests["statistic"].to_numpy() == pytest.approx(direct["statistic"].to_numpy(),
                                                          rel=1e-9, nan_ok=True)
    sdm = fit_panel(panel, "hq_index ~ resilience_index", w, model="durbin", seed=20201005)
    effects = pd.read_csv(out / "tables" / "spatial_panel_effects-west-durbin.csv").set_index(
        ["variable", "effect"])
    assert effects["estimate"].to_numpy() == pytest.approx(sdm.impacts["estimate"].to_numpy(),
                                                           rel=1e-9)
    assert (out / "maps" / "unit_effects-west.png").stat().st_size > 50_000
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Spatial panel models: west" in report and "SDM-2FE" in report


def test_urbanisation_chain_runs_with_the_printed_tables(tmp_path_factory):
    out, _ = _run("urbanisation", tmp_path_factory)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "printed tables" in report and "cannot be reproduced" in report
    assert "天津、上海、江苏、浙江、安徽、福建、山东" in report  # the printed 表4, 2018 HH
    by_year = pd.read_csv(out / "tables" / "moran_by_year-west-hq_index.csv")
    assert {"se_boot", "z_boot", "p_boot"} <= set(by_year.columns)
    theil = pd.read_csv(out / "tables" / "theil-belts3.csv")
    shares = theil.query("statistic == 'contribution_pct' and group in ['区域内', '区域间']")
    assert shares["value"].sum() == pytest.approx(100)
    factor = pd.read_csv(out / "tables" / "geodetector_factor.csv")
    assert set(factor["region"]) == {"全国", "东部", "中部", "西部"}
    moran = pd.read_csv(out / "tables" / "global_moran.csv").set_index("variable")
    assert (moran.loc["quality", "n"] == 30).all()  # 西藏 has no dimension scores


def test_disparity_study_tables_are_the_library_numbers(tmp_path_factory):
    """The built-in disparity study (the western panel by 西北/西南) writes the numbers the
    library gives on the same data, and the pictures papers print."""
    from spatialecon.centrography import mean_centre
    from spatialecon.dynamics import beta_convergence, markov, sigma_convergence
    from spatialecon.geodata import boundaries
    from spatialecon.inequality import dagum_gini

    out, run = _run("disparity", tmp_path_factory)
    panel = datasets.load("west_resilience")
    values = panel[panel["variable"] == "hq_index"].set_index(["adcode", "year"])["value"]
    tables = out / "tables"
    dagum = pd.read_csv(tables / "dagum_gini-west-hq_index.csv").set_index("year")
    assert dagum.iloc[:, 0].to_numpy() == pytest.approx(
        dagum_gini(values, "nw_sw").gini.to_numpy(), rel=1e-12)
    beta = pd.read_csv(tables / "beta_convergence-west-hq_index.csv").set_index("model")
    direct = beta_convergence(values, "hq_index")
    assert beta.loc["ols", "beta"] == pytest.approx(direct.beta, rel=1e-12)
    assert beta.loc["ols", "half_life"] == pytest.approx(direct.half_life, rel=1e-12)
    sigma = pd.read_csv(tables / "sigma_convergence-west-hq_index.csv")
    cv = sigma[(sigma["measure"] == "cv") & (sigma["group"] == "all")]["value"].to_numpy()
    assert cv == pytest.approx(sigma_convergence(values, measure="cv").table["value"]
                               .to_numpy(), rel=1e-12)
    centre = pd.read_csv(tables / "centre-west-hq_index.csv").set_index("year")
    ours = mean_centre(boundaries("province"), values)
    assert centre[["lon", "lat"]].to_numpy() == pytest.approx(ours[["lon", "lat"]].to_numpy(),
                                                              rel=1e-12)
    chain = markov(values, k=3)
    counts = pd.read_csv(tables / "markov-west-hq_index.csv")
    assert len(counts) >= 3 and chain.transitions.sum() == 12 * 5
    for name in ("centre", "kernel_density-surface", "spatial_markov", "next_class"):
        assert (out / "maps" / f"{name}-west-hq_index.png").stat().st_size > 30_000
    report = (out / "report.html").read_text(encoding="utf-8")
    for title in ("Dagum Gini decomposition", "Distribution dynamics", "Convergence",
                  "Centre of gravity"):
        assert title in report
    assert {"Dagum Gini decomposition", "convergence"} <= set(run.timings)
