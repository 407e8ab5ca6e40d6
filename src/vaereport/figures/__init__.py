"""Figures: one style, the analyses' plots, the study's plots and the interactive latent space."""
