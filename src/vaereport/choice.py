"""The classifier a practitioner would pick with only the l labels, and a graph-based learner that also
uses the unlabelled codes.

Honest choice: every candidate (a classifier with one setting from `GRID`) is scored on the labelled subset
alone, by stratified k-fold cross-validation when l is small, or on one stratified hold-out part of the
labelled set when l is large (the fits are then capped in size, which bounds the cost). The best candidate is
refitted on all l labels and only then scored on the test set. The test set takes no part in the choice.

Codes are float arrays (n, k); labels are ints (n,); `indices` index the labelled training rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.neighbors import NearestNeighbors
from sklearn.semi_supervised import LabelSpreading

from .semisup import make_classifier

# Settings tried per classifier; the first is the sweep's fixed setting (so its fit can be reused).
GRID: dict[str, list[dict]] = {
    "logreg": [{"C": 1.0}, {"C": 0.1}, {"C": 10.0}],
    "svm_rbf": [{"C": 10.0}, {"C": 1.0}],
    "random_forest": [{}],
    "knn": [{"n_neighbors": 5}, {"n_neighbors": 15}],
    "mlp": [{"alpha": 1e-3}],
}


@dataclass(frozen=True)
class SelectionRule:
    """How candidates are scored on the labelled subset."""

    folds: int  # stratified folds when l <= cv_max_labels
    cv_max_labels: int  # above this, one hold-out split instead of folds
    holdout_validation: int  # labelled images held out for validation (large l)
    holdout_train_max: int  # at most this many labelled images fit each candidate (large l)

    def describe(self) -> str:
        return (f"{self.folds}-fold stratified cross-validation on the labelled subset up to l = {self.cv_max_labels}; "
                f"above, one stratified hold-out split of it: {self.holdout_validation} labelled images for "
                f"validation and at most {self.holdout_train_max} of the others to fit each candidate")


def selection_splits(y: np.ndarray, rule: SelectionRule, seed: int) -> tuple[list, str]:
    """(train, validation) index pairs into the labelled labels y (l,), and the scheme's name.

    Small l: stratified k-fold with k = min(folds, smallest class count); if a class has a single label,
    plain shuffled k-fold (the documented fallback for tiny or unlucky subsets)."""
    l = len(y)
    if l <= rule.cv_max_labels:
        smallest = int(np.unique(y, return_counts=True)[1].min())
        if smallest >= 2:
            k = min(rule.folds, int(smallest))
            return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(l), y)), f"{k}-fold CV"
        k = min(rule.folds, l)
        return list(KFold(k, shuffle=True, random_state=seed).split(np.zeros(l))), f"{k}-fold CV (unstratified)"
    train, val = train_test_split(np.arange(l), test_size=min(rule.holdout_validation, l // 2), stratify=y,
                                  random_state=seed)
    if len(train) > rule.holdout_train_max:
        train, _ = train_test_split(train, train_size=rule.holdout_train_max, stratify=y[train], random_state=seed)
    return [(np.sort(train), np.sort(val))], "hold-out"


def candidates(classifiers: list[str], tune: bool = True) -> list[tuple[str, dict]]:
    """(classifier, setting) pairs: the whole grid, or with tune=False only each fixed setting."""
    return [(c, params) for c in classifiers for params in (GRID[c] if tune else GRID[c][:1])]


def choose_and_score(x_train, y_train, x_test, y_test, indices, options: list[tuple[str, dict]],
                     rule: SelectionRule, seed: int, standardise: bool, reuse: dict | None = None) -> dict:
    """Score every option on the labelled rows `indices` only, refit the best on all of them, test it.

    `reuse[classifier]` is the test accuracy the sweep already measured for that classifier's fixed setting
    with the same labels and seed; it is used instead of an identical refit."""
    started = time.perf_counter()
    x_l, y_l = x_train[indices], y_train[indices]
    splits, scheme = selection_splits(y_l, rule, seed)
    scores = []
    for clf, params in options:
        fold_scores = []
        for tr, va in splits:
            model = make_classifier(clf, len(tr), seed, standardise, **params)
            model.fit(x_l[tr], y_l[tr])
            fold_scores.append(float(np.mean(model.predict(x_l[va]) == y_l[va])))
        scores.append(float(np.mean(fold_scores)))
    best = int(np.argmax(scores))  # first of equals: the order of `options`
    clf, params = options[best]
    if reuse and clf in reuse and params == GRID[clf][0]:
        accuracy = reuse[clf]
    else:
        model = make_classifier(clf, len(indices), seed, standardise, **params)
        model.fit(x_l, y_l)
        accuracy = float(np.mean(model.predict(x_test) == y_test))
    return {"classifier": clf, "setting": ", ".join(f"{k}={v:g}" for k, v in params.items()) or "fixed",
            "selection_accuracy": scores[best], "scheme": scheme, "n_fit": int(np.mean([len(t) for t, _ in splits])),
            "accuracy": accuracy, "seconds": time.perf_counter() - started}


# ---------------------------------------------------------------- label spreading on the codes
class KNNGraph:
    """The k-NN connectivity of the training codes, computed once and handed to `LabelSpreading` as its
    kernel (the same matrices `LabelSpreading(kernel='knn')` builds at every fit, so only the spreading
    itself is repeated per labelled subset)."""

    def __init__(self, x_train: np.ndarray, x_test: np.ndarray, n_neighbors: int):
        if len(x_train) == len(x_test):
            raise ValueError("KNNGraph tells the two graphs apart by size; train and test sizes must differ")
        nn = NearestNeighbors(n_neighbors=n_neighbors).fit(x_train)
        self.train = nn.kneighbors_graph(x_train, n_neighbors, mode="connectivity")
        self.test_t = nn.kneighbors_graph(x_test, n_neighbors, mode="connectivity").T.tocsr()
        self.n_train = x_train.shape[0]

    def __call__(self, a, b):
        return self.train if b.shape[0] == self.n_train else self.test_t


def label_spreading_score(graph: KNNGraph, n_train: int, y_train, x_test_ids, y_test, indices, alpha: float) -> float:
    """Test accuracy of LabelSpreading on all training codes with only `indices` labelled.

    The kernel ignores its inputs (it returns the precomputed graphs), so row-number stand-ins are passed
    for the codes themselves."""
    y = np.full(n_train, -1)
    y[indices] = y_train[indices]
    model = LabelSpreading(kernel=graph, alpha=alpha, max_iter=100)
    model.fit(np.zeros((n_train, 1)), y)
    return float(np.mean(model.predict(x_test_ids) == y_test))
