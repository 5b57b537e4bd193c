"""The synthetic invoice generator: determinism, ground truth that adds up, readable text layers and QR codes, the checked-in set."""

from __future__ import annotations

import hashlib
import json
import random
import time
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from stdnum.cn import uscc

from intake.invoice import FIELDS, ITEM_FIELDS
from samples import painter
from samples.content import make_invoice
from samples.generate import KINDS, generate, generate_set, invoice_for, main, truth_of
from samples.words import amount_to_words

SET_DIR = Path(__file__).resolve().parents[1] / "samples" / "set"
TYPES = ("vat_special", "vat_normal", "vat_electronic_normal", "digital_special", "digital_normal")
RATES = {"13%": Decimal("0.13"), "9%": Decimal("0.09"), "6%": Decimal("0.06"), "3%": Decimal("0.03"), "1%": Decimal("0.01"), "免税": Decimal("0")}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_truth(t: dict) -> None:
    """Everything a truth file promises: contract fields, arithmetic, words, checksums, codes that fit the type, QR."""
    assert set(FIELDS) <= set(t), set(FIELDS) - set(t)
    assert all(isinstance(t[f], str) for f in FIELDS)
    assert t["invoice_type"] in TYPES
    items = t["items"]
    assert 1 <= len(items)
    for item in items:
        assert set(item) == set(ITEM_FIELDS) and all(isinstance(v, str) for v in item.values())
        assert item["name"].startswith("*") and item["name"].count("*") >= 2
        amount, tax = Decimal(item["amount"]), Decimal(item["tax"])
        assert tax == (amount * RATES[item["tax_rate"]]).quantize(Decimal("0.01")) or abs(tax - amount * RATES[item["tax_rate"]]) <= Decimal("0.005")
        if item["quantity"]:
            assert abs(Decimal(item["quantity"]) * Decimal(item["unit_price"]) - amount) <= Decimal("0.01")
    total = sum(Decimal(i["amount"]) for i in items)
    tax = sum(Decimal(i["tax"]) for i in items)
    assert Decimal(t["total_amount"]) == total
    assert Decimal(t["total_tax"]) == tax
    assert Decimal(t["amount_with_tax"]) == total + tax
    for name in ("total_amount", "total_tax", "amount_with_tax"):
        assert t[name] == f"{Decimal(t[name]):.2f}"
    assert t["amount_in_words"] == amount_to_words(t["amount_with_tax"])
    assert uscc.is_valid(t["seller_tax_id"])
    assert t["buyer_tax_id"] == "" and t["buyer_name"] == "个人" or uscc.is_valid(t["buyer_tax_id"])
    year = t["issue_date"][:4]
    code, number, kind = t["invoice_code"], t["invoice_number"], t["invoice_type"]
    if kind.startswith("digital"):
        assert code == "" and len(number) == 20 and number[:2] == year[2:] and number.isdigit()
        assert t["check_code"] == "" and t["machine_number"] == ""
        qr_type, qr_amount = ("31" if kind == "digital_special" else "32"), t["amount_with_tax"]
    else:
        assert len(number) == 8 and number.isdigit() and len(t["machine_number"]) == 12
        if kind == "vat_special":
            assert len(code) == 10 and code[7] in "15" and t["check_code"] == ""
            qr_type = "01"
        elif kind == "vat_normal":
            assert (len(code) == 10 and code[7] in "36") or (len(code) == 12 and code[0] == "0" and code[-2:] in ("04", "05"))
            qr_type = "04"
        else:
            assert len(code) == 12 and code[0] == "0" and code[-2:] == "11"
            qr_type = "10"
        assert len(t["check_code"]) == (0 if kind == "vat_special" else 20)
        year_digits = code[4:6] if len(code) == 10 else code[5:7]
        assert 17 <= int(year_digits) <= int(year[2:])
        qr_amount = t["total_amount"]
    fields = t["qr_payload"].split(",")
    assert fields[:4] == ["01", qr_type, code, number]
    assert Decimal(fields[4]) == Decimal(qr_amount) and not fields[4].endswith("0") or "." not in fields[4]
    assert fields[5] == t["issue_date"].replace("-", "")
    assert fields[6] == t["check_code"]


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_bytes_and_truth(kind, tmp_path, monkeypatch):
    a = generate(7, kind, tmp_path / "a")
    # A clock that reads another day must not change the bytes (PDF writers stamp dates).
    real_gmtime, real_localtime, other_day = time.gmtime, time.localtime, 981173106.0
    monkeypatch.setattr(time, "time", lambda: other_day)
    monkeypatch.setattr(time, "gmtime", lambda secs=None: real_gmtime(other_day if secs is None else secs))
    monkeypatch.setattr(time, "localtime", lambda secs=None: real_localtime(other_day if secs is None else secs))
    b = generate(7, kind, tmp_path / "b")
    monkeypatch.undo()
    c = generate(8, kind, tmp_path / "c")
    assert _sha(a.path) == _sha(b.path)
    assert a.truth_path.read_text(encoding="utf-8") == b.truth_path.read_text(encoding="utf-8")
    assert _sha(a.path) != _sha(c.path)
    assert json.loads(a.truth_path.read_text(encoding="utf-8")) == a.truth
    assert a.truth_path.name == a.path.stem + ".truth.json"


@pytest.mark.parametrize("invoice_type", TYPES)
def test_content_is_consistent_over_many_seeds(invoice_type):
    for seed in range(150):
        inv = make_invoice(random.Random(seed), invoice_type, goods_list=seed % 10 == 0)
        check_truth(inv.truth())


def test_words_cover_the_hard_cases():
    assert amount_to_words("7018.83") == "柒仟零壹拾捌圆捌角叁分"
    assert amount_to_words("37.20") == "叁拾柒圆贰角"
    assert amount_to_words("24.07") == "贰拾肆圆零柒分"
    assert amount_to_words("100000") == "壹拾万圆整"
    assert amount_to_words("1308.00") == "壹仟叁佰零捌圆整"
    assert amount_to_words("2899804.18") == "贰佰捌拾玖万玖仟捌佰零肆圆壹角捌分"


def test_words_agree_with_the_pipeline_converter():
    capital = pytest.importorskip("intake.capital")
    rng = random.Random(3)
    for _ in range(3000):
        value = Decimal(rng.randint(0, 10 ** rng.randint(1, 10))) / 100
        assert capital.amount_to_words(value) == amount_to_words(value), value


@pytest.mark.parametrize("kind", ["e_normal_pdf", "digital_pdf"])
def test_text_layer_pdf_extracts(kind, tmp_path):
    for seed in range(3):
        case = generate(seed, kind, tmp_path)
        check_truth(case.truth)
        with pdfplumber.open(case.path) as pdf:
            text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        for field in ("invoice_number", "buyer_name", "seller_name", "seller_tax_id", "amount_in_words", "drawer"):
            assert case.truth[field] in text, (field, case.truth[field])
        assert "¥" + case.truth["amount_with_tax"] in text


def test_goods_list_pdf_has_two_pages(tmp_path):
    seed = next(s for s in range(200) if random.Random(f"fapiao-samples:{s}:e_normal_pdf").random() < 0.15)
    case = generate(seed, "e_normal_pdf", tmp_path)
    assert case.truth["meta"]["pages"] == 2
    with pdfplumber.open(case.path) as pdf:
        assert len(pdf.pages) == 2
        first, second = (p.extract_text() for p in pdf.pages)
    assert "详见销货清单" in first and "销售货物或者提供应税劳务、服务清单" in second
    for item in case.truth["items"]:
        assert item["amount"] in second


def _decode(image: Image.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


@pytest.mark.parametrize("kind", ["paper_special", "paper_normal"])
def test_qr_in_scan_decodes_to_truth(kind, tmp_path):
    for seed in range(2):
        case = generate(seed, kind, tmp_path)
        check_truth(case.truth)
        assert _decode(Image.open(case.path)) == [case.truth["qr_payload"]]


def test_image_pdf_is_image_only_with_decodable_qr(tmp_path):
    case = generate(1, "image_pdf", tmp_path)
    with pdfplumber.open(case.path) as pdf:
        assert len(pdf.pages) == 1 and not (pdf.pages[0].extract_text() or "").strip()
        assert pdf.pages[0].images
    doc = pypdfium2.PdfDocument(str(case.path))
    image = doc[0].render(scale=200 / 72).to_pil()
    doc.close()
    assert _decode(image) == [case.truth["qr_payload"]]


def test_phone_photo_is_a_large_jpeg_with_desk_around(tmp_path):
    case = generate(3, "phone_photo", tmp_path)
    image = Image.open(case.path)
    assert image.format == "JPEG" and 1400 <= max(image.size) <= 2600


def test_missing_font_names_the_package(monkeypatch):
    monkeypatch.setitem(painter.FONTS, "song", ("/nonexistent/uming.ttc", 0, "fonts-arphic-uming"))
    painter.pil_font.cache_clear()
    with pytest.raises(painter.FontMissing, match="fonts-arphic-uming"):
        painter.pil_font("song", 20)
    painter.pil_font.cache_clear()


def test_cli_writes_count_files(tmp_path):
    assert main(["--out", str(tmp_path), "--count", "2", "--seed", "5", "--kinds", "digital_pdf", "e_normal_pdf"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "digital_pdf_0005.pdf", "digital_pdf_0005.truth.json", "e_normal_pdf_0006.pdf", "e_normal_pdf_0006.truth.json",
    ]


def test_generate_set_cycles_kinds(tmp_path):
    cases = generate_set(tmp_path, 3, seed=10, kinds=["digital_pdf", "e_normal_pdf"])
    assert [c.kind for c in cases] == ["digital_pdf", "e_normal_pdf", "digital_pdf"]
    assert [c.seed for c in cases] == [10, 11, 12]


def test_checked_in_set_covers_every_kind_with_valid_truth():
    files = sorted(p for p in SET_DIR.iterdir() if not p.name.endswith(".truth.json"))
    assert files, "samples/set is empty"
    kinds = {}
    for path in files:
        truth_path = path.with_name(path.stem + ".truth.json")
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        check_truth(truth)
        kinds[truth["meta"]["kind"]] = kinds.get(truth["meta"]["kind"], 0) + 1
        # The truth is reproducible from the seed (the bytes depend on library versions, the truth does not).
        kind, seed = truth["meta"]["kind"], truth["meta"]["seed"]
        assert truth_of(invoice_for(seed, kind), kind, seed) == truth
    assert set(kinds) == set(KINDS)
    assert kinds["paper_special"] + kinds["paper_normal"] >= 3 and kinds["phone_photo"] >= 2
    assert sum(p.stat().st_size for p in SET_DIR.iterdir()) < 6_500_000
    assert any(json.loads(p.read_text(encoding="utf-8"))["meta"]["pages"] == 2 for p in SET_DIR.glob("*.truth.json"))
