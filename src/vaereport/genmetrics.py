"""Scores for generated images: a reference classifier's confidence and a Fréchet distance in its
penultimate-layer features (the FID recipe, with a small Fashion-MNIST classifier instead of Inception)."""

from __future__ import annotations

import keras
import numpy as np
from scipy import linalg

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


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^{1/2}) between Gaussians fitted to rows of a and b."""
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean, _ = linalg.sqrtm(cov_a @ cov_b, disp=False)
    covmean = np.real(covmean)
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2.0 * covmean))


def fit_gaussian(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (k,) and full covariance (k, k) of codes (n, k)."""
    return codes.mean(axis=0), np.cov(codes, rowvar=False)
