"""The customer's side of the gateway, mounted together: the help center (/help and its
admin API), the customer portal (/portal), and contacts' duplicates and data rights."""

from __future__ import annotations

from gateway.routes import contact_rights, help_api, help_center, help_public, portal

CUSTOMER_ROUTES = [help_api, help_center, help_public, portal, contact_rights]
