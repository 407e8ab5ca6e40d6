"""Figures of the semi-supervised sweep (accuracy against the label budget l, log axis)."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D

from . import style
from ..science.semisup import CLASSIFIER_LABELS, MLP_EARLY_STOPPING_FROM, REPRESENTATION_LABELS
from .style import plt

KEY_COLOR = "0.3"  # line-style keys of a figure legend, where the panel's title names the input and its colour


def _key(label: str, ls: str = "-", marker: str | None = None, color: str = KEY_COLOR) -> Line2D:
    return Line2D([], [], ls=ls, marker=marker, ms=3, color=color, label=label)


def _figure_legend(fig, handles: list, ncol: int | None = None) -> None:
    """One legend under the panels, outside every axes, so no key covers a curve."""
    fig.legend(handles=handles, loc="outside lower center", ncol=ncol or len(handles), frameon=False, fontsize=8)


def _band(ax, g, color, label, ls="-", marker="o"):
    """Mean accuracy (%) against l with its 95 % interval as a band where there is one."""
    g = g.sort_values("budget")
    ax.plot(g.budget, 100 * g.mean_accuracy, ls, marker=marker, ms=3, color=color, label=label)
    ax.fill_between(g.budget, 100 * g.ci95_low, 100 * g.ci95_high, color=color, alpha=0.18, lw=0)


def _mark_mlp_protocol(ax, frame):
    """A dotted vertical line where the MLP starts to stop early (when the budgets span it)."""
    if frame.budget.min() < MLP_EARLY_STOPPING_FROM <= frame.budget.max():
        ax.axvline(MLP_EARLY_STOPPING_FROM, color="0.55", lw=0.8, ls=":", zorder=0)
        ax.annotate("MLP stops early\nfrom here", (MLP_EARLY_STOPPING_FROM, 0.02), xycoords=("data", "axes fraction"),
                    xytext=(3, 0), textcoords="offset points", fontsize=8, color="0.4")


def _zoom(ax, frame):
    low = 100 * np.nanmin(frame[["mean_accuracy", "ci95_low"]].to_numpy())
    high = 100 * np.nanmax(frame[["mean_accuracy", "ci95_high"]].to_numpy())
    ax.set_ylim(max(0.0, low - 2), min(100.0, high + 2))  # zoom on the data, never beyond 0-100 %


def learning_curves(summary):
    """Small multiples, one panel per input in its colour: the label-only selection (solid, with its 95 % band),
    label spreading (dashed, codes only) and the fixed MLP (dotted), mean test accuracy over the labelled subsets;
    the other inputs' selection in light grey behind, for comparison on the same axes."""
    reps = [r for r in style.INPUT_COLORS if len(summary[(summary.representation == r) & (summary.classifier == "chosen")])]
    fig, axes = plt.subplots(1, len(reps), figsize=(style.PAGE_WIDTH, 3.0), sharey=True, squeeze=False)
    chosen = summary[summary.classifier == "chosen"]
    shown = set()
    for ax, rep in zip(axes[0], reps):
        for other in reps:
            if other != rep:
                g = chosen[chosen.representation == other].sort_values("budget")
                ax.plot(g.budget, 100 * g.mean_accuracy, "-", color="0.8", lw=1, zorder=0)
        color = style.INPUT_COLORS[rep]
        _band(ax, chosen[chosen.representation == rep], color, "label-only selection")
        for clf, ls, marker, label in (("label_spreading", "--", "s", "label spreading"), ("mlp", ":", "^", "fixed MLP")):
            g = summary[(summary.representation == rep) & (summary.classifier == clf)].sort_values("budget")
            if len(g):
                ax.plot(g.budget, 100 * g.mean_accuracy, ls, marker=marker, ms=3, color=color, label=label)
                shown.add(clf)
        ax.set(xscale="log", title=REPRESENTATION_LABELS[rep], xlabel="labels $l$")
        _mark_mlp_protocol(ax, chosen)
    _zoom(axes[0][0], summary[summary.classifier.isin(["chosen", "label_spreading", "mlp"])])
    axes[0][0].set_ylabel("test accuracy (%)")
    keys = [_key("label-only selection (band: 95 % interval)", "-", "o")]
    keys += [_key(label, ls, marker) for clf, ls, marker, label in
             (("label_spreading", "--", "s", "label spreading (codes)"), ("mlp", ":", "^", "fixed MLP")) if clf in shown]
    _figure_legend(fig, keys + [_key("the other inputs' selection", color="0.8")], ncol=2)
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
        for rep, color in style.INPUT_COLORS.items():
            g = part[(part.representation == rep) & (part.classifier == clf)]
            if len(g):
                _band(ax, g, color, REPRESENTATION_LABELS[rep])
        ax.set(xscale="log", title=CLASSIFIER_LABELS[clf])
        if clf == "mlp" and len(part):
            _mark_mlp_protocol(ax, part)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    _zoom(axes[0][0], part)
    for ax in axes[:, 0]:
        ax.set_ylabel("test accuracy (%)")
    for ax in axes[-1]:
        ax.set_xlabel("labels $l$")
    present = set(part.representation)
    _figure_legend(fig, [_key(REPRESENTATION_LABELS[rep], "-", "o", color) for rep, color in style.INPUT_COLORS.items()
                         if rep in present])
    return fig


def paired_differences(frames: dict):
    """Small multiples, one panel per comparison: the mean paired difference in accuracy (percentage points) per
    budget with its interval (simultaneous over the budgets of the panel; a point without a bar where there is
    a single run). `frames[label]` is from `semisup.paired_differences`."""
    n = len(frames)
    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(style.PAGE_WIDTH, 1.9 * rows + 0.3), sharex=True, sharey=True,
                             squeeze=False)
    for ax, (label, d) in zip(axes.ravel(), frames.items()):
        d = d.sort_values("budget")
        mean = 100 * d.mean_difference.to_numpy()
        err = np.vstack([mean - 100 * d.ci95_low.to_numpy(), 100 * d.ci95_high.to_numpy() - mean])
        excludes = (d.ci95_low > 0) | (d.ci95_high < 0)
        ax.axhline(0, color="0.5", lw=0.8)
        ax.errorbar(d.budget, mean, yerr=np.nan_to_num(err), fmt="none", ecolor="0.25", capsize=2, lw=1)
        ax.scatter(d.budget, mean, s=14, zorder=3, c=np.where(excludes, "0.1", "white"), edgecolors="0.1")
        ax.set(xscale="log", title=label)
        ax.title.set_fontsize(8)
        ax.tick_params(labelbottom=True)  # every panel keeps its budgets, not only the bottom row
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("difference (points)")
    for ax in axes[-1]:
        ax.set_xlabel("labels $l$")
    return fig


PREPROCESSING_STYLES = {"active": ("o", "-"), "standardise": ("s", "--"), "none": ("^", ":")}


def preprocessing_ablation(ablation):
    """One panel per input: mean test accuracy against l of each encoding and preprocessing, each with the
    classifier the label-only selection chose on that subset. `ablation` is the preprocessing_ablation table."""
    reps = [r for r in style.INPUT_COLORS if r in set(ablation.representation)]
    fig, axes = plt.subplots(1, len(reps), figsize=(style.PAGE_WIDTH, 2.9), sharey=True, squeeze=False)
    two_encodings = False
    for ax, rep in zip(axes[0], reps):
        part = ablation[ablation.representation == rep]
        encodings = sorted(set(part.encoding))
        two_encodings |= len(encodings) > 1
        for (enc, prep), g in part.groupby(["encoding", "preprocessing"], sort=True):
            mean = g.groupby("budget").accuracy.mean()
            marker, ls = PREPROCESSING_STYLES.get(prep, ("o", "-"))
            shade = 1.0 if enc == encodings[0] else 0.55
            color = tuple(shade * c + (1 - shade) for c in to_rgb(style.INPUT_COLORS[rep]))
            label = prep + (f", {enc}" if len(encodings) > 1 else "")
            ax.plot(mean.index, 100 * mean.to_numpy(), ls, marker=marker, ms=3, color=color, label=label)
        ax.set(xscale="log", title=REPRESENTATION_LABELS[rep], xlabel="labels $l$")
    axes[0][0].set_ylabel("test accuracy (%)")
    keys = [_key(prep, ls, marker) for prep, (marker, ls) in PREPROCESSING_STYLES.items()
            if prep in set(ablation.preprocessing)]
    if two_encodings:
        keys.append(_key("lighter: DAE codes of corrupted inputs", color="0.7"))
    _figure_legend(fig, keys)
    return fig
