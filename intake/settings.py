"""The one settings object: defaults, then a TOML file, then INTAKE_* environment variables; loaded once and passed explicitly."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from intake.errors import ConfigError


def _default_data_dir() -> Path:
    env = os.environ.get("XDG_DATA_HOME")
    base = Path(env) if env else Path.home() / ".local" / "share"
    return base / "fapiao-intake"


@dataclass
class WatchFolder:
    """One watched folder and the defaults applied to what lands there."""

    path: str
    recursive: bool = True
    poll: float | None = None
    stability: float = 5.0
    done: str | None = None
    failed: str | None = None
    batch: str = ""
    expected_buyer: str = ""


@dataclass
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir)
    db_url: str = ""  # empty: a SQLite file in data_dir
    max_file_mb: float = 50.0
    max_pages: int = 200
    render_dpi: int = 200
    max_image_pixels: int = 80_000_000
    workers: int = 0  # 0: the number of cores
    ocr_threads: int = 0  # 0: let the engine decide
    ocr_model: str = "ppocrv6"  # a [set.*] of models/manifest.toml
    keep_temp: Path | None = None
    # A key field is accepted only at or above this confidence (see intake/scoring.py for the calibration).
    accept_threshold: float = 0.95
    watch: list[WatchFolder] = field(default_factory=list)
    ignore_patterns: list[str] = field(
        default_factory=lambda: [
            "~$*", "*.tmp", "*.part", "*.crdownload", ".~lock*", ".DS_Store",
            "Thumbs.db", "desktop.ini", "@eaDir", "__MACOSX", "*.error.txt", "__pycache__",
        ]
    )
    rescan_seconds: float = 300.0
    secret_key: str = ""  # for session cookies; generated into data_dir when empty
    config_file: Path | None = None

    @property
    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite:///{self.data_dir / 'intake.db'}"

    @property
    def originals_dir(self) -> Path:
        return self.data_dir / "originals"

    @property
    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else (os.cpu_count() or 1)


_TYPES = {f.name: f for f in dataclasses.fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    f = _TYPES[name]
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    try:
        if name == "watch":
            return [WatchFolder(**entry) for entry in value]
        if "Path" in kind:
            return Path(os.path.expanduser(str(value))) if value not in (None, "") else None
        if kind.startswith("int"):
            return int(value)
        if kind.startswith("float"):
            return float(value)
        if kind.startswith("list"):
            if isinstance(value, str):
                return [v.strip() for v in value.split(",") if v.strip()]
            return list(value)
        return str(value)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"setting {name!r} has a bad value {value!r}: {e}") from e


def _config_path(env: Mapping[str, str], explicit: Path | None) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"settings file {explicit} does not exist")
        return explicit
    if env.get("INTAKE_CONFIG"):
        p = Path(env["INTAKE_CONFIG"])
        if not p.is_file():
            raise ConfigError(f"settings file {p} (INTAKE_CONFIG) does not exist")
        return p
    for candidate in (Path("intake.toml"), Path.home() / ".config" / "fapiao-intake" / "intake.toml"):
        if candidate.is_file():
            return candidate
    return None


def load_settings(
    config: Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Defaults < TOML file < INTAKE_* environment < explicit overrides (command-line options)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = _config_path(env, config)
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"cannot read settings file {path}: {e}") from e
        section = data.get("intake", data)
        for key, value in section.items():
            if key == "watch" and isinstance(value, dict):
                value = [value]
            if key not in _TYPES or key == "config_file":
                raise ConfigError(f"unknown setting {key!r} in {path}")
            values[key] = _coerce(key, value)
    for name in _TYPES:
        if name in ("watch", "config_file"):
            continue
        key = "INTAKE_" + name.upper()
        if key in env and env[key] != "":
            values[name] = _coerce(name, env[key])
    if env.get("INTAKE_DB"):
        values["db_url"] = env["INTAKE_DB"]
    for name, value in overrides.items():
        if value is not None:
            values[name] = _coerce(name, value) if name in _TYPES else value
    settings = Settings(**values)
    settings.config_file = path
    return settings
