"""The dispatch of extraction: in-process and on a worker pool, the same outcomes, one writer, each content once."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest
from sqlalchemy import func, select

from intake.database import Database
from intake.dispatch import Receiver, open_dispatcher, run_batch
from intake.schema import Document, DocumentStatus, InvoiceRecord
from conftest import realfile

GOOD = [
    "mxvc-invoice/shudian_special_2024_suwell_585.00.pdf",
    "mxvc-invoice/tianjin_e_normal_2023_qunar_hotel_330.00.pdf",
    "mxvc-invoice/jiangsu_e_normal_2022_ride_15.94.pdf",
]


@pytest.fixture
def batch_files(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    files = []
    for i, rel in enumerate(GOOD):
        dst = folder / f"{i}_{realfile(rel).name}"
        shutil.copyfile(realfile(rel), dst)
        files.append(dst)
    # The same bytes twice in one batch, next to each other so both are in flight at once.
    copy = folder / "0_copy.pdf"
    shutil.copyfile(files[0], copy)
    files.insert(1, copy)
    bad = folder / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4\n this is not a PDF body at all\n")
    files.append(bad)
    return files


def _summary(db: Database) -> tuple[int, Counter, int]:
    with db.session() as s:
        docs = s.scalar(select(func.count()).select_from(Document))
        statuses = Counter(s.scalars(select(Document.status)))
        invoices = s.scalar(select(func.count()).select_from(InvoiceRecord))
    return docs, statuses, invoices


@pytest.mark.parametrize("workers", [1, 2])
def test_run_batch_receives_every_file_once(batch_files, settings, workers):
    db = Database(settings.database_url)
    try:
        outcomes = list(run_batch(db, settings, batch_files, workers=workers, channel="cli", batch="t"))
        assert sorted(o.path for o in outcomes) == sorted(str(p) for p in batch_files)
        by_path = {o.path: o for o in outcomes}
        assert by_path[str(batch_files[-1])].status == "failed"
        assert by_path[str(batch_files[-1])].reason  # the reason is kept
        dup = [o for o in outcomes if o.status == "duplicate_file"]
        assert len(dup) == 1 and dup[0].path in (str(batch_files[0]), str(batch_files[1]))
        docs, statuses, invoices = _summary(db)
        assert docs == len(batch_files) - 1
        assert statuses[DocumentStatus.PROCESSING] == 0
        assert invoices == sum(o.invoices for o in outcomes)
        good = [by_path[str(p)] for p in batch_files[:-1] if by_path[str(p)].status != "duplicate_file"]
        assert all(o.status in ("recorded", "needs_review") for o in good), [(o.path, o.reason, o.message) for o in good]
        assert all(o.invoices >= 1 for o in good)
    finally:
        db.dispose()


def test_pool_and_inline_agree(batch_files, tmp_path):
    from intake.settings import load_settings

    results = {}
    for workers in (1, 2):
        s = load_settings(env={}, data_dir=tmp_path / f"data{workers}")
        db = Database(s.database_url)
        try:
            outcomes = list(run_batch(db, s, batch_files, workers=workers))
        finally:
            db.dispose()
        results[workers] = sorted(
            (o.path, o.status if o.status != "duplicate_file" else "dup", o.invoices, o.needs_review, o.reason)
            for o in outcomes if o.status != "duplicate_file"
        )
    assert results[1] == results[2]


def test_open_dispatcher_kinds(settings, db):
    from intake.dispatch import InlineDispatcher, PoolDispatcher

    assert isinstance(open_dispatcher(db, settings, 1), InlineDispatcher)
    pool = open_dispatcher(db, settings, 2)
    try:
        assert isinstance(pool, PoolDispatcher)
        assert pool.capacity == 4 and pool.in_flight == 0
        assert pool.results(timeout=0.01) == []
    finally:
        pool.close()


def test_receiver_holds_back_a_second_copy_in_flight(batch_files, settings, db):
    receiver = Receiver(db, settings, workers=2)
    try:
        assert receiver.offer(batch_files[0]) == []
        assert receiver.offer(batch_files[1]) == []  # same bytes: waits for the first, not admitted
        assert receiver.in_flight == 2
        outcomes = []
        while receiver.in_flight:
            outcomes.extend(receiver.results(timeout=None))
        assert [o.path for o in outcomes if o.status == "duplicate_file"] == [str(batch_files[1])]
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(Document)) == 1
    finally:
        receiver.close()


def test_a_dead_worker_is_replaced(batch_files, settings, db):
    import os
    import signal
    import time


    receiver = Receiver(db, settings, workers=2)
    try:
        receiver.offer(batch_files[0])
        while receiver.in_flight:
            receiver.results(timeout=None)
        pool = receiver.dispatcher._pool  # type: ignore[attr-defined]
        for pid in list(pool._processes):
            os.kill(pid, signal.SIGKILL)  # as a segfault in a native library would
        time.sleep(0.5)
        receiver.offer(batch_files[2])
        outcomes = []
        while receiver.in_flight:
            outcomes.extend(receiver.results(timeout=None))
        assert [o.status for o in outcomes] in (["recorded"], ["needs_review"]), [(o.reason, o.message) for o in outcomes]
        assert receiver.dispatcher._pool is not pool  # type: ignore[attr-defined]
    finally:
        receiver.close()
