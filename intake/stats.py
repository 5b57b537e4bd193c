"""Intake counters from the processing events: processed, failed, duplicates, waiting, per hour."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from intake.database import Database
from intake.moves import is_ignored
from intake.schema import Document, DocumentStatus, Event, EventOutcome
from intake.settings import Settings


@dataclass
class HourCounts:
    hour: datetime  # the start of the hour, UTC
    processed: int = 0
    failed: int = 0
    duplicates: int = 0


@dataclass
class Stats:
    processed: int  # documents read to the end (with or without invoices)
    failed: int
    duplicates: int  # files whose content was already received
    in_processing: int  # documents admitted and not finished (being read now, or left by a crash)
    waiting_files: int  # files lying in the watched folders
    per_hour: list[HourCounts] = field(default_factory=list)


def _kind(stage: str, outcome: str) -> str | None:
    if stage == "extracted":
        return "processed"
    if stage == "failed" or (stage == "received" and outcome == EventOutcome.FAILED):
        return "failed"
    if stage == "duplicate_file":
        return "duplicates"
    return None


def count_waiting_files(settings: Settings) -> int:
    """Files in the configured watched folders that the watcher would take (ignored and hidden names excluded)."""
    n = 0
    for folder in settings.watch:
        root = Path(os.path.expanduser(folder.path))
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            if not folder.recursive:
                dirnames[:] = []
            dirnames[:] = [d for d in dirnames if not d.startswith(".") and not is_ignored(Path(d), settings.ignore_patterns)]
            n += sum(
                1 for name in filenames
                if not name.startswith(".") and not is_ignored((here / name).relative_to(root), settings.ignore_patterns)
            )
    return n


def collect_stats(db: Database, settings: Settings, *, hours: int = 24, now: datetime | None = None) -> Stats:
    now = now or datetime.now(timezone.utc)
    first_hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    totals = {"processed": 0, "failed": 0, "duplicates": 0}
    buckets = {first_hour + timedelta(hours=i): HourCounts(first_hour + timedelta(hours=i)) for i in range(hours)}
    with db.session() as s:
        for stage, outcome, n in s.execute(select(Event.stage, Event.outcome, func.count()).group_by(Event.stage, Event.outcome)):
            kind = _kind(stage, outcome)
            if kind:
                totals[kind] += n
        recent = s.execute(
            select(Event.at, Event.stage, Event.outcome).where(
                Event.at >= first_hour, Event.stage.in_(("extracted", "failed", "received", "duplicate_file"))
            )
        )
        for at, stage, outcome in recent:
            kind = _kind(stage, outcome)
            if kind is None:
                continue
            if at.tzinfo is None:  # SQLite gives naive datetimes back; they were written in UTC
                at = at.replace(tzinfo=timezone.utc)
            bucket = buckets.get(at.replace(minute=0, second=0, microsecond=0))
            if bucket is not None:
                setattr(bucket, kind, getattr(bucket, kind) + 1)
        in_processing = s.scalar(select(func.count()).select_from(Document).where(Document.status == DocumentStatus.PROCESSING)) or 0
    return Stats(
        totals["processed"], totals["failed"], totals["duplicates"], in_processing,
        count_waiting_files(settings), [buckets[k] for k in sorted(buckets)],
    )


def format_stats(stats: Stats) -> str:
    lines = [
        f"processed   {stats.processed}",
        f"failed      {stats.failed}",
        f"duplicates  {stats.duplicates}",
        f"waiting     {stats.waiting_files} file(s) in watched folders, {stats.in_processing} document(s) in processing",
        "",
        "hour (UTC)         processed  failed  duplicates",
    ]
    for h in stats.per_hour:
        if h.processed or h.failed or h.duplicates:
            lines.append(f"{h.hour:%Y-%m-%d %H:00}  {h.processed:9d}  {h.failed:6d}  {h.duplicates:10d}")
    if len(lines) == 6:
        lines.append("(nothing in this period)")
    return "\n".join(lines)
