"""The customer's side of the gateway, mounted together: the help center (/help and its
admin API), the customer portal (/portal), and contacts' duplicates and data rights."""

from __future__ import annotations

from gateway.body_limit import PathLimit
from gateway.routes import contact_rights, help_api, help_center, help_public, portal

CUSTOMER_ROUTES = [help_api, help_center, help_public, portal, contact_rights]


def body_limits(max_attachment_bytes: int) -> tuple[PathLimit, ...]:
    """A portal reply carries one attachment plus its text and the multipart framing; the
    route itself refuses a file over the limit with a page that says so."""
    return (PathLimit("/portal/tickets/", max_attachment_bytes + 84_000),)
