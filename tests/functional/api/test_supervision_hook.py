"""The API hands what a request committed to supervision's write-time checks, after the
response: a late-night visit confirmed through the API raises a ``late_night`` alert, a daytime
one none; a refused confirmation (nothing committed) checks nothing."""

from __future__ import annotations

from sqlalchemy import select

from tests.functional.api.conftest import ApiWorld
from tests.functional.web.world import local, served_visit
from timebank.supervision.models import Alert


def _visit_alerts(api: ApiWorld) -> set[tuple[str, str, str]]:
    with api.session() as s:
        return {
            (a.rule, a.subject_id, a.source)
            for a in s.execute(select(Alert).where(Alert.subject_kind == "visit")).scalars()
        }


def test_confirming_through_the_api_runs_the_write_time_checks(api: ApiWorld) -> None:
    night = served_visit(api, local(api, 1, 22, 30), 60)
    day = served_visit(api, local(api, 2, 10, 0), 60)
    api.clock.set(local(api, 2, 12, 0))
    api.renew()
    for visit_id in (night, day):
        r = api.call("POST", f"/visits/{visit_id}/confirm", "elder", json={"rating": 5}, key=True)
        assert r.status_code == 200, r.text
    found = _visit_alerts(api)
    assert ("late_night", str(night), "live") in found
    assert not any(subject == str(day) for _rule, subject, _source in found)


def test_a_refused_act_commits_nothing_and_checks_nothing(api: ApiWorld) -> None:
    night = served_visit(api, local(api, 1, 23, 0), 60)
    api.clock.set(local(api, 2, 9, 0))
    api.renew()
    r = api.call("POST", f"/visits/{night}/confirm", "volunteer", json={"rating": 5}, key=True)
    assert r.status_code == 403  # the volunteer may not confirm their own visit
    assert not any(subject == str(night) for _rule, subject, _source in _visit_alerts(api))
