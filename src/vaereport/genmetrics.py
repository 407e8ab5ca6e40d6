"""Scores for generated images: a reference classifier's confidence and a Fréchet distance in its
penultimate-layer features (the FID recipe, with a small Fashion-MNIST classifier instead of Inception)."""

from __future__ import annotations

import keras
import numpy as np

from .schema import FEATURE_DIM
from .training import predict


def build_reference_classifier(hidden: tuple[int, ...] = (256, FEATURE_DIM), n_classes: int = 10) -> keras.Model:
    """MLP on flattened images (n, 784); its last hidden layer is named 'features'."""
    inputs = keras.Input(shape=(784,))
    h = inputs
    for i, units in enumerate(hidden):
        h = keras.layers.Dense(units, activation="relu", name="features" if i == len(hidden) - 1 else f"h{i}")(h)
    outputs = keras.layers.Dense(n_classes, name="logits")(h)
    return keras.Model(inputs, outputs, name="reference_classifier")


def train_reference_classifier(x: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = build_reference_classifier()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=True,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=128, verbose=0, shuffle=True)
    return model


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
    """Fréchet distance of each feature set to `reference` with a 95 % percentile bootstrap interval
    (images of both sets resampled with replacement), and of the difference for each (a, b) in `pairs`
    from the same replicates. Returns {name: {"fd", "ci95_low", "ci95_high"}, "a - b": {...}}."""
    rng = np.random.default_rng(seed)
    reps = {name: np.empty(n_boot) for name in sets}
    for r in range(n_boot):
        ref = reference[rng.integers(0, len(reference), len(reference))]
        for name, feats in sets.items():
            reps[name][r] = frechet_distance(feats[rng.integers(0, len(feats), len(feats))], ref)
    out = {}
    for name, feats in sets.items():
        low, high = np.percentile(reps[name], [2.5, 97.5])
        out[name] = {"fd": frechet_distance(feats, reference), "ci95_low": float(low), "ci95_high": float(high)}
    for a, b in pairs:
        low, high = np.percentile(reps[a] - reps[b], [2.5, 97.5])
        out[f"{a} - {b}"] = {"fd": out[a]["fd"] - out[b]["fd"], "ci95_low": float(low), "ci95_high": float(high)}
    return out


def fit_gaussian(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (k,) and full covariance (k, k) of codes (n, k)."""
    return codes.mean(axis=0), np.cov(codes, rowvar=False)
