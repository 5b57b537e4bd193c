"""Capital (大写) amounts: printing, parsing, round trips, and the strings printed on real invoices."""

from __future__ import annotations

import random
import re
from decimal import Decimal

import pytest

from intake.capital import amount_to_words, words_to_amount
from conftest import realfile

D = Decimal

# Printed words and 小写 figures as they appear on the real-data invoices (text layers read with pdfplumber).
PRINTED = [
    ("伍佰捌拾伍圆整", "585.00"),
    ("壹拾贰万捌仟陆佰伍拾陆圆叁角贰分", "128656.32"),
    ("贰佰捌拾玖万玖仟捌佰零肆圆壹角捌分", "2899804.18"),
    ("贰仟壹佰伍拾圆陆角叁分", "2150.63"),
    ("贰佰陆拾捌圆整", "268.00"),
    ("壹仟叁佰零捌圆整", "1308.00"),
    ("壹拾伍圆玖角肆分", "15.94"),
    ("玖佰陆拾贰元整", "962.00"),
    ("叁拾柒圆贰角", "37.20"),
    ("柒佰伍拾玖圆整", "759.00"),
    ("伍佰捌拾柒圆玖角捌分", "587.98"),
    ("贰拾肆圆零柒分", "24.07"),
    ("壹拾柒圆肆角", "17.40"),
    ("伍佰叁拾叁圆玖角壹分", "533.91"),
    ("叁佰叁拾圆整", "330.00"),
]


@pytest.mark.parametrize(("words", "figure"), PRINTED)
def test_printed_forms_print_and_parse(words, figure):
    assert words_to_amount(words) == D(figure)
    assert amount_to_words(D(figure)) == words.replace("元", "圆")


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1130", "壹仟壹佰叁拾圆整"),
        ("10", "壹拾圆整"),
        ("0.05", "伍分"),
        ("0.50", "伍角"),
        ("0", "零圆整"),
        ("1000500", "壹佰万零伍佰圆整"),
        ("100000005", "壹亿零伍圆整"),
        ("100010001.01", "壹亿零壹万零壹圆零壹分"),
        ("1010", "壹仟零壹拾圆整"),
        ("-300", "（负数）叁佰圆整"),
        ("-24.07", "（负数）贰拾肆圆零柒分"),
    ],
)
def test_amount_to_words(amount, words):
    assert amount_to_words(D(amount)) == words


def test_bank_style_switches_give_domain_example():
    assert amount_to_words(D("206000.75")) == "贰拾万陆仟圆柒角伍分"
    assert amount_to_words(D("206000.75"), zero_before_jiao=True) == "贰拾万陆仟圆零柒角伍分"
    assert amount_to_words(D("37.20"), zheng_after_jiao=True) == "叁拾柒圆贰角整"


@pytest.mark.parametrize(
    ("text", "figure"),
    [
        ("⊗ 玖佰陆拾贰元整 ￥962.00", "962.00"),
        ("）贰佰陆拾捌圆整（", "268.00"),
        ("价税合计（大写）ⓧ壹仟壹佰叁拾圆整", "1130.00"),
        ("（负数）叁佰圆整", "-300.00"),
        ("负叁佰元正", "-300.00"),
        ("价税合计（大写）：（负数）叁佰圆整", "-300.00"),
        ("贰拾万陆仟圆零柒角伍分", "206000.75"),
        ("贰拾万陆仟圆柒角伍分", "206000.75"),
        ("叁拾柒圆贰角整", "37.20"),
        ("壹拾万零伍佰圆整", "100500.00"),
        ("壹拾万伍佰圆整", "100500.00"),
        ("贰 拾 肆 圆 零 柒 分", "24.07"),
        ("拾伍圆整", "15.00"),
        ("叁佰圓整", "300.00"),
        ("貳佰陸拾捌園整", "268.00"),
        ("肆仟染佰伍抬圆整", "4750.00"),
        ("壹万陆仟伍佰零渠圆零玖分", "16507.09"),  # first run 15898: 渠 read for 柒
        ("贰佰柒拾玖圈叁角贰分", "279.32"),  # calibration photo 20056: 圈 read for 圆
        ("式拾贰万贰仟零玖圆肆角肆分", "222009.44"),  # first run 19634: 式 read for 贰
        ("捌仟伍佰肆拾查圆查角伍分", "8541.15"),  # first run 29202: 查 read for 壹
        ("伍角", "0.50"),
    ],
)
def test_words_to_amount_variants(text, figure):
    assert words_to_amount(text) == D(figure)


@pytest.mark.parametrize(
    "text",
    [
        "", "整", "圆整", "壹贰圆整", "伍零圆整", "壹万伍圆整", "壹仟伍圆整", "佰伍拾圆整",
        "伍拾佰圆整", "壹万贰万圆整", "壹佰圆伍", "壹佰圆伍分整", "壹佰圆X", "叁佰圆圆整",
        "one hundred",
    ],
)
def test_words_to_amount_refuses_ambiguous_or_broken(text):
    assert words_to_amount(text) is None


def _random_amount(rng: random.Random) -> Decimal:
    # Digits drawn with many zeros so that 零 placement across 万/亿 groups is exercised.
    length = rng.randint(1, 11)
    digits = "".join(rng.choice("0000123456789") for _ in range(length)).lstrip("0") or "0"
    cents = rng.choice(["00", "00", f"{rng.randint(0, 99):02d}", f"{rng.randint(1, 9)}0", f"0{rng.randint(1, 9)}"])
    sign = "-" if rng.random() < 0.1 else ""
    return D(f"{sign}{digits}.{cents}")


def test_round_trip_random_amounts():
    rng = random.Random(20261123)
    for _ in range(20000):
        amount = _random_amount(rng)
        for kwargs in ({}, {"zero_before_jiao": True, "zheng_after_jiao": True}):
            words = amount_to_words(amount, **kwargs)
            assert words_to_amount(words) == amount, (amount, words)
            # A reader sees stray spaces and 元 for 圆; the value must not change.
            spaced = " ".join(words.replace("圆", "元"))
            assert words_to_amount(spaced) == amount, (amount, spaced)


def test_single_character_damage_never_yields_the_same_amount():
    """Dropping one character either fails the parse or changes the value: words can confirm figures."""
    rng = random.Random(7)
    for _ in range(3000):
        amount = abs(_random_amount(rng))
        words = amount_to_words(amount)
        i = rng.randrange(len(words))
        damaged = words[:i] + words[i + 1 :]
        if words[i] in "整零" or (i == 0 and words.startswith("壹拾")):
            continue  # optional characters; '拾伍圆' is still 15
        assert words_to_amount(damaged) != amount, (words, damaged)


PDFS_WITH_WORDS = [
    "mxvc-invoice/shudian_special_2024_suwell_585.00.pdf",
    "mxvc-invoice/guizhou_e_normal_2022_restaurant_tosign_1308.00.pdf",
    "mxvc-invoice/shenzhen_blockchain_e_normal_2023_hotel_962.00.pdf",
    "mxvc-invoice/shenzhen_e_normal_2024_ride_37.20.pdf",
    "mxvc-invoice/sichuan_e_normal_2022_ride_foxit_modified_24.07.pdf",
    "zsc140217-trip-mgmt/shudian_special_2024_rebar_2lines_128656.32.pdf",
    "zsc140217-trip-mgmt/shudian_special_2025_coal_2899804.18.pdf",
    "fapiao-rename/shudian_special_2026_hotel_remarks_268.00.pdf",
]


@pytest.mark.parametrize("relpath", PDFS_WITH_WORDS)
def test_words_on_real_pdfs_agree_with_the_figure_in_the_file_name(relpath):
    import pdfplumber

    path = realfile(relpath)
    with pdfplumber.open(path) as pdf:
        text = re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in pdf.pages[:1]))
    runs = re.findall(r"[⊗零壹贰叁肆伍陆柒捌玖拾佰仟万亿圆元角分整]{3,}", text)
    assert runs, "no capital amount found in the text layer"
    expected = D(re.search(r"_([\d.]+)\.pdf$", relpath).group(1))
    assert [words_to_amount(r) for r in runs][-1] == expected


def test_words_as_printed_glyph_for_glyph():
    from intake.capital import as_printed

    assert as_printed("壹拾壹万贰仟叁佰贰拾玖圆捌角玖分", Decimal("112329.89"))
    assert as_printed("⊗玖佰陆拾贰元整", Decimal("962.00"))  # the mark and 元 are the printer's
    assert as_printed("柒仟零壹拾捌圆捌角叁分", Decimal("7018.83"))
    assert as_printed("贰拾万陆仟圆零柒角伍分", Decimal("206000.75"))  # bank-style, DOMAIN.md
    assert as_printed("（负数）叁佰圆整", Decimal("-300.00"))
    # Seeds 5257: the read lost the leading 壹 and still parses to the amount; a forgiven look-alike glyph, too.
    assert not as_printed("拾壹万贰仟叁佰贰拾玖圆捌角玖分", Decimal("112329.89"))
    assert not as_printed("叁仟肆佰玖拾伍园整", Decimal("3495.00"))
    assert not as_printed("叁仟肆佰玖拾伍圆整", Decimal("3495.01"))


def test_the_words_read_from_a_page_run_on_past_a_look_alike_that_means_nothing_else_there():
    """The words field is the run of capital numerals on the row: a look-alike (渠 for 柒) used to end it, leaving
    壹万陆仟伍佰零 where the page says 16507.09, and the words confirmed nothing."""
    from intake.fields import _words
    from intake.layout import Hit, Piece

    row = Hit(label=[Piece("价税合计（大写）", 0, 0, 100, 20, 0.99)],
              tail=[Piece("壹万陆仟伍佰零渠圆零玖分", 110, 0, 300, 20, 0.94), Piece("(小写)", 400, 0, 450, 20, 1.0)])
    value = _words(row, lambda text, pieces: (text, [p.text for p in pieces]))
    assert value == ("壹万陆仟伍佰零柒圆零玖分", ["壹万陆仟伍佰零渠圆零玖分"])
    assert words_to_amount(value[0]) == D("16507.09")

    # The ⊗ start mark read as O is no 零 of the amount's.
    marked = Hit(label=row.label, tail=[Piece("O贰万贰仟陆佰肆拾贰圆壹角柒分", 110, 0, 300, 20, 0.94)])
    assert _words(marked, lambda text, pieces: text) == "贰万贰仟陆佰肆拾贰圆壹角柒分"


@pytest.mark.parametrize("text, capital", [
    ("陆伯伍抬以万氟", True),  # 陆佰伍拾玖万…, misread (first run 27046: taken for the seller's name)
    ("角贰分", True),  # the words' tail (first run 27662)
    ("玖佰壹拾乘圆伍角贰分", True),
    ("杭州市嘉捷电子科技有限公司", False),
    ("万达", False),  # too short to tell
    ("万元亿贸易有限公司", False),
    ("北京市万佰零售店", False),
])
def test_a_capital_amount_read_with_glyphs_wrong_is_told_from_a_name(text, capital):
    from intake.capital import reads_as_capital

    assert reads_as_capital(text) is capital
