"""Pretrain, then fine-tune: an autoencoder's trained encoder with a softmax head, trained on the l labels, against
the same network from random weights on the same labels (the assignment's MLP on raw pixels).

Images are float arrays (n, 784) in [0, 1]; labels are ints (n,); `subsets` map a repetition to labelled rows.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .models import build_encoder


def encoder_weights(models_dir: Path) -> dict[str, list[np.ndarray]]:
    """{"vae": [...], "dae": [...]}: each trained encoder's trunk and code layer (the VAE's posterior mean), in the
    order of `classifier`'s encoder."""
    import keras

    from . import models  # noqa: F401  (registers the autoencoder classes for loading)

    weights = {}
    for name in ("vae", "dae"):
        encoder = keras.saving.load_model(models_dir / f"{name}.keras").encoder
        kept = [layer for layer in encoder.layers if layer.name != "z_log_var"]  # the VAE's variance head is unused
        weights[name] = [w for layer in kept for w in layer.get_weights()]
    return weights


def classifier(input_dim: int, hidden: list[int], code_dim: int, n_classes: int, architecture: str, seed: int):
    """The autoencoders' encoder (trunk and code layer) with a softmax head: (batch, input_dim) -> (batch, n_classes)."""
    import keras

    keras.utils.set_random_seed(seed)
    encoder = build_encoder(input_dim, hidden, code_dim, variational=False, architecture=architecture)
    inputs = keras.Input(shape=(input_dim,))
    head = keras.layers.Dense(n_classes, activation="softmax", name="head")
    return keras.Model(inputs, head(encoder(inputs)), name="fine_tuned")


class FineTuner:
    """Trains one network from a given start (pretrained encoder weights, or its own random weights) on each labelled
    subset for a fixed number of Adam steps on batches of `batch` labelled images, then scores the evaluation
    images. The network and its compiled step are built once and reset per subset."""

    def __init__(self, network, steps: int, batch: int, learning_rate: float):
        import keras
        import tensorflow as tf

        self.network, self.steps, self.batch = network, steps, batch
        self.initial = network.get_weights()
        self.optimizer = keras.optimizers.Adam(learning_rate)
        self.optimizer.build(network.trainable_variables)
        loss_fn = keras.losses.SparseCategoricalCrossentropy()

        @tf.function(jit_compile=True)
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, network(x, training=True))
            grads = tape.gradient(loss, network.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, network.trainable_variables))
            return loss

        self._step = step

    def _reset(self, encoder: list[np.ndarray] | None) -> None:
        weights = list(self.initial)
        if encoder is not None:
            weights[: len(encoder)] = encoder  # the head keeps its random start
        self.network.set_weights(weights)
        for v in self.optimizer.variables:  # Adam's step count and moments start again; its learning rate stays
            if not v.path.endswith("learning_rate"):
                v.assign(np.zeros(v.shape, v.dtype))

    def score(self, encoder, x_train, y_train, x_eval, y_eval, subsets: dict, seed: int) -> dict:
        """{repetition: (accuracy on the evaluation images, seconds)}."""
        out = {}
        for r, indices in subsets.items():
            started = time.perf_counter()
            self._reset(encoder)
            rng = np.random.default_rng([seed, len(indices), r])
            x, y = x_train[indices], y_train[indices]
            batch = min(self.batch, len(indices))
            order = np.array([], dtype=int)
            for _ in range(self.steps):  # epochs of shuffled batches; a short remainder is dropped
                if len(order) < batch:
                    order = rng.permutation(len(indices))
                take, order = order[:batch], order[batch:]
                self._step(x[take], y[take])
            predicted = np.argmax(self.network.predict(x_eval, batch_size=2000, verbose=0), axis=1)
            out[r] = (float(np.mean(predicted == y_eval)), time.perf_counter() - started)
        return out
