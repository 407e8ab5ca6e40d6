"""Encoder/decoder builders shared by every model, the sampling layer, the VAE and the denoising AE.

Images enter flattened: float32 of shape (batch, 784) with values in [0, 1], whatever the architecture:
`mlp` (dense layers of the `hidden` widths) or `conv` (keras-io's convolutional VAE shape: two stride-2 3x3
convolutions with 32 and 64 filters, then a dense layer of the last `hidden` width; the decoder mirrors it with
transposed convolutions). The latent heads, losses, sampling layer and training loop are the same for both.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers, ops

from .constants import ARCHITECTURES, architecture_label
from .losses import kl_to_standard_normal, reconstruction_nll

PACKAGE = "vaereport"
# XLA per architecture, from `make bench` on a 2-core CPU: it speeds the MLP's steps up, but TensorFlow's own
# oneDNN convolution kernels train the conv model faster than XLA's (see benchmarks/run.py).
JIT_COMPILE = {"mlp": True, "conv": False}
SIDE, CONV_FILTERS = 28, (32, 64)


def _mlp_trunk(x, hidden: list[int], name: str):
    for i, units in enumerate(hidden):
        x = layers.Dense(units, activation="relu", name=f"{name}_dense{i}")(x)
    return x


def _conv_encoder_trunk(x, hidden: list[int]):
    """(batch, 784) -> two stride-2 convolutions (28 -> 14 -> 7) -> a dense layer of width hidden[-1]."""
    h = layers.Reshape((SIDE, SIDE, 1), name="enc_image")(x)
    for i, filters in enumerate(CONV_FILTERS):
        h = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu", name=f"enc_conv{i}")(h)
    return layers.Dense(hidden[-1], activation="relu", name="enc_dense")(layers.Flatten(name="enc_flat")(h))


def _conv_decoder_trunk(z, hidden: list[int]):
    """z -> a dense layer of width hidden[-1] -> (7, 7, 64) -> two stride-2 transposed convolutions (7 -> 28)."""
    h = layers.Dense(hidden[-1], activation="relu", name="dec_dense")(z)
    side = SIDE // 2 ** len(CONV_FILTERS)
    h = layers.Dense(side * side * CONV_FILTERS[-1], activation="relu", name="dec_expand")(h)
    h = layers.Reshape((side, side, CONV_FILTERS[-1]), name="dec_image")(h)
    for i, filters in enumerate(reversed(CONV_FILTERS)):
        h = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation="relu", name=f"dec_deconv{i}")(h)
    return h


def uses_xla(model) -> bool:
    """Whether `model`'s training and evaluation steps are XLA-compiled (see `JIT_COMPILE`): only if every part
    is (an architecture 'mlp+conv' is a dense encoder with a convolutional decoder)."""
    return all(JIT_COMPILE[part] for part in getattr(model, "architecture", "mlp").split("+"))



def _check_architecture(architecture: str, input_dim: int) -> None:
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture '{architecture}' (use {' or '.join(ARCHITECTURES)})")
    if architecture == "conv" and input_dim != SIDE * SIDE:
        raise ValueError(f"the conv architecture needs {SIDE}x{SIDE} images, not input_dim={input_dim}")


def build_encoder(input_dim: int, hidden: list[int], latent_dim: int, variational: bool,
                  architecture: str = "mlp") -> keras.Model:
    """Encoder of (batch, 784) images. Variational: outputs (z_mean, z_log_var), each (batch, latent_dim);
    else the code (batch, latent_dim)."""
    _check_architecture(architecture, input_dim)
    inputs = keras.Input(shape=(input_dim,), name="x")
    h = _mlp_trunk(inputs, hidden, "enc") if architecture == "mlp" else _conv_encoder_trunk(inputs, hidden)
    if variational:
        z_mean = layers.Dense(latent_dim, name="z_mean")(h)
        z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)
        return keras.Model(inputs, [z_mean, z_log_var], name="encoder")
    code = layers.Dense(latent_dim, name="code")(h)
    return keras.Model(inputs, code, name="encoder")


def build_decoder(latent_dim: int, hidden: list[int], output_dim: int, likelihood: str,
                  architecture: str = "mlp") -> keras.Model:
    """Decoder mirroring the encoder, outputs (batch, 784). Bernoulli: logits; Gaussian: the mean in [0, 1]."""
    _check_architecture(architecture, output_dim)
    if likelihood not in ("bernoulli", "gaussian"):
        raise ValueError(f"unknown likelihood '{likelihood}'")
    activation = None if likelihood == "bernoulli" else "sigmoid"
    name = "logits" if likelihood == "bernoulli" else "mean"
    inputs = keras.Input(shape=(latent_dim,), name="z")
    if architecture == "mlp":
        out = layers.Dense(output_dim, activation=activation, name=name)(_mlp_trunk(inputs, list(reversed(hidden)), "dec"))
    else:
        h = layers.Conv2DTranspose(1, 3, padding="same", activation=activation, name=f"{name}_image")(
            _conv_decoder_trunk(inputs, hidden))
        out = layers.Flatten(name=name)(h)
    return keras.Model(inputs, out, name="decoder")


def decoder_mean(likelihood: str, decoder_output):
    """Pixel means E[x|z] from the decoder's output, shape (batch, 784)."""
    return ops.sigmoid(decoder_output) if likelihood == "bernoulli" else decoder_output


@keras.saving.register_keras_serializable(package=PACKAGE)
class Sampling(layers.Layer):
    """Reparameterised sample z = mean + exp(log_var / 2) * eps, eps ~ N(0, I), from a seeded generator."""

    def __init__(self, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def corrupt(x, kind: str, level: float, seed):
    """Corrupt images x (batch, 784): 'gaussian' adds N(0, level^2) noise and clips to [0, 1];
    'masking' sets each pixel to 0 with probability `level`.

    `seed` is a `keras.random.SeedGenerator` (inside a model) or a (2,) int32 tensor, for TensorFlow's
    stateless generators inside a tf.data pipeline.
    """
    if isinstance(seed, keras.random.SeedGenerator):
        normal = lambda: keras.random.normal(ops.shape(x), stddev=level, seed=seed)  # noqa: E731
        uniform = lambda: keras.random.uniform(ops.shape(x), seed=seed)  # noqa: E731
    else:
        normal = lambda: tf.random.stateless_normal(tf.shape(x), seed, stddev=level)  # noqa: E731
        uniform = lambda: tf.random.stateless_uniform(tf.shape(x), seed)  # noqa: E731
    if kind == "gaussian":
        return ops.clip(x + normal(), 0.0, 1.0)
    return ops.where(uniform() >= level, x, ops.zeros_like(x))


@keras.saving.register_keras_serializable(package=PACKAGE)
class Corruption(layers.Layer):
    """Seeded input corruption for the denoising AE: 'gaussian' (additive noise of std `level`, clipped
    to [0, 1]) or 'masking' (each pixel set to 0 with probability `level`). Identity at inference."""

    def __init__(self, kind: str = "gaussian", level: float = 0.3, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if kind not in ("gaussian", "masking"):
            raise ValueError(f"unknown corruption '{kind}' (use 'gaussian' or 'masking')")
        self.kind, self.level, self.seed = kind, level, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=False):
        if not training:
            return x
        return corrupt(x, self.kind, self.level, self.seed_generator)

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "level": self.level, "seed": self.seed}


class _Autoencoder(keras.Model):
    """Shared machinery: loss trackers, train/test steps, (de)serialisation of the two sub-models."""

    tracked = ("loss", "reconstruction", "kl")

    def __init__(self, encoder, decoder, likelihood="bernoulli", sigma=0.1, seed=0, architecture="mlp", **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.likelihood, self.sigma, self.seed, self.architecture = likelihood, float(sigma), int(seed), architecture
        self.trackers = {k: keras.metrics.Mean(name=k) for k in self.tracked}
        # Every weight lives in the two functional sub-models, built on construction; without this Keras warns on
        # save that the model "has not yet been built" (train_step never calls the outer model).
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _update(self, terms):
        for key, value in terms.items():
            self.trackers[key].update_state(value)
        return {k: t.result() for k, t in self.trackers.items()}

    @staticmethod
    def _targets_and_inputs(data):
        """(clean images, what the encoder sees or None): a tf.data pipeline may deliver
        (encoder input, clean) pairs — the DAE's batches corrupted outside the XLA step."""
        if isinstance(data, tuple) and len(data) == 2:
            return data[1], data[0]
        return (data[0] if isinstance(data, tuple) else data), None

    def train_step(self, data):
        x, inputs = self._targets_and_inputs(data)
        with tf.GradientTape() as tape:
            terms = self.loss_terms(x, training=True, inputs=inputs)
        grads = tape.gradient(terms["loss"], self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return self._update(terms)

    def test_step(self, data):
        x, inputs = self._targets_and_inputs(data)
        return self._update(self.loss_terms(x, training=False, inputs=inputs))

    def reconstruction(self, x, decoder_output):
        return reconstruction_nll(self.likelihood, x, decoder_output, self.sigma)

    def get_config(self):
        return {
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "likelihood": self.likelihood, "sigma": self.sigma, "seed": self.seed,
            "architecture": self.architecture, "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for part in ("encoder", "decoder"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)


@keras.saving.register_keras_serializable(package=PACKAGE)
class VAE(_Autoencoder):
    """Variational autoencoder; the loss is the negative ELBO = reconstruction NLL + KL, nats per image."""

    def __init__(self, encoder, decoder, likelihood="bernoulli", sigma=0.1, seed=0, architecture="mlp", **kwargs):
        super().__init__(encoder, decoder, likelihood, sigma, seed, architecture, **kwargs)
        self.sampler = Sampling(seed=seed, name="sampling")

    def call(self, x, training=False):
        """Reconstructions (batch, 784): the decoder's output at a sampled z in training; at inference the pixel
        means E[x|z] at the posterior mean, so `predict` is deterministic."""
        z_mean, z_log_var = self.encoder(x, training=training)
        if training:
            return self.decoder(self.sampler([z_mean, z_log_var]), training=True)
        return decoder_mean(self.likelihood, self.decoder(z_mean, training=False))

    def loss_terms(self, x, training=False, inputs=None):
        """Per-batch means of the negative ELBO and its two terms; the encoder sees `inputs` (default x)."""
        z_mean, z_log_var = self.encoder(x if inputs is None else inputs, training=training)
        z = self.sampler([z_mean, z_log_var])
        rec = ops.mean(self.reconstruction(x, self.decoder(z, training=training)))
        kl = ops.mean(kl_to_standard_normal(z_mean, z_log_var))
        return {"loss": rec + kl, "reconstruction": rec, "kl": kl}

    def per_image_terms(self, x, inputs, seed):
        """Per-image negative ELBO and its terms, each (batch,), with one z ~ q(z|inputs) per image drawn from
        TensorFlow's stateless generator keyed by `seed` ((2,) int32): the same seed gives the same estimate."""
        z_mean, z_log_var = self.encoder(inputs, training=False)
        eps = tf.random.stateless_normal(tf.shape(z_mean), seed)
        rec = self.reconstruction(x, self.decoder(z_mean + ops.exp(0.5 * z_log_var) * eps, training=False))
        kl = kl_to_standard_normal(z_mean, z_log_var)
        return {"loss": rec + kl, "reconstruction": rec, "kl": kl}


@keras.saving.register_keras_serializable(package=PACKAGE)
class DenoisingAE(_Autoencoder):
    """Denoising autoencoder: encodes a corrupted input deterministically and reconstructs the clean one.
    Its loss is the same reconstruction NLL as the VAE's (nats per image); there is no KL term."""

    tracked = ("loss", "reconstruction")

    def __init__(self, encoder, decoder, likelihood="bernoulli", sigma=0.1, seed=0, architecture="mlp",
                 corruption="gaussian", corruption_level=0.3, **kwargs):
        super().__init__(encoder, decoder, likelihood, sigma, seed, architecture, **kwargs)
        self.corruption, self.corruption_level = corruption, float(corruption_level)
        self.corrupt = Corruption(corruption, corruption_level, seed=seed, name="corruption")

    def call(self, x, training=False):
        return self.decoder(self.encoder(self.corrupt(x, training=training), training=training))

    def loss_terms(self, x, training=False, inputs=None):
        """Reconstruction NLL of the clean x from what the encoder sees: `inputs` when the input pipeline
        corrupted the batch (see `training.fit`), else the model's own corruption of x (identity at test)."""
        if inputs is None:
            inputs = self.corrupt(x, training=training)
        out = self.decoder(self.encoder(inputs, training=training), training=training)
        rec = ops.mean(self.reconstruction(x, out))
        return {"loss": rec, "reconstruction": rec}

    def per_image_terms(self, x, inputs, seed=None):
        """Per-image reconstruction NLL (batch,) of the clean x from `inputs` (deterministic; `seed` unused)."""
        rec = self.reconstruction(x, self.decoder(self.encoder(inputs, training=False), training=False))
        return {"loss": rec, "reconstruction": rec}

    def get_config(self):
        return {**super().get_config(), "corruption": self.corruption,
                "corruption_level": self.corruption_level}


def build_vae(latent_dim: int, hidden: list[int], likelihood: str, sigma: float = 0.1,
              seed: int = 0, input_dim: int = 784, architecture: str = "mlp",
              decoder_architecture: str | None = None) -> VAE:
    """The VAE; its decoder mirrors the encoder's `architecture` unless `decoder_architecture` names another."""
    encoder = build_encoder(input_dim, hidden, latent_dim, variational=True, architecture=architecture)
    decoder = build_decoder(latent_dim, hidden, input_dim, likelihood,
                            architecture=decoder_architecture or architecture)
    return VAE(encoder, decoder, likelihood=likelihood, sigma=sigma, seed=seed,
               architecture=architecture_label(architecture, decoder_architecture), name=f"vae_{likelihood}")


def build_dae(latent_dim: int, hidden: list[int], likelihood: str = "bernoulli", sigma: float = 0.1,
              corruption: str = "gaussian", corruption_level: float = 0.3, seed: int = 0,
              input_dim: int = 784, architecture: str = "mlp") -> DenoisingAE:
    encoder = build_encoder(input_dim, hidden, latent_dim, variational=False, architecture=architecture)
    decoder = build_decoder(latent_dim, hidden, input_dim, likelihood, architecture=architecture)
    return DenoisingAE(encoder, decoder, likelihood=likelihood, sigma=sigma, seed=seed, architecture=architecture,
                       corruption=corruption, corruption_level=corruption_level, name="dae")
