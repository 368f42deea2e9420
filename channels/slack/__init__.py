"""Slack: Events API in, chat.postMessage out, in Slack threads."""
