"""The day-to-day life of the time bank: need → review → visit → confirmation → coins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.integration.care.conftest import POLICY, World
from timebank.care import assign, codes, needs, visits
from timebank.care.models import Need, Visit
from timebank.config import Settings
from timebank.errors import (
    Conflict,
    InsufficientBalance,
    InvalidInput,
    PermissionDenied,
    RuleViolation,
)
from timebank.ledger import services as ledger
from timebank.ledger.audit import verify_ledger


def publish_and_open(w: World, **kw: object) -> Need:
    [need] = needs.publish_need(
        w.session, actor=w.elder_actor, request=w.request(**kw), policy=POLICY, at=w.clock.now()
    )
    needs.review_need(
        w.session,
        actor=w.city.station,
        need_id=need.id,
        approve=True,
        policy=POLICY,
        at=w.clock.now(),
    )
    return need


def run_visit(w: World, need: Need, minutes: int) -> Visit:
    visit = assign.assign_need(
        w.session,
        actor=w.volunteer_actor,
        need_id=need.id,
        volunteer_id=w.volunteer.id,
        policy=POLICY,
        at=w.clock.now(),
    )
    w.clock.set(visit.scheduled_start)
    code = codes.current_code(w.session, elder_id=w.elder.id, at=w.clock.now())
    visits.check_in(
        w.session,
        actor=w.volunteer_actor,
        visit_id=visit.id,
        code=code,
        at=w.clock.now(),
        policy=POLICY,
        lat=39.9351,
        lon=116.4101,
    )
    w.clock.advance(minutes=minutes)
    code = codes.current_code(w.session, elder_id=w.elder.id, at=w.clock.now())
    visits.check_out(
        w.session, actor=w.volunteer_actor, visit_id=visit.id, code=code, at=w.clock.now()
    )
    return visit


def test_full_journey_posts_credit_and_payment(world: World) -> None:
    w = world
    need = publish_and_open(w)
    assert need.status == "open"
    elder_before = ledger.balances(w.session, person_id=w.elder.id, policy=POLICY)
    assert elder_before.held == 90
    visit = run_visit(w, need, 75)
    assert (visit.status, visit.duration_minutes, need.status) == ("checked_out", 75, "completed")
    visits.confirm_visit(
        w.session,
        actor=w.elder_actor,
        visit_id=visit.id,
        rating=5,
        comment="很好",
        at=w.clock.now(),
        policy=POLICY,
    )
    assert (visit.status, need.status, visit.credited_minutes, visit.paid_minutes) == (
        "confirmed",
        "confirmed",
        60,
        60,
    )
    vol = ledger.balances(w.session, person_id=w.volunteer.id, policy=POLICY)
    elder = ledger.balances(w.session, person_id=w.elder.id, policy=POLICY)
    assert (vol.earned, vol.service_minutes) == (60, 60)
    assert (elder.earned, elder.held) == (600 - 60, 0)  # the rest of the hold is released
    assert needs.open_holds(w.session, need.id) == []
    report = verify_ledger(w.session, settings=Settings(env="test"))
    assert not [p for p in report.problems if p.rule != "unsealed_in_sealed_range"]


def test_publishing_needs_balance_and_writes_nothing_otherwise(world: World) -> None:
    w = world
    with pytest.raises(InsufficientBalance) as err:
        needs.publish_need(
            w.session,
            actor=w.elder_actor,
            request=w.request(minutes=120, repeat_weeks=6),
            policy=POLICY,
            at=w.clock.now(),
        )
    assert err.value.rule == "need_balance"
    assert w.session.execute(select(Need)).first() is None


def test_a_series_is_published_weekly(world: World) -> None:
    w = world
    series = needs.publish_need(
        w.session,
        actor=w.elder_actor,
        request=w.request(minutes=60, repeat_weeks=4),
        policy=POLICY,
        at=w.clock.now(),
    )
    assert [n.window_start - series[0].window_start for n in series] == [
        timedelta(weeks=i) for i in range(4)
    ]
    assert {n.series_id for n in series} == {series[0].id}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": " "}, "description"),
        ({"expected_minutes": 10}, "expected_minutes"),
        ({"expected_minutes": 600}, "expected_minutes"),
        ({"hours_ahead": -2}, "window_start"),
        ({"repeat_weeks": 0}, "repeat_weeks"),
        ({"funding": "cash"}, "funding"),
        ({"lat": 95.0}, "lat"),
    ],
)
def test_bad_need_input_names_the_field(
    world: World, change: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        needs.publish_need(
            world.session,
            actor=world.elder_actor,
            request=world.request(**change),
            policy=POLICY,
            at=world.clock.now(),
        )
    assert err.value.field == field


def test_review_needs_a_reason_to_reject_and_a_station_of_the_district(world: World) -> None:
    w = world
    [need] = needs.publish_need(
        w.session, actor=w.elder_actor, request=w.request(), policy=POLICY, at=w.clock.now()
    )
    with pytest.raises(PermissionDenied):
        needs.review_need(
            w.session,
            actor=w.city.other_station,
            need_id=need.id,
            approve=True,
            policy=POLICY,
            at=w.clock.now(),
        )
    with pytest.raises(InvalidInput):
        needs.review_need(
            w.session,
            actor=w.city.station,
            need_id=need.id,
            approve=False,
            policy=POLICY,
            at=w.clock.now(),
        )
    needs.review_need(
        w.session,
        actor=w.city.station,
        need_id=need.id,
        approve=False,
        reason="地址不详",
        policy=POLICY,
        at=w.clock.now(),
    )
    assert need.status == "rejected"
    with pytest.raises(Conflict):
        needs.review_need(
            w.session,
            actor=w.city.station,
            need_id=need.id,
            approve=True,
            policy=POLICY,
            at=w.clock.now(),
        )


def test_wrong_or_stale_code_is_refused(world: World) -> None:
    w = world
    need = publish_and_open(w)
    visit = assign.assign_need(
        w.session,
        actor=w.volunteer_actor,
        need_id=need.id,
        volunteer_id=w.volunteer.id,
        policy=POLICY,
        at=w.clock.now(),
    )
    w.clock.set(visit.scheduled_start)
    stale = codes.current_code(w.session, elder_id=w.elder.id, at=w.clock.now())
    for code in ("000000" if stale != "000000" else "111111", "12ab56", ""):
        with pytest.raises(RuleViolation) as err:
            visits.check_in(
                w.session,
                actor=w.volunteer_actor,
                visit_id=visit.id,
                code=code,
                at=w.clock.now(),
                policy=POLICY,
            )
        assert err.value.rule == "elder_code"
    w.clock.advance(minutes=5)
    with pytest.raises(RuleViolation):
        visits.check_in(
            w.session,
            actor=w.volunteer_actor,
            visit_id=visit.id,
            code=stale,
            at=w.clock.now(),
            policy=POLICY,
        )
    qr = codes.qr_svg(codes.current_code(w.session, elder_id=w.elder.id, at=w.clock.now()))
    assert qr.startswith("<?xml") and "<svg" in qr


def test_proxy_confirms_presence_without_code(world: World) -> None:
    w = world
    need = publish_and_open(w)
    visit = assign.assign_need(
        w.session,
        actor=w.volunteer_actor,
        need_id=need.id,
        volunteer_id=w.volunteer.id,
        policy=POLICY,
        at=w.clock.now(),
    )
    w.clock.set(visit.scheduled_start)
    proxy = w.city.station.__class__(
        role=w.city.station.role,
        org_id=w.city.station.org_id,
        district_code=w.city.station.district_code,
        on_behalf_of=w.elder.id,
    )
    visits.check_in(
        w.session, actor=proxy, visit_id=visit.id, code=None, at=w.clock.now(), policy=POLICY
    )
    assert visit.check_in_method == "proxy"


def test_dispute_keeps_the_hold_until_the_station_decides(world: World) -> None:
    w = world
    need = publish_and_open(w)
    visit = run_visit(w, need, 120)
    visits.dispute_visit(
        w.session, actor=w.elder_actor, visit_id=visit.id, reason="志愿者提前离开", at=w.clock.now()
    )
    assert ledger.balances(w.session, person_id=w.elder.id, policy=POLICY).held == 90
    assert ledger.balances(w.session, person_id=w.volunteer.id, policy=POLICY).earned == 0
    with pytest.raises(InvalidInput):
        visits.resolve_dispute(
            w.session,
            actor=w.city.station,
            visit_id=visit.id,
            uphold=True,
            minutes=500,
            resolution="x",
            at=w.clock.now(),
            policy=POLICY,
        )
    visits.resolve_dispute(
        w.session,
        actor=w.city.station,
        visit_id=visit.id,
        uphold=True,
        minutes=60,
        resolution="核实服务60分钟",
        at=w.clock.now(),
        policy=POLICY,
    )
    assert (visit.credited_minutes, visit.paid_minutes, need.status) == (60, 60, "confirmed")


def test_rejected_dispute_releases_the_hold_and_credits_nothing(world: World) -> None:
    w = world
    need = publish_and_open(w)
    visit = run_visit(w, need, 90)
    visits.dispute_visit(
        w.session, actor=w.elder_actor, visit_id=visit.id, reason="没来", at=w.clock.now()
    )
    visits.resolve_dispute(
        w.session,
        actor=w.city.station,
        visit_id=visit.id,
        uphold=False,
        minutes=None,
        resolution="查无此服务",
        at=w.clock.now(),
        policy=POLICY,
    )
    assert ledger.balances(w.session, person_id=w.elder.id, policy=POLICY).held == 0
    assert ledger.balances(w.session, person_id=w.volunteer.id, policy=POLICY).earned == 0
    assert (visit.status, need.status) == ("rejected", "cancelled")


def test_state_rules_refuse_out_of_order_acts(world: World) -> None:
    w = world
    need = publish_and_open(w)
    visit = assign.assign_need(
        w.session,
        actor=w.volunteer_actor,
        need_id=need.id,
        volunteer_id=w.volunteer.id,
        policy=POLICY,
        at=w.clock.now(),
    )
    with pytest.raises(Conflict):
        visits.confirm_visit(
            w.session,
            actor=w.elder_actor,
            visit_id=visit.id,
            rating=5,
            at=w.clock.now(),
            policy=POLICY,
        )
    with pytest.raises(RuleViolation) as err:  # too early to check in
        visits.check_in(
            w.session,
            actor=w.volunteer_actor,
            visit_id=visit.id,
            code=codes.current_code(w.session, elder_id=w.elder.id, at=w.clock.now()),
            at=w.clock.now(),
            policy=POLICY,
        )
    assert err.value.rule == "check_in_window"
    with pytest.raises(Conflict):
        assign.assign_need(
            w.session,
            actor=w.volunteer_actor,
            need_id=need.id,
            volunteer_id=w.volunteer.id,
            policy=POLICY,
            at=w.clock.now(),
        )
    with pytest.raises(PermissionDenied):
        visits.confirm_visit(
            w.session,
            actor=w.volunteer_actor,
            visit_id=visit.id,
            rating=5,
            at=w.clock.now(),
            policy=POLICY,
        )


def test_no_show_reopens_and_cancel_releases(world: World) -> None:
    w = world
    need = publish_and_open(w)
    visit = assign.assign_need(
        w.session,
        actor=w.volunteer_actor,
        need_id=need.id,
        volunteer_id=w.volunteer.id,
        policy=POLICY,
        at=w.clock.now(),
    )
    with pytest.raises(RuleViolation):
        visits.record_no_show(w.session, actor=w.elder_actor, visit_id=visit.id, at=w.clock.now())
    w.clock.set(visit.scheduled_end)
    visits.record_no_show(w.session, actor=w.elder_actor, visit_id=visit.id, at=w.clock.now())
    assert (visit.status, need.status, need.volunteer_id) == ("no_show", "open", None)
    needs.cancel_need(
        w.session, actor=w.elder_actor, need_id=need.id, reason="不需要了", at=w.clock.now()
    )
    assert ledger.balances(w.session, person_id=w.elder.id, policy=POLICY).held == 0


def test_expired_needs_release_their_holds(world: World) -> None:
    w = world
    need = publish_and_open(w)
    w.clock.advance(days=3)
    from timebank.actors import SYSTEM

    assert needs.expire_needs(w.session, actor=SYSTEM, at=w.clock.now()) == 1
    assert need.status == "expired"
    assert ledger.balances(w.session, person_id=w.elder.id, policy=POLICY).held == 0


def test_overlapping_and_professional_needs_are_refused(world: World) -> None:
    w = world
    first, second = publish_and_open(w), publish_and_open(w, minutes=180)
    assign.assign_need(
        w.session,
        actor=w.volunteer_actor,
        need_id=first.id,
        volunteer_id=w.volunteer.id,
        policy=POLICY,
        at=w.clock.now(),
    )
    with pytest.raises(RuleViolation) as err:
        assign.assign_need(
            w.session,
            actor=w.volunteer_actor,
            need_id=second.id,
            volunteer_id=w.volunteer.id,
            policy=POLICY,
            at=w.clock.now(),
        )
    assert err.value.rule == "overlap"
    legal = publish_and_open(w, item_id=w.item("legal_consult"), minutes=60, hours_ahead=48)
    with pytest.raises(RuleViolation) as err:
        assign.assign_need(
            w.session,
            actor=w.volunteer_actor,
            need_id=legal.id,
            volunteer_id=w.volunteer.id,
            policy=POLICY,
            at=w.clock.now(),
        )
    assert err.value.rule == "qualification"


def test_nearby_list_and_district_dispatch(world: World) -> None:
    w = world
    far = w.volunteer_person(lat=40.2, lon=116.6)  # 30 km away: outside the 3 km radius
    opened = [publish_and_open(w, minutes=60, hours_ahead=24 + 24 * i) for i in range(3)]
    near = assign.nearby_needs(w.session, volunteer_id=w.volunteer.id, at=w.clock.now())
    assert [n.need_id for n in near] == [n.id for n in opened]
    assert assign.nearby_needs(w.session, volunteer_id=far.id, at=w.clock.now()) == []
    # One batch gives each volunteer at most one need, so two more volunteers join.
    helpers = [w.volunteer_person(lat=39.936, lon=116.412) for _ in range(2)]
    result = assign.dispatch_district(
        w.session,
        actor=w.city.station,
        district_code=w.elder.district_code,
        policy=POLICY,
        at=w.clock.now(),
    )
    assert len(result.assignments) == 3 and result.unmatched == ()
    assert {a.volunteer_id for a in result.assignments} == {
        w.volunteer.id,
        *(h.id for h in helpers),
    }
    booked = w.session.execute(select(Visit).where(Visit.status == "scheduled")).scalars().all()
    assert len(booked) == 3 and all(n.status == "assigned" for n in opened)
