"""Pure coin rules, no database."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timebank.errors import InvalidInput, RuleViolation
from timebank.ledger import rules
from timebank.ledger.shapes import check_amount, check_key, check_shape
from timebank.policy import Policy

P = Policy()


@pytest.mark.parametrize(
    ("duration", "today", "expected"),
    [
        (0, 0, 0),
        (29, 0, 0),
        (30, 0, 30),
        (59, 0, 30),
        (95, 0, 90),
        (600, 0, 480),
        (120, 400, 60),
        (120, 480, 0),
        (120, 470, 0),
        (-5, 0, 0),
    ],
)
def test_credit_rounds_down_and_caps(duration: int, today: int, expected: int) -> None:
    assert rules.credit_minutes(duration, today, P) == expected


@given(st.integers(-100, 2000), st.integers(0, 1000))
def test_credit_is_whole_units_within_cap(duration: int, today: int) -> None:
    got = rules.credit_minutes(duration, today, P)
    assert got % P.credit_unit_minutes == 0
    assert 0 <= got <= max(duration, 0)
    assert today + got <= max(P.daily_credit_cap_minutes, today)


def test_shanghai_style_cap() -> None:
    assert rules.credit_minutes(300, 0, Policy(daily_credit_cap_minutes=120)) == 120


@pytest.mark.parametrize(("hours", "stars"), [(0, 0), (99, 0), (100, 1), (599, 2), (1500, 5)])
def test_star_levels(hours: int, stars: int) -> None:
    assert rules.star_level(hours * 60, P) == stars


def test_admission_needs_both_service_and_own_balance() -> None:
    need = 10_000 * 60
    assert rules.admission_eligible(need, need, P)
    assert not rules.admission_eligible(need - 1, need, P)
    assert not rules.admission_eligible(need, need - 1, P)


def facts(pid: int, birth: date = date(1950, 1, 1), status: str = "active") -> rules.PersonFacts:
    return rules.PersonFacts(id=pid, status=status, birth_date=birth)


def gift(relation: str | None, **kw: int) -> None:
    args = {"gifted_this_year": 0, "gifts_this_year": 0, "to_recipient_this_year": 0, "amount": 60}
    args.update(kw)
    rules.require_can_gift(facts(1), facts(2), relation, policy=P, **args)


def test_gift_only_to_verified_direct_relatives() -> None:
    for relation in ("spouse", "parent", "child", "grandparent", "grandchild"):
        gift(relation)
    for relation in (None, "sibling", "friend"):
        with pytest.raises(RuleViolation, match="verified") as err:
            gift(relation)
        assert err.value.rule == "gift_verified_kin"


@pytest.mark.parametrize(
    ("kw", "rule"),
    [
        ({"gifted_this_year": P.gift_yearly_limit_minutes - 59}, "gift_yearly_minutes"),
        ({"gifts_this_year": P.gift_yearly_count_limit}, "gift_yearly_count"),
        (
            {"to_recipient_this_year": P.gift_per_recipient_yearly_limit_minutes},
            "gift_per_recipient_yearly_minutes",
        ),
    ],
)
def test_gift_limits(kw: dict[str, int], rule: str) -> None:
    with pytest.raises(RuleViolation) as err:
        gift("parent", **kw)
    assert err.value.rule == rule


def test_zero_limit_means_unlimited() -> None:
    rules.require_can_gift(
        facts(1),
        facts(2),
        "child",
        gifted_this_year=10**9,
        gifts_this_year=10**6,
        to_recipient_this_year=10**9,
        amount=60,
        policy=Policy(
            gift_yearly_limit_minutes=0,
            gift_yearly_count_limit=0,
            gift_per_recipient_yearly_limit_minutes=0,
        ),
    )


@pytest.mark.parametrize("status", ["suspended", "disqualified", "deceased", "exited"])
def test_frozen_giver(status: str) -> None:
    with pytest.raises(RuleViolation) as err:
        rules.require_can_gift(
            facts(1, status=status),
            facts(2),
            "child",
            gifted_this_year=0,
            gifts_this_year=0,
            to_recipient_this_year=0,
            amount=60,
            policy=P,
        )
    assert err.value.rule == "account_frozen"


def test_redemption_age_boundary() -> None:
    holder = facts(1, birth=date(1966, 3, 2))
    rules.require_can_redeem(holder, holder, None, on=date(2026, 3, 2), policy=P)
    with pytest.raises(RuleViolation) as err:
        rules.require_can_redeem(holder, holder, None, on=date(2026, 3, 1), policy=P)
    assert err.value.rule == "redemption_age"


def test_redemption_for_spouse_only() -> None:
    holder, other = facts(1, birth=date(1990, 1, 1)), facts(2, birth=date(1950, 1, 1))
    rules.require_can_redeem(holder, other, "spouse", on=date(2026, 1, 1), policy=P)
    with pytest.raises(RuleViolation) as err:
        rules.require_can_redeem(holder, other, "parent", on=date(2026, 1, 1), policy=P)
    assert err.value.rule == "redeem_holder_or_spouse"


def test_shapes() -> None:
    check_shape("service_credit", "single", "issuance", "earned")
    check_shape("service_payment", "pending", "received", "redemption")
    # A re-gift has the shape of a gift; whether it is allowed is the policy's (regift_allowed).
    check_shape("gift", "single", "received", "received")
    for args in [
        ("gift", "single", "redemption", "received"),
        ("gift", "single", "issuance", "received"),  # no minting by gift
        ("donation", "single", "earned", "redemption"),
        ("service_credit", "pending", "issuance", "earned"),
    ]:
        with pytest.raises(RuleViolation):
            check_shape(*args)
    with pytest.raises(InvalidInput):
        check_shape("cash_out", "single", "earned", "redemption")


@pytest.mark.parametrize("bad", [0, -1, 1.0, "60", None, True, 10**13])
def test_amount_must_be_positive_whole_minutes(bad: object) -> None:
    with pytest.raises(InvalidInput) as err:
        check_amount(bad)
    assert err.value.field == "amount"


@pytest.mark.parametrize("bad", ["", "   ", None, "x" * 161])
def test_keys(bad: object) -> None:
    with pytest.raises(InvalidInput) as err:
        check_key(bad)
    assert err.value.field == "key"


def test_policy_overrides_are_checked() -> None:
    assert (
        Policy().with_overrides({"daily_credit_cap_minutes": 120}).daily_credit_cap_minutes == 120
    )
    for bad in (
        {"nope": 1},
        {"credit_unit_minutes": 7},
        {"daily_credit_cap_minutes": -1},
        {"regift_allowed": "yes"},
        {"star_level_hours": [300, 100]},
    ):
        with pytest.raises(InvalidInput):
            Policy().with_overrides(bad)
