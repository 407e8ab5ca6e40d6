"""The parameters of `analysis/q2_semisupervised.py`: what is valid (the values are in `q2_semisupervised.yaml`), and the
headline numbers `vaereport runs` shows for a run."""

from vaereport.config.schema import SEED, Param, choices
from vaereport.science.constants import CLASSIFIERS, PREPROCESSINGS
from vaereport.science.sweep_constants import GRAPH_METHODS, INPUTS, PROTOCOLS

SCHEMA: dict[str, Param] = {
    "seed": SEED,
    "budgets": Param("int_list", "non-empty list of ints (checked against the data before running)",
                     lambda v: len(v) > 0, "label budgets l"),
    "n_seeds": Param("int", ">= 1", lambda v: v >= 1, "random labelled subsets per budget below the full set"),
    "n_seeds_small": Param("int", ">= 1", lambda v: v >= 1, "labelled subsets per budget up to small_budget_max"),
    "small_budget_max": Param("int", ">= 0", lambda v: v >= 0, "budgets up to here get n_seeds_small subsets"),
    "protocols": Param("str_list", "uniform, optionally followed by balanced (uniform draws are the headline)",
                       lambda v: v in (["uniform"], ["uniform", "balanced"]),
                       "how labelled subsets are drawn: uniform random draws and class-balanced ones", PROTOCOLS),
    "balanced_max_budget": Param("int", ">= 0", lambda v: v >= 0, "class-balanced subsets only up to this budget"),
    "inputs": choices(INPUTS, "inputs of every method: VAE codes, DAE codes, PCA of the pixels, raw pixels"),
    "classifiers": choices(CLASSIFIERS, "scikit-learn classifiers run on every input"),
    "preprocessing": choices(PREPROCESSINGS, "preprocessings among which the label-only selection picks, for every input"),
    "svm_max_budget": Param("int", ">= 0", lambda v: v >= 0,
                            "the RBF SVM is fitted only up to this budget, on every input (its cost grows ~ l^2)"),
    "selection_folds": Param("int", "2..10", lambda v: 2 <= v <= 10, "folds of the cross-validation for small l"),
    "cv_max_labels": Param("int", ">= 10", lambda v: v >= 10, "largest l scored by cross-validation"),
    "holdout_validation": Param("int", ">= 10", lambda v: v >= 10,
                                "labelled images held out for validation when l > cv_max_labels"),
    "holdout_train_max": Param("int", ">= 10", lambda v: v >= 10,
                               "at most this many labelled images fit each candidate when l > cv_max_labels"),
    "graph_methods": Param("str_list", "a subset (possibly empty) of " + ", ".join(GRAPH_METHODS),
                           lambda v: set(v) <= set(GRAPH_METHODS) and len(set(v)) == len(v),
                           "graph-based learners on a k-NN graph of all images", GRAPH_METHODS),
    "graph_priors": Param("str_list", "a subset (possibly empty) of " + ", ".join(GRAPH_METHODS),
                          lambda v: set(v) <= set(GRAPH_METHODS) and len(set(v)) == len(v),
                          "graph methods also run rebalanced to the labels' class priors", GRAPH_METHODS),
    "graph_neighbors": Param("int", "2..100", lambda v: 2 <= v <= 100, "k of the graph methods' k-NN graph"),
    "graph_max_budget": Param("int", ">= 0", lambda v: v >= 0, "graph methods only up to this budget"),
    "finetune": Param("bool", "true or false", doc="fine-tune each autoencoder's encoder with a softmax head on the labels"),
    "finetune_steps": Param("int", ">= 1", lambda v: v >= 1, "Adam steps of fine-tuning (batches of 100 labels)"),
    "finetune_learning_rate": Param("float", "> 0", lambda v: v > 0, "Adam's learning rate for fine-tuning"),
    "finetune_max_budget": Param("int", ">= 0", lambda v: v >= 0, "fine-tuning only up to this budget"),
    "n_jobs": Param("int", ">= 1 or -1 (all cores)", lambda v: v >= 1 or v == -1, "parallel workers"),
    "target_accuracies": Param("float_list", "values in (0, 1)", lambda v: all(0 < a < 1 for a in v),
                               "accuracies for the labels-needed summary"),
}


def headline(m: dict) -> dict:
    budgets = m["budgets"]
    chosen = {(r["representation"], r["budget"]): r["mean_accuracy"] for r in m["summary"]
              if r["classifier"] == "chosen" and r.get("protocol", "uniform") == "uniform"}
    return {f"{rep.upper()} acc l={l}": chosen.get((rep, l)) for rep in ("vae", "dae") for l in (budgets[0], budgets[-1])}
