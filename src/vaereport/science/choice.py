"""The label-only selection — the model a practitioner would pick with only the l labels.

Label-only selection: every option (an encoding of the input, a preprocessing, and a classifier with one
setting from `GRID`) is scored on the labelled subset alone, by stratified k-fold cross-validation when l is
small, or on one stratified hold-out part of the labelled set when l is large (the fits are then capped in
size, which bounds the cost). The best option is refitted on all l labels and only then scored on the test set;
so are the other encodings and preprocessings with the chosen classifier (the ablation). The test set takes
no part in the choice. Every input gets the same classifiers, settings, preprocessings and cost cap.

Features are float arrays (n, k); labels are ints (n,); `indices` index the labelled training rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from .semisup import allowed, make_classifier

# Settings tried per classifier; the first is the sweep's fixed setting (so its fit can be reused).
GRID: dict[str, list[dict]] = {
    "logreg": [{"C": 1.0}, {"C": 0.1}, {"C": 10.0}],
    "svm_rbf": [{"C": 10.0}, {"C": 1.0}],
    "random_forest": [{}],
    "knn": [{"n_neighbors": 5}, {"n_neighbors": 15}],
    "mlp": [{"alpha": 1e-3}],
}


# Classifiers whose fitted model depends on each feature only through the order of its values (a tree's splits):
# for them standardising is the same model as no scaling, so it is fitted once and scored for both.
SCALE_INVARIANT = {"random_forest"}


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


@dataclass(frozen=True)
class Option:
    """One candidate model of the label-only selection."""

    encoding: str
    preprocessing: str
    classifier: str
    setting: tuple[tuple[str, float], ...] = ()  # the classifier's parameters from `GRID`, as sorted pairs

    @property
    def params(self) -> dict:
        return dict(self.setting)

    @property
    def label(self) -> str:
        """e.g. 'logreg(C=0.1)' or 'random_forest(fixed)'."""
        return f"{self.classifier}({', '.join(f'{k}={v:g}' for k, v in self.setting) or 'fixed'})"

    @property
    def is_fixed_setting(self) -> bool:
        return self.params == GRID[self.classifier][0]

    @property
    def fitted_as(self) -> "Option":
        """The option whose fit is the same model as this one's (itself, unless the classifier is scale-invariant
        and the preprocessing only standardises)."""
        if self.classifier in SCALE_INVARIANT and self.preprocessing == "standardise":
            return Option(self.encoding, "none", self.classifier, self.setting)
        return self


def candidates(classifiers: list[str], budget: int, svm_max_budget: int) -> list[tuple[str, dict]]:
    """(classifier, setting) pairs of the whole grid, under the cost cap of `semisup.allowed` — the same list
    for every input."""
    return [(c, params) for c in classifiers if allowed(c, budget, svm_max_budget) for params in GRID[c]]


def options(encodings, preprocessings, classifier_settings) -> list[Option]:
    """Every combination of an encoding, a preprocessing and a (classifier, setting)."""
    return [Option(e, p, c, tuple(sorted(params.items()))) for e in encodings for p in preprocessings
            for c, params in classifier_settings]


def _test_accuracy(option: Option, features, y_train, y_test, indices, seed: int) -> float:
    x_train, x_test = features[option.encoding]
    model = make_classifier(option.classifier, len(indices), seed, option.preprocessing, **option.params)
    model.fit(x_train[indices], y_train[indices])
    return float(np.mean(model.predict(x_test) == y_test))


def choose_and_score(features: dict, y_train, y_test, indices, opts: list[Option], rule: SelectionRule, seed: int,
                     reuse: dict | None = None, ablate: bool = True) -> dict:
    """Score every option on the labelled rows `indices` only, refit the best on all of them, test it; then (if
    `ablate`) test every other encoding and preprocessing with the chosen classifier and setting (the ablation).

    `features[encoding]` is (x_train, x_test). `reuse[option]` is a test accuracy the sweep already measured with
    the same labels and seed; it is used instead of an identical refit."""
    started = time.perf_counter()
    reuse = reuse or {}
    y_l = y_train[indices]
    splits, scheme = selection_splits(y_l, rule, seed)
    scores, fitted = {}, {}
    for option in opts:
        if option.fitted_as not in fitted:
            x_l = features[option.encoding][0][indices]
            fold_scores = []
            for tr, va in splits:
                model = make_classifier(option.classifier, len(tr), seed, option.fitted_as.preprocessing,
                                        budget=len(indices), **option.params)
                model.fit(x_l[tr], y_l[tr])
                fold_scores.append(float(np.mean(model.predict(x_l[va]) == y_l[va])))
            fitted[option.fitted_as] = float(np.mean(fold_scores))
        scores[option] = fitted[option.fitted_as]
    best = max(opts, key=lambda o: scores[o])  # first of equals: the order of `opts`
    variants, tested = [], {}
    for option in opts:
        if (option.classifier, option.setting) != (best.classifier, best.setting):
            continue
        if not ablate and option != best:
            continue
        accuracy = reuse.get(option, tested.get(option.fitted_as))
        if accuracy is None:
            accuracy = _test_accuracy(option.fitted_as, features, y_train, y_test, indices, seed)
        tested[option.fitted_as] = accuracy
        variants.append({"encoding": option.encoding, "preprocessing": option.preprocessing,
                         "selection_accuracy": scores[option], "accuracy": accuracy})
    chosen = next(v for v in variants if (v["encoding"], v["preprocessing"]) == (best.encoding, best.preprocessing))
    return {"encoding": best.encoding, "preprocessing": best.preprocessing, "classifier": best.classifier,
            "setting": ", ".join(f"{k}={v:g}" for k, v in best.setting) or "fixed",
            "selection_accuracy": scores[best], "scheme": scheme, "n_fit": int(np.mean([len(t) for t, _ in splits])),
            "accuracy": chosen["accuracy"], "variants": variants, "seconds": time.perf_counter() - started}
