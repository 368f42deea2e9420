"""A mailbox as an admin configures it, and the IMAP/SMTP/sender settings derived from it.

The same model validates `POST /api/v1/channels {"channel": "email", "config": {...}}` and
`autocrm mailbox add`; the passwords are the spec's secret fields, stored apart, never shown.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from channels.email.imap_client import ImapSettings
from channels.email.outbound import MailboxSettings
from channels.email.smtp import SmtpSettings
from store.schemas import Strict

TlsMode = Literal["none", "starttls", "ssl"]
SECRET_FIELDS = frozenset({"imap_password", "smtp_password"})
Port = Annotated[int, Field(ge=1, le=65535)]


class MailboxConfig(Strict):
    """One support mailbox: where mail comes in (IMAP), goes out (SMTP), and who we are."""

    address: str = Field(min_length=3, max_length=320)
    from_name: str | None = Field(default=None, max_length=200)
    imap_host: str = Field(min_length=1, max_length=255)
    imap_port: Port
    imap_tls: TlsMode = "ssl"
    imap_user: str = Field(min_length=1, max_length=320)
    imap_password: SecretStr
    folder: str = Field(default="INBOX", min_length=1, max_length=200)
    # Move handled mail here (server needs MOVE) instead of only flagging it \Seen.
    processed_folder: str | None = Field(default=None, max_length=200)
    smtp_host: str = Field(min_length=1, max_length=255)
    smtp_port: Port
    smtp_tls: TlsMode = "starttls"
    smtp_user: str | None = Field(default=None, max_length=320)
    smtp_password: SecretStr | None = None
    # A PEM file of CAs to trust besides the system's (a company CA, a self-signed server).
    tls_ca_file: str | None = Field(default=None, max_length=1000)
    poll_interval: float = Field(default=30.0, ge=0.05, le=3600)  # when IDLE is not offered

    @field_validator("address")
    @classmethod
    def _one_address(cls, value: str) -> str:
        value = value.strip().lower()
        local, _, domain = value.rpartition("@")
        if not local or "." not in domain or any(c.isspace() for c in value):
            raise ValueError("must be an email address like support@example.com")
        return value

    @model_validator(mode="after")
    def _smtp_login_is_complete(self) -> MailboxConfig:
        if (self.smtp_user is None) != (self.smtp_password is None):
            raise ValueError("smtp_user and smtp_password go together (or neither, no login)")
        return self


def _context(config: Mapping[str, Any]) -> ssl.SSLContext | None:
    cafile = config.get("tls_ca_file")
    return ssl.create_default_context(cafile=cafile) if cafile else None


def _secret(config: Mapping[str, Any], key: str) -> SecretStr | None:
    value = config.get(key)
    return SecretStr(value) if value else None


def imap_settings(
    config: Mapping[str, Any], account_id: int | None, our_addresses: Iterable[str] = ()
) -> ImapSettings:
    """From an account's config plus secrets; `our_addresses` are every mailbox we send as."""
    return ImapSettings(
        host=config["imap_host"],
        port=config["imap_port"],
        tls=config.get("imap_tls", "ssl"),
        username=config["imap_user"],
        password=_secret(config, "imap_password") or SecretStr(""),
        folder=config.get("folder") or "INBOX",
        processed_folder=config.get("processed_folder"),
        ssl_context=_context(config),
        poll_interval=config.get("poll_interval", 30.0),
        our_addresses=tuple(dict.fromkeys([config["address"], *our_addresses])),
        account_id=account_id,
    )


def smtp_settings(config: Mapping[str, Any]) -> SmtpSettings:
    return SmtpSettings(
        host=config["smtp_host"],
        port=config["smtp_port"],
        tls=config.get("smtp_tls", "starttls"),
        username=config.get("smtp_user"),
        password=_secret(config, "smtp_password"),
        ssl_context=_context(config),
    )


def sender(config: Mapping[str, Any]) -> MailboxSettings:
    return MailboxSettings(address=config["address"], display_name=config.get("from_name"))
