"""Fixtures for the browser tests (the lead may list these modules in the root pytest_plugins)."""

from tests.e2e.browser import browser, page
from tests.e2e.widget_fixtures import chat, double, host_url, widget_js

__all__ = ["browser", "chat", "double", "host_url", "page", "widget_js"]
