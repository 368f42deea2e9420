"""Twilio request authenticity: X-Twilio-Signature over the public URL and the form or body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr
from twilio.request_validator import RequestValidator, get_signature_algorithm

from channels.base import VerifyError


def verify_twilio(
    url: str,
    params: Mapping[str, Any] | str | None,
    signature: str | None,
    auth_token: SecretStr | str,
    *,
    signature_settings: str | None = None,
) -> None:
    """Raise VerifyError unless X-Twilio-Signature matches.

    `url` must be the public URL Twilio called (account.url(path) plus the exact query string),
    not the one the proxy forwarded to us. `params` are the form fields (a dict, or a multidict
    for repeated keys) or the raw body of a JSON webhook (then `url` carries bodySHA256).
    `signature_settings` is the X-Twilio-Webhooks-Signature-Settings header, if any.
    """
    if not signature:
        raise VerifyError("missing X-Twilio-Signature header")
    token = auth_token.get_secret_value() if isinstance(auth_token, SecretStr) else auth_token
    algorithm = get_signature_algorithm(signature_settings)
    if not RequestValidator(token).validate(url, params, signature, algorithm=algorithm):
        raise VerifyError("X-Twilio-Signature does not match this URL and body")
