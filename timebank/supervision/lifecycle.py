"""The life of a case, pure: which moves are allowed and what each outcome leads to.

open → assigned (and re-assigned) → dismissed | warned | confirmed; a warning or a confirmed
fraud may be appealed to the city, and an upheld appeal overturns it. Dismissed is final.
"""

from __future__ import annotations

from timebank.errors import Conflict, InvalidInput

CASE_FLOW: dict[str, frozenset[str]] = {
    "open": frozenset({"assigned", "dismissed", "warned", "confirmed"}),
    "assigned": frozenset({"assigned", "dismissed", "warned", "confirmed"}),
    "dismissed": frozenset(),
    "warned": frozenset({"overturned"}),
    "confirmed": frozenset({"overturned"}),
    "overturned": frozenset(),
}
OUTCOME_STATE = {"dismiss": "dismissed", "warn": "warned", "confirm_fraud": "confirmed"}
APPEALABLE = frozenset({"warned", "confirmed"})


def case_move_allowed(old: str, new: str) -> bool:
    return new in CASE_FLOW.get(old, frozenset())


def require_case_move(case_id: int, old: str, new: str) -> None:
    if not case_move_allowed(old, new):
        raise Conflict(
            f"case {case_id} is {old} and cannot become {new}",
            rule="case_transition",
            details={"from": old, "to": new},
        )


def state_for(outcome: str) -> str:
    try:
        return OUTCOME_STATE[outcome]
    except KeyError:
        raise InvalidInput(
            f"outcome must be one of {', '.join(OUTCOME_STATE)}", field="outcome"
        ) from None


def require_appealable(case_id: int, status: str, pending_appeal: bool) -> None:
    if status not in APPEALABLE:
        raise Conflict(
            f"case {case_id} is {status}: only a warning or a confirmed fraud can be appealed",
            rule="appeal_state",
        )
    if pending_appeal:
        raise Conflict(f"case {case_id} already has an appeal pending", rule="appeal_pending")
