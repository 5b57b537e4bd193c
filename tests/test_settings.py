"""The one settings object: defaults < TOML file < INTAKE_* environment < command-line options."""

from __future__ import annotations

import pytest

from intake.errors import ConfigError
from intake.settings import load_settings


def test_precedence_file_env_override(tmp_path):
    cfg = tmp_path / "intake.toml"
    cfg.write_text(
        '[intake]\nmax_pages = 50\nrender_dpi = 150\ndata_dir = "%s"\n\n'
        '[[intake.watch]]\npath = "/srv/scans/inbox"\nbatch = "front desk"\nstability = 10\n' % (tmp_path / "d"),
        encoding="utf-8",
    )
    s = load_settings(cfg, env={"INTAKE_RENDER_DPI": "300"}, max_pages=None)
    assert s.max_pages == 50 and s.render_dpi == 300
    assert s.watch[0].path == "/srv/scans/inbox" and s.watch[0].batch == "front desk" and s.watch[0].stability == 10.0
    assert s.database_url == f"sqlite:///{tmp_path / 'd' / 'intake.db'}"
    s = load_settings(cfg, env={"INTAKE_RENDER_DPI": "300", "INTAKE_DB": "postgresql+psycopg://x@h/db"}, render_dpi=72)
    assert s.render_dpi == 72 and s.database_url == "postgresql+psycopg://x@h/db"


def test_environment_alone(tmp_path):
    s = load_settings(env={"INTAKE_DATA_DIR": str(tmp_path), "INTAKE_IGNORE_PATTERNS": "*.tmp, *.bak"})
    assert s.data_dir == tmp_path and s.ignore_patterns == ["*.tmp", "*.bak"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("[intake]\nmax_pages = 'many'\n", "max_pages"),
        ("[intake]\ncolour = 'red'\n", "unknown setting 'colour'"),
        ("[intake\n", "cannot read settings file"),
    ],
)
def test_bad_settings_are_one_clear_error(tmp_path, text, message):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_settings(cfg, env={})
    assert message in str(e.value) and "\n" not in str(e.value)


def test_missing_settings_file_named_by_environment(tmp_path):
    with pytest.raises(ConfigError):
        load_settings(env={"INTAKE_CONFIG": str(tmp_path / "nope.toml")})
