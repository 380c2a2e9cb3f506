"""Pure coin rules (DESIGN §2 "Coins"): no database, no clock, no settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from timebank.clock import age_on
from timebank.errors import RuleViolation
from timebank.policy import Policy

DIRECT_RELATIONS = frozenset({"spouse", "parent", "child", "grandparent", "grandchild"})
FROZEN_STATUSES = frozenset({"suspended", "disqualified", "deceased", "exited"})


def credit_minutes(duration_minutes: int, credited_today: int, policy: Policy) -> int:
    """Minutes to credit for a confirmed visit: rounded down to the unit, within the daily cap."""
    if duration_minutes <= 0:
        return 0
    unit = policy.credit_unit_minutes
    rounded = duration_minutes // unit * unit
    room = max(policy.daily_credit_cap_minutes - credited_today, 0)
    return min(rounded, room // unit * unit)


def star_level(service_minutes: int, policy: Policy) -> int:
    """0 to len(levels): how many star thresholds (in hours) own service has reached."""
    hours = service_minutes // 60
    return sum(1 for threshold in policy.star_level_hours if hours >= threshold)


def admission_eligible(service_minutes: int, earned_available: int, policy: Policy) -> bool:
    """The 10,000 rule: own lifetime service AND own-earned coins both reach the threshold.

    Gifts received never count: only the ``earned`` account is looked at.
    """
    return (
        service_minutes >= policy.admission_service_minutes
        and earned_available >= policy.admission_balance_minutes
    )


@dataclass(frozen=True)
class PersonFacts:
    id: int
    status: str
    birth_date: date


def require_can_move(person: PersonFacts, *, role: str) -> None:
    if person.status in FROZEN_STATUSES:
        raise RuleViolation(
            f"the {role}'s account is {person.status}: coins cannot move", rule="account_frozen"
        )


def require_can_gift(
    giver: PersonFacts,
    recipient: PersonFacts,
    relation: str | None,
    *,
    gifted_this_year: int,
    gifts_this_year: int,
    to_recipient_this_year: int,
    amount: int,
    source: str = "earned",
    policy: Policy,
) -> None:
    """Gifts go only to a verified direct relative, within the yearly limits (INF); coins
    received as gifts are gifted on only where the policy allows it (INF: not allowed)."""
    require_can_move(giver, role="giver")
    if source == "received" and not policy.regift_allowed:
        raise RuleViolation(
            "coins received as gifts cannot be gifted on; give from own-earned coins",
            rule="regift_not_allowed",
        )
    if recipient.status in ("deceased", "exited"):
        raise RuleViolation(f"the recipient is {recipient.status}", rule="recipient_inactive")
    if giver.id == recipient.id:
        raise RuleViolation("a gift goes to someone else", rule="gift_to_self")
    if relation not in DIRECT_RELATIONS:
        raise RuleViolation(
            "gifts go only to a spouse, parent, child, grandparent or grandchild whose kinship "
            "a station has verified",
            rule="gift_verified_kin",
        )
    limits = [
        (policy.gift_yearly_limit_minutes, gifted_this_year + amount, "gift_yearly_minutes"),
        (policy.gift_yearly_count_limit, gifts_this_year + 1, "gift_yearly_count"),
        (
            policy.gift_per_recipient_yearly_limit_minutes,
            to_recipient_this_year + amount,
            "gift_per_recipient_yearly_minutes",
        ),
    ]
    for limit, would_be, rule in limits:
        if limit and would_be > limit:
            raise RuleViolation(
                f"this gift would pass the yearly limit ({rule} = {limit})", rule=rule
            )


def require_can_redeem(
    holder: PersonFacts,
    beneficiary: PersonFacts,
    relation: str | None,
    *,
    on: date,
    policy: Policy,
) -> None:
    """Coins buy care for the holder, or the holder's verified spouse, once aged 60+."""
    require_can_move(holder, role="holder")
    if beneficiary.id != holder.id and relation != "spouse":
        raise RuleViolation(
            "coins buy care only for the holder or the holder's verified spouse",
            rule="redeem_holder_or_spouse",
        )
    if beneficiary.status in ("deceased", "exited"):
        raise RuleViolation(f"the beneficiary is {beneficiary.status}", rule="recipient_inactive")
    age = age_on(beneficiary.birth_date, on)
    if age < policy.redemption_age:
        raise RuleViolation(
            f"care can be redeemed from age {policy.redemption_age}; the beneficiary is {age}",
            rule="redemption_age",
        )
