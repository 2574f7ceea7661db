"""PDF rendering of the reports' HTML with WeasyPrint, with every network fetch refused."""

from __future__ import annotations

import base64
import html as html_escape
import logging
import re
import threading
import zlib
from collections.abc import Callable
from typing import Any

__all__ = [
    "PDF_VARIANT",
    "ExternalResourceError",
    "figures_as_images",
    "html_to_pdf",
    "pdf_page_count",
]

Progress = Callable[[str, int, int], None]


class ExternalResourceError(ValueError):
    """The HTML asked for a resource (font, image, stylesheet) outside the document."""


def _fetcher() -> Any:
    """A WeasyPrint URL fetcher that serves ``data:`` URLs and refuses everything else."""
    from weasyprint import urls

    if hasattr(urls, "URLFetcher"):  # WeasyPrint 68 and later

        class _InlineOnly(urls.URLFetcher):
            def fetch(self, url: str, headers: Any = None) -> Any:
                if not url.startswith("data:"):
                    raise urls.FatalURLFetchingError(
                        f"the report must be self-contained; it asked for {url!r}"
                    )
                return super().fetch(url, headers)

        return _InlineOnly(allowed_protocols={"data"}, fail_on_errors=True)

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:  # older WeasyPrint
        if not url.startswith("data:"):
            raise ExternalResourceError(f"the report must be self-contained; it asked for {url!r}")
        return urls.default_url_fetcher(url, *args, **kwargs)

    return fetch


_INLINE_FIGURE = re.compile(r'<svg class="figure"(?P<attributes>[^>]*)>.*?</svg>', re.S)
_ATTRIBUTE = re.compile(r'\b(?P<name>[\w:-]+)="(?P<value>[^"]*)"')


def _figure_as_image(match: re.Match[str]) -> str:
    """One inline SVG figure as an ``<img>`` of the same SVG, its accessible name as ``alt``."""
    attributes = dict(
        (m.group("name"), m.group("value")) for m in _ATTRIBUTE.finditer(match.group("attributes"))
    )
    svg = match.group(0).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    source = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    alt = attributes.get("aria-label", "")  # still escaped as it was in the attribute
    width = html_escape.escape(html_escape.unescape(attributes.get("width", "100%")))
    style = f"display:block;width:{width};max-width:100%;height:auto"
    return f'<img class="figure" alt="{alt}" style="{style}" src="{source}">'


def figures_as_images(html: str) -> str:
    """The report's inline SVG figures (``<svg class="figure">``) as ``<img>`` elements.

    WeasyPrint computes CSS styles for every element of the document, inline SVG shapes
    included, and lays them out as boxes; an image is one box whose SVG it draws directly.
    The figures stay vector graphics (sharp at any zoom) and keep their accessible name as
    the image's ``alt`` text (tagged PDF); a demo evaluator report renders in about two
    thirds of the time.

    Examples
    --------
    >>> page = '<p>a</p><svg class="figure" role="img" aria-label="Rates" width="10pt"><g/></svg>'
    >>> figures_as_images(page)[:61]
    '<p>a</p><img class="figure" alt="Rates" style="display:block;'
    """
    return _INLINE_FIGURE.sub(_figure_as_image, html)


PDF_VARIANT = "pdf/ua-1"
"""The PDF variant written: PDF/UA-1, tagged for screen readers (NHS bodies must publish
accessible documents); the document language comes from ``<html lang>``, the title from
``<title>``, and figures carry their alternative text (``aria-label``)."""


_RENDERING = threading.Lock()
"""One rendering at a time in a process: the app renders a report's PDF in a background
thread while a request may render a brief, WeasyPrint does not say it is thread-safe, and the
level of its logger, lowered while it renders, is process-wide."""


def html_to_pdf(html: str, *, progress: Progress | None = None) -> bytes:
    """Render self-contained report HTML to a tagged (PDF/UA-1) PDF with WeasyPrint.

    WeasyPrint is imported here, not at module import, so the HTML reports work where its
    system libraries (Pango) are missing. Its URL fetcher is replaced by one that serves
    only inline ``data:`` URLs and refuses every other request, so a report that references
    anything outside itself fails loudly instead of reaching the network. Inline SVG figures
    are handed to WeasyPrint as images (:func:`figures_as_images`), their accessible name as
    alternative text. WeasyPrint's own log messages about CSS it ignores are silenced below
    errors. ``progress(step, done, total)`` is called before laying out the pages and before
    writing them (with the page count), the two slow steps. Renderings in other threads of
    the process wait for one another.

    Raises
    ------
    ExternalResourceError
        If the document references an external resource.
    """
    import weasyprint
    from weasyprint import urls

    fatal = getattr(urls, "FatalURLFetchingError", ExternalResourceError)
    with _RENDERING:
        return _render(weasyprint, html, fatal, progress)


def _render(weasyprint: Any, html: str, fatal: Any, progress: Progress | None) -> bytes:
    """WeasyPrint's PDF of ``html`` (see :func:`html_to_pdf`; the caller holds ``_RENDERING``)."""
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        if progress is not None:
            progress("laying out pages", 0, 2)
        document = weasyprint.HTML(string=figures_as_images(html), url_fetcher=_fetcher()).render()
        if progress is not None:
            progress(f"writing {len(document.pages)} pages", 1, 2)
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
        if progress is not None:
            progress("done", 2, 2)
    except fatal as exc:
        raise ExternalResourceError(str(exc.__cause__ or exc)) from exc
    finally:
        logger.setLevel(level)
    if not isinstance(pdf, bytes):
        raise RuntimeError("WeasyPrint returned no PDF")
    return pdf


def _page_tree_counts(data: bytes) -> list[int]:
    found = re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)
    found += re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)
    return [int(m) for m in found]


def pdf_page_count(pdf: bytes) -> int:
    """The number of pages of a PDF, from its page tree (the largest ``/Count``).

    Looks in the file as written and inside its Flate-compressed streams (PDF 1.5 object
    streams, which WeasyPrint uses), so it needs no PDF library.

    Examples
    --------
    >>> pdf_page_count(b"%PDF-1.7 << /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>")
    2
    """
    counts = _page_tree_counts(pdf)
    for match in re.finditer(rb"stream\r?\n", pdf):
        start = match.end()
        end = pdf.find(b"endstream", start)
        if end < 0:
            break
        try:
            counts += _page_tree_counts(zlib.decompressobj().decompress(pdf[start:end]))
        except zlib.error:
            continue
    if not counts:
        raise ValueError("no page tree found: not a PDF, or an unsupported encoding")
    return max(counts)
