"""`autocrm demo`: a small organisation to click through (idempotent: skips what exists)."""

from __future__ import annotations

import secrets

from gateway.demo_kb import seed_articles
from store.agent import service as agent
from store.agent.models import BotSettings
from store.agent.schemas import BotSettingsUpdate
from store.config import accounts
from store.messages import Identity, InboundMessage
from store.staff import service as staff
from store.tickets.ingest import ingest

DEMO_PASSWORD = "demo-password"
DEMO_WIDGET_KEY = "demo-widget-key"
PEOPLE = [
    ("admin@demo.autocrm", "Ada Admin", "admin"),
    ("alice@demo.autocrm", "Alice", "agent"),
    ("bob@demo.autocrm", "Bob", "agent"),
]
TICKETS = [
    (
        "carol@example.com",
        "Carol",
        "Cannot reset my password",
        "Hi, the reset link in your email has expired. How do I get a new one?",
    ),
    (
        "dan@example.com",
        "Dan",
        "Refund for order 1042",
        "I was charged twice for order 1042. Please refund one of the charges.",
    ),
    ("erin@example.com", "Erin", "Shipping to Canada?", "Do you ship to Canada, and how long?"),
]


async def seed(session) -> list[str]:
    lines = []
    users = []
    for email, name, role in PEOPLE:
        user = await staff.get_user_by_email(session, email=email)
        if user is None:
            user = await staff.create_user(
                session, email=email, password=DEMO_PASSWORD, name=name, role=role
            )
            lines.append(f"user {email} / {DEMO_PASSWORD} ({role})")
        users.append(user)
    if not [t for t in await staff.list_teams(session) if t.name == "Support"]:
        await staff.create_team(session, name="Support", member_ids=[u.id for u in users[1:]])
        lines.append("team Support")
    for i, (email, name, subject, body) in enumerate(TICKETS):
        result = await ingest(
            session,
            inbound=InboundMessage(
                channel="api",
                external_id=f"demo-{i}",
                thread_key=f"email:{email}",
                sender=Identity("email", email, name),
                text=body,
                subject=subject,
            ),
        )
        if not result.duplicate:
            lines.append(f"ticket #{result.ticket.number}: {subject}")
    if not await accounts.list_accounts(session, channel="webchat"):
        await accounts.create(
            session,
            channel="webchat",
            name="Demo widget",
            address=DEMO_WIDGET_KEY,
            config={"widget_key": DEMO_WIDGET_KEY, "allowed_origins": []},
            secrets={"secret": secrets.token_urlsafe(24)},
        )
        lines.append(f"web chat widget {DEMO_WIDGET_KEY} (try it at /demo)")
    lines += await seed_articles(session)
    if await session.get(BotSettings, agent.SETTINGS_ID) is None:  # an admin's choice stands
        await agent.update_settings(session, changes=BotSettingsUpdate(enabled=True))
        lines.append("bot on, in retrieval mode (no LLM configured)")
    return lines
