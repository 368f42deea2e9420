"""Web chat as the gateway mounts it (the widget's socket.io side is gateway/realtime_widget.py)."""

from __future__ import annotations

from channels.base import ChannelSpec
from channels.webchat.adapter import LIMITS, NAME, WebchatChannel, WidgetConfig

SPEC = ChannelSpec(
    name=NAME,
    limits=LIMITS,
    config_model=WidgetConfig,
    secret_fields=frozenset({"secret"}),
    build=lambda config, account_id: WebchatChannel(),
    address_of=lambda config: config.get("widget_key", ""),
)
