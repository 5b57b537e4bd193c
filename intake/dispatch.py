"""Dispatching extraction: submit an admitted document, learn its outcome; in this process or on a pool of worker processes.

The database is written only here, in the calling process (`admit` before, `finish`
after): workers only extract, so SQLite has one writer and never reports "database is
locked". The same two calls (`submit`, `results`) can later be backed by Celery workers.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import dataclasses
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Iterable, Iterator, Protocol

from intake.database import Database
from intake.invoice import Extraction
from intake.preflight import sha256_of
from intake.receive import Admission, Failure, Outcome, admit, extract_safely, finish
from intake.settings import Settings

log = logging.getLogger(__name__)


class Dispatcher(Protocol):
    """Submit admitted documents; collect their outcomes (already written to the database)."""

    def submit(self, admission: Admission) -> None: ...

    def results(self, timeout: float | None = 0.0) -> list[Outcome]:
        """Outcomes finished since the last call; waits up to `timeout` seconds for the first (None: until one)."""
        ...

    @property
    def in_flight(self) -> int: ...

    @property
    def capacity(self) -> int:
        """How many more submissions keep every worker busy without admitting the whole queue at once."""
        ...

    def close(self) -> None: ...


def _source(admission: Admission) -> str:
    return admission.stored_path or admission.path


class InlineDispatcher:
    """One worker: extraction runs here, one document per `results` call (so a stop request is honoured between files)."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._queue: collections.deque[Admission] = collections.deque()

    def submit(self, admission: Admission) -> None:
        self._queue.append(admission)

    def results(self, timeout: float | None = 0.0) -> list[Outcome]:
        if not self._queue:
            if timeout:
                time.sleep(timeout)
            return []
        admission = self._queue.popleft()
        started = time.perf_counter()
        result = extract_safely(_source(admission), self.settings, display_name=admission.path)
        return [finish(self.db, admission, result, seconds=time.perf_counter() - started, settings=self.settings)]

    @property
    def in_flight(self) -> int:
        return len(self._queue)

    @property
    def capacity(self) -> int:
        return 1 - len(self._queue)

    def close(self) -> None:
        self._queue.clear()


# --- the worker side -------------------------------------------------------------------

_worker_settings: Settings | None = None


def _die_with_parent() -> None:
    """A worker must not outlive a watcher killed with SIGKILL (it would keep the CPU busy for nobody)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    parent = os.getppid()

    def watch_parent() -> None:  # the portable fallback
        while True:
            time.sleep(2.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch_parent, daemon=True, name="parent-watch").start()


def _init_worker(settings: Settings) -> None:
    global _worker_settings
    _worker_settings = settings
    # Ctrl-C and SIGTERM go to the whole process group; the main process decides when to stop,
    # and finishes the files in hand, so the workers must not die under it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()
    # The OCR models load on the first scan a worker meets and stay loaded (intake.ocr keeps
    # them per process): a batch of e-invoices never pays for them.


def _extract_in_worker(source: str, display_name: str) -> tuple[Extraction | Failure, float]:
    assert _worker_settings is not None, "worker not initialised"
    started = time.perf_counter()
    result = extract_safely(source, _worker_settings, display_name=display_name)
    return result, time.perf_counter() - started


# --- the pool ----------------------------------------------------------------------------


def _context() -> multiprocessing.context.BaseContext:
    # Never fork: the parent may hold threads (watchfiles, onnxruntime) whose locks a fork would copy.
    # Not forkserver either: its server outlives a watcher killed with SIGKILL, and so do the
    # workers it forked. Spawned workers are our children and die with us (PR_SET_PDEATHSIG).
    return multiprocessing.get_context("spawn")


class PoolDispatcher:
    """Worker processes, each with its own OCR models; finish() runs here, in order of completion."""

    # A worker that dies (a segfault in a native library on a hostile file) breaks the whole
    # pool; its documents are retried once on a fresh pool before they are recorded as failed.
    MAX_TRIES = 2

    def __init__(self, db: Database, settings: Settings, workers: int) -> None:
        self.db = db
        self.settings = settings
        self.workers = max(1, workers)
        self._pool = self._new_pool()
        self._futures: dict[cf.Future, tuple[Admission, int]] = {}

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=_context(), initializer=_init_worker,
            # The workers share the cores: each sizes its OCR threads by the pool it is in.
            initargs=(dataclasses.replace(self.settings, workers=self.workers),),
        )

    def _send(self, admission: Admission, tries: int) -> None:
        future = self._pool.submit(_extract_in_worker, _source(admission), admission.path)
        self._futures[future] = (admission, tries)

    def submit(self, admission: Admission) -> None:
        try:
            self._send(admission, 1)
        except BrokenProcessPool:
            self._restart()
            self._send(admission, 1)

    def _restart(self) -> None:
        log.warning("a worker process died; starting a new pool")
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def results(self, timeout: float | None = 0.0) -> list[Outcome]:
        if not self._futures:
            if timeout:
                time.sleep(timeout)
            return []
        done, _ = cf.wait(list(self._futures), timeout=timeout, return_when=cf.FIRST_COMPLETED)
        outcomes: list[Outcome] = []
        retry: list[tuple[Admission, int]] = []
        for future in done:
            admission, tries = self._futures.pop(future)
            try:
                result, seconds = future.result()
            except BrokenProcessPool:
                if tries < self.MAX_TRIES:
                    retry.append((admission, tries + 1))
                    continue
                result, seconds = Failure("worker_crashed", f"{admission.path}: the worker process died reading this file"), 0.0
            except Exception as e:  # e.g. a result that cannot be pickled: record it, keep the batch going
                result, seconds = Failure("internal_error", f"{admission.path}: {e.__class__.__name__}: {e}"), 0.0
            outcomes.append(finish(self.db, admission, result, seconds=seconds, settings=self.settings))
        if retry:
            self._restart()
            # The crash broke every pending future; the ones not yet seen are resent with their count unchanged.
            for future, (admission, tries) in list(self._futures.items()):
                future.cancel()
                retry.append((admission, tries))
            self._futures.clear()
            for admission, tries in retry:
                self._send(admission, tries)
        return outcomes

    @property
    def in_flight(self) -> int:
        return len(self._futures)

    @property
    def capacity(self) -> int:
        return 2 * self.workers - len(self._futures)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def open_dispatcher(db: Database, settings: Settings, workers: int | None = None) -> Dispatcher:
    """In-process for one worker, a process pool otherwise (default: settings.worker_count)."""
    n = settings.worker_count if workers is None else workers
    if n <= 1:
        return InlineDispatcher(db, settings)
    return PoolDispatcher(db, settings, n)


class Receiver:
    """Admit files and dispatch their extraction: offer a path, collect outcomes (already written to the database).

    Two files with the same content in flight at once would both be admitted onto one
    document (the second admit would take the first for a crash survivor and redo it), so
    a file whose sha256 is in flight waits for the first to finish and then settles as a
    duplicate_file.
    """

    def __init__(self, db: Database, settings: Settings, workers: int | None = None) -> None:
        self.db = db
        self.settings = settings
        self.dispatcher = open_dispatcher(db, settings, workers)
        self._sha_of: dict[str, str] = {}  # path in flight -> its sha256
        self._waiting: dict[str, list[tuple[Path, str, str]]] = collections.defaultdict(list)

    def offer(self, path: Path, *, channel: str = "cli", batch: str = "") -> list[Outcome]:
        """Admit `path`; returns its outcome when it is settled at once (seen before, unreadable), else []."""
        try:
            sha = sha256_of(path)
        except OSError:
            sha = ""  # admit reports why it cannot be read
        if sha and sha in self._sha_of.values():
            self._waiting[sha].append((path, channel, batch))
            return []
        admission = admit(self.db, self.settings, path, channel=channel, batch=batch, sha256=sha)
        if admission.settled is not None:
            return [admission.settled]
        self._sha_of[admission.path] = admission.sha256
        self.dispatcher.submit(admission)
        return []

    def results(self, timeout: float | None = 0.0) -> list[Outcome]:
        outcomes = self.dispatcher.results(timeout=timeout)
        for outcome in list(outcomes):
            sha = self._sha_of.pop(outcome.path, "")
            for path, channel, batch in self._waiting.pop(sha, []):
                outcomes.extend(self.offer(path, channel=channel, batch=batch))
        return outcomes

    @property
    def in_flight(self) -> int:
        return self.dispatcher.in_flight + sum(len(v) for v in self._waiting.values())

    @property
    def capacity(self) -> int:
        return self.dispatcher.capacity

    def close(self) -> None:
        self.dispatcher.close()


def run_batch(
    db: Database,
    settings: Settings,
    paths: Iterable[Path],
    *,
    workers: int | None = None,
    channel: str = "cli",
    batch: str = "",
    stop: threading.Event | None = None,
) -> Iterator[Outcome]:
    """Receive every path, yielding each outcome as it is written (completion order, not input order).

    Files are admitted only as workers free up, so a stop request (or Ctrl-C) leaves the rest
    untouched; the documents in hand are finished first.
    """
    queue = collections.deque(Path(p) for p in paths)
    n = settings.worker_count if workers is None else workers
    receiver = Receiver(db, settings, min(n, max(1, len(queue))))
    try:
        while queue or receiver.in_flight:
            while queue and receiver.capacity > 0 and not (stop and stop.is_set()):
                yield from receiver.offer(queue.popleft(), channel=channel, batch=batch)
            if stop is not None and stop.is_set():
                queue.clear()
            yield from receiver.results(timeout=None)
    finally:
        receiver.close()
