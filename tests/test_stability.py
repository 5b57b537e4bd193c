"""The stability tracker on real files with 0.1 s delays."""

from __future__ import annotations

import os
import time

from intake.stability import FileStabilityTracker

DELAY = 0.1


def test_a_quiet_unchanged_file_is_ready_after_the_delay(tmp_path):
    f = tmp_path / "a.pdf"
    f.write_bytes(b"%PDF-1.4 complete")
    tracker = FileStabilityTracker(DELAY)
    tracker.event(f)
    assert tracker.ready() == []
    assert f in tracker
    time.sleep(DELAY * 1.5)
    assert tracker.ready() == [f]
    assert f not in tracker and len(tracker) == 0
    assert tracker.ready() == []  # handed out once


def test_a_file_still_being_written_is_not_ready(tmp_path):
    f = tmp_path / "slow.pdf"
    tracker = FileStabilityTracker(DELAY)
    with f.open("wb") as out:
        out.write(b"%PDF-1.4 ")
        out.flush()
        tracker.event(f)
        # Writes without events (as polling sees a share): the size change alone keeps it back.
        for i in range(5):
            time.sleep(DELAY * 0.6)
            out.write(b"x" * 100)
            out.flush()
            assert tracker.ready() == [], f"taken after chunk {i}"
    time.sleep(DELAY * 0.6)
    assert tracker.ready() == []  # the last change was just seen: the quiet period starts now
    time.sleep(DELAY * 1.2)
    assert tracker.ready() == [f]


def test_an_event_restarts_the_quiet_period(tmp_path):
    f = tmp_path / "a.pdf"
    f.write_bytes(b"x")
    now = [100.0]
    tracker = FileStabilityTracker(DELAY, clock=lambda: now[0])
    tracker.event(f)
    now[0] += DELAY * 0.9
    tracker.event(f)  # e.g. a rename or a touch that kept size and mtime
    now[0] += DELAY * 0.9
    assert tracker.ready() == []
    assert tracker.next_due() is not None and 0 < tracker.next_due() <= DELAY * 0.1 + 1e-9
    now[0] += DELAY * 0.2
    assert tracker.ready() == [f]
    assert tracker.next_due() is None


def test_an_mtime_change_with_the_same_size_is_a_change(tmp_path):
    f = tmp_path / "a.pdf"
    f.write_bytes(b"abcd")
    now = [0.0]
    tracker = FileStabilityTracker(DELAY, clock=lambda: now[0])
    tracker.event(f)
    now[0] += DELAY * 2
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert tracker.ready() == []
    now[0] += DELAY * 2
    assert tracker.ready() == [f]


def test_files_that_vanish_or_are_not_regular_are_dropped(tmp_path):
    gone = tmp_path / "gone.pdf"
    gone.write_bytes(b"x")
    folder = tmp_path / "folder.pdf"
    folder.mkdir()
    link = tmp_path / "link.pdf"
    link.symlink_to(gone)
    replaced = tmp_path / "replaced.pdf"
    replaced.write_bytes(b"x")
    tracker = FileStabilityTracker(DELAY)
    for p in (gone, folder, link, replaced):
        tracker.event(p)
    assert folder not in tracker and link not in tracker  # never regular files
    gone.unlink()
    replaced.unlink()
    replaced.mkdir()
    time.sleep(DELAY * 1.5)
    assert tracker.ready() == []
    assert len(tracker) == 0


def test_each_file_has_its_own_clock(tmp_path):
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.write_bytes(b"a")
    tracker = FileStabilityTracker(DELAY)
    tracker.event(a)
    time.sleep(DELAY * 0.7)
    b.write_bytes(b"b")
    tracker.event(b)
    time.sleep(DELAY * 0.5)
    assert tracker.ready() == [a]
    time.sleep(DELAY * 0.7)
    assert tracker.ready() == [b]
