"""The folder watcher: finds stable files in watched folders (events or polling, plus a periodic full rescan), receives them, moves them to done/ or failed/.

Exactly once: the database decides, not the folder. A file's sha256 is unique among
documents; a document left in `processing` by a crash is redone by `admit`, and a file
that was finished but not yet moved comes back from `admit` as `duplicate_file` and is
only moved. So a watcher killed at any moment and restarted processes every file once.
"""

from __future__ import annotations

import collections
import logging
import os
import queue
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from intake.database import Database
from intake.dispatch import Receiver
from intake.errors import ConfigError
from intake.moves import Layout, check_layouts, is_ignored, move_keeping_path, resolve_layout, write_error_note
from intake.receive import Outcome
from intake.schema import Document, DocumentStatus, Event, EventOutcome, InvoiceRecord
from intake.settings import Settings, WatchFolder
from intake.stability import FileStabilityTracker

log = logging.getLogger(__name__)

# Filesystems whose change events do not reach us (changes made by other machines): poll them.
NETWORK_FSTYPES = {"cifs", "smb3", "smbfs", "nfs", "nfs4", "9p", "afs", "ceph", "glusterfs", "lustre", "davfs", "sshfs", "gpfs"}
AUTO_POLL_SECONDS = 5.0
TICK = 0.25


def mount_fstype(path: Path, mounts_file: Path = Path("/proc/mounts")) -> str | None:
    """The filesystem type of the mount holding `path` (the longest matching mount point), or None when unknown."""
    try:
        lines = mounts_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = str(path)
    best, best_type = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        # /proc/mounts escapes spaces, tabs, newlines and backslashes as octal; the rest is UTF-8 (扫描 stays 扫描).
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), parts[1])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, best_type = point, parts[2]
    return best_type


def is_network_fstype(fstype: str | None) -> bool:
    return bool(fstype) and (fstype in NETWORK_FSTYPES or fstype.startswith("fuse.") or fstype == "fuse")


def poll_interval(folder: WatchFolder, root: Path) -> float | None:
    """Seconds between polls, or None for native events."""
    if folder.poll:
        return float(folder.poll)
    fstype = mount_fstype(root)
    if is_network_fstype(fstype):
        log.info("%s is on a %s filesystem: polling every %.0f s", root, fstype, AUTO_POLL_SECONDS)
        return AUTO_POLL_SECONDS
    return None


@dataclass
class WatchCounters:
    processed: int = 0
    needs_review: int = 0
    failed: int = 0
    duplicates: int = 0
    not_moved: int = 0
    started: float = field(default_factory=time.time)

    def line(self) -> str:
        return (
            f"processed {self.processed} ({self.needs_review} to review), failed {self.failed}, "
            f"duplicate files {self.duplicates}, could not move {self.not_moved}"
        )


@dataclass
class _Watched:
    layout: Layout
    tracker: FileStabilityTracker
    poll: float | None
    next_poll: float = 0.0


def _signature(path: Path) -> tuple[str, int, int, int] | None:
    # ctime too: fixing a file's permissions changes it, so the file is tried again.
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns


class Watcher:
    """One loop in one process: find stable files, admit them, dispatch extraction, move what is finished."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        folders: list[WatchFolder],
        *,
        workers: int | None = None,
        oneshot: bool = False,
        stop: threading.Event | None = None,
    ) -> None:
        if not folders:
            raise ConfigError("no folder to watch: name one, or add [[intake.watch]] entries to the settings file")
        self.db = db
        self.settings = settings
        self.oneshot = oneshot
        self.stop = stop or threading.Event()
        layouts = [resolve_layout(f) for f in folders]
        check_layouts(layouts, settings.ignore_patterns)
        for layout in layouts:
            if not layout.root.is_dir():
                raise ConfigError(f"watched folder {layout.root} does not exist or is not a folder")
        self.watched = [
            _Watched(l, FileStabilityTracker(l.folder.stability), None if oneshot else poll_interval(l.folder, l.root))
            for l in layouts
        ]
        self.workers = settings.worker_count if workers is None else workers
        self.counters = WatchCounters()
        self._events: queue.Queue[Path] = queue.Queue()
        self._ready: collections.deque[tuple[_Watched, Path]] = collections.deque()
        self._ready_paths: set[Path] = set()
        self._in_hand: dict[str, tuple[_Watched, Path]] = {}
        self._given_up: set[tuple[str, int, int, int]] = set()
        self._threads: list[threading.Thread] = []

    # --- finding files --------------------------------------------------------------

    def _owner(self, path: Path) -> _Watched | None:
        best: _Watched | None = None
        for w in self.watched:
            if path.is_relative_to(w.layout.root) and (best is None or len(w.layout.root.parts) > len(best.layout.root.parts)):
                best = w
        return best

    def _wanted(self, w: _Watched, path: Path) -> bool:
        try:
            rel = path.relative_to(w.layout.root)
        except ValueError:
            return False
        if not rel.parts or (not w.layout.folder.recursive and len(rel.parts) > 1):
            return False
        # Hidden names are temp files of copy tools and of our own moves.
        if any(part.startswith(".") for part in rel.parts) or is_ignored(rel, self.settings.ignore_patterns):
            return False
        return str(path) not in self._in_hand and _signature(path) not in self._given_up

    def _notice(self, w: _Watched, path: Path, *, event: bool) -> None:
        if path in self._ready_paths or not self._wanted(w, path):
            return
        if event or path not in w.tracker:
            w.tracker.event(path)

    def _scan(self, w: _Watched) -> None:
        """The whole tree: catches whatever events missed (and is all there is when polling)."""
        root = w.layout.root
        for dirpath, dirnames, filenames in os.walk(root, onerror=lambda e: log.warning("cannot list %s: %s", e.filename, e.strerror)):
            here = Path(dirpath)
            if not w.layout.folder.recursive:
                dirnames[:] = []
            else:
                dirnames[:] = [
                    d for d in dirnames
                    if not d.startswith(".") and not is_ignored((here / d).relative_to(root), self.settings.ignore_patterns)
                ]
            for name in filenames:
                self._notice(w, here / name, event=False)

    def _start_event_threads(self) -> None:
        import watchfiles

        for w in self.watched:
            if w.poll is not None:
                continue

            def listen(w: _Watched = w) -> None:
                try:
                    for changes in watchfiles.watch(
                        w.layout.root, recursive=w.layout.folder.recursive, stop_event=self.stop,
                        raise_interrupt=False, debounce=200, step=50,
                    ):
                        for change, p in changes:
                            if change != watchfiles.Change.deleted:
                                self._events.put(Path(p))
                except Exception as e:  # e.g. inotify limits: the periodic rescan still finds the files
                    log.warning("native events for %s stopped (%s); relying on rescans every %.0f s",
                                w.layout.root, e, self.settings.rescan_seconds)

            t = threading.Thread(target=listen, daemon=True, name=f"events:{w.layout.root}")
            t.start()
            self._threads.append(t)

    def _drain_events(self) -> None:
        while True:
            try:
                path = self._events.get_nowait()
            except queue.Empty:
                return
            w = self._owner(path)
            if w is None:
                continue
            if path.is_dir() and not path.is_symlink():
                self._scan_below(w, path)  # a folder moved in at once brings no event per file
            else:
                self._notice(w, path, event=True)

    def _scan_below(self, w: _Watched, folder: Path) -> None:
        for dirpath, _dirs, filenames in os.walk(folder):
            for name in filenames:
                self._notice(w, Path(dirpath) / name, event=True)

    # --- taking and settling files ----------------------------------------------------

    def _take(self, receiver: Receiver) -> None:
        while self._ready and receiver.capacity > 0 and not self.stop.is_set():
            w, path = self._ready.popleft()
            self._ready_paths.discard(path)
            if not path.exists():
                continue
            self._in_hand[str(path)] = (w, path)
            self._settle_all(receiver.offer(path, channel="watch", batch=w.layout.folder.batch))

    def _settle_all(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            w, path = self._in_hand.pop(outcome.path)
            self._settle(w, path, outcome)

    def _settle(self, w: _Watched, path: Path, outcome: Outcome) -> None:
        layout = w.layout
        shown = path.relative_to(layout.root)
        failed = outcome.status == "failed"
        reason, message = outcome.reason, outcome.message
        if outcome.status == "duplicate_file":
            # Either a second copy of a file already received, or this very file, finished
            # before a crash and not yet moved: no new record either way, only the move.
            self.counters.duplicates += 1
            with self.db.session() as s:
                doc = s.get(Document, outcome.document_id)
                if doc is not None and doc.status == DocumentStatus.FAILED:
                    failed, reason = True, doc.failure_reason or "failed"
                    message = f"{outcome.message}, which failed: {reason}: {doc.failure_message or ''}"
        elif failed:
            self.counters.failed += 1
        else:
            self.counters.processed += 1
            self.counters.needs_review += 1 if outcome.status == "needs_review" else 0
            self._check_buyer(layout.folder, outcome)
        if failed and outcome.document_id is None and not path.exists():
            log.info("vanished   %s (gone before it could be read)", shown)
            return
        try:
            target = move_keeping_path(path, layout.root, layout.failed if failed else layout.done)
        except OSError as e:
            self.counters.not_moved += 1
            sig = _signature(path)
            if sig is not None:
                self._given_up.add(sig)  # reported once; not taken again until the file changes
            log.error("%-10s %s: processed, but cannot move it out of the watched folder: %s (left in place, "
                      "not taken again until it changes)", outcome.status, shown, e.strerror or e)
            self._record_move_failure(outcome, path, e)
            return
        if failed:
            try:
                write_error_note(target, reason, message)
            except OSError as e:
                log.warning("cannot write the reason beside %s: %s", target, e.strerror or e)
        detail = {
            "recorded": f"{outcome.invoices} invoice(s)",
            "needs_review": f"{outcome.invoices} invoice(s), {outcome.needs_review} to review",
        }.get(outcome.status)
        if detail is not None and outcome.duplicates:
            detail += f", {outcome.duplicates} recorded before from another file"
        detail = detail or {
            "duplicate_file": message,
            "failed": f"{reason}: {message}",
        }.get(outcome.status, message)
        took = f", {outcome.seconds:.2f} s" if outcome.seconds else ""
        log.info("%-10s %s: %s%s -> %s", outcome.status, shown, detail, took, target)

    def _record_move_failure(self, outcome: Outcome, path: Path, error: OSError) -> None:
        with self.db.session() as s:
            s.add(Event(
                document_id=outcome.document_id, path=str(path), stage="move", outcome=EventOutcome.FAILED,
                reason="permission_denied" if isinstance(error, PermissionError) else "io_error",
                message=f"{path}: cannot move: {error.strerror or error}", actor="watch",
            ))

    def _check_buyer(self, folder: WatchFolder, outcome: Outcome) -> None:
        """A folder can name the buyer its invoices should be made out to; say so when one is not."""
        expected = folder.expected_buyer.strip()
        if not expected or not outcome.invoice_ids:
            return
        with self.db.session() as s:
            for rec in s.scalars(select(InvoiceRecord).where(InvoiceRecord.id.in_(outcome.invoice_ids))):
                if expected in (rec.buyer_tax_id, rec.buyer_name):
                    continue
                message = f"buyer {rec.buyer_name or '?'} {rec.buyer_tax_id or ''} is not the expected {expected}".strip()
                log.warning("unexpected buyer on invoice #%s from %s: %s", rec.id, outcome.path, message)
                s.add(Event(
                    document_id=outcome.document_id, invoice_id=rec.id, path=outcome.path, stage="buyer_check",
                    outcome=EventOutcome.INFO, reason="unexpected_buyer", message=message, actor="watch",
                ))

    # --- the loop ---------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        return sum(len(w.tracker) for w in self.watched) + len(self._ready)

    def run(self) -> WatchCounters:
        roots = ", ".join(
            f"{w.layout.root} ({'poll %.1f s' % w.poll if w.poll else 'events'}, stable after {w.layout.folder.stability:g} s)"
            for w in self.watched
        )
        log.info("watching %s with %d worker(s)%s", roots, max(1, self.workers), " (one pass)" if self.oneshot else "")
        if not self.oneshot:
            self._start_event_threads()
        receiver = Receiver(self.db, self.settings, self.workers)
        try:
            for w in self.watched:
                self._scan(w)
            next_rescan = time.monotonic() + self.settings.rescan_seconds
            while not self.stop.is_set():
                self._drain_events()
                now = time.monotonic()
                due = []
                for w in self.watched:
                    if w.poll is None:
                        due.append(w)
                    elif now >= w.next_poll:
                        # On a share every stat is a network round trip: the waiting files are
                        # looked at on the poll's rhythm, not on every turn of the loop.
                        self._scan(w)
                        w.next_poll = now + w.poll
                        due.append(w)
                if not self.oneshot and now >= next_rescan:
                    for w in self.watched:
                        self._scan(w)
                    next_rescan = now + self.settings.rescan_seconds
                for w in due:
                    for p in w.tracker.ready():
                        self._ready.append((w, p))
                        self._ready_paths.add(p)
                self._take(receiver)
                idle = not self._ready and receiver.in_flight == 0
                if self.oneshot and idle and self.waiting == 0:
                    break
                busy = bool(self._ready) and receiver.capacity > 0
                self._settle_all(receiver.results(timeout=0.0 if busy else TICK))
            # Stopping: what is in hand is finished and moved; what waits stays where it is.
            while receiver.in_flight:
                self._settle_all(receiver.results(timeout=None))
        finally:
            self.stop.set()
            receiver.close()
        log.info("stopped: %s; %d file(s) left waiting", self.counters.line(), self.waiting)
        return self.counters


def folders_from_options(
    dirs: list[Path],
    *,
    poll: float | None = None,
    stability: float | None = None,
    recursive: bool | None = None,
    done: Path | None = None,
    failed: Path | None = None,
    batch: str | None = None,
    expected_buyer: str | None = None,
) -> list[WatchFolder]:
    """Folders named on the command line, with the command line's options over WatchFolder's defaults."""
    folders = []
    for d in dirs:
        f = WatchFolder(path=str(d))
        if poll is not None:
            f.poll = poll
        if stability is not None:
            f.stability = stability
        if recursive is not None:
            f.recursive = recursive
        if done is not None:
            f.done = str(done)
        if failed is not None:
            f.failed = str(failed)
        if batch is not None:
            f.batch = batch
        if expected_buyer is not None:
            f.expected_buyer = expected_buyer
        folders.append(f)
    return folders


def overlay_options(folders: list[WatchFolder], **options: object) -> list[WatchFolder]:
    """Command-line options applied over folders from the settings file."""
    import dataclasses

    out = []
    for f in folders:
        changes = {k: (str(v) if isinstance(v, Path) else v) for k, v in options.items() if v is not None}
        out.append(dataclasses.replace(f, **changes))
    return out
