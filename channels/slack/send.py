"""The Slack adapter: replies posted with chat.postMessage into the ticket's thread."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from channels.base import SendError
from channels.slack.api import slack_errors, web_client
from channels.slack.config import SlackApp
from channels.slack.limits import HARD_MAX_TEXT, LIMITS, NAME
from channels.slack.parse import SlackEvent, parse_event
from channels.slack.verify import verify_slack
from store.messages import OutboundMessage, Receipt


class SlackChannel:
    """The Slack adapter: verify and parse inbound events, post replies into the ticket's thread."""

    name = NAME
    limits = LIMITS

    def __init__(self, app: SlackApp, client: AsyncWebClient | None = None):
        self.app = app
        self.client = client or web_client(app)

    def verify(self, headers: Mapping[str, str], body: bytes, now: float | None = None) -> None:
        verify_slack(headers, body, self.app.signing_secret, now)

    def parse(self, payload: dict[str, Any]) -> SlackEvent:
        return parse_event(
            payload, bot_user_id=self.app.bot_user_id, channel_ids=self.app.channel_ids
        )

    async def send(self, outbound: OutboundMessage) -> Receipt:
        """Post the reply into the thread named by outbound.thread_key (channel:thread_ts)."""
        channel, _, thread_ts = outbound.thread_key.partition(":")  # "C123:1595926230.009600"
        if not outbound.text.strip():
            raise SendError("refusing to post an empty Slack message", retryable=False)
        if len(outbound.text) > HARD_MAX_TEXT:
            raise SendError(f"text over Slack's {HARD_MAX_TEXT} characters", retryable=False)
        with slack_errors("chat.postMessage", SendError):
            response = await self.client.chat_postMessage(
                channel=channel, text=outbound.text, thread_ts=thread_ts or None
            )
        posted_channel, ts = response["channel"], response["ts"]
        return Receipt(
            external_id=f"{posted_channel}:{ts}",
            meta={"channel": posted_channel, "ts": ts, "thread_ts": thread_ts or None},
        )
