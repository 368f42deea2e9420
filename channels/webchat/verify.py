"""Who a widget visitor is: signed, expiring visitor tokens, and the host site's signed user
identity.

A visitor token names one conversation. It carries its issue time and counts for
VISITOR_TOKEN_LIFETIME; the widget gets a fresh one at every connect (gateway/realtime_widget.py),
so a visitor who comes back within the lifetime keeps their conversation, and a token copied
from a browser stops opening it once that time has passed since the visitor was last there.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from channels.base import VerifyError


@dataclass(frozen=True, slots=True)
class Visitor:
    """A widget session: one visitor, one conversation (the ticket thread key)."""

    id: str
    account_id: int
    user_id: str | None = None  # the host site's verified user, when it proved one

    @property
    def conversation_id(self) -> str:
        return f"wc-{self.id}"


VISITOR_TOKEN_LIFETIME = 30 * 24 * 3600  # seconds since the token was issued (last connect)


def _serializer(secret: str) -> URLSafeTimedSerializer:
    # A new salt: tokens of the untimed format, which never expired, are no longer read.
    return URLSafeTimedSerializer(secret, salt="autocrm.webchat.visitor.timed")


def new_visitor(account_id: int, user_id: str | None) -> Visitor:
    return Visitor(secrets.token_hex(12), account_id, user_id)


def sign_visitor(secret: str, visitor: Visitor) -> str:
    return _serializer(secret).dumps([visitor.id, visitor.account_id, visitor.user_id])


def read_visitor(
    secret: str, token: str | None, max_age: int = VISITOR_TOKEN_LIFETIME
) -> Visitor | None:
    """The visitor a token names, or None when it is missing, older than `max_age` seconds
    or was not signed by us."""
    if not token or not isinstance(token, str) or len(token) > 1000:
        return None
    try:
        visitor_id, account_id, user_id = _serializer(secret).loads(token, max_age=max_age)
    except (BadSignature, ValueError, TypeError):  # SignatureExpired is a BadSignature
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
