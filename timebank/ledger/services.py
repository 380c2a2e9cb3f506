"""Ledger use cases: each checks its rules, then posts through ``core.post_transfers``.

Verb-first, keyword arguments, an explicit actor, the caller's session; none commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from timebank import domain_events
from timebank.actors import Actor, Role
from timebank.clock import LOCAL_TZ, local_date
from timebank.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from timebank.ledger import rules
from timebank.ledger.core import Posted, TransferSpec, post_transfers
from timebank.ledger.models import ISSUANCE_ID, POOL_ID, REDEMPTION_ID, Account, Transfer
from timebank.ledger.shapes import check_amount
from timebank.people.models import Person
from timebank.policy import Policy

T: Table = Transfer.__table__  # type: ignore[assignment]
A: Table = Account.__table__  # type: ignore[assignment]
P: Table = Person.__table__  # type: ignore[assignment]

# credit_service, built once (SQLAlchemy caches the compiled forms). 1: the volunteer's status
# and earned account, the account locked FOR UPDATE (only it, not the person).
_EARNED_FOR_UPDATE = (
    select(
        P.c.status,
        P.c.birth_date,
        A.c.id,
        A.c.kind,
        A.c.balance,
        A.c.pending,
        A.c.service_minutes,
        A.c.allow_negative,
        A.c.tracked,
    )
    .select_from(P.join(A, and_(A.c.person_id == P.c.id, A.c.kind == "earned")))
    .where(P.c.id == bindparam("person_id"))
    .with_for_update(of=A)
)
# 2: under that lock, whether the key is taken and the minutes already credited that day.
_KEY_AND_DAY = select(
    select(T.c.id).where(T.c.key == bindparam("key")).scalar_subquery(),
    select(func.coalesce(func.sum(T.c.amount), 0))
    .where(
        T.c.credit_account_id == bindparam("account_id"),
        T.c.kind == "service_credit",
        T.c.value_date == bindparam("day"),
    )
    .scalar_subquery(),
)


def open_accounts(session: Session, *, person_id: int, at: datetime) -> tuple[int, int]:
    """Create (or find) a person's ``earned`` and ``received`` accounts."""
    ids: dict[str, int] = {
        kind: account_id
        for kind, account_id in session.execute(
            select(Account.kind, Account.id).where(Account.person_id == person_id)
        ).tuples()
    }
    for kind in ("earned", "received"):
        if kind not in ids:
            account = Account(kind=kind, person_id=person_id, tracked=True, created_at=at)
            session.add(account)
            session.flush()
            ids[kind] = account.id
    return ids["earned"], ids["received"]


def lock_accounts(session: Session, account_ids: list[int]) -> None:
    """Lock tracked accounts FOR UPDATE in ascending id order and refresh the loaded rows."""
    session.execute(
        select(Account)
        .where(Account.id.in_(sorted(set(account_ids))))
        .order_by(Account.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


def account_of(session: Session, person_id: int, kind: str) -> Account:
    account = session.execute(
        select(Account).where(Account.person_id == person_id, Account.kind == kind)
    ).scalar_one_or_none()
    if account is None:
        raise NotFound(f"person {person_id} has no {kind} account", field="person_id")
    return account


def _facts(session: Session, person_id: int, field: str) -> rules.PersonFacts:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}", field=field)
    return rules.PersonFacts(id=person.id, status=person.status, birth_date=person.birth_date)


def _require_district(session: Session, actor: Actor, districts: Select[tuple[str]]) -> None:
    """A district admin acts only on coins of people in their own district (DESIGN §1)."""
    if actor.role is not Role.DISTRICT_ADMIN:
        return
    found = set(session.execute(districts).scalars())
    # Coins of no person (the pool's own) are the city's; the engine judges those transfers.
    if found and actor.district_code not in found:
        raise PermissionDenied("these coins belong to another district", rule="district_scope")


def _relation(session: Session, person_id: int, other_id: int) -> str | None:
    from timebank.people.services import verified_relation

    return verified_relation(session, person_id, other_id)


def _sum(session: Session, *conds: ColumnElement[bool]) -> tuple[int, int]:
    row = session.execute(
        select(func.coalesce(func.sum(T.c.amount), 0), func.count()).where(and_(*conds))
    ).one()
    return int(row[0]), int(row[1])


def credited_on(session: Session, *, earned_account_id: int, day: date) -> int:
    """Service minutes credited to an account for one local day."""
    credited, _ = _sum(
        session,
        T.c.credit_account_id == earned_account_id,
        T.c.kind == "service_credit",
        T.c.value_date == day,
    )
    # Reversed (fraudulent) credits do not give the day's room back.
    return credited


_LOCKED = ("id", "kind", "balance", "pending", "service_minutes", "allow_negative", "tracked")


def credit_service(
    session: Session,
    *,
    actor: Actor,
    key: str,
    volunteer_id: int,
    duration_minutes: int,
    started_at: datetime,
    reference: str,
    policy: Policy,
    at: datetime,
) -> Posted | None:
    """Mint the volunteer's credit for a confirmed visit, rounded and capped by policy.

    Returns None when nothing is creditable (shorter than a unit, or the day's cap is used).
    """
    actor.require(Role.STATION, Role.ELDER, Role.PROXY, Role.DISTRICT_ADMIN, rule="confirm")
    if session.autoflush:  # as session.get / an ORM query would
        session.flush()
    conn = session.connection()  # Core statements built once: no ORM work per execution
    row = conn.execute(_EARNED_FOR_UPDATE, {"person_id": volunteer_id}).one_or_none()
    if row is None:  # no such person, or no earned account: raise what the rules say
        volunteer = _facts(session, volunteer_id, "volunteer_id")
        rules.require_can_move(volunteer, role="volunteer")
        account_of(session, volunteer_id, "earned")
        row = conn.execute(_EARNED_FOR_UPDATE, {"person_id": volunteer_id}).one()
    # A person this session has loaded is judged as loaded, as session.get would give it.
    loaded = session.identity_map.get(identity_key(Person, volunteer_id))
    volunteer = rules.PersonFacts(
        id=volunteer_id,
        status=loaded.status if loaded is not None else row.status,
        birth_date=loaded.birth_date if loaded is not None else row.birth_date,
    )
    rules.require_can_move(volunteer, role="volunteer")
    earned = {c: row._mapping[c] for c in _LOCKED}
    day = local_date(started_at)
    # The earned account is locked (above) before the day's total is read, so two
    # confirmations of the same day cannot both see room under the cap.
    already, credited_today = conn.execute(
        _KEY_AND_DAY, {"key": key, "account_id": earned["id"], "day": day}
    ).one()
    # Reversed (fraudulent) credits do not give the day's room back.
    amount = rules.credit_minutes(duration_minutes, int(credited_today), policy)
    if already is None and amount == 0:
        return None
    spec = TransferSpec(
        key=key,
        kind="service_credit",
        debit_account_id=ISSUANCE_ID,
        credit_account_id=earned["id"],
        amount=amount if already is None else None,
        reference=reference,
        value_date=day,
    )
    if already is not None:  # a retry: replay exactly what was credited the first time
        original = session.get(Transfer, already)
        assert original is not None
        spec = TransferSpec(**{**spec.__dict__, "amount": original.amount})
        return post_transfers(session, [spec], actor=actor.label, at=at)[0]
    # The key was free under the lock and the account is locked: post without asking again.
    return post_transfers(
        session,
        [spec],
        actor=actor.label,
        at=at,
        locked={earned["id"]: earned},
        keys_checked=True,
    )[0]


def _year_totals(
    session: Session, giver_accounts: list[int], recipient_received: int, year: int
) -> tuple[int, int, int]:
    """What the giver gave this local calendar year (from either of their accounts): minutes,
    count, and to this recipient."""
    in_year = and_(
        T.c.kind == "gift",
        T.c.created_at >= datetime(year, 1, 1, tzinfo=LOCAL_TZ),
        T.c.created_at < datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ),
    )
    total, count = _sum(session, in_year, T.c.debit_account_id.in_(giver_accounts))
    to_recipient, _ = _sum(
        session,
        in_year,
        T.c.debit_account_id.in_(giver_accounts),
        T.c.credit_account_id == recipient_received,
    )
    return total, count, to_recipient


def gift(
    session: Session,
    *,
    actor: Actor,
    key: str,
    giver_id: int,
    recipient_id: int,
    amount: int,
    source: str = "earned",
    policy: Policy,
    at: datetime,
) -> Posted:
    """Give coins to a verified direct relative. Irrevocable. ``source`` is the giver's account
    paid from: ``earned`` (own service), or ``received`` (coins gifted to them) only when the
    policy allows re-gifting (``Policy.regift_allowed``)."""
    actor.require_self_or_proxy(giver_id)
    check_amount(amount)
    if source not in ("earned", "received"):
        raise InvalidInput("source must be 'earned' or 'received'", field="source")
    giver = _facts(session, giver_id, "giver_id")
    recipient = _facts(session, recipient_id, "recipient_id")
    paid_from = account_of(session, giver_id, source)
    giver_accounts = [account_of(session, giver_id, kind).id for kind in ("earned", "received")]
    received = account_of(session, recipient_id, "received")
    # Both accounts, ascending (DESIGN §3), before the year's totals are read.
    lock_accounts(session, [paid_from.id, received.id])
    if session.execute(select(T.c.id).where(T.c.key == key)).scalar_one_or_none() is None:
        total, count, to_recipient = _year_totals(
            session, giver_accounts, received.id, local_date(at).year
        )
        rules.require_can_gift(
            giver,
            recipient,
            _relation(session, giver_id, recipient_id),
            gifted_this_year=total,
            gifts_this_year=count,
            to_recipient_this_year=to_recipient,
            amount=amount,
            source=source,
            policy=policy,
        )
    spec = TransferSpec(
        key=key,
        kind="gift",
        debit_account_id=paid_from.id,
        credit_account_id=received.id,
        amount=amount,
        reference=f"person:{recipient_id}",
    )
    posted = post_transfers(session, [spec], actor=actor.label, at=at)[0]
    domain_events.record(session, "gift", posted.id)
    return posted


def donate(
    session: Session,
    *,
    actor: Actor,
    key: str,
    donor_id: int,
    amount: int,
    source: str = "earned",
    at: datetime,
) -> Posted:
    """Donate coins to the city pool, which funds care for priority elders."""
    actor.require_self_or_proxy(donor_id)
    check_amount(amount)
    if source not in ("earned", "received"):
        raise InvalidInput("source must be 'earned' or 'received'", field="source")
    rules.require_can_move(_facts(session, donor_id, "donor_id"), role="donor")
    account = account_of(session, donor_id, source)
    spec = TransferSpec(
        key=key,
        kind="donation",
        debit_account_id=account.id,
        credit_account_id=POOL_ID,
        amount=amount,
    )
    posted = post_transfers(session, [spec], actor=actor.label, at=at)[0]
    domain_events.record(session, "donation", posted.id)
    return posted


def allocate_from_pool(
    session: Session,
    *,
    actor: Actor,
    key: str,
    elder_id: int,
    amount: int,
    reason: str,
    at: datetime,
) -> Posted:
    """Give pool coins to a priority elder's ``received`` account (staff only)."""
    actor.require(Role.DISTRICT_ADMIN, Role.CITY_ADMIN, rule="pool_allocation")
    check_amount(amount)
    if not reason.strip():
        raise InvalidInput("a reason is required for a pool allocation", field="reason")
    elder = _facts(session, elder_id, "elder_id")
    _require_district(session, actor, select(Person.district_code).where(Person.id == elder_id))
    if elder.status in ("deceased", "exited"):
        raise RuleViolation(f"the elder is {elder.status}", rule="recipient_inactive")
    received = account_of(session, elder_id, "received")
    spec = TransferSpec(
        key=key,
        kind="allocation",
        debit_account_id=POOL_ID,
        credit_account_id=received.id,
        amount=amount,
        reference=f"person:{elder_id}",
        memo=reason,
    )
    return post_transfers(session, [spec], actor=actor.label, at=at)[0]


def hold_for_care(
    session: Session,
    *,
    actor: Actor,
    key: str,
    holder_id: int,
    beneficiary_id: int,
    amount: int,
    reference: str,
    policy: Policy,
    at: datetime,
) -> list[Posted]:
    """Hold coins for care the holder (or spouse, 60+) will receive: received coins first,
    then earned ones, so own-earned coins keep counting toward the 10,000 rule longest."""
    check_amount(amount)
    holder = _facts(session, holder_id, "holder_id")
    beneficiary = _facts(session, beneficiary_id, "beneficiary_id")
    relation = (
        _relation(session, holder_id, beneficiary_id) if holder_id != beneficiary_id else None
    )
    rules.require_can_redeem(holder, beneficiary, relation, on=local_date(at), policy=policy)
    earned = account_of(session, holder_id, "earned")
    received = account_of(session, holder_id, "received")
    # Decide the split on locked, fresh balances: a concurrent spend cannot slip in between.
    lock_accounts(session, [earned.id, received.id])
    existing = (
        session.execute(
            select(Transfer).where(Transfer.key.in_([f"{key}:received", f"{key}:earned"]))
        )
        .scalars()
        .all()
    )
    if existing:  # a retry: replay the same split, if it is the same request
        parts = {t.key.rsplit(":", 1)[1]: t.amount for t in existing}
        if sum(parts.values()) != amount:
            raise IdempotencyConflict(
                f"key {key!r} already holds {sum(parts.values())} minutes, not {amount}",
                field="key",
            )
    else:
        from_received = min(amount, max(received.balance - received.pending, 0))
        parts = {"received": from_received, "earned": amount - from_received}
    accounts = {"received": received.id, "earned": earned.id}
    specs = [
        TransferSpec(
            key=f"{key}:{source}",
            kind="service_payment",
            phase="pending",
            debit_account_id=accounts[source],
            credit_account_id=REDEMPTION_ID,
            amount=minutes,
            reference=reference,
        )
        for source, minutes in parts.items()
        if minutes > 0
    ]
    return post_transfers(session, specs, actor=actor.label, at=at)


def hold_for_admission(
    session: Session, *, actor: Actor, key: str, person_id: int, amount: int, at: datetime
) -> Posted:
    """Hold own-earned coins while an application to a public care home (the 10,000 rule) is
    decided: posted if it is approved, voided if it is rejected or withdrawn."""
    earned = account_of(session, person_id, "earned")
    spec = TransferSpec(
        key=key,
        kind="admission",
        phase="pending",
        debit_account_id=earned.id,
        credit_account_id=REDEMPTION_ID,
        amount=check_amount(amount),
        reference=f"admission:person:{person_id}",
    )
    return post_transfers(session, [spec], actor=actor.label, at=at)[0]


def usable_balance(session: Session, *, person_id: int) -> int:
    """What a person can spend or hold now: both accounts' balances less what is held."""
    accounts = session.execute(select(Account).where(Account.person_id == person_id)).scalars()
    return sum(a.balance - a.pending for a in accounts)


def open_holds(session: Session, *, reference: str) -> list[int]:
    """The pending holds made for ``reference`` (e.g. ``need:42``) that are neither posted nor
    voided yet, oldest first."""
    resolved = select(Transfer.pending_id).where(Transfer.pending_id.is_not(None))
    return list(
        session.execute(
            select(Transfer.id)
            .where(
                Transfer.reference == reference,
                Transfer.phase == "pending",
                Transfer.id.not_in(resolved),
            )
            .order_by(Transfer.id)
        ).scalars()
    )


def hold_from_pool(
    session: Session, *, actor: Actor, key: str, amount: int, reference: str, at: datetime
) -> Posted:
    """Hold pool coins for a pool-funded need (a priority elder's care)."""
    actor.require(Role.STATION, Role.DISTRICT_ADMIN, Role.CITY_ADMIN, rule="pool_hold")
    spec = TransferSpec(
        key=key,
        kind="service_payment",
        phase="pending",
        debit_account_id=POOL_ID,
        credit_account_id=REDEMPTION_ID,
        amount=check_amount(amount),
        reference=reference,
    )
    return post_transfers(session, [spec], actor=actor.label, at=at)[0]


def settle_holds(
    session: Session, *, actor: Actor, key: str, hold_ids: list[int], amount: int, at: datetime
) -> list[Posted]:
    """Post ``amount`` minutes across the holds in order and void what is left of them.

    Each part of a service payment posted from a person's account is recorded as the domain
    event ``("redemption", transfer id)`` for the supervision checks after commit."""
    if amount < 0:
        raise InvalidInput("amount cannot be negative", field="amount")
    holds = (
        session.execute(select(Transfer).where(Transfer.id.in_(hold_ids)).order_by(Transfer.id))
        .scalars()
        .all()
    )
    if len(holds) != len(set(hold_ids)):
        raise NotFound("a hold to settle does not exist", field="hold_ids")
    if amount > sum(h.amount for h in holds):
        raise InvalidInput("cannot post more than was held", field="amount")
    specs, left = [], amount
    for hold in holds:
        take = min(left, hold.amount)
        left -= take
        phase = "post" if take else "void"
        specs.append(
            TransferSpec(
                key=f"{key}:{hold.id}",
                kind=hold.kind,
                phase=phase,
                pending_id=hold.id,
                amount=take or None,
                reference=hold.reference,
            )
        )
    posted = post_transfers(session, specs, actor=actor.label, at=at)
    for p in posted:
        # A person's coins spent on care: a redemption (the pool's spending is the city's).
        if p.kind == "service_payment" and p.phase == "post" and p.debit_account_id != POOL_ID:
            domain_events.record(session, "redemption", p.id)
    return posted


def reverse(
    session: Session,
    *,
    actor: Actor,
    key: str,
    transfer_id: int,
    reason: str,
    at: datetime,
) -> Posted:
    """Undo a posted transfer with a new one in the opposite direction (at most once)."""
    actor.require(Role.DISTRICT_ADMIN, Role.CITY_ADMIN, rule="reversal")
    if not reason.strip():
        raise InvalidInput("a reason is required for a reversal", field="reason")
    original = session.get(Transfer, transfer_id)
    if original is None:
        raise NotFound(f"no transfer {transfer_id}", field="transfer_id")
    _require_district(
        session,
        actor,
        select(Person.district_code)
        .join(Account, Account.person_id == Person.id)
        .where(Account.id.in_([original.debit_account_id, original.credit_account_id])),
    )
    spec = TransferSpec(
        key=key, kind="reversal", reverses_id=transfer_id, memo=reason, reference=None
    )
    return post_transfers(session, [spec], actor=actor.label, at=at)[0]


def restore_memo(reversal_id: int) -> str:
    """The memo that names the reversal a restoring transfer corrects (and finds it again)."""
    return f"restores reversal {reversal_id}"


def restore_reversed(
    session: Session,
    *,
    actor: Actor,
    key: str,
    reversal_id: int,
    reason: str,
    at: datetime,
) -> Posted:
    """Give back what a reversal took, by a new transfer repeating the reversed one (same kind,
    accounts, amount, reference and value date), its memo naming the reversal. Reversals cannot
    themselves be reversed (I5), and nothing is edited: the reversal stays in the ledger.

    A reversal is restored at most once: the same ``key`` replays the first result, another
    key is refused."""
    actor.require(Role.DISTRICT_ADMIN, Role.CITY_ADMIN, rule="restore")
    why = reason.strip()
    if not why:
        raise InvalidInput("a reason is required to restore a reversed transfer", field="reason")
    reversal = session.get(Transfer, reversal_id)
    if reversal is None:
        raise NotFound(f"no transfer {reversal_id}", field="reversal_id")
    if reversal.kind != "reversal" or reversal.reverses_id is None:
        raise InvalidInput(f"transfer {reversal_id} is not a reversal", field="reversal_id")
    original = session.get(Transfer, reversal.reverses_id)
    assert original is not None  # a foreign key
    _require_district(
        session,
        actor,
        select(Person.district_code)
        .join(Account, Account.person_id == Person.id)
        .where(Account.id.in_([original.debit_account_id, original.credit_account_id])),
    )
    memo = restore_memo(reversal.id)
    same_reference = (
        T.c.reference.is_(None)
        if original.reference is None
        else T.c.reference == original.reference
    )
    earlier = session.execute(
        select(T.c.key).where(
            same_reference,
            T.c.kind == original.kind,
            T.c.memo.like(f"{memo}:%"),
        )
    ).scalar()
    if earlier is not None and earlier != key:
        raise Conflict(
            f"reversal {reversal.id} was already restored", rule="restore_once", field="reversal_id"
        )
    spec = TransferSpec(
        key=key,
        kind=original.kind,
        debit_account_id=original.debit_account_id,
        credit_account_id=original.credit_account_id,
        amount=original.amount,
        reference=original.reference,
        value_date=original.value_date,
        memo=f"{memo}: {why}"[:500],
    )
    return post_transfers(session, [spec], actor=actor.label, at=at)[0]


def allow_debt(session: Session, *, person_id: int) -> None:
    """Let reversals drive a sanctioned person's accounts below zero; the debt stays visible."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}", field="person_id")
    if person.status != "disqualified":
        raise RuleViolation(
            "debt is allowed only on a disqualified person's accounts", rule="debt_only_sanctioned"
        )
    for account in session.execute(select(Account).where(Account.person_id == person_id)).scalars():
        account.allow_negative = True
    session.flush()


@dataclass(frozen=True)
class Balances:
    earned: int
    received: int
    held: int
    service_minutes: int
    star_level: int
    admission_eligible: bool

    @property
    def available(self) -> int:
        return self.earned + self.received - self.held


def balances(session: Session, *, person_id: int, policy: Policy) -> Balances:
    earned = account_of(session, person_id, "earned")
    received = account_of(session, person_id, "received")
    return Balances(
        earned=earned.balance,
        received=received.balance,
        held=earned.pending + received.pending,
        service_minutes=earned.service_minutes,
        star_level=rules.star_level(earned.service_minutes, policy),
        admission_eligible=rules.admission_eligible(
            earned.service_minutes, earned.balance - earned.pending, policy
        ),
    )


def settle_estate(session: Session, *, actor: Actor, person_id: int, at: datetime) -> list[Posted]:
    """On death, a person's available coins go to the beneficiary they named (a verified direct
    relative, still living), else to the city pool [policy L2, INF]. Coins still held for
    open needs stay until those holds are posted or voided. Running it again changes nothing."""
    actor.require(Role.STATION, Role.DISTRICT_ADMIN, Role.CITY_ADMIN, rule="estate")
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}", field="person_id")
    if person.status != "deceased":
        raise RuleViolation("coins pass on only after a recorded death", rule="estate_deceased")
    heir = session.get(Person, person.beneficiary_id) if person.beneficiary_id else None
    target = POOL_ID
    if (
        heir is not None
        and heir.status not in ("deceased", "exited")
        and _relation(session, person_id, heir.id) in rules.DIRECT_RELATIONS
    ):
        target = account_of(session, heir.id, "received").id
    specs = []
    for kind in ("earned", "received"):
        account = account_of(session, person_id, kind)
        key = f"estate:{person_id}:{kind}"
        done = session.execute(select(Transfer).where(Transfer.key == key)).scalar_one_or_none()
        amount = done.amount if done else account.balance - account.pending
        if amount > 0:
            specs.append(
                TransferSpec(
                    key=key,
                    kind="bequest",
                    debit_account_id=account.id,
                    credit_account_id=done.credit_account_id if done else target,
                    amount=amount,
                    reference=f"person:{person_id}",
                )
            )
    return post_transfers(session, specs, actor=actor.label, at=at) if specs else []
