"""Figures of the semi-supervised sweep (accuracy against the label budget l, log axis)."""

from __future__ import annotations

import numpy as np

from . import style
from .semisup import CLASSIFIER_LABELS
from .style import plt

REPRESENTATION_LABELS = {"vae": "VAE codes", "dae": "DAE codes", "pixels": "raw pixels"}


def learning_curves(summary, representations=("vae", "dae")):
    """One panel per representation: mean test accuracy ± 95 % interval per classifier; the raw-pixel MLP
    is the dashed black reference in every panel."""
    fig, axes = plt.subplots(1, len(representations), figsize=(style.PAGE_WIDTH, 3.0), sharey=True, squeeze=False)
    pixels = summary[summary.representation == "pixels"].sort_values("budget")
    for ax, rep in zip(axes[0], representations):
        part = summary[summary.representation == rep]
        for i, (clf, g) in enumerate(part.groupby("classifier", sort=True)):
            g = g.sort_values("budget")
            color = style.PALETTE[i % len(style.PALETTE)]
            ax.plot(g.budget, 100 * g.mean_accuracy, marker="o", ms=3, color=color, label=CLASSIFIER_LABELS[clf])
            ax.fill_between(g.budget, 100 * g.ci95_low, 100 * g.ci95_high, color=color, alpha=0.2, lw=0)
        if len(pixels):
            ax.plot(pixels.budget, 100 * pixels.mean_accuracy, "k--", marker="s", ms=3, label="MLP on raw pixels")
            ax.fill_between(pixels.budget, 100 * pixels.ci95_low, 100 * pixels.ci95_high, color="k", alpha=0.1, lw=0)
        ax.set(xscale="log", xlabel="labelled training images $l$", title=REPRESENTATION_LABELS[rep])
    shown = summary[summary.representation.isin([*representations, "pixels"])]
    low, high = 100 * shown.ci95_low.min(), 100 * shown.ci95_high.max()
    axes[0][0].set_ylim(max(0.0, low - 3), min(100.0, high + 3))  # zoom on the data, never beyond 0-100 %
    axes[0][0].set_ylabel("test accuracy (%)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False)
    return fig


def paired_differences(frames: dict):
    """Mean paired difference in accuracy (percentage points) with its 95 % interval, per budget.
    `frames[label]` is a table from `semisup.paired_differences`."""
    fig, ax = plt.subplots(figsize=(style.PAGE_WIDTH, 2.8))
    n = len(frames)
    for i, (label, d) in enumerate(frames.items()):
        d = d.sort_values("budget")
        shift = np.exp((i - (n - 1) / 2) * 0.06)  # small horizontal offsets on the log axis
        mean = 100 * d.mean_difference.to_numpy()
        err = np.vstack([mean - 100 * d.ci95_low.to_numpy(), 100 * d.ci95_high.to_numpy() - mean])
        ax.errorbar(d.budget * shift, mean, yerr=err, marker="o", ms=3, capsize=2, label=label,
                    color=style.PALETTE[i % len(style.PALETTE)])
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set(xscale="log", xlabel="labelled training images $l$", ylabel="accuracy difference (points)")
    ax.legend(loc="best")
    return fig
