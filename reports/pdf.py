"""PDF rendering of the reports' HTML with WeasyPrint, with every network fetch refused."""

from __future__ import annotations

import logging
import re
import zlib
from typing import Any

__all__ = ["ExternalResourceError", "html_to_pdf", "pdf_page_count"]


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


def html_to_pdf(html: str) -> bytes:
    """Render self-contained report HTML to PDF bytes with WeasyPrint.

    WeasyPrint is imported here, not at module import, so the HTML reports work where its
    system libraries (Pango) are missing. Its URL fetcher is replaced by one that serves
    only inline ``data:`` URLs and refuses every other request, so a report that references
    anything outside itself fails loudly instead of reaching the network. WeasyPrint's own
    log messages about CSS it ignores are silenced below errors.

    Raises
    ------
    ExternalResourceError
        If the document references an external resource.
    """
    import weasyprint
    from weasyprint import urls

    fatal = getattr(urls, "FatalURLFetchingError", ExternalResourceError)
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        document = weasyprint.HTML(string=html, url_fetcher=_fetcher())
        pdf = document.write_pdf()
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
