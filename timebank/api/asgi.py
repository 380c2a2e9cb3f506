"""ASGI entry point for uvicorn / gunicorn: ``timebank.api.asgi:app``."""

from timebank.api.app import create_app

app = create_app()
