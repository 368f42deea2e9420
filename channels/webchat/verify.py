"""Who a widget visitor is: signed visitor tokens, and the host site's signed user identity."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

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
