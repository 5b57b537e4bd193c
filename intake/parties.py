"""Known parties: the name each 纳税人识别号 stands for, learned from confirmed records, checked against scanned names.

A company name read by OCR has no checksum; its tax id has one. A finance team meets the same
parties again and again (its own company as buyer on every invoice, the same suppliers each
month), so once a name has been confirmed for a tax id — printed in an e-invoice's text layer,
approved by a reviewer, or imported from the vendor master — a scan that reads that tax id
can be held against it:

- the scanned name equals the known one: the value earns `party_known` (a wrong reading would
  have to spell the known name exactly; see intake.scoring.MISS);
- it differs by a few substituted glyphs (营/睿, 样/祥: the recognizer's usual slips): the known
  name is proposed in its place, in review (reason `party_register`), with the scan's reading in
  the log — a buyer name mistyped by the seller (抬头错误) must be seen by a person, not
  silently repaired;
- it was not found on the page: the known name is proposed the same way (source `computed`);
- it differs otherwise: the value stays as read, in review (reason `party_mismatch`): a renamed
  company, a wrong tax id on the invoice, or a misread that a reviewer settles.

Only the tax id accepted on its own evidence (checksum, confidence) is looked up. The register
learns only from sources that are not the scan itself (text layer, reviewer, import), so an OCR
misreading can never confirm itself.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Collection, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.errors import InputFileError, InvalidValueError
from intake.invoice import PARTIES, FieldValue, Invoice, Reason, Source, Status
from intake.schema import PartyRecord, utcnow
from intake.scoring import SAME_BOX

log = logging.getLogger(__name__)

FACT = "party_known"
PROPOSED = Reason.PARTY_REGISTER
MISMATCH = Reason.PARTY_MISMATCH
NOT_OURS = Reason.BUYER_NOT_OURS
# Sources a register entry may come from; a scan (ocr) is never one of them.
LEARN_FROM = frozenset({Source.TEXT_LAYER, Source.REVIEWER})
# A proposed name keeps half the recognizer's score: it is in review whatever it scores.
PROPOSED_FACTOR = 0.5


@dataclass(frozen=True)
class Party:
    tax_id: str
    name: str
    source: str = "import"


def substitutions(read: str, known: str) -> int | None:
    """How many glyphs differ between two names of equal length; None when the lengths differ."""
    if len(read) != len(known):
        return None
    return sum(a != b for a, b in zip(read, known))


def near(read: str, known: str) -> bool:
    """A recognizer's slip rather than another name: at most two glyphs substituted, and under a quarter of them."""
    n = substitutions(read, known)
    return n is not None and 0 < n <= 2 and n * 4 < len(known)


def check_parties(invoice: Invoice, known: Mapping[str, str], own: Collection[str] = ()) -> list[str]:
    """Hold each scanned party against the register, in place: the name against the name known for its accepted
    tax id; a tax id that is not accepted against the tax id known for its name; and, when the register marks
    companies as our own, the buyer's tax id against them.

    Returns one note per value changed or flagged (for the processing log). Callers validate and score again.
    """
    notes: list[str] = []
    by_name = _by_name(known)
    for name_field, id_field in PARTIES:
        tax, fv = invoice.fields[id_field], invoice.fields[name_field]
        if tax.status == Status.ACCEPTED and tax.value:
            if fv.source == Source.OCR and known.get(tax.value):
                notes += _check_name(invoice, name_field, tax.value, known[tax.value])
        elif fv.value and fv.value in by_name and tax.source != Source.REVIEWER and tax.value != by_name[fv.value]:
            # The tax id misread or lost, the name one the register knows by heart: its tax id, for a person to confirm.
            registered = by_name[fv.value]
            invoice.fields[id_field] = FieldValue(
                value=registered, source=Source.COMPUTED, raw_confidence=PROPOSED_FACTOR, box=tax.box, page=tax.page,
                reasons=[PROPOSED])
            if fv.source == Source.OCR:
                fv.back(FACT)
            notes.append(f"{id_field}: the scan read {tax.value or 'nothing'!r}; the register knows {fv.value} as {registered} (proposed)")
    buyer = invoice.fields["buyer_tax_id"]
    if own and buyer.value and buyer.status == Status.ACCEPTED and buyer.value not in own:
        buyer.flag(NOT_OURS)
        notes.append(f"buyer_tax_id: {buyer.value} is not one of our companies ({', '.join(sorted(own))})")
    return notes


def evidence(invoice: Invoice) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    """What check_parties can change: the parties' values, sources, support and reasons."""
    return [(fv.value, str(fv.source), tuple(fv.support), tuple(fv.reasons))
            for fv in (invoice.fields[n] for pair in PARTIES for n in pair)]


def _by_name(known: Mapping[str, str]) -> dict[str, str]:
    """Name -> tax id for the names that stand for one tax id only."""
    seen: dict[str, set[str]] = {}
    for tax_id, name in known.items():
        seen.setdefault(name, set()).add(tax_id)
    return {name: next(iter(ids)) for name, ids in seen.items() if len(ids) == 1}


# The facts that vouch for the spelling the scan read (the same box read again, and the seal's rim): none of them is
# the register's name's, which replaces it.
READ_AS_SCANNED = SAME_BOX | {"seal_agrees"}


def _check_name(invoice: Invoice, name_field: str, tax_id: str, registered: str) -> list[str]:
    fv = invoice.fields[name_field]
    if fv.value == registered:
        fv.back(FACT)
        return []
    if not fv.value:
        # Not found on the page (lost under a seal, off the crop): the register's name, for a person to confirm.
        invoice.fields[name_field] = FieldValue(
            value=registered, source=Source.COMPUTED, raw_confidence=PROPOSED_FACTOR, page=fv.page, reasons=[PROPOSED])
        return [f"{name_field}: not found on the page; the register knows {tax_id} as {registered!r} (proposed)"]
    if near(fv.value, registered):
        invoice.fields[name_field] = FieldValue(
            value=registered, source=Source.OCR, raw_confidence=fv.raw_confidence * PROPOSED_FACTOR, box=fv.box,
            page=fv.page, reasons=[PROPOSED], support=[s for s in fv.support if s not in READ_AS_SCANNED])
        return [f"{name_field}: the scan read {fv.value!r}; the register knows {tax_id} as {registered!r} (proposed)"]
    fv.flag(MISMATCH)
    return [f"{name_field}: the scan read {fv.value!r}; the register knows {tax_id} as {registered!r}"]


def lookup(session: Session, tax_ids: Iterable[str], names: Iterable[str] = ()) -> dict[str, str]:
    """Tax id -> name for the known parties with one of these tax ids or names."""
    ids, wanted = sorted({t for t in tax_ids if t}), sorted({n for n in names if n})
    if not ids and not wanted:
        return {}
    rows = session.execute(select(PartyRecord.tax_id, PartyRecord.name).where(
        PartyRecord.tax_id.in_(ids) | PartyRecord.name.in_(wanted)))
    return {t: n for t, n in rows}


def own_tax_ids(session: Session) -> frozenset[str]:
    return frozenset(session.scalars(select(PartyRecord.tax_id).where(PartyRecord.own.is_(True))))


def tax_ids_of(invoices: Iterable[Invoice]) -> list[str]:
    return [inv.fields[i].value for inv in invoices for _, i in PARTIES]


def names_of(invoices: Iterable[Invoice]) -> list[str]:
    return [inv.fields[n].value for inv in invoices for n, _ in PARTIES]


def remember(session: Session, party: Party, *, invoice_id: int | None = None, by: str = "", own: bool | None = None) -> bool:
    """Insert or update one party; returns whether the register changed. The latest confirmed name wins;
    `own` marks (or unmarks) one of our own companies, None leaves the mark as it is."""
    party = Party(party.tax_id.strip().upper(), party.name.strip(), party.source)
    if not party.tax_id or not party.name:
        return False
    row = session.get(PartyRecord, party.tax_id)
    if row is None:
        try:
            # In a savepoint: another process (the web app approving, a watcher recording) may insert the same
            # tax id at the same moment, and that must not cost this transaction its records.
            with session.begin_nested():
                session.add(PartyRecord(tax_id=party.tax_id, name=party.name, source=party.source, invoice_id=invoice_id,
                                        updated_by=by, own=bool(own)))
            return True
        except IntegrityError:
            row = session.get(PartyRecord, party.tax_id, populate_existing=True)
            if row is None:
                raise
    changed = False
    if own is not None and row.own != own:
        row.own, changed = own, True
    if row.name != party.name:
        log.info("party %s renamed in the register: %s -> %s (%s)", party.tax_id, row.name, party.name, party.source)
        row.name, row.source, row.invoice_id, changed = party.name, party.source, invoice_id, True
    if changed:
        row.updated_by, row.updated_at = by, utcnow()
        session.flush()
    return changed


def confirmed_parties(fields: Mapping[str, FieldValue], *, approved: bool = False) -> list[Party]:
    """The parties an invoice confirms: name and tax id both accepted from a source other than the scan
    (or, for a record a reviewer approved, both present and the tax id valid)."""
    from intake.validate import tax_id_verdict

    out = []
    for name_field, id_field in PARTIES:
        fv, tax = fields[name_field], fields[id_field]
        if not fv.value or not tax.value or tax_id_verdict(tax.value)[0]:
            continue
        if approved:
            out.append(Party(tax.value, fv.value, Source.REVIEWER))
        elif all(f.status == Status.ACCEPTED and f.source in LEARN_FROM for f in (fv, tax)):
            out.append(Party(tax.value, fv.value, str(fv.source)))
    return out


def checked(tax_id: str, name: str, source: str = "import") -> Party:
    """A party typed or imported by a person: the tax id in normal form and valid, the name not empty."""
    from intake.normal import name as normal_name, tax_id as normal_tax_id
    from intake.validate import tax_id_verdict

    tax, clean = normal_tax_id(tax_id), normal_name(name)
    problems = tax_id_verdict(tax)[0]
    if problems:
        raise InvalidValueError(f"tax id {tax_id!r} is not valid ({', '.join(problems)})")
    if not clean:
        raise InvalidValueError(f"no name for tax id {tax}")
    return Party(tax, clean, source)


def read_csv(path: Path) -> list[Party]:
    """A vendor master exported as CSV: a tax id column and a name column (纳税人识别号/税号 and 名称, or tax_id and name)."""
    id_keys, name_keys = ("tax_id", "纳税人识别号", "税号", "统一社会信用代码"), ("name", "名称", "单位名称", "公司名称")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputFileError(f"{path}: {e.strerror or e}") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")  # Excel on a Chinese Windows saves CSV as GBK
    rows = list(csv.DictReader(text.splitlines()))
    if not rows:
        raise InputFileError(f"{path}: no rows")
    header = [k for k in rows[0].keys() if k]
    id_key = next((k for k in header if k.strip() in id_keys), None)
    name_key = next((k for k in header if k.strip() in name_keys), None)
    if id_key is None or name_key is None:
        raise InputFileError(f"{path}: needs a tax id column ({'/'.join(id_keys)}) and a name column ({'/'.join(name_keys)})")
    parties = []
    for line, row in enumerate(rows, start=2):
        try:
            parties.append(checked(row.get(id_key) or "", row.get(name_key) or ""))
        except InvalidValueError as e:
            raise InputFileError(f"{path}:{line}: {e}") from None
    return parties


def listing(session: Session, contains: str = "") -> list[PartyRecord]:
    query = select(PartyRecord).order_by(PartyRecord.name)
    if contains:
        query = query.where(PartyRecord.name.contains(contains) | PartyRecord.tax_id.contains(contains.upper()))
    return list(session.scalars(query))
