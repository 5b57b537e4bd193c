"""What the command line shows a person: tables, the scan progress bar and summary, a file's trail."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from intake.invoice import FIELDS, ITEM_FIELDS, KEY_FIELDS, Extraction, Status
from intake.receive import Outcome

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

STATUS_STYLE = {"accepted": "green", "needs_review": "yellow", "approved": "green bold", "rejected": "red", "duplicate": "magenta"}


def print_extraction(result: Extraction) -> None:
    out.print(f"[bold]{result.source}[/] sha256 {result.sha256[:16]}… {result.page_count} page(s), type {result.detected_type}")
    if not result.invoices:
        out.print("No invoice found (blank pages).")
    for inv in result.invoices:
        table = Table(title=f"Invoice on page {inv.page}" + (" — needs review" if inv.needs_review else " — accepted"))
        for col in ("field", "value", "conf.", "status", "source", "reasons"):
            table.add_column(col)
        for name in FIELDS:
            fv = inv.fields[name]
            ok = fv.status == Status.ACCEPTED
            table.add_row(
                name + (" *" if name in KEY_FIELDS else ""),
                fv.value.replace("\n", " / "),
                f"{fv.confidence:.2f}",
                f"[{'green' if ok else 'yellow'}]{fv.status}[/]",
                str(fv.source),
                ", ".join(fv.reasons),
            )
        out.print(table)
        if inv.items:
            items = Table(title="Items")
            for col in ITEM_FIELDS:
                items.add_column(col)
            for item in inv.items:
                items.add_row(*[item[k].value if k in item else "" for k in ITEM_FIELDS])
            out.print(items)


@dataclass
class ScanSummary:
    files: int = 0
    invoices: int = 0
    needs_review: int = 0
    duplicate_files: int = 0
    duplicate_invoices: int = 0
    failed: list[Outcome] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, o: Outcome) -> None:
        self.files += 1
        self.invoices += o.invoices
        self.needs_review += o.needs_review
        self.duplicate_invoices += o.duplicates
        if o.status == "duplicate_file":
            self.duplicate_files += 1
        elif o.status == "failed":
            self.failed.append(o)

    def add_missing(self, path: Path) -> None:
        self.files += 1
        self.failed.append(Outcome(str(path), "failed", reason="not_found", message=f"{path}: no such file or folder"))


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[Outcome], None]]:
    progress = Progress(
        TextColumn("[bold]Scanning"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[last]}"),
        console=err,
        transient=False,
    )
    with progress:
        task = progress.add_task("scan", total=total, rate="", last="")

        def advance(o: Outcome) -> None:
            t = progress.tasks[task]
            done = t.completed + 1
            elapsed = t.elapsed or 0.0
            rate = f"{done / elapsed:.1f} files/s" if elapsed > 0 else ""
            progress.update(task, advance=1, rate=rate, last=Path(o.path).name[-40:])

        yield advance


def print_summary(s: ScanSummary) -> None:
    table = Table(title="Scan summary", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("files read", str(s.files))
    table.add_row("invoices", str(s.invoices))
    table.add_row("need review", f"[yellow]{s.needs_review}[/]" if s.needs_review else "0")
    table.add_row("duplicate files", str(s.duplicate_files))
    table.add_row("duplicate invoices", str(s.duplicate_invoices))
    table.add_row("failed", f"[red]{len(s.failed)}[/]" if s.failed else "0")
    if s.skipped:
        kinds = Counter(p.suffix.lower() or p.name for p in s.skipped)
        shown = ", ".join(f"{k} {n}" for k, n in kinds.most_common(4))
        table.add_row(f"skipped, not a document ({shown})", str(len(s.skipped)))
    out.print(table)
    if s.failed:
        out.print("[red bold]Failed:[/]")
        by_reason = Counter(o.reason for o in s.failed)
        for o in s.failed:
            out.print(f"  {o.path}: [red]{o.reason}[/] — {o.message}", soft_wrap=True)
        out.print("  by reason: " + ", ".join(f"{r} {n}" for r, n in by_reason.most_common()))


def invoice_json(rec: Any) -> dict[str, Any]:
    from intake.query import invoice_values, item_values

    fields = {}
    evidence = {(f.item_position, f.name): f for f in rec.field_values}
    for name, value in invoice_values(rec).items():
        f = evidence.get((-1, name))
        fields[name] = {
            "value": value,
            "confidence": float(f.confidence) if f else None,
            "status": f.status if f else None,
            "reasons": f.reasons if f else [],
            "source": f.source if f else None,
            "bbox": f.bbox if f else None,
        }
    return {
        "id": rec.id,
        "status": rec.status,
        "version": rec.version,
        "document_id": rec.document_id,
        "source_file": rec.document.original_path,
        "page": rec.page,
        "duplicate_of_id": rec.duplicate_of_id,
        "fields": fields,
        "items": item_values(rec),
    }


def print_invoice(rec: Any) -> None:
    data = invoice_json(rec)
    style = STATUS_STYLE.get(rec.status, "")
    out.print(f"[bold]Invoice #{rec.id}[/] [{style}]{rec.status}[/] version {rec.version} — {data['source_file']} page {rec.page}")
    if rec.duplicate_of_id:
        out.print(f"[magenta]Duplicate of invoice #{rec.duplicate_of_id}[/]")
    table = Table()
    for col in ("field", "value", "conf.", "status", "source", "reasons"):
        table.add_column(col)
    for name, f in data["fields"].items():
        ok = f["status"] == "accepted"
        table.add_row(
            name, f["value"].replace("\n", " / "), "" if f["confidence"] is None else f"{f['confidence']:.2f}",
            f"[{'green' if ok else 'yellow'}]{f['status']}[/]", f["source"] or "", ", ".join(f["reasons"] or []),
        )
    out.print(table)
    if data["items"]:
        items = Table(title="Items")
        cols = list(data["items"][0].keys())
        for col in cols:
            items.add_column(col)
        for it in data["items"]:
            items.add_row(*[it[c] for c in cols])
        out.print(items)


def print_invoice_list(records: list[Any]) -> None:
    if not records:
        out.print("No invoice matches.")
        return
    table = Table()
    for col in ("id", "status", "type", "code", "number", "date", "seller", "buyer", "价税合计"):
        table.add_column(col)
    for r in records:
        table.add_row(
            str(r.id), f"[{STATUS_STYLE.get(r.status, '')}]{r.status}[/]", r.invoice_type, r.invoice_code, r.invoice_number,
            r.issue_date.isoformat() if r.issue_date else "", r.seller_name, r.buyer_name,
            f"{r.amount_with_tax:.2f}" if r.amount_with_tax is not None else "",
        )
    out.print(table)
    out.print(f"{len(records)} invoice(s).")


def print_whereabouts(w: Any) -> None:
    """One line per document, invoice and event: readable in a terminal, greppable in a script."""
    if not w.received:
        out.print(f"[bold red]Never received:[/] nothing named or containing {w.query!r} has entered the system.")
        return
    for d in w.documents:
        reason = f" — {d.failure_reason}: {d.failure_message}" if d.failure_reason else ""
        out.print(f"[bold]Document #{d.id}[/] {d.original_path} ({d.size} bytes, sha256 {d.sha256[:12]}…): [bold]{d.status}[/]{reason}",
                  soft_wrap=True)
    for r in w.invoices:
        out.print(
            f"  invoice #{r.id} page {r.page}: {r.invoice_type} {r.invoice_code} {r.invoice_number} "
            f"[{STATUS_STYLE.get(r.status, '')}]{r.status}[/]" + (f" (duplicate of #{r.duplicate_of_id})" if r.duplicate_of_id else ""),
            soft_wrap=True,
        )
    out.print("[bold]Events[/] (UTC):")
    for e in w.events:
        style = {"failed": "red", "duplicate": "magenta"}.get(e.outcome, "")
        outcome = f"[{style}]{e.outcome}[/]" if style else e.outcome
        out.print(f"  {e.at:%Y-%m-%d %H:%M:%S}  {e.stage:<17} {outcome:<9} {e.reason:<16} {e.message}  [dim]{e.path}[/]", soft_wrap=True)
