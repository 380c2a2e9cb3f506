"""Read scoping: who may see a person, a need, a visit. Out of scope reads as 404, so the API
never confirms that someone it will not show exists."""

from __future__ import annotations

from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.care.admission import AdmissionApplication
from timebank.care.models import Need, Visit
from timebank.errors import NotFound
from timebank.ledger.models import Account, Transfer
from timebank.people.models import Person

CITYWIDE = (Role.CITY_ADMIN, Role.AUDITOR, Role.SYSTEM)


def sees_district(actor: Actor, district_code: str) -> bool:
    if actor.role in CITYWIDE:
        return True
    staff = actor.role in (Role.STATION, Role.DISTRICT_ADMIN)
    return staff and actor.district_code == district_code


def person(session: Session, actor: Actor, person_id: int) -> Person:
    found = session.get(Person, person_id)
    if found is None or not (actor.acts_as(found.id) or sees_district(actor, found.district_code)):
        raise NotFound(f"no person {person_id}", field="person_id")
    return found


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


def transfer(session: Session, actor: Actor, transfer_id: int) -> Transfer:
    """A transfer touching a person of the actor's district (a district admin's corrections)."""
    found = session.get(Transfer, transfer_id)
    if found is None:
        raise NotFound(f"no transfer {transfer_id}", field="transfer_id")
    if actor.role in CITYWIDE:
        return found
    districts = set()
    for account_id in (found.debit_account_id, found.credit_account_id):
        account = session.get(Account, account_id)
        owner = session.get(Person, account.person_id) if account and account.person_id else None
        if owner is not None:
            districts.add(owner.district_code)
    if actor.district_code not in districts:
        raise NotFound(f"no transfer {transfer_id} in your district", field="transfer_id")
    return found
