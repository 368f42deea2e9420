"""What an email reply may be: the email channel's name and limits (one source)."""

from __future__ import annotations

from store.messages import Limits

NAME = "email"
# Email has no length limit worth splitting on; HTML and attachments go as MIME parts.
LIMITS = Limits(max_text=None, markdown=False, html=True, attachments=True, threads=True)
