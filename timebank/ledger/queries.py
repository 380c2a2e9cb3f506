"""Reads of transfers, scoped for the actor: a district admin sees transfers touching people
of their district; the city admin and auditors every one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.auth.scope import CITYWIDE
from timebank.errors import NotFound
from timebank.ledger.models import Account, Transfer
from timebank.people.models import Person


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
