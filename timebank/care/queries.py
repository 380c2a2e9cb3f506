"""Reads of needs, visits and admission applications, scoped for the actor: the web pages and
the API share them. Out of scope reads as 404 (``auth.scope``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.auth.scope import sees_district
from timebank.care.admission import AdmissionApplication
from timebank.care.models import Need, Visit
from timebank.errors import NotFound


def need(session: Session, actor: Actor, need_id: int) -> Need:
    found = session.get(Need, need_id)
    visible = found is not None and (
        actor.acts_as(found.elder_id)
        or actor.acts_as(found.payer_id)
        or (found.volunteer_id is not None and actor.acts_as(found.volunteer_id))
        or (actor.role is Role.VOLUNTEER and found.status == "open")
        or sees_district(actor, found.district_code)
    )
    if found is None or not visible:
        raise NotFound(f"no need {need_id}", field="need_id")
    return found


def visit(session: Session, actor: Actor, visit_id: int) -> Visit:
    found = session.get(Visit, visit_id)
    if found is None:
        raise NotFound(f"no visit {visit_id}", field="visit_id")
    if actor.acts_as(found.volunteer_id) or actor.acts_as(found.elder_id):
        return found
    owner = session.get(Need, found.need_id)
    if owner is None or not sees_district(actor, owner.district_code):
        raise NotFound(f"no visit {visit_id}", field="visit_id")
    return found


def admission(session: Session, actor: Actor, application_id: int) -> AdmissionApplication:
    found = session.get(AdmissionApplication, application_id)
    if found is None or not (
        actor.acts_as(found.person_id) or sees_district(actor, found.district_code)
    ):
        raise NotFound(f"no admission application {application_id}", field="application_id")
    return found
