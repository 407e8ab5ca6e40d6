"""Figures of the semi-supervised sweep (accuracy against the label budget l, log axis)."""

from __future__ import annotations

import numpy as np

from . import style
from .semisup import CLASSIFIER_LABELS, REPRESENTATION_LABELS
from .style import plt

REPRESENTATION_COLORS = {"vae": style.PALETTE[0], "dae": style.PALETTE[1], "pixels": style.PALETTE[7]}


def _band(ax, g, color, label, ls="-", marker="o"):
    """Mean accuracy (%) against l with its 95 % interval as a band where there is one."""
    g = g.sort_values("budget")
    ax.plot(g.budget, 100 * g.mean_accuracy, ls, marker=marker, ms=3, color=color, label=label)
    ax.fill_between(g.budget, 100 * g.ci95_low, 100 * g.ci95_high, color=color, alpha=0.18, lw=0)


def _zoom(ax, frame):
    low = 100 * np.nanmin(frame[["mean_accuracy", "ci95_low"]].to_numpy())
    high = 100 * np.nanmax(frame[["mean_accuracy", "ci95_high"]].to_numpy())
    ax.set_ylim(max(0.0, low - 2), min(100.0, high + 2))  # zoom on the data, never beyond 0-100 %


def learning_curves(summary):
    """The comparison the report makes: the honestly chosen classifier per input (solid) and label
    spreading on each code (dashed), mean test accuracy over the labelled subsets with its 95 % band."""
    fig, ax = plt.subplots(figsize=(style.PAGE_WIDTH, 3.2))
    shown = []
    for rep, color in REPRESENTATION_COLORS.items():
        for clf, ls, marker in (("chosen", "-", "o"), ("label_spreading", "--", "s")):
            g = summary[(summary.representation == rep) & (summary.classifier == clf)]
            if len(g):
                label = REPRESENTATION_LABELS[rep] + (", chosen classifier" if clf == "chosen" else ", label spreading")
                _band(ax, g, color, label, ls, marker)
                shown.append(g)
    if shown:
        import pandas as pd

        _zoom(ax, pd.concat(shown))
    ax.set(xscale="log", xlabel="labelled training images $l$", ylabel="test accuracy (%)")
    ax.legend(loc="lower right", ncol=1)
    return fig


def learning_curves_by_classifier(summary, classifiers: list[str]):
    """Small multiples, one panel per classifier (fixed settings): its accuracy on each input."""
    n = len(classifiers)
    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(style.PAGE_WIDTH, 2.3 * rows + 0.4), sharey=True,
                             sharex=True, squeeze=False)
    part = summary[summary.classifier.isin(classifiers)]
    for ax, clf in zip(axes.ravel(), classifiers):
        for rep, color in REPRESENTATION_COLORS.items():
            g = part[(part.representation == rep) & (part.classifier == clf)]
            if len(g):
                _band(ax, g, color, REPRESENTATION_LABELS[rep])
        ax.set(xscale="log", title=CLASSIFIER_LABELS[clf])
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    _zoom(axes[0][0], part)
    for ax in axes[:, 0]:
        ax.set_ylabel("test accuracy (%)")
    for ax in axes[-1]:
        ax.set_xlabel("labels $l$")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False)
    return fig


def paired_differences(frames: dict):
    """Mean paired difference in accuracy (percentage points) with its 95 % interval, per budget
    (a point without a bar where there is a single run). `frames[label]` is from `semisup.paired_differences`."""
    fig, ax = plt.subplots(figsize=(style.PAGE_WIDTH, 3.0))
    n = len(frames)
    for i, (label, d) in enumerate(frames.items()):
        d = d.sort_values("budget")
        shift = np.exp((i - (n - 1) / 2) * 0.05)  # small horizontal offsets on the log axis
        mean = 100 * d.mean_difference.to_numpy()
        err = np.vstack([mean - 100 * d.ci95_low.to_numpy(), 100 * d.ci95_high.to_numpy() - mean])
        ax.errorbar(d.budget * shift, mean, yerr=np.nan_to_num(err), marker="o", ms=3, capsize=2, label=label,
                    color=style.PALETTE[i % len(style.PALETTE)])
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set(xscale="log", xlabel="labelled training images $l$", ylabel="accuracy difference (points)")
    ax.legend(loc="best", fontsize=8)
    return fig
