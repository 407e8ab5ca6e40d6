import warnings

import keras
import numpy as np
import pytest

from vaereport.science import models
from vaereport.science.models import Corruption, Sampling, build_dae, build_vae


def test_sampling_has_requested_mean_and_variance():
    n = 200_000
    mean = np.full((n, 2), [1.5, -2.0], dtype="float32")
    log_var = np.full((n, 2), [np.log(0.25), np.log(4.0)], dtype="float32")
    z = np.asarray(Sampling(seed=3)([mean, log_var]))
    np.testing.assert_allclose(z.mean(axis=0), [1.5, -2.0], atol=0.02)
    np.testing.assert_allclose(z.var(axis=0), [0.25, 4.0], rtol=0.02)


def test_sampling_is_seeded():
    mean, log_var = np.zeros((5, 2), "float32"), np.zeros((5, 2), "float32")
    a = np.asarray(Sampling(seed=7)([mean, log_var]))
    b = np.asarray(Sampling(seed=7)([mean, log_var]))
    c = np.asarray(Sampling(seed=8)([mean, log_var]))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("kind,level", [("gaussian", 0.1), ("masking", 0.4)])
def test_corruption_statistics_and_seed(kind, level):
    x = np.full((400, 784), 0.5, dtype="float32")
    noisy = np.asarray(Corruption(kind, level, seed=1)(x, training=True))
    again = np.asarray(Corruption(kind, level, seed=1)(x, training=True))
    np.testing.assert_array_equal(noisy, again)
    if kind == "gaussian":
        assert np.std(noisy - x) == pytest.approx(level, rel=0.05)  # few values reach the clip at 0 or 1
        assert noisy.min() >= 0.0 and noisy.max() <= 1.0
    else:
        assert np.mean(noisy == 0.0) == pytest.approx(level, abs=0.01)
        assert set(np.unique(noisy)) <= {0.0, 0.5}
    np.testing.assert_array_equal(np.asarray(Corruption(kind, level)(x, training=False)), x)


@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_vae_and_dae_share_the_architecture_builders(architecture):
    vae = build_vae(8, [32, 16], "bernoulli", architecture=architecture)
    dae = build_dae(8, [32, 16], "bernoulli", architecture=architecture)
    trunk = lambda m: [(l.name, l.__class__.__name__, l.output.shape) for l in m.layers
                       if l.name.startswith(("enc_", "dec_"))]
    assert trunk(vae.encoder) == trunk(dae.encoder)
    assert trunk(vae.decoder) == trunk(dae.decoder)
    assert [w.shape for w in vae.decoder.weights] == [w.shape for w in dae.decoder.weights]


@pytest.mark.parametrize("builder", [
    lambda: build_vae(2, [16], "bernoulli", seed=1),
    lambda: build_vae(2, [16], "gaussian", sigma=0.2, seed=1),
    lambda: build_dae(4, [16], corruption="masking", corruption_level=0.2, seed=1),
    lambda: build_vae(2, [16], "bernoulli", seed=1, architecture="conv"),
    lambda: build_dae(4, [16], corruption="masking", corruption_level=0.2, seed=1, architecture="conv"),
])
def test_saved_model_loads_back(tmp_path, builder):
    model = builder()
    x = np.random.default_rng(0).uniform(size=(64, 784)).astype("float32")
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(x, epochs=1, batch_size=32, verbose=0)
    path = tmp_path / "m.keras"
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # e.g. Keras's "saving a model that has not yet been built"
        model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.likelihood == model.likelihood and loaded.sigma == model.sigma
    assert loaded.architecture == model.architecture
    enc = lambda m: m.encoder(x[:8])
    np.testing.assert_allclose(np.asarray(enc(loaded)[0] if isinstance(enc(loaded), list) else enc(loaded)),
                               np.asarray(enc(model)[0] if isinstance(enc(model), list) else enc(model)), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(loaded.decoder(np.zeros((2, model.decoder.input_shape[-1])))),
                               np.asarray(model.decoder(np.zeros((2, model.decoder.input_shape[-1])))), rtol=1e-6)


def test_a_saved_vae_predicts_the_pixel_means_at_the_posterior_mean(tmp_path):
    from vaereport.science.models import decoder_mean

    vae = build_vae(2, [16], "bernoulli", seed=1)
    x = np.random.default_rng(0).uniform(size=(16, 784)).astype("float32")
    vae.save(tmp_path / "v.keras")
    loaded = keras.models.load_model(tmp_path / "v.keras")
    first, second = loaded.predict(x, verbose=0), loaded.predict(x, verbose=0)
    np.testing.assert_array_equal(first, second)
    z_mean = np.asarray(vae.encoder(x)[0])
    np.testing.assert_allclose(first, np.asarray(decoder_mean("bernoulli", vae.decoder(z_mean))), rtol=1e-5)
    assert 0.0 <= first.min() and first.max() <= 1.0


@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_vae_train_step_reports_terms_separately(architecture):
    vae = build_vae(2, [16], "bernoulli", architecture=architecture)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = np.random.default_rng(0).uniform(size=(64, 784)).astype("float32")
    hist = vae.fit(x, epochs=1, batch_size=32, verbose=0).history
    assert set(hist) == {"loss", "reconstruction", "kl"}
    assert hist["loss"][0] == pytest.approx(hist["reconstruction"][0] + hist["kl"][0], rel=1e-4)


def test_unknown_likelihood_is_rejected():
    with pytest.raises(ValueError):
        models.build_decoder(2, [4], 784, "poisson")


@pytest.mark.parametrize("kind,level", [("gaussian", 0.1), ("masking", 0.4)])
def test_pipeline_corruption_matches_layer_statistics(kind, level):
    """The stateless corruption used in the DAE's input pipeline has the layer's statistics and is seeded."""
    import tensorflow as tf

    x = np.full((400, 784), 0.5, dtype="float32")
    seed = tf.constant([3, 4], dtype=tf.int32)
    a = np.asarray(models.corrupt(x, kind, level, seed))
    b = np.asarray(models.corrupt(x, kind, level, seed))
    np.testing.assert_array_equal(a, b)
    if kind == "gaussian":
        assert np.std(a - x) == pytest.approx(level, rel=0.05)
    else:
        assert np.mean(a == 0.0) == pytest.approx(level, abs=0.01)


def test_dae_trains_on_pipeline_corrupted_batches():
    from vaereport.science.training import corrupted_batches, fit

    x = np.random.default_rng(0).uniform(size=(300, 784)).astype("float32")
    dae = build_dae(4, [16], corruption="gaussian", corruption_level=0.2, seed=3)
    noisy, clean = next(iter(corrupted_batches(dae, x, 100)))
    assert noisy.shape == clean.shape == (100, 784)
    assert not np.allclose(np.asarray(noisy), np.asarray(clean))
    run = fit(dae, x, epochs=2, batch_size=100, learning_rate=1e-3, label="dae")
    assert len(run["history"]["loss"]) == 2 and np.isfinite(run["history"]["loss"]).all()


def test_aggregate_posterior_equals_the_prior_when_every_posterior_is_the_prior():
    from vaereport.science import latent

    n = 50
    points = latent.disc_grid(1.0, 11)
    ratio = latent.density_ratio(points, np.zeros((n, 2)), np.zeros((n, 2)))
    np.testing.assert_allclose(ratio, 1.0, rtol=1e-9)
    far = latent.prior_mass_below(np.full((n, 2), 6.0), np.full((n, 2), -4.0), 1.0, 0.1, n_samples=2000)
    assert far["of_disc_mass"] == 1.0 and far["disc_mass"] == pytest.approx(1 - np.exp(-0.5), abs=0.03)
    picked = latent.low_density_points(points, np.arange(len(points), dtype=float), 3, min_separation=0.5)
    assert all(np.linalg.norm(points[a] - points[b]) >= 0.5 for a in picked for b in picked if a != b)


def test_pairwise_log_density_has_the_bits_of_the_direct_formula():
    from vaereport.science import latent

    rng = np.random.default_rng(4)
    points, mean, log_var = rng.normal(size=(7, 2)) * 2, rng.normal(size=(30, 2)), rng.normal(-3, 1, size=(30, 2))
    diff = points[:, None, :] - mean[None, :, :]
    direct = -0.5 * np.sum(diff**2 / np.exp(log_var)[None] + log_var[None] + np.log(2 * np.pi), axis=-1)
    assert np.array_equal(latent.log_normal_pdf_2d(points, mean, log_var), direct)


def test_conv_builders_keep_the_flat_image_interface_and_the_heads():
    vae = build_vae(3, [32], "gaussian", architecture="conv")
    assert vae.encoder.input_shape == (None, 784) and vae.decoder.output_shape == (None, 784)
    assert [o.shape[-1] for o in vae.encoder.outputs] == [3, 3]  # z_mean, z_log_var
    convs = [l for l in vae.encoder.layers if isinstance(l, keras.layers.Conv2D)]
    assert [(l.filters, l.strides) for l in convs] == [(32, (2, 2)), (64, (2, 2))]
    out = np.asarray(vae.decoder(np.zeros((2, 3), dtype="float32")))
    assert out.min() >= 0 and out.max() <= 1  # the Gaussian mean through a sigmoid


def test_a_convolutional_decoder_on_a_dense_encoder_changes_the_decoder_alone():
    from vaereport.science.models import uses_xla

    mixed = build_vae(2, [32, 16], "bernoulli", architecture="mlp", decoder_architecture="conv")
    dense = build_vae(2, [32, 16], "bernoulli")
    assert mixed.architecture == "mlp+conv" and not uses_xla(mixed) and uses_xla(dense)
    assert mixed.encoder.count_params() == dense.encoder.count_params()
    assert any(isinstance(layer, keras.layers.Conv2DTranspose) for layer in mixed.decoder.layers)
    assert mixed.decoder.output_shape == (None, 784)


def test_conv_needs_square_images_and_a_known_architecture():
    with pytest.raises(ValueError, match="28x28"):
        build_vae(2, [16], "bernoulli", input_dim=100, architecture="conv")
    with pytest.raises(ValueError, match="unknown architecture"):
        build_vae(2, [16], "bernoulli", architecture="resnet")


def test_the_schema_offers_the_architectures_the_builders_know():
    from vaereport.config import analyses

    for architecture in analyses.get("q1").schema["architecture"].options:
        assert build_vae(2, [16], "bernoulli", architecture=architecture).encoder.count_params() > 0


@pytest.mark.parametrize("model", ["vae", "dae"])
def test_a_held_out_curve_measured_at_the_end_only_has_the_full_curves_last_point(model):
    """The study's cells measure the test loss after the last epoch only: the same value, bit for bit, as the last
    point of the curve measured after every epoch (the evaluation's seed is stateless, training draws nothing
    from it)."""
    from vaereport.science.determinism import seed_everything
    from vaereport.science.training import fit

    x = np.random.default_rng(0).random((300, 784), dtype=np.float32)
    held_out = {"test": (x[200:], x[200:]), "corrupted": (np.clip(x[200:] + 0.3, 0, 1), x[200:])}
    build = {"vae": lambda: build_vae(2, [8], "bernoulli", seed=3),
             "dae": lambda: build_dae(2, [8], "bernoulli", seed=3, corruption="gaussian", corruption_level=0.3)}[model]
    runs = {}
    for every in (True, False):
        seed_everything(3)
        runs[every] = fit(build(), x[:200], epochs=3, batch_size=50, learning_rate=1e-3, label="curve",
                          held_out=held_out, held_out_curve=every)
    full, last = runs[True], runs[False]
    assert len(full["history"]["test_loss"]) == 3 and len(last["history"]["test_loss"]) == 1
    assert last["history"]["loss"] == full["history"]["loss"]
    for name in held_out:
        assert last["history"][f"{name}_loss"][0] == full["history"][f"{name}_loss"][-1]
        np.testing.assert_array_equal(last["per_image"][name][0], full["per_image"][name][-1])
