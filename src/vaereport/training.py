"""Fit an autoencoder with progress lines, stop at the first non-finite loss, evaluate in nats."""

from __future__ import annotations

import math
import sys
import time

import keras
import numpy as np

from .errors import ParameterError, TrainingDivergedError
from .models import DenoisingAE, corrupt, decoder_mean


def flatten_images(images: np.ndarray) -> np.ndarray:
    """uint8 (n, 28, 28) -> float32 (n, 784) in [0, 1]."""
    return images.reshape(len(images), -1).astype("float32") / 255.0


def split_validation(x: np.ndarray, n_validation: int) -> tuple[np.ndarray, np.ndarray]:
    """(training part, last `n_validation` rows) of x (n, 784); the validation part is never fitted."""
    if n_validation >= len(x):
        raise ParameterError(f"validation_size={n_validation} leaves no training images out of {len(x)}; "
                             "lower validation_size or raise train_subset.")
    return x[: len(x) - n_validation], x[len(x) - n_validation:]


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


class HeldOutLoss(keras.callbacks.Callback):
    """Evaluates the model on held-out sets at the end of every epoch (never used to choose anything).

    `sets[name] = (encoder inputs, clean targets)`, both (n, 784); the per-epoch means of each loss term
    are kept in `history[f"{name}_{term}"]`.
    """

    def __init__(self, sets: dict[str, tuple[np.ndarray, np.ndarray]], batch_size: int = 500):
        super().__init__()
        self.sets, self.batch_size = sets, batch_size
        self.history: dict[str, list[float]] = {}
        self.seconds = 0.0  # time spent evaluating, kept out of the training throughput

    def on_epoch_end(self, epoch, logs=None):
        started = time.perf_counter()
        for name, (inputs, clean) in self.sets.items():
            result = self.model.evaluate(inputs, clean, batch_size=self.batch_size, verbose=0, return_dict=True)
            for term, value in result.items():
                self.history.setdefault(f"{name}_{term}", []).append(float(value))
                if logs is not None:
                    logs[f"{name}_{term}"] = float(value)  # shown on the epoch's progress line
        self.seconds += time.perf_counter() - started


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
        label: str, held_out: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> dict:
    """Train on flattened images (n, 784); returns the per-epoch history (training terms averaged over
    each epoch's batches, held-out terms measured at its end, see `HeldOutLoss`) and the wall time."""
    compile_model(model, learning_rate)
    held = HeldOutLoss(held_out or {})
    callbacks = [held, EpochProgress(label, epochs)]
    started = time.perf_counter()
    if isinstance(model, DenoisingAE):
        history = model.fit(corrupted_batches(model, x, batch_size), epochs=epochs, shuffle=False, verbose=0,
                            callbacks=callbacks)  # the pipeline shuffles (seeded) itself
    else:
        history = model.fit(x, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0, callbacks=callbacks)
    seconds = time.perf_counter() - started - held.seconds
    per_epoch = {k: [float(v) for v in vals] for k, vals in history.history.items() if k not in held.history}
    return {"history": {**per_epoch, **held.history},
            "seconds": seconds, "images_per_second": epochs * len(x) / seconds}


def evaluate(model: keras.Model, x: np.ndarray, batch_size: int = 500) -> dict[str, float]:
    """Mean per-image loss terms (nats) on `x` — for the VAE one Monte-Carlo sample per image."""
    result = model.evaluate(x, batch_size=batch_size, verbose=0, return_dict=True)
    return {k: float(v) for k, v in result.items()}


def reconstruction_mse(vae, likelihood: str, x: np.ndarray) -> float:
    """Mean squared pixel error (pixels in [0, 1]) of the decoder's mean at each image's posterior mean:
    a reconstruction error that, unlike the NLL, does not depend on the decoder's likelihood or σ."""
    z_mean, _ = predict(vae.encoder, x)
    x_hat = np.asarray(decoder_mean(likelihood, predict(vae.decoder, z_mean)))
    return float(np.mean((x - x_hat) ** 2))


def predict(model: keras.Model, x: np.ndarray, batch_size: int = 2000):
    """Batched inference (one graph call per batch of 2000, never one per point)."""
    return model.predict(x, batch_size=batch_size, verbose=0)


def curve_summary(history: dict[str, list[float]], term: str = "loss", held_out: str = "test",
                  noise: float = 0.0) -> dict:
    """Facts about a held-out curve: first/last values, the epoch (1-based) of its minimum, the final gap to
    the training value, whether it was still at its lowest in the last epoch, and whether it has risen since
    its minimum by more than `noise` (for a Monte-Carlo estimate: two standard errors of a difference of two
    evaluations; 0 for a deterministic one) — the report's test for over-fitting."""
    test, train = np.asarray(history[f"{held_out}_{term}"]), np.asarray(history[term])
    best = int(np.argmin(test))
    rise = float(test[-1] - test[best])
    return {"first": float(test[0]), "last": float(test[-1]), "min": float(test[best]), "min_epoch": best + 1,
            "epochs": len(test), "rise_since_min": rise, "noise": float(noise), "overfits": rise > noise,
            "final_gap": float(test[-1] - train[-1]), "lowest_at_end": best == len(test) - 1}


def elbo_noise(vae, x: np.ndarray, seed: int) -> float:
    """Two standard errors of the difference of two independent one-sample test ELBOs on x (n, 784): the
    size of an epoch-to-epoch change of the held-out curve that Monte-Carlo noise alone can produce."""
    from .likelihood import iwae_log_likelihood

    per_image = iwae_log_likelihood(vae, x, k=1, seed=seed)
    return float(2 * np.sqrt(2) * per_image.std(ddof=1) / np.sqrt(len(per_image)))


def curves_table(histories: dict[str, dict[str, list[float]]]):
    """Long table (model, epoch, split, term, value) of every per-epoch loss curve."""
    import pandas as pd

    rows = []
    for model, hist in histories.items():
        for key, values in hist.items():
            split, term = key.split("_", 1) if "_" in key and key.split("_", 1)[0] in ("test", "corrupted") \
                else ("train", key)
            rows += [{"model": model, "epoch": e, "split": split, "term": term, "value": v}
                     for e, v in enumerate(values, 1)]
    return pd.DataFrame(rows)
