"""Email: IMAP in (pollers), SMTP out, real threading, loop guards.

The channel contract (channels/base.py), part by part:
- limits: limits.py (NAME, LIMITS: no length limit, HTML and attachments as MIME parts)
- verify: none at the transport (IMAP is our own login to our own mailbox); what stands in for
  it is guard.py (inbound rate limits, auto-reply caps, whether the bot may answer) and the
  noise flags of flags.py (auto-replies, bounces)
- parse:  parse.py (raw RFC 822 bytes -> InboundMessage; pure), with headers.py and text.py
- send:   send.py (EmailChannel: a reply into the thread over the mailbox's SMTP), with
  outbound.py (OutboundMessage -> MIME) and smtp.py (the SMTP session)
- spec:   spec.py (SPEC for channels/registry.py, starting and stopping the pollers)
Beside them: mailbox.py (MailboxConfig, what an admin configures), imap_client.py and imap.py
(the IMAP session and poller), pollers.py (one poller per active mailbox), ingest.py (where a
fetched email goes: guards, bounces, then the store).
"""
