"""Importance-weighted estimates of log p(x) for a trained VAE (Burda et al., 2016).

With k samples z_j ~ q(z|x), log p(x) >= E[log (1/k) sum_j p(x|z_j) p(z_j) / q(z_j|x)] =: L_k, and L_k rises
towards log p(x) as k grows (L_1 is the ELBO). For a Bernoulli decoder on greyscale pixels, p(x|z) is the
Bernoulli "likelihood" evaluated at non-binary x, which is not a normalised density over [0, 1]^784; the
bound then holds for the unnormalised quantity the model assigns, not for a probability of the images.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf
from keras import ops

from .losses import LOG_2PI, reconstruction_nll


def _log_weights_fn(vae):
    """A graph function (x (b, 784), seed (2,), k) -> log importance weights (b, k).

    Not XLA-compiled: XLA's CPU kernels split this function's reductions by the thread count, so the
    estimate changed in its 8th digit between one and two threads; TensorFlow's own kernels give the same
    bytes for any thread count here, and are no slower (tests/test_determinism.py)."""

    @tf.function(jit_compile=False, reduce_retracing=True)
    def log_weights(x, seed, k: int):
        z_mean, z_log_var = vae.encoder(x, training=False)
        eps = tf.random.stateless_normal((tf.shape(x)[0], k, z_mean.shape[-1]), seed)
        z = z_mean[:, None, :] + ops.exp(0.5 * z_log_var)[:, None, :] * eps
        flat_z = ops.reshape(z, (-1, z_mean.shape[-1]))
        flat_x = ops.reshape(ops.repeat(x[:, None, :], k, axis=1), (-1, x.shape[-1]))
        nll = ops.reshape(reconstruction_nll(vae.likelihood, flat_x, vae.decoder(flat_z, training=False), vae.sigma),
                          (-1, k))
        log_q = ops.sum(-0.5 * ops.square(eps) - 0.5 * z_log_var[:, None, :] - 0.5 * LOG_2PI, axis=-1)
        log_prior = ops.sum(-0.5 * ops.square(z) - 0.5 * LOG_2PI, axis=-1)
        return -nll + log_prior - log_q

    return log_weights


def iwae_log_likelihood(vae, x: np.ndarray, k: int, seed: int, batch_size: int = 50,
                        chunk: int = 250) -> np.ndarray:
    """Per-image importance-weighted bound L_k (nats), shape (n,), for flattened images x (n, 784).

    Samples are drawn in chunks of `chunk` per image (memory: batch_size * chunk * 784 floats) from a
    stateless generator keyed by (seed, batch, chunk), so the estimate is reproducible.
    """
    log_weights = _log_weights_fn(vae)
    out = np.empty(len(x))
    for b, start in enumerate(range(0, len(x), batch_size)):
        xb = tf.constant(x[start:start + batch_size])
        parts, left, c = [], k, 0
        while left > 0:
            size = min(chunk, left)
            parts.append(log_weights(xb, tf.constant([seed, b * 4096 + c], dtype=tf.int32), size).numpy())
            left, c = left - size, c + 1
        w = np.concatenate(parts, axis=1).astype(np.float64)
        top = w.max(axis=1, keepdims=True)
        out[start:start + len(w)] = (top[:, 0] + np.log(np.exp(w - top).sum(axis=1))) - math.log(k)
    return out
