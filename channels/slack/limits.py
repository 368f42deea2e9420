"""What Slack lets a reply be: the channel's name and limits, with Slack's numbers (one source)."""

from __future__ import annotations

from store.messages import Limits

NAME = "slack"
# https://api.slack.com/methods/chat.postMessage#truncating — Slack truncates text beyond 40,000
# characters and advises 4,000 per message, so the sender splits at 4,000 and we refuse > 40,000.
HARD_MAX_TEXT = 40_000
# markdown=True means Slack's mrkdwn dialect: *bold*, _italic_, <url|label>.
LIMITS = Limits(max_text=4_000, markdown=True, attachments=False, threads=True)
