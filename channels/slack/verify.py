"""Slack request authenticity: the signing secret's HMAC over timestamp and body, 5 min window."""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping

from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from channels.base import VerifyError

MAX_CLOCK_SKEW = 5 * 60  # api.slack.com/authentication/verifying-requests-from-slack: replay window


def verify_slack(
    headers: Mapping[str, str],
    body: bytes,
    signing_secret: SecretStr | str,
    now: float | None = None,
) -> None:
    """Raise VerifyError unless `body` was signed by Slack with our secret in the last 5 minutes."""
    lowered = {key.lower(): value for key, value in headers.items()}
    timestamp = lowered.get("x-slack-request-timestamp", "")
    signature = lowered.get("x-slack-signature", "")
    if not (timestamp.isascii() and timestamp.isdigit()) or not signature:
        raise VerifyError("missing or malformed X-Slack-Request-Timestamp / X-Slack-Signature")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW:
        raise VerifyError("stale X-Slack-Request-Timestamp: more than 5 minutes off (replay?)")
    if isinstance(signing_secret, SecretStr):
        signing_secret = signing_secret.get_secret_value()
    try:
        verifier = SignatureVerifier(signing_secret)  # the clock check is ours, to honour `now`
        expected = verifier.generate_signature(timestamp=timestamp, body=body) or ""
    except UnicodeDecodeError:  # Slack signs UTF-8 JSON or form bodies; anything else is forged
        expected = ""
    # bytes, because compare_digest refuses non-ASCII str and header values are attacker input
    if not expected or not hmac.compare_digest(expected.encode(), signature.encode()):
        raise VerifyError("bad X-Slack-Signature: not signed with this app's signing secret")
