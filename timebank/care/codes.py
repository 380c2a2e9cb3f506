"""Elders' rotating check-in codes: TOTP (RFC 6238), 6 digits, a new code every 60 seconds.

The volunteer types the digits the elder's screen (or paper card at the station) shows, or
scans them as a QR code. One step of clock skew either way is accepted.
"""

from __future__ import annotations

import io
import os
from datetime import datetime

import qrcode
import qrcode.image.svg
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from sqlalchemy.orm import Session

from timebank.care.models import ElderCode
from timebank.people.crypto import PiiVault, default_vault

STEP_SECONDS = 60
DIGITS = 6
QR_PREFIX = "timebank-checkin:"


def _totp(secret: bytes) -> TOTP:
    return TOTP(secret, DIGITS, SHA1(), STEP_SECONDS, enforce_key_length=True)


def _secret(session: Session, elder_id: int, vault: PiiVault, at: datetime) -> bytes:
    row = session.get(ElderCode, elder_id)
    if row is None:
        row = ElderCode(
            person_id=elder_id, secret_cipher=vault.encrypt(os.urandom(20).hex()), created_at=at
        )
        session.add(row)
        session.flush()
    return bytes.fromhex(vault.decrypt(row.secret_cipher))


def current_code(
    session: Session, *, elder_id: int, at: datetime, vault: PiiVault | None = None
) -> str:
    """The code an elder shows now (creating the elder's secret on first use)."""
    secret = _secret(session, elder_id, vault or default_vault(), at)
    return _totp(secret).generate(int(at.timestamp())).decode()


def code_matches(
    session: Session, *, elder_id: int, code: str, at: datetime, vault: PiiVault | None = None
) -> bool:
    code = code.strip().removeprefix(QR_PREFIX)
    if len(code) != DIGITS or not code.isdigit():
        return False
    totp = _totp(_secret(session, elder_id, vault or default_vault(), at))
    now = int(at.timestamp())
    return any(totp.generate(now + skew * STEP_SECONDS).decode() == code for skew in (-1, 0, 1))


def qr_svg(code: str) -> str:
    """The code as an SVG QR image (for the elder's screen and printed cards)."""
    image = qrcode.make(
        QR_PREFIX + code, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2
    )
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode()
