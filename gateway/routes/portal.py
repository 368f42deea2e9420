"""The customer portal at /portal: sign in with a link sent by email, then see, answer, close
and rate one's own tickets (those of every contact owning an address the customer proved).

The link carries a random token signed with the gateway's secret (a forged one fails the
signature), expires after store.portal.service.LINK_TTL and works once. Opening it shows a
button; only pressing it (a POST) uses the link up, so mail scanners that follow links do not
spend it. A reply goes through the ingest writer like any channel's message.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from channels.base import SendError
from gateway.deps import get_database
from gateway.help import i18n, page, pick_language, remember_language
from gateway.portal_mail import NoMailbox, count_request, send_link
from gateway.throttle import Throttled, client_address
from store import files
from store.errors import Invalid, NotFound
from store.messages import Attachment, Identity, InboundMessage
from store.portal import service as portal
from store.portal import tickets as mine


async def _same_site(request: Request) -> None:
    """Forms post only from our own pages: a form on another site could otherwise sign a
    visitor into someone else's portal (login CSRF) or post as them. Browsers name the
    page's origin on every POST."""
    origin = request.headers.get("origin")
    if request.method != "POST" or origin is None:
        return
    ours = {str(request.base_url).rstrip("/"), request.app.state.settings.public_url.rstrip("/")}
    if origin.rstrip("/") not in ours:
        raise HTTPException(403, "this form must be sent from our own portal page")


router = APIRouter(tags=["portal"], include_in_schema=False, dependencies=[Depends(_same_site)])
COOKIE = "autocrm_portal"
LINK_MINUTES = int(portal.LINK_TTL.total_seconds() // 60)
CHANNEL_LABELS = {
    "webchat": "Web chat",
    "email": "Email",
    "twilio_sms": "SMS",
    "twilio_voice": "Phone",
    "slack": "Slack",
    "api": "API",
}
Csrf = Annotated[str, Form(max_length=100)]


def _signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret, salt="portal-link")


def _render(request: Request, template: str, context: dict, *, status_code: int = 200):
    languages = list(i18n.CATALOGUES)
    lang = pick_language(request, languages)
    query = dict(request.query_params)
    switch = {c: f"{request.url.path}?{urlencode(query | {'lang': c})}" for c in languages}
    values = {"lang": lang, "languages": languages, "switch": switch, "customer": None}
    values["channel_label"] = lambda name: CHANNEL_LABELS.get(name, name)
    response = page(request, template, values | context, status_code=status_code)
    remember_language(response, request, lang)
    return response


def _words(request: Request) -> dict[str, str]:
    return i18n.words(pick_language(request, list(i18n.CATALOGUES)))


@dataclass(frozen=True)
class Customer:
    """The signed-in customer, copied out of the read session."""

    id: str
    emails: list[str]
    csrf: str


async def _customer(request: Request) -> Customer | None:
    async with get_database(request).read() as session:
        row = await portal.get_live(session, token=request.cookies.get(COOKIE, ""))
        return Customer(row.id, list(row.emails), row.csrf) if row else None


def _to_sign_in() -> RedirectResponse:
    return RedirectResponse("/portal/sign-in", status_code=303)


def _check_csrf(customer: Customer, sent: str) -> None:
    if not hmac.compare_digest(customer.csrf, sent):
        raise Invalid("the form is stale: reload the page")


@router.get("/portal/")
async def trailing_slash():
    return RedirectResponse("/portal", status_code=308)


@router.get("/portal")
async def home(request: Request):
    customer = await _customer(request)
    if customer is None:
        return _render(request, "portal_sign_in.html", {})
    async with get_database(request).read() as session:
        found = await mine.list_tickets(session, emails=customer.emails)
        return _render(request, "portal_tickets.html", {"customer": customer, "tickets": found})


@router.get("/portal/sign-in")
async def sign_in_page(request: Request):
    return _render(request, "portal_sign_in.html", {"customer": await _customer(request)})


def _sign_in(request: Request, customer, *, status_code: int = 200, **message: str):
    context = {"customer": customer} | message
    return _render(request, "portal_sign_in.html", context, status_code=status_code)


@router.post("/portal/sign-in")
async def ask_for_link(request: Request, email: Annotated[str, Form(max_length=320)]):
    """Sends a link when a contact owns the address; answers the same words either way."""
    db, words = get_database(request), _words(request)
    email = portal.normalise_email(email)
    customer = await _customer(request)
    if "@" not in email or any(c.isspace() for c in email):
        return _sign_in(request, customer, status_code=422, error=words["email"])
    try:
        await count_request(db, email=email, address=client_address(request.scope))
    except Throttled as exc:
        error = words["too_many"].format(minutes=max(1, exc.retry_after // 60))
        response = _sign_in(request, customer, status_code=429, error=error)
        response.headers["retry-after"] = str(exc.retry_after)
        return response
    try:
        await _send_link(request, email, customer)
    except (NoMailbox, SendError):
        return _sign_in(request, customer, status_code=503, error=words["no_mailbox"])
    notice = words["link_sent"].format(minutes=LINK_MINUTES)
    return _sign_in(request, customer, notice=notice)


async def _send_link(request: Request, email: str, customer: Customer | None) -> None:
    """Only to an address some contact owns: the portal mails nobody it never heard from."""
    db = get_database(request)
    async with db.uow() as session:
        if not await mine.owners(session, emails=[email]):
            return
        await portal.forget_expired(session)
        session_id = customer.id if customer else None
        token = await portal.issue_link(session, email=email, session_id=session_id)
    query = urlencode({"t": _signer(request).dumps(token)})
    base = request.app.state.settings.public_url.rstrip("/")
    await send_link(db, to=email, link=f"{base}/portal/auth?{query}", minutes=LINK_MINUTES)


def _link_error(request: Request, reason: str):
    words = _words(request)
    text = {"expired": words["link_expired"], "used": words["link_used"]}.get(
        reason, words["link_forged"]
    )
    status = 410 if reason in ("expired", "used") else 400
    return _render(request, "portal_link.html", {"error": text}, status_code=status)


async def _checked_token(request: Request, signed: str) -> str:
    """The link's token, or LinkRefused (forged, expired, used)."""
    try:
        token = _signer(request).loads(signed, max_age=portal.LINK_TTL.total_seconds())
    except SignatureExpired:
        raise portal.LinkRefused("expired") from None
    except BadSignature:
        raise portal.LinkRefused("unknown") from None
    if not isinstance(token, str):
        raise portal.LinkRefused("unknown")
    return token


@router.get("/portal/auth")
async def open_link(request: Request, t: str = ""):
    try:
        token = await _checked_token(request, t)
        async with get_database(request).read() as session:
            await portal.check_link(session, token=token)
    except portal.LinkRefused as exc:
        return _link_error(request, exc.reason)
    return _render(request, "portal_link.html", {"link_token": t})


@router.post("/portal/auth")
async def use_link(request: Request, t: Annotated[str, Form(max_length=500)] = ""):
    try:
        token = await _checked_token(request, t)
        async with get_database(request).uow() as session:
            opened = await portal.redeem_link(session, token=token)
    except portal.LinkRefused as exc:
        return _link_error(request, exc.reason)
    response = RedirectResponse("/portal", status_code=303)
    response.set_cookie(
        COOKIE,
        opened.token,
        max_age=int(portal.SESSION_TTL.total_seconds()),
        path="/portal",
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.cookie_secure,
    )
    return response


@router.post("/portal/sign-out")
async def sign_out(request: Request, csrf: Csrf = ""):
    customer = await _customer(request)
    if customer is not None:
        _check_csrf(customer, csrf)
        async with get_database(request).uow() as session:
            await portal.sign_out(session, token=request.cookies.get(COOKIE, ""))
    response = _to_sign_in()
    response.delete_cookie(COOKIE, path="/portal")
    return response


async def _ticket_view(request: Request, customer: Customer, ticket_id: int, **extra):
    """The ticket's page (404 page for a ticket that is not the customer's)."""
    async with get_database(request).read() as session:
        try:
            ticket = await mine.get_ticket(session, emails=customer.emails, ticket_id=ticket_id)
        except NotFound:
            return _render(
                request, "portal_not_found.html", {"customer": customer}, status_code=404
            )
        context = {
            "customer": customer,
            "ticket": ticket,
            "messages": await mine.conversation(session, ticket_id=ticket.id),
            "rating": await mine.get_rating(session, ticket_id=ticket.id),
            "nonce": uuid.uuid4().hex,
            "max_mb": request.app.state.settings.max_attachment_bytes // 1_000_000,
        }
        status_code = extra.pop("status_code", 200)
        return _render(request, "portal_ticket.html", context | extra, status_code=status_code)


@router.get("/portal/tickets/{ticket_id}")
async def ticket_page(request: Request, ticket_id: int):
    customer = await _customer(request)
    if customer is None:
        return _to_sign_in()
    return await _ticket_view(request, customer, ticket_id)


async def _attachments(request: Request, upload: UploadFile | None) -> list[Attachment]:
    """The uploaded file (none when the field was left empty); TooLarge past the limit."""
    if upload is None or not upload.filename:
        return []
    limit = request.app.state.settings.max_attachment_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(limit)
    kind = upload.content_type or "application/octet-stream"
    return [Attachment(upload.filename[-300:], kind[:200], data)]


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the file is over {limit // 1_000_000} MB")


@router.post("/portal/tickets/{ticket_id}/reply")
async def reply(
    request: Request,
    ticket_id: int,
    body: Annotated[str, Form(min_length=1, max_length=20_000)],
    csrf: Csrf = "",
    nonce: Annotated[str, Form(max_length=64)] = "",
    file: Annotated[UploadFile | None, File()] = None,
):
    """The customer's message, ingested on the ticket's own channel and thread as if they had
    written there (the nonce makes a double submit one message), with a file if they chose
    one; a file over the limit is refused with the page saying so."""
    customer = await _customer(request)
    if customer is None:
        return _to_sign_in()
    _check_csrf(customer, csrf)
    try:
        attachments = await _attachments(request, file)
    except TooLarge as exc:
        return await _ticket_view(request, customer, ticket_id, error=str(exc), status_code=413)
    async with get_database(request).read() as session:
        try:
            ticket = await mine.get_ticket(session, emails=customer.emails, ticket_id=ticket_id)
        except NotFound:
            return _render(
                request, "portal_not_found.html", {"customer": customer}, status_code=404
            )
        if ticket.status_category == "closed":
            raise Invalid("this ticket is closed")
        owned = await mine.owners(session, emails=customer.emails)
        inbound = InboundMessage(
            channel=ticket.channel,
            external_id=f"portal:{ticket.id}:{nonce or uuid.uuid4().hex}",
            thread_key=ticket.thread_key or f"ticket:{ticket.id}",
            sender=Identity("email", owned[ticket.contact_id]),
            text=body.strip(),
            account_id=ticket.channel_account_id,
            attachments=attachments,
            meta={"ticket_number": ticket.id, "via": "portal"},
        )
    await request.app.state.ingest.submit(inbound)
    return RedirectResponse(f"/portal/tickets/{ticket_id}", status_code=303)


@router.post("/portal/tickets/{ticket_id}/close")
async def close(request: Request, ticket_id: int, csrf: Csrf = ""):
    customer = await _customer(request)
    if customer is None:
        return _to_sign_in()
    _check_csrf(customer, csrf)
    async with get_database(request).uow() as session:
        await mine.close(session, emails=customer.emails, ticket_id=ticket_id)
    return RedirectResponse(f"/portal/tickets/{ticket_id}", status_code=303)


@router.post("/portal/tickets/{ticket_id}/rate")
async def rate(
    request: Request,
    ticket_id: int,
    score: Annotated[int, Form(ge=1, le=5)],
    comment: Annotated[str, Form(max_length=2000)] = "",
    csrf: Csrf = "",
):
    customer = await _customer(request)
    if customer is None:
        return _to_sign_in()
    _check_csrf(customer, csrf)
    async with get_database(request).uow() as session:
        await mine.rate(
            session, emails=customer.emails, ticket_id=ticket_id, score=score, comment=comment
        )
    return RedirectResponse(f"/portal/tickets/{ticket_id}", status_code=303)


@router.get("/portal/tickets/{ticket_id}/attachments/{attachment_id}")
async def attachment(request: Request, ticket_id: int, attachment_id: int):
    """A file from the conversation, always as a download and never run as a page."""
    customer = await _customer(request)
    if customer is None:
        return _to_sign_in()
    async with get_database(request).read() as session:
        try:
            found = await mine.get_attachment(
                session, emails=customer.emails, ticket_id=ticket_id, attachment_id=attachment_id
            )
        except NotFound:
            return _render(
                request, "portal_not_found.html", {"customer": customer}, status_code=404
            )
        name, digest = found.filename, found.sha256
    try:
        data = files.read(digest)
    except FileNotFoundError:
        return _render(request, "portal_not_found.html", {"customer": customer}, status_code=404)
    headers = {
        "content-disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
        "content-security-policy": "default-src 'none'; sandbox",
    }
    return Response(data, media_type="application/octet-stream", headers=headers)
