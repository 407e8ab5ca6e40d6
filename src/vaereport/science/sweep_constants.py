"""Constants of Q2.3's semi-supervised sweep that its parameter schema checks against, in a module that imports
nothing (so the command line does not load scikit-learn to validate a parameter)."""

INPUTS = ("vae", "dae", "pca", "pixels")  # the inputs of every method (semisup.REPRESENTATION_LABELS)
PROTOCOLS = ("uniform", "balanced")  # how labelled subsets are drawn (semisup.PROTOCOLS)
GRAPH_METHODS = ("poisson", "laplace")  # graph_ssl's solvers
