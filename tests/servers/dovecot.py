"""Pytest plugin: a real Dovecot IMAP server from a throwaway config on a free loopback port.

Load it with `pytest_plugins = ["tests.servers.dovecot"]` (root conftest) or import the
fixtures into a test module. Needs the Debian package `dovecot-imapd`; skips when it is absent.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aioimaplib
import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "secret-pw"
USER_POOL = 500


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DovecotServer:
    """A running Dovecot: where it listens, its CA file, and helpers to add users and mail."""

    root: Path
    port: int
    ssl_port: int
    cafile: Path
    host: str = "127.0.0.1"
    password: str = PASSWORD
    users: list[str] = field(default_factory=list)

    def new_user(self) -> str:
        """A passwd-file user no test used yet: its own empty maildir, so tests never share one."""
        # Users are written before start: Dovecot may not notice a passwd-file changed within
        # the same second, so adding them on demand would race.
        user = self.users.pop()
        return user

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cafile))

    async def connect(self, user: str) -> aioimaplib.IMAP4:
        client = aioimaplib.IMAP4(host=self.host, port=self.port, timeout=30)
        await client.wait_hello_from_server()
        response = await client.login(user, self.password)
        assert response.result == "OK", response
        return client

    async def append(self, user: str, raw: bytes, mailbox: str = "INBOX", flags: str | None = None):
        """Deliver one raw message into a user's mailbox through IMAP APPEND."""
        await self.append_many(user, [raw], mailbox=mailbox, flags=flags)

    async def append_many(self, user: str, raws, mailbox: str = "INBOX", flags=None) -> None:
        client = await self.connect(user)
        try:
            for raw in raws:
                response = await client.append(raw, mailbox=mailbox, flags=flags)
                assert response.result == "OK", response
        finally:
            await client.logout()

    async def flags_of(self, user: str, mailbox: str = "INBOX") -> dict[int, set[str]]:
        """UID -> flags of every message in the mailbox (FETCH FLAGS does not change them)."""
        client = await self.connect(user)
        try:
            await client.select(mailbox)
            response = await client.uid("fetch", "1:*", "(FLAGS)")
            return _parse_flags(response.lines)
        finally:
            await client.logout()


def _parse_flags(lines) -> dict[int, set[str]]:
    result: dict[int, set[str]] = {}
    for line in lines:
        text = bytes(line).decode(errors="replace")
        if " FETCH (" not in text or "UID " not in text:
            continue
        uid = int(text.split("UID ", 1)[1].split()[0].rstrip(")"))
        flags = text.split("FLAGS (", 1)[1].split(")", 1)[0]
        result[uid] = set(flags.split())
    return result


def _make_cert(root: Path) -> tuple[Path, Path]:
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _service_users() -> tuple[str, str, str]:
    """(internal user, its group, login user). Dovecot refuses to run login processes as root,
    so under root we use the accounts the Debian package creates; otherwise the current user."""
    if os.getuid() == 0:
        return "dovecot", "dovecot", "dovenull"
    user = pwd.getpwuid(os.getuid()).pw_name
    return user, grp.getgrgid(os.getgid()).gr_name, user


def _mail_owner() -> tuple[int, int]:
    """Dovecot will not give mail to uid 0, so under root the maildirs belong to `dovecot`."""
    if os.getuid() == 0:
        entry = pwd.getpwnam("dovecot")
        return entry.pw_uid, entry.pw_gid
    return os.getuid(), os.getgid()


def _config(root: Path, port: int, ssl_port: int, cert: Path, key: Path) -> str:
    user, group, login_user = _service_users()
    uid, gid = _mail_owner()
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
first_valid_uid = {uid}
first_valid_gid = {gid}
auth_mechanisms = plain login
mail_fsync = never
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def _wait_ready(port: int, log: Path, proc: subprocess.Popen, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dovecot exited: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot not ready on {port}: {log.read_text() if log.exists() else ''}")


@pytest.fixture(scope="session", name="dovecot")
def dovecot_server() -> DovecotServer:
    """Start Dovecot once per session; each test takes its own user via `new_user()`."""
    if not Path(DOVECOT).exists():
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    # Its own world-readable temp dir: under root the unprivileged login/auth processes must
    # reach the sockets and the passwd file, which pytest's 0700 tmp tree would hide.
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    root.chmod(0o755)
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    for sub in ("mail", "home"):
        os.chown(root / sub, *_mail_owner())
    users = [f"user{n:04d}-{uuid.uuid4().hex[:6]}" for n in range(USER_POOL)]
    (root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{PASSWORD}::::::\n" for u in users))
    cert, key = _make_cert(root)
    port, ssl_port = free_port(), free_port()
    conf = root / "dovecot.conf"
    conf.write_text(_config(root, port, ssl_port, cert, key))
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stderr=subprocess.PIPE)
    try:
        _wait_ready(port, root / "dovecot.log", proc)
        yield DovecotServer(root=root, port=port, ssl_port=ssl_port, cafile=cert, users=users)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)
