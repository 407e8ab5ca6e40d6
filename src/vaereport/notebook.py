"""The first code cell of every analysis notebook: parameters in, seeds set, outputs object out.

The runner injects the resolved parameter set, the output folder and the folders of the upstream
analyses into the notebook's `parameters` cell (papermill's convention), so the executed notebook shows
exactly what ran. Opened by hand with nothing injected, a notebook runs the smoke profile. Run with papermill
alone, any subset of values is valid — `-f file.yaml` with `params: {epochs: 3}`, `-y`, or `-p epochs 3` (a
top-level variable) — and is merged onto a complete profile (smoke, unless a `profile` value names another),
then validated with the command line's messages.

This module is in every analysis's import closure (so in its cache key): it imports no configuration. The
runner validated the injected parameters when it computed the key; only a notebook opened by hand reads the
registry and the parameter files, through `importlib`, which the key's import scan does not follow (editing
another analysis's schema or registry line must not re-key this one).
"""

from __future__ import annotations

import importlib
import inspect
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
    if not params or not _is_complete(analysis, params):  # opened by hand or run with papermill alone
        given = _papermill_values(analysis, inspect.stack()[1].frame.f_globals)
        params, default_inputs = _merged_profile(analysis, {**params, **given})
        inputs = inputs or default_inputs
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


def _papermill_values(analysis: str, namespace: dict) -> dict:
    """Values papermill's `-p NAME VALUE` put beside `params` as top-level variables: the analysis's parameter
    names (and `profile`) found in the notebook's namespace (the runner injects a complete `params` instead)."""
    spec = importlib.import_module("vaereport.config.analyses").get(analysis)
    names = set(spec.schema) | {"profile"}
    return {k: v for k, v in namespace.items() if k in names and isinstance(v, (bool, int, float, str, list))}


def _is_complete(analysis: str, params: dict) -> bool:
    spec = importlib.import_module("vaereport.config.analyses").get(analysis)
    return set(params) == set(spec.schema)


def _merged_profile(analysis: str, values: dict) -> tuple[dict, dict[str, str]]:
    """`values` (any subset of the parameters) merged onto a complete profile — smoke, unless values['profile']
    names another — and validated like the command line's overrides; with that profile's upstream folders."""
    values = dict(values)
    profile = values.pop("profile", FALLBACK_PROFILE)
    spec = importlib.import_module("vaereport.config.analyses").get(analysis)
    params = importlib.import_module("vaereport.config.params").load_params(spec.name, profile, values)
    return params, {up: str(analysis_output_dir(profile, up)) for up in spec.upstream}
