"""One figure style for the whole report: page-sized figures, readable fonts, colour-blind-safe colours."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Okabe & Ito's colour-blind-safe palette, then two greys.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
           "#999999", "#7F3C8D"]
# Ten class colours: Paul Tol's colour-blind-safe "muted" scheme (nine hues) plus black.
CLASS_COLORS = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255",
                "#AA4499", "#000000"]
# One colour per input across every figure: VAE codes blue, DAE codes orange, raw pixels black; other roles
# (training and held-out curves) use colours no input uses.
INPUT_COLORS = {"vae": PALETTE[0], "dae": PALETTE[1], "pixels": PALETTE[7]}
CURVE_COLORS = {"training": "0.45", "test": PALETTE[2], "corrupted": PALETTE[3]}
SEQUENTIAL = "viridis"
PAGE_WIDTH = 6.4  # inches: within the text width of the report's A4 page (16.6 cm), so printed 1:1


def apply() -> None:
    plt.rcParams.update({
        "figure.figsize": (PAGE_WIDTH, PAGE_WIDTH * 0.62),
        "figure.dpi": 100,
        "figure.constrained_layout.use": True,
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.labelsize": 9,
        "legend.fontsize": 8,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "image.cmap": SEQUENTIAL,
        "savefig.bbox": "tight",
        "pdf.fonttype": 42,
        "svg.hashsalt": "vaereport",
    })


def class_colors(n: int = 10) -> list:
    """Colours for up to ten class labels, distinguishable under the common colour-vision deficiencies."""
    return CLASS_COLORS[:n]


apply()
