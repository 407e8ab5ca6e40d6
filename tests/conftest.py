import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["VAEREPORT_RENDERER"] = "builtin"  # tests check the built-in renderer even where Quarto is installed
ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, env=None, timeout=900):
    """Run the `vaereport` CLI in a subprocess; returns the CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "vaereport.cli", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def run_folder(build, analysis, profile="smoke"):
    """The most recently finished kept run of `analysis` (runs with overrides are kept beside the profile's
    own, in build/<profile>/runs/<analysis>/<id>/)."""
    metas = sorted(Path(build, profile, "runs", analysis).glob("*/metadata.json"), key=lambda p: p.stat().st_mtime)
    assert metas, f"no run of {analysis} in {build}"
    return metas[-1].parent


@pytest.fixture
def build_dir(tmp_path, monkeypatch):
    d = tmp_path / "build"
    monkeypatch.setenv("VAEREPORT_BUILD_DIR", str(d))
    return d


@pytest.fixture(scope="session")
def smoke_build(tmp_path_factory):
    build = tmp_path_factory.mktemp("smoke-build")
    env = {"VAEREPORT_BUILD_DIR": str(build)}
    result = run_cli("report", "--profile", "smoke", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return build / "smoke", env, result
