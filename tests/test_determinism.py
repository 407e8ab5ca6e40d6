"""The same parameters on the same machine give byte-identical metrics and tables."""

import pytest

from conftest import run_cli

pytestmark = pytest.mark.integration

TINY = {
    "q1": ["-p", "epochs=2", "-p", "train_subset=1000", "-p", "hidden=[32]", "-p", "grid_size=4"],
    "q2r": ["-p", "epochs=1", "-p", "train_subset=1000", "-p", "hidden=[32]", "-p", "n_generated=100"],
}


def results_of(out_dir):
    files = [out_dir / "metrics.json", *sorted((out_dir / "tables").glob("*.csv"))]
    return {f.name: f.read_bytes() for f in files}


@pytest.mark.parametrize("analysis,folder", [("q1", "q1_vae_mnist"), ("q2r", "q2_representations")])
def test_two_runs_are_byte_identical(analysis, folder, tmp_path):
    outputs = []
    for attempt in ("first", "second"):
        env = {"VAEREPORT_BUILD_DIR": str(tmp_path / attempt)}
        result = run_cli("run", analysis, "--profile", "smoke", *TINY[analysis], env=env)
        assert result.returncode == 0, result.stderr[-2000:]
        outputs.append(results_of(tmp_path / attempt / "smoke" / folder))
    assert outputs[0].keys() == outputs[1].keys() and len(outputs[0]) >= 2
    for name in outputs[0]:
        assert outputs[0][name] == outputs[1][name], f"{name} differs between identical runs"
