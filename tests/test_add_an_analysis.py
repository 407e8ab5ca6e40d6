"""Adding an analysis is adding its own files and one registry line: in a copy of the project, a tiny fourth
analysis runs, is listed by `status` and `runs`, gets its section and Summary line in the report, and leaves
the other analyses' cache keys as they were."""

import json
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, run_cli

pytestmark = pytest.mark.integration

SCRIPT = '''# %% [markdown]
# # Q3 - the mean training digit

# %% tags=["parameters"]
params = {}
output_dir = "build/notebook/q3_mean_digit"

# %%
import numpy as np
import pandas as pd

from vaereport.data import load_dataset
from vaereport.figures.style import plt
from vaereport.notebook import start

P, out, _ = start("q3_mean_digit", params, output_dir, tensorflow=False)
mnist = load_dataset("mnist")
x = mnist.x_train[: P["n_images"]].astype("float32") / 255.0
fig, ax = plt.subplots(figsize=(2, 2))
ax.imshow(x.mean(axis=0), cmap="gray_r")
out.figure(fig, "mean_digit")
out.table(pd.DataFrame({"digit": np.arange(10), "count": np.bincount(mnist.y_train[: P["n_images"]], minlength=10)}),
          "digit_counts")
out.record(mean_intensity=float(x.mean()))
'''
SCHEMA = '''from vaereport.config.schema import SEED, positive_int

SCHEMA = {"seed": SEED, "n_images": positive_int("training images averaged")}


def headline(m):
    return {"mean intensity": m["mean_intensity"]}
'''
PARAMS = "full:\n  seed: 0\n  n_images: 500\n"  # no other profile: the others run the full values
SECTION = '''# The mean training digit {#sec-q3}

{% if q3.available %}The mean pixel intensity of {{ q3.meta.params.n_images | fmt }} training digits is
{{ q3["mean_intensity"] | fmt(3) }} (@fig-q3-mean).

{{ q3.figure("mean_digit", "The mean training digit.", "fig-q3-mean") }}
{% endif %}
'''
SUMMARY = '- **Q3 Mean digit:** {{ q3["mean_intensity"] | fmt(3) if q3.available else "not run yet" }}.\n'
REGISTRY_LINE = '    Analysis("q3_mean_digit", "q3", "Q3: the mean training digit", datasets=("mnist",)),\n'
FILES = {"analysis/q3_mean_digit.py": SCRIPT, "params/q3_mean_digit.py": SCHEMA, "params/q3_mean_digit.yaml": PARAMS,
         "report/q3_mean_digit.qmd": SECTION, "report/q3_mean_digit.summary.qmd": SUMMARY}

KEYS = '''
import json
from vaereport.config import analyses
from vaereport.config.params import load_params
from vaereport.execution import cache
print(json.dumps({a.name: [cache.module_components(a.script.read_text()), load_params(a.name, "full")]
                  for a in analyses.existing()}))
'''


def project_copy(tmp_path):
    root = tmp_path / "project"
    for part in ("analysis", "params", "report", "src"):
        shutil.copytree(ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    (root / "data").mkdir()
    for name in ("mnist", "fashion-mnist"):
        (root / "data" / name).symlink_to((ROOT / "data" / name).resolve())
    return root


def keys(env):
    proc = subprocess.run([sys.executable, "-c", KEYS], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_an_analysis_is_its_own_files_and_one_registry_line(tmp_path):
    import os

    root = project_copy(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "VAEREPORT_BUILD_DIR": str(tmp_path / "build")}
    before = keys(env)

    for path, text in FILES.items():
        (root / path).write_text(text)
    registry = root / "src" / "vaereport" / "config" / "analyses.py"
    lines = registry.read_text().splitlines(keepends=True)
    closing = next(i for i, line in enumerate(lines) if line.startswith(")}"))
    registry.write_text("".join(lines[:closing] + [REGISTRY_LINE] + lines[closing:]))

    after = keys(env)
    assert set(after) == set(before) | {"q3_mean_digit"}
    assert {name: after[name] for name in before} == before  # no other analysis re-keyed

    run = run_cli("run", "q3", "--profile", "smoke", env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    status = run_cli("status", "--profile", "smoke", env=env)
    assert "q3_mean_digit" in status.stdout and "up to date" in status.stdout.split("q3_mean_digit")[1].splitlines()[0]
    runs = run_cli("runs", "q3", "--profile", "smoke", env=env)
    assert runs.returncode == 0 and "mean intensity" in runs.stdout, runs.stderr[-2000:]

    rendered = run_cli("render", "--profile", "smoke", env=env)
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    filled = (tmp_path / "build" / "smoke" / "report.qmd").read_text()
    intensity = json.loads((tmp_path / "build" / "smoke" / "q3_mean_digit" / "metrics.json").read_text())["mean_intensity"]
    assert "# The mean training digit {#sec-q3}" in filled
    assert f"- **Q3 Mean digit:** {intensity:.3f}." in filled
    assert "q3_mean_digit/figures/mean_digit.png" in filled
    assert (tmp_path / "build" / "smoke" / "report.pdf").stat().st_size > 0
