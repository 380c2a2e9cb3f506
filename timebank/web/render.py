"""Templates (Jinja2, autoescaped), the page route class and its error handling.

``WebRoute`` wraps every page: it loads the session, refuses a POST without a valid CSRF
token, turns domain errors into a page in plain words (never a JSON problem or a stack trace),
sends signed-out people to the sign-in page, and adds the security headers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.background import BackgroundTasks

from timebank.auth.errors import Unauthenticated
from timebank.auth.tokens import SESSION_TTL
from timebank.clock import LOCAL_TZ
from timebank.errors import PermissionDenied, TimebankError
from timebank.web import context as wc
from timebank.web.i18n import error_words
from timebank.web.supervision_words import Words
from timebank.web.transactions import after_response

log = logging.getLogger("timebank.web")
TEMPLATES = Path(__file__).parent / "templates"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
}
YEAR = 365 * 24 * 3600


def _local(value: datetime | None, fmt: str = "%m月%d日 %H:%M") -> str:
    return "" if value is None else value.astimezone(LOCAL_TZ).strftime(fmt)


def _hours(minutes: int | None) -> str:
    """Minutes as hours (= time coins) in plain figures: 90 → '1.5'."""
    m = minutes or 0
    text = f"{m / 60:.1f}"
    return text[:-2] if text.endswith(".0") else text


env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(("html", "svg"), default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["local"] = _local
env.filters["hours"] = _hours
env.globals["sv"] = Words


def render(web: wc.Web, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    principal = web.principal
    html = env.get_template(name).render(
        _=web._,
        web=web,
        lang=web.lang,
        large=web.large,
        user=principal,
        role=principal.role.value if principal else None,
        csrf=web.csrf_token,
        path=web.request.url.path,
        **{"acting_for": web.acting_for, **values},
    )
    return HTMLResponse(html, status_code=status)


def redirect(to: str) -> RedirectResponse:
    """After a POST: see the result with a GET (303), so a reload never repeats the act."""
    return RedirectResponse(to, status_code=303)


def safe_next(raw: str | None, default: str = "/") -> str:
    """Only same-site paths: no open redirects."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return default
    return raw


def error_page(web: wc.Web, exc: TimebankError) -> HTMLResponse:
    message, english = error_words(exc, web._)
    status = exc.status if 400 <= exc.status < 500 else 400
    return render(web, "error.html", status=status, message=message, english=english)


def _finish(web: wc.Web, response: Response) -> Response:
    # Secure whenever the site is served over HTTPS (the scheme, as the proxy reports it to
    # uvicorn) and always in production.
    secure = web.services.settings.env == "prod" or web.request.url.scheme == "https"
    for name, (value, max_age) in web.cookies.items():
        if value == "":
            response.delete_cookie(name, path="/")
            continue
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            httponly=name not in (wc.LANG_COOKIE, wc.SIZE_COOKIE),
            samesite="strict" if name == wc.PRE_COOKIE else "lax",
            secure=secure,
        )
    if web.new_pre_token and wc.PRE_COOKIE not in web.cookies:
        response.set_cookie(
            wc.PRE_COOKIE, web.pre_token, path="/", httponly=True, samesite="strict", secure=secure
        )
    if web.expired and wc.SESSION_COOKIE not in web.cookies:
        response.delete_cookie(wc.SESSION_COOKIE, path="/")
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    checks = after_response(web)
    if checks is not None:
        tasks = BackgroundTasks()
        if response.background is not None:
            tasks.add_task(response.background)
        tasks.add_task(checks)
        response.background = tasks
    return response


def sign_in_redirect(web: wc.Web, expired: bool) -> RedirectResponse:
    target = "/login?expired=1" if expired else "/login"
    if web.request.method == "GET" and web.request.url.path != "/":
        target += ("&" if "?" in target else "?") + "next=" + quote(web.request.url.path)
    return redirect(target)


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            web = await run_in_threadpool(wc.load, request)
            request.state.web = web
            if request.method == "POST":
                form = await request.form()
                if not web.csrf_ok(form.get("csrf_token")):
                    refused = PermissionDenied("a missing or wrong CSRF token", rule="csrf")
                    return _finish(web, error_page(web, refused))
            try:
                response = await inner(request)
            except wc.GoTo as exc:
                response = redirect(exc.url)
            except wc.SignInNeeded as exc:
                response = sign_in_redirect(web, exc.expired)
            except Unauthenticated:
                response = sign_in_redirect(web, True)
            except TimebankError as exc:
                response = error_page(web, exc)
            return _finish(web, response)

        return handler


def session_cookies(web: wc.Web, token: str, csrf: str) -> None:
    age = int(SESSION_TTL.total_seconds())
    web.set_cookie(wc.SESSION_COOKIE, token, age)
    web.set_cookie(wc.CSRF_COOKIE, csrf, age)
