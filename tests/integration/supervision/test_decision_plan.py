"""A decision does what its plan says, and nothing else: the confirmation page states the plan
(``plans.plan_decision``), ``decide_case`` carries the same plan out."""

from __future__ import annotations

from sqlalchemy import select

from tests.integration.care.conftest import World
from tests.integration.supervision.test_sanctions import fraud_case
from timebank.ledger import services as ledger
from timebank.ledger.models import Transfer
from timebank.supervision import services as sv
from timebank.supervision.cases import get_case
from timebank.supervision.models import Sanction, UntrustworthyEntry
from timebank.supervision.plans import plan_decision


def effect(w: World, case_id: int) -> tuple[set[int], set[int], set[int]]:
    """(reversed transfers, disqualified people, listed institutions) of the case."""
    keys = f"case:{case_id}:reverse:%"
    reversed_ = w.session.execute(
        select(Transfer.reverses_id).where(Transfer.kind == "reversal", Transfer.key.like(keys))
    ).scalars()
    disqualified = w.session.execute(
        select(Sanction.person_id).where(
            Sanction.case_id == case_id, Sanction.kind == "disqualification"
        )
    ).scalars()
    listed = w.session.execute(
        select(UntrustworthyEntry.organisation_id).where(UntrustworthyEntry.case_id == case_id)
    ).scalars()
    return {t for t in reversed_ if t is not None}, set(disqualified), set(listed)


def test_the_preview_of_a_confirmed_fraud_is_its_effect(world: World) -> None:
    w = world
    case_id, _ = fraud_case(w)
    station = w.city.station.org_id
    # One named credit was already taken back by a correction: neither the page nor the act
    # reverses it again.
    credits = sorted(
        w.session.execute(select(Transfer.id).where(Transfer.kind == "service_credit")).scalars()
    )
    ledger.reverse(
        w.session,
        actor=w.city.admin,
        key="correction:1",
        transfer_id=credits[0],
        reason="录入错误",
        at=w.clock.now(),
    )
    plan = plan_decision(
        w.session, get_case(w.session, case_id), "confirm_fraud", organisation_ids=[station]
    )
    assert plan.reversals and credits[0] not in plan.reversals
    assert plan.people == (w.volunteer.id,)
    assert plan.organisations == (station,)
    amounts = w.session.execute(
        select(Transfer.amount).where(Transfer.id.in_(plan.reversals))
    ).scalars()
    assert plan.minutes == sum(amounts)

    sv.confirm_fraud(
        w.session,
        actor=w.city.admin,
        case_id=case_id,
        reason="夜间虚报服务时长",
        at=w.clock.now(),
        organisation_ids=[station],
    )
    assert effect(w, case_id) == (set(plan.reversals), set(plan.people), set(plan.organisations))
    minutes = w.session.execute(
        select(Sanction.minutes).where(Sanction.case_id == case_id, Sanction.kind == "reversal")
    ).scalars()
    assert sum(m or 0 for m in minutes) == plan.minutes


def test_a_warning_or_a_dismissal_plans_no_sanction(world: World) -> None:
    w = world
    case_id, _ = fraud_case(w)
    case = get_case(w.session, case_id)
    for outcome in ("warn", "dismiss"):
        plan = plan_decision(w.session, case, outcome, organisation_ids=[w.city.station.org_id])
        assert (plan.reversals, plan.organisations, plan.minutes) == ((), (), 0)
        assert plan.people == (w.volunteer.id,)
    sv.decide_case(
        w.session,
        actor=w.city.admin,
        case_id=case_id,
        outcome="warn",
        reason="提醒",
        at=w.clock.now(),
    )
    assert effect(w, case_id) == (set(), set(), set())
    warned = w.session.execute(
        select(Sanction.person_id).where(Sanction.case_id == case_id, Sanction.kind == "warning")
    ).scalars()
    assert set(warned) == set(plan.people)
