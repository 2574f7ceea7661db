"""Figures of a PDF are drawn as 200 dpi PNG images with their alternative text; HTML keeps SVG."""

from __future__ import annotations

import base64
import io
import re
import struct
import subprocess
import threading
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from analysis.pipeline import AnalysisResults
from reports import figures, write_report

RATES = pd.DataFrame(
    {"team": ["A", "A", "B", "B"], "wave": [1, 2, 1, 2], "invited": 10, "responded": [8, 7, 9, 6]}
)
ICC = pd.DataFrame(
    {
        "wave": [1, 2, 1, 2],
        "scale": ["a", "a", "b", "b"],
        "icc1": [0.1, 0.2, 0.15, 0.05],
        "icc2": [0.5, 0.6, 0.55, 0.4],
    }
)
"""A figure matplotlib draws (one panel per scale): printed as a PNG."""
ICC_LABELS = {"a": "Scale A", "b": "Scale B"}


def _png_size(markup: str) -> tuple[int, int]:
    data = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', markup).group(1))
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_inside_raster_figures_a_figure_is_a_png_image_with_its_alt_text() -> None:
    with figures.raster_figures():
        markup = str(figures.icc_figure(ICC, ICC_LABELS))
    assert markup.startswith('<img class="figure" alt="') and "<svg" not in markup
    alt = re.search(r'alt="([^"]*)"', markup).group(1)
    inches = float(re.search(r"width:([\d.]+)in", markup).group(1))
    width, _ = _png_size(markup)
    assert alt and abs(width - inches * figures.PNG_DPI) <= 1


def test_a_printed_figure_is_an_opaque_png_on_white() -> None:
    # RGB, not RGBA: an alpha channel made WeasyPrint embed a second image (a soft mask)
    with figures.raster_figures(100):
        markup = str(figures.icc_figure(ICC, ICC_LABELS))
    data = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', markup).group(1))
    image = Image.open(io.BytesIO(data))
    assert image.mode == "RGB"
    assert image.getpixel((0, 0)) == (255, 255, 255)


def test_outside_and_in_other_threads_figures_stay_svg() -> None:
    seen: list[str] = []
    with figures.raster_figures(dpi=100):
        other = threading.Thread(target=lambda: seen.append(figures.response_rate_figure(RATES)))
        other.start()
        other.join()
    assert seen[0].startswith('<svg class="figure"')
    assert str(figures.response_rate_figure(RATES)).startswith('<svg class="figure"')


def test_a_resolution_below_print_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 72"), figures.raster_figures(dpi=50):
        pass


@pytest.mark.slow
def test_the_report_pdf_has_sharp_images_and_stays_tagged(
    results: AnalysisResults, report_dir: Path
) -> None:
    pdf = write_report(results, report_dir / "raster.pdf", study="Raster study")
    listed = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    images = [line.split() for line in listed.splitlines()[2:] if line.split()[2] == "image"]
    assert images and all(int(row[12]) >= figures.PNG_DPI - 1 for row in images)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert re.search(r"^Tagged:\s+yes$", info.stdout, re.M)
    html = write_report(results, report_dir / "raster.html", study="Raster study").read_text()
    assert '<svg class="figure"' in html and "data:image/png" not in html
