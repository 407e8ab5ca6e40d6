"""Figures of the report. Each function returns a Matplotlib figure; `Outputs.figure` saves it.

Image arrays are float in [0, 1] of shape (n, 28, 28) unless said otherwise.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.ticker import MaxNLocator

from . import style
from .style import plt

IMG = 28


CURVE_TITLES = {"loss": "total", "reconstruction": "reconstruction NLL", "kl": "KL(q(z|x) || p(z))"}
HELD_OUT_STYLES = {"test": ("held-out test", "--"), "corrupted": ("test, corrupted inputs", ":")}


def _zoom_on_late_epochs(ax, series: list[list[float]]) -> None:
    """Y-range from the lowest value to the highest after the first tenth of the epochs, so that the
    train/held-out gap of the later epochs is visible (the first epochs' higher losses are cut off)."""
    values = np.concatenate([np.asarray(s, dtype=float) for s in series])
    late = np.concatenate([np.asarray(s, dtype=float)[min(len(s) // 10 + 1, len(s) - 1):] for s in series])
    if len(late) and np.all(np.isfinite(values)):
        low, high = values.min(), late.max()
        pad = 0.05 * (high - low) or 1.0
        ax.set_ylim(low - pad, high + pad)


def training_curves(histories: dict[str, dict[str, list[float]]], unit: str = "nats / image"):
    """One row per model, one panel per loss term, each with its own y-axis: the training value (mean over
    the epoch's batches, solid) and the held-out values measured at each epoch's end (dashed/dotted).
    `histories[model]` maps 'loss', 'reconstruction', 'kl' and '<held-out set>_<term>' to per-epoch lists."""
    terms = [t for t in CURVE_TITLES if any(t in h for h in histories.values())]
    fig, axes = plt.subplots(len(histories), len(terms), figsize=(style.PAGE_WIDTH, 1.9 * len(histories) + 0.5),
                             squeeze=False)
    for row, (model, hist) in zip(axes, histories.items()):
        for ax, term in zip(row, terms):
            if term not in hist or (term == "loss" and "kl" not in hist):  # without a KL term, total = reconstruction
                ax.axis("off")
                continue
            epochs = np.arange(1, len(hist[term]) + 1)
            ax.plot(epochs, hist[term], color=style.CURVE_COLORS["training"], label="training")
            for held, (label, ls) in HELD_OUT_STYLES.items():
                if f"{held}_{term}" in hist:
                    color = style.CURVE_COLORS[held]
                    values = hist[f"{held}_{term}"]  # a curve measured at the last epoch only is one point
                    ax.plot(epochs[len(epochs) - len(values):], values, ls, color=color, label=label)
                    last = hist[f"{held}_{term}"][-1]  # the value the tables report, written at its point
                    ax.plot(epochs[-1], last, "o", ms=3, color=color)
                    # right of the last point, in a margin no curve enters
                    ax.annotate(f"{last:.1f}", (epochs[-1], last), xytext=(4, 0), textcoords="offset points",
                                ha="left", va="center", fontsize=8, color=color)
            ax.set_title("total (negative ELBO)" if term == "loss" else CURVE_TITLES[term])
            ax.set_xlabel("epoch")
            ax.set_xticks([t for t in MaxNLocator(integer=True, nbins=5).tick_values(0, epochs[-1]) if t <= epochs[-1]])
            ax.set_xlim(0, epochs[-1] * 1.22)
            _zoom_on_late_epochs(ax, [hist[k] for k in hist if k == term or k.endswith("_" + term)])
        next(ax for ax in row if ax.axison).set_ylabel(f"{model}\n{unit}")
    handles = {}
    for ax in axes.ravel():
        for h, l in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(l, h)
    fig.legend(handles.values(), handles.keys(), loc="outside lower center", ncol=len(handles), frameon=False)
    return fig


def kl_per_unit(kl: np.ndarray, active: np.ndarray):
    """Bars of each latent unit's mean KL to the prior (kl, (K,), nats per image), largest first, the active
    units (active, (K,) bool) dark and the others light."""
    order = np.argsort(-kl, kind="stable")
    fig, ax = plt.subplots(figsize=(style.PAGE_WIDTH, 2.2))
    colors = ["0.25" if active[k] else "0.75" for k in order]
    ax.bar(range(len(kl)), kl[order], color=colors, width=0.7)
    shown = range(0, len(kl), -(-len(kl) // 32))  # at most 32 labels (a 64-unit code: every other bar)
    ax.set_xticks(list(shown), [str(order[i] + 1) for i in shown])
    ax.set_xlabel("latent unit (numbered as in the code), largest KL first; dark: active")
    ax.set_ylabel("KL to the prior\n(nats / image)")
    ax.yaxis.set_major_locator(MaxNLocator(4))
    return fig


def latent_scatter(z: np.ndarray, labels: np.ndarray, class_names, title: str = ""):
    """Test-set latent means z (n, 2): one small panel per class (its points in colour over all the others
    in light grey), so that no class hides another."""
    n = len(class_names)
    cols = 5
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(style.PAGE_WIDTH, 1.45 * rows + 0.5), sharex=True, sharey=True,
                             squeeze=False)
    colors = style.class_colors(n)
    lim = float(np.quantile(np.abs(z), 0.995)) * 1.05
    for k, ax in enumerate(axes.ravel()):
        if k >= n:
            ax.axis("off")
            continue
        sel = labels == k
        ax.scatter(z[~sel, 0], z[~sel, 1], s=0.5, color="0.86", rasterized=True, linewidths=0)
        ax.scatter(z[sel, 0], z[sel, 1], s=0.8, color=colors[k], rasterized=True, linewidths=0)
        ax.set_title(f"{class_names[k]} ({sel.sum()})", fontsize=8)
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
        ax.tick_params(labelsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("$z_2$")
    for ax in axes[-1]:
        ax.set_xlabel("$z_1$")
    if title:
        fig.suptitle(title)
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
    """One row of images per entry (label -> (k, 28, 28)), same columns = same source image; each row's label
    stands above it, so that the images span the page width."""
    k = max(len(v) for v in rows.values())
    row_height = style.PAGE_WIDTH / k + 0.2  # the images and their label's line
    fig, axes = plt.subplots(len(rows), 1, figsize=(style.PAGE_WIDTH, len(rows) * row_height + (0.3 if title else 0)))
    axes = np.atleast_1d(axes)
    for ax, (label, imgs) in zip(axes, rows.items()):
        ax.imshow(tile(imgs, 1, k, pad=2), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([]), ax.set_yticks([])
        ax.grid(False)
        ax.set_title(label, loc="left", fontsize=8, pad=2)
        for side in ax.spines.values():
            side.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


def sample_panels(panels: dict[str, np.ndarray], rows: int = 2, cols: int = 8, panel_columns: int = 1):
    """Generated images (label -> (rows * cols, 28, 28)), one block of rows x cols per method, the blocks in
    `panel_columns` columns, so each image is large enough to judge."""
    panel_rows = -(-len(panels) // panel_columns)
    width = style.PAGE_WIDTH / panel_columns
    fig, axes = plt.subplots(panel_rows, panel_columns, squeeze=False,
                             figsize=(style.PAGE_WIDTH, panel_rows * (rows * width / cols + 0.3)))
    for ax in axes.flat:
        ax.axis("off")
    for ax, (label, imgs) in zip(axes.flat, panels.items()):
        ax.imshow(tile(imgs, rows, cols, pad=2), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(label, fontsize=9)
    return fig


def _grid_image(points: np.ndarray, values: np.ndarray, radius: float) -> np.ndarray:
    """Values (m,) at the points (m, 2) of a square grid over [-radius, radius]^2 (as `latent.disc_grid` makes)
    placed into an image, rows from bottom z2 = -radius; cells without a point are False."""
    step = np.min(np.diff(np.unique(points[:, 0])))
    n = int(round(2 * radius / step)) + 1
    col, row = np.rint((points + radius) / step).astype(int).T
    image = np.zeros((n, n), dtype=bool)
    image[row, col] = values
    return image


def latent_gaps(ratio_map: np.ndarray, view: float, gap_points: np.ndarray, gap_images: np.ndarray,
                radius: float, threshold: float, disc_points: np.ndarray, disc_below: np.ndarray):
    """Left: log10 of q(z)/p(z) over [-view, view]^2 (ratio_map rows from top z2 = view), pale, the disc searched
    (radius) with its grid points below the threshold (disc_points (m, 2), disc_below (m,)) filled black, and the
    numbered gap points, labelled to the side; right: the images decoded there."""
    fig = plt.figure(figsize=(style.PAGE_WIDTH, style.PAGE_WIDTH * 0.5))
    left, right = fig.subfigures(1, 2, width_ratios=[1.25, 1])
    ax = left.subplots()
    shown = np.log10(np.clip(ratio_map, 1e-3, 1e3))
    # The map is drawn pale, so that the gaps inside the disc (solid black, on the disc's finer grid) stand out.
    image = ax.imshow(shown, cmap="RdBu", vmin=-3, vmax=3, extent=(-view, view, -view, view), interpolation="nearest",
                      alpha=0.55)
    if len(disc_points):
        below = _grid_image(disc_points, disc_below, radius)
        half = radius / (below.shape[0] - 1)
        ax.imshow(np.ma.masked_where(~below, below), cmap=ListedColormap(["black"]), origin="lower",
                  extent=(-radius - half, radius + half, -radius - half, radius + half), interpolation="nearest")
    theta = np.linspace(0, 2 * np.pi, 200)
    ax.plot(radius * np.cos(theta), radius * np.sin(theta), color="black", lw=1.2)
    # Each numbered point is labelled off to the side, with a thin leader, so that no marker covers a gap.
    for i, (x, y) in enumerate(gap_points):
        ax.annotate(str(i + 1), (x, y), xytext=(12, 10), textcoords="offset points", fontsize=8, zorder=4,
                    color="darkgoldenrod", fontweight="bold",
                    arrowprops={"arrowstyle": "-", "color": "darkgoldenrod", "lw": 0.8, "shrinkA": 0, "shrinkB": 2})
    ax.set(xlabel="$z_1$", ylabel="$z_2$", aspect="equal", xlim=(-view, view), ylim=(-view, view))
    ax.grid(False)
    bar = left.colorbar(image, ax=ax, shrink=0.8, ticks=[-3, -2, -1, 0, 1, 2, 3])
    bar.set_label("$\\log_{10}\\, q(z) / p(z)$")
    n = len(gap_images)
    if n == 0:
        right.text(0.5, 0.5, "no grid point of the disc\nis below the threshold", ha="center", va="center")
        return fig
    cols = int(np.ceil(np.sqrt(n)))
    axes = right.subplots(int(np.ceil(n / cols)), cols, squeeze=False)
    for i, a in enumerate(np.ravel(axes)):
        a.axis("off")
        if i < n:
            a.imshow(gap_images[i], cmap="gray_r", vmin=0, vmax=1)
            a.set_title(f"gap {i + 1}", fontsize=8)
    return fig
