"""Fit an autoencoder with progress lines, stop at the first non-finite loss, evaluate in nats."""

from __future__ import annotations

import math
import sys
import time

import keras
import numpy as np

from ..errors import ParameterError, TrainingDivergedError
from .models import DenoisingAE, corrupt, decoder_mean, uses_xla


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
        parts = " ".join(f"{k}={float(v):.2f}" for k, v in logs.items() if k == "loss" or k.endswith("_loss"))
        elapsed = time.perf_counter() - self.started
        eta = elapsed / (epoch + 1) * (self.epochs - epoch - 1)
        print(f"[{self.label}] epoch {epoch + 1}/{self.epochs} {parts} ({elapsed:.0f} s elapsed, ETA {eta:.0f} s)",
              file=self.stream, flush=True)


def stream_seed(*keys: int) -> int:
    """A 31-bit seed derived from integer keys (seed, epoch, set, ...), for TensorFlow's stateless generators."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1)[0] % (2**31 - 1))


class PerImageLoss:
    """Per-image loss terms of a model on (encoder inputs, clean targets), both (n, 784), in batches through one
    compiled function; `seed` keys the VAE's one-sample estimate (stateless), so it is reproducible."""

    def __init__(self, model: keras.Model, batch_size: int = 500):
        import tensorflow as tf

        self.batch_size = batch_size
        self.fn = tf.function(lambda x, inputs, seed: model.per_image_terms(x, inputs, seed),
                              jit_compile=uses_xla(model), reduce_retracing=True)

    def __call__(self, inputs: np.ndarray, clean: np.ndarray, seed: int) -> dict[str, np.ndarray]:
        import tensorflow as tf

        parts: dict[str, list] = {}
        for b, start in enumerate(range(0, len(clean), self.batch_size)):
            stop = start + self.batch_size
            terms = self.fn(tf.constant(clean[start:stop]), tf.constant(inputs[start:stop]),
                            tf.constant([seed, b], dtype=tf.int32))
            for k, v in terms.items():
                parts.setdefault(k, []).append(v.numpy().astype(np.float64))
        return {k: np.concatenate(v) for k, v in parts.items()}


class HeldOutLoss(keras.callbacks.Callback):
    """Evaluates the model on held-out sets at the end of every epoch, or with `every_epoch=False` of the last
    one only (never used to choose anything).

    `sets[name] = (encoder inputs, clean targets)`, both (n, 784). The per-epoch means of each loss term are
    kept in `history[f"{name}_{term}"]`, and the per-image total loss of every measured epoch in
    `per_image[name]` (epochs measured, n), for paired comparisons between epochs. A VAE's estimate uses one z
    per image drawn from a stateless generator keyed by (seed, epoch, set), so the last epoch's values do not
    depend on whether the others were measured.
    """

    def __init__(self, sets: dict[str, tuple[np.ndarray, np.ndarray]], seed: int = 0, batch_size: int = 500,
                 every_epoch: bool = True):
        super().__init__()
        self.sets, self.seed, self.batch_size, self.every_epoch = sets, seed, batch_size, every_epoch
        self.history: dict[str, list[float]] = {}
        self.per_image: dict[str, list[np.ndarray]] = {name: [] for name in sets}
        self.evaluator: PerImageLoss | None = None
        self.seconds = 0.0  # time spent evaluating, kept out of the training throughput

    def on_epoch_end(self, epoch, logs=None):
        if not self.every_epoch and epoch + 1 < self.params["epochs"]:
            return
        started = time.perf_counter()
        self.evaluator = self.evaluator or PerImageLoss(self.model, self.batch_size)
        for i, (name, (inputs, clean)) in enumerate(self.sets.items()):
            terms = self.evaluator(inputs, clean, stream_seed(self.seed, epoch, i))
            self.per_image[name].append(terms["loss"].astype(np.float32))
            for term, values in terms.items():
                self.history.setdefault(f"{name}_{term}", []).append(float(values.mean()))
                if logs is not None:
                    logs[f"{name}_{term}"] = float(values.mean())  # shown on the epoch's progress line
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
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=uses_xla(model))
    return model


def fit(model: keras.Model, x: np.ndarray, *, epochs: int, batch_size: int, learning_rate: float,
        label: str, held_out: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
        held_out_curve: bool = True) -> dict:
    """Train on flattened images (n, 784); returns the per-epoch history (training terms averaged over
    each epoch's batches, held-out terms measured at its end, see `HeldOutLoss`; without `held_out_curve` at the
    last epoch's only), the per-image held-out losses of every measured epoch (`per_image[set]`, (epochs, n))
    and the wall time."""
    compile_model(model, learning_rate)
    held = HeldOutLoss(held_out or {}, seed=getattr(model, "seed", 0), every_epoch=held_out_curve)
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
            "per_image": {name: np.stack(v) for name, v in held.per_image.items() if v},
            "seconds": seconds, "images_per_second": epochs * len(x) / seconds}


def reconstruction_mse(model, likelihood: str, x: np.ndarray) -> float:
    """Mean squared pixel error (pixels in [0, 1]) of the decoder's mean at each image's posterior mean (a
    VAE) or code (a DAE, from the clean image): a reconstruction error that, unlike the NLL, does not depend on
    the decoder's likelihood or σ."""
    code = predict(model.encoder, x)
    z_mean = code[0] if isinstance(code, list) else code
    x_hat = np.asarray(decoder_mean(likelihood, predict(model.decoder, z_mean)))
    return float(np.mean((x - x_hat) ** 2))


def predict(model: keras.Model, x: np.ndarray, batch_size: int = 2000):
    """Batched inference (one graph call per batch of 2000, never one per point)."""
    return model.predict(x, batch_size=batch_size, verbose=0)


def mean_and_se(values: np.ndarray) -> tuple[float, float]:
    """Mean of a sample (n,) and its standard error."""
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0


def paired_difference(a: np.ndarray, b: np.ndarray) -> dict:
    """a − b from per-image values (n,) of two models on the same images: the mean difference, its standard
    error and a normal 95 % interval (paired, so the variation between images cancels)."""
    mean, se = mean_and_se(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))
    return {"mean": mean, "se": se, "ci95_low": mean - 1.96 * se, "ci95_high": mean + 1.96 * se, "n": len(a)}


def paired_epochs(per_image: np.ndarray, a: int, b: int, z: float = 1.96) -> dict:
    """Held-out loss of epoch a (0-based) minus epoch b, from per-image losses (epochs, n) on the same images:
    `paired_difference`, and `exceeds` when the difference is more than z standard errors from zero."""
    change = paired_difference(per_image[a], per_image[b])
    return {**change, "z": z, "exceeds": bool(abs(change["mean"]) > z * change["se"]) if a != b else False}


def rise_threshold(epochs: int, level: float = 0.05) -> float:
    """The z a rise of the last epoch over the lowest must exceed: the lowest is picked from the other epochs on
    the same images, so the two-sided `level` is split over the epochs - 1 comparisons it could be (Bonferroni)."""
    from scipy.stats import norm

    return float(norm.ppf(1 - level / (2 * max(1, epochs - 1))))


def curve_summary(history: dict[str, list[float]], per_image: np.ndarray, held_out: str = "test",
                  repeat_means: list[float] | None = None, last: int = 10) -> dict:
    """Facts about a held-out curve: first/last values, the epoch (1-based) of its minimum, the final gap to
    the training value, whether it was still at its lowest in the last epoch, and the last epoch against the
    lowest one as a paired difference over the same images (`paired_epochs`): it over-fits where the rise is
    more than `rise_threshold` paired standard errors.

    `repeat_means` are the final model's mean held-out loss under several sampling seeds (a VAE's one-sample
    estimate; None for a deterministic loss): their standard deviation is the Monte-Carlo noise of one curve
    point, and `mc_share` the part of the variance of the epoch-to-epoch changes over the `last` epochs that
    this noise explains (two independent evaluations differ by sqrt(2) times it)."""
    test, train = np.asarray(history[f"{held_out}_loss"]), np.asarray(history["loss"])
    best = int(np.argmin(test))
    change = paired_epochs(per_image, len(test) - 1, best, z=rise_threshold(len(test)))
    steps = np.diff(test[-(last + 1):])
    step_sd = float(steps.std(ddof=1)) if len(steps) > 1 else 0.0
    mc_sd = float(np.std(repeat_means, ddof=1)) if repeat_means is not None and len(repeat_means) > 1 else 0.0
    return {"first": float(test[0]), "last": float(test[-1]), "min": float(test[best]), "min_epoch": best + 1,
            "epochs": len(test), "rise_since_min": float(test[-1] - test[best]), "paired_rise": change,
            "overfits": change["mean"] > 0 and change["exceeds"],
            "final_gap": float(test[-1] - train[-1]), "lowest_at_end": best == len(test) - 1,
            "step_sd": step_sd, "steps_over": len(steps), "mc_sd": mc_sd,
            "mc_share": min(1.0, 2 * mc_sd**2 / step_sd**2) if step_sd > 0 else None}


def repeat_means(model: keras.Model, inputs: np.ndarray, clean: np.ndarray, seed: int, repeats: int = 5) -> list[float]:
    """The final model's mean held-out loss under `repeats` sampling seeds (the Monte-Carlo noise of a VAE's
    one-sample estimate; a deterministic loss gives the same value every time)."""
    evaluator = PerImageLoss(model)
    return [float(evaluator(inputs, clean, stream_seed(seed, 10**6, r))["loss"].mean()) for r in range(repeats)]


def train_test_gap(model: keras.Model, likelihood: str, x_train: np.ndarray, x_test: np.ndarray, seed: int,
                   n: int = 10000) -> dict:
    """The final model's loss on (the first n) training images and on the test images with the same estimator,
    their difference with its (unpaired) standard error, and the same gap in per-pixel squared error of the
    reconstruction from the posterior mean (or code) — a scale that does not depend on the likelihood."""
    evaluator = PerImageLoss(model)
    train = evaluator(x_train[:n], x_train[:n], stream_seed(seed, 10**6 + 1))["loss"]
    test = evaluator(x_test, x_test, stream_seed(seed, 10**6 + 2))["loss"]
    mse_train, mse_test = reconstruction_mse(model, likelihood, x_train[:n]), reconstruction_mse(model, likelihood, x_test)
    return {"train": float(train.mean()), "test": float(test.mean()), "gap": float(test.mean() - train.mean()),
            "gap_se": float(np.sqrt(train.var(ddof=1) / len(train) + test.var(ddof=1) / len(test))),
            "mse_train": mse_train, "mse_test": mse_test, "mse_gap_relative": (mse_test - mse_train) / mse_train,
            "n_train": len(train), "n_test": len(test)}


def curves_table(histories: dict[str, dict[str, list[float]]]):
    """Long table (model, epoch, split, term, value) of every per-epoch loss curve."""
    import pandas as pd

    rows = []
    for model, hist in histories.items():
        epochs = len(hist["loss"])
        for key, values in hist.items():
            split, term = key.split("_", 1) if "_" in key and key.split("_", 1)[0] in ("test", "corrupted") \
                else ("train", key)
            rows += [{"model": model, "epoch": e, "split": split, "term": term, "value": v}
                     for e, v in enumerate(values, epochs - len(values) + 1)]  # a curve measured at the end only
    return pd.DataFrame(rows)
