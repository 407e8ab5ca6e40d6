"""Figures of the semi-supervised sweep (accuracy against the label budget l, log axis)."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from . import style
from ..science.graph_ssl import METHOD_LABELS
from ..science.semisup import CLASSIFIER_LABELS, MLP_EARLY_STOPPING_FROM, REPRESENTATION_LABELS, YARDSTICK_NAME
from .style import plt

# Every input's colour: the report's (style.INPUT_COLORS) and, for PCA of the pixels, which only Q2.3 draws,
# reddish purple.
INPUT_COLORS = {"vae": style.INPUT_COLORS["vae"], "dae": style.INPUT_COLORS["dae"], "pca": style.PALETTE[4],
                "pixels": style.INPUT_COLORS["pixels"]}
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


def _budget_ticks(ax, budgets) -> None:
    """Ticks at the label budgets themselves (1,000 rather than 10^3) on a log axis."""
    budgets = sorted({int(b) for b in budgets})
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_xticks(budgets, [f"{b:,}" for b in budgets], rotation=45 if len(budgets) > 4 else 0, fontsize=8)


def _zoom(ax, frame):
    low = 100 * np.nanmin(frame[["mean_accuracy", "ci95_low"]].to_numpy())
    high = 100 * np.nanmax(frame[["mean_accuracy", "ci95_high"]].to_numpy())
    ax.set_ylim(max(0.0, low - 2), min(100.0, high + 2))  # zoom on the data, never beyond 0-100 %


def _family_panels(classifiers: list[str], graph_methods: list[str], tuned: list[str]) -> list[tuple[str, list[str]]]:
    """(title, [method, its dashed variant]) per panel: the label-only selection, each classifier, each graph
    solver (dashed: rebalanced to class priors), fine-tuning."""
    panels = [("label-only selection", ["chosen"])] + [(CLASSIFIER_LABELS[c] + (" (fixed setting)" if c == "mlp" else ""), [c])
                                                      for c in classifiers]
    solvers = [m for m in graph_methods if not m.endswith("_priors")]
    panels += [(METHOD_LABELS[m], [m] + [v for v in graph_methods if v == f"{m}_priors"]) for m in solvers]
    return panels + [("fine-tuned encoder (pixels: from scratch)", ["finetune"]) for _ in tuned]


def method_families(summary, classifiers: list[str], graph_methods: list[str], tuned: list[str] = ()):
    """One panel per method family — the label-only selection, each scikit-learn classifier with its fixed setting,
    each graph solver, fine-tuning — with every input as a line in its colour: mean test accuracy against l (log
    axis) with the 95 % interval over the labelled subsets as a band. Each panel spans the budgets its method ran
    at. `summary` holds one protocol's rows."""
    panels = _family_panels(classifiers, graph_methods, list(tuned))
    cols = 3
    rows = int(np.ceil(len(panels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(style.PAGE_WIDTH, 1.9 * rows + 0.6), sharey=True, squeeze=False)
    present = [rep for rep in INPUT_COLORS if rep in set(summary.representation)]
    for ax, (title, methods) in zip(axes.ravel(), panels):
        drawn = summary[summary.classifier.isin(methods)]
        for method, ls in zip(methods, ("-", "--")):
            for rep in present:
                g = summary[(summary.representation == rep) & (summary.classifier == method)]
                if len(g):
                    _band(ax, g, INPUT_COLORS[rep], REPRESENTATION_LABELS[rep], ls=ls)
        ax.set(xscale="log", title=title)
        ax.title.set_fontsize(9)
        if methods == ["mlp"]:
            _mark_mlp_protocol(ax, summary)
        _budget_ticks(ax, drawn.budget if len(drawn) else summary.budget)
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    shown = summary[summary.classifier.isin([m for _, ms in panels for m in ms])]
    if len(shown):
        _zoom(axes[0][0], shown)
    for ax in axes[:, 0]:
        ax.set_ylabel("test accuracy (%)")
    for ax in axes.ravel()[max(0, len(panels) - cols):len(panels)]:
        ax.set_xlabel("labels $l$")
    keys = [_key(REPRESENTATION_LABELS[rep], "-", "o", INPUT_COLORS[rep]) for rep in present]
    if any(m.endswith("_priors") for m in graph_methods):
        keys.append(_key("dashed: rebalanced to the labels' class priors", "--"))
    _figure_legend(fig, keys, ncol=min(len(keys), 4))
    return fig


def _method_title(method: str) -> str:
    return {"chosen": "label-only selection", "finetune": "fine-tuned encoder"}.get(method) or METHOD_LABELS[method]


def _differences(ax, d, color, k: int, n: int) -> None:
    """Mean paired difference (points) against l with its interval as error bars, dodged on the log axis;
    filled markers where the interval excludes zero."""
    d = d.sort_values("budget")
    x = d.budget.to_numpy() * 1.07 ** (k - (n - 1) / 2)
    mean = 100 * d.mean_difference.to_numpy()
    err = np.vstack([mean - 100 * d.ci95_low.to_numpy(), 100 * d.ci95_high.to_numpy() - mean])
    excludes = ((d.ci95_low > 0) | (d.ci95_high < 0)).to_numpy()
    ax.errorbar(x, mean, yerr=np.nan_to_num(err), fmt="-", color=color, capsize=2, lw=1)
    ax.scatter(x, mean, s=18, zorder=3, c=[color if e else "white" for e in excludes], edgecolors=color)


def _difference_axes(ax, method: str, budgets) -> None:
    """A panel of paired differences: the zero line, the method as title, ticks at `budgets` on a log axis."""
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set(xscale="log", title=_method_title(method))
    ax.title.set_fontsize(9)
    _budget_ticks(ax, budgets)
    ax.set_xlabel("labels $l$")


def _difference_panels(n: int):
    cols = 2 if n > 1 else 1
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(style.PAGE_WIDTH, 2.3 * rows + 0.7), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    return fig, axes.ravel()[:n]


def gains_over_pixels(paired, protocol: str):
    """One panel per method that uses the unlabelled images (the label-only selection, each graph solver,
    fine-tuning): per input, that method's accuracy minus the yardstick's (the label-only selection on raw pixels)
    on the same labelled subsets, in points against l, with the interval that holds simultaneously over every
    comparison with the yardstick (filled: it excludes zero). Above zero, using the unlabelled images helped."""
    vs = paired[(paired.b == YARDSTICK_NAME) & (paired.protocol == protocol)]
    methods = ["chosen"] + [m for m in ("poisson", "laplace", "finetune") if (vs.a.str.endswith("/" + m)).any()]
    present = [rep for rep in INPUT_COLORS if vs.a.str.startswith(rep + "/").any()]
    fig, axes = _difference_panels(len(methods))
    for ax, method in zip(axes, methods):
        _difference_axes(ax, method, vs[vs.a.str.endswith("/" + method)].budget)
        for k, rep in enumerate(present):
            d = vs[vs.a == f"{rep}/{method}"]
            if len(d):
                _differences(ax, d, INPUT_COLORS[rep], k, len(present))
    for ax in axes[::2]:
        ax.set_ylabel("minus pixels' label-only\nselection (points)")
    _figure_legend(fig, [_key(REPRESENTATION_LABELS[rep], "-", "o", INPUT_COLORS[rep]) for rep in present]
                   + [_key("filled: interval excludes 0", "", "o")], ncol=5)
    return fig


# The like-for-like comparisons between the representations learnt without labels (the codes against raw
# pixels are in `gains_over_pixels`).
INPUT_PAIRS = [("dae", "vae"), ("dae", "pca"), ("vae", "pca")]
PAIR_COLORS = {("dae", "vae"): INPUT_COLORS["dae"], ("dae", "pca"): style.PALETTE[2], ("vae", "pca"): INPUT_COLORS["vae"]}


def _pair_rows(rows, a: str, b: str, method: str):
    """The paired differences a − b under `method` (flipped from b − a where that is how they were computed)."""
    d = rows[(rows.a == f"{a}/{method}") & (rows.b == f"{b}/{method}")]
    if len(d):
        return d
    d = rows[(rows.a == f"{b}/{method}") & (rows.b == f"{a}/{method}")].copy()
    d["mean_difference"], d["ci95_low"], d["ci95_high"] = -d.mean_difference, -d.ci95_high, -d.ci95_low
    return d


def input_differences(paired, protocol: str):
    """One panel per method that the inputs share (the label-only selection, each graph solver, fine-tuning): the
    paired accuracy differences DAE − VAE, DAE − PCA and VAE − PCA codes on the same labelled subsets, in points
    against l, with intervals simultaneous over the budgets of each line (filled: excludes zero)."""
    rows = paired[paired.protocol == protocol]
    methods = [m for m in ("chosen", "poisson", "laplace", "finetune")
               if any(len(_pair_rows(rows, a, b, m)) for a, b in INPUT_PAIRS)]
    fig, axes = _difference_panels(len(methods))
    shown = []
    for ax, method in zip(axes, methods):
        _difference_axes(ax, method, rows[rows.a.str.endswith("/" + method)].budget)
        for k, (a, b) in enumerate(INPUT_PAIRS):
            d = _pair_rows(rows, a, b, method)
            if len(d):
                _differences(ax, d, PAIR_COLORS[(a, b)], k, len(INPUT_PAIRS))
                if (a, b) not in shown:
                    shown.append((a, b))
    for ax in axes[::2]:
        ax.set_ylabel("difference in test\naccuracy (points)")
    name = lambda rep: "PCA" if rep == "pca" else rep.upper()  # noqa: E731
    _figure_legend(fig, [_key(f"{name(a)} − {name(b)}", "-", "o", PAIR_COLORS[(a, b)]) for a, b in shown]
                   + [_key("filled: interval excludes 0", "", "o")], ncol=4)
    return fig


PREPROCESSING_STYLES = {"active": ("o", "-"), "standardise": ("s", "--"), "none": ("^", ":")}


def preprocessing_ablation(ablation):
    """One panel per input: mean test accuracy against l of each preprocessing, each with the classifier the
    label-only selection chose on that subset. `ablation` is the preprocessing_ablation table (one protocol)."""
    reps = [r for r in INPUT_COLORS if r in set(ablation.representation)]
    fig, axes = plt.subplots(1, len(reps), figsize=(style.PAGE_WIDTH, 2.9), sharey=True, squeeze=False)
    for ax, rep in zip(axes[0], reps):
        part = ablation[ablation.representation == rep]
        for prep, g in part.groupby("preprocessing", sort=True):
            mean = g.groupby("budget").accuracy.mean()
            marker, ls = PREPROCESSING_STYLES.get(prep, ("o", "-"))
            ax.plot(mean.index, 100 * mean.to_numpy(), ls, marker=marker, ms=3, color=INPUT_COLORS[rep], label=prep)
        ax.set(xscale="log", title=REPRESENTATION_LABELS[rep], xlabel="labels $l$")
    axes[0][0].set_ylabel("test accuracy (%)")
    _figure_legend(fig, [_key(prep, ls, marker) for prep, (marker, ls) in PREPROCESSING_STYLES.items()
                         if prep in set(ablation.preprocessing)])
    return fig
