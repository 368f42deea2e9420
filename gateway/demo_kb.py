"""Knowledge articles for `autocrm demo`, matching the demo tickets (password, refund, shipping)."""

from __future__ import annotations

from store.actor import SYSTEM

ARTICLES = [
    (
        "Reset your password",
        "## Forgot your password\n"
        "Click **Forgot password** on the sign-in page and enter your email address. We send a "
        "reset link that works for 24 hours.\n\n"
        "## The reset link expired\n"
        "Request a new link from the sign-in page; only the newest link works. Check your spam "
        "folder if it does not arrive within five minutes.",
    ),
    (
        "Refunds and double charges",
        "## Charged twice\n"
        "A double charge is usually a card authorisation that drops off within 3 business days. "
        "If both charges are still there after that, reply with the order number and we refund "
        "one of them.\n\n"
        "## How long a refund takes\n"
        "Refunds reach your card within 5 to 10 business days after we approve them.",
    ),
    (
        "Shipping and delivery times",
        "## Where we ship\n"
        "We ship to the United States, Canada, the United Kingdom and the European Union.\n\n"
        "## Delivery to Canada\n"
        "Orders to Canada arrive in 5 to 8 business days; duties are included in the price.",
    ),
]


async def seed_articles(session) -> list[str]:
    """Published articles, keyed by a demo source name so a second run changes nothing."""
    from agent_graph.retrieval import shared_embedder
    from store.knowledge import service as kb

    lines = []
    for title, body in ARTICLES:
        outcome = await kb.import_document(
            session,
            source=f"demo:{title}",
            title=title,
            body=body,
            actor=SYSTEM,
            embedder=shared_embedder(),
        )
        if outcome == "created":
            lines.append(f"knowledge article: {title}")
    return lines
