"""``timebank demo``: build the demo city into an empty database, in one transaction.

Phases: plan (pure and seeded: places, people, a simulated year), places, people, records,
accounts, activity (batched posting), optionally fraud (``supervision.plant.inject_fraud``
at known rates, in the same transaction), then a seal in its own transaction so that
``timebank ledger verify`` is green straight away. Nothing is written when the database
already holds people: ``if_empty`` makes that a quiet no-op, otherwise it is refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from timebank.config import Settings
from timebank.db import transaction
from timebank.demo import persist
from timebank.demo.activity import Activity, simulate
from timebank.demo.calendar import DAYS, SEAL_AT
from timebank.demo.care_rows import insert_care
from timebank.demo.families import Population, build_population
from timebank.demo.fraud import Planted, Rates, inject_fraud
from timebank.demo.places import insert_places, plan_places
from timebank.demo.plan import DemoPlan, Size, make_plan
from timebank.demo.posting import count_specs, post_year
from timebank.demo.progress import Advance, Reporter, Silent
from timebank.demo.specs import Ids
from timebank.errors import Conflict, RuleViolation
from timebank.ledger.audit import seal_transfers
from timebank.ledger.models import Transfer
from timebank.people.crypto import PiiVault
from timebank.people.models import Person
from timebank.policy_store import load_policy

SEAL_PATIENCE_S = 10.0  # how long to wait for other clients' transactions to end


@dataclass
class DemoResult:
    seed: int
    size: Size
    people: int = 0
    volunteers: int = 0
    elders: int = 0
    students: int = 0
    stations: int = 0
    care_homes: int = 0
    kinships: int = 0
    licences: int = 0
    visits: int = 0
    paid_visits: int = 0
    transfers: int = 0
    reversals: int = 0
    sealed: int = 0  # transfers covered by the seals made at the end
    seconds: dict[str, float] = field(default_factory=dict)
    planted: Planted | None = None  # the fraud injected, with its ground truth


@contextmanager
def _timed(result: DemoResult, phase: str) -> Iterator[None]:
    began = time.perf_counter()  # measures the run; never feeds the data
    yield
    result.seconds[phase] = result.seconds.get(phase, 0.0) + time.perf_counter() - began


def _require_empty(session: Session, if_empty: bool) -> bool:
    """True to go ahead; False to skip quietly (``if_empty``); refuses otherwise."""
    tables = inspect(session.connection())
    if not (tables.has_table("persons") and tables.has_table("ledger_transfers")):
        raise Conflict(
            "the database has no schema yet: run `timebank db upgrade` first",
            rule="schema_missing",
        )
    people = session.scalar(select(func.count()).select_from(Person)) or 0
    if people and not if_empty:
        raise Conflict(
            f"the database already holds {people:,} people; the demo seeds only an empty "
            "database (add --if-empty to skip quietly, or point TIMEBANK_DATABASE_URL at a "
            "new one)",
            rule="demo_needs_empty_database",
        )
    return not people


def _seal(
    factory: sessionmaker[Session], settings: Settings, expected: int, advance: Advance
) -> int:
    """Seal what the demo committed; returns how many transfers the new seals cover.

    A seal reads only committed transfers, so it runs after the commit in its own
    transaction. On PostgreSQL it also leaves out transfers newer than the oldest transaction
    still running anywhere on the server: while such a transaction lasts (another client's),
    the demo waits a little and tries again, then leaves the rest to ``timebank ledger seal``.
    """
    sealed = 0
    deadline = time.monotonic() + SEAL_PATIENCE_S
    while True:
        with transaction(factory) as session:
            seal = seal_transfers(session, settings=settings, at=SEAL_AT)
            session.commit()
        if seal is not None:
            sealed += seal.transfer_count
            advance(seal.transfer_count)
        if sealed >= expected or time.monotonic() > deadline:
            return sealed
        time.sleep(0.5)


def _summarise(result: DemoResult, plan: DemoPlan, pop: Population, act: Activity) -> None:
    result.people = len(pop.people)
    result.elders = pop.count("elder")
    result.volunteers = pop.count("volunteer")
    result.students = sum(p.is_student for p in pop.people)
    result.kinships = len(pop.kin)
    result.licences = len(pop.licences)
    result.visits = len(act.visits)
    result.paid_visits = sum(bool(v.holds) for v in act.visits)
    result.reversals = sum(m.kind == "reversal" for m in act.movements)


def run_demo(
    factory: sessionmaker[Session],
    *,
    settings: Settings,
    seed: int,
    size: Size | str,
    if_empty: bool = False,
    reporter: Reporter | None = None,
    extras: Callable[[Session], None] | None = None,
    fraud: Rates | None = None,
) -> DemoResult | None:
    """Seed the demo city; None when ``if_empty`` found people already there.

    ``fraud``: plant every supervision pattern into the city at these rates (per 1,000
    visits; station patterns per 100 busy station-months), labelled in ``result.planted``.

    Refused before anything is read or written when ``settings.env`` is ``prod``: a demo city
    is invented people, places and coins, and has no place in a city's real records."""
    if settings.env == "prod":
        raise RuleViolation(
            "the demo city is never seeded into a production database (TIMEBANK_ENV=prod); "
            "use a dev or test database",
            rule="demo_not_in_production",
        )
    plan = make_plan(seed, size)
    report = reporter or Silent()
    result = DemoResult(seed=seed, size=plan.size)
    with transaction(factory) as session:
        if not _require_empty(session, if_empty):
            return None
        policy = load_policy(session)
        with _timed(result, "plan"), report.phase("plan", DAYS) as advance:
            places = plan_places(plan)
            pop = build_population(plan, places, policy.qualification_types)
            activity = simulate(plan, pop, policy, on_day=advance)
        _summarise(result, plan, pop, activity)
        result.stations = places.stations
        result.care_homes = len(places.orgs) - places.stations
        first = persist.first_ids(session)
        with _timed(result, "places"):
            insert_places(session, places, first_org_id=first.org)
        vault = PiiVault(settings.secret_key.get_secret_value())
        with _timed(result, "people"), report.phase("people", len(pop.people)) as advance:
            persist.insert_people(session, pop, first, vault, advance)
        records = sum(p.trained is not None for p in pop.people) + len(pop.kin) + len(pop.licences)
        with _timed(result, "records"), report.phase("records", records) as advance:
            persist.insert_records(session, pop, first, advance)
        with _timed(result, "accounts"), report.phase("accounts", len(pop.people)) as advance:
            persist.insert_accounts(session, pop, first, advance)
            persist.align_sequences(session)
        ids = Ids(prefix=plan.prefix, first_person=first.person, first_account=first.account)
        with _timed(result, "activity"), report.phase("activity", count_specs(activity)) as advance:
            result.transfers = post_year(session, activity, ids, advance)
        with _timed(result, "care"), report.phase("care", len(activity.visits)) as advance:
            insert_care(
                session,
                pop,
                activity,
                first_person=first.person,
                first_org=first.org,
                advance=advance,
            )
        if fraud is not None:
            with _timed(result, "fraud"):
                result.planted = inject_fraud(session, seed=seed, rates=fraud, at=SEAL_AT)
                result.transfers += (
                    session.scalar(select(func.count()).where(Transfer.key.like(f"plant:{seed}:%")))
                    or 0
                )
        if extras is not None:  # e.g. sign-in accounts, in the same transaction and seal
            with _timed(result, "extras"):
                extras(session)
        with _timed(result, "commit"):
            session.commit()
    del activity, pop  # the seal holds every leaf in memory; make room
    with _timed(result, "seal"), report.phase("seal", result.transfers) as advance:
        result.sealed = _seal(factory, settings, result.transfers, advance)
    return result
