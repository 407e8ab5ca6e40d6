"""Figures of the report. Each function returns a Matplotlib figure; `Outputs.figure` saves it.

Image arrays are float in [0, 1] of shape (n, 28, 28) unless said otherwise.
"""

from __future__ import annotations

import numpy as np

from . import style
from .style import plt

IMG = 28


def training_curves(histories: dict[str, dict[str, list[float]]], unit: str = "nats / image"):
    """One panel per loss term; one line per model. `histories[model][term]` is a per-epoch list."""
    terms = [t for t in ("loss", "reconstruction", "kl") if any(t in h for h in histories.values())]
    titles = {"loss": "total (negative ELBO)", "reconstruction": "reconstruction NLL", "kl": "KL(q(z|x) || p(z))"}
    fig, axes = plt.subplots(1, len(terms), figsize=(style.PAGE_WIDTH, 2.4), squeeze=False)
    for ax, term in zip(axes[0], terms):
        for model, hist in histories.items():
            if term in hist:
                ax.plot(np.arange(1, len(hist[term]) + 1), hist[term], label=model)
        ax.set(title=titles[term], xlabel="epoch", ylabel=unit)
    axes[0][0].legend()
    return fig


def latent_scatter(z: np.ndarray, labels: np.ndarray, class_names, title: str = ""):
    """Test-set latent means z (n, 2) coloured by label."""
    fig, ax = plt.subplots(figsize=(style.PAGE_WIDTH * 0.75, style.PAGE_WIDTH * 0.62))
    colors = style.class_colors(len(class_names))
    for k, name in enumerate(class_names):
        sel = labels == k
        ax.scatter(z[sel, 0], z[sel, 1], s=2, color=colors[k], label=name, alpha=0.6, rasterized=True)
    ax.set(xlabel="$z_1$ (posterior mean)", ylabel="$z_2$ (posterior mean)", title=title, aspect="equal")
    ax.legend(title="label", markerscale=5, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return fig


def tile(images: np.ndarray, rows: int, cols: int, pad: int = 0) -> np.ndarray:
    """Arrange images (rows*cols, 28, 28) into one (rows*28, cols*28) mosaic, row-major; the padding is
    0, which the report's inverted grey map shows as white."""
    h = IMG + pad
    canvas = np.zeros((rows * h - pad, cols * h - pad))
    for i, img in enumerate(images[: rows * cols]):
        r, c = divmod(i, cols)
        canvas[r * h: r * h + IMG, c * h: c * h + IMG] = img
    return canvas


def latent_grid(images: np.ndarray, axis_values: np.ndarray, title: str = ""):
    """Decoded images on a square grid; images[i*n + j] is decoded at (z1=axis[j], z2=axis[n-1-i])."""
    n = len(axis_values)
    step = axis_values[1] - axis_values[0]
    lo, hi = axis_values[0] - step / 2, axis_values[-1] + step / 2
    fig, ax = plt.subplots(figsize=(style.PAGE_WIDTH * 0.8, style.PAGE_WIDTH * 0.8))
    ax.imshow(tile(images, n, n), cmap="gray_r", extent=(lo, hi, lo, hi), vmin=0, vmax=1, interpolation="nearest")
    ax.set(xlabel="$z_1$", ylabel="$z_2$", title=title)
    ax.grid(False)
    return fig


def grid_points(n: int, extent: float) -> tuple[np.ndarray, np.ndarray]:
    """Axis values and the (n*n, 2) latent points in `latent_grid`'s order (top row = largest z2)."""
    axis = np.linspace(-extent, extent, n)
    z1, z2 = np.meshgrid(axis, axis[::-1])
    return axis, np.stack([z1.ravel(), z2.ravel()], axis=1).astype("float32")


def image_rows(rows: dict[str, np.ndarray], title: str = ""):
    """One row of images per entry (label -> (k, 28, 28)), same columns = same source image."""
    k = max(len(v) for v in rows.values())
    fig, axes = plt.subplots(len(rows), 1, figsize=(style.PAGE_WIDTH, 0.72 * len(rows) * style.PAGE_WIDTH / k + 0.3))
    axes = np.atleast_1d(axes)
    for ax, (label, imgs) in zip(axes, rows.items()):
        ax.imshow(tile(imgs, 1, k, pad=2), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([]), ax.set_yticks([])
        ax.grid(False)
        ax.set_ylabel(label, rotation=0, ha="right", va="center")
        for side in ax.spines.values():
            side.set_visible(False)
    if title:
        axes[0].set_title(title)
    return fig


def sample_panels(panels: dict[str, np.ndarray], rows: int = 6, cols: int = 6):
    """Side-by-side mosaics of generated images, one panel per method."""
    fig, axes = plt.subplots(1, len(panels), figsize=(style.PAGE_WIDTH, style.PAGE_WIDTH / len(panels) + 0.4))
    for ax, (label, imgs) in zip(np.atleast_1d(axes), panels.items()):
        ax.imshow(tile(imgs, rows, cols, pad=2), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(label)
        ax.axis("off")
    return fig


def latent_gaps(z_test: np.ndarray, labels: np.ndarray, gap_points: np.ndarray, gap_images: np.ndarray,
                extent: float, class_names):
    """Left: test means with numbered gap points; right: the images decoded at those points."""
    fig = plt.figure(figsize=(style.PAGE_WIDTH, style.PAGE_WIDTH * 0.5))
    left, right = fig.subfigures(1, 2, width_ratios=[1.1, 1])
    ax = left.subplots()
    colors = style.class_colors(len(class_names))
    for k in range(len(class_names)):
        sel = labels == k
        ax.scatter(z_test[sel, 0], z_test[sel, 1], s=1, color=colors[k], alpha=0.35, rasterized=True)
    theta = np.linspace(0, 2 * np.pi, 200)
    for r in (1, 2):
        ax.plot(r * np.cos(theta), r * np.sin(theta), color="0.3", lw=0.8, ls="--")
    ax.scatter(gap_points[:, 0], gap_points[:, 1], s=60, facecolor="white", edgecolor="black", zorder=3)
    for i, (x, y) in enumerate(gap_points):
        ax.annotate(str(i + 1), (x, y), ha="center", va="center", fontsize=7, zorder=4)
    ax.set(xlim=(-extent, extent), ylim=(-extent, extent), aspect="equal", xlabel="$z_1$", ylabel="$z_2$",
           title="test means, prior 1σ/2σ circles, gaps")
    n = len(gap_images)
    cols = int(np.ceil(np.sqrt(n)))
    axes = right.subplots(int(np.ceil(n / cols)), cols)
    for i, a in enumerate(np.ravel(axes)):
        a.set_xticks([]), a.set_yticks([]), a.grid(False)
        if i < n:
            a.imshow(gap_images[i], cmap="gray_r", vmin=0, vmax=1)
            a.set_title(f"gap {i + 1}", fontsize=7)
        else:
            a.axis("off")
    return fig
