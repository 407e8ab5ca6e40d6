"""Models that several runs train identically, trained once: the others read the saved model back.

The study's cells all score generated images with the same Fréchet features' classifier (the same images, seed
and epochs); each would otherwise train it again. Like DVC's run cache, an entry's key is a hash of everything
the model depends on: the training function's module (parsed), its arguments (arrays by their bytes) and the
package versions. An entry is written to temp files moved into place, so a crash or a concurrent run leaves
either no entry or a whole one, and a model read back predicts exactly what the trained one did.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import textwrap
from pathlib import Path
from typing import Callable

import numpy as np

from ..paths import build_root
from .atomic import tag, write_text
from .cache import code_component, normalised_code, sha256_text
from .lock import build_lock
from .provenance import package_versions


def memo_dir() -> Path:
    return build_root() / "memo"


def argument_digest(value) -> str:
    """A hash of one argument: an array by its dtype, shape and bytes, anything else by its JSON."""
    if isinstance(value, np.ndarray):
        h = hashlib.sha256(f"{value.dtype.str}:{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
        return h.hexdigest()
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def function_code(train: Callable) -> str:
    """A hash of the code `train` runs: its package module and what that imports (parsed), or, for a function
    outside the package, its own source."""
    if train.__module__.startswith("vaereport."):  # also the thread settings every analysis trains under
        return code_component([train.__module__.removeprefix("vaereport."), "science.determinism"])
    return sha256_text(normalised_code(textwrap.dedent(inspect.getsource(train))))


def memo_key(train: Callable, arguments: dict) -> str:
    parts = {"function": f"{train.__module__}.{train.__qualname__}", "code": function_code(train),
             "packages": package_versions(),
             "arguments": {name: argument_digest(v) for name, v in sorted(arguments.items())}}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def memoised(train: Callable, **arguments):
    """`train(**arguments)`, which returns (a Keras model, a JSON-able record), run only if no run before it
    did with the same arguments and code; otherwise the saved model and record are read back. Runs that need the
    same entry at once wait for the one that trains it. A read-back leaves the global random state as it was
    (training leaves it where `train` did), so code after the call must not draw from it."""
    import keras

    key = memo_key(train, arguments)
    folder = memo_dir() / train.__name__
    model_file, record_file = folder / f"{key}.keras", folder / f"{key}.json"
    with build_lock(folder, name=f".{key}.lock"):
        if model_file.exists() and record_file.exists():
            return keras.models.load_model(model_file, compile=False), json.loads(record_file.read_text())
        model, record = train(**arguments)
        tmp = folder / f".{key}{tag()}.keras"  # Keras saves only to a name ending in .keras
        try:
            model.save(tmp)
            os.replace(tmp, model_file)
        finally:
            tmp.unlink(missing_ok=True)
        write_text(record_file, json.dumps(record, sort_keys=True))  # last: an entry is whole once its record exists
    return model, record
