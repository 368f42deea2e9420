"""Email channel tests: parsing, guards, MIME out, a real Dovecot and aiosmtpd end to end."""
