"""The extraction pipeline for one file: preflight -> load -> [cleanup -> OCR] -> extract -> QR -> validate -> score.

No database here: `intake extract` and the workers of `intake scan` call `extract_file`;
`intake.receive` stores what it returns. The OCR stack is imported only when a page needs it.
"""

from __future__ import annotations

import time
from pathlib import Path

from intake.errors import IntakeError, NotAnInvoiceError
from intake.invoice import Extraction, Invoice
from intake.pages import Page, PageKind
from intake.preflight import Received, preflight
from intake.settings import Settings


def load(received: Received, settings: Settings) -> list[Page]:
    """The file's pages by its real type (magic bytes, not the extension)."""
    kind = received.kind
    if kind == "pdf":
        from intake.pdftext import read_pdf

        return read_pdf(received.path, settings)
    if kind == "ofd":
        from intake.ofd import read_ofd

        return read_ofd(received.path, settings)
    if kind == "xml":
        from intake.xmlinvoice import read_xml

        return read_xml(received.path, settings)
    from intake.images import read_image

    return read_image(received.path, settings)


def read_scans(pages: list[Page], settings: Settings, timings: dict[str, float]) -> None:
    """Cleanup and OCR for image pages, in place; lazily imports the OCR stack."""
    image_pages = [p for p in pages if p.kind == PageKind.IMAGE]
    if not image_pages:
        return
    from intake.scan import read_scanned_pages

    read_scanned_pages(image_pages, settings, timings)


def extract_invoices(pages: list[Page]) -> list[Invoice]:
    from intake.fields import extract_invoices as from_layout
    from intake.xmlinvoice import invoice_from_structured

    invoices: list[Invoice] = []
    structured = [p for p in pages if p.kind == PageKind.STRUCTURED]
    for page in structured:
        invoices.append(invoice_from_structured(page))
    if not structured:
        invoices.extend(from_layout([p for p in pages if p.kind != PageKind.STRUCTURED]))
    return invoices


def check_and_score(invoices: list[Invoice], pages: list[Page], settings: Settings) -> None:
    from intake.qr import attach_qr
    from intake.scoring import score
    from intake.validate import validate

    for invoice in invoices:
        attach_qr(invoice, pages)
        validate(invoice)
        score(invoice, settings)
    if any(p.kind == PageKind.IMAGE for p in pages):
        # Scans only: totals repaired from their confirmations, uncertain values read a second time.
        from intake.reread import second_look

        second_look(invoices, pages, settings)
        # Then the party names against the form every company name has (place ↔ tax id, legal form).
        from intake.names import check_names

        if check_names(invoices, pages, settings):
            for invoice in invoices:
                validate(invoice)
                score(invoice, settings)


def extract_file(path: Path | str, settings: Settings, *, display_name: str | None = None) -> Extraction:
    """Read one file into scored invoices. Raises an IntakeError when the file cannot be read at all."""
    try:
        return _extract(Path(path), settings, display_name)
    except IntakeError as e:
        # Workers read the kept original (named by its hash); tell the user the name they know.
        if display_name and str(path) != display_name:
            e.args = (str(e).replace(str(path), display_name),)
        raise


def _extract(path: Path, settings: Settings, display_name: str | None) -> Extraction:
    timings: dict[str, float] = {}
    t = time.perf_counter()
    received = preflight(path, settings)
    timings["preflight"] = time.perf_counter() - t

    t = time.perf_counter()
    pages = load(received, settings)
    timings["load"] = time.perf_counter() - t

    read_scans(pages, settings, timings)

    t = time.perf_counter()
    from intake.qr import scan_qr

    scan_qr(pages, received.path if received.kind == "pdf" else None)
    timings["qr"] = time.perf_counter() - t

    t = time.perf_counter()
    invoices = extract_invoices(pages)
    timings["extract"] = time.perf_counter() - t

    t = time.perf_counter()
    check_and_score(invoices, pages, settings)
    timings["validate"] = time.perf_counter() - t

    if not invoices and any(p.lines or p.structured for p in pages):
        raise NotAnInvoiceError(f"{display_name or path}: no invoice found on {len(pages)} page(s) of text")
    return Extraction(
        source=display_name if display_name is not None else str(path),
        sha256=received.sha256,
        invoices=invoices,
        detected_type=received.kind,
        page_count=len(pages),
        timings=timings,
    )
