"""Slack: Events API in, chat.postMessage out, in Slack threads.

The channel contract (channels/base.py), part by part:
- limits: limits.py (NAME, LIMITS: 4,000 characters per post, mrkdwn, threads)
- verify: verify.py (signing secret HMAC, 5-minute replay window)
- parse:  parse.py (Events API payload -> message, edit, deletion, URL check or noise; pure)
- send:   send.py (SlackChannel: chat.postMessage into channel:thread_ts)
- spec:   spec.py (SPEC for channels/registry.py)
Beside them: config.py (the admin's SlackConfig and the adapter's SlackApp), api.py (Web API
client, auth.test, users.info, file downloads), routes.py (POST /channels/slack/events),
jobs.py (after ingest: the user's name and email on the contact, shared files attached).
"""
