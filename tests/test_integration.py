"""End to end: the smoke profile of every analysis, then the rendered report (PDF and HTML)."""

import json
import re
import shutil
import subprocess

import pytest

from conftest import run_cli

pytestmark = pytest.mark.integration


def pdf_text(pdf):
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_q1_outputs_exist(smoke_build):
    out, _, _ = smoke_build
    q1 = out / "q1_vae_mnist"
    for fig in ("latent_scatter", "latent_grid", "reconstructions", "latent_gaps", "training_curves"):
        assert (q1 / "figures" / f"{fig}.png").stat().st_size > 1000
        assert (q1 / "figures" / f"{fig}.pdf").is_file()
    metrics = json.loads((q1 / "metrics.json").read_text())
    for lik in ("bernoulli", "gaussian"):
        assert set(metrics["models"][lik]) >= {"test_neg_elbo", "test_reconstruction", "test_kl"}
        m = metrics["models"][lik]
        assert m["test_neg_elbo"] == pytest.approx(m["test_reconstruction"] + m["test_kl"], rel=1e-3)
    assert (q1 / "q1_vae_mnist.ipynb").is_file() and (q1 / "metadata.json").is_file()
    assert (q1 / "tables" / "test_losses.csv").is_file()
    assert not list(out.glob(".tmp-*"))


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_contains_q1_headings_and_measured_elbo(smoke_build):
    out, _, _ = smoke_build
    text = pdf_text(out / "report.pdf")
    metrics = json.loads((out / "q1_vae_mnist" / "metrics.json").read_text())
    elbo = f"{metrics['models']['bernoulli']['test_neg_elbo']:,.1f}"
    assert "1 MNIST: a variational autoencoder with a two-dimensional latent space" in " ".join(text.split())
    for heading in ("1.1 Encoder", "1.2 Decoder", "1.3 Reparameterisation", "1.4 Loss function",
                    "1.5 Training and evaluation"):  # numbered once, as the assignment's tasks
        assert heading in text and f"Task {heading}" not in text
    assert elbo in text
    assert "??" not in text and "@fig-" not in text and "@tbl-" not in text


def test_html_is_self_contained_with_figures_and_elbo(smoke_build):
    out, _, _ = smoke_build
    html = (out / "report.html").read_text()
    metrics = json.loads((out / "q1_vae_mnist" / "metrics.json").read_text())
    assert f"{metrics['models']['bernoulli']['test_neg_elbo']:,.1f}" in html
    assert re.search(r"1\.5</span>\s*Training and\s+evaluation", html)
    images = re.findall(r'<img[^>]+src="([^"]+)"', html)
    assert len(images) >= 5 and all(src.startswith("data:image/png;base64,") for src in images)
    assert "<math" in html
    assert not re.search(r'(src|href)="https?://', html)
    for ref in set(re.findall(r'href="#((?:fig|tbl|sec)-[^"]+)"', html)):
        assert f'id="{ref}"' in html


def test_second_run_is_cached_and_fast(smoke_copy):
    out, env, _ = smoke_copy
    before = (out / "q1_vae_mnist" / "metadata.json").read_text()
    result = run_cli("report", "--profile", "smoke", env=env)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stderr
    assert (out / "q1_vae_mnist" / "metadata.json").read_text() == before


def test_q2_outputs_and_encodings(smoke_build):
    import numpy as np

    out, _, _ = smoke_build
    enc = np.load(out / "q2_representations" / "arrays" / "encodings.npz")
    k = json.loads((out / "q2_representations" / "metadata.json").read_text())["params"]["latent_dim"]
    for model in ("vae", "dae"):
        assert enc[f"{model}_train"].shape == (60000, k) and enc[f"{model}_test"].shape == (10000, k)
    assert enc["y_train"].shape == (60000,) and enc["y_test"].shape == (10000,)
    semi = out / "q2_semisupervised"
    meta = json.loads((semi / "metadata.json").read_text())
    from vaereport.execution import cache

    exported = cache.arrays_digest(out / "q2_representations" / "arrays")
    assert meta["components"]["upstream"] == cache.sha256_text(json.dumps({"q2_representations": exported}))
    import pandas as pd

    cells = pd.read_csv(semi / "tables" / "accuracy_by_cell.csv")
    assert set(cells.representation) == {"vae", "dae", "pca", "pixels"}
    assert cells.accuracy.between(0, 1).all()


def test_report_has_q2_sections_and_figures(smoke_build):
    out, _, _ = smoke_build
    html = (out / "report.html").read_text()
    for ident in ("fig-q2-recon", "fig-q2-generated", "fig-q2-families", "fig-q2-gains", "tbl-q2-gen",
                  "tbl-q2-accuracy", "sec-t21", "sec-t22", "sec-t23", "q1_vae_mnist", "q2_representations",
                  "q2_semisupervised"):
        assert f'id="{ident}"' in html, ident


def test_the_default_output_is_quiet_and_names_the_profile(smoke_build):
    out, _, result = smoke_build
    lines = result.stderr.strip().splitlines()
    assert len(lines) <= 40, "\n".join(lines)
    assert lines[0].startswith("vaereport report: profile smoke, ") and lines[0].rstrip().endswith("smoke/")
    assert not any(banner in result.stderr for banner in ("Executing Cell", "Input Notebook", "triggered tf.function"))
    assert sum(re.match(r"q\w+ \[smoke\]: running", line) is not None for line in lines) == 3
    assert sum(re.match(r"\[\d/3\] q\w+: ran in", line) is not None for line in lines) == 3
    assert any(re.match(r"\[VAE bernoulli\] epoch 2/2 loss=", line) for line in lines)
    kernel_log = (out / "q1_vae_mnist" / "kernel.log").read_text()
    assert "Executing Cell" in kernel_log  # what the terminal leaves out is in the run's log


def test_no_run_together_sentences_in_the_rendered_report(smoke_build):
    out, _, _ = smoke_build
    text = (out / "report.qmd").read_text()
    prose = re.sub(r"`[^`]*`|\$[^$]*\$|\([^)]*\.(png|pdf|html|csv|json|ipynb)[^)]*\)|https?://\S+", " ", text)
    run_together = re.findall(r"\b[a-z]{2,}[.;:,!?][A-Z][a-z]+", prose)
    assert not run_together, run_together[:10]
