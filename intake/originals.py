"""The content-addressed store of received files: each original kept once, by sha256, in the data folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from intake.settings import Settings


def original_path(settings: Settings, sha256: str, suffix: str) -> Path:
    suffix = suffix.lower() if suffix and len(suffix) <= 8 else ""
    return settings.originals_dir / sha256[:2] / sha256[2:4] / f"{sha256}{suffix}"


def keep_original(settings: Settings, source: Path, sha256: str) -> Path:
    """Copy `source` into the store unless it is there already; atomic (temp file + rename)."""
    target = original_path(settings, sha256, source.suffix)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
