"""Channel adapters: provider input -> InboundMessage, OutboundMessage -> provider."""
