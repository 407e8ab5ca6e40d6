"""The parameters of `analysis/q2_representations.py`: what is valid (the values are in `q2_representations.yaml`), and the
headline numbers `vaereport runs` shows for a run."""

from vaereport.config.schema import TRAINING, Param, training_constraints, choice, positive_float, positive_int
from vaereport.science.constants import FEATURE_DIM

SCHEMA: dict[str, Param] = {
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
    "reference_seed": Param("int", ">= 0", lambda v: v >= 0, "seed of the reference classifier (its own, so that "
                            "every autoencoder seed is scored with the same features)"),
    "reference_patience": positive_int("the reference classifier stops after this many epochs without a better "
                                       "accuracy on its held-out tenth of the training images"),
    "n_bootstrap": Param("int", "20..5000", lambda v: 20 <= v <= 5000,
                         "bootstrap replicates of the Fréchet distances' 95 % intervals"),
    "active_unit_threshold": Param("float", "> 0", lambda v: v > 0,
                                   "a VAE code dimension is active if its posterior mean's variance exceeds this"),
}


def constraints(p: dict) -> str | None:
    """What is wrong with a combination of valid values (None: nothing), checked before anything runs."""
    return training_constraints(p)


def headline(m: dict) -> dict:
    return {"VAE test −ELBO": m["models"]["VAE"]["test"]["loss"], "DAE test NLL": m["models"]["DAE"]["test"]["loss"]}
