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
# # Q2.3 — semi-supervised learning with VAE and DAE codes
#
# Reads the encodings saved by `q2_representations` (never retrains the autoencoders). For each label
# budget l, random labelled subsets of the training set are drawn once and shared by every
# representation and classifier (paired comparisons). The test set is only used for the final score.

# %% tags=["parameters"]
params = {}  # the resolved parameter set, injected by the runner (empty: the smoke profile)
output_dir = "build/notebook/q2_semisupervised"
inputs = {}  # upstream analysis -> its output folder, injected by the runner

# %%
import numpy as np

from vaereport import semisup, sweep_plots
from vaereport.data import load_dataset
from vaereport.notebook import start

P, out, inputs = start("q2_semisupervised", params, output_dir, inputs, tensorflow=False)
codes = np.load(inputs["q2_representations"] / "arrays" / "encodings.npz")
y_train, y_test = codes["y_train"].astype(int), codes["y_test"].astype(int)
budgets = semisup.check_budgets(P["budgets"], len(y_train), len(np.unique(y_train)), P["n_seeds"])
P

# %%
fashion = load_dataset("fashion-mnist")
assert np.array_equal(fashion.y_train, y_train), "encodings do not match the dataset's label order"
data = {
    "vae": (codes["vae_train"], codes["vae_test"]),
    "dae": (codes["dae_train"], codes["dae_test"]),
    "pixels": (fashion.x_train.reshape(len(y_train), -1) / np.float32(255), fashion.x_test.reshape(len(y_test), -1) / np.float32(255)),
    "labels": (y_train, y_test),
}
subsets = semisup.draw_subsets(y_train, budgets, P["n_seeds"], P["seed"], P["sampling"])
cells = semisup.plan_cells(subsets, ["vae", "dae"], P["classifiers"], P["raw_pixel_mlp"])
out.record(budgets=budgets, n_cells=len(cells), code_dim=int(codes["vae_train"].shape[1]),
           subset_sizes={f"{l}/{r}": len(i) for (l, r), i in subsets.items()})
len(cells)

# %% [markdown]
# ## The sweep (parallel over cells, largest first)

# %%
import time

started = time.perf_counter()
results = semisup.run_sweep(cells, data, subsets, seed=P["seed"], n_jobs=P["n_jobs"])
sweep_seconds = time.perf_counter() - started
import pandas as pd

tidy = pd.DataFrame(results)
out.table(tidy.drop(columns="fit_seconds"), "accuracy_by_cell")
out.table(tidy, "cells_with_fit_time", folder="timings")
summary = semisup.summarise(results)
out.table(summary.drop(columns="mean_fit_seconds"), "accuracy_summary")
summary.head()

# %% [markdown]
# ## Learning curves and paired comparisons

# %%
out.figure(sweep_plots.learning_curves(summary), "learning_curves")
comparisons = {}
if "mlp" in P["classifiers"]:
    comparisons["VAE − DAE codes (MLP)"] = semisup.paired_differences(results, ("vae", "mlp"), ("dae", "mlp"))
    if P["raw_pixel_mlp"]:
        comparisons["VAE codes − pixels (MLP)"] = semisup.paired_differences(results, ("vae", "mlp"), ("pixels", "mlp"))
        comparisons["DAE codes − pixels (MLP)"] = semisup.paired_differences(results, ("dae", "mlp"), ("pixels", "mlp"))
for clf in P["classifiers"]:
    if clf != "mlp":
        comparisons[f"VAE − DAE codes ({semisup.CLASSIFIER_LABELS[clf]})"] = semisup.paired_differences(
            results, ("vae", clf), ("dae", clf))
paired = pd.concat(comparisons.values(), keys=comparisons.keys(), names=["comparison"]).reset_index(level=0)
out.table(paired, "paired_differences")
out.figure(sweep_plots.paired_differences({k: v for k, v in comparisons.items() if "MLP" in k}), "paired_differences")

# %% [markdown]
# ## Labels needed to reach a target accuracy

# %%
needed = pd.concat([semisup.labels_needed(summary, t) for t in P["target_accuracies"]], ignore_index=True)
out.table(needed, "labels_needed")

best = {}
for rep, g in summary.groupby("representation"):
    per_budget = {}
    for l, gl in g.groupby("budget"):
        top = gl.sort_values(["mean_accuracy", "classifier"], ascending=[False, True]).iloc[0]
        per_budget[int(l)] = {"classifier": top.classifier, "mean_accuracy": top.mean_accuracy,
                              "ci95_low": top.ci95_low, "ci95_high": top.ci95_high}
    best[rep] = per_budget
slowest = tidy.groupby(["classifier", "representation", "budget"]).fit_seconds.mean().sort_values(ascending=False)
out.timing(sweep_seconds=sweep_seconds, n_jobs=P["n_jobs"], slowest_cells=[
    {"classifier": c, "representation": r, "budget": int(b), "mean_fit_seconds": s}
    for (c, r, b), s in slowest.head(5).items()])
out.record(
    best=best,
    summary=summary.drop(columns="mean_fit_seconds").to_dict(orient="records"),
    paired=paired.to_dict(orient="records"),
    labels_needed=needed.to_dict(orient="records"),
)
needed
