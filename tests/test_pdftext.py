"""read_pdf on hand-built PDFs: text runs and their geometry, letter-spaced and unmapped glyphs, scans, and every way a file can be unreadable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from intake.errors import CorruptFileError, EncryptedFileError, TooLargeError
from intake.pages import PageKind
from intake.pdftext import read_pdf, render_page
from intake.settings import Settings

from conftest import realfile

# A CJK font that every PDF reader knows without embedding (Adobe-GB1, UCS-2 codes): what old e-invoices use.
CJK_FONT = (
    b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
    b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
    b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /DW 1000 >>] >>"
)
# Identity-H without a ToUnicode map: readers can only report "(cid:N)".
UNMAPPED_FONT = (
    b"<< /Type /Font /Subtype /Type0 /BaseFont /NoMap /Encoding /Identity-H "
    b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType2 /BaseFont /NoMap "
    b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>] >>"
)
LATIN_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def build_pdf(
    contents: list[bytes], size=(595, 396), fonts: dict[str, bytes] | None = None, trailer_extra: bytes = b"",
    extra_objects: list[bytes] | None = None, xobjects: dict[str, bytes] | None = None,
) -> bytes:
    """A minimal, valid PDF: one page per content stream, fonts and XObjects (whole stream objects) shared, a correct xref table."""
    fonts = fonts or {"F1": CJK_FONT, "F2": LATIN_FONT}
    objects: list[bytes] = [b"", b""]  # 1: catalog, 2: pages; filled below
    font_refs = []
    for name, body in fonts.items():
        objects.append(body)
        font_refs.append(b"/%s %d 0 R" % (name.encode(), len(objects)))
    xobject_refs = []
    for name, body in (xobjects or {}).items():
        objects.append(body)
        xobject_refs.append(b"/%s %d 0 R" % (name.encode(), len(objects)))
    resources = b"<< /Font << " + b" ".join(font_refs) + b" >> /XObject << " + b" ".join(xobject_refs) + b" >> >>"
    kids = []
    for content in contents:
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        stream_ref = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources %s /Contents %d 0 R >>"
            % (size[0], size[1], resources, stream_ref)
        )
        kids.append(b"%d 0 R" % len(objects))
    for extra in extra_objects or []:
        objects.append(extra)
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(kids)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1) + trailer_extra + b">>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def cjk(text: str, x: float, y: float, size: float = 9, font: str = "F1") -> bytes:
    """A text-showing operation in UCS-2 (what UniGB-UCS2-H expects)."""
    return b"BT /%s %g Tf %g %g Td <%s> Tj ET\n" % (font.encode(), size, x, y, text.encode("utf-16-be").hex().encode())


def spaced(text: str, x: float, y: float, pitch: float, size: float = 9) -> bytes:
    """One glyph per text object, `pitch` apart: the way easyofd re-renders OFD pages."""
    return b"".join(cjk(ch, x + i * pitch, y, size) for i, ch in enumerate(text))


@pytest.fixture
def settings(tmp_path) -> Settings:  # overrides the database-backed fixture: reading PDFs needs no database
    return Settings(data_dir=tmp_path)


def write(tmp_path: Path, data: bytes, name: str = "f.pdf") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_text_page_gives_runs_with_top_left_geometry(tmp_path, settings):
    content = cjk("发票代码:", 420, 360) + cjk("051002200411", 465, 360) + cjk("名称:", 40, 300)
    content += b"BT /F2 10 Tf 40 100 Td (Hello 2023) Tj ET\n"
    pages = read_pdf(write(tmp_path, build_pdf([content])), settings)
    assert len(pages) == 1
    page = pages[0]
    assert page.kind == PageKind.TEXT and (page.width, page.height) == (595, 396)
    texts = [line.text for line in page.lines]
    # The label and the value that follows it stay apart; reading order is top to bottom.
    assert texts[:2] == ["发票代码:", "051002200411"]
    assert "名称:" in texts and "Hello" in texts and "2023" in texts
    code = next(line for line in page.lines if line.text == "051002200411")
    # y grows downwards: a baseline at 360 (from the bottom of a 396-point page) is near the top.
    assert 20 < code.y0 < code.y1 < 40 and code.x0 == pytest.approx(465, abs=0.5)
    assert code.confidence == 1.0
    hello = next(line for line in page.lines if line.text == "Hello")
    assert hello.y0 > code.y1 and hello.font == "Helvetica"


def test_letter_spaced_rendering_is_rejoined(tmp_path, settings):
    content = spaced("价税合计（大写）", 40, 300, pitch=25)
    content += spaced("购买方名称：", 40, 340, pitch=25) + spaced("中国移动通信集团四川有限公司", 230, 340, pitch=25)
    content += spaced("开票人：", 40, 40, pitch=25) + spaced("石富阳", 170, 40, pitch=25)
    pages = read_pdf(write(tmp_path, build_pdf([content], size=(800, 400))), settings)
    texts = [line.text for line in pages[0].lines]
    assert "价税合计（大写）" in texts
    assert "中国移动通信集团四川有限公司" in texts
    # A label colon still ends the label run, so the value is its own run.
    assert "开票人：" in texts and "石富阳" in texts


def test_normal_spacing_is_not_taken_for_letter_spacing(tmp_path, settings):
    content = cjk("货物或应税劳务、服务名称", 30, 240) + cjk("规格型号", 180, 240) + cjk("单位", 240, 240)
    content += cjk("金", 405, 240) + cjk("额", 418, 240)
    pages = read_pdf(write(tmp_path, build_pdf([content])), settings)
    texts = [line.text for line in pages[0].lines]
    assert texts == ["货物或应税劳务、服务名称", "规格型号", "单位", "金", "额"]


def test_unmapped_glyphs_are_dropped_not_printed_as_cid(tmp_path, settings):
    content = cjk("价税合计", 40, 300) + b"BT /F3 9 Tf 76 300 Td <003A> Tj ET\n" + cjk("大写", 85, 300)
    fonts = {"F1": CJK_FONT, "F3": UNMAPPED_FONT}
    pages = read_pdf(write(tmp_path, build_pdf([content], fonts=fonts)), settings)
    text = "".join(line.text for line in pages[0].lines)
    assert "cid" not in text and "价税合计" in text and "大写" in text


def test_real_font_trap_file_has_no_cid_left():
    pages = read_pdf(realfile("mxvc-invoice/sichuan_e_normal_2022_hotel_BWSimKai_no_tounicode_759.00.pdf"), Settings())
    texts = [line.text for line in pages[0].lines]
    assert not any("cid" in t for t in texts)
    # "价税合计(cid:58)大写(cid:61)": the unmapped brackets go, the words stay.
    assert "价税合计" in texts and "大写" in texts


def test_page_without_text_is_rendered_as_an_image(tmp_path, settings):
    content = b"0 0 0 rg 100 100 200 100 re f\n"
    settings.render_dpi = 72
    pages = read_pdf(write(tmp_path, build_pdf([content], size=(300, 200))), settings)
    page = pages[0]
    assert page.kind == PageKind.IMAGE and page.lines == []
    assert page.image.shape == (200, 300, 3) and str(page.image.dtype) == "uint8"
    # The box spans x 100-300 and the upper half (y 100-200 counted from the bottom); the rest is white.
    assert page.image[50, 200].tolist() == [0, 0, 0]
    assert page.image[150, 50].tolist() == [255, 255, 255]


def test_render_page_scales_with_dpi(tmp_path):
    path = write(tmp_path, build_pdf([cjk("发票", 10, 10)], size=(144, 72)))
    assert render_page(path, 1, 144).shape == (144, 288, 3)
    with pytest.raises(CorruptFileError):
        render_page(path, 2, 72)


def test_blank_pages_of_a_text_pdf_are_image_pages(tmp_path, settings):
    pages = read_pdf(write(tmp_path, build_pdf([cjk("发票", 10, 10), b""], size=(100, 100))), settings)
    assert [p.kind for p in pages] == [PageKind.TEXT, PageKind.IMAGE]
    assert [p.number for p in pages] == [1, 2]


def test_too_many_pages(tmp_path, settings):
    settings.max_pages = 2
    path = write(tmp_path, build_pdf([cjk("发票", 10, 10)] * 3, size=(100, 100)))
    with pytest.raises(TooLargeError) as e:
        read_pdf(path, settings)
    assert "3 pages" in str(e.value) and "\n" not in str(e.value)


def test_encrypted_pdf_needing_a_password(tmp_path, settings):
    # Standard security handler, RC4 40-bit; /U does not match the empty user password,
    # so a reader needs a password it does not have.
    encrypt = (
        b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 "
        b"/O <" + b"6a" * 32 + b"> /U <" + b"5b" * 32 + b"> >>"
    )
    data = build_pdf([cjk("发票", 10, 10)], extra_objects=[encrypt])
    encrypt_ref = data.count(b" obj\n")  # the encrypt dictionary is the last object
    data = build_pdf(
        [cjk("发票", 10, 10)], extra_objects=[encrypt],
        trailer_extra=b"/Encrypt %d 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>] "
        % encrypt_ref,
    )
    with pytest.raises(EncryptedFileError) as e:
        read_pdf(write(tmp_path, data), settings)
    assert "password" in str(e.value)


def test_truncated_pdf_is_corrupt(tmp_path, settings):
    data = realfile("mxvc-invoice/sichuan_e_normal_2023_ride_3pct_17.40.pdf").read_bytes()
    with pytest.raises(CorruptFileError):
        read_pdf(write(tmp_path, data[:2000]), settings)


def test_random_bytes_are_corrupt(tmp_path, settings):
    import random

    rng = random.Random(7)
    data = b"%PDF-1.4\n" + bytes(rng.randrange(256) for _ in range(4000))
    with pytest.raises(CorruptFileError) as e:
        read_pdf(write(tmp_path, data), settings)
    assert "\n" not in str(e.value)


def test_missing_trailer_and_xref_is_corrupt(tmp_path, settings):
    with pytest.raises(CorruptFileError):
        read_pdf(write(tmp_path, b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"), settings)


def test_text_path_does_not_load_the_ocr_stack(tmp_path):
    path = write(tmp_path, build_pdf([cjk("发票代码:", 420, 360)]))
    code = (
        "import sys; from pathlib import Path; from intake.pdftext import read_pdf; "
        "from intake.settings import Settings; "
        f"pages = read_pdf(Path({str(path)!r}), Settings()); "
        "heavy = [m for m in ('paddle', 'paddleocr', 'paddlex', 'onnxruntime', 'cv2') if m in sys.modules]; "
        "print(pages[0].kind, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "text []"


def stream_object(attrs: bytes, data: bytes) -> bytes:
    return b"<< " + attrs + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _plumber_chars(path: Path) -> list[list[dict]]:
    """pdfplumber's own glyphs (its full object model and pdfminer's byte-by-byte parser) in our keys."""
    import pdfplumber

    keys = ("text", "x0", "x1", "top", "bottom", "size", "fontname")
    with pdfplumber.open(path) as pdf:
        return [[{k: c[k] for k in keys} for c in page.chars] for page in pdf.pages]


def _fast_chars(path: Path) -> list[list[dict]]:
    import pdfplumber

    from intake.pdftext import _chars

    with pdfplumber.open(path) as pdf:
        return [_chars(page)[0] for page in pdf.pages]


def test_fast_interpreter_reads_tricky_syntax_as_pdfminer_does(tmp_path):
    """Escapes, octal codes, nested parentheses, odd hex, '#' in names, comments, TJ kerning, ' and ",
    text state operators, an inline image, a form XObject, and drawing operators mixed in between."""
    form = stream_object(
        b"/Type /XObject /Subtype /Form /BBox [0 0 200 50] /Matrix [1 0 0 1 30 20] /Resources << /Font << /F2 4 0 R >> >>",
        b"BT /F2 8 Tf 2 3 Td (in a form) Tj ET 0 0 m 10 10 l S",
    )
    content = b"".join([
        b"% a comment (with a paren\n",
        b"q 1 0 0 1 5 5 cm 0.5 g 10 10 100 50 re f Q\n",
        b"BT /F2 10 Tf 40 300 Td (Esc\\(ape\\) \\101\\102C \\\\ nested (paren) here) Tj ET\n",
        b"BT /F2 9 Tf 12 TL 40 280 Td 2 Tc 0.5 Tw 90 Tz 1.5 Ts (spaced) Tj T* (next line) ' 1 2 (quoted) \" ET\n",
        b"BT /F2 11 Tf 40 240 Td [(Ke) -250 (rn) 120.5 (ing)] TJ <48656C6C6F2> Tj ET\n",
        b"1 0 0 RG 3 w [2 1] 0 d 40 200 m 300 200 l 320 180 330 170 340 160 c h S\n",
        b"/Sp#61ce BMC BT /F2 10 Tf 1 0 0 1 40 180 Tm (marked) Tj ET EMC\n",
        b"q 20 0 0 20 400 300 cm BI /W 2 /H 2 /CS /G /BPC 8 ID \x00\xff\xff\x00 EI Q\n",
        b"/Fm1 Do\n",
        b"BT /F1 9 Tf 40 150 Td ", cjk("发票代码", 0, 0)[len(b"BT /F1 9 Tf 0 0 Td "):],
    ])
    path = write(tmp_path, build_pdf([content], xobjects={"Fm1": form}))
    ours, theirs = _fast_chars(path), _plumber_chars(path)
    texts = "".join(c["text"] for c in ours[0])
    assert "Esc(ape) ABC \\ nested (paren) here" in texts and "in a form" in texts and "发票代码" in texts
    assert "Hello" in texts and "marked" in texts and "quoted" in texts
    assert ours == theirs


def test_fast_interpreter_matches_pdfplumber_on_every_real_pdf():
    from conftest import REALDATA

    paths = sorted(REALDATA.glob("*/*.pdf"))
    if not paths:
        pytest.skip("real data absent")
    for path in paths:
        assert _fast_chars(path) == _plumber_chars(path), path.name


def test_fast_interpreter_agrees_with_pdfminer_on_damaged_content(tmp_path):
    """Seeded random damage (bytes changed, cut, inserted) to a content stream: our glyphs are pdfminer's,
    or both fail. Skipped mutants: 'EEI' before an inline image's end, which pdfminer reads past."""
    import logging
    import random
    import re

    logging.disable(logging.CRITICAL)  # pdfminer warns about every broken operator
    try:
        base = b"".join([
            b"q 1 0 0 1 5 5 cm 0.5 g 10 10 100 50 re f Q\n",
            b"BT /F2 10 Tf 40 300 Td (Esc\\(ape\\) \\101\\102C \\\\ nested (paren) here) Tj ET\n",
            b"BT /F2 9 Tf 12 TL 40 280 Td 2 Tc 0.5 Tw 90 Tz (spaced) Tj T* (next) ' 1 2 (quoted) \" ET\n",
            b"BT /F2 11 Tf 40 240 Td [(Ke) -250 (rn) 120.5 (ing)] TJ <48656C6C6F2> Tj ET\n",
            b"/Sp#61ce BMC BT /F2 10 Tf 1 0 0 1 40 180 Tm (marked) Tj ET EMC\n",
            b"q 20 0 0 20 400 300 cm BI /W 2 /H 2 /CS /G /BPC 8 ID \x00\xff\xff\x00 EI Q\n",
            b"BT /F1 9 Tf 40 150 Td <53D1> Tj ET\n",
        ])
        alphabet = b" ()<>[]/\\%0123456789.-+TjJdfmnqQBEIW*'\"\n"
        rng = random.Random(20240601)
        compared = 0
        for n in range(60):
            data = bytearray(base)
            for _ in range(rng.randint(1, 6)):
                i, op = rng.randrange(len(data)), rng.random()
                if op < 0.4:
                    data[i] = rng.choice(alphabet)
                elif op < 0.7:
                    del data[i : i + rng.randint(1, 5)]
                else:
                    data[i:i] = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 4)))
            if re.search(rb"E+EI", bytes(data)):
                continue
            path = write(tmp_path, build_pdf([bytes(data)]), f"m{n}.pdf")
            results = []
            for read in (_fast_chars, _plumber_chars):
                try:
                    results.append(read(path))
                except Exception as e:  # noqa: BLE001 - a failure on both sides is agreement
                    results.append(type(e).__name__)
            assert results[0] == results[1] or all(isinstance(r, str) for r in results), bytes(data)
            compared += 1
        assert compared > 50
    finally:
        logging.disable(logging.NOTSET)
