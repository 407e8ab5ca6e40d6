import fcntl
import os
import shutil
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
    """The smoke report, built once for the whole run: pytest-xdist's workers share it (the first one to ask builds
    it under a file lock; the others wait and read). Tests only read it; a test that writes takes `smoke_copy`."""
    shared = tmp_path_factory.getbasetemp().parent  # every xdist worker's base temp lives under it
    build = shared / "smoke-build"
    env = {"VAEREPORT_BUILD_DIR": str(build)}
    with open(shared / "smoke-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "smoke-build.done"
        if not done.is_file():
            result = run_cli("report", "--profile", "smoke", env=env)
            assert result.returncode == 0, result.stderr[-3000:]
            done.write_text(result.stderr)
    result = subprocess.CompletedProcess([], 0, stdout="", stderr=done.read_text())
    return build / "smoke", env, result


@pytest.fixture
def smoke_copy(smoke_build, tmp_path):
    """A private copy of the smoke build (its links are relative), for a test that runs or writes into it."""
    smoke, _, result = smoke_build
    build = tmp_path / "build"
    shutil.copytree(smoke, build / "smoke", symlinks=True)
    return build / "smoke", {"VAEREPORT_BUILD_DIR": str(build)}, result


def pytest_collection_modifyitems(items):
    """Tests that share an expensive module-scoped set-up run on one xdist worker (`--dist loadgroup`)."""
    for item in items:
        group = getattr(item.module, "XDIST_GROUP", None)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
