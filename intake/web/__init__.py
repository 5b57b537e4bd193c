"""The review web application (FastAPI, Jinja2 pages, JSON API); `create_app(settings)` builds it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from intake.database import Database
    from intake.settings import Settings


def create_app(settings: "Settings", db: "Database | None" = None) -> "FastAPI":
    from intake.web.app import create_app as build

    return build(settings, db)
