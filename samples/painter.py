"""One drawing surface in millimetres for two back ends: a Pillow raster (scans) and a reportlab page (text-layer PDFs)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# Font roles -> (file, face index in the collection, Debian package that ships it).
FONTS: dict[str, tuple[str, int, str]] = {
    "song": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0, "fonts-arphic-uming"),
    "kai": ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0, "fonts-arphic-ukai"),
    "serif": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2, "fonts-noto-cjk"),
    "serif_bold": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2, "fonts-noto-cjk"),
    "sans": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2, "fonts-noto-cjk"),
    "mono": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 7, "fonts-noto-cjk"),
}
# reportlab embeds TrueType outlines only; the Noto CJK collections are CFF, so PDFs use the Arphic fonts.
PDF_FONTS = {"song": "FP-song", "kai": "FP-kai", "serif": "FP-song", "serif_bold": "FP-song", "sans": "FP-song", "mono": "Courier"}


class FontMissing(RuntimeError):
    """A CJK font the generator draws with is not installed."""


def font_file(role: str) -> tuple[str, int]:
    path, index, package = FONTS[role]
    if not Path(path).is_file():
        raise FontMissing(f"font {path} is missing: install the Debian package {package} (apt-get install {package})")
    return path, index


@lru_cache(maxsize=256)
def pil_font(role: str, size_px: int) -> ImageFont.FreeTypeFont:
    path, index = font_file(role)
    return ImageFont.truetype(path, max(size_px, 4), index=index)


class PilPainter:
    """Draws on a Pillow image; `offset` shifts everything (the printer's misregistration on a paper form)."""

    def __init__(self, image: Image.Image, px_per_mm: float, offset: tuple[float, float] = (0.0, 0.0)) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)
        self.k = px_per_mm
        self.dx, self.dy = offset

    def _p(self, x: float, y: float) -> tuple[float, float]:
        return ((x + self.dx) * self.k, (y + self.dy) * self.k)

    def line(self, x0: float, y0: float, x1: float, y1: float, color, width: float = 0.25) -> None:
        self.draw.line([self._p(x0, y0), self._p(x1, y1)], fill=color, width=max(1, round(width * self.k)))

    def rect(self, x0: float, y0: float, x1: float, y1: float, color, width: float = 0.25) -> None:
        self.draw.rectangle([self._p(x0, y0), self._p(x1, y1)], outline=color, width=max(1, round(width * self.k)))

    def text(self, x: float, y: float, s: str, role: str, size: float, color, anchor: str = "l", spacing: float = 0.0) -> None:
        """`y` is the baseline; `size` the em in mm; `spacing` extra mm between characters."""
        if not s:
            return
        font = pil_font(role, round(size * self.k))
        if spacing:
            width = self.width(s, role, size) + spacing * (len(s) - 1)
            cx = x - (width / 2 if anchor == "c" else width if anchor == "r" else 0)
            for ch in s:
                self.draw.text(self._p(cx, y), ch, font=font, fill=color, anchor="ls")
                cx += self.width(ch, role, size) + spacing
            return
        self.draw.text(self._p(x, y), s, font=font, fill=color, anchor={"l": "ls", "c": "ms", "r": "rs"}[anchor])

    def width(self, s: str, role: str, size: float) -> float:
        font = pil_font(role, round(size * self.k))
        return font.getlength(s) / self.k

    def image_at(self, x: float, y: float, w: float, h: float, im: Image.Image) -> None:
        x0, y0 = self._p(x, y)
        size = (max(1, round(w * self.k)), max(1, round(h * self.k)))
        resized = im.resize(size, Image.NEAREST)
        if resized.mode == "RGBA":
            self.image.paste(resized.convert("RGB" if self.image.mode == "RGB" else "L"), (round(x0), round(y0)), resized)
        else:
            self.image.paste(resized.convert(self.image.mode), (round(x0), round(y0)))

    def ellipse(self, x0: float, y0: float, x1: float, y1: float, color, width: float = 0.3) -> None:
        self.draw.ellipse([self._p(x0, y0), self._p(x1, y1)], outline=color, width=max(1, round(width * self.k)))


class PdfPainter:
    """Draws on a reportlab canvas with CJK TrueType fonts embedded (with ToUnicode), so the text layer extracts."""

    MM = 72 / 25.4

    def __init__(self, canvas, page_height_mm: float) -> None:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        self.c = canvas
        self.h = page_height_mm
        self.metrics = pdfmetrics
        for role in ("song", "kai"):
            name = f"FP-{role}"
            if name not in pdfmetrics.getRegisteredFontNames():
                path, index = font_file(role)
                pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))

    def _p(self, x: float, y: float) -> tuple[float, float]:
        return (x * self.MM, (self.h - y) * self.MM)

    @staticmethod
    def _rgb(color) -> tuple[float, float, float]:
        return tuple(c / 255 for c in color[:3])

    def line(self, x0, y0, x1, y1, color, width: float = 0.25) -> None:
        self.c.setStrokeColorRGB(*self._rgb(color))
        self.c.setLineWidth(width * self.MM)
        self.c.line(*self._p(x0, y0), *self._p(x1, y1))

    def rect(self, x0, y0, x1, y1, color, width: float = 0.25) -> None:
        self.c.setStrokeColorRGB(*self._rgb(color))
        self.c.setLineWidth(width * self.MM)
        px, py = self._p(x0, y1)
        self.c.rect(px, py, (x1 - x0) * self.MM, (y1 - y0) * self.MM, stroke=1, fill=0)

    def _font(self, role: str) -> str:
        return PDF_FONTS.get(role, "FP-song")

    def width(self, s: str, role: str, size: float) -> float:
        return self.metrics.stringWidth(s, self._font(role), size * self.MM) / self.MM

    def text(self, x, y, s, role, size, color, anchor: str = "l", spacing: float = 0.0) -> None:
        if not s:
            return
        width = self.width(s, role, size) + spacing * (len(s) - 1)
        x0 = x - (width / 2 if anchor == "c" else width if anchor == "r" else 0)
        t = self.c.beginText()
        t.setTextOrigin(*self._p(x0, y))
        t.setFont(self._font(role), size * self.MM)
        t.setFillColorRGB(*self._rgb(color))
        # Tc is graphics state and outlives ET: set it on every run or later text inherits it.
        t.setCharSpace(spacing * self.MM)
        t.textOut(s)
        self.c.drawText(t)

    def image_at(self, x, y, w, h, im: Image.Image) -> None:
        from reportlab.lib.utils import ImageReader

        px, py = self._p(x, y + h)
        mask = "auto" if im.mode == "RGBA" else None
        self.c.drawImage(ImageReader(im), px, py, w * self.MM, h * self.MM, mask=mask)

    def ellipse(self, x0, y0, x1, y1, color, width: float = 0.3) -> None:
        self.c.setStrokeColorRGB(*self._rgb(color))
        self.c.setLineWidth(width * self.MM)
        a, b = self._p(x0, y0)
        c, d = self._p(x1, y1)
        self.c.ellipse(a, b, c, d, stroke=1, fill=0)
