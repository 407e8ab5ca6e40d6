"""The HTML report's live latent plane: what the page decodes is what the Keras decoder decodes."""

from pathlib import Path

import numpy as np
import pytest

from vaereport.figures import latent_widget

CHROMIUM = "/usr/bin/chromium"


def test_quantised_decoder_stays_within_its_measured_error(tmp_path):
    rng = np.random.default_rng(0)
    weights = [rng.normal(scale=0.5, size=(2, 16)), rng.normal(scale=0.2, size=(16, 784))]
    np.savez(tmp_path / "decoder_weights.npz", w0=weights[0], w1=weights[1], b0=np.zeros(16), b1=np.zeros(784),
             activations=np.array(["relu", "linear"]), likelihood=np.array("bernoulli"))
    decoder = latent_widget.Decoder.load(tmp_path / "decoder_weights.npz")
    quantised, halves = decoder.quantised()
    assert all(h.dtype == np.float16 for h in halves)
    z = rng.normal(size=(200, 2)).astype(np.float32)
    error = np.abs(quantised.pixel_means(z) - decoder.pixel_means(z)).max()
    assert 0 < error < 1e-3
    assert np.allclose(decoder.pixel_means(z), 1 / (1 + np.exp(-(np.maximum(z @ weights[0], 0) @ weights[1]))), atol=1e-5)


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_the_page_decodes_what_the_keras_decoder_decodes(smoke_build):
    import keras
    from playwright.sync_api import sync_playwright

    import vaereport.science.models  # noqa: F401  (registers the model classes for loading)

    out, _, _ = smoke_build
    run = (out / "q1_vae_mnist").resolve()
    decoder = keras.saving.load_model(run / "models" / "vae_bernoulli.keras").decoder
    points = [(0.0, 0.0), (1.2, -0.7), (-2.0, 1.5), (0.4, 2.2), (-0.9, -1.8)]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto((out / "report.html").as_uri())
        page.wait_for_function("window.vaereportLatent !== undefined")
        plane = page.locator("#latent-widget .lw-plane")
        plane.scroll_into_view_if_needed()
        box = plane.bounding_box()
        width = page.evaluate("document.querySelector('#latent-widget .lw-plane').width")
        stated = page.evaluate("window.vaereportLatent.models[0].quantisationError")
        pixel = 2 * page.evaluate("window.vaereportLatent.models[0].extent") / width  # latent units per canvas pixel
        for z1, z2 in points:
            x, y = page.evaluate(f"window.vaereportLatent.toCanvas({z1}, {z2})")
            page.mouse.move(box["x"] + x * box["width"] / width, box["y"] + y * box["height"] / width)
            last = page.evaluate("window.vaereportLatent.state().last")
            z = np.array([last["z"]], dtype="float32")
            assert np.allclose(z[0], [z1, z2], atol=3 * pixel)  # within a few pixels of the target
            expected = np.asarray(keras.ops.sigmoid(decoder(z)))[0]
            assert np.abs(np.array(last["pixels"]) - expected).max() <= stated * 1.1 + 1e-4
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert "kept: z = (" in page.locator("#latent-widget .lw-kept-caption").inner_text()
        assert page.evaluate("window.vaereportLatent.state().maxMs") <= 20
        assert not [u for u in requests if not u.startswith(("file:", "data:"))]
        static = browser.new_page(java_script_enabled=False)
        static.goto((out / "report.html").as_uri())
        assert static.locator("#latent-widget").is_hidden()
        assert static.locator("img").count() == page.locator("img").count()
        browser.close()
