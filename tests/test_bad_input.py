"""Bad input, tried systematically through the CLI: one clear message, a distinct exit code, and
earlier outputs left as they were."""

import shutil

import pytest

from conftest import ROOT, run_cli
from vaereport import errors

SMOKE_FAST = ["-p", "epochs=1", "-p", "train_subset=200", "-p", "hidden=[8]", "-p", "grid_size=3"]


def tree_snapshot(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def earlier_outputs(tmp_path_factory):
    """A finished smoke run of Q1 whose files every bad-input case must leave untouched."""
    build = tmp_path_factory.mktemp("bad-input-build")
    result = run_cli("run", "q1", "--profile", "smoke", *SMOKE_FAST, env={"VAEREPORT_BUILD_DIR": str(build)})
    assert result.returncode == 0, result.stderr[-2000:]
    return build


def make_data_dir(tmp_path, damage=None):
    """A copy of MNIST in tmp_path/mnist, optionally damaged."""
    src = ROOT.parent / "shared" / "data" / "mnist"
    dest = tmp_path / "data" / "mnist"
    dest.mkdir(parents=True)
    for f in src.glob("*.gz"):
        shutil.copyfile(f, dest / f.name)
    if damage == "truncate":
        victim = dest / "train-labels-idx1-ubyte.gz"
        victim.write_bytes(victim.read_bytes()[:5000])
    elif damage == "corrupt":
        victim = dest / "t10k-labels-idx1-ubyte.gz"
        raw = bytearray(victim.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        victim.write_bytes(bytes(raw))
    return tmp_path / "data"


CASES = [
    # id, args, env factory, expected exit, message fragment
    ("unknown-param", ["-p", "foo=1"], None, errors.ParameterError.exit_code, "unknown parameter"),
    ("misspelt-param", ["-p", "epoch=3"], None, errors.ParameterError.exit_code,
     "(did you mean 'epochs'?); `vaereport params q1_vae_mnist --profile smoke` lists"),
    ("misspelt-grid", ["--grid", "epoch=1,2"], None, errors.ParameterError.exit_code, "epoch for q1_vae_mnist (did you mean 'epochs'?)"),
    ("wrong-type", ["-p", "epochs=many"], None, errors.ParameterError.exit_code, "must be an integer"),
    ("zero-epochs", ["-p", "epochs=0"], None, errors.ParameterError.exit_code, "'epochs' = 0 is out of range"),
    ("negative-epochs", ["-p", "epochs=-3"], None, errors.ParameterError.exit_code, "out of range"),
    ("latent-zero", ["-p", "latent_dim=0"], None, errors.ParameterError.exit_code, "'latent_dim' = 0"),
    ("unknown-profile", ["--profile", "giant"], None, errors.ProfileError.exit_code, "unknown profile 'giant'"),
    ("missing-dataset", [], lambda t: {"VAEREPORT_DATA_SEARCH": str(t / "nowhere"), "VAEREPORT_OFFLINE": "1"},
     errors.DataMissingError.exit_code, "dataset 'mnist' not found"),
    ("truncated-gz", [], lambda t: {"VAEREPORT_DATA_SEARCH": str(make_data_dir(t, "truncate"))},
     errors.DataCorruptError.exit_code, "train-labels-idx1-ubyte.gz"),
    ("nan-in-training", ["-p", "learning_rate=1e6", "-p", "train_subset=2000", "--force"], None, errors.TrainingDivergedError.exit_code,
     "the training loss became nan"),
    ("corrupted-gz", [], lambda t: {"VAEREPORT_DATA_SEARCH": str(make_data_dir(t, "corrupt"))},
     errors.DataCorruptError.exit_code, "t10k-labels-idx1-ubyte.gz"),
]


@pytest.mark.integration
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_via_cli(case, earlier_outputs, tmp_path):
    _, args, env_factory, code, fragment = case
    env = {"VAEREPORT_BUILD_DIR": str(earlier_outputs), **(env_factory(tmp_path) if env_factory else {})}
    before = tree_snapshot(earlier_outputs / "smoke" / "q1_vae_mnist")
    profile = [] if "--profile" in args else ["--profile", "smoke"]
    result = run_cli("run", "q1", *profile, *SMOKE_FAST, *args, env=env)
    assert result.returncode == code, result.stderr[-2000:]
    message = [line for line in result.stderr.splitlines() if line.startswith("vaereport: error:")]
    assert len(message) == 1, result.stderr[-2000:]
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_snapshot(earlier_outputs / "smoke" / "q1_vae_mnist") == before


def test_malformed_yaml_is_reported(tmp_path, monkeypatch):
    from vaereport.config import analyses, params

    bad = tmp_path / "q1_vae_mnist.yaml"
    bad.write_text("full:\n  epochs: [1, 2\n")
    monkeypatch.setattr(analyses, "PARAMS_DIR", tmp_path)
    with pytest.raises(errors.ParameterError, match="not valid YAML"):
        params.load_params("q1_vae_mnist", "full")


def test_unwritable_output_dir_is_reported(tmp_path):
    target = tmp_path / "readonly"
    target.mkdir()
    target.chmod(0o500)
    try:
        if (target / "probe").parent.exists():
            try:
                (target / "probe").write_text("")
                pytest.skip("running as a user who can write anywhere (root); permission bits do not apply")
            except PermissionError:
                pass
        result = run_cli("run", "q1", "--profile", "smoke", *SMOKE_FAST,
                         env={"VAEREPORT_BUILD_DIR": str(target / "build")})
        assert result.returncode == errors.OutputError.exit_code
        assert "cannot write to" in result.stderr
    finally:
        target.chmod(0o700)


def test_unwritable_output_path_is_a_file(tmp_path):
    """A build 'directory' that is really a file: the same clear error, also as root."""
    blocker = tmp_path / "build"
    blocker.write_text("not a directory")
    result = run_cli("run", "q1", "--profile", "smoke", *SMOKE_FAST, env={"VAEREPORT_BUILD_DIR": str(blocker)})
    assert result.returncode == errors.OutputError.exit_code, result.stderr[-2000:]
    assert "cannot write to" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("budgets,fragment", [
    ("[100, 70000]", "exceed the 60000 training images"),
    ("[5, 100]", "smaller than the 10 classes"),
])
def test_impossible_label_budgets_rejected_before_work(budgets, fragment, tmp_path):
    from vaereport.science.semisup import check_budgets
    import yaml

    with pytest.raises(errors.ParameterError, match=fragment):
        check_budgets(yaml.safe_load(budgets), 60000, 10, 2)


def test_zero_seeds_rejected():
    result = run_cli("params", "q2s", "--profile", "smoke", "-p", "n_seeds=0")
    assert result.returncode == errors.ParameterError.exit_code
    assert "'n_seeds' = 0 is out of range" in result.stderr


def test_non_finite_loss_stops_training_at_once():
    import numpy as np

    from vaereport.science.models import build_vae
    from vaereport.science.training import fit

    x = np.random.default_rng(0).uniform(size=(400, 784)).astype("float32")
    x[150] = np.nan  # the second batch of 100 carries a NaN
    with pytest.raises(errors.TrainingDivergedError, match="became nan at batch"):
        fit(build_vae(2, [8], "bernoulli"), x, epochs=3, batch_size=100, learning_rate=1e-3, label="nan-test")


def test_an_unknown_profile_creates_no_build_folder(tmp_path):
    result = run_cli("run", "q1", "--profile", "smok", env={"VAEREPORT_BUILD_DIR": str(tmp_path)})
    assert result.returncode == errors.ProfileError.exit_code and "did you mean 'smoke'" in result.stderr
    assert not (tmp_path / "smok").exists()


@pytest.mark.parametrize("args,fragment", [(["gc", "--keep", "-1"], "--keep: -1 is below 0"),
                                           (["report", "--workers", "0"], "--workers: 0 is below 1"),
                                           (["report", "--workers", "two"], "'two' is not a whole number")])
def test_counts_out_of_range_are_usage_errors(tmp_path, args, fragment):
    result = run_cli(*args, "--profile", "smoke", env={"VAEREPORT_BUILD_DIR": str(tmp_path)})
    assert result.returncode == 2 and fragment in result.stderr and not (tmp_path / "smoke").exists()


def test_overrides_with_run_all_are_a_parameter_error(tmp_path):
    result = run_cli("run", "all", "--profile", "smoke", "-p", "epochs=1", env={"VAEREPORT_BUILD_DIR": str(tmp_path)})
    assert result.returncode == errors.ParameterError.exit_code and "name it instead of 'all'" in result.stderr
