"""What a widget reply may be: the web chat channel's name and limits (one source)."""

from __future__ import annotations

from store.messages import Limits

NAME = "webchat"
# No provider sets these: the widget is ours (widget/). An admin may change the text limit per
# widget (WidgetConfig.max_text, at most 50,000); the socket.io handler enforces it.
LIMITS = Limits(max_text=5_000, markdown=False, attachments=True, threads=True)
# Content-type prefixes a visitor may upload (checked by the gateway's upload route).
ALLOWED_UPLOAD_TYPES = ("image/", "application/pdf", "text/plain")
