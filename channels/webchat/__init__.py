"""Web chat: the embeddable widget's channel (its socket.io side is gateway/realtime_widget.py).

The channel contract (channels/base.py), part by part:
- limits: limits.py (NAME, LIMITS: 5,000 characters, plain text, attachments; upload types)
- verify: verify.py (signed visitor tokens; the host site's HMAC proof of a signed-in user)
- parse:  parse.py (a widget `message` -> InboundMessage in the visitor's conversation; pure)
- send:   send.py (WebchatChannel: nothing to call, the realtime listener pushes the reply)
- spec:   spec.py (SPEC for channels/registry.py)
Beside them: config.py (WidgetConfig, what an admin configures per widget).
"""
