"""Who is calling: a session cookie, an API key or a widget visitor token, resolved in one place.

The HTTP dependencies (gateway/deps.py), the console pages (gateway/console/web.py), the
socket.io namespaces (gateway/realtime.py, gateway/realtime_widget.py) and the widget's upload
route all ask here; nothing else reads the session cookie, looks up a key or decodes a visitor
token. Staff and integrations become a `Principal` (actor + scopes); a widget customer is a
`Visitor`, the identity the web chat adapter signs. The cookie names a server-side session
(store/staff/sessions.py): signing out, an admin or time ends it for every copy of the cookie.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from channels.webchat.verify import Visitor, new_visitor, read_visitor
from gateway.session_cookie import SESSION_COOKIE, CookieSession, read_cookie
from store.actor import Actor
from store.db import Database, utcnow
from store.staff import service as staff
from store.staff import sessions
from store.staff.models import User

__all__ = ["SESSION_COOKIE", "Principal", "Staff", "cookie_session", "resolve"]

# The cookie lives as long as a session may (the server ends it sooner when idle or revoked).
SESSION_MAX_AGE = int(sessions.ABSOLUTE.total_seconds())
SID_KEY = "sid"  # the server-side session's token, once signed in
CSRF_KEY = "csrf"  # before sign-in only: the sign-in form's token


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
    session_id: str | None = None  # the server-side session (cookie callers only)

    @property
    def user_id(self) -> int | None:
        return self.staff.id if self.staff else None

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes


@dataclass(frozen=True)
class LiveSession:
    """The server-side session a cookie resolved to, for the rest of the request."""

    id: str
    user_id: int
    csrf: str


# --- the session cookie -----------------------------------------------------------------------


def cookie_session(secret: str, cookie_header: str) -> CookieSession:
    """The session cookie's content in a raw Cookie header ({} when absent, expired or not
    signed by us): for sockets, which the middleware does not see."""
    return read_cookie(secret, cookie_header, SESSION_MAX_AGE)


def claims_session(session: Mapping) -> bool:
    """The cookie names a server-side session (not yet checked: see from_session)."""
    return isinstance(session.get(SID_KEY), str)


async def sign_in(
    db_session: AsyncSession,
    session: MutableMapping,
    *,
    email: str,
    password: str,
    user_agent: str = "",
    ip: str = "",
) -> User | None:
    """Check the password; on success a new server-side session starts and the cookie holds
    only its token (a fresh one: no fixation). None, and the cookie untouched, when wrong."""
    user = await staff.authenticate(db_session, email=email, password=password)
    if user is None:
        return None
    row, token = await sessions.start(db_session, user_id=user.id, user_agent=user_agent, ip=ip)
    session.clear()
    session[SID_KEY] = token
    if isinstance(session, CookieSession):
        session.live = LiveSession(row.id, user.id, row.csrf)
    return user


def sign_out(session: MutableMapping) -> None:
    """Forget the cookie's content (the server-side session is revoked by end_session)."""
    session.clear()
    if isinstance(session, CookieSession):
        session.live = None


async def end_session(db_session: AsyncSession, session: MutableMapping) -> None:
    """Sign out for good: the server-side session is revoked, so a copy of the cookie (an
    old tab, a stolen one) reads nothing any more."""
    token = session.get(SID_KEY)
    if isinstance(token, str):
        await sessions.revoke(db_session, session_id=sessions.digest(token))
    sign_out(session)


def csrf_token(session: MutableMapping) -> str:
    """The CSRF token forms and scripts send back: the server-side session's once signed in;
    before, the sign-in form's own (made on first use, kept in the cookie). "" for a cookie
    whose session was not resolved in this request (nothing can be posted with it)."""
    live = getattr(session, "live", None)
    if live is not None:
        return live.csrf
    if claims_session(session):
        return ""
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(24)
    return session[CSRF_KEY]


def csrf_matches(session: Mapping, sent: str | None) -> bool:
    # A session without a token matches nothing: a cross-site post carries no cookie, and an
    # empty token must not equal an empty field (that let another site sign a visitor in).
    live = getattr(session, "live", None)
    if live is not None:
        expected = live.csrf
    else:
        expected = "" if claims_session(session) else session.get(CSRF_KEY) or ""
    return bool(expected) and hmac.compare_digest(str(sent or ""), str(expected))


# --- resolvers --------------------------------------------------------------------------------


async def from_session(db: Database, session: Mapping) -> Principal | None:
    """The signed-in user of a cookie session; None when signed out, when the server-side
    session was revoked or expired, or when the user is gone or deactivated."""
    if not claims_session(session):
        return None
    async with db.read() as read:  # a snapshot: never waits for the writer
        row = await sessions.get_live(read, token=session[SID_KEY])
        user = await staff.get_active_user(read, user_id=row.user_id) if row else None
        if row is None or user is None:
            return None
        member = Staff.of(user)
        scopes = frozenset(staff.scopes_for(user))
        live = LiveSession(row.id, user.id, row.csrf)
        stale = row.last_seen_at < utcnow() - sessions.TOUCH_EVERY
    if stale:  # the idle clock restarts (written at most once a minute per session)
        async with db.uow() as write:
            await sessions.touch(write, session_id=live.id)
    if isinstance(session, CookieSession):
        session.live = live
    return Principal(member.actor, scopes, member, via_cookie=True, session_id=live.id)


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
    """The widget visitor a token names, or None when missing, expired or not signed by us."""
    return read_visitor(secret, token)


def widget_visitor(
    secret: str, token: str | None, *, account_id: int, user_id: str | None
) -> tuple[Visitor, bool]:
    """(visitor, is_new): the returning visitor when their token is live and this widget's and
    this (verified) host-site user's; anyone else (a new, another or a differently signed-in
    customer, or a token past its lifetime) starts a fresh conversation."""
    known = read_visitor(secret, token)
    if known is None or known.account_id != account_id or known.user_id != user_id:
        return new_visitor(account_id, user_id), True
    return known, False
