"""Bad input end to end: `extract` says one line and exits non-zero; `scan` records a failed document with the reason and goes on."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import cli
from conftest import REALDATA, realfile
from intake.schema import Document, DocumentStatus, InvoiceRecord
from test_pdftext import build_pdf, cjk


def encrypted_pdf() -> bytes:
    encrypt = b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 /O <" + b"6a" * 32 + b"> /U <" + b"5b" * 32 + b"> >>"
    ref = build_pdf([cjk("发票", 10, 10)], extra_objects=[encrypt]).count(b" obj\n")
    return build_pdf(
        [cjk("发票", 10, 10)], extra_objects=[encrypt],
        trailer_extra=b"/Encrypt %d 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>] " % ref,
    )


def many_pages_pdf(n: int) -> bytes:
    return build_pdf([b"BT ET"] * n)


@pytest.fixture
def bad_files(tmp_path) -> dict[str, tuple[Path, str]]:
    """name -> (file, the reason the document must fail with)."""
    d = tmp_path / "bad"
    d.mkdir()
    files = {}

    def add(name: str, data: bytes, reason: str) -> None:
        p = d / name
        p.write_bytes(data)
        files[name] = (p, reason)

    add("empty.pdf", b"", "empty_file")
    add("random.pdf", os.urandom(20_000), "unsupported_type")
    add("encrypted.pdf", encrypted_pdf(), "encrypted")
    add("2000-pages.pdf", many_pages_pdf(2000), "too_large")
    add("broken.jpg", b"\xff\xd8\xff\xe0" + os.urandom(3000), "corrupt")
    if REALDATA.is_dir():
        real = REALDATA / "mxvc-invoice/sichuan_e_normal_2023_ride_3pct_17.40.pdf"
        add("truncated.pdf", real.read_bytes()[:3000], "corrupt")
        shutil.copy(REALDATA / "invoice2data/AzureInterior.pdf", d / "not-an-invoice.pdf")
        files["not-an-invoice.pdf"] = (d / "not-an-invoice.pdf", "not_an_invoice")
    return files


def test_extract_gives_one_line_and_nonzero_exit(bad_files):
    runner = CliRunner()
    for name, (path, reason) in bad_files.items():
        result = runner.invoke(cli.main, ["extract", str(path), "--json"], catch_exceptions=False)
        assert result.exit_code in (2, 3), (name, result.exit_code, result.output)
        assert result.stdout == "", name
        err = result.stderr.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("Error: ") and name in err[0], (name, result.stderr)
        assert "Traceback" not in result.stderr


def test_scan_records_each_failure_and_goes_on(bad_files, tmp_path, db_url):
    good = realfile("mxvc-invoice/shudian_special_2024_suwell_585.00.pdf")
    folder = next(iter(bad_files.values()))[0].parent
    shutil.copy(good, folder / "good.pdf")
    result = CliRunner().invoke(
        cli.main, ["scan", str(folder), "--db", db_url, "--data-dir", str(tmp_path / "data"), "--workers", "1"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        docs = {r.original_name: r for r in conn.execute(sa.select(Document))}
        invoices = conn.execute(sa.select(InvoiceRecord.document_id)).scalars().all()
    engine.dispose()
    for name, (_, reason) in bad_files.items():
        assert docs[name].status == DocumentStatus.FAILED, name
        assert docs[name].failure_reason == reason, (name, docs[name].failure_message)
        assert docs[name].failure_message and "\n" not in docs[name].failure_message
        assert docs[name].id not in invoices  # never a half-written record
    assert docs["good.pdf"].status == DocumentStatus.DONE and invoices == [docs["good.pdf"].id]
