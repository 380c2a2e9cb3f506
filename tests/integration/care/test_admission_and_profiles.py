"""The 10,000-rule admission workflow and volunteers' profiles."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.integration.care.conftest import World
from timebank.actors import Actor, Role
from timebank.care import admission
from timebank.care.assign import nearby_needs
from timebank.care.profiles import set_volunteer_profile
from timebank.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from timebank.ledger import services as ledger
from timebank.policy import Policy

# The real thresholds are 10,000 hours; the rule is the same at 10.
SMALL = Policy(admission_service_minutes=600, admission_balance_minutes=600)


def test_admission_holds_coins_until_district_decides(world: World) -> None:
    w = world
    applicant = w.volunteer
    me = Actor(role=Role.VOLUNTEER, person_id=applicant.id)
    with pytest.raises(RuleViolation) as err:
        admission.apply_for_admission(
            w.session,
            actor=me,
            key="adm1",
            person_id=applicant.id,
            care_home_id=None,
            policy=SMALL,
            at=w.clock.now(),
        )
    assert err.value.rule == "admission_10000"
    w.fund(applicant, 720, "applicant")
    app = admission.apply_for_admission(
        w.session,
        actor=me,
        key="adm2",
        person_id=applicant.id,
        care_home_id=None,
        policy=SMALL,
        at=w.clock.now(),
    )
    assert ledger.balances(w.session, person_id=applicant.id, policy=SMALL).held == 600
    with pytest.raises(Conflict):
        admission.apply_for_admission(
            w.session,
            actor=me,
            key="adm3",
            person_id=applicant.id,
            care_home_id=None,
            policy=SMALL,
            at=w.clock.now(),
        )
    district = Actor(role=Role.DISTRICT_ADMIN, district_code=applicant.district_code)
    with pytest.raises(Conflict):  # the station reviews first
        admission.district_decide(
            w.session,
            actor=district,
            application_id=app.id,
            approve=True,
            reason="",
            policy=SMALL,
            at=w.clock.now(),
        )
    admission.station_review(
        w.session,
        actor=w.city.station,
        application_id=app.id,
        approve=True,
        reason="材料齐全",
        at=w.clock.now(),
    )
    other = Actor(role=Role.DISTRICT_ADMIN, district_code="110105")
    with pytest.raises(PermissionDenied):
        admission.district_decide(
            w.session,
            actor=other,
            application_id=app.id,
            approve=True,
            reason="",
            policy=SMALL,
            at=w.clock.now(),
        )
    admission.district_decide(
        w.session,
        actor=district,
        application_id=app.id,
        approve=True,
        reason="同意入住",
        policy=SMALL,
        at=w.clock.now(),
    )
    b = ledger.balances(w.session, person_id=applicant.id, policy=SMALL)
    assert (app.status, b.held, b.earned, b.service_minutes) == ("approved", 0, 120, 720)


def test_withdrawn_application_releases_the_coins(world: World) -> None:
    w = world
    w.fund(w.volunteer, 600, "v")
    me = Actor(role=Role.VOLUNTEER, person_id=w.volunteer.id)
    app = admission.apply_for_admission(
        w.session,
        actor=me,
        key="a",
        person_id=w.volunteer.id,
        care_home_id=None,
        policy=SMALL,
        at=w.clock.now(),
    )
    admission.withdraw_admission(w.session, actor=me, application_id=app.id, at=w.clock.now())
    b = ledger.balances(w.session, person_id=w.volunteer.id, policy=SMALL)
    assert (app.status, b.held, b.earned) == ("withdrawn", 0, 600)


def test_gifts_received_do_not_count_toward_admission(world: World) -> None:
    w = world
    w.fund(w.volunteer, 300, "own")
    from timebank.ledger.core import TransferSpec, post_transfers
    from timebank.ledger.models import POOL_ID

    w.fund(w.elder, 600, "donor")
    ledger.donate(
        w.session, actor=w.elder_actor, key="d", donor_id=w.elder.id, amount=600, at=w.clock.now()
    )
    received = ledger.account_of(w.session, w.volunteer.id, "received")
    post_transfers(
        w.session,
        [
            TransferSpec(
                key="alloc",
                kind="allocation",
                debit_account_id=POOL_ID,
                credit_account_id=received.id,
                amount=600,
            )
        ],
        actor="test",
        at=w.clock.now(),
    )
    assert not ledger.balances(w.session, person_id=w.volunteer.id, policy=SMALL).admission_eligible


def test_profile_validation_and_effect_on_nearby(world: World) -> None:
    w = world
    me = w.volunteer_actor
    for kw, field in [
        ({"categories": ["massage"]}, "categories"),
        ({"radius_m": 5}, "radius_m"),
        ({"availability": [[7, "09:00", "10:00"]]}, "availability"),
        ({"availability": [[1, "11:00", "10:00"]]}, "availability"),
        ({"availability": [["x"]]}, "availability"),
        ({"lat": 39.9}, "lat"),
    ]:
        args: dict[str, object] = {
            "categories": ["emotional_comfort"],
            "radius_m": 2000,
            "availability": [],
            **kw,
        }
        with pytest.raises(InvalidInput) as err:
            set_volunteer_profile(
                w.session, actor=me, person_id=w.volunteer.id, at=w.clock.now(), **args
            )  # type: ignore[arg-type]
        assert err.value.field == field
    from tests.integration.care.test_visit_flow import publish_and_open

    need = publish_and_open(w, minutes=60)
    assert [
        n.need_id for n in nearby_needs(w.session, volunteer_id=w.volunteer.id, at=w.clock.now())
    ] == [need.id]
    set_volunteer_profile(
        w.session,
        actor=me,
        person_id=w.volunteer.id,
        categories=["legal_aid"],
        radius_m=2000,
        availability=[],
        at=w.clock.now(),
    )
    assert nearby_needs(w.session, volunteer_id=w.volunteer.id, at=w.clock.now()) == []
    with pytest.raises(PermissionDenied):
        set_volunteer_profile(
            w.session,
            actor=replace(me, person_id=w.elder.id),
            person_id=w.volunteer.id,
            categories=[],
            radius_m=2000,
            availability=[],
            at=w.clock.now(),
        )
