"""Fit an autoencoder with progress lines, stop at the first non-finite loss, evaluate in nats."""

from __future__ import annotations

import math
import sys
import time

import keras
import numpy as np

from .errors import TrainingDivergedError
from .models import DenoisingAE, corrupt


def flatten_images(images: np.ndarray) -> np.ndarray:
    """uint8 (n, 28, 28) -> float32 (n, 784) in [0, 1]."""
    return images.reshape(len(images), -1).astype("float32") / 255.0


class EpochProgress(keras.callbacks.Callback):
    """One line per epoch ('epoch k/n loss=...'); raises as soon as a batch loss is not finite."""

    def __init__(self, label: str, epochs: int, stream=None):
        super().__init__()
        self.label, self.epochs, self.stream = label, epochs, stream or sys.stdout
        self.started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True
            raise TrainingDivergedError(
                f"{self.label}: the training loss became {float(loss)} at batch {batch + 1}; training stopped. "
                "Lower learning_rate (e.g. -p learning_rate=0.001) or check the input scaling."
            )

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        parts = " ".join(f"{k}={float(v):.3f}" for k, v in logs.items())
        elapsed = time.perf_counter() - self.started
        print(f"[{self.label}] epoch {epoch + 1}/{self.epochs} {parts} ({elapsed:.0f} s)", file=self.stream, flush=True)


def corrupted_batches(model: DenoisingAE, x: np.ndarray, batch_size: int):
    """tf.data batches (corrupted, clean) of x (n, 784), reshuffled every epoch; the corruption is drawn
    here, outside the XLA-compiled train step, from a seeded per-batch seed stream (reproducible)."""
    import tensorflow as tf

    seed = model.seed
    clean = tf.data.Dataset.from_tensor_slices(x).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    batches = tf.data.Dataset.zip(clean.batch(batch_size), seeds)
    return batches.map(
        lambda b, s: (corrupt(b, model.corruption, model.corruption_level, tf.cast(s % (2**31), "int32")), b),
        num_parallel_calls=1, deterministic=True).prefetch(2)


def compile_model(model: keras.Model, learning_rate: float) -> keras.Model:
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=True)
    return model


def fit(model: keras.Model, x: np.ndarray, *, epochs: int, batch_size: int, learning_rate: float,
        label: str) -> dict:
    """Train on flattened images (n, 784); returns the per-epoch history and the wall time in seconds."""
    compile_model(model, learning_rate)
    callbacks = [EpochProgress(label, epochs)]
    started = time.perf_counter()
    if isinstance(model, DenoisingAE):
        history = model.fit(corrupted_batches(model, x, batch_size), epochs=epochs, shuffle=False, verbose=0,
                            callbacks=callbacks)  # the pipeline shuffles (seeded) itself
    else:
        history = model.fit(x, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0, callbacks=callbacks)
    seconds = time.perf_counter() - started
    return {"history": {k: [float(v) for v in vals] for k, vals in history.history.items()},
            "seconds": seconds, "images_per_second": epochs * len(x) / seconds}


def evaluate(model: keras.Model, x: np.ndarray, batch_size: int = 500) -> dict[str, float]:
    """Mean per-image loss terms (nats) on `x` — for the VAE one Monte-Carlo sample per image."""
    result = model.evaluate(x, batch_size=batch_size, verbose=0, return_dict=True)
    return {k: float(v) for k, v in result.items()}


def predict(model: keras.Model, x: np.ndarray, batch_size: int = 2000):
    """Batched inference (one graph call per batch of 2000, never one per point)."""
    return model.predict(x, batch_size=batch_size, verbose=0)
