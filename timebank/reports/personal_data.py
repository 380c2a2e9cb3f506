"""A person's own data, all of it, in one JSON document (PIPL art. 45: the right to a copy)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.audit.models import AuditEntry, ConsentRecord, DataAccess
from timebank.auth.models import ProxyGrant, User
from timebank.care.models import Need, Visit, VolunteerProfile
from timebank.ledger.models import Account
from timebank.ledger.statement import statement
from timebank.people.models import Kinship, Person, Qualification, TrainingRecord
from timebank.people.services import get_person, reveal_id_number

FORMAT_VERSION = 1
_SECRET_COLUMNS = {"id_hash", "id_cipher", "password_hash", "code_hash", "token_hash"}


def _row(obj: Any) -> dict[str, Any]:
    return {
        c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in _SECRET_COLUMNS
    }


def _all(session: Session, query: Any) -> list[dict[str, Any]]:
    return [_row(r) for r in session.execute(query).scalars()]


def export_person_data(
    session: Session, *, actor: Actor, person_id: int, at: datetime
) -> dict[str, Any]:
    """Everything the time bank holds about the person; the actor must be them or their proxy."""
    actor.require_self_or_proxy(person_id)
    person = get_person(session, person_id)
    record = _row(person)
    record["id_number"] = reveal_id_number(session, actor=actor, person_id=person.id)
    users = session.execute(select(User).where(User.person_id == person.id)).scalars().all()
    user_ids = [u.id for u in users]
    pid = person.id
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": at,
        "person": record,
        "accounts": _all(session, select(Account).where(Account.person_id == pid)),
        "statement": [asdict(line) for line in statement(session, person_id=pid)],
        "training": _all(session, select(TrainingRecord).where(TrainingRecord.person_id == pid)),
        "qualifications": _all(
            session, select(Qualification).where(Qualification.person_id == pid)
        ),
        "kinships": _all(
            session,
            select(Kinship).where(or_(Kinship.person_id == pid, Kinship.relative_id == pid)),
        ),
        "volunteer_profile": _all(
            session, select(VolunteerProfile).where(VolunteerProfile.person_id == pid)
        ),
        "needs": _all(session, select(Need).where(or_(Need.elder_id == pid, Need.payer_id == pid))),
        "visits": _all(
            session, select(Visit).where(or_(Visit.volunteer_id == pid, Visit.elder_id == pid))
        ),
        "accounts_to_sign_in": [_row(u) for u in users],
        "proxy_grants": _all(
            session,
            select(ProxyGrant).where(
                or_(ProxyGrant.principal_id == pid, ProxyGrant.proxy_user_id.in_(user_ids))
            ),
        ),
        "consents": _all(session, select(ConsentRecord).where(ConsentRecord.person_id == pid)),
        "reads_of_my_data": _all(
            session, select(DataAccess).where(DataAccess.person_id == pid).order_by(DataAccess.id)
        ),
        "my_acts": _all(
            session,
            select(AuditEntry)
            .where(or_(AuditEntry.user_id.in_(user_ids), AuditEntry.on_behalf_of == pid))
            .order_by(AuditEntry.id),
        ),
    }


def access_log_of(session: Session, person_id: int) -> list[DataAccess]:
    return list(
        session.execute(
            select(DataAccess).where(DataAccess.person_id == person_id).order_by(DataAccess.id)
        ).scalars()
    )


__all__ = ["Person", "access_log_of", "export_person_data"]
