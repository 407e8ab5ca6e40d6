"""The same parameters give byte-identical metrics and tables, also from a second checkout in another
folder reading the data from another path (results hold no machine facts)."""

import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import ROOT, run_cli, run_folder

from vaereport.config import analyses

pytestmark = pytest.mark.integration

def results_of(out_dir):
    files = [out_dir / "metrics.json", *sorted((out_dir / "tables").glob("*.csv"))]
    return {f.name: f.read_bytes() for f in files}


def second_checkout(tmp_path):
    """The project's analyses and parameters copied elsewhere, with the data under another path."""
    root = tmp_path / "checkout-2"
    for part in ("analysis", "params", "report"):
        shutil.copytree(ROOT / part, root / part)
    (root / "data").mkdir()
    for name in ("mnist", "fashion-mnist"):
        (root / "data" / name).symlink_to((ROOT / "data" / name).resolve())
    return {"VAEREPORT_ROOT": str(root), "VAEREPORT_DATA_SEARCH": str(root / "data")}


def test_two_checkouts_give_byte_identical_results(tmp_path):
    """Every analysis of the registry, in order, with its `tiny` profile (each reads its upstream's tiny run); the
    two checkouts run side by side."""
    names = [a.name for a in analyses.existing()]

    def run_every_analysis(attempt, extra_env):
        env = {"VAEREPORT_BUILD_DIR": str(tmp_path / attempt), **extra_env}
        results = {}
        for name in names:
            result = run_cli("run", name, "--profile", "tiny", env=env)
            assert result.returncode == 0, result.stderr[-2000:]
            results[name] = results_of(tmp_path / attempt / "tiny" / name)
        return results

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(run_every_analysis, ("first", "second"), ({}, second_checkout(tmp_path)))
    for name in names:
        assert first[name].keys() == second[name].keys() and len(first[name]) >= 2
        for file in first[name]:
            assert first[name][file] == second[name][file], f"{name}: {file} differs between identical runs"


def test_results_do_not_depend_on_the_thread_budget(smoke_build, smoke_copy):
    """A cell is told how many processes it may start (VAEREPORT_THREADS: the cores, or cores / workers with
    --workers), and the cache key does not include it. Q2.3 runs its fits in that many processes; TensorFlow
    trains on one thread whatever it is (with two, a Q1 loss moved in its 7th digit on one CPU). The smoke build
    ran Q2.3 with the machine's cores; run again with a budget of 1, in a copy, it gives the same bytes."""
    smoke, _, _ = smoke_build
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: the smoke build already ran with a budget of 1")
    copy, env, _ = smoke_copy
    result = run_cli("run", "q2s", "--profile", "smoke", "--force", env={**env, "VAEREPORT_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert results_of(copy / "q2_semisupervised") == results_of(smoke / "q2_semisupervised")


def test_a_read_back_reference_classifier_gives_the_bytes_of_a_trained_one(tmp_path):
    """The Fréchet features' classifier that an earlier run trained is read back (execution.memo): a run that reads
    it writes the same bytes as the same run that trains it."""
    def run_q2r(build, *overrides):
        result = run_cli("run", "q2r", "--profile", "tiny", *overrides, env={"VAEREPORT_BUILD_DIR": str(build)})
        assert result.returncode == 0, result.stderr[-2000:]
        return run_folder(build, "q2_representations", "tiny")

    trained = results_of(run_q2r(tmp_path / "trains", "-p", "n_bootstrap=21"))
    run_q2r(tmp_path / "reads")  # trains the classifier, then the same run with other bootstrap draws reads it back
    assert len(list((tmp_path / "reads" / "memo").rglob("*.keras"))) == 1
    assert results_of(run_q2r(tmp_path / "reads", "-p", "n_bootstrap=21")) == trained
