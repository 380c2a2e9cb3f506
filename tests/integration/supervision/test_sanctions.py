"""Confirmed fraud: disqualification, reversals, the untrustworthy list; appeal, reinstatement.

Every sanction leaves the ledger's invariants intact: reversals are new transfers, a debt is
allowed only on the sanctioned account and is listed by verification, and a retried decision
moves no coin twice.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.integration.care.conftest import POLICY, World
from tests.integration.care.test_visit_flow import publish_and_open, run_visit
from tests.integration.supervision.conftest import night, plant_visit
from timebank.audit.models import AuditEntry
from timebank.care import needs, visits
from timebank.config import Settings
from timebank.errors import Conflict, PermissionDenied, RuleViolation
from timebank.ledger import services as ledger
from timebank.ledger.audit import verify_ledger
from timebank.ledger.models import Transfer
from timebank.people import qualifications
from timebank.people.models import Organisation, Qualification
from timebank.supervision import services as sv
from timebank.supervision.cases import get_case
from timebank.supervision.models import Alert, Appeal, Sanction, UntrustworthyEntry


def ledger_ok(w: World) -> dict[int, int]:
    report = verify_ledger(w.session, settings=Settings(env="test"))
    assert [p for p in report.problems if p.rule != "unsealed_in_sealed_range"] == []
    return report.debts


def fraud_case(w: World) -> tuple[int, list[int]]:
    """Three credited late-night visits, most of the coins already given away, a case."""
    q = qualifications.add_qualification(
        w.session,
        actor=w.city.station,
        person_id=w.volunteer.id,
        qualification_type="lawyer",
        number="11101202010000001",
        issuer="北京市司法局",
        valid_from=w.city.today - timedelta(days=400),
        valid_until=None,
        at=w.clock.now(),
    )
    qualifications.verify_qualification(
        w.session, actor=w.city.station, qualification_id=q.id, at=w.clock.now()
    )
    planted = [plant_visit(w, start=night(w, -2 - d), minutes=60) for d in range(3)]
    ledger.donate(
        w.session,
        actor=w.volunteer_actor,
        key="gave-away",
        donor_id=w.volunteer.id,
        amount=120,
        at=w.clock.now(),
    )
    sv.scan_and_record(w.session, at=w.clock.now())
    ids = list(w.session.execute(select(Alert.id)).scalars())
    case = sv.open_case(w.session, actor=w.city.admin, alert_ids=ids, at=w.clock.now())
    return case.id, [v.id for v in planted]


def reversals(w: World) -> list[Transfer]:
    return list(
        w.session.execute(
            select(Transfer).where(Transfer.kind == "reversal").order_by(Transfer.id)
        ).scalars()
    )


def test_confirmed_fraud_sanctions_and_keeps_the_ledger_whole(world: World) -> None:
    w = world
    case_id, visit_ids = fraud_case(w)
    station = w.city.station.org_id
    decision = sv.confirm_fraud(
        w.session,
        actor=w.city.admin,
        case_id=case_id,
        reason="夜间虚报服务时长",
        at=w.clock.now(),
        organisation_ids=[station],
    )
    assert decision.outcome == "confirm_fraud"
    # The volunteer is disqualified: account frozen, qualifications cancelled.
    assert (w.volunteer.status, w.volunteer.volunteer_status) == ("disqualified", "disqualified")
    q = w.session.execute(select(Qualification)).scalar_one()
    assert q.status == "cancelled"
    # Each fraudulent credit is reversed by a new transfer keyed by the case.
    undone = reversals(w)
    credits = {
        t.reference: t
        for t in w.session.execute(
            select(Transfer).where(Transfer.reference.in_([f"visit:{v}" for v in visit_ids]))
        ).scalars()
    }
    assert sorted(t.reverses_id or 0 for t in undone) == sorted(t.id for t in credits.values())
    assert {t.key for t in undone} == {f"case:{case_id}:reverse:{t.id}" for t in credits.values()}
    balance = ledger.balances(w.session, person_id=w.volunteer.id, policy=POLICY)
    assert (balance.earned, balance.service_minutes) == (-120, 0)
    debts = ledger_ok(w)
    assert list(debts.values()) == [-120]
    # The station is on the public list with the reason and the date.
    entry = w.session.execute(select(UntrustworthyEntry)).scalar_one()
    assert (entry.organisation_id, entry.reason, entry.listed_at) == (
        station,
        "夜间虚报服务时长",
        w.clock.now(),
    )
    org = w.session.get(Organisation, station)
    assert org is not None and org.untrustworthy
    acts = w.session.execute(select(AuditEntry.act)).scalars().all()
    assert acts.count("supervision.reverse") == 3
    assert {"supervision.disqualify", "supervision.untrustworthy"} <= set(acts)
    assert "supervision.case_confirm_fraud" in acts


def test_a_retried_decision_reverses_nothing_twice(world: World) -> None:
    w = world
    case_id, _ = fraud_case(w)
    for _ in range(2):
        sv.decide_case(
            w.session,
            actor=w.city.admin,
            case_id=case_id,
            outcome="confirm_fraud",
            reason="夜间虚报服务时长",
            at=w.clock.now(),
        )
    assert len(reversals(w)) == 3
    kinds = w.session.execute(select(Sanction.kind)).scalars().all()
    assert sorted(kinds) == ["disqualification", "reversal", "reversal", "reversal"]
    # The ledger itself replays a reversal retried with the case's key.
    first = reversals(w)[0]
    again = ledger.reverse(
        w.session,
        actor=w.city.admin,
        key=first.key,
        transfer_id=first.reverses_id or 0,
        reason="retry",
        at=w.clock.now(),
    )
    assert again.replayed and again.id == first.id
    ledger_ok(w)


def test_an_untrustworthy_station_can_no_longer_review_or_confirm(world: World) -> None:
    w = world
    need = publish_and_open(w)
    visit = run_visit(w, need, 60)
    [pending] = needs.publish_need(
        w.session,
        actor=w.elder_actor,
        request=w.request(minutes=60),
        policy=POLICY,
        at=w.clock.now(),
    )
    case_id, _ = fraud_case(w)
    sv.confirm_fraud(
        w.session,
        actor=w.city.admin,
        case_id=case_id,
        reason="站点虚报",
        at=w.clock.now(),
        organisation_ids=[w.city.station.org_id],
    )
    with pytest.raises(RuleViolation) as err:
        needs.review_need(
            w.session,
            actor=w.city.station,
            need_id=pending.id,
            approve=True,
            policy=POLICY,
            at=w.clock.now(),
        )
    assert err.value.rule == "untrustworthy"
    station_for_elder = w.city.station.__class__(
        role=w.city.station.role,
        org_id=w.city.station.org_id,
        district_code=w.city.station.district_code,
        on_behalf_of=w.elder.id,
    )
    with pytest.raises(RuleViolation) as err:
        visits.confirm_visit(
            w.session,
            actor=station_for_elder,
            visit_id=visit.id,
            rating=5,
            at=w.clock.now(),
            policy=POLICY,
        )
    assert err.value.rule == "untrustworthy"


def test_appeal_and_reinstatement_are_recorded(world: World) -> None:
    w = world
    case_id, _ = fraud_case(w)
    station = w.city.station.org_id
    sv.confirm_fraud(
        w.session,
        actor=w.city.admin,
        case_id=case_id,
        reason="夜间虚报",
        at=w.clock.now(),
        organisation_ids=[station],
    )
    with pytest.raises(PermissionDenied):
        sv.appeal(w.session, actor=w.elder_actor, case_id=case_id, reason="不服", at=w.clock.now())
    appeal = sv.appeal(
        w.session,
        actor=w.volunteer_actor,
        case_id=case_id,
        reason="当晚是陪护住院老人，有医院证明",
        at=w.clock.now(),
    )
    assert appeal.status == "pending"
    with pytest.raises(Conflict):
        sv.appeal(
            w.session, actor=w.volunteer_actor, case_id=case_id, reason="再诉", at=w.clock.now()
        )
    with pytest.raises(PermissionDenied):
        sv.reinstate(
            w.session, actor=w.city.admin, appeal_id=appeal.id, reason="x", at=w.clock.now()
        )
    later = w.clock.now() + timedelta(days=10)
    sv.reinstate(
        w.session, actor=w.city.city_admin, appeal_id=appeal.id, reason="证明属实", at=later
    )
    assert (appeal.status, appeal.decided_at, appeal.decision_reason) == (
        "upheld",
        later,
        "证明属实",
    )
    case = get_case(w.session, case_id)
    assert case.status == "overturned"
    # Reversed credits come back as new transfers; the reversals stay in the ledger.
    restored = (
        w.session.execute(select(Transfer).where(Transfer.key.like(f"case:{case_id}:restore:%")))
        .scalars()
        .all()
    )
    assert len(restored) == 3 and len(reversals(w)) == 3
    balance = ledger.balances(w.session, person_id=w.volunteer.id, policy=POLICY)
    assert (balance.earned, balance.service_minutes) == (60, 180)
    ledger_ok(w)
    # The station is off the list, the entry keeps who lifted it and when.
    entry = w.session.execute(select(UntrustworthyEntry)).scalar_one()
    org = w.session.get(Organisation, station)
    assert entry.lifted_at == later and org is not None and not org.untrustworthy
    # The disqualification is lifted: the account is active again, the volunteer must
    # re-activate, and the cancelled qualification stays cancelled (a station re-verifies).
    dq = w.session.execute(select(Sanction).where(Sanction.kind == "disqualification")).scalar_one()
    assert dq.note is None and dq.lifted_at == later
    assert (w.volunteer.status, w.volunteer.volunteer_status) == ("active", "pending")
    assert w.volunteer.status_changed_at == later
    assert w.session.execute(select(Qualification.status)).scalar_one() == "cancelled"
    # Each restoring transfer names the reversal it corrects; restoring again is refused.
    by_reversal = {t.reverses_id: t.id for t in reversals(w)}
    assert {t.memo.split(":")[0] for t in restored if t.memo} == {
        ledger.restore_memo(r) for r in by_reversal.values()
    }
    with pytest.raises(Conflict) as once:
        ledger.restore_reversed(
            w.session,
            actor=w.city.city_admin,
            key="again",
            reversal_id=next(iter(by_reversal.values())),
            reason="x",
            at=later,
        )
    assert once.value.rule == "restore_once"
    with pytest.raises(Conflict):
        sv.reinstate(w.session, actor=w.city.city_admin, appeal_id=appeal.id, reason="x", at=later)
    acts = w.session.execute(select(AuditEntry.act)).scalars().all()
    assert {"supervision.appeal", "supervision.reinstate", "supervision.reinstate_person"} <= set(
        acts
    )
    assert {"care.untrustworthy_mark", "care.untrustworthy_clear"} <= set(acts)
    assert acts.count("supervision.restore_credit") == 3


def test_a_rejected_appeal_leaves_the_sanctions(world: World) -> None:
    w = world
    case_id, _ = fraud_case(w)
    sv.confirm_fraud(
        w.session, actor=w.city.admin, case_id=case_id, reason="虚报", at=w.clock.now()
    )
    appeal = sv.appeal(
        w.session, actor=w.volunteer_actor, case_id=case_id, reason="不服", at=w.clock.now()
    )
    sv.reject_appeal(
        w.session, actor=w.city.city_admin, appeal_id=appeal.id, reason="证据不足", at=w.clock.now()
    )
    assert appeal.status == "rejected"
    assert w.session.execute(select(func.count()).select_from(Appeal)).scalar_one() == 1
    assert len(reversals(w)) == 3 and w.volunteer.status == "disqualified"
