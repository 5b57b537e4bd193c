"""Stamps and codes on an invoice: the oval 发票专用章 and 监制章 seals, and the QR code."""

from __future__ import annotations

import math

import numpy as np
import zxingcpp
from PIL import Image, ImageDraw

from samples.painter import pil_font

SEAL_RED = (222, 40, 40)


def qr_image(payload: str) -> Image.Image:
    """The QR code at one pixel per module with a 2-module quiet zone (callers scale it with NEAREST)."""
    code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = np.array(code.to_image(scale=1, add_quiet_zones=False))
    return Image.fromarray(np.pad(modules, 2, constant_values=255)).convert("L")


def _arc_text(im: Image.Image, text: str, cx: float, cy: float, rx: float, ry: float, height: int, span_deg: float, color) -> None:
    """Characters along the top of an ellipse at equal arc steps, each turned to face outwards, condensed when crowded."""
    n = len(text)
    if not n:
        return
    ts = np.radians(np.linspace(-90 - span_deg / 2, -90 + span_deg / 2, 721))
    xs, ys = cx + rx * np.cos(ts), cy + ry * np.sin(ts)
    seg = np.hypot(np.diff(xs), np.diff(ys))
    arc = np.concatenate([[0], np.cumsum(seg)])
    step = arc[-1] / n
    width = int(min(height, step * 0.95))
    font = pil_font("serif_bold", height)
    for i, ch in enumerate(text):
        k = int(np.searchsorted(arc, step * (i + 0.5)))
        t = ts[min(k, len(ts) - 1)]
        x, y = cx + rx * math.cos(t), cy + ry * math.sin(t)
        tangent = math.degrees(math.atan2(ry * math.cos(t), -rx * math.sin(t)))
        glyph = Image.new("L", (height + 4, height + 4), 0)
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), ch, font=font, fill=255, anchor="mm")
        if width < height:
            glyph = glyph.resize((max(2, width + 4), glyph.height), Image.BILINEAR)
        glyph = glyph.rotate(-tangent, resample=Image.BILINEAR, expand=True)
        im.paste(Image.new("RGBA", glyph.size, color + (255,)), (round(x - glyph.width / 2), round(y - glyph.height / 2)), glyph)


def _fit_text(d: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, role: str, height: int, max_width: float, color) -> None:
    """Text centred at `xy`, shrunk to fit `max_width`."""
    font = pil_font(role, height)
    if font.getlength(text) > max_width:
        font = pil_font(role, max(4, int(height * max_width / font.getlength(text))))
    d.text(xy, text, font=font, fill=color, anchor="mm")


def seal_image(top_text: str, middle: str, bottom: str, width_mm: float, height_mm: float, px_per_mm: float, color=SEAL_RED, span: float = 212) -> Image.Image:
    """An oval seal as RGBA: `top_text` around the upper rim, `middle` across, `bottom` below it."""
    w, h = round(width_mm * px_per_mm), round(height_mm * px_per_mm)
    im = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    ring = max(2, round(0.8 * px_per_mm))
    d.ellipse([ring / 2, ring / 2, w - 1 - ring / 2, h - 1 - ring / 2], outline=color + (255,), width=ring)
    glyph = round(min(width_mm / 9.5, 4.4) * px_per_mm)
    inset = ring + glyph * 0.68
    _arc_text(im, top_text, w / 2, h / 2, w / 2 - inset, h / 2 - inset, glyph, span, color)
    ink = color + (255,)
    if middle:
        _fit_text(d, (w / 2, h * 0.56), middle, "sans" if middle.isascii() else "serif_bold", round(glyph * 0.75), w * 0.64, ink)
    if bottom:
        _fit_text(d, (w / 2, h * 0.79), bottom, "serif_bold", round(glyph * 0.9), w * 0.5, ink)
    return im


def seller_seal(name: str, tax_id: str, px_per_mm: float) -> Image.Image:
    return seal_image(name, tax_id, "发票专用章", 40, 30, px_per_mm)


def supervision_seal(region: str, bureau: str, px_per_mm: float, color=SEAL_RED) -> Image.Image:
    """The 全国统一发票监制章 printed on the form under the title."""
    return seal_image("全国统一发票监制章", "国家税务总局", bureau.removeprefix("国家税务总局"), 30, 20, px_per_mm, color, span=200)


def inked(seal: Image.Image, rng: np.random.Generator, strength: float = 0.35) -> Image.Image:
    """A stamped look: uneven ink (blotchy alpha) over the clean seal."""
    arr = np.array(seal).astype(np.float32)
    h, w = arr.shape[:2]
    small = rng.random((max(2, h // 12), max(2, w // 12))).astype(np.float32)
    blotch = np.array(Image.fromarray((small * 255).astype(np.uint8)).resize((w, h), Image.BILINEAR)).astype(np.float32) / 255
    grain = rng.random((h, w)).astype(np.float32)
    alpha = arr[..., 3] / 255 * (1 - strength * blotch) * (0.85 + 0.15 * grain)
    arr[..., 3] = np.clip(alpha * 235, 0, 255)
    return Image.fromarray(arr.astype(np.uint8), "RGBA")
