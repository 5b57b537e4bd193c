"""A clerk's day on real e-invoices: scan, find, where-is, export, and the same invoice arriving twice."""

from __future__ import annotations

import csv
import io
import json
import shutil

import sqlalchemy as sa
from click.testing import CliRunner

import cli
from conftest import realfile
from intake.schema import Document, Event, InvoiceRecord, InvoiceStatus

FILES = {
    "shudian.pdf": "mxvc-invoice/shudian_special_2024_suwell_585.00.pdf",
    "ride.pdf": "mxvc-invoice/jiangsu_e_normal_2022_ride_15.94.pdf",
    "goods-list.pdf": "mxvc-invoice/sichuan_e_normal_2023_with_goods_list_533.91.pdf",
    "restaurant.ofd": "ofdrw/zhejiang_e_normal_2020_restaurant.ofd",
}


def invoke(*args):
    result = CliRunner().invoke(cli.main, list(args), catch_exceptions=False)
    return result


def test_scan_find_status_export_and_duplicates(tmp_path, db_url):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, rel in FILES.items():
        shutil.copy(realfile(rel), inbox / name)
    # The same invoice again, as a different file (a re-download: other bytes, same invoice).
    (inbox / "shudian-again.pdf").write_bytes((inbox / "shudian.pdf").read_bytes() + b"\n% re-saved\n")
    common = ["--db", db_url, "--data-dir", str(tmp_path / "data")]

    r = invoke("scan", str(inbox), "--workers", "1", *common)
    assert r.exit_code == 0, r.output
    # The same file once more: one document, a duplicate event.
    r2 = invoke("scan", str(inbox / "ride.pdf"), "--workers", "1", *common)
    assert "duplicate files" in r2.stdout

    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        docs = {d.original_name: d for d in conn.execute(sa.select(Document))}
        recs = conn.execute(sa.select(InvoiceRecord)).all()
        dup_events = conn.execute(sa.select(Event).where(Event.stage == "duplicate_file")).all()
    engine.dispose()
    assert len(docs) == 5 and len(dup_events) == 1
    by_doc = {r.document_id: r for r in recs}
    first, again = sorted((by_doc[docs["shudian.pdf"].id], by_doc[docs["shudian-again.pdf"].id]), key=lambda r: r.id)
    assert first.status == InvoiceStatus.ACCEPTED
    assert again.status == InvoiceStatus.DUPLICATE and again.duplicate_of_id == first.id
    goods = by_doc[docs["goods-list.pdf"].id]
    assert goods.invoice_number == "45396125"

    found = invoke("find", "--number", "24112000000019562163", "--json", *common)
    rows = [json.loads(line) for line in found.stdout.splitlines()]
    assert {r["status"] for r in rows} == {"accepted", "duplicate"}
    assert all(r["amount_with_tax"] == "585.00" for r in rows)

    by_seller = invoke("find", "--seller", "北京飞天下", "--from", "2024-04-01", "--to", "2024-04-30", "--json", *common)
    assert len(by_seller.stdout.splitlines()) == 2
    by_amount = invoke("find", "--min-amount", "500", "--max-amount", "600", "--status", "accepted", "--json", *common)
    assert sorted(json.loads(l)["invoice_number"] for l in by_amount.stdout.splitlines()) == ["24112000000019562163", "45396125", "83089647"]

    where = invoke("status", "24112000000019562163", *common)
    assert where.exit_code == 0
    for word in ("received", "extracted", "recorded", "duplicate_invoice", "shudian-again.pdf", "shudian.pdf"):
        assert word in where.stdout, word
    # A renamed copy of a known file is found by content.
    renamed = tmp_path / "what-is-this.pdf"
    shutil.copy(inbox / "ride.pdf", renamed)
    assert "Document #" in invoke("status", str(renamed), *common).stdout

    out = tmp_path / "all.csv"
    assert invoke("export", "--format", "csv", "-o", str(out), *common).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 5
    assert {r["invoice_number"] for r in rows} >= {"24112000000019562163", "27086599", "45396125", "83089647"}
    items = json.loads(next(r for r in rows if r["invoice_number"] == "45396125")["items"])
    assert len(items) > 1  # the goods-list page's lines are this invoice's items
    only_dup = invoke("export", "--format", "jsonl", "--status", "duplicate", *common)
    assert [json.loads(l)["status"] for l in only_dup.stdout.splitlines()] == ["duplicate"]
