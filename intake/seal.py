"""The seller's 发票专用章: find the oval stamp on a scanned page and read the company name around its rim.

A paper VAT invoice is valid only with the seller's invoice seal (发票专用章管理办法): an oval 40 × 30 mm,
the company's full name in 宋体 along the upper rim, its 纳税人识别号 across the middle, 发票专用章 below.
The seal is a second, independent print of the seller's name: stamped by hand, in red, in another face,
often across the seller's block. Where the name read from the seal equals the name read from the
seller's box, a misreading of the box would have to be repeated glyph for glyph in another print of
another face (intake.names gives it `seal_agrees`).

Steps, each a small function: `find_seals` (red stamp ink, the form's straight rules taken out, each
blob's outline fitted by an ellipse and refined on its rim), `rim_strip` (the band of text inside the
rim unrolled along the ellipse into one straight line, glyphs upright, red ink dark on white; or, for a
name of n glyphs being checked, cut into n rigid cells), `rim_reads_as` (the strips read by the set's
recognizers until one spells the name).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

# Stamp red: the seal hues (cleanup.red_ink_mask) and bright, which the dark brown-red of a 普票 form is not.
STAMP_VALUE = 170
# A stamp's size against the page's width (40 mm on a 240 mm 专票 is 0.17; on A4 0.19) and its axes' ratio (4:3).
MIN_SHARE, MAX_SHARE = 0.1, 0.3
MIN_ASPECT, MAX_ASPECT = 1.1, 1.7
# How much of its fitted ellipse a stamp's outline fills (a blob of print and rules fills less).
MIN_FILL = 0.8
# The band of the rim's text, inward from the outer edge, as shares of the minor semi-axis (the name's glyphs are
# about 4.2 mm high inside a 1 mm rim of a 15 mm semi-axis), and the arc it is read over, centred on the top.
BAND = (0.08, 0.44)
RIM = 0.055  # the rim's width (0.8-1 mm), as a share of the minor semi-axis
SPAN = 232.0
STRIP_HEIGHT = 48
SEALS_READ = 2  # rim_readings: the largest stamps of a page (the seller's, then the form's 监制章 or a second stamp)
# Stamps are found on the mask at 1/SHRINK of the page's size (a 40 mm oval is still 80 px wide there).
SHRINK = 4
# Directions around a stamp's centre in which its rim's outer edge is looked for.
RIM_BINS = 120


@dataclass(frozen=True)
class Seal:
    """An oval stamp: centre and semi-axes in pixels, the major axis turned `angle` degrees (within ±90)."""

    cx: float
    cy: float
    a: float
    b: float
    angle: float


def _rules(mask: "np.ndarray", run: int) -> "np.ndarray":
    """Straight horizontal and vertical runs of a 0/1 mask at least `run` pixels long (a form's rules), grown by two
    pixels."""
    from intake.cleanup import long_runs

    return long_runs(mask, run, run, 5)


def _rule_run(width: int) -> int:
    """How long a straight run of form ink is a rule on a page this wide (a twelfth of it; a seal's lettering is shorter)."""
    return max(20, width // 12)


def stamp_mask(image: "np.ndarray", run: int = 0) -> "np.ndarray":
    """Bright stamp red (cleanup.red_ink_mask's hues, and bright), uint8 0/1, with the form's long straight rules
    taken out (`run`: their least length, by default for a page as wide as `image`)."""
    import cv2
    import numpy as np

    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[:, :, 0], hsv[:, :, 1], hsv[:, :, 2]
    mask = (((hue <= 7) | (hue >= 168)) & (sat >= 60) & (val >= STAMP_VALUE)).astype(np.uint8)
    return mask & ~_rules(mask, run or _rule_run(image.shape[1]))


def find_seals(image: "np.ndarray") -> list[Seal]:
    """Oval stamps on an upright page, largest first: the stamp mask at a quarter of the size closed into blobs, holes
    filled, thin joins (print, what is left of rules) opened away; each blob's convex outline fitted by an ellipse,
    then the fit refined on the rim at full size, around the blob only."""
    import cv2
    import numpy as np

    height, width = image.shape[:2]
    mask = stamp_mask(image)
    small = cv2.resize(mask * 255, (max(1, width // SHRINK), max(1, height // SHRINK)), interpolation=cv2.INTER_AREA)
    k = max(3, small.shape[1] // 100)
    closed = cv2.morphologyEx((small >= 64).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    outlines, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(closed)
    cv2.drawContours(filled, outlines, -1, 1, cv2.FILLED)
    d = max(3, small.shape[1] // 25)
    filled = cv2.morphologyEx(filled, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d)))
    outlines, _ = cv2.findContours(filled, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found = []
    for outline in outlines:
        hull = cv2.convexHull(outline)
        if len(hull) < 5:
            continue
        (cx, cy), (w, h), angle = cv2.fitEllipse(hull.astype(np.float32) * SHRINK)
        major, minor = max(w, h), min(w, h)
        if not (MIN_SHARE * width < major < MAX_SHARE * width and MIN_ASPECT < major / max(minor, 1.0) < MAX_ASPECT):
            continue
        if cv2.contourArea(hull) * SHRINK * SHRINK < MIN_FILL * np.pi * w * h / 4:
            continue
        x0, y0, x1, y1 = _around(image, cx, cy, major / 2)
        seal = _refine(mask[y0:y1, x0:x1], Seal(cx - x0, cy - y0, major / 2, minor / 2, _upright(angle if w >= h else angle + 90)))
        if seal is not None:
            found.append(Seal(seal.cx + x0, seal.cy + y0, seal.a, seal.b, seal.angle))
    return sorted(found, key=lambda s: -s.a * s.b)


def _around(image: "np.ndarray", cx: float, cy: float, a: float) -> tuple[int, int, int, int]:
    """The page's box around a seal of semi-major axis `a` centred at (cx, cy), with room for a fit that grows."""
    height, width = image.shape[:2]
    r = 1.25 * a
    return max(0, int(cx - r)), max(0, int(cy - r)), min(width, int(cx + r) + 1), min(height, int(cy + r) + 1)


def _upright(angle: float) -> float:
    return (angle + 90.0) % 180.0 - 90.0


def _refine(mask: "np.ndarray", seal: Seal) -> Seal | None:
    """The ellipse through the rim's outer edge: around the centre, in each of RIM_BINS directions the outermost stamp
    pixel near the outline (the lettering lies inside the rim, so it never is one), fitted again, twice."""
    import cv2
    import numpy as np

    ys, xs = np.nonzero(mask)
    for _ in range(2):
        t = np.radians(seal.angle)
        dx, dy = xs - seal.cx, ys - seal.cy
        u, v = (dx * np.cos(t) + dy * np.sin(t)) / seal.a, (-dx * np.sin(t) + dy * np.cos(t)) / seal.b
        r = np.hypot(u, v)
        near = (r > 0.85) & (r < 1.12)
        if near.sum() < 50:
            return None
        bins = ((np.arctan2(v[near], u[near]) + np.pi) / (2 * np.pi) * RIM_BINS).astype(int) % RIM_BINS
        outer = np.full(RIM_BINS, -1)
        order = np.argsort(r[near])  # the last write per bin is its outermost pixel
        outer[bins[order]] = np.nonzero(near)[0][order]
        edge = outer[outer >= 0]
        edge = edge[r[edge] > 0.92]  # a direction where the rim did not print has only lettering
        if len(edge) < RIM_BINS // 3:
            return None
        (cx, cy), (w, h), angle = cv2.fitEllipse(np.stack([xs[edge], ys[edge]], 1).astype(np.float32))
        seal = Seal(cx, cy, max(w, h) / 2, min(w, h) / 2, _upright(angle if w >= h else angle + 90))
    return seal


def stamp_ink(image: "np.ndarray", run: int = 0) -> "np.ndarray":
    """How much redder than its other channels each pixel is (float32), 0 on the form's rules (red or brown, at least
    `run` long; by default for a page as wide as `image`): the stamp's lettering high; black or blue print and paper 0."""
    import numpy as np

    from intake.cleanup import form_ink_mask

    b, g, r = (image[:, :, i].astype(np.float32) for i in range(3))
    red = np.clip(r - np.maximum(g, b) - 25.0, 0.0, 255.0)
    red[_rules(form_ink_mask(image).astype(np.uint8), run or _rule_run(image.shape[1])) > 0] = 0.0
    return red


def rim_strip(image: "np.ndarray", seal: Seal, glyphs: int = 0) -> "np.ndarray":
    """The text inside the seal's rim as one straight line (`rim_strips_of`: the cells when `glyphs`, else the arc)."""
    return rim_strips_of(image, seal, glyphs)[-1]


def rim_strips_of(image: "np.ndarray", seal: Seal, glyphs: int = 0) -> list["np.ndarray"]:
    """The text inside the seal's rim as one straight line (BGR, dark on white), the outer side up: [arc strip], or
    [arc strip, cell strip] with `glyphs` (the stamp ink around the seal taken once for both).

    Glyph centres lie on an ellipse inset from the rim by the same distance along both axes, each glyph turned to
    that ellipse's normal. Without `glyphs`, each column of the strip is a line along the normal at equal steps of
    arc over SPAN degrees centred on the top: near the ends of the long axis the normals fan out across a glyph and
    bend it. With `glyphs` (the count of the name being checked), the lettering's extent on that strip is cut into
    as many cells, evenly spaced as a seal's lettering is, and each cell is sampled rigidly in its glyph's own frame."""
    import numpy as np

    x0, y0, x1, y1 = _around(image, seal.cx, seal.cy, seal.a)
    ink = stamp_ink(image[y0:y1, x0:x1], _rule_run(image.shape[1]))
    seal = Seal(seal.cx - x0, seal.cy - y0, seal.a, seal.b, seal.angle)
    outer, inner = BAND[0] * seal.b, BAND[1] * seal.b
    middle = (outer + inner) / 2
    ma, mb = seal.a - middle, seal.b - middle
    t = np.radians(np.linspace(-90.0 - SPAN / 2, -90.0 + SPAN / 2, 2000))
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(ma * np.cos(t)), np.diff(mb * np.sin(t))))])
    unit = (inner - outer) / STRIP_HEIGHT  # pixels of the page per pixel of the strip
    width = max(8, int(arc[-1] / unit))
    rise = middle - outer - unit * np.arange(STRIP_HEIGHT)[:, None]  # above the centre line: outwards

    def frame(at: "np.ndarray") -> tuple:
        nx, ny = mb * np.cos(at), ma * np.sin(at)
        norm = np.hypot(nx, ny)
        return ma * np.cos(at), mb * np.sin(at), nx / norm, ny / norm

    ex, ey, nx, ny = frame(np.interp(unit * np.arange(width), arc, t))
    px, py = ex[None] + rise * nx[None], ey[None] + rise * ny[None]
    strip = _sample(ink, seal, px, py)
    strips = [_dark_on_white(strip)]
    if glyphs > 0:
        columns = np.nonzero((strip > 0.35 * max(float(np.percentile(strip, 99.5)), 1.0)).sum(0) >= 2)[0]
        if len(columns) >= 2 and glyphs >= 2:
            first, last = float(columns[0]), float(columns[-1] + 1)
            glyph = 0.78 * STRIP_HEIGHT  # the lettering's height within the band
            step = (last - first - glyph) / (glyphs - 1)
            if 0.95 * step < glyph:  # crowded: glyphs condensed to fill their steps
                step = (last - first) / (glyphs - 0.05)
                glyph = 0.95 * step
            cell = max(4, int(round(step)))
            centres = first + glyph / 2 + step * np.arange(glyphs)
            cx, cy, cnx, cny = frame(np.interp(unit * centres, arc, t))
            along = unit * (np.arange(cell) - cell / 2 + 0.5)  # across the glyph, along the tangent (the normal turned)
            px = cx[:, None, None] - along[None, None, :] * cny[:, None, None] + rise[None] * cnx[:, None, None]
            py = cy[:, None, None] + along[None, None, :] * cnx[:, None, None] + rise[None] * cny[:, None, None]
            px = np.concatenate(list(px), axis=1)
            py = np.concatenate(list(py), axis=1)
            strips.append(_dark_on_white(_sample(ink, seal, px, py)))
    return strips


def _dark_on_white(strip: "np.ndarray") -> "np.ndarray":
    """Stamp ink (float) as a recognizer's crop: scaled to its own strongest, dark on white, BGR."""
    import cv2
    import numpy as np

    top = float(np.percentile(strip, 99.5))
    dark = np.clip(strip * (255.0 / max(top, 1.0)), 0, 255).astype(np.uint8)
    return cv2.cvtColor(255 - dark, cv2.COLOR_GRAY2BGR)


def _sample(ink: "np.ndarray", seal: Seal, px: "np.ndarray", py: "np.ndarray") -> "np.ndarray":
    """The stamp ink at points of the seal's own frame (x along the major axis), the rim itself left out: where the
    lettering's ends come close to it (the glyphs lie on an inset ellipse, the rim is the outline) it would cross
    the first and last glyphs."""
    import cv2
    import numpy as np

    c, s = np.cos(np.radians(seal.angle)), np.sin(np.radians(seal.angle))
    map_x = (seal.cx + px * c - py * s).astype(np.float32)
    map_y = (seal.cy + px * s + py * c).astype(np.float32)
    strip = cv2.remap(ink, map_x, map_y, cv2.INTER_LINEAR, borderValue=0.0)
    rim = RIM * seal.b
    strip[(px / (seal.a - rim)) ** 2 + (py / (seal.b - rim)) ** 2 >= 1.0] = 0.0
    return strip


def rim_strips(image: "np.ndarray") -> list["np.ndarray"]:
    """The rim text of the page's largest stamps (at most SEALS_READ), ready for a recognizer."""
    return [rim_strip(image, seal) for seal in find_seals(image)[:SEALS_READ]]


def rim_reads_as(image: "np.ndarray", name: str, settings) -> bool:
    """Whether the page's largest stamp reads as `name` along its rim, glyph for glyph: its strip read by the set's
    recognizer, then its strip cut into as many cells as the name has glyphs (rim_strip), then both by the set's
    second model (intake.glyphs), until one spells it. Only the largest: the seller's seal is 40 × 30 mm, the form's
    监制章 smaller."""
    seals = find_seals(image)
    if not seals:
        return False
    strips = rim_strips_of(image, seals[0], len(name))
    for role in ("rec", "glyphs"):
        for strip in strips:
            text = _read(strip, role, settings)
            log.debug("seal rim read by %s: %s", role, text)
            if text == name:
                return True
    return False


def rim_readings(image: "np.ndarray", settings) -> list[str]:
    """What the page's stamps say along their rims, each strip read by the set's recognizer and its second model,
    every distinct reading once (for tools and tests; the pipeline asks `rim_reads_as`)."""
    readings: list[str] = []
    for strip in rim_strips(image):
        for role in ("rec", "glyphs"):
            text = _read(strip, role, settings)
            if text and text not in readings:
                readings.append(text)
    return readings


def _read(strip: "np.ndarray", role: str, settings) -> str:
    """A strip's text as the set's model for `role` reads it (intake.glyphs), spaces left out."""
    from intake.glyphs import get_reader

    return "".join(g.char for g in get_reader(settings, role).read(strip)).replace(" ", "")
