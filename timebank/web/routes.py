"""The web app's routes in one router, and its static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from timebank.web import (
    admin,
    admission,
    appeals,
    cases,
    disputes,
    elder,
    inbox,
    on_behalf,
    pages_auth,
    qualifications,
    station,
    untrustworthy,
    volunteer,
)

STATIC = Path(__file__).parent / "static"

web_router = APIRouter(include_in_schema=False)
for module in (
    pages_auth,
    on_behalf,
    volunteer,
    qualifications,
    admission,
    appeals,
    elder,
    station,
    disputes,
    admin,
    cases,
    untrustworthy,
    inbox,
):
    web_router.include_router(module.router)


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
