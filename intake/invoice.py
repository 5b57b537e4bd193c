"""The invoice as the pipeline sees it: contract field names, field values with evidence, and the JSON of CONTRACT.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class InvoiceType(StrEnum):
    VAT_SPECIAL = "vat_special"
    VAT_NORMAL = "vat_normal"
    VAT_ELECTRONIC_SPECIAL = "vat_electronic_special"
    VAT_ELECTRONIC_NORMAL = "vat_electronic_normal"
    VAT_ROLL = "vat_roll"
    TOLL = "toll"
    DIGITAL_SPECIAL = "digital_special"
    DIGITAL_NORMAL = "digital_normal"
    UNKNOWN = "unknown"


DIGITAL_TYPES = frozenset({InvoiceType.DIGITAL_SPECIAL, InvoiceType.DIGITAL_NORMAL})


class Status(StrEnum):
    ACCEPTED = "accepted"
    NEEDS_REVIEW = "needs_review"


class Source(StrEnum):
    """Where a value came from (CONTRACT.md). Structured XML (OFD attachment, 数电 XML) counts as text_layer."""

    QR = "qr"
    TEXT_LAYER = "text_layer"
    OCR = "ocr"
    COMPUTED = "computed"
    REVIEWER = "reviewer"


class Reason(StrEnum):
    """Machine-readable causes for needs_review."""

    OCR_LOW_CONFIDENCE = "ocr_low_confidence"
    FORMAT_INVALID = "format_invalid"
    CHECKSUM_FAILED = "checksum_failed"
    SUM_MISMATCH = "sum_mismatch"
    WORDS_FIGURES_MISMATCH = "words_figures_mismatch"
    QR_MISMATCH = "qr_mismatch"
    NOT_FOUND = "not_found"
    TYPE_MISMATCH = "type_mismatch"
    DATE_IMPLAUSIBLE = "date_implausible"
    UNVERIFIED = "unverified"
    DUPLICATE = "duplicate"
    # intake.parties: the name held against the known-parties register for its tax id.
    PARTY_REGISTER = "party_register"
    PARTY_MISMATCH = "party_mismatch"
    # The register marks our own companies, and the buyer's tax id is none of them (抬头错误).
    BUYER_NOT_OURS = "buyer_not_ours"
    # A scan's value printed in pieces with unread space between them (a form rule or the seal hid a glyph from the
    # detector): the value as read is missing text (intake.reread mends it by reading the whole span).
    INCOMPLETE = "incomplete"


# Doubts of the reading itself, not derived by validation or scoring: kept when a stored record is checked again.
READING_REASONS = frozenset({Reason.PARTY_REGISTER, Reason.PARTY_MISMATCH, Reason.BUYER_NOT_OURS, Reason.INCOMPLETE})

FIELDS: tuple[str, ...] = (
    "invoice_type",
    "invoice_code",
    "invoice_number",
    "issue_date",
    "check_code",
    "machine_number",
    "buyer_name",
    "buyer_tax_id",
    "seller_name",
    "seller_tax_id",
    "total_amount",
    "total_tax",
    "amount_with_tax",
    "amount_in_words",
    "drawer",
    "remarks",
)

KEY_FIELDS: tuple[str, ...] = (
    "invoice_type",
    "invoice_code",
    "invoice_number",
    "issue_date",
    "check_code",
    "buyer_name",
    "buyer_tax_id",
    "seller_name",
    "seller_tax_id",
    "total_amount",
    "total_tax",
    "amount_with_tax",
)

# The 合计 row's figures and the 价税合计 figure: amount + tax = total with tax.
MONEY_FIELDS: tuple[str, ...] = ("total_amount", "total_tax", "amount_with_tax")

# Each party's name and the tax id it goes with.
PARTIES: tuple[tuple[str, str], ...] = (("buyer_name", "buyer_tax_id"), ("seller_name", "seller_tax_id"))

ITEM_FIELDS: tuple[str, ...] = ("name", "spec", "unit", "quantity", "unit_price", "amount", "tax_rate", "tax")

Box = tuple[float, float, float, float]


@dataclass
class FieldValue:
    """One field's value with the evidence behind it.

    Extraction fills value, source, box, page and the recognizer's `raw_confidence`;
    validation adds reasons; scoring sets confidence and status.
    """

    value: str = ""
    source: str = Source.TEXT_LAYER
    raw_confidence: float = 1.0
    box: Box | None = None
    page: int = 1
    reasons: list[str] = field(default_factory=list)
    confidence: float = 0.0
    status: str = Status.NEEDS_REVIEW
    # Facts that raise trust, set by validation: e.g. "qr_agrees", "checksum_ok", "sum_ok".
    support: list[str] = field(default_factory=list)
    found: bool = True
    # The second look's readings of the same box, one per variant crop (intake.reread), for the checks that count
    # how many readings spell the value (intake.names); empty where there was no second look.
    readings: list[str] = field(default_factory=list)

    def flag(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(str(reason))

    def back(self, fact: str) -> None:
        if fact not in self.support:
            self.support.append(fact)

    def to_contract(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "value": self.value,
            "confidence": round(float(self.confidence), 4),
            "status": str(self.status),
        }
        if self.status == Status.NEEDS_REVIEW:
            out["reasons"] = list(self.reasons) or [Reason.OCR_LOW_CONFIDENCE.value]
        elif self.reasons:
            out["reasons"] = list(self.reasons)
        out["source"] = str(self.source)
        if self.box is not None:
            out["bbox"] = [round(float(v), 2) for v in self.box]
        return out


def absent(source: str = Source.TEXT_LAYER, page: int = 1) -> FieldValue:
    """A field that this invoice type does not print (value "" by contract)."""
    return FieldValue(value="", source=source, page=page, found=False)


@dataclass
class Invoice:
    """One invoice on one page (or a page plus its goods-list pages)."""

    page: int = 1
    fields: dict[str, FieldValue] = field(default_factory=dict)
    items: list[dict[str, FieldValue]] = field(default_factory=list)
    qr_payload: str | None = None
    # Pages that belong to this invoice beyond the first (销货清单 pages).
    extra_pages: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in FIELDS:
            self.fields.setdefault(name, FieldValue(value="", page=self.page, found=False))

    def get(self, name: str) -> str:
        return self.fields[name].value

    def set(self, name: str, value: FieldValue) -> None:
        if name not in FIELDS:
            raise KeyError(name)
        self.fields[name] = value

    @property
    def needs_review(self) -> bool:
        if any(self.fields[n].status != Status.ACCEPTED for n in KEY_FIELDS):
            return True
        return False

    def values(self) -> dict[str, str]:
        return {n: self.fields[n].value for n in FIELDS}

    def to_contract(self) -> dict[str, Any]:
        out: dict[str, Any] = {"page": self.page}
        for name in FIELDS:
            out[name] = self.fields[name].to_contract()
        out["items"] = [
            {k: item.get(k, FieldValue(value="", found=False)).to_contract() for k in ITEM_FIELDS}
            for item in self.items
        ]
        if self.qr_payload:
            out["qr_payload"] = self.qr_payload
        out["needs_review"] = self.needs_review
        return out


@dataclass
class Extraction:
    """What `intake extract` prints: one file, its hash, the invoices found on it."""

    source: str
    sha256: str
    invoices: list[Invoice] = field(default_factory=list)
    detected_type: str = ""
    page_count: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def to_contract(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "sha256": self.sha256,
            "invoices": [inv.to_contract() for inv in self.invoices],
        }
