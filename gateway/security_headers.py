"""Security headers on every answer, and a Content-Security-Policy on the pages we serve.

Everywhere: no MIME sniffing, no full URL in the Referer sent to other sites (ticket paths and
signed file links stay here), HSTS when the gateway runs behind HTTPS. The console: only our
own scripts, styles and socket, never inside another site's frame. Stored files (uploads
served back): rendered inert, whatever their type. The widget demo page sets its own policy
(gateway/widget_routes.py: its frame-ancestors are the widget's allowed origins); a route's own
header always wins over these defaults.
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders

# style-src 'unsafe-inline': the templates' bar widths and the widget's own <style>; no
# script runs inline. https: images: pictures in customers' HTML email.
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: https:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
FILE_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
BASE = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")


def widget_page_csp(allowed_origins: list[str]) -> str:
    """The demo page's policy: our script and socket only; framed by this site and by the
    sites the widget is configured for (anything that is not a plain origin is left out)."""
    ancestors = " ".join(["'self'", *(o for o in allowed_origins if _ORIGIN.match(o))])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
        f"base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    )


def _policy_for(path: str) -> dict[str, str]:
    if path.startswith("/console"):
        return {"content-security-policy": CONSOLE_CSP, "x-frame-options": "DENY"}
    if path.startswith("/widget/api/files/"):
        return {"content-security-policy": FILE_CSP}
    return {}


class SecurityHeadersMiddleware:
    def __init__(self, app, *, https: bool = False) -> None:
        self.app = app
        self.base = dict(BASE)
        if https:
            self.base["strict-transport-security"] = "max-age=31536000"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = {**self.base, **_policy_for(scope["path"])}

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
