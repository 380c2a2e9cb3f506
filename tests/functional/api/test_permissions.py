"""Every endpoint × every role × in and out of scope, against the permission table.

A role the table does not list is refused by the gate (403, rule ``api_role``). A listed
role acting in scope gets past the gate and the scope rule (whatever the use case then says
about the body or the state, never 401/5xx and never the gate's 403). A listed role acting
out of scope (the other district's people and records, or another person's) gets 403 or 404.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.functional.api.conftest import ApiWorld
from timebank.actors import SYSTEM, Actor, Role
from timebank.api.app import api_routes, rules_without_endpoint
from timebank.app import create_app
from timebank.auth.permissions import PERMISSIONS
from timebank.care import assign, needs
from timebank.care.needs import NeedRequest
from timebank.notices.models import Notice
from timebank.people import services as people
from timebank.people.proxies import grant_proxy
from timebank.policy import Policy
from timebank.supervision import services as sv
from timebank.supervision.detection.facts import Rule, make_alert
from timebank.supervision.records import record_alerts

ROLES = {  # role key in the world → (role, X-Act-For person key)
    "volunteer": (Role.VOLUNTEER, None),
    "elder": (Role.ELDER, None),
    "proxy": (Role.PROXY, "elder"),
    "station": (Role.STATION, None),
    "district": (Role.DISTRICT_ADMIN, None),
    "city": (Role.CITY_ADMIN, None),
    "auditor": (Role.AUDITOR, None),
}
CITYWIDE = {"city", "auditor"}
PERSON_OF = {"volunteer": "volunteer", "elder": "elder", "proxy": "elder"}


def _objects(api: ApiWorld) -> None:
    """A need (open), a scheduled visit, a pending kinship and qualification, per district."""
    now = api.clock.now()
    item = api.item_id()
    with api.session() as s:
        for tag in ("", "_other"):
            station = Actor(
                role=Role.STATION,
                org_id=api.ids["station" + tag],
                district_code="110101" if not tag else "110105",
                name="seed",
            )
            elder, volunteer = api.ids["elder" + tag], api.ids["volunteer" + tag]
            start = now + timedelta(days=1)
            request = NeedRequest(
                elder_id=elder,
                item_id=item,
                description="陪聊",
                window_start=start,
                window_end=start + timedelta(hours=3),
                expected_minutes=60,
            )
            for name in ("need", "visit_need"):
                [need] = needs.publish_need(
                    s, actor=station, request=request, policy=Policy(), at=now
                )
                needs.review_need(
                    s, actor=station, need_id=need.id, approve=True, policy=Policy(), at=now
                )
                api.ids[name + tag] = need.id
            visit = assign.assign_need(
                s,
                actor=station,
                need_id=api.ids["visit_need" + tag],
                volunteer_id=volunteer,
                policy=Policy(),
                at=now,
            )
            api.ids["visit" + tag] = visit.id
            kin = people.declare_kinship(
                s,
                actor=station,
                person_id=volunteer,
                relative_id=elder,
                relation="grandparent",
                at=now,
            )
            api.ids["kinship" + tag] = kin.id
            q = people.add_qualification(
                s,
                actor=station,
                person_id=volunteer,
                qualification_type="lawyer",
                number=f"L{volunteer}",
                issuer="司法局",
                valid_from=now.date(),
                valid_until=None,
                at=now,
            )
            api.ids["qualification" + tag] = q.id
            _supervision_objects(s, api, tag, volunteer, now)
        other = Actor(role=Role.ELDER, person_id=api.ids["elder_other"])
        api.ids["grant_other"] = grant_proxy(
            s,
            actor=other,
            principal_id=api.ids["elder_other"],
            proxy_phone=api.phones["volunteer_other"],
            at=now,  # type: ignore[attr-defined]
        ).id
        s.commit()


def _supervision_objects(s: Any, api: ApiWorld, tag: str, volunteer: int, now: Any) -> None:
    """Per district: an open alert, an open case, and a warned case (its notice in the
    volunteer's inbox) with a pending appeal."""
    admin = Actor(
        role=Role.DISTRICT_ADMIN,
        user_id=api.ids["user:district" + tag],
        district_code="110101" if not tag else "110105",
    )
    found = [
        make_alert(Rule.LATE_NIGHT, "visit", f"walk{tag}{n}", 0.9, {"n": n}, [volunteer])
        for n in range(3)
    ]
    new = record_alerts(s, found, actor=SYSTEM, source="scan", at=now).new_ids
    api.ids["alert" + tag] = new[0]
    api.ids["case" + tag] = sv.open_case(s, actor=admin, alert_ids=[new[1]], at=now).id
    warned = sv.open_case(s, actor=admin, alert_ids=[new[2]], at=now)
    sv.decide_case(s, actor=admin, case_id=warned.id, outcome="warn", reason="提醒", at=now)
    api.ids["notice" + tag] = s.execute(  # the warning, in the volunteer's inbox
        select(Notice.id).where(Notice.dedup_key == f"case_warning:{warned.id}:{volunteer}")
    ).scalar_one()
    api.ids["appeal" + tag] = sv.appeal(
        s,
        actor=Actor(role=Role.VOLUNTEER, person_id=volunteer),
        case_id=warned.id,
        reason="不服",
        at=now,
    ).id


def _body(op: str, ids: dict[str, int], tag: str, who: str) -> Any:
    start = "2026-03-03T09:00:00+08:00"
    person = ids[PERSON_OF.get(who, "volunteer") + tag]
    bodies: dict[str, Any] = {
        "publish_need": {
            "elder_id": ids["elder" + tag],
            "item_id": 1,
            "description": "陪聊",
            "window_start": start,
            "window_end": "2026-03-03T12:00:00+08:00",
            "expected_minutes": 60,
        },
        "gift": {"recipient_id": ids["elder" + tag], "amount": 30},
        "donate": {"amount": 30},
        "allocate_from_pool": {"amount": 30, "reason": "priority"},
        "reverse_transfer": {"reason": "fraud"},
        "review_need": {"approve": False, "reason": "重复"},
        "cancel_need": {"reason": "不需要了"},
        "assign_need": {"volunteer_id": ids["volunteer" + tag]},
        "check_in": {"code": "000000"},
        "check_out": {"code": "000000"},
        "confirm_visit": {"rating": 5},
        "dispute_visit": {"reason": "没来"},
        "resolve_dispute": {"uphold": False, "resolution": "驳回"},
        "approve_paper_record": {"approve": False, "reason": "不符"},
        "reject_kinship": {"reason": "证明不足"},
        "reject_qualification": {"reason": "证书过期"},
        "record_residency": {"kind": "hukou", "reference": "户口簿"},
        "declare_health": {"fit": True},
        "record_training": {"course": "基础", "completed_on": "2026-03-01"},
        "link_guardian": {"guardian_id": ids["family"]},
        "record_guardian_consent": {"consent": True},
        "declare_kinship": {"relative_id": ids["family"], "relation": "child"},
        "name_beneficiary": {"beneficiary_id": None},
        "add_qualification": {
            "qualification_type": "nurse",
            "number": f"N{who}{tag}",
            "issuer": "卫健委",
            "valid_from": "2026-01-01",
        },
        "set_person_status": {"status": "exited", "reason": "搬家"},
        "record_death": {"died_on": "2026-03-01", "reason": "家属告知"},
        "set_volunteer_profile": {"categories": [], "radius_m": 3000},
        "grant_proxy": {"proxy_phone": "13900000000"},
        "create_user": {
            "phone": "13700000000",
            "password": "pass-word-1",
            "role": "station",
            "display_name": "站员",
            "org_id": ids["station" + tag],
        },
        "set_user_status": {"status": "active"},
        "register_person": {
            "full_name": "赵",
            "id_number": "110101195001010023",
            "district_code": "110101" if not tag else "110105",
        },
        "add_item": {
            "district_code": "110101" if not tag else "110105",
            "category_code": "assistance",
            "code": f"x{who}",
            "name_zh": "项",
            "name_en": "item",
        },
        "set_item_active": {"active": True},
        "set_policy": {"values": {}},
        "register_organisation": {
            "kind": "station",
            "name": "站",
            "district_code": "110101" if not tag else "110105",
        },
        "station_review_admission": {"approve": False},
        "district_decide_admission": {"approve": False},
        "apply_for_admission": {"person_id": person},
        "open_case": {"alert_ids": [ids["alert" + tag]]},
        "assign_case": {"assignee_user_id": ids["user:district" + tag]},
        "decide_case": {"outcome": "dismiss", "reason": "查无实据"},
        "file_appeal": {"reason": "不服"},
        "decide_appeal": {"uphold": False, "reason": "证据充分"},
        "mark_untrustworthy": {"reason": "伪造服务记录"},
        "run_scan": {},
        "import_paper_records": {
            "rows": [
                {
                    "volunteer_id_number": "",
                    "elder_id_number": "",
                    "item_code": "",
                    "start": "",
                    "end": "",
                }
            ]
        },
    }
    return bodies.get(op)


def _path(template: str, ids: dict[str, int], tag: str, who: str) -> str:
    person = ids[PERSON_OF.get(who, "volunteer") + tag]
    values = {
        "person_id": person,
        "need_id": ids["need" if not tag else "visit_need_other"],  # open needs are public
        "visit_id": ids["visit" + tag],
        "kinship_id": ids["kinship" + tag],
        "qualification_id": ids["qualification" + tag],
        "transfer_id": 1 if not tag else 2,  # the seed credits of each district's elder
        "item_id": 1,
        "org_id": ids["station" + tag],
        "user_id": ids["user:volunteer" + tag],
        "grant_id": 1 if not tag else ids["grant_other"],
        "application_id": 1,
        "district_code": "110101" if not tag else "110105",
        "alert_id": ids["alert" + tag],
        "case_id": ids["case" + tag],
        "appeal_id": ids["appeal" + tag],
        "notice_id": ids["notice" + tag],
    }
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), template)


def _call(api: ApiWorld, method: str, path: str, who: str, body: Any) -> Any:
    _, act_for = ROLES[who]
    headers = {"Authorization": f"Bearer {api.tokens[who]}", "Idempotency-Key": f"walk-{path}"}
    if act_for:
        headers["X-Act-For"] = str(api.ids[act_for])
    return api.client.request(method, path, json=body, headers=headers)


def test_every_endpoint_role_and_scope_follows_the_table(api: ApiWorld) -> None:
    _objects(api)
    failures: list[str] = []
    for route in api_routes(api.client.app):  # type: ignore[arg-type]
        op, template = str(route.name), str(route.path)
        rule = PERMISSIONS[op]
        method = sorted(route.methods or {"GET"})[0]
        if rule.public:
            continue
        for who, (role, _) in ROLES.items():
            body = _body(op, api.ids, "", who)
            r = _call(api, method, _path(template, api.ids, "", who), who, body)
            if op in ("close_session", "change_password", "set_user_status"):
                api.renew()  # these may sign the caller out
            refused = r.status_code == 403 and r.json().get("rule") == "api_role"
            if role not in rule.roles and not refused:
                failures.append(f"{op} as {who}: expected the gate's 403, got {r.status_code}")
            if role in rule.roles and (refused or r.status_code == 401 or r.status_code >= 500):
                failures.append(f"{op} as {who} in scope: got {r.status_code} {r.text[:120]}")
            out_of_scope = (
                role in rule.roles
                and who not in CITYWIDE
                and "{" in template
                and rule.scope in ("self", "district", "own")
            )
            if out_of_scope:
                r = _call(
                    api,
                    method,
                    _path(template, api.ids, "_other", who),
                    who,
                    _body(op, api.ids, "_other", who),
                )
                if r.status_code not in (403, 404):
                    failures.append(
                        f"{op} as {who} out of scope: got {r.status_code} {r.text[:160]}"
                    )
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("op", sorted(PERMISSIONS))
def test_every_rule_names_known_roles_and_scope(op: str) -> None:
    rule = PERMISSIONS[op]
    assert rule.scope in ("public", "any", "self", "district", "own")
    assert rule.public == (not rule.roles)


def test_every_rule_has_an_endpoint() -> None:
    from timebank.config import Settings

    app = create_app(Settings(database_url="sqlite://"))
    assert rules_without_endpoint(app) == []
