"""Pytest plugin: the built widget.js, the protocol double serving it, a host page."""

import asyncio
import shutil
import subprocess
from html import escape
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.e2e.loopback import serve
from tests.e2e.widget_double import WidgetDouble

WIDGET_DIR = Path(__file__).resolve().parents[2] / "widget"
WIDGET_JS = WIDGET_DIR / "dist" / "widget.js"

# Hostile page CSS: none of it may reach the widget inside its shadow root.
HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>ACME shop</title>
<style>* {{ font-size: 40px; font-family: serif; }} li {{ display: inline; color: red; }}</style>
</head><body><h1>ACME shop</h1>
<script src="{gateway}/widget.js" data-widget-key="{key}"{user} async></script>
</body></html>"""


def _build_is_stale() -> bool:
    sources = [*(WIDGET_DIR / "src").rglob("*.js"), WIDGET_DIR / "package-lock.json"]
    newest = max(path.stat().st_mtime for path in sources)
    return not WIDGET_JS.exists() or WIDGET_JS.stat().st_mtime < newest


@pytest.fixture(scope="session")
def widget_js() -> Path:
    """widget/dist/widget.js, rebuilt with `npm run build` when a source is newer."""
    if not _build_is_stale():
        return WIDGET_JS
    npm = shutil.which("npm")
    if npm is None or not (WIDGET_DIR / "node_modules").is_dir():
        pytest.skip(
            "widget/dist/widget.js is missing or stale: run `npm ci && npm run build` in widget/"
        )
    subprocess.run([npm, "run", "build"], cwd=WIDGET_DIR, check=True, capture_output=True)
    return WIDGET_JS


@pytest.fixture
async def double(widget_js):
    """The gateway double on its own origin, serving /widget.js, /socket.io and uploads."""
    double = WidgetDouble(widget_js)
    async with serve(double.app) as server:
        double.server = server
        yield double


def host_app(gateway: str, widget_key: str) -> Starlette:
    async def home(request: Request) -> HTMLResponse:
        query = request.query_params
        user = ""
        if "user_id" in query:  # a signed-in customer, as the host's backend would render it
            user_id, user_hash = escape(query["user_id"]), escape(query["user_hash"])
            user = f' data-user-id="{user_id}" data-user-hash="{user_hash}"'
        key = escape(query.get("key", widget_key))
        return HTMLResponse(HOST_PAGE.format(gateway=gateway, key=key, user=user))

    return Starlette(routes=[Route("/", home)])


@pytest.fixture
async def host_url(double):
    """A customer's site on another origin that embeds the widget with a script tag."""
    async with serve(host_app(double.server.url, double.widget_key)) as server:
        yield server.url


@pytest.fixture
async def chat(double, host_url, page):
    """The host page loaded in the browser with the widget mounted (panel still closed)."""
    await page.goto(host_url)
    await page.get_by_role("button", name="Open chat").wait_for()
    return page


async def eventually(predicate, timeout: float = 5.0) -> None:
    """Wait until a server-side condition holds (the browser acts asynchronously)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition never held: {predicate.__doc__ or predicate}")
        await asyncio.sleep(0.05)
