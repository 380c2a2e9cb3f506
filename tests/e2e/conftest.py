"""Browser tests: a real server on a free local port, Debian's Chromium driven by Playwright,
and axe-core (from npm) for accessibility checks. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("TIMEBANK_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`timebank` served on SQLite with the small demo city, as `make run` does."""
    db = tmp_path_factory.mktemp("e2e") / "e2e.db"
    env = {**os.environ, "TIMEBANK_DATABASE_URL": f"sqlite:///{db}", "TIMEBANK_ENV": "test"}
    run = [sys.executable, "-m", "timebank"]
    subprocess.run([*run, "db", "upgrade"], env=env, check=True, cwd=ROOT, capture_output=True)
    demo = subprocess.run(
        [*run, "demo", "--seed", "1", "--size", "small"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    # The demo also opens a sign-in for every role (timebank.demo.accounts lists them).
    if demo.returncode != 0:
        raise AssertionError(demo.stdout + demo.stderr)
    os.environ["TIMEBANK_E2E_DATABASE_URL"] = env["TIMEBANK_DATABASE_URL"]
    port = _free_port()
    log = (db.parent / "server.log").open("w")
    proc = subprocess.Popen(
        [*run, "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError(
                    "the server did not start:\n" + (db.parent / "server.log").read_text()
                )
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required under CI and is missing at {CHROMIUM}")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    # bypass_csp: the pages allow only their own scripts; axe-core is injected by the test.
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",  # type: ignore[attr-defined]
        device_scale_factor=1,
        bypass_csp=True,
    )
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


@pytest.fixture
def pages(browser: Any) -> Iterator[Any]:
    """Open more than one signed-in phone (a volunteer and the elder side by side)."""
    contexts: list[Any] = []

    def open_page() -> Any:
        context = browser.new_context(viewport=PHONE, locale="zh-CN", bypass_csp=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def axe_violations(page: object, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list:
    """Run axe-core (WCAG 2.x A/AA rules) in the page; return the serious/critical violations."""
    page.add_script_tag(path=str(AXE))  # type: ignore[attr-defined]
    result = page.evaluate(  # type: ignore[attr-defined]
        """async () => await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def shot(page: object, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


def assert_accessible(page: object) -> None:
    violations = axe_violations(page)
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)
