"""A run killed mid-way leaves the previous outputs untouched, and the next run recovers by itself."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, run_cli

pytestmark = pytest.mark.integration
TINY = ["-p", "epochs=1", "-p", "train_subset=500", "-p", "hidden=[8]", "-p", "grid_size=3"]
# Long enough to be killed inside training, short enough for a test: the same run is forced again.
SLOW = ["-p", "epochs=40", "-p", "train_subset=3000", "-p", "hidden=[32]", "-p", "grid_size=3", "-p", "iwae_samples=5"]


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def slow_build(tmp_path_factory):
    """A build folder holding the SLOW run, made once; each signal's test works on its own copy."""
    build = tmp_path_factory.mktemp("slow-build")
    result = run_cli("run", "q1", "--profile", "smoke", *SLOW, env={**os.environ, "VAEREPORT_BUILD_DIR": str(build)})
    assert result.returncode == 0, result.stderr[-2000:]
    return build


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_killed_run_keeps_previous_outputs(sig, tmp_path, slow_build):
    env = {**os.environ, "VAEREPORT_BUILD_DIR": str(tmp_path)}
    shutil.copytree(slow_build, tmp_path, symlinks=True, dirs_exist_ok=True)
    final = tmp_path / "smoke" / "runs"  # every kept run, the killed one's earlier outputs included
    before = snapshot(final)
    proc = subprocess.Popen([sys.executable, "-m", "vaereport.cli", "run", "q1", "--profile", "smoke", *SLOW,
                             "--force"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not list((tmp_path / "smoke").glob(".tmp-*/figures")) and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # now inside training
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    if sig != signal.SIGKILL:
        assert proc.returncode == 128 + sig  # 130 for Ctrl-C, 143 for SIGTERM
        last = err.strip().splitlines()[-1]
        assert last.startswith("vaereport: interrupted; earlier outputs are unchanged"), last
        if "partial notebook" in last:
            assert (tmp_path / "smoke" / "failed" / "q1_vae_mnist.ipynb").is_file()
        assert "Traceback" not in err
    assert snapshot(final) == before
    again = run_cli("run", "q1", "--profile", "smoke", *SLOW, env=env)
    assert again.returncode == 0 and "up to date" in again.stderr
    assert not list((tmp_path / "smoke").glob(".tmp-*")) or sig == signal.SIGKILL
    if sig != signal.SIGKILL:
        return  # only a SIGKILL leaves temp folders behind; the next run must clear them
    forced = run_cli("run", "q1", "--profile", "smoke", *TINY, "--force", env=env)
    assert forced.returncode == 0, forced.stderr[-2000:]
    assert not list((tmp_path / "smoke").glob(".tmp-*")), "stale temp dirs were not cleaned up"


def test_makefile_passes_bad_parameters_through(tmp_path):
    env = {**os.environ, "VAEREPORT_BUILD_DIR": str(tmp_path), "VENV": str(ROOT / ".venv")}
    proc = subprocess.run(["make", "-s", "q1", "PROFILE=smoke", "P=epochs=0"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "'epochs' = 0 is out of range" in proc.stderr
