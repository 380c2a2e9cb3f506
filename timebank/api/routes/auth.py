"""Sign-in: register, verify the phone, codes, tokens, browser sessions, password reset."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.api.context import SESSION_COOKIE, CtxDep, Idem
from timebank.api.routes.common import client_ip, is_loopback, router
from timebank.api.schemas import auth as S
from timebank.api.schemas.people import PersonOut
from timebank.auth import codes, login, throttle, tokens, users
from timebank.auth.errors import Unauthenticated
from timebank.auth.models import User
from timebank.auth.phones import normalise_phone, phone_key
from timebank.care import enrolment
from timebank.db import run_in_transaction
from timebank.errors import InvalidInput, NotFound
from timebank.notices.inbox import sms_outbox
from timebank.people.models import Person
from timebank.people.services import reveal_id_number

api = router("sign-in")


@api.post("/auth/register", status_code=201, response_model=S.RegisteredOut, dependencies=[Idem])
def register(body: S.RegisterIn, ctx: CtxDep) -> JSONResponse:
    """Register yourself (volunteer, elder or proxy) with real-name details; a code is sent by
    SMS to verify the phone before you can sign in."""
    svc = ctx.services
    throttle.hit(svc.factory, throttle.REGISTER_PER_IP, client_ip(ctx), at=ctx.now)
    reg = enrolment.Registration(**body.model_dump())

    def work(s: Session, _: Actor) -> S.RegisteredOut:
        person, user = enrolment.register_account(
            s,
            reg=reg,
            passwords=svc.passwords,
            notifier=svc.notifier,
            code_key=svc.code_key,
            at=ctx.now,
        )
        return S.RegisteredOut(
            user_id=user.id,
            person_id=person.id,
            status=user.status,
            next="POST /api/v1/auth/verify-phone with the code sent by SMS",
        )

    return ctx.run(work, body=body, status=201, anonymous=True)


@api.post("/auth/verify-phone", response_model=S.UserOut)
def verify_phone(body: S.VerifyIn, ctx: CtxDep) -> Any:
    """Answer the SMS code: the account becomes active."""
    svc = ctx.services
    throttle.hit(svc.factory, throttle.VERIFY_PER_PHONE, phone_key(body.phone), at=ctx.now)
    outcome: list[Any] = []

    def go(s: Session) -> S.UserOut | None:
        try:
            user = users.verify_phone(
                s, phone=body.phone, code=body.code, code_key=svc.code_key, at=ctx.now
            )
        except InvalidInput as exc:
            outcome.append(exc)  # the failed try must still count: commit, then refuse
            return None
        return S.UserOut.of(user)

    result = run_in_transaction(svc.factory, go)
    if outcome or result is None:
        raise outcome[0]
    return result


@api.post("/auth/codes", status_code=202, response_model=S.AcceptedOut)
def send_code(body: S.CodeIn, ctx: CtxDep) -> S.AcceptedOut:
    """Send a one-time code by SMS (verify the phone, reset the password, or sign in).
    The answer is the same whether or not the phone has an account."""
    svc = ctx.services
    throttle.hit(svc.factory, throttle.CODE_PER_IP, client_ip(ctx), at=ctx.now)
    phone = normalise_phone(body.phone)
    throttle.hit(svc.factory, throttle.CODE_PER_PHONE, phone, at=ctx.now)

    def go(s: Session) -> None:
        if s.execute(select(User.id).where(User.phone == phone)).first() is None:
            return
        codes.send_code(
            s,
            phone=phone,
            purpose=body.purpose,
            notifier=svc.notifier,
            key=svc.code_key,
            at=ctx.now,
        )

    run_in_transaction(svc.factory, go)
    return S.AcceptedOut(status="accepted", detail="if the phone has an account, a code is sent")


@api.post("/auth/token", response_model=S.TokensOut)
def sign_in(body: S.SignInIn, ctx: CtxDep) -> S.TokensOut:
    """Sign in for API tokens: a short-lived access token and a refresh token.
    Five wrong passwords lock the account for 15 minutes."""
    svc = ctx.services
    throttle.hit(svc.factory, throttle.LOGIN_PER_IP, client_ip(ctx), at=ctx.now)
    throttle.hit(svc.factory, throttle.LOGIN_PER_PHONE, phone_key(body.phone), at=ctx.now)

    def go(s: Session) -> tuple[Exception | None, tokens.TokenPair | None]:
        if body.grant_type == "otp":
            if body.code is None:
                raise InvalidInput("give the code sent by SMS", field="code")
            user = login.login_with_code(
                s, phone=body.phone, code=body.code, code_key=svc.code_key, at=ctx.now
            )
            return None, tokens.issue_pair(s, user=user, at=ctx.now)
        if body.password is None:
            raise InvalidInput("give the password", field="password")
        outcome = login.check_password(
            s, phone=body.phone, password=body.password, passwords=svc.passwords, at=ctx.now
        )
        if outcome.user is None:
            return outcome.error, None
        return None, tokens.issue_pair(s, user=outcome.user, at=ctx.now)

    error, pair = run_in_transaction(svc.factory, go)
    if error is not None or pair is None:
        raise error or Unauthenticated("sign-in failed", rule="login")
    return S.TokensOut(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@api.post("/auth/refresh", response_model=S.TokensOut)
def refresh_tokens(body: S.RefreshIn, ctx: CtxDep) -> S.TokensOut:
    """Spend a refresh token for a new pair. A refresh token works once: presenting a spent
    one revokes the whole sign-in (it was probably stolen)."""
    failure: list[Exception] = []

    def go(s: Session) -> tokens.TokenPair | None:
        try:
            return tokens.refresh(s, refresh_token=body.refresh_token, at=ctx.now)
        except Unauthenticated as exc:
            failure.append(exc)  # keep the family revocation of a reuse
            return None

    pair = run_in_transaction(ctx.services.factory, go)
    if pair is None:
        raise failure[0]
    return S.TokensOut(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@api.post("/auth/revoke", response_model=S.AcceptedOut)
def revoke_token(body: S.RevokeIn, ctx: CtxDep) -> S.AcceptedOut:
    """Sign out: revoke the access/refresh pair (or session) the token belongs to."""
    run_in_transaction(
        ctx.services.factory, lambda s: tokens.revoke_token(s, token=body.token, at=ctx.now)
    )
    return S.AcceptedOut(status="revoked", detail="the sign-in is revoked")


@api.post("/auth/session", response_model=S.SessionOut)
def open_session(body: S.SessionIn, ctx: CtxDep, response: Response) -> S.SessionOut:
    """Browser sign-in: an HttpOnly, SameSite=Lax session cookie plus a CSRF token that every
    POST made with the cookie must carry in X-CSRF-Token."""
    svc = ctx.services
    throttle.hit(svc.factory, throttle.LOGIN_PER_IP, client_ip(ctx), at=ctx.now)
    throttle.hit(svc.factory, throttle.LOGIN_PER_PHONE, phone_key(body.phone), at=ctx.now)

    def go(s: Session) -> tuple[Exception | None, tokens.BrowserSession | None]:
        outcome = login.check_password(
            s, phone=body.phone, password=body.password, passwords=svc.passwords, at=ctx.now
        )
        if outcome.user is None:
            return outcome.error, None
        return None, tokens.open_session(s, user=outcome.user, at=ctx.now)

    error, opened = run_in_transaction(svc.factory, go)
    if error is not None or opened is None:
        raise error or Unauthenticated("sign-in failed", rule="login")
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        max_age=int(tokens.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=svc.settings.env == "prod" or ctx.request.url.scheme == "https",
        path="/",
    )
    return S.SessionOut(csrf_token=opened.csrf_token, expires_at=opened.expires_at)


@api.post("/auth/session/end", response_model=S.AcceptedOut)
def close_session(ctx: CtxDep, response: Response) -> S.AcceptedOut:
    """Sign out of this browser session (or of this API sign-in)."""
    token = ctx.request.cookies.get(SESSION_COOKIE)
    header = ctx.request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
    if token:
        ctx.transact(lambda s: tokens.revoke_token(s, token=token, at=ctx.now))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return S.AcceptedOut(status="signed_out", detail="the session is closed")


@api.post("/auth/password-reset", response_model=S.AcceptedOut)
def reset_password(body: S.ResetIn, ctx: CtxDep) -> S.AcceptedOut:
    """Set a new password with a code from POST /auth/codes (purpose "reset"); every existing
    sign-in of the account is revoked."""
    svc = ctx.services
    throttle.hit(svc.factory, throttle.VERIFY_PER_PHONE, phone_key(body.phone), at=ctx.now)
    failure: list[Exception] = []

    def go(s: Session) -> None:
        try:
            login.reset_password(
                s,
                phone=body.phone,
                code=body.code,
                new_password=body.new_password,
                passwords=svc.passwords,
                code_key=svc.code_key,
                at=ctx.now,
            )
        except InvalidInput as exc:
            if exc.field != "code":
                raise
            failure.append(exc)

    run_in_transaction(svc.factory, go)
    if failure:
        raise failure[0]
    return S.AcceptedOut(status="reset", detail="sign in with the new password")


@api.post("/auth/password", response_model=S.AcceptedOut)
def change_password(body: S.ChangePasswordIn, ctx: CtxDep) -> JSONResponse:
    """Change your password; every sign-in, this one included, is revoked."""

    def work(s: Session, actor: Actor) -> S.AcceptedOut:
        login.change_password(
            s,
            user_id=ctx.user_id,
            old_password=body.old_password,
            new_password=body.new_password,
            passwords=ctx.services.passwords,
            at=ctx.now,
        )
        return S.AcceptedOut(status="changed", detail="sign in again with the new password")

    return ctx.run(work, body=body)


class MeOut(BaseModel):
    user: S.UserOut
    person: PersonOut | None


@api.get("/me", response_model=MeOut)
def whoami(ctx: CtxDep) -> Any:
    """The signed-in account and, for people, their own record (unmasked)."""

    def work(s: Session, actor: Actor) -> MeOut:
        user = users.get_user(s, ctx.user_id)
        person = s.get(Person, user.person_id) if user.person_id else None
        if person is None:
            return MeOut(user=S.UserOut.of(user), person=None)
        own = Actor(role=Role(user.role), person_id=person.id, user_id=user.id)
        full = reveal_id_number(s, actor=own, person_id=person.id)
        return MeOut(user=S.UserOut.of(user), person=PersonOut.of(person, own, full))

    return ctx.read(work)


dev = router("development")


@dev.get("/dev/outbox", response_model=list[S.OutboxOut])
def dev_outbox(ctx: CtxDep) -> Any:
    """Development only (``TIMEBANK_ENV=dev``), and only to a client on this machine: the SMS
    outbox (codes you would receive on your phone)."""
    if ctx.services.settings.env != "dev" or not is_loopback(client_ip(ctx)):
        raise NotFound("no such endpoint")

    def work(s: Session, _: Actor) -> list[S.OutboxOut]:
        return [
            S.OutboxOut(
                id=n.id,
                channel=n.channel,
                recipient=n.recipient or "",
                body=n.text_zh,
                created_at=n.created_at,
            )
            for n in sms_outbox(s)
        ]

    return ctx.read(work, anonymous=True)
