"""Shared fixtures: the real-data folder, settings in a temporary data folder, and databases (SQLite, and PostgreSQL when INTAKE_TEST_PG is set)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("INTAKE_REALDATA", ROOT.parent / "shared" / "realdata"))
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="session")
def realdata() -> Path:
    """../shared/realdata (never copied into the repository); tests using it skip cleanly where it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"real-data folder {REALDATA} is absent")
    return REALDATA


def realfile(relpath: str) -> Path:
    """A real-data file by path, skipping the test when it is absent."""
    p = REALDATA / relpath
    if not p.is_file():
        pytest.skip(f"real-data file {p} is absent")
    return p


def _db_params() -> list:
    params = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get("INTAKE_TEST_PG"):
        params.append(pytest.param("postgresql", id="postgresql"))
    return params


@pytest.fixture(params=_db_params())
def db_url(request, tmp_path) -> str:
    """A fresh, empty database URL: a SQLite file, or a new schema in the PostgreSQL named by INTAKE_TEST_PG."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'intake.db'}"
        return
    import sqlalchemy as sa

    base = os.environ["INTAKE_TEST_PG"]
    if base.startswith("postgresql://"):
        base = "postgresql+psycopg://" + base.removeprefix("postgresql://")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def settings(tmp_path, db_url):
    from intake.settings import load_settings

    return load_settings(env={}, data_dir=tmp_path / "data", db_url=db_url)


@pytest.fixture
def db(settings):
    from intake.database import Database

    database = Database(settings.database_url)
    yield database
    database.dispose()
