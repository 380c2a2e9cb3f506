"""The people rules of DESIGN §2, pure: who may volunteer, minors, kinship, qualifications.

Each refusal is a rule name (snake_case) that services put in ``RuleViolation.rule``.
No ORM, no settings, no clock: the caller passes facts, the policy and the local date.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from timebank.clock import age_on
from timebank.errors import InvalidInput
from timebank.policy import Policy

# Civil Code art. 17: adulthood, and so who needs (and who may be) a guardian.
ADULT_AGE = 18
# PIPL art. 28/31: personal data of a child under 14 is sensitive and needs guardian consent.
SENSITIVE_MINOR_AGE = 14
RESIDENCY_KINDS = ("hukou", "residence_permit")
STATUSES = ("active", "suspended", "disqualified", "deceased", "exited")
# The moves ``set_status`` may make. A disqualification is a sanction: the plain status path
# only records a death after it. The way back is ``REINSTATEMENT`` below, never this table.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    "active": frozenset({"suspended", "disqualified", "deceased", "exited"}),
    "suspended": frozenset({"active", "disqualified", "deceased", "exited"}),
    "disqualified": frozenset({"deceased"}),
    "exited": frozenset({"active", "deceased"}),
    "deceased": frozenset(),
}
# The one move outside STATUS_TRANSITIONS, open only to an upheld appeal (``reinstate``).
REINSTATEMENT = ("disqualified", "active")

RELATIONS = ("spouse", "parent", "child", "grandparent", "grandchild")
INVERSE = {
    "spouse": "spouse",
    "parent": "child",
    "child": "parent",
    "grandparent": "grandchild",
    "grandchild": "grandparent",
}
# Youngest plausible gap between a parent and a child; twice that for grandparents.
MIN_GENERATION_GAP_YEARS = 14
# Civil Code art. 1047: men may marry at 22, women at 20.
MARRIAGE_AGE = {"M": 22, "F": 20}


def optional_text(value: str | None, *, field: str, max_len: int) -> str | None:
    text = " ".join(unicodedata.normalize("NFKC", value or "").split())
    if len(text) > max_len:
        raise InvalidInput(f"{field} must be at most {max_len} characters", field=field)
    return text or None


def required_text(value: str | None, *, field: str, max_len: int) -> str:
    text = optional_text(value, field=field, max_len=max_len)
    if text is None:
        raise InvalidInput(f"{field} is required", field=field)
    return text


def is_minor(birth: date, on: date, policy: Policy) -> bool:
    return age_on(birth, on) < policy.volunteer_min_age


def is_sensitive_minor(birth: date, on: date) -> bool:
    return age_on(birth, on) < SENSITIVE_MINOR_AGE


def residency_valid(kind: str | None, valid_until: date | None, on: date) -> bool:
    """A hukou does not expire; a residence permit counts until its stated end date."""
    if kind == "hukou":
        return True
    if kind == "residence_permit":
        return valid_until is not None and on <= valid_until
    return False


@dataclass(frozen=True)
class VolunteerFacts:
    birth_date: date
    status: str
    volunteer_status: str
    residency_kind: str | None
    residency_valid_until: date | None
    health_fit: bool | None  # None: never declared
    trained: bool  # a training record completed on or before the day
    is_student: bool
    has_guardian: bool
    guardian_consent: bool


def volunteer_refusals(facts: VolunteerFacts, policy: Policy, today: date) -> list[str]:
    """Every unmet activation rule, in a stable order; empty means the person may volunteer."""
    refusals: list[str] = []
    if facts.status != "active":
        refusals.append("status_active")
    if facts.volunteer_status == "disqualified":
        refusals.append("volunteer_disqualified")
    if is_minor(facts.birth_date, today, policy):
        # Minors volunteer only as students led by a guardian who consented [F-B2, PIPL].
        if not facts.is_student:
            refusals.append("min_age")
        if not facts.has_guardian:
            refusals.append("minor_guardian")
        if not facts.guardian_consent:
            refusals.append("minor_guardian_consent")
    if facts.residency_kind is None:
        refusals.append("residency_proof")
    elif not residency_valid(facts.residency_kind, facts.residency_valid_until, today):
        refusals.append("residency_expired")
    if facts.health_fit is None:
        refusals.append("health_declaration")
    elif not facts.health_fit:
        refusals.append("health_fit")
    if not facts.trained:
        refusals.append("training")
    return refusals


def can_serve_as_minor(
    *, guardian_id: int | None, guardian_consent: bool, attendee_ids: Collection[int]
) -> bool:
    """A minor may serve only in a session that their consenting guardian attends."""
    return guardian_id is not None and guardian_consent and guardian_id in attendee_ids


def inverse(relation: str) -> str:
    try:
        return INVERSE[relation]
    except KeyError:
        raise InvalidInput(f"unknown relation {relation!r}", field="relation") from None


def is_direct_relative(relation: str | None) -> bool:
    """直系亲属 plus spouse: the relatives coins may be gifted to or left to."""
    return relation in INVERSE


@dataclass(frozen=True)
class KinFacts:
    birth_date: date
    sex: str


def kinship_implausibility(
    relation: str, person: KinFacts, relative: KinFacts, on: date
) -> str | None:
    """The rule a declared ``relative`` (the ``relation`` of ``person``) breaks, if any."""
    if relation == "spouse":
        for kin in (person, relative):
            if age_on(kin.birth_date, on) < MARRIAGE_AGE.get(kin.sex, 22):
                return "kinship_marriage_age"
        return None
    generations = {"parent": 1, "grandparent": 2, "child": -1, "grandchild": -2}[relation]
    elder, younger = (relative, person) if generations > 0 else (person, relative)
    gap = age_on(elder.birth_date, younger.birth_date)
    if gap < MIN_GENERATION_GAP_YEARS * abs(generations):
        return "kinship_generation_gap"
    return None


def status_transition_allowed(old: str, new: str, *, upheld_appeal: bool = False) -> bool:
    """Whether a person may move from ``old`` to ``new``.

    Policy (docs/policy.md, "Reinstatement"): ``disqualified → active`` is allowed **only**
    through an upheld appeal against the case that disqualified the person — the dedicated use
    case ``people.status.reinstate``, decided by the city — and never through a plain status
    change. Reinstatement gives back the account, not the volunteering: the person must
    re-activate as a volunteer, and the qualifications cancelled with the disqualification stay
    cancelled until a station verifies them again."""
    if upheld_appeal and (old, new) == REINSTATEMENT:
        return True
    return new in STATUS_TRANSITIONS.get(old, frozenset())


def qualification_valid_on(
    *, status: str, valid_from: date, valid_until: date | None, on: date
) -> bool:
    """Verified, started and not expired (``valid_until`` is the last valid day)."""
    if status != "verified" or on < valid_from:
        return False
    return valid_until is None or on <= valid_until
