"""When a file in a watched folder is complete: no event and no change of size or mtime for a delay, and still a regular file."""

from __future__ import annotations

import os
import stat as stat_module
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

Clock = Callable[[], float]
Stat = Callable[[Path], os.stat_result]


@dataclass
class _Watched:
    size: int
    mtime_ns: int
    quiet_since: float  # clock time of the last event or change


class FileStabilityTracker:
    """Pure bookkeeping fed with events; it only stats the files it is asked about.

    A scanner or a network share writes a file in pieces, sometimes with pauses of
    seconds between them, so "it exists" is not enough: a file is ready only once
    nothing has happened to it for `delay` seconds. The clock and the stat function are
    injectable so tests drive it with short delays.
    """

    def __init__(self, delay: float, *, clock: Clock = time.monotonic, stat: Stat = os.lstat) -> None:
        self.delay = delay
        self._clock = clock
        self._stat = stat
        self._files: dict[Path, _Watched] = {}

    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, path: object) -> bool:
        return path in self._files

    def event(self, path: Path) -> None:
        """Something happened to `path` (created, written, renamed into place): restart its quiet period."""
        now = self._clock()
        current = self._read(path)
        if current is None:
            self._files.pop(path, None)
            return
        size, mtime_ns = current
        self._files[path] = _Watched(size, mtime_ns, now)

    def forget(self, path: Path) -> None:
        self._files.pop(path, None)

    def ready(self) -> list[Path]:
        """The files quiet and unchanged for the delay; they are no longer tracked once returned."""
        now = self._clock()
        done: list[Path] = []
        for path, seen in list(self._files.items()):
            current = self._read(path)
            if current is None:  # gone, or no longer a regular file
                del self._files[path]
                continue
            if current != (seen.size, seen.mtime_ns):
                seen.size, seen.mtime_ns = current
                seen.quiet_since = now
                continue
            if now - seen.quiet_since >= self.delay:
                del self._files[path]
                done.append(path)
        return sorted(done)

    def next_due(self) -> float | None:
        """Seconds until the earliest tracked file could be ready (None when nothing is tracked)."""
        if not self._files:
            return None
        now = self._clock()
        return max(0.0, min(w.quiet_since + self.delay - now for w in self._files.values()))

    def _read(self, path: Path) -> tuple[int, int] | None:
        try:
            st = self._stat(path)
        except OSError:
            return None
        # lstat: a symlink dropped on a share is not taken (it could point anywhere).
        if not stat_module.S_ISREG(st.st_mode):
            return None
        return st.st_size, st.st_mtime_ns
