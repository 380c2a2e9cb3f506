"""One-time codes by SMS: phone verification, password reset, sign-in without a password."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from timebank.auth.crypto import code_hash, new_code, same
from timebank.auth.models import OneTimeCode
from timebank.auth.notify import SmsQueue

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
PURPOSES = {
    "verify": "验证手机号",
    "reset": "重置密码",
    "login": "登录",
}
PURPOSES_EN = {
    "verify": "verifying your phone",
    "reset": "resetting your password",
    "login": "signing in",
}


def send_code(
    session: Session,
    *,
    phone: str,
    purpose: str,
    notifier: SmsQueue,
    key: bytes,
    at: datetime,
) -> None:
    """Issue a fresh code (earlier unused ones stop working) and queue the SMS."""
    session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.phone == phone,
            OneTimeCode.purpose == purpose,
            OneTimeCode.used_at.is_(None),
        )
        .values(used_at=at)
    )
    code = new_code()
    row = OneTimeCode(
        phone=phone,
        purpose=purpose,
        code_hash=code_hash(key, phone, purpose, code),
        expires_at=at + CODE_TTL,
        created_at=at,
    )
    session.add(row)
    session.flush()
    minutes = int(CODE_TTL.total_seconds() // 60)
    text = (
        f"【时间银行】验证码 {code}，用于{PURPOSES[purpose]}，{minutes}分钟内有效。请勿告诉他人。"
    )
    text_en = (
        f"[Time Bank] Code {code} for {PURPOSES_EN[purpose]}, valid for {minutes} minutes. "
        "Do not tell anyone."
    )
    notifier.send_sms(
        session,
        phone=phone,
        text=text,
        text_en=text_en,
        at=at,
        key=f"code:{row.id}",
        kind="code",
        params={"code": code},
    )


def use_code(
    session: Session, *, phone: str, purpose: str, code: str, key: bytes, at: datetime
) -> bool:
    """True (and the code is spent) when ``code`` is the live one; every try counts."""
    row = session.execute(
        select(OneTimeCode)
        .where(
            OneTimeCode.phone == phone,
            OneTimeCode.purpose == purpose,
            OneTimeCode.used_at.is_(None),
        )
        .order_by(OneTimeCode.id.desc())
        .limit(1)
        .with_for_update()
    ).scalar_one_or_none()
    if row is None or row.expires_at <= at or row.attempts >= MAX_ATTEMPTS:
        return False
    row.attempts += 1
    if not same(row.code_hash, code_hash(key, phone, purpose, code.strip())):
        session.flush()
        return False
    row.used_at = at
    session.flush()
    return True
