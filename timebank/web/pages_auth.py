"""Signing in and out, registering with real-name details, and the display preferences."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Role
from timebank.auth import login as sign_in
from timebank.auth import throttle, tokens, users
from timebank.auth.errors import TooManyRequests, Unauthenticated
from timebank.auth.phones import phone_key
from timebank.care import enrolment
from timebank.db import run_in_transaction
from timebank.errors import InvalidInput, TimebankError
from timebank.people.accounts import SELF_ROLES
from timebank.people.models import District
from timebank.web import context as wc
from timebank.web.i18n import LANGS
from timebank.web.render import YEAR, WebRoute, redirect, render, safe_next, session_cookies
from timebank.web.transactions import Errors, errors_of, read_anonymous

router = APIRouter(route_class=WebRoute, include_in_schema=False)
HOMES = {
    Role.VOLUNTEER: "/v",
    Role.ELDER: "/e",
    Role.PROXY: "/e",
    Role.STATION: "/s",
    Role.DISTRICT_ADMIN: "/a",
    Role.CITY_ADMIN: "/a",
    Role.AUDITOR: "/audit",
}
Text = Annotated[str, Form()]
OptText = Annotated[str, Form()]


def _ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/")
def home(request: Request) -> Response:
    web = wc.web_of(request)
    if web.principal is not None:
        return redirect(HOMES.get(web.principal.role, "/login"))
    return render(web, "welcome.html", title=web._("养老服务时间银行"))


@router.get("/login")
def login_page(request: Request, expired: int = 0, next: str = "") -> Response:
    web = wc.web_of(request)
    notice = web._("您已退出登录，请重新登录") if expired else None
    return render(
        web,
        "login.html",
        title=web._("登录"),
        errors={},
        phone="",
        next=safe_next(next, ""),
        notice=notice,
    )


@router.post("/login")
def login(
    request: Request, phone: Text, password: Text, next: Annotated[str, Form()] = ""
) -> Response:
    web = wc.web_of(request)
    svc = web.services
    try:
        throttle.hit(svc.factory, throttle.LOGIN_PER_IP, _ip(request), at=web.now)
        throttle.hit(svc.factory, throttle.LOGIN_PER_PHONE, phone_key(phone), at=web.now)

        def go(s: Session) -> tuple[TimebankError | None, tokens.BrowserSession | None]:
            outcome = sign_in.check_password(
                s, phone=phone, password=password, passwords=svc.passwords, at=web.now
            )
            if outcome.user is None:
                return outcome.error, None
            return None, tokens.open_session(s, user=outcome.user, at=web.now)

        error, opened = run_in_transaction(svc.factory, go)
        if error is not None or opened is None:
            raise error or Unauthenticated("sign-in failed", rule="login")
    except TimebankError as exc:
        errors: Errors = errors_of(web, exc, ())
        return render(
            web,
            "login.html",
            status=exc.status,
            title=web._("登录"),
            errors=errors,
            phone=phone,
            next=safe_next(next, ""),
        )
    session_cookies(web, opened.token, opened.csrf_token)
    web.set_cookie(wc.ACT_FOR_COOKIE, "")
    web.set_cookie(wc.PRE_COOKIE, "")
    return redirect(safe_next(next, "/"))


@router.post("/logout")
def logout(request: Request) -> Response:
    web = wc.web_of(request)
    token = request.cookies.get(wc.SESSION_COOKIE)
    if token:
        run_in_transaction(
            web.services.factory, lambda s: tokens.revoke_token(s, token=token, at=web.now)
        )
    for name in (wc.SESSION_COOKIE, wc.CSRF_COOKIE, wc.ACT_FOR_COOKIE):
        web.set_cookie(name, "")
    return redirect("/")


@router.get("/prefs/lang/{lang}")
def set_lang(request: Request, lang: str, next: str = "/") -> Response:
    web = wc.web_of(request)
    if lang in LANGS:
        web.set_cookie(wc.LANG_COOKIE, lang, YEAR)
    return redirect(safe_next(next))


@router.get("/prefs/size/{size}")
def set_size(request: Request, size: str, next: str = "/") -> Response:
    web = wc.web_of(request)
    web.set_cookie(wc.SIZE_COOKIE, "large" if size == "large" else "normal", YEAR)
    return redirect(safe_next(next))


@router.post("/act-for/stop")
def stop_acting(request: Request) -> Response:
    web = wc.web_of(request)
    web.set_cookie(wc.ACT_FOR_COOKIE, "")
    return redirect("/")


# Registration -----------------------------------------------------------------------------

REG_FIELDS = ("full_name", "id_number", "phone", "password", "district_code", "role", "address")


def _districts(web: wc.Web) -> list[tuple[str, str]]:
    rows = read_anonymous(
        web,
        lambda s: s.execute(
            select(District.code, District.name_zh, District.name_en).order_by(District.code)
        ).all(),
    )
    return [(code, en if web.lang == "en" else zh) for code, zh, en in rows]


@router.get("/register")
def register_page(request: Request) -> Response:
    web = wc.web_of(request)
    return render(
        web,
        "register.html",
        title=web._("注册"),
        errors={},
        form={"role": "volunteer"},
        districts=_districts(web),
    )


@router.post("/register")
def register(
    request: Request,
    full_name: Text,
    id_number: Text,
    phone: Text,
    password: Text,
    district_code: Text,
    role: Annotated[str, Form()] = "volunteer",
    address: Annotated[str, Form()] = "",
) -> Response:
    web = wc.web_of(request)
    svc = web.services
    form = {
        "full_name": full_name,
        "phone": phone,
        "district_code": district_code,
        "role": role,
        "address": address,
    }
    try:
        throttle.hit(svc.factory, throttle.REGISTER_PER_IP, _ip(request), at=web.now)
        if role not in SELF_ROLES:
            raise InvalidInput("role is volunteer, elder or proxy", field="role")
        reg = enrolment.Registration(
            full_name=full_name,
            id_number=id_number,
            phone=phone,
            password=password,
            role=role,
            district_code=district_code,
            address=address.strip() or None,
        )

        def go(s: Session) -> None:
            enrolment.register_account(
                s,
                reg=reg,
                passwords=svc.passwords,
                notifier=svc.notifier,
                code_key=svc.code_key,
                at=web.now,
            )

        run_in_transaction(svc.factory, go)
    except TimebankError as exc:
        return render(
            web,
            "register.html",
            status=exc.status,
            title=web._("注册"),
            errors=errors_of(web, exc, REG_FIELDS),
            form=form,
            districts=_districts(web),
        )
    return render(web, "verify.html", title=web._("验证手机号"), errors={}, phone=phone)


@router.post("/register/verify")
def verify(request: Request, phone: Text, code: Text) -> Response:
    web = wc.web_of(request)
    svc = web.services
    failed: list[TimebankError] = []
    try:
        throttle.hit(svc.factory, throttle.VERIFY_PER_PHONE, phone_key(phone), at=web.now)

        def go(s: Session) -> None:
            try:
                users.verify_phone(s, phone=phone, code=code, code_key=svc.code_key, at=web.now)
            except InvalidInput as exc:
                failed.append(exc)  # the failed try still counts: commit, then say so

        run_in_transaction(svc.factory, go)
        if failed:
            raise failed[0]
    except (TimebankError, TooManyRequests) as exc:
        return render(
            web,
            "verify.html",
            status=exc.status,
            title=web._("验证手机号"),
            errors=errors_of(web, exc, ("code",)),
            phone=phone,
        )
    return render(
        web,
        "login.html",
        title=web._("登录"),
        errors={},
        phone=phone,
        next="",
        notice=web._("手机号已验证，请登录"),
    )
