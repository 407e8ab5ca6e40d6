"""Seed everything and make TensorFlow deterministic, before any model is built."""

from __future__ import annotations

import os
import sys


def import_tensorflow_quietly():
    """Import TensorFlow with its C++ start-up lines (oneDNN, absl) kept off the terminal: file
    descriptor 2 points to /dev/null while the import runs (analysis kernels log stderr to kernel.log)."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tf


THREADS_ENV = "VAEREPORT_THREADS"  # set by a cluster whose workers share the cores (see `cluster`)


def thread_budget() -> int:
    """Cores an analysis may use for its own worker processes (scikit-learn fits): VAEREPORT_THREADS if set
    (several workers on one machine), else all."""
    return int(os.environ.get(THREADS_ENV) or 0) or os.cpu_count() or 1


TENSORFLOW_THREADS = 1
"""TensorFlow's intra-op threads, the same on every machine and worker: with 2 threads Eigen splits some
reductions differently, and a Q1 loss moved in its 7th digit (a thread count taken from the machine would make
the numbers depend on it). One thread costs 5-15 % per training step here; cells run side by side instead."""


def configure_tensorflow(threads: int = TENSORFLOW_THREADS) -> None:
    """Quiet logs; one intra-op pool of `threads` threads (set before TensorFlow runs its first op)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    tf = import_tensorflow_quietly()

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # already initialised in this process; the first setting stays


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and Keras/TF (global seed, so data shuffling is seeded too).

    TensorFlow's op determinism is deliberately *not* enabled: with it Keras silently drops XLA
    compilation (`model_supports_jit` returns False), which costs 1.5x in training time here, while the
    XLA-compiled CPU steps are themselves deterministic. `tests/test_determinism.py` checks that two runs
    give byte-identical metrics and tables.
    """
    configure_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)
