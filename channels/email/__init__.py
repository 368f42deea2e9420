"""Email: IMAP in (pollers), SMTP out, real threading, loop guards."""
