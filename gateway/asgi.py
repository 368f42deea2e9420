"""ASGI entry for process managers: `uvicorn gateway.asgi:app` (settings from the environment)."""

from gateway.app import create_app

app = create_app()
