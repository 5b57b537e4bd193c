"""What a synthetic invoice says: parties, codes, items and amounts that add up, and its ground truth in contract form."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from stdnum.cn import uscc

from samples.words import amount_to_words

CENT = Decimal("0.01")
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# Invoice-code region, title prefix, supervising bureau, and (district code, city, districts) for addresses and tax ids.
REGIONS: list[tuple[str, str, str, list[tuple[str, str, list[str]]]]] = [
    ("1100", "北京", "国家税务总局北京市税务局", [("110108", "北京市", ["海淀区", "朝阳区"]), ("110105", "北京市", ["朝阳区"]), ("110101", "北京市", ["东城区"])]),
    ("3100", "上海", "国家税务总局上海市税务局", [("310115", "上海市", ["浦东新区"]), ("310104", "上海市", ["徐汇区"]), ("310112", "上海市", ["闵行区"])]),
    ("1200", "天津", "国家税务总局天津市税务局", [("120222", "天津市", ["武清区"]), ("120116", "天津市", ["滨海新区"])]),
    ("4400", "广东", "国家税务总局广东省税务局", [("440106", "广州市", ["天河区", "黄埔区"]), ("440605", "佛山市", ["南海区"]), ("441900", "东莞市", ["南城街道"])]),
    ("4403", "深圳", "国家税务总局深圳市税务局", [("440300", "深圳市", ["南山区", "福田区", "龙华区"])]),
    ("3300", "浙江", "国家税务总局浙江省税务局", [("330106", "杭州市", ["西湖区", "余杭区"]), ("330782", "义乌市", ["稠城街道"])]),
    ("3200", "江苏", "国家税务总局江苏省税务局", [("320106", "南京市", ["鼓楼区"]), ("320505", "苏州市", ["虎丘区", "工业园区"])]),
    ("5100", "四川", "国家税务总局四川省税务局", [("510107", "成都市", ["武侯区", "高新区"]), ("511002", "内江市", ["市中区"])]),
    ("5000", "重庆", "国家税务总局重庆市税务局", [("500112", "重庆市", ["渝北区"]), ("500103", "重庆市", ["渝中区"])]),
    ("4200", "湖北", "国家税务总局湖北省税务局", [("420106", "武汉市", ["武昌区", "洪山区"])]),
    ("3700", "山东", "国家税务总局山东省税务局", [("370102", "济南市", ["历下区"]), ("370211", "青岛市", ["黄岛区"])]),
    ("5200", "贵州", "国家税务总局贵州省税务局", [("520115", "贵阳市", ["观山湖区"])]),
    ("3400", "安徽", "国家税务总局安徽省税务局", [("340104", "合肥市", ["蜀山区", "包河区"])]),
]

TRADE_WORDS = "华 鑫 瑞 博 宏 盛 恒 泰 康 达 信 诚 德 隆 通 汇 鼎 天 宇 新 景 嘉 晟 弘 润 安 锦 辰 源 远 立 昌 创 维 星 海 云 峰 晶 东 明 祥 乐 佳 和 兴 聚 睿 智 捷 航 展 图 优 众 卓".split()
INDUSTRIES = [
    "网络科技", "信息技术", "电子科技", "贸易", "商贸", "建筑工程", "物流", "餐饮管理", "酒店管理", "文化传媒",
    "广告", "机械设备", "供应链管理", "企业管理咨询", "医疗器械", "新材料", "电气", "汽车服务", "环保科技", "软件",
    "印刷", "食品", "家具", "工程管理咨询", "国际旅行社", "航空服务", "办公设备", "劳务服务",
]
SUFFIXES = ["有限公司"] * 8 + ["有限责任公司", "股份有限公司", "集团有限公司"]
ROADS = ["科技园南路", "知春路", "建设路", "人民路", "中山大道", "解放路", "高新大道", "天府三街", "滨江路", "长江路", "工业园凤凰三横路", "新华街"]
BANKS = [
    ("中国工商银行股份有限公司", "支行"), ("中国建设银行股份有限公司", "支行"), ("中国农业银行股份有限公司", "支行"),
    ("招商银行股份有限公司", "分行营业部"), ("中国银行股份有限公司", "支行"), ("上海浦东发展银行", "支行"), ("交通银行股份有限公司", "支行"),
]
SURNAMES = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹".split()
GIVEN = "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀 霞 平 刚 桂 梅 雪 燕 红 华 佳 欣 宇 浩 婷 琳 晨 鹏".split()

# (tagged name, spec choices, unit, rate kind, price range, counted) — rate kind picks the taxpayer's usual rate.
CATALOGUE: list[tuple[str, list[str], str, str, tuple[float, float], bool]] = [
    ("*信息技术服务*技术服务费", [""], "", "service", (800, 60000), False),
    ("*现代服务*咨询服务费", [""], "项", "service", (2000, 80000), True),
    ("*经纪代理服务*服务费", [""], "", "service", (50, 900), False),
    ("*住宿服务*住宿费", [""], "天", "service", (180, 900), True),
    ("*餐饮服务*餐饮服务", [""], "次", "service", (80, 2500), True),
    ("*研发和技术服务*技术开发费", [""], "项", "service", (5000, 200000), True),
    ("*物流辅助服务*仓储服务费", [""], "月", "service", (1500, 30000), True),
    ("*广告服务*广告发布费", [""], "项", "service", (3000, 50000), True),
    ("*计算机配套产品*固态硬盘", ["SSD 1TB", "NVMe 512G", "SATA 2TB"], "个", "goods", (260, 1400), True),
    ("*计算机配套产品*无线键鼠套装", ["MK270", "K380"], "套", "goods", (79, 399), True),
    ("*办公用品*A4复印纸", ["70g 500张/包", "80g"], "箱", "goods", (90, 240), True),
    ("*纸制品*打印纸", ["A4 70g"], "包", "goods", (18, 32), True),
    ("*黑色金属冶炼压延品*螺纹钢", ["HRB400Φ16E", "HRB400Φ22E 12m", "HRB400Φ12"], "吨", "goods", (3200, 4200), True),
    ("*电子元件*贴片电阻", ["0603 10KΩ", "0805 1KΩ"], "盘", "goods", (12, 60), True),
    ("*通信传输设备*LoRa网关433MHz扩频4G数传电台DTU以太网RS485", ["E90-DTU(400SL22-ETH)-V2.0"], "个", "goods", (120, 480), True),
    ("*移动通信设备*手机", ["红米3", "P30 8+128G"], "台", "goods", (699, 4999), True),
    ("*日用杂品*抽纸", ["3层120抽"], "提", "goods", (15, 45), True),
    ("*塑料制品*塑料周转箱", ["600*400*280mm"], "个", "goods", (28, 95), True),
    ("*电线电缆*电力电缆", ["YJV-3*95+1*50", "BV-2.5mm²"], "米", "goods", (6, 180), True),
    ("*谷物*大米", ["25kg/袋"], "袋", "farm", (90, 180), True),
    ("*蔬菜*新鲜蔬菜", [""], "公斤", "farm", (3, 12), True),
    ("*建筑服务*工程款", [""], "", "build", (20000, 900000), False),
    ("*不动产经营租赁服务*房屋租金", [""], "月", "build", (3000, 40000), True),
    ("*运输服务*客运服务费", [""], "次", "transport", (15, 300), True),
    ("*运输服务*货物运输服务", [""], "车", "transport", (500, 9000), True),
    ("*图书*专业技术图书", ["ISBN978-7-111"], "本", "books", (35, 160), True),
]
GENERAL_RATES = {"service": "6%", "goods": "13%", "farm": "9%", "build": "9%", "transport": "9%", "books": "9%"}
REMARK_TEMPLATES = [
    "订单号:{order}",
    "合同编号:HT{year}{order6}",
    "项目名称:{city}办公楼改造工程\n项目地址:{city}{district}",
    "酒店名称:{trade}酒店({district}店) 入离店日期\n:{d0}至{d1} 共{nights}晚",
    "市场煤",
    "{order}",
]


@dataclass
class Party:
    name: str
    tax_id: str
    address_phone: str
    bank_account: str


@dataclass
class Item:
    name: str
    spec: str
    unit: str
    quantity: str
    unit_price: str
    amount: Decimal
    tax_rate: str
    tax: Decimal

    def truth(self) -> dict[str, str]:
        return {
            "name": self.name,
            "spec": self.spec,
            "unit": self.unit,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "amount": money(self.amount),
            "tax_rate": self.tax_rate,
            "tax": money(self.tax),
        }


@dataclass
class InvoiceData:
    """Everything printed on one invoice; `truth()` is the contract view of it."""

    invoice_type: str
    title: str
    region: str
    bureau: str
    code: str
    number: str
    issued: date
    check_code: str
    machine_number: str
    buyer: Party
    seller: Party
    items: list[Item]
    remarks: str
    payee: str
    reviewer: str
    drawer: str
    cipher: list[str]
    qr_payload: str
    copy_label: str = ""
    goods_list: bool = False
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def total_amount(self) -> Decimal:
        return sum((i.amount for i in self.items), Decimal("0"))

    @property
    def total_tax(self) -> Decimal:
        return sum((i.tax for i in self.items), Decimal("0"))

    @property
    def amount_with_tax(self) -> Decimal:
        return self.total_amount + self.total_tax

    @property
    def words(self) -> str:
        return amount_to_words(self.amount_with_tax)

    @property
    def date_cn(self) -> str:
        return f"{self.issued.year}年{self.issued.month:02d}月{self.issued.day:02d}日"

    def truth(self) -> dict:
        out = {
            "invoice_type": self.invoice_type,
            "invoice_code": self.code,
            "invoice_number": self.number,
            "issue_date": self.issued.isoformat(),
            "check_code": self.check_code,
            "machine_number": self.machine_number,
            "buyer_name": self.buyer.name,
            "buyer_tax_id": self.buyer.tax_id,
            "seller_name": self.seller.name,
            "seller_tax_id": self.seller.tax_id,
            "total_amount": money(self.total_amount),
            "total_tax": money(self.total_tax),
            "amount_with_tax": money(self.amount_with_tax),
            "amount_in_words": self.words,
            "drawer": self.drawer,
            "remarks": self.remarks,
            "items": [i.truth() for i in self.items],
            "qr_payload": self.qr_payload,
        }
        return out


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def qr_amount(value: Decimal) -> str:
    """QR amounts drop trailing zeros: 64.90 -> '64.9', 112.00 -> '112'."""
    text = money(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def org_code(rng: random.Random) -> str:
    """A GB 11714 organisation code: 8 characters and its check character."""
    body = "".join(rng.choice("0123456789" * 3 + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, weights))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, district: str) -> str:
    """A valid 统一社会信用代码 (GB 32100-2015) for a company registered in `district`."""
    head = "91" + district + org_code(rng)
    return head + uscc.calc_check_digit(head)


def company(rng: random.Random, city: str, district: str) -> str:
    trade = "".join(rng.sample(TRADE_WORDS, rng.choice((2, 2, 3))))
    industry = rng.choice(INDUSTRIES)
    suffix = rng.choice(SUFFIXES)
    short_city = city.removesuffix("市")
    style = rng.random()
    if style < 0.18:
        return f"{trade}{industry}（{short_city}）{suffix}"
    if style < 0.25:
        return f"{city}{trade}{industry}{suffix}{district.removesuffix('区')}分公司"
    return f"{city}{trade}{industry}{suffix}"


def party(rng: random.Random, region: tuple) -> Party:
    district_code, city, districts = rng.choice(region[3])
    district = rng.choice(districts)
    name = company(rng, city, district)
    phone = f"{rng.choice(('010', '021', '022', '020', '0755', '028', '023', '027', '0571', '025'))}-{rng.randint(2000_0000, 8999_9999)}"
    address = f"{city}{district}{rng.choice(ROADS)}{rng.randint(1, 399)}号 {phone}"
    bank, branch = rng.choice(BANKS)
    account = "".join(rng.choice("0123456789") for _ in range(rng.choice((12, 16, 19))))
    bank_account = f"{bank}{city.removesuffix('市')}{rng.choice(TRADE_WORDS)}{rng.choice(TRADE_WORDS)}{branch}{account}"
    return Party(name, credit_code(rng, district_code), address, bank_account)


def _price_text(value: Decimal, rng: random.Random) -> str:
    """Unit prices print with up to 8 decimals and no trailing zeros beyond two places, as the tax software does."""
    text = f"{value:.8f}".rstrip("0")
    if len(text.split(".")[1]) < 2:
        text = f"{value:.2f}"
    return text


def make_items(rng: random.Random, taxpayer: str, count: int) -> list[Item]:
    items: list[Item] = []
    small_rate = rng.choice(("3%", "3%", "1%"))
    # A seller mostly sells one kind of thing: draw from the anchor item's kind, topping up from the rest.
    anchor_kind = rng.choice(CATALOGUE)[3]
    same = [c for c in CATALOGUE if c[3] == anchor_kind]
    others = [c for c in CATALOGUE if c[3] != anchor_kind]
    entries = rng.sample(same, min(count, len(same)))
    if len(entries) < count:
        entries += rng.sample(others, count - len(entries))
    for name, specs, unit, kind, (lo, hi), counted in entries:
        if taxpayer == "small":
            rate = small_rate
        else:
            rate = GENERAL_RATES[kind]
            if kind == "farm" and rng.random() < 0.5:
                rate = "免税"
        rate_value = Decimal("0") if rate == "免税" else Decimal(rate.rstrip("%")) / 100
        spec = rng.choice(specs)
        if counted:
            qty = rng.choice((1, 1, 1, 2, 3, 5, 10, 12, 20, 50)) if unit not in ("吨", "米", "公斤") else Decimal(rng.randint(100, 5000)) / 100
            qty = Decimal(str(qty))
            gross_price = Decimal(str(round(rng.uniform(lo, hi), rng.choice((0, 0, 2)))))
            if rng.random() < 0.6:
                # Price set tax-included; the printed pre-tax price carries long decimals (597.43589744).
                amount = (gross_price * qty / (1 + rate_value)).quantize(CENT, rounding=ROUND_HALF_UP)
                price = (amount / qty).quantize(Decimal("0.00000001"), rounding=ROUND_HALF_UP)
                price_text = _price_text(price, rng)
                amount = (Decimal(price_text) * qty).quantize(CENT, rounding=ROUND_HALF_UP)
            else:
                price_text = money(gross_price)
                amount = (gross_price * qty).quantize(CENT, rounding=ROUND_HALF_UP)
            qty_text = f"{qty.normalize():f}"
        else:
            amount = Decimal(str(round(rng.uniform(lo, hi), 2))).quantize(CENT)
            qty_text = price_text = ""
        tax = (amount * rate_value).quantize(CENT, rounding=ROUND_HALF_UP)
        items.append(Item(name, spec, unit, qty_text, price_text, amount, rate, tax))
    return items


def cipher_block(rng: random.Random, width: int = 27) -> list[str]:
    return ["".join(rng.choice("0123456789<>+-*/") for _ in range(width)) for _ in range(4)]


def remarks_text(rng: random.Random, city: str, district: str, issued: date) -> str:
    if rng.random() < 0.45:
        return ""
    template = rng.choice(REMARK_TEMPLATES)
    nights = rng.randint(1, 4)
    d0 = issued - timedelta(days=nights + 1)
    return template.format(
        order=f"dd{rng.randint(10**10, 10**11 - 1)}",
        order6=f"{rng.randint(0, 999999):06d}",
        year=issued.year,
        city=city,
        district=district,
        trade=rng.choice(TRADE_WORDS) + rng.choice(TRADE_WORDS),
        d0=d0.isoformat(),
        d1=(d0 + timedelta(days=nights)).isoformat(),
        nights=nights,
    )


TYPE_BY_KIND_TITLE = {
    "vat_special": ("增值税专用发票", "01"),
    "vat_normal": ("增值税普通发票", "04"),
    "vat_electronic_normal": ("增值税电子普通发票", "10"),
    "digital_special": ("电子发票（增值税专用发票）", "31"),
    "digital_normal": ("电子发票（普通发票）", "32"),
}


def random_date(rng: random.Random, first_year: int, last_year: int) -> date:
    start = date(first_year, 1, 1)
    span = (date(last_year, 12, 28) - start).days
    return start + timedelta(days=rng.randint(0, span))


def make_invoice(rng: random.Random, invoice_type: str, goods_list: bool = False) -> InvoiceData:
    """A complete invoice of `invoice_type` whose codes, dates and amounts agree with each other."""
    region = rng.choice(REGIONS)
    region_code, region_name, bureau, _ = region
    digital = invoice_type.startswith("digital")
    if digital:
        issued = random_date(rng, 2023, 2026)
    elif invoice_type == "vat_electronic_normal":
        issued = random_date(rng, 2018, 2024)
    else:
        issued = random_date(rng, 2017, 2024)
    yy = f"{issued.year % 100:02d}"
    # Forms are printed a year or so before use.
    form_year = f"{max(issued.year - rng.choice((0, 0, 1)), 2017) % 100:02d}"
    title, qr_type = TYPE_BY_KIND_TITLE[invoice_type]
    code = check = machine = ""
    if invoice_type == "vat_special":
        code = region_code + form_year + str(rng.randint(1, 4)) + rng.choice("15") + rng.choice(("30", "40", "20"))
        number = f"{rng.randint(0, 99999999):08d}"
    elif invoice_type == "vat_normal":
        if rng.random() < 0.5:
            code = region_code + form_year + str(rng.randint(1, 4)) + rng.choice("36") + rng.choice(("20", "30"))
        else:
            code = "0" + region_code + form_year + f"{rng.randint(1, 9):03d}" + rng.choice(("04", "05"))
        number = f"{rng.randint(0, 99999999):08d}"
    elif invoice_type == "vat_electronic_normal":
        code = "0" + region_code + form_year + f"{rng.randint(1, 12):03d}" + "11"
        number = f"{rng.randint(0, 99999999):08d}"
    else:
        number = yy + region_code[:2] + "2" + f"{rng.randint(0, 10**10):015d}"
    if not digital:
        machine = "".join(rng.choice("0123456789") for _ in range(12))
        if invoice_type != "vat_special":
            check = "".join(rng.choice("0123456789") for _ in range(20))
    seller = party(rng, region)
    buyer = party(rng, rng.choice(REGIONS) if rng.random() < 0.4 else region)
    if invoice_type in ("vat_electronic_normal", "digital_normal") and rng.random() < 0.12:
        buyer = Party("个人", "", "", "")
    taxpayer = "small" if (invoice_type != "vat_special" and rng.random() < 0.2) else "general"
    count = rng.randint(9, 16) if goods_list else rng.choice((1, 1, 1, 2, 2, 3, 3, 4, 5, 6))
    items = make_items(rng, taxpayer, count)
    _, city, districts = rng.choice(region[3])
    remarks = remarks_text(rng, city, rng.choice(districts), issued)
    drawer = person(rng)
    inv = InvoiceData(
        invoice_type=invoice_type,
        title=(title if digital else region_name + title),
        region=region_name,
        bureau=bureau,
        code=code,
        number=number,
        issued=issued,
        check_code=check,
        machine_number=machine,
        buyer=buyer,
        seller=seller,
        items=items,
        remarks=remarks,
        payee="" if digital else person(rng),
        reviewer="" if digital else person(rng),
        drawer=drawer,
        cipher=[] if digital else cipher_block(rng),
        qr_payload="",
        goods_list=goods_list,
    )
    tail = f"{rng.randint(0, 0xFFFF):04X}"
    day = issued.strftime("%Y%m%d")
    if digital:
        inv.qr_payload = f"01,{qr_type},,{number},{qr_amount(inv.amount_with_tax)},{day},,{tail}"
    else:
        inv.qr_payload = f"01,{qr_type},{code},{number},{qr_amount(inv.total_amount)},{day},{check},{tail},"
    return inv
