"""Who is calling: a session cookie, an API key or a widget visitor token, resolved in one place.

The HTTP dependencies (gateway/deps.py), the console pages (gateway/console/web.py), the
socket.io namespaces (gateway/realtime.py, gateway/realtime_widget.py) and the widget's upload
route all ask here; nothing else reads the session cookie, looks up a key or decodes a visitor
token. Staff and integrations become a `Principal` (actor + scopes); a widget customer is a
`Visitor`, the identity the web chat adapter signs.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from base64 import b64decode
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import cookie_parser

from channels.webchat.verify import Visitor, new_visitor, read_visitor
from store.actor import Actor
from store.db import Database
from store.staff import service as staff
from store.staff.models import User

# As gateway/app.py configures Starlette's SessionMiddleware, which signs the cookie.
SESSION_COOKIE = "autocrm_session"
SESSION_MAX_AGE = 14 * 24 * 3600
USER_KEY = "user_id"
CSRF_KEY = "csrf"


@dataclass(frozen=True)
class Staff:
    """A signed-in agent or admin, as pages and presence show them."""

    id: int
    name: str
    email: str
    role: str
    team_ids: tuple[int, ...]

    @classmethod
    def of(cls, user: User) -> Staff:
        return cls(user.id, user.name, user.email, user.role, tuple(t.id for t in user.teams))

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def label(self) -> str:
        return self.name or self.email

    @property
    def actor(self) -> Actor:
        return Actor("user", self.id, self.label)


@dataclass(frozen=True)
class Principal:
    actor: Actor
    scopes: frozenset[str]
    staff: Staff | None = None  # set for a signed-in user, None for an API key
    via_cookie: bool = False

    @property
    def user_id(self) -> int | None:
        return self.staff.id if self.staff else None

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes


# --- the signed session cookie ------------------------------------------------------------------


def cookie_session(secret: str, cookie_header: str) -> dict:
    """The session in a raw Cookie header, decoded as SessionMiddleware does ({} when absent,
    expired or not signed by us): for sockets, which the middleware does not see."""
    value = cookie_parser(cookie_header or "").get(SESSION_COOKIE)
    if not value:
        return {}
    try:
        data = TimestampSigner(str(secret)).unsign(value.encode(), max_age=SESSION_MAX_AGE)
        session = json.loads(b64decode(data))
    except (BadSignature, ValueError):
        return {}
    return session if isinstance(session, dict) else {}


def signed_in_id(session: Mapping) -> int | None:
    """The user id a session claims (not yet checked against the database)."""
    return session.get(USER_KEY)


async def sign_in(
    db_session: AsyncSession, session: MutableMapping, *, email: str, password: str
) -> User | None:
    """Check the password; on success the cookie session starts afresh (no fixation) with the
    user and a new CSRF token. None, and the session untouched, when the pair is wrong."""
    user = await staff.authenticate(db_session, email=email, password=password)
    if user is not None:
        session.clear()
        session.update({USER_KEY: user.id, CSRF_KEY: secrets.token_urlsafe(24)})
    return user


def sign_out(session: MutableMapping) -> None:
    session.clear()


def csrf_token(session: MutableMapping) -> str:
    """The session's CSRF token, made on first use (the login form needs one before sign-in)."""
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(24)
    return session[CSRF_KEY]


def csrf_matches(session: Mapping, sent: str | None) -> bool:
    # A session without a token matches nothing: a cross-site post carries no cookie, and an
    # empty token must not equal an empty field (that let another site sign a visitor in).
    expected = session.get(CSRF_KEY) or ""
    return bool(expected) and hmac.compare_digest(str(sent or ""), expected)


# --- resolvers --------------------------------------------------------------------------------


async def from_session(db: Database, session: Mapping) -> Principal | None:
    """The signed-in user of a cookie session; None when signed out, gone or deactivated."""
    user_id = signed_in_id(session)
    if user_id is None:
        return None
    async with db.read() as read:  # a snapshot: never waits for the writer
        user = await staff.get_active_user(read, user_id=user_id)
        if user is None:
            return None
        member = Staff.of(user)
        scopes = frozenset(staff.scopes_for(user))
    return Principal(member.actor, scopes, member, via_cookie=True)


# Verified keys, briefly: an API client's every request should not cost a database round
# trip. Revoking clears this process's cache at once; other processes follow within the TTL.
KEY_CACHE_TTL = 30.0
_key_cache: dict[str, tuple[float, Principal]] = {}


def forget_api_keys() -> None:
    _key_cache.clear()


async def from_api_key(db: Database, key: str) -> Principal | None:
    """The integration an API key names; None when unknown or revoked."""
    cached = _key_cache.get(key)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    # Its own short transaction: the key's last_used_at write must not hold SQLite's write
    # lock while the caller waits on another writer (the ingest writer).
    async with db.uow() as session:
        row = await staff.verify_api_key(session, key=key)
        if row is None:
            return None
        principal = Principal(Actor("apikey", row.id, row.name), frozenset(row.scopes))
    _key_cache[key] = (time.monotonic() + KEY_CACHE_TTL, principal)
    return principal


async def resolve(
    db: Database, *, api_key: str | None = None, session: Mapping | None = None
) -> Principal | None:
    """Staff or an integration: an API key, when one is given, is the only credential looked
    at; otherwise the cookie session."""
    if api_key is not None:
        return await from_api_key(db, api_key)
    return await from_session(db, session or {})


async def from_socket(db: Database, secret: str, environ: dict, auth) -> Principal | None:
    """The caller on a socket.io connect: `auth` {token: API key}, else the session cookie the
    browser sent with the handshake."""
    token = auth.get("token") if isinstance(auth, dict) else None
    cookie = cookie_session(secret, environ.get("HTTP_COOKIE", ""))
    return await resolve(db, api_key=str(token) if token else None, session=cookie)


def visitor(secret: str, token: str | None) -> Visitor | None:
    """The widget visitor a token names, or None when missing or not signed by us."""
    return read_visitor(secret, token)


def widget_visitor(
    secret: str, token: str | None, *, account_id: int, user_id: str | None
) -> Visitor:
    """The returning visitor when their token is this widget's and this (verified) host-site
    user's; anyone else (a new, another or a differently signed-in customer) starts afresh."""
    known = read_visitor(secret, token)
    if known is None or known.account_id != account_id or known.user_id != user_id:
        return new_visitor(account_id, user_id)
    return known
