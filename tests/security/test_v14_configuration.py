"""ASVS V14 (configuration): security headers on every response (pages, static files,
errors and the API), a Content-Security-Policy that allows no inline script, and a
production start-up that refuses a database holding the published demo accounts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import update

from tests.functional.api.conftest import ApiWorld
from timebank.app import StartupRefused, create_app
from timebank.auth.demo_phones import DEMO_PHONES
from timebank.auth.models import User
from timebank.config import Settings

TEMPLATES = Path(__file__).parents[2] / "timebank" / "web" / "templates"
PATHS = [
    "/",
    "/login",
    "/register",
    "/static/app.js",
    "/no-such-page",
    "/healthz",
    "/api/v1/me",
    "/api/v1/no-such",
]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(api: ApiWorld, path: str) -> None:
    r = api.client.get(path, follow_redirects=False)
    h = r.headers
    assert h["x-content-type-options"] == "nosniff", path
    assert h["referrer-policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")
    csp = h["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    script = re.search(r"(?:script-src|default-src) ([^;]*)", csp)
    assert script and "'unsafe-inline'" not in script.group(1) and "nonce-" not in csp
    assert len(h.get_list("content-security-policy")) == 1  # one policy, not two


def test_pages_allow_scripts_from_the_site_only(api: ApiWorld) -> None:
    csp = api.client.get("/login").headers["content-security-policy"]
    assert "script-src 'self';" in csp and "object-src 'none'" in csp


def test_no_template_has_inline_script_or_event_handlers() -> None:
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not inline.search(text), f"inline <script> in {path.name}"
        assert not handler.search(text), f"inline event handler in {path.name}"
        assert "javascript:" not in text.lower(), path.name


def _prod(api: ApiWorld) -> Settings:
    url = api.engine.url.render_as_string(hide_password=False)
    return Settings(env="prod", database_url=url, secret_key="s" * 48, seal_signing_key="ab" * 32)  # type: ignore[arg-type]


def test_production_refuses_to_start_with_a_demo_account(api: ApiWorld) -> None:
    with api.session() as s:
        s.execute(
            update(User)
            .where(User.id == api.ids["user:auditor"])
            .values(phone=DEMO_PHONES["auditor"])
        )
        s.commit()
    with pytest.raises(StartupRefused, match="demo sign-in accounts") as refused:
        create_app(_prod(api), engine=api.engine, clock=api.clock)
    assert DEMO_PHONES["auditor"] not in str(refused.value)  # masked even here


def test_production_starts_without_demo_accounts(api: ApiWorld) -> None:
    app = create_app(_prod(api), engine=api.engine, clock=api.clock)
    assert app is not None


def test_dev_starts_with_demo_accounts(api: ApiWorld) -> None:
    with api.session() as s:
        s.execute(
            update(User)
            .where(User.id == api.ids["user:city"])
            .values(phone=DEMO_PHONES["city_admin"])
        )
        s.commit()
    url = api.engine.url.render_as_string(hide_password=False)
    assert create_app(Settings(env="dev", database_url=url), engine=api.engine) is not None
