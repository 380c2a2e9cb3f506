"""Who may call what: one row per endpoint (operation id) — the roles allowed and the scope rule.

The API refuses a role not listed with 403 (``rule: api_role``) before anything else runs.
Within an allowed role the scope rule applies, enforced by the use case (writes) or by
``timebank.api.scope`` (reads): acting on someone out of scope gives 403, reading someone out
of scope gives 404 (their existence is not revealed).

Scopes: ``public`` (no sign-in) · ``any`` (signed in, no target) · ``self`` (the person in the
path is the actor, or their principal; staff of the person's district; city admin; auditor) ·
``district`` (the resource lies in the staff member's district; the city admin everywhere) ·
``own`` (the resource is the actor's: their need, their visit, their grant).
"""

from __future__ import annotations

from dataclasses import dataclass

from timebank.actors import Role

V, E, P = Role.VOLUNTEER, Role.ELDER, Role.PROXY
S, D, C, A = Role.STATION, Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.AUDITOR
EVERYONE = frozenset({V, E, P, S, D, C, A})
PEOPLE = frozenset({V, E, P})
STAFF = frozenset({S, D, C})
READERS = frozenset({S, D, C, A})


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    scope: str  # public | any | self | district | own

    @property
    def public(self) -> bool:
        return self.scope == "public"


def _r(scope: str, *roles: Role | frozenset[Role]) -> Rule:
    flat: set[Role] = set()
    for r in roles:
        flat |= r if isinstance(r, frozenset) else {r}
    return Rule(frozenset(flat), scope)


PUBLIC = _r("public")

PERMISSIONS: dict[str, Rule] = {
    # Sign-in
    "register": PUBLIC,
    "verify_phone": PUBLIC,
    "send_code": PUBLIC,
    "sign_in": PUBLIC,
    "refresh_tokens": PUBLIC,
    "revoke_token": PUBLIC,
    "open_session": PUBLIC,
    "reset_password": PUBLIC,
    "close_session": _r("any", EVERYONE),
    "change_password": _r("any", EVERYONE),
    "whoami": _r("any", EVERYONE),
    "dev_outbox": PUBLIC,
    # Accounts and proxies
    "create_user": _r("district", S, D, C),
    "set_user_status": _r("district", S, D, C),
    "grant_proxy": _r("self", PEOPLE, S),
    "revoke_proxy": _r("own", PEOPLE, S),
    "list_grants": _r("self", PEOPLE, READERS),
    # Personal data
    "export_person_data": _r("self", PEOPLE),
    "person_data_access": _r("self", PEOPLE, C, A),
    "list_consents": _r("self", PEOPLE, READERS),
    # People
    "register_person": _r("district", S, D, C),
    "list_people": _r("district", READERS),
    "get_person": _r("self", PEOPLE, READERS),
    "reveal_id_number": _r("self", PEOPLE, C),
    "record_residency": _r("district", S),
    "declare_health": _r("self", PEOPLE, S),
    "record_training": _r("district", S),
    "link_guardian": _r("district", S),
    "record_guardian_consent": _r("self", PEOPLE, S),
    "activate_volunteer": _r("self", PEOPLE, S),
    "declare_kinship": _r("self", PEOPLE, S),
    "list_kinships": _r("self", PEOPLE, READERS),
    "verify_kinship": _r("district", S),
    "reject_kinship": _r("district", S),
    "name_beneficiary": _r("self", PEOPLE),
    "add_qualification": _r("self", PEOPLE, S),
    "verify_qualification": _r("district", S),
    "reject_qualification": _r("district", S),
    "set_person_status": _r("district", PEOPLE, D, C),  # people: only to exit themselves
    "record_death": _r("district", S, D, C),
    "set_volunteer_profile": _r("self", PEOPLE, S),
    # Coins
    "get_balance": _r("self", PEOPLE, READERS),
    "get_statement": _r("self", PEOPLE, READERS),
    "gift": _r("self", PEOPLE),
    "donate": _r("self", PEOPLE),
    "allocate_from_pool": _r("district", D, C),
    "reverse_transfer": _r("district", D, C),
    "verify_ledger": _r("any", C, A),
    "seal_ledger": _r("any", C),
    # Catalog, policy, organisations
    "list_items": PUBLIC,
    "add_item": _r("district", D, C),
    "set_item_active": _r("district", D, C),
    "get_policy": _r("any", EVERYONE),
    "set_policy": _r("any", C),
    "list_organisations": PUBLIC,
    "register_organisation": _r("district", D, C),
    "confirm_organisation": _r("district", D, C),
    # Needs
    "publish_need": _r("self", PEOPLE, S),
    "list_needs": _r("district", READERS),
    "get_need": _r("own", PEOPLE, READERS),
    "person_needs": _r("self", PEOPLE, READERS),
    "review_need": _r("district", S),
    "cancel_need": _r("own", PEOPLE, S),
    "accept_need": _r("any", V),  # open needs are citywide; taken for oneself
    "assign_need": _r("district", S, D, C),
    "dispatch_district": _r("district", S, D, C),
    "expire_needs": _r("any", C),
    "nearby_needs": _r("self", V),
    # Visits
    "person_visits": _r("self", PEOPLE, READERS),
    "check_in_code": _r("self", E, P, S),
    "get_visit": _r("own", PEOPLE, READERS),
    "check_in": _r("own", V, P, S),
    "check_out": _r("own", V, P, S),
    "confirm_visit": _r("own", E, P, S),
    "dispute_visit": _r("own", E, P, S),
    "resolve_dispute": _r("district", S),
    "record_no_show": _r("own", E, P, S),
    "withdraw_visit": _r("own", V, P),
    "import_paper_records": _r("district", S),
    "approve_paper_record": _r("district", S),
    # Notices: one's own inbox (a proxy's or station's X-Act-For: the principal's); the
    # notices no attempt delivered, for the city admin to follow up
    "list_inbox": _r("own", PEOPLE, S),
    "mark_notice_read": _r("own", PEOPLE, S),
    "list_given_up_notices": _r("any", C),
    # 10,000 rule
    "apply_for_admission": _r("self", V, P),
    "get_admission": _r("own", V, P, READERS),
    "station_review_admission": _r("district", S),
    "district_decide_admission": _r("district", D, C),
    "withdraw_admission": _r("own", V, P),
    # Audit
    "audit_entries": _r("district", D, C, A),
    "data_access_log": _r("any", C, A),
    # Dashboards (pages and their JSON)
    "dashboard": _r("district", D, C, A),
    # Supervision: alerts, watch list, cases, sanctions, appeals
    "list_alerts": _r("district", D, C, A),
    "get_alert": _r("district", D, C, A),
    "watch_list": _r("district", D, C, A),
    "list_cases": _r("district", D, C, A),
    "open_case": _r("district", D, C),
    "get_case": _r("district", D, C, A),
    "assign_case": _r("district", D, C),
    "decide_case": _r("district", D, C),
    "file_appeal": _r("self", PEOPLE, S),
    "list_appeals": _r("district", D, C, A),
    "decide_appeal": _r("any", C),  # appeals go one level up: the city hears them
    "untrustworthy_list": PUBLIC,
    "mark_untrustworthy": _r("district", D, C),
    "run_scan": _r("any", C),
}


def effective_role(role: Role, *, person_id: int | None, act_for: int | None) -> Role:
    """A personal account acting for someone else is a proxy for the request."""
    if act_for is not None and act_for != person_id and role in PEOPLE:
        return Role.PROXY
    return role
