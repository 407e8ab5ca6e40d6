"""The parameters of `analysis/q1_vae_mnist.py`: what is valid (the values are in `q1_vae_mnist.yaml`), and the
headline numbers `vaereport runs` shows for a run."""

from vaereport.config.schema import TRAINING, Param, training_constraints, choice, choices, positive_float, positive_int
from vaereport.science.constants import ARCHITECTURES

SCHEMA: dict[str, Param] = {
    **TRAINING,
    "latent_dim": Param("int", "== 2 (the latent-plane figures are 2-D)", lambda v: v == 2,
                        "latent dimension"),
    "decoder_architecture": choice(("mirror", *ARCHITECTURES), "the decoder's layers: the mirror of the encoder's "
                                   "architecture (mirror), or mlp / conv whatever the encoder"),
    "decoders": choices(("bernoulli", "gaussian"), "decoders trained; the first one's latent space is drawn"),
    "gaussian_sigma": positive_float("fixed pixel std of the Gaussian decoder"),
    "validation_size": Param("int", "0..30000", lambda v: 0 <= v <= 30000,
                             "the last n training images are held out of training and scored (0: none)"),
    "grid_size": Param("int", "2..40", lambda v: 2 <= v <= 40, "images per side of the decoded grid"),
    "grid_extent": positive_float("the grid spans [-extent, extent] in latent units"),
    "n_reconstructions": Param("int", "1..20", lambda v: 1 <= v <= 20, "test digits reconstructed"),
    "digit_classifier_epochs": positive_int("at most this many epochs of the classifier that names the digit a "
                                            "reconstruction shows"),
    "iwae_samples": Param("int", "0..5000", lambda v: 0 <= v <= 5000,
                          "importance samples per test image for the IWAE estimate of log p(x) (0: not computed)"),
    "gap_radius": Param("float", "0 < r <= 3", lambda v: 0 < v <= 3,
                        "gaps are searched within this many prior standard deviations of the origin"),
    "gap_ratio_threshold": Param("float", "0 < t < 1", lambda v: 0 < v < 1,
                                 "a gap is where the aggregate posterior's density is below t times the prior's"),
}


def constraints(p: dict) -> str | None:
    """What is wrong with a combination of valid values (None: nothing), checked before anything runs."""
    if not p["iwae_samples"] and not p["validation_size"]:
        return ("iwae_samples=0 (no IWAE bound) is for runs scored on held-out training images, whose report states "
                "no bound; set validation_size > 0 or iwae_samples >= 1")
    return training_constraints(p)


def headline(m: dict) -> dict:
    """Per decoder trained (a study cell may train only one)."""
    row = {}
    for decoder in ("bernoulli", "gaussian"):
        if decoder in m.get("models", {}):
            row[f"test −ELBO ({decoder})"] = m["models"][decoder]["test_neg_elbo"]
            row[f"IWAE log p ({decoder})"] = m.get("iwae", {}).get(decoder, {}).get("mean_log_likelihood")
    return row
