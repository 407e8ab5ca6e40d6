"""What ran is what is recorded: injected parameters, verified outputs, one writer per build folder."""

import json
import os
import subprocess
import sys
import time

import pytest

from conftest import ROOT, run_cli, run_folder
from vaereport import errors
from vaereport.execution.lock import build_lock
from vaereport.config.params import split_overrides

TINY = ["-p", "epochs=1", "-p", "train_subset=300", "-p", "hidden=[8]", "-p", "grid_size=3"]


def test_split_overrides_keeps_spaces_inside_values():
    assert split_overrides("epochs=3 hidden=[8, 4]  seed=2") == ["epochs=3", "hidden=[8, 4]", "seed=2"]
    assert split_overrides("") == []
    assert split_overrides("classifiers=[logreg, knn]") == ["classifiers=[logreg, knn]"]


def test_makefile_passes_quoted_overrides_with_spaces(tmp_path):
    env = {**os.environ, "VAEREPORT_BUILD_DIR": str(tmp_path), "VENV": str(ROOT / ".venv")}
    proc = subprocess.run(["make", "-s", "q1", "PROFILE=smoke", "P=hidden=[8, 4] epochs=0"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    # 'hidden=[8, 4]' parsed as one value; the error is about epochs, which comes after it
    assert proc.returncode != 0 and "'epochs' = 0 is out of range" in proc.stderr, proc.stderr


def test_every_cli_option_has_help():
    from vaereport.cli import _parser

    parser = _parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, sub in subparsers.choices.items():
        for action in sub._actions:
            if action.dest != "help":
                assert action.help, f"vaereport {name} {action.option_strings or action.dest} has no help text"


def test_lock_is_exclusive_reentrant_and_freed_when_the_holder_dies(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from vaereport.execution.lock import build_lock\n"
        f"with build_lock(Path({str(tmp_path)!r})):\n    print('held', flush=True); time.sleep(120)")],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(errors.BuildBusyError, match=rf"in use by pid {holder.pid} on"):
        with build_lock(tmp_path, wait=False):
            pass
    holder.kill()  # SIGKILL: no clean-up code runs; the kernel releases the lock
    holder.wait()
    with build_lock(tmp_path, wait=False):
        with build_lock(tmp_path, wait=False):  # re-entrant in one process
            pass
    with build_lock(tmp_path, wait=False):
        pass


@pytest.mark.integration
def test_two_concurrent_runs_one_waits_both_finish(tmp_path):
    env = {**os.environ, "VAEREPORT_BUILD_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "vaereport.cli", "run", "q1", "--profile", "smoke", *TINY]
    first = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (tmp_path / "smoke" / ".lock").exists() or not (tmp_path / "smoke" / ".lock").read_text():
        assert time.time() < deadline
        time.sleep(0.1)
    busy = run_cli("run", "q1", "--profile", "smoke", *TINY, "--no-wait", env=env)
    assert busy.returncode == errors.BuildBusyError.exit_code
    assert "in use by pid" in busy.stderr and "Traceback" not in busy.stderr
    second = run_cli("run", "q1", "--profile", "smoke", *TINY, env=env)
    assert first.wait(timeout=600) == 0, first.stderr.read()[-2000:]
    assert second.returncode == 0, second.stderr[-2000:]
    assert "waiting for it to finish" in second.stderr and "up to date" in second.stderr
    from vaereport.execution.store import verify_outputs

    assert verify_outputs(run_folder(tmp_path, "q1_vae_mnist"), "q1", "smoke")["params"]["epochs"] == 1
    assert len(list((tmp_path / "smoke" / "runs" / "q1_vae_mnist").iterdir())) == 1  # one run, made once
    assert not list((tmp_path / "smoke").glob(".tmp-*")) and not list((tmp_path / "smoke").rglob(".old-*"))


@pytest.mark.integration
def test_injected_parameters_tampering_and_refused_render(tmp_path):
    env = {"VAEREPORT_BUILD_DIR": str(tmp_path)}
    assert run_cli("run", "q1", "--profile", "smoke", env=env).returncode == 0  # the profile's own set
    out = tmp_path / "smoke" / "q1_vae_mnist"
    meta = json.loads((out / "metadata.json").read_text())
    nb = json.loads((out / "q1_vae_mnist.ipynb").read_text())
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1
    namespace = {}
    exec("".join(injected[0]["source"]), namespace)
    assert namespace["params"] == meta["params"] and meta["params"]["epochs"] == 2
    assert meta["kernel"]["executable"] == sys.executable
    assert set(meta["outputs"]) >= {"metrics.json", "figures/latent_grid.png", "q1_vae_mnist.ipynb"}

    (out / "figures" / "latent_grid.png").unlink()
    status = run_cli("status", "--profile", "smoke", env=env)
    assert "q1_vae_mnist           stale: outputs modified/missing (missing: figures/latent_grid.png)" in status.stdout
    render = run_cli("render", "--profile", "smoke", env=env)
    assert render.returncode == errors.OutputsModifiedError.exit_code
    assert "missing: figures/latent_grid.png" in render.stderr and "Traceback" not in render.stderr
    assert not (tmp_path / "smoke" / "report.pdf").exists()


def test_results_carry_no_machine_paths(smoke_build):
    out, _, _ = smoke_build
    for analysis in ("q1_vae_mnist", "q2_representations", "q2_semisupervised"):
        files = [out / analysis / "metrics.json", *sorted((out / analysis / "tables").glob("*.csv"))]
        for f in files:
            text = f.read_text()
            for fact in (str(ROOT), str(out), "/usr/share", "/tmp/", "/work/"):
                assert fact not in text, f"{f.name} records the machine fact {fact!r}"


def test_status_names_the_profile_it_checked_and_the_profiles_with_runs(tmp_path):
    (tmp_path / "smoke" / "runs" / "q1_vae_mnist" / "0123456789abcdef").mkdir(parents=True)
    env = {"VAEREPORT_BUILD_DIR": str(tmp_path)}
    default = run_cli("status", env=env)
    first = default.stderr.splitlines()[0]
    assert first.startswith("vaereport status: profile full (the default; --profile NAME for another)"), first
    assert first.endswith("profiles with runs here: smoke"), first
    named = run_cli("status", "--profile", "smoke", env=env)
    assert named.stderr.splitlines()[0].startswith("vaereport status: profile smoke, "), named.stderr
    assert "profiles with runs" not in named.stderr


def test_a_wrong_analysis_name_suggests_the_right_one(tmp_path):
    result = run_cli("run", "q2-representation", "--profile", "smoke", env={"VAEREPORT_BUILD_DIR": str(tmp_path)})
    assert result.returncode == errors.ParameterError.exit_code
    assert result.stderr.strip().splitlines()[-1].startswith(
        "vaereport: error: unknown analysis 'q2-representation' (did you mean 'q2_representations'?)"), result.stderr
