"""Web chat: the widget's channel (its socket.io side is gateway/realtime_widget.py)."""
