"""The parameters of `analysis/q2_semisupervised.py`: what is valid (the values are in `q2_semisupervised.yaml`), and the
headline numbers `vaereport runs` shows for a run."""

from vaereport.config.schema import SEED, Param, choice, choices
from vaereport.science.constants import CLASSIFIERS, PREPROCESSINGS

SCHEMA: dict[str, Param] = {
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


def headline(m: dict) -> dict:
    budgets = m["budgets"]
    chosen = {(r["representation"], r["budget"]): r["mean_accuracy"] for r in m["summary"] if r["classifier"] == "chosen"}
    return {f"{rep.upper()} acc l={l}": chosen.get((rep, l)) for rep in ("vae", "dae") for l in (budgets[0], budgets[-1])}
