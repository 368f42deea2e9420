"""IMAP connection helpers over aioimaplib: TLS modes, STARTTLS, UID search/fetch/flag parsing."""

from __future__ import annotations

import asyncio
import re
import ssl
from dataclasses import dataclass
from typing import Literal

import aioimaplib
from pydantic import SecretStr

TlsMode = Literal["none", "starttls", "ssl"]
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_FETCH_START = re.compile(rb"^\d+ FETCH \(")
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class ImapError(Exception):
    """The server refused a command (login, select, fetch); the poller reconnects and retries."""


@dataclass
class ImapSettings:
    """One mailbox to poll. `processed_folder` moves handled mail there instead of only \\Seen."""

    host: str
    username: str
    password: SecretStr
    port: int = 993
    tls: TlsMode = "ssl"
    folder: str = "INBOX"
    processed_folder: str | None = None
    ssl_context: ssl.SSLContext | None = None
    timeout: float = 30.0
    batch_size: int = 250  # bodies per UID FETCH: one round trip carries many messages
    poll_interval: float = 30.0  # used when the server lacks IDLE
    idle_timeout: float = 25 * 60  # re-issue IDLE before servers' 30-minute cut-off
    our_addresses: tuple[str, ...] = ()
    account_id: int | None = None
    # Attachments over this are left out; a message over `max_message_bytes` is fetched only
    # that far (the server sends no more), so a huge mail never sits whole in memory.
    max_attachment_bytes: int | None = None
    max_message_bytes: int | None = None


async def connect(settings: ImapSettings, on_lost=None) -> aioimaplib.IMAP4:
    """Open, secure and log in; raises ImapError or OSError. `on_lost(exc)` fires on disconnect."""
    context = settings.ssl_context or ssl.create_default_context()
    if settings.tls == "ssl":
        client = aioimaplib.IMAP4_SSL(
            host=settings.host, port=settings.port, timeout=settings.timeout, ssl_context=context
        )
    else:
        client = aioimaplib.IMAP4(host=settings.host, port=settings.port, timeout=settings.timeout)
    # Set on the protocol for both classes: IMAP4_SSL does not pass the callback through.
    client.protocol.conn_lost_cb = on_lost
    await client.wait_hello_from_server()
    if settings.tls == "starttls":
        await _starttls(client, settings.host, context)
    response = await client.login(settings.username, settings.password.get_secret_value())
    if response.result != "OK":
        raise ImapError(f"login failed for {settings.username}: {_text(response)}")
    return client


async def _starttls(client: aioimaplib.IMAP4, host: str, context: ssl.SSLContext) -> None:
    # aioimaplib has no STARTTLS; upgrade its transport in place with asyncio's start_tls.
    protocol = client.protocol
    if "STARTTLS" not in protocol.capabilities:
        raise ImapError("server does not offer STARTTLS")
    command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
    response = await asyncio.wait_for(protocol.execute(command), client.timeout)
    if response.result != "OK":
        raise ImapError(f"STARTTLS refused: {_text(response)}")
    loop = asyncio.get_running_loop()
    protocol.transport = await loop.start_tls(
        protocol.transport, protocol, context, server_hostname=host
    )
    await asyncio.wait_for(protocol.capability(), client.timeout)  # capabilities change after TLS


async def select(client: aioimaplib.IMAP4, folder: str) -> int:
    """Select the folder and return its UIDVALIDITY."""
    response = await client.select(_quote(folder))
    if response.result != "OK":
        raise ImapError(f"cannot select {folder}: {_text(response)}")
    for line in response.lines:
        found = _UIDVALIDITY.search(bytes(line))
        if found:
            return int(found.group(1))
    raise ImapError(f"server gave no UIDVALIDITY for {folder}")


async def new_uids(client: aioimaplib.IMAP4, after_uid: int) -> list[int]:
    """UIDs above `after_uid`, ascending. With no cursor yet (a mailbox just connected) only
    the unseen ones, so years of read history are not imported; after that every new UID,
    so a message someone opened in a mail client before we polled is not skipped (re-reading
    one is harmless: ingest is idempotent on Message-ID)."""
    criteria = ("UNSEEN",) if after_uid == 0 else ()
    await client.noop()  # servers (Dovecot) make mail appended since SELECT visible on NOOP
    response = await client.uid_search(f"UID {after_uid + 1}:*", *criteria, charset=None)
    if response.result != "OK":
        raise ImapError(f"search failed: {_text(response)}")
    uids: set[int] = set()
    for line in response.lines[:-1]:  # aioimaplib strips "SEARCH"; the last line is the status
        uids.update(int(token) for token in bytes(line).split() if token.isdigit())
    # "N:*" always matches the highest UID, even below N, so filter on our side.
    return sorted(uid for uid in uids if uid > after_uid)


async def fetch_bodies(client: aioimaplib.IMAP4, uids: list[int]) -> list[tuple[int, bytes]]:
    """Fetch many full messages in one UID FETCH, without setting \\Seen (BODY.PEEK)."""
    response = await client.uid("fetch", uid_set(uids), "(UID BODY.PEEK[])")
    if response.result != "OK":
        raise ImapError(f"fetch failed: {_text(response)}")
    return parse_fetch(response.lines)


async def fetch_sizes(client: aioimaplib.IMAP4, uids: list[int]) -> dict[int, int]:
    """Each message's size (RFC822.SIZE), before fetching any body."""
    response = await client.uid("fetch", uid_set(uids), "(UID RFC822.SIZE)")
    if response.result != "OK":
        raise ImapError(f"fetch failed: {_text(response)}")
    sizes: dict[int, int] = {}
    for line in response.lines:
        uid, size = _UID.search(bytes(line)), _SIZE.search(bytes(line))
        if uid and size:
            sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


async def fetch_start(client: aioimaplib.IMAP4, uid: int, max_bytes: int) -> bytes | None:
    """The first `max_bytes` of one message (a partial BODY.PEEK[]<0.n>)."""
    response = await client.uid("fetch", str(uid), f"(UID BODY.PEEK[]<0.{max_bytes}>)")
    if response.result != "OK":
        raise ImapError(f"fetch failed: {_text(response)}")
    found = parse_fetch(response.lines)
    return found[0][1] if found else None


async def fetch_limited(
    client: aioimaplib.IMAP4, uids: list[int], max_bytes: int
) -> list[tuple[int, bytes, int | None]]:
    """(uid, source, cut_at) in UID order: whole messages up to `max_bytes`, fetched a few at a
    time (about 4 x max_bytes per round trip), and the first `max_bytes` of larger ones."""
    sizes = await fetch_sizes(client, uids)
    out: list[tuple[int, bytes, int | None]] = []
    group: list[int] = []
    budget = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if size > max_bytes:
            raw = await fetch_start(client, uid, max_bytes)
            out += [(uid, raw, max_bytes)] if raw is not None else []
            continue
        if group and budget + size > 4 * max_bytes:
            out += [(u, raw, None) for u, raw in await fetch_bodies(client, group)]
            group, budget = [], 0
        group.append(uid)
        budget += size
    if group:
        out += [(u, raw, None) for u, raw in await fetch_bodies(client, group)]
    return sorted(out, key=lambda item: item[0])


def parse_fetch(lines: list) -> list[tuple[int, bytes]]:
    """(uid, raw bytes) pairs from aioimaplib's FETCH response lines."""
    result: list[tuple[int, bytes]] = []
    uid: int | None = None
    body: bytes | None = None
    for line in lines:
        if isinstance(line, bytearray):
            body = bytes(line)
            continue
        found = _UID.search(line)
        if _FETCH_START.match(line):
            if uid is not None and body is not None:
                result.append((uid, body))
            uid, body = (int(found.group(1)) if found else None), None
        elif found and uid is None:  # some servers send UID after the literal
            uid = int(found.group(1))
    if uid is not None and body is not None:
        result.append((uid, body))
    return result


async def mark_handled(client: aioimaplib.IMAP4, uids: list[int], settings: ImapSettings) -> None:
    """Flag \\Seen, or move to the processed folder, only after the sink committed them."""
    if not uids:
        return
    if settings.processed_folder and client.has_capability("MOVE"):
        response = await client.uid("move", uid_set(uids), _quote(settings.processed_folder))
    else:
        response = await client.uid("store", uid_set(uids), "+FLAGS.SILENT", "(\\Seen)")
    if response.result != "OK":
        raise ImapError(f"cannot mark {len(uids)} messages handled: {_text(response)}")


def uid_set(uids: list[int]) -> str:
    """Compact IMAP sequence set: [1,2,3,7] -> "1:3,7"."""
    ranges: list[str] = []
    ordered = sorted(set(uids))
    start = previous = ordered[0]
    for uid in ordered[1:] + [None]:
        if uid is not None and uid == previous + 1:
            previous = uid
            continue
        ranges.append(str(start) if start == previous else f"{start}:{previous}")
        if uid is not None:
            start = previous = uid
    return ",".join(ranges)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(response) -> str:
    return " ".join(bytes(line).decode(errors="replace") for line in response.lines)[:300]
