"""Web chat channel tests: the widget over real socket.io against a running gateway."""
