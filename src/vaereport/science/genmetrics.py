"""Scores for generated images: a reference classifier's confidence and a Fréchet distance in its
penultimate-layer features (the FID recipe, with a small Fashion-MNIST classifier instead of Inception)."""

from __future__ import annotations

import keras
import numpy as np

from .constants import FEATURE_DIM
from .training import predict


def build_reference_classifier(feature_dim: int = FEATURE_DIM, n_classes: int = 10) -> keras.Model:
    """A small convolutional classifier on flattened images (n, 784): two stride-2 3×3 convolutions (32 and 64
    filters), a dense layer of `feature_dim` ReLU units named 'features' (the Fréchet features), dropout, logits."""
    inputs = keras.Input(shape=(784,))
    h = keras.layers.Reshape((28, 28, 1))(inputs)
    h = keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu", name="conv0")(h)
    h = keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu", name="conv1")(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(feature_dim, activation="relu", name="features")(h)
    h = keras.layers.Dropout(0.3, seed=0)(h)
    outputs = keras.layers.Dense(n_classes, name="logits")(h)
    return keras.Model(inputs, outputs, name="reference_classifier")


def train_reference_classifier(x: np.ndarray, y: np.ndarray, max_epochs: int, patience: int, seed: int,
                               validation_fraction: float = 0.1) -> tuple[keras.Model, dict]:
    """Train on images x (n, 784) with labels y (n,) until the accuracy on a held-out part of them (the last
    `validation_fraction`, never the test set) has not improved for `patience` epochs, at most `max_epochs`;
    the weights of the best validation epoch are kept. Returns the model and its training record."""
    keras.utils.set_random_seed(seed)
    model = build_reference_classifier()
    # Convolutions run faster without XLA on this CPU (oneDNN kernels), measured in `make bench`.
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    n_val = max(1, int(round(validation_fraction * len(x))))
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=patience, restore_best_weights=True,
                                         mode="max")
    history = model.fit(x[:-n_val], y[:-n_val], validation_data=(x[-n_val:], y[-n_val:]), epochs=max_epochs,
                        batch_size=128, verbose=0, shuffle=True, callbacks=[stop])
    val = [float(v) for v in history.history["val_accuracy"]]
    return model, {"epochs_run": len(val), "best_epoch": int(np.argmax(val)) + 1,
                   "validation_accuracy": max(val), "n_validation": n_val, "max_epochs": max_epochs,
                   "patience": patience}


def features_and_confidence(model: keras.Model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate features (n, h) and max softmax probability (n,) of images x (n, 784)."""
    feature_model = keras.Model(model.inputs, [model.get_layer("features").output, model.outputs[0]])
    feats, logits = predict(feature_model, x)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    return np.asarray(feats, dtype=np.float64), probs.max(axis=1)


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a positive semi-definite matrix (negative round-off eigenvalues -> 0)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_from_moments(mu_a, cov_a, mu_b, cov_b) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^{1/2}).

    Tr (S_a S_b)^{1/2} is computed as Tr (S_a^{1/2} S_b S_a^{1/2})^{1/2}, the square root of a symmetric PSD
    matrix, so it is real and defined for singular covariances too (no complex round-off to discard)."""
    root_a = _sqrt_psd(cov_a)
    middle = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_sqrt = float(np.sum(np.sqrt(np.clip(middle, 0.0, None))))
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to the rows of a (n, h) and b (m, h)."""
    return frechet_from_moments(a.mean(axis=0), np.cov(a, rowvar=False), b.mean(axis=0), np.cov(b, rowvar=False))


def bootstrap_frechet(sets: dict[str, np.ndarray], reference: np.ndarray, n_boot: int, seed: int,
                      pairs: list[tuple[str, str]] = ()) -> dict:
    """Fréchet distance of each feature set to `reference` with its bootstrap standard error (images of both
    sets resampled with replacement), and for each (a, b) in `pairs` the difference fd(a) - fd(b) with a
    normal bootstrap 95 % interval (difference ± 1.96 bootstrap s.e., from the same replicates).

    A single distance gets no interval: resampling with replacement duplicates images, which inflates the
    distance of every replicate (so a percentile interval need not contain the estimate); in a difference of
    two sets of the same size this inflation largely cancels. Returns {name: {"fd", "se"}, "a - b": {"fd",
    "se", "ci95_low", "ci95_high"}}."""
    rng = np.random.default_rng(seed)
    reps = {name: np.empty(n_boot) for name in sets}
    for r in range(n_boot):
        ref = reference[rng.integers(0, len(reference), len(reference))]
        for name, feats in sets.items():
            reps[name][r] = frechet_distance(feats[rng.integers(0, len(feats), len(feats))], ref)
    out = {name: {"fd": frechet_distance(feats, reference), "se": float(reps[name].std(ddof=1))}
           for name, feats in sets.items()}
    for a, b in pairs:
        diff, se = out[a]["fd"] - out[b]["fd"], float((reps[a] - reps[b]).std(ddof=1))
        out[f"{a} - {b}"] = {"fd": diff, "se": se, "ci95_low": diff - 1.96 * se, "ci95_high": diff + 1.96 * se}
    return out


def fit_gaussian(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (k,) and full covariance (k, k) of codes (n, k)."""
    return codes.mean(axis=0), np.cov(codes, rowvar=False)
