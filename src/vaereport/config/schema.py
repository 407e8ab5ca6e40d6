"""The schema of every analysis's parameters: names, types and allowed ranges.

Defaults live in `params/<analysis>.yaml` (one section per profile); this module only says what is
valid, so the two can change independently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..science.constants import ARCHITECTURES, FEATURE_DIM


@dataclass(frozen=True)
class Param:
    kind: str  # "int", "float", "str", "bool", "int_list", "int_or_null"
    rule: str = ""  # human-readable constraint shown in errors
    check: Callable[[Any], bool] = lambda v: True
    doc: str = ""
    options: tuple[str, ...] = ()  # the allowed strings of a choice or of a list of choices


def positive_int(doc: str) -> Param:
    return Param("int", ">= 1", lambda v: v >= 1, doc)


def positive_float(doc: str) -> Param:
    return Param("float", "> 0", lambda v: v > 0, doc)


def choice(options: tuple[str, ...], doc: str) -> Param:
    return Param("str", "one of " + ", ".join(options), lambda v: v in options, doc, options)


def choices(options: tuple[str, ...], doc: str) -> Param:
    """A non-empty list of distinct values from `options`."""
    return Param("str_list", "non-empty subset of " + ", ".join(options),
                 lambda v: len(v) > 0 and set(v) <= set(options) and len(set(v)) == len(v), doc, options)


CLASSIFIERS = ("logreg", "svm_rbf", "random_forest", "knn", "mlp")
PREPROCESSINGS = ("standardise", "none", "active")
SEED = Param("int", ">= 0", lambda v: v >= 0, "seed for Python, NumPy, Keras/TF and subset draws")
HIDDEN = Param("int_list", "non-empty list of ints >= 1", lambda v: len(v) > 0 and min(v) >= 1,
               "hidden-layer widths of the encoder (the decoder mirrors them)")
TRAIN_SUBSET = Param("int_or_null", "null (all 60000) or 1..60000",
                     lambda v: v is None or 1 <= v <= 60000, "use only the first n training images")
TRAINING = {
    "seed": SEED,
    "architecture": choice(ARCHITECTURES, "encoder/decoder: dense layers (mlp) or keras-io's convolutional shape "
                                          "(conv: two stride-2 convolutions, then a dense layer of the last hidden width)"),
    "hidden": HIDDEN,
    "epochs": positive_int("training epochs"),
    "batch_size": positive_int("mini-batch size"),
    "learning_rate": Param("float", "> 0", lambda v: v > 0, "Adam learning rate"),
    "train_subset": TRAIN_SUBSET,
}

Q1: dict[str, Param] = {
    **TRAINING,
    "latent_dim": Param("int", "== 2 (the latent-plane figures are 2-D)", lambda v: v == 2,
                        "latent dimension"),
    "decoders": choices(("bernoulli", "gaussian"), "decoders trained; the first one's latent space is drawn"),
    "gaussian_sigma": positive_float("fixed pixel std of the Gaussian decoder"),
    "validation_size": Param("int", "0..30000", lambda v: 0 <= v <= 30000,
                             "the last n training images are held out of training and scored (0: none)"),
    "grid_size": Param("int", "2..40", lambda v: 2 <= v <= 40, "images per side of the decoded grid"),
    "grid_extent": positive_float("the grid spans [-extent, extent] in latent units"),
    "n_reconstructions": Param("int", "1..20", lambda v: 1 <= v <= 20, "test digits reconstructed"),
    "digit_classifier_epochs": positive_int("at most this many epochs of the classifier that names the digit a "
                                            "reconstruction shows"),
    "iwae_samples": Param("int", "1..5000", lambda v: 1 <= v <= 5000,
                          "importance samples per test image for the IWAE estimate of log p(x)"),
    "gap_radius": Param("float", "0 < r <= 3", lambda v: 0 < v <= 3,
                        "gaps are searched within this many prior standard deviations of the origin"),
    "gap_ratio_threshold": Param("float", "0 < t < 1", lambda v: 0 < v < 1,
                                 "a gap is where the aggregate posterior's density is below t times the prior's"),
}
Q2_REPRESENTATIONS: dict[str, Param] = {
    **TRAINING,
    "latent_dim": Param("int", "3..256 (the assignment asks for more than 2)",
                        lambda v: 3 <= v <= 256, "code / latent dimension of both models"),
    "likelihood": choice(("bernoulli", "gaussian"), "decoder likelihood of both models"),
    "gaussian_sigma": positive_float("fixed pixel std if the likelihood is Gaussian"),
    "corruption": choice(("gaussian", "masking"), "DAE input corruption"),
    "corruption_level": Param("float", "0 < level < 1", lambda v: 0 < v < 1,
                              "noise std (gaussian) or drop probability (masking)"),
    "n_reconstructions": Param("int", "1..20", lambda v: 1 <= v <= 20, "test images shown"),
    "validation_size": Param("int", "0..30000", lambda v: 0 <= v <= 30000,
                             "the last n training images are held out of training and scored; the semi-supervised "
                             "analysis then scores its classifiers on them instead of the test images (0: none)"),
    "n_generated": Param("int", f"{FEATURE_DIM + 1}..10000 (more than the reference features, for a full-rank covariance)",
                         lambda v: FEATURE_DIM < v <= 10000, "images generated per method for the scores"),
    "reference_epochs": positive_int("at most this many epochs of the reference classifier for generation scores"),
    "reference_patience": positive_int("the reference classifier stops after this many epochs without a better "
                                       "accuracy on its held-out tenth of the training images"),
    "n_bootstrap": Param("int", "20..5000", lambda v: 20 <= v <= 5000,
                         "bootstrap replicates of the Fréchet distances' 95 % intervals"),
    "active_unit_threshold": Param("float", "> 0", lambda v: v > 0,
                                   "a VAE code dimension is active if its posterior mean's variance exceeds this"),
}
Q2_SEMISUPERVISED: dict[str, Param] = {
    "seed": SEED,
    "budgets": Param("int_list", "non-empty list of ints (checked against the data before running)",
                     lambda v: len(v) > 0, "label budgets l"),
    "n_seeds": Param("int", ">= 1", lambda v: v >= 1, "random labelled subsets per budget below the full set"),
    "sampling": choice(("uniform", "stratified"), "how labelled subsets are drawn"),
    "classifiers": choices(CLASSIFIERS, "classifiers run on the VAE and DAE codes"),
    "raw_pixel_mlp": Param("bool", "true or false", doc="also fit the fixed-setting MLP on raw pixels"),
    "pixels": Param("bool", "true or false",
                    doc="raw pixels as a third input of the label-only selection, with the codes' candidates"),
    "preprocessing": choices(PREPROCESSINGS, "preprocessings among which the label-only selection picks, for every input"),
    "svm_max_budget": Param("int", ">= 0", lambda v: v >= 0,
                            "the RBF SVM is fitted only up to this budget, on every input (its cost grows ~ l^2)"),
    "selection_folds": Param("int", "2..10", lambda v: 2 <= v <= 10, "folds of the cross-validation for small l"),
    "cv_max_labels": Param("int", ">= 10", lambda v: v >= 10, "largest l scored by cross-validation"),
    "holdout_validation": Param("int", ">= 10", lambda v: v >= 10,
                                "labelled images held out for validation when l > cv_max_labels"),
    "holdout_train_max": Param("int", ">= 10", lambda v: v >= 10,
                               "at most this many labelled images fit each candidate when l > cv_max_labels"),
    "label_spreading": Param("bool", "true or false", doc="also run LabelSpreading on the codes"),
    "spreading_neighbors": Param("int", "1..100", lambda v: 1 <= v <= 100, "k of LabelSpreading's k-NN graph"),
    "spreading_alpha": Param("float", "0 < alpha < 1", lambda v: 0 < v < 1, "LabelSpreading's clamping factor"),
    "n_jobs": Param("int", ">= 1 or -1 (all cores)", lambda v: v >= 1 or v == -1, "parallel workers"),
    "target_accuracies": Param("float_list", "values in (0, 1)", lambda v: all(0 < a < 1 for a in v),
                               "accuracies for the labels-needed summary"),
}
