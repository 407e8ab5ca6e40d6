"""Grids: parsing, expansion into cells, naming, the study graph, and the seed-aware interval."""

import numpy as np
import pytest

from vaereport.config import grid
from vaereport.reporting import robustness
from vaereport.study import cluster, graph
from vaereport.errors import ParameterError
from vaereport.config.params import load_params
from vaereport.science.semisup import t_interval


def test_grid_options_keep_value_types():
    parsed = grid.parse_grid_options(["latent_dim=8,16,32", "hidden=[8, 4],[16, 8]", "gaussian_sigma=0.05,0.1"])
    assert parsed == {"latent_dim": [8, 16, 32], "hidden": [[8, 4], [16, 8]], "gaussian_sigma": [0.05, 0.1]}


@pytest.mark.parametrize("options, message", [
    (["latent_dim"], "must look like name=value1,value2"),
    (["seed=1", "seed=2"], "names 'seed' twice"),
    (["seed=[1"], "not valid YAML"),
])
def test_bad_grid_options_say_what_is_wrong(options, message):
    with pytest.raises(ParameterError, match=message):
        grid.parse_grid_options(options)


def test_union_of_blocks_shares_cells():
    base = load_params("q2r", "full")
    spec = [{"latent_dim": [2 + 2, 8, 16, 32, 64, 128]}, {"seed": [1, 2, 3]}]  # full's seed is 2, latent_dim 16
    cells = grid.expand("q2r", base, spec, "test")
    assert len(cells) == 6 + 3 - 1  # (seed 2, latent_dim 16) is in both blocks
    assert [c.name for c in cells][:2] == ["seed-2_latent_dim-4", "seed-2_latent_dim-8"]
    assert cells[-1].name == "seed-3_latent_dim-16" and cells[-1].varying == {"seed": 3, "latent_dim": 16}
    assert len({c.name for c in cells}) == len(cells)


def test_cell_names_are_folder_safe():
    assert grid.cell_name({"hidden": [16, 8], "gaussian_sigma": 0.05}) == "hidden-16x8_gaussian_sigma-0.05"
    assert grid.cell_name({"train_subset": None, "label_spreading": False}) == "train_subset-all_label_spreading-false"
    assert grid.cell_name({}) == grid.BASE_CELL


@pytest.mark.parametrize("spec, message", [
    ({"latent_size": [8]}, "unknown grid parameter"),
    ({"latent_dim": []}, "empty list"),
    ({"latent_dim": [8, 1]}, "out of range"),
    ({"latent_dim": 8}, "must have a list"),
    ([], "empty list"),
    ({}, "must map parameter names"),
])
def test_bad_grids_fail_before_anything_runs(spec, message):
    with pytest.raises(ParameterError, match=message):
        grid.expand("q2r", load_params("q2r", "full"), spec, "test")


def test_study_graph_runs_downstream_once_per_upstream_cell():
    nodes = graph.build_graph("study_smoke")
    by = {}
    for n in nodes:
        by.setdefault(n.analysis, []).append(n)
    q2r, q2s = by["q2_representations"], by["q2_semisupervised"]
    # code sizes 4 and 16, seeds 1 and 2, corruption 0.1 and 0.3, Bernoulli and Gaussian (size 16 = seed 2 = 0.3 =
    # Bernoulli: the profile's own run) + 2 architectures
    assert len(q2r) == 7
    assert len(q2s) == len(q2r) + 1  # each upstream cell, plus the profile's own (full settings) run
    assert {n.upstream["q2_representations"] for n in q2s} == {n.id for n in q2r}
    assert sum(n.own for n in nodes) == 3  # one own run per analysis, marked in the graph
    own_q2r = next(n for n in q2r if n.own)
    assert own_q2r.params == load_params("q2r", "study_smoke")
    assert own_q2r.cell == "seed-2_architecture-mlp_latent_dim-16_likelihood-bernoulli_corruption_level-0.3_validation_size-0"


def test_grid_on_the_command_line_replaces_the_profile_grid_of_that_analysis():
    nodes = graph.build_graph("smoke", ["q2s"], {"budgets": [[100], [200]]})
    assert [n.cell for n in nodes if n.analysis == "q2_semisupervised"] == ["profile", "budgets-100", "budgets-200"]
    assert [n.cell for n in nodes if n.analysis == "q2_representations"] == ["profile"]
    one = graph.build_graph("smoke", ["q2s"], {"budgets": [[100]]})  # a grid of one cell runs too
    assert [n.cell for n in one if n.analysis == "q2_semisupervised"] == ["profile", "base"]


def test_the_full_profile_measures_its_choices_once_per_distinct_cell():
    nodes = graph.build_graph("full")
    count = {a: sum(n.analysis == a for n in nodes) for a in ("q1_vae_mnist", "q2_representations", "q2_semisupervised")}
    # Q1: own, σ x3, mlp/conv, conv encoder, conv decoder, the dense decoder at equal time; Q2: own, 9 distinct 5-epoch
    # settings (code size x3, corruption +2, likelihood +1, Gaussian σ +2, conv +1), 3 seeds at 29 epochs
    assert count == {"q1_vae_mnist": 9, "q2_representations": 13, "q2_semisupervised": 13}
    longer = {n.analysis: n.params["epochs"] for n in nodes if not n.own and n.params.get("epochs", 0) > 5}
    assert longer == {"q1_vae_mnist": 17, "q2_representations": 29}
    assert all(n.params["validation_size"] == 10000 for n in nodes if not n.own and n.analysis != "q2_semisupervised")
    seeds = {n.id: n.params["seed"] for n in nodes if n.analysis == "q2_representations" and n.params["epochs"] == 29}
    assert sorted(seeds.values()) == [1, 2, 3]  # the seed study's trainings; seed 2's is also the equal-time run
    graph_cells = [n for n in nodes if n.analysis == "q2_semisupervised" and not n.own and n.params["graph_methods"]]
    assert sorted(n.upstream["q2_representations"] for n in graph_cells) == sorted(seeds)  # the upstream filter


def test_a_downstream_block_runs_only_on_the_upstream_cells_it_names():
    base = load_params("q2s", "full")
    spec = [{"budgets": [[100]], "upstream": {"epochs": [5]}}, {"budgets": [[100, 300]], "upstream": {"epochs": [29]}}]
    cells = grid.expand("q2s", base, spec, "test")
    assert [c.reads([{"epochs": 5}]) for c in cells] == [True, False]
    assert [c.reads([{"epochs": 29}]) for c in cells] == [False, True]
    with pytest.raises(ParameterError, match="'upstream' names epoch, which no upstream analysis"):
        grid.expand("q2s", base, {"budgets": [[100]], "upstream": {"epoch": [5]}}, "test")
    with pytest.raises(ParameterError, match="must map upstream parameter names"):
        grid.expand("q2s", base, {"budgets": [[100]], "upstream": [5]}, "test")


def test_local_cluster_layout_one_worker_per_core_and_per_cell_ready_or_as_asked():
    assert cluster.local_layout(cores=2) == (2, 2)  # each cell may use both cores for its own processes
    assert cluster.local_layout(cores=2, width=1) == (1, 2)
    assert cluster.local_layout(cores=16, width=3) == (3, 16)
    assert cluster.local_layout(workers=2, cores=2) == (2, 1)  # --workers splits the cores evenly
    assert cluster.local_layout(workers=4, cores=16) == (4, 4)
    with pytest.raises(ParameterError, match="at least one worker"):
        cluster.local_layout(workers=0)


def test_crossed_interval_with_one_subset_is_the_t_interval_over_seeds():
    d = np.array([[0.01], [0.03], [-0.01]])
    mean, low, high = robustness.crossed_interval(d)
    m, half = t_interval(d[:, 0])
    assert mean == pytest.approx(m) and low == pytest.approx(m - half) and high == pytest.approx(m + half)


def test_crossed_interval_counts_the_seed():
    rng = np.random.default_rng(0)
    seed_effect = np.array([0.05, -0.04, 0.01])[:, None]
    d = seed_effect + 0.002 * rng.standard_normal((3, 5))  # subsets agree, seeds do not
    _, low, high = robustness.crossed_interval(d)
    _, half_subsets = t_interval(d[0])
    assert low < 0 < high  # the seeds' spread makes the difference undecided
    assert (high - low) / 2 > 5 * half_subsets  # far wider than one seed's subsets-only interval
    _, low, high = robustness.crossed_interval(d + 0.2)
    assert low > 0


def test_a_single_seed_has_no_interval_and_no_leader():
    from vaereport.reporting import findings

    mean, low, high = robustness.crossed_interval(np.array([[0.01, 0.02, 0.03]]))
    assert mean == pytest.approx(0.02) and low is None and high is None
    assert findings.leader(low, high) == "undecided"
    assert findings.leader(0.01, 0.02) == "vae" and findings.leader(-0.02, -0.01) == "dae"
    assert findings.finite_or_none(float("nan")) is None and findings.finite_or_none(0.0) == 0.0


def test_error_bars_draw_none_for_a_missing_interval():
    from vaereport.figures.robustness_plots import error_bars

    err = error_bars(np.array([50.0, 60.0]), [0.45, None], [0.56, None], scale=100)
    assert np.allclose(err, [[5.0, 0.0], [6.0, 0.0]])


def _acc(mean, half):
    return {"mean_accuracy": mean, "ci95_low": mean - half, "ci95_high": mean + half}


def _code_row(size, acc100, selection, mse):
    return {"latent_dim": size, "budgets": [100], "vae_mse": mse, "dae_mse": mse, "vae_neg_elbo": 300 - size,
            "active_units": min(size, 12), "accuracy": {("vae", 100): acc100, ("dae", 100): acc100},
            "selection": {("vae", 100): selection, ("dae", 100): selection},
            "vae_fd": {"frechet_distance": 10.0 + size, "fd_se": 0.5},
            "dae_fd": {"frechet_distance": 50.0 - size, "fd_se": 0.5}}


def test_code_size_facts_pick_by_the_labels_and_compare_on_the_test():
    from vaereport.reporting import findings

    rows = [_code_row(8, _acc(0.60, 0.01), 0.70, 0.03), _code_row(16, _acc(0.70, 0.01), 0.75, 0.02),
            _code_row(32, _acc(0.72, 0.02), 0.74, 0.01)]
    facts = findings.code_size_facts(rows, chosen=16)
    entry = facts["accuracy"][("vae", 100)]
    assert entry["picked_size"] == 16  # the labelled-subset score picks, not the higher test accuracy of 32
    assert facts["not_like_picked"] == [] and facts["dae_mse_falls"] and facts["largest"] == {"size": 32, "active": 12}
    assert facts["vae_fd_min_size"] == 8 and facts["dae_fd_min_size"] == 32
    assert not facts["vae_fd_chosen_overlaps_min"] and not facts["dae_fd_chosen_overlaps_min"]
    facts = findings.code_size_facts(rows, chosen=8)
    assert facts["not_like_picked"] == [("vae", 100), ("dae", 100)]
    for r in rows:  # all labels: one subset, no interval
        r["accuracy"] = {k: {**a, "ci95_low": None, "ci95_high": None} for k, a in r["accuracy"].items()}
    assert all(e["relation"] == "single" for e in findings.code_size_facts(rows, chosen=8)["accuracy"].values())
    assert facts["elbo"] is None  # no held-out training images, no comparison of the sizes' ELBOs


def test_held_out_elbo_of_code_sizes_is_compared_by_paired_intervals():
    from vaereport.reporting import findings

    rows = [_code_row(8, _acc(0.60, 0.01), 0.70, 0.03), _code_row(16, _acc(0.70, 0.01), 0.75, 0.02),
            _code_row(32, _acc(0.72, 0.02), 0.74, 0.01)]
    differences = {8: {"mean": 3.0, "low": 2.0, "high": 4.0}, 16: None, 32: {"mean": 0.4, "low": -0.1, "high": 0.9}}
    for r, loss in zip(rows, (250.0, 247.0, 247.4)):
        r.update(vae_validation_neg_elbo=loss, n_validation=1000, vs_best=differences[r["latent_dim"]])
    elbo = findings.code_size_facts(rows, chosen=16)["elbo"]
    assert elbo["best_size"] == 16 and not elbo["all_above"] and elbo["not_separated"] == [32]
    assert findings.code_size_facts(rows, chosen=8)["elbo"]["chosen"]["verdict"] == "above"


def _seed_row(budget, verdict, own_low, own_high, method="chosen"):
    return {"method": method, "budget": budget, "verdict": verdict,
            "per_seed": {2: {"mean": 0.0, "low": own_low, "high": own_high}}}


def test_seed_facts_compare_with_the_report_seed_under_the_same_settings():
    from vaereport.reporting import findings

    rows = [_seed_row(100, "undecided", -0.1, -0.05), _seed_row(1000, "vae", -0.01, 0.02),
            _seed_row(60000, "vae", None, None), _seed_row(100, "dae", -0.1, -0.05, "poisson")]
    facts = findings.seed_facts(rows, report_seed=2)
    assert facts["lost"] == [("chosen", 100)] and facts["gained"] == [("chosen", 1000)] and facts["reversed"] == []
    assert facts["agree"] == [("poisson", 100)]
    assert ("chosen", 60000) not in facts["single"]  # a single run has no verdict to compare


def test_seed_rows_pair_each_method_over_the_subsets_every_seed_scored(monkeypatch):
    cells = {}
    seeds = {1: 0.00, 2: 0.01, 3: -0.01}
    acc = {}
    for seed, shift in seeds.items():  # the VAE 2 points ahead with the selection; Poisson only at 100 labels
        a = {}
        for r in range(5):
            for l in (100, 1000):
                a[("chosen", l, r, "vae")], a[("chosen", l, r, "dae")] = 0.70 + shift + 0.001 * r, 0.68
            a[("poisson", 100, r, "vae")], a[("poisson", 100, r, "dae")] = 0.60, 0.60 + 0.002 * (r - 2) + shift
        acc[seed] = a
    runs = [(type("C", (), {"node": type("N", (), {"params": {"seed": s}})()})(), f"s{s}") for s in seeds]
    monkeypatch.setattr(robustness, "sweep", lambda cells, analysis, parameter: [c for c, _ in runs])
    monkeypatch.setattr(robustness, "downstream", lambda cells, c: type("S", (), {"folder": f"s{c.node.params['seed']}"})())
    monkeypatch.setattr(robustness, "_accuracy_by_subset", lambda folder, method="chosen": {
        k[1:]: v for k, v in acc[int(folder[1:])].items() if k[0] == method})
    rows = robustness.seed_rows(cells)
    assert [(r["method"], r["budget"]) for r in rows] == [("chosen", 100), ("chosen", 1000), ("poisson", 100)]
    assert rows[0]["mean"] == pytest.approx(0.022) and rows[0]["n_seeds"] == 3 and rows[0]["n_subsets"] == 5
    assert rows[2]["mean"] == pytest.approx(0.0) and rows[2]["verdict"] == "undecided"
    assert set(rows[0]["per_seed"]) == {1, 2, 3}
    spread = robustness.seed_spread(cells)  # each code's accuracy per seed over the same subsets
    assert set(spread) == {("chosen", "vae", 100), ("chosen", "dae", 100), ("chosen", "vae", 1000),
                           ("chosen", "dae", 1000), ("poisson", "vae", 100), ("poisson", "dae", 100)}
    assert spread[("chosen", "vae", 100)]["spread"] == pytest.approx(0.02)  # seed 2 (+0.01) against seed 3 (−0.01)
    assert spread[("chosen", "dae", 1000)]["spread"] == pytest.approx(0.0)
    assert spread[("poisson", "vae", 100)]["per_seed"] == {1: 0.60, 2: 0.60, 3: 0.60}


def test_sigma_facts_follow_the_numbers():
    from vaereport.reporting import findings

    rows = [{"test_kl": 10.0, "test_mse": 0.01}, {"test_kl": 8.0, "test_mse": 0.02}]
    assert findings.sigma_facts(rows) == {"kl_falls": True}
    assert findings.sigma_facts(rows[::-1]) == {"kl_falls": False}


def test_an_external_worker_with_other_packages_or_code_is_named():
    mine = cluster.environment_facts()
    assert cluster.environment_differences(mine, mine) == []
    theirs = {"packages": {**mine["packages"], "numpy": "0.0.1"},
              "code": {**mine["code"], "q1_vae_mnist": {"script": "other", "modules": "other"}}}
    found = cluster.environment_differences(mine, theirs)
    assert any(f.startswith("numpy 0.0.1") for f in found) and "the code of q1_vae_mnist" in found


def test_workers_of_this_checkout_pass_the_external_cluster_check(tmp_path, monkeypatch):
    from distributed import Client, LocalCluster

    monkeypatch.setenv("VAEREPORT_BUILD_DIR", str(tmp_path))
    # in-process workers (no network at all); the check runs through the scheduler as on a real cluster
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as local, \
            Client(local) as client:
        cluster.check_workers(client)  # same packages and code, same build folder: no error


def test_architecture_differences_are_paired_over_the_same_held_out_images(tmp_path):
    from vaereport.reporting import robustness

    rng = np.random.default_rng(0)
    mlp_loss = rng.normal(100, 10, 500).astype("float32")
    conv_loss = (mlp_loss + rng.normal(-2, 1, 500)).astype("float32")  # the same images, a bit better each
    for name, loss in (("mlp", mlp_loss), ("conv", conv_loss)):
        (tmp_path / name / "arrays").mkdir(parents=True)
        np.savez(tmp_path / name / "arrays" / "validation_losses.npz", bernoulli=loss)
    d = robustness._paired_images(tmp_path / "mlp", tmp_path / "conv", "bernoulli")
    diff = conv_loss.astype(float) - mlp_loss.astype(float)
    assert d["mean"] == pytest.approx(diff.mean()) and d["se"] == pytest.approx(diff.std(ddof=1) / np.sqrt(500))
    assert d["high"] < 0  # resolved although the unpaired spread (sd 10) would hide a 2-nat difference
    rows = [{"paired": None, "seconds_per_epoch": 2.0}, {"paired": d, "seconds_per_epoch": 10.0}]
    verdict = robustness.architecture_verdict(rows)
    assert verdict["conv_better"] and not verdict["mlp_better"] and verdict["time_ratio"] == 5.0
    assert robustness._paired_images(tmp_path / "mlp", tmp_path / "conv", "gaussian") is None


def test_sigma_rows_pair_each_sigma_with_the_best_on_the_same_held_out_images(tmp_path):
    from vaereport.reporting import robustness

    rng = np.random.default_rng(1)
    base = rng.normal(-100, 20, 300)
    cells = {}
    for sigma, shift in ((0.1, 50.0), (0.2, 0.0), (0.3, 10.0)):
        folder = tmp_path / str(sigma)
        (folder / "arrays").mkdir(parents=True)
        np.savez(folder / "arrays" / "validation_losses.npz", gaussian=base + shift + rng.normal(0, 1, 300))
        node = graph.Node("q1_vae_mnist", f"s{sigma}", {"gaussian_sigma": sigma, "epochs": 2},
                          varying={"gaussian_sigma": sigma})
        metrics = {"models": {"gaussian": {"validation_neg_elbo": -100 + shift, "validation_mse": 0.03,
                                           "test_neg_elbo": 0.0, "test_mse": 0.03, "test_kl": 1.0}},
                   "data": {"n_validation": 300, "n_train": 1000}}
        cells[node.id] = robustness.CellRun(node, folder, metrics, {})
    rows = robustness.sigma_rows(cells)
    assert [r["sigma"] for r in rows] == [0.1, 0.2, 0.3] and rows[1]["vs_best"] is None
    assert rows[0]["vs_best"]["low"] > 45 and rows[0]["vs_best"]["high"] < 55  # paired: the image spread cancels
    assert rows[2]["vs_best"]["mean"] == pytest.approx(10.0, abs=0.3)


def test_the_study_figures_key_hashes_the_drawing_code_and_what_it_imports():
    from vaereport.execution import cache

    closure = cache.module_closure(["from vaereport.figures import robustness_plots"])
    assert {"figures.robustness_plots", "figures.style", "figures.plots"} <= set(closure)
    assert cache.code_component(["figures.robustness_plots"]) != cache.code_component(["figures.style"])
    with pytest.raises(ValueError, match="robustness_plots"):
        cache.code_component(["robustness_plots"])  # moved into figures/: an error, not an empty key


def test_the_cache_follows_imports_into_sub_packages(tmp_path):
    """Code moved into a sub-package stays in the cache keys of the analyses that import it."""
    from vaereport.execution import cache

    pkg = tmp_path
    (pkg / "science").mkdir()
    (pkg / "science" / "__init__.py").write_text("")
    (pkg / "science" / "training.py").write_text("from .losses import nll\nfrom ..config import params\n")
    (pkg / "science" / "losses.py").write_text("import math\n")
    (pkg / "config").mkdir()
    (pkg / "config" / "__init__.py").write_text("from . import params\n")
    (pkg / "config" / "params.py").write_text("from vaereport.paths import ROOT\n")
    (pkg / "paths.py").write_text("ROOT = 1\n")
    (pkg / "unused.py").write_text("")
    script = "from vaereport.science.training import fit\nimport vaereport.paths\n"
    assert cache.module_closure([script], root=pkg) == [
        "config", "config.params", "paths", "science", "science.losses", "science.training"]
    assert cache.module_closure(["from vaereport.science import losses"], root=pkg) == ["science", "science.losses"]
