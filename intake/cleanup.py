"""Scan cleanup before OCR: small OpenCV steps (crop to sheet, upright, deskew, even light, drop the red seal, denoise), each skipping pages that do not need it."""

from __future__ import annotations

import itertools
import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import cv2
import numpy as np

from intake.pages import Page
from intake.settings import Settings

if TYPE_CHECKING:
    from intake.ocr import PaddleEngine

log = logging.getLogger(__name__)

# The working resolution (long side) after `limit_size` and `find_sheet`: ~10 px/mm on an invoice at most
# (phone photos at 4208 px are oversampled for OCR), and at least 1300 px, so that small screenshots and
# 800-px scans reach the detector's full 960 px (at 809 px it merged "46.62" and "13%" into one box).
# Upscaling adds no detail for the recognizer, which resizes every line to 48 px anyway: at 1600 px the
# Tianjin e-invoice's seller tax id read "...398V" (1300: "...398Y", as unscaled), 1300 keeps 89/93 real key fields.
MAX_SIDE = 2500
MIN_SIDE = 1300
# Orientation detects lines on a copy this size: enough to tell lines from columns and to crop three
# of them legibly, at under a third of the cost of the page's own detection (960 px); every turn of 299
# pages (held-out, calibration, real, checked-in) was the same as at 640 px (and at 448). That detection runs
# again on the cleaned page: boxes found before the seal and the shade are gone split lines and catch
# seal fragments (reusing them lost 1-2 of 160 key values on the checked-in and real scans).
ORIENT_SIDE = 512
# The longest line alone settles "upright" when it reads as Chinese this surely (four or more glyphs' worth): a page
# upside down does not read so (on 299 pages, held-out, calibration, real and checked-in, every turn was the same as
# with three lines read, and two of three recognizer calls were saved on most pages).
LONGEST_SURE = 0.9
# With little Chinese read either way, the page turned over reads this much surer, line for line on average, when it
# is upside down (seed 13202: 0.94 against 0.72).
FLIP_SURER = 0.1
# A sheet is cropped only when it stands out from what surrounds it by this much paper-ness (V - S):
# desks and viewer backgrounds around the real photos and screenshots differ by 89..207; a white table
# on tinted paper, or white margins, by less (cropping there would cut into the invoice).
SHEET_CONTRAST = 70
_SEQ = itertools.count(1)


@dataclass
class CleanContext:
    """What a step may use: settings, where to write its picture, the OCR engine (orientation), and the page's notes."""

    settings: Settings
    page_number: int = 1
    engine: "PaddleEngine | None" = None
    notes: list[str] = field(default_factory=list)
    photographed: bool = False  # find_sheet cropped a sheet out of a wider frame
    seq: int = field(default_factory=lambda: next(_SEQ))

    _hsv: "tuple[np.ndarray, np.ndarray] | None" = field(default=None, repr=False)

    def hsv(self, image: np.ndarray) -> np.ndarray:
        """The image in HSV, converted once: the seal step and the ink separation look at the same picture (steps
        return new arrays, never change one in place)."""
        if self._hsv is None or self._hsv[0] is not image:
            self._hsv = (image, cv2.cvtColor(image, cv2.COLOR_BGR2HSV))
        return self._hsv[1]

    def keep(self, step: str, image: np.ndarray) -> None:
        if self.settings.keep_temp is None:
            return
        folder = self.settings.keep_temp
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"{self.seq:03d}_p{self.page_number:02d}_{step}.png"), image)


def _gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image


def _shrink(image: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    scale = min(1.0, side / max(image.shape[:2]))
    if scale == 1.0:
        return image, 1.0
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), scale


def working_scale(height: float, width: float) -> float:
    """The factor that brings a page's long side into MIN_SIDE..MAX_SIDE (1.0 when it already is)."""
    long = max(height, width)
    if long > MAX_SIDE:
        return MAX_SIDE / long
    if 0 < long < MIN_SIDE:
        return MIN_SIDE / long
    return 1.0


def limit_size(image: np.ndarray, ctx: CleanContext) -> np.ndarray:
    """Photos down to MAX_SIDE, small scans up to MIN_SIDE (cubic: strokes stay smooth for the recognizer)."""
    scale = working_scale(*image.shape[:2])
    if scale == 1.0:
        return image
    ctx.notes.append(f"resized x{scale:.2f}")
    inter = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=inter)


def _order(pts: np.ndarray) -> np.ndarray:
    s, d = pts.sum(1), np.diff(pts, axis=1).ravel()
    return np.float32([pts[s.argmin()], pts[d.argmin()], pts[s.argmax()], pts[d.argmax()]])


def find_sheet(image: np.ndarray, ctx: CleanContext) -> np.ndarray:
    """Crop a photo to the paper (a large bright region clearly brighter than its surround) and undo its perspective.

    Scans pass untouched: their paper fills the frame, or their margins are as white as the paper.
    The warp also brings a small crop back up to the working resolution.
    """
    small, scale = _shrink(image, 800)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    # Paper is bright and unsaturated; desks and shadows are darker or tinted.
    paperness = cv2.subtract(hsv[:, :, 2], hsv[:, :, 1])
    _, mask = cv2.threshold(cv2.GaussianBlur(paperness, (5, 5), 0), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    k = max(5, small.shape[1] // 60)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return image
    sheet = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(sheet) / (small.shape[0] * small.shape[1])
    if not 0.2 < area < 0.9:  # nothing sheet-like, or the sheet already fills the frame
        return image
    inside = np.zeros(small.shape[:2], np.uint8)
    cv2.drawContours(inside, [sheet], -1, 255, -1)
    contrast = float(np.median(paperness[inside > 0])) - float(np.median(paperness[inside == 0]))
    if contrast < SHEET_CONTRAST:  # white margins or a pale frame, not a desk: cropping would cut into the page
        return image
    hull = cv2.convexHull(sheet)
    quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True).reshape(-1, 2)
    if len(quad) != 4 or cv2.contourArea(sheet) < SOLID * cv2.contourArea(hull):
        # Not one clean quadrilateral: the paper merged with a neighbouring sheet or the copies under it.
        found = quad_from_edges(mask, sheet)
        if found is not None:
            quad = found
            ctx.notes.append("sheet told from the paper beside it by its edges")
        elif len(quad) != 4:
            quad = cv2.boxPoints(cv2.minAreaRect(hull))
    pts = _order(np.float32(quad) / scale)
    w = max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[3] - pts[2]))
    h = max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2]))
    zoom = working_scale(h, w)
    w, h = int(w * zoom), int(h * zoom)
    m = cv2.getPerspectiveTransform(pts, np.float32([[0, 0], [w, 0], [w, h], [0, h]]))
    ctx.notes.append(f"cropped to sheet ({area:.0%} of the frame)")
    ctx.photographed = True
    return cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


# The paper's outline fills this share of its convex hull when nothing lies against it.
SOLID = 0.97
# An invoice's quadrilateral covers at least this share of the merged outline (else the edges found are another sheet's).
EDGE_QUAD_SHARE = 0.6


def quad_from_edges(mask: np.ndarray, outline: np.ndarray) -> np.ndarray | None:
    """The invoice's corners when its outline merged with paper lying against it (a neighbouring sheet, the set's
    other copies under it): the largest quadrilateral whose sides lie on straight runs of the outline (extended
    where the other paper hides them), that stays on paper, and each of whose sides follows the outline for a
    quarter of its length at least. None when no such quadrilateral covers EDGE_QUAD_SHARE of the outline.

    The invoice lies on top, so most of each of its sides is on the outline; a line of the other paper's edge
    closes a quadrilateral that runs onto the desk or through paper, far from any outline."""
    h, w = mask.shape[:2]
    k = 200.0 / max(h, w)
    small = cv2.resize(mask, (max(1, int(w * k)), max(1, int(h * k))), interpolation=cv2.INTER_NEAREST) > 0
    area = cv2.contourArea(outline)
    size = np.sqrt(area)
    best: tuple[float, np.ndarray] | None = None
    for eps in (0.005, 0.01, 0.02):  # finer outlines keep short sides; coarser ones bridge ragged copies
        poly = cv2.approxPolyDP(outline, eps * cv2.arcLength(outline, True), True).reshape(-1, 2).astype(np.float64)
        edges = []
        for a, b in zip(poly, np.roll(poly, -1, axis=0)):
            length = float(np.linalg.norm(b - a))
            if length >= 0.15 * size:
                edges.append((a, (b - a) / length, length, np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0])) % 180))
        if len(edges) < 4:
            continue
        ref = max(edges, key=lambda e: e[2])[3]
        turn = [min(abs(e[3] - ref), 180 - abs(e[3] - ref)) for e in edges]
        along = [e for e, t in zip(edges, turn) if t < 30]
        across = [e for e, t in zip(edges, turn) if t > 60]
        for a1, a2 in itertools.combinations(along, 2):
            for b1, b2 in itertools.combinations(across, 2):
                corners = [_meet(a, b) for a, b in ((a1, b1), (a1, b2), (a2, b2), (a2, b1))]
                if any(c is None for c in corners):
                    continue
                quad = cv2.convexHull(np.float32(corners)).reshape(-1, 2)
                if len(quad) != 4 or (quad < -0.02 * np.float32([w, h])).any() or (quad > 1.02 * np.float32([w, h])).any():
                    continue
                q_area = cv2.contourArea(quad)
                if best is not None and q_area <= best[0]:
                    continue
                drawn = np.zeros(small.shape, np.uint8)
                cv2.fillPoly(drawn, [np.round(quad * k).astype(np.int32)], 1)
                if (small & (drawn > 0)).sum() < 0.97 * max(int(drawn.sum()), 1) or not _on_outline(outline, quad, size):
                    continue
                best = (q_area, quad)
    if best is None or best[0] < EDGE_QUAD_SHARE * area:
        return None
    return best[1]


def _meet(a: tuple, b: tuple) -> np.ndarray | None:
    """Where the lines through two outline runs (point, unit direction, …) cross; None for parallel lines."""
    (p, d), (q, e) = a[:2], b[:2]
    den = d[0] * e[1] - d[1] * e[0]
    if abs(den) < 1e-6:
        return None
    return p + d * (((q[0] - p[0]) * e[1] - (q[1] - p[1]) * e[0]) / den)


def _on_outline(outline: np.ndarray, quad: np.ndarray, size: float, near: float = 0.02, share: float = 0.25) -> bool:
    """Every side of `quad` runs along the outline (within near × size) for at least `share` of its length."""
    for a, b in zip(quad, np.roll(quad, -1, axis=0)):
        points = [a + (b - a) * t for t in np.linspace(0.02, 0.98, 25)]
        on = sum(abs(cv2.pointPolygonTest(outline, (float(x), float(y)), True)) <= near * size for x, y in points)
        if on < share * len(points):
            return False
    return True


def _cjk_evidence(results: list[tuple[str, float]]) -> float:
    """Recognizer confidence in Chinese characters: upside-down digits and cipher symbols read as digits
    and symbols again (0, 8, +, /), upside-down Chinese does not read as confident Chinese."""
    return sum(score * sum("\u4e00" <= ch <= "\u9fff" for ch in text) for text, score in results if score > 0.5)


def _plain_evidence(results: list[tuple[str, float]]) -> float:
    return sum(score * min(len(text), 8) for text, score in results)


def _lines(small: np.ndarray, quads: list[np.ndarray], count: int) -> list[np.ndarray]:
    """The `count` longest line boxes, cropped."""
    from intake.ocr import crop_quad

    lines = [q for q in quads if np.linalg.norm(q[0] - q[1]) > 3 * np.linalg.norm(q[0] - q[3])]
    lines.sort(key=lambda q: -np.linalg.norm(q[0] - q[1]))
    return [crop_quad(small, q) for q in lines[:count]]


def upside_down(engine: "PaddleEngine", small: np.ndarray, quads: list[np.ndarray]) -> bool:
    """Whether an upright-lined page reads better turned 180°: the start (6× its height: enough to tell up from
    down, and cheap) of the longest line as it is, and when that is not clearly Chinese, the line turned over, read
    from its other end (where an upside-down line starts); when neither settles it, two more lines as they are, then
    the three turned over from the end read first (then three more if still unclear)."""
    lines = _lines(small, quads, 6)
    chunks = [c[:, : 6 * c.shape[0]] for c in lines]
    first, rest = chunks[:3], chunks[3:]
    upright = engine.recognize_crops(first[:1])
    if _cjk_evidence(upright) >= 4.0 and upright[0][1] >= LONGEST_SURE:
        return False  # the common case: the title, read as confident Chinese; the page is upright
    # A page upside down: its title reads as confident Chinese turned over from the box's right end (taken from the
    # left end, as below, it is the title's tail: 用发票 No 83379225, too little to settle it). Held-out seeds: a
    # phone photo upside down took five recogniser calls (some 130 ms), now two.
    if lines:
        turned = engine.recognize_crops([np.ascontiguousarray(lines[0][::-1, ::-1][:, : 6 * lines[0].shape[0]])])
        if _cjk_evidence(turned) >= 4.0 and turned[0][1] >= LONGEST_SURE:
            return True
    upright += engine.recognize_crops(first[1:])
    if _cjk_evidence(upright) >= 4.0 and np.mean([s for _, s in upright]) >= 0.8:
        return False  # a few confident Chinese characters, no second look
    flipped = engine.recognize_crops([np.ascontiguousarray(c[::-1, ::-1]) for c in first])
    up, down = _cjk_evidence(upright), _cjk_evidence(flipped)
    if max(up, down) < 4.0 and rest:
        upright += engine.recognize_crops(rest)
        flipped += engine.recognize_crops([np.ascontiguousarray(c[::-1, ::-1]) for c in rest])
        up, down = _cjk_evidence(upright), _cjk_evidence(flipped)
    if up == down == 0.0:  # no Chinese either way: fall back on how well anything reads
        return _plain_evidence(flipped) > 1.3 * _plain_evidence(upright) + 0.5
    if down > 1.3 * up + 0.5:
        return True
    # Little Chinese either way (the longest lines are the cipher and the bank account's digits): the side whose lines
    # read clearly surer is up. Seed 13202, a photo on its side: upside down its six lines read at 0.59-0.81, turned
    # over at 0.84-1.0, and the turned side's 发票 alone (Chinese evidence 2.7 against 1.9) was below the margin.
    return (max(up, down) < 4.0 and down >= up
            and float(np.mean([s for _, s in flipped])) >= float(np.mean([s for _, s in upright])) + FLIP_SURER)


def orient(image: np.ndarray, ctx: CleanContext) -> np.ndarray:
    """Turn 90/180/270 to upright: detected line boxes say horizontal or vertical; recognizer scores say up or down."""
    engine = ctx.engine
    if engine is None:
        return image
    small, _ = _shrink(image, ORIENT_SIDE)
    quads = engine.detect(small)
    if len(quads) < 3:
        return image
    sizes = [(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[0] - q[3])) for q in quads]
    wide = sum(w > 2 * h for w, h in sizes)
    tall = sum(h > 2 * w for w, h in sizes)
    turned = 0
    if tall > 2 * max(wide, 1):
        small = cv2.rotate(small, cv2.ROTATE_90_CLOCKWISE)
        turned = 90
        quads = engine.detect(small)  # lines seen sideways come as per-character boxes: detect again
    if upside_down(engine, small, quads):
        turned = (turned + 180) % 360
    if turned == 0:
        return image
    ctx.notes.append(f"turned {turned}° clockwise")
    code = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}[turned]
    return cv2.rotate(image, code)


def _profile_sharpness(mask: np.ndarray, angle: float) -> float:
    h, w = mask.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    rows = cv2.warpAffine(mask, m, (w, h), flags=cv2.INTER_NEAREST).sum(axis=1, dtype=np.float64)
    return float(np.square(np.diff(rows)).sum())


def skew_angle(image: np.ndarray) -> float:
    """Small skew in degrees (counter-clockwise positive, as cv2) by the sharpest row profile of the ink; 0.0 when unsure.

    The 0.5° steps are first tried on a half-size copy of the ink (a quarter of the pixels), and only its three best
    again at 1000 px (a photo's perspective can make two steps nearly tie); then the 0.1° steps around the best."""
    small, _ = _shrink(_gray(image), 1000)
    mask = cv2.adaptiveThreshold(small, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    if mask.mean() < 0.002:
        return 0.0
    base = float(np.square(np.diff(mask.sum(axis=1, dtype=np.float64))).sum())  # the profile at 0°
    half = cv2.resize(mask * np.uint8(255), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    steps = sorted(np.arange(-6, 6.01, 0.5), key=lambda a: -_profile_sharpness(half, a))
    coarse = max(steps[:3], key=lambda a: _profile_sharpness(mask, a))
    best = max(np.arange(coarse - 0.5, coarse + 0.51, 0.1), key=lambda a: _profile_sharpness(mask, a))
    if _profile_sharpness(mask, best) < 1.05 * base:
        return 0.0
    return round(float(best), 2)


def deskew(image: np.ndarray, ctx: CleanContext) -> np.ndarray:
    angle = skew_angle(image)
    if abs(angle) < 0.15:
        return image
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    ctx.notes.append(f"deskewed {angle:+.2f}°")
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def _background(gray: np.ndarray) -> np.ndarray:
    """The paper without the ink: a max filter removes strokes, then a blur smooths the light (per channel of a colour image)."""
    small, scale = _shrink(gray, 600)
    k = max(3, small.shape[1] // 50) | 1
    bg = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    bg = cv2.GaussianBlur(bg, (0, 0), k)
    return cv2.resize(bg, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)


def even_light(image: np.ndarray, ctx: CleanContext) -> np.ndarray:
    """Divide by the paper's own brightness so shade and tint go, leaving ink colours; white even pages are left alone."""
    bg = _background(_gray(image))
    lo, hi = np.percentile(bg, [2, 98])
    if lo > 215 and hi - lo < 20:
        return image
    ctx.notes.append(f"evened light (paper {lo:.0f}..{hi:.0f})")
    # Each channel by its own paper: the three backgrounds in one pass (OpenCV filters channels independently). In
    # float32 and truncated as before: the scan path's reads turn on single grey levels (rounding instead let a
    # blurred photo's 展 for 辰 be read alike by both models and accepted, tests/test_fields_ocr.py).
    # Ink and paper are bytes, so every result is one of 256 x 256: looked up in EVENED (the same float32
    # arithmetic, a third of the time).
    return EVENED[(image.astype(np.uint16) << 8) | _background(image)]


# EVENED[ink << 8 | paper]: the ink's byte divided by its paper's as `even_light` has always done it, in float32
# (ink x (255 / max(paper, 1))), clipped to 0..255 and truncated.
EVENED = np.clip(np.arange(256, dtype=np.float32)[:, None]
                 * (np.float32(255.0) / np.maximum(np.arange(256, dtype=np.float32), np.float32(1.0)))[None, :],
                 0, 255).astype(np.uint8).ravel()


def red_ink_mask(image: np.ndarray, hsv: np.ndarray | None = None) -> np.ndarray:
    """Seal red (hue within ~14° of red, saturated, not dark); brown form ink (hue ~30°) and black or blue print are not in it."""
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV) if hsv is None else hsv
    hue, sat, val = hsv[:, :, 0], hsv[:, :, 1], hsv[:, :, 2]
    return ((hue <= 7) | (hue >= 168)) & (sat >= 60) & (val >= 60)


def drop_seal(image: np.ndarray, ctx: CleanContext) -> np.ndarray:
    """Whiten red seal ink; print under it is darker than the ink, falls outside the mask and stays."""
    hsv = ctx.hsv(image)
    mask = red_ink_mask(image, hsv)
    share = float(mask.mean())
    if share < 0.001:
        return image
    mask = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) & red_ink_mask_loose(image, hsv)
    out = image.copy()
    out[mask.astype(bool)] = 255
    ctx.notes.append(f"red seal ink whitened ({share:.1%} of pixels)")
    return out


def red_ink_mask_loose(image: np.ndarray, hsv: np.ndarray | None = None) -> np.ndarray:
    """The seal's pale anti-aliased rim, for growing the mask by a pixel without eating dark print."""
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV) if hsv is None else hsv
    hue, sat, val = hsv[:, :, 0], hsv[:, :, 1], hsv[:, :, 2]
    return (((hue <= 10) | (hue >= 165)) & (sat >= 30) & (val >= 90)).astype(np.uint8)


def noise_level(image: np.ndarray) -> float:
    gray = _gray(image)
    small, _ = _shrink(gray, 1200)
    residual = small.astype(np.int16) - cv2.medianBlur(small, 3).astype(np.int16)
    return float(np.median(np.abs(residual)) * 1.4826)


def denoise(image: np.ndarray, ctx: CleanContext) -> np.ndarray:
    """A 3-px median only on grainy pages: it takes speckle and JPEG mosquitoes, and leaves strokes."""
    sigma = noise_level(image)
    if sigma < 4.0:
        return image
    ctx.notes.append(f"denoised (noise {sigma:.1f})")
    return cv2.medianBlur(image, 3)


def form_hue(hsv: np.ndarray) -> np.ndarray:
    """Hues a form is printed in: warm (red, brown, orange: 发票联 and the seal) and green (抵扣联). Printer ink is
    black or blue-black (OpenCV hue ~105–125, or unsaturated), so neither range takes it."""
    hue = hsv[:, :, 0]
    return (hue <= 30) | (hue >= 150) | ((hue >= 35) & (hue <= 95))


FORM_SATURATION = 45  # form ink is saturated; paper, and print's grey, are not


def form_ink_mask(image: np.ndarray, hsv: np.ndarray | None = None) -> np.ndarray:
    """The form's own ink and the seal: form hues (`form_hue`), saturated; the colour tells a label or a rule
    from a value printed on it."""
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV) if hsv is None else hsv
    return form_hue(hsv) & (hsv[:, :, 1] >= FORM_SATURATION)


def _seal_area(image: np.ndarray, hsv: np.ndarray) -> np.ndarray:
    """The seal as a filled region (its ring and lettering closed into one area), where print may lie under red ink."""
    hue, sat, val = hsv[:, :, 0], hsv[:, :, 1], hsv[:, :, 2]
    seal = (((hue <= 10) | (hue >= 165)) & (sat >= 50) & (val >= 150)).astype(np.uint8)
    k = max(15, image.shape[1] // 60)
    area = cv2.morphologyEx(seal, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    return cv2.morphologyEx(area, cv2.MORPH_OPEN, np.ones((9, 9), np.uint8)) > 0


def long_runs(mask: np.ndarray, across: int, down: int, grow: int) -> np.ndarray:
    """Straight runs of a 0/1 uint8 mask at least `across` pixels long horizontally or `down` vertically (a form's
    rules), grown by a `grow`-pixel square; uint8 0/1."""
    horiz = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, across), np.uint8))
    vert = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((down, 1), np.uint8))
    return cv2.dilate(horiz | vert, np.ones((grow, grow), np.uint8))


def _rules(form: np.ndarray) -> np.ndarray:
    """The form's long horizontal and vertical rules (runs of form ink longer than a few characters)."""
    h, w = form.shape
    return long_runs(form.astype(np.uint8), max(15, w // 25), max(15, h // 25), 3) > 0


# Printer's ink over the form's: the value of a dark ink (dot-matrix black, blue-black), the window over which the
# form ink's own value is taken, and how much of that the print must cover to count (below it: noise, rule edges).
PRINT_INK = 40.0
FORM_WINDOW = 31
MIN_COVER = 0.2


def print_cover(hsv: np.ndarray, form: np.ndarray, at: "tuple[np.ndarray, np.ndarray]") -> np.ndarray:
    """How much of each pixel `at` (rows, columns) printer's ink covers where it lies over the form's ink (float32,
    0-1): print lies on top of a rule or a label, so such a pixel is darker than the form ink around it by the share
    the print covers. The form ink's value is its local mean (a rule is a few pixels high; the print over it a
    fraction of them); the means are taken over the whole page, the rest only at the pixels asked about."""
    value = hsv[:, :, 2].astype(np.float32)
    ink = form.astype(np.float32)
    window = (FORM_WINDOW, FORM_WINDOW)
    share = cv2.blur(ink, window)[at]
    form_value = cv2.blur(value * ink, window)[at] / np.maximum(share, 1e-6)
    cover = (form_value - value[at]) / np.maximum(form_value - PRINT_INK, 1.0)
    return np.where(share > 0.02, np.clip(cover, 0.0, 1.0), 0.0).astype(np.float32)


def print_on_rules(hsv: np.ndarray, form: np.ndarray, rules: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(where printer's ink lies on the form's rules, the grey it shows at each of those pixels, in the mask's
    order): rule pixels darker than the rule's ink around them by at least MIN_COVER. Only rules: a label's strokes
    are as dark as each other, and a value printed onto a label is rarer than one across a rule."""
    at = np.nonzero(rules)
    cover = print_cover(hsv, form, at)
    on = cover >= MIN_COVER
    printed = np.zeros(rules.shape, bool)
    printed[at[0][on], at[1][on]] = True
    grey = (255.0 - cover[on] * (255.0 - PRINT_INK)).astype(np.uint8)
    return printed, grey


_SIDE: "tuple[int, ThreadPoolExecutor] | None" = None
_SIDE_LOCK = threading.Lock()


def _side() -> ThreadPoolExecutor:
    """One extra thread for an OpenCV call that can run beside another: the process's own (a forked child gets a new
    one; the parent's thread did not come with it), made on first use."""
    global _SIDE
    with _SIDE_LOCK:
        if _SIDE is None or _SIDE[0] != os.getpid():
            _SIDE = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="cleanup"))
        return _SIDE[1]


def separate_ink(image: np.ndarray, ctx: CleanContext) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Two views of a page printed on a coloured form: (rules and seal gone, labels kept) for finding text lines,
    and (printer's ink only) for reading values, with the form-ink mask they came from; None on a page without form colour.

    Form ink is painted over from the paper around it (inpainting), so a value printed across a rule keeps
    its strokes; in the printer-ink view, print lying on a rule (darker than the rule) is put back as grey
    (`print_on_rules`); inside the seal the red channel stands for the page: the seal is pale there, print dark."""
    views = _separate(image, ctx)
    if views is None:
        return None
    lines, content, form = views
    return lines, content.result() if isinstance(content, Future) else content, form


def _separate(image: np.ndarray, ctx: CleanContext) -> tuple[np.ndarray, "np.ndarray | Future", np.ndarray] | None:
    """`separate_ink`, with the printer-ink view still being painted on a second thread when there is a second core
    (values are read from it only after detection, which runs on the lines view meanwhile)."""
    hsv = ctx.hsv(image)
    warm = form_hue(hsv)
    form = warm & (hsv[:, :, 1] >= FORM_SATURATION)  # form_ink_mask, its hues taken once
    if form.mean() < 0.002:  # a black-and-white page: nothing to separate
        return None
    # The form ink's pale anti-aliased rim would otherwise survive as ghost outlines.
    rim = (cv2.dilate(form.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & warm & (hsv[:, :, 1] >= 15)
    seal = _seal_area(image, hsv)
    # Inside the seal the red channel stands for the page: its grey, at the seal's pixels only (in the mask's order).
    grey = None
    if seal.any():
        grey = np.clip((image[:, :, 2][seal].astype(np.float32) - 40) * (255.0 / 170), 0, 255).astype(np.uint8)[:, None]
    content_mask = (form | rim) & ~seal
    rules = _rules(form) & warm & ~seal

    def paint_content() -> np.ndarray:
        content = cv2.inpaint(image, content_mask.astype(np.uint8), 2, cv2.INPAINT_TELEA)
        # Values are read here: the print that lay on a rule goes back (the lines view, for detection, keeps the
        # rules painted out whole: the put-back's grey runs along a rule would join lines or cut them).
        printed, printed_grey = print_on_rules(hsv, form, rules)
        content[printed] = printed_grey[:, None]
        if grey is not None:
            content[seal] = grey
        ctx.keep("content", content)
        return content

    # OpenCV's inpaint is serial and lets go of the GIL: with a second core the form ink's runs beside the rest.
    content = _side().submit(paint_content) if cv2.getNumThreads() > 1 else paint_content()
    lines = cv2.inpaint(image, rules.astype(np.uint8), 2, cv2.INPAINT_TELEA)
    if grey is not None:
        lines[seal] = grey
    ctx.keep("lines", lines)
    return lines, content, form


class Views:
    """One cleaned page three ways, same geometry: `detect` (seal and rules gone; boxes are found here), `page`
    (form ink kept: labels are read here), `content` (printer ink only: values are read here; may still be being
    painted on another thread, and is waited for on first use), and `form`: form_ink_mask(page) when separate_ink
    made it (saves scan.value_boxes a pass). `separated`: whether content is a view of its own, not the page."""

    def __init__(self, detect: np.ndarray, page: np.ndarray, content: "np.ndarray | Future",
                 form: np.ndarray | None = None) -> None:
        self.detect, self.page, self.form = detect, page, form
        self._content = content
        self.separated = content is not page

    @property
    def content(self) -> np.ndarray:
        if isinstance(self._content, Future):
            self._content = self._content.result()
        return self._content


STEPS: list[tuple[str, Callable[[np.ndarray, CleanContext], np.ndarray]]] = [
    ("size", limit_size),
    ("sheet", find_sheet),
    ("orient", orient),
    ("deskew", deskew),
    ("light", even_light),
    ("seal", drop_seal),
    ("denoise", denoise),
]


def clean(page: Page, settings: Settings, engine: "PaddleEngine | None" = None) -> np.ndarray:
    """The page image ready for OCR; what ran goes to `page.notes`, each step's picture to keep_temp when set."""
    if page.image is None:
        raise ValueError(f"page {page.number} has no image")
    return clean_views(page, settings, engine, content=False).detect


def clean_views(page: Page, settings: Settings, engine: "PaddleEngine | None" = None, content: bool = True) -> Views:
    """`clean`, also keeping the page before the seal step and (when `content`) its printer-ink-only view."""
    if page.image is None:
        raise ValueError(f"page {page.number} has no image")
    ctx = CleanContext(settings=settings, page_number=page.number, engine=engine)
    image = unsealed = page.image
    ctx.keep("input", image)
    for name, step in STEPS:
        before = len(ctx.notes)
        out = step(image, ctx)
        if out is not image or len(ctx.notes) > before:
            ctx.keep(name, out)
        if name == "seal":
            unsealed = image
        elif out is not image and unsealed is image:
            unsealed = out  # the steps before the seal's
        elif name == "denoise" and out is not image:
            unsealed = cv2.medianBlur(unsealed, 3)
        image = out
    page.notes.extend(ctx.notes)
    page.photographed = ctx.photographed
    views = _separate(unsealed, ctx) if content else None
    if views is None:
        return Views(detect=image, page=unsealed, content=unsealed)
    return Views(detect=views[0], page=unsealed, content=views[1], form=views[2])
