"""Pages of a received file and the positioned text found on them (text layer, OFD text or OCR lines)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is only needed on the scan path
    import numpy as np


class PageKind(StrEnum):
    TEXT = "text"  # positioned text from a PDF text layer or OFD page
    IMAGE = "image"  # raster image that needs cleanup and OCR
    STRUCTURED = "structured"  # structured invoice XML (OFD attachment, 数电 XML)


def quad_box(q: "np.ndarray") -> tuple[float, float, float, float]:
    """A detected quad's (4×2 corners, pixels) bounding box (x0, y0, x1, y1): the box a recognised line gets."""
    return float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max())


def shared_area(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """The area two boxes (x0, y0, x1, y1) have in common."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over the smaller box's area."""
    shared = shared_area(a, b)
    if shared <= 0:
        return 0.0
    return shared / max(min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])), 1e-6)


@dataclass(frozen=True)
class TextLine:
    """A run of text with its box (x0, y0, x1, y1; y grows downwards) and the reader's confidence.

    For text-layer pages boxes are in PDF points (or OFD millimetres converted to points);
    for OCR pages, in pixels of the processed image.
    """

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    confidence: float = 1.0
    font: str = ""

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        # Never zero: layout divides by it (a text layer can report a zero-height glyph run).
        return max(self.y1 - self.y0, 1e-6)


@dataclass
class Page:
    """One page of a received file, 1-based, as loaded (before cleanup)."""

    number: int
    kind: PageKind
    width: float = 0.0
    height: float = 0.0
    lines: list[TextLine] = field(default_factory=list)
    image: "np.ndarray | None" = None  # BGR uint8, for IMAGE pages
    structured: dict[str, Any] | None = None  # for STRUCTURED pages: parsed invoice data
    qr_payloads: list[str] = field(default_factory=list)
    # Filled by cleanup/OCR on the scan path: the image the boxes refer to.
    processed_image: "np.ndarray | None" = None
    # Same geometry, printer's ink only (form ink and rules painted out): where values are read from.
    content_image: "np.ndarray | None" = None
    # Scans: (x0, y0, x1, y1) of line-shaped printer ink that no detection found, looked for again or not: printed,
    # not read (a field whose value is not found may still be on the page: intake.fields).
    unread_ink: list[tuple[float, float, float, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Scans: cleanup found the page as a sheet in a wider frame (a phone photo's desk and neighbouring papers).
    photographed: bool = False

    @property
    def text(self) -> str:
        return "".join(line.text for line in self.lines)
