"""Per-image losses in nats, written with `keras.ops`.

All functions take flattened images `x` of shape (batch, d) with values in [0, 1] and return a
vector of shape (batch,): the loss of each image summed over its d pixels (or K latent units).
"""

from __future__ import annotations

import math

from keras import ops

LOG_2PI = math.log(2.0 * math.pi)


def bernoulli_nll(x, logits):
    """-log Bernoulli(x | sigmoid(logits)), summed over pixels; stable for any logit."""
    per_pixel = ops.maximum(logits, 0.0) - logits * x + ops.log1p(ops.exp(-ops.abs(logits)))
    return ops.sum(per_pixel, axis=-1)


def gaussian_nll(x, mean, sigma: float):
    """-log N(x | mean, sigma^2 I), summed over pixels, including the normaliser log(sigma sqrt(2 pi))."""
    per_pixel = 0.5 * ops.square((x - mean) / sigma) + math.log(sigma) + 0.5 * LOG_2PI
    return ops.sum(per_pixel, axis=-1)


def kl_to_standard_normal(z_mean, z_log_var):
    """KL(N(m, diag(s^2)) || N(0, I)) = 1/2 sum_k (m_k^2 + s_k^2 - log s_k^2 - 1), shape (batch,)."""
    return 0.5 * ops.sum(ops.square(z_mean) + ops.exp(z_log_var) - z_log_var - 1.0, axis=-1)


def kl_per_unit(z_mean, z_log_var):
    """KL(N(m_k, s_k^2) || N(0, 1)) of each latent unit k, shape (batch, K); summed over k, the KL above."""
    return 0.5 * (ops.square(z_mean) + ops.exp(z_log_var) - z_log_var - 1.0)


def reconstruction_nll(likelihood: str, x, decoder_output, sigma: float = 1.0):
    """Dispatch on the decoder's likelihood; `decoder_output` is logits (Bernoulli) or the mean (Gaussian)."""
    if likelihood == "bernoulli":
        return bernoulli_nll(x, decoder_output)
    if likelihood == "gaussian":
        return gaussian_nll(x, decoder_output, sigma)
    raise ValueError(f"unknown likelihood '{likelihood}' (use 'bernoulli' or 'gaussian')")
