"""HTML sanitising: the one place untrusted HTML (email bodies, rich replies) is cleaned."""

import nh3

_ALLOWED_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}


def sanitize_html(html: str) -> str:
    """Keep formatting, drop scripts, styles, event handlers and javascript: links."""
    return nh3.clean(html, tags=_ALLOWED_TAGS, url_schemes={"http", "https", "mailto", "cid"})
