"""The HTML report's live latent plane: Q1's decoder run in the page, under the pointer.

A Q1 run exports its decoder's dense layers (`arrays/decoder_weights.npz`), the test set's posterior means with
their labels (`arrays/test_latents.npz`) and the density-ratio map (`arrays/density_ratio_map.npz`). This module
stores the weights as 16-bit floats (8-bit integers per output unit cost up to 0.2 in a pixel of the full decoder),
measures what that costs in decoded pixels, and
writes a raw-HTML block: a canvas of the latent plane and the image the decoder draws at the point under the
pointer, computed by a small script in the page (no network, no library). Pandoc passes the block to HTML only,
so the PDF is unchanged; with scripts disabled the block stays hidden and the static figures remain.

Arrays: weights w_i (in, out) float32, biases b_i (out,); latent points (n, 2); images (n, 784) in [0, 1].
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ACTIVATIONS = ("relu", "linear", "sigmoid")
# The probe on which the quantisation error is measured: a grid over the widget's view.
PROBE_POINTS = 101


def _sigmoid(h: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-h) without overflow warnings for very negative logits (e^-h saturates to inf, the result to 0)."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-h))


@dataclass
class Decoder:
    """A dense decoder: weights[i] (in, out), biases[i] (out,), activations[i] in ACTIVATIONS; a Bernoulli
    decoder's last layer is linear (logits), so its pixel means are the sigmoid of the output."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    activations: list[str]
    likelihood: str

    @classmethod
    def load(cls, path: Path) -> "Decoder":
        with np.load(path) as d:
            n = sum(1 for k in d.files if k.startswith("w"))
            acts = [str(a) for a in d["activations"]]
            unknown = set(acts) - set(ACTIVATIONS)
            if unknown:
                raise ValueError(f"{path}: activations {sorted(unknown)} are not supported by the widget")
            return cls([d[f"w{i}"].astype(np.float32) for i in range(n)], [d[f"b{i}"].astype(np.float32) for i in range(n)],
                       acts, str(d["likelihood"]))

    def pixel_means(self, z: np.ndarray) -> np.ndarray:
        """Decoded pixel means (n, 784) of latent points z (n, 2), in float32 like the page computes."""
        h = z.astype(np.float32)
        for w, b, act in zip(self.weights, self.biases, self.activations):
            h = h @ w + b
            h = np.maximum(h, 0) if act == "relu" else _sigmoid(h) if act == "sigmoid" else h
        return _sigmoid(h) if self.likelihood == "bernoulli" else h

    def quantised(self) -> tuple["Decoder", list[np.ndarray]]:
        """The decoder with its weights rounded to 16-bit floats, and those float16 arrays (what the page gets)."""
        halves = [w.astype(np.float16) for w in self.weights]
        return Decoder([h.astype(np.float32) for h in halves], self.biases, self.activations, self.likelihood), halves


def view_extent(z: np.ndarray) -> float:
    """Half-width of the square view: the 99.5 % quantile of |z|, at least 3 prior standard deviations."""
    return float(max(3.0, np.quantile(np.abs(z), 0.995) * 1.05))


def probe_grid(extent: float, n: int = PROBE_POINTS) -> np.ndarray:
    axis = np.linspace(-extent, extent, n, dtype=np.float32)
    return np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def model_payload(run: Path, label: str) -> dict:
    """What the page needs of one Q1 run: quantised layers, test means and labels, the density-ratio map, the
    view, and the measured quantisation error (max |quantised - float32| over a probe grid of the view)."""
    arrays = Path(run) / "arrays"
    decoder = Decoder.load(arrays / "decoder_weights.npz")
    with np.load(arrays / "test_latents.npz") as t:
        z, labels = t["z_mean"].astype(np.float32), t["labels"].astype(np.uint8)
    extent = view_extent(z)
    quantised, halves = decoder.quantised()
    probe = probe_grid(extent)
    error = float(np.abs(quantised.pixel_means(probe) - decoder.pixel_means(probe)).max())
    payload = {"label": label, "likelihood": decoder.likelihood, "extent": extent, "quantisation_error": error,
               "layers": [{"rows": int(h.shape[0]), "cols": int(h.shape[1]), "w": _b64(h), "b": _b64(b), "activation": a}
                          for h, b, a in zip(halves, decoder.biases, decoder.activations)],
               "points": _b64(z.astype(np.float16)), "labels": _b64(labels), "n_points": int(len(z))}
    ratio = arrays / "density_ratio_map.npz"
    if ratio.is_file():
        with np.load(ratio) as r:
            payload["ratio"] = {"log10": _b64(r["log10_ratio"].astype(np.float16)), "size": int(r["axis"].size),
                                "extent": float(r["axis"].max())}
    return payload


def html_block(sources: list[tuple[str, Path]], class_names: list[str], colors: list[str]) -> str:
    """A pandoc raw-HTML block with the widget for the Q1 runs `sources` (label, run folder); the first is shown
    first, a selector switches between them."""
    models = [model_payload(run, label) for label, run in sources]
    data = json.dumps({"models": models, "classNames": class_names, "colors": colors}, separators=(",", ":"))
    script = (Path(__file__).parent / "latent_widget.js").read_text()
    selector = "".join(f'<option value="{i}">{m["label"]}</option>' for i, m in enumerate(models))
    return f"""```{{=html}}
<div id="latent-widget" class="latent-widget" hidden>
<p class="latent-widget-title"><strong>Live latent plane.</strong> Move the pointer over the plane: the image on the
right is what the decoder draws at that point, computed in this page (weights stored as 16-bit floats, at most
<span class="lw-error"></span> from the model's pixel values). Click to keep a point.
<label>Model <select class="lw-model">{selector}</select></label>
<label><input type="checkbox" class="lw-ratio"> density ratio q/p</label></p>
<div class="lw-row"><div><canvas class="lw-plane" width="360" height="360"></canvas><div class="lw-legend"></div></div>
<div class="lw-images"><canvas class="lw-live" width="168" height="168"></canvas><div class="lw-caption lw-live-caption"></div>
<canvas class="lw-kept" width="168" height="168"></canvas><div class="lw-caption lw-kept-caption">click to keep a point</div></div></div>
</div>
<script type="application/json" id="latent-widget-data">{data}</script>
<script>{script}</script>
```"""
