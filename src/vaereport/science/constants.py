"""Constants of the science that the parameter schemas also check against, in a module that imports nothing
(so the command line does not load TensorFlow to validate a parameter)."""

ARCHITECTURES = ("mlp", "conv")  # dense encoder/decoder, or keras-io's convolutional shape (models)
FEATURE_DIM = 128  # width of the reference classifier's feature layer, the Fréchet features (genmetrics)
CLASSIFIERS = ("logreg", "svm_rbf", "random_forest", "knn", "mlp")  # semisup.make_classifier's names
PREPROCESSINGS = ("standardise", "none", "active")  # choice.options' feature preprocessings


def architecture_label(encoder: str, decoder: str | None) -> str:
    """'mlp', 'conv', or 'encoder+decoder' (e.g. 'mlp+conv') when the decoder's layers differ from the encoder's;
    a decoder of None or 'mirror' mirrors the encoder."""
    return encoder if decoder in (None, "mirror", encoder) else f"{encoder}+{decoder}"
