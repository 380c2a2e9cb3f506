from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from timebank.auth.phones import normalise_phone
from timebank.errors import InvalidInput
from timebank.people import rules
from timebank.people.rules import KinFacts, VolunteerFacts
from timebank.policy import Policy

TODAY = date(2025, 6, 1)
POLICY = Policy()

READY = VolunteerFacts(
    birth_date=date(1990, 1, 1),
    status="active",
    volunteer_status="none",
    residency_kind="hukou",
    residency_valid_until=None,
    health_fit=True,
    trained=True,
    is_student=False,
    has_guardian=False,
    guardian_consent=False,
)


def refusals(**changes: Any) -> list[str]:
    return rules.volunteer_refusals(dataclasses.replace(READY, **changes), POLICY, TODAY)


def test_an_adult_resident_healthy_and_trained_may_volunteer() -> None:
    assert refusals() == []


def test_each_unmet_rule_is_named() -> None:
    assert refusals(residency_kind=None) == ["residency_proof"]
    assert refusals(health_fit=None) == ["health_declaration"]
    assert refusals(health_fit=False) == ["health_fit"]
    assert refusals(trained=False) == ["training"]
    assert refusals(status="suspended") == ["status_active"]
    assert refusals(volunteer_status="disqualified") == ["volunteer_disqualified"]
    assert refusals(residency_kind=None, trained=False, health_fit=None) == [
        "residency_proof",
        "health_declaration",
        "training",
    ]


def test_residence_permit_counts_until_its_end_date() -> None:
    assert refusals(residency_kind="residence_permit", residency_valid_until=TODAY) == []
    assert refusals(residency_kind="residence_permit", residency_valid_until=date(2025, 5, 31)) == [
        "residency_expired"
    ]
    assert refusals(residency_kind="residence_permit", residency_valid_until=None) == [
        "residency_expired"
    ]


def test_age_18_is_reached_on_the_birthday() -> None:
    assert refusals(birth_date=date(2007, 6, 1)) == []
    assert "min_age" in refusals(birth_date=date(2007, 6, 2))


def test_a_29_february_child_comes_of_age_on_1_march() -> None:
    facts = dataclasses.replace(READY, birth_date=date(2008, 2, 29))
    assert rules.volunteer_refusals(facts, POLICY, date(2026, 2, 28)) != []
    assert rules.volunteer_refusals(facts, POLICY, date(2026, 3, 1)) == []


def test_a_minor_volunteers_only_as_a_student_with_a_consenting_guardian() -> None:
    minor = {"birth_date": date(2010, 1, 1)}
    assert refusals(**minor) == ["min_age", "minor_guardian", "minor_guardian_consent"]
    assert refusals(**minor, is_student=True) == ["minor_guardian", "minor_guardian_consent"]
    assert refusals(**minor, is_student=True, has_guardian=True) == ["minor_guardian_consent"]
    assert refusals(**minor, is_student=True, has_guardian=True, guardian_consent=True) == []


def test_policy_sets_the_minimum_age() -> None:
    facts = dataclasses.replace(READY, birth_date=date(2009, 1, 1))
    assert rules.volunteer_refusals(facts, Policy(volunteer_min_age=16), TODAY) == []


def test_a_minor_serves_only_where_the_guardian_attends() -> None:
    assert rules.can_serve_as_minor(guardian_id=7, guardian_consent=True, attendee_ids={7, 9})
    assert not rules.can_serve_as_minor(guardian_id=7, guardian_consent=True, attendee_ids={9})
    assert not rules.can_serve_as_minor(guardian_id=7, guardian_consent=False, attendee_ids={7})
    assert not rules.can_serve_as_minor(guardian_id=None, guardian_consent=True, attendee_ids={7})


def test_under_14_is_sensitive() -> None:
    assert rules.is_sensitive_minor(date(2011, 6, 2), TODAY)
    assert not rules.is_sensitive_minor(date(2011, 6, 1), TODAY)
    assert rules.is_minor(date(2011, 6, 1), TODAY, POLICY)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("+86 199-0000-1111", "19900001111"),
        ("0086 15000000000", "15000000000"),
    ],
)
def test_mobile_numbers(raw: str, clean: str) -> None:
    assert normalise_phone(raw) == clean


@pytest.mark.parametrize("raw", ["12800138000", "1380013800", "138001380001", "010-6512345", "abc"])
def test_not_mobile_numbers(raw: str) -> None:
    with pytest.raises(InvalidInput) as info:
        normalise_phone(raw)
    assert info.value.field == "phone"


def test_inverse_relations() -> None:
    for relation in rules.RELATIONS:
        assert rules.inverse(rules.inverse(relation)) == relation
    assert rules.inverse("parent") == "child"
    assert rules.inverse("grandchild") == "grandparent"
    assert rules.inverse("spouse") == "spouse"
    with pytest.raises(InvalidInput):
        rules.inverse("cousin")


def test_direct_relatives() -> None:
    assert all(rules.is_direct_relative(r) for r in rules.RELATIONS)
    assert not rules.is_direct_relative(None)
    assert not rules.is_direct_relative("sibling")


def kin(year: int, sex: str = "F", month: int = 1, day: int = 1) -> KinFacts:
    return KinFacts(birth_date=date(year, month, day), sex=sex)


def test_parents_are_at_least_14_years_older() -> None:
    child = kin(2000, month=6, day=1)
    assert rules.kinship_implausibility("parent", child, kin(1986, day=1, month=6), TODAY) is None
    assert rules.kinship_implausibility("parent", child, kin(1986, month=6, day=2), TODAY) == (
        "kinship_generation_gap"
    )
    # Declared from the parent's side, the same check applies.
    assert rules.kinship_implausibility("child", kin(1986, month=6, day=2), child, TODAY) == (
        "kinship_generation_gap"
    )
    assert rules.kinship_implausibility("child", kin(1970), child, TODAY) is None


def test_grandparents_are_two_generations_older() -> None:
    assert rules.kinship_implausibility("grandparent", kin(2000), kin(1972), TODAY) is None
    assert rules.kinship_implausibility("grandparent", kin(2000), kin(1980), TODAY) == (
        "kinship_generation_gap"
    )
    assert rules.kinship_implausibility("grandchild", kin(1950), kin(2010), TODAY) is None


def test_spouses_are_of_marriage_age() -> None:
    assert rules.kinship_implausibility("spouse", kin(2003, "M"), kin(2005, "F"), TODAY) is None
    assert rules.kinship_implausibility("spouse", kin(2004, "M"), kin(2000, "F"), TODAY) == (
        "kinship_marriage_age"
    )
    assert rules.kinship_implausibility("spouse", kin(1990, "M"), kin(2006, "F"), TODAY) == (
        "kinship_marriage_age"
    )


def test_status_transitions() -> None:
    assert rules.status_transition_allowed("active", "suspended")
    assert rules.status_transition_allowed("suspended", "active")
    assert rules.status_transition_allowed("exited", "active")
    assert not rules.status_transition_allowed("deceased", "active")
    assert not rules.status_transition_allowed("active", "active")
    assert all(rules.status_transition_allowed(s, "deceased") for s in rules.STATUSES[:-2])


def test_a_disqualification_is_lifted_only_by_an_upheld_appeal() -> None:
    assert not rules.status_transition_allowed("disqualified", "active")
    assert rules.status_transition_allowed("disqualified", "active", upheld_appeal=True)
    # The appeal opens that one door and no other.
    assert not rules.status_transition_allowed("disqualified", "suspended", upheld_appeal=True)
    assert not rules.status_transition_allowed("deceased", "active", upheld_appeal=True)
    assert not rules.status_transition_allowed("exited", "suspended", upheld_appeal=True)


def test_qualification_validity_includes_both_end_days() -> None:
    def ok(on: date, status: str = "verified", until: date | None = date(2025, 12, 31)) -> bool:
        return rules.qualification_valid_on(
            status=status, valid_from=date(2025, 1, 1), valid_until=until, on=on
        )

    assert ok(date(2025, 1, 1)) and ok(date(2025, 12, 31))
    assert not ok(date(2024, 12, 31)) and not ok(date(2026, 1, 1))
    assert ok(date(2040, 1, 1), until=None)
    assert not ok(date(2025, 6, 1), status="pending")
    assert not ok(date(2025, 6, 1), status="cancelled")


def test_text_is_trimmed_and_bounded() -> None:
    assert rules.required_text("  张 三 ", field="full_name", max_len=64) == "张 三"
    assert rules.optional_text("   ", field="address", max_len=10) is None
    with pytest.raises(InvalidInput) as info:
        rules.required_text(" ", field="full_name", max_len=64)
    assert info.value.field == "full_name"
    with pytest.raises(InvalidInput):
        rules.optional_text("x" * 11, field="address", max_len=10)
