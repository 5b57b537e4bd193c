"""`intake extract FILE --json` prints exactly the JSON of CONTRACT.md, and on the real e-invoices every accepted key field is right."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from conftest import REALDATA, ROOT
from intake.invoice import FIELDS, ITEM_FIELDS, KEY_FIELDS

SOURCES = {"qr", "text_layer", "ocr", "computed", "reviewer"}
TEXT_FILES = sorted(
    [str(p.relative_to(REALDATA)) for p in REALDATA.glob("*/*.pdf") if "invoice2data" not in str(p)]
    + [str(p.relative_to(REALDATA)) for p in REALDATA.glob("*/*.ofd")]
) if REALDATA.is_dir() else []


def check_field(entry: dict, where: str) -> None:
    assert set(entry) >= {"value", "confidence", "status"}, where
    assert isinstance(entry["value"], str), where
    assert 0.0 <= entry["confidence"] <= 1.0, where
    assert entry["status"] in ("accepted", "needs_review"), where
    if entry["status"] == "needs_review":
        assert entry.get("reasons") and all(isinstance(r, str) for r in entry["reasons"]), where
    if "source" in entry:
        assert entry["source"] in SOURCES, where
    if "bbox" in entry:
        assert len(entry["bbox"]) == 4 and all(isinstance(v, (int, float)) for v in entry["bbox"]), where
        x0, y0, x1, y1 = entry["bbox"]
        assert x0 <= x1 and y0 <= y1, where


def check_document(doc: dict, source: str) -> None:
    assert doc["source"] == source
    assert len(doc["sha256"]) == 64
    for inv in doc["invoices"]:
        assert inv["page"] >= 1
        for name in FIELDS:
            assert name in inv, f"{name} missing"
            check_field(inv[name], name)
        for i, item in enumerate(inv["items"]):
            for name in ITEM_FIELDS:
                check_field(item[name], f"items[{i}].{name}")
        assert inv["needs_review"] == any(inv[k]["status"] == "needs_review" for k in KEY_FIELDS)


def _truth(rel: str) -> dict | None:
    sys.path.insert(0, str(ROOT))
    from bench.run import textlayer_cases

    return textlayer_cases().get(rel)


@pytest.mark.parametrize("rel", TEXT_FILES)
def test_real_e_invoice_json_follows_the_contract_and_accepted_means_right(rel):
    path = REALDATA / rel
    result = CliRunner().invoke(cli.main, ["extract", str(path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    check_document(doc, str(path))
    assert len(doc["invoices"]) == 1
    truth = _truth(rel)
    assert truth is not None, f"no expected values for {rel}"
    inv = doc["invoices"][0]
    for name in KEY_FIELDS:
        if inv[name]["status"] == "accepted":
            assert inv[name]["value"] == truth[name], (name, inv[name], truth[name])


def test_generated_samples_follow_the_contract():
    for path in sorted((ROOT / "samples" / "set").glob("*.pdf"))[:4]:
        if "image_pdf" in path.name:
            continue
        result = CliRunner().invoke(cli.main, ["extract", str(path), "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        doc = json.loads(result.stdout)
        check_document(doc, str(path))
        truth = json.loads(path.with_name(path.stem + ".truth.json").read_text())
        inv = doc["invoices"][0]
        for name in KEY_FIELDS:
            if inv[name]["status"] == "accepted":
                assert inv[name]["value"] == truth[name], (path.name, name)


def test_stdout_is_only_the_json_in_a_real_process(tmp_path):
    """Logs and progress go to stderr; stdout parses as one JSON document."""
    pdf = sorted((ROOT / "samples" / "set").glob("digital_pdf_*.pdf"))[0]
    proc = subprocess.run([sys.executable, "-c", "import cli; cli.main()", "extract", str(pdf), "--json"],
                          capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)


def test_cipher_row_beside_an_empty_tax_id_is_not_a_tax_id():
    """A person as buyer prints no tax id; the 密码区 row on that line, stripped to digits, must not become one."""
    path = ROOT / "samples" / "set" / "e_normal_pdf_0003.pdf"
    truth = json.loads(path.with_name(path.stem + ".truth.json").read_text())
    assert truth["buyer_name"] == "个人" and truth["buyer_tax_id"] == ""
    doc = json.loads(CliRunner().invoke(cli.main, ["extract", str(path), "--json"], catch_exceptions=False).stdout)
    inv = doc["invoices"][0]
    assert inv["buyer_tax_id"]["value"] == "" and inv["buyer_name"]["value"] == "个人"
