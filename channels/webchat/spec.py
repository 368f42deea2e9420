"""Web chat as the gateway mounts it (the widget's socket.io side is gateway/realtime_widget.py)."""

from __future__ import annotations

from channels.base import ChannelSpec
from channels.webchat.config import WidgetConfig
from channels.webchat.limits import LIMITS, NAME
from channels.webchat.send import WebchatChannel

SPEC = ChannelSpec(
    name=NAME,
    limits=LIMITS,
    config_model=WidgetConfig,
    secret_fields=frozenset({"secret"}),
    build=lambda config, account_id: WebchatChannel(),
    address_of=lambda config: config.get("widget_key", ""),
)
