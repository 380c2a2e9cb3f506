"""One error body everywhere: RFC 9457 problem details, with field errors.

Domain errors carry their status (``TimebankError.status``); request validation becomes 422
with one entry per field; unknown paths and methods 404/405; database refusals that slipped
past validation 409/422; anything else 500 — still a problem document, never a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from timebank.auth.errors import TooManyRequests
from timebank.errors import TimebankError

log = logging.getLogger("timebank.api")
MEDIA = "application/problem+json"
BASE = "https://timebank.example/problems/"


class FieldError(BaseModel):
    field: str = Field(examples=["body.expected_minutes"])
    message: str = Field(examples=["Input should be greater than or equal to 1"])
    type: str = Field(examples=["greater_than_equal"])


class Problem(BaseModel):
    """RFC 9457 problem details, extended with the domain's ``code``, ``field`` and ``rule``."""

    type: str = Field(examples=[BASE + "rule_violation"])
    title: str = Field(examples=["the usable balance (30 min) does not cover 90 min"])
    status: int = Field(examples=[409])
    detail: str | None = None
    instance: str | None = None
    code: str = Field(examples=["insufficient_balance"])
    field: str | None = Field(default=None, examples=["expected_minutes"])
    rule: str | None = Field(default=None, examples=["need_balance"])
    errors: list[FieldError] | None = None
    details: dict[str, Any] | None = None


def problem(
    status: int,
    code: str,
    title: str,
    request: Request,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": BASE + code,
        "title": title,
        "status": status,
        "code": code,
        "instance": request.url.path,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=MEDIA, headers=headers)


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def install(app: FastAPI) -> None:
    @app.exception_handler(TimebankError)
    async def _domain(request: Request, exc: TimebankError) -> JSONResponse:
        headers = (
            {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        )
        if exc.status == 401:
            headers = {"WWW-Authenticate": 'Bearer realm="timebank"'}
        return problem(
            exc.status,
            exc.code,
            exc.message,
            request,
            headers=headers,
            field=exc.field,
            rule=exc.rule,
            details=exc.details or None,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _loc(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "message": "invalid request"}
        return problem(
            422,
            "invalid_input",
            f"{first['field']}: {first['message']}" if first["field"] else str(first["message"]),
            request,
            field=first["field"] or None,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        code = codes.get(exc.status_code, "http_error")
        title = {404: "no such resource", 405: "method not allowed"}.get(
            exc.status_code, str(exc.detail)
        )
        headers = dict(exc.headers) if exc.headers else None
        return problem(exc.status_code, code, title, request, headers=headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error reached the API: %s", exc.orig)
        return problem(409, "conflict", "the change conflicts with existing data", request)

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        log.warning("data error reached the API: %s", exc.orig)
        return problem(422, "invalid_input", "a value is out of range for storage", request)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal_error", "an internal error; it has been logged", request)
