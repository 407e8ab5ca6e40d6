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
# # Q2.1–2.2 — a VAE and a denoising autoencoder on Fashion-MNIST
#
# Both models are built from the same encoder/decoder builders (`vaereport.science.models`); they differ only in
# the stochastic bottleneck + KL term (VAE) versus input corruption + a deterministic code (DAE).
# Training is unsupervised on the training images; the test images are used only for evaluation.

# %% tags=["parameters"]
params = {}  # injected by the runner (all of them); by hand or with papermill any subset (empty: smoke)
output_dir = "build/notebook/q2_representations"

# %%
import numpy as np
import pandas as pd

from vaereport.figures import plots
from vaereport.data import load_dataset
from vaereport.science.determinism import seed_everything
from vaereport.execution.memo import memoised
from vaereport.science.genmetrics import (bootstrap_frechet, features_and_confidence, fit_gaussian,
                                  train_reference_classifier)
from vaereport.science.losses import kl_per_unit, reconstruction_nll
from vaereport.science.models import build_dae, build_vae, corrupt, decoder_mean
from vaereport.notebook import start
from vaereport.science.training import (PerImageLoss, curve_summary, curves_table, fit, flatten_images, paired_difference,
                                 predict, reconstruction_mse, repeat_means, split_validation, stream_seed,
                                 train_test_gap)

P, out, _ = start("q2_representations", params, output_dir)
P

# %%
fashion = load_dataset("fashion-mnist")
# The last `validation_size` training images are held out of training; they are scored, and the semi-supervised
# analysis scores its classifiers on them instead of the test images (the study's cells: no choice sees the test).
x_train, x_val = split_validation(flatten_images(fashion.x_train[: P["train_subset"]]), P["validation_size"])
validation_index = np.arange(len(x_train), len(x_train) + len(x_val))
x_train_all, y_train_all = flatten_images(fashion.x_train), fashion.y_train
x_test, y_test = flatten_images(fashion.x_test), fashion.y_test
out.record(class_names=list(fashion.class_names),
           data={"n_train": len(x_train), "n_validation": len(x_val), "n_test": len(x_test), "sha256": fashion.sha256})
x_train.shape

# %% [markdown]
# ## Train the two models (same architecture, same likelihood, same optimiser and epochs)

# %%
arch = dict(latent_dim=P["latent_dim"], hidden=P["hidden"], likelihood=P["likelihood"],
            sigma=P["gaussian_sigma"], seed=P["seed"], architecture=P["architecture"])
builders = {
    "VAE": lambda: build_vae(**arch),
    "DAE": lambda: build_dae(**arch, corruption=P["corruption"], corruption_level=P["corruption_level"]),
}
# Held-out curves (measured after every epoch, or the last only in the study's cells; used for nothing else): the
# test images as they are, and for the DAE also one fixed, seeded corruption of them, the task it is trained on.
x_test_corrupted = np.asarray(corrupt(x_test, P["corruption"], P["corruption_level"],
                                      np.array([P["seed"], 0], dtype="int32")))
held_out = {"VAE": {"test": (x_test, x_test)},
            "DAE": {"test": (x_test, x_test), "corrupted": (x_test_corrupted, x_test)}}
models, runs = {}, {}
for name, build in builders.items():
    seed_everything(P["seed"])
    model = build()
    runs[name] = fit(model, x_train, epochs=P["epochs"], batch_size=P["batch_size"],
                     learning_rate=P["learning_rate"], label=name, held_out=held_out[name],
                     held_out_curve=P["held_out_curve"])
    history = runs[name]["history"]  # the last point of the clean test-image curve is the model's test loss
    runs[name]["test"] = {term: history[f"test_{term}"][-1] for term in ("loss", "reconstruction", "kl")
                          if f"test_{term}" in history}
    out.timing(**{name: {"train_seconds": runs[name]["seconds"], "images_per_second": runs[name]["images_per_second"],
                         "seconds_per_epoch": runs[name]["seconds"] / P["epochs"]}})
    model.save(out.model_path(name.lower()))
    models[name] = model
out.figure(plots.training_curves({k: r["history"] for k, r in runs.items()}), "training_curves")
curve_set = {"VAE": "test", "DAE": "corrupted"}  # each model's held-out curve on its own training task
# The VAE's held-out loss is a one-sample Monte-Carlo estimate (its noise measured by repeating the final
# evaluation with other sampling seeds); the DAE's is deterministic.
repeats = {"VAE": repeat_means(models["VAE"], x_test, x_test, seed=P["seed"]) if P["held_out_curve"] else None,
           "DAE": None}
out.table(curves_table({k: r["history"] for k, r in runs.items()}), "loss_curves")
# The held-out training images, if any: each model's loss on its own task (the DAE's from one seeded corruption)
# and the per-pixel squared error of the reconstruction from the clean image.
if len(x_val):
    x_val_corrupted = np.asarray(corrupt(x_val, P["corruption"], P["corruption_level"],
                                         np.array([P["seed"], 2], dtype="int32")))
    val_inputs = {"VAE": x_val, "DAE": x_val_corrupted}
    val_losses = {name: PerImageLoss(models[name])(val_inputs[name], x_val, stream_seed(P["seed"], 10**6 + 3))["loss"]
                  for name in models}
    out.record(validation={name: {"loss": float(val_losses[name].mean()),
                                  "mse_per_pixel": reconstruction_mse(models[name], P["likelihood"], x_val)}
                           for name in models})
    # per image, for paired comparisons between cells on the same held-out images
    out.array("validation_losses", **{name: v.astype(np.float32) for name, v in val_losses.items()})

# %% [markdown]
# ## Encode the full dataset (VAE: posterior means) and save the codes with the labels
#
# Each model encodes the clean images: the semi-supervised analysis gives every input one encoding.

# %%
def encode(name, x):
    code = predict(models[name].encoder, x)
    return np.asarray(code[0] if isinstance(code, list) else code, dtype=np.float32)

splits = {"train": x_train_all, "test": x_test}
codes = {f"{m.lower()}_{split}": encode(m, x) for m in models for split, x in splits.items()}
out.array("encodings", **codes, y_train=y_train_all, y_test=y_test, validation_index=validation_index)
{k: v.shape for k, v in codes.items()}

# %% [markdown]
# ## Which units of the VAE's code carry information: the KL of each unit on the test images
#
# A unit whose posterior equals the prior for every image (KL near 0) carries nothing a classifier could use;
# the 'active units' count (posterior-mean variance over the training images) says the same from the other side.

# %%
z_mean_test, z_log_var_test = (np.asarray(a, dtype=np.float64) for a in predict(models["VAE"].encoder, x_test))
kl_units = np.asarray(kl_per_unit(z_mean_test, z_log_var_test)).mean(axis=0)  # (latent_dim,) nats per image
unit_variance = codes["vae_train"].var(axis=0)
active = unit_variance > P["active_unit_threshold"]
out.figure(plots.kl_per_unit(kl_units, active), "kl_per_unit")
{"kl_per_unit": kl_units.round(3).tolist(), "active": active.tolist()}

# %% [markdown]
# ## Task 2.2(a): reconstructions of fixed test images

# %%
def decode(name, z):
    return np.asarray(decoder_mean(P["likelihood"], predict(models[name].decoder, z)))

def reconstruct(name, x):
    return decode(name, encode(name, x))

picked = np.array([int(np.flatnonzero(y_test == k)[0]) for k in range(10)])[: P["n_reconstructions"]]
x_pick = x_test[picked]
corrupted = np.asarray(models["DAE"].corrupt(x_pick, training=True))
as_img = lambda a: np.asarray(a).reshape(-1, 28, 28)
out.figure(plots.image_rows({
    "original": as_img(x_pick), "VAE reconstruction": as_img(reconstruct("VAE", x_pick)),
    "DAE reconstruction": as_img(reconstruct("DAE", x_pick)), "corrupted input": as_img(corrupted),
    "DAE reconstruction of the corrupted input": as_img(reconstruct("DAE", corrupted)),
}), "reconstructions")

rows, nll_per_image = [], {}
for name in models:
    rec = reconstruct(name, x_test)
    logits_or_mean = predict(models[name].decoder, encode(name, x_test))
    nll_per_image[name] = np.asarray(reconstruction_nll(P["likelihood"], x_test, logits_or_mean, P["gaussian_sigma"]))
    rows.append({"model": name, "nll_nats": float(np.mean(nll_per_image[name])),
                 "mse_per_pixel": float(np.mean((rec - x_test) ** 2))})
recon = pd.DataFrame(rows)
out.table(recon, "reconstruction_error")
recon

# %% [markdown]
# ## Task 2.2(b): generation — each model from N(0, I) and from a Gaussian fitted to its training codes
#
# The VAE's prior is where its decoder was trained; the DAE's codes are unconstrained, so N(0, I) may miss
# them. Both models also get the same density bolted on after training: a Gaussian fitted to the codes of the
# images they were trained on (the VAE's posterior means, the codes Task 2.3 uses), so the two models are
# also compared like for like.

# %%
rng = np.random.default_rng(P["seed"])
n = P["n_generated"]
k = P["latent_dim"]
fitted = {name: fit_gaussian(codes[f"{name.lower()}_train"][: len(x_train)]) for name in models}
dae_mean, dae_cov = fitted["DAE"]
latents = {
    "VAE, z ~ N(0, I)": ("VAE", rng.standard_normal((n, k))),
    "VAE, code ~ fitted Gaussian": ("VAE", rng.multivariate_normal(*fitted["VAE"], size=n)),
    "DAE, code ~ N(0, I)": ("DAE", rng.standard_normal((n, k))),
    "DAE, code ~ fitted Gaussian": ("DAE", rng.multivariate_normal(*fitted["DAE"], size=n)),
}
generated = {label: decode(model, z.astype("float32")) for label, (model, z) in latents.items()}
out.figure(plots.sample_panels({label: as_img(g[:12]) for label, g in generated.items()}, rows=2, cols=6,
                                panel_columns=2), "generated")

# %% [markdown]
# ## Scoring the generated images with a reference classifier trained on the training images

# %%
# Trained on the autoencoders' training images until its accuracy on a held-out tenth of them stops improving,
# from its own seed: one yardstick for every autoencoder seed. Runs that train it identically (the study's
# cells) train it once and read it back.
reference, reference_training = memoised(train_reference_classifier, x=x_train, y=fashion.y_train[: len(x_train)],
                                         max_epochs=P["reference_epochs"], patience=P["reference_patience"],
                                         seed=P["reference_seed"])
ref_accuracy = float(np.mean(np.argmax(predict(reference, x_test), axis=1) == y_test))
half = rng.permutation(len(x_test))
ref_idx, real_idx = half[: len(x_test) // 2], half[len(x_test) // 2:][:n]
ref_feats, _ = features_and_confidence(reference, x_test[ref_idx])
candidates = {**generated, "real test images": x_test[real_idx]}
features, confidence = {}, {}
for label, images in candidates.items():
    features[label], confidence[label] = features_and_confidence(reference, images)
comparisons = [("DAE, code ~ N(0, I)", "VAE, z ~ N(0, I)"), ("DAE, code ~ fitted Gaussian", "VAE, z ~ N(0, I)"),
               ("DAE, code ~ N(0, I)", "DAE, code ~ fitted Gaussian"),
               ("DAE, code ~ fitted Gaussian", "VAE, code ~ fitted Gaussian"),
               ("VAE, code ~ fitted Gaussian", "VAE, z ~ N(0, I)")]
fd = bootstrap_frechet(features, ref_feats, n_boot=P["n_bootstrap"], seed=P["seed"], pairs=comparisons)
scores = pd.DataFrame([{"images": label, "n": len(images), "mean_confidence": float(confidence[label].mean()),
                        "frechet_distance": fd[label]["fd"], "fd_se": fd[label]["se"]}
                       for label, images in candidates.items()])
out.table(scores, "generation_scores")
# With held-out training images (the study's cells), the same samples are also scored against them: a choice of
# setting may weigh generation, and no choice sees the test images.
if len(x_val):
    val_feats, _ = features_and_confidence(reference, x_val)
    val_fd = bootstrap_frechet({label: features[label] for label in generated}, val_feats, n_boot=P["n_bootstrap"],
                               seed=P["seed"])
    out.record(validation_generation={label: {"frechet_distance": val_fd[label]["fd"], "fd_se": val_fd[label]["se"],
                                              "n_reference": len(x_val)} for label in generated})
out.record(
    models={name: {"test": r["test"], "final_train_loss": r["history"]["loss"][-1],
                   "curve": curve_summary(r["history"], r["per_image"][curve_set[name]], held_out=curve_set[name],
                                          repeat_means=repeats[name]) if P["held_out_curve"] else None,
                   "train_test_gap": train_test_gap(models[name], P["likelihood"], x_train, x_test, seed=P["seed"]),
                   "history": r["history"],
                   "n_parameters": models[name].encoder.count_params() + models[name].decoder.count_params()}
            for name, r in runs.items()},
    reconstruction={r["model"]: r for r in rows},
    reconstruction_difference={"VAE - DAE": paired_difference(nll_per_image["VAE"], nll_per_image["DAE"]),
                               # the DAE's last-epoch loss from the corrupted copies against from the clean images
                               "DAE corrupted - clean": paired_difference(runs["DAE"]["per_image"]["corrupted"][-1],
                                                                          runs["DAE"]["per_image"]["test"][-1])},
    generation={r["images"]: r for r in scores.to_dict(orient="records")},
    frechet_differences={f"{a} - {b}": fd[f"{a} - {b}"] for a, b in comparisons},
    n_bootstrap=P["n_bootstrap"],
    reference_classifier={"test_accuracy": ref_accuracy, **reference_training, "n_reference_images": len(ref_idx)},
    dae_code_stats={"mean_norm": float(np.linalg.norm(dae_mean)),
                    "std_min": float(np.sqrt(np.diag(dae_cov)).min()), "std_max": float(np.sqrt(np.diag(dae_cov)).max())},
    vae_code_stats={"std_min": float(codes["vae_train"].std(axis=0).min()),
                    "std_max": float(codes["vae_train"].std(axis=0).max()),
                    "mean_norm": float(np.linalg.norm(codes["vae_train"].mean(axis=0))),
                    # 'active units' (Burda et al., 2016): dimensions whose posterior mean varies across images
                    "active_units": int(active.sum()), "active_unit_threshold": P["active_unit_threshold"],
                    # mean KL of each unit to the prior on the test images (nats per image), and the active units' share
                    "kl_per_unit": kl_units.tolist(), "kl_active_share": float(kl_units[active].sum() / kl_units.sum())},
    encodings_file="arrays/encodings.npz",
)
scores
