"""Web chat channel: widget accounts, signed visitor tokens, identity proofs, message parsing.

The socket.io side (gateway/realtime.py) owns the connection; this module stays pure: it says
who a visitor is, whether a host site's identity claim is authentic, and turns a widget
`message` into an InboundMessage. Replies need no provider call: the realtime listener pushes
every committed `message.queued` event into the conversation's room, so `send` only confirms.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel, Field, SecretStr

from channels.base import VerifyError
from store.messages import Attachment, Identity, InboundMessage, Limits, Receipt

NAME = "webchat"
LIMITS = Limits(max_text=5_000, markdown=False, attachments=True, threads=True)
ALLOWED_UPLOAD_TYPES = ("image/", "application/pdf", "text/plain")


class WidgetConfig(BaseModel):
    """One embeddable widget. `widget_key` is public (it is in the host page's HTML)."""

    widget_key: str = Field(min_length=8, max_length=100)
    secret: SecretStr | None = None  # signs host-site user ids; unset = no verified identities
    allowed_origins: list[str] = Field(default_factory=list)  # empty = any site may embed
    max_text: int = Field(default=LIMITS.max_text, ge=1, le=50_000)
    # Per connection: a burst of `rate_burst` messages, refilled at `rate_per_minute`.
    rate_per_minute: int = Field(default=30, ge=1)
    rate_burst: int = Field(default=10, ge=1)
    max_upload_bytes: int = Field(default=10_000_000, ge=1)


@dataclass(frozen=True, slots=True)
class Visitor:
    """A widget session: one visitor, one conversation (the ticket thread key)."""

    id: str
    account_id: int
    user_id: str | None = None  # the host site's verified user, when it proved one

    @property
    def conversation_id(self) -> str:
        return f"wc-{self.id}"


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="autocrm.webchat.visitor")


def new_visitor(account_id: int, user_id: str | None) -> Visitor:
    return Visitor(secrets.token_hex(12), account_id, user_id)


def sign_visitor(secret: str, visitor: Visitor) -> str:
    return _serializer(secret).dumps([visitor.id, visitor.account_id, visitor.user_id])


def read_visitor(secret: str, token: str | None) -> Visitor | None:
    """The visitor a token names, or None when it is missing or was not signed by us."""
    if not token:
        return None
    try:
        visitor_id, account_id, user_id = _serializer(secret).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return Visitor(str(visitor_id), int(account_id), user_id)


def user_hash(secret: str, user_id: str) -> str:
    """What the host site's backend computes: hex HMAC-SHA256(widget secret, user id)."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify_user(secret: str | None, user_id: str | None, proof: str | None) -> str | None:
    """The verified user id, None when no claim is made; raises on an unproven claim."""
    if not user_id:
        return None
    if not secret:
        raise VerifyError("this widget does not accept signed-in users (no secret configured)")
    if not proof or not hmac.compare_digest(user_hash(secret, user_id), str(proof).lower()):
        raise VerifyError("the user identity is not signed correctly")
    return user_id


def parse(
    visitor: Visitor, client_id: str, text: str, attachments: list[Attachment]
) -> InboundMessage:
    """A widget `message` as an inbound message; the client id makes a resend idempotent."""
    sender = (
        Identity("user", visitor.user_id) if visitor.user_id else Identity("widget", visitor.id)
    )
    return InboundMessage(
        channel=NAME,
        external_id=f"{visitor.id}:{client_id}",
        thread_key=visitor.conversation_id,
        sender=sender,
        text=text,
        account_id=visitor.account_id,
        attachments=attachments,
        meta={"client_id": client_id, "visitor": visitor.id},
    )


class WebchatChannel:
    name = NAME
    limits = LIMITS

    async def send(self, outbound) -> Receipt:
        # Delivery is the realtime listener's push to the room; nothing to call here.
        return Receipt(external_id=f"webchat:{outbound.message_id}")
