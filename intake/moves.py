"""Where handled files go: done/ and failed/ folders beside the watched tree, keeping relative paths and never overwriting."""

from __future__ import annotations

import errno
import fnmatch
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from intake.errors import ConfigError
from intake.settings import WatchFolder


@dataclass(frozen=True)
class Layout:
    """A watched folder resolved: its root and the two folders handled files go to."""

    folder: WatchFolder
    root: Path
    done: Path
    failed: Path


def resolve_layout(folder: WatchFolder) -> Layout:
    """Defaults: `done/` and `failed/` beside the watched folder (siblings), never inside it."""
    root = Path(os.path.expanduser(folder.path)).resolve()
    if root.parent == root:
        raise ConfigError(f"cannot watch the filesystem root {root}: done/ and failed/ need a place beside it")
    done = Path(os.path.expanduser(folder.done)).resolve() if folder.done else root.parent / "done"
    failed = Path(os.path.expanduser(folder.failed)).resolve() if folder.failed else root.parent / "failed"
    return Layout(folder, root, done, failed)


def is_ignored(rel: Path, patterns: list[str]) -> bool:
    """True when any part of the path below the watched root matches an ignore pattern (`@eaDir`, `*.tmp`, …)."""
    return any(fnmatch.fnmatch(part, pattern) for part in rel.parts for pattern in patterns)


def check_layouts(layouts: list[Layout], ignore_patterns: list[str]) -> None:
    """Refuse a configuration whose done/ or failed/ would be watched again: files would loop."""
    for layout in layouts:
        for kind, target in (("done", layout.done), ("failed", layout.failed)):
            for watched in layouts:
                if target == watched.root:
                    raise ConfigError(f"the {kind} folder {target} is the watched folder itself: files would be taken again")
                if not target.is_relative_to(watched.root):
                    continue
                rel = target.relative_to(watched.root)
                if not watched.folder.recursive and len(rel.parts) > 0:
                    continue  # not recursive: subfolders are not watched
                if is_ignored(rel, ignore_patterns):
                    continue
                raise ConfigError(
                    f"the {kind} folder {target} lies inside the watched folder {watched.root}: files would be taken "
                    f"again; put it beside the watched folder, or name it to match an ignore pattern"
                )
            if layout.root.is_relative_to(target):
                raise ConfigError(f"the watched folder {layout.root} lies inside its own {kind} folder {target}")


def _candidates(target: Path):  # type: ignore[no-untyped-def]
    yield target
    n = 1
    while True:
        yield target.with_name(f"{target.stem} ({n}){target.suffix}")
        n += 1


def _link_or_copy_exclusive(src: Path, dst: Path) -> None:
    """Put src's content at dst, failing with FileExistsError if dst exists; src is left in place."""
    try:
        os.link(src, dst)  # atomic and refuses to overwrite
        return
    except FileExistsError:
        raise
    except OSError as e:
        # SMB/NFS mounts and other devices: no hard links; copy to a temp name, then claim the name.
        if e.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS):
            raise
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".moving-")
    try:
        with os.fdopen(fd, "wb") as out, src.open("rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        shutil.copystat(src, tmp)
        try:
            os.link(tmp, dst)
        except FileExistsError:
            raise
        except OSError:
            if dst.exists():
                raise FileExistsError(errno.EEXIST, "exists", str(dst)) from None
            os.rename(tmp, dst)
            return
    finally:
        Path(tmp).unlink(missing_ok=True)


def move_keeping_path(src: Path, root: Path, target_root: Path) -> Path:
    """Move src (below root) to the same relative path below target_root; a taken name gets ` (1)`, ` (2)`, …

    A crash between linking and unlinking leaves the file in both places; the next call
    sees that the target is the same file and only removes the source.
    """
    rel = src.relative_to(root)
    target = target_root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    for candidate in _candidates(target):
        try:
            if candidate.exists() and os.path.samefile(candidate, src):
                src.unlink()
                return candidate
            _link_or_copy_exclusive(src, candidate)
        except FileExistsError:
            continue
        src.unlink()
        return candidate
    raise AssertionError("unreachable")


def write_error_note(failed_file: Path, reason: str, message: str) -> Path:
    """`NAME.error.txt` beside a failed file: why it failed, for the person who looks in failed/."""
    note = failed_file.with_name(failed_file.name + ".error.txt")
    note.write_text(f"{reason}\n{message}\n", encoding="utf-8")
    return note
