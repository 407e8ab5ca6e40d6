"""Seed everything and make TensorFlow deterministic, before any model is built."""

from __future__ import annotations

import os


def configure_tensorflow(threads: int | None = None) -> None:
    """Quiet logs; one intra-op pool sized to the cores (set before TensorFlow is imported)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import tensorflow as tf

    n = threads or os.cpu_count() or 1
    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # already initialised in this process; the first setting stays


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and Keras/TF and enable TensorFlow op determinism."""
    configure_tensorflow()
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
