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
# # Q2.3 — semi-supervised learning with VAE codes, DAE codes, PCA of the pixels and raw pixels
#
# Reads the encodings saved by `q2_representations` (never retrains the autoencoders) and fits PCA of the pixels
# at the codes' size on the same training images, without labels. For each sampling protocol and label budget l,
# labelled subsets of the training set are drawn once and shared by every input and method (paired
# comparisons). Three method families: every scikit-learn classifier with a fixed setting, the label-only
# selection among them, and graph-based learning on a k-NN graph of all images, which lets the unlabelled
# images into the classifier itself. The test set (or, when the autoencoders held training images out, those
# images) only scores.

# %% tags=["parameters"]
params = {}  # injected by the runner (all of them); by hand or with papermill any subset (empty: smoke)
output_dir = "build/notebook/q2_semisupervised"
inputs = {}  # upstream analysis -> its output folder, injected by the runner

# %%
import numpy as np

from vaereport.science import choice, graph_ssl, semisup
from vaereport.figures import sweep_plots
from vaereport.data import load_dataset
from vaereport.notebook import start

P, out, inputs = start("q2_semisupervised", params, output_dir, inputs, tensorflow=params.get("finetune", False))
codes = dict(np.load(inputs["q2_representations"] / "arrays" / "encodings.npz"))
fashion = load_dataset("fashion-mnist")
assert np.array_equal(fashion.y_train, codes["y_train"]), "encodings do not match the dataset's label order"
arrays = {"pixels": (fashion.x_train.reshape(len(fashion.y_train), -1) / np.float32(255),
                     fashion.x_test.reshape(len(fashion.y_test), -1) / np.float32(255)),
          **{name: (codes[f"{name}_train"], codes[f"{name}_test"]) for name in ("vae", "dae")},
          "y": (codes["y_train"].astype(int), codes["y_test"].astype(int))}
# If the autoencoders held training images out (the study's cells), those are the evaluation images and the rest
# the labelled pool: then no score here comes from the test set.
held_out = codes.get("validation_index", np.array([], dtype=int))
if len(held_out):
    pool = np.setdiff1d(np.arange(len(fashion.y_train)), held_out)
    arrays = {name: (train[pool], train[held_out]) for name, (train, _) in arrays.items()}
y_train, y_test = arrays["y"]
evaluated_on = "held-out training images" if len(held_out) else "test images"
code_dim = int(codes["vae_train"].shape[1])
if "pca" in P["inputs"]:  # fitted on the training pool, without labels (the autoencoders saw it, or a subset of it)
    arrays["pca"] = semisup.pca_features(*arrays["pixels"], code_dim, P["seed"])
budgets = semisup.check_budgets(P["budgets"], len(y_train), len(np.unique(y_train)), P["n_seeds"])
P

# %%
# Every input with its one encoding: (training features, evaluation features).
features = {rep: {semisup.ENCODINGS[rep][0]: arrays[rep]} for rep in P["inputs"]}
data = {rep: arrays[rep] for rep in P["inputs"]} | {"labels": (y_train, y_test)}
counts = semisup.subset_counts(budgets, len(y_train), P["n_seeds"], P["n_seeds_small"], P["small_budget_max"])
subsets = {protocol: semisup.draw_subsets(
    y_train, {l: n for l, n in counts.items() if protocol == "uniform" or (l <= P["balanced_max_budget"] and l < len(y_train))},
    P["seed"], protocol) for protocol in P["protocols"]}
out.record(budgets=budgets, code_dim=code_dim, n_train=len(y_train), n_test=len(y_test), evaluated_on=evaluated_on,
           class_names=list(fashion.class_names), inputs=P["inputs"], protocols=P["protocols"],
           subsets={protocol: {str(l): sum(b == l for b, _ in s) for l in budgets if any(b == l for b, _ in s)}
                    for protocol, s in subsets.items()},
           fewest_classes_in_a_subset={protocol: {str(l): min(len(np.unique(y_train[i])) for (b, _), i in s.items() if b == l)
                                                  for l in budgets if any(b == l for b, _ in s)}
                                       for protocol, s in subsets.items()},
           classifier_settings={c: semisup.CLASSIFIER_SETTINGS[c] for c in P["classifiers"]},
           sweep_preprocessing=semisup.SWEEP_PREPROCESSING, active_threshold=semisup.ACTIVE_THRESHOLD)
counts

# %% [markdown]
# ## The sweep: every classifier with its fixed setting on every input (parallel over fits, largest first)

# %%
import time

import pandas as pd
from joblib import delayed

started = time.perf_counter()
results = []
for protocol, subs in subsets.items():
    fits = semisup.plan_fits(subs, P["inputs"], P["classifiers"], P["svm_max_budget"])
    results += [{"protocol": protocol, **row} for row in semisup.run_sweep(fits, data, subs, seed=P["seed"],
                                                                           n_jobs=P["n_jobs"])]
sweep_seconds = time.perf_counter() - started

# %% [markdown]
# ## The label-only selection: preprocessing and classifier picked using only the l labels
#
# The same candidates for every input (classifiers, settings, preprocessings, cost cap); the chosen one is
# scored once on the test set, and so are the other preprocessings with its classifier.

# %%
rule = choice.SelectionRule(P["selection_folds"], P["cv_max_labels"], P["holdout_validation"], P["holdout_train_max"])
fixed = {(r["protocol"], r["budget"], r["repetition"], r["representation"], r["classifier"]): r["accuracy"]
         for r in results}


def options_for(rep, budget):
    settings = choice.candidates(P["classifiers"], budget, P["svm_max_budget"])
    return choice.options(features[rep], P["preprocessing"], settings)


def reused(opts, key):
    """Sweep fits that are also options of the selection (sweep preprocessing, fixed setting)."""
    return {o: fixed[(*key, o.classifier)] for o in opts
            if o.preprocessing == semisup.SWEEP_PREPROCESSING and o.is_fixed_setting and (*key, o.classifier) in fixed}


choice_keys = sorted(((protocol, l, r, rep) for protocol, subs in subsets.items() for (l, r) in subs
                      for rep in P["inputs"]), key=lambda k: (-k[1], k[0], k[3], k[2]))
tasks = []
for (protocol, l, r, rep) in choice_keys:
    opts = options_for(rep, l)
    # The ablation's extra refits on all l labels are skipped at the full training set: a single subset (no
    # interval) whose refits would cost a third of the analysis.
    tasks.append(delayed(choice.choose_and_score)(features[rep], y_train, y_test, subsets[protocol][(l, r)], opts, rule,
                                                  P["seed"] + r, reuse=reused(opts, (protocol, l, r, rep)),
                                                  ablate=l < len(y_train)))
started = time.perf_counter()
chosen = [{"protocol": protocol, "budget": l, "repetition": r, "representation": rep, **row}
          for (protocol, l, r, rep), row in zip(choice_keys, semisup.run_parallel(tasks, P["n_jobs"], "choice"))]
choice_seconds = time.perf_counter() - started
order = ["protocol", "budget", "repetition", "representation"]
chosen_table = pd.DataFrame(chosen).drop(columns=["variants"]).sort_values(order)
out.table(chosen_table.drop(columns="seconds"), "chosen_classifiers")
ablation = pd.DataFrame([{**{k: c[k] for k in order}, "classifier": c["classifier"], "setting": c["setting"], **v,
                          "chosen": v["preprocessing"] == c["preprocessing"]}
                         for c in chosen for v in c["variants"]]).sort_values([*order, "preprocessing"])
out.table(ablation, "preprocessing_ablation")
chosen_table.groupby(["protocol", "representation", "budget"])[["preprocessing", "classifier"]].agg(
    lambda c: c.value_counts().to_dict())

# %% [markdown]
# ## Graph-based learning: the unlabelled images in the classifier itself
#
# One k-NN graph per input over every training and evaluation image; Poisson and Laplace learning (the
# `graphlearning` package) propagate the l labels over it, with and without rebalancing to the class priors of
# the l labels. No evaluation label enters the graph or the solve.

# %%
graph_rows, graph_seconds, knn_seconds = [], 0.0, 0.0
methods = graph_ssl.methods_for(P["graph_methods"], P["graph_priors"])
if methods:
    started = time.perf_counter()
    graphs = {rep: graph_ssl.knn_graph(*data[rep], P["graph_neighbors"]) for rep in P["inputs"]}
    knn_seconds = time.perf_counter() - started
    graph_keys = [(protocol, l, rep) for protocol, subs in subsets.items() for l in sorted({b for b, _ in subs})
                  if l <= P["graph_max_budget"] and l < len(y_train) for rep in P["inputs"]]
    tasks = [delayed(graph_ssl.score_subsets)(graphs[rep], len(y_train), y_train, y_test,
                                              {r: i for (b, r), i in subsets[protocol].items() if b == l}, methods)
             for (protocol, l, rep) in graph_keys]
    started = time.perf_counter()
    for (protocol, l, rep), per_subset in zip(graph_keys, semisup.run_parallel(tasks, P["n_jobs"], "graph")):
        graph_rows += [{"protocol": protocol, "budget": l, "repetition": r, "representation": rep, "classifier": m,
                        "accuracy": acc, "fit_seconds": seconds}
                       for r, scores in per_subset.items() for m, (acc, seconds) in scores.items()]
    graph_seconds = time.perf_counter() - started
len(graph_rows)

# %% [markdown]
# ## Pretrain, then fine-tune: each autoencoder's encoder with a softmax head, trained on the l labels
#
# Against the same network from random weights on the same labels (the MLP on raw pixels), for the same number of
# Adam steps.

# %%
import json

finetune_rows, finetune_seconds = [], 0.0
if P["finetune"]:
    from vaereport.science import finetune

    upstream = inputs["q2_representations"]
    shape = json.loads((upstream / "metadata.json").read_text())["params"]
    pretrained = finetune.encoder_weights(upstream / "models") | {"pixels": None}  # pixels: random weights
    network = finetune.classifier(arrays["pixels"][0].shape[1], shape["hidden"], code_dim, len(fashion.class_names),
                                  shape["architecture"], P["seed"])
    tuner = finetune.FineTuner(network, P["finetune_steps"], batch=100, learning_rate=P["finetune_learning_rate"])
    started = time.perf_counter()
    for protocol, subs in subsets.items():
        for l in sorted({b for b, _ in subs}):
            if l > P["finetune_max_budget"] or l == len(y_train):
                continue
            for init, weights in pretrained.items():
                (x_pool, x_eval), labelled = arrays["pixels"], {r: i for (b, r), i in subs.items() if b == l}
                scores = tuner.score(weights, x_pool, y_train, x_eval, y_test, labelled, P["seed"])
                finetune_rows += [{"protocol": protocol, "budget": l, "repetition": r, "representation": init,
                                   "classifier": "finetune", "accuracy": acc, "fit_seconds": seconds}
                                  for r, (acc, seconds) in scores.items()]
    finetune_seconds = time.perf_counter() - started
len(finetune_rows)

# %% [markdown]
# ## Summaries: every result per (protocol, budget, input, method); "chosen" is the label-only selection

# %%
as_rows = [{**{k: c[k] for k in order}, "classifier": "chosen", "accuracy": c["accuracy"], "fit_seconds": c["seconds"]}
           for c in chosen]
everything = results + as_rows + graph_rows + finetune_rows
tidy = pd.DataFrame(everything).sort_values([*order, "classifier"])
out.table(tidy.drop(columns="fit_seconds"), "accuracy_by_cell")
out.table(tidy, "cells_with_fit_time", folder="timings")
summary = semisup.summarise(everything)
out.table(summary.drop(columns="mean_fit_seconds"), "accuracy_summary")
summary.head()

# %% [markdown]
# ## Paired comparisons over the shared labelled subsets
#
# Against the label-only selection on raw pixels (the yardstick: what the l labels alone make of the pixels,
# chosen without the test set), every method that uses the unlabelled images: any method on a code or on PCA
# (learnt from them), graph learning on any input, fine-tuning. Their intervals hold simultaneously over all of
# these comparisons. Between inputs, like for like: the label-only selection, each graph method, fine-tuning.

# %%
tuned = ["finetune"] if P["finetune"] else []
pairs = semisup.comparison_pairs(P["inputs"], methods, tuned)
comparisons = {label: semisup.paired_differences(everything, a, b) for label, (a, b) in pairs.items()}
paired = (semisup.simultaneous_versus_yardstick(
    pd.concat(comparisons.values(), keys=comparisons.keys(), names=["comparison"]).reset_index(level=0))
          if comparisons else pd.DataFrame(columns=["comparison", "a", "b", "protocol", "budget", "mean_difference"]))
out.table(paired, "paired_differences")
paired.head()

# %% [markdown]
# ## Figures: each method family with every input, and the gains over the best pixel classifier

# %%
headline = P["protocols"][0]
out.figure(sweep_plots.method_families(summary[summary.protocol == headline], P["classifiers"], methods, tuned),
           "learning_curves")
if len(P["protocols"]) > 1 and (summary.protocol == P["protocols"][1]).any():
    other = P["protocols"][1]
    out.figure(sweep_plots.method_families(summary[summary.protocol == other], P["classifiers"], methods, tuned),
               f"learning_curves_{other}")
for protocol in P["protocols"]:
    suffix = "" if protocol == headline else f"_{protocol}"
    if ((paired.b == semisup.YARDSTICK_NAME) & (paired.protocol == protocol)).any():
        out.figure(sweep_plots.gains_over_pixels(paired, protocol), f"gains_over_pixels{suffix}")
    if "pca" in P["inputs"] and (paired.protocol == protocol).any():
        out.figure(sweep_plots.input_differences(paired, protocol), f"input_differences{suffix}")
out.figure(sweep_plots.preprocessing_ablation(ablation[ablation.protocol == headline]), "preprocessing_ablation")

# %% [markdown]
# ## Labels needed to reach a target accuracy (label-only selection)

# %%
selected = summary[(summary.classifier == "chosen") & (summary.protocol == headline)]
needed = pd.concat([semisup.labels_needed(selected, t) for t in P["target_accuracies"]], ignore_index=True)
out.table(needed, "labels_needed")
slowest = tidy.groupby(["classifier", "representation", "budget"]).fit_seconds.mean().sort_values(ascending=False)
out.timing(sweep_seconds=sweep_seconds, choice_seconds=choice_seconds, knn_graph_seconds=knn_seconds,
           graph_seconds=graph_seconds, finetune_seconds=finetune_seconds, n_jobs=P["n_jobs"], slowest_cells=[
               {"classifier": c, "representation": r, "budget": int(b), "mean_fit_seconds": s}
               for (c, r, b), s in slowest.head(5).items()])
out.record(
    selection={"rule": rule.describe(), "grid": choice.GRID, "preprocessing": P["preprocessing"],
               "preprocessing_meaning": {k: semisup.PREPROCESSING[k].format(threshold=semisup.ACTIVE_THRESHOLD)
                                         for k in P["preprocessing"]},
               "svm_max_budget": P["svm_max_budget"], "inputs": P["inputs"],
               "encodings": {rep: list(features[rep]) for rep in P["inputs"]},
               # the candidates per input and budget, written out to show they are the same for every input
               "candidates": {rep: {str(l): sorted({o.label for o in options_for(rep, l)})
                                    for l in budgets} for rep in P["inputs"]}},
    graph={"methods": methods, "neighbors": P["graph_neighbors"], "max_budget": P["graph_max_budget"]} if methods else None,
    finetune={"steps": P["finetune_steps"], "batch": 100, "learning_rate": P["finetune_learning_rate"],
              "max_budget": P["finetune_max_budget"], "hidden": shape["hidden"]} if P["finetune"] else None,
    yardstick=semisup.YARDSTICK_NAME,
    chosen_counts=semisup.choice_counts([c for c in chosen if c["protocol"] == headline]),
    ablation=semisup.ablation_summary(ablation[ablation.protocol == headline]),
    summary=summary.drop(columns="mean_fit_seconds").to_dict(orient="records"),
    paired=paired.to_dict(orient="records"),
    labels_needed=needed.to_dict(orient="records"),
)
needed
