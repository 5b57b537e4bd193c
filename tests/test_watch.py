"""The folder watcher as a subprocess: slow writes, copies, corrupt and ignored files, subfolders, SIGKILL mid-batch and restart."""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import realfile
from intake.database import Database
from intake.errors import ConfigError
from intake.moves import check_layouts, move_keeping_path, resolve_layout
from intake.schema import Document, DocumentStatus, InvoiceRecord, InvoiceStatus
from intake.settings import Settings, WatchFolder, load_settings
from intake.watch import is_network_fstype, mount_fstype

GOOD = [
    "mxvc-invoice/shudian_special_2024_suwell_585.00.pdf",
    "mxvc-invoice/tianjin_e_normal_2023_qunar_hotel_330.00.pdf",
    "mxvc-invoice/jiangsu_e_normal_2022_ride_15.94.pdf",
    "mxvc-invoice/guizhou_e_normal_2022_restaurant_tosign_1308.00.pdf",
    "mxvc-invoice/sichuan_e_normal_2023_ride_3pct_17.40.pdf",
    "zsc140217-trip-mgmt/shudian_special_2024_rebar_2lines_128656.32.pdf",
]
SETTLED = re.compile(r"^\S+ \S+ (recorded|needs_review|failed|duplicate_file)\s+(\S.*?): ")
STABILITY = 1.5


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


class WatcherProcess:
    """`intake watch` in a subprocess, its log lines collected as they come."""

    def __init__(self, inbox: Path, data: Path, workers: int) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
        env["INTAKE_DATA_DIR"] = str(data)
        cmd = [sys.executable, "-c", "import cli; cli.main()", "watch", str(inbox),
               "--poll", "0.2", "--stability", str(STABILITY), "--workers", str(workers)]
        self.proc = subprocess.Popen(cmd, env=env, cwd=data.parent, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def settled(self) -> list[str]:
        return [m.group(2) for line in list(self.lines) if (m := SETTLED.match(line))]

    def wait_until(self, condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None:
                raise AssertionError("watcher exited early:\n" + "\n".join(self.lines))
            if time.monotonic() > deadline:
                raise AssertionError("timed out; watcher log:\n" + "\n".join(self.lines))
            time.sleep(0.05)

    def finish(self) -> None:
        self._reader.join(timeout=10)


def slow_write(source: bytes, target: Path, pieces: int, pause: float, done: list[float]) -> None:
    """A scanner writing over a share: chunks with pauses shorter than the stability delay."""
    step = len(source) // pieces + 1
    with target.open("wb") as out:
        for i in range(0, len(source), step):
            out.write(source[i:i + step])
            out.flush()
            time.sleep(pause)
    done.append(time.time())


def test_watcher_survives_sigkill_and_processes_every_file_once(tmp_path):
    from intake.pipeline import extract_file

    inbox, data = tmp_path / "inbox", tmp_path / "data"
    (inbox / "sub").mkdir(parents=True)
    data.mkdir()
    sources = [realfile(rel) for rel in GOOD]
    dropped: dict[str, Path] = {}  # name below inbox -> file

    def drop(rel: str, content: bytes) -> None:
        p = inbox / rel
        p.write_bytes(content)
        dropped[rel] = p

    for i, src in enumerate(sources):
        drop(f"{i:02d}_{src.name}", src.read_bytes())
        # Same invoice, other bytes (re-saved): a second document whose invoice is a duplicate.
        drop(f"{i:02d}_resaved.pdf", src.read_bytes() + f"\n% re-saved {i}\n".encode())
    drop("copy of 00.pdf", sources[0].read_bytes())  # two copies of one invoice under different names
    drop("sub/in a subfolder.pdf", sources[1].read_bytes() + b"\n% sub\n")
    rng = random.Random(7)
    drop("corrupt.pdf", b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(4000)))
    tmp_file = inbox / "scan0001.pdf.tmp"
    tmp_file.write_bytes(sources[2].read_bytes())
    tmp_stat = tmp_file.stat()
    slow_content = sources[3].read_bytes() + b"\n% slow\n"
    (tmp_path / "slow-reference.pdf").write_bytes(slow_content)
    # What each file holds, read in this process before the watcher moves anything.
    reference = load_settings(env={}, data_dir=tmp_path / "reference")
    want_invoices = {
        sha(p): len(extract_file(p, reference).invoices)
        for p in [*dropped.values(), tmp_path / "slow-reference.pdf"] if p.name != "corrupt.pdf"
    }
    expected_sha = set(want_invoices) | {sha(dropped["corrupt.pdf"])}
    corrupt_bytes = dropped["corrupt.pdf"].read_bytes()

    # Run 1: one worker, killed with SIGKILL after a few files.
    first = WatcherProcess(inbox, data, workers=1)
    first.wait_until(lambda: len(first.settled()) >= 3)
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(timeout=10)
    first.finish()
    assert len(first.settled()) < len(dropped), "the batch was over before the kill; make it bigger"

    # Run 2: a pool of two workers picks up the rest, including whatever the kill interrupted.
    second = WatcherProcess(inbox, data, workers=2)
    # Once the restarted watcher is taking files, a scanner writes slowly into the folder.
    second.wait_until(lambda: len(second.settled()) >= 1)
    slow_done: list[float] = []
    writer = threading.Thread(target=slow_write, args=(slow_content, inbox / "slow.pdf", 15, 0.3, slow_done))
    writer.start()
    writer.join(timeout=30)
    assert slow_done, "slow writer did not finish"

    def inbox_empty() -> bool:
        left = {str(p.relative_to(inbox)) for p in inbox.rglob("*") if p.is_file()}
        return left == {tmp_file.name} and "slow.pdf" in first.settled() + second.settled()

    second.wait_until(inbox_empty, timeout=90)
    second.proc.send_signal(signal.SIGTERM)
    assert second.proc.wait(timeout=30) == 0, "\n".join(second.lines)
    second.finish()
    log = "\n".join(first.lines + ["--- restart ---"] + second.lines)

    # The slow file was taken only once it was complete (its document has the full content's sha).
    slow_lines = [line for line in second.lines + first.lines if SETTLED.match(line) and " slow.pdf:" in line]
    assert len(slow_lines) == 1, log
    assert not slow_lines[0].split()[2] == "failed", log

    db = Database(load_settings(env={}, data_dir=data).database_url)
    try:
        with db.session() as s:
            docs = s.scalars(select(Document)).all()
            assert {d.sha256 for d in docs} == expected_sha, log
            assert len(docs) == len(expected_sha)
            assert all(d.status != DocumentStatus.PROCESSING for d in docs)
            failed_docs = [d for d in docs if d.status == DocumentStatus.FAILED]
            assert [Path(d.original_path).name for d in failed_docs] == ["corrupt.pdf"], log
            # Every good document holds exactly the invoices its file holds; one record each.
            for d in docs:
                if d.status == DocumentStatus.FAILED:
                    continue
                n = s.scalar(select(func.count()).select_from(InvoiceRecord).where(InvoiceRecord.document_id == d.id))
                assert n == want_invoices[d.sha256] >= 1, (d.original_path, n, want_invoices[d.sha256])
            distinct = len(GOOD)
            firsts = s.scalar(select(func.count()).select_from(InvoiceRecord).where(InvoiceRecord.status != InvoiceStatus.DUPLICATE))
            assert firsts == distinct, log
    finally:
        db.dispose()

    done, failed = tmp_path / "done", tmp_path / "failed"
    moved_done = {str(p.relative_to(done)) for p in done.rglob("*") if p.is_file()}
    moved_failed = {str(p.relative_to(failed)) for p in failed.rglob("*") if p.is_file()}
    good_names = {rel for rel in dropped if rel != "corrupt.pdf"} | {"slow.pdf"}
    assert moved_done == good_names, log
    assert moved_failed == {"corrupt.pdf", "corrupt.pdf.error.txt"}, log
    note = (failed / "corrupt.pdf.error.txt").read_text(encoding="utf-8")
    assert note.splitlines()[0] == failed_docs[0].failure_reason and failed_docs[0].failure_reason
    assert (failed / "corrupt.pdf").read_bytes() == corrupt_bytes
    # The .tmp file was left alone.
    assert tmp_file.exists() and tmp_file.stat().st_mtime_ns == tmp_stat.st_mtime_ns
    assert (done / "sub" / "in a subfolder.pdf").is_file()


def test_a_loop_is_refused(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    inside = WatchFolder(path=str(inbox), done=str(inbox / "done"))
    with pytest.raises(ConfigError, match="inside the watched folder"):
        check_layouts([resolve_layout(inside)], Settings().ignore_patterns)
    # Allowed: beside (the default), ignored by name, or not watched because not recursive.
    check_layouts([resolve_layout(WatchFolder(path=str(inbox)))], Settings().ignore_patterns)
    check_layouts([resolve_layout(WatchFolder(path=str(inbox), done=str(inbox / "@eaDir")))], Settings().ignore_patterns)
    check_layouts([resolve_layout(WatchFolder(path=str(inbox), done=str(inbox / "done"), recursive=False))], [])
    # One folder's done/ watched as another folder.
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(ConfigError):
        check_layouts([resolve_layout(WatchFolder(path=str(inbox), done=str(other))), resolve_layout(WatchFolder(path=str(other)))], [])


def test_the_watch_command_refuses_a_loop(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env["INTAKE_DATA_DIR"] = str(tmp_path / "data")
    r = subprocess.run([sys.executable, "-c", "import cli; cli.main()", "watch", str(inbox), "--done", str(inbox / "done"),
                        "--oneshot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 4, r.stderr
    assert "inside the watched folder" in r.stderr


def test_moves_keep_the_relative_path_and_never_overwrite(tmp_path):
    root, target = tmp_path / "inbox", tmp_path / "done"
    (root / "a" / "b").mkdir(parents=True)
    (target / "a" / "b").mkdir(parents=True)
    (target / "a" / "b" / "x.pdf").write_bytes(b"older")
    src = root / "a" / "b" / "x.pdf"
    src.write_bytes(b"newer")
    moved = move_keeping_path(src, root, target)
    assert moved == target / "a" / "b" / "x (1).pdf"
    assert moved.read_bytes() == b"newer" and (target / "a" / "b" / "x.pdf").read_bytes() == b"older"
    assert not src.exists()
    # A crash between link and unlink left the file in both places: only the source goes.
    src.write_bytes(b"third")
    os.link(src, target / "a" / "b" / "x (2).pdf")
    again = move_keeping_path(src, root, target)
    assert again == target / "a" / "b" / "x (2).pdf" and not src.exists()
    assert sorted(p.name for p in (target / "a" / "b").iterdir()) == ["x (1).pdf", "x (2).pdf", "x.pdf"]


def test_permission_errors_are_reported_once_and_not_retried(tmp_path, caplog):
    if os.geteuid() == 0:
        pytest.skip("root reads and moves everything")
    from intake.watch import Watcher

    inbox = tmp_path / "inbox"
    (inbox / "locked").mkdir(parents=True)
    f = inbox / "locked" / "a.pdf"
    shutil.copyfile(realfile(GOOD[2]), f)
    f.chmod(0)
    settings = load_settings(env={}, data_dir=tmp_path / "data")
    db = Database(settings.database_url)
    (tmp_path / "failed" / "locked").mkdir(parents=True)
    (tmp_path / "failed" / "locked").chmod(0o500)  # cannot be moved there either
    try:
        watcher = Watcher(db, settings, [WatchFolder(path=str(inbox), stability=0.1)], workers=1, oneshot=True)
        watcher.run()
        assert watcher.counters.not_moved == 1
        again = Watcher(db, settings, [WatchFolder(path=str(inbox), stability=0.1)], workers=1, oneshot=True)
        again._given_up = watcher._given_up
        again.run()
        assert again.counters.failed == 0 and again.counters.not_moved == 0  # not taken a second time
    finally:
        (tmp_path / "failed" / "locked").chmod(0o700)
        f.chmod(0o600)
        db.dispose()


def test_network_filesystems_are_recognised(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda1 / ext4 rw 0 0\n"
        "//nas/scans /mnt/scan\\040share cifs rw 0 0\n"
        "nas:/export /mnt/nfs nfs4 rw 0 0\n"
        "sshfs#u@h: /mnt/ssh fuse.sshfs rw 0 0\n"
        "//nas/扫描 /mnt/扫描 smb3 rw 0 0\n",
        encoding="utf-8",
    )
    assert mount_fstype(Path("/mnt/扫描/收件箱"), mounts) == "smb3"
    assert mount_fstype(Path("/mnt/scan share/inbox"), mounts) == "cifs"
    assert mount_fstype(Path("/mnt/nfs"), mounts) == "nfs4"
    assert mount_fstype(Path("/mnt/ssh/x"), mounts) == "fuse.sshfs"
    assert mount_fstype(Path("/mnt/scanner"), mounts) == "ext4"
    assert is_network_fstype("cifs") and is_network_fstype("fuse.sshfs") and is_network_fstype("nfs4")
    assert not is_network_fstype("ext4") and not is_network_fstype(None)


def _oneshot(db, settings, inbox, **kw):  # type: ignore[no-untyped-def]
    from intake.watch import Watcher

    watcher = Watcher(db, settings, [WatchFolder(path=str(inbox), stability=0.05)], workers=1, oneshot=True, **kw)
    watcher.run()
    return watcher


def test_each_crash_state_ends_with_one_record(tmp_path):
    """Killed after admit (document in processing), or after finish but before the move: one record either way."""
    from intake.receive import admit, extract_safely, finish

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    half, unmoved = inbox / "half.pdf", inbox / "unmoved.pdf"
    shutil.copyfile(realfile(GOOD[0]), half)
    shutil.copyfile(realfile(GOOD[1]), unmoved)
    settings = load_settings(env={}, data_dir=tmp_path / "data")
    db = Database(settings.database_url)
    try:
        admit(db, settings, half, channel="watch")  # the crash came during extraction
        a = admit(db, settings, unmoved, channel="watch")
        finish(db, a, extract_safely(a.stored_path or a.path, settings))  # ... or just before the move
        watcher = _oneshot(db, settings, inbox)
        assert (watcher.counters.processed, watcher.counters.duplicates) == (1, 1)
        assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["half.pdf", "unmoved.pdf"]
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(Document)) == 2
            assert s.scalar(select(func.count()).select_from(InvoiceRecord)) == 2
            assert set(s.scalars(select(Document.status))) == {DocumentStatus.DONE}
    finally:
        db.dispose()


def test_a_file_that_cannot_be_moved_is_reported_once(tmp_path, monkeypatch):
    """Permission denied on the share (as root we cannot provoke it, so the move is made to fail)."""
    import logging

    import intake.watch as watch_module

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copyfile(realfile(GOOD[2]), inbox / "a.pdf")
    settings = load_settings(env={}, data_dir=tmp_path / "data")
    settings.rescan_seconds = 0.05
    db = Database(settings.database_url)
    calls = []

    def refuse(src, root, target):  # type: ignore[no-untyped-def]
        calls.append(src)
        raise PermissionError(13, "Permission denied", str(src))

    monkeypatch.setattr(watch_module, "move_keeping_path", refuse)
    stop = threading.Event()
    errors: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = lambda record: errors.append(record) if record.levelno >= logging.ERROR else None  # type: ignore[method-assign]
    logging.getLogger("intake.watch").addHandler(handler)
    try:
        from intake.watch import Watcher

        watcher = Watcher(db, settings, [WatchFolder(path=str(inbox), stability=0.05, poll=0.05)], workers=1, stop=stop)
        threading.Timer(1.5, stop.set).start()  # many polls and rescans
        watcher.run()
        assert len(calls) == 1 and len(errors) == 1 and "cannot move" in errors[0].getMessage()
        assert watcher.counters.not_moved == 1 and (inbox / "a.pdf").exists()
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(Document)) == 1
        # Fixing the permissions changes the file's ctime: it is wanted again; then it is only moved.
        w = watcher.watched[0]
        assert not watcher._wanted(w, inbox / "a.pdf")
        time.sleep(0.01)
        (inbox / "a.pdf").chmod(0o600)
        assert watcher._wanted(w, inbox / "a.pdf")
        monkeypatch.undo()
        again = _oneshot(db, settings, inbox)
        assert again.counters.duplicates == 1 and (tmp_path / "done" / "a.pdf").is_file()
    finally:
        logging.getLogger("intake.watch").removeHandler(handler)
        db.dispose()


def test_stats_count_what_the_watcher_did(tmp_path):
    from intake.stats import collect_stats, format_stats

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copyfile(realfile(GOOD[0]), inbox / "a.pdf")
    shutil.copyfile(realfile(GOOD[0]), inbox / "a again.pdf")
    shutil.copyfile(realfile(GOOD[1]), inbox / "b.pdf")
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.7\n" + random.Random(3).randbytes(3000))
    settings = load_settings(env={}, data_dir=tmp_path / "data")
    db = Database(settings.database_url)
    try:
        _oneshot(db, settings, inbox)
        (inbox / "arrived later.pdf").write_bytes(b"x")
        (inbox / "ignored.tmp").write_bytes(b"x")
        settings.watch = [WatchFolder(path=str(inbox))]
        stats = collect_stats(db, settings, hours=3)
        assert (stats.processed, stats.failed, stats.duplicates) == (2, 1, 1)
        assert stats.waiting_files == 1 and stats.in_processing == 0
        assert len(stats.per_hour) == 3
        hourly = stats.per_hour
        assert (sum(h.processed for h in hourly), sum(h.failed for h in hourly), sum(h.duplicates for h in hourly)) == (2, 1, 1)
        text = format_stats(stats)
        assert "processed   2" in text and "waiting     1 file(s)" in text
    finally:
        db.dispose()
