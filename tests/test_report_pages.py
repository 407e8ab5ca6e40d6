"""The rendered report as a reader meets it: PDF pages (poppler) and the HTML in headless Chromium."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from vaereport.outputs import FIGURE_DPI

pytestmark = pytest.mark.integration
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pdf_pages_text(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_structure_references_fonts_and_pages(smoke_build, tmp_path):
    out, _, _ = smoke_build
    pdf = out / "report.pdf"
    pages = pdf_pages_text(pdf)
    first = pages[0]
    assert "Representation learning with variational" in first and "Summary of conclusions" in first
    assert "Contents" not in first  # the table of contents is the HTML's; the PDF opens with the answers
    # Figures are drawn at the text width and printed 1:1 (pandoc's template must not narrow the page's text)
    listed = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    first_image_ppi = int(listed.splitlines()[2].split()[12])
    assert abs(first_image_ppi - FIGURE_DPI) <= 2, listed[:400]
    text = "\n".join(pages)
    for heading in ("1 MNIST:", "1.1 Encoder", "1.2 Decoder", "1.3 Reparameterisation", "1.4 Loss function",
                    "1.5 Training and evaluation", "2 Fashion-MNIST:", "2.1 Unsupervised training",
                    "2.2 Qualitative evaluation", "2.3 Semi-supervised learning", "Appendix: provenance"):
        assert heading in text, heading
    assert "??" not in text and "@fig-" not in text and "@tbl-" not in text
    # Every figure/table number referenced in the prose exists as a caption.
    for kind in ("Figure", "Table"):
        referenced = {int(n) for n in re.findall(rf"{kind} (\d+)", text)}
        captions = {int(n) for n in re.findall(rf"{kind} (\d+):", text)}
        assert referenced and referenced <= captions, (kind, referenced - captions)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # 'emb' column
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(pdf), str(tmp_path / "page")], check=True)
    from PIL import Image, ImageStat

    for png in sorted(tmp_path.glob("page*.png")):
        stat = ImageStat.Stat(Image.open(png).convert("L"))
        assert stat.stddev[0] > 1.0, f"{png.name} is blank"


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_html_in_headless_chromium(smoke_build):
    from playwright.sync_api import sync_playwright

    out, _, _ = smoke_build
    html = out / "report.html"
    console_errors, requests = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(html.as_uri())
        page.wait_for_load_state("load")
        sizes = page.eval_on_selector_all("img", "els => els.map(e => [e.naturalWidth, e.naturalHeight])")
        assert len(sizes) >= 9 and all(w > 0 and h > 0 for w, h in sizes), sizes
        anchors = page.eval_on_selector_all("a[href^='#']", "els => els.map(e => e.getAttribute('href').slice(1))")
        missing = [a for a in anchors if page.locator(f"[id='{a}']").count() == 0]
        assert anchors and not missing, missing
        toc = page.eval_on_selector_all("nav#TOC a", "els => els.map(e => e.getAttribute('href'))")
        assert len(toc) >= 8
        page.click(f"nav#TOC a[href='{toc[1]}']")
        assert page.evaluate("location.hash") == toc[1]
        assert page.locator("math").count() > 10
        page.screenshot(path=str(out / "report-screenshot.png"), full_page=True)
        browser.close()
    assert not console_errors, console_errors
    external = [u for u in requests if not u.startswith(("file:", "data:"))]
    assert not external, external
