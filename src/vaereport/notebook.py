"""The first code cell of every analysis notebook: parameters in, seeds set, outputs object out.

The runner injects the resolved parameter set, the output folder and the folders of the upstream
analyses into the notebook's `parameters` cell (papermill's convention), so the executed notebook shows
exactly what ran. Opened by hand with nothing injected, a notebook runs the smoke profile.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import analyses
from .outputs import Outputs
from .params import load_params, validate
from .paths import PROJECT_ROOT, analysis_output_dir

KERNEL_FACTS = ".kernel.json"  # written by the kernel, folded into metadata.json by the runner
FALLBACK_PROFILE = "smoke"


class Notebook(NamedTuple):
    params: dict
    out: Outputs
    inputs: dict[str, Path]


def start(analysis: str, params: dict, output_dir: str, inputs: dict | None = None,
          tensorflow: bool = True) -> Notebook:
    """Validate the injected parameters, seed Python and NumPy (and Keras/TensorFlow when the analysis
    trains models), and return them with the `Outputs` of `output_dir` and the upstream folders."""
    spec = analyses.get(analysis)
    if params:
        params = validate(spec.name, dict(params), "injected parameters")
    else:  # opened by hand (Jupyter): the smoke profile, written under the project's build/, whatever the cwd
        params = load_params(spec.name, FALLBACK_PROFILE)
        if not Path(output_dir).is_absolute():
            output_dir = str(PROJECT_ROOT / output_dir)
    inputs = {up: Path(inputs.get(up) if inputs and inputs.get(up) else analysis_output_dir(FALLBACK_PROFILE, up))
              for up in spec.upstream}
    random.seed(params["seed"])
    np.random.seed(params["seed"])
    from .determinism import thread_budget

    facts = {"executable": sys.executable, "python": sys.version.split()[0], "threads": thread_budget()}
    if tensorflow:
        from .determinism import seed_everything

        seed_everything(params["seed"])
        import tensorflow as tf

        facts["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    out = Outputs(output_dir)
    (out.root / KERNEL_FACTS).write_text(json.dumps(facts, indent=1) + "\n")
    return Notebook(params, out, inputs)
