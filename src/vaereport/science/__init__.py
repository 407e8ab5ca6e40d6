"""The science: models, losses, training, likelihood bounds, latent-space and generation metrics, semi-supervised
classifiers and their label-only selection."""
