"""The semi-supervised sweep: labelled subsets, classifier pipelines, and a parallel run over cells.

Codes are float arrays (n, k); pixels are float arrays (n, 784) in [0, 1]; labels are ints (n,).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_selection import VarianceThreshold
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from ..errors import ParameterError

CLASSIFIER_LABELS = {"logreg": "logistic regression", "svm_rbf": "RBF SVM", "random_forest": "random forest",
                     "knn": "k-NN", "mlp": "MLP"}
# The inputs, in the order of every table and figure: two codes learnt from the unlabelled images, PCA of the
# pixels at the codes' size (also fitted on the unlabelled images: the yardstick for "any reduction"), pixels.
REPRESENTATION_LABELS = {"vae": "VAE codes", "dae": "DAE codes", "pca": "PCA of pixels", "pixels": "raw pixels"}
# One encoding per input (the DAE's codes of the clean images), so no input has more options than another.
ENCODINGS = {"vae": ("codes",), "dae": ("clean",), "pca": ("pca",), "pixels": ("pixels",)}
ENCODING_LABELS = {"codes": "posterior means", "clean": "clean inputs", "pca": "principal components",
                   "pixels": "pixels"}
# How labelled subsets are drawn: uniformly at random (the assignment's "randomly select l instances") or l / C
# of each of the C classes (the semi-supervised literature's protocol).
PROTOCOLS = {"uniform": "uniform random draws", "balanced": "class-balanced draws"}
# Preprocessing steps of a classifier pipeline; the label-only selection chooses among them for every input.
PREPROCESSING = {
    "standardise": "every feature scaled to zero mean and unit variance",
    "none": "features as they are",
    "active": "features whose variance on the labelled images is at most {threshold:g} dropped, the rest standardised",
}
# The fixed-setting sweep uses one preprocessing for every input: near-constant features (a VAE's inactive
# code dimensions, a blank border pixel) carry no signal, and standardising them would only amplify noise.
SWEEP_PREPROCESSING = "active"
ACTIVE_THRESHOLD = 0.01  # the active-unit criterion of Burda et al. (2016), applied to the labelled features
# From this many labels the MLP stops early on a tenth of them (below, a tenth is too few to stop on); the
# figures mark the budget where the protocol changes.
MLP_EARLY_STOPPING_FROM = 1000
# The fixed settings of every classifier (the sweep uses these; `choice.GRID` varies a few of them).
CLASSIFIER_SETTINGS = {
    "logreg": "C = 1 (L2), at most 100 L-BFGS iterations (scikit-learn's default, a cost cap for every input)",
    "svm_rbf": "C = 10, gamma = 1 / (features x variance)",
    "random_forest": "100 trees, unlimited depth",
    "knn": "5 nearest neighbours, distance-weighted",
    "mlp": f"one hidden layer of 256 ReLU units, L2 penalty 0.001, Adam, at most 300 epochs; from "
           f"{MLP_EARLY_STOPPING_FROM} labels early stopping on a tenth of the labelled set",
}


# ---------------------------------------------------------------- label budgets and subsets
def check_budgets(budgets: list[int], n_train: int, n_classes: int, n_seeds: int) -> list[int]:
    """Sorted unique budgets; raises before any work if one cannot be drawn. (A budget of at least the
    number of classes does not guarantee every class a label under uniform sampling; the analysis records
    how many classes each subset holds.)"""
    if n_seeds < 1:
        raise ParameterError(f"n_seeds = {n_seeds}: at least one labelled subset per budget is needed.")
    bad_high = [b for b in budgets if b > n_train]
    bad_low = [b for b in budgets if b < n_classes]
    if bad_high:
        raise ParameterError(f"label budget(s) {bad_high} exceed the {n_train} training images; "
                             f"use budgets up to {n_train}.")
    if bad_low:
        raise ParameterError(f"label budget(s) {bad_low} are smaller than the {n_classes} classes, so some "
                             f"classes would have no label at all; use budgets >= {n_classes}.")
    return sorted(set(budgets))


def subset_counts(budgets: list[int], n_train: int, n_seeds: int, n_seeds_small: int = 0,
                  small_budget_max: int = 0) -> dict[int, int]:
    """{l: how many labelled subsets}: `n_seeds_small` up to `small_budget_max` labels (where subsets differ
    most), `n_seeds` above, one with all `n_train` labels."""
    return {l: 1 if l == n_train else max(n_seeds_small, n_seeds) if l <= small_budget_max else n_seeds
            for l in budgets}


def draw_subsets(y: np.ndarray, counts: dict[int, int], seed: int,
                 protocol: str = "uniform") -> dict[tuple[int, int], np.ndarray]:
    """{(l, repetition): sorted indices into y} for `counts` {l: repetitions}; all of y is a single 'subset'.

    The same dictionary is used for every input and method, so comparisons are paired. Uniform draws keep
    their seed stream whatever the counts (repetition r of budget l is the same subset in every run)."""
    subsets = {}
    for l, reps in counts.items():
        for r in range(reps):
            if l == len(y):
                idx = np.arange(len(y))
            elif protocol == "uniform":
                idx = np.random.default_rng([seed, l, r]).choice(len(y), size=l, replace=False)
            elif protocol == "balanced":
                idx = _balanced(y, l, np.random.default_rng([seed, l, r, 1]))
            else:
                raise ParameterError(f"unknown protocol '{protocol}'; choose from {', '.join(PROTOCOLS)}")
            subsets[(l, r)] = np.sort(idx)
    return subsets


def _balanced(y: np.ndarray, l: int, rng: np.random.Generator) -> np.ndarray:
    """l // C images of each of the C classes, one more for l mod C classes drawn at random."""
    classes = np.unique(y)
    quota = np.full(len(classes), l // len(classes))
    quota[rng.choice(len(classes), size=l % len(classes), replace=False)] += 1
    return np.concatenate([rng.choice(np.flatnonzero(y == c), size=q, replace=False) for c, q in zip(classes, quota)])


def pca_features(x_train: np.ndarray, x_eval: np.ndarray, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """PCA of the pixels with `dim` components, fitted on the training images alone and without labels (as the
    autoencoders were), applied to both sets: (n_train, dim), (n_eval, dim) float32."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=dim, svd_solver="randomized", random_state=seed).fit(x_train)
    return pca.transform(x_train).astype(np.float32), pca.transform(x_eval).astype(np.float32)


# ---------------------------------------------------------------- classifiers
def preprocessing_steps(preprocessing: str) -> list:
    """The pipeline steps of a `PREPROCESSING` name (fitted on the labelled images only, like the classifier)."""
    if preprocessing == "standardise":
        return [("scale", StandardScaler())]
    if preprocessing == "none":
        return []
    if preprocessing == "active":
        return [("active", VarianceThreshold(ACTIVE_THRESHOLD)), ("scale", StandardScaler())]
    raise ParameterError(f"unknown preprocessing '{preprocessing}'; choose from {', '.join(PREPROCESSING)}")


def make_classifier(name: str, n_labelled: int, seed: int, preprocessing: str = SWEEP_PREPROCESSING,
                    budget: int | None = None, **params) -> Pipeline:
    """A scikit-learn pipeline: the preprocessing steps, then the classifier with the fixed settings of
    `CLASSIFIER_SETTINGS`; `params` override some of them (e.g. C=0.1), as `choice.GRID` does. `n_labelled` is the
    number of images it will be fitted on; `budget` (default: the same) the label budget, which decides the MLP's
    early stopping, so that a candidate scored on part of the labels is the model refitted on all of them."""
    if name == "logreg":
        clf = LogisticRegression(C=1.0, max_iter=100, random_state=seed)
    elif name == "svm_rbf":
        clf = SVC(C=10.0, gamma="scale", cache_size=1000, random_state=seed)
    elif name == "random_forest":
        clf = RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1)
    elif name == "knn":
        clf = KNeighborsClassifier(n_neighbors=min(5, n_labelled), weights="distance")
    elif name == "mlp":
        clf = MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, max_iter=300, random_state=seed,
                            early_stopping=(budget or n_labelled) >= MLP_EARLY_STOPPING_FROM, n_iter_no_change=10)
    else:
        raise ParameterError(f"unknown classifier '{name}'; choose from {', '.join(CLASSIFIER_LABELS)}")
    if "n_neighbors" in params:
        params["n_neighbors"] = min(params["n_neighbors"], n_labelled)
    clf.set_params(**params)
    return Pipeline(preprocessing_steps(preprocessing) + [("classifier", clf)])


@dataclass(frozen=True)
class Fit:
    """One fixed-setting fit of the sweep: a budget, a subset repetition, a representation and a classifier
    (on the representation's first encoding, with `SWEEP_PREPROCESSING`)."""

    budget: int
    repetition: int
    representation: str
    classifier: str


def allowed(classifier: str, budget: int, svm_max_budget: int) -> bool:
    """The cost cap, the same for every input: the RBF SVM (whose fit grows ~ l^2) only up to svm_max_budget."""
    return classifier != "svm_rbf" or budget <= svm_max_budget


def plan_fits(subsets, representations: list[str], classifiers: list[str], svm_max_budget: int) -> list[Fit]:
    """Every classifier on every input and subset, under the same cost cap."""
    fits = [Fit(l, r, rep, clf) for (l, r) in subsets for rep in representations for clf in classifiers
            if allowed(clf, l, svm_max_budget)]
    # Largest first, so the slow fits do not end up alone at the tail of the parallel run.
    return sorted(fits, key=lambda f: (-f.budget, f.representation, f.classifier, f.repetition))


def fit_and_score(fit: Fit, x_train, y_train, x_test, y_test, indices, seed: int) -> dict:
    """Fit on the labelled subset only; score on the test set (used for nothing else)."""
    model = make_classifier(fit.classifier, len(indices), seed=seed + fit.repetition)
    started = time.perf_counter()
    model.fit(x_train[indices], y_train[indices])
    fit_seconds = time.perf_counter() - started
    accuracy = float(np.mean(model.predict(x_test) == y_test))
    return {"budget": fit.budget, "repetition": fit.repetition, "representation": fit.representation,
            "classifier": fit.classifier, "accuracy": accuracy, "fit_seconds": fit_seconds}


def _on_one_blas_thread(func, args, kwargs):
    """Run one task with its BLAS on one thread: a task then computes the same bits in the kernel (one job) as
    in a worker process (several jobs, where joblib would give each worker cores / jobs BLAS threads)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return func(*args, **kwargs)


def run_parallel(tasks: list, n_jobs: int, label: str, stream=None) -> list:
    """Run `tasks` (joblib `delayed` calls) in worker processes, printing 'k/n done' with an ETA about
    twenty times; returns the results in the order of `tasks`. At most `thread_budget()` processes run;
    each task is seeded on its own and runs its BLAS on one thread, so the results do not depend on how many."""
    from joblib import Parallel

    from .determinism import thread_budget

    n_jobs = min(thread_budget() if n_jobs == -1 else n_jobs, thread_budget())
    stream = stream or sys.stdout
    started = time.perf_counter()
    results = []
    step = max(1, len(tasks) // 20)
    tasks = [(_on_one_blas_thread, (func, args, kwargs), {}) for func, args, kwargs in tasks]
    for i, row in enumerate(Parallel(n_jobs=n_jobs, return_as="generator", batch_size=1)(tasks), 1):
        results.append(row)
        if i % step == 0 or i == len(tasks):
            elapsed = time.perf_counter() - started
            eta = elapsed / i * (len(tasks) - i)
            print(f"[{label}] {i}/{len(tasks)} done, {elapsed:.0f} s elapsed, ETA {eta:.0f} s", file=stream, flush=True)
    return results


def run_sweep(fits: list[Fit], data: dict, subsets, seed: int, n_jobs: int, stream=None) -> list[dict]:
    """Fit and score every planned fit in parallel (largest first, as planned).

    `data[representation]` is (x_train, x_test) of its first encoding; labels are in data['labels'].
    """
    from joblib import delayed

    y_train, y_test = data["labels"]
    tasks = [delayed(fit_and_score)(f, data[f.representation][0], y_train, data[f.representation][1], y_test,
                                    subsets[(f.budget, f.repetition)], seed) for f in fits]
    results = run_parallel(tasks, n_jobs, "sweep", stream)
    return sorted(results, key=lambda r: (r["budget"], r["repetition"], r["representation"], r["classifier"]))


# ---------------------------------------------------------------- summaries
def t_interval(values: np.ndarray) -> tuple[float, float]:
    """Mean and the half-width of its 95 % Student-t interval (NaN for a single value: no interval)."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float(values.mean()), float("nan")
    return float(values.mean()), float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))


def _with_protocol(results):
    """The rows as a DataFrame with a `protocol` column ('uniform' where rows carry none)."""
    import pandas as pd

    frame = pd.DataFrame(results)
    frame["protocol"] = frame["protocol"].fillna("uniform") if "protocol" in frame else "uniform"
    return frame


def summarise(results):
    """Mean, std and 95 % interval of accuracy per (protocol, budget, representation, classifier)."""
    import pandas as pd

    frame = _with_protocol(results)
    rows = []
    for (protocol, l, rep, clf), g in frame.groupby(["protocol", "budget", "representation", "classifier"], sort=True):
        mean, half = t_interval(g["accuracy"].to_numpy())
        rows.append({"protocol": protocol, "budget": l, "representation": rep, "classifier": clf, "n": len(g),
                     "mean_accuracy": mean,
                     "std_accuracy": float(g["accuracy"].std(ddof=1)) if len(g) > 1 else float("nan"),
                     "ci95_low": mean - half, "ci95_high": mean + half,
                     "mean_fit_seconds": float(g["fit_seconds"].mean())})
    return pd.DataFrame(rows)


def paired_differences(results, a: tuple[str, str], b: tuple[str, str], family_level: float = 0.95):
    """Per budget: mean of accuracy(a) - accuracy(b) over the shared subsets, with Student-t intervals that hold
    *simultaneously* over the budgets of this comparison (Bonferroni: each at level 1 - (1 - family_level) / m
    for the m budgets that have more than one subset), so a verdict at any budget keeps the family-wise error
    rate; the per-budget 95 % interval is kept beside it. a and b are (representation, classifier) pairs; each
    sampling protocol is its own family (rows without a protocol are 'uniform')."""
    import pandas as pd

    frame = _with_protocol(results)
    tables = [_paired_in_protocol(g, a, b, family_level).assign(protocol=protocol)
              for protocol, g in frame.groupby("protocol", sort=True)]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def _paired_in_protocol(frame, a, b, family_level):
    import pandas as pd
    from scipy import stats

    pick = lambda rc: frame[(frame.representation == rc[0]) & (frame.classifier == rc[1])].set_index(["budget", "repetition"]).accuracy
    diff = (pick(a) - pick(b)).dropna()
    groups = [(l, d.to_numpy()) for l, d in diff.groupby(level="budget")]
    m = sum(len(d) > 1 for _, d in groups)
    rows = []
    for l, d in groups:
        mean, half = t_interval(d)
        if len(d) > 1:
            sd_mean = d.std(ddof=1) / np.sqrt(len(d))
            sim = float(stats.t.ppf(1 - (1 - family_level) / (2 * m), len(d) - 1) * sd_mean)
        else:
            sim = float("nan")
        rows.append({"budget": l, "a": f"{a[0]}/{a[1]}", "b": f"{b[0]}/{b[1]}", "n": len(d), "mean_difference": mean,
                     "ci95_low": mean - sim, "ci95_high": mean + sim, "family_size": m,
                     "pointwise_low": mean - half, "pointwise_high": mean + half,
                     "sd_difference": float(d.std(ddof=1)) if len(d) > 1 else float("nan")})
    return pd.DataFrame(rows)


def choice_counts(chosen: list[dict]) -> dict:
    """How often the label-only selection picked each encoding, preprocessing and classifier:
    {representation: {budget: {"encoding": {name: count}, "preprocessing": {...}, "classifier": {...}}}}."""
    counts: dict = {}
    for c in chosen:
        per = counts.setdefault(c["representation"], {}).setdefault(int(c["budget"]), {})
        for key in ("encoding", "preprocessing", "classifier"):
            per.setdefault(key, {})
            per[key][c[key]] = per[key].get(c[key], 0) + 1
    return counts


def ablation_summary(ablation) -> list[dict]:
    """Per (representation, budget, encoding, preprocessing): the mean test accuracy over the labelled subsets
    with the classifier and setting the selection chose on each subset, the mean selection score, how often that
    variant was the one chosen, and the mean paired difference to the chosen variant."""
    rows = []
    chosen = ablation[ablation.chosen].set_index(["budget", "repetition", "representation"]).accuracy
    for (rep, l, enc, prep), g in ablation.groupby(["representation", "budget", "encoding", "preprocessing"], sort=True):
        against = g.set_index(["budget", "repetition", "representation"]).accuracy - chosen.reindex(
            g.set_index(["budget", "repetition", "representation"]).index)
        rows.append({"representation": rep, "budget": int(l), "encoding": enc, "preprocessing": prep, "n": len(g),
                     "mean_accuracy": float(g.accuracy.mean()), "mean_selection_accuracy": float(g.selection_accuracy.mean()),
                     "times_chosen": int(g.chosen.sum()), "mean_minus_chosen": float(against.mean())})
    return rows


def labels_needed(summary, target: float):
    """Smallest budget at which each (representation, classifier) reaches `target` mean accuracy
    (None if it never does), linearly interpolated in log(l) between the budgets that bracket it.
    `at_most` is True when the target is met already at the smallest budget: then `labels_needed` is
    that budget and means "at most this many"."""
    rows = []
    for (rep, clf), g in summary.groupby(["representation", "classifier"], sort=True):
        g = g.sort_values("budget")
        l, acc = g["budget"].to_numpy(float), g["mean_accuracy"].to_numpy()
        needed, at_most = None, False
        hit = np.flatnonzero(acc >= target)
        if len(hit):
            i = hit[0]
            if i == 0:
                needed, at_most = l[0], True
            else:
                frac = (target - acc[i - 1]) / (acc[i] - acc[i - 1])
                needed = float(np.exp(np.log(l[i - 1]) + frac * (np.log(l[i]) - np.log(l[i - 1]))))
        rows.append({"representation": rep, "classifier": clf, "target": target, "labels_needed": needed,
                     "at_most": at_most})
    import pandas as pd

    return pd.DataFrame(rows)


# ---------------------------------------------------------------- comparisons
YARDSTICK = ("pixels", "chosen")  # raw pixels under the label-only selection: what the labels alone make of them
YARDSTICK_NAME = "/".join(YARDSTICK)  # how paired_differences names it


def simultaneous_versus_yardstick(paired, family_level: float = 0.95):
    """`paired` (rows of `paired_differences`, with their `comparison`) with the intervals of every comparison
    against `YARDSTICK` widened to hold simultaneously over all of them in a protocol (every method, input and
    budget: the answer to "was it beneficial?" picks among them); Bonferroni over the rows with more than one
    subset, from each row's standard deviation of the paired differences. Other rows keep their intervals."""
    from scipy import stats

    paired = paired.copy()
    versus = paired.b == YARDSTICK_NAME
    for protocol in paired.protocol[versus].unique():
        rows = versus & (paired.protocol == protocol) & (paired.n > 1) & paired.sd_difference.notna()
        m = int(rows.sum())
        if not m:
            continue
        half = stats.t.ppf(1 - (1 - family_level) / (2 * m), paired.n[rows] - 1) * paired.sd_difference[rows] / np.sqrt(paired.n[rows])
        paired.loc[rows, "ci95_low"] = paired.mean_difference[rows] - half
        paired.loc[rows, "ci95_high"] = paired.mean_difference[rows] + half
        paired.loc[rows, "family_size"] = m
    return paired


def comparison_pairs(inputs: list[str], graph_methods: list[str], tuned: list[str] = ()) -> dict:
    """{label: ((input, method), (input, method))}: against `YARDSTICK`, the label-only selection on raw pixels,
    every method that uses the unlabelled images and is like for like with it (the label-only selection on a
    learnt or PCA code, graph learning on any input, fine-tuning from a pretrained encoder); and, like for like,
    each pair of inputs under the label-only selection, each graph method and fine-tuning (`tuned`: ['finetune']
    or none; pixels' fine-tuning starts from random weights). A code's label-only selection against pixels' is
    both, and listed once. The fixed classifiers are compared in the figures, not here."""
    pairs = {}
    if "pixels" in inputs:
        for rep in inputs:
            methods = graph_methods if rep == "pixels" else ["chosen", *graph_methods, *tuned]
            pairs |= {f"{rep}/{m} vs pixels": ((rep, m), YARDSTICK) for m in methods}
    for i, a in enumerate(inputs):
        for b in inputs[i + 1:]:
            shared = ["chosen", *graph_methods, *(m for m in tuned if "pca" not in (a, b))]
            pairs |= {f"{a} − {b}, {m}": ((a, m), (b, m)) for m in shared if (b, m) != YARDSTICK}
    return pairs
