"""Send a built EmailMessage over SMTP with aiosmtplib; failures become SendError(retryable=...)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

import aiosmtplib
from pydantic import SecretStr

from channels.base import SendError

TlsMode = Literal["none", "starttls", "ssl"]


@dataclass
class SmtpSettings:
    host: str
    port: int = 587
    tls: TlsMode = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = None


async def send_email(message: EmailMessage, settings: SmtpSettings) -> str:
    """Hand the message to the server; returns the server's reply text. Raises SendError."""
    password = settings.password.get_secret_value() if settings.password else None
    try:
        _responses, reply = await aiosmtplib.send(
            message,
            hostname=settings.host,
            port=settings.port,
            username=settings.username,
            password=password,
            timeout=settings.timeout,
            use_tls=settings.tls == "ssl",
            start_tls=settings.tls == "starttls",
            tls_context=settings.ssl_context,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [refused.code for refused in exc.recipients]
        # Only if every refusal is temporary can a later attempt reach all recipients.
        retryable = all(_temporary(code) for code in codes)
        raise SendError(f"recipients refused: {exc}", retryable=retryable) from exc
    except aiosmtplib.SMTPResponseException as exc:
        raise SendError(f"SMTP {exc.code}: {exc.message}", retryable=_temporary(exc.code)) from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise SendError(f"SMTP connection failed: {exc}", retryable=True) from exc
    return reply


def _temporary(code: int) -> bool:
    return 400 <= code < 500
