"""Writing the audit trail, in the caller's transaction: an act and its record commit together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.audit.models import AuditEntry, ConsentRecord, DataAccess
from timebank.errors import InvalidInput

PRIVACY_POLICY_VERSION = "2026-01"
STAFF_READERS = frozenset({Role.STATION, Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.AUDITOR})


def record_act(
    session: Session,
    *,
    actor: Actor,
    act: str,
    target: dict[str, Any],
    status: int,
    at: datetime,
    moves_coins: bool = False,
    request_id: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=at,
        user_id=actor.user_id,
        role=actor.role.value,
        actor=actor.label[:80],
        on_behalf_of=actor.on_behalf_of,
        district_code=actor.district_code,
        act=act,
        target=target,
        moves_coins=moves_coins,
        status=status,
        request_id=request_id,
    )
    session.add(entry)
    return entry


def log_access(
    session: Session,
    *,
    actor: Actor,
    person_id: int | None,
    scope: str,
    purpose: str,
    act: str,
    at: datetime,
) -> None:
    """Log a staff read of personal data; a person reading their own data is not logged."""
    if actor.role not in STAFF_READERS:
        return
    if person_id is not None and actor.acts_as(person_id) and actor.role is not Role.STATION:
        return
    session.add(
        DataAccess(
            at=at,
            user_id=actor.user_id,
            actor=actor.label[:80],
            person_id=person_id,
            scope=scope[:120],
            purpose=(purpose.strip() or act)[:200],
            act=act,
        )
    )


def record_consent(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    kind: str,
    given: bool,
    at: datetime,
    guardian_id: int | None = None,
    evidence: str | None = None,
) -> ConsentRecord:
    if kind not in ("personal_data", "guardian", "sensitive_minor"):
        raise InvalidInput("kind is personal_data, guardian or sensitive_minor", field="kind")
    row = ConsentRecord(
        person_id=person_id,
        kind=kind,
        given=given,
        given_by=actor.label[:80],
        guardian_id=guardian_id,
        policy_version=PRIVACY_POLICY_VERSION,
        evidence=evidence,
        at=at,
    )
    session.add(row)
    session.flush()
    return row


def consents_of(session: Session, person_id: int) -> list[ConsentRecord]:
    return list(
        session.execute(
            select(ConsentRecord)
            .where(ConsentRecord.person_id == person_id)
            .order_by(ConsentRecord.id)
        ).scalars()
    )
