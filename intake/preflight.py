"""Preflight: the file's real type by magic bytes, size limits and its sha256, before anything parses it."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from intake.errors import EmptyFileError, InputFileError, TooLargeError, UnsupportedFileError
from intake.settings import Settings

IMAGE_KINDS = ("jpeg", "png", "bmp", "tiff", "webp")


@dataclass(frozen=True)
class Received:
    path: Path
    sha256: str
    size: int
    kind: str  # pdf, ofd, xml, jpeg, png, bmp, tiff, webp


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sniff(head: bytes, path: Path) -> str | None:
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"BM") and len(head) > 14:
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError):
            return None
        if any(n.upper().endswith("OFD.XML") for n in names):
            return "ofd"
        return None
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<?xml") or stripped.startswith(b"<"):
        return "xml"
    return None


def preflight(path: Path, settings: Settings) -> Received:
    try:
        if not path.is_file():
            raise InputFileError(f"{path}: not a regular file", reason="not_a_file")
        size = path.stat().st_size
        if size == 0:
            raise EmptyFileError(f"{path}: the file is empty")
        limit = int(settings.max_file_mb * 1024 * 1024)
        if size > limit:
            raise TooLargeError(f"{path}: {size / 1048576:.1f} MB is over the {settings.max_file_mb:g} MB limit (max_file_mb)")
        with path.open("rb") as f:
            head = f.read(4096)
        kind = sniff(head, path)
        if kind is None:
            raise UnsupportedFileError(
                f"{path}: not a PDF, OFD, invoice XML or image (JPEG/PNG/BMP/TIFF) by its content"
            )
        return Received(path=path, sha256=sha256_of(path), size=size, kind=kind)
    except PermissionError as e:
        raise InputFileError(f"{path}: permission denied", reason="permission_denied") from e
    except OSError as e:
        if isinstance(e, InputFileError):
            raise
        raise InputFileError(f"{path}: cannot read: {e.strerror or e}", reason="io_error") from e
