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


def run_cli(*args, env=None, timeout=1800):
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
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # this run's folder, never an earlier one's
    build = shared / "smoke-build"
    env = {"VAEREPORT_BUILD_DIR": str(build)}
    done, failed = shared / "smoke-build.done", shared / "smoke-build.failed"
    with open(shared / "smoke-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.is_file() and not failed.is_file():
            result = run_cli("report", "--profile", "smoke", env=env)
            (done if result.returncode == 0 else failed).write_text(result.stderr)
    assert not failed.is_file(), "the smoke build failed:\n" + failed.read_text()[-3000:]
    result = subprocess.CompletedProcess([], 0, stdout="", stderr=done.read_text())
    return build / "smoke", env, result


@pytest.fixture
def smoke_copy(smoke_build, tmp_path):
    """A private copy of the smoke build (its links are relative), for a test that runs or writes into it."""
    smoke, _, result = smoke_build
    build = tmp_path / "build"
    shutil.copytree(smoke, build / "smoke", symlinks=True)
    return build / "smoke", {"VAEREPORT_BUILD_DIR": str(build)}, result
