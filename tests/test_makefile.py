"""The Makefile's per-analysis targets come from the registry and the analysis scripts."""

import subprocess

from conftest import ROOT
from vaereport.config import analyses


def test_every_analysis_has_a_make_target_by_name_and_short_name():
    for a in analyses.existing():
        for target in (a.name, a.short):
            dry = subprocess.run(["make", "-n", target, "PROFILE=smoke"], cwd=ROOT, capture_output=True, text=True)
            assert dry.returncode == 0, dry.stderr
            assert f"vaereport run {target} --profile smoke" in dry.stdout
    assert subprocess.run(["make", "-n", "q9"], cwd=ROOT, capture_output=True).returncode != 0
    fresh = subprocess.run(["make", "-n", "q1", "VENV=/nonexistent-venv"], cwd=ROOT, capture_output=True, text=True)
    assert fresh.returncode == 0 and "vaereport run q1" in fresh.stdout  # before `make setup` too
