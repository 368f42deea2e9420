"""Widget HTTP side: /widget.js, the /demo page, attachment uploads and downloads (with CORS).

Uploads are stored content-addressed at once and named by a signed token (visitor, sha256, name,
type, size); the message that cites them turns them into attachment rows. Download links are
signed too, so no session is needed to fetch a file from another origin, and ids cannot be guessed.
"""

from __future__ import annotations

import html
from http import HTTPStatus
from pathlib import Path

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer

from channels.webchat.limits import ALLOWED_UPLOAD_TYPES, NAME
from channels.webchat.verify import Visitor
from gateway import favicon
from gateway import principal as principals
from gateway.errors import problem
from gateway.security_headers import widget_page_csp
from store import files
from store.config import accounts
from store.messages import Attachment

router = APIRouter(tags=["widget"])
WIDGET_JS = Path(__file__).resolve().parents[1] / "widget" / "dist" / "widget.js"
# The host page is another origin and sends no cookies: a wildcard origin is safe here.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
    "Access-Control-Allow-Headers": "X-Visitor-Token, Content-Type",
    "Access-Control-Max-Age": "600",
}
ICON_CACHE = {"Cache-Control": "public, max-age=86400"}


def _signer(request_or_secret, salt: str) -> URLSafeSerializer:
    secret = request_or_secret
    if isinstance(request_or_secret, Request):
        secret = request_or_secret.app.state.settings.secret
    return URLSafeSerializer(secret, salt=f"autocrm.webchat.{salt}")


def file_url(secret: str, sha256: str, filename: str, content_type: str) -> str:
    token = _signer(secret, "file").dumps([sha256, filename, content_type])
    return f"/widget/api/files/{token}"


def uploaded_attachments(secret: str, visitor: Visitor, upload_ids: list) -> list[Attachment]:
    """The files a visitor uploaded, by the ids the upload route gave them; raises ValueError."""
    out = []
    for upload_id in upload_ids:
        try:
            owner, sha, name, ctype, _ = _signer(secret, "upload").loads(str(upload_id))
        except (BadSignature, ValueError) as exc:
            raise ValueError("unknown attachment id") from exc
        if owner != visitor.id:
            raise ValueError("that attachment belongs to another visitor")
        out.append(Attachment(filename=name, content_type=ctype, data=files.read(sha)))
    return out


@router.get("/widget.js", include_in_schema=False)
async def widget_js() -> Response:
    if not WIDGET_JS.exists():
        return Response(
            "// widget not built: run `cd widget && npm ci && npm run build`\n",
            status_code=404,
            media_type="application/javascript",
        )
    return FileResponse(WIDGET_JS, media_type="application/javascript")


@router.get("/favicon.ico", include_in_schema=False)
async def favicon_ico() -> Response:
    return Response(favicon.ICO, media_type="image/x-icon", headers=ICON_CACHE)


@router.get("/favicon.svg", include_in_schema=False)
async def favicon_svg() -> Response:
    return Response(favicon.SVG, media_type="image/svg+xml", headers=ICON_CACHE)


async def _demo_widget(request: Request, key: str | None) -> tuple[str | None, list[str]]:
    """The widget to show (the first active one unless named) and its allowed origins."""
    async with request.app.state.db.read() as session:
        if key is None:
            rows = await accounts.list_accounts(session, channel=NAME, active_only=True)
            row = rows[0] if rows else None
        else:
            row = await accounts.get_by_address(session, channel=NAME, address=key)
        origins = list((row.config or {}).get("allowed_origins") or []) if row else []
        key = row.address if row else key  # read before the snapshot ends
    return key, [str(o) for o in origins]


@router.get("/demo", include_in_schema=False)
async def demo(request: Request, key: str | None = None) -> HTMLResponse:
    key, origins = await _demo_widget(request, key)
    if not key:
        return HTMLResponse(
            "<p>No web chat widget yet: create a 'webchat' channel account first.</p>", 404
        )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<title>AutoCRM widget demo</title></head><body>
<h1>AutoCRM chat demo</h1><p>Open the chat in the corner and write to us.</p>
<script src="/widget.js" data-widget-key="{html.escape(key)}" async></script>
</body></html>"""
    return HTMLResponse(page, headers={"Content-Security-Policy": widget_page_csp(origins)})


@router.options("/widget/api/uploads", include_in_schema=False)
async def upload_preflight() -> Response:
    return Response(status_code=204, headers=CORS)


def _refuse(status: int, detail: str) -> JSONResponse:
    # problem+json like every other error (the widget reads `detail`), with CORS for the site.
    return problem(status, HTTPStatus(status).phrase, detail, headers=CORS)


@router.post("/widget/api/uploads")
async def upload(request: Request, file: UploadFile) -> JSONResponse:
    settings = request.app.state.settings
    visitor = principals.visitor(settings.secret, request.headers.get("x-visitor-token"))
    if visitor is None:
        return _refuse(403, "unknown or expired visitor token: reopen the chat")
    ctype = (file.content_type or "").split(";")[0].strip().lower()
    if not ctype.startswith(ALLOWED_UPLOAD_TYPES):
        return _refuse(415, "only images, PDF and plain text files can be sent")
    data = await file.read(settings.max_attachment_bytes + 1)
    if len(data) > settings.max_attachment_bytes:
        return _refuse(413, f"file is over the {settings.max_attachment_bytes}-byte limit")
    sha = files.put(data)
    name = (file.filename or "file")[:200]
    upload_id = _signer(request, "upload").dumps([visitor.id, sha, name, ctype, len(data)])
    body = {
        "id": upload_id,
        "filename": name,
        "url": file_url(settings.secret, sha, name, ctype),
        "content_type": ctype,
        "size": len(data),
    }
    return JSONResponse(body, headers=CORS)


@router.get("/widget/api/files/{token}", include_in_schema=False)
async def download(request: Request, token: str) -> Response:
    try:
        sha, name, ctype = _signer(request, "file").loads(token)
    except (BadSignature, ValueError):
        return _refuse(404, "no such file")
    path = files.path_for(sha)
    if not path.exists():
        return _refuse(404, "no such file")
    return FileResponse(path, media_type=ctype, filename=name, headers=CORS)
