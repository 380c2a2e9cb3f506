"""The web pages' security and permission rules over HTTP: CSRF refusal, escaping, the same
role and scope rules as the API, sign-in and session expiry, no personal data in URLs."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.functional.web.conftest import csrf_of
from timebank.care.models import Need
from timebank.web.i18n import catalogue

TEMPLATES = Path(__file__).resolve().parents[3] / "timebank" / "web" / "templates"
WEB = TEMPLATES.parent


def test_signed_out_pages_send_you_to_sign_in(web: Any) -> None:
    b = web()
    for path in ("/v", "/e", "/s", "/a", "/audit"):
        r = b.get(path)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login")


def test_each_role_lands_on_its_home(web: Any) -> None:
    homes = {
        "volunteer": "/v",
        "elder": "/e",
        "proxy": "/e",
        "station": "/s",
        "district": "/a",
        "city": "/a",
        "auditor": "/audit",
    }
    for who, home in homes.items():
        b = web().sign_in(who)
        assert b.get("/").headers["location"] == home
        page = b.get(home)
        assert page.status_code == 200, (who, page.text[:500])
        assert 'lang="zh-CN"' in page.text


REFUSED = [
    ("volunteer", "/s"),
    ("volunteer", "/a"),
    ("elder", "/v/nearby"),
    ("station", "/a"),
    ("district", "/a/policy"),
    ("station", "/audit"),
    ("auditor", "/a/items"),
    ("volunteer", "/audit"),
]


def test_roles_are_refused_as_the_api_refuses_them(web: Any) -> None:
    for who, path in REFUSED:
        r = web().sign_in(who).get(path)
        assert r.status_code == 403, (who, path)
        assert "text/html" in r.headers["content-type"]
        assert "您的身份不能做这件事" in r.text


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(web: Any, api: Any) -> None:
    b = web().sign_in("volunteer")
    r = b.post("/v/donate", {"amount": "1", "key": "k1", "source": "earned"})
    assert r.status_code == 403
    assert "页面已过期" in r.text
    wrong = b.post("/v/donate", {"amount": "1", "key": "k1", "csrf_token": "tbc_forged"})
    assert wrong.status_code == 403
    login = web().client.post("/login", data={"phone": "x", "password": "y"})
    assert login.status_code == 403  # the sign-in form is protected too (login CSRF)


def test_every_form_posts_with_a_token(web: Any) -> None:
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", text, re.S):
            assert "csrf_token" in form or "csrf_field()" in form, path.name


def test_no_personal_data_travels_in_urls(web: Any) -> None:
    """GET forms (the need wizard) carry no phone, ID number or password."""
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        for form in re.findall(r"<form[^>]*method=\"get\"[^>]*>.*?</form>", text, re.S):
            for name in ("phone", "id_number", "password"):
                assert f'name="{name}"' not in form, path.name


def _need(api: Any, description: str) -> int:
    """A need of the 东城 elder waiting for review, with the text a user typed."""
    at = api.clock.now()
    with api.session() as s:
        need = Need(
            elder_id=api.ids["elder"],
            payer_id=api.ids["elder"],
            item_id=api.item_id(),
            district_code="110101",
            description=description,
            address="<b>x</b>",
            lat=39.93,
            lon=116.41,
            window_start=at + timedelta(days=1),
            window_end=at + timedelta(days=1, hours=3),
            expected_minutes=60,
            status="pending_review",
            published_by="test",
            created_at=at,
            updated_at=at,
        )
        s.add(need)
        s.commit()
        return int(need.id)


def test_user_text_is_escaped_and_id_numbers_masked(web: Any, api: Any) -> None:
    need_id = _need(api, "<script>alert(1)</script>")
    r = web().sign_in("station").get(f"/s/needs/{need_id}")
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert re.search(r"\d{6}\*{8}\w{4}", r.text)  # the elder's ID number, masked


def test_a_station_sees_only_its_own_district(web: Any, api: Any) -> None:
    need_id = _need(api, "聊天")
    other = web().sign_in("station_other")
    assert other.get(f"/s/needs/{need_id}").status_code == 404
    token = csrf_of(other.get("/s").text)
    r = other.post(f"/s/needs/{need_id}/review", {"decision": "approve", "csrf_token": token})
    assert r.status_code in (403, 404)
    with api.session() as s:
        assert s.get(Need, need_id).status == "pending_review"


def test_an_expired_session_asks_to_sign_in_again(web: Any, api: Any) -> None:
    b = web().sign_in("volunteer")
    api.clock.advance(hours=13)
    r = b.get("/v")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?expired=1")


def test_sign_out_revokes_the_session(web: Any) -> None:
    b = web().sign_in("volunteer")
    token = csrf_of(b.get("/v").text)
    assert b.post("/logout", {"csrf_token": token}).status_code == 303
    assert b.get("/v").status_code == 303


def test_wrong_password_is_said_in_words_beside_the_form(web: Any) -> None:
    b = web()
    page = b.get("/login")
    r = b.client.post(
        "/login",
        data={"phone": "13900000000", "password": "wrong-pass-1", "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 401
    assert "手机号或密码不对" in r.text


def test_pages_carry_security_headers(web: Any) -> None:
    r = web().get("/login")
    assert "frame-ancestors" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    cookie = r.headers.get("set-cookie", "")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_english_catalogue_covers_every_message() -> None:
    pattern = re.compile(r"""(?<!\w)_\(\s*(?:"([^"]+)"|'([^']+)')""")
    used = set()
    for path in [*TEMPLATES.glob("*.html"), *WEB.glob("*.py")]:
        used |= {a or b for a, b in pattern.findall(path.read_text(encoding="utf-8"))}
    missing = sorted(used - catalogue("en").keys())
    assert not missing, missing


def test_the_english_switch_and_larger_text(web: Any) -> None:
    b = web()
    b.get("/prefs/lang/en?next=/login")
    b.get("/prefs/size/large?next=/login")
    r = b.get("/login")
    assert 'lang="en"' in r.text and 'class="large"' in r.text
    assert "Sign in" in r.text
    assert b.get("/prefs/lang/en?next=//evil.example").headers["location"] == "/"


def test_english_catalogue_covers_the_word_tables() -> None:
    """Words looked up by code (rules, states, notices) are message ids too."""
    import importlib

    used: set[str] = set()
    for path in WEB.glob("*.py"):
        module = importlib.import_module(f"timebank.web.{path.stem}")
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, dict):
                used |= {v for v in value.values() if isinstance(v, str) and not v.isascii()}
    assert len(used) > 100
    missing = sorted(used - catalogue("en").keys())
    assert not missing, missing


def test_english_entries_keep_the_placeholders() -> None:
    field = re.compile(r"\{(\w*)\}")
    wrong = {
        k: v for k, v in catalogue("en").items() if set(field.findall(k)) != set(field.findall(v))
    }
    assert not wrong, wrong


def test_casework_pages_render_in_english(web: Any) -> None:
    pages = {
        "district": ("/a/alerts", "/a/cases", "/a/watch", "/a/appeals", "/a/admissions"),
        "station": ("/s/disputes", "/s/qualifications", "/s/admissions"),
        "volunteer": ("/v/qualifications", "/admission", "/appeals", "/whom"),
    }
    for who, paths in pages.items():
        b = web().sign_in(who)
        b.get("/prefs/lang/en?next=/")
        for path in paths:
            r = b.get(path)
            assert r.status_code == 200, (who, path)
            assert 'lang="en"' in r.text
            main = r.text.split('<main id="main">')[1].split("</main>")[0]
            assert not re.search(r"[\u4e00-\u9fff]", re.sub(r"<[^>]*>", "", main)), (who, path)
