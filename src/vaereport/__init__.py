"""vaereport: a reproducible report for a VAE / denoising-autoencoder study."""

__version__ = "0.1.0"
