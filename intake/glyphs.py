"""The recognizer's alternatives per glyph: what else each character of a line could have been, and how likely.

PaddleOCR's pipeline returns a line's best text and one mean score. To correct a glyph by what is
known about a field (a company name's place must be the place its tax id was registered in), we need
the recognizer's own second choices at that character: this module runs a recognition model (the
manifest set's `glyphs` model, else its recognizer; the ONNX file checked by sha256) on a crop and reads
its CTC output frame by frame.

Preprocessing is PaddleOCR's for PP-OCR recognizers: BGR crop resized to 48 px high keeping its
aspect (at least 320/48 wide), scaled to [-1, 1], padded right with zeros. The character list is the
model's dictionary (index 0 is the CTC blank, a space is appended last).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from intake.settings import Settings

if TYPE_CHECKING:
    import numpy as np

TOP = 5  # alternatives kept per glyph
HEIGHT = 48
MIN_RATIO = 320 / 48
MAX_WIDTH = 3200


@dataclass(frozen=True)
class Glyph:
    """One read character: its text, the recognizer's probability for it, and other characters it gave weight to."""

    char: str
    prob: float
    alternatives: tuple[tuple[str, float], ...]  # (char, prob), best first, `char` excluded

    def chance(self, other: str) -> float:
        """The recognizer's probability for `other` at this glyph (0.0 when it was not among the alternatives)."""
        if other == self.char:
            return self.prob
        return next((p for c, p in self.alternatives if c == other), 0.0)


class GlyphReader:
    """The manifest's recognizer run directly on onnxruntime, returning glyphs with alternatives."""

    def __init__(self, settings: Settings, role: str = "glyphs") -> None:
        import onnxruntime as ort

        from intake.ocr import check_model, glyph_model

        rec = glyph_model(settings.ocr_model, role)
        status = check_model(rec)
        if not status.sha256_ok or status.problem:
            from intake.errors import OcrEngineError

            raise OcrEngineError(f"OCR model {rec.name}: {status.problem}; run `intake models`", reason="ocr_model")
        opts = ort.SessionOptions()
        # One thread per call: calls run side by side on the process's OCR threads (`read_all`), as the page's
        # recognition does (intake.ocr: a line crop splits poorly across threads). The same outputs, bit for bit.
        opts.intra_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(status.path, opts, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        chars = rec.dict_file().read_text(encoding="utf-8").splitlines()  # type: ignore[union-attr]  # checked above
        self.chars = ["", *chars, " "]

    def read(self, crop: "np.ndarray") -> list[Glyph]:
        import numpy as np

        x = _prepare(crop)
        probs = self.session.run(None, {self.input: x})[0][0]  # (frames, classes), softmax
        if probs.shape[1] != len(self.chars):
            raise ValueError(f"recognizer has {probs.shape[1]} classes, dictionary {len(self.chars)}")
        best = probs.argmax(1)
        glyphs: list[Glyph] = []
        t = 0
        while t < len(best):
            k = int(best[t])
            end = t
            while end + 1 < len(best) and best[end + 1] == k:
                end += 1
            if k != 0:
                span = probs[t:end + 1]
                peak = span.max(0)
                peak[0] = 0.0
                top = np.argpartition(-peak, TOP)[: TOP + 1]  # the best TOP + 1 without sorting every class
                order = top[np.argsort(-peak[top], kind="stable")]
                alts = tuple((self.chars[int(j)], float(peak[j])) for j in order if int(j) != k and peak[j] > 0.001)
                glyphs.append(Glyph(self.chars[k], float(peak[k]), alts[:TOP]))
            t = end + 1
        return glyphs


def _prepare(crop: "np.ndarray") -> "np.ndarray":
    import cv2
    import numpy as np

    h, w = crop.shape[:2]
    ratio = w / max(h, 1)
    width = min(MAX_WIDTH, int(HEIGHT * max(MIN_RATIO, ratio)))
    resized_w = min(width, int(math.ceil(HEIGHT * ratio)))
    img = cv2.resize(crop, (max(resized_w, 1), HEIGHT)).astype(np.float32) / 255.0
    img = (img - 0.5) / 0.5
    out = np.zeros((1, 3, HEIGHT, width), np.float32)
    out[0, :, :, : img.shape[1]] = img.transpose(2, 0, 1)
    return out


_READERS: dict[str, GlyphReader] = {}
_BY_ROLE: dict[tuple[str, str], GlyphReader] = {}  # (set, role) -> its model's reader
_LOCK = threading.Lock()


def read_all(settings: Settings, jobs: "list[tuple[str, np.ndarray]]") -> "list[list[Glyph]]":
    """Each (role, crop) read by that role's model, the calls side by side on the process's OCR threads
    (intake.ocr.call_pool); results in the jobs' order."""
    from intake.ocr import call_pool, thread_count

    readers = [get_reader(settings, role) for role, _ in jobs]
    threads = thread_count(settings)
    if threads <= 1 or len(jobs) <= 1:
        return [r.read(crop) for r, (_, crop) in zip(readers, jobs)]
    return list(call_pool(threads).map(lambda rc: rc[0].read(rc[1]), [(r, crop) for r, (_, crop) in zip(readers, jobs)]))


def get_reader(settings: Settings, role: str = "glyphs") -> GlyphReader:
    """The process's glyph reader for a role of the set ("glyphs": the second model; "rec": the set's recognizer),
    loaded on first use (only invoices with a name to check need it)."""
    from intake.ocr import glyph_model

    with _LOCK:
        reader = _BY_ROLE.get((settings.ocr_model, role))
    if reader is not None:
        return reader  # without reading the manifest again (four times an invoice)
    key = glyph_model(settings.ocr_model, role).name  # one session per model, whatever its role (one thread each)
    with _LOCK:
        if key not in _READERS:
            _READERS[key] = GlyphReader(settings, role)
        _BY_ROLE[(settings.ocr_model, role)] = _READERS[key]
        return _READERS[key]
