# ---
# jupyter:
#   jupytext:
#     formats: py:percent,ipynb
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Q1 — a variational autoencoder with a 2-D latent space on MNIST
#
# Trains the Bernoulli VAE the assignment asks for and, for comparison, the fixed-σ Gaussian one (a study cell
# may train one decoder only); evaluates them on the held-out test set and draws the latent-space figures of
# the first decoder listed.

# %% tags=["parameters"]
params = {}  # injected by the runner (all of them); by hand or with papermill any subset (empty: smoke)
output_dir = "build/notebook/q1_vae_mnist"

# %%
import numpy as np

from vaereport.figures import plots
from vaereport.data import load_dataset
from vaereport.science.genmetrics import train_reference_classifier
from vaereport.science.latent import (class_overlap, density_ratio, disc_grid, disc_prior_samples, low_density_points,
                              mass_below, nearest_indices)
from vaereport.science.models import build_vae, decoder_mean
from vaereport.science.determinism import seed_everything
from vaereport.notebook import start
from vaereport.science.likelihood import iwae_log_likelihood
from vaereport.science.training import (PerImageLoss, curve_summary, curves_table, fit, flatten_images, predict,
                                 reconstruction_mse, repeat_means, split_validation, stream_seed, train_test_gap)

P, out, _ = start("q1_vae_mnist", params, output_dir)
decoder_architecture = P["architecture"] if P["decoder_architecture"] == "mirror" else P["decoder_architecture"]
P

# %% [markdown]
# ## Data: the training images for training (less a validation part, if asked), the test images only for evaluation

# %%
mnist = load_dataset("mnist")
x_train, x_val = split_validation(flatten_images(mnist.x_train[: P["train_subset"]]), P["validation_size"])
y_train = mnist.y_train[: len(x_train)]
x_test, y_test = flatten_images(mnist.x_test), mnist.y_test
out.record(class_names=list(mnist.class_names), data={"n_train": len(x_train), "n_validation": len(x_val),
                                                      "n_test": len(x_test), "sha256": mnist.sha256})
x_train.shape, x_val.shape, x_test.shape

# %% [markdown]
# ## Train the decoders: Bernoulli (the model of record) and Gaussian with fixed σ

# %%
models, results, validation_losses = {}, {}, {}
for likelihood in P["decoders"]:
    seed_everything(P["seed"])  # each model starts from the same seed state
    vae = build_vae(P["latent_dim"], P["hidden"], likelihood, sigma=P["gaussian_sigma"], seed=P["seed"],
                    architecture=P["architecture"], decoder_architecture=decoder_architecture)
    # The test loss is measured after every epoch (per image, for paired comparisons between epochs) to draw
    # the held-out curve (the study's cells, which draw none, measure the last epoch only); nothing is chosen
    # from it. The model after the last epoch is the one evaluated.
    run = fit(vae, x_train, epochs=P["epochs"], batch_size=P["batch_size"], learning_rate=P["learning_rate"],
              label=f"VAE {likelihood}", held_out={"test": (x_test, x_test)}, held_out_curve=P["held_out_curve"])
    vae.save(out.model_path(f"vae_{likelihood}"))
    models[likelihood] = vae
    history = run["history"]
    validation = PerImageLoss(vae)(x_val, x_val, stream_seed(P["seed"], 10**6 + 3)) if len(x_val) else None
    if validation is not None:  # per image, for paired comparisons between cells on the same held-out images
        validation_losses[likelihood] = validation["loss"].astype(np.float32)
    results[likelihood] = {
        # the last point of the held-out curve: the table and the figure show the same estimate
        "test_neg_elbo": history["test_loss"][-1], "test_reconstruction": history["test_reconstruction"][-1],
        "test_kl": history["test_kl"][-1], "test_mse": reconstruction_mse(vae, likelihood, x_test),
        **({"validation_neg_elbo": float(validation["loss"].mean()), "validation_mse": reconstruction_mse(vae, likelihood, x_val)}
           if validation is not None else {}),
        "final_train_neg_elbo": history["loss"][-1], "history": history,
        "curve": curve_summary(history, run["per_image"]["test"],
                               repeat_means=repeat_means(vae, x_test, x_test, seed=P["seed"]))
        if P["held_out_curve"] else None,
        "train_test_gap": train_test_gap(vae, likelihood, x_train, x_test, seed=P["seed"]),
        "n_parameters": vae.encoder.count_params() + vae.decoder.count_params(),
    }
    out.timing(**{likelihood: {"train_seconds": run["seconds"], "images_per_second": run["images_per_second"],
                               "seconds_per_epoch": run["seconds"] / P["epochs"]}})
out.record(models=results)
if validation_losses:
    out.array("validation_losses", **validation_losses)
{k: {m: round(v, 2) for m, v in r.items() if m.startswith("test")} for k, r in results.items()}

# %% [markdown]
# ## A tighter estimate of log p(x): the importance-weighted bound with k samples per test image
#
# With k = 0 (the study's cells, which compare no bound) it is not computed.

# %%
iwae = {}
for likelihood, model in (models.items() if P["iwae_samples"] else ()):
    per_image = iwae_log_likelihood(model, x_test, k=P["iwae_samples"], seed=P["seed"])
    iwae[likelihood] = {"k": P["iwae_samples"], "mean_log_likelihood": float(per_image.mean()),
                        "sem": float(per_image.std(ddof=1) / np.sqrt(len(per_image)))}
out.record(iwae=iwae)
iwae

# %%
import pandas as pd

losses = pd.DataFrame([
    {"decoder": k, "test_neg_elbo": r["test_neg_elbo"], "test_reconstruction": r["test_reconstruction"],
     "test_kl": r["test_kl"], "test_mse": r["test_mse"]}
    for k, r in results.items()
])
out.table(losses, "test_losses")
out.table(curves_table({k: r["history"] for k, r in results.items()}), "loss_curves")
out.figure(plots.training_curves({f"{k.capitalize()} decoder": r["history"] for k, r in results.items()}),
           "training_curves")
losses

# %% [markdown]
# ## The latent space of the first decoder's VAE (Bernoulli in the study's model of record)

# %%
record = P["decoders"][0]
vae = models[record]
out.record(latent_model=record)
z_test, z_log_var_test = predict(vae.encoder, x_test)
out.array("test_latents", z_mean=z_test, z_log_var=z_log_var_test, labels=y_test)
out.figure(plots.latent_scatter(z_test, y_test, mnist.class_names), "latent_scatter")

axis, grid_z = plots.grid_points(P["grid_size"], P["grid_extent"])
grid_images = np.asarray(decoder_mean(record, predict(vae.decoder, grid_z))).reshape(-1, 28, 28)
out.array("latent_grid", images=grid_images, axis=axis)  # the study's report draws several side by side
out.figure(plots.latent_grid(grid_images, axis), "latent_grid")
prior_z = np.random.default_rng(P["seed"]).standard_normal((16, 2)).astype("float32")
prior_images = np.asarray(decoder_mean(record, predict(vae.decoder, prior_z))).reshape(-1, 28, 28)
out.figure(plots.sample_panels({"decoded from z ~ N(0, I)": prior_images}), "prior_samples")

# %% [markdown]
# ## Reconstructions of fixed test digits (the first test image of each class, then the next ones)

# %%
first_of_class = [int(np.flatnonzero(y_test == k)[0]) for k in range(10)]
picked = np.array(first_of_class[: P["n_reconstructions"]])
rows = {"original": x_test[picked].reshape(-1, 28, 28)}
for likelihood, model in models.items():
    z_mean, _ = predict(model.encoder, x_test[picked])
    rows[f"{likelihood.capitalize()} VAE"] = np.asarray(decoder_mean(likelihood, predict(model.decoder, z_mean))).reshape(-1, 28, 28)
out.array("reconstructions", test_index=picked, original=rows["original"],
          **{k: rows[f"{k.capitalize()} VAE"] for k in models})
out.figure(plots.image_rows(rows), "reconstructions")

# Which digit does each reconstruction show? A classifier trained on the training digits (not the test set)
# names the shown reconstructions and the originals.
digit_classifier, digit_training = train_reference_classifier(x_train, y_train, max_epochs=P["digit_classifier_epochs"],
                                                              patience=1, seed=P["seed"])
def name_digits(images):
    """The classifier's digit (n,) and its softmax confidence (n,) for images (n, 28, 28) or (n, 784)."""
    logits = predict(digit_classifier, np.asarray(images).reshape(len(images), -1))
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    return np.argmax(logits, axis=1), (probs / probs.sum(axis=1, keepdims=True)).max(axis=1)

named = {k: name_digits(rows[f"{k.capitalize()} VAE"])[0] for k in models}
test_digit, test_confidence = name_digits(x_test)
out.record(reconstructions_named={
    "labels": y_test[picked], "original": name_digits(rows["original"])[0], **named,
    "other_digit": {k: int(np.sum(v != y_test[picked])) for k, v in named.items()}, "n": len(picked),
    "classifier": {"test_accuracy": float(np.mean(test_digit == y_test)), **digit_training}})
# Does the model generate digits? The same classifier's confidence on images decoded from prior samples, on the
# decoded grid, and on real test digits for comparison.
many_prior_z = np.random.default_rng([P["seed"], 1]).standard_normal((1000, 2)).astype("float32")
prior_digit, prior_confidence = name_digits(decoder_mean(record, predict(vae.decoder, many_prior_z)))
_, grid_confidence = name_digits(grid_images)
out.record(generated_named={
    "n_prior_samples": len(many_prior_z), "prior_mean_confidence": round(float(prior_confidence.mean()), 3),
    "prior_share_confident": float(np.mean(prior_confidence >= 0.9)),
    "prior_digit_counts": np.bincount(prior_digit, minlength=10),
    "grid_mean_confidence": round(float(grid_confidence.mean()), 3),
    "grid_share_confident": float(np.mean(grid_confidence >= 0.9)),
    "test_mean_confidence": round(float(test_confidence.mean()), 3),
    "test_share_confident": float(np.mean(test_confidence >= 0.9)),
    "confident": 0.9})
out.metrics["reconstructions_named"]["other_digit"], out.metrics["generated_named"]["prior_mean_confidence"]

# %% [markdown]
# ## What lives in the gaps near the origin: where the prior has mass but the encoded training digits do not
#
# The aggregate posterior q(z) = mean over training images of N(z; m(x), diag s²(x)) is compared with the prior
# p(z) = N(0, I) inside the disc of radius `gap_radius` prior standard deviations; a gap is a point where q/p
# is small. The gap points are decoded to see what the model draws there.

# %%
z_train, z_log_var_train = predict(vae.encoder, x_train)
radius, threshold = P["gap_radius"], P["gap_ratio_threshold"]
disc = disc_grid(radius, resolution=61)
ratio = density_ratio(disc, z_train, z_log_var_train)
# The gaps shown: up to six of the least covered grid points below the threshold, spread over the disc.
below_grid = np.flatnonzero(ratio < threshold)
picked_gaps = below_grid[low_density_points(disc[below_grid], ratio[below_grid], n=6, min_separation=radius / 4)]
gaps = disc[picked_gaps].astype("float32")
gap_images = (np.asarray(decoder_mean(record, predict(vae.decoder, gaps))).reshape(-1, 28, 28) if len(gaps)
              else np.zeros((0, 28, 28), "float32"))
gap_digit, gap_confidence = name_digits(gap_images) if len(gaps) else (np.zeros(0, int), np.zeros(0))
gap_confidence = np.round(gap_confidence, 3)  # convolution inference rounds differently with other thread counts
# What the model draws in the gaps, from many prior samples: those inside the disc, in its gaps and elsewhere in
# it, decoded and named by the digit classifier.
n_disc_samples = 20000
disc_samples, in_gap = disc_prior_samples(z_train, z_log_var_train, radius, threshold, n_disc_samples, seed=P["seed"])
_, disc_confidence = name_digits(decoder_mean(record, predict(vae.decoder, disc_samples.astype("float32"))))
disc_confident = np.round(disc_confidence, 3) >= 0.9
decoded_in_disc = {
    where: {"n": int(mask.sum()),
            "share_confident": float(disc_confident[mask].mean()) if mask.any() else None,
            "mean_confidence": round(float(disc_confidence[mask].mean()), 3) if mask.any() else None}
    for where, mask in (("gaps", in_gap), ("rest_of_disc", ~in_gap))}
view = 2.5
map_axis = np.linspace(-view, view, 101)
map_points = np.stack(np.meshgrid(map_axis, map_axis[::-1]), -1).reshape(-1, 2)
ratio_map = density_ratio(map_points, z_train, z_log_var_train).reshape(len(map_axis), len(map_axis))
near = np.abs(map_axis) <= 1.5 * radius + 1e-9  # the figure shows the disc and a margin around it
out.figure(plots.latent_gaps(ratio_map[np.ix_(near, near)], float(map_axis[near].max()), gaps, gap_images, radius,
                             threshold, disc, ratio < threshold), "latent_gaps")
# The decoder's weights (Dense layers in order) and the density-ratio map, for the HTML report's live latent plane
# (an MLP decoder only: the page decodes with matrix products).
if decoder_architecture == "mlp":
    dense = [layer for layer in vae.decoder.layers if layer.weights]
    out.array("decoder_weights", **{f"w{i}": layer.get_weights()[0] for i, layer in enumerate(dense)},
              **{f"b{i}": layer.get_weights()[1] for i, layer in enumerate(dense)},
              activations=np.array([layer.get_config()["activation"] for layer in dense]), likelihood=np.array(record))
out.array("density_ratio_map", log10_ratio=np.log10(np.maximum(ratio_map, 1e-12)).astype("float32"),
          axis=map_axis.astype("float32"))
k_neighbours = 25
neighbours = [np.bincount(y_test[idx], minlength=10) / len(idx) for idx in nearest_indices(z_test, gaps, k=k_neighbours)]
gap_neighbours = [{"classes": [int(c) for c in np.argsort(-h, kind="stable")[:2]],
                   "shares": [float(v) for v in np.sort(h)[::-1][:2]]} for h in neighbours]
overlap = class_overlap(z_train, y_train, z_test, y_test)
out.record(class_overlap=overlap)
out.record(latent={
    "mean_of_means": z_test.mean(axis=0), "std_of_means": z_test.std(axis=0),
    "mean_posterior_std": np.exp(0.5 * z_log_var_test).mean(axis=0),
    "fraction_within_2_sigma": float(np.mean(np.linalg.norm(z_test, axis=1) <= 2.0)),
}, gaps={
    "radius": radius, "ratio_threshold": threshold,
    "ratio_min": float(ratio.min()), "ratio_median": float(np.median(ratio)),
    "points": gaps, "ratios": ratio[picked_gaps], "neighbours": gap_neighbours, "k_neighbours": k_neighbours,
    "named": gap_digit, "confidence": gap_confidence,
    "prior_mass_below": mass_below(in_gap, n_disc_samples, radius, dim=2),
    "decoded_in_disc": decoded_in_disc,
})
out.metrics["gaps"]
