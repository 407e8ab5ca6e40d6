"""The first code cell of every analysis notebook: parameters in, seeds set, outputs object out.

The runner injects the resolved parameter set, the output folder and the folders of the upstream
analyses into the notebook's `parameters` cell (papermill's convention), so the executed notebook shows
exactly what ran. Opened by hand with nothing injected, a notebook runs the smoke profile.

This module is in every analysis's import closure (so in its cache key): it imports no configuration. The
runner validated the injected parameters when it computed the key; only a notebook opened by hand reads the
registry and the parameter files, through `importlib`, which the key's import scan does not follow (editing
another analysis's schema or registry line must not re-key this one).
"""

from __future__ import annotations

import importlib
import json
import random
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .outputs import Outputs
from .paths import PROJECT_ROOT, analysis_output_dir

KERNEL_FACTS = ".kernel.json"  # written by the kernel, folded into metadata.json by the runner
FALLBACK_PROFILE = "smoke"


class Notebook(NamedTuple):
    params: dict
    out: Outputs
    inputs: dict[str, Path]


def start(analysis: str, params: dict, output_dir: str, inputs: dict | None = None,
          tensorflow: bool = True) -> Notebook:
    """Take the injected parameters (or, opened by hand, the smoke profile's), seed Python and NumPy (and
    Keras/TensorFlow when the analysis trains models), and return them with the `Outputs` of `output_dir` and
    the folders of the upstream analyses."""
    if not params:
        params, inputs = _smoke_profile(analysis)
        if not Path(output_dir).is_absolute():
            output_dir = str(PROJECT_ROOT / output_dir)
    inputs = {up: Path(folder) for up, folder in (inputs or {}).items()}
    random.seed(params["seed"])
    np.random.seed(params["seed"])
    from .science.determinism import thread_budget

    facts = {"executable": sys.executable, "python": sys.version.split()[0], "threads": thread_budget()}
    if tensorflow:
        from .science.determinism import seed_everything

        seed_everything(params["seed"])
        import tensorflow as tf

        facts["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    out = Outputs(output_dir)
    (out.root / KERNEL_FACTS).write_text(json.dumps(facts, indent=1) + "\n")
    return Notebook(params, out, inputs)


def _smoke_profile(analysis: str) -> tuple[dict, dict[str, str]]:
    """The smoke profile's parameters of `analysis` and its upstream analyses' smoke folders."""
    spec = importlib.import_module("vaereport.config.analyses").get(analysis)
    params = importlib.import_module("vaereport.config.params").load_params(spec.name, FALLBACK_PROFILE)
    return params, {up: str(analysis_output_dir(FALLBACK_PROFILE, up)) for up in spec.upstream}
