"""The building blocks of the analyses' parameter schemas: a parameter's type, allowed range and meaning.

Each analysis's schema is `params/<analysis>.py` (its `SCHEMA`), beside the values in `params/<analysis>.yaml`
(one section per profile), so an analysis's parameters change with its own files only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..science.constants import ARCHITECTURES


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
    "held_out_curve": Param("bool", "true or false", doc="the test loss after every epoch (the held-out curve); "
                                                         "false: after the last epoch only"),
}


def training_constraints(p: dict) -> str | None:
    """What is wrong with a combination of the training values and `validation_size` (None: nothing)."""
    n_train = p["train_subset"] or 60000
    if p["validation_size"] >= n_train:
        return (f"validation_size={p['validation_size']} leaves no training images out of {n_train}; "
                "lower validation_size or raise train_subset")
    if not p["held_out_curve"] and not p["validation_size"]:
        return ("held_out_curve=false (the test loss after the last epoch only) is for runs scored on held-out "
                "training images, whose report draws no curve; set validation_size > 0 or held_out_curve=true")
    return None
