"""The customer's side of the gateway, mounted together: the help center (/help and its
admin API) and the customer portal (/portal)."""

from __future__ import annotations

from gateway.routes import help_api, help_center, portal

CUSTOMER_ROUTES = [help_api, help_center, portal]
