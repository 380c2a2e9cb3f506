"""The in-app inbox: every notice addressed to a person, whether or not an SMS went out; and
the staff's list of notices that were given up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from timebank.errors import NotFound
from timebank.notices.models import Notice


def inbox(session: Session, *, person_id: int, limit: int = 50) -> list[Notice]:
    """Newest first. The caller has checked that the actor may read this person's notices."""
    return list(
        session.execute(
            select(Notice)
            .where(Notice.person_id == person_id)
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(limit)
        ).scalars()
    )


def unread_count(session: Session, *, person_id: int) -> int:
    return session.execute(
        select(func.count())
        .select_from(Notice)
        .where(Notice.person_id == person_id, Notice.read_at.is_(None))
    ).scalar_one()


def mark_read(session: Session, *, person_id: int, notice_id: int, at: datetime) -> Notice:
    """Mark one of the person's notices read (again is a no-op); another's is not found."""
    notice = session.get(Notice, notice_id)
    if notice is None or notice.person_id != person_id:
        raise NotFound(f"notice {notice_id} not found", field="notice_id")
    if notice.read_at is None:
        notice.read_at = at
        session.flush()
    return notice


def mark_all_read(session: Session, *, person_id: int, at: datetime) -> int:
    done = session.execute(
        update(Notice)
        .where(Notice.person_id == person_id, Notice.read_at.is_(None))
        .values(read_at=at)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(done, "rowcount", 0) or 0)


def given_up(session: Session, *, limit: int = 200) -> list[Notice]:
    """Notices no attempt delivered, newest first, for staff to follow up by hand."""
    return list(
        session.execute(
            select(Notice)
            .where(Notice.status == "given_up")
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(limit)
        ).scalars()
    )


def sms_outbox(session: Session, *, limit: int = 50) -> list[Notice]:
    """Development: the latest SMS notices (codes one would receive on a phone)."""
    return list(
        session.execute(
            select(Notice).where(Notice.channel == "sms").order_by(Notice.id.desc()).limit(limit)
        ).scalars()
    )
