"""Image files (JPEG, PNG, BMP, WEBP, multi-page TIFF) into BGR IMAGE pages: upright per EXIF, size-guarded, blank pages dropped."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from intake.errors import CorruptFileError, TooLargeError
from intake.pages import Page, PageKind
from intake.settings import Settings

log = logging.getLogger(__name__)

# A page is blank when fewer than this share of its pixels stand out from their local background
# (about 12 characters' worth on an A4 page at 200 dpi; a real invoice has well over 2%).
BLANK_INK_SHARE = 0.0015


def to_bgr(im: Image.Image) -> np.ndarray:
    """Any Pillow mode to 8-bit BGR; transparent areas become white paper, 16-bit scans are scaled down."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(im, dtype=np.float64)
        top = a.max() or 1.0
        im = Image.fromarray((a * (255.0 / top)).astype(np.uint8))
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(paper, rgba)
    # One OpenCV pass swaps the channels (half the time of a reversed view made contiguous, the same bytes).
    return cv2.cvtColor(np.asarray(im if im.mode == "RGB" else im.convert("RGB")), cv2.COLOR_RGB2BGR)


def is_blank(image: np.ndarray) -> bool:
    """Near-uniform: almost no pixel darker than its neighbourhood (scanner noise and paper tint do not count)."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    scale = 800 / max(gray.shape)
    if scale < 1:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if float(gray.std()) < 2.0:
        return True
    background = cv2.medianBlur(gray, 31)
    ink = (background.astype(np.int16) - gray.astype(np.int16)) > 40
    return float(ink.mean()) < BLANK_INK_SHARE


def read_image(path: Path | str, settings: Settings) -> list[Page]:
    """The image's frames as IMAGE pages (1-based numbers kept, blank frames left out)."""
    path = Path(path)
    Image.MAX_IMAGE_PIXELS = settings.max_image_pixels
    pages: list[Page] = []
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 1× and 2× the limit; for us the limit is the limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                frames = getattr(im, "n_frames", 1)
                if frames > settings.max_pages:
                    raise TooLargeError(f"{path}: {frames} pages is over the {settings.max_pages}-page limit (max_pages)")
                for number, frame in enumerate(ImageSequence.Iterator(im), start=1):
                    frame.load()
                    upright = ImageOps.exif_transpose(frame)
                    bgr = to_bgr(upright)
                    if is_blank(bgr):
                        log.info("%s: page %d is blank, skipped", path, number)
                        continue
                    h, w = bgr.shape[:2]
                    pages.append(Page(number=number, kind=PageKind.IMAGE, width=float(w), height=float(h), image=bgr))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise TooLargeError(f"{path}: image is over the {settings.max_image_pixels} pixel limit (max_image_pixels)") from e
    except UnidentifiedImageError as e:
        raise CorruptFileError(f"{path}: not a readable image") from e
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        # Pillow reports truncated and damaged data as OSError/SyntaxError with a long message; keep one line.
        detail = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CorruptFileError(f"{path}: damaged image data ({detail})") from e
    return pages
