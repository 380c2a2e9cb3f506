"""The 10,000 rule: a volunteer (or their family proxy) sees the progress and applies to enter a
public care home of the home district — the coins are held while it is decided; a station of
the district reviews, then the district decides; the applicant may withdraw until then."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.care import admission
from timebank.care.admission import AdmissionApplication
from timebank.errors import InvalidInput, NotFound, TimebankError
from timebank.ledger import services as ledger
from timebank.people.models import Organisation, Person
from timebank.web import context as wc
from timebank.web.cases import scope_of
from timebank.web.on_behalf import whose
from timebank.web.render import WebRoute, redirect, render
from timebank.web.station import station_district
from timebank.web.transactions import act, errors_of, ledger_key, logged, nonce, policy, read

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Text = Annotated[str, Form()]
OPEN = ("submitted", "station_approved")
STATUS_WORDS = {
    "submitted": "等服务站审核",
    "station_approved": "服务站已审核，等区里决定",
    "approved": "已批准",
    "rejected": "没有批准",
    "withdrawn": "已撤回",
}
DONE = {
    "applied": "申请已提交，时间币已冻结。",
    "withdrawn": "申请已撤回，冻结的时间币已退回。",
    "approved": "已通过。",
    "rejected": "已退回，冻结的时间币已退回申请人。",
}


def _notice(web: wc.Web, done: str) -> str | None:
    return web._(DONE[done]) if done in DONE else None


# The applicant's side --------------------------------------------------------------------------


def _mine(web: wc.Web, person_id: int, act_for: int | None) -> dict[str, Any]:
    def work(s: Session, actor: Actor) -> dict[str, Any]:
        pol = policy(s)
        person = s.get(Person, person_id)
        assert person is not None
        apps = list(
            s.execute(
                select(AdmissionApplication)
                .where(AdmissionApplication.person_id == person_id)
                .order_by(AdmissionApplication.id.desc())
            ).scalars()
        )
        homes = s.execute(
            select(Organisation.id, Organisation.name)
            .where(
                Organisation.kind == "care_home",
                Organisation.district_code == person.district_code,
            )
            .order_by(Organisation.name)
        ).all()
        bal = ledger.balances(s, person_id=person_id, policy=pol)
        return {
            "bal": bal,
            "own": bal.earned - _held_own(s, person_id),
            "need_service": pol.admission_service_minutes,
            "need_balance": pol.admission_balance_minutes,
            "open_app": next((a for a in apps if a.status in OPEN), None),
            "apps": apps,
            "homes": [(hid, name) for hid, name in homes],
        }

    return read(web, work, act_for=act_for)


def _held_own(s: Session, person_id: int) -> int:
    return ledger.account_of(s, person_id, "earned").pending


def _page(web: wc.Web, person_id: int, act_for: int | None, code: int = 200, **v: Any) -> Response:
    v.setdefault("errors", {})
    v.setdefault("form", {})
    v.setdefault("nonce", nonce())
    return render(
        web,
        "admission.html",
        status=code,
        title=web._("申请入住养老机构"),
        status_words=STATUS_WORDS,
        **_mine(web, person_id, act_for),
        **v,
    )


def _applicant(web: wc.Web, op: str) -> tuple[int, int | None]:
    who = whose(web, op, own=(Role.VOLUNTEER,))
    return who.person_id, who.act_for


@router.get("/admission")
def mine(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    person_id, act_for = _applicant(web, "apply_for_admission")
    return _page(web, person_id, act_for, notice=_notice(web, done))


@router.post("/admission")
def apply(request: Request, key: Text = "", care_home_id: Text = "") -> Response:
    web = wc.web_of(request)
    person_id, act_for = _applicant(web, "apply_for_admission")
    try:
        if care_home_id and not (care_home_id.isdigit() and len(care_home_id) <= 15):
            raise InvalidInput("choose a care home from the list", field="care_home_id")
        home = int(care_home_id) if care_home_id else None
        act(
            web,
            lambda s, actor: admission.apply_for_admission(
                s,
                actor=actor,
                key=ledger_key(web, "admission", key),
                person_id=person_id,
                care_home_id=home,
                policy=policy(s),
                at=web.now,
            ),
            act_for=act_for,
            target={"person_id": person_id},
            moves_coins=True,
        )
    except TimebankError as exc:
        if exc.status in (401, 403):
            raise
        errors = errors_of(web, exc, ("care_home_id",))
        if exc.rule == "home_district":
            errors = {"care_home_id": errors["_"]}
        form = {"care_home_id": care_home_id}
        return _page(web, person_id, act_for, exc.status, errors=errors, form=form, nonce=key)
    return redirect("/admission?done=applied")


@router.post("/admission/{application_id}/withdraw")
def withdraw(request: Request, application_id: int) -> Response:
    web = wc.web_of(request)
    person_id, act_for = _applicant(web, "withdraw_admission")

    def work(s: Session, actor: Actor) -> AdmissionApplication:
        found = s.get(AdmissionApplication, application_id)
        if found is None or found.person_id != person_id:
            raise NotFound(f"no admission application {application_id}", field="application_id")
        return admission.withdraw_admission(
            s, actor=actor, application_id=application_id, at=web.now
        )

    act(web, work, act_for=act_for, target={"application_id": application_id}, moves_coins=True)
    return redirect("/admission?done=withdrawn")


# Staff: the station reviews, the district decides ------------------------------------------------


def _queue(web: wc.Web, district: str | None, status: str) -> list[dict[str, Any]]:
    def work(s: Session, actor: Actor) -> list[dict[str, Any]]:
        pol = policy(s)
        query = (
            select(AdmissionApplication, Person)
            .join(Person, Person.id == AdmissionApplication.person_id)
            .where(AdmissionApplication.status == status)
            .order_by(AdmissionApplication.id)
            .limit(100)
        )
        if district:
            query = query.where(AdmissionApplication.district_code == district)
        rows = []
        for app, person in s.execute(query).tuples():
            logged(web, s, actor, person.id, "admission_review")
            homes = [app.care_home_id] if app.care_home_id else []
            names = dict(
                s.execute(
                    select(Organisation.id, Organisation.name).where(Organisation.id.in_(homes))
                )
                .tuples()
                .all()
            )
            rows.append(
                {
                    "app": app,
                    "person": person,
                    "bal": ledger.balances(s, person_id=person.id, policy=pol),
                    "home": names.get(app.care_home_id or 0, ""),
                }
            )
        return rows

    return read(web, work)


def _queue_page(
    web: wc.Web, district: str | None, station: bool, code: int = 200, **v: Any
) -> Response:
    v.setdefault("errors", {})
    consumes = read(web, lambda s, actor: policy(s).admission_consumes_coins)
    return render(
        web,
        "admission_queue.html",
        status=code,
        title=web._("入住申请审核") if station else web._("入住申请决定"),
        rows=_queue(web, district, "submitted" if station else "station_approved"),
        station=station,
        consumes=consumes,
        action="/s/admissions" if station else "/a/admissions",
        **v,
    )


def _decision(raw: str) -> bool:
    if raw not in ("approve", "reject"):
        raise InvalidInput("choose approve or reject", field="reason")
    return raw == "approve"


@router.get("/s/admissions")
def station_queue(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    district = station_district(web, "station_review_admission")
    return _queue_page(web, district, True, notice=_notice(web, done))


@router.get("/a/admissions")
def district_queue(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    district = scope_of(web, "district_decide_admission")
    return _queue_page(web, district, False, notice=_notice(web, done))


def _in_scope(s: Session, district: str | None, application_id: int) -> None:
    found = s.get(AdmissionApplication, application_id)
    if found is None or (district is not None and found.district_code != district):
        raise NotFound(f"no admission application {application_id}", field="application_id")


def _decide(
    web: wc.Web,
    district: str | None,
    application_id: int,
    decision: str,
    reason: str,
    *,
    station: bool,
) -> Response:
    """A station's review or the district's decision: the same form, the same checks; only the
    use case, the coins it moves and the page to go back to differ."""
    try:
        approve = _decision(decision)
        if not approve and not reason.strip():
            raise InvalidInput("write why the application is turned down", field="reason")

        def work(s: Session, actor: Actor) -> AdmissionApplication:
            _in_scope(s, district, application_id)
            why = reason.strip()
            if station:
                return admission.station_review(
                    s, actor=actor, application_id=application_id, approve=approve,
                    reason=why, at=web.now,
                )  # fmt: skip
            return admission.district_decide(
                s, actor=actor, application_id=application_id, approve=approve,
                reason=why, policy=policy(s), at=web.now,
            )  # fmt: skip

        # A station's approval only passes the file on; its refusal releases the held coins.
        moves = not approve if station else True
        act(web, work, target={"application_id": application_id}, moves_coins=moves)
    except TimebankError as exc:
        if exc.status in (401, 403, 404):
            raise
        errors = {application_id: errors_of(web, exc, ("reason",))}
        return _queue_page(web, district, station, code=exc.status, errors=errors)
    back = "/s/admissions" if station else "/a/admissions"
    return redirect(f"{back}?done={'approved' if approve else 'rejected'}")


@router.post("/s/admissions/{application_id}")
def station_review(
    request: Request, application_id: int, decision: Text = "", reason: Text = ""
) -> Response:
    web = wc.web_of(request)
    district = station_district(web, "station_review_admission")
    return _decide(web, district, application_id, decision, reason, station=True)


@router.post("/a/admissions/{application_id}")
def district_decide(
    request: Request, application_id: int, decision: Text = "", reason: Text = ""
) -> Response:
    web = wc.web_of(request)
    district = scope_of(web, "district_decide_admission")
    return _decide(web, district, application_id, decision, reason, station=False)
