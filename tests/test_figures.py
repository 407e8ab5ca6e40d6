"""Figures readable at page size: sharp enough where printed, text large enough, caption beside figure."""

import re
import shutil
import struct
import subprocess

import pytest

from conftest import ROOT
from vaereport.outputs import FIGURE_DPI

pytestmark = pytest.mark.integration
TEXT_WIDTH_IN = (21.0 - 2 * 2.2) / 2.54  # report/template.typ: A4 with 2.2 cm side margins
MIN_PRINTED_DPI = 200
MIN_PRINTED_PT = 7.0


def png_size(path) -> tuple[int, int]:
    with open(path, "rb") as fh:
        header = fh.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def printed_scale(png) -> tuple[float, float]:
    """(inches the figure was drawn at, inches it is printed at): Typst shrinks wider figures to the text width,
    and a figure the report gives a width (`{#fig-… width="70%"}`) to that share of it."""
    drawn = png_size(png)[0] / FIGURE_DPI
    qmd = (png.parents[2] / "report.qmd").read_text()
    share = re.search(re.escape(f"figures/{png.name})") + r'\{#[^}]*width="(\d+)%"', qmd)
    return drawn, min(drawn, TEXT_WIDTH_IN * (int(share.group(1)) / 100 if share else 1.0))


def smallest_font_pt() -> float:
    """The smallest font size the figures use: the style's sizes and every explicit size in the plot code."""
    from vaereport.figures import style

    style.apply()
    sizes = [float(style.plt.rcParams[k]) for k in ("font.size", "axes.titlesize", "axes.labelsize",
                                                     "legend.fontsize", "xtick.labelsize", "ytick.labelsize")]
    for module in sorted((ROOT / "src" / "vaereport" / "figures").glob("*plots.py")):
        source = module.read_text()
        sizes += [float(v) for v in re.findall(r"(?:fontsize|labelsize)=([\d.]+)", source)]
    return min(sizes)


def figures(out):
    found = sorted(out.glob("*/figures/*.png"))
    assert len(found) >= 10
    return found


def test_every_figure_is_sharp_at_its_printed_size(smoke_build):
    out, _, _ = smoke_build
    for png in figures(out):
        _, printed = printed_scale(png)
        assert png_size(png)[0] / printed >= MIN_PRINTED_DPI, f"{png.name}: below {MIN_PRINTED_DPI} dpi as printed"


def test_figure_text_is_at_least_7pt_when_printed(smoke_build):
    out, _, _ = smoke_build
    smallest = smallest_font_pt()
    for png in figures(out):
        drawn, printed = printed_scale(png)
        assert smallest * printed / drawn >= MIN_PRINTED_PT, \
            f"{png.name}: {smallest} pt text shrinks to {smallest * printed / drawn:.1f} pt when printed"


@pytest.mark.skipif(shutil.which("pdfimages") is None, reason="poppler-utils not installed")
def test_each_caption_is_on_the_page_of_its_figure(smoke_build):
    out, _, _ = smoke_build
    pdf = out / "report.pdf"
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    images_on = {}
    for line in listing.splitlines()[2:]:
        page = int(line.split()[0])
        images_on[page] = images_on.get(page, 0) + 1
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    captions = 0
    for number, page in enumerate(pages, 1):
        on_page = len(re.findall(r"^\s*Figure \d+:", page, flags=re.M))
        captions += on_page
        assert images_on.get(number, 0) >= on_page, f"page {number}: {on_page} figure captions, fewer images"
    assert captions == len(figures(out))
