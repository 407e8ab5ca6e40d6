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
# representation and classifier (paired comparisons). The test set (or, when the autoencoders held training
# images out, those images) is only used for the final score.

# %% tags=["parameters"]
params = {}  # the resolved parameter set, injected by the runner (empty: the smoke profile)
output_dir = "build/notebook/q2_semisupervised"
inputs = {}  # upstream analysis -> its output folder, injected by the runner

# %%
import numpy as np

from vaereport.science import choice, semisup
from vaereport.figures import sweep_plots
from vaereport.data import load_dataset
from vaereport.notebook import start

P, out, inputs = start("q2_semisupervised", params, output_dir, inputs, tensorflow=False)
codes = dict(np.load(inputs["q2_representations"] / "arrays" / "encodings.npz"))
fashion = load_dataset("fashion-mnist")
assert np.array_equal(fashion.y_train, codes["y_train"]), "encodings do not match the dataset's label order"
arrays = {"pixels": (fashion.x_train.reshape(len(fashion.y_train), -1) / np.float32(255),
                     fashion.x_test.reshape(len(fashion.y_test), -1) / np.float32(255)),
          **{name: (codes[f"{name}_train"], codes[f"{name}_test"]) for name in ("vae", "dae", "dae_noisy")},
          "y": (codes["y_train"].astype(int), codes["y_test"].astype(int))}
# If the autoencoders held training images out (the study's cells), those are the evaluation images and the rest
# the labelled pool: then no score here comes from the test set.
held_out = codes.get("validation_index", np.array([], dtype=int))
if len(held_out):
    pool = np.setdiff1d(np.arange(len(fashion.y_train)), held_out)
    arrays = {name: (train[pool], train[held_out]) for name, (train, _) in arrays.items()}
y_train, y_test = arrays["y"]
evaluated_on = "held-out training images" if len(held_out) else "test images"
budgets = semisup.check_budgets(P["budgets"], len(y_train), len(np.unique(y_train)), P["n_seeds"])
P

# %%
# Every input with its encodings: (training features, evaluation features).
features = {"vae": {"codes": arrays["vae"]},
            "dae": {"clean": arrays["dae"], "corrupted": arrays["dae_noisy"]}}
if P["pixels"] or P["raw_pixel_mlp"]:
    features["pixels"] = {"pixels": arrays["pixels"]}
selected_inputs = ["vae", "dae", *(["pixels"] if P["pixels"] else [])]
data = {rep: encodings[semisup.ENCODINGS[rep][0]] for rep, encodings in features.items()}  # the sweep's encoding
data["labels"] = (y_train, y_test)
subsets = semisup.draw_subsets(y_train, budgets, P["n_seeds"], P["seed"], P["sampling"])
fits = semisup.plan_fits(subsets, ["vae", "dae"], P["classifiers"], P["raw_pixel_mlp"], P["svm_max_budget"])
out.record(budgets=budgets, n_fits=len(fits), code_dim=int(codes["vae_train"].shape[1]),
           n_train=len(y_train), n_test=len(y_test), evaluated_on=evaluated_on, class_names=list(fashion.class_names),
           subset_sizes={f"{l}/{r}": len(i) for (l, r), i in subsets.items()},
           fewest_classes_in_a_subset={str(l): min(len(np.unique(y_train[i])) for (b, _), i in subsets.items() if b == l)
                                       for l in budgets},
           classifier_settings={c: semisup.CLASSIFIER_SETTINGS[c] for c in P["classifiers"]},
           sweep_preprocessing=semisup.SWEEP_PREPROCESSING, active_threshold=semisup.ACTIVE_THRESHOLD)
len(fits)

# %% [markdown]
# ## The sweep: every classifier with its fixed setting (parallel over fits, largest first)

# %%
import time

import pandas as pd
from joblib import delayed

started = time.perf_counter()
results = semisup.run_sweep(fits, data, subsets, seed=P["seed"], n_jobs=P["n_jobs"])
sweep_seconds = time.perf_counter() - started

# %% [markdown]
# ## The label-only selection: encoding, preprocessing and classifier picked using only the l labels
#
# The same candidates for every input (classifiers, settings, preprocessings, cost cap); the chosen one is
# scored once on the test set, and so are the other encodings and preprocessings with its classifier.

# %%
rule = choice.SelectionRule(P["selection_folds"], P["cv_max_labels"], P["holdout_validation"], P["holdout_train_max"])
fixed = {(r["budget"], r["repetition"], r["representation"], r["classifier"]): r["accuracy"] for r in results}


def options_for(rep, budget):
    settings = choice.candidates(P["classifiers"], budget, P["svm_max_budget"])
    return choice.options(features[rep], P["preprocessing"], settings)


def reused(opts, rep, l, r):
    """Sweep fits that are also options of the selection (first encoding, sweep preprocessing, fixed setting)."""
    return {o: fixed[(l, r, rep, o.classifier)] for o in opts
            if o.encoding == semisup.ENCODINGS[rep][0] and o.preprocessing == semisup.SWEEP_PREPROCESSING
            and o.is_fixed_setting and (l, r, rep, o.classifier) in fixed}


choice_keys = sorted(((l, r, rep) for (l, r) in subsets for rep in selected_inputs), key=lambda k: (-k[0], k[2], k[1]))
tasks = []
for (l, r, rep) in choice_keys:
    opts = options_for(rep, l)
    # The ablation's extra refits on all l labels are skipped at the full training set: a single subset (no
    # interval) whose refits would cost a third of the analysis.
    tasks.append(delayed(choice.choose_and_score)(features[rep], y_train, y_test, subsets[(l, r)], opts, rule,
                                                  P["seed"] + r, reuse=reused(opts, rep, l, r), ablate=l < len(y_train)))
started = time.perf_counter()
chosen = [{"budget": l, "repetition": r, "representation": rep, **row}
          for (l, r, rep), row in zip(choice_keys, semisup.run_parallel(tasks, P["n_jobs"], "choice"))]
choice_seconds = time.perf_counter() - started
chosen_table = pd.DataFrame(chosen).drop(columns=["variants"]).sort_values(["budget", "repetition", "representation"])
out.table(chosen_table.drop(columns="seconds"), "chosen_classifiers")
ablation = pd.DataFrame([{"budget": c["budget"], "repetition": c["repetition"], "representation": c["representation"],
                          "classifier": c["classifier"], "setting": c["setting"], **v,
                          "chosen": (v["encoding"], v["preprocessing"]) == (c["encoding"], c["preprocessing"])}
                         for c in chosen for v in c["variants"]]).sort_values(["budget", "repetition", "representation",
                                                                               "encoding", "preprocessing"])
out.table(ablation, "preprocessing_ablation")
chosen_table.groupby(["representation", "budget"])[["encoding", "preprocessing", "classifier"]].agg(
    lambda c: c.value_counts().to_dict())

# %% [markdown]
# ## Label spreading: a classifier that uses the unlabelled codes too
#
# scikit-learn's `LabelSpreading` on a k-nearest-neighbour graph of all training codes, of which only the l in
# the subset carry their label; scored on the test codes through the same graph.

# %%
spread = []
if P["label_spreading"]:
    spread_keys = [(l, r, rep) for (l, r) in subsets if l < len(y_train) for rep in ("vae", "dae")]
    graphs = {rep: choice.KNNGraph(data[rep][0], data[rep][1], P["spreading_neighbors"]) for rep in ("vae", "dae")}
    test_ids = np.zeros((len(y_test), 1))
    tasks = [delayed(choice.label_spreading_score)(graphs[rep], len(y_train), y_train, test_ids, y_test,
                                                   subsets[(l, r)], P["spreading_alpha"])
             for (l, r, rep) in spread_keys]
    spread = [{"budget": l, "repetition": r, "representation": rep, "classifier": "label_spreading", "accuracy": acc,
               "fit_seconds": 0.0} for (l, r, rep), acc in zip(spread_keys, semisup.run_parallel(tasks, P["n_jobs"], "spreading"))]

# %% [markdown]
# ## Summaries: every result per (budget, input, classifier); "chosen" is the label-only selection

# %%
as_rows = [{"budget": c["budget"], "repetition": c["repetition"], "representation": c["representation"],
            "classifier": "chosen", "accuracy": c["accuracy"], "fit_seconds": c["seconds"]} for c in chosen]
everything = results + as_rows + spread
tidy = pd.DataFrame(everything)
out.table(tidy.drop(columns="fit_seconds"), "accuracy_by_cell")
out.table(tidy, "cells_with_fit_time", folder="timings")
summary = semisup.summarise(everything)
out.table(summary.drop(columns="mean_fit_seconds"), "accuracy_summary")
summary.head()

# %% [markdown]
# ## Learning curves and paired comparisons (over the shared labelled subsets)

# %%
out.figure(sweep_plots.learning_curves(summary), "learning_curves")
out.figure(sweep_plots.learning_curves_by_classifier(summary, P["classifiers"]), "learning_curves_by_classifier")
pairs = {"VAE − DAE codes": (("vae", "chosen"), ("dae", "chosen"))}
if P["pixels"]:
    pairs["VAE codes − pixels"] = (("vae", "chosen"), ("pixels", "chosen"))
    pairs["DAE codes − pixels"] = (("dae", "chosen"), ("pixels", "chosen"))
if P["raw_pixel_mlp"] and "mlp" in P["classifiers"]:  # the assignment's fixed MLP on each input
    pairs["VAE codes − pixels, MLP"] = (("vae", "mlp"), ("pixels", "mlp"))
    pairs["DAE codes − pixels, MLP"] = (("dae", "mlp"), ("pixels", "mlp"))
if spread:
    pairs["label spreading − chosen, VAE codes"] = (("vae", "label_spreading"), ("vae", "chosen"))
    pairs["label spreading − chosen, DAE codes"] = (("dae", "label_spreading"), ("dae", "chosen"))
comparisons = {label: semisup.paired_differences(everything, a, b) for label, (a, b) in pairs.items()}
paired = pd.concat(comparisons.values(), keys=comparisons.keys(), names=["comparison"]).reset_index(level=0)
out.table(paired, "paired_differences")
out.figure(sweep_plots.paired_differences(comparisons), "paired_differences")
out.figure(sweep_plots.preprocessing_ablation(ablation), "preprocessing_ablation")
paired

# %% [markdown]
# ## Labels needed to reach a target accuracy (label-only selection), and the best classifier by test accuracy
#
# The best-by-test figure picks, after the fact, the classifier with the highest mean test accuracy; no one
# with only l labels could make that choice, so it is reported only to show how optimistic it is.

# %%
selected = summary[summary.classifier == "chosen"]
needed = pd.concat([semisup.labels_needed(selected, t) for t in P["target_accuracies"]], ignore_index=True)
out.table(needed, "labels_needed")

fixed_summary = summary[summary.classifier.isin(P["classifiers"])]
best_by_test = {}
for (rep, l), g in fixed_summary[fixed_summary.representation != "pixels"].groupby(["representation", "budget"]):
    top = g.sort_values(["mean_accuracy", "classifier"], ascending=[False, True]).iloc[0]
    best_by_test.setdefault(rep, {})[int(l)] = {"classifier": top.classifier, "mean_accuracy": top.mean_accuracy}
slowest = tidy.groupby(["classifier", "representation", "budget"]).fit_seconds.mean().sort_values(ascending=False)
out.timing(sweep_seconds=sweep_seconds, choice_seconds=choice_seconds, n_jobs=P["n_jobs"], slowest_cells=[
    {"classifier": c, "representation": r, "budget": int(b), "mean_fit_seconds": s}
    for (c, r, b), s in slowest.head(5).items()])
out.record(
    best_by_test=best_by_test,
    selection={"rule": rule.describe(), "grid": choice.GRID, "preprocessing": P["preprocessing"],
               "preprocessing_meaning": {k: semisup.PREPROCESSING[k].format(threshold=semisup.ACTIVE_THRESHOLD)
                                         for k in P["preprocessing"]},
               "svm_max_budget": P["svm_max_budget"], "inputs": selected_inputs,
               "encodings": {rep: list(features[rep]) for rep in selected_inputs},
               # the candidates per input and budget, written out to show they are the same for every input
               "candidates": {rep: {str(l): sorted({o.label for o in options_for(rep, l)})
                                    for l in budgets} for rep in selected_inputs}},
    chosen_counts=semisup.choice_counts(chosen),
    ablation=semisup.ablation_summary(ablation),
    label_spreading={"neighbors": P["spreading_neighbors"], "alpha": P["spreading_alpha"]} if spread else None,
    summary=summary.drop(columns="mean_fit_seconds").to_dict(orient="records"),
    paired=paired.to_dict(orient="records"),
    labels_needed=needed.to_dict(orient="records"),
)
needed
