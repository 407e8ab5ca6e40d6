"""The same parameters give byte-identical metrics and tables, also from a second checkout in another
folder reading the data from another path (results hold no machine facts)."""

import shutil

import pytest

from conftest import ROOT, run_cli

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
    """Every analysis of the registry, in order, with its `tiny` profile (each reads its upstream's tiny run)."""
    names = [a.name for a in analyses.existing()]
    outputs = []
    for attempt, extra_env in (("first", {}), ("second", second_checkout(tmp_path))):
        env = {"VAEREPORT_BUILD_DIR": str(tmp_path / attempt), **extra_env}
        results = {}
        for name in names:
            result = run_cli("run", name, "--profile", "tiny", env=env)
            assert result.returncode == 0, result.stderr[-2000:]
            results[name] = results_of(tmp_path / attempt / "tiny" / name)
        outputs.append(results)
    for name in names:
        first, second = outputs[0][name], outputs[1][name]
        assert first.keys() == second.keys() and len(first) >= 2
        for file in first:
            assert first[file] == second[file], f"{name}: {file} differs between identical runs"


def test_results_do_not_depend_on_the_thread_budget(smoke_build, tmp_path):
    """A cell is told how many processes it may start (VAEREPORT_THREADS: the cores, or cores / workers with
    --workers), and the cache key does not include it. Q2.3 runs its fits in that many processes; TensorFlow
    trains on one thread whatever it is (with two, a Q1 loss moved in its 7th digit on one CPU). Q2.3 run again
    with a budget of 1 and of 2, each in a copy of the smoke build, gives the same bytes."""
    smoke, _, _ = smoke_build
    outputs = {}
    for threads in ("1", "2"):
        build = tmp_path / threads
        shutil.copytree(smoke, build / "smoke", symlinks=True)
        env = {"VAEREPORT_BUILD_DIR": str(build), "VAEREPORT_THREADS": threads}
        result = run_cli("run", "q2s", "--profile", "smoke", "--force", env=env)
        assert result.returncode == 0, result.stderr[-2000:]
        outputs[threads] = results_of(build / "smoke" / "q2_semisupervised")
    assert outputs["1"] == outputs["2"]
