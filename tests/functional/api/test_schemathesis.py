"""Property-based robustness: Schemathesis drives every operation of the OpenAPI document
with generated input (bounded examples) and checks: no 5xx, documented status codes and
content types, and bodies that match the schema.

Runs in ``make test`` on SQLite only (PostgreSQL would double the time; the functional tests
cover both backends). Requests are made as the city admin (the widest role); the gate's 403
for other roles' operations is a documented answer and is checked like any other.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tests.conftest import migrated_engine
from tests.functional.api.conftest import PASSWORDS, START, build_world
from timebank.app import create_app
from timebank.clock import FixedClock
from timebank.config import Settings
from timebank.db import make_session_factory

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def _app() -> tuple[object, dict[str, str]]:
    tmp = Path(tempfile.mkdtemp(prefix="tb-schemathesis-"))
    atexit.register(shutil.rmtree, tmp, True)
    engine = migrated_engine("sqlite", "schemathesis", tmp)
    clock = FixedClock(START)
    with make_session_factory(engine)() as s:
        built = build_world(s, clock)
        s.commit()
    url = engine.url.render_as_string(hide_password=False)
    app = create_app(
        Settings(env="test", database_url=url), engine=engine, clock=clock, passwords=PASSWORDS
    )
    return app, {"Authorization": f"Bearer {built['tokens']['city']}"}


APP, AUTH = _app()
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_answers_every_generated_request(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=AUTH, checks=CHECKS)
