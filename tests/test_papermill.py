"""The analyses follow papermill's conventions when run with papermill alone: any subset of the parameters
(-f file, -p name value) on top of the smoke profile, and the figures shown in the executed notebook."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

from conftest import ROOT

pytestmark = pytest.mark.integration
FAST = {"epochs": 1, "train_subset": 200, "hidden": [8], "grid_size": 3, "decoders": ["bernoulli"],
        "digit_classifier_epochs": 1, "iwae_samples": 5}


def papermill(notebook: Path, out: Path, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([sys.executable, "-m", "papermill", str(notebook), str(out), "-k", "python3", *args],
                          cwd=out.parent, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def q1_notebook(tmp_path_factory):
    folder = tmp_path_factory.mktemp("papermill")
    notebook = folder / "q1_vae_mnist.ipynb"
    jupytext.write(jupytext.read(ROOT / "analysis" / "q1_vae_mnist.py"), notebook)
    return folder, notebook


def test_a_partial_parameter_file_runs_on_the_smoke_profile_and_shows_its_figures(q1_notebook):
    folder, notebook = q1_notebook
    (folder / "p.yaml").write_text(json.dumps({"params": FAST, "output_dir": str(folder / "out")}))
    result = papermill(notebook, folder / "executed.ipynb", "-f", str(folder / "p.yaml"))
    assert result.returncode == 0, result.stderr[-3000:]
    executed = json.loads((folder / "executed.ipynb").read_text())
    images = [o for c in executed["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    saved = list((folder / "out" / "figures").glob("*.png"))
    assert len(images) == len(saved) > 3  # every saved figure is shown in the notebook
    metrics = json.loads((folder / "out" / "metrics.json").read_text())
    assert len(metrics["models"]["bernoulli"]["history"]["loss"]) == 1  # epochs=1 from the file


def test_papermill_p_values_count_and_a_misspelt_one_gets_the_command_lines_message(q1_notebook):
    folder, notebook = q1_notebook
    rest = {k: v for k, v in FAST.items() if k != "epochs"}
    good = papermill(notebook, folder / "p.ipynb", "-p", "epochs", "2", "-p", "output_dir", str(folder / "p"),
                     "-y", json.dumps({"params": rest}))
    assert good.returncode == 0, good.stderr[-3000:]
    metrics = json.loads((folder / "p" / "metrics.json").read_text())
    assert len(metrics["models"]["bernoulli"]["history"]["loss"]) == 2  # the top-level -p value
    bad = papermill(notebook, folder / "bad.ipynb", "-p", "output_dir", str(folder / "bad"),
                    "-y", json.dumps({"params": {"epoch": 3}}))
    assert bad.returncode != 0
    assert "unknown parameter(s) epoch for q1_vae_mnist (did you mean 'epochs'?)" in bad.stderr + bad.stdout
