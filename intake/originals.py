"""The content-addressed store of received files: each original kept once, by sha256, in the data folder."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from intake.errors import ChangedWhileReadingError
from intake.settings import Settings


def original_path(settings: Settings, sha256: str, suffix: str) -> Path:
    suffix = suffix.lower() if suffix and len(suffix) <= 8 else ""
    return settings.originals_dir / sha256[:2] / sha256[2:4] / f"{sha256}{suffix}"


def keep_original(settings: Settings, source: Path, sha256: str) -> Path:
    """Copy `source` into the store unless it is there already; atomic (temp file + rename). The bytes copied are
    hashed as they go: a copy that is not `sha256`'s content (the file rewritten since it was hashed) is never kept
    under that name (ChangedWhileReadingError)."""
    target = original_path(settings, sha256, source.suffix)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise ChangedWhileReadingError(f"{source}: its content changed while it was being received")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
