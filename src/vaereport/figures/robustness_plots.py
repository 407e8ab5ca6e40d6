"""Figures of the 'Choices and robustness' section, drawn from the study's cells at render time."""

from __future__ import annotations

import numpy as np

from . import style
from .plots import tile
from .style import plt

MODEL_COLORS = {"VAE": style.INPUT_COLORS["vae"], "DAE": style.INPUT_COLORS["dae"]}
BUDGET_STYLES = ["o-", "s--", "^:", "D-."]


def error_bars(mean: np.ndarray, lows: list, highs: list, scale: float = 1.0) -> np.ndarray:
    """Matplotlib's (2, n) `yerr` from interval ends in the values' units times `scale`; no bar where an interval
    is None (a single run)."""
    low = np.array([mean[i] if v is None else scale * v for i, v in enumerate(lows)], dtype=float)
    high = np.array([mean[i] if v is None else scale * v for i, v in enumerate(highs)], dtype=float)
    return np.vstack([mean - low, high - mean])


def _code_axis(ax, sizes, chosen):
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.minorticks_off()
    if chosen in sizes:
        ax.axvline(chosen, color="0.5", lw=0.8, ls=":")


def code_size(rows: list[dict], chosen: int):
    """Four panels against the code size (log axis; the dotted line marks the full report's choice):
    reconstruction error, the VAE's −ELBO with its active units, Fréchet distances of generated images, and
    the chosen classifier's accuracy (on its evaluation images) at each label budget."""
    sizes = [r["latent_dim"] for r in rows]
    fig, axes = plt.subplots(2, 2, figsize=(style.PAGE_WIDTH, 5.4))
    (rec, elbo), (fd, acc) = axes
    for model in ("VAE", "DAE"):
        rec.plot(sizes, [1000 * r[f"{model.lower()}_mse"] for r in rows], "o-", ms=3, color=MODEL_COLORS[model], label=model)
    rec.set(title="(a) test reconstruction error", ylabel="MSE per pixel (×10⁻³)")
    elbo.plot(sizes, [r["vae_neg_elbo"] for r in rows], "o-", ms=3, color=MODEL_COLORS["VAE"])
    for s, r in zip(sizes, rows):
        elbo.annotate(f"{r['active_units']}", (s, r["vae_neg_elbo"]), textcoords="offset points", xytext=(0, 5),
                      ha="center", fontsize=8)
    elbo.set(title="(b) VAE test −ELBO (labels: active units)", ylabel="nats per image")
    elbo.margins(y=0.2)
    for model, key, label in (("VAE", "vae_fd", "VAE, z ~ N(0, I)"), ("DAE", "dae_fd", "DAE, fitted Gaussian")):
        mean = np.array([r[key]["frechet_distance"] for r in rows])
        err = np.array([1.96 * r[key]["fd_se"] for r in rows])
        fd.errorbar(sizes, mean, yerr=err, fmt="o-", ms=3, capsize=2, color=MODEL_COLORS[model], label=label)
    fd.set(title="(c) Fréchet distance of samples", ylabel="distance (reference features)")
    budgets = rows[0]["budgets"] if rows else []
    for i, l in enumerate(budgets):
        for model in ("VAE", "DAE"):
            cells = [r["accuracy"].get((model.lower(), l)) for r in rows]
            mean = np.array([100 * c["mean_accuracy"] for c in cells])
            err = error_bars(mean, [c["ci95_low"] for c in cells], [c["ci95_high"] for c in cells], scale=100)
            acc.errorbar(sizes, mean, yerr=err, fmt=BUDGET_STYLES[i % 4], ms=3, capsize=2,
                         color=MODEL_COLORS[model], label=f"{model}, l = {l:,}")
    acc.set(title="(d) accuracy, chosen classifier", ylabel="accuracy (%)")
    for ax in axes.ravel():
        _code_axis(ax, sizes, chosen)
    for ax in axes[1]:
        ax.set_xlabel("code size (latent dimension)")
    rec.legend(fontsize=8)
    fd.legend(fontsize=8, loc="best")
    handles, labels = acc.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False, fontsize=8)
    return fig


def seed_differences(rows: list[dict], method_labels: dict[str, str] | None = None):
    """VAE − DAE accuracy difference per label budget, one panel per method of `rows` (`robustness.seed_rows`):
    each autoencoder seed's mean over the labelled subsets (small markers, subsets-only 95 % intervals) and the
    mean over seeds with the interval that also counts the seed (black)."""
    methods = list(dict.fromkeys(r.get("method", "chosen") for r in rows)) or ["chosen"]
    widths = [max(1, sum(r.get("method", "chosen") == m for r in rows)) for m in methods]
    fig, axes = plt.subplots(1, len(methods), figsize=(style.PAGE_WIDTH, 2.8), sharey=True, squeeze=False,
                             gridspec_kw={"width_ratios": widths})
    seeds = list(rows[0]["per_seed"]) if rows else []
    for ax, method in zip(axes[0], methods):
        mine = [r for r in rows if r.get("method", "chosen") == method]
        x = np.arange(len(mine))
        for j, seed in enumerate(seeds):
            off = (j - (len(seeds) - 1) / 2) * 0.12 - 0.15
            mean = np.array([100 * r["per_seed"][seed]["mean"] for r in mine])
            err = error_bars(mean, [r["per_seed"][seed]["low"] for r in mine],
                             [r["per_seed"][seed]["high"] for r in mine], scale=100)
            ax.errorbar(x + off, mean, yerr=err, fmt="o", ms=3, capsize=2, color=style.PALETTE[(j + 2) % 7],
                        label=f"autoencoder seed {seed} (subsets only)")
        mean = np.array([100 * r["mean"] for r in mine])
        err = error_bars(mean, [r["low"] for r in mine], [r["high"] for r in mine], scale=100)
        ax.errorbar(x + 0.25, mean, yerr=err, fmt="D", ms=5, capsize=3, lw=1.6, color="black",
                    label="mean over seeds (seeds and subsets)")
        ax.axhline(0, color="0.3", lw=0.8)
        ax.set_xticks(x, [f"{r['budget']:,}" for r in mine])
        ax.set_xlim(-0.6, len(mine) - 0.4)
        ax.set(xlabel="labels", title=(method_labels or {}).get(method, method))
        ax.grid(axis="x", visible=False)
    axes[0][0].set(ylabel="VAE − DAE accuracy (points)")
    fig.legend(*axes[0][0].get_legend_handles_labels(), loc="outside lower center", ncol=2, frameon=False, fontsize=8)
    return fig


def sigma_grids(rows: list[dict], grids: dict[float, tuple[np.ndarray, np.ndarray]]):
    """The decoded latent grid of each σ cell side by side (2 per row)."""
    n = len(rows)
    cols = 2 if n > 1 else 1
    nrows = int(np.ceil(n / cols))
    width = style.PAGE_WIDTH / cols
    fig, axes = plt.subplots(nrows, cols, figsize=(style.PAGE_WIDTH, nrows * (width + 0.35)), squeeze=False)
    for ax, r in zip(axes.ravel(), rows):
        images, axis = grids[r["sigma"]]
        k = len(axis)
        step = axis[1] - axis[0]
        lo, hi = axis[0] - step / 2, axis[-1] + step / 2
        ax.imshow(tile(images, k, k), cmap="gray_r", extent=(lo, hi, lo, hi), vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"σ = {r['sigma']:g}", fontsize=9)
        ax.set_xlabel("$z_1$", labelpad=1)
        ax.set_ylabel("$z_2$", labelpad=1)
        ax.grid(False)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    return fig


def sigma_reconstructions(original: np.ndarray, recon: dict[float, np.ndarray]):
    """Fixed test digits and their reconstructions (decoder mean at the posterior mean), one row per σ."""
    from .plots import image_rows

    return image_rows({"original": original, **{f"σ = {s:g}": r for s, r in recon.items()}})
