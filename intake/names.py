"""Company names read by OCR, checked against the form every registered name has.

A Chinese enterprise name is built as 行政区划 + 字号 + 行业 + 组织形式 (企业名称登记管理规定):
贵阳市 | 盛达 | 印刷 | 有限公司, or 字号 + 行业 + （行政区划）+ 组织形式: 明辰餐饮管理（贵阳）有限公司.
Two of the four parts come from closed sets, and one of them is tied to the tax id:

- the place is (nearly always) where the company was registered, and a 统一社会信用代码 carries the
  registering authority's division code (characters 3-8, GB/T 2260); python-stdnum ships the
  division table, so a checksum-valid tax id names the province, city and county the name's place
  should be;
- the organisation form is one of a handful of legal endings (有限公司, 有限责任公司, 股份有限公司 …);
- the industry term is free in law but in practice from a short list (科技, 文化传媒, 医疗器械 …).

Each name is read again from the printer-ink view of its line (`check_names`: by the set's recognizer and by
its second model, glyph by glyph). A glyph of one of these parts that OCR misread (责阳 for 贵阳, 有限去司 for
有限公司, 技末 for 技术) is corrected only when the recognizer itself gave the right character weight at that
glyph (`intake.glyphs`: its alternatives), never by the lexicon alone. The 字号 is free text: nothing here touches it. A corrected name stays in review
(the first read was wrong somewhere); a name whose place agrees with its tax id earns `place_agrees`.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from intake.invoice import PARTIES, FieldValue, Invoice, Source

if TYPE_CHECKING:
    from intake.glyphs import Glyph

log = logging.getLogger(__name__)

FACT = "place_agrees"
# The name read by the set's second model from the printer-ink view, glyph for glyph the same, every glyph at
# least SURE (seeds 5000-5079: 3 of 15 wrong names were read the same way, none above 0.86; 95 of 139 right
# names earned it).
AGREE = "glyphs_agree"
SURE = 0.95
# The seller's name read from the rim of the 发票专用章 (intake.seal), glyph for glyph the same.
SEAL = "seal_agrees"
# The name spelled the same by every reading but one of the five: the page's line and the second look's two variant
# crops of the page (intake.reread), the ink reading and the second model of the printer-ink view; both models among
# them, no glyph a look-alike's, a whole name whose place is its tax id's and no near-miss of an industry term. A
# reading that differs only where another check vouches, or by a known look-alike of a glyph, is no dissent (`dissent`).
READINGS = "readings_agree"
# The ink reading (the set's recognizer on the printer-ink view) with a glyph below an even chance is unsure: it
# doubts the name and replaces nothing.
DOUBT = 0.5
# The second model's doubt (a glyph of the name below DOUBT, or another spelling) stands unless every glyph of the
# ink reading is at least this sure. Calibration seeds with the photo's sheet cut out by its edges: at 0.95 one wrong
# name was accepted (展 for 辰 on a blurred photo, every ink glyph above 0.9, the second model doubtful).
INK_SURE = 0.98
# With the ink reading that sure, the second model spelling the name the same at least this surely agrees with it
# (`glyphs_agree`). Seeds 5000-5379 and 6000-7079 (about 1,600 names): of the names both readings spelled alike with
# the ink reading's every glyph >= 0.95 and the second model's weakest in 0.8-0.95, 89 were right and none wrong; the
# two wrong names the ink reading was that sure of had the second model at 0.61 and 0.63 (量 for 星, 换 for 侯).
SECOND_SURE = 0.8
# The page's line reading and the ink reading (the set's recognizer on two views of the page) spelling the name alike,
# each at least this sure (the ink reading's weakest glyph outside the parts another check vouches for), where the
# second model reads it otherwise without ruling it out (`allows`): `glyphs_agree` too, for a whole name whose place
# is its tax id's, no glyph a look-alike's in either reading (as on a phone photo), its industry term no misread of
# one (`near_term`). Calibration photos 20000-20319 (640 names): 18 right names gained it, none wrong; the 16 wrong
# names both readings spelled alike were 13 look-alikes (展, 品, 字, 大, 量), two misread places and 务务服务 for 劳务服务,
# which every reading spelled so.
LINE_AGREE = 0.9
# The second model's reading allows the name where, at each glyph it reads otherwise, it gives the name's glyph at
# least this much (a doubt between the two, not another reading), and it puts in or leaves out none of the name's
# glyphs outside the vouched-for parts.
ALLOWED = 0.01
# Glyphs the recognizer makes of a look-alike in small or blurred print, with the look-alike. Measured on seeds
# 5000-5079, 5200-5279, 5300-5379: 晶 read as 品 in 4 names (3 of them accepted or at the threshold), each with
# 晶 among the alternatives at 0.012-0.069; a right 品 gave 晶 at most 0.0014. On phone photos 辰 is read as 展 by
# both models, and the seal's reading repeats it: seeds 8200-8279, the first run of the whole pipeline on them, had
# two such names accepted (安展 for 安辰 with the second model giving 辰 0.31 at that glyph; 展天 for 辰天 on the seal's
# word); on the 560 scans of seeds 5000-5379, 6000-7079 and 8000-8179 a right 展 gave 辰 0.015 once, else <= 0.002.
# 宇 is read as 字 by all three readings alike (intake.reread.DRAWER_LOOKALIKES: drawers): seed 11838, the first run
# of 11760-11919, accepted 重庆市德字康 for 德宇康 at 0.98 with the second model giving 宇 0.14 at that glyph; the
# 1,000 scans of 10600-11599 had four more such names (云字, 和字, 海字, 字展), held on other doubts. A name printed
# with 字 (数字科技) goes to review only where the recognizer gave 宇 that weight at the glyph. 天 is read as 大 on a
# phone photo: first run 13840-14159 accepted 武汉市大海立 for 天海立 at 0.99, both ink readings spelling 大 with 天 0.09
# and 0.27 beside it. A right 天 gave 大 up to 0.24 in the probe scans, so a right 大 may give 天 as much: such a name
# goes to review; a clear 大 gave 天 nothing (西华大学 on the real scan: 火 0.016 the only other glyph). 星 is read as 量:
# first run 14866 accepted 苏州市众量 for 众星 at 0.99, the second model giving 星 0.065 at the glyph; every 量 the
# readings of 1,760 probe and first-run scans spelled was a misread, four of them of 星 (the generator prints no 量).
# 示 is read for 乐 (a rule whitened across the glyph takes its hook): first runs 12215 (accepted, since disputed),
# 18996 and 19083, calibration photo 20196; every 示 the readings spelled in the first runs was a misread (the
# generator prints none), 18996's second model giving 乐 0.06 at the glyph.
# 股 is read for 辰 on a phone photo too: first run 21486 accepted 北京市股润 for 辰润 at 0.999, every reading spelling 股
# (the ink reading at 0.997), the second model giving 辰 0.034 at the glyph. Outside 股份 (a legal ending, vouched for)
# a name's 字号 hardly holds 股.
# 城 is read for 诚 (the 讠 blurred into 土, or lost where the name is printed onto its block's rule): first runs 19793
# (a paper 普票: the line read 诚, both ink readings 城), 19834 (a photo: every reading 城) and 22803 (an image PDF:
# every reading 城, the line at 0.986, the second model giving 诚 0.12 at the glyph, the ink reading 0.15). Misread 城s
# gave 诚 0.10-0.40 in 21160, 21310 and 22803; a right 城 of a place (东城分公司, 南城街道, 稠城街道: 15 names of the probe
# and first runs) gave it at most 0.0011. Places spell 城 and never 诚: there it is no look-alike's (`unlike_part`).
# 王 is 工 with a form rule struck through its middle: first run 23251 (an image PDF, the seller's name printed onto
# its block's top rule) accepted 苏州市瑞信商贸有限公司王业园分公司 for 工业园 at 0.99, every reading spelling 王 (>= 0.97),
# the ink reading giving 工 0.010 at the glyph and the second model 0.008. The generator prints no 王 in a name.
# 手 is read for 宇 on a phone photo, its crown lost in the blur: first run 26610 read 成都市手航 for 宇航 in the line, the
# ink reading and the second model alike (kept from acceptance only by the two variants' 于 and 子), 26606 广州市手昌
# for 宇昌 (the variants right). The generator prints no 手 in a name.
# 蜂 is read for 峰 (its 山 blurred into 虫): first run 29314 (a phone photo) accepted 东莞市维蜂 for 维峰 at 0.99, the line,
# both variant crops, the ink reading and the second model all spelling 蜂, those two giving 峰 0.46 and 0.26 beside
# it. The generator prints no 蜂; a real name's (蜂业) is no longer accepted on the readings' agreement alone.
LOOKALIKES = {"品": "晶", "展": "辰", "字": "宇", "大": "天", "量": "星", "示": "乐", "股": "辰", "城": "诚", "王": "工",
              "手": "宇", "蜂": "峰"}
LOOKALIKE_CHANCE = 0.005
# 品 for 晶 is the one look-alike a phone photo gives less weight: first run 13258 accepted 上海市景品 for 景晶 at 0.97,
# every reading spelling 品, the second model giving 晶 0.0028 at the glyph. A right 品 outside a lexicon's word (食品's
# is vouched) gave 晶 at most 0.0014 in seeds 5000-5379 and 8300-8539.
# 量 for 星 too: first run 16246 accepted 北京市量汇 for 星汇 at 0.998, every reading spelling 量, the second model giving
# 星 0.002 at the glyph (the printed 量 of a real name is rarer than this misread on a photo).
LOOKALIKE_CHANCES = {"品": 0.002, "量": 0.001}
# The recognizer's probability for the lexicon's character at a misread glyph, at least.
MIN_CHANCE = 0.01
# A corrected name's recognizer score is multiplied by this: it goes to review with its correction.
CORRECTED_FACTOR = 0.5

# Legal organisation forms (公司法, 合伙企业法, 个人独资企业法), longest first.
FORMS = sorted({
    "有限公司", "有限责任公司", "股份有限公司", "集团有限公司", "集团股份有限公司", "集团有限责任公司",
    "分公司", "有限公司分公司", "合伙企业", "普通合伙企业", "有限合伙企业", "个人独资企业", "合作社",
    "专业合作社", "事务所", "研究院", "研究所", "中心", "商行", "经营部", "门市部", "工作室",
}, key=len, reverse=True)

# Industry terms common in names, standing right before the organisation form (or the bracketed place).
INDUSTRIES = sorted({
    "科技", "信息技术", "信息科技", "网络科技", "电子科技", "环保科技", "生物科技", "智能科技", "新能源科技",
    "教育科技", "医疗科技", "软件", "软件技术", "通信技术", "技术服务", "文化传媒", "文化传播", "广告",
    "餐饮管理", "酒店管理", "企业管理", "企业管理咨询", "工程管理咨询", "管理咨询", "咨询", "物业管理",
    "国际旅行社", "旅行社", "劳务服务", "人力资源", "商贸", "贸易", "国际贸易", "实业", "投资", "投资管理",
    "房地产开发", "建筑工程", "建设工程", "装饰工程", "装饰设计", "工程", "市政工程", "印刷", "包装",
    "物流", "供应链管理", "运输", "汽车服务", "汽车销售", "航空服务", "家具", "食品", "农业", "新材料",
    "医疗器械", "医药", "药业", "化工", "机械", "机械设备", "电气", "电力", "能源", "设备", "电子",
    "服饰", "纺织", "建材", "钢铁", "五金", "办公用品", "办公设备", "电器", "通信", "传媒", "会展服务",
    "保洁服务", "安保服务", "设计", "展览", "租赁", "餐饮", "酒店", "百货", "超市", "药房",
}, key=len, reverse=True)

_SHORT = re.compile(r"(维吾尔自治区|壮族自治区|回族自治区|自治区|特别行政区|自治州|自治县|地区|省|市|盟|区|县|旗)$")


_PLACE_ONLY = re.compile(r"[\u4e00-\u9fff]{1,8}?(?:维吾尔自治区|壮族自治区|回族自治区|自治区|特别行政区|自治州|自治县|地区|省|市|盟|区|县|旗)+")
# A place of two glyphs or more and one glyph after it: a name cut after the first glyph of its 字号 (seed 9222: 武汉市通
# for 武汉市通达物流有限公司, four glyphs, taken for a person's name and accepted). Not 王市民: a person's.
_PLACE_AND_GLYPH = re.compile(r"[\u4e00-\u9fff]{2,8}?(?:维吾尔自治区|壮族自治区|回族自治区|自治区|特别行政区|自治州|自治县|地区|省|市|盟|区|县|旗)+"
                              r"[\u4e00-\u9fff]")


def is_fragment(name: str, places: tuple[str, ...] = ()) -> bool:
    """A piece of a company name rather than a name (the box cut it, or the label's row was taken): a bracketed
    place first (the 字号 before it lost), a place alone or with one glyph after it, a legal form with at most an industry before it, or a
    字号 of one character before a known industry (企业名称登记管理实施办法: a 字号 has at least two characters;
    the cut took the rest: 恒劳务服务有限公司 for 杭州市捷远恒劳务服务有限公司). With `places` (its tax id's,
    `places_of`): also one of them alone, and a name that starts with the tail of one of them (`headless_place`)."""
    if name.startswith(("（", "(")) or _PLACE_ONLY.fullmatch(name) or _PLACE_AND_GLYPH.fullmatch(name):
        return True
    if headless_place(name, places) or name in places:
        # Or one of its tax id's places alone, without its suffix (first runs 21258 北京, 21870 济南: a name cut after its
        # place, which reads as a person's name of two glyphs).
        return True
    for form in FORMS:
        if name.endswith(form):
            head = name[: -len(form)]
            industry = next((t for t in INDUSTRIES if head.endswith(t)), "")  # longest first: the whole head if it is one
            trade = head[: len(head) - len(industry)]
            return trade == "" or (industry != "" and re.fullmatch(r"[\u4e00-\u9fff]", trade) is not None)
    return False


def brackets_paired(name: str) -> bool:
    """Whether every bracket in the name closes one opened before it and every opened one closes: a registered name's
    brackets pair (（苏州）), so one that does not is a misread, whatever its readers' scores (first run 27241: the line,
    the ink reading and the second model all read 智祥机械设备（苏州厂有限公司, the closing bracket as 厂)."""
    depth = 0
    for ch in name:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def headless_place(name: str, places: tuple[str, ...]) -> bool:
    """Whether the name starts with one of `places` that lost its head: its tail, suffix kept (阳市 of 贵阳市, 湖区 of
    观山湖区), where the name starts with no whole place. The box began a glyph or two late (first run 10902: 阳市源瑞劳务服务
    有限公司 for 贵阳市…, read so by every reading, is whole in form and was accepted); no place name is the tail of
    another's in the same division."""
    if any(name.startswith(p) for p in places):
        return False
    return any(name.startswith(p[k:]) for p in places if _SHORT.search(p) for k in range(1, len(p)))


# How an organisation's registered name ends (企业; an individual business's too: 餐厅, 超市, 药房, 酒楼); a party that is
# neither this nor a person is a cut-off read. A partnership's form may follow in brackets: 律师事务所（特殊普通合伙）.
ORG_END = re.compile(r"(公司|厂|店|行|部|中心|局|院|所|校|学|馆|站|处|社|会|队|团|室|场|园|城|台|委|办|府|集团|医院|酒店|宾馆"
                     r"|企业|厅|超市|药房|酒楼|茶楼)(?:[（(](?:特殊普通|普通|有限)合伙[)）])?$")


def is_whole(name: str) -> bool:
    """An OCR'd party name that reads as complete: a person's, or an organisation's with at least two glyphs before its ending."""
    from intake.validate import looks_like_person

    if looks_like_person(name):
        return True
    m = ORG_END.search(name)
    if not m:
        return False
    # "（北京）有限公司": the place in brackets is not the name's own stem.
    stem = re.sub(r"[（(][^）)]*[)）]", "", re.sub(r"(有限责任|股份有限|有限)$", "", name[: m.start()]))
    return len(re.findall(r"[\u4e00-\u9fff]", stem)) >= 2


def misread_place(name: str, places: tuple[str, ...]) -> bool:
    """Whether the name's place (at its head, in brackets before its legal form, or a branch's before 分公司) is one of
    its tax id's `places` with one glyph misread into no place there is: 文乌市 for 义乌市 (first run 12212, spelled so
    by every reading; the recognizer gave 义 no weight there, so `correct` could not mend it, and it was accepted at
    0.99). A name may carry another place than its tax id's (a branch, 分公司, named after its parent's city: 北京市… in
    南京市), so a place of its own is none."""
    return _misread_place_at(name, places) is not None


def mend_place(name: str, places: tuple[str, ...]) -> str:
    """The name with a misread place (`misread_place`) spelled as its tax id's division names it (文乌市 -> 义乌市: first
    run 19874, a phone photo, every reading 文乌); the name unchanged when its place is no such misread, or is one
    glyph off two of the division's names (广洲: 广州 or 广东). For review only: the tax id, not the print, says so."""
    found = _misread_place_at(name, places)
    if found is None or len(found[1]) != 1:
        return name
    start, (place,) = found
    return name[:start] + place + name[start + len(place):]


def _misread_place_at(name: str, places: tuple[str, ...]) -> tuple[int, list[str]] | None:
    """(where the misread place starts in the name, the tax id's places one glyph off it), or None (`misread_place`)."""
    if not places:
        return None

    def one_off(text: str, place: str) -> bool:
        return len(text) == len(place) and sum(a != b for a, b in zip(text, place)) == 1

    # A branch's place, before its 分公司: the branch's own tax id names it (first runs 21066 武陕, 21438 武民 for 武侯;
    # probe 8378 数楼 for 鼓楼, every reading alike).
    branch = _BRANCH_PLACE.search(name)
    if branch and branch.group(1) not in places and branch.group(1) not in _all_places():
        near = [p for p in places if one_off(branch.group(1), p)]
        if near:
            return branch.start(1), near
    if any(name.startswith(p) for p in places):
        return None
    heads = [p for p in places if len(p) >= 3 and _SHORT.search(p) and name[: len(p)][-1:] == p[-1]
             and one_off(name[: len(p)], p) and name[: len(p)] not in _all_places()]
    if heads:
        return 0, heads
    bracket = re.search(r"[（(]([^（()）]{2,8})[)）]", name)
    inside = bracket.group(1) if bracket else ""
    if not inside or inside in places or inside in _all_places():
        return None
    near = [p for p in places if one_off(inside, p)]
    return (bracket.start(1), near) if near else None


@lru_cache(maxsize=1)
def _all_places() -> frozenset[str]:
    """Every province, city and county name python-stdnum's division table knows, full and short."""
    from stdnum import numdb

    out: set[str] = set()

    def walk(prefixes) -> None:
        for _length, _low, _high, props, children in prefixes:
            for key in ("province", "county"):
                for raw in props.get(key, "").split(","):
                    place = re.sub(r"^\[[^\]]*\]", "", raw).strip()
                    if place:
                        out.update(n for n in (place, _SHORT.sub("", place)) if len(n) >= 2)
            walk(children)

    walk(numdb.get("cn/loc").prefixes)
    return frozenset(out)


@lru_cache(maxsize=4096)
def places_of(tax_id: str) -> tuple[str, ...]:
    """Province, city and county names (full and short: 贵州省, 贵州, 贵阳市, 贵阳, 观山湖区) of the division a tax id
    was issued in; () when the id carries no division code or the code is unknown."""
    from stdnum import numdb

    if len(tax_id) == 18:
        code = tax_id[2:8]
    elif len(tax_id) == 15:
        code = tax_id[:6]
    else:
        return ()
    if not code.isdigit():
        return ()
    db = numdb.get("cn/loc")
    names: list[str] = []
    for probe in (code[:2] + "0000", code[:4] + "00", code):
        for _part, info in db.info(probe):
            for key in ("province", "county"):
                for raw in info.get(key, "").split(","):
                    name = re.sub(r"^\[[^\]]*\]", "", raw).strip()
                    if name and name != "市辖区":
                        names.append(name)
    out: list[str] = []
    for name in names:
        short = _SHORT.sub("", name)
        for n in (name, short):
            if len(n) >= 2 and n not in out:
                out.append(n)
    return tuple(sorted(out, key=len, reverse=True))


class _Aligned:
    """The field's value with the glyph read of its line aligned to it: per character of the value, the
    recognizer's chance for another character there."""

    def __init__(self, value: str, glyphs: "list[Glyph]") -> None:
        self.value = value
        self.at: dict[int, Glyph] = {}
        text = "".join(g.char for g in glyphs)
        matcher = difflib.SequenceMatcher(None, value, text, autojunk=False)
        for op, a0, a1, b0, b1 in matcher.get_opcodes():
            if op == "equal" or (op == "replace" and a1 - a0 == b1 - b0):
                for k in range(a1 - a0):
                    self.at[a0 + k] = glyphs[b0 + k]

    def chance(self, i: int, ch: str) -> float:
        if self.value[i] == ch and i not in self.at:
            return 1.0
        g = self.at.get(i)
        if g is None:
            return 0.0
        return max(g.chance(ch), 1.0 if self.value[i] == ch and g.char == ch else 0.0)

    def fits(self, start: int, word: str, max_subs: int) -> list[int] | None:
        """Positions where value[start:start+len(word)] differs from `word`, when every one is a glyph the recognizer
        gave the word's character a chance at and there are at most max_subs of them; None otherwise."""
        seg = self.value[start:start + len(word)]
        if len(seg) != len(word):
            return None
        diff = [start + k for k, (a, b) in enumerate(zip(seg, word)) if a != b]
        if len(diff) > max_subs or len(diff) >= len(word):
            return None
        if any(self.chance(i, word[i - start]) < MIN_CHANCE for i in diff):
            return None
        return diff


def correct(value: str, glyphs: "list[Glyph]", places: tuple[str, ...]) -> tuple[str, bool]:
    """(the name with its closed-set parts' misread glyphs corrected, whether its place is one of `places`)."""
    al = _Aligned(value, glyphs)
    chars = list(value)

    def put(start: int, word: str, diff: list[int]) -> None:
        for i in diff:
            chars[i] = word[i - start]

    # The organisation form ends the name.
    form_start = len(value)
    for form in FORMS:
        start = len(value) - len(form)
        diff = al.fits(start, form, 1 if len(form) <= 4 else 2) if start > 0 else None
        if diff is not None:
            put(start, form, diff)
            form_start = start
            break
    # The place: first, or in brackets before the form.
    place_ok = False
    head = "".join(chars[:form_start])
    bracket = re.search(r"[（(]([^（()）]{2,8})[）)]$", head)
    if bracket is None:
        # The closing bracket after one of the tax id's places misread (（成都厂: first run 21349, both ink readings),
        # where the recognizer gave ） weight at that glyph.
        cut = re.search(r"[（(]([^（()）]{2,8})([^（()）])$", head)
        if cut and cut.group(1) in places and al.chance(cut.start(2), "）") >= MIN_CHANCE:
            chars[cut.start(2)] = "）"
            bracket = cut
    spots = [0] + ([bracket.start(1)] if bracket else [])
    for start in spots:
        for place in places:
            diff = al.fits(start, place, 1 if len(place) <= 3 else 2)
            if diff is not None:
                put(start, place, diff)
                place_ok = True
                break
        if place_ok:
            break
    # The industry term before the form (or before the bracketed place; a branch's, before its parent's form).
    end = industry_end("".join(chars[:form_start]))
    for term in INDUSTRIES:
        start = end - len(term)
        if start <= 0:
            continue
        diff = al.fits(start, term, 1)
        if diff is not None:
            put(start, term, diff)
            break
    return "".join(chars), place_ok


# A branch's place, between its parent's legal form and its 分公司: 成都市…有限公司|武侯|分公司.
_BRANCH_PLACE = re.compile(r"(?:有限责任公司|股份有限公司|有限公司)([\u4e00-\u9fff]{2,8}?)分公司$")
# A branch's head, before its 分公司: the parent's legal form and the branch's place (…新材料股份有限公司|历下).
_BRANCH_HEAD = re.compile(r"(?:有限责任公司|股份有限公司|有限公司)[\u4e00-\u9fff]{1,8}$")


def industry_end(head: str) -> int:
    """Where the industry term of a name's `head` (the name before its legal ending) ends: before a bracketed place
    that ends it, and in a branch's name before its parent's legal form (and bracketed place): 济南市智信新材料 of
    济南市智信新材料股份有限公司历下分公司, whose industry the ink reading misread (first run 16934: 新材科, over the line's
    right 新材料; 16940: 建筑王程 for 建筑工程)."""
    branch = _BRANCH_HEAD.search(head)
    if branch:
        head = head[: branch.start()]
    bracket = re.search(r"[（(][^（()）]*[）)]$", head)
    return bracket.start() if bracket else len(head)


def places_in(name: str, places: tuple[str, ...]) -> int:
    """How many of `places` (a tax id's, `places_of`) the name spells anywhere: its head, brackets, a branch's place."""
    return sum(p in name for p in places)


def legal_ending(name: str) -> str:
    """The legal organisation form the name ends in (the longest), with at least two glyphs before it; "" if none."""
    return next((f for f in FORMS if name.endswith(f) and len(name) > len(f) + 1), "")


def form_score(name: str, places: tuple[str, ...]) -> int:
    """How many of a company name's closed-set parts a text has: a legal ending, its tax id's place, a known industry."""
    body = name
    ending = legal_ending(name)
    score = 0
    if ending and not re.search(r"[：:]", name):
        score += 1
        body = name[: -len(ending)]
    if any(name.startswith(p) or f"（{p}）" in name or f"({p})" in name for p in places):
        score += 1
    body = body[: industry_end(body)]
    if any(body.endswith(t) for t in INDUSTRIES):
        score += 1
    return score


def after_label(glyphs: "list[Glyph]") -> "list[Glyph]":
    """The glyphs after the label's tail (称：) that the padded crop took in, and after any speck before the name read
    as a mark (first run 26116: .康和国际旅行社（合肥）有限责任公司, both models; a name starts with a glyph, a letter or a
    digit). Not after an opening bracket: a name that starts with one lost its head (`is_fragment`)."""
    text = "".join(g.char for g in glyphs)
    start = max(text.rfind("："), text.rfind(":")) + 1
    while start < len(glyphs) and not glyphs[start].char.isalnum() and glyphs[start].char not in "（(":
        start += 1
    return glyphs[start:]


def ink_reading(glyphs: "list[Glyph]", places: tuple[str, ...]) -> tuple[str, float] | None:
    """The glyph read as a name, with its weakest glyph's probability: the label's tail (称：) cut off, closed-set
    glyphs corrected by the reading's own alternatives; None when unsure (a glyph below an even chance) or when too
    little is left to be a name."""
    rest = after_label(glyphs)
    weakest = min((g.prob for g in rest), default=0.0)
    if len(rest) < 2 or weakest < DOUBT:
        return None
    return correct("".join(g.char for g in rest), rest, places)[0], weakest


def ink_weakest_of(glyphs: "list[Glyph]", value: str, closed: frozenset[int], default: float) -> float:
    """The ink reading's weakest glyph outside `closed` (positions of `value`, which the reading spells after the
    label's tail): `default` when the reading does not end in `value` glyph for glyph."""
    rest = after_label(glyphs)
    if len(rest) != len(value):
        return default
    return min((g.prob for i, g in enumerate(rest) if i not in closed), default=default)


def lookalike(value: str, glyphs: "list[Glyph]", vouched: frozenset[int] = frozenset(), photo: bool = False,
              ink: "list[Glyph] | None" = None) -> bool:
    """Whether a glyph of `value` is one the recognizer makes of a look-alike (LOOKALIKES) and the second model's
    reading (`glyphs`) gave that look-alike some weight at this glyph. Not at `vouched` positions: a part of the name a
    lexicon spells (食品's 品: no industry term, place or legal ending has 晶).

    On a phone photo (`photo`) the ink reading (`ink`) is asked too, and a reading that does not spell the value is a
    doubt: such a glyph is accepted only when both readings spell it and neither gives its look-alike that weight."""
    vouched = vouched | unlike_part(value)
    if photo:
        # Calibration photos 20000-20319 (440 with the probe's): three seller names accepted wrong, 展 for 辰 twice
        # and 品 for 晶. In 20129 and 20284 the second model read 辰 (its doubt went unheard: the ink reading was sure)
        # and the ink reading gave 辰 0.011 and 0.006; in 20186 the ink reading gave 晶 0.013 where the second model
        # gave it nothing. Right 展 on the probe's and first runs' photos: both readings >= 0.94, 辰 at most 0.004.
        return any(_gives_lookalike(value, reading, vouched, unspelled=True) for reading in (glyphs, ink or []))
    return _gives_lookalike(value, glyphs, vouched, unspelled=False)


def ending_part(value: str) -> frozenset[int]:
    """Positions of the name's legal ending (`legal_ending`): 股 of 股份有限公司 is no look-alike's, whatever the place."""
    ending = legal_ending(value)
    return frozenset(range(len(value) - len(ending), len(value)))


# Glyphs places spell whose look-alike no place does: 城 (东城, 南城街道, 稠城街道), never 诚.
PLACE_GLYPHS = frozenset("城")


def unlike_part(value: str) -> frozenset[int]:
    """Positions of `value` where a look-alike glyph is no doubt: the legal ending's (`ending_part`: 股 of 股份有限公司)
    and, in a branch's place, the glyphs places spell (PLACE_GLYPHS: 城 of 东城分公司). Not the branch's place whole: a
    branch of 天河 may be misread 大河."""
    free = set(ending_part(value))
    branch = _BRANCH_PLACE.search(value)
    if branch:
        free.update(k for k in range(*branch.span(1)) if value[k] in PLACE_GLYPHS)
    return frozenset(free)


def has_lookalike_glyph(value: str, free: frozenset[int]) -> bool:
    """Whether `value` holds a look-alike glyph (LOOKALIKES) outside the positions `free` (those where one is no doubt:
    `unlike_part`, and any another check vouches for)."""
    return any(ch in LOOKALIKES for k, ch in enumerate(value) if k not in free)


def dissent(value: str, readings: list[str], vouched: frozenset[int]) -> tuple[int, int]:
    """(readings that spell another name, readings that only made known misreadings of it): a reading that differs
    from `value` only where another check vouches for it (大津 for the tax id's 天津) spells it; one that differs
    elsewhere only by a look-alike glyph of `value`'s (字 for 宇, 展 for 辰: LOOKALIKES) made a misreading the
    recognizer is known for; any other says another name."""
    other = misread = 0
    for reading in readings:
        if reading == value:
            continue
        if len(reading) != len(value):
            other += 1
            continue
        off = [k for k, (a, b) in enumerate(zip(value, reading)) if a != b and k not in vouched]
        if any(LOOKALIKES.get(reading[k]) != value[k] for k in off):
            other += 1
        elif off:
            misread += 1
    return other, misread


def _gives_lookalike(value: str, glyphs: "list[Glyph]", vouched: frozenset[int], unspelled: bool) -> bool:
    """Whether the reading gives a look-alike glyph of `value` (outside `vouched`) its look-alike's weight; where the
    reading does not spell `value`, `unspelled` (when the value has such a glyph)."""
    if not has_lookalike_glyph(value, vouched):
        return False
    text = "".join(g.char for g in glyphs)
    at = text.find(value) if value else -1
    if at < 0:
        return unspelled
    return any(g.char in LOOKALIKES and g.chance(LOOKALIKES[g.char]) >= LOOKALIKE_CHANCES.get(g.char, LOOKALIKE_CHANCE)
               for k, g in enumerate(glyphs[at:at + len(value)]) if k not in vouched)


def lookalikes_of(text: str, value: str) -> bool:
    """Whether `text` differs from `value` only where it has a look-alike (LOOKALIKES) of the value's glyph."""
    return (len(text) == len(value) and text != value
            and all(a == b or LOOKALIKES.get(a) == b for a, b in zip(text, value)))


def partner_read(value: str, glyphs: "list[Glyph]", vouched: frozenset[int] = frozenset()) -> str:
    """The name with each look-alike glyph (LOOKALIKES: 展, 量, 城 …) that the second model's reading (`glyphs`) reads as
    the glyph it is a look-alike of (辰, 星 …) put back to that glyph, outside `vouched` parts. The page's line and
    the ink reading (one recognizer, v6) make 展 of a small 辰 on a phone photo; the second model (v5) reads it
    otherwise. Calibration photos 20000-20159: the three names it read so (展 twice, 量 once) were 辰 and 星, each
    held with the misread; it read no right 展 or 量 as the other. The name goes to review (the readings disagree)."""
    al = _Aligned(value, glyphs)
    chars = list(value)
    vouched = vouched | unlike_part(value)
    for i, ch in enumerate(value):
        g = al.at.get(i)
        if ch in LOOKALIKES and i not in vouched and g is not None and g.char == LOOKALIKES[ch]:
            chars[i] = g.char
    return "".join(chars)


def partner_in_readings(value: str, readings: list[str], vouched: frozenset[int] = frozenset()) -> str:
    """The name with each look-alike glyph (LOOKALIKES) that every one of the second look's readings of the page
    (intake.reread's variant crops; two or more, each spelling the rest of the name the same) reads as the glyph it is a
    look-alike of put back to that glyph, outside `vouched` parts. First run 23840-24159: 大云 for 天云 (24095) and 嘉大
    for 嘉天 (23960) on the printer-ink view, the page's variants both 天; calibration photo 20264: 展源 for 辰源. In
    2,000 names read with variants, no right look-alike glyph was read as its partner by both. For review: the readings
    disagree."""
    if len(readings) < 2 or any(len(r) != len(value) for r in readings):
        return value
    vouched = vouched | unlike_part(value)
    chars = list(value)
    for i, ch in enumerate(value):
        if any(r[i] != ch for r in readings):
            if ch not in LOOKALIKES or i in vouched or any(r[i] != LOOKALIKES[ch] for r in readings):
                return value  # a reading differs from the name elsewhere than at a look-alike it reads as its partner
            chars[i] = LOOKALIKES[ch]
    return "".join(chars)


def near_term(value: str) -> bool:
    """Whether the name has no industry term before its ending but one glyph off a term of INDUSTRIES of three glyphs
    or more: a term misread (calibration photo 20152: 务务服务 for 劳务服务, in every reading). Real names carry terms
    the lexicon lacks (商务服务, 网络技术), so this only keeps a name from the line and ink readings' word alone
    (LINE_AGREE)."""
    if industry_part(value):
        return False
    body = _industry_body(value)
    return any(len(body) > len(t) and sum(a != b for a, b in zip(body[-len(t):], t)) == 1
               for t in INDUSTRIES if len(t) >= 3)


def allows(glyphs: "list[Glyph]", value: str, closed: frozenset[int]) -> bool:
    """Whether the reading (`glyphs`) allows `value`: wherever it reads a glyph of the value's free part otherwise, it
    gives the value's glyph at least ALLOWED there, and it puts in or leaves out nothing there (ALLOWED)."""
    pairs = _aligned(value, glyphs, closed, substitutions=True) if value else None
    return pairs is not None and all(same or g.chance(value[k]) >= ALLOWED for k, g, same in pairs)


def _aligned(value: str, glyphs: "list[Glyph]", closed: frozenset[int],
             substitutions: bool) -> "list[tuple[int, Glyph, bool]] | None":
    """The reading (`glyphs`) set glyph for glyph against `value` outside `closed`: (position in the value, the glyph
    read there, whether it is the value's glyph) for each such position. None where the reading puts a glyph in
    inside that part or leaves one of it out, or reads one otherwise (unless `substitutions`: then a run of glyphs
    read otherwise, as many as the value's, pairs up). Glyphs put in before or after the value (the label's tail the
    padded crop took in) and anything read at `closed` positions are no matter."""
    text = "".join(g.char for g in glyphs)
    pairs: list[tuple[int, Glyph, bool]] = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, value, text, autojunk=False).get_opcodes():
        if op == "equal" or (substitutions and op == "replace" and a1 - a0 == b1 - b0):
            pairs += [(a0 + k, glyphs[b0 + k], op == "equal") for k in range(a1 - a0) if a0 + k not in closed]
        elif op == "insert":
            if 0 < a0 < len(value) and not {a0 - 1, a0} <= closed:
                return None
        elif any(i not in closed for i in range(a0, a1)):
            return None
    return pairs


def industry_part(value: str) -> frozenset[int]:
    """Positions of the industry term before the legal ending (or before the bracketed place; a branch's, before its
    parent's), when one of INDUSTRIES is there with a 字号 before it."""
    body = _industry_body(value)
    term = next((t for t in INDUSTRIES if body.endswith(t) and len(body) > len(t)), "")
    return frozenset(range(len(body) - len(term), len(body)))


# The second model's reading of the one glyph of an industry term it reads otherwise is a misread, not a doubt of the
# term, where it is no surer than this of its own glyph and gives the term's some weight (ALLOWED).
TERM_MISREAD = 0.9


def misread_term_glyph(value: str, glyphs: "list[Glyph]", line: str) -> frozenset[int]:
    """The position of the one glyph of the name's industry term (`industry_part`) that the second model (`glyphs`)
    reads otherwise, where that reading is a misread of the term, not another term: the page's line spells the term
    too, no other term of INDUSTRIES differs from it at that glyph alone (工 of 建筑工程: 建筑?程 is no other term; 气 of
    电气 is: 电器, 电力, 电子), and the second model is unsure of its glyph there (TERM_MISREAD) and gives the term's
    some weight. First run 20640-20959: 建筑王程 for 建筑工程, 厂告 for 广告, 家其 for 家具, 材科 for 新材料's 料, 版务 for 航空服务's
    服, each the only glyph the second model read otherwise in a name the line and the ink reading spelled alike, and
    each such name held. Empty where no glyph qualifies."""
    part = industry_part(value)
    if not part:
        return frozenset()
    lo, hi = min(part), max(part) + 1
    term = value[lo:hi]
    if term not in line:
        return frozenset()
    pairs = _aligned(value, glyphs, frozenset(range(len(value))) - part, substitutions=True)
    if pairs is None:
        return frozenset()
    off = [(k, g) for k, g, same in pairs if not same]
    if len(off) != 1:
        return frozenset()
    k, g = off[0]
    j = k - lo
    if any(len(t) == len(term) and t != term and t[:j] == term[:j] and t[j + 1:] == term[j + 1:] for t in INDUSTRIES):
        return frozenset()
    if g.prob > TERM_MISREAD or g.chance(value[k]) < ALLOWED:
        return frozenset()
    return frozenset({k})


def _industry_body(value: str) -> str:
    """The name up to where its industry term ends: before the legal ending, the bracketed place, a branch's parent's
    form (`industry_end`)."""
    head = value[: len(value) - len(legal_ending(value))]
    return head[: industry_end(head)]


# Characters a recognizer gives for the same glyph that the value's normal form (intake.normal.name) makes one.
FOLD = {"(": "（", ")": "）", ":": "："}


def folded(glyphs: "list[Glyph]") -> "list[Glyph]":
    """The glyphs with the half-width bracket or colon and its full-width twin taken as one character, their
    probabilities added (the recognizer splits its weight between the two; the value's normal form does not)."""
    from intake.glyphs import Glyph

    out = []
    for g in glyphs:
        probs: dict[str, float] = {}
        for ch, p in ((g.char, g.prob), *g.alternatives):
            probs[FOLD.get(ch, ch)] = probs.get(FOLD.get(ch, ch), 0.0) + p
        best = max(probs, key=lambda c: probs[c])
        out.append(Glyph(best, probs[best], tuple(sorted(((c, p) for c, p in probs.items() if c != best), key=lambda cp: -cp[1]))))
    return out


def agreement(value: str, glyphs: "list[Glyph]", closed: frozenset[int] = frozenset()) -> float | None:
    """The lowest recognizer probability over the glyphs that spell `value` when the glyph read contains it
    (the padded crop may take in the label's last glyphs, 称：), else None: the readings disagree.

    `closed`: positions of the value another check already vouches for (its place, when the tax id's division names
    it; its legal ending): there the read may say anything (the second model reads 贵阳 as 责阳, 公司 as 业司), and the
    agreement is the weakest glyph of the rest, which must be read the same, nothing put in or left out."""
    text = "".join(g.char for g in glyphs)
    at = text.find(value) if value else -1
    if at >= 0:
        return min((g.prob for k, g in enumerate(glyphs[at:at + len(value)]) if k not in closed), default=None)
    if not closed or not value:
        return None
    pairs = _aligned(value, glyphs, closed, substitutions=False)
    return min((g.prob for _k, g, _same in pairs), default=None) if pairs is not None else None


def closed_parts(value: str, places: tuple[str, ...]) -> frozenset[int]:
    """Positions of the name's parts that come from closed sets and are checked apart from the recognizer: the place
    its tax id's division names (first, or bracketed before the ending, its brackets with it: the second model reads
    the closing one as 厂 in （成都厂, first runs 21349, 21524), and the legal ending. Not the industry term: two of those
    differ by one glyph (电气, 电器)."""
    ending = ending_part(value)
    closed: set[int] = set(ending)
    head = value[: len(value) - len(ending)]
    for place in places:
        if value.startswith(place):
            closed.update(range(len(place)))
            break
        if head.endswith(f"（{place}）"):
            closed.update(range(len(head) - len(place) - 2, len(head)))
            break
    return frozenset(closed)


def check_names(invoices: list[Invoice], pages: list, settings) -> int:
    """Names of invoices read from scans: read again from the printer-ink view, closed-set glyphs corrected,
    `place_agrees` where the place is the tax id's. Returns how many line crops were read. Callers validate and
    score again.

    Each name's box is cropped from the printer-ink view (`page.content_image`: the red form and the seal taken
    out) and decoded glyph by glyph twice: by the set's recognizer (the ink reading) and by the set's second
    model (`glyphs`). Measured on the 240 calibration scans (seeds 5000-5079, 5200-5279, 5300-5379, before photos
    were cut out by their edges): the ink reading spelled 464 of 478 names right, the page's line reading 452, the
    second model 443.

    - The ink reading, when sure (every glyph >= DOUBT), whole (not a fragment) and at least as complete in form
      (place, industry, legal ending), replaces a line reading it disagrees with, unless the second model spells the
      line's; the name then goes to review.
    - A name the ink reading does not spell the same (or is unsure of), or with a look-alike glyph (LOOKALIKES; on a
      phone photo unless both readings spell it and neither gives the glyph it is a look-alike of weight), loses half
      its score: of the names whose reads all agreed and scored >= 0.99, 387 were right and 0 wrong.
    - The second model spelling it the same with every glyph >= SURE earns `glyphs_agree`; so does its spelling
      it the same at >= SECOND_SURE when the ink reading is sure of every glyph (INK_SURE): calibration scans 200 ->
      203 of 240 straight-through, no wrong name accepted. Its doubt halves the score too, unless the ink reading is
      that sure: it is the weaker reader (on the first calibration run, 28 right names were doubted by it alone and
      no wrong one).
    - The page's line and the ink reading spelling it alike, each at least LINE_AGREE sure, earn `glyphs_agree` too
      where the second model, reading it otherwise, still gives the name's glyph weight wherever it differs
      (`allows`), the name is whole, its place its tax id's, no glyph a look-alike's in either reading and its
      industry term no misread of one (`near_term`): calibration photos 20000-20319, 18 right names gained, none
      wrong.
    - Every reading but one spelling it, both models among them, earns `readings_agree` (READINGS): the page as
      printed is read three times (the line; the second look's two variant crops, intake.reread) and the printer-ink
      view twice, so a misreading would have to recur across two views and two models. On a phone photo every reading
      must, and the second model be undoubting (>= DOUBT at every glyph outside the vouched parts). Not for a name
      with a look-alike glyph (every wrong name so read but a fragment was one: 展, 品, 字, 大, 城), a misread place,
      a fragment or a near-miss of an industry term. It accepts names the block's top rule strikes through, where one
      variant or the second model doubts a glyph the rule crosses (first run 23840-24159: 23955's 晶远, one variant
      晶选). A reading counts against it only where it spells another name: not where it differs only in a part
      another check vouches for, and where it differs only by a look-alike of the name's glyph (字 for 宇) it made
      the recognizer's known misreading (`dissent`; a photo allows one such, other scans two).
    - The parts of the name another check vouches for (the place its tax id's division names, the legal ending) need
      not be sure in either reading: the weakest glyphs above are the rest's (the second model's 市 at 0.70 in 重庆市
      does not doubt 天信). A half-width bracket and its full-width twin are one glyph (`folded`), and 品 in 食品, which
      the industry lexicon spells, is no look-alike's. Calibration scans: 195 -> 200 of 240 straight-through, no wrong
      name accepted, no value changed.
    - Names that stay in review are held with the likeliest spelling: a look-alike glyph the second model reads as
      the glyph it is a look-alike of takes that glyph (`partner_read`), the ink reading does not replace a line it
      reads only as look-alikes of (`lookalikes_of`), and a place misread into no place there is takes its tax id's
      division's spelling (`mend_place`).
    - The seller's name spelled glyph for glyph the same along the rim of a seal on the page (intake.seal: the
      发票专用章 carries the seller's full name) earns `seal_agrees`: another print, in another face, of the name.
    """
    from intake.glyphs import read_all
    from intake.ocr import crop_quad

    by_number = {p.number: p for p in pages}
    reads = 0
    for inv in invoices:
        page = by_number.get(inv.page)
        image = getattr(page, "content_image", None) if page is not None else None
        if image is None:
            continue
        photo = page.photographed
        # Both names' crops read by both models at once (the four reads side by side on the OCR threads).
        to_read = [(n, i) for n, i in PARTIES if inv.fields[n].source == Source.OCR and inv.fields[n].value
                   and inv.fields[n].box is not None]
        crops = [crop_quad(image, _quad(inv.fields[n].box, image)) for n, _ in to_read]
        read = [folded(g) for g in read_all(settings, [(role, crop) for crop in crops for role in ("rec", "glyphs")])]
        for k, (name_field, id_field) in enumerate(to_read):
            fv = inv.fields[name_field]
            tax = inv.fields[id_field]
            places = places_of(tax.value) if "checksum_ok" in tax.support else ()
            ink, ink_weakest = ink_reading(read[2 * k], places) or (None, 0.0)
            glyphs = read[2 * k + 1]
            reads += 2
            value = fv.value
            second = "".join(g.char for g in glyphs)
            log.debug("%s: line %s (%.3f), ink %s (weakest %.3f), second model %s (weakest %.3f)", name_field, value,
                      fv.raw_confidence, ink, ink_weakest, second, min((g.prob for g in glyphs), default=0.0))
            # How many more of the name's closed-set parts the ink reading has than the line's value.
            form_gain = form_score(ink, places) - form_score(value, places) if ink not in (None, value) else 0
            if (ink is not None and ink != value and not is_fragment(ink, places) and form_gain >= 0
                    and (value not in second or places_in(ink, places) > places_in(value, places) or form_gain > 0)
                    and not lookalikes_of(ink, value)):
                # Not where the second model spells the line's value glyph for glyph: two readings against one
                # (first runs 17031: 展和明 for the line's and the second model's 辰和明; 17167: 新大维 for 新天维), unless
                # the ink reading spells more of the tax id's places (17637: a branch's 观山湖 for both others' 观出湖)
                # or more of the name's closed-set parts (first run 26951: （深圳） for both others' （深圳厂, the
                # closing bracket read as 厂, which left the place unbracketed and the industry term unended).
                # Nor where the ink reading only made look-alikes of the line's glyphs (first run 19866: 晶 read 品,
                # 19793: 诚 read 城, the line right both times).
                value = ink
            fixed, place_ok = correct(value, glyphs, places)
            # A place every reading misread into no place there is (文乌 for 义乌, a branch's 武民 for 武侯), which no
            # reading's own alternatives mend: spelled as the tax id's division names it, for review (the read was
            # wrong).
            fixed = mend_place(fixed, places)
            # The parts another check vouches for (the place its tax id names, the legal ending) need not be sure in
            # either reading: the second model's agreement and the ink reading's weakest glyph are the rest's.
            closed = closed_parts(fixed, places) if place_ok else frozenset()
            if place_ok and ink == fixed:
                # The one glyph of the industry term the second model misread is the term's (`misread_term_glyph`).
                closed |= misread_term_glyph(fixed, glyphs, fv.value)
            vouched = closed | industry_part(fixed)
            # A look-alike glyph the second model reads as the glyph it is a look-alike of is that glyph, for review.
            fixed = partner_in_readings(partner_read(fixed, glyphs, vouched), fv.readings, vouched)
            if ink == fixed and closed:
                ink_weakest = ink_weakest_of(read[2 * k], fixed, closed, ink_weakest)
            sure = agreement(fixed, glyphs, closed)
            # The second model spells it, but maybe for the parts another check vouches for (佛出市 for 佛山市).
            spelled = sure is not None
            if sure is not None and fixed not in second and sure < (SECOND_SURE if ink_weakest >= INK_SURE else SURE):
                # The second model read a part another check vouches for otherwise (责阳 for 贵阳): its agreement
                # on the rest counts, but only when sure of it, as where it spells the name whole (SURE, or
                # SECOND_SURE beside an ink reading sure of every glyph). Taking it at an even chance let a blurred
                # photo's 展海 for 辰海 through (calibration scans: both models read 展, the second 深圳 as 保圳).
                sure = None
            alike = lookalike(fixed, glyphs, vouched, photo=photo, ink=read[2 * k])
            # Both readings of the printer-ink view spell it, every glyph sure, none a look-alike's, and it is a whole
            # name: a crop that holds only the name's head (the detector split the line a rule strikes through, and the
            # tail went unjoined) reads as surely as the whole would (济南市海智 for 济南市海智兴餐饮管理集团有限公司).
            ink_sure = (ink == fixed and sure is not None
                        and ((ink_weakest >= SURE and sure >= SURE) or (ink_weakest >= INK_SURE and sure >= SECOND_SURE))
                        and not alike and not is_fragment(fixed, places) and is_whole(fixed))
            # Or the page's line and the ink reading alike and sure, the second model allowing it (LINE_AGREE).
            lines_agree = (not ink_sure and ink == fixed == fv.value and place_ok
                           and min(fv.raw_confidence, ink_weakest) >= LINE_AGREE
                           and not is_fragment(fixed, places) and is_whole(fixed) and not near_term(fixed)
                           and allows(glyphs, fixed, closed)
                           and not lookalike(fixed, glyphs, vouched, photo=True, ink=read[2 * k]))
            # Or every reading but one spells it, both models among them: of the page as printed, the line and the
            # second look's two variants (intake.reread), and of the printer-ink view, the ink reading and the second
            # model. Two views, two models: a misreading would have to recur across them (READINGS). On a phone photo
            # every reading, the second model undoubting: there the set's recognizer makes 聚 of a small 景 in most
            # of its readings, and the second model did too (first run 21502, one variant read 景). The second model
            # need only spell it outside the parts other checks vouch for (佛出市 for the tax id's 佛山市: first run
            # 24808), and a reading that differs from it there only, or elsewhere only by a look-alike of its glyph
            # (展 for 辰, 字 for 宇), spells it or made a known misreading of it (`dissent`): on a photo one such
            # misreading, elsewhere two with at most one reading of another name (2,226 names of the probe, calibration
            # photos 20000-20319 and first run 24800-25119: 19 right names gained, none wrong).
            other, misread = dissent(fixed, [fv.value, *fv.readings], vouched)
            readings_agree = (not ink_sure and not lines_agree and ink == fixed and spelled and len(fv.readings) >= 2
                              and ((other == 0 and misread <= 1 and sure is not None and sure >= DOUBT) if photo
                                   else (other <= 1 and other + misread <= 2))
                              and place_ok
                              and not is_fragment(fixed, places) and is_whole(fixed) and not near_term(fixed)
                              and not has_lookalike_glyph(fixed, vouched | unlike_part(fixed)))
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s: weighed %s", name_field, json.dumps({
                    "fixed": fixed, "line": fv.value, "line_conf": round(fv.raw_confidence, 4), "ink": ink,
                    "ink_weakest": round(ink_weakest, 4), "second": second, "sure": sure, "alike": alike,
                    "alike_photo": lookalike(fixed, glyphs, vouched, photo=True, ink=read[2 * k]), "photo": photo,
                    "place_ok": place_ok, "whole": is_whole(fixed), "fragment": is_fragment(fixed, places),
                    "near_term": near_term(fixed), "allows": allows(glyphs, fixed, closed), "support": fv.support,
                    "ink_sure": ink_sure, "lines_agree": lines_agree, "readings": fv.readings,
                    "readings_agree": readings_agree, "closed": sorted(closed), "vouched": sorted(vouched),
                    "has_lookalike": has_lookalike_glyph(fixed, vouched | unlike_part(fixed)), "dissent": [other, misread],
                    "spelled": spelled},
                    ensure_ascii=False))
            if fixed == fv.value:
                if readings_agree:
                    log.debug("%s: %s spelled so by the line, the ink reading and the second model", name_field, fixed)
                    fv.back(READINGS)
                elif lines_agree:
                    log.debug("%s: %s read alike by the line and the ink, the second model allowing it", name_field, fixed)
                    fv.raw_confidence = max(fv.raw_confidence, ink_weakest)
                    fv.back(AGREE)
                elif (ink != fv.value or alike
                        or ((sure is None or sure < DOUBT) and ink_weakest < INK_SURE)):
                    # The ink reading says something else or is unsure, or a glyph is one the recognizer makes of
                    # its look-alike (the line's score, a mean over its glyphs, hides one such glyph), or the second
                    # model doubts it and the ink reading is not sure enough to overrule it.
                    fv.raw_confidence *= CORRECTED_FACTOR
                elif ink_sure:
                    # The first look's doubts (a variant crop read otherwise, the block's labels misread) give way.
                    fv.raw_confidence = max(fv.raw_confidence, ink_weakest)
                    fv.back(AGREE)
            else:
                log.info("%s: %s -> %s (read from the printer's ink, its closed-set parts corrected)",
                         name_field, fv.value, fixed)
                # The line read something else: its score is not this value's. When both ink readings are sure of
                # it, the ink reading's weakest glyph is; otherwise the line's, halved (to review). So too where the
                # line, undoubted, read otherwise a glyph nothing vouches for (`disputes`). A line that every other
                # reading spells otherwise (READINGS) was halved by the two variants it disagrees with: it disputes
                # nothing.
                taken = ink_sure and not disputes(fv, fixed, vouched)
                inv.fields[name_field] = FieldValue(
                    value=fixed, source=Source.OCR, box=fv.box, page=fv.page,
                    raw_confidence=ink_weakest if taken else fv.raw_confidence * CORRECTED_FACTOR,
                    support=[s for s in fv.support if s != "reread_agrees"] + ([AGREE] if taken else [])
                    + ([READINGS] if readings_agree else []))
            if place_ok:
                inv.fields[name_field].back(FACT)
            named = inv.fields[name_field]
            if (name_field == "seller_name" and named.value and page.processed_image is not None
                    and not has_lookalike_glyph(named.value, unlike_part(named.value))
                    and not _sure_without_seal(named, settings)):
                # The seller's seal: the page as printed, seal kept (intake.seal). Not for a name with a glyph the
                # recognizer makes of a look-alike: the same recognizer reads the seal (晶 as 品 there too).
                from intake.seal import rim_reads_as

                if rim_reads_as(page.processed_image, named.value, settings):
                    named.back(SEAL)
    return reads


def disputes(line: FieldValue, fixed: str, vouched: frozenset[int]) -> bool:
    """Whether the page's line reading, undoubted (above an even chance: not halved by the first look's doubts), spells
    `fixed` otherwise at a glyph outside `vouched` (the place its tax id names, the legal ending, the industry), or
    with other glyphs. Both ink readings decode one crop of the printer-ink view, and a form rule struck through the
    name leaves it whitened there: first run 12215 read 康示 for 康乐 in both, every glyph >= 0.85, over the line's
    right 康乐 at 0.98; the ink reading then replaced it and was accepted. In 960 scans (8300-8539, the calibration
    seeds, 11760-12239) the ink reading replaced an undoubted line four times: the wrong 康示, 天信 for the line's
    大信 (right, now reviewed) and two misread places (大津, 文乌), which the tax id vouches for."""
    if line.raw_confidence <= DOUBT:
        return False
    if len(line.value) != len(fixed):
        return True
    return any(a != b for k, (a, b) in enumerate(zip(line.value, fixed)) if k not in vouched)


def _sure_without_seal(fv: FieldValue, settings) -> bool:
    """Whether the name's score already reaches the threshold on what backs it now (the format, which validation
    adds, counted as well): then reading the seal (about a tenth of a second) changes nothing."""
    from intake.scoring import FIELD_RULES, MISS, ocr_confidence

    support = [*fv.support, "format_ok"]
    return ocr_confidence(fv.raw_confidence, support, FIELD_RULES["seller_name"], MISS) >= settings.accept_threshold


def _quad(box, image):
    """The field's box, a little padded (print offset), as a quad for crop_quad."""
    import numpy as np

    x0, y0, x1, y1 = box
    pad = 0.15 * (y1 - y0)
    h, w = image.shape[:2]
    x0, y0 = max(0.0, x0 - pad), max(0.0, y0 - pad)
    x1, y1 = min(w - 1.0, x1 + pad), min(h - 1.0, y1 + pad)
    return np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
