"""Invoice layouts in millimetres: the classic form (paper 专票/普票, 电子普票), the 数电票 page, and the 销货清单 page."""

from __future__ import annotations

from samples.content import InvoiceData, Item, money

# Classic form geometry, relative to the frame's top-left corner (measured on real forms).
FW = 199.0
BUYER_H, HEAD_H, ITEMS_H, SUM_H, SELLER_H = 21.5, 6.0, 38.0, 7.5, 20.0
FH = BUYER_H + HEAD_H + ITEMS_H + SUM_H + SELLER_H
LABEL_COL, VALUE_X, MIMA_X0, MIMA_X1 = 6.5, 30.0, 113.0, 119.5
# Item columns: (left, right) of name, spec, unit, qty, price, amount, rate, tax.
COLS = [(0, 51.4), (51.4, 76.4), (76.4, 87.0), (87.0, 108.6), (108.6, 130.0), (130.0, 160.0), (160.0, 169.5), (169.5, 199.0)]
HEADERS = ["货物或应税劳务、服务名称", "规格型号", "单 位", "数 量", "单 价", "金 额", "税率", "税 额"]
PARTY_LABELS = ["名        称:", "纳税人识别号:", "地 址、电 话:", "开户行及账号:"]


def wrap(p, text: str, role: str, size: float, width: float) -> list[str]:
    """Break `text` into lines no wider than `width` mm, character by character as the tax software does."""
    lines, cur = [], ""
    for ch in text:
        if cur and p.width(cur + ch, role, size) > width:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    return lines + ([cur] if cur else [])


def fit(p, text: str, role: str, size: float, width: float, floor: float = 1.6) -> float:
    """The largest size up to `size` at which `text` fits `width` mm (the tax software shrinks long values)."""
    if not text:
        return size
    natural = p.width(text, role, size)
    return size if natural <= width else max(floor, size * width / natural)


def item_rows(p, items: list[Item], role: str, size: float, widths: tuple[float, float], line_h: float, gap: float, available: float):
    """Wrapped name and spec lines per item, shrinking type and leading until every item fits `available` mm."""
    while True:
        rows = [(wrap(p, i.name, role, size, widths[0]), wrap(p, i.spec, role, size, widths[1])) for i in items]
        needed = sum(line_h * max(len(a), len(b), 1) + gap for a, b in rows)
        if needed <= available or size < 1.9:
            return size, line_h, rows
        size, line_h, gap = size * 0.92, line_h * 0.92, gap * 0.92


def vertical(p, x: float, y0: float, y1: float, chars: str, role: str, size: float, color) -> None:
    """Upright characters stacked and spread evenly between y0 and y1 (side labels like 购买方)."""
    n = len(chars)
    step = (y1 - y0) / n
    for i, ch in enumerate(chars):
        p.text(x, y0 + step * (i + 0.5) + size * 0.36, ch, role, size, color, anchor="c")


def rate_text(item: Item) -> str:
    return item.tax_rate


def tax_text(item: Item) -> str:
    return "***" if item.tax_rate == "免税" else money(item.tax)


def classic_form(p, inv: InvoiceData, fx: float, fy: float, color, paper: bool, title_size: float = 7.0) -> None:
    """The pre-printed part: frame, rules, labels and title (everything the printer does not print)."""
    role = "serif" if paper else "song"
    p.rect(fx, fy, fx + FW, fy + FH, color, 0.45 if paper else 0.3)
    y_head = fy + BUYER_H
    y_items = y_head + HEAD_H
    y_sum = y_items + ITEMS_H
    y_seller = y_sum + SUM_H
    for y in (y_head, y_sum, y_seller):
        p.line(fx, y, fx + FW, y, color, 0.3)
    # Buyer and seller blocks: side label column, 密码区 / 备注 columns.
    for y0, y1, side, right in ((fy, y_head, "购买方", "密码区"), (y_seller, fy + FH, "销售方", "备注")):
        p.line(fx + LABEL_COL, y0, fx + LABEL_COL, y1, color, 0.3)
        p.line(fx + MIMA_X0, y0, fx + MIMA_X0, y1, color, 0.3)
        p.line(fx + MIMA_X1, y0, fx + MIMA_X1, y1, color, 0.3)
        vertical(p, fx + LABEL_COL / 2, y0 + 1, y1 - 1, side, role, 3.2, color)
        vertical(p, fx + (MIMA_X0 + MIMA_X1) / 2, y0 + 1, y1 - 1, right, role, 3.2, color)
        step = (y1 - y0) / 4
        for i, label in enumerate(PARTY_LABELS):
            p.text(fx + LABEL_COL + 1.5, y0 + step * (i + 0.5) + 1.1, label, role, 2.9, color)
    # Item table columns run from the header down to the 价税合计 row.
    for left, _ in COLS[1:]:
        p.line(fx + left, y_head, fx + left, y_sum, color, 0.3)
    for (left, right), label in zip(COLS, HEADERS):
        p.text(fx + (left + right) / 2, y_head + HEAD_H / 2 + 1.1, label, role, 2.9, color, anchor="c")
    p.text(fx + 25, y_sum - 1.6, "合        计", role, 3.0, color, anchor="c")
    p.line(fx + COLS[1][0], y_sum, fx + COLS[1][0], y_seller, color, 0.3)
    p.text(fx + 25, y_sum + SUM_H / 2 + 1.1, "价税合计（大写）", role, 3.0, color, anchor="c")
    p.text(fx + 140, y_sum + SUM_H / 2 + 1.1, "（小写）", role, 3.0, color)
    p.ellipse(fx + 54.5, y_sum + SUM_H / 2 - 1.7, fx + 57.9, y_sum + SUM_H / 2 + 1.7, color, 0.25)
    p.line(fx + 55.0, y_sum + SUM_H / 2 - 1.2, fx + 57.4, y_sum + SUM_H / 2 + 1.2, color, 0.2)
    p.line(fx + 55.0, y_sum + SUM_H / 2 + 1.2, fx + 57.4, y_sum + SUM_H / 2 - 1.2, color, 0.2)
    # Below the frame.
    yb = fy + FH + 4.5
    for x, label in ((fx + 4, "收款人:"), (fx + 54, "复核:"), (fx + 104, "开票人:"), (fx + 150, "销售方:（章）")):
        p.text(x, yb, label, role, 3.0, color)
    # Title with its double rule.
    cx = fx + FW / 2
    title_role = "serif_bold" if paper else "kai"
    p.text(cx, fy - 17.5, inv.title, title_role, title_size, color, anchor="c", spacing=0.6 if paper else 0.2)
    half = max(p.width(inv.title, title_role, title_size) / 2 + 4, 34)
    p.line(cx - half, fy - 14.6, cx + half, fy - 14.6, color, 0.3)
    p.line(cx - half, fy - 13.8, cx + half, fy - 13.8, color, 0.3)
    if paper:
        if inv.copy_label:
            p.text(cx, fy - 7.5, inv.copy_label, "serif_bold", 5.0, color, anchor="c", spacing=2.0)
        p.text(fx + 138, fy - 18.0, "№", "serif", 6.0, color)
        p.text(fx + 150, fy - 6.0, "开票日期:", role, 3.0, color)
        if inv.check_code:
            p.text(fx + 150, fy - 1.6, "校 验 码:", role, 3.0, color)
        p.text(fx + 1, fy - 1.6, "机器编号:", role, 3.0, color)
    else:
        for i, label in enumerate(("发票代码:", "发票号码:", "开票日期:", "校 验 码:")):
            p.text(fx + 144, 6.0 + 5.4 * i, label, role, 3.0, color)
        p.text(fx + 0.5, 23.8, "机器编号:", role, 3.0, color)


def classic_content(p, inv: InvoiceData, fx: float, fy: float, color, paper: bool, qr=None) -> None:
    """What the printer puts on the form (or the e-invoice software writes as values)."""
    text_role, num_role = ("song", "mono")
    size = 3.1
    y_head = fy + BUYER_H
    y_items = y_head + HEAD_H
    y_sum = y_items + ITEMS_H
    y_seller = y_sum + SUM_H
    if paper:
        if qr is not None:
            p.image_at(fx + 1.0, fy - 27.5, 19, 19, qr)
        p.text(fx + 22, fy - 15.5, inv.code, num_role, 6.2, color)
        p.text(fx + 146, fy - 17.5, inv.number, num_role, 6.6, color)
        p.text(fx + 185, fy - 21.0, inv.code, num_role, 3.0, color)
        p.text(fx + 185, fy - 17.3, inv.number, num_role, 3.0, color)
        p.text(fx + 165, fy - 6.0, inv.date_cn, text_role, size, color)
        if inv.check_code:
            groups = " ".join(inv.check_code[i : i + 5] for i in range(0, 20, 5))
            p.text(fx + 165, fy - 1.6, groups, num_role, 2.9, color)
        p.text(fx + 15, fy - 1.6, inv.machine_number, num_role, 3.1, color)
    else:
        if qr is not None:
            p.image_at(fx + 0.5, 2.0, 19, 19, qr)
        groups = " ".join(inv.check_code[i : i + 5] for i in range(0, 20, 5))
        for i, value in enumerate((inv.code, inv.number, None, groups)):
            if value:
                p.text(fx + 158, 6.0 + 5.4 * i, value, "song", 2.8, color)
        d = inv.issued
        p.text(fx + 158, 6.0 + 5.4 * 2, f"{d.year} 年 {d.month:02d} 月 {d.day:02d} 日", "song", 3.0, color)
        p.text(fx + 14, 23.8, inv.machine_number, "song", 3.0, color)
    for y0, party in ((fy, inv.buyer), (y_seller, inv.seller)):
        step = (BUYER_H if y0 == fy else SELLER_H) / 4
        values = [party.name, party.tax_id, party.address_phone, party.bank_account]
        for i, value in enumerate(values):
            role, sz = (num_role, 4.0) if i == 1 else (text_role, size if i == 0 else 2.6)
            # Long addresses shrink to fit as the tax software does.
            while p.width(value, role, sz) > MIMA_X0 - VALUE_X - 1 and sz > 1.8:
                sz -= 0.2
            p.text(fx + VALUE_X, y0 + step * (i + 0.5) + 1.2, value, role, sz, color)
    for i, line in enumerate(inv.cipher):
        cipher_size = 4.3 * min(1.0, (FW - MIMA_X1 - 3) / p.width(line, num_role, 4.3))
        p.text(fx + MIMA_X1 + 1.5, fy + 5.4 * i + 4.6, line, num_role, cipher_size, color)
    # Items.
    y = y_items + 3.4
    rows = [Item("(详见销货清单)", "", "", "", "", inv.total_amount, "", inv.total_tax)] if inv.goods_list else inv.items
    widths = (COLS[0][1] - 1.5, COLS[1][1] - COLS[1][0] - 1)
    size, step, wrapped = item_rows(p, rows, text_role, size, widths, 3.4, 0.5, ITEMS_H - 3.4 - 4.2)
    for item, (name_lines, spec_lines) in zip(rows, wrapped):
        for j, line in enumerate(name_lines):
            p.text(fx + 0.8, y + j * step, line, text_role, size, color)
        for j, line in enumerate(spec_lines):
            p.text(fx + COLS[1][0] + 0.8, y + j * step, line, text_role, size, color)
        p.text(fx + sum(COLS[2]) / 2, y, item.unit, text_role, size, color, anchor="c")
        for col, value in ((3, item.quantity), (4, item.unit_price)):
            width = COLS[col][1] - COLS[col][0] - 1.2
            p.text(fx + COLS[col][1] - 0.8, y, value, num_role, fit(p, value, num_role, size, width), color, anchor="r")
        p.text(fx + COLS[5][1] - 0.8, y, money(item.amount), num_role, size, color, anchor="r")
        p.text(fx + sum(COLS[6]) / 2, y, rate_text(item), num_role if item.tax_rate.endswith("%") else text_role, size, color, anchor="c")
        if item.tax_rate or inv.goods_list:
            p.text(fx + COLS[7][1] - 0.8, y, tax_text(item), num_role, size, color, anchor="r")
        y += step * max(len(name_lines), len(spec_lines), 1) + step * 0.15
    p.text(fx + COLS[5][1] - 0.8, y_sum - 1.6, "¥" + money(inv.total_amount), num_role, 3.4, color, anchor="r")
    p.text(fx + COLS[7][1] - 0.8, y_sum - 1.6, "¥" + money(inv.total_tax), num_role, 3.4, color, anchor="r")
    p.text(fx + 59.5, y_sum + SUM_H / 2 + 1.2, inv.words, text_role, 3.3, color)
    p.text(fx + 153, y_sum + SUM_H / 2 + 1.2, "¥" + money(inv.amount_with_tax), num_role, 3.6, color)
    for j, line in enumerate(inv.remarks.split("\n") if inv.remarks else []):
        p.text(fx + MIMA_X1 + 1.5, y_seller + 4.5 + j * 3.8, line, text_role, 2.8, color)
    yb = fy + FH + 4.5
    for x, value in ((fx + 16, inv.payee), (fx + 63, inv.reviewer), (fx + 116, inv.drawer)):
        p.text(x, yb, value, text_role, size, color)


# 数电票 page geometry (210 × 140 mm), measured on real Suwell output.
DIGITAL_COLS = [(4.5, 40.0), (40.0, 62.0), (62.0, 84.0), (84.0, 108.0), (108.0, 138.0), (138.0, 158.0), (158.0, 184.0), (184.0, 205.5)]
DIGITAL_HEADERS = ["项目名称", "规格型号", "单 位", "数 量", "单 价", "金 额", "税率/征收率", "税 额"]


def digital_page(p, inv: InvoiceData, form, ink, qr=None, seal=None) -> None:
    """A 数电票 page: title and number on top, buyer and seller side by side, items without row rules."""
    if qr is not None:
        p.image_at(6.0, 5.5, 20.5, 20.5, qr)
    p.text(102, 15.0, inv.title, "kai", 7.4, form, anchor="c")
    half = max(p.width(inv.title, "kai", 7.4) / 2 - 10, 30)
    p.line(102 - half, 18.3, 102 + half, 18.3, form, 0.3)
    p.line(102 - half, 19.1, 102 + half, 19.1, form, 0.3)
    if seal is not None:
        p.image_at(89, 7.5, 30, 20.5, seal)
    p.text(154.5, 13.5, "发票号码：", "kai", 3.4, form)
    p.text(154.5, 20.0, "开票日期：", "kai", 3.4, form)
    p.text(171.5, 13.5, inv.number, "song", 3.4, ink)
    p.text(171.5, 20.0, inv.date_cn, "song", 3.4, ink)
    top, mid, y_sum, y_rem, bottom = 30.0, 52.0, 97.5, 105.5, 126.0
    p.rect(4.5, top, 205.5, bottom, form, 0.3)
    for y in (mid, y_sum, y_rem):
        p.line(4.5, y, 205.5, y, form, 0.3)
    for x in (10.5, 105.0, 111.0):
        p.line(x, top, x, mid, form, 0.3)
    vertical(p, 7.5, top + 1, mid - 1, "购买方信息", "kai", 3.0, form)
    vertical(p, 108.0, top + 1, mid - 1, "销售方信息", "kai", 3.0, form)
    for x0, party in ((12.0, inv.buyer), (112.5, inv.seller)):
        p.text(x0, 38.0, "名称：", "kai", 3.3, form)
        p.text(x0 + p.width("名称：", "kai", 3.3), 38.0, party.name, "song", 3.3, ink)
        label = "统一社会信用代码/纳税人识别号："
        p.text(x0, 47.0, label, "kai", 2.9, form)
        p.text(x0 + p.width(label, "kai", 2.9), 47.0, party.tax_id, "mono", 4.0, ink)
    for (left, right), label in zip(DIGITAL_COLS, DIGITAL_HEADERS):
        p.text((left + right) / 2, 56.5, label, "kai", 3.0, form, anchor="c")
    y = 61.0
    widths = (DIGITAL_COLS[0][1] - DIGITAL_COLS[0][0], DIGITAL_COLS[1][1] - DIGITAL_COLS[1][0] - 1)
    size, step, wrapped = item_rows(p, inv.items, "song", 3.1, widths, 4.2, 0.4, 92.0 - 61.0 + 3.0)
    for item, (name_lines, spec_lines) in zip(inv.items, wrapped):
        for j, line in enumerate(name_lines):
            p.text(4.8, y + j * step, line, "song", size, ink)
        for j, line in enumerate(spec_lines):
            p.text(DIGITAL_COLS[1][0] + 1, y + j * step, line, "song", size, ink)
        p.text(sum(DIGITAL_COLS[2]) / 2, y, item.unit, "song", size, ink, anchor="c")
        for col, value in ((3, item.quantity), (4, item.unit_price)):
            width = DIGITAL_COLS[col][1] - DIGITAL_COLS[col][0] - 1.5
            p.text(DIGITAL_COLS[col][1] - 1, y, value, "song", fit(p, value, "song", size, width), ink, anchor="r")
        p.text(DIGITAL_COLS[5][1] - 1, y, money(item.amount), "song", size, ink, anchor="r")
        p.text(sum(DIGITAL_COLS[6]) / 2, y, item.tax_rate, "song", size, ink, anchor="c")
        p.text(DIGITAL_COLS[7][1] - 0.5, y, tax_text(item), "song", size, ink, anchor="r")
        y += step * max(len(name_lines), len(spec_lines), 1) + step * 0.1
    p.text(24, 95.5, "合        计", "kai", 3.2, form, anchor="c")
    p.text(DIGITAL_COLS[5][1] - 1, 95.5, "¥" + money(inv.total_amount), "song", 3.3, ink, anchor="r")
    p.text(DIGITAL_COLS[7][1] - 0.5, 95.5, "¥" + money(inv.total_tax), "song", 3.3, ink, anchor="r")
    p.line(57.0, y_sum, 57.0, y_rem, form, 0.3)
    p.text(31, 102.7, "价税合计（大写）", "kai", 3.2, form, anchor="c")
    p.ellipse(58.5, 99.6, 62.5, 103.6, ink, 0.25)
    p.line(59.1, 100.2, 61.9, 103.0, ink, 0.2)
    p.line(59.1, 103.0, 61.9, 100.2, ink, 0.2)
    p.text(63.5, 102.9, inv.words, "song", 3.5, ink)
    p.text(145, 102.9, "（小写）", "kai", 3.2, form)
    p.text(145 + p.width("（小写）", "kai", 3.2), 102.9, "¥" + money(inv.amount_with_tax), "song", 3.6, ink)
    p.line(10.5, y_rem, 10.5, bottom, form, 0.3)
    vertical(p, 7.5, y_rem + 3, bottom - 3, "备注", "kai", 3.2, form)
    for j, line in enumerate(inv.remarks.split("\n") if inv.remarks else []):
        p.text(12.0, y_rem + 5.0 + j * 4.0, line, "song", 3.0, ink)
    p.text(20, 133.0, "开票人：", "kai", 3.3, form)
    p.text(20 + p.width("开票人：", "kai", 3.3), 133.0, inv.drawer, "song", 3.3, ink)


LIST_COLS = [(8, 16), (16, 76), (76, 100), (100, 110), (110, 127), (127, 147), (147, 170), (170, 180), (180, 207)]
LIST_HEADERS = ["序号", "货物(劳务)名称", "规格型号", "单位", "数  量", "单  价", "金  额", "税率", "税  额"]


def goods_list_page(p, inv: InvoiceData, form, ink, seal=None) -> None:
    """The 销售货物或者提供应税劳务、服务清单 page that follows an invoice printed as (详见销货清单)."""
    p.text(108, 22, "销售货物或者提供应税劳务、服务清单", "kai", 6.0, form, anchor="c", spacing=0.8)
    p.text(8, 36, "购买方名称:", "song", 3.0, form)
    p.text(8 + p.width("购买方名称:", "song", 3.0), 36, inv.buyer.name, "song", 3.0, ink)
    p.text(8, 45, "销售方名称:", "song", 3.0, form)
    p.text(8 + p.width("销售方名称:", "song", 3.0), 45, inv.seller.name, "song", 3.0, ink)
    label = "所属增值税电子普通发票代码:"
    p.text(8, 54, label, "song", 3.0, form)
    p.text(9 + p.width(label, "song", 3.0), 54, inv.code, "song", 3.0, ink)
    p.text(100, 54, "号码:", "song", 3.0, form)
    p.text(108, 54, inv.number, "song", 3.0, ink)
    p.text(165, 54, "共    1    页    第    1    页", "song", 3.0, form)
    top, head, bottom = 62.0, 68.0, 240.0
    p.rect(8, top, 207, bottom + 12, form, 0.3)
    p.line(8, head, 207, head, form, 0.3)
    p.line(8, bottom, 207, bottom, form, 0.3)
    for left, _ in LIST_COLS[1:]:
        p.line(left, top, left, bottom, form, 0.3)
    for (left, right), text in zip(LIST_COLS, LIST_HEADERS):
        p.text((left + right) / 2, head - 1.8, text, "song", 2.8, form, anchor="c")
    y = head + 4
    for n, item in enumerate(inv.items, 1):
        lines = wrap(p, item.name, "song", 2.8, LIST_COLS[1][1] - LIST_COLS[1][0] - 1)
        spec = wrap(p, item.spec, "song", 2.6, LIST_COLS[2][1] - LIST_COLS[2][0] - 1)
        p.text(12, y, str(n), "song", 2.8, ink, anchor="c")
        for j, line in enumerate(lines):
            p.text(LIST_COLS[1][0] + 0.8, y + j * 3.5, line, "song", 2.8, ink)
        for j, line in enumerate(spec):
            p.text(LIST_COLS[2][0] + 0.5, y + j * 3.5, line, "song", 2.6, ink)
        p.text(sum(LIST_COLS[3]) / 2, y, item.unit, "song", 2.8, ink, anchor="c")
        for col, value in ((4, item.quantity), (5, item.unit_price)):
            width = LIST_COLS[col][1] - LIST_COLS[col][0] - 1.2
            p.text(LIST_COLS[col][1] - 0.8, y, value, "song", fit(p, value, "song", 2.8, width), ink, anchor="r")
        p.text(LIST_COLS[6][1] - 0.8, y, money(item.amount), "song", 2.8, ink, anchor="r")
        p.text(sum(LIST_COLS[7]) / 2, y, item.tax_rate, "song", 2.8, ink, anchor="c")
        p.text(LIST_COLS[8][1] - 0.8, y, tax_text(item), "song", 2.8, ink, anchor="r")
        y += 3.5 * max(len(lines), len(spec), 1) + 1.2
    for yy, label in ((bottom - 5, "小计"), (bottom - 1.5, "总计")):
        p.text(9, yy, label, "song", 2.8, form)
        p.text(LIST_COLS[6][1] - 0.8, yy, "¥ " + money(inv.total_amount), "song", 2.8, ink, anchor="r")
        p.text(LIST_COLS[8][1] - 0.8, yy, "¥ " + money(inv.total_tax), "song", 2.8, ink, anchor="r")
    p.text(9, bottom + 7, "备注", "song", 2.8, form)
    p.line(16, bottom, 16, bottom + 12, form, 0.3)
    p.text(8, 262, "销售方(章):", "song", 3.0, form)
    if seal is not None:
        p.image_at(26, 250, 40, 30, seal)
    d = inv.issued
    p.text(150, 262, "填开日期:", "song", 3.0, form)
    p.text(166, 262, f"{d.year} 年 {d.month:02d} 月 {d.day:02d} 日", "song", 3.0, ink)
