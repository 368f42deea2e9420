"""Slack channel tests: signatures, Events API fixtures, a loopback Web API, end to end."""
