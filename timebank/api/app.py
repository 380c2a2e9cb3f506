"""The ASGI application: JSON API under /api/v1, pages at /, health at /healthz."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import func, select, text

from timebank import __version__
from timebank.config import Settings, get_settings
from timebank.db import make_engine, make_session_factory, transaction
from timebank.errors import TimebankError
from timebank.ledger.models import Seal, Transfer
from timebank.people.models import Person


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    app = FastAPI(
        title="Time Bank 养老服务时间银行",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
    )
    app.state.settings, app.state.session_factory = settings, factory

    @app.exception_handler(TimebankError)
    async def _domain_error(_: Request, exc: TimebankError) -> JSONResponse:
        body = {
            "type": f"https://timebank.example/problems/{exc.code}",
            "title": exc.message,
            "status": exc.status,
            **exc.to_dict(),
        }
        return JSONResponse(body, status_code=exc.status, media_type="application/problem+json")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        with transaction(factory) as s:
            s.execute(text("SELECT 1"))
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    def status_page() -> str:
        with transaction(factory) as s:
            people = s.execute(select(func.count()).select_from(Person)).scalar_one()
            transfers = s.execute(select(func.count()).select_from(Transfer)).scalar_one()
            seals = s.execute(select(func.count()).select_from(Seal)).scalar_one()
        return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>养老服务时间银行 Time Bank</title>
<style>body{{font:20px/1.6 system-ui,sans-serif;margin:2rem;color:#111;background:#fff}}
h1{{font-size:2rem}} dt{{font-weight:700}}</style></head><body>
<h1>养老服务时间银行 <span lang="en">Time Bank</span></h1>
<p>今天存时间，明天换服务。
<span lang="en">Save time today, exchange it for care tomorrow.</span></p>
<dl><dt>居民 People</dt><dd>{people}</dd><dt>账目 Transfers</dt><dd>{transfers}</dd>
<dt>封存 Seals</dt><dd>{seals}</dd></dl>
<p><a href="/api/v1/docs">API</a> · <a href="/healthz">/healthz</a> · v{__version__}</p>
</body></html>"""

    return app
