"""Paper invoices as images: the printed sheet (form, misregistered dot-matrix print, seal) and how a scanner or phone sees it."""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

from samples import forms, marks
from samples.content import InvoiceData
from samples.painter import PilPainter

SHEET_W, SHEET_H = 240.0, 140.0
FRAME_X, FRAME_Y = 21.0, 31.0
FORM_COLOURS = {"发票联": (128, 58, 40), "抵扣联": (38, 118, 72), "记账联": (40, 40, 40)}
INK_COLOURS = [(28, 48, 140), (40, 60, 160), (30, 30, 38), (20, 20, 60)]


def _margin_notes(p: PilPainter, inv: InvoiceData, colour, rng: np.random.Generator) -> None:
    printer = f"税总函〔{2015 + int(rng.integers(0, 4))}〕{int(rng.integers(100, 900))}号{inv.region}{['华森', '南方', '新华', '金杯'][int(rng.integers(0, 4))]}印务有限公司"
    forms.vertical(p, 14.5, 34, 34 + 3.0 * len(printer), printer, "serif", 2.3, colour)
    if inv.copy_label:
        note = {"抵扣联": "第二联：抵扣联购买方扣税凭证", "发票联": "第三联：发票联购买方记账凭证" if inv.invoice_type == "vat_special" else "第二联：发票联购买方记账凭证"}[inv.copy_label]
        forms.vertical(p, 223.5, 60, 122, note, "serif", 3.0, colour)


def hole_mask(w: int, h: int, px_per_mm: float) -> np.ndarray:
    """Where the tractor-feed holes of continuous forms are (every half inch on both margins): True inside a hole."""
    mask = np.zeros((h, w), np.uint8)
    y = 6.0
    while y < SHEET_H - 2:
        for x in (5.5, SHEET_W - 5.5):
            cv2.circle(mask, (round(x * px_per_mm), round(y * px_per_mm)), round(2.0 * px_per_mm), 1, -1, cv2.LINE_AA)
        y += 12.7
    return mask.astype(bool)


def _noise(rng: np.random.Generator, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    """Sensor noise, seeded from `rng` (OpenCV's generator is much faster than numpy's normal)."""
    cv2.setRNGSeed(int(rng.integers(0, 2**31 - 1)))
    out = np.empty(shape, np.float32)
    cv2.randn(out, 0.0, sigma)
    return out


def _dot_matrix(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Impact printing: a pin grid, uneven ribbon strength and slightly bled edges."""
    h, w = ink.shape
    pitch = 2
    pins = np.ones((h, w), np.float32) * 0.8
    pins[::pitch, ::pitch] = 1.0
    ribbon = 0.88 + 0.12 * np.sin(np.linspace(0, rng.uniform(3, 9) * math.pi, h, dtype=np.float32))[:, None]
    out = cv2.GaussianBlur(ink * pins * ribbon, (0, 0), 0.6)
    return np.clip(out * 1.35, 0, 1)


def sheet(inv: InvoiceData, rng: np.random.Generator, px_per_mm: float) -> Image.Image:
    """The paper invoice as printed: pre-printed form, offset content, QR, red seal (holes are left to the capture)."""
    w, h = round(SHEET_W * px_per_mm), round(SHEET_H * px_per_mm)
    paper = tuple(int(v) for v in rng.integers(238, 252, 3))
    form_colour = FORM_COLOURS[inv.copy_label or "发票联"]
    base = Image.new("RGB", (w, h), paper)
    fp = PilPainter(base, px_per_mm)
    forms.classic_form(fp, inv, FRAME_X, FRAME_Y, form_colour, paper=True, title_size=7.2)
    _margin_notes(fp, inv, form_colour, rng)
    sup = marks.inked(marks.supervision_seal(inv.region, inv.bureau, px_per_mm), rng, 0.25)
    base.paste(sup, (round((FRAME_X + forms.FW / 2 - 16) * px_per_mm), round((FRAME_Y - 27) * px_per_mm)), sup)

    # The printer's content sits a few mm off the form's boxes.
    offset = (float(rng.uniform(-3.5, 3.5)), float(rng.uniform(-2.5, 3.0)))
    layer = Image.new("L", (w, h), 0)
    cp = PilPainter(layer, px_per_mm, offset)
    forms.classic_content(cp, inv, FRAME_X, FRAME_Y, 255, paper=True)
    ink = _dot_matrix(np.asarray(layer, np.float32) / 255, rng)
    qr = marks.qr_image(inv.qr_payload)
    qr_layer = Image.new("L", (w, h), 0)
    PilPainter(qr_layer, px_per_mm, offset).image_at(FRAME_X + 1.0, FRAME_Y - 27.5, 19, 19, qr.point(lambda v: 255 - v))
    ink = np.maximum(ink, np.asarray(qr_layer, np.float32) / 255 * 0.92)
    ink_colour = np.array(INK_COLOURS[int(rng.integers(0, len(INK_COLOURS)))], np.float32)
    out = np.asarray(base, np.float32)
    out = out * (1 - ink[..., None]) + ink_colour * ink[..., None]

    # The seller's seal over 销售方（章）, often across the remarks and the seller's text.
    seal = marks.inked(marks.seller_seal(inv.seller.name, inv.seller.tax_id, px_per_mm), rng)
    seal = seal.rotate(float(rng.uniform(-14, 14)), resample=Image.BILINEAR, expand=True)
    sx = (FRAME_X + 152 + rng.uniform(-12, 8)) * px_per_mm - seal.width / 2
    sy = (FRAME_Y + forms.FH + rng.uniform(-9, 2)) * px_per_mm - seal.height / 2
    sx, sy = int(np.clip(sx, 0, w - seal.width)), int(np.clip(sy, 0, h - seal.height))
    alpha = np.asarray(seal, np.float32)[..., 3:] / 255
    region = out[sy : sy + seal.height, sx : sx + seal.width]
    tint = np.array(marks.SEAL_RED, np.float32) / 255
    region *= 1 - alpha * (1 - tint)
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def _smooth_field(rng: np.random.Generator, h: int, w: int, lo: float, hi: float) -> np.ndarray:
    """A low-frequency gain field: uneven lamp light or lid shadow."""
    small = rng.random((3, 4)).astype(np.float32)
    field = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    field = (field - field.min()) / max(float(field.max() - field.min()), 1e-6)
    return lo + (hi - lo) * field


def scan(im: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A flatbed scan: skew up to ±3°, uneven light, blur, sensor noise."""
    arr = np.array(im)
    h, w = arr.shape[:2]
    angle = float(rng.uniform(-3, 3))
    lid = float(rng.choice([250.0, 236.0, 40.0], p=[0.6, 0.3, 0.1]))
    # A hole shows the scanner lid behind it.
    arr[hole_mask(w, h, w / SHEET_W)] = int(min(lid, 200.0))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    arr = cv2.warpAffine(arr, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(lid, lid, lid))
    gain = _smooth_field(rng, h, w, float(rng.uniform(0.82, 0.95)), 1.0)
    arr = cv2.GaussianBlur(arr, (0, 0), float(rng.uniform(0.4, 0.9)))
    out = arr.astype(np.float32) * gain[..., None]
    out += _noise(rng, (h, w), float(rng.uniform(2, 6)))[..., None]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def _desk(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A desk (uint8 RGB): wood grain, or a plain laminate with texture; drawn at half size for speed."""
    hh, hw = h // 2, w // 2
    if rng.random() < 0.55:
        base = np.array([rng.uniform(150, 200), rng.uniform(105, 145), rng.uniform(60, 95)], np.float32)
        ys = np.arange(hh, dtype=np.float32)[:, None]
        xs = np.arange(hw, dtype=np.float32)[None, :]
        warp = cv2.resize(rng.random((6, 8)).astype(np.float32), (hw, hh), interpolation=cv2.INTER_CUBIC) * 20
        fine = cv2.resize(rng.random((hh // 4, 8)).astype(np.float32), (hw, hh), interpolation=cv2.INTER_LINEAR)
        grain = np.sin((ys + warp + xs * 0.02) / rng.uniform(2, 4)) * 0.5 + 0.5
        desk = base[None, None, :] * (0.86 + 0.06 * grain + 0.08 * fine)[..., None]
    else:
        grey = rng.uniform(90, 215)
        desk = np.full((hh, hw, 3), grey, np.float32) * np.array([1.0, rng.uniform(0.95, 1.02), rng.uniform(0.88, 1.0)], np.float32)
    desk += _noise(rng, (hh, hw), 5.0)[..., None]
    return cv2.resize(np.clip(desk, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)


def _neighbour(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Another paper lying nearby: a printed page with lines of text."""
    page = Image.new("RGB", (w, h), tuple(int(v) for v in rng.integers(228, 250, 3)))
    p = PilPainter(page, w / 200.0)
    words = "报销单据合计金额部门经办人审批日期用途说明附件张数差旅费交通费住宿费会议费采购合同订单编号备注签字"
    y = 18.0
    while y < h / p.k - 10:
        n = int(rng.integers(8, 40))
        text = "".join(words[int(i)] for i in rng.integers(0, len(words), n))
        p.text(12 + float(rng.uniform(0, 30)), y, text, "song", 4.2, (60, 60, 70))
        y += float(rng.uniform(7, 11))
    return np.asarray(page)


def _low_res(field: np.ndarray, w: int, h: int) -> np.ndarray:
    return cv2.resize(field.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)


def photo(im: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A phone photo of the sheet on a desk: perspective, a neighbouring paper, light falloff, any of 4 orientations."""
    sheet_arr = np.asarray(im)
    sh, sw = sheet_arr.shape[:2]
    holes = hole_mask(sw, sh, sw / SHEET_W)
    ch, cw = int(sh * 1.45), int(sw * 1.3)
    canvas = _desk(rng, ch, cw)
    # A neighbouring paper, partly under the invoice.
    nh, nw = int(sh * rng.uniform(0.7, 1.0)), int(sw * rng.uniform(0.45, 0.7))
    other = _neighbour(rng, nh, nw)
    ox = int(rng.choice([-nw * 0.7, cw - nw * 0.3]))
    oy = int(rng.uniform(-nh * 0.3, ch - nh * 0.6))
    xs0, ys0 = max(ox, 0), max(oy, 0)
    xs1, ys1 = min(ox + nw, cw), min(oy + nh, ch)
    canvas[ys0:ys1, xs0:xs1] = other[ys0 - oy : ys1 - oy, xs0 - ox : xs1 - ox]
    # The invoice's soft shadow, computed at 1/8 size.
    px, py = (cw - sw) // 2 + int(rng.integers(-cw // 40, cw // 40)), (ch - sh) // 2 + int(rng.integers(-ch // 30, ch // 30))
    small = np.zeros((ch // 8, cw // 8), np.float32)
    small[(py + 8) // 8 : (py + sh + 8) // 8, (px + 6) // 8 : (px + sw + 6) // 8] = 0.35
    shade = 1 - _low_res(cv2.GaussianBlur(small, (0, 0), 1.5), cw, ch)
    canvas = (canvas * shade[..., None]).astype(np.uint8)
    # Often the other copies of the set lie under it, their edges showing.
    for _ in range(int(rng.integers(0, 3))):
        dx, dy = int(rng.integers(-sw // 40, sw // 40)), int(rng.integers(-sh // 25, sh // 25))
        ang = float(rng.uniform(-1.5, 1.5))
        box = cv2.boxPoints(((px + sw / 2 + dx, py + sh / 2 + dy), (sw, sh), ang)).astype(np.int32)
        tone = int(rng.integers(205, 240))
        cv2.fillPoly(canvas, [box], (tone, tone, tone - int(rng.integers(0, 12))), cv2.LINE_AA)
        cv2.polylines(canvas, [box], True, (tone - 40,) * 3, 1, cv2.LINE_AA)
    under = canvas[py : py + sh, px : px + sw]
    canvas[py : py + sh, px : px + sw] = np.where(holes[..., None], under, sheet_arr)
    # Perspective: the phone is never square to the desk.
    j = 0.07
    src = np.float32([[0, 0], [cw, 0], [cw, ch], [0, ch]])
    dst = src + rng.uniform(-j, j, (4, 2)).astype(np.float32) * np.float32([cw, ch])
    dst -= dst.min(axis=0)
    out_w, out_h = int(dst[:, 0].max()), int(dst[:, 1].max())
    mat = cv2.getPerspectiveTransform(src, dst)
    border = tuple(int(v) for v in canvas[ch // 2, 2])
    warped = cv2.warpPerspective(canvas, mat, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=border)
    # The camera frame holds only desk: crop to the part of the warped desk that has no border.
    x0, x1 = int(max(dst[0, 0], dst[3, 0])) + 1, int(min(dst[1, 0], dst[2, 0])) - 1
    y0, y1 = int(max(dst[0, 1], dst[1, 1])) + 1, int(min(dst[2, 1], dst[3, 1])) - 1
    warped = np.ascontiguousarray(warped[y0:y1, x0:x1])
    out_h, out_w = warped.shape[:2]
    warped = cv2.GaussianBlur(warped, (0, 0), float(rng.uniform(0.6, 1.3)))
    # Light: a bright spot somewhere and darker corners, with a warm cast (at 1/8 size, then scaled up).
    gy, gx = np.mgrid[0:out_h // 8, 0:out_w // 8].astype(np.float32)
    cx, cy = rng.uniform(0.2, 0.8) * out_w / 8, rng.uniform(0.2, 0.8) * out_h / 8
    dist = np.sqrt(((gx - cx) / (out_w / 8)) ** 2 + ((gy - cy) / (out_h / 8)) ** 2)
    light = _low_res(1.05 - rng.uniform(0.25, 0.45) * dist, out_w, out_h)
    cast = np.float32([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.86, 0.97)])
    out = warped.astype(np.float32) * light[..., None] * cast
    out += _noise(rng, (out_h, out_w), float(rng.uniform(3, 7)))[..., None]
    out = np.clip(out, 0, 255).astype(np.uint8)
    out = np.ascontiguousarray(np.rot90(out, int(rng.choice([0, 0, 0, 1, 2, 3]))))
    return Image.fromarray(out)
