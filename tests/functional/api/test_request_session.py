"""One database session per request: the one the token was checked in runs the use case, and
it is released whatever happens (success, a refused body, a domain error, an unknown id)."""

from __future__ import annotations

from tests.functional.api.conftest import ApiWorld


def _checked_out(api: ApiWorld) -> int:
    return int(api.engine.pool.checkedout()) if hasattr(api.engine.pool, "checkedout") else 0


def test_the_session_is_released_after_every_kind_of_answer(api: ApiWorld) -> None:
    pid = api.ids["volunteer"]
    answers = [
        api.call("GET", f"/people/{pid}/balance", "volunteer").status_code,  # 200
        api.call("POST", "/needs", "elder", json={"elder_id": "x"}, key=True).status_code,  # 422
        api.call("GET", "/people/999999/balance", "volunteer").status_code,  # 403/404
        api.call("GET", "/dashboard", "volunteer").status_code,  # the gate's 403
        api.call("POST", "/auth/session/end", "auditor").status_code,  # own transaction
        api.call("GET", f"/people/{pid}/balance", "volunteer", **{"X-Act-For": "x"}).status_code,
    ]
    assert answers[0] == 200 and answers[1] == 422 and answers[2] in (403, 404)
    assert answers[3] == 403 and answers[4] == 200 and answers[5] == 422
    assert _checked_out(api) == 0
